/* wardline ward show | set: the ward's patients, handoff notes and tasks,
 * decrypted and folded for a member, and updated field by field. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/ward.h"

#define FIELDS_TEXT_MAX (64 * 1024)

struct ward_args {
	const char *data_dir;
	const char *as;
	const char *password_file;
	const char *space;
	const char *entity;
	const char *fields_file;
};

static int ward_parse(int argc, char **argv, struct ward_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"space", required_argument, NULL, 's'},
		{"entity", required_argument, NULL, 'e'},
		{"patient", required_argument, NULL, 'e'},
		{"fields-file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 'a': a->as = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 's': a->space = optarg; break;
		case 'e': a->entity = optarg; break;
		case 'f': a->fields_file = optarg; break;
		default: return -1;
		}
	}
	return optind == argc && a->as && a->space ? 0 : -1;
}

/* The action an update of ENTITY needs: by its kind, before the slash. */
static enum wl_action update_action(const char *entity)
{
	if (strncmp(entity, "handoff/", 8) == 0)
		return WL_ACTION_WRITE_HANDOFF;
	if (strncmp(entity, "task/", 5) == 0)
		return WL_ACTION_MANAGE_TASKS;
	return WL_ACTION_UPDATE_PATIENT;
}

/* Audit ACTION on PATIENT (may be "") in S by the actor. */
static void audit_ward(struct wl_cli_actor *a, const char *action,
		       const char *outcome, const struct wl_space *s,
		       const char *patient, const char *detail, int emergency)
{
	struct wl_audit_record rec;

	wl_cli_audit_record(&rec, action, outcome, a->user_id,
			    wl_cli_actor_user(a)->bundle.username, s);
	snprintf(rec.patient, sizeof(rec.patient), "%s", patient);
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	rec.emergency = emergency;
	(void)wl_cli_actor_audit(a, &rec);
}

static int allowed(struct wl_cli_actor *a, const struct wl_space *s,
		   enum wl_action action, const char *patient, int *via_grant)
{
	if (wl_space_may(a->spaces, s, a->user_id, action,
			 wl_hlc_system_wall(NULL), via_grant) == 0)
		return 1;
	audit_ward(a, "access_denied", "denied", s, patient,
		   wl_access_action_name(action), 0);
	fprintf(stderr, "wardline: %s may not %s in '%s'; the attempt is "
			"recorded in the audit trail\n",
		wl_cli_actor_user(a)->bundle.username,
		wl_access_action_name(action), s->name);
	return 0;
}

static void print_entity(const struct wl_ward_entity *e)
{
	printf("%s\n", e->id);
	for (size_t i = 0; i < e->n_fields; i++)
		printf("  %s: %s\n", e->fields[i].name, e->fields[i].value);
}

static int ward_show(struct wl_cli_actor *a, const struct wl_space *s,
		     const char *entity)
{
	struct wl_ward *w = NULL;
	int via_grant = 0;
	int rc;

	if (!allowed(a, s, WL_ACTION_READ, entity ? entity : "", &via_grant))
		return 1;
	rc = wl_ward_new(s->id, &w);
	if (rc == 0)
		rc = wl_ward_load(w, a->store, a->keyring);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot open the ward: %s\n",
			wl_strerror(rc));
		wl_ward_free(w);
		return 1;
	}

	if (entity != NULL) {
		const struct wl_ward_entity *e = wl_ward_entity(w, entity);

		if (e == NULL) {
			fprintf(stderr, "wardline: no %s in '%s'\n", entity,
				s->name);
			rc = 1;
		} else {
			print_entity(e);
		}
		audit_ward(a, "record_viewed", rc ? "failed" : "ok", s, entity,
			   "view=record", via_grant);
	} else {
		for (size_t i = 0; i < wl_ward_entity_count(w); i++)
			print_entity(wl_ward_entity_at(w, i));
		audit_ward(a, "census_viewed", "ok", s, "", "view=census",
			   via_grant);
	}
	wl_ward_free(w);
	return rc;
}

/* Read "name=value" lines from PATH or standard input into TEXT and point
 * NAMES and VALUES into it. Returns the count, or -1. */
