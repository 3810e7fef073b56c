/* fuzz/fuzz_gmd_reply.c - aws/cloudwatch: arbitrary bytes as a
 * GetMetricData JSON reply.  The first byte picks how many queries (ids
 * m0..m3) the reply answers, the rest is the reply.  A successful parse
 * must give one result per query, each with a known status or none,
 * finite values at sorted, strictly increasing timestamps, a message
 * without control characters of at most 1 KiB, and a non-empty token or
 * none; merging the page into itself must keep that.  A failure must give
 * nothing and an error line. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "lib/err.h"
#include "lib/metric.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct sw_cw_gmd_result *r, size_t n,
      const struct sw_cw_gmd_query *q)
{
    static const char *const statuses[] = {"Complete", "PartialData",
                                           "InternalError", "Forbidden"};

    for (size_t i = 0; i < n; i++) {
        int known = 0;

        if (!r[i].id || strcmp(r[i].id, q[i].id) != 0)
            abort();
        if (!r[i].status && (r[i].n || r[i].pts || r[i].message))
            abort();
        for (size_t k = 0; r[i].status && k < 4; k++)
            known |= strcmp(r[i].status, statuses[k]) == 0;
        if (r[i].status && !known)
            abort();
        if ((r[i].n == 0) != (r[i].pts == NULL))
            abort();
        for (size_t k = 0; k < r[i].n; k++) {
            if (!isfinite(r[i].pts[k].value) || r[i].pts[k].ts < 0 ||
                r[i].pts[k].sample_count != -1)
                abort();
            if (k > 0 && r[i].pts[k - 1].ts >= r[i].pts[k].ts)
                abort();
        }
        if (r[i].message) {
            if (strlen(r[i].message) > 1024 || !r[i].message[0])
                abort();
            for (const char *p = r[i].message; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct sw_dimension dim = {"StreamName", "orders"};
    static const struct sw_series s = {
        "AWS/Kinesis", "IncomingRecords", &dim, 1, NULL, 60};
    static const struct sw_cw_gmd_query q[4] = {{"m0", &s, "Sum"},
                                                {"m1", &s, "Maximum"},
                                                {"m2", &s, "p99"},
                                                {"m3", &s, "SampleCount"}};
    struct sw_cw_gmd_result *r = NULL, *page = NULL;
    size_t n, nr = 0, np = 0;
    char err[256], *token = NULL, *token2 = NULL;
    int rc;

    if (size < 1)
        return 0;
    n = 1 + data[0] % 4;
    rc = sw_cw_gmd_parse((const char *)data + 1, size - 1, q, n, &r, &nr,
                         &token, err, sizeof(err));
    if (rc < 0) {
        if (r || nr || token || !err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (nr != n || !r || (token && !token[0]))
        abort();
    check(r, n, q);
    /* the same page twice: merging must keep the points sorted, unique */
    if (sw_cw_gmd_parse((const char *)data + 1, size - 1, q, n, &page, &np,
                        &token2, err, sizeof(err)) != 0)
        abort();
    if (sw_cw_gmd_merge(r, page, n) == 0)
        check(r, n, q);
    sw_cw_gmd_results_free(page, np);
    sw_cw_gmd_results_free(r, nr);
    free(token);
    free(token2);
    return 0;
}
