/* fuzz/fuzz_aws_error.c - aws/client: arbitrary bytes into
 * sw_aws_parse_error(), the parser every AWS error reply (and every proxy
 * page standing in for one) goes through.  Byte 0 picks the protocol,
 * byte 1 the HTTP status; when byte 2 is 'H', the bytes up to the next
 * newline are the x-amzn-query-error header; the rest is the body.  The
 * fields that come back must be terminated, free of control characters
 * and the code non-empty. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t size)
{
    size_t n = strnlen(s, size);

    if (n >= size)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {400, 403, 404, 429, 500, 502, 503, 0};
    static const enum sw_aws_proto protos[] = {SW_PROTO_JSON10, SW_PROTO_JSON11,
                                               SW_PROTO_QUERY};
    struct sw_aws_error err;
    char hdr[256];
    const char *body, *h = NULL;
    size_t len;
    int r;

    if (size < 3)
        return 0;
    body = (const char *)data + 3;
    len = size - 3;
    if (data[2] == 'H') {
        const char *nl = memchr(body, '\n', len);
        size_t hl = nl ? (size_t)(nl - body) : len;

        if (hl >= sizeof(hdr))
            hl = sizeof(hdr) - 1;
        memcpy(hdr, body, hl);
        hdr[hl] = '\0';
        h = hdr;
        if (nl) {
            len -= (size_t)(nl + 1 - body);
            body = nl + 1;
        } else {
            len = 0;
        }
    }
    memset(&err, 0x41, sizeof(err));
    r = sw_aws_parse_error(protos[data[0] % 3], statuses[data[1] % 8], h, body,
                           len, &err);
    if (r != 0 && r != SW_EPARSE)
        abort();
    check_field(err.code, sizeof(err.code));
    check_field(err.message, sizeof(err.message));
    check_field(err.request_id, sizeof(err.request_id));
    if (!err.code[0])
        abort();
    for (const char *p = err.code; *p; p++)
        if (*p == ' ')
            abort();
    return 0;
}
