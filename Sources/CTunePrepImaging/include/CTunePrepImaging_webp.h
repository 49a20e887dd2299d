// WebP through libwebp: the header and the decode of the first frame; the lossless encoder is
// for test fixtures only.
#ifndef CTUNEPREP_IMAGING_WEBP_H
#define CTUNEPREP_IMAGING_WEBP_H

#include "CTunePrepImaging_common.h"

// The size of the first frame; `frame_count` counts an animation's frames.
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

// Lossless WebP, for fixtures. Free with CTunePrepImaging_free.
CTunePrepImaging_status CTunePrepImaging_webp_encode_lossless(
    const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **output, size_t *output_size);

#endif
