/* libwebsockets glue: peer links on the peer port, GET on the HTTP port. */
#include "wardline/transport.h"

#include <libwebsockets.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/log.h"

#define PEER_PROTOCOL "wardline.1"
#define RX_CHUNK (64 * 1024)
#define TX_SIZE (WL_PEER_MESSAGE_MAX + 64)
#define RX_MAX (WL_PEER_MESSAGE_MAX + 64)
#define TICK_MS 250

struct wl_link {
	struct wl_transport *t;
	struct lws *wsi;
	struct wl_peer *peer;
	void *tag;
	int dialer;
	char addr[64];
	uint16_t port;
	unsigned char *rx;
	size_t rx_len;
	size_t rx_cap;
	uint64_t opened_ms;
	uint64_t up_since;
	uint64_t last_rx;
	uint64_t ping_nonce; /* nonce of the outstanding PING, or 0 */
	uint64_t ping_sent_ms;
	uint64_t last_ping_ms;
	int closing;
	int established;
	enum wl_link_reason reason;
	int peer_error;
	struct wl_link *prev;
	struct wl_link *next;
};

struct wl_transport {
	struct wl_transport_config cfg;
	struct lws_context *ctx;
	struct lws_vhost *peer_vhost;
	struct lws_vhost *http_vhost;
	struct lws_vhost *unix_vhost;
	struct lws_vhost *tls_vhost;
	uv_timer_t tick;
	int tick_started;
	struct wl_link *links;
	struct wl_link *dialing; /* link inside lws_client_connect_via_info */
	int dial_failed;
	unsigned char *tx;
	uint64_t next_nonce;
	struct ui_socket *ui; /* browsers listening for changes */
};

/* A browser's WebSocket on the local port. It receives "changed" whenever
 * the node's data moved, so that the page fetches what it shows again. */
struct ui_socket {
	struct lws *wsi;
	int due; /* a notice waits for the writable callback */
	struct ui_socket *prev;
	struct ui_socket *next;
};

/* One HTTP request on the local port and its response. */
struct http_session {
	char *body; /* response body, malloc'd */
	size_t len;
	int status;
	const char *type;
	char set_cookie[192];
	int ready;        /* the response is complete */
	int headers_sent;
	int pending;      /* an API response is awaited */
	/* the API request being received */
	enum wl_api_method method;
	char path[256];
	char query[256];
	char host[128];
	char origin[128];
	char cookie[512];
	char csrf[96];
	char ctype[96];
	unsigned char *req_body;
	size_t req_len;
	int too_big;
	struct lws *wsi;
};

static const char *const reason_names[WL_LINK_REASON_COUNT] = {
	"connect_failed", "remote_closed",      "protocol",  "oversized",
	"ping_timeout",   "handshake_timeout", "duplicate", "local",
};

const char *wl_transport_reason_name(enum wl_link_reason reason)
{
	return (unsigned)reason < WL_LINK_REASON_COUNT ? reason_names[reason]
						       : "unknown";
}

static struct wl_link *link_new(struct wl_transport *t, int dialer)
{
	struct wl_link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->t = t;
	l->dialer = dialer;
	l->opened_ms = wl_hlc_system_wall(NULL);
	l->next = t->links;
	if (t->links)
		t->links->prev = l;
	t->links = l;
	return l;
}

