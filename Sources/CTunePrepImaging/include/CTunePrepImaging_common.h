// What every codec of CTunePrepImaging shares: the status a call returns, the report of its
// message and warnings, the decoded image, the decode limits, and the row sink a streamed decode
// writes to.
#ifndef CTUNEPREP_IMAGING_COMMON_H
#define CTUNEPREP_IMAGING_COMMON_H

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

#endif
