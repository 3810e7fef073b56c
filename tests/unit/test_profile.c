/* tests/unit/test_profile.c - aws/profile: the shared config and
 * credentials files (sections, prefixes, comments, nested blocks,
 * duplicates, precedence, errors, file lookup). */
#include "config.h"

/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/profile.h"
#include "lib/err.h"

static char tmpdir[PATH_MAX];

static const char *
data_dir(void)
{
    const char *d = getenv("SW_TEST_DATA");

    return d && *d ? d : "tests/data";
}

static void
data_path(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/aws/%s", data_dir(), name);

    assert_true(n > 0 && (size_t)n < size);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *
read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void
clear_env(void)
{
    static const char *vars[] = {
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    };

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    /* Never read the real ~/.aws of whoever runs the tests. */
    setenv("HOME", tmpdir, 1);
}

static int
setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

/* parse TEXT as a config (IS_CONFIG) file and select NAME. */
static struct sw_profile *
parse(const char *text, int is_config, const char *name)
{
    struct sw_profile *p = NULL;
    char err[256] = "";
    int r;

    r = sw_profile_parse_buf(text, strlen(text), is_config, "t.ini", name, &p,
                             err, sizeof(err));
    if (r != 0)
        fail_msg("parse failed (%d): %s", r, err);
    assert_non_null(p);
    return p;
}

static void
test_sections(void **state)
{
    struct sw_profile *p;
    const char *cfg = "[default]\nregion = us-east-1\n"
                      "[profile dev]\nregion = eu-west-1\nOutput = json\n";

    (void)state;
    p = parse(cfg, 1, "dev");
    assert_string_equal(sw_profile_name(p), "dev");
    assert_string_equal(sw_profile_get(p, "region"), "eu-west-1");
    /* keys are lower-cased; lookups ignore case */
    assert_string_equal(sw_profile_get(p, "output"), "json");
    assert_string_equal(sw_profile_get(p, "OUTPUT"), "json");
    assert_null(sw_profile_get(p, "missing"));
    assert_int_equal(sw_profile_origin(p, "region"), SW_PROFILE_CONFIG);
    assert_int_equal(sw_profile_origin(p, "missing"), SW_PROFILE_NONE);
    sw_profile_free(p);

    p = parse(cfg, 1, NULL);
    assert_string_equal(sw_profile_name(p), "default");
    assert_string_equal(sw_profile_get(p, "region"), "us-east-1");
    sw_profile_free(p);
    sw_profile_free(NULL);
}

static void
test_prefix_rules(void **state)
{
    struct sw_profile *p = NULL;
    char err[256];
    const char *cfg = "[dev]\nregion = a\n"
                      "[profile  spaced  ]\nregion = b\n"
                      "[profile \"my name\"]\nregion = c\n"
                      "[profilex]\nregion = d\n"
                      "[profile default]\noutput = text\n"
                      "[profile a b]\nregion = e\n";
    const char *crd = "[profile dev]\nregion = f\n[dev]\nregion = g\n";

    (void)state;
    /* config: "[dev]" is not profile dev */
    assert_int_equal(sw_profile_parse_buf(cfg, strlen(cfg), 1, "config", "dev",
                                          &p, err, sizeof(err)),
                     SW_ENOENT);
    assert_null(p);
    assert_string_equal(err, "profile 'dev' not found in config");
    p = parse(cfg, 1, "spaced");
    assert_string_equal(sw_profile_get(p, "region"), "b");
    sw_profile_free(p);
    p = parse(cfg, 1, "my name");
    assert_string_equal(sw_profile_get(p, "region"), "c");
    sw_profile_free(p);
    /* "[profilex]" and three-word headers are no profiles (shlex) */
    assert_int_equal(sw_profile_parse_buf(cfg, strlen(cfg), 1, "config", "x",
                                          &p, err, sizeof(err)),
                     SW_ENOENT);
    assert_int_equal(sw_profile_parse_buf(cfg, strlen(cfg), 1, "config", "a b",
                                          &p, err, sizeof(err)),
                     SW_ENOENT);
    /* "[profile default]" is the default profile too */
    p = parse(cfg, 1, "default");
    assert_string_equal(sw_profile_get(p, "output"), "text");
    sw_profile_free(p);
    /* credentials: the header is the name as written */
    p = parse(crd, 0, "dev");
    assert_string_equal(sw_profile_get(p, "region"), "g");
    assert_int_equal(sw_profile_origin(p, "region"), SW_PROFILE_CREDENTIALS);
    sw_profile_free(p);
    p = parse(crd, 0, "profile dev");
    assert_string_equal(sw_profile_get(p, "region"), "f");
    sw_profile_free(p);
    /* the implicit default may be missing: an empty profile */
    p = parse(crd, 0, NULL);
    assert_null(sw_profile_get(p, "region"));
    sw_profile_free(p);
    /* an explicit "default" must exist */
    assert_int_equal(sw_profile_parse_buf(crd, strlen(crd), 0, "c", "default",
                                          &p, err, sizeof(err)),
                     SW_ENOENT);
}

static void
test_comments_whitespace(void **state)
{
    struct sw_profile *p;
    const char *cfg = "\xef\xbb\xbf# leading comment\r\n"
                      "; another\r\n"
                      "[default]   # header comment\r\n"
                      "   # indented comment\r\n"
                      "region=us-west-2 # trailing\r\n"
                      "output =   json ; trailing too\r\n"
                      "hash = a#b;c\r\n"
                      "tabbed\t=\tvalue\t\r\n"
                      "empty =\r\n"
                      "colon: yes\r\n"
                      "url = http://h:1/p\r\n"
                      "\r\n";

    (void)state;
    p = parse(cfg, 1, "default");
    assert_string_equal(sw_profile_get(p, "region"), "us-west-2");
    assert_string_equal(sw_profile_get(p, "output"), "json");
    /* no blank before the mark: part of the value */
    assert_string_equal(sw_profile_get(p, "hash"), "a#b;c");
    assert_string_equal(sw_profile_get(p, "tabbed"), "value");
    assert_string_equal(sw_profile_get(p, "empty"), "");
    /* configparser also splits on ':' (the first delimiter wins) */
    assert_string_equal(sw_profile_get(p, "colon"), "yes");
    assert_string_equal(sw_profile_get(p, "url"), "http://h:1/p");
    sw_profile_free(p);
}

static void
test_nested_services(void **state)
{
    struct sw_profile *p;
    const char *cfg = "[profile kds]\n"
                      "region = ap-northeast-1\n"
                      "services = emu\n"
                      "s3 =\n"
                      "  max_concurrent_requests = 10\n"
                      "multi = first\n"
                      "  second\n"
                      "\n"
                      "  third\n"
                      "after = x\n"
                      "[services emu]\n"
                      "cloudwatch =\n"
                      "  endpoint_url = http://127.0.0.1:4566\n"
                      "\n"
                      "  # comment in the block\n"
                      "  Region = us-east-1\n"
                      "sns =\n"
                      "\tendpoint_url = http://127.0.0.1:4567\n"
                      "[services other]\n"
                      "cloudwatch =\n"
                      "  endpoint_url = http://wrong\n";

    (void)state;
    p = parse(cfg, 1, "kds");
    assert_string_equal(sw_profile_get(p, "region"), "ap-northeast-1");
    /* a nested block is not a string value */
    assert_null(sw_profile_get(p, "s3"));
    assert_int_equal(sw_profile_origin(p, "s3"), SW_PROFILE_NONE);
    /* continuation lines join with newlines, inner blank lines kept */
    assert_string_equal(sw_profile_get(p, "multi"), "first\nsecond\n\nthird");
    assert_string_equal(sw_profile_get(p, "after"), "x");
    assert_string_equal(sw_profile_service_get(p, "cloudwatch", "endpoint_url"),
                        "http://127.0.0.1:4566");
    assert_string_equal(sw_profile_service_get(p, "cloudwatch", "region"),
                        "us-east-1");
    assert_string_equal(sw_profile_service_get(p, "sns", "endpoint_url"),
                        "http://127.0.0.1:4567");
    assert_null(sw_profile_service_get(p, "sts", "endpoint_url"));
    assert_null(sw_profile_service_get(p, "sns", "region"));
    sw_profile_free(p);

    /* no "services =" in the profile: no service settings */
    p = parse("[default]\n[services emu]\nsns =\n  endpoint_url = x\n", 1,
              "default");
    assert_null(sw_profile_service_get(p, "sns", "endpoint_url"));
    sw_profile_free(p);
}

static void
test_duplicates(void **state)
{
    struct sw_profile *p;
    const char *cfg = "[profile d]\n"
                      "region = a\n"
                      "REGION = b\n"
                      "output = json\n"
                      "[default]\n"
                      "region = other\n"
                      "[profile d]\n"
                      "output = text\n"
                      "extra = 1\n"
                      "[profile   d]\n"
                      "extra = 2\n";

    (void)state;
    p = parse(cfg, 1, "d");
    assert_string_equal(sw_profile_get(p, "region"), "b");
    assert_string_equal(sw_profile_get(p, "output"), "text");
    assert_string_equal(sw_profile_get(p, "extra"), "2");
    sw_profile_free(p);
}

static void
test_errors(void **state)
{
    static const char *cases[] = {
        "bad_outside", "bad_header", "bad_empty_header",
        "bad_novalue", "bad_nokey",  "bad_nested",
    };
    char path[PATH_MAX], name[64], err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_profile *p = NULL;
        size_t len, elen;
        char *text, *want;

        (void)snprintf(name, sizeof(name), "%s.ini", cases[i]);
        data_path(path, sizeof(path), name);
        text = read_whole(path, &len);
        (void)snprintf(name, sizeof(name), "%s.err", cases[i]);
        data_path(path, sizeof(path), name);
        want = read_whole(path, &elen);
        if (elen && want[elen - 1] == '\n')
            want[elen - 1] = '\0';
        (void)snprintf(name, sizeof(name), "%s.ini", cases[i]);
        err[0] = '\0';
        assert_int_equal(sw_profile_parse_buf(text, len, 1, name, "default", &p,
                                              err, sizeof(err)),
                         SW_EPARSE);
        assert_null(p);
        assert_string_equal(err, want);
        free(text);
        free(want);
    }
}

