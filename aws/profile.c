/* aws/profile.c - shared config and credentials files; see profile.h.
 *
 * The grammar is Python's configparser.RawConfigParser as botocore uses
 * it (botocore/configloader.py), plus inline comments:
 *   - "#" or ";" as the first non-blank character: comment line;
 *     " #" / " ;" (blank before) start an inline comment;
 *   - "[header]": header is everything between '[' and the last ']';
 *   - "key = value" or "key: value" (first '=' or ':'), key lower-cased;
 *   - a line indented deeper than its option continues the value; when
 *     the option's own value is empty, the continuation lines are a
 *     nested "k = v" block (botocore's _parse_nested);
 *   - later duplicates win, key by key, also across repeated sections.
 * Two deliberate differences from botocore: its strict configparser
 * refuses duplicate sections and keys, and it has no inline comments
 * ("region = x ; note" gives the region "x ; note").  We accept both, so
 * a hand-edited file with a stray duplicate or a trailing note still
 * works.
 * Config headers are "[default]" or "[profile NAME]" / "[services NAME]"
 * split shell-style as botocore's _parse_section does; credentials headers
 * are the profile name as written.  Every value is wiped when freed, since
 * secrets and other values share the same storage.
 */
#include "config.h"

#include "aws/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/str.h"
#include "lib/words.h"

#define PROFILE_MAX_BYTES (1024 * 1024)
/* Real profiles have a few dozen keys; the cap keeps the linear duplicate
 * search cheap on hostile input (the fuzzer feeds up to 1 MiB). */
#define PROFILE_MAX_KEYS 512

struct kv;

struct kvlist {
    struct kv *v;
    size_t n;
    size_t alloc;
};

struct kv {
    char *key;
    char *val; /* never NULL; "" for a nested block */
    size_t val_len;
    int origin;        /* enum sw_profile_origin */
    struct kvlist sub; /* nested "k = v" lines under "key =" */
};

struct section {
    char *name; /* header text between the brackets */
    struct kvlist kv;
};

struct ini {
    struct section *s;
    size_t n;
    size_t alloc;
};

struct sw_profile {
    char *name;
    struct kvlist kv;  /* the merged profile */
    struct kvlist svc; /* its "[services x]" section, if any */
};

