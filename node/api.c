/* The JSON HTTP API of the local web UI. */
#include "wardline/api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/admin.h"
#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/json.h"
#include "wardline/log.h"
#include "wardline/login.h"
#include "wardline/membership.h"
#include "wardline/retention.h"
#include "wardline/space.h"
#include "wardline/users.h"
#include "wardline/ward.h"

#define MOD "api"
#define JSON_TYPE "application/json"
#define SID_HEX (2 * WL_SESSION_ID_SIZE)
#define CSRF_HEX 64
#define TEXT_MAX 8000

/* The space keys a session opened, kept while it is active. */
struct held_keys {
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_keyring *keyring;
	/* The record this session viewed last, and when it was audited. */
	char viewed[WL_WARD_ENTITY_MAX + 1];
	uint64_t viewed_ms;
	struct held_keys *next;
};

/* A page refreshes an open record on every live update. Views of one
 * record by one session within this time are therefore one audited view. */
#define VIEW_AUDIT_MS (5 * 60 * 1000)

/* A login waiting for its password derivation. */
struct login_job {
	struct wl_api *api; /* NULL once the API is gone */
	void *conn;         /* NULL once the connection closed */
	wl_api_done_fn done;
	char username[WL_KEYS_USERNAME_MAX + 1];
	unsigned char sid[WL_SESSION_ID_SIZE]; /* the admin's, for a new user */
	struct login_job *next;
};

struct wl_api {
	struct wl_api_config cfg;
	struct wl_api_env env;
	struct wl_sessions *sessions;
	struct held_keys *keys;
	struct login_job *jobs;
	unsigned char csrf_key[32];
	char cookie[32]; /* the session cookie's name (api.h) */
};

static const char *const security_headers[] = {
	"content-security-policy:",
	"default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self'; connect-src 'self'; font-src 'self'; "
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	"x-frame-options:", "DENY",
	"referrer-policy:", "no-referrer",
	"x-content-type-options:", "nosniff",
	"cache-control:", "no-store",
	NULL,
};

const char *const *wl_api_security_headers(void)
{
	return security_headers;
}

int wl_api_new(const struct wl_api_config *cfg, const struct wl_api_env *env,
	       struct wl_api **out)
{
	struct wl_api *api = calloc(1, sizeof(*api));

	*out = NULL;
	if (api == NULL)
		return WL_ENOMEM;
	api->cfg = *cfg;
	api->env = *env;
	randombytes_buf(api->csrf_key, sizeof(api->csrf_key));
	snprintf(api->cookie, sizeof(api->cookie), "%s_%02x%02x%02x%02x",
		 WL_API_COOKIE, env->node->pk[0], env->node->pk[1],
		 env->node->pk[2], env->node->pk[3]);
	if (wl_sessions_new(&cfg->policy, NULL, NULL, &api->sessions) != 0) {
		free(api);
		return WL_ENOMEM;
	}
	*out = api;
	return 0;
}

static void keys_drop(struct wl_api *api, const unsigned char sid[16])
{
	for (struct held_keys **k = &api->keys; *k; k = &(*k)->next) {
		if (sodium_memcmp((*k)->sid, sid, WL_SESSION_ID_SIZE) != 0)
			continue;
		struct held_keys *gone = *k;

		*k = gone->next;
		wl_keyring_free(gone->keyring);
		free(gone);
		return;
	}
}

static struct wl_keyring *keys_of(struct wl_api *api,
				  const unsigned char sid[16])
{
	for (struct held_keys *k = api->keys; k; k = k->next)
		if (sodium_memcmp(k->sid, sid, WL_SESSION_ID_SIZE) == 0)
			return k->keyring;
	return NULL;
}

/* Is this view of ENTITY by the session SID a new one to audit: another
 * record than the last, or VIEW_AUDIT_MS after it? Notes it as the last. */
static int view_is_new(struct wl_api *api, const unsigned char sid[16],
		       const char *entity)
{
	uint64_t now = wl_hlc_system_wall(NULL);

	for (struct held_keys *k = api->keys; k; k = k->next) {
		if (sodium_memcmp(k->sid, sid, WL_SESSION_ID_SIZE) != 0)
			continue;
		if (strcmp(k->viewed, entity) == 0 &&
		    now - k->viewed_ms < VIEW_AUDIT_MS)
			return 0;
		snprintf(k->viewed, sizeof(k->viewed), "%s", entity);
		k->viewed_ms = now;
		return 1;
	}
	return 1;
}

void wl_api_free(struct wl_api *api)
{
	if (api == NULL)
		return;
	for (struct login_job *j = api->jobs; j; j = j->next)
		j->api = NULL; /* the job frees itself when it completes */
	while (api->keys)
		keys_drop(api, api->keys->sid);
	wl_sessions_free(api->sessions);
	sodium_memzero(api->csrf_key, sizeof(api->csrf_key));
	free(api);
}

void wl_api_forget(struct wl_api *api, void *conn)
{
	for (struct login_job *j = api->jobs; j; j = j->next)
		if (j->conn == conn)
			j->conn = NULL;
}

size_t wl_api_sessions(const struct wl_api *api)
{
	return wl_sessions_count(api->sessions);
}

/* ---- responses ---- */

void wl_api_reply(wl_api_done_fn done, void *conn, int status, json_t *o,
		  const char *cookie)
{
	struct wl_api_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.content_type = JSON_TYPE;
	if (o == NULL)
		o = json_object();
	r.body = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (r.body != NULL) {
		/* jansson allocated it; hand the receiver a malloc'd copy */
		char *copy = strdup(r.body);
		json_free_t jfree = NULL;

		json_get_alloc_funcs(NULL, &jfree);
		jfree(r.body);
		r.body = copy;
	}
	if (r.body == NULL)
		r.status = 500;
	r.len = r.body ? strlen(r.body) : 0;
	if (cookie != NULL)
		snprintf(r.set_cookie, sizeof(r.set_cookie), "%s", cookie);
	done(conn, &r);
}

static void reply(wl_api_done_fn done, void *conn, int status, json_t *o,
		  const char *cookie)
{
	wl_api_reply(done, conn, status, o, cookie);
}

static void fail(wl_api_done_fn done, void *conn, int status,
		 const char *error, const char *message)
{
	reply(done, conn, status,
	      json_pack("{s:s, s:s}", "error", error, "message", message),
	      NULL);
}

/* ---- request checks ---- */

int wl_api_host_allowed(const struct wl_api_config *cfg, const char *host)
{
	for (size_t i = 0; host && i < cfg->n_hosts; i++)
		if (strcmp(host, cfg->hosts[i]) == 0)
			return 1;
	return 0;
}

static int host_ok(const struct wl_api *api, const char *host)
{
	return wl_api_host_allowed(&api->cfg, host);
}

static int origin_ok(const struct wl_api *api, const char *origin)
{
	for (size_t i = 0; origin && i < api->cfg.n_origins; i++)
		if (strcmp(origin, api->cfg.origins[i]) == 0)
			return 1;
	return origin == NULL; /* same-origin GETs and tools send none */
}

int wl_api_post_allowed(const struct wl_api_config *cfg,
			const struct wl_api_request *req)
{
	size_t i = 0;

	while (req->origin != NULL && i < cfg->n_origins &&
	       strcmp(req->origin, cfg->origins[i]) != 0)
		i++;
	if (req->origin != NULL && i == cfg->n_origins)
		return 0;
	return req->content_type != NULL &&
	       strncmp(req->content_type, JSON_TYPE, strlen(JSON_TYPE)) == 0;
}

/* Parse the session id out of the cookie NAME in the Cookie header. */
static int cookie_sid(const char *cookie, const char *cookie_name,
		      unsigned char sid[16])
{
	const char *p = cookie;
	size_t name = strlen(cookie_name);
	size_t len = 0;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, cookie_name, name) == 0 && p[name] == '=') {
			p += name + 1;
			if (strcspn(p, "; ") != SID_HEX)
				return WL_EINVAL;
			return sodium_hex2bin(sid, WL_SESSION_ID_SIZE, p,
					      SID_HEX, NULL, &len, NULL) == 0 &&
					       len == WL_SESSION_ID_SIZE
				       ? 0
				       : WL_EINVAL;
		}
		p = strchr(p, ';');
	}
	return WL_ENOTFOUND;
}

/* The CSRF token of session SID: a keyed hash, so it needs no storage. */
static void csrf_of(const struct wl_api *api, const unsigned char sid[16],
		    char out[CSRF_HEX + 1])
{
	unsigned char mac[32];

	crypto_generichash(mac, sizeof(mac), sid, WL_SESSION_ID_SIZE,
			   api->csrf_key, sizeof(api->csrf_key));
	sodium_bin2hex(out, CSRF_HEX + 1, mac, sizeof(mac));
}

static int csrf_ok(const struct wl_api *api, const unsigned char sid[16],
		   const char *token)
{
	char want[CSRF_HEX + 1];

	csrf_of(api, sid, want);
	return token != NULL && strlen(token) == CSRF_HEX &&
	       sodium_memcmp(want, token, CSRF_HEX) == 0;
}

static void session_cookie(const struct wl_api *api,
			   const unsigned char sid[16], char *out, size_t size)
{
	char hex[SID_HEX + 1];

	sodium_bin2hex(hex, sizeof(hex), sid, WL_SESSION_ID_SIZE);
	snprintf(out, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
		 api->cookie, hex, api->cfg.tls ? "; Secure" : "");
}

static void clear_cookie(const struct wl_api *api, char *out, size_t size)
{
	snprintf(out, size,
		 "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 api->cookie, api->cfg.tls ? "; Secure" : "");
}

/* ---- folds and writes ---- */

struct folds {
	struct wl_users *users;
	struct wl_spaces *spaces;
};

static void folds_free(struct folds *f)
{
	wl_spaces_free(f->spaces);
	wl_users_free(f->users);
	f->spaces = NULL;
	f->users = NULL;
}

static int folds_load(struct wl_api *api, struct folds *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = wl_users_new(api->env.site_pk, &f->users);
	if (rc == 0)
		rc = wl_users_load(f->users, api->env.store);
	if (rc == 0)
		rc = wl_spaces_new(f->users, &f->spaces);
	if (rc == 0)
		rc = wl_spaces_load(f->spaces, api->env.store);
	if (rc != 0) {
		wl_error(MOD, "cannot fold users and spaces error=%s",
			 wl_strerror_name(rc));
		folds_free(f);
	}
	return rc;
}

static int append(struct wl_api *api, const struct wl_feed_item *items,
		  size_t n)
{
	int rc = wl_feed_append(api->env.store, api->env.node, api->env.hlc,
				items, n, NULL, NULL);

	if (rc != 0)
		wl_error(MOD, "cannot append to this node's feed error=%s",
			 wl_strerror_name(rc));
	return rc;
}

/* Write an audit record; a site without an audit space gets none. */
static void audit(struct wl_api *api, const struct folds *f,
		  const char *action, const char *outcome,
		  const struct wl_user *user, const char *username,
		  const struct wl_space *space, const char *patient,
		  const char *detail, int emergency)
{
	struct wl_audit_record rec;
	struct wl_audit_draft d;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.action, sizeof(rec.action), "%s", action);
	snprintf(rec.outcome, sizeof(rec.outcome), "%s", outcome);
	if (user != NULL) {
		rec.has_user = 1;
		memcpy(rec.user, user->bundle.user_id, 16);
		username = user->bundle.username;
	}
	snprintf(rec.username, sizeof(rec.username), "%s",
		 username ? username : "");
	if (space != NULL) {
		rec.has_space = 1;
		memcpy(rec.space, space->id, 16);
	}
	snprintf(rec.patient, sizeof(rec.patient), "%s",
		 patient ? patient : "");
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail ? detail : "");
	rec.emergency = emergency;
	rec.at_ms = wl_hlc_system_wall(NULL);
	if (wl_audit_draft(f->spaces, &rec, &d) == 0)
		(void)append(api, &d.item, 1);
	sodium_memzero(&d, sizeof(d));
}

