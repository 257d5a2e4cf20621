/* wardline policy show | set, and wardline prune: the retention policy and
 * its pruning job, run by hand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/retention.h"
#include "wardline/site.h"

#define HOLDS_ARGS_MAX WL_RETENTION_HOLDS_MAX

struct policy_args {
	const char *data_dir;
	const char *site_dir;
	const char *as;
	const char *password_file;
	const char *days;
	const char *holds[HOLDS_ARGS_MAX];
	size_t n_holds;
	int clear_holds;
};

static int policy_parse(int argc, char **argv, struct policy_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"site-dir", required_argument, NULL, 's'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"days", required_argument, NULL, 'D'},
		{"hold", required_argument, NULL, 'H'},
		{"clear-holds", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 's': a->site_dir = optarg; break;
		case 'a': a->as = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'D': a->days = optarg; break;
		case 'C': a->clear_holds = 1; break;
		case 'H':
			if (a->n_holds == HOLDS_ARGS_MAX)
				return -1;
			a->holds[a->n_holds++] = optarg;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static const struct {
	uint8_t kind;
	const char *name;
} day_kinds[] = {
	{WL_KIND_MESSAGE, "message"},
	{WL_KIND_ENTITY_UPDATE, "entity_update"},
	{WL_KIND_RECEIPT, "receipt"},
	{WL_KIND_AUDIT, "audit"},
};

#define DAY_KINDS (sizeof(day_kinds) / sizeof(day_kinds[0]))

static void policy_print(const struct wl_cli_actor *a,
			 const struct wl_retention_policy *p)
{
	char hex[33];

	printf("retention (days; 0 keeps for ever)%s\n",
	       p->hlc ? "" : ", defaults: no policy event yet");
	for (size_t i = 0; i < DAY_KINDS; i++)
		printf("  %-14s %u\n", day_kinds[i].name,
		       p->days[day_kinds[i].kind]);
	printf("legal holds: %zu\n", p->n_holds);
	for (size_t i = 0; i < p->n_holds; i++) {
		const struct wl_space *s =
			wl_spaces_by_id(a->spaces, p->holds[i].space);

		sodium_bin2hex(hex, sizeof(hex), p->holds[i].space, 16);
		printf("  space %s (%s)%s%s\n", hex, s ? s->name : "unknown",
		       p->holds[i].patient[0] ? " patient " : "",
		       p->holds[i].patient);
	}
}

/* Apply "--days message=30,audit=2190" to P. */
static int parse_days(const char *text, struct wl_retention_policy *p)
{
	char copy[256];
	char *save = NULL;

	if (strlen(text) >= sizeof(copy))
		return -1;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		char *end = NULL;
		unsigned long days;
		size_t k = 0;

		if (eq == NULL)
			return -1;
		*eq = '\0';
		while (k < DAY_KINDS && strcmp(day_kinds[k].name, item) != 0)
			k++;
		days = strtoul(eq + 1, &end, 10);
		if (k == DAY_KINDS || *end != '\0' || eq[1] == '\0' ||
		    days > WL_RETENTION_DAYS_MAX)
			return -1;
		p->days[day_kinds[k].kind] = (uint32_t)days;
	}
	return 0;
}

/* Apply "--hold SPACE[:patient/ID]" to P. */
static int parse_hold(const struct wl_cli_actor *a, const char *text,
		      struct wl_retention_policy *p)
{
	char name[WL_SPACE_NAME_MAX + 1];
	const char *colon = strrchr(text, ':');
	const struct wl_space *s;
	struct wl_retention_hold *h;
	size_t len = colon ? (size_t)(colon - text) : strlen(text);

	if (len > WL_SPACE_NAME_MAX || p->n_holds == WL_RETENTION_HOLDS_MAX)
		return -1;
	memcpy(name, text, len);
	name[len] = '\0';
	s = wl_spaces_by_name(a->spaces, name);
	if (s == NULL) {
		fprintf(stderr, "wardline: no space '%s' to hold\n", name);
		return -1;
	}
	h = &p->holds[p->n_holds++];
	memset(h, 0, sizeof(*h));
	memcpy(h->space, s->id, 16);
	if (colon && strlen(colon + 1) > WL_RETENTION_PATIENT_MAX)
		return -1;
	if (colon)
		snprintf(h->patient, sizeof(h->patient), "%s", colon + 1);
	return 0;
}

/* Sign and append the policy P with the site key or the actor's key. */
static int policy_write(struct wl_cli_actor *a, const struct policy_args *o,
			const struct wl_retention_policy *p)
{
	unsigned char json[WL_RETENTION_JSON_MAX];
	unsigned char site_pk[32];
	unsigned char *site_sk = NULL;
	struct wl_feed_item item;
	int rc;

	memset(&item, 0, sizeof(item));
	rc = wl_retention_encode(p, json, sizeof(json), &item.body_len);
	if (rc != 0) {
		fprintf(stderr, "wardline: invalid policy: %s (audit records "
				"are kept at least %d days)\n",
			wl_strerror(rc), WL_RETENTION_AUDIT_MIN);
		return 1;
	}
	if (o->site_dir != NULL &&
	    wl_site_load_secret(o->site_dir, &site_sk, site_pk) != 0) {
		fprintf(stderr, "wardline: cannot load the site key from %s\n",
			o->site_dir);
		return 1;
	}
	item.kind = WL_KIND_SITE_POLICY;
	item.author_sk = site_sk ? site_sk : a->secret->sign_sk;
	item.body = json;
	rc = wl_cli_actor_append(a, &item, 1);
	sodium_free(site_sk);
	return rc == 0 ? 0 : 1;
}

