/* Unit tests of the wardline.1 link state machine. Two wl_peer instances
 * talk in memory, each with a fake node whose store is a table of opaque
 * events. A third party, "raw", speaks the protocol by hand from its
 * description in docs/protocol.md. It checks the bytes on the wire and sends
 * messages that no wl_peer would. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/peer.h"
#include "wardline/site.h"

#define NOW	 1796400000000ull /* 2026-12-04, Unix milliseconds */
#define NORIGINS 8
#define SEALED_MAX                                                             \
	(WL_PEER_MESSAGE_MAX + crypto_secretstream_xchacha20poly1305_ABYTES)
#define EVENT_MIN 9 /* origin index and seq */

struct site {
	unsigned char pk[32];
	unsigned char sk[64];
};

/* The events of one origin held by a fake node, index seq - 1. */
struct store_origin {
	uint64_t head;
	size_t cap;
	unsigned char **ev;
	size_t *len;
};

/* A fake node: keys, certificate, a store, and what its callbacks saw. */
struct node {
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char cert[WL_CERT_SIZE];
	const unsigned char *reject; /* node id that admit rejects */
	int fetch_err;		     /* what fetch returns, when not 0 */
	int fetch_extra; /* fetch claims one event more than it may */
	struct store_origin o[NORIGINS];
	int dirty[NORIGINS];
	size_t deliver_calls;
	size_t delivered;
	size_t duplicates;
	size_t gaps;
	struct wl_peer_addr learned[256];
	size_t nlearned;
};

/* Two peers and the nodes behind them; A dials, B listens. */
struct link {
	struct node *a, *b;
	struct wl_peer *pa, *pb;
	unsigned char *buf, *buf2;
	int ack;	  /* the nodes commit and report what they received */
	int err_a, err_b; /* first error each side reported */
	size_t max_len;	  /* maximum message length seen */
};

static struct site site1, site2;

/* ---- fake node ---- */

static void origin_id(size_t k, unsigned char id[32])
{
	memset(id, 0xa0 + (int)k, 32);
}

static long origin_index(const unsigned char *id)
{
	unsigned char want[32];

	for (size_t k = 0; k < NORIGINS; k++) {
		origin_id(k, want);
		if (memcmp(id, want, 32) == 0)
			return (long)k;
	}
	return -1;
}

