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

#define RECIPIENTS_MAX 512

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

/* Events written by one command: a membership change and its envelopes,
 * appended in one commit. */
struct batch {
	struct wl_feed_item items[RECIPIENTS_MAX + 1];
	unsigned char bodies[RECIPIENTS_MAX + 1][WL_SPACE_CHANGE_JSON_MAX];
	size_t n;
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

/* Add the membership change C, signed by the actor, to B. */
static int batch_change(struct wl_cli_actor *a, struct batch *b,
			const struct wl_space_change *c)
{
	struct wl_feed_item *it = &b->items[b->n];
	int rc = wl_space_change_encode(c, b->bodies[b->n],
					sizeof(b->bodies[0]), &it->body_len);

	if (rc != 0)
		return rc;
	it->kind = WL_KIND_MEMBERSHIP;
	it->author_sk = a->secret->sign_sk;
	it->body = b->bodies[b->n++];
	return 0;
}

/* Add envelopes of KEY (SPACE, EPOCH) for the N users in TO to B. */
static int batch_seal(struct wl_cli_actor *a, struct batch *b,
		      const unsigned char space[16], uint32_t epoch,
		      const unsigned char key[32], unsigned char (*to)[16],
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wl_user *u = wl_users_by_id(a->users, to[i]);
		struct wl_keys_envelope env;
		struct wl_feed_item *it = &b->items[b->n];
		int rc;

		if (u == NULL || b->n == RECIPIENTS_MAX)
			return WL_ETOOBIG;
		rc = wl_keys_envelope_seal(space, epoch, key, to[i],
					   u->bundle.box_pk, &env);
		if (rc == 0)
			rc = wl_keys_envelope_encode(&env, b->bodies[b->n],
						     sizeof(b->bodies[0]),
						     &it->body_len);
		if (rc != 0)
			return rc;
		it->kind = WL_KIND_KEY_ENVELOPE;
		it->author_sk = a->secret->sign_sk;
		it->body = b->bodies[b->n++];
	}
	return 0;
}

static int batch_write(struct wl_cli_actor *a, struct batch *b)
{
	int rc = b->n ? wl_cli_actor_append(a, b->items, b->n) : 0;

	b->n = 0;
	return rc;
}

/* May the actor seal keys of S: as the starter of its current epoch, or
 * as someone who may add members or grant access there? */
static int may_seal(struct wl_cli_actor *a, const struct wl_space *s,
		    uint64_t now)
{
	const struct wl_space_epoch *e = wl_space_epoch_at(s, s->epoch);

	return (e != NULL && memcmp(e->starter, a->user_id, 16) == 0) ||
	       wl_space_may(a->spaces, s, a->user_id, WL_ACTION_ADD_MEMBER,
			    now, NULL) == 0 ||
	       wl_space_may(a->spaces, s, a->user_id,
			    WL_ACTION_GRANT_EMERGENCY_ACCESS, now, NULL) == 0;
}

/* Seal each key of S that the actor holds to every recipient of S who
 * lacks it. Current recipients get the earlier epochs too, so that a nurse
 * who joins a ward reads its history; removed members are no recipients
 * and get nothing new. Returns the count written or a negative code. */
static long sync_space(struct wl_cli_actor *a, struct batch *b,
		       const struct wl_space *s, unsigned char (*to)[16],
		       unsigned char (*missing)[16], uint64_t now)
{
	size_t n = wl_space_recipients(a->spaces, s, now, to, RECIPIENTS_MAX);
	long written = 0;
	int rc = 0;

	if (n > RECIPIENTS_MAX)
		n = RECIPIENTS_MAX;
	for (uint32_t ep = 1; rc == 0 && ep <= s->epoch; ep++) {
		const unsigned char *key = wl_keyring_get(a->keyring, s->id,
							  ep, 0);
		size_t m = 0;

		if (key == NULL)
			continue;
		for (size_t k = 0; k < n; k++)
			if (!wl_space_has_envelope(a->spaces, s, to[k], ep))
				memcpy(missing[m++], to[k], 16);
		rc = batch_seal(a, b, s->id, ep, key, missing, m);
		if (rc == 0)
			rc = batch_write(a, b);
		written += (long)m;
	}
	return rc != 0 ? rc : written;
}