/* Python's str.isspace() for the ASCII range, as configparser strips. */
static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char
ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int
ascii_caseeq(const char *a, const char *b)
{
    while (*a && ascii_lower(*a) == ascii_lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

static void
wipe_free(char *s, size_t n)
{
    if (!s)
        return;
    sw_memzero(s, n);
    free(s);
}

static void kvlist_release(struct kvlist *l);

static void
kv_clear(struct kv *kv)
{
    if (kv->key)
        wipe_free(kv->key, strlen(kv->key));
    wipe_free(kv->val, kv->val_len);
    kv->key = NULL;
    kv->val = NULL;
    kv->val_len = 0;
    kvlist_release(&kv->sub);
}

static void
kvlist_release(struct kvlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        kv_clear(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
    l->alloc = 0;
}

static struct kv *
kvlist_find(const struct kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (ascii_caseeq(l->v[i].key, key))
            return &l->v[i];
    return NULL;
}

/* kvlist_set - KEY (KLEN bytes, already lower-cased) = VAL.  A later
 * duplicate replaces the earlier value and its nested block.  *IDX gets
 * the entry's index (pointers move when the array grows).
 * Returns 0, SW_ETOOBIG (too many keys) or SW_ENOMEM. */
static int
kvlist_set(struct kvlist *l, const char *key, size_t klen, const char *val,
           size_t vlen, int origin, size_t *idx)
{
    char *k = NULL, *v = NULL;
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strlen(l->v[i].key) == klen && !memcmp(l->v[i].key, key, klen))
            break;
    if (i == l->n && l->n >= PROFILE_MAX_KEYS)
        return SW_ETOOBIG;
    v = sw_strndup(val, vlen);
    if (!v)
        return SW_ENOMEM;
    if (i == l->n) {
        k = sw_strndup(key, klen);
        if (!k) {
            wipe_free(v, vlen);
            return SW_ENOMEM;
        }
        if (l->n == l->alloc) {
            size_t na = l->alloc ? l->alloc * 2 : 8;
            struct kv *nv = realloc(l->v, na * sizeof(*nv));

            if (!nv) {
                free(k);
                wipe_free(v, vlen);
                return SW_ENOMEM;
            }
            l->v = nv;
            l->alloc = na;
        }
        memset(&l->v[i], 0, sizeof(l->v[i]));
        l->v[i].key = k;
        l->n++;
    } else {
        wipe_free(l->v[i].val, l->v[i].val_len);
        kvlist_release(&l->v[i].sub);
    }
    l->v[i].val = v;
    l->v[i].val_len = vlen;
    l->v[i].origin = origin;
    *idx = i;
    return 0;
}

/* kv_append - VALUE += "\n" * (1 + BLANKS) + S, the way configparser joins
 * continuation lines.  The old copy is wiped (it may be a secret), which
 * is why this does not realloc(). */
static int
kv_append(struct kv *kv, size_t blanks, const char *s, size_t n)
{
    size_t nl = blanks + 1, len;
    char *v;

    if (n > SIZE_MAX / 2 || kv->val_len > SIZE_MAX / 2 - n - nl)
        return SW_ETOOBIG;
    len = kv->val_len + nl + n;
    v = malloc(len + 1);
    if (!v)
        return SW_ENOMEM;
    memcpy(v, kv->val, kv->val_len);
    memset(v + kv->val_len, '\n', nl);
    memcpy(v + kv->val_len + nl, s, n);
    v[len] = '\0';
    wipe_free(kv->val, kv->val_len);
    kv->val = v;
    kv->val_len = len;
    return 0;
}

/* kvlist_merge - copy every entry of SRC into DST (later wins), tagging
 * them with ORIGIN. */
static int
kvlist_merge(struct kvlist *dst, const struct kvlist *src, int origin)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct kv *s = &src->v[i];
        size_t di, dj;
        int r;

        r = kvlist_set(dst, s->key, strlen(s->key), s->val, s->val_len, origin,
                       &di);
        if (r < 0)
            return r;
        for (size_t j = 0; j < s->sub.n; j++) {
            const struct kv *ss = &s->sub.v[j];

            r = kvlist_set(&dst->v[di].sub, ss->key, strlen(ss->key), ss->val,
                           ss->val_len, origin, &dj);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static void
ini_release(struct ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->s[i].name);
        kvlist_release(&ini->s[i].kv);
    }
    free(ini->s);
    ini->s = NULL;
    ini->n = 0;
    ini->alloc = 0;
}

static int
ini_add_section(struct ini *ini, const char *name, size_t n)
{
    char *c = sw_strndup(name, n);

    if (!c)
        return SW_ENOMEM;
    if (ini->n == ini->alloc) {
        size_t na = ini->alloc ? ini->alloc * 2 : 8;
        struct section *ns = realloc(ini->s, na * sizeof(*ns));

        if (!ns) {
            free(c);
            return SW_ENOMEM;
        }
        ini->s = ns;
        ini->alloc = na;
    }
    memset(&ini->s[ini->n], 0, sizeof(ini->s[ini->n]));
    ini->s[ini->n].name = c;
    ini->n++;
    return 0;
}

/* split_kv - "key <D> value" at the first delimiter in DELIMS; both parts
 * stripped.  Returns 0, or SW_EPARSE when there is no delimiter. */
static int
split_kv(const char *c, size_t cl, const char *delims, size_t *klen,
         const char **val, size_t *vlen)
{
    size_t d;

    for (d = 0; d < cl; d++)
        if (strchr(delims, c[d]))
            break;
    if (d == cl)
        return SW_EPARSE;
    *klen = d;
    while (*klen && is_blank(c[*klen - 1]))
        (*klen)--;
    *val = c + d + 1;
    *vlen = cl - d - 1;
    while (*vlen && is_blank(**val)) {
        (*val)++;
        (*vlen)--;
    }
    while (*vlen && is_blank((*val)[*vlen - 1]))
        (*vlen)--;
    return 0;
}

/* lower_key - a lower-cased copy of C[0..N) in BUF (at most SIZE - 1
 * bytes), or NULL when it does not fit (keys are short words). */
static const char *
lower_key(const char *c, size_t n, char *buf, size_t size)
{
    if (n >= size)
        return NULL;
    for (size_t i = 0; i < n; i++)
        buf[i] = ascii_lower(c[i]);
    buf[n] = '\0';
    return buf;
}

/* Option modes for continuation lines. */
enum { OPT_PLAIN, OPT_EMPTY, OPT_NESTED };

static int
ini_parse(const char *text, size_t len, const char *fname, struct ini *ini,
          char *err, size_t errlen)
{
    size_t pos = 0, opt = 0, opt_indent = 0, blanks = 0;
    int have_opt = 0, mode = OPT_PLAIN, line = 0, r = 0;
    char kbuf[256];

    /* A UTF-8 byte order mark, as Windows editors write it. */
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
        pos = 3;
    while (pos < len) {
        const char *ls = text + pos, *c, *nl, *val;
        size_t ll, ind = 0, cl, klen, vlen, idx;
        struct section *sec;
        const char *key;

        nl = memchr(ls, '\n', len - pos);
        ll = nl ? (size_t)(nl - ls) : len - pos;
        pos += ll + (nl ? 1 : 0);
        line++;
        if (memchr(ls, '\0', ll)) {
            sw_err_set(err, errlen, "%s:%d: NUL byte in line", fname, line);
            return SW_EPARSE;
        }
        while (ind < ll && is_blank(ls[ind]))
            ind++;
        c = ls + ind;
        cl = ll - ind;
        if (cl && (c[0] == '#' || c[0] == ';'))
            continue;
        for (size_t i = 1; i < cl; i++) {
            if ((c[i] == '#' || c[i] == ';') && is_blank(c[i - 1])) {
                cl = i;
                break;
            }
        }
        while (cl && is_blank(c[cl - 1]))
            cl--;
        if (cl == 0) {
            /* configparser keeps blank lines inside a multi-line value
             * (trailing ones are dropped when the value ends). */
            blanks++;
            continue;
        }
        if (have_opt && ind > opt_indent) {
            struct kv *kv = &ini->s[ini->n - 1].kv.v[opt];

            if (mode == OPT_PLAIN) {
                r = kv_append(kv, blanks, c, cl);
            } else {
                mode = OPT_NESTED;
                if (split_kv(c, cl, "=", &klen, &val, &vlen) < 0 || klen == 0) {
                    sw_err_set(err, errlen,
                               "%s:%d: expected 'key = value' in the block "
                               "under '%s'",
                               fname, line, kv->key);
                    return SW_EPARSE;
                }
                key = lower_key(c, klen, kbuf, sizeof(kbuf));
                if (!key) {
                    sw_err_set(err, errlen, "%s:%d: key too long", fname, line);
                    return SW_EPARSE;
                }
                r = kvlist_set(&kv->sub, key, klen, val, vlen, 0, &idx);
            }
            blanks = 0;
            if (r < 0)
                goto fail;
            continue;
        }
        have_opt = 0;
        blanks = 0;
        opt_indent = ind;
        if (c[0] == '[') {
            const char *rb = memrchr(c, ']', cl);

            if (!rb) {
                sw_err_set(err, errlen, "%s:%d: section header without ']'",
                           fname, line);
                return SW_EPARSE;
            }
            if (rb == c + 1) {
                sw_err_set(err, errlen, "%s:%d: empty section name", fname,
                           line);
                return SW_EPARSE;
            }
            /* As configparser: text after the last ']' is ignored. */
            r = ini_add_section(ini, c + 1, (size_t)(rb - c - 1));
            if (r < 0)
                goto fail;
            continue;
        }
        if (ini->n == 0) {
            sw_err_set(err, errlen, "%s:%d: line outside any [section]", fname,
                       line);
            return SW_EPARSE;
        }
        if (split_kv(c, cl, "=:", &klen, &val, &vlen) < 0) {
            sw_err_set(err, errlen, "%s:%d: expected 'key = value'", fname,
                       line);
            return SW_EPARSE;
        }
        if (klen == 0) {
            sw_err_set(err, errlen, "%s:%d: missing key before '%c'", fname,
                       line, c[0]);
            return SW_EPARSE;
        }
        key = lower_key(c, klen, kbuf, sizeof(kbuf));
        if (!key) {
            sw_err_set(err, errlen, "%s:%d: key too long", fname, line);
            return SW_EPARSE;
        }
        sec = &ini->s[ini->n - 1];
        r = kvlist_set(&sec->kv, key, klen, val, vlen, 0, &opt);
        if (r < 0)
            goto fail;
        have_opt = 1;
        mode = vlen ? OPT_PLAIN : OPT_EMPTY;
    }
    return 0;
fail:
    if (r == SW_ETOOBIG)
        sw_err_set(err, errlen, "%s:%d: more than %d keys in one section",
                   fname, line, PROFILE_MAX_KEYS);
    else
        sw_err_set(err, errlen, "%s:%d: %s", fname, line, sw_strerror(r));
    return r;
}

/* section_is - 1 when config header SEC names KIND ("profile", "services")
 * NAME.  botocore shlex-splits the header and wants exactly two words;
 * "[default]" is the default profile without the prefix. */
static int
section_is(const char *sec, const char *kind, const char *name)
{
    char **argv = NULL;
    size_t argc = 0;
    int match = 0;

    if (!strcmp(kind, "profile") && !strcmp(sec, "default"))
        return !strcmp(name, "default");
    /* Cheap reject before splitting. */
    if (!sw_str_has_prefix(sec, kind))
        return 0;
    if (sw_words_split(sec, &argv, &argc, NULL, 0) < 0)
        return 0; /* botocore skips headers shlex rejects */
    match = argc == 2 && !strcmp(argv[0], kind) && !strcmp(argv[1], name);
    sw_words_free(argv);
    return match;
}

/* apply - merge every section of INI that is profile NAME into DST. */
static int
apply(const struct ini *ini, int is_config, const char *kind, const char *name,
      int origin, struct kvlist *dst, int *found)
{
    for (size_t i = 0; i < ini->n; i++) {
        int m = is_config ? section_is(ini->s[i].name, kind, name)
                          : !strcmp(ini->s[i].name, name);
        int r;

        if (!m)
            continue;
        *found = 1;
        r = kvlist_merge(dst, &ini->s[i].kv, origin);
        if (r < 0)
            return r;
    }
    return 0;
}

static const char *
resolve_name(const char *name, int *required)
{
    const char *e;

    *required = 1;
    if (name)
        return name;
    e = getenv("AWS_PROFILE");
    if (e && *e)
        return e;
    e = getenv("AWS_DEFAULT_PROFILE");
    if (e && *e)
        return e;
    *required = 0;
    return "default";
}

static struct sw_profile *
profile_new(const char *name)
{
    struct sw_profile *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->name = sw_strdup(name);
    if (!p->name) {
        free(p);
        return NULL;
    }
    return p;
}

void
sw_profile_free(struct sw_profile *p)
{
    if (!p)
        return;
    free(p->name);
    kvlist_release(&p->kv);
    kvlist_release(&p->svc);
    free(p);
}

/* resolve_services - "services = NAME" in the profile selects the
 * "[services NAME]" section of the config file. */
static int
resolve_services(struct sw_profile *p, const struct ini *cfg)
{
    const char *svc = sw_profile_get(p, "services");
    int found = 0;

    if (!svc || !*svc || !cfg)
        return 0;
    return apply(cfg, 1, "services", svc, SW_PROFILE_CONFIG, &p->svc, &found);
}

/* profile_build - the profile PNAME from the parsed config file CFG and
 * credentials file CRD (either may be NULL): config first, then the
 * credentials file on top, as botocore's Session.full_config does
 * profiles[name].update(cred_vars); then its services section.
 * Returns 0 and *out: new; SW_ENOENT when REQUIRED and neither file has
 * the profile; SW_ENOMEM or SW_ETOOBIG. */
static int
profile_build(const char *pname, int required, const struct ini *cfg,
              const struct ini *crd, struct sw_profile **out)
{
    struct sw_profile *p = profile_new(pname);
    int found = 0, r = 0;

    if (!p)
        return SW_ENOMEM;
    if (cfg)
        r = apply(cfg, 1, "profile", pname, SW_PROFILE_CONFIG, &p->kv, &found);
    if (r == 0 && crd)
        r = apply(crd, 0, "profile", pname, SW_PROFILE_CREDENTIALS, &p->kv,
                  &found);
    if (r == 0 && !found && required)
        r = SW_ENOENT;
    if (r == 0)
        r = resolve_services(p, cfg);
    if (r < 0) {
        sw_profile_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int
sw_profile_parse_buf(const char *text, size_t len, int is_config,
                     const char *filename, const char *name,
                     struct sw_profile **out, char *err, size_t errlen)
{
    struct ini ini = {NULL, 0, 0};
    const char *pname;
    int required, r;

    *out = NULL;
    pname = resolve_name(name, &required);
    r = ini_parse(text, len, filename, &ini, err, errlen);
    if (r < 0)
        goto out;
    r = profile_build(pname, required, is_config ? &ini : NULL,
                      is_config ? NULL : &ini, out);
    if (r == SW_ENOENT)
        sw_err_set(err, errlen, "profile '%s' not found in %s", pname,
                   filename);
    else if (r < 0)
        sw_err_set(err, errlen, "%s: profile '%s': %s", filename, pname,
                   sw_strerror(r));
out:
    ini_release(&ini);
    return r;
}

/* file_path - ENV's value, else ~/.aws/REL, with a leading "~" expanded
 * as os.path.expanduser does for the current user.
 * Returns 0, SW_ENOENT (no home directory) or SW_EINVAL (too long). */
static int
file_path(const char *env, const char *rel, char *buf, size_t size)
{
    const char *p = getenv(env), *home = NULL, *rest;
    int n;

    if (!p || !*p) {
        p = "~/.aws/";
    } else {
        rel = "";
    }
    if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
        home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());

            home = pw ? pw->pw_dir : NULL;
        }
        if (!home)
            return SW_ENOENT;
        rest = p + 1;
    } else {
        home = "";
        rest = p;
    }
    n = snprintf(buf, size, "%s%s%s", home, rest, rel);
    if (n < 0 || (size_t)n >= size)
        return SW_EINVAL;
    return 0;
}

