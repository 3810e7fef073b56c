/* lib/strv.c - vectors of owned strings; see strv.h. */
#include "config.h"

#include "lib/strv.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"

void
sw_strv_release(struct sw_strv *sv)
{
    if (!sv)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

int
sw_strv_push(struct sw_strv *sv, const char *s)
{
    char **nv;
    char *c = sw_strdup(s);

    if (!c)
        return SW_ENOMEM;
    nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
    if (!nv) {
        free(c);
        return SW_ENOMEM;
    }
    nv[sv->n++] = c;
    sv->v = nv;
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sw_strv_sort_unique(struct sw_strv *sv)
{
    size_t k = 0;

    if (!sv || sv->n < 2)
        return;
    qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
    for (size_t i = 0; i < sv->n; i++) {
        if (k && !strcmp(sv->v[k - 1], sv->v[i])) {
            free(sv->v[i]);
            continue;
        }
        sv->v[k++] = sv->v[i];
    }
    sv->n = k;
}
