/* wardline id, log, show and verify: read-only views of a data directory. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/keyfile.h"
#include "wardline/site.h"
#include "wardline/verify.h"

/* Parse the options every inspection command shares: --data-dir, plus
 * --origin and --limit where WANT_FILTERS is set. Returns 0 or -1. */
struct inspect_args {
	const char *data_dir;
	const char *origin_hex;
	long limit;
	int ids_only;
};

static int inspect_parse(int argc, char **argv, int want_filters,
			 struct inspect_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"origin", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'l'},
		{"ids", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			a->data_dir = optarg;
		else if (c == 'o' && want_filters)
			a->origin_hex = optarg;
		else if (c == 'i' && want_filters)
			a->ids_only = 1;
		else if (c == 'l' && want_filters) {
			a->limit = strtol(optarg, &end, 10);
			if (*end != '\0' || a->limit < 1)
				return -1;
		} else
			return -1;
	}
	return 0;
}

int wl_cmd_id(struct wl_cli *cli, int argc, char **argv)
{
	struct inspect_args a;
	struct wl_identity *id = NULL;
	char hex[65];
	int rc;

	if (inspect_parse(argc, argv, 0, &a) != 0 || optind != argc)
		return wl_cli_usage(argv[0], "[--data-dir DIR]");
	if (wl_cli_load_config(cli, a.data_dir) != 0)
		return 1;

	rc = wl_identity_load(cli->config.data_dir, &id);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot load the node key in %s: %s "
				"(start wardline-node once or run enroll)\n",
			cli->config.data_dir, wl_strerror(rc));
		return 1;
	}
	printf("%s\n", wl_identity_hex(id->pk, hex));
	wl_identity_free(id);
	return 0;
}

static void print_line(const struct wl_store_entry *e)
{
	char when[48];
	char origin[17];
	char id[17];

	wl_hlc_format(e->ev.h.hlc, when, sizeof(when));
	sodium_bin2hex(origin, sizeof(origin), e->ev.h.origin, 8);
	sodium_bin2hex(id, sizeof(id), e->ev.id, 8);
	printf("%8" PRIu64 " %s %s#%" PRIu64 " %-13s id=%s ", e->local_seq,
	       when, origin, e->ev.h.seq, wl_event_kind_name(e->ev.h.kind), id);
	if (e->ev.h.body_len == 0)
		printf("body=none");
	else if (e->body == NULL)
		printf("body=pruned");
	else
		printf("body=%" PRIu32 "%s", e->ev.h.body_len,
		       e->ev.h.flags & WL_EVENT_F_ENCRYPTED ? ",encrypted" : "");
	if (e->ev.h.flags & WL_EVENT_F_AUTHOR) {
		sodium_bin2hex(id, sizeof(id), e->ev.h.author, 8);
		printf(" author=%s", id);
	}
	printf("\n");
}

int wl_cmd_log(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "[--data-dir DIR] [--origin NODE_ID] [--limit N] "
			    "[--ids]";
	struct inspect_args a;
	struct wl_store *store = NULL;
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	unsigned char origin[32];
	long shown = 0;
	int rc;

	if (inspect_parse(argc, argv, 1, &a) != 0 || optind != argc)
		return wl_cli_usage(argv[0], usage);
	if (a.origin_hex && wl_cli_parse_hex32(a.origin_hex, origin) != 0) {
		fprintf(stderr, "wardline: --origin takes a 64-digit node id\n");
		return 2;
	}
	if (wl_cli_load_config(cli, a.data_dir) != 0 ||
	    wl_cli_open_store(cli, &store) != 0)
		return 1;

	rc = a.origin_hex ? wl_store_iter_origin(store, origin, 0, &it)
			  : wl_store_iter_local(store, 0, &it);
	while (rc == 0 && (!a.limit || shown < a.limit)) {
		int next = wl_store_iter_next(it, &e);

		if (next == 0)
			break;
		if (next < 0 && (next == WL_ESTORE || next == WL_ENOMEM)) {
			rc = next;
			break;
		}
		if (next < 0) {
			printf("%8" PRIu64 " (undecodable: %s)\n", e.local_seq,
			       wl_strerror(next));
		} else if (a.ids_only) {
			char hex[65];

			puts(sodium_bin2hex(hex, sizeof(hex), e.ev.id, 32));
		} else {
			print_line(&e);
		}
		shown++;
	}
	wl_store_iter_free(it);
	wl_store_close(store);
	if (rc != 0)
		fprintf(stderr, "wardline: reading the log failed: %s\n",
			wl_strerror(rc));
	return rc == 0 ? 0 : 1;
}

static void show_cert(const struct wl_cli *cli, const struct wl_store_entry *e)
{
	struct wl_node_cert cert;
	unsigned char site_pk[32];
	char path[4096];
	char hex[65];
	int rc;

	if (e->body == NULL ||
	    wl_cert_decode(e->body, e->body_len, &cert) != 0) {
		printf("certificate:  (absent or malformed)\n");
		return;
	}
	printf("certificate:  name=%s\n", cert.name);
	printf("  node:       %s\n",
	       sodium_bin2hex(hex, sizeof(hex), cert.node_pk, 32));
	printf("  site:       %s\n",
	       sodium_bin2hex(hex, sizeof(hex), cert.site_pk, 32));
	printf("  issued_ms:  %" PRIu64 "\n  expires_ms: %" PRIu64 "%s\n",
	       cert.issued_ms, cert.expires_ms,
	       cert.expires_ms ? "" : " (no expiry)");

	rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
			  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, site_pk);
	if (rc != 0) {
		printf("  signature:  not checked (no %s)\n", WL_SITE_PUB_FILE);
		return;
	}
	rc = wl_cert_verify(&cert, site_pk, cert.issued_ms);
	printf("  signature:  %s\n", rc == 0 ? "valid for this site"
					     : wl_strerror(rc));
}

