/* lib/hash.c - SHA-256 and HMAC-SHA256; see hash.h. */
#include "config.h"

#include "lib/hash.h"

#include <limits.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/err.h"
#include "lib/secret.h"

int
sw_sha256(const void *data, size_t len, unsigned char out[SW_SHA256_LEN])
{
    unsigned int olen = 0;

    /* OpenSSL wants a real pointer even for zero bytes. */
    if (!data)
        data = "";
    if (!EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) ||
        olen != SW_SHA256_LEN)
        return SW_EINTERNAL;
    return 0;
}

int
sw_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
               unsigned char out[SW_SHA256_LEN])
{
    unsigned int olen = 0;

    if (keylen > INT_MAX)
        return SW_EINVAL;
    if (!key)
        key = "";
    if (!data)
        data = "";
    /* HMAC() is the one-shot API that OpenSSL 3 keeps undeprecated. */
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &olen) ||
        olen != SW_SHA256_LEN)
        return SW_EINTERNAL;
    return 0;
}

void
sw_hex_lower(const unsigned char *in, size_t n, char *out)
{
    static const char hexdig[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int
sw_sha256_hex(const void *data, size_t len, char out[SW_SHA256_HEX])
{
    unsigned char md[SW_SHA256_LEN];
    int r = sw_sha256(data, len, md);

    if (r < 0)
        return r;
    sw_hex_lower(md, sizeof(md), out);
    return 0;
}

int
sw_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                   char out[SW_SHA256_HEX])
{
    unsigned char md[SW_SHA256_LEN];
    int r = sw_hmac_sha256(key, keylen, data, len, md);

    if (r == 0)
        sw_hex_lower(md, sizeof(md), out);
    sw_memzero(md, sizeof(md));
    return r;
}
