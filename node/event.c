/* The binary event envelope: big-endian packing, strict decoding, Ed25519
 * signatures and XChaCha20-Poly1305 bodies. The layout is in
 * docs/protocol.md. */
#include "wardline/event.h"

#include <sodium.h>
#include <string.h>

#include "wardline/error.h"

/* Byte offsets of the header fields. */
enum {
	OFF_VERSION = 0,
	OFF_KIND = 1,
	OFF_FLAGS = 2,
	OFF_ORIGIN = 4,
	OFF_SEQ = 36,
	OFF_PREV = 44,
	OFF_HLC = 76,
	OFF_SPACE = 84,
	OFF_EPOCH = 100,
	OFF_AUTHOR = 104,
	OFF_BODY_LEN = 136,
	OFF_BODY_HASH = 140
};

_Static_assert(OFF_BODY_HASH + WL_EVENT_HASH_SIZE == WL_EVENT_HEADER_SIZE,
	       "header fields must fill the header exactly");
_Static_assert(OFF_BODY_HASH == WL_EVENT_AD_SIZE,
	       "the associated data is every field before the body hash");
_Static_assert(WL_EVENT_SIG_SIZE == crypto_sign_BYTES, "Ed25519 signature");
_Static_assert(WL_EVENT_KEY_SIZE == crypto_sign_PUBLICKEYBYTES,
	       "Ed25519 public key");
_Static_assert(WL_EVENT_NONCE_SIZE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "XChaCha20-Poly1305 nonce");
_Static_assert(WL_EVENT_TAG_SIZE == crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "Poly1305 tag");
_Static_assert(WL_SPACE_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "XChaCha20-Poly1305 key");

static void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint16_t get_be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_be32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

size_t wl_event_signed_len(uint16_t flags)
{
	size_t len = WL_EVENT_HEADER_SIZE + WL_EVENT_SIG_SIZE;

	if (flags & WL_EVENT_F_AUTHOR)
		len += WL_EVENT_SIG_SIZE;
	return len;
}

void wl_event_header_pack(const struct wl_event_header *h,
			  unsigned char out[WL_EVENT_HEADER_SIZE])
{
	out[OFF_VERSION] = h->version;
	out[OFF_KIND] = h->kind;
	put_be16(out + OFF_FLAGS, h->flags);
	memcpy(out + OFF_ORIGIN, h->origin, WL_EVENT_KEY_SIZE);
	put_be64(out + OFF_SEQ, h->seq);
	memcpy(out + OFF_PREV, h->prev, WL_EVENT_HASH_SIZE);
	put_be64(out + OFF_HLC, h->hlc);
	memcpy(out + OFF_SPACE, h->space, WL_EVENT_SPACE_SIZE);
	put_be32(out + OFF_EPOCH, h->epoch);
	memcpy(out + OFF_AUTHOR, h->author, WL_EVENT_KEY_SIZE);
	put_be32(out + OFF_BODY_LEN, h->body_len);
	memcpy(out + OFF_BODY_HASH, h->body_hash, WL_EVENT_HASH_SIZE);
}

/* The inverse of wl_event_header_pack: every header bit lands in a field, so
 * packing the result gives back IN byte for byte. */
static void header_unpack(const unsigned char in[WL_EVENT_HEADER_SIZE],
			  struct wl_event_header *h)
{
	h->version = in[OFF_VERSION];
	h->kind = in[OFF_KIND];
	h->flags = get_be16(in + OFF_FLAGS);
	memcpy(h->origin, in + OFF_ORIGIN, WL_EVENT_KEY_SIZE);
	h->seq = get_be64(in + OFF_SEQ);
	memcpy(h->prev, in + OFF_PREV, WL_EVENT_HASH_SIZE);
	h->hlc = get_be64(in + OFF_HLC);
	memcpy(h->space, in + OFF_SPACE, WL_EVENT_SPACE_SIZE);
	h->epoch = get_be32(in + OFF_EPOCH);
	memcpy(h->author, in + OFF_AUTHOR, WL_EVENT_KEY_SIZE);
	h->body_len = get_be32(in + OFF_BODY_LEN);
	memcpy(h->body_hash, in + OFF_BODY_HASH, WL_EVENT_HASH_SIZE);
}