static void show_entry(const struct wl_cli *cli, const struct wl_store_entry *e)
{
	const struct wl_event_header *h = &e->ev.h;
	char hex[65];
	char when[48];
	int node_ok = wl_event_verify_node(&e->ev) == 0;
	int author_ok = wl_event_verify_author(&e->ev) == 0;

	printf("id:           %s\n", sodium_bin2hex(hex, 65, e->ev.id, 32));
	printf("local_seq:    %" PRIu64 "\n", e->local_seq);
	printf("version:      %u\nkind:         %u (%s)\nflags:        0x%04x\n",
	       h->version, h->kind, wl_event_kind_name(h->kind), h->flags);
	printf("origin:       %s\n", sodium_bin2hex(hex, 65, h->origin, 32));
	printf("seq:          %" PRIu64 "\n", h->seq);
	printf("prev:         %s\n", sodium_bin2hex(hex, 65, h->prev, 32));
	printf("hlc:          %s\n", wl_hlc_format(h->hlc, when, sizeof(when)));
	printf("space:        %s\n", sodium_bin2hex(hex, 65, h->space, 16));
	printf("epoch:        %" PRIu32 "\n", h->epoch);
	printf("author:       %s\n", h->flags & WL_EVENT_F_AUTHOR
					 ? sodium_bin2hex(hex, 65, h->author, 32)
					 : "(node)");
	printf("body_len:     %" PRIu32 " (%s)\n", h->body_len,
	       e->body ? (h->flags & WL_EVENT_F_ENCRYPTED ? "encrypted"
							  : "cleartext")
		       : (h->body_len ? "pruned" : "empty"));
	printf("body_hash:    %s\n", sodium_bin2hex(hex, 65, h->body_hash, 32));
	printf("node_sig:     %s\n", node_ok ? "valid" : "INVALID");
	if (h->flags & WL_EVENT_F_AUTHOR)
		printf("author_sig:   %s\n", author_ok ? "valid" : "INVALID");
	if (h->kind == WL_KIND_NODE_CERT)
		show_cert(cli, e);
}

/* Find the event whose id starts with the hex digits PREFIX by scanning the
 * log. Returns 0 with its id, WL_ENOTFOUND, or WL_EEXIST when ambiguous. */
static int find_prefix(struct wl_store *store, const char *prefix,
		       unsigned char id[32])
{
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	size_t len = strlen(prefix);
	char hex[65];
	int found = 0;
	int rc;

	rc = wl_store_iter_local(store, 0, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		sodium_bin2hex(hex, sizeof(hex), e.ev.id, 32);
		if (strncasecmp(hex, prefix, len) == 0) {
			found++;
			memcpy(id, e.ev.id, 32);
		}
	}
	wl_store_iter_free(it);
	if (rc != 0)
		return rc;
	return found == 1 ? 0 : (found ? WL_EEXIST : WL_ENOTFOUND);
}

int wl_cmd_show(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "[--data-dir DIR] EVENT_ID (64 hex digits, or a "
			    "prefix of at least 8)";
	struct inspect_args a;
	struct wl_store *store = NULL;
	struct wl_store_entry e;
	unsigned char *buf = NULL;
	unsigned char id[32];
	int rc;

	if (inspect_parse(argc, argv, 0, &a) != 0 || optind != argc - 1 ||
	    strlen(argv[optind]) < 8 || strlen(argv[optind]) > 64 ||
	    strspn(argv[optind], "0123456789abcdefABCDEF") !=
		    strlen(argv[optind]))
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, a.data_dir) != 0 ||
	    wl_cli_open_store(cli, &store) != 0)
		return 1;

	if (strlen(argv[optind]) == 64)
		rc = wl_cli_parse_hex32(argv[optind], id);
	else
		rc = find_prefix(store, argv[optind], id);
	if (rc == 0)
		rc = wl_store_get(store, id, &e, &buf);
	if (rc == 0)
		show_entry(cli, &e);
	else
		fprintf(stderr, "wardline: event %s: %s\n", argv[optind],
			rc == WL_EEXIST ? "prefix matches several events"
					: wl_strerror(rc));
	free(buf);
	wl_store_close(store);
	return rc == 0 ? 0 : 1;
}

static void print_problem(void *arg, const struct wl_verify_problem *p)
{
	char id[65];
	char origin[65];

	(void)arg;
	sodium_bin2hex(id, sizeof(id), p->id, 32);
	sodium_bin2hex(origin, sizeof(origin), p->origin, 32);
	printf("BROKEN check=%s event=%s origin=%s seq=%" PRIu64
	       " local_seq=%" PRIu64 ": %s\n", p->what, id, origin, p->seq,
	       p->local_seq, wl_strerror(p->err));
}

int wl_cmd_verify(struct wl_cli *cli, int argc, char **argv)
{
	struct inspect_args a;
	struct wl_store *store = NULL;
	struct wl_verify_summary sum;
	int rc;

	if (inspect_parse(argc, argv, 0, &a) != 0 || optind != argc)
		return wl_cli_usage(argv[0], "[--data-dir DIR]");
	if (wl_cli_load_config(cli, a.data_dir) != 0 ||
	    wl_cli_open_store(cli, &store) != 0)
		return 1;

	rc = wl_verify_store(store, print_problem, NULL, &sum);
	wl_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "wardline: verification stopped: %s\n",
			wl_strerror(rc));
		return 1;
	}
	printf("verified %" PRIu64 " events in %" PRIu64 " feeds (%" PRIu64
	       " bodies): %" PRIu64 " problems\n", sum.events, sum.origins,
	       sum.bodies, sum.problems);
	return sum.problems == 0 ? 0 : 1;
}
