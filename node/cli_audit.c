/* wardline audit list | export: the audit trail, decrypted with the keys of
 * an admin (list) or a compliance officer (export). */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/site.h"
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
		case 'T':
			if (parse_time(optarg, c == 'F' ? &a->from_ms
							: &a->to_ms) != 0) {
				fprintf(stderr, "wardline: invalid time '%s' for "
						"--%s: use YYYY-MM-DD or "
						"YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
					optarg, c == 'F' ? "from" : "to");
				return -1;
			}
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

/* Audit events are opened in batches on every core: each record costs one
 * X25519 multiplication, which a million records make the bulk of the
 * work. */
#define OPEN_BATCH 4096
#define OPEN_THREADS_MAX 16

struct opened {
	struct wl_store_entry e; /* points into the walk's snapshot */
	struct wl_audit_record r;
	int rc; /* of opening and decoding; WL_ENOTFOUND without keys */
	int from_cert; /* R was made from a node certificate, not opened */
};

struct open_slice {
	const struct wl_cli_actor *a;
	struct opened *items;
	size_t n;
	pthread_t thread;
};

static void *open_slice_run(void *arg)
{
	struct open_slice *sl = arg;
	unsigned char *plain = sodium_malloc(WL_AUDIT_JSON_MAX);

	for (size_t i = 0; i < sl->n; i++)
		if (!sl->items[i].from_cert)
			sl->items[i].rc = plain == NULL ? WL_ENOMEM
				  : sl->a->keyring == NULL
					  ? WL_ENOTFOUND
					  : open_record(sl->a,
							&sl->items[i].e, plain,
							&sl->items[i].r);
	sodium_free(plain);
	return NULL;
}

/* Open the N records of ITEMS on up to THREADS threads. */
static void open_batch(const struct wl_cli_actor *a, struct opened *items,
		       size_t n, unsigned threads)
{
	struct open_slice slices[OPEN_THREADS_MAX];
	size_t share = (n + threads - 1) / threads;

	for (unsigned t = 0; t < threads; t++) {
		size_t from = t * share;

		slices[t].a = a;
		slices[t].items = items + from;
		slices[t].n = from >= n ? 0 : (n - from < share ? n - from
								: share);
		slices[t].thread = 0;
		if (t > 0 && slices[t].n > 0 &&
		    pthread_create(&slices[t].thread, NULL, open_slice_run,
				   &slices[t]) != 0) {
			open_slice_run(&slices[t]);
			slices[t].n = 0;
		}
	}
	open_slice_run(&slices[0]);
	for (unsigned t = 1; t < threads; t++)
		if (slices[t].n > 0)
			pthread_join(slices[t].thread, NULL);
}

/* A node certificate in the log is the record of a device's enrollment:
 * signed by the site key and replicated to every node. Describe the
 * certificate event E as such a record in R. */
static int cert_record(const struct wl_store_entry *e,
		       struct wl_audit_record *r)
{
	struct wl_node_cert cert;
	char node[17];

	memset(r, 0, sizeof(*r));
	if (e->body == NULL ||
	    wl_cert_decode(e->body, e->body_len, &cert) != 0)
		return WL_EINVAL;
	sodium_bin2hex(node, sizeof(node), cert.node_pk, 8);
	snprintf(r->action, sizeof(r->action), "device_enrolled");
	snprintf(r->outcome, sizeof(r->outcome), "ok");
	snprintf(r->username, sizeof(r->username), "site key");
	snprintf(r->detail, sizeof(r->detail), "node %s name %s", node,
		 cert.name);
	r->at_ms = cert.issued_ms;
	return 0;
}

typedef int (*record_fn)(void *arg, const struct opened *o);

/* Call FN, in store order, for every audit event of the store with its
 * record opened where the actor's keys allow. Returns 0 or the first
 * non-zero code of the walk or of FN. */