static int policy_set(struct wl_cli_actor *a, const struct policy_args *o)
{
	struct wl_retention_policy p;
	struct wl_audit_record rec;
	char detail[WL_AUDIT_DETAIL_MAX + 1];
	size_t used = 0;

	if (wl_retention_load(&p, a->users, a->store) != 0)
		return 1;
	if (o->clear_holds)
		p.n_holds = 0;
	if (o->days != NULL && parse_days(o->days, &p) != 0) {
		fprintf(stderr, "wardline: --days takes KIND=DAYS,... with "
				"KIND message, entity_update, receipt or "
				"audit\n");
		return 2;
	}
	for (size_t i = 0; i < o->n_holds; i++)
		if (parse_hold(a, o->holds[i], &p) != 0)
			return 1;
	if (policy_write(a, o, &p) != 0)
		return 1;

	for (size_t i = 0; i < DAY_KINDS && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used,
					 "%s%s=%u", i ? "," : "",
					 day_kinds[i].name,
					 p.days[day_kinds[i].kind]);
	if (used < sizeof(detail))
		snprintf(detail + used, sizeof(detail) - used, "; holds=%zu",
			 p.n_holds);
	wl_cli_audit_record(&rec, "policy_changed", "ok",
			    a->secret ? a->user_id : NULL,
			    a->secret ? wl_cli_actor_user(a)->bundle.username
				      : "site key",
			    NULL);
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	(void)wl_cli_actor_audit(a, &rec);
	printf("policy set: %s\n", detail);
	return 0;
}

int wl_cmd_policy(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"show [--data-dir DIR]\n"
		"       wardline policy set [--days KIND=DAYS,...] "
		"[--hold SPACE[:PATIENT]]... [--clear-holds] "
		"(--site-dir DIR | --as ADMIN [--password-file F]) "
		"[--data-dir DIR]";
	const char *verb = argc > 1 ? argv[1] : "";
	struct policy_args o;
	struct wl_cli_actor a;
	struct wl_retention_policy p;
	int rc = 0;

	if ((strcmp(verb, "show") && strcmp(verb, "set")) ||
	    policy_parse(argc - 1, argv + 1, &o) != 0 ||
	    (strcmp(verb, "set") == 0 && !o.site_dir == !o.as))
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	if (strcmp(verb, "show") == 0) {
		rc = wl_retention_load(&p, a.users, a.store) ? 1 : 0;
		if (rc == 0)
			policy_print(&a, &p);
	} else if (o.as != NULL) {
		rc = wl_cli_actor_login(&a, o.as, o.password_file);
		if (rc == 0 && wl_cli_actor_user(&a)->bundle.role !=
				       WL_ROLE_ADMIN) {
			fprintf(stderr, "wardline: only an admin sets the "
					"retention policy\n");
			rc = 1;
		}
		if (rc == 0)
			rc = policy_set(&a, &o);
	} else {
		rc = policy_set(&a, &o);
	}
	wl_cli_actor_close(&a);
	return rc;
}

struct prune_ctx {
	const struct wl_retention_policy *policy;
	uint64_t now;
};

static int prune_expired(void *arg, const struct wl_event_header *h)
{
	const struct prune_ctx *c = arg;

	return wl_retention_expired(c->policy, h, c->now);
}

int wl_cmd_prune(struct wl_cli *cli, int argc, char **argv)
{
	struct policy_args o;
	struct wl_cli_actor a;
	struct wl_retention_policy p;
	struct wl_audit_record rec;
	struct prune_ctx ctx = {&p, 0};
	uint64_t pruned = 0;
	int rc;

	if (policy_parse(argc, argv, &o) != 0)
		return wl_cli_usage(argv[0], "[--data-dir DIR]");
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	ctx.now = wl_hlc_system_wall(NULL) +
		  cli->config.retention_clock_offset_ms;
	rc = wl_retention_load(&p, a.users, a.store);
	if (rc == 0)
		rc = wl_store_prune(a.store, prune_expired, &ctx, &pruned);
	if (rc == 0 && pruned > 0) {
		wl_cli_audit_record(&rec, "bodies_pruned", "ok", NULL, "",
				    NULL);
		snprintf(rec.detail, sizeof(rec.detail), "%llu bodies deleted",
			 (unsigned long long)pruned);
		(void)wl_cli_actor_audit(&a, &rec);
	}
	wl_cli_actor_close(&a);
	if (rc != 0) {
		fprintf(stderr, "wardline: pruning failed: %s\n",
			wl_strerror(rc));
		return 1;
	}
	printf("%llu expired bodies deleted\n", (unsigned long long)pruned);
	return 0;
}
