/* wardline status and wardline revoke: talk to a running node, or sign a
 * revocation into the local node's feed. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/feed.h"
#include "wardline/identity.h"
#include "wardline/site.h"

#define STATUS_MAX (1024 * 1024)

/* GET PATH from 127.0.0.1:PORT with HTTP/1.0; the body goes to a malloc'd
 * NUL-terminated *BODY. Returns 0 or WL_EIO. */
static int http_get_local(uint16_t port, const char *path, char **body)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char req[256];
	char *buf = malloc(STATUS_MAX + 1);
	size_t len = 0;
	char *start;
	int fd = -1;
	ssize_t n;

	*body = NULL;
	if (buf == NULL)
		return WL_ENOMEM;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto fail;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
		 path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto fail;
	while (len < STATUS_MAX && (n = read(fd, buf + len, STATUS_MAX - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);

	start = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || strstr(buf, " 200 ") != buf + 8 ||
	    start == NULL) {
		free(buf);
		return WL_EIO;
	}
	memmove(buf, start + 4, len - (size_t)(start + 4 - buf) + 1);
	*body = buf;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return WL_EIO;
}

static void print_age(const char *label, uint64_t then, uint64_t now)
{
	if (then == 0 || then > now) {
		printf(" %s=never", label);
		return;
	}
	printf(" %s=%" PRIu64 "s ago", label, (now - then) / 1000);
}

static void print_status(json_t *root)
{
	json_t *peers = json_object_get(root, "peers");
	json_t *store = json_object_get(root, "store");
	uint64_t now = (uint64_t)json_integer_value(json_object_get(root,
								       "now_ms"));
	size_t i;
	json_t *p;

	printf("node %s name=%s enrolled=%s\n",
	       json_string_value(json_object_get(root, "node")),
	       json_string_value(json_object_get(root, "name")),
	       json_is_true(json_object_get(root, "enrolled")) ? "yes" : "no");
	printf("store events=%" JSON_INTEGER_FORMAT " feeds=%" JSON_INTEGER_FORMAT
	       " pending=%" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(store, "events")),
	       json_integer_value(json_object_get(store, "origins")),
	       json_integer_value(json_object_get(store, "pending")));
	if (json_is_object(json_object_get(root, "tls")))
		printf("web UI over TLS at https://%s fingerprint SHA-256 %s\n",
		       json_string_value(json_object_get(
			       json_object_get(root, "tls"), "address")),
		       json_string_value(json_object_get(
			       json_object_get(root, "tls"), "fingerprint")));
	printf("peers %zu\n", json_array_size(peers));
	json_array_foreach(peers, i, p) {
		printf("  %.16s name=%s addr=%s",
		       json_string_value(json_object_get(p, "node")),
		       json_string_value(json_object_get(p, "name")),
		       json_string_value(json_object_get(p, "address")));
		print_age("up_since",
			  (uint64_t)json_integer_value(
				  json_object_get(p, "up_since_ms")), now);
		print_age("last_sync",
			  (uint64_t)json_integer_value(
				  json_object_get(p, "last_sync_ms")), now);
		printf(" sent=%" JSON_INTEGER_FORMAT " received=%"
		       JSON_INTEGER_FORMAT " lag=%" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(json_object_get(p, "events_sent")),
		       json_integer_value(json_object_get(p, "events_received")),
		       json_integer_value(json_object_get(p, "lag")));
	}
}

int wl_cmd_status(struct wl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"http-port", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"metrics", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *usage = "[--http-port PORT] [--json | --metrics]";
	long port = -1;
	int raw = 0;
	int metrics = 0;
	char *body = NULL;
	json_t *root;
	json_error_t jerr;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			port = strtol(optarg, NULL, 10);
		else if (c == 'j')
			raw = 1;
		else if (c == 'm')
			metrics = 1;
		else
			return wl_cli_usage(argv[0], usage);
	}
	if (optind != argc || (port != -1 && (port < 1 || port > 65535)))
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, NULL) != 0)
		return 1;
	if (port == -1)
		port = (long)cli->config.http_port;

	if (http_get_local((uint16_t)port, metrics ? "/metrics" : "/status",
			   &body) != 0) {
		fprintf(stderr, "wardline: no node answered on 127.0.0.1:%ld; "
				"is wardline-node running, and is its HTTP "
				"port this one (--http-port)?\n", port);
		return 1;
	}
	if (raw || metrics) {
		fputs(body, stdout);
		if (raw)
			putchar('\n');
		free(body);
		return 0;
	}
	root = json_loads(body, 0, &jerr);
	free(body);
	if (root == NULL) {
		fprintf(stderr, "wardline: invalid status from the node: %s "
				"(line %d)\n", jerr.text, jerr.line);
		return 1;
	}
	print_status(root);
	json_decref(root);
	return 0;
}

/* Rotate the key of every space that the admin AS belongs to, so that keys
 * a revoked device may hold open nothing new, and audit the revocation.
 * Spaces the admin does not belong to rotate at their next message. */
