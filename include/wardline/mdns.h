/* mDNS / DNS-SD discovery of the nodes of this site.
 *
 * Publishes `_wardline._tcp` on the peer port with TXT records "v=1",
 * "site=<32 hex digits of the site id>" and "node=<64 hex digits of the
 * node id>" (no patient data), browses for the same type, resolves what it
 * finds, and reports each node of the same site and format version (but
 * never this node) with its address and port. Peers are identified by the
 * node id in the TXT record, never by the service name, which Avahi may
 * rename after a collision.
 *
 * Two backends: "embedded" runs Avahi's own stack (avahi-core) inside the
 * process, with no daemon and no D-Bus; "avahi-daemon" talks to a running
 * avahi-daemon through avahi-client. Both run on the caller's libuv loop.
 */
#ifndef WARDLINE_MDNS_H
#define WARDLINE_MDNS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define WL_MDNS_SERVICE_TYPE "_wardline._tcp"

enum wl_mdns_backend {
	WL_MDNS_EMBEDDED = 0,
	WL_MDNS_AVAHI_DAEMON = 1
};

/* A node found on the network: its id, a numeric address (IPv4 or IPv6;
 * IPv6 link-local addresses carry "%ifname") and the peer port. A node may
 * be reported more than once: once per interface and address family, and
 * again when its address changes or its service is renamed. Called on the
 * loop. It must not call wl_mdns_stop. */
typedef void (*wl_mdns_found_fn)(void *arg, const unsigned char node[32],
				 const char *addr, uint16_t port);

/* A node's service was withdrawn (clean shutdown or expiry), or the last
 * interface on which it was seen went down. Called on the loop. It must not
 * call wl_mdns_stop. */
typedef void (*wl_mdns_removed_fn)(void *arg, const unsigned char node[32]);

struct wl_mdns_config {
	enum wl_mdns_backend backend;
	const unsigned char *node_id; /* 32 bytes */
	const unsigned char *site_id; /* 16 bytes */
	const char *name;             /* device name, used in the service and
					 host names; made unique by the module */
	uint16_t port;                /* peer port to publish */
	const char *const *interfaces; /* allowed interface names, or NULL for
					  all */
	size_t n_interfaces;
	wl_mdns_found_fn found;
	wl_mdns_removed_fn removed;
	void *arg;
};

struct wl_mdns;

/* Start publishing and browsing on LOOP. CFG's strings are copied. Errors
 * after start (collisions, interface changes, daemon restarts) are handled
 * inside and logged. Returns 0 and *OUT, WL_EIO, WL_EINVAL (an id or the
 * name missing) or WL_ENOMEM. WL_EIO means that the stack could not start,
 * because another mDNS stack owns port 5353 in this network namespace or
 * avahi-daemon is not running, and the reason is logged. After a failure
 * too, the loop must run again before uv_loop_close. */
int wl_mdns_start(uv_loop_t *loop, const struct wl_mdns_config *cfg,
		  struct wl_mdns **out);

/* Withdraw the service (peers see a removal), stop browsing and free M.
 * The libuv handles are closed asynchronously: the loop must run again
 * before uv_loop_close. Accepts NULL. */
void wl_mdns_stop(struct wl_mdns *m);

#endif
