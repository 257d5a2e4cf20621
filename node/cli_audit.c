/* wardline audit list | export: the audit trail, decrypted with the keys of
 * an admin (list) or a compliance officer (export). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/verify.h"

struct audit_args {
	const char *data_dir;
	const char *as;
	const char *password_file;
	const char *format; /* csv or json */
	const char *user;    /* only records about this username */
	const char *action;  /* only records of this action */
	const char *patient; /* only records about this patient */
	uint64_t from_ms;    /* only records at or after this time */
	uint64_t to_ms;      /* only records before this time */
};

/* Parse "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ" into Unix
 * milliseconds. Returns 0 or -1. */
static int parse_time(const char *text, uint64_t *ms)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, "%Y-%m-%d", &tm);
	}
	if (end == NULL || *end != '\0')
		return -1;
	t = timegm(&tm);
	if (t < 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

static int audit_parse(int argc, char **argv, struct audit_args *a,
		       int need_user)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"user", required_argument, NULL, 'u'},
		{"action", required_argument, NULL, 'A'},
		{"patient", required_argument, NULL, 'P'},
		{"from", required_argument, NULL, 'F'},
		{"to", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->format = "csv";
	a->to_ms = UINT64_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 'a': a->as = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'f': a->format = optarg; break;
		case 'u': a->user = optarg; break;
		case 'A': a->action = optarg; break;
		case 'P': a->patient = optarg; break;
		case 'F':
			if (parse_time(optarg, &a->from_ms) != 0)
				return -1;
			break;
		case 'T':
			if (parse_time(optarg, &a->to_ms) != 0)
				return -1;
			break;
		default: return -1;
		}
	}
	if (strcmp(a->format, "csv") != 0 && strcmp(a->format, "json") != 0)
		return -1;
	return optind == argc && (a->as || !need_user) ? 0 : -1;
}

/* Write S as one CSV field: quoted, with quotes doubled. */
static void csv_field(const char *s, int last)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
	putchar(last ? '\n' : ',');
}

static void print_record(const struct audit_args *o,
			 const struct wl_store_entry *e,
			 const struct wl_audit_record *r)
{
	char node[17], user[33] = "", space[33] = "", when[32], seq[24];
	time_t t = (time_t)(r->at_ms / 1000);
	struct tm tm;

	sodium_bin2hex(node, sizeof(node), e->ev.h.origin, 8);
	if (r->has_user)
		sodium_bin2hex(user, sizeof(user), r->user, 16);
	if (r->has_space)
		sodium_bin2hex(space, sizeof(space), r->space, 16);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->ev.h.seq);

	if (strcmp(o->format, "json") == 0) {
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, "
			"s:I}",
			"time", when, "node", node, "action", r->action,
			"outcome", r->outcome, "user_id", user, "username",
			r->username, "space_id", space, "patient", r->patient,
			"detail", r->detail, "emergency", r->emergency, "seq",
			(json_int_t)e->ev.h.seq);
		unsigned char text[2 * WL_AUDIT_JSON_MAX];
		size_t len = 0;

		if (wl_json_dump(j, text, sizeof(text), &len) == 0)
			printf("%.*s\n", (int)len, (const char *)text);
		return;
	}
	csv_field(when, 0);
	csv_field(node, 0);
	csv_field(seq, 0);
	csv_field(r->action, 0);
	csv_field(r->outcome, 0);
	csv_field(r->username, 0);
	csv_field(user, 0);
	csv_field(space, 0);
	csv_field(r->patient, 0);
	csv_field(r->emergency ? "emergency" : "", 0);
	csv_field(r->detail, 1);
}

/* Open the audit event E with the actor's keys into R. */
static int open_record(const struct wl_cli_actor *a,
		       const struct wl_store_entry *e, unsigned char *plain,
		       struct wl_audit_record *r)
{
	const unsigned char *key;
	size_t len = 0;

	if (e->body == NULL || e->body_len > WL_AUDIT_JSON_MAX +
						     WL_AUDIT_SEAL_OVERHEAD)
		return WL_ETRUNC;
	for (size_t i = 0; (key = wl_keyring_get(a->keyring, e->ev.h.space,
						 e->ev.h.epoch, i)) != NULL;
	     i++) {
		if (wl_audit_open(&e->ev.h, key, e->body, e->body_len, plain,
				  &len) == 0)
			return wl_audit_record_decode(plain, len, r, NULL);
	}
	return WL_EAUTH;
}

