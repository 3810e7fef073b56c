/* tests/unit/test_creds.c - the credential chain: credential_process
 * (parsing and real child processes), STS and IMDS reply parsing, the
 * environment provider, chain order over temporary config/credentials
 * files, the assume-role callback, and expiry/refresh with an injected
 * clock.  Nothing here touches the network: IMDS is disabled in every
 * test and the AssumeRole paths stop before the call (no client) or end
 * in a recording callback.  The shlex splitter is tested in test_lib.c. */
#include "config.h"

/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "aws/credproc.h"
#include "aws/creds.h"
#include "aws/imds.h"
#include "aws/sts.h"
#include "lib/clock.h"
#include "lib/err.h"

static char tmpdir[PATH_MAX];
static char scriptdir[PATH_MAX + 16]; /* "<tmp>/my dir": a space on purpose */

static const char *const env_vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_EC2_METADATA_V1_DISABLED",
};

static int
setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
    /* Never reach for 169.254.169.254 from a unit test. */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", tmpdir, 1);
    return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* script - write "<scriptdir>/NAME" with BODY after a /bin/sh line. */
static void
script(const char *name, const char *body)
{
    char path[PATH_MAX + 64], text[PATH_MAX * 4];
    int n;

    (void)snprintf(path, sizeof(path), "%s/%s", scriptdir, name);
    n = snprintf(text, sizeof(text), "#!/bin/sh\n%s", body);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    write_file(path, text, 0755);
}

/* files - temporary config and credentials files with the given text
 * (NULL: the file does not exist). */
static void
files(const char *config, const char *credentials)
{
    char path[PATH_MAX + 32];

    (void)snprintf(path, sizeof(path), "%s/config", tmpdir);
    unlink(path);
    if (config)
        write_file(path, config, 0600);
    setenv("AWS_CONFIG_FILE", path, 1);
    (void)snprintf(path, sizeof(path), "%s/credentials", tmpdir);
    unlink(path);
    if (credentials)
        write_file(path, credentials, 0600);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
}

/* --- credential_process JSON ------------------------------------------ */

static int
parse_json(const char *json, struct sw_creds *c, char *err, size_t errlen)
{
    return sw_credproc_parse(json, strlen(json), c, err, errlen);
}

