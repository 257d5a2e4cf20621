/* The running node: links, group commit, head tracking and discovery. */
#include "wardline/runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/api.h"
#include "wardline/audit.h"
#include "wardline/discovery.h"
#include "wardline/enroll_api.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/ingest.h"
#include "wardline/keyfile.h"
#include "wardline/log.h"
#include "wardline/mdns.h"
#include "wardline/peer.h"
#include "wardline/retention.h"
#include "wardline/site.h"
#include "wardline/space.h"
#include "wardline/status.h"
#include "wardline/store.h"
#include "wardline/tlscert.h"
#include "wardline/transport.h"
#include "wardline/users.h"

#define MOD "replica"
#define QUEUE_MAX_EVENTS 65536
/* Room for one more EVENTS message of the smallest events after the queue
 * reached QUEUE_MAX_EVENTS. */
#define QUEUE_CAP (QUEUE_MAX_EVENTS + WL_PEER_MESSAGE_MAX / \
		   (4 + WL_EVENT_HEADER_SIZE + WL_EVENT_SIG_SIZE) + 1)
#define REVOKED_MAX 4096
/* Bursts of rejection log lines are cut to this many per second. */
#define REJECT_LOGS_PER_SECOND 20
/* Bytes read from or written to the store between two releases of its
 * mapped pages (wl_store_release_pages). The interval bounds the resident
 * memory that serving or taking a backfill leaves behind. */
#define RELEASE_EVERY_BYTES (1u << 20)

/* A peer this node linked to, remembered after its link went, so that
 * the UI can show when each device last synced. */
struct seen_device {
	unsigned char node[32];
	char name[WL_CERT_NAME_MAX + 1];
	uint64_t last_sync_ms;
	int linked;
	/* The highest seq of this node's own feed that the device reported
	 * in its HAVE messages, kept when its link closes. */
	uint64_t own_head;
};

#define DEVICES_MAX 256

/* Per-link state the runtime keeps beside the transport's. */
struct rt_link {
	struct wl_runtime *rt;
	struct wl_link *link;
	struct wl_peer *peer;
	struct wl_contact *contact; /* the contact dialed, or NULL */
	unsigned char remote[32];
	char name[WL_CERT_NAME_MAX + 1];
	int established;
	uint64_t last_sync_ms;
	struct rt_link *prev;
	struct rt_link *next;
};

/* One received event waiting for the next group commit. */
struct queued {
	struct rt_link *from; /* NULL once its link closed */
	unsigned char *buf;
	size_t len;
};

struct wl_runtime {
	struct wl_config cfg;
	uv_loop_t *loop;
	char node_hex[65];
	struct wl_identity *id;
	unsigned char cert[WL_CERT_SIZE];
	struct wl_node_cert cert_info;
	int enrolled;
	unsigned char site_pk[32];
	unsigned char site_id[WL_SITE_ID_SIZE];

	struct wl_store *store;
	struct wl_hlc hlc;
	struct wl_ingest *ingest;
	struct wl_transport *transport;
	struct wl_mdns *mdns;
	struct wl_discovery *book;
	struct rt_link *links;

	struct queued *queue;
	size_t queued;
	struct wl_store_head *heads; /* the version vector last pushed */
	size_t n_heads;
	unsigned char (*revoked)[32];
	size_t n_revoked;
	struct wl_api *api; /* the web UI's API on the local HTTP port */
	/* The TLS listener for browsers on other hosts ("" when off). */
	char tls_addr[80];
	char tls_fp[WL_TLSCERT_FP_SIZE];
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	struct wl_enroll_api *enroll; /* its enrollment routes */
	void (*restart)(void *arg);   /* see wl_runtime_on_restart */
	void *restart_arg;
	struct seen_device *devices; /* every peer linked since start */
	size_t n_devices;
	uint64_t alone_since_ms; /* when the last link went; 0 while linked */
	struct wl_retention_policy policy;
	int policy_changed; /* a policy event arrived since the last load */
	int ui_changed;     /* an event that pages show arrived */
	uint64_t bodies_pruned;

	uv_check_t flush;
	uv_timer_t dial_timer;
	uv_timer_t rescan_timer;
	uv_timer_t prune_timer;
	uv_fs_event_t watch;
	int rescan_passes; /* rescans still due after the last change */
	int handles;       /* handles still open, for the final free */
	int stopping;

	uint64_t started_ms;
	uint64_t links_opened;
	uint64_t links_closed[WL_LINK_REASON_COUNT];
	uint64_t link_errors[WL_ERROR_COUNT];
	uint64_t forks;
	uint64_t reject_window_ms;
	unsigned reject_logs;
	uint64_t since_release; /* bytes through the store since the last
				   release of its pages */
};

static const char *short_hex(const unsigned char id[32], char buf[17])
{
	return wl_log_shortid(buf, id);
}

const char *wl_runtime_node_hex(const struct wl_runtime *rt)
{
	return rt->node_hex;
}

/* Count BYTES moved through the store and release its mapped pages once
 * enough have passed. No iterator may be open. */
static void account_store_bytes(struct wl_runtime *rt, uint64_t bytes)
{
	rt->since_release += bytes;
	if (rt->since_release < RELEASE_EVERY_BYTES)
		return;
	rt->since_release = 0;
	if (wl_store_release_pages(rt->store) != 0)
		wl_debug(MOD, "store pages not released");
}

static int is_revoked(const struct wl_runtime *rt, const unsigned char n[32])
{
	for (size_t i = 0; i < rt->n_revoked; i++)
		if (memcmp(rt->revoked[i], n, 32) == 0)
			return 1;
	return 0;
}

static struct rt_link *find_established(struct wl_runtime *rt,
					const unsigned char node[32],
					const struct rt_link *except)
{
	for (struct rt_link *r = rt->links; r; r = r->next)
		if (r != except && r->established &&
		    memcmp(r->remote, node, 32) == 0)
			return r;
	return NULL;
}

/* A revocation event arrived or was found at start: remember the node and
 * drop every link and contact of it. */
static void apply_revocation(struct wl_runtime *rt, const unsigned char *body,
			     size_t len)
{
	struct wl_revocation r;
	char node[17];

	if (wl_revocation_decode(body, len, &r) != 0 ||
	    wl_revocation_verify(&r, rt->site_pk) != 0 ||
	    is_revoked(rt, r.node_pk))
		return;
	if (rt->n_revoked == REVOKED_MAX) {
		wl_error(MOD, "too many revoked nodes; revocation ignored "
			      "node=%s", short_hex(r.node_pk, node));
		return;
	}
	memcpy(rt->revoked[rt->n_revoked++], r.node_pk, 32);
	wl_warn(MOD, "node revoked; its links are closed and it is refused "
		     "from now on node=%s", short_hex(r.node_pk, node));

	for (struct rt_link *l = rt->links; l; l = l->next) {
		if (l->established && memcmp(l->remote, r.node_pk, 32) == 0) {
			l->contact = NULL;
			wl_link_close(l->link, WL_LINK_LOCAL);
		}
	}
	for (struct rt_link *l = rt->links; l; l = l->next)
		if (l->contact && l->contact->node_known &&
		    memcmp(l->contact->node, r.node_pk, 32) == 0)
			l->contact = NULL;
	wl_discovery_forget(rt->book, r.node_pk);
}