int wl_event_header_check(const struct wl_event_header *h)
{
	int has_author_flag = (h->flags & WL_EVENT_F_AUTHOR) != 0;
	int has_author = !sodium_is_zero(h->author, WL_EVENT_KEY_SIZE);
	int prev_zero = sodium_is_zero(h->prev, WL_EVENT_HASH_SIZE);

	if (h->version != WL_EVENT_VERSION)
		return WL_EVERSION;
	if (h->kind == 0 || h->kind > WL_KIND_MAX)
		return WL_EKIND;
	if ((h->flags & ~WL_EVENT_F_KNOWN) != 0)
		return WL_EFLAGS;
	if (has_author_flag != has_author)
		return WL_EFLAGS;
	if (h->seq == 0)
		return WL_ESEQ;
	if ((h->seq == 1) != prev_zero)
		return WL_ECHAIN;
	if (h->body_len > WL_EVENT_BODY_MAX)
		return WL_ETOOBIG;
	return 0;
}

long wl_event_decode_signed(const unsigned char *buf, size_t len,
			    struct wl_event *ev)
{
	size_t signed_len;
	int rc;

	if (ev == NULL)
		return WL_EINVAL;
	memset(ev, 0, sizeof(*ev));
	if (buf == NULL || len < WL_EVENT_HEADER_SIZE)
		return WL_ETRUNC;

	header_unpack(buf, &ev->h);
	rc = wl_event_header_check(&ev->h);
	if (rc != 0)
		return rc;

	signed_len = wl_event_signed_len(ev->h.flags);
	if (len < signed_len)
		return WL_ETRUNC;

	if (ev->h.flags & WL_EVENT_F_AUTHOR)
		memcpy(ev->author_sig, buf + WL_EVENT_HEADER_SIZE,
		       WL_EVENT_SIG_SIZE);
	memcpy(ev->node_sig, buf + signed_len - WL_EVENT_SIG_SIZE,
	       WL_EVENT_SIG_SIZE);

	ev->signed_bytes = buf;
	ev->signed_len = signed_len;
	crypto_generichash(ev->id, WL_EVENT_ID_SIZE, buf, signed_len, NULL, 0);
	return (long)signed_len;
}

int wl_event_decode(const unsigned char *buf, size_t len, struct wl_event *ev)
{
	unsigned char hash[WL_EVENT_HASH_SIZE];
	const unsigned char *body;
	size_t avail;
	long n;

	n = wl_event_decode_signed(buf, len, ev);
	if (n < 0)
		return (int)n;

	body = buf + n;
	avail = len - (size_t)n;
	if (avail < ev->h.body_len)
		return WL_ETRUNC;
	if (avail > ev->h.body_len)
		return WL_ETRAILING;

	wl_event_body_hash(body, avail, hash);
	if (sodium_memcmp(hash, ev->h.body_hash, WL_EVENT_HASH_SIZE) != 0)
		return WL_EBODYHASH;

	ev->body = avail > 0 ? body : NULL;
	return 0;
}

void wl_event_body_hash(const unsigned char *body, size_t len,
			unsigned char out[WL_EVENT_HASH_SIZE])
{
	crypto_generichash(out, WL_EVENT_HASH_SIZE, body, len, NULL, 0);
}

/* Check the arguments of wl_event_encode before H is changed. */
static int encode_check_args(const struct wl_event_header *h,
			     const unsigned char *body, size_t body_len,
			     const unsigned char *node_sk,
			     const unsigned char *out, const size_t *outlen)
{
	unsigned char node_pk[WL_EVENT_KEY_SIZE];
	int rc = 0;

	if (h == NULL || node_sk == NULL || out == NULL || outlen == NULL)
		return WL_EINVAL;
	if (body == NULL && body_len > 0)
		return WL_EINVAL;
	if (body_len > WL_EVENT_BODY_MAX)
		return WL_ETOOBIG;

	crypto_sign_ed25519_sk_to_pk(node_pk, node_sk);
	if (sodium_memcmp(node_pk, h->origin, WL_EVENT_KEY_SIZE) != 0)
		rc = WL_EINVAL;
	sodium_memzero(node_pk, sizeof(node_pk));
	return rc;
}

/* Set the fields of H that wl_event_encode derives from its arguments. */
static void encode_fill_header(struct wl_event_header *h,
			       const unsigned char *body, size_t body_len,
			       const unsigned char *author_sk)
{
	if (author_sk != NULL) {
		h->flags |= WL_EVENT_F_AUTHOR;
		crypto_sign_ed25519_sk_to_pk(h->author, author_sk);
	} else {
		h->flags &= (uint16_t)~WL_EVENT_F_AUTHOR;
		memset(h->author, 0, WL_EVENT_KEY_SIZE);
	}

	h->body_len = (uint32_t)body_len;
	wl_event_body_hash(body, body_len, h->body_hash);
}

