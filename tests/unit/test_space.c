/* Unit tests of spaces: the membership change encoding, sealed grant
 * reasons, and the fold of membership and key envelope events, appended to
 * a real store in a temporary directory, into members, epochs, grants and
 * accepted envelopes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "testutil.h"
#include "wardline/access.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/space.h"
#include "wardline/users.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define PASSWORD "correct horse battery"
#define REASON "Cardiac arrest in bed 4; covering until the team arrives"
#define MINUTE_MS (60ull * 1000)

static const unsigned char ward_id[16] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
static const unsigned char direct_id[16] = {
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};
static const unsigned char user_a[16] = {
	0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
	0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
};
static const unsigned char user_b[16] = {
	0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2,
	0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2, 0xb2,
};

/* ---- membership changes ---- */

static void create_change(struct wl_space_change *c,
			  const unsigned char space[16],
			  enum wl_space_kind kind, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->op = WL_SPACE_OP_CREATE;
	memcpy(c->space_id, space, 16);
	c->epoch = 1;
	c->kind = kind;
	strcpy(c->name, name);
}

static void create_add_member(struct wl_space_change *c,
			      const unsigned char user[16])
{
	memcpy(c->members[c->n_members++], user, 16);
}

/* An add, remove, grant or rotate change. USER is NULL for a rotate. */
static void member_change(struct wl_space_change *c, enum wl_space_op op,
			  const unsigned char space[16], uint32_t epoch,
			  const unsigned char *user)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	memcpy(c->space_id, space, 16);
	c->epoch = epoch;
	if (user != NULL)
		memcpy(c->user, user, 16);
}

static void assert_change_equal(const struct wl_space_change *a,
				const struct wl_space_change *b)
{
	assert_int_equal(a->op, b->op);
	assert_memory_equal(a->space_id, b->space_id, 16);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->n_members, b->n_members);
	for (size_t i = 0; i < a->n_members; i++)
		assert_memory_equal(a->members[i], b->members[i], 16);
	assert_memory_equal(a->user, b->user, 16);
	assert_int_equal(a->has_audit_pk, b->has_audit_pk);
	assert_memory_equal(a->audit_pk, b->audit_pk, 32);
	assert_true(a->expires_ms == b->expires_ms);
	assert_int_equal(a->reason_len, b->reason_len);
	assert_memory_equal(a->reason_box, b->reason_box, a->reason_len);
}

/* Encode C, decode the result into *OUT and check that nothing changed. */
static void round_trip(const struct wl_space_change *c,
		       struct wl_space_change *out)
{
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	const char *field = "unset";
	size_t len = 0;

	assert_int_equal(wl_space_change_encode(c, buf, sizeof(buf), &len), 0);
	assert_true(len > 0 && len <= sizeof(buf));
	memset(out, 0x55, sizeof(*out));
	assert_int_equal(wl_space_change_decode(buf, len, out, &field), 0);
	assert_null(field);
	assert_change_equal(out, c);
}

/* Encode C, set member NAME of its JSON to VALUE and decode the result.
 * The JSON takes VALUE, and a NULL VALUE deletes the member. Returns the
 * decode code and stores the member at fault in *FIELD. */
static int decode_edited(const struct wl_space_change *c, const char *name,
			 json_t *value, const char **field)
{
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_space_change out;
	json_error_t error;
	size_t len = 0;
	json_t *o;

	assert_int_equal(wl_space_change_encode(c, buf, sizeof(buf), &len), 0);
	o = json_loadb((const char *)buf, len, 0, &error);
	assert_non_null(o);
	if (value == NULL)
		assert_int_equal(json_object_del(o, name), 0);
	else
		assert_int_equal(json_object_set_new(o, name, value), 0);
	len = json_dumpb(o, (char *)buf, sizeof(buf),
			 JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_true(len > 0 && len <= sizeof(buf));

	*field = "unset";
	return wl_space_change_decode(buf, len, &out, field);
}

static json_t *b64_json(const unsigned char *bin, size_t len)
{
	char text[128];

	assert_true(len <= 64);
	sodium_bin2base64(text, sizeof(text), bin, len,
			  sodium_base64_VARIANT_ORIGINAL);
	return json_string(text);
}

/* A grant of user A in the ward at epoch 1, with REASON sealed under
 * KEY. */
static void grant_change(struct wl_space_change *c,
			 const unsigned char key[32])
{
	member_change(c, WL_SPACE_OP_GRANT, ward_id, 1, user_a);
	c->expires_ms = 1796400000000ull + 30 * MINUTE_MS;
	assert_int_equal(wl_space_reason_seal(c, key, REASON), 0);
}

/* A create with its kind, name and members survives encode and decode. */
static void change_round_trip_create(void **state)
{
	struct wl_space_change c;
	struct wl_space_change out;

	(void)state;
	create_change(&c, ward_id, WL_SPACE_WARD, "4 West");
	create_add_member(&c, user_a);
	create_add_member(&c, user_b);
	round_trip(&c, &out);
	assert_int_equal(out.n_members, 2);
	assert_string_equal(out.name, "4 West");
	assert_int_equal(out.kind, WL_SPACE_WARD);

	/* A direct space has no name, a mailbox may have no members. */
	create_change(&c, direct_id, WL_SPACE_DIRECT, "");
	create_add_member(&c, user_a);
	round_trip(&c, &out);
	create_change(&c, direct_id, WL_SPACE_ROLE_MAILBOX, "Pharmacy");
	round_trip(&c, &out);
	assert_int_equal(out.n_members, 0);
	assert_int_equal(out.kind, WL_SPACE_ROLE_MAILBOX);
}

/* Add, remove and rotate survive encode and decode, and a rotate encodes
 * as exactly the four common members. */
static void change_round_trip_member_ops(void **state)
{
	static const char rotate_json[] =
		"{\"epoch\":2,\"op\":\"rotate\","
		"\"space_id\":\"EREREREREREREREREREREQ==\",\"v\":1}";
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_space_change c;
	struct wl_space_change out;
	size_t len = 0;

	(void)state;
	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	round_trip(&c, &out);
	assert_int_equal(out.op, WL_SPACE_OP_ADD);

	member_change(&c, WL_SPACE_OP_REMOVE, ward_id, 2, user_b);
	round_trip(&c, &out);
	assert_int_equal(out.op, WL_SPACE_OP_REMOVE);
	assert_int_equal(out.epoch, 2);

	member_change(&c, WL_SPACE_OP_ROTATE, ward_id, 2, NULL);
	round_trip(&c, &out);
	assert_int_equal(out.op, WL_SPACE_OP_ROTATE);
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(rotate_json));
	assert_memory_equal(buf, rotate_json, len);

	assert_string_equal(wl_space_op_name(WL_SPACE_OP_GRANT), "grant");
	assert_null(wl_space_op_name(WL_SPACE_OP_COUNT));
}

/* A grant with a sealed reason survives encode and decode, and the
 * decoded reason opens to the text. */
static void change_round_trip_grant(void **state)
{
	unsigned char key[32];
	char reason[WL_ACCESS_REASON_BYTES + 1];
	struct wl_space_change c;
	struct wl_space_change out;

	(void)state;
	memset(key, 0x33, sizeof(key));
	grant_change(&c, key);
	round_trip(&c, &out);
	assert_true(out.expires_ms == c.expires_ms);
	assert_int_equal(wl_space_reason_open(&out, key, reason), 0);
	assert_string_equal(reason, REASON);
}

/* The audit space's create and rotate carry the epoch's audit public
 * key. */
