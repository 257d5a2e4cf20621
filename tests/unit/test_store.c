#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/event.h"
#include "wardline/log.h"
#include "wardline/store.h"

#define SMALL_MAP (64 * 1024)

/* Every log line of the tests goes here, so that tests can read them. */
static FILE *test_log;

/* One origin whose events the tests make by hand, so that they can also
 * make conflicting ones. */
struct feed {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	uint64_t seq; /* seq of the last event made by next_event */
	unsigned char last_id[WL_EVENT_ID_SIZE];
	uint64_t hlc;
};

/* An encoded event and its decoded view, which points into BUF. */
struct test_event {
	unsigned char *buf;
	size_t len;
	struct wl_event ev;
};

struct fixture {
	char *dir;
	struct wl_store *s;
};

static void feed_init(struct feed *f)
{
	memset(f, 0, sizeof(*f));
	crypto_sign_keypair(f->pk, f->sk);
	f->hlc = (uint64_t)1796400000000ull << 16;
}

/* Make an event of F at SEQ after PREV with a body of BODY_LEN bytes
 * derived from SEQ and VARIANT; two variants give two different events. */
static void make_event(struct feed *f, uint64_t seq, const unsigned char *prev,
		       size_t body_len, unsigned variant,
		       const unsigned char *author_sk, struct test_event *m)
{
	struct wl_event_header h;
	unsigned char *body = malloc(body_len + 1);
	size_t cap = WL_EVENT_SIGNED_MAX + body_len;

	assert_non_null(body);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (unsigned char)(seq * 131 + i * 7 + variant * 29);

	memset(&h, 0, sizeof(h));
	h.version = WL_EVENT_VERSION;
	h.kind = WL_KIND_TEST;
	memcpy(h.origin, f->pk, sizeof(h.origin));
	h.seq = seq;
	memcpy(h.prev, prev, sizeof(h.prev));
	h.hlc = ++f->hlc;
	h.epoch = 3;
	memset(h.space, 0x5a, sizeof(h.space));

	m->buf = malloc(cap);
	assert_non_null(m->buf);
	assert_int_equal(wl_event_encode(&h, body, body_len, author_sk, f->sk,
					 m->buf, cap, &m->len, &m->ev),
			 0);
	free(body);
}

/* Make the event after the last one made by F. */
static void next_event(struct feed *f, size_t body_len, struct test_event *m)
{
	make_event(f, f->seq + 1, f->last_id, body_len, 0, NULL, m);
	f->seq++;
	memcpy(f->last_id, m->ev.id, WL_EVENT_ID_SIZE);
}

static void free_events(struct test_event *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].buf);
}

static void open_store(struct fixture *fx, size_t map_size, int no_sync)
{
	struct wl_store_options opt = {map_size, no_sync};

	assert_int_equal(wl_store_open(fx->dir, &opt, &fx->s), 0);
}

static void reopen_store(struct fixture *fx, size_t map_size, int no_sync)
{
	wl_store_close(fx->s);
	fx->s = NULL;
	open_store(fx, map_size, no_sync);
}

/* Replace the store of FX by a new one in a new directory. An existing
 * store keeps the map size stored in its file, so a test of a small map
 * needs a new store. */
