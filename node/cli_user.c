/* wardline user add | list | reset-password | disable | check-login: the
 * site's user accounts. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/access.h"
#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/identity.h"
#include "wardline/keyfile.h"
#include "wardline/site.h"
#include "wardline/users.h"

#define SECRET_MAX 256

struct user_args {
	const char *data_dir;
	const char *site_dir;       /* sign with the site root key */
	const char *admin;          /* or as this admin user */
	const char *admin_pw_file;
	const char *username;
	const char *display_name;
	const char *role;
	const char *password_file;
	const char *new_password_file;
};

static int user_parse(int argc, char **argv, struct user_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"site-dir", required_argument, NULL, 's'},
		{"admin", required_argument, NULL, 'a'},
		{"admin-password-file", required_argument, NULL, 'A'},
		{"username", required_argument, NULL, 'u'},
		{"display-name", required_argument, NULL, 'n'},
		{"role", required_argument, NULL, 'r'},
		{"password-file", required_argument, NULL, 'p'},
		{"new-password-file", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 's': a->site_dir = optarg; break;
		case 'a': a->admin = optarg; break;
		case 'A': a->admin_pw_file = optarg; break;
		case 'u': a->username = optarg; break;
		case 'n': a->display_name = optarg; break;
		case 'r': a->role = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'P': a->new_password_file = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* Load the site key file next to the node (DATA_DIR/site.pub) and fold the
 * users of STORE. */
static int load_users(const struct wl_cli *cli, struct wl_store *store,
		      struct wl_users **out)
{
	char path[PATH_MAX];
	unsigned char site_pk[32];
	int rc;

	rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
			  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, site_pk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read %s: %s (enroll this "
				"node first)\n", path, wl_strerror(rc));
		return 1;
	}
	rc = wl_users_new(site_pk, out);
	if (rc == 0)
		rc = wl_users_load(*out, store);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read the users: %s\n",
			wl_strerror(rc));
		return 1;
	}
	return 0;
}

/* Get the key that signs user bundles: the site root key (--site-dir) or
 * the signing key of an admin (--admin, unwrapped with their password).
 * *SK is 64 bytes of sodium_malloc memory; free it with sodium_free. */
static int author_key(const struct user_args *a, const struct wl_users *users,
		      unsigned char **sk)
{
	const struct wl_user *admin;
	struct wl_keys_secret *secret = NULL;
	unsigned char site_pk[32];
	char pw[SECRET_MAX];
	int rc;

	*sk = NULL;
	if (a->site_dir) {
		rc = wl_site_load_secret(a->site_dir, sk, site_pk);
		if (rc != 0)
			fprintf(stderr, "wardline: cannot load the site key "
					"from %s: %s\n", a->site_dir,
				wl_strerror(rc));
		return rc == 0 ? 0 : 1;
	}
	admin = a->admin ? wl_users_by_name(users, a->admin) : NULL;
	if (admin == NULL || admin->bundle.role != WL_ROLE_ADMIN) {
		fprintf(stderr, "wardline: give --site-dir DIR, or --admin "
				"with the username of an admin\n");
		return 1;
	}
	if (wl_cli_read_secret(a->admin_pw_file, "Admin password: ", pw,
			sizeof(pw)) != 0)
		return 1;
	rc = wl_keys_unwrap(&admin->bundle, pw, &secret);
	sodium_memzero(pw, sizeof(pw));
	if (rc != 0) {
		fprintf(stderr, "wardline: wrong password for %s\n", a->admin);
		return 1;
	}
	*sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (*sk != NULL)
		memcpy(*sk, secret->sign_sk, crypto_sign_SECRETKEYBYTES);
	wl_keys_secret_free(secret);
	return *sk ? 0 : 1;
}

/* Read and check the new user's password. */
static int new_password(const struct user_args *a, const char *username,
			char *pw, size_t size)
{
	int rc;

	if (wl_cli_read_secret(a->password_file, "New user's password: ", pw, size))
		return 1;
	rc = wl_keys_password_check(pw, username);
	if (rc != 0) {
		fprintf(stderr, "wardline: password rejected: %s\n",
			wl_keys_password_problem(rc));
		sodium_memzero(pw, size);
		return 1;
	}
	return 0;
}