static void change_round_trip_audit(void **state)
{
	struct wl_space_change c;
	struct wl_space_change out;

	(void)state;
	create_change(&c, direct_id, WL_SPACE_AUDIT, "Audit");
	create_add_member(&c, user_a);
	c.has_audit_pk = 1;
	memset(c.audit_pk, 0x7e, sizeof(c.audit_pk));
	round_trip(&c, &out);
	assert_int_equal(out.has_audit_pk, 1);
	assert_memory_equal(out.audit_pk, c.audit_pk, 32);

	member_change(&c, WL_SPACE_OP_ROTATE, direct_id, 5, NULL);
	c.has_audit_pk = 1;
	memset(c.audit_pk, 0x7f, sizeof(c.audit_pk));
	round_trip(&c, &out);
	assert_int_equal(out.has_audit_pk, 1);

	member_change(&c, WL_SPACE_OP_REMOVE, direct_id, 6, user_b);
	c.has_audit_pk = 1;
	round_trip(&c, &out);
	assert_int_equal(out.has_audit_pk, 1);
}

/* Members that an op does not take are rejected. */
static void change_decode_foreign_members(void **state)
{
	unsigned char key[32];
	unsigned char box[48];
	struct wl_space_change c;
	const char *field = NULL;

	(void)state;
	memset(key, 0x01, sizeof(key));
	memset(box, 0x02, sizeof(box));
	member_change(&c, WL_SPACE_OP_ROTATE, ward_id, 2, NULL);
	assert_int_equal(decode_edited(&c, "user", b64_json(user_a, 16),
				       &field),
			 WL_EINVAL);
	assert_string_equal(field, "user");

	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	assert_int_equal(decode_edited(&c, "kind", json_string("ward"), &field),
			 WL_EINVAL);
	assert_string_equal(field, "kind");
	assert_int_equal(decode_edited(&c, "reason", b64_json(box, sizeof(box)),
				       &field),
			 WL_EINVAL);
	assert_string_equal(field, "reason");
	assert_int_equal(decode_edited(&c, "audit_pk", b64_json(key, 32),
				       &field),
			 WL_EINVAL);

	member_change(&c, WL_SPACE_OP_REMOVE, ward_id, 2, user_a);
	assert_int_equal(decode_edited(&c, "members", json_array(), &field),
			 WL_EINVAL);
	assert_int_equal(decode_edited(&c, "expires_ms", json_integer(5),
				       &field),
			 WL_EINVAL);

	grant_change(&c, key);
	assert_int_equal(decode_edited(&c, "name", json_string("x"), &field),
			 WL_EINVAL);

	create_change(&c, ward_id, WL_SPACE_WARD, "4 West");
	assert_int_equal(decode_edited(&c, "user", b64_json(user_a, 16),
				       &field),
			 WL_EINVAL);
	assert_string_equal(field, "user");
}

/* A create must start epoch 1, a remove or rotate epoch 2 or later, and
 * every epoch lies from 1 to UINT32_MAX. */
static void change_decode_bad_epoch(void **state)
{
	struct wl_space_change c;
	const char *field = NULL;

	(void)state;
	create_change(&c, ward_id, WL_SPACE_WARD, "4 West");
	assert_int_equal(decode_edited(&c, "epoch", json_integer(2), &field),
			 WL_EINVAL);
	assert_string_equal(field, "epoch");

	member_change(&c, WL_SPACE_OP_REMOVE, ward_id, 2, user_a);
	assert_int_equal(decode_edited(&c, "epoch", json_integer(1), &field),
			 WL_EINVAL);
	assert_string_equal(field, "epoch");

	member_change(&c, WL_SPACE_OP_ROTATE, ward_id, 2, NULL);
	assert_int_equal(decode_edited(&c, "epoch", json_integer(1), &field),
			 WL_EINVAL);
	assert_string_equal(field, "epoch");

	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	assert_int_equal(decode_edited(&c, "epoch", json_integer(0), &field),
			 WL_ERANGE);
	assert_string_equal(field, "epoch");
	assert_int_equal(decode_edited(&c, "epoch",
				       json_integer(4294967296LL), &field),
			 WL_ERANGE);
	assert_string_equal(field, "epoch");
	assert_int_equal(decode_edited(&c, "epoch",
				       json_integer(4294967295LL), &field),
			 0);
}

/* An op outside the five is WL_EINVAL naming "op". */
static void change_decode_unknown_op(void **state)
{
	static const char *const ops[] = {"promote", "Create", "", "add "};
	struct wl_space_change c;
	const char *field = NULL;

	(void)state;
	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	for (size_t i = 0; i < COUNT(ops); i++) {
		assert_int_equal(decode_edited(&c, "op", json_string(ops[i]),
					       &field),
				 WL_EINVAL);
		assert_string_equal(field, "op");
	}
	assert_int_equal(decode_edited(&c, "op", json_integer(1), &field),
			 WL_EINVAL);
	assert_string_equal(field, "op");
}

/* A grant needs its reason and expiry. A reason too short to hold a
 * sealed character is rejected. */
static void change_decode_grant_without_reason(void **state)
{
	unsigned char key[32];
	unsigned char short_box[40];
	struct wl_space_change c;
	const char *field = NULL;

	(void)state;
	memset(key, 0x33, sizeof(key));
	grant_change(&c, key);
	assert_int_equal(decode_edited(&c, "reason", NULL, &field), WL_ETRUNC);
	assert_string_equal(field, "reason");

	assert_int_equal(decode_edited(&c, "expires_ms", NULL, &field),
			 WL_ETRUNC);
	assert_string_equal(field, "expires_ms");

	assert_int_equal(decode_edited(&c, "expires_ms", json_integer(0),
				       &field),
			 WL_ERANGE);
	assert_string_equal(field, "expires_ms");

	memset(short_box, 0x01, sizeof(short_box));
	assert_int_equal(decode_edited(&c, "reason",
				       b64_json(short_box, sizeof(short_box)),
				       &field),
			 WL_EINVAL);

	assert_int_equal(decode_edited(&c, "user", NULL, &field), WL_ETRUNC);
	assert_string_equal(field, "user");
}

/* Other rules of the decoder. It rejects the kind "site", a ward without
 * a name, more than WL_SPACE_CREATE_MEMBERS_MAX members and a member id
 * that is not 16 bytes. It also rejects an audit create without its key,
 * an unknown member, version 2 and a zero space id. */
static void change_decode_other_rules(void **state)
{
	unsigned char zero[16] = {0};
	struct wl_space_change c;
	const char *field = NULL;
	json_t *members;

	(void)state;
	create_change(&c, ward_id, WL_SPACE_WARD, "4 West");
	assert_int_equal(decode_edited(&c, "kind", json_string("site"),
				       &field),
			 WL_EINVAL);
	assert_string_equal(field, "kind");
	assert_int_equal(decode_edited(&c, "kind", json_string("Ward"),
				       &field),
			 WL_EINVAL);
	assert_string_equal(field, "kind");
	assert_int_equal(decode_edited(&c, "name", json_string(""), &field),
			 WL_EINVAL);

	members = json_array();
	for (int i = 0; i <= WL_SPACE_CREATE_MEMBERS_MAX; i++)
		json_array_append_new(members, b64_json(user_a, 16));
	assert_int_equal(decode_edited(&c, "members", members, &field),
			 WL_ETOOBIG);
	assert_string_equal(field, "members");

	members = json_array();
	json_array_append_new(members, b64_json(user_a, 15));
	assert_int_equal(decode_edited(&c, "members", members, &field),
			 WL_EINVAL);
	assert_string_equal(field, "members");
	assert_int_equal(decode_edited(&c, "members", NULL, &field),
			 WL_ETRUNC);
	assert_string_equal(field, "members");

	assert_int_equal(decode_edited(&c, "kind", json_string("audit"),
				       &field),
			 WL_EINVAL);
	assert_int_equal(decode_edited(&c, "ward", json_integer(4), &field),
			 WL_EINVAL);
	assert_null(field);
	assert_int_equal(decode_edited(&c, "v", json_integer(2), &field),
			 WL_EVERSION);
	assert_string_equal(field, "v");
	assert_int_equal(decode_edited(&c, "space_id", b64_json(zero, 16),
				       &field),
			 WL_EINVAL);
}

/* When the decoder rejects a change, FIELD names the member at fault.
 * Every misnamed case is printed before the test fails. */