static void recreate_store(struct fixture *fx, size_t map_size, int no_sync)
{
	wl_store_close(fx->s);
	fx->s = NULL;
	testutil_rmdir(fx->dir);
	fx->dir = testutil_mkdtemp();
	open_store(fx, map_size, no_sync);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->dir = testutil_mkdtemp();
	if (wl_store_open(fx->dir, &(struct wl_store_options){0, 1}, &fx->s) !=
	    0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	wl_store_close(fx->s);
	testutil_rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Insert N events and check that each got EXPECT. */
static void insert_expect(struct wl_store *s, const struct test_event *m,
			  size_t n, int expect)
{
	struct wl_event *evs = calloc(n, sizeof(*evs));
	int *results = calloc(n, sizeof(*results));

	assert_non_null(evs);
	assert_non_null(results);
	for (size_t i = 0; i < n; i++)
		evs[i] = m[i].ev;
	assert_int_equal(wl_store_insert(s, evs, n, results, NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(results[i], expect);
	free(evs);
	free(results);
}

static int insert_one(struct wl_store *s, const struct test_event *m)
{
	int result = 99;

	assert_int_equal(wl_store_insert(s, &m->ev, 1, &result, NULL), 0);
	return result;
}

static void assert_same_event(const struct wl_event *a,
			      const struct wl_event *b)
{
	assert_int_equal(a->h.version, b->h.version);
	assert_int_equal(a->h.kind, b->h.kind);
	assert_int_equal(a->h.flags, b->h.flags);
	assert_memory_equal(a->h.origin, b->h.origin, WL_EVENT_KEY_SIZE);
	assert_int_equal(a->h.seq, b->h.seq);
	assert_memory_equal(a->h.prev, b->h.prev, WL_EVENT_HASH_SIZE);
	assert_int_equal(a->h.hlc, b->h.hlc);
	assert_memory_equal(a->h.space, b->h.space, WL_EVENT_SPACE_SIZE);
	assert_int_equal(a->h.epoch, b->h.epoch);
	assert_memory_equal(a->h.author, b->h.author, WL_EVENT_KEY_SIZE);
	assert_int_equal(a->h.body_len, b->h.body_len);
	assert_memory_equal(a->h.body_hash, b->h.body_hash, WL_EVENT_HASH_SIZE);
	assert_memory_equal(a->author_sig, b->author_sig, WL_EVENT_SIG_SIZE);
	assert_memory_equal(a->node_sig, b->node_sig, WL_EVENT_SIG_SIZE);
	assert_memory_equal(a->id, b->id, WL_EVENT_ID_SIZE);
	assert_int_equal(a->signed_len, b->signed_len);
	assert_memory_equal(a->signed_bytes, b->signed_bytes, a->signed_len);
}

/* Check that entry E contains the event of M with its body. */
static void assert_entry_is(const struct wl_store_entry *e,
			    const struct test_event *m, uint64_t local_seq)
{
	assert_int_equal(e->local_seq, local_seq);
	assert_same_event(&e->ev, &m->ev);
	assert_ptr_equal(e->ev.body, e->body);
	assert_int_equal(e->body_len, m->ev.h.body_len);
	if (m->ev.h.body_len == 0) {
		assert_null(e->body);
		return;
	}
	assert_non_null(e->body);
	assert_memory_equal(e->body, m->ev.body, e->body_len);
}

static void assert_head(struct wl_store *s, const struct feed *f, uint64_t seq,
			const struct test_event *last)
{
	struct wl_store_head head;

	assert_int_equal(wl_store_head(s, f->pk, &head), 0);
	assert_memory_equal(head.origin, f->pk, WL_EVENT_KEY_SIZE);
	assert_int_equal(head.seq, seq);
	assert_memory_equal(head.id, last->ev.id, WL_EVENT_ID_SIZE);
	assert_int_equal(head.hlc, last->ev.h.hlc);
}

static void get_stats(struct wl_store *s, struct wl_store_stats *st)
{
	assert_int_equal(wl_store_stats(s, st), 0);
}

/* Collect the seqs of the events of ORIGIN after AFTER, at most MAX. */
static size_t origin_seqs(struct wl_store *s, const unsigned char *origin,
			  uint64_t after, uint64_t *seqs, size_t max)
{
	struct wl_store_iter *it;
	struct wl_store_entry e;
	size_t n = 0;
	int rc;

	assert_int_equal(wl_store_iter_origin(s, origin, after, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		assert_true(n < max);
		assert_memory_equal(e.ev.h.origin, origin, WL_EVENT_KEY_SIZE);
		seqs[n++] = e.ev.h.seq;
	}
	assert_int_equal(rc, 0);
	wl_store_iter_free(it);
	return n;
}

/* Count the fork evidence entries of ORIGIN at SEQ and check that one has
 * the id ID. */
static size_t fork_entries(struct wl_store *s, const unsigned char *origin,
			   uint64_t seq, const unsigned char *id)
{
	struct wl_store_iter *it;
	struct wl_store_entry e;
	size_t n = 0;
	int found = 0;
	int rc;

	assert_int_equal(wl_store_iter_forks(s, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		assert_int_equal(e.local_seq, 0);
		assert_null(e.body);
		if (memcmp(e.ev.h.origin, origin, WL_EVENT_KEY_SIZE) != 0 ||
		    e.ev.h.seq != seq)
			continue;
		n++;
		if (memcmp(e.ev.id, id, WL_EVENT_ID_SIZE) == 0)
			found = 1;
	}
	assert_int_equal(rc, 0);
	wl_store_iter_free(it);
	assert_true(found);
	return n;
}

static long log_mark(void)
{
	fflush(test_log);
	return ftell(test_log);
}

/* Return the log lines written since MARK, as a string to free. */
static char *log_since(long mark)
{
	long end;
	char *text;

	fflush(test_log);
	assert_int_equal(fseek(test_log, 0, SEEK_END), 0);
	end = ftell(test_log);
	assert_true(end >= mark);
	text = calloc(1, (size_t)(end - mark) + 1);
	assert_non_null(text);
	assert_int_equal(fseek(test_log, mark, SEEK_SET), 0);
	assert_int_equal(fread(text, 1, (size_t)(end - mark), test_log),
			 (size_t)(end - mark));
	assert_int_equal(fseek(test_log, 0, SEEK_END), 0);
	return text;
}

static void store_open_creates_files(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data.mdb", fx->dir);
	assert_string_equal(wl_store_path(fx->s), path);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/lock.mdb", fx->dir);
	assert_int_equal(stat(path, &sb), 0);

	get_stats(fx->s, &st);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.origins, 0);
	assert_int_equal(st.map_size, 64 << 20);
	assert_true(st.used > 0);
}

static void store_open_missing_dir(void **state)
{
	struct wl_store *s = (struct wl_store *)1;

	(void)state;
	assert_int_equal(wl_store_open("/tmp/wardline-no-such-dir/x", NULL, &s),
			 WL_EIO);
	assert_null(s);
}

/* A store written in another format version is rejected at open. */
static void store_open_rejects_format(void **state)
{
	struct fixture *fx = *state;
	unsigned char two[4] = {0, 0, 0, 2};
	MDB_val k = {6, "format"}, v = {4, two};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	wl_store_close(fx->s);
	fx->s = NULL;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	assert_int_equal(wl_store_open(fx->dir, NULL, &fx->s), WL_EVERSION);
	assert_null(fx->s);
}

static void store_insert_read_back(void **state)
{
	struct fixture *fx = *state;
	unsigned char author_pk[32], author_sk[64];
	struct wl_store_entry e;
	unsigned char *buf;
	uint64_t local_seq;
	struct test_event m[2];
	struct feed f;

	feed_init(&f);
	crypto_sign_keypair(author_pk, author_sk);
	make_event(&f, 1, f.last_id, 300, 0, author_sk, &m[0]);
	f.seq = 1;
	memcpy(f.last_id, m[0].ev.id, WL_EVENT_ID_SIZE);
	next_event(&f, 0, &m[1]);
	insert_expect(fx->s, m, 2, WL_STORED_APPENDED);

	assert_int_equal(wl_store_get(fx->s, m[0].ev.id, &e, &buf), 0);
	assert_entry_is(&e, &m[0], 1);
	assert_memory_equal(e.ev.h.author, author_pk, 32);
	assert_int_equal(e.ev.signed_len, WL_EVENT_SIGNED_MAX);
	free(buf);

	assert_int_equal(wl_store_get_seq(fx->s, f.pk, 2, &e, &buf), 0);
	assert_entry_is(&e, &m[1], 2);
	free(buf);

	assert_int_equal(wl_store_lookup_id(fx->s, m[1].ev.id, &local_seq), 0);
	assert_int_equal(local_seq, 2);
	assert_head(fx->s, &f, 2, &m[1]);
	free_events(m, 2);
}

static void store_iterators_read_back(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_iter *it;
	struct wl_store_entry e;
	struct test_event m[3];
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, i == 1 ? 0 : 50 + (size_t)i, &m[i]);
	insert_expect(fx->s, m, 3, WL_STORED_APPENDED);

	assert_int_equal(wl_store_iter_origin(fx->s, f.pk, 0, &it), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wl_store_iter_next(it, &e), 1);
		assert_entry_is(&e, &m[i], (uint64_t)i + 1);
	}
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	wl_store_iter_free(it);

	assert_int_equal(wl_store_iter_local(fx->s, 0, &it), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wl_store_iter_next(it, &e), 1);
		assert_entry_is(&e, &m[i], (uint64_t)i + 1);
	}
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	wl_store_iter_free(it);
	free_events(m, 3);
}

static void store_lookup_missing(void **state)
{
	struct fixture *fx = *state;
	unsigned char unknown[32] = {1, 2, 3};
	struct wl_store_entry e;
	struct wl_store_head head;
	unsigned char *buf = (unsigned char *)1;
	uint64_t local_seq = 7;

	assert_int_equal(wl_store_get(fx->s, unknown, &e, &buf), WL_ENOTFOUND);
	assert_null(buf);
	buf = (unsigned char *)1;
	assert_int_equal(wl_store_get_seq(fx->s, unknown, 1, &e, &buf),
			 WL_ENOTFOUND);
	assert_null(buf);
	assert_int_equal(wl_store_lookup_id(fx->s, unknown, &local_seq),
			 WL_ENOTFOUND);
	assert_int_equal(local_seq, 0);
	assert_int_equal(wl_store_head(fx->s, unknown, &head), WL_ENOTFOUND);
	assert_int_equal(wl_store_is_forked(fx->s, unknown), 0);
}

static void store_insert_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_event evs[2];
	int results[2];
	size_t drained = 9;
	struct test_event m;
	struct feed f;

	feed_init(&f);
	next_event(&f, 40, &m);
	evs[0] = m.ev;
	evs[1] = m.ev;
	assert_int_equal(wl_store_insert(fx->s, evs, 2, results, &drained), 0);
	assert_int_equal(results[0], WL_STORED_APPENDED);
	assert_int_equal(results[1], WL_STORED_DUPLICATE);
	assert_int_equal(drained, 0);

	assert_int_equal(insert_one(fx->s, &m), WL_STORED_DUPLICATE);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.bodies, 1);
	assert_head(fx->s, &f, 1, &m);
	free(m.buf);
}

