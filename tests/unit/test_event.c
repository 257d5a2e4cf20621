/* Unit tests of the event envelope: packing, strict decoding, signatures,
 * runs and body encryption. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/event.h"

#define RUN_LEN 10
#define BUF_SIZE (WL_EVENT_SIGNED_MAX + 4096)

/* Keys shared by every test, made once in group_setup. */
struct keys {
	unsigned char node_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char node_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char author_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char author_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char other_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char other_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char space_key[WL_SPACE_KEY_SIZE];
};

static struct keys k;

static const unsigned char body_text[] = "{\"text\":\"bed 4 needs fluids\"}";

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(k.node_pk, k.node_sk);
	crypto_sign_keypair(k.author_pk, k.author_sk);
	crypto_sign_keypair(k.other_pk, k.other_sk);
	randombytes_buf(k.space_key, sizeof(k.space_key));
	return 0;
}

/* Fill H for event SEQ of the test node, linked to PREV (NULL at seq 1). */
static void make_header(struct wl_event_header *h, uint64_t seq,
			const unsigned char *prev)
{
	memset(h, 0, sizeof(*h));
	h->version = WL_EVENT_VERSION;
	h->kind = WL_KIND_MESSAGE;
	memcpy(h->origin, k.node_pk, WL_EVENT_KEY_SIZE);
	h->seq = seq;
	if (prev != NULL)
		memcpy(h->prev, prev, WL_EVENT_HASH_SIZE);
	h->hlc = UINT64_C(0x0001900000000000) + seq;
	memset(h->space, 0x5a, WL_EVENT_SPACE_SIZE);
	h->epoch = 3;
}

/* Encode a first event with BODY_TEXT into BUF and return its length. The
 * author signs it when WITH_AUTHOR is set. */
static size_t encode_first(int with_author, unsigned char *buf)
{
	struct wl_event_header h;
	size_t len = 0;

	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 with_author ? k.author_sk : NULL,
					 k.node_sk, buf, BUF_SIZE, &len, NULL),
			 0);
	return len;
}

/* Pack H, append a body that matches its hash, decode the result and return
 * the code of wl_event_decode. The signatures are zero bytes, because
 * decoding does not check them. */
static int decode_header(struct wl_event_header *h)
{
	static const unsigned char body[] = "x";
	unsigned char buf[WL_EVENT_SIGNED_MAX + sizeof(body)];
	size_t signed_len = wl_event_signed_len(h->flags);
	struct wl_event ev;

	h->body_len = sizeof(body);
	wl_event_body_hash(body, sizeof(body), h->body_hash);
	memset(buf, 0, sizeof(buf));
	wl_event_header_pack(h, buf);
	memcpy(buf + signed_len, body, sizeof(body));
	return wl_event_decode(buf, signed_len + sizeof(body), &ev);
}

static void event_signed_len(void **state)
{
	(void)state;
	assert_int_equal(wl_event_signed_len(0), 236);
	assert_int_equal(wl_event_signed_len(WL_EVENT_F_AUTHOR), 300);
	assert_int_equal(wl_event_signed_len(WL_EVENT_F_ENCRYPTED), 236);
}

static void event_pack_offsets(void **state)
{
	unsigned char out[WL_EVENT_HEADER_SIZE];
	struct wl_event_header h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.version = 0x01;
	h.kind = 0x07;
	h.flags = 0x0203;
	memset(h.origin, 0x11, sizeof(h.origin));
	h.seq = UINT64_C(0x0102030405060708);
	memset(h.prev, 0x22, sizeof(h.prev));
	h.hlc = UINT64_C(0xa1a2a3a4a5a6a7a8);
	memset(h.space, 0x33, sizeof(h.space));
	h.epoch = 0xb1b2b3b4;
	memset(h.author, 0x44, sizeof(h.author));
	h.body_len = 0xc1c2c3c4;
	memset(h.body_hash, 0x55, sizeof(h.body_hash));
	wl_event_header_pack(&h, out);

	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x07);
	assert_int_equal(out[2], 0x02);
	assert_int_equal(out[3], 0x03);
	assert_int_equal(out[4], 0x11);
	assert_int_equal(out[35], 0x11);
	assert_int_equal(out[36], 0x01);
	assert_int_equal(out[43], 0x08);
	assert_int_equal(out[44], 0x22);
	assert_int_equal(out[75], 0x22);
	assert_int_equal(out[76], 0xa1);
	assert_int_equal(out[83], 0xa8);
	assert_int_equal(out[84], 0x33);
	assert_int_equal(out[99], 0x33);
	assert_int_equal(out[100], 0xb1);
	assert_int_equal(out[103], 0xb4);
	assert_int_equal(out[104], 0x44);
	assert_int_equal(out[135], 0x44);
	assert_int_equal(out[136], 0xc1);
	assert_int_equal(out[139], 0xc4);
	assert_int_equal(out[140], 0x55);
	assert_int_equal(out[171], 0x55);
}

