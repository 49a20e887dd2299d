#include "report.h"

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