/* An event waiting in "pending" that arrives again is a duplicate too. */
static void store_pending_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_event evs[2];
	int results[2];
	struct test_event m[3];
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 10, &m[i]);
	evs[0] = m[2].ev;
	evs[1] = m[2].ev;
	assert_int_equal(wl_store_insert(fx->s, evs, 2, results, NULL), 0);
	assert_int_equal(results[0], WL_STORED_PENDING);
	assert_int_equal(results[1], WL_STORED_DUPLICATE);
	assert_int_equal(insert_one(fx->s, &m[2]), WL_STORED_DUPLICATE);

	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.events, 0);
	free_events(m, 3);
}

static void store_chain_across_batches(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_iter *it;
	struct wl_store_entry e;
	unsigned char prev[32] = {0};
	struct test_event m[15];
	struct feed f;
	int rc, n = 0;

	feed_init(&f);
	for (int i = 0; i < 15; i++)
		next_event(&f, 20, &m[i]);
	for (int b = 0; b < 3; b++)
		insert_expect(fx->s, &m[b * 5], 5, WL_STORED_APPENDED);
	assert_head(fx->s, &f, 15, &m[14]);

	assert_int_equal(wl_store_iter_origin(fx->s, f.pk, 0, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		assert_int_equal(e.ev.h.seq, (uint64_t)n + 1);
		assert_memory_equal(e.ev.h.prev, prev, 32);
		memcpy(prev, e.ev.id, 32);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 15);
	wl_store_iter_free(it);
	free_events(m, 15);
}

/* Seq 3 and 2 wait for seq 1; its arrival appends all three. */
static void store_out_of_order_drains(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_store_entry e;
	unsigned char *buf;
	size_t drained = 0;
	struct test_event m[3];
	struct feed f;
	int result;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 64, &m[i]);
	assert_int_equal(insert_one(fx->s, &m[2]), WL_STORED_PENDING);
	assert_int_equal(insert_one(fx->s, &m[1]), WL_STORED_PENDING);
	assert_int_equal(wl_store_head(fx->s, f.pk, &(struct wl_store_head){0}),
			 WL_ENOTFOUND);
	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 2);

	assert_int_equal(wl_store_insert(fx->s, &m[0].ev, 1, &result, &drained),
			 0);
	assert_int_equal(result, WL_STORED_APPENDED);
	assert_int_equal(drained, 2);
	assert_head(fx->s, &f, 3, &m[2]);

	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.bodies, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wl_store_get(fx->s, m[i].ev.id, &e, &buf), 0);
		assert_entry_is(&e, &m[i], (uint64_t)i + 1);
		free(buf);
	}
	free_events(m, 3);
}

/* The same, with the three events in one batch in reverse order. */
static void store_reverse_batch_drains(void **state)
{
	struct fixture *fx = *state;
	struct wl_event evs[3];
	int results[3];
	size_t drained = 0;
	struct test_event m[3];
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 8, &m[i]);
	for (int i = 0; i < 3; i++)
		evs[i] = m[2 - i].ev;
	assert_int_equal(wl_store_insert(fx->s, evs, 3, results, &drained), 0);
	assert_int_equal(results[0], WL_STORED_PENDING);
	assert_int_equal(results[1], WL_STORED_PENDING);
	assert_int_equal(results[2], WL_STORED_APPENDED);
	assert_int_equal(drained, 2);
	assert_head(fx->s, &f, 3, &m[2]);
	free_events(m, 3);
}

