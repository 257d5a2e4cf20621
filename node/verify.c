/* Full verification of the stored feeds. */
#include "wardline/verify.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"

struct walk {
	wl_verify_report_fn report;
	void *arg;
	struct wl_verify_summary *sum;
	struct wl_store *store;
};

static void problem(struct walk *w, int err, const char *what,
		    const struct wl_store_entry *e, const unsigned char *origin)
{
	struct wl_verify_problem p;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.what = what;
	if (e != NULL) {
		p.local_seq = e->local_seq;
		p.seq = e->ev.h.seq;
		memcpy(p.id, e->ev.id, sizeof(p.id));
	}
	memcpy(p.origin, origin, sizeof(p.origin));
	w->sum->problems++;
	if (w->report)
		w->report(w->arg, &p);
}

/* Check one event that decoded: signatures, body, id index. */
static int check_event(struct walk *w, struct wl_store_iter *it,
		       const struct wl_store_entry *e)
{
	uint64_t indexed = 0;
	unsigned char hash[WL_EVENT_HASH_SIZE];
	int rc;

	if (wl_event_verify_author(&e->ev) != 0)
		problem(w, WL_EAUTH, "author_sig", e, e->ev.h.origin);

	if (e->body != NULL) {
		w->sum->bodies++;
		wl_event_body_hash(e->body, e->body_len, hash);
		if (e->body_len != e->ev.h.body_len ||
		    sodium_memcmp(hash, e->ev.h.body_hash, sizeof(hash)) != 0)
			problem(w, WL_EBODYHASH, "body_hash", e,
				e->ev.h.origin);
	}

	rc = wl_store_iter_lookup_id(it, e->ev.id, &indexed);
	if (rc == WL_ESTORE)
		return rc;
	if (rc != 0 || indexed != e->local_seq)
		problem(w, WL_ENOTFOUND, "id_index", e, e->ev.h.origin);
	return 0;
}

/* Check the node signature of E, which no later event vouches for. */
static void check_node_sig(struct walk *w, const struct wl_store_entry *e)
{
	if (wl_event_verify_node(&e->ev) != 0)
		problem(w, WL_EAUTH, "node_sig", e, e->ev.h.origin);
}

/* Walk the feed of HEAD->origin from seq 1, checking that seqs are
 * contiguous, that each prev is the id before it, and that the stored head
 * is the last event.
 *
 * Node signatures are checked where the chain needs them: the last event's
 * signature covers its prev hash, which covers every earlier header, so
 * only the last event and any event whose successor does not link to it
 * are checked one by one. A changed header therefore still shows, as a
 * broken link and a bad signature on that event. Author signatures are
 * checked on every event. */
static int walk_feed(struct walk *w, const struct wl_store_head *head)
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct wl_store_entry before; /* valid while IT's snapshot is */
	int have_before = 0;
	unsigned char last_id[WL_EVENT_ID_SIZE] = {0};
	uint64_t expect = 1;
	int known = 1; /* 0 after an entry that did not decode */
	int rc;

	rc = wl_store_iter_origin(w->store, head->origin, 0, &it);
	if (rc != 0)
		return rc;

	while ((rc = wl_store_iter_next(it, &e)) != 0) {
		/* Events written after the heads were read belong to the
		 * next verification. */
		if (rc == 1 && e.ev.h.seq > head->seq)
			break;
		if (rc < 0 && rc != WL_ESTORE && rc != WL_ENOMEM) {
			problem(w, rc, "decode", &e, head->origin);
			w->sum->events++;
			known = 0;
			have_before = 0;
			expect++;
			continue;
		}
		if (rc < 0)
			goto out;

		w->sum->events++;
		if (e.ev.h.seq != expect) {
			problem(w, WL_ECHAIN, "seq_gap", &e, head->origin);
			if (have_before)
				check_node_sig(w, &before);
		} else if (known && sodium_memcmp(e.ev.h.prev, last_id,
						  sizeof(last_id)) != 0) {
			problem(w, WL_ECHAIN, "prev", &e, head->origin);
			if (have_before)
				check_node_sig(w, &before);
		}
		if (memcmp(e.ev.h.origin, head->origin, WL_EVENT_KEY_SIZE) != 0)
			problem(w, WL_ECHAIN, "origin", &e, head->origin);

		rc = check_event(w, it, &e);
		if (rc != 0)
			goto out;
		memcpy(last_id, e.ev.id, sizeof(last_id));
		expect = e.ev.h.seq + 1;
		known = 1;
		before = e;
		have_before = 1;
	}
	if (have_before)
		check_node_sig(w, &before);

	if (expect - 1 != head->seq ||
	    (known && sodium_memcmp(last_id, head->id, sizeof(last_id)) != 0))
		problem(w, WL_ECHAIN, "head", NULL, head->origin);

out:
	wl_store_iter_free(it);
	return rc;
}

static int report_forks(struct walk *w)
{
	static const unsigned char unknown[WL_EVENT_KEY_SIZE];
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	int rc;

	rc = wl_store_iter_forks(w->store, &it);
	if (rc != 0)
		return rc;
	while ((rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc == WL_ESTORE || rc == WL_ENOMEM)
			break;
		problem(w, WL_EFORK, "fork", rc == 1 ? &e : NULL,
			rc == 1 ? e.ev.h.origin : unknown);
	}
	wl_store_iter_free(it);
	return rc;
}

/* Every event in the log must be reachable from a feed: compare the number
 * walked with the number stored. */
static void check_totals(struct walk *w, uint64_t stored)
{
	static const unsigned char unknown[WL_EVENT_KEY_SIZE];

	if (stored != w->sum->events)
		problem(w, WL_ECHAIN, "feed_index", NULL, unknown);
}

int wl_verify_store(struct wl_store *s, wl_verify_report_fn report, void *arg,
		    struct wl_verify_summary *sum)
{
	struct walk w = {report, arg, sum, s};
	struct wl_store_head *heads = NULL;
	uint64_t stored = 0;
	size_t n = 0;
	int rc;

	/* The heads and the count come from one snapshot, and each feed is
	 * walked up to its head only, so a node that keeps writing during
	 * the walk does not look broken. */
	memset(sum, 0, sizeof(*sum));
	rc = wl_store_heads_counted(s, &heads, &n, &stored);
	if (rc != 0)
		return rc;

	sum->origins = n;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_feed(&w, &heads[i]);
	if (rc == 0)
		rc = report_forks(&w);
	if (rc == 0)
		check_totals(&w, stored);

	free(heads);
	return rc;
}
