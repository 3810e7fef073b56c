/* fuzz/fuzz_cw_reply.c - aws/cloudwatch: arbitrary bytes as a
 * GetMetricStatistics JSON reply.  The first byte picks the statistics:
 * below 0x80 one of eight (so Statistics and ExtendedStatistics paths are
 * both reached), from 0x80 on a set of them for sw_cw_gms_parse_stats()
 * by its low seven bits.  The rest is the reply.  A successful parse must
 * give finite values, sorted and strictly increasing timestamps; a failure
 * must give nothing and an error line. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct sw_datapoint *v, size_t n)
{
    if ((n == 0) != (v == NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i].value) || v[i].ts < 0)
            abort();
        if (i > 0 && v[i - 1].ts >= v[i].ts)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const stats[] = {"Sum",     "Average",     "Minimum",
                                        "Maximum", "SampleCount", "p99",
                                        "p50",     "p99.9"};
    struct sw_datapoint *v[8] = {NULL};
    const char *pick[8];
    size_t n[8] = {0}, k = 0;
    char err[256];
    int r;

    if (size < 1)
        return 0;
    if (data[0] < 0x80) {
        pick[k++] = stats[data[0] % 8];
    } else {
        /* bits 0-6 pick statistics 0-6, p99.9 joins when none does */
        for (size_t i = 0; i < 7; i++)
            if (data[0] & (1u << i))
                pick[k++] = stats[i];
        if (k == 0)
            pick[k++] = stats[7];
    }
    r = sw_cw_gms_parse_stats((const char *)data + 1, size - 1, pick, k, v, n,
                              err, sizeof(err));
    if (r < 0) {
        for (size_t i = 0; i < k; i++)
            if (v[i] || n[i])
                abort();
        if (!err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        check(v[i], n[i]);
        free(v[i]);
    }
    return 0;
}
