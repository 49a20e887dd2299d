#include "CTunePrepCurl.h"
#include <pthread.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

static void global_init(void) { global_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

CURLcode CTunePrepCurl_global_init_once(void) {
    pthread_once(&global_once, global_init);
    return global_result;
}

CURLcode CTunePrepCurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode CTunePrepCurl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode CTunePrepCurl_setopt_off_t(CURL *handle, CURLoption option, int64_t value) {
    return curl_easy_setopt(handle, option, (curl_off_t)value);
}

CURLcode CTunePrepCurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode CTunePrepCurl_getinfo_off_t(CURL *handle, CURLINFO info, int64_t *value) {
    curl_off_t v = 0;
    CURLcode rc = curl_easy_getinfo(handle, info, &v);
    *value = (int64_t)v;
    return rc;
}

CURLcode CTunePrepCurl_set_read_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_READDATA, owner);
}

// libcurl's seek callback takes a curl_off_t; the typedef above uses int64_t, which is the same
// type on every 64-bit platform libcurl supports; this adapter keeps the cast in one place.
CURLcode CTunePrepCurl_set_seek_callback(CURL *handle, CTunePrepCurl_seek_callback callback, void *owner) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, (curl_seek_callback)callback);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_SEEKDATA, owner);
}

CURLcode CTunePrepCurl_set_write_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_WRITEDATA, owner);
}

CURLcode CTunePrepCurl_set_header_callback(CURL *handle, CTunePrepCurl_data_callback callback, void *owner) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_HEADERDATA, owner);
}

CURLcode CTunePrepCurl_set_xferinfo_callback(CURL *handle, CTunePrepCurl_xferinfo_callback callback, void *owner) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, (curl_xferinfo_callback)callback);
    if (rc != CURLE_OK) return rc;
    rc = curl_easy_setopt(handle, CURLOPT_XFERINFODATA, owner);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

size_t CTunePrepCurl_read_abort(void) { return CURL_READFUNC_ABORT; }
int CTunePrepCurl_seek_ok(void) { return CURL_SEEKFUNC_OK; }
int CTunePrepCurl_seek_fail(void) { return CURL_SEEKFUNC_FAIL; }
int CTunePrepCurl_seek_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }
