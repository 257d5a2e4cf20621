/* Unit tests of the retention policy: its body, expiry, holds, and which
 * policy event wins. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/json.h"
#include "wardline/retention.h"

#define NOW 1796400000000ull
#define DAY WL_RETENTION_DAY_MS

static const unsigned char ward[16] = {1, 2, 3};
static const unsigned char icu[16] = {4, 5, 6};

static struct wl_event_header header(uint8_t kind,
				     const unsigned char space[16],
				     uint64_t wall_ms)
{
	struct wl_event_header h;

	memset(&h, 0, sizeof(h));
	h.kind = kind;
	memcpy(h.space, space, 16);
	h.hlc = wall_ms << 16;
	return h;
}

/* The defaults keep audit records six years and everything else. */
static void retention_defaults(void **state)
{
	struct wl_retention_policy p;
	struct wl_event_header msg = header(WL_KIND_MESSAGE, ward, 0);
	struct wl_event_header audit = header(WL_KIND_AUDIT, ward, 0);

	(void)state;
	wl_retention_defaults(&p);
	assert_int_equal(p.days[WL_KIND_AUDIT], 2190);
	assert_false(wl_retention_expired(&p, &msg, NOW));
	assert_false(wl_retention_expired(&p, &audit, 2189 * DAY));
	assert_true(wl_retention_expired(&p, &audit, 2190 * DAY));
}

/* A body expires on its day, not before, and a hold keeps its space. */
static void retention_expiry_day(void **state)
{
	struct wl_retention_policy p;
	struct wl_event_header in_ward = header(WL_KIND_MESSAGE, ward, NOW);
	struct wl_event_header in_icu = header(WL_KIND_MESSAGE, icu, NOW);
	struct wl_event_header task = header(WL_KIND_ENTITY_UPDATE, ward, NOW);

	(void)state;
	wl_retention_defaults(&p);
	p.days[WL_KIND_MESSAGE] = 30;
	p.n_holds = 1;
	memcpy(p.holds[0].space, icu, 16);

	assert_false(wl_retention_expired(&p, &in_ward, NOW + 30 * DAY - 1));
	assert_true(wl_retention_expired(&p, &in_ward, NOW + 30 * DAY));
	assert_false(wl_retention_expired(&p, &in_icu, NOW + 300 * DAY));
	assert_false(wl_retention_expired(&p, &task, NOW + 3000 * DAY));
	/* A clock behind the event never expires it. */
	assert_false(wl_retention_expired(&p, &in_ward, NOW - DAY));
	assert_true(wl_retention_held(&p, icu));
	assert_false(wl_retention_held(&p, ward));
}

/* The body round-trips with its days and holds. */
static void retention_round_trip(void **state)
{
	struct wl_retention_policy p, back;
	unsigned char buf[WL_RETENTION_JSON_MAX];
	size_t len = 0;

	(void)state;
	wl_retention_defaults(&p);
	p.days[WL_KIND_MESSAGE] = 30;
	p.days[WL_KIND_ENTITY_UPDATE] = 365;
	p.days[WL_KIND_RECEIPT] = 7;
	p.n_holds = 2;
	memcpy(p.holds[0].space, icu, 16);
	memcpy(p.holds[1].space, ward, 16);
	memcpy(p.holds[1].patient, "patient/p7", 11);

	assert_int_equal(wl_retention_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(wl_retention_decode(buf, len, &back, NULL), 0);
	assert_int_equal(back.days[WL_KIND_MESSAGE], 30);
	assert_int_equal(back.days[WL_KIND_ENTITY_UPDATE], 365);
	assert_int_equal(back.days[WL_KIND_RECEIPT], 7);
	assert_int_equal(back.days[WL_KIND_AUDIT], 2190);
	assert_int_equal(back.n_holds, 2);
	assert_memory_equal(back.holds[0].space, icu, 16);
	assert_string_equal(back.holds[0].patient, "");
	assert_string_equal(back.holds[1].patient, "patient/p7");
}

/* The decoder rejects what a policy must not say. */
static void retention_decode_rejects(void **state)
{
	static const struct {
		const char *json;
		int rc;
		const char *field;
	} cases[] = {
		{"{\"days\":{\"audit\":30},\"holds\":[],\"v\":1}", WL_ERANGE,
		 "days"},
		{"{\"days\":{\"message\":-1},\"holds\":[],\"v\":1}", WL_ERANGE,
		 "days"},
		{"{\"days\":{\"message\":40000},\"holds\":[],\"v\":1}",
		 WL_ERANGE, "days"},
		{"{\"days\":{\"node_cert\":3},\"holds\":[],\"v\":1}", WL_EINVAL,
		 "days"},
		{"{\"days\":{},\"holds\":[{\"space\":\"AQID\"}],\"v\":1}",
		 WL_EINVAL, "holds"},
		{"{\"days\":{},\"holds\":[{\"patient\":\"a b\",\"space\":"
		 "\"AQIDAAAAAAAAAAAAAAAAAA==\"}],\"v\":1}",
		 WL_EINVAL, "patient"},
		{"{\"days\":{},\"v\":1}", WL_ETRUNC, "holds"},
		{"{\"days\":{},\"holds\":[],\"v\":2}", WL_EVERSION, "v"},
		{"{\"days\":{},\"holds\":[],\"more\":1,\"v\":1}", WL_EINVAL,
		 NULL},
	};
	struct wl_retention_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *field = "unset";

		assert_int_equal(
			wl_retention_decode((const unsigned char *)cases[i].json,
					    strlen(cases[i].json), &p, &field),
			cases[i].rc);
		if (cases[i].field == NULL)
			assert_null(field);
		else
			assert_string_equal(field, cases[i].field);
	}
}

