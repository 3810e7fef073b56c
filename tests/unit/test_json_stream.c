/* tests/unit/test_json_stream.c - lib/json_stream: the pull reader (from
 * memory and from a file in pieces), its strictness and its messages, and
 * the writers' round trips. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/json_stream.h"

static void
test_walk(void **state)
{
    const char *text = " {\"s\": \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\", "
                       "\"i\": -42, \"d\": 12.5, \"n\": null, \"t\": true,\n"
                       "\"a\": [1, [2, {}], \"x\"], \"o\": {\"k\": false}} ";
    struct sw_jread r;
    const char *key, *s;
    size_t len;
    int64_t i;
    double d;

    (void)state;
    sw_jread_init_mem(&r, text, strlen(text));
    assert_int_equal(sw_jread_peek(&r), SW_JREAD_OBJECT);
    assert_int_equal(sw_jread_object(&r), 0);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_string_equal(key, "s");
    assert_int_equal(sw_jread_string(&r, &s, &len), 0);
    assert_string_equal(s, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(len, 12);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_int_equal(sw_jread_int(&r, &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_int_equal(sw_jread_double(&r, &d), 0);
    assert_true(d == 12.5);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_int_equal(sw_jread_null(&r), 1);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_int_equal(sw_jread_null(&r), 0);
    assert_int_equal(sw_jread_peek(&r), SW_JREAD_TRUE);
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_string_equal(key, "a");
    assert_int_equal(sw_jread_array(&r), 0);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_int(&r, &i), 0);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_string(&r, &s, NULL), 0);
    assert_int_equal(sw_jread_element(&r), 0);
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_string_equal(key, "o");
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_member(&r, &key), 0);
    assert_int_equal(sw_jread_end(&r), 0);
    assert_string_equal(sw_jread_error(&r), "");
    sw_jread_release(&r);
}

struct bad {
    const char *text;
    const char *msg;
    int at_end;
};

/* Skip the whole text as one value, then expect its end. */
static int
skip_all(const char *text, size_t n, struct sw_jread *r)
{
    int k;

    sw_jread_init_mem(r, text, n);
    k = sw_jread_skip(r, NULL);
    if (k == 0)
        k = sw_jread_end(r);
    return k;
}

static void
test_strict(void **state)
{
    static const struct bad cases[] = {
        {"", "1:1: text ends where a value should be", 1},
        {"[1,]", "1:4: trailing comma", 0},
        {"{\"a\" 1}", "1:6: expected ':'", 0},
        {"{\"a\":1,}", "1:8: trailing comma", 0},
        {"{1:2}", "1:2: expected a key", 0},
        {"[1 2]", "1:4: expected ',' or ']'", 0},
        {"\"abc", "text ends inside a string", 1},
        {"\"a\x01\"", "control character in a string", 0},
        {"\"\xc3\x28\"", "string is not UTF-8", 0},
        {"\"\xed\xa0\x80\"", "string is not UTF-8", 0},
        {"\"\\u0000\"", "\\u0000 in a string", 0},
        {"\"\\udc00\"", "a lone low surrogate", 0},
        {"\"\\ud800x\"", "a lone high surrogate", 0},
        {"\"\\x\"", "invalid escape", 0},
        {"01", "invalid number", 0},
        {"1.", "invalid number", 0},
        {"-", "invalid number", 0},
        {"1e", "invalid number", 0},
        {"+1", "not the start of a value", 0},
        {"nul", "text ends inside a literal", 1},
        {"nulL", "invalid literal", 0},
        {"{} x", "1:4: text after the end of the value", 0},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         "nested too deep", 0},
        {"\n\n  [1,\n   x]", "4:4: invalid character", 0},
    };
    struct sw_jread r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int k = skip_all(cases[i].text, strlen(cases[i].text), &r);
        if (k != SW_EPARSE || !strstr(sw_jread_error(&r), cases[i].msg) ||
            sw_jread_at_end(&r) != cases[i].at_end)
            fail_msg("case %zu: k=%d '%s' at_end=%d (want '%s')", i, k,
                     sw_jread_error(&r), sw_jread_at_end(&r), cases[i].msg);
        /* Sticky. */
        assert_int_equal(sw_jread_peek(&r), SW_EPARSE);
        sw_jread_release(&r);
    }
    /* A NUL byte is not JSON either. */
    assert_int_equal(skip_all("[1,\0 2]", 7, &r), SW_EPARSE);
    sw_jread_release(&r);
}

