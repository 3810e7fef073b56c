/* agent/status.h - `streamwatch status`: what each alarm is doing.
 *
 * Reads state.json and the outbox (read-only, so it is safe beside a
 * running agent) and prints, for every configured alarm and every alarm
 * discovered for a pattern template: state, since when, the reason, the
 * recent values (a sparkline on a terminal), when the next evaluation is
 * due and whether fetching is failing; then the notifications waiting in
 * the outbox per notifier.  `--json` prints the same as one document.
 */
#ifndef SW_AGENT_STATUS_H
#define SW_AGENT_STATUS_H

#include <stdio.h>

struct sw_conf;

/* sw_status_print - print the status for CONF to OUT.  Returns 0, or an
 * SW_E* code after printing one line to stderr. */
int sw_status_print(const struct sw_conf *conf, int json, FILE *out);

#endif
