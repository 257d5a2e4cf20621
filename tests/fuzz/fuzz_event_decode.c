/* libFuzzer target for the event decoders. Every input goes through
 * wl_event_decode_signed and wl_event_decode; an input that decodes is then
 * verified and its body opened under a fixed space key. Nothing may crash,
 * leak or read outside the input.
 *
 * When WL_FUZZ_SEED_DIR names a directory, LLVMFuzzerInitialize writes a few
 * valid events there first (tests/fuzz/run.sh passes its fresh corpus), so
 * that mutation starts from inputs that reach the verify and open paths. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/event.h"

#define SEED_BUF_SIZE 1024

/* Fixed, so that a saved input with a body sealed under it reaches the same
 * code when it is replayed. */
static const unsigned char space_key[WL_SPACE_KEY_SIZE] = {
	0x57, 0x61, 0x72, 0x64, 0x6c, 0x69, 0x6e, 0x65, 0x20, 0x66, 0x75,
	0x7a, 0x7a, 0x20, 0x73, 0x70, 0x61, 0x63, 0x65, 0x20, 0x6b, 0x65,
	0x79, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

struct seed_keys {
	unsigned char node_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char node_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char author_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char author_sk[crypto_sign_SECRETKEYBYTES];
};

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

static void seed_header(struct wl_event_header *h, const struct seed_keys *k,
			uint64_t seq, const unsigned char *prev)
{
	memset(h, 0, sizeof(*h));
	h->version = WL_EVENT_VERSION;
	h->kind = WL_KIND_MESSAGE;
	memcpy(h->origin, k->node_pk, WL_EVENT_KEY_SIZE);
	h->seq = seq;
	if (prev != NULL)
		memcpy(h->prev, prev, WL_EVENT_HASH_SIZE);
	h->hlc = UINT64_C(0x0001900000000000) + seq;
	memset(h->space, 0x5a, WL_EVENT_SPACE_SIZE);
	h->epoch = 1;
}

/* Write four chained events into DIR: a node-only event with a cleartext
 * body, an author-signed event with a body sealed under space_key, an event
 * with an empty body, and the signed header alone of an author-signed event,
 * as a store keeps it after pruning the body. */
static void seed_corpus(const char *dir)
{
	static const unsigned char text[] = "{\"kind\":\"test\",\"n\":1}";
	unsigned char sealed[sizeof(text) + WL_EVENT_SEAL_OVERHEAD];
	unsigned char buf[SEED_BUF_SIZE];
	struct wl_event_header h;
	struct seed_keys k;
	struct wl_event ev;
	size_t len = 0;

	memset(&ev, 0, sizeof(ev));
	crypto_sign_keypair(k.node_pk, k.node_sk);
	crypto_sign_keypair(k.author_pk, k.author_sk);

	seed_header(&h, &k, 1, NULL);
	if (wl_event_encode(&h, text, sizeof(text), NULL, k.node_sk, buf,
			    sizeof(buf), &len, &ev) == 0)
		seed_write(dir, "seed-cleartext", buf, len);

	seed_header(&h, &k, 2, ev.id);
	h.kind = WL_KIND_ENTITY_UPDATE;
	h.flags = WL_EVENT_F_ENCRYPTED | WL_EVENT_F_AUTHOR;
	memcpy(h.author, k.author_pk, WL_EVENT_KEY_SIZE);
	h.body_len = sizeof(sealed);
	if (wl_event_seal_body(&h, space_key, text, sizeof(text), sealed) == 0 &&
	    wl_event_encode(&h, sealed, sizeof(sealed), k.author_sk, k.node_sk,
			    buf, sizeof(buf), &len, &ev) == 0)
		seed_write(dir, "seed-sealed", buf, len);

	seed_header(&h, &k, 3, ev.id);
	if (wl_event_encode(&h, NULL, 0, NULL, k.node_sk, buf, sizeof(buf),
			    &len, &ev) == 0)
		seed_write(dir, "seed-empty", buf, len);

	seed_header(&h, &k, 4, ev.id);
	if (wl_event_encode(&h, text, sizeof(text), k.author_sk, k.node_sk, buf,
			    sizeof(buf), &len, &ev) == 0)
		seed_write(dir, "seed-pruned", buf, ev.signed_len);

	sodium_memzero(&k, sizeof(k));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WL_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

/* Run every verification of EV and open its body under space_key. Returns
 * the number of calls that succeeded, so that none can be optimized away. */
static int exercise_decoded(const struct wl_event *ev)
{
	unsigned char *plain;
	size_t plain_len = 0;
	size_t bad = 0;
	int ok = 0;

	ok += wl_event_verify_node(ev) == 0;
	ok += wl_event_verify_author(ev) == 0;
	ok += wl_event_verify(ev) == 0;
	ok += wl_event_verify_run(ev, 1, &bad) == 0;
	if (ev->body == NULL)
		return ok;

	plain = malloc(ev->h.body_len);
	if (plain == NULL)
		return ok;
	ok += wl_event_open_body(&ev->h, space_key, ev->body, ev->h.body_len,
				 plain, &plain_len) == 0;
	if (plain_len > ev->h.body_len)
		abort();
	free(plain);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_event ev;
	volatile int sink = 0;
	long n;

	n = wl_event_decode_signed(data, size, &ev);
	if (n > 0) {
		if ((size_t)n > size || (size_t)n != ev.signed_len)
			abort();
		sink += exercise_decoded(&ev);
	}

	if (wl_event_decode(data, size, &ev) == 0) {
		if (ev.signed_len + ev.h.body_len != size)
			abort();
		sink += exercise_decoded(&ev);
	}

	(void)sink;
	return 0;
}
