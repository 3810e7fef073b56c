/* notifiers/slack.c - the Slack message of a notification record; see
 * slack.h. */
#include "config.h"

#include "notifiers/slack.h"

#include <string.h>

#include "lib/buf.h"
#include "notifiers/message.h"

#define TEXT_CAP SW_MESSAGE_TEXT_CAP

/* Slack's mrkdwn: "&", "<" and ">" are the only characters to escape;
 * control characters become spaces as everywhere else. */
static int
add_slack(struct sw_buf *b, const char *s, size_t max)
{
    struct sw_buf tmp;
    int r;

    if (!s)
        return 0;
    sw_buf_init(&tmp, TEXT_CAP);
    r = sw_message_add_cut(&tmp, s, max);
    for (size_t i = 0; r == 0 && i < tmp.len; i++) {
        switch (tmp.data[i]) {
        case '&': r = sw_buf_adds(b, "&amp;"); break;
        case '<': r = sw_buf_adds(b, "&lt;"); break;
        case '>': r = sw_buf_adds(b, "&gt;"); break;
        default: r = sw_buf_addc(b, tmp.data[i]);
        }
    }
    sw_buf_release(&tmp);
    return r;
}

json_t *
sw_slack_text(const json_t *rec)
{
    const char *state = sw_message_state(rec), *emoji = ":grey_question:";
    const char *region = sw_message_alarm_str(rec, "Region");
    const char *old = sw_message_alarm_str(rec, "OldStateValue");
    const char *url = sw_message_sw_str(rec, "console_url");
    struct sw_buf b, what;
    json_t *obj = NULL;
    int r;

    sw_buf_init(&b, TEXT_CAP);
    sw_buf_init(&what, TEXT_CAP);
    if (strcmp(state, "ALARM") == 0)
        emoji = ":rotating_light:";
    else if (strcmp(state, "OK") == 0)
        emoji = ":white_check_mark:";
    r = sw_buf_addf(&b, "%s *", emoji);
    if (r == 0)
        r = add_slack(&b, state, TEXT_CAP);
    if (r == 0)
        r = sw_buf_adds(&b, "*: \"");
    if (r == 0)
        r = add_slack(&b, sw_message_alarm_str(rec, "AlarmName"), TEXT_CAP);
    if (r == 0)
        r = sw_buf_addc(&b, '"');
    if (r == 0 && region) {
        r = sw_buf_adds(&b, " in ");
        if (r == 0)
            r = add_slack(&b, region, TEXT_CAP);
    }
    if (r == 0 && sw_message_is_repeat(rec)) {
        r = sw_buf_adds(&b, " (still, reminder)");
    } else if (r == 0 && old) {
        r = sw_buf_adds(&b, " (was ");
        if (r == 0)
            r = add_slack(&b, old, TEXT_CAP);
        if (r == 0)
            r = sw_buf_addc(&b, ')');
    }
    if (r == 0)
        r = sw_message_add_what(&what, rec);
    if (r == 0)
        r = sw_buf_addc(&b, '\n');
    if (r == 0)
        r = add_slack(&b, sw_buf_str(&what), TEXT_CAP);
    if (r == 0)
        r = sw_buf_adds(&b, "\n>");
    if (r == 0)
        r = add_slack(&b, sw_message_alarm_str(rec, "NewStateReason"),
                      SW_MESSAGE_REASON_SHOWN_MAX);
    if (r == 0 && url) {
        r = sw_buf_adds(&b, "\n<");
        if (r == 0)
            r = add_slack(&b, url, TEXT_CAP);
        if (r == 0)
            r = sw_buf_adds(&b, "|View in the CloudWatch console>");
    }
    if (r == 0) {
        obj = json_object();
        if (obj &&
            json_object_set_new(obj, "text", json_string(sw_buf_str(&b))) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    sw_buf_release(&b);
    sw_buf_release(&what);
    return obj;
}
