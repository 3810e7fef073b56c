/* agent/recording.c - the recorded-CSV metric source; see recording.h and
 * docs/recording-format.md. */
#include "config.h"

#include "agent/recording.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/str.h"

/* CloudWatch's own limits on names (PutMetricData), so anything recorded
 * from CloudWatch fits and nothing else balloons. */
#define MAX_NAME_LEN      255
#define MAX_DIM_VALUE_LEN 1024
#define MAX_STAT_COLS     60
#define MAX_COLS          (4 + MAX_STAT_COLS)
/* Separates the parts of a series key; fields may not hold control
 * characters, so it cannot occur inside one. */
#define KEY_SEP '\x1f'

static const char *const fixed_cols[] = {"timestamp", "namespace", "metric",
                                         "dimensions"};
#define NFIXED 4

struct row {
    time_t ts;
    uint32_t series;
    uint32_t line;
    uint32_t vidx; /* values at vals[vidx * nstats] */
};

struct series {
    char *key;       /* namespace SEP metric SEP name=value;... (sorted) */
    char *label;     /* "AWS/Kinesis IncomingRecords StreamName=sample" */
    size_t first, n; /* its rows after sorting */
};

struct sw_recording {
    char *name;
    char *stats[MAX_STAT_COLS];
    size_t nstats;
    struct series *series;
    size_t nseries, series_alloc;
    size_t *htab; /* series index + 1; 0 = empty slot */
    size_t hcap;  /* power of two */
    struct row *rows;
    size_t nrows, rows_alloc;
    double *vals; /* NAN = not recorded */
};

struct field {
    const char *p;
    size_t len;
};

struct dim {
    const char *name;
    size_t nlen;
    const char *value;
    size_t vlen;
};

struct parser {
    struct sw_recording *rec;
    size_t line;
    char *err;
    size_t errlen;
    char *scratch; /* unquoted field text, as long as the longest line */
    size_t scratch_cap;
    struct sw_buf key;
};

static int perr(struct parser *p, int code, const char *fmt, ...)
    SW_PRINTF(3, 4);

static int
perr(struct parser *p, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%zu: %s", p->rec->name, p->line, msg);
    return code;
}

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Index of the series with KEY, or -1. */
static long
series_find(const struct sw_recording *rec, const char *key)
{
    size_t mask = rec->hcap - 1, i;

    if (!rec->hcap)
        return -1;
    for (i = hash_str(key) & mask; rec->htab[i]; i = (i + 1) & mask) {
        size_t idx = rec->htab[i] - 1;
        if (strcmp(rec->series[idx].key, key) == 0)
            return (long)idx;
    }
    return -1;
}

static int
htab_grow(struct sw_recording *rec)
{
    size_t cap = rec->hcap ? rec->hcap * 2 : 64, mask = cap - 1;
    size_t *t = calloc(cap, sizeof(*t));

    if (!t)
        return SW_ENOMEM;
    for (size_t s = 0; s < rec->nseries; s++) {
        size_t i = hash_str(rec->series[s].key) & mask;
        while (t[i])
            i = (i + 1) & mask;
        t[i] = s + 1;
    }
    free(rec->htab);
    rec->htab = t;
    rec->hcap = cap;
    return 0;
}

/* Add a series; KEY and LABEL are taken over (freed on failure). */
static int
series_add(struct sw_recording *rec, char *key, char *label, size_t *idx)
{
    size_t mask, i;

    if (!key || !label)
        goto fail;
    if (rec->nseries >= UINT32_MAX - 1)
        goto fail;
    if (rec->nseries == rec->series_alloc) {
        size_t na = rec->series_alloc ? rec->series_alloc * 2 : 16;
        struct series *ns = realloc(rec->series, na * sizeof(*ns));
        if (!ns)
            goto fail;
        rec->series = ns;
        rec->series_alloc = na;
    }
    if ((rec->nseries + 1) * 2 > rec->hcap && htab_grow(rec) < 0)
        goto fail;
    rec->series[rec->nseries].key = key;
    rec->series[rec->nseries].label = label;
    rec->series[rec->nseries].first = 0;
    rec->series[rec->nseries].n = 0;
    mask = rec->hcap - 1;
    for (i = hash_str(key) & mask; rec->htab[i]; i = (i + 1) & mask)
        ;
    rec->htab[i] = rec->nseries + 1;
    *idx = rec->nseries++;
    return 0;
fail:
    free(key);
    free(label);
    return SW_ENOMEM;
}

