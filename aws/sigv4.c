/* aws/sigv4.c - AWS Signature Version 4 header signing; see sigv4.h. */
#include "config.h"

#include "aws/sigv4.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/secret.h"

/* Every intermediate string (canonical URI, query, headers, request) is
 * built from caller data, so each gets a cap like any other buffer.  A
 * request whose signing material passes 1 MiB is not one we send. */
#define SIGV4_MAX_CANON (1024u * 1024)

#define SIGV4_ALGO "AWS4-HMAC-SHA256"

static int
is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

int
sw_uri_encode(struct sw_buf *out, const char *s, size_t len, int keep_slash)
{
    static const char up[] = "0123456789ABCDEF";
    char chunk[192];
    size_t k = 0;
    int r;

    /* Encode through a small stack chunk: one sw_buf_add per 64 input
     * bytes instead of one per byte. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_unreserved(c) || (keep_slash && c == '/')) {
            chunk[k++] = (char)c;
        } else {
            chunk[k++] = '%';
            chunk[k++] = up[c >> 4];
            chunk[k++] = up[c & 0x0f];
        }
        if (k > sizeof(chunk) - 3) {
            r = sw_buf_add(out, chunk, k);
            if (r < 0)
                return r;
            k = 0;
        }
    }
    return k ? sw_buf_add(out, chunk, k) : 0;
}

int
sw_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                     const char *service, unsigned char out[32])
{
    unsigned char k1[32], k2[32];
    struct sw_buf seed;
    int r = SW_EINVAL;

    sw_buf_init(&seed, SIGV4_MAX_CANON);
    if (!secret || !date8 || strlen(date8) != 8 || !region || !*region ||
        !service || !*service)
        goto out;
    for (size_t i = 0; i < 8; i++)
        if (date8[i] < '0' || date8[i] > '9')
            goto out;
    r = sw_buf_adds(&seed, "AWS4");
    if (r == 0)
        r = sw_buf_adds(&seed, secret);
    if (r < 0)
        goto out;
    r = sw_hmac_sha256(seed.data, seed.len, date8, 8, k1);
    if (r == 0)
        r = sw_hmac_sha256(k1, 32, region, strlen(region), k2);
    if (r == 0)
        r = sw_hmac_sha256(k2, 32, service, strlen(service), k1);
    if (r == 0)
        r = sw_hmac_sha256(k1, 32, "aws4_request", 12, out);
out:
    /* The seed holds the secret itself and k1/k2 are as good as the
     * secret for a day: none may outlive this call. */
    sw_buf_wipe(&seed);
    sw_memzero(k1, sizeof(k1));
    sw_memzero(k2, sizeof(k2));
    return r;
}

/* A scope component (region, service, access key id) ends up between '/'
 * and in a header: no slashes, commas, spaces or control bytes. */
static int
scope_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c == 0x7f || c == '/' || c == ',' || c == ';')
            return 0;
    }
    return 1;
}

/* RFC 7230 token characters, the only ones a method or a header name may
 * hold; anything else would change the meaning of the signed text. */
static int
token_ok(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || (c && strchr(extra, c))))
            return 0;
    }
    return 1;
}

/* Header values may hold HTAB but no other control byte: a CR or LF
 * would split the header on the wire while we signed it as one. */
static int
value_ok(const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* --- canonical URI --- */

static int
canonical_uri(struct sw_buf *out, const char *path, int normalize)
{
    size_t len = path ? strlen(path) : 0;
    size_t nslash = 1, depth = 0, i = 0;
    size_t *starts = NULL;
    int r = 0;

    if (len == 0)
        return sw_buf_addc(out, '/');
    if (!normalize) {
        if (path[0] != '/')
            r = sw_buf_addc(out, '/');
        return r < 0 ? r : sw_uri_encode(out, path, len, 1);
    }
    /* Normalisation is RFC 3986 remove_dot_segments plus dropping empty
     * segments, done on the raw bytes before encoding, as botocore's
     * posixpath.normpath does.  starts[] remembers where each kept
     * segment begins in OUT so ".." can cut it off again. */
    for (size_t j = 0; j < len; j++)
        nslash += path[j] == '/';
    starts = malloc(nslash * sizeof(*starts));
    if (!starts)
        return SW_ENOMEM;
    size_t base = out->len;
    while (i <= len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t n = j - i;
        const char *seg = path + i;
        i = j + 1;
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (depth > 0) {
                out->len = starts[--depth];
                out->data[out->len] = '\0';
            }
            continue;
        }
        starts[depth++] = out->len;
        r = sw_buf_addc(out, '/');
        if (r == 0)
            r = sw_uri_encode(out, seg, n, 0);
        if (r < 0)
            goto out;
    }
    /* A trailing slash names a different resource ("/a/" is not "/a"),
     * so it survives normalisation; "/" alone is the empty path. */
    if (out->len == base || path[len - 1] == '/')
        r = sw_buf_addc(out, '/');
out:
    free(starts);
    return r;
}