static void store_gap_stays_pending(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_store_entry e;
	unsigned char *buf;
	uint64_t seqs[4];
	struct test_event m[3];
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 16, &m[i]);
	assert_int_equal(insert_one(fx->s, &m[0]), WL_STORED_APPENDED);
	assert_int_equal(insert_one(fx->s, &m[2]), WL_STORED_PENDING);

	assert_head(fx->s, &f, 1, &m[0]);
	assert_int_equal(wl_store_get_seq(fx->s, f.pk, 3, &e, &buf),
			 WL_ENOTFOUND);
	assert_int_equal(wl_store_get(fx->s, m[2].ev.id, &e, &buf),
			 WL_ENOTFOUND);
	assert_int_equal(origin_seqs(fx->s, f.pk, 0, seqs, 4), 1);
	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.events, 1);
	free_events(m, 3);
}

/* A second event at a seq that is already stored. */
static void store_fork_same_seq(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct test_event m[3], twin, other;
	struct feed f, g;

	feed_init(&f);
	feed_init(&g);
	for (int i = 0; i < 3; i++)
		next_event(&f, 12, &m[i]);
	insert_expect(fx->s, m, 2, WL_STORED_APPENDED);
	make_event(&f, 2, m[0].ev.id, 12, 1, NULL, &twin);

	assert_int_equal(insert_one(fx->s, &twin), WL_EFORK);
	assert_int_equal(wl_store_is_forked(fx->s, f.pk), 1);
	assert_int_equal(fork_entries(fx->s, f.pk, 2, twin.ev.id), 2);
	assert_int_equal(fork_entries(fx->s, f.pk, 2, m[1].ev.id), 2);

	/* Later events of the forked origin are rejected, the same event
	 * again is still a duplicate, and other origins are unaffected. */
	assert_int_equal(insert_one(fx->s, &m[2]), WL_EFORKED);
	assert_int_equal(insert_one(fx->s, &m[1]), WL_STORED_DUPLICATE);
	next_event(&g, 12, &other);
	assert_int_equal(insert_one(fx->s, &other), WL_STORED_APPENDED);
	assert_int_equal(wl_store_is_forked(fx->s, g.pk), 0);

	assert_head(fx->s, &f, 2, &m[1]);
	get_stats(fx->s, &st);
	assert_int_equal(st.forks, 2);
	assert_int_equal(st.events, 3);
	free_events(m, 3);
	free(twin.buf);
	free(other.buf);
}

/* The next seq, but its prev is not the stored head. */
static void store_fork_prev_mismatch(void **state)
{
	struct fixture *fx = *state;
	unsigned char wrong[32];
	struct wl_store_stats st;
	struct test_event m[3], bad;
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 12, &m[i]);
	insert_expect(fx->s, m, 2, WL_STORED_APPENDED);
	memset(wrong, 0xee, sizeof(wrong));
	make_event(&f, 3, wrong, 12, 0, NULL, &bad);

	assert_int_equal(insert_one(fx->s, &bad), WL_EFORK);
	assert_int_equal(wl_store_is_forked(fx->s, f.pk), 1);
	assert_int_equal(fork_entries(fx->s, f.pk, 3, bad.ev.id), 1);
	assert_int_equal(fork_entries(fx->s, f.pk, 2, m[1].ev.id), 1);
	assert_int_equal(insert_one(fx->s, &m[2]), WL_EFORKED);

	assert_head(fx->s, &f, 2, &m[1]);
	get_stats(fx->s, &st);
	assert_int_equal(st.forks, 2);
	assert_int_equal(st.events, 2);
	free_events(m, 3);
	free(bad.buf);
}

/* Two different events for one seq while both wait in "pending". */
static void store_fork_in_pending(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct test_event m[3], twin;
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 12, &m[i]);
	make_event(&f, 3, m[1].ev.id, 12, 1, NULL, &twin);
	assert_int_equal(insert_one(fx->s, &m[2]), WL_STORED_PENDING);
	assert_int_equal(insert_one(fx->s, &twin), WL_EFORK);

	assert_int_equal(wl_store_is_forked(fx->s, f.pk), 1);
	assert_int_equal(fork_entries(fx->s, f.pk, 3, twin.ev.id), 2);
	assert_int_equal(fork_entries(fx->s, f.pk, 3, m[2].ev.id), 2);
	assert_int_equal(insert_one(fx->s, &m[0]), WL_EFORKED);
	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.events, 0);
	free_events(m, 3);
	free(twin.buf);
}

/* A pending event whose prev does not match the predecessor that arrives
 * later is fork evidence, not appended. */
static void store_fork_when_draining(void **state)
{
	struct fixture *fx = *state;
	unsigned char wrong[32];
	struct wl_store_stats st;
	struct test_event m[2], bad;
	size_t drained = 9;
	struct feed f;
	int result;

	feed_init(&f);
	for (int i = 0; i < 2; i++)
		next_event(&f, 12, &m[i]);
	memset(wrong, 0x44, sizeof(wrong));
	make_event(&f, 3, wrong, 12, 0, NULL, &bad);
	assert_int_equal(insert_one(fx->s, &m[0]), WL_STORED_APPENDED);
	assert_int_equal(insert_one(fx->s, &bad), WL_STORED_PENDING);

	assert_int_equal(wl_store_insert(fx->s, &m[1].ev, 1, &result, &drained),
			 0);
	assert_int_equal(result, WL_STORED_APPENDED);
	assert_int_equal(drained, 0);
	assert_int_equal(wl_store_is_forked(fx->s, f.pk), 1);
	assert_int_equal(fork_entries(fx->s, f.pk, 3, bad.ev.id), 1);
	assert_head(fx->s, &f, 2, &m[1]);
	get_stats(fx->s, &st);
	assert_int_equal(st.pending, 0);
	free_events(m, 2);
	free(bad.buf);
}

