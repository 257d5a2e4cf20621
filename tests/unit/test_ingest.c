#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "eventgen.h"
#include "testutil.h"
#include "wardline/error.h"
#include "wardline/ingest.h"

#define NOW_MS 1796400000000ull

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_hlc hlc;
	struct wl_ingest *in;
	struct gen_origin a;
	struct gen_origin b;
	unsigned char user_pk[32];
	unsigned char user_sk[64];
};

static uint64_t fixed_wall(void *arg)
{
	(void)arg;
	return NOW_MS;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};

	f->dir = testutil_mkdtemp();
	if (wl_store_open(f->dir, &opt, &f->store) != 0)
		return -1;
	wl_hlc_init(&f->hlc, fixed_wall, NULL, 60000, 0);
	if (wl_ingest_new(f->store, &f->hlc, 2, &f->in) != 0)
		return -1;
	gen_origin_init(&f->a);
	gen_origin_init(&f->b);
	crypto_sign_keypair(f->user_pk, f->user_sk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_ingest_free(f->in);
	wl_store_close(f->store);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static void to_inputs(struct gen_event *g, struct wl_ingest_input *in,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		in[i].buf = g[i].buf;
		in[i].len = g[i].len;
	}
}

static void free_events(struct gen_event *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].buf);
}

static uint64_t stored_events(struct fixture *f)
{
	struct wl_store_stats st;

	assert_int_equal(wl_store_stats(f->store, &st), 0);
	return st.events;
}

static void ingest_two_origins(void **state)
{
	struct fixture *f = *state;
	struct gen_event g[200];
	struct wl_ingest_input in[200];
	int res[200];

	for (size_t i = 0; i < 200; i++)
		g[i] = gen_next(i % 2 ? &f->a : &f->b, 600,
				i % 3 ? f->user_sk : NULL);
	to_inputs(g, in, 200);
	assert_int_equal(wl_ingest_batch(f->in, in, 200, res), 0);
	for (size_t i = 0; i < 200; i++)
		assert_int_equal(res[i], WL_STORED_APPENDED);
	assert_int_equal(stored_events(f), 200);
	assert_int_equal(wl_ingest_counters(f->in)->appended, 200);
	assert_int_equal(wl_ingest_counters(f->in)->rejected, 0);
	free_events(g, 200);
}

static void ingest_reversed_batch(void **state)
{
	struct fixture *f = *state;
	struct gen_event g[50];
	struct wl_ingest_input in[50];
	int res[50];

	for (size_t i = 0; i < 50; i++)
		g[49 - i] = gen_next(&f->a, 100, NULL);
	to_inputs(g, in, 50);
	assert_int_equal(wl_ingest_batch(f->in, in, 50, res), 0);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(res[i], WL_STORED_APPENDED);
	assert_int_equal(stored_events(f), 50);
	free_events(g, 50);
}

static void ingest_duplicates(void **state)
{
	struct fixture *f = *state;
	struct gen_event g[10];
	struct wl_ingest_input in[10];
	int res[10];

	for (size_t i = 0; i < 10; i++)
		g[i] = gen_next(&f->a, 64, NULL);
	to_inputs(g, in, 10);
	assert_int_equal(wl_ingest_batch(f->in, in, 10, res), 0);
	assert_int_equal(wl_ingest_batch(f->in, in, 10, res), 0);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(res[i], WL_STORED_DUPLICATE);
	assert_int_equal(stored_events(f), 10);
	assert_int_equal(wl_ingest_counters(f->in)->duplicates, 10);
	free_events(g, 10);
}

/* One batch holding a good event and one malformed copy of it per case;
 * each malformed event is rejected with the code naming its field and none
 * of them reaches the store. */
