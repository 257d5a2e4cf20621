/* A person acting through the CLI: login, appends and audit records. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/keyfile.h"
#include "wardline/site.h"

#define SECRET_MAX 256

int wl_cli_actor_refold(struct wl_cli_actor *a)
{
	int rc;

	wl_spaces_free(a->spaces);
	wl_users_free(a->users);
	a->spaces = NULL;
	a->users = NULL;

	rc = wl_users_new(a->site_pk, &a->users);
	if (rc == 0)
		rc = wl_users_load(a->users, a->store);
	if (rc == 0)
		rc = wl_spaces_new(a->users, &a->spaces);
	if (rc == 0)
		rc = wl_spaces_load(a->spaces, a->store);
	if (rc != 0)
		fprintf(stderr, "wardline: cannot read the users and spaces: "
				"%s\n", wl_strerror(rc));
	return rc == 0 ? 0 : 1;
}

int wl_cli_actor_open(struct wl_cli *cli, struct wl_cli_actor *a)
{
	char path[PATH_MAX];
	int rc;

	memset(a, 0, sizeof(*a));
	a->cli = cli;
	if (wl_cli_open_store(cli, &a->store) != 0)
		return 1;

	rc = wl_path_join(path, sizeof(path), cli->config.data_dir,
			  WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_site_load_public(path, a->site_pk);
	if (rc == 0)
		rc = wl_identity_load(cli->config.data_dir, &a->node);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read this node's site key or "
				"identity in %s: %s (enroll this node first)\n",
			cli->config.data_dir, wl_strerror(rc));
		wl_cli_actor_close(a);
		return 1;
	}
	wl_hlc_init(&a->hlc, NULL, NULL, cli->config.max_skew_ms, 0);
	if (wl_cli_actor_refold(a) != 0) {
		wl_cli_actor_close(a);
		return 1;
	}
	return 0;
}

void wl_cli_actor_close(struct wl_cli_actor *a)
{
	const struct wl_user *user = wl_cli_actor_user(a);

	/* A CLI command is one session: it ends here. */
	if (user != NULL && a->spaces != NULL) {
		struct wl_audit_record rec;

		wl_cli_audit_record(&rec, "logout", "ok", a->user_id,
				    user->bundle.username, NULL);
		(void)wl_cli_actor_audit(a, &rec);
	}
	wl_keyring_free(a->keyring);
	wl_keys_secret_free(a->secret);
	wl_spaces_free(a->spaces);
	wl_users_free(a->users);
	wl_identity_free(a->node);
	wl_store_close(a->store);
	memset(a, 0, sizeof(*a));
}

const struct wl_user *wl_cli_actor_user(const struct wl_cli_actor *a)
{
	return a->secret && a->users ? wl_users_by_id(a->users, a->user_id)
				     : NULL;
}

int wl_cli_actor_append(struct wl_cli_actor *a,
			const struct wl_feed_item *items, size_t n)
{
	int rc = wl_feed_append(a->store, a->node, &a->hlc, items, n, NULL,
				NULL);

	if (rc != 0)
		fprintf(stderr, "wardline: cannot write to this node's store: "
				"%s\n", wl_strerror(rc));
	return rc;
}

static int actor_append(void *arg, const struct wl_feed_item *items,
			size_t n)
{
	return wl_cli_actor_append(arg, items, n);
}

void wl_cli_actor_writer(struct wl_cli_actor *a,
			 struct wl_membership_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->store = a->store;
	w->users = a->users;
	w->spaces = a->spaces;
	w->user_id = a->user_id;
	w->sign_sk = a->secret ? a->secret->sign_sk : NULL;
	w->keyring = a->keyring;
	w->append = actor_append;
	w->append_arg = a;
}

void wl_cli_audit_record(struct wl_audit_record *rec, const char *action,
			 const char *outcome, const unsigned char *user_id,
			 const char *username, const struct wl_space *space)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->action, sizeof(rec->action), "%s", action);
	snprintf(rec->outcome, sizeof(rec->outcome), "%s", outcome);
	if (user_id != NULL) {
		rec->has_user = 1;
		memcpy(rec->user, user_id, 16);
	}
	if (username != NULL)
		snprintf(rec->username, sizeof(rec->username), "%s", username);
	if (space != NULL) {
		rec->has_space = 1;
		memcpy(rec->space, space->id, 16);
	}
}

int wl_cli_actor_audit(struct wl_cli_actor *a, struct wl_audit_record *rec)
{
	struct wl_audit_draft d;
	int rc;

	rec->at_ms = wl_hlc_system_wall(NULL);
	rc = wl_audit_draft(a->spaces, rec, &d);
	if (rc == WL_ENOTFOUND)
		fprintf(stderr, "wardline: warning: the site has no audit space "
				"yet, so '%s' is not recorded (an admin "
				"creates it with 'wardline space create "
				"--kind audit')\n", rec->action);
	else if (rc != 0)
		fprintf(stderr, "wardline: cannot encode the audit record "
				"'%s': %s\n", rec->action, wl_strerror(rc));
	else
		rc = wl_cli_actor_append(a, &d.item, 1);
	sodium_memzero(&d, sizeof(d));
	return rc;
}

/* Append an account event about USER_ID, node-authored. */
static int account_event(struct wl_cli_actor *a, enum wl_account_op op,
			 const unsigned char user_id[16])
{
	unsigned char json[WL_USERS_ACCOUNT_JSON_MAX];
	struct wl_feed_item item;
	size_t len = 0;
	int rc = wl_users_account_encode(op, user_id, json, sizeof(json),
					 &len);

	if (rc != 0)
		return rc;
	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_ACCOUNT;
	item.body = json;
	item.body_len = len;
	return wl_cli_actor_append(a, &item, 1);
}

