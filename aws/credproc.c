/* aws/credproc.c - credential_process; see credproc.h. */
#include "config.h"

#include "aws/credproc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"
#include "lib/words.h"

extern char **environ;

/* How often a waiting collect() looks at the cancel flag. */
#define CANCEL_SLICE_MS 100

/* --- JSON ------------------------------------------------------------- */

/* Zero the bytes of a jansson string in place before the document is
 * freed: jansson frees without wiping, and these hold the secret. */
static void
wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        sw_memzero((char *)json_string_value(v), json_string_length(v));
}

/* describe_version - botocore prints the value it got, or
 * "<Version key not provided>".  Only a short, control-free rendering is
 * shown: the document also holds secrets, but Version is not one. */
static void
describe_version(const json_t *v, char *buf, size_t size)
{
    char *dump = NULL;
    const char *s;

    if (!v) {
        sw_strlcpy(buf, "<Version key not provided>", size);
        return;
    }
    if (json_is_integer(v)) {
        (void)snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
                       json_integer_value(v));
        return;
    }
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else {
        dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        s = dump ? dump : "?";
    }
    sw_strlcpy(buf, s, size);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    free(dump);
}

static int
version_is_one(const json_t *v)
{
    /* Python compares with ==, so 1 and 1.0 both pass. */
    if (json_is_integer(v))
        return json_integer_value(v) == 1;
    if (json_is_real(v))
        return json_real_value(v) == 1.0;
    return 0;
}

/* get_field - a string member that, when REQUIRED, must be present and
 * non-empty.  Sets *OUT to NULL when absent (or JSON null) and optional.
 * Values are never quoted in errors. */
static int
get_field(json_t *root, const char *key, int required, const char **out,
          size_t *len, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);

    *out = NULL;
    *len = 0;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        sw_err_set(err, errlen,
                   "credential_process: missing required key in response: "
                   "'%s'",
                   key);
        return SW_EPARSE;
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        sw_err_set(err, errlen,
                   "credential_process: '%s' must be a non-empty string", key);
        return SW_EPARSE;
    }
    if (sw_str_has_ctl(json_string_value(v), json_string_length(v))) {
        /* These go into HTTP headers and the SigV4 string to sign. */
        sw_err_set(err, errlen,
                   "credential_process: '%s' contains control characters", key);
        return SW_EPARSE;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int
sw_credproc_parse(const char *json, size_t len, struct sw_creds *out, char *err,
                  size_t errlen)
{
    time_t expiration = 0;
    json_error_t jerr;
    json_t *root;
    const char *akid, *secret, *token, *exp;
    size_t akid_len, secret_len, token_len, exp_len;
    char vbuf[64];
    int r = SW_EPARSE;

    root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        /* jerr.text can quote the input ("near '...'"), which may be a
         * secret: report the position only. */
        sw_err_set(err, errlen,
                   "credential_process: output is not valid JSON (line %d, "
                   "column %d)",
                   jerr.line, jerr.column);
        return SW_EPARSE;
    }
    if (!json_is_object(root)) {
        sw_err_set(err, errlen,
                   "credential_process: output is not a JSON "
                   "object");
        goto out;
    }
    if (!version_is_one(json_object_get(root, "Version"))) {
        describe_version(json_object_get(root, "Version"), vbuf, sizeof(vbuf));
        sw_err_set(err, errlen,
                   "Unsupported version '%s' for credential process provider, "
                   "supported versions: 1",
                   vbuf);
        goto out;
    }
    r = get_field(root, "AccessKeyId", 1, &akid, &akid_len, err, errlen);
    if (r < 0)
        goto out;
    r = get_field(root, "SecretAccessKey", 1, &secret, &secret_len, err,
                  errlen);
    if (r < 0)
        goto out;
    r = get_field(root, "SessionToken", 0, &token, &token_len, err, errlen);
    if (r < 0)
        goto out;
    r = get_field(root, "Expiration", 0, &exp, &exp_len, err, errlen);
    if (r < 0)
        goto out;
    if (exp && sw_time_parse_rfc3339(exp, &expiration) < 0) {
        sw_err_set(err, errlen,
                   "credential_process: 'Expiration' is not an RFC 3339 time");
        r = SW_EPARSE;
        goto out;
    }
    r = sw_creds_set(out, akid, akid_len, secret, secret_len, token, token_len,
                     expiration, "process");
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    if (json_is_object(root)) {
        wipe_json_string(json_object_get(root, "SecretAccessKey"));
        wipe_json_string(json_object_get(root, "SessionToken"));
    }
    json_decref(root);
    return r;
}

/* --- running the child ------------------------------------------------ */

/* Bytes of stderr become one printable line for an error message. */
static void
sanitize_line(char *s, size_t n)
{
    size_t j = 0;
    int space = 1; /* drops leading blanks */

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || c == ' ') {
            if (!space)
                s[j++] = ' ';
            space = 1;
            continue;
        }
        s[j++] = (char)c;
        space = 0;
    }
    while (j > 0 && s[j - 1] == ' ')
        j--;
    s[j] = '\0';
}

