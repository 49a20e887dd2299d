// JPEG through libjpeg-turbo: the header, the decode (DCT-scaled, from memory or read from its
// file, whole or into a row sink) and the encoder TunePrep's outputs come from.
#ifndef CTUNEPREP_IMAGING_JPEG_H
#define CTUNEPREP_IMAGING_JPEG_H

#include "CTunePrepImaging_common.h"

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

#endif
