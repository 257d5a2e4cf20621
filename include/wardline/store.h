/* The node's event store: one LMDB environment in the data directory.
 *
 * Tables (named LMDB databases):
 *   events   local seq (u64 BE) -> signed header
 *   bodies   local seq (u64 BE) -> body, kept apart so it can be pruned
 *   ids      event id -> local seq
 *   feeds    origin || seq (u64 BE) -> local seq
 *   heads    origin -> head seq (u64 BE) || head id || head hlc (u64 BE)
 *   pending  origin || seq -> whole encoded event whose predecessor is absent
 *   forks    origin || seq || event id -> signed header of a conflicting event
 *   meta     small named values (format version)
 *   kinds    kind (u8) || local seq (u64 BE) -> local seq, for the rare
 *            site-public kinds only (certificates, revocations, policy,
 *            user bundles, key envelopes, memberships, account states)
 *
 * The local seq is this store's own arrival order; it is never sent to a
 * peer. A feed's head is its highest contiguous seq: events arrive in any
 * order, wait in "pending" until their predecessor is stored, and are then
 * appended. Insertion is idempotent. The store checks chain links and forks;
 * it does not check signatures, which the caller does before inserting.
 *
 * The map grows before it fills, so callers see WL_ENOSPC only when the
 * disk itself has no room. While an iterator of a handle is open the map
 * cannot grow (growing remaps it under the iterator's pointers): a write
 * that needs more room, or a call after another process grew the map,
 * returns WL_EBUSY. Free every iterator before wl_store_close. One handle is
 * used by one thread at a time. Fork evidence keeps both conflicting signed
 * headers, so one fork counts twice in wl_store_stats.
 */
#ifndef WARDLINE_STORE_H
#define WARDLINE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"

struct wl_store;

struct wl_store_options {
	size_t initial_map_size; /* bytes; 0 selects 64 MiB */
	int no_sync;             /* 1: skip fsync at commit (tests only) */
};

/* Outcome of inserting one event (non-negative values of a result slot). */
enum wl_store_status {
	WL_STORED_APPENDED = 0,  /* appended to its feed */
	WL_STORED_DUPLICATE = 1, /* already stored; nothing written */
	WL_STORED_PENDING = 2    /* kept until its predecessor arrives */
};

/* A feed head: the highest contiguous seq of one origin. */
struct wl_store_head {
	unsigned char origin[WL_EVENT_KEY_SIZE];
	uint64_t seq;
	unsigned char id[WL_EVENT_ID_SIZE];
	uint64_t hlc;
};

struct wl_store_stats {
	uint64_t events;   /* events in feeds */
	uint64_t bodies;   /* bodies present */
	uint64_t pending;  /* events waiting for a predecessor */
	uint64_t forks;    /* pieces of fork evidence */
	uint64_t origins;  /* feeds with at least one event */
	uint64_t map_size; /* current LMDB map size in bytes */
	uint64_t used;     /* bytes of the map in use (last page + 1) */
};

/* One stored event as read by an iterator or a lookup. The pointers are
 * valid until the next call on the same iterator, or until the buffer of a
 * lookup is freed. BODY is NULL when the body was pruned or is empty. */
struct wl_store_entry {
	uint64_t local_seq;
	struct wl_event ev; /* decoded signed header; ev.body == body */
	const unsigned char *body;
	size_t body_len;
};

/* Open or create the store in directory DIR (which must exist). Clears
 * reader slots left by dead processes. OPT may be NULL for defaults.
 * Returns 0 and *OUT, or WL_EIO, WL_ESTORE, WL_EVERSION (store written by an
 * unknown format), WL_ENOMEM. */
int wl_store_open(const char *dir, const struct wl_store_options *opt,
		  struct wl_store **out);

/* Close S. Accepts NULL. */
void wl_store_close(struct wl_store *s);

