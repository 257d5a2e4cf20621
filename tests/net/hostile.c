/* A hostile peer for tests: it dials a node's peer port on 127.0.0.1,
 * misbehaves in one way and reports whether the node rejected it.
 *
 * Usage:
 *   hostile print-id --seed HEX64
 *   hostile MODE --port N --node HEX64 --site-dir DIR [--seed HEX64]
 *           [--wait-ms N]
 *
 * The client sends nothing until the node's HELLO has shown a certificate
 * for the node id given with --node. Any other listener on the port ends
 * the run with status 2 before a single byte of the client went out.
 *
 * Modes, and what the node must do:
 *   foreign-site   HELLO names our site, but its certificate was issued by
 *                  another site key: close during the handshake.
 *   forged-cert    the certificate names our site but is signed by another
 *                  key: close during the handshake.
 *   revoked        a certificate of our site for the key derived from
 *                  --seed, which the caller has revoked: close during the
 *                  handshake.
 *   corrupt-frame  after the handshake, our first sealed message with one
 *                  byte flipped: close the link.
 *   oversized      after the handshake, one binary message of
 *                  WL_PEER_MESSAGE_MAX + 64 + 64 KiB bytes in fragments:
 *                  close the link.
 *   garbage        after the handshake, random bytes that were never
 *                  sealed: close the link.
 *   bad-event      after the handshake, a HAVE, then one EVENTS message
 *                  and a PING. The EVENTS message carries four crafted
 *                  feeds. The first has an event with a wrong node
 *                  signature. The second has an event whose body does not
 *                  match its hash. The third has seq 2 and 3, and its seq 1
 *                  never comes. The fourth has a seq 2 whose prev hash is
 *                  zero. The node may keep the link or close it. The caller
 *                  checks what was stored and counted.
 * A node that closes during the handshake must not have sent its AUTH.
 *
 * Output: for bad-event one line "origin HEX64 CASE" per crafted feed, then
 * always one line "result: MODE: ...". Exit status: 0 when the node behaved
 * as the mode expects, 1 when it did not, 2 on a usage or setup error.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/event.h"
#include "wardline/hlc.h"
#include "wardline/keyfile.h"
#include "wardline/peer.h"
#include "wardline/site.h"

#define PROTOCOL	"wardline.1"
#define TX_SIZE		(WL_PEER_MESSAGE_MAX + 64)
#define RX_MAX		(WL_PEER_MESSAGE_MAX + 64)
#define OVERSIZED_TOTAL (WL_PEER_MESSAGE_MAX + 64 + 64 * 1024)
#define FRAGMENT	(64 * 1024)
#define GARBAGE_SIZE	300
#define TICK_US		(50 * LWS_US_PER_MS)
#define RUN_MAX_MS	20000
#define PING_NONCE	0x686f7374696c65ULL
#define FEEDS		4
#define FEED_EVENTS	2

enum mode {
	M_FOREIGN_SITE,
	M_FORGED_CERT,
	M_REVOKED,
	M_CORRUPT_FRAME,
	M_OVERSIZED,
	M_GARBAGE,
	M_BAD_EVENT,
	M_COUNT
};

static const char *const mode_names[M_COUNT] = {
    "foreign-site", "forged-cert", "revoked",	"corrupt-frame",
    "oversized",    "garbage",	   "bad-event",
};

/* A crafted feed of bad-event and the events served to the node. */
struct feed {
	unsigned char origin[32];
	const char *case_name;
	size_t n;
	uint64_t seq[FEED_EVENTS];
	unsigned char *ev[FEED_EVENTS];
	size_t len[FEED_EVENTS];
};

/* State of the one link this program opens. */
struct client {
	enum mode mode;
	uint64_t wait_ms;
	unsigned char expected_node[32];
	struct lws_context *ctx;
	struct lws *wsi;
	struct wl_peer *peer;
	lws_sorted_usec_list_t sul;
	unsigned char *tx;
	unsigned char *rx;
	size_t rx_len;
	int rx_dropped;