/* Seal missing keys in every space the actor may seal for: new admins,
 * new grant holders, users whose keys an admin reset, members whose
 * envelope was lost in a race. Returns the count or a negative code. */
static long sync_keys(struct wl_cli_actor *a, struct batch *b)
{
	unsigned char(*to)[16] = malloc(RECIPIENTS_MAX * 16);
	unsigned char(*missing)[16] = malloc(RECIPIENTS_MAX * 16);
	uint64_t now = wl_hlc_system_wall(NULL);
	long written = to && missing ? 0 : WL_ENOMEM;

	for (size_t i = 0; written >= 0 && i < wl_spaces_count(a->spaces);
	     i++) {
		const struct wl_space *s = wl_spaces_at(a->spaces, i);
		long n;

		if (!may_seal(a, s, now))
			continue;
		n = sync_space(a, b, s, to, missing, now);
		written = n < 0 ? n : written + n;
	}
	free(to);
	free(missing);
	return written;
}

/* Start epoch S->epoch + 1 with a new key sealed to every recipient but
 * REMOVED (may be NULL), with the change C (remove or rotate) already
 * filled but for epoch and audit key. */
static int new_epoch(struct wl_cli_actor *a, struct batch *b,
		     const struct wl_space *s, struct wl_space_change *c,
		     const unsigned char *removed)
{
	unsigned char(*to)[16] = malloc(RECIPIENTS_MAX * 16);
	unsigned char *key = sodium_malloc(32);
	unsigned char audit_sk[32];
	size_t n, kept = 0;
	int rc = to && key ? 0 : WL_ENOMEM;

	if (rc == 0) {
		wl_keys_space_key_new(key);
		c->epoch = s->epoch + 1;
		if (s->kind == WL_SPACE_AUDIT) {
			wl_audit_keypair(key, c->audit_pk, audit_sk);
			sodium_memzero(audit_sk, sizeof(audit_sk));
			c->has_audit_pk = 1;
		}
		n = wl_space_recipients(a->spaces, s,
					wl_hlc_system_wall(NULL), to,
					RECIPIENTS_MAX);
		for (size_t k = 0; k < n && k < RECIPIENTS_MAX; k++)
			if (removed == NULL || memcmp(to[k], removed, 16) != 0)
				memmove(to[kept++], to[k], 16);
		rc = batch_change(a, b, c);
	}
	if (rc == 0)
		rc = batch_seal(a, b, s->id, c->epoch, key, to, kept);
	if (rc == 0)
		rc = batch_write(a, b);
	if (rc == 0)
		rc = wl_keyring_add(a->keyring, s->id, c->epoch, key);
	sodium_free(key);
	free(to);
	return rc;
}

/* Audit ACTION on S about USER (may be NULL) by the actor. */
static void audit_space(struct wl_cli_actor *a, const char *action,
			const struct wl_space *s, const struct wl_user *user,
			const char *detail, int emergency)
{
	struct wl_audit_record rec;

	wl_cli_audit_record(&rec, action, "ok", a->user_id,
			    wl_cli_actor_user(a)->bundle.username, s);
	if (user != NULL)
		snprintf(rec.detail, sizeof(rec.detail), "user %s%s%s",
			 user->bundle.username, detail[0] ? "; " : "", detail);
	else
		snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	rec.emergency = emergency;
	(void)wl_cli_actor_audit(a, &rec);
}