static int audit_walk(struct wl_cli_actor *a, const struct audit_args *o,
		      const struct wl_space *audit)
{
	unsigned char *plain = sodium_malloc(WL_AUDIT_JSON_MAX);
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct wl_audit_record r;
	size_t unreadable = 0;
	int rc = plain ? 0 : WL_ENOMEM;

	if (rc == 0 && strcmp(o->format, "csv") == 0)
		puts("time,node,seq,action,outcome,username,user_id,space_id,"
		     "patient,emergency,detail");
	if (rc == 0)
		rc = wl_store_iter_local(a->store, 0, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if (e.ev.h.kind != WL_KIND_AUDIT ||
		    memcmp(e.ev.h.space, audit->id, 16) != 0)
			continue;
		if (open_record(a, &e, plain, &r) != 0) {
			unreadable++;
			continue;
		}
		if ((o->user && strcmp(o->user, r.username) != 0) ||
		    (o->action && strcmp(o->action, r.action) != 0) ||
		    (o->patient && strcmp(o->patient, r.patient) != 0) ||
		    r.at_ms < o->from_ms || r.at_ms >= o->to_ms)
			continue;
		print_record(o, &e, &r);
	}
	wl_store_iter_free(it);
	sodium_free(plain);
	if (unreadable)
		fprintf(stderr, "wardline: %zu audit records could not be "
				"opened with your keys\n", unreadable);
	if (rc != 0)
		fprintf(stderr, "wardline: cannot read the audit trail: %s\n",
			wl_strerror(rc));
	return rc == 0 ? 0 : 1;
}

/* Report one problem of the audit trail, by event. */
static void audit_problem(const char *check, const unsigned char id[32],
			  const unsigned char origin[32], uint64_t seq, int err)
{
	char idhex[65], originhex[65];

	sodium_bin2hex(idhex, sizeof(idhex), id, 32);
	sodium_bin2hex(originhex, sizeof(originhex), origin, 32);
	printf("BROKEN check=%s event=%s origin=%s seq=%llu: %s\n", check,
	       idhex, originhex, (unsigned long long)seq, wl_strerror(err));
}

static void store_problem(void *arg, const struct wl_verify_problem *p)
{
	(void)arg;
	audit_problem(p->what, p->id, p->origin, p->seq, p->err);
}

/* Check every audit event of the store: its header, and with the keys of
 * a reader, its record. Returns the number of problems; *RECORDS and
 * *READ count the audit events and the records opened. */
static uint64_t check_audit_events(struct wl_cli_actor *a,
				   const struct wl_space *audit,
				   uint64_t *records, uint64_t *read)
{
	unsigned char *plain = sodium_malloc(WL_AUDIT_JSON_MAX);
	uint64_t skew = a->cli->config.max_skew_ms;
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	struct wl_audit_record r;
	uint64_t problems = 0;
	int rc = plain ? wl_store_iter_local(a->store, 0, &it) : WL_ENOMEM;

	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		uint64_t wall;

		if (rc < 0) { /* the store walk reports undecodable entries */
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if (e.ev.h.kind != WL_KIND_AUDIT)
			continue;
		(*records)++;
		rc = wl_audit_check_header(&e.ev.h, audit->id, audit->epoch);
		if (rc != 0) {
			audit_problem("audit_header", e.ev.id, e.ev.h.origin,
				      e.ev.h.seq, rc);
			problems++;
			rc = 0;
			continue;
		}
		if (a->keyring == NULL || e.body == NULL)
			continue;
		rc = open_record(a, &e, plain, &r);
		wall = e.ev.h.hlc >> 16;
		if (rc == 0 && (r.at_ms > wall + skew || r.at_ms + skew < wall))
			rc = WL_ERANGE;
		if (rc != 0) {
			audit_problem("audit_record", e.ev.id, e.ev.h.origin,
				      e.ev.h.seq, rc);
			problems++;
		} else {
			(*read)++;
		}
		rc = 0;
	}
	wl_store_iter_free(it);
	sodium_free(plain);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read the store: %s\n",
			wl_strerror(rc));
		problems++;
	}
	return problems;
}

