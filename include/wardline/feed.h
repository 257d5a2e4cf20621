/* Appending events to this node's own feed. */
#ifndef WARDLINE_FEED_H
#define WARDLINE_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/store.h"

/* What one new local event says; the feed fills in origin, seq, prev and
 * the timestamp. */
struct wl_feed_item {
	uint8_t kind;
	uint16_t flags;          /* WL_EVENT_F_ENCRYPTED or 0 */
	unsigned char space[WL_EVENT_SPACE_SIZE];
	uint32_t epoch;
	const unsigned char *author_sk; /* 64-byte user key, or NULL */
	const unsigned char *body;      /* already sealed when encrypted */
	size_t body_len;
};

/* Append N items to the feed of node ID in one durable commit, stamping
 * each with a timestamp from HLC (merged first with the head's timestamp,
 * so a clock that stepped back still sorts after the head). IDS (may be
 * NULL) receives the event id of each item and *LAST_SEQ (may be NULL) the
 * seq of the last. Returns 0, or the codes of wl_event_encode and
 * wl_store_append; on error nothing was written. */
int wl_feed_append(struct wl_store *store, const struct wl_identity *id,
		   struct wl_hlc *hlc, const struct wl_feed_item *items,
		   size_t n, unsigned char (*ids)[WL_EVENT_ID_SIZE],
		   uint64_t *last_seq);

#endif
