// Colour through LittleCMS: an ICC profile's pixels to sRGB (the decoders use it; tests check
// it against an independent conversion), and a Display P3 profile for fixtures.
#ifndef CTUNEPREP_IMAGING_COLOR_PUBLIC_H
#define CTUNEPREP_IMAGING_COLOR_PUBLIC_H

#include "CTunePrepImaging_common.h"

// Converts packed 8-bit RGB from an ICC profile to sRGB in place. Returns OK without change when the
// profile is sRGB; CORRUPT when the profile is unusable.
CTunePrepImaging_status CTunePrepImaging_rgb_to_srgb(
    uint8_t *pixels, size_t pixel_count, const uint8_t *icc, size_t icc_size,
    char *description, size_t description_capacity, int *converted, CTunePrepImaging_report *report);

// A Display P3 ICC profile (P3 primaries, D65, sRGB curve), for fixtures. Free with CTunePrepImaging_free.
CTunePrepImaging_status CTunePrepImaging_display_p3_profile(uint8_t **output, size_t *output_size);

#endif
