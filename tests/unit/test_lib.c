/* tests/unit/test_lib.c - lib/: buffers, strings, clocks, secrets, metric
 * helpers, JSON helpers, string vectors, shell-style word splitting,
 * SHA-256/HMAC. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/json_util.h"
#include "lib/metric.h"
#include "lib/secret.h"
#include "lib/str.h"
#include "lib/strv.h"
#include "lib/words.h"

static void
test_buf_cap(void **state)
{
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 8);
    assert_string_equal(sw_buf_str(&b), "");
    assert_int_equal(sw_buf_adds(&b, "abcd"), 0);
    assert_int_equal(sw_buf_addf(&b, "%d", 123), 0);
    assert_string_equal(sw_buf_str(&b), "abcd123");
    assert_int_equal(sw_buf_adds(&b, "xy"), SW_ETOOBIG);
    /* a refused append leaves the contents alone */
    assert_string_equal(sw_buf_str(&b), "abcd123");
    assert_int_equal(sw_buf_addc(&b, 'z'), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(sw_buf_addc(&b, 'q'), SW_ETOOBIG);
    assert_int_equal(sw_buf_addf(&b, "%s", "q"), SW_ETOOBIG);
    sw_buf_release(&b);
    assert_null(b.data);
    sw_buf_release(NULL);

    /* No cap of its own: CAP + 1 would wrap to 0, and a buffer of one
     * byte was written past (found by ASan in the outbox). */
    sw_buf_init(&b, SIZE_MAX);
    assert_int_equal(sw_buf_adds(&b, "a longer line than sixty-four bytes, "
                                     "the first allocation of a buffer"),
                     0);
    assert_int_equal(sw_buf_addc(&b, '!'), 0);
    assert_string_equal(sw_buf_str(&b),
                        "a longer line than sixty-four bytes, the first "
                        "allocation of a buffer!");
    assert_int_equal(sw_buf_add(&b, "x", SIZE_MAX - b.len), SW_ETOOBIG);
    sw_buf_release(&b);
}

