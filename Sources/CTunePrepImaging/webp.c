// WebP through libwebp: the demuxer finds the first frame and any ICC profile; the decoder
// returns RGBA, composited here over the background.
#include "include/CTunePrepImaging_webp.h"
#include "color.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>

CTunePrepImaging_status CTunePrepImaging_webp_read_info(
    const uint8_t *data, size_t size, CTunePrepImaging_webp_info *info, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (info == NULL) return CTunePrepImaging_BAD_ARGUMENT;
    WebPData webp = {data, size};
    WebPDemuxer *demux = WebPDemux(&webp);
    if (demux == NULL) {
        CTunePrepImaging_report_error(report, "not a readable WebP container");
        return CTunePrepImaging_CORRUPT;
    }
    info->width = WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH);
    info->height = WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT);
    info->frame_count = (int)WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT);
    info->has_alpha = (WebPDemuxGetI(demux, WEBP_FF_FORMAT_FLAGS) & ALPHA_FLAG) != 0;
    WebPDemuxDelete(demux);
    return CTunePrepImaging_OK;
}

CTunePrepImaging_status CTunePrepImaging_webp_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *options,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (image == NULL || options == NULL) return CTunePrepImaging_BAD_ARGUMENT;
    memset(image, 0, sizeof *image);
    WebPData webp = {data, size};
    WebPDemuxer *demux = WebPDemux(&webp);
    if (demux == NULL) {
        CTunePrepImaging_report_error(report, "not a readable WebP container (truncated or corrupt)");
        return CTunePrepImaging_CORRUPT;
    }
    uint32_t canvas_width = WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH);
    uint32_t canvas_height = WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT);
    if (CTunePrepImaging_over_pixel_limit(canvas_width, canvas_height, options->max_pixels, report)) {
        WebPDemuxDelete(demux);
        return CTunePrepImaging_TOO_LARGE;
    }
    image->image_count = (int)WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT);
    WebPIterator frame;
    if (!WebPDemuxGetFrame(demux, 1, &frame)) {
        CTunePrepImaging_report_error(report, "WebP has no frame");
        WebPDemuxDelete(demux);
        return CTunePrepImaging_CORRUPT;
    }
    cmsHTRANSFORM transform = NULL;
    WebPChunkIterator chunk;
    if (options->manage_color && WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) {
        transform = CTunePrepImaging_color_transform(chunk.chunk.bytes, chunk.chunk.size, TYPE_RGB_8, image->profile, sizeof image->profile, report);
        WebPDemuxReleaseChunkIterator(&chunk);
    }
    int width = 0, height = 0;
    uint8_t *rgba = WebPDecodeRGBA(frame.fragment.bytes, frame.fragment.size, &width, &height);
    WebPDemuxReleaseIterator(&frame);
    WebPDemuxDelete(demux);
    if (rgba == NULL || width <= 0 || height <= 0) {
        CTunePrepImaging_report_error(report, "WebP frame does not decode (truncated or corrupt)");
        if (transform != NULL) cmsDeleteTransform(transform);
        WebPFree(rgba);
        return CTunePrepImaging_CORRUPT;
    }
    size_t count = (size_t)width * (size_t)height;
    uint8_t *pixels = malloc(count * 3);
    if (pixels == NULL) {
        CTunePrepImaging_report_error(report, "out of memory for the decoded image");
        if (transform != NULL) cmsDeleteTransform(transform);
        WebPFree(rgba);
        return CTunePrepImaging_NO_MEMORY;
    }
    CTunePrepImaging_composite(rgba, pixels, count, background_red, background_green, background_blue);
    WebPFree(rgba);
    if (transform != NULL) {
        CTunePrepImaging_color_apply(transform, pixels, pixels, count);
        cmsDeleteTransform(transform);
        image->color_converted = 1;
    }
    image->pixels = pixels;
    image->width = (uint32_t)width;
    image->height = (uint32_t)height;
    return CTunePrepImaging_OK;
}

CTunePrepImaging_status CTunePrepImaging_webp_encode_lossless(
    const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **output, size_t *output_size) {
    if (rgb == NULL || output == NULL || output_size == NULL || width == 0 || height == 0) return CTunePrepImaging_BAD_ARGUMENT;
    uint8_t *encoded = NULL;
    size_t size = WebPEncodeLosslessRGB(rgb, (int)width, (int)height, (int)width * 3, &encoded);
    if (size == 0 || encoded == NULL) return CTunePrepImaging_NO_MEMORY;
    // Hand back malloc'd memory so CTunePrepImaging_free releases it like every other output.
    uint8_t *copy = malloc(size);
    if (copy == NULL) {
        WebPFree(encoded);
        return CTunePrepImaging_NO_MEMORY;
    }
    memcpy(copy, encoded, size);
    WebPFree(encoded);
    *output = copy;
    *output_size = size;
    return CTunePrepImaging_OK;
}
