// Thin C shims over libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic, which
// Swift cannot call, so there is one shim per argument type; callbacks are installed together with
// an opaque owner pointer that the Swift side uses to find the object that owns the handle.
#ifndef CTUNEPREP_CURL_H
#define CTUNEPREP_CURL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process, thread-safe; returns its result.
CURLcode CTunePrepCurl_global_init_once(void);

CURLcode CTunePrepCurl_setopt_long(CURL *handle, CURLoption option, long value);
/// For string options too: libcurl copies strings passed to string options.
CURLcode CTunePrepCurl_setopt_pointer(CURL *handle, CURLoption option, const void *value);
CURLcode CTunePrepCurl_setopt_off_t(CURL *handle, CURLoption option, int64_t value);

CURLcode CTunePrepCurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode CTunePrepCurl_getinfo_off_t(CURL *handle, CURLINFO info, int64_t *value);

/// Callbacks receive the owner pointer given when they were installed as their last argument.
typedef size_t (*CTunePrepCurl_data_callback)(char *buffer, size_t size, size_t count, void *owner);
typedef int (*CTunePrepCurl_xferinfo_callback)(void *owner, int64_t dltotal, int64_t dlnow, int64_t ultotal, int64_t ulnow);
typedef int (*CTunePrepCurl_seek_callback)(void *owner, int64_t offset, int origin);

/// CURLOPT_READFUNCTION + CURLOPT_READDATA (the callback fills `buffer` with the request body).
CURLcode CTunePrepCurl_set_read_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner);
/// CURLOPT_SEEKFUNCTION + CURLOPT_SEEKDATA (rewinds the body when libcurl must resend it).
CURLcode CTunePrepCurl_set_seek_callback(CURL *handle, CTunePrepCurl_seek_callback callback, void *owner);
/// CURLOPT_WRITEFUNCTION + CURLOPT_WRITEDATA (response body).
CURLcode CTunePrepCurl_set_write_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner);
/// CURLOPT_HEADERFUNCTION + CURLOPT_HEADERDATA (one response header line per call).
CURLcode CTunePrepCurl_set_header_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner);
/// CURLOPT_XFERINFOFUNCTION + CURLOPT_XFERINFODATA, and CURLOPT_NOPROGRESS=0 so it is called.
/// Returning non-zero aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
CURLcode CTunePrepCurl_set_xferinfo_callback(CURL *handle, CTunePrepCurl_xferinfo_callback callback, void *owner);

/// The values a read callback may return besides a byte count.
size_t CTunePrepCurl_read_abort(void);
int CTunePrepCurl_seek_ok(void);
int CTunePrepCurl_seek_fail(void);
int CTunePrepCurl_seek_cantseek(void);

#ifdef __cplusplus
}
#endif
#endif
