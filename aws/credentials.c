/* aws/credentials.c - the credentials value; see credentials.h. */
#include "config.h"

#include "aws/credentials.h"

#include <stdlib.h>

#include "lib/err.h"
#include "lib/secret.h"
#include "lib/str.h"

void
sw_creds_release(struct sw_creds *c)
{
    if (!c)
        return;
    free(c->akid);
    c->akid = NULL;
    sw_secret_release(&c->secret);
    sw_secret_release(&c->token);
    c->expiration = 0;
}

int
sw_creds_copy(struct sw_creds *dst, const struct sw_creds *src)
{
    struct sw_creds t = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};

    t.akid = sw_strdup(src->akid);
    if ((src->akid && !t.akid) || sw_secret_copy(&t.secret, &src->secret) ||
        sw_secret_copy(&t.token, &src->token)) {
        sw_creds_release(&t);
        return SW_ENOMEM;
    }
    t.expiration = src->expiration;
    t.source = src->source;
    *dst = t;
    return 0;
}

int
sw_creds_set(struct sw_creds *out, const char *akid, size_t akid_len,
             const char *secret, size_t secret_len, const char *token,
             size_t token_len, time_t expiration, const char *source)
{
    struct sw_creds c = {NULL, {NULL, 0}, {NULL, 0}, 0, NULL};

    c.akid = sw_strndup(akid, akid_len);
    if (!c.akid || sw_secret_set(&c.secret, secret, secret_len) < 0 ||
        (token && sw_secret_set(&c.token, token, token_len) < 0)) {
        sw_creds_release(&c);
        return SW_ENOMEM;
    }
    c.expiration = expiration;
    c.source = source;
    sw_creds_release(out);
    *out = c;
    return 0;
}