/* Refuse ACTION in S unless the access table allows it; audit a refusal. */
static int require(struct wl_cli_actor *a, const struct wl_space *s,
		   enum wl_action action)
{
	if (wl_space_may(a->spaces, s, a->user_id, action,
			 wl_hlc_system_wall(NULL), NULL) == 0)
		return 0;
	audit_space(a, "access_denied", s, NULL,
		    wl_access_action_name(action), 0);
	fprintf(stderr, "wardline: %s may not %s in space '%s' (%s); the "
			"attempt is recorded in the audit trail\n",
		wl_cli_actor_user(a)->bundle.username,
		wl_access_action_name(action), s->name,
		wl_access_space_kind_name(s->kind));
	return 1;
}

static int space_create(struct wl_cli_actor *a, const struct space_args *o,
			struct batch *b)
{
	struct wl_space_change c;
	unsigned char(*to)[16] = NULL;
	unsigned char *key = NULL;
	unsigned char audit_sk[32];
	size_t n = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	c.epoch = 1;
	if (o->kind == NULL ||
	    wl_access_space_kind_parse(o->kind, &c.kind) != 0 ||
	    c.kind == WL_SPACE_SITE || strlen(o->name ? o->name : "") >
						   WL_SPACE_NAME_MAX) {
		fprintf(stderr, "wardline: space create needs --kind (ward, "
				"direct, role_mailbox or audit) and --name of "
				"at most %d bytes\n", WL_SPACE_NAME_MAX);
		return 2;
	}
	snprintf(c.name, sizeof(c.name), "%s", o->name ? o->name : "");
	if (c.kind != WL_SPACE_DIRECT &&
	    wl_spaces_by_name(a->spaces, c.name) != NULL) {
		fprintf(stderr, "wardline: a space named '%s' exists\n",
			c.name);
		return 1;
	}
	randombytes_buf(c.space_id, 16);

	to = malloc(RECIPIENTS_MAX * 16);
	key = sodium_malloc(32);
	if (to == NULL || key == NULL) {
		rc = WL_ENOMEM;
		goto out;
	}
	memcpy(to[n++], a->user_id, 16);
	for (size_t i = 0; i < o->n_members; i++) {
		const struct wl_user *u = find_user(a, o->members[i]);

		if (u == NULL) {
			rc = 1;
			goto out;
		}
		memcpy(c.members[c.n_members++], u->bundle.user_id, 16);
		memcpy(to[n++], u->bundle.user_id, 16);
	}
	for (size_t i = 0; c.kind == WL_SPACE_WARD &&
			   i < wl_users_count(a->users) && n < RECIPIENTS_MAX;
	     i++) {
		const struct wl_user *u = wl_users_at(a->users, i);

		if (u->bundle.role == WL_ROLE_ADMIN && !u->bundle.disabled &&
		    memcmp(u->bundle.user_id, a->user_id, 16) != 0)
			memcpy(to[n++], u->bundle.user_id, 16);
	}

	wl_keys_space_key_new(key);
	if (c.kind == WL_SPACE_AUDIT) {
		wl_audit_keypair(key, c.audit_pk, audit_sk);
		sodium_memzero(audit_sk, sizeof(audit_sk));
		c.has_audit_pk = 1;
	}
	rc = batch_change(a, b, &c);
	if (rc == 0)
		rc = batch_seal(a, b, c.space_id, 1, key, to, n);
	if (rc == 0)
		rc = batch_write(a, b);
out:
	sodium_free(key);
	free(to);
	if (rc < 0)
		fprintf(stderr, "wardline: cannot create the space: %s\n",
			wl_strerror(rc));
	if (rc == 0) {
		char hex[33];

		sodium_bin2hex(hex, sizeof(hex), c.space_id, 16);
		printf("space %s created: %s '%s', %zu key envelopes\n", hex,
		       wl_access_space_kind_name(c.kind), c.name, n);
		if (wl_cli_actor_refold(a) == 0)
			audit_space(a, "space_created",
				    wl_spaces_by_id(a->spaces, c.space_id),
				    NULL, "", 0);
	}
	return rc == 0 ? 0 : 1;
}