/* Split one line (without its newline) into fields, RFC 4180 style: a
 * field in double quotes may hold ',' and '""' for a quote.  Quoted text is
 * copied unescaped into p->scratch, which holds at least LEN bytes. */
static int
split_csv(struct parser *p, const char *line, size_t len, struct field *f,
          size_t *nf)
{
    size_t i = 0;
    char *o = p->scratch;

    *nf = 0;
    for (;;) {
        if (*nf == MAX_COLS)
            return perr(p, SW_EPARSE, "more than %d columns", MAX_COLS);
        if (i < len && line[i] == '"') {
            char *start = o;
            i++;
            for (;;) {
                if (i >= len)
                    return perr(p, SW_EPARSE, "unterminated quoted field");
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        *o++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = line[i++];
            }
            if (i < len && line[i] != ',')
                return perr(p, SW_EPARSE,
                            "unexpected text after a quoted field");
            f[*nf].p = start;
            f[*nf].len = (size_t)(o - start);
        } else {
            size_t start = i;
            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return perr(p, SW_EPARSE, "quote inside an unquoted field");
                i++;
            }
            f[*nf].p = line + start;
            f[*nf].len = i - start;
        }
        (*nf)++;
        if (i >= len)
            return 0;
        i++; /* the comma; a trailing one leaves an empty last field */
    }
}

