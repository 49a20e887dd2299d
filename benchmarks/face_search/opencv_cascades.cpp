// OpenCV's cascades on the same grey photos, one thread: `bash benchmarks/face_search/run.sh`.
#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>

int main(int argc, char **argv) {
    cv::setNumThreads(1);
    cv::CascadeClassifier cascade(argv[1]);
    for (int a = 2; a < argc; a++) {
        std::ifstream f(argv[a], std::ios::binary);
        std::string magic; int w, h, max;
        f >> magic >> w >> h >> max; f.get();
        cv::Mat img(h, w, CV_8UC1);
        f.read(reinterpret_cast<char *>(img.data), static_cast<std::streamsize>(w) * h);
        std::vector<cv::Rect> found;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 5; i++) { found.clear(); cascade.detectMultiScale(img, found, 1.1, 1, 0, cv::Size(40, 40)); }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 5;
        std::printf("%-24s %s: %6.1f ms, %zu boxes\n", argv[a], argv[1] + std::string(argv[1]).rfind('/') + 1, ms, found.size());
    }
}