static void put_be(unsigned char *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_be(const unsigned char *b, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | b[i];
	return v;
}

static void store_put(struct store_origin *so, const unsigned char *ev,
		      size_t len)
{
	if (so->head == so->cap) {
		so->cap = so->cap == 0 ? 64 : so->cap * 2;
		so->ev = realloc(so->ev, so->cap * sizeof(*so->ev));
		so->len = realloc(so->len, so->cap * sizeof(*so->len));
		assert_non_null(so->ev);
		assert_non_null(so->len);
	}
	so->ev[so->head] = malloc(len);
	assert_non_null(so->ev[so->head]);
	memcpy(so->ev[so->head], ev, len);
	so->len[so->head] = len;
	so->head++;
}

/* Append COUNT fake events of LEN bytes (at least EVENT_MIN) to origin K:
 * the origin index, the seq, then a filler that depends on both. */
static void node_append(struct node *n, size_t k, size_t count, size_t len)
{
	unsigned char *ev = malloc(len);

	assert_non_null(ev);
	for (size_t i = 0; i < count; i++) {
		uint64_t seq = n->o[k].head + 1;

		ev[0] = (unsigned char)k;
		put_be(ev + 1, seq, 8);
		memset(ev + EVENT_MIN, (int)((k * 31 + seq) & 0xff),
		       len - EVENT_MIN);
		store_put(&n->o[k], ev, len);
	}
	free(ev);
}

static void node_init(struct node *n, const struct site *s, const char *name,
		      uint64_t expires)
{
	struct wl_node_cert c;

	memset(n, 0, sizeof(*n));
	crypto_sign_keypair(n->pk, n->sk);
	assert_int_equal(
	    wl_cert_issue(s->sk, n->pk, name, NOW - 1000, expires, &c), 0);
	wl_cert_encode(&c, n->cert);
}

static void node_clear(struct node *n)
{
	for (size_t k = 0; k < NORIGINS; k++) {
		for (uint64_t i = 0; i < n->o[k].head; i++)
			free(n->o[k].ev[i]);
		free(n->o[k].ev);
		free(n->o[k].len);
	}
}

static void node_free(struct node *n)
{
	node_clear(n);
	free(n);
}

/* Report every origin the node holds, as the node does for a new link. */
static void node_report(struct node *n, struct wl_peer *p)
{
	unsigned char id[32];

	for (size_t k = 0; k < NORIGINS; k++) {
		if (n->o[k].head == 0)
			continue;
		origin_id(k, id);
		wl_peer_local_head(p, id, n->o[k].head);
	}
}

/* What the node does once received events are committed. */
static void node_commit(struct node *n, struct wl_peer *p)
{
	unsigned char id[1][32];

	for (size_t k = 0; k < NORIGINS; k++) {
		if (!n->dirty[k])
			continue;
		n->dirty[k] = 0;
		origin_id(k, id[0]);
		wl_peer_stored(p, id, &n->o[k].head, 1);
		wl_peer_local_head(p, id[0], n->o[k].head);
	}
}

static int fake_admit(void *arg, const unsigned char node[32])
{
	struct node *n = arg;

	if (n->reject != NULL && memcmp(n->reject, node, 32) == 0)
		return WL_EREVOKED;
	return 0;
}

static int fake_fetch(void *arg, const unsigned char origin[32], uint64_t after,
		      size_t max, unsigned char *out, size_t size, size_t *used,
		      size_t *n, uint64_t *last)
{
	struct node *nd = arg;
	long k = origin_index(origin);
	struct store_origin *so;

	*used = 0;
	*n = 0;
	*last = after;
	if (nd->fetch_err != 0)
		return nd->fetch_err;
	if (nd->fetch_extra) {
		*n = max + 1;
		*last = after + max + 1;
		return 0;
	}
	if (k < 0)
		return 0;
	so = &nd->o[k];
	for (uint64_t seq = after + 1; seq <= so->head && *n < max; seq++) {
		size_t len = so->len[seq - 1];

		if (*used + 4 + len > size)
			break;
		put_be(out + *used, len, 4);
		memcpy(out + *used + 4, so->ev[seq - 1], len);
		*used += 4 + len;
		*n += 1;
		*last = seq;
	}
	return 0;
}

static int fake_deliver(void *arg, const unsigned char *const *events,
			const size_t *lens, size_t count)
{
	struct node *nd = arg;

	nd->deliver_calls++;
	for (size_t i = 0; i < count; i++) {
		size_t k = events[i][0];
		uint64_t seq;

		if (lens[i] < EVENT_MIN || k >= NORIGINS)
			return WL_EINVAL;
		seq = get_be(events[i] + 1, 8);
		nd->delivered++;
		if (seq <= nd->o[k].head) {
			nd->duplicates++;
		} else if (seq == nd->o[k].head + 1) {
			store_put(&nd->o[k], events[i], lens[i]);
			nd->dirty[k] = 1;
		} else {
			nd->gaps++;
		}
	}
	return 0;
}

static void fake_learn(void *arg, const struct wl_peer_addr *addrs, size_t n)
{
	struct node *nd = arg;

	for (size_t i = 0; i < n && nd->nlearned < 256; i++)
		nd->learned[nd->nlearned++] = addrs[i];
}

static const struct wl_peer_ops fake_ops = {
    .admit = fake_admit,
    .fetch = fake_fetch,
    .deliver = fake_deliver,
    .learn = fake_learn,
};

static struct wl_peer *peer_make(struct node *n, const struct site *s,
				 int dialer, uint64_t now)
{
	struct wl_peer_config cfg = {
	    .dialer = dialer,
	    .node_pk = n->pk,
	    .node_sk = n->sk,
	    .cert = n->cert,
	    .site_pk = s->pk,
	    .now_ms = now,
	    .ops = &fake_ops,
	    .arg = n,
	};
	struct wl_peer *p = NULL;

	assert_int_equal(wl_peer_new(&cfg, &p), 0);
	assert_non_null(p);
	return p;
}

/* ---- link ---- */

static struct link *link_new(void)
{
	struct link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->a = malloc(sizeof(*l->a));
	l->b = malloc(sizeof(*l->b));
	l->buf = malloc(SEALED_MAX + 1);
	l->buf2 = malloc(SEALED_MAX);
	assert_non_null(l->a);
	assert_non_null(l->b);
	assert_non_null(l->buf);
	assert_non_null(l->buf2);
	node_init(l->a, &site1, "ward-a", 0);
	node_init(l->b, &site1, "ward-b", 0);
	l->ack = 1;
	return l;
}

static void link_start(struct link *l)
{
	l->pa = peer_make(l->a, &site1, 1, NOW);
	l->pb = peer_make(l->b, &site1, 0, NOW);
	node_report(l->a, l->pa);
	node_report(l->b, l->pb);
}

static void link_free(struct link *l)
{
	wl_peer_free(l->pa);
	wl_peer_free(l->pb);
	node_free(l->a);
	node_free(l->b);
	free(l->buf);
	free(l->buf2);
	free(l);
}

/* Take SRC's next message into BUF. Returns 1 when there was one. */
static int link_take(struct link *l, struct wl_peer *src, unsigned char *buf,
		     size_t *len, int *src_err)
{
	int rc;

	if (*src_err != 0)
		return 0;
	rc = wl_peer_next(src, buf, SEALED_MAX, len);
	if (rc < 0)
		*src_err = rc;
	if (rc != 1)
		return 0;
	if (*len > l->max_len)
		l->max_len = *len;
	return 1;
}

static void link_give(struct link *l, struct wl_peer *dst,
		      struct node *dst_node, const unsigned char *buf,
		      size_t len, int *dst_err)
{
	int rc = wl_peer_receive(dst, buf, len);

	if (rc != 0 && *dst_err == 0)
		*dst_err = rc;
	else if (rc == 0 && l->ack)
		node_commit(dst_node, dst);
}

/* Exchange messages until neither side has anything to send. Both sides
 * send before either receives, as on a real link, and go on until they
 * fail themselves. Returns the first error of either side, or 0. */
static int link_pump(struct link *l)
{
	size_t la = 0, lb = 0;
	int na, nb;

	do {
		na = link_take(l, l->pa, l->buf, &la, &l->err_a);
		nb = link_take(l, l->pb, l->buf2, &lb, &l->err_b);
		if (na)
			link_give(l, l->pb, l->b, l->buf, la, &l->err_b);
		if (nb)
			link_give(l, l->pa, l->a, l->buf2, lb, &l->err_a);
	} while (na || nb);
	return l->err_a != 0 ? l->err_a : l->err_b;
}

static void assert_same_origin(const struct node *x, const struct node *y,
			       size_t k)
{
	assert_int_equal(x->o[k].head, y->o[k].head);
	for (uint64_t i = 0; i < x->o[k].head; i++) {
		assert_int_equal(x->o[k].len[i], y->o[k].len[i]);
		assert_memory_equal(x->o[k].ev[i], y->o[k].ev[i],
				    x->o[k].len[i]);
	}
}

/* ---- raw: the protocol by hand ---- */

struct raw {
	struct node n;
	int dialer;
	unsigned char eph_pk[32];
	unsigned char eph_sk[32];
	unsigned char hello[WL_PEER_HELLO_SIZE];
	unsigned char t[32];
	crypto_secretstream_xchacha20poly1305_state tx, rx;
};

static void raw_hello(struct raw *r, const unsigned char *site_pk)
{
	unsigned char *h = r->hello;

	memcpy(h, "WLH1", 4);
	h[4] = 1;
	h[5] = r->dialer ? 0 : 1;
	h[6] = 0;
	h[7] = 0;
	wl_site_id(site_pk, h + 8);
	crypto_kx_keypair(r->eph_pk, r->eph_sk);
	memcpy(h + 24, r->eph_pk, 32);
	memcpy(h + 56, r->n.cert, WL_CERT_SIZE);
}

static void raw_transcript(struct raw *r, const unsigned char *peer_hello)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(
	    &st, (const unsigned char *)"wardline.1 handshake", 20);
	crypto_generichash_update(&st, r->dialer ? r->hello : peer_hello,
				  WL_PEER_HELLO_SIZE);
	crypto_generichash_update(&st, r->dialer ? peer_hello : r->hello,
				  WL_PEER_HELLO_SIZE);
	crypto_generichash_final(&st, r->t, 32);
}

static void raw_auth_message(const struct raw *r, int role,
			     unsigned char msg[48])
{
	memcpy(msg, "wardline.1 auth", 15);
	msg[15] = (unsigned char)role;
	memcpy(msg + 16, r->t, 32);
}

/* Build R's AUTH for the peer HELLO PH into AUTH; keep the rx key. */
static void raw_auth(struct raw *r, const unsigned char *ph,
		     unsigned char auth[WL_PEER_AUTH_SIZE],
		     unsigned char rx[32])
{
	unsigned char tx[32];
	unsigned char msg[48];

	raw_transcript(r, ph);
	if (r->dialer)
		assert_int_equal(crypto_kx_client_session_keys(
				     rx, tx, r->eph_pk, r->eph_sk, ph + 24),
				 0);
	else
		assert_int_equal(crypto_kx_server_session_keys(
				     rx, tx, r->eph_pk, r->eph_sk, ph + 24),
				 0);
	memcpy(auth, "WLA1", 4);
	crypto_secretstream_xchacha20poly1305_init_push(&r->tx, auth + 4, tx);
	raw_auth_message(r, r->dialer ? 0 : 1, msg);
	crypto_sign_detached(auth + 28, NULL, msg, 48, r->n.sk);
}

/* Run the handshake of R with P. Returns 0 once both ends are
 * established, or the first error wl_peer_receive returned. */
