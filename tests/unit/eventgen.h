/* Test helper: build chains of signed events as a peer would send them. */
#ifndef WARDLINE_EVENTGEN_H
#define WARDLINE_EVENTGEN_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/event.h"

struct gen_origin {
	unsigned char pk[32];
	unsigned char sk[64];
	uint64_t seq;                      /* seq of the last event made */
	unsigned char last_id[32];
	uint64_t hlc;
};

struct gen_event {
	unsigned char *buf;
	size_t len;
};

static inline void gen_origin_init(struct gen_origin *o)
{
	memset(o, 0, sizeof(*o));
	crypto_sign_keypair(o->pk, o->sk);
	o->hlc = (uint64_t)1796400000000ull << 16;
}

/* Make the next event of O with a random body of BODY_LEN bytes, signed by
 * AUTHOR_SK as well when it is not NULL. The buffer is malloc'd. */
static inline struct gen_event gen_next(struct gen_origin *o, size_t body_len,
					const unsigned char *author_sk)
{
	struct wl_event_header h;
	struct wl_event ev;
	struct gen_event g;
	unsigned char *body = malloc(body_len + 1);
	size_t cap = WL_EVENT_SIGNED_MAX + body_len;

	memset(&h, 0, sizeof(h));
	h.version = WL_EVENT_VERSION;
	h.kind = WL_KIND_TEST;
	memcpy(h.origin, o->pk, 32);
	h.seq = o->seq + 1;
	memcpy(h.prev, o->last_id, 32);
	h.hlc = ++o->hlc;
	randombytes_buf(body, body_len);
	g.buf = malloc(cap);
	if (wl_event_encode(&h, body, body_len, author_sk, o->sk, g.buf, cap,
			    &g.len, &ev) != 0)
		abort();
	o->seq++;
	memcpy(o->last_id, ev.id, 32);
	free(body);
	return g;
}

#endif
