/* tests/unit/loopback.h - a scripted HTTP server on 127.0.0.1 for the
 * unit tests of the modules that talk HTTP (aws/client, aws/cwalarms,
 * aws/kinesis, notifiers/sns, notifiers/webhook).
 *
 * The server is a forked child: it answers SCRIPT[0..n-1] to n
 * consecutive connections, one request each (the replies say
 * "Connection: close", so the client reconnects), and appends every raw
 * request to DIR/requests.log followed by a "=====" line.  A NULL entry
 * reads the request and closes the connection without answering.  The
 * child ends itself after 30 s should a failed test never connect.
 */
#ifndef SW_TESTS_LOOPBACK_H
#define SW_TESTS_LOOPBACK_H

#include <sys/types.h>

struct sw_test_server {
    pid_t pid;
    int port;
    char log[256];
};

/* sw_test_server_start - listen on 127.0.0.1:0 (S->port) and fork the
 * server; asserts (cmocka) on failure.  DIR must exist. */
void sw_test_server_start(struct sw_test_server *s, const char *dir,
                          const char *const *script, int n);
/* sw_test_server_wait - reap the server.  Returns its exit status: 0 when
 * it served every entry, else non-zero (-1: killed). */
int sw_test_server_wait(struct sw_test_server *s);
/* sw_test_server_log - every request received so far.
 * Returns: borrowed static buffer, valid until the next call. */
char *sw_test_server_log(const struct sw_test_server *s);
/* sw_test_count - occurrences of NEEDLE in HAY (they may overlap). */
int sw_test_count(const char *hay, const char *needle);

#endif
