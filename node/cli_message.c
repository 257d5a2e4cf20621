/* wardline message post | read: end-to-end encrypted messages in a space,
 * as a logged-in user. */
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

#define TEXT_MAX 8000 /* bytes of one message */
#define MESSAGE_JSON_MAX (TEXT_MAX * 6 + 64)

struct message_args {
	const char *data_dir;
	const char *as;
	const char *password_file;
	const char *space;
	const char *text_file;
};

static int message_parse(int argc, char **argv, struct message_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"space", required_argument, NULL, 's'},
		{"text-file", required_argument, NULL, 't'},
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
		case 't': a->text_file = optarg; break;
		default: return -1;
		}
	}
	return optind == argc && a->as && a->space ? 0 : -1;
}

/* Audit ACTION in S by the actor. */
static void audit_message(struct wl_cli_actor *a, const char *action,
			  const char *outcome, const struct wl_space *s,
			  const char *detail, int emergency)
{
	struct wl_audit_record rec;

	wl_cli_audit_record(&rec, action, outcome, a->user_id,
			    wl_cli_actor_user(a)->bundle.username, s);
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	rec.emergency = emergency;
	(void)wl_cli_actor_audit(a, &rec);
}

/* Check ACTION in S for the actor; audit and explain a refusal. Sets
 * *VIA_GRANT. */
static int allowed(struct wl_cli_actor *a, const struct wl_space *s,
		   enum wl_action action, int *via_grant)
{
	if (wl_space_may(a->spaces, s, a->user_id, action,
			 wl_hlc_system_wall(NULL), via_grant) == 0)
		return 1;
	audit_message(a, "access_denied", "denied", s,
		      wl_access_action_name(action), 0);
	fprintf(stderr, "wardline: %s may not %s in '%s'; the attempt is "
			"recorded in the audit trail\n",
		wl_cli_actor_user(a)->bundle.username,
		wl_access_action_name(action), s->name);
	return 0;
}

/* Read the message text from PATH or standard input into a locked buffer
 * TEXT of TEXT_MAX + 1 bytes. */
static int read_text(const char *path, char *text)
{
	FILE *f = path ? fopen(path, "r") : stdin;
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	n = fread(text, 1, TEXT_MAX + 1, f);
	if (path)
		fclose(f);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	if (n == 0 || n > TEXT_MAX) {
		fprintf(stderr, "wardline: a message has 1 to %d bytes\n",
			TEXT_MAX);
		return 1;
	}
	text[n] = '\0';
	return 0;
}

/* The key of the current epoch, after the rotation that a removal race or
 * a device revocation since the epoch began calls for. */
static const unsigned char *writing_key(struct wl_cli_actor *a,
					const struct wl_space **s)
{
	struct wl_membership_writer w;
	unsigned char id[16];
	const char *why;

	wl_cli_actor_writer(a, &w);
	why = wl_membership_rotation_reason(&w, *s);
	if (why != NULL) {
		memcpy(id, (*s)->id, 16);
		if (wl_cli_rotate(a, *s, why) != 0)
			return NULL;
		if (wl_cli_actor_refold(a) != 0)
			return NULL;
		*s = wl_spaces_by_id(a->spaces, id);
	}
	return wl_keyring_get(a->keyring, (*s)->id, (*s)->epoch, 0);
}

static int message_post(struct wl_cli_actor *a, const struct wl_space *s,
			const char *text_file)
{
	unsigned char *json = sodium_malloc(MESSAGE_JSON_MAX);
	char *text = sodium_malloc(TEXT_MAX + 1);
	const unsigned char *key;
	struct wl_feed_item item;
	unsigned char k[32];
	int via_grant = 0;
	json_t *o;
	int rc = 1;

	if (json == NULL || text == NULL)
		goto out;
	if (!allowed(a, s, WL_ACTION_POST_MESSAGE, &via_grant) ||
	    read_text(text_file, text) != 0)
		goto out;
	key = writing_key(a, &s);
	if (key == NULL) {
		fprintf(stderr, "wardline: you hold no key of the current "
				"epoch of '%s'\n", s->name);
		goto out;
	}
	memcpy(k, key, 32);

	/* json_pack refuses text that is not UTF-8. */
	o = json_pack("{s:i, s:s}", "v", 1, "text", text);
	memset(&item, 0, sizeof(item));
	if (wl_json_dump(o, json, MESSAGE_JSON_MAX, &item.body_len) != 0) {
		fprintf(stderr, "wardline: the message is not UTF-8 text\n");
		goto out;
	}
	item.kind = WL_KIND_MESSAGE;
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
		audit_message(a, "message_sent", "ok", s, "", via_grant);
		printf("message posted to '%s'\n", s->name);
	}
