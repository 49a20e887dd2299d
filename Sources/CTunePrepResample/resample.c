// The two passes of TunePrep's separable resampler. Every path rounds the same way (add half,
// shift, clamp to 0...255), so AVX2, SSE2 and the plain loops give identical bytes; the tests
// run each path against a straightforward reference.
#include "CTunePrepResample.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TP_X86 1
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

// MARK: - Choosing a path

static atomic_int selected_isa = -1;

CTunePrepResample_isa CTunePrepResample_best_isa(void) {
#if TP_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return CTunePrepResample_AVX2;
#if defined(__SSE2__)
    return CTunePrepResample_SSE2;
#endif
#endif
    return CTunePrepResample_PLAIN;
}

CTunePrepResample_isa CTunePrepResample_use_isa(CTunePrepResample_isa wanted) {
    CTunePrepResample_isa best = CTunePrepResample_best_isa();
    CTunePrepResample_isa chosen = wanted < best ? wanted : best;
    atomic_store_explicit(&selected_isa, (int)chosen, memory_order_relaxed);
    return chosen;
}

static CTunePrepResample_isa current_isa(void) {
    int isa = atomic_load_explicit(&selected_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = (int)CTunePrepResample_best_isa();
        atomic_store_explicit(&selected_isa, isa, memory_order_relaxed);
    }
    return (CTunePrepResample_isa)isa;
}

// MARK: - Vertical pass

// Bytes [from, row_bytes) of one output row.
static void vertical_row_plain(const uint8_t *first, size_t src_stride, const int16_t *w, int n,
                               uint8_t *out, size_t from, size_t row_bytes) {
    for (size_t i = from; i < row_bytes; i++) {
        int32_t sum = HALF;
        for (int k = 0; k < n; k++) sum += (int32_t)w[k] * first[(size_t)k * src_stride + i];
        out[i] = clamp_sum(sum);
    }
}

#if TP_X86 && defined(__SSE2__)
// 16 bytes a step; two source rows at a time, interleaved as 16-bit pairs, so one pmaddwd does
// two taps for four bytes. The taps loop is inside: the sums stay in registers.
static size_t vertical_row_sse2(const uint8_t *first, size_t src_stride, const int16_t *w, int n,
                                uint8_t *out, size_t row_bytes) {
    const __m128i zero = _mm_setzero_si128();
    size_t i = 0;
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
        _mm_storeu_si128((__m128i *)(out + i), _mm_packus_epi16(_mm_packs_epi32(s0, s1), _mm_packs_epi32(s2, s3)));
    }
    return i;
}
#endif

#if TP_X86
// The SSE2 step on 32 bytes. Unpacks and packs both work within 128-bit lanes, so the byte order
// they shuffle comes back unshuffled.
__attribute__((target("avx2")))
static size_t vertical_row_avx2(const uint8_t *first, size_t src_stride, const int16_t *w, int n,
                                uint8_t *out, size_t row_bytes) {
    const __m256i zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= row_bytes; i += 32) {
        __m256i s0 = _mm256_set1_epi32(HALF), s1 = s0, s2 = s0, s3 = s0;
        for (int k = 0; k < n; k += 2) {
            const uint8_t *row_a = first + (size_t)k * src_stride + i;
            const uint8_t *row_b = k + 1 < n ? row_a + src_stride : row_a;
            const __m256i pair = _mm256_set1_epi32(weight_pair(w + k));
            const __m256i a = _mm256_loadu_si256((const __m256i *)row_a);
            const __m256i b = _mm256_loadu_si256((const __m256i *)row_b);
            const __m256i a_lo = _mm256_unpacklo_epi8(a, zero), a_hi = _mm256_unpackhi_epi8(a, zero);
            const __m256i b_lo = _mm256_unpacklo_epi8(b, zero), b_hi = _mm256_unpackhi_epi8(b, zero);
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a_lo, b_lo), pair));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a_lo, b_lo), pair));
            s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_unpacklo_epi16(a_hi, b_hi), pair));
            s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(_mm256_unpackhi_epi16(a_hi, b_hi), pair));
        }
        s0 = _mm256_srai_epi32(s0, CTunePrepResample_PRECISION);
        s1 = _mm256_srai_epi32(s1, CTunePrepResample_PRECISION);
        s2 = _mm256_srai_epi32(s2, CTunePrepResample_PRECISION);
        s3 = _mm256_srai_epi32(s3, CTunePrepResample_PRECISION);
        _mm256_storeu_si256((__m256i *)(out + i),
                            _mm256_packus_epi16(_mm256_packs_epi32(s0, s1), _mm256_packs_epi32(s2, s3)));
    }
    return i;
}
#endif