static void event_roundtrip_fields(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	struct wl_event ev;
	size_t len = 0;

	(void)state;
	make_header(&h, UINT64_C(0x0102030405060708), NULL);
	memset(h.prev, 0xee, sizeof(h.prev));
	h.kind = WL_KIND_ENTITY_UPDATE;
	h.flags = WL_EVENT_F_ENCRYPTED;
	h.hlc = UINT64_C(0xfedcba9876543210);
	for (int i = 0; i < WL_EVENT_SPACE_SIZE; i++)
		h.space[i] = (unsigned char)(i + 1);
	h.epoch = 0x89abcdef;
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 k.author_sk, k.node_sk, buf,
					 sizeof(buf), &len, NULL),
			 0);
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);

	assert_int_equal(ev.h.version, WL_EVENT_VERSION);
	assert_int_equal(ev.h.kind, WL_KIND_ENTITY_UPDATE);
	assert_int_equal(ev.h.flags, WL_EVENT_F_ENCRYPTED | WL_EVENT_F_AUTHOR);
	assert_memory_equal(ev.h.origin, k.node_pk, WL_EVENT_KEY_SIZE);
	assert_true(ev.h.seq == UINT64_C(0x0102030405060708));
	assert_memory_equal(ev.h.prev, h.prev, WL_EVENT_HASH_SIZE);
	assert_true(ev.h.hlc == UINT64_C(0xfedcba9876543210));
	assert_memory_equal(ev.h.space, h.space, WL_EVENT_SPACE_SIZE);
	assert_int_equal(ev.h.epoch, 0x89abcdef);
	assert_memory_equal(ev.h.author, k.author_pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(ev.h.body_len, sizeof(body_text));
	assert_memory_equal(ev.h.body_hash, h.body_hash, WL_EVENT_HASH_SIZE);
}

static void event_roundtrip_author(void **state)
{
	unsigned char buf[BUF_SIZE];
	unsigned char id[WL_EVENT_ID_SIZE];
	struct wl_event ev;
	size_t len = encode_first(1, buf);

	(void)state;
	assert_int_equal(len, 300 + sizeof(body_text));
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	assert_true(ev.h.flags & WL_EVENT_F_AUTHOR);
	assert_memory_equal(ev.h.author, k.author_pk, WL_EVENT_KEY_SIZE);
	assert_memory_equal(ev.author_sig, buf + 172, WL_EVENT_SIG_SIZE);
	assert_memory_equal(ev.node_sig, buf + 236, WL_EVENT_SIG_SIZE);
	assert_ptr_equal(ev.signed_bytes, buf);
	assert_int_equal(ev.signed_len, 300);
	assert_ptr_equal(ev.body, buf + 300);
	crypto_generichash(id, sizeof(id), buf, 300, NULL, 0);
	assert_memory_equal(ev.id, id, sizeof(id));
	assert_int_equal(wl_event_verify_author(&ev), 0);
	assert_int_equal(wl_event_verify_node(&ev), 0);
	assert_int_equal(wl_event_verify(&ev), 0);
}

static void event_roundtrip_node_only(void **state)
{
	unsigned char buf[BUF_SIZE];
	unsigned char zero[WL_EVENT_SIG_SIZE] = {0};
	unsigned char id[WL_EVENT_ID_SIZE];
	struct wl_event ev;
	size_t len = encode_first(0, buf);

	(void)state;
	assert_int_equal(len, 236 + sizeof(body_text));
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	assert_false(ev.h.flags & WL_EVENT_F_AUTHOR);
	assert_memory_equal(ev.h.author, zero, WL_EVENT_KEY_SIZE);
	assert_memory_equal(ev.author_sig, zero, WL_EVENT_SIG_SIZE);
	assert_memory_equal(ev.node_sig, buf + 172, WL_EVENT_SIG_SIZE);
	assert_int_equal(ev.signed_len, 236);
	assert_ptr_equal(ev.body, buf + 236);
	crypto_generichash(id, sizeof(id), buf, 236, NULL, 0);
	assert_memory_equal(ev.id, id, sizeof(id));
	assert_int_equal(wl_event_verify_author(&ev), 0);
	assert_int_equal(wl_event_verify(&ev), 0);
}

static void event_encode_fills_ev(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	struct wl_event from_encode;
	struct wl_event from_decode;
	size_t len = 0;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 k.author_sk, k.node_sk, buf,
					 sizeof(buf), &len, &from_encode),
			 0);
	assert_int_equal(wl_event_decode(buf, len, &from_decode), 0);
	assert_memory_equal(&from_encode, &from_decode, sizeof(from_decode));
}

static void event_encode_clears_author(void **state)
{
	unsigned char buf[BUF_SIZE];
	unsigned char zero[WL_EVENT_KEY_SIZE] = {0};
	struct wl_event_header h;
	struct wl_event ev;
	size_t len = 0;

	(void)state;
	make_header(&h, 1, NULL);
	h.flags = WL_EVENT_F_AUTHOR;
	memset(h.author, 0x77, sizeof(h.author));
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 NULL, k.node_sk, buf, sizeof(buf),
					 &len, &ev),
			 0);
	assert_int_equal(h.flags, 0);
	assert_memory_equal(h.author, zero, sizeof(zero));
	assert_int_equal(ev.signed_len, 236);
}

static void event_encode_empty_body(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	struct wl_event ev;
	size_t len = 0;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, NULL, 0, NULL, k.node_sk, buf,
					 sizeof(buf), &len, &ev),
			 0);
	assert_int_equal(len, 236);
	assert_int_equal(ev.h.body_len, 0);
	assert_null(ev.body);
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	assert_int_equal(wl_event_verify(&ev), 0);
}