static void account_event(struct wl_api *api, enum wl_account_op op,
			  const unsigned char user_id[16])
{
	unsigned char json[WL_USERS_ACCOUNT_JSON_MAX];
	struct wl_feed_item item;

	memset(&item, 0, sizeof(item));
	if (wl_users_account_encode(op, user_id, json, sizeof(json),
				    &item.body_len) != 0)
		return;
	item.kind = WL_KIND_ACCOUNT;
	item.body = json;
	(void)append(api, &item, 1);
}

/* ---- login ---- */

static void job_unlink(struct wl_api *api, struct login_job *job)
{
	for (struct login_job **j = &api->jobs; *j; j = &(*j)->next) {
		if (*j == job) {
			*j = job->next;
			return;
		}
	}
}

/* A wrong password: count it here and on every node, lock at the count,
 * audit it. */
static void login_failed(struct wl_api *api, struct folds *f,
			 const struct wl_user *user, const char *username)
{
	unsigned failures = user->failures + 1;

	(void)wl_sessions_login_failed(api->sessions, user->bundle.user_id);
	account_event(api, WL_ACCOUNT_FAILED, user->bundle.user_id);
	audit(api, f, "login_failed", "failed", user, username, NULL, NULL,
	      "wrong password", 0);
	if (failures >= api->cfg.policy.lockout_failures) {
		account_event(api, WL_ACCOUNT_LOCKED, user->bundle.user_id);
		audit(api, f, "account_locked", "ok", user, username, NULL,
		      NULL, "lockout count reached", 0);
	}
	wl_info(MOD, "login failed user=%s failures=%u", username, failures);
}

/* The password is right: open a session and its keys. */
static void login_succeeded(struct wl_api *api, struct folds *f,
			    struct login_job *job, const struct wl_user *user,
			    struct wl_keys_secret *secret)
{
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct held_keys *held = calloc(1, sizeof(*held));
	char cookie[192], csrf[CSRF_HEX + 1];
	struct wl_session *s;
	int rc;

	if (held == NULL) {
		wl_keys_secret_free(secret);
		fail(job->done, job->conn, 500, "internal", "out of memory");
		return;
	}
	rc = wl_sessions_open(api->sessions, user->bundle.user_id, secret,
			      sid);
	s = rc == 0 ? wl_sessions_find(api->sessions, sid) : NULL;
	if (s != NULL)
		rc = wl_keyring_open(f->spaces, api->env.store, user,
				     wl_session_keys(s), NULL, &held->keyring);
	if (rc != 0 || s == NULL) {
		free(held);
		fail(job->done, job->conn, rc == WL_EDENIED ? 403 : 500,
		     "login_failed", "the session could not be opened");
		return;
	}
	memcpy(held->sid, sid, sizeof(sid));
	held->next = api->keys;
	api->keys = held;

	if (user->failures > 0)
		account_event(api, WL_ACCOUNT_RESET, user->bundle.user_id);
	audit(api, f, "login", "ok", user, NULL, NULL, NULL, "web", 0);
	session_cookie(api, sid, cookie, sizeof(cookie));
	csrf_of(api, sid, csrf);
	reply(job->done, job->conn, 200,
	      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "user",
			user->bundle.username, "display_name",
			user->bundle.display_name, "role",
			wl_access_role_name(user->bundle.role), "csrf", csrf,
			"idle_ms", (json_int_t)api->cfg.policy.idle_ms,
			"realert_ms", (json_int_t)api->cfg.realert_ms,
			"escalate_ms", (json_int_t)api->cfg.escalate_ms),
	      cookie);
	sodium_memzero(sid, sizeof(sid));
}

/* The derivation ended, on the loop thread. */
static void on_derived(void *arg, int rc, const unsigned char user_id[16],
		       struct wl_keys_secret *secret)
{
	struct login_job *job = arg;
	struct wl_api *api = job->api;
	const struct wl_user *user;
	struct folds f;

	if (api == NULL || job->conn == NULL) {
		wl_keys_secret_free(secret);
		if (api != NULL)
			job_unlink(api, job);
		free(job);
		return;
	}
	job_unlink(api, job);

	if (folds_load(api, &f) != 0) {
		wl_keys_secret_free(secret);
		fail(job->done, job->conn, 500, "internal", "store unreadable");
		free(job);
		return;
	}
	user = wl_users_by_id(f.users, user_id);
	if (user == NULL) {
		wl_keys_secret_free(secret);
		fail(job->done, job->conn, 401, "login_failed",
		     "wrong username or password");
	} else if (rc != 0) {
		login_failed(api, &f, user, job->username);
		fail(job->done, job->conn, 401, "login_failed",
		     "wrong username or password");
	} else {
		login_succeeded(api, &f, job, user, secret);
	}
	folds_free(&f);
	free(job);
}

static void route_login(struct wl_api *api, const struct wl_api_request *req,
			wl_api_done_fn done, void *conn)
{
	const char *username = NULL, *password = NULL, *field = NULL;
	size_t ulen = 0, plen = 0;
	json_t *o = NULL;
	const struct wl_user *user;
	struct login_job *job;
	struct folds f;
	uint64_t retry = 0, node_retry = 0;
	int locked = 0;
	int rc;

	if (wl_json_load_object(req->body, req->body_len, 4096, &o) != 0 ||
	    wl_json_get_string(o, "username", &username, &ulen, &field) ||
	    wl_json_get_string(o, "password", &password, &plen, &field) ||
	    ulen > WL_KEYS_USERNAME_MAX || plen == 0 || plen > 1024) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"username\":...,\"password\":...}");
		return;
	}
	if (folds_load(api, &f) != 0) {
		json_decref(o);
		fail(done, conn, 500, "internal", "store unreadable");
		return;
	}

	user = wl_users_by_name(f.users, username);
	rc = user ? wl_users_login_gate(user, &api->cfg.policy,
					wl_hlc_system_wall(NULL), &locked,
					&retry)
		  : WL_ENOTFOUND;
	if (rc == 0)
		rc = wl_sessions_login_allowed(api->sessions,
					       user->bundle.user_id,
					       &node_retry);
	if (rc != 0) {
		const char *why = rc == WL_ENOTFOUND ? "unknown username"
				  : rc == WL_EBUSY   ? "too soon after a "
						       "failed login"
				  : locked	     ? "account locked"
						     : "account disabled";

		audit(api, &f, rc == WL_ENOTFOUND ? "login_failed"
						  : "login_refused",
		      rc == WL_ENOTFOUND ? "failed" : "denied", user, username,
		      NULL, NULL, why, 0);
		if (rc == WL_EBUSY)
			reply(done, conn, 429,
			      json_pack("{s:s, s:s, s:I}", "error", "throttled",
					"message", why, "retry_ms",
					(json_int_t)(retry > node_retry
							     ? retry
							     : node_retry)),
			      NULL);
		else
			fail(done, conn, rc == WL_ENOTFOUND ? 401 : 403,
			     rc == WL_ENOTFOUND ? "login_failed" : "locked",
			     rc == WL_ENOTFOUND ? "wrong username or password"
						: why);
		folds_free(&f);
		json_decref(o);
		return;
	}

	job = calloc(1, sizeof(*job));
	rc = job ? 0 : WL_ENOMEM;
	if (job != NULL) {
		job->api = api;
		job->conn = conn;
		job->done = done;
		snprintf(job->username, sizeof(job->username), "%s", username);
		rc = wl_login_start(api->env.loop, &user->bundle, password,
				    on_derived, job);
	}
	folds_free(&f);
	json_decref(o); /* the wiping allocator clears the password copy */
	if (rc != 0) {
		free(job);
		fail(done, conn, rc == WL_EBUSY ? 503 : 500, "busy",
		     "too many logins at once; try again in a moment");
		return;
	}
	job->next = api->jobs;
	api->jobs = job;
}

/* ---- authenticated routes ---- */

/* The caller's session, found by cookie and brought up to date. */
struct caller {
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_session *s;
	enum wl_session_state state;
	struct folds f;
	const struct wl_user *user;
	struct wl_keyring *keyring; /* NULL while locked */
};

/* Find the session of REQ. Fails the request (401, 423, 403) and returns
 * non-zero when there is none, it is locked and LOCKED_OK is 0, or a POST
 * lacks its CSRF token. */
static int caller_find(struct wl_api *api, const struct wl_api_request *req,
		       int locked_ok, wl_api_done_fn done, void *conn,
		       struct caller *c)
{
	memset(c, 0, sizeof(*c));
	if (cookie_sid(req->cookie, api->cookie, c->sid) != 0 ||
	    (c->s = wl_sessions_find(api->sessions, c->sid)) == NULL) {
		keys_drop(api, c->sid); /* an expired session's keys */
		fail(done, conn, 401, "no_session", "log in first");
		return 1;
	}
	if (req->method == WL_API_POST && !csrf_ok(api, c->sid, req->csrf)) {
		fail(done, conn, 403, "csrf", "missing or wrong X-CSRF-Token");
		return 1;
	}

	c->state = wl_session_state(c->s);
	if (c->state == WL_SESSION_LOCKED)
		keys_drop(api, c->sid); /* a locked session holds no keys */
	if (c->state == WL_SESSION_LOCKED && !locked_ok) {
		fail(done, conn, 423, "locked", "unlock with your PIN");
		return 1;
	}
	if (folds_load(api, &c->f) != 0) {
		fail(done, conn, 500, "internal", "store unreadable");
		return 1;
	}
	c->user = wl_users_by_id(c->f.users, wl_session_user(c->s));
	if (c->user == NULL || c->user->bundle.disabled) {
		/* Disabled since the login: the session ends now. */
		wl_session_end(api->sessions, c->s);
		keys_drop(api, c->sid);
		folds_free(&c->f);
		fail(done, conn, 401, "no_session", "the account is disabled");
		return 1;
	}
	if (c->state == WL_SESSION_ACTIVE)
		(void)wl_session_touch(c->s);
	c->keyring = keys_of(api, c->sid);
	return 0;
}

static void caller_done(struct caller *c)
{
	folds_free(&c->f);
	sodium_memzero(c->sid, sizeof(c->sid));
}

static void route_logout(struct wl_api *api, struct caller *c,
			 wl_api_done_fn done, void *conn)
{
	char cookie[192];

	audit(api, &c->f, "logout", "ok", c->user, NULL, NULL, NULL, "web",
	      0);
	keys_drop(api, c->sid);
	wl_session_end(api->sessions, c->s);
	clear_cookie(api, cookie, sizeof(cookie));
	reply(done, conn, 200, NULL, cookie);
}

static void route_session(struct wl_api *api, struct caller *c,
			  wl_api_done_fn done, void *conn)
{
	char csrf[CSRF_HEX + 1];

	csrf_of(api, c->sid, csrf);
	reply(done, conn, 200,
	      json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "user",
			c->user->bundle.username, "display_name",
			c->user->bundle.display_name, "role",
			wl_access_role_name(c->user->bundle.role), "state",
			c->state == WL_SESSION_ACTIVE ? "active" : "locked",
			"csrf", csrf, "idle_ms",
			(json_int_t)api->cfg.policy.idle_ms, "realert_ms",
			(json_int_t)api->cfg.realert_ms, "escalate_ms",
			(json_int_t)api->cfg.escalate_ms),
	      NULL);
}

