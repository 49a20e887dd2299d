// Internal helpers shared by the codec shims (not part of the module's public headers).
#ifndef CTUNEPREP_IMAGING_REPORT_H
#define CTUNEPREP_IMAGING_REPORT_H

#include "include/CTunePrepImaging_common.h"

void CTunePrepImaging_report_reset(CTunePrepImaging_report *report);
void CTunePrepImaging_report_error(CTunePrepImaging_report *report, const char *text);
void CTunePrepImaging_report_warning(CTunePrepImaging_report *report, const char *text);

// True (and the report says why) when width x height is over a non-zero pixel limit.
int CTunePrepImaging_over_pixel_limit(uint32_t width, uint32_t height, uint64_t max_pixels, CTunePrepImaging_report *report);

// True (and the report says why) when a sink was planned for another size than width x height.
int CTunePrepImaging_sink_size_differs(const CTunePrepImaging_row_sink *sink, uint32_t width, uint32_t height,
                                       CTunePrepImaging_report *report);

// Composites `count` RGBA pixels over a background into RGB. `rgb` may alias `rgba` (in place):
// each write stays behind the read.
void CTunePrepImaging_composite(const uint8_t *rgba, uint8_t *rgb, size_t count, uint8_t red, uint8_t green, uint8_t blue);

#endif
