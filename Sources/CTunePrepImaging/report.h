// Internal helpers shared by the JPEG and PNG shims (not part of the module's public header).
#ifndef CTUNEPREP_IMAGING_REPORT_H
#define CTUNEPREP_IMAGING_REPORT_H

#include "include/CTunePrepImaging.h"

void CTunePrepImaging_report_reset(CTunePrepImaging_report *report);
void CTunePrepImaging_report_error(CTunePrepImaging_report *report, const char *text);
void CTunePrepImaging_report_warning(CTunePrepImaging_report *report, const char *text);

#endif