/* Append BUNDLE as a user bundle event signed by AUTHOR_SK. */
static int append_bundle(const struct wl_cli *cli, struct wl_store *store,
			 const struct wl_keys_bundle *bundle,
			 const unsigned char *author_sk)
{
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	struct wl_identity *id = NULL;
	struct wl_feed_item item;
	struct wl_hlc hlc;
	size_t len = 0;
	int rc;

	rc = wl_keys_bundle_encode(bundle, json, sizeof(json), &len);
	if (rc == 0)
		rc = wl_identity_load(cli->config.data_dir, &id);
	if (rc == 0) {
		memset(&item, 0, sizeof(item));
		item.kind = WL_KIND_USER_BUNDLE;
		item.author_sk = author_sk;
		item.body = json;
		item.body_len = len;
		wl_hlc_init(&hlc, NULL, NULL, cli->config.max_skew_ms, 0);
		rc = wl_feed_append(store, id, &hlc, &item, 1, NULL, NULL);
	}
	wl_identity_free(id);
	if (rc != 0)
		fprintf(stderr, "wardline: cannot record the user: %s\n",
			wl_strerror(rc));
	return rc == 0 ? 0 : 1;
}

static int user_add(const struct wl_cli *cli, const struct user_args *a,
		    struct wl_store *store, struct wl_users *users)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	struct wl_keys_bundle bundle;
	unsigned char *sk = NULL;
	char pw[SECRET_MAX];
	enum wl_role role;
	int rc;

	if (!a->username || !a->display_name || !a->role ||
	    wl_access_role_parse(a->role, &role) != 0 ||
	    wl_keys_username_check(a->username) != 0 ||
	    wl_keys_display_name_check(a->display_name) != 0) {
		fprintf(stderr, "wardline: user add needs a valid --username "
				"(a-z 0-9 . _ -, starting with a letter), "
				"--display-name and --role (nurse, "
				"charge_nurse, pharmacist, physician, "
				"unit_clerk, admin, compliance_officer)\n");
		return 2;
	}
	if (wl_users_by_name(users, a->username)) {
		fprintf(stderr, "wardline: user %s exists\n", a->username);
		return 1;
	}
	if (author_key(a, users, &sk) != 0)
		return 1;
	rc = new_password(a, a->username, pw, sizeof(pw));
	if (rc == 0)
		rc = wl_keys_user_new(NULL, a->username, a->display_name, role,
				      pw, &cost, &bundle, NULL) == 0 ? 0 : 1;
	sodium_memzero(pw, sizeof(pw));
	if (rc == 0)
		rc = append_bundle(cli, store, &bundle, sk);
	sodium_free(sk);
	if (rc == 0)
		printf("user %s added as %s\n", a->username, a->role);
	return rc;
}

/* An admin reset makes a new key pair under a new password; the user id,
 * name and role stay. */
static int user_reset(const struct wl_cli *cli, const struct user_args *a,
		      struct wl_store *store, struct wl_users *users)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	const struct wl_user *user;
	struct wl_keys_bundle bundle;
	unsigned char *sk = NULL;
	char pw[SECRET_MAX];
	int rc;

	user = a->username ? wl_users_by_name(users, a->username) : NULL;
	if (user == NULL) {
		fprintf(stderr, "wardline: no user '%s'\n",
			a->username ? a->username : "");
		return 1;
	}
	if (author_key(a, users, &sk) != 0)
		return 1;
	rc = new_password(a, a->username, pw, sizeof(pw));
	if (rc == 0)
		rc = wl_keys_user_new(user->bundle.user_id,
				      user->bundle.username,
				      user->bundle.display_name,
				      user->bundle.role, pw, &cost, &bundle,
				      NULL) == 0 ? 0 : 1;
	sodium_memzero(pw, sizeof(pw));
	if (rc == 0)
		rc = append_bundle(cli, store, &bundle, sk);
	sodium_free(sk);
	if (rc == 0)
		printf("user %s has a new password and new keys\n",
		       a->username);
	return rc;
}

