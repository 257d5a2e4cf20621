/* The enrollment routes of the local web UI. */
#include "wardline/enroll_api.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/enroll.h"
#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/log.h"

#define MOD "enroll"

struct wl_enroll_api {
	struct wl_api_config cfg;
	struct wl_enroll_api_env env;
	struct wl_node_cert installed; /* valid once DONE is set */
	int done;                      /* a certificate was installed */
};

int wl_enroll_api_new(const struct wl_api_config *cfg,
		      const struct wl_enroll_api_env *env,
		      struct wl_enroll_api **out)
{
	struct wl_enroll_api *ea = calloc(1, sizeof(*ea));

	*out = NULL;
	if (ea == NULL)
		return WL_ENOMEM;
	ea->cfg = *cfg;
	ea->env = *env;
	*out = ea;
	return 0;
}

void wl_enroll_api_free(struct wl_enroll_api *ea)
{
	free(ea);
}

int wl_enroll_api_route(const char *path)
{
	return path != NULL && strcmp(path, "/api/enroll") == 0;
}

/* Respond with STATUS and the JSON object O (taken). */
static void reply(wl_api_done_fn done, void *conn, int status, json_t *o)
{
	wl_api_reply(done, conn, status, o, NULL);
}

static void fail(wl_api_done_fn done, void *conn, int status,
		 const char *error, const char *message)
{
	reply(done, conn, status,
	      json_pack("{s:s, s:s}", "error", error, "message", message));
}

/* The state object of GET and of a successful POST. */
static json_t *state_json(const struct wl_enroll_api *ea)
{
	const struct wl_node_cert *cert =
		ea->done ? &ea->installed : ea->env.cert;
	unsigned char site_id[WL_SITE_ID_SIZE];
	char node_hex[65];
	char site_hex[2 * WL_SITE_ID_SIZE + 1];

	wl_identity_hex(ea->env.node->pk, node_hex);
	if (cert == NULL)
		return json_pack("{s:b, s:s}", "enrolled", 0, "node", node_hex);

	wl_site_id(cert->site_pk, site_id);
	sodium_bin2hex(site_hex, sizeof(site_hex), site_id, sizeof(site_id));
	return json_pack("{s:b, s:s, s:s, s:s, s:b}", "enrolled", 1, "node",
			 node_hex, "name", cert->name, "site", site_hex,
			 "restarting", ea->done);
}

/* Read the token text out of the JSON body {"token": TEXT}. On success
 * *O is the parsed body, which owns *TEXT. */
static int body_token(const struct wl_api_request *req, json_t **o,
		      const char **text, size_t *len)
{
	const char *field = NULL;
	int rc;

	*o = NULL;
	rc = wl_json_load_object(req->body, req->body_len, WL_API_BODY_MAX, o);
	if (rc == 0 && json_object_size(*o) != 1)
		rc = WL_EINVAL;
	if (rc == 0)
		rc = wl_json_get_string(*o, "token", text, len, &field);
	if (rc != 0) {
		json_decref(*o);
		*o = NULL;
	}
	return rc;
}

/* Respond to a token that does not decode, naming what is wrong. */
static void fail_decode(wl_api_done_fn done, void *conn, int rc)
{
	if (rc == WL_EVERSION)
		fail(done, conn, 400, "invalid_token",
		     "This is not an enrollment token: a token starts with "
		     WL_ENROLL_TOKEN_PREFIX ". Copy the whole line that "
		     "'wardline enroll-token' printed.");
	else if (rc == WL_EINVAL || rc == WL_ETRUNC || rc == WL_ETRAILING)
		fail(done, conn, 400, "damaged_token",
		     "The token is damaged or incomplete. Copy it again.");
	else
		fail(done, conn, 400, "invalid_token",
		     "The token holds an invalid certificate. Ask the admin "
		     "for a new token.");
}