static void
test_credproc_parse(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[256];

    (void)state;
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": "
                                "\"ASIAPROC\", \"SecretAccessKey\": \"sk\", "
                                "\"SessionToken\": \"tok\", \"Expiration\": "
                                "\"2025-11-26T12:34:56Z\"}",
                                &c, err, sizeof(err)),
                     0);
    assert_string_equal(c.akid, "ASIAPROC");
    assert_string_equal(c.secret.s, "sk");
    assert_string_equal(c.token.s, "tok");
    assert_int_equal(c.expiration, 1764160496);
    assert_string_equal(c.source, "process");

    /* minimal: no token, never expires; replaces the previous contents */
    assert_int_equal(parse_json("{\"Version\":1.0,\"AccessKeyId\":\"AKIA2\","
                                "\"SecretAccessKey\":\"sk2\","
                                "\"SessionToken\":null}",
                                &c, err, sizeof(err)),
                     0);
    assert_string_equal(c.akid, "AKIA2");
    assert_null(c.token.s);
    assert_int_equal(c.expiration, 0);

    /* errors leave OUT alone */
    assert_int_equal(parse_json("{\"Version\": 2, \"AccessKeyId\": \"A\", "
                                "\"SecretAccessKey\": \"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "Unsupported version '2' for credential "
                             "process provider, supported versions: 1");
    assert_string_equal(c.akid, "AKIA2");
    assert_int_equal(parse_json("{\"Version\": \"1\", \"AccessKeyId\": "
                                "\"A\", \"SecretAccessKey\": \"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "Unsupported version '1' for credential "
                             "process provider, supported versions: 1");
    assert_int_equal(parse_json("{\"AccessKeyId\": \"A\", "
                                "\"SecretAccessKey\": \"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "Unsupported version '<Version key not "
                             "provided>' for credential process provider, "
                             "supported versions: 1");
    assert_int_equal(parse_json("{\"Version\": 1, \"SecretAccessKey\": "
                                "\"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "credential_process: missing required key in "
                             "response: 'AccessKeyId'");
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": \"A\"}", &c,
                                err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "credential_process: missing required key in "
                             "response: 'SecretAccessKey'");
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": \"A\", "
                                "\"SecretAccessKey\": \"\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "credential_process: 'SecretAccessKey' must be "
                             "a non-empty string");
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": 5, "
                                "\"SecretAccessKey\": \"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": \"A\\n\","
                                " \"SecretAccessKey\": \"s\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "credential_process: 'AccessKeyId' contains "
                             "control characters");
    assert_int_equal(parse_json("{\"Version\": 1, \"AccessKeyId\": \"A\", "
                                "\"SecretAccessKey\": \"s\", "
                                "\"Expiration\": \"tomorrow\"}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "credential_process: 'Expiration' is not an "
                             "RFC 3339 time");
    assert_int_equal(parse_json("[1]", &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "credential_process: output is not a JSON "
                             "object");
    /* a broken document never has its text quoted (it holds secrets) */
    assert_int_equal(parse_json("{\"Version\": 1, \"SecretAccessKey\": "
                                "TOPSECRETVALUE}",
                                &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_null(strstr(err, "TOPSECRET"));
    assert_non_null(strstr(err, "not valid JSON (line 1"));
    assert_string_equal(c.akid, "AKIA2");
    sw_creds_release(&c);
    assert_null(c.akid);
    sw_creds_release(NULL);
}

/* --- credential_process: real children ---------------------------------- */

static void
test_credproc_run(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char cmd[PATH_MAX * 2], err[512];

    (void)state;
    script("ok.sh",
           "[ \"$#\" = 2 ] || { echo \"want 2 args, got $#\" >&2; exit 3; }\n"
           "[ \"$1\" = \"arg with space\" ] || { echo bad1 >&2; exit 4; }\n"
           "if read line; then echo stdin >&2; exit 5; fi\n"
           "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC%s\", "
           "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": "
           "\"proc-token\", \"Expiration\": \"2030-01-02T03:04:05Z\"}\\n' "
           "\"$2\"\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/ok.sh' \"arg with space\" X1",
                   scriptdir);
    if (sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("run: %s", err);
    assert_string_equal(c.akid, "AKIDPROCX1");
    assert_string_equal(c.secret.s, "proc-secret");
    assert_string_equal(c.token.s, "proc-token");
    assert_int_equal(c.expiration, 1893553445);
    assert_string_equal(c.source, "process");

    /* a wrong argument count shows the script's stderr */
    (void)snprintf(cmd, sizeof(cmd), "\"%s/ok.sh\" arg with space", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPROC);
    assert_non_null(strstr(err, "exited with status 3: want 2 args, got 3"));
    assert_string_equal(c.akid, "AKIDPROCX1");

    /* non-zero exit: stderr in the error, control characters stripped */
    script("fail.sh", "printf 'bad thing happened\\n\\tsecond line\\033[1m\\n'"
                      " >&2\necho '{\"not\": \"used\"}'\nexit 2\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/fail.sh'", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPROC);
    assert_non_null(strstr(err, "/fail.sh' exited with status 2: bad thing "
                                "happened second line [1m"));

    /* killed by a signal */
    script("kill.sh", "kill -9 $$\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/kill.sh'", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPROC);
    assert_non_null(strstr(err, "was killed by signal 9"));

    /* stdout that is not JSON */
    script("text.sh", "echo hello\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/text.sh'", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_non_null(strstr(err, "not valid JSON"));

    /* more than 64 KiB of stdout */
    script("big.sh", "head -c 70000 /dev/zero | tr '\\000' a\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/big.sh'", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPROC);
    assert_non_null(strstr(err, "wrote more than 65536 bytes"));

    /* no such program, bad or empty command lines */
    assert_int_equal(sw_credproc_run("/nonexistent/helper --x", 10000, NULL, &c,
                                     err, sizeof(err)),
                     SW_EPROC);
    /* glibc reports the exec failure itself; under valgrind posix_spawn
     * falls back to fork and the child exits 127 instead */
    if (strcmp(err, "credential_process: cannot run '/nonexistent/helper': "
                    "No such file or directory") != 0)
        assert_string_equal(err, "credential_process '/nonexistent/helper' "
                                 "exited with status 127 (not found?)");
    assert_int_equal(sw_credproc_run("   ", 0, NULL, &c, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "credential_process: empty command line");
    assert_int_equal(
        sw_credproc_run("'/bin/true", 0, NULL, &c, err, sizeof(err)),
        SW_EINVAL);
    assert_string_equal(err, "credential_process: cannot split command "
                             "line: No closing quotation");

    /* found on PATH, like execvp */
    assert_int_equal(
        sw_credproc_run("false", 10000, NULL, &c, err, sizeof(err)), SW_EPROC);
    assert_non_null(strstr(err, "'false' exited with status 1"));
    assert_string_equal(c.akid, "AKIDPROCX1");
    sw_creds_release(&c);
}

static void
test_credproc_fds(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char cmd[PATH_MAX * 2], err[512];
    int fd;

    (void)state;
    /* a descriptor opened without O_CLOEXEC must not reach the child */
    fd = open("/dev/null", O_RDONLY);
    assert_true(fd > 2);
    script("fds.sh", "if [ -e \"/proc/$$/fd/$1\" ]; then echo leaked >&2;"
                     " exit 7; fi\n"
                     "echo '{\"Version\":1,\"AccessKeyId\":\"A\","
                     "\"SecretAccessKey\":\"s\"}'\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/fds.sh' %d", scriptdir, fd);
    if (sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("run: %s", err);
    close(fd);
    sw_creds_release(&c);
}

/* process_gone - 1 when PID no longer runs (absent or a zombie). */
static int
process_gone(long pid)
{
    char path[64], buf[256];
    FILE *f;
    char *p;

    (void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return 1;
    p = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (!p)
        return 1;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static void
test_credproc_timeout(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char cmd[PATH_MAX * 3], err[512], pidfile[PATH_MAX + 16], buf[32];
    sw_mono_ms t0, dt;
    FILE *f;

    (void)state;
    (void)snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", tmpdir);
    /* The helper's own child must die with it (process group kill). */
    script("slow.sh", "sleep 30 &\necho $! > \"$1\"\nwait\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/slow.sh' '%s'", scriptdir, pidfile);
    t0 = sw_mono_now();
    assert_int_equal(sw_credproc_run(cmd, 500, NULL, &c, err, sizeof(err)),
                     SW_ETIMEDOUT);
    dt = sw_mono_now() - t0;
    assert_true(dt >= 400 && dt < 5000);
    assert_non_null(strstr(err, "/slow.sh' timed out after 500 ms"));
    assert_null(c.akid);
    f = fopen(pidfile, "r");
    if (f) {
        long pid = 0;
        int gone = 0;

        if (fgets(buf, sizeof(buf), f))
            pid = strtol(buf, NULL, 10);
        fclose(f);
        /* SIGKILL is asynchronous: give the kernel a moment. */
        for (int i = 0; pid > 0 && i < 200 && !gone; i++) {
            gone = process_gone(pid);
            if (!gone)
                usleep(10000);
        }
        assert_true(pid <= 0 || gone);
        unlink(pidfile);
    }
}

/* Regression: a helper that writes more than the 4 KiB kept of its stderr
 * (here 4,608 bytes and 1 MiB) must neither overrun the buffer (the
 * drained bytes were counted as kept) nor fail when it succeeds. */
static void
test_credproc_stderr_flood(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char cmd[PATH_MAX * 2], err[512];

    (void)state;
    script("noisy.sh", "head -c \"$1\" /dev/zero | tr '\\000' e >&2\n"
                       "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDNOISY\","
                       "\"SecretAccessKey\":\"s\"}'\n"
                       "exit \"$2\"\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/noisy.sh' 4608 0", scriptdir);
    if (sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("run: %s", err);
    assert_string_equal(c.akid, "AKIDNOISY");
    (void)snprintf(cmd, sizeof(cmd), "'%s/noisy.sh' 1048576 0", scriptdir);
    if (sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("run: %s", err);
    /* failing: the error quotes the start of stderr, never past the cap */
    (void)snprintf(cmd, sizeof(cmd), "'%s/noisy.sh' 9000 4", scriptdir);
    assert_int_equal(sw_credproc_run(cmd, 10000, NULL, &c, err, sizeof(err)),
                     SW_EPROC);
    assert_non_null(strstr(err, "exited with status 4: eeee"));
    sw_creds_release(&c);
}

static volatile sig_atomic_t cancel_flag;

static void
on_alarm(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

/* A stop request (the agent's SIGTERM flag) kills a hanging helper and
 * its children at once instead of waiting out the 60 s timeout. */
static void
test_credproc_cancel(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char cmd[PATH_MAX * 3], err[512], pidfile[PATH_MAX + 16], buf[32];
    struct itimerval it;
    struct sigaction sa;
    sw_mono_ms t0, dt;
    long pid = 0;
    int gone = 0;
    FILE *f;

    (void)state;
    (void)snprintf(pidfile, sizeof(pidfile), "%s/hang.pid", tmpdir);
    script("hang.sh", "sleep 30 &\necho $! > \"$1\"\nwait\n");
    (void)snprintf(cmd, sizeof(cmd), "'%s/hang.sh' '%s'", scriptdir, pidfile);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    memset(&it, 0, sizeof(it));
    it.it_value.tv_usec = 300000;
    cancel_flag = 0;
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    t0 = sw_mono_now();
    assert_int_equal(
        sw_credproc_run(cmd, 60000, &cancel_flag, &c, err, sizeof(err)),
        SW_ECANCELED);
    dt = sw_mono_now() - t0;
    assert_true(dt >= 250 && dt < 2000);
    assert_non_null(strstr(err, "/hang.sh' canceled"));
    assert_null(c.akid);
    f = fopen(pidfile, "r");
    assert_non_null(f);
    if (fgets(buf, sizeof(buf), f))
        pid = strtol(buf, NULL, 10);
    fclose(f);
    for (int i = 0; pid > 0 && i < 200 && !gone; i++) {
        gone = process_gone(pid);
        if (!gone)
            usleep(10000);
    }
    assert_true(pid > 0 && gone);
    unlink(pidfile);
    /* already set: nothing is left running, the helper never finishes */
    assert_int_equal(
        sw_credproc_run(cmd, 60000, &cancel_flag, &c, err, sizeof(err)),
        SW_ECANCELED);
    unlink(pidfile);
}

/* --- STS --------------------------------------------------------------- */

static const char sts_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n"
    "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:kds-agent</AssumedRoleId>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/kds-agent/kds-agent"
    "</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    "</SecretAccessKey>\n"
    "      <SessionToken>FQoGZXIvYXdzEFAKETOKEN+/=</SessionToken>\n"
    "      <Expiration>2025-11-26T11:05:30Z</Expiration>\n"
    "    </Credentials>\n    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>c6104cbe-af31"
    "</RequestId></ResponseMetadata>\n</AssumeRoleResponse>\n";

static int
sts_parse(const char *xml, struct sw_creds *c, char *err, size_t errlen)
{
    return sw_sts_parse_assume_role(xml, strlen(xml), c, err, errlen);
}

/* sts_with - the good reply with FIELD's text replaced by VALUE. */
static void
sts_with(char *buf, size_t size, const char *field, const char *value)
{
    char open[64], close[64];
    const char *a, *b;

    (void)snprintf(open, sizeof(open), "<%s>", field);
    (void)snprintf(close, sizeof(close), "</%s>", field);
    a = strstr(sts_ok, open);
    b = strstr(sts_ok, close);
    assert_non_null(a);
    assert_non_null(b);
    (void)snprintf(buf, size, "%.*s%s%s", (int)(a - sts_ok + strlen(open)),
                   sts_ok, value, b);
}

static void
test_sts_parse(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[256], xml[sizeof(sts_ok) + 256];

    (void)state;
    assert_int_equal(sts_parse(sts_ok, &c, err, sizeof(err)), 0);
    assert_string_equal(c.akid, "ASIAIOSFODNN7EXAMPLE");
    assert_string_equal(c.secret.s,
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    assert_string_equal(c.token.s, "FQoGZXIvYXdzEFAKETOKEN+/=");
    assert_int_equal(c.expiration, 1764155130);
    assert_string_equal(c.source, "assume-role");

    sts_with(xml, sizeof(xml), "AccessKeyId", "ASIASHORT");
    assert_int_equal(sts_parse(xml, &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "sts: AssumeRole reply: AccessKeyId missing or "
                             "not 16-128 characters");
    sts_with(xml, sizeof(xml), "SessionToken", "");
    assert_int_equal(sts_parse(xml, &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "sts: AssumeRole reply: SessionToken missing "
                             "or invalid");
    sts_with(xml, sizeof(xml), "SecretAccessKey", " ");
    assert_int_equal(sts_parse(xml, &c, err, sizeof(err)), SW_EPARSE);
    sts_with(xml, sizeof(xml), "Expiration", "soon");
    assert_int_equal(sts_parse(xml, &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "sts: AssumeRole reply: Expiration is not an "
                             "RFC 3339 time");
    /* the secret never shows in messages */
    assert_null(strstr(err, "wJalr"));
    assert_int_equal(sts_parse("<AssumeRoleResponse><AssumeRoleResult/>"
                               "</AssumeRoleResponse>",
                               &c, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "sts: AssumeRole reply: no Credentials");
    assert_int_equal(
        sts_parse("<GetCallerIdentityResponse/>", &c, err, sizeof(err)),
        SW_EPARSE);
    assert_string_equal(err, "sts: AssumeRole reply: unexpected element "
                             "'GetCallerIdentityResponse'");
    assert_int_equal(sts_parse("not xml", &c, err, sizeof(err)), SW_EPARSE);
    assert_non_null(strstr(err, "sts: AssumeRole reply: line 1"));

    /* the error envelope */
    assert_int_equal(
        sts_parse("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
                  "2011-06-15/\"><Error><Type>Sender</Type><Code>"
                  "AccessDenied</Code><Message>User: arn:aws:iam::1:user/u "
                  "is not authorized\nto perform: sts:AssumeRole</Message>"
                  "</Error><RequestId>x</RequestId></ErrorResponse>",
                  &c, err, sizeof(err)),
        SW_EAWS);
    assert_string_equal(err, "sts: AssumeRole failed: AccessDenied: User: "
                             "arn:aws:iam::1:user/u is not authorized to "
                             "perform: sts:AssumeRole");
    assert_int_equal(sts_parse("<Response><Errors><Error><Code>"
                               "ExpiredToken</Code></Error></Errors>"
                               "</Response>",
                               &c, err, sizeof(err)),
                     SW_EAWS);
    assert_string_equal(err, "sts: AssumeRole failed: ExpiredToken");
    /* failures kept the good credentials */
    assert_string_equal(c.akid, "ASIAIOSFODNN7EXAMPLE");
    sw_creds_release(&c);
}

static void
test_sts_params(void **state)
{
    struct sw_creds src = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    struct sw_creds out = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    const char *arn = "arn:aws:iam::123456789012:role/kds-agent";
    struct sw_creds_role role = {NULL, NULL, NULL, 0};
    char err[256], longname[80];

    (void)state;
    assert_int_equal(
        sw_sts_check_params(arn, "kds-agent", NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(sw_sts_check_params(arn, "a+=,.@-_Z9", "ext:id/1-2", 900,
                                         err, sizeof(err)),
                     0);
    assert_int_equal(sw_sts_check_params(arn, "x", NULL, 0, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "role_session_name must be 2-64 characters of "
                             "A-Z a-z 0-9 _+=,.@-");
    memset(longname, 'n', 65);
    longname[65] = '\0';
    assert_int_equal(
        sw_sts_check_params(arn, longname, NULL, 0, err, sizeof(err)),
        SW_EINVAL);
    longname[64] = '\0';
    assert_int_equal(
        sw_sts_check_params(arn, longname, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(
        sw_sts_check_params(arn, "has space", NULL, 0, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(sw_sts_check_params("arn:aws:iam::1:role", "ok", NULL, 0,
                                         err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_sts_check_params("role/kds-agent-without-arn", "ok",
                                         NULL, 0, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_sts_check_params(arn, "ok", "x", 0, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(
        sw_sts_check_params(arn, "ok", "bad id!", 0, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(
        sw_sts_check_params(arn, "ok", NULL, 899, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "duration_seconds must be 900-43200 (got 899)");
    assert_int_equal(
        sw_sts_check_params(arn, "ok", NULL, 43201, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(
        sw_sts_check_params(arn, "ok", NULL, 43200, err, sizeof(err)), 0);
    /* without a client nothing is sent */
    role.role_arn = arn;
    assert_int_equal(
        sw_sts_assume_role(NULL, NULL, &src, &role, &out, err, sizeof(err)),
        SW_EINVAL);
    assert_null(out.akid);
}

/* --- IMDS -------------------------------------------------------------- */

static void
test_imds_parse(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[256];
    const char *ok = "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : "
                     "\"2025-11-26T10:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
                     "  \"AccessKeyId\" : \"ASIAIMDS\",\n"
                     "  \"SecretAccessKey\" : \"imds-secret\",\n"
                     "  \"Token\" : \"imds-token\",\n"
                     "  \"Expiration\" : \"2025-11-26T16:00:00Z\"\n}";
    static const char *bad[] = {
        "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
        "\"s\",\"Token\":\"t\",\"Expiration\":\"2025-11-26T16:00:00Z\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
        "\"Expiration\":\"2025-11-26T16:00:00Z\"}",
        "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
        "\"s\",\"Expiration\":\"2025-11-26T16:00:00Z\"}",
        "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
        "\"s\",\"Token\":\"t\"}",
        "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
        "\"s\",\"Token\":\"t\",\"Expiration\":\"later\"}",
        "{\"Code\":\"Success\",\"AccessKeyId\":\"\",\"SecretAccessKey\":"
        "\"s\",\"Token\":\"t\",\"Expiration\":\"2025-11-26T16:00:00Z\"}",
        "[]",
        "{",
    };

    (void)state;
    assert_int_equal(sw_imds_parse(ok, strlen(ok), &c, err, sizeof(err)), 0);
    assert_string_equal(c.akid, "ASIAIMDS");
    assert_string_equal(c.secret.s, "imds-secret");
    assert_string_equal(c.token.s, "imds-token");
    assert_int_equal(c.expiration, 1764172800);
    assert_string_equal(c.source, "imds");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(
            sw_imds_parse(bad[i], strlen(bad[i]), &c, err, sizeof(err)),
            SW_EPARSE);
        assert_true(strncmp(err, "imds: ", 6) == 0);
    }
    assert_int_equal(
        sw_imds_parse(bad[0], strlen(bad[0]), &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "imds: credentials Code is 'Failure', not "
                             "'Success'");
    assert_int_equal(
        sw_imds_parse(bad[2], strlen(bad[2]), &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "imds: credentials document: 'Token' missing "
                             "or invalid");
    assert_string_equal(c.akid, "ASIAIMDS");
    sw_creds_release(&c);
}

static void
test_imds_env(void **state)
{
    char buf[128], err[256];

    (void)state;
    assert_int_equal(sw_imds_disabled(), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    assert_int_equal(sw_imds_disabled(), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    assert_int_equal(sw_imds_disabled(), 0);
    setenv("AWS_EC2_METADATA_DISABLED", "1", 1);
    assert_int_equal(sw_imds_disabled(), 0);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    assert_int_equal(sw_imds_disabled(), 0);

    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "http://169.254.169.254");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "http://[fd00:ec2::254]");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)),
                     SW_EINVAL);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8080//", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "http://127.0.0.1:8080");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "https://imds.test", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "https://imds.test");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ftp://x", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT must "
                             "be an http:// or https:// URL");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)),
                     SW_EINVAL);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://a b", 1);
    assert_int_equal(sw_imds_endpoint(buf, sizeof(buf), err, sizeof(err)),
                     SW_EINVAL);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://x", 1);
    assert_int_equal(sw_imds_endpoint(buf, 8, err, sizeof(err)), SW_EINVAL);
}

/* --- the chain --------------------------------------------------------- */

/* no_client - the assume-role callback aws/client passes, minus the
 * client: aws/sts checks the parameters, then stops for want of a way to
 * send. */
static int
no_client(void *arg, const struct sw_creds *source,
          const struct sw_creds_role *role, struct sw_creds *out, char *err,
          size_t errlen)
{
    (void)arg;
    return sw_sts_assume_role(NULL, NULL, source, role, out, err, errlen);
}

/* get - a fresh provider for PROFILE; returns sw_creds_get()'s result and
 * copies the credentials to OUT (released by the caller). */
static int
get(const char *profile, time_t now, struct sw_creds *out, char *err,
    size_t errlen)
{
    struct sw_creds_provider *p = NULL;
    const struct sw_creds *c = NULL;
    int r;

    assert_int_equal(sw_creds_provider_new(profile, no_client, NULL, &p), 0);
    err[0] = '\0';
    r = sw_creds_get(p, now, &c, err, errlen);
    if (r == 0) {
        assert_non_null(c);
        assert_int_equal(sw_creds_copy(out, c), 0);
    } else {
        assert_null(c);
    }
    sw_creds_provider_free(p);
    return r;
}

static void
test_env_provider(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[512];

    (void)state;
    files(NULL, NULL);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.akid, "AKIAENV");
    assert_string_equal(c.secret.s, "env-secret");
    assert_null(c.token.s);
    assert_int_equal(c.expiration, 0);
    assert_string_equal(c.source, "env");
    sw_creds_release(&c);

    /* the legacy token name, and AWS_SESSION_TOKEN winning over it */
    setenv("AWS_SECURITY_TOKEN", "legacy", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.token.s, "legacy");
    sw_creds_release(&c);
    setenv("AWS_SESSION_TOKEN", "session", 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.token.s, "session");
    assert_int_equal(c.expiration, 1893456000);
    sw_creds_release(&c);
    setenv("AWS_CREDENTIAL_EXPIRATION", "next week", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_EPARSE);
    assert_string_equal(err, "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 "
                             "time");
    unsetenv("AWS_CREDENTIAL_EXPIRATION");

    /* one half only is an error, not a fall-through */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "AWS_ACCESS_KEY_ID is set but "
                             "AWS_SECRET_ACCESS_KEY is not");
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "AWS_SECRET_ACCESS_KEY is set but "
                             "AWS_ACCESS_KEY_ID is not");
    /* empty counts as unset */
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    setenv("AWS_ACCESS_KEY_ID", "", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_non_null(strstr(err, "no AWS credentials found"));
}

static void
test_chain_order(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[512], cfg[PATH_MAX * 2 + 512];

    (void)state;
    script("proc.sh", "echo '{\"Version\": 1, \"AccessKeyId\": "
                      "\"AKIAPROCESS\", \"SecretAccessKey\": \"ps\"}'\n");
    (void)snprintf(cfg, sizeof(cfg),
                   "[default]\n"
                   "region = us-east-1\n"
                   "aws_access_key_id = AKIACONFIG\n"
                   "aws_secret_access_key = config-secret\n"
                   "credential_process = '%s/proc.sh' --unused \"x y\"\n"
                   "[profile cfgonly]\n"
                   "aws_access_key_id = AKIACFGONLY\n"
                   "aws_secret_access_key = cfgonly-secret\n"
                   "aws_session_token = cfgonly-token\n"
                   "[profile partial]\n"
                   "aws_access_key_id = AKIAPARTIAL\n"
                   "[profile sso]\n"
                   "sso_session = corp\n",
                   scriptdir);
    files(cfg, "[default]\n"
               "aws_access_key_id = AKIACREDFILE\n"
               "aws_secret_access_key = credfile-secret\n");

    /* env beats the profile */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.source, "env");
    sw_creds_release(&c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");

    /* the credentials file beats credential_process and the config */
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.source, "profile");
    assert_string_equal(c.akid, "AKIACREDFILE");
    assert_string_equal(c.secret.s, "credfile-secret");
    sw_creds_release(&c);

    /* no keys in the credentials file: credential_process beats the
     * config file's static keys */
    files(cfg, "[other]\naws_access_key_id = AKIAOTHER\n");
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.source, "process");
    assert_string_equal(c.akid, "AKIAPROCESS");
    sw_creds_release(&c);

    /* config static keys when that is all there is; AWS_PROFILE picks */
    setenv("AWS_PROFILE", "cfgonly", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.source, "profile");
    assert_string_equal(c.akid, "AKIACFGONLY");
    assert_string_equal(c.token.s, "cfgonly-token");
    sw_creds_release(&c);
    unsetenv("AWS_PROFILE");
    /* an explicit profile wins over AWS_PROFILE */
    setenv("AWS_PROFILE", "default", 1);
    assert_int_equal(get("cfgonly", 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.akid, "AKIACFGONLY");
    sw_creds_release(&c);
    unsetenv("AWS_PROFILE");

    assert_int_equal(get("partial", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "profile 'partial': aws_access_key_id is set "
                             "but aws_secret_access_key is not");
    assert_int_equal(get("ghost", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_non_null(strstr(err, "profile 'ghost' not found in "));
    assert_int_equal(get("sso", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "no AWS credentials found: tried environment, "
                             "profile 'sso' (web identity and SSO are not "
                             "supported), instance metadata (disabled)");

    /* nothing anywhere */
    files(NULL, NULL);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "no AWS credentials found: tried environment, "
                             "profile 'default' (no credentials), instance "
                             "metadata (disabled)");

    /* a failing credential_process stops the chain with its error */
    files("[default]\ncredential_process = false\n", NULL);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_EPROC);
    assert_string_equal(err, "profile 'default': credential_process "
                             "'false' exited with status 1");

    /* a bad IMDS endpoint setting is a configuration error */
    files(NULL, NULL);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "gopher://x", 1);
    assert_int_equal(get(NULL, 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_non_null(strstr(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT"));
}

static void
test_assume_role_config(void **state)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};
    char err[512];
    static const char *const cfg =
        "[profile noarn-source]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "[profile both]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = base\n"
        "credential_source = Environment\n"
        "[profile base]\n"
        "aws_access_key_id = AKIABASE\n"
        "aws_secret_access_key = base-secret\n"
        "[profile via-base]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = base\n"
        "external_id = ext-1\n"
        "role_session_name = my-session\n"
        "duration_seconds = 1800\n"
        "[profile env-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "credential_source = Environment\n"
        "[profile imds-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "credential_source = Ec2InstanceMetadata\n"
        "[profile ecs-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "credential_source = EcsContainer\n"
        "[profile bogus-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "credential_source = Magic\n"
        "[profile loop-a]\n"
        "role_arn = arn:aws:iam::123456789012:role/a\n"
        "source_profile = loop-b\n"
        "[profile loop-b]\n"
        "role_arn = arn:aws:iam::123456789012:role/b\n"
        "source_profile = loop-a\n"
        "[profile self]\n"
        "role_arn = arn:aws:iam::123456789012:role/s\n"
        "source_profile = self\n"
        "aws_access_key_id = AKIASELF\n"
        "aws_secret_access_key = self-secret\n"
        "[profile self-nokeys]\n"
        "role_arn = arn:aws:iam::123456789012:role/s\n"
        "source_profile = self-nokeys\n"
        "[profile empty-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/e\n"
        "source_profile = nothing\n"
        "[profile nothing]\n"
        "region = us-east-1\n"
        "[profile missing-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/m\n"
        "source_profile = not-there\n"
        "[profile mfa]\n"
        "role_arn = arn:aws:iam::123456789012:role/m\n"
        "source_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
        "[profile bad-duration]\n"
        "role_arn = arn:aws:iam::123456789012:role/d\n"
        "source_profile = base\n"
        "duration_seconds = 60\n"
        "[profile bad-session]\n"
        "role_arn = arn:aws:iam::123456789012:role/d\n"
        "source_profile = base\n"
        "role_session_name = no spaces allowed\n"
        "[profile r1]\nrole_arn = arn:aws:iam::123456789012:role/1\n"
        "source_profile = r2\n"
        "[profile r2]\nrole_arn = arn:aws:iam::123456789012:role/2\n"
        "source_profile = r3\n"
        "[profile r3]\nrole_arn = arn:aws:iam::123456789012:role/3\n"
        "source_profile = r4\n"
        "[profile r4]\nrole_arn = arn:aws:iam::123456789012:role/4\n"
        "source_profile = r5\n"
        "[profile r5]\nrole_arn = arn:aws:iam::123456789012:role/5\n"
        "source_profile = base\n"
        "[profile p2]\nrole_arn = arn:aws:iam::123456789012:role/2\n"
        "source_profile = r3\n"
        "[profile proc-src]\n"
        "role_arn = arn:aws:iam::123456789012:role/p\n"
        "source_profile = proc\n"
        "[profile proc]\n"
        "credential_process = false\n";

    (void)state;
    files(cfg, NULL);
    assert_int_equal(get("noarn-source", 1000, &c, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "profile 'noarn-source': role_arn needs "
                             "source_profile or credential_source");
    assert_int_equal(get("both", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'both': source_profile and "
                             "credential_source are mutually exclusive");
    /* a good source: the chain gets as far as the STS call (no client
     * here, so it stops there) */
    assert_int_equal(get("via-base", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'via-base': sts: no AWS client or "
                             "source credentials for AssumeRole");
    assert_int_equal(get("self", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_non_null(strstr(err, "sts: no AWS client"));
    assert_int_equal(get("p2", 1000, &c, err, sizeof(err)), SW_EINVAL);
    /* four chained roles are fine; the innermost call is the one that
     * would go out first */
    assert_non_null(strstr(err, "profile 'r5': sts: no AWS client"));

    assert_int_equal(get("env-src", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "profile 'env-src': credential_source "
                             "Environment but AWS_ACCESS_KEY_ID/"
                             "AWS_SECRET_ACCESS_KEY are not set");
    assert_int_equal(get("imds-src", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "profile 'imds-src': credential_source "
                             "Ec2InstanceMetadata but "
                             "AWS_EC2_METADATA_DISABLED is true");
    assert_int_equal(get("ecs-src", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'ecs-src': credential_source "
                             "EcsContainer is not supported");
    assert_int_equal(get("bogus-src", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'bogus-src': invalid "
                             "credential_source 'Magic' (expected "
                             "Environment, Ec2InstanceMetadata or "
                             "EcsContainer)");
    assert_int_equal(get("loop-a", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'loop-b': source_profile loop: "
                             "loop-a -> loop-b -> loop-a");
    assert_int_equal(get("self-nokeys", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'self-nokeys': source_profile loop: "
                             "self-nokeys -> self-nokeys");
    assert_int_equal(get("empty-src", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_string_equal(err, "profile 'empty-src': source profile "
                             "'nothing' has no credentials");
    assert_int_equal(get("missing-src", 1000, &c, err, sizeof(err)), SW_ECREDS);
    assert_non_null(strstr(err, "profile 'missing-src': source_profile: "
                                "profile 'not-there' not found"));
    assert_int_equal(get("mfa", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_non_null(strstr(err, "mfa_serial is not supported"));
    assert_int_equal(get("bad-duration", 1000, &c, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "profile 'bad-duration': duration_seconds must "
                             "be an integer in 900-43200");
    assert_int_equal(get("bad-session", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'bad-session': sts: "
                             "role_session_name must be 2-64 characters of "
                             "A-Z a-z 0-9 _+=,.@-");
    /* five chained roles is one too many */
    assert_int_equal(get("r1", 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'r4': more than 4 chained roles: "
                             "r1 -> r2 -> r3 -> r4 -> r5");
    /* the source profile's credential_process runs, and its failure is
     * the error */
    assert_int_equal(get("proc-src", 1000, &c, err, sizeof(err)), SW_EPROC);
    assert_string_equal(err, "profile 'proc': credential_process 'false' "
                             "exited with status 1");
    /* env credentials still come first, as in botocore */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    assert_int_equal(get("via-base", 1000, &c, err, sizeof(err)), 0);
    assert_string_equal(c.source, "env");
    sw_creds_release(&c);
}

/* --- the assume-role callback ------------------------------------------ */

/* What the chain asked of its callback, call by call. */
struct assumed {
    int calls;
    char arn[4][128];
    char session[4][64];
    char external[4][64];
    int duration[4];
    char source_akid[4][32];
    int fail; /* 0: succeed; else the error to return */
    const char *fail_msg;
};

static int
recording_assume(void *arg, const struct sw_creds *source,
                 const struct sw_creds_role *role, struct sw_creds *out,
                 char *err, size_t errlen)
{
    struct assumed *a = arg;
    int i = a->calls++;
    char akid[32];

    assert_true(i < 4);
    (void)snprintf(a->arn[i], sizeof(a->arn[i]), "%s", role->role_arn);
    (void)snprintf(a->session[i], sizeof(a->session[i]), "%s",
                   role->session_name ? role->session_name : "(default)");
    (void)snprintf(a->external[i], sizeof(a->external[i]), "%s",
                   role->external_id ? role->external_id : "(none)");
    a->duration[i] = role->duration_s;
    (void)snprintf(a->source_akid[i], sizeof(a->source_akid[i]), "%s",
                   source->akid);
    if (a->fail) {
        if (a->fail_msg)
            (void)snprintf(err, errlen, "%s", a->fail_msg);
        return a->fail;
    }
    (void)snprintf(akid, sizeof(akid), "ASIAROLE%d", i + 1);
    return sw_creds_set(out, akid, strlen(akid), "role-secret", 11, "tok", 3,
                        1893456000, "assume-role");
}

static int
get_with(const char *profile, struct assumed *a, const struct sw_creds **c,
         struct sw_creds_provider **p, char *err, size_t errlen)
{
    assert_int_equal(sw_creds_provider_new(profile, recording_assume, a, p), 0);
    err[0] = '\0';
    return sw_creds_get(*p, 1000, c, err, errlen);
}

static void
test_assume_role_callback(void **state)
{
    struct sw_creds_provider *p = NULL;
    const struct sw_creds *c = NULL;
    struct assumed a;
    char err[512];
    static const char *const cfg =
        "[profile base]\n"
        "aws_access_key_id = AKIABASE\n"
        "aws_secret_access_key = base-secret\n"
        "[profile via-base]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = base\n"
        "external_id = ext-1\n"
        "role_session_name = my-session\n"
        "duration_seconds = 1800\n"
        "[profile outer]\n"
        "role_arn = arn:aws:iam::123456789012:role/outer\n"
        "source_profile = via-base\n";

    (void)state;
    files(cfg, NULL);

    /* the profile's role settings reach the callback, with the source
     * profile's keys; its credentials are the chain's */
    memset(&a, 0, sizeof(a));
    assert_int_equal(get_with("via-base", &a, &c, &p, err, sizeof(err)), 0);
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.arn[0], "arn:aws:iam::123456789012:role/r");
    assert_string_equal(a.session[0], "my-session");
    assert_string_equal(a.external[0], "ext-1");
    assert_int_equal(a.duration[0], 1800);
    assert_string_equal(a.source_akid[0], "AKIABASE");
    assert_string_equal(c->akid, "ASIAROLE1");
    assert_string_equal(c->source, "assume-role");
    assert_int_equal(c->expiration, 1893456000);
    sw_creds_provider_free(p);

    /* chained roles: the inner role first, its credentials the source of
     * the outer one; unset settings are left to STS */
    memset(&a, 0, sizeof(a));
    assert_int_equal(get_with("outer", &a, &c, &p, err, sizeof(err)), 0);
    assert_int_equal(a.calls, 2);
    assert_string_equal(a.arn[0], "arn:aws:iam::123456789012:role/r");
    assert_string_equal(a.source_akid[0], "AKIABASE");
    assert_string_equal(a.arn[1], "arn:aws:iam::123456789012:role/outer");
    assert_string_equal(a.source_akid[1], "ASIAROLE1");
    assert_string_equal(a.session[1], "(default)");
    assert_string_equal(a.external[1], "(none)");
    assert_int_equal(a.duration[1], 0);
    assert_string_equal(c->akid, "ASIAROLE2");
    sw_creds_provider_free(p);

    /* the callback's error is the chain's, named by profile */
    memset(&a, 0, sizeof(a));
    a.fail = SW_EAWS;
    a.fail_msg = "sts: AssumeRole on 'r' failed: AccessDenied: no";
    assert_int_equal(get_with("via-base", &a, &c, &p, err, sizeof(err)),
                     SW_EAWS);
    assert_null(c);
    assert_string_equal(err, "profile 'via-base': sts: AssumeRole on 'r' "
                             "failed: AccessDenied: no");
    sw_creds_provider_free(p);
    memset(&a, 0, sizeof(a));
    a.fail = SW_ETIMEDOUT;
    assert_int_equal(get_with("via-base", &a, &c, &p, err, sizeof(err)),
                     SW_ETIMEDOUT);
    assert_non_null(strstr(err, "profile 'via-base': "));
    sw_creds_provider_free(p);

    /* no callback: a role profile cannot be resolved */
    assert_int_equal(sw_creds_provider_new("via-base", NULL, NULL, &p), 0);
    assert_int_equal(sw_creds_get(p, 1000, &c, err, sizeof(err)), SW_EINVAL);
    assert_string_equal(err, "profile 'via-base': no STS caller to assume "
                             "role 'arn:aws:iam::123456789012:role/r' with");
    sw_creds_provider_free(p);
}

/* --- expiry and refresh ------------------------------------------------ */

static void
set_env_creds(const char *akid, const char *exp)
{
    setenv("AWS_ACCESS_KEY_ID", akid, 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    if (exp)
        setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
    else
        unsetenv("AWS_CREDENTIAL_EXPIRATION");
}

static void
test_refresh(void **state)
{
    struct sw_creds_provider *p = NULL;
    const struct sw_creds *c = NULL;
    const time_t t = 1893456000; /* 2030-01-01T00:00:00Z */
    char err[512];

    (void)state;
    files(NULL, NULL);
    assert_int_equal(sw_creds_provider_new(NULL, NULL, NULL, &p), 0);
    set_env_creds("AKIAONE", "2030-01-01T00:00:00Z");
    assert_int_equal(sw_creds_get(p, t - 3600, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIAONE");
    assert_int_equal(c->expiration, t);

    /* cached while more than 15 minutes remain */
    set_env_creds("AKIATWO", "2030-01-01T00:00:00Z");
    assert_int_equal(sw_creds_get(p, t - 901, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIAONE");
    /* inside the advisory window: refreshed */
    assert_int_equal(sw_creds_get(p, t - 899, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIATWO");

    /* an advisory refresh that fails keeps the current ones... */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(sw_creds_get(p, t - 700, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIATWO");
    assert_int_equal(sw_creds_get(p, t - 600, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIATWO");
    /* ...but not past the mandatory 10-minute mark */
    assert_int_equal(sw_creds_get(p, t - 599, &c, err, sizeof(err)), SW_ECREDS);
    assert_null(c);
    assert_string_equal(err, "AWS_ACCESS_KEY_ID is set but "
                             "AWS_SECRET_ACCESS_KEY is not");

    /* the source recovers with later credentials */
    set_env_creds("AKIATHREE", "2030-01-01T06:00:00Z");
    assert_int_equal(sw_creds_get(p, t - 300, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIATHREE");
    assert_int_equal(c->expiration, t + 6 * 3600);

    /* refreshed credentials that are already expired are an error */
    set_env_creds("AKIAOLD", "2030-01-01T00:00:00Z");
    sw_creds_invalidate(p);
    assert_int_equal(sw_creds_get(p, t, &c, err, sizeof(err)), SW_EAUTH);
    assert_string_equal(err, "credentials from 'env' were refreshed but are "
                             "already expired");
    /* close to expiry but not past it: used (with a warning) */
    assert_int_equal(sw_creds_get(p, t - 60, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIAOLD");

    /* credentials without an expiry stay until invalidated */
    set_env_creds("AKIASTATIC", NULL);
    sw_creds_invalidate(p);
    assert_int_equal(sw_creds_get(p, t, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIASTATIC");
    set_env_creds("AKIANEWER", NULL);
    assert_int_equal(sw_creds_get(p, t + 86400 * 365, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIASTATIC");
    sw_creds_invalidate(p);
    assert_int_equal(sw_creds_get(p, t, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIANEWER");
    sw_creds_provider_free(p);
    sw_creds_provider_free(NULL);
    sw_creds_invalidate(NULL);
}

static void
test_refresh_process(void **state)
{
    struct sw_creds_provider *p = NULL;
    const struct sw_creds *c = NULL;
    const time_t t = 1893456000; /* the script's Expiration */
    char err[512], cfg[PATH_MAX * 2], counter[PATH_MAX + 16];
    char body[PATH_MAX * 3];

    (void)state;
    /* The helper counts its runs, so caching is visible. */
    (void)snprintf(counter, sizeof(counter), "%s/runs", tmpdir);
    unlink(counter);
    (void)snprintf(body, sizeof(body),
                   "echo run >> '%s'\n"
                   "n=$(wc -l < '%s' | tr -d ' ')\n"
                   "printf '{\"Version\":1,\"AccessKeyId\":\"AKIARUN%%s\","
                   "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
                   "\"Expiration\":\"2030-01-01T00:00:00Z\"}' \"$n\"\n",
                   counter, counter);
    script("count.sh", body);
    (void)snprintf(cfg, sizeof(cfg),
                   "[profile counted]\ncredential_process = '%s/count.sh'\n",
                   scriptdir);
    files(cfg, NULL);
    assert_int_equal(sw_creds_provider_new("counted", NULL, NULL, &p), 0);
    assert_int_equal(sw_creds_get(p, t - 7200, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIARUN1");
    assert_string_equal(c->source, "process");
    assert_int_equal(sw_creds_get(p, t - 3600, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIARUN1");
    assert_int_equal(sw_creds_get(p, t - 800, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIARUN2");
    sw_creds_invalidate(p);
    assert_int_equal(sw_creds_get(p, t - 7200, &c, err, sizeof(err)), 0);
    assert_string_equal(c->akid, "AKIARUN3");
    sw_creds_provider_free(p);
    unlink(counter);
}

static void
test_copy(void **state)
{
    struct sw_creds a = {NULL, {NULL, 0}, {NULL, 0}, 42, "env"};
    struct sw_creds b;

    (void)state;
    a.akid = strdup("AKIACOPY");
    assert_int_equal(sw_secret_set(&a.secret, "sec", 3), 0);
    assert_int_equal(sw_creds_copy(&b, &a), 0);
    assert_string_equal(b.akid, "AKIACOPY");
    assert_string_equal(b.secret.s, "sec");
    assert_null(b.token.s);
    assert_int_equal(b.expiration, 42);
    assert_string_equal(b.source, "env");
    assert_ptr_not_equal(b.secret.s, a.secret.s);
    sw_creds_release(&a);
    sw_creds_release(&b);
}

static void
rm_rf_scripts(void)
{
    static const char *names[] = {
        "ok.sh",  "fail.sh", "kill.sh", "text.sh",  "big.sh",
        "fds.sh", "slow.sh", "proc.sh", "count.sh",
    };
    char path[PATH_MAX + 64];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/%s", scriptdir, names[i]);
        unlink(path);
    }
    rmdir(scriptdir);
    (void)snprintf(path, sizeof(path), "%s/config", tmpdir);
    unlink(path);
    (void)snprintf(path, sizeof(path), "%s/credentials", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_credproc_parse, setup),
        cmocka_unit_test_setup(test_credproc_run, setup),
        cmocka_unit_test_setup(test_credproc_fds, setup),
        cmocka_unit_test_setup(test_credproc_timeout, setup),
        cmocka_unit_test_setup(test_credproc_stderr_flood, setup),
        cmocka_unit_test_setup(test_credproc_cancel, setup),
        cmocka_unit_test_setup(test_sts_parse, setup),
        cmocka_unit_test_setup(test_sts_params, setup),
        cmocka_unit_test_setup(test_imds_parse, setup),
        cmocka_unit_test_setup(test_imds_env, setup),
        cmocka_unit_test_setup(test_env_provider, setup),
        cmocka_unit_test_setup(test_chain_order, setup),
        cmocka_unit_test_setup(test_assume_role_config, setup),
        cmocka_unit_test_setup(test_assume_role_callback, setup),
        cmocka_unit_test_setup(test_refresh, setup),
        cmocka_unit_test_setup(test_refresh_process, setup),
        cmocka_unit_test_setup(test_copy, setup),
    };
    const char *base = getenv("TMPDIR");
    int r;

    (void)snprintf(tmpdir, sizeof(tmpdir), "%s/sw_creds_XXXXXX",
                   base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    (void)snprintf(scriptdir, sizeof(scriptdir), "%s/my dir", tmpdir);
    if (mkdir(scriptdir, 0700) < 0) {
        perror("mkdir");
        return 1;
    }
    r = cmocka_run_group_tests(tests, NULL, NULL);
    rm_rf_scripts();
    return r;
}