/* Check USERNAME's password against the bundle this node holds, offline,
 * as a login on this node would. */
static int user_check_login(const struct user_args *a,
			    const struct wl_users *users)
{
	const struct wl_user *user;
	struct wl_keys_secret *secret = NULL;
	char pw[SECRET_MAX];
	int rc;

	user = a->username ? wl_users_by_name(users, a->username) : NULL;
	if (user == NULL) {
		fprintf(stderr, "wardline: no user '%s' on this node\n",
			a->username ? a->username : "");
		return 1;
	}
	if (user->bundle.disabled) {
		fprintf(stderr, "wardline: login rejected: the account of %s is "
				"disabled\n", a->username);
		return 1;
	}
	if (wl_cli_read_secret(a->password_file, "Password: ", pw, sizeof(pw)) != 0)
		return 1;
	rc = wl_keys_unwrap(&user->bundle, pw, &secret);
	sodium_memzero(pw, sizeof(pw));
	wl_keys_secret_free(secret);
	if (rc != 0) {
		fprintf(stderr, "wardline: login failed for %s: wrong "
				"password\n", a->username);
		return 1;
	}
	printf("login ok for %s (%s)\n", a->username,
	       wl_access_role_name(user->bundle.role));
	return 0;
}

/* Disable USERNAME: the same bundle again, marked disabled, in a newer
 * event. Its sessions end and it cannot log in on any node that has the
 * event. */
static int user_disable(const struct wl_cli *cli, const struct user_args *a,
			struct wl_store *store, struct wl_users *users)
{
	const struct wl_user *user;
	struct wl_keys_bundle bundle;
	unsigned char *sk = NULL;
	int rc;

	user = a->username ? wl_users_by_name(users, a->username) : NULL;
	if (user == NULL) {
		fprintf(stderr, "wardline: no user '%s'\n",
			a->username ? a->username : "");
		return 1;
	}
	if (user->bundle.disabled) {
		printf("user %s is already disabled\n", a->username);
		return 0;
	}
	bundle = user->bundle;
	bundle.disabled = 1;
	if (author_key(a, users, &sk) != 0)
		return 1;
	rc = append_bundle(cli, store, &bundle, sk);
	sodium_free(sk);
	if (rc == 0)
		printf("user %s disabled; 'user reset-password' enables the "
		       "account again with new keys\n", a->username);
	return rc;
}

/* Unlock USERNAME after failed logins: an account event signed by the
 * site key or an admin, which clears the failures on every node. */
static int user_unlock(const struct wl_cli *cli, const struct user_args *a,
		       struct wl_store *store, struct wl_users *users)
{
	unsigned char json[WL_USERS_ACCOUNT_JSON_MAX];
	const struct wl_user *user;
	struct wl_identity *id = NULL;
	struct wl_feed_item item;
	struct wl_hlc hlc;
	unsigned char *sk = NULL;
	size_t len = 0;
	int rc;

	user = a->username ? wl_users_by_name(users, a->username) : NULL;
	if (user == NULL) {
		fprintf(stderr, "wardline: no user '%s'\n",
			a->username ? a->username : "");
		return 1;
	}
	if (author_key(a, users, &sk) != 0)
		return 1;
	rc = wl_users_account_encode(WL_ACCOUNT_UNLOCK, user->bundle.user_id,
				     json, sizeof(json), &len);
	if (rc == 0)
		rc = wl_identity_load(cli->config.data_dir, &id);
	if (rc == 0) {
		memset(&item, 0, sizeof(item));
		item.kind = WL_KIND_ACCOUNT;
		item.author_sk = sk;
		item.body = json;
		item.body_len = len;
		wl_hlc_init(&hlc, NULL, NULL, cli->config.max_skew_ms, 0);
		rc = wl_feed_append(store, id, &hlc, &item, 1, NULL, NULL);
	}
	wl_identity_free(id);
	sodium_free(sk);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot unlock %s: %s\n",
			a->username, wl_strerror(rc));
		return 1;
	}
	printf("user %s unlocked (%u failed logins cleared)\n", a->username,
	       user->failures);
	return 0;
}

