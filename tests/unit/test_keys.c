/* Unit tests of user key bundles, key envelopes, and the password and PIN
 * rules. Every bundle uses the cheapest Argon2id cost, so the tests stay
 * fast. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/keys.h"

#include "../../node/password_blocklist.h"

#define PASSWORD "violet otter lantern"
#define NEW_PASSWORD "seven quiet harbours"
#define ENVELOPE_PREFIX "{\"epoch\":4294967295,\"recipient\":\""

static const struct wl_keys_pwhash test_cost = WL_KEYS_PWHASH_TEST;

/* Two users made once in group_setup, with their secret keys. */
struct user {
	struct wl_keys_bundle bundle;
	struct wl_keys_secret *secret;
};

static struct user alice;
static struct user bob;

static void make_user(struct user *u, const char *username, enum wl_role role)
{
	assert_int_equal(wl_keys_user_new(NULL, username, "Test User", role,
					  PASSWORD, &test_cost, &u->bundle,
					  &u->secret),
			 0);
	assert_non_null(u->secret);
}

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	make_user(&alice, "alice", WL_ROLE_NURSE);
	make_user(&bob, "bob.jones", WL_ROLE_PHARMACIST);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	wl_keys_secret_free(alice.secret);
	wl_keys_secret_free(bob.secret);
	return 0;
}

static void assert_bundle_equal(const struct wl_keys_bundle *a,
				const struct wl_keys_bundle *b)
{
	assert_memory_equal(a->user_id, b->user_id, sizeof(a->user_id));
	assert_string_equal(a->username, b->username);
	assert_string_equal(a->display_name, b->display_name);
	assert_int_equal(a->role, b->role);
	assert_memory_equal(a->sign_pk, b->sign_pk, sizeof(a->sign_pk));
	assert_memory_equal(a->box_pk, b->box_pk, sizeof(a->box_pk));
	assert_memory_equal(a->salt, b->salt, sizeof(a->salt));
	assert_int_equal(a->pwhash.opslimit, b->pwhash.opslimit);
	assert_int_equal(a->pwhash.memlimit, b->pwhash.memlimit);
	assert_memory_equal(a->wrapped, b->wrapped, sizeof(a->wrapped));
}

static void assert_secret_equal(const struct wl_keys_secret *a,
				const struct wl_keys_secret *b)
{
	assert_int_equal(sodium_memcmp(a->sign_sk, b->sign_sk,
				       sizeof(a->sign_sk)),
			 0);
	assert_int_equal(sodium_memcmp(a->box_sk, b->box_sk, sizeof(a->box_sk)),
			 0);
}

/* Unwrap B with PASSWORD and return the code; the secret is freed. */
static int try_unwrap(const struct wl_keys_bundle *b, const char *password)
{
	struct wl_keys_secret *s = (struct wl_keys_secret *)1;
	int rc = wl_keys_unwrap(b, password, &s);

	if (rc != 0)
		assert_null(s);
	wl_keys_secret_free(s);
	return rc;
}

static void user_new_keys_work(void **state)
{
	static const unsigned char msg[] = "handoff bed 4";
	unsigned char sig[crypto_sign_BYTES];
	unsigned char box_pk[crypto_box_PUBLICKEYBYTES];

	(void)state;
	assert_string_equal(alice.bundle.username, "alice");
	assert_string_equal(alice.bundle.display_name, "Test User");
	assert_int_equal(alice.bundle.role, WL_ROLE_NURSE);
	assert_int_equal(alice.bundle.pwhash.opslimit, test_cost.opslimit);
	assert_int_equal(alice.bundle.pwhash.memlimit, test_cost.memlimit);

	crypto_sign_detached(sig, NULL, msg, sizeof(msg),
			     alice.secret->sign_sk);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
						     alice.bundle.sign_pk),
			 0);
	assert_int_equal(crypto_scalarmult_base(box_pk, alice.secret->box_sk),
			 0);
	assert_memory_equal(box_pk, alice.bundle.box_pk, sizeof(box_pk));
}

static void user_new_fresh_values(void **state)
{
	(void)state;
	assert_memory_not_equal(alice.bundle.user_id, bob.bundle.user_id,
				WL_KEYS_USER_ID_SIZE);
	assert_memory_not_equal(alice.bundle.sign_pk, bob.bundle.sign_pk,
				WL_KEYS_SIGN_PK_SIZE);
	assert_memory_not_equal(alice.bundle.box_pk, bob.bundle.box_pk,
				WL_KEYS_BOX_PK_SIZE);
	assert_memory_not_equal(alice.bundle.salt, bob.bundle.salt,
				WL_KEYS_SALT_SIZE);
	assert_memory_not_equal(alice.bundle.wrapped, bob.bundle.wrapped,
				WL_KEYS_WRAP_NONCE_SIZE);
}

static void user_new_given_id(void **state)
{
	struct wl_keys_bundle b;

	(void)state;
	assert_int_equal(wl_keys_user_new(alice.bundle.user_id, "alice",
					  "Alice Reset", WL_ROLE_NURSE,
					  NEW_PASSWORD, &test_cost, &b, NULL),
			 0);
	assert_memory_equal(b.user_id, alice.bundle.user_id,
			    WL_KEYS_USER_ID_SIZE);
	assert_memory_not_equal(b.sign_pk, alice.bundle.sign_pk,
				WL_KEYS_SIGN_PK_SIZE);
	assert_int_equal(try_unwrap(&b, NEW_PASSWORD), 0);
}

