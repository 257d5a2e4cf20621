#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wardline/enroll.h"
#include "wardline/enroll_api.h"
#include "wardline/error.h"
#include "wardline/keyfile.h"

#define NOW 1796400000000ull /* 2026-12-04, Unix milliseconds */
#define DAY_MS 86400000ull

struct fixture {
	char *site_dir;
	char *data_dir;
	unsigned char *site_sk;
	unsigned char site_pk[32];
	struct wl_identity *id;
	struct wl_store *store;
	struct wl_hlc hlc;
	struct wl_node_cert cert; /* for ID, valid at NOW */
	char token[WL_ENROLL_TOKEN_SIZE];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_store_options opt = {.no_sync = 1};

	f->site_dir = testutil_mkdtemp();
	f->data_dir = testutil_mkdtemp();
	if (wl_site_create(f->site_dir, f->site_pk) != 0 ||
	    wl_site_load_secret(f->site_dir, &f->site_sk, f->site_pk) != 0 ||
	    wl_identity_load_or_create(f->data_dir, &f->id, NULL) != 0 ||
	    wl_store_open(f->data_dir, &opt, &f->store) != 0)
		return -1;
	wl_hlc_init(&f->hlc, NULL, NULL, 60000, 0);
	if (wl_cert_issue(f->site_sk, f->id->pk, "station-1", NOW, 0,
			  &f->cert) != 0 ||
	    wl_enroll_token_encode(&f->cert, f->token, sizeof(f->token)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_store_close(f->store);
	wl_identity_free(f->id);
	sodium_free(f->site_sk);
	testutil_rmdir(f->site_dir);
	testutil_rmdir(f->data_dir);
	free(f);
	return 0;
}

static int decode(const char *text, struct wl_node_cert *cert)
{
	return wl_enroll_token_decode(text, strlen(text), cert);
}

static void token_round_trip(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert d;

	assert_int_equal(strlen(f->token), WL_ENROLL_TOKEN_SIZE - 1);
	assert_memory_equal(f->token, WL_ENROLL_TOKEN_PREFIX,
			    strlen(WL_ENROLL_TOKEN_PREFIX));
	assert_int_equal(decode(f->token, &d), 0);
	assert_string_equal(d.name, "station-1");
	assert_memory_equal(d.node_pk, f->id->pk, 32);
	assert_memory_equal(d.site_pk, f->site_pk, 32);
	assert_memory_equal(d.sig, f->cert.sig, 64);
	assert_int_equal(wl_enroll_check(&d, f->id->pk, NOW), 0);
}

static void token_encode_small_buffer(void **state)
{
	struct fixture *f = *state;
	char small[WL_ENROLL_TOKEN_SIZE - 1];

	assert_int_equal(wl_enroll_token_encode(&f->cert, small, sizeof(small)),
			 WL_ERANGE);
}

static void token_whitespace_ignored(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert d;
	char wrapped[2 * WL_ENROLL_TOKEN_SIZE];
	size_t out = 0;

	/* Leading blanks, a line break every 40 characters and a trailing
	 * newline, as a token pasted from a mail or a terminal may have. */
	out += (size_t)sprintf(wrapped, "  \n");
	for (size_t i = 0; f->token[i] != '\0'; i++) {
		wrapped[out++] = f->token[i];
		if (i % 40 == 39)
			wrapped[out++] = '\n';
	}
	strcpy(wrapped + out, "\r\n");
	assert_int_equal(decode(wrapped, &d), 0);
	assert_memory_equal(d.node_pk, f->id->pk, 32);
}

static void token_bad_prefix(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert d;
	char copy[WL_ENROLL_TOKEN_SIZE];

	assert_int_equal(decode("", &d), WL_EVERSION);
	assert_int_equal(decode("WLT1", &d), WL_EVERSION);
	strcpy(copy, f->token);
	copy[3] = '2';
	assert_int_equal(decode(copy, &d), WL_EVERSION);
	assert_int_equal(decode(f->token + 5, &d), WL_EVERSION);
}

static void token_damaged_digit(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert d;
	char copy[WL_ENROLL_TOKEN_SIZE];
	size_t prefix = strlen(WL_ENROLL_TOKEN_PREFIX);
	int rc;

	/* Every changed digit is caught by the check bytes or, in the last
	 * digit's unused bits, by base64 itself. */
	for (size_t i = prefix; f->token[i] != '\0'; i++) {
		strcpy(copy, f->token);
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		rc = decode(copy, &d);
		assert_int_equal(rc, WL_EINVAL);
	}
	strcpy(copy, f->token);
	copy[prefix + 10] = '+';
	assert_int_equal(decode(copy, &d), WL_EINVAL);
	copy[prefix + 10] = '=';
	assert_int_equal(decode(copy, &d), WL_EINVAL);
}

static void token_wrong_length(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert d;
	char copy[2 * WL_ENROLL_TOKEN_SIZE];
	size_t len = strlen(f->token);

	/* 240 of the 246 digits decode to 180 whole bytes. */
	strcpy(copy, f->token);
	copy[len - 6] = '\0';
	assert_int_equal(decode(copy, &d), WL_ETRUNC);
	strcpy(copy, WL_ENROLL_TOKEN_PREFIX);
	assert_int_equal(decode(copy, &d), WL_ETRUNC);

	strcpy(copy, f->token);
	strcat(copy, "AAAA");
	assert_int_equal(decode(copy, &d), WL_ETRAILING);
	strcpy(copy, f->token);
	strcat(copy, f->token + strlen(WL_ENROLL_TOKEN_PREFIX));
	assert_int_equal(decode(copy, &d), WL_ETRAILING);

	/* LEN counts, not the NUL: a token cut short by LEN is truncated. */
	assert_int_equal(wl_enroll_token_decode(f->token, len - 6, &d),
			 WL_ETRUNC);
}

static void token_check_wrong_node(void **state)
{
	struct fixture *f = *state;
	unsigned char other_pk[32];
	unsigned char other_sk[64];
	struct wl_node_cert d;

	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(decode(f->token, &d), 0);
	assert_int_equal(wl_enroll_check(&d, other_pk, NOW), WL_ECERT);
}

static void token_check_forged(void **state)
{
	struct fixture *f = *state;
	unsigned char other_pk[32];
	unsigned char other_sk[64];
	struct wl_node_cert forged;
	char token[WL_ENROLL_TOKEN_SIZE];
	struct wl_node_cert d;

	/* A certificate signed by another key but naming our site: the check
	 * bytes match, the signature does not. */
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(wl_cert_issue(other_sk, f->id->pk, "station-1", NOW,
				       0, &forged), 0);
	memcpy(forged.site_pk, f->site_pk, 32);
	assert_int_equal(wl_enroll_token_encode(&forged, token, sizeof(token)),
			 0);
	assert_int_equal(decode(token, &d), 0);
	assert_int_equal(wl_enroll_check(&d, f->id->pk, NOW), WL_EAUTH);
}

static void token_check_expired(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert c;

	assert_int_equal(wl_cert_issue(f->site_sk, f->id->pk, "station-1", NOW,
				       NOW + DAY_MS, &c), 0);
	assert_int_equal(wl_enroll_check(&c, f->id->pk, NOW), 0);
	assert_int_equal(wl_enroll_check(&c, f->id->pk, NOW + DAY_MS),
			 WL_ECERT);
	assert_int_equal(wl_enroll_check(&c, f->id->pk, NOW - 2 * DAY_MS),
			 WL_ECERT);
}

static void install_writes_files(void **state)
{
	struct fixture *f = *state;
	struct wl_node_cert loaded;
	struct wl_store_head head;
	unsigned char site_pk[32];
	char path[512];
	struct stat st;

	assert_int_equal(wl_enroll_install(f->data_dir, f->store, f->id,
					   &f->hlc, &f->cert, 0), 0);
	assert_int_equal(wl_cert_load(f->data_dir, &loaded), 0);
	assert_memory_equal(loaded.sig, f->cert.sig, 64);
	snprintf(path, sizeof(path), "%s/%s", f->data_dir, WL_NODE_CERT_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	snprintf(path, sizeof(path), "%s/%s", f->data_dir, WL_SITE_PUB_FILE);
	assert_int_equal(wl_site_load_public(path, site_pk), 0);
	assert_memory_equal(site_pk, f->site_pk, 32);

	/* The certificate is the first event of the node's own feed. */
	assert_int_equal(wl_store_head(f->store, f->id->pk, &head), 0);
	assert_int_equal(head.seq, 1);

	assert_int_equal(wl_enroll_install(f->data_dir, f->store, f->id,
					   &f->hlc, &f->cert, 0), WL_EEXIST);
	assert_int_equal(wl_enroll_install(f->data_dir, f->store, f->id,
					   &f->hlc, &f->cert, 1), 0);
}

static void install_rejects_other_site(void **state)
{
	struct fixture *f = *state;
	unsigned char other_pk[32];
	unsigned char other_sk[64];
	struct wl_node_cert c;
	char path[512];

	crypto_sign_keypair(other_pk, other_sk);
	snprintf(path, sizeof(path), "%s/%s", f->data_dir, WL_SITE_PUB_FILE);
	assert_int_equal(wl_keyfile_write(path, other_pk, 32, 0644, 0), 0);
	assert_int_equal(wl_enroll_install(f->data_dir, f->store, f->id,
					   &f->hlc, &f->cert, 1), WL_ECERT);
	snprintf(path, sizeof(path), "%s/%s", f->data_dir, WL_NODE_CERT_FILE);
	assert_int_equal(access(path, F_OK), -1);

	/* Nor is another node's certificate installed. */
	assert_int_equal(wl_cert_issue(f->site_sk, other_pk, "station-2", NOW,
				       0, &c), 0);
	assert_int_equal(wl_enroll_install(f->data_dir, f->store, f->id,
					   &f->hlc, &c, 1), WL_ECERT);
}

/* ---- the HTTP routes ---- */

struct captured {
	int calls;
	int status;
	char body[1024];
};

static void capture(void *conn, struct wl_api_response *resp)
{
	struct captured *c = conn;

	c->calls++;
	c->status = resp->status;
	snprintf(c->body, sizeof(c->body), "%.*s", (int)resp->len,
		 resp->body ? resp->body : "");
	free(resp->body);
}

static int restarts;

static void count_restart(void *arg)
{
	(void)arg;
	restarts++;
}

static struct wl_enroll_api *make_api(struct fixture *f,
				      const struct wl_node_cert *cert)
{
	struct wl_api_config cfg;
	struct wl_enroll_api_env env;
	struct wl_enroll_api *ea = NULL;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.hosts[0], "127.0.0.1:8080");
	strcpy(cfg.origins[0], "http://127.0.0.1:8080");
	cfg.n_hosts = 1;
	cfg.n_origins = 1;
	memset(&env, 0, sizeof(env));
	env.data_dir = f->data_dir;
	env.store = f->store;
	env.node = f->id;
	env.hlc = &f->hlc;
	env.cert = cert;
	env.installed = count_restart;
	assert_int_equal(wl_enroll_api_new(&cfg, &env, &ea), 0);
	restarts = 0;
	return ea;
}

static struct captured call(struct wl_enroll_api *ea, enum wl_api_method m,
			    const char *origin, const char *body)
{
	struct wl_api_request req;
	struct captured c;

	memset(&c, 0, sizeof(c));
	memset(&req, 0, sizeof(req));
	req.method = m;
	req.path = "/api/enroll";
	req.host = "127.0.0.1:8080";
	req.origin = origin;
	req.content_type = "application/json";
	req.body = (const unsigned char *)body;
	req.body_len = body ? strlen(body) : 0;
	wl_enroll_api_handle(ea, &req, capture, &c);
	assert_int_equal(c.calls, 1);
	return c;
}

static void api_route_names(void **state)
{
	(void)state;
	assert_true(wl_enroll_api_route("/api/enroll"));
	assert_false(wl_enroll_api_route("/api/enroll/x"));
	assert_false(wl_enroll_api_route("/api/login"));
	assert_false(wl_enroll_api_route(NULL));
}

static void api_get_shows_node(void **state)
{
	struct fixture *f = *state;
	struct wl_enroll_api *ea = make_api(f, NULL);
	struct captured c = call(ea, WL_API_GET, NULL, NULL);
	char hex[65];

	assert_int_equal(c.status, 200);
	assert_non_null(strstr(c.body, "\"enrolled\":false"));
	assert_non_null(strstr(c.body, wl_identity_hex(f->id->pk, hex)));
	wl_enroll_api_free(ea);
}

static void api_post_enrolls(void **state)
{
	struct fixture *f = *state;
	struct wl_enroll_api *ea = make_api(f, NULL);
	char body[512];
	struct captured c;

	snprintf(body, sizeof(body), "{\"token\": \"%s\\n\"}", f->token);
	c = call(ea, WL_API_POST, "http://127.0.0.1:8080", body);
	assert_int_equal(c.status, 200);
	assert_non_null(strstr(c.body, "\"enrolled\":true"));
	assert_non_null(strstr(c.body, "\"name\":\"station-1\""));
	assert_int_equal(restarts, 1);

	/* A second token while the node restarts is rejected. */
	c = call(ea, WL_API_POST, NULL, body);
	assert_int_equal(c.status, 409);
	assert_int_equal(restarts, 1);
	c = call(ea, WL_API_GET, NULL, NULL);
	assert_non_null(strstr(c.body, "\"restarting\":true"));
	wl_enroll_api_free(ea);
}

static void api_post_rejects(void **state)
{
	struct fixture *f = *state;
	struct wl_enroll_api *ea = make_api(f, NULL);
	unsigned char other_pk[32];
	unsigned char other_sk[64];
	struct wl_node_cert other;
	char token[WL_ENROLL_TOKEN_SIZE];
	char body[512];
	struct captured c;

	c = call(ea, WL_API_POST, "http://evil.example", "{\"token\":\"x\"}");
	assert_int_equal(c.status, 403);
	c = call(ea, WL_API_POST, NULL, "{\"token\": 5}");
	assert_int_equal(c.status, 400);
	c = call(ea, WL_API_POST, NULL, "{\"token\":\"x\",\"more\":1}");
	assert_int_equal(c.status, 400);
	c = call(ea, WL_API_POST, NULL, "not json");
	assert_int_equal(c.status, 400);
	c = call(ea, WL_API_POST, NULL, "{\"token\":\"hello\"}");
	assert_int_equal(c.status, 400);
	assert_non_null(strstr(c.body, "invalid_token"));
	c = call(ea, WL_API_POST, NULL, "{\"token\":\"WLT1.AAAA\"}");
	assert_int_equal(c.status, 400);
	assert_non_null(strstr(c.body, "damaged_token"));

	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(wl_cert_issue(f->site_sk, other_pk, "station-2", NOW,
				       0, &other), 0);
	assert_int_equal(wl_enroll_token_encode(&other, token, sizeof(token)),
			 0);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	c = call(ea, WL_API_POST, NULL, body);
	assert_int_equal(c.status, 400);
	assert_non_null(strstr(c.body, "wrong_node"));
	assert_int_equal(restarts, 0);
	assert_int_equal(wl_cert_load(f->data_dir, &other), WL_ENOTFOUND);
	wl_enroll_api_free(ea);
}

static void api_post_when_enrolled(void **state)
{
	struct fixture *f = *state;
	struct wl_enroll_api *ea = make_api(f, &f->cert);
	struct wl_api_request req;
	char body[512];
	struct captured c;

	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", f->token);
	c = call(ea, WL_API_POST, NULL, body);
	assert_int_equal(c.status, 409);
	assert_int_equal(restarts, 0);
	c = call(ea, WL_API_GET, NULL, NULL);
	assert_non_null(strstr(c.body, "\"enrolled\":true"));

	memset(&c, 0, sizeof(c));
	memset(&req, 0, sizeof(req));
	req.method = WL_API_GET;
	req.path = "/api/enroll";
	req.host = "wardline.example:8080";
	wl_enroll_api_handle(ea, &req, capture, &c);
	assert_int_equal(c.status, 421);
	wl_enroll_api_free(ea);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(token_round_trip),
		T(token_encode_small_buffer),
		T(token_whitespace_ignored),
		T(token_bad_prefix),
		T(token_damaged_digit),
		T(token_wrong_length),
		T(token_check_wrong_node),
		T(token_check_forged),
		T(token_check_expired),
		T(install_writes_files),
		T(install_rejects_other_site),
		cmocka_unit_test(api_route_names),
		T(api_get_shows_node),
		T(api_post_enrolls),
		T(api_post_rejects),
		T(api_post_when_enrolled),
	};
#undef T

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
