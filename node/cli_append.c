/* wardline append: write test events to this node's own feed. The crash
 * test uses it: each seq is printed only after its commit returned, so a
 * printed seq must survive any kill. With --audit it writes synthetic
 * audit records sealed for the site's audit space, for the audit
 * benchmarks. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/identity.h"
#include "wardline/keyfile.h"
#include "wardline/site.h"

#define APPEND_BATCH_MAX 1000

struct append_args {
	const char *data_dir;
	long count;
	long batch;
	long body_size;
	int audit; /* sealed audit records instead of test events */
};

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	return *end == '\0' && *out >= min && *out <= max ? 0 : -1;
}

static int append_parse(int argc, char **argv, struct append_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'c'},
		{"batch", required_argument, NULL, 'b'},
		{"body-size", required_argument, NULL, 's'},
		{"audit", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int rc = 0;
	int c;

	a->data_dir = NULL;
	a->count = 1;
	a->batch = 1;
	a->body_size = 600;
	a->audit = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			a->data_dir = optarg;
		else if (c == 'c')
			rc = parse_long(optarg, 1, 100000000, &a->count);
		else if (c == 'b')
			rc = parse_long(optarg, 1, APPEND_BATCH_MAX, &a->batch);
		else if (c == 's')
			rc = parse_long(optarg, 0, 65536, &a->body_size);
		else if (c == 'a')
			a->audit = 1;
		else
			rc = -1;
	}
	return rc == 0 && optind == argc ? 0 : -1;
}

/* Fill ITEM with the I-th synthetic audit record, sealed for the audit
 * space of SPACES, in D. */
static int audit_item(const struct wl_spaces *spaces, long i,
		      struct wl_audit_draft *d, struct wl_feed_item *item)
{
	struct wl_audit_record rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.action, sizeof(rec.action), "%s",
		 i % 3 ? "record_viewed" : "login");
	snprintf(rec.outcome, sizeof(rec.outcome), "ok");
	snprintf(rec.username, sizeof(rec.username), "bench%ld", i % 40);
	snprintf(rec.patient, sizeof(rec.patient), "patient/p%ld", i % 500);
	snprintf(rec.detail, sizeof(rec.detail), "view=record n=%ld", i);
	rec.at_ms = wl_hlc_system_wall(NULL);
	rc = wl_audit_draft(spaces, &rec, d);
	if (rc == 0)
		*item = d->item;
	return rc;
}

/* Append A->count test events with random bodies, or synthetic audit
 * records when SPACES is not NULL, A->batch per commit. */
static int append_run(struct wl_store *store, const struct wl_identity *id,
		      struct wl_hlc *hlc, const struct append_args *a,
		      const struct wl_spaces *spaces)
{
	struct wl_audit_draft *drafts = NULL;
	struct wl_feed_item items[APPEND_BATCH_MAX];
	unsigned char *bodies;
	uint64_t last = 0;
	long done = 0;
	int rc = 0;

	bodies = malloc((size_t)a->batch * (size_t)(a->body_size + 1));
	if (spaces != NULL)
		drafts = calloc((size_t)a->batch, sizeof(*drafts));
	if (bodies == NULL || (spaces != NULL && drafts == NULL)) {
		free(bodies);
		return WL_ENOMEM;
	}

	while (rc == 0 && done < a->count) {
		long n = a->count - done < a->batch ? a->count - done : a->batch;

		for (long i = 0; spaces != NULL && rc == 0 && i < n; i++)
			rc = audit_item(spaces, done + i, &drafts[i], &items[i]);
		for (long i = 0; spaces == NULL && i < n; i++) {
			memset(&items[i], 0, sizeof(items[i]));
			items[i].kind = WL_KIND_TEST;
			items[i].body = bodies + i * (a->body_size + 1);
			items[i].body_len = (size_t)a->body_size;
			randombytes_buf(bodies + i * (a->body_size + 1),
					(size_t)a->body_size);
		}
		if (rc == 0)
			rc = wl_feed_append(store, id, hlc, items, (size_t)n,
					    NULL, &last);
		for (long i = 0; rc == 0 && i < n; i++)
			printf("seq %" PRIu64 "\n", last - (uint64_t)(n - 1 - i));
		fflush(stdout);
		done += n;
	}
	free(bodies);
	free(drafts);
	return rc;
}

/* Append synthetic audit records: the users and spaces of the store give
 * the audit space's public key. */
static int append_audit(struct wl_cli *cli, const struct append_args *a,
			struct wl_store *store, const struct wl_identity *id,
			struct wl_hlc *hlc)
{
	struct wl_users *users = NULL;
	struct wl_spaces *spaces = NULL;
	unsigned char site_pk[32];
	char path[4096];
	int rc;

	rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
			  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, site_pk);
	if (rc == 0)
		rc = wl_users_new(site_pk, &users);
	if (rc == 0)
		rc = wl_users_load(users, store);
	if (rc == 0)
		rc = wl_spaces_new(users, &spaces);
	if (rc == 0)
		rc = wl_spaces_load(spaces, store);
	if (rc == 0 && wl_spaces_audit(spaces) == NULL)
		rc = WL_ENOTFOUND;
	if (rc == 0)
		rc = append_run(store, id, hlc, a, spaces);
	wl_spaces_free(spaces);
	wl_users_free(users);
	return rc;
}

int wl_cmd_append(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "[--data-dir DIR] [--count N] [--batch N] "
			    "[--body-size BYTES] [--audit]";
	struct append_args a;
	struct wl_identity *id = NULL;
	struct wl_store *store = NULL;
	struct wl_hlc hlc;
	int rc;

	if (append_parse(argc, argv, &a) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, a.data_dir) != 0)
		return 1;
	mkdir(cli->config.data_dir, 0700);

	rc = wl_identity_load_or_create(cli->config.data_dir, &id, NULL);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot load the node key in %s: %s\n",
			cli->config.data_dir, wl_strerror(rc));
		return 1;
	}
	if (wl_cli_open_store(cli, &store) != 0) {
		wl_identity_free(id);
		return 1;
	}

	wl_hlc_init(&hlc, NULL, NULL, cli->config.max_skew_ms, 0);
	if (a.audit) {
		rc = append_audit(cli, &a, store, id, &hlc);
	} else {
		rc = append_run(store, id, &hlc, &a, NULL);
	}
	if (rc != 0)
		fprintf(stderr, "wardline: append failed: %s\n",
			wl_strerror(rc));
	wl_store_close(store);
	wl_identity_free(id);
	return rc == 0 ? 0 : 1;
}