void CTunePrepResample_vertical(const uint8_t *src, size_t src_stride, int src_height,
                                uint8_t *dst, size_t dst_stride, int dst_height, size_t row_bytes,
                                CTunePrepResample_taps taps) {
    (void)src_height;
    const CTunePrepResample_isa isa = current_isa();
    for (int y = 0; y < dst_height; y++) {
        const int16_t *w = taps.weights + (size_t)y * (size_t)taps.weight_stride;
        const int n = taps.counts[y];
        const uint8_t *first = src + (size_t)taps.starts[y] * src_stride;
        uint8_t *out = dst + (size_t)y * dst_stride;
        size_t done = 0;
#if TP_X86
        if (isa >= CTunePrepResample_AVX2) done = vertical_row_avx2(first, src_stride, w, n, out, row_bytes);
#endif
#if TP_X86 && defined(__SSE2__)
        if (isa >= CTunePrepResample_SSE2) {
            done += vertical_row_sse2(first + done, src_stride, w, n, out + done, row_bytes - done);
        }
#endif
        vertical_row_plain(first, src_stride, w, n, out, done, row_bytes);
    }
}

// MARK: - Horizontal pass

static void horizontal_plain(const uint8_t *src, size_t src_stride, uint8_t *dst, ptrdiff_t pixel_step,
                             ptrdiff_t row_step, int dst_width, int height, CTunePrepResample_taps taps) {
    for (int y = 0; y < height; y++) {
        const uint8_t *row = src + (size_t)y * src_stride;
        uint8_t *out = dst + (ptrdiff_t)y * row_step;
        for (int x = 0; x < dst_width; x++) {
            const int16_t *w = taps.weights + (size_t)x * (size_t)taps.weight_stride;
            const uint8_t *p = row + (size_t)taps.starts[x] * 3;
            int32_t r = HALF, g = HALF, b = HALF;
            for (int k = 0; k < taps.counts[x]; k++) {
                r += (int32_t)w[k] * p[k * 3];
                g += (int32_t)w[k] * p[k * 3 + 1];
                b += (int32_t)w[k] * p[k * 3 + 2];
            }
            uint8_t *pixel = out + (ptrdiff_t)x * pixel_step;
            pixel[0] = clamp_sum(r);
            pixel[1] = clamp_sum(g);
            pixel[2] = clamp_sum(b);
        }
    }
}

// The vector paths load whole pixels past the taps they weight (with zero weights): up to 16
// bytes past a row's last pixel. Inside the raster that is the next row; the last row is copied
// into a padded scratch row so nothing past the buffer is read.
enum { ROW_PADDING = 32 };

// Writes a pixel's 3 bytes from the low bytes of `rgbx`. Along an unturned row the fourth byte
// may land on the next output pixel (written next), never past the row's end.
static inline void store_rgb(uint8_t *out, int x, int dst_width, ptrdiff_t pixel_step, int32_t rgbx) {
    if (pixel_step == 3 && x + 1 < dst_width) memcpy(out + (ptrdiff_t)x * 3, &rgbx, 4);
    else memcpy(out + (ptrdiff_t)x * pixel_step, &rgbx, 3);
}

#if TP_X86 && defined(__SSE2__)
// Two taps a step: each pixel loaded as 4 bytes, widened to 16 bits, the pair interleaved as
// [r0 r1 g0 g1 b0 b1 x x] so one pmaddwd gives [r g b x].
static void horizontal_row_sse2(const uint8_t *row, uint8_t *out, ptrdiff_t pixel_step, int dst_width,
                                CTunePrepResample_taps taps) {
    const __m128i zero = _mm_setzero_si128();
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
            sum = _mm_add_epi32(sum, _mm_madd_epi16(_mm_unpacklo_epi16(pa, pb), _mm_set1_epi32(weight_pair(w + k))));
        }
        sum = _mm_srai_epi32(sum, CTunePrepResample_PRECISION);
        store_rgb(out, x, dst_width, pixel_step, _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(sum, sum), zero)));
    }
}
#endif