static void change_decode_names_bad_member(void **state)
{
	static const unsigned char short_box[40] = {0x01};
	static const unsigned char zero[16] = {0};
	unsigned char key[32];
	struct wl_space_change remove;
	struct wl_space_change add;
	struct wl_space_change grant;
	struct wl_space_change ward;
	const struct {
		const struct wl_space_change *change;
		const char *name;
		json_t *value;
	} cases[] = {
		{&remove, "members", json_array()},
		{&grant, "name", json_string("x")},
		{&add, "expires_ms", json_integer(5)},
		{&ward, "name", json_string("")},
		{&add, "space_id", b64_json(zero, 16)},
		{&grant, "reason", b64_json(short_box, sizeof(short_box))},
	};
	const char *field = NULL;
	int misnamed = 0;

	(void)state;
	memset(key, 0x33, sizeof(key));
	member_change(&remove, WL_SPACE_OP_REMOVE, ward_id, 2, user_a);
	member_change(&add, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	grant_change(&grant, key);
	create_change(&ward, ward_id, WL_SPACE_WARD, "4 West");

	for (size_t i = 0; i < COUNT(cases); i++) {
		assert_int_equal(decode_edited(cases[i].change, cases[i].name,
					       cases[i].value, &field),
				 WL_EINVAL);
		if (field == NULL || strcmp(field, cases[i].name) != 0) {
			print_error("bad %s reported as field \"%s\"\n",
				    cases[i].name, field ? field : "(null)");
			misnamed++;
		}
	}
	assert_int_equal(misnamed, 0);
}

/* The encoder rejects the changes that the decoder would reject. */
static void change_encode_rejects(void **state)
{
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_space_change c;
	size_t len = 0;

	(void)state;
	create_change(&c, ward_id, WL_SPACE_WARD, "4 West");
	c.epoch = 2;
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	create_change(&c, ward_id, WL_SPACE_WARD, "");
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	create_change(&c, ward_id, WL_SPACE_SITE, "Site");
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	create_change(&c, ward_id, WL_SPACE_AUDIT, "Audit");
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);

	member_change(&c, WL_SPACE_OP_REMOVE, ward_id, 1, user_a);
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, NULL);
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	member_change(&c, WL_SPACE_OP_GRANT, ward_id, 1, user_a);
	c.expires_ms = 1;
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);
	member_change(&c, WL_SPACE_OP_ADD, (const unsigned char[16]){0}, 1,
		      user_a);
	assert_int_equal(wl_space_change_encode(&c, buf, sizeof(buf), &len),
			 WL_EINVAL);

	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, user_a);
	assert_int_equal(wl_space_change_encode(&c, buf, 10, &len),
			 WL_ETOOBIG);
}

/* ---- grant reasons ---- */

/* A sealed reason opens under the same key to the same text. The box is
 * the nonce, the ciphertext and the tag. */
static void reason_round_trip(void **state)
{
	unsigned char key[32];
	char out[WL_ACCESS_REASON_BYTES + 1];
	struct wl_space_change c;

	(void)state;
	memset(key, 0x33, sizeof(key));
	grant_change(&c, key);
	assert_int_equal(c.reason_len, 24 + strlen(REASON) + 16);
	assert_null(memmem(c.reason_box, c.reason_len, "Cardiac", 7));
	assert_int_equal(wl_space_reason_open(&c, key, out), 0);
	assert_string_equal(out, REASON);
}

/* Another key does not open the reason, and OUT is left empty. */
static void reason_wrong_key(void **state)
{
	unsigned char key[32];
	unsigned char other[32];
	char out[WL_ACCESS_REASON_BYTES + 1];
	struct wl_space_change c;

	(void)state;
	memset(key, 0x33, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[31] ^= 0x01;
	grant_change(&c, key);
	strcpy(out, "stale");
	assert_int_equal(wl_space_reason_open(&c, other, out), WL_EAUTH);
	assert_string_equal(out, "");

	c.reason_box[c.reason_len - 1] ^= 0x01;
	assert_int_equal(wl_space_reason_open(&c, key, out), WL_EAUTH);
}

/* The associated data names the space and the grantee, so a reason moved
 * into a grant of another user or another space does not open. */
static void reason_moved(void **state)
{
	unsigned char key[32];
	char out[WL_ACCESS_REASON_BYTES + 1];
	struct wl_space_change c;
	struct wl_space_change moved;

	(void)state;
	memset(key, 0x33, sizeof(key));
	grant_change(&c, key);

	member_change(&moved, WL_SPACE_OP_GRANT, ward_id, 1, user_b);
	moved.expires_ms = c.expires_ms;
	memcpy(moved.reason_box, c.reason_box, c.reason_len);
	moved.reason_len = c.reason_len;
	assert_int_equal(wl_space_reason_open(&moved, key, out), WL_EAUTH);

	member_change(&moved, WL_SPACE_OP_GRANT, direct_id, 1, user_a);
	moved.expires_ms = c.expires_ms;
	memcpy(moved.reason_box, c.reason_box, c.reason_len);
	moved.reason_len = c.reason_len;
	assert_int_equal(wl_space_reason_open(&moved, key, out), WL_EAUTH);

	/* The same space and grantee still open it. */
	moved = c;
	assert_int_equal(wl_space_reason_open(&moved, key, out), 0);
	assert_string_equal(out, REASON);
}

/* Sealing applies the reason rules of a grant: 1 to 500 characters, not
 * only spaces, no control characters. */
static void reason_seal_rejects(void **state)
{
	static char too_long[WL_ACCESS_REASON_MAX + 2];
	unsigned char key[32];
	struct wl_space_change c;

	(void)state;
	memset(key, 0x33, sizeof(key));
	member_change(&c, WL_SPACE_OP_GRANT, ward_id, 1, user_a);
	assert_int_equal(wl_space_reason_seal(&c, key, ""), WL_EINVAL);
	assert_int_equal(wl_space_reason_seal(&c, key, "   "), WL_EINVAL);
	assert_int_equal(wl_space_reason_seal(&c, key, "bed\n4"), WL_EINVAL);
	assert_int_equal(c.reason_len, 0);

	memset(too_long, 'x', WL_ACCESS_REASON_MAX + 1);
	assert_int_equal(wl_space_reason_seal(&c, key, too_long), WL_EINVAL);
	too_long[WL_ACCESS_REASON_MAX] = '\0';
	assert_int_equal(wl_space_reason_seal(&c, key, too_long), 0);
	assert_int_equal(c.reason_len, 24 + WL_ACCESS_REASON_MAX + 16);
}

/* ---- the fold ---- */

/* A user of the fixture with the keys of its current bundle. */
struct person {
	struct wl_keys_bundle bundle;
	struct wl_keys_secret *secret;
};

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_identity *node;
	struct wl_hlc hlc;
	uint64_t wall_ms;
	unsigned char site_pk[32];
	unsigned char site_sk[64];
	struct person admin;
	struct person charge;
	struct person nurse1;
	struct person nurse2;
	struct person pharmacist;
	struct person clerk;
	struct wl_users *users;   /* filled by fold() */
	struct wl_spaces *spaces; /* filled by fold() */
};

static uint64_t test_wall(void *arg)
{
	return *(uint64_t *)arg;
}

/* Append one event to the feed of NODE, one second after the previous
 * append, and return its HLC. */
static uint64_t append_on(struct fixture *f, const struct wl_identity *node,
			  struct wl_hlc *hlc, uint8_t kind,
			  const unsigned char *author_sk,
			  const unsigned char space[16], uint32_t epoch,
			  const unsigned char *body, size_t len)
{
	struct wl_feed_item item;
	unsigned char id[1][WL_EVENT_ID_SIZE];
	struct wl_store_entry e;
	unsigned char *buf = NULL;
	uint64_t stamp;

	memset(&item, 0, sizeof(item));
	item.kind = kind;
	if (space != NULL)
		memcpy(item.space, space, 16);
	item.epoch = epoch;
	item.author_sk = author_sk;
	item.body = body;
	item.body_len = len;
	f->wall_ms += 1000;
	assert_int_equal(wl_feed_append(f->store, node, hlc, &item, 1, id,
					NULL),
			 0);
	assert_int_equal(wl_store_get(f->store, id[0], &e, &buf), 0);
	stamp = e.ev.h.hlc;
	free(buf);
	return stamp;
}