	uint64_t start_ms;
	uint64_t attack_ms; /* when the misbehaviour started, or 0 */
	int connected;
	int node_checked; /* the node's HELLO carried the expected node id */
	int wrong_node;
	int closed;
	int done;
	int remote_auth; /* the node sent its AUTH: it accepted our HELLO */
	int own_error;	 /* our own wl_peer failed, so we only listen */
	int write_failed;
	int attack_sent;
	size_t oversized_sent;
	int ping_sent;
	int pong_seen;

	struct feed feeds[FEEDS];
	size_t crafted_events;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int is_handshake_mode(enum mode m)
{
	return m == M_FOREIGN_SITE || m == M_FORGED_CERT || m == M_REVOKED;
}

/* ---- wl_peer callbacks ---- */

static int op_admit(void *arg, const unsigned char node[32])
{
	(void)arg;
	(void)node;
	return 0;
}

static const struct feed *feed_find(const struct client *c,
				    const unsigned char origin[32])
{
	for (size_t i = 0; i < FEEDS; i++)
		if (c->feeds[i].n &&
		    memcmp(c->feeds[i].origin, origin, 32) == 0)
			return &c->feeds[i];
	return NULL;
}

/* Serve the crafted events of bad-event. Other origins have none. */
static int op_fetch(void *arg, const unsigned char origin[32], uint64_t after,
		    size_t max, unsigned char *out, size_t size, size_t *used,
		    size_t *n, uint64_t *last)
{
	const struct feed *f = feed_find(arg, origin);

	*used = 0;
	*n = 0;
	for (size_t i = 0; f && i < f->n && *n < max; i++) {
		if (f->seq[i] <= after)
			continue;
		if (*used + 4 + f->len[i] > size)
			break;
		put_u32(out + *used, (uint32_t)f->len[i]);
		memcpy(out + *used + 4, f->ev[i], f->len[i]);
		*used += 4 + f->len[i];
		(*n)++;
		*last = f->seq[i];
	}
	return 0;
}

static int op_deliver(void *arg, const unsigned char *const *events,
		      const size_t *lens, size_t n)
{
	(void)arg;
	(void)events;
	(void)lens;
	(void)n;
	return 0;
}

static const struct wl_peer_ops peer_ops = {
    .admit = op_admit,
    .fetch = op_fetch,
    .deliver = op_deliver,
    .learn = NULL,
};

/* ---- crafted events ---- */

/* Encode event SEQ of the feed of the key pair PK/SK, linked to PREV, into
 * a malloc'd buffer, and replace PREV with its id. H receives the header as
 * encoded. */
static int event_make(const unsigned char *pk, const unsigned char *sk,
		      uint64_t seq, unsigned char prev[32],
		      struct wl_event_header *h, unsigned char **out,
		      size_t *len)
{
	char body[64];
	struct wl_event ev;
	unsigned char *buf = malloc(WL_EVENT_SIGNED_MAX + sizeof(body));
	int rc;

	*out = NULL;
	if (buf == NULL)
		return WL_ENOMEM;
	memset(h, 0, sizeof(*h));
	h->version = WL_EVENT_VERSION;
	h->kind = WL_KIND_TEST;
	memcpy(h->origin, pk, 32);
	h->seq = seq;
	if (seq > 1)
		memcpy(h->prev, prev, 32);
	h->hlc = wl_hlc_pack(wall_ms(), 0);
	snprintf(body, sizeof(body), "hostile event %llu",
		 (unsigned long long)seq);
	rc = wl_event_encode(h, (const unsigned char *)body, strlen(body), NULL,
			     sk, buf, WL_EVENT_SIGNED_MAX + sizeof(body), len,
			     &ev);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	memcpy(prev, ev.id, 32);
	*out = buf;
	return 0;
}

/* Make the events of feed F under a fresh key: seqs 1 to COUNT, of which
 * those from FIRST on are kept. H receives the header of the last one. */
static int feed_make(struct feed *f, const char *case_name, uint64_t first,
		     uint64_t count, struct wl_event_header *h)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char prev[32] = {0};
	int rc = 0;

