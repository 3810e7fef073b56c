/* agent/sdnotify.h - tell systemd about our state (Type=notify) without
 * libsystemd: one datagram to $NOTIFY_SOCKET, as collectd's
 * notify_systemd() does.  A no-op when NOTIFY_SOCKET is unset.
 */
#ifndef SW_AGENT_SDNOTIFY_H
#define SW_AGENT_SDNOTIFY_H

/* sw_sdnotify_send - send STATE ("READY=1", "RELOADING=1", "STOPPING=1").
 * Accepts only absolute paths and '@' abstract sockets.  Returns 0 (also
 * when not under systemd), SW_EINVAL for a bad socket path, SW_EIO. */
int sw_sdnotify_send(const char *state);

#endif
