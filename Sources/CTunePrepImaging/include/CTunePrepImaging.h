// The C side of TunePrep's imaging: every call into libjpeg-turbo and libpng lives here.
// Each entry point does one coarse job and returns a status; a library error (which those
// libraries report by longjmp) becomes a status plus the library's own message. No Swift frame
// is ever between a setjmp and its longjmp.
#ifndef CTUNEPREP_IMAGING_H
#define CTUNEPREP_IMAGING_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CTunePrepImaging_OK = 0,
    CTunePrepImaging_CORRUPT = 1,      // the library refused the data
    CTunePrepImaging_TRUNCATED = 2,    // the data ends (or a segment ends) before the image does
    CTunePrepImaging_TOO_LARGE = 3,    // the declared pixel count is over the caller's limit
    CTunePrepImaging_UNSUPPORTED = 4,  // valid, but a kind we do not decode (e.g. 12-bit JPEG)
    CTunePrepImaging_NO_MEMORY = 5,
    CTunePrepImaging_LIMITS = 6,       // abusive structure: oversized chunks, too many scans
    CTunePrepImaging_BAD_ARGUMENT = 7,
    CTunePrepImaging_IO_ERROR = 8,     // the file could not be opened or read
} CTunePrepImaging_status;

#define CTunePrepImaging_MESSAGE_CAPACITY 256
#define CTunePrepImaging_WARNINGS_CAPACITY 1024

// What a call says besides its status: the error message, and the warnings it collected
// (one per line, the first few kept, all counted).
typedef struct {
    char message[CTunePrepImaging_MESSAGE_CAPACITY];
    char warnings[CTunePrepImaging_WARNINGS_CAPACITY];
    int warning_count;
} CTunePrepImaging_report;

// Colour model of a JPEG as stored.
typedef enum {
    CTunePrepImaging_JPEG_GRAY = 1,
    CTunePrepImaging_JPEG_YCBCR = 2,
    CTunePrepImaging_JPEG_RGB = 3,
    CTunePrepImaging_JPEG_CMYK = 4,
    CTunePrepImaging_JPEG_YCCK = 5,
    CTunePrepImaging_JPEG_OTHER = 6,
} CTunePrepImaging_jpeg_colorspace;

typedef struct {
    uint32_t width;
    uint32_t height;
    int components;
    int colorspace;        // CTunePrepImaging_jpeg_colorspace
    int progressive;
    int adobe_marker;      // an Adobe APP14 marker was seen (CMYK is then stored inverted)
    int bits_per_sample;
} CTunePrepImaging_jpeg_info;

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;        // PNG_COLOR_TYPE_* values
    int interlaced;
    int has_transparency;  // an alpha channel or a tRNS chunk
} CTunePrepImaging_png_info;

// A decoded image: 8-bit sRGB, rows packed (stride = width * 3). Free pixels with CTunePrepImaging_free.
typedef struct {
    uint8_t *pixels;
    uint32_t width;
    uint32_t height;
    // The embedded colour profile's description ("" when none), and whether the pixels were
    // converted from it to sRGB.
    char profile[96];
    int color_converted;
    // HEIF: the number of top-level images (the primary one is decoded). WebP: animation frames.
    int image_count;
} CTunePrepImaging_rgb_image;

// Limits applied while decoding (anything over them is refused before pixels are allocated),
// and whether embedded colour profiles are honoured.
typedef struct {
    uint64_t max_pixels;
    uint32_t max_scans;          // progressive JPEG scans (a JPEG-bomb vector)
    uint64_t max_chunk_bytes;    // PNG: largest ancillary chunk libpng may allocate
    uint64_t max_text_bytes;     // PNG: largest decompressed text/iCCP payload
    int manage_color;            // convert from an embedded ICC profile (or PNG gAMA) to sRGB
} CTunePrepImaging_decode_options;

void CTunePrepImaging_free(void *pointer);

// Where a decode can send its rows instead of keeping a raster: `write` gets `count` packed RGB
// rows, `stride` bytes apart, top to bottom; a nonzero return stops the decode. The sink was
// built for `expected_width` x `expected_height` (the decoded size); any other size is refused.
// (CTunePrepResample_stream_write has this signature.)
typedef struct {
    void *context;
    int (*write)(void *context, const uint8_t *rows, size_t stride, uint32_t count);
    uint32_t expected_width;
    uint32_t expected_height;
} CTunePrepImaging_row_sink;

// JPEG
CTunePrepImaging_status CTunePrepImaging_jpeg_read_info(
    const uint8_t *data, size_t size,
    CTunePrepImaging_jpeg_info *info, CTunePrepImaging_report *report);

// Decodes at scale_numerator/8 (1...16) using libjpeg-turbo's DCT-domain scaling, to 8-bit RGB.
// Grayscale is expanded, CMYK and YCCK (Adobe-inverted or not) are converted to RGB. With a
// `sink` (else NULL) the rows go to it and `image->pixels` stays NULL; the rest of `image` is set.
CTunePrepImaging_status CTunePrepImaging_jpeg_decode(
    const uint8_t *data, size_t size, int scale_numerator,
    const CTunePrepImaging_decode_options *limits, const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report);

