/* Unit tests of audit records: the strict JSON encoding, the key pair of an
 * audit epoch, and sealing a record to the audit public key with the event
 * header as associated data. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "wardline/audit.h"
#include "wardline/error.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const record_members[] = {
	"action", "at_ms", "detail", "emergency", "outcome", "patient",
	"space",  "user",  "username", "v",
};

/* A record with every field set. */
static void full_record(struct wl_audit_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->action, "grant_emergency_access");
	strcpy(r->outcome, "ok");
	r->has_user = 1;
	for (int i = 0; i < 16; i++)
		r->user[i] = (unsigned char)(0xa0 + i);
	strcpy(r->username, "nurse.jones");
	r->has_space = 1;
	for (int i = 0; i < 16; i++)
		r->space[i] = (unsigned char)(0x10 + i);
	strcpy(r->patient, "MRN-0012345");
	strcpy(r->detail, "reason: \"cardiac arrest\", bed 4 \\ caf\xc3\xa9");
	r->emergency = 1;
	r->at_ms = 1796400000123ull;
}

/* A record with only the required fields. */
static void minimal_record(struct wl_audit_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->action, "login_failed");
	strcpy(r->outcome, "failed");
}

static void assert_record_equal(const struct wl_audit_record *a,
				const struct wl_audit_record *b)
{
	assert_string_equal(a->action, b->action);
	assert_string_equal(a->outcome, b->outcome);
	assert_int_equal(a->has_user, b->has_user);
	assert_memory_equal(a->user, b->user, sizeof(a->user));
	assert_string_equal(a->username, b->username);
	assert_int_equal(a->has_space, b->has_space);
	assert_memory_equal(a->space, b->space, sizeof(a->space));
	assert_string_equal(a->patient, b->patient);
	assert_string_equal(a->detail, b->detail);
	assert_int_equal(a->emergency, b->emergency);
	assert_true(a->at_ms == b->at_ms);
}

/* Encode R, load it as jansson JSON, let CHANGE edit it, dump it again
 * into BUF and return the length. */
static size_t edited(const struct wl_audit_record *r,
		     void (*change)(json_t *o, const void *arg),
		     const void *arg, unsigned char *buf, size_t size)
{
	unsigned char json[WL_AUDIT_JSON_MAX];
	json_error_t error;
	size_t len = 0;
	json_t *o;

	assert_int_equal(wl_audit_record_encode(r, json, sizeof(json), &len),
			 0);
	o = json_loadb((const char *)json, len, 0, &error);
	assert_non_null(o);
	change(o, arg);
	len = json_dumpb(o, (char *)buf, size, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_true(len > 0 && len <= size);
	return len;
}

static void delete_member(json_t *o, const void *arg)
{
	assert_int_equal(json_object_del(o, arg), 0);
}

/* A member name and the value to set it to, which set_member takes. */
struct member_value {
	const char *name;
	json_t *value;
};

static void set_member(json_t *o, const void *arg)
{
	const struct member_value *mv = arg;

	assert_int_equal(json_object_set_new(o, mv->name, mv->value), 0);
}

/* Decode the full record with member NAME set to VALUE (taken). Returns
 * the decode code and stores the field at fault in *FIELD. */
static int decode_with(const char *name, json_t *value, const char **field)
{
	struct wl_audit_record r;
	struct wl_audit_record out;
	struct member_value mv = {name, value};
	unsigned char buf[WL_AUDIT_JSON_MAX];
	size_t len;

	full_record(&r);
	len = edited(&r, set_member, &mv, buf, sizeof(buf));
	*field = "unset";
	return wl_audit_record_decode(buf, len, &out, field);
}

/* A record with every field set survives encode and decode unchanged. */
static void record_round_trip_full(void **state)
{
	struct wl_audit_record r;
	struct wl_audit_record out;
	unsigned char buf[WL_AUDIT_JSON_MAX];
	const char *field = "unset";
	size_t len = 0;

	(void)state;
	full_record(&r);
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len), 0);
	assert_true(len > 0 && len <= sizeof(buf));

	memset(&out, 0x55, sizeof(out));
	assert_int_equal(wl_audit_record_decode(buf, len, &out, &field), 0);
	assert_null(field);
	assert_record_equal(&out, &r);
}

/* Empty optional fields encode as empty strings, false and 0, in the
 * documented key order, and decode back to "absent". */