static void event_encode_origin_mismatch(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	size_t len = 1;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 NULL, k.other_sk, buf, sizeof(buf),
					 &len, NULL),
			 WL_EINVAL);
	assert_int_equal(len, 0);
}

static void event_encode_missing_key(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	size_t len = 0;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 k.author_sk, NULL, buf, sizeof(buf),
					 &len, NULL),
			 WL_EINVAL);
}

static void event_encode_outsize(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	size_t need = 300 + sizeof(body_text);
	size_t len = 0;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 k.author_sk, k.node_sk, buf, need - 1,
					 &len, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 k.author_sk, k.node_sk, buf, need,
					 &len, NULL),
			 0);
	assert_int_equal(len, need);
}

static void event_encode_bad_header(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	size_t len = 0;

	(void)state;
	make_header(&h, 2, NULL);
	assert_int_equal(wl_event_encode(&h, NULL, 0, NULL, k.node_sk, buf,
					 sizeof(buf), &len, NULL),
			 WL_ECHAIN);
	make_header(&h, 1, NULL);
	h.kind = 0;
	assert_int_equal(wl_event_encode(&h, NULL, 0, NULL, k.node_sk, buf,
					 sizeof(buf), &len, NULL),
			 WL_EKIND);
}

static void event_encode_too_big(void **state)
{
	size_t size = WL_EVENT_BODY_MAX + 1;
	unsigned char *body = calloc(1, size);
	unsigned char *buf = malloc(WL_EVENT_ENCODED_MAX + 1);
	struct wl_event_header h;
	struct wl_event ev;
	size_t len = 0;

	(void)state;
	assert_non_null(body);
	assert_non_null(buf);
	make_header(&h, 1, NULL);
	assert_int_equal(wl_event_encode(&h, body, size, k.author_sk,
					 k.node_sk, buf,
					 WL_EVENT_ENCODED_MAX + 1, &len, NULL),
			 WL_ETOOBIG);
	assert_int_equal(wl_event_encode(&h, body, size - 1, k.author_sk,
					 k.node_sk, buf, WL_EVENT_ENCODED_MAX,
					 &len, &ev),
			 0);
	assert_int_equal(len, WL_EVENT_ENCODED_MAX);
	assert_int_equal(wl_event_verify(&ev), 0);
	free(body);
	free(buf);
}

static void event_decode_truncated(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;

	(void)state;
	for (int author = 0; author <= 1; author++) {
		size_t full = encode_first(author, buf);

		for (size_t len = 0; len < full; len++)
			assert_int_equal(wl_event_decode(buf, len, &ev),
					 WL_ETRUNC);
		assert_int_equal(wl_event_decode(buf, full, &ev), 0);
	}
}

static void event_decode_signed_truncated(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;

	(void)state;
	for (int author = 0; author <= 1; author++) {
		size_t full = encode_first(author, buf);
		size_t signed_len = author ? 300 : 236;

		for (size_t len = 0; len < signed_len; len++)
			assert_int_equal(wl_event_decode_signed(buf, len, &ev),
					 WL_ETRUNC);
		assert_int_equal(wl_event_decode_signed(buf, signed_len, &ev),
				 (long)signed_len);
		assert_int_equal(wl_event_decode_signed(buf, full, &ev),
				 (long)signed_len);
	}
}

static void event_decode_signed_pruned(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event full;
	struct wl_event pruned;
	size_t len = encode_first(1, buf);

	(void)state;
	assert_int_equal(wl_event_decode(buf, len, &full), 0);
	assert_int_equal(wl_event_decode_signed(buf, 300, &pruned), 300);
	assert_null(pruned.body);
	assert_ptr_equal(pruned.signed_bytes, buf);
	assert_int_equal(pruned.signed_len, 300);
	assert_memory_equal(pruned.id, full.id, WL_EVENT_ID_SIZE);
	assert_memory_equal(&pruned.h, &full.h, sizeof(full.h));
	assert_int_equal(wl_event_verify(&pruned), 0);
}

static void event_decode_null(void **state)
{
	struct wl_event ev;

	(void)state;
	assert_int_equal(wl_event_decode(NULL, 0, &ev), WL_ETRUNC);
	assert_int_equal(wl_event_decode_signed(NULL, 0, &ev), WL_ETRUNC);
}

static void event_decode_body_len_max(void **state)
{
	struct wl_event_header h;
	unsigned char buf[WL_EVENT_SIGNED_MAX];
	struct wl_event ev;

	(void)state;
	make_header(&h, 1, NULL);
	h.body_len = WL_EVENT_BODY_MAX + 1;
	memset(buf, 0, sizeof(buf));
	wl_event_header_pack(&h, buf);
	assert_int_equal(wl_event_decode(buf, 236, &ev), WL_ETOOBIG);
	assert_int_equal(wl_event_decode_signed(buf, 236, &ev), WL_ETOOBIG);

	h.body_len = UINT32_MAX;
	wl_event_header_pack(&h, buf);
	assert_int_equal(wl_event_decode(buf, 236, &ev), WL_ETOOBIG);

	h.body_len = WL_EVENT_BODY_MAX;
	wl_event_header_pack(&h, buf);
	assert_int_equal(wl_event_decode(buf, 236, &ev), WL_ETRUNC);
}