/* Audit ACTION on the user A->username, by the admin of A (or the site
 * key), from this node. Runs on its own store handle after the command's
 * handle is closed. */
static void audit_user_change(struct wl_cli *cli, const struct user_args *a,
			      const char *action)
{
	struct wl_cli_actor actor;
	struct wl_audit_record rec;
	const struct wl_user *target;
	const struct wl_user *admin;

	if (wl_cli_actor_open(cli, &actor) != 0)
		return;
	admin = a->admin ? wl_users_by_name(actor.users, a->admin) : NULL;
	target = wl_users_by_name(actor.users, a->username);
	wl_cli_audit_record(&rec, action, "ok",
			    admin ? admin->bundle.user_id : NULL,
			    a->admin ? a->admin : "site key", NULL);
	snprintf(rec.detail, sizeof(rec.detail), "user %s%s%s", a->username,
		 target ? " role " : "",
		 target ? wl_access_role_name(target->bundle.role) : "");
	(void)wl_cli_actor_audit(&actor, &rec);
	wl_cli_actor_close(&actor);
}

/* After a reset by an admin, seal the space keys that admin has to the
 * user's new keys. Runs on its own store handle, after the command's
 * handle is closed, with the admin's session. */
static int reseal_after_reset(struct wl_cli *cli, const struct user_args *a)
{
	struct wl_cli_actor actor;
	long n;

	if (a->admin == NULL) {
		printf("the site key holds no space keys: an admin runs "
		       "'wardline space sync-keys --as ADMIN' to give %s the "
		       "keys of their spaces again\n", a->username);
		return 0;
	}
	if (wl_cli_actor_open(cli, &actor) != 0)
		return 1;
	n = wl_cli_actor_login(&actor, a->admin, a->admin_pw_file) == 0
		    ? wl_cli_sync_keys(&actor)
		    : -1;
	wl_cli_actor_close(&actor);
	if (n < 0) {
		fprintf(stderr, "wardline: the space keys were not sealed to "
				"the new keys; run 'wardline space sync-keys "
				"--as %s'\n", a->admin);
		return 1;
	}
	printf("%ld space keys sealed to the new keys of %s\n", n,
	       a->username);
	return 0;
}

/* A user changes their own password: log in with the current one, wrap
 * the same keys under the new one and sign the bundle with the user's own
 * key. Space keys stay valid because the key pairs do not change. */
static int user_change_password(struct wl_cli *cli, const struct user_args *a)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	struct wl_cli_actor actor;
	struct wl_keys_bundle bundle;
	struct wl_audit_record rec;
	struct wl_feed_item item;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	char pw[SECRET_MAX];
	int rc;

	if (a->username == NULL)
		return 2;
	if (wl_cli_actor_open(cli, &actor) != 0)
		return 1;
	rc = wl_cli_actor_login(&actor, a->username, a->password_file);
	if (rc == 0) {
		rc = wl_cli_read_secret(a->new_password_file, "New password: ",
					pw, sizeof(pw)) ? 1 : 0;
		if (rc == 0 && wl_keys_password_check(pw, a->username) != 0) {
			fprintf(stderr, "wardline: password rejected: %s\n",
				wl_keys_password_problem(
					wl_keys_password_check(pw,
							       a->username)));
			rc = 1;
		}
	}
	if (rc == 0) {
		bundle = wl_cli_actor_user(&actor)->bundle;
		rc = wl_keys_rewrap(&bundle, actor.secret, pw, &cost) ? 1 : 0;
	}
	sodium_memzero(pw, sizeof(pw));

	memset(&item, 0, sizeof(item));
	if (rc == 0)
		rc = wl_keys_bundle_encode(&bundle, json, sizeof(json),
					   &item.body_len) ? 1 : 0;
	if (rc == 0) {
		item.kind = WL_KIND_USER_BUNDLE;
		item.author_sk = actor.secret->sign_sk;
		item.body = json;
		rc = wl_cli_actor_append(&actor, &item, 1) ? 1 : 0;
	}
	if (rc == 0) {
		wl_cli_audit_record(&rec, "password_changed", "ok",
				    actor.user_id, a->username, NULL);
		(void)wl_cli_actor_audit(&actor, &rec);
		printf("password of %s changed\n", a->username);
	}
	wl_cli_actor_close(&actor);
	return rc;
}

