/* libFuzzer target for the sealed messages of the wardline.1 link. For
 * every input a fresh listener peer completes a real handshake with a
 * dialer written out here by hand, so that the input reaches the message
 * decoders (HAVE, EVENTS, PEERS, PING, PONG) through a sealed stream.
 *
 * Input: a flags byte, then messages, each a u16 big-endian length and that
 * many bytes (a last message without a whole prefix takes the rest).
 * Flag 0x01: hand the messages to the peer as they are, unsealed; else each
 * is sealed as plaintext first. 0x02: queue a PING, 0x04: share an address,
 * before the first message. After every message the peer's output is
 * opened with the dialer's stream, which must succeed, and the events it
 * delivered are reported committed, as the node would. The peer has two
 * origins: many small events, and one event larger than a batch.
 *
 * When WL_FUZZ_SEED_DIR names a directory, LLVMFuzzerInitialize writes one
 * seed of each message type there. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/peer.h"
#include "wardline/site.h"

#define NOW	     1796400000000ull
#define SMALL_EVENTS 40
#define SMALL_SIZE   64
#define BIG_SIZE     (WL_PEER_BATCH_BYTES + 16)
#define SEAL_BYTES   crypto_secretstream_xchacha20poly1305_ABYTES

struct fuzz_node {
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char cert[WL_CERT_SIZE];
};

/* The dialer's side of one link. */
struct dialer {
	unsigned char eph_pk[32];
	unsigned char eph_sk[32];
	unsigned char hello[WL_PEER_HELLO_SIZE];
	unsigned char t[32];
	crypto_secretstream_xchacha20poly1305_state tx, rx;
};

static unsigned char site_pk[32];
static struct fuzz_node local, remote;
static unsigned char small_origin[32], big_origin[32];
static unsigned char *big_event;
static unsigned char *wire, *plain;
static size_t delivered;

static void node_make(struct fuzz_node *n, const unsigned char *site_sk,
		      unsigned char seed_byte, const char *name)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	struct wl_node_cert c;

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	if (wl_cert_issue(site_sk, n->pk, name, NOW - 1000, 0, &c) != 0)
		abort();
	wl_cert_encode(&c, n->cert);
}

static void put_u32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

static void put_u64(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
}

static int fuzz_admit(void *arg, const unsigned char node[32])
{
	(void)arg;
	(void)node;
	return 0;
}

/* Small events are SMALL_SIZE bytes of their seq; the big origin has one
 * event. Both follow the fetch contract in peer.h. */
static int fuzz_fetch(void *arg, const unsigned char origin[32], uint64_t after,
		      size_t max, unsigned char *buf, size_t size, size_t *used,
		      size_t *n, uint64_t *last)
{
	int big = memcmp(origin, big_origin, 32) == 0;
	uint64_t head = big ? 1 : SMALL_EVENTS;
	size_t len = big ? BIG_SIZE : SMALL_SIZE;

	(void)arg;
	*used = 0;
	*n = 0;
	*last = after;
	if (!big && memcmp(origin, small_origin, 32) != 0)
		return 0;
	for (uint64_t seq = after + 1; seq <= head && *n < max; seq++) {
		if (*used + 4 + len > size)
			break;
		put_u32(buf + *used, (uint32_t)len);
		if (big)
			memcpy(buf + *used + 4, big_event, len);
		else
			memset(buf + *used + 4, (int)seq, len);
		*used += 4 + len;
		*n += 1;
		*last = seq;
	}
	return 0;
}

static int fuzz_deliver(void *arg, const unsigned char *const *events,
			const size_t *lens, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		if (lens[i] == 0 || lens[i] > WL_EVENT_ENCODED_MAX ||
		    events[i] == NULL)
			abort();
	delivered += n;
	return 0;
}

static void fuzz_learn(void *arg, const struct wl_peer_addr *addrs, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(addrs[i].addr, sizeof(addrs[i].addr));

		if (len == 0 || len > WL_PEER_ADDR_MAX || addrs[i].port == 0)
			abort();
	}
}

static const struct wl_peer_ops fuzz_ops = {
    .admit = fuzz_admit,
    .fetch = fuzz_fetch,
    .deliver = fuzz_deliver,
    .learn = fuzz_learn,
};