static int
field_eq(const struct field *f, const char *s)
{
    return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

/* Copy a short field into BUF as a C string; 0 or SW_ETOOBIG. */
static int
field_cstr(const struct field *f, char *buf, size_t size)
{
    if (f->len >= size)
        return SW_ETOOBIG;
    memcpy(buf, f->p, f->len);
    buf[f->len] = '\0';
    return 0;
}

static int
parse_header(struct parser *p, const struct field *f, size_t nf)
{
    struct sw_recording *rec = p->rec;
    char name[32];

    if (nf < NFIXED + 1)
        return perr(p, SW_EPARSE,
                    "header must be timestamp,namespace,metric,dimensions "
                    "followed by statistic columns");
    for (size_t i = 0; i < NFIXED; i++)
        if (!field_eq(&f[i], fixed_cols[i]))
            return perr(p, SW_EPARSE, "header column %zu must be '%s'", i + 1,
                        fixed_cols[i]);
    for (size_t i = NFIXED; i < nf; i++) {
        if (field_cstr(&f[i], name, sizeof(name)) < 0 ||
            !sw_stat_is_valid(name))
            return perr(p, SW_EPARSE,
                        "header column %zu: '%.*s' is not a statistic", i + 1,
                        (int)(f[i].len > 40 ? 40 : f[i].len), f[i].p);
        for (size_t k = 0; k < rec->nstats; k++)
            if (strcmp(rec->stats[k], name) == 0)
                return perr(p, SW_EPARSE, "header: duplicate column '%s'",
                            name);
        rec->stats[rec->nstats] = sw_strdup(name);
        if (!rec->stats[rec->nstats])
            return perr(p, SW_ENOMEM, "out of memory");
        rec->nstats++;
    }
    return 0;
}

static int
check_name(struct parser *p, const struct field *f, const char *what,
           size_t max)
{
    if (f->len == 0)
        return perr(p, SW_EPARSE, "empty %s", what);
    if (f->len > max)
        return perr(p, SW_EPARSE, "%s longer than %zu bytes", what, max);
    if (sw_str_has_ctl(f->p, f->len))
        return perr(p, SW_EPARSE, "control character in %s", what);
    return 0;
}

static int
cmp_dim(const void *a, const void *b)
{
    const struct dim *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);

    if (c)
        return c;
    return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* "Name=Value;Name2=Value2" (or empty) into D, sorted by name. */
static int
parse_dims(struct parser *p, const struct field *f, struct dim *d, size_t *nd)
{
    const char *s = f->p, *end = f->p + f->len;

    *nd = 0;
    if (f->len == 0)
        return 0;
    while (s <= end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        const char *stop = semi ? semi : end;
        const char *eq = memchr(s, '=', (size_t)(stop - s));
        struct field nm, val;

        if (*nd == SW_MAX_DIMENSIONS)
            return perr(p, SW_EPARSE, "more than %d dimensions",
                        SW_MAX_DIMENSIONS);
        if (!eq)
            return perr(p, SW_EPARSE, "dimension '%.*s' is not Name=Value",
                        (int)((stop - s) > 60 ? 60 : (stop - s)), s);
        nm.p = s;
        nm.len = (size_t)(eq - s);
        val.p = eq + 1;
        val.len = (size_t)(stop - eq - 1);
        if (memchr(val.p, '=', val.len))
            return perr(p, SW_EPARSE, "'=' in a dimension value");
        if (check_name(p, &nm, "dimension name", MAX_NAME_LEN) < 0 ||
            check_name(p, &val, "dimension value", MAX_DIM_VALUE_LEN) < 0)
            return SW_EPARSE;
        d[*nd].name = nm.p;
        d[*nd].nlen = nm.len;
        d[*nd].value = val.p;
        d[*nd].vlen = val.len;
        (*nd)++;
        if (!semi)
            break;
        s = semi + 1;
    }
    qsort(d, *nd, sizeof(*d), cmp_dim);
    for (size_t i = 1; i < *nd; i++)
        if (cmp_dim(&d[i - 1], &d[i]) == 0)
            return perr(p, SW_EPARSE, "dimension '%.*s' given twice",
                        (int)d[i].nlen, d[i].name);
    return 0;
}

/* The canonical series key; the same function serves queries. */
static int
make_key(struct sw_buf *b, const char *ns, size_t nslen, const char *metric,
         size_t mlen, const struct dim *d, size_t nd)
{
    int r;

    sw_buf_reset(b);
    r = sw_buf_add(b, ns, nslen);
    if (r == 0)
        r = sw_buf_addc(b, KEY_SEP);
    if (r == 0)
        r = sw_buf_add(b, metric, mlen);
    if (r == 0)
        r = sw_buf_addc(b, KEY_SEP);
    for (size_t i = 0; r == 0 && i < nd; i++) {
        if (i)
            r = sw_buf_addc(b, ';');
        if (r == 0)
            r = sw_buf_add(b, d[i].name, d[i].nlen);
        if (r == 0)
            r = sw_buf_addc(b, '=');
        if (r == 0)
            r = sw_buf_add(b, d[i].value, d[i].vlen);
    }
    return r;
}

static char *
make_label(const struct field *ns, const struct field *metric,
           const struct field *dims)
{
    struct sw_buf b;

    sw_buf_init(&b, 4 * 1024 * 1024);
    if (sw_buf_addf(&b, "%.*s %.*s", (int)ns->len, ns->p, (int)metric->len,
                    metric->p) < 0 ||
        (dims->len && sw_buf_addf(&b, " %.*s", (int)dims->len, dims->p) < 0)) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}

static int
grow_rows(struct sw_recording *rec)
{
    size_t na = rec->rows_alloc ? rec->rows_alloc * 2 : 1024;
    struct row *nr;
    double *nv;

    if (na > SW_RECORDING_MAX_ROWS)
        na = SW_RECORDING_MAX_ROWS;
    nr = realloc(rec->rows, na * sizeof(*nr));
    if (!nr)
        return SW_ENOMEM;
    rec->rows = nr;
    nv = realloc(rec->vals, na * rec->nstats * sizeof(*nv));
    if (!nv)
        return SW_ENOMEM;
    rec->vals = nv;
    rec->rows_alloc = na;
    return 0;
}

static int
parse_row(struct parser *p, const struct field *f, size_t nf)
{
    struct sw_recording *rec = p->rec;
    struct dim dims[SW_MAX_DIMENSIONS];
    char tmp[64];
    size_t nd, sidx, ncols = NFIXED + rec->nstats;
    long found;
    time_t ts;
    double *v;
    int r;

    if (nf != ncols)
        return perr(p, SW_EPARSE, "expected %zu fields, found %zu", ncols, nf);
    if (field_cstr(&f[0], tmp, sizeof(tmp)) < 0 ||
        sw_time_parse_rfc3339(tmp, &ts) < 0)
        return perr(p, SW_EPARSE, "bad timestamp '%.*s'",
                    (int)(f[0].len > 40 ? 40 : f[0].len), f[0].p);
    if (ts % SW_RECORDING_RESOLUTION_S != 0)
        return perr(p, SW_EPARSE, "timestamp '%s' is not on a minute", tmp);
    if (check_name(p, &f[1], "namespace", MAX_NAME_LEN) < 0 ||
        check_name(p, &f[2], "metric", MAX_NAME_LEN) < 0)
        return SW_EPARSE;
    r = parse_dims(p, &f[3], dims, &nd);
    if (r < 0)
        return r;
    r = make_key(&p->key, f[1].p, f[1].len, f[2].p, f[2].len, dims, nd);
    if (r < 0)
        return perr(p, r, "%s", sw_strerror(r));
    found = series_find(rec, sw_buf_str(&p->key));
    if (found >= 0) {
        sidx = (size_t)found;
    } else {
        r = series_add(rec, sw_strdup(sw_buf_str(&p->key)),
                       make_label(&f[1], &f[2], &f[3]), &sidx);
        if (r < 0)
            return perr(p, r, "out of memory");
    }

    if (rec->nrows == SW_RECORDING_MAX_ROWS)
        return perr(p, SW_ETOOBIG, "more than %d rows", SW_RECORDING_MAX_ROWS);
    if (rec->nrows == rec->rows_alloc && grow_rows(rec) < 0)
        return perr(p, SW_ENOMEM, "out of memory");
    v = rec->vals + rec->nrows * rec->nstats;
    for (size_t c = 0; c < rec->nstats; c++) {
        const struct field *cell = &f[NFIXED + c];
        if (cell->len == 0) {
            v[c] = NAN; /* not recorded */
            continue;
        }
        if (field_cstr(cell, tmp, sizeof(tmp)) < 0 ||
            sw_parse_double(tmp, &v[c]) < 0)
            return perr(p, SW_EPARSE, "%s: bad number '%.*s'", rec->stats[c],
                        (int)(cell->len > 40 ? 40 : cell->len), cell->p);
        if (strcmp(rec->stats[c], "SampleCount") == 0 && v[c] < 0)
            return perr(p, SW_EPARSE, "SampleCount: negative value '%s'", tmp);
    }
    rec->rows[rec->nrows].ts = ts;
    rec->rows[rec->nrows].series = (uint32_t)sidx;
    rec->rows[rec->nrows].line =
        p->line > UINT32_MAX ? UINT32_MAX : (uint32_t)p->line;
    rec->rows[rec->nrows].vidx = (uint32_t)rec->nrows;
    rec->nrows++;
    return 0;
}

static int
cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort rows by series and time, refuse duplicates, index the series. */
static int
finish(struct parser *p)
{
    struct sw_recording *rec = p->rec;

    /* A header-only file has no rows and rec->rows is NULL: qsort's
     * arguments must be valid even for zero elements (C11 7.22.5). */
    if (rec->nrows > 1)
        qsort(rec->rows, rec->nrows, sizeof(*rec->rows), cmp_row);
    for (size_t i = 0; i < rec->nrows; i++) {
        struct row *rw = &rec->rows[i];
        struct series *s = &rec->series[rw->series];
        if (i > 0 && rw->series == rw[-1].series && rw->ts == rw[-1].ts) {
            char when[SW_TIME_BUF];
            p->line = rw->line;
            return perr(
                p, SW_EPARSE, "duplicate row for %s at %s (first at line %u)",
                s->label, sw_time_rfc3339(rw->ts, when), (unsigned)rw[-1].line);
        }
        if (s->n == 0)
            s->first = i;
        s->n++;
    }
    return 0;
}

static int
is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

void
sw_recording_free(struct sw_recording *rec)
{
    if (!rec)
        return;
    free(rec->name);
    for (size_t i = 0; i < rec->nstats; i++)
        free(rec->stats[i]);
    for (size_t i = 0; i < rec->nseries; i++) {
        free(rec->series[i].key);
        free(rec->series[i].label);
    }
    free(rec->series);
    free(rec->htab);
    free(rec->rows);
    free(rec->vals);
    free(rec);
}

int
sw_recording_parse_buf(const char *name, const char *buf, size_t len,
                       struct sw_recording **out, char *err, size_t errlen)
{
    struct parser p;
    struct field f[MAX_COLS];
    const char *s = buf, *end = buf + len;
    int r = SW_ENOMEM, have_header = 0;

    *out = NULL;
    memset(&p, 0, sizeof(p));
    p.err = err;
    p.errlen = errlen;
    sw_buf_init(&p.key, 64 * 1024);
    if (errlen)
        err[0] = '\0';
    p.rec = calloc(1, sizeof(*p.rec));
    if (!p.rec)
        goto out;
    p.rec->name = sw_strdup(name ? name : "recording");
    if (!p.rec->name)
        goto out;
    /* A UTF-8 byte order mark is not part of the header. */
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t ll = (size_t)((nl ? nl : end) - s);
        size_t nf;

        p.line++;
        if (ll && s[ll - 1] == '\r')
            ll--;
        if (memchr(s, '\0', ll)) {
            r = perr(&p, SW_EPARSE, "NUL byte");
            goto out;
        }
        if (is_blank(s, ll) || s[0] == '#')
            goto next;
        if (ll > p.scratch_cap) {
            char *ns = realloc(p.scratch, ll);
            if (!ns) {
                r = perr(&p, SW_ENOMEM, "out of memory");
                goto out;
            }
            p.scratch = ns;
            p.scratch_cap = ll;
        }
        r = split_csv(&p, s, ll, f, &nf);
        if (r < 0)
            goto out;
        r = have_header ? parse_row(&p, f, nf) : parse_header(&p, f, nf);
        if (r < 0)
            goto out;
        have_header = 1;
    next:
        if (!nl)
            break;
        s = nl + 1;
    }
    if (!have_header) {
        p.line = p.line ? p.line : 1;
        r = perr(&p, SW_EPARSE,
                 "missing header line (timestamp,namespace,metric,"
                 "dimensions,Sum,...)");
        goto out;
    }
    r = finish(&p);
    if (r < 0)
        goto out;
    *out = p.rec;
    p.rec = NULL;
out:
    sw_recording_free(p.rec);
    free(p.scratch);
    sw_buf_release(&p.key);
    return r;
}