static uint64_t append(struct fixture *f, uint8_t kind,
		       const unsigned char *author_sk,
		       const unsigned char space[16], uint32_t epoch,
		       const unsigned char *body, size_t len)
{
	return append_on(f, f->node, &f->hlc, kind, author_sk, space, epoch,
			 body, len);
}

/* Append P's bundle signed by the site key. */
static void append_bundle(struct fixture *f, const struct person *p)
{
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	size_t len = 0;

	assert_int_equal(wl_keys_bundle_encode(&p->bundle, json, sizeof(json),
					       &len),
			 0);
	append(f, WL_KIND_USER_BUNDLE, f->site_sk, NULL, 0, json, len);
}

/* Make the user NAME with ROLE, signed by the site key. */
static void add_person(struct fixture *f, struct person *p, const char *name,
		       enum wl_role role)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;

	assert_int_equal(wl_keys_user_new(NULL, name, "Test Person", role,
					  PASSWORD, &cost, &p->bundle,
					  &p->secret),
			 0);
	append_bundle(f, p);
}

/* An admin reset: new keys for the same user id, name and role, signed by
 * the site key. */
static void reset_person(struct fixture *f, struct person *p)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	struct wl_keys_bundle b;
	unsigned char id[16];

	memcpy(id, p->bundle.user_id, 16);
	wl_keys_secret_free(p->secret);
	p->secret = NULL;
	assert_int_equal(wl_keys_user_new(id, p->bundle.username,
					  "Test Person", p->bundle.role,
					  PASSWORD, &cost, &b, &p->secret),
			 0);
	p->bundle = b;
	append_bundle(f, p);
}

/* Fold the store into a fresh user table and a fresh space table. */
static void fold(struct fixture *f)
{
	wl_spaces_free(f->spaces);
	wl_users_free(f->users);
	f->spaces = NULL;
	f->users = NULL;

	assert_int_equal(wl_users_new(f->site_pk, &f->users), 0);
	assert_int_equal(wl_users_load(f->users, f->store), 0);
	assert_int_equal(wl_spaces_new(f->users, &f->spaces), 0);
	assert_int_equal(wl_spaces_load(f->spaces, f->store), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};

	if (f == NULL)
		return -1;
	f->dir = testutil_mkdtemp();
	f->wall_ms = 1796400000000ull;
	crypto_sign_keypair(f->site_pk, f->site_sk);
	if (wl_identity_load_or_create(f->dir, &f->node, NULL) != 0 ||
	    wl_store_open(f->dir, &opt, &f->store) != 0)
		return -1;
	wl_hlc_init(&f->hlc, test_wall, &f->wall_ms, 60000, 0);

	add_person(f, &f->admin, "admin", WL_ROLE_ADMIN);
	add_person(f, &f->charge, "charge", WL_ROLE_CHARGE_NURSE);
	add_person(f, &f->nurse1, "nurse1", WL_ROLE_NURSE);
	add_person(f, &f->nurse2, "nurse2", WL_ROLE_NURSE);
	add_person(f, &f->pharmacist, "pharmacist", WL_ROLE_PHARMACIST);
	add_person(f, &f->clerk, "clerk", WL_ROLE_UNIT_CLERK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct person *people[] = {&f->admin,  &f->charge,     &f->nurse1,
				   &f->nurse2, &f->pharmacist, &f->clerk};

	for (size_t i = 0; i < COUNT(people); i++)
		wl_keys_secret_free(people[i]->secret);
	wl_spaces_free(f->spaces);
	wl_users_free(f->users);
	wl_store_close(f->store);
	wl_identity_free(f->node);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static const unsigned char *id_of(const struct person *p)
{
	return p->bundle.user_id;
}

/* Append the membership change C authored by AUTHOR and return its HLC. */
static uint64_t append_change(struct fixture *f, const struct person *author,
			      const struct wl_space_change *c)
{
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX];
	size_t len = 0;

	assert_int_equal(wl_space_change_encode(c, json, sizeof(json), &len),
			 0);
	return append(f, WL_KIND_MEMBERSHIP, author->secret->sign_sk,
		      c->space_id, c->epoch, json, len);
}

/* AUTHOR creates the space SPACE of KIND named NAME with the N people of
 * MEMBERS. */
static void create_space(struct fixture *f, const struct person *author,
			 const unsigned char space[16],
			 enum wl_space_kind kind, const char *name,
			 const struct person *const *members, size_t n)
{
	struct wl_space_change c;

	create_change(&c, space, kind, name);
	for (size_t i = 0; i < n; i++)
		create_add_member(&c, id_of(members[i]));
	append_change(f, author, &c);
}

/* AUTHOR adds, removes or rotates (USER NULL) in SPACE at EPOCH. */
static uint64_t change_member(struct fixture *f, const struct person *author,
			      enum wl_space_op op,
			      const unsigned char space[16], uint32_t epoch,
			      const struct person *user)
{
	struct wl_space_change c;

	member_change(&c, op, space, epoch, user ? id_of(user) : NULL);
	return append_change(f, author, &c);
}

/* AUTHOR grants USER access to SPACE for DURATION_MS from the wall time of
 * the grant event, which this returns. */
static uint64_t grant_access(struct fixture *f, const struct person *author,
			     const unsigned char space[16],
			     const struct person *user,
			     const unsigned char key[32], uint64_t duration_ms)
{
	struct wl_space_change c;
	uint64_t granted_ms = f->wall_ms + 1000; /* stamped by the append */

	member_change(&c, WL_SPACE_OP_GRANT, space, 1, id_of(user));
	c.expires_ms = granted_ms + duration_ms;
	assert_int_equal(wl_space_reason_seal(&c, key, REASON), 0);
	assert_int_equal(append_change(f, author, &c) >> 16, granted_ms);
	return granted_ms;
}

/* AUTHOR seals KEY, the key of SPACE at EPOCH, to RECIPIENT's current
 * keys. */
static void seal_envelope(struct fixture *f, const struct person *author,
			  const unsigned char space[16], uint32_t epoch,
			  const unsigned char key[32],
			  const struct person *recipient)
{
	struct wl_keys_envelope env;
	unsigned char json[WL_KEYS_ENVELOPE_JSON_MAX];
	size_t len = 0;

	assert_int_equal(wl_keys_envelope_seal(space, epoch, key,
					       id_of(recipient),
					       recipient->bundle.box_pk, &env),
			 0);
	assert_int_equal(wl_keys_envelope_encode(&env, json, sizeof(json),
						 &len),
			 0);
	append(f, WL_KIND_KEY_ENVELOPE, author->secret->sign_sk, space, epoch,
	       json, len);
}

static int is_named(const struct wl_space *s, const struct person *p)
{
	for (size_t i = 0; i < s->n_members; i++)
		if (memcmp(s->members[i], id_of(p), 16) == 0)
			return 1;
	return 0;
}

/* Open the keyring of P from the fold. *FAILED receives the count of
 * envelopes that did not open. */
static struct wl_keyring *keyring_of(struct fixture *f, const struct person *p,
				     size_t *failed)
{
	const struct wl_user *u = wl_users_by_id(f->users, id_of(p));
	struct wl_keyring *kr = NULL;

	assert_non_null(u);
	assert_int_equal(wl_keyring_open(f->spaces, f->store, u, p->secret,
					 failed, &kr),
			 0);
	assert_non_null(kr);
	return kr;
}

/* A store with users but no membership, envelope or account event folds
 * to no spaces. Under make unit-asan this also checks that collecting an
 * empty kind from the store is well defined. */
static void fold_empty_store(void **state)
{
	struct fixture *f = *state;
	const struct wl_spaces_stats *st;

	fold(f);
	assert_int_equal(wl_users_count(f->users), 6);
	assert_int_equal(wl_spaces_count(f->spaces), 0);
	assert_null(wl_spaces_by_id(f->spaces, ward_id));
	assert_null(wl_spaces_audit(f->spaces));
	st = wl_spaces_stats(f->spaces);
	assert_int_equal(st->applied, 0);
	assert_int_equal(st->rejected_decode, 0);
	assert_int_equal(st->rejected_invalid, 0);
}

/* An admin creates a ward; the admin, the named members and any later
 * admin are members, other users are not. */
static void fold_admin_creates_ward(void **state)
{
	struct fixture *f = *state;
	struct person admin2 = {0};
	const struct wl_space *s;

	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1}, 1);
	fold(f);

	assert_int_equal(wl_spaces_count(f->spaces), 1);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_ptr_equal(wl_spaces_by_name(f->spaces, "4 West"), s);
	assert_int_equal(s->kind, WL_SPACE_WARD);
	assert_string_equal(s->name, "4 West");
	assert_memory_equal(s->creator, id_of(&f->admin), 16);
	assert_int_equal(s->epoch, 1);
	assert_int_equal(s->n_epochs, 1);
	assert_memory_equal(wl_space_epoch_at(s, 1)->starter, id_of(&f->admin),
			    16);
	assert_null(wl_space_epoch_at(s, 2));
	assert_int_equal(s->n_members, 2);
	assert_true(is_named(s, &f->admin));
	assert_true(is_named(s, &f->nurse1));
	assert_int_equal(wl_spaces_stats(f->spaces)->applied, 1);

	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->admin)));
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse1)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->charge)));
	assert_false(wl_space_is_member(f->spaces, s, user_a));

	/* A second admin, made after the ward, is a member without being
	 * named. */
	add_person(f, &admin2, "admin2", WL_ROLE_ADMIN);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->n_members, 2);
	assert_false(is_named(s, &admin2));
	assert_true(wl_space_is_member(f->spaces, s, id_of(&admin2)));
	wl_keys_secret_free(admin2.secret);
}

