/* fuzz/fuzz_outbox.c - the outbox entry-file parser, and one entry file
 * read as the agent reads its outbox at startup.
 *
 * Entry files are read back after a restart from a directory anyone with
 * the agent's rights can write to, so the parser must reject anything
 * malformed without crashing.  When an input parses, it is formatted and
 * parsed again: what the outbox writes must always load, unchanged
 * (otherwise a rewrite after a failed attempt could turn a good entry into
 * a "corrupt" one).
 *
 * Then the input becomes STATE_DIR/outbox/<id>.json (the id it names when
 * it has a usable one) and the outbox is opened as the agent opens it
 * (sw_outbox_open(), read-write): the file must load as exactly the entry
 * the parser made of it, or, when the parser refused it, be moved to
 * outbox/corrupt/ and nothing loaded. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "notifiers/outbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The id of the file when the input names none that a file can have. */
#define OTHER_ID "20261125T100541Z-0000000000000000001-1-0a0b0c0d"

static char base[64];

/* Leave no directory behind: each input's file is gone already. */
static void
cleanup(void)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/outbox/corrupt", base);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/outbox", base);
    rmdir(path);
    rmdir(base);
}

/* DATA as the agent finds it in STATE_DIR/outbox/ at startup. */
static void
startup(const uint8_t *data, size_t size, const struct sw_outbox_entry *e)
{
    const char *id = e ? e->id : OTHER_ID;
    char dir[128], path[512], moved[512], err[256];
    struct sw_outbox *ob = NULL;
    struct stat sb;
    FILE *f;
    int ok;

    snprintf(dir, sizeof(dir), "%s/outbox", base);
    snprintf(path, sizeof(path), "%s/%s.json", dir, id);
    snprintf(moved, sizeof(moved), "%s/corrupt/%s.json", dir, id);
    mkdir(dir, 0750);
    f = fopen(path, "wb");
    if (!f)
        abort();
    ok = fwrite(data, 1, size, f) == size;
    if (fclose(f) != 0 || !ok)
        abort();
    if (sw_outbox_open(base, 0, &ob, err, sizeof(err)) < 0)
        abort(); /* only a directory that cannot be read fails the open */
    if (e) {
        char *want = sw_outbox_entry_format(e);
        char *got = sw_outbox_len(ob) == 1
                        ? sw_outbox_entry_format(sw_outbox_get(ob, 0))
                        : NULL;

        if (!want || !got || strcmp(want, got) != 0)
            abort();
        free(want);
        free(got);
        unlink(path);
    } else {
        /* Set aside for a person to look at, never deleted. */
        if (sw_outbox_len(ob) != 0 || stat(path, &sb) == 0 ||
            stat(moved, &sb) != 0)
            abort();
        unlink(moved);
    }
    sw_outbox_free(ob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_outbox_entry *e = NULL, *e2 = NULL;
    char err[256], *text = NULL, *again = NULL;

    if (!base[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/fuzz_outbox_XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(base))
            abort();
        atexit(cleanup);
        sw_log_set_level(SW_LOG_ERR);
    }
    if (sw_outbox_entry_parse((const char *)data, size, NULL, &e, err,
                              sizeof(err)) < 0) {
        startup(data, size, NULL);
        return 0;
    }
    if (!sw_outbox_id_ok(e->id))
        abort();
    text = sw_outbox_entry_format(e);
    if (!text)
        goto out;
    if (sw_outbox_entry_parse(text, strlen(text), e->id, &e2, err,
                              sizeof(err)) < 0)
        abort();
    again = sw_outbox_entry_format(e2);
    if (again && strcmp(text, again) != 0)
        abort();
    startup(data, size, e);
out:
    free(again);
    free(text);
    sw_outbox_entry_free(e2);
    sw_outbox_entry_free(e);
    return 0;
}
