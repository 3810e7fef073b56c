/* rules/expr.c - metric-math parser and evaluator; see expr.h and
 * docs/metric-math.md. */
#include "config.h"

#include "rules/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"

enum node_kind {
    N_NUM,    /* scalar constant; every constant sub-expression folds to one */
    N_ID,     /* a metric's time series */
    N_SHARDS, /* the stream's open shard count: a scalar known only when
                 the expression is evaluated */
    N_NEG,
    N_ADD,
    N_SUB,
    N_MUL,
    N_DIV,
    N_ABS,
    N_FILL,
};

enum fill_mode {
    FILL_VALUE = 0,
    FILL_REPEAT,
    FILL_LINEAR,
};

struct node {
    enum node_kind kind;
    int series;          /* 1: time series, 0: scalar (N_NUM, N_SHARDS, or
                            an operator over scalars that use SHARDS) */
    double num;          /* N_NUM; N_FILL with FILL_VALUE and no b */
    size_t id;           /* N_ID: index into the parse call's ids */
    enum fill_mode fill; /* N_FILL */
    struct node *a, *b;  /* operands; N_NEG, N_ABS use a; N_FILL uses a,
                            and b for a FILL_VALUE that uses SHARDS */
};

/* is_const - a scalar known at parse time: folded into one N_NUM. */
static int
is_const(const struct node *n)
{
    return n->kind == N_NUM;
}

/* The nodes live in one array sized from the text: every node consumes at
 * least one token of at least one byte, and constant folding reuses nodes,
 * so len + 1 nodes always suffice and freeing is one call, whatever the
 * shape of the tree. */
struct sw_expr {
    struct node *nodes;
    size_t nnodes;
    size_t cap;
    struct node *root;
    unsigned char *used; /* nids flags */
    size_t nids;
    int shards; /* SHARDS appears */
};

/* ---- lexer ---- */

enum tok_kind {
    T_END = 0,
    T_NUM,
    T_ID,   /* [a-z][A-Za-z0-9_]* */
    T_WORD, /* [A-Z][A-Za-z0-9_]*: a function or keyword */
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
};

struct token {
    enum tok_kind kind;
    size_t pos; /* byte offset; the column is pos + 1 */
    size_t len;
    double num;
};

struct parser {
    const char *s;
    size_t len;
    size_t pos; /* where the next token starts */
    struct token tok;
    const char *const *ids;
    size_t nids;
    struct sw_expr *e;
    int depth;
    char *err;
    size_t errlen;
};

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    SW_PRINTF(3, 4);

static int
fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    /* A long identifier is cut short in the message; still one line. */
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sw_err_set(p->err, p->errlen, "column %zu: %s", pos + 1, msg);
    return SW_EPARSE;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int
is_word(char c)
{
    return is_digit(c) || is_lower(c) || is_upper(c) || c == '_';
}

static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
tok_is(const struct parser *p, const char *word)
{
    size_t n = strlen(word);

    return p->tok.len == n && memcmp(p->s + p->tok.pos, word, n) == 0;
}

static int
lex_number(struct parser *p, size_t i)
{
    const char *s = p->s;
    char buf[SW_EXPR_MAX_LEN + 1];
    size_t j = i;

    /* CloudWatch documents its scalars as "2, -5, or 50.25"; the sign is
     * the unary operator.  Both sides of the point need digits, so "5."
     * and ".5" are rejected rather than guessed at.  s[len] is the NUL,
     * so looking one byte past a digit is always in bounds. */
    while (is_digit(s[j]))
        j++;
    if (s[j] == '.') {
        j++;
        if (!is_digit(s[j]))
            return fail(p, i, "malformed number '%.*s'", (int)(j - i), s + i);
        while (is_digit(s[j]))
            j++;
    }
    if (s[j] == 'e' || s[j] == 'E') {
        j++;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (!is_digit(s[j]))
            return fail(p, i, "malformed number '%.*s'", (int)(j - i), s + i);
        while (is_digit(s[j]))
            j++;
    }
    memcpy(buf, s + i, j - i);
    buf[j - i] = '\0';
    if (sw_parse_double(buf, &p->tok.num) < 0)
        return fail(p, i, "number out of range '%s'", buf);
    p->tok.kind = T_NUM;
    p->tok.len = j - i;
    p->pos = j;
    return 0;
}