/* read_file - the whole of PATH, at most PROFILE_MAX_BYTES.  A missing
 * path or one that is not a regular file is SW_ENOENT, as botocore treats
 * !os.path.isfile() as "no file".  *DATA: new (wipe_free()). */
static int
read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, r = SW_EIO;

    *data = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SW_ENOENT;
        sw_err_set(err, errlen, "%s: %s", path, strerror(errno));
        return SW_EIO;
    }
    if (fstat(fd, &st) < 0) {
        sw_err_set(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = SW_ENOENT;
        goto out;
    }
    buf = malloc(PROFILE_MAX_BYTES + 1);
    if (!buf) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "%s: %s", path, sw_strerror(r));
        goto out;
    }
    for (;;) {
        ssize_t k = read(fd, buf + n, PROFILE_MAX_BYTES + 1 - n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            sw_err_set(err, errlen, "%s: %s", path, strerror(errno));
            r = SW_EIO;
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > PROFILE_MAX_BYTES) {
            sw_err_set(err, errlen, "%s: larger than %d bytes", path,
                       PROFILE_MAX_BYTES);
            r = SW_ETOOBIG;
            goto out;
        }
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
    r = 0;
out:
    if (buf)
        wipe_free(buf, PROFILE_MAX_BYTES + 1);
    close(fd);
    return r;
}

