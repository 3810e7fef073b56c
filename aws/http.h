/* aws/http.h - HTTP requests on libcurl, with the safety rules we need.
 *
 * One struct sw_http wraps one curl easy handle, so consecutive requests to
 * the same host reuse the connection.  Every request has a connect timeout
 * and a total timeout, TLS verification is always on (AWS_CA_BUNDLE or the
 * opts' CA file honoured), the response body is capped, CURLOPT_NOSIGNAL is
 * set, and debug logging (sw_log level DEBUG) prints the request line and
 * headers with Authorization and X-Amz-Security-Token redacted.  Knows
 * nothing about AWS signing: aws/client signs, this module sends.
 * sw_http_send() performs a transfer itself; sw_http_start() and
 * sw_http_finish() are its two halves, for a caller that drives several
 * handles on its own curl multi (aws/batch), with the same rules.
 */
#ifndef SW_AWS_HTTP_H
#define SW_AWS_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

#define SW_HTTP_MAX_BODY    (8u * 1024 * 1024) /* default reply cap */
#define SW_HTTP_MAX_HEADERS 64

struct sw_http;

struct sw_http_opts {
    long connect_timeout_ms; /* 0: 5000 */
    long timeout_ms;         /* total per request; 0: 30000 */
    const char *ca_file;     /* NULL: AWS_CA_BUNDLE, else system store */
    size_t max_body;         /* 0: SW_HTTP_MAX_BODY */
};

struct sw_http_header {
    const char *name;
    const char *value;
};

struct sw_http_req {
    const char *method; /* "GET", "POST", "PUT" */
    const char *url;
    const struct sw_http_header *headers; /* sent as given, in order */
    size_t nheaders;
    const char *body; /* may be NULL when body_len == 0 */
    size_t body_len;
    long timeout_ms; /* 0: the handle's default (IMDS uses 1000) */
    size_t max_body; /* reply cap; 0: the handle's */
    /* ON_SEND(ON_SEND_ARG) is called right before the request goes on
     * the wire: after the connect and the TLS handshake, and again should
     * curl send it once more on a fresh connection (a reused one found
     * dead); with libcurl before 7.80 when the transfer starts.  The
     * client's rate limit counts sends with it.  NULL: none. */
    void (*on_send)(void *arg);
    void *on_send_arg;
};

struct sw_http_resp {
    long status;        /* 0 until a status line was read */
    struct sw_buf body; /* capped; caller releases */
    /* Response headers, names lower-cased, values trimmed. Owned. */
    char *hname[SW_HTTP_MAX_HEADERS];
    char *hvalue[SW_HTTP_MAX_HEADERS];
    size_t nheaders;
    char error[256]; /* transport error text, "" if none */
};

/* sw_http_new - Returns 0 and *out: new (sw_http_free()), or SW_ENOMEM /
 * SW_EINVAL (unreadable CA file). */
int sw_http_new(const struct sw_http_opts *o, struct sw_http **out);
void sw_http_free(struct sw_http *h);

/* sw_http_set_cancel_flag - while *FLAG (borrowed; NULL: none) is non-zero
 * a transfer in progress is aborted within about a second and
 * sw_http_send() returns SW_ECANCELED (the agent's SIGTERM flag). */
void sw_http_set_cancel_flag(struct sw_http *h, volatile sig_atomic_t *flag);

/* sw_http_resp_init / _release - prepare and free a response. */
void sw_http_resp_init(struct sw_http_resp *r);
void sw_http_resp_release(struct sw_http_resp *r);
/* sw_http_resp_header - value of header NAME (case-insensitive) or NULL.
 * Returns: borrowed, valid until sw_http_resp_release(). */
const char *sw_http_resp_header(const struct sw_http_resp *r, const char *name);

/* The curl header lists of the transfers that are not ours (the
 * notification dispatcher's curl_multi: sw_aws_prepare() in aws/client,
 * notifiers/webhook) are built with the same lines sw_http_send() builds. */
struct curl_slist;

/* sw_http_header_add - append NAME: VALUE to the curl header list *LIST
 * as curl reads it: "Name: value", or "Name;" for an empty VALUE ("Name:"
 * would remove the header instead).  The line is built in LINE (reset
 * first; its cap is the longest line allowed), which the caller wipes
 * once a value was a secret.  Returns 0; SW_ETOOBIG (over LINE's cap) or
 * SW_ENOMEM with *LIST unchanged. */
int sw_http_header_add(struct curl_slist **list, struct sw_buf *line,
                       const char *name, const char *value);

/* sw_http_header_remove - append "NAME:" to *LIST, which stops curl from
 * sending a header of its own by that name (NAME at most 63 bytes).
 * Returns 0, SW_EINVAL or SW_ENOMEM (*LIST unchanged). */
int sw_http_header_remove(struct curl_slist **list, const char *name);

/* sw_http_headers_free - wipe every line of LIST (a line may hold a
 * token) and free it; NULL is accepted. */
void sw_http_headers_free(struct curl_slist *list);

/* sw_http_send - perform REQ and fill RESP (any HTTP status is success
 * here).  RESP is emptied first (its body keeps its allocation and gets the
 * handle's max_body as cap), so one response can serve several requests.
 * Returns 0; SW_ETIMEDOUT on connect/total timeout; SW_EHTTP on
 * other transport failures (refused, reset, TLS, a reply cut short: resp
 * error says which); SW_ETOOBIG when the body exceeds the cap;
 * SW_EINVAL for a header with CR/LF/NUL; SW_ECANCELED (see above). */
int sw_http_send(struct sw_http *h, const struct sw_http_req *req,
                 struct sw_http_resp *resp);

/* sw_http_start - everything sw_http_send() does before the transfer:
 * check REQ, build its header list, set the handle up for it, empty RESP.
 * The caller then adds sw_http_curl(H) to its curl multi and, when the
 * multi reports the transfer done (or the caller gives up on it and
 * removes the handle), calls sw_http_finish().  REQ may go once this
 * returns (the header lines are copied; the body is not: it must live
 * until sw_http_finish()); RESP must live until then too.
 * Returns 0, or what sw_http_send() returns for a refused request
 * (SW_EINVAL, SW_ENOMEM, SW_EINTERNAL) with RESP->error set; then nothing
 * is to be finished. */
int sw_http_start(struct sw_http *h, const struct sw_http_req *req,
                  struct sw_http_resp *resp);

/* sw_http_finish - end the transfer sw_http_start() set up, whose curl
 * result (a CURLcode; CURLE_ABORTED_BY_CALLBACK for one the caller cut
 * short) is CURL_RESULT: RESP->status from the handle, the header lines
 * wiped and freed.  Returns what sw_http_send() returns. */
int sw_http_finish(struct sw_http *h, int curl_result,
                   struct sw_http_resp *resp);

/* sw_http_perform - perform the transfer sw_http_start() set up, blocking,
 * and finish it: the second half of sw_http_send(). */
int sw_http_perform(struct sw_http *h, struct sw_http_resp *resp);

/* sw_http_curl - H's curl easy handle (a CURL *), for curl_multi_add_handle
 * between sw_http_start() and sw_http_finish().  Returns: borrowed. */
void *sw_http_curl(struct sw_http *h);

#endif