/* --- canonical query --- */

struct qparam {
    size_t off; /* into the arena while building */
    size_t nlen;
    size_t vlen;
    const char *p; /* "name" followed directly by "value" */
};

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode %XX (a '%' not followed by two hex digits stays literal, and '+'
 * stays '+': SigV4 is RFC 3986, not form encoding), then re-encode, so
 * "a%2db" and "a-b" sign the same way as AWS canonicalises them. */
static int
recode(struct sw_buf *arena, struct sw_buf *tmp, const char *s, size_t n)
{
    int r;

    sw_buf_reset(tmp);
    for (size_t i = 0; i < n; i++) {
        int hi = -1, lo = -1;

        if (s[i] == '%' && i + 2 < n) {
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
        }
        if (hi >= 0 && lo >= 0) {
            r = sw_buf_addc(tmp, (char)(hi << 4 | lo));
            i += 2;
        } else {
            r = sw_buf_addc(tmp, s[i]);
        }
        if (r < 0)
            return r;
    }
    return sw_uri_encode(arena, tmp->data ? tmp->data : "", tmp->len, 0);
}

static int
cmp_qparam(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->p, y->p, n);

    if (c)
        return c;
    if (x->nlen != y->nlen)
        return x->nlen < y->nlen ? -1 : 1;
    n = x->vlen < y->vlen ? x->vlen : y->vlen;
    c = memcmp(x->p + x->nlen, y->p + y->nlen, n);
    if (c)
        return c;
    return x->vlen < y->vlen ? -1 : x->vlen > y->vlen;
}

static int
canonical_query(struct sw_buf *out, const char *query)
{
    struct sw_buf arena, tmp;
    struct qparam *v = NULL;
    size_t len = query ? strlen(query) : 0, max = 1, n = 0, i = 0;
    int r = 0;

    if (len == 0)
        return 0;
    sw_buf_init(&arena, SIGV4_MAX_CANON);
    sw_buf_init(&tmp, SIGV4_MAX_CANON);
    for (size_t j = 0; j < len; j++)
        max += query[j] == '&';
    v = calloc(max, sizeof(*v));
    if (!v) {
        r = SW_ENOMEM;
        goto out;
    }
    while (i <= len) {
        size_t j = i, eq;

        while (j < len && query[j] != '&')
            j++;
        /* "a&&b" has an empty pair that carries no parameter. */
        if (j == i) {
            i = j + 1;
            continue;
        }
        eq = i;
        while (eq < j && query[eq] != '=')
            eq++;
        v[n].off = arena.len;
        r = recode(&arena, &tmp, query + i, eq - i);
        if (r < 0)
            goto out;
        v[n].nlen = arena.len - v[n].off;
        if (eq < j) {
            r = recode(&arena, &tmp, query + eq + 1, j - eq - 1);
            if (r < 0)
                goto out;
        }
        v[n].vlen = arena.len - v[n].off - v[n].nlen;
        n++;
        i = j + 1;
    }
    /* The arena no longer moves: turn offsets into pointers and sort by
     * encoded name, then encoded value, byte by byte. */
    for (size_t k = 0; k < n; k++)
        v[k].p = (arena.data ? arena.data : "") + v[k].off;
    qsort(v, n, sizeof(*v), cmp_qparam);
    for (size_t k = 0; k < n && r == 0; k++) {
        if (k > 0)
            r = sw_buf_addc(out, '&');
        if (r == 0)
            r = sw_buf_add(out, v[k].p, v[k].nlen);
        if (r == 0)
            r = sw_buf_addc(out, '=');
        if (r == 0)
            r = sw_buf_add(out, v[k].p + v[k].nlen, v[k].vlen);
    }
out:
    free(v);
    sw_buf_release(&arena);
    sw_buf_release(&tmp);
    return r;
}

/* --- canonical headers --- */

struct chdr {
    size_t noff, nlen; /* lower-cased name in the arena */
    size_t voff, vlen; /* trimmed, collapsed value in the arena */
    size_t idx;        /* input position: repeated headers keep order */
    const char *base;
};

