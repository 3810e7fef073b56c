/* fuzz/fuzz_sigv4.c - aws/sigv4 canonicalisation: arbitrary bytes as a
 * request.  Layout: byte 0 holds flags (bit 0 normalize_path, bit 1 add
 * Host, bit 2 add X-Amz-Date, bit 3 add a session token), then lines:
 * method, path, query, "Name:value" header lines up to an empty line, and
 * the rest is the body.  Signing must never crash and, on success, must
 * produce an Authorization value with no CR/LF. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HDRS 64
#define FUZZ_T   1440938160 /* 2015-08-30T12:36:00Z */

/* Cut the next line (without its '\n') out of [*p, end), NUL-terminated
 * in place; NULL when nothing is left. */
static char *
line(char **p, char *end)
{
    char *s = *p, *nl;

    if (s >= end)
        return NULL;
    nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl)
        nl = end;
    *nl = '\0';
    *p = nl < end ? nl + 1 : end;
    return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_sigv4_header h[MAX_HDRS + 3];
    struct sw_sigv4_req req;
    struct sw_sigv4_key key = {"AKIDEXAMPLE",
                               "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "us-east-1", "service"};
    struct sw_buf authz, creq, sts;
    char *copy, *p, *end, *s;
    size_t nh = 0;
    unsigned flags;

    if (size < 1)
        return 0;
    flags = data[0];
    /* One spare byte so the last line can be terminated in place. */
    copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    p = copy;
    end = copy + size - 1;
    *end = '\0';
    memset(&req, 0, sizeof(req));
    req.method = line(&p, end);
    req.path = line(&p, end);
    req.query = line(&p, end);
    while (nh < MAX_HDRS) {
        char *colon;

        s = line(&p, end);
        if (!s || !*s)
            break;
        colon = strchr(s, ':');
        if (colon) {
            *colon = '\0';
            h[nh].value = colon + 1;
        } else {
            h[nh].value = "";
        }
        h[nh].name = s;
        nh++;
    }
    if (flags & 2)
        h[nh++] = (struct sw_sigv4_header){"Host", "example.amazonaws.com"};
    if (flags & 4)
        h[nh++] = (struct sw_sigv4_header){"X-Amz-Date", "20150830T123600Z"};
    if (flags & 8)
        h[nh++] = (struct sw_sigv4_header){"X-Amz-Security-Token", "tok"};
    if (!req.method)
        req.method = "GET";
    req.headers = h;
    req.nheaders = nh;
    req.body = p;
    req.body_len = (size_t)(end - p);
    req.normalize_path = flags & 1;

    sw_buf_init(&authz, 1 << 16);
    sw_buf_init(&creq, 4 << 20);
    sw_buf_init(&sts, 1 << 16);
    if (sw_sigv4_sign(&req, &key, FUZZ_T, &authz, &creq, &sts) == 0) {
        if (authz.len == 0 || memchr(authz.data, '\r', authz.len) ||
            memchr(authz.data, '\n', authz.len))
            abort();
    } else if (authz.len || creq.len || sts.len) {
        abort();
    }
    sw_buf_release(&authz);
    sw_buf_release(&creq);
    sw_buf_release(&sts);
    free(copy);
    return 0;
}
