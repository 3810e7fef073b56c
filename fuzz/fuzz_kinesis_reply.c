/* fuzz/fuzz_kinesis_reply.c - aws/kinesis: arbitrary bytes as a
 * ListStreams JSON reply, and as a DescribeStreamSummary one.  A successful
 * parse must give only valid stream names, at most SW_KINESIS_MAX_STREAMS of
 * them, and a NextToken and last name that the request builder accepts for the
 * next page (the paging loop relies on that); a failure must give a one-line
 * reason and an empty page.  A summary that parses must hold a valid name, a
 * status of [A-Z_] and a count of 0-1000000; one that does not, a one-line
 * reason and a zeroed summary. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/kinesis.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
summary(const uint8_t *data, size_t size)
{
    static const struct sw_kinesis_summary zero;
    struct sw_kinesis_summary s;
    char err[256];
    int r;

    r = sw_kinesis_describe_stream_summary_parse((const char *)data, size, &s,
                                                 err, sizeof(err));
    if (r < 0) {
        if (r != SW_EPARSE || memcmp(&s, &zero, sizeof(s)) != 0 || !err[0] ||
            strchr(err, '\n'))
            abort();
        return;
    }
    if (!sw_kinesis_name_is_valid(s.name) || !s.status[0] ||
        strspn(s.status, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen(s.status) ||
        s.open_shards < 0 || s.open_shards > SW_KINESIS_SHARDS_MAX)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_kinesis_page p;
    struct sw_buf body;
    char err[256];
    int r;

    summary(data, size);
    r = sw_kinesis_list_streams_parse((const char *)data, size, &p, err,
                                      sizeof(err));
    if (r < 0) {
        if (r != SW_EPARSE && r != SW_ENOMEM)
            abort();
        if (p.names || p.nnames || p.last_name || p.next_token || !err[0] ||
            strchr(err, '\n'))
            abort();
        return 0;
    }
    if (p.nnames > SW_KINESIS_MAX_STREAMS || (p.nnames && !p.names))
        abort();
    for (size_t i = 0; i < p.nnames; i++)
        if (!sw_kinesis_name_is_valid(p.names[i]))
            abort();
    /* DELETING streams are left out of names, never out of last_name. */
    if (p.nnames && !p.last_name)
        abort();
    sw_buf_init(&body, 4u * 1024 * 1024);
    r = sw_kinesis_list_streams_request(SW_KINESIS_PAGE_LIMIT,
                                        p.next_token ? NULL : p.last_name,
                                        p.next_token, &body, err, sizeof(err));
    if (r < 0 && r != SW_ENOMEM)
        abort();
    sw_buf_release(&body);
    sw_kinesis_page_release(&p);
    return 0;
}
