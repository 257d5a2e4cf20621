/* Batch ingest of peer events with parallel signature checks. */
#include "wardline/ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/event.h"

/* Below this many signature checks a batch is verified on the calling
 * thread: starting threads would cost more than it saves. */
#define PARALLEL_MIN_JOBS 64
#define MAX_THREADS 16

struct wl_ingest {
	struct wl_store *store;
	struct wl_hlc *hlc;
	unsigned threads;
	struct wl_ingest_counters counters;
	wl_ingest_expired_fn expired;
	void *expired_arg;
};

/* One decoded event of a batch. */
struct item {
	struct wl_event ev;
	size_t index;   /* position in the caller's batch */
	int rc;         /* 0 while the event passes its checks */
	int check_node; /* 1: its node signature must be verified itself */
};

struct worker {
	pthread_t thread;
	struct item **items;
	size_t n;
};

int wl_ingest_new(struct wl_store *store, struct wl_hlc *hlc,
		  unsigned threads, struct wl_ingest **out)
{
	struct wl_ingest *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (in == NULL)
		return WL_ENOMEM;
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	in->store = store;
	in->hlc = hlc;
	in->threads = threads > MAX_THREADS ? MAX_THREADS : threads;
	*out = in;
	return 0;
}

void wl_ingest_free(struct wl_ingest *in)
{
	free(in);
}

const struct wl_ingest_counters *wl_ingest_counters(const struct wl_ingest *in)
{
	return &in->counters;
}

static int item_order(const void *a, const void *b)
{
	const struct item *x = a;
	const struct item *y = b;
	int c = memcmp(x->ev.h.origin, y->ev.h.origin, WL_EVENT_KEY_SIZE);

	if (c != 0)
		return c;
	if (x->ev.h.seq != y->ev.h.seq)
		return x->ev.h.seq < y->ev.h.seq ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Does B directly follow A in the same feed? */
static int links(const struct item *a, const struct item *b)
{
	return a->rc == 0 && b->rc == 0 &&
	       memcmp(a->ev.h.origin, b->ev.h.origin, WL_EVENT_KEY_SIZE) == 0 &&
	       b->ev.h.seq == a->ev.h.seq + 1 &&
	       sodium_memcmp(b->ev.h.prev, a->ev.id, WL_EVENT_ID_SIZE) == 0;
}

/* Check the signatures ITEMS need. Every item is checked by exactly one
 * thread, which alone writes its rc. */
static void check_items(struct item **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = items[i];

		if (it->rc == 0 && wl_event_verify_author(&it->ev) != 0)
			it->rc = WL_EAUTH;
		if (it->rc == 0 && it->check_node &&
		    wl_event_verify_node(&it->ev) != 0)
			it->rc = WL_EAUTH;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	check_items(w->items, w->n);
	return NULL;
}

/* Run check_items over TODO on up to in->threads threads. A thread that
 * cannot be started leaves its share to the calling thread. */
static void check_parallel(struct wl_ingest *in, struct item **todo, size_t n)
{
	struct worker workers[MAX_THREADS];
	unsigned nthreads = in->threads;
	size_t share;

	if (n < PARALLEL_MIN_JOBS || nthreads <= 1) {
		check_items(todo, n);
		return;
	}

	share = (n + nthreads - 1) / nthreads;
	for (unsigned t = 1; t < nthreads; t++) {
		struct worker *w = &workers[t];
		size_t from = (size_t)t * share;

		w->items = todo + from;
		w->n = from >= n ? 0 : (n - from < share ? n - from : share);
		if (w->n > 0 &&
		    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			check_items(w->items, w->n);
			w->n = 0;
		}
	}
	check_items(todo, n < share ? n : share);

	for (unsigned t = 1; t < nthreads; t++)
		if (workers[t].n > 0)
			pthread_join(workers[t].thread, NULL);
}

/* Decode one input: a whole event, or a signed header alone when the
 * sender pruned the body (the signatures cover the body hash, not the
 * body). */
static int decode_input(const struct wl_ingest_input *input,
			struct wl_event *ev)
{
	long n = wl_event_decode_signed(input->buf, input->len, ev);

	if (n > 0 && (size_t)n == input->len && ev->h.body_len > 0)
		return 0;
	return wl_event_decode(input->buf, input->len, ev);
}

void wl_ingest_set_expiry(struct wl_ingest *in, wl_ingest_expired_fn fn,
			  void *arg)
{
	in->expired = fn;
	in->expired_arg = arg;
}

/* Decode every input and check what needs no key. */
static void decode_all(struct wl_ingest *in, const struct wl_ingest_input *inputs,
		       struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];

		it->index = i;
		it->check_node = 0;
		it->rc = decode_input(&inputs[i], &it->ev);
		if (it->rc == 0 && it->ev.body != NULL && in->expired != NULL &&
		    in->expired(in->expired_arg, &it->ev.h)) {
			it->ev.body = NULL;
			in->counters.bodies_dropped++;
		}
		if (it->rc == 0)
			it->rc = wl_hlc_check(in->hlc, it->ev.h.hlc);
	}
}

