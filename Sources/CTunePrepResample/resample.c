// The two passes of TunePrep's separable resampler. Both round the same way (add half, shift,
// clamp to 0...255), so the SSE2 path and the plain path give identical bytes; the tests hold the
// SSE2 path to a straightforward reference.
#include "CTunePrepResample.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define CTUNEPREP_RESAMPLE_SSE2 1
#endif

enum { HALF = 1 << (CTunePrepResample_PRECISION - 1) };

static inline uint8_t clamp_sum(int32_t sum) {
    int32_t value = sum >> CTunePrepResample_PRECISION;
    return (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
}

// Two adjacent int16 weights as one int32 (the low one first): the operand of pmaddwd.
static inline int32_t weight_pair(const int16_t *w) {
    int32_t pair;
    memcpy(&pair, w, sizeof pair);
    return pair;
}

void CTunePrepResample_vertical(const uint8_t *src, size_t src_stride, int src_height,
                                uint8_t *dst, size_t dst_stride, int dst_height, size_t row_bytes,
                                CTunePrepResample_taps taps) {
    (void)src_height;
    for (int y = 0; y < dst_height; y++) {
        const int16_t *w = taps.weights + (size_t)y * (size_t)taps.weight_stride;
        const int n = taps.counts[y];
        const uint8_t *first = src + (size_t)taps.starts[y] * src_stride;
        uint8_t *out = dst + (size_t)y * dst_stride;
        size_t i = 0;
#if CTUNEPREP_RESAMPLE_SSE2
        // 16 bytes a step; two source rows at a time, interleaved as 16-bit pairs, so one pmaddwd
        // does two taps for four bytes. The taps loop is inside: the sums stay in registers.
        const __m128i zero = _mm_setzero_si128();
        for (; i + 16 <= row_bytes; i += 16) {
            __m128i s0 = _mm_set1_epi32(HALF), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < n; k += 2) {
                const uint8_t *row_a = first + (size_t)k * src_stride + i;
                // The odd last tap pairs with itself; its partner weight is zero.
                const uint8_t *row_b = k + 1 < n ? row_a + src_stride : row_a;
                const __m128i pair = _mm_set1_epi32(weight_pair(w + k));
                const __m128i a = _mm_loadu_si128((const __m128i *)row_a);
                const __m128i b = _mm_loadu_si128((const __m128i *)row_b);
                const __m128i a_lo = _mm_unpacklo_epi8(a, zero), a_hi = _mm_unpackhi_epi8(a, zero);
                const __m128i b_lo = _mm_unpacklo_epi8(b, zero), b_hi = _mm_unpackhi_epi8(b, zero);
                s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_unpacklo_epi16(a_lo, b_lo), pair));
                s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_unpackhi_epi16(a_lo, b_lo), pair));
                s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpacklo_epi16(a_hi, b_hi), pair));
                s3 = _mm_add_epi32(s3, _mm_madd_epi16(_mm_unpackhi_epi16(a_hi, b_hi), pair));
            }
            s0 = _mm_srai_epi32(s0, CTunePrepResample_PRECISION);
            s1 = _mm_srai_epi32(s1, CTunePrepResample_PRECISION);
            s2 = _mm_srai_epi32(s2, CTunePrepResample_PRECISION);
            s3 = _mm_srai_epi32(s3, CTunePrepResample_PRECISION);
            // Saturating packs clamp to 0...255 on the way down.
            const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(s0, s1), _mm_packs_epi32(s2, s3));
            _mm_storeu_si128((__m128i *)(out + i), packed);
        }
#endif
        for (; i < row_bytes; i++) {
            int32_t sum = HALF;
            for (int k = 0; k < n; k++) sum += (int32_t)w[k] * first[(size_t)k * src_stride + i];
            out[i] = clamp_sum(sum);
        }
    }
}

void CTunePrepResample_horizontal_rgb(const uint8_t *src, size_t src_stride, int src_width,
                                      uint8_t *dst, size_t dst_stride, int dst_width, int height,
                                      CTunePrepResample_taps taps) {
#if CTUNEPREP_RESAMPLE_SSE2
    // Each tap loads a whole pixel as 4 bytes, one past the pixel; a pair of taps may also touch
    // the pixel just past the row. Inside the raster that is the next row (weighted zero); the
    // last row is copied into a padded scratch row so nothing past the buffer is read.
    const size_t row_bytes = (size_t)src_width * 3;
    uint8_t *scratch = malloc(row_bytes + 16);
    if (!scratch) {
        // Out of memory for 6 KB: fall back to the plain loop below, which reads only in bounds.
        goto plain;
    }
    memset(scratch + row_bytes, 0, 16);
    const __m128i zero = _mm_setzero_si128();
    for (int y = 0; y < height; y++) {
        const uint8_t *row = src + (size_t)y * src_stride;
        if (y == height - 1) {
            memcpy(scratch, row, row_bytes);
            row = scratch;
        }
        uint8_t *out = dst + (size_t)y * dst_stride;
        for (int x = 0; x < dst_width; x++) {
            const int16_t *w = taps.weights + (size_t)x * (size_t)taps.weight_stride;
            const int n = taps.counts[x];
            const uint8_t *p = row + (size_t)taps.starts[x] * 3;
            __m128i sum = _mm_set1_epi32(HALF);
            for (int k = 0; k < n; k += 2) {
                int32_t a, b;
                memcpy(&a, p + k * 3, 4);
                memcpy(&b, p + k * 3 + 3, 4);
                const __m128i pa = _mm_unpacklo_epi8(_mm_cvtsi32_si128(a), zero);
                const __m128i pb = _mm_unpacklo_epi8(_mm_cvtsi32_si128(b), zero);
                // [r0 r1 g0 g1 b0 b1 x x] * [w0 w1 ...] -> [r g b x]
                sum = _mm_add_epi32(sum, _mm_madd_epi16(_mm_unpacklo_epi16(pa, pb), _mm_set1_epi32(weight_pair(w + k))));
            }
            sum = _mm_srai_epi32(sum, CTunePrepResample_PRECISION);
            const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(sum, sum), zero);
            const int32_t rgbx = _mm_cvtsi128_si32(packed);
            // The fourth byte lands on the next output pixel, written next; not past the row's end.
            if (x + 1 < dst_width) memcpy(out + (size_t)x * 3, &rgbx, 4);
            else memcpy(out + (size_t)x * 3, &rgbx, 3);
        }
    }
    free(scratch);
    return;
plain:
#endif
    (void)src_width;
    for (int y = 0; y < height; y++) {
        const uint8_t *row = src + (size_t)y * src_stride;
        uint8_t *out = dst + (size_t)y * dst_stride;
        for (int x = 0; x < dst_width; x++) {
            const int16_t *w = taps.weights + (size_t)x * (size_t)taps.weight_stride;
            const uint8_t *p = row + (size_t)taps.starts[x] * 3;
            int32_t r = HALF, g = HALF, b = HALF;
            for (int k = 0; k < taps.counts[x]; k++) {
                r += (int32_t)w[k] * p[k * 3];
                g += (int32_t)w[k] * p[k * 3 + 1];
                b += (int32_t)w[k] * p[k * 3 + 2];
            }
            out[x * 3] = clamp_sum(r);
            out[x * 3 + 1] = clamp_sum(g);
            out[x * 3 + 2] = clamp_sum(b);
        }
    }
}