static int raw_connect(struct raw *r, struct wl_peer *p, const struct site *s,
		       const unsigned char *peer_pk)
{
	unsigned char *out = malloc(WL_PEER_MESSAGE_MAX);
	unsigned char ph[WL_PEER_HELLO_SIZE];
	unsigned char auth[WL_PEER_AUTH_SIZE];
	unsigned char msg[48];
	unsigned char rx[32];
	size_t len = 0;
	int rc;

	assert_non_null(out);
	raw_hello(r, s->pk);
	assert_int_equal(wl_peer_next(p, out, WL_PEER_MESSAGE_MAX, &len), 1);
	assert_int_equal(len, WL_PEER_HELLO_SIZE);
	memcpy(ph, out, len);
	rc = wl_peer_receive(p, r->hello, WL_PEER_HELLO_SIZE);
	if (rc != 0)
		goto out;

	raw_auth(r, ph, auth, rx);
	rc = wl_peer_receive(p, auth, WL_PEER_AUTH_SIZE);
	if (rc != 0)
		goto out;
	assert_int_equal(wl_peer_next(p, out, WL_PEER_MESSAGE_MAX, &len), 1);
	assert_int_equal(len, WL_PEER_AUTH_SIZE);
	assert_memory_equal(out, "WLA1", 4);
	raw_auth_message(r, r->dialer ? 1 : 0, msg);
	assert_int_equal(
	    crypto_sign_verify_detached(out + 28, msg, 48, peer_pk), 0);
	assert_int_equal(crypto_secretstream_xchacha20poly1305_init_pull(
			     &r->rx, out + 4, rx),
			 0);
out:
	free(out);
	return rc;
}

/* Seal PLAIN with R's stream and hand it to P. */
static int raw_send_tag(struct raw *r, struct wl_peer *p,
			const unsigned char *plain, size_t len,
			unsigned char tag)
{
	size_t cap = len + crypto_secretstream_xchacha20poly1305_ABYTES;
	unsigned char *c = malloc(cap);
	unsigned long long clen = 0;
	int rc;

	assert_non_null(c);
	crypto_secretstream_xchacha20poly1305_push(&r->tx, c, &clen, plain, len,
						   NULL, 0, tag);
	rc = wl_peer_receive(p, c, (size_t)clen);
	free(c);
	return rc;
}

static int raw_send(struct raw *r, struct wl_peer *p,
		    const unsigned char *plain, size_t len)
{
	return raw_send_tag(r, p, plain, len,
			    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

/* Take P's next message and open it into PLAIN (WL_PEER_MESSAGE_MAX
 * bytes). Returns 1 and *LEN, or 0 when P had nothing to send. */
static int raw_recv(struct raw *r, struct wl_peer *p, unsigned char *plain,
		    size_t *len)
{
	unsigned char *c = malloc(WL_PEER_MESSAGE_MAX);
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t clen = 0;
	int rc;

	assert_non_null(c);
	rc = wl_peer_next(p, c, WL_PEER_MESSAGE_MAX, &clen);
	assert_true(rc >= 0);
	if (rc == 1) {
		assert_int_equal(
		    crypto_secretstream_xchacha20poly1305_pull(
			&r->rx, plain, &mlen, &tag, c, clen, NULL, 0),
		    0);
		assert_int_equal(
		    tag, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		*len = (size_t)mlen;
	}
	free(c);
	return rc;
}

/* A raw dialer established with a fresh listener peer of node B. */
struct rawlink {
	struct raw r;
	struct node b;
	struct wl_peer *p;
	unsigned char *plain;
};

static struct rawlink *rawlink_new(void)
{
	struct rawlink *rl = calloc(1, sizeof(*rl));

	assert_non_null(rl);
	node_init(&rl->r.n, &site1, "raw", 0);
	node_init(&rl->b, &site1, "ward-b", 0);
	rl->r.dialer = 1;
	rl->p = peer_make(&rl->b, &site1, 0, NOW);
	rl->plain = malloc(WL_PEER_MESSAGE_MAX);
	assert_non_null(rl->plain);
	assert_int_equal(raw_connect(&rl->r, rl->p, &site1, rl->b.pk), 0);
	assert_int_equal(wl_peer_state(rl->p), WL_PEER_ESTABLISHED);
	return rl;
}

static void rawlink_free(struct rawlink *rl)
{
	wl_peer_free(rl->p);
	node_clear(&rl->b);
	free(rl->plain);
	free(rl);
}

/* A small message writer. */
struct wbuf {
	unsigned char b[8192];
	size_t n;
};

static void w_u8(struct wbuf *w, unsigned v)
{
	w->b[w->n++] = (unsigned char)v;
}

static void w_be(struct wbuf *w, uint64_t v, int bytes)
{
	put_be(w->b + w->n, v, bytes);
	w->n += (size_t)bytes;
}

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* A PEERS entry for node byte NODE, PORT and ADDR of LEN bytes. */
static void w_peer(struct wbuf *w, int node, unsigned port, const char *addr,
		   size_t len)
{
	unsigned char id[32];

	memset(id, node, 32);
	w_bytes(w, id, 32);
	w_be(w, port, 2);
	w_u8(w, (unsigned)len);
	w_bytes(w, addr, len);
}

/* ---- tests: handshake ---- */

static void handshake_succeeds(void **state)
{
	struct link *l = link_new();

	(void)state;
	link_start(l);
	assert_null(wl_peer_remote(l->pa));
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_HANDSHAKE);
	assert_int_equal(link_pump(l), 0);

	assert_int_equal(wl_peer_state(l->pa), WL_PEER_ESTABLISHED);
	assert_int_equal(wl_peer_state(l->pb), WL_PEER_ESTABLISHED);
	assert_memory_equal(wl_peer_remote(l->pa), l->b->pk, 32);
	assert_memory_equal(wl_peer_remote(l->pb), l->a->pk, 32);
	assert_string_equal(wl_peer_remote_name(l->pa), "ward-b");
	assert_string_equal(wl_peer_remote_name(l->pb), "ward-a");
	assert_int_equal(wl_peer_is_dialer(l->pa), 1);
	assert_int_equal(wl_peer_is_dialer(l->pb), 0);
	link_free(l);
}

static void hello_layout(void **state)
{
	struct link *l = link_new();
	unsigned char site_id[WL_SITE_ID_SIZE];
	size_t len = 0;

	(void)state;
	link_start(l);
	wl_site_id(site1.pk, site_id);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len), 1);
	assert_int_equal(len, 236);
	assert_memory_equal(l->buf, "WLH1\x01\x00\x00\x00", 8);
	assert_memory_equal(l->buf + 8, site_id, 16);
	assert_memory_equal(l->buf + 56, l->a->cert, WL_CERT_SIZE);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len), 0);

	assert_int_equal(wl_peer_next(l->pb, l->buf, SEALED_MAX, &len), 1);
	assert_memory_equal(l->buf, "WLH1\x01\x01\x00\x00", 8);
	link_free(l);
}