int
sw_recording_load(const char *path, struct sw_recording **out, char *err,
                  size_t errlen)
{
    struct sw_buf b;
    int r;

    *out = NULL;
    sw_buf_init(&b, SW_RECORDING_MAX_BYTES);
    r = sw_file_read(path, &b, err, errlen);
    if (r == SW_ENOENT) {
        /* Named on the command line: say why, whatever it was.  errno is
         * still open()'s (ENOENT, or ENOTDIR for a file on the way). */
        int e = errno;

        snprintf(err, errlen, "%s: %s", path, strerror(e));
        r = e == ENOENT ? SW_ENOENT : SW_EIO;
    } else if (r == SW_ETOOBIG) {
        snprintf(err, errlen, "%s: larger than %u MiB", path,
                 SW_RECORDING_MAX_BYTES / (1024 * 1024));
    } else if (r == 0) {
        r = sw_recording_parse_buf(path, b.data ? b.data : "", b.len, out, err,
                                   errlen);
    }
    sw_buf_release(&b);
    return r;
}

void
sw_recording_span(const struct sw_recording *rec, time_t *first, time_t *last)
{
    *first = 0;
    *last = 0;
    for (size_t i = 0; i < rec->nrows; i++) {
        time_t t = rec->rows[i].ts;
        if (i == 0 || t < *first)
            *first = t;
        if (i == 0 || t > *last)
            *last = t;
    }
}

