/* tests/unit/test_sigv4.c - aws/sigv4: every case of the official AWS
 * SigV4 test suite (aws-c-auth v4, header signing) from $SIGV4_SUITE_DIR,
 * worked examples (the IAM User Guide's "Create a signed AWS API request"
 * example key, a GetMetricStatistics Query POST, the suite's
 * post-sts-header-before case), and the inputs the signer must refuse. */
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
#include "lib/secret.h"

#define MAX_FILE    (1024 * 1024)
#define MAX_HEADERS 64

#define AKID   "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* A GetMetricStatistics Query body (267 bytes). */
static const char gms_body[] =
    "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FKinesis"
    "&MetricName=IncomingRecords&Dimensions.member.1.Name=StreamName"
    "&Dimensions.member.1.Value=orders&StartTime=2025-11-26T09%3A55%3A00Z"
    "&EndTime=2025-11-26T10%3A05%3A00Z&Period=60&Statistics.member.1=Sum";

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
    if (!suite || !*suite) {
        print_message("SIGV4_SUITE_DIR is not set: the AWS SigV4 test suite "
                      "is not replayed (configure --with-sigv4-suite=DIR)\n");
        skip();
    }
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
static void
sign_gms(const char *token, struct sw_buf *authz, struct sw_buf *creq,
         struct sw_buf *sts)
{
    struct sw_sigv4_header h[4] = {
        {"Host", "monitoring.us-east-1.amazonaws.com"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"X-Amz-Date", "20251126T100530Z"},
        {"X-Amz-Security-Token", token},
    };
    struct sw_sigv4_req req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = h,
        .nheaders = token ? 4 : 3,
        .body = gms_body,
        .body_len = strlen(gms_body),
        .normalize_path = 1,
    };
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "monitoring"};
    struct tm tm = {.tm_year = 125,
                    .tm_mon = 10,
                    .tm_mday = 26,
                    .tm_hour = 10,
                    .tm_min = 5,
                    .tm_sec = 30};

    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), authz, creq, sts), 0);
}

static void
test_worked_example(void **state)
{
    struct sw_buf authz, creq, sts;
    char hash[65];

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&creq, 4096);
    sw_buf_init(&sts, 4096);
    assert_int_equal(strlen(gms_body), 267);
    assert_int_equal(sw_sha256_hex(gms_body, strlen(gms_body), hash), 0);
    assert_string_equal(
        hash,
        "ec18d8e0e43f45b7b9fc8885119bfdf88731f651c37767f094c50a4095c9a0d4");

    sign_gms(NULL, &authz, &creq, &sts);
    assert_string_equal(
        sw_buf_str(&creq),
        "POST\n/\n\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
        "host:monitoring.us-east-1.amazonaws.com\n"
        "x-amz-date:20251126T100530Z\n\n"
        "content-type;host;x-amz-date\n"
        "ec18d8e0e43f45b7b9fc8885119bfdf88731f651c37767f094c50a4095c9a0d4");
    assert_string_equal(
        sw_buf_str(&sts),
        "AWS4-HMAC-SHA256\n20251126T100530Z\n"
        "20251126/us-east-1/monitoring/aws4_request\n"
        "61b80128af0db0e34e2c81664729923728e62fe55c10b165b833eb233ef0f0b7");
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251126/us-east-1/"
        "monitoring/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date, Signature=92434e616173b10ae3859b72d00e2d49eb30b3eb3104"
        "b2be8ccd00303b7b8c7f");

    /* With a session token, signed as well. */
    sign_gms("FwoGZXIvYXdzEXAMPLESESSIONTOKEN", &authz, &creq, &sts);
    assert_non_null(strstr(sw_buf_str(&creq),
                           "\nx-amz-security-token:"
                           "FwoGZXIvYXdzEXAMPLESESSIONTOKEN\n\n"
                           "content-type;host;x-amz-date;"
                           "x-amz-security-token\n"));
    assert_non_null(strstr(sw_buf_str(&sts),
                           "\n9a5b44a0677aa30a1ec303db31412c414cdcf20c7f0dbe"
                           "65569ceb747d8a8ebb"));
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251126/us-east-1/"
        "monitoring/aws4_request, SignedHeaders=content-type;host;"
        "x-amz-date;x-amz-security-token, Signature=66ddc51cac4ba4647b1ce26"
        "4f776f71f57e44d71b86b7472ab56797da5175bc0");

    /* The canonical outputs are optional. */
    sw_buf_release(&authz);
    {
        struct sw_sigv4_header h[3] = {
            {"Host", "monitoring.us-east-1.amazonaws.com"},
            {"Content-Type",
             "application/x-www-form-urlencoded; charset=utf-8"},
            {"X-Amz-Date", "20251126T100530Z"},
        };
        struct sw_sigv4_req req = {"POST",           "/", NULL, h, 3, gms_body,
                                   strlen(gms_body), 1};
        struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "monitoring"};
        struct tm tm = {.tm_year = 125,
                        .tm_mon = 10,
                        .tm_mday = 26,
                        .tm_hour = 10,
                        .tm_min = 5,
                        .tm_sec = 30};

        assert_int_equal(
            sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, NULL), 0);
        assert_non_null(strstr(sw_buf_str(&authz),
                               "Signature=92434e616173b10ae3859b72d00e2d49eb"
                               "30b3eb3104b2be8ccd00303b7b8c7f"));
    }
    sw_buf_release(&authz);
    sw_buf_release(&creq);
    sw_buf_release(&sts);
}

