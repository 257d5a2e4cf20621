/* The admin CLI `wardline`: shared context and the entry point of each
 * command. Each command parses its own options from ARGV (ARGV[0] is the
 * command name) and returns the process exit status: 0 on success, 1 when
 * the operation failed or found a problem, 2 on a usage error. */
#ifndef WARDLINE_CLI_H
#define WARDLINE_CLI_H

#include <stddef.h>

#include "wardline/audit.h"
#include "wardline/config.h"
#include "wardline/feed.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/keys.h"
#include "wardline/membership.h"
#include "wardline/space.h"
#include "wardline/store.h"
#include "wardline/users.h"

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

/* Read one line of secret text from PATH, or else from the terminal with
 * echo off (PROMPT shown), or else from standard input. The newline is
 * removed. Returns 0 or -1 (the reason printed). */
int wl_cli_read_secret(const char *path, const char *prompt, char *buf,
		       size_t size);

/* A person acting through the CLI on this node: the store, this node's
 * identity (it signs what the person writes), the folded users and spaces
 * and, after a login, the person's keys. */
struct wl_cli_actor {
	struct wl_cli *cli;
	struct wl_store *store;
	struct wl_identity *node;
	struct wl_hlc hlc;
	unsigned char site_pk[32];
	struct wl_users *users;
	struct wl_spaces *spaces;
	unsigned char user_id[16];   /* set by a successful login */
	struct wl_keys_secret *secret;
	struct wl_keyring *keyring;
};

/* Open the store of CLI's data directory and fold its users and spaces.
 * Prints the reason and returns non-zero on failure. */
int wl_cli_actor_open(struct wl_cli *cli, struct wl_cli_actor *a);

/* Fold users and spaces again, after appends. Returns 0 or non-zero. */
int wl_cli_actor_refold(struct wl_cli_actor *a);

/* Log USERNAME in with the password read from PASSWORD_FILE (or the
 * terminal), as a login on this node's screen would: refuse a disabled,
 * locked or throttled account, count a wrong password on every node
 * (account events) and lock the account at the configured count, audit
 * every attempt, and on success open the person's keyring. Returns 0, or
 * 1 with the reason printed. */
int wl_cli_actor_login(struct wl_cli_actor *a, const char *username,
		       const char *password_file);

/* The logged-in user, from the current fold. */
const struct wl_user *wl_cli_actor_user(const struct wl_cli_actor *a);

/* Append N items to this node's feed. Returns 0 or a negative code. */
int wl_cli_actor_append(struct wl_cli_actor *a,
			const struct wl_feed_item *items, size_t n);

/* Fill W so that the logged-in actor writes membership changes with the
 * current folds, and appends them with wl_cli_actor_append. W stays valid
 * until the next refold. */
void wl_cli_actor_writer(struct wl_cli_actor *a,
			 struct wl_membership_writer *w);

/* Seal REC (its at_ms is set here) to the audit space and append it.
 * Returns 0, WL_ENOTFOUND when the site has no audit space yet (a warning
 * is printed), or another negative code. */
int wl_cli_actor_audit(struct wl_cli_actor *a, struct wl_audit_record *rec);

/* Fill REC for ACTION and OUTCOME by the logged-in user (or USER_ID, may be
 * NULL) in SPACE (may be NULL). */
void wl_cli_audit_record(struct wl_audit_record *rec, const char *action,
			 const char *outcome, const unsigned char *user_id,
			 const char *username, const struct wl_space *space);

/* Start a new key epoch of S for its current members, as its member the
 * actor, and audit it with the reason WHY. Returns 0 or 1 (the reason
 * printed). */
int wl_cli_rotate(struct wl_cli_actor *a, const struct wl_space *s,
		  const char *why);

/* Seal each space key the actor holds, in each space where the actor may
 * seal, to every current recipient who lacks it (new admins, grant
 * holders, users with reset keys). Returns the number of envelopes
 * written or a negative code. */
long wl_cli_sync_keys(struct wl_cli_actor *a);

/* Find the space named ARG, or whose id is the 32 hex digits of ARG.
 * Prints the reason and returns NULL when there is none. */
const struct wl_space *wl_cli_find_space(const struct wl_cli_actor *a,
					 const char *arg);

/* End the session: wipe the keys, free the folds, close the store. */
void wl_cli_actor_close(struct wl_cli_actor *a);

int wl_cmd_init_site(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_enroll(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_enroll_token(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_id(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_log(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_show(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_verify(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_append(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_status(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_revoke(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_user(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_space(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_message(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_audit(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_backup(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_restore(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_policy(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_prune(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_ward(struct wl_cli *cli, int argc, char **argv);
int wl_cmd_census(struct wl_cli *cli, int argc, char **argv);

/* `census generate`, called by wl_cmd_census with ARGV[0] "generate". */
int wl_cmd_census_generate(int argc, char **argv);

#endif
