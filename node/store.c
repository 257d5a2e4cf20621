/* The event store over LMDB: feeds, pending events, fork evidence and map
 * growth. The tables and their keys are listed in include/wardline/store.h. */
#include "wardline/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "wardline/error.h"
#include "wardline/log.h"

#define STORE_FORMAT	 1
#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define SEQ_SIZE	 8
#define FEED_KEY_SIZE	 (WL_EVENT_KEY_SIZE + SEQ_SIZE)
#define FORK_KEY_SIZE	 (FEED_KEY_SIZE + WL_EVENT_ID_SIZE)
#define HEAD_VALUE_SIZE	 (SEQ_SIZE + WL_EVENT_ID_SIZE + SEQ_SIZE)

/* Each retry of a write transaction that filled the map doubles the map, so
 * this bound is reached only if LMDB keeps failing for another reason. */
#define WRITE_ATTEMPTS 48

/* Retries of mdb_txn_begin after MDB_MAP_RESIZED. */
#define RESIZED_ATTEMPTS 4

enum table {
	T_EVENTS,
	T_BODIES,
	T_IDS,
	T_FEEDS,
	T_HEADS,
	T_PENDING,
	T_FORKS,
	T_META,
	T_KINDS,
	T_COUNT
};

static const char *const table_names[T_COUNT] = {
    "events", "bodies", "ids", "feeds", "heads", "pending", "forks", "meta",
    "kinds",
};

/* Key of the "kinds" index: kind (1 byte) || local seq (u64 BE). */
#define KIND_KEY_SIZE (1 + SEQ_SIZE)

/* Kinds that are rare and read at start (certificates, revocations, users,
 * key envelopes, memberships, account states, policy) get an index entry, so a node can
 * find them without reading every message of its log. */
static int kind_indexed(uint8_t kind)
{
	return kind == WL_KIND_NODE_CERT || kind == WL_KIND_REVOCATION ||
	       kind == WL_KIND_SITE_POLICY || kind == WL_KIND_USER_BUNDLE ||
	       kind == WL_KIND_KEY_ENVELOPE || kind == WL_KIND_MEMBERSHIP ||
	       kind == WL_KIND_ACCOUNT;
}

struct wl_store {
	MDB_env *env;
	MDB_dbi dbi[T_COUNT];
	char *dir;
	char *path;
	uint64_t next_local; /* next local seq as of this handle's last write */
	unsigned char *build_buf; /* WL_EVENT_ENCODED_MAX bytes, for appends */
	unsigned open_iters;	  /* the map must not be remapped under these */
};

/* One transaction, and the LMDB call that failed in it, if any. */
struct tx {
	struct wl_store *s;
	MDB_txn *txn;
	uint64_t next_local; /* in a write: local seq of the next event */
	size_t drained;	     /* events appended from "pending" */
	int mdb_rc;	     /* LMDB code of the failed call, 0 if none */
	const char *op;
	const char *table;
};

struct wl_store_iter {
	struct wl_store *s;
	struct tx t;
	MDB_cursor *cur;
	enum table table; /* T_FEEDS, T_EVENTS, T_KINDS or T_FORKS */
	int started;
	int done;
	unsigned char start[FEED_KEY_SIZE]; /* first key; origin prefix */
	size_t start_len;
};

typedef int (*tx_body_fn)(struct tx *t, void *arg);

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint32_t get_be32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void feed_key(unsigned char key[FEED_KEY_SIZE],
		     const unsigned char *origin, uint64_t seq)
{
	memcpy(key, origin, WL_EVENT_KEY_SIZE);
	put_be64(key + WL_EVENT_KEY_SIZE, seq);
}

/* Errors */

static int map_mdb_error(int rc)
{
	if (rc == ENOMEM)
		return WL_ENOMEM;
	if (rc == ENOSPC || rc == EDQUOT || rc == MDB_MAP_FULL)
		return WL_ENOSPC;
	return WL_ESTORE;
}

/* Log a failed LMDB call once and return its WL_* code. */
static int log_mdb_error(const char *op, const char *table, int rc)
{
	wl_error("store", "LMDB call failed op=%s table=%s error=\"%s\"", op,
		 table != NULL ? table : "-", mdb_strerror(rc));
	return map_mdb_error(rc);
}

static int log_corrupt(const char *table, uint64_t local_seq)
{
	wl_error("store",
		 "stored record is malformed, check the store with wardline "
		 "verify table=%s local_seq=%" PRIu64,
		 table, local_seq);
	return WL_ESTORE;
}

/* Remember the LMDB failure that ends transaction T. The caller aborts T
 * and reports the failure once, with tx_report. */
static int tx_fail(struct tx *t, int rc, const char *op, const char *table)
{
	t->mdb_rc = rc;
	t->op = op;
	t->table = table;
	return WL_ESTORE;
}

/* Log the LMDB failure of T, if any, and return the code for the caller. */
static int tx_report(struct tx *t, int rc)
{
	if (t->mdb_rc == 0)
		return rc;

	rc = log_mdb_error(t->op, t->table, t->mdb_rc);
	t->mdb_rc = 0;
	return rc;
}

/* Map growth */

static int map_usage(struct wl_store *s, size_t *map_size, size_t *used)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(s->env, &st);
	if (rc != 0)
		return log_mdb_error("env_info", NULL, rc);

	*map_size = info.me_mapsize;
	*used = (info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}

/* Check that the disk can hold data.mdb at SIZE bytes. Without MDB_WRITEMAP
 * LMDB extends the file only as it writes pages, so only the part beyond the
 * present length of the file needs free space. */
static int disk_has_room(const struct wl_store *s, size_t size)
{
	struct statvfs vfs;
	struct stat st;
	uint64_t avail;
	uint64_t need = 0;

	if (statvfs(s->dir, &vfs) != 0 || stat(s->path, &st) != 0)
		return WL_EIO;

	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if ((uint64_t)size > (uint64_t)st.st_size)
		need = (uint64_t)size - (uint64_t)st.st_size;
	return avail >= need ? 0 : WL_ENOSPC;
}

/* Double the map (more if USED needs it). REQUIRED is set after
 * MDB_MAP_FULL. Growth ahead of need gives up quietly when it cannot happen,
 * and the write goes on in the room that is left. */
static int map_grow(struct wl_store *s, size_t size, size_t used, int required)
{
	size_t target = size * 2;
	int rc;

	/* Remapping would unmap the pages that open iterators point into. */
	if (s->open_iters > 0)
		return required ? WL_EBUSY : 0;

	while (target / 4 * 3 < used)
		target *= 2;
	rc = disk_has_room(s, target);
	if (rc != 0)
		return required ? rc : 0;

	rc = mdb_env_set_mapsize(s->env, target);
	if (rc != 0)
		return log_mdb_error("env_set_mapsize", NULL, rc);

	wl_info("store", "map grown size_mb=%.1f used_mb=%.1f",
		(double)target / 1048576.0, (double)used / 1048576.0);
	return 0;
}