/* Apply the revocations among the events of ORIGIN after seq AFTER: new
 * events, whether a peer sent them or another process (the CLI) appended
 * them. */
static void scan_revocations(struct wl_runtime *rt,
			     const unsigned char origin[32], uint64_t after)
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	int rc;

	rc = wl_store_iter_origin(rt->store, origin, after, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc == 1 && e.ev.h.kind == WL_KIND_REVOCATION && e.body)
			apply_revocation(rt, e.body, e.body_len);
		if (rc == 1 && e.ev.h.kind == WL_KIND_SITE_POLICY)
			rt->policy_changed = 1;
		/* Pages show neither audit records nor account events. A
		 * notice about them would make every audited fetch trigger
		 * the next one, without end. */
		if (rc == 1 && e.ev.h.kind != WL_KIND_AUDIT &&
		    e.ev.h.kind != WL_KIND_ACCOUNT)
			rt->ui_changed = 1;
		rc = rc == WL_ESTORE || rc == WL_ENOMEM ? rc : 0;
	}
	wl_store_iter_free(it);
}

static int load_revocations(struct wl_runtime *rt)
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	int rc;

	rc = wl_store_iter_kind(rt->store, WL_KIND_REVOCATION, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc == 1 && e.ev.h.kind == WL_KIND_REVOCATION && e.body)
			apply_revocation(rt, e.body, e.body_len);
		rc = rc == WL_ESTORE || rc == WL_ENOMEM ? rc : 0;
	}
	wl_store_iter_free(it);
	return rc;
}

/* Retention */

/* The time that expiry is judged at: the wall clock, moved ahead by the
 * configured offset in tests. */
static uint64_t retention_now(const struct wl_runtime *rt)
{
	return wl_hlc_system_wall(NULL) + rt->cfg.retention_clock_offset_ms;
}

static int body_expired(void *arg, const struct wl_event_header *h)
{
	struct wl_runtime *rt = arg;

	return wl_retention_expired(&rt->policy, h, retention_now(rt));
}

/* Write an audit record of this node about ACTION, sealed for the audit
 * space of SPACES. Nothing is written while the site has no audit space. */
static void node_audit(struct wl_runtime *rt, const struct wl_spaces *spaces,
		       const char *action, const char *detail)
{
	struct wl_audit_record rec;
	struct wl_audit_draft d;
	int rc;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.action, sizeof(rec.action), "%s", action);
	snprintf(rec.outcome, sizeof(rec.outcome), "ok");
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	rec.at_ms = wl_hlc_system_wall(NULL);
	rc = wl_audit_draft(spaces, &rec, &d);
	if (rc == 0)
		rc = wl_feed_append(rt->store, rt->id, &rt->hlc, &d.item, 1,
				    NULL, NULL);
	sodium_memzero(&d, sizeof(d));
	if (rc != 0)
		wl_warn(MOD, "audit record not written action=%s error=%s",
			action, wl_strerror_name(rc));
}

/* Load the newest policy, then delete the bodies it expires and audit how
 * many. Runs at start, on a timer, and when a new policy arrives. */
static void retention_run(struct wl_runtime *rt)
{
	struct wl_users *users = NULL;
	struct wl_spaces *spaces = NULL;
	uint64_t pruned = 0;
	char detail[96];
	int rc;

	rt->policy_changed = 0;
	rc = wl_users_new(rt->site_pk, &users);
	if (rc == 0)
		rc = wl_users_load(users, rt->store);
	if (rc == 0)
		rc = wl_retention_load(&rt->policy, users, rt->store);
	if (rc == 0)
		rc = wl_store_prune(rt->store, body_expired, rt, &pruned);
	if (rc != 0) {
		wl_error(MOD, "retention job failed; it runs again at the next "
			      "interval error=%s", wl_strerror_name(rc));
		wl_users_free(users);
		return;
	}

	rt->bodies_pruned += pruned;
	if (pruned > 0 && wl_spaces_new(users, &spaces) == 0 &&
	    wl_spaces_load(spaces, rt->store) == 0) {
		snprintf(detail, sizeof(detail), "%llu bodies deleted",
			 (unsigned long long)pruned);
		node_audit(rt, spaces, "bodies_pruned", detail);
	}
	wl_spaces_free(spaces);
	wl_users_free(users);
	(void)wl_store_release_pages(rt->store);
}

static void on_prune_timer(uv_timer_t *timer)
{
	retention_run(timer->data);
}

static int head_order(const void *a, const void *b)
{
	return memcmp(((const struct wl_store_head *)a)->origin,
		      ((const struct wl_store_head *)b)->origin, 32);
}

static const struct wl_store_head *head_find(const struct wl_store_head *h,
					     size_t n,
					     const unsigned char origin[32])
{
	struct wl_store_head key;

	memcpy(key.origin, origin, 32);
	return bsearch(&key, h, n, sizeof(*h), head_order);
}

/* Read the version vector and tell every established link about each
 * origin whose head moved since the last call. */
static void refresh_heads(struct wl_runtime *rt)
{
	struct wl_store_head *heads = NULL;
	size_t n = 0;
	int moved = 0;

	if (wl_store_heads(rt->store, &heads, &n) != 0) {
		wl_error(MOD, "cannot read the version vector; pushes wait for "
			      "the next change");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct wl_store_head *old =
			head_find(rt->heads, rt->n_heads, heads[i].origin);

		if (old && old->seq == heads[i].seq)
			continue;
		moved = 1;
		scan_revocations(rt, heads[i].origin, old ? old->seq : 0);
		for (struct rt_link *l = rt->links; l; l = l->next)
			if (l->established)
				wl_peer_local_head(l->peer, heads[i].origin,
						   heads[i].seq);
	}
	free(rt->heads);
	rt->heads = heads;
	rt->n_heads = n;
	if (rt->policy_changed)
		retention_run(rt);
	if (!moved)
		return;
	if (rt->ui_changed)
		wl_transport_ui_notify(rt->transport);
	rt->ui_changed = 0;
	for (struct rt_link *l = rt->links; l; l = l->next)
		if (l->established)
			wl_link_wake(l->link);
}

static void log_reject(struct wl_runtime *rt, const struct queued *q, int rc)
{
	uint64_t now = wl_hlc_system_wall(NULL);
	char origin[17] = "unknown";
	char peer[17] = "gone";
	uint64_t seq = 0;

	if (rc == WL_EFORK) {
		rt->forks++;
	} else {
		if (now - rt->reject_window_ms >= 1000) {
			rt->reject_window_ms = now;
			rt->reject_logs = 0;
		}
		if (++rt->reject_logs > REJECT_LOGS_PER_SECOND)
			return;
	}
	if (q->len >= 44) {
		short_hex(q->buf + 4, origin);
		for (int i = 0; i < 8; i++)
			seq = (seq << 8) | q->buf[36 + i];
	}
	if (q->from && q->from->established)
		short_hex(q->from->remote, peer);

	if (rc == WL_EFORK)
		wl_error(MOD, "fork evidence: two events claim one position of "
			      "a feed; the origin is no longer accepted and "
			      "may be compromised origin=%s seq=%llu peer=%s",
			 origin, (unsigned long long)seq, peer);
	else
		wl_warn(MOD, "event rejected reason=%s origin=%s seq=%llu "
			     "peer=%s", wl_strerror_name(rc), origin,
			(unsigned long long)seq, peer);
}