/* wardline audit verify: every chain and signature, then every audit
 * record. Exit status 0 only when all hold. */
static int audit_verify(struct wl_cli *cli, const struct audit_args *o)
{
	struct wl_cli_actor a;
	struct wl_verify_summary sum;
	const struct wl_space *audit;
	uint64_t problems, records = 0, read = 0;
	int rc;

	if (wl_cli_load_config(cli, o->data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;
	if (o->as != NULL && wl_cli_actor_login(&a, o->as,
						o->password_file) != 0) {
		wl_cli_actor_close(&a);
		return 1;
	}
	audit = wl_spaces_audit(a.spaces);
	if (o->as != NULL && audit != NULL &&
	    wl_space_may(a.spaces, audit, a.user_id, WL_ACTION_READ_AUDIT,
			 wl_hlc_system_wall(NULL), NULL) != 0) {
		fprintf(stderr, "wardline: %s may not read audit records; "
				"checking headers and signatures only\n",
			o->as);
		wl_keyring_free(a.keyring);
		a.keyring = NULL;
	}

	rc = wl_verify_store(a.store, store_problem, NULL, &sum);
	if (rc != 0) {
		fprintf(stderr, "wardline: verification stopped: %s\n",
			wl_strerror(rc));
		wl_cli_actor_close(&a);
		return 1;
	}
	problems = sum.problems;
	if (audit != NULL)
		problems += check_audit_events(&a, audit, &records, &read);
	wl_cli_actor_close(&a);

	printf("audit verified: %llu events in %llu feeds, %llu audit "
	       "records (%llu opened and checked): %llu problems\n",
	       (unsigned long long)sum.events,
	       (unsigned long long)sum.origins, (unsigned long long)records,
	       (unsigned long long)read, (unsigned long long)problems);
	if (audit == NULL)
		printf("the site has no audit space yet\n");
	return problems == 0 ? 0 : 1;
}

int wl_cmd_audit(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"list|export --as USER [--format csv|json] [--from TIME] "
		"[--to TIME] [--user NAME] [--patient ID] [--action ACTION] "
		"[--password-file F] [--data-dir DIR]\n"
		"  (TIME is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, in UTC; --to "
		"is exclusive)\n"
		"       wardline audit verify [--as USER] [--password-file F] "
		"[--data-dir DIR]";
	const char *verb = argc > 1 ? argv[1] : "";
	int export = strcmp(verb, "export") == 0;
	enum wl_action action = export ? WL_ACTION_EXPORT_AUDIT
				       : WL_ACTION_READ_AUDIT;
	const struct wl_space *audit;
	struct audit_args o;
	struct wl_cli_actor a;
	struct wl_audit_record rec;
	int rc;

	if (strcmp(verb, "verify") == 0) {
		if (audit_parse(argc - 1, argv + 1, &o, 0) != 0)
			return wl_cli_usage(argv[0], usage);
		return audit_verify(cli, &o);
	}
	if ((!export && strcmp(verb, "list") != 0) ||
	    audit_parse(argc - 1, argv + 1, &o, 1) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	rc = wl_cli_actor_login(&a, o.as, o.password_file);
	audit = rc == 0 ? wl_spaces_audit(a.spaces) : NULL;
	if (rc == 0 && audit == NULL) {
		fprintf(stderr, "wardline: the site has no audit space yet\n");
		rc = 1;
	}
	if (rc == 0 && wl_space_may(a.spaces, audit, a.user_id, action,
				    wl_hlc_system_wall(NULL), NULL) != 0) {
		wl_cli_audit_record(&rec, "access_denied", "denied", a.user_id,
				    o.as, audit);
		snprintf(rec.detail, sizeof(rec.detail), "%s",
			 wl_access_action_name(action));
		(void)wl_cli_actor_audit(&a, &rec);
		fprintf(stderr, "wardline: %s may not %s; the attempt is "
				"recorded in the audit trail\n",
			o.as, wl_access_action_name(action));
		rc = 1;
	}
	if (rc == 0) {
		wl_cli_audit_record(&rec, export ? "audit_exported"
						 : "audit_viewed",
				    "ok", a.user_id, o.as, audit);
		(void)wl_cli_actor_audit(&a, &rec);
		rc = audit_walk(&a, &o, audit);
	}
	wl_cli_actor_close(&a);
	return rc;
}