static void ingest_malformed_rejected(void **state)
{
	struct fixture *f = *state;
	struct gen_event good = gen_next(&f->a, 600, NULL);
	unsigned char bad[7][2048];
	size_t len[7];
	struct wl_ingest_input in[7];
	int res[7];
	const int want[7] = {WL_ETRUNC, WL_EVERSION, WL_ETOOBIG,
			     WL_EBODYHASH, WL_EAUTH, WL_EAUTH, WL_ETRAILING};

	for (int i = 0; i < 7; i++) {
		memcpy(bad[i], good.buf, good.len);
		len[i] = good.len;
	}
	len[0] = 100;                       /* truncated header */
	bad[1][0] = 9;                      /* unknown version */
	bad[2][136] = 0x7f;                 /* body_len over the maximum */
	bad[3][good.len - 1] ^= 0x01;       /* body bit flip */
	bad[4][80] ^= 0x01;                 /* timestamp bit flip */
	bad[5][WL_EVENT_HEADER_SIZE] ^= 1;  /* node signature bit flip */
	len[6] = good.len + 1;              /* one byte too many */
	for (int i = 0; i < 7; i++) {
		in[i].buf = bad[i];
		in[i].len = len[i];
	}

	assert_int_equal(wl_ingest_batch(f->in, in, 7, res), 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(res[i], want[i]);
	assert_int_equal(stored_events(f), 0);
	assert_int_equal(wl_ingest_counters(f->in)->rejected, 7);
	assert_int_equal(wl_ingest_counters(f->in)->by_reason[-WL_EAUTH], 2);
	free(good.buf);
}

static void ingest_skew_rejected(void **state)
{
	struct fixture *f = *state;
	struct gen_event g;
	struct wl_ingest_input in;
	int res;

	f->a.hlc = wl_hlc_pack(NOW_MS + 61000, 0);
	g = gen_next(&f->a, 10, NULL);
	in.buf = g.buf;
	in.len = g.len;
	assert_int_equal(wl_ingest_batch(f->in, &in, 1, &res), 0);
	assert_int_equal(res, WL_ESKEW);
	assert_int_equal(stored_events(f), 0);
	free(g.buf);
}

/* A run whose last node signature is bad: the honest events before it
 * still get in, each checked on its own. */
static void ingest_bad_last_signature(void **state)
{
	struct fixture *f = *state;
	struct gen_event g[10];
	struct wl_ingest_input in[10];
	int res[10];

	for (size_t i = 0; i < 10; i++)
		g[i] = gen_next(&f->a, 32, NULL);
	g[9].buf[WL_EVENT_HEADER_SIZE + 5] ^= 0x80;
	to_inputs(g, in, 10);
	assert_int_equal(wl_ingest_batch(f->in, in, 10, res), 0);
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(res[i], WL_STORED_APPENDED);
	assert_int_equal(res[9], WL_EAUTH);
	assert_int_equal(stored_events(f), 9);
	free_events(g, 10);
}

/* A bad signature in the middle of a run that is long enough to be
 * checked on two threads. Events after it wait for their predecessor. */
static void ingest_bad_author_parallel(void **state)
{
	struct fixture *f = *state;
	struct gen_event g[300];
	struct wl_ingest_input in[300];
	int res[300];
	size_t sig = WL_EVENT_HEADER_SIZE + 3; /* inside the author signature */

	for (size_t i = 0; i < 300; i++)
		g[i] = gen_next(&f->a, 32, f->user_sk);
	g[150].buf[sig] ^= 0x01;
	to_inputs(g, in, 300);
	assert_int_equal(wl_ingest_batch(f->in, in, 300, res), 0);
	for (size_t i = 0; i < 150; i++)
		assert_int_equal(res[i], WL_STORED_APPENDED);
	assert_int_equal(res[150], WL_EAUTH);
	for (size_t i = 151; i < 300; i++)
		assert_int_equal(res[i], WL_STORED_PENDING);
	assert_int_equal(stored_events(f), 150);
	free_events(g, 300);
}

static void ingest_fork_detected(void **state)
{
	struct fixture *f = *state;
	struct gen_origin twin;
	struct gen_event g[2];
	struct wl_ingest_input in[2];
	int res[2];

	twin = f->a; /* same key, same position: a forking origin */
	g[0] = gen_next(&f->a, 16, NULL);
	g[1] = gen_next(&twin, 17, NULL);
	to_inputs(g, in, 2);
	assert_int_equal(wl_ingest_batch(f->in, in, 2, res), 0);
	assert_int_equal(res[0], WL_STORED_APPENDED);
	assert_int_equal(res[1], WL_EFORK);
	assert_int_equal(wl_store_is_forked(f->store, f->a.pk), 1);
	free_events(g, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ingest_two_origins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_reversed_batch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_duplicates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_malformed_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_skew_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_bad_last_signature, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ingest_bad_author_parallel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(ingest_fork_detected, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
