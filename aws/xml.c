/* aws/xml.c - a small read-only XML tree on expat; see xml.h. */
#include "config.h"

#include "aws/xml.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/secret.h"

#define XML_MAX_DEPTH 64
#define XML_MAX_NODES 100000

/* Expat hands namespaced names over as "URI<sep>local".  0x01 cannot
 * occur in an XML 1.0 document at all (not even as &#1;), so it can never
 * be confused with a character of a real namespace URI. */
#define NS_SEP '\x01'

/* Feed expat at most this much per call: XML_Parse takes an int. */
#define XML_CHUNK (1 << 20)

struct pstate {
    XML_Parser p;
    struct sw_xml_node *root;
    struct sw_xml_node *cur;                     /* innermost open element */
    struct sw_xml_node *last[XML_MAX_DEPTH + 1]; /* last child per level */
    struct sw_buf text[XML_MAX_DEPTH + 1];       /* text of each open element */
    size_t depth;                                /* open elements */
    size_t nodes;
    size_t text_cap;
    int err;         /* our own reason to stop */
    const char *why; /* static message for err */
};

static void
stop(struct pstate *s, int err, const char *why)
{
    if (s->err)
        return;
    s->err = err;
    s->why = why;
    XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct pstate *s = ud;
    struct sw_xml_node *n;
    const char *local = strrchr(name, NS_SEP);

    (void)attrs;
    /* After XML_StopParser expat may still deliver a few callbacks. */
    if (s->err)
        return;
    if (s->depth >= XML_MAX_DEPTH) {
        stop(s, SW_EPARSE, "elements nested deeper than 64");
        return;
    }
    if (s->nodes >= XML_MAX_NODES) {
        stop(s, SW_EPARSE, "more than 100000 elements");
        return;
    }
    local = local ? local + 1 : name;
    n = calloc(1, sizeof(*n));
    if (n)
        n->name = strdup(local);
    if (!n || !n->name) {
        free(n);
        stop(s, SW_ENOMEM, "out of memory");
        return;
    }
    s->nodes++;
    n->parent = s->cur;
    if (!s->cur)
        s->root = n;
    else if (s->last[s->depth])
        s->last[s->depth]->next = n;
    else
        s->cur->child = n;
    if (s->cur)
        s->last[s->depth] = n;
    s->cur = n;
    s->depth++;
    s->last[s->depth] = NULL;
    sw_buf_reset(&s->text[s->depth]);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
    struct pstate *s = ud;
    struct sw_buf *t;

    (void)name;
    if (s->err || !s->cur)
        return;
    t = &s->text[s->depth];
    /* Exact-size copy: the level buffers are reused by siblings. */
    s->cur->text = malloc(t->len + 1);
    if (!s->cur->text) {
        stop(s, SW_ENOMEM, "out of memory");
        return;
    }
    if (t->len)
        memcpy(s->cur->text, t->data, t->len);
    s->cur->text[t->len] = '\0';
    s->cur->text_len = t->len;
    s->cur = s->cur->parent;
    s->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *txt, int len)
{
    struct pstate *s = ud;
    int r;

    if (s->err || !s->cur || len <= 0)
        return;
    r = sw_buf_add(&s->text[s->depth], txt, (size_t)len);
    if (r < 0)
        stop(s, r, r == SW_ENOMEM ? "out of memory" : "text too long");
}

/* A DTD is the door to entity expansion (billion laughs, external
 * entities); AWS replies never carry one, so any DOCTYPE ends the parse. */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
           const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    stop(ud, SW_EPARSE, "DOCTYPE not allowed");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
          int value_len, const XML_Char *base, const XML_Char *sysid,
          const XML_Char *pubid, const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    stop(ud, SW_EPARSE, "entity declaration not allowed");
}