static int
lex_operator_error(struct parser *p, size_t i)
{
    static const char *const two[] = {"==", "!=", "<=", ">=", "&&", "||"};
    const char *s = p->s;

    for (size_t k = 0; k < sizeof(two) / sizeof(two[0]); k++)
        if (s[i] == two[k][0] && s[i + 1] == two[k][1])
            return fail(p, i, "operator '%s' is not supported", two[k]);
    return fail(p, i, "operator '%c' is not supported", s[i]);
}

/* next - read the token at p->pos into p->tok. */
static int
next(struct parser *p)
{
    const char *s = p->s;
    size_t i = p->pos;
    char c;

    while (i < p->len && is_blank(s[i]))
        i++;
    memset(&p->tok, 0, sizeof(p->tok));
    p->tok.pos = i;
    if (i >= p->len) {
        p->tok.kind = T_END;
        p->pos = i;
        return 0;
    }
    c = s[i];
    if (is_digit(c))
        return lex_number(p, i);
    if (is_lower(c) || is_upper(c)) {
        size_t j = i + 1;

        while (j < p->len && is_word(s[j]))
            j++;
        p->tok.kind = is_lower(c) ? T_ID : T_WORD;
        p->tok.len = j - i;
        p->pos = j;
        return 0;
    }
    switch (c) {
    case '(': p->tok.kind = T_LPAREN; break;
    case ')': p->tok.kind = T_RPAREN; break;
    case ',': p->tok.kind = T_COMMA; break;
    case '+': p->tok.kind = T_PLUS; break;
    case '-': p->tok.kind = T_MINUS; break;
    case '*': p->tok.kind = T_STAR; break;
    case '/': p->tok.kind = T_SLASH; break;
    case '^':
    case '<':
    case '>':
    case '=':
    case '!':
    case '&':
    case '|':
        /* CloudWatch has these (power, comparisons, logic); we do not. */
        return lex_operator_error(p, i);
    default:
        /* Never echo a control or non-ASCII byte into a log line. */
        if (c > ' ' && c < 0x7f)
            return fail(p, i, "unexpected character '%c'", c);
        return fail(p, i, "unexpected byte 0x%02x", (unsigned char)c);
    }
    p->tok.len = 1;
    p->pos = i + 1;
    return 0;
}

/* describe - the current token for an error message. */
static int
describe(const struct parser *p, char *buf, size_t size)
{
    if (p->tok.kind == T_END)
        return snprintf(buf, size, "end of expression");
    return snprintf(buf, size, "'%.*s'", (int)p->tok.len, p->s + p->tok.pos);
}

/* ---- parser ---- */

static int parse_expr(struct parser *p, struct node **out);

static int
new_node(struct parser *p, enum node_kind kind, struct node **out)
{
    struct sw_expr *e = p->e;

    if (e->nnodes >= e->cap) {
        /* Cannot happen (see struct sw_expr); fail rather than overrun. */
        sw_err_set(p->err, p->errlen, "expression too complex");
        return SW_EINTERNAL;
    }
    *out = &e->nodes[e->nnodes++];
    memset(*out, 0, sizeof(**out));
    (*out)->kind = kind;
    (*out)->series = 1;
    return 0;
}

/* enter - one level deeper at the current token ('(' or a unary '-'),
 * and past it. */
static int
enter(struct parser *p)
{
    if (++p->depth > SW_EXPR_MAX_DEPTH)
        return fail(p, p->tok.pos, "expression nested more than %d levels deep",
                    SW_EXPR_MAX_DEPTH);
    return next(p);
}

static int
expect(struct parser *p, enum tok_kind kind, const char *what)
{
    if (p->tok.kind != kind)
        return fail(p, p->tok.pos, "expected '%s'", what);
    return next(p);
}

/* binary - combine LHS op RHS; constants fold at once, so that scalar
 * mistakes (1/0) are reported with their column instead of silently
 * dropping every datapoint at evaluation time. */
static int
binary(struct parser *p, enum node_kind kind, size_t pos, struct node *lhs,
       struct node *rhs, struct node **out)
{
    struct node *n;
    double v = 0;
    int r;