static void
test_numbers(void **state)
{
    static const char *const doubles[] = {"0.1",
                                          "12.0",
                                          "-0.5",
                                          "1e-7",
                                          "1.5E+3",
                                          "1e22",
                                          "123456789012345678",
                                          "0.30000000000000004",
                                          "1.7976931348623157e308",
                                          "5e-324",
                                          "-0",
                                          "99.7027322404378",
                                          "0.000001234567890123456789"};
    struct sw_jread r;
    int64_t i;
    double d;

    (void)state;
    for (size_t k = 0; k < sizeof(doubles) / sizeof(doubles[0]); k++) {
        sw_jread_init_mem(&r, doubles[k], strlen(doubles[k]));
        assert_int_equal(sw_jread_double(&r, &d), 0);
        assert_true(d == strtod(doubles[k], NULL));
        assert_true(signbit(d) == signbit(strtod(doubles[k], NULL)));
        sw_jread_release(&r);
    }
    /* The fast path too: numbers followed by more text. */
    sw_jread_init_mem(&r, "[0.1,-7.25,3]", 13);
    assert_int_equal(sw_jread_array(&r), 0);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_double(&r, &d), 0);
    assert_true(d == 0.1);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_double(&r, &d), 0);
    assert_true(d == -7.25);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_int(&r, &i), 0);
    assert_int_equal(i, 3);
    sw_jread_release(&r);

    sw_jread_init_mem(&r, "9223372036854775807", 19);
    assert_int_equal(sw_jread_int(&r, &i), 0);
    assert_true(i == INT64_MAX);
    sw_jread_release(&r);
    sw_jread_init_mem(&r, "-9223372036854775808", 20);
    assert_int_equal(sw_jread_int(&r, &i), 0);
    assert_true(i == INT64_MIN);
    sw_jread_release(&r);
    sw_jread_init_mem(&r, "9223372036854775808", 19);
    assert_int_equal(sw_jread_int(&r, &i), SW_EPARSE);
    assert_true(sw_jread_wrong_kind(&r));
    sw_jread_release(&r);
    sw_jread_init_mem(&r, "[1.5]", 5);
    assert_int_equal(sw_jread_array(&r), 0);
    assert_int_equal(sw_jread_element(&r), 1);
    assert_int_equal(sw_jread_int(&r, &i), SW_EPARSE);
    assert_non_null(strstr(sw_jread_error(&r), "expected an integer"));
    sw_jread_release(&r);
    sw_jread_init_mem(&r, "1e999", 5);
    assert_int_equal(sw_jread_double(&r, &d), SW_EPARSE);
    sw_jread_release(&r);
    /* A value of another kind: the caller's to name. */
    sw_jread_init_mem(&r, "\"1\"", 3);
    assert_int_equal(sw_jread_int(&r, &i), SW_EPARSE);
    assert_true(sw_jread_wrong_kind(&r));
    assert_false(sw_jread_at_end(&r));
    sw_jread_release(&r);
}

