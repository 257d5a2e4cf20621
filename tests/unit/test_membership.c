/* Unit tests of membership changes: creating spaces, adding and removing
 * members, key rotation, emergency grants and the sealing of missing
 * envelopes, written to a real store and checked against the fold. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "testutil.h"
#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/json.h"
#include "wardline/membership.h"
#include "wardline/site.h"
#include "wardline/space.h"
#include "wardline/users.h"

#define PASSWORD  "correct horse battery"
#define REASON	  "Cardiac arrest in bed 4; covering until the team arrives"
#define MINUTE_MS (60ull * 1000)

struct person {
	struct wl_keys_bundle b;
	struct wl_keys_secret *sk;
};

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_identity *id;
	struct wl_hlc hlc;
	unsigned char site_pk[32], site_sk[64];
	struct person admin, admin2, charge, nurse, nurse2, pharm;
	struct wl_users *users;
	struct wl_spaces *spaces;
	struct wl_keyring *keyring; /* of the writer */
	struct wl_membership_writer w;
	unsigned char audit_id[16], ward[16];
	int fail_append; /* the code the append callback returns, or 0 */
	size_t appends;	 /* calls of the append callback */
};

static int test_append(void *arg, const struct wl_feed_item *items, size_t n)
{
	struct fixture *f = arg;

	f->appends++;
	if (f->fail_append != 0)
		return f->fail_append;
	return wl_feed_append(f->store, f->id, &f->hlc, items, n, NULL, NULL);
}

static void person(struct fixture *f, const char *name, enum wl_role role,
		   struct person *p)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_feed_item it;

	assert_int_equal(wl_keys_user_new(NULL, name, name, role, PASSWORD,
					  &cost, &p->b, &p->sk),
			 0);
	memset(&it, 0, sizeof(it));
	assert_int_equal(
	    wl_keys_bundle_encode(&p->b, json, sizeof(json), &it.body_len), 0);
	it.kind = WL_KIND_USER_BUNDLE;
	it.author_sk = f->site_sk;
	it.body = json;
	assert_int_equal(
	    wl_feed_append(f->store, f->id, &f->hlc, &it, 1, NULL, NULL), 0);
}

/* Fold the users and spaces of the store again. */
static void refold(struct fixture *f)
{
	wl_spaces_free(f->spaces);
	wl_users_free(f->users);
	assert_int_equal(wl_users_new(f->site_pk, &f->users), 0);
	assert_int_equal(wl_users_load(f->users, f->store), 0);
	assert_int_equal(wl_spaces_new(f->users, &f->spaces), 0);
	assert_int_equal(wl_spaces_load(f->spaces, f->store), 0);
}

/* The keyring of P, opened from the store with the current fold. */
static struct wl_keyring *keyring_of(struct fixture *f, const struct person *p)
{
	struct wl_keyring *kr = NULL;

	assert_int_equal(wl_keyring_open(f->spaces, f->store,
					 wl_users_by_id(f->users, p->b.user_id),
					 p->sk, NULL, &kr),
			 0);
	return kr;
}

/* Make P the writer, over the folds as they are (perhaps stale). */
static void writer_for(struct fixture *f, const struct person *p)
{
	wl_keyring_free(f->keyring);
	f->keyring = keyring_of(f, p);
	memset(&f->w, 0, sizeof(f->w));
	f->w.store = f->store;
	f->w.users = f->users;
	f->w.spaces = f->spaces;
	f->w.user_id = p->b.user_id;
	f->w.sign_sk = p->sk->sign_sk;
	f->w.keyring = f->keyring;
	f->w.append = test_append;
	f->w.append_arg = f;
}

/* Fold again and make P the writer. */
static void as(struct fixture *f, const struct person *p)
{
	refold(f);
	writer_for(f, p);
}

static const struct wl_space *ward(struct fixture *f)
{
	const struct wl_space *s = wl_spaces_by_id(f->spaces, f->ward);

	assert_non_null(s);
	return s;
}