static void user_new_invalid_args(void **state)
{
	static const struct wl_keys_pwhash cheap_ops = {0, 8192};
	static const struct wl_keys_pwhash big_mem = {1, (1ull << 30) + 1};
	struct wl_keys_secret *s = (struct wl_keys_secret *)1;
	struct wl_keys_bundle b;

	(void)state;
	assert_int_equal(wl_keys_user_new(NULL, "Alice", "A", WL_ROLE_NURSE,
					  PASSWORD, &test_cost, &b, &s),
			 WL_EINVAL);
	assert_null(s);
	assert_int_equal(wl_keys_user_new(NULL, "alice", "", WL_ROLE_NURSE,
					  PASSWORD, &test_cost, &b, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_keys_user_new(NULL, "alice", "A", WL_ROLE_COUNT,
					  PASSWORD, &test_cost, &b, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_keys_user_new(NULL, "alice", "A", WL_ROLE_NURSE, "",
					  &test_cost, &b, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_keys_user_new(NULL, "alice", "A", WL_ROLE_NURSE,
					  PASSWORD, &cheap_ops, &b, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_keys_user_new(NULL, "alice", "A", WL_ROLE_NURSE,
					  PASSWORD, &big_mem, &b, NULL),
			 WL_EINVAL);
}

static void unwrap_round_trip(void **state)
{
	struct wl_keys_secret *s = NULL;

	(void)state;
	assert_int_equal(wl_keys_unwrap(&alice.bundle, PASSWORD, &s), 0);
	assert_non_null(s);
	assert_secret_equal(s, alice.secret);
	wl_keys_secret_free(s);
	wl_keys_secret_free(NULL);
}

static void unwrap_wrong_password(void **state)
{
	(void)state;
	assert_int_equal(try_unwrap(&alice.bundle, "violet otter lanterN"),
			 WL_EAUTH);
	assert_int_equal(try_unwrap(&alice.bundle, ""), WL_EAUTH);
	assert_int_equal(try_unwrap(&alice.bundle, NEW_PASSWORD), WL_EAUTH);
	assert_int_equal(try_unwrap(&alice.bundle, NULL), WL_EINVAL);
}

static void unwrap_tampered_blob(void **state)
{
	struct wl_keys_bundle b;

	(void)state;
	for (size_t i = 0; i < WL_KEYS_WRAPPED_SIZE; i++) {
		b = alice.bundle;
		b.wrapped[i] ^= 0x01;
		assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	}

	b = alice.bundle;
	b.salt[0] ^= 0x80;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	b = alice.bundle;
	b.pwhash.opslimit = 2;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	b = alice.bundle;
	b.pwhash.memlimit *= 2;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
}

/* The associated data binds the wrapped keys to the user id and both
 * public keys: changing any of them, or moving the blob to another
 * bundle, makes unwrapping fail. */
static void unwrap_bound_to_identity(void **state)
{
	struct wl_keys_bundle b;

	(void)state;
	b = alice.bundle;
	b.user_id[15] ^= 0x01;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	b = alice.bundle;
	memcpy(b.sign_pk, bob.bundle.sign_pk, WL_KEYS_SIGN_PK_SIZE);
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	b = alice.bundle;
	memcpy(b.box_pk, bob.bundle.box_pk, WL_KEYS_BOX_PK_SIZE);
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);

	/* Alice's blob, salt and cost moved into Bob's bundle. */
	b = bob.bundle;
	memcpy(b.wrapped, alice.bundle.wrapped, WL_KEYS_WRAPPED_SIZE);
	memcpy(b.salt, alice.bundle.salt, WL_KEYS_SALT_SIZE);
	b.pwhash = alice.bundle.pwhash;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);

	/* Alice's blob under Bob's user id but with her own public keys. */
	b = alice.bundle;
	memcpy(b.user_id, bob.bundle.user_id, WL_KEYS_USER_ID_SIZE);
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
}

static void unwrap_cost_bounds(void **state)
{
	struct wl_keys_bundle b;

	(void)state;
	b = alice.bundle;
	b.pwhash.opslimit = WL_KEYS_PWHASH_OPSLIMIT_MAX + 1;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EINVAL);
	b = alice.bundle;
	b.pwhash.memlimit = WL_KEYS_PWHASH_MEMLIMIT_MAX + 1;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EINVAL);
	b = alice.bundle;
	b.pwhash.memlimit = 4096;
	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EINVAL);
}

static void rewrap_changes_password(void **state)
{
	struct wl_keys_bundle b = alice.bundle;
	struct wl_keys_secret *s = NULL;

	(void)state;
	assert_int_equal(wl_keys_rewrap(&b, alice.secret, NEW_PASSWORD,
					&test_cost),
			 0);
	assert_memory_equal(b.user_id, alice.bundle.user_id,
			    WL_KEYS_USER_ID_SIZE);
	assert_memory_equal(b.sign_pk, alice.bundle.sign_pk,
			    WL_KEYS_SIGN_PK_SIZE);
	assert_memory_equal(b.box_pk, alice.bundle.box_pk, WL_KEYS_BOX_PK_SIZE);
	assert_memory_not_equal(b.salt, alice.bundle.salt, WL_KEYS_SALT_SIZE);
	assert_memory_not_equal(b.wrapped, alice.bundle.wrapped,
				WL_KEYS_WRAPPED_SIZE);

	assert_int_equal(try_unwrap(&b, PASSWORD), WL_EAUTH);
	assert_int_equal(wl_keys_unwrap(&b, NEW_PASSWORD, &s), 0);
	assert_secret_equal(s, alice.secret);
	wl_keys_secret_free(s);
}

static void rewrap_rejects_other_secret(void **state)
{
	struct wl_keys_bundle b = alice.bundle;

	(void)state;
	assert_int_equal(wl_keys_rewrap(&b, bob.secret, NEW_PASSWORD,
					&test_cost),
			 WL_EINVAL);
	assert_bundle_equal(&b, &alice.bundle);
	assert_int_equal(wl_keys_rewrap(&b, alice.secret, "", &test_cost),
			 WL_EINVAL);
	assert_int_equal(wl_keys_rewrap(&b, NULL, NEW_PASSWORD, &test_cost),
			 WL_EINVAL);
	assert_bundle_equal(&b, &alice.bundle);
	assert_int_equal(try_unwrap(&b, PASSWORD), 0);
}

