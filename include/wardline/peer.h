/* The replication protocol `wardline.1` of one peer link, as a state machine
 * over whole WebSocket messages: bytes in, bytes out, no sockets.
 *
 * Handshake (both sides at once, cleartext):
 *   HELLO: "WLH1", version 1, role (0 dialer, 1 listener), reserved zero
 *          u16, site id (16), ephemeral X25519 public key (32), node
 *          certificate (WL_CERT_SIZE). 236 bytes.
 *   The transcript hash T is the BLAKE2b-256 of the context string
 *   "wardline.1 handshake" followed by the dialer's HELLO and then the
 *   listener's HELLO. Session keys come from crypto_kx (dialer = client,
 *   listener = server) over the ephemeral keys.
 *   AUTH:  "WLA1", the secretstream header of the sender's outgoing
 *          stream (24), then the sender's Ed25519 node signature over
 *          "wardline.1 auth", its role byte and T. 92 bytes.
 * After AUTH, every message is one crypto_secretstream_xchacha20poly1305
 * message under the session key of its direction, so a replayed, reordered,
 * dropped or altered frame fails to open and ends the link.
 *
 * Sealed messages start with a type byte; integers are big-endian:
 *   HAVE   0x01  u32 n, n x (origin 32, seq u64): the sender has stored
 *                (committed) every event of that origin up to seq. The
 *                first HAVE after AUTH is the sender's whole version vector.
 *   EVENTS 0x02  u32 n, n x (u32 len, encoded event): consecutive events of
 *                one or more origins, in seq order per origin.
 *   PEERS  0x03  u32 n, n x (node id 32, u16 port, u8 len, address text of
 *                len bytes, at most 63): addresses the sender knows.
 *   PING   0x04  u64 nonce;  PONG 0x05 u64 nonce (echo of the PING).
 * The detailed layout is in docs/protocol.md.
 *
 * Flow: after the handshake both sides send HAVE. Each side then streams
 * what the other lacks (backfill, in seq order per origin, in EVENTS
 * messages of at most WL_PEER_BATCH_BYTES) and afterwards pushes new events
 * as the node reports new heads. At most WL_PEER_WINDOW events may be sent
 * and not yet acknowledged by a HAVE: this bounds what a slow peer costs.
 */
#ifndef WARDLINE_PEER_H
#define WARDLINE_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/site.h"

#define WL_PEER_HELLO_SIZE (4 + 4 + WL_SITE_ID_SIZE + 32 + WL_CERT_SIZE)
#define WL_PEER_AUTH_SIZE (4 + 24 + 64)
#define WL_PEER_MESSAGE_MAX (WL_EVENT_ENCODED_MAX + 64 * 1024)
#define WL_PEER_BATCH_BYTES (256 * 1024)
#define WL_PEER_WINDOW 8192
#define WL_PEER_ADDR_MAX 63

enum wl_peer_state {
	WL_PEER_HANDSHAKE = 0, /* waiting for the remote HELLO or AUTH */
	WL_PEER_ESTABLISHED,   /* authenticated; replicating */
	WL_PEER_FAILED         /* a protocol error occurred; close the link */
};

/* An address learned from peer exchange or given to it. */
struct wl_peer_addr {
	unsigned char node[32];
	uint16_t port;
	char addr[WL_PEER_ADDR_MAX + 1]; /* numeric IPv4 or IPv6, NUL-ended */
};

/* Callbacks into the node. ARG is wl_peer_config.arg. A callback must not
 * call a wl_peer function on the peer that called it. */
struct wl_peer_ops {
	/* Decide whether the authenticated remote node may link: return 0,
	 * or WL_EREVOKED for a revoked node (the handshake then fails). */
	int (*admit)(void *arg, const unsigned char node[32]);

	/* Copy encoded events of ORIGIN with seq > AFTER, in seq order, into
	 * OUT (SIZE bytes) as EVENTS entries (u32 len, event): whole entries
	 * only, stopping before SIZE would be exceeded or after MAX events.
	 * Store the bytes written in *USED, the count in *N and the seq of
	 * the last copied event in *LAST. Returns 0 or a negative code, which
	 * fails the link. SIZE is what is left of a WL_PEER_BATCH_BYTES
	 * batch. When nothing fits in an empty batch, the peer requests one
	 * event again with SIZE WL_PEER_MESSAGE_MAX - 64, which fits any
	 * event, so a batch always makes progress. */
	int (*fetch)(void *arg, const unsigned char origin[32], uint64_t after,
		     size_t max, unsigned char *out, size_t size, size_t *used,
		     size_t *n, uint64_t *last);

