/* libFuzzer target for the handshake of the wardline.1 link. Each input is
 * what a remote sends to a fresh peer before the link is established: a
 * sequence of messages, each a u16 big-endian length and that many bytes
 * (a last message without a whole prefix takes the rest). Bit 0 of the
 * first byte makes the peer the dialer instead of the listener. After every
 * message the peer is asked for what it would send. Nothing may crash,
 * leak or read outside the input.
 *
 * The keys come from fixed seeds, so that the seed corpus written to
 * WL_FUZZ_SEED_DIR contains a HELLO with a valid certificate and a saved input
 * replays the same way. The AUTH signature covers the peer's random
 * ephemeral key, so no input gets past it: the sealed messages have their
 * own target, fuzz_peer_frame. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/peer.h"
#include "wardline/site.h"

#define NOW 1796400000000ull

struct fuzz_node {
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char cert[WL_CERT_SIZE];
};

static unsigned char site_pk[32];
static struct fuzz_node local, remote;
static unsigned char *out;

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

static int fuzz_admit(void *arg, const unsigned char node[32])
{
	(void)arg;
	(void)node;
	return 0;
}

static int fuzz_fetch(void *arg, const unsigned char origin[32], uint64_t after,
		      size_t max, unsigned char *buf, size_t size, size_t *used,
		      size_t *n, uint64_t *last)
{
	(void)arg;
	(void)origin;
	(void)max;
	(void)buf;
	(void)size;
	*used = 0;
	*n = 0;
	*last = after;
	return 0;
}

static int fuzz_deliver(void *arg, const unsigned char *const *events,
			const size_t *lens, size_t n)
{
	(void)arg;
	(void)events;
	(void)lens;
	(void)n;
	return 0;
}

static const struct wl_peer_ops fuzz_ops = {
    .admit = fuzz_admit,
    .fetch = fuzz_fetch,
    .deliver = fuzz_deliver,
};

/* The HELLO REMOTE would send to a peer of the other role. */
static void remote_hello(int remote_dialer, unsigned char h[WL_PEER_HELLO_SIZE])
{
	memcpy(h, "WLH1", 4);
	h[4] = 1;
	h[5] = remote_dialer ? 0 : 1;
	h[6] = 0;
	h[7] = 0;
	wl_site_id(site_pk, h + 8);
	memset(h + 24, 0x09, 32); /* an X25519 key: any 32 bytes but a few */
	memcpy(h + 56, remote.cert, WL_CERT_SIZE);
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

/* Append a message with its length prefix at BUF + *LEN. */
static void seed_add(unsigned char *buf, size_t *len, const unsigned char *m,
		     size_t n)
{
	buf[*len] = (unsigned char)(n >> 8);
	buf[*len + 1] = (unsigned char)n;
	memcpy(buf + *len + 2, m, n);
	*len += 2 + n;
}

static void seed_corpus(const char *dir)
{
	unsigned char hello[WL_PEER_HELLO_SIZE];
	unsigned char auth[WL_PEER_AUTH_SIZE];
	unsigned char buf[1024];
	size_t len;

	memcpy(auth, "WLA1", 4);
	memset(auth + 4, 0x42, WL_PEER_AUTH_SIZE - 4);

	for (int dialer = 0; dialer < 2; dialer++) {
		remote_hello(!dialer, hello);
		buf[0] = (unsigned char)dialer;
		len = 1;
		seed_add(buf, &len, hello, sizeof(hello));
		seed_write(dir, dialer ? "seed-hello-d" : "seed-hello-l", buf,
			   len);
		seed_add(buf, &len, auth, sizeof(auth));
		seed_write(dir, dialer ? "seed-auth-d" : "seed-auth-l", buf,
			   len);
	}
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
	out = malloc(WL_PEER_MESSAGE_MAX);
	if (out == NULL)
		abort();
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

/* Ask P for everything it has to send. */
static void drain(struct wl_peer *p)
{
	size_t len = 0;

	for (int i = 0; i < 8; i++) {
		int rc = wl_peer_next(p, out, WL_PEER_MESSAGE_MAX, &len);

		if (rc == 1 && (len == 0 || len > WL_PEER_MESSAGE_MAX))
			abort();
		if (rc != 1)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_peer_config cfg = {
	    .node_pk = local.pk,
	    .node_sk = local.sk,
	    .cert = local.cert,
	    .site_pk = site_pk,
	    .now_ms = NOW,
	    .ops = &fuzz_ops,
	};
	struct wl_peer *p = NULL;
	size_t off = 1;
	int rc = 0;

	if (size == 0)
		return 0;
	cfg.dialer = data[0] & 1;
	if (wl_peer_new(&cfg, &p) != 0)
		abort();
	drain(p);

	while (off < size && rc == 0) {
		size_t n = size - off;

		if (n >= 2 &&
		    (size_t)((data[off] << 8) | data[off + 1]) <= n - 2) {
			n = (size_t)((data[off] << 8) | data[off + 1]);
			off += 2;
		}
		rc = wl_peer_receive(p, data + off, n);
		off += n;
		drain(p);
	}

	if (rc != 0 && (wl_peer_state(p) != WL_PEER_FAILED ||
			wl_peer_receive(p, data, size) != rc))
		abort();
	if (wl_peer_state(p) == WL_PEER_ESTABLISHED)
		abort(); /* no input can forge the AUTH */
	wl_peer_free(p);
	return 0;
}