	crypto_sign_keypair(f->origin, sk);
	f->case_name = case_name;
	for (uint64_t seq = 1; seq <= count && rc == 0; seq++) {
		unsigned char *buf = NULL;
		size_t len = 0;

		rc = event_make(f->origin, sk, seq, prev, h, &buf, &len);
		if (rc != 0 || seq < first) {
			free(buf);
			continue;
		}
		f->seq[f->n] = seq;
		f->ev[f->n] = buf;
		f->len[f->n] = len;
		f->n++;
	}
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

static int craft_events(struct client *c)
{
	struct wl_event_header h;
	struct feed *f = c->feeds;
	int rc;

	rc = feed_make(&f[0], "bad-node-signature", 1, 1, &h);
	if (rc == 0)
		f[0].ev[0][wl_event_signed_len(h.flags) - 1] ^= 0x01;

	if (rc == 0)
		rc = feed_make(&f[1], "body-hash-mismatch", 1, 1, &h);
	if (rc == 0)
		f[1].ev[0][f[1].len[0] - 1] ^= 0x01;

	if (rc == 0)
		rc = feed_make(&f[2], "gap-before-seq-2", 2, 3, &h);

	/* Seq 2 with a zero prev hash, rewritten after signing: the header
	 * check rejects it before any signature is looked at. */
	if (rc == 0)
		rc = feed_make(&f[3], "zero-prev-at-seq-2", 2, 2, &h);
	if (rc == 0) {
		memset(h.prev, 0, sizeof(h.prev));
		wl_event_header_pack(&h, f[3].ev[0]);
	}

	for (size_t i = 0; i < FEEDS; i++)
		c->crafted_events += f[i].n;
	return rc;
}

static void feeds_free(struct client *c)
{
	for (size_t i = 0; i < FEEDS; i++)
		for (size_t k = 0; k < c->feeds[i].n; k++)
			free(c->feeds[i].ev[k]);
}

static void announce_feeds(struct client *c)
{
	char hex[65];

	for (size_t i = 0; i < FEEDS; i++) {
		const struct feed *f = &c->feeds[i];

		wl_peer_local_head(c->peer, f->origin, f->seq[f->n - 1]);
		printf("origin %s %s\n",
		       sodium_bin2hex(hex, sizeof(hex), f->origin, 32),
		       f->case_name);
	}
	fflush(stdout);
}

/* ---- the link ---- */

/* Send the next message of our wl_peer, if any. */
static void pump(struct client *c)
{
	size_t len = 0;
	int rc;

	if (c->own_error || c->write_failed)
		return;
	rc = wl_peer_next(c->peer, c->tx + LWS_PRE, TX_SIZE, &len);
	if (rc < 0) {
		c->own_error = 1;
		return;
	}
	if (rc == 0)
		return;
	if (lws_write(c->wsi, c->tx + LWS_PRE, len, LWS_WRITE_BINARY) <
	    (int)len) {
		c->write_failed = 1;
		return;
	}
	lws_callback_on_writable(c->wsi);
}

static void send_raw(struct client *c, size_t len, int flags)
{
	if (lws_write(c->wsi, c->tx + LWS_PRE, len,
		      (enum lws_write_protocol)flags) < (int)len)
		c->write_failed = 1;
}

/* Our first sealed message with one byte of its ciphertext flipped. */
static void send_corrupt(struct client *c)
{
	size_t len = 0;

	if (wl_peer_next(c->peer, c->tx + LWS_PRE, TX_SIZE, &len) != 1) {
		c->own_error = 1;
		return;
	}
	c->tx[LWS_PRE + len / 2] ^= 0x20;
	send_raw(c, len, LWS_WRITE_BINARY);
	c->attack_sent = 1;
}

static void send_garbage(struct client *c)
{
	randombytes_buf(c->tx + LWS_PRE, GARBAGE_SIZE);
	send_raw(c, GARBAGE_SIZE, LWS_WRITE_BINARY);
	c->attack_sent = 1;
}

/* Send one fragment per writable callback, so that libwebsockets buffers
 * at most one fragment that the socket did not take. */
static void send_fragment(struct client *c)
{
	size_t left = OVERSIZED_TOTAL - c->oversized_sent;
	size_t n = left < FRAGMENT ? left : FRAGMENT;
	int flags =
	    c->oversized_sent ? LWS_WRITE_CONTINUATION : LWS_WRITE_BINARY;

	if (n < left)
		flags |= LWS_WRITE_NO_FIN;
	memset(c->tx + LWS_PRE, 0xa5, n);
	send_raw(c, n, flags);
	if (c->write_failed)
		return;
	c->oversized_sent += n;

	/* Past RX_MAX bytes the node may close at once, and the writes of
	 * the remaining fragments fail. */
	if (c->oversized_sent > RX_MAX)
		c->attack_sent = 1;
	if (c->oversized_sent < OVERSIZED_TOTAL)
		lws_callback_on_writable(c->wsi);
}

static void on_writable(struct client *c)
{
	if (c->own_error || c->write_failed)
		return;
	if (c->mode == M_OVERSIZED && c->oversized_sent > 0) {
		send_fragment(c);
		return;
	}
	if (wl_peer_state(c->peer) != WL_PEER_ESTABLISHED ||
	    c->mode == M_BAD_EVENT) {
		pump(c);
		return;
	}
	if (c->attack_sent)
		return;
	if (c->attack_ms == 0)
		c->attack_ms = wall_ms();
	if (c->mode == M_CORRUPT_FRAME)
		send_corrupt(c);
	else if (c->mode == M_GARBAGE)
		send_garbage(c);
	else if (c->mode == M_OVERSIZED)
		send_fragment(c);
}

/* Queue a PING once the crafted events are sent. The node sends its PONG
 * only after it has read the EVENTS message that came before. */
static void bad_event_progress(struct client *c)
{
	struct wl_peer_stats st;

	wl_peer_get_stats(c->peer, &st);
	if (!c->ping_sent && st.events_sent >= c->crafted_events) {
		c->attack_ms = wall_ms();
		c->attack_sent = 1;
		c->ping_sent = 1;
		wl_peer_ping(c->peer, PING_NONCE);
		lws_callback_on_writable(c->wsi);
	}
	if (c->ping_sent && wl_peer_last_pong(c->peer) == PING_NONCE)
		c->pong_seen = 1;
}

/* Check that the first message is a HELLO whose certificate names the
 * node the caller meant. */
static void check_node(struct client *c)
{
	struct wl_node_cert cert;

	if (c->rx_len == WL_PEER_HELLO_SIZE && memcmp(c->rx, "WLH1", 4) == 0 &&
	    wl_cert_decode(c->rx + WL_PEER_HELLO_SIZE - WL_CERT_SIZE,
			   WL_CERT_SIZE, &cert) == 0 &&
	    memcmp(cert.node_pk, c->expected_node, 32) == 0) {
		c->node_checked = 1;
		if (is_handshake_mode(c->mode))
			c->attack_ms = wall_ms();
		return;
	}
	c->wrong_node = 1;
	c->done = 1;
}

static void on_message(struct client *c)
{
	if (!c->node_checked) {
		check_node(c);
		if (c->wrong_node)
			return;
	}
	if (c->rx_len == WL_PEER_AUTH_SIZE && memcmp(c->rx, "WLA1", 4) == 0)
		c->remote_auth = 1;
	if (c->own_error)
		return;
	if (wl_peer_receive(c->peer, c->rx, c->rx_len) != 0) {
		c->own_error = 1;
		return;
	}
	lws_callback_on_writable(c->wsi);
}

static void on_receive(struct client *c, const void *in, size_t len)
{
	if (c->rx_len + len > RX_MAX) {
		c->rx_dropped = 1;
		c->rx_len = 0;
		return;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(c->wsi) ||
	    lws_remaining_packet_payload(c->wsi) != 0)
		return;
	if (!c->rx_dropped)
		on_message(c);
	c->rx_dropped = 0;
	c->rx_len = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct client *c = lws_context_user(lws_get_context(wsi));

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->wsi = wsi;
		c->connected = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(c, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c->done || !c->node_checked)
			return -1;
		on_writable(c);
		if (c->mode == M_BAD_EVENT && !c->own_error)
			bad_event_progress(c);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		c->closed = 1;
		c->wsi = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
    {PROTOCOL, callback, 0, FRAGMENT, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Decide every TICK_US whether the run is over. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct client *c = lws_container_of(sul, struct client, sul);
	uint64_t now = wall_ms();

	if (c->mode == M_BAD_EVENT && c->ping_sent && !c->pong_seen && c->wsi)
		bad_event_progress(c);
	/* A failed write or a failure of our own peer does not end the run,
	 * because the node's close is what is awaited. */
	if (c->closed || c->pong_seen || now - c->start_ms > RUN_MAX_MS ||
	    (is_handshake_mode(c->mode) && c->remote_auth) ||
	    (c->attack_ms && now - c->attack_ms > c->wait_ms) ||
	    (c->own_error && c->attack_ms == 0))
		c->done = 1;
	if (!c->done)
		lws_sul_schedule(c->ctx, 0, &c->sul, on_tick, TICK_US);
}

/* ---- verdict ---- */

static int verdict_handshake(const struct client *c, uint64_t ms)
{
	if (c->remote_auth || wl_peer_state(c->peer) == WL_PEER_ESTABLISHED) {
		printf("the node accepted the handshake\n");
		return 1;
	}
	if (c->closed) {
		printf("closed by node during the handshake after %llu ms\n",
		       (unsigned long long)ms);
		return 0;
	}
	printf("still open after %llu ms\n", (unsigned long long)ms);
	return 1;
}

static int verdict_bad_event(const struct client *c, uint64_t ms)
{
	if (c->pong_seen) {
		printf("%zu events sent; the node answered a PING after them; "
		       "link still open\n",
		       c->crafted_events);
		return 0;
	}
	if (c->closed) {
		printf("%zu events sent; closed by node after %llu ms\n",
		       c->crafted_events, (unsigned long long)ms);
		return 0;
	}
	printf("%zu events sent; no PONG and still open after %llu ms\n",
	       c->crafted_events, (unsigned long long)ms);
	return 1;
}

static int verdict(const struct client *c)
{
	uint64_t ms = wall_ms() - (c->attack_ms ? c->attack_ms : c->start_ms);

	printf("result: %s: ", mode_names[c->mode]);
	if (c->wrong_node) {
		printf("the listener is not the expected node; nothing sent\n");
		return 2;
	}
	if (!c->connected) {
		printf("could not connect\n");
		return 1;
	}
	if (!c->node_checked) {
		printf("no HELLO from the node; nothing sent\n");
		return 1;
	}
	if (is_handshake_mode(c->mode))
		return verdict_handshake(c, ms);
	if (!c->attack_sent) {
		printf("the attack was not sent (established=%s closed=%s "
		       "own_error=%s write_failed=%s)\n",
		       wl_peer_state(c->peer) == WL_PEER_ESTABLISHED ? "yes"
								     : "no",
		       c->closed ? "yes" : "no", c->own_error ? "yes" : "no",
		       c->write_failed ? "yes" : "no");
		return 1;
	}
	if (c->mode == M_BAD_EVENT)
		return verdict_bad_event(c, ms);
	if (c->closed) {
		printf("closed by node %llu ms after the attack\n",
		       (unsigned long long)ms);
		return 0;
	}
	printf("still open %llu ms after the attack\n", (unsigned long long)ms);
	return 1;
}

/* ---- set-up ---- */

struct options {
	enum mode mode;
	int print_id;
	unsigned port;
	const char *site_dir;
	const char *seed_hex;
	const char *node_hex;
	uint64_t wait_ms;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: hostile print-id --seed HEX64\n"
		"       hostile MODE --port N --node HEX64 --site-dir DIR "
		"[--seed HEX64] [--wait-ms N]\n"
		"modes: foreign-site forged-cert revoked corrupt-frame "
		"oversized garbage bad-event\n");
	return 2;
}

static int parse_mode(const char *name, struct options *o)
{
	if (strcmp(name, "print-id") == 0) {
		o->print_id = 1;
		return 0;
	}
	for (int m = 0; m < M_COUNT; m++) {
		if (strcmp(name, mode_names[m]) == 0) {
			o->mode = (enum mode)m;
			return 0;
		}
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"site-dir", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'k'},
	    {"node", required_argument, NULL, 'n'},
	    {"wait-ms", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0}};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->wait_ms = 3000;
	if (argc < 2 || parse_mode(argv[1], o) != 0)
		return -1;
	while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		unsigned long v = 0;

