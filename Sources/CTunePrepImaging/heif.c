// HEIF/HEIC through libheif. libheif reports errors as returned structs (no longjmp), so this
// file only turns them into statuses and keeps ownership straight.
#include "include/CTunePrepImaging_heif.h"
#include "color.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

static CTunePrepImaging_status tp_heif_status(struct heif_error error) {
    switch (error.code) {
    case heif_error_Ok: return CTunePrepImaging_OK;
    case heif_error_Unsupported_filetype:
    case heif_error_Unsupported_feature: return CTunePrepImaging_UNSUPPORTED;
    case heif_error_Memory_allocation_error: return CTunePrepImaging_NO_MEMORY;
    case heif_error_Decoder_plugin_error:
        return error.subcode == heif_suberror_End_of_data ? CTunePrepImaging_TRUNCATED : CTunePrepImaging_CORRUPT;
    default:
        return error.subcode == heif_suberror_End_of_data ? CTunePrepImaging_TRUNCATED : CTunePrepImaging_CORRUPT;
    }
}

static CTunePrepImaging_status tp_heif_fail(struct heif_error error, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_error(report, error.message != NULL ? error.message : "libheif error");
    CTunePrepImaging_status status = tp_heif_status(error);
    return status == CTunePrepImaging_OK ? CTunePrepImaging_CORRUPT : status;
}

// Opens the file and its primary image. On success the caller owns both.
static CTunePrepImaging_status tp_heif_open(
    const uint8_t *data, size_t size, struct heif_context **context, struct heif_image_handle **handle,
    CTunePrepImaging_report *report) {
    *context = NULL;
    *handle = NULL;
    if (data == NULL || size < 12) {
        CTunePrepImaging_report_error(report, "file too short for HEIF");
        return CTunePrepImaging_TRUNCATED;
    }
    struct heif_context *ctx = heif_context_alloc();
    if (ctx == NULL) {
        CTunePrepImaging_report_error(report, "out of memory creating a HEIF context");
        return CTunePrepImaging_NO_MEMORY;
    }
    struct heif_error error = heif_context_read_from_memory_without_copy(ctx, data, size, NULL);
    if (error.code != heif_error_Ok) {
        CTunePrepImaging_status status = tp_heif_fail(error, report);
        heif_context_free(ctx);
        return status;
    }
    struct heif_image_handle *primary = NULL;
    error = heif_context_get_primary_image_handle(ctx, &primary);
    if (error.code != heif_error_Ok) {
        CTunePrepImaging_status status = tp_heif_fail(error, report);
        heif_context_free(ctx);
        return status;
    }
    *context = ctx;
    *handle = primary;
    return CTunePrepImaging_OK;
}

CTunePrepImaging_status CTunePrepImaging_heif_read_info(
    const uint8_t *data, size_t size, CTunePrepImaging_heif_info *info, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (info == NULL) return CTunePrepImaging_BAD_ARGUMENT;
    struct heif_context *ctx;
    struct heif_image_handle *handle;
    CTunePrepImaging_status status = tp_heif_open(data, size, &ctx, &handle, report);
    if (status != CTunePrepImaging_OK) return status;
    info->width = (uint32_t)heif_image_handle_get_width(handle);
    info->height = (uint32_t)heif_image_handle_get_height(handle);
    info->has_alpha = heif_image_handle_has_alpha_channel(handle);
    info->image_count = heif_context_get_number_of_top_level_images(ctx);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return CTunePrepImaging_OK;
}