#if TP_X86
// Four taps a step: 16 source bytes (pixels k...k+3) broadcast to both 128-bit lanes; one shuffle
// makes [r0 r1 g0 g1 b0 b1 0 0] in the low lane and the same of pixels k+2, k+3 in the high lane,
// and one vpmaddwd against weights laid out the same way gives six products summed in pairs.
// `expanded` holds those weight vectors, `groups` per output pixel.
__attribute__((target("avx2")))
static void horizontal_row_avx2(const uint8_t *row, uint8_t *out, ptrdiff_t pixel_step, int dst_width,
                                CTunePrepResample_taps taps, const __m256i *expanded, int groups) {
    const __m256i shuffle = _mm256_setr_epi8(
        0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
        6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
    const __m128i half = _mm_set1_epi32(HALF);
    for (int x = 0; x < dst_width; x++) {
        const int n = taps.counts[x];
        const uint8_t *p = row + (size_t)taps.starts[x] * 3;
        const __m256i *w = expanded + (size_t)x * (size_t)groups;
        __m256i sum = _mm256_setzero_si256();
        for (int k = 0, g = 0; k < n; k += 4, g++) {
            const __m256i pixels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(p + k * 3)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_shuffle_epi8(pixels, shuffle), _mm256_load_si256(w + g)));
        }
        __m128i total = _mm_add_epi32(_mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1)), half);
        total = _mm_srai_epi32(total, CTunePrepResample_PRECISION);
        store_rgb(out, x, dst_width, pixel_step,
                  _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(total, total), _mm_setzero_si128())));
    }
}

// The weights of every output pixel in the AVX2 layout: per group of four taps,
// [w0 w1 w0 w1 w0 w1 0 0 | w2 w3 w2 w3 w2 w3 0 0]; zero past each pixel's count.
static __m256i *expand_weights(int dst_width, CTunePrepResample_taps taps, int groups) {
    __m256i *expanded = aligned_alloc(32, (size_t)dst_width * (size_t)groups * sizeof(__m256i));
    if (expanded == NULL) return NULL;
    for (int x = 0; x < dst_width; x++) {
        const int16_t *w = taps.weights + (size_t)x * (size_t)taps.weight_stride;
        const int n = taps.counts[x];
        for (int g = 0; g < groups; g++) {
            int16_t lanes[16] = {0};
            for (int half = 0; half < 2; half++) {
                for (int j = 0; j < 2; j++) {
                    int k = g * 4 + half * 2 + j;
                    int16_t weight = k < n ? w[k] : 0;
                    for (int c = 0; c < 3; c++) lanes[half * 8 + c * 2 + j] = weight;
                }
            }
            memcpy(expanded + (size_t)x * (size_t)groups + g, lanes, sizeof lanes);
        }
    }
    return expanded;
}
#endif

// What a horizontal pass needs besides its rows: the instruction set, the AVX2 weight layout and
// a padded scratch row. Built once per pass (or once per stream, which runs it row by row).
typedef struct {
    CTunePrepResample_isa isa;
    CTunePrepResample_taps taps;
    int dst_width;
    size_t row_bytes;
    uint8_t *scratch;  // NULL: the plain loop (no vector path, or no memory for one)
#if TP_X86
    __m256i *expanded;
    int groups;
#endif
} horizontal_plan;

static void horizontal_plan_init(horizontal_plan *plan, int src_width, int dst_width, CTunePrepResample_taps taps) {
    memset(plan, 0, sizeof *plan);
    plan->isa = current_isa();
    plan->taps = taps;
    plan->dst_width = dst_width;
    plan->row_bytes = (size_t)src_width * 3;
#if TP_X86
    if (plan->isa >= CTunePrepResample_AVX2) {
        int most = 0;
        for (int x = 0; x < dst_width; x++) most = taps.counts[x] > most ? taps.counts[x] : most;
        plan->groups = (most + 3) / 4 > 0 ? (most + 3) / 4 : 1;
        plan->expanded = expand_weights(dst_width, taps, plan->groups);
    }
#endif
    if (plan->isa >= CTunePrepResample_SSE2) plan->scratch = malloc(plan->row_bytes + ROW_PADDING);
    if (plan->scratch != NULL) memset(plan->scratch + plan->row_bytes, 0, ROW_PADDING);
}

static void horizontal_plan_free(horizontal_plan *plan) {
    free(plan->scratch);
#if TP_X86
    free(plan->expanded);
#endif
}

