/* tests/unit/test_utf8.c - lib/utf8: sequences (valid, overlong,
 * surrogate, too large, cut short), strict and lenient counts, prefixes
 * at character boundaries, and repair to U+FFFD. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/utf8.h"

/* "a" "é" (2 bytes) "ス" (3) "😀" (4): 10 bytes, 4 characters */
static const char mixed[] = "a\xc3\xa9\xe3\x82\xb9\xf0\x9f\x98\x80";

static void
test_seq(void **state)
{
    static const struct {
        const char *s;
        size_t len; /* expected; 0: invalid */
        uint32_t cp;
    } cases[] = {
        {"A", 1, 0x41},
        {"\x7f", 1, 0x7f},
        {"\xc2\x80", 2, 0x80},
        {"\xdf\xbf", 2, 0x7ff},
        {"\xe0\xa0\x80", 3, 0x800},
        {"\xed\x9f\xbf", 3, 0xd7ff},
        {"\xee\x80\x80", 3, 0xe000},
        {"\xef\xbf\xbf", 3, 0xffff},
        {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
        /* overlong forms */
        {"\xc0\xaf", 0, 0},
        {"\xc1\xbf", 0, 0},
        {"\xe0\x9f\xbf", 0, 0},
        {"\xf0\x8f\xbf\xbf", 0, 0},
        /* UTF-16 surrogates */
        {"\xed\xa0\x80", 0, 0},
        {"\xed\xbf\xbf", 0, 0},
        /* beyond U+10FFFF, and lead bytes that cannot start anything */
        {"\xf4\x90\x80\x80", 0, 0},
        {"\xf5\x80\x80\x80", 0, 0},
        {"\xff", 0, 0},
        /* a stray continuation byte; a sequence cut short */
        {"\x80", 0, 0},
        {"\xe3\x82", 0, 0},
        {"\xe3\x82"
         "A",
         0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t cp = 0xdeadbeef;
        size_t n = sw_utf8_seq(cases[i].s, strlen(cases[i].s), &cp);

        if (n != cases[i].len)
            fail_msg("case %zu: length %zu, want %zu", i, n, cases[i].len);
        if (n)
            assert_int_equal(cp, cases[i].cp);
        else
            assert_int_equal(cp, 0xdeadbeef); /* left alone */
    }
    /* NUL is U+0000; no bytes left is no sequence; CP may be NULL */
    assert_int_equal(sw_utf8_seq("", 1, NULL), 1);
    assert_int_equal(sw_utf8_seq("A", 0, NULL), 0);
    /* N is the limit, not the string's end */
    assert_int_equal(sw_utf8_seq(mixed + 3, 2, NULL), 0);
    assert_int_equal(sw_utf8_seq(mixed + 3, 3, NULL), 3);
}

static void
test_count(void **state)
{
    (void)state;
    assert_int_equal(sw_utf8_count(mixed, strlen(mixed)), 4);
    assert_int_equal(sw_utf8_count("", 0), 0);
    assert_int_equal(sw_utf8_count("ab\xff", 3), -1);
    assert_int_equal(sw_utf8_count("\xed\xa0\x80", 3), -1);
    /* a sequence cut short by N */
    assert_int_equal(sw_utf8_count(mixed, 9), -1);
    /* an embedded NUL is refused */
    assert_int_equal(sw_utf8_count("a\0b", 3), -1);
    assert_true(sw_utf8_valid(mixed, strlen(mixed)));
    assert_false(sw_utf8_valid("\xc0\x80", 2));

    /* lenient: every bad byte is one character */
    assert_int_equal(sw_utf8_chars(mixed, strlen(mixed)), 4);
    assert_int_equal(sw_utf8_chars("ab\xff\xfe", 4), 4);
    assert_int_equal(sw_utf8_chars("\xe3\x82", 2), 2);
    assert_int_equal(sw_utf8_chars("", 0), 0);
}

static void
test_prefix(void **state)
{
    const char *s = mixed;

    (void)state;
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 0), 0);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 1), 1);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 2), 1);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 3), 3);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 5), 3);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 6), 6);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 9), 6);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 10), 10);
    assert_int_equal(sw_utf8_prefix(s, strlen(s), 99), 10);
    /* a stray byte counts as one character */
    assert_int_equal(sw_utf8_prefix("\xff\xff", 2, 1), 1);

    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 0), 0);
    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 1), 1);
    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 2), 3);
    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 3), 6);
    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 4), 10);
    assert_int_equal(sw_utf8_prefix_chars(s, strlen(s), 5), 10);
    assert_int_equal(sw_utf8_prefix_chars("\xff"
                                          "a",
                                          2, 1),
                     1);
}

static void
test_repair(void **state)
{
    struct sw_buf b;
    char *s;

    (void)state;
    s = sw_utf8_repair_dup("bad\xff\xc3(name");
    assert_non_null(s);
    assert_string_equal(s, "bad\xef\xbf\xbd\xef\xbf\xbd(name");
    free(s);
    s = sw_utf8_repair_dup(mixed); /* valid text as it is */
    assert_string_equal(s, mixed);
    free(s);
    s = sw_utf8_repair_dup("");
    assert_string_equal(s, "");
    free(s);
    /* a surrogate is three bad bytes, not one bad character */
    s = sw_utf8_repair_dup("\xed\xa0\x80");
    assert_string_equal(
        s, SW_UTF8_REPLACEMENT SW_UTF8_REPLACEMENT SW_UTF8_REPLACEMENT);
    free(s);
    assert_null(sw_utf8_repair_dup(NULL));

    /* the buffer's cap is kept */
    sw_buf_init(&b, 4);
    assert_int_equal(sw_utf8_repair(&b, "ab\xff", 3), SW_ETOOBIG);
    assert_string_equal(sw_buf_str(&b), "ab");
    sw_buf_release(&b);
    sw_buf_init(&b, 64);
    assert_int_equal(sw_utf8_repair(&b, "x\0y", 3), 0); /* NUL is valid */
    assert_int_equal(b.len, 3);
    sw_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_repair),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