static void store_version_vector(void **state)
{
	struct fixture *fx = *state;
	static const size_t counts[3] = {2, 5, 1};
	struct wl_store_head *heads;
	struct test_event m[3][5];
	struct feed f[3];
	size_t n;

	for (int o = 0; o < 3; o++) {
		feed_init(&f[o]);
		for (size_t i = 0; i < counts[o]; i++)
			next_event(&f[o], 4, &m[o][i]);
		insert_expect(fx->s, m[o], counts[o], WL_STORED_APPENDED);
	}

	assert_int_equal(wl_store_heads(fx->s, &heads, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i + 1 < n; i++)
		assert_true(memcmp(heads[i].origin, heads[i + 1].origin, 32) <
			    0);
	for (size_t i = 0; i < n; i++) {
		int o = 0;

		while (o < 3 && memcmp(f[o].pk, heads[i].origin, 32) != 0)
			o++;
		assert_true(o < 3);
		assert_int_equal(heads[i].seq, counts[o]);
		assert_memory_equal(heads[i].id, m[o][counts[o] - 1].ev.id, 32);
		assert_int_equal(heads[i].hlc, m[o][counts[o] - 1].ev.h.hlc);
	}
	free(heads);
	for (int o = 0; o < 3; o++)
		free_events(m[o], counts[o]);
}

static void store_heads_empty(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_head *heads = (struct wl_store_head *)1;
	size_t n = 5;

	assert_int_equal(wl_store_heads(fx->s, &heads, &n), 0);
	assert_int_equal(n, 0);
	free(heads);
}

/* Two interleaved origins, so the iterator must stop at its own prefix. */
static void store_iter_origin_after(void **state)
{
	struct fixture *fx = *state;
	struct test_event m[2][10];
	struct feed f[2];
	uint64_t seqs[10];
	size_t n;

	for (int o = 0; o < 2; o++)
		feed_init(&f[o]);
	for (int i = 0; i < 10; i++)
		for (int o = 0; o < 2; o++) {
			next_event(&f[o], 4, &m[o][i]);
			assert_int_equal(insert_one(fx->s, &m[o][i]),
					 WL_STORED_APPENDED);
		}

	for (int o = 0; o < 2; o++) {
		n = origin_seqs(fx->s, f[o].pk, 4, seqs, 10);
		assert_int_equal(n, 6);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(seqs[i], i + 5);
		assert_int_equal(origin_seqs(fx->s, f[o].pk, 10, seqs, 10), 0);
		assert_int_equal(
		    origin_seqs(fx->s, f[o].pk, UINT64_MAX, seqs, 10), 0);
		assert_int_equal(origin_seqs(fx->s, f[o].pk, 0, seqs, 10), 10);
	}
	free_events(m[0], 10);
	free_events(m[1], 10);
}

static void store_iter_local_order(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_iter *it;
	struct wl_store_entry e;
	struct test_event m[6];
	struct feed f[2];
	int rc, n = 0;

	feed_init(&f[0]);
	feed_init(&f[1]);
	for (int i = 0; i < 6; i++) {
		next_event(&f[i % 2], 4, &m[i]);
		assert_int_equal(insert_one(fx->s, &m[i]), WL_STORED_APPENDED);
	}

	assert_int_equal(wl_store_iter_local(fx->s, 0, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		assert_entry_is(&e, &m[n], (uint64_t)n + 1);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 6);
	wl_store_iter_free(it);

	assert_int_equal(wl_store_iter_local(fx->s, 3, &it), 0);
	assert_int_equal(wl_store_iter_next(it, &e), 1);
	assert_entry_is(&e, &m[3], 4);
	wl_store_iter_free(it);

	assert_int_equal(wl_store_iter_local(fx->s, 6, &it), 0);
	assert_int_equal(wl_store_iter_next(it, &e), 0);
	wl_store_iter_free(it);
	free_events(m, 6);
}

/* Builds events of one feed for wl_store_append and records its calls. */
struct builder {
	struct feed *f;
	size_t body_len;
	int fail_at;  /* index whose build fails, or -1 */
	int bad_prev; /* 1: build events whose prev is wrong */
	size_t calls;
	size_t starts;	 /* calls with index 0 */
	int start_moved; /* 1 if a call with index 0 had another seq */
	uint64_t first_seq;
	size_t indexes[512];
	uint64_t seqs[512];
	uint64_t prev_hlcs[512];
	unsigned char last_id[32];
};

static int build_event(void *arg, size_t index, uint64_t seq,
		       const unsigned char prev[WL_EVENT_ID_SIZE],
		       uint64_t prev_hlc, unsigned char *out, size_t outsize,
		       size_t *outlen)
{
	struct builder *b = arg;
	unsigned char body[1024];
	struct wl_event_header h;
	struct wl_event ev;
	int rc;

	if (b->calls < 512) {
		b->indexes[b->calls] = index;
		b->seqs[b->calls] = seq;
		b->prev_hlcs[b->calls] = prev_hlc;
	}
	b->calls++;
	if (index == 0) {
		if (b->starts > 0 && seq != b->first_seq)
			b->start_moved = 1;
		b->first_seq = seq;
		b->starts++;
	}
	if ((int)index == b->fail_at)
		return WL_ERANGE;

	memset(&h, 0, sizeof(h));
	h.version = WL_EVENT_VERSION;
	h.kind = WL_KIND_TEST;
	memcpy(h.origin, b->f->pk, 32);
	h.seq = seq;
	memcpy(h.prev, prev, 32);
	if (b->bad_prev && seq > 1)
		h.prev[0] ^= 1;
	h.hlc = (prev_hlc > b->f->hlc ? prev_hlc : b->f->hlc) + 1;
	b->f->hlc = h.hlc;
	memset(body, (int)(seq & 0xff), sizeof(body));

	rc = wl_event_encode(&h, body, b->body_len, NULL, b->f->sk, out,
			     outsize, outlen, &ev);
	if (rc == 0)
		memcpy(b->last_id, ev.id, 32);
	return rc;
}

static void builder_init(struct builder *b, struct feed *f, size_t body_len)
{
	memset(b, 0, sizeof(*b));
	b->f = f;
	b->body_len = body_len;
	b->fail_at = -1;
}

static void store_append_chains(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_head head;
	struct wl_store_entry e;
	unsigned char *buf;
	uint64_t last = 0;
	struct builder b;
	struct feed f;

	feed_init(&f);
	builder_init(&b, &f, 100);
	assert_int_equal(
	    wl_store_append(fx->s, f.pk, 1, build_event, &b, &last), 0);
	assert_int_equal(last, 1);
	assert_int_equal(b.prev_hlcs[0], 0);
	assert_int_equal(wl_store_get_seq(fx->s, f.pk, 1, &e, &buf), 0);
	free(buf);

	assert_int_equal(
	    wl_store_append(fx->s, f.pk, 2, build_event, &b, &last), 0);
	assert_int_equal(last, 3);
	assert_int_equal(b.calls, 3);
	assert_int_equal(b.indexes[1], 0);
	assert_int_equal(b.indexes[2], 1);
	assert_int_equal(b.seqs[1], 2);
	assert_int_equal(b.seqs[2], 3);
	assert_int_equal(b.prev_hlcs[1], e.ev.h.hlc);

	for (uint64_t seq = 2; seq <= 3; seq++) {
		unsigned char prev[32];

		assert_int_equal(
		    wl_store_get_seq(fx->s, f.pk, seq - 1, &e, &buf), 0);
		memcpy(prev, e.ev.id, 32);
		free(buf);
		assert_int_equal(wl_store_get_seq(fx->s, f.pk, seq, &e, &buf),
				 0);
		assert_memory_equal(e.ev.h.prev, prev, 32);
		assert_int_equal(e.body_len, 100);
		free(buf);
	}
	assert_int_equal(wl_store_head(fx->s, f.pk, &head), 0);
	assert_int_equal(head.seq, 3);
	assert_memory_equal(head.id, b.last_id, 32);
}

/* A build error in the middle of an append writes nothing of it. */
static void store_append_error_writes_nothing(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats before, after;
	struct wl_store_head head;
	uint64_t last = 9;
	struct builder b;
	struct feed f;

	feed_init(&f);
	builder_init(&b, &f, 32);
	assert_int_equal(wl_store_append(fx->s, f.pk, 2, build_event, &b, NULL),
			 0);
	get_stats(fx->s, &before);

	b.fail_at = 2;
	assert_int_equal(
	    wl_store_append(fx->s, f.pk, 4, build_event, &b, &last), WL_ERANGE);
	assert_int_equal(last, 0);
	get_stats(fx->s, &after);
	assert_int_equal(after.events, before.events);
	assert_int_equal(after.bodies, before.bodies);
	assert_int_equal(after.origins, before.origins);
	assert_int_equal(wl_store_head(fx->s, f.pk, &head), 0);
	assert_int_equal(head.seq, 2);

	/* The next append starts from the same head. */
	b.fail_at = -1;
	assert_int_equal(
	    wl_store_append(fx->s, f.pk, 1, build_event, &b, &last), 0);
	assert_int_equal(last, 3);
}

/* A builder that does not link to the head is rejected, and nothing of its
 * append is written. */
static void store_append_bad_link(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct builder b;
	struct feed f;

	feed_init(&f);
	builder_init(&b, &f, 32);
	assert_int_equal(wl_store_append(fx->s, f.pk, 1, build_event, &b, NULL),
			 0);
	b.bad_prev = 1;
	assert_int_equal(wl_store_append(fx->s, f.pk, 1, build_event, &b, NULL),
			 WL_ECHAIN);
	assert_int_equal(wl_store_is_forked(fx->s, f.pk), 0);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.forks, 0);
}

static void store_append_forked_origin(void **state)
{
	struct fixture *fx = *state;
	struct test_event m[2], twin;
	struct builder b;
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 2; i++)
		next_event(&f, 12, &m[i]);
	insert_expect(fx->s, m, 2, WL_STORED_APPENDED);
	make_event(&f, 2, m[0].ev.id, 12, 1, NULL, &twin);
	assert_int_equal(insert_one(fx->s, &twin), WL_EFORK);

	builder_init(&b, &f, 12);
	assert_int_equal(wl_store_append(fx->s, f.pk, 1, build_event, &b, NULL),
			 WL_EFORKED);
	assert_int_equal(b.calls, 0);
	free_events(m, 2);
	free(twin.buf);
}