// `padded`: the last row may be read ROW_PADDING bytes past its end (a stream's own row buffer),
// so it need not be copied into the scratch row first.
static void horizontal_plan_run(const horizontal_plan *plan, const uint8_t *src, size_t src_stride, int padded,
                                uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step, int height) {
    if (plan->scratch == NULL) {
        horizontal_plain(src, src_stride, dst, dst_pixel_step, dst_row_step, plan->dst_width, height, plan->taps);
        return;
    }
    for (int y = 0; y < height; y++) {
        const uint8_t *row = src + (size_t)y * src_stride;
        if (y == height - 1 && !padded) {
            memcpy(plan->scratch, row, plan->row_bytes);
            row = plan->scratch;
        }
        uint8_t *out = dst + (ptrdiff_t)y * dst_row_step;
#if TP_X86
        if (plan->expanded != NULL) {
            horizontal_row_avx2(row, out, dst_pixel_step, plan->dst_width, plan->taps, plan->expanded, plan->groups);
            continue;
        }
#endif
#if TP_X86 && defined(__SSE2__)
        horizontal_row_sse2(row, out, dst_pixel_step, plan->dst_width, plan->taps);
#endif
    }
}

void CTunePrepResample_horizontal_rgb(const uint8_t *src, size_t src_stride, int src_width,
                                      uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step,
                                      int dst_width, int height, CTunePrepResample_taps taps) {
    horizontal_plan plan;
    horizontal_plan_init(&plan, src_width, dst_width, taps);
    horizontal_plan_run(&plan, src, src_stride, 0, dst, dst_pixel_step, dst_row_step, height);
    horizontal_plan_free(&plan);
}

// MARK: - Streaming: both passes as the rows arrive

struct CTunePrepResample_stream {
    int src_width, src_height, dst_width, dst_height;
    size_t row_bytes;
    // Copies of the caller's taps, so they live as long as the stream.
    int32_t *v_starts, *v_counts, *h_starts, *h_counts;
    int16_t *v_weights, *h_weights;
    int v_weight_stride;
    horizontal_plan horizontal;
    // The last `window` source rows, each stored twice (at r % window and r % window + window),
    // so any `window` consecutive rows are contiguous for the vertical kernel.
    uint8_t *ring;
    int window;
    uint8_t *column_row;  // one vertical output, padded for the vector loads
    uint8_t *dst;
    ptrdiff_t dst_pixel_step, dst_row_step;
    int rows_in, rows_out;
};

static void *copy_of(const void *source, size_t bytes) {
    void *copy = malloc(bytes > 0 ? bytes : 1);
    if (copy != NULL && bytes > 0) memcpy(copy, source, bytes);
    return copy;
}

void CTunePrepResample_stream_free(CTunePrepResample_stream *stream) {
    if (stream == NULL) return;
    horizontal_plan_free(&stream->horizontal);
    free(stream->v_starts);
    free(stream->v_counts);
    free(stream->v_weights);
    free(stream->h_starts);
    free(stream->h_counts);
    free(stream->h_weights);
    free(stream->ring);
    free(stream->column_row);
    free(stream);
}

CTunePrepResample_stream *CTunePrepResample_stream_create(
    int src_width, int src_height, int dst_width, int dst_height,
    CTunePrepResample_taps vertical, CTunePrepResample_taps horizontal,
    uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step) {
    if (src_width < 1 || src_height < 1 || dst_width < 1 || dst_height < 1 || dst == NULL) return NULL;
    CTunePrepResample_stream *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->src_width = src_width;
    s->src_height = src_height;
    s->dst_width = dst_width;
    s->dst_height = dst_height;
    s->row_bytes = (size_t)src_width * 3;
    s->dst = dst;
    s->dst_pixel_step = dst_pixel_step;
    s->dst_row_step = dst_row_step;
    const size_t vw = (size_t)dst_height * (size_t)vertical.weight_stride;
    const size_t hw = (size_t)dst_width * (size_t)horizontal.weight_stride;
    s->v_starts = copy_of(vertical.starts, (size_t)dst_height * sizeof(int32_t));
    s->v_counts = copy_of(vertical.counts, (size_t)dst_height * sizeof(int32_t));
    s->v_weights = copy_of(vertical.weights, vw * sizeof(int16_t));
    s->h_starts = copy_of(horizontal.starts, (size_t)dst_width * sizeof(int32_t));
    s->h_counts = copy_of(horizontal.counts, (size_t)dst_width * sizeof(int32_t));
    s->h_weights = copy_of(horizontal.weights, hw * sizeof(int16_t));
    if (!s->v_starts || !s->v_counts || !s->v_weights || !s->h_starts || !s->h_counts || !s->h_weights) {
        CTunePrepResample_stream_free(s);
        return NULL;
    }
    s->v_weight_stride = vertical.weight_stride;
    // Each output row's window of source rows must lie inside the image and move only forward;
    // the widest window sets the ring's size.
    int window = 1;
    for (int y = 0; y < dst_height; y++) {
        const int start = s->v_starts[y], count = s->v_counts[y];
        const int end = start + count;
        if (start < 0 || count < 1 || end > src_height
            || (y > 0 && (start < s->v_starts[y - 1] || end < s->v_starts[y - 1] + s->v_counts[y - 1]))) {
            CTunePrepResample_stream_free(s);
            return NULL;
        }
        if (count > window) window = count;
    }
    s->window = window;
    s->ring = malloc(s->row_bytes * 2 * (size_t)window);
    s->column_row = malloc(s->row_bytes + ROW_PADDING);
    if (s->ring == NULL || s->column_row == NULL) {
        CTunePrepResample_stream_free(s);
        return NULL;
    }
    memset(s->column_row + s->row_bytes, 0, ROW_PADDING);
    horizontal_plan_init(&s->horizontal, src_width, dst_width,
                         (CTunePrepResample_taps){s->h_starts, s->h_counts, s->h_weights, horizontal.weight_stride});
    return s;
}

