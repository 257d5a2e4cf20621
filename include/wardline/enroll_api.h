/* The enrollment routes of the local web UI, served while a device waits
 * for its certificate (web/enroll.html).
 *
 *   GET  /api/enroll  -> {"enrolled", "node", and once enrolled "name",
 *                         "site"}; no session needed, since the node id
 *                         is public (it is in the mDNS records)
 *   POST /api/enroll  {"token"} -> the same object after the certificate
 *                         was installed; then the node restarts to take
 *                         it up (see wl_enroll_api_env.installed)
 *
 * The same checks as the rest of the API apply: a Host header of this
 * node, and for the POST a JSON body from this node's own page (the
 * Origin, when the browser sends one). There is no login, because a
 * device that is not enrolled has no users yet. A token only binds this
 * node's key to the site that signed it. The POST is accepted only while
 * the node has no valid certificate. It is rejected for a site other than
 * the one whose key the data directory already contains.
 */
#ifndef WARDLINE_ENROLL_API_H
#define WARDLINE_ENROLL_API_H

#include "wardline/api.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/site.h"
#include "wardline/store.h"

struct wl_enroll_api_env {
	const char *data_dir;
	struct wl_store *store;
	const struct wl_identity *node;
	struct wl_hlc *hlc;
	/* The certificate this node runs with, or NULL when it has no
	 * valid one. */
	const struct wl_node_cert *cert;
	/* Called once after a POST installed a certificate and its response
	 * was handed to the transport. The node must restart to use it. */
	void (*installed)(void *arg);
	void *arg;
};

struct wl_enroll_api;

/* Make the enrollment routes for the Host and Origin values of CFG and the
 * node resources of ENV. Both are copied, and the pointers in ENV must
 * outlive the result. Returns 0 and *OUT, or WL_ENOMEM. */
int wl_enroll_api_new(const struct wl_api_config *cfg,
		      const struct wl_enroll_api_env *env,
		      struct wl_enroll_api **out);

/* Free EA. Accepts NULL. */
void wl_enroll_api_free(struct wl_enroll_api *ea);

/* Return 1 when PATH is an enrollment route, else 0. */
int wl_enroll_api_route(const char *path);

/* Handle REQ, one of the enrollment routes; DONE(CONN, response) is called
 * exactly once before this returns. */
void wl_enroll_api_handle(struct wl_enroll_api *ea,
			  const struct wl_api_request *req,
			  wl_api_done_fn done, void *conn);

#endif
