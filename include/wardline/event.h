/* The binary event envelope: encode, decode, sign, verify, body encryption.
 *
 * An encoded event is a fixed-size header, one or two Ed25519 signatures and
 * the body:
 *
 *   header (WL_EVENT_HEADER_SIZE bytes, big-endian fields)
 *   author signature (64 bytes, only when WL_EVENT_F_AUTHOR is set)
 *   node signature (64 bytes)
 *   body (body_len bytes)
 *
 * The header, the signatures and their order are specified byte by byte in
 * docs/protocol.md. The "signed header" is everything but the body. The
 * event id is the BLAKE2b-256 of the signed header, and the next event of
 * the same origin carries that id as its prev hash. Signatures cover the body hash and
 * not the body, so a body can be pruned while the chain stays verifiable.
 *
 * This module is pure: no I/O, no logging, no global state. The program
 * must have called sodium_init() first.
 */
#ifndef WARDLINE_EVENT_H
#define WARDLINE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define WL_EVENT_VERSION 1
#define WL_EVENT_HEADER_SIZE 172
#define WL_EVENT_SIG_SIZE 64
#define WL_EVENT_SIGNED_MAX (WL_EVENT_HEADER_SIZE + 2 * WL_EVENT_SIG_SIZE)
#define WL_EVENT_BODY_MAX (1024 * 1024)
#define WL_EVENT_ENCODED_MAX (WL_EVENT_SIGNED_MAX + WL_EVENT_BODY_MAX)
#define WL_EVENT_ID_SIZE 32
#define WL_EVENT_KEY_SIZE 32   /* Ed25519 public key; node and author ids */
#define WL_EVENT_SPACE_SIZE 16
#define WL_EVENT_HASH_SIZE 32

/* Length of the header prefix used as associated data when a body is
 * encrypted: every field before the body hash. The body hash cannot
 * be part of them because it is computed over the ciphertext. */
#define WL_EVENT_AD_SIZE 140

/* Encrypted body layout: a 24-byte random nonce, then the XChaCha20-Poly1305
 * ciphertext with its 16-byte tag. */
#define WL_EVENT_NONCE_SIZE 24
#define WL_EVENT_TAG_SIZE 16
#define WL_EVENT_SEAL_OVERHEAD (WL_EVENT_NONCE_SIZE + WL_EVENT_TAG_SIZE)
#define WL_SPACE_KEY_SIZE 32

/* Header flags. Other bits are reserved and must be zero. */
#define WL_EVENT_F_AUTHOR 0x0001    /* an author (user) signature follows */
#define WL_EVENT_F_ENCRYPTED 0x0002 /* body is sealed under a space key */
#define WL_EVENT_F_KNOWN (WL_EVENT_F_AUTHOR | WL_EVENT_F_ENCRYPTED)

/* Event kinds. Numbers are part of the wire format and never reused. */
enum wl_event_kind {
	WL_KIND_NODE_CERT = 1,     /* site-signed certificate of a node */
	WL_KIND_REVOCATION = 2,    /* site-signed revocation of a node */
	WL_KIND_SITE_POLICY = 3,   /* site-signed policy (retention, timeouts) */
	WL_KIND_USER_BUNDLE = 4,   /* a user's public keys and wrapped secrets */
	WL_KIND_KEY_ENVELOPE = 5,  /* a space key sealed to one member */
	WL_KIND_MEMBERSHIP = 6,    /* member added to or removed from a space */
	WL_KIND_MESSAGE = 7,       /* a message in a conversation */
	WL_KIND_RECEIPT = 8,       /* delivered, read or acknowledged */
	WL_KIND_ENTITY_UPDATE = 9, /* field updates of a patient, handoff, task */
	WL_KIND_AUDIT = 10,        /* an audit record */
	WL_KIND_TEST = 11,         /* opaque payload for tests and benchmarks */
	WL_KIND_ACCOUNT = 12,      /* failed logins, account lock and unlock */
	WL_KIND_MAX = 12
};

/* A decoded header. Byte arrays are copies; nothing points into the input. */
struct wl_event_header {
	uint8_t version;
	uint8_t kind;
	uint16_t flags;
	unsigned char origin[WL_EVENT_KEY_SIZE]; /* node Ed25519 public key */
	uint64_t seq;                            /* 1 for the first event */
	unsigned char prev[WL_EVENT_HASH_SIZE];  /* id of seq - 1; zero at 1 */
	uint64_t hlc;                            /* see hlc.h */
	unsigned char space[WL_EVENT_SPACE_SIZE];
	uint32_t epoch;                          /* key epoch of the space */
	unsigned char author[WL_EVENT_KEY_SIZE]; /* user key; zero if none */
	uint32_t body_len;
	unsigned char body_hash[WL_EVENT_HASH_SIZE];
};

/* A decoded event. BODY points into the buffer given to wl_event_decode and
 * is valid only while that buffer is. BODY is NULL when body_len is 0 or the
 * body was absent (pruned) in a signed-header-only decode. */
struct wl_event {
	struct wl_event_header h;
	unsigned char author_sig[WL_EVENT_SIG_SIZE]; /* zero if no author */
	unsigned char node_sig[WL_EVENT_SIG_SIZE];
	unsigned char id[WL_EVENT_ID_SIZE];
	const unsigned char *signed_bytes; /* the signed header in the input */
	size_t signed_len;
	const unsigned char *body;
};

/* Return the length of the signed header for FLAGS: the header plus one or
 * two signatures. */
