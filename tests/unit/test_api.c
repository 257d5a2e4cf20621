/* Unit tests of the API: its security checks, login on the thread pool,
 * sessions, CSRF, idle lock and PIN unlock, and the ward and message
 * routes, against a real store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <time.h>

#include "testutil.h"
#include "wardline/api.h"
#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/json.h"
#include "wardline/site.h"
#include "wardline/space.h"
#include "wardline/ward.h"

#define HOST "127.0.0.1:8080"
#define ORIGIN "http://127.0.0.1:8080"
#define NURSE_PW "night shift on ward four"
#define NORA_PW "evening shift on ward four"
#define ADMIN_PW "correct horse battery"

struct fixture {
	char *dir;
	struct wl_store *store;
	struct wl_identity *id;
	struct wl_hlc hlc;
	uv_loop_t loop;
	unsigned char site_pk[32], site_sk[64];
	struct wl_keys_bundle admin, nurse, clerk, nora;
	struct wl_keys_secret *admin_sk;
	unsigned char audit_id[16], audit_key[32];
	unsigned char ward[16];
	char ward_hex[33];
	struct wl_api *api;
	/* the last response */
	int called;
	struct wl_api_response resp;
	char cookie[80];
	char csrf[65];
};

static void append(struct fixture *f, uint8_t kind, const unsigned char *sk,
		   const unsigned char *body, size_t len)
{
	struct wl_feed_item it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.author_sk = sk;
	it.body = body;
	it.body_len = len;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &it, 1, NULL,
					NULL),
			 0);
}

static void user(struct fixture *f, const char *name, enum wl_role role,
		 const char *pw, struct wl_keys_bundle *b,
		 struct wl_keys_secret **secret)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	size_t len = 0;

	assert_int_equal(wl_keys_user_new(NULL, name, name, role, pw, &cost, b,
					  secret),
			 0);
	assert_int_equal(wl_keys_bundle_encode(b, json, sizeof(json), &len),
			 0);
	append(f, WL_KIND_USER_BUNDLE, f->site_sk, json, len);
}

/* The audit space and a ward with the nurse, made by the admin, with the
 * ward's key sealed to both; and one patient in the ward. */
static void spaces(struct fixture *f)
{
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX], key[32], akey[32];
	struct wl_space_change c;
	struct wl_keys_envelope env;
	struct wl_feed_item it;
	unsigned char audit_sk[32];
	size_t len = 0;
	const char *names[] = {"name", "bed"};
	const char *values[] = {"Hollis Quarrington", "4"};

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	randombytes_buf(c.space_id, 16);
	c.epoch = 1;
	c.kind = WL_SPACE_AUDIT;
	memcpy(c.name, "Audit", 6);
	wl_keys_space_key_new(akey);
	wl_audit_keypair(akey, c.audit_pk, audit_sk);
	c.has_audit_pk = 1;
	assert_int_equal(wl_space_change_encode(&c, json, sizeof(json), &len),
			 0);
	append(f, WL_KIND_MEMBERSHIP, f->admin_sk->sign_sk, json, len);
	assert_int_equal(wl_keys_envelope_seal(c.space_id, 1, akey,
					       f->admin.user_id,
					       f->admin.box_pk, &env),
			 0);
	assert_int_equal(wl_keys_envelope_encode(&env, json, sizeof(json),
						 &len),
			 0);
	append(f, WL_KIND_KEY_ENVELOPE, f->admin_sk->sign_sk, json, len);
	memcpy(f->audit_id, c.space_id, 16);
	memcpy(f->audit_key, akey, 32);

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	randombytes_buf(c.space_id, 16);
	memcpy(f->ward, c.space_id, 16);
	sodium_bin2hex(f->ward_hex, sizeof(f->ward_hex), f->ward, 16);
	c.epoch = 1;
	c.kind = WL_SPACE_WARD;
	memcpy(c.name, "4 West", 7);
	c.n_members = 1;
	memcpy(c.members[0], f->nurse.user_id, 16);
	assert_int_equal(wl_space_change_encode(&c, json, sizeof(json), &len),
			 0);
	append(f, WL_KIND_MEMBERSHIP, f->admin_sk->sign_sk, json, len);
	wl_keys_space_key_new(key);
	for (size_t i = 0; i < 2; i++) {
		const struct wl_keys_bundle *to = i ? &f->admin : &f->nurse;

		assert_int_equal(wl_keys_envelope_seal(f->ward, 1, key,
						       to->user_id, to->box_pk,
						       &env),
				 0);
		assert_int_equal(wl_keys_envelope_encode(&env, json,
							 sizeof(json), &len),
				 0);
		append(f, WL_KIND_KEY_ENVELOPE, f->admin_sk->sign_sk, json,
		       len);
	}

	memset(&it, 0, sizeof(it));
	assert_int_equal(wl_ward_update_encode("patient/p4", names, values, 2,
					       json, sizeof(json),
					       &it.body_len),
			 0);
	it.kind = WL_KIND_ENTITY_UPDATE;
	memcpy(it.space, f->ward, 16);
	it.epoch = 1;
	it.author_sk = f->admin_sk->sign_sk;
	it.body = json;
	it.seal = wl_feed_seal_space;
	it.seal_arg = key;
	it.seal_overhead = WL_EVENT_SEAL_OVERHEAD;
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &it, 1, NULL,
					NULL),
			 0);
}