    if (is_const(lhs) && is_const(rhs)) {
        switch (kind) {
        case N_ADD: v = lhs->num + rhs->num; break;
        case N_SUB: v = lhs->num - rhs->num; break;
        case N_MUL: v = lhs->num * rhs->num; break;
        case N_DIV:
            if (rhs->num == 0)
                return fail(p, pos, "division by zero");
            v = lhs->num / rhs->num;
            break;
        default: return SW_EINTERNAL;
        }
        if (!isfinite(v))
            return fail(p, pos, "number out of range");
        lhs->num = v;
        *out = lhs;
        return 0;
    }
    r = new_node(p, kind, &n);
    if (r < 0)
        return r;
    /* A scalar that uses SHARDS stays a scalar, computed when the
     * expression is evaluated. */
    n->series = lhs->series || rhs->series;
    n->a = lhs;
    n->b = rhs;
    *out = n;
    return 0;
}

static int
parse_call(struct parser *p, struct node **out)
{
    int is_fill = tok_is(p, "FILL");
    const char *name = is_fill ? "FILL" : "ABS";
    struct node *n, *arg, *val;
    size_t pos;
    int r;

    r = next(p);
    if (r < 0)
        return r;
    if (p->tok.kind != T_LPAREN)
        return fail(p, p->tok.pos, "expected '(' after %s", name);
    r = enter(p);
    if (r < 0)
        return r;
    pos = p->tok.pos;
    r = parse_expr(p, &arg);
    if (r < 0)
        return r;
    if (!arg->series)
        return fail(p, pos, "%s needs a time series as its first argument",
                    name);
    r = new_node(p, is_fill ? N_FILL : N_ABS, &n);
    if (r < 0)
        return r;
    n->a = arg;
    if (is_fill) {
        r = expect(p, T_COMMA, ",");
        if (r < 0)
            return r;
        pos = p->tok.pos;
        if (p->tok.kind == T_WORD &&
            (tok_is(p, "REPEAT") || tok_is(p, "LINEAR"))) {
            n->fill = tok_is(p, "REPEAT") ? FILL_REPEAT : FILL_LINEAR;
            r = next(p);
            if (r < 0)
                return r;
        } else {
            r = parse_expr(p, &val);
            if (r < 0)
                return r;
            /* FILL(TS, TS) exists only for arrays of series (TS[]),
             * which this subset does not have. */
            if (val->series)
                return fail(p, pos,
                            "FILL's second argument must be a number, "
                            "REPEAT or LINEAR");
            n->fill = FILL_VALUE;
            if (is_const(val))
                n->num = val->num;
            else
                n->b = val; /* uses SHARDS */
        }
    }
    r = expect(p, T_RPAREN, ")");
    if (r < 0)
        return r;
    p->depth--;
    *out = n;
    return 0;
}

/* known_function - 1 when NAME (LEN bytes, any case) spells ABS or FILL
 * in uppercase. */
static int
known_function(const char *name, size_t len)
{
    static const char *const fns[] = {"ABS", "FILL"};

    for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++) {
        size_t n = strlen(fns[k]), i;

        if (n != len)
            continue;
        for (i = 0; i < n; i++) {
            char c = name[i];

            if (is_lower(c))
                c = (char)(c - 'a' + 'A');
            if (c != fns[k][i])
                break;
        }
        if (i == n)
            return 1;
    }
    return 0;
}

/* followed_by_paren - 1 when the first non-blank byte after the current
 * token is '('. */
static int
followed_by_paren(const struct parser *p)
{
    size_t i = p->tok.pos + p->tok.len;

    while (i < p->len && is_blank(p->s[i]))
        i++;
    return i < p->len && p->s[i] == '(';
}