/* Start a link where B uses NODE_B and site S_B, and A checks at A_NOW. */
static struct link *link_custom(const struct site *cert_site,
				const struct site *b_site, uint64_t expires,
				uint64_t a_now)
{
	struct link *l = link_new();

	node_init(l->b, cert_site, "ward-b", expires);
	l->pa = peer_make(l->a, &site1, 1, a_now);
	l->pb = peer_make(l->b, b_site, 0, NOW);
	return l;
}

static void foreign_site_fails(void **state)
{
	struct link *l;

	(void)state;
	/* B belongs to another site altogether: site ids differ. */
	l = link_custom(&site2, &site2, 0, NOW);
	assert_int_not_equal(link_pump(l), 0);
	assert_int_equal(l->err_a, WL_ECERT);
	assert_int_equal(l->err_b, WL_ECERT);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	link_free(l);

	/* B claims our site but its certificate is signed by another. */
	l = link_custom(&site2, &site1, 0, NOW);
	assert_int_not_equal(link_pump(l), 0);
	assert_int_equal(l->err_a, WL_ECERT);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	assert_int_not_equal(wl_peer_state(l->pb), WL_PEER_ESTABLISHED);
	link_free(l);
}

static void expired_cert_fails(void **state)
{
	struct link *l = link_custom(&site1, &site1, NOW + 1000, NOW + 2000);

	(void)state;
	assert_int_equal(link_pump(l), WL_ECERT);
	assert_int_equal(l->err_a, WL_ECERT);
	link_free(l);
}

static void revoked_fails(void **state)
{
	struct link *l = link_new();

	(void)state;
	l->a->reject = l->b->pk;
	link_start(l);
	assert_int_equal(link_pump(l), WL_EREVOKED);
	assert_int_equal(l->err_a, WL_EREVOKED);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	assert_null(wl_peer_remote(l->pa));
	link_free(l);
}

static void self_connection_fails(void **state)
{
	struct link *l = link_new();

	(void)state;
	memcpy(l->b, l->a, sizeof(*l->b));
	l->pa = peer_make(l->a, &site1, 1, NOW);
	l->pb = peer_make(l->b, &site1, 0, NOW);
	assert_int_equal(link_pump(l), WL_ECERT);
	assert_int_equal(l->err_a, WL_ECERT);
	assert_int_equal(l->err_b, WL_ECERT);
	link_free(l);
}

/* Exchange the HELLOs of L and return B's AUTH in AUTH. */
static void link_hellos(struct link *l, unsigned char auth[WL_PEER_AUTH_SIZE])
{
	size_t len = 0;

	link_start(l);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len), 1);
	assert_int_equal(wl_peer_receive(l->pb, l->buf, len), 0);
	assert_int_equal(wl_peer_next(l->pb, l->buf, SEALED_MAX, &len), 1);
	assert_int_equal(wl_peer_receive(l->pa, l->buf, len), 0);
	assert_int_equal(wl_peer_next(l->pb, l->buf, SEALED_MAX, &len), 1);
	assert_int_equal(len, WL_PEER_AUTH_SIZE);
	memcpy(auth, l->buf, len);
}

static void bad_auth_fails(void **state)
{
	unsigned char auth[WL_PEER_AUTH_SIZE];
	unsigned char other[WL_PEER_AUTH_SIZE];
	struct link *l;

	(void)state;
	l = link_new();
	link_hellos(l, auth);
	auth[4 + 24 + 5] ^= 0x01;
	assert_int_equal(wl_peer_receive(l->pa, auth, sizeof(auth)), WL_EAUTH);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	link_free(l);

	/* A valid AUTH of another session does not fit this transcript. */
	l = link_new();
	link_hellos(l, other);
	link_free(l);
	l = link_new();
	link_hellos(l, auth);
	assert_int_equal(wl_peer_receive(l->pa, other, sizeof(other)),
			 WL_EAUTH);
	link_free(l);

	/* The stream header is not signed, but a changed one cannot open the
	 * first sealed frame. */
	l = link_new();
	link_hellos(l, auth);
	auth[4] ^= 0x01;
	assert_int_equal(wl_peer_receive(l->pa, auth, sizeof(auth)), 0);
	assert_int_equal(link_pump(l), WL_EAUTH);
	assert_int_equal(l->err_a, WL_EAUTH);
	link_free(l);
}

static void malformed_hello_fails(void **state)
{
	struct {
		size_t off;
		unsigned char val;
		long len_delta;
		int want;
	} cases[] = {
	    {0, 0, -1, WL_ETRUNC},   {0, 0, 1, WL_ETRAILING},
	    {0, 'X', 0, WL_EINVAL},  {4, 2, 0, WL_EVERSION},
	    {5, 1, 0, WL_EINVAL},    {6, 1, 0, WL_EINVAL},
	    {7, 1, 0, WL_EINVAL},    {8, 0x5a, 0, WL_ECERT},
	    {56, 2, 0, WL_ECERT},    {56 + 150, 1, 0, WL_ECERT},
	    {0, 0, -233, WL_ETRUNC}, {0, 0, -231, WL_ETRUNC},
	};
	struct raw r;

	(void)state;
	memset(&r, 0, sizeof(r));
	node_init(&r.n, &site1, "raw", 0);
	r.dialer = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct node b;
		unsigned char msg[WL_PEER_HELLO_SIZE + 1];
		struct wl_peer *p;
		size_t len =
		    (size_t)((long)WL_PEER_HELLO_SIZE + cases[i].len_delta);

		node_init(&b, &site1, "ward-b", 0);
		p = peer_make(&b, &site1, 0, NOW);
		raw_hello(&r, site1.pk);
		memcpy(msg, r.hello, WL_PEER_HELLO_SIZE);
		msg[WL_PEER_HELLO_SIZE] = 0;
		if (cases[i].val != 0)
			msg[cases[i].off] ^= cases[i].val;
		assert_int_equal(wl_peer_receive(p, msg, len), cases[i].want);
		assert_int_equal(wl_peer_state(p), WL_PEER_FAILED);
		assert_int_equal(wl_peer_receive(p, r.hello, sizeof(r.hello)),
				 cases[i].want);
		wl_peer_free(p);
	}
}

static void out_of_order_handshake_fails(void **state)
{
	unsigned char auth[WL_PEER_AUTH_SIZE];
	struct link *l;
	size_t len = 0;

	(void)state;
	/* AUTH before HELLO. */
	l = link_new();
	link_hellos(l, auth);
	wl_peer_free(l->pa);
	l->pa = peer_make(l->a, &site1, 1, NOW);
	assert_int_equal(wl_peer_receive(l->pa, auth, sizeof(auth)), WL_EINVAL);
	link_free(l);

	/* A second HELLO. */
	l = link_new();
	link_start(l);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len), 1);
	assert_int_equal(wl_peer_receive(l->pb, l->buf, len), 0);
	assert_int_equal(wl_peer_receive(l->pb, l->buf, len), WL_EINVAL);
	link_free(l);

	/* A cleartext HELLO after establishment. */
	l = link_new();
	link_start(l);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len), 1);
	{
		unsigned char hello[WL_PEER_HELLO_SIZE];

		memcpy(hello, l->buf, WL_PEER_HELLO_SIZE);
		assert_int_equal(wl_peer_receive(l->pb, hello, len), 0);
		assert_int_equal(link_pump(l), 0);
		assert_int_equal(wl_peer_receive(l->pb, hello, len), WL_EINVAL);
	}
	link_free(l);
}

