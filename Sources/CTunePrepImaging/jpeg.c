// libjpeg-turbo behind a status-returning API. libjpeg reports fatal errors through error_exit,
// which must not return: ours records the message and longjmps back to the entry point that
// called setjmp, in this file, so no Swift frame is ever skipped.
#include "include/CTunePrepImaging_jpeg.h"
#include "color.h"
#include "report.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    CTunePrepImaging_report *report;
    CTunePrepImaging_status status;
} tp_jpeg_error;

typedef struct {
    struct jpeg_progress_mgr pub;
    uint32_t max_scans;
} tp_jpeg_progress;

static void tp_jpeg_fail(j_common_ptr cinfo, CTunePrepImaging_status status) {
    tp_jpeg_error *error = (tp_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    CTunePrepImaging_report_error(error->report, text);
    error->status = status;
    longjmp(error->jump, 1);
}

static void tp_jpeg_error_exit(j_common_ptr cinfo) {
    switch (cinfo->err->msg_code) {
    case JERR_OUT_OF_MEMORY:
        tp_jpeg_fail(cinfo, CTunePrepImaging_NO_MEMORY);
        break;
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF:
        tp_jpeg_fail(cinfo, CTunePrepImaging_TRUNCATED);
        break;
    case JERR_BAD_PRECISION:
    case JERR_ARITH_NOTIMPL:
        tp_jpeg_fail(cinfo, CTunePrepImaging_UNSUPPORTED);
        break;
    default:
        tp_jpeg_fail(cinfo, CTunePrepImaging_CORRUPT);
        break;
    }
}

// libjpeg treats a truncated entropy stream as a warning and fills the rest of the image with
// grey. For a training photo that is data loss, so the "premature end" family fails the decode;
// the rest (extraneous bytes before a marker, a bad Huffman code libjpeg recovers from, odd JFIF
// versions) are kept as warnings, as djpeg and Pillow keep them.
static void tp_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; // trace messages
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
        tp_jpeg_fail(cinfo, CTunePrepImaging_TRUNCATED);
        break;
    default: {
        tp_jpeg_error *error = (tp_jpeg_error *)cinfo->err;
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        CTunePrepImaging_report_warning(error->report, text);
        cinfo->err->num_warnings++;
        break;
    }
    }
}

// A progressive JPEG may carry thousands of tiny scans, each a full pass over the coefficient
// buffer: the classic JPEG bomb. The progress monitor runs between scans and stops that.
static void tp_jpeg_progress_monitor(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    tp_jpeg_progress *progress = (tp_jpeg_progress *)cinfo->progress;
    if (progress->max_scans > 0 && (uint32_t)dinfo->input_scan_number > progress->max_scans) {
        tp_jpeg_error *error = (tp_jpeg_error *)cinfo->err;
        char text[CTunePrepImaging_MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "progressive JPEG has more than %u scans", progress->max_scans);
        CTunePrepImaging_report_error(error->report, text);
        error->status = CTunePrepImaging_LIMITS;
        longjmp(error->jump, 1);
    }
}

static struct jpeg_error_mgr *tp_jpeg_error_init(tp_jpeg_error *error, CTunePrepImaging_report *report) {
    memset(error, 0, sizeof *error);
    struct jpeg_error_mgr *manager = jpeg_std_error(&error->pub);
    error->pub.error_exit = tp_jpeg_error_exit;
    error->pub.emit_message = tp_jpeg_emit_message;
    error->report = report;
    error->status = CTunePrepImaging_OK;
    return manager;
}

static int tp_jpeg_colorspace(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return CTunePrepImaging_JPEG_GRAY;
    case JCS_YCbCr: return CTunePrepImaging_JPEG_YCBCR;
    case JCS_RGB: return CTunePrepImaging_JPEG_RGB;
    case JCS_CMYK: return CTunePrepImaging_JPEG_CMYK;
    case JCS_YCCK: return CTunePrepImaging_JPEG_YCCK;
    default: return CTunePrepImaging_JPEG_OTHER;
    }
}

