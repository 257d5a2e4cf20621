/* The JSON HTTP API of the local web UI: requests in, responses out.
 *
 * The transport hands each request over whole (method, path, the headers
 * that matter, body) and gets exactly one response back, at once or, for
 * a login, after Argon2id ran on the thread pool. The API owns the login
 * sessions of this node and the keys they opened, which it opens again
 * when a space has an envelope for the user that the session lacks. It
 * decides nothing about access itself: the access table (space.h) does.
 *
 * Security, on every request:
 *   - the Host header must be one of the configured names, else 421;
 *   - a state change (POST) must come from a configured Origin when the
 *     browser sends one, must be JSON, and, once logged in, must carry the
 *     session's CSRF token in X-CSRF-Token, else 403;
 *   - the session cookie is HttpOnly, SameSite=Strict, Path=/ (and Secure
 *     with TLS); a login always makes a new session id;
 *   - every response carries the headers of wl_api_security_headers and
 *     Cache-Control: no-store.
 *
 * Routes (JSON bodies):
 *   POST /api/login    {"username","password"} -> {"user","role","csrf"}
 *   POST /api/logout
 *   GET  /api/session  -> {"user","role","state","idle_ms","csrf"}
 *   POST /api/pin      {"pin"}      set the PIN of the active session
 *   POST /api/unlock   {"pin"}      unlock an idle-locked session
 *   POST /api/lock                  lock the session now
 *   GET  /api/spaces   -> the spaces the user belongs to
 *   POST /api/spaces   {"kind":"direct"|"ward"|"mailbox","name",
 *                      "members":[USERNAME,...]} -> 201 {"id":HEX}
 *                      create a space with the caller as a member: a
 *                      direct conversation (anyone; members fixed; the
 *                      name defaults to the members' display names), or
 *                      a ward or mailbox (admins only, else 403)
 *   POST /api/spaces/members {"space","add":USERNAME} or
 *                      {"space","remove":USERNAME} -> {"epoch":N}
 *                      as the access table allows (direct spaces: 403);
 *                      a removal starts epoch N with a new key
 *   GET  /api/ward?space=HEX        -> patients (each with its count of
 *                                      unread messages) and other entities
 *                                      of a ward, mailbox or conversation
 *   GET  /api/messages?space=HEX    -> messages of a space, each with
 *                                      from_this_device and reached (the
 *                                      other devices known to hold it)
 *   POST /api/messages {"space","text","urgent","patient"}; "patient"
 *                      ("patient/ID", optional) links it to the record
 *   GET  /api/alerts   -> urgent messages unacknowledged after the
 *                         re-alert time; "escalated" after escalate_ms
 *   POST /api/entity   {"space","entity","fields":{NAME:TEXT}}
 *                      set fields of a patient, handoff note, task,
 *                      medication clarification request ("request/") or
 *                      acknowledgment of an urgent message ("ack/")
 *                      Both first rotate the space's key when it needs a
 *                      new epoch, or when the caller has no key of the
 *                      current one but may seal keys there; 409 when the
 *                      caller may do neither.
 *   GET  /api/history?space=HEX&entity=NAME -> every update of it
 *   GET  /api/members?space=HEX -> users with the space's key (not admins)
 *   GET  /api/devices  -> this node's peers, when each last synced, and
 *                         since when no peer is reachable
 * Administration (the access table decides who):
 *   GET  /api/users    -> users and roles, and for an admin each
 *                         account's state and failed logins
 *   POST /api/users    {"username","display_name","role","password"}
 *   POST /api/users/unlock {"username"}
 *   GET  /api/admin/spaces -> wards and mailboxes the caller manages, with
 *                         their members (and nothing of their content)
 *   GET  /api/policy, POST /api/policy {"days":{"message":N,...}}
 *   GET  /api/audit?from=MS&to=MS&user=&patient=&action=[&format=csv]
 *                      -> audit records, newest first (CSV: compliance
 *                         officers only)
 * Every login, logout, refusal, view and write is audited; a session's
 * repeated reads of one record within five minutes count as one view.
 */
#ifndef WARDLINE_API_H
#define WARDLINE_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <uv.h>

#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/session.h"
#include "wardline/store.h"