static void bundle_json_round_trip(void **state)
{
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_keys_bundle b;
	const char *field = "unset";
	size_t len = 0;

	(void)state;
	assert_int_equal(wl_keys_bundle_encode(&bob.bundle, buf, sizeof(buf),
					       &len),
			 0);
	assert_true(len > 0 && len <= sizeof(buf));
	assert_memory_equal(buf, "{\"box_pk\":\"", strlen("{\"box_pk\":\""));
	assert_int_equal(buf[len - 1], '}');

	assert_int_equal(wl_keys_bundle_decode(buf, len, &b, &field), 0);
	assert_null(field);
	assert_bundle_equal(&b, &bob.bundle);
	assert_int_equal(try_unwrap(&b, PASSWORD), 0);
	assert_int_equal(wl_keys_bundle_decode(buf, len, &b, NULL), 0);
}

/* The largest display name needs the most escaping: 128 quotes become 256
 * bytes of JSON. */
static void bundle_json_worst_case(void **state)
{
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_keys_bundle b = alice.bundle;
	struct wl_keys_bundle back;
	size_t len = 0;

	(void)state;
	memset(b.display_name, '"', WL_KEYS_DISPLAY_NAME_MAX);
	b.display_name[WL_KEYS_DISPLAY_NAME_MAX] = '\0';
	memset(b.username, 'z', WL_KEYS_USERNAME_MAX);
	b.username[WL_KEYS_USERNAME_MAX] = '\0';
	b.role = WL_ROLE_COMPLIANCE_OFFICER;
	b.pwhash.opslimit = WL_KEYS_PWHASH_OPSLIMIT_MAX;
	b.pwhash.memlimit = WL_KEYS_PWHASH_MEMLIMIT_MAX;

	assert_int_equal(wl_keys_bundle_encode(&b, buf, sizeof(buf), &len), 0);
	print_message("largest bundle: %zu bytes of JSON\n", len);
	assert_int_equal(len, 772);
	assert_int_equal(wl_keys_bundle_decode(buf, len, &back, NULL), 0);
	assert_bundle_equal(&back, &b);

	assert_int_equal(wl_keys_bundle_encode(&b, buf, len - 1, &len),
			 WL_ETOOBIG);
}

static void bundle_encode_invalid(void **state)
{
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_keys_bundle b;
	size_t len = 0;

	(void)state;
	b = alice.bundle;
	strcpy(b.username, "Alice");
	assert_int_equal(wl_keys_bundle_encode(&b, buf, sizeof(buf), &len),
			 WL_EINVAL);
	b = alice.bundle;
	strcpy(b.display_name, "bad \xff text");
	assert_int_equal(wl_keys_bundle_encode(&b, buf, sizeof(buf), &len),
			 WL_EINVAL);
	b = alice.bundle;
	b.role = (enum wl_role)99;
	assert_int_equal(wl_keys_bundle_encode(&b, buf, sizeof(buf), &len),
			 WL_EINVAL);
	b = alice.bundle;
	b.pwhash.opslimit = 0;
	assert_int_equal(wl_keys_bundle_encode(&b, buf, sizeof(buf), &len),
			 WL_EINVAL);
}

/* Encode a JSON document to a string the decoders can take; the caller
 * frees it. */