static void event_decode_version(void **state)
{
	struct wl_event_header h;

	(void)state;
	make_header(&h, 1, NULL);
	assert_int_equal(decode_header(&h), 0);
	h.version = 0;
	assert_int_equal(decode_header(&h), WL_EVERSION);
	h.version = 2;
	assert_int_equal(decode_header(&h), WL_EVERSION);
	h.version = 255;
	assert_int_equal(decode_header(&h), WL_EVERSION);
}

static void event_decode_kind(void **state)
{
	struct wl_event_header h;

	(void)state;
	make_header(&h, 1, NULL);
	for (unsigned kind = 1; kind <= WL_KIND_MAX; kind++) {
		h.kind = (uint8_t)kind;
		assert_int_equal(decode_header(&h), 0);
	}
	h.kind = 0;
	assert_int_equal(decode_header(&h), WL_EKIND);
	h.kind = WL_KIND_MAX + 1;
	assert_int_equal(decode_header(&h), WL_EKIND);
	h.kind = 255;
	assert_int_equal(decode_header(&h), WL_EKIND);
}

static void event_decode_reserved_flags(void **state)
{
	struct wl_event_header h;

	(void)state;
	make_header(&h, 1, NULL);
	h.flags = WL_EVENT_F_ENCRYPTED;
	assert_int_equal(decode_header(&h), 0);
	for (int bit = 2; bit < 16; bit++) {
		h.flags = (uint16_t)(1u << bit);
		assert_int_equal(decode_header(&h), WL_EFLAGS);
	}
}

static void event_decode_author_mismatch(void **state)
{
	struct wl_event_header h;

	(void)state;
	make_header(&h, 1, NULL);
	memcpy(h.author, k.author_pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(decode_header(&h), WL_EFLAGS);

	make_header(&h, 1, NULL);
	h.author[WL_EVENT_KEY_SIZE - 1] = 1;
	assert_int_equal(decode_header(&h), WL_EFLAGS);

	make_header(&h, 1, NULL);
	h.flags = WL_EVENT_F_AUTHOR;
	assert_int_equal(decode_header(&h), WL_EFLAGS);

	h.author[0] = 1;
	assert_int_equal(decode_header(&h), 0);
}

static void event_decode_seq_zero(void **state)
{
	struct wl_event_header h;

	(void)state;
	make_header(&h, 0, NULL);
	assert_int_equal(decode_header(&h), WL_ESEQ);
	h.prev[0] = 1;
	assert_int_equal(decode_header(&h), WL_ESEQ);
}

static void event_decode_prev_rules(void **state)
{
	unsigned char prev[WL_EVENT_HASH_SIZE];
	struct wl_event_header h;

	(void)state;
	memset(prev, 0, sizeof(prev));
	prev[WL_EVENT_HASH_SIZE - 1] = 1;

	make_header(&h, 1, prev);
	assert_int_equal(decode_header(&h), WL_ECHAIN);
	make_header(&h, 2, NULL);
	assert_int_equal(decode_header(&h), WL_ECHAIN);
	make_header(&h, UINT64_MAX, NULL);
	assert_int_equal(decode_header(&h), WL_ECHAIN);
	make_header(&h, 2, prev);
	assert_int_equal(decode_header(&h), 0);
}

static void event_decode_trailing(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;
	size_t len = encode_first(1, buf);

	(void)state;
	buf[len] = 0;
	assert_int_equal(wl_event_decode(buf, len + 1, &ev), WL_ETRAILING);
	assert_int_equal(wl_event_decode(buf, len + 100, &ev), WL_ETRAILING);
}

static void event_decode_body_hash(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;
	size_t len = encode_first(1, buf);

	(void)state;
	for (size_t i = 300; i < len; i++) {
		buf[i] ^= 0x01;
		assert_int_equal(wl_event_decode(buf, len, &ev), WL_EBODYHASH);
		buf[i] ^= 0x01;
	}
	buf[100] ^= 0x01;
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	buf[140] ^= 0x01;
	assert_int_equal(wl_event_decode(buf, len, &ev), WL_EBODYHASH);
}

/* Every byte of a signed event, flipped, must make decoding or verification
 * fail, or yield another id. */
static void flip_every_byte(int with_author)
{
	static const unsigned char masks[] = {0x01, 0x80, 0xff};
	unsigned char buf[BUF_SIZE];
	struct wl_event good;
	struct wl_event ev;
	size_t len = encode_first(with_author, buf);

	assert_int_equal(wl_event_decode(buf, len, &good), 0);
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			int detected;

			buf[i] ^= masks[m];
			detected = wl_event_decode(buf, len, &ev) != 0 ||
				   wl_event_verify(&ev) != 0 ||
				   memcmp(ev.id, good.id, WL_EVENT_ID_SIZE) != 0;
			if (!detected)
				fail_msg("flip of byte %zu with mask 0x%02x "
					 "went undetected",
					 i, masks[m]);
			buf[i] ^= masks[m];
		}
	}
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	assert_int_equal(wl_event_verify(&ev), 0);
}