/* Grow the map before a write transaction when it is 3/4 full. */
static int map_prepare(struct wl_store *s)
{
	size_t size, used;
	int rc = map_usage(s, &size, &used);

	if (rc != 0)
		return rc;
	if (used <= size / 4 * 3)
		return 0;
	return map_grow(s, size, used, 0);
}

static int map_grow_required(struct wl_store *s)
{
	size_t size, used;
	int rc = map_usage(s, &size, &used);

	if (rc != 0)
		return rc;
	return map_grow(s, size, used, 1);
}

/* Another process grew the map beyond ours: adopt the size it stored. */
static int map_adopt(struct wl_store *s)
{
	int rc;

	if (s->open_iters > 0)
		return WL_EBUSY;

	rc = mdb_env_set_mapsize(s->env, 0);
	if (rc != 0)
		return log_mdb_error("env_set_mapsize", NULL, rc);
	return 0;
}

/* Transactions and table access */

static int tx_begin(struct wl_store *s, unsigned flags, struct tx *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->s = s;

	for (int attempt = 0;; attempt++) {
		rc = mdb_txn_begin(s->env, NULL, flags, &t->txn);
		if (rc != MDB_MAP_RESIZED || attempt == RESIZED_ATTEMPTS)
			break;
		rc = map_adopt(s);
		if (rc != 0)
			return rc;
	}

	if (rc != 0) {
		t->txn = NULL;
		return log_mdb_error("txn_begin", NULL, rc);
	}
	return 0;
}

/* End a read transaction and return RC, or the code of its LMDB failure. */
static int tx_end(struct tx *t, int rc)
{
	if (t->txn != NULL)
		mdb_txn_abort(t->txn);
	t->txn = NULL;
	return tx_report(t, rc);
}

/* Returns 0, WL_ENOTFOUND, or WL_ESTORE with the failure kept in T. */
static int tx_get(struct tx *t, enum table table, const void *key,
		  size_t key_len, MDB_val *val)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	int rc = mdb_get(t->txn, t->s->dbi[table], &k, val);

	if (rc == MDB_NOTFOUND)
		return WL_ENOTFOUND;
	if (rc != 0)
		return tx_fail(t, rc, "get", table_names[table]);
	return 0;
}

static int tx_put(struct tx *t, enum table table, const void *key,
		  size_t key_len, const void *data, size_t len, unsigned flags)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	int rc = mdb_put(t->txn, t->s->dbi[table], &k, &v, flags);

	if (rc != 0)
		return tx_fail(t, rc, "put", table_names[table]);
	return 0;
}

/* Make room for a value of LEN bytes and point *DATA at it. */
static int tx_reserve(struct tx *t, enum table table, const void *key,
		      size_t key_len, size_t len, unsigned char **data)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	MDB_val v = {.mv_size = len, .mv_data = NULL};
	int rc = mdb_put(t->txn, t->s->dbi[table], &k, &v, MDB_RESERVE);

	if (rc != 0)
		return tx_fail(t, rc, "put", table_names[table]);
	*data = v.mv_data;
	return 0;
}

static int tx_del(struct tx *t, enum table table, const void *key,
		  size_t key_len)
{
	MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
	int rc = mdb_del(t->txn, t->s->dbi[table], &k, NULL);

	if (rc != 0)
		return tx_fail(t, rc, "del", table_names[table]);
	return 0;
}

static int tx_cursor_open(struct tx *t, enum table table, MDB_cursor **cur)
{
	int rc = mdb_cursor_open(t->txn, t->s->dbi[table], cur);

	if (rc != 0) {
		*cur = NULL;
		return tx_fail(t, rc, "cursor_open", table_names[table]);
	}
	return 0;
}

/* Returns 0, WL_ENOTFOUND at either end, or WL_ESTORE. */
static int tx_cursor_get(struct tx *t, MDB_cursor *cur, MDB_val *k, MDB_val *v,
			 MDB_cursor_op op, enum table table)
{
	int rc = mdb_cursor_get(cur, k, v, op);

	if (rc == MDB_NOTFOUND)
		return WL_ENOTFOUND;
	if (rc != 0)
		return tx_fail(t, rc, "cursor_get", table_names[table]);
	return 0;
}

/* Read the local seq that the next stored event gets: one past the last key
 * of "events". Another process may have appended since this handle last
 * wrote, so every write transaction reads it again. */
static int tx_load_next_local(struct tx *t)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	rc = tx_cursor_open(t, T_EVENTS, &cur);
	if (rc != 0)
		return rc;

	rc = tx_cursor_get(t, cur, &k, &v, MDB_LAST, T_EVENTS);
	if (rc == WL_ENOTFOUND) {
		t->next_local = 1;
		rc = 0;
	} else if (rc == 0 && k.mv_size != SEQ_SIZE) {
		rc = log_corrupt("events", 0);
	} else if (rc == 0) {
		t->next_local = get_be64(k.mv_data) + 1;
	}

	mdb_cursor_close(cur);
	return rc;
}

/* Run BODY in a write transaction and commit it. A transaction that filled
 * the map is aborted and run again from the start after the map grew, so
 * BODY must depend only on its arguments. */
static int store_write(struct wl_store *s, tx_body_fn body, void *arg)
{
	struct tx t;
	int rc;

	for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
		rc = map_prepare(s);
		if (rc != 0)
			return rc;

		rc = tx_begin(s, 0, &t);
		if (rc != 0)
			return rc;

		rc = body(&t, arg);
		if (rc != 0) {
			mdb_txn_abort(t.txn);
		} else {
			rc = mdb_txn_commit(t.txn);
			if (rc != 0)
				rc = tx_fail(&t, rc, "txn_commit", NULL);
		}
		t.txn = NULL;
		if (rc == 0) {
			s->next_local = t.next_local;
			return 0;
		}
		if (t.mdb_rc != MDB_MAP_FULL)
			return tx_report(&t, rc);

		rc = map_grow_required(s);
		if (rc != 0)
			return rc;
	}

	wl_error("store", "write failed after map growth attempts=%d",
		 WRITE_ATTEMPTS);
	return WL_ESTORE;
}

/* Feeds, heads and fork evidence inside a transaction */

/* Read the head of ORIGIN. A feed without events has a zero head; then
 * WL_ENOTFOUND is returned and *HEAD is still filled. */
static int tx_head(struct tx *t, const unsigned char *origin,
		   struct wl_store_head *head)
{
	const unsigned char *p;
	MDB_val v;
	int rc;

	memset(head, 0, sizeof(*head));
	memcpy(head->origin, origin, WL_EVENT_KEY_SIZE);

	rc = tx_get(t, T_HEADS, origin, WL_EVENT_KEY_SIZE, &v);
	if (rc != 0)
		return rc;
	if (v.mv_size != HEAD_VALUE_SIZE)
		return log_corrupt("heads", 0);