static void
assert_key(const char *date, const char *region, const char *service,
           const char *want)
{
    unsigned char k[32];
    char hex[65];

    assert_int_equal(sw_sigv4_signing_key(SECRET, date, region, service, k), 0);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", k[i]);
    sw_memzero(k, sizeof(k));
    assert_string_equal(hex, want);
}

/* Known kSigning values: the IAM User Guide's example, the
 * GetMetricStatistics example and the test suite's. */
static void
test_signing_key(void **state)
{
    unsigned char k[32];

    (void)state;
    assert_key("20150830", "us-east-1", "iam",
               "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154"
               "a4b9");
    assert_key("20251126", "us-east-1", "monitoring",
               "c2d2221459ccb046c0977acb114590707b9dd10d0d3413df391374037b89"
               "deb3");
    assert_key("20150830", "us-east-1", "service",
               "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901"
               "be75");
    assert_int_equal(
        sw_sigv4_signing_key(SECRET, "2015083", "us-east-1", "iam", k),
        SW_EINVAL);
    assert_int_equal(
        sw_sigv4_signing_key(SECRET, "2015083x", "us-east-1", "iam", k),
        SW_EINVAL);
    assert_int_equal(sw_sigv4_signing_key(SECRET, "20150830", "", "iam", k),
                     SW_EINVAL);
}

/* The suite's post-sts-header-before case, written out so it runs even
 * where the suite's files are absent. */
static void
test_sts_header_before(void **state)
{
    static const char token[] =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
        "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcG"
        "dQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75"
        "YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbq"
        "BAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oL"
        "xBA==";
    struct sw_sigv4_header h[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Amz-Security-Token", token},
    };
    struct sw_sigv4_req req = {"POST", "/", NULL, h, 3, NULL, 0, 1};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct tm tm = {.tm_year = 115,
                    .tm_mon = 7,
                    .tm_mday = 30,
                    .tm_hour = 12,
                    .tm_min = 36};
    struct sw_buf authz, sts;

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&sts, 4096);
    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, &sts), 0);
    assert_string_equal(
        sw_buf_str(&sts),
        "AWS4-HMAC-SHA256\n20150830T123600Z\n"
        "20150830/us-east-1/service/aws4_request\n"
        "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
    assert_string_equal(
        sw_buf_str(&authz),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a8"
        "2be05ead");
    /* post-sts-header-after signs like post-vanilla. */
    req.nheaders = 2;
    assert_int_equal(
        sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, NULL, NULL), 0);
    assert_non_null(strstr(sw_buf_str(&authz),
                           "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30"
                           "862966e37dddb68e92efbe5d6b"));
    sw_buf_release(&authz);
    sw_buf_release(&sts);
}

static int
sign_one(const char *method, const char *path, const char *query,
         const struct sw_sigv4_header *h, size_t nh, int normalize,
         struct sw_buf *creq)
{
    struct sw_sigv4_req req = {method, path, query, h, nh, NULL, 0, normalize};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct tm tm = {.tm_year = 115,
                    .tm_mon = 7,
                    .tm_mday = 30,
                    .tm_hour = 12,
                    .tm_min = 36};
    struct sw_buf authz;
    int r;

    sw_buf_init(&authz, 4096);
    r = sw_sigv4_sign(&req, &key, sw_timegm(&tm), &authz, creq, NULL);
    if (r < 0)
        assert_int_equal(authz.len, 0);
    sw_buf_release(&authz);
    return r;
}