		if (ch == 'p' || ch == 'w') {
			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v == 0 || v > 60000)
				return -1;
		}
		if (ch == 'p')
			o->port = (unsigned)v;
		else if (ch == 's')
			o->site_dir = optarg;
		else if (ch == 'k')
			o->seed_hex = optarg;
		else if (ch == 'n')
			o->node_hex = optarg;
		else if (ch == 'w')
			o->wait_ms = v;
		else
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	if (o->print_id)
		return o->seed_hex ? 0 : -1;
	if (o->port == 0 || o->port > 65535 || o->site_dir == NULL ||
	    o->node_hex == NULL)
		return -1;
	return o->mode == M_REVOKED && o->seed_hex == NULL ? -1 : 0;
}

/* Decode exactly 64 hex digits into OUT. Returns 0 or -1. */
static int parse_hex32(const char *hex, unsigned char out[32])
{
	size_t n = 0;

	if (strlen(hex) != 64 ||
	    sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) != 0 || n != 32)
		return -1;
	return 0;
}

/* Derive the node key pair from --seed when given, else make a fresh one. */
static int node_keys(const struct options *o, unsigned char pk[32],
		     unsigned char sk[64])
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	if (o->seed_hex == NULL) {
		crypto_sign_keypair(pk, sk);
		return 0;
	}
	if (parse_hex32(o->seed_hex, seed) != 0)
		return -1;
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