/* A nurse may not create a ward: the event is counted as denied and no
 * space appears. */
static void fold_nurse_cannot_create_ward(void **state)
{
	struct fixture *f = *state;
	const struct wl_spaces_stats *st;

	create_space(f, &f->nurse1, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse2}, 1);
	create_space(f, &f->nurse1, direct_id, WL_SPACE_ROLE_MAILBOX,
		     "Pharmacy", NULL, 0);
	fold(f);

	st = wl_spaces_stats(f->spaces);
	assert_int_equal(st->rejected_denied, 2);
	assert_int_equal(st->applied, 0);
	assert_int_equal(wl_spaces_count(f->spaces), 0);
	assert_null(wl_spaces_by_id(f->spaces, ward_id));
	assert_null(wl_spaces_by_id(f->spaces, direct_id));
}

/* Any user may start a direct conversation. Its members are exactly the
 * creator and those named, and admins are not members of it. */
static void fold_nurse_creates_direct(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;

	create_space(f, &f->nurse1, direct_id, WL_SPACE_DIRECT, "",
		     (const struct person *[]){&f->nurse2}, 1);
	fold(f);

	assert_int_equal(wl_spaces_stats(f->spaces)->applied, 1);
	s = wl_spaces_by_id(f->spaces, direct_id);
	assert_non_null(s);
	assert_int_equal(s->kind, WL_SPACE_DIRECT);
	assert_string_equal(s->name, "");
	assert_memory_equal(s->creator, id_of(&f->nurse1), 16);
	assert_int_equal(s->n_members, 2);
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse1)));
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->admin)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->clerk)));
}

/* The admin adds a charge nurse, who can then add a nurse. A charge nurse
 * who is not yet a member cannot add anyone, and neither can a nurse. */
static void fold_charge_nurse_adds(void **state)
{
	struct fixture *f = *state;
	const struct wl_spaces_stats *st;
	const struct wl_space *s;

	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West", NULL, 0);
	change_member(f, &f->charge, WL_SPACE_OP_ADD, ward_id, 1, &f->clerk);
	change_member(f, &f->admin, WL_SPACE_OP_ADD, ward_id, 1, &f->charge);
	change_member(f, &f->charge, WL_SPACE_OP_ADD, ward_id, 1, &f->nurse1);
	change_member(f, &f->nurse1, WL_SPACE_OP_ADD, ward_id, 1, &f->nurse2);
	fold(f);

	st = wl_spaces_stats(f->spaces);
	assert_int_equal(st->applied, 3);
	assert_int_equal(st->rejected_denied, 2);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->n_members, 3);
	assert_true(is_named(s, &f->admin));
	assert_true(is_named(s, &f->charge));
	assert_true(is_named(s, &f->nurse1));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->clerk)));
	assert_int_equal(s->epoch, 1);

	/* An add naming an epoch not yet started is out of range. */
	change_member(f, &f->admin, WL_SPACE_OP_ADD, ward_id, 2, &f->nurse2);
	fold(f);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_invalid, 1);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
}

/* A removal naming epoch current + 1 removes the member and starts that
 * epoch, with the remover as its starter. A removal naming a later epoch
 * is rejected. */
static void fold_remove_starts_epoch(void **state)
{
	struct fixture *f = *state;
	const struct wl_space_epoch *e;
	const struct wl_space *s;
	uint64_t removed_hlc;

	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1, &f->nurse2}, 2);
	change_member(f, &f->admin, WL_SPACE_OP_ADD, ward_id, 1, &f->charge);
	change_member(f, &f->charge, WL_SPACE_OP_REMOVE, ward_id, 3,
		      &f->nurse2);
	removed_hlc = change_member(f, &f->charge, WL_SPACE_OP_REMOVE, ward_id,
				    2, &f->nurse1);
	fold(f);

	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_invalid, 1);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->epoch, 2);
	assert_int_equal(s->n_epochs, 2);
	assert_int_equal(s->rotation_due, 0);
	e = wl_space_epoch_at(s, 2);
	assert_non_null(e);
	assert_int_equal(e->epoch, 2);
	assert_memory_equal(e->starter, id_of(&f->charge), 16);
	assert_true(e->hlc == removed_hlc);
	assert_memory_equal(wl_space_epoch_at(s, 1)->starter, id_of(&f->admin),
			    16);

	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse1)));
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_int_equal(s->n_members, 3);

	/* A nurse may not remove anyone. */
	change_member(f, &f->nurse2, WL_SPACE_OP_REMOVE, ward_id, 3,
		      &f->charge);
	fold(f);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_denied, 1);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_int_equal(s->epoch, 2);
	assert_true(is_named(s, &f->charge));
}

/* Two removals that both claim epoch 2: the first starts it, the second
 * still removes its member and marks the space rotation_due, and a rotate
 * to epoch 3 clears the mark. */
static void fold_concurrent_removals(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;

	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1, &f->nurse2,
					       &f->pharmacist, &f->charge},
		     4);
	change_member(f, &f->admin, WL_SPACE_OP_REMOVE, ward_id, 2,
		      &f->nurse1);
	change_member(f, &f->charge, WL_SPACE_OP_REMOVE, ward_id, 2,
		      &f->nurse2);
	fold(f);

	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(wl_spaces_stats(f->spaces)->applied, 3);
	assert_int_equal(s->epoch, 2);
	assert_int_equal(s->n_epochs, 2);
	assert_memory_equal(wl_space_epoch_at(s, 2)->starter, id_of(&f->admin),
			    16);
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse1)));
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_int_equal(s->rotation_due, 1);

	/* A rotate must name exactly the next epoch. */
	change_member(f, &f->pharmacist, WL_SPACE_OP_ROTATE, ward_id, 4, NULL);
	change_member(f, &f->pharmacist, WL_SPACE_OP_ROTATE, ward_id, 3, NULL);
	fold(f);

	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_invalid, 1);
	assert_int_equal(s->epoch, 3);
	assert_int_equal(s->n_epochs, 3);
	assert_int_equal(s->rotation_due, 0);
	assert_memory_equal(wl_space_epoch_at(s, 3)->starter,
			    id_of(&f->pharmacist), 16);

	/* A non-member may not rotate. */
	change_member(f, &f->nurse1, WL_SPACE_OP_ROTATE, ward_id, 4, NULL);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_denied, 1);
	assert_int_equal(s->epoch, 3);
}