/* Make the store, the users and spaces, and an API whose sessions lock
 * after IDLE_MS. */
static int setup_idle(void **state, uint64_t idle_ms)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};
	struct wl_api_config cfg;
	struct wl_api_env env;

	f->dir = testutil_mkdtemp();
	crypto_sign_keypair(f->site_pk, f->site_sk);
	if (wl_identity_load_or_create(f->dir, &f->id, NULL) != 0 ||
	    wl_store_open(f->dir, &opt, &f->store) != 0 ||
	    uv_loop_init(&f->loop) != 0)
		return -1;
	wl_hlc_init(&f->hlc, NULL, NULL, 60000, 0);
	user(f, "alice", WL_ROLE_ADMIN, ADMIN_PW, &f->admin, &f->admin_sk);
	user(f, "nina", WL_ROLE_NURSE, NURSE_PW, &f->nurse, NULL);
	user(f, "carl", WL_ROLE_UNIT_CLERK, "clerk at the front desk",
	     &f->clerk, NULL);
	user(f, "nora", WL_ROLE_NURSE, NORA_PW, &f->nora, NULL);
	spaces(f);

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.hosts[0], sizeof(cfg.hosts[0]), "%s", HOST);
	cfg.n_hosts = 1;
	snprintf(cfg.origins[0], sizeof(cfg.origins[0]), "%s", ORIGIN);
	cfg.n_origins = 1;
	wl_session_policy_defaults(&cfg.policy);
	cfg.policy.idle_ms = idle_ms;
	cfg.policy.throttle_base_ms = 0;
	cfg.policy.lockout_failures = 5;
	cfg.realert_ms = 1;
	cfg.escalate_ms = 3600000;
	memset(&env, 0, sizeof(env));
	env.store = f->store;
	env.node = f->id;
	env.hlc = &f->hlc;
	memcpy(env.site_pk, f->site_pk, 32);
	env.loop = &f->loop;
	if (wl_api_new(&cfg, &env, &f->api) != 0)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_idle(state, 300);
}

/* Sessions that stay active through several logins. */
static int setup_long_idle(void **state)
{
	return setup_idle(state, 60 * 1000);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_api_free(f->api);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_loop_close(&f->loop);
	free(f->resp.body);
	wl_keys_secret_free(f->admin_sk);
	wl_store_close(f->store);
	wl_identity_free(f->id);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static void on_done(void *conn, struct wl_api_response *resp)
{
	struct fixture *f = conn;

	f->called++;
	free(f->resp.body);
	f->resp = *resp;
}

/* Send a request and run the loop until its response came. */
static int request(struct fixture *f, enum wl_api_method method,
		   const char *path, const char *query, const char *body)
{
	struct wl_api_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query;
	req.host = HOST;
	req.origin = method == WL_API_POST ? ORIGIN : NULL;
	req.cookie = f->cookie[0] ? f->cookie : NULL;
	req.csrf = f->csrf[0] ? f->csrf : NULL;
	req.content_type = "application/json";
	req.body = (const unsigned char *)(body ? body : "");
	req.body_len = body ? strlen(body) : 0;
	f->called = 0;
	wl_api_handle(f->api, &req, on_done, f);
	while (f->called == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->called, 1);
	return f->resp.status;
}

/* Log in as USERNAME with PW; keep the cookie and CSRF token. */
static int login(struct fixture *f, const char *username, const char *pw)
{
	char body[256];
	json_t *o;
	int status;

	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}",
		 username, pw);
	f->cookie[0] = f->csrf[0] = '\0';
	status = request(f, WL_API_POST, "/api/login", NULL, body);
	if (status != 200)
		return status;
	snprintf(f->cookie, sizeof(f->cookie), "%.*s",
		 (int)strcspn(f->resp.set_cookie, ";"), f->resp.set_cookie);
	o = json_loads(f->resp.body, 0, NULL);
	snprintf(f->csrf, sizeof(f->csrf), "%s",
		 json_string_value(json_object_get(o, "csrf")));
	json_decref(o);
	return status;
}