static void link_unlink(struct wl_link *l)
{
	struct wl_transport *t = l->t;

	if (l->prev)
		l->prev->next = l->next;
	else
		t->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

/* The link is gone: tell the owner and free it. */
static void link_finish(struct wl_link *l, enum wl_link_reason reason)
{
	struct wl_transport *t = l->t;

	if (l->closing)
		reason = l->reason;
	if (l->wsi)
		lws_set_opaque_user_data(l->wsi, NULL);
	link_unlink(l);
	t->cfg.ops->closed(t->cfg.arg, l, reason, l->peer_error);
	free(l->rx);
	free(l);
}

void wl_link_close(struct wl_link *l, enum wl_link_reason reason)
{
	if (l->closing)
		return;
	l->closing = 1;
	l->reason = reason;
	if (l->wsi)
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
}

void wl_link_wake(struct wl_link *l)
{
	if (l->wsi && !l->closing && l->peer)
		lws_callback_on_writable(l->wsi);
}

/* Mark L for closing from inside its own callback; the caller returns -1
 * so libwebsockets closes it at once. */
static int link_fail(struct wl_link *l, enum wl_link_reason reason, int err)
{
	if (!l->closing) {
		l->closing = 1;
		l->reason = reason;
		l->peer_error = err;
	}
	return -1;
}

static int link_opened(struct wl_transport *t, struct wl_link *l,
		       struct lws *wsi)
{
	l->wsi = wsi;
	lws_set_opaque_user_data(wsi, l);
	l->peer = t->cfg.ops->open(t->cfg.arg, l, l->dialer);
	if (l->peer == NULL)
		return link_fail(l, WL_LINK_LOCAL, 0);
	l->last_rx = wl_hlc_system_wall(NULL);
	lws_callback_on_writable(wsi);
	return 0;
}

/* Report the link once its peer is established, which happens after a
 * receive or after the send of this side's AUTH, whichever is last. */
static void link_check_established(struct wl_transport *t, struct wl_link *l)
{
	if (l->established || wl_peer_state(l->peer) != WL_PEER_ESTABLISHED)
		return;
	l->established = 1;
	l->up_since = wl_hlc_system_wall(NULL);
	t->cfg.ops->established(t->cfg.arg, l);
}

/* Hand a whole message to the peer state machine. */
static int link_deliver(struct wl_transport *t, struct wl_link *l)
{
	int rc = wl_peer_receive(l->peer, l->rx, l->rx_len);

	l->rx_len = 0;
	if (rc != 0)
		return link_fail(l, WL_LINK_PROTOCOL, rc);

	link_check_established(t, l);
	if (l->ping_nonce && wl_peer_last_pong(l->peer) == l->ping_nonce)
		l->ping_nonce = 0;
	lws_callback_on_writable(l->wsi);
	return 0;
}

static int link_receive(struct wl_transport *t, struct wl_link *l,
			const void *in, size_t len)
{
	size_t need = l->rx_len + len;

	if (l->closing || l->peer == NULL)
		return -1;
	if (!lws_frame_is_binary(l->wsi))
		return link_fail(l, WL_LINK_PROTOCOL, WL_EINVAL);
	if (need > RX_MAX)
		return link_fail(l, WL_LINK_OVERSIZED, WL_ETOOBIG);

	if (need > l->rx_cap) {
		size_t cap = l->rx_cap ? l->rx_cap : RX_CHUNK;
		unsigned char *rx;

		while (cap < need)
			cap *= 2;
		rx = realloc(l->rx, cap);
		if (rx == NULL)
			return link_fail(l, WL_LINK_LOCAL, WL_ENOMEM);
		l->rx = rx;
		l->rx_cap = cap;
	}
	memcpy(l->rx + l->rx_len, in, len);
	l->rx_len = need;
	l->last_rx = wl_hlc_system_wall(NULL);

	if (!lws_is_final_fragment(l->wsi) ||
	    lws_remaining_packet_payload(l->wsi) != 0)
		return 0;
	return link_deliver(t, l);
}

/* One message per writable callback: libwebsockets keeps any part the
 * socket did not take and calls back only when it has been sent. */
static int link_write(struct wl_transport *t, struct wl_link *l)
{
	size_t len = 0;
	int rc;

	if (l->closing || l->peer == NULL)
		return -1;

	rc = wl_peer_next(l->peer, t->tx + LWS_PRE, TX_SIZE, &len);
	if (rc < 0)
		return link_fail(l, WL_LINK_PROTOCOL, rc);
	if (rc == 0)
		return 0;

	if (lws_write(l->wsi, t->tx + LWS_PRE, len, LWS_WRITE_BINARY) <
	    (int)len)
		return link_fail(l, WL_LINK_REMOTE_CLOSED, 0);
	link_check_established(t, l);
	lws_callback_on_writable(l->wsi);
	return 0;
}

static int peer_callback(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	struct wl_transport *t = lws_context_user(lws_get_context(wsi));
	struct wl_link *l = lws_get_opaque_user_data(wsi);

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		l = link_new(t, 0);
		if (l == NULL)
			return -1;
		lws_get_peer_simple(wsi, l->addr, sizeof(l->addr));
		return link_opened(t, l, wsi);

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		return l ? link_opened(t, l, wsi) : -1;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (l == NULL)
			return 0;
		if (l == t->dialing) {
			t->dial_failed = 1;
			lws_set_opaque_user_data(wsi, NULL);
			return 0;
		}
		lws_set_opaque_user_data(wsi, NULL);
		l->wsi = NULL;
		link_finish(l, WL_LINK_CONNECT_FAILED);
		return 0;

	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return l ? link_receive(t, l, in, len) : -1;

	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return l ? link_write(t, l) : -1;

	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (l != NULL && l != t->dialing) {
			lws_set_opaque_user_data(wsi, NULL);
			l->wsi = NULL;
			link_finish(l, l->peer ? WL_LINK_REMOTE_CLOSED
					       : WL_LINK_CONNECT_FAILED);
		}
		return 0;

	default:
		return 0;
	}
}

