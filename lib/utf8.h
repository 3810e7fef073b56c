/* lib/utf8.h - UTF-8 as every layer needs it: validate, count, cut and
 * repair.
 *
 * Valid means RFC 3629 as The Unicode Standard, section 3.9, table 3-7
 * has it: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF),
 * nothing above U+10FFFF, no sequence cut short.  Names, descriptions and
 * reasons come from config files, CloudWatch replies and outbox files, so
 * every function takes any bytes; lengths are in bytes unless a name says
 * characters.  Bytes that are not UTF-8 are seen one of two ways, and each
 * function says which:
 *  - strict (sw_utf8_count(), sw_utf8_valid()): the string is refused;
 *  - lenient (sw_utf8_chars(), the prefixes, sw_utf8_repair()): every byte
 *    that starts no valid sequence is a character of its own, the one
 *    U+FFFD stands for when repaired.
 *
 * Pure: no I/O, no locale.  Depends on lib/buf and lib/err.
 */
#ifndef SW_LIB_UTF8_H
#define SW_LIB_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* U+FFFD REPLACEMENT CHARACTER, which stands for a byte that is not UTF-8. */
#define SW_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* sw_utf8_seq - the length (1-4) of the valid sequence at S (N bytes
 * left), with its code point in *CP (may be NULL); 0 when S starts no
 * valid sequence (a stray continuation byte, an overlong form, a
 * surrogate, a value above U+10FFFF, a sequence cut short) or N is 0. */
size_t sw_utf8_seq(const char *s, size_t n, uint32_t *cp);

/* sw_utf8_count - strict: the characters in S (N bytes), or -1 when S is
 * not valid UTF-8 or holds a NUL (a C string would end there, so what
 * follows it would be checked and never used). */
long sw_utf8_count(const char *s, size_t n);

/* sw_utf8_valid - 1 when S (N bytes) is valid UTF-8 without a NUL, else 0:
 * sw_utf8_count() >= 0. */
int sw_utf8_valid(const char *s, size_t n);

/* sw_utf8_chars - lenient: the characters in S (N bytes), each byte that
 * is not part of a valid sequence counted as one. */
size_t sw_utf8_chars(const char *s, size_t n);

/* sw_utf8_prefix - lenient: the length of the longest prefix of S (N
 * bytes) that has at most MAX_BYTES bytes and does not split a
 * character. */
size_t sw_utf8_prefix(const char *s, size_t n, size_t max_bytes);

/* sw_utf8_prefix_chars - lenient: the length in bytes of the first NCHARS
 * characters of S (N bytes; all of it when it has fewer). */
size_t sw_utf8_prefix_chars(const char *s, size_t n, size_t nchars);

/* sw_utf8_repair - append S (N bytes) to B with SW_UTF8_REPLACEMENT for
 * every byte that is not part of a valid sequence; valid text is copied
 * as it is.  Returns 0, SW_ETOOBIG (B's cap; B then holds a prefix of
 * the repaired text) or SW_ENOMEM. */
int sw_utf8_repair(struct sw_buf *b, const char *s, size_t n);

/* sw_utf8_repair_dup - the C string S repaired as above.
 * Returns: new (free()), or NULL when memory runs out (or S is NULL). */
char *sw_utf8_repair_dup(const char *s);

#endif