static void record_round_trip_empty(void **state)
{
	static const char expected[] =
		"{\"action\":\"login_failed\",\"at_ms\":0,\"detail\":\"\","
		"\"emergency\":false,\"outcome\":\"failed\",\"patient\":\"\","
		"\"space\":\"\",\"user\":\"\",\"username\":\"\",\"v\":1}";
	struct wl_audit_record r;
	struct wl_audit_record out;
	unsigned char buf[WL_AUDIT_JSON_MAX];
	const char *field = "unset";
	size_t len = 0;

	(void)state;
	minimal_record(&r);
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(buf, expected, len);

	memset(&out, 0x55, sizeof(out));
	assert_int_equal(wl_audit_record_decode(buf, len, &out, &field), 0);
	assert_null(field);
	assert_int_equal(out.has_user, 0);
	assert_int_equal(out.has_space, 0);
	assert_int_equal(out.emergency, 0);
	assert_record_equal(&out, &r);
}

/* The encoder rejects what the decoder would: an empty action or outcome,
 * control characters, invalid UTF-8 and a time above INT64_MAX. A buffer
 * one byte short is WL_ETOOBIG. */
static void record_encode_rejects(void **state)
{
	struct wl_audit_record r;
	unsigned char buf[WL_AUDIT_JSON_MAX];
	size_t len = 0;

	(void)state;
	minimal_record(&r);
	r.action[0] = '\0';
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	r.outcome[0] = '\0';
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	strcpy(r.detail, "line one\nline two");
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	strcpy(r.outcome, "ok\x1b[2J");
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	strcpy(r.username, "caf\xe9");
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	r.at_ms = (uint64_t)INT64_MAX + 1;
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len),
			 WL_EINVAL);

	minimal_record(&r);
	r.at_ms = (uint64_t)INT64_MAX;
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len), 0);
	assert_int_equal(wl_audit_record_encode(&r, buf, len - 1, &len),
			 WL_ETOOBIG);
}

/* A member outside the record's names is WL_EINVAL, with no field to
 * name. */
static void record_decode_unknown_member(void **state)
{
	const char *field = NULL;

	(void)state;
	assert_int_equal(decode_with("ward", json_string("4 west"), &field),
			 WL_EINVAL);
	assert_null(field);
}

/* Removing any one member makes the record incomplete: WL_ETRUNC naming
 * that member. */
static void record_decode_missing_members(void **state)
{
	struct wl_audit_record r;
	struct wl_audit_record out;
	unsigned char buf[WL_AUDIT_JSON_MAX];

	(void)state;
	full_record(&r);
	for (size_t i = 0; i < COUNT(record_members); i++) {
		const char *field = NULL;
		size_t len = edited(&r, delete_member, record_members[i], buf,
				    sizeof(buf));

		assert_int_equal(wl_audit_record_decode(buf, len, &out, &field),
				 WL_ETRUNC);
		assert_non_null(field);
		assert_string_equal(field, record_members[i]);
	}
}

/* Version 2 is WL_EVERSION and a version that is not an integer
 * WL_EINVAL. */
static void record_decode_wrong_version(void **state)
{
	const char *field = NULL;

	(void)state;
	assert_int_equal(decode_with("v", json_integer(2), &field),
			 WL_EVERSION);
	assert_string_equal(field, "v");
	assert_int_equal(decode_with("v", json_integer(0), &field),
			 WL_EVERSION);
	assert_string_equal(field, "v");
	assert_int_equal(decode_with("v", json_string("1"), &field),
			 WL_EINVAL);
	assert_string_equal(field, "v");
}

/* An id is "" or the padded base64 of exactly 16 bytes. Anything else is
 * WL_EINVAL naming the id. */
static void record_decode_bad_ids(void **state)
{
	static const char *const bad[] = {
		"AAECAwQFBgcICQoLDA0ODw",     /* padding missing */
		"AAECAwQFBgcICQoLDA0ODx==",   /* trailing bits not zero */
		"AAECAwQFBgcICQoLDA0O",       /* 15 bytes */
		"AAECAwQFBgcICQoLDA0ODxA=",   /* 17 bytes */
		"AAECAwQFBgcICQoLDA0OD w==",  /* embedded space */
		"AAECAwQFBgcICQoLDA0ODw==\n", /* trailing newline */
		"AAECAwQFBgcICQoLDA0O-_==",   /* URL-safe alphabet */
		" ",
	};
	const char *field = NULL;

	(void)state;
	for (size_t i = 0; i < COUNT(bad); i++) {
		assert_int_equal(decode_with("user", json_string(bad[i]),
					     &field),
				 WL_EINVAL);
		assert_string_equal(field, "user");
		assert_int_equal(decode_with("space", json_string(bad[i]),
					     &field),
				 WL_EINVAL);
		assert_string_equal(field, "space");
	}

	assert_int_equal(decode_with("user", json_integer(0), &field),
			 WL_EINVAL);
	assert_string_equal(field, "user");
	assert_int_equal(decode_with("space", json_null(), &field), WL_EINVAL);
	assert_string_equal(field, "space");

	/* The canonical encoding of 00 01 .. 0f is accepted. */
	assert_int_equal(decode_with("user",
				     json_string("AAECAwQFBgcICQoLDA0ODw=="),
				     &field),
			 0);
	assert_null(field);
}

