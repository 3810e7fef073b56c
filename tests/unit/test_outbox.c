/* tests/unit/test_outbox.c - notifiers/outbox: add, load after a restart,
 * order, mark_failed, remove, corrupt files moved aside, leftovers,
 * read-only opening, expiry, counts and the entry parser. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/outbox.h"

#define T0 1795601141 /* 2026-11-25T10:05:41Z */

struct fixture {
    char dir[64];     /* the state_dir */
    char outbox[128]; /* dir/outbox */
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    sw_strlcpy(f->dir, "/tmp/sw_outbox_XXXXXX", sizeof(f->dir));
    if (!mkdtemp(f->dir))
        return -1;
    /* A state_dir that does not exist yet: open creates it. */
    sw_strlcpy(f->dir + strlen(f->dir), "/state",
               sizeof(f->dir) - strlen(f->dir));
    snprintf(f->outbox, sizeof(f->outbox), "%s/outbox", f->dir);
    *state = f;
    return 0;
}

static void
rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    struct dirent *de;
    char sub[512];

    if (!dp) {
        unlink(path);
        return;
    }
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(dp);
    rmdir(path);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char *slash = strrchr(f->dir, '/');

    *slash = '\0'; /* the mkdtemp directory */
    rm_tree(f->dir);
    free(f);
    return 0;
}

static json_t *
record(const char *alarm)
{
    json_t *rec = json_pack("{s:{s:s, s:s, s:f}, s:{s:b}}", "alarm",
                            "AlarmName", alarm, "NewStateValue", "ALARM",
                            "Threshold", 0.1, "streamwatch", "repeat", 0);

    assert_non_null(rec);
    return rec;
}

/* E keeps REC: as a tree equal to it, and its alarm name for the logs. */
static void
assert_record(const struct sw_outbox_entry *e, const json_t *rec)
{
    json_t *got = sw_outbox_entry_record(e);

    assert_non_null(got);
    assert_true(json_equal(got, rec));
    assert_string_equal(e->alarm,
                        json_string_value(json_object_get(
                            json_object_get(rec, "alarm"), "AlarmName")));
    json_decref(got);
}

