/* Status as JSON (jansson) and metrics as Prometheus text. */
#include "wardline/status.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static json_t *peer_json(const struct wl_status_peer *p)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "node", p->node, "name", p->name, "address", p->addr,
			 "dialer", p->dialer,
			 "up_since_ms", (json_int_t)p->up_since_ms,
			 "last_sync_ms", (json_int_t)p->last_sync_ms,
			 "events_sent", (json_int_t)p->stats.events_sent,
			 "events_received",
			 (json_int_t)p->stats.events_received,
			 "bytes_sent", (json_int_t)p->stats.bytes_sent,
			 "lag", (json_int_t)p->stats.lag);
}

int wl_status_json(const struct wl_status_view *v, char **out, size_t *len)
{
	json_t *root;
	json_t *peers = json_array();
	json_free_t json_free = NULL;
	char *dumped;
	char *text;

	*out = NULL;
	for (size_t i = 0; peers && i < v->n_peers; i++)
		json_array_append_new(peers, peer_json(&v->peers[i]));

	root = json_pack("{s:s, s:s, s:b, s:I, s:I, s:o, s:{s:I, s:I, s:I, "
			 "s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:I, s:I}",
			 "node", v->node, "name", v->name, "enrolled",
			 v->enrolled, "started_ms", (json_int_t)v->started_ms,
			 "now_ms", (json_int_t)v->now_ms, "peers", peers,
			 "store", "events", (json_int_t)v->store.events,
			 "origins", (json_int_t)v->store.origins, "pending",
			 (json_int_t)v->store.pending, "forks",
			 (json_int_t)v->store.forks, "map_size",
			 (json_int_t)v->store.map_size, "ingest", "received",
			 (json_int_t)v->ingest.received, "appended",
			 (json_int_t)v->ingest.appended, "duplicates",
			 (json_int_t)v->ingest.duplicates, "rejected",
			 (json_int_t)v->ingest.rejected, "contacts",
			 (json_int_t)v->n_contacts, "revoked",
			 (json_int_t)v->n_revoked);
	if (root == NULL)
		return WL_ENOMEM;
	if (v->tls_fingerprint[0] &&
	    json_object_set_new(root, "tls",
				json_pack("{s:s, s:s}", "address", v->tls_addr,
					  "fingerprint",
					  v->tls_fingerprint)) != 0) {
		json_decref(root);
		return WL_ENOMEM;
	}
	dumped = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (dumped == NULL)
		return WL_ENOMEM;

	/* The caller frees with free(); jansson's block goes back to
	 * jansson's own free function (see wl_json_init). */
	text = strdup(dumped);
	json_get_alloc_funcs(NULL, &json_free);
	json_free(dumped);
	if (text == NULL)
		return WL_ENOMEM;
	*out = text;
	*len = strlen(text);
	return 0;
}

/* A growing text buffer for the metrics page. */
struct text {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t,
						       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0);
		char *grown = realloc(t->buf, t->cap);

		if (grown == NULL) {
			t->failed = 1;
			return;
		}
		t->buf = grown;
	}
	t->len += (size_t)n;
}

static void counter(struct text *t, const char *name, const char *help,
		    uint64_t value)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help,
	    name, name, value);
}

static void gauge(struct text *t, const char *name, const char *help,
		  uint64_t value)
{
	put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRIu64 "\n", name, help,
	    name, name, value);
}

static void labelled_errors(struct text *t, const char *name,
			    const char *help, const uint64_t *by_code)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 1; i < WL_ERROR_COUNT; i++)
		if (by_code[i])
			put(t, "%s{reason=\"%s\"} %" PRIu64 "\n", name,
			    wl_strerror_name(-i), by_code[i]);
}

static void peer_metrics(struct text *t, const struct wl_status_view *v)
{
	put(t, "# HELP wardline_peer_events_sent_total Events sent on the "
	       "link to a peer.\n# TYPE wardline_peer_events_sent_total "
	       "counter\n");
	for (size_t i = 0; i < v->n_peers; i++)
		put(t, "wardline_peer_events_sent_total{peer=\"%.16s\"} %" PRIu64
		       "\n", v->peers[i].node, v->peers[i].stats.events_sent);
	put(t, "# HELP wardline_peer_events_received_total Events received "
	       "on the link from a peer.\n# TYPE "
	       "wardline_peer_events_received_total counter\n");
	for (size_t i = 0; i < v->n_peers; i++)
		put(t, "wardline_peer_events_received_total{peer=\"%.16s\"} "
		       "%" PRIu64 "\n", v->peers[i].node,
		    v->peers[i].stats.events_received);
	put(t, "# HELP wardline_peer_lag_events Events this node holds that "
	       "the peer lacks.\n# TYPE wardline_peer_lag_events gauge\n");
	for (size_t i = 0; i < v->n_peers; i++)
		put(t, "wardline_peer_lag_events{peer=\"%.16s\"} %" PRIu64 "\n",
		    v->peers[i].node, v->peers[i].stats.lag);
}

int wl_status_metrics(const struct wl_status_view *v, char **out, size_t *len)
{
	struct text t = {malloc(4096), 0, 4096, 0};

	*out = NULL;
	if (t.buf == NULL)
		return WL_ENOMEM;
	gauge(&t, "wardline_peers", "Established peer links.", v->n_peers);
	gauge(&t, "wardline_store_events", "Events in the store.",
	      v->store.events);
	gauge(&t, "wardline_store_pending", "Events waiting for a "
	      "predecessor.", v->store.pending);
	gauge(&t, "wardline_store_origins", "Feeds in the store.",
	      v->store.origins);
	gauge(&t, "wardline_store_map_bytes", "LMDB map size.",
	      v->store.map_size);
	gauge(&t, "wardline_revoked_nodes", "Nodes known to be revoked.",
	      v->n_revoked);
	counter(&t, "wardline_ingest_received_total", "Events received from "
		"peers.", v->ingest.received);
	counter(&t, "wardline_ingest_appended_total", "Events stored.",
		v->ingest.appended);
	counter(&t, "wardline_ingest_duplicates_total", "Events received "
		"that were already stored.", v->ingest.duplicates);
	labelled_errors(&t, "wardline_ingest_rejected_total",
			"Events rejected, by reason.", v->ingest.by_reason);
	counter(&t, "wardline_forks_total", "Fork evidence detected.",
		v->forks);
	counter(&t, "wardline_links_opened_total", "Peer links opened.",
		v->links_opened);
	put(&t, "# HELP wardline_links_closed_total Peer links closed, by "
		"reason.\n# TYPE wardline_links_closed_total counter\n");
	for (int r = 0; r < WL_LINK_REASON_COUNT; r++)
		put(&t, "wardline_links_closed_total{reason=\"%s\"} %" PRIu64
			"\n", wl_transport_reason_name(r), v->links_closed[r]);
	labelled_errors(&t, "wardline_link_errors_total",
			"Peer protocol errors that closed a link, by reason.",
			v->link_errors);
	peer_metrics(&t, v);

	if (t.failed) {
		free(t.buf);
		return WL_ENOMEM;
	}
	*out = t.buf;
	*len = t.len;
	return 0;
}
