// Internal: colour management shared by the decoders (LittleCMS).
#ifndef CTUNEPREP_IMAGING_COLOR_H
#define CTUNEPREP_IMAGING_COLOR_H

#include "include/CTunePrepImaging_common.h"
#include <lcms2.h>

// A transform from an embedded ICC profile to sRGB for pixels in `input_format` (TYPE_RGB_8,
// TYPE_CMYK_8, TYPE_CMYK_8_REV), output TYPE_RGB_8. Returns NULL when no conversion is needed
// (an sRGB profile) or possible (an unusable profile, or one for another colour space: then a
// warning says so). `description` receives the profile's description either way.
cmsHTRANSFORM CTunePrepImaging_color_transform(
    const uint8_t *icc, size_t size, cmsUInt32Number input_format,
    char *description, size_t description_capacity, CTunePrepImaging_report *report);

// Display P3 (P3 primaries, D65, the sRGB curve), for HEIF files that say so with an nclx box
// instead of an ICC profile.
cmsHTRANSFORM CTunePrepImaging_color_transform_display_p3(void);

void CTunePrepImaging_color_apply(cmsHTRANSFORM transform, const void *input, uint8_t *output, size_t pixels);

#endif
