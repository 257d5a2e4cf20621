/* wardline init-site and wardline enroll. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/feed.h"
#include "wardline/identity.h"
#include "wardline/keyfile.h"
#include "wardline/site.h"

int wl_cmd_init_site(struct wl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"site-dir", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *usage = "--site-dir DIR";
	const char *site_dir = NULL;
	unsigned char pk[32];
	unsigned char id[WL_SITE_ID_SIZE];
	char hex[65];
	int c;
	int rc;

	(void)cli;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			site_dir = optarg;
		else
			return wl_cli_usage(argv[0], usage);
	}
	if (site_dir == NULL || optind != argc)
		return wl_cli_usage(argv[0], usage);

	if (mkdir(site_dir, 0700) != 0 && access(site_dir, W_OK) != 0) {
		fprintf(stderr, "wardline: cannot create the site folder %s: "
				"%s (its parent folder must exist and be "
				"writable)\n", site_dir, strerror(errno));
		return 1;
	}
	rc = wl_site_create(site_dir, pk);
	if (rc == WL_EEXIST) {
		fprintf(stderr, "wardline: %s already holds a site key; "
				"refusing to replace it\n", site_dir);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot create the site in %s: %s\n",
			site_dir, wl_strerror(rc));
		return 1;
	}

	wl_site_id(pk, id);
	printf("site created in %s\nsite key %s\n", site_dir,
	       sodium_bin2hex(hex, sizeof(hex), pk, 32));
	printf("site id %s\n", sodium_bin2hex(hex, sizeof(hex), id, sizeof(id)));
	printf("Keep %s/%s offline or on the admin's device only.\n", site_dir,
	       WL_SITE_KEY_FILE);
	return 0;
}

struct enroll_args {
	const char *site_dir;
	const char *data_dir;
	const char *name;
	long days;
	int force;
};

static int enroll_parse(int argc, char **argv, struct enroll_args *a)
{
	static const struct option opts[] = {
		{"site-dir", required_argument, NULL, 's'},
		{"data-dir", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"days", required_argument, NULL, 'D'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			a->site_dir = optarg;
		else if (c == 'd')
			a->data_dir = optarg;
		else if (c == 'n')
			a->name = optarg;
		else if (c == 'f')
			a->force = 1;
		else if (c == 'D') {
			a->days = strtol(optarg, &end, 10);
			if (*end != '\0' || a->days < 1 || a->days > 36500)
				return -1;
		} else
			return -1;
	}
	return a->site_dir && a->name && optind == argc ? 0 : -1;
}

/* Write the certificate files and record the certificate in the node's own
 * feed, so that every peer that replicates the feed can check it. */
static int enroll_write(const struct wl_cli *cli, const struct wl_identity *id,
			const struct wl_node_cert *cert, int force)
{
	unsigned char buf[WL_CERT_SIZE];
	char path[PATH_MAX];
	struct wl_store *store = NULL;
	struct wl_feed_item item;
	struct wl_hlc hlc;
	uint64_t seq = 0;
	int rc;

	wl_cert_encode(cert, buf);
	rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
			  WL_NODE_CERT_FILE);
	if (rc == 0)
		rc = wl_keyfile_write(path, buf, sizeof(buf), 0644, force);
	if (rc == WL_EEXIST) {
		fprintf(stderr, "wardline: %s exists; this node is already "
				"enrolled (use --force to issue a new "
				"certificate)\n", path);
		return 1;
	}
	if (rc == 0)
		rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
				  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_keyfile_write(path, cert->site_pk, 32, 0644, 1);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot write %s: %s\n", path,
			wl_strerror(rc));
		return 1;
	}

	if (wl_cli_open_store(cli, &store) != 0)
		return 1;
	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_NODE_CERT;
	item.body = buf;
	item.body_len = sizeof(buf);
	wl_hlc_init(&hlc, NULL, NULL, cli->config.max_skew_ms, 0);
	rc = wl_feed_append(store, id, &hlc, &item, 1, NULL, &seq);
	wl_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot append the certificate "
				"event: %s\n", wl_strerror(rc));
		return 1;
	}
	return 0;
}

int wl_cmd_enroll(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "--site-dir DIR --name NAME [--data-dir DIR] "
			    "[--days N] [--force]";
	struct enroll_args a;
	struct wl_identity *id = NULL;
	struct wl_node_cert cert;
	unsigned char *site_sk = NULL;
	unsigned char site_pk[32];
	uint64_t now = wl_hlc_system_wall(NULL);
	char hex[65];
	int rc;

	if (enroll_parse(argc, argv, &a) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_site_name_check(a.name) != 0) {
		fprintf(stderr, "wardline: invalid --name '%s': use 1 to %d "
				"of a-z, 0-9, '-' and '.'\n", a.name,
			WL_CERT_NAME_MAX);
		return 2;
	}
	if (wl_cli_load_config(cli, a.data_dir) != 0)
		return 1;
	mkdir(cli->config.data_dir, 0700);

	rc = wl_site_load_secret(a.site_dir, &site_sk, site_pk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot load the site key from %s: "
				"%s\n", a.site_dir, wl_strerror(rc));
		return 1;
	}
	rc = wl_identity_load_or_create(cli->config.data_dir, &id, NULL);
	if (rc == 0)
		rc = wl_cert_issue(site_sk, id->pk, a.name, now,
				   a.days ? now + (uint64_t)a.days * 86400000
					  : 0,
				   &cert);
	sodium_free(site_sk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot issue the certificate for "
				"%s: %s\n", cli->config.data_dir,
			wl_strerror(rc));
		wl_identity_free(id);
		return 1;
	}

	rc = enroll_write(cli, id, &cert, a.force);
	if (rc == 0)
		printf("enrolled node %s as %s; restart its wardline-node "
		       "if it runs, since it reads the certificate at start\n",
		       wl_identity_hex(id->pk, hex), a.name);
	wl_identity_free(id);
	return rc;
}