static int
cmp_chdr(const void *a, const void *b)
{
    const struct chdr *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->base + x->noff, y->base + y->noff, n);

    if (c)
        return c;
    if (x->nlen != y->nlen)
        return x->nlen < y->nlen ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
same_name(const struct chdr *h, const char *name)
{
    size_t n = strlen(name);

    return h->nlen == n && memcmp(h->base + h->noff, name, n) == 0;
}

/* trimall: strip leading and trailing SP/HTAB and collapse inner runs to
 * one space (the canonical headers step); obs-fold continuation lines have
 * already been joined with a space by whoever read them, so they collapse too.
 */
static int
add_trimmed(struct sw_buf *arena, const char *s)
{
    int pending = 0, r = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s && r == 0; s++) {
        if (*s == ' ' || *s == '\t') {
            pending = 1;
            continue;
        }
        if (pending)
            r = sw_buf_addc(arena, ' ');
        pending = 0;
        if (r == 0)
            r = sw_buf_addc(arena, *s);
    }
    return r;
}

/* Fill CANON ("name:v1,v2\n" per distinct name) and SIGNED ("a;b;c"),
 * and copy the joined values of host and x-amz-date into HOST/DATE (which
 * stay empty when the header is missing). */
static int
canonical_headers(const struct sw_sigv4_req *req, struct sw_buf *canon,
                  struct sw_buf *signed_h, struct sw_buf *host,
                  struct sw_buf *date)
{
    struct sw_buf arena;
    struct chdr *v = NULL;
    size_t n = req->nheaders;
    int r = SW_EINVAL;

    sw_buf_init(&arena, SIGV4_MAX_CANON);
    if (n == 0 || !req->headers)
        goto out;
    v = calloc(n, sizeof(*v));
    if (!v) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = req->headers[i].name;
        const char *value = req->headers[i].value;

        r = SW_EINVAL;
        if (!token_ok(name) || !value_ok(value))
            goto out;
        v[i].idx = i;
        v[i].noff = arena.len;
        for (const char *p = name; *p; p++) {
            char c = *p;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            r = sw_buf_addc(&arena, c);
            if (r < 0)
                goto out;
        }
        v[i].nlen = arena.len - v[i].noff;
        v[i].voff = arena.len;
        r = add_trimmed(&arena, value);
        if (r < 0)
            goto out;
        v[i].vlen = arena.len - v[i].voff;
    }
    for (size_t i = 0; i < n; i++)
        v[i].base = arena.data;
    qsort(v, n, sizeof(*v), cmp_chdr);

    r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *nm = arena.data + v[i].noff;
        const char *val = arena.data + v[i].voff;
        int repeat = i > 0 && v[i].nlen == v[i - 1].nlen &&
                     memcmp(nm, arena.data + v[i - 1].noff, v[i].nlen) == 0;
        struct sw_buf *dst = NULL;

        if (same_name(&v[i], "host"))
            dst = host;
        else if (same_name(&v[i], "x-amz-date"))
            dst = date;
        if (repeat) {
            /* Repeated headers: one line, values in input order joined
             * with "," (get-header-key-duplicate, -value-order). */
            r = sw_buf_addc(canon, ',');
            if (r == 0 && dst)
                r = sw_buf_addc(dst, ',');
        } else {
            if (i > 0)
                r = sw_buf_addc(canon, '\n');
            if (r == 0 && signed_h->len)
                r = sw_buf_addc(signed_h, ';');
            if (r == 0)
                r = sw_buf_add(signed_h, nm, v[i].nlen);
            if (r == 0)
                r = sw_buf_add(canon, nm, v[i].nlen);
            if (r == 0)
                r = sw_buf_addc(canon, ':');
        }
        if (r == 0)
            r = sw_buf_add(canon, val, v[i].vlen);
        if (r == 0 && dst)
            r = sw_buf_add(dst, val, v[i].vlen);
    }
    if (r == 0)
        r = sw_buf_addc(canon, '\n');
out:
    free(v);
    /* The values include X-Amz-Security-Token, a secret. */
    sw_buf_wipe(&arena);
    return r;
}

/* --- the whole signature --- */

static int
copy_out(struct sw_buf *dst, const struct sw_buf *src)
{
    if (!dst)
        return 0;
    sw_buf_reset(dst);
    return sw_buf_add(dst, src->data ? src->data : "", src->len);
}

