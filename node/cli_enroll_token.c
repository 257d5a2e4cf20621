/* wardline enroll-token: sign a certificate for a device that shows its
 * node key, and print it as an enrollment token for the device's web UI. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/enroll.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/site.h"

struct token_args {
	const char *site_dir;
	const char *node_key;
	const char *name;
	long days;
};

static int token_parse(int argc, char **argv, struct token_args *a)
{
	static const struct option opts[] = {
		{"site-dir", required_argument, NULL, 's'},
		{"node-key", required_argument, NULL, 'k'},
		{"name", required_argument, NULL, 'n'},
		{"days", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			a->site_dir = optarg;
		else if (c == 'k')
			a->node_key = optarg;
		else if (c == 'n')
			a->name = optarg;
		else if (c == 'D') {
			a->days = strtol(optarg, &end, 10);
			if (*end != '\0' || a->days < 1 || a->days > 36500)
				return -1;
		} else
			return -1;
	}
	return a->site_dir && a->node_key && a->name && optind == argc ? 0
									: -1;
}

/* Parse the node key as the device shows it: 64 hex digits, which may be
 * grouped with spaces or colons. The key must be a valid Ed25519 point. */
static int parse_node_key(const char *text, unsigned char pk[32])
{
	unsigned char curve[32];
	const char *end = NULL;
	size_t len = 0;

	if (sodium_hex2bin(pk, 32, text, strlen(text), " :", &len, &end) != 0 ||
	    len != 32 || *end != '\0')
		return WL_EINVAL;
	if (crypto_sign_ed25519_pk_to_curve25519(curve, pk) != 0)
		return WL_EINVAL;
	return 0;
}

int wl_cmd_enroll_token(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "--site-dir DIR --node-key HEX --name NAME "
			    "[--days N]";
	struct token_args a;
	struct wl_node_cert cert;
	unsigned char *site_sk = NULL;
	unsigned char site_pk[32];
	unsigned char node_pk[32];
	uint64_t now = wl_hlc_system_wall(NULL);
	char token[WL_ENROLL_TOKEN_SIZE];
	char hex[65];
	int rc;

	(void)cli;
	if (token_parse(argc, argv, &a) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_site_name_check(a.name) != 0) {
		fprintf(stderr, "wardline: invalid --name '%s': use 1 to %d "
				"of a-z, 0-9, '-' and '.'\n", a.name,
			WL_CERT_NAME_MAX);
		return 2;
	}
	if (parse_node_key(a.node_key, node_pk) != 0) {
		fprintf(stderr, "wardline: invalid --node-key: copy the 64 hex "
				"digits of the node key that the device's "
				"enrollment page shows\n");
		return 2;
	}

	rc = wl_site_load_secret(a.site_dir, &site_sk, site_pk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot load the site key from %s: "
				"%s\n", a.site_dir, wl_strerror(rc));
		return 1;
	}
	rc = wl_cert_issue(site_sk, node_pk, a.name, now,
			   a.days ? now + (uint64_t)a.days * 86400000 : 0,
			   &cert);
	sodium_free(site_sk);
	if (rc == 0)
		rc = wl_enroll_token_encode(&cert, token, sizeof(token));
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot issue the certificate: %s\n",
			wl_strerror(rc));
		return 1;
	}

	puts(token);
	fprintf(stderr, "token for node %s as %s; enter it on the device's "
			"enrollment page\n",
		wl_identity_hex(node_pk, hex), a.name);
	return 0;
}