	p = v.mv_data;
	head->seq = get_be64(p);
	memcpy(head->id, p + SEQ_SIZE, WL_EVENT_ID_SIZE);
	head->hlc = get_be64(p + SEQ_SIZE + WL_EVENT_ID_SIZE);
	return 0;
}

/* Returns 1 if ORIGIN has fork evidence, 0 if not, or a negative code. The
 * keys of "forks" start with the origin, so the first key at or after the
 * bare origin starts with it exactly when the origin has evidence. */
static int tx_forked(struct tx *t, const unsigned char *origin)
{
	MDB_cursor *cur;
	MDB_val k = {.mv_size = WL_EVENT_KEY_SIZE, .mv_data = (void *)origin};
	MDB_val v;
	int rc;

	rc = tx_cursor_open(t, T_FORKS, &cur);
	if (rc != 0)
		return rc;

	rc = tx_cursor_get(t, cur, &k, &v, MDB_SET_RANGE, T_FORKS);
	if (rc == 0)
		rc = k.mv_size >= WL_EVENT_KEY_SIZE &&
		     memcmp(k.mv_data, origin, WL_EVENT_KEY_SIZE) == 0;
	else if (rc == WL_ENOTFOUND)
		rc = 0;

	mdb_cursor_close(cur);
	return rc;
}

static int tx_local_seq(struct tx *t, enum table table, const void *key,
			size_t key_len, uint64_t *local_seq)
{
	MDB_val v;
	int rc = tx_get(t, table, key, key_len, &v);

	if (rc != 0)
		return rc;
	if (v.mv_size != SEQ_SIZE)
		return log_corrupt(table_names[table], 0);

	*local_seq = get_be64(v.mv_data);
	return 0;
}

static int tx_local_of_seq(struct tx *t, const unsigned char *origin,
			   uint64_t seq, uint64_t *local_seq)
{
	unsigned char key[FEED_KEY_SIZE];

	feed_key(key, origin, seq);
	return tx_local_seq(t, T_FEEDS, key, sizeof(key), local_seq);
}

static int put_fork(struct tx *t, const struct wl_event *ev)
{
	unsigned char key[FORK_KEY_SIZE];

	feed_key(key, ev->h.origin, ev->h.seq);
	memcpy(key + FEED_KEY_SIZE, ev->id, WL_EVENT_ID_SIZE);
	return tx_put(t, T_FORKS, key, sizeof(key), ev->signed_bytes,
		      ev->signed_len, 0);
}

/* Add the stored event at (ORIGIN, SEQ) to the fork evidence, so that both
 * conflicting headers, each signed by ORIGIN, can be shown without the
 * feed. */
static int put_fork_stored(struct tx *t, const unsigned char *origin,
			   uint64_t seq)
{
	unsigned char copy[WL_EVENT_SIGNED_MAX];
	unsigned char key[SEQ_SIZE];
	struct wl_event ev;
	uint64_t local_seq;
	MDB_val v;
	int rc;

	rc = tx_local_of_seq(t, origin, seq, &local_seq);
	if (rc == 0) {
		put_be64(key, local_seq);
		rc = tx_get(t, T_EVENTS, key, sizeof(key), &v);
	}
	if (rc == WL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size > sizeof(copy))
		return log_corrupt("events", local_seq);

	/* Values read in a write transaction are valid only until the next
	 * write, and the copy is written to "forks". */
	memcpy(copy, v.mv_data, v.mv_size);
	if (wl_event_decode_signed(copy, v.mv_size, &ev) < 0)
		return log_corrupt("events", local_seq);
	return put_fork(t, &ev);
}

/* Keep EV as fork evidence, with the stored event at OTHER_SEQ of its origin
 * that it conflicts with (none if 0), and mark the origin forked. */
static int record_fork(struct tx *t, const struct wl_event *ev,
		       uint64_t other_seq, int *result)
{
	int rc = put_fork(t, ev);

	if (rc == 0 && other_seq > 0)
		rc = put_fork_stored(t, ev->h.origin, other_seq);
	if (rc != 0)
		return rc;

	*result = WL_EFORK;
	return 0;
}

/* Insertion */

/* Append EV (with BODY, BODY_LEN bytes, stored only when not empty) as the
 * next event of its feed, whose head is *HEAD, and move *HEAD to it. */
static int append_event(struct tx *t, const struct wl_event *ev,
			const unsigned char *body, size_t body_len,
			struct wl_store_head *head)
{
	unsigned char local[SEQ_SIZE];
	unsigned char feed[FEED_KEY_SIZE];
	unsigned char value[HEAD_VALUE_SIZE];
	int rc;

	put_be64(local, t->next_local);
	feed_key(feed, ev->h.origin, ev->h.seq);
	put_be64(value, ev->h.seq);
	memcpy(value + SEQ_SIZE, ev->id, WL_EVENT_ID_SIZE);
	put_be64(value + SEQ_SIZE + WL_EVENT_ID_SIZE, ev->h.hlc);

	rc = tx_put(t, T_EVENTS, local, sizeof(local), ev->signed_bytes,
		    ev->signed_len, MDB_APPEND);
	if (rc == 0 && body_len > 0)
		rc = tx_put(t, T_BODIES, local, sizeof(local), body, body_len,
			    MDB_APPEND);
	if (rc == 0)
		rc = tx_put(t, T_IDS, ev->id, WL_EVENT_ID_SIZE, local,
			    sizeof(local), 0);
	if (rc == 0)
		rc = tx_put(t, T_FEEDS, feed, sizeof(feed), local,
			    sizeof(local), 0);
	if (rc == 0)
		rc = tx_put(t, T_HEADS, ev->h.origin, WL_EVENT_KEY_SIZE, value,
			    sizeof(value), 0);
	if (rc == 0 && kind_indexed(ev->h.kind)) {
		unsigned char kind_key[KIND_KEY_SIZE];

		kind_key[0] = ev->h.kind;
		memcpy(kind_key + 1, local, SEQ_SIZE);
		rc = tx_put(t, T_KINDS, kind_key, sizeof(kind_key), local,
			    sizeof(local), 0);
	}
	if (rc != 0)
		return rc;

	t->next_local++;
	head->seq = ev->h.seq;
	memcpy(head->id, ev->id, WL_EVENT_ID_SIZE);
	head->hlc = ev->h.hlc;
	return 0;
}

/* Take the pending event that follows *HEAD out of "pending" and append it if
 * it links. Returns 1 if one was appended, 0 if there is none or it did not
 * link (it is then fork evidence), or a negative code. */
