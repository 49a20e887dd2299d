// HEIF/HEIC through libheif: the header and the decode of the primary image.
#ifndef CTUNEPREP_IMAGING_HEIF_H
#define CTUNEPREP_IMAGING_HEIF_H

#include "CTunePrepImaging_common.h"

// The container's rotation and mirroring are applied by the decoder (so EXIF orientation must
// not be applied again); width/height are after them.
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

#endif