static int for_each_record(const struct wl_cli_actor *a, record_fn fn,
			   void *arg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1
			   : cpus > OPEN_THREADS_MAX ? OPEN_THREADS_MAX
						     : (unsigned)cpus;
	struct opened *items = sodium_allocarray(OPEN_BATCH, sizeof(*items));
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	size_t n = 0;
	int rc = items ? wl_store_iter_local(a->store, 0, &it) : WL_ENOMEM;
	int more = 1;

	while (rc == 0 && more) {
		rc = wl_store_iter_next(it, &e);
		more = rc != 0;
		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if (more && e.ev.h.kind == WL_KIND_AUDIT) {
			items[n].e = e;
			items[n].from_cert = 0;
			n++;
		} else if (more && e.ev.h.kind == WL_KIND_NODE_CERT) {
			items[n].e = e;
			items[n].from_cert = 1;
			items[n].rc = cert_record(&e, &items[n].r);
			n++;
		}
		if (n == OPEN_BATCH || (!more && n > 0)) {
			open_batch(a, items, n, threads);
			for (size_t i = 0; rc == 0 && i < n; i++)
				rc = fn(arg, &items[i]);
			n = 0;
		}
	}
	wl_store_iter_free(it);
	sodium_free(items);
	return rc;
}

struct walk_state {
	const struct audit_args *o;
	const struct wl_space *audit;
	size_t unreadable;
};

static int print_if_selected(void *arg, const struct opened *x)
{
	struct walk_state *st = arg;
	const struct audit_args *o = st->o;
	const struct wl_audit_record *r = &x->r;

	if (!x->from_cert && memcmp(x->e.ev.h.space, st->audit->id, 16) != 0)
		return 0;
	if (x->rc != 0) {
		st->unreadable++;
		return 0;
	}
	if ((o->user && strcmp(o->user, r->username) != 0) ||
	    (o->action && strcmp(o->action, r->action) != 0) ||
	    (o->patient && strcmp(o->patient, r->patient) != 0) ||
	    r->at_ms < o->from_ms || r->at_ms >= o->to_ms)
		return 0;
	print_record(o, &x->e, r);
	return 0;
}

static int audit_walk(struct wl_cli_actor *a, const struct audit_args *o,
		      const struct wl_space *audit)
{
	struct walk_state st = {o, audit, 0};
	int rc;

	if (strcmp(o->format, "csv") == 0)
		puts("time,node,seq,action,outcome,username,user_id,space_id,"
		     "patient,emergency,detail");
	rc = for_each_record(a, print_if_selected, &st);
	if (st.unreadable)
		fprintf(stderr, "wardline: %zu audit records could not be "
				"opened with your keys\n", st.unreadable);
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

struct check_state {
	const struct wl_space *audit;
	uint64_t skew;
	uint64_t problems;
	uint64_t records;
	uint64_t read;
};

/* Check one audit event: its header, and, when it was opened, its record
 * and the record's time against the event's. */
static int check_record(void *arg, const struct opened *x)
{
	struct check_state *st = arg;
	const struct wl_event *ev = &x->e.ev;
	uint64_t wall = ev->h.hlc >> 16;
	int rc;

	if (x->from_cert)
		return 0; /* the store walk checked its signatures */
	st->records++;
	rc = wl_audit_check_header(&ev->h, st->audit->id, st->audit->epoch);
	if (rc != 0) {
		audit_problem("audit_header", ev->id, ev->h.origin, ev->h.seq,
			      rc);
		st->problems++;
		return 0;
	}
	if (x->rc == WL_ENOTFOUND || x->e.body == NULL)
		return 0; /* no keys, or a pruned body */
	rc = x->rc;
	if (rc == 0 && (x->r.at_ms > wall + st->skew ||
			x->r.at_ms + st->skew < wall))
		rc = WL_ERANGE;
	if (rc != 0) {
		audit_problem("audit_record", ev->id, ev->h.origin, ev->h.seq,
			      rc);
		st->problems++;
	} else {
		st->read++;
	}
	return 0;
}

/* Check every audit event of the store: its header, and with the keys of
 * a reader, its record. Returns the number of problems; *RECORDS and
 * *READ count the audit events and the records opened. */
static uint64_t check_audit_events(struct wl_cli_actor *a,
				   const struct wl_space *audit,
				   uint64_t *records, uint64_t *read)
{
	struct check_state st = {audit, a->cli->config.max_skew_ms, 0, 0, 0};
	int rc = for_each_record(a, check_record, &st);

	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read the store: %s\n",
			wl_strerror(rc));
		st.problems++;
	}
	*records = st.records;
	*read = st.read;
	return st.problems;
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