static int drain_next(struct tx *t, struct wl_store_head *head)
{
	unsigned char key[FEED_KEY_SIZE];
	unsigned char *copy = NULL;
	struct wl_event ev;
	int result;
	MDB_val v;
	long n;
	int rc;

	if (head->seq == UINT64_MAX)
		return 0;
	feed_key(key, head->origin, head->seq + 1);
	rc = tx_get(t, T_PENDING, key, sizeof(key), &v);
	if (rc != 0)
		return rc == WL_ENOTFOUND ? 0 : rc;

	/* The value is valid only until the next write: keep a copy. */
	copy = malloc(v.mv_size > 0 ? v.mv_size : 1);
	if (copy == NULL)
		return WL_ENOMEM;
	memcpy(copy, v.mv_data, v.mv_size);

	rc = tx_del(t, T_PENDING, key, sizeof(key));
	if (rc != 0)
		goto out;

	/* A malformed record is dropped: keeping it would fail every later
	 * batch that stores its predecessor. */
	n = wl_event_decode_signed(copy, v.mv_size, &ev);
	if (n < 0) {
		log_corrupt("pending", 0);
		goto out;
	}
	ev.body = (size_t)n < v.mv_size ? copy + n : NULL;

	if (memcmp(ev.h.prev, head->id, WL_EVENT_ID_SIZE) != 0) {
		rc = record_fork(t, &ev, head->seq, &result);
		goto out;
	}
	rc = append_event(t, &ev, ev.body, v.mv_size - (size_t)n, head);
	if (rc == 0) {
		t->drained++;
		rc = 1;
	}

out:
	free(copy);
	return rc;
}

static int drain_pending(struct tx *t, struct wl_store_head *head)
{
	int rc;

	do {
		rc = drain_next(t, head);
	} while (rc == 1);
	return rc;
}

/* "pending" already contains an event at the (origin, seq) of EV, whose key
 * is KEY: the same event is a duplicate, and another one is a fork. Returns 0
 * with *RESULT set, 1 if the stored record is malformed and is to be replaced,
 * or a negative code. */
static int pending_conflict(struct tx *t, const struct wl_event *ev,
			    const MDB_val *v, const unsigned char *key,
			    int *result)
{
	unsigned char copy[WL_EVENT_SIGNED_MAX];
	size_t len = v->mv_size < sizeof(copy) ? v->mv_size : sizeof(copy);
	struct wl_event other;
	int rc;

	/* Only the signed header is needed, and it is written to "forks". */
	memcpy(copy, v->mv_data, len);
	if (wl_event_decode_signed(copy, len, &other) < 0) {
		log_corrupt("pending", 0);
		return 1;
	}

	if (memcmp(other.id, ev->id, WL_EVENT_ID_SIZE) == 0) {
		*result = WL_STORED_DUPLICATE;
		return 0;
	}

	rc = put_fork(t, &other);
	if (rc == 0)
		rc = tx_del(t, T_PENDING, key, FEED_KEY_SIZE);
	if (rc == 0)
		rc = record_fork(t, ev, 0, result);
	return rc;
}

/* Keep EV, whose predecessor is missing, in "pending" as it was encoded. */
static int keep_pending(struct tx *t, const struct wl_event *ev, int *result)
{
	unsigned char key[FEED_KEY_SIZE];
	size_t body_len = ev->body != NULL ? ev->h.body_len : 0;
	unsigned char *dst;
	MDB_val v;
	int rc;

	feed_key(key, ev->h.origin, ev->h.seq);
	rc = tx_get(t, T_PENDING, key, sizeof(key), &v);
	if (rc == 0) {
		rc = pending_conflict(t, ev, &v, key, result);
		if (rc != 1)
			return rc;
	} else if (rc != WL_ENOTFOUND) {
		return rc;
	}

	rc = tx_reserve(t, T_PENDING, key, sizeof(key),
			ev->signed_len + body_len, &dst);
	if (rc != 0)
		return rc;

	memcpy(dst, ev->signed_bytes, ev->signed_len);
	if (body_len > 0)
		memcpy(dst + ev->signed_len, ev->body, body_len);
	*result = WL_STORED_PENDING;
	return 0;
}

/* Insert one event and store its outcome in *RESULT. Returns 0, or a
 * negative code that aborts the transaction. */
static int insert_one(struct tx *t, const struct wl_event *ev, int *result)
{
	struct wl_store_head head;
	MDB_val v;
	int rc;

	rc = tx_get(t, T_IDS, ev->id, WL_EVENT_ID_SIZE, &v);
	if (rc == 0) {
		*result = WL_STORED_DUPLICATE;
		return 0;
	}
	if (rc != WL_ENOTFOUND)
		return rc;

	rc = tx_forked(t, ev->h.origin);
	if (rc != 0) {
		*result = WL_EFORKED;
		return rc < 0 ? rc : 0;
	}

	rc = tx_head(t, ev->h.origin, &head);
	if (rc != 0 && rc != WL_ENOTFOUND)
		return rc;

	if (ev->h.seq <= head.seq)
		return record_fork(t, ev, ev->h.seq, result);
	if (ev->h.seq - 1 > head.seq)
		return keep_pending(t, ev, result);
	if (memcmp(ev->h.prev, head.id, WL_EVENT_ID_SIZE) != 0)
		return record_fork(t, ev, head.seq, result);

	rc = append_event(t, ev, ev->body,
			  ev->body != NULL ? ev->h.body_len : 0, &head);
	if (rc != 0)
		return rc;
	*result = WL_STORED_APPENDED;
	return drain_pending(t, &head);
}

struct insert_job {
	const struct wl_event *evs;
	size_t n;
	int *results;
	size_t drained;
};

static int insert_body(struct tx *t, void *arg)
{
	struct insert_job *job = arg;
	int rc = tx_load_next_local(t);

	for (size_t i = 0; rc == 0 && i < job->n; i++)
		rc = insert_one(t, &job->evs[i], &job->results[i]);
	job->drained = t->drained;
	return rc;
}

/* Reject what no decoded event looks like. An event decoded without its
 * body (BODY NULL, BODY_LEN > 0) is accepted and stored without it. */
static int check_events(const struct wl_event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wl_event *ev = &evs[i];

		if (ev->signed_bytes == NULL || ev->h.seq == 0 ||
		    ev->signed_len != wl_event_signed_len(ev->h.flags) ||
		    ev->h.body_len > WL_EVENT_BODY_MAX)
			return WL_EINVAL;
	}
	return 0;
}

int wl_store_insert(struct wl_store *s, const struct wl_event *evs, size_t n,
		    int *results, size_t *drained)
{
	struct insert_job job = {evs, n, results, 0};
	int rc;

	if (drained != NULL)
		*drained = 0;
	if (n == 0)
		return 0;
	if (results == NULL)
		return WL_EINVAL;

	rc = check_events(evs, n);
	if (rc != 0)
		return rc;

	rc = store_write(s, insert_body, &job);
	if (rc == 0 && drained != NULL)
		*drained = job.drained;
	return rc;
}

/* Local appends */

struct append_job {
	const unsigned char *origin;
	size_t n;
	wl_store_build_fn build;
	void *arg;
	uint64_t last_seq;
};

