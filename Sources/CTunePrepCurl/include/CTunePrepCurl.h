// Placeholder until the libcurl shims land (see the upload issue).
#ifndef CTUNEPREP_CURL_H
#define CTUNEPREP_CURL_H
#include <curl/curl.h>
#endif