/* Read member "pin" of the request body into PIN (9 bytes). */
static int body_pin(const struct wl_api_request *req, char pin[9])
{
	const char *field = NULL;
	json_t *o = NULL;
	int rc = wl_json_load_object(req->body, req->body_len, 256, &o);

	if (rc == 0)
		rc = wl_json_get_text(o, "pin", pin, 9, &field);
	json_decref(o);
	return rc;
}

static void route_pin(struct wl_api *api, const struct wl_api_request *req,
		      struct caller *c, wl_api_done_fn done, void *conn)
{
	char pin[9];
	int rc = body_pin(req, pin);

	(void)api;
	if (rc == 0)
		rc = wl_session_set_pin(c->s, pin);
	sodium_memzero(pin, sizeof(pin));
	if (rc != 0) {
		fail(done, conn, 400, "bad_pin",
		     wl_keys_pin_problem(rc) ? wl_keys_pin_problem(rc)
					     : "use 4 to 8 digits");
		return;
	}
	reply(done, conn, 200, NULL, NULL);
}

static void route_unlock(struct wl_api *api, const struct wl_api_request *req,
			 struct caller *c, wl_api_done_fn done, void *conn)
{
	struct held_keys *held;
	char pin[9];
	int rc = body_pin(req, pin);

	if (rc == 0)
		rc = wl_session_unlock(c->s, pin);
	sodium_memzero(pin, sizeof(pin));
	if (rc != 0) {
		audit(api, &c->f, "unlock_failed", "failed", c->user, NULL,
		      NULL, NULL, "wrong PIN", 0);
		if (wl_session_state(c->s) == WL_SESSION_ENDED ||
		    wl_sessions_find(api->sessions, c->sid) == NULL) {
			keys_drop(api, c->sid);
			fail(done, conn, 401, "no_session",
			     "too many wrong PINs; log in again");
		} else {
			fail(done, conn, 403, "wrong_pin", "wrong PIN");
		}
		return;
	}

	/* Unlocked: open the space keys again with the session's keys. */
	held = calloc(1, sizeof(*held));
	if (held != NULL &&
	    wl_keyring_open(c->f.spaces, api->env.store, c->user,
			    wl_session_keys(c->s), NULL, &held->keyring) == 0) {
		memcpy(held->sid, c->sid, sizeof(c->sid));
		held->next = api->keys;
		api->keys = held;
	} else {
		free(held);
	}
	audit(api, &c->f, "unlock", "ok", c->user, NULL, NULL, NULL, "PIN", 0);
	reply(done, conn, 200, NULL, NULL);
}

static void route_lock(struct wl_api *api, struct caller *c,
		       wl_api_done_fn done, void *conn)
{
	wl_session_lock(c->s);
	keys_drop(api, c->sid);
	audit(api, &c->f, "lock", "ok", c->user, NULL, NULL, NULL, "by user",
	      0);
	reply(done, conn, 200, NULL, NULL);
}

static void route_spaces(struct wl_api *api, struct caller *c,
			 wl_api_done_fn done, void *conn)
{
	json_t *list = json_array();
	uint64_t now = wl_hlc_system_wall(NULL);
	char hex[33];

	(void)api;
	for (size_t i = 0; list && i < wl_spaces_count(c->f.spaces); i++) {
		const struct wl_space *s = wl_spaces_at(c->f.spaces, i);
		int via_grant = 0;

		if (wl_space_may(c->f.spaces, s, c->user->bundle.user_id,
				 WL_ACTION_READ, now, &via_grant) != 0)
			continue;
		sodium_bin2hex(hex, sizeof(hex), s->id, 16);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:b}", "id", hex,
					"name", s->name, "kind",
					wl_access_space_kind_name(s->kind),
					"emergency", via_grant));
	}
	reply(done, conn, 200, json_pack("{s:o}", "spaces", list), NULL);
}

/* ---- membership changes: spaces, members and key epochs ---- */

static const struct wl_space *space_for(struct wl_api *api, struct caller *c,
					const char *query,
					enum wl_action action, int *via_grant,
					wl_api_done_fn done, void *conn);

static int writer_append(void *arg, const struct wl_feed_item *items,
			 size_t n)
{
	return append(arg, items, n);
}

/* Fill W so that the caller writes membership changes with the keys of
 * the session and the current folds. Returns 0, or WL_EDENIED when the
 * session has no keys. */
static int writer_fill(struct wl_api *api, struct caller *c,
		       struct wl_membership_writer *w)
{
	const struct wl_keys_secret *secret = wl_session_keys(c->s);

	if (secret == NULL)
		return WL_EDENIED;
	memset(w, 0, sizeof(*w));
	w->store = api->env.store;
	w->users = c->f.users;
	w->spaces = c->f.spaces;
	w->user_id = c->user->bundle.user_id;
	w->sign_sk = secret->sign_sk;
	w->keyring = c->keyring;
	w->append = writer_append;
	w->append_arg = api;
	return 0;
}

/* Fill W as writer_fill does; fail the request (423) when it cannot. */
static int caller_writer(struct wl_api *api, struct caller *c,
			 struct wl_membership_writer *w, wl_api_done_fn done,
			 void *conn)
{
	if (writer_fill(api, c, w) == 0)
		return 0;
	fail(done, conn, 423, "locked", "unlock with your PIN");
	return 1;
}

/* Fold the store again after a write, so that C contains it. Returns 0, or
 * non-zero with C holding no folds and no user. */
static int caller_refold(struct wl_api *api, struct caller *c)
{
	unsigned char id[16];

	memcpy(id, c->user->bundle.user_id, 16);
	c->user = NULL;
	folds_free(&c->f);
	if (folds_load(api, &c->f) != 0)
		return WL_ESTORE;
	c->user = wl_users_by_id(c->f.users, id);
	return c->user != NULL ? 0 : WL_ENOTFOUND;
}

/* Open the session's space keys again when S has an envelope for the
 * caller that the held keys lack: one sealed since the login, because
 * someone added the caller, started an epoch or created a space with
 * them. */
static void keys_refresh(struct wl_api *api, struct caller *c,
			 const struct wl_space *s)
{
	const struct wl_keys_secret *secret = wl_session_keys(c->s);
	const unsigned char *me = c->user->bundle.user_id;
	struct wl_keyring *kr = NULL;
	struct held_keys *held = api->keys;
	int stale = 0;

	for (uint32_t ep = 1; !stale && ep <= s->epoch; ep++)
		stale = wl_space_has_envelope(c->f.spaces, s, me, ep) &&
			(c->keyring == NULL ||
			 wl_keyring_get(c->keyring, s->id, ep, 0) == NULL);
	if (!stale || secret == NULL ||
	    wl_keyring_open(c->f.spaces, api->env.store, c->user, secret, NULL,
			    &kr) != 0)
		return;

	while (held && sodium_memcmp(held->sid, c->sid, WL_SESSION_ID_SIZE))
		held = held->next;
	if (held == NULL && (held = calloc(1, sizeof(*held))) != NULL) {
		memcpy(held->sid, c->sid, sizeof(c->sid));
		held->next = api->keys;
		api->keys = held;
	}
	if (held == NULL) {
		wl_keyring_free(kr);
		return;
	}
	wl_keyring_free(held->keyring);
	held->keyring = kr;
	c->keyring = kr;
}

/* Start a new key epoch of *S for the caller, because of WHY, audit it
 * and fold again; *S then points into the new fold. Fails the request and
 * returns non-zero when the caller may not rotate or the write failed. */
static int caller_rotate(struct wl_api *api, struct caller *c,
			 const struct wl_space **s, const char *why,
			 wl_api_done_fn done, void *conn)
{
	struct wl_membership_writer w;
	unsigned char id[16];
	char hex[33];
	int rc;

	if (caller_writer(api, c, &w, done, conn) != 0)
		return 1;
	memcpy(id, (*s)->id, 16);
	sodium_bin2hex(hex, sizeof(hex), id, 16);
	rc = wl_membership_rotate(&w, *s);
	if (rc == WL_EDENIED) {
		fail(done, conn, 409, "rotation_needed",
		     "this space's key must be rotated by one of its members "
		     "first");
		return 1;
	}
	if (rc != 0) {
		wl_error(MOD, "cannot rotate the key of a space space=%s "
			      "error=%s", hex, wl_strerror_name(rc));
		fail(done, conn, 500, "internal", "could not rotate the key");
		return 1;
	}
	audit(api, &c->f, "key_rotated", "ok", c->user, NULL, *s, NULL, why,
	      0);
	wl_info(MOD, "key rotated space=%s epoch=%u user=%s reason=\"%s\"",
		hex, (*s)->epoch + 1, c->user->bundle.username, why);

	if (caller_refold(api, c) != 0 ||
	    (*s = wl_spaces_by_id(c->f.spaces, id)) == NULL) {
		fail(done, conn, 500, "internal", "store unreadable");
		return 1;
	}
	keys_refresh(api, c, *s);
	return 0;
}

/* Return the key the caller writes under in *S. The key is rotated first
 * when *S needs it (wl_membership_rotation_reason), or when the caller has
 * no key of the current epoch but may seal one. Fails the request and
 * returns NULL otherwise. The key is valid until the session's keys
 * change. */
static const unsigned char *writing_key(struct wl_api *api, struct caller *c,
					const struct wl_space **s,
					wl_api_done_fn done, void *conn)
{
	struct wl_membership_writer w;
	const unsigned char *key;
	const char *why;

	if (caller_writer(api, c, &w, done, conn) != 0)
		return NULL;
	key = c->keyring ? wl_keyring_get(c->keyring, (*s)->id, (*s)->epoch, 0)
			 : NULL;
	why = wl_membership_rotation_reason(&w, *s);
	if (why == NULL && key != NULL)
		return key;
	if (why == NULL && !wl_membership_may_seal(&w, *s)) {
		fail(done, conn, 409, "no_key",
		     "you hold no key of this space's current epoch yet; a "
		     "charge nurse or an admin gives it to you");
		return NULL;
	}
	if (why == NULL)
		why = "the writer held no key of the current epoch";
	if (caller_rotate(api, c, s, why, done, conn) != 0)
		return NULL;

	key = c->keyring ? wl_keyring_get(c->keyring, (*s)->id, (*s)->epoch, 0)
			 : NULL;
	if (key == NULL)
		fail(done, conn, 500, "internal", "the new key is not held");
	return key;
}

/* Parse "kind" and "name" of a new space. */
static int space_kind_name(json_t *o, enum wl_space_kind *kind, char *name)
{
	const char *k = json_string_value(json_object_get(o, "kind"));
	json_t *n = json_object_get(o, "name");
	const char *field = NULL;

	if (k == NULL)
		return WL_EINVAL;
	if (strcmp(k, "mailbox") == 0)
		*kind = WL_SPACE_ROLE_MAILBOX;
	else if (wl_access_space_kind_parse(k, kind) != 0 ||
		 *kind == WL_SPACE_AUDIT || *kind == WL_SPACE_SITE)
		return WL_EINVAL;
	name[0] = '\0';
	if (n == NULL || json_is_null(n))
		return 0;
	return wl_json_get_text(o, "name", name, WL_SPACE_NAME_MAX + 1,
				&field);
}

/* Resolve the usernames of the array MEMBERS (may be NULL) into OUT
 * (room for WL_SPACE_CREATE_MEMBERS_MAX), skipping repeats and the
 * caller, who is a member anyway. Returns the count, or -1 after failing
 * the request. */
