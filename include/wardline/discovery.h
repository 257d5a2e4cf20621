/* The address book of other nodes: static peers from the configuration,
 * nodes found by mDNS, and addresses learned from linked peers (peer
 * exchange), with the reconnect schedule of each (exponential backoff with
 * jitter). Pure: no sockets, no clock of its own.
 */
#ifndef WARDLINE_DISCOVERY_H
#define WARDLINE_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#define WL_CONTACT_STATIC 0x1u   /* from the configuration */
#define WL_CONTACT_MDNS 0x2u     /* found by mDNS */
#define WL_CONTACT_EXCHANGE 0x4u /* told by a linked peer */

struct wl_contact {
	unsigned char node[32];
	int node_known;       /* 0 for a static peer not yet linked */
	char addr[64];        /* numeric IPv4 or IPv6 address */
	uint16_t port;
	unsigned sources;     /* WL_CONTACT_* bits */
	uint32_t failures;    /* consecutive failed attempts */
	uint64_t next_attempt_ms;
	void *link;           /* the caller's link while one is open */
	uint64_t last_linked_ms;
};

struct wl_discovery;

/* Create an empty book. Backoff after the Nth consecutive failure is
 * MIN_MS * 2^(N-1), capped at MAX_MS, times a random factor in [0.5, 1.5).
 * Returns 0 and *OUT or WL_ENOMEM. */
int wl_discovery_new(uint32_t backoff_min_ms, uint32_t backoff_max_ms,
		     struct wl_discovery **out);

void wl_discovery_free(struct wl_discovery *d);

/* Parse "ADDR:PORT" or "[ADDR6]:PORT" with a numeric address into ADDR
 * (64 bytes) and *PORT. Returns 0 or WL_EINVAL. */
int wl_discovery_parse(const char *text, char addr[64], uint16_t *port);

/* Add or update a contact. NODE (may be NULL when unknown) identifies it;
 * without a node id, (ADDR, PORT) does. A contact with a known node id gets
 * the newest address. SOURCE is ORed into its sources; a new contact is due
 * at once. Returns the contact (owned by D, valid until removed) or NULL
 * when out of memory or when the book is full (WL_DISCOVERY_MAX). */
struct wl_contact *wl_discovery_add(struct wl_discovery *d,
				    const unsigned char *node,
				    const char *addr, uint16_t port,
				    unsigned source);

#define WL_DISCOVERY_MAX 1024

/* Find the contact of NODE, or NULL. */
struct wl_contact *wl_discovery_find(struct wl_discovery *d,
				     const unsigned char node[32]);

/* Set the node id of C, learned when its link was established; merges C
 * into an existing contact of that node. Returns the surviving contact. */
struct wl_contact *wl_discovery_identify(struct wl_discovery *d,
					 struct wl_contact *c,
					 const unsigned char node[32]);

/* Clear SOURCE from every contact; a contact left with no source and no
 * link is removed. Used before re-adding static peers after a reload, and
 * when mDNS withdraws a node (then pass that NODE; NULL means all). */
void wl_discovery_drop(struct wl_discovery *d, unsigned source,
		       const unsigned char *node);

/* Remove the contact of NODE whatever its sources (a revoked node). */
void wl_discovery_forget(struct wl_discovery *d, const unsigned char node[32]);

/* Record a failed attempt on C at NOW_MS; RANDOM is a uniform 32-bit
 * value for the jitter. */
void wl_discovery_failed(struct wl_discovery *d, struct wl_contact *c,
			 uint64_t now_ms, uint32_t random);

/* Record a successful link on C at NOW_MS. */
void wl_discovery_linked(struct wl_contact *c, uint64_t now_ms);

/* Return the contacts in *OUT (owned by D) and their count; valid until
 * the next call that adds or removes. */
size_t wl_discovery_list(struct wl_discovery *d, struct wl_contact ***out);

/* Return the earliest next_attempt_ms of a contact without a link that
 * has a port to dial, or UINT64_MAX. */
uint64_t wl_discovery_next_due(struct wl_discovery *d);

#endif