static void oversized_fails(void **state)
{
	struct link *l = link_new();

	(void)state;
	link_start(l);
	memset(l->buf, 0, SEALED_MAX + 1);
	assert_int_equal(wl_peer_receive(l->pa, l->buf, SEALED_MAX + 1),
			 WL_ETOOBIG);
	assert_int_equal(link_pump(l), WL_ETOOBIG);

	/* Established, the same. */
	wl_peer_free(l->pa);
	wl_peer_free(l->pb);
	l->err_a = 0;
	link_start(l);
	assert_int_equal(link_pump(l), 0);
	assert_int_equal(wl_peer_receive(l->pb, l->buf, SEALED_MAX + 1),
			 WL_ETOOBIG);
	link_free(l);
}

static void small_buffer_fails(void **state)
{
	struct link *l = link_new();
	size_t len = 0;

	(void)state;
	link_start(l);
	assert_int_equal(wl_peer_next(l->pa, l->buf, 4096, &len), WL_EINVAL);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	link_free(l);
}

/* ---- tests: sealed frames ---- */

/* Two sealed frames from A (PINGs 1 and 2) on an established link. */
static void two_frames(struct link *l, unsigned char *f1, size_t *n1,
		       unsigned char *f2, size_t *n2)
{
	link_start(l);
	assert_int_equal(link_pump(l), 0);
	wl_peer_ping(l->pa, 1);
	assert_int_equal(wl_peer_next(l->pa, f1, SEALED_MAX, n1), 1);
	wl_peer_ping(l->pa, 2);
	assert_int_equal(wl_peer_next(l->pa, f2, SEALED_MAX, n2), 1);
}

static void tampered_frames_fail(void **state)
{
	unsigned char *f1 = malloc(SEALED_MAX);
	unsigned char *f2 = malloc(SEALED_MAX);
	size_t n1 = 0, n2 = 0, len = 0;
	struct link *l;

	(void)state;
	assert_non_null(f1);
	assert_non_null(f2);

	l = link_new(); /* replay */
	two_frames(l, f1, &n1, f2, &n2);
	assert_int_equal(wl_peer_receive(l->pb, f1, n1), 0);
	assert_int_equal(wl_peer_receive(l->pb, f1, n1), WL_EAUTH);
	assert_int_equal(wl_peer_state(l->pb), WL_PEER_FAILED);
	assert_int_equal(wl_peer_receive(l->pb, f2, n2), WL_EAUTH);
	assert_int_equal(wl_peer_next(l->pb, l->buf, SEALED_MAX, &len),
			 WL_EAUTH);
	link_free(l);

	l = link_new(); /* reorder */
	two_frames(l, f1, &n1, f2, &n2);
	assert_int_equal(wl_peer_receive(l->pb, f2, n2), WL_EAUTH);
	link_free(l);

	for (size_t at = 0; at < 3; at++) { /* flipped byte */
		l = link_new();
		two_frames(l, f1, &n1, f2, &n2);
		f1[at * (n1 - 1) / 2] ^= 0x80; /* first, middle, last */
		assert_int_equal(wl_peer_receive(l->pb, f1, n1), WL_EAUTH);
		link_free(l);
	}

	l = link_new(); /* too short to be a frame */
	two_frames(l, f1, &n1, f2, &n2);
	assert_int_equal(wl_peer_receive(l->pb, f1, 10), WL_EAUTH);
	link_free(l);
	free(f1);
	free(f2);
}

static void ping_pong(void **state)
{
	struct link *l = link_new();

	(void)state;
	link_start(l);
	wl_peer_ping(l->pa, 77); /* queued before establishment */
	assert_int_equal(wl_peer_last_pong(l->pa), 0);
	assert_int_equal(link_pump(l), 0);
	assert_int_equal(wl_peer_last_pong(l->pa), 77);

	wl_peer_ping(l->pb, 5);
	wl_peer_ping(l->pb, 6); /* only the latest is sent */
	assert_int_equal(link_pump(l), 0);
	assert_int_equal(wl_peer_last_pong(l->pb), 6);
	link_free(l);
}

/* ---- tests: replication ---- */

static void backfill_converges(void **state)
{
	struct wl_peer_stats sa, sb;
	struct link *l = link_new();

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		node_append(l->a, k, 1000, 40 + k * 50);
		node_append(l->b, 3 + k, 1000, 60 + k * 30);
	}
	link_start(l);
	assert_int_equal(link_pump(l), 0);

	for (size_t k = 0; k < 6; k++)
		assert_same_origin(l->a, l->b, k);
	assert_int_equal(l->a->duplicates + l->b->duplicates, 0);
	assert_int_equal(l->a->gaps + l->b->gaps, 0);

	wl_peer_get_stats(l->pa, &sa);
	wl_peer_get_stats(l->pb, &sb);
	assert_int_equal(sa.events_sent, 3000);
	assert_int_equal(sa.events_received, 3000);
	assert_int_equal(sb.events_sent, 3000);
	assert_int_equal(sb.events_received, 3000);
	assert_int_equal(sa.messages_sent, sb.messages_received);
	assert_int_equal(sb.messages_sent, sa.messages_received);
	assert_int_equal(sa.bytes_sent, sb.bytes_received);
	assert_int_equal(sb.bytes_sent, sa.bytes_received);
	assert_int_equal(sa.lag, 0);
	assert_int_equal(sb.lag, 0);
	assert_true(l->max_len <= WL_PEER_BATCH_BYTES + 64);
	link_free(l);
}

static void window_respected(void **state)
{
	struct wl_peer_stats sa;
	struct link *l = link_new();

	(void)state;
	node_append(l->a, 0, 6000, 20);
	node_append(l->a, 1, 6000, 20);
	l->ack = 0;
	link_start(l);
	assert_int_equal(link_pump(l), 0);

	assert_int_equal(l->b->o[0].head + l->b->o[1].head, WL_PEER_WINDOW);
	wl_peer_get_stats(l->pa, &sa);
	assert_int_equal(sa.events_sent, WL_PEER_WINDOW);
	assert_int_equal(sa.lag, 12000);

	/* B commits: its HAVE opens the window again. */
	l->ack = 1;
	node_commit(l->b, l->pb);
	assert_int_equal(link_pump(l), 0);
	assert_same_origin(l->a, l->b, 0);
	assert_same_origin(l->a, l->b, 1);
	assert_int_equal(l->b->duplicates, 0);
	wl_peer_get_stats(l->pa, &sa);
	assert_int_equal(sa.events_sent, 12000);
	assert_int_equal(sa.lag, 0);
	link_free(l);
}

