/* tests/unit/test_email.c - notifiers/mime (the message builder) and
 * notifiers/email (settings, prepare, classification of SMTP results):
 * exact headers for a fixed record and time, RFC 2047 for Japanese and
 * emoji, no header injection from CR/LF/NUL, folding, quoted-printable. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "notifiers/email.h"
#include "notifiers/email_text.h"
#include "notifiers/message.h"
#include "notifiers/mime.h"
#include "notifiers/notifier.h"

#define T_NOW 1764151601 /* 2025-11-26T10:06:41Z, a Wednesday */

static char *to2[] = {"oncall@example.com", "backup@example.org"};

static const char record_text[] =
    "{\"alarm\": {\"AlarmName\": \"kds-orders-incoming-low\","
    " \"AlarmDescription\": \"IncomingRecords below 100/min\","
    " \"AWSAccountId\": \"123456789012\","
    " \"NewStateValue\": \"ALARM\","
    " \"NewStateReason\": \"Threshold Crossed: 3 out of the last 5 "
    "datapoints were less than the threshold (100.0).\","
    " \"StateChangeTime\": \"2025-11-26T10:06:41.000+0000\","
    " \"Region\": \"Asia Pacific (Tokyo)\","
    " \"AlarmArn\": \"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:"
    "kds-orders-incoming-low\","
    " \"OldStateValue\": \"OK\", \"OKActions\": [], \"AlarmActions\": [],"
    " \"InsufficientDataActions\": [],"
    " \"Trigger\": {\"MetricName\": \"IncomingRecords\","
    " \"Namespace\": \"AWS/Kinesis\", \"StatisticType\": \"Statistic\","
    " \"Statistic\": \"SUM\", \"Unit\": null,"
    " \"Dimensions\": [{\"value\": \"orders\", \"name\": \"StreamName\"}],"
    " \"Period\": 60, \"EvaluationPeriods\": 5, \"DatapointsToAlarm\": 3,"
    " \"ComparisonOperator\": \"LessThanThreshold\", \"Threshold\": 100.0,"
    " \"TreatMissingData\": \"breaching\","
    " \"EvaluateLowSampleCountPercentile\": \"\"}},"
    " \"streamwatch\": {\"rule\": \"kds-orders-incoming-low\","
    " \"stream\": \"orders\", \"repeat\": false, \"labels\": {},"
    " \"namespace\": \"AWS/Kinesis\", \"metric\": \"IncomingRecords\","
    " \"state_reason_data\": null, \"console_url\": null,"
    " \"region\": \"ap-northeast-1\"}}";

static json_t *
load_record(void)
{
    json_error_t e;
    json_t *rec = json_loads(record_text, 0, &e);

    if (!rec)
        fail_msg("record: %s at %d", e.text, e.line);
    return rec;
}

/* ---- helpers that read a message back ---- */

static int
b64_val(int c)
{
    const char *tab =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tab, c) : NULL;

    return p ? (int)(p - tab) : -1;
}

/* Decode base64 S (N chars, a multiple of 4) onto OUT. */
static void
b64_decode(const char *s, size_t n, struct sw_buf *out)
{
    assert_int_equal(n % 4, 0);
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64_val(s[i + k]);
        for (int k = 0; k < 4; k++)
            assert_true(v[k] >= 0);
        assert_int_equal(sw_buf_addc(out, (char)(v[0] << 2 | v[1] >> 4)), 0);
        if (s[i + 2] != '=')
            assert_int_equal(
                sw_buf_addc(out, (char)((v[1] & 15) << 4 | v[2] >> 2)), 0);
        if (s[i + 3] != '=')
            assert_int_equal(sw_buf_addc(out, (char)((v[2] & 3) << 6 | v[3])),
                             0);
    }
}

static int
valid_utf8(const unsigned char *s, size_t n)
{
    struct sw_buf b;
    int same;

    sw_buf_init(&b, n * 3 + 1);
    assert_int_equal(sw_mime_sanitize(&b, (const char *)s, n, 1), 0);
    same = b.len == n && (n == 0 || memcmp(b.data, s, n) == 0);
    sw_buf_release(&b);
    return same;
}

/* Every line of the N bytes of M ends in CRLF and has at most MAX
 * characters; no bare CR or LF. */
static void
assert_lines(const char *m, size_t n, size_t max)
{
    size_t i = 0;

    while (i < n) {
        const char *eol = memchr(m + i, '\r', n - i);
        size_t len;

        assert_non_null(eol);
        assert_true((size_t)(eol - m) + 1 < n);
        assert_int_equal(eol[1], '\n');
        len = (size_t)(eol - (m + i));
        assert_null(memchr(m + i, '\n', len));
        if (len > max)
            fail_msg("line of %zu > %zu: %.*s", len, max, (int)len, m + i);
        i += len + 2;
    }
}

