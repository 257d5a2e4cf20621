/* The wardline.1 link protocol: handshake, sealed framing and the flow of
 * HAVE and EVENTS messages of one link, as a state machine over whole
 * messages. The layout of every message is in docs/protocol.md. */
#include "wardline/peer.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"

#define PEER_VERSION  1
#define ROLE_DIALER   0
#define ROLE_LISTENER 1

#define MSG_HAVE   0x01
#define MSG_EVENTS 0x02
#define MSG_PEERS  0x03
#define MSG_PING   0x04
#define MSG_PONG   0x05

/* Offsets in a HELLO. */
#define HELLO_VERSION 4
#define HELLO_ROLE    5
#define HELLO_SITE    8
#define HELLO_EPH     24
#define HELLO_CERT    56

#define SEAL_BYTES  crypto_secretstream_xchacha20poly1305_ABYTES
#define SEAL_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE

#define HAVE_ENTRY_SIZE	  40
#define EVENTS_ENTRY_MIN  4 /* the length of an empty event */
#define PEERS_MAX	  64
#define PEERS_ENTRY_FIXED 35 /* node, port, length byte */

/* Maximum number of origins one link tracks. It bounds what a remote can
 * make us allocate with HAVE entries of made-up origins.
 * NOTE: a site with more origins than this cannot replicate, because every
 * link fails with WL_ETOOBIG once its table is full. */
#define ORIGINS_MAX 4096

/* Maximum number of addresses queued by wl_peer_share. Addresses beyond it
 * are dropped. */
#define SHARE_PENDING_MAX 1024

/* Room given to fetch for one event larger than a batch: any encoded event
 * with its length prefix fits, and the sealed message stays below
 * WL_PEER_MESSAGE_MAX. */
#define BIG_BATCH_SIZE (WL_PEER_MESSAGE_MAX - 64)

static const unsigned char hello_magic[4] = {'W', 'L', 'H', '1'};
static const unsigned char auth_magic[4] = {'W', 'L', 'A', '1'};
static const char transcript_context[] = "wardline.1 handshake";
static const char auth_context[] = "wardline.1 auth";

#define AUTH_SIGNED_SIZE (sizeof(auth_context) - 1 + 1 + 32)

/* Secrets in guarded memory. NODE_SK and EPH_SK are wiped once our AUTH is
 * signed, and RX_KEY once the remote AUTH has started the incoming stream.
 * From then on only the two stream states are left. */
struct peer_secrets {
	unsigned char node_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char eph_sk[crypto_kx_SECRETKEYBYTES];
	unsigned char rx_key[crypto_kx_SESSIONKEYBYTES];
	crypto_secretstream_xchacha20poly1305_state tx;
	crypto_secretstream_xchacha20poly1305_state rx;
};

/* Replication state of one origin on this link, kept sorted by ID. */
struct peer_origin {
	unsigned char id[32];
	uint64_t local;	 /* our head, from wl_peer_local_head */
	uint64_t remote; /* the remote's head, from its HAVE messages */
	uint64_t sent;	 /* highest seq sent, or known to be held remotely */
	uint64_t have;	 /* head to announce in our next HAVE, 0 for none */
};

struct wl_peer {
	enum wl_peer_state state;
	int err; /* the code that failed the link, sticky */
	int dialer;
	struct wl_peer_ops ops;
	void *arg;
	unsigned char node_pk[32];
	unsigned char site_pk[32];
	uint64_t now_ms;
	struct peer_secrets *sec;

	unsigned char hello[WL_PEER_HELLO_SIZE];
	unsigned char auth[WL_PEER_AUTH_SIZE];
	unsigned char transcript[32];
	int hello_sent, hello_received, auth_sent, auth_received;
	struct wl_node_cert remote;

	/* Plaintext of one message in either direction, allocated once the
	 * link is established: WL_PEER_MESSAGE_MAX bytes. */
	unsigned char *buf;

	struct peer_origin *origins;
	size_t norigins, origins_cap;
	size_t cursor;	   /* origin where the next EVENTS batch starts */
	uint64_t unacked;  /* sum of sent - remote over the origins */
	size_t have_count; /* origins with a head to announce */
	int have_first;	   /* the whole version vector is still to be sent */
	int remote_have_seen;

	int ping_due, pong_due;
	uint64_t ping_nonce, pong_nonce, last_pong;

	struct wl_peer_addr *share;
	size_t nshare, share_cap;

	struct wl_peer_stats st;
};