static void live_push(void **state)
{
	struct link *l = link_new();
	unsigned char id[32];
	size_t a_calls;

	(void)state;
	node_append(l->a, 0, 10, 30);
	node_append(l->b, 1, 10, 30);
	link_start(l);
	assert_int_equal(link_pump(l), 0);
	a_calls = l->a->deliver_calls;

	node_append(l->a, 0, 5, 30);
	origin_id(0, id);
	wl_peer_local_head(l->pa, id, l->a->o[0].head);
	assert_int_equal(link_pump(l), 0);
	assert_same_origin(l->a, l->b, 0);

	/* B's commit reports the new head on its side of the link; the events
	 * must not travel back. */
	assert_int_equal(l->a->deliver_calls, a_calls);
	assert_int_equal(l->a->duplicates + l->b->duplicates, 0);

	node_append(l->b, 1, 3, 30);
	origin_id(1, id);
	wl_peer_local_head(l->pb, id, l->b->o[1].head);
	assert_int_equal(link_pump(l), 0);
	assert_same_origin(l->a, l->b, 1);
	link_free(l);
}

static void large_events(void **state)
{
	struct link *l = link_new();

	(void)state;
	node_append(l->a, 0, 1, 100);
	node_append(l->a, 0, 1, WL_PEER_BATCH_BYTES + 1000);
	node_append(l->a, 0, 3, 100);
	node_append(l->a, 0, 1, WL_EVENT_ENCODED_MAX);
	node_append(l->a, 1, 2, WL_PEER_BATCH_BYTES / 2 + 10);
	link_start(l);
	assert_int_equal(link_pump(l), 0);
	assert_same_origin(l->a, l->b, 0);
	assert_same_origin(l->a, l->b, 1);
	assert_true(l->max_len <= WL_PEER_MESSAGE_MAX);
	link_free(l);
}

static void many_origins(void **state)
{
	struct link *l = link_new();
	unsigned char id[32];

	(void)state;
	link_start(l);
	for (uint32_t i = 0; i < 600; i++) {
		memset(id, 0x11, 32);
		put_be(id, i, 4);
		wl_peer_local_head(l->pa, id, i + 1);
	}
	assert_int_equal(link_pump(l), 0);
	/* B has none of these events; fake_fetch has none either. */
	assert_int_equal(l->b->delivered, 0);
	link_free(l);
}

/* ---- tests: peer exchange ---- */

static void peers_round_trip(void **state)
{
	struct wl_peer_addr addrs[100];
	struct link *l = link_new();

	(void)state;
	memset(addrs, 0, sizeof(addrs));
	for (size_t i = 0; i < 100; i++) {
		memset(addrs[i].node, (int)i, 32);
		addrs[i].port = (uint16_t)(7700 + i);
		snprintf(addrs[i].addr, sizeof(addrs[i].addr), "10.0.%zu.%zu",
			 i / 250, i % 250 + 1);
	}
	snprintf(addrs[1].addr, sizeof(addrs[1].addr), "fe80::1%%eth0");
	link_start(l);
	wl_peer_share(l->pa, addrs, 100);
	addrs[0].port = 0; /* dropped, not sent */
	wl_peer_share(l->pa, addrs, 1);
	addrs[0].port = 7700;
	addrs[0].addr[0] = '\0';
	wl_peer_share(l->pa, addrs, 1);
	snprintf(addrs[0].addr, sizeof(addrs[0].addr), "10.0.0.1");
	assert_int_equal(link_pump(l), 0);

	assert_int_equal(l->b->nlearned, 100);
	for (size_t i = 0; i < 100; i++) {
		assert_memory_equal(l->b->learned[i].node, addrs[i].node, 32);
		assert_int_equal(l->b->learned[i].port, 7700 + i);
		assert_string_equal(l->b->learned[i].addr, addrs[i].addr);
	}
	link_free(l);
}

static void bad_peers_fail(void **state)
{
	struct wbuf w;
	struct {
		const char *addr;
		size_t len;
		unsigned port;
		uint32_t n;
		int want;
	} cases[] = {
	    {"10.0.0.1", 8, 7700, 1, 0},
	    {"10.0.0.1 x", 10, 7700, 1, WL_EINVAL},
	    {"10.0.0.\x01", 8, 7700, 1, WL_EINVAL},
	    {"10.0.0.\xff", 8, 7700, 1, WL_EINVAL},
	    {"", 0, 7700, 1, WL_EINVAL},
	    {"10.0.0.1", 8, 0, 1, WL_EINVAL},
	    {"10.0.0.1", 8, 7700, 2, WL_ETRUNC},
	    {"10.0.0.1", 8, 7700, 0, WL_EINVAL},
	    {"10.0.0.1", 8, 7700, 65, WL_EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rawlink *rl = rawlink_new();

		w.n = 0;
		w_u8(&w, 0x03);
		w_be(&w, cases[i].n, 4);
		w_peer(&w, 7, cases[i].port, cases[i].addr, cases[i].len);
		assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n),
				 cases[i].want);
		assert_int_equal(rl->b.nlearned, cases[i].want == 0 ? 1 : 0);
		rawlink_free(rl);
	}

	{ /* an address of 64 bytes, and trailing bytes */
		char long_addr[64];
		struct rawlink *rl = rawlink_new();

		memset(long_addr, 'a', sizeof(long_addr));
		w.n = 0;
		w_u8(&w, 0x03);
		w_be(&w, 1, 4);
		w_peer(&w, 7, 7700, long_addr, 64);
		assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n), WL_EINVAL);
		rawlink_free(rl);

		rl = rawlink_new();
		w.n = 0;
		w_u8(&w, 0x03);
		w_be(&w, 1, 4);
		w_peer(&w, 7, 7700, long_addr, 63);
		w_u8(&w, 0);
		assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n),
				 WL_ETRAILING);
		rawlink_free(rl);
	}
}

/* ---- tests: raw messages ---- */

static void raw_handshake_bytes(void **state)
{
	struct rawlink *rl = rawlink_new();
	size_t len = 0;

	(void)state;
	assert_memory_equal(wl_peer_remote(rl->p), rl->r.n.pk, 32);
	assert_string_equal(wl_peer_remote_name(rl->p), "raw");

	/* The first sealed message is the whole version vector: empty. */
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(rl->plain, "\x01\x00\x00\x00\x00", 5);
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 0);
	rawlink_free(rl);
}

/* Events are sent only after the remote's first HAVE, from its heads. */
static void events_wait_for_have(void **state)
{
	struct rawlink *rl = rawlink_new();
	unsigned char id[32];
	struct wbuf w;
	size_t len = 0;

	(void)state;
	node_append(&rl->b, 2, 5, 20);
	origin_id(2, id);
	wl_peer_local_head(rl->p, id, 5);

	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 1);
	assert_int_equal(len, 5 + 40);
	assert_memory_equal(rl->plain + 5, id, 32);
	assert_int_equal(get_be(rl->plain + 37, 8), 5);
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 0);

	w.n = 0;
	w_u8(&w, 0x01);
	w_be(&w, 1, 4);
	w_bytes(&w, id, 32);
	w_be(&w, 3, 8);
	assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n), 0);

	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 1);
	assert_int_equal(rl->plain[0], 0x02);
	assert_int_equal(get_be(rl->plain + 1, 4), 2);
	assert_int_equal(get_be(rl->plain + 5, 4), 20);
	assert_int_equal(rl->plain[9], 2);
	assert_int_equal(get_be(rl->plain + 10, 8), 4);
	assert_int_equal(len, 5 + 2 * 24);
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 0);
	rawlink_free(rl);
}