out:
	sodium_free(json);
	sodium_free(text);
	return rc;
}

/* Decrypt and print one message event E of S; returns 1 if printed. */
static int print_message(const struct wl_cli_actor *a,
			 const struct wl_store_entry *e, unsigned char *plain,
			 size_t plain_size)
{
	const struct wl_user *author;
	const unsigned char *key;
	size_t len = 0;
	json_t *o = NULL;
	const char *text = NULL;
	size_t text_len = 0;
	const char *field = NULL;
	time_t t;
	struct tm tm;
	char when[32];
	int opened = 0;

	if (e->body == NULL || e->body_len > plain_size + 40 ||
	    wl_event_verify_author(&e->ev) != 0)
		return 0;
	author = wl_users_by_past_signer(a->users, e->ev.h.author);
	for (size_t i = 0; !opened && (key = wl_keyring_get(
					       a->keyring, e->ev.h.space,
					       e->ev.h.epoch, i)) != NULL;
	     i++)
		opened = wl_event_open_body(&e->ev.h, key, e->body,
					    e->body_len, plain, &len) == 0;
	if (!opened)
		return 0;
	if (wl_json_load_object(plain, len, plain_size, &o) != 0 ||
	    wl_json_get_string(o, "text", &text, &text_len, &field) != 0) {
		json_decref(o);
		return 0;
	}
	t = (time_t)((e->ev.h.hlc >> 16) / 1000);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	printf("%s %s: %s\n", when,
	       author ? author->bundle.username : "(unknown author)", text);
	json_decref(o);
	return 1;
}

static int message_read(struct wl_cli_actor *a, const struct wl_space *s)
{
	unsigned char *plain = sodium_malloc(MESSAGE_JSON_MAX);
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	size_t shown = 0, unreadable = 0, pruned = 0;
	int via_grant = 0;
	int rc;

	if (plain == NULL || !allowed(a, s, WL_ACTION_READ, &via_grant)) {
		sodium_free(plain);
		return 1;
	}
	rc = wl_store_iter_local(a->store, 0, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if (e.ev.h.kind != WL_KIND_MESSAGE ||
		    memcmp(e.ev.h.space, s->id, 16) != 0)
			continue;
		if (e.body == NULL && e.ev.h.body_len > 0)
			pruned++;
		else if (print_message(a, &e, plain, MESSAGE_JSON_MAX))
			shown++;
		else
			unreadable++;
	}
	wl_store_iter_free(it);
	sodium_free(plain);
	if (rc != 0) {
		fprintf(stderr, "wardline: cannot read the store: %s\n",
			wl_strerror(rc));
		return 1;
	}
	if (unreadable > 0)
		fprintf(stderr, "wardline: %zu messages of '%s' could not be "
				"opened with your keys\n",
			unreadable, s->name);
	if (pruned > 0)
		fprintf(stderr, "wardline: %zu messages of '%s' were deleted by "
				"the retention policy\n",
			pruned, s->name);
	audit_message(a, "messages_read", "ok", s, "", via_grant);
	return 0;
}

int wl_cmd_message(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage =
		"post --space SPACE --as USER [--text-file F] "
		"[--password-file F] [--data-dir DIR]\n"
		"       wardline message read --space SPACE --as USER "
		"[--password-file F] [--data-dir DIR]\n"
		"  (post reads the text from --text-file or standard input)";
	const char *verb = argc > 1 ? argv[1] : "";
	struct message_args o;
	struct wl_cli_actor a;
	const struct wl_space *s;
	int rc;

	if ((strcmp(verb, "post") && strcmp(verb, "read")) ||
	    message_parse(argc - 1, argv + 1, &o) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	rc = wl_cli_actor_login(&a, o.as, o.password_file);
	s = rc == 0 ? wl_cli_find_space(&a, o.space) : NULL;
	if (rc == 0 && s == NULL)
		rc = 1;
	if (rc == 0)
		rc = strcmp(verb, "post") == 0
			     ? message_post(&a, s, o.text_file)
			     : message_read(&a, s);
	wl_cli_actor_close(&a);
	return rc;
}