/* A foreign Host is refused with 421, whatever the route. */
static void api_host_checked(void **state)
{
	struct fixture *f = *state;
	struct wl_api_request req;

	memset(&req, 0, sizeof(req));
	req.method = WL_API_GET;
	req.path = "/api/session";
	req.host = "evil.example:8080";
	wl_api_handle(f->api, &req, on_done, f);
	assert_int_equal(f->resp.status, 421);
	req.host = NULL;
	wl_api_handle(f->api, &req, on_done, f);
	assert_int_equal(f->resp.status, 421);
}

/* A POST from a foreign Origin, or not JSON, is refused. */
static void api_origin_and_type_checked(void **state)
{
	struct fixture *f = *state;
	struct wl_api_request req;
	const char *body = "{\"username\":\"nina\",\"password\":\"x\"}";

	memset(&req, 0, sizeof(req));
	req.method = WL_API_POST;
	req.path = "/api/login";
	req.host = HOST;
	req.origin = "http://evil.example";
	req.content_type = "application/json";
	req.body = (const unsigned char *)body;
	req.body_len = strlen(body);
	wl_api_handle(f->api, &req, on_done, f);
	assert_int_equal(f->resp.status, 403);
	req.origin = ORIGIN;
	req.content_type = "text/plain";
	wl_api_handle(f->api, &req, on_done, f);
	assert_int_equal(f->resp.status, 403);
}

/* Login: a wrong password is 401, the right one sets a strict cookie and
 * a new session id each time; the security headers are fixed. */
static void api_login_cookie(void **state)
{
	struct fixture *f = *state;
	char first[80];
	const char *const *h = wl_api_security_headers();

	assert_int_equal(login(f, "nina", "not her password"), 401);
	assert_int_equal(login(f, "nobody", "whatever"), 401);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_non_null(strstr(f->resp.set_cookie, "HttpOnly"));
	assert_non_null(strstr(f->resp.set_cookie, "SameSite=Strict"));
	assert_int_equal(strlen(f->cookie), strlen(WL_API_COOKIE) + 9 + 1 + 32);
	assert_int_equal(strlen(f->csrf), 64);
	snprintf(first, sizeof(first), "%s", f->cookie);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_string_not_equal(first, f->cookie);
	assert_int_equal(wl_api_sessions(f->api), 2);
	assert_string_equal(h[0], "content-security-policy:");
	assert_non_null(strstr(h[1], "script-src 'self'"));
	assert_null(strstr(h[1], "unsafe-inline"));
}

/* A state change without the session's CSRF token is refused. */
static void api_csrf_required(void **state)
{
	struct fixture *f = *state;
	char body[128];

	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	snprintf(body, sizeof(body), "{\"space\":\"%s\",\"text\":\"hi\"}",
		 f->ward_hex);
	f->csrf[0] = '\0';
	assert_int_equal(request(f, WL_API_POST, "/api/messages", NULL, body),
			 403);
	memset(f->csrf, 'a', 64);
	f->csrf[64] = '\0';
	assert_int_equal(request(f, WL_API_POST, "/api/messages", NULL, body),
			 403);
}

/* A member reads the board and posts and reads a message; a member of no
 * ward is refused. */