// The same, reading the file at `path` as it decodes (4 kB at a time), so a large JPEG is never
// held in memory whole.
CTunePrepImaging_status CTunePrepImaging_jpeg_decode_file(
    const char *path, int scale_numerator,
    const CTunePrepImaging_decode_options *limits, const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report);

typedef struct {
    int quality;              // 1...100
    int chroma_444;           // 1: no chroma subsampling; 0: 4:2:0
    int optimize_coding;      // optimised Huffman tables
    int progressive;
    int input_components;     // 1 gray, 3 RGB, 4 CMYK (test fixtures); outputs of TunePrep use 3
    int write_adobe_marker;   // with 4 components: store inverted CMYK with an Adobe marker
    const uint8_t *app1;      // optional APP1 payload (fixtures only: EXIF); NULL for none
    size_t app1_size;
    const uint8_t *app2;      // optional APP2 payload (fixtures only: an ICC profile chunk)
    size_t app2_size;
} CTunePrepImaging_jpeg_encode_options;

// Encodes packed pixels to a JFIF without any metadata but what options name. *output is
// allocated with malloc; free it with CTunePrepImaging_free.
CTunePrepImaging_status CTunePrepImaging_jpeg_encode(
    const uint8_t *pixels, uint32_t width, uint32_t height,
    const CTunePrepImaging_jpeg_encode_options *options,
    uint8_t **output, size_t *output_size, CTunePrepImaging_report *report);

// PNG
CTunePrepImaging_status CTunePrepImaging_png_read_info(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *limits,
    CTunePrepImaging_png_info *info, CTunePrepImaging_report *report);

// Decodes any PNG to 8-bit RGB: palettes and low bit depths expanded, 16-bit scaled down,
// interlacing undone, transparency composited over the background colour. With a `sink` (else
// NULL) the rows go to it (a non-interlaced PNG a few rows at a time) and `image->pixels` stays NULL.
CTunePrepImaging_status CTunePrepImaging_png_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *limits,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report);

typedef struct {
    int color_type;           // PNG_COLOR_TYPE_GRAY (0), RGB (2), PALETTE (3), GRAY_ALPHA (4), RGBA (6)
    int bit_depth;            // 1, 2, 4, 8 or 16 as the colour type allows; 16-bit samples big-endian
    int interlaced;
    const uint8_t *palette;   // RGB triples, for PALETTE
    int palette_entries;
    const uint8_t *transparency; // tRNS alpha per palette entry, for PALETTE; NULL for none
    int transparency_entries;
    const uint8_t *exif;      // optional eXIf payload (fixtures only)
    size_t exif_size;
} CTunePrepImaging_png_encode_options;

// Encodes packed samples (rows of width * channels * bytes per sample, or packed bits for
// depths under 8) to PNG. Used for test fixtures and samples.
CTunePrepImaging_status CTunePrepImaging_png_encode(
    const uint8_t *samples, uint32_t width, uint32_t height,
    const CTunePrepImaging_png_encode_options *options,
    uint8_t **output, size_t *output_size, CTunePrepImaging_report *report);

// HEIF/HEIC through libheif. The container's rotation and mirroring are applied by the
// decoder (so EXIF orientation must not be applied again); width/height are after them.
typedef struct {
    uint32_t width;
    uint32_t height;
    int has_alpha;
    int image_count;
} CTunePrepImaging_heif_info;

CTunePrepImaging_status CTunePrepImaging_heif_read_info(
    const uint8_t *data, size_t size, CTunePrepImaging_heif_info *info, CTunePrepImaging_report *report);

CTunePrepImaging_status CTunePrepImaging_heif_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *options,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report);

// WebP through libwebp (the first frame of an animation).
typedef struct {
    uint32_t width;
    uint32_t height;
    int has_alpha;
    int frame_count;
} CTunePrepImaging_webp_info;

CTunePrepImaging_status CTunePrepImaging_webp_read_info(
    const uint8_t *data, size_t size, CTunePrepImaging_webp_info *info, CTunePrepImaging_report *report);

CTunePrepImaging_status CTunePrepImaging_webp_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *options,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report);

// Colour: converts packed 8-bit RGB from an ICC profile to sRGB in place (used by the decoders,
// and by tests to check against an independent conversion). Returns OK without change when the
// profile is sRGB; CORRUPT when the profile is unusable.
CTunePrepImaging_status CTunePrepImaging_rgb_to_srgb(
    uint8_t *pixels, size_t pixel_count, const uint8_t *icc, size_t icc_size,
    char *description, size_t description_capacity, int *converted, CTunePrepImaging_report *report);

// A Display P3 ICC profile (P3 primaries, D65, sRGB curve), for fixtures. Free with CTunePrepImaging_free.
CTunePrepImaging_status CTunePrepImaging_display_p3_profile(uint8_t **output, size_t *output_size);

// Lossless WebP, for fixtures. Free with CTunePrepImaging_free.
CTunePrepImaging_status CTunePrepImaging_webp_encode_lossless(
    const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **output, size_t *output_size);

#endif