/* One append larger than a 64 KiB map: the transaction fills the map, is
 * retried after growth, and the builder is called again from index 0. */
static void store_append_retries_after_map_full(void **state)
{
	struct fixture *fx = *state;
	static struct builder b;
	struct wl_store_stats st;
	uint64_t last = 0;
	struct feed f;

	recreate_store(fx, SMALL_MAP, 1);
	feed_init(&f);
	builder_init(&b, &f, 600);
	assert_int_equal(
	    wl_store_append(fx->s, f.pk, 200, build_event, &b, &last), 0);
	assert_int_equal(last, 200);
	assert_true(b.starts > 1);
	assert_int_equal(b.start_moved, 0);
	assert_int_equal(b.first_seq, 1);

	get_stats(fx->s, &st);
	assert_int_equal(st.events, 200);
	assert_true(st.map_size > SMALL_MAP);
}

/* 20,000 events with 600-byte bodies into a store that starts at 64 KiB. */
static void store_map_grows(void **state)
{
	struct fixture *fx = *state;
	enum { TOTAL = 20000, BATCH = 500 };
	struct wl_store_stats st;
	struct test_event *m = calloc(BATCH, sizeof(*m));
	struct stat sb;
	struct feed f[4];
	long mark;
	char *text;

	assert_non_null(m);
	recreate_store(fx, SMALL_MAP, 1);
	for (int o = 0; o < 4; o++)
		feed_init(&f[o]);

	mark = log_mark();
	for (int done = 0; done < TOTAL; done += BATCH) {
		for (int i = 0; i < BATCH; i++)
			next_event(&f[(done / BATCH) % 4], 600, &m[i]);
		insert_expect(fx->s, m, BATCH, WL_STORED_APPENDED);
		free_events(m, BATCH);
	}
	text = log_since(mark);
	assert_non_null(strstr(text, "map grown size_mb="));

	get_stats(fx->s, &st);
	assert_int_equal(st.events, TOTAL);
	assert_int_equal(st.bodies, TOTAL);
	assert_int_equal(st.origins, 4);
	assert_true(st.used <= st.map_size);
	assert_true(st.map_size > SMALL_MAP);

	assert_int_equal(stat(wl_store_path(fx->s), &sb), 0);
	printf("store: %d events with 600-byte bodies: map %.1f MiB, "
	       "used %.1f MiB, data.mdb %lld bytes (%lld per event)\n",
	       TOTAL, (double)st.map_size / 1048576.0,
	       (double)st.used / 1048576.0, (long long)sb.st_size,
	       (long long)sb.st_size / TOTAL);
	free(text);
	free(m);
}