static int rotate_after_revoke(struct wl_cli *cli, const char *as,
			       const char *password_file, const char *node)
{
	struct wl_cli_actor a;
	struct wl_audit_record rec;
	unsigned char ids[256][16];
	size_t n = 0;
	int failed = 0;

	if (wl_cli_actor_open(cli, &a) != 0)
		return 1;
	if (wl_cli_actor_login(&a, as, password_file) != 0) {
		wl_cli_actor_close(&a);
		return 1;
	}
	wl_cli_audit_record(&rec, "device_revoked", "ok", a.user_id, as, NULL);
	snprintf(rec.detail, sizeof(rec.detail), "node %s", node);
	(void)wl_cli_actor_audit(&a, &rec);

	for (size_t i = 0; i < wl_spaces_count(a.spaces) && n < 256; i++) {
		const struct wl_space *s = wl_spaces_at(a.spaces, i);

		if (wl_space_is_member(a.spaces, s, a.user_id) &&
		    wl_keyring_get(a.keyring, s->id, s->epoch, 0) != NULL)
			memcpy(ids[n++], s->id, 16);
	}
	for (size_t i = 0; i < n; i++) {
		const struct wl_space *s;

		if (wl_cli_actor_refold(&a) != 0)
			break;
		s = wl_spaces_by_id(a.spaces, ids[i]);
		failed |= s == NULL ||
			  wl_cli_rotate(&a, s, "a device was revoked") != 0;
	}
	wl_cli_actor_close(&a);
	return failed ? 1 : 0;
}

/* Find the node that TEXT names among the certificates in the store: its
 * full id (64 hex digits), a unique prefix of it (the 16 digits that
 * status and the UI show), or its enrolled name. Prints why on failure. */
static int resolve_node(const struct wl_cli *cli, const char *text,
			unsigned char node[32])
{
	struct wl_store_copy *all = NULL;
	struct wl_store *store = NULL;
	size_t n = 0, found = 0, len = strlen(text);
	char hex[65];

	if (len == 64 && wl_cli_parse_hex32(text, node) == 0)
		return 0;
	if (wl_cli_open_store(cli, &store) != 0 ||
	    wl_store_collect_kind(store, WL_KIND_NODE_CERT, &all, &n) != 0) {
		wl_store_close(store);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct wl_node_cert cert;
		struct wl_event ev;

		if (wl_event_decode(all[i].buf, all[i].len, &ev) != 0 ||
		    ev.body == NULL ||
		    wl_cert_decode(ev.body, ev.h.body_len, &cert) != 0)
			continue;
		sodium_bin2hex(hex, sizeof(hex), cert.node_pk, 32);
		if ((len >= 8 && strncmp(hex, text, len) == 0) ||
		    strcmp(cert.name, text) == 0) {
			if (found == 0 || memcmp(node, cert.node_pk, 32) != 0)
				found++;
			memcpy(node, cert.node_pk, 32);
		}
	}
	wl_store_copies_free(all, n);
	wl_store_close(store);
	if (found == 1)
		return 0;
	fprintf(stderr, "wardline: %s enrolled node matches '%s'; give the "
			"node's 64-digit id, a unique prefix of at least 8 "
			"digits, or its name (the Devices view of the web UI "
			"lists them)\n",
		found ? "more than one" : "no", text);
	return 1;
}

int wl_cmd_revoke(struct wl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"site-dir", required_argument, NULL, 's'},
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *usage = "--site-dir DIR [--data-dir DIR] "
			    "[--as ADMIN [--password-file F]] NODE";
	const char *site_dir = NULL;
	const char *as = NULL;
	const char *password_file = NULL;
	const char *data_dir = NULL;
	char hex[65];
	unsigned char node[32];
	unsigned char site_pk[32];
	unsigned char body[WL_REVOCATION_SIZE];
	unsigned char *site_sk = NULL;
	struct wl_revocation r;
	struct wl_identity *id = NULL;
	struct wl_store *store = NULL;
	struct wl_feed_item item;
	struct wl_hlc hlc;
	int rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			site_dir = optarg;
		else if (c == 'd')
			data_dir = optarg;
		else if (c == 'a')
			as = optarg;
		else if (c == 'p')
			password_file = optarg;
		else
			return wl_cli_usage(argv[0], usage);
	}
	if (site_dir == NULL || optind != argc - 1)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, data_dir) != 0 ||
	    resolve_node(cli, argv[optind], node) != 0)
		return 1;

	rc = wl_site_load_secret(site_dir, &site_sk, site_pk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot load the site key from %s: "
				"%s\n", site_dir, wl_strerror(rc));
		return 1;
	}
	wl_revocation_issue(site_sk, node, wl_hlc_system_wall(NULL), &r);
	sodium_free(site_sk);
	wl_revocation_encode(&r, body);

	rc = wl_identity_load(cli->config.data_dir, &id);
	if (rc == 0 && wl_cli_open_store(cli, &store) != 0)
		rc = WL_ESTORE;
	if (rc == 0) {
		memset(&item, 0, sizeof(item));
		item.kind = WL_KIND_REVOCATION;
		item.body = body;
		item.body_len = sizeof(body);
		wl_hlc_init(&hlc, NULL, NULL, cli->config.max_skew_ms, 0);
		rc = wl_feed_append(store, id, &hlc, &item, 1, NULL, NULL);
	}
	wl_store_close(store);
	wl_identity_free(id);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot record the revocation in %s: "
				"%s\n", cli->config.data_dir, wl_strerror(rc));
		return 1;
	}
	printf("revoked node %s; every node refuses it once this event "
	       "reaches it\n", sodium_bin2hex(hex, sizeof(hex), node, 32));
	return as ? rotate_after_revoke(cli, as, password_file, hex)
		  : 0;
}