static void event_flip_author(void **state)
{
	(void)state;
	flip_every_byte(1);
}

static void event_flip_node_only(void **state)
{
	(void)state;
	flip_every_byte(0);
}

static void event_verify_signature_bytes(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;
	size_t len = encode_first(1, buf);

	(void)state;
	for (size_t i = 172; i < 236; i++) {
		buf[i] ^= 0x20;
		assert_int_equal(wl_event_decode(buf, len, &ev), 0);
		assert_int_equal(wl_event_verify_author(&ev), WL_EAUTH);
		assert_int_equal(wl_event_verify(&ev), WL_EAUTH);
		buf[i] ^= 0x20;
	}
	for (size_t i = 236; i < 300; i++) {
		buf[i] ^= 0x20;
		assert_int_equal(wl_event_decode(buf, len, &ev), 0);
		assert_int_equal(wl_event_verify_node(&ev), WL_EAUTH);
		assert_int_equal(wl_event_verify(&ev), WL_EAUTH);
		buf[i] ^= 0x20;
	}
}

static void event_verify_other_keys(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;
	size_t len = encode_first(1, buf);

	(void)state;
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	memcpy(ev.h.origin, k.other_pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(wl_event_verify_node(&ev), WL_EAUTH);

	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	memcpy(ev.h.author, k.other_pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(wl_event_verify_author(&ev), WL_EAUTH);
}

static void event_verify_forged_id(void **state)
{
	unsigned char buf[BUF_SIZE];
	struct wl_event ev;
	size_t len = encode_first(0, buf);

	(void)state;
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	ev.id[0] ^= 0x01;
	assert_int_equal(wl_event_verify_node(&ev), WL_EAUTH);
}

/* Encode RUN_LEN chained events into BUFS and decode them into EVS. */
static void make_run(unsigned char bufs[RUN_LEN][BUF_SIZE],
		     struct wl_event evs[RUN_LEN])
{
	const unsigned char *prev = NULL;
	struct wl_event_header h;
	size_t len = 0;

	for (int i = 0; i < RUN_LEN; i++) {
		make_header(&h, (uint64_t)i + 1, prev);
		assert_int_equal(wl_event_encode(&h, body_text,
						 sizeof(body_text),
						 i % 2 ? k.author_sk : NULL,
						 k.node_sk, bufs[i], BUF_SIZE,
						 &len, NULL),
				 0);
		assert_int_equal(wl_event_decode(bufs[i], len, &evs[i]), 0);
		prev = evs[i].id;
	}
}

static void event_run_good(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	size_t bad = 99;

	(void)state;
	make_run(bufs, evs);
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(wl_event_verify_run(evs, 1, NULL), 0);
	assert_int_equal(wl_event_verify_run(evs + 3, 4, NULL), 0);
	assert_int_equal(wl_event_verify_run(evs, 0, &bad), 0);
}

static void event_run_broken_link(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	struct wl_event_header h;
	unsigned char wrong[WL_EVENT_HASH_SIZE];
	size_t len = 0;
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	memset(wrong, 0x99, sizeof(wrong));
	make_header(&h, 6, wrong);
	assert_int_equal(wl_event_encode(&h, body_text, sizeof(body_text),
					 NULL, k.node_sk, bufs[5], BUF_SIZE,
					 &len, &evs[5]),
			 0);
	assert_int_equal(wl_event_verify(&evs[5]), 0);
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN, &bad), WL_ECHAIN);
	assert_int_equal(bad, 5);
}

static void event_run_tampered_middle(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	bufs[3][236 + 10] ^= 0x01;
	assert_int_equal(wl_event_decode(bufs[3], evs[3].signed_len +
							  evs[3].h.body_len,
					 &evs[3]),
			 0);
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN, &bad), WL_ECHAIN);
	assert_int_equal(bad, 4);
}

static void event_run_stale_id(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	evs[2].h.hlc++;
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN, &bad), WL_ECHAIN);
	assert_int_equal(bad, 2);
}

static void event_run_seq_gap(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	memmove(&evs[7], &evs[8], 2 * sizeof(evs[0]));
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN - 1, &bad),
			 WL_ECHAIN);
	assert_int_equal(bad, 7);
}

static void event_run_seq_skip(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	struct wl_event_header h;
	size_t len = 0;
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	make_header(&h, 9, evs[6].id);
	assert_int_equal(wl_event_encode(&h, NULL, 0, NULL, k.node_sk, bufs[7],
					 BUF_SIZE, &len, &evs[7]),
			 0);
	assert_int_equal(wl_event_verify_run(evs, 8, &bad), WL_ECHAIN);
	assert_int_equal(bad, 7);
}

