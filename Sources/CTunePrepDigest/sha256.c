#include "CTunePrepDigest.h"

#include <openssl/evp.h>

// The context is an EVP_MD_CTX behind our own name, so the header needs no OpenSSL include.
struct CTunePrepDigest_sha256 {
    EVP_MD_CTX *md;
};

static void CTunePrepDigest_release(CTunePrepDigest_sha256 *context) {
    if (context == NULL) return;
    EVP_MD_CTX_free(context->md);
    OPENSSL_free(context);
}

CTunePrepDigest_sha256 *CTunePrepDigest_sha256_new(void) {
    CTunePrepDigest_sha256 *context = OPENSSL_zalloc(sizeof *context);
    if (context == NULL) return NULL;
    context->md = EVP_MD_CTX_new();
    if (context->md == NULL || EVP_DigestInit_ex(context->md, EVP_sha256(), NULL) != 1) {
        CTunePrepDigest_release(context);
        return NULL;
    }
    return context;
}

CTunePrepDigest_sha256 *CTunePrepDigest_sha256_copy(const CTunePrepDigest_sha256 *context) {
    CTunePrepDigest_sha256 *copy = OPENSSL_zalloc(sizeof *copy);
    if (copy == NULL) return NULL;
    copy->md = EVP_MD_CTX_new();
    if (copy->md == NULL || EVP_MD_CTX_copy_ex(copy->md, context->md) != 1) {
        CTunePrepDigest_release(copy);
        return NULL;
    }
    return copy;
}

int CTunePrepDigest_sha256_update(CTunePrepDigest_sha256 *context, const void *data, size_t count) {
    if (count == 0) return 1;
    return EVP_DigestUpdate(context->md, data, count);
}

int CTunePrepDigest_sha256_final(const CTunePrepDigest_sha256 *context, uint8_t digest[32]) {
    // Finalising consumes an EVP context, so a copy is finalised: the caller's stays usable.
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    if (copy == NULL) return 0;
    unsigned int length = 0;
    int ok = EVP_MD_CTX_copy_ex(copy, context->md) == 1 && EVP_DigestFinal_ex(copy, digest, &length) == 1 && length == 32;
    EVP_MD_CTX_free(copy);
    return ok;
}

void CTunePrepDigest_sha256_free(CTunePrepDigest_sha256 *context) {
    CTunePrepDigest_release(context);
}