/* Tell each link that delivered events which heads are now committed. */
static void acknowledge(struct wl_runtime *rt, const int *results)
{
	for (struct rt_link *l = rt->links; l; l = l->next) {
		unsigned char (*origins)[32] = NULL;
		uint64_t *seqs = NULL;
		size_t n = 0;

		if (!l->established)
			continue;
		for (size_t i = 0; i < rt->queued; i++) {
			const struct queued *q = &rt->queue[i];
			const struct wl_store_head *h;
			int seen = 0;

			if (q->from != l || results[i] < 0 || q->len < 36)
				continue;
			h = head_find(rt->heads, rt->n_heads, q->buf + 4);
			for (size_t k = 0; h && k < n && !seen; k++)
				seen = memcmp(origins[k], h->origin, 32) == 0;
			if (h == NULL || seen)
				continue;
			origins = realloc(origins, (n + 1) * sizeof(*origins));
			seqs = realloc(seqs, (n + 1) * sizeof(*seqs));
			if (origins == NULL || seqs == NULL)
				break;
			memcpy(origins[n], h->origin, 32);
			seqs[n++] = h->seq;
		}
		if (n > 0) {
			wl_peer_stored(l->peer, (const unsigned char(*)[32])
						origins, seqs, n);
			l->last_sync_ms = wl_hlc_system_wall(NULL);
			wl_link_wake(l->link);
		}
		free(origins);
		free(seqs);
	}
}

static void queue_clear(struct wl_runtime *rt)
{
	for (size_t i = 0; i < rt->queued; i++)
		free(rt->queue[i].buf);
	rt->queued = 0;
}

/* Group commit: ingest everything received since the last flush in one
 * durable transaction, then acknowledge and push. */
static void flush_queue(struct wl_runtime *rt)
{
	struct wl_ingest_input *in = NULL;
	int *results = NULL;
	int rc = WL_ENOMEM;

	if (rt->queued == 0)
		return;
	in = malloc(rt->queued * sizeof(*in));
	results = malloc(rt->queued * sizeof(*results));
	if (in != NULL && results != NULL) {
		for (size_t i = 0; i < rt->queued; i++) {
			in[i].buf = rt->queue[i].buf;
			in[i].len = rt->queue[i].len;
		}
		rc = wl_ingest_batch(rt->ingest, in, rt->queued, results);
	}

	if (rc != 0) {
		/* Nothing was stored, and no HAVE can report it, so the
		 * senders' links restart and sync again from the version
		 * vectors. */
		wl_error(MOD, "commit of received events failed; relinking "
			      "their senders error=%s events=%zu",
			 wl_strerror_name(rc), rt->queued);
		for (size_t i = 0; i < rt->queued; i++)
			if (rt->queue[i].from)
				wl_link_close(rt->queue[i].from->link,
					      WL_LINK_LOCAL);
		goto out;
	}

	for (size_t i = 0; i < rt->queued; i++) {
		if (results[i] < 0)
			log_reject(rt, &rt->queue[i], results[i]);
		account_store_bytes(rt, rt->queue[i].len);
	}
	refresh_heads(rt);
	acknowledge(rt, results);

out:
	queue_clear(rt);
	free(in);
	free(results);
}

static void on_flush(uv_check_t *handle)
{
	flush_queue(handle->data);
}

