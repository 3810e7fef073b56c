/* aws/endpoint.c - partitions, region names and endpoint resolution; see
 * endpoint.h. */
#include "config.h"

#include "aws/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/str.h"

enum { P_AWS = 0, P_CN, P_GOV, P_EUSC, P_ISO, P_ISOB, P_ISOE, P_ISOF, P_COUNT };

static const struct sw_partition partitions[P_COUNT] = {
    [P_AWS] = {"aws", "amazonaws.com", "api.aws", "us-east-1"},
    [P_CN] = {"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn",
              "cn-northwest-1"},
    [P_GOV] = {"aws-us-gov", "amazonaws.com", "api.aws", "us-gov-west-1"},
    [P_EUSC] = {"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu",
                "eusc-de-east-1"},
    [P_ISO] = {"aws-iso", "c2s.ic.gov", "api.aws.ic.gov", "us-iso-east-1"},
    [P_ISOB] = {"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud",
                "us-isob-east-1"},
    [P_ISOE] = {"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk",
                "eu-isoe-west-1"},
    [P_ISOF] = {"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov",
                "us-isof-south-1"},
};

/* The partition regexes of botocore's partitions.json all read
 * ^(P1|P2...)\-\w+\-\d+$ with literal prefixes, so a prefix list and one
 * matcher for the
 * "\w+\-\d+" tail replace a regex library. */
struct region_pattern {
    int partition;
    const char *prefix; /* includes the trailing '-' */
};

static const struct region_pattern patterns[] = {
    {P_AWS, "us-"},       {P_AWS, "eu-"},       {P_AWS, "ap-"},
    {P_AWS, "sa-"},       {P_AWS, "ca-"},       {P_AWS, "me-"},
    {P_AWS, "af-"},       {P_AWS, "il-"},       {P_AWS, "mx-"},
    {P_CN, "cn-"},        {P_GOV, "us-gov-"},   {P_EUSC, "eusc-de-"},
    {P_ISO, "us-iso-"},   {P_ISOB, "us-isob-"}, {P_ISOE, "eu-isoe-"},
    {P_ISOF, "us-isof-"},
};

struct region_info {
    const char *code;
    int partition;
    const char *long_name; /* NULL for pseudo-regions */
};

/* partitions.json (botocore 1.43.11). */
static const struct region_info regions[] = {
    {"us-east-1", P_AWS, "US East (N. Virginia)"},
    {"us-east-2", P_AWS, "US East (Ohio)"},
    {"us-west-1", P_AWS, "US West (N. California)"},
    {"us-west-2", P_AWS, "US West (Oregon)"},
    {"af-south-1", P_AWS, "Africa (Cape Town)"},
    {"ap-east-1", P_AWS, "Asia Pacific (Hong Kong)"},
    {"ap-east-2", P_AWS, "Asia Pacific (Taipei)"},
    {"ap-northeast-1", P_AWS, "Asia Pacific (Tokyo)"},
    {"ap-northeast-2", P_AWS, "Asia Pacific (Seoul)"},
    {"ap-northeast-3", P_AWS, "Asia Pacific (Osaka)"},
    {"ap-south-1", P_AWS, "Asia Pacific (Mumbai)"},
    {"ap-south-2", P_AWS, "Asia Pacific (Hyderabad)"},
    {"ap-southeast-1", P_AWS, "Asia Pacific (Singapore)"},
    {"ap-southeast-2", P_AWS, "Asia Pacific (Sydney)"},
    {"ap-southeast-3", P_AWS, "Asia Pacific (Jakarta)"},
    {"ap-southeast-4", P_AWS, "Asia Pacific (Melbourne)"},
    {"ap-southeast-5", P_AWS, "Asia Pacific (Malaysia)"},
    {"ap-southeast-6", P_AWS, "Asia Pacific (New Zealand)"},
    {"ap-southeast-7", P_AWS, "Asia Pacific (Thailand)"},
    {"ca-central-1", P_AWS, "Canada (Central)"},
    {"ca-west-1", P_AWS, "Canada West (Calgary)"},
    {"eu-central-1", P_AWS, "Europe (Frankfurt)"},
    {"eu-central-2", P_AWS, "Europe (Zurich)"},
    {"eu-north-1", P_AWS, "Europe (Stockholm)"},
    {"eu-south-1", P_AWS, "Europe (Milan)"},
    {"eu-south-2", P_AWS, "Europe (Spain)"},
    {"eu-west-1", P_AWS, "Europe (Ireland)"},
    {"eu-west-2", P_AWS, "Europe (London)"},
    {"eu-west-3", P_AWS, "Europe (Paris)"},
    {"il-central-1", P_AWS, "Israel (Tel Aviv)"},
    {"me-central-1", P_AWS, "Middle East (UAE)"},
    {"me-south-1", P_AWS, "Middle East (Bahrain)"},
    {"mx-central-1", P_AWS, "Mexico (Central)"},
    {"sa-east-1", P_AWS, "South America (Sao Paulo)"},
    {"cn-north-1", P_CN, "China (Beijing)"},
    {"cn-northwest-1", P_CN, "China (Ningxia)"},
    {"us-gov-east-1", P_GOV, "AWS GovCloud (US-East)"},
    {"us-gov-west-1", P_GOV, "AWS GovCloud (US-West)"},
    {"eusc-de-east-1", P_EUSC, "AWS European Sovereign Cloud (Germany)"},
    /* Pseudo-regions of the partitions' global endpoints. */
    {"aws-global", P_AWS, NULL},
    {"aws-cn-global", P_CN, NULL},
    {"aws-us-gov-global", P_GOV, NULL},
    {"aws-iso-global", P_ISO, NULL},
    {"aws-iso-b-global", P_ISOB, NULL},
};