/* An empty action is WL_EINVAL naming "action". */
static void record_decode_empty_action(void **state)
{
	const char *field = NULL;

	(void)state;
	assert_int_equal(decode_with("action", json_string(""), &field),
			 WL_EINVAL);
	assert_string_equal(field, "action");
}

/* Members of the wrong type or out of range are rejected: emergency must
 * be a boolean, at_ms an integer from 0 to INT64_MAX, text fits its
 * field. */
static void record_decode_types_and_ranges(void **state)
{
	char long_action[WL_AUDIT_ACTION_MAX + 2];
	const char *field = NULL;

	(void)state;
	assert_int_equal(decode_with("emergency", json_string("true"), &field),
			 WL_EINVAL);
	assert_string_equal(field, "emergency");
	assert_int_equal(decode_with("emergency", json_integer(1), &field),
			 WL_EINVAL);
	assert_string_equal(field, "emergency");

	assert_int_equal(decode_with("at_ms", json_integer(-1), &field),
			 WL_ERANGE);
	assert_string_equal(field, "at_ms");
	assert_int_equal(decode_with("at_ms", json_real(1.5), &field),
			 WL_EINVAL);
	assert_string_equal(field, "at_ms");

	memset(long_action, 'a', sizeof(long_action) - 1);
	long_action[sizeof(long_action) - 1] = '\0';
	assert_int_equal(decode_with("action", json_string(long_action),
				     &field),
			 WL_ETOOBIG);
	assert_string_equal(field, "action");
	long_action[WL_AUDIT_ACTION_MAX] = '\0';
	assert_int_equal(decode_with("action", json_string(long_action),
				     &field),
			 0);

	assert_int_equal(decode_with("detail", json_string("tab\there"),
				     &field),
			 WL_EINVAL);
}

/* Input above WL_AUDIT_JSON_MAX bytes is WL_ETOOBIG. Trailing bytes and a
 * non-object are WL_EINVAL. A NULL FIELD is allowed. */