static void api_ward_and_messages(void **state)
{
	struct fixture *f = *state;
	char query[64], body[128];

	snprintf(query, sizeof(query), "space=%s", f->ward_hex);
	snprintf(body, sizeof(body),
		 "{\"space\":\"%s\",\"text\":\"Bed 4 recheck\",\"urgent\":true}",
		 f->ward_hex);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/spaces", NULL, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "4 West"));
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 200);
	assert_non_null(strstr(f->resp.body, "Hollis Quarrington"));
	assert_int_equal(request(f, WL_API_POST, "/api/messages", NULL, body),
			 201);
	assert_int_equal(request(f, WL_API_GET, "/api/messages", query, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "Bed 4 recheck"));
	assert_non_null(strstr(f->resp.body, "\"urgent\":true"));

	assert_int_equal(login(f, "carl", "clerk at the front desk"), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 403);
}

/* An unacknowledged urgent message is listed by /api/alerts once the
 * re-alert time passed (1 ms here), not yet escalated; an acknowledgment
 * takes it off, and a plain message never shows. */
static void api_alerts(void **state)
{
	struct fixture *f = *state;
	char body[256];
	json_t *o, *alerts;

	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	snprintf(body, sizeof(body),
		 "{\"space\":\"%s\",\"text\":\"Routine note\",\"urgent\":false}",
		 f->ward_hex);
	assert_int_equal(request(f, WL_API_POST, "/api/messages", NULL, body),
			 201);
	snprintf(body, sizeof(body),
		 "{\"space\":\"%s\",\"text\":\"Bed 4 K 6.1\",\"urgent\":true}",
		 f->ward_hex);
	assert_int_equal(request(f, WL_API_POST, "/api/messages", NULL, body),
			 201);
	usleep(5000);

	assert_int_equal(request(f, WL_API_GET, "/api/alerts", NULL, NULL),
			 200);
	o = json_loads(f->resp.body, 0, NULL);
	alerts = json_object_get(o, "alerts");
	assert_int_equal(json_array_size(alerts), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(alerts, 0), "text")),
			    "Bed 4 K 6.1");
	assert_true(json_is_false(json_object_get(json_array_get(alerts, 0),
						  "escalated")));
	assert_true(json_is_true(json_object_get(json_array_get(alerts, 0),
						 "mine")));
	snprintf(body, sizeof(body),
		 "{\"space\":\"%s\",\"entity\":\"ack/%.32s\","
		 "\"fields\":{\"nina\":\"now\"}}",
		 f->ward_hex,
		 json_string_value(json_object_get(json_array_get(alerts, 0),
						   "id")));
	json_decref(o);
	assert_int_equal(request(f, WL_API_POST, "/api/entity", NULL, body),
			 201);

	assert_int_equal(request(f, WL_API_GET, "/api/alerts", NULL, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "\"alerts\":[]"));
}

/* Idle lock: data routes return 423, the PIN unlocks, logout ends it. */
static void api_idle_lock_and_pin(void **state)
{
	struct fixture *f = *state;
	char query[64];
	struct timespec nap = {0, 400 * 1000 * 1000};

	snprintf(query, sizeof(query), "space=%s", f->ward_hex);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/pin", NULL,
				 "{\"pin\":\"1234\"}"),
			 400);
	assert_int_equal(request(f, WL_API_POST, "/api/pin", NULL,
				 "{\"pin\":\"2580\"}"),
			 200);
	nanosleep(&nap, NULL);
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 423);
	assert_int_equal(request(f, WL_API_GET, "/api/session", NULL, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "\"state\":\"locked\""));
	assert_int_equal(request(f, WL_API_POST, "/api/unlock", NULL,
				 "{\"pin\":\"9999\"}"),
			 403);
	assert_int_equal(request(f, WL_API_POST, "/api/unlock", NULL,
				 "{\"pin\":\"2580\"}"),
			 200);
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/logout", NULL, "{}"),
			 200);
	assert_non_null(strstr(f->resp.set_cookie, "Max-Age=0"));
	assert_int_equal(request(f, WL_API_GET, "/api/session", NULL, NULL),
			 401);
}

