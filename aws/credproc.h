/* aws/credproc.h - the credential_process provider (AWS CLI User Guide,
 * "Sourcing credentials with an external process in the AWS CLI").
 *
 * Runs the profile's credential_process command line the way botocore
 * does: split shell-style (lib/words, Python's shlex.split in POSIX mode)
 * and executed directly, never through a shell.  The child gets /dev/null
 * as stdin, default signal dispositions, no inherited descriptors beyond
 * 0-2 and its own process group, so a timeout can kill it together with
 * anything it started.  Its stdout must be the JSON document (Version 1)
 * and is never logged; a little of its stderr is quoted in errors,
 * stripped of control characters.
 *
 * The JSON parser is pure and exposed for tests.  Depends on lib/ and
 * aws/credentials.h only.
 */
#ifndef SW_AWS_CREDPROC_H
#define SW_AWS_CREDPROC_H

#include <signal.h>
#include <stddef.h>

#include "aws/credentials.h"

#define SW_CREDPROC_TIMEOUT_MS 60000       /* default wait for the child */
#define SW_CREDPROC_MAX_STDOUT (64 * 1024) /* more is an error */
#define SW_CREDPROC_MAX_STDERR (4 * 1024)  /* more is dropped */

/* sw_credproc_run - split CMDLINE, run it, wait at most TIMEOUT_MS (0:
 * SW_CREDPROC_TIMEOUT_MS) and parse what it printed into OUT (source
 * "process").  OUT is overwritten on success only.
 * Returns 0; SW_EINVAL (bad command line), SW_EPROC (could not start,
 * non-zero exit, killed, output too large), SW_ETIMEDOUT, SW_EPARSE (bad
 * JSON or fields), SW_ENOMEM, or SW_ECANCELED when *CANCEL (NULL: never)
 * became non-zero: the child and its process group are killed within
 * about 100 ms, so a SIGTERM never waits for a hanging helper.  ERR gets a
 * one-line reason naming the program (not its arguments) and, for a failed
 * child, its stderr. */
int sw_credproc_run(const char *cmdline, long timeout_ms,
                    const volatile sig_atomic_t *cancel, struct sw_creds *out,
                    char *err, size_t errlen);

/* --- for tests --- */

/* sw_credproc_parse - the process's JSON: Version must be 1,
 * AccessKeyId and SecretAccessKey non-empty strings, SessionToken an
 * optional string, Expiration an optional RFC 3339 time (absent: never
 * expires).  OUT (source "process") is overwritten on success only.
 * Returns 0, SW_EPARSE (ERR says what) or SW_ENOMEM. */
int sw_credproc_parse(const char *json, size_t len, struct sw_creds *out,
                      char *err, size_t errlen);

#endif