static void event_run_other_origin(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	struct wl_event_header h;
	size_t len = 0;
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	make_header(&h, 5, evs[3].id);
	memcpy(h.origin, k.other_pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(wl_event_encode(&h, NULL, 0, NULL, k.other_sk,
					 bufs[4], BUF_SIZE, &len, &evs[4]),
			 0);
	assert_int_equal(wl_event_verify_run(evs, 5, &bad), WL_ECHAIN);
	assert_int_equal(bad, 4);
}

static void event_run_bad_last_sig(void **state)
{
	static unsigned char bufs[RUN_LEN][BUF_SIZE];
	struct wl_event evs[RUN_LEN];
	size_t len = 0;
	size_t bad = 0;

	(void)state;
	make_run(bufs, evs);
	len = evs[9].signed_len + evs[9].h.body_len;
	bufs[9][evs[9].signed_len - 1] ^= 0x01;
	assert_int_equal(wl_event_decode(bufs[9], len, &evs[9]), 0);
	assert_int_equal(wl_event_verify_run(evs, RUN_LEN, &bad), WL_EAUTH);
	assert_int_equal(bad, RUN_LEN - 1);
}

/* Fill H for an encrypted, author-signed first event with PLAIN_LEN bytes
 * of plaintext. The fields that wl_event_encode sets are set here already,
 * because sealing binds them. */
static void make_sealed_header(struct wl_event_header *h, size_t plain_len)
{
	make_header(h, 1, NULL);
	h->flags = WL_EVENT_F_ENCRYPTED | WL_EVENT_F_AUTHOR;
	memcpy(h->author, k.author_pk, WL_EVENT_KEY_SIZE);
	h->body_len = (uint32_t)(plain_len + WL_EVENT_SEAL_OVERHEAD);
}

static void event_seal_roundtrip(void **state)
{
	unsigned char sealed[sizeof(body_text) + WL_EVENT_SEAL_OVERHEAD];
	unsigned char plain[sizeof(body_text)];
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	struct wl_event ev;
	size_t plain_len = 0;
	size_t len = 0;

	(void)state;
	make_sealed_header(&h, sizeof(body_text));
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 0);
	assert_int_equal(wl_event_encode(&h, sealed, sizeof(sealed),
					 k.author_sk, k.node_sk, buf,
					 sizeof(buf), &len, NULL),
			 0);
	assert_int_equal(wl_event_decode(buf, len, &ev), 0);
	assert_int_equal(wl_event_verify(&ev), 0);
	assert_int_equal(wl_event_open_body(&ev.h, k.space_key, ev.body,
					    ev.h.body_len, plain, &plain_len),
			 0);
	assert_int_equal(plain_len, sizeof(body_text));
	assert_memory_equal(plain, body_text, sizeof(body_text));
}

static void event_seal_nonce_random(void **state)
{
	unsigned char a[8 + WL_EVENT_SEAL_OVERHEAD];
	unsigned char b[8 + WL_EVENT_SEAL_OVERHEAD];
	struct wl_event_header h;

	(void)state;
	make_sealed_header(&h, 8);
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text, 8, a),
			 0);
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text, 8, b),
			 0);
	assert_memory_not_equal(a, b, WL_EVENT_NONCE_SIZE);
}

static void event_seal_empty(void **state)
{
	unsigned char sealed[WL_EVENT_SEAL_OVERHEAD];
	unsigned char plain[1];
	struct wl_event_header h;
	size_t plain_len = 1;

	(void)state;
	make_sealed_header(&h, 0);
	assert_int_equal(wl_event_seal_body(&h, k.space_key, NULL, 0, sealed),
			 0);
	assert_int_equal(wl_event_open_body(&h, k.space_key, sealed,
					    sizeof(sealed), plain, &plain_len),
			 0);
	assert_int_equal(plain_len, 0);
}

static void event_seal_bad_len(void **state)
{
	unsigned char sealed[sizeof(body_text) + WL_EVENT_SEAL_OVERHEAD];
	struct wl_event_header h;

	(void)state;
	make_sealed_header(&h, sizeof(body_text));
	h.body_len--;
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 WL_EINVAL);
	h.body_len += 2;
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 WL_EINVAL);
	h.body_len = WL_EVENT_BODY_MAX + 1;
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    WL_EVENT_BODY_MAX + 1 -
						    WL_EVENT_SEAL_OVERHEAD,
					    sealed),
			 WL_EINVAL);
}

static void event_open_wrong_key(void **state)
{
	unsigned char sealed[sizeof(body_text) + WL_EVENT_SEAL_OVERHEAD];
	unsigned char plain[sizeof(body_text)];
	unsigned char key[WL_SPACE_KEY_SIZE];
	struct wl_event_header h;
	size_t plain_len = 0;

	(void)state;
	make_sealed_header(&h, sizeof(body_text));
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 0);
	memcpy(key, k.space_key, sizeof(key));
	key[0] ^= 0x01;
	assert_int_equal(wl_event_open_body(&h, key, sealed, sizeof(sealed),
					    plain, &plain_len),
			 WL_EAUTH);
	assert_int_equal(plain_len, 0);
}

/* Seal under H, let CHANGE alter one header field, and return the code of
 * opening under the changed header. */
static int open_changed(void (*change)(struct wl_event_header *))
{
	unsigned char sealed[sizeof(body_text) + WL_EVENT_SEAL_OVERHEAD];
	unsigned char plain[sizeof(body_text)];
	struct wl_event_header h;
	size_t plain_len = 0;

	make_sealed_header(&h, sizeof(body_text));
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 0);
	change(&h);
	return wl_event_open_body(&h, k.space_key, sealed, sizeof(sealed),
				  plain, &plain_len);
}

