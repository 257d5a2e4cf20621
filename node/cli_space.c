/* wardline space create | add | remove | rotate | grant | sync-keys | list:
 * the site's spaces, their members and their keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/utf8.h"

struct space_args {
	const char *data_dir;
	const char *as;
	const char *password_file;
	const char *kind;
	const char *name;
	const char *space;
	const char *user;
	const char *members[WL_SPACE_CREATE_MEMBERS_MAX];
	size_t n_members;
	const char *reason_file;
	unsigned long minutes;
};

static int space_parse(int argc, char **argv, struct space_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"kind", required_argument, NULL, 'k'},
		{"name", required_argument, NULL, 'n'},
		{"space", required_argument, NULL, 's'},
		{"user", required_argument, NULL, 'u'},
		{"member", required_argument, NULL, 'm'},
		{"reason-file", required_argument, NULL, 'r'},
		{"minutes", required_argument, NULL, 'M'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 'a': a->as = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'k': a->kind = optarg; break;
		case 'n': a->name = optarg; break;
		case 's': a->space = optarg; break;
		case 'u': a->user = optarg; break;
		case 'r': a->reason_file = optarg; break;
		case 'm':
			if (a->n_members == WL_SPACE_CREATE_MEMBERS_MAX)
				return -1;
			a->members[a->n_members++] = optarg;
			break;
		case 'M':
			a->minutes = strtoul(optarg, &end, 10);
			if (*end != '\0' || a->minutes == 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static const struct wl_user *find_user(const struct wl_cli_actor *a,
				       const char *name)
{
	const struct wl_user *u = name ? wl_users_by_name(a->users, name)
				       : NULL;

	if (u == NULL)
		fprintf(stderr, "wardline: no user '%s'\n", name ? name : "");
	return u;
}

/* Audit ACTION on S (may be NULL) about USER (may be NULL) by the actor. */
static void audit_space(struct wl_cli_actor *a, const char *action,
			const struct wl_space *s, const struct wl_user *user,
			const char *detail, int emergency)
{
	const char *outcome = strcmp(action, "access_denied") == 0 ? "denied"
								   : "ok";
	struct wl_audit_record rec;

	wl_cli_audit_record(&rec, action, outcome, a->user_id,
			    wl_cli_actor_user(a)->bundle.username, s);
	if (user != NULL)
		snprintf(rec.detail, sizeof(rec.detail), "user %s%s%s",
			 user->bundle.username, detail[0] ? "; " : "", detail);
	else
		snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	rec.emergency = emergency;
	(void)wl_cli_actor_audit(a, &rec);
}

/* Explain that the access table refused ACTION in S, and audit it.
 * Returns 1. */
static int denied(struct wl_cli_actor *a, const struct wl_space *s,
		  enum wl_action action)
{
	audit_space(a, "access_denied", s, NULL,
		    wl_access_action_name(action), 0);
	fprintf(stderr, "wardline: %s may not %s in space '%s' (%s); the "
			"attempt is recorded in the audit trail\n",
		wl_cli_actor_user(a)->bundle.username,
		wl_access_action_name(action), s->name,
		wl_access_space_kind_name(s->kind));
	return 1;
}

/* Refuse ACTION in S unless the access table allows it; audit a refusal. */
static int require(struct wl_cli_actor *a, const struct wl_space *s,
		   enum wl_action action)
{
	if (wl_space_may(a->spaces, s, a->user_id, action,
			 wl_hlc_system_wall(NULL), NULL) == 0)
		return 0;
	return denied(a, s, action);
}

/* Explain why a create of KIND named NAME failed with RC. Returns 1. */
static int create_failed(struct wl_cli_actor *a, enum wl_space_kind kind,
			 const char *name, int rc)
{
	const char *kind_name = wl_access_space_kind_name(kind);
	char detail[80];

	if (rc == WL_EEXIST && kind == WL_SPACE_AUDIT &&
	    wl_spaces_audit(a->spaces) != NULL) {
		fprintf(stderr, "wardline: the site has its audit space "
				"already\n");
	} else if (rc == WL_EEXIST) {
		fprintf(stderr, "wardline: a space named '%s' exists\n", name);
	} else if (rc == WL_EDENIED) {
		snprintf(detail, sizeof(detail), "create %s", kind_name);
		audit_space(a, "access_denied", NULL, NULL, detail, 0);
		fprintf(stderr, "wardline: %s may not create a %s space (only "
				"admins may); the attempt is recorded in the "
				"audit trail\n",
			wl_cli_actor_user(a)->bundle.username, kind_name);
	} else {
		fprintf(stderr, "wardline: cannot create the space: %s\n",
			wl_strerror(rc));
	}
	return 1;
}

