/* aws/client_error.c - AWS error replies and the text they carry; see
 * client.h (sw_aws_parse_error, sw_aws_error_set) and client_priv.h.
 *
 * An error reply is untrusted and comes in whatever format the server in
 * front of AWS speaks: the body's first byte picks the JSON or the XML
 * parser, and anything else becomes "HTTP<status>" with a readable piece
 * of the body.  Codes and messages are cleaned here, so a log line never
 * carries a control character from a reply.  Pure: no I/O.  Part of the
 * client (aws/client_priv.h says what the other parts do).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/client_priv.h"
#include "aws/xml.h"
#include "lib/err.h"
#include "lib/str.h"

#define ERROR_PARSE_MAX (64 * 1024) /* bigger error bodies are not AWS's */
#define ERROR_SNIPPET   200         /* bytes of a foreign body we show */

/* ---- cleaning ---- */

void
sw_aws_text_copy(char *dst, size_t dstlen, const char *s, size_t n,
                 int ascii_only)
{
    size_t o = 0;
    int space = 0;

    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || c == ' ') {
            space = o > 0;
            continue;
        }
        if (c >= 0x80 && ascii_only)
            c = '?';
        if (space) {
            if (o + 2 >= dstlen) /* no room for the space and a byte */
                break;
            dst[o++] = ' ';
            space = 0;
        }
        if (o + 1 >= dstlen)
            break;
        dst[o++] = (char)c;
    }
    /* Back off a partial UTF-8 character left at the cut. */
    if (o > 0 && ((unsigned char)dst[o - 1] & 0x80)) {
        size_t k = o;
        while (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0xc0) {
            unsigned char lead = (unsigned char)dst[k - 1];
            size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (o - (k - 1) < want)
                o = k - 1;
        }
    }
    dst[o] = '\0';
}

void
sw_aws_code_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && s[i] && o + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[o] = '\0';
}

/* ---- error replies ---- */

static const char *
reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
    }
}

/* "aws.protocoltests#FooError:http://internal..." -> "FooError": the
 * Smithy awsJson rule, drop everything before the last '#' and after the
 * first ':' that follows. */
static void
json_type_code(char *dst, size_t dstlen, const char *type)
{
    const char *hash = strrchr(type, '#');
    const char *start = hash ? hash + 1 : type;
    const char *colon = strchr(start, ':');
    size_t n = colon ? (size_t)(colon - start) : strlen(start);

    sw_aws_code_copy(dst, dstlen, start, n);
}

static const char *
json_str(json_t *o, const char *k1, const char *k2)
{
    const char *v = json_string_value(json_object_get(o, k1));

    if (!v && k2)
        v = json_string_value(json_object_get(o, k2));
    return v;
}

static int
parse_json_error(const char *body, size_t len, struct sw_aws_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    const char *type, *msg;
    int found = 0;

    if (!root)
        return 0;
    if (json_is_object(root)) {
        type = json_str(root, "__type", NULL);
        if (type) {
            json_type_code(err->code, sizeof(err->code), type);
        } else {
            type = json_str(root, "code", "Code");
            if (type)
                sw_aws_code_copy(err->code, sizeof(err->code), type,
                                 strlen(type));
        }
        msg = json_str(root, "message", "Message");
        if (msg)
            sw_aws_text_copy(err->message, sizeof(err->message), msg,
                             strlen(msg), 0);
        found = err->code[0] != '\0';
    }
    json_decref(root);
    return found;
}

static void
xml_field(const struct sw_xml_node *n, const char *path, char *dst,
          size_t dstlen, int is_code)
{
    const char *t = sw_xml_text(n, path);

    if (!t)
        return;
    if (is_code)
        sw_aws_code_copy(dst, dstlen, t, strlen(t));
    else
        sw_aws_text_copy(dst, dstlen, t, strlen(t), 0);
}

