// PNG through libpng: the header and the decode (whole or into a row sink); the encoder is for
// test fixtures and samples only.
#ifndef CTUNEPREP_IMAGING_PNG_H
#define CTUNEPREP_IMAGING_PNG_H

#include "CTunePrepImaging_common.h"

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;        // PNG_COLOR_TYPE_* values
    int interlaced;
    int has_transparency;  // an alpha channel or a tRNS chunk
} CTunePrepImaging_png_info;

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

#endif
