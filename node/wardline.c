/* wardline: the admin CLI. Inspects and prepares a node's data directory. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/json.h"

struct command {
	const char *name;
	int (*run)(struct wl_cli *cli, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"init-site", wl_cmd_init_site, "create a site root key"},
	{"enroll", wl_cmd_enroll, "sign a node certificate with the site key"},
	{"enroll-token", wl_cmd_enroll_token,
	 "sign a certificate for a device and print its enrollment token"},
	{"id", wl_cmd_id, "print this node's id"},
	{"log", wl_cmd_log, "list stored events, one line each"},
	{"show", wl_cmd_show, "print one event in full"},
	{"verify", wl_cmd_verify, "check every signature and chain"},
	{"append", wl_cmd_append, "append test events (for tests)"},
	{"status", wl_cmd_status, "show the peers of the running node"},
	{"revoke", wl_cmd_revoke, "revoke a node with the site key"},
	{"user", wl_cmd_user, "add, list, disable, unlock or reset users"},
	{"space", wl_cmd_space, "create spaces, manage members and keys"},
	{"message", wl_cmd_message, "post or read messages in a space"},
	{"ward", wl_cmd_ward, "show or update patients, handoffs and tasks"},
	{"census", wl_cmd_census, "import or generate FHIR R4 bundles"},
	{"audit", wl_cmd_audit, "list or export the audit trail"},
	{"backup", wl_cmd_backup, "write a compacted copy of the store"},
	{"restore", wl_cmd_restore, "bring a backup back (node stopped)"},
	{"policy", wl_cmd_policy, "show or set retention and legal holds"},
	{"prune", wl_cmd_prune, "delete expired bodies now"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int usage(FILE *out)
{
	fprintf(out, "usage: wardline [--config FILE] COMMAND [OPTIONS]\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nRun 'wardline COMMAND --help' for its options. "
		     "The configuration defaults to %s when it exists.\n",
		     WL_CONFIG_DEFAULT_PATH);
	return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct wl_cli cli;
	int i = 1;

	memset(&cli, 0, sizeof(cli));
	wl_json_init();
	if (sodium_init() < 0) {
		fprintf(stderr, "wardline: libsodium failed to initialise\n");
		return 1;
	}

	if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
		cli.config_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage(stderr);
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "help") == 0)
		return usage(stdout);

	for (size_t c = 0; c < NCOMMANDS; c++) {
		if (strcmp(argv[i], commands[c].name) != 0)
			continue;
		/* "COMMAND [VERB] --help" (or -h) prints the usage lines to
		 * standard output; asking is no error. */
		for (int k = i + 1; k < argc; k++) {
			char *ask[] = {argv[i], "--help", NULL};

			if (strcmp(argv[k], "--help") != 0 &&
			    strcmp(argv[k], "-h") != 0)
				continue;
			fflush(stdout);
			dup2(STDOUT_FILENO, STDERR_FILENO);
			commands[c].run(&cli, 2, ask);
			return 0;
		}
		return commands[c].run(&cli, argc - i, argv + i);
	}

	fprintf(stderr, "wardline: unknown command '%s'\n", argv[i]);
	return usage(stderr);
}