/* Build event INDEX of JOB after the head of its origin and append it. */
static int append_next(struct tx *t, struct append_job *job, size_t index)
{
	unsigned char *buf = t->s->build_buf;
	struct wl_store_head head;
	struct wl_event ev;
	size_t len = 0;
	int result;
	int rc;

	rc = tx_forked(t, job->origin);
	if (rc != 0)
		return rc < 0 ? rc : WL_EFORKED;
	rc = tx_head(t, job->origin, &head);
	if (rc != 0 && rc != WL_ENOTFOUND)
		return rc;
	if (head.seq == UINT64_MAX)
		return WL_ESEQ;

	rc = job->build(job->arg, index, head.seq + 1, head.id, head.hlc, buf,
			WL_EVENT_ENCODED_MAX, &len);
	if (rc != 0)
		return rc < 0 ? rc : WL_EINVAL;
	if (len > WL_EVENT_ENCODED_MAX)
		return WL_EINVAL;
	rc = wl_event_decode(buf, len, &ev);
	if (rc != 0)
		return rc;

	/* A builder that ignored its position would fork this node's own
	 * feed, so the event is rejected before it reaches the fork checks. */
	if (memcmp(ev.h.origin, job->origin, WL_EVENT_KEY_SIZE) != 0)
		return WL_EINVAL;
	if (ev.h.seq != head.seq + 1 ||
	    memcmp(ev.h.prev, head.id, WL_EVENT_ID_SIZE) != 0)
		return WL_ECHAIN;

	rc = insert_one(t, &ev, &result);
	if (rc != 0)
		return rc;
	if (result != WL_STORED_APPENDED)
		return WL_ECHAIN;
	job->last_seq = ev.h.seq;
	return 0;
}

static int append_body(struct tx *t, void *arg)
{
	struct append_job *job = arg;
	int rc = tx_load_next_local(t);

	for (size_t i = 0; rc == 0 && i < job->n; i++)
		rc = append_next(t, job, i);
	return rc;
}

int wl_store_append(struct wl_store *s, const unsigned char origin[32],
		    size_t n, wl_store_build_fn build, void *arg,
		    uint64_t *last_seq)
{
	struct append_job job = {origin, n, build, arg, 0};
	int rc;

	if (last_seq != NULL)
		*last_seq = 0;
	if (n == 0)
		return 0;

	if (s->build_buf == NULL) {
		s->build_buf = malloc(WL_EVENT_ENCODED_MAX);
		if (s->build_buf == NULL)
			return WL_ENOMEM;
	}

	rc = store_write(s, append_body, &job);
	if (rc == 0 && last_seq != NULL)
		*last_seq = job.last_seq;
	return rc;
}

/* Opening and closing */

/* Open every table and check the format version, writing it in a new
 * store. */
static int init_tables(struct tx *t, void *arg)
{
	static const char key[] = "format";
	unsigned char value[4];
	MDB_val v;
	int rc;

	(void)arg;
	for (int i = 0; i < T_COUNT; i++) {
		rc = mdb_dbi_open(t->txn, table_names[i], MDB_CREATE,
				  &t->s->dbi[i]);
		if (rc != 0)
			return tx_fail(t, rc, "dbi_open", table_names[i]);
	}

	rc = tx_get(t, T_META, key, sizeof(key) - 1, &v);
	if (rc == 0 &&
	    (v.mv_size != sizeof(value) || get_be32(v.mv_data) != STORE_FORMAT))
		return WL_EVERSION;
	if (rc == WL_ENOTFOUND) {
		put_be32(value, STORE_FORMAT);
		rc = tx_put(t, T_META, key, sizeof(key) - 1, value,
			    sizeof(value), 0);
	}
	if (rc != 0)
		return rc;

	return tx_load_next_local(t);
}

static int open_error(const char *dir, int rc)
{
	wl_error("store",
		 "failed to open the LMDB environment dir=%s error=\"%s\"", dir,
		 mdb_strerror(rc));
	if (rc == MDB_VERSION_MISMATCH)
		return WL_EVERSION;
	if (rc == ENOMEM)
		return WL_ENOMEM;
	if (rc > 0) {
		errno = rc;
		return WL_EIO;
	}
	return WL_ESTORE;
}

/* A new store starts at MAP_SIZE. An existing store starts at the size kept
 * in its file, which LMDB only ever raises, or at MAP_SIZE if that is
 * larger. */
static int env_open(struct wl_store *s, size_t map_size, unsigned flags)
{
	struct stat st;
	int existed = stat(s->path, &st) == 0;
	MDB_envinfo info;
	int dead = 0;
	int rc;

	rc = mdb_env_create(&s->env);
	if (rc != 0) {
		s->env = NULL;
		return open_error(s->dir, rc);
	}
	rc = mdb_env_set_maxdbs(s->env, T_COUNT);
	if (rc == 0 && !existed)
		rc = mdb_env_set_mapsize(s->env, map_size);
	if (rc == 0)
		rc = mdb_env_open(s->env, s->dir, flags, 0600);
	if (rc != 0)
		return open_error(s->dir, rc);

	/* Slots of readers whose process died would pin old pages forever. */
	rc = mdb_reader_check(s->env, &dead);
	if (rc != 0)
		return log_mdb_error("reader_check", NULL, rc);
	if (dead > 0)
		wl_info("store",
			"reader slots of dead processes cleared count=%d",
			dead);

	rc = mdb_env_info(s->env, &info);
	if (rc == 0 && info.me_mapsize < map_size)
		rc = mdb_env_set_mapsize(s->env, map_size);
	if (rc != 0)
		return log_mdb_error("env_set_mapsize", NULL, rc);
	return 0;
}

int wl_store_open(const char *dir, const struct wl_store_options *opt,
		  struct wl_store **out)
{
	size_t map_size = DEFAULT_MAP_SIZE;
	unsigned flags = MDB_NOTLS;
	struct wl_store *s;
	size_t len = strlen(dir) + sizeof("/data.mdb");
	int rc = WL_ENOMEM;

	*out = NULL;
	if (opt != NULL && opt->initial_map_size > 0)
		map_size = opt->initial_map_size;
	if (opt != NULL && opt->no_sync)
		flags |= MDB_NOSYNC;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return WL_ENOMEM;
	s->dir = strdup(dir);
	s->path = malloc(len);
	if (s->dir == NULL || s->path == NULL)
		goto out;
	snprintf(s->path, len, "%s/data.mdb", dir);

	rc = env_open(s, map_size, flags);
	if (rc == 0)
		rc = store_write(s, init_tables, NULL);
	if (rc == 0)
		*out = s;

out:
	if (rc != 0)
		wl_store_close(s);
	return rc;
}

void wl_store_close(struct wl_store *s)
{
	if (s == NULL)
		return;

	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->build_buf);
	free(s->path);
	free(s->dir);
	free(s);
}

const char *wl_store_path(const struct wl_store *s)
{
	return s->path;
}

/* Reading */

/* Decode the signed header HDR (LEN bytes) into E, with BODY (BODY_LEN bytes,
 * none if 0). Returns 1, or the decode code with E->local_seq set. */