static void change_version(struct wl_event_header *h) { h->version ^= 1; }
static void change_kind(struct wl_event_header *h) { h->kind ^= 1; }
static void change_flags(struct wl_event_header *h) { h->flags ^= 0x8000; }
static void change_origin(struct wl_event_header *h) { h->origin[31] ^= 1; }
static void change_seq(struct wl_event_header *h) { h->seq ^= 1; }
static void change_prev(struct wl_event_header *h) { h->prev[0] ^= 1; }
static void change_hlc(struct wl_event_header *h) { h->hlc ^= 1; }
static void change_space(struct wl_event_header *h) { h->space[15] ^= 1; }
static void change_epoch(struct wl_event_header *h) { h->epoch ^= 1; }
static void change_author(struct wl_event_header *h) { h->author[0] ^= 1; }
static void change_body_len(struct wl_event_header *h) { h->body_len ^= 1; }
static void change_body_hash(struct wl_event_header *h)
{
	h->body_hash[0] ^= 1;
}

static void event_open_tampered_ad(void **state)
{
	(void)state;
	assert_int_equal(open_changed(change_version), WL_EAUTH);
	assert_int_equal(open_changed(change_kind), WL_EAUTH);
	assert_int_equal(open_changed(change_flags), WL_EAUTH);
	assert_int_equal(open_changed(change_origin), WL_EAUTH);
	assert_int_equal(open_changed(change_seq), WL_EAUTH);
	assert_int_equal(open_changed(change_prev), WL_EAUTH);
	assert_int_equal(open_changed(change_hlc), WL_EAUTH);
	assert_int_equal(open_changed(change_space), WL_EAUTH);
	assert_int_equal(open_changed(change_epoch), WL_EAUTH);
	assert_int_equal(open_changed(change_author), WL_EAUTH);
	assert_int_equal(open_changed(change_body_len), WL_EAUTH);
}

static void event_open_ignores_body_hash(void **state)
{
	(void)state;
	assert_int_equal(open_changed(change_body_hash), 0);
}

static void event_open_tampered_body(void **state)
{
	unsigned char sealed[sizeof(body_text) + WL_EVENT_SEAL_OVERHEAD];
	unsigned char plain[sizeof(body_text)];
	struct wl_event_header h;
	size_t plain_len = 0;

	(void)state;
	make_sealed_header(&h, sizeof(body_text));
	assert_int_equal(wl_event_seal_body(&h, k.space_key, body_text,
					    sizeof(body_text), sealed),
			 0);
	for (size_t i = 0; i < sizeof(sealed); i++) {
		sealed[i] ^= 0x04;
		assert_int_equal(wl_event_open_body(&h, k.space_key, sealed,
						    sizeof(sealed), plain,
						    &plain_len),
				 WL_EAUTH);
		sealed[i] ^= 0x04;
	}
	assert_int_equal(wl_event_open_body(&h, k.space_key, sealed,
					    sizeof(sealed) - 1, plain,
					    &plain_len),
			 WL_EAUTH);
}

static void event_open_short(void **state)
{
	unsigned char sealed[WL_EVENT_SEAL_OVERHEAD] = {0};
	unsigned char plain[1];
	struct wl_event_header h;
	size_t plain_len = 7;

	(void)state;
	make_sealed_header(&h, 0);
	for (size_t len = 0; len < WL_EVENT_SEAL_OVERHEAD; len++) {
		assert_int_equal(wl_event_open_body(&h, k.space_key, sealed,
						    len, plain, &plain_len),
				 WL_ETRUNC);
		assert_int_equal(plain_len, 0);
	}
}

