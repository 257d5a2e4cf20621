/* wardline-node: the Wardline daemon. It opens its data directory (making
 * the node key on first start), checks its certificate, prints its node id
 * and runs its event loop until SIGINT or SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "wardline/config.h"
#include "wardline/error.h"
#include "wardline/identity.h"
#include "wardline/keyfile.h"
#include "wardline/log.h"
#include "wardline/site.h"
#include "wardline/store.h"

struct node {
	struct wl_config config;
	struct wl_identity *id;
	struct wl_store *store;
	int enrolled;
	uv_loop_t loop;
	uv_signal_t sigint;
	uv_signal_t sigterm;
};

static int parse_args(int argc, char **argv, struct wl_config *c)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"data-dir", required_argument, NULL, 'd'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *path = NULL;
	const char *data_dir = NULL;
	const char *level = NULL;
	char err[512];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			path = optarg;
		else if (o == 'd')
			data_dir = optarg;
		else if (o == 'l')
			level = optarg;
		else
			return -1;
	}
	if (optind != argc)
		return -1;

	wl_config_defaults(c);
	if (path && wl_config_load(path, c, err, sizeof(err)) != 0) {
		fprintf(stderr, "wardline-node: %s\n", err);
		return -1;
	}
	if (data_dir)
		snprintf(c->data_dir, sizeof(c->data_dir), "%s", data_dir);
	if (level && wl_log_level_parse(level, &c->log_level) != 0) {
		fprintf(stderr, "wardline-node: invalid --log-level '%s' "
				"(error, warn, info or debug)\n", level);
		return -1;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Check DATA_DIR/node.cert against DATA_DIR/site.pub. A node without a
 * valid certificate still runs, but peers will refuse it. */
static int check_certificate(struct node *n)
{
	struct wl_node_cert cert;
	unsigned char site_pk[32];
	char path[PATH_MAX];
	int rc;

	rc = wl_cert_load(n->config.data_dir, &cert);
	if (rc == WL_ENOTFOUND) {
		wl_warn("node", "node has no certificate; it will not talk to "
				"peers until an admin runs 'wardline enroll' "
				"dir=%s", n->config.data_dir);
		return 0;
	}
	if (rc == 0)
		rc = wl_path_join(path, sizeof(path), n->config.data_dir,
				  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, site_pk);
	if (rc == 0)
		rc = wl_cert_verify(&cert, site_pk, now_ms());
	if (rc == 0 && sodium_memcmp(cert.node_pk, n->id->pk, 32) != 0)
		rc = WL_ECERT;
	if (rc != 0) {
		wl_error("node", "node certificate is not valid for this node "
				 "and site; re-enroll it error=%s dir=%s",
			 wl_strerror_name(rc), n->config.data_dir);
		return 0;
	}
	n->enrolled = 1;
	wl_info("node", "node certificate valid name=%s", cert.name);
	return 0;
}

static int open_data_dir(struct node *n)
{
	struct wl_store_options opt = {0};
	char hex[65];
	int created = 0;
	int rc;

	if (mkdir(n->config.data_dir, 0700) != 0 && errno != EEXIST) {
		wl_error("node", "cannot create the data directory dir=%s "
				 "errno=%s", n->config.data_dir,
			 strerror(errno));
		return -1;
	}

	rc = wl_identity_load_or_create(n->config.data_dir, &n->id, &created);
	if (rc != 0) {
		wl_error("node", "cannot load the node key; check the file and "
				 "its mode (0600) dir=%s error=%s",
			 n->config.data_dir, wl_strerror_name(rc));
		return -1;
	}
	wl_identity_hex(n->id->pk, hex);
	if (created)
		wl_info("node", "made a new node key pair node=%s", hex);

	opt.initial_map_size = (size_t)n->config.initial_map_mb << 20;
	rc = wl_store_open(n->config.data_dir, &opt, &n->store);
	if (rc != 0) {
		wl_error("node", "cannot open the store dir=%s error=%s",
			 n->config.data_dir, wl_strerror_name(rc));
		return -1;
	}
	return check_certificate(n);
}

static void on_stop_signal(uv_signal_t *handle, int signum)
{
	struct node *n = handle->data;

	wl_info("node", "stopping signal=%s", strsignal(signum));
	uv_signal_stop(&n->sigint);
	uv_signal_stop(&n->sigterm);
	uv_stop(&n->loop);
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int run_loop(struct node *n)
{
	int rc;

	rc = uv_loop_init(&n->loop);
	if (rc == 0)
		rc = uv_signal_init(&n->loop, &n->sigint);
	if (rc == 0)
		rc = uv_signal_init(&n->loop, &n->sigterm);
	if (rc != 0) {
		wl_error("node", "event loop setup failed error=%s",
			 uv_strerror(rc));
		return -1;
	}
	n->sigint.data = n;
	n->sigterm.data = n;
	uv_signal_start(&n->sigint, on_stop_signal, SIGINT);
	uv_signal_start(&n->sigterm, on_stop_signal, SIGTERM);

	uv_run(&n->loop, UV_RUN_DEFAULT);

	uv_walk(&n->loop, close_handle, NULL);
	uv_run(&n->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&n->loop);
	if (rc != 0)
		wl_warn("node", "event loop closed with open handles error=%s",
			uv_strerror(rc));
	return 0;
}

int main(int argc, char **argv)
{
	struct node n;
	char hex[65];
	int rc = 1;

	memset(&n, 0, sizeof(n));
	if (parse_args(argc, argv, &n.config) != 0) {
		fprintf(stderr, "usage: wardline-node [--config FILE] "
				"[--data-dir DIR] [--log-level LEVEL]\n");
		return 2;
	}
	wl_log_set_level(n.config.log_level);
	wl_log_route_lws();
	if (sodium_init() < 0) {
		wl_error("node", "libsodium failed to initialise");
		return 1;
	}

	if (open_data_dir(&n) != 0)
		goto out;
	printf("node %s\n", wl_identity_hex(n.id->pk, hex));
	fflush(stdout);
	wl_info("node", "started node=%s dir=%s enrolled=%s", hex,
		n.config.data_dir, n.enrolled ? "yes" : "no");

	if (run_loop(&n) == 0)
		rc = 0;
	wl_info("node", "stopped node=%s", hex);

out:
	wl_store_close(n.store);
	wl_identity_free(n.id);
	return rc;
}