static int op_admit(void *arg, const unsigned char node[32])
{
	struct rt_link *l = arg;

	return is_revoked(l->rt, node) ? WL_EREVOKED : 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int op_fetch(void *arg, const unsigned char origin[32], uint64_t after,
		    size_t max, unsigned char *out, size_t size, size_t *used,
		    size_t *n, uint64_t *last)
{
	struct rt_link *l = arg;
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	int rc;

	*used = 0;
	*n = 0;
	rc = wl_store_iter_origin(l->rt->store, origin, after, &it);
	while (rc == 0 && *n < max) {
		size_t need;

		rc = wl_store_iter_next(it, &e);
		if (rc <= 0)
			break;
		rc = 0;
		/* An event whose body was pruned goes without it; the
		 * receiver stores its header alone. */
		need = 4 + e.ev.signed_len + e.body_len;
		if (*used + need > size && *n > 0)
			break;
		if (*used + need > size)
			return WL_ETOOBIG;
		put_u32(out + *used, (uint32_t)(need - 4));
		memcpy(out + *used + 4, e.ev.signed_bytes, e.ev.signed_len);
		if (e.body_len)
			memcpy(out + *used + 4 + e.ev.signed_len, e.body,
			       e.body_len);
		*used += need;
		(*n)++;
		*last = e.ev.h.seq;
	}
	wl_store_iter_free(it);
	account_store_bytes(l->rt, *used);
	return rc < 0 ? rc : 0;
}

static int op_deliver(void *arg, const unsigned char *const *events,
		      const size_t *lens, size_t n)
{
	struct rt_link *l = arg;
	struct wl_runtime *rt = l->rt;

	if (rt->queued + n > QUEUE_MAX_EVENTS)
		flush_queue(rt);
	if (rt->queue == NULL) {
		rt->queue = calloc(QUEUE_CAP, sizeof(*rt->queue));
		if (rt->queue == NULL)
			return WL_ENOMEM;
	}

	for (size_t i = 0; i < n; i++) {
		struct queued *q = &rt->queue[rt->queued];

		q->buf = malloc(lens[i]);
		if (q->buf == NULL)
			return WL_ENOMEM;
		memcpy(q->buf, events[i], lens[i]);
		q->len = lens[i];
		q->from = l;
		rt->queued++;
	}
	l->last_sync_ms = wl_hlc_system_wall(NULL);
	return 0;
}

static void schedule_dial(struct wl_runtime *rt);

/* Tell every established link except FROM (and the link to the node
 * itself) where C's node listens, so that peer exchange also spreads
 * addresses learned after a link came up. */
static void announce(struct wl_runtime *rt, const struct wl_contact *c,
		     const struct rt_link *from)
{
	struct wl_peer_addr a;

	if (!c->node_known || c->port == 0 ||
	    strlen(c->addr) > WL_PEER_ADDR_MAX)
		return;
	memcpy(a.node, c->node, 32);
	a.port = c->port;
	snprintf(a.addr, sizeof(a.addr), "%s", c->addr);
	for (struct rt_link *l = rt->links; l; l = l->next) {
		if (l == from || !l->established ||
		    memcmp(l->remote, c->node, 32) == 0)
			continue;
		wl_peer_share(l->peer, &a, 1);
		wl_link_wake(l->link);
	}
}

static void op_learn(void *arg, const struct wl_peer_addr *addrs, size_t n)
{
	struct rt_link *l = arg;
	struct wl_runtime *rt = l->rt;

	for (size_t i = 0; i < n; i++) {
		const struct wl_peer_addr *a = &addrs[i];
		const char *addr = a->addr;

		if (memcmp(a->node, rt->id->pk, 32) == 0 ||
		    is_revoked(rt, a->node))
			continue;
		/* "*" is the sender itself, at the address it linked from. */
		int self = strcmp(addr, "*") == 0;
		struct wl_contact *c;

		if (self)
			addr = wl_link_address(l->link);
		c = wl_discovery_add(rt->book, a->node, addr, a->port,
				     WL_CONTACT_EXCHANGE);
		if (c == NULL)
			wl_warn(MOD, "address book full; learned address "
				     "dropped");
		else if (self)
			announce(rt, c, l);
	}
	schedule_dial(rt);
}

static const struct wl_peer_ops peer_ops = {
	.admit = op_admit,
	.fetch = op_fetch,
	.deliver = op_deliver,
	.learn = op_learn,
};

static struct rt_link *rt_link_new(struct wl_runtime *rt)
{
	struct rt_link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->rt = rt;
	l->next = rt->links;
	if (rt->links)
		rt->links->prev = l;
	rt->links = l;
	return l;
}

static void rt_link_free(struct rt_link *l)
{
	struct wl_runtime *rt = l->rt;

	if (l->prev)
		l->prev->next = l->next;
	else
		rt->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	for (size_t i = 0; i < rt->queued; i++)
		if (rt->queue[i].from == l)
			rt->queue[i].from = NULL;
	if (l->contact && l->contact->link == l)
		l->contact->link = NULL;
	wl_peer_free(l->peer);
	free(l);
}

static struct wl_peer *on_open(void *arg, struct wl_link *link, int dialer)
{
	struct wl_runtime *rt = arg;
	struct rt_link *l = dialer ? wl_link_tag(link) : rt_link_new(rt);
	struct wl_peer_config pc;

	if (l == NULL || !rt->enrolled || rt->stopping)
		return NULL;
	l->link = link;
	wl_link_set_tag(link, l);

	memset(&pc, 0, sizeof(pc));
	pc.dialer = dialer;
	pc.node_pk = rt->id->pk;
	pc.node_sk = rt->id->sk;
	pc.cert = rt->cert;
	pc.site_pk = rt->site_pk;
	pc.now_ms = wl_hlc_system_wall(NULL);
	pc.ops = &peer_ops;
	pc.arg = l;
	if (wl_peer_new(&pc, &l->peer) != 0)
		return NULL;
	rt->links_opened++;
	return l->peer;
}

/* Exactly one link per pair of nodes: of two links between the same
 * nodes, both sides keep the one dialed by the node with the smaller id,
 * and the older one if both were dialed by the same node. */
static int loses_duplicate(struct wl_runtime *rt, struct rt_link *l,
			   struct rt_link *other)
{
	const unsigned char *mine = wl_link_is_dialer(l->link) ? rt->id->pk
							       : l->remote;
	const unsigned char *theirs = wl_link_is_dialer(other->link)
					      ? rt->id->pk
					      : other->remote;
	return memcmp(mine, theirs, 32) >= 0;
}

/* Send a new link the addresses in this node's address book, its own
 * included. */
static void share_addresses(struct wl_runtime *rt, struct rt_link *l)
{
	struct wl_peer_addr addrs[64];
	struct wl_contact **list;
	size_t n = wl_discovery_list(rt->book, &list);
	size_t k = 0;

	memcpy(addrs[k].node, rt->id->pk, 32);
	addrs[k].port = (uint16_t)rt->cfg.peer_port;
	snprintf(addrs[k].addr, sizeof(addrs[k].addr), "*");
	k++;
	for (size_t i = 0; i < n && k < 64; i++) {
		const struct wl_contact *c = list[i];

		if (!c->node_known || c->port == 0 ||
		    memcmp(c->node, l->remote, 32) == 0 ||
		    strlen(c->addr) > WL_PEER_ADDR_MAX)
			continue;
		memcpy(addrs[k].node, c->node, 32);
		addrs[k].port = c->port;
		snprintf(addrs[k].addr, sizeof(addrs[k].addr), "%s", c->addr);
		k++;
	}
	wl_peer_share(l->peer, addrs, k);
}

/* Remember that the peer of L is linked (LINKED 1) or just went. */
static void device_seen(struct wl_runtime *rt, const struct rt_link *l,
			int linked)
{
	struct seen_device *d = NULL;
	int any = 0;

	for (size_t i = 0; i < rt->n_devices && d == NULL; i++)
		if (memcmp(rt->devices[i].node, l->remote, 32) == 0)
			d = &rt->devices[i];
	if (d == NULL && rt->n_devices < DEVICES_MAX && rt->devices != NULL) {
		d = &rt->devices[rt->n_devices++];
		memcpy(d->node, l->remote, 32);
	}
	if (d != NULL) {
		uint64_t head = l->peer ? wl_peer_remote_head(l->peer,
							      rt->id->pk)
					: 0;

		snprintf(d->name, sizeof(d->name), "%s", l->name);
		d->linked = linked;
		d->own_head = head > d->own_head ? head : d->own_head;
		d->last_sync_ms = l->last_sync_ms ? l->last_sync_ms
						  : d->last_sync_ms;
	}
	for (size_t i = 0; i < rt->n_devices; i++)
		any |= rt->devices[i].linked;
	if (any)
		rt->alone_since_ms = 0;
	else if (rt->alone_since_ms == 0)
		rt->alone_since_ms = wl_hlc_system_wall(NULL);
}

/* The number of devices known to hold this node's own event SEQ: from
 * their HAVE messages on a live link, or the last one before it closed. */
static size_t reached(void *arg, uint64_t seq)
{
	struct wl_runtime *rt = arg;
	size_t n = 0;

	for (size_t i = 0; i < rt->n_devices; i++) {
		struct seen_device *d = &rt->devices[i];

		for (struct rt_link *l = rt->links; d->linked && l;
		     l = l->next) {
			uint64_t head;

			if (!l->established || l->peer == NULL ||
			    memcmp(l->remote, d->node, 32) != 0)
				continue;
			head = wl_peer_remote_head(l->peer, rt->id->pk);
			if (head > d->own_head)
				d->own_head = head;
		}
		n += d->own_head >= seq;
	}
	return n;
}

/* The devices view of the API: this node, each peer seen and when it
 * last synced, and since when no peer is reachable. */
static char *devices_json(void *arg)
{
	struct wl_runtime *rt = arg;
	json_t *list = json_array();
	json_t *o;
	char hex[65];
	char *text, *copy;
	json_free_t jfree = NULL;

	for (size_t i = 0; list && i < rt->n_devices; i++) {
		struct seen_device *d = &rt->devices[i];
		uint64_t sync = d->last_sync_ms;

		for (struct rt_link *l = rt->links; d->linked && l; l = l->next)
			if (l->established && memcmp(l->remote, d->node, 32) == 0 &&
			    l->last_sync_ms > sync)
				sync = l->last_sync_ms;
		wl_identity_hex(d->node, hex);
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:b, s:I}", "node", hex,
						"name", d->name, "linked",
						d->linked, "last_sync_ms",
						(json_int_t)sync));
	}
	o = json_pack("{s:s, s:s, s:I, s:o}", "node", rt->node_hex, "name",
		      rt->cert_info.name, "alone_since_ms",
		      (json_int_t)rt->alone_since_ms, "devices", list);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	copy = text ? strdup(text) : NULL;
	json_get_alloc_funcs(NULL, &jfree);
	if (text)
		jfree(text);
	return copy;
}

