/* fuzz/standalone.c - a main() for the fuzz harnesses when libFuzzer is not
 * linked (jansson's standaloneengine.cc idea): replays every file of the
 * harness's corpus, so `make check` runs each input under the sanitizers
 * or valgrind.  The corpus directory is $SW_FUZZ_CORPUS/<program name>, or
 * the files and directories given as arguments.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1024 * 1024)

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;

    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    buf = malloc(FUZZ_MAX_INPUT);
    if (!buf) {
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, FUZZ_MAX_INPUT, f);
    fclose(f);
    /* Exact-size copy so ASan catches reads one past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int
run_path(const char *path, int *count)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char sub[4096];
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >=
            sizeof(sub))
            continue;
        if (run_path(sub, count) < 0)
            r = -1;
    }
    closedir(d);
    return r;
}

int
main(int argc, char **argv)
{
    int count = 0, r = 0;
    char dir[4096];
    const char *base = getenv("SW_FUZZ_CORPUS");
    const char *name = strrchr(argv[0], '/');

    name = name ? name + 1 : argv[0];
    /* libtool-style "lt-" prefixes are not used here, but be tolerant. */
    if (strncmp(name, "lt-", 3) == 0)
        name += 3;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], &count) < 0)
                r = 1;
    } else {
        if (!base) {
            fprintf(stderr, "%s: set SW_FUZZ_CORPUS or pass files\n", name);
            return 1;
        }
        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", base, name) >=
            sizeof(dir))
            return 1;
        if (run_path(dir, &count) < 0)
            r = 1;
    }
    if (count == 0) {
        fprintf(stderr, "%s: no corpus inputs found\n", name);
        return 1;
    }
    printf("%s: %d inputs replayed\n", name, count);
    return r;
}