/* Copy header TOKEN of WSI into BUF, or "" when absent or too long. */
static void header_copy(struct lws *wsi, enum lws_token_indexes token,
			char *buf, size_t size)
{
	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, token) <= 0 ||
	    (size_t)lws_hdr_total_length(wsi, token) >= size ||
	    lws_hdr_copy(wsi, buf, (int)size, token) < 0)
		buf[0] = '\0';
}

/* A status or metrics page: the response is ready at once. */
static int http_page(struct wl_transport *t, struct lws *wsi,
		     struct http_session *s, const char *path)
{
	s->type = "text/plain; charset=utf-8";
	int local = lws_get_vhost(wsi) != t->tls_vhost;

	s->status = t->cfg.ops->http_get(t->cfg.arg, path, local, &s->body,
					 &s->len, &s->type);
	s->ready = 1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* Take the API's response to CONN (an http_session). */
static void api_done(void *conn, struct wl_api_response *resp)
{
	struct http_session *s = conn;

	s->pending = 0;
	s->status = resp->status;
	s->type = resp->content_type ? resp->content_type : "application/json";
	s->body = resp->body;
	s->len = resp->len;
	snprintf(s->set_cookie, sizeof(s->set_cookie), "%s",
		 resp->set_cookie);
	s->ready = 1;
	lws_callback_on_writable(s->wsi);
}

/* Hand the request received in S to the API. */
static void api_dispatch(struct wl_transport *t, struct http_session *s)
{
	struct wl_api_request req;

	memset(&req, 0, sizeof(req));
	req.method = s->method;
	req.path = s->path;
	req.query = s->query[0] ? s->query : NULL;
	req.host = s->host[0] ? s->host : NULL;
	req.origin = s->origin[0] ? s->origin : NULL;
	req.cookie = s->cookie[0] ? s->cookie : NULL;
	req.csrf = s->csrf[0] ? s->csrf : NULL;
	req.content_type = s->ctype[0] ? s->ctype : NULL;
	req.body = s->req_body ? s->req_body : (const unsigned char *)"";
	req.body_len = s->too_big ? WL_API_BODY_MAX + 1 : s->req_len;
	s->pending = 1;
	t->cfg.ops->api_request(t->cfg.arg, &req, api_done, s);
}

/* Start an API request: keep what the API needs; a POST waits for its
 * body. */
static int api_begin(struct wl_transport *t, struct lws *wsi,
		     struct http_session *s, const char *path)
{
	int post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;

