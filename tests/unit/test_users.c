#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "testutil.h"
#include "wardline/access.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/users.h"

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_identity *id;
	struct wl_hlc hlc;
	uint64_t wall_ms;
	unsigned char site_pk[32];
	unsigned char site_sk[64];
	struct wl_users *users;
};

static uint64_t test_wall(void *arg)
{
	return *(uint64_t *)arg;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};

	f->dir = testutil_mkdtemp();
	f->wall_ms = 1796400000000ull;
	crypto_sign_keypair(f->site_pk, f->site_sk);
	if (wl_identity_load_or_create(f->dir, &f->id, NULL) != 0 ||
	    wl_store_open(f->dir, &opt, &f->store) != 0 ||
	    wl_users_new(f->site_pk, &f->users) != 0)
		return -1;
	wl_hlc_init(&f->hlc, test_wall, &f->wall_ms, 60000, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_users_free(f->users);
	wl_store_close(f->store);
	wl_identity_free(f->id);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

/* Append BUNDLE as a bundle event signed by AUTHOR_SK and apply it. */
static int append_apply(struct fixture *f, const struct wl_keys_bundle *b,
			const unsigned char *author_sk)
{
	struct wl_feed_item item;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	unsigned char id[1][WL_EVENT_ID_SIZE];
	struct wl_store_entry e;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	assert_int_equal(wl_keys_bundle_encode(b, json, sizeof(json), &len),
			 0);
	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_USER_BUNDLE;
	item.author_sk = author_sk;
	item.body = json;
	item.body_len = len;
	f->wall_ms += 1000;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1, id,
					NULL), 0);
	assert_int_equal(wl_store_get(f->store, id[0], &e, &buf), 0);
	rc = wl_users_apply(f->users, &e.ev);
	free(buf);
	return rc;
}

/* Make a user and append its bundle event signed by AUTHOR_SK. Returns
 * the wl_users_apply code of the event; SECRET receives the user's keys
 * when not NULL. */
static int add_user(struct fixture *f, const unsigned char *user_id,
		    const char *name, enum wl_role role,
		    const unsigned char *author_sk,
		    struct wl_keys_secret **secret)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	struct wl_keys_bundle b;
	struct wl_feed_item item;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	unsigned char id[1][WL_EVENT_ID_SIZE];
	struct wl_store_entry e;
	unsigned char *buf = NULL;
	uint64_t local = 0;
	size_t len = 0;
	int rc;

	assert_int_equal(wl_keys_user_new(user_id, name, "Test Person", role,
					  "correct horse battery", &cost, &b,
					  secret), 0);
	assert_int_equal(wl_keys_bundle_encode(&b, json, sizeof(json), &len),
			 0);
	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_USER_BUNDLE;
	item.author_sk = author_sk;
	item.body = json;
	item.body_len = len;
	f->wall_ms += 1000;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1, id,
					NULL), 0);
	assert_int_equal(wl_store_lookup_id(f->store, id[0], &local), 0);
	assert_int_equal(wl_store_get(f->store, id[0], &e, &buf), 0);
	rc = wl_users_apply(f->users, &e.ev);
	free(buf);
	return rc;
}

static void users_site_then_admin(void **state)
{
	struct fixture *f = *state;
	struct wl_keys_secret *admin = NULL;
	const struct wl_user *u;

	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_ADMIN, f->site_sk,
				  &admin), 0);
	assert_int_equal(add_user(f, NULL, "bob", WL_ROLE_NURSE,
				  admin->sign_sk, NULL), 0);
	assert_int_equal(wl_users_count(f->users), 2);
	u = wl_users_by_name(f->users, "alice");
	assert_non_null(u);
	assert_int_equal(u->by_site, 1);
	u = wl_users_by_name(f->users, "bob");
	assert_non_null(u);
	assert_int_equal(u->by_site, 0);
	assert_int_equal(u->bundle.role, WL_ROLE_NURSE);
	wl_keys_secret_free(admin);
}

static void users_nurse_cannot_add(void **state)
{
	struct fixture *f = *state;
	struct wl_keys_secret *admin = NULL;
	struct wl_keys_secret *nurse = NULL;

	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_ADMIN, f->site_sk,
				  &admin), 0);
	assert_int_equal(add_user(f, NULL, "bob", WL_ROLE_NURSE,
				  admin->sign_sk, &nurse), 0);
	assert_int_equal(add_user(f, NULL, "mallory", WL_ROLE_ADMIN,
				  nurse->sign_sk, NULL), WL_EDENIED);
	assert_null(wl_users_by_name(f->users, "mallory"));
	assert_int_equal(wl_users_stats(f->users)->rejected_denied, 1);
	wl_keys_secret_free(admin);
	wl_keys_secret_free(nurse);
}

static void users_node_authored_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add_user(f, NULL, "eve", WL_ROLE_ADMIN, NULL, NULL),
			 WL_EAUTH);
	assert_int_equal(wl_users_count(f->users), 0);
}

static void users_name_taken(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_ADMIN, f->site_sk,
				  NULL), 0);
	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_NURSE, f->site_sk,
				  NULL), WL_EEXIST);
	assert_int_equal(wl_users_by_name(f->users, "alice")->bundle.role,
			 WL_ROLE_ADMIN);
}

/* A reset (same user id, later event) replaces the keys; the fold from the
 * store reaches the same table as the live applies. */
static void users_reset_and_reload(void **state)
{
	struct fixture *f = *state;
	unsigned char id[16];
	unsigned char old_pk[32];
	struct wl_users *again = NULL;
	const struct wl_user *u;

	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_ADMIN, f->site_sk,
				  NULL), 0);
	u = wl_users_by_name(f->users, "alice");
	memcpy(id, u->bundle.user_id, 16);
	memcpy(old_pk, u->bundle.sign_pk, 32);
	assert_int_equal(add_user(f, id, "alice", WL_ROLE_ADMIN, f->site_sk,
				  NULL), 0);
	u = wl_users_by_name(f->users, "alice");
	assert_memory_not_equal(u->bundle.sign_pk, old_pk, 32);
	assert_int_equal(wl_users_count(f->users), 1);

	assert_int_equal(wl_users_new(f->site_pk, &again), 0);
	assert_int_equal(wl_users_load(again, f->store), 0);
	assert_int_equal(wl_users_count(again), 1);
	assert_memory_equal(wl_users_by_name(again, "alice")->bundle.sign_pk,
			    u->bundle.sign_pk, 32);
	wl_users_free(again);
}

/* A disabled admin can no longer add users. */
static void users_disabled_admin(void **state)
{
	struct fixture *f = *state;
	struct wl_keys_secret *admin = NULL;
	struct wl_keys_bundle b;

	assert_int_equal(add_user(f, NULL, "alice", WL_ROLE_ADMIN, f->site_sk,
				  &admin), 0);
	b = wl_users_by_name(f->users, "alice")->bundle;
	b.disabled = 1;
	assert_int_equal(append_apply(f, &b, f->site_sk), 0);
	assert_int_equal(wl_users_by_name(f->users, "alice")->bundle.disabled,
			 1);
	assert_int_equal(add_user(f, NULL, "bob", WL_ROLE_NURSE,
				  admin->sign_sk, NULL), WL_EDENIED);
	assert_null(wl_users_by_name(f->users, "bob"));
	wl_keys_secret_free(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(users_site_then_admin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(users_nurse_cannot_add, setup,
						teardown),
		cmocka_unit_test_setup_teardown(users_node_authored_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(users_name_taken, setup,
						teardown),
		cmocka_unit_test_setup_teardown(users_reset_and_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(users_disabled_admin, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