/* Respond to a certificate that CHECK refused (RC), and log why. */
static void fail_check(struct wl_enroll_api *ea,
		       const struct wl_node_cert *cert, int rc,
		       wl_api_done_fn done, void *conn)
{
	char mine[17];
	char theirs[17];

	wl_log_shortid(mine, ea->env.node->pk);
	wl_log_shortid(theirs, cert->node_pk);
	wl_warn(MOD, "enrollment token rejected; ask the admin for a token "
		     "for this node error=%s node=%s token_node=%s",
		wl_strerror_name(rc), mine, theirs);
	if (memcmp(cert->node_pk, ea->env.node->pk, 32) != 0)
		fail(done, conn, 400, "wrong_node",
		     "The token was made for another device. Ask the admin "
		     "for a token for the node key shown on this page.");
	else if (rc == WL_EAUTH)
		fail(done, conn, 400, "invalid_token",
		     "The token's signature is invalid. Ask the admin for a "
		     "new token.");
	else
		fail(done, conn, 400, "expired_token",
		     "The token has expired or is not valid yet. Check the "
		     "date and time of this device, or ask the admin for a "
		     "new token.");
}

/* Install CERT; respond and log. Returns 0 when installed. */
static int install(struct wl_enroll_api *ea, const struct wl_node_cert *cert,
		   wl_api_done_fn done, void *conn)
{
	char node[17];
	char site[17];
	int rc;

	/* A node whose certificate is missing or invalid replaces it. */
	rc = wl_enroll_install(ea->env.data_dir, ea->env.store, ea->env.node,
			       ea->env.hlc, cert, 1);
	wl_log_shortid(node, ea->env.node->pk);
	wl_log_shortid(site, cert->site_pk);
	if (rc == WL_ECERT) {
		wl_warn(MOD, "enrollment token of another site rejected; this "
			     "data directory belongs to a site already "
			     "node=%s token_site=%s", node, site);
		fail(done, conn, 409, "other_site",
		     "This device holds the data of another site and cannot "
		     "join this one.");
		return rc;
	}
	if (rc != 0) {
		wl_error(MOD, "cannot install the certificate; check the data "
			      "directory and its free space error=%s node=%s "
			      "dir=%s",
			 wl_strerror_name(rc), node, ea->env.data_dir);
		fail(done, conn, 500, "install_failed",
		     "The certificate could not be saved. See the node's "
		     "log.");
		return rc;
	}

	wl_info(MOD, "enrolled through the web UI; restarting to link to "
		     "peers node=%s name=%s site_key=%s",
		node, cert->name, site);
	return 0;
}

static void route_post(struct wl_enroll_api *ea,
		       const struct wl_api_request *req, wl_api_done_fn done,
		       void *conn)
{
	struct wl_node_cert cert;
	json_t *body = NULL;
	const char *text = NULL;
	size_t len = 0;
	int rc;

	if (ea->env.cert != NULL || ea->done) {
		fail(done, conn, 409, "enrolled",
		     "This device is enrolled already.");
		return;
	}
	if (body_token(req, &body, &text, &len) != 0) {
		fail(done, conn, 400, "bad_request",
		     "The request body must be {\"token\": TEXT}.");
		return;
	}
	rc = wl_enroll_token_decode(text, len, &cert);
	json_decref(body);
	if (rc != 0) {
		fail_decode(done, conn, rc);
		return;
	}

	rc = wl_enroll_check(&cert, ea->env.node->pk,
			     wl_hlc_system_wall(NULL));
	if (rc != 0) {
		fail_check(ea, &cert, rc, done, conn);
		return;
	}
	if (install(ea, &cert, done, conn) != 0)
		return;

	ea->installed = cert;
	ea->done = 1;
	reply(done, conn, 200, state_json(ea));
	if (ea->env.installed != NULL)
		ea->env.installed(ea->env.arg);
}

void wl_enroll_api_handle(struct wl_enroll_api *ea,
			  const struct wl_api_request *req,
			  wl_api_done_fn done, void *conn)
{
	if (!wl_api_host_allowed(&ea->cfg, req->host)) {
		fail(done, conn, 421, "misdirected", "unknown Host header");
		return;
	}
	if (req->method == WL_API_GET) {
		reply(done, conn, 200, state_json(ea));
		return;
	}
	if (req->method != WL_API_POST) {
		fail(done, conn, 405, "method", "use GET or POST");
		return;
	}
	if (!wl_api_post_allowed(&ea->cfg, req)) {
		fail(done, conn, 403, "forbidden",
		     "state changes need JSON from this node's own page");
		return;
	}
	if (req->body_len > WL_API_BODY_MAX) {
		fail(done, conn, 413, "too_large", "request body too large");
		return;
	}
	route_post(ea, req, done, conn);
}
