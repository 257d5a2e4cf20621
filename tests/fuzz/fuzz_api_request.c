/* libFuzzer target for the API's handling of browser requests: the
 * method, path, query, Host, Origin, Cookie, X-CSRF-Token, Content-Type
 * and body all come from the input (NUL-separated). The API runs on an
 * empty store of its own, so no request can log in. Every request must
 * get exactly one response, and nothing may crash, leak or read outside
 * the input. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wardline/api.h"
#include "wardline/json.h"

static char work[] = "/tmp/wardline-fuzz-api.XXXXXX";
static struct wl_api *api;
static struct wl_store *store;
static struct wl_identity *node;
static struct wl_hlc hlc;
static uv_loop_t loop;

/* Remove the store the API ran on when the fuzzer exits. */
static void remove_work(void)
{
	static const char *const files[] = {"data.mdb", "lock.mdb",
					    "node.key"};
	char path[96];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", work, files[i]);
		unlink(path);
	}
	rmdir(work);
}

int LLVMFuzzerInitialize(int *argc, char **argv_unused[])
{
	char *dir;
	struct wl_store_options opt = {0, 1};
	struct wl_api_config cfg;
	struct wl_api_env env;

	(void)argc;
	(void)argv_unused;
	if (sodium_init() < 0 || (dir = mkdtemp(work)) == NULL)
		abort();
	atexit(remove_work);
	wl_json_init();
	if (wl_identity_load_or_create(dir, &node, NULL) != 0 ||
	    wl_store_open(dir, &opt, &store) != 0 || uv_loop_init(&loop) != 0)
		abort();
	wl_hlc_init(&hlc, NULL, NULL, 60000, 0);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.hosts[0], sizeof(cfg.hosts[0]), "127.0.0.1:8080");
	cfg.n_hosts = 1;
	snprintf(cfg.origins[0], sizeof(cfg.origins[0]),
		 "http://127.0.0.1:8080");
	cfg.n_origins = 1;
	wl_session_policy_defaults(&cfg.policy);
	memset(&env, 0, sizeof(env));
	env.store = store;
	env.node = node;
	env.hlc = &hlc;
	env.loop = &loop;
	if (wl_api_new(&cfg, &env, &api) != 0)
		abort();
	return 0;
}

static int answers;

static void on_done(void *conn, struct wl_api_response *resp)
{
	(void)conn;
	answers++;
	if (resp->status < 200 || resp->status > 599)
		abort();
	free(resp->body);
}

/* Take the next NUL-terminated field of the input copy, or NULL. */
static char *next_field(char **p, char *end)
{
	char *s = *p;
	char *nul;

	if (s >= end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(end - s));
	*p = nul ? nul + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_api_request req;
	char *copy, *p, *end, *body;

	if (size < 1)
		return 0;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	p = copy;
	end = copy + size - 1;

	memset(&req, 0, sizeof(req));
	req.method = data[0] % 3 == 0   ? WL_API_GET
		     : data[0] % 3 == 1 ? WL_API_POST
					: WL_API_OTHER;
	req.path = next_field(&p, end);
	req.query = next_field(&p, end);
	/* A valid Host most of the time, so that the routes are reached. */
	req.host = data[0] & 0x80 ? next_field(&p, end) : "127.0.0.1:8080";
	req.origin = next_field(&p, end);
	req.cookie = next_field(&p, end);
	req.csrf = next_field(&p, end);
	req.content_type = data[0] & 0x40 ? next_field(&p, end)
					  : "application/json";
	body = p < end ? p : "";
	req.body = (const unsigned char *)body;
	req.body_len = (size_t)(end - p > 0 ? end - p : 0);

	answers = 0;
	wl_api_handle(api, &req, on_done, NULL);
	while (answers == 0 && uv_run(&loop, UV_RUN_NOWAIT) != 0)
		;
	if (answers != 1)
		abort();
	free(copy);
	return 0;
}