/* ---- fetch ------------------------------------------------------------- */

enum agg {
    AGG_SUM,
    AGG_AVG,
    AGG_MIN,
    AGG_MAX,
    AGG_COUNT,
    AGG_ONE, /* a percentile: one row per bucket, taken as is */
};

struct bucket {
    time_t ts;
    int rows;      /* rows with the statistic recorded */
    double acc;    /* sum / min / max / the value */
    double wsum;   /* Average: sum of avg * count */
    double wcount; /* Average: sum of count */
    int weighted;  /* Average: every row had a SampleCount */
    double count;  /* SampleCount total */
    int counted;   /* every row had a SampleCount */
};

static enum agg
agg_of(const char *stat)
{
    if (strcmp(stat, "Sum") == 0)
        return AGG_SUM;
    if (strcmp(stat, "Average") == 0)
        return AGG_AVG;
    if (strcmp(stat, "Minimum") == 0)
        return AGG_MIN;
    if (strcmp(stat, "Maximum") == 0)
        return AGG_MAX;
    if (strcmp(stat, "SampleCount") == 0)
        return AGG_COUNT;
    return AGG_ONE;
}

static long
stat_col(const struct sw_recording *rec, const char *stat)
{
    for (size_t i = 0; stat && i < rec->nstats; i++)
        if (strcmp(rec->stats[i], stat) == 0)
            return (long)i;
    return -1;
}