static void tp_jpeg_fill_info(j_decompress_ptr cinfo, CTunePrepImaging_jpeg_info *info) {
    info->width = cinfo->image_width;
    info->height = cinfo->image_height;
    info->components = cinfo->num_components;
    info->colorspace = tp_jpeg_colorspace(cinfo->jpeg_color_space);
    info->progressive = cinfo->progressive_mode ? 1 : 0;
    info->adobe_marker = cinfo->saw_Adobe_marker ? 1 : 0;
    info->bits_per_sample = cinfo->data_precision;
}

// CMYK as Photoshop writes it (with an Adobe marker) is stored inverted: 255 means no ink.
static void tp_cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width, int inverted) {
    for (JDIMENSION x = 0; x < width; x++) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[0] = (uint8_t)((c * k + 127) / 255);
        rgb[1] = (uint8_t)((m * k + 127) / 255);
        rgb[2] = (uint8_t)((y * k + 127) / 255);
        cmyk += 4;
        rgb += 3;
    }
}

CTunePrepImaging_status CTunePrepImaging_jpeg_read_info(
    const uint8_t *data, size_t size,
    CTunePrepImaging_jpeg_info *info, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (data == NULL || info == NULL || size == 0) {
        CTunePrepImaging_report_error(report, size == 0 ? "empty file" : "no data");
        return size == 0 ? CTunePrepImaging_TRUNCATED : CTunePrepImaging_BAD_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    tp_jpeg_error error;
    cinfo.err = tp_jpeg_error_init(&error, report);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return error.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    tp_jpeg_fill_info(&cinfo, info);
    jpeg_destroy_decompress(&cinfo);
    return CTunePrepImaging_OK;
}

#define TP_JPEG_ROWS_PER_CALL 16

// The decode itself, from memory (`data`, `size`) or from an open file (`file`): libjpeg's own
// sources for both, which end a short input the same way (a warning, then a fake EOI). With a
// `sink`, rows go to it a few at a time and no raster is kept (`image->pixels` stays NULL).
static CTunePrepImaging_status tp_jpeg_decode(
    const uint8_t *data, size_t size, FILE *file, int scale_numerator,
    const CTunePrepImaging_decode_options *limits, const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {

    struct jpeg_decompress_struct cinfo;
    tp_jpeg_error error;
    tp_jpeg_progress progress;
    // Written after setjmp and read after a longjmp: volatile, so the cleanup sees them.
    uint8_t *volatile pixels = NULL;
    JSAMPLE *volatile cmyk_rows = NULL;
    cmsHTRANSFORM volatile transform = NULL;
    CTunePrepImaging_status failure = CTunePrepImaging_OK;

    memset(&progress, 0, sizeof progress);
    cinfo.err = tp_jpeg_error_init(&error, report);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(cmyk_rows);
        if (transform != NULL) cmsDeleteTransform(transform);
        return error.status;
    }
    jpeg_create_decompress(&cinfo);
    if (limits->manage_color) jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xFFFF);  // ICC_PROFILE chunks
    progress.pub.progress_monitor = tp_jpeg_progress_monitor;
    progress.max_scans = limits->max_scans;
    cinfo.progress = &progress.pub;
    if (file != NULL) jpeg_stdio_src(&cinfo, file);
    else jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    if (CTunePrepImaging_over_pixel_limit(cinfo.image_width, cinfo.image_height, limits->max_pixels, report)) {
        jpeg_destroy_decompress(&cinfo);
        return CTunePrepImaging_TOO_LARGE;
    }

    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = cinfo.saw_Adobe_marker;
    image->profile[0] = '\0';
    image->color_converted = 0;
    image->image_count = 1;
    if (limits->manage_color && cinfo.jpeg_color_space != JCS_GRAYSCALE) {
        JOCTET *icc = NULL;
        unsigned int icc_size = 0;
        if (jpeg_read_icc_profile(&cinfo, &icc, &icc_size)) {
            cmsUInt32Number format = !is_cmyk ? TYPE_RGB_8 : inverted ? TYPE_CMYK_8_REV : TYPE_CMYK_8;
            transform = CTunePrepImaging_color_transform(icc, icc_size, format, image->profile, sizeof image->profile, report);
            free(icc);
        }
    }
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = (unsigned int)scale_numerator;
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);

    JDIMENSION width = cinfo.output_width, height = cinfo.output_height;
    size_t stride = (size_t)width * 3;
    if (CTunePrepImaging_sink_size_differs(sink, width, height, report)) {
        failure = CTunePrepImaging_BAD_ARGUMENT;
        goto abandon;
    }
    // A sink takes rows as they come: then only one call's worth of rows is held here.
    pixels = malloc(stride * (sink != NULL ? TP_JPEG_ROWS_PER_CALL : height));
    if (pixels == NULL) {
        CTunePrepImaging_report_error(report, "out of memory for the decoded image");
        failure = CTunePrepImaging_NO_MEMORY;
        goto abandon;
    }
    if (is_cmyk) {
        cmyk_rows = malloc((size_t)width * 4 * TP_JPEG_ROWS_PER_CALL);
        if (cmyk_rows == NULL) {
            CTunePrepImaging_report_error(report, "out of memory for CMYK rows");
            failure = CTunePrepImaging_NO_MEMORY;
            goto abandon;
        }
    }
    JSAMPROW rows[TP_JPEG_ROWS_PER_CALL];
    while (cinfo.output_scanline < height) {
        JDIMENSION first = cinfo.output_scanline;
        JDIMENSION wanted = height - first;
        if (wanted > TP_JPEG_ROWS_PER_CALL) wanted = TP_JPEG_ROWS_PER_CALL;
        for (JDIMENSION i = 0; i < wanted; i++) {
            rows[i] = is_cmyk ? cmyk_rows + (size_t)i * width * 4 : pixels + (size_t)(sink ? i : first + i) * stride;
        }
        JDIMENSION got = jpeg_read_scanlines(&cinfo, rows, wanted);
        for (JDIMENSION i = 0; i < got; i++) {
            uint8_t *out = pixels + (size_t)(sink ? i : first + i) * stride;
            if (transform != NULL) {
                CTunePrepImaging_color_apply(transform, rows[i], out, width);
            } else if (is_cmyk) {
                tp_cmyk_row_to_rgb(rows[i], out, width, inverted);
            }
        }
        if (got == 0) {
            // Only a suspending source returns no rows; memory and stdio sources never should.
            CTunePrepImaging_report_error(report, "decoder made no progress");
            failure = CTunePrepImaging_CORRUPT;
            goto abandon;
        }
        if (sink != NULL && sink->write(sink->context, pixels, stride, got) != 0) {
            CTunePrepImaging_report_error(report, "the resize refused a row");
            failure = CTunePrepImaging_BAD_ARGUMENT;
            goto abandon;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_rows);
    if (transform != NULL) {
        cmsDeleteTransform(transform);
        image->color_converted = 1;
    }
    if (sink != NULL) {
        free(pixels);
        pixels = NULL;
    }
    image->pixels = pixels;
    image->width = width;
    image->height = height;
    return CTunePrepImaging_OK;

abandon:
    // A failure we found (not libjpeg's longjmp, handled above): the same cleanup.
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    free(cmyk_rows);
    if (transform != NULL) cmsDeleteTransform(transform);
    return failure;
}