static void on_established(void *arg, struct wl_link *link)
{
	struct wl_runtime *rt = arg;
	struct rt_link *l = wl_link_tag(link);
	struct rt_link *other;
	struct wl_contact *c;
	char node[17];

	memcpy(l->remote, wl_peer_remote(l->peer), 32);
	snprintf(l->name, sizeof(l->name), "%s", wl_peer_remote_name(l->peer));
	l->established = 1;

	other = find_established(rt, l->remote, l);
	if (other && loses_duplicate(rt, l, other)) {
		wl_link_close(link, WL_LINK_DUPLICATE);
		return;
	}
	if (other)
		wl_link_close(other->link, WL_LINK_DUPLICATE);

	/* wl_discovery_identify may merge the dialed contact into an older
	 * contact of the same node and free it, so l->contact is set anew. */
	c = l->contact;
	l->contact = NULL;
	if (c != NULL)
		c = wl_discovery_identify(rt->book, c, l->remote);
	else
		c = wl_discovery_find(rt->book, l->remote);
	if (c != NULL && other != NULL && c->link == other) {
		other->contact = NULL;
		c->link = NULL;
	}
	if (c != NULL && (c->link == NULL || c->link == l)) {
		c->link = l;
		l->contact = c;
		wl_discovery_linked(c, wl_hlc_system_wall(NULL));
	}

	device_seen(rt, l, 1);
	wl_info(MOD, "link up peer=%s name=%s addr=%s dialer=%s",
		short_hex(l->remote, node), l->name, wl_link_address(link),
		wl_link_is_dialer(link) ? "yes" : "no");
	for (size_t i = 0; i < rt->n_heads; i++)
		wl_peer_local_head(l->peer, rt->heads[i].origin,
				   rt->heads[i].seq);
	share_addresses(rt, l);
	if (l->contact && wl_link_is_dialer(link))
		announce(rt, l->contact, l);
	wl_link_wake(link);
}

static void on_closed(void *arg, struct wl_link *link,
		      enum wl_link_reason reason, int peer_error)
{
	struct wl_runtime *rt = arg;
	struct rt_link *l = wl_link_tag(link);
	char node[17] = "unknown";

	rt->links_closed[reason]++;
	if (peer_error < 0 && peer_error > WL_ERROR_MIN)
		rt->link_errors[-peer_error]++;
	if (l == NULL)
		return;
	if (l->established)
		short_hex(l->remote, node);

	if (reason == WL_LINK_PROTOCOL || reason == WL_LINK_OVERSIZED)
		wl_warn(MOD, "link closed on a protocol error peer=%s addr=%s "
			     "reason=%s error=%s", node,
			wl_link_address(link), wl_transport_reason_name(reason),
			wl_strerror_name(peer_error));
	else if (reason == WL_LINK_DUPLICATE)
		wl_debug(MOD, "duplicate link closed peer=%s addr=%s", node,
			 wl_link_address(link));
	else if (l->established || reason != WL_LINK_CONNECT_FAILED)
		wl_info(MOD, "link closed peer=%s addr=%s reason=%s", node,
			wl_link_address(link),
			wl_transport_reason_name(reason));

	/* Another link to the same node may still be up (the duplicate
	 * rule closes one of two); the device is gone only with the last. */
	if (l->established && find_established(rt, l->remote, l) == NULL)
		device_seen(rt, l, 0);
	if (l->contact && l->contact->link == l && !rt->stopping) {
		if (reason == WL_LINK_DUPLICATE)
			l->contact->link = NULL;
		else
			wl_discovery_failed(rt->book, l->contact, wl_hlc_system_wall(NULL),
					    randombytes_random());
	}
	rt_link_free(l);
	if (!rt->stopping)
		schedule_dial(rt);
}

static int has_link_to(struct wl_runtime *rt, const struct wl_contact *c)
{
	if (!c->node_known)
		return 0;
	for (struct rt_link *l = rt->links; l; l = l->next)
		if (l->established && memcmp(l->remote, c->node, 32) == 0)
			return 1;
	return 0;
}

static void dial_contact(struct wl_runtime *rt, struct wl_contact *c)
{
	struct rt_link *l = rt_link_new(rt);
	int rc;

	if (l == NULL)
		return;
	l->contact = c;
	c->link = l;
	rc = wl_transport_dial(rt->transport, c->addr, c->port, l, &l->link);
	if (rc != 0) {
		wl_debug(MOD, "dial failed addr=%s port=%u error=%s", c->addr,
			 c->port, wl_strerror_name(rc));
		c->link = NULL;
		l->contact = NULL;
		rt_link_free(l);
		wl_discovery_failed(rt->book, c, wl_hlc_system_wall(NULL),
				    randombytes_random());
	}
}

static void on_dial_timer(uv_timer_t *timer)
{
	struct wl_runtime *rt = timer->data;
	struct wl_contact **list;
	size_t n = wl_discovery_list(rt->book, &list);
	uint64_t now = wl_hlc_system_wall(NULL);

	for (size_t i = 0; i < n && !rt->stopping; i++) {
		struct wl_contact *c = list[i];

		if (c->link || c->port == 0 || c->next_attempt_ms > now)
			continue;
		if (c->node_known && (memcmp(c->node, rt->id->pk, 32) == 0 ||
				      is_revoked(rt, c->node)))
			continue;
		if (has_link_to(rt, c)) {
			/* Linked through another address; check again later. */
			wl_discovery_failed(rt->book, c, now,
					    randombytes_random());
			continue;
		}
		dial_contact(rt, c);
		n = wl_discovery_list(rt->book, &list);
	}
	schedule_dial(rt);
}

static void schedule_dial(struct wl_runtime *rt)
{
	uint64_t due;
	uint64_t now = wl_hlc_system_wall(NULL);

	if (rt->stopping || !rt->enrolled)
		return;
	due = wl_discovery_next_due(rt->book);
	if (due == UINT64_MAX) {
		uv_timer_stop(&rt->dial_timer);
		return;
	}
	uv_timer_start(&rt->dial_timer, on_dial_timer, due > now ? due - now : 0,
		       0);
}

static void on_mdns_found(void *arg, const unsigned char node[32],
			  const char *addr, uint16_t port)
{
	struct wl_runtime *rt = arg;
	struct wl_contact *c;

	if (rt->stopping || is_revoked(rt, node))
		return;
	c = wl_discovery_add(rt->book, node, addr, port, WL_CONTACT_MDNS);
	if (c == NULL) {
		wl_warn(MOD, "address book full; mDNS peer dropped addr=%s",
			addr);
		return;
	}
	/* A fresh announcement means the node is back (its interface came
	 * up, it restarted): try at once instead of after the backoff. */
	if (c->link == NULL)
		wl_discovery_linked(c, c->last_linked_ms);
	schedule_dial(rt);
}

static void on_mdns_removed(void *arg, const unsigned char node[32])
{
	struct wl_runtime *rt = arg;

	/* The link, if any, stays until it fails: mDNS removal is a hint. */
	wl_discovery_drop(rt->book, WL_CONTACT_MDNS, node);
}

/* LMDB writes the new meta page to data.mdb before it publishes the
 * transaction in lock.mdb, so a rescan right after the notification can
 * still read the previous transaction. A second pass a little later picks
 * up what the first one missed. */
#define RESCAN_FIRST_MS 2
#define RESCAN_SETTLE_MS 25

static void on_rescan(uv_timer_t *timer)
{
	struct wl_runtime *rt = timer->data;

	refresh_heads(rt);
	if (rt->rescan_passes > 0 && --rt->rescan_passes > 0)
		uv_timer_start(&rt->rescan_timer, on_rescan, RESCAN_SETTLE_MS,
			       0);
}