#define WL_API_HOSTS_MAX 8
#define WL_API_BODY_MAX (64 * 1024)
/* The session cookie is WL_API_COOKIE "_" and the first 8 hex digits of
 * the node id: browsers keep cookies per host, not per port, so nodes
 * reached as 127.0.0.1:8081 and :8082 (the demo) need names of their own. */
#define WL_API_COOKIE "wl_session"

struct wl_api_config {
	char hosts[WL_API_HOSTS_MAX][80];   /* accepted Host values */
	size_t n_hosts;
	char origins[WL_API_HOSTS_MAX][96]; /* accepted Origin values */
	size_t n_origins;
	int tls;                            /* cookies get Secure */
	struct wl_session_policy policy;
	/* An urgent message without an acknowledgment alerts its readers
	 * again after REALERT_MS, and goes to the charge nurses after
	 * ESCALATE_MS (GET /api/alerts). */
	uint64_t realert_ms;
	uint64_t escalate_ms;
};

/* The node's resources the API uses: its store, key and clock, the site
 * key, and the loop whose thread pool runs password derivations. */
struct wl_api_env {
	struct wl_store *store;
	const struct wl_identity *node;
	struct wl_hlc *hlc;
	unsigned char site_pk[32];
	uv_loop_t *loop;
	/* The devices view (GET /api/devices): a malloc'd JSON text, or
	 * NULL. May be NULL. */
	char *(*devices)(void *arg);
	/* How many other devices hold this node's own event SEQ, as far as
	 * this node learned from them. May be NULL. */
	size_t (*reached)(void *arg, uint64_t seq);
	void *arg;
};

enum wl_api_method { WL_API_GET, WL_API_POST, WL_API_OTHER };

/* One request. Strings are NUL-terminated, and NULL when the header is
 * absent. */
struct wl_api_request {
	enum wl_api_method method;
	const char *path;  /* "/api/ward" */
	const char *query; /* "space=..." or NULL */
	const char *host;
	const char *origin;
	const char *cookie;
	const char *csrf;  /* X-CSRF-Token */
	const char *content_type;
	const unsigned char *body;
	size_t body_len;
};

struct wl_api_response {
	int status;
	const char *content_type; /* static */
	char *body;               /* malloc'd; the receiver frees it */
	size_t len;
	char set_cookie[192];     /* "" for none */
};

/* Called once per request with its response, which the callee owns
 * (free RESP->body). CONN is the caller's handle of the request. */
typedef void (*wl_api_done_fn)(void *conn, struct wl_api_response *resp);

struct wl_api;

int wl_api_new(const struct wl_api_config *cfg, const struct wl_api_env *env,
	       struct wl_api **out);

/* End every session (wiping keys) and free API. A login still running
 * completes into nothing. Accepts NULL. */
void wl_api_free(struct wl_api *api);

/* Handle REQ; DONE(CONN, response) is called exactly once, before this
 * returns or later on the loop thread. */
void wl_api_handle(struct wl_api *api, const struct wl_api_request *req,
		   wl_api_done_fn done, void *conn);

/* The connection CONN closed: a pending response is dropped. */
void wl_api_forget(struct wl_api *api, void *conn);

/* Respond through DONE with STATUS and the JSON object O (taken; an empty
 * object when NULL), with the Set-Cookie value COOKIE (may be NULL). A
 * body that cannot be made turns the status into 500. */
void wl_api_reply(wl_api_done_fn done, void *conn, int status, json_t *o,
		  const char *cookie);

/* 1 when HOST (may be NULL) is one of CFG's Host values, else 0. */
int wl_api_host_allowed(const struct wl_api_config *cfg, const char *host);

/* 1 when REQ may change state: a JSON body, from one of CFG's Origins
 * when the browser sends one (tools such as curl send none), else 0. */
int wl_api_post_allowed(const struct wl_api_config *cfg,
			const struct wl_api_request *req);

/* The headers every response carries, as NAME/VALUE pairs ending with a
 * NULL name. */
const char *const *wl_api_security_headers(void);

/* May a browser open the live-update WebSocket with these header values
 * ("" when absent)? The Host and the Origin must be configured ones, and
 * the cookie a live session's. Returns 1 or 0. */
int wl_api_socket_allowed(struct wl_api *api, const char *host,
			  const char *origin, const char *cookie);

/* Number of sessions held. */
size_t wl_api_sessions(const struct wl_api *api);

#endif
