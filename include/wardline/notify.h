/* Service readiness and watchdog notifications to systemd.
 *
 * A service of Type=notify gets the address of a datagram socket in the
 * environment variable NOTIFY_SOCKET: a file system path, or the name of
 * an abstract socket written with a leading '@'. A notification is one
 * datagram of newline-separated VARIABLE=VALUE assignments, such as
 * "READY=1", "STATUS=...", "STOPPING=1" or "WATCHDOG=1". systemd documents
 * this protocol as stable in sd_notify(3). It is implemented here in a few
 * lines instead of linking libsystemd, so that the daemon and its tests
 * build and run the same with or without systemd.
 */
#ifndef WARDLINE_NOTIFY_H
#define WARDLINE_NOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Parse VALUE, the text of NOTIFY_SOCKET, into *ADDR and its length
 * *LEN for sendto(2). A leading '@' names an abstract socket; anything
 * else must be an absolute path. Returns 0, or WL_EINVAL when VALUE is
 * empty, relative, or too long for a Unix socket address. */
int wl_notify_address(const char *value, struct sockaddr_un *addr,
		      socklen_t *len);

/* Send STATE, one or more newline-separated assignments, as one datagram
 * to the socket named by NOTIFY_SOCKET. Returns 0 when sent. Returns
 * WL_ENOTFOUND when NOTIFY_SOCKET is unset: the process does not run
 * under systemd's notify protocol, and callers carry on. Returns WL_EINVAL
 * for an invalid address or an empty STATE, and WL_EIO when the socket or
 * the send failed (errno is set). */
int wl_notify(const char *state);

/* Read the watchdog interval that systemd set for this process
 * (WatchdogSec= in the unit) from WATCHDOG_USEC, in microseconds, into
 * *USEC. WATCHDOG_PID, when set, must be this process's id. Returns 0,
 * or WL_ENOTFOUND when no watchdog applies to this process (*USEC is 0). */
int wl_notify_watchdog_usec(uint64_t *usec);

#endif