/* The LMDB file changed: perhaps another process appended. Coalesce the
 * burst of notifications of one commit into one rescan. */
static void on_store_changed(uv_fs_event_t *handle, const char *filename,
			     int events, int status)
{
	struct wl_runtime *rt = handle->data;

	(void)events;
	if (status < 0 || rt->stopping)
		return;
	if (filename && strcmp(filename, "data.mdb") != 0)
		return;
	/* A change while the settle pass waits must not wait for it: pull
	 * the timer forward so a steady stream of commits is pushed within
	 * RESCAN_FIRST_MS of each. */
	rt->rescan_passes = 2;
	if (!uv_is_active((uv_handle_t *)&rt->rescan_timer) ||
	    uv_timer_get_due_in(&rt->rescan_timer) > RESCAN_FIRST_MS)
		uv_timer_start(&rt->rescan_timer, on_rescan, RESCAN_FIRST_MS,
			       0);
}

static void fill_view(struct wl_runtime *rt, struct wl_status_view *v,
		      struct wl_status_peer *peers, size_t max)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->node, sizeof(v->node), "%s", rt->node_hex);
	snprintf(v->name, sizeof(v->name), "%s", rt->cert_info.name);
	v->enrolled = rt->enrolled;
	v->started_ms = rt->started_ms;
	snprintf(v->tls_addr, sizeof(v->tls_addr), "%s", rt->tls_addr);
	snprintf(v->tls_fingerprint, sizeof(v->tls_fingerprint), "%s",
		 rt->tls_fp);
	v->now_ms = wl_hlc_system_wall(NULL);
	wl_store_stats(rt->store, &v->store);
	v->ingest = *wl_ingest_counters(rt->ingest);
	for (struct rt_link *l = rt->links; l && v->n_peers < max;
	     l = l->next) {
		struct wl_status_peer *p = &peers[v->n_peers];

		if (!l->established)
			continue;
		sodium_bin2hex(p->node, sizeof(p->node), l->remote, 32);
		snprintf(p->name, sizeof(p->name), "%s", l->name);
		snprintf(p->addr, sizeof(p->addr), "%s",
			 wl_link_address(l->link));
		p->dialer = wl_link_is_dialer(l->link);
		p->up_since_ms = wl_link_up_since(l->link);
		p->last_sync_ms = l->last_sync_ms;
		wl_peer_get_stats(l->peer, &p->stats);
		v->n_peers++;
	}
	v->peers = peers;
	v->n_contacts = wl_discovery_list(rt->book, &(struct wl_contact **){0});
	v->n_revoked = rt->n_revoked;
	v->links_opened = rt->links_opened;
	memcpy(v->links_closed, rt->links_closed, sizeof(v->links_closed));
	memcpy(v->link_errors, rt->link_errors, sizeof(v->link_errors));
	v->forks = rt->forks;
}

/* The content type of a web UI file, by its extension. */
static const char *file_type(const char *path)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".json", "application/json"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Serve PATH from the web root: letters, digits, '-', '_', '.' and '/'
 * only, no "..", and "/" is index.html. Returns an HTTP status. */
