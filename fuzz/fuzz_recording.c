/* fuzz/fuzz_recording.c - the recorded-CSV parser and its aggregation.
 *
 * Parses the input as a recording; when it parses, asks it the questions
 * the demo asks (every statistic, 60 s and 300 s periods) over its whole
 * span, so the sort, the series index and the bucket code run too. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/recording.h"
#include "lib/metric.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const stats[] = {"Sum",     "Average",     "Minimum",
                                        "Maximum", "SampleCount", "p99"};
    static const struct sw_dimension dims[] = {{"StreamName", "sample"}};
    static const int periods[] = {60, 300};
    struct sw_recording *rec;
    char err[256];
    time_t first, last;

    if (sw_recording_parse_buf("fuzz.csv", (const char *)data, size, &rec, err,
                               sizeof(err)) < 0)
        return 0;
    sw_recording_span(rec, &first, &last);
    for (size_t s = 0; s < sizeof(stats) / sizeof(stats[0]); s++) {
        for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
            struct sw_metric_query q = {
                "AWS/Kinesis", "IncomingRecords", dims,       1, stats[s], NULL,
                periods[p],    first - 3600,      last + 3600};
            struct sw_datapoint *pts;
            size_t n;
            if (sw_recording_fetch(rec, &q, &pts, &n, err, sizeof(err)) == 0)
                free(pts);
        }
    }
    sw_recording_free(rec);
    return 0;
}
