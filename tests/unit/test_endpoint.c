/* tests/unit/test_endpoint.c - partitions, default URLs, endpoint
 * precedence, URL validation and region long names (aws/endpoint). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aws/endpoint.h"
#include "lib/err.h"

/* An injected environment / profile: NULL-terminated name/value pairs. */
struct kv {
    const char *service; /* profile only: NULL for top-level keys */
    const char *name;
    const char *value;
};

static const char *
fake_env(const char *name, void *arg)
{
    for (const struct kv *p = arg; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

static const char *
fake_profile(const char *service, const char *key, void *arg)
{
    for (const struct kv *p = arg; p && p->name; p++) {
        if ((service == NULL) != (p->service == NULL))
            continue;
        if (service && strcmp(service, p->service) != 0)
            continue;
        if (strcmp(p->name, key) == 0)
            return p->value;
    }
    return NULL;
}

static int
resolve(enum sw_aws_service svc, const char *region, const char *config,
        const struct kv *env, const struct kv *prof, char *url, size_t urllen,
        const char **origin)
{
    struct sw_endpoint_src src;
    char err[256];

    memset(&src, 0, sizeof(src));
    src.config_endpoint = config;
    src.env = fake_env;
    src.env_arg = (void *)env;
    src.profile = fake_profile;
    src.profile_arg = (void *)prof;
    return sw_endpoint_resolve(svc, region, &src, url, urllen, origin, err,
                               sizeof(err));
}

static void
test_partitions(void **state)
{
    static const struct {
        const char *region, *id, *dns;
    } cases[] = {
        {"us-east-1", "aws", "amazonaws.com"},
        {"ap-northeast-1", "aws", "amazonaws.com"},
        {"eu-central-2", "aws", "amazonaws.com"},
        {"il-central-1", "aws", "amazonaws.com"},
        {"mx-central-1", "aws", "amazonaws.com"},
        /* A future region of a known shape. */
        {"ap-southeast-9", "aws", "amazonaws.com"},
        {"cn-north-1", "aws-cn", "amazonaws.com.cn"},
        {"cn-northwest-1", "aws-cn", "amazonaws.com.cn"},
        {"cn-south-7", "aws-cn", "amazonaws.com.cn"},
        {"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
        {"us-gov-east-1", "aws-us-gov", "amazonaws.com"},
        {"eusc-de-east-1", "aws-eusc", "amazonaws.eu"},
        {"eusc-de-west-2", "aws-eusc", "amazonaws.eu"},
        {"us-iso-east-1", "aws-iso", "c2s.ic.gov"},
        {"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"},
        {"eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"},
        {"us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"},
        {"aws-global", "aws", "amazonaws.com"},
        {"aws-cn-global", "aws-cn", "amazonaws.com.cn"},
        /* Unknown shapes fall back to "aws", as botocore does. */
        {"local", "aws", "amazonaws.com"},
        {"xx-east-1", "aws", "amazonaws.com"},
        {"us-east", "aws", "amazonaws.com"},
        {"us-east-1a", "aws", "amazonaws.com"},
        {"eusc-fr-east-1", "aws", "amazonaws.com"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct sw_partition *p = sw_endpoint_partition(cases[i].region);
        assert_non_null(p);
        assert_string_equal(p->id, cases[i].id);
        assert_string_equal(p->dns_suffix, cases[i].dns);
    }
    assert_string_equal(sw_endpoint_partition(NULL)->id, "aws");
    assert_string_equal(
        sw_endpoint_partition("cn-north-1")->dualstack_dns_suffix,
        "api.amazonwebservices.com.cn");
    assert_string_equal(sw_endpoint_partition("cn-north-1")->global_region,
                        "cn-northwest-1");
}

static void
test_region_valid(void **state)
{
    char longest[64], too_long[65];

    (void)state;
    memset(longest, 'a', 63);
    longest[63] = '\0';
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    assert_true(sw_region_valid("us-east-1"));
    assert_true(sw_region_valid("local"));
    assert_true(sw_region_valid(longest));
    assert_false(sw_region_valid(too_long));
    assert_false(sw_region_valid(""));
    assert_false(sw_region_valid(NULL));
    assert_false(sw_region_valid("US-EAST-1"));
    assert_false(sw_region_valid("us_east_1"));
    assert_false(sw_region_valid("us-east-1 "));
    assert_false(sw_region_valid("us-east-1.evil.com"));
    assert_false(sw_region_valid("us/east"));
}

static void
test_default_urls(void **state)
{
    char url[SW_ENDPOINT_URL_MAX];

    (void)state;
    assert_int_equal(
        sw_endpoint_default(SW_SVC_MONITORING, "us-east-1", url, sizeof(url)),
        0);
    assert_string_equal(url, "https://monitoring.us-east-1.amazonaws.com");
    assert_int_equal(sw_endpoint_default(SW_SVC_MONITORING, "ap-northeast-1",
                                         url, sizeof(url)),
                     0);
    assert_string_equal(url, "https://monitoring.ap-northeast-1.amazonaws.com");
    assert_int_equal(
        sw_endpoint_default(SW_SVC_MONITORING, "cn-north-1", url, sizeof(url)),
        0);
    assert_string_equal(url, "https://monitoring.cn-north-1.amazonaws.com.cn");
    assert_int_equal(sw_endpoint_default(SW_SVC_MONITORING, "us-gov-west-1",
                                         url, sizeof(url)),
                     0);
    assert_string_equal(url, "https://monitoring.us-gov-west-1.amazonaws.com");
    assert_int_equal(sw_endpoint_default(SW_SVC_MONITORING, "eusc-de-east-1",
                                         url, sizeof(url)),
                     0);
    assert_string_equal(url, "https://monitoring.eusc-de-east-1.amazonaws.eu");
    assert_int_equal(
        sw_endpoint_default(SW_SVC_SNS, "ap-northeast-1", url, sizeof(url)), 0);
    assert_string_equal(url, "https://sns.ap-northeast-1.amazonaws.com");
    assert_int_equal(
        sw_endpoint_default(SW_SVC_SNS, "cn-north-1", url, sizeof(url)), 0);
    assert_string_equal(url, "https://sns.cn-north-1.amazonaws.com.cn");
    assert_int_equal(
        sw_endpoint_default(SW_SVC_STS, "us-east-1", url, sizeof(url)), 0);
    assert_string_equal(url, "https://sts.us-east-1.amazonaws.com");
    assert_int_equal(
        sw_endpoint_default(SW_SVC_KINESIS, "eu-west-1", url, sizeof(url)), 0);
    assert_string_equal(url, "https://kinesis.eu-west-1.amazonaws.com");

    assert_int_equal(
        sw_endpoint_default(SW_SVC_SNS, "Bad Region", url, sizeof(url)),
        SW_EINVAL);
    assert_int_equal(
        sw_endpoint_default(SW_SVC_COUNT, "us-east-1", url, sizeof(url)),
        SW_EINVAL);
    assert_int_equal(sw_endpoint_default(SW_SVC_SNS, "us-east-1", url, 10),
                     SW_ETOOBIG);
}

static void
test_service_names(void **state)
{
    (void)state;
    assert_string_equal(sw_endpoint_signing_name(SW_SVC_MONITORING),
                        "monitoring");
    assert_string_equal(sw_endpoint_signing_name(SW_SVC_SNS), "sns");
    assert_string_equal(sw_endpoint_signing_name(SW_SVC_STS), "sts");
    assert_string_equal(sw_endpoint_signing_name(SW_SVC_KINESIS), "kinesis");
    assert_string_equal(sw_endpoint_env_name(SW_SVC_MONITORING),
                        "AWS_ENDPOINT_URL_CLOUDWATCH");
    assert_string_equal(sw_endpoint_env_name(SW_SVC_KINESIS),
                        "AWS_ENDPOINT_URL_KINESIS");
    assert_string_equal(sw_endpoint_service_id(SW_SVC_MONITORING),
                        "cloudwatch");
    assert_string_equal(sw_endpoint_prefix(SW_SVC_MONITORING), "monitoring");
    assert_null(sw_endpoint_signing_name(SW_SVC_COUNT));
    assert_null(sw_endpoint_env_name((enum sw_aws_service) - 1));
}

static void
test_precedence(void **state)
{
    static const struct kv env_all[] = {
        {NULL, "AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw-env:1"},
        {NULL, "AWS_ENDPOINT_URL", "http://all-env:2"},
        {NULL, NULL, NULL},
    };
    static const struct kv env_global[] = {
        {NULL, "AWS_ENDPOINT_URL", "http://all-env:2/"},
        {NULL, "AWS_ENDPOINT_URL_CLOUDWATCH", ""}, /* empty is unset */
        {NULL, NULL, NULL},
    };
    static const struct kv prof_all[] = {
        {"cloudwatch", "endpoint_url", "http://cw-prof:3"},
        {NULL, "endpoint_url", "http://all-prof:4"},
        {NULL, NULL, NULL},
    };
    static const struct kv prof_top[] = {
        {"sns", "endpoint_url", "http://sns-prof:5"},
        {NULL, "endpoint_url", "http://all-prof:4"},
        {NULL, NULL, NULL},
    };
    static const struct kv env_ignore[] = {
        {NULL, "AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw-env:1"},
        {NULL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"},
        {NULL, NULL, NULL},
    };
    static const struct kv env_noignore[] = {
        {NULL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"},
        {NULL, NULL, NULL},
    };
    static const struct kv prof_ignore[] = {
        {NULL, "ignore_configured_endpoint_urls", "true"},
        {NULL, "endpoint_url", "http://all-prof:4"},
        {NULL, NULL, NULL},
    };
    char url[SW_ENDPOINT_URL_MAX];
    const char *origin;

    (void)state;
    /* 1. the config's endpoint beats everything. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1",
                             "https://cfg.example:8443/", env_all, prof_all,
                             url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "https://cfg.example:8443");
    assert_string_equal(origin, "aws.endpoint");
    /* 2. the service's variable. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1", NULL, env_all,
                             prof_all, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://cw-env:1");
    assert_string_equal(origin, "AWS_ENDPOINT_URL_CLOUDWATCH");
    /* 3. the global variable, for a service without its own. */
    assert_int_equal(resolve(SW_SVC_SNS, "ap-northeast-1", "", env_all,
                             prof_all, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://all-env:2");
    assert_string_equal(origin, "AWS_ENDPOINT_URL");
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1", NULL,
                             env_global, prof_all, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://all-env:2");
    /* 4. the profile's services section. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1", NULL, NULL,
                             prof_all, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://cw-prof:3");
    assert_string_equal(origin, "profile services endpoint_url");
    /* 5. the profile's endpoint_url. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1", NULL, NULL,
                             prof_top, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://all-prof:4");
    assert_string_equal(origin, "profile endpoint_url");
    assert_int_equal(resolve(SW_SVC_SNS, "ap-northeast-1", NULL, NULL, prof_top,
                             url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://sns-prof:5");
    /* 6. the default. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "ap-northeast-1", NULL, NULL,
                             NULL, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "https://monitoring.ap-northeast-1.amazonaws.com");
    assert_string_equal(origin, "default");
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, "cn-north-1", NULL, url,
                                         sizeof(url), NULL, NULL, 0),
                     0);
    assert_string_equal(url, "https://sts.cn-north-1.amazonaws.com.cn");

    /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips 2-5 but not the config. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "us-east-1", NULL, env_ignore,
                             prof_all, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "https://monitoring.us-east-1.amazonaws.com");
    assert_int_equal(resolve(SW_SVC_MONITORING, "us-east-1",
                             "http://127.0.0.1:4566", env_ignore, prof_all, url,
                             sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://127.0.0.1:4566");
    /* ...and the profile's ignore_configured_endpoint_urls too, unless
     * the environment says otherwise. */
    assert_int_equal(resolve(SW_SVC_MONITORING, "us-east-1", NULL, NULL,
                             prof_ignore, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "https://monitoring.us-east-1.amazonaws.com");
    assert_int_equal(resolve(SW_SVC_MONITORING, "us-east-1", NULL, env_noignore,
                             prof_ignore, url, sizeof(url), &origin),
                     0);
    assert_string_equal(url, "http://all-prof:4");
}

static void
test_resolve_errors(void **state)
{
    static const struct kv env_bad[] = {
        {NULL, "AWS_ENDPOINT_URL_SNS", "ftp://sns.example"},
        {NULL, NULL, NULL},
    };
    struct sw_endpoint_src src;
    char url[SW_ENDPOINT_URL_MAX], err[256];
    const char *origin = "x";

    (void)state;
    memset(&src, 0, sizeof(src));
    src.env = fake_env;
    src.env_arg = (void *)env_bad;
    assert_int_equal(sw_endpoint_resolve(SW_SVC_SNS, "us-east-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
    assert_null(origin);
    assert_non_null(strstr(err, "AWS_ENDPOINT_URL_SNS"));
    assert_non_null(strstr(err, "ftp://sns.example"));
    /* The other services are not affected. */
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, "us-east-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     0);
    src.config_endpoint = "http://a b";
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, "us-east-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "aws.endpoint"));
    /* The offending value is shown without its control characters. */
    src.config_endpoint = "http://x\r\nInjected: 1";
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, "us-east-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
    assert_null(strchr(err, '\r'));
    assert_null(strchr(err, '\n'));
    src.config_endpoint = NULL;
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, "US-EAST-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "region"));
    assert_int_equal(sw_endpoint_resolve(SW_SVC_STS, NULL, &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_endpoint_resolve(SW_SVC_COUNT, "us-east-1", &src, url,
                                         sizeof(url), &origin, err,
                                         sizeof(err)),
                     SW_EINVAL);
}

static void
test_check_url(void **state)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        {"https://monitoring.example.internal",
         "https://monitoring.example.internal"},
        {"https://monitoring.example.internal/",
         "https://monitoring.example.internal"},
        {"http://127.0.0.1:4566/", "http://127.0.0.1:4566"},
        {"HTTP://LocalHost:8080", "http://LocalHost:8080"},
        {"HTTPS://h", "https://h"},
        {"http://[::1]:4566/", "http://[::1]:4566"},
        {"http://[fd00:ec2::23]", "http://[fd00:ec2::23]"},
        {"https://vpce-0abc.monitoring.us-east-1.vpce.amazonaws.com",
         "https://vpce-0abc.monitoring.us-east-1.vpce.amazonaws.com"},
        {"http://proxy.internal/aws/cloudwatch/",
         "http://proxy.internal/aws/cloudwatch"},
        {"http://h:65535", "http://h:65535"},
        {"http://h//", "http://h/"},
    };
    static const char *const bad[] = {
        "",
        "monitoring.example.com",
        "ftp://h",
        "file:///etc/passwd",
        "gopher://h",
        "https://",
        "https:///path",
        "https://:443",
        "http://user:pass@h",
        "http://user@h/",
        "http://h/?x=1",
        "http://h?x=1",
        "http://h/#frag",
        "http://h/a b",
        " http://h",
        "http://h\r\nX-Injected: 1",
        "http://h\n",
        "http://h\t",
        "http://h:",
        "http://h:0",
        "http://h:65536",
        "http://h:80x",
        "http://h:-1",
        "http://h:+80",
        "http://[::1",
        "http://[]",
        "http://[::1]x",
        "http://[g::1]",
        "http://h%2e/",
        "http://h\xc3\xa9/",
        "http://h!/",
    };
    char out[SW_ENDPOINT_URL_MAX], err[128];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        err[0] = '\0';
        assert_int_equal(sw_endpoint_check_url(good[i].in, out, sizeof(out),
                                               err, sizeof(err)),
                         0);
        assert_string_equal(out, good[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (sw_endpoint_check_url(bad[i], out, sizeof(out), err, sizeof(err)) !=
            SW_EINVAL)
            fail_msg("accepted bad URL '%s'", bad[i]);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(
        sw_endpoint_check_url(NULL, out, sizeof(out), err, sizeof(err)),
        SW_EINVAL);
    /* Output too small. */
    assert_int_equal(
        sw_endpoint_check_url("http://abcdefgh", out, 8, err, sizeof(err)),
        SW_ETOOBIG);
}

static void
test_split_and_host(void **state)
{
    struct sw_url_parts p;
    char host[300];

    (void)state;
    assert_int_equal(
        sw_endpoint_split_url("https://h.example/x/y", &p, NULL, 0), 0);
    assert_true(p.https);
    assert_string_equal(p.host, "h.example");
    assert_int_equal(p.port, 0);
    assert_string_equal(p.path, "/x/y");
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "h.example");

    assert_int_equal(
        sw_endpoint_split_url("http://127.0.0.1:4566", &p, NULL, 0), 0);
    assert_false(p.https);
    assert_int_equal(p.port, 4566);
    assert_string_equal(p.path, "");
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "127.0.0.1:4566");

    /* Default ports are left out of Host, as curl would send it. */
    assert_int_equal(sw_endpoint_split_url("https://h:443/", &p, NULL, 0), 0);
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "h");
    assert_int_equal(sw_endpoint_split_url("http://h:80", &p, NULL, 0), 0);
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "h");
    assert_int_equal(sw_endpoint_split_url("http://h:443", &p, NULL, 0), 0);
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "h:443");

    assert_int_equal(sw_endpoint_split_url("http://[::1]:4566/", &p, NULL, 0),
                     0);
    assert_true(p.ipv6);
    assert_string_equal(p.host, "::1");
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "[::1]:4566");
    assert_int_equal(sw_endpoint_split_url("https://[::1]", &p, NULL, 0), 0);
    assert_int_equal(sw_endpoint_host_header(&p, host, sizeof(host)), 0);
    assert_string_equal(host, "[::1]");
    assert_int_equal(sw_endpoint_host_header(&p, host, 4), SW_ETOOBIG);
}

static void
test_long_names(void **state)
{
    (void)state;
    assert_string_equal(sw_region_long_name("ap-northeast-1"),
                        "Asia Pacific (Tokyo)");
    assert_string_equal(sw_region_long_name("us-east-1"),
                        "US East (N. Virginia)");
    assert_string_equal(sw_region_long_name("eu-central-1"),
                        "Europe (Frankfurt)");
    assert_string_equal(sw_region_long_name("sa-east-1"),
                        "South America (Sao Paulo)");
    assert_string_equal(sw_region_long_name("cn-northwest-1"),
                        "China (Ningxia)");
    assert_string_equal(sw_region_long_name("us-gov-west-1"),
                        "AWS GovCloud (US-West)");
    assert_string_equal(sw_region_long_name("eusc-de-east-1"),
                        "AWS European Sovereign Cloud (Germany)");
    assert_string_equal(sw_region_long_name("ap-southeast-6"),
                        "Asia Pacific (New Zealand)");
    assert_string_equal(sw_region_long_name("ca-west-1"),
                        "Canada West (Calgary)");
    assert_string_equal(sw_region_long_name("mx-central-1"),
                        "Mexico (Central)");
    assert_null(sw_region_long_name("ap-southeast-9"));
    assert_null(sw_region_long_name("aws-global"));
    assert_null(sw_region_long_name(""));
    assert_null(sw_region_long_name(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_region_valid),
        cmocka_unit_test(test_default_urls),
        cmocka_unit_test(test_service_names),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_check_url),
        cmocka_unit_test(test_split_and_host),
        cmocka_unit_test(test_long_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