void
sw_xml_free(struct sw_xml_node *root)
{
    struct sw_xml_node *n = root;

    /* Iterative post-order walk over the parent links: no recursion and
     * no extra memory, whatever the shape of the tree.  A parent's child
     * pointer goes stale while its children are freed, but it is only
     * read again after being cleared. */
    while (n) {
        struct sw_xml_node *next, *up;

        if (n->child) {
            n = n->child;
            continue;
        }
        next = n->next;
        up = n->parent;
        free(n->name);
        /* STS replies carry secret keys and tokens in their text: wipe
         * every text before it goes back to the allocator. */
        if (n->text)
            sw_memzero(n->text, n->text_len);
        free(n->text);
        if (n == root) {
            free(n);
            return;
        }
        free(n);
        if (next) {
            n = next;
        } else {
            n = up;
            n->child = NULL;
        }
    }
}

int
sw_xml_parse(const char *data, size_t len, struct sw_xml_node **root, char *err,
             size_t errlen)
{
    struct pstate *s = NULL;
    int r = SW_ENOMEM;
    size_t off = 0;

    *root = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!data)
        data = "";
    s = calloc(1, sizeof(*s));
    if (!s)
        goto out;
    /* No element text can be longer than the document. */
    s->text_cap = len;
    for (size_t i = 0; i <= XML_MAX_DEPTH; i++)
        sw_buf_init(&s->text[i], s->text_cap);
    s->p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!s->p)
        goto out;
    XML_SetUserData(s->p, s);
    XML_SetElementHandler(s->p, on_start, on_end);
    XML_SetCharacterDataHandler(s->p, on_text);
    XML_SetStartDoctypeDeclHandler(s->p, on_doctype);
    XML_SetEntityDeclHandler(s->p, on_entity);
    XML_SetParamEntityParsing(s->p, XML_PARAM_ENTITY_PARSING_NEVER);

    do {
        size_t n = len - off > XML_CHUNK ? XML_CHUNK : len - off;
        int final = off + n == len;

        if (XML_Parse(s->p, data + off, (int)n, final) != XML_STATUS_OK) {
            r = s->err ? s->err : SW_EPARSE;
            if (err && errlen)
                snprintf(err, errlen, "line %lu column %lu: %s",
                         (unsigned long)XML_GetCurrentLineNumber(s->p),
                         (unsigned long)XML_GetCurrentColumnNumber(s->p),
                         s->err ? s->why
                                : XML_ErrorString(XML_GetErrorCode(s->p)));
            goto out;
        }
        off += n;
    } while (off < len);
    if (!s->root || s->depth) {
        /* expat reports this itself; kept as a guard. */
        r = SW_EPARSE;
        if (err && errlen)
            snprintf(err, errlen, "line 1 column 0: no element found");
        goto out;
    }
    *root = s->root;
    s->root = NULL;
    r = 0;
out:
    if (s) {
        if (s->p)
            XML_ParserFree(s->p);
        for (size_t i = 0; i <= XML_MAX_DEPTH; i++)
            sw_buf_wipe(&s->text[i]);
        sw_xml_free(s->root);
        free(s);
    }
    return r;
}

const struct sw_xml_node *
sw_xml_child(const struct sw_xml_node *n, const char *name)
{
    if (!n || !name)
        return NULL;
    for (const struct sw_xml_node *c = n->child; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct sw_xml_node *
sw_xml_path(const struct sw_xml_node *n, const char *path)
{
    char step[256];

    if (!path)
        return NULL;
    while (n && *path) {
        const char *slash = strchr(path, '/');
        size_t len = slash ? (size_t)(slash - path) : strlen(path);

        if (len == 0 || len >= sizeof(step))
            return NULL;
        memcpy(step, path, len);
        step[len] = '\0';
        n = sw_xml_child(n, step);
        path += len;
        if (*path == '/')
            path++;
    }
    return n;
}

const char *
sw_xml_text(const struct sw_xml_node *n, const char *path)
{
    const struct sw_xml_node *t = sw_xml_path(n, path);

    return t ? t->text : NULL;
}
