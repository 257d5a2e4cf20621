/* libwebsockets glue for peer links and the local HTTP port.
 *
 * One lws context runs on the node's libuv loop. The peer vhost listens on
 * the peer port for the `wardline.1` subprotocol and dials other nodes; the
 * http vhost listens on 127.0.0.1 only: GET requests for status and metrics
 * go to one callback, and requests under /api/ (with their headers and
 * JSON bodies) to the API's, whose responses may come later. For each link the transport reassembles
 * fragmented WebSocket messages up to WL_PEER_MESSAGE_MAX (a larger message
 * closes the link), hands whole messages to the link's wl_peer, writes only
 * from the writable callback (one message per callback, so a slow link never
 * holds more than one message in lws' buffer), and pings: a link whose PONG
 * does not come back within the timeout is closed.
 */
#ifndef WARDLINE_TRANSPORT_H
#define WARDLINE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "wardline/api.h"
#include "wardline/peer.h"

struct wl_transport;
struct wl_link;

/* Reason a link closed, also used as a metric label
 * (wl_transport_reason_name). */
enum wl_link_reason {
	WL_LINK_CONNECT_FAILED = 0, /* dial failed or handshake never began */
	WL_LINK_REMOTE_CLOSED,      /* the remote closed or the socket broke */
	WL_LINK_PROTOCOL,           /* wl_peer reported an error */
	WL_LINK_OVERSIZED,          /* a message over WL_PEER_MESSAGE_MAX */
	WL_LINK_PING_TIMEOUT,       /* no PONG within the timeout */
	WL_LINK_HANDSHAKE_TIMEOUT,  /* not established within the timeout */
	WL_LINK_DUPLICATE,          /* another link to the same node won */
	WL_LINK_LOCAL,              /* closed by this node (shutdown, revoke) */
	WL_LINK_REASON_COUNT
};

struct wl_transport_ops {
	/* A link opened: dialed (DIALER 1, once connected) or accepted.
	 * Return its wl_peer (owned by the caller), or NULL to close it. */
	struct wl_peer *(*open)(void *arg, struct wl_link *link, int dialer);

	/* The link's peer has just become WL_PEER_ESTABLISHED. */
	void (*established)(void *arg, struct wl_link *link);

	/* The link is gone. The caller frees the wl_peer it returned from
	 * open (if any). LINK is invalid after the call. PEER_ERROR is the
	 * wl_peer code for WL_LINK_PROTOCOL, else 0. */
	void (*closed)(void *arg, struct wl_link *link,
		       enum wl_link_reason reason, int peer_error);

	/* Respond to GET PATH on an HTTP listener: set *BODY (malloc'd; the
	 * transport frees it), *LEN and *TYPE (a static content type). LOCAL
	 * is 1 on the loopback port and the Unix socket, 0 on the TLS port
	 * that other hosts reach. Returns an HTTP status (200, 404). */
	int (*http_get)(void *arg, const char *path, int local, char **body,
			size_t *len, const char **type);

	/* Handle a request under /api/ on the local HTTP port (see api.h):
	 * call DONE(CONN, response) exactly once, now or later on the loop
	 * thread. NULL: such paths are 404. */
	void (*api_request)(void *arg, const struct wl_api_request *req,
			    wl_api_done_fn done, void *conn);

	/* The connection CONN of a pending api_request closed. */
	void (*api_forget)(void *arg, void *conn);

	/* May a browser open the "wardline-ui" WebSocket with these Host,
	 * Origin and Cookie header values ("" when absent)? Return 1 to
	 * accept. NULL refuses every such socket. */
	int (*ui_allowed)(void *arg, const char *host, const char *origin,
			  const char *cookie);
};

struct wl_transport_config {
	uv_loop_t *loop;
	const char *listen_addr;   /* address or interface to listen on, or
				      NULL for every address */
	uint16_t peer_port;
	uint16_t http_port;        /* on 127.0.0.1; 0 for none */
	const char *http_unix;     /* Unix socket path for HTTP, or NULL */
	/* The TLS listener for browsers on other hosts: address ("0.0.0.0"
	 * for every one) or NULL for none, port, PEM certificate and key. */
	const char *tls_listen;
	uint16_t tls_port;
	const char *tls_cert;
	const char *tls_key;
	uint32_t ping_interval_ms; /* time between PINGs on an idle link */
	uint32_t ping_timeout_ms;  /* close a link this long after its PING
				      went unanswered */
	uint32_t handshake_timeout_ms;
	const struct wl_transport_ops *ops;
	void *arg;
};

/* Create the lws context on CFG->loop and start listening. Returns 0 and
 * *OUT, or WL_EIO (port in use, bad address), WL_ENOMEM. */
int wl_transport_start(const struct wl_transport_config *cfg,
		       struct wl_transport **out);

/* Tell every browser WebSocket ("wardline-ui") that the node's data
 * changed. Accepts NULL. */
void wl_transport_ui_notify(struct wl_transport *t);

/* Close every link and destroy the context. The loop must run again so
 * that libwebsockets closes its handles. Accepts NULL. */
void wl_transport_stop(struct wl_transport *t);

/* Dial ADDR (numeric IPv4 or IPv6) on PORT. TAG is the caller's, returned
 * by wl_link_tag. On success *OUT (may be NULL) is the new link; ops->open
 * is called once the connection is up, and ops->closed with
 * WL_LINK_CONNECT_FAILED if it never comes up. Returns 0, WL_EINVAL or
 * WL_EIO. */
int wl_transport_dial(struct wl_transport *t, const char *addr, uint16_t port,
		      void *tag, struct wl_link **out);

/* Ask for a writable callback on LINK: wl_peer_next has something new. */
void wl_link_wake(struct wl_link *link);

/* Close LINK with REASON; ops->closed follows from the loop. */
void wl_link_close(struct wl_link *link, enum wl_link_reason reason);

struct wl_peer *wl_link_peer(const struct wl_link *link);
void *wl_link_tag(const struct wl_link *link);
void wl_link_set_tag(struct wl_link *link, void *tag);
int wl_link_is_dialer(const struct wl_link *link);

/* Return the remote numeric address ("10.213.0.2") of LINK. */
const char *wl_link_address(const struct wl_link *link);

/* Return the remote port of a dialed link, or 0 for an accepted one. */
uint16_t wl_link_port(const struct wl_link *link);

/* Wall-clock milliseconds when LINK was established, or 0. */
uint64_t wl_link_up_since(const struct wl_link *link);

/* Wall-clock milliseconds of the last message received on LINK. */
uint64_t wl_link_last_rx(const struct wl_link *link);

const char *wl_transport_reason_name(enum wl_link_reason reason);

#endif
