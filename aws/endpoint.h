/* aws/endpoint.h - regions, partitions and the endpoint URL of a service.
 *
 * Knows the partitions of botocore's partitions.json (aws, aws-cn,
 * aws-us-gov, aws-eusc, the aws-iso* family) with their DNS suffixes and
 * region long names, and picks the base URL for a service, in the order of
 * the AWS SDKs and Tools Reference Guide, "Service-specific endpoints":
 *
 *   1. the config's aws.endpoint (an explicit setting in the reviewed
 *      config file beats the environment, as the CLI's --endpoint-url
 *      beats AWS_ENDPOINT_URL; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS does not
 *      touch it, as it does not touch --endpoint-url);
 *   2. AWS_ENDPOINT_URL_<SERVICE> (CLOUDWATCH, SNS, STS, KINESIS);
 *   3. AWS_ENDPOINT_URL;
 *   4. endpoint_url in the profile's services section for the service;
 *   5. the profile's endpoint_url;
 *   6. https://<prefix>.<region>.<dnsSuffix>.
 * Steps 2-5 are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the
 * profile's ignore_configured_endpoint_urls) is "true", as in the SDKs.
 * Whatever the URL, requests are signed for the configured region and the
 * service's signing name, never for names derived from the host.
 *
 * Pure: the environment and the profile are read through callbacks, so the
 * tests inject both; no globals, no I/O.  Depends on lib/ and
 * aws/service.h (the service enum it shares with aws/client).
 */
#ifndef SW_AWS_ENDPOINT_H
#define SW_AWS_ENDPOINT_H

#include <stddef.h>

#include "aws/service.h"

#define SW_ENDPOINT_URL_MAX 512
#define SW_REGION_MAX       63

struct sw_partition {
    const char *id;         /* "aws", "aws-cn"... (the ARN partition) */
    const char *dns_suffix; /* "amazonaws.com" */
    const char *dualstack_dns_suffix; /* "api.aws" */
    const char *global_region;        /* implicit global region ("us-east-1") */
};

/* Value of environment variable NAME or NULL (getenv in production). */
typedef const char *sw_endpoint_env_fn(const char *name, void *arg);
/* Value of KEY in the profile (SERVICE NULL), or in the nested block for
 * SERVICE ("cloudwatch", "sns", "sts", "kinesis") of the profile's services
 * section; NULL when unset.  Borrowed. */
typedef const char *sw_endpoint_profile_fn(const char *service, const char *key,
                                           void *arg);

/* Where the resolver looks; every member may be NULL. */
struct sw_endpoint_src {
    const char *config_endpoint; /* aws.endpoint from the config */
    sw_endpoint_env_fn *env;
    void *env_arg;
    sw_endpoint_profile_fn *profile;
    void *profile_arg;
};

/* sw_region_valid - 1 when REGION is 1-63 characters of [a-z0-9-]. */
int sw_region_valid(const char *region);

/* sw_endpoint_partition - the partition of REGION: exact match in a
 * partition's known regions first, then its region pattern (written out by
 * hand, e.g. ^cn\-\w+\-\d+$), else "aws" as botocore falls back.
 * Returns: static, never NULL. */
const struct sw_partition *sw_endpoint_partition(const char *region);

/* sw_region_long_name - "Asia Pacific (Tokyo)" for "ap-northeast-1", or
 * NULL for a region not in the table.  Returns: static. */
const char *sw_region_long_name(const char *region);

/* Per-service names.  Return: static, NULL for an unknown SVC. */
const char *sw_endpoint_signing_name(enum sw_aws_service svc); /* "sns" */
const char *sw_endpoint_prefix(enum sw_aws_service svc);       /* host label */
const char *sw_endpoint_env_name(enum sw_aws_service svc);
/* "AWS_ENDPOINT_URL_CLOUDWATCH" */
const char *sw_endpoint_service_id(enum sw_aws_service svc);
/* services-section key: "cloudwatch" */

/* sw_endpoint_default - "https://monitoring.ap-northeast-1.amazonaws.com"
 * into OUT.  Returns 0; SW_EINVAL (bad region or service) or SW_ETOOBIG. */
int sw_endpoint_default(enum sw_aws_service svc, const char *region, char *out,
                        size_t outlen);

/* sw_endpoint_check_url - validate a configured endpoint URL and write its
 * normal form (one trailing '/' removed) into OUT: scheme http or https
 * (any case, written lower-case), a host (name, IPv4 or [IPv6]), an
 * optional port 1-65535, an optional path; no user info, query, fragment,
 * whitespace or control characters.  Returns 0; SW_EINVAL with ERR saying
 * why; SW_ETOOBIG. */
int sw_endpoint_check_url(const char *url, char *out, size_t outlen, char *err,
                          size_t errlen);

/* The parts of a URL that sw_endpoint_check_url() accepted. */
struct sw_url_parts {
    int https;
    char host[256]; /* without brackets for IPv6 */
    int ipv6;
    long port;                      /* 0: the scheme's default */
    char path[SW_ENDPOINT_URL_MAX]; /* "" or "/x/y" without trailing '/' */
};

/* sw_endpoint_split_url - split a URL (validated as above).
 * Returns 0, SW_EINVAL (ERR says why) or SW_ETOOBIG. */
int sw_endpoint_split_url(const char *url, struct sw_url_parts *out, char *err,
                          size_t errlen);

/* sw_endpoint_host_header - the Host header for P: "host", "host:8080",
 * "[::1]:4566"; the port only when it is not the scheme's default.
 * Returns 0 or SW_ETOOBIG. */
int sw_endpoint_host_header(const struct sw_url_parts *p, char *out,
                            size_t outlen);

/* sw_endpoint_resolve - the base URL for SVC in REGION, by the order at the
 * top of this file.  *ORIGIN (may be NULL) is set to a static description
 * of where it came from ("aws.endpoint", "AWS_ENDPOINT_URL_SNS", "profile
 * services endpoint_url", "profile endpoint_url", "default").
 * Returns 0 and URL filled; SW_EINVAL (invalid region or URL; ERR names
 * the setting), SW_ETOOBIG. */
int sw_endpoint_resolve(enum sw_aws_service svc, const char *region,
                        const struct sw_endpoint_src *src, char *url,
                        size_t urllen, const char **origin, char *err,
                        size_t errlen);

#endif