static void raw_events_delivered(void **state)
{
	struct rawlink *rl = rawlink_new();
	struct wbuf w;
	unsigned char ev[EVENT_MIN] = {4, 0, 0, 0, 0, 0, 0, 0, 1};

	(void)state;
	w.n = 0;
	w_u8(&w, 0x02);
	w_be(&w, 2, 4);
	w_be(&w, sizeof(ev), 4);
	w_bytes(&w, ev, sizeof(ev));
	ev[8] = 2;
	w_be(&w, sizeof(ev), 4);
	w_bytes(&w, ev, sizeof(ev));
	assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n), 0);
	assert_int_equal(rl->b.deliver_calls, 1);
	assert_int_equal(rl->b.o[4].head, 2);
	rawlink_free(rl);
}

static void malformed_events_fail(void **state)
{
	unsigned char ev[EVENT_MIN] = {4, 0, 0, 0, 0, 0, 0, 0, 1};
	struct {
		uint32_t n;
		uint32_t len;
		size_t body;
		size_t extra;
		int want;
	} cases[] = {
	    {2, EVENT_MIN, EVENT_MIN, 0, WL_ETRUNC}, /* count too big */
	    {100000, EVENT_MIN, EVENT_MIN, 0, WL_ETRUNC},
	    {0, 0, 0, 0, WL_EINVAL},			 /* no events */
	    {1, 0, 0, 0, WL_EINVAL},			 /* empty event */
	    {1, EVENT_MIN + 1, EVENT_MIN, 0, WL_ETRUNC}, /* past the end */
	    {1, WL_EVENT_ENCODED_MAX + 1, EVENT_MIN, 0, WL_ETOOBIG},
	    {1, 0xffffffffu, EVENT_MIN, 0, WL_ETOOBIG},
	    {1, EVENT_MIN, EVENT_MIN, 1, WL_ETRAILING},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rawlink *rl = rawlink_new();
		struct wbuf w;

		w.n = 0;
		w_u8(&w, 0x02);
		w_be(&w, cases[i].n, 4);
		if (cases[i].n > 0) {
			w_be(&w, cases[i].len, 4);
			w_bytes(&w, ev, cases[i].body);
		}
		for (size_t e = 0; e < cases[i].extra; e++)
			w_u8(&w, 0);
		assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n),
				 cases[i].want);
		assert_int_equal(rl->b.deliver_calls, 0);
		assert_int_equal(wl_peer_state(rl->p), WL_PEER_FAILED);
		rawlink_free(rl);
	}

	{ /* a message with only the type byte, and a truncated count */
		struct rawlink *rl = rawlink_new();

		assert_int_equal(raw_send(&rl->r, rl->p,
					  (const unsigned char *)"\x02\x00", 2),
				 WL_ETRUNC);
		rawlink_free(rl);
	}
}

static void malformed_messages_fail(void **state)
{
	struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
	    {"", 0, WL_ETRUNC},
	    {"\x00", 1, WL_EINVAL},
	    {"\x06", 1, WL_EINVAL},
	    {"\xff\x00\x00\x00\x00", 5, WL_EINVAL},
	    {"\x01\x00\x00\x00", 4, WL_ETRUNC},
	    {"\x01\x00\x00\x00\x01", 5, WL_ETRUNC},
	    {"\x01\x00\x00\x00\x00\x00", 6, WL_ETRAILING},
	    {"\x04\x00\x00\x00\x00\x00\x00\x00", 8, WL_ETRUNC},
	    {"\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10, WL_ETRAILING},
	    {"\x05\x00", 2, WL_ETRUNC},
	    {"\x03", 1, WL_ETRUNC},
	    {"\x04\x00\x00\x00\x00\x00\x00\x00\x09", 9, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rawlink *rl = rawlink_new();

		assert_int_equal(raw_send(&rl->r, rl->p,
					  (const unsigned char *)cases[i].bytes,
					  cases[i].len),
				 cases[i].want);
		rawlink_free(rl);
	}

	{ /* a stream tag other than a plain message */
		struct rawlink *rl = rawlink_new();

		assert_int_equal(
		    raw_send_tag(
			&rl->r, rl->p,
			(const unsigned char *)"\x04\0\0\0\0\0\0\0\x09", 9,
			crypto_secretstream_xchacha20poly1305_TAG_FINAL),
		    WL_EINVAL);
		rawlink_free(rl);
	}
}

static void raw_ping_answered(void **state)
{
	struct rawlink *rl = rawlink_new();
	size_t len = 0;

	(void)state;
	assert_int_equal(
	    raw_send(&rl->r, rl->p,
		     (const unsigned char *)"\x04\0\0\0\0\0\0\x01\x02", 9),
	    0);
	/* PONG comes before the first HAVE. */
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 1);
	assert_int_equal(len, 9);
	assert_memory_equal(rl->plain, "\x05\0\0\0\0\0\0\x01\x02", 9);
	assert_int_equal(raw_recv(&rl->r, rl->p, rl->plain, &len), 1);
	assert_int_equal(rl->plain[0], 0x01);
	rawlink_free(rl);
}

/* HAVE of N distinct origins from the raw side. */
static int raw_send_have(struct rawlink *rl, uint32_t n)
{
	size_t len = 5 + (size_t)n * 40;
	unsigned char *m = malloc(len);
	int rc;

	assert_non_null(m);
	m[0] = 0x01;
	put_be(m + 1, n, 4);
	for (uint32_t i = 0; i < n; i++) {
		memset(m + 5 + i * 40, 0x33, 32);
		put_be(m + 5 + i * 40, i, 4);
		put_be(m + 5 + i * 40 + 32, 1, 8);
	}
	rc = raw_send(&rl->r, rl->p, m, len);
	free(m);
	return rc;
}

static void too_many_origins_fail(void **state)
{
	struct rawlink *rl;

	(void)state;
	rl = rawlink_new();
	assert_int_equal(raw_send_have(rl, 4096), 0);
	rawlink_free(rl);

	rl = rawlink_new();
	assert_int_equal(raw_send_have(rl, 4097), WL_ETOOBIG);
	rawlink_free(rl);
}

static void deliver_error_fails(void **state)
{
	struct rawlink *rl = rawlink_new();
	unsigned char ev[EVENT_MIN] = {NORIGINS, 0, 0, 0, 0, 0, 0, 0, 1};
	struct wbuf w;
	size_t len = 0;

	(void)state;
	w.n = 0;
	w_u8(&w, 0x02);
	w_be(&w, 1, 4);
	w_be(&w, sizeof(ev), 4);
	w_bytes(&w, ev, sizeof(ev));
	assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n), WL_EINVAL);
	assert_int_equal(
	    wl_peer_next(rl->p, rl->plain, WL_PEER_MESSAGE_MAX, &len),
	    WL_EINVAL);
	rawlink_free(rl);
}