static int members_resolve(struct caller *c, json_t *members,
			   const struct wl_user **out, wl_api_done_fn done,
			   void *conn)
{
	char message[96];
	size_t i, n = 0;
	json_t *v;

	if (members == NULL)
		return 0;
	if (!json_is_array(members) ||
	    json_array_size(members) > WL_SPACE_CREATE_MEMBERS_MAX) {
		fail(done, conn, 400, "bad_request",
		     "members is an array of at most 16 usernames");
		return -1;
	}
	json_array_foreach(members, i, v) {
		const char *name = json_string_value(v);
		const struct wl_user *u =
			name ? wl_users_by_name(c->f.users, name) : NULL;
		size_t k = 0;

		if (u == NULL || u->bundle.disabled) {
			snprintf(message, sizeof(message),
				 "no active user '%.*s'", WL_KEYS_USERNAME_MAX,
				 name ? name : "");
			fail(done, conn, 404, "not_found", message);
			return -1;
		}
		while (k < n && out[k] != u)
			k++;
		if (k == n && u != c->user)
			out[n++] = u;
	}
	return (int)n;
}

/* The default name of a direct conversation: the display names of its
 * members, the creator first, joined by ", " and cut at a character
 * boundary to WL_SPACE_NAME_MAX bytes. */
static void direct_name(const struct caller *c, const struct wl_user **m,
			size_t n, char name[WL_SPACE_NAME_MAX + 1])
{
	char all[(WL_SPACE_CREATE_MEMBERS_MAX + 1) *
		 (WL_KEYS_DISPLAY_NAME_MAX + 2)];
	size_t len = (size_t)snprintf(all, sizeof(all), "%s",
				      c->user->bundle.display_name);

	for (size_t i = 0; i < n && len < sizeof(all); i++)
		len += (size_t)snprintf(all + len, sizeof(all) - len, ", %s",
					m[i]->bundle.display_name);
	len = strlen(all);
	if (len > WL_SPACE_NAME_MAX) {
		len = WL_SPACE_NAME_MAX;
		while (len > 0 && ((unsigned char)all[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(name, all, len);
	name[len] = '\0';
}

/* Fail the request with the status for a create of KIND that failed
 * with RC. */
static void create_failed(struct wl_api *api, struct caller *c,
			  enum wl_space_kind kind, int rc, wl_api_done_fn done,
			  void *conn)
{
	char detail[64];

	if (rc == WL_EDENIED) {
		snprintf(detail, sizeof(detail), "create %s",
			 wl_access_space_kind_name(kind));
		audit(api, &c->f, "access_denied", "denied", c->user, NULL,
		      NULL, NULL, detail, 0);
		fail(done, conn, 403, "denied",
		     "only admins create wards and mailboxes; the attempt is "
		     "recorded");
	} else if (rc == WL_EEXIST) {
		fail(done, conn, 409, "exists", "a space of that name exists");
	} else if (rc == WL_EINVAL) {
		fail(done, conn, 400, "bad_request",
		     "a ward or mailbox needs a name of 1 to 64 bytes of text");
	} else {
		wl_error(MOD, "cannot create a space user=%s error=%s",
			 c->user->bundle.username, wl_strerror_name(rc));
		fail(done, conn, 500, "internal", "could not create the space");
	}
}

/* POST /api/spaces {"kind","name","members":[USERNAME,...]}: create a
 * direct conversation (anyone may), a ward or a mailbox (admins only),
 * with the caller as a member. */
static void route_spaces_post(struct wl_api *api,
			      const struct wl_api_request *req,
			      struct caller *c, wl_api_done_fn done, void *conn)
{
	const struct wl_user *members[WL_SPACE_CREATE_MEMBERS_MAX];
	unsigned char ids[WL_SPACE_CREATE_MEMBERS_MAX][16];
	char name[WL_SPACE_NAME_MAX + 1];
	struct wl_membership_writer w;
	enum wl_space_kind kind;
	unsigned char id[16];
	json_t *o = NULL;
	char hex[33];
	int n = 0, rc;

	if (wl_json_load_object(req->body, req->body_len, 8192, &o) != 0 ||
	    space_kind_name(o, &kind, name) != 0) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"kind\":\"direct\"|\"ward\"|\"mailbox\","
		     "\"name\":TEXT,\"members\":[USERNAME,...]}");
		return;
	}
	n = members_resolve(c, json_object_get(o, "members"), members, done,
			    conn);
	json_decref(o);
	if (n < 0)
		return;
	if (kind == WL_SPACE_DIRECT && n == 0) {
		fail(done, conn, 400, "bad_request",
		     "a direct conversation needs another member");
		return;
	}
	if (kind == WL_SPACE_DIRECT && name[0] == '\0')
		direct_name(c, members, (size_t)n, name);
	for (int i = 0; i < n; i++)
		memcpy(ids[i], members[i]->bundle.user_id, 16);

	if (caller_writer(api, c, &w, done, conn) != 0)
		return;
	rc = wl_membership_create(&w, kind, name,
				  (const unsigned char(*)[16])ids, (size_t)n,
				  id, NULL);
	if (rc != 0) {
		create_failed(api, c, kind, rc, done, conn);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), id, 16);
	wl_info(MOD, "space created space=%s kind=%s members=%d user=%s", hex,
		wl_access_space_kind_name(kind), n + 1,
		c->user->bundle.username);
	if (caller_refold(api, c) == 0)
		audit(api, &c->f, "space_created", "ok", c->user, NULL,
		      wl_spaces_by_id(c->f.spaces, id), NULL, "web", 0);
	reply(done, conn, 201, json_pack("{s:s}", "id", hex), NULL);
}

/* Fail the request with the status for an add or remove of U in S that
 * failed with RC. */
static void member_change_failed(struct caller *c, const struct wl_space *s,
				 const struct wl_user *u, int adding, int rc,
				 wl_api_done_fn done, void *conn)
{
	char hex[33];

	if (rc == WL_EDENIED) {
		fail(done, conn, 403, "denied",
		     "you may not change the members of this space");
	} else if (rc == WL_ENOTFOUND && adding) {
		fail(done, conn, 409, "no_key",
		     "you hold no key of this space's current epoch; a member "
		     "who does must add the user");
	} else if (rc == WL_ENOTFOUND) {
		fail(done, conn, 409, "not_member",
		     "not a named member of this space (admins belong to every "
		     "ward)");
	} else {
		sodium_bin2hex(hex, sizeof(hex), s->id, 16);
		wl_error(MOD, "cannot change the members of a space space=%s "
			      "member=%s user=%s error=%s",
			 hex, u->bundle.username, c->user->bundle.username,
			 wl_strerror_name(rc));
		fail(done, conn, 500, "internal",
		     "could not change the members");
	}
}

/* After an add, seal the earlier epochs' keys to the new member, so that
 * they read the space's history. A failure leaves that to a later sync
 * and is logged. */
static void member_sync(struct wl_api *api, struct caller *c,
			const unsigned char id[16])
{
	const struct wl_space *s;
	struct wl_membership_writer w;
	size_t sealed = 0;
	char hex[33];
	int rc = WL_ESTORE;

	sodium_bin2hex(hex, sizeof(hex), id, 16);
	if (caller_refold(api, c) == 0 &&
	    (s = wl_spaces_by_id(c->f.spaces, id)) != NULL) {
		rc = writer_fill(api, c, &w);
		if (rc == 0)
			rc = wl_membership_sync_space(&w, s, &sealed);
	}
	if (rc != 0)
		wl_warn(MOD, "earlier keys not sealed to the new member "
			     "space=%s error=%s; an admin runs 'wardline space "
			     "sync-keys'",
			hex, wl_strerror_name(rc));
	else if (sealed > 0)
		wl_info(MOD, "earlier keys sealed space=%s envelopes=%zu", hex,
			sealed);
}

/* Audit and log that the caller added (ADDING) or removed U in S. */
static void audit_member(struct wl_api *api, struct caller *c,
			 const struct wl_space *s, const struct wl_user *u,
			 int adding)
{
	char detail[80], hex[33];

	snprintf(detail, sizeof(detail), "user %s%s", u->bundle.username,
		 adding ? "; web" : "; new key epoch; web");
	audit(api, &c->f, adding ? "member_added" : "member_removed", "ok",
	      c->user, NULL, s, NULL, detail, 0);
	sodium_bin2hex(hex, sizeof(hex), s->id, 16);
	wl_info(MOD, "member %s space=%s member=%s user=%s",
		adding ? "added" : "removed", hex, u->bundle.username,
		c->user->bundle.username);
}

/* POST /api/spaces/members {"space":ID,"add":USERNAME} or
 * {"space":ID,"remove":USERNAME}: change the members of a ward or
 * mailbox as the access table allows; a removal starts a new epoch. */
static void route_space_members(struct wl_api *api,
				const struct wl_api_request *req,
				struct caller *c, wl_api_done_fn done,
				void *conn)
{
	const char *space = NULL, *add, *remove, *field = NULL;
	const struct wl_space *s;
	const struct wl_user *u;
	struct wl_membership_writer w;
	unsigned char id[16];
	size_t space_len = 0;
	json_t *o = NULL;
	char query[64] = "";
	int via_grant = 0, adding, rc;
	uint32_t epoch;

	if (wl_json_load_object(req->body, req->body_len, 4096, &o) == 0 &&
	    wl_json_get_string(o, "space", &space, &space_len, &field) == 0)
		snprintf(query, sizeof(query), "space=%.*s", 32, space);
	add = json_string_value(json_object_get(o, "add"));
	remove = json_string_value(json_object_get(o, "remove"));
	adding = add != NULL;
	if (space == NULL || space_len != 32 || adding == (remove != NULL)) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"space\":ID,\"add\":USERNAME} or "
		     "{\"space\":ID,\"remove\":USERNAME}");
		return;
	}
	s = space_for(api, c, query,
		      adding ? WL_ACTION_ADD_MEMBER : WL_ACTION_REMOVE_MEMBER,
		      &via_grant, done, conn);
	u = s ? wl_users_by_name(c->f.users, adding ? add : remove) : NULL;
	json_decref(o); /* ADD and REMOVE point into it */
	if (s != NULL && u == NULL)
		fail(done, conn, 404, "not_found", "no such user");
	if (u == NULL || caller_writer(api, c, &w, done, conn) != 0)
		return;

	rc = adding ? wl_membership_add(&w, s, u->bundle.user_id)
		    : wl_membership_remove(&w, s, u->bundle.user_id);
	if (rc != 0) {
		member_change_failed(c, s, u, adding, rc, done, conn);
		return;
	}
	epoch = adding ? s->epoch : s->epoch + 1;
	memcpy(id, s->id, 16);
	audit_member(api, c, s, u, adding);
	if (adding)
		member_sync(api, c, id);
	reply(done, conn, 200, json_pack("{s:I}", "epoch", (json_int_t)epoch),
	      NULL);
}

/* Find the space named by "space=HEX" in QUERY, and check ACTION there;
 * fails the request and returns NULL otherwise. *VIA_GRANT is set. */