/* Mark which node signatures must be checked: with ITEMS sorted by origin
 * and seq, the last event of each linked run. Returns the number of items
 * still passing, and lists them in TODO. */
static size_t plan_checks(struct item *items, size_t n, struct item **todo)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];

		if (it->rc != 0)
			continue;
		it->check_node = !(i + 1 < n && links(it, &items[i + 1]));
		todo[count++] = it;
	}
	return count;
}

/* A run whose last node signature failed: check each of its events alone,
 * so that an honest prefix is still accepted. Runs of length one were
 * already checked alone. */
static void recheck_failed_runs(struct item *items, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct item *last = &items[i];
		size_t j = i;

		if (last->rc != WL_EAUTH || !last->check_node)
			continue;
		/* Items that linked to their successor when the checks were
		 * planned have check_node clear; the run starts after the
		 * previous item that has it set. */
		while (j > 0 && !items[j - 1].check_node &&
		       items[j - 1].ev.h.seq + 1 == items[j].ev.h.seq)
			j--;
		for (; j < i; j++) {
			struct item *it = &items[j];

			if (it->rc == 0 && wl_event_verify_node(&it->ev) != 0)
				it->rc = WL_EAUTH;
		}
	}
}

static void count_result(struct wl_ingest_counters *c, int rc)
{
	if (rc == WL_STORED_APPENDED)
		c->appended++;
	else if (rc == WL_STORED_DUPLICATE)
		c->duplicates++;
	else if (rc == WL_STORED_PENDING)
		c->pending++;
	else if (rc < 0 && rc > WL_ERROR_MIN) {
		c->rejected++;
		c->by_reason[-rc]++;
	}
}

/* Insert the items that passed, sorted by origin and seq so that a batch
 * that arrived out of order needs no trip through "pending".
 * NOTE: "pending" has no bound yet, and any validly signed origin is
 * accepted, so an enrolled but hostile peer could fill the disk with
 * events of made-up feeds. A cap per origin and a check that the origin
 * has a site certificate belong here. */
static int store_passed(struct wl_ingest *in, struct item *items, size_t n,
			int *results)
{
	struct wl_event *evs = malloc(n * sizeof(*evs));
	size_t *where = malloc(n * sizeof(*where));
	int *res = malloc(n * sizeof(*res));
	size_t count = 0;
	size_t drained = 0;
	uint64_t max_hlc = 0;
	int rc = WL_ENOMEM;

	if (evs == NULL || where == NULL || res == NULL)
		goto out;

	for (size_t i = 0; i < n; i++) {
		if (items[i].rc != 0)
			continue;
		evs[count] = items[i].ev;
		where[count++] = items[i].index;
		if (items[i].ev.h.hlc > max_hlc)
			max_hlc = items[i].ev.h.hlc;
	}

	rc = count ? wl_store_insert(in->store, evs, count, res, &drained) : 0;
	for (size_t k = 0; k < count; k++)
		results[where[k]] = rc == 0 ? res[k] : rc;
	if (rc == 0) {
		in->counters.appended += drained;
		if (max_hlc)
			(void)wl_hlc_merge(in->hlc, max_hlc);
	}

out:
	free(evs);
	free(where);
	free(res);
	return rc;
}

int wl_ingest_batch(struct wl_ingest *in, const struct wl_ingest_input *inputs,
		    size_t n, int *results)
{
	struct item *items = NULL;
	struct item **todo = NULL;
	size_t count;
	int rc = WL_ENOMEM;

	if (n == 0)
		return 0;
	items = calloc(n, sizeof(*items));
	todo = calloc(n, sizeof(*todo));
	if (items == NULL || todo == NULL)
		goto out;

	decode_all(in, inputs, items, n);
	qsort(items, n, sizeof(*items), item_order);
	count = plan_checks(items, n, todo);
	check_parallel(in, todo, count);
	recheck_failed_runs(items, n);

	for (size_t i = 0; i < n; i++)
		results[items[i].index] = items[i].rc;
	rc = store_passed(in, items, n, results);

	in->counters.received += n;
	for (size_t i = 0; i < n; i++)
		count_result(&in->counters, results[i]);

out:
	free(items);
	free(todo);
	return rc;
}