static void
test_errors(void **state)
{
    struct sw_sigv4_header ok[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_sigv4_header nohost[1] = {{"X-Amz-Date", "20150830T123600Z"}};
    struct sw_sigv4_header nodate[1] = {{"Host", "example.amazonaws.com"}};
    struct sw_sigv4_header wrongdate[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123601Z"},
    };
    struct sw_sigv4_header crlf[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My-Header", "a\r\nX-Injected: 1"},
    };
    struct sw_sigv4_header lf[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My-Header", "a\nb"},
    };
    struct sw_sigv4_header badname[3] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"My Header", "a"},
    };
    struct sw_sigv4_header emptyhost[2] = {
        {"Host", "  "},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_sigv4_req req = {"GET", "/", NULL, ok, 2, NULL, 0, 1};
    struct sw_sigv4_key key = {AKID, SECRET, "us-east-1", "service"};
    struct sw_buf authz, creq;

    (void)state;
    sw_buf_init(&authz, 4096);
    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", "/", NULL, ok, 2, 1, &creq), 0);
    assert_int_equal(sign_one("GET", "/", NULL, nohost, 1, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(creq.len, 0);
    assert_int_equal(sign_one("GET", "/", NULL, nodate, 1, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, wrongdate, 2, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, crlf, 3, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, lf, 3, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, badname, 3, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, emptyhost, 2, 1, &creq),
                     SW_EINVAL);
    assert_int_equal(sign_one("GET", "/", NULL, NULL, 0, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("G T", "/", NULL, ok, 2, 1, &creq), SW_EINVAL);
    assert_int_equal(sign_one("", "/", NULL, ok, 2, 1, &creq), SW_EINVAL);
    /* bad key material */
    key.region = "us-east-1/x";
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.region = "us-east-1";
    key.akid = "";
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.akid = AKID;
    key.secret = NULL;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    key.secret = SECRET;
    /* a body length without a body */
    req.body_len = 3;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     SW_EINVAL);
    req.body_len = 0;
    assert_int_equal(sw_sigv4_sign(&req, &key, 1440938160, &authz, NULL, NULL),
                     0);
    /* an output cap too small to hold the header */
    {
        struct sw_buf tiny;

        sw_buf_init(&tiny, 16);
        assert_int_equal(
            sw_sigv4_sign(&req, &key, 1440938160, &tiny, NULL, NULL),
            SW_ETOOBIG);
        assert_int_equal(tiny.len, 0);
        sw_buf_release(&tiny);
    }
    sw_buf_release(&authz);
    sw_buf_release(&creq);
}

/* Assert the canonical request for PATH/QUERY starts with WANT. */
static void
assert_creq_prefix(const char *path, const char *query, int normalize,
                   const char *want)
{
    struct sw_sigv4_header h[2] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
    };
    struct sw_buf creq;

    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", path, query, h, 2, normalize, &creq), 0);
    if (strncmp(sw_buf_str(&creq), want, strlen(want)) != 0)
        fail_msg("path '%s' query '%s': got\n%s\nwant prefix\n%s", path,
                 query ? query : "(null)", sw_buf_str(&creq), want);
    sw_buf_release(&creq);
}

/* Canonicalisation details beyond the suite. */
static void
test_canonical(void **state)
{
    struct sw_sigv4_header tabs[4] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Foo", "\t a \t\t b\t"},
        {"x-foo", ""},
    };
    struct sw_buf creq, enc;

    (void)state;
    /* An already encoded path is encoded again (every service but S3). */
    assert_creq_prefix("/a%20b/c", NULL, 1, "GET\n/a%2520b/c\n\n");
    assert_creq_prefix("", NULL, 1, "GET\n/\n\n");
    assert_creq_prefix(NULL, NULL, 0, "GET\n/\n\n");
    assert_creq_prefix("/a/./b/../c/", NULL, 1, "GET\n/a/c/\n\n");
    assert_creq_prefix("/a/b/..", NULL, 1, "GET\n/a\n\n");
    assert_creq_prefix("/../..", NULL, 1, "GET\n/\n\n");
    assert_creq_prefix("/.../a", NULL, 1, "GET\n/.../a\n\n");
    assert_creq_prefix("a b", NULL, 0, "GET\n/a%20b\n\n");
    assert_creq_prefix("a b", NULL, 1, "GET\n/a%20b\n\n");
    /* Query: sorted by name then value, "name=" for a bare name, '+'
     * is a literal plus, bad escapes stay literal, empty pairs vanish. */
    assert_creq_prefix("/", "b=2&a=1&a=0&c", 1, "GET\n/\na=0&a=1&b=2&c=\n");
    assert_creq_prefix("/", "x=a+b&y=%7e%2F&z=%zz&&w=%4", 1,
                       "GET\n/\nw=%254&x=a%2Bb&y=~%2F&z=%25zz\n");
    assert_creq_prefix("/", "a=b=c&%41=%", 1, "GET\n/\nA=%25&a=b%3Dc\n");
    assert_creq_prefix("/", "&", 1, "GET\n/\n\n");

    /* Tabs count as whitespace; an empty repeated value still joins. */
    sw_buf_init(&creq, 4096);
    assert_int_equal(sign_one("GET", "/", NULL, tabs, 4, 1, &creq), 0);
    assert_non_null(strstr(sw_buf_str(&creq), "\nx-foo:a b,\n"));
    sw_buf_release(&creq);

    sw_buf_init(&enc, 64);
    assert_int_equal(sw_uri_encode(&enc, "a b/~\xc3\xa9", 7, 1), 0);
    assert_string_equal(sw_buf_str(&enc), "a%20b/~%C3%A9");
    sw_buf_reset(&enc);
    assert_int_equal(sw_uri_encode(&enc, "a b/~\xc3\xa9", 7, 0), 0);
    assert_string_equal(sw_buf_str(&enc), "a%20b%2F~%C3%A9");
    sw_buf_reset(&enc);
    assert_int_equal(sw_uri_encode(&enc, "\0", 1, 0), 0);
    assert_string_equal(sw_buf_str(&enc), "%00");
    sw_buf_release(&enc);
    sw_buf_init(&enc, 4);
    assert_int_equal(sw_uri_encode(&enc, "ab c", 4, 0), SW_ETOOBIG);
    sw_buf_release(&enc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_sts_header_before),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
