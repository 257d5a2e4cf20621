/* An AvahiPoll implementation on a libuv loop, so that avahi-core and
 * avahi-client run on the same loop as the rest of the daemon.
 *
 * Each Avahi watch is a uv_poll_t and each Avahi timeout a uv_timer_t.
 * Handles that Avahi frees are closed with uv_close and their memory is
 * released in the close callback, so the loop must run again after the last
 * Avahi object is gone before uv_loop_close can succeed.
 */
#ifndef WARDLINE_UVPOLL_H
#define WARDLINE_UVPOLL_H

#include <avahi-common/watch.h>
#include <uv.h>

struct wl_uvpoll;

/* Create an AvahiPoll adapter on LOOP. Returns 0 and *OUT, or WL_ENOMEM. */
int wl_uvpoll_new(uv_loop_t *loop, struct wl_uvpoll **out);

/* Return the AvahiPoll to pass to avahi_server_new or avahi_client_new. The
 * pointer stays valid until wl_uvpoll_free. */
const AvahiPoll *wl_uvpoll_get(struct wl_uvpoll *p);

/* Free P. Call it only after the Avahi server or client that used it has
 * been freed. Any watch or timeout that Avahi left behind is closed, and the
 * handles are released asynchronously by the next run of the loop. Accepts
 * NULL. */
void wl_uvpoll_free(struct wl_uvpoll *p);

#endif