	s->method = WL_API_OTHER;
	if (post)
		s->method = WL_API_POST;
	else if (get)
		s->method = WL_API_GET;
	snprintf(s->path, sizeof(s->path), "%s", path);
	header_copy(wsi, WSI_TOKEN_HTTP_URI_ARGS, s->query, sizeof(s->query));
	header_copy(wsi, WSI_TOKEN_HOST, s->host, sizeof(s->host));
	header_copy(wsi, WSI_TOKEN_ORIGIN, s->origin, sizeof(s->origin));
	header_copy(wsi, WSI_TOKEN_HTTP_COOKIE, s->cookie, sizeof(s->cookie));
	header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, s->ctype,
		    sizeof(s->ctype));
	if (lws_hdr_custom_length(wsi, "x-csrf-token:", 13) > 0 &&
	    lws_hdr_custom_length(wsi, "x-csrf-token:", 13) <
		    (int)sizeof(s->csrf))
		lws_hdr_custom_copy(wsi, s->csrf, sizeof(s->csrf),
				    "x-csrf-token:", 13);
	if (!post)
		api_dispatch(t, s);
	return 0;
}

static int api_body(struct http_session *s, const void *in, size_t len)
{
	unsigned char *grown;

	if (s->too_big || s->req_len + len > WL_API_BODY_MAX) {
		s->too_big = 1;
		return 0;
	}
	grown = realloc(s->req_body, s->req_len + len + 1);
	if (grown == NULL)
		return -1;
	s->req_body = grown;
	memcpy(s->req_body + s->req_len, in, len);
	s->req_len += len;
	return 0;
}

/* Write the response headers, with the security headers and cookie. A
 * cookie sent over TLS is marked Secure, so that the browser never sends
 * it in clear. */
static int http_headers(struct wl_transport *t, struct lws *wsi,
			struct http_session *s)
{
	const char *const *h = wl_api_security_headers();
	unsigned char buf[LWS_PRE + 2048];
	unsigned char *start = buf + LWS_PRE;
	unsigned char *p = start;
	unsigned char *end = buf + sizeof(buf) - 1;