/* The value of an RFC 2047 header line set (from "Name:" to the end,
 * continuation lines included), decoded into OUT: encoded-words are
 * decoded and each must hold whole UTF-8 characters; the whitespace
 * between two encoded-words goes (RFC 2047 6.2). */
static void
decode_header(const char *h, struct sw_buf *out)
{
    const char *p = strchr(h, ':');
    int prev_eword = 0;

    assert_non_null(p);
    p++;
    while (*p) {
        const char *ws = p;
        while (*p == ' ' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
            const char *end = strstr(p + 10, "?=");
            size_t before = out->len;
            assert_non_null(end);
            assert_true(end - p <= 75); /* RFC 2047 2 */
            b64_decode(p + 10, (size_t)(end - (p + 10)), out);
            assert_true(valid_utf8((unsigned char *)out->data + before,
                                   out->len - before));
            p = end + 2;
            prev_eword = 1;
        } else {
            /* Unfolding: the CRLF goes, the space stays. */
            if (ws != p && (out->len > 0 || prev_eword))
                assert_int_equal(sw_buf_addc(out, ' '), 0);
            while (*p && *p != ' ' && *p != '\r')
                assert_int_equal(sw_buf_addc(out, *p++), 0);
            prev_eword = 0;
        }
    }
}

/* Quoted-printable back to text with "\n" line ends. */
static void
qp_decode(const char *s, size_t n, struct sw_buf *out)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 3;
        } else if (s[i] == '=') {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            assert_true(i + 2 < n);
            assert_int_equal(sw_buf_addc(out, (char)strtol(hex, NULL, 16)), 0);
            i += 3;
        } else if (s[i] == '\r') {
            assert_int_equal(s[i + 1], '\n');
            assert_int_equal(sw_buf_addc(out, '\n'), 0);
            i += 2;
        } else {
            assert_int_equal(sw_buf_addc(out, s[i]), 0);
            i++;
        }
    }
}

static char *
header_of(const char *value, size_t n)
{
    struct sw_buf b;
    size_t len;

    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_mime_header_text(&b, "Subject", value, n), 0);
    return sw_buf_steal(&b, &len);
}

/* ---- mime ---- */

static void
test_date(void **state)
{
    char d[SW_MIME_DATE_BUF];

    (void)state;
    assert_string_equal(sw_mime_date(T_NOW, d),
                        "Wed, 26 Nov 2025 10:06:41 +0000");
    assert_string_equal(sw_mime_date(0, d), "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_string_equal(sw_mime_date(1795601100, d),
                        "Wed, 25 Nov 2026 10:05:00 +0000");
}

static void
test_addresses(void **state)
{
    static const char *const good[] = {
        "oncall@example.com", "a.b+tag@sub.example.org",         "x@localhost",
        "o'brien@example.ie", "!#$%&'*+-/=?^_`{|}~@example.com",
    };
    static const char *const bad[] = {
        "",
        "example.com",
        "@example.com",
        "a@",
        "a b@example.com",
        "a@example.com\r\nBcc: x@evil.example",
        "a@exa\nmple.com",
        "<a@example.com>",
        "a@example.com, b@example.com",
        "a;b@example.com",
        "\"a\"@example.com",
        ".a@example.com",
        "a.@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com.",
        "a@[127.0.0.1]",
        "a@ex_ample.com",
        "j\xc3\xbcrgen@example.com",
        "x@example.com(comment)",
    };
    char longlocal[80], longaddr[300];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!sw_mime_addr_valid(good[i]))
            fail_msg("refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sw_mime_addr_valid(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    assert_false(sw_mime_addr_valid(NULL));
    memset(longlocal, 'a', 65);
    memcpy(longlocal + 65, "@example.com", 13);
    assert_false(sw_mime_addr_valid(longlocal));
    longlocal[64] = '@';
    memcpy(longlocal + 64, "@example.com", 13);
    assert_true(sw_mime_addr_valid(longlocal));
    memset(longaddr, 'd', sizeof(longaddr));
    memcpy(longaddr, "a@", 2);
    longaddr[255] = '\0';
    assert_false(sw_mime_addr_valid(longaddr));
    longaddr[254] = '\0';
    assert_true(sw_mime_addr_valid(longaddr));

    assert_true(sw_mime_msgid_valid("<abc.def@example.com>"));
    assert_false(sw_mime_msgid_valid("abc@example.com"));
    assert_false(sw_mime_msgid_valid("<abc@example.com>\r\nBcc: x"));
    assert_false(sw_mime_msgid_valid("<a b@example.com>"));
    assert_false(sw_mime_msgid_valid("<abc>"));
    assert_false(sw_mime_msgid_valid("<@example.com>"));
}