static int
parse_xml_error(const char *body, size_t len, struct sw_aws_error *err)
{
    struct sw_xml_node *root = NULL;
    const struct sw_xml_node *e = NULL;
    char xerr[128];

    if (sw_xml_parse(body, len, &root, xerr, sizeof(xerr)) < 0)
        return 0;
    /* The Query shape, the EC2-style shape botocore also accepts, and the
     * bare <Error> some front ends answer with. */
    if (strcmp(root->name, "ErrorResponse") == 0) {
        e = sw_xml_child(root, "Error");
        xml_field(root, "RequestId", err->request_id, sizeof(err->request_id),
                  1);
    } else if (strcmp(root->name, "Response") == 0) {
        e = sw_xml_path(root, "Errors/Error");
        xml_field(root, "RequestID", err->request_id, sizeof(err->request_id),
                  1);
        if (!err->request_id[0])
            xml_field(root, "RequestId", err->request_id,
                      sizeof(err->request_id), 1);
    } else if (strcmp(root->name, "Error") == 0) {
        e = root;
        xml_field(root, "RequestId", err->request_id, sizeof(err->request_id),
                  1);
    }
    if (e) {
        xml_field(e, "Code", err->code, sizeof(err->code), 1);
        xml_field(e, "Message", err->message, sizeof(err->message), 0);
    }
    sw_xml_free(root);
    if (!err->code[0]) {
        err->message[0] = '\0';
        err->request_id[0] = '\0';
        return 0;
    }
    return 1;
}

/* The first bytes of a body that is not an AWS error, readable in one log
 * line: markup dropped, anything but printable ASCII dropped. */
static void
foreign_message(char *dst, size_t dstlen, const char *body, size_t len)
{
    char tmp[ERROR_SNIPPET + 1];
    size_t n = len < ERROR_SNIPPET ? len : ERROR_SNIPPET, o = 0;
    int in_tag = 0;

    for (size_t i = 0; i < n; i++) {
        char c = body[i];
        if (c == '<') {
            in_tag = 1;
            tmp[o++] = ' ';
        } else if (c == '>' && in_tag) {
            in_tag = 0;
        } else if (!in_tag) {
            tmp[o++] = c == '\0' ? ' ' : c;
        }
    }
    tmp[o] = '\0';
    sw_aws_text_copy(dst, dstlen, tmp, o, 1);
}

int
sw_aws_parse_error(enum sw_aws_proto proto, long status,
                   const char *query_error_header, const char *body, size_t len,
                   struct sw_aws_error *err)
{
    size_t skip = 0;
    int found = 0;

    if (!err)
        return SW_EINVAL;
    err->http_status = status;
    err->code[0] = '\0';
    err->message[0] = '\0';
    err->request_id[0] = '\0';
    if (!body)
        len = 0;
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
        skip = 3;
    while (skip < len && isspace((unsigned char)body[skip]))
        skip++;
    if (len - skip > 0 && len <= ERROR_PARSE_MAX) {
        if (body[skip] == '{')
            found = parse_json_error(body + skip, len - skip, err);
        else if (body[skip] == '<')
            found = parse_xml_error(body + skip, len - skip, err);
    }
    /* awsQueryCompatible services put the legacy Query code in this header
     * ("InvalidParameterValue;Sender"); botocore prefers it to __type. */
    if (proto != SW_PROTO_QUERY && query_error_header && *query_error_header &&
        *query_error_header != ';') {
        size_t n = strcspn(query_error_header, ";");
        sw_aws_code_copy(err->code, sizeof(err->code), query_error_header, n);
        found = 1;
    }
    if (found)
        return 0;
    snprintf(err->code, sizeof(err->code), "HTTP%ld", status);
    err->message[0] = '\0';
    err->request_id[0] = '\0';
    if (len - skip > 0)
        foreign_message(err->message, sizeof(err->message), body + skip,
                        len - skip);
    if (!err->message[0])
        sw_strlcpy(err->message,
                   reason_phrase(status) ? reason_phrase(status)
                                         : "empty reply",
                   sizeof(err->message));
    return SW_EPARSE;
}

void
sw_aws_error_set(struct sw_aws_error *err, const char *code, const char *fmt,
                 ...)
{
    va_list ap;

    sw_strlcpy(err->code, code, sizeof(err->code));
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}
