// TunePrep's resampling kernels: the two passes of a separable, fixed-point filter over packed
// 8-bit RGB rows. The filter (which source pixels each output reads, and their weights) is built
// in Swift; these loops only apply it. They are in C so that they vectorise the same way in every
// build: AVX2 where the CPU has it (checked at run time), SSE2 on any other x86-64, and a plain
// loop elsewhere. Every path gives the same bytes.
#ifndef CTUNEPREP_RESAMPLE_H
#define CTUNEPREP_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

// The fixed point of the weights: they sum to 1 << CTunePrepResample_PRECISION for each output.
#define CTunePrepResample_PRECISION 14

// Output `i` reads `counts[i]` consecutive source pixels (or rows) from `starts[i]`, weighted by
// `weights[i * weight_stride ...]`. `weight_stride` is even and each row of weights is zero
// after its count, so the kernels may read weights in pairs.
typedef struct {
    const int32_t *starts;
    const int32_t *counts;
    const int16_t *weights;
    int weight_stride;
} CTunePrepResample_taps;

// Vertical pass: every output row `y` (of `dst_height`) is the weighted sum of whole source rows.
// `row_bytes` bytes of each row are filtered (width * 3 for RGB).
void CTunePrepResample_vertical(const uint8_t *src, size_t src_stride, int src_height,
                                uint8_t *dst, size_t dst_stride, int dst_height, size_t row_bytes,
                                CTunePrepResample_taps taps);

// Horizontal pass over packed RGB: output pixel `x` (of `dst_width`) of each of the `height` rows
// is the weighted sum of source pixels of the same row. It is stored at
// `dst + x * dst_pixel_step + y * dst_row_step` (bytes, either may be negative), so the pass can
// write the image already turned upright: steps of 3 and the row's bytes mean no turn.
void CTunePrepResample_horizontal_rgb(const uint8_t *src, size_t src_stride, int src_width,
                                      uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step,
                                      int dst_width, int height, CTunePrepResample_taps taps);

// Copies a packed RGB raster of `width` x `height`, pixel (x, y) going to
// `dst + x * dst_pixel_step + y * dst_row_step`: an EXIF turn, for images that are not resized.
void CTunePrepResample_orient_rgb(const uint8_t *src, size_t src_stride, int width, int height,
                                  uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step);

// Both passes as the source rows arrive (from a decoder, say), so the source is never held
// whole: only the last few rows the vertical filter reads. Output row `y` goes where
// CTunePrepResample_horizontal_rgb would put it, and the bytes are the same as the two passes
// over a whole raster. Create returns NULL if memory runs out or the vertical taps do not move
// forward through the source (the Swift side's taps always do).
typedef struct CTunePrepResample_stream CTunePrepResample_stream;

CTunePrepResample_stream *CTunePrepResample_stream_create(
    int src_width, int src_height, int dst_width, int dst_height,
    CTunePrepResample_taps vertical, CTunePrepResample_taps horizontal,
    uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step);

// Takes `count` packed RGB rows of the source's width, `stride` bytes apart. `context` is the
// stream: the signature is a decoder's row sink. Returns 0, or -1 past the source's last row.
int CTunePrepResample_stream_write(void *context, const uint8_t *rows, size_t stride, uint32_t count);

// 1 once every source row has arrived and every output row is written.
int CTunePrepResample_stream_finished(const CTunePrepResample_stream *stream);

void CTunePrepResample_stream_free(CTunePrepResample_stream *stream);

// Which instruction set the kernels use: the best the CPU has (the default), or a lower one so
// tests can check every path on one machine. Returns the level now in use.
typedef enum {
    CTunePrepResample_PLAIN = 0,
    CTunePrepResample_SSE2 = 1,
    CTunePrepResample_AVX2 = 2,
} CTunePrepResample_isa;

CTunePrepResample_isa CTunePrepResample_best_isa(void);
CTunePrepResample_isa CTunePrepResample_use_isa(CTunePrepResample_isa wanted);

#endif