static int space_add(struct wl_cli_actor *a, const struct space_args *o,
		     struct batch *b)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_space_change c;
	const unsigned char *key;
	unsigned char to[1][16];
	int rc;

	if (s == NULL || u == NULL)
		return 1;
	if (require(a, s, WL_ACTION_ADD_MEMBER) != 0)
		return 1;
	key = wl_keyring_get(a->keyring, s->id, s->epoch, 0);
	if (key == NULL) {
		fprintf(stderr, "wardline: you hold no key of epoch %u of '%s'; "
				"a member who does must add the user\n",
			s->epoch, s->name);
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_ADD;
	memcpy(c.space_id, s->id, 16);
	c.epoch = s->epoch;
	memcpy(c.user, u->bundle.user_id, 16);
	memcpy(to[0], u->bundle.user_id, 16);

	rc = batch_change(a, b, &c);
	if (rc == 0)
		rc = batch_seal(a, b, s->id, s->epoch, key, to, 1);
	if (rc == 0)
		rc = batch_write(a, b);
	if (rc != 0)
		return 1;
	audit_space(a, "member_added", s, u, "", 0);
	printf("%s added to '%s' at epoch %u\n", u->bundle.username, s->name,
	       s->epoch);
	return 0;
}

static int space_remove(struct wl_cli_actor *a, const struct space_args *o,
			struct batch *b)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_space_change c;

	if (s == NULL || u == NULL)
		return 1;
	if (require(a, s, WL_ACTION_REMOVE_MEMBER) != 0)
		return 1;
	if (!wl_space_is_member(a->spaces, s, u->bundle.user_id) ||
	    (s->kind == WL_SPACE_WARD && u->bundle.role == WL_ROLE_ADMIN)) {
		fprintf(stderr, "wardline: %s is not a named member of '%s' "
				"(admins belong to every ward)\n",
			u->bundle.username, s->name);
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_REMOVE;
	memcpy(c.space_id, s->id, 16);
	memcpy(c.user, u->bundle.user_id, 16);
	if (new_epoch(a, b, s, &c, u->bundle.user_id) != 0) {
		fprintf(stderr, "wardline: cannot remove %s from '%s'\n",
			u->bundle.username, s->name);
		return 1;
	}
	audit_space(a, "member_removed", s, u, "new key epoch", 0);
	printf("%s removed from '%s'; key epoch %u started\n",
	       u->bundle.username, s->name, c.epoch);
	return 0;
}