/* An open iterator pins the map: a write that needs a larger map fails
 * with WL_EBUSY and writes nothing, and succeeds once it is freed. */
static void store_iterator_blocks_growth(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_store_iter *it;
	struct wl_event evs[200];
	struct test_event m[200];
	int results[200];
	struct feed f;

	recreate_store(fx, SMALL_MAP, 1);
	feed_init(&f);
	for (int i = 0; i < 200; i++) {
		next_event(&f, 600, &m[i]);
		evs[i] = m[i].ev;
	}

	assert_int_equal(wl_store_iter_local(fx->s, 0, &it), 0);
	assert_int_equal(wl_store_insert(fx->s, evs, 200, results, NULL),
			 WL_EBUSY);
	wl_store_iter_free(it);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 0);

	insert_expect(fx->s, m, 200, WL_STORED_APPENDED);
	free_events(m, 200);
}

static void store_reopen_continues(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	uint64_t local_seq;
	struct test_event m[7];
	struct feed f;

	feed_init(&f);
	for (int i = 0; i < 7; i++)
		next_event(&f, 30, &m[i]);
	insert_expect(fx->s, m, 5, WL_STORED_APPENDED);
	reopen_store(fx, 0, 1);

	get_stats(fx->s, &st);
	assert_int_equal(st.events, 5);
	assert_head(fx->s, &f, 5, &m[4]);
	insert_expect(fx->s, &m[5], 2, WL_STORED_APPENDED);
	assert_int_equal(wl_store_lookup_id(fx->s, m[5].ev.id, &local_seq), 0);
	assert_int_equal(local_seq, 6);
	assert_int_equal(wl_store_lookup_id(fx->s, m[6].ev.id, &local_seq), 0);
	assert_int_equal(local_seq, 7);
	assert_head(fx->s, &f, 7, &m[6]);
	free_events(m, 7);
}

/* A grown store reopened with a smaller initial size keeps its size. */
static void store_reopen_keeps_map_size(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct test_event m[100];
	struct feed f;

	size_t grown;

	recreate_store(fx, SMALL_MAP, 1);
	feed_init(&f);
	for (int i = 0; i < 100; i++)
		next_event(&f, 600, &m[i]);
	insert_expect(fx->s, m, 100, WL_STORED_APPENDED);
	get_stats(fx->s, &st);
	grown = st.map_size;
	assert_true(grown > SMALL_MAP);

	reopen_store(fx, SMALL_MAP, 1);
	get_stats(fx->s, &st);
	assert_int_equal(st.map_size, grown);
	assert_int_equal(st.events, 100);
	free_events(m, 100);
}

static void store_stats_counts(void **state)
{
	struct fixture *fx = *state;
	static const unsigned char zero[WL_EVENT_ID_SIZE];
	struct wl_store_stats st;
	struct test_event m[4], g1, h1, twin;
	struct feed f, g, h;

	feed_init(&f);
	feed_init(&g);
	feed_init(&h);
	for (int i = 0; i < 4; i++)
		next_event(&f, i == 1 ? 0 : 10, &m[i]);
	insert_expect(fx->s, m, 2, WL_STORED_APPENDED);
	assert_int_equal(insert_one(fx->s, &m[3]), WL_STORED_PENDING);
	next_event(&g, 10, &g1);
	assert_int_equal(insert_one(fx->s, &g1), WL_STORED_APPENDED);
	next_event(&h, 10, &h1);
	assert_int_equal(insert_one(fx->s, &h1), WL_STORED_APPENDED);
	make_event(&h, 1, zero, 10, 1, NULL, &twin);
	assert_int_equal(insert_one(fx->s, &twin), WL_EFORK);

	get_stats(fx->s, &st);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.bodies, 3);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.forks, 2);
	assert_int_equal(st.origins, 3);
	assert_true(st.used > 0);
	assert_true(st.used <= st.map_size);
	free_events(m, 4);
	free(g1.buf);
	free(h1.buf);
	free(twin.buf);
}

/* An event decoded without its body (pruned at the sender) is stored
 * without it. */
static void store_insert_without_body(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_entry e;
	struct wl_event ev;
	unsigned char *buf;
	struct test_event m;
	struct feed f;
	int result;

	feed_init(&f);
	next_event(&f, 80, &m);
	assert_true(wl_event_decode_signed(m.buf, m.len, &ev) > 0);
	assert_int_equal(wl_store_insert(fx->s, &ev, 1, &result, NULL), 0);
	assert_int_equal(result, WL_STORED_APPENDED);

	assert_int_equal(wl_store_get(fx->s, m.ev.id, &e, &buf), 0);
	assert_null(e.body);
	assert_int_equal(e.body_len, 0);
	assert_int_equal(e.ev.h.body_len, 80);
	free(buf);
	free(m.buf);
}