static int serve_file(struct wl_runtime *rt, const char *path, char **body,
		      size_t *len, const char **type)
{
	char file[PATH_MAX];
	FILE *f;
	long size;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (strstr(path, "..") != NULL || strspn(path + 1,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789-_./") != strlen(path + 1) ||
	    (*type = file_type(path)) == NULL ||
	    snprintf(file, sizeof(file), "%s%s", rt->cfg.web_root, path) >=
		    (int)sizeof(file))
		return 404;
	f = fopen(file, "rb");
	if (f == NULL)
		return 404;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    size > 4 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0 ||
	    (*body = malloc((size_t)size + 1)) == NULL ||
	    fread(*body, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(*body);
		*body = NULL;
		return 500;
	}
	fclose(f);
	*len = (size_t)size;
	return 200;
}

/* The web UI's files everywhere; the status and metrics pages only to
 * this device (loopback or the Unix socket), since they name the peers. */
static int on_http_get(void *arg, const char *path, int local, char **body,
		       size_t *len, const char **type)
{
	struct wl_runtime *rt = arg;
	struct wl_status_peer peers[256];
	struct wl_status_view v;
	int rc;

	if (strcmp(path, "/status") != 0 && strcmp(path, "/metrics") != 0)
		return serve_file(rt, path, body, len, type);
	if (!local) {
		*body = NULL;
		*len = 0;
		return 404;
	}
	fill_view(rt, &v, peers, 256);
	if (strcmp(path, "/status") == 0) {
		*type = "application/json";
		rc = wl_status_json(&v, body, len);
	} else {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		rc = wl_status_metrics(&v, body, len);
	}
	return rc == 0 ? 200 : 500;
}

static void on_api_request(void *arg, const struct wl_api_request *req,
			   wl_api_done_fn done, void *conn)
{
	struct wl_runtime *rt = arg;

	if (wl_enroll_api_route(req->path))
		wl_enroll_api_handle(rt->enroll, req, done, conn);
	else
		wl_api_handle(rt->api, req, done, conn);
}

static void on_api_forget(void *arg, void *conn)
{
	struct wl_runtime *rt = arg;

	wl_api_forget(rt->api, conn);
}

static int on_ui_allowed(void *arg, const char *host, const char *origin,
			 const char *cookie)
{
	struct wl_runtime *rt = arg;

	return wl_api_socket_allowed(rt->api, host, origin, cookie);
}

static const struct wl_transport_ops transport_ops = {
	.open = on_open,
	.established = on_established,
	.closed = on_closed,
	.http_get = on_http_get,
	.api_request = on_api_request,
	.api_forget = on_api_forget,
	.ui_allowed = on_ui_allowed,
};

/* A certificate was installed through the web UI, so hand the restart to
 * the daemon (wl_runtime_on_restart). */
static void on_enrolled(void *arg)
{
	struct wl_runtime *rt = arg;

	if (rt->restart != NULL)
		rt->restart(rt->restart_arg);
	else
		wl_warn(MOD, "restart the node to link to peers with its new "
			     "certificate dir=%s", rt->cfg.data_dir);
}

static int start_enroll_api(struct wl_runtime *rt,
			    const struct wl_api_config *ac)
{
	struct wl_enroll_api_env env;

	memset(&env, 0, sizeof(env));
	env.data_dir = rt->cfg.data_dir;
	env.store = rt->store;
	env.node = rt->id;
	env.hlc = &rt->hlc;
	env.cert = rt->enrolled ? &rt->cert_info : NULL;
	env.installed = on_enrolled;
	env.arg = rt;
	return wl_enroll_api_new(ac, &env, &rt->enroll);
}

void wl_runtime_on_restart(struct wl_runtime *rt, void (*fn)(void *arg),
			   void *arg)
{
	rt->restart = fn;
	rt->restart_arg = arg;
}

/* Accept Host value HOST, and Origin SCHEME://HOST. */
static void api_host(struct wl_api_config *ac, const char *scheme,
		     const char *host)
{
	if (ac->n_hosts == WL_API_HOSTS_MAX)
		return;
	snprintf(ac->hosts[ac->n_hosts], sizeof(ac->hosts[0]), "%s", host);
	snprintf(ac->origins[ac->n_hosts], sizeof(ac->origins[0]), "%s://%s",
		 scheme, host);
	ac->n_hosts++;
	ac->n_origins++;
}

/* Start the API, accepting the host names a browser uses for it. These are
 * this device's loopback port, the TLS listener's address, and the names
 * in [http] hosts (a forwarder or a DNS name). The configured names are
 * reached over TLS when the TLS listener is on, else over plain HTTP. */
static int start_api(struct wl_runtime *rt)
{
	struct wl_api_config ac;
	struct wl_api_env env;
	const char *names[] = {"127.0.0.1", "localhost"};
	char host[80];
	int rc;

	memset(&ac, 0, sizeof(ac));
	for (size_t i = 0; rt->cfg.http_port && i < 2; i++) {
		snprintf(host, sizeof(host), "%s:%u", names[i],
			 (unsigned)rt->cfg.http_port);
		api_host(&ac, "http", host);
	}
	if (rt->tls_addr[0] && strncmp(rt->tls_addr, "0.0.0.0:", 8) != 0)
		api_host(&ac, "https", rt->tls_addr);
	for (size_t i = 0; i < rt->cfg.n_hosts; i++)
		api_host(&ac, rt->tls_addr[0] ? "https" : "http",
			 rt->cfg.hosts[i]);
	ac.policy = rt->cfg.session;
	ac.realert_ms = rt->cfg.realert_ms;
	ac.escalate_ms = rt->cfg.escalate_ms;

	memset(&env, 0, sizeof(env));
	env.store = rt->store;
	env.node = rt->id;
	env.hlc = &rt->hlc;
	memcpy(env.site_pk, rt->site_pk, 32);
	env.loop = rt->loop;
	env.devices = devices_json;
	env.reached = reached;
	env.arg = rt;
	rc = wl_api_new(&ac, &env, &rt->api);
	if (rc != 0)
		return rc;
	return start_enroll_api(rt, &ac);
}

/* Read node.cert and site.pub. A node without a valid certificate runs,
 * but opens no link. */
static void load_certificate(struct wl_runtime *rt)
{
	char path[PATH_MAX];
	int rc;

	rc = wl_cert_load(rt->cfg.data_dir, &rt->cert_info);
	if (rc == WL_ENOTFOUND) {
		wl_warn(MOD, "node has no certificate; it will not talk to "
			     "peers until it is enrolled with 'wardline "
			     "enroll' or a token on the web UI's enrollment "
			     "page dir=%s", rt->cfg.data_dir);
		return;
	}
	if (rc == 0)
		rc = wl_path_join(path, sizeof(path), rt->cfg.data_dir,
				  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, rt->site_pk);
	if (rc == 0)
		rc = wl_cert_verify(&rt->cert_info, rt->site_pk, wl_hlc_system_wall(NULL));
	if (rc == 0 && memcmp(rt->cert_info.node_pk, rt->id->pk, 32) != 0)
		rc = WL_ECERT;
	if (rc != 0) {
		wl_error(MOD, "node certificate is not valid for this node and "
			      "site; re-enroll it error=%s dir=%s",
			 wl_strerror_name(rc), rt->cfg.data_dir);
		return;
	}
	wl_cert_encode(&rt->cert_info, rt->cert);
	wl_site_id(rt->site_pk, rt->site_id);
	rt->enrolled = 1;
}

static int open_store(struct wl_runtime *rt)
{
	struct wl_store_options opt = {0};
	int created = 0;
	int rc;

	if (mkdir(rt->cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		wl_error(MOD, "cannot create the data directory dir=%s "
			      "errno=%s", rt->cfg.data_dir, strerror(errno));
		return WL_EIO;
	}
	rc = wl_identity_load_or_create(rt->cfg.data_dir, &rt->id, &created);
	if (rc != 0) {
		wl_error(MOD, "cannot load the node key; check the file and its "
			      "mode (0600) dir=%s error=%s",
			 rt->cfg.data_dir, wl_strerror_name(rc));
		return rc;
	}
	wl_identity_hex(rt->id->pk, rt->node_hex);
	if (created)
		wl_info(MOD, "made a new node key pair node=%s", rt->node_hex);

	opt.initial_map_size = (size_t)rt->cfg.initial_map_mb << 20;
	rc = wl_store_open(rt->cfg.data_dir, &opt, &rt->store);
	if (rc == 0)
		rc = wl_ingest_new(rt->store, &rt->hlc, 0, &rt->ingest);
	if (rc != 0)
		wl_error(MOD, "cannot open the store dir=%s error=%s",
			 rt->cfg.data_dir, wl_strerror_name(rc));
	return rc;
}

static void add_static_peers(struct wl_runtime *rt)
{
	for (size_t i = 0; i < rt->cfg.n_static_peers; i++) {
		char addr[64];
		uint16_t port;

		if (wl_discovery_parse(rt->cfg.static_peers[i], addr, &port) ||
		    !wl_discovery_add(rt->book, NULL, addr, port,
				      WL_CONTACT_STATIC))
			wl_warn(MOD, "static peer ignored peer=%s",
				rt->cfg.static_peers[i]);
	}
}

/* With [http] tls_listen set, make or load the web UI's certificate. Its
 * names: the listening address (unless every address), the configured
 * host names, and localhost. */
static int prepare_tls(struct wl_runtime *rt)
{
	const char *sans[WL_TLSCERT_SAN_MAX];
	char names[WL_CONFIG_HOSTS_MAX][80];
	size_t n = 0;
	int rc;

	if (rt->cfg.tls_listen[0] == '\0')
		return 0;
	if (strcmp(rt->cfg.tls_listen, "0.0.0.0") != 0)
		sans[n++] = rt->cfg.tls_listen;
	for (size_t i = 0; i < rt->cfg.n_hosts; i++) {
		snprintf(names[i], sizeof(names[i]), "%s", rt->cfg.hosts[i]);
		*strrchr(names[i], ':') = '\0'; /* config checked the port */
		sans[n++] = names[i];
	}
	sans[n++] = "localhost";

	if (wl_path_join(rt->tls_cert, sizeof(rt->tls_cert), rt->cfg.data_dir,
			 WL_TLSCERT_FILE) ||
	    wl_path_join(rt->tls_key, sizeof(rt->tls_key), rt->cfg.data_dir,
			 WL_TLSKEY_FILE))
		return WL_ERANGE;
	rc = wl_tlscert_ensure(rt->cfg.data_dir,
			       rt->cert_info.name[0] ? rt->cert_info.name
						     : rt->node_hex,
			       sans, n, rt->tls_fp);
	if (rc != 0)
		return rc;
	snprintf(rt->tls_addr, sizeof(rt->tls_addr), "%s:%u",
		 rt->cfg.tls_listen, (unsigned)rt->cfg.tls_port);
	wl_info(MOD, "web UI over TLS at https://%s fingerprint=%s",
		rt->tls_addr, rt->tls_fp);
	return 0;
}

static int start_network(struct wl_runtime *rt)
{
	struct wl_transport_config tc;
	struct wl_mdns_config mc;
	const char *ifaces[WL_CONFIG_IFACES_MAX];
	int rc;

	memset(&tc, 0, sizeof(tc));
	tc.loop = rt->loop;
	tc.listen_addr = rt->cfg.listen[0] ? rt->cfg.listen : NULL;
	tc.peer_port = (uint16_t)rt->cfg.peer_port;
	tc.http_port = (uint16_t)rt->cfg.http_port;
	tc.http_unix = rt->cfg.unix_socket[0] ? rt->cfg.unix_socket : NULL;
	if (rt->tls_addr[0]) {
		tc.tls_listen = rt->cfg.tls_listen;
		tc.tls_port = (uint16_t)rt->cfg.tls_port;
		tc.tls_cert = rt->tls_cert;
		tc.tls_key = rt->tls_key;
	}
	tc.ping_interval_ms = (uint32_t)rt->cfg.ping_interval_ms;
	tc.ping_timeout_ms = (uint32_t)rt->cfg.ping_timeout_ms;
	tc.handshake_timeout_ms = (uint32_t)rt->cfg.handshake_timeout_ms;
	tc.ops = &transport_ops;
	tc.arg = rt;
	rc = wl_transport_start(&tc, &rt->transport);
	if (rc != 0 || !rt->enrolled || rt->cfg.discovery == WL_DISCOVERY_OFF)
		return rc;

	memset(&mc, 0, sizeof(mc));
	for (size_t i = 0; i < rt->cfg.n_interfaces; i++)
		ifaces[i] = rt->cfg.interfaces[i];
	mc.backend = rt->cfg.discovery == WL_DISCOVERY_AVAHI_DAEMON
			     ? WL_MDNS_AVAHI_DAEMON
			     : WL_MDNS_EMBEDDED;
	mc.node_id = rt->id->pk;
	mc.site_id = rt->site_id;
	mc.name = rt->cert_info.name;
	mc.port = (uint16_t)rt->cfg.peer_port;
	mc.interfaces = rt->cfg.n_interfaces ? ifaces : NULL;
	mc.n_interfaces = rt->cfg.n_interfaces;
	mc.found = on_mdns_found;
	mc.removed = on_mdns_removed;
	mc.arg = rt;
	if (wl_mdns_start(rt->loop, &mc, &rt->mdns) != 0)
		wl_error(MOD, "mDNS discovery did not start; static peers and "
			      "peer exchange still work");
	return 0;
}

static void start_handles(struct wl_runtime *rt)
{
	char path[PATH_MAX];

	uv_check_init(rt->loop, &rt->flush);
	rt->flush.data = rt;
	uv_check_start(&rt->flush, on_flush);
	uv_timer_init(rt->loop, &rt->dial_timer);
	rt->dial_timer.data = rt;
	uv_timer_init(rt->loop, &rt->rescan_timer);
	rt->rescan_timer.data = rt;
	uv_fs_event_init(rt->loop, &rt->watch);
	rt->watch.data = rt;
	uv_timer_init(rt->loop, &rt->prune_timer);
	rt->prune_timer.data = rt;
	rt->handles = 5;
	uv_timer_start(&rt->prune_timer, on_prune_timer,
		       rt->cfg.prune_interval_s * 1000,
		       rt->cfg.prune_interval_s * 1000);

	if (wl_path_join(path, sizeof(path), rt->cfg.data_dir, "data.mdb") ||
	    uv_fs_event_start(&rt->watch, on_store_changed, path, 0) != 0)
		wl_warn(MOD, "cannot watch the store; events appended by other "
			     "processes are pushed only after the next received "
			     "event dir=%s", rt->cfg.data_dir);
}

int wl_runtime_start(uv_loop_t *loop, const struct wl_config *cfg,
		     struct wl_runtime **out)
{
	struct wl_runtime *rt = calloc(1, sizeof(*rt));
	int rc = WL_ENOMEM;

	*out = NULL;
	if (rt == NULL)
		return WL_ENOMEM;
	rt->cfg = *cfg;
	rt->loop = loop;
	rt->started_ms = wl_hlc_system_wall(NULL);
	rt->revoked = calloc(REVOKED_MAX, 32);
	rt->devices = calloc(DEVICES_MAX, sizeof(*rt->devices));
	rt->alone_since_ms = rt->started_ms;
	wl_hlc_init(&rt->hlc, NULL, NULL, cfg->max_skew_ms, 0);
	if (rt->revoked == NULL ||
	    wl_discovery_new((uint32_t)cfg->backoff_min_ms,
			     (uint32_t)cfg->backoff_max_ms, &rt->book) != 0)
		goto fail;

	rc = open_store(rt);
	if (rc != 0)
		goto fail;
	load_certificate(rt);
	rc = load_revocations(rt);
	if (rc == 0)
		rc = wl_store_heads(rt->store, &rt->heads, &rt->n_heads);
	if (rc == 0) {
		retention_run(rt);
		wl_ingest_set_expiry(rt->ingest, body_expired, rt);
	}
	if (rc != 0)
		goto fail;
	add_static_peers(rt);

	rc = prepare_tls(rt);
	if (rc == 0)
		rc = start_api(rt);
	if (rc == 0)
		rc = start_network(rt);
	if (rc != 0)
		goto fail;
	start_handles(rt);
	schedule_dial(rt);
	*out = rt;
	return 0;

fail:
	wl_transport_stop(rt->transport);
	wl_api_free(rt->api);
	wl_enroll_api_free(rt->enroll);
	wl_ingest_free(rt->ingest);
	wl_store_close(rt->store);
	wl_identity_free(rt->id);
	wl_discovery_free(rt->book);
	free(rt->heads);
	free(rt->revoked);
	free(rt->devices);
	free(rt);
	return rc;
}

void wl_runtime_reload(struct wl_runtime *rt, const struct wl_config *cfg)
{
	memcpy(rt->cfg.static_peers, cfg->static_peers,
	       sizeof(cfg->static_peers));
	rt->cfg.n_static_peers = cfg->n_static_peers;
	wl_discovery_drop(rt->book, WL_CONTACT_STATIC, NULL);
	add_static_peers(rt);
	wl_info(MOD, "static peers reloaded count=%zu", cfg->n_static_peers);
	schedule_dial(rt);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct wl_runtime *rt = h->data;

	if (--rt->handles > 0)
		return;
	free(rt->queue);
	free(rt->heads);
	free(rt->revoked);
	free(rt->devices);
	free(rt);
}

void wl_runtime_stop(struct wl_runtime *rt)
{
	if (rt == NULL)
		return;

	/* The commit in flight finishes before any link closes, so every
	 * event a peer sent and this node took is stored. */
	flush_queue(rt);
	rt->stopping = 1;
	wl_mdns_stop(rt->mdns);
	rt->mdns = NULL;
	wl_transport_stop(rt->transport);
	rt->transport = NULL;
	queue_clear(rt);
	wl_api_free(rt->api);
	rt->api = NULL;
	wl_enroll_api_free(rt->enroll);
	rt->enroll = NULL;

	wl_ingest_free(rt->ingest);
	wl_store_close(rt->store);
	wl_identity_free(rt->id);
	wl_discovery_free(rt->book);
	rt->ingest = NULL;
	rt->store = NULL;
	rt->id = NULL;
	rt->book = NULL;

	uv_close((uv_handle_t *)&rt->flush, on_handle_closed);
	uv_close((uv_handle_t *)&rt->dial_timer, on_handle_closed);
	uv_close((uv_handle_t *)&rt->rescan_timer, on_handle_closed);
	uv_close((uv_handle_t *)&rt->watch, on_handle_closed);
	uv_close((uv_handle_t *)&rt->prune_timer, on_handle_closed);
}
