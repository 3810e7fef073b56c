/* tests/unit/test_sigv4_suite.c - aws/sigv4 against every case of the
 * official AWS SigV4 test suite (aws-c-auth v4, header signing).
 *
 * The suite is not part of the repository.  Its directory comes from
 * $SIGV4_SUITE_DIR (configure --with-sigv4-suite=DIR sets it for `make
 * check`); without one this program exits 77, which automake reports as
 * SKIP.  tests/integration/test_sigv4_botocore.py compares the signer with
 * botocore's on randomized requests either way. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hash.h"

#define MAX_FILE    (1024 * 1024)
#define MAX_HEADERS 64

/* automake's "this test was skipped" exit status */
#define EXIT_SKIP 77

static int
read_file(const char *dir, const char *name, struct sw_buf *out)
{
    char path[4096];
    char chunk[4096];
    FILE *f;
    size_t n;
    int r = 0;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
        sizeof(path))
        return -1;
    f = fopen(path, "rb");
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && r == 0)
        r = sw_buf_add(out, chunk, n);
    if (ferror(f))
        r = -1;
    fclose(f);
    if (r == 0 && !out->data)
        r = sw_buf_adds(out, "");
    return r;
}

/* One request.txt, split in place: the request line, "Name:value" header
 * lines (continuation lines starting with SP/HTAB are obs-fold and are
 * joined to the previous value with a space, RFC 7230 3.2.4), a blank
 * line, the body. */
struct parsed {
    char *method;
    char *path;
    char *query;
    struct sw_sigv4_header h[MAX_HEADERS];
    char *hval[MAX_HEADERS]; /* owned values (unfolded) */
    size_t nh;
    const char *body;
    size_t body_len;
};

static void
parsed_release(struct parsed *p)
{
    for (size_t i = 0; i < p->nh; i++)
        free(p->hval[i]);
    p->nh = 0;
}

static char *
next_line(char **cur, char *end)
{
    char *s = *cur, *nl;

    if (s >= end)
        return NULL;
    nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) {
        *cur = end;
        *end = '\0';
        return s;
    }
    *cur = nl + 1;
    *nl = '\0';
    if (nl > s && nl[-1] == '\r')
        nl[-1] = '\0';
    return s;
}

static int
parse_request(char *text, size_t len, struct parsed *p)
{
    char *cur = text, *end = text + len, *line, *sp, *http, *q;

    memset(p, 0, sizeof(*p));
    line = next_line(&cur, end);
    if (!line)
        return -1;
    sp = strchr(line, ' ');
    /* The target may hold raw spaces (get-space-*): it runs up to the
     * last " HTTP/". */
    http = strstr(line, " HTTP/");
    while (http && strstr(http + 1, " HTTP/"))
        http = strstr(http + 1, " HTTP/");
    if (!sp || !http || http < sp)
        return -1;
    *sp = '\0';
    *http = '\0';
    p->method = line;
    p->path = sp + 1;
    q = strchr(p->path, '?');
    if (q) {
        *q = '\0';
        p->query = q + 1;
    }
    for (;;) {
        char *colon;

        if (cur >= end) {
            p->body = end;
            p->body_len = 0;
            return 0;
        }
        line = next_line(&cur, end);
        if (!line)
            return -1;
        if (*line == '\0')
            break;
        if (*line == ' ' || *line == '\t') {
            size_t a, b;
            char *nv;

            if (p->nh == 0)
                return -1;
            a = strlen(p->hval[p->nh - 1]);
            b = strlen(line);
            nv = realloc(p->hval[p->nh - 1], a + b + 2);
            if (!nv)
                return -1;
            nv[a] = ' ';
            memcpy(nv + a + 1, line, b + 1);
            p->hval[p->nh - 1] = nv;
            p->h[p->nh - 1].value = nv;
            continue;
        }
        colon = strchr(line, ':');
        if (!colon || p->nh == MAX_HEADERS)
            return -1;
        *colon = '\0';
        p->hval[p->nh] = strdup(colon + 1);
        if (!p->hval[p->nh])
            return -1;
        p->h[p->nh].name = line;
        p->h[p->nh].value = p->hval[p->nh];
        p->nh++;
    }
    /* The body is everything after the blank line, byte for byte. */
    p->body = cur;
    p->body_len = (size_t)(end - cur);
    return 0;
}