static int tp_jpeg_decode_arguments_ok(int scale_numerator, const CTunePrepImaging_decode_options *limits,
                                       CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (image == NULL || limits == NULL || scale_numerator < 1 || scale_numerator > 16) {
        CTunePrepImaging_report_error(report, "bad argument to jpeg_decode");
        return 0;
    }
    image->pixels = NULL;
    image->width = 0;
    image->height = 0;
    return 1;
}

CTunePrepImaging_status CTunePrepImaging_jpeg_decode(
    const uint8_t *data, size_t size, int scale_numerator,
    const CTunePrepImaging_decode_options *limits, const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    if (!tp_jpeg_decode_arguments_ok(scale_numerator, limits, image, report)) return CTunePrepImaging_BAD_ARGUMENT;
    if (data == NULL || size == 0) {
        CTunePrepImaging_report_error(report, "empty file");
        return CTunePrepImaging_TRUNCATED;
    }
    return tp_jpeg_decode(data, size, NULL, scale_numerator, limits, sink, image, report);
}

CTunePrepImaging_status CTunePrepImaging_jpeg_decode_file(
    const char *path, int scale_numerator,
    const CTunePrepImaging_decode_options *limits, const CTunePrepImaging_row_sink *sink,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    if (path == NULL || !tp_jpeg_decode_arguments_ok(scale_numerator, limits, image, report)) {
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        char text[CTunePrepImaging_MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "cannot read the file again: %s", strerror(errno));
        CTunePrepImaging_report_error(report, text);
        return CTunePrepImaging_IO_ERROR;
    }
    CTunePrepImaging_status status = tp_jpeg_decode(NULL, 0, file, scale_numerator, limits, sink, image, report);
    fclose(file);
    return status;
}