/* Wrong PINs end the session at the fifth. */
static void api_wrong_pins_end_session(void **state)
{
	struct fixture *f = *state;
	struct timespec nap = {0, 400 * 1000 * 1000};
	int status = 0;

	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/pin", NULL,
				 "{\"pin\":\"2580\"}"),
			 200);
	nanosleep(&nap, NULL);
	for (int i = 0; i < 5; i++)
		status = request(f, WL_API_POST, "/api/unlock", NULL,
				 "{\"pin\":\"9999\"}");
	assert_int_equal(status, 401);
	assert_int_equal(request(f, WL_API_GET, "/api/session", NULL, NULL),
			 401);
}

/* ---- spaces and members from the web ---- */

/* The session of one browser, to switch between people. */
struct browser {
	char cookie[80];
	char csrf[65];
};

static void browser_save(const struct fixture *f, struct browser *b)
{
	memcpy(b->cookie, f->cookie, sizeof(b->cookie));
	memcpy(b->csrf, f->csrf, sizeof(b->csrf));
}

static void browser_use(struct fixture *f, const struct browser *b)
{
	memcpy(f->cookie, b->cookie, sizeof(f->cookie));
	memcpy(f->csrf, b->csrf, sizeof(f->csrf));
}

/* Copy the string member NAME of the last response into OUT. */
static void resp_string(const struct fixture *f, const char *name, char *out,
			size_t size)
{
	json_t *o = json_loads(f->resp.body, 0, NULL);
	const char *v = json_string_value(json_object_get(o, name));

	assert_non_null(v);
	snprintf(out, size, "%s", v);
	json_decref(o);
}

/* Count the audit records of ACTION by USERNAME whose detail contains
 * DETAIL (any detail when NULL). */
static int audit_count(struct fixture *f, const char *action,
		       const char *username, const char *detail)
{
	unsigned char plain[WL_AUDIT_JSON_MAX];
	struct wl_store_iter *it = NULL;
	struct wl_audit_record rec;
	struct wl_store_entry e;
	int n = 0, rc;

	assert_int_equal(wl_store_iter_local(f->store, 0, &it), 0);
	while ((rc = wl_store_iter_next(it, &e)) == 1) {
		size_t len = 0;

		if (e.ev.h.kind != WL_KIND_AUDIT || e.body == NULL ||
		    e.body_len > sizeof(plain) + WL_AUDIT_SEAL_OVERHEAD ||
		    wl_audit_open(&e.ev.h, f->audit_key, e.body, e.body_len,
				  plain, &len) != 0 ||
		    wl_audit_record_decode(plain, len, &rec, NULL) != 0)
			continue;
		if (strcmp(rec.action, action) == 0 &&
		    strcmp(rec.username, username) == 0 &&
		    (detail == NULL || strstr(rec.detail, detail) != NULL))
			n++;
	}
	assert_int_equal(rc, 0);
	wl_store_iter_free(it);
	return n;
}

/* The epoch of the newest message of SPACE in the store. */
static uint32_t last_message_epoch(struct fixture *f,
				   const unsigned char space[16])
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	uint32_t epoch = 0;

	assert_int_equal(wl_store_iter_local(f->store, 0, &it), 0);
	while (wl_store_iter_next(it, &e) == 1)
		if (e.ev.h.kind == WL_KIND_MESSAGE &&
		    memcmp(e.ev.h.space, space, 16) == 0)
			epoch = e.ev.h.epoch;
	wl_store_iter_free(it);
	return epoch;
}

/* A request to change the ward's members: VERB is "add" or "remove". */
static int ward_member(struct fixture *f, const char *verb,
		       const char *username)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"space\":\"%s\",\"%s\":\"%s\"}",
		 f->ward_hex, verb, username);
	return request(f, WL_API_POST, "/api/spaces/members", NULL, body);
}

static int post_message(struct fixture *f, const char *space_hex,
			const char *text)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"space\":\"%s\",\"text\":\"%s\"}",
		 space_hex, text);
	return request(f, WL_API_POST, "/api/messages", NULL, body);
}

/* A nurse starts a direct conversation with another nurse, who is logged
 * in already. Both read its messages, its members stay fixed, and a third
 * person cannot read it. */
