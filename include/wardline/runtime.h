/* The running node: store, ingest, peer links, discovery and the local
 * HTTP port on one libuv loop.
 *
 * Events received from peers are queued and committed together once per
 * loop iteration (group commit), then acknowledged to the links that sent
 * them and pushed to the others. Events appended to the store by another
 * process (the CLI) are noticed through an inotify watch on the LMDB file
 * and pushed the same way.
 */
#ifndef WARDLINE_RUNTIME_H
#define WARDLINE_RUNTIME_H

#include <uv.h>

#include "wardline/config.h"

struct wl_runtime;

/* Open the data directory (making the node key on first start), check the
 * certificate, start listening and discovery on LOOP. CFG is copied.
 * Returns 0 and *OUT, or a negative code after logging the reason. */
int wl_runtime_start(uv_loop_t *loop, const struct wl_config *cfg,
		     struct wl_runtime **out);

/* The exit status with which the daemon requests its service manager to
 * start it again at once (EX_TEMPFAIL of sysexits.h). The appliance's
 * systemd unit lists it in RestartForceExitStatus= and
 * SuccessExitStatus=. */
#define WL_EXIT_RESTART 75

/* Set FN, which the runtime calls with ARG when the node must restart to
 * take up files that changed under it: a certificate installed through
 * the web UI's enrollment page. The state that depends on the
 * certificate (the mDNS records, the handshake, the API's site key) is
 * read once at start, so a restart is the one way to apply it. Without
 * FN the runtime logs that the node needs a restart. */
void wl_runtime_on_restart(struct wl_runtime *rt, void (*fn)(void *arg),
			   void *arg);

/* Replace the static peers with those of CFG (SIGHUP). */
void wl_runtime_reload(struct wl_runtime *rt, const struct wl_config *cfg);

/* Commit what is queued, close every link, withdraw the mDNS service and
 * free RT. The loop must run again until its handles are closed.
 * Accepts NULL. */
void wl_runtime_stop(struct wl_runtime *rt);

/* Return the node id in hex (64 digits). */
const char *wl_runtime_node_hex(const struct wl_runtime *rt);

#endif