static int
parse_id(struct parser *p, struct node **out)
{
    const char *name = p->s + p->tok.pos;
    size_t len = p->tok.len;
    struct node *n;
    size_t i;
    int r;

    for (i = 0; i < p->nids; i++)
        if (p->ids[i] && strlen(p->ids[i]) == len &&
            memcmp(p->ids[i], name, len) == 0)
            break;
    if (i == p->nids) {
        if (followed_by_paren(p) && known_function(name, len))
            return fail(p, p->tok.pos,
                        "function names are uppercase: '%.*s' is not a "
                        "function",
                        (int)len, name);
        if (len == 6 && strncmp(name, "shards", 6) == 0)
            return fail(p, p->tok.pos,
                        "unknown metric id 'shards' (the shard count is "
                        "SHARDS, in capitals)");
        return fail(p, p->tok.pos, "unknown metric id '%.*s'", (int)len, name);
    }
    r = new_node(p, N_ID, &n);
    if (r < 0)
        return r;
    n->id = i;
    p->e->used[i] = 1;
    *out = n;
    return next(p);
}

static int
parse_primary(struct parser *p, struct node **out)
{
    char what[96];
    struct node *n;
    int r;

    switch (p->tok.kind) {
    case T_NUM:
        r = new_node(p, N_NUM, &n);
        if (r < 0)
            return r;
        n->series = 0;
        n->num = p->tok.num;
        *out = n;
        return next(p);
    case T_ID: return parse_id(p, out);
    case T_LPAREN:
        r = enter(p);
        if (r < 0)
            return r;
        r = parse_expr(p, out);
        if (r < 0)
            return r;
        r = expect(p, T_RPAREN, ")");
        if (r < 0)
            return r;
        p->depth--;
        return 0;
    case T_WORD:
        if (tok_is(p, "SHARDS")) {
            if (followed_by_paren(p))
                return fail(p, p->tok.pos,
                            "SHARDS is a number, not a function");
            r = new_node(p, N_SHARDS, &n);
            if (r < 0)
                return r;
            n->series = 0;
            p->e->shards = 1;
            *out = n;
            return next(p);
        }
        if (tok_is(p, "ABS") || tok_is(p, "FILL"))
            return parse_call(p, out);
        if (tok_is(p, "REPEAT") || tok_is(p, "LINEAR"))
            return fail(p, p->tok.pos,
                        "%.*s is only valid as the second argument of FILL",
                        (int)p->tok.len, p->s + p->tok.pos);
        if (!followed_by_paren(p))
            return fail(p, p->tok.pos,
                        "unknown name '%.*s' (metric ids start with a "
                        "lowercase letter)",
                        (int)p->tok.len, p->s + p->tok.pos);
        return fail(p, p->tok.pos,
                    "unknown function '%.*s' (supported: ABS, FILL)",
                    (int)p->tok.len, p->s + p->tok.pos);
    default:
        (void)describe(p, what, sizeof(what));
        return fail(p, p->tok.pos,
                    "expected a metric id, a number, a function or '(', "
                    "found %s",
                    what);
    }
}

static int
parse_unary(struct parser *p, struct node **out)
{
    struct node *child, *n;
    int r;

    if (p->tok.kind != T_MINUS)
        return parse_primary(p, out);
    r = enter(p);
    if (r < 0)
        return r;
    r = parse_unary(p, &child);
    if (r < 0)
        return r;
    p->depth--;
    if (is_const(child)) {
        child->num = -child->num;
        *out = child;
        return 0;
    }
    r = new_node(p, N_NEG, &n);
    if (r < 0)
        return r;
    n->series = child->series;
    n->a = child;
    *out = n;
    return 0;
}

/* A left-associative chain of OPERANDs joined by the operators T1 (node
 * K1) and T2 (K2): "a - b - c" is "(a - b) - c". */
static int
parse_chain(struct parser *p, int (*operand)(struct parser *, struct node **),
            enum tok_kind t1, enum node_kind k1, enum tok_kind t2,
            enum node_kind k2, struct node **out)
{
    struct node *lhs, *rhs;
    int r;