static void dialer_hello(struct dialer *d)
{
	unsigned char *h = d->hello;

	crypto_kx_keypair(d->eph_pk, d->eph_sk);
	memcpy(h, "WLH1\x01\x00\x00\x00", 8);
	wl_site_id(site_pk, h + 8);
	memcpy(h + 24, d->eph_pk, 32);
	memcpy(h + 56, remote.cert, WL_CERT_SIZE);
}

/* Build the dialer's AUTH for the listener HELLO LH; keep the rx key. */
static void dialer_auth(struct dialer *d, const unsigned char *lh,
			unsigned char auth[WL_PEER_AUTH_SIZE],
			unsigned char rx[32])
{
	crypto_generichash_state st;
	unsigned char msg[48];
	unsigned char tx[32];

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(
	    &st, (const unsigned char *)"wardline.1 handshake", 20);
	crypto_generichash_update(&st, d->hello, WL_PEER_HELLO_SIZE);
	crypto_generichash_update(&st, lh, WL_PEER_HELLO_SIZE);
	crypto_generichash_final(&st, d->t, 32);
	if (crypto_kx_client_session_keys(rx, tx, d->eph_pk, d->eph_sk,
					  lh + 24) != 0)
		abort();

	memcpy(auth, "WLA1", 4);
	crypto_secretstream_xchacha20poly1305_init_push(&d->tx, auth + 4, tx);
	memcpy(msg, "wardline.1 auth", 15);
	msg[15] = 0;
	memcpy(msg + 16, d->t, 32);
	crypto_sign_detached(auth + 28, NULL, msg, sizeof(msg), remote.sk);
}

/* Take P's next message into WIRE. Returns 1 and *LEN, 0 or abort. */
static int take(struct wl_peer *p, size_t *len)
{
	int rc = wl_peer_next(p, wire, WL_PEER_MESSAGE_MAX, len);

	if (rc == 1 && (*len == 0 || *len > WL_PEER_MESSAGE_MAX))
		abort();
	return rc == 1;
}

static void handshake(struct dialer *d, struct wl_peer *p)
{
	unsigned char lh[WL_PEER_HELLO_SIZE];
	unsigned char auth[WL_PEER_AUTH_SIZE];
	unsigned char rx[32];
	size_t len = 0;

	dialer_hello(d);
	if (!take(p, &len) || len != WL_PEER_HELLO_SIZE)
		abort();
	memcpy(lh, wire, len);
	if (wl_peer_receive(p, d->hello, WL_PEER_HELLO_SIZE) != 0)
		abort();
	dialer_auth(d, lh, auth, rx);
	if (wl_peer_receive(p, auth, WL_PEER_AUTH_SIZE) != 0)
		abort();
	if (!take(p, &len) || len != WL_PEER_AUTH_SIZE ||
	    wl_peer_state(p) != WL_PEER_ESTABLISHED)
		abort();
	crypto_secretstream_xchacha20poly1305_init_pull(&d->rx, wire + 4, rx);
	sodium_memzero(rx, sizeof(rx));
}

/* Open everything P has to send; every message must open and carry a
 * known type. */
static void drain(struct dialer *d, struct wl_peer *p)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t len = 0;

	for (int i = 0; i < 16 && take(p, &len); i++) {
		if (crypto_secretstream_xchacha20poly1305_pull(
			&d->rx, plain, &mlen, &tag, wire, len, NULL, 0) != 0)
			abort();
		if (mlen == 0 || plain[0] < 0x01 || plain[0] > 0x05)
			abort();
	}
}

static int send_message(struct dialer *d, struct wl_peer *p, const uint8_t *m,
			size_t n, int unsealed)
{
	unsigned long long clen = 0;

	if (unsealed)
		return wl_peer_receive(p, m, n);
	crypto_secretstream_xchacha20poly1305_push(
	    &d->tx, wire, &clen, m, n, NULL, 0,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	return wl_peer_receive(p, wire, (size_t)clen);
}

/* Report the events delivered so far as committed, under the small
 * origin, as the node would after its ingest. */
static void commit(struct wl_peer *p)
{
	static const unsigned char origin[1][32] = {{0x77}};
	uint64_t head = delivered;

	if (delivered == 0)
		return;
	wl_peer_stored(p, origin, &head, 1);
	wl_peer_local_head(p, origin[0], head);
}

static void seed_write(const char *dir, const char *name,
		       const unsigned char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return;
	}
	if (fwrite(buf, 1, len, f) != len)
		perror(path);
	fclose(f);
}

