/* lib/words.h - shell-style word splitting, as Python's shlex.split().
 *
 * botocore splits two things this way and so do we: a profile's
 * credential_process command line (aws/credproc runs it without a shell)
 * and the config file's "[profile name]" section headers (aws/profile).
 * Pure; depends on lib/err.h, lib/secret.h and lib/str.h.
 */
#ifndef SW_LIB_WORDS_H
#define SW_LIB_WORDS_H

#include <stddef.h>

/* sw_words_split - split S like Python's shlex.split(s) (posix=True,
 * comments=False): blanks (space, tab, CR, LF) separate words; '...' is
 * literal; inside "..." a backslash escapes only '\' and '"' (elsewhere it
 * stays); outside quotes a backslash takes the next character literally;
 * '' gives an empty word.  Unterminated quotes and a trailing backslash
 * are errors ("No closing quotation", "No escaped character" as in
 * shlex).  The scratch copy of S is wiped: a command line may carry a
 * secret argument.
 * Returns 0 and *ARGV: new NULL-terminated vector (sw_words_free()) with
 * *ARGC words (may be 0); SW_EINVAL or SW_ENOMEM (ERR, may be NULL, says
 * why; *ARGV is NULL). */
int sw_words_split(const char *s, char ***argv, size_t *argc, char *err,
                   size_t errlen);

/* sw_words_free - free a vector from sw_words_split(); NULL ok. */
void sw_words_free(char **argv);

#endif