/* The users, the audit space and the ward "4 West" with the charge nurse
 * and the nurse, both made by the admin through the module. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};
	unsigned char members[2][16];

	f->dir = testutil_mkdtemp();
	crypto_sign_keypair(f->site_pk, f->site_sk);
	if (wl_identity_load_or_create(f->dir, &f->id, NULL) != 0 ||
	    wl_store_open(f->dir, &opt, &f->store) != 0)
		return -1;
	wl_hlc_init(&f->hlc, NULL, NULL, 60000, 0);
	person(f, "alice", WL_ROLE_ADMIN, &f->admin);
	person(f, "adam", WL_ROLE_ADMIN, &f->admin2);
	person(f, "carla", WL_ROLE_CHARGE_NURSE, &f->charge);
	person(f, "nina", WL_ROLE_NURSE, &f->nurse);
	person(f, "noah", WL_ROLE_NURSE, &f->nurse2);
	person(f, "paul", WL_ROLE_PHARMACIST, &f->pharm);

	as(f, &f->admin);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_AUDIT, "Audit",
					      NULL, 0, f->audit_id, NULL),
			 0);
	memcpy(members[0], f->charge.b.user_id, 16);
	memcpy(members[1], f->nurse.b.user_id, 16);
	as(f, &f->admin);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_WARD, "4 West",
				 (const unsigned char(*)[16])members, 2,
				 f->ward, NULL),
	    0);
	refold(f);
	f->appends = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct person *people[] = {&f->admin, &f->admin2, &f->charge,
				   &f->nurse, &f->nurse2, &f->pharm};

	wl_keyring_free(f->keyring);
	wl_spaces_free(f->spaces);
	wl_users_free(f->users);
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		wl_keys_secret_free(people[i]->sk);
	wl_store_close(f->store);
	wl_identity_free(f->id);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

/* A ward's first key goes to its creator, its members and every other
 * admin, and the creator keeps it. */
static void create_ward_seals_members(void **state)
{
	struct fixture *f = *state;
	unsigned char member[1][16], id[16];
	const struct wl_space *s;
	struct wl_keyring *kr;
	size_t sealed = 0;

	memcpy(member[0], f->nurse.b.user_id, 16);
	as(f, &f->admin);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_WARD, "5 East",
				 (const unsigned char(*)[16])member, 1, id,
				 &sealed),
	    0);
	assert_int_equal(sealed, 3);
	assert_int_equal(f->appends, 1);
	assert_non_null(wl_keyring_get(f->keyring, id, 1, 0));

	refold(f);
	s = wl_spaces_by_id(f->spaces, id);
	assert_non_null(s);
	assert_int_equal(s->kind, WL_SPACE_WARD);
	assert_string_equal(s->name, "5 East");
	assert_int_equal(s->epoch, 1);
	assert_true(wl_space_is_member(f->spaces, s, f->nurse.b.user_id));
	assert_false(wl_space_is_member(f->spaces, s, f->charge.b.user_id));
	assert_true(wl_space_has_envelope(f->spaces, s, f->admin.b.user_id, 1));
	assert_true(
	    wl_space_has_envelope(f->spaces, s, f->admin2.b.user_id, 1));
	assert_true(wl_space_has_envelope(f->spaces, s, f->nurse.b.user_id, 1));
	assert_false(
	    wl_space_has_envelope(f->spaces, s, f->charge.b.user_id, 1));

	kr = keyring_of(f, &f->nurse);
	assert_non_null(wl_keyring_get(kr, id, 1, 0));
	assert_memory_equal(wl_keyring_get(kr, id, 1, 0),
			    wl_keyring_get(f->keyring, id, 1, 0), 32);
	wl_keyring_free(kr);
}

/* A nurse starts a direct conversation: both people are members and hold
 * its key, and nobody else is a member. */