static int space_create(struct wl_cli_actor *a, const struct space_args *o)
{
	unsigned char members[WL_SPACE_CREATE_MEMBERS_MAX][16];
	const char *name = o->name ? o->name : "";
	struct wl_membership_writer w;
	enum wl_space_kind kind;
	unsigned char id[16];
	size_t sealed = 0;
	char hex[33];
	int rc;

	if (o->kind == NULL || wl_access_space_kind_parse(o->kind, &kind) != 0 ||
	    kind == WL_SPACE_SITE || strlen(name) > WL_SPACE_NAME_MAX) {
		fprintf(stderr, "wardline: space create needs --kind (ward, "
				"direct, role_mailbox or audit) and --name of "
				"at most %d bytes\n", WL_SPACE_NAME_MAX);
		return 2;
	}
	for (size_t i = 0; i < o->n_members; i++) {
		const struct wl_user *u = find_user(a, o->members[i]);

		if (u == NULL)
			return 1;
		memcpy(members[i], u->bundle.user_id, 16);
	}

	wl_cli_actor_writer(a, &w);
	rc = wl_membership_create(&w, kind, name,
				  (const unsigned char(*)[16])members,
				  o->n_members, id, &sealed);
	if (rc != 0)
		return create_failed(a, kind, name, rc);

	sodium_bin2hex(hex, sizeof(hex), id, 16);
	printf("space %s created: %s '%s', %zu key envelopes\n", hex,
	       wl_access_space_kind_name(kind), name, sealed);
	if (wl_cli_actor_refold(a) == 0)
		audit_space(a, "space_created", wl_spaces_by_id(a->spaces, id),
			    NULL, "", 0);
	return 0;
}

static int space_add(struct wl_cli_actor *a, const struct space_args *o)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_membership_writer w;
	int rc;

	if (s == NULL || u == NULL)
		return 1;
	wl_cli_actor_writer(a, &w);
	rc = wl_membership_add(&w, s, u->bundle.user_id);
	if (rc == WL_EDENIED)
		return denied(a, s, WL_ACTION_ADD_MEMBER);
	if (rc == WL_ENOTFOUND) {
		fprintf(stderr, "wardline: you hold no key of epoch %u of '%s'; "
				"a member who does must add the user\n",
			s->epoch, s->name);
		return 1;
	}
	if (rc != 0)
		return 1;
	audit_space(a, "member_added", s, u, "", 0);
	printf("%s added to '%s' at epoch %u\n", u->bundle.username, s->name,
	       s->epoch);
	return 0;
}

static int space_remove(struct wl_cli_actor *a, const struct space_args *o)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_membership_writer w;
	int rc;

	if (s == NULL || u == NULL)
		return 1;
	wl_cli_actor_writer(a, &w);
	rc = wl_membership_remove(&w, s, u->bundle.user_id);
	if (rc == WL_EDENIED)
		return denied(a, s, WL_ACTION_REMOVE_MEMBER);
	if (rc == WL_ENOTFOUND) {
		fprintf(stderr, "wardline: %s is not a named member of '%s' "
				"(admins belong to every ward)\n",
			u->bundle.username, s->name);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot remove %s from '%s'\n",
			u->bundle.username, s->name);
		return 1;
	}
	audit_space(a, "member_removed", s, u, "new key epoch", 0);
	printf("%s removed from '%s'; key epoch %u started\n",
	       u->bundle.username, s->name, s->epoch + 1);
	return 0;
}

/* Rotate the key of S: a new epoch for the same members. */
static int rotate(struct wl_cli_actor *a, const struct wl_space *s,
		  const char *why)
{
	struct wl_membership_writer w;
	int rc;

	wl_cli_actor_writer(a, &w);
	rc = wl_membership_rotate(&w, s);
	if (rc == WL_EDENIED) {
		fprintf(stderr, "wardline: only a member of '%s' can rotate "
				"its key\n", s->name);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot rotate the key of '%s'\n",
			s->name);
		return 1;
	}
	audit_space(a, "key_rotated", s, NULL, why, 0);
	printf("key of '%s' rotated to epoch %u (%s)\n", s->name, s->epoch + 1,
	       why);
	return 0;
}

/* Read a grant reason from PATH or standard input. */
static int read_reason(const char *path, char *buf, size_t size)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, size - 1, f);
	if (path)
		fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int space_grant(struct wl_cli_actor *a, const struct space_args *o)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_membership_writer w;
	char *reason;
	int rc = WL_EINVAL;

	if (s == NULL || u == NULL)
		return 1;
	if (o->minutes == 0 || o->minutes > WL_ACCESS_GRANT_MAX_MS / 60000) {
		fprintf(stderr, "wardline: space grant needs --minutes from 1 "
				"to %llu\n",
			(unsigned long long)(WL_ACCESS_GRANT_MAX_MS / 60000));
		return 2;
	}
	if (require(a, s, WL_ACTION_GRANT_EMERGENCY_ACCESS) != 0)
		return 1;
	reason = sodium_malloc(WL_ACCESS_REASON_BYTES + 2);
	if (reason == NULL)
		return 1;

	wl_cli_actor_writer(a, &w);
	if (read_reason(o->reason_file, reason, WL_ACCESS_REASON_BYTES + 2) ==
	    0)
		rc = wl_membership_grant(&w, s, u->bundle.user_id,
					 wl_hlc_system_wall(NULL) +
						 o->minutes * 60000ull,
					 reason);
	if (rc == WL_ENOTFOUND)
		fprintf(stderr, "wardline: you hold no key of '%s' to give\n",
			s->name);
	else if (rc == WL_EINVAL)
		fprintf(stderr, "wardline: a grant needs a written reason of "
				"1 to %d characters (--reason-file or standard "
				"input)\n", WL_ACCESS_REASON_MAX);
	else if (rc == WL_EDENIED)
		denied(a, s, WL_ACTION_GRANT_EMERGENCY_ACCESS);
	if (rc == 0) {
		audit_space(a, "emergency_access_granted", s, u, reason, 1);
		printf("%s has emergency access to '%s' for %lu minutes\n",
		       u->bundle.username, s->name, o->minutes);
	}
	sodium_free(reason);
	return rc == 0 ? 0 : 1;
}