/* Rotate the key of S: a new epoch for the same members. */
static int rotate(struct wl_cli_actor *a, struct batch *b,
		  const struct wl_space *s, const char *why)
{
	struct wl_space_change c;

	if (!wl_space_is_member(a->spaces, s, a->user_id)) {
		fprintf(stderr, "wardline: only a member of '%s' can rotate "
				"its key\n", s->name);
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_ROTATE;
	memcpy(c.space_id, s->id, 16);
	if (new_epoch(a, b, s, &c, NULL) != 0) {
		fprintf(stderr, "wardline: cannot rotate the key of '%s'\n",
			s->name);
		return 1;
	}
	audit_space(a, "key_rotated", s, NULL, why, 0);
	printf("key of '%s' rotated to epoch %u (%s)\n", s->name, c.epoch,
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

static int space_grant(struct wl_cli_actor *a, const struct space_args *o,
		       struct batch *b)
{
	const struct wl_space *s = wl_cli_find_space(a, o->space);
	const struct wl_user *u = find_user(a, o->user);
	struct wl_space_change c;
	const unsigned char *key;
	unsigned char to[1][16];
	char *reason;
	int rc = 1;

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
	key = wl_keyring_get(a->keyring, s->id, s->epoch, 0);
	reason = sodium_malloc(WL_ACCESS_REASON_BYTES + 2);
	if (key == NULL || reason == NULL) {
		fprintf(stderr, "wardline: you hold no key of '%s' to give\n",
			s->name);
		sodium_free(reason);
		return 1;
	}

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_GRANT;
	memcpy(c.space_id, s->id, 16);
	c.epoch = s->epoch;
	memcpy(c.user, u->bundle.user_id, 16);
	c.expires_ms = wl_hlc_system_wall(NULL) + o->minutes * 60000ull;
	memcpy(to[0], u->bundle.user_id, 16);
	if (read_reason(o->reason_file, reason, WL_ACCESS_REASON_BYTES + 2) ==
		    0 &&
	    wl_space_reason_seal(&c, key, reason) == 0)
		rc = 0;
	else
		fprintf(stderr, "wardline: a grant needs a written reason of "
				"1 to %d characters (--reason-file or standard "
				"input)\n", WL_ACCESS_REASON_MAX);
	if (rc == 0)
		rc = batch_change(a, b, &c) || batch_seal(a, b, s->id, s->epoch,
							  key, to, 1) ||
		     batch_write(a, b);
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
	unsigned char(*to)[16] = malloc(RECIPIENTS_MAX * 16);
	char hex[33];

	if (to == NULL)
		return;
	printf("%-32s %-12s %-6s %-7s %s\n", "SPACE ID", "KIND", "EPOCH",
	       "MEMBERS", "NAME");
	for (size_t i = 0; i < wl_spaces_count(a->spaces); i++) {
		const struct wl_space *s = wl_spaces_at(a->spaces, i);
		size_t n = wl_space_recipients(a->spaces, s, now, to,
					       RECIPIENTS_MAX);

		sodium_bin2hex(hex, sizeof(hex), s->id, 16);
		printf("%-32s %-12s %-6u %-7zu %s%s\n", hex,
		       wl_access_space_kind_name(s->kind), s->epoch, n,
		       s->name, s->rotation_due ? " (rotation due)" : "");
	}
	free(to);
}

long wl_cli_sync_keys(struct wl_cli_actor *a)
{
	struct batch *b = calloc(1, sizeof(*b));
	long n = b ? sync_keys(a, b) : WL_ENOMEM;

	free(b);
	return n;
}

int wl_cli_rotate(struct wl_cli_actor *a, const struct wl_space *s,
		  const char *why)
{
	struct batch *b = calloc(1, sizeof(*b));
	int rc = b ? rotate(a, b, s, why) : 1;

	free(b);
	return rc;
}

/* Run VERB after the login. */
static int space_run(struct wl_cli_actor *a, const char *verb,
		     const struct space_args *o, struct batch *b)
{
	const struct wl_space *s;

	if (strcmp(verb, "create") == 0)
		return space_create(a, o, b);
	if (strcmp(verb, "add") == 0)
		return space_add(a, o, b);
	if (strcmp(verb, "remove") == 0)
		return space_remove(a, o, b);
	if (strcmp(verb, "grant") == 0)
		return space_grant(a, o, b);
	if (strcmp(verb, "rotate") == 0) {
		s = wl_cli_find_space(a, o->space);
		return s ? rotate(a, b, s, "asked by a member") : 1;
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
	struct batch *b = NULL;
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
	b = rc == 0 ? calloc(1, sizeof(*b)) : NULL;
	if (rc == 0 && b == NULL)
		rc = 1;
	if (rc == 0)
		rc = space_run(&a, verb, &o, b);
	if (rc == 0 && wl_cli_actor_refold(&a) == 0) {
		synced = sync_keys(&a, b);
		if (synced > 0)
			printf("%ld missing key envelopes sealed\n", synced);
		else if (synced < 0)
			fprintf(stderr, "wardline: cannot seal the missing key "
					"envelopes: %s\n", wl_strerror((int)synced));
	}
	free(b);
	wl_cli_actor_close(&a);
	return rc;
}
