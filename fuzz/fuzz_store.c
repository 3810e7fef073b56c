/* fuzz/fuzz_store.c - the state store's loader: state.json and its
 * journal, read by lib/json_stream.
 *
 * The files are read back after a restart, and by `status`, from a
 * directory a person may edit, so the loader must refuse anything
 * malformed without crashing.  The input is the snapshot, and after a NUL
 * byte (when there is one) the journal.  After a second NUL comes a second
 * journal: then the first is state.journal.prev and the second
 * state.journal, the files a compaction leaves, so the replay of the
 * journal that follows the previous snapshot and of the current one
 * based on it runs too (it is reached when the snapshot's id names
 * state.journal.prev, not state.journal).  When it loads, the state is saved
 * whole into a second directory and loaded again, then saved into a
 * third: the two snapshots must be the same text but for their ids, so
 * what the store writes always loads, unchanged. */
#include "config.h"

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Leave nothing behind in TMPDIR. */
static void
cleanup(void)
{
    nftw(base, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int
put(const char *dir, const char *name, const void *p, size_t n)
{
    char path[256];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!p) {
        unlink(path);
        return 0;
    }
    f = fopen(path, "wb");
    if (!f)
        return -1;
    ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* DIR/state.json without its id. */
static char *
snapshot_text(const char *dir)
{
    char path[256], *text, *id;
    long n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/state.json", dir);
    f = fopen(path, "rb");
    if (!f)
        abort();
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    id = strstr(text, "\"journal\":\"");
    if (!id)
        abort();
    memset(id + 11, '0', 16);
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_store *st = NULL, *again = NULL;
    char err[512], d1[80], d2[80], d3[80], *t2 = NULL, *t3 = NULL;
    const uint8_t *nul = memchr(data, 0, size), *j1 = NULL, *j2 = NULL;
    size_t n1 = 0, n2 = 0;

    if (!base[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/fuzz_store_XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(base))
            abort();
        atexit(cleanup);
        sw_log_set_level(SW_LOG_ERR);
    }
    snprintf(d1, sizeof(d1), "%s/in", base);
    snprintf(d2, sizeof(d2), "%s/out", base);
    snprintf(d3, sizeof(d3), "%s/again", base);
    mkdir(d1, 0700);
    if (nul) {
        const uint8_t *nul2;

        j1 = nul + 1;
        n1 = size - (size_t)(j1 - data);
        nul2 = memchr(j1, 0, n1);
        if (nul2) {
            j2 = nul2 + 1;
            n2 = n1 - (size_t)(j2 - j1);
            n1 = (size_t)(nul2 - j1);
        }
    }
    if (put(d1, "state.json", data, nul ? (size_t)(nul - data) : size) < 0 ||
        put(d1, "state.journal", j2 ? j2 : j1, j2 ? n2 : n1) < 0 ||
        put(d1, "state.journal.prev", j2 ? j1 : NULL, n1) < 0)
        abort();
    if (sw_store_load(d1, &st, err, sizeof(err)) < 0)
        return 0;
    /* Fresh directories: each first save writes the state whole. */
    put(d2, "state.json", NULL, 0);
    put(d2, "state.journal", NULL, 0);
    put(d3, "state.json", NULL, 0);
    put(d3, "state.journal", NULL, 0);
    if (sw_store_save(st, d2, err, sizeof(err)) < 0)
        goto out; /* too large, or out of memory */
    if (sw_store_load(d2, &again, err, sizeof(err)) < 0)
        abort();
    if (sw_store_save(again, d3, err, sizeof(err)) < 0)
        abort();
    t2 = snapshot_text(d2);
    t3 = snapshot_text(d3);
    if (strcmp(t2, t3) != 0)
        abort();
out:
    free(t2);
    free(t3);
    sw_store_free(again);
    sw_store_free(st);
    return 0;
}