int wl_event_encode(struct wl_event_header *h, const unsigned char *body,
		    size_t body_len, const unsigned char *author_sk,
		    const unsigned char *node_sk, unsigned char *out,
		    size_t outsize, size_t *outlen, struct wl_event *ev)
{
	size_t signed_len;
	size_t node_sig_at;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	rc = encode_check_args(h, body, body_len, node_sk, out, outlen);
	if (rc != 0)
		return rc;

	encode_fill_header(h, body, body_len, author_sk);
	rc = wl_event_header_check(h);
	if (rc != 0)
		return rc;

	signed_len = wl_event_signed_len(h->flags);
	if (outsize < signed_len + body_len)
		return WL_EINVAL;

	wl_event_header_pack(h, out);
	if (author_sk != NULL)
		crypto_sign_detached(out + WL_EVENT_HEADER_SIZE, NULL, out,
				     WL_EVENT_HEADER_SIZE, author_sk);
	node_sig_at = signed_len - WL_EVENT_SIG_SIZE;
	crypto_sign_detached(out + node_sig_at, NULL, out, node_sig_at,
			     node_sk);

	/* BODY may already sit at OUT + signed_len, so the copy allows
	 * overlap. */
	if (body_len > 0)
		memmove(out + signed_len, body, body_len);
	*outlen = signed_len + body_len;

	if (ev == NULL)
		return 0;
	return wl_event_decode(out, *outlen, ev);
}

/* Rebuild the signed header of EV from its fields into OUT and return its
 * length. Verification works on this copy, so it checks the fields callers
 * act on and does not need the buffer EV was decoded from. */
static size_t signed_repack(const struct wl_event *ev,
			    unsigned char out[WL_EVENT_SIGNED_MAX])
{
	size_t len = WL_EVENT_HEADER_SIZE;

	wl_event_header_pack(&ev->h, out);
	if (ev->h.flags & WL_EVENT_F_AUTHOR) {
		memcpy(out + len, ev->author_sig, WL_EVENT_SIG_SIZE);
		len += WL_EVENT_SIG_SIZE;
	}
	memcpy(out + len, ev->node_sig, WL_EVENT_SIG_SIZE);
	return len + WL_EVENT_SIG_SIZE;
}

/* Compute into ID the event id of EV from its fields. */
static void event_id(const struct wl_event *ev,
		     unsigned char id[WL_EVENT_ID_SIZE])
{
	unsigned char buf[WL_EVENT_SIGNED_MAX];
	size_t len = signed_repack(ev, buf);

	crypto_generichash(id, WL_EVENT_ID_SIZE, buf, len, NULL, 0);
}

int wl_event_verify_node(const struct wl_event *ev)
{
	unsigned char buf[WL_EVENT_SIGNED_MAX];
	unsigned char id[WL_EVENT_ID_SIZE];
	size_t len;

	if (ev == NULL)
		return WL_EAUTH;

	len = signed_repack(ev, buf);
	if (crypto_sign_verify_detached(ev->node_sig, buf,
					len - WL_EVENT_SIG_SIZE,
					ev->h.origin) != 0)
		return WL_EAUTH;

	/* An id that is not the hash of what was verified would let a caller
	 * store a checked event under a forged id. */
	crypto_generichash(id, WL_EVENT_ID_SIZE, buf, len, NULL, 0);
	if (sodium_memcmp(id, ev->id, WL_EVENT_ID_SIZE) != 0)
		return WL_EAUTH;
	return 0;
}

int wl_event_verify_author(const struct wl_event *ev)
{
	unsigned char header[WL_EVENT_HEADER_SIZE];

	if (ev == NULL)
		return WL_EAUTH;
	if (!(ev->h.flags & WL_EVENT_F_AUTHOR)) {
		if (!sodium_is_zero(ev->h.author, WL_EVENT_KEY_SIZE))
			return WL_EAUTH;
		return 0;
	}

	wl_event_header_pack(&ev->h, header);
	if (crypto_sign_verify_detached(ev->author_sig, header,
					WL_EVENT_HEADER_SIZE,
					ev->h.author) != 0)
		return WL_EAUTH;
	return 0;
}

int wl_event_verify(const struct wl_event *ev)
{
	if (wl_event_verify_author(ev) != 0)
		return WL_EAUTH;
	if (wl_event_verify_node(ev) != 0)
		return WL_EAUTH;
	return 0;
}

/* Check that NEXT directly follows PREV, whose recomputed id is PREV_ID, in
 * the feed of one origin. */