static const struct wl_space *space_for(struct wl_api *api, struct caller *c,
					const char *query,
					enum wl_action action, int *via_grant,
					wl_api_done_fn done, void *conn)
{
	unsigned char id[16];
	size_t len = 0;
	const char *p = query ? strstr(query, "space=") : NULL;
	const struct wl_space *s = NULL;

	if (p != NULL && strlen(p + 6) >= 32 &&
	    sodium_hex2bin(id, 16, p + 6, 32, NULL, &len, NULL) == 0 &&
	    len == 16)
		s = wl_spaces_by_id(c->f.spaces, id);
	if (s == NULL) {
		fail(done, conn, 404, "not_found", "no such space");
		return NULL;
	}
	if (wl_space_may(c->f.spaces, s, c->user->bundle.user_id, action,
			 wl_hlc_system_wall(NULL), via_grant) != 0) {
		audit(api, &c->f, "access_denied", "denied", c->user, NULL, s,
		      NULL, wl_access_action_name(action), 0);
		fail(done, conn, 403, "denied",
		     "you may not do this in this space; the attempt is "
		     "recorded");
		return NULL;
	}
	keys_refresh(api, c, s);
	return s;
}

static json_t *entity_json(const struct wl_ward_entity *e)
{
	json_t *fields = json_object();

	for (size_t i = 0; fields && i < e->n_fields; i++)
		json_object_set_new(fields, e->fields[i].name,
				    json_string(e->fields[i].value));
	return json_pack("{s:s, s:o}", "id", e->id, "fields", fields);
}

/* The time up to which USERNAME read the thread of PATIENT ("patient/ID"),
 * or the ward channel when PATIENT is NULL: the "through_ms" field of the
 * read marker "readp/USERNAME.ID" or "read/USERNAME". 0 when never read. */
static uint64_t read_through(struct wl_ward *w, const char *username,
			     const char *patient)
{
	char entity[WL_WARD_ENTITY_MAX + 1];
	const struct wl_ward_entity *e;
	const char *v;

	if (patient)
		snprintf(entity, sizeof(entity), "readp/%s.%s", username,
			 patient + 8);
	else
		snprintf(entity, sizeof(entity), "read/%s", username);
	e = wl_ward_entity(w, entity);
	v = e ? wl_ward_field(e, "through_ms") : NULL;
	return v ? strtoull(v, NULL, 10) : 0;
}

/* Count the messages others wrote that the caller has not read: per
 * patient thread into PATIENTS (by each object's "id"), and in the ward
 * channel, returned. */
static json_int_t count_unread(struct wl_ward *w, struct caller *c,
			       json_t *patients)
{
	json_int_t channel = 0;
	size_t i;
	json_t *p;

	json_array_foreach(patients, i, p)
		json_object_set_new(p, "unread", json_integer(0));
	for (size_t k = 0; k < wl_ward_message_count(w); k++) {
		const struct wl_ward_message *m = wl_ward_message_at(w, k);
		const struct wl_user *a = wl_users_by_past_signer(c->f.users,
								  m->author);

		if (a == c->user || (m->hlc >> 16) <=
					    read_through(w, c->user->bundle.username,
							 m->patient))
			continue;
		if (m->patient == NULL) {
			channel++;
			continue;
		}
		json_array_foreach(patients, i, p) {
			json_t *n = json_object_get(p, "unread");

			if (strcmp(json_string_value(json_object_get(p, "id")),
				   m->patient) == 0)
				json_integer_set(n, json_integer_value(n) + 1);
		}
	}
	return channel;
}

static void route_ward(struct wl_api *api, const struct wl_api_request *req,
		       struct caller *c, wl_api_done_fn done, void *conn)
{
	json_int_t channel_unread;
	struct wl_ward *w = NULL;
	json_t *patients, *other;
	int via_grant = 0;
	const struct wl_space *s = space_for(api, c, req->query,
					     WL_ACTION_READ, &via_grant, done,
					     conn);

	if (s == NULL)
		return;
	if (s->kind == WL_SPACE_AUDIT || c->keyring == NULL ||
	    wl_ward_new(s->id, &w) != 0 ||
	    wl_ward_load(w, api->env.store, c->keyring) != 0) {
		wl_ward_free(w);
		fail(done, conn, 409, "unreadable",
		     "the audit space, or no key of this space yet");
		return;
	}
	patients = json_array();
	other = json_array();
	for (size_t i = 0; i < wl_ward_entity_count(w); i++) {
		const struct wl_ward_entity *e = wl_ward_entity_at(w, i);

		json_array_append_new(strncmp(e->id, "patient/", 8) == 0
					      ? patients
					      : other,
				      entity_json(e));
	}
	channel_unread = count_unread(w, c, patients);
	wl_ward_free(w);
	audit(api, &c->f, "census_viewed", "ok", c->user, NULL, s, NULL,
	      "view=board", via_grant);
	reply(done, conn, 200,
	      json_pack("{s:s, s:o, s:o, s:I}", "name", s->name, "patients",
			patients, "entities", other, "unread",
			channel_unread),
	      NULL);
}

static void route_messages_get(struct wl_api *api,
			       const struct wl_api_request *req,
			       struct caller *c, wl_api_done_fn done,
			       void *conn)
{
	struct wl_ward *w = NULL;
	json_t *list;
	int via_grant = 0;
	const struct wl_space *s = space_for(api, c, req->query,
					     WL_ACTION_READ, &via_grant, done,
					     conn);

	if (s == NULL)
		return;
	if (c->keyring == NULL || wl_ward_new(s->id, &w) != 0 ||
	    wl_ward_load(w, api->env.store, c->keyring) != 0) {
		wl_ward_free(w);
		fail(done, conn, 409, "unreadable", "no key of this space");
		return;
	}
	list = json_array();
	for (size_t i = 0; i < wl_ward_message_count(w); i++) {
		const struct wl_ward_message *m = wl_ward_message_at(w, i);
		const struct wl_user *a = wl_users_by_past_signer(c->f.users,
								  m->author);
		char id[65];

		int mine = memcmp(m->origin, api->env.node->pk, 32) == 0;
		size_t reached = mine && api->env.reached
					 ? api->env.reached(api->env.arg, m->seq)
					 : 0;

		sodium_bin2hex(id, sizeof(id), m->id, 32);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:I, s:s, s:b, s:b, s:I}",
					"id", id, "author",
					a ? a->bundle.username : "unknown",
					"time_ms", (json_int_t)(m->hlc >> 16),
					"text", m->text, "urgent", m->urgent,
					"from_this_device", mine, "reached",
					(json_int_t)reached));
		if (m->patient)
			json_object_set_new(json_array_get(list,
							   json_array_size(list) - 1),
					    "patient", json_string(m->patient));
	}
	wl_ward_free(w);
	audit(api, &c->f, "messages_read", "ok", c->user, NULL, s, NULL, "web",
	      via_grant);
	reply(done, conn, 200, json_pack("{s:o}", "messages", list), NULL);
}

/* Add to LIST the urgent messages of S that are REALERT_MS old or older
 * and have no acknowledgment. */
static void space_alerts(struct wl_api *api, struct caller *c,
			 const struct wl_space *s, uint64_t now, json_t *list)
{
	struct wl_ward *w = NULL;

	if (c->keyring == NULL || wl_ward_new(s->id, &w) != 0 ||
	    wl_ward_load(w, api->env.store, c->keyring) != 0) {
		wl_ward_free(w);
		return;
	}
	for (size_t i = 0; i < wl_ward_message_count(w); i++) {
		const struct wl_ward_message *m = wl_ward_message_at(w, i);
		const struct wl_user *a = wl_users_by_past_signer(c->f.users,
								  m->author);
		uint64_t age = now - (m->hlc >> 16);
		char id[65], ack[40];
		const struct wl_ward_entity *e;

		if (!m->urgent || (m->hlc >> 16) > now ||
		    age < api->cfg.realert_ms)
			continue;
		sodium_bin2hex(id, sizeof(id), m->id, 32);
		snprintf(ack, sizeof(ack), "ack/%.32s", id);
		e = wl_ward_entity(w, ack);
		if (e != NULL && e->n_fields > 0)
			continue;
		json_array_append_new(
			list,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b}",
				  "space", sodium_bin2hex(ack, 33, s->id, 16),
				  "space_name", s->name, "id", id, "author",
				  a ? a->bundle.username : "unknown", "text",
				  m->text, "time_ms",
				  (json_int_t)(m->hlc >> 16), "escalated",
				  age >= api->cfg.escalate_ms, "mine",
				  a && a == c->user));
	}
	wl_ward_free(w);
}

/* GET /api/alerts: the urgent messages in the caller's spaces without an
 * acknowledgment in time. Past the escalation time they are marked
 * "escalated", and the charge nurses' pages show them too. */
static void route_alerts(struct wl_api *api, struct caller *c,
			 wl_api_done_fn done, void *conn)
{
	json_t *list = json_array();
	uint64_t now = wl_hlc_system_wall(NULL);

	for (size_t i = 0; list && i < wl_spaces_count(c->f.spaces); i++) {
		const struct wl_space *s = wl_spaces_at(c->f.spaces, i);

		if (s->kind == WL_SPACE_AUDIT ||
		    wl_space_may(c->f.spaces, s, c->user->bundle.user_id,
				 WL_ACTION_READ, now, NULL) != 0)
			continue;
		space_alerts(api, c, s, now, list);
	}
	reply(done, conn, 200,
	      json_pack("{s:o, s:I, s:I}", "alerts", list, "realert_ms",
			(json_int_t)api->cfg.realert_ms, "escalate_ms",
			(json_int_t)api->cfg.escalate_ms),
	      NULL);
}

static void route_messages_post(struct wl_api *api,
				const struct wl_api_request *req,
				struct caller *c, wl_api_done_fn done,
				void *conn)
{
	const char *field = NULL, *space = NULL, *text = NULL, *patient;
	size_t space_len = 0, text_len = 0;
	unsigned char *plain = NULL;
	char query[64], about[WL_AUDIT_PATIENT_MAX + 1];
	json_t *o = NULL, *urgent;
	const struct wl_space *s;
	const unsigned char *key;
	struct wl_feed_item item;
	unsigned char k[32];
	int via_grant = 0;

	if (wl_json_load_object(req->body, req->body_len, WL_API_BODY_MAX,
				&o) ||
	    wl_json_get_string(o, "space", &space, &space_len, &field) ||
	    wl_json_get_string(o, "text", &text, &text_len, &field) ||
	    text_len == 0 || text_len > TEXT_MAX || space_len != 32) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"space\":ID,\"text\":...,\"urgent\":false}");
		return;
	}
	urgent = json_object_get(o, "urgent");
	/* A message about one patient links to the record; the ward fold
	 * rejects anything but "patient/ID". */
	patient = json_string_value(json_object_get(o, "patient"));
	snprintf(query, sizeof(query), "space=%s", space);
	s = space_for(api, c, query, WL_ACTION_POST_MESSAGE, &via_grant, done,
		      conn);
	if (s == NULL) {
		json_decref(o);
		return;
	}

	plain = sodium_malloc(WL_API_BODY_MAX);
	memset(&item, 0, sizeof(item));
	if (plain == NULL ||
	    (patient && (strncmp(patient, "patient/", 8) != 0 ||
			 strlen(patient) > WL_WARD_ENTITY_MAX)) ||
	    wl_json_dump(json_pack("{s:i, s:s%, s:b, s:s*}", "v", 1, "text",
				   text, text_len, "urgent",
				   json_is_true(urgent), "patient", patient),
			 plain, WL_API_BODY_MAX, &item.body_len) != 0) {
		sodium_free(plain);
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "the text is not UTF-8, or the patient is not "
		     "\"patient/ID\"");
		return;
	}
	snprintf(about, sizeof(about), "%s", patient ? patient : "");
	json_decref(o);

	key = writing_key(api, c, &s, done, conn);
	if (key == NULL) {
		sodium_free(plain);
		return;
	}
	memcpy(k, key, 32);
	item.kind = WL_KIND_MESSAGE;
	memcpy(item.space, s->id, 16);
	item.epoch = s->epoch;
	item.author_sk = wl_session_keys(c->s)->sign_sk;
	item.body = plain;
	item.seal = wl_feed_seal_space;
	item.seal_arg = k;
	item.seal_overhead = WL_EVENT_SEAL_OVERHEAD;
	if (append(api, &item, 1) != 0) {
		sodium_memzero(k, sizeof(k));
		sodium_free(plain);
		fail(done, conn, 500, "internal", "could not store the message");
		return;
	}
	sodium_memzero(k, sizeof(k));
	sodium_free(plain);
	audit(api, &c->f, "message_sent", "ok", c->user, NULL, s,
	      about[0] ? about : NULL, "web", via_grant);
	reply(done, conn, 201, NULL, NULL);
}