static void bad_auth_framing_fails(void **state)
{
	unsigned char auth[WL_PEER_AUTH_SIZE + 1];
	struct link *l;

	(void)state;
	l = link_new();
	link_hellos(l, auth);
	assert_int_equal(wl_peer_receive(l->pa, auth, WL_PEER_AUTH_SIZE - 1),
			 WL_ETRUNC);
	link_free(l);

	l = link_new();
	link_hellos(l, auth);
	auth[WL_PEER_AUTH_SIZE] = 0;
	assert_int_equal(wl_peer_receive(l->pa, auth, WL_PEER_AUTH_SIZE + 1),
			 WL_ETRAILING);
	link_free(l);

	/* Once the remote AUTH is in, nothing may come until ours is out. */
	l = link_new();
	link_hellos(l, auth);
	assert_int_equal(wl_peer_receive(l->pa, auth, WL_PEER_AUTH_SIZE), 0);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_HANDSHAKE);
	assert_int_equal(wl_peer_receive(l->pa, auth, WL_PEER_AUTH_SIZE),
			 WL_EINVAL);
	link_free(l);
}

static void weak_ephemeral_key_fails(void **state)
{
	struct node b;
	struct raw r;
	struct wl_peer *p;

	(void)state;
	memset(&r, 0, sizeof(r));
	node_init(&r.n, &site1, "raw", 0);
	node_init(&b, &site1, "ward-b", 0);
	r.dialer = 1;
	raw_hello(&r, site1.pk);
	memset(r.hello + 24, 0, 32); /* a point of small order */
	p = peer_make(&b, &site1, 0, NOW);
	assert_int_equal(wl_peer_receive(p, r.hello, sizeof(r.hello)),
			 WL_EINVAL);
	wl_peer_free(p);
}

static void short_peers_entry_fails(void **state)
{
	struct rawlink *rl = rawlink_new();
	struct wbuf w;

	(void)state;
	w.n = 0;
	w_u8(&w, 0x03);
	w_be(&w, 1, 4);
	w_peer(&w, 7, 7700, "10.0.0.1", 8);
	assert_int_equal(raw_send(&rl->r, rl->p, w.b, 5 + 34), WL_ETRUNC);
	rawlink_free(rl);

	rl = rawlink_new(); /* the address runs past the end */
	assert_int_equal(raw_send(&rl->r, rl->p, w.b, w.n - 1), WL_ETRUNC);
	rawlink_free(rl);
}

static void fetch_errors_fail(void **state)
{
	struct link *l;

	(void)state;
	l = link_new();
	node_append(l->a, 0, 3, 20);
	l->a->fetch_err = WL_ESTORE;
	link_start(l);
	assert_int_equal(link_pump(l), WL_ESTORE);
	assert_int_equal(l->err_a, WL_ESTORE);
	link_free(l);

	l = link_new();
	node_append(l->a, 0, 3, 20);
	l->a->fetch_extra = 1;
	link_start(l);
	assert_int_equal(link_pump(l), WL_EINVAL);
	assert_int_equal(l->err_a, WL_EINVAL);
	link_free(l);
}

static void local_origins_capped(void **state)
{
	struct link *l = link_new();
	unsigned char id[32];
	size_t len = 0;

	(void)state;
	link_start(l);
	for (uint32_t i = 0; i < 4096; i++) {
		memset(id, 0x11, 32);
		put_be(id, i, 4);
		wl_peer_local_head(l->pa, id, 1);
	}
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_HANDSHAKE);
	memset(id, 0x12, 32);
	wl_peer_local_head(l->pa, id, 1);
	assert_int_equal(wl_peer_state(l->pa), WL_PEER_FAILED);
	assert_int_equal(wl_peer_next(l->pa, l->buf, SEALED_MAX, &len),
			 WL_ETOOBIG);
	link_free(l);
}

static void new_rejects_bad_config(void **state)
{
	struct wl_peer_ops ops = fake_ops;
	struct node n, other;
	struct wl_peer_config cfg;
	struct wl_peer *p = NULL;

	(void)state;
	node_init(&n, &site1, "ward-a", 0);
	node_init(&other, &site1, "ward-o", 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.node_pk = n.pk;
	cfg.node_sk = n.sk;
	cfg.cert = n.cert;
	cfg.site_pk = site1.pk;
	cfg.ops = &ops;
	cfg.arg = &n;
	assert_int_equal(wl_peer_new(&cfg, &p), 0);
	wl_peer_free(p);

	ops.fetch = NULL;
	assert_int_equal(wl_peer_new(&cfg, &p), WL_EINVAL);
	assert_null(p);
	ops = fake_ops;
	cfg.cert = other.cert; /* a certificate of another node */
	assert_int_equal(wl_peer_new(&cfg, &p), WL_EINVAL);
	cfg.cert = n.cert;
	cfg.node_sk = other.sk;
	assert_int_equal(wl_peer_new(&cfg, &p), WL_EINVAL);
	wl_peer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(handshake_succeeds),
	    cmocka_unit_test(hello_layout),
	    cmocka_unit_test(foreign_site_fails),
	    cmocka_unit_test(expired_cert_fails),
	    cmocka_unit_test(revoked_fails),
	    cmocka_unit_test(self_connection_fails),
	    cmocka_unit_test(bad_auth_fails),
	    cmocka_unit_test(malformed_hello_fails),
	    cmocka_unit_test(out_of_order_handshake_fails),
	    cmocka_unit_test(oversized_fails),
	    cmocka_unit_test(small_buffer_fails),
	    cmocka_unit_test(tampered_frames_fail),
	    cmocka_unit_test(ping_pong),
	    cmocka_unit_test(backfill_converges),
	    cmocka_unit_test(window_respected),
	    cmocka_unit_test(live_push),
	    cmocka_unit_test(large_events),
	    cmocka_unit_test(many_origins),
	    cmocka_unit_test(peers_round_trip),
	    cmocka_unit_test(bad_peers_fail),
	    cmocka_unit_test(raw_handshake_bytes),
	    cmocka_unit_test(events_wait_for_have),
	    cmocka_unit_test(raw_events_delivered),
	    cmocka_unit_test(malformed_events_fail),
	    cmocka_unit_test(malformed_messages_fail),
	    cmocka_unit_test(raw_ping_answered),
	    cmocka_unit_test(too_many_origins_fail),
	    cmocka_unit_test(deliver_error_fails),
	    cmocka_unit_test(bad_auth_framing_fails),
	    cmocka_unit_test(weak_ephemeral_key_fails),
	    cmocka_unit_test(short_peers_entry_fails),
	    cmocka_unit_test(fetch_errors_fail),
	    cmocka_unit_test(local_origins_capped),
	    cmocka_unit_test(new_rejects_bad_config),
	};

	if (sodium_init() < 0)
		return 1;
	if (crypto_sign_keypair(site1.pk, site1.sk) != 0 ||
	    crypto_sign_keypair(site2.pk, site2.sk) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