static void put_u16(unsigned char *b, uint16_t v)
{
	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
}

static void put_u32(unsigned char *b, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
}

static void put_u64(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint16_t get_u16(const unsigned char *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static uint32_t get_u32(const unsigned char *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

static uint64_t get_u64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

/* A callback may only return 0 or a negative code; anything else is taken
 * as WL_EINVAL so that it cannot pass for success. */
static int cb_code(int rc)
{
	return rc > 0 ? WL_EINVAL : rc;
}

static int peer_fail(struct wl_peer *p, int err)
{
	if (p->err == 0) {
		p->err = err;
		p->state = WL_PEER_FAILED;
		sodium_memzero(p->sec, sizeof(*p->sec));
	}
	return p->err;
}

/* ---- origin table ---- */

/* Return the index of ID in the table, or -1 and in *POS where it would
 * be inserted. */
static long peer_origin_find(const struct wl_peer *p, const unsigned char *id,
			     size_t *pos)
{
	size_t lo = 0;
	size_t hi = p->norigins;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(p->origins[mid].id, id, 32);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return -1;
}

static int peer_origin_grow(struct wl_peer *p)
{
	size_t cap = p->origins_cap == 0 ? 16 : p->origins_cap * 2;
	struct peer_origin *o;

	if (cap > ORIGINS_MAX)
		cap = ORIGINS_MAX;
	o = realloc(p->origins, cap * sizeof(*o));
	if (o == NULL)
		return WL_ENOMEM;
	p->origins = o;
	p->origins_cap = cap;
	return 0;
}

/* Find ID, or add it with every head at zero. Returns 0 and *OUT, which is
 * valid until the next call, or WL_ETOOBIG when the table is full, or
 * WL_ENOMEM. */
static int peer_origin_get(struct wl_peer *p, const unsigned char *id,
			   struct peer_origin **out)
{
	size_t pos = 0;
	long i = peer_origin_find(p, id, &pos);
	int rc;

	if (i >= 0) {
		*out = &p->origins[i];
		return 0;
	}
	if (p->norigins == ORIGINS_MAX)
		return WL_ETOOBIG;
	if (p->norigins == p->origins_cap) {
		rc = peer_origin_grow(p);
		if (rc != 0)
			return rc;
	}

	memmove(&p->origins[pos + 1], &p->origins[pos],
		(p->norigins - pos) * sizeof(*p->origins));
	memset(&p->origins[pos], 0, sizeof(*p->origins));
	memcpy(p->origins[pos].id, id, 32);
	p->norigins++;
	if (pos <= p->cursor && p->norigins > 1)
		p->cursor = (p->cursor + 1) % p->norigins;
	*out = &p->origins[pos];
	return 0;
}

static uint64_t origin_unacked(const struct peer_origin *o)
{
	return o->sent > o->remote ? o->sent - o->remote : 0;
}

/* Move SENT and REMOTE of O forward, keeping p->unacked in step. */
static void peer_origin_advance(struct wl_peer *p, struct peer_origin *o,
				uint64_t sent, uint64_t remote)
{
	p->unacked -= origin_unacked(o);
	if (remote > o->remote)
		o->remote = remote;
	if (sent > o->sent)
		o->sent = sent;
	if (o->remote > o->sent)
		o->sent = o->remote;
	p->unacked += origin_unacked(o);
}

static void peer_have_queue(struct wl_peer *p, struct peer_origin *o,
			    uint64_t seq)
{
	if (seq <= o->have)
		return;
	if (o->have == 0)
		p->have_count++;
	o->have = seq;
}

static size_t peer_window_room(const struct wl_peer *p)
{
	return p->unacked < WL_PEER_WINDOW
		   ? (size_t)(WL_PEER_WINDOW - p->unacked)
		   : 0;
}

/* ---- creation ---- */

static int peer_config_check(const struct wl_peer_config *cfg)
{
	struct wl_node_cert cert;

	if (cfg == NULL || cfg->node_pk == NULL || cfg->node_sk == NULL ||
	    cfg->cert == NULL || cfg->site_pk == NULL || cfg->ops == NULL)
		return WL_EINVAL;
	if (cfg->ops->admit == NULL || cfg->ops->fetch == NULL ||
	    cfg->ops->deliver == NULL)
		return WL_EINVAL;

	/* An Ed25519 secret key ends with its public key. */
	if (memcmp(cfg->node_sk + 32, cfg->node_pk, 32) != 0)
		return WL_EINVAL;
	if (wl_cert_decode(cfg->cert, WL_CERT_SIZE, &cert) != 0 ||
	    memcmp(cert.node_pk, cfg->node_pk, 32) != 0)
		return WL_EINVAL;
	return 0;
}

static void peer_build_hello(struct wl_peer *p, const unsigned char *cert,
			     const unsigned char *eph_pk)
{
	unsigned char *h = p->hello;

	memcpy(h, hello_magic, 4);
	h[HELLO_VERSION] = PEER_VERSION;
	h[HELLO_ROLE] = p->dialer ? ROLE_DIALER : ROLE_LISTENER;
	h[6] = 0;
	h[7] = 0;
	wl_site_id(p->site_pk, h + HELLO_SITE);
	memcpy(h + HELLO_EPH, eph_pk, crypto_kx_PUBLICKEYBYTES);
	memcpy(h + HELLO_CERT, cert, WL_CERT_SIZE);
}

int wl_peer_new(const struct wl_peer_config *cfg, struct wl_peer **out)
{
	unsigned char eph_pk[crypto_kx_PUBLICKEYBYTES];
	struct wl_peer *p;
	int rc;

	*out = NULL;
	rc = peer_config_check(cfg);
	if (rc != 0)
		return rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return WL_ENOMEM;
	p->sec = sodium_malloc(sizeof(*p->sec));
	if (p->sec == NULL) {
		free(p);
		return WL_ENOMEM;
	}

	p->state = WL_PEER_HANDSHAKE;
	p->dialer = cfg->dialer ? 1 : 0;
	p->ops = *cfg->ops;
	p->arg = cfg->arg;
	p->now_ms = cfg->now_ms;
	memcpy(p->node_pk, cfg->node_pk, 32);
	memcpy(p->site_pk, cfg->site_pk, 32);
	memcpy(p->sec->node_sk, cfg->node_sk, crypto_sign_SECRETKEYBYTES);
	crypto_kx_keypair(eph_pk, p->sec->eph_sk);
	peer_build_hello(p, cfg->cert, eph_pk);
	*out = p;
	return 0;
}

void wl_peer_free(struct wl_peer *p)
{
	if (p == NULL)
		return;
	sodium_free(p->sec);
	free(p->buf);
	free(p->origins);
	free(p->share);
	free(p);
}

/* ---- handshake ---- */

static int peer_check_hello(struct wl_peer *p, const unsigned char *m,
			    size_t len)
{
	unsigned char site_id[WL_SITE_ID_SIZE];
	struct wl_node_cert cert;
	int rc;

	if (len < 8)
		return WL_ETRUNC;
	if (m[HELLO_VERSION] != PEER_VERSION)
		return WL_EVERSION;
	if (m[HELLO_ROLE] != (p->dialer ? ROLE_LISTENER : ROLE_DIALER))
		return WL_EINVAL;
	if (m[6] != 0 || m[7] != 0)
		return WL_EINVAL;
	if (len < WL_PEER_HELLO_SIZE)
		return WL_ETRUNC;
	if (len > WL_PEER_HELLO_SIZE)
		return WL_ETRAILING;

	wl_site_id(p->site_pk, site_id);
	if (memcmp(m + HELLO_SITE, site_id, WL_SITE_ID_SIZE) != 0)
		return WL_ECERT;
	if (wl_cert_decode(m + HELLO_CERT, WL_CERT_SIZE, &cert) != 0 ||
	    wl_cert_verify(&cert, p->site_pk, p->now_ms) != 0)
		return WL_ECERT;
	if (memcmp(cert.node_pk, p->node_pk, 32) == 0)
		return WL_ECERT;

	rc = cb_code(p->ops.admit(p->arg, cert.node_pk));
	if (rc != 0)
		return rc;
	p->remote = cert;
	return 0;
}

/* T = BLAKE2b-256(context, dialer HELLO, listener HELLO). */
static void peer_transcript(struct wl_peer *p, const unsigned char *remote)
{
	crypto_generichash_state st;
	const unsigned char *first = p->dialer ? p->hello : remote;
	const unsigned char *second = p->dialer ? remote : p->hello;

	crypto_generichash_init(&st, NULL, 0, sizeof(p->transcript));
	crypto_generichash_update(&st,
				  (const unsigned char *)transcript_context,
				  sizeof(transcript_context) - 1);
	crypto_generichash_update(&st, first, WL_PEER_HELLO_SIZE);
	crypto_generichash_update(&st, second, WL_PEER_HELLO_SIZE);
	crypto_generichash_final(&st, p->transcript, sizeof(p->transcript));
}

/* The bytes an AUTH signature covers: context, the signer's role, T. */
static void peer_auth_message(const struct wl_peer *p, int role,
			      unsigned char out[AUTH_SIGNED_SIZE])
{
	size_t n = sizeof(auth_context) - 1;

	memcpy(out, auth_context, n);
	out[n] = (unsigned char)role;
	memcpy(out + n + 1, p->transcript, 32);
}

/* Derive the session keys from the ephemeral keys of both HELLOs, start
 * our outgoing stream and sign our AUTH. */
static int peer_derive(struct wl_peer *p, const unsigned char *remote)
{
	struct peer_secrets *s = p->sec;
	unsigned char msg[AUTH_SIGNED_SIZE];
	unsigned char tx[crypto_kx_SESSIONKEYBYTES];
	const unsigned char *eph_pk = p->hello + HELLO_EPH;
	int rc;

	if (p->dialer)
		rc = crypto_kx_client_session_keys(
		    s->rx_key, tx, eph_pk, s->eph_sk, remote + HELLO_EPH);
	else
		rc = crypto_kx_server_session_keys(
		    s->rx_key, tx, eph_pk, s->eph_sk, remote + HELLO_EPH);
	sodium_memzero(s->eph_sk, sizeof(s->eph_sk));
	if (rc != 0) {
		sodium_memzero(tx, sizeof(tx));
		return WL_EINVAL; /* the remote key is not a usable point */
	}

	peer_transcript(p, remote);
	memcpy(p->auth, auth_magic, 4);
	crypto_secretstream_xchacha20poly1305_init_push(&s->tx, p->auth + 4,
							tx);
	sodium_memzero(tx, sizeof(tx));

	peer_auth_message(p, p->dialer ? ROLE_DIALER : ROLE_LISTENER, msg);
	crypto_sign_detached(p->auth + 4 + SEAL_HEADER, NULL, msg, sizeof(msg),
			     s->node_sk);
	sodium_memzero(s->node_sk, sizeof(s->node_sk));
	return 0;
}

static int peer_establish(struct wl_peer *p)
{
	if (!p->auth_sent || !p->auth_received)
		return 0;
	p->buf = malloc(WL_PEER_MESSAGE_MAX);
	if (p->buf == NULL)
		return WL_ENOMEM;
	p->state = WL_PEER_ESTABLISHED;
	p->have_first = 1;
	return 0;
}

static int peer_receive_hello(struct wl_peer *p, const unsigned char *m,
			      size_t len)
{
	int rc;

	if (p->hello_received)
		return WL_EINVAL;
	rc = peer_check_hello(p, m, len);
	if (rc != 0)
		return rc;
	rc = peer_derive(p, m);
	if (rc != 0)
		return rc;
	p->hello_received = 1;
	return 0;
}

static int peer_receive_auth(struct wl_peer *p, const unsigned char *m,
			     size_t len)
{
	unsigned char msg[AUTH_SIGNED_SIZE];
	int role = p->dialer ? ROLE_LISTENER : ROLE_DIALER;
	int rc;

	if (!p->hello_received)
		return WL_EINVAL;
	if (len < WL_PEER_AUTH_SIZE)
		return WL_ETRUNC;
	if (len > WL_PEER_AUTH_SIZE)
		return WL_ETRAILING;

	peer_auth_message(p, role, msg);
	if (crypto_sign_verify_detached(m + 4 + SEAL_HEADER, msg, sizeof(msg),
					p->remote.node_pk) != 0)
		return WL_EAUTH;
	rc = crypto_secretstream_xchacha20poly1305_init_pull(&p->sec->rx, m + 4,
							     p->sec->rx_key);
	sodium_memzero(p->sec->rx_key, sizeof(p->sec->rx_key));
	if (rc != 0)
		return WL_EAUTH;

	p->auth_received = 1;
	return peer_establish(p);
}

static int peer_receive_handshake(struct wl_peer *p, const unsigned char *m,
				  size_t len)
{
	if (len < 4)
		return WL_ETRUNC;
	if (p->auth_received)
		return WL_EINVAL; /* nothing may come before our AUTH */
	if (memcmp(m, hello_magic, 4) == 0)
		return peer_receive_hello(p, m, len);
	if (memcmp(m, auth_magic, 4) == 0)
		return peer_receive_auth(p, m, len);
	return WL_EINVAL;
}

/* ---- sealed messages received ---- */

static int peer_on_have(struct wl_peer *p, const unsigned char *b, size_t len)
{
	struct peer_origin *o;
	uint32_t n;
	int rc;

	if (len < 4)
		return WL_ETRUNC;
	n = get_u32(b);
	if ((len - 4) / HAVE_ENTRY_SIZE < n)
		return WL_ETRUNC;
	if (len - 4 != (size_t)n * HAVE_ENTRY_SIZE)
		return WL_ETRAILING;

	for (size_t i = 0; i < n; i++) {
		const unsigned char *e = b + 4 + i * HAVE_ENTRY_SIZE;

		rc = peer_origin_get(p, e, &o);
		if (rc != 0)
			return rc;
		peer_origin_advance(p, o, 0, get_u64(e + 32));
	}
	p->remote_have_seen = 1;
	return 0;
}

/* Check the framing of an EVENTS body and return the count in *N. */
static int peer_events_check(const unsigned char *b, size_t len, size_t *n)
{
	size_t off = 4;
	uint32_t count;

	if (len < 4)
		return WL_ETRUNC;
	count = get_u32(b);
	if (count == 0)
		return WL_EINVAL;
	if (count > (len - 4) / EVENTS_ENTRY_MIN)
		return WL_ETRUNC;

	for (uint32_t i = 0; i < count; i++) {
		uint32_t elen;

		if (len - off < 4)
			return WL_ETRUNC;
		elen = get_u32(b + off);
		off += 4;
		if (elen == 0)
			return WL_EINVAL;
		if (elen > WL_EVENT_ENCODED_MAX)
			return WL_ETOOBIG;
		if (elen > len - off)
			return WL_ETRUNC;
		off += elen;
	}
	if (off != len)
		return WL_ETRAILING;
	*n = count;
	return 0;
}

static int peer_on_events(struct wl_peer *p, const unsigned char *b, size_t len)
{
	const unsigned char **events = NULL;
	size_t *lens = NULL;
	size_t n = 0;
	size_t off = 4;
	int rc;

	rc = peer_events_check(b, len, &n);
	if (rc != 0)
		return rc;

	events = malloc(n * sizeof(*events));
	lens = malloc(n * sizeof(*lens));
	if (events == NULL || lens == NULL) {
		rc = WL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		lens[i] = get_u32(b + off);
		events[i] = b + off + 4;
		off += 4 + lens[i];
	}

	p->st.events_received += n;
	rc = cb_code(p->ops.deliver(p->arg, events, lens, n));
out:
	free(events);
	free(lens);
	return rc;
}

/* An address must be printable ASCII without spaces: the node parses it
 * later and may log it. */
static int peer_addr_check(const char *a, size_t len)
{
	if (len == 0 || len > WL_PEER_ADDR_MAX)
		return WL_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (a[i] < 0x21 || a[i] > 0x7e)
			return WL_EINVAL;
	return 0;
}

static int peer_on_peers(struct wl_peer *p, const unsigned char *b, size_t len)
{
	struct wl_peer_addr addrs[PEERS_MAX];
	size_t off = 4;
	uint32_t n;

	if (len < 4)
		return WL_ETRUNC;
	n = get_u32(b);
	if (n == 0 || n > PEERS_MAX)
		return WL_EINVAL;

	memset(addrs, 0, n * sizeof(addrs[0]));
	for (uint32_t i = 0; i < n; i++) {
		size_t alen;

		if (len - off < PEERS_ENTRY_FIXED)
			return WL_ETRUNC;
		memcpy(addrs[i].node, b + off, 32);
		addrs[i].port = get_u16(b + off + 32);
		alen = b[off + 34];
		off += PEERS_ENTRY_FIXED;
		if (addrs[i].port == 0 || alen == 0 || alen > WL_PEER_ADDR_MAX)
			return WL_EINVAL;
		if (alen > len - off)
			return WL_ETRUNC;
		memcpy(addrs[i].addr, b + off, alen);
		if (peer_addr_check(addrs[i].addr, alen) != 0)
			return WL_EINVAL;
		off += alen;
	}
	if (off != len)
		return WL_ETRAILING;

	if (p->ops.learn != NULL)
		p->ops.learn(p->arg, addrs, n);
	return 0;
}

static int peer_get_nonce(const unsigned char *b, size_t len, uint64_t *nonce)
{
	if (len < 8)
		return WL_ETRUNC;
	if (len > 8)
		return WL_ETRAILING;
	*nonce = get_u64(b);
	return 0;
}

/* Decode and act on the plaintext M of one sealed message. */
static int peer_decode_message(struct wl_peer *p, const unsigned char *m,
			       size_t len)
{
	uint64_t nonce = 0;
	int rc;

	if (len == 0)
		return WL_ETRUNC;
	switch (m[0]) {
	case MSG_HAVE:
		return peer_on_have(p, m + 1, len - 1);
	case MSG_EVENTS:
		return peer_on_events(p, m + 1, len - 1);
	case MSG_PEERS:
		return peer_on_peers(p, m + 1, len - 1);
	case MSG_PING:
		rc = peer_get_nonce(m + 1, len - 1, &nonce);
		if (rc == 0) {
			p->pong_due = 1;
			p->pong_nonce = nonce;
		}
		return rc;
	case MSG_PONG:
		rc = peer_get_nonce(m + 1, len - 1, &nonce);
		if (rc == 0)
			p->last_pong = nonce;
		return rc;
	default:
		return WL_EINVAL;
	}
}

static int peer_receive_sealed(struct wl_peer *p, const unsigned char *msg,
			       size_t len)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;

	if (crypto_secretstream_xchacha20poly1305_pull(
		&p->sec->rx, p->buf, &mlen, &tag, msg, len, NULL, 0) != 0) {
		/* A handshake message here is out of order rather than
		 * forged, so it is reported as invalid. */
		if (len >= 4 && (memcmp(msg, hello_magic, 4) == 0 ||
				 memcmp(msg, auth_magic, 4) == 0))
			return WL_EINVAL;
		return WL_EAUTH;
	}
	if (tag != TAG_MESSAGE)
		return WL_EINVAL;
	return peer_decode_message(p, p->buf, (size_t)mlen);
}

int wl_peer_receive(struct wl_peer *p, const unsigned char *msg, size_t len)
{
	int rc;

	if (p->err != 0)
		return p->err;
	p->st.messages_received++;
	p->st.bytes_received += len;
	if (len > WL_PEER_MESSAGE_MAX + SEAL_BYTES)
		return peer_fail(p, WL_ETOOBIG);

	if (p->state == WL_PEER_HANDSHAKE)
		rc = peer_receive_handshake(p, msg, len);
	else
		rc = peer_receive_sealed(p, msg, len);
	return rc != 0 ? peer_fail(p, rc) : 0;
}

/* ---- messages to send ---- */

static size_t peer_build_have(struct wl_peer *p, unsigned char *m)
{
	size_t off = 5;
	uint32_t n = 0;

	for (size_t i = 0; i < p->norigins && p->have_count > 0; i++) {
		struct peer_origin *o = &p->origins[i];

		if (o->have == 0)
			continue;
		memcpy(m + off, o->id, 32);
		put_u64(m + off + 32, o->have);
		off += HAVE_ENTRY_SIZE;
		o->have = 0;
		p->have_count--;
		n++;
	}
	m[0] = MSG_HAVE;
	put_u32(m + 1, n);
	p->have_first = 0;
	return off;
}

static size_t peer_build_peers(struct wl_peer *p, unsigned char *m)
{
	size_t n = p->nshare < PEERS_MAX ? p->nshare : PEERS_MAX;
	size_t off = 5;

	for (size_t i = 0; i < n; i++) {
		const struct wl_peer_addr *a = &p->share[i];
		size_t alen = strlen(a->addr);

		memcpy(m + off, a->node, 32);
		put_u16(m + off + 32, a->port);
		m[off + 34] = (unsigned char)alen;
		memcpy(m + off + PEERS_ENTRY_FIXED, a->addr, alen);
		off += PEERS_ENTRY_FIXED + alen;
	}
	m[0] = MSG_PEERS;
	put_u32(m + 1, (uint32_t)n);

	p->nshare -= n;
	memmove(p->share, p->share + n, p->nshare * sizeof(*p->share));
	return off;
}

/* Outcome of peer_fetch_origin for the batch loop. */
enum fetch_result {
	FETCH_NEXT,	 /* go on with the next origin */
	FETCH_STOP_HERE, /* batch full; start the next one at this origin */
	FETCH_STOP_AFTER /* batch full; start the next one after it */
};

/* Append events of origin I to the EVENTS batch in p->buf, which contains
 * *USED bytes and *COUNT events. Returns a fetch_result or a negative
 * code. */
static int peer_fetch_origin(struct wl_peer *p, size_t i, size_t *used,
			     size_t *count)
{
	struct peer_origin *o = &p->origins[i];
	uint64_t due = o->local - o->sent;
	size_t room = peer_window_room(p);
	size_t max = due < room ? (size_t)due : room;
	size_t size = WL_PEER_BATCH_BYTES - *used;
	size_t u = 0, n = 0;
	uint64_t last = o->sent;
	int rc;

	rc = p->ops.fetch(p->arg, o->id, o->sent, max, p->buf + *used, size, &u,
			  &n, &last);
	if (rc == 0 && n == 0 && *count == 0) {
		/* The next event alone is larger than a batch. */
		max = 1;
		size = BIG_BATCH_SIZE;
		rc = p->ops.fetch(p->arg, o->id, o->sent, max, p->buf + *used,
				  size, &u, &n, &last);
	}
	if (rc != 0)
		return cb_code(rc);
	if (n > max || u > size || (n > 0 && last <= o->sent))
		return WL_EINVAL;
	if (n == 0)
		return *count > 0 ? FETCH_STOP_HERE : FETCH_NEXT;

	*used += u;
	*count += n;
	p->st.events_sent += n;
	if (last > o->local)
		o->local = last;
	peer_origin_advance(p, o, last, 0);
	return o->local > o->sent ? FETCH_STOP_AFTER : FETCH_NEXT;
}

/* Build one EVENTS message, visiting the origins round-robin from the
 * cursor. Returns 1 and *LEN, 0 when nothing is due or the window is
 * closed, or a negative code. */
static int peer_build_events(struct wl_peer *p, size_t *len)
{
	size_t used = 5;
	size_t count = 0;
	size_t start = p->cursor;
	int rc = FETCH_NEXT;

	for (size_t k = 0; k < p->norigins; k++) {
		size_t i = (start + k) % p->norigins;

		if (peer_window_room(p) == 0) {
			p->cursor = i;
			break;
		}
		if (p->origins[i].local <= p->origins[i].sent)
			continue;
		rc = peer_fetch_origin(p, i, &used, &count);
		if (rc < 0)
			return rc;
		if (rc != FETCH_NEXT) {
			p->cursor =
			    rc == FETCH_STOP_HERE ? i : (i + 1) % p->norigins;
			break;
		}
	}
	if (count == 0)
		return 0;

	p->buf[0] = MSG_EVENTS;
	put_u32(p->buf + 1, (uint32_t)count);
	*len = used;
	return 1;
}

/* Build the next sealed message's plaintext in p->buf, in the order the
 * header gives. Returns 1 and *LEN, 0 or a negative code. */
static int peer_next_plain(struct wl_peer *p, size_t *len)
{
	unsigned char *m = p->buf;

	if (p->pong_due) {
		m[0] = MSG_PONG;
		put_u64(m + 1, p->pong_nonce);
		p->pong_due = 0;
		*len = 9;
		return 1;
	}
	if (p->have_first || p->have_count > 0) {
		*len = peer_build_have(p, m);
		return 1;
	}
	if (p->ping_due) {
		m[0] = MSG_PING;
		put_u64(m + 1, p->ping_nonce);
		p->ping_due = 0;
		*len = 9;
		return 1;
	}
	if (p->nshare > 0) {
		*len = peer_build_peers(p, m);
		return 1;
	}
	if (!p->remote_have_seen)
		return 0;
	return peer_build_events(p, len);
}

static int peer_emit(struct wl_peer *p, size_t n, size_t *len)
{
	*len = n;
	p->st.messages_sent++;
	p->st.bytes_sent += n;
	return 1;
}

static int peer_next_handshake(struct wl_peer *p, unsigned char *out,
			       size_t *len)
{
	int rc;

	if (!p->hello_sent) {
		memcpy(out, p->hello, WL_PEER_HELLO_SIZE);
		p->hello_sent = 1;
		return peer_emit(p, WL_PEER_HELLO_SIZE, len);
	}
	if (!p->hello_received || p->auth_sent)
		return 0;

	memcpy(out, p->auth, WL_PEER_AUTH_SIZE);
	p->auth_sent = 1;
	rc = peer_establish(p);
	if (rc != 0)
		return peer_fail(p, rc);
	return peer_emit(p, WL_PEER_AUTH_SIZE, len);
}

int wl_peer_next(struct wl_peer *p, unsigned char *out, size_t size,
		 size_t *len)
{
	unsigned long long clen = 0;
	size_t plen = 0;
	int rc;

	*len = 0;
	if (p->err != 0)
		return p->err;
	if (size < WL_PEER_MESSAGE_MAX)
		return peer_fail(p, WL_EINVAL);
	if (p->state == WL_PEER_HANDSHAKE)
		return peer_next_handshake(p, out, len);

	rc = peer_next_plain(p, &plen);
	if (rc < 0)
		return peer_fail(p, rc);
	if (rc == 0)
		return 0;

	crypto_secretstream_xchacha20poly1305_push(
	    &p->sec->tx, out, &clen, p->buf, plen, NULL, 0, TAG_MESSAGE);
	return peer_emit(p, (size_t)clen, len);
}

/* ---- reports from the node ---- */

void wl_peer_local_head(struct wl_peer *p, const unsigned char origin[32],
			uint64_t seq)
{
	struct peer_origin *o;
	int rc;

	if (p->err != 0)
		return;
	rc = peer_origin_get(p, origin, &o);
	if (rc != 0) {
		peer_fail(p, rc);
		return;
	}

	/* Announcing every new head, not only those of events from this
	 * link, keeps the remote from sending back what it sent us through
	 * another path or just pushed itself. */
	if (seq > o->local)
		o->local = seq;
	peer_have_queue(p, o, seq);
}

void wl_peer_stored(struct wl_peer *p, const unsigned char (*origins)[32],
		    const uint64_t *seqs, size_t n)
{
	struct peer_origin *o;
	int rc;

	for (size_t i = 0; i < n && p->err == 0; i++) {
		rc = peer_origin_get(p, origins[i], &o);
		if (rc != 0) {
			peer_fail(p, rc);
			return;
		}
		peer_have_queue(p, o, seqs[i]);
	}
}

void wl_peer_ping(struct wl_peer *p, uint64_t nonce)
{
	p->ping_due = 1;
	p->ping_nonce = nonce;
}

uint64_t wl_peer_last_pong(const struct wl_peer *p)
{
	return p->last_pong;
}

void wl_peer_share(struct wl_peer *p, const struct wl_peer_addr *addrs,
		   size_t n)
{
	for (size_t i = 0; i < n && p->err == 0; i++) {
		const struct wl_peer_addr *a = &addrs[i];
		size_t alen = strnlen(a->addr, sizeof(a->addr));

		/* NOTE: an address the remote would reject, or one beyond
		 * SHARE_PENDING_MAX, is dropped: peer exchange is a hint. */
		if (a->port == 0 || peer_addr_check(a->addr, alen) != 0 ||
		    p->nshare == SHARE_PENDING_MAX)
			continue;
		if (p->nshare == p->share_cap) {
			size_t cap =
			    p->share_cap == 0 ? PEERS_MAX : p->share_cap * 2;
			struct wl_peer_addr *s =
			    realloc(p->share, cap * sizeof(*s));

			if (s == NULL) {
				peer_fail(p, WL_ENOMEM);
				return;
			}
			p->share = s;
			p->share_cap = cap;
		}
		p->share[p->nshare++] = *a;
	}
}

/* ---- queries ---- */

enum wl_peer_state wl_peer_state(const struct wl_peer *p)
{
	return p->state;
}

const unsigned char *wl_peer_remote(const struct wl_peer *p)
{
	return p->state == WL_PEER_ESTABLISHED ? p->remote.node_pk : NULL;
}

const char *wl_peer_remote_name(const struct wl_peer *p)
{
	return p->state == WL_PEER_ESTABLISHED ? p->remote.name : "";
}

uint64_t wl_peer_remote_head(const struct wl_peer *p,
			     const unsigned char origin[32])
{
	for (size_t i = 0; i < p->norigins; i++)
		if (memcmp(p->origins[i].id, origin, 32) == 0)
			return p->origins[i].remote;
	return 0;
}

int wl_peer_is_dialer(const struct wl_peer *p)
{
	return p->dialer;
}

void wl_peer_get_stats(const struct wl_peer *p, struct wl_peer_stats *st)
{
	*st = p->st;
	st->lag = 0;
	for (size_t i = 0; i < p->norigins; i++) {
		const struct peer_origin *o = &p->origins[i];

		if (o->local > o->remote)
			st->lag += o->local - o->remote;
	}
}