CTunePrepImaging_status CTunePrepImaging_heif_decode(
    const uint8_t *data, size_t size, const CTunePrepImaging_decode_options *options,
    uint8_t background_red, uint8_t background_green, uint8_t background_blue,
    CTunePrepImaging_rgb_image *image, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (image == NULL || options == NULL) return CTunePrepImaging_BAD_ARGUMENT;
    memset(image, 0, sizeof *image);
    struct heif_context *ctx;
    struct heif_image_handle *handle;
    CTunePrepImaging_status status = tp_heif_open(data, size, &ctx, &handle, report);
    if (status != CTunePrepImaging_OK) return status;

    uint32_t width = (uint32_t)heif_image_handle_get_width(handle);
    uint32_t height = (uint32_t)heif_image_handle_get_height(handle);
    if (CTunePrepImaging_over_pixel_limit(width, height, options->max_pixels, report)) {
        heif_image_handle_release(handle);
        heif_context_free(ctx);
        return CTunePrepImaging_TOO_LARGE;
    }
    int alpha = heif_image_handle_has_alpha_channel(handle);
    image->image_count = heif_context_get_number_of_top_level_images(ctx);

    // Colour: an ICC profile, or an nclx box naming the primaries (12 is Display P3).
    cmsHTRANSFORM transform = NULL;
    if (options->manage_color) {
        enum heif_color_profile_type type = heif_image_handle_get_color_profile_type(handle);
        if (type == heif_color_profile_type_prof || type == heif_color_profile_type_rICC) {
            size_t icc_size = heif_image_handle_get_raw_color_profile_size(handle);
            uint8_t *icc = icc_size > 0 && icc_size < (64u << 20) ? malloc(icc_size) : NULL;
            if (icc != NULL && heif_image_handle_get_raw_color_profile(handle, icc).code == heif_error_Ok) {
                transform = CTunePrepImaging_color_transform(icc, icc_size, TYPE_RGB_8, image->profile, sizeof image->profile, report);
            }
            free(icc);
        } else if (type == heif_color_profile_type_nclx) {
            struct heif_color_profile_nclx *nclx = NULL;
            if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code == heif_error_Ok && nclx != NULL) {
                if (nclx->color_primaries == heif_color_primaries_SMPTE_EG_432_1) {
                    snprintf(image->profile, sizeof image->profile, "Display P3 (nclx)");
                    transform = CTunePrepImaging_color_transform_display_p3();
                }
                heif_nclx_color_profile_free(nclx);
            }
        }
    }

    struct heif_image *decoded = NULL;
    struct heif_error error = heif_decode_image(
        handle, &decoded, heif_colorspace_RGB, alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, NULL);
    heif_image_handle_release(handle);
    if (error.code != heif_error_Ok) {
        status = tp_heif_fail(error, report);
        if (transform != NULL) cmsDeleteTransform(transform);
        heif_context_free(ctx);
        return status;
    }
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride);
    width = (uint32_t)heif_image_get_width(decoded, heif_channel_interleaved);
    height = (uint32_t)heif_image_get_height(decoded, heif_channel_interleaved);
    uint8_t *pixels = plane != NULL ? malloc((size_t)width * height * 3) : NULL;
    if (pixels == NULL) {
        CTunePrepImaging_report_error(report, plane == NULL ? "libheif returned no pixels" : "out of memory for the decoded image");
        heif_image_release(decoded);
        if (transform != NULL) cmsDeleteTransform(transform);
        heif_context_free(ctx);
        return plane == NULL ? CTunePrepImaging_CORRUPT : CTunePrepImaging_NO_MEMORY;
    }
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *in = plane + (size_t)y * (size_t)stride;
        uint8_t *out = pixels + (size_t)y * width * 3;
        if (alpha) {
            CTunePrepImaging_composite(in, out, width, background_red, background_green, background_blue);
        } else {
            memcpy(out, in, (size_t)width * 3);
        }
    }
    heif_image_release(decoded);
    heif_context_free(ctx);
    if (transform != NULL) {
        CTunePrepImaging_color_apply(transform, pixels, pixels, (size_t)width * height);
        cmsDeleteTransform(transform);
        image->color_converted = 1;
    }
    image->pixels = pixels;
    image->width = width;
    image->height = height;
    return CTunePrepImaging_OK;
}