static size_t
count_files(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (!dp)
        return 0;
    while ((de = readdir(dp)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, "corrupt") != 0)
            n++;
    closedir(dp);
    return n;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int
exists(const char *dir, const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void
test_add_and_reload(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    struct sw_outbox_entry *e = NULL, *e2 = NULL;
    json_t *rec = record("a1");
    char err[256], path[512];
    struct stat st;
    time_t oldest;

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_string_equal(sw_outbox_dir(ob), f->outbox);
    assert_int_equal(stat(f->outbox, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(sw_outbox_len(ob), 0);

    /* One record for two notifiers: the outbox keeps its own reference. */
    assert_int_equal(sw_outbox_add(ob, "ops", rec, T0, &e, err, sizeof(err)),
                     0);
    assert_int_equal(sw_outbox_add(ob, "mail", rec, T0, &e2, err, sizeof(err)),
                     0);
    json_decref(rec);
    assert_non_null(e);
    assert_true(sw_outbox_id_ok(e->id));
    assert_true(strncmp(e->id, "20261125T100541Z-", 17) == 0);
    assert_true(strcmp(e->id, e2->id) < 0);
    assert_string_equal(e->notifier, "ops");
    assert_int_equal(e->created, T0);
    assert_int_equal(e->next_attempt, T0);
    assert_int_equal(e->attempts, 0);
    assert_null(e->last_error);
    snprintf(path, sizeof(path), "%s/%s.json", f->outbox, e->id);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(count_files(f->outbox), 2);
    assert_int_equal(sw_outbox_pending(ob, NULL, &oldest), 2);
    assert_int_equal(oldest, T0);
    assert_int_equal(sw_outbox_pending(ob, "ops", NULL), 1);
    assert_int_equal(sw_outbox_pending(ob, "nobody", &oldest), 0);
    assert_int_equal(oldest, 0);
    assert_ptr_equal(sw_outbox_first(ob, "mail"), e2);
    assert_null(sw_outbox_first(ob, "nobody"));
    assert_int_equal(sw_outbox_mark_failed(ob, e2, T0 + 5, T0 + 20,
                                           "HTTP 500\r\nx", err, sizeof(err)),
                     0);
    sw_outbox_free(ob);

    /* After a restart: the same entries, in the same order. */
    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 2);
    e = sw_outbox_get(ob, 0);
    e2 = sw_outbox_get(ob, 1);
    assert_null(sw_outbox_get(ob, 2));
    assert_string_equal(e->notifier, "ops");
    assert_string_equal(e2->notifier, "mail");
    assert_int_equal(e2->attempts, 1);
    assert_int_equal(e2->next_attempt, T0 + 20);
    assert_int_equal(e2->last_attempt, T0 + 5);
    assert_string_equal(e2->last_error, "HTTP 500  x");
    rec = record("a1");
    assert_record(e, rec);
    assert_record(e2, rec);
    json_decref(rec);

    assert_int_equal(sw_outbox_remove(ob, e), 0);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_int_equal(count_files(f->outbox), 1);
    assert_int_equal(sw_outbox_remove(ob, e), SW_EINVAL); /* gone */
    sw_outbox_free(ob);
    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_string_equal(sw_outbox_get(ob, 0)->notifier, "mail");
    sw_outbox_free(ob);
    sw_outbox_free(NULL);
}

/* Many entries in the same second: unique names that sort in the order
 * they were made, and the same order after a restart. */
static void
test_order(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL, *ob2 = NULL;
    char names[60][SW_OUTBOX_MAX_ID + 1], err[256];
    struct sw_outbox_entry *e;

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    /* A second instance in the same process stands for a restarted agent
     * with the same pid (a container's pid 1) in the same second. */
    assert_int_equal(sw_outbox_open(f->dir, 0, &ob2, err, sizeof(err)), 0);
    for (int i = 0; i < 60; i++) {
        char alarm[16];
        json_t *rec;

        snprintf(alarm, sizeof(alarm), "a%02d", i);
        rec = record(alarm);
        assert_int_equal(sw_outbox_add(i % 2 ? ob2 : ob, "ops", rec, T0, &e,
                                       err, sizeof(err)),
                         0);
        sw_strlcpy(names[i], e->id, sizeof(names[i]));
        json_decref(rec);
    }
    for (int i = 1; i < 60; i++)
        assert_true(strcmp(names[i - 1], names[i]) < 0);
    /* An entry made at an earlier agent time (run --now) sorts first. */
    {
        json_t *rec = record("early");
        assert_int_equal(
            sw_outbox_add(ob, "ops", rec, T0 - 60, &e, err, sizeof(err)), 0);
        json_decref(rec);
        assert_ptr_equal(sw_outbox_first(ob, "ops"), e);
    }
    sw_outbox_free(ob);
    sw_outbox_free(ob2);

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 61);
    assert_string_equal(sw_outbox_get(ob, 0)->alarm, "early");
    for (int i = 0; i < 60; i++)
        assert_string_equal(sw_outbox_get(ob, (size_t)i + 1)->id, names[i]);
    sw_outbox_free(ob);
}

static void
test_corrupt_and_leftovers(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    json_t *rec = record("good");
    char err[256], corrupt[256], *big;
    struct sw_outbox_entry *e;

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_add(ob, "ops", rec, T0, &e, err, sizeof(err)),
                     0);
    sw_outbox_free(ob);
    json_decref(rec);

    write_file(f->outbox, "20261125T100000Z-garbage.json", "{not json");
    write_file(f->outbox, "20261125T100001Z-wrongid.json",
               "{\"version\":1,\"id\":\"other\",\"notifier\":\"ops\","
               "\"created\":1,\"attempts\":0,\"next_attempt\":1,"
               "\"last_error\":null,\"record\":{}}");
    write_file(f->outbox, "20261125T100002Z-v2.json",
               "{\"version\":2,\"id\":\"20261125T100002Z-v2\"}");
    big = malloc(SW_OUTBOX_MAX_ENTRY_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', SW_OUTBOX_MAX_ENTRY_BYTES + 1);
    big[SW_OUTBOX_MAX_ENTRY_BYTES + 1] = '\0';
    write_file(f->outbox, "20261125T100003Z-big.json", big);
    free(big);
    write_file(f->outbox, ".20261125T100004Z-x.tmp", "{half");
    write_file(f->outbox, "README", "not ours");
    write_file(f->outbox, "bad name.json", "{}");

    /* Read-only (status): nothing is moved or removed. */
    assert_int_equal(
        sw_outbox_open(f->dir, SW_OUTBOX_READONLY, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_true(exists(f->outbox, "20261125T100000Z-garbage.json"));
    assert_true(exists(f->outbox, ".20261125T100004Z-x.tmp"));
    rec = record("x");
    assert_int_equal(sw_outbox_add(ob, "ops", rec, T0, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_outbox_remove(ob, sw_outbox_get(ob, 0)), SW_EINVAL);
    assert_int_equal(sw_outbox_expire(ob, "ops", 1, T0 + 100), 0);
    json_decref(rec);
    sw_outbox_free(ob);

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_string_equal(sw_outbox_get(ob, 0)->alarm, "good");
    snprintf(corrupt, sizeof(corrupt), "%s/corrupt", f->outbox);
    assert_true(exists(corrupt, "20261125T100000Z-garbage.json"));
    assert_true(exists(corrupt, "20261125T100001Z-wrongid.json"));
    assert_true(exists(corrupt, "20261125T100002Z-v2.json"));
    assert_true(exists(corrupt, "20261125T100003Z-big.json"));
    assert_false(exists(f->outbox, "20261125T100000Z-garbage.json"));
    assert_false(exists(f->outbox, ".20261125T100004Z-x.tmp"));
    /* Not entry files: left alone. */
    assert_true(exists(f->outbox, "README"));
    assert_true(exists(f->outbox, "bad name.json"));
    sw_outbox_free(ob);

    /* A read-only open of a state_dir without an outbox is empty. */
    assert_int_equal(sw_outbox_open("/nonexistent/sw", SW_OUTBOX_READONLY, &ob,
                                    err, sizeof(err)),
                     0);
    assert_int_equal(sw_outbox_len(ob), 0);
    sw_outbox_free(ob);
    assert_int_equal(
        sw_outbox_open("/proc/sw-cannot", 0, &ob, err, sizeof(err)), SW_EIO);
    assert_null(ob);
    assert_non_null(strstr(err, "/proc/sw-cannot"));
}

static void
test_expire(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    struct sw_outbox_entry *e;
    json_t *rec = record("old");
    char err[256];

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_add(ob, "ops", rec, T0, &e, err, sizeof(err)),
                     0);
    assert_int_equal(
        sw_outbox_add(ob, "ops", rec, T0 + 50, NULL, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_add(ob, "mail", rec, T0, NULL, err, sizeof(err)),
                     0);
    json_decref(rec);
    assert_int_equal(sw_outbox_expire(ob, "ops", 0, T0 + 1000), 0);
    assert_int_equal(sw_outbox_expire(ob, "ops", 100, T0 + 100), 0);
    /* Busy entries (a transfer in flight) are never expired. */
    e->busy = 1;
    assert_int_equal(sw_outbox_expire(ob, "ops", 100, T0 + 101), 0);
    e->busy = 0;
    assert_int_equal(sw_outbox_expire(ob, "ops", 100, T0 + 101), 1);
    assert_int_equal(sw_outbox_pending(ob, "ops", NULL), 1);
    assert_int_equal(sw_outbox_pending(ob, "mail", NULL), 1);
    assert_int_equal(sw_outbox_expire(ob, "ops", 100, T0 + 151), 1);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_int_equal(count_files(f->outbox), 1);
    sw_outbox_free(ob);
}

static void
test_add_errors(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    json_t *rec = record("x"), *arr = json_array(), *big;
    char err[256], *text;

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_add(ob, "ops", arr, T0, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_outbox_add(ob, "", rec, T0, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_outbox_add(ob, "a\nb", rec, T0, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(
        sw_outbox_add(ob, "bad\xff", rec, T0, NULL, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(sw_outbox_add(ob, "ops", rec, -1, NULL, err, sizeof(err)),
                     SW_EINVAL);
    /* Larger than the loader accepts: refused, nothing written. */
    text = malloc(SW_OUTBOX_MAX_ENTRY_BYTES + 1);
    assert_non_null(text);
    memset(text, 'x', SW_OUTBOX_MAX_ENTRY_BYTES);
    text[SW_OUTBOX_MAX_ENTRY_BYTES] = '\0';
    big = json_pack("{s:s}", "reason", text);
    free(text);
    assert_int_equal(sw_outbox_add(ob, "ops", big, T0, NULL, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_int_equal(sw_outbox_len(ob), 0);
    assert_int_equal(count_files(f->outbox), 0);
    json_decref(big);
    json_decref(arr);
    json_decref(rec);
    sw_outbox_free(ob);
}

static void
test_parse(void **state)
{
    static const struct {
        const char *text;
        const char *id;
        int want;
    } cases[] = {
        {"{\"version\":1,\"id\":\"a-1\",\"notifier\":\"ops\",\"created\":5,"
         "\"attempts\":2,\"next_attempt\":9,\"last_attempt\":7,"
         "\"last_error\":\"x\",\"record\":{\"alarm\":{}}}",
         "a-1", 0},
        /* last_attempt is optional, last_error may be null or absent. */
        {"{\"version\":1,\"id\":\"a-1\",\"notifier\":\"ops\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":{},\"future\":1}",
         NULL, 0},
        {"", NULL, SW_EPARSE},
        {"[]", NULL, SW_EPARSE},
        {"{\"version\":1}", NULL, SW_EPARSE},
        {"{\"version\":\"1\",\"id\":\"a\"}", NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a/b\",\"notifier\":\"ops\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":-5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":5,"
         "\"attempts\":2147483648,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5.5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":[]}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"last_error\":3,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"id\":\"a\",\"notifier\":\"o\","
         "\"created\":5,\"attempts\":0,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\\u0000\","
         "\"created\":5,\"attempts\":0,\"next_attempt\":5,\"record\":{}}",
         NULL, SW_EPARSE},
        {"{\"version\":1,\"id\":\"a\",\"notifier\":\"o\",\"created\":5,"
         "\"attempts\":0,\"next_attempt\":5,\"record\":{}} trailing",
         NULL, SW_EPARSE},
    };
    struct sw_outbox_entry *e;
    char err[256], *text, *again;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = sw_outbox_entry_parse(cases[i].text, strlen(cases[i].text),
                                      cases[i].id, &e, err, sizeof(err));
        if (r != cases[i].want)
            fail_msg("case %zu: got %d (%s)", i, r, err);
        if (r == 0) {
            assert_non_null(e);
            sw_outbox_entry_free(e);
        } else {
            assert_null(e);
            assert_true(err[0] != '\0');
        }
    }

    /* Format and parse are inverses. */
    assert_int_equal(sw_outbox_entry_parse(cases[0].text, strlen(cases[0].text),
                                           "a-1", &e, err, sizeof(err)),
                     0);
    assert_int_equal(e->created, 5);
    assert_int_equal(e->attempts, 2);
    assert_int_equal(e->next_attempt, 9);
    assert_int_equal(e->last_attempt, 7);
    assert_string_equal(e->last_error, "x");
    text = sw_outbox_entry_format(e);
    assert_non_null(text);
    sw_outbox_entry_free(e);
    assert_int_equal(
        sw_outbox_entry_parse(text, strlen(text), "a-1", &e, err, sizeof(err)),
        0);
    again = sw_outbox_entry_format(e);
    assert_string_equal(text, again);
    free(text);
    free(again);
    sw_outbox_entry_free(e);
    sw_outbox_entry_free(NULL);

    assert_int_equal(sw_outbox_entry_parse(cases[0].text, strlen(cases[0].text),
                                           "a-2", &e, err, sizeof(err)),
                     SW_EPARSE);
    assert_non_null(strstr(err, "file name"));
    assert_false(sw_outbox_id_ok(""));
    assert_false(sw_outbox_id_ok("../x"));
    assert_true(sw_outbox_id_ok("Az09_-"));
}

/* fsize_limit - cap the size of files this process writes (EFBIG past
 * it), as a full disk would refuse them; RLIM_INFINITY lifts it. */
static void
fsize_limit(rlim_t bytes)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = bytes == RLIM_INFINITY ? rl.rlim_max : bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* Regression: a write that failed (full or read-only state_dir) dropped the
 * notification.  It is now kept in memory, deliverable, and written by
 * sw_outbox_flush() once the disk takes it. */
static void
test_unsaved_kept_in_memory(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    struct sw_outbox_entry *e = NULL, *gone = NULL;
    json_t *rec = record("kept");
    char err[512];

    (void)state;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    fsize_limit(64);
    assert_int_equal(sw_outbox_add(ob, "hook", rec, T0, &e, err, sizeof(err)),
                     SW_EIO);
    assert_non_null(strstr(err, "outbox: "));
    assert_non_null(e);
    assert_true(e->unsaved);
    assert_int_equal(sw_outbox_len(ob), 1);
    assert_ptr_equal(sw_outbox_first(ob, "hook"), e);
    assert_int_equal(sw_outbox_add(ob, "log", rec, T0, &gone, err, sizeof(err)),
                     SW_EIO);
    assert_int_equal(sw_outbox_unsaved(ob), 2);
    assert_int_equal(count_files(f->outbox), 0);
    /* Still full: flush says how many are left, and counts the failure. */
    assert_int_equal(sw_outbox_flush(ob, err, sizeof(err)), 2);
    assert_true(sw_outbox_write_failures(ob) >= 3);
    /* Delivered from memory: nothing to unlink, no error. */
    assert_int_equal(sw_outbox_remove(ob, gone), 0);
    assert_int_equal(sw_outbox_unsaved(ob), 1);
    /* A failed attempt rewrites nothing while full, but keeps the schedule. */
    assert_int_equal(sw_outbox_mark_failed(ob, e, T0 + 1, T0 + 31, "refused",
                                           err, sizeof(err)),
                     SW_EIO);
    assert_int_equal(e->attempts, 1);
    assert_true(e->unsaved);
    /* Space again: the next flush writes it, and a restart finds it. */
    fsize_limit(RLIM_INFINITY);
    assert_int_equal(sw_outbox_flush(ob, err, sizeof(err)), 0);
    assert_false(e->unsaved);
    assert_int_equal(count_files(f->outbox), 1);
    sw_outbox_free(ob);
    ob = NULL;
    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob), 1);
    e = sw_outbox_get(ob, 0);
    assert_string_equal(e->notifier, "hook");
    assert_int_equal(e->attempts, 1);
    assert_int_equal(e->next_attempt, T0 + 31);
    assert_false(e->unsaved);
    sw_outbox_free(ob);
    json_decref(rec);
    signal(SIGXFSZ, SIG_DFL);
}

/* Entries keep the record as text, not as the caller's tree: what the
 * caller does to its tree afterwards changes nothing, the file is the
 * same bytes a tree in the entry object would have written, and a record
 * without an alarm name is logged as "?". */
static void
test_record_kept_as_text(void **state)
{
    struct fixture *f = *state;
    struct sw_outbox *ob = NULL;
    struct sw_outbox_entry *e = NULL, *e2 = NULL;
    json_t *rec = record("text"), *orig = json_deep_copy(rec), *whole, *o;
    char err[512], path[4096], *text, *want;
    struct sw_buf file;
    long len;

    assert_int_equal(sw_outbox_open(f->dir, 0, &ob, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_add(ob, "ops", rec, T0, &e, err, sizeof(err)),
                     0);
    assert_int_equal(json_object_set_new(json_object_get(rec, "alarm"),
                                         "NewStateValue", json_string("OK")),
                     0);
    assert_record(e, orig);

    /* The file: the entry's fields, then the record, as one JSON object
     * dumped compact and in order would write them. */
    snprintf(path, sizeof(path), "%s/%s.json", f->outbox, e->id);
    sw_buf_init(&file, SW_OUTBOX_MAX_ENTRY_BYTES);
    assert_int_equal(sw_file_read(path, &file, err, sizeof(err)), 0);
    text = file.data;
    len = (long)file.len;
    o = json_pack("{s:i, s:s, s:s, s:I, s:i, s:I, s:I, s:n, s:O}", "version", 1,
                  "id", e->id, "notifier", "ops", "created", (json_int_t)T0,
                  "attempts", 0, "next_attempt", (json_int_t)T0, "last_attempt",
                  (json_int_t)0, "last_error", "record", orig);
    assert_non_null(o);
    want = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(want);
    assert_int_equal(strlen(text), strlen(want) + 1);
    assert_memory_equal(text, want, strlen(want));
    assert_int_equal(text[len - 1], '\n');
    free(want);
    sw_buf_release(&file);
    json_decref(o);

    /* No AlarmName: the logs say "?", and the record is kept as it is. */
    o = json_pack("{s:{s:i}}", "alarm", "AlarmName", 7);
    assert_non_null(o);
    assert_int_equal(sw_outbox_add(ob, "ops", o, T0, &e2, err, sizeof(err)), 0);
    assert_string_equal(e2->alarm, "?");
    whole = sw_outbox_entry_record(e2);
    assert_true(json_equal(whole, o));
    json_decref(whole);
    json_decref(o);
    sw_outbox_free(ob);
    json_decref(rec);
    json_decref(orig);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_and_leftovers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsaved_kept_in_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_record_kept_as_text, setup,
                                        teardown),
        cmocka_unit_test(test_parse),
    };

    /* The corrupt-file and expiry logs are expected; keep output short. */
    sw_log_set_level(SW_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
