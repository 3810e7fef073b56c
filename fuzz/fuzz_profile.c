/* fuzz/fuzz_profile.c - aws/profile: arbitrary bytes parsed as a shared
 * config file and as a credentials file.
 *
 * Each input is parsed twice (config and credentials naming) for the
 * default profile and for a profile named by the input's first line, so
 * "[profile x]" headers, nested services blocks and the shlex-split
 * header path all get exercised.  The first line also goes through the
 * shlex splitter directly.  Invariants: success gives a profile, failure
 * gives none and a message; split words are never longer than the input.
 * Pure: no files are read.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/profile.h"
#include "lib/err.h"
#include "lib/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse_one(const char *text, size_t len, int is_config, const char *name)
{
    struct sw_profile *p = NULL;
    char err[256];
    int r;

    err[0] = '\0';
    r = sw_profile_parse_buf(text, len, is_config, "fuzz", name, &p, err,
                             sizeof(err));
    if (r == 0) {
        const char *v;

        if (!p || strcmp(sw_profile_name(p), name ? name : "default"))
            abort();
        v = sw_profile_get(p, "region");
        if (v && sw_profile_origin(p, "region") == SW_PROFILE_NONE)
            abort();
        (void)sw_profile_get(p, "credential_process");
        (void)sw_profile_service_get(p, "cloudwatch", "endpoint_url");
        sw_profile_free(p);
        return;
    }
    if (p || !err[0] || r > 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char name[128], **argv = NULL;
    size_t n = 0, argc = 0;

    /* The first line, NUL-free and short, doubles as a profile name. */
    while (n < size && n + 1 < sizeof(name) && data[n] != '\n' &&
           data[n] != '\0') {
        name[n] = (char)data[n];
        n++;
    }
    name[n] = '\0';

    parse_one(text, size, 1, "default");
    parse_one(text, size, 0, "default");
    if (n) {
        parse_one(text, size, 1, name);
        parse_one(text, size, 0, name);
    }

    if (sw_words_split(name, &argv, &argc, NULL, 0) == 0) {
        if (argv[argc] != NULL)
            abort();
        for (size_t i = 0; i < argc; i++)
            if (strlen(argv[i]) > n)
                abort();
        sw_words_free(argv);
    } else if (argv) {
        abort();
    }
    return 0;
}
