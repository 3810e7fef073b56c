/* fuzz/fuzz_mime.c - notifiers/mime: arbitrary bytes as the subject and
 * body of a message (split at the first 0xff byte; NULs, CR, LF, bad
 * UTF-8 all welcome), and as an address and a Message-ID.  The message
 * must always come out well formed: ASCII only, CRLF line ends and no bare
 * CR or LF, no line over 78 characters, no line starting with '.', and a
 * header section holding exactly the fields the builder writes, each once,
 * whatever the input tried to inject.  An address or Message-ID that
 * passes validation must hold nothing that could end a header. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notifiers/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {
    "Date: ",         "Message-ID: ",   "From: ",
    "To: ",           "Subject:",       "Auto-Submitted: ",
    "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static void
check_message(const char *m, size_t len)
{
    size_t i = 0, seen[NFIELDS] = {0};
    int in_head = 1;

    if (len < 2 || memcmp(m + len - 2, "\r\n", 2) != 0)
        abort();
    while (i < len) {
        const char *eol = memchr(m + i, '\r', len - i);
        size_t n;

        if (!eol || (size_t)(eol - m) + 1 >= len || eol[1] != '\n')
            abort();
        n = (size_t)(eol - (m + i));
        if (memchr(m + i, '\n', n) || n > 78)
            abort();
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)m[i + k] > 0x7e ||
                ((unsigned char)m[i + k] < 0x20 && m[i + k] != '\t'))
                abort();
        if (n > 0 && m[i] == '.')
            abort();
        if (in_head && n == 0) {
            in_head = 0;
        } else if (in_head && m[i] != ' ') {
            size_t f = 0;
            while (f < NFIELDS &&
                   (n < strlen(fields[f]) ||
                    memcmp(m + i, fields[f], strlen(fields[f])) != 0))
                f++;
            if (f == NFIELDS)
                abort();
            seen[f]++;
        } else if (in_head && i == 0) {
            abort(); /* a continuation with nothing to continue */
        }
        i += n + 2;
    }
    if (in_head)
        abort();
    for (size_t f = 0; f < NFIELDS; f++)
        if (seen[f] != 1)
            abort();
}

static void
check_token(const uint8_t *data, size_t size)
{
    char s[300];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

    memcpy(s, data, n);
    s[n] = '\0';
    if (sw_mime_addr_valid(s) || sw_mime_msgid_valid(s))
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
                strchr(",;:\"()[]\\", *p))
                abort();
    if (sw_mime_addr_valid(s) && strchr(s, '<'))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *to[] = {"oncall@example.com", "backup@example.org"};
    const uint8_t *sep = memchr(data, 0xff, size);
    struct sw_mime_msg m;
    char *out = NULL;
    size_t len = 0;

    memset(&m, 0, sizeof(m));
    m.date = (time_t)size * 86399;
    m.message_id = "<0123456789abcdef.streamwatch@example.com>";
    m.from = "streamwatch@example.com";
    m.to = to;
    m.nto = 2;
    m.subject = (const char *)data;
    m.subject_len = sep ? (size_t)(sep - data) : size;
    m.body = sep ? (const char *)sep + 1 : "";
    m.body_len = sep ? size - m.subject_len - 1 : 0;
    if (sw_mime_build(&m, &out, &len) == 0) {
        if (strlen(out) != len)
            abort();
        check_message(out, len);
    }
    free(out);
    check_token(data, size);
    return 0;
}
