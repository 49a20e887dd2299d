// What dlib's frontal face model costs per photo on each scan pyramid, and what unpacking the
// built-in model costs: `bash benchmarks/face_search/run.sh` builds and runs it.
#include <dlib/image_processing/frontal_face_detector.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using clock_type = std::chrono::steady_clock;
static double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

template <int N>
void scan(const dlib::array2d<unsigned char> &img, const dlib::frontal_face_detector &model, int reps, const char *name) {
    std::stringstream bytes;
    dlib::serialize(model, bytes);
    dlib::object_detector<dlib::scan_fhog_pyramid<dlib::pyramid_down<N>>> detector;
    dlib::deserialize(detector, bytes);
    std::vector<dlib::rect_detection> found;
    detector(img, found, 0);  // warm-up
    auto t0 = clock_type::now();
    for (int i = 0; i < reps; i++) { found.clear(); detector(img, found, 0); }
    std::printf("%-24s pyramid %d/%d: %6.1f ms, %zu faces\n", name, N - 1, N, ms_since(t0) / reps, found.size());
}

int main(int argc, char **argv) {
    auto t0 = clock_type::now();
    auto model = dlib::get_frontal_face_detector();
    std::printf("unpacking dlib's built-in model: %.1f ms\n", ms_since(t0));
    for (int a = 1; a < argc; a++) {
        std::ifstream f(argv[a], std::ios::binary);
        std::string magic; int w, h, max;
        f >> magic >> w >> h >> max; f.get();
        dlib::array2d<unsigned char> img(h, w);
        f.read(reinterpret_cast<char *>(&img[0][0]), static_cast<std::streamsize>(w) * h);
        const char *name = argv[a];
        scan<6>(img, model, 5, name); scan<5>(img, model, 5, name); scan<4>(img, model, 5, name); scan<3>(img, model, 5, name);
    }
}