/* Insert N decoded events in one durable write transaction (group commit).
 * Every event must have been decoded with its body (wl_event_decode) and
 * authenticated by the caller. RESULTS[i] receives a wl_store_status or
 * WL_EFORK (a different event has that (origin, seq), or its prev does not
 * match the stored predecessor; the evidence is kept and the origin marked
 * forked), WL_EFORKED (origin already forked). Events drained from "pending"
 * because their predecessor arrived are appended too and counted in
 * *DRAINED (may be NULL). Returns 0 once committed, or WL_ESTORE, WL_ENOSPC,
 * WL_ENOMEM, in which case nothing of the batch was written. */
int wl_store_insert(struct wl_store *s, const struct wl_event *evs, size_t n,
		    int *results, size_t *drained);

/* Builds event INDEX (0 to N - 1) of a wl_store_append: SEQ and PREV are
 * the position after the current head (PREV_HLC its timestamp, or 0).
 * Writes the encoded event to OUT (OUTSIZE bytes available) and its length
 * to *OUTLEN. Returns 0 or a negative code, which aborts the whole append.
 * When the transaction has to be retried (the map grew), BUILD is called
 * again from INDEX 0, possibly with another SEQ. */
typedef int (*wl_store_build_fn)(void *arg, size_t index, uint64_t seq,
				 const unsigned char prev[WL_EVENT_ID_SIZE],
				 uint64_t prev_hlc, unsigned char *out,
				 size_t outsize, size_t *outlen);

/* Append N events to the feed of ORIGIN in one durable write transaction,
 * calling BUILD once per event with the position after the previous one.
 * Reading the head and writing happen in the same transaction, so two
 * processes appending to one feed never fork it. On success the seq of the
 * last event is stored in *LAST_SEQ (may be NULL). Returns 0, the code
 * returned by BUILD, WL_EFORKED, or the errors of wl_store_insert; on error
 * nothing was written. */
int wl_store_append(struct wl_store *s, const unsigned char origin[32],
		    size_t n, wl_store_build_fn build, void *arg,
		    uint64_t *last_seq);

/* Read the head of ORIGIN into *HEAD. Returns 0, WL_ENOTFOUND if the store
 * has no event of ORIGIN, or WL_ESTORE. */
int wl_store_head(struct wl_store *s, const unsigned char origin[32],
		  struct wl_store_head *head);

/* Read every feed head (the version vector), sorted by origin, into a
 * malloc'd array *OUT of *N entries that the caller frees. Returns 0 or
 * WL_ESTORE, WL_ENOMEM. */
int wl_store_heads(struct wl_store *s, struct wl_store_head **out, size_t *n);

/* As wl_store_heads, and store in *EVENTS the number of stored events
 * that the same read snapshot holds: with the heads, a view that a
 * concurrent writer cannot make inconsistent. */
int wl_store_heads_counted(struct wl_store *s, struct wl_store_head **out,
			   size_t *n, uint64_t *events);

/* Copy the event with id ID as encoded bytes (signed header, then the body if
 * present) into a malloc'd buffer the caller frees, and decode it into *E,
 * whose pointers point into that buffer. LOCAL_SEQ of E is set. Returns 0,
 * WL_ENOTFOUND or WL_ESTORE, WL_ENOMEM. */
int wl_store_get(struct wl_store *s, const unsigned char id[32],
		 struct wl_store_entry *e, unsigned char **buf);

/* As wl_store_get, by origin and seq. */
int wl_store_get_seq(struct wl_store *s, const unsigned char origin[32],
		     uint64_t seq, struct wl_store_entry *e,
		     unsigned char **buf);

/* Look up the local seq of the event with id ID (0 if absent): the id index
 * as stored. Returns 0, WL_ENOTFOUND or WL_ESTORE. */
int wl_store_lookup_id(struct wl_store *s, const unsigned char id[32],
		       uint64_t *local_seq);

struct wl_store_iter;

/* Iterate the events of ORIGIN with seq > AFTER in seq order. */
int wl_store_iter_origin(struct wl_store *s, const unsigned char origin[32],
			 uint64_t after, struct wl_store_iter **out);