static int fill_entry(struct wl_store_entry *e, uint64_t local_seq,
		      const unsigned char *hdr, size_t len,
		      const unsigned char *body, size_t body_len)
{
	long n;

	memset(e, 0, sizeof(*e));
	e->local_seq = local_seq;
	n = wl_event_decode_signed(hdr, len, &e->ev);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return WL_ETRAILING;

	if (body_len > 0) {
		e->body = body;
		e->body_len = body_len;
	}
	e->ev.body = e->body;
	return 1;
}

/* Read the stored header and body of LOCAL_SEQ; the values point into the
 * map. An absent body is returned as an empty value. */
static int tx_load(struct tx *t, uint64_t local_seq, MDB_val *hdr,
		   MDB_val *body)
{
	unsigned char key[SEQ_SIZE];
	int rc;

	put_be64(key, local_seq);
	rc = tx_get(t, T_EVENTS, key, sizeof(key), hdr);
	if (rc != 0)
		return rc;

	rc = tx_get(t, T_BODIES, key, sizeof(key), body);
	if (rc == WL_ENOTFOUND) {
		body->mv_size = 0;
		body->mv_data = NULL;
		rc = 0;
	}
	return rc;
}

/* Copy the event of LOCAL_SEQ into a malloc'd buffer *BUF and decode it. */
static int copy_entry(struct tx *t, uint64_t local_seq,
		      struct wl_store_entry *e, unsigned char **buf)
{
	MDB_val hdr, body;
	unsigned char *copy;
	int rc;

	rc = tx_load(t, local_seq, &hdr, &body);
	if (rc != 0)
		return rc;
	if (hdr.mv_size < WL_EVENT_HEADER_SIZE ||
	    hdr.mv_size > WL_EVENT_SIGNED_MAX)
		return log_corrupt("events", local_seq);

	copy = malloc(hdr.mv_size + body.mv_size);
	if (copy == NULL)
		return WL_ENOMEM;
	memcpy(copy, hdr.mv_data, hdr.mv_size);
	if (body.mv_size > 0)
		memcpy(copy + hdr.mv_size, body.mv_data, body.mv_size);

	rc = fill_entry(e, local_seq, copy, hdr.mv_size, copy + hdr.mv_size,
			body.mv_size);
	if (rc != 1) {
		free(copy);
		return log_corrupt("events", local_seq);
	}
	*buf = copy;
	return 0;
}

int wl_store_get(struct wl_store *s, const unsigned char id[32],
		 struct wl_store_entry *e, unsigned char **buf)
{
	uint64_t local_seq = 0;
	struct tx t;
	int rc;

	*buf = NULL;
	memset(e, 0, sizeof(*e));
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	rc = tx_local_seq(&t, T_IDS, id, WL_EVENT_ID_SIZE, &local_seq);
	if (rc == 0)
		rc = copy_entry(&t, local_seq, e, buf);
	return tx_end(&t, rc);
}

int wl_store_get_seq(struct wl_store *s, const unsigned char origin[32],
		     uint64_t seq, struct wl_store_entry *e,
		     unsigned char **buf)
{
	uint64_t local_seq = 0;
	struct tx t;
	int rc;

	*buf = NULL;
	memset(e, 0, sizeof(*e));
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	rc = tx_local_of_seq(&t, origin, seq, &local_seq);
	if (rc == 0)
		rc = copy_entry(&t, local_seq, e, buf);
	return tx_end(&t, rc);
}

int wl_store_lookup_id(struct wl_store *s, const unsigned char id[32],
		       uint64_t *local_seq)
{
	struct tx t;
	int rc;

	*local_seq = 0;
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	rc = tx_local_seq(&t, T_IDS, id, WL_EVENT_ID_SIZE, local_seq);
	return tx_end(&t, rc);
}

int wl_store_iter_lookup_id(struct wl_store_iter *it,
			    const unsigned char id[32], uint64_t *local_seq)
{
	*local_seq = 0;
	return tx_local_seq(&it->t, T_IDS, id, WL_EVENT_ID_SIZE, local_seq);
}

int wl_store_head(struct wl_store *s, const unsigned char origin[32],
		  struct wl_store_head *head)
{
	struct tx t;
	int rc;

	memset(head, 0, sizeof(*head));
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	rc = tx_head(&t, origin, head);
	return tx_end(&t, rc);
}

static int parse_head(const MDB_val *k, const MDB_val *v,
		      struct wl_store_head *head)
{
	const unsigned char *p = v->mv_data;

	if (k->mv_size != WL_EVENT_KEY_SIZE || v->mv_size != HEAD_VALUE_SIZE)
		return log_corrupt("heads", 0);

	memcpy(head->origin, k->mv_data, WL_EVENT_KEY_SIZE);
	head->seq = get_be64(p);
	memcpy(head->id, p + SEQ_SIZE, WL_EVENT_ID_SIZE);
	head->hlc = get_be64(p + SEQ_SIZE + WL_EVENT_ID_SIZE);
	return 0;
}

int wl_store_heads(struct wl_store *s, struct wl_store_head **out, size_t *n)
{
	return wl_store_heads_counted(s, out, n, NULL);
}

int wl_store_heads_counted(struct wl_store *s, struct wl_store_head **out,
			   size_t *n, uint64_t *events)
{
	struct wl_store_head *heads = NULL;
	MDB_cursor *cur = NULL;
	size_t count = 0;
	MDB_stat st;
	MDB_val k, v;
	struct tx t;
	int rc;

	*out = NULL;
	*n = 0;
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	if (events != NULL) {
		rc = mdb_stat(t.txn, s->dbi[T_EVENTS], &st);
		if (rc != 0) {
			rc = tx_fail(&t, rc, "stat", "events");
			goto out;
		}
		*events = st.ms_entries;
	}
	rc = mdb_stat(t.txn, s->dbi[T_HEADS], &st);
	if (rc != 0) {
		rc = tx_fail(&t, rc, "stat", "heads");
		goto out;
	}
	heads = calloc(st.ms_entries > 0 ? st.ms_entries : 1, sizeof(*heads));
	if (heads == NULL) {
		rc = WL_ENOMEM;
		goto out;
	}
	rc = tx_cursor_open(&t, T_HEADS, &cur);

	while (rc == 0 && count < st.ms_entries) {
		rc = tx_cursor_get(&t, cur, &k, &v, MDB_NEXT, T_HEADS);
		if (rc == 0)
			rc = parse_head(&k, &v, &heads[count++]);
	}
	if (rc == WL_ENOTFOUND)
		rc = 0;

out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	rc = tx_end(&t, rc);
	if (rc == 0) {
		*out = heads;
		*n = count;
	} else {
		free(heads);
	}
	return rc;
}

int wl_store_is_forked(struct wl_store *s, const unsigned char origin[32])
{
	struct tx t;
	int rc = tx_begin(s, MDB_RDONLY, &t);

	if (rc != 0)
		return rc;
	rc = tx_forked(&t, origin);
	return tx_end(&t, rc);
}

