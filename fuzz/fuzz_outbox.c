/* fuzz/fuzz_outbox.c - the outbox entry-file parser.
 *
 * Entry files are read back after a restart from a directory anyone with
 * the agent's rights can write to, so the parser must reject anything
 * malformed without crashing.  When an input parses, it is formatted and
 * parsed again: what the outbox writes must always load, unchanged
 * (otherwise a rewrite after a failed attempt could turn a good entry into
 * a "corrupt" one). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notifiers/outbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_outbox_entry *e = NULL, *e2 = NULL;
    char err[256], *text = NULL, *again = NULL;

    if (sw_outbox_entry_parse((const char *)data, size, NULL, &e, err,
                              sizeof(err)) < 0)
        return 0;
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
out:
    free(again);
    free(text);
    sw_outbox_entry_free(e2);
    sw_outbox_entry_free(e);
    return 0;
}
