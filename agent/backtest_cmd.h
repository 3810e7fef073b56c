/* agent/backtest_cmd.h - the `backtest` and `record` commands.
 *
 *   streamwatch backtest [--from T] [--to T] [--alarm NAME]... [--data FILE]
 *                        [--set [NAME.]KEY=VALUE]... [--json] [--plot FILE.svg]
 *   streamwatch record --from T --to T -o FILE.csv [--alarm NAME]...
 *
 * Both read the config like the agent (sw_runtime_new_with()), take their
 * history from its source (CloudWatch, or agent.recording) unless --data
 * names a recording, and never touch state_dir or send a notification.
 * T is an RFC 3339 time (2026-11-25T08:00:00Z), "now", or a time before
 * now: -90m, -36h, -7d, -2w.  The engine is agent/backtest.h; the
 * recording writer agent/record.h; the picture agent/plot.h.
 *
 * ARGV holds the command's own words, ARGV[0] being the command's name;
 * the global options (-c, -v, -q) are accepted there too.  *CONF_PATH is
 * the config to read (changed by -c).  STOP is set by SIGINT / SIGTERM.
 * Both return the process's exit status: 0, or 1 after printing one line
 * per problem to stderr.
 */
#ifndef SW_AGENT_BACKTEST_CMD_H
#define SW_AGENT_BACKTEST_CMD_H

#include <signal.h>

int sw_backtest_command(int argc, char **argv, const char *conf_path,
                        volatile sig_atomic_t *stop);
int sw_record_command(int argc, char **argv, const char *conf_path,
                      volatile sig_atomic_t *stop);

#endif
