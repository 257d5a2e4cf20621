/* Rendering of the node's status as JSON (`/status`, read by `wardline
 * status`) and as Prometheus text (`/metrics`). The runtime fills a
 * snapshot; this module only formats it. */
#ifndef WARDLINE_STATUS_H
#define WARDLINE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/error.h"
#include "wardline/ingest.h"
#include "wardline/peer.h"
#include "wardline/store.h"
#include "wardline/transport.h"

struct wl_status_peer {
	char node[65];
	char name[WL_CERT_NAME_MAX + 1];
	char addr[64];
	int dialer;
	uint64_t up_since_ms;
	uint64_t last_sync_ms;
	struct wl_peer_stats stats;
};

struct wl_status_view {
	char node[65];
	char name[WL_CERT_NAME_MAX + 1];
	int enrolled;
	uint64_t started_ms;
	uint64_t now_ms;
	struct wl_store_stats store;
	struct wl_ingest_counters ingest;
	const struct wl_status_peer *peers;
	size_t n_peers;
	size_t n_contacts;
	size_t n_revoked;
	uint64_t links_opened;
	uint64_t links_closed[WL_LINK_REASON_COUNT];
	uint64_t link_errors[WL_ERROR_COUNT]; /* wl_peer codes, index -code */
	uint64_t forks;
	/* The web UI's TLS listener: "ADDR:PORT" and the certificate's
	 * SHA-256 fingerprint, both "" when the node has none. */
	char tls_addr[80];
	char tls_fingerprint[96];
};

/* Render V as a JSON object into a malloc'd, NUL-terminated *OUT of *LEN
 * bytes. Returns 0 or WL_ENOMEM. */
int wl_status_json(const struct wl_status_view *v, char **out, size_t *len);

/* Render V as Prometheus text exposition format 0.0.4. Returns 0 or
 * WL_ENOMEM. */
int wl_status_metrics(const struct wl_status_view *v, char **out,
		      size_t *len);

#endif