    r = operand(p, &lhs);
    if (r < 0)
        return r;
    while (p->tok.kind == t1 || p->tok.kind == t2) {
        enum node_kind kind = p->tok.kind == t1 ? k1 : k2;
        size_t pos = p->tok.pos;

        r = next(p);
        if (r < 0)
            return r;
        r = operand(p, &rhs);
        if (r < 0)
            return r;
        /* parse_unary() sets *OUT whenever it returns >= 0; the analyzer
         * cannot see that fail() is negative.
         * NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
        r = binary(p, kind, pos, lhs, rhs, &lhs);
        if (r < 0)
            return r;
    }
    /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): as above */
    *out = lhs;
    return 0;
}

static int
parse_term(struct parser *p, struct node **out)
{
    return parse_chain(p, parse_unary, T_STAR, N_MUL, T_SLASH, N_DIV, out);
}

static int
parse_expr(struct parser *p, struct node **out)
{
    return parse_chain(p, parse_term, T_PLUS, N_ADD, T_MINUS, N_SUB, out);
}

int
sw_expr_parse(const char *text, const char *const *ids, size_t nids,
              struct sw_expr **out, char *err, size_t errlen)
{
    struct parser p;
    struct sw_expr *e = NULL;
    struct node *root = NULL;
    char what[96];
    size_t len;
    int r = SW_EINVAL;

    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!text || !out || (!ids && nids)) {
        sw_err_set(err, errlen, "invalid arguments");
        goto out;
    }
    memset(&p, 0, sizeof(p));
    p.s = text;
    p.ids = ids;
    p.nids = nids;
    p.err = err;
    p.errlen = errlen;
    len = strnlen(text, SW_EXPR_MAX_LEN + 1);
    if (len > SW_EXPR_MAX_LEN) {
        r = fail(&p, SW_EXPR_MAX_LEN, "expression longer than %d characters",
                 SW_EXPR_MAX_LEN);
        goto out;
    }
    p.len = len;

    r = SW_ENOMEM;
    e = calloc(1, sizeof(*e));
    if (!e)
        goto out;
    e->cap = len + 1;
    e->nodes = calloc(e->cap, sizeof(*e->nodes));
    e->used = calloc(nids ? nids : 1, 1);
    if (!e->nodes || !e->used)
        goto out;
    e->nids = nids;
    p.e = e;

    r = next(&p);
    if (r < 0)
        goto out;
    if (p.tok.kind == T_END) {
        r = fail(&p, 0, "empty expression");
        goto out;
    }
    r = parse_expr(&p, &root);
    if (r < 0)
        goto out;
    if (p.tok.kind != T_END) {
        (void)describe(&p, what, sizeof(what));
        r = fail(&p, p.tok.pos, "unexpected %s", what);
        goto out;
    }
    if (!root->series) {
        r = fail(&p, 0,
                 "the expression must produce a time series: it uses no "
                 "metric id");
        goto out;
    }
    e->root = root;
    *out = e;
    e = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    sw_expr_free(e);
    return r;
}

void
sw_expr_free(struct sw_expr *e)
{
    if (!e)
        return;
    free(e->nodes);
    free(e->used);
    free(e);
}

int
sw_expr_uses(const struct sw_expr *e, size_t i)
{
    return e && i < e->nids && e->used[i];
}

int
sw_expr_uses_shards(const struct sw_expr *e)
{
    return e && e->shards;
}

/* ---- evaluation ----
 *
 * Every series is an array of doubles over one shared timeline: the period
 * grid of the window plus any input timestamp off it, sorted and unique.
 * NaN marks "no value at this timestamp", so a point that becomes NaN or
 * infinite, or divides by zero, simply turns into a missing one, which is
 * how CloudWatch drops it.
 */

struct evalctx {
    const struct sw_expr *e;
    double shards; /* SHARDS, when the expression uses it */
    const struct sw_datapoint *const *inputs;
    const size_t *ninputs;
    time_t start;
    time_t end;
    time_t *ts;          /* the timeline */
    unsigned char *grid; /* 1: ts is on the period grid */
    size_t n;
};

static int
cmp_time(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;

    return (x > y) - (x < y);
}

static size_t
find_ts(const struct evalctx *c, time_t t)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo; /* t is on the timeline by construction */
}

static double
keep_finite(double v)
{
    return isfinite(v) ? v : NAN;
}

static double
apply(enum node_kind kind, double x, double y)
{
    switch (kind) {
    case N_ADD: return keep_finite(x + y);
    case N_SUB: return keep_finite(x - y);
    case N_MUL: return keep_finite(x * y);
    case N_DIV:
        /* "If the value of a data point causes a function to attempt to
         * divide by zero, the data point is dropped." */
        if (y == 0)
            return NAN;
        return keep_finite(x / y);
    default: return NAN;
    }
}

