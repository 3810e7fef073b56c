/* fuzz/fuzz_cw_reply.c - aws/cloudwatch: arbitrary bytes as a
 * GetMetricStatistics JSON reply.  The first byte picks the statistic
 * (so Statistics and ExtendedStatistics paths are both reached), the rest
 * is the reply.  A successful parse must give finite values, sorted and
 * strictly increasing timestamps; a failure must give an error line. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const stats[] = {"Sum",     "Average",     "Minimum",
                                        "Maximum", "SampleCount", "p99",
                                        "p50",     "p99.9"};
    struct sw_datapoint *v = NULL;
    size_t n = 0;
    char err[256];
    const char *stat;
    int r;

    if (size < 1)
        return 0;
    stat = stats[data[0] % (sizeof(stats) / sizeof(stats[0]))];
    r = sw_cw_gms_parse((const char *)data + 1, size - 1, stat, &v, &n, err,
                        sizeof(err));
    if (r < 0) {
        if (v || n || !err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if ((n == 0) != (v == NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i].value) || v[i].ts < 0)
            abort();
        if (i > 0 && v[i - 1].ts >= v[i].ts)
            abort();
    }
    free(v);
    return 0;
}
