/* fuzz/fuzz_expr.c - rules/expr: arbitrary bytes into sw_expr_parse() with
 * the ids {"m1", "w", "r"}; an expression that parses is evaluated over
 * small fixed series (gaps, an off-grid point, a duplicate, zeros, NaN and
 * values near overflow) and its result checked: sorted, unique, inside
 * the window, finite.  A failed parse must name its column. */
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
check(const struct sw_expr *e, time_t start, time_t end)
{
    const struct sw_datapoint *const in[] = {M1, W, R};
    const size_t nin[] = {sizeof(M1) / sizeof(M1[0]), sizeof(W) / sizeof(W[0]),
                          1};
    struct sw_datapoint *out = NULL;
    size_t n = 0;
    char err[128];
    int r;

    r = sw_expr_eval(e, in, nin, start, end, P, &out, &n, err, sizeof(err));
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ids[] = {"m1", "w", "r"};
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
    check(e, T0, T0 + 6 * P);
    check(e, T0 + P, T0 + 3 * P + 1);
    check(e, T0, T0);
    sw_expr_free(e);
    return 0;
}
