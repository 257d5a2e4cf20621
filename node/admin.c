/* The admin views' data: users and the audit log. */
#include "wardline/admin.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/access.h"
#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/event.h"
#include "wardline/log.h"

json_t *wl_admin_users(const struct wl_users *u, int full)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < wl_users_count(u); i++) {
		const struct wl_user *x = wl_users_at(u, i);
		const char *state = x->bundle.disabled ? "disabled"
				    : x->locked	       ? "locked"
						       : "active";
		json_t *o;

		if (!full && x->bundle.disabled)
			continue;
		o = json_pack("{s:s, s:s, s:s}", "username",
			      x->bundle.username, "display_name",
			      x->bundle.display_name, "role",
			      wl_access_role_name(x->bundle.role));
		if (o != NULL && full)
			json_object_update_new(
				o, json_pack("{s:s, s:I}", "state", state,
					     "failures",
					     (json_int_t)x->failures));
		json_array_append_new(list, o);
	}
	return list;
}

/* Open the audit event EV with the keys of its epoch into R. */
static int open_record(const struct wl_keyring *kr, const struct wl_event *ev,
		       unsigned char *plain, struct wl_audit_record *r)
{
	const unsigned char *key;
	size_t len = 0;

	if (ev->body == NULL ||
	    ev->h.body_len > WL_AUDIT_JSON_MAX + WL_AUDIT_SEAL_OVERHEAD)
		return WL_ETRUNC;
	for (size_t i = 0; (key = wl_keyring_get(kr, ev->h.space, ev->h.epoch,
						 i)) != NULL;
	     i++)
		if (wl_audit_open(&ev->h, key, ev->body, ev->h.body_len, plain,
				  &len) == 0)
			return wl_audit_record_decode(plain, len, r, NULL);
	return WL_EAUTH;
}

static int selected(const struct wl_admin_filter *f,
		    const struct wl_audit_record *r)
{
	return r->at_ms >= f->from_ms && (f->to_ms == 0 || r->at_ms < f->to_ms) &&
	       (f->username[0] == '\0' ||
		strcmp(f->username, r->username) == 0) &&
	       (f->patient[0] == '\0' || strcmp(f->patient, r->patient) == 0) &&
	       (f->action[0] == '\0' || strcmp(f->action, r->action) == 0);
}

static json_t *row(const struct wl_spaces *spaces, const struct wl_event *ev,
		   const struct wl_audit_record *r)
{
	const struct wl_space *s = r->has_space ? wl_spaces_by_id(spaces,
								  r->space)
						: NULL;
	char node[17], user[33] = "", space[33] = "";

	sodium_bin2hex(node, sizeof(node), ev->h.origin, 8);
	if (r->has_user)
		sodium_bin2hex(user, sizeof(user), r->user, 16);
	if (r->has_space)
		sodium_bin2hex(space, sizeof(space), r->space, 16);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:b}",
			 "time_ms", (json_int_t)r->at_ms, "node", node,
			 "action", r->action, "outcome", r->outcome,
			 "username", r->username, "user_id", user, "space",
			 s ? s->name : "", "space_id", space, "patient",
			 r->patient, "detail", r->detail, "emergency",
			 r->emergency);
}

