// SHA-256 over OpenSSL's libcrypto (EVP), which picks the CPU's SHA or AVX2 code at run time.
// An opaque context, so Swift never sees an OpenSSL type. Every function returns 1 on success
// and 0 on failure (allocation, or a libcrypto without SHA-256), as OpenSSL's own do.
#ifndef CTUNEPREP_DIGEST_H
#define CTUNEPREP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CTunePrepDigest_sha256 CTunePrepDigest_sha256;

enum { CTunePrepDigest_sha256_length = 32 };

/// A new context, ready for data; NULL on failure.
CTunePrepDigest_sha256 *CTunePrepDigest_sha256_new(void);
/// A copy of `context` with the data hashed so far; NULL on failure.
CTunePrepDigest_sha256 *CTunePrepDigest_sha256_copy(const CTunePrepDigest_sha256 *context);
int CTunePrepDigest_sha256_update(CTunePrepDigest_sha256 *context, const void *data, size_t count);
/// Writes the 32-byte digest of the data so far into `digest`; the context is not changed.
int CTunePrepDigest_sha256_final(const CTunePrepDigest_sha256 *context, uint8_t digest[32]);
void CTunePrepDigest_sha256_free(CTunePrepDigest_sha256 *context);

#ifdef __cplusplus
}
#endif

#endif