static void record_decode_bounds(void **state)
{
	static unsigned char big[WL_AUDIT_JSON_MAX + 1];
	struct wl_audit_record r;
	struct wl_audit_record out;
	unsigned char buf[WL_AUDIT_JSON_MAX + 1];
	size_t len = 0;

	(void)state;
	memset(big, ' ', sizeof(big));
	assert_int_equal(wl_audit_record_decode(big, sizeof(big), &out, NULL),
			 WL_ETOOBIG);

	minimal_record(&r);
	assert_int_equal(wl_audit_record_encode(&r, buf, sizeof(buf), &len), 0);
	buf[len] = 'x';
	assert_int_equal(wl_audit_record_decode(buf, len + 1, &out, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_audit_record_decode((const unsigned char *)"[]", 2,
						&out, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_audit_record_decode(buf, len, &out, NULL), 0);
}

/* The decoder rejects an outcome with a control character, as the encoder
 * does, because a terminal escape in an audit record would reach the
 * terminal of anyone who prints the trail. */
static void record_decode_outcome_control(void **state)
{
	const char *field = NULL;

	(void)state;
	assert_int_equal(decode_with("outcome", json_string("ok\x1b[2J"),
				     &field),
			 WL_EINVAL);
	assert_string_equal(field, "outcome");
}

/* When a text member fails the text rules, FIELD names that member and not
 * some other one. Every misnamed case is printed before the test fails. */
static void record_decode_names_bad_text(void **state)
{
	static const struct {
		const char *name;
		const char *value;
	} cases[] = {
		{"outcome", ""},
		{"detail", "bell\x07"},
		{"username", "esc\x1b"},
		{"patient", "nel\xc2\x85"},
	};
	const char *field = NULL;
	int misnamed = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		assert_int_equal(decode_with(cases[i].name,
					     json_string(cases[i].value),
					     &field),
				 WL_EINVAL);
		assert_non_null(field);
		if (strcmp(field, cases[i].name) != 0) {
			print_error("bad %s reported as field \"%s\"\n",
				    cases[i].name, field);
			misnamed++;
		}
	}
	assert_int_equal(misnamed, 0);
}

/* The key pair depends only on the space key: the same key gives the same
 * pair, another key another pair, and the public key belongs to the secret
 * one. */
static void keypair_deterministic(void **state)
{
	unsigned char key1[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char key2[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char pk1[32], sk1[32], pk1b[32], sk1b[32], pk2[32], sk2[32];
	unsigned char derived[32];

	(void)state;
	memset(key1, 0x11, sizeof(key1));
	memcpy(key2, key1, sizeof(key2));
	key2[31] ^= 0x01;

	wl_audit_keypair(key1, pk1, sk1);
	wl_audit_keypair(key1, pk1b, sk1b);
	assert_memory_equal(pk1, pk1b, 32);
	assert_memory_equal(sk1, sk1b, 32);

	wl_audit_keypair(key2, pk2, sk2);
	assert_memory_not_equal(pk1, pk2, 32);
	assert_memory_not_equal(sk1, sk2, 32);

	assert_int_equal(crypto_scalarmult_base(derived, sk1), 0);
	assert_memory_equal(derived, pk1, 32);

	/* The secret key is not the space key itself. */
	assert_memory_not_equal(sk1, key1, 32);
}

/* A header for an audit event carrying a sealed body of PLAIN_LEN
 * plaintext bytes. */
static void audit_header(struct wl_event_header *h, size_t plain_len)
{
	memset(h, 0, sizeof(*h));
	h->version = WL_EVENT_VERSION;
	h->kind = WL_KIND_AUDIT;
	h->flags = WL_EVENT_F_ENCRYPTED;
	memset(h->origin, 0x0a, sizeof(h->origin));
	h->seq = 1;
	h->hlc = (1796400000000ull << 16) | 7;
	memset(h->space, 0x5a, sizeof(h->space));
	h->epoch = 3;
	h->body_len = (uint32_t)(plain_len + WL_AUDIT_SEAL_OVERHEAD);
}

/* Shared state of the seal tests: a space key, its public audit key, a
 * header and one sealed record. */
struct sealed {
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char pk[32];
	unsigned char sk[32];
	struct wl_event_header h;
	unsigned char plain[WL_AUDIT_JSON_MAX];
	size_t plain_len;
	unsigned char body[WL_AUDIT_JSON_MAX + WL_AUDIT_SEAL_OVERHEAD];
	size_t body_len;
};

static void seal_record(struct sealed *s)
{
	struct wl_audit_record r;

	memset(s, 0, sizeof(*s));
	randombytes_buf(s->key, sizeof(s->key));
	wl_audit_keypair(s->key, s->pk, s->sk);
	full_record(&r);
	assert_int_equal(wl_audit_record_encode(&r, s->plain, sizeof(s->plain),
						&s->plain_len),
			 0);
	audit_header(&s->h, s->plain_len);
	assert_int_equal(wl_audit_seal(s->pk, &s->h, s->plain, s->plain_len,
				       s->body),
			 0);
	s->body_len = s->plain_len + WL_AUDIT_SEAL_OVERHEAD;
}

/* Open BODY of LEN bytes under header H and KEY and return the code. */
static int try_open(const struct wl_event_header *h,
		    const unsigned char *key, const unsigned char *body,
		    size_t len)
{
	unsigned char out[WL_AUDIT_JSON_MAX];
	size_t outlen = 0;

	return wl_audit_open(h, key, body, len, out, &outlen);
}

/* A sealed record opens under the space key of its epoch, gives back the
 * plaintext, and decodes to the record. */
static void seal_open_round_trip(void **state)
{
	static struct sealed s;
	struct wl_audit_record r;
	struct wl_audit_record out;
	unsigned char plain[WL_AUDIT_JSON_MAX];
	size_t plain_len = 0;

	(void)state;
	seal_record(&s);
	assert_int_equal(wl_audit_open(&s.h, s.key, s.body, s.body_len, plain,
				       &plain_len),
			 0);
	assert_int_equal(plain_len, s.plain_len);
	assert_memory_equal(plain, s.plain, plain_len);

	/* The body is not the plaintext in the clear. */
	assert_null(memmem(s.body, s.body_len, "nurse.jones", 11));

	assert_int_equal(wl_audit_record_decode(plain, plain_len, &out, NULL),
			 0);
	full_record(&r);
	assert_record_equal(&out, &r);
}

/* An empty plaintext seals to exactly the overhead and opens to nothing. */
static void seal_open_empty(void **state)
{
	unsigned char key[WL_KEYS_SPACE_KEY_SIZE];
	unsigned char pk[32], sk[32];
	unsigned char body[WL_AUDIT_SEAL_OVERHEAD];
	unsigned char out[1];
	struct wl_event_header h;
	size_t outlen = 99;

	(void)state;
	memset(key, 0x42, sizeof(key));
	wl_audit_keypair(key, pk, sk);
	audit_header(&h, 0);
	assert_int_equal(wl_audit_seal(pk, &h, (const unsigned char *)"", 0,
				       body),
			 0);
	assert_int_equal(wl_audit_open(&h, key, body, sizeof(body), out,
				       &outlen),
			 0);
	assert_int_equal(outlen, 0);
}

/* Every seal uses a new ephemeral key and nonce, so sealing the same
 * record twice gives different bodies that both open. */
static void seal_is_randomized(void **state)
{
	static struct sealed s;
	unsigned char again[WL_AUDIT_JSON_MAX + WL_AUDIT_SEAL_OVERHEAD];

	(void)state;
	seal_record(&s);
	assert_int_equal(wl_audit_seal(s.pk, &s.h, s.plain, s.plain_len, again),
			 0);
	assert_memory_not_equal(again, s.body, 32);
	assert_memory_not_equal(again + 32, s.body + 32, 24);
	assert_memory_not_equal(again + 56, s.body + 56, s.body_len - 56);
	assert_int_equal(try_open(&s.h, s.key, again, s.body_len), 0);
	assert_int_equal(try_open(&s.h, s.key, s.body, s.body_len), 0);
}

/* The space key of another epoch does not open the record. */
static void open_wrong_epoch_key(void **state)
{
	static struct sealed s;
	unsigned char other[WL_KEYS_SPACE_KEY_SIZE];

	(void)state;
	seal_record(&s);
	memcpy(other, s.key, sizeof(other));
	other[0] ^= 0x01;
	assert_int_equal(try_open(&s.h, other, s.body, s.body_len), WL_EAUTH);

	randombytes_buf(other, sizeof(other));
	assert_int_equal(try_open(&s.h, other, s.body, s.body_len), WL_EAUTH);

	/* The secret half of the audit key pair is not a space key. */
	assert_int_equal(try_open(&s.h, s.sk, s.body, s.body_len), WL_EAUTH);
	assert_int_equal(try_open(&s.h, s.key, s.body, s.body_len), 0);
}

/* Flipping the low or the high bit of any single byte of the sealed body
 * (ephemeral key, nonce, ciphertext or tag) makes opening fail. The high
 * bit of the ephemeral key's last byte is ignored by X25519 itself, so
 * only hashing the key into the record key catches that flip. */
static void open_flipped_byte(void **state)
{
	static const unsigned char masks[] = {0x01, 0x80};
	static struct sealed s;

	(void)state;
	seal_record(&s);
	for (size_t m = 0; m < COUNT(masks); m++) {
		for (size_t i = 0; i < s.body_len; i++) {
			s.body[i] ^= masks[m];
			if (try_open(&s.h, s.key, s.body, s.body_len) !=
			    WL_EAUTH)
				fail_msg("byte %zu with mask 0x%02x opened", i,
					 masks[m]);
			s.body[i] ^= masks[m];
		}
	}
	assert_int_equal(try_open(&s.h, s.key, s.body, s.body_len), 0);
}

/* Every header field inside bytes 0 to 139 is associated data: changing
 * any of them makes opening fail. The body hash (bytes 140 to 171) is
 * computed over the sealed body, so it is not. */
static void open_header_changed(void **state)
{
	static struct sealed s;
	struct wl_event_header h;

	(void)state;
	seal_record(&s);

	h = s.h;
	h.version++;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.kind = WL_KIND_MESSAGE;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.flags |= WL_EVENT_F_AUTHOR;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.origin[31] ^= 0x01;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.seq = 2;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.prev[0] = 0x01;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.hlc++;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.space[0] ^= 0x01;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.epoch = 4;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.author[0] = 0x01;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);
	h = s.h;
	h.body_len++;
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), WL_EAUTH);

	h = s.h;
	memset(h.body_hash, 0xff, sizeof(h.body_hash));
	assert_int_equal(try_open(&h, s.key, s.body, s.body_len), 0);
}