size_t wl_event_signed_len(uint16_t flags);

/* Write H as WL_EVENT_HEADER_SIZE bytes into OUT. No validation. */
void wl_event_header_pack(const struct wl_event_header *h,
			  unsigned char out[WL_EVENT_HEADER_SIZE]);

/* Check the fields of H that do not need keys: version, kind, reserved flags,
 * seq not zero, prev zero exactly when seq is 1, body_len at most
 * WL_EVENT_BODY_MAX, author zero exactly when WL_EVENT_F_AUTHOR is clear.
 * Returns 0 or WL_EVERSION, WL_EKIND, WL_EFLAGS, WL_ESEQ, WL_ECHAIN,
 * WL_ETOOBIG. */
int wl_event_header_check(const struct wl_event_header *h);

/* Decode the signed header at the start of BUF (LEN bytes) into EV, without
 * reading a body. Sets ev->signed_bytes to BUF, ev->body to NULL and computes
 * ev->id. Returns the number of bytes consumed (> 0) or WL_ETRUNC and the
 * codes of wl_event_header_check. No signature is checked. */
long wl_event_decode_signed(const unsigned char *buf, size_t len,
			    struct wl_event *ev);

/* Decode a whole event (signed header and body) that fills BUF exactly.
 * Checks the body hash. Returns 0 or the codes of wl_event_decode_signed,
 * WL_ETRAILING if LEN exceeds the encoding, WL_EBODYHASH if the body does not
 * match. No signature is checked. */
int wl_event_decode(const unsigned char *buf, size_t len, struct wl_event *ev);

/* Compute the BLAKE2b-256 of BODY (LEN bytes) into OUT. */
void wl_event_body_hash(const unsigned char *body, size_t len,
			unsigned char out[WL_EVENT_HASH_SIZE]);

/* Encode and sign an event. H must be complete except body_len, body_hash
 * and the WL_EVENT_F_AUTHOR flag and author field, which this function sets
 * from BODY and AUTHOR_SK. AUTHOR_SK (64-byte Ed25519 secret key, may be
 * NULL for a node-authored event) signs the header; NODE_SK signs header and
 * author signature. Writes at most OUTSIZE bytes to OUT and the length to
 * *OUTLEN, and fills EV (may be NULL) as wl_event_decode would. Returns 0,
 * WL_EINVAL if OUTSIZE is too small or a key is missing, or the codes of
 * wl_event_header_check. */
int wl_event_encode(struct wl_event_header *h, const unsigned char *body,
		    size_t body_len, const unsigned char *author_sk,
		    const unsigned char *node_sk, unsigned char *out,
		    size_t outsize, size_t *outlen, struct wl_event *ev);

/* Verify the node signature of EV against ev->h.origin.
 * Returns 0 or WL_EAUTH. */
int wl_event_verify_node(const struct wl_event *ev)
	__attribute__((warn_unused_result));

/* Verify the author signature of EV against ev->h.author. Returns 0 when the
 * event has no author, or WL_EAUTH. */
int wl_event_verify_author(const struct wl_event *ev)
	__attribute__((warn_unused_result));

/* Verify both signatures. Returns 0 or WL_EAUTH. */
int wl_event_verify(const struct wl_event *ev)
	__attribute__((warn_unused_result));

/* Authenticate a contiguous run of N events of one origin (EVS[i + 1].seq ==
 * EVS[i].seq + 1, each prev equal to the id before it): the hash links are
 * checked, and only the node signature of the last event, because that
 * signature covers its prev hash, which covers every earlier header. Author
 * signatures are not checked here. Returns 0, WL_ECHAIN (and *BAD = index of
 * the event that does not link) or WL_EAUTH (*BAD = N - 1). BAD may be NULL. */
int wl_event_verify_run(const struct wl_event *evs, size_t n, size_t *bad)
	__attribute__((warn_unused_result));

/* Seal PLAIN (LEN bytes) for the header H under the 32-byte space KEY with
 * XChaCha20-Poly1305 and a random nonce, using the first WL_EVENT_AD_SIZE
 * bytes of the packed header as associated data. Those bytes must be final:
 * the caller sets body_len to LEN + WL_EVENT_SEAL_OVERHEAD, and the flags
 * (WL_EVENT_F_AUTHOR, WL_EVENT_F_ENCRYPTED) and author exactly as
 * wl_event_encode will set them; body_hash is ignored.
 * Writes LEN + WL_EVENT_SEAL_OVERHEAD bytes to OUT. Returns 0 or WL_EINVAL
 * (body_len mismatch or LEN too large). */
int wl_event_seal_body(const struct wl_event_header *h,
		       const unsigned char key[WL_SPACE_KEY_SIZE],
		       const unsigned char *plain, size_t len,
		       unsigned char *out);

/* Open the sealed BODY (LEN bytes) of the event with header H under KEY into
 * OUT (room for LEN - WL_EVENT_SEAL_OVERHEAD bytes) and store that length in
 * *OUTLEN. Returns 0, WL_ETRUNC if LEN is shorter than the overhead, or
 * WL_EAUTH if the key, the header or the body is wrong. */
int wl_event_open_body(const struct wl_event_header *h,
		       const unsigned char key[WL_SPACE_KEY_SIZE],
		       const unsigned char *body, size_t len,
		       unsigned char *out, size_t *outlen)
	__attribute__((warn_unused_result));

/* Return the name of a kind ("message") or "unknown". */
const char *wl_event_kind_name(unsigned kind);

#endif
