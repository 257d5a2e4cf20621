/* Verification of a whole store: every signature, every chain link, every
 * body present against its hash, every index entry, and any fork evidence.
 * Used by `wardline verify` and by the audit trail checks. */
#ifndef WARDLINE_VERIFY_H
#define WARDLINE_VERIFY_H

#include <stdint.h>

#include "wardline/store.h"

/* One broken thing, named by the event it concerns. */
struct wl_verify_problem {
	int err;          /* WL_EAUTH, WL_ECHAIN, WL_EBODYHASH, WL_EFORK, ... */
	const char *what; /* "node_sig", "author_sig", "prev", "seq_gap",
			     "body_hash", "id_index", "head", "decode", "fork" */
	uint64_t local_seq;                 /* 0 if not known */
	unsigned char origin[WL_EVENT_KEY_SIZE];
	uint64_t seq;                       /* 0 if not known */
	unsigned char id[WL_EVENT_ID_SIZE]; /* computed from the stored bytes */
};

struct wl_verify_summary {
	uint64_t origins;
	uint64_t events;
	uint64_t bodies;   /* bodies present and checked */
	uint64_t problems;
};

/* Called once per problem; P is valid only during the call. */
typedef void (*wl_verify_report_fn)(void *arg,
				    const struct wl_verify_problem *p);

/* Walk every feed of S from seq 1 to its head and report each problem to
 * REPORT (may be NULL). Fills *SUM. Returns 0 when the walk completed,
 * whatever it found (see SUM->problems), or WL_ESTORE, WL_ENOMEM. */
int wl_verify_store(struct wl_store *s, wl_verify_report_fn report, void *arg,
		    struct wl_verify_summary *sum);

#endif