static char *json_text(json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

/* The valid bundle of Bob as a jansson object; the caller decrefs it. */
static json_t *bundle_doc(void)
{
	unsigned char buf[WL_KEYS_BUNDLE_JSON_MAX];
	size_t len = 0;
	json_t *doc;

	assert_int_equal(wl_keys_bundle_encode(&bob.bundle, buf, sizeof(buf),
					       &len),
			 0);
	doc = json_loadb((const char *)buf, len, 0, NULL);
	assert_non_null(doc);
	return doc;
}

/* Decode TEXT as a bundle and check the code and the field named. */
static void expect_bundle(const char *text, int rc, const char *field)
{
	struct wl_keys_bundle b;
	const char *bad = "unset";

	assert_int_equal(wl_keys_bundle_decode((const unsigned char *)text,
					       strlen(text), &b, &bad),
			 rc);
	if (field == NULL)
		assert_null(bad);
	else
		assert_string_equal(bad, field);
}

/* Set member NAME of Bob's bundle to VALUE (NULL: delete it), decode the
 * result and check the code and the field named. */
static void expect_member(const char *name, json_t *value, int rc,
			  const char *field)
{
	json_t *doc = bundle_doc();
	char *text;

	if (value == NULL)
		assert_int_equal(json_object_del(doc, name), 0);
	else
		assert_int_equal(json_object_set_new(doc, name, value), 0);
	text = json_text(doc);
	expect_bundle(text, rc, field);
	free(text);
	json_decref(doc);
}

static void bundle_decode_missing_members(void **state)
{
	static const char *const members[] = {
		"box_pk", "display_name", "memlimit", "opslimit",
		"role",   "salt",         "sign_pk",  "user_id",
		"username", "v",          "wrapped",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		expect_member(members[i], NULL, WL_ETRUNC, members[i]);
}

static void bundle_decode_wrong_types(void **state)
{
	static const char *const strings[] = {
		"box_pk", "display_name", "role",    "salt",
		"sign_pk", "user_id",     "username", "wrapped",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		expect_member(strings[i], json_integer(1), WL_EINVAL,
			      strings[i]);
		expect_member(strings[i], json_null(), WL_EINVAL, strings[i]);
	}
	expect_member("opslimit", json_string("1"), WL_EINVAL, "opslimit");
	expect_member("opslimit", json_real(1.0), WL_EINVAL, "opslimit");
	expect_member("memlimit", json_true(), WL_EINVAL, "memlimit");
	expect_member("v", json_string("1"), WL_EINVAL, "v");
}

static void bundle_decode_bad_values(void **state)
{
	char long_name[WL_KEYS_DISPLAY_NAME_MAX + 2];

	(void)state;
	expect_member("v", json_integer(2), WL_EVERSION, "v");
	expect_member("v", json_integer(0), WL_EVERSION, "v");
	expect_member("username", json_string("Bob Jones"), WL_EINVAL,
		      "username");
	expect_member("username", json_string(""), WL_EINVAL, "username");
	expect_member("username",
		      json_string("abcdefghijklmnopqrstuvwxyz0123456"),
		      WL_ETOOBIG, "username");
	expect_member("display_name", json_string(""), WL_EINVAL,
		      "display_name");
	expect_member("display_name", json_string("tab\there"), WL_EINVAL,
		      "display_name");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	expect_member("display_name", json_string(long_name), WL_ETOOBIG,
		      "display_name");
	expect_member("role", json_string("surgeon"), WL_EINVAL, "role");
	expect_member("role", json_string("Nurse"), WL_EINVAL, "role");
	expect_member("opslimit", json_integer(0), WL_ERANGE, "opslimit");
	expect_member("opslimit", json_integer(-1), WL_ERANGE, "opslimit");
	expect_member("opslimit", json_integer(WL_KEYS_PWHASH_OPSLIMIT_MAX + 1),
		      WL_ERANGE, "opslimit");
	expect_member("memlimit", json_integer(8191), WL_ERANGE, "memlimit");
	expect_member("memlimit",
		      json_integer(WL_KEYS_PWHASH_MEMLIMIT_MAX + 1), WL_ERANGE,
		      "memlimit");
}

static void bundle_decode_bad_base64(void **state)
{
	/* 32 zero bytes: the all-zero Ed25519 point has small order. */
	static const unsigned char zero_bytes[32] = {0};
	char zero32[sodium_base64_ENCODED_LEN(32,
					      sodium_base64_VARIANT_ORIGINAL)];
	/* 16 bytes in the URL-safe alphabet, and with no padding. */
	static const char urlsafe16[] = "-_-_-_-_-_-_-_-_-_-_-A==";
	static const char unpadded16[] = "AAAAAAAAAAAAAAAAAAAAAA";
	/* 16 bytes whose last character carries non-zero spare bits. */
	static const char spare16[] = "AAAAAAAAAAAAAAAAAAAAAB==";

	(void)state;
	sodium_bin2base64(zero32, sizeof(zero32), zero_bytes,
			  sizeof(zero_bytes), sodium_base64_VARIANT_ORIGINAL);
	expect_member("user_id", json_string(urlsafe16), WL_EINVAL, "user_id");
	expect_member("user_id", json_string(unpadded16), WL_EINVAL, "user_id");
	expect_member("user_id", json_string(spare16), WL_EINVAL, "user_id");
	expect_member("user_id", json_string("AAAAAAAAAAAAAAAAAAAAAAAA"),
		      WL_EINVAL, "user_id"); /* 18 bytes */
	expect_member("user_id", json_string("AAAA AAAAAAAAAAAAAAAAAA=="),
		      WL_EINVAL, "user_id");
	expect_member("salt", json_string(""), WL_EINVAL, "salt");
	expect_member("box_pk", json_string("AAAAAAAAAAAAAAAAAAAAAA=="),
		      WL_EINVAL, "box_pk"); /* 16 bytes, not 32 */
	expect_member("sign_pk", json_string(zero32), WL_EINVAL, "sign_pk");
	expect_member("wrapped", json_string(zero32), WL_EINVAL, "wrapped");
}

static void bundle_decode_bad_documents(void **state)
{
	char big[WL_KEYS_BUNDLE_JSON_MAX + 2];
	json_t *doc;
	char *text;
	char *dup;

	(void)state;
	expect_bundle("", WL_EINVAL, NULL);
	expect_bundle("{", WL_EINVAL, NULL);
	expect_bundle("[]", WL_EINVAL, NULL);
	expect_bundle("\"v\"", WL_EINVAL, NULL);
	expect_bundle("{}", WL_ETRUNC, "v");
	expect_bundle("{\"v\":2,\"future\":true}", WL_EVERSION, "v");

	doc = bundle_doc();
	assert_int_equal(json_object_set_new(doc, "ward", json_string("4b")),
			 0);
	text = json_text(doc);
	expect_bundle(text, WL_EINVAL, NULL);
	free(text);
	json_decref(doc);

	doc = bundle_doc();
	text = json_text(doc);
	assert_int_equal(asprintf(&dup, "{\"v\":1,%s", text + 1) > 0, 1);
	expect_bundle(dup, WL_EINVAL, NULL); /* "v" twice */
	free(dup);
	assert_int_equal(asprintf(&dup, "%s x", text) > 0, 1);
	expect_bundle(dup, WL_EINVAL, NULL); /* bytes after the object */
	free(dup);
	assert_int_equal(asprintf(&dup, "%s ", text) > 0, 1);
	expect_bundle(dup, 0, NULL); /* trailing white space is JSON */
	free(dup);
	free(text);
	json_decref(doc);

	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	expect_bundle(big, WL_ETOOBIG, NULL);
	expect_bundle("{\"v\":1,\"username\":\"a\\u0000b\"}", WL_EINVAL, NULL);
}

static const unsigned char space_a[WL_KEYS_SPACE_ID_SIZE] = {
	0x77, 0x61, 0x72, 0x64, 0x2d, 0x34, 0x62, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

/* Seal KEY of space_a at EPOCH to Bob. */
static void seal_to_bob(uint32_t epoch, const unsigned char *key,
			struct wl_keys_envelope *env)
{
	assert_int_equal(wl_keys_envelope_seal(space_a, epoch, key,
					       bob.bundle.user_id,
					       bob.bundle.box_pk, env),
			 0);
}

static int bob_opens(const struct wl_keys_envelope *env, unsigned char *key)
{
	return wl_keys_envelope_open(env, bob.bundle.user_id, bob.bundle.box_pk,
				     bob.secret->box_sk, key);
}

static void envelope_seal_open(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope env;

	(void)state;
	wl_keys_space_key_new(key);
	seal_to_bob(7, key, &env);
	assert_memory_equal(env.space_id, space_a, sizeof(space_a));
	assert_int_equal(env.epoch, 7);
	assert_memory_equal(env.recipient, bob.bundle.user_id,
			    WL_KEYS_USER_ID_SIZE);
	assert_int_equal(bob_opens(&env, got), 0);
	assert_memory_equal(got, key, sizeof(key));
}

static void envelope_wrong_recipient(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char zero[WL_KEYS_SPACE_KEY_SIZE] = {0};
	struct wl_keys_envelope env;

	(void)state;
	wl_keys_space_key_new(key);
	seal_to_bob(1, key, &env);

	/* Alice, with her own keys, whether she claims Bob's id or hers. */
	memset(got, 0xee, sizeof(got));
	assert_int_equal(wl_keys_envelope_open(&env, bob.bundle.user_id,
					       alice.bundle.box_pk,
					       alice.secret->box_sk, got),
			 WL_EAUTH);
	assert_memory_equal(got, zero, sizeof(got));
	assert_int_equal(wl_keys_envelope_open(&env, alice.bundle.user_id,
					       alice.bundle.box_pk,
					       alice.secret->box_sk, got),
			 WL_EAUTH);

	/* Bob's keys, but the envelope readdressed to Alice. */
	memcpy(env.recipient, alice.bundle.user_id, WL_KEYS_USER_ID_SIZE);
	assert_int_equal(wl_keys_envelope_open(&env, alice.bundle.user_id,
					       bob.bundle.box_pk,
					       bob.secret->box_sk, got),
			 WL_EAUTH);
	assert_memory_equal(got, zero, sizeof(got));
}

/* The clear routing fields must match the sealed copy. */
static void envelope_swapped_header(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope env;
	struct wl_keys_envelope other;
	struct wl_keys_envelope e;

	(void)state;
	wl_keys_space_key_new(key);
	seal_to_bob(5, key, &env);
	seal_to_bob(6, key, &other);

	e = env;
	e.space_id[3] ^= 0x01;
	assert_int_equal(bob_opens(&e, got), WL_EAUTH);
	e = env;
	e.epoch = 6;
	assert_int_equal(bob_opens(&e, got), WL_EAUTH);
	e = env;
	memcpy(e.sealed, other.sealed, WL_KEYS_SEALED_SIZE);
	assert_int_equal(bob_opens(&e, got), WL_EAUTH);

	/* Sealed to Bob's key but naming Alice inside, relabelled to Bob. */
	assert_int_equal(wl_keys_envelope_seal(space_a, 5, key,
					       alice.bundle.user_id,
					       bob.bundle.box_pk, &e),
			 0);
	memcpy(e.recipient, bob.bundle.user_id, WL_KEYS_USER_ID_SIZE);
	assert_int_equal(bob_opens(&e, got), WL_EAUTH);
}

static void envelope_tampered(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope env;
	struct wl_keys_envelope e;

	(void)state;
	wl_keys_space_key_new(key);
	seal_to_bob(2, key, &env);
	for (size_t i = 0; i < WL_KEYS_SEALED_SIZE; i++) {
		e = env;
		e.sealed[i] ^= 0x20;
		assert_int_equal(bob_opens(&e, got), WL_EAUTH);
	}
}

static void envelope_epoch_rotation(void **state)
{
	unsigned char key1[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char key2[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope env1;
	struct wl_keys_envelope env2;

	(void)state;
	wl_keys_space_key_new(key1);
	seal_to_bob(1, key1, &env1);
	wl_keys_space_key_new(key2);
	seal_to_bob(2, key2, &env2);
	assert_memory_not_equal(key1, key2, sizeof(key1));

	assert_int_equal(bob_opens(&env2, got), 0);
	assert_memory_equal(got, key2, sizeof(got));
	assert_int_equal(bob_opens(&env1, got), 0);
	assert_memory_equal(got, key1, sizeof(got));
}

static void envelope_seal_bad_key(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE] = {0};
	unsigned char zero_pk[WL_KEYS_BOX_PK_SIZE] = {0};
	struct wl_keys_envelope env;

	(void)state;
	assert_int_equal(wl_keys_envelope_seal(space_a, 1, key,
					       bob.bundle.user_id, zero_pk,
					       &env),
			 WL_EINVAL);
}

static void envelope_json_round_trip(void **state)
{
	unsigned char buf[WL_KEYS_ENVELOPE_JSON_MAX];
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char got[WL_KEYS_SPACE_KEY_SIZE];
	struct wl_keys_envelope env;
	struct wl_keys_envelope back;
	size_t len = 0;

	(void)state;
	wl_keys_space_key_new(key);
	seal_to_bob(UINT32_MAX, key, &env);
	assert_int_equal(wl_keys_envelope_encode(&env, buf, sizeof(buf), &len),
			 0);
	assert_memory_equal(buf, ENVELOPE_PREFIX, strlen(ENVELOPE_PREFIX));
	print_message("largest envelope: %zu bytes of JSON\n", len);
	assert_int_equal(len, 275);
	assert_int_equal(wl_keys_envelope_decode(buf, len, &back, NULL), 0);
	assert_memory_equal(back.space_id, env.space_id, WL_KEYS_SPACE_ID_SIZE);
	assert_int_equal(back.epoch, env.epoch);
	assert_memory_equal(back.recipient, env.recipient,
			    WL_KEYS_USER_ID_SIZE);
	assert_memory_equal(back.sealed, env.sealed, WL_KEYS_SEALED_SIZE);
	assert_int_equal(bob_opens(&back, got), 0);
	assert_memory_equal(got, key, sizeof(key));

	assert_int_equal(wl_keys_envelope_encode(&env, buf, len - 1, &len),
			 WL_ETOOBIG);
}

/* Set member NAME of a valid envelope to VALUE (NULL: delete it), decode
 * the result and check the code and the field named. */
static void expect_envelope_member(const char *name, json_t *value, int rc,
				   const char *field)
{
	unsigned char buf[WL_KEYS_ENVELOPE_JSON_MAX];
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE] = {0};
	struct wl_keys_envelope env;
	const char *bad = "unset";
	size_t len = 0;
	json_t *doc;
	char *text;

	seal_to_bob(3, key, &env);
	assert_int_equal(wl_keys_envelope_encode(&env, buf, sizeof(buf), &len),
			 0);
	doc = json_loadb((const char *)buf, len, 0, NULL);
	assert_non_null(doc);
	if (value == NULL)
		assert_int_equal(json_object_del(doc, name), 0);
	else
		assert_int_equal(json_object_set_new(doc, name, value), 0);
	text = json_text(doc);
	assert_int_equal(wl_keys_envelope_decode((const unsigned char *)text,
						 strlen(text), &env, &bad),
			 rc);
	if (field == NULL)
		assert_null(bad);
	else
		assert_string_equal(bad, field);
	free(text);
	json_decref(doc);
}

static void envelope_decode_malformed(void **state)
{
	static const char *const members[] = {"epoch", "recipient", "sealed",
					      "space_id", "v"};
	char big[WL_KEYS_ENVELOPE_JSON_MAX + 2];
	struct wl_keys_envelope env;

	(void)state;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		expect_envelope_member(members[i], NULL, WL_ETRUNC, members[i]);
		expect_envelope_member(members[i], json_array(), WL_EINVAL,
				       members[i]);
	}
	expect_envelope_member("v", json_integer(3), WL_EVERSION, "v");
	expect_envelope_member("epoch", json_integer(-1), WL_ERANGE, "epoch");
	expect_envelope_member("epoch", json_integer(4294967296ll), WL_ERANGE,
			       "epoch");
	expect_envelope_member("epoch", json_integer(0), 0, NULL);
	expect_envelope_member("sealed", json_string("AAAA"), WL_EINVAL,
			       "sealed");
	expect_envelope_member("space_id",
			       json_string("AAAAAAAAAAAAAAAAAAAAAA"), WL_EINVAL,
			       "space_id");
	expect_envelope_member("key", json_string("AAAA"), WL_EINVAL, NULL);

	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	assert_int_equal(wl_keys_envelope_decode((const unsigned char *)big,
						 sizeof(big) - 1, &env, NULL),
			 WL_ETOOBIG);
}

struct password_case {
	const char *password;
	const char *username;
	int rc;
};

static void password_rules(void **state)
{
	static const struct password_case cases[] = {
		/* Length counts characters, not bytes. */
		{"abc", NULL, WL_ETRUNC},
		{"violet7", NULL, WL_ETRUNC},
		{"violet7x", NULL, 0},
		{"\xc3\xa9t\xc3\xa9 \xc3\xa0 l", NULL, WL_ETRUNC}, /* 7 */
		{"\xc3\xa9t\xc3\xa9 \xc3\xa0 la", NULL, 0},        /* 8 */
		{"\xf0\x9f\x8d\x8e\xf0\x9f\x8d\x8a\xf0\x9f\x8d\x8b"
		 "\xf0\x9f\x8d\x8c\xf0\x9f\x8d\x89\xf0\x9f\x8d\x87"
		 "\xf0\x9f\x8d\x93",
		 NULL, WL_ETRUNC}, /* 7 fruit, 28 bytes */
		{"\xf0\x9f\x8d\x8e\xf0\x9f\x8d\x8a\xf0\x9f\x8d\x8b"
		 "\xf0\x9f\x8d\x8c\xf0\x9f\x8d\x89\xf0\x9f\x8d\x87"
		 "\xf0\x9f\x8d\x93\xf0\x9f\x8d\x88",
		 NULL, 0}, /* 8 fruit */
		/* No composition rules: spaces and lower case alone pass. */
		{"correct horse battery staple", NULL, 0},
		{"zebra crossing at dawn", "alice", 0},
		/* Text that is not valid. */
		{"\xff\xfe invalid bytes", NULL, WL_EINVAL},
		{"overlong \xc0\xaf slash", NULL, WL_EINVAL},
		{"surrogate \xed\xa0\x80 half", NULL, WL_EINVAL},
		{"tab\tinside it", NULL, WL_EINVAL},
		{"newline\ninside", NULL, WL_EINVAL},
		{"c1 control \xc2\x85 here", NULL, WL_EINVAL},
		{NULL, NULL, WL_EINVAL},
		/* The username, in any case, alone or with a suffix. */
		{"alice.nurse", "alice.nurse", WL_EEXIST},
		{"ALICE.NURSE", "alice.nurse", WL_EEXIST},
		{"Alice.Nurse2026!", "alice.nurse", WL_EEXIST},
		{"alice.nurse is my name", "alice.nurse", 0},
		{"nurse0199", "nurse01", WL_EEXIST},
		/* Common passwords, in any case, alone or with a suffix. */
		{"password", NULL, WL_EDENIED},
		{"PASSWORD", NULL, WL_EDENIED},
		{"Password1", NULL, WL_EDENIED},
		{"password123!", NULL, WL_EDENIED},
		{"P@ssw0rd", NULL, WL_EDENIED},
		{"qwerty123", NULL, WL_EDENIED},
		{"iloveyou", NULL, WL_EDENIED},
		{"Sunshine1!", NULL, WL_EDENIED},
		{"welcome1", NULL, WL_EDENIED},
		{"nurse123", NULL, WL_EDENIED},
		{"Hospital1", NULL, WL_EDENIED},
		{"Summer2026", NULL, WL_EDENIED},
		{"winter2030!", NULL, WL_EDENIED},
		{"Wardline2026", NULL, WL_EDENIED},
		{"1qaz2wsx", NULL, WL_EDENIED},
		{"zaq12wsx", NULL, WL_EDENIED},
		{"12345678", NULL, WL_EDENIED},
		{"1234567890", NULL, WL_EDENIED},
		{"monkey12", NULL, WL_EDENIED},
		{"password is long", NULL, 0}, /* only a suffix is stripped */
		/* Repetitive and sequential. */
		{"aaaaaaaa", NULL, WL_EDENIED},
		{"zzzzzzzzzzzz", NULL, WL_EDENIED},
		{"abcdefgh", NULL, WL_EDENIED},
		{"hgfedcba", NULL, WL_EDENIED},
		{"54321098", NULL, 0}, /* 1 follows 0 only for PINs */
		{"76543210", NULL, WL_EDENIED},
		{"abcabcabc", NULL, WL_EDENIED},
		{"dogsdogs", NULL, WL_EDENIED},
		{"xy12xy12xy12", NULL, WL_EDENIED},
		{"abcdeabcde", NULL, 0}, /* a unit of five */
		{"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9",
		 NULL, WL_EDENIED}, /* one accented letter eight times */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = wl_keys_password_check(cases[i].password,
						cases[i].username);

		if (rc != cases[i].rc)
			print_error("case %zu \"%s\": got %d, expected %d\n", i,
				    cases[i].password ? cases[i].password
						      : "(null)",
				    rc, cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
	}
}

/* Fill BUF with N characters of a text that is neither common nor
 * repetitive, each WIDTH bytes long (1 or 4), and NUL-terminate it. */
static void long_password(char *buf, size_t n, int width)
{
	static const char text[] = "the night shift charts every quiet bed ";
	char *p = buf;

	for (size_t i = 0; i < n; i++) {
		if (width == 1) {
			*p++ = text[i % (sizeof(text) - 1)];
		} else {
			/* U+1F400 onward, the animals block. */
			uint32_t cp = 0x1f400 + (uint32_t)(i % 60);

			*p++ = (char)(0xf0 | (cp >> 18));
			*p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
			*p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*p++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*p = '\0';
}

static void password_length_limits(void **state)
{
	char buf[4 * 200 + 1];

	(void)state;
	long_password(buf, 64, 1);
	assert_int_equal(wl_keys_password_check(buf, NULL), 0);
	long_password(buf, 128, 1);
	assert_int_equal(wl_keys_password_check(buf, NULL), 0);
	long_password(buf, 129, 1);
	assert_int_equal(wl_keys_password_check(buf, NULL), WL_ETOOBIG);
	long_password(buf, 128, 4);
	assert_int_equal(strlen(buf), 512);
	assert_int_equal(wl_keys_password_check(buf, NULL), 0);
	long_password(buf, 129, 4);
	assert_int_equal(wl_keys_password_check(buf, NULL), WL_ETOOBIG);
	long_password(buf, 200, 4);
	assert_int_equal(wl_keys_password_check(buf, NULL), WL_ETOOBIG);
}

static int ends_in_letter(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] >= 'a' && s[n - 1] <= 'z';
}

/* The compiled list is sorted for bsearch, and every entry is rejected:
 * long ones as they are, short ones that end in a letter once padded to
 * the minimum length with digits. */
static void password_blocklist_entries(void **state)
{
	size_t count =
		sizeof(password_blocklist) / sizeof(password_blocklist[0]);
	char buf[64];

	(void)state;
	assert_true(count >= 1000);
	for (size_t i = 0; i < count; i++) {
		const char *w = password_blocklist[i];

		if (i > 0)
			assert_true(strcmp(password_blocklist[i - 1], w) < 0);
		for (const char *p = w; *p != '\0'; p++)
			assert_false(*p >= 'A' && *p <= 'Z');

		snprintf(buf, sizeof(buf), "%s", w);
		if (strlen(w) < WL_KEYS_PASSWORD_MIN) {
			if (!ends_in_letter(w))
				continue;
			while (strlen(buf) < WL_KEYS_PASSWORD_MIN)
				strcat(buf, "9");
		}
		if (wl_keys_password_check(buf, NULL) != WL_EDENIED)
			print_error("entry \"%s\" not rejected\n", buf);
		assert_int_equal(wl_keys_password_check(buf, NULL), WL_EDENIED);
	}
}

static void password_problem_texts(void **state)
{
	static const int codes[] = {WL_EINVAL, WL_ETRUNC, WL_ETOOBIG,
				    WL_EEXIST, WL_EDENIED};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_non_null(wl_keys_password_problem(codes[i]));
	assert_null(wl_keys_password_problem(0));
	assert_null(wl_keys_password_problem(WL_EAUTH));
	assert_non_null(strstr(wl_keys_password_problem(WL_ETRUNC), "8"));
	assert_non_null(strstr(wl_keys_password_problem(WL_ETOOBIG), "128"));
}

struct pin_case {
	const char *pin;
	int rc;
};

static void pin_rules(void **state)
{
	static const struct pin_case cases[] = {
		{"2468", 0},
		{"1357", 0},
		{"0852", 0},
		{"1234", WL_EDENIED},
		{"4321", WL_EDENIED},
		{"0000", WL_EDENIED},
		{"9999", WL_EDENIED},
		{"5555555", WL_EDENIED},
		{"12345678", WL_EDENIED},
		{"87654321", WL_EDENIED},
		{"7890", WL_EDENIED},
		{"8901", WL_EDENIED},
		{"2109", WL_EDENIED},
		{"1212", WL_EDENIED},
		{"696969", WL_EDENIED},
		{"12121", 0}, /* the pair does not fill the PIN */
		{"1231", 0},
		{"90817", 0},
		{"73915062", 0},
		{"123", WL_ETRUNC},
		{"", WL_ETRUNC},
		{"735", WL_ETRUNC},
		{"739150628", WL_ETOOBIG},
		{"7391506281234", WL_ETOOBIG},
		{"12a4", WL_EINVAL},
		{" 2468", WL_EINVAL},
		{"2468 ", WL_EINVAL},
		/* Arabic-Indic digits 1234 */
		{"\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", WL_EINVAL},
		{NULL, WL_EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = wl_keys_pin_check(cases[i].pin);

		if (rc != cases[i].rc)
			print_error("case %zu \"%s\": got %d, expected %d\n", i,
				    cases[i].pin ? cases[i].pin : "(null)", rc,
				    cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
	}
	assert_non_null(wl_keys_pin_problem(WL_EDENIED));
	assert_non_null(strstr(wl_keys_pin_problem(WL_ETRUNC), "4"));
	assert_null(wl_keys_pin_problem(0));
}

static void username_and_display_name(void **state)
{
	(void)state;
	assert_int_equal(wl_keys_username_check("a"), 0);
	assert_int_equal(wl_keys_username_check("m.garcia-lopez_2"), 0);
	assert_int_equal(
		wl_keys_username_check("abcdefghijklmnopqrstuvwxyz012345"), 0);
	assert_int_equal(
		wl_keys_username_check("abcdefghijklmnopqrstuvwxyz0123456"),
		WL_EINVAL);
	assert_int_equal(wl_keys_username_check(""), WL_EINVAL);
	assert_int_equal(wl_keys_username_check("1nurse"), WL_EINVAL);
	assert_int_equal(wl_keys_username_check(".nurse"), WL_EINVAL);
	assert_int_equal(wl_keys_username_check("Nurse"), WL_EINVAL);
	assert_int_equal(wl_keys_username_check("nurse one"), WL_EINVAL);
	assert_int_equal(wl_keys_username_check("nurse@ward"), WL_EINVAL);
	assert_int_equal(wl_keys_username_check(NULL), WL_EINVAL);

	assert_int_equal(
		wl_keys_display_name_check("Dr. Mar\xc3\xad" "a O'Neil"), 0);
	assert_int_equal(wl_keys_display_name_check(""), WL_EINVAL);
	assert_int_equal(wl_keys_display_name_check("line\nbreak"), WL_EINVAL);
	assert_int_equal(wl_keys_display_name_check("bad \xc3"), WL_EINVAL);
	assert_int_equal(wl_keys_display_name_check(NULL), WL_EINVAL);
}

/* A disabled account carries "disabled":true and keeps it through a round
 * trip; an enabled one has no such member, and "disabled":false is not a
 * second encoding of it. */
static void bundle_disabled_member(void **state)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	struct wl_keys_bundle b;
	struct wl_keys_bundle back;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX + 32];
	size_t len = 0;
	const char *field = NULL;
	char *at;

	(void)state;
	assert_int_equal(wl_keys_user_new(NULL, "nina", "Nina",
					  WL_ROLE_NURSE, "correct horse battery",
					  &cost, &b, NULL), 0);
	assert_int_equal(wl_keys_bundle_encode(&b, json, sizeof(json), &len),
			 0);
	assert_null(memmem(json, len, "disabled", 8));

	b.disabled = 1;
	assert_int_equal(wl_keys_bundle_encode(&b, json, sizeof(json), &len),
			 0);
	assert_non_null(memmem(json, len, "\"disabled\":true", 15));
	assert_int_equal(wl_keys_bundle_decode(json, len, &back, NULL), 0);
	assert_int_equal(back.disabled, 1);

	at = memmem(json, len, "true", 4);
	memmove(at + 5, at + 4, len - (size_t)(at + 4 - (char *)json));
	memcpy(at, "false", 5);
	assert_int_equal(wl_keys_bundle_decode(json, len + 1, &back, &field),
			 WL_EINVAL);
	assert_string_equal(field, "disabled");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(user_new_keys_work),
		cmocka_unit_test(bundle_disabled_member),
		cmocka_unit_test(user_new_fresh_values),
		cmocka_unit_test(user_new_given_id),
		cmocka_unit_test(user_new_invalid_args),
		cmocka_unit_test(unwrap_round_trip),
		cmocka_unit_test(unwrap_wrong_password),
		cmocka_unit_test(unwrap_tampered_blob),
		cmocka_unit_test(unwrap_bound_to_identity),
		cmocka_unit_test(unwrap_cost_bounds),
		cmocka_unit_test(rewrap_changes_password),
		cmocka_unit_test(rewrap_rejects_other_secret),
		cmocka_unit_test(bundle_json_round_trip),
		cmocka_unit_test(bundle_json_worst_case),
		cmocka_unit_test(bundle_encode_invalid),
		cmocka_unit_test(bundle_decode_missing_members),
		cmocka_unit_test(bundle_decode_wrong_types),
		cmocka_unit_test(bundle_decode_bad_values),
		cmocka_unit_test(bundle_decode_bad_base64),
		cmocka_unit_test(bundle_decode_bad_documents),
		cmocka_unit_test(envelope_seal_open),
		cmocka_unit_test(envelope_wrong_recipient),
		cmocka_unit_test(envelope_swapped_header),
		cmocka_unit_test(envelope_tampered),
		cmocka_unit_test(envelope_epoch_rotation),
		cmocka_unit_test(envelope_seal_bad_key),
		cmocka_unit_test(envelope_json_round_trip),
		cmocka_unit_test(envelope_decode_malformed),
		cmocka_unit_test(password_rules),
		cmocka_unit_test(password_length_limits),
		cmocka_unit_test(password_blocklist_entries),
		cmocka_unit_test(password_problem_texts),
		cmocka_unit_test(pin_rules),
		cmocka_unit_test(username_and_display_name),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