static int
add_header(struct parsed *p, const char *name, const char *value)
{
    if (p->nh == MAX_HEADERS)
        return -1;
    p->hval[p->nh] = strdup(value);
    if (!p->hval[p->nh])
        return -1;
    p->h[p->nh].name = name;
    p->h[p->nh].value = p->hval[p->nh];
    p->nh++;
    return 0;
}

static int
same(const char *cas, const char *what, const struct sw_buf *got,
     const struct sw_buf *want)
{
    if (got->len == want->len &&
        memcmp(sw_buf_str(got), sw_buf_str(want), got->len) == 0)
        return 1;
    print_error("%s: %s differs\n--- expected\n%s\n--- got\n%s\n---\n", cas,
                what, sw_buf_str(want), sw_buf_str(got));
    return 0;
}

/* Sign one suite case; 0 when canonical request, string to sign,
 * signature and Authorization line all match, else -1 with the reason
 * printed. */
static int
run_case(const char *suite, const char *cas)
{
    char dir[4096], amz[SW_TIME_BUF], hash[65];
    struct sw_buf req, want_creq, want_sts, want_sig, want_sreq;
    struct sw_buf authz, creq, sts, sig;
    struct parsed p;
    json_t *ctx = NULL;
    json_error_t jerr;
    struct sw_sigv4_key key;
    struct sw_sigv4_req sreq;
    const char *token, *ts, *sigp;
    time_t t;
    int ok = -1, r;

    memset(&p, 0, sizeof(p));
    sw_buf_init(&req, MAX_FILE);
    sw_buf_init(&want_creq, MAX_FILE);
    sw_buf_init(&want_sts, MAX_FILE);
    sw_buf_init(&want_sig, MAX_FILE);
    sw_buf_init(&want_sreq, MAX_FILE);
    sw_buf_init(&authz, MAX_FILE);
    sw_buf_init(&creq, MAX_FILE);
    sw_buf_init(&sts, MAX_FILE);
    sw_buf_init(&sig, MAX_FILE);
    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", suite, cas) >= sizeof(dir))
        goto out;
    if (read_file(dir, "request.txt", &req) < 0 ||
        read_file(dir, "header-canonical-request.txt", &want_creq) < 0 ||
        read_file(dir, "header-string-to-sign.txt", &want_sts) < 0 ||
        read_file(dir, "header-signature.txt", &want_sig) < 0 ||
        read_file(dir, "header-signed-request.txt", &want_sreq) < 0) {
        print_error("%s: a case file is missing or unreadable\n", cas);
        goto out;
    }
    {
        char path[4200];
        snprintf(path, sizeof(path), "%s/context.json", dir);
        ctx = json_load_file(path, 0, &jerr);
    }
    if (!ctx) {
        print_error("%s: context.json: %s\n", cas, jerr.text);
        goto out;
    }
    key.akid = json_string_value(
        json_object_get(json_object_get(ctx, "credentials"), "access_key_id"));
    key.secret = json_string_value(json_object_get(
        json_object_get(ctx, "credentials"), "secret_access_key"));
    token = json_string_value(
        json_object_get(json_object_get(ctx, "credentials"), "token"));
    key.region = json_string_value(json_object_get(ctx, "region"));
    key.service = json_string_value(json_object_get(ctx, "service"));
    ts = json_string_value(json_object_get(ctx, "timestamp"));
    if (!key.akid || !key.secret || !key.region || !key.service || !ts ||
        sw_time_parse_rfc3339(ts, &t) < 0) {
        print_error("%s: context.json lacks a field\n", cas);
        goto out;
    }
    if (parse_request(req.data, req.len, &p) < 0) {
        print_error("%s: cannot parse request.txt\n", cas);
        goto out;
    }
    sw_time_amz(t, amz);
    if (add_header(&p, "X-Amz-Date", amz) < 0)
        goto out;
    /* post-sts-header-after: the token is added after signing, so it is
     * not part of what is signed. */
    if (token && !json_is_true(json_object_get(ctx, "omit_session_token")) &&
        add_header(&p, "X-Amz-Security-Token", token) < 0)
        goto out;
    /* sign_body: the payload hash travels in x-amz-content-sha256 and is
     * signed like any header. */
    if (json_is_true(json_object_get(ctx, "sign_body"))) {
        if (sw_sha256_hex(p.body, p.body_len, hash) < 0 ||
            add_header(&p, "X-Amz-Content-Sha256", hash) < 0)
            goto out;
    }
    sreq.method = p.method;
    sreq.path = p.path;
    sreq.query = p.query;
    sreq.headers = p.h;
    sreq.nheaders = p.nh;
    sreq.body = p.body;
    sreq.body_len = p.body_len;
    sreq.normalize_path = json_is_true(json_object_get(ctx, "normalize"));
    r = sw_sigv4_sign(&sreq, &key, t, &authz, &creq, &sts);
    if (r < 0) {
        print_error("%s: sign failed: %s\n", cas, sw_strerror(r));
        goto out;
    }
    sigp = strstr(sw_buf_str(&authz), "Signature=");
    if (!sigp || sw_buf_adds(&sig, sigp + strlen("Signature=")) < 0)
        goto out;
    if (!same(cas, "canonical request", &creq, &want_creq) ||
        !same(cas, "string to sign", &sts, &want_sts) ||
        !same(cas, "signature", &sig, &want_sig))
        goto out;
    /* The signed request holds "Authorization:<value>" on a line. */
    {
        struct sw_buf line;
        int found;

        sw_buf_init(&line, MAX_FILE);
        if (sw_buf_addf(&line, "\nAuthorization:%s\n", sw_buf_str(&authz)) <
            0) {
            sw_buf_release(&line);
            goto out;
        }
        found = strstr(sw_buf_str(&want_sreq), line.data) != NULL;
        if (!found)
            print_error("%s: Authorization '%s' not in signed request\n", cas,
                        sw_buf_str(&authz));
        sw_buf_release(&line);
        if (!found)
            goto out;
    }
    ok = 0;
out:
    parsed_release(&p);
    json_decref(ctx);
    sw_buf_release(&req);
    sw_buf_release(&want_creq);
    sw_buf_release(&want_sts);
    sw_buf_release(&want_sig);
    sw_buf_release(&want_sreq);
    sw_buf_release(&authz);
    sw_buf_release(&creq);
    sw_buf_release(&sts);
    sw_buf_release(&sig);
    return ok;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every directory of the suite is a case.  The suite is not part of the
 * repository: without SIGV4_SUITE_DIR (configure --with-sigv4-suite) this
 * case is skipped, and the botocore differential test still covers the
 * signer.  A suite that is named but missing or empty is a failure. */
static void
test_suite(void **state)
{
    const char *suite = getenv("SIGV4_SUITE_DIR");
    char *names[256];
    size_t n = 0, failed = 0;
    struct dirent *e;
    DIR *d;

    (void)state;
    d = opendir(suite);
    if (!d)
        fail_msg("SIGV4_SUITE_DIR '%s' cannot be opened", suite);
    while ((e = readdir(d))) {
        char sub[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", suite, e->d_name) >=
            sizeof(sub))
            continue;
        if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        assert_true(n < sizeof(names) / sizeof(names[0]));
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    if (n == 0)
        fail_msg("SIGV4_SUITE_DIR '%s' holds no test case", suite);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (run_case(suite, names[i]) < 0)
            failed++;
        free(names[i]);
    }
    print_message("sigv4 suite: %zu cases, %zu failed\n", n, failed);
    assert_int_equal(failed, 0);
}

/* The GetMetricStatistics Query POST to CloudWatch, signed. */
int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite),
    };
    const char *suite = getenv("SIGV4_SUITE_DIR");

    if (!suite || !*suite) {
        printf("SKIP: SIGV4_SUITE_DIR is not set; the official AWS SigV4 "
               "test suite is not replayed (configure "
               "--with-sigv4-suite=DIR)\n");
        return EXIT_SKIP;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
