/* Internal interface of the mDNS module, shared by its two backends and
 * used by its unit tests; nothing else includes it.
 *
 * node/mdns.c contains the public functions, the code both backends share
 * (TXT records, the peer filter, the table of browsed services and the
 * found/removed reports) and the embedded backend on avahi-core.
 * node/mdns_client.c contains the avahi-daemon backend on avahi-client.
 *
 * A backend reports each service its browser sees with
 * wl_mdns_item_add/wl_mdns_item_find, each resolve result with
 * wl_mdns_item_resolved and each removal with wl_mdns_item_remove; these
 * decide what reaches the caller's found and removed callbacks.
 */
#ifndef WARDLINE_MDNS_BACKEND_H
#define WARDLINE_MDNS_BACKEND_H

#include <stdint.h>

#include <avahi-common/address.h>
#include <avahi-common/strlst.h>
#include <net/if.h>

#include "wardline/mdns.h"
#include "wardline/uvpoll.h"

#define WL_MDNS_SITE_SIZE 16
#define WL_MDNS_NODE_SIZE 32

/* A numeric address with "%ifname" for IPv6 link-local, and the NUL. */
#define WL_MDNS_ADDR_MAX (AVAHI_ADDRESS_STR_MAX + 1 + IF_NAMESIZE)

/* The DNS-SD name of the service: "wardline <name>", cut to the 63 bytes of
 * a DNS label. */
#define WL_MDNS_SERVICE_PREFIX "wardline "

/* The ids carried in a TXT record. */
struct wl_mdns_txt {
	unsigned char site[WL_MDNS_SITE_SIZE];
	unsigned char node[WL_MDNS_NODE_SIZE];
};

/* The meaning of a resolved TXT record for this node. */
enum wl_mdns_verdict {
	WL_MDNS_PEER = 0,      /* same site and version, another node */
	WL_MDNS_SELF,	       /* this node's own service */
	WL_MDNS_OTHER_SITE,    /* a node of another site */
	WL_MDNS_OTHER_VERSION, /* "v" missing or not "1" */
	WL_MDNS_MALFORMED /* "site" or "node" missing, repeated or not hex */
};

/* One service seen by the browser on one interface and protocol. */
struct wl_mdns_item {
	struct wl_mdns_item *next;
	struct wl_mdns *owner;
	int ifindex;
	int protocol;
	char *name;
	char *domain;
	void *resolver;	       /* the backend's resolver while one runs */
	int resolver_reported; /* RESOLVER has reported a result */
	int resolved;	       /* NODE, ADDR and PORT hold the last report */
	unsigned char node[WL_MDNS_NODE_SIZE];
	char addr[WL_MDNS_ADDR_MAX];
	uint16_t port;
};

struct wl_mdns_core;
struct wl_mdns_client;

struct wl_mdns {
	uv_loop_t *loop;
	struct wl_uvpoll *poll;
	enum wl_mdns_backend backend;
	unsigned char node_id[WL_MDNS_NODE_SIZE];
	unsigned char site_id[WL_MDNS_SITE_SIZE];
	uint16_t port;
	char *service_base; /* first choice of service name, base of renames */
	char *service_name; /* as published now, after any collision rename */
	char *host_name;    /* embedded stack's first choice, base of renames */
	char **interfaces;
	size_t n_interfaces;
	AvahiStringList *txt;
	wl_mdns_found_fn found;
	wl_mdns_removed_fn removed;
	void *arg;
	struct wl_mdns_item *items;
	int stopping; /* set by wl_mdns_stop, so backends ignore late callbacks
		       */
	struct wl_mdns_core *core;
	struct wl_mdns_client *client;
};

/* Build the TXT record "v=1", "site=<hex>", "node=<hex>" with lower-case
 * hex digits. Returns a list the caller frees with avahi_string_list_free,
 * or NULL when out of memory. */
AvahiStringList *wl_mdns_txt_build(const unsigned char node[32],
				   const unsigned char site[16]);

/* Parse TXT into *OUT. Keys are compared without regard to case, as DNS-SD
 * requires. Hex digits may be of either case, and other keys are ignored.
 * Returns 0, WL_EVERSION ("v" missing or not exactly "1") or WL_EINVAL
 * ("site" or "node" missing, repeated, of the wrong length or not hex). */
int wl_mdns_txt_parse(AvahiStringList *txt, struct wl_mdns_txt *out);

/* Decide whether TXT comes from a peer of the node NODE of site SITE. On
 * WL_MDNS_PEER the peer's node id is in PEER. */
enum wl_mdns_verdict wl_mdns_txt_check(AvahiStringList *txt,
				       const unsigned char node[32],
				       const unsigned char site[16],
				       unsigned char peer[32]);

/* Make the host name "<name>-<first 8 hex digits of NODE>". The device name
 * is reduced to lower-case letters, digits and single hyphens, so the result
 * is a valid DNS label, and an empty result becomes "wardline". Returns a
 * malloc'ed string or NULL when out of memory. */
char *wl_mdns_host_name_make(const char *name, const unsigned char node[32]);

/* Make the service name "wardline <name>", with control characters replaced
 * and cut at a UTF-8 character boundary to at most 63 bytes. Returns a
 * malloc'ed string or NULL when out of memory. */
char *wl_mdns_service_name_make(const char *name);

/* Return 1 if the interface with index IFINDEX may be used (always, when
 * the configuration names no interfaces), else 0. */
int wl_mdns_interface_allowed(const struct wl_mdns *m, int ifindex);

/* Return the item of that interface, protocol, name and domain, or NULL. */
struct wl_mdns_item *wl_mdns_item_find(struct wl_mdns *m, int ifindex,
				       int protocol, const char *name,
				       const char *domain);

/* Add an unresolved item. Returns it, or NULL when out of memory. */
struct wl_mdns_item *wl_mdns_item_add(struct wl_mdns *m, int ifindex,
				      int protocol, const char *name,
				      const char *domain);

/* Apply a resolve result: check TXT, log, and report the node as found if it
 * is a peer whose address or port differ from the last report for this
 * item. A different node on the same item first counts as a removal. */
void wl_mdns_item_resolved(struct wl_mdns *m, struct wl_mdns_item *item,
			   const AvahiAddress *address, uint16_t port,
			   AvahiStringList *txt);

/* Unlink and free ITEM, whose resolver the backend has already freed, and
 * report the node as removed when no other item maps to it. */
void wl_mdns_item_remove(struct wl_mdns *m, struct wl_mdns_item *item);

/* Free every item without reports. The backend has freed the resolvers or
 * is about to free them all with its server or client. */
void wl_mdns_items_clear(struct wl_mdns *m);

/* Pick the next service name after a collision, the first choice with " #"
 * and a random number from 2 to 9999 ("wardline b #4711"), log it and store
 * it in m->service_name. Returns 0 or WL_ENOMEM. */
int wl_mdns_service_rename(struct wl_mdns *m);

/* Start and stop the avahi-daemon backend (node/mdns_client.c). Start
 * returns 0, WL_EIO or WL_ENOMEM and has logged the reason of a failure. */
int wl_mdns_client_start(struct wl_mdns *m);
void wl_mdns_client_stop(struct wl_mdns *m);

#endif
