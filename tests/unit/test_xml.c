/* tests/unit/test_xml.c - aws/xml: the STS AssumeRole reply
 * (AWS STS API Reference: AssumeRole), both Query error envelopes
 * (docs/aws-wire.md section 4), namespaces, text handling, and the hostile
 * inputs the parser must refuse (malformed, truncated, DTDs and billion laughs,
 * deep nesting, too many elements). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "lib/buf.h"
#include "lib/err.h"

static const char assume_role[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <AssumedRoleUser>\n"
    "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:kds-agent</AssumedRoleId>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/kds-agent/kds-agent"
    "</Arn>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    "</SecretAccessKey>\n"
    "      <SessionToken>AQoDYXdzEPT//////////wEXAMPLE+tc764bNrC9S=="
    "</SessionToken>\n"
    "      <Expiration>2025-11-26T11:05:30Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7"
    "</RequestId></ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static struct sw_xml_node *
parse_ok(const char *doc)
{
    struct sw_xml_node *root = NULL;
    char err[256];
    int r = sw_xml_parse(doc, strlen(doc), &root, err, sizeof(err));

    if (r != 0)
        fail_msg("parse failed (%d): %s", r, err);
    assert_non_null(root);
    return root;
}

/* Parse DOC expecting SW_EPARSE with ERR containing WANT. */
static void
parse_bad(const char *doc, size_t len, const char *want)
{
    struct sw_xml_node *root = (struct sw_xml_node *)1;
    char err[256];
    int r = sw_xml_parse(doc, len, &root, err, sizeof(err));

    assert_int_equal(r, SW_EPARSE);
    assert_null(root);
    assert_true(strncmp(err, "line ", 5) == 0);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void
test_assume_role(void **state)
{
    struct sw_xml_node *root = parse_ok(assume_role);
    const struct sw_xml_node *cred;

    (void)state;
    assert_string_equal(root->name, "AssumeRoleResponse");
    assert_null(root->parent);
    cred = sw_xml_path(root, "AssumeRoleResult/Credentials");
    assert_non_null(cred);
    assert_string_equal(sw_xml_text(cred, "AccessKeyId"),
                        "ASIAIOSFODNN7EXAMPLE");
    assert_string_equal(sw_xml_text(cred, "SecretAccessKey"),
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    assert_string_equal(sw_xml_text(cred, "SessionToken"),
                        "AQoDYXdzEPT//////////wEXAMPLE+tc764bNrC9S==");
    assert_string_equal(
        sw_xml_text(root, "AssumeRoleResult/Credentials/Expiration"),
        "2025-11-26T11:05:30Z");
    assert_string_equal(
        sw_xml_text(root, "AssumeRoleResult/AssumedRoleUser/Arn"),
        "arn:aws:sts::123456789012:assumed-role/kds-agent/kds-agent");
    assert_string_equal(sw_xml_text(root, "AssumeRoleResult/PackedPolicySize"),
                        "6");
    assert_string_equal(sw_xml_text(root, "ResponseMetadata/RequestId"),
                        "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    assert_int_equal(sw_xml_path(root, "ResponseMetadata/RequestId")->text_len,
                     36);
    /* the parent links and sibling order */
    assert_ptr_equal(cred->parent, sw_xml_child(root, "AssumeRoleResult"));
    assert_string_equal(cred->child->name, "AccessKeyId");
    assert_string_equal(cred->child->next->name, "SecretAccessKey");
    /* misses */
    assert_null(sw_xml_path(root, "AssumeRoleResult/Nope"));
    assert_null(sw_xml_text(root, "Credentials/AccessKeyId"));
    assert_null(sw_xml_path(root, "AssumeRoleResult//Credentials"));
    assert_null(sw_xml_path(root, NULL));
    assert_null(sw_xml_path(NULL, "A"));
    assert_null(sw_xml_child(root, NULL));
    assert_ptr_equal(sw_xml_path(root, ""), root);
    /* whitespace between elements is the parent's text, kept as is */
    assert_true(strspn(root->text, " \n") == root->text_len);
    sw_xml_free(root);
    sw_xml_free(NULL);
}

static void
test_error_envelopes(void **state)
{
    struct sw_xml_node *root;

    (void)state;
    root = parse_ok(
        "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
        "2010-08-01/\">\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>Throttling</Code>\n"
        "    <Message>Rate exceeded</Message>\n"
        "  </Error>\n"
        "  <RequestId>2f85f68d-980b-11e7-a296-21716fd2d2e3</RequestId>\n"
        "</ErrorResponse>");
    assert_string_equal(root->name, "ErrorResponse");
    assert_string_equal(sw_xml_text(root, "Error/Type"), "Sender");
    assert_string_equal(sw_xml_text(root, "Error/Code"), "Throttling");
    assert_string_equal(sw_xml_text(root, "Error/Message"), "Rate exceeded");
    assert_string_equal(sw_xml_text(root, "RequestId"),
                        "2f85f68d-980b-11e7-a296-21716fd2d2e3");
    sw_xml_free(root);

    /* the EC2-style shape botocore also accepts */
    root = parse_ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<Response><Errors><Error><Code>ExpiredToken</Code>"
                    "<Message>The security token included in the request "
                    "is expired</Message></Error></Errors>"
                    "<RequestID>abc-123</RequestID></Response>");
    assert_string_equal(root->name, "Response");
    assert_string_equal(sw_xml_text(root, "Errors/Error/Code"), "ExpiredToken");
    assert_string_equal(sw_xml_text(root, "Errors/Error/Message"),
                        "The security token included in the request is "
                        "expired");
    assert_string_equal(sw_xml_text(root, "RequestID"), "abc-123");
    sw_xml_free(root);
}

static void
test_text_and_names(void **state)
{
    struct sw_xml_node *root;

    (void)state;
    /* prefixed namespaces are dropped, attributes ignored */
    root = parse_ok("<a:Top xmlns:a=\"urn:x\" xmlns:b=\"urn:y\" id=\"1\">"
                    "<b:Inner b:attr=\"v\">t</b:Inner><Plain/></a:Top>");
    assert_string_equal(root->name, "Top");
    assert_string_equal(sw_xml_text(root, "Inner"), "t");
    assert_string_equal(sw_xml_text(root, "Plain"), "");
    assert_int_equal(sw_xml_path(root, "Plain")->text_len, 0);
    sw_xml_free(root);

    /* mixed content concatenates; entities, character references and
     * CDATA decode; CRLF becomes LF (XML end-of-line handling) */
    root = parse_ok("<m>x<c>in</c>y &lt;&amp;&gt;&quot;&apos; &#233;&#x41;"
                    "<![CDATA[<raw>&amp;]]>\r\nz<!-- comment --><?pi x?>"
                    "</m>");
    assert_string_equal(root->text, "xy <&>\"' \xc3\xa9"
                                    "A<raw>&amp;\nz");
    assert_string_equal(sw_xml_text(root, "c"), "in");
    sw_xml_free(root);

    /* several children of one name: sw_xml_child finds the first */
    root = parse_ok("<r><member>1</member><member>2</member>"
                    "<other/><member>3</member></r>");
    {
        int n = 0;
        for (const struct sw_xml_node *c = root->child; c; c = c->next)
            n += strcmp(c->name, "member") == 0;
        assert_int_equal(n, 3);
    }
    assert_string_equal(sw_xml_text(root, "member"), "1");
    sw_xml_free(root);
}

static void
test_malformed(void **state)
{
    static const char nul[] = "<a>\0</a>";

    (void)state;
    parse_bad("<a><b></a>", 10, "mismatched tag");
    parse_bad("<a><b>text", 10, "");
    parse_bad(assume_role, strlen(assume_role) / 2, "");
    parse_bad("", 0, "no element found");
    parse_bad("   ", 3, "no element found");
    parse_bad("not xml", 7, "");
    parse_bad("<a/><b/>", 8, "junk after document element");
    parse_bad("<a>&undefined;</a>", 18, "undefined entity");
    parse_bad("<a>&#0;</a>", 11, "");
    parse_bad(nul, sizeof(nul) - 1, "");
    parse_bad("<a x='1' x='2'/>", 16, "duplicate attribute");
    parse_bad("<a xmlns:p='urn:x'><q:b/></a>", 29, "unbound prefix");
    parse_bad("<\xff\xfe/>", 5, "");
    /* err may be omitted */
    {
        struct sw_xml_node *root;
        assert_int_equal(sw_xml_parse("<a>", 3, &root, NULL, 0), SW_EPARSE);
        assert_int_equal(sw_xml_parse(NULL, 0, &root, NULL, 0), SW_EPARSE);
    }
}

static void
test_dtd_rejected(void **state)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 "
        "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        "]>\n"
        "<lolz>&lol9;</lolz>";
    static const char xxe[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<r>&x;</r>";
    static const char ext[] =
        "<!DOCTYPE r SYSTEM \"http://example.com/r.dtd\"><r/>";
    static const char param[] =
        "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://example.com/p\"> %p;]>"
        "<r/>";

    (void)state;
    parse_bad(laughs, strlen(laughs), "DOCTYPE not allowed");
    parse_bad(xxe, strlen(xxe), "DOCTYPE not allowed");
    parse_bad(ext, strlen(ext), "DOCTYPE not allowed");
    parse_bad(param, strlen(param), "DOCTYPE not allowed");
    /* the error names the line: the DOCTYPE is on line 2 */
    {
        struct sw_xml_node *root;
        char err[256];

        assert_int_equal(
            sw_xml_parse(laughs, strlen(laughs), &root, err, sizeof(err)),
            SW_EPARSE);
        assert_true(strncmp(err, "line 2 column ", 14) == 0);
    }
}

