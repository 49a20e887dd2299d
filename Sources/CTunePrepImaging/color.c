// Colour management: embedded profiles to sRGB with LittleCMS, so phones' Display P3 and
// cameras' Adobe RGB do not reach the trainer washed out.
#include "include/CTunePrepImaging_color.h"
#include "color.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cmsHPROFILE tp_srgb(void) { return cmsCreate_sRGBProfile(); }

static void tp_describe(cmsHPROFILE profile, char *description, size_t capacity) {
    if (description == NULL || capacity == 0) return;
    description[0] = '\0';
    cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", description, (cmsUInt32Number)capacity);
    description[capacity - 1] = '\0';
}

cmsHTRANSFORM CTunePrepImaging_color_transform(
    const uint8_t *icc, size_t size, cmsUInt32Number input_format,
    char *description, size_t description_capacity, CTunePrepImaging_report *report) {
    if (description != NULL && description_capacity > 0) description[0] = '\0';
    if (icc == NULL || size < 128) return NULL;
    cmsHPROFILE source = cmsOpenProfileFromMem(icc, (cmsUInt32Number)size);
    if (source == NULL) {
        CTunePrepImaging_report_warning(report, "embedded ICC profile is unreadable; taken as sRGB");
        return NULL;
    }
    tp_describe(source, description, description_capacity);
    cmsColorSpaceSignature space = cmsGetColorSpace(source);
    cmsColorSpaceSignature wanted = T_COLORSPACE(input_format) == PT_CMYK ? cmsSigCmykData : cmsSigRgbData;
    if (space != wanted) {
        char text[160];
        snprintf(text, sizeof text, "embedded ICC profile is for another colour space than the image's; ignored");
        CTunePrepImaging_report_warning(report, text);
        cmsCloseProfile(source);
        return NULL;
    }
    // An sRGB profile needs no work (and most profiles that say sRGB are the standard one).
    if (wanted == cmsSigRgbData && description != NULL && strstr(description, "sRGB") != NULL) {
        cmsCloseProfile(source);
        return NULL;
    }
    cmsHPROFILE target = tp_srgb();
    cmsHTRANSFORM transform = cmsCreateTransform(source, input_format, target, TYPE_RGB_8, INTENT_PERCEPTUAL, 0);
    cmsCloseProfile(source);
    cmsCloseProfile(target);
    if (transform == NULL) CTunePrepImaging_report_warning(report, "embedded ICC profile cannot be converted to sRGB; taken as sRGB");
    return transform;
}

static cmsHPROFILE tp_display_p3(void) {
    cmsCIExyY white = {0.3127, 0.3290, 1.0};
    cmsCIExyYTRIPLE primaries = {{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
    // The sRGB transfer curve: parametric type 4.
    cmsFloat64Number parameters[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(NULL, 4, parameters);
    if (curve == NULL) return NULL;
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE p3 = cmsCreateRGBProfile(&white, &primaries, curves);
    cmsFreeToneCurve(curve);
    return p3;
}

CTunePrepImaging_status CTunePrepImaging_display_p3_profile(uint8_t **output, size_t *output_size) {
    if (output == NULL || output_size == NULL) return CTunePrepImaging_BAD_ARGUMENT;
    *output = NULL;
    *output_size = 0;
    cmsHPROFILE p3 = tp_display_p3();
    if (p3 == NULL) return CTunePrepImaging_NO_MEMORY;
    cmsMLU *description = cmsMLUalloc(NULL, 1);
    cmsMLUsetASCII(description, "en", "US", "Display P3 (TunePrep fixture)");
    cmsWriteTag(p3, cmsSigProfileDescriptionTag, description);
    cmsMLUfree(description);
    cmsUInt32Number size = 0;
    CTunePrepImaging_status status = CTunePrepImaging_NO_MEMORY;
    if (cmsSaveProfileToMem(p3, NULL, &size) && size > 0) {
        uint8_t *bytes = malloc(size);
        if (bytes != NULL && cmsSaveProfileToMem(p3, bytes, &size)) {
            *output = bytes;
            *output_size = size;
            status = CTunePrepImaging_OK;
        } else {
            free(bytes);
        }
    }
    cmsCloseProfile(p3);
    return status;
}

cmsHTRANSFORM CTunePrepImaging_color_transform_display_p3(void) {
    cmsHPROFILE p3 = tp_display_p3();
    if (p3 == NULL) return NULL;
    cmsHPROFILE target = tp_srgb();
    cmsHTRANSFORM transform = cmsCreateTransform(p3, TYPE_RGB_8, target, TYPE_RGB_8, INTENT_PERCEPTUAL, 0);
    cmsCloseProfile(p3);
    cmsCloseProfile(target);
    return transform;
}

void CTunePrepImaging_color_apply(cmsHTRANSFORM transform, const void *input, uint8_t *output, size_t pixels) {
    // LittleCMS allows the same buffer for input and output when pixel sizes match (RGB to RGB).
    while (pixels > 0) {
        cmsUInt32Number chunk = pixels > (1u << 20) ? (1u << 20) : (cmsUInt32Number)pixels;
        cmsDoTransform(transform, input, output, chunk);
        input = (const uint8_t *)input + (size_t)chunk * (size_t)T_BYTES(cmsGetTransformInputFormat(transform)) *
                (size_t)(T_CHANNELS(cmsGetTransformInputFormat(transform)) + T_EXTRA(cmsGetTransformInputFormat(transform)));
        output += (size_t)chunk * 3;
        pixels -= chunk;
    }
}

CTunePrepImaging_status CTunePrepImaging_rgb_to_srgb(
    uint8_t *pixels, size_t pixel_count, const uint8_t *icc, size_t icc_size,
    char *description, size_t description_capacity, int *converted, CTunePrepImaging_report *report) {
    CTunePrepImaging_report_reset(report);
    if (converted != NULL) *converted = 0;
    if (pixels == NULL || icc == NULL) {
        CTunePrepImaging_report_error(report, "bad argument to rgb_to_srgb");
        return CTunePrepImaging_BAD_ARGUMENT;
    }
    cmsHTRANSFORM transform = CTunePrepImaging_color_transform(icc, icc_size, TYPE_RGB_8, description, description_capacity, report);
    if (transform == NULL) return report->warning_count > 0 ? CTunePrepImaging_CORRUPT : CTunePrepImaging_OK;
    CTunePrepImaging_color_apply(transform, pixels, pixels, pixel_count);
    cmsDeleteTransform(transform);
    if (converted != NULL) *converted = 1;
    return CTunePrepImaging_OK;
}
