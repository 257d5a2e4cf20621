/* libFuzzer target for the decoders of the keys module. Every input goes
 * through the user bundle and key envelope decoders, and, as a
 * NUL-terminated string, through the password and PIN checks. A decoded
 * bundle or envelope must encode again and decode to the same fields. A
 * bundle at the cheapest Argon2id cost is then unwrapped with a fixed
 * password, and an envelope is opened with a fixed recipient key. Nothing
 * may crash, leak or read outside the input.
 *
 * When WL_FUZZ_SEED_DIR names a directory, LLVMFuzzerInitialize writes a
 * valid bundle and envelope there first (tests/fuzz/run.sh passes its fresh
 * corpus), made with the fixed password and recipient key, so that mutation
 * starts from inputs that reach the unwrap and open paths. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/keys.h"

#define PASSWORD "fuzzing ward tablet"

/* Fixed, so that a saved input sealed to this key reaches the same code
 * when it is replayed. */
static const unsigned char recipient_seed[crypto_box_SEEDBYTES] = {
	0x57, 0x61, 0x72, 0x64, 0x6c, 0x69, 0x6e, 0x65, 0x20, 0x66, 0x75,
	0x7a, 0x7a, 0x20, 0x72, 0x65, 0x63, 0x69, 0x70, 0x69, 0x65, 0x6e,
	0x74, 0x20, 0x6b, 0x65, 0x79, 0x20, 0x30, 0x31, 0x32, 0x33,
};

static unsigned char recipient_pk[crypto_box_PUBLICKEYBYTES];
static unsigned char recipient_sk[crypto_box_SECRETKEYBYTES];

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

static void seed_corpus(const char *dir)
{
	static const struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char space[WL_KEYS_SPACE_ID_SIZE];
	struct wl_keys_envelope env;
	struct wl_keys_bundle b;
	size_t len = 0;

	if (wl_keys_user_new(NULL, "fuzz.nurse", "Fuzz Nurse",
			     WL_ROLE_CHARGE_NURSE, PASSWORD, &cost, &b,
			     NULL) == 0 &&
	    wl_keys_bundle_encode(&b, buf, sizeof(buf), &len) == 0)
		seed_write(dir, "seed-bundle", buf, len);

	wl_keys_space_key_new(key);
	memset(space, 0x5a, sizeof(space));
	if (wl_keys_envelope_seal(space, 7, key, b.user_id, recipient_pk,
				  &env) == 0 &&
	    wl_keys_envelope_encode(&env, buf, sizeof(buf), &len) == 0)
		seed_write(dir, "seed-envelope", buf, len);

	seed_write(dir, "seed-password", (const unsigned char *)PASSWORD,
		   strlen(PASSWORD));
	seed_write(dir, "seed-pin", (const unsigned char *)"2468", 4);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WL_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	crypto_box_seed_keypair(recipient_pk, recipient_sk, recipient_seed);
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

static void same_bundle(const struct wl_keys_bundle *a,
			const struct wl_keys_bundle *b)
{
	if (memcmp(a->user_id, b->user_id, sizeof(a->user_id)) != 0 ||
	    strcmp(a->username, b->username) != 0 ||
	    strcmp(a->display_name, b->display_name) != 0 ||
	    a->role != b->role ||
	    memcmp(a->sign_pk, b->sign_pk, sizeof(a->sign_pk)) != 0 ||
	    memcmp(a->box_pk, b->box_pk, sizeof(a->box_pk)) != 0 ||
	    memcmp(a->salt, b->salt, sizeof(a->salt)) != 0 ||
	    a->pwhash.opslimit != b->pwhash.opslimit ||
	    a->pwhash.memlimit != b->pwhash.memlimit ||
	    memcmp(a->wrapped, b->wrapped, sizeof(a->wrapped)) != 0)
		abort();
}

/* Re-encode a decoded bundle, decode it again, and unwrap it when its cost
 * is the cheapest, so that a run does not spend its time in Argon2id. */
static int exercise_bundle(const struct wl_keys_bundle *b)
{
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_keys_secret *secret = NULL;
	struct wl_keys_bundle back;
	size_t len = 0;
	int ok = 0;

	if (wl_keys_bundle_encode(b, buf, sizeof(buf), &len) != 0 ||
	    wl_keys_bundle_decode(buf, len, &back, NULL) != 0)
		abort();
	same_bundle(b, &back);

	if (b->pwhash.opslimit == crypto_pwhash_OPSLIMIT_MIN &&
	    b->pwhash.memlimit == crypto_pwhash_MEMLIMIT_MIN) {
		ok += wl_keys_unwrap(b, PASSWORD, &secret) == 0;
		wl_keys_secret_free(secret);
	}
	return ok;
}

static int exercise_envelope(const struct wl_keys_envelope *env)
{
	unsigned char buf[WL_KEYS_ENVELOPE_JSON_MAX];
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope back;
	size_t len = 0;

	if (wl_keys_envelope_encode(env, buf, sizeof(buf), &len) != 0 ||
	    wl_keys_envelope_decode(buf, len, &back, NULL) != 0 ||
	    memcmp(env->space_id, back.space_id, sizeof(env->space_id)) != 0 ||
	    env->epoch != back.epoch ||
	    memcmp(env->recipient, back.recipient, sizeof(env->recipient)) !=
		    0 ||
	    memcmp(env->sealed, back.sealed, sizeof(env->sealed)) != 0)
		abort();

	return wl_keys_envelope_open(env, env->recipient, recipient_pk,
				     recipient_sk, key) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_keys_bundle bundle;
	struct wl_keys_envelope env;
	const char *field = NULL;
	volatile int sink = 0;
	char *text;

	if (wl_keys_bundle_decode(data, size, &bundle, &field) == 0)
		sink += exercise_bundle(&bundle);
	if (wl_keys_envelope_decode(data, size, &env, &field) == 0)
		sink += exercise_envelope(&env);

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sink += wl_keys_password_check(text, "fuzz.nurse") == 0;
	sink += wl_keys_pin_check(text) == 0;
	free(text);

	(void)sink;
	return 0;
}