	/* Hand over the N encoded events of one EVENTS message. The node
	 * ingests them (possibly later, grouped with other links) and calls
	 * wl_peer_stored once they are committed. The pointers are valid only
	 * during the call. Returns 0 or a negative code, which fails the
	 * link. */
	int (*deliver)(void *arg, const unsigned char *const *events,
		       const size_t *lens, size_t n);

	/* Addresses received in a PEERS message, valid during the call. */
	void (*learn)(void *arg, const struct wl_peer_addr *addrs, size_t n);
};

struct wl_peer_config {
	int dialer;                    /* 1 if this side opened the link */
	const unsigned char *node_pk;  /* our node id, 32 bytes */
	const unsigned char *node_sk;  /* our node secret key, 64 bytes */
	const unsigned char *cert;     /* our certificate, WL_CERT_SIZE bytes */
	const unsigned char *site_pk;  /* the site root key, 32 bytes */
	uint64_t now_ms;               /* wall clock for certificate checks */
	const struct wl_peer_ops *ops;
	void *arg;
};

struct wl_peer;

/* Create the state of a new link; the HELLO is the first message that
 * wl_peer_next returns. CFG and what it points to are copied, except ARG.
 * Returns 0 and *OUT, or WL_ENOMEM, WL_EINVAL. */
int wl_peer_new(const struct wl_peer_config *cfg, struct wl_peer **out);

/* Wipe the session keys and free P. Accepts NULL. */
void wl_peer_free(struct wl_peer *p);

/* Process one whole received message. Returns 0, or a negative code after
 * which the state is WL_PEER_FAILED and the link must be closed:
 * WL_EVERSION, WL_ETRUNC, WL_ETRAILING, WL_EINVAL (malformed message or
 * unknown type), WL_ETOOBIG (over WL_PEER_MESSAGE_MAX), WL_ECERT
 * (certificate invalid, expired, of another site, or the remote is this
 * node), WL_EREVOKED, WL_EAUTH (bad handshake signature, or a sealed frame
 * that does not open: replayed, reordered or altered), or a code returned
 * by a callback. */
int wl_peer_receive(struct wl_peer *p, const unsigned char *msg, size_t len);

/* Write the next message to send into OUT (SIZE bytes, at least
 * WL_PEER_MESSAGE_MAX) and its length to *LEN. Returns 1 when a message was
 * written, 0 when there is nothing to send now, or a negative code (the
 * link must be closed). Order: handshake messages, PONG, HAVE, PING,
 * PEERS, then EVENTS while the window allows. */
int wl_peer_next(struct wl_peer *p, unsigned char *out, size_t size,
		 size_t *len);

/* Report that this node now has ORIGIN up to SEQ (its own append or a
 * commit of events from any link). Events the remote lacks become due. */
void wl_peer_local_head(struct wl_peer *p, const unsigned char origin[32],
			uint64_t seq);

/* Report that events received on this link were committed, so that the
 * remote can be informed: queue a HAVE for these N heads (usually the new heads of the
 * origins of the delivered events). */
void wl_peer_stored(struct wl_peer *p, const unsigned char (*origins)[32],
		    const uint64_t *seqs, size_t n);

/* Queue a PING with NONCE; a PONG with the same nonce is counted by
 * wl_peer_last_pong. */
void wl_peer_ping(struct wl_peer *p, uint64_t nonce);

/* Return the nonce of the last PONG received, or 0. */
uint64_t wl_peer_last_pong(const struct wl_peer *p);

/* Queue a PEERS message with N addresses (copied). */
void wl_peer_share(struct wl_peer *p, const struct wl_peer_addr *addrs,
		   size_t n);

enum wl_peer_state wl_peer_state(const struct wl_peer *p);

/* Return the remote node id (valid once established), or NULL. */
const unsigned char *wl_peer_remote(const struct wl_peer *p);

/* Return the name of the remote certificate (valid once established). */
const char *wl_peer_remote_name(const struct wl_peer *p);

/* Return the remote's head of ORIGIN's feed from its HAVE messages: the
 * remote has every event of ORIGIN up to that seq. 0 when unknown. */
uint64_t wl_peer_remote_head(const struct wl_peer *p,
			     const unsigned char origin[32]);

/* 1 when P is the dialer of its link. */
int wl_peer_is_dialer(const struct wl_peer *p);

struct wl_peer_stats {
	uint64_t events_sent;
	uint64_t events_received;
	uint64_t messages_sent;
	uint64_t messages_received;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t lag; /* events the remote lacks that we hold, as far as its
			 HAVE messages tell */
};

void wl_peer_get_stats(const struct wl_peer *p, struct wl_peer_stats *st);

#endif