/* The action an update of ENTITY needs: by its kind; acknowledging a
 * handoff is the receiver's own action. */
static enum wl_action entity_action(const char *entity, json_t *fields)
{
	if (strncmp(entity, "handoff/", 8) == 0) {
		if (json_object_get(fields, "acknowledged_by") != NULL ||
		    json_object_get(fields, "synthesis") != NULL)
			return WL_ACTION_ACKNOWLEDGE_HANDOFF;
		return WL_ACTION_WRITE_HANDOFF;
	}
	if (strncmp(entity, "task/", 5) == 0)
		return WL_ACTION_MANAGE_TASKS;
	/* Acknowledging an urgent message is a reply, allowed like a post.
	 * Every reader may set a read marker: "read/USER" for the channel,
	 * "readp/USER.ID" for a patient's thread. */
	if (strncmp(entity, "ack/", 4) == 0)
		return WL_ACTION_POST_MESSAGE;
	if (strncmp(entity, "read/", 5) == 0 ||
	    strncmp(entity, "readp/", 6) == 0)
		return WL_ACTION_READ;
	if (strncmp(entity, "request/", 8) == 0) {
		/* A medication clarification request: the pharmacist's
		 * reply sets its state. */
		if (json_object_get(fields, "state") != NULL ||
		    json_object_get(fields, "answer") != NULL)
			return WL_ACTION_CONFIRM_MEDICATION;
		return WL_ACTION_REQUEST_MEDICATION_CLARIFICATION;
	}
	return WL_ACTION_UPDATE_PATIENT;
}

/* The patient an entity concerns, for the audit record: the entity
 * itself, or the "patient/" + id of a handoff, or a task's "patient"
 * field when the request gives one. */
static void entity_patient(const char *entity, json_t *fields, char *out,
			   size_t size)
{
	const char *p = json_string_value(json_object_get(fields, "patient"));

	if (strncmp(entity, "patient/", 8) == 0)
		snprintf(out, size, "%s", entity);
	else if (strncmp(entity, "handoff/", 8) == 0)
		snprintf(out, size, "patient/%s", entity + 8);
	else if (p != NULL && strncmp(p, "patient/", 8) == 0)
		snprintf(out, size, "%s", p);
	else
		out[0] = '\0'; /* free text (a request's bed) stays out */
}

static int has_field(json_t *fields, const char *name, const char *value)
{
	const char *v = json_string_value(json_object_get(fields, name));

	return v != NULL && (value == NULL || strcmp(v, value) == 0);
}

/* The audit action of an update of ENTITY with FIELDS, so that the trail
 * distinguishes an acknowledged handoff, a completed action and a
 * pharmacist's answer. Returns a static string. */
static const char *entity_audit_action(const char *entity, json_t *fields)
{
	if (strncmp(entity, "handoff/", 8) == 0) {
		if (has_field(fields, "acknowledged_by", NULL))
			return "handoff_acknowledged";
		if (has_field(fields, "given_to", NULL))
			return "handoff_given";
		return has_field(fields, "synthesis", NULL)
			       ? "handoff_synthesis_written"
			       : "handoff_written";
	}
	if (strncmp(entity, "task/", 5) == 0) {
		if (has_field(fields, "state", "done"))
			return "task_completed";
		return has_field(fields, "created_by", NULL) ? "task_added"
							     : "task_updated";
	}
	if (strncmp(entity, "ack/", 4) == 0)
		return "message_acknowledged";
	if (strncmp(entity, "request/", 8) == 0)
		return has_field(fields, "state", NULL) ? "medication_answered"
							: "medication_requested";
	if (strncmp(entity, "read/", 5) == 0 ||
	    strncmp(entity, "readp/", 6) == 0)
		return "read_marker_set";
	return "record_updated";
}

/* "web; fields=a,b": the names of the fields set, never their values. */
static void entity_detail(json_t *fields, char *out, size_t size)
{
	size_t used = (size_t)snprintf(out, size, "web; fields=");
	const char *name;
	json_t *v;

	json_object_foreach(fields, name, v) {
		if (used >= size)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 out[used - 1] == '=' ? "" : ",",
					 name);
	}
}

/* POST /api/entity {"space","entity","fields":{NAME:TEXT}}: set fields
 * of a patient, handoff note or task, sealed under the space key. */
static void route_entity(struct wl_api *api, const struct wl_api_request *req,
			 struct caller *c, wl_api_done_fn done, void *conn)
{
	const char *field = NULL, *space = NULL, *entity = NULL;
	const char *names[WL_WARD_FIELDS_MAX];
	const char *values[WL_WARD_FIELDS_MAX];
	size_t space_len = 0, entity_len = 0, n = 0;
	char detail[WL_AUDIT_DETAIL_MAX + 1];
	const char *what;
	char query[64], patient[WL_AUDIT_PATIENT_MAX + 1];
	unsigned char *plain = NULL;
	json_t *o = NULL, *fields, *v;
	const struct wl_space *s;
	const unsigned char *key;
	const char *name;
	struct wl_feed_item item;
	unsigned char k[32];
	int via_grant = 0;

	if (wl_json_load_object(req->body, req->body_len, WL_API_BODY_MAX,
				&o) ||
	    wl_json_get_string(o, "space", &space, &space_len, &field) ||
	    wl_json_get_string(o, "entity", &entity, &entity_len, &field) ||
	    space_len != 32 || !json_is_object(fields = json_object_get(o, "fields"))) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"space\":ID,\"entity\":\"patient/ID\","
		     "\"fields\":{...}}");
		return;
	}
	json_object_foreach(fields, name, v) {
		if (!json_is_string(v) || n == WL_WARD_FIELDS_MAX)
			break;
		names[n] = name;
		values[n++] = json_string_value(v);
	}
	snprintf(query, sizeof(query), "space=%s", space);
	s = n == json_object_size(fields)
		    ? space_for(api, c, query, entity_action(entity, fields),
				&via_grant, done, conn)
		    : NULL;
	if (n != json_object_size(fields))
		fail(done, conn, 400, "bad_request", "fields are text");
	if (s == NULL) {
		json_decref(o);
		return;
	}
	plain = sodium_malloc(WL_API_BODY_MAX);
	memset(&item, 0, sizeof(item));
	if (plain == NULL ||
	    wl_ward_update_encode(entity, names, values, n, plain,
				  WL_API_BODY_MAX, &item.body_len) != 0) {
		sodium_free(plain);
		json_decref(o);
		fail(done, conn, 400, "rejected",
		     "invalid entity, field name or value");
		return;
	}
	entity_patient(entity, fields, patient, sizeof(patient));
	what = entity_audit_action(entity, fields);
	entity_detail(fields, detail, sizeof(detail));
	json_decref(o);

	key = writing_key(api, c, &s, done, conn);
	if (key == NULL) {
		sodium_free(plain);
		return;
	}
	memcpy(k, key, 32);
	item.kind = WL_KIND_ENTITY_UPDATE;
	memcpy(item.space, s->id, 16);
	item.epoch = s->epoch;
	item.author_sk = wl_session_keys(c->s)->sign_sk;
	item.body = plain;
	item.seal = wl_feed_seal_space;
	item.seal_arg = k;
	item.seal_overhead = WL_EVENT_SEAL_OVERHEAD;
	if (append(api, &item, 1) != 0) {
		sodium_memzero(k, sizeof(k));
		sodium_free(plain);
		fail(done, conn, 500, "internal", "could not store the update");
		return;
	}
	sodium_memzero(k, sizeof(k));
	sodium_free(plain);
	audit(api, &c->f, what, "ok", c->user, NULL, s, patient, detail,
	      via_grant);
	reply(done, conn, 201, NULL, NULL);
}

/* Collect every update of one entity, for its field history. */
struct history {
	const char *entity;
	json_t *list;
	const struct wl_users *users;
};

static void history_take(struct history *h, const struct wl_store_entry *e,
			 const unsigned char *plain, size_t len)
{
	json_t *o = NULL, *fields;
	const char *entity;
	const struct wl_user *a;

	if (wl_json_load_object(plain, len, WL_WARD_BODY_MAX, &o) != 0)
		return;
	entity = json_string_value(json_object_get(o, "entity"));
	fields = json_object_get(o, "fields");
	if (entity != NULL && strcmp(entity, h->entity) == 0 &&
	    json_is_object(fields)) {
		a = wl_users_by_past_signer(h->users, e->ev.h.author);
		json_array_append_new(
			h->list,
			json_pack("{s:s, s:I, s:O}", "author",
				  a ? a->bundle.username : "unknown",
				  "time_ms", (json_int_t)(e->ev.h.hlc >> 16),
				  "fields", fields));
	}
	json_decref(o);
}

/* GET /api/history?space=HEX&entity=NAME: who set which fields when. */
static void route_history(struct wl_api *api, const struct wl_api_request *req,
			  struct caller *c, wl_api_done_fn done, void *conn)
{
	const char *p = req->query ? strstr(req->query, "entity=") : NULL;
	unsigned char *plain = sodium_malloc(WL_WARD_BODY_MAX);
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct history h;
	char entity[WL_WARD_ENTITY_MAX + 1], about[WL_WARD_ENTITY_MAX + 1];
	int via_grant = 0;
	int rc;
	const struct wl_space *s = space_for(api, c, req->query,
					     WL_ACTION_READ, &via_grant, done,
					     conn);

	if (s == NULL || plain == NULL || p == NULL || c->keyring == NULL) {
		if (s != NULL)
			fail(done, conn, 400, "bad_request",
			     "give space=ID&entity=NAME");
		sodium_free(plain);
		return;
	}
	snprintf(entity, sizeof(entity), "%.*s", (int)strcspn(p + 7, "&"),
		 p + 7);
	h.entity = entity;
	h.list = json_array();
	h.users = c->f.users;
	rc = wl_store_iter_local(api->env.store, 0, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		const unsigned char *key;
		size_t len = 0;

		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if (e.ev.h.kind != WL_KIND_ENTITY_UPDATE || e.body == NULL ||
		    memcmp(e.ev.h.space, s->id, 16) != 0 ||
		    e.body_len > WL_WARD_BODY_MAX + WL_EVENT_SEAL_OVERHEAD)
			continue;
		for (size_t i = 0; (key = wl_keyring_get(c->keyring, s->id,
							 e.ev.h.epoch, i));
		     i++) {
			if (wl_event_open_body(&e.ev.h, key, e.body,
					       e.body_len, plain, &len) == 0) {
				history_take(&h, &e, plain, len);
				break;
			}
		}
	}
	wl_store_iter_free(it);
	sodium_free(plain);
	/* The handoff of a patient is part of the patient's record. */
	if (strncmp(entity, "handoff/", 8) == 0)
		snprintf(about, sizeof(about), "patient/%s", entity + 8);
	else
		snprintf(about, sizeof(about), "%s", entity);
	if (view_is_new(api, c->sid, about))
		audit(api, &c->f, "record_viewed", "ok", c->user, NULL, s,
		      about, "view=history", via_grant);
	reply(done, conn, 200, json_pack("{s:s, s:o}", "entity", entity,
					 "history", h.list),
	      NULL);
}