static void create_direct_by_nurse(void **state)
{
	struct fixture *f = *state;
	unsigned char member[1][16], id[16];
	const struct wl_space *s;
	struct wl_keyring *kr;
	size_t sealed = 0;

	memcpy(member[0], f->nurse2.b.user_id, 16);
	as(f, &f->nurse);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_DIRECT, "",
				 (const unsigned char(*)[16])member, 1, id,
				 &sealed),
	    0);
	assert_int_equal(sealed, 2);

	refold(f);
	s = wl_spaces_by_id(f->spaces, id);
	assert_non_null(s);
	assert_int_equal(s->kind, WL_SPACE_DIRECT);
	assert_int_equal(s->n_members, 2);
	assert_true(wl_space_is_member(f->spaces, s, f->nurse.b.user_id));
	assert_true(wl_space_is_member(f->spaces, s, f->nurse2.b.user_id));
	assert_false(wl_space_is_member(f->spaces, s, f->admin.b.user_id));
	kr = keyring_of(f, &f->nurse2);
	assert_non_null(wl_keyring_get(kr, id, 1, 0));
	wl_keyring_free(kr);
}

/* Creates that every node would reject are refused and write nothing. */
static void create_refused(void **state)
{
	struct fixture *f = *state;
	unsigned char members[WL_SPACE_CREATE_MEMBERS_MAX + 1][16];
	unsigned char id[16];
	char long_name[WL_SPACE_NAME_MAX + 2];

	memset(members, 0, sizeof(members));
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	as(f, &f->nurse);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_WARD, "6 North",
					      NULL, 0, id, NULL),
			 WL_EDENIED);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_ROLE_MAILBOX,
					      "Pharmacy", NULL, 0, id, NULL),
			 WL_EDENIED);

	as(f, &f->admin);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_WARD, "4 West",
					      NULL, 0, id, NULL),
			 WL_EEXIST);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_AUDIT,
					      "Second audit", NULL, 0, id,
					      NULL),
			 WL_EEXIST);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_SITE, "Site",
					      NULL, 0, id, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_WARD, long_name,
					      NULL, 0, id, NULL),
			 WL_EINVAL);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_WARD, "", NULL, 0, id, NULL),
	    WL_EINVAL);
	assert_int_equal(wl_membership_create(
			     &f->w, WL_SPACE_WARD, "6 North",
			     (const unsigned char(*)[16])members, 1, id, NULL),
			 WL_EINVAL);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_WARD, "6 North",
				 (const unsigned char(*)[16])members,
				 WL_SPACE_CREATE_MEMBERS_MAX + 1, id, NULL),
	    WL_ETOOBIG);
	assert_int_equal(f->appends, 0);
}

/* An add seals the current key to the new member; a nurse may not add,
 * nobody adds to a direct space, and an author without the key cannot. */
static void add_seals_current_key(void **state)
{
	struct fixture *f = *state;
	unsigned char member[1][16], direct[16], nobody[16];
	struct wl_keyring *kr;

	as(f, &f->charge);
	assert_int_equal(wl_membership_add(&f->w, ward(f), f->nurse2.b.user_id),
			 0);
	refold(f);
	assert_true(
	    wl_space_is_member(f->spaces, ward(f), f->nurse2.b.user_id));
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse2.b.user_id, 1));
	kr = keyring_of(f, &f->nurse2);
	assert_non_null(wl_keyring_get(kr, f->ward, 1, 0));
	wl_keyring_free(kr);

	as(f, &f->nurse);
	assert_int_equal(wl_membership_add(&f->w, ward(f), f->pharm.b.user_id),
			 WL_EDENIED);
	memcpy(member[0], f->nurse2.b.user_id, 16);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_DIRECT, "",
				 (const unsigned char(*)[16])member, 1, direct,
				 NULL),
	    0);
	as(f, &f->nurse);
	assert_int_equal(wl_membership_add(&f->w,
					   wl_spaces_by_id(f->spaces, direct),
					   f->pharm.b.user_id),
			 WL_EDENIED);

	as(f, &f->charge);
	randombytes_buf(nobody, sizeof(nobody));
	assert_int_equal(wl_membership_add(&f->w, ward(f), nobody), WL_EINVAL);
	f->w.keyring = NULL;
	f->appends = 0;
	assert_int_equal(wl_membership_add(&f->w, ward(f), f->pharm.b.user_id),
			 WL_ENOTFOUND);
	assert_int_equal(f->appends, 0);
}