static void
test_sanitize(void **state)
{
    static const struct {
        const char *in;
        size_t n;
        int keep;
        const char *out;
    } cases[] = {
        {"plain", 5, 0, "plain"},
        {"a\r\nb\nc\rd\te", 10, 0, "a  b c d e"},
        {"a\r\nb\nc\rd\te", 10, 1, "a\nb\nc\nd\te"},
        {"nul\0after", 9, 0, "nul after"},
        {"esc\x1b[31m\x7f", 9, 0, "esc [31m "},
        {"c1\xc2\x85|\xc2\x9b|\xc2\xa0", 10, 0, "c1 | |\xc2\xa0"},
        {"\xe6\x97\xa5\xf0\x9f\x9a\xa8", 7, 0, "\xe6\x97\xa5\xf0\x9f\x9a\xa8"},
        /* overlong '/', a surrogate, beyond U+10FFFF, a lone
         * continuation, a cut sequence */
        {"\xc0\xaf", 2, 0, "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", 3, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80", 4, 0,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"a\x80z", 3, 0, "a\xef\xbf\xbdz"},
        {"a\xe6\x97", 3, 0, "a\xef\xbf\xbd\xef\xbf\xbd"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_buf b;
        sw_buf_init(&b, 1024);
        assert_int_equal(
            sw_mime_sanitize(&b, cases[i].in, cases[i].n, cases[i].keep), 0);
        if (strcmp(sw_buf_str(&b), cases[i].out) != 0)
            fail_msg("case %zu: got '%s'", i, sw_buf_str(&b));
        sw_buf_release(&b);
    }
}

static void
test_exact_message(void **state)
{
    static const char head_fmt[] =
        "Date: Wed, 26 Nov 2025 10:06:41 +0000\r\n"
        "Message-ID: <%.32s.streamwatch@example.com>\r\n"
        "From: streamwatch@example.com\r\n"
        "To: oncall@example.com, backup@example.org\r\n"
        "Subject: ALARM: \"kds-orders-incoming-low\" in Asia Pacific "
        "(Tokyo)\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n";
    json_t *rec = load_record();
    char id[SW_DEDUP_ID_BUF], head[1024], err[256] = "";
    char *msg = NULL, *text;
    size_t len = 0, hlen;
    struct sw_buf body;

    (void)state;
    assert_int_equal(sw_notifier_dedup_id(rec, id), 0);
    hlen = (size_t)snprintf(head, sizeof(head), head_fmt, id);
    assert_int_equal(sw_email_render(rec, T_NOW, "streamwatch@example.com", to2,
                                     2, &msg, &len, err, sizeof(err)),
                     0);
    assert_non_null(msg);
    assert_int_equal(strlen(msg), len);
    assert_true(len > hlen);
    if (memcmp(msg, head, hlen) != 0)
        fail_msg("headers:\n%.*s\nwanted:\n%s", (int)hlen, msg, head);
    assert_lines(msg, len, 78);

    /* The body is sw_email_text(), quoted-printable, CRLF. */
    text = sw_email_text(rec);
    assert_non_null(text);
    sw_buf_init(&body, len * 2);
    qp_decode(msg + hlen, len - hlen, &body);
    if (strcmp(sw_buf_str(&body), text) != 0 &&
        !(body.len == strlen(text) + 1 && body.data[body.len - 1] == '\n' &&
          memcmp(body.data, text, strlen(text)) == 0))
        fail_msg("body:\n%s\nwanted:\n%s", sw_buf_str(&body), text);
    assert_true(strstr(text, "kds-orders-incoming-low") != NULL);

    /* Same record, same Message-ID (a retry); the date follows NOW. */
    {
        char *again = NULL;
        size_t alen = 0;
        assert_int_equal(sw_email_render(rec, T_NOW + 60,
                                         "streamwatch@example.com", to2, 2,
                                         &again, &alen, err, sizeof(err)),
                         0);
        assert_true(strstr(again, "Date: Wed, 26 Nov 2025 10:07:41 +0000\r\n"));
        assert_memory_equal(strstr(again, "Message-ID:"),
                            strstr(msg, "Message-ID:"), 60);
        free(again);
    }
    sw_buf_release(&body);
    free(text);
    free(msg);
    json_decref(rec);
}

static void
test_message_id(void **state)
{
    json_t *rec = load_record();
    char a[SW_MIME_MSGID_MAX + 1], b[SW_MIME_MSGID_MAX + 1];
    char big[300];

    (void)state;
    assert_int_equal(sw_email_message_id(rec, "example.com", a, sizeof(a)), 0);
    assert_int_equal(strlen(a), 1 + 32 + 24 + 1);
    assert_true(sw_mime_msgid_valid(a));
    /* A repeat reminder is another notification: another ID. */
    json_object_set_new(json_object_get(rec, "streamwatch"), "repeat",
                        json_integer(1));
    assert_int_equal(sw_email_message_id(rec, "example.com", b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    json_object_set_new(json_object_get(rec, "streamwatch"), "repeat",
                        json_integer(2));
    assert_int_equal(sw_email_message_id(rec, "example.com", a, sizeof(a)), 0);
    assert_string_not_equal(a, b);
    /* No alarm: no ID. */
    memset(big, 'd', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sw_email_message_id(rec, big, a, sizeof(a)), SW_EINVAL);
    json_object_del(rec, "alarm");
    assert_int_equal(sw_email_message_id(rec, "example.com", a, sizeof(a)),
                     SW_EINVAL);
    json_decref(rec);
}

static void
test_subject_japanese_emoji(void **state)
{
    const char *subj = "ALARM: \"\xe5\x8f\x97\xe4\xbf\xa1\xe3\x83\xac\xe3\x82"
                       "\xb3\xe3\x83\xbc\xe3\x83\x89\xe9\x81\x8e\xe5\xa4\x9a "
                       "\xf0\x9f\x9a\xa8 orders\" in Asia Pacific (Tokyo)";
    char *h = header_of(subj, strlen(subj));
    struct sw_buf dec;

    (void)state;
    /* Golden: checked once with Python's email.header.decode_header. */
    assert_string_equal(
        h,
        "Subject: "
        "=?UTF-8?B?QUxBUk06ICLlj5fkv6Hjg6zjgrPjg7zjg4npgY7lpJog8J+aqCBv?=\r\n"
        " =?UTF-8?B?cmRlcnMiIGluIEFzaWEgUGFjaWZpYyAoVG9reW8p?=\r\n");
    assert_lines(h, strlen(h), 76);
    sw_buf_init(&dec, 4096);
    decode_header(h, &dec);
    assert_string_equal(sw_buf_str(&dec), subj);
    sw_buf_release(&dec);
    free(h);
}

static void
test_subject_long_non_ascii(void **state)
{
    struct sw_buf in, dec;
    char *h;

    (void)state;
    /* 3- and 4-byte characters in a pattern that lands them across every
     * possible encoded-word boundary. */
    sw_buf_init(&in, 8192);
    for (int i = 0; i < 60; i++)
        assert_int_equal(sw_buf_adds(&in, i % 3 ? "\xe6\x97\xa5"
                                                : "\xf0\x9f\x9a\xa8"
                                                  "a"),
                         0);
    h = header_of(in.data, in.len);
    assert_lines(h, strlen(h), 76);
    sw_buf_init(&dec, 8192);
    decode_header(h, &dec);
    assert_string_equal(sw_buf_str(&dec), sw_buf_str(&in));
    sw_buf_release(&dec);
    sw_buf_release(&in);
    free(h);
}

static void
test_subject_injection(void **state)
{
    static const char subj[] = "ALARM: \"x\r\nBcc: attacker@evil.example\r\n"
                               "\r\nbody\0Cc: y@evil.example\" in Tokyo";
    char *to1[] = {"oncall@example.com"};
    struct sw_mime_msg m;
    struct sw_buf dec;
    char *out = NULL, *h;
    size_t len = 0;

    (void)state;
    h = header_of(subj, sizeof(subj) - 1);
    assert_lines(h, strlen(h), 76);
    sw_buf_init(&dec, 4096);
    decode_header(h, &dec);
    assert_string_equal(sw_buf_str(&dec),
                        "ALARM: \"x  Bcc: attacker@evil.example    body Cc: "
                        "y@evil.example\" in Tokyo");
    sw_buf_release(&dec);
    free(h);

    memset(&m, 0, sizeof(m));
    m.date = T_NOW;
    m.message_id = "<id@example.com>";
    m.from = "streamwatch@example.com";
    m.to = to1;
    m.nto = 1;
    m.subject = subj;
    m.subject_len = sizeof(subj) - 1;
    m.body = "line\r\nBcc: z@evil.example\0\r\n.\r\n";
    m.body_len = 32;
    assert_int_equal(sw_mime_build(&m, &out, &len), 0);
    assert_lines(out, len, 78);
    /* Exactly nine header lines start a field; none is Bcc or Cc. */
    {
        const char *body = strstr(out, "\r\n\r\n");
        size_t fields = 0;
        assert_non_null(body);
        for (const char *p = out; p < body; p = strstr(p, "\r\n") + 2) {
            if (*p != ' ')
                fields++;
            assert_false(strncasecmp(p, "Bcc:", 4) == 0);
            assert_false(strncasecmp(p, "Cc:", 3) == 0);
        }
        assert_int_equal(fields, 9);
        /* The body's "Bcc:" line is body text, the NUL a space, and the
         * lone dot is encoded, so DATA cannot end early. */
        assert_non_null(strstr(body, "\r\nBcc: z@evil.example=20\r\n=2E\r\n"));
    }
    free(out);
}

static void
test_subject_folding(void **state)
{
    struct sw_buf in, dec;
    char *h;

    (void)state;
    /* ASCII words: raw, folded at spaces within 78, unfolds exactly. */
    sw_buf_init(&in, 1 << 16);
    for (int i = 0; i < 30; i++)
        assert_int_equal(sw_buf_addf(&in, "%sword%02d-abc", i ? " " : "", i),
                         0);
    h = header_of(in.data, in.len);
    assert_lines(h, strlen(h), 78);
    assert_null(strstr(h, "=?"));
    assert_non_null(strstr(h, "\r\n "));
    sw_buf_init(&dec, 4096);
    decode_header(h, &dec);
    assert_string_equal(sw_buf_str(&dec), sw_buf_str(&in));
    sw_buf_release(&dec);
    free(h);

    /* The subject message.c actually makes (< 100 characters). */
    {
        const char *s = "ALARM: \"sample-incoming-high-but-with-a-much-longer-"
                        "name-than-usual-for-testing\" in Asia Pacific (Tokyo)";
        h = header_of(s, strlen(s));
    }
    assert_string_equal(h,
                        "Subject: ALARM:\r\n"
                        " \"sample-incoming-high-but-with-a-much-longer-name-"
                        "than-usual-for-testing\" in\r\n"
                        " Asia Pacific (Tokyo)\r\n");
    free(h);

    /* A word too long to fold, a double space, "=?" or a leading space:
     * encoded-words keep them exactly, within 76 columns. */
    sw_buf_reset(&in);
    for (int i = 0; i < 300; i++)
        assert_int_equal(sw_buf_addc(&in, (char)('a' + i % 26)), 0);
    assert_int_equal(sw_buf_adds(&in, "  =?x?= "), 0);
    h = header_of(in.data, in.len);
    assert_lines(h, strlen(h), 76);
    assert_true(strncmp(h, "Subject: =?UTF-8?B?", 19) == 0);
    sw_buf_init(&dec, 4096);
    decode_header(h, &dec);
    assert_string_equal(sw_buf_str(&dec), sw_buf_str(&in));
    sw_buf_release(&dec);
    free(h);

    /* Very long values are cut (4096 bytes), never a 998+ line. */
    sw_buf_reset(&in);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(sw_buf_adds(&in, "\xe6\x97\xa5"), 0);
    h = header_of(in.data, in.len);
    assert_lines(h, strlen(h), 76);
    sw_buf_init(&dec, 1 << 16);
    decode_header(h, &dec);
    assert_true(dec.len <= 4096 && dec.len >= 4093);
    assert_true(valid_utf8((unsigned char *)dec.data, dec.len));
    sw_buf_release(&dec);
    free(h);

    h = header_of("", 0);
    assert_string_equal(h, "Subject:\r\n");
    free(h);
    sw_buf_release(&in);
}

static char *
qp_of(const char *text)
{
    struct sw_buf b;
    size_t len;

    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_mime_qp(&b, text, strlen(text)), 0);
    return sw_buf_steal(&b, &len);
}

static void
test_qp(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text\n", "plain text\r\n"},
        {".starts with a dot\n.\n..\n",
         "=2Estarts with a dot\r\n=2E\r\n=2E.\r\n"},
        {"From here\nFrom: x\nFromage\n",
         "=46rom here\r\nFrom: x\r\nFromage\r\n"},
        {"trailing space \ntab\t\nend ",
         "trailing space=20\r\ntab=09\r\nend=20"},
        {"a=b\n", "a=3Db\r\n"},
        {"\xe6\x97\xa5\xe6\x9c\xac", "=E6=97=A5=E6=9C=AC"},
        {"in\tside", "in\tside"},
        {"\n\n", "\r\n\r\n"},
    };
    char *q;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        q = qp_of(cases[i].in);
        if (strcmp(q, cases[i].out) != 0)
            fail_msg("case %zu: got '%s'", i, q);
        free(q);
    }
}

static void
test_qp_long_lines(void **state)
{
    struct sw_buf in, dec;
    char *q;

    (void)state;
    sw_buf_init(&in, 1 << 16);
    /* 200 letters; then a dot that a soft break puts at the start of a
     * line; then escapes across the 76th column; then a line of 76. */
    for (int i = 0; i < 200; i++)
        assert_int_equal(sw_buf_addc(&in, 'a'), 0);
    assert_int_equal(sw_buf_addc(&in, '\n'), 0);
    for (int i = 0; i < 75; i++)
        assert_int_equal(sw_buf_addc(&in, 'b'), 0);
    assert_int_equal(sw_buf_adds(&in, ".after the dot\n"), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(sw_buf_adds(&in, "\xe6\x97\xa5"), 0);
    assert_int_equal(sw_buf_addc(&in, '\n'), 0);
    for (int i = 0; i < 76; i++)
        assert_int_equal(sw_buf_addc(&in, 'c'), 0);
    assert_int_equal(sw_buf_adds(&in, "\n"), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sw_buf_adds(&in, "x "), 0);
    assert_int_equal(sw_buf_adds(&in, "\n"), 0);

    q = qp_of(in.data);
    assert_lines(q, strlen(q), 76);
    assert_non_null(strstr(q, "b=\r\n=2Eafter the dot\r\n"));
    /* A line of exactly 76 stays whole: the soft break is not needed. */
    assert_non_null(strstr(q, "\r\ncccccccccccccccccccccccccccccccccccccccc"
                              "cccccccccccccccccccccccccccccccccccc\r\n"));
    for (const char *p = q; (p = strstr(p, "\r\n")); p += 2)
        assert_false(p[2] == '.');
    assert_false(q[0] == '.');
    sw_buf_init(&dec, 1 << 16);
    qp_decode(q, strlen(q), &dec);
    assert_string_equal(sw_buf_str(&dec), sw_buf_str(&in));
    sw_buf_release(&dec);
    sw_buf_release(&in);
    free(q);
}

static void
test_build_limits(void **state)
{
    char *bad_to[] = {"oncall@example.com", "x@example.com\r\nBcc: y@evil"};
    char *many[SW_MIME_MAX_RCPT + 1];
    struct sw_mime_msg m;
    char *out = NULL, *big;
    size_t len = 0, n = SW_MIME_MAX_BODY + 1000;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.date = T_NOW;
    m.message_id = "<id@example.com>";
    m.from = "streamwatch@example.com";
    m.to = to2;
    m.nto = 2;
    m.subject = "s";
    m.subject_len = 1;

    m.to = bad_to;
    assert_int_equal(sw_mime_build(&m, &out, &len), SW_EINVAL);
    assert_null(out);
    m.to = to2;
    m.nto = 0;
    assert_int_equal(sw_mime_build(&m, &out, &len), SW_EINVAL);
    for (size_t i = 0; i <= SW_MIME_MAX_RCPT; i++)
        many[i] = "oncall@example.com";
    m.to = many;
    m.nto = SW_MIME_MAX_RCPT + 1;
    assert_int_equal(sw_mime_build(&m, &out, &len), SW_EINVAL);
    m.nto = SW_MIME_MAX_RCPT;
    assert_int_equal(sw_mime_build(&m, &out, &len), 0);
    assert_lines(out, len, 78);
    free(out);
    m.to = to2;
    m.nto = 2;
    m.from = "Streamwatch <streamwatch@example.com>";
    assert_int_equal(sw_mime_build(&m, &out, &len), SW_EINVAL);
    m.from = "streamwatch@example.com";
    m.message_id = "<id@example.com>\r\nBcc: y@evil";
    assert_int_equal(sw_mime_build(&m, &out, &len), SW_EINVAL);
    m.message_id = "<id@example.com>";

    /* A body over the cap is cut on a character boundary, with a note. */
    big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i += 3)
        memcpy(big + i, "\xe6\x97\xa5", n - i < 3 ? n - i : 3);
    m.body = big;
    m.body_len = n;
    assert_int_equal(sw_mime_build(&m, &out, &len), 0);
    assert_lines(out, len, 78);
    assert_non_null(strstr(out, "\r\n[message truncated by streamwatch]\r\n"));
    assert_null(strstr(out, "=EF=BF=BD")); /* no broken character */
    assert_true(len < SW_MIME_MAX_BODY * 4);
    free(out);
    free(big);
}

/* ---- the notifier ---- */

static struct sw_email_opts
good_opts(void)
{
    struct sw_email_opts o;

    memset(&o, 0, sizeof(o));
    o.url = "smtp://mail.example.com:587";
    o.tls = SW_EMAIL_TLS_STARTTLS;
    o.username = "alerts";
    o.password_file = "/etc/streamwatch/smtp.pass";
    o.from = "streamwatch@example.com";
    o.to = to2;
    o.nto = 2;
    return o;
}

static void
expect_bad(const struct sw_email_opts *o, const char *needle)
{
    struct sw_notifier *n = (struct sw_notifier *)1;
    char err[256] = "";

    assert_int_equal(sw_notifier_email_new("m", o, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(n);
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

static void
test_new(void **state)
{
    struct sw_email_opts o = good_opts();
    struct sw_notifier *n = NULL;
    char *bad_to[] = {"oncall@example.com", "a@b\r\nBcc: c@evil"};
    enum sw_email_tls t;
    char err[256] = "";

    (void)state;
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    assert_non_null(n);
    assert_string_equal(sw_notifier_type(n), "email");
    assert_string_equal(sw_notifier_name(n), "m");
    sw_notifier_free(n);
    sw_notifier_free(NULL);

    o.url = "smtps://mail.example.com";
    o.tls = SW_EMAIL_TLS_IMPLICIT;
    o.ca_file = "/etc/ssl/private-ca.pem";
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    sw_notifier_free(n);

    o = good_opts();
    o.url = "smtp://127.0.0.1:2525/agent.example.com";
    o.tls = SW_EMAIL_TLS_NONE;
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    sw_notifier_free(n);
    o.username = o.password_file = NULL;
    o.url = "smtp://relay.example.com:25";
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    sw_notifier_free(n);

    o = good_opts();
    o.url = "smtp://relay.example.com:25";
    o.tls = SW_EMAIL_TLS_NONE;
    expect_bad(&o, "in clear to relay.example.com, not a loopback host");
    o.allow_insecure = 1; /* the operator's call */
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    sw_notifier_free(n);
    o.allow_insecure = 0;
    o.url = "smtp://127.example.com:25";
    expect_bad(&o, "in clear");
    o.url = "smtp://[::1]:25";
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    sw_notifier_free(n);
    assert_int_equal(sw_email_cleartext_check("smtp://relay.example.com",
                                              SW_EMAIL_TLS_NONE, 1, 1, err,
                                              sizeof(err)),
                     1);
    assert_string_equal(err, "allow_insecure = true: sends the SMTP password "
                             "in clear (tls \"none\") to relay.example.com");
    assert_int_equal(sw_email_cleartext_check("smtp://relay.example.com",
                                              SW_EMAIL_TLS_STARTTLS, 1, 0, err,
                                              sizeof(err)),
                     0);
    assert_int_equal(sw_email_cleartext_check("smtp://relay.example.com",
                                              SW_EMAIL_TLS_NONE, 0, 0, err,
                                              sizeof(err)),
                     0); /* no AUTH, no password */
    o = good_opts();
    o.url = "smtps://mail.example.com";
    expect_bad(&o, "needs an smtp://");
    o.tls = SW_EMAIL_TLS_IMPLICIT;
    o.url = "smtp://mail.example.com";
    expect_bad(&o, "needs an smtps://");
    o = good_opts();
    o.url = "https://mail.example.com";
    expect_bad(&o, "smtp://");
    o.url = "smtp://alerts:hunter2@mail.example.com";
    expect_bad(&o, "credentials");
    o.url = "smtp://mail.example.com/?x=1";
    expect_bad(&o, "query");
    o.url = "smtp://mail.example.com\r\n";
    expect_bad(&o, "control");
    o.url = "";
    expect_bad(&o, "url");
    o = good_opts();
    o.password_file = NULL;
    expect_bad(&o, "together");
    o.username = NULL;
    o.password_file = "/x";
    expect_bad(&o, "together");
    o = good_opts();
    o.username = "al\nerts";
    expect_bad(&o, "control");
    o = good_opts();
    o.from = "Streamwatch <sw@example.com>";
    expect_bad(&o, "'from'");
    o = good_opts();
    o.to = bad_to;
    expect_bad(&o, "(control characters)");
    o.nto = 0;
    expect_bad(&o, "'to'");
    o = good_opts();
    o.tls = (enum sw_email_tls)7;
    expect_bad(&o, "'tls'");
    o = good_opts();
    o.ca_file = "";
    expect_bad(&o, "ca_file");

    assert_int_equal(sw_email_tls_parse("starttls", &t), 0);
    assert_int_equal(t, SW_EMAIL_TLS_STARTTLS);
    assert_int_equal(sw_email_tls_parse("implicit", &t), 0);
    assert_int_equal(t, SW_EMAIL_TLS_IMPLICIT);
    assert_int_equal(sw_email_tls_parse("none", &t), 0);
    assert_int_equal(t, SW_EMAIL_TLS_NONE);
    assert_int_equal(sw_email_tls_parse("STARTTLS", &t), SW_EINVAL);
    assert_int_equal(sw_email_tls_parse(NULL, &t), SW_EINVAL);
}

static void
test_classify(void **state)
{
    static const struct {
        CURLcode cc;
        long status;
        int want;
        const char *needle;
    } cases[] = {
        {CURLE_OK, 250, SW_DELIVERED, ""},
        {CURLE_COULDNT_CONNECT, 0, SW_DELIVERY_RETRY, "failed"},
        {CURLE_OPERATION_TIMEDOUT, 250, SW_DELIVERY_RETRY, "failed"},
        {CURLE_RECV_ERROR, 354, SW_DELIVERY_RETRY, "failed"},
        {CURLE_SSL_CONNECT_ERROR, 220, SW_DELIVERY_RETRY, "failed"},
        {CURLE_PEER_FAILED_VERIFICATION, 220, SW_DELIVERY_RETRY, "certificate"},
        {CURLE_SSL_CACERT_BADFILE, 0, SW_DELIVERY_RETRY, "ca_file"},
        {CURLE_USE_SSL_FAILED, 502, SW_DELIVERY_RETRY, "without TLS"},
        {CURLE_LOGIN_DENIED, 535, SW_DELIVERY_RETRY, "password_file"},
        {CURLE_SEND_ERROR, 530, SW_DELIVERY_RETRY, "authentication or TLS"},
        {CURLE_WEIRD_SERVER_REPLY, 421, SW_DELIVERY_RETRY, "temporary"},
        {CURLE_SEND_ERROR, 450, SW_DELIVERY_RETRY, "450"},
        {CURLE_WEIRD_SERVER_REPLY, 451, SW_DELIVERY_RETRY, "451"},
        {CURLE_SEND_ERROR, 452, SW_DELIVERY_RETRY, "temporary"},
        {CURLE_SEND_ERROR, 550, SW_DELIVERY_PERMANENT, "refused the message"},
        {CURLE_SEND_ERROR, 553, SW_DELIVERY_PERMANENT, "553"},
        {CURLE_WEIRD_SERVER_REPLY, 554, SW_DELIVERY_PERMANENT, "554"},
        {CURLE_SEND_ERROR, 552, SW_DELIVERY_PERMANENT, "552"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        int got = sw_email_classify(cases[i].cc, cases[i].status,
                                    i % 2 ? "" : "detail from curl",
                                    "mail.example.com", err, sizeof(err));
        if (got != cases[i].want || !strstr(err, cases[i].needle))
            fail_msg("case %zu: %d '%s'", i, got, err);
        if (got != SW_DELIVERED) {
            assert_non_null(strstr(err, "mail.example.com") ? err : NULL);
            assert_null(strchr(err, '\n'));
        }
    }
}

static void
test_prepare(void **state)
{
    char dir[] = "/tmp/sw_email_XXXXXX", pw[64], err[512];
    struct sw_email_opts o = good_opts();
    struct sw_notifier *n = NULL;
    json_t *rec = load_record(), *junk;
    void *ctx = (void *)1;
    CURL *easy;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_true(snprintf(pw, sizeof(pw), "%s/smtp.pass", dir) <
                (int)sizeof(pw));
    o.password_file = pw;
    assert_int_equal(sw_notifier_email_new("m", &o, &n, err, sizeof(err)), 0);
    easy = curl_easy_init();
    assert_non_null(easy);

    /* No password file yet: retry later (not EINVAL, which drops). */
    err[0] = '\0';
    assert_int_equal(
        n->ops->prepare(n, rec, T_NOW, easy, &ctx, err, sizeof(err)), SW_EAUTH);
    assert_null(ctx);
    assert_non_null(strstr(err, pw));

    f = fopen(pw, "w");
    assert_non_null(f);
    fputs("s3cret-password\n", f);
    fclose(f);
    err[0] = '\0';
    assert_int_equal(
        n->ops->prepare(n, rec, T_NOW, easy, &ctx, err, sizeof(err)), 0);
    assert_non_null(ctx);
    /* done() before any byte went out is no delivery, even with OK. */
    assert_int_equal(
        n->ops->done(n, ctx, CURLE_OK, 250, "", 0, err, sizeof(err)),
        SW_DELIVERY_RETRY);
    assert_int_equal(
        n->ops->done(n, ctx, CURLE_SEND_ERROR, 550, "", 0, err, sizeof(err)),
        SW_DELIVERY_PERMANENT);
    assert_null(strstr(err, "s3cret"));
    n->ops->ctx_free(ctx);
    n->ops->ctx_free(NULL);
    curl_easy_cleanup(easy);

    /* A record that is not one can never be sent: permanent. */
    easy = curl_easy_init();
    junk = json_pack("{s:s}", "hello", "world");
    ctx = (void *)1;
    assert_int_equal(
        n->ops->prepare(n, junk, T_NOW, easy, &ctx, err, sizeof(err)),
        SW_EPARSE);
    assert_null(ctx);
    curl_easy_cleanup(easy);
    json_decref(junk);

    assert_int_equal(unlink(pw), 0);
    assert_int_equal(rmdir(dir), 0);
    sw_notifier_free(n);
    json_decref(rec);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_exact_message),
        cmocka_unit_test(test_message_id),
        cmocka_unit_test(test_subject_japanese_emoji),
        cmocka_unit_test(test_subject_long_non_ascii),
        cmocka_unit_test(test_subject_injection),
        cmocka_unit_test(test_subject_folding),
        cmocka_unit_test(test_qp),
        cmocka_unit_test(test_qp_long_lines),
        cmocka_unit_test(test_build_limits),
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_prepare),
    };
    int r;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