/* Find the mapping of the store's data file in /proc/self/maps: LMDB
 * reports the map address (me_mapaddr) only for MDB_FIXEDMAP maps. The file
 * is matched by inode. Returns 0 with *START and *LEN, or WL_ENOTFOUND. */
static int find_map(const struct wl_store *s, void **start, size_t *len)
{
	struct stat st;
	char line[4096];
	FILE *maps;
	int rc = WL_ENOTFOUND;

	if (stat(s->path, &st) != 0)
		return WL_EIO;
	maps = fopen("/proc/self/maps", "r");
	if (maps == NULL)
		return WL_EIO;
	while (rc != 0 && fgets(line, sizeof(line), maps)) {
		unsigned long lo;
		unsigned long hi;
		unsigned long long inode;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %llu", &lo, &hi,
			   &inode) != 3 || inode != (unsigned long long)st.st_ino ||
		    strstr(line, "data.mdb") == NULL)
			continue;
		*start = (void *)lo;
		*len = hi - lo;
		rc = 0;
	}
	fclose(maps);
	return rc;
}

int wl_store_release_pages(struct wl_store *s)
{
	void *start = NULL;
	size_t len = 0;
	int rc;

	if (s->open_iters > 0)
		return WL_EBUSY;
	rc = find_map(s, &start, &len);
	if (rc != 0)
		return rc;

	/* The map is read-only (no MDB_WRITEMAP), so dropping its pages from
	 * this process loses nothing: they stay in the page cache and fault
	 * back in on the next read. */
	if (madvise(start, len, MADV_DONTNEED) != 0)
		return WL_EIO;
	return 0;
}

int wl_store_stats(struct wl_store *s, struct wl_store_stats *st)
{
	static const enum table counted[] = {T_EVENTS, T_BODIES, T_PENDING,
					     T_FORKS, T_HEADS};
	uint64_t *fields[] = {&st->events, &st->bodies, &st->pending,
			      &st->forks, &st->origins};
	size_t map_size = 0, used = 0;
	MDB_stat ms;
	struct tx t;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = tx_begin(s, MDB_RDONLY, &t);
	if (rc != 0)
		return rc;

	for (size_t i = 0; rc == 0 && i < sizeof(counted) / sizeof(counted[0]);
	     i++) {
		rc = mdb_stat(t.txn, s->dbi[counted[i]], &ms);
		if (rc != 0)
			rc = tx_fail(&t, rc, "stat", table_names[counted[i]]);
		else
			*fields[i] = ms.ms_entries;
	}
	if (rc == 0)
		rc = map_usage(s, &map_size, &used);

	st->map_size = map_size;
	st->used = used;
	return tx_end(&t, rc);
}

/* Iterators */

static int iter_new(struct wl_store *s, enum table table,
		    const unsigned char *start, size_t start_len, int empty,
		    struct wl_store_iter **out)
{
	struct wl_store_iter *it;
	int rc;

	*out = NULL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return WL_ENOMEM;

	rc = tx_begin(s, MDB_RDONLY, &it->t);
	if (rc != 0)
		goto out;
	rc = tx_cursor_open(&it->t, table, &it->cur);
	if (rc != 0) {
		rc = tx_end(&it->t, rc);
		goto out;
	}

	it->s = s;
	it->table = table;
	if (start_len > 0)
		memcpy(it->start, start, start_len);
	it->start_len = start_len;
	it->done = empty;
	s->open_iters++;
	*out = it;

out:
	if (rc != 0)
		free(it);
	return rc;
}

int wl_store_iter_origin(struct wl_store *s, const unsigned char origin[32],
			 uint64_t after, struct wl_store_iter **out)
{
	unsigned char start[FEED_KEY_SIZE];

	feed_key(start, origin, after + 1);
	return iter_new(s, T_FEEDS, start, sizeof(start), after == UINT64_MAX,
			out);
}

int wl_store_iter_kind(struct wl_store *s, uint8_t kind,
		       struct wl_store_iter **out)
{
	unsigned char start[KIND_KEY_SIZE] = {0};

	start[0] = kind;
	return iter_new(s, T_KINDS, start, sizeof(start), !kind_indexed(kind),
			out);
}

int wl_store_iter_local(struct wl_store *s, uint64_t after,
			struct wl_store_iter **out)
{
	unsigned char start[SEQ_SIZE];

	put_be64(start, after + 1);
	return iter_new(s, T_EVENTS, start, sizeof(start), after == UINT64_MAX,
			out);
}

int wl_store_iter_forks(struct wl_store *s, struct wl_store_iter **out)
{
	return iter_new(s, T_FORKS, NULL, 0, 0, out);
}

/* Fill E from the event of LOCAL_SEQ. A missing event is reported like one
 * that does not decode, so the iterator can move past it. */
static int iter_load(struct wl_store_iter *it, uint64_t local_seq,
		     struct wl_store_entry *e)
{
	MDB_val hdr, body;
	int rc = tx_load(&it->t, local_seq, &hdr, &body);

	if (rc != 0) {
		e->local_seq = local_seq;
		return tx_report(&it->t, rc);
	}
	return fill_entry(e, local_seq, hdr.mv_data, hdr.mv_size, body.mv_data,
			  body.mv_size);
}

static int iter_feed_entry(struct wl_store_iter *it, const MDB_val *k,
			   const MDB_val *v, struct wl_store_entry *e)
{
	if (k->mv_size != FEED_KEY_SIZE ||
	    memcmp(k->mv_data, it->start, WL_EVENT_KEY_SIZE) != 0) {
		it->done = 1;
		return 0;
	}
	if (v->mv_size != SEQ_SIZE)
		return WL_ETRUNC;
	return iter_load(it, get_be64(v->mv_data), e);
}

static int iter_kind_entry(struct wl_store_iter *it, const MDB_val *k,
			   const MDB_val *v, struct wl_store_entry *e)
{
	const unsigned char *key = k->mv_data;

	if (k->mv_size != KIND_KEY_SIZE || key[0] != it->start[0]) {
		it->done = 1;
		return 0;
	}
	if (v->mv_size != SEQ_SIZE)
		return WL_ETRUNC;
	return iter_load(it, get_be64(v->mv_data), e);
}

static int iter_local_entry(struct wl_store_iter *it, const MDB_val *k,
			    const MDB_val *v, struct wl_store_entry *e)
{
	unsigned char key[SEQ_SIZE];
	uint64_t local_seq;
	MDB_val body;
	int rc;

	if (k->mv_size != SEQ_SIZE)
		return WL_ETRUNC;
	local_seq = get_be64(k->mv_data);

	put_be64(key, local_seq);
	rc = tx_get(&it->t, T_BODIES, key, sizeof(key), &body);
	if (rc == WL_ENOTFOUND) {
		body.mv_size = 0;
		body.mv_data = NULL;
	} else if (rc != 0) {
		e->local_seq = local_seq;
		return tx_report(&it->t, rc);
	}
	return fill_entry(e, local_seq, v->mv_data, v->mv_size, body.mv_data,
			  body.mv_size);
}

