/* Appending events to this node's own feed. */
#ifndef WARDLINE_FEED_H
#define WARDLINE_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/store.h"

/* Seal the plaintext PLAIN (LEN bytes) of the event whose header H is
 * final in bytes 0 to WL_EVENT_AD_SIZE - 1 (body_len included) into OUT,
 * which has room for h->body_len bytes. ARG is the item's seal_arg.
 * Returns 0 or a negative code. */
typedef int (*wl_feed_seal_fn)(void *arg, const struct wl_event_header *h,
			       const unsigned char *plain, size_t len,
			       unsigned char *out);

/* What one new local event says; the feed fills in origin, seq, prev and
 * the timestamp. An encrypted body's associated data covers those fields,
 * so the feed seals it once they are known: set SEAL, and BODY is then
 * the plaintext. */
struct wl_feed_item {
	uint8_t kind;
	uint16_t flags;          /* 0; the feed sets the flags it needs */
	unsigned char space[WL_EVENT_SPACE_SIZE];
	uint32_t epoch;
	const unsigned char *author_sk; /* 64-byte user key, or NULL */
	const unsigned char *body;      /* plaintext when SEAL is set */
	size_t body_len;
	wl_feed_seal_fn seal;   /* NULL: BODY is stored as it is */
	void *seal_arg;
	size_t seal_overhead;   /* sealed length minus plaintext length */
};

/* A wl_feed_seal_fn for the space key (32 bytes) given as ARG: the
 * XChaCha20-Poly1305 body of wl_event_seal_body, overhead
 * WL_EVENT_SEAL_OVERHEAD. */
int wl_feed_seal_space(void *arg, const struct wl_event_header *h,
		       const unsigned char *plain, size_t len,
		       unsigned char *out);

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