static void
test_buf_steal(void **state)
{
    struct sw_buf b;
    size_t n = 99;
    char *s;

    (void)state;
    sw_buf_init(&b, 1024);
    s = sw_buf_steal(&b, &n);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
    free(s);
    assert_int_equal(sw_buf_add(&b, "a\0b", 3), 0);
    s = sw_buf_steal(&b, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a\0b", 4);
    assert_null(b.data);
    free(s);
    assert_int_equal(sw_buf_adds(&b, "secret"), 0);
    sw_buf_wipe(&b);
    assert_null(b.data);
}

static void
test_parse_numbers(void **state)
{
    long l;
    double d;

    (void)state;
    assert_int_equal(sw_parse_long("42", 0, 100, &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(sw_parse_long("-1", 0, 100, &l), SW_ERANGE);
    assert_int_equal(sw_parse_long("101", 0, 100, &l), SW_ERANGE);
    assert_int_equal(sw_parse_long("4x", 0, 100, &l), SW_EINVAL);
    assert_int_equal(sw_parse_long("", 0, 100, &l), SW_EINVAL);
    assert_int_equal(sw_parse_long(" 4", 0, 100, &l), SW_EINVAL);
    assert_int_equal(sw_parse_long("99999999999999999999999", 0, 100, &l),
                     SW_ERANGE);
    assert_int_equal(sw_parse_double("12.5", &d), 0);
    assert_true(d == 12.5);
    assert_int_equal(sw_parse_double("-1e3", &d), 0);
    assert_true(d == -1000.0);
    assert_int_equal(sw_parse_double("nan", &d), SW_EINVAL);
    assert_int_equal(sw_parse_double("inf", &d), SW_EINVAL);
    assert_int_equal(sw_parse_double("1e999", &d), SW_EINVAL);
    assert_int_equal(sw_parse_double("0x10", &d), SW_EINVAL);
    assert_int_equal(sw_parse_double("1.5 ", &d), SW_EINVAL);
}

static void
test_strings(void **state)
{
    char b[4], t[] = "  hi there \n";

    (void)state;
    assert_int_equal(sw_strlcpy(b, "abcdef", sizeof(b)), 6);
    assert_string_equal(b, "abc");
    assert_string_equal(sw_str_trim(t), "hi there");
    assert_true(sw_str_has_prefix("arn:aws:sns", "arn:"));
    assert_false(sw_str_has_prefix("ar", "arn:"));
    assert_true(sw_str_has_ctl("a\nb", 3));
    assert_true(sw_str_has_ctl("a\0b", 3));
    assert_false(sw_str_has_ctl("a b", 3));
    assert_null(sw_strdup(NULL));
}

static void
test_format_double(void **state)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {10.0, "10.0"},
        {21.5, "21.5"},
        {99.7027322404378, "99.7027322404378"},
        {0.0666851903306472, "0.0666851903306472"},
        {0.0, "0.0"},
        {-0.0, "0.0"},
        {-3.0, "-3.0"},
        {1234.0, "1234.0"},
        {1e7, "1.0E7"},
        {1.5e-4, "1.5E-4"},
        {0.001, "0.001"},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_true(sw_format_double(out, sizeof(out), cases[i].v) > 0);
        assert_string_equal(out, cases[i].s);
    }
    assert_int_equal(sw_format_double(out, 3, 10.0), SW_ETOOBIG);
}

static void
test_time_formats(void **state)
{
    time_t t;
    char b[SW_TIME_BUF];

    (void)state;
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25T10:05:00Z", &t), 0);
    assert_int_equal((long long)t, 1795601100LL);
    assert_string_equal(sw_time_rfc3339(t, b), "2026-11-25T10:05:00Z");
    assert_string_equal(sw_time_amz(t, b), "20261125T100500Z");
    assert_string_equal(sw_time_reason(t, b), "25/11/26 10:05:00");
    assert_string_equal(sw_time_cw(t, b), "2026-11-25T10:05:00.000+0000");
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25T10:05:00.512+0000", &t),
                     0);
    assert_int_equal((long long)t, 1795601100LL);
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25T19:05:00+09:00", &t), 0);
    assert_int_equal((long long)t, 1795601100LL);
    assert_int_equal(sw_time_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(sw_time_parse_rfc3339("2026-02-29T00:00:00Z", &t),
                     SW_EPARSE);
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25 10:05:00Z", &t),
                     SW_EPARSE);
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25T10:05:00", &t),
                     SW_EPARSE);
    assert_int_equal(sw_time_parse_rfc3339("2026-11-25T10:05:00Zjunk", &t),
                     SW_EPARSE);
    assert_int_equal(sw_time_parse_rfc3339(NULL, &t), SW_EPARSE);
    assert_int_equal(sw_time_parse_http("Wed, 25 Nov 2026 10:05:00 GMT", &t),
                     0);
    assert_int_equal((long long)t, 1795601100LL);
    assert_int_equal(sw_time_parse_http("25 Nov 2026 10:05:00 GMT", &t),
                     SW_EPARSE);
    assert_int_equal(sw_time_parse_http("Wed, 25 Foo 2026 10:05:00 GMT", &t),
                     SW_EPARSE);
    assert_true(sw_mono_now() > 0);
}

static void
test_secret(void **state)
{
    struct sw_secret s = {0}, c = {0};
    char path[] = "/tmp/sw-secret-XXXXXX";
    int fd;

    (void)state;
    assert_int_equal(sw_secret_set(&s, "abc", 3), 0);
    assert_int_equal(sw_secret_copy(&c, &s), 0);
    assert_string_equal(c.s, "abc");
    sw_secret_release(&s);
    sw_secret_release(&c);
    assert_null(s.s);
    sw_secret_release(NULL);

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hunter2\r\n", 9), 9);
    close(fd);
    assert_int_equal(sw_secret_read_file(&s, path), 0);
    assert_string_equal(s.s, "hunter2");
    assert_int_equal(s.len, 7);
    sw_secret_release(&s);
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    assert_int_equal(sw_secret_read_file(&s, path), SW_EINVAL);
    unlink(path);
    assert_int_equal(sw_secret_read_file(&s, path), SW_ENOENT);
}

/* Loopback is a literal 127.0.0.0/8, ::1 or "localhost", never a name
 * that only starts like one. */
