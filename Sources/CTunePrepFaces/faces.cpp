// Every call into dlib. Exceptions never leave this file: each entry point catches them and
// returns a status plus a message (the header's contract).
#include "CTunePrepFaces.h"
#include "report.hpp"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <vector>

namespace tuneprep_faces {

// Packed RGB bytes owned by the caller, seen through dlib's generic image interface, so dlib
// reads the caller's pixels in place (no copy into a dlib matrix).
struct rgb_view {
    const uint8_t *data;
    long rows;
    long columns;
    long stride;
};

inline long num_rows(const rgb_view &view) { return view.rows; }
inline long num_columns(const rgb_view &view) { return view.columns; }
inline const void *image_data(const rgb_view &view) { return view.data; }
inline void *image_data(rgb_view &view) { return const_cast<uint8_t *>(view.data); }
inline long width_step(const rgb_view &view) { return view.stride; }

}  // namespace tuneprep_faces

namespace dlib {
template <> struct image_traits<tuneprep_faces::rgb_view> {
    typedef rgb_pixel pixel_type;
};
}  // namespace dlib

namespace {

using tuneprep_faces::first_line;
using tuneprep_faces::guarded;
using tuneprep_faces::rgb_view;
using tuneprep_faces::say;

// dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1), as its example
// dnn_face_recognition_ex.cpp declares it: the file holds only weights, so the layers must match.
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = dlib::add_prev1<block<N, BN, 1, dlib::tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = dlib::add_prev2<dlib::avg_pool<2, 2, 2, 2, dlib::skip1<dlib::tag2<block<N, BN, 2, dlib::tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<dlib::con<N, 3, 3, 1, 1, dlib::relu<BN<dlib::con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = dlib::relu<residual<block, N, dlib::affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = dlib::relu<residual_down<block, N, dlib::affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using descriptor_net = dlib::loss_metric<dlib::fc_no_bias<128, dlib::avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    dlib::max_pool<3, 3, 2, 2, dlib::relu<dlib::affine<dlib::con<32, 7, 7, 2, 2,
    dlib::input_rgb_image_sized<150>>>>>>>>>>>>>;

// dlib's frontal face model (five HOG filters) scans the whole photo on a pyramid that shrinks by
// 3/4 a level instead of dlib's 5/6: 30% fewer pixels for the same smallest face, which is most of
// the person checks' cost. Its boxes come in coarser sizes, so each face found is then measured
// again by the model on its own 5/6 pyramid in a small crop around it (a few ms a face): sizes
// and scores are the ones the thresholds were measured with.
using coarse_detector = dlib::object_detector<dlib::scan_fhog_pyramid<dlib::pyramid_down<4>>>;

// Unpacking dlib's built-in model takes about 300 ms, so it is done once per process; each call
// copies it (well under a millisecond).
const dlib::frontal_face_detector &frontal_model() {
    static const dlib::frontal_face_detector model = dlib::get_frontal_face_detector();
    return model;
}

coarse_detector make_coarse_detector() {
    // The pyramid is not part of the serialized model, so the built-in model loads into this type.
    std::stringstream model;
    dlib::serialize(frontal_model(), model);
    coarse_detector detector;
    dlib::deserialize(detector, model);
    return detector;
}

// Faces are refined in a crop scaled so the face is about this tall: the model's window is 80 px.
constexpr double refine_face_side = 120;

dlib::rect_detection refine(dlib::frontal_face_detector &fine, const dlib::array2d<unsigned char> &gray,
                            const dlib::rect_detection &coarse, double threshold) {
    const dlib::rectangle box = coarse.rect;
    const long side = std::max(box.width(), box.height());
    const dlib::rectangle area = dlib::grow_rect(box, side / 2).intersect(dlib::get_rect(gray));
    if (area.is_empty()) return coarse;
    const double scale = std::min(1.0, refine_face_side / static_cast<double>(side));
    dlib::array2d<unsigned char> crop(std::max(1L, std::lround(area.height() * scale)),
                                      std::max(1L, std::lround(area.width() * scale)));
    dlib::resize_image(dlib::sub_image(gray, area), crop);
    std::vector<dlib::rect_detection> found;
    // A lower bar than the scan's: the same face may score a little less at the finer scale.
    fine(crop, found, threshold - 0.5);
    const double sx = static_cast<double>(area.width()) / static_cast<double>(crop.nc());
    const double sy = static_cast<double>(area.height()) / static_cast<double>(crop.nr());
    dlib::rect_detection best = coarse;
    double best_overlap = 0.5;  // the same face: their boxes overlap by more than half
    for (const auto &d : found) {
        dlib::rectangle back(area.left() + std::lround(d.rect.left() * sx), area.top() + std::lround(d.rect.top() * sy),
                             area.left() + std::lround((d.rect.right() + 1) * sx) - 1,
                             area.top() + std::lround((d.rect.bottom() + 1) * sy) - 1);
        const double overlap = static_cast<double>(back.intersect(box).area()) / static_cast<double>((back + box).area());
        if (overlap > best_overlap) {
            best_overlap = overlap;
            // The finer box; the better of the two scores, so refining never loses a face.
            best = dlib::rect_detection{std::max(d.detection_confidence, coarse.detection_confidence), d.weight_index, back};
        }
    }
    return best;
}

// The workers already keep every core busy; OpenBLAS's own threads (Debian's default BLAS) would
// only oversubscribe them and spin. Looked up at run time: another BLAS has no such call.
void use_one_blas_thread() {
    using set_threads = void (*)(int);
    if (auto set = reinterpret_cast<set_threads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

bool valid_image(const uint8_t *rgb, int32_t width, int32_t height, int32_t stride) {
    return rgb != nullptr && width > 0 && height > 0 && stride >= width * 3;
}

}  // namespace

// Chips cross the C header as packed RGB bytes, which is dlib's rgb_pixel layout.
static_assert(sizeof(dlib::rgb_pixel) == 3, "rgb_pixel is packed RGB");

struct CTunePrepFaces_landmarks {
    dlib::shape_predictor model;
};

struct CTunePrepFaces_network {
    descriptor_net model;
    // The network keeps its activations inside itself, so one forward pass at a time.
    std::mutex lock;
};

extern "C" int CTunePrepFaces_detect(
    const uint8_t *rgb, int32_t width, int32_t height, int32_t stride, double threshold,
    CTunePrepFaces_face *faces, int32_t capacity, int32_t *count, CTunePrepFaces_report *report) {
    if (!valid_image(rgb, width, height, stride) || count == nullptr || capacity < 0
        || (capacity > 0 && faces == nullptr)) {
        say(report, "bad arguments to face detection");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    try {
        // A detector keeps the feature pyramid of the last photo it scanned (4-5 MB), so each call
        // scans with its own copy of the model (well under a millisecond) and frees it after:
        // nothing stays behind in the workers once the photos are read.
        static const coarse_detector coarse_model = make_coarse_detector();
        coarse_detector scan = coarse_model;
        rgb_view view{rgb, height, width, stride};
        dlib::array2d<unsigned char> gray;
        dlib::assign_image(gray, view);
        std::vector<dlib::rect_detection> found;
        scan(gray, found, threshold);
        if (!found.empty()) {
            dlib::frontal_face_detector fine = frontal_model();
            for (auto &face : found) face = refine(fine, gray, face, threshold);
        }
        std::sort(found.begin(), found.end(), [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
            return a.detection_confidence > b.detection_confidence;
        });
        *count = static_cast<int32_t>(found.size());
        for (int32_t i = 0; i < capacity && i < static_cast<int32_t>(found.size()); i++) {
            const auto &d = found[static_cast<size_t>(i)];
            faces[i].left = static_cast<int32_t>(d.rect.left());
            faces[i].top = static_cast<int32_t>(d.rect.top());
            faces[i].width = static_cast<int32_t>(d.rect.width());
            faces[i].height = static_cast<int32_t>(d.rect.height());
            faces[i].confidence = d.detection_confidence;
            faces[i].pose = static_cast<int32_t>(d.weight_index);
        }
        return CTunePrepFaces_OK;
    } catch (const std::bad_alloc &) {
        say(report, "out of memory in face detection");
        return CTunePrepFaces_NO_MEMORY;
    } catch (const std::exception &e) {
        say(report, "face detection failed: " + first_line(e.what()));
        return CTunePrepFaces_FAILED;
    } catch (...) {
        say(report, "face detection failed");
        return CTunePrepFaces_FAILED;
    }
}


extern "C" int CTunePrepFaces_landmarks_load(const char *path, CTunePrepFaces_landmarks **out, CTunePrepFaces_report *report) {
    if (path == nullptr || out == nullptr) {
        say(report, "bad arguments to model loading");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *out = nullptr;
    return guarded(report, std::string(path), CTunePrepFaces_MODEL_ERROR, [&] {
        // The photos have been read: what the decoders and the face search freed goes back to the
        // system first (glibc keeps it for reuse), so the model takes its place.
        malloc_trim(0);
        auto landmarks = std::make_unique<CTunePrepFaces_landmarks>();
        dlib::deserialize(path) >> landmarks->model;
        if (landmarks->model.num_parts() != 5) {
            say(report, std::string(path) + ": has " + std::to_string(landmarks->model.num_parts())
                + " landmarks; the 5-point shape predictor is needed");
            return static_cast<int>(CTunePrepFaces_MODEL_ERROR);
        }
        *out = landmarks.release();
        return static_cast<int>(CTunePrepFaces_OK);
    });
}

extern "C" void CTunePrepFaces_landmarks_free(CTunePrepFaces_landmarks *landmarks) { delete landmarks; }

extern "C" int CTunePrepFaces_landmarks_chip(
    const CTunePrepFaces_landmarks *landmarks, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    CTunePrepFaces_face box, uint8_t *chip, CTunePrepFaces_report *report) {
    if (landmarks == nullptr || chip == nullptr || !valid_image(rgb, width, height, stride)
        || box.width <= 0 || box.height <= 0) {
        say(report, "bad arguments to the face chip");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    return guarded(report, "face alignment", CTunePrepFaces_FAILED, [&] {
        rgb_view view{rgb, height, width, stride};
        dlib::rectangle rect(box.left, box.top, box.left + box.width - 1, box.top + box.height - 1);
        dlib::full_object_detection shape = landmarks->model(view, rect);
        // 25% padding: the framing the network was trained on.
        dlib::matrix<dlib::rgb_pixel> aligned;
        dlib::extract_image_chip(view, dlib::get_face_chip_details(shape, CTunePrepFaces_CHIP_SIDE, 0.25), aligned);
        if (aligned.nr() != CTunePrepFaces_CHIP_SIDE || aligned.nc() != CTunePrepFaces_CHIP_SIDE) {
            say(report, "face alignment gave a chip of the wrong size");
            return static_cast<int>(CTunePrepFaces_FAILED);
        }
        std::memcpy(chip, &aligned(0, 0), sizeof(dlib::rgb_pixel) * CTunePrepFaces_CHIP_SIDE * CTunePrepFaces_CHIP_SIDE);
        return static_cast<int>(CTunePrepFaces_OK);
    });
}

extern "C" int CTunePrepFaces_eyes_chip(
    const uint8_t *rgb, int32_t width, int32_t height, int32_t stride, float left_x, float left_y, float right_x,
    float right_y, uint8_t *chip, CTunePrepFaces_report *report) {
    const bool eyes_valid = std::isfinite(left_x) && std::isfinite(left_y) && std::isfinite(right_x) && std::isfinite(right_y)
        && std::hypot(right_x - left_x, right_y - left_y) >= 1;
    if (chip == nullptr || !valid_image(rgb, width, height, stride) || !eyes_valid) {
        say(report, "bad arguments to the face chip");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    return guarded(report, "face alignment", CTunePrepFaces_FAILED, [&] {
        rgb_view view{rgb, height, width, stride};
        // Where dlib's 5-point alignment puts the eyes: the middle of each eye's two corners in its
        // mean face (dlib's get_face_chip_details), with the same 25% padding. The eyes fix a
        // similarity transform, so the chip is the one dlib's alignment would give for these eyes.
        const double padding = 0.25, side = CTunePrepFaces_CHIP_SIDE;
        auto in_chip = [&](double x, double y) {
            return dlib::dpoint((padding + x) / (2 * padding + 1) * side, (padding + y) / (2 * padding + 1) * side);
        };
        // A third point, the eye line's middle moved square to it by its length, on both sides:
        // from two points alone dlib's least-squares fit can return a mirrored transform.
        auto with_third = [](dlib::dpoint left, dlib::dpoint right) {
            const dlib::dpoint middle = (left + right) / 2, along = right - left;
            return std::vector<dlib::dpoint>{left, right, middle + dlib::dpoint(-along.y(), along.x())};
        };
        const std::vector<dlib::dpoint> chip_points = with_third(
            in_chip((0.1205750620789 + 0.3340850613712) / 2, (0.2137274526848 + 0.2290642403242) / 2),
            in_chip((0.8595674595992 + 0.6460604764104) / 2, (0.2134981538014 + 0.2289674387677) / 2));
        const std::vector<dlib::dpoint> image_points = with_third(dlib::dpoint(left_x, left_y), dlib::dpoint(right_x, right_y));
        dlib::matrix<dlib::rgb_pixel> aligned;
        dlib::extract_image_chip(
            view, dlib::chip_details(chip_points, image_points, dlib::chip_dims(CTunePrepFaces_CHIP_SIDE, CTunePrepFaces_CHIP_SIDE)),
            aligned);
        if (aligned.nr() != CTunePrepFaces_CHIP_SIDE || aligned.nc() != CTunePrepFaces_CHIP_SIDE) {
            say(report, "face alignment gave a chip of the wrong size");
            return static_cast<int>(CTunePrepFaces_FAILED);
        }
        std::memcpy(chip, &aligned(0, 0), sizeof(dlib::rgb_pixel) * CTunePrepFaces_CHIP_SIDE * CTunePrepFaces_CHIP_SIDE);
        return static_cast<int>(CTunePrepFaces_OK);
    });
}

extern "C" int CTunePrepFaces_network_load(const char *path, CTunePrepFaces_network **out, CTunePrepFaces_report *report) {
    if (path == nullptr || out == nullptr) {
        say(report, "bad arguments to model loading");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *out = nullptr;
    return guarded(report, std::string(path), CTunePrepFaces_MODEL_ERROR, [&] {
        use_one_blas_thread();
        malloc_trim(0);  // the shape predictor was just freed: the network takes its place
        auto network = std::make_unique<CTunePrepFaces_network>();
        dlib::deserialize(path) >> network->model;
        *out = network.release();
        return static_cast<int>(CTunePrepFaces_OK);
    });
}

extern "C" void CTunePrepFaces_network_free(CTunePrepFaces_network *network) { delete network; }

extern "C" int CTunePrepFaces_network_describe(
    CTunePrepFaces_network *network, const uint8_t *chip, float *descriptor, CTunePrepFaces_report *report) {
    if (network == nullptr || chip == nullptr || descriptor == nullptr) {
        say(report, "bad arguments to the face descriptor");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    return guarded(report, "face descriptor", CTunePrepFaces_FAILED, [&] {
        dlib::matrix<dlib::rgb_pixel> input(CTunePrepFaces_CHIP_SIDE, CTunePrepFaces_CHIP_SIDE);
        std::memcpy(&input(0, 0), chip, sizeof(dlib::rgb_pixel) * CTunePrepFaces_CHIP_SIDE * CTunePrepFaces_CHIP_SIDE);
        dlib::matrix<float, 0, 1> values;
        {
            std::lock_guard<std::mutex> guard(network->lock);
            values = network->model(input);
        }
        if (values.size() != CTunePrepFaces_DESCRIPTOR_LENGTH) {
            say(report, "the descriptor model gave " + std::to_string(values.size()) + " numbers, not 128");
            return static_cast<int>(CTunePrepFaces_MODEL_ERROR);
        }
        for (long i = 0; i < values.size(); i++) descriptor[i] = values(i);
        return static_cast<int>(CTunePrepFaces_OK);
    });
}

extern "C" void CTunePrepFaces_network_rest(CTunePrepFaces_network *network) {
    if (network == nullptr) return;
    {
        std::lock_guard<std::mutex> guard(network->lock);
        network->model.clean();
    }
    malloc_trim(0);
}
