/* Ingesting events received from peers: decode, check, authenticate, store.
 *
 * A batch is handled as a unit: every event is decoded strictly, its
 * timestamp checked against the local clock, its signatures authenticated
 * (on several threads), and every event that passed is inserted in one
 * durable commit. A contiguous run of one origin's events inside the batch
 * is authenticated by its hash links and the node signature of its last
 * event; every author signature is checked. Rejected events are counted by
 * reason and never reach the store. An event may arrive without its body
 * (its sender pruned it) and is then stored as a header; a body that the
 * expiry check finds expired is dropped the same way.
 */
#ifndef WARDLINE_INGEST_H
#define WARDLINE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/store.h"

struct wl_ingest;

/* One encoded event as received. */
struct wl_ingest_input {
	const unsigned char *buf;
	size_t len;
};

struct wl_ingest_counters {
	uint64_t received;
	uint64_t bodies_dropped; /* expired bodies stored as headers only */
	uint64_t appended;   /* includes events drained from pending */
	uint64_t duplicates;
	uint64_t pending;
	uint64_t rejected;   /* sum of by_reason */
	uint64_t by_reason[WL_ERROR_COUNT]; /* index: -code */
};

/* Create an ingester that writes to STORE and checks timestamps against
 * HLC, authenticating with up to THREADS threads (0 selects the number of
 * online CPUs). STORE and HLC must outlive it. Returns 0 and *OUT, or
 * WL_ENOMEM. */
int wl_ingest_new(struct wl_store *store, struct wl_hlc *hlc,
		  unsigned threads, struct wl_ingest **out);

/* Decide whether the body of an arriving event with header H has expired;
 * its header is then stored without it. */
typedef int (*wl_ingest_expired_fn)(void *arg,
				    const struct wl_event_header *h);

/* Set the expiry check of IN (NULL: keep every body). */
void wl_ingest_set_expiry(struct wl_ingest *in, wl_ingest_expired_fn fn,
			  void *arg);

/* Free IN. Accepts NULL. */
void wl_ingest_free(struct wl_ingest *in);

/* Ingest N events. RESULTS[i] receives a wl_store_status for a stored,
 * duplicate or pending event, or the reason it was rejected: a decode code
 * of wl_event_decode (the field at fault), WL_ESKEW, WL_EAUTH, WL_EFORK or
 * WL_EFORKED. Returns 0 once every accepted event is committed, or
 * WL_ESTORE, WL_ENOSPC, WL_ENOMEM, in which case nothing was stored and
 * every RESULTS slot of an event that passed its checks is set to that code. */
int wl_ingest_batch(struct wl_ingest *in, const struct wl_ingest_input *inputs,
		    size_t n, int *results);

/* Return the counters since creation. Valid while IN is. */
const struct wl_ingest_counters *wl_ingest_counters(const struct wl_ingest *in);

#endif