static void api_direct_conversation(void **state)
{
	struct fixture *f = *state;
	struct browser nora;
	char id[33], query[64], body[128];

	assert_int_equal(login(f, "nora", NORA_PW), 200);
	browser_save(f, &nora);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL,
				 "{\"kind\":\"direct\","
				 "\"members\":[\"nora\",\"nina\"]}"),
			 201);
	resp_string(f, "id", id, sizeof(id));
	assert_int_equal(strlen(id), 32);
	assert_int_equal(audit_count(f, "space_created", "nina", NULL), 1);
	assert_int_equal(post_message(f, id, "Can you cover bed 7 at six?"),
			 201);
	snprintf(query, sizeof(query), "space=%s", id);
	assert_int_equal(request(f, WL_API_GET, "/api/messages", query, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "Can you cover bed 7 at six?"));

	browser_use(f, &nora);
	assert_int_equal(request(f, WL_API_GET, "/api/spaces", NULL, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "\"name\":\"nina, nora\""));
	assert_int_equal(request(f, WL_API_GET, "/api/messages", query, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "Can you cover bed 7 at six?"));
	assert_non_null(strstr(f->resp.body, "\"author\":\"nina\""));
	assert_int_equal(post_message(f, id, "Yes, I will"), 201);

	snprintf(body, sizeof(body), "{\"space\":\"%s\",\"add\":\"carl\"}", id);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces/members", NULL,
				 body),
			 403);
	assert_int_equal(login(f, "carl", "clerk at the front desk"), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/messages", query, NULL),
			 403);
}

/* A nurse may create direct conversations only: a ward or a mailbox is
 * refused with 403 and an access_denied record, and bad requests get 400
 * or 404. An admin creates the ward. */
static void api_nurse_may_not_create_ward(void **state)
{
	struct fixture *f = *state;
	const char *ward = "{\"kind\":\"ward\",\"name\":\"6 North\","
			   "\"members\":[\"nina\"]}";

	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL, ward),
			 403);
	assert_int_equal(audit_count(f, "access_denied", "nina", "create ward"),
			 1);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL,
				 "{\"kind\":\"mailbox\",\"name\":\"Pharmacy\"}"),
			 403);
	assert_int_equal(audit_count(f, "access_denied", "nina",
				     "create role_mailbox"),
			 1);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL,
				 "{\"kind\":\"audit\",\"name\":\"Audit 2\"}"),
			 400);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL,
				 "{\"kind\":\"direct\",\"members\":[]}"),
			 400);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL,
				 "{\"kind\":\"direct\","
				 "\"members\":[\"nobody\"]}"),
			 404);
	assert_int_equal(request(f, WL_API_GET, "/api/spaces", NULL, NULL),
			 200);
	assert_null(strstr(f->resp.body, "6 North"));

	assert_int_equal(login(f, "alice", ADMIN_PW), 200);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL, ward),
			 201);
	assert_int_equal(audit_count(f, "space_created", "alice", NULL), 1);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces", NULL, ward),
			 409);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/spaces", NULL, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "6 North"));
}

/* An admin adds and removes a ward member, with audit records; a nurse may
 * not, and requests naming nobody or nothing are refused. */
static void api_members_add_remove(void **state)
{
	struct fixture *f = *state;
	char query[64];

	snprintf(query, sizeof(query), "space=%s", f->ward_hex);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(ward_member(f, "add", "nora"), 403);
	assert_int_equal(audit_count(f, "access_denied", "nina", "add_member"),
			 1);

	assert_int_equal(login(f, "alice", ADMIN_PW), 200);
	assert_int_equal(ward_member(f, "add", "nora"), 200);
	assert_non_null(strstr(f->resp.body, "\"epoch\":1"));
	assert_int_equal(audit_count(f, "member_added", "alice", "user nora"),
			 1);
	assert_int_equal(login(f, "nora", NORA_PW), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 200);
	assert_non_null(strstr(f->resp.body, "Hollis Quarrington"));

	assert_int_equal(login(f, "alice", ADMIN_PW), 200);
	assert_int_equal(ward_member(f, "remove", "nora"), 200);
	assert_non_null(strstr(f->resp.body, "\"epoch\":2"));
	assert_int_equal(audit_count(f, "member_removed", "alice",
				     "user nora"),
			 1);
	assert_int_equal(ward_member(f, "remove", "nora"), 409);
	assert_int_equal(ward_member(f, "remove", "alice"), 409);
	assert_int_equal(ward_member(f, "add", "nobody"), 404);
	assert_int_equal(request(f, WL_API_POST, "/api/spaces/members", NULL,
				 "{\"space\":\"0123\",\"add\":\"nora\"}"),
			 400);
	assert_int_equal(login(f, "nora", NORA_PW), 200);
	assert_int_equal(request(f, WL_API_GET, "/api/ward", query, NULL), 403);
}

