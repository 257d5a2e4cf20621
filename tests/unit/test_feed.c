#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/feed.h"

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_identity *id;
	struct wl_hlc hlc;
	uint64_t wall_ms;
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
	if (wl_identity_load_or_create(f->dir, &f->id, NULL) != 0 ||
	    wl_store_open(f->dir, &opt, &f->store) != 0)
		return -1;
	wl_hlc_init(&f->hlc, test_wall, &f->wall_ms, 60000, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_store_close(f->store);
	wl_identity_free(f->id);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static struct wl_feed_item test_item(const char *body)
{
	struct wl_feed_item it;

	memset(&it, 0, sizeof(it));
	it.kind = WL_KIND_TEST;
	it.body = (const unsigned char *)body;
	it.body_len = strlen(body);
	return it;
}

static void feed_appends_chain(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item items[3] = {test_item("a"), test_item("bb"),
					test_item("ccc")};
	unsigned char ids[3][WL_EVENT_ID_SIZE];
	struct wl_store_entry e;
	unsigned char *buf = NULL;
	uint64_t last = 0;

	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, items, 3, ids,
					&last), 0);
	assert_int_equal(last, 3);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		assert_int_equal(wl_store_get_seq(f->store, f->id->pk, seq, &e,
						  &buf), 0);
		assert_memory_equal(e.ev.id, ids[seq - 1], 32);
		assert_int_equal(wl_event_verify(&e.ev), 0);
		assert_int_equal(e.body_len, seq);
		if (seq > 1)
			assert_memory_equal(e.ev.h.prev, ids[seq - 2], 32);
		free(buf);
	}
}

/* The wall clock steps back an hour between two appends; the second event
 * still sorts after the first. */
static void feed_clock_step_back(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item item = test_item("x");
	struct wl_store_head h1;
	struct wl_store_head h2;

	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1,
					NULL, NULL), 0);
	assert_int_equal(wl_store_head(f->store, f->id->pk, &h1), 0);
	f->wall_ms -= 3600 * 1000;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1,
					NULL, NULL), 0);
	assert_int_equal(wl_store_head(f->store, f->id->pk, &h2), 0);
	assert_true(h2.hlc > h1.hlc);
	assert_int_equal(h2.seq, 2);
}

/* A restarted node (fresh clock at 0) continues after the stored head. */
static void feed_restart_continues(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item item = test_item("y");
	struct wl_store_head h1;
	struct wl_store_head h2;
	struct wl_hlc fresh;

	f->wall_ms += 5000;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1,
					NULL, NULL), 0);
	assert_int_equal(wl_store_head(f->store, f->id->pk, &h1), 0);
	f->wall_ms -= 5000;
	wl_hlc_init(&fresh, test_wall, &f->wall_ms, 60000, 0);
	assert_int_equal(wl_feed_append(f->store, f->id, &fresh, &item, 1,
					NULL, NULL), 0);
	assert_int_equal(wl_store_head(f->store, f->id->pk, &h2), 0);
	assert_true(h2.hlc > h1.hlc);
}

static void feed_bad_item_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item items[2] = {test_item("ok"), test_item("bad")};
	struct wl_store_stats st;
	uint64_t before = f->hlc.last;

	items[1].kind = 0; /* no such kind */
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, items, 2,
					NULL, NULL), WL_EKIND);
	assert_int_equal(wl_store_stats(f->store, &st), 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(f->hlc.last, before);
}

/* Certificates and revocations are found through the kind index without
 * reading the messages around them; other kinds are not indexed. */
static void feed_kind_index(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item items[5] = {test_item("c1"), test_item("m"),
					test_item("r"), test_item("c2"),
					test_item("m2")};
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	uint64_t seqs[2];
	size_t n = 0;
	int rc;

	items[0].kind = WL_KIND_NODE_CERT;
	items[2].kind = WL_KIND_REVOCATION;
	items[3].kind = WL_KIND_NODE_CERT;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, items, 5,
					NULL, NULL), 0);

	assert_int_equal(wl_store_iter_kind(f->store, WL_KIND_NODE_CERT, &it),
			 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1 && n < 2)
		seqs[n++] = e.ev.h.seq;
	wl_store_iter_free(it);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(seqs[1], 4);

	assert_int_equal(wl_store_iter_kind(f->store, WL_KIND_REVOCATION, &it),
			 0);
	assert_int_equal(wl_store_iter_next(it, &e), 1);
	assert_int_equal(e.ev.h.seq, 3);
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	wl_store_iter_free(it);

	assert_int_equal(wl_store_iter_kind(f->store, WL_KIND_TEST, &it), 0);
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	wl_store_iter_free(it);
}

/* Releasing the mapped pages loses nothing, and waits for iterators. */
static void feed_release_pages(void **state)
{
	struct fixture *f = *state;
	struct wl_feed_item item = test_item("kept after release");
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;

	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &item, 1,
					NULL, NULL), 0);
	assert_int_equal(wl_store_iter_origin(f->store, f->id->pk, 0, &it), 0);
	assert_int_equal(wl_store_release_pages(f->store), WL_EBUSY);
	wl_store_iter_free(it);
	assert_int_equal(wl_store_release_pages(f->store), 0);

	assert_int_equal(wl_store_iter_origin(f->store, f->id->pk, 0, &it), 0);
	assert_int_equal(wl_store_iter_next(it, &e), 1);
	assert_int_equal(e.body_len, strlen("kept after release"));
	assert_memory_equal(e.body, "kept after release", e.body_len);
	wl_store_iter_free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(feed_appends_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(feed_clock_step_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(feed_restart_continues, setup,
						teardown),
		cmocka_unit_test_setup_teardown(feed_bad_item_writes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(feed_kind_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(feed_release_pages, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