/* A removal starts a new epoch whose key the removed member lacks; only
 * named members can be removed, and only by whom the table allows. */
static void remove_starts_epoch(void **state)
{
	struct fixture *f = *state;
	const struct wl_space_epoch *e;
	struct wl_keyring *kr;

	as(f, &f->nurse);
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->charge.b.user_id),
	    WL_EDENIED);

	as(f, &f->admin);
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->nurse.b.user_id), 0);
	assert_non_null(wl_keyring_get(f->keyring, f->ward, 2, 0));
	refold(f);
	assert_int_equal(ward(f)->epoch, 2);
	e = wl_space_epoch_at(ward(f), 2);
	assert_non_null(e);
	assert_memory_equal(e->starter, f->admin.b.user_id, 16);
	assert_false(
	    wl_space_is_member(f->spaces, ward(f), f->nurse.b.user_id));
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->charge.b.user_id, 2));
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->admin2.b.user_id, 2));
	assert_false(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse.b.user_id, 2));
	kr = keyring_of(f, &f->nurse);
	assert_non_null(wl_keyring_get(kr, f->ward, 1, 0));
	assert_null(wl_keyring_get(kr, f->ward, 2, 0));
	wl_keyring_free(kr);

	as(f, &f->admin);
	f->appends = 0;
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->nurse.b.user_id),
	    WL_ENOTFOUND);
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->admin2.b.user_id),
	    WL_ENOTFOUND);
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->pharm.b.user_id),
	    WL_ENOTFOUND);
	assert_int_equal(f->appends, 0);
}

/* A member rotates the key for the same recipients; a non-member may not.
 * A new epoch of the audit space publishes its audit public key. */
static void rotate_new_epoch(void **state)
{
	struct fixture *f = *state;
	const struct wl_space *audit;
	const struct wl_space_epoch *e;
	unsigned char pk[32], sk[32];

	as(f, &f->pharm);
	assert_int_equal(wl_membership_rotate(&f->w, ward(f)), WL_EDENIED);

	as(f, &f->nurse);
	assert_int_equal(wl_membership_rotate(&f->w, ward(f)), 0);
	refold(f);
	assert_int_equal(ward(f)->epoch, 2);
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse.b.user_id, 2));
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->charge.b.user_id, 2));
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->admin.b.user_id, 2));

	as(f, &f->admin);
	audit = wl_spaces_by_id(f->spaces, f->audit_id);
	assert_int_equal(wl_membership_rotate(&f->w, audit), 0);
	wl_audit_keypair(wl_keyring_get(f->keyring, f->audit_id, 2, 0), pk, sk);
	refold(f);
	e = wl_space_epoch_at(wl_spaces_by_id(f->spaces, f->audit_id), 2);
	assert_non_null(e);
	assert_true(e->has_audit_pk);
	assert_memory_equal(e->audit_pk, pk, 32);
	sodium_memzero(sk, sizeof(sk));
}

/* Two removals that race for one epoch, and a device revocation, each
 * call for a rotation, and a rotation clears the reason. */