/* A copy keeps the text less its whitespace, strings as written. */
static void
test_skip_copy(void **state)
{
    const char *text = "{ \"a\" : [ 1 , 2.50 ,\n\t\"x \\u00e9\\n\" ] ,"
                       " \"b\":{ } , \"c\" : null } tail";
    struct sw_jread r;
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 1024);
    sw_buf_adds(&b, "<");
    sw_jread_init_mem(&r, text, strlen(text));
    assert_int_equal(sw_jread_skip(&r, &b), 0);
    assert_string_equal(
        b.data, "<{\"a\":[1,2.50,\"x \\u00e9\\n\"],\"b\":{},\"c\":null}");
    sw_jread_release(&r);
    /* A failure leaves the copy as it was. */
    sw_jread_init_mem(&r, "[1, 2", 5);
    assert_int_equal(sw_jread_skip(&r, &b), SW_EPARSE);
    assert_string_equal(
        b.data, "<{\"a\":[1,2.50,\"x \\u00e9\\n\"],\"b\":{},\"c\":null}");
    sw_jread_release(&r);
    sw_buf_release(&b);
}

/* From a file, in 64 KiB pieces: strings, numbers and copies that cross
 * the pieces' edges read as from memory; the size cap holds. */
static void
test_file_pieces(void **state)
{
    char path[] = "/tmp/sw_json_stream_XXXXXX";
    struct sw_buf text, copy, want;
    struct sw_jread r;
    int fd = mkstemp(path), k, n = 0;
    const char *key, *s;

    (void)state;
    assert_true(fd >= 0);
    sw_buf_init(&text, 1u << 24);
    sw_buf_init(&copy, 1u << 24);
    sw_buf_init(&want, 1u << 24);
    sw_buf_adds(&text, "{\n");
    while (text.len < 3 * SW_JREAD_CHUNK) {
        /* Odd lengths, so that every kind of token meets an edge. */
        sw_buf_addf(
            &text, "  \"k%d\" : [ %d.%d , \"%.*s\\u00e9\" , {\"z\": true} ],\n",
            n, n, n % 97, n % 53,
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
        sw_buf_addf(&want, "%s\"k%d\":[%d.%d,\"%.*s\\u00e9\",{\"z\":true}]",
                    n ? "," : "", n, n, n % 97, n % 53,
                    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab");
        n++;
    }
    sw_buf_adds(&text, "  \"end\": 1\n}\n");
    sw_buf_adds(&want, ",\"end\":1");
    assert_int_equal(write(fd, text.data, text.len), (ssize_t)text.len);

    /* Walked member by member. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    sw_jread_init_fd(&r, fd, 1u << 24);
    assert_int_equal(sw_jread_object(&r), 0);
    for (int i = 0; i < n; i++) {
        char k_want[16];
        int64_t v;
        double d;

        assert_int_equal(sw_jread_member(&r, &key), 1);
        snprintf(k_want, sizeof(k_want), "k%d", i);
        assert_string_equal(key, k_want);
        assert_int_equal(sw_jread_array(&r), 0);
        assert_int_equal(sw_jread_element(&r), 1);
        assert_int_equal(sw_jread_double(&r, &d), 0);
        assert_int_equal((int64_t)d, i);
        assert_int_equal(sw_jread_element(&r), 1);
        assert_int_equal(sw_jread_string(&r, &s, NULL), 0);
        assert_int_equal(strlen(s), (size_t)(i % 53) + 2);
        assert_int_equal(sw_jread_element(&r), 1);
        assert_int_equal(sw_jread_skip(&r, NULL), 0);
        assert_int_equal(sw_jread_element(&r), 0);
        (void)v;
    }
    assert_int_equal(sw_jread_member(&r, &key), 1);
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_member(&r, &key), 0);
    assert_int_equal(sw_jread_end(&r), 0);
    assert_int_equal(sw_jread_offset(&r), text.len);
    sw_jread_release(&r);

    /* Copied whole. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    sw_jread_init_fd(&r, fd, 1u << 24);
    assert_int_equal(sw_jread_skip(&r, &copy), 0);
    assert_int_equal(copy.len, want.len + 2);
    assert_memory_equal(copy.data + 1, want.data, want.len);
    sw_jread_release(&r);

    /* Capped. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    sw_jread_init_fd(&r, fd, 100000);
    k = sw_jread_skip(&r, NULL);
    assert_int_equal(k, SW_ETOOBIG);
    assert_non_null(strstr(sw_jread_error(&r), "larger than 100000 bytes"));
    sw_jread_release(&r);

    /* Cut short: the end, not a syntax error. */
    assert_int_equal(ftruncate(fd, (off_t)text.len - 5), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    sw_jread_init_fd(&r, fd, 1u << 24);
    assert_int_equal(sw_jread_skip(&r, NULL), SW_EPARSE);
    assert_true(sw_jread_at_end(&r));
    sw_jread_release(&r);

    close(fd);
    unlink(path);
    sw_buf_release(&text);
    sw_buf_release(&copy);
    sw_buf_release(&want);
}

static void
test_lines(void **state)
{
    const char *text = "{\"a\":1} \n{\"b\":2}\n{\"c\":";
    struct sw_jread r;

    (void)state;
    sw_jread_init_mem(&r, text, strlen(text));
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_newline(&r), 0);
    assert_int_equal(sw_jread_offset(&r), 9);
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_newline(&r), 0);
    assert_int_equal(sw_jread_skip(&r, NULL), SW_EPARSE);
    assert_true(sw_jread_at_end(&r));
    assert_non_null(strstr(sw_jread_error(&r), "3:"));
    sw_jread_release(&r);
    sw_jread_init_mem(&r, "{} {}", 5);
    assert_int_equal(sw_jread_skip(&r, NULL), 0);
    assert_int_equal(sw_jread_newline(&r), SW_EPARSE);
    sw_jread_release(&r);
}

static void
test_writers(void **state)
{
    struct sw_buf b;
    struct sw_jread r;
    const char *s;
    double d;

    (void)state;
    sw_buf_init(&b, 4096);
    assert_int_equal(sw_jwrite_string(&b, "a\"b\\\n\t\x01\xc3\xa9\xff"), 0);
    assert_string_equal(b.data,
                        "\"a\\\"b\\\\\\n\\t\\u0001\xc3\xa9\xef\xbf\xbd\"");
    /* It reads back. */
    sw_jread_init_mem(&r, b.data, b.len);
    assert_int_equal(sw_jread_string(&r, &s, NULL), 0);
    assert_string_equal(s, "a\"b\\\n\t\x01\xc3\xa9\xef\xbf\xbd");
    sw_jread_release(&r);

    sw_buf_reset(&b);
    assert_int_equal(sw_jwrite_double(&b, 12.0), 0);
    assert_int_equal(sw_jwrite_double(&b, -0.0), 0);
    assert_int_equal(sw_jwrite_double(&b, 0.1), 0);
    assert_int_equal(sw_jwrite_double(&b, 1e16), 0);
    assert_int_equal(sw_jwrite_double(&b, 1e300), 0);
    assert_int_equal(sw_jwrite_int(&b, INT64_MIN), 0);
    assert_string_equal(b.data, "12.0-0.00.11e+161e+300-9223372036854775808");
    assert_int_equal(sw_jwrite_double(&b, NAN), SW_EINVAL);
    assert_int_equal(sw_jwrite_double(&b, INFINITY), SW_EINVAL);

    /* Shortest text that reads back to the same double. */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^
                        (uint64_t)rand();
        double v;

        memcpy(&v, &bits, sizeof(v));
        if (!isfinite(v))
            continue;
        if (i % 2)
            v = (double)(rand() % 100000) / 100.0;
        sw_buf_reset(&b);
        assert_int_equal(sw_jwrite_double(&b, v), 0);
        sw_jread_init_mem(&r, b.data, b.len);
        assert_int_equal(sw_jread_double(&r, &d), 0);
        sw_jread_release(&r);
        if (memcmp(&d, &v, sizeof(d)) != 0)
            fail_msg("%.17g wrote %s, read %.17g", v, b.data, d);
    }
    sw_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_numbers),     cmocka_unit_test(test_skip_copy),
        cmocka_unit_test(test_file_pieces), cmocka_unit_test(test_lines),
        cmocka_unit_test(test_writers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
