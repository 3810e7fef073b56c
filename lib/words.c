/* lib/words.c - shell-style word splitting; see words.h. */
#include "config.h"

#include "lib/words.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/secret.h"
#include "lib/str.h"

struct words {
    char **v;
    size_t n;
    size_t alloc;
};

static int
words_push(struct words *w, const char *s, size_t n)
{
    char *c;

    /* Keep room for the terminating NULL. */
    if (w->n + 2 > w->alloc) {
        size_t na = w->alloc ? w->alloc * 2 : 8;
        char **nv = realloc(w->v, na * sizeof(*nv));

        if (!nv)
            return SW_ENOMEM;
        w->v = nv;
        w->alloc = na;
        /* Terminated already: if the copy below fails, sw_words_free()
         * of the vector so far must stop at its end. */
        w->v[w->n] = NULL;
    }
    c = sw_strndup(s, n);
    if (!c)
        return SW_ENOMEM;
    w->v[w->n++] = c;
    w->v[w->n] = NULL;
    return 0;
}

void
sw_words_free(char **argv)
{
    if (!argv)
        return;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static int
is_shlex_blank(char c)
{
    /* shlex's default whitespace: ' \t\r\n' */
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
sw_words_split(const char *s, char ***argv, size_t *argc, char *err,
               size_t errlen)
{
    struct words w = {NULL, 0, 0};
    char *word = NULL;
    size_t wlen = 0, i = 0, slen;
    int in_word = 0;
    int r = SW_EINVAL;

    *argv = NULL;
    *argc = 0;
    slen = strlen(s);
    /* A word is never longer than the input. */
    word = malloc(slen + 1);
    if (!word) {
        r = SW_ENOMEM;
        goto out;
    }
    while (i < slen) {
        char c = s[i++];

        if (is_shlex_blank(c)) {
            if (in_word) {
                r = words_push(&w, word, wlen);
                if (r < 0)
                    goto out;
                wlen = 0;
                in_word = 0;
            }
            continue;
        }
        in_word = 1;
        if (c == '\\') {
            if (i >= slen) {
                sw_err_set(err, errlen, "No escaped character");
                r = SW_EINVAL;
                goto out;
            }
            word[wlen++] = s[i++];
        } else if (c == '\'') {
            while (i < slen && s[i] != '\'')
                word[wlen++] = s[i++];
            if (i >= slen) {
                sw_err_set(err, errlen, "No closing quotation");
                r = SW_EINVAL;
                goto out;
            }
            i++;
        } else if (c == '"') {
            for (;;) {
                if (i >= slen) {
                    sw_err_set(err, errlen, "No closing quotation");
                    r = SW_EINVAL;
                    goto out;
                }
                c = s[i++];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (i >= slen) {
                        sw_err_set(err, errlen, "No escaped character");
                        r = SW_EINVAL;
                        goto out;
                    }
                    /* shlex escapes only '\' and '"' inside double
                     * quotes; before anything else the backslash stays. */
                    if (s[i] != '\\' && s[i] != '"')
                        word[wlen++] = '\\';
                    word[wlen++] = s[i++];
                } else {
                    word[wlen++] = c;
                }
            }
        } else {
            word[wlen++] = c;
        }
    }
    if (in_word) {
        r = words_push(&w, word, wlen);
        if (r < 0)
            goto out;
    }
    if (!w.v) {
        w.v = calloc(1, sizeof(*w.v));
        if (!w.v) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    *argv = w.v;
    *argc = w.n;
    w.v = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    if (word) {
        /* The command line may carry a secret argument. */
        sw_memzero(word, slen + 1);
        free(word);
    }
    sw_words_free(w.v);
    return r;
}