static int newest_first(const void *a, const void *b)
{
	uint64_t x = (uint64_t)json_integer_value(
		json_object_get(*(json_t *const *)a, "time_ms"));
	uint64_t y = (uint64_t)json_integer_value(
		json_object_get(*(json_t *const *)b, "time_ms"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The wall clock of a record's writer may differ from its event's HLC by
 * the allowed skew; a wide margin keeps the pre-filter safe. */
#define WINDOW_SLACK_MS (24ull * 3600 * 1000)

int wl_admin_audit(struct wl_store *store, const struct wl_spaces *spaces,
		   const struct wl_keyring *kr,
		   const struct wl_admin_filter *f, json_t **rows,
		   int *truncated)
{
	size_t limit = f->limit && f->limit < WL_ADMIN_AUDIT_ROWS_MAX
			       ? f->limit
			       : WL_ADMIN_AUDIT_ROWS_MAX;
	unsigned char *plain = sodium_malloc(WL_AUDIT_JSON_MAX);
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	json_t **kept = NULL;
	size_t nkept = 0, cap = 0;
	int rc;

	*rows = NULL;
	*truncated = 0;
	/* Audit records are not in the kinds index (there are many), so the
	 * walk reads the whole log once. */
	rc = plain ? wl_store_iter_local(store, 0, &it) : WL_ENOMEM;
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) == 1) {
		uint64_t wall = e.ev.h.hlc >> 16;
		struct wl_audit_record r;

		rc = 0;
		if (e.ev.h.kind != WL_KIND_AUDIT ||
		    wall + WINDOW_SLACK_MS < f->from_ms ||
		    (f->to_ms && wall > f->to_ms + WINDOW_SLACK_MS))
			continue;
		e.ev.body = e.body;
		if (open_record(kr, &e.ev, plain, &r) != 0 || !selected(f, &r))
			continue;
		if (nkept == cap) {
			json_t **grown = realloc(kept, (cap * 2 + 64) *
							       sizeof(*kept));

			if (grown == NULL) {
				rc = WL_ENOMEM;
				break;
			}
			kept = grown;
			cap = cap * 2 + 64;
		}
		kept[nkept] = row(spaces, &e.ev, &r);
		if (kept[nkept] != NULL)
			nkept++;
	}
	wl_store_iter_free(it);

	if (rc == 0) {
		qsort(kept, nkept, sizeof(*kept), newest_first);
		*rows = json_array();
		for (size_t i = 0; *rows && i < nkept; i++) {
			if (i < limit)
				json_array_append(*rows, kept[i]);
			json_decref(kept[i]);
		}
		*truncated = nkept > limit;
		if (*rows == NULL)
			rc = WL_ENOMEM;
	} else {
		for (size_t i = 0; kept && i < nkept; i++)
			json_decref(kept[i]);
	}
	free(kept);
	sodium_free(plain);
	return rc;
}

/* Append S as one quoted CSV field, then SEP, to BUF. */
static int csv_put(char **buf, size_t *len, size_t *cap, const char *s,
		   char sep)
{
	size_t need = *len + 2 * strlen(s) + 5;
	char *p;

	if (need > *cap) {
		size_t cap2 = need * 2;
		char *grown = realloc(*buf, cap2);

		if (grown == NULL)
			return WL_ENOMEM;
		*buf = grown;
		*cap = cap2;
	}
	p = *buf + *len;
	*p++ = '"';
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		*p++ = '\'';
	for (; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	*p++ = sep;
	*p = '\0';
	*len = (size_t)(p - *buf);
	return 0;
}

int wl_admin_audit_csv(const json_t *rows, char **out, size_t *len)
{
	static const char *const cols[] = {
		"time_ms", "node", "action", "outcome", "username", "user_id",
		"space", "space_id", "patient", "detail", "emergency"};
	const size_t ncols = sizeof(cols) / sizeof(cols[0]);
	size_t cap = 0, used = 0;
	char *buf = NULL;
	size_t i;
	json_t *r;
	int rc = 0;

	for (size_t c = 0; rc == 0 && c < ncols; c++)
		rc = csv_put(&buf, &used, &cap, cols[c],
			     c + 1 == ncols ? '\n' : ',');
	json_array_foreach(rows, i, r) {
		for (size_t c = 0; rc == 0 && c < ncols; c++) {
			json_t *v = json_object_get(r, cols[c]);
			char num[24];
			const char *text = json_string_value(v);

			if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld",
					 (long long)json_integer_value(v));
				text = num;
			} else if (json_is_boolean(v)) {
				text = json_is_true(v) ? "yes" : "";
			}
			rc = csv_put(&buf, &used, &cap, text ? text : "",
				     c + 1 == ncols ? '\n' : ',');
		}
	}
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = used;
	return 0;
}