/* Issue our certificate as the mode requires and load the site key the
 * node trusts into SITE_PK. */
static int make_cert(const struct options *o, const unsigned char pk[32],
		     unsigned char site_pk[32],
		     unsigned char cert[WL_CERT_SIZE])
{
	unsigned char *site_sk = NULL;
	unsigned char other_pk[32];
	unsigned char other_sk[64];
	char path[PATH_MAX];
	struct wl_node_cert nc;
	uint64_t now = wall_ms();
	int rc;

	if (o->mode == M_FOREIGN_SITE || o->mode == M_FORGED_CERT) {
		rc = wl_path_join(path, sizeof(path), o->site_dir,
				  WL_SITE_PUB_FILE);
		if (rc == 0)
			rc = wl_site_load_public(path, site_pk);
		crypto_sign_keypair(other_pk, other_sk);
		if (rc == 0)
			rc = wl_cert_issue(other_sk, pk, "hostile", now,
					   now + 86400000, &nc);
		sodium_memzero(other_sk, sizeof(other_sk));
		if (o->mode == M_FORGED_CERT)
			memcpy(nc.site_pk, site_pk, 32);
	} else {
		rc = wl_site_load_secret(o->site_dir, &site_sk, site_pk);
		if (rc == 0)
			rc = wl_cert_issue(site_sk, pk, "hostile", now,
					   now + 86400000, &nc);
		sodium_free(site_sk);
	}
	if (rc != 0) {
		fprintf(stderr,
			"hostile: failed to issue a certificate with "
			"the keys in %s: %s\n",
			o->site_dir, wl_strerror(rc));
		return -1;
	}
	wl_cert_encode(&nc, cert);
	return 0;
}