/* wl_space_may follows the access table for each role in a ward. */
static void fold_may_access_table(void **state)
{
	struct fixture *f = *state;
	const struct {
		const struct person *actor;
		enum wl_action action;
		int expected;
	} cases[] = {
		{&f->nurse1, WL_ACTION_READ, 0},
		{&f->nurse1, WL_ACTION_POST_MESSAGE, 0},
		{&f->nurse1, WL_ACTION_WRITE_HANDOFF, 0},
		{&f->nurse1, WL_ACTION_ADD_MEMBER, WL_EDENIED},
		{&f->nurse1, WL_ACTION_GRANT_EMERGENCY_ACCESS, WL_EDENIED},
		{&f->pharmacist, WL_ACTION_READ, 0},
		{&f->pharmacist, WL_ACTION_POST_MESSAGE, 0},
		{&f->pharmacist, WL_ACTION_WRITE_HANDOFF, WL_EDENIED},
		{&f->pharmacist, WL_ACTION_UPDATE_PATIENT, WL_EDENIED},
		{&f->clerk, WL_ACTION_READ, 0},
		{&f->clerk, WL_ACTION_UPDATE_PATIENT, 0},
		{&f->clerk, WL_ACTION_WRITE_HANDOFF, WL_EDENIED},
		{&f->charge, WL_ACTION_ADD_MEMBER, 0},
		{&f->charge, WL_ACTION_WRITE_HANDOFF, 0},
		{&f->admin, WL_ACTION_ADD_MEMBER, 0},
		{&f->admin, WL_ACTION_REMOVE_MEMBER, 0},
		{&f->admin, WL_ACTION_GRANT_EMERGENCY_ACCESS, 0},
		{&f->admin, WL_ACTION_READ, WL_EDENIED},
		{&f->admin, WL_ACTION_POST_MESSAGE, WL_EDENIED},
		{&f->nurse2, WL_ACTION_READ, WL_EDENIED},
		{&f->nurse2, WL_ACTION_POST_MESSAGE, WL_EDENIED},
	};
	const uint64_t now_ms = f->wall_ms + 60 * MINUTE_MS;
	const struct wl_space *s;
	int via = 7;

	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->charge, &f->nurse1,
					       &f->pharmacist, &f->clerk},
		     4);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);

	for (size_t i = 0; i < COUNT(cases); i++) {
		via = 7;
		if (wl_space_may(f->spaces, s, id_of(cases[i].actor),
				 cases[i].action, now_ms,
				 &via) != cases[i].expected)
			fail_msg("case %zu: %s %s", i,
				 cases[i].actor->bundle.username,
				 wl_access_action_name(cases[i].action));
		assert_int_equal(via, 0);
	}

	/* An unknown user is not found. */
	assert_int_equal(wl_space_may(f->spaces, s, user_a, WL_ACTION_READ,
				      now_ms, &via),
			 WL_ENOTFOUND);
}

/* A charge nurse's emergency grant lets a non-member nurse read and
 * write, flagged as through a grant, but not add members, and only until
 * it expires. */
static void fold_emergency_grant(void **state)
{
	struct fixture *f = *state;
	const struct wl_space_grant *g;
	const struct wl_space *s;
	unsigned char key[32];
	unsigned char recipients[8][16];
	uint64_t granted_ms;
	uint64_t expires_ms;
	int via = 0;

	memset(key, 0x44, sizeof(key));
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->charge, &f->nurse1}, 2);
	granted_ms = grant_access(f, &f->charge, ward_id, &f->nurse2, key,
				  30 * MINUTE_MS);
	expires_ms = granted_ms + 30 * MINUTE_MS;
	/* A nurse may not grant, and no grant lasts beyond a shift. */
	grant_access(f, &f->nurse1, ward_id, &f->clerk, key, 30 * MINUTE_MS);
	grant_access(f, &f->charge, ward_id, &f->pharmacist, key,
		     13 * 60 * MINUTE_MS);
	fold(f);

	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_denied, 1);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_invalid, 1);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->n_grants, 1);
	g = wl_space_grant_for(s, id_of(&f->nurse2), granted_ms + MINUTE_MS);
	assert_non_null(g);
	assert_memory_equal(g->grantee, id_of(&f->nurse2), 16);
	assert_memory_equal(g->granted_by, id_of(&f->charge), 16);
	assert_true(g->granted_ms == granted_ms);
	assert_true(g->expires_ms == expires_ms);
	assert_int_equal(g->epoch, 1);
	assert_null(wl_space_grant_for(s, id_of(&f->clerk), granted_ms));
	assert_null(wl_space_grant_for(s, id_of(&f->pharmacist), granted_ms));

	/* A grant is not membership. */
	assert_false(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));

	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_READ, granted_ms + MINUTE_MS,
				      &via),
			 0);
	assert_int_equal(via, 1);
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_WRITE_HANDOFF,
				      granted_ms + MINUTE_MS, &via),
			 0);
	assert_int_equal(via, 1);
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_ADD_MEMBER,
				      granted_ms + MINUTE_MS, &via),
			 WL_EDENIED);
	assert_int_equal(via, 0);
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_GRANT_EMERGENCY_ACCESS,
				      granted_ms + MINUTE_MS, &via),
			 WL_EDENIED);

	/* Members need no grant. */
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse1),
				      WL_ACTION_READ, granted_ms, &via),
			 0);
	assert_int_equal(via, 0);

	/* While in force the grantee is a recipient of the key. */
	assert_int_equal(wl_space_recipients(f->spaces, s,
					     granted_ms + MINUTE_MS,
					     recipients, 8),
			 4);
	assert_int_equal(wl_space_recipients(f->spaces, s, expires_ms,
					     recipients, 8),
			 3);

	/* The last millisecond before expiry still counts, but the expiry
	 * time itself does not. */
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_READ, expires_ms - 1, &via),
			 0);
	assert_int_equal(via, 1);
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_READ, expires_ms, &via),
			 WL_EDENIED);
	assert_int_equal(via, 0);
	assert_int_equal(wl_space_may(f->spaces, s, id_of(&f->nurse2),
				      WL_ACTION_READ, expires_ms + MINUTE_MS,
				      &via),
			 WL_EDENIED);
	assert_null(wl_space_grant_for(s, id_of(&f->nurse2), expires_ms));
}

/* The starter of an epoch may seal its key. A member nurse who neither
 * started the epoch nor may add members may not, and the keyring opens
 * exactly the accepted envelopes. */
static void fold_envelope_acceptance(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;
	struct wl_keyring *kr;
	unsigned char key[32];
	unsigned char bad_key[32];
	size_t failed = 99;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(bad_key, sizeof(bad_key));
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1, &f->nurse2,
					       &f->pharmacist},
		     3);
	seal_envelope(f, &f->admin, ward_id, 1, key, &f->nurse2);
	seal_envelope(f, &f->nurse1, ward_id, 1, bad_key, &f->nurse2);
	seal_envelope(f, &f->nurse1, ward_id, 1, bad_key, &f->pharmacist);
	fold(f);

	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_denied, 2);
	assert_int_equal(s->n_sealed, 1);
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 1));
	assert_false(wl_space_has_envelope(f->spaces, s,
					   id_of(&f->pharmacist), 1));
	assert_false(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse1), 1));
	assert_false(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 2));

	kr = keyring_of(f, &f->nurse2, &failed);
	assert_int_equal(failed, 0);
	assert_int_equal(wl_keyring_count(kr), 1);
	assert_non_null(wl_keyring_get(kr, ward_id, 1, 0));
	assert_memory_equal(wl_keyring_get(kr, ward_id, 1, 0), key, 32);
	assert_null(wl_keyring_get(kr, ward_id, 1, 1));
	assert_null(wl_keyring_get(kr, ward_id, 2, 0));
	assert_null(wl_keyring_get(kr, direct_id, 1, 0));
	wl_keyring_free(kr);

	kr = keyring_of(f, &f->pharmacist, &failed);
	assert_int_equal(failed, 0);
	assert_int_equal(wl_keyring_count(kr), 0);
	assert_null(wl_keyring_get(kr, ward_id, 1, 0));
	wl_keyring_free(kr);
}