static void rotation_reason_race_and_revocation(void **state)
{
	struct fixture *f = *state;
	unsigned char body[WL_REVOCATION_SIZE], node_pk[32];
	struct wl_revocation r;
	struct wl_feed_item it;

	as(f, &f->charge);
	assert_int_equal(wl_membership_add(&f->w, ward(f), f->nurse2.b.user_id),
			 0);
	as(f, &f->admin);
	assert_null(wl_membership_rotation_reason(&f->w, ward(f)));
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->nurse.b.user_id), 0);
	writer_for(f, &f->charge); /* the fold before the first removal */
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->nurse2.b.user_id), 0);

	as(f, &f->charge);
	assert_int_equal(ward(f)->epoch, 2);
	assert_true(ward(f)->rotation_due);
	assert_string_equal(wl_membership_rotation_reason(&f->w, ward(f)),
			    "a removal raced another");
	assert_int_equal(wl_membership_rotate(&f->w, ward(f)), 0);
	as(f, &f->charge);
	assert_int_equal(ward(f)->epoch, 3);
	assert_null(wl_membership_rotation_reason(&f->w, ward(f)));
	assert_false(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse.b.user_id, 3));
	assert_false(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse2.b.user_id, 3));

	randombytes_buf(node_pk, sizeof(node_pk));
	wl_revocation_issue(f->site_sk, node_pk, wl_hlc_system_wall(NULL), &r);
	wl_revocation_encode(&r, body);
	memset(&it, 0, sizeof(it));
	it.kind = WL_KIND_REVOCATION;
	it.body = body;
	it.body_len = sizeof(body);
	assert_int_equal(
	    wl_feed_append(f->store, f->id, &f->hlc, &it, 1, NULL, NULL), 0);
	assert_string_equal(wl_membership_rotation_reason(&f->w, ward(f)),
			    "a device was revoked");
	assert_int_equal(wl_membership_rotate(&f->w, ward(f)), 0);
	as(f, &f->charge);
	assert_null(wl_membership_rotation_reason(&f->w, ward(f)));
}

/* Who may seal keys: the epoch's starter, and whoever may add members or
 * grant access there. */
static void may_seal_rules(void **state)
{
	struct fixture *f = *state;
	unsigned char member[1][16], direct[16];

	as(f, &f->charge);
	assert_true(wl_membership_may_seal(&f->w, ward(f)));
	as(f, &f->admin2);
	assert_true(wl_membership_may_seal(&f->w, ward(f)));
	as(f, &f->nurse);
	assert_false(wl_membership_may_seal(&f->w, ward(f)));

	memcpy(member[0], f->nurse2.b.user_id, 16);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_DIRECT, "",
				 (const unsigned char(*)[16])member, 1, direct,
				 NULL),
	    0);
	as(f, &f->nurse);
	assert_true(
	    wl_membership_may_seal(&f->w, wl_spaces_by_id(f->spaces, direct)));
	as(f, &f->nurse2);
	assert_false(
	    wl_membership_may_seal(&f->w, wl_spaces_by_id(f->spaces, direct)));
}

/* A member added after a removal receives the earlier epoch's key from a
 * sync, once; a user who may not seal writes nothing. */
static void sync_seals_history(void **state)
{
	struct fixture *f = *state;
	struct wl_keyring *kr;
	size_t sealed = 99;

	as(f, &f->admin);
	assert_int_equal(
	    wl_membership_remove(&f->w, ward(f), f->nurse.b.user_id), 0);
	as(f, &f->charge);
	assert_int_equal(wl_membership_add(&f->w, ward(f), f->nurse2.b.user_id),
			 0);
	as(f, &f->nurse2);
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse2.b.user_id, 2));
	assert_false(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse2.b.user_id, 1));
	f->appends = 0;
	assert_int_equal(wl_membership_sync_space(&f->w, ward(f), &sealed), 0);
	assert_int_equal(sealed, 0);
	assert_int_equal(f->appends, 0);

	as(f, &f->charge);
	assert_int_equal(wl_membership_sync_space(&f->w, ward(f), &sealed), 0);
	assert_int_equal(sealed, 1);
	refold(f);
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse2.b.user_id, 1));
	assert_false(
	    wl_space_has_envelope(f->spaces, ward(f), f->nurse.b.user_id, 2));
	kr = keyring_of(f, &f->nurse2);
	assert_non_null(wl_keyring_get(kr, f->ward, 1, 0));
	assert_non_null(wl_keyring_get(kr, f->ward, 2, 0));
	wl_keyring_free(kr);

	as(f, &f->charge);
	assert_int_equal(wl_membership_sync_keys(&f->w, &sealed), 0);
	assert_int_equal(sealed, 0);
}

