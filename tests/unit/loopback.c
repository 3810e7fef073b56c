/* tests/unit/loopback.c - a scripted loopback HTTP server; see
 * loopback.h. */
#include "config.h"

#include "tests/unit/loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define REQUEST_MAX (1 << 20)

void
sw_test_server_start(struct sw_test_server *s, const char *dir,
                     const char *const *script, int n)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int lfd, one = 1, fd;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    assert_true((size_t)snprintf(s->log, sizeof(s->log), "%s/requests.log",
                                 dir) < sizeof(s->log));
    unlink(s->log);
    fflush(NULL);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid > 0) {
        close(lfd);
        return;
    }
    /* Child: no cmocka, no allocations, _exit at the end. */
    alarm(30);
    fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    for (int i = 0; i < n; i++) {
        static char req[REQUEST_MAX];
        size_t got = 0, need;
        int c = accept(lfd, NULL, NULL);

        if (c < 0)
            _exit(2);
        for (;;) {
            ssize_t k = read(c, req + got, sizeof(req) - 1 - got);
            char *end, *cl;

            if (k <= 0)
                break;
            got += (size_t)k;
            req[got] = '\0';
            end = strstr(req, "\r\n\r\n");
            if (!end)
                continue;
            cl = strcasestr(req, "\r\nContent-Length:");
            need = (size_t)(end + 4 - req) +
                   (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
            if (got >= need)
                break;
        }
        if (fd >= 0) {
            (void)!write(fd, req, got);
            (void)!write(fd, "\n=====\n", 7);
        }
        for (size_t off = 0, len = script[i] ? strlen(script[i]) : 0;
             off < len;) {
            ssize_t w = write(c, script[i] + off, len - off);

            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(c);
    }
    _exit(0);
}

int
sw_test_server_wait(struct sw_test_server *s)
{
    int st = 0;

    waitpid(s->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *
sw_test_server_log(const struct sw_test_server *s)
{
    static char buf[REQUEST_MAX];
    FILE *f = fopen(s->log, "r");
    size_t n;

    buf[0] = '\0';
    if (!f)
        return buf;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int
sw_test_count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}