/* After a removal, a nurse whose session began before it writes under the
 * new epoch. After a device revocation, her next message rotates the key
 * first instead of returning 409. */
static void api_removal_then_message(void **state)
{
	struct fixture *f = *state;
	unsigned char body[WL_REVOCATION_SIZE], node_pk[32];
	struct wl_feed_item it;
	struct wl_revocation r;
	struct browser nina;
	char query[64];

	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	browser_save(f, &nina);
	assert_int_equal(login(f, "alice", ADMIN_PW), 200);
	assert_int_equal(ward_member(f, "add", "nora"), 200);
	assert_int_equal(ward_member(f, "remove", "nora"), 200);

	browser_use(f, &nina);
	assert_int_equal(post_message(f, f->ward_hex, "Bed 4 recheck at 14"),
			 201);
	assert_int_equal(last_message_epoch(f, f->ward), 2);

	randombytes_buf(node_pk, sizeof(node_pk));
	wl_revocation_issue(f->site_sk, node_pk, wl_hlc_system_wall(NULL), &r);
	wl_revocation_encode(&r, body);
	memset(&it, 0, sizeof(it));
	it.kind = WL_KIND_REVOCATION;
	it.body = body;
	it.body_len = sizeof(body);
	assert_int_equal(wl_feed_append(f->store, f->id, &f->hlc, &it, 1, NULL,
					NULL),
			 0);
	assert_int_equal(post_message(f, f->ward_hex, "Bed 5 is clean"), 201);
	assert_int_equal(last_message_epoch(f, f->ward), 3);
	assert_int_equal(audit_count(f, "key_rotated", "nina",
				     "a device was revoked"),
			 1);
	snprintf(query, sizeof(query), "space=%s", f->ward_hex);
	assert_int_equal(request(f, WL_API_GET, "/api/messages", query, NULL),
			 200);
	assert_non_null(strstr(f->resp.body, "Bed 4 recheck at 14"));
	assert_non_null(strstr(f->resp.body, "Bed 5 is clean"));
}

/* A member who holds no key of the current epoch and may not seal one
 * still gets 409, and nothing is rotated. */
static void api_missing_key_409(void **state)
{
	struct fixture *f = *state;
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_space_change c;
	size_t len = 0;

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_ADD;
	memcpy(c.space_id, f->ward, 16);
	c.epoch = 1;
	memcpy(c.user, f->nora.user_id, 16);
	assert_int_equal(wl_space_change_encode(&c, json, sizeof(json), &len),
			 0);
	append(f, WL_KIND_MEMBERSHIP, f->admin_sk->sign_sk, json, len);

	assert_int_equal(login(f, "nora", NORA_PW), 200);
	assert_int_equal(post_message(f, f->ward_hex, "Anyone there?"), 409);
	assert_non_null(strstr(f->resp.body, "\"no_key\""));
	assert_int_equal(audit_count(f, "key_rotated", "nora", NULL), 0);
	assert_int_equal(login(f, "nina", NURSE_PW), 200);
	assert_int_equal(post_message(f, f->ward_hex, "Yes, on bed 4"), 201);
	assert_int_equal(last_message_epoch(f, f->ward), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(api_host_checked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_origin_and_type_checked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(api_login_cookie, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_csrf_required, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_ward_and_messages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(api_idle_lock_and_pin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_wrong_pins_end_session,
						setup, teardown),
		cmocka_unit_test_setup_teardown(api_direct_conversation,
						setup_long_idle, teardown),
		cmocka_unit_test_setup_teardown(api_nurse_may_not_create_ward,
						setup_long_idle, teardown),
		cmocka_unit_test_setup_teardown(api_members_add_remove,
						setup_long_idle, teardown),
		cmocka_unit_test_setup_teardown(api_removal_then_message,
						setup_long_idle, teardown),
		cmocka_unit_test_setup_teardown(api_missing_key_409,
						setup_long_idle, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	wl_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