/* A charge nurse grants a pharmacist emergency access with a reason; the
 * times, the reason, the granter and the kind of space are checked. */
static void grant_checked(void **state)
{
	struct fixture *f = *state;
	uint64_t now = wl_hlc_system_wall(NULL);
	unsigned char member[1][16], direct[16];
	const struct wl_space_grant *g;

	as(f, &f->nurse);
	assert_int_equal(wl_membership_grant(&f->w, ward(f), f->pharm.b.user_id,
					     now + 30 * MINUTE_MS, REASON),
			 WL_EDENIED);
	memcpy(member[0], f->nurse2.b.user_id, 16);
	assert_int_equal(
	    wl_membership_create(&f->w, WL_SPACE_DIRECT, "",
				 (const unsigned char(*)[16])member, 1, direct,
				 NULL),
	    0);

	as(f, &f->charge);
	assert_int_equal(wl_membership_grant(
			     &f->w, wl_spaces_by_id(f->spaces, direct),
			     f->pharm.b.user_id, now + 30 * MINUTE_MS, REASON),
			 WL_EDENIED);
	assert_int_equal(wl_membership_grant(&f->w, ward(f), f->pharm.b.user_id,
					     now - 1, REASON),
			 WL_ERANGE);
	assert_int_equal(wl_membership_grant(&f->w, ward(f), f->pharm.b.user_id,
					     now + 13 * 60 * MINUTE_MS, REASON),
			 WL_ERANGE);
	assert_int_equal(wl_membership_grant(&f->w, ward(f), f->pharm.b.user_id,
					     now + 30 * MINUTE_MS, "   "),
			 WL_EINVAL);
	assert_int_equal(wl_membership_grant(&f->w, ward(f), f->pharm.b.user_id,
					     now + 30 * MINUTE_MS, REASON),
			 0);

	refold(f);
	g = wl_space_grant_for(ward(f), f->pharm.b.user_id,
			       wl_hlc_system_wall(NULL));
	assert_non_null(g);
	assert_memory_equal(g->granted_by, f->charge.b.user_id, 16);
	assert_true(
	    wl_space_has_envelope(f->spaces, ward(f), f->pharm.b.user_id, 1));
}

/* When the append fails, the code comes back and no key is kept. */
static void append_failure_returned(void **state)
{
	struct fixture *f = *state;
	unsigned char id[16];

	as(f, &f->admin);
	f->fail_append = WL_ENOSPC;
	assert_int_equal(wl_membership_rotate(&f->w, ward(f)), WL_ENOSPC);
	assert_null(wl_keyring_get(f->keyring, f->ward, 2, 0));
	assert_int_equal(wl_membership_create(&f->w, WL_SPACE_WARD, "6 North",
					      NULL, 0, id, NULL),
			 WL_ENOSPC);
	refold(f);
	assert_int_equal(ward(f)->epoch, 1);
	assert_null(wl_spaces_by_name(f->spaces, "6 North"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(create_ward_seals_members, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(create_direct_by_nurse, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(create_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(add_seals_current_key, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(remove_starts_epoch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(rotate_new_epoch, setup, teardown),
	    cmocka_unit_test_setup_teardown(rotation_reason_race_and_revocation,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(may_seal_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(sync_seals_history, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(grant_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(append_failure_returned, setup,
					    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	wl_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