/* scalar - the value of a scalar sub-expression; NaN when it divides by
 * zero or overflows, which then drops every datapoint it meets, as a
 * datapoint that divides by zero is dropped. */
static double
scalar(const struct evalctx *c, const struct node *nd)
{
    switch (nd->kind) {
    case N_NUM: return nd->num;
    case N_SHARDS: return c->shards;
    case N_NEG: return -scalar(c, nd->a);
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV: return apply(nd->kind, scalar(c, nd->a), scalar(c, nd->b));
    default: return NAN;
    }
}

static void
fill(const struct evalctx *c, const struct node *nd, double *v)
{
    double with = nd->b ? scalar(c, nd->b) : nd->num;

    size_t prev = c->n; /* index of the last real value, n: none yet */

    for (size_t i = 0; i < c->n; i++) {
        if (!isnan(v[i])) {
            if (nd->fill == FILL_LINEAR && prev != c->n && i > prev + 1) {
                /* A straight line in time between the values on both
                 * sides of the gap, at the gap's grid timestamps. */
                double span = (double)(c->ts[i] - c->ts[prev]);

                for (size_t j = prev + 1; j < i; j++)
                    if (c->grid[j])
                        v[j] = keep_finite(
                            v[prev] +
                            (v[i] - v[prev]) *
                                ((double)(c->ts[j] - c->ts[prev]) / span));
            }
            prev = i;
            continue;
        }
        if (!c->grid[i])
            continue;
        if (nd->fill == FILL_VALUE)
            v[i] = with; /* NaN (a scalar dropped) fills nothing */
        else if (nd->fill == FILL_REPEAT && prev != c->n)
            v[i] = v[prev];
    }
}

static int
eval_node(const struct evalctx *c, const struct node *nd, double **out)
{
    double *v = NULL, *w = NULL;
    int r;

    *out = NULL;
    switch (nd->kind) {
    case N_ID: {
        const struct sw_datapoint *pts = c->inputs[nd->id];
        size_t n = c->ninputs[nd->id];

        v = malloc(c->n * sizeof(*v));
        if (!v)
            return SW_ENOMEM;
        for (size_t i = 0; i < c->n; i++)
            v[i] = NAN;
        for (size_t i = 0; i < n; i++)
            if (pts[i].ts >= c->start && pts[i].ts < c->end)
                v[find_ts(c, pts[i].ts)] = keep_finite(pts[i].value);
        break;
    }
    case N_NEG:
    case N_ABS:
        r = eval_node(c, nd->a, &v);
        if (r < 0)
            return r;
        for (size_t i = 0; i < c->n; i++)
            v[i] = nd->kind == N_NEG ? -v[i] : fabs(v[i]);
        break;
    case N_FILL:
        r = eval_node(c, nd->a, &v);
        if (r < 0)
            return r;
        fill(c, nd, v);
        break;
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV:
        if (!nd->a->series || !nd->b->series) {
            /* Scalar with series: only the series' own datapoints. */
            const struct node *s = nd->a->series ? nd->a : nd->b;
            double k = scalar(c, nd->a->series ? nd->b : nd->a);

            r = eval_node(c, s, &v);
            if (r < 0)
                return r;
            for (size_t i = 0; i < c->n; i++)
                if (!isnan(v[i]))
                    v[i] = nd->a->series ? apply(nd->kind, v[i], k)
                                         : apply(nd->kind, k, v[i]);
            break;
        }
        r = eval_node(c, nd->a, &v);
        if (r < 0)
            return r;
        r = eval_node(c, nd->b, &w);
        if (r < 0) {
            free(v);
            return r;
        }
        /* "Missing values in a time series are treated as 0": a result
         * wherever at least one side has a value, none where neither has
         * (docs/metric-math.md). */
        for (size_t i = 0; i < c->n; i++) {
            if (isnan(v[i]) && isnan(w[i]))
                continue;
            v[i] =
                apply(nd->kind, isnan(v[i]) ? 0 : v[i], isnan(w[i]) ? 0 : w[i]);
        }
        free(w);
        break;
    default:
        /* Scalars are folded at parse time and read by their parent. */
        return SW_EINTERNAL;
    }
    *out = v;
    return 0;
}