static void user_list(const struct wl_users *users)
{
	char id[33];

	printf("%-32s %-18s %-32s %s\n", "USERNAME", "ROLE", "USER ID",
	       "DISPLAY NAME");
	for (size_t i = 0; i < wl_users_count(users); i++) {
		const struct wl_user *u = wl_users_at(users, i);

		sodium_bin2hex(id, sizeof(id), u->bundle.user_id, 16);
		printf("%-32s %-18s %-32s %s%s\n", u->bundle.username,
		       wl_access_role_name(u->bundle.role), id,
		       u->bundle.display_name,
		       u->bundle.disabled ? " (disabled)" : "");
	}
}

int wl_cmd_user(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"add --username NAME --display-name TEXT --role ROLE "
		"(--site-dir DIR | --admin NAME [--admin-password-file F]) "
		"[--password-file F] [--data-dir DIR]\n"
		"       wardline user list [--data-dir DIR]\n"
		"       wardline user reset-password --username NAME "
		"(--site-dir DIR | --admin NAME) [--password-file F]\n"
		"       wardline user disable --username NAME "
		"(--site-dir DIR | --admin NAME)\n"
		"       wardline user change-password --username NAME "
		"[--password-file F] [--new-password-file F]\n"
		"       wardline user unlock --username NAME "
		"(--site-dir DIR | --admin NAME)\n"
		"       wardline user check-login --username NAME "
		"[--password-file F] [--data-dir DIR]";
	struct user_args a;
	struct wl_store *store = NULL;
	struct wl_users *users = NULL;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	if (user_parse(argc - 1, argv + 1, &a) != 0 ||
	    (strcmp(verb, "add") && strcmp(verb, "list") &&
	     strcmp(verb, "reset-password") && strcmp(verb, "check-login") &&
	     strcmp(verb, "disable") && strcmp(verb, "unlock") &&
	     strcmp(verb, "change-password")))
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, a.data_dir) != 0)
		return 1;
	if (strcmp(verb, "change-password") == 0)
		return a.username ? user_change_password(cli, &a)
				  : wl_cli_usage(argv[0], usage);
	if (wl_cli_open_store(cli, &store) != 0)
		return 1;

	rc = load_users(cli, store, &users);
	if (rc == 0 && strcmp(verb, "list") == 0)
		user_list(users);
	else if (rc == 0 && strcmp(verb, "add") == 0)
		rc = user_add(cli, &a, store, users);
	else if (rc == 0 && strcmp(verb, "check-login") == 0)
		rc = user_check_login(&a, users);
	else if (rc == 0 && strcmp(verb, "disable") == 0)
		rc = user_disable(cli, &a, store, users);
	else if (rc == 0 && strcmp(verb, "unlock") == 0)
		rc = user_unlock(cli, &a, store, users);
	else if (rc == 0)
		rc = user_reset(cli, &a, store, users);
	wl_users_free(users);
	wl_store_close(store);
	if (rc == 0 && strcmp(verb, "add") == 0)
		audit_user_change(cli, &a, "user_added");
	else if (rc == 0 && strcmp(verb, "disable") == 0)
		audit_user_change(cli, &a, "user_disabled");
	else if (rc == 0 && strcmp(verb, "unlock") == 0)
		audit_user_change(cli, &a, "account_unlocked");
	else if (rc == 0 && strcmp(verb, "reset-password") == 0)
		audit_user_change(cli, &a, "password_reset");
	if (rc == 0 && strcmp(verb, "reset-password") == 0)
		rc = reseal_after_reset(cli, &a);
	return rc;
}
