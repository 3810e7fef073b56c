/* fuzz/fuzz_expr.c - rules/expr: arbitrary bytes into sw_expr_parse() with
 * the ids {"m1", "w", "r"}; an expression that parses is evaluated over
 * small fixed series (gaps, an off-grid point, a duplicate, zeros, NaN and
 * values near overflow) and its result checked: sorted, unique, inside
 * the window, finite.  A failed parse must name its column.  An
 * expression with SHARDS is evaluated with 4 and with 0 shards, must fail
 * without a count, and with the count written in must be a text that
 * parses without SHARDS (or fails on a constant it made). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "rules/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define P  60
#define T0 1764151200

static const struct sw_datapoint M1[] = {{T0, 5, -1},
                                         {T0 + P, 0, -1},
                                         {T0 + 3 * P, -2.5, -1},
                                         {T0 + 3 * P + 30, 7, -1},
                                         {T0 + P, 4, -1},
                                         {T0 + 9 * P, 1, -1}};
static const struct sw_datapoint W[] = {{T0 + 2 * P, 1e308, -1},
                                        {T0 + 4 * P, -1e308, -1},
                                        {T0 + 5 * P, NAN, -1},
                                        {T0, 1500, 60}};
static const struct sw_datapoint R[] = {{T0 + 4 * P, 0, 60}};

static void
check(const struct sw_expr *e, const struct sw_expr_vars *vars, time_t start,
      time_t end)
{
    const struct sw_datapoint *const in[] = {M1, W, R};
    const size_t nin[] = {sizeof(M1) / sizeof(M1[0]), sizeof(W) / sizeof(W[0]),
                          1};
    struct sw_datapoint *out = NULL;
    size_t n = 0;
    char err[128];
    int r;

    r = sw_expr_eval_vars(e, vars, in, nin, start, end, P, &out, &n, err,
                          sizeof(err));
    if (r == SW_ENOMEM)
        return;
    if (r != 0 || (n == 0) != (out == NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(out[i].value) || out[i].ts < start || out[i].ts >= end ||
            out[i].sample_count != -1)
            abort();
        if (i && out[i - 1].ts >= out[i].ts)
            abort();
    }
    free(out);
}

/* E uses SHARDS: without a count it must fail; the text with the count
 * written in must parse without SHARDS, or fail on a constant. */
static void
shards_text(const struct sw_expr *e, const char *data, size_t size,
            const char *const *ids)
{
    const struct sw_datapoint *const in[] = {M1, W, R};
    const size_t nin[] = {sizeof(M1) / sizeof(M1[0]), sizeof(W) / sizeof(W[0]),
                          1};
    struct sw_datapoint *out = NULL;
    struct sw_expr *e2 = NULL;
    char err[256], *text = NULL, *subst = NULL;
    size_t n = 0;
    int r;

    r = sw_expr_eval(e, in, nin, T0, T0 + P, P, &out, &n, err, sizeof(err));
    if (r != SW_EINVAL || out || n)
        abort();
    text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    r = sw_expr_subst_shards(text, 4, &subst, err, sizeof(err));
    free(text);
    if (r == SW_ENOMEM || r == SW_ETOOBIG)
        return;
    if (r != 0 || strstr(subst, "SHARDS"))
        abort();
    r = sw_expr_parse(subst, ids, 3, &e2, err, sizeof(err));
    if (r == 0 && sw_expr_uses_shards(e2))
        abort();
    if (r < 0 && r != SW_ENOMEM && !strstr(err, "division by zero") &&
        !strstr(err, "out of range"))
        abort();
    sw_expr_free(e2);
    free(subst);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ids[] = {"m1", "w", "r"};
    static const struct sw_expr_vars four = {1, 4}, none = {1, 0};
    struct sw_expr *e = NULL;
    char err[256];
    char *text;
    int r;

    /* A little past the limit is enough to exercise the length check. */
    if (size > SW_EXPR_MAX_LEN + 16)
        size = SW_EXPR_MAX_LEN + 16;
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    r = sw_expr_parse(text, ids, 3, &e, err, sizeof(err));
    free(text);
    if (r < 0) {
        if (e || (r == SW_EPARSE && strncmp(err, "column ", 7) != 0))
            abort();
        return 0;
    }
    if (!sw_expr_uses(e, 0) && !sw_expr_uses(e, 1) && !sw_expr_uses(e, 2))
        abort(); /* the result must be a series, so it uses an id */
    check(e, &four, T0, T0 + 6 * P);
    check(e, &four, T0 + P, T0 + 3 * P + 1);
    check(e, &four, T0, T0);
    if (sw_expr_uses_shards(e)) {
        check(e, &none, T0, T0 + 6 * P);
        shards_text(e, (const char *)data, size, ids);
    }
    sw_expr_free(e);
    return 0;
}
