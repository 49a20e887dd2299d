// libFuzzer entry points for TunePrep's C decoders, one binary per format (built by
// scripts/fuzz.sh with -DTP_FUZZ_FORMAT=1 jpeg, 2 png, 3 heif, 4 webp). Each input goes
// through what `tuneprep check` does with a file of that format: the header read, then a
// decode under the same limits (a JPEG and a PNG also through a row sink, as the resize does).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "CTunePrepImaging.h"

#ifndef TP_FUZZ_FORMAT
#error "define TP_FUZZ_FORMAT (1 jpeg, 2 png, 3 heif, 4 webp)"
#endif

// A sink that checks what it is given and keeps nothing, like a resample stream would.
typedef struct {
    uint32_t rows;
    uint32_t width;
    uint32_t height;
    uint64_t checksum;
} tp_fuzz_sink;

static int tp_fuzz_write(void *context, const uint8_t *rows, size_t stride, uint32_t count) {
    tp_fuzz_sink *sink = context;
    if (sink->rows + count > sink->height) return 1;
    // Touch every byte handed over, so ASan sees a read past a short buffer.
    for (uint32_t y = 0; y < count; y++) {
        for (size_t x = 0; x < (size_t)sink->width * 3; x++) sink->checksum += rows[y * stride + x];
    }
    sink->rows += count;
    return 0;
}

static void tp_fuzz_touch(const CTunePrepImaging_rgb_image *image) {
    if (image->pixels == NULL) return;
    volatile uint64_t sum = 0;
    size_t bytes = (size_t)image->width * image->height * 3;
    for (size_t i = 0; i < bytes; i += 61) sum += image->pixels[i];
    if (bytes > 0) sum += image->pixels[bytes - 1];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // 24 MP: big enough for real photos, small enough that a fuzzed header cannot exhaust the
    // 2 GB libFuzzer allows (the command's default is 100 MP; the checks are the same code).
    CTunePrepImaging_decode_options limits = {24000000, 1000, 8u << 20, 8u << 20, 1};
    CTunePrepImaging_report report;
    CTunePrepImaging_rgb_image image;
    memset(&image, 0, sizeof image);
#if TP_FUZZ_FORMAT == 1
    CTunePrepImaging_jpeg_info info;
    if (CTunePrepImaging_jpeg_read_info(data, size, &info, &report) != CTunePrepImaging_OK) return 0;
    if ((uint64_t)info.width * info.height > limits.max_pixels) return 0;
    int scale = (size & 1) ? 8 : 2;  // the full-size and a DCT-scaled decode
    if (CTunePrepImaging_jpeg_decode(data, size, scale, &limits, NULL, &image, &report) == CTunePrepImaging_OK) {
        tp_fuzz_touch(&image);
        tp_fuzz_sink sink = {0, image.width, image.height, 0};
        CTunePrepImaging_row_sink row_sink = {&sink, tp_fuzz_write, image.width, image.height};
        CTunePrepImaging_free(image.pixels);
        memset(&image, 0, sizeof image);
        CTunePrepImaging_jpeg_decode(data, size, scale, &limits, &row_sink, &image, &report);
    }
    CTunePrepImaging_free(image.pixels);
#elif TP_FUZZ_FORMAT == 2
    CTunePrepImaging_png_info info;
    if (CTunePrepImaging_png_read_info(data, size, &limits, &info, &report) != CTunePrepImaging_OK) return 0;
    if ((uint64_t)info.width * info.height > limits.max_pixels) return 0;
    if (CTunePrepImaging_png_decode(data, size, &limits, 255, 255, 255, NULL, &image, &report) == CTunePrepImaging_OK) {
        tp_fuzz_touch(&image);
        tp_fuzz_sink sink = {0, image.width, image.height, 0};
        CTunePrepImaging_row_sink row_sink = {&sink, tp_fuzz_write, image.width, image.height};
        CTunePrepImaging_free(image.pixels);
        memset(&image, 0, sizeof image);
        CTunePrepImaging_png_decode(data, size, &limits, 0, 0, 0, &row_sink, &image, &report);
    }
    CTunePrepImaging_free(image.pixels);
#elif TP_FUZZ_FORMAT == 3
    CTunePrepImaging_heif_info info;
    if (CTunePrepImaging_heif_read_info(data, size, &info, &report) != CTunePrepImaging_OK) return 0;
    if ((uint64_t)info.width * info.height > limits.max_pixels) return 0;
    if (CTunePrepImaging_heif_decode(data, size, &limits, 255, 255, 255, &image, &report) == CTunePrepImaging_OK) tp_fuzz_touch(&image);
    CTunePrepImaging_free(image.pixels);
#elif TP_FUZZ_FORMAT == 4
    CTunePrepImaging_webp_info info;
    if (CTunePrepImaging_webp_read_info(data, size, &info, &report) != CTunePrepImaging_OK) return 0;
    if ((uint64_t)info.width * info.height > limits.max_pixels) return 0;
    if (CTunePrepImaging_webp_decode(data, size, &limits, 255, 255, 255, &image, &report) == CTunePrepImaging_OK) tp_fuzz_touch(&image);
    CTunePrepImaging_free(image.pixels);
#endif
    return 0;
}