int wl_store_iter_next(struct wl_store_iter *it, struct wl_store_entry *e)
{
	MDB_cursor_op op = MDB_NEXT;
	MDB_val k = {0}, v = {0};
	int rc;

	memset(e, 0, sizeof(*e));
	if (it->done)
		return 0;

	if (!it->started) {
		op = it->start_len > 0 ? MDB_SET_RANGE : MDB_FIRST;
		k.mv_size = it->start_len;
		k.mv_data = it->start;
		it->started = 1;
	}
	rc = tx_cursor_get(&it->t, it->cur, &k, &v, op, it->table);
	if (rc == WL_ENOTFOUND) {
		it->done = 1;
		return 0;
	}
	if (rc != 0)
		return tx_report(&it->t, rc);

	if (it->table == T_FEEDS)
		return iter_feed_entry(it, &k, &v, e);
	if (it->table == T_EVENTS)
		return iter_local_entry(it, &k, &v, e);
	if (it->table == T_KINDS)
		return iter_kind_entry(it, &k, &v, e);
	return fill_entry(e, 0, v.mv_data, v.mv_size, NULL, 0);
}

void wl_store_iter_free(struct wl_store_iter *it)
{
	if (it == NULL)
		return;

	mdb_cursor_close(it->cur);
	tx_end(&it->t, 0);
	it->s->open_iters--;
	free(it);
}

static int copy_order(const void *a, const void *b)
{
	const struct wl_store_copy *x = a;
	const struct wl_store_copy *y = b;

	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return memcmp(x->origin, y->origin, 32);
}

/* Append a copy of entry E to *ALL (*COUNT entries, room for *CAP). */
static int copy_push(struct wl_store_copy **all, size_t *count, size_t *cap,
		     const struct wl_store_entry *e)
{
	struct wl_store_copy *c;

	if (*count == *cap) {
		size_t grown_cap = *cap ? *cap * 2 : 64;
		struct wl_store_copy *grown =
			realloc(*all, grown_cap * sizeof(*grown));

		if (grown == NULL)
			return WL_ENOMEM;
		*all = grown;
		*cap = grown_cap;
	}
	c = &(*all)[*count];
	c->len = e->ev.signed_len + e->body_len;
	c->buf = malloc(c->len);
	if (c->buf == NULL)
		return WL_ENOMEM;
	memcpy(c->buf, e->ev.signed_bytes, e->ev.signed_len);
	if (e->body_len)
		memcpy(c->buf + e->ev.signed_len, e->body, e->body_len);
	c->hlc = e->ev.h.hlc;
	memcpy(c->origin, e->ev.h.origin, 32);
	(*count)++;
	return 0;
}

int wl_store_collect_kind(struct wl_store *s, uint8_t kind,
			  struct wl_store_copy **out, size_t *n)
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct wl_store_copy *all = NULL;
	size_t count = 0;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = wl_store_iter_kind(s, kind, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc < 0) {
			/* An entry that does not decode is skipped; a failure
			 * of the store itself ends the walk. */
			rc = rc == WL_ESTORE || rc == WL_ENOMEM ? rc : 0;
			continue;
		}
		rc = copy_push(&all, &count, &cap, &e);
	}
	wl_store_iter_free(it);

	if (rc != 0) {
		wl_store_copies_free(all, count);
		return rc;
	}
	if (count > 1)
		qsort(all, count, sizeof(*all), copy_order);
	*out = all;
	*n = count;
	return 0;
}

void wl_store_copies_free(struct wl_store_copy *copies, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(copies[i].buf);
	free(copies);
}

int wl_store_backup(struct wl_store *s, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0) {
		wl_warn("store", "cannot create the backup file=%s: %s", path,
			strerror(errno));
		return errno == EEXIST ? WL_EEXIST : WL_EIO;
	}
	rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc != 0) {
		wl_warn("store", "backup to file=%s failed: %s", path,
			mdb_strerror(rc));
		unlink(path);
		return rc == ENOSPC || rc == EIO ? WL_EIO : WL_ESTORE;
	}
	return 0;
}

/* Pruning: one write transaction examines up to PRUNE_SCAN bodies. */
#define PRUNE_SCAN 20000

struct prune_job {
	wl_store_prune_fn expired;
	void *arg;
	uint64_t from;    /* first local seq to examine */
	uint64_t next;    /* where the next transaction starts; 0 at the end */
	uint64_t deleted; /* in this transaction */
};

static int prune_body(struct tx *t, void *arg)
{
	struct prune_job *job = arg;
	unsigned char start[SEQ_SIZE];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t scanned = 0;
	int rc;

	job->deleted = 0;
	job->next = 0;
	rc = tx_load_next_local(t);
	if (rc == 0)
		rc = tx_cursor_open(t, T_BODIES, &cur);
	if (rc != 0)
		return rc;

	put_be64(start, job->from);
	k.mv_size = sizeof(start);
	k.mv_data = start;
	rc = tx_cursor_get(t, cur, &k, &v, MDB_SET_RANGE, T_BODIES);
	while (rc == 0) {
		struct wl_event ev;
		MDB_val hdr;
		uint64_t local;

		if (k.mv_size != SEQ_SIZE) {
			rc = log_corrupt("bodies", 0);
			break;
		}
		local = get_be64(k.mv_data);
		if (scanned++ == PRUNE_SCAN) {
			job->next = local;
			break;
		}
		rc = tx_get(t, T_EVENTS, k.mv_data, SEQ_SIZE, &hdr);
		if (rc == 0 &&
		    wl_event_decode_signed(hdr.mv_data, hdr.mv_size, &ev) > 0 &&
		    job->expired(job->arg, &ev.h)) {
			int del = mdb_cursor_del(cur, 0);

			if (del != 0) {
				rc = tx_fail(t, del, "cursor_del", "bodies");
				break;
			}
			job->deleted++;
		} else if (rc == WL_ENOTFOUND) {
			rc = 0; /* a body without header: verify reports it */
		}
		if (rc == 0)
			rc = tx_cursor_get(t, cur, &k, &v, MDB_NEXT, T_BODIES);
	}
	mdb_cursor_close(cur);
	return rc == WL_ENOTFOUND ? 0 : rc;
}

int wl_store_prune(struct wl_store *s, wl_store_prune_fn expired, void *arg,
		   uint64_t *pruned)
{
	struct prune_job job = {expired, arg, 1, 0, 0};
	uint64_t total = 0;
	int rc;

	do {
		rc = store_write(s, prune_body, &job);
		if (rc != 0)
			break;
		total += job.deleted;
		job.from = job.next;
	} while (job.next != 0);

	if (pruned != NULL)
		*pruned = total;
	if (total > 0)
		wl_info("store", "bodies pruned count=%" PRIu64, total);
	return rc;
}
