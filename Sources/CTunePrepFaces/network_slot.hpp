// One OpenCV network in memory at a time, whichever model it runs (the face detector or the pose
// network). Internal to the target (not under include/): no C++ crosses the C header.
//
// A network holds its activations for life: about 70 MB for CenterFace at 640x480, 60 MB for the
// pose network at 432x368. One per worker, per input size or per model multiplied the peak (a set
// mixing portrait and landscape photos grew it by 179 MB, against 100 MB for either alone). So the
// callers take turns at one network, each pass runs on OpenCV's threads, and a caller needing
// another model or input size rebuilds it (about 45 ms, against 105 ms for a CenterFace pass).
// A network is bound to one input size for life: OpenCV 4.6 computes wrong outputs when one
// network is fed a second size.
#ifndef CTUNEPREP_FACES_NETWORK_SLOT_HPP
#define CTUNEPREP_FACES_NETWORK_SLOT_HPP

#include "report.hpp"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <mutex>
#include <vector>

namespace tuneprep_faces {

enum class model_format { onnx, tensorflow };

// Reads the model file at `path` into `bytes` and parses it once, checking that it has every
// layer in `layers`, so a file that is not `what` fails before any photo is read. Returns
// CTunePrepFaces_OK or CTunePrepFaces_MODEL_ERROR with the reason. Also sets OpenCV up for the
// passes, whichever model loads first: the workers take turns at the network, so a pass uses
// OpenCV's threads, up to two (past that, the other workers' decoding would be starved); its
// warnings would reach the user's terminal, and errors come back as exceptions anyway.
inline int read_model(const char *path, model_format format, const std::vector<std::string> &layers, const char *what,
                      std::vector<uchar> &bytes, CTunePrepFaces_report *report) {
    cv::setNumThreads(std::min(2, std::max(1, cv::getNumberOfCPUs())));
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        say(report, std::string("cannot read ") + path + ": " + std::strerror(errno));
        return CTunePrepFaces_MODEL_ERROR;
    }
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    const char *data = reinterpret_cast<const char *>(bytes.data());
    cv::dnn::Net probe;
    try {
        probe = format == model_format::onnx ? cv::dnn::readNetFromONNX(data, bytes.size())
                                             : cv::dnn::readNetFromTensorflow(data, bytes.size());
    } catch (const cv::Exception &error) {
        say(report, std::string(path) + (format == model_format::onnx ? " is not an ONNX model" : " is not a TensorFlow graph")
                        + " OpenCV can read: " + first_line(error.err));
        return CTunePrepFaces_MODEL_ERROR;
    }
    for (const auto &layer : layers) {
        if (probe.getLayerId(layer) < 0) {
            say(report, std::string(path) + " is not " + what + " (it has no layer " + layer + ")");
            return CTunePrepFaces_MODEL_ERROR;
        }
    }
    return CTunePrepFaces_OK;
}

class network_slot {
public:
    // The process's one slot (an inline function's static: one instance across the files).
    static network_slot &shared() {
        static network_slot slot;
        return slot;
    }

    // Waits for the slot, then makes its network `owner`'s model at `width` x `height`. The caller
    // must call `release` when its pass is over, whatever happened (see `turn`).
    cv::dnn::Net &acquire(const void *owner, const std::vector<uchar> &model, model_format format, int width, int height) {
        std::unique_lock<std::mutex> hold(lock_);
        idle_.wait(hold, [&] { return !busy_; });
        busy_ = true;
        const bool rebuild = net_.empty() || owner_ != owner || width_ != width || height_ != height;
        hold.unlock();
        if (rebuild) {
            try {
                net_ = cv::dnn::Net();  // the old activations go before the new ones come
                owner_ = nullptr;
                // And back to the system: the new network's buffers have other sizes, so the
                // freed ones would otherwise stay in the heap beside them.
                malloc_trim(0);
                const char *bytes = reinterpret_cast<const char *>(model.data());
                net_ = format == model_format::onnx ? cv::dnn::readNetFromONNX(bytes, model.size())
                                                    : cv::dnn::readNetFromTensorflow(bytes, model.size());
                net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
                net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
                owner_ = owner;
                width_ = width;
                height_ = height;
            } catch (...) {
                release();
                throw;
            }
        }
        return net_;
    }

    void release() {
        {
            std::lock_guard<std::mutex> hold(lock_);
            busy_ = false;
        }
        idle_.notify_one();
    }

    // Drops the network when it is `owner`'s (nullptr: whoever's), waiting for a pass in
    // progress: when a model is freed (a later model at the same address must not find it) or
    // after the last photo of a run.
    void forget(const void *owner) {
        std::unique_lock<std::mutex> hold(lock_);
        idle_.wait(hold, [&] { return !busy_; });
        if (owner == nullptr || owner_ == owner) {
            net_ = cv::dnn::Net();
            owner_ = nullptr;
        }
    }

    // Releases the slot when it goes out of scope.
    struct turn {
        network_slot &slot;
        ~turn() { slot.release(); }
    };

private:
    std::mutex lock_;
    std::condition_variable idle_;
    bool busy_ = false;
    const void *owner_ = nullptr;
    int width_ = 0;
    int height_ = 0;
    cv::dnn::Net net_;
};

}  // namespace tuneprep_faces

#endif