/* build_timeline - the grid of [start, end) plus every in-window input
 * timestamp of the ids E uses, sorted and unique. */
static int
build_timeline(struct evalctx *c, int period_s, char *err, size_t errlen)
{
    const struct sw_expr *e = c->e;
    size_t ngrid = 0, total, n = 0;
    time_t span;

    if (c->end > c->start) {
        /* Checked before anything is allocated: a window of a century
         * of 10 s periods is a caller's bug, not a reason to try. */
        if (__builtin_sub_overflow(c->end, c->start, &span) ||
            span / period_s > SW_EXPR_MAX_GRID)
            ngrid = (size_t)SW_EXPR_MAX_GRID + 1;
        else
            ngrid = (size_t)(span / period_s) + (span % period_s != 0);
        if (ngrid > SW_EXPR_MAX_GRID) {
            sw_err_set(err, errlen, "window holds more than %d periods of %d s",
                       SW_EXPR_MAX_GRID, period_s);
            return SW_ETOOBIG;
        }
    }
    total = ngrid;
    for (size_t i = 0; i < e->nids; i++) {
        if (!e->used[i])
            continue;
        if (c->ninputs[i] && !c->inputs[i]) {
            sw_err_set(err, errlen, "no datapoints given for metric %zu", i);
            return SW_EINVAL;
        }
        for (size_t j = 0; j < c->ninputs[i]; j++)
            if (c->inputs[i][j].ts >= c->start && c->inputs[i][j].ts < c->end)
                total++;
    }
    if (total == 0)
        return 0;
    c->ts = malloc(total * sizeof(*c->ts));
    c->grid = malloc(total);
    if (!c->ts || !c->grid)
        return SW_ENOMEM;
    for (size_t k = 0; k < ngrid; k++)
        c->ts[n++] = c->start + (time_t)k * period_s;
    for (size_t i = 0; i < e->nids; i++) {
        if (!e->used[i])
            continue;
        for (size_t j = 0; j < c->ninputs[i]; j++)
            if (c->inputs[i][j].ts >= c->start && c->inputs[i][j].ts < c->end)
                c->ts[n++] = c->inputs[i][j].ts;
    }
    qsort(c->ts, n, sizeof(*c->ts), cmp_time);
    c->n = 0;
    for (size_t k = 0; k < n; k++)
        if (c->n == 0 || c->ts[k] != c->ts[c->n - 1])
            c->ts[c->n++] = c->ts[k];
    for (size_t k = 0; k < c->n; k++)
        c->grid[k] = (c->ts[k] - c->start) % period_s == 0;
    return 0;
}

int
sw_expr_eval(const struct sw_expr *e, const struct sw_datapoint *const *inputs,
             const size_t *ninputs, time_t start, time_t end, int period_s,
             struct sw_datapoint **out, size_t *nout, char *err, size_t errlen)
{
    return sw_expr_eval_vars(e, NULL, inputs, ninputs, start, end, period_s,
                             out, nout, err, errlen);
}