static void space_list(const struct wl_cli_actor *a)
{
	uint64_t now = wl_hlc_system_wall(NULL);
	unsigned char(*to)[16] = malloc(WL_MEMBERSHIP_RECIPIENTS_MAX * 16);
	char hex[33];

	if (to == NULL)
		return;
	printf("%-32s %-12s %-6s %-7s %s\n", "SPACE ID", "KIND", "EPOCH",
	       "MEMBERS", "NAME");
	for (size_t i = 0; i < wl_spaces_count(a->spaces); i++) {
		const struct wl_space *s = wl_spaces_at(a->spaces, i);
		size_t n = wl_space_recipients(a->spaces, s, now, to,
					       WL_MEMBERSHIP_RECIPIENTS_MAX);

		sodium_bin2hex(hex, sizeof(hex), s->id, 16);
		printf("%-32s %-12s %-6u %-7zu %s%s\n", hex,
		       wl_access_space_kind_name(s->kind), s->epoch, n,
		       s->name, s->rotation_due ? " (rotation due)" : "");
	}
	free(to);
}

long wl_cli_sync_keys(struct wl_cli_actor *a)
{
	struct wl_membership_writer w;
	size_t sealed = 0;
	int rc;

	wl_cli_actor_writer(a, &w);
	rc = wl_membership_sync_keys(&w, &sealed);
	return rc != 0 ? rc : (long)sealed;
}

int wl_cli_rotate(struct wl_cli_actor *a, const struct wl_space *s,
		  const char *why)
{
	return rotate(a, s, why);
}

/* Run VERB after the login. */
static int space_run(struct wl_cli_actor *a, const char *verb,
		     const struct space_args *o)
{
	const struct wl_space *s;

	if (strcmp(verb, "create") == 0)
		return space_create(a, o);
	if (strcmp(verb, "add") == 0)
		return space_add(a, o);
	if (strcmp(verb, "remove") == 0)
		return space_remove(a, o);
	if (strcmp(verb, "grant") == 0)
		return space_grant(a, o);
	if (strcmp(verb, "rotate") == 0) {
		s = wl_cli_find_space(a, o->space);
		return s ? rotate(a, s, "asked by a member") : 1;
	}
	return 0; /* sync-keys: done after every verb */
}

int wl_cmd_space(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"create --kind KIND --name NAME [--member USER]... --as USER\n"
		"       wardline space add|remove --space SPACE --user USER "
		"--as USER\n"
		"       wardline space grant --space SPACE --user USER "
		"--minutes N [--reason-file F] --as USER\n"
		"       wardline space rotate|sync-keys [--space SPACE] "
		"--as USER\n"
		"       wardline space list\n"
		"  (every form takes [--data-dir DIR] and, with --as, "
		"[--password-file F])";
	static const char *const verbs[] = {"create", "add",    "remove",
					    "grant",  "rotate", "sync-keys",
					    "list"};
	const char *verb = argc > 1 ? argv[1] : "";
	struct space_args o;
	struct wl_cli_actor a;
	size_t v = 0;
	long synced;
	int rc;

	while (v < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[v], verb))
		v++;
	if (v == sizeof(verbs) / sizeof(verbs[0]) ||
	    space_parse(argc - 1, argv + 1, &o) != 0 ||
	    (strcmp(verb, "list") != 0 && o.as == NULL))
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;
	if (strcmp(verb, "list") == 0) {
		space_list(&a);
		wl_cli_actor_close(&a);
		return 0;
	}

	rc = wl_cli_actor_login(&a, o.as, o.password_file);
	if (rc == 0)
		rc = space_run(&a, verb, &o);
	if (rc == 0 && wl_cli_actor_refold(&a) == 0) {
		synced = wl_cli_sync_keys(&a);
		if (synced > 0)
			printf("%ld missing key envelopes sealed\n", synced);
		else if (synced < 0)
			fprintf(stderr, "wardline: cannot seal the missing key "
					"envelopes: %s\n", wl_strerror((int)synced));
	}
	wl_cli_actor_close(&a);
	return rc;
}
