// The C side of TunePrep's person checks: every call into dlib lives in faces.cpp, behind this
// plain C header. No C++ type or exception crosses it: each entry point catches everything and
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

// dlib's face identity models: the 5-point shape predictor and the ResNet descriptor network.
typedef struct CTunePrepFaces_identity CTunePrepFaces_identity;

// Loads both model files; on failure *out stays NULL and the report says which file and why.
// Meant to be called once the photos have been read: it first gives the heap's freed pages back
// to the system (malloc_trim), so the models take their place, and keeps OpenBLAS to one thread.
int CTunePrepFaces_identity_load(
    const char *shape_predictor_path, const char *descriptor_model_path,
    CTunePrepFaces_identity **out, CTunePrepFaces_report *report);

void CTunePrepFaces_identity_free(CTunePrepFaces_identity *identity);

// The 128-number identity descriptor of the face in `box` (from CTunePrepFaces_detect on the same
// image): faces of one person lie within about 0.6 of each other (Euclidean). One network is
// shared by every thread; calls are serialised inside.
int CTunePrepFaces_identity_describe(
    CTunePrepFaces_identity *identity, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    CTunePrepFaces_face box, float *descriptor, CTunePrepFaces_report *report);

#ifdef __cplusplus
}
#endif

#endif