static void
test_url_loopback(void **state)
{
    static const char *const yes[] = {
        "127.0.0.1", "127.255.0.9", "localhost",        "LocalHost",
        "[::1]",     "::1",         "[0:0:0:0:0:0:0:1]"};
    static const char *const no[] = {"128.0.0.1",
                                     "10.0.0.7",
                                     "127.1",
                                     "127.0.0.1.example.com",
                                     "127.",
                                     "localhost.",
                                     "localhost.example.com",
                                     "[::2]",
                                     "[::ffff:127.0.0.1]",
                                     "[::1",
                                     "",
                                     "0.0.0.0",
                                     "example.com"};
    char host[16], err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!sw_host_is_loopback(yes[i]))
            fail_msg("'%s' is loopback", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (sw_host_is_loopback(no[i]))
            fail_msg("'%s' is not loopback", no[i]);
    assert_false(sw_host_is_loopback(NULL));

    assert_int_equal(
        sw_url_host("http://u:p@127.0.0.1:80/a@b?c#d", host, sizeof(host)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(sw_url_host("smtp://[::1]:25", host, sizeof(host)), 0);
    assert_string_equal(host, "[::1]");
    assert_int_equal(sw_url_host("https://h.example", host, sizeof(host)), 0);
    assert_string_equal(host, "h.example");
    assert_int_equal(sw_url_host("http://:80/", host, sizeof(host)), SW_EINVAL);
    assert_int_equal(sw_url_host("h.example", host, sizeof(host)), SW_EINVAL);
    assert_int_equal(
        sw_url_host("http://a-very-long-host.example/", host, sizeof(host)),
        SW_ETOOBIG);

    assert_true(sw_url_is_loopback("http://127.0.0.1:9/hook"));
    assert_true(sw_url_is_loopback("smtp://localhost"));
    assert_true(sw_url_is_loopback("http://[::1]:9093/"));
    assert_false(sw_url_is_loopback("http://127.0.0.1.example.com/"));
    /* The last '@' ends the userinfo, as in curl. */
    assert_false(sw_url_is_loopback("http://127.0.0.1@evil.example/"));
    assert_false(sw_url_is_loopback("http://127.0.0.1:1@evil.example/"));
    assert_false(sw_url_is_loopback(NULL));

    /* What may travel: https, loopback, and allowed http. */
    assert_int_equal(sw_url_cleartext_check("url", "https://h.example/", "x", 0,
                                            err, sizeof(err)),
                     0);
    assert_int_equal(sw_url_cleartext_check("url", "http://127.0.0.1:9/", "x",
                                            0, err, sizeof(err)),
                     0);
    assert_int_equal(
        sw_url_cleartext_check("url", NULL, "x", 1, err, sizeof(err)), 0);
    assert_int_equal(sw_url_cleartext_check("url", "HTTP://h.example/t?k=v",
                                            "the token", 0, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "'url' is http:// to h.example, not a loopback "
                             "host: it would send the token in clear; use "
                             "https://, or allow_insecure = true");
    assert_int_equal(sw_url_cleartext_check("url", "http://h.example:8/",
                                            "the token", 1, err, sizeof(err)),
                     1);
    assert_string_equal(err, "allow_insecure = true: sends the token in "
                             "clear over http:// to h.example");
}

/* Run sw_secret_read_file(PATH) with stderr caught in LOG; return what was
 * logged (static). */
static const char *
read_logged(const char *path, const char *log, int *r)
{
    static char buf[4096];
    struct sw_secret s = {0};
    int saved, fd;
    ssize_t n;

    fflush(stderr);
    saved = dup(2);
    fd = open(log, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    *r = sw_secret_read_file(&s, path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (*r == 0)
        assert_string_equal(s.s, "hunter2");
    sw_secret_release(&s);
    return buf;
}

/* Secret files are judged as ssh judges a private key, with a warning
 * that names the file, on the descriptor that was read. */
static void
test_secret_file_checks(void **state)
{
    char dir[] = "/tmp/sw-secret-dir-XXXXXX";
    char path[128], link[128], log[128], want[512];
    const char *got;
    int fd, r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/token", dir);
    snprintf(link, sizeof(link), "%s/link", dir);
    snprintf(log, sizeof(log), "%s/stderr", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hunter2\n", 8), 8);
    close(fd);

    got = read_logged(path, log, &r);
    assert_int_equal(r, 0);
    assert_string_equal(got, "");

    assert_int_equal(chmod(path, 0644), 0);
    got = read_logged(path, log, &r);
    assert_int_equal(r, 0); /* a warning, not a refusal */
    snprintf(want, sizeof(want),
             "warning: secret file '%s' is readable by group or others "
             "(mode 0644); chmod 600 it\n",
             path);
    if (!strstr(got, want))
        fail_msg("want '%s' in '%s'", want, got);
    assert_null(strstr(got, "hunter2"));

    assert_int_equal(chmod(path, 0620), 0);
    got = read_logged(path, log, &r);
    assert_non_null(strstr(got, "is accessible by group or others (mode "
                                "0620)"));
    assert_int_equal(chmod(path, 0600), 0);

    assert_int_equal(symlink(path, link), 0);
    got = read_logged(link, log, &r);
    assert_int_equal(r, 0);
    snprintf(want, sizeof(want),
             "warning: secret file '%s' is a symbolic link (to '%s'); name "
             "the file itself\n",
             link, path);
    if (!strstr(got, want))
        fail_msg("want '%s' in '%s'", want, got);
    assert_null(strstr(got, "mode")); /* the target is 0600 */

    if (geteuid() == 0) {
        assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
        got = read_logged(path, log, &r);
        assert_int_equal(r, 0);
        assert_non_null(strstr(got, "is owned by uid 65534, not by the "
                                    "agent's uid 0; chown it"));
    }

    unlink(link);
    assert_int_equal(symlink("/nonexistent/sw-secret", link), 0);
    (void)read_logged(link, log, &r);
    assert_int_equal(r, SW_ENOENT);
    unlink(link);
    unlink(path);
    unlink(log);
    rmdir(dir);
}

static void
test_metric(void **state)
{
    struct sw_datapoint v[] = {
        {300, 3, -1}, {60, 1, -1}, {300, 33, -1}, {0, 0, -1}, {60, 11, -1},
    };
    size_t n;

    (void)state;
    n = sw_datapoints_normalize(v, 5);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].ts, 0);
    assert_int_equal(v[1].ts, 60);
    assert_true(v[1].value == 11); /* the later duplicate wins */
    assert_int_equal(v[2].ts, 300);
    assert_true(v[2].value == 33);
    assert_true(sw_stat_is_valid("Sum"));
    assert_true(sw_stat_is_valid("SampleCount"));
    assert_true(sw_stat_is_valid("p99"));
    assert_true(sw_stat_is_valid("p99.9"));
    assert_true(sw_stat_is_valid("p0"));
    assert_true(sw_stat_is_valid("p100"));
    assert_false(sw_stat_is_valid("p101"));
    assert_false(sw_stat_is_valid("p-1"));
    assert_false(sw_stat_is_valid("p"));
    assert_false(sw_stat_is_valid("sum"));
    assert_false(sw_stat_is_valid("p1e1"));
    assert_false(sw_stat_is_valid(NULL));
    assert_string_equal(sw_strerror(SW_ETIMEDOUT), "timed out");
}

/* --- lib/strv ---------------------------------------------------------- */

static void
test_strv(void **state)
{
    struct sw_strv sv = {NULL, 0};
    static const char *const in[] = {"orders", "clicks", "orders",
                                     "audit",  "clicks", "orders"};

    (void)state;
    sw_strv_sort_unique(&sv); /* empty: nothing to do */
    sw_strv_sort_unique(NULL);
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        assert_int_equal(sw_strv_push(&sv, in[i]), 0);
    assert_int_equal(sv.n, 6);
    /* copies, not the caller's pointers */
    assert_ptr_not_equal(sv.v[0], in[0]);
    sw_strv_sort_unique(&sv);
    assert_int_equal(sv.n, 3);
    assert_string_equal(sv.v[0], "audit");
    assert_string_equal(sv.v[1], "clicks");
    assert_string_equal(sv.v[2], "orders");
    sw_strv_sort_unique(&sv); /* idempotent */
    assert_int_equal(sv.n, 3);
    sw_strv_release(&sv);
    assert_null(sv.v);
    assert_int_equal(sv.n, 0);
    sw_strv_release(&sv);
    sw_strv_release(NULL);
}

/* --- lib/words --------------------------------------------------------- */

static void
check_split(const char *in, const char *const *want, size_t nwant)
{
    char **argv = NULL;
    size_t argc = 99;
    char err[64] = "";

    if (sw_words_split(in, &argv, &argc, err, sizeof(err)) != 0)
        fail_msg("split(%s) failed: %s", in, err);
    if (argc != nwant)
        fail_msg("split(%s): %zu words, want %zu", in, argc, nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[argc]);
    sw_words_free(argv);
}

#define SPLIT(in, ...)                                                         \
    do {                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                         \
        check_split(in, w_, sizeof(w_) / sizeof(w_[0]));                       \
    } while (0)

static void
test_words_split(void **state)
{
    char **argv = NULL;
    size_t argc = 0;
    char err[64];

    (void)state;
    /* Expected values are what Python's shlex.split() returns. */
    SPLIT("a b  c", "a", "b", "c");
    SPLIT("'a b' c", "a b", "c");
    SPLIT("\"a b\" c", "a b", "c");
    SPLIT("a\\ b", "a b");
    SPLIT("\"a\\\"b\"", "a\"b");
    SPLIT("\"a\\$b\"", "a\\$b");
    SPLIT("\"a\\\\b\"", "a\\b");
    SPLIT("\"\\`x\\`\"", "\\`x\\`");
    SPLIT("'a\\b'", "a\\b");
    SPLIT("a''b", "ab");
    SPLIT("''", "");
    SPLIT("a '' b", "a", "", "b");
    SPLIT("x#y #z", "x#y", "#z");
    SPLIT("tab\tsep\nnl", "tab", "sep", "nl");
    SPLIT("/bin/x --arg=\"v w\" y", "/bin/x", "--arg=v w", "y");
    SPLIT("a\"b c\"d", "ab cd");
    SPLIT("a\\nb", "anb");
    SPLIT("'it'\\''s'", "it's");
    SPLIT("  '/opt/my tool/helper' credential-process --profile-arn "
          "arn:aws:rolesanywhere:x:1:profile/p  ",
          "/opt/my tool/helper", "credential-process", "--profile-arn",
          "arn:aws:rolesanywhere:x:1:profile/p");
    /* a config file's section header, as aws/profile splits it */
    SPLIT("profile \"my name\"", "profile", "my name");

    assert_int_equal(sw_words_split("  \t\n", &argv, &argc, err, sizeof(err)),
                     0);
    assert_int_equal(argc, 0);
    assert_non_null(argv);
    assert_null(argv[0]);
    sw_words_free(argv);

    assert_int_equal(sw_words_split("'abc", &argv, &argc, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(argv);
    assert_string_equal(err, "No closing quotation");
    assert_int_equal(sw_words_split("a \"b c", &argv, &argc, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "No closing quotation");
    assert_int_equal(sw_words_split("abc\\", &argv, &argc, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "No escaped character");
    assert_int_equal(sw_words_split("\"a\\", &argv, &argc, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "No escaped character");
    /* ERR may be NULL */
    assert_int_equal(sw_words_split("'", &argv, &argc, NULL, 0), SW_EINVAL);
    sw_words_free(NULL);
}

/* --- lib/hash ---------------------------------------------------------- */

static void
test_hashes(void **state)
{
    unsigned char md[SW_SHA256_LEN];
    char out[SW_SHA256_HEX];
    static const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};

    (void)state;
    assert_int_equal(sw_sha256_hex(NULL, 0, out), 0);
    assert_string_equal(
        out,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(sw_sha256("abc", 3, md), 0);
    sw_hex_lower(md, sizeof(md), out);
    assert_string_equal(
        out,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    assert_int_equal(
        sw_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out),
        0);
    assert_string_equal(
        out,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(sw_hmac_sha256(NULL, 0, NULL, 0, md), 0);
    sw_hex_lower(md, sizeof(md), out);
    assert_string_equal(
        out,
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    assert_int_equal(sw_hmac_sha256_hex(NULL, 0, NULL, 0, out), 0);
    assert_string_equal(
        out,
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    sw_hex_lower(bytes, sizeof(bytes), out);
    assert_string_equal(out, "000fa5ff");
    sw_hex_lower(bytes, 0, out);
    assert_string_equal(out, "");
}

/* lib/json_util: the set/append family records failures; strings that
 * are not UTF-8 are repaired; sw_json_str() reads only strings. */
static void
test_json_util(void **state)
{
    json_t *o = json_object(), *a = json_array(), *v;
    int failed = 0;

    (void)state;
    assert_non_null(o);
    assert_non_null(a);
    sw_json_set_new(o, "k", json_string("v"), &failed);
    sw_json_append_new(a, json_integer(1), &failed);
    assert_int_equal(failed, 0);
    sw_json_set_new(o, "null", NULL, &failed); /* a failed constructor */
    assert_int_equal(failed, 1);
    failed = 0;
    sw_json_append_new(a, NULL, &failed);
    assert_int_equal(failed, 1);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(sw_json_str(o, "k"), "v");
    sw_json_set_new(o, "n", json_integer(7), &failed);
    assert_null(sw_json_str(o, "n"));
    assert_null(sw_json_str(o, "missing"));
    assert_null(sw_json_str(a, "k"));

    v = sw_json_string_repair("bad\xff");
    assert_string_equal(json_string_value(v), "bad\xef\xbf\xbd");
    json_decref(v);
    v = sw_json_string_repair(NULL);
    assert_true(json_is_null(v));
    json_decref(v);
    json_decref(o);
    json_decref(a);
}

/* lib/json_util, the helpers of the modules that speak JSON to a server
 * and write JSON lines: a reply that must be an object, with its reason
 * on one printable line; type names; strings without NUL inside; array
 * members with a cap; a request body with its one-line failure; a line. */
static void
test_json_reply_helpers(void **state)
{
    struct sw_buf b;
    json_t *o, *a, *v;
    char err[256];
    const char *s;
    size_t n;
    char *line;
    const char *doc = "{\"a\": [1, 2], \"n\": null, \"s\": \"x\"}";

    (void)state;
    o = sw_json_load_object(doc, strlen(doc), err, sizeof(err));
    assert_non_null(o);
    assert_null(sw_json_load_object("[1]", 3, err, sizeof(err)));
    assert_string_equal(err, "reply is an array, not a JSON object");
    assert_null(sw_json_load_object(NULL, 0, err, sizeof(err)));
    assert_true(strncmp(err, "reply is not JSON: ", 19) == 0);
    /* jansson quotes the bad input: control bytes become spaces */
    assert_null(sw_json_load_object("\x01\x02", 2, err, sizeof(err)));
    assert_null(strchr(err, '\x01'));
    assert_null(strchr(err, '\x02'));

    assert_string_equal(sw_json_type_name(json_object_get(o, "a")), "an array");
    assert_string_equal(sw_json_type_name(json_object_get(o, "n")), "null");
    assert_string_equal(sw_json_type_name(o), "an object");

    assert_int_equal(sw_json_array_member(o, "a", 2, &a, err, sizeof(err)), 0);
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(sw_json_array_member(o, "n", 2, &a, err, sizeof(err)), 0);
    assert_null(a);
    assert_int_equal(sw_json_array_member(o, "gone", 2, &a, err, sizeof(err)),
                     0);
    assert_null(a);
    assert_int_equal(sw_json_array_member(o, "a", 1, &a, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "'a' has 2 entries, more than 1");
    assert_int_equal(sw_json_array_member(o, "s", 1, &a, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "'s' is a string, not an array");

    s = sw_json_whole_string(json_object_get(o, "s"), &n);
    assert_string_equal(s, "x");
    assert_int_equal(n, 1);
    v = json_stringn("a\0b", 3);
    assert_null(sw_json_whole_string(v, NULL));
    json_decref(v);
    assert_null(sw_json_whole_string(o, NULL));

    line = sw_json_line(json_object_get(o, "a"), JSON_COMPACT);
    assert_string_equal(line, "[1,2]\n");
    free(line);

    /* a builder's end: appended, or "out of memory" when it failed */
    sw_buf_init(&b, 8);
    assert_int_equal(sw_json_finish_body(json_incref(json_object_get(o, "a")),
                                         0, &b, err, sizeof(err)),
                     0);
    assert_string_equal(sw_buf_str(&b), "[1,2]");
    assert_int_equal(sw_json_finish_body(NULL, 0, &b, err, sizeof(err)),
                     SW_ENOMEM);
    assert_string_equal(err, "out of memory");
    assert_int_equal(
        sw_json_finish_body(json_object(), 1, &b, err, sizeof(err)), SW_ENOMEM);
    assert_int_equal(
        sw_json_finish_body(json_incref(o), 0, &b, err, sizeof(err)),
        SW_ETOOBIG);
    assert_string_equal(err, "request body too large for its buffer");
    assert_string_equal(sw_buf_str(&b), "[1,2]"); /* as it was */
    sw_buf_release(&b);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_steal),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_secret_file_checks),
        cmocka_unit_test(test_url_loopback),
        cmocka_unit_test(test_metric),
        cmocka_unit_test(test_json_util),
        cmocka_unit_test(test_json_reply_helpers),
        cmocka_unit_test(test_strv),
        cmocka_unit_test(test_words_split),
        cmocka_unit_test(test_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