/* Iterate every event with local seq > AFTER in local (arrival) order. */
int wl_store_iter_local(struct wl_store *s, uint64_t after,
			struct wl_store_iter **out);

/* Iterate the events of KIND in local order. Only the kinds listed for the
 * "kinds" table are indexed; any other kind yields no entry. */
int wl_store_iter_kind(struct wl_store *s, uint8_t kind,
		       struct wl_store_iter **out);

/* A copy of one stored event (signed header and body, BUF of LEN bytes),
 * with the fields a fold sorts by. */
struct wl_store_copy {
	unsigned char *buf;
	size_t len;
	uint64_t hlc;
	unsigned char origin[32];
};

/* Copy every stored event of the indexed KIND, sorted by (HLC, origin):
 * the order in which a fold applies them, so that every node reaches the
 * same state whatever order the events arrived in. An entry that does not
 * decode is skipped. Returns 0 with *OUT (free with wl_store_copies_free)
 * and *N, or WL_ESTORE, WL_ENOMEM, WL_EBUSY. */
int wl_store_collect_kind(struct wl_store *s, uint8_t kind,
			  struct wl_store_copy **out, size_t *n);

void wl_store_copies_free(struct wl_store_copy *copies, size_t n);

/* Iterate the fork evidence: each entry is a conflicting signed header
 * (E->body is NULL, E->local_seq is 0). */
int wl_store_iter_forks(struct wl_store *s, struct wl_store_iter **out);

/* Advance IT. Returns 1 and fills *E, 0 at the end, or a negative code. An
 * entry whose stored bytes do not decode returns WL_ETRUNC or another decode
 * code with E->local_seq set, and the iterator moves past it. */
int wl_store_iter_next(struct wl_store_iter *it, struct wl_store_entry *e);

/* As wl_store_lookup_id, inside the read snapshot of IT: a lookup that
 * another process's writes (which may grow the map) cannot disturb. */
int wl_store_iter_lookup_id(struct wl_store_iter *it,
			    const unsigned char id[32], uint64_t *local_seq);

/* End IT and its read transaction. Accepts NULL. */
void wl_store_iter_free(struct wl_store_iter *it);

/* Return 1 if ORIGIN has fork evidence, 0 if not, or WL_ESTORE. */
int wl_store_is_forked(struct wl_store *s, const unsigned char origin[32]);

/* Drop the pages of the memory-mapped store from this process's resident
 * set. They stay in the page cache, so the next read costs a minor fault.
 * Serving a backfill reads every body once; calling this now and then keeps
 * the node's resident memory bounded. Returns 0, WL_EBUSY (an iterator is
 * open), WL_ESTORE or WL_EIO. */
int wl_store_release_pages(struct wl_store *s);

/* Fill *ST. Returns 0 or WL_ESTORE. */
int wl_store_stats(struct wl_store *s, struct wl_store_stats *st);

/* Write a consistent, compacted copy of S to the new file PATH (mode
 * 0600; it must not exist), while other handles keep writing: LMDB copies
 * one read transaction's snapshot and leaves out free pages. The file is
 * a data.mdb that wl_store_open can use. Returns 0, WL_EEXIST, WL_EIO or
 * WL_ESTORE; a partial file is removed. */
int wl_store_backup(struct wl_store *s, const char *path);

/* Decide whether the body of the event with header H is to be deleted. */
typedef int (*wl_store_prune_fn)(void *arg, const struct wl_event_header *h);

/* Delete the body of every event for which EXPIRED returns non-zero,
 * keeping its signed header, in write transactions of a few thousand
 * deletions each. *PRUNED (may be NULL) receives the count. Returns 0,
 * WL_ESTORE or WL_ENOSPC. */
int wl_store_prune(struct wl_store *s, wl_store_prune_fn expired, void *arg,
		   uint64_t *pruned);

/* Return the path of the LMDB data file (DIR/data.mdb). Owned by S. */
const char *wl_store_path(const struct wl_store *s);

#endif