/* The remover who started epoch 2 and an admin who may add members both
 * seal its key, so the reader's keyring has two keys for that epoch. An
 * envelope for an epoch that never started is rejected. */
static void fold_keyring_epochs(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;
	struct wl_keyring *kr;
	unsigned char key1[32], key2[32], key2b[32], key3[32];
	size_t failed = 99;

	randombytes_buf(key1, sizeof(key1));
	randombytes_buf(key2, sizeof(key2));
	randombytes_buf(key2b, sizeof(key2b));
	randombytes_buf(key3, sizeof(key3));
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->charge, &f->nurse1,
					       &f->nurse2},
		     3);
	seal_envelope(f, &f->admin, ward_id, 1, key1, &f->nurse2);
	change_member(f, &f->charge, WL_SPACE_OP_REMOVE, ward_id, 2,
		      &f->nurse1);
	seal_envelope(f, &f->charge, ward_id, 2, key2, &f->nurse2);
	seal_envelope(f, &f->admin, ward_id, 2, key2b, &f->nurse2);
	seal_envelope(f, &f->admin, ward_id, 3, key3, &f->nurse2);
	seal_envelope(f, &f->nurse2, ward_id, 2, key3, &f->nurse2);
	fold(f);

	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_invalid, 1);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_denied, 1);
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 1));
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 2));
	assert_false(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 3));

	kr = keyring_of(f, &f->nurse2, &failed);
	assert_int_equal(failed, 0);
	assert_int_equal(wl_keyring_count(kr), 3);
	assert_memory_equal(wl_keyring_get(kr, ward_id, 1, 0), key1, 32);
	assert_memory_equal(wl_keyring_get(kr, ward_id, 2, 0), key2, 32);
	assert_non_null(wl_keyring_get(kr, ward_id, 2, 1));
	assert_memory_equal(wl_keyring_get(kr, ward_id, 2, 1), key2b, 32);
	assert_null(wl_keyring_get(kr, ward_id, 2, 2));
	assert_null(wl_keyring_get(kr, ward_id, 3, 0));
	wl_keyring_free(kr);
}

/* A reset gives the user new keys: envelopes sealed before it no longer
 * count nor open, and one sealed after it does. */
static void fold_reset_voids_envelopes(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;
	struct wl_keyring *kr;
	unsigned char key[32];
	size_t failed = 99;

	randombytes_buf(key, sizeof(key));
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse2}, 1);
	seal_envelope(f, &f->admin, ward_id, 1, key, &f->nurse2);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 1));

	reset_person(f, &f->nurse2);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_false(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 1));
	kr = keyring_of(f, &f->nurse2, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(wl_keyring_count(kr), 0);
	wl_keyring_free(kr);

	/* The admin seals the key again, to the new keys. */
	seal_envelope(f, &f->admin, ward_id, 1, key, &f->nurse2);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse2), 1));
	kr = keyring_of(f, &f->nurse2, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(wl_keyring_count(kr), 1);
	assert_memory_equal(wl_keyring_get(kr, ward_id, 1, 0), key, 32);
	wl_keyring_free(kr);
}

/* A reset keeps the user's id, name and role, so what the user did before
 * it remains valid. The ward the admin created, the members added and the
 * envelopes sealed before the admin's own reset all survive it. */
static void fold_author_reset_keeps_history(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *s;
	unsigned char key[32];

	randombytes_buf(key, sizeof(key));
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1}, 1);
	change_member(f, &f->admin, WL_SPACE_OP_ADD, ward_id, 1, &f->charge);
	change_member(f, &f->charge, WL_SPACE_OP_ADD, ward_id, 1, &f->nurse2);
	seal_envelope(f, &f->admin, ward_id, 1, key, &f->nurse1);
	fold(f);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->n_members, 4);
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse1), 1));

	reset_person(f, &f->admin);
	fold(f);
	assert_int_equal(wl_spaces_stats(f->spaces)->rejected_author, 0);
	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->n_members, 4);
	assert_true(wl_space_is_member(f->spaces, s, id_of(&f->nurse2)));
	assert_true(wl_space_has_envelope(f->spaces, s, id_of(&f->nurse1), 1));
}

static void assert_space_equal(const struct wl_space *a,
			       const struct wl_space *b)
{
	assert_memory_equal(a->id, b->id, 16);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->name, b->name);
	assert_memory_equal(a->creator, b->creator, 16);
	assert_true(a->created_hlc == b->created_hlc);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->rotation_due, b->rotation_due);

	assert_int_equal(a->n_members, b->n_members);
	for (size_t i = 0; i < a->n_members; i++)
		assert_memory_equal(a->members[i], b->members[i], 16);

	assert_int_equal(a->n_epochs, b->n_epochs);
	for (size_t i = 0; i < a->n_epochs; i++) {
		assert_int_equal(a->epochs[i].epoch, b->epochs[i].epoch);
		assert_memory_equal(a->epochs[i].starter, b->epochs[i].starter,
				    16);
		assert_true(a->epochs[i].hlc == b->epochs[i].hlc);
		assert_int_equal(a->epochs[i].has_audit_pk,
				 b->epochs[i].has_audit_pk);
	}

	assert_int_equal(a->n_grants, b->n_grants);
	for (size_t i = 0; i < a->n_grants; i++) {
		assert_memory_equal(a->grants[i].grantee, b->grants[i].grantee,
				    16);
		assert_true(a->grants[i].expires_ms == b->grants[i].expires_ms);
		assert_memory_equal(a->grants[i].event_id,
				    b->grants[i].event_id, 32);
	}

	assert_int_equal(a->n_sealed, b->n_sealed);
	for (size_t i = 0; i < a->n_sealed; i++) {
		assert_memory_equal(a->sealed[i].recipient,
				    b->sealed[i].recipient, 16);
		assert_int_equal(a->sealed[i].epoch, b->sealed[i].epoch);
		assert_true(a->sealed[i].hlc == b->sealed[i].hlc);
	}
}

static void assert_spaces_equal(const struct wl_spaces *a,
				const struct wl_spaces *b)
{
	assert_int_equal(wl_spaces_count(a), wl_spaces_count(b));
	for (size_t i = 0; i < wl_spaces_count(a); i++) {
		const struct wl_space *sa = wl_spaces_at(a, i);
		const struct wl_space *sb = wl_spaces_by_id(b, sa->id);

		assert_non_null(sb);
		assert_space_equal(sa, sb);
	}
}

/* One stored event, copied out of an iterator. */
struct event_copy {
	unsigned char *buf;
	size_t len;
	uint64_t hlc;
	unsigned char origin[32];
};

/* Copy every stored event of KIND in the store's local (arrival) order
 * into *OUT; returns the count. */
static size_t copy_kind(struct wl_store *store, uint8_t kind,
			struct event_copy **out)
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct event_copy *all = NULL;
	size_t n = 0;
	int rc;

	assert_int_equal(wl_store_iter_kind(store, kind, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		struct event_copy *c;

		all = realloc(all, (n + 1) * sizeof(*all));
		assert_non_null(all);
		c = &all[n++];
		c->len = e.ev.signed_len + e.body_len;
		c->buf = malloc(c->len);
		assert_non_null(c->buf);
		memcpy(c->buf, e.ev.signed_bytes, e.ev.signed_len);
		if (e.body_len > 0)
			memcpy(c->buf + e.ev.signed_len, e.body, e.body_len);
		c->hlc = e.ev.h.hlc;
		memcpy(c->origin, e.ev.h.origin, 32);
	}
	assert_int_equal(rc, 0);
	wl_store_iter_free(it);
	*out = all;
	return n;
}