/* Write one seed: flags 0x06 and the message M of N bytes. */
static void seed_one(const char *dir, const char *name, const unsigned char *m,
		     size_t n)
{
	unsigned char buf[512];

	buf[0] = 0x06;
	buf[1] = (unsigned char)(n >> 8);
	buf[2] = (unsigned char)n;
	memcpy(buf + 3, m, n);
	seed_write(dir, name, buf, 3 + n);
}

static void seed_corpus(const char *dir)
{
	unsigned char m[256];

	memset(m, 0, sizeof(m));
	m[0] = 0x01; /* HAVE: the small origin at 10, the big one at 0 */
	put_u32(m + 1, 2);
	memcpy(m + 5, small_origin, 32);
	put_u64(m + 37, 10);
	memcpy(m + 45, big_origin, 32);
	put_u64(m + 77, 0);
	seed_one(dir, "seed-have", m, 85);

	m[0] = 0x02; /* EVENTS: two events of 8 and 3 bytes */
	put_u32(m + 1, 2);
	put_u32(m + 5, 8);
	memset(m + 9, 0xab, 8);
	put_u32(m + 17, 3);
	memset(m + 21, 0xcd, 3);
	seed_one(dir, "seed-events", m, 24);

	m[0] = 0x03; /* PEERS: one IPv4 address */
	put_u32(m + 1, 1);
	memset(m + 5, 0x44, 32);
	m[37] = 0x1e;
	m[38] = 0x14;
	m[39] = 8;
	memcpy(m + 40, "10.1.2.3", 8);
	seed_one(dir, "seed-peers", m, 48);

	m[0] = 0x04; /* PING */
	put_u64(m + 1, 0x1122334455667788ull);
	seed_one(dir, "seed-ping", m, 9);
	m[0] = 0x05; /* PONG */
	seed_one(dir, "seed-pong", m, 9);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char site_sk[64];
	const char *dir = getenv("WL_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x5e, sizeof(seed));
	crypto_sign_seed_keypair(site_pk, site_sk, seed);
	node_make(&local, site_sk, 0x11, "local");
	node_make(&remote, site_sk, 0x22, "remote");
	sodium_memzero(site_sk, sizeof(site_sk));
	memset(small_origin, 0x01, 32);
	memset(big_origin, 0x02, 32);

	big_event = malloc(BIG_SIZE);
	wire = malloc(WL_PEER_MESSAGE_MAX);
	plain = malloc(WL_PEER_MESSAGE_MAX);
	if (big_event == NULL || wire == NULL || plain == NULL)
		abort();
	memset(big_event, 0xb1, BIG_SIZE);
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

static void prepare(struct wl_peer *p, uint8_t flags)
{
	struct wl_peer_addr a;

	wl_peer_local_head(p, small_origin, SMALL_EVENTS);
	wl_peer_local_head(p, big_origin, 1);
	if (flags & 0x02)
		wl_peer_ping(p, 42);
	if (flags & 0x04) {
		memset(&a, 0, sizeof(a));
		memset(a.node, 0x55, 32);
		a.port = 7700;
		memcpy(a.addr, "fd00::7", 8);
		wl_peer_share(p, &a, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_peer_config cfg = {
	    .dialer = 0,
	    .node_pk = local.pk,
	    .node_sk = local.sk,
	    .cert = local.cert,
	    .site_pk = site_pk,
	    .now_ms = NOW,
	    .ops = &fuzz_ops,
	};
	struct wl_peer *p = NULL;
	struct dialer d;
	size_t off = 1;
	int rc = 0;

	if (size == 0)
		return 0;
	if (wl_peer_new(&cfg, &p) != 0)
		abort();
	delivered = 0;
	handshake(&d, p);
	prepare(p, data[0]);
	drain(&d, p);

	while (off < size && rc == 0) {
		size_t n = size - off;

		if (n >= 2 &&
		    (size_t)((data[off] << 8) | data[off + 1]) <= n - 2) {
			n = (size_t)((data[off] << 8) | data[off + 1]);
			off += 2;
		}
		rc = send_message(&d, p, data + off, n, data[0] & 0x01);
		off += n;
		if (rc == 0) {
			commit(p);
			drain(&d, p);
		}
	}

	if (rc != 0 && wl_peer_state(p) != WL_PEER_FAILED)
		abort();
	wl_peer_free(p);
	sodium_memzero(&d, sizeof(d));
	return 0;
}
