/* lib/hash.h - SHA-256 and HMAC-SHA256 on OpenSSL, raw and as hex.
 *
 * One home for the digests the project computes: SigV4 (aws/sigv4) hashes
 * payloads and derives its keys with them, the notifiers hash record ids
 * (notifiers/notifier) and sign webhook bodies (notifiers/webhook).  HMAC
 * outputs derived from a secret are wiped before these functions return;
 * the caller wipes what it receives when that is secret too.
 * Pure apart from OpenSSL; depends on lib/err.h and lib/secret.h.
 */
#ifndef SW_LIB_HASH_H
#define SW_LIB_HASH_H

#include <stddef.h>

#define SW_SHA256_LEN 32 /* bytes of a SHA-256 digest */
#define SW_SHA256_HEX 65 /* its lower-case hex with the NUL */

/* sw_sha256 - SHA-256 of DATA (N bytes; NULL with N 0 is the empty
 * input) into OUT.  Returns 0 or SW_EINTERNAL (OpenSSL failed). */
int sw_sha256(const void *data, size_t len, unsigned char out[SW_SHA256_LEN]);

/* sw_hmac_sha256 - HMAC-SHA256(KEY, DATA) into OUT; NULL KEY or DATA
 * with a zero length is the empty string.
 * Returns 0, SW_EINVAL (KEYLEN over INT_MAX) or SW_EINTERNAL. */
int sw_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                   unsigned char out[SW_SHA256_LEN]);

/* sw_hex_lower - the N bytes of IN as lower-case hex into OUT, which
 * holds 2 * N + 1 bytes (NUL-terminated). */
void sw_hex_lower(const unsigned char *in, size_t n, char *out);

/* sw_sha256_hex - lower-case hex SHA-256 of DATA into OUT.
 * Returns 0 or SW_EINTERNAL. */
int sw_sha256_hex(const void *data, size_t len, char out[SW_SHA256_HEX]);

/* sw_hmac_sha256_hex - lower-case hex HMAC-SHA256(KEY, DATA) into OUT (the
 * raw digest is wiped).  Returns 0, SW_EINVAL or SW_EINTERNAL. */
int sw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
                       size_t len, char out[SW_SHA256_HEX]);

#endif