static void
bucket_add(struct bucket *b, enum agg agg, double v, double cnt)
{
    int has_cnt = !isnan(cnt);

    if (b->rows == 0) {
        b->acc = agg == AGG_AVG ? 0 : v;
        b->weighted = 1;
        b->counted = 1;
    } else if (agg == AGG_SUM || agg == AGG_COUNT) {
        b->acc += v;
    } else if ((agg == AGG_MIN && v < b->acc) ||
               (agg == AGG_MAX && v > b->acc)) {
        b->acc = v;
    }
    if (agg == AGG_AVG) {
        b->acc += v; /* for the plain mean */
        if (has_cnt) {
            b->wsum += v * cnt;
            b->wcount += cnt;
        } else {
            b->weighted = 0;
        }
    }
    if (has_cnt)
        b->count += cnt;
    else
        b->counted = 0;
    b->rows++;
}

static void
bucket_emit(const struct bucket *b, enum agg agg, struct sw_datapoint *dp)
{
    dp->ts = b->ts;
    dp->value = b->acc;
    if (agg == AGG_AVG) {
        /* Weighted by SampleCount when every row has one, as CloudWatch
         * averages over all samples; else the mean of the averages. */
        if (b->weighted && b->wcount > 0)
            dp->value = b->wsum / b->wcount;
        else
            dp->value = b->acc / b->rows;
    }
    dp->sample_count = b->counted ? b->count : -1;
}