static int client_peer(struct client *c, const struct options *o)
{
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char site_pk[32];
	unsigned char cert[WL_CERT_SIZE];
	struct wl_peer_config pc;
	int rc = -1;

	if (node_keys(o, pk, sk) != 0) {
		fprintf(stderr,
			"hostile: invalid --seed %s; expected 64 hex "
			"digits\n",
			o->seed_hex);
		goto out;
	}
	if (make_cert(o, pk, site_pk, cert) != 0)
		goto out;
	memset(&pc, 0, sizeof(pc));
	pc.dialer = 1;
	pc.node_pk = pk;
	pc.node_sk = sk;
	pc.cert = cert;
	pc.site_pk = site_pk;
	pc.now_ms = wall_ms();
	pc.ops = &peer_ops;
	pc.arg = c;
	rc = wl_peer_new(&pc, &c->peer);
	if (rc != 0)
		fprintf(stderr, "hostile: wl_peer_new failed: %s\n",
			wl_strerror(rc));
out:
	sodium_memzero(sk, sizeof(sk));
	return rc == 0 ? 0 : -1;
}

static int client_connect(struct client *c, unsigned port)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	info.connect_timeout_secs = 5;
	c->ctx = lws_create_context(&info);
	if (c->ctx == NULL)
		return -1;

	memset(&ci, 0, sizeof(ci));
	ci.context = c->ctx;
	ci.address = "127.0.0.1";
	ci.port = (int)port;
	ci.path = "/";
	ci.host = "127.0.0.1";
	ci.origin = "127.0.0.1";
	ci.protocol = PROTOCOL;
	ci.local_protocol_name = PROTOCOL;
	c->start_ms = wall_ms();
	lws_sul_schedule(c->ctx, 0, &c->sul, on_tick, TICK_US);
	if (lws_client_connect_via_info(&ci) == NULL)
		c->closed = 1;
	return 0;
}