static long read_fields(const char *path, char *text, const char **names,
			const char **values)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	size_t len;
	long n = 0;
	char *save = NULL;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	len = fread(text, 1, FIELDS_TEXT_MAX - 1, f);
	if (path)
		fclose(f);
	text[len] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (line[0] == '\0')
			continue;
		if (eq == NULL || eq == line || n == WL_WARD_FIELDS_MAX)
			return -1;
		*eq = '\0';
		names[n] = line;
		values[n++] = eq + 1;
	}
	return n;
}

static int ward_set(struct wl_cli_actor *a, const struct wl_space *s,
		    const char *entity, const char *fields_file)
{
	const char *names[WL_WARD_FIELDS_MAX];
	const char *values[WL_WARD_FIELDS_MAX];
	char *text = sodium_malloc(FIELDS_TEXT_MAX);
	unsigned char *json = sodium_malloc(FIELDS_TEXT_MAX * 2);
	const unsigned char *key = wl_keyring_get(a->keyring, s->id, s->epoch,
						  0);
	struct wl_feed_item item;
	unsigned char k[32];
	int via_grant = 0;
	long n;
	int rc = 1;

	if (text == NULL || json == NULL || entity == NULL ||
	    !allowed(a, s, update_action(entity), entity, &via_grant))
		goto out;
	if (key == NULL) {
		fprintf(stderr, "wardline: you hold no key of the current "
				"epoch of '%s'\n", s->name);
		goto out;
	}
	n = read_fields(fields_file, text, names, values);
	memset(&item, 0, sizeof(item));
	if (n <= 0 || wl_ward_update_encode(entity, names, values, (size_t)n,
					    json, FIELDS_TEXT_MAX * 2,
					    &item.body_len) != 0) {
		fprintf(stderr, "wardline: give 1 to %d lines of FIELD=VALUE "
				"(--fields-file or standard input), and an "
				"entity such as patient/p4\n",
			WL_WARD_FIELDS_MAX);
		goto out;
	}

	memcpy(k, key, 32);
	item.kind = WL_KIND_ENTITY_UPDATE;
	memcpy(item.space, s->id, 16);
	item.epoch = s->epoch;
	item.author_sk = a->secret->sign_sk;
	item.body = json;
	item.seal = wl_feed_seal_space;
	item.seal_arg = k;
	item.seal_overhead = WL_EVENT_SEAL_OVERHEAD;
	rc = wl_cli_actor_append(a, &item, 1) == 0 ? 0 : 1;
	sodium_memzero(k, sizeof(k));
	if (rc == 0) {
		audit_ward(a, "record_updated", "ok", s, entity, "",
			   via_grant);
		printf("%s updated in '%s' (%ld fields)\n", entity, s->name, n);
	}
out:
	sodium_free(text);
	sodium_free(json);
	return rc;
}

int wl_cmd_ward(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"show --space WARD [--patient ENTITY] --as USER "
		"[--password-file F] [--data-dir DIR]\n"
		"       wardline ward set --space WARD --entity ENTITY "
		"[--fields-file F] --as USER [--password-file F] "
		"[--data-dir DIR]\n"
		"  (ENTITY is patient/ID, handoff/ID or task/ID; set reads "
		"FIELD=VALUE lines)";
	const char *verb = argc > 1 ? argv[1] : "";
	struct ward_args o;
	struct wl_cli_actor a;
	const struct wl_space *s = NULL;
	int rc;

	if ((strcmp(verb, "show") && strcmp(verb, "set")) ||
	    ward_parse(argc - 1, argv + 1, &o) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	rc = wl_cli_actor_login(&a, o.as, o.password_file);
	if (rc == 0) {
		s = wl_spaces_by_name(a.spaces, o.space);
		if (s == NULL || s->kind != WL_SPACE_WARD) {
			fprintf(stderr, "wardline: no ward '%s'\n", o.space);
			rc = 1;
		}
	}
	if (rc == 0)
		rc = strcmp(verb, "show") == 0
			     ? ward_show(&a, s, o.entity)
			     : ward_set(&a, s, o.entity, o.fields_file);
	wl_cli_actor_close(&a);
	return rc;
}