/* The test vector in docs/protocol.md. */
static void event_test_vector(void **state)
{
	static const unsigned char node_sig[WL_EVENT_SIG_SIZE] = {
		0x36, 0x7c, 0x95, 0xf4, 0x9c, 0x66, 0x5b, 0xca, 0x03, 0x53,
		0x0c, 0xfd, 0x2e, 0x6f, 0xa3, 0x1d, 0x11, 0x46, 0x21, 0x09,
		0x73, 0x1a, 0xad, 0x30, 0x4a, 0x2e, 0x4d, 0x21, 0x22, 0x92,
		0xa2, 0xee, 0x1f, 0xb8, 0x75, 0xb8, 0xc2, 0x88, 0x3f, 0x68,
		0x11, 0xd3, 0x4b, 0xb2, 0x50, 0xca, 0xd3, 0xee, 0x70, 0x49,
		0x3d, 0xef, 0xc7, 0xd5, 0xba, 0x3e, 0xd3, 0x60, 0x82, 0x9e,
		0x81, 0xb0, 0xd3, 0x0a,
	};
	static const unsigned char id[WL_EVENT_ID_SIZE] = {
		0xa9, 0x19, 0x86, 0x6f, 0xfd, 0x50, 0xe0, 0xdd, 0x01, 0x06,
		0x7c, 0x19, 0x15, 0x97, 0x65, 0x4f, 0x49, 0xc7, 0xf8, 0x7e,
		0x06, 0x51, 0x5b, 0x9c, 0xf4, 0xa5, 0xd3, 0xc9, 0x96, 0xb4,
		0x25, 0x8a,
	};
	static const unsigned char header[WL_EVENT_HEADER_SIZE] = {
		0x01, 0x0b, 0x00, 0x00, 0x8a, 0x88, 0xe3, 0xdd, 0x74, 0x09,
		0xf1, 0x95, 0xfd, 0x52, 0xdb, 0x2d, 0x3c, 0xba, 0x5d, 0x72,
		0xca, 0x67, 0x09, 0xbf, 0x1d, 0x94, 0x12, 0x1b, 0xf3, 0x74,
		0x88, 0x01, 0xb4, 0x0f, 0x6f, 0x5c, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa2, 0x42, 0xc0,
		0xe3, 0x73, 0x00, 0x05, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x32, 0x4d, 0xcf, 0x02, 0x7d, 0xd4, 0xa3, 0x0a, 0x93, 0x2c,
		0x44, 0x1f, 0x36, 0x5a, 0x25, 0xe8, 0x6b, 0x17, 0x3d, 0xef,
		0xa4, 0xb8, 0xe5, 0x89, 0x48, 0x25, 0x34, 0x71, 0xb8, 0x1b,
		0x72, 0xcf,
	};
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char buf[BUF_SIZE];
	struct wl_event_header h;
	struct wl_event ev;
	size_t len = 0;

	(void)state;
	memset(seed, 0x01, sizeof(seed));
	memset(&h, 0, sizeof(h));
	crypto_sign_seed_keypair(h.origin, sk, seed);
	h.version = 1;
	h.kind = WL_KIND_TEST;
	h.seq = 1;
	h.hlc = UINT64_C(0x01a242c0e3730005);
	memset(h.space, 0x22, sizeof(h.space));
	h.epoch = 7;
	assert_int_equal(wl_event_encode(&h, (const unsigned char *)"hello", 5,
					 NULL, sk, buf, sizeof(buf), &len, &ev),
			 0);

	assert_int_equal(len, 241);
	assert_memory_equal(buf, header, sizeof(header));
	assert_memory_equal(buf + 172, node_sig, sizeof(node_sig));
	assert_memory_equal(buf + 236, "hello", 5);
	assert_memory_equal(ev.id, id, sizeof(id));
	sodium_memzero(sk, sizeof(sk));
}

static void event_kind_name(void **state)
{
	(void)state;
	assert_string_equal(wl_event_kind_name(WL_KIND_MESSAGE), "message");
	assert_string_equal(wl_event_kind_name(WL_KIND_NODE_CERT), "node_cert");
	assert_string_equal(wl_event_kind_name(WL_KIND_TEST), "test");
	assert_string_equal(wl_event_kind_name(0), "unknown");
	assert_string_equal(wl_event_kind_name(WL_KIND_MAX + 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_signed_len),
		cmocka_unit_test(event_pack_offsets),
		cmocka_unit_test(event_roundtrip_fields),
		cmocka_unit_test(event_roundtrip_author),
		cmocka_unit_test(event_roundtrip_node_only),
		cmocka_unit_test(event_encode_fills_ev),
		cmocka_unit_test(event_encode_clears_author),
		cmocka_unit_test(event_encode_empty_body),
		cmocka_unit_test(event_encode_origin_mismatch),
		cmocka_unit_test(event_encode_missing_key),
		cmocka_unit_test(event_encode_outsize),
		cmocka_unit_test(event_encode_bad_header),
		cmocka_unit_test(event_encode_too_big),
		cmocka_unit_test(event_decode_truncated),
		cmocka_unit_test(event_decode_signed_truncated),
		cmocka_unit_test(event_decode_signed_pruned),
		cmocka_unit_test(event_decode_null),
		cmocka_unit_test(event_decode_body_len_max),
		cmocka_unit_test(event_decode_version),
		cmocka_unit_test(event_decode_kind),
		cmocka_unit_test(event_decode_reserved_flags),
		cmocka_unit_test(event_decode_author_mismatch),
		cmocka_unit_test(event_decode_seq_zero),
		cmocka_unit_test(event_decode_prev_rules),
		cmocka_unit_test(event_decode_trailing),
		cmocka_unit_test(event_decode_body_hash),
		cmocka_unit_test(event_flip_author),
		cmocka_unit_test(event_flip_node_only),
		cmocka_unit_test(event_verify_signature_bytes),
		cmocka_unit_test(event_verify_other_keys),
		cmocka_unit_test(event_verify_forged_id),
		cmocka_unit_test(event_run_good),
		cmocka_unit_test(event_run_broken_link),
		cmocka_unit_test(event_run_tampered_middle),
		cmocka_unit_test(event_run_stale_id),
		cmocka_unit_test(event_run_seq_gap),
		cmocka_unit_test(event_run_seq_skip),
		cmocka_unit_test(event_run_other_origin),
		cmocka_unit_test(event_run_bad_last_sig),
		cmocka_unit_test(event_seal_roundtrip),
		cmocka_unit_test(event_seal_nonce_random),
		cmocka_unit_test(event_seal_empty),
		cmocka_unit_test(event_seal_bad_len),
		cmocka_unit_test(event_open_wrong_key),
		cmocka_unit_test(event_open_tampered_ad),
		cmocka_unit_test(event_open_ignores_body_hash),
		cmocka_unit_test(event_open_tampered_body),
		cmocka_unit_test(event_open_short),
		cmocka_unit_test(event_test_vector),
		cmocka_unit_test(event_kind_name),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