static void free_copies(struct event_copy *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(all[i].buf);
	free(all);
}

static int by_hlc_origin(const void *pa, const void *pb)
{
	const struct event_copy *a = pa;
	const struct event_copy *b = pb;

	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->origin, b->origin, 32);
}

/* Apply the membership events, then the envelopes, of STORE to a fresh
 * table over USERS, either in (HLC, origin) order or in arrival order. */
static struct wl_spaces *apply_store(const struct wl_users *users,
				     struct wl_store *store, int sorted)
{
	static const uint8_t kinds[] = {WL_KIND_MEMBERSHIP,
					WL_KIND_KEY_ENVELOPE};
	struct wl_spaces *sp = NULL;

	assert_int_equal(wl_spaces_new(users, &sp), 0);
	for (size_t k = 0; k < COUNT(kinds); k++) {
		struct event_copy *all = NULL;
		size_t n = copy_kind(store, kinds[k], &all);

		if (sorted && n > 1)
			qsort(all, n, sizeof(*all), by_hlc_origin);
		for (size_t i = 0; i < n; i++) {
			struct wl_event ev;

			assert_int_equal(wl_event_decode(all[i].buf,
							 all[i].len, &ev),
					 0);
			(void)wl_spaces_apply(sp, &ev);
		}
		free_copies(all, n);
	}
	return sp;
}

/* Insert the whole feed of ORIGIN from FROM into TO, in seq order. */
static void copy_feed(struct wl_store *from, struct wl_store *to,
		      const unsigned char origin[32])
{
	struct wl_store_head head;

	assert_int_equal(wl_store_head(from, origin, &head), 0);
	for (uint64_t seq = 1; seq <= head.seq; seq++) {
		struct wl_store_entry e;
		unsigned char *buf = NULL;
		int result = -1;

		assert_int_equal(wl_store_get_seq(from, origin, seq, &e, &buf),
				 0);
		assert_int_equal(wl_store_insert(to, &e.ev, 1, &result, NULL),
				 0);
		assert_int_equal(result, WL_STORED_APPENDED);
		free(buf);
	}
}

/* The fold depends only on the set of events. Loading a store twice gives
 * the same spaces, and so does a second store that received the two feeds
 * in the other order. Applying the events in (HLC, origin) order by hand
 * gives them too, but applying them in arrival order does not. */
static void fold_order_independent(void **state)
{
	struct fixture *f = *state;
	struct wl_store_options opt = {.no_sync = 1};
	char *dir2 = testutil_mkdtemp();
	struct wl_identity *node2 = NULL;
	struct wl_store *store2 = NULL;
	struct wl_hlc hlc2;
	struct wl_users *users2 = NULL;
	struct wl_spaces *again = NULL;
	struct wl_spaces *spaces2 = NULL;
	struct wl_spaces *by_hand = NULL;
	struct wl_spaces *arrival = NULL;
	struct wl_space_change c;
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX];
	unsigned char key1[32], key2[32];
	const struct wl_space *s;
	size_t len = 0;

	assert_int_equal(wl_identity_load_or_create(dir2, &node2, NULL), 0);
	assert_int_equal(wl_store_open(dir2, &opt, &store2), 0);
	wl_hlc_init(&hlc2, test_wall, &f->wall_ms, 60000, 0);
	randombytes_buf(key1, sizeof(key1));
	randombytes_buf(key2, sizeof(key2));

	/* Two nodes take turns: node 1 writes the create, node 2 the add of
	 * the charge nurse, and so on. */
	create_space(f, &f->admin, ward_id, WL_SPACE_WARD, "4 West",
		     (const struct person *[]){&f->nurse1}, 1);
	member_change(&c, WL_SPACE_OP_ADD, ward_id, 1, id_of(&f->charge));
	assert_int_equal(wl_space_change_encode(&c, json, sizeof(json), &len),
			 0);
	append_on(f, node2, &hlc2, WL_KIND_MEMBERSHIP, f->admin.secret->sign_sk,
		  ward_id, 1, json, len);
	change_member(f, &f->charge, WL_SPACE_OP_ADD, ward_id, 1, &f->nurse2);
	member_change(&c, WL_SPACE_OP_REMOVE, ward_id, 2, id_of(&f->nurse1));
	assert_int_equal(wl_space_change_encode(&c, json, sizeof(json), &len),
			 0);
	append_on(f, node2, &hlc2, WL_KIND_MEMBERSHIP,
		  f->charge.secret->sign_sk, ward_id, 2, json, len);
	seal_envelope(f, &f->admin, ward_id, 1, key1, &f->nurse2);
	seal_envelope(f, &f->charge, ward_id, 2, key2, &f->nurse2);
	fold(f);

	s = wl_spaces_by_id(f->spaces, ward_id);
	assert_non_null(s);
	assert_int_equal(s->epoch, 2);
	assert_int_equal(s->n_members, 3);
	assert_true(is_named(s, &f->charge));
	assert_true(is_named(s, &f->nurse2));
	assert_false(is_named(s, &f->nurse1));
	assert_int_equal(s->n_sealed, 2);

	/* The same store loaded again. */
	assert_int_equal(wl_spaces_new(f->users, &again), 0);
	assert_int_equal(wl_spaces_load(again, f->store), 0);
	assert_spaces_equal(f->spaces, again);
	assert_memory_equal(wl_spaces_stats(again), wl_spaces_stats(f->spaces),
			    sizeof(struct wl_spaces_stats));

	/* Node 2's feed arrives first in the second store. */
	copy_feed(f->store, store2, node2->pk);
	copy_feed(f->store, store2, f->node->pk);
	assert_int_equal(wl_users_new(f->site_pk, &users2), 0);
	assert_int_equal(wl_users_load(users2, store2), 0);
	assert_int_equal(wl_spaces_new(users2, &spaces2), 0);
	assert_int_equal(wl_spaces_load(spaces2, store2), 0);
	assert_spaces_equal(f->spaces, spaces2);

	/* By hand, sorted by (HLC, origin): the same again. */
	by_hand = apply_store(users2, store2, 1);
	assert_spaces_equal(f->spaces, by_hand);

	/* In the second store's arrival order the add and the removal come
	 * before the create and fail, so the order is what matters. */
	arrival = apply_store(users2, store2, 0);
	s = wl_spaces_by_id(arrival, ward_id);
	assert_non_null(s);
	assert_int_equal(s->epoch, 1);
	assert_true(is_named(s, &f->nurse1));
	assert_false(is_named(s, &f->charge));

	wl_spaces_free(arrival);
	wl_spaces_free(by_hand);
	wl_spaces_free(spaces2);
	wl_spaces_free(again);
	wl_users_free(users2);
	wl_store_close(store2);
	wl_identity_free(node2);
	testutil_rmdir(dir2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(change_round_trip_create),
		cmocka_unit_test(change_round_trip_member_ops),
		cmocka_unit_test(change_round_trip_grant),
		cmocka_unit_test(change_round_trip_audit),
		cmocka_unit_test(change_decode_foreign_members),
		cmocka_unit_test(change_decode_bad_epoch),
		cmocka_unit_test(change_decode_unknown_op),
		cmocka_unit_test(change_decode_grant_without_reason),
		cmocka_unit_test(change_decode_other_rules),
		cmocka_unit_test(change_decode_names_bad_member),
		cmocka_unit_test(change_encode_rejects),
		cmocka_unit_test(reason_round_trip),
		cmocka_unit_test(reason_wrong_key),
		cmocka_unit_test(reason_moved),
		cmocka_unit_test(reason_seal_rejects),
		cmocka_unit_test_setup_teardown(fold_empty_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_admin_creates_ward, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_nurse_cannot_create_ward,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_nurse_creates_direct,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_charge_nurse_adds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_remove_starts_epoch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_concurrent_removals,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_may_access_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_emergency_grant, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_envelope_acceptance,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_keyring_epochs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fold_reset_voids_envelopes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_author_reset_keeps_history,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fold_order_independent, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