static void
kill_and_reap(pid_t pid)
{
    int st;

    /* The child leads its own process group: take its helpers too. */
    (void)kill(-pid, SIGKILL);
    (void)kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

/* read_some - one read() from FD into BUF (at most ROOM bytes; ROOM 0
 * means discard).  Returns what read() does (bytes read, 0 at EOF, -1 on
 * error), except -2 when there is nothing to read yet (EAGAIN). */
static ssize_t
read_some(int fd, char *buf, size_t room)
{
    char sink[512];
    ssize_t n;

    do {
        if (room)
            n = read(fd, buf, room);
        else
            n = read(fd, sink, sizeof(sink));
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return -2;
    return n;
}

struct child {
    pid_t pid;
    int out_fd;
    int err_fd;
    char *obuf; /* SW_CREDPROC_MAX_STDOUT + 1 bytes, wiped on free */
    size_t olen;
    char ebuf[SW_CREDPROC_MAX_STDERR + 1];
    size_t elen;
    int status;
};

static int
spawn_child(struct child *ch, char **argv, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int fa_ok = 0, at_ok = 0, rc, r = SW_EPROC;

    /* O_CLOEXEC: no other child started meanwhile inherits our ends. */
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        sw_err_set(err, errlen, "credential_process: pipe: %s",
                   strerror(errno));
        goto out;
    }
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        goto spawn_err;
    fa_ok = 1;
    rc = posix_spawnattr_init(&at);
    if (rc != 0)
        goto spawn_err;
    at_ok = 1;
    rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    /* Descriptors opened by libraries without O_CLOEXEC (sockets, state
     * files) must not leak into the helper. */
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (rc != 0)
        goto spawn_err;
    /* The agent blocks and ignores signals (SIGPIPE, SIGHUP...); the
     * child starts with a clean slate, in its own process group. */
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGQUIT);
    sigaddset(&dfl, SIGCHLD);
    sigaddset(&dfl, SIGUSR1);
    sigaddset(&dfl, SIGUSR2);
    sigaddset(&dfl, SIGALRM);
    rc = posix_spawnattr_setsigmask(&at, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&at, &dfl);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(&at, 0);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF |
                                               POSIX_SPAWN_SETPGROUP);
    if (rc != 0)
        goto spawn_err;
    rc = posix_spawnp(&ch->pid, argv[0], &fa, &at, argv, environ);
    if (rc != 0) {
        ch->pid = -1;
        sw_err_set(err, errlen, "credential_process: cannot run '%s': %s",
                   argv[0], strerror(rc));
        goto out;
    }
    ch->out_fd = outp[0];
    ch->err_fd = errp[0];
    outp[0] = errp[0] = -1;
    r = 0;
    goto out;
spawn_err:
    sw_err_set(err, errlen, "credential_process: cannot set up '%s': %s",
               argv[0], strerror(rc));
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (at_ok)
        posix_spawnattr_destroy(&at);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return r;
}

/* collect - read both pipes until EOF, then wait for the exit, all before
 * DEADLINE.  Returns 0 (ch->status set), SW_ETIMEDOUT or SW_EPROC (too
 * much output, I/O error); the child is reaped in every case. */