/* GET /api/members?space=HEX: the users with the space's current key,
 * from whom the outgoing nurse picks the incoming one. */
static void route_members(struct wl_api *api, const struct wl_api_request *req,
			  struct caller *c, wl_api_done_fn done, void *conn)
{
	unsigned char (*ids)[16] = malloc(512 * 16);
	json_t *list = json_array();
	int via_grant = 0;
	size_t n;
	const struct wl_space *s = space_for(api, c, req->query,
					     WL_ACTION_READ, &via_grant, done,
					     conn);

	if (s == NULL || ids == NULL) {
		if (s != NULL)
			fail(done, conn, 500, "internal", "out of memory");
		free(ids);
		json_decref(list);
		return;
	}
	n = wl_space_recipients(c->f.spaces, s, wl_hlc_system_wall(NULL), ids,
				512);
	for (size_t i = 0; i < n && i < 512; i++) {
		const struct wl_user *u = wl_users_by_id(c->f.users, ids[i]);

		if (u == NULL || u->bundle.role == WL_ROLE_ADMIN)
			continue;
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s}", "user",
					u->bundle.username, "display_name",
					u->bundle.display_name, "role",
					wl_access_role_name(u->bundle.role)));
	}
	free(ids);
	reply(done, conn, 200, json_pack("{s:o}", "members", list), NULL);
}

static void route_devices(struct wl_api *api, wl_api_done_fn done,
			  void *conn)
{
	struct wl_api_response r;

	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.content_type = JSON_TYPE;
	r.body = api->env.devices ? api->env.devices(api->env.arg)
				  : strdup("{\"devices\":[]}");
	if (r.body == NULL) {
		fail(done, conn, 500, "internal", "out of memory");
		return;
	}
	r.len = strlen(r.body);
	done(conn, &r);
}

/* ---- admin ---- */

/* Check that the caller may do the site-wide ACTION. If not, audit the
 * attempt, respond 403 and return 0. */
static int site_may(struct wl_api *api, struct caller *c,
		    enum wl_action action, wl_api_done_fn done, void *conn)
{
	if (wl_access_allowed(c->user->bundle.role, action, WL_SPACE_SITE, 0,
			      0) == 0)
		return 1;
	audit(api, &c->f, "access_denied", "denied", c->user, NULL, NULL, NULL,
	      wl_access_action_name(action), 0);
	fail(done, conn, 403, "denied",
	     "your role may not do this; the attempt is recorded");
	return 0;
}

/* Copy the value of NAME in the query string Q, %-decoded, into OUT.
 * Returns 1 when present and it fits, else 0 (OUT is then ""). */
static int query_value(const char *q, const char *name, char *out,
		       size_t size)
{
	size_t nlen = strlen(name), used = 0;
	const char *p = q;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			break;
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL || *p == '\0')
		return 0;
	for (p += nlen + 1; *p && *p != '&'; p++) {
		char ch = *p;
		unsigned v;

		if (ch == '+')
			ch = ' ';
		else if (ch == '%' && sscanf(p + 1, "%2x", &v) == 1 &&
			 isxdigit((unsigned char)p[1]) &&
			 isxdigit((unsigned char)p[2])) {
			ch = (char)v;
			p += 2;
		}
		if (used + 1 >= size || ch == '\0') {
			out[0] = '\0';
			return 0;
		}
		out[used++] = ch;
	}
	out[used] = '\0';
	return 1;
}

/* GET /api/users: the users of the site. For an admin, the list also has
 * each account's state (active, locked, disabled) and failed logins. */
static void route_users(struct wl_api *api, struct caller *c,
			wl_api_done_fn done, void *conn)
{
	int full = wl_access_allowed(c->user->bundle.role,
				     WL_ACTION_MANAGE_USERS, WL_SPACE_SITE, 0,
				     0) == 0;

	if (full)
		audit(api, &c->f, "users_viewed", "ok", c->user, NULL, NULL,
		      NULL, "web", 0);
	reply(done, conn, 200,
	      json_pack("{s:o}", "users", wl_admin_users(c->f.users, full)),
	      NULL);
}

/* POST /api/users/unlock {"username"}: an admin clears a locked account
 * on every node (an account event signed with the admin's key). */
static void route_unlock_user(struct wl_api *api,
			      const struct wl_api_request *req,
			      struct caller *c, wl_api_done_fn done,
			      void *conn)
{
	unsigned char json[WL_USERS_ACCOUNT_JSON_MAX];
	const char *field = NULL, *name = NULL;
	const struct wl_user *u = NULL;
	struct wl_feed_item item;
	size_t len = 0;
	json_t *o = NULL;

	if (!site_may(api, c, WL_ACTION_MANAGE_USERS, done, conn))
		return;
	if (wl_json_load_object(req->body, req->body_len, 1024, &o) == 0 &&
	    wl_json_get_string(o, "username", &name, &len, &field) == 0)
		u = wl_users_by_name(c->f.users, name);
	json_decref(o);
	if (u == NULL) {
		fail(done, conn, 404, "not_found", "no such user");
		return;
	}

	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_ACCOUNT;
	item.author_sk = wl_session_keys(c->s)->sign_sk;
	item.body = json;
	if (wl_users_account_encode(WL_ACCOUNT_UNLOCK, u->bundle.user_id, json,
				    sizeof(json), &item.body_len) != 0 ||
	    append(api, &item, 1) != 0) {
		fail(done, conn, 500, "internal", "could not unlock the user");
		return;
	}
	audit(api, &c->f, "user_unlocked", "ok", c->user, NULL, NULL, NULL,
	      u->bundle.username, 0);
	reply(done, conn, 200, NULL, NULL);
}

/* The new user's keys are made: sign the bundle with the key of the admin
 * who asked, if that session is still open, and append it. */
static void on_user_made(void *arg, int rc,
			 const struct wl_keys_bundle *bundle)
{
	struct login_job *job = arg;
	struct wl_api *api = job->api;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_session *s;
	struct wl_feed_item item;
	struct folds f;
	const struct wl_user *admin;

	if (api == NULL || job->conn == NULL) {
		if (api != NULL)
			job_unlink(api, job);
		free(job);
		return;
	}
	job_unlink(api, job);
	s = wl_sessions_find(api->sessions, job->sid);
	memset(&item, 0, sizeof(item));
	if (rc == 0 && (s == NULL || wl_session_keys(s) == NULL))
		rc = WL_EDENIED;
	if (rc == 0)
		rc = wl_keys_bundle_encode(bundle, json, sizeof(json),
					   &item.body_len);
	if (rc == 0) {
		item.kind = WL_KIND_USER_BUNDLE;
		item.author_sk = wl_session_keys(s)->sign_sk;
		item.body = json;
		rc = append(api, &item, 1);
	}
	if (rc != 0) {
		fail(job->done, job->conn, rc == WL_EDENIED ? 401 : 500,
		     rc == WL_EDENIED ? "no_session" : "internal",
		     rc == WL_EDENIED ? "your session ended before the user "
					"was made; log in and try again"
				      : "could not make the user");
		free(job);
		return;
	}
	if (folds_load(api, &f) == 0) {
		admin = wl_users_by_id(f.users, wl_session_user(s));
		audit(api, &f, "user_added", "ok", admin, NULL, NULL, NULL,
		      bundle->username, 0);
		folds_free(&f);
	}
	wl_info(MOD, "user added user=%s role=%s", bundle->username,
		wl_access_role_name(bundle->role));
	reply(job->done, job->conn, 201, NULL, NULL);
	free(job);
}

/* POST /api/users {"username","display_name","role","password"}: an
 * admin adds a user. The first password follows the same rules as the
 * CLI's, and the user changes it on first use (wardline user
 * change-password). The keys are made on the thread pool. */
static void route_add_user(struct wl_api *api,
			   const struct wl_api_request *req, struct caller *c,
			   wl_api_done_fn done, void *conn)
{
	const char *field = NULL, *name = NULL, *display = NULL, *role = NULL;
	const char *password = NULL;
	size_t len = 0;
	enum wl_role r = WL_ROLE_NURSE;
	struct login_job *job;
	json_t *o = NULL;
	int rc;

	if (!site_may(api, c, WL_ACTION_MANAGE_USERS, done, conn))
		return;
	rc = wl_json_load_object(req->body, req->body_len, 4096, &o);
	if (rc == 0 &&
	    (wl_json_get_string(o, "username", &name, &len, &field) ||
	     wl_json_get_string(o, "display_name", &display, &len, &field) ||
	     wl_json_get_string(o, "role", &role, &len, &field) ||
	     wl_json_get_string(o, "password", &password, &len, &field) ||
	     wl_keys_username_check(name) != 0 ||
	     wl_keys_display_name_check(display) != 0 ||
	     wl_access_role_parse(role, &r) != 0))
		rc = WL_EINVAL;
	if (rc != 0) {
		json_decref(o);
		fail(done, conn, 400, "bad_request",
		     "send {\"username\" (a-z 0-9 . _ -, starting with a "
		     "letter), \"display_name\", \"role\", \"password\"}");
		return;
	}
	if (wl_users_by_name(c->f.users, name) != NULL) {
		json_decref(o);
		fail(done, conn, 409, "exists", "that username is taken");
		return;
	}
	rc = wl_keys_password_check(password, name);
	if (rc != 0) {
		json_decref(o);
		fail(done, conn, 400, "weak_password",
		     wl_keys_password_problem(rc));
		return;
	}

	job = calloc(1, sizeof(*job));
	rc = job ? 0 : WL_ENOMEM;
	if (job != NULL) {
		job->api = api;
		job->conn = conn;
		job->done = done;
		memcpy(job->sid, c->sid, sizeof(job->sid));
		rc = wl_login_new_user(api->env.loop, name, display, r,
				       password, on_user_made, job);
	}
	json_decref(o);
	if (rc != 0) {
		free(job);
		fail(done, conn, rc == WL_EBUSY ? 503 : 500, "busy",
		     "the device is busy with logins; try again in a moment");
		return;
	}
	job->next = api->jobs;
	api->jobs = job;
}

/* GET /api/audit?from=MS&to=MS&user=NAME&patient=ID&action=NAME
 * [&format=csv]: the audit log, newest first. Admins and compliance
 * officers view it (500 rows at most); a CSV export, which leaves the
 * site, is the compliance officer's. Both are themselves audited. */
static void route_audit(struct wl_api *api, const struct wl_api_request *req,
			struct caller *c, wl_api_done_fn done, void *conn)
{
	struct wl_admin_filter f;
	struct wl_api_response r;
	char num[24], format[8], detail[WL_AUDIT_DETAIL_MAX + 1];
	int csv, truncated = 0;
	json_t *rows = NULL;

	const struct wl_space *trail = wl_spaces_audit(c->f.spaces);