/* DEPTH nested <d> elements around "x". */
static char *
nested(size_t depth)
{
    struct sw_buf b;
    size_t n;

    sw_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < depth; i++)
        assert_int_equal(sw_buf_adds(&b, "<d>"), 0);
    assert_int_equal(sw_buf_adds(&b, "x"), 0);
    for (size_t i = 0; i < depth; i++)
        assert_int_equal(sw_buf_adds(&b, "</d>"), 0);
    return sw_buf_steal(&b, &n);
}

static void
test_limits(void **state)
{
    struct sw_xml_node *root;
    const struct sw_xml_node *n;
    struct sw_buf b;
    char *doc;
    size_t depth = 0;

    (void)state;
    doc = nested(64);
    root = parse_ok(doc);
    for (n = root; n->child; n = n->child)
        depth++;
    assert_int_equal(depth, 63);
    assert_string_equal(n->text, "x");
    sw_xml_free(root);
    free(doc);

    doc = nested(65);
    parse_bad(doc, strlen(doc), "nested deeper than 64");
    free(doc);
    doc = nested(100000);
    parse_bad(doc, strlen(doc), "nested deeper than 64");
    free(doc);

    /* 100,000 elements in all are fine, one more is not */
    sw_buf_init(&b, 1 << 22);
    assert_int_equal(sw_buf_adds(&b, "<r>"), 0);
    for (size_t i = 0; i < 99999; i++)
        assert_int_equal(sw_buf_adds(&b, "<m/>"), 0);
    assert_int_equal(sw_buf_adds(&b, "</r>"), 0);
    root = parse_ok(sw_buf_str(&b));
    sw_xml_free(root);
    b.len -= 4;
    assert_int_equal(sw_buf_adds(&b, "<m/></r>"), 0);
    parse_bad(b.data, b.len, "more than 100000 elements");
    sw_buf_release(&b);

    /* a document larger than one expat chunk (1 MiB) */
    sw_buf_init(&b, 4u << 20);
    assert_int_equal(sw_buf_adds(&b, "<big>"), 0);
    for (size_t i = 0; i < (3u << 20) / 16; i++)
        assert_int_equal(sw_buf_adds(&b, "0123456789abcdef"), 0);
    assert_int_equal(sw_buf_adds(&b, "</big>"), 0);
    root = parse_ok(sw_buf_str(&b));
    assert_int_equal(root->text_len, 3u << 20);
    assert_int_equal(strlen(root->text), 3u << 20);
    sw_xml_free(root);
    sw_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assume_role),
        cmocka_unit_test(test_error_envelopes),
        cmocka_unit_test(test_text_and_names),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_dtd_rejected),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