	if (lws_add_http_common_headers(wsi, (unsigned)s->status, s->type,
					s->len, &p, end))
		return -1;
	for (; *h != NULL; h += 2)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)h[0],
						(const unsigned char *)h[1],
						(int)strlen(h[1]), &p, end))
			return -1;
	if (s->set_cookie[0] && lws_get_vhost(wsi) == t->tls_vhost &&
	    strstr(s->set_cookie, "; Secure") == NULL)
		snprintf(s->set_cookie + strlen(s->set_cookie),
			 sizeof(s->set_cookie) - strlen(s->set_cookie),
			 "; Secure");
	if (s->set_cookie[0] &&
	    lws_add_http_header_by_name(wsi,
					(const unsigned char *)"set-cookie:",
					(const unsigned char *)s->set_cookie,
					(int)strlen(s->set_cookie), &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	s->headers_sent = 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int http_write_body(struct lws *wsi, struct http_session *s)
{
	unsigned char *buf = malloc(LWS_PRE + s->len + 1);
	int rc = -1;

	if (buf != NULL) {
		if (s->len)
			memcpy(buf + LWS_PRE, s->body, s->len);
		if (lws_write(wsi, buf + LWS_PRE, s->len,
			      LWS_WRITE_HTTP_FINAL) >= (int)s->len)
			rc = 0;
	}
	free(buf);
	free(s->body);
	s->body = NULL;
	s->ready = 0;
	s->headers_sent = 0;
	if (rc == 0 && lws_http_transaction_completed(wsi))
		rc = -1;
	return rc;
}

static void http_session_clear(struct wl_transport *t, struct http_session *s)
{
	if (s->pending && t->cfg.ops->api_forget)
		t->cfg.ops->api_forget(t->cfg.arg, s);
	s->pending = 0;
	free(s->body);
	free(s->req_body);
	s->body = NULL;
	s->req_body = NULL;
	s->req_len = 0;
	s->too_big = 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	struct wl_transport *t = lws_context_user(lws_get_context(wsi));
	struct http_session *s = user;
	const char *path = in ? (const char *)in : "/";

	/* Some events come without per-session memory: a connection that
	 * closed before its first request, or one that became a
	 * WebSocket. */
	if (s == NULL && reason != LWS_CALLBACK_HTTP_BIND_PROTOCOL &&
	    reason != LWS_CALLBACK_HTTP_DROP_PROTOCOL &&
	    (reason == LWS_CALLBACK_HTTP || reason == LWS_CALLBACK_HTTP_BODY ||
	     reason == LWS_CALLBACK_HTTP_BODY_COMPLETION ||
	     reason == LWS_CALLBACK_HTTP_WRITEABLE ||
	     reason == LWS_CALLBACK_CLOSED_HTTP))
		return reason == LWS_CALLBACK_CLOSED_HTTP ? 0 : -1;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		http_session_clear(t, s);
		s->wsi = wsi;
		s->set_cookie[0] = '\0';
		if (strncmp(path, "/api/", 5) == 0 && t->cfg.ops->api_request)
			return api_begin(t, wsi, s, path);
		return http_page(t, wsi, s, path);
	case LWS_CALLBACK_HTTP_BODY:
		return api_body(s, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		api_dispatch(t, s);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!s->ready)
			return 0;
		if (!s->headers_sent)
			return http_headers(t, wsi, s);
		return http_write_body(wsi, s);
	case LWS_CALLBACK_CLOSED_HTTP:
		http_session_clear(t, s);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* Accept a browser's WebSocket only from this node's own page: the Host
 * and Origin must be this node's, and the cookie a live session's. */
static int ui_filter(struct wl_transport *t, struct lws *wsi)
{
	char host[128], origin[128], cookie[512];

	if (t->cfg.ops->ui_allowed == NULL)
		return -1;
	header_copy(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	header_copy(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	header_copy(wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof(cookie));
	if (!t->cfg.ops->ui_allowed(t->cfg.arg, host, origin, cookie)) {
		wl_info("transport", "browser WebSocket refused origin=%s host=%s",
			origin[0] ? origin : "-", host[0] ? host : "-");
		return -1;
	}
	return 0;
}

static int ui_callback(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	struct wl_transport *t = lws_context_user(lws_get_context(wsi));
	struct ui_socket *u = user;
	unsigned char msg[LWS_PRE + 16];

	(void)in;
	(void)len;
	if (u == NULL && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ui_filter(t, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		u->wsi = wsi;
		u->prev = NULL;
		u->next = t->ui;
		if (t->ui)
			t->ui->prev = u;
		t->ui = u;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!u->due)
			return 0;
		u->due = 0;
		memcpy(msg + LWS_PRE, "changed", 7);
		return lws_write(wsi, msg + LWS_PRE, 7, LWS_WRITE_TEXT) < 7 ? -1
									    : 0;
	case LWS_CALLBACK_CLOSED:
		if (u->wsi == NULL)
			return 0;
		if (u->prev)
			u->prev->next = u->next;
		else
			t->ui = u->next;
		if (u->next)
			u->next->prev = u->prev;
		u->wsi = NULL;
		return 0;
	default:
		return 0;
	}
}

void wl_transport_ui_notify(struct wl_transport *t)
{
	if (t == NULL)
		return;
	for (struct ui_socket *u = t->ui; u; u = u->next) {
		u->due = 1;
		lws_callback_on_writable(u->wsi);
	}
}

static const struct lws_protocols peer_protocols[] = {
	{PEER_PROTOCOL, peer_callback, 0, RX_CHUNK, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocols http_protocols[] = {
	{"http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0},
	{"wardline-ui", ui_callback, sizeof(struct ui_socket), 64, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Periodic link upkeep: handshake deadline, PING scheduling and the PONG
 * deadline. */
static void link_tick(struct wl_transport *t, struct wl_link *l, uint64_t now)
{
	const struct wl_transport_config *c = &t->cfg;

	if (l->closing || l->peer == NULL)
		return;
	if (!l->established) {
		if (now - l->opened_ms > c->handshake_timeout_ms)
			wl_link_close(l, WL_LINK_HANDSHAKE_TIMEOUT);
		return;
	}
	if (l->ping_nonce && now - l->ping_sent_ms > c->ping_timeout_ms) {
		wl_link_close(l, WL_LINK_PING_TIMEOUT);
		return;
	}
	if (!l->ping_nonce && now - l->last_ping_ms >= c->ping_interval_ms) {
		l->ping_nonce = ++t->next_nonce;
		l->ping_sent_ms = now;
		l->last_ping_ms = now;
		wl_peer_ping(l->peer, l->ping_nonce);
		lws_callback_on_writable(l->wsi);
	}
}

static void on_tick(uv_timer_t *timer)
{
	struct wl_transport *t = timer->data;
	uint64_t now = wl_hlc_system_wall(NULL);
	struct wl_link *next;

	for (struct wl_link *l = t->links; l; l = next) {
		next = l->next;
		link_tick(t, l, now);
	}
}

/* A listener. With UNIX set, IFACE is the socket's path; with CERT and KEY
 * (PEM files) set, it speaks TLS only. */
static struct lws_vhost *make_vhost(struct wl_transport *t, const char *name,
				    int port, const char *iface, int unix_sock,
				    const char *cert, const char *key,
				    const struct lws_protocols *protocols)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.vhost_name = name;
	info.port = port;
	info.iface = iface;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	if (unix_sock)
		info.options |= LWS_SERVER_OPTION_UNIX_SOCK;
	if (cert && key) {
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		/* HTTP/1.1 only: HTTP/2 carries the host in ":authority"
		 * instead of the Host header the API checks, and the UI's few
		 * small requests gain nothing from it. */
		info.alpn = "http/1.1";
		/* Without LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT, plain
		 * HTTP on this port is refused. */
	}
	return lws_create_vhost(t->ctx, &info);
}

/* Open the browsers' listeners that CFG asks for. */
static int start_http(struct wl_transport *t,
		      const struct wl_transport_config *cfg)
{
	if (cfg->http_port) {
		t->http_vhost = make_vhost(t, "http", cfg->http_port,
					   "127.0.0.1", 0, NULL, NULL,
					   http_protocols);
		if (t->http_vhost == NULL) {
			wl_error("transport", "cannot listen on the HTTP port; "
					      "is it in use? port=%u",
				 cfg->http_port);
			return WL_EIO;
		}
	}
	if (cfg->http_unix) {
		unlink(cfg->http_unix); /* a socket left by a previous run */
		t->unix_vhost = make_vhost(t, "http-unix", 0, cfg->http_unix,
					   1, NULL, NULL, http_protocols);
		if (t->unix_vhost == NULL) {
			wl_error("transport", "cannot listen on the Unix socket "
					      "%s; does its folder exist?",
				 cfg->http_unix);
			return WL_EIO;
		}
	}
	if (cfg->tls_listen) {
		int any = strcmp(cfg->tls_listen, "0.0.0.0") == 0;

		t->tls_vhost = make_vhost(t, "https", cfg->tls_port,
					  any ? NULL : cfg->tls_listen, 0,
					  cfg->tls_cert, cfg->tls_key,
					  http_protocols);
		if (t->tls_vhost == NULL) {
			wl_error("transport", "cannot listen for TLS on %s:%u; "
					      "is the port in use or the "
					      "address not this host's?",
				 cfg->tls_listen, cfg->tls_port);
			return WL_EIO;
		}
	}
	return 0;
}

static int create_context(struct wl_transport *t)
{
	struct lws_context_creation_info info;
	void *loops[1] = {t->cfg.loop};

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if (t->cfg.tls_listen)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.user = t;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.timeout_secs = 10;
	info.connect_timeout_secs = 5;
	t->ctx = lws_create_context(&info);
	return t->ctx ? 0 : WL_EIO;
}

int wl_transport_start(const struct wl_transport_config *cfg,
		       struct wl_transport **out)
{
	struct wl_transport *t = calloc(1, sizeof(*t));
	int rc = WL_ENOMEM;

	*out = NULL;
	if (t == NULL)
		return WL_ENOMEM;
	t->cfg = *cfg;
	t->tx = malloc(LWS_PRE + TX_SIZE);
	if (t->tx == NULL)
		goto fail;

	rc = create_context(t);
	if (rc != 0) {
		wl_error("transport", "libwebsockets context failed to start");
		goto fail;
	}
	t->peer_vhost = make_vhost(t, "peer", cfg->peer_port, cfg->listen_addr,
				   0, NULL, NULL, peer_protocols);
	if (t->peer_vhost == NULL) {
		wl_error("transport", "cannot listen on the peer port; is it "
				      "in use? port=%u listen=%s",
			 cfg->peer_port, cfg->listen_addr ? cfg->listen_addr
							  : "any");
		rc = WL_EIO;
		goto fail;
	}
	rc = start_http(t, cfg);
	if (rc != 0)
		goto fail;

	uv_timer_init(cfg->loop, &t->tick);
	t->tick.data = t;
	uv_timer_start(&t->tick, on_tick, TICK_MS, TICK_MS);
	t->tick_started = 1;
	t->next_nonce = randombytes_random();
	*out = t;
	return 0;

fail:
	wl_transport_stop(t);
	return rc;
}

static void free_after_close(uv_handle_t *h)
{
	struct wl_transport *t = h->data;

	free(t->tx);
	free(t);
}

void wl_transport_stop(struct wl_transport *t)
{
	if (t == NULL)
		return;

	/* Destroying the context closes every wsi; their CLOSED callbacks
	 * report each link to the owner. */
	for (struct wl_link *l = t->links; l; l = l->next) {
		l->closing = 1;
		l->reason = WL_LINK_LOCAL;
	}
	if (t->ctx)
		lws_context_destroy(t->ctx);
	t->ctx = NULL;
	while (t->links)
		link_finish(t->links, WL_LINK_LOCAL);

	if (t->tick_started) {
		uv_timer_stop(&t->tick);
		uv_close((uv_handle_t *)&t->tick, free_after_close);
		return;
	}
	free(t->tx);
	free(t);
}

int wl_transport_dial(struct wl_transport *t, const char *addr, uint16_t port,
		      void *tag, struct wl_link **out)
{
	struct lws_client_connect_info ci;
	struct wl_link *l;
	struct lws *wsi;

	if (out)
		*out = NULL;
	if (strlen(addr) >= sizeof(l->addr) || port == 0)
		return WL_EINVAL;
	l = link_new(t, 1);
	if (l == NULL)
		return WL_ENOMEM;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->port = port;
	l->tag = tag;

	memset(&ci, 0, sizeof(ci));
	ci.context = t->ctx;
	ci.vhost = t->peer_vhost;
	ci.address = l->addr;
	ci.port = port;
	ci.path = "/";
	ci.host = l->addr;
	ci.origin = l->addr;
	ci.protocol = PEER_PROTOCOL;
	ci.local_protocol_name = PEER_PROTOCOL;
	ci.opaque_user_data = l;

	/* A connection that fails inside the call reports the error from
	 * within it; t->dialing keeps that report from freeing L. */
	t->dialing = l;
	t->dial_failed = 0;
	wsi = lws_client_connect_via_info(&ci);
	t->dialing = NULL;
	if (wsi == NULL || t->dial_failed) {
		link_unlink(l);
		free(l);
		return WL_EIO;
	}
	l->wsi = wsi;
	if (out)
		*out = l;
	return 0;
}

struct wl_peer *wl_link_peer(const struct wl_link *l)
{
	return l->peer;
}

void *wl_link_tag(const struct wl_link *l)
{
	return l->tag;
}

void wl_link_set_tag(struct wl_link *l, void *tag)
{
	l->tag = tag;
}

int wl_link_is_dialer(const struct wl_link *l)
{
	return l->dialer;
}

const char *wl_link_address(const struct wl_link *l)
{
	return l->addr;
}

uint16_t wl_link_port(const struct wl_link *l)
{
	return l->port;
}

uint64_t wl_link_up_since(const struct wl_link *l)
{
	return l->up_since;
}

uint64_t wl_link_last_rx(const struct wl_link *l)
{
	return l->last_rx;
}
