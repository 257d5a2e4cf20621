/* Retention policy, legal holds and the expiry of bodies. */
#include "wardline/retention.h"

#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/json.h"

/* The kinds whose bodies a policy may expire, by their JSON names. */
static const struct {
	uint8_t kind;
	const char *name;
} kept_kinds[] = {
	{WL_KIND_AUDIT, "audit"},
	{WL_KIND_ENTITY_UPDATE, "entity_update"},
	{WL_KIND_MESSAGE, "message"},
	{WL_KIND_RECEIPT, "receipt"},
};

#define KEPT_KINDS (sizeof(kept_kinds) / sizeof(kept_kinds[0]))

void wl_retention_defaults(struct wl_retention_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->days[WL_KIND_AUDIT] = WL_RETENTION_AUDIT_DEFAULT;
}

static int days_ok(uint8_t kind, uint64_t days)
{
	if (days > WL_RETENTION_DAYS_MAX)
		return 0;
	return kind != WL_KIND_AUDIT || days == 0 ||
	       days >= WL_RETENTION_AUDIT_MIN;
}

static int patient_ok(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return len <= WL_RETENTION_PATIENT_MAX;
}

int wl_retention_encode(const struct wl_retention_policy *p,
			unsigned char *out, size_t outsize, size_t *outlen)
{
	json_t *days = json_object();
	json_t *holds = json_array();
	json_t *o;

	for (size_t i = 0; days && i < KEPT_KINDS; i++) {
		uint32_t d = p->days[kept_kinds[i].kind];

		if (!days_ok(kept_kinds[i].kind, d)) {
			json_decref(days);
			json_decref(holds);
			return WL_EINVAL;
		}
		days = wl_json_set(days, kept_kinds[i].name, json_integer(d));
	}
	for (size_t i = 0; holds && i < p->n_holds; i++) {
		const struct wl_retention_hold *h = &p->holds[i];
		json_t *hold = json_object();

		if (!patient_ok(h->patient) || p->n_holds >
						       WL_RETENTION_HOLDS_MAX) {
			json_decref(hold);
			json_decref(days);
			json_decref(holds);
			return WL_EINVAL;
		}
		hold = wl_json_set(hold, "space",
				   wl_json_b64(h->space, WL_EVENT_SPACE_SIZE));
		hold = wl_json_set(hold, "patient", json_string(h->patient));
		if (hold == NULL || json_array_append_new(holds, hold) != 0) {
			json_decref(holds);
			holds = NULL;
		}
	}
	o = json_pack("{s:i}", "v", WL_RETENTION_VERSION);
	o = wl_json_set(o, "days", days);
	o = wl_json_set(o, "holds", holds);
	return wl_json_dump(o, out, outsize, outlen);
}

static int decode_days(json_t *o, struct wl_retention_policy *p,
		       const char **field)
{
	json_t *days = json_object_get(o, "days");
	const char *name;
	json_t *v;

	*field = "days";
	if (days == NULL)
		return WL_ETRUNC;
	if (!json_is_object(days))
		return WL_EINVAL;
	json_object_foreach(days, name, v) {
		size_t k = 0;
		json_int_t d;

		while (k < KEPT_KINDS && strcmp(kept_kinds[k].name, name) != 0)
			k++;
		if (k == KEPT_KINDS || !json_is_integer(v))
			return WL_EINVAL;
		d = json_integer_value(v);
		if (d < 0 || !days_ok(kept_kinds[k].kind, (uint64_t)d))
			return WL_ERANGE;
		p->days[kept_kinds[k].kind] = (uint32_t)d;
	}
	*field = NULL;
	return 0;
}

static int decode_hold(json_t *h, struct wl_retention_hold *out,
		       const char **field)
{
	int rc;

	/* Exactly the two members "patient" and "space". */
	if (!json_is_object(h) || json_object_size(h) != 2)
		return WL_EINVAL;
	rc = wl_json_get_b64(h, "space", out->space, WL_EVENT_SPACE_SIZE,
			     field);
	if (rc == 0)
		rc = wl_json_get_text(h, "patient", out->patient,
				      sizeof(out->patient), field);
	if (rc == 0 && !patient_ok(out->patient)) {
		*field = "patient";
		rc = WL_EINVAL;
	}
	return rc;
}