CTunePrepImaging_status CTunePrepImaging_jpeg_encode(
    const uint8_t *pixels, uint32_t width, uint32_t height,
    const CTunePrepImaging_jpeg_encode_options *options,
    uint8_t **output, size_t *output_size, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (pixels == NULL || options == NULL || output == NULL || output_size == NULL ||
        width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION ||
        options->quality < 1 || options->quality > 100 ||
        (options->input_components != 1 && options->input_components != 3 && options->input_components != 4) ||
        (options->app1 != NULL && options->app1_size > 65533) ||
        (options->app2 != NULL && options->app2_size > 65533)) {
        CTunePrepImaging_report_error(report, "bad argument to jpeg_encode");
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    *output = NULL;
    *output_size = 0;

    struct jpeg_compress_struct cinfo;
    tp_jpeg_error error;
    // jpeg_mem_dest writes through these pointers, so they live in memory across the longjmp.
    unsigned char *buffer = NULL;
    unsigned long buffer_size = 0;

    cinfo.err = tp_jpeg_error_init(&error, report);
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return error.status;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = options->input_components;
    cinfo.in_color_space = options->input_components == 1 ? JCS_GRAYSCALE
                         : options->input_components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, options->quality, TRUE);
    cinfo.optimize_coding = options->optimize_coding ? TRUE : FALSE;
    cinfo.dct_method = JDCT_ISLOW;
    if (options->input_components == 3) {
        int factor = options->chroma_444 ? 1 : 2;
        cinfo.comp_info[0].h_samp_factor = factor;
        cinfo.comp_info[0].v_samp_factor = factor;
    }
    if (options->input_components == 4) cinfo.write_Adobe_marker = options->write_adobe_marker ? TRUE : FALSE;
    if (options->progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (options->app1 != NULL && options->app1_size > 0) {
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, options->app1, (unsigned int)options->app1_size);
    }
    if (options->app2 != NULL && options->app2_size > 0) {
        jpeg_write_marker(&cinfo, JPEG_APP0 + 2, options->app2, (unsigned int)options->app2_size);
    }
    size_t stride = (size_t)width * (size_t)options->input_components;
    JSAMPROW rows[TP_JPEG_ROWS_PER_CALL];
    while (cinfo.next_scanline < height) {
        JDIMENSION first = cinfo.next_scanline;
        JDIMENSION count = height - first;
        if (count > TP_JPEG_ROWS_PER_CALL) count = TP_JPEG_ROWS_PER_CALL;
        for (JDIMENSION i = 0; i < count; i++) rows[i] = (JSAMPROW)(pixels + (size_t)(first + i) * stride);
        jpeg_write_scanlines(&cinfo, rows, count);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *output = buffer;
    *output_size = buffer_size;
    return CTunePrepImaging_OK;
}
