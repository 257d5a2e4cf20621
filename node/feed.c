/* Local appends: build, sign and store this node's own events. */
#include "wardline/feed.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"

struct append_state {
	const struct wl_identity *id;
	struct wl_hlc *hlc;
	const struct wl_feed_item *items;
	unsigned char (*ids)[WL_EVENT_ID_SIZE];
};

int wl_feed_seal_space(void *arg, const struct wl_event_header *h,
		       const unsigned char *plain, size_t len,
		       unsigned char *out)
{
	return wl_event_seal_body(h, arg, plain, len, out);
}

/* Make the header fields that the associated data covers final, as
 * wl_event_encode will set them, then seal IT's body into *OUT (malloc). */
static int seal_item(const struct wl_feed_item *it, struct wl_event_header *h,
		     unsigned char **out)
{
	size_t len = it->body_len + it->seal_overhead;
	int rc;

	if (len > WL_EVENT_BODY_MAX || len < it->body_len)
		return WL_ETOOBIG;
	h->flags |= WL_EVENT_F_ENCRYPTED;
	if (it->author_sk != NULL) {
		h->flags |= WL_EVENT_F_AUTHOR;
		crypto_sign_ed25519_sk_to_pk(h->author, it->author_sk);
	}
	h->body_len = (uint32_t)len;

	*out = malloc(len ? len : 1);
	if (*out == NULL)
		return WL_ENOMEM;
	rc = it->seal(it->seal_arg, h, it->body, it->body_len, *out);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static int build_next(void *arg, size_t index, uint64_t seq,
		      const unsigned char prev[WL_EVENT_ID_SIZE],
		      uint64_t prev_hlc, unsigned char *out, size_t outsize,
		      size_t *outlen)
{
	struct append_state *st = arg;
	const struct wl_feed_item *it = &st->items[index];
	struct wl_event_header h;
	struct wl_event ev;
	unsigned char *sealed = NULL;
	int rc;

	memset(&h, 0, sizeof(h));
	h.version = WL_EVENT_VERSION;
	h.kind = it->kind;
	h.flags = it->flags;
	memcpy(h.origin, st->id->pk, sizeof(h.origin));
	h.seq = seq;
	memcpy(h.prev, prev, sizeof(h.prev));
	memcpy(h.space, it->space, sizeof(h.space));
	h.epoch = it->epoch;

	/* The head was written by this node, perhaps by another process or
	 * before a restart; never stamp an event earlier than it. */
	if (prev_hlc > st->hlc->last)
		st->hlc->last = prev_hlc;
	rc = wl_hlc_now(st->hlc, &h.hlc);
	if (rc != 0)
		return rc;

	if (it->seal != NULL) {
		rc = seal_item(it, &h, &sealed);
		if (rc != 0)
			return rc;
	}
	rc = wl_event_encode(&h, sealed ? sealed : it->body,
			     sealed ? h.body_len : it->body_len, it->author_sk,
			     st->id->sk, out, outsize, outlen, &ev);
	free(sealed);
	if (rc != 0)
		return rc;
	if (st->ids)
		memcpy(st->ids[index], ev.id, WL_EVENT_ID_SIZE);
	return 0;
}

int wl_feed_append(struct wl_store *store, const struct wl_identity *id,
		   struct wl_hlc *hlc, const struct wl_feed_item *items,
		   size_t n, unsigned char (*ids)[WL_EVENT_ID_SIZE],
		   uint64_t *last_seq)
{
	struct append_state st = {id, hlc, items, ids};
	uint64_t saved = hlc->last;
	int rc;

	if (n == 0)
		return WL_EINVAL;

	rc = wl_store_append(store, id->pk, n, build_next, &st, last_seq);
	if (rc != 0) {
		/* Nothing was written: issued timestamps may be reused. */
		hlc->last = saved;
	}
	return rc;
}
