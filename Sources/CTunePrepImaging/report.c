#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void CTunePrepImaging_free(void *pointer) { free(pointer); }

void CTunePrepImaging_report_reset(CTunePrepImaging_report *report) {
    if (report == NULL) return;
    report->message[0] = '\0';
    report->warnings[0] = '\0';
    report->warning_count = 0;
}

void CTunePrepImaging_report_error(CTunePrepImaging_report *report, const char *text) {
    if (report == NULL || text == NULL) return;
    strncpy(report->message, text, CTunePrepImaging_MESSAGE_CAPACITY - 1);
    report->message[CTunePrepImaging_MESSAGE_CAPACITY - 1] = '\0';
}

// Keeps whole lines only: a warning that does not fit is counted but not stored.
void CTunePrepImaging_report_warning(CTunePrepImaging_report *report, const char *text) {
    if (report == NULL || text == NULL) return;
    report->warning_count += 1;
    size_t used = strlen(report->warnings);
    size_t length = strlen(text);
    size_t needed = length + (used > 0 ? 1 : 0) + 1;
    if (used + needed > CTunePrepImaging_WARNINGS_CAPACITY) return;
    if (used > 0) report->warnings[used++] = '\n';
    memcpy(report->warnings + used, text, length);
    report->warnings[used + length] = '\0';
}

int CTunePrepImaging_over_pixel_limit(uint32_t width, uint32_t height, uint64_t max_pixels, CTunePrepImaging_report *report) {
    uint64_t declared = (uint64_t)width * (uint64_t)height;
    if (max_pixels == 0 || declared <= max_pixels) return 0;
    char text[CTunePrepImaging_MESSAGE_CAPACITY];
    snprintf(text, sizeof text, "declares %ux%u pixels (%.1f MP), over the %.1f MP limit",
             width, height, declared / 1e6, max_pixels / 1e6);
    CTunePrepImaging_report_error(report, text);
    return 1;
}

void CTunePrepImaging_composite(const uint8_t *rgba, uint8_t *rgb, size_t count, uint8_t red, uint8_t green, uint8_t blue) {
    for (size_t i = 0; i < count; i++, rgba += 4, rgb += 3) {
        unsigned a = rgba[3], inv = 255 - a;
        uint8_t r = (uint8_t)((rgba[0] * a + red * inv + 127) / 255);
        uint8_t g = (uint8_t)((rgba[1] * a + green * inv + 127) / 255);
        uint8_t b = (uint8_t)((rgba[2] * a + blue * inv + 127) / 255);
        rgb[0] = r;
        rgb[1] = g;
        rgb[2] = b;
    }
}

int CTunePrepImaging_sink_size_differs(const CTunePrepImaging_row_sink *sink, uint32_t width, uint32_t height,
                                       CTunePrepImaging_report *report) {
    if (sink == NULL || (width == sink->expected_width && height == sink->expected_height)) return 0;
    char text[CTunePrepImaging_MESSAGE_CAPACITY];
    snprintf(text, sizeof text, "decodes to %ux%u, not the %ux%u the resize was planned for",
             (unsigned)width, (unsigned)height, (unsigned)sink->expected_width, (unsigned)sink->expected_height);
    CTunePrepImaging_report_error(report, text);
    return 1;
}