int
sw_recording_fetch(const struct sw_recording *rec,
                   const struct sw_metric_query *q, struct sw_datapoint **out,
                   size_t *n, char *err, size_t errlen)
{
    struct dim dims[SW_MAX_DIMENSIONS];
    struct sw_buf key;
    struct sw_datapoint *pts = NULL;
    struct bucket b;
    const struct series *s;
    long col, cnt_col, found;
    size_t lo, hi, npts = 0;
    enum agg agg;
    int r = SW_EINVAL, have = 0;

    *out = NULL;
    *n = 0;
    sw_buf_init(&key, 64 * 1024);
    if (!q->namespace_ || !q->metric || !q->stat ||
        q->ndims > SW_MAX_DIMENSIONS) {
        snprintf(err, errlen, "%s: incomplete query", rec->name);
        goto out;
    }
    if (q->period_s <= 0 || q->period_s % SW_RECORDING_RESOLUTION_S != 0) {
        snprintf(err, errlen, "cannot serve %d s periods from a %d s recording",
                 q->period_s, SW_RECORDING_RESOLUTION_S);
        goto out;
    }
    col = stat_col(rec, q->stat);
    if (col < 0) {
        snprintf(err, errlen, "%s: no '%s' column in the recording", rec->name,
                 q->stat);
        goto out;
    }
    agg = agg_of(q->stat);
    if (agg == AGG_ONE && q->period_s != SW_RECORDING_RESOLUTION_S) {
        snprintf(err, errlen,
                 "cannot aggregate percentile %s over %d s from a %d s "
                 "recording",
                 q->stat, q->period_s, SW_RECORDING_RESOLUTION_S);
        goto out;
    }
    cnt_col = stat_col(rec, "SampleCount");

    for (size_t i = 0; i < q->ndims; i++) {
        dims[i].name = q->dims[i].name ? q->dims[i].name : "";
        dims[i].nlen = strlen(dims[i].name);
        dims[i].value = q->dims[i].value ? q->dims[i].value : "";
        dims[i].vlen = strlen(dims[i].value);
    }
    qsort(dims, q->ndims, sizeof(*dims), cmp_dim);
    r = make_key(&key, q->namespace_, strlen(q->namespace_), q->metric,
                 strlen(q->metric), dims, q->ndims);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", rec->name, sw_strerror(r));
        goto out;
    }
    r = 0;
    found = series_find(rec, sw_buf_str(&key));
    if (found < 0 || q->end <= q->start)
        goto out; /* no such metric: missing data, as CloudWatch answers */
    s = &rec->series[found];

    /* First row with ts >= start. */
    lo = s->first;
    hi = s->first + s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec->rows[mid].ts < q->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (hi = lo; hi < s->first + s->n && rec->rows[hi].ts < q->end; hi++)
        ;
    if (hi == lo)
        goto out;
    r = SW_ENOMEM;
    pts = calloc(hi - lo, sizeof(*pts));
    if (!pts) {
        snprintf(err, errlen, "%s: out of memory", rec->name);
        goto out;
    }
    memset(&b, 0, sizeof(b));
    for (size_t i = lo; i < hi; i++) {
        const struct row *rw = &rec->rows[i];
        const double *v = rec->vals + (size_t)rw->vidx * rec->nstats;
        time_t bts = rw->ts - rw->ts % q->period_s;

        if (rw->ts % q->period_s < 0) /* floor before the epoch */
            bts -= q->period_s;
        if (isnan(v[col]))
            continue;
        if (have && bts != b.ts) {
            bucket_emit(&b, agg, &pts[npts++]);
            have = 0;
        }
        if (!have) {
            memset(&b, 0, sizeof(b));
            b.ts = bts;
            have = 1;
        }
        bucket_add(&b, agg, v[col], cnt_col >= 0 ? v[cnt_col] : NAN);
    }
    if (have)
        bucket_emit(&b, agg, &pts[npts++]);
    r = 0;
    if (npts) {
        *out = pts;
        *n = npts;
        pts = NULL;
    }
out:
    free(pts);
    sw_buf_release(&key);
    return r;
}

/* ---- the struct sw_source face ------------------------------------------ */

struct rec_source {
    struct sw_source base; /* first: the interface */
    struct sw_recording *rec;
};

static int
rec_fetch(struct sw_source *s, const struct sw_metric_query *q,
          struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    return sw_recording_fetch(((struct rec_source *)s)->rec, q, out, n, err,
                              errlen);
}

static void
rec_free(struct sw_source *s)
{
    if (!s)
        return;
    sw_recording_free(((struct rec_source *)s)->rec);
    free(s);
}

static const struct sw_source_ops rec_ops = {
    .name = "recording",
    .fetch = rec_fetch,
    .free = rec_free,
};

int
sw_source_recording_new(const char *path, struct sw_source **out, char *err,
                        size_t errlen)
{
    struct rec_source *rs;
    int r;

    *out = NULL;
    rs = calloc(1, sizeof(*rs));
    if (!rs) {
        snprintf(err, errlen, "%s: out of memory", path);
        return SW_ENOMEM;
    }
    r = sw_recording_load(path, &rs->rec, err, errlen);
    if (r < 0) {
        free(rs);
        return r;
    }
    rs->base.ops = &rec_ops;
    *out = &rs->base;
    return 0;
}

int
sw_source_recording_span(const struct sw_source *s, time_t *first, time_t *last)
{
    if (!s || s->ops != &rec_ops)
        return SW_EINVAL;
    sw_recording_span(((const struct rec_source *)s)->rec, first, last);
    return 0;
}