static void store_insert_invalid(void **state)
{
	struct fixture *fx = *state;
	struct wl_event ev;
	struct test_event m;
	struct feed f;
	int result;

	feed_init(&f);
	next_event(&f, 8, &m);
	ev = m.ev;
	ev.signed_bytes = NULL;
	assert_int_equal(wl_store_insert(fx->s, &ev, 1, &result, NULL),
			 WL_EINVAL);
	ev = m.ev;
	ev.h.seq = 0;
	assert_int_equal(wl_store_insert(fx->s, &ev, 1, &result, NULL),
			 WL_EINVAL);
	assert_int_equal(wl_store_insert(fx->s, NULL, 0, NULL, NULL), 0);
	free(m.buf);
}

/* Append N events from a child process and exit without closing, leaving a
 * read transaction open as a crashed reader would. */
static int child_append(const char *dir, size_t n, size_t map_size, int no_sync)
{
	struct wl_store_options opt = {map_size, no_sync};
	struct wl_store_iter *it;
	struct wl_store *s;
	struct builder *b = calloc(1, sizeof(*b));
	struct feed f;

	if (b == NULL || wl_store_open(dir, &opt, &s) != 0)
		return 1;
	feed_init(&f);
	builder_init(b, &f, 600);
	for (size_t i = 0; i < n; i += 100)
		if (wl_store_append(s, f.pk, n - i < 100 ? n - i : 100,
				    build_event, b, NULL) != 0)
			return 2;
	if (wl_store_iter_local(s, 0, &it) != 0)
		return 3;
	return 0;
}

/* Open and close the store, which clears the reader slots of dead
 * processes while another process keeps the store open. */
static int child_open(const char *dir)
{
	struct wl_store *s;

	if (wl_store_open(dir, NULL, &s) != 0)
		return 1;
	wl_store_close(s);
	return 0;
}

/* Run child_append (N > 0) or child_open (N == 0) in a child process. */
static void run_child(const char *dir, size_t n, size_t map_size, int no_sync)
{
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(n > 0 ? child_append(dir, n, map_size, no_sync)
			    : child_open(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Durable commits (fsync on) by a process that dies without closing the
 * store: its events are there, in this process and after reopening, and
 * the next open clears its reader slot. */
static void store_durable_after_crash(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	long mark;
	char *text;

	reopen_store(fx, 0, 0);
	run_child(fx->dir, 250, 0, 0);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 250);

	mark = log_mark();
	run_child(fx->dir, 0, 0, 0);
	text = log_since(mark);
	assert_non_null(strstr(text, "reader slots of dead processes cleared "
				     "count=1"));
	free(text);

	reopen_store(fx, 0, 0);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 250);
	assert_int_equal(st.bodies, 250);
	assert_int_equal(st.origins, 1);
}

/* Another process grows the map far beyond this handle's map; reads and
 * writes here adopt the new size. */
static void store_map_grown_by_other_process(void **state)
{
	struct fixture *fx = *state;
	struct wl_store_stats st;
	struct wl_store_head *heads;
	struct test_event m[3];
	struct feed f;
	size_t n;

	recreate_store(fx, SMALL_MAP, 1);
	run_child(fx->dir, 2000, SMALL_MAP, 1);

	get_stats(fx->s, &st);
	assert_int_equal(st.events, 2000);
	assert_true(st.map_size >= st.used);
	assert_int_equal(wl_store_heads(fx->s, &heads, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(heads[0].seq, 2000);
	free(heads);

	feed_init(&f);
	for (int i = 0; i < 3; i++)
		next_event(&f, 600, &m[i]);
	insert_expect(fx->s, m, 3, WL_STORED_APPENDED);
	get_stats(fx->s, &st);
	assert_int_equal(st.events, 2003);
	free_events(m, 3);
}

#define STORE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    STORE_TEST(store_open_creates_files),
	    cmocka_unit_test(store_open_missing_dir),
	    STORE_TEST(store_open_rejects_format),
	    STORE_TEST(store_insert_read_back),
	    STORE_TEST(store_iterators_read_back),
	    STORE_TEST(store_lookup_missing),
	    STORE_TEST(store_insert_idempotent),
	    STORE_TEST(store_pending_idempotent),
	    STORE_TEST(store_chain_across_batches),
	    STORE_TEST(store_out_of_order_drains),
	    STORE_TEST(store_reverse_batch_drains),
	    STORE_TEST(store_gap_stays_pending),
	    STORE_TEST(store_fork_same_seq),
	    STORE_TEST(store_fork_prev_mismatch),
	    STORE_TEST(store_fork_in_pending),
	    STORE_TEST(store_fork_when_draining),
	    STORE_TEST(store_version_vector),
	    STORE_TEST(store_heads_empty),
	    STORE_TEST(store_iter_origin_after),
	    STORE_TEST(store_iter_local_order),
	    STORE_TEST(store_append_chains),
	    STORE_TEST(store_append_error_writes_nothing),
	    STORE_TEST(store_append_bad_link),
	    STORE_TEST(store_append_forked_origin),
	    STORE_TEST(store_append_retries_after_map_full),
	    STORE_TEST(store_map_grows),
	    STORE_TEST(store_iterator_blocks_growth),
	    STORE_TEST(store_reopen_continues),
	    STORE_TEST(store_reopen_keeps_map_size),
	    STORE_TEST(store_stats_counts),
	    STORE_TEST(store_insert_without_body),
	    STORE_TEST(store_insert_invalid),
	    STORE_TEST(store_durable_after_crash),
	    STORE_TEST(store_map_grown_by_other_process),
	};

	int failed;

	if (sodium_init() < 0)
		return 1;
	test_log = tmpfile();
	if (test_log == NULL)
		return 1;
	wl_log_set_stream(test_log);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	wl_log_set_stream(NULL);
	fclose(test_log);
	return failed;
}