/* A body shorter than the overhead is WL_ETRUNC. A body that only cuts
 * the tag short fails authentication. */
static void open_short_body(void **state)
{
	static struct sealed s;

	(void)state;
	seal_record(&s);
	for (size_t len = 0; len < WL_AUDIT_SEAL_OVERHEAD; len++)
		assert_int_equal(try_open(&s.h, s.key, s.body, len), WL_ETRUNC);
	assert_int_equal(try_open(&s.h, s.key, s.body, WL_AUDIT_SEAL_OVERHEAD),
			 WL_EAUTH);
	assert_int_equal(try_open(&s.h, s.key, s.body, s.body_len - 1),
			 WL_EAUTH);
}

/* wl_audit_seal rejects a header whose body_len is not the plaintext
 * length plus the overhead, and an audit key that is a low-order point. */
static void seal_rejects(void **state)
{
	static const unsigned char zero_pk[32];
	static struct sealed s;
	unsigned char out[WL_AUDIT_JSON_MAX + WL_AUDIT_SEAL_OVERHEAD + 1];
	struct wl_event_header h;

	(void)state;
	seal_record(&s);

	h = s.h;
	h.body_len--;
	assert_int_equal(wl_audit_seal(s.pk, &h, s.plain, s.plain_len, out),
			 WL_EINVAL);
	h.body_len += 2;
	assert_int_equal(wl_audit_seal(s.pk, &h, s.plain, s.plain_len, out),
			 WL_EINVAL);
	h.body_len = (uint32_t)s.plain_len;
	assert_int_equal(wl_audit_seal(s.pk, &h, s.plain, s.plain_len, out),
			 WL_EINVAL);

	assert_int_equal(wl_audit_seal((void *)zero_pk, &s.h, s.plain,
				       s.plain_len, out),
			 WL_EINVAL);
}