static void
test_nul_and_limits(void **state)
{
    struct sw_profile *p = NULL;
    char err[256];
    const char text[] = "[default]\nregion = a\0b\n";
    char *big;
    size_t n = 0;

    (void)state;
    assert_int_equal(sw_profile_parse_buf(text, sizeof(text) - 1, 1, "f",
                                          "default", &p, err, sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "f:2: NUL byte in line");
    /* more than 512 distinct keys in one section */
    big = malloc(600 * 16 + 16);
    assert_non_null(big);
    n += (size_t)snprintf(big, 16, "[default]\n");
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(big + n, 16, "k%d = v\n", i);
    assert_int_equal(
        sw_profile_parse_buf(big, n, 1, "f", "default", &p, err, sizeof(err)),
        SW_ETOOBIG);
    assert_string_equal(err, "f:514: more than 512 keys in one section");
    free(big);
    /* NULL err is fine */
    assert_int_equal(
        sw_profile_parse_buf("x", 1, 1, "f", "default", &p, NULL, 0),
        SW_EPARSE);
}

static void
use_fixtures(void)
{
    char path[PATH_MAX];

    data_path(path, sizeof(path), "config");
    setenv("AWS_CONFIG_FILE", path, 1);
    data_path(path, sizeof(path), "credentials");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
}

static void
test_load_precedence(void **state)
{
    struct sw_profile *p = NULL;
    char err[256];

    (void)state;
    use_fixtures();
    assert_int_equal(sw_profile_load("kds-agent", &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_name(p), "kds-agent");
    /* from the config file */
    assert_string_equal(sw_profile_get(p, "region"), "ap-northeast-1");
    assert_int_equal(sw_profile_origin(p, "region"), SW_PROFILE_CONFIG);
    assert_string_equal(sw_profile_get(p, "credential_process"),
                        "/usr/local/bin/helper --flag \"a b\"");
    assert_string_equal(sw_profile_get(p, "note"), "a#b;c\ncontinued line");
    /* the credentials file wins for the same key */
    assert_string_equal(sw_profile_get(p, "aws_access_key_id"),
                        "AKIACREDSFILE00001");
    assert_int_equal(sw_profile_origin(p, "aws_access_key_id"),
                     SW_PROFILE_CREDENTIALS);
    assert_string_equal(sw_profile_get(p, "aws_secret_access_key"),
                        "creds-secret");
    assert_string_equal(sw_profile_get(p, "aws_session_token"), "creds-token");
    assert_string_equal(sw_profile_service_get(p, "cloudwatch", "endpoint_url"),
                        "http://127.0.0.1:4566");
    assert_string_equal(
        sw_profile_service_get(p, "cloudwatch", "signature_version"), "v4");
    sw_profile_free(p);

    assert_int_equal(sw_profile_load("quoted name", &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_get(p, "region"), "eu-west-1");
    sw_profile_free(p);

    /* the default profile merges both files */
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_get(p, "aws_access_key_id"),
                        "AKIADEFAULT0000001");
    assert_string_equal(sw_profile_get(p, "region"), "us-east-1");
    sw_profile_free(p);

    assert_int_equal(sw_profile_load("nope", &p, err, sizeof(err)), SW_ENOENT);
    assert_null(p);
    assert_non_null(strstr(err, "profile 'nope' not found in "));
}

static void
test_env_selection(void **state)
{
    struct sw_profile *p = NULL;
    char err[256];

    (void)state;
    use_fixtures();
    setenv("AWS_DEFAULT_PROFILE", "spaced", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_name(p), "spaced");
    assert_string_equal(sw_profile_get(p, "retry_mode"), "standard");
    sw_profile_free(p);
    /* AWS_PROFILE wins over AWS_DEFAULT_PROFILE */
    setenv("AWS_PROFILE", "kds-agent", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_name(p), "kds-agent");
    sw_profile_free(p);
    /* an explicit name wins over both */
    assert_int_equal(sw_profile_load("default", &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_name(p), "default");
    sw_profile_free(p);
    /* a profile named by the environment must exist */
    setenv("AWS_PROFILE", "ghost", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), SW_ENOENT);
    /* empty variables count as unset */
    setenv("AWS_PROFILE", "", 1);
    unsetenv("AWS_DEFAULT_PROFILE");
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_name(p), "default");
    sw_profile_free(p);
}

static void
test_missing_files_and_home(void **state)
{
    struct sw_profile *p = NULL;
    char err[256], path[PATH_MAX + 32];

    (void)state;
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_null(sw_profile_get(p, "region"));
    sw_profile_free(p);
    assert_int_equal(sw_profile_load("x", &p, err, sizeof(err)), SW_ENOENT);
    assert_string_equal(err, "profile 'x' not found in "
                             "/nonexistent/streamwatch/config or "
                             "/nonexistent/credentials");
    /* a directory counts as missing, as os.path.isfile() says */
    setenv("AWS_CONFIG_FILE", tmpdir, 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    sw_profile_free(p);

    /* defaults: $HOME/.aws/config and credentials */
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    (void)snprintf(path, sizeof(path), "%s/.aws", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    (void)snprintf(path, sizeof(path), "%s/.aws/config", tmpdir);
    write_file(path, "[default]\nregion = from-home\n");
    (void)snprintf(path, sizeof(path), "%s/.aws/credentials", tmpdir);
    write_file(path, "[default]\nregion = from-home-creds\n");
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_get(p, "region"), "from-home-creds");
    sw_profile_free(p);
    /* "~" in the variables is expanded */
    setenv("AWS_CONFIG_FILE", "~/.aws/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "~/nothing-here", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), 0);
    assert_string_equal(sw_profile_get(p, "region"), "from-home");
    sw_profile_free(p);
    (void)snprintf(path, sizeof(path), "%s/.aws/config", tmpdir);
    unlink(path);
    (void)snprintf(path, sizeof(path), "%s/.aws/credentials", tmpdir);
    unlink(path);
    (void)snprintf(path, sizeof(path), "%s/.aws", tmpdir);
    rmdir(path);
}

static void
test_load_errors(void **state)
{
    struct sw_profile *p = NULL;
    char err[512], path[PATH_MAX + 32];
    FILE *f;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/bad-config", tmpdir);
    write_file(path, "[default]\nregion = x\n\n[profile\n");
    setenv("AWS_CONFIG_FILE", path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), SW_EPARSE);
    assert_null(p);
    assert_non_null(strstr(err, "/bad-config:4: section header without "
                                "']'"));
    unlink(path);

    /* over the 1 MiB cap */
    (void)snprintf(path, sizeof(path), "%s/huge-config", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[default]\n", f);
    for (int i = 0; i < 70000; i++)
        fputs("# padding padding\n", f);
    fclose(f);
    setenv("AWS_CONFIG_FILE", path, 1);
    assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), SW_ETOOBIG);
    assert_non_null(strstr(err, "larger than 1048576 bytes"));
    unlink(path);

    /* unreadable is an error, not "missing" (root reads anything) */
    if (geteuid() != 0) {
        (void)snprintf(path, sizeof(path), "%s/locked", tmpdir);
        write_file(path, "[default]\n");
        chmod(path, 0);
        setenv("AWS_CONFIG_FILE", path, 1);
        assert_int_equal(sw_profile_load(NULL, &p, err, sizeof(err)), SW_EIO);
        unlink(path);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sections, setup),
        cmocka_unit_test_setup(test_prefix_rules, setup),
        cmocka_unit_test_setup(test_comments_whitespace, setup),
        cmocka_unit_test_setup(test_nested_services, setup),
        cmocka_unit_test_setup(test_duplicates, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_nul_and_limits, setup),
        cmocka_unit_test_setup(test_load_precedence, setup),
        cmocka_unit_test_setup(test_env_selection, setup),
        cmocka_unit_test_setup(test_missing_files_and_home, setup),
        cmocka_unit_test_setup(test_load_errors, setup),
    };
    const char *base = getenv("TMPDIR");
    int r;

    (void)snprintf(tmpdir, sizeof(tmpdir), "%s/sw_profile_XXXXXX",
                   base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    r = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(tmpdir);
    return r;
}
