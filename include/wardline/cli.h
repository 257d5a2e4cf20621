/* The admin CLI `wardline`: shared context and the entry point of each
 * command. Each command parses its own options from ARGV (ARGV[0] is the
 * command name) and returns the process exit status: 0 on success, 1 when
 * the operation failed or found a problem, 2 on a usage error. */
#ifndef WARDLINE_CLI_H
#define WARDLINE_CLI_H

#include "wardline/config.h"
#include "wardline/store.h"

struct wl_cli {
	struct wl_config config;
	const char *config_path; /* NULL: the default path, if it exists */
};

/* Load the configuration (CLI->config_path or the default path when it
 * exists) and apply a --data-dir override DATA_DIR (may be NULL). Prints
 * the reason and returns non-zero on failure. */
int wl_cli_load_config(struct wl_cli *cli, const char *data_dir);

/* Open the store of the configured data directory; prints the reason and
 * returns non-zero on failure. */
int wl_cli_open_store(const struct wl_cli *cli, struct wl_store **out);

/* Parse a 64-digit hex string into 32 bytes. Returns 0 or WL_EINVAL. */
int wl_cli_parse_hex32(const char *hex, unsigned char out[32]);

/* Print a usage error for COMMAND and return 2. */
int wl_cli_usage(const char *command, const char *usage);

int wl_cmd_init_site(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_enroll(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_id(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_log(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_show(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_verify(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_append(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_status(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_revoke(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_user(struct wl_cli *cli, int argc, char **argv);

#endif