int
sw_expr_eval_vars(const struct sw_expr *e, const struct sw_expr_vars *vars,
                  const struct sw_datapoint *const *inputs,
                  const size_t *ninputs, time_t start, time_t end, int period_s,
                  struct sw_datapoint **out, size_t *nout, char *err,
                  size_t errlen)
{
    struct evalctx c;
    struct sw_datapoint *res = NULL;
    double *v = NULL;
    size_t count = 0;
    int r = SW_EINVAL;

    if (out)
        *out = NULL;
    if (nout)
        *nout = 0;
    if (err && errlen)
        err[0] = '\0';
    memset(&c, 0, sizeof(c));
    if (!e || !e->root || !out || !nout || !inputs || !ninputs) {
        sw_err_set(err, errlen, "invalid arguments");
        goto out;
    }
    if (period_s <= 0 || end < start) {
        sw_err_set(err, errlen, "invalid window [%lld, %lld) of %d s",
                   (long long)start, (long long)end, period_s);
        goto out;
    }
    if (e->shards) {
        /* Never a default: a guessed shard count is a wrong alarm. */
        if (!vars || !vars->shards_known) {
            sw_err_set(err, errlen,
                       "the expression uses SHARDS and the stream's shard "
                       "count is not known");
            goto out;
        }
        if (!isfinite(vars->shards) || vars->shards < 0) {
            sw_err_set(err, errlen, "SHARDS must be a number >= 0");
            goto out;
        }
        c.shards = vars->shards;
    }
    c.e = e;
    c.inputs = inputs;
    c.ninputs = ninputs;
    c.start = start;
    c.end = end;
    r = build_timeline(&c, period_s, err, errlen);
    if (r < 0 || c.n == 0)
        goto out;
    r = eval_node(&c, e->root, &v);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < c.n; i++)
        count += !isnan(v[i]);
    if (count) {
        r = SW_ENOMEM;
        res = malloc(count * sizeof(*res));
        if (!res)
            goto out;
        count = 0;
        for (size_t i = 0; i < c.n; i++) {
            if (isnan(v[i]))
                continue;
            res[count].ts = c.ts[i];
            res[count].value = v[i];
            res[count].sample_count = -1;
            count++;
        }
    }
    *out = res;
    *nout = count;
    res = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    free(res);
    free(v);
    free(c.ts);
    free(c.grid);
    return r;
}

/* ---- SHARDS as a constant ---- */

int
sw_expr_format_shards(double shards, char *out, size_t size)
{
    int n;

    if (!out || !size || !isfinite(shards) || shards < 0)
        return SW_EINVAL;
    /* A shard count is a whole number: print it as one ("4", never
     * "4.0" or "4e+00"); anything else with every digit it has. */
    if (shards == floor(shards) && shards < 1e15)
        n = snprintf(out, size, "%.0f", shards);
    else
        n = snprintf(out, size, "%.17g", shards);
    return n < 0 || (size_t)n >= size ? SW_ETOOBIG : 0;
}

int
sw_expr_subst_shards(const char *text, double shards, char **out, char *err,
                     size_t errlen)
{
    struct parser p;
    char num[SW_EXPR_NUM_BUF];
    char *res = NULL;
    size_t len, numlen, cap, n = 0, from = 0;
    int r = SW_EINVAL;

    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!text || !out) {
        sw_err_set(err, errlen, "invalid arguments");
        goto out;
    }
    if (sw_expr_format_shards(shards, num, sizeof(num)) < 0) {
        sw_err_set(err, errlen, "SHARDS must be a number >= 0");
        goto out;
    }
    numlen = strlen(num);
    len = strnlen(text, SW_EXPR_MAX_LEN + 1);
    if (len > SW_EXPR_MAX_LEN) {
        sw_err_set(err, errlen, "expression longer than %d characters",
                   SW_EXPR_MAX_LEN);
        goto out;
    }
    /* Token by token with the parser's own lexer, so that SHARDS is only
     * ever the word itself: never a part of "SHARDSX" or of a metric id.
     * Every other byte is copied as it is. */
    memset(&p, 0, sizeof(p));
    p.s = text;
    p.len = len;
    p.err = err;
    p.errlen = errlen;
    cap = len + 1 + (len / 6 + 1) * numlen;
    res = malloc(cap);
    if (!res) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    for (;;) {
        r = next(&p);
        if (r < 0)
            goto out;
        if (p.tok.kind == T_END)
            break;
        if (p.tok.kind != T_WORD || !tok_is(&p, "SHARDS"))
            continue;
        memcpy(res + n, text + from, p.tok.pos - from);
        n += p.tok.pos - from;
        memcpy(res + n, num, numlen);
        n += numlen;
        from = p.tok.pos + p.tok.len;
    }
    memcpy(res + n, text + from, len - from);
    n += len - from;
    res[n] = '\0';
    if (n > SW_EXPR_MAX_LEN) {
        sw_err_set(err, errlen,
                   "expression longer than %d characters once SHARDS is %s",
                   SW_EXPR_MAX_LEN, num);
        r = SW_ETOOBIG;
        goto out;
    }
    *out = res;
    res = NULL;
    r = 0;
out:
    free(res);
    return r;
}
