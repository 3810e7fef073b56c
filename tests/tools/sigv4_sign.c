/* tests/tools/sigv4_sign.c - sign requests with aws/sigv4, for the botocore
 * differential test (tests/integration/test_sigv4_botocore.py).
 *
 * Reads one JSON object per line on stdin:
 *   {"method": "POST", "path": "/", "query": "a=b", "headers": [["Host",
 *    "h"], ["X-Amz-Date", "20261125T100500Z"], ...], "body": "<text>",
 *    "akid": "...", "secret": "...", "region": "...", "service": "...",
 *    "time": <unix seconds>}
 * and writes one line per request: the canonical request and the
 * Authorization value as a JSON object {"creq": ..., "authz": ...}, or
 * {"error": "<SW_E* name>"} when the signer refuses the request.  Not
 * installed; built with `make check`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "lib/buf.h"
#include "lib/err.h"

#define MAX_HEADERS 64

static const char *
str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return SW_EINVAL;
}

/* HEX decoded into a new buffer of *LEN bytes (free()), or NULL. */
static unsigned char *
unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n + 1);

    if (!out || strlen(hex) % 2) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n;
    return out;
}

/* Sign the request IN describes; print the answer line. */
static int
sign_one(const json_t *in)
{
    struct sw_sigv4_header h[MAX_HEADERS];
    struct sw_sigv4_req req;
    struct sw_sigv4_key key;
    struct sw_buf authz, creq;
    unsigned char *body;
    size_t body_len = 0;
    const json_t *hs = json_object_get(in, "headers");
    json_t *out = NULL;
    size_t n = json_array_size(hs);
    int r;

    if (n > MAX_HEADERS)
        return SW_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = json_array_get(hs, i);

        h[i].name = json_string_value(json_array_get(pair, 0));
        h[i].value = json_string_value(json_array_get(pair, 1));
        if (!h[i].name || !h[i].value)
            return SW_EINVAL;
    }
    memset(&req, 0, sizeof(req));
    req.method = str(in, "method");
    req.path = str(in, "path");
    req.query = str(in, "query");
    req.headers = h;
    req.nheaders = n;
    body = unhex(str(in, "body_hex"), &body_len);
    if (!body)
        return SW_EINVAL;
    req.body = body;
    req.body_len = body_len;
    req.normalize_path = 1;
    key.akid = str(in, "akid");
    key.secret = str(in, "secret");
    key.region = str(in, "region");
    key.service = str(in, "service");
    sw_buf_init(&authz, 64 * 1024);
    sw_buf_init(&creq, 1024 * 1024);
    r = sw_sigv4_sign(&req, &key,
                      (time_t)json_integer_value(json_object_get(in, "time")),
                      &authz, &creq, NULL);
    if (r == 0)
        out = json_pack("{s:s, s:s}", "creq", sw_buf_str(&creq), "authz",
                        sw_buf_str(&authz));
    else
        out = json_pack("{s:s}", "error", sw_strerror(r));
    sw_buf_release(&authz);
    sw_buf_release(&creq);
    free(body);
    if (!out)
        return SW_ENOMEM;
    r = json_dumpf(out, stdout, JSON_COMPACT) < 0 ? SW_EIO : 0;
    json_decref(out);
    putchar('\n');
    return r;
}

int
main(void)
{
    char line[256 * 1024];
    int rc = 0;

    while (fgets(line, sizeof(line), stdin)) {
        json_error_t jerr;
        json_t *in = json_loads(line, 0, &jerr);

        if (!in || sign_one(in) < 0) {
            fprintf(stderr, "sigv4_sign: bad input line: %s\n",
                    in ? "refused" : jerr.text);
            rc = 1;
        }
        json_decref(in);
        fflush(stdout);
    }
    return rc;
}