static int print_id(const struct options *o)
{
	unsigned char pk[32];
	unsigned char sk[64];
	char hex[65];

	if (node_keys(o, pk, sk) != 0)
		return usage();
	sodium_memzero(sk, sizeof(sk));
	printf("%s\n", sodium_bin2hex(hex, sizeof(hex), pk, 32));
	return 0;
}

static int run(struct client *c, const struct options *o)
{
	if (client_peer(c, o) != 0)
		return 2;
	if (c->mode == M_BAD_EVENT) {
		int rc = craft_events(c);

		if (rc != 0) {
			fprintf(stderr,
				"hostile: failed to encode the crafted "
				"events: %s\n",
				wl_strerror(rc));
			return 2;
		}
		announce_feeds(c);
	}
	if (client_connect(c, o->port) != 0) {
		fprintf(stderr, "hostile: failed to create the libwebsockets "
				"context\n");
		return 2;
	}
	while (!c->done && !c->closed)
		if (lws_service(c->ctx, 0) < 0)
			break;
	return verdict(c);
}

int main(int argc, char **argv)
{
	static struct client c;
	struct options o;
	int rc;

	if (sodium_init() < 0)
		return 2;
	if (parse_args(argc, argv, &o) != 0)
		return usage();
	if (o.print_id)
		return print_id(&o);

	if (parse_hex32(o.node_hex, c.expected_node) != 0) {
		fprintf(stderr,
			"hostile: invalid --node %s; expected 64 hex "
			"digits\n",
			o.node_hex);
		return 2;
	}
	lws_set_log_level(LLL_ERR, NULL);
	c.mode = o.mode;
	c.wait_ms = o.wait_ms;
	c.tx = malloc(LWS_PRE + TX_SIZE);
	c.rx = malloc(RX_MAX);
	if (c.tx == NULL || c.rx == NULL)
		return 2;
	rc = run(&c, &o);
	fflush(stdout);
	if (c.ctx)
		lws_context_destroy(c.ctx);
	wl_peer_free(c.peer);
	feeds_free(&c);
	free(c.tx);
	free(c.rx);
	return rc;
}