	query_value(req->query, "format", format, sizeof(format));
	csv = strcmp(format, "csv") == 0;
	if (trail == NULL) {
		fail(done, conn, 404, "not_found", "the site has no audit space");
		return;
	}
	if (wl_space_may(c->f.spaces, trail, c->user->bundle.user_id,
			 csv ? WL_ACTION_EXPORT_AUDIT : WL_ACTION_READ_AUDIT,
			 wl_hlc_system_wall(NULL), NULL) != 0) {
		audit(api, &c->f, "access_denied", "denied", c->user, NULL,
		      trail, NULL, csv ? "export_audit" : "read_audit", 0);
		fail(done, conn, 403, "denied",
		     "your role may not do this; the attempt is recorded");
		return;
	}
	memset(&f, 0, sizeof(f));
	if (query_value(req->query, "from", num, sizeof(num)))
		f.from_ms = strtoull(num, NULL, 10);
	if (query_value(req->query, "to", num, sizeof(num)))
		f.to_ms = strtoull(num, NULL, 10);
	query_value(req->query, "user", f.username, sizeof(f.username));
	query_value(req->query, "patient", f.patient, sizeof(f.patient));
	query_value(req->query, "action", f.action, sizeof(f.action));
	f.limit = csv ? WL_ADMIN_AUDIT_ROWS_MAX : 500;
	if (c->keyring == NULL ||
	    wl_admin_audit(api->env.store, c->f.spaces, c->keyring, &f, &rows,
			   &truncated) != 0) {
		fail(done, conn, 500, "internal", "could not read the audit log");
		return;
	}
	snprintf(detail, sizeof(detail), "web; %zu rows; user=%s patient=%s "
		 "action=%s", json_array_size(rows), f.username, f.patient,
		 f.action);
	audit(api, &c->f, csv ? "audit_exported" : "audit_viewed", "ok",
	      c->user, NULL, NULL, NULL, detail, 0);
	if (!csv) {
		reply(done, conn, 200,
		      json_pack("{s:o, s:b}", "records", rows, "truncated",
				truncated),
		      NULL);
		return;
	}

	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.content_type = "text/csv; charset=utf-8";
	if (wl_admin_audit_csv(rows, &r.body, &r.len) != 0) {
		json_decref(rows);
		fail(done, conn, 500, "internal", "out of memory");
		return;
	}
	json_decref(rows);
	done(conn, &r);
}

/* GET /api/admin/spaces: the wards and mailboxes whose membership the
 * caller manages, with their members. It reads no content, so an admin
 * who is not a member of a ward gets its members and none of its patients. */
static void route_admin_spaces(struct wl_api *api, struct caller *c,
			       wl_api_done_fn done, void *conn)
{
	unsigned char (*ids)[16] = malloc(512 * 16);
	uint64_t now = wl_hlc_system_wall(NULL);
	json_t *list = json_array();
	char hex[33];

	(void)api;
	for (size_t i = 0; ids && list && i < wl_spaces_count(c->f.spaces);
	     i++) {
		const struct wl_space *s = wl_spaces_at(c->f.spaces, i);
		json_t *members = json_array();
		size_t n;

		if ((s->kind != WL_SPACE_WARD &&
		     s->kind != WL_SPACE_ROLE_MAILBOX) ||
		    wl_space_may(c->f.spaces, s, c->user->bundle.user_id,
				 WL_ACTION_ADD_MEMBER, now, NULL) != 0) {
			json_decref(members);
			continue;
		}
		n = wl_space_recipients(c->f.spaces, s, now, ids, 512);
		for (size_t k = 0; k < n && k < 512; k++) {
			const struct wl_user *u = wl_users_by_id(c->f.users,
								 ids[k]);

			if (u == NULL || !wl_space_is_member(c->f.spaces, s,
							     ids[k]))
				continue;
			json_array_append_new(
				members,
				json_pack("{s:s, s:s, s:s}", "user",
					  u->bundle.username, "display_name",
					  u->bundle.display_name, "role",
					  wl_access_role_name(u->bundle.role)));
		}
		sodium_bin2hex(hex, sizeof(hex), s->id, 16);
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:o}", "id", hex,
					"name", s->name, "kind",
					wl_access_space_kind_name(s->kind),
					"members", members));
	}
	free(ids);
	reply(done, conn, 200, json_pack("{s:o}", "spaces", list), NULL);
}

static const struct {
	const char *name;
	uint8_t kind;
} policy_kinds[] = {{"message", WL_KIND_MESSAGE},
		    {"entity_update", WL_KIND_ENTITY_UPDATE},
		    {"receipt", WL_KIND_RECEIPT},
		    {"audit", WL_KIND_AUDIT}};
#define POLICY_KINDS (sizeof(policy_kinds) / sizeof(policy_kinds[0]))

/* GET /api/policy: the retention policy in force: days per kind (0 keeps
 * for ever) and the names of the spaces under a legal hold. */
static void route_policy_get(struct wl_api *api, struct caller *c,
			     wl_api_done_fn done, void *conn)
{
	struct wl_retention_policy p;
	json_t *days = json_object(), *holds = json_array();

	if (!site_may(api, c, WL_ACTION_SET_POLICY, done, conn)) {
		json_decref(days);
		json_decref(holds);
		return;
	}
	if (wl_retention_load(&p, c->f.users, api->env.store) != 0)
		wl_retention_defaults(&p);
	for (size_t i = 0; i < POLICY_KINDS; i++)
		json_object_set_new(days, policy_kinds[i].name,
				    json_integer(p.days[policy_kinds[i].kind]));
	for (size_t i = 0; i < p.n_holds; i++) {
		const struct wl_space *s = wl_spaces_by_id(c->f.spaces,
							   p.holds[i].space);

		json_array_append_new(holds,
				      json_string(s ? s->name : "unknown"));
	}
	reply(done, conn, 200,
	      json_pack("{s:o, s:o, s:i}", "days", days, "holds", holds,
			"audit_min_days", WL_RETENTION_AUDIT_MIN),
	      NULL);
}

/* POST /api/policy {"days":{"message":N,...}}: change retention times;
 * legal holds are kept. The policy is signed with the admin's key and
 * audited. */
static void route_policy_set(struct wl_api *api,
			     const struct wl_api_request *req,
			     struct caller *c, wl_api_done_fn done,
			     void *conn)
{
	unsigned char json[WL_RETENTION_JSON_MAX];
	char detail[WL_AUDIT_DETAIL_MAX + 1];
	struct wl_retention_policy p;
	struct wl_feed_item item;
	json_t *o = NULL, *days;
	size_t used = 0;
	int rc;

	if (!site_may(api, c, WL_ACTION_SET_POLICY, done, conn))
		return;
	if (wl_retention_load(&p, c->f.users, api->env.store) != 0)
		wl_retention_defaults(&p);
	rc = wl_json_load_object(req->body, req->body_len, 1024, &o);
	days = rc == 0 ? json_object_get(o, "days") : NULL;
	for (size_t i = 0; json_is_object(days) && i < POLICY_KINDS; i++) {
		json_t *v = json_object_get(days, policy_kinds[i].name);

		if (v == NULL)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > WL_RETENTION_DAYS_MAX)
			rc = WL_ERANGE;
		else
			p.days[policy_kinds[i].kind] =
				(uint32_t)json_integer_value(v);
	}
	json_decref(o);
	memset(&item, 0, sizeof(item));
	if (rc == 0 && json_is_object(days))
		rc = wl_retention_encode(&p, json, sizeof(json),
					 &item.body_len);
	if (rc != 0 || !json_is_object(days)) {
		fail(done, conn, 400, "bad_request",
		     "send {\"days\":{\"message\":N,...}}; audit records "
		     "are kept at least six years");
		return;
	}
	item.kind = WL_KIND_SITE_POLICY;
	item.author_sk = wl_session_keys(c->s)->sign_sk;
	item.body = json;
	if (append(api, &item, 1) != 0) {
		fail(done, conn, 500, "internal", "could not store the policy");
		return;
	}
	for (size_t i = 0; i < POLICY_KINDS && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used,
					 "%s%s=%u", i ? "," : "",
					 policy_kinds[i].name,
					 p.days[policy_kinds[i].kind]);
	audit(api, &c->f, "policy_changed", "ok", c->user, NULL, NULL, NULL,
	      detail, 0);
	reply(done, conn, 200, NULL, NULL);
}

/* ---- dispatch ---- */

void wl_api_handle(struct wl_api *api, const struct wl_api_request *req,
		   wl_api_done_fn done, void *conn)
{
	const char *path = req->path ? req->path : "";
	int post = req->method == WL_API_POST;
	struct caller c;

	if (!host_ok(api, req->host)) {
		fail(done, conn, 421, "misdirected", "unknown Host header");
		return;
	}
	if (post && !wl_api_post_allowed(&api->cfg, req)) {
		fail(done, conn, 403, "forbidden",
		     "state changes need JSON from this node's own page");
		return;
	}
	if (req->body_len > WL_API_BODY_MAX) {
		fail(done, conn, 413, "too_large", "request body too large");
		return;
	}

	if (post && strcmp(path, "/api/login") == 0) {
		route_login(api, req, done, conn);
		return;
	}
	if (strncmp(path, "/api/", 5) != 0 ||
	    req->method == WL_API_OTHER) {
		fail(done, conn, 404, "not_found", "no such route");
		return;
	}

	/* Every other route needs a session; unlock and session work while
	 * it is locked. */
	if (caller_find(api, req,
			strcmp(path, "/api/unlock") == 0 ||
				strcmp(path, "/api/session") == 0 ||
				strcmp(path, "/api/logout") == 0,
			done, conn, &c) != 0)
		return;
	if (post && strcmp(path, "/api/logout") == 0)
		route_logout(api, &c, done, conn);
	else if (!post && strcmp(path, "/api/session") == 0)
		route_session(api, &c, done, conn);
	else if (post && strcmp(path, "/api/pin") == 0)
		route_pin(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/unlock") == 0)
		route_unlock(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/lock") == 0)
		route_lock(api, &c, done, conn);
	else if (!post && strcmp(path, "/api/spaces") == 0)
		route_spaces(api, &c, done, conn);
	else if (post && strcmp(path, "/api/spaces") == 0)
		route_spaces_post(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/spaces/members") == 0)
		route_space_members(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/ward") == 0)
		route_ward(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/messages") == 0)
		route_messages_get(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/messages") == 0)
		route_messages_post(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/entity") == 0)
		route_entity(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/history") == 0)
		route_history(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/users") == 0)
		route_users(api, &c, done, conn);
	else if (post && strcmp(path, "/api/users") == 0)
		route_add_user(api, req, &c, done, conn);
	else if (post && strcmp(path, "/api/users/unlock") == 0)
		route_unlock_user(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/admin/spaces") == 0)
		route_admin_spaces(api, &c, done, conn);
	else if (!post && strcmp(path, "/api/audit") == 0)
		route_audit(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/policy") == 0)
		route_policy_get(api, &c, done, conn);
	else if (post && strcmp(path, "/api/policy") == 0)
		route_policy_set(api, req, &c, done, conn);
	else if (!post && strcmp(path, "/api/alerts") == 0)
		route_alerts(api, &c, done, conn);
	else if (!post && strcmp(path, "/api/devices") == 0)
		route_devices(api, done, conn);
	else if (!post && strcmp(path, "/api/members") == 0)
		route_members(api, req, &c, done, conn);
	else
		fail(done, conn, 404, "not_found", "no such route");
	caller_done(&c);
}

int wl_api_socket_allowed(struct wl_api *api, const char *host,
			  const char *origin, const char *cookie)
{
	unsigned char sid[WL_SESSION_ID_SIZE];
	int ok;

	if (!host_ok(api, host) || origin == NULL || origin[0] == '\0' ||
	    !origin_ok(api, origin) || cookie_sid(cookie, api->cookie, sid) != 0)
		return 0;
	ok = wl_sessions_find(api->sessions, sid) != NULL;
	sodium_memzero(sid, sizeof(sid));
	return ok;
}