/* Append policy P signed by AUTHOR_SK to STORE at wall time WALL. */
static void append_policy(struct wl_store *store, struct wl_identity *id,
			  uint64_t *wall, struct wl_hlc *hlc,
			  const struct wl_retention_policy *p,
			  const unsigned char *author_sk)
{
	unsigned char buf[WL_RETENTION_JSON_MAX];
	struct wl_feed_item it;

	memset(&it, 0, sizeof(it));
	assert_int_equal(wl_retention_encode(p, buf, sizeof(buf),
					     &it.body_len),
			 0);
	it.kind = WL_KIND_SITE_POLICY;
	it.author_sk = author_sk;
	it.body = buf;
	*wall += 1000;
	assert_int_equal(wl_feed_append(store, id, hlc, &it, 1, NULL, NULL),
			 0);
}

static uint64_t test_wall(void *arg)
{
	return *(uint64_t *)arg;
}

/* The newest policy signed by the site key wins; a policy signed by a key
 * that may not set policy is ignored. */
static void retention_load_newest_valid(void **state)
{
	struct wl_store_options opt = {.no_sync = 1};
	unsigned char site_pk[32], site_sk[64], other_pk[32], other_sk[64];
	struct wl_retention_policy p, got;
	struct wl_identity *id = NULL;
	struct wl_store *store = NULL;
	struct wl_users *users = NULL;
	struct wl_hlc hlc;
	uint64_t wall = NOW;
	char *dir = testutil_mkdtemp();

	(void)state;
	crypto_sign_keypair(site_pk, site_sk);
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(wl_identity_load_or_create(dir, &id, NULL), 0);
	assert_int_equal(wl_store_open(dir, &opt, &store), 0);
	assert_int_equal(wl_users_new(site_pk, &users), 0);
	wl_hlc_init(&hlc, test_wall, &wall, 60000, 0);

	assert_int_equal(wl_retention_load(&got, users, store), 0);
	assert_int_equal(got.hlc, 0);

	wl_retention_defaults(&p);
	p.days[WL_KIND_MESSAGE] = 30;
	append_policy(store, id, &wall, &hlc, &p, site_sk);
	p.days[WL_KIND_MESSAGE] = 60;
	append_policy(store, id, &wall, &hlc, &p, site_sk);
	p.days[WL_KIND_MESSAGE] = 1;
	append_policy(store, id, &wall, &hlc, &p, other_sk);

	assert_int_equal(wl_retention_load(&got, users, store), 0);
	assert_int_equal(got.days[WL_KIND_MESSAGE], 60);
	assert_true(got.hlc > 0);

	wl_users_free(users);
	wl_store_close(store);
	wl_identity_free(id);
	testutil_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retention_defaults),
		cmocka_unit_test(retention_expiry_day),
		cmocka_unit_test(retention_round_trip),
		cmocka_unit_test(retention_decode_rejects),
		cmocka_unit_test(retention_load_newest_valid),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