static int run_links(const struct wl_event *prev,
		     const unsigned char prev_id[WL_EVENT_ID_SIZE],
		     const struct wl_event *next)
{
	if (sodium_memcmp(prev->h.origin, next->h.origin,
			  WL_EVENT_KEY_SIZE) != 0)
		return 0;
	if (prev->h.seq == UINT64_MAX || next->h.seq != prev->h.seq + 1)
		return 0;
	return sodium_memcmp(prev_id, next->h.prev, WL_EVENT_HASH_SIZE) == 0;
}

int wl_event_verify_run(const struct wl_event *evs, size_t n, size_t *bad)
{
	unsigned char prev_id[WL_EVENT_ID_SIZE];
	unsigned char id[WL_EVENT_ID_SIZE];

	if (bad != NULL)
		*bad = 0;
	if (n == 0)
		return 0;
	if (evs == NULL)
		return WL_EINVAL;

	/* Each id is recomputed rather than taken from the struct, because the
	 * links authenticate earlier events only if the ids are true hashes. */
	for (size_t i = 0; i < n; i++) {
		event_id(&evs[i], id);
		if (sodium_memcmp(id, evs[i].id, WL_EVENT_ID_SIZE) != 0 ||
		    (i > 0 && !run_links(&evs[i - 1], prev_id, &evs[i]))) {
			if (bad != NULL)
				*bad = i;
			return WL_ECHAIN;
		}
		memcpy(prev_id, id, WL_EVENT_ID_SIZE);
	}

	if (wl_event_verify_node(&evs[n - 1]) != 0) {
		if (bad != NULL)
			*bad = n - 1;
		return WL_EAUTH;
	}
	return 0;
}

int wl_event_seal_body(const struct wl_event_header *h,
		       const unsigned char key[WL_SPACE_KEY_SIZE],
		       const unsigned char *plain, size_t len,
		       unsigned char *out)
{
	unsigned char header[WL_EVENT_HEADER_SIZE];

	if (h == NULL || key == NULL || out == NULL)
		return WL_EINVAL;
	if (plain == NULL && len > 0)
		return WL_EINVAL;
	if (len > WL_EVENT_BODY_MAX - WL_EVENT_SEAL_OVERHEAD)
		return WL_EINVAL;
	if (h->body_len != len + WL_EVENT_SEAL_OVERHEAD)
		return WL_EINVAL;

	wl_event_header_pack(h, header);
	randombytes_buf(out, WL_EVENT_NONCE_SIZE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		out + WL_EVENT_NONCE_SIZE, NULL, plain, len, header,
		WL_EVENT_AD_SIZE, NULL, out, key);

	sodium_memzero(header, sizeof(header));
	return 0;
}

int wl_event_open_body(const struct wl_event_header *h,
		       const unsigned char key[WL_SPACE_KEY_SIZE],
		       const unsigned char *body, size_t len,
		       unsigned char *out, size_t *outlen)
{
	unsigned char header[WL_EVENT_HEADER_SIZE];
	unsigned long long plain_len = 0;
	int rc = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (h == NULL || key == NULL || out == NULL || outlen == NULL)
		return WL_EINVAL;
	if (body == NULL && len > 0)
		return WL_EINVAL;
	if (len < WL_EVENT_SEAL_OVERHEAD)
		return WL_ETRUNC;

	wl_event_header_pack(h, header);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    out, &plain_len, NULL, body + WL_EVENT_NONCE_SIZE,
		    len - WL_EVENT_NONCE_SIZE, header, WL_EVENT_AD_SIZE, body,
		    key) != 0)
		rc = WL_EAUTH;
	else
		*outlen = (size_t)plain_len;

	sodium_memzero(header, sizeof(header));
	return rc;
}

const char *wl_event_kind_name(unsigned kind)
{
	static const char *const names[WL_KIND_MAX + 1] = {
		[WL_KIND_NODE_CERT] = "node_cert",
		[WL_KIND_REVOCATION] = "revocation",
		[WL_KIND_SITE_POLICY] = "site_policy",
		[WL_KIND_USER_BUNDLE] = "user_bundle",
		[WL_KIND_KEY_ENVELOPE] = "key_envelope",
		[WL_KIND_MEMBERSHIP] = "membership",
		[WL_KIND_MESSAGE] = "message",
		[WL_KIND_RECEIPT] = "receipt",
		[WL_KIND_ENTITY_UPDATE] = "entity_update",
		[WL_KIND_AUDIT] = "audit",
		[WL_KIND_TEST] = "test",
		[WL_KIND_ACCOUNT] = "account",
	};

	if (kind > WL_KIND_MAX || names[kind] == NULL)
		return "unknown";
	return names[kind];
}