struct service_info {
    const char *signing_name;
    const char *prefix;
    const char *env_name;
    const char *service_id;
};

static const struct service_info services[SW_SVC_COUNT] = {
    [SW_SVC_MONITORING] = {"monitoring", "monitoring",
                           "AWS_ENDPOINT_URL_CLOUDWATCH", "cloudwatch"},
    [SW_SVC_SNS] = {"sns", "sns", "AWS_ENDPOINT_URL_SNS", "sns"},
    [SW_SVC_STS] = {"sts", "sts", "AWS_ENDPOINT_URL_STS", "sts"},
    [SW_SVC_KINESIS] = {"kinesis", "kinesis", "AWS_ENDPOINT_URL_KINESIS",
                        "kinesis"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
sw_region_valid(const char *region)
{
    size_t n;

    if (!region)
        return 0;
    n = strlen(region);
    if (n < 1 || n > SW_REGION_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

static int
is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The "\w+\-\d+$" tail of a partition regex.  \w cannot match '-', so
 * the greedy \w+ never has to backtrack. */
static int
match_tail(const char *s)
{
    const char *p = s;

    while (is_word(*p))
        p++;
    if (p == s || *p != '-')
        return 0;
    s = ++p;
    while (isdigit((unsigned char)*p))
        p++;
    return p != s && *p == '\0';
}

static const struct region_info *
find_region(const char *region)
{
    for (size_t i = 0; region && i < NELEM(regions); i++)
        if (strcmp(regions[i].code, region) == 0)
            return &regions[i];
    return NULL;
}

const struct sw_partition *
sw_endpoint_partition(const char *region)
{
    const struct region_info *ri = find_region(region);

    if (ri)
        return &partitions[ri->partition];
    for (size_t i = 0; region && i < NELEM(patterns); i++) {
        size_t n = strlen(patterns[i].prefix);
        if (strncmp(region, patterns[i].prefix, n) == 0 &&
            match_tail(region + n))
            return &partitions[patterns[i].partition];
    }
    return &partitions[P_AWS];
}

const char *
sw_region_long_name(const char *region)
{
    const struct region_info *ri = find_region(region);

    return ri ? ri->long_name : NULL;
}

static const struct service_info *
service(enum sw_aws_service svc)
{
    if ((int)svc < 0 || svc >= SW_SVC_COUNT)
        return NULL;
    return &services[svc];
}

const char *
sw_endpoint_signing_name(enum sw_aws_service svc)
{
    const struct service_info *s = service(svc);

    return s ? s->signing_name : NULL;
}

const char *
sw_endpoint_prefix(enum sw_aws_service svc)
{
    const struct service_info *s = service(svc);

    return s ? s->prefix : NULL;
}

const char *
sw_endpoint_env_name(enum sw_aws_service svc)
{
    const struct service_info *s = service(svc);

    return s ? s->env_name : NULL;
}

const char *
sw_endpoint_service_id(enum sw_aws_service svc)
{
    const struct service_info *s = service(svc);

    return s ? s->service_id : NULL;
}

int
sw_endpoint_default(enum sw_aws_service svc, const char *region, char *out,
                    size_t outlen)
{
    const struct service_info *s = service(svc);
    int n;

    if (!s || !sw_region_valid(region))
        return SW_EINVAL;
    n = snprintf(out, outlen, "https://%s.%s.%s", s->prefix, region,
                 sw_endpoint_partition(region)->dns_suffix);
    if (n < 0 || (size_t)n >= outlen)
        return SW_ETOOBIG;
    return 0;
}

static int
host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* The one parser behind check and split: every rule in endpoint.h. */
static int
parse_url(const char *url, struct sw_url_parts *p, char *err, size_t errlen)
{
    const char *s, *auth_end, *h, *h_end, *port = NULL;
    size_t n, plen;

    memset(p, 0, sizeof(*p));
    if (!url || !*url) {
        sw_err_set(err, errlen, "empty URL");
        return SW_EINVAL;
    }
    for (s = url; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f) {
            sw_err_set(err, errlen,
                       "URL holds a space, control or non-ASCII character");
            return SW_EINVAL;
        }
        if (c == '?' || c == '#') {
            sw_err_set(err, errlen, "URL may not have a query or fragment");
            return SW_EINVAL;
        }
    }
    if (strncasecmp(url, "https://", 8) == 0) {
        p->https = 1;
        s = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        s = url + 7;
    } else {
        sw_err_set(err, errlen, "URL scheme must be http:// or https://");
        return SW_EINVAL;
    }
    auth_end = strchr(s, '/');
    if (!auth_end)
        auth_end = s + strlen(s);
    if (memchr(s, '@', (size_t)(auth_end - s))) {
        sw_err_set(err, errlen, "URL may not hold user info ('user@')");
        return SW_EINVAL;
    }
    if (*s == '[') {
        h = s + 1;
        h_end = memchr(h, ']', (size_t)(auth_end - h));
        if (!h_end || h_end == h) {
            sw_err_set(err, errlen, "bad IPv6 address in URL");
            return SW_EINVAL;
        }
        for (const char *q = h; q < h_end; q++) {
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') {
                sw_err_set(err, errlen, "bad IPv6 address in URL");
                return SW_EINVAL;
            }
        }
        p->ipv6 = 1;
        if (h_end + 1 < auth_end) {
            if (h_end[1] != ':') {
                sw_err_set(err, errlen, "junk after IPv6 address in URL");
                return SW_EINVAL;
            }
            port = h_end + 2;
        }
    } else {
        h = s;
        for (h_end = h; h_end < auth_end && *h_end != ':'; h_end++) {
            if (!host_char(*h_end)) {
                sw_err_set(err, errlen, "bad character in URL host");
                return SW_EINVAL;
            }
        }
        if (h_end < auth_end)
            port = h_end + 1;
    }
    n = (size_t)(h_end - h);
    if (n == 0) {
        sw_err_set(err, errlen, "URL has no host");
        return SW_EINVAL;
    }
    if (n >= sizeof(p->host)) {
        sw_err_set(err, errlen, "URL host too long");
        return SW_ETOOBIG;
    }
    memcpy(p->host, h, n);
    p->host[n] = '\0';
    if (port) {
        char pbuf[8];
        size_t pn = (size_t)(auth_end - port);
        long v;

        if (pn == 0 || pn >= sizeof(pbuf)) {
            sw_err_set(err, errlen, "bad port in URL");
            return SW_EINVAL;
        }
        memcpy(pbuf, port, pn);
        pbuf[pn] = '\0';
        if (sw_parse_long(pbuf, 1, 65535, &v) < 0 ||
            !isdigit((unsigned char)pbuf[0])) {
            sw_err_set(err, errlen, "bad port in URL (1-65535)");
            return SW_EINVAL;
        }
        p->port = v;
    }
    /* One trailing '/' is how people write a base URL
     * ("http://localhost:4566/"); it is not part of the base path. */
    plen = strlen(auth_end);
    if (plen > 0 && auth_end[plen - 1] == '/')
        plen--;
    if (plen >= sizeof(p->path)) {
        sw_err_set(err, errlen, "URL path too long");
        return SW_ETOOBIG;
    }
    memcpy(p->path, auth_end, plen);
    p->path[plen] = '\0';
    return 0;
}

int
sw_endpoint_split_url(const char *url, struct sw_url_parts *out, char *err,
                      size_t errlen)
{
    return parse_url(url, out, err, errlen);
}

int
sw_endpoint_host_header(const struct sw_url_parts *p, char *out, size_t outlen)
{
    int n;
    long defport = p->https ? 443 : 80;

    if (p->port && p->port != defport)
        n = snprintf(out, outlen, p->ipv6 ? "[%s]:%ld" : "%s:%ld", p->host,
                     p->port);
    else
        n = snprintf(out, outlen, p->ipv6 ? "[%s]" : "%s", p->host);
    if (n < 0 || (size_t)n >= outlen)
        return SW_ETOOBIG;
    return 0;
}

int
sw_endpoint_check_url(const char *url, char *out, size_t outlen, char *err,
                      size_t errlen)
{
    struct sw_url_parts p;
    const char *rest;
    size_t n;
    int r, w;

    r = parse_url(url, &p, err, errlen);
    if (r < 0)
        return r;
    /* Rebuild from the original text after the scheme so the host keeps
     * its spelling; only the scheme is normalised. */
    rest = url + (p.https ? 8 : 7);
    n = strlen(rest);
    if (n > 0 && rest[n - 1] == '/')
        n--;
    if (n >= outlen) {
        sw_err_set(err, errlen, "URL too long");
        return SW_ETOOBIG;
    }
    w = snprintf(out, outlen, "%s://%.*s", p.https ? "https" : "http", (int)n,
                 rest);
    if (w < 0 || (size_t)w >= outlen) {
        sw_err_set(err, errlen, "URL too long");
        return SW_ETOOBIG;
    }
    return 0;
}

/* A copy of S for an error message: at most OUTLEN-1 bytes, anything but
 * printable ASCII shown as '?' so a hostile value cannot forge output. */
static void
printable(char *out, size_t outlen, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < outlen; i++)
        out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[i] = '\0';
}

static const char *
nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static const char *
env_get(const struct sw_endpoint_src *src, const char *name)
{
    return src && src->env ? nonempty(src->env(name, src->env_arg)) : NULL;
}

static const char *
profile_get(const struct sw_endpoint_src *src, const char *service,
            const char *key)
{
    if (!src || !src->profile)
        return NULL;
    return nonempty(src->profile(service, key, src->profile_arg));
}

/* The environment variable wins over the profile setting, as in botocore's
 * config chain; anything but "true" (any case) means false. */
static int
ignore_configured(const struct sw_endpoint_src *src)
{
    const char *v = env_get(src, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

    if (!v)
        v = profile_get(src, NULL, "ignore_configured_endpoint_urls");
    return v && strcasecmp(v, "true") == 0;
}

int
sw_endpoint_resolve(enum sw_aws_service svc, const char *region,
                    const struct sw_endpoint_src *src, char *url, size_t urllen,
                    const char **origin, char *err, size_t errlen)
{
    const struct service_info *s = service(svc);
    const char *cand = NULL, *from = "default";
    char why[128];
    int r;

    if (origin)
        *origin = NULL;
    if (!s) {
        sw_err_set(err, errlen, "unknown service");
        return SW_EINVAL;
    }
    if (!sw_region_valid(region)) {
        if (err && errlen)
            snprintf(err, errlen, "invalid region '%.*s' (want [a-z0-9-])",
                     SW_REGION_MAX, region ? region : "");
        return SW_EINVAL;
    }
    if (src && nonempty(src->config_endpoint)) {
        cand = src->config_endpoint;
        from = "aws.endpoint";
    } else if (!ignore_configured(src)) {
        const char *const froms[] = {s->env_name, "AWS_ENDPOINT_URL",
                                     "profile services endpoint_url",
                                     "profile endpoint_url"};
        const char *vals[4];

        vals[0] = env_get(src, s->env_name);
        vals[1] = env_get(src, "AWS_ENDPOINT_URL");
        vals[2] = profile_get(src, s->service_id, "endpoint_url");
        vals[3] = profile_get(src, NULL, "endpoint_url");
        for (size_t i = 0; i < NELEM(vals) && !cand; i++) {
            cand = vals[i];
            from = froms[i];
        }
        if (!cand)
            from = "default";
    }
    if (!cand) {
        r = sw_endpoint_default(svc, region, url, urllen);
        if (r < 0) {
            sw_err_set(err, errlen, "default endpoint URL too long");
            return r;
        }
    } else {
        r = sw_endpoint_check_url(cand, url, urllen, why, sizeof(why));
        if (r < 0) {
            char shown[101];

            printable(shown, sizeof(shown), cand);
            if (err && errlen)
                snprintf(err, errlen, "%s: invalid endpoint URL '%s': %s", from,
                         shown, why);
            return r;
        }
    }
    if (origin)
        *origin = from;
    return 0;
}