static int decode_holds(json_t *o, struct wl_retention_policy *p,
			const char **field)
{
	json_t *holds = json_object_get(o, "holds");
	size_t i;
	json_t *h;

	*field = "holds";
	if (holds == NULL)
		return WL_ETRUNC;
	if (!json_is_array(holds))
		return WL_EINVAL;
	if (json_array_size(holds) > WL_RETENTION_HOLDS_MAX)
		return WL_ETOOBIG;
	json_array_foreach(holds, i, h) {
		int rc = decode_hold(h, &p->holds[i], field);

		if (rc != 0)
			return rc == WL_ETRUNC ? WL_EINVAL : rc;
	}
	p->n_holds = json_array_size(holds);
	*field = NULL;
	return 0;
}

int wl_retention_decode(const unsigned char *buf, size_t len,
			struct wl_retention_policy *out, const char **field)
{
	static const char *const members[] = {"days", "holds", "v"};
	struct wl_retention_policy p;
	const char *bad = NULL;
	json_t *o = NULL;
	int rc;

	/* A policy names every kind it keeps for a limited time; a kind it
	 * leaves out is kept for ever, audit records included. */
	memset(&p, 0, sizeof(p));
	rc = wl_json_load_object(buf, len, WL_RETENTION_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, members, 3, WL_RETENTION_VERSION,
					   &bad);
	if (rc == 0)
		rc = decode_days(o, &p, &bad);
	if (rc == 0)
		rc = decode_holds(o, &p, &bad);
	json_decref(o);

	if (rc == 0)
		*out = p;
	if (field != NULL)
		*field = rc == 0 ? NULL : bad;
	return rc;
}

/* May the author of the policy event EV set policy: the site key, or a
 * current admin? */
static int policy_author_ok(const struct wl_users *users,
			    const struct wl_event *ev,
			    const unsigned char site_pk[32])
{
	const struct wl_user *u;

	if (!(ev->h.flags & WL_EVENT_F_AUTHOR) ||
	    wl_event_verify_author(ev) != 0)
		return 0;
	if (memcmp(ev->h.author, site_pk, 32) == 0)
		return 1;
	u = wl_users_by_signer(users, ev->h.author);
	return u != NULL && !u->bundle.disabled &&
	       u->bundle.role == WL_ROLE_ADMIN;
}

int wl_retention_load(struct wl_retention_policy *p,
		      const struct wl_users *users, struct wl_store *store)
{
	struct wl_store_copy *all = NULL;
	size_t n = 0;
	int rc;

	wl_retention_defaults(p);
	rc = wl_store_collect_kind(store, WL_KIND_SITE_POLICY, &all, &n);

	/* Newest first: the first valid policy wins. */
	for (size_t i = n; rc == 0 && i-- > 0;) {
		struct wl_retention_policy candidate;
		struct wl_event ev;

		if (wl_event_decode(all[i].buf, all[i].len, &ev) != 0 ||
		    ev.body == NULL ||
		    !policy_author_ok(users, &ev, wl_users_site_pk(users)) ||
		    wl_retention_decode(ev.body, ev.h.body_len, &candidate,
					NULL) != 0)
			continue;
		candidate.hlc = ev.h.hlc;
		*p = candidate;
		break;
	}
	wl_store_copies_free(all, n);
	return rc;
}

int wl_retention_held(const struct wl_retention_policy *p,
		      const unsigned char space[WL_EVENT_SPACE_SIZE])
{
	for (size_t i = 0; i < p->n_holds; i++)
		if (memcmp(p->holds[i].space, space, WL_EVENT_SPACE_SIZE) == 0)
			return 1;
	return 0;
}

int wl_retention_expired(const struct wl_retention_policy *p,
			 const struct wl_event_header *h, uint64_t now_ms)
{
	uint64_t days = h->kind <= WL_KIND_MAX ? p->days[h->kind] : 0;
	uint64_t written = h->hlc >> 16;

	if (days == 0 || now_ms < written ||
	    now_ms - written < days * WL_RETENTION_DAY_MS)
		return 0;
	return !wl_retention_held(p, h->space);
}