/* Audit a login attempt for USERNAME (USER may be NULL). */
static void audit_login(struct wl_cli_actor *a, const struct wl_user *user,
			const char *username, const char *action,
			const char *outcome, const char *detail)
{
	struct wl_audit_record rec;

	wl_cli_audit_record(&rec, action, outcome,
			    user ? user->bundle.user_id : NULL, username, NULL);
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	(void)wl_cli_actor_audit(a, &rec);
}

/* Refuse a login before the password is read: disabled, locked or
 * throttled. Returns 0 when the attempt may go on. */
static int login_gate(struct wl_cli_actor *a, const struct wl_user *user,
		      const char *username)
{
	uint64_t retry_ms = 0;
	int locked = 0;
	int rc = wl_users_login_gate(user, &a->cli->config.session,
				     wl_hlc_system_wall(NULL), &locked,
				     &retry_ms);

	if (rc == WL_EDENIED && !locked) {
		audit_login(a, user, username, "login_refused", "denied",
			    "account disabled");
		fprintf(stderr, "wardline: login rejected: the account of %s "
				"is disabled\n", username);
	} else if (rc == WL_EDENIED) {
		audit_login(a, user, username, "login_refused", "denied",
			    "account locked");
		fprintf(stderr, "wardline: login rejected: the account of %s "
				"is locked after %u failed logins; an admin "
				"unlocks it with 'wardline user unlock'\n",
			username, user->failures);
	} else if (rc == WL_EBUSY) {
		audit_login(a, user, username, "login_refused", "denied",
			    "too soon after a failed login");
		fprintf(stderr, "wardline: login rejected: wait %llu s after "
				"the last failed login of %s\n",
			(unsigned long long)((retry_ms + 999) / 1000),
			username);
	}
	return rc == 0 ? 0 : 1;
}

/* Count a wrong password on every node, and lock at the configured
 * count. */
static void login_failed(struct wl_cli_actor *a, const struct wl_user *user,
			 const char *username)
{
	const struct wl_session_policy *p = &a->cli->config.session;
	unsigned char id[16];
	unsigned failures = user->failures + 1;

	memcpy(id, user->bundle.user_id, 16);
	audit_login(a, user, username, "login_failed", "failed",
		    "wrong password");
	(void)account_event(a, WL_ACCOUNT_FAILED, id);
	if (failures >= p->lockout_failures) {
		(void)account_event(a, WL_ACCOUNT_LOCKED, id);
		audit_login(a, user, username, "account_locked", "ok",
			    "lockout count reached");
		fprintf(stderr, "wardline: the account of %s is now locked "
				"after %u failed logins\n",
			username, failures);
	}
}

/* Tell the user about spaces they belong to without the current key, which
 * a member who may seal must give them ('wardline space sync-keys'). */
static void warn_missing_keys(const struct wl_cli_actor *a,
			      const char *username)
{
	for (size_t i = 0; i < wl_spaces_count(a->spaces); i++) {
		const struct wl_space *s = wl_spaces_at(a->spaces, i);

		if (wl_space_is_member(a->spaces, s, a->user_id) &&
		    wl_keyring_get(a->keyring, s->id, s->epoch, 0) == NULL)
			fprintf(stderr, "wardline: warning: %s holds no key of "
					"epoch %u of '%s' yet; an admin or "
					"charge nurse runs 'wardline space "
					"sync-keys'\n",
				username, s->epoch, s->name);
	}
}

int wl_cli_actor_login(struct wl_cli_actor *a, const char *username,
		       const char *password_file)
{
	const struct wl_user *user = wl_users_by_name(a->users, username);
	struct wl_keys_secret *secret = NULL;
	char pw[SECRET_MAX];
	int rc;

	if (user == NULL) {
		audit_login(a, NULL, username, "login_failed", "failed",
			    "unknown username");
		fprintf(stderr, "wardline: login failed: wrong username or "
				"password\n");
		return 1;
	}
	if (login_gate(a, user, username) != 0)
		return 1;

	if (wl_cli_read_secret(password_file, "Password: ", pw, sizeof(pw)))
		return 1;
	rc = wl_keys_unwrap(&user->bundle, pw, &secret);
	sodium_memzero(pw, sizeof(pw));
	if (rc != 0) {
		login_failed(a, user, username);
		fprintf(stderr, "wardline: login failed: wrong username or "
				"password\n");
		return 1;
	}

	memcpy(a->user_id, user->bundle.user_id, 16);
	a->secret = secret;
	if (user->failures > 0)
		(void)account_event(a, WL_ACCOUNT_RESET, a->user_id);
	audit_login(a, user, username, "login", "ok", "");
	if (wl_cli_actor_refold(a) != 0)
		return 1;

	rc = wl_keyring_open(a->spaces, a->store, wl_cli_actor_user(a),
			     a->secret, NULL, &a->keyring);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot open the space keys of %s: "
				"%s\n", username, wl_strerror(rc));
		return 1;
	}
	warn_missing_keys(a, username);
	return 0;
}

const struct wl_space *wl_cli_find_space(const struct wl_cli_actor *a,
					 const char *arg)
{
	const struct wl_space *s = arg ? wl_spaces_by_name(a->spaces, arg)
				       : NULL;
	unsigned char id[16];
	size_t len = 0;

	if (s == NULL && arg != NULL && strlen(arg) == 32 &&
	    sodium_hex2bin(id, 16, arg, 32, NULL, &len, NULL) == 0 &&
	    len == 16)
		s = wl_spaces_by_id(a->spaces, id);
	if (s == NULL)
		fprintf(stderr, "wardline: space '%s' not found (names are "
				"exact; 'wardline space list' shows them, and a "
				"name used twice needs the id)\n",
			arg ? arg : "");
	return s;
}