static int
collect(struct child *ch, sw_mono_ms deadline,
        const volatile sig_atomic_t *cancel, const char *prog, char *err,
        size_t errlen)
{
    int r = SW_EPROC;

    while (ch->out_fd >= 0 || ch->err_fd >= 0) {
        struct pollfd pf[2];
        nfds_t nf = 0;
        sw_mono_ms left = deadline - sw_mono_now();
        int pr;

        if (cancel && *cancel)
            goto canceled;
        if (left <= 0)
            goto timeout;
        if (ch->out_fd >= 0) {
            pf[nf].fd = ch->out_fd;
            pf[nf].events = POLLIN;
            nf++;
        }
        if (ch->err_fd >= 0) {
            pf[nf].fd = ch->err_fd;
            pf[nf].events = POLLIN;
            nf++;
        }
        /* Short slices: a stop request is seen within CANCEL_SLICE_MS. */
        pr = poll(pf, nf, left > CANCEL_SLICE_MS ? CANCEL_SLICE_MS : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            sw_err_set(err, errlen, "credential_process: poll: %s",
                       strerror(errno));
            goto kill;
        }
        for (nfds_t i = 0; i < nf; i++) {
            ssize_t n;

            if (!pf[i].revents)
                continue;
            if (pf[i].fd == ch->out_fd) {
                /* One byte past the cap is read so "too big" shows. */
                n = read_some(ch->out_fd, ch->obuf + ch->olen,
                              SW_CREDPROC_MAX_STDOUT + 1 - ch->olen);
                if (n > 0) {
                    ch->olen += (size_t)n;
                    if (ch->olen > SW_CREDPROC_MAX_STDOUT) {
                        sw_err_set(err, errlen,
                                   "credential_process '%s' wrote more than %d "
                                   "bytes",
                                   prog, SW_CREDPROC_MAX_STDOUT);
                        goto kill;
                    }
                } else if (n == 0 || n == -1) {
                    close(ch->out_fd);
                    ch->out_fd = -1;
                }
            } else {
                size_t room = SW_CREDPROC_MAX_STDERR - ch->elen;

                /* Past the cap read_some() drains into a sink: only the
                 * bytes that went into ebuf count, or the next read
                 * would land past its end. */
                n = read_some(ch->err_fd, ch->ebuf + ch->elen, room);
                if (n > 0) {
                    if (room)
                        ch->elen += (size_t)n;
                } else if (n == 0 || n == -1) {
                    close(ch->err_fd);
                    ch->err_fd = -1;
                }
            }
        }
    }
    /* Both pipes closed; the child normally exits right after. */
    for (;;) {
        pid_t w = waitpid(ch->pid, &ch->status, WNOHANG);

        if (w == ch->pid)
            break;
        if (w < 0 && errno != EINTR) {
            sw_err_set(err, errlen, "credential_process: waitpid: %s",
                       strerror(errno));
            ch->pid = -1;
            return SW_EPROC;
        }
        if (cancel && *cancel)
            goto canceled;
        if (sw_mono_now() >= deadline)
            goto timeout;
        (void)poll(NULL, 0, 10);
    }
    ch->pid = -1;
    return 0;
canceled:
    r = SW_ECANCELED;
    sw_err_set(err, errlen, "credential_process '%s' canceled", prog);
    goto kill;
timeout:
    r = SW_ETIMEDOUT;
    sw_err_set(err, errlen, "credential_process '%s' timed out", prog);
kill:
    kill_and_reap(ch->pid);
    ch->pid = -1;
    return r;
}

int
sw_credproc_run(const char *cmdline, long timeout_ms,
                const volatile sig_atomic_t *cancel, struct sw_creds *out,
                char *err, size_t errlen)
{
    struct child ch;
    char **argv = NULL;
    size_t argc = 0;
    char serr[128];
    sw_mono_ms deadline;
    int r;

    ch.pid = -1;
    ch.out_fd = ch.err_fd = -1;
    ch.olen = ch.elen = 0;
    ch.status = 0;
    ch.obuf = NULL;
    if (timeout_ms <= 0)
        timeout_ms = SW_CREDPROC_TIMEOUT_MS;
    r = sw_words_split(cmdline, &argv, &argc, serr, sizeof(serr));
    if (r < 0) {
        sw_err_set(err, errlen,
                   "credential_process: cannot split command "
                   "line: %s",
                   serr);
        goto out;
    }
    if (argc == 0) {
        sw_err_set(err, errlen, "credential_process: empty command line");
        r = SW_EINVAL;
        goto out;
    }
    ch.obuf = malloc(SW_CREDPROC_MAX_STDOUT + 1);
    if (!ch.obuf) {
        sw_err_set(err, errlen, "out of memory");
        r = SW_ENOMEM;
        goto out;
    }
    deadline = sw_mono_now() + timeout_ms;
    r = spawn_child(&ch, argv, err, errlen);
    if (r < 0)
        goto out;
    r = collect(&ch, deadline, cancel, argv[0], err, errlen);
    if (r == SW_ETIMEDOUT)
        sw_err_set(err, errlen,
                   "credential_process '%s' timed out after %ld ms", argv[0],
                   timeout_ms);
    if (r < 0)
        goto out;
    sanitize_line(ch.ebuf, ch.elen);
    if (!WIFEXITED(ch.status) || WEXITSTATUS(ch.status) != 0) {
        char how[48];

        if (WIFSIGNALED(ch.status))
            (void)snprintf(how, sizeof(how), "was killed by signal %d",
                           WTERMSIG(ch.status));
        else
            /* 127 is what a failed exec exits with when posix_spawn
             * cannot report the error itself (fork fallback). */
            (void)snprintf(how, sizeof(how), "exited with status %d%s",
                           WEXITSTATUS(ch.status),
                           WEXITSTATUS(ch.status) == 127 && !ch.ebuf[0]
                               ? " (not found?)"
                               : "");
        sw_err_set(err, errlen, "credential_process '%s' %s%s%s", argv[0], how,
                   ch.ebuf[0] ? ": " : "", ch.ebuf);
        r = SW_EPROC;
        goto out;
    }
    r = sw_credproc_parse(ch.obuf, ch.olen, out, err, errlen);
out:
    if (ch.out_fd >= 0)
        close(ch.out_fd);
    if (ch.err_fd >= 0)
        close(ch.err_fd);
    if (ch.pid > 0)
        kill_and_reap(ch.pid);
    if (ch.obuf) {
        sw_memzero(ch.obuf, SW_CREDPROC_MAX_STDOUT + 1);
        free(ch.obuf);
    }
    sw_words_free(argv);
    return r;
}