/* Empty the outputs the caller asked for (each may be NULL). */
static void
reset_outputs(struct sw_buf *authz, struct sw_buf *creq, struct sw_buf *sts)
{
    if (authz)
        sw_buf_reset(authz);
    if (creq)
        sw_buf_reset(creq);
    if (sts)
        sw_buf_reset(sts);
}

int
sw_sigv4_sign(const struct sw_sigv4_req *req, const struct sw_sigv4_key *key,
              time_t t, struct sw_buf *authz, struct sw_buf *creq,
              struct sw_buf *sts)
{
    struct sw_buf c, s, hdrs, signed_h, host, date;
    char amz[SW_TIME_BUF], hash[65], sig[65];
    unsigned char kx[32], md[32];
    int r = SW_EINVAL;

    sw_buf_init(&c, SIGV4_MAX_CANON);
    sw_buf_init(&s, SIGV4_MAX_CANON);
    sw_buf_init(&hdrs, SIGV4_MAX_CANON);
    sw_buf_init(&signed_h, SIGV4_MAX_CANON);
    sw_buf_init(&host, SIGV4_MAX_CANON);
    sw_buf_init(&date, SIGV4_MAX_CANON);
    reset_outputs(authz, creq, sts);
    if (!req || !key || !authz || !token_ok(req->method) ||
        (req->body_len && !req->body) || !scope_ok(key->akid) || !key->secret ||
        !scope_ok(key->region) || !scope_ok(key->service))
        goto out;
    sw_time_amz(t, amz);
    if (strlen(amz) != 16)
        goto out;

    r = canonical_headers(req, &hdrs, &signed_h, &host, &date);
    if (r < 0)
        goto out;
    /* Host is what binds the signature to the endpoint, and the date must
     * be the one in the scope or AWS rejects the signature. */
    r = SW_EINVAL;
    if (host.len == 0 || date.len != 16 || memcmp(date.data, amz, 16) != 0)
        goto out;

    r = sw_buf_adds(&c, req->method);
    if (r == 0)
        r = sw_buf_addc(&c, '\n');
    if (r == 0)
        r = canonical_uri(&c, req->path, req->normalize_path);
    if (r == 0)
        r = sw_buf_addc(&c, '\n');
    if (r == 0)
        r = canonical_query(&c, req->query);
    if (r == 0)
        r = sw_buf_addc(&c, '\n');
    if (r == 0)
        r = sw_buf_add(&c, hdrs.data, hdrs.len);
    if (r == 0)
        r = sw_buf_addc(&c, '\n');
    if (r == 0)
        r = sw_buf_add(&c, signed_h.data, signed_h.len);
    if (r == 0)
        r = sw_buf_addc(&c, '\n');
    if (r == 0)
        r = sw_sha256_hex(req->body, req->body_len, hash);
    if (r == 0)
        r = sw_buf_adds(&c, hash);
    if (r < 0)
        goto out;

    r = sw_sha256(c.data, c.len, md);
    if (r < 0)
        goto out;
    sw_hex_lower(md, sizeof(md), hash);
    r = sw_buf_addf(&s, SIGV4_ALGO "\n%s\n%.8s/%s/%s/aws4_request\n%s", amz,
                    amz, key->region, key->service, hash);
    if (r < 0)
        goto out;

    /* amz is "YYYYMMDDTHHMMSSZ"; the scope date is its first 8 bytes. */
    amz[8] = '\0';
    r = sw_sigv4_signing_key(key->secret, amz, key->region, key->service, kx);
    if (r == 0)
        r = sw_hmac_sha256(kx, sizeof(kx), s.data, s.len, md);
    if (r < 0)
        goto out;
    sw_hex_lower(md, sizeof(md), sig);

    r = sw_buf_addf(authz,
                    SIGV4_ALGO " Credential=%s/%s/%s/%s/aws4_request, "
                               "SignedHeaders=%s, Signature=%s",
                    key->akid, amz, key->region, key->service, signed_h.data,
                    sig);
    if (r == 0)
        r = copy_out(creq, &c);
    if (r == 0)
        r = copy_out(sts, &s);
out:
    /* No half-built header or canonical text on failure. */
    if (r < 0)
        reset_outputs(authz, creq, sts);
    sw_memzero(kx, sizeof(kx));
    /* The canonical headers carry the session token. */
    sw_buf_wipe(&c);
    sw_buf_release(&s);
    sw_buf_wipe(&hdrs);
    sw_buf_release(&signed_h);
    sw_buf_release(&host);
    sw_buf_release(&date);
    return r;
}