/* The header check accepts a node-written, sealed event of the audit
 * space at an epoch that exists, and names each other case by its code. */
static void check_header_cases(void **state)
{
	unsigned char audit_id[WL_KEYS_SPACE_ID_SIZE];
	struct wl_event_header h;

	(void)state;
	memset(audit_id, 0x5a, sizeof(audit_id));
	audit_header(&h, 10);
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), 0);
	assert_int_equal(wl_audit_check_header(&h, audit_id, 9), 0);

	h.flags |= WL_EVENT_F_AUTHOR;
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_EAUTH);

	audit_header(&h, 10);
	h.flags = 0;
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_EFLAGS);

	audit_header(&h, 10);
	h.space[15] ^= 0x01;
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_EINVAL);

	audit_header(&h, 10);
	h.epoch = 4;
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_ERANGE);
	h.epoch = 0;
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_ERANGE);

	/* The shortest record is "{}", two bytes. */
	audit_header(&h, 1);
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), WL_ETRUNC);
	audit_header(&h, 2);
	assert_int_equal(wl_audit_check_header(&h, audit_id, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_round_trip_full),
		cmocka_unit_test(record_round_trip_empty),
		cmocka_unit_test(record_encode_rejects),
		cmocka_unit_test(record_decode_unknown_member),
		cmocka_unit_test(record_decode_missing_members),
		cmocka_unit_test(record_decode_wrong_version),
		cmocka_unit_test(record_decode_bad_ids),
		cmocka_unit_test(record_decode_empty_action),
		cmocka_unit_test(record_decode_types_and_ranges),
		cmocka_unit_test(record_decode_bounds),
		cmocka_unit_test(record_decode_outcome_control),
		cmocka_unit_test(record_decode_names_bad_text),
		cmocka_unit_test(keypair_deterministic),
		cmocka_unit_test(seal_open_round_trip),
		cmocka_unit_test(seal_open_empty),
		cmocka_unit_test(seal_is_randomized),
		cmocka_unit_test(open_wrong_epoch_key),
		cmocka_unit_test(open_flipped_byte),
		cmocka_unit_test(open_header_changed),
		cmocka_unit_test(open_short_body),
		cmocka_unit_test(seal_rejects),
		cmocka_unit_test(check_header_cases),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