int CTunePrepResample_stream_write(void *context, const uint8_t *rows, size_t stride, uint32_t count) {
    CTunePrepResample_stream *s = context;
    if (s == NULL || (int64_t)s->rows_in + count > s->src_height) return -1;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *row = rows + (size_t)i * stride;
        const int slot = s->rows_in % s->window;
        memcpy(s->ring + (size_t)slot * s->row_bytes, row, s->row_bytes);
        memcpy(s->ring + (size_t)(slot + s->window) * s->row_bytes, row, s->row_bytes);
        s->rows_in++;
        // Every output row whose window is now complete. Windows end in order, and each is at
        // most `window` rows ending at the newest, so all of it is still in the ring.
        while (s->rows_out < s->dst_height
               && s->v_starts[s->rows_out] + s->v_counts[s->rows_out] <= s->rows_in) {
            const int y = s->rows_out;
            const int32_t zero = 0;
            const CTunePrepResample_taps one = {&zero, s->v_counts + y,
                                                s->v_weights + (size_t)y * (size_t)s->v_weight_stride,
                                                s->v_weight_stride};
            const uint8_t *first = s->ring + (size_t)(s->v_starts[y] % s->window) * s->row_bytes;
            CTunePrepResample_vertical(first, s->row_bytes, s->v_counts[y], s->column_row, s->row_bytes, 1,
                                       s->row_bytes, one);
            horizontal_plan_run(&s->horizontal, s->column_row, s->row_bytes, 1,
                                s->dst + (ptrdiff_t)y * s->dst_row_step, s->dst_pixel_step, s->dst_row_step, 1);
            s->rows_out++;
        }
    }
    return 0;
}

int CTunePrepResample_stream_finished(const CTunePrepResample_stream *stream) {
    return stream != NULL && stream->rows_out == stream->dst_height && stream->rows_in == stream->src_height;
}

// MARK: - Turning without resizing

void CTunePrepResample_orient_rgb(const uint8_t *src, size_t src_stride, int width, int height,
                                  uint8_t *dst, ptrdiff_t dst_pixel_step, ptrdiff_t dst_row_step) {
    // In 32x32 tiles: a turn writes down the output's columns, and a tile's output rows stay in
    // cache while they are filled. Pixels move as 4-byte loads and 3-byte stores; the load of a
    // row's last pixel stays in bounds by taking 3 bytes.
    enum { TILE = 32 };
    for (int ty = 0; ty < height; ty += TILE) {
        const int y_end = ty + TILE < height ? ty + TILE : height;
        for (int tx = 0; tx < width; tx += TILE) {
            const int x_end = tx + TILE < width ? tx + TILE : width;
            for (int y = ty; y < y_end; y++) {
                const uint8_t *in = src + (size_t)y * src_stride;
                uint8_t *out = dst + (ptrdiff_t)y * dst_row_step;
                int x = tx;
                const int safe_end = x_end < width ? x_end : width - 1;
                for (; x < safe_end; x++) {
                    uint32_t pixel;
                    memcpy(&pixel, in + (size_t)x * 3, 4);
                    memcpy(out + (ptrdiff_t)x * dst_pixel_step, &pixel, 3);
                }
                for (; x < x_end; x++) memcpy(out + (ptrdiff_t)x * dst_pixel_step, in + (size_t)x * 3, 3);
            }
        }
    }
}
