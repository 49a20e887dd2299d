// The C side of TunePrep's imaging: every call into libjpeg-turbo, libpng, libheif, libwebp and
// LittleCMS lives here, a header per codec. Each entry point does one coarse job and returns a
// status; a library error (which libjpeg and libpng report by longjmp) becomes a status plus the
// library's own message. No Swift frame is ever between a setjmp and its longjmp.
// This umbrella is the module Swift imports (`import CTunePrepImaging`).
#ifndef CTUNEPREP_IMAGING_H
#define CTUNEPREP_IMAGING_H

#include "CTunePrepImaging_common.h"
#include "CTunePrepImaging_jpeg.h"
#include "CTunePrepImaging_png.h"
#include "CTunePrepImaging_heif.h"
#include "CTunePrepImaging_webp.h"
#include "CTunePrepImaging_color.h"

#endif