/* load_ini - parse the file named by ENV (default ~/.aws/REL) into INI.
 * PATH receives the file name for messages.  *HAVE is 0 for a missing
 * file, which is not an error. */
static int
load_ini(const char *env, const char *rel, char *path, size_t size,
         struct ini *ini, int *have, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int r;

    *have = 0;
    r = file_path(env, rel, path, size);
    if (r == SW_ENOENT) {
        sw_strlcpy(path, "~/.aws/", size);
        return 0;
    }
    if (r < 0) {
        sw_err_set(err, errlen, "%s: path too long", env);
        return r;
    }
    r = read_file(path, &data, &len, err, errlen);
    if (r == SW_ENOENT)
        return 0;
    if (r < 0)
        return r;
    r = ini_parse(data, len, path, ini, err, errlen);
    wipe_free(data, len + 1);
    if (r < 0)
        return r;
    *have = 1;
    return 0;
}

int
sw_profile_load(const char *name, struct sw_profile **out, char *err,
                size_t errlen)
{
    struct ini cfg = {NULL, 0, 0}, crd = {NULL, 0, 0};
    char cpath[PATH_MAX], kpath[PATH_MAX];
    const char *pname;
    int required, have_cfg, have_crd, r;

    *out = NULL;
    pname = resolve_name(name, &required);
    r = load_ini("AWS_CONFIG_FILE", "config", cpath, sizeof(cpath), &cfg,
                 &have_cfg, err, errlen);
    if (r < 0)
        goto out;
    r = load_ini("AWS_SHARED_CREDENTIALS_FILE", "credentials", kpath,
                 sizeof(kpath), &crd, &have_crd, err, errlen);
    if (r < 0)
        goto out;
    r = profile_build(pname, required, &cfg, &crd, out);
    if (r == SW_ENOENT)
        sw_err_set(err, errlen, "profile '%s' not found in %s or %s", pname,
                   cpath, kpath);
    else if (r < 0)
        sw_err_set(err, errlen, "profile '%s': %s", pname, sw_strerror(r));
out:
    ini_release(&cfg);
    ini_release(&crd);
    return r;
}

const char *
sw_profile_name(const struct sw_profile *p)
{
    return p->name;
}

const char *
sw_profile_get(const struct sw_profile *p, const char *key)
{
    const struct kv *kv = kvlist_find(&p->kv, key);

    /* A nested block is a dict in botocore, not a string. */
    return kv && kv->sub.n == 0 ? kv->val : NULL;
}

enum sw_profile_origin
sw_profile_origin(const struct sw_profile *p, const char *key)
{
    const struct kv *kv = kvlist_find(&p->kv, key);

    return kv && kv->sub.n == 0 ? (enum sw_profile_origin)kv->origin
                                : SW_PROFILE_NONE;
}

const char *
sw_profile_service_get(const struct sw_profile *p, const char *service,
                       const char *key)
{
    const struct kv *kv = kvlist_find(&p->svc, service);

    if (!kv)
        return NULL;
    kv = kvlist_find(&kv->sub, key);
    return kv ? kv->val : NULL;
}
