/* Spaces: membership changes, epochs, envelopes and the user's keyring. */
#include "wardline/space.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/json.h"
#include "wardline/utf8.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const op_names[WL_SPACE_OP_COUNT] = {
	[WL_SPACE_OP_CREATE] = "create", [WL_SPACE_OP_ADD] = "add",
	[WL_SPACE_OP_REMOVE] = "remove", [WL_SPACE_OP_ROTATE] = "rotate",
	[WL_SPACE_OP_GRANT] = "grant",
};

static const char *const change_members[] = {
	"audit_pk", "epoch",    "expires_ms", "kind", "members", "name",
	"op",       "reason",   "space_id",   "user", "v",
};

const char *wl_space_op_name(enum wl_space_op op)
{
	return (unsigned)op < WL_SPACE_OP_COUNT ? op_names[op] : NULL;
}

static int op_parse(const char *name, enum wl_space_op *op)
{
	for (unsigned i = 0; i < WL_SPACE_OP_COUNT; i++) {
		if (strcmp(op_names[i], name) == 0) {
			*op = (enum wl_space_op)i;
			return 0;
		}
	}
	return WL_EINVAL;
}

static int zero16(const unsigned char id[16])
{
	static const unsigned char zero[16];

	return sodium_memcmp(id, zero, 16) == 0;
}

/* A space name: empty for direct spaces only, else 1 to
 * WL_SPACE_NAME_MAX bytes of UTF-8 without control characters. */
static int name_check(enum wl_space_kind kind, const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return kind == WL_SPACE_DIRECT ? 0 : WL_EINVAL;
	if (len > WL_SPACE_NAME_MAX)
		return WL_EINVAL;
	return wl_utf8_count_text(name, len) < 0 ? WL_EINVAL : 0;
}

/* Check the members that CHANGE's op needs. On failure *FIELD (may be
 * NULL) names the member at fault. */
static int change_check(const struct wl_space_change *c, const char **field)
{
	const char *bad = NULL;

	if ((unsigned)c->op >= WL_SPACE_OP_COUNT)
		bad = "op";
	else if (zero16(c->space_id))
		bad = "space_id";
	else if (c->epoch == 0 ||
		 (c->op == WL_SPACE_OP_CREATE && c->epoch != 1) ||
		 ((c->op == WL_SPACE_OP_REMOVE || c->op == WL_SPACE_OP_ROTATE) &&
		  c->epoch < 2))
		bad = "epoch";
	else if (c->op == WL_SPACE_OP_CREATE &&
		 (unsigned)c->kind >= WL_SPACE_SITE)
		bad = "kind";
	else if (c->op == WL_SPACE_OP_CREATE && name_check(c->kind, c->name))
		bad = "name";
	else if (c->op == WL_SPACE_OP_CREATE &&
		 c->n_members > WL_SPACE_CREATE_MEMBERS_MAX)
		bad = "members";
	else if (c->op != WL_SPACE_OP_CREATE && c->op != WL_SPACE_OP_ROTATE &&
		 zero16(c->user))
		bad = "user";
	else if (c->has_audit_pk &&
		 (c->op == WL_SPACE_OP_ADD || c->op == WL_SPACE_OP_GRANT))
		bad = "audit_pk";
	else if (c->op == WL_SPACE_OP_CREATE &&
		 (c->kind == WL_SPACE_AUDIT) != (c->has_audit_pk != 0))
		bad = "audit_pk";
	else if (c->op == WL_SPACE_OP_GRANT && c->expires_ms == 0)
		bad = "expires_ms";
	else if (c->op == WL_SPACE_OP_GRANT &&
		 (c->reason_len <= 40 ||
		  c->reason_len > WL_SPACE_REASON_BOX_MAX))
		bad = "reason";

	if (field != NULL)
		*field = bad;
	return bad ? WL_EINVAL : 0;
}

/* Add the members of a create to O. */
static json_t *members_json(const struct wl_space_change *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < c->n_members; i++) {
		json_t *id = wl_json_b64(c->members[i], 16);

		if (id == NULL || json_array_append_new(a, id) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int wl_space_change_encode(const struct wl_space_change *c,
			   unsigned char *out, size_t outsize, size_t *outlen)
{
	json_t *o;

	if (change_check(c, NULL) != 0)
		return WL_EINVAL;

	o = json_pack("{s:i, s:s, s:I}", "v", WL_SPACE_VERSION, "op",
		      op_names[c->op], "epoch", (json_int_t)c->epoch);
	o = wl_json_set(o, "space_id", wl_json_b64(c->space_id, 16));
	if (c->op == WL_SPACE_OP_CREATE) {
		o = wl_json_set(o, "kind",
				json_string(wl_access_space_kind_name(c->kind)));
		o = wl_json_set(o, "name", json_string(c->name));
		o = wl_json_set(o, "members", members_json(c));
	} else if (c->op != WL_SPACE_OP_ROTATE) {
		o = wl_json_set(o, "user", wl_json_b64(c->user, 16));
	}
	if (c->op == WL_SPACE_OP_GRANT) {
		o = wl_json_set(o, "expires_ms",
				json_integer((json_int_t)c->expires_ms));
		o = wl_json_set(o, "reason",
				wl_json_b64(c->reason_box, c->reason_len));
	}
	if (c->has_audit_pk)
		o = wl_json_set(o, "audit_pk", wl_json_b64(c->audit_pk, 32));
	return wl_json_dump(o, out, outsize, outlen);
}

/* Decode the "members" array of a create. */
static int members_get(json_t *o, struct wl_space_change *c,
		       const char **field)
{
	json_t *a = json_object_get(o, "members");
	size_t i;
	json_t *v;

	*field = "members";
	if (a == NULL)
		return WL_ETRUNC;
	if (!json_is_array(a))
		return WL_EINVAL;
	if (json_array_size(a) > WL_SPACE_CREATE_MEMBERS_MAX)
		return WL_ETOOBIG;
	json_array_foreach(a, i, v) {
		json_t *wrap = json_pack("{s:O}", "m", v);
		const char *inner = NULL;
		int rc = wrap ? wl_json_get_b64(wrap, "m", c->members[i], 16,
						&inner)
			      : WL_ENOMEM;

		json_decref(wrap);
		if (rc != 0)
			return rc == WL_ETRUNC ? WL_EINVAL : rc;
	}
	c->n_members = json_array_size(a);
	*field = NULL;
	return 0;
}

/* Decode the members that depend on the op, and refuse those it does not
 * take. */
static int change_by_op(json_t *o, struct wl_space_change *c,
			const char **field)
{
	int create = c->op == WL_SPACE_OP_CREATE;
	int has_user = !create && c->op != WL_SPACE_OP_ROTATE;
	int grant = c->op == WL_SPACE_OP_GRANT;
	const char *kind = NULL;
	size_t len = 0;
	uint64_t expires = 0;
	int rc = 0;

	/* A member that this op does not take is named as the fault. */
	static const struct {
		const char *name;
		int create, user, grant;
	} only[] = {
		{"kind", 1, 0, 0},     {"name", 1, 0, 0},
		{"members", 1, 0, 0},  {"user", 0, 1, 0},
		{"expires_ms", 0, 0, 1}, {"reason", 0, 0, 1},
	};

	*field = NULL;
	for (size_t i = 0; i < COUNT(only); i++) {
		int taken = (only[i].create && create) ||
			    (only[i].user && has_user) ||
			    (only[i].grant && grant);

		if (!taken && json_object_get(o, only[i].name) != NULL) {
			*field = only[i].name;
			return WL_EINVAL;
		}
	}

	if (create) {
		rc = wl_json_get_string(o, "kind", &kind, &len, field);
		if (rc == 0 &&
		    (wl_access_space_kind_parse(kind, &c->kind) != 0 ||
		     c->kind == WL_SPACE_SITE)) {
			*field = "kind";
			rc = WL_EINVAL;
		}
		if (rc == 0)
			rc = wl_json_get_text(o, "name", c->name,
					      sizeof(c->name), field);
		if (rc == 0)
			rc = members_get(o, c, field);
	}
	if (rc == 0 && has_user)
		rc = wl_json_get_b64(o, "user", c->user, 16, field);
	if (rc == 0 && grant) {
		rc = wl_json_get_uint(o, "expires_ms", 1, INT64_MAX, &expires,
				      field);
		c->expires_ms = expires;
	}
	if (rc == 0 && grant)
		rc = wl_json_get_b64_var(o, "reason", c->reason_box,
					 sizeof(c->reason_box), &c->reason_len,
					 field);
	if (rc == 0 && json_object_get(o, "audit_pk") != NULL) {
		rc = wl_json_get_b64(o, "audit_pk", c->audit_pk, 32, field);
		c->has_audit_pk = rc == 0;
	}
	return rc;
}

int wl_space_change_decode(const unsigned char *buf, size_t len,
			   struct wl_space_change *out, const char **field)
{
	struct wl_space_change c;
	const char *bad = NULL;
	const char *op = NULL;
	uint64_t epoch = 0;
	size_t oplen = 0;
	json_t *o = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = wl_json_load_object(buf, len, WL_SPACE_CHANGE_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, change_members,
					   COUNT(change_members),
					   WL_SPACE_VERSION, &bad);
	if (rc == 0)
		rc = wl_json_get_string(o, "op", &op, &oplen, &bad);
	if (rc == 0 && op_parse(op, &c.op) != 0) {
		bad = "op";
		rc = WL_EINVAL;
	}
	if (rc == 0)
		rc = wl_json_get_b64(o, "space_id", c.space_id, 16, &bad);
	if (rc == 0)
		rc = wl_json_get_uint(o, "epoch", 1, UINT32_MAX, &epoch, &bad);
	c.epoch = (uint32_t)epoch;
	if (rc == 0)
		rc = change_by_op(o, &c, &bad);
	json_decref(o);

	if (rc == 0)
		rc = change_check(&c, &bad);
	if (rc == 0)
		*out = c;
	if (field != NULL)
		*field = rc == 0 ? NULL : bad;
	return rc;
}

#define REASON_LABEL "wardline grant"
#define REASON_AD_SIZE (sizeof(REASON_LABEL) - 1 + 32)

/* Associated data of a sealed grant reason: label, space id, grantee. */
static void reason_ad(const struct wl_space_change *c,
		      unsigned char ad[REASON_AD_SIZE])
{
	size_t label = sizeof(REASON_LABEL) - 1;

	memcpy(ad, REASON_LABEL, label);
	memcpy(ad + label, c->space_id, 16);
	memcpy(ad + label + 16, c->user, 16);
}

int wl_space_reason_seal(struct wl_space_change *c,
			 const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
			 const char *reason)
{
	struct wl_access_grant g;
	unsigned char ad[REASON_AD_SIZE];
	unsigned long long clen = 0;
	size_t len = strlen(reason);

	memset(&g, 0, sizeof(g));
	memset(g.grantee, 1, 16);
	memset(g.space, 1, 16);
	memset(g.granted_by, 2, 16);
	g.granted_ms = 1;
	g.expires_ms = 2;
	if (len > WL_ACCESS_REASON_BYTES)
		return WL_EINVAL;
	memcpy(g.reason, reason, len + 1);
	if (wl_access_grant_check(&g) != 0)
		return WL_EINVAL;

	reason_ad(c, ad);
	randombytes_buf(c->reason_box, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		c->reason_box + 24, &clen, (const unsigned char *)reason, len,
		ad, sizeof(ad), NULL, c->reason_box, key);
	c->reason_len = 24 + (size_t)clen;
	sodium_memzero(&g, sizeof(g));
	return 0;
}

int wl_space_reason_open(const struct wl_space_change *c,
			 const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
			 char *out)
{
	unsigned char ad[REASON_AD_SIZE];
	unsigned long long plen = 0;

	if (c->reason_len <= 40 || c->reason_len > WL_SPACE_REASON_BOX_MAX)
		return WL_EAUTH;
	reason_ad(c, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    (unsigned char *)out, &plen, NULL, c->reason_box + 24,
		    c->reason_len - 24, ad, sizeof(ad), c->reason_box,
		    key) != 0) {
		out[0] = '\0';
		return WL_EAUTH;
	}
	out[plen] = '\0';
	return 0;
}

/* ---- the fold ---- */

struct wl_spaces {
	const struct wl_users *users;
	struct wl_space *spaces;
	size_t n;
	size_t cap;
	struct wl_spaces_stats stats;
};

int wl_spaces_new(const struct wl_users *users, struct wl_spaces **out)
{
	struct wl_spaces *sp = calloc(1, sizeof(*sp));

	*out = NULL;
	if (sp == NULL)
		return WL_ENOMEM;
	sp->users = users;
	*out = sp;
	return 0;
}

static void space_clear(struct wl_space *s)
{
	free(s->members);
	free(s->epochs);
	free(s->grants);
	free(s->sealed);
}

void wl_spaces_free(struct wl_spaces *sp)
{
	if (sp == NULL)
		return;
	for (size_t i = 0; i < sp->n; i++)
		space_clear(&sp->spaces[i]);
	free(sp->spaces);
	free(sp);
}

size_t wl_spaces_count(const struct wl_spaces *sp)
{
	return sp->n;
}

const struct wl_space *wl_spaces_at(const struct wl_spaces *sp, size_t i)
{
	return i < sp->n ? &sp->spaces[i] : NULL;
}

const struct wl_spaces_stats *wl_spaces_stats(const struct wl_spaces *sp)
{
	return &sp->stats;
}

const struct wl_space *wl_spaces_by_id(const struct wl_spaces *sp,
				       const unsigned char id[16])
{
	for (size_t i = 0; i < sp->n; i++)
		if (memcmp(sp->spaces[i].id, id, 16) == 0)
			return &sp->spaces[i];
	return NULL;
}

const struct wl_space *wl_spaces_by_name(const struct wl_spaces *sp,
					 const char *name)
{
	const struct wl_space *found = NULL;

	for (size_t i = 0; i < sp->n; i++) {
		if (strcmp(sp->spaces[i].name, name) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = &sp->spaces[i];
	}
	return found;
}

const struct wl_space *wl_spaces_audit(const struct wl_spaces *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->spaces[i].kind == WL_SPACE_AUDIT)
			return &sp->spaces[i];
	return NULL;
}

/* Grow the array *ARR of *N items of SIZE bytes by one zeroed item and
 * return it, or NULL. */
static void *grow(void *arr_ptr, size_t *n, size_t size)
{
	void **arr = arr_ptr;
	unsigned char *grown = realloc(*arr, (*n + 1) * size);

	if (grown == NULL)
		return NULL;
	*arr = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

static const struct wl_user *live_user(const struct wl_spaces *sp,
				       const unsigned char id[16])
{
	const struct wl_user *u = wl_users_by_id(sp->users, id);

	return u != NULL && !u->bundle.disabled ? u : NULL;
}

static int named(const struct wl_space *s, const unsigned char user[16])
{
	for (size_t i = 0; i < s->n_members; i++)
		if (memcmp(s->members[i], user, 16) == 0)
			return 1;
	return 0;
}

/* Is U, found by the caller, a member of S? */
static int member_of(const struct wl_space *s, const struct wl_user *u)
{
	if (s->kind == WL_SPACE_WARD && u->bundle.role == WL_ROLE_ADMIN)
		return 1;
	return named(s, u->bundle.user_id);
}

int wl_space_is_member(const struct wl_spaces *sp, const struct wl_space *s,
		       const unsigned char user[16])
{
	const struct wl_user *u = live_user(sp, user);

	return u != NULL && member_of(s, u);
}

const struct wl_space_grant *wl_space_grant_for(const struct wl_space *s,
						const unsigned char user[16],
						uint64_t now_ms)
{
	for (size_t i = s->n_grants; i-- > 0;) {
		const struct wl_space_grant *g = &s->grants[i];
		struct wl_access_grant check;

		if (memcmp(g->grantee, user, 16) != 0)
			continue;
		memset(&check, 0, sizeof(check));
		memcpy(check.grantee, g->grantee, 16);
		memcpy(check.space, s->id, 16);
		memcpy(check.granted_by, g->granted_by, 16);
		check.granted_ms = g->granted_ms;
		check.expires_ms = g->expires_ms;
		/* The reason is sealed; its rules were checked when it was
		 * sealed, and here only the times and ids are at stake. */
		memcpy(check.reason, "sealed", 7);
		if (wl_access_grant_valid_at(&check, now_ms) == 0)
			return g;
	}
	return NULL;
}

/* Ask the access table about U, found by the caller, as wl_space_may
 * does. */
static int may(const struct wl_space *s, const struct wl_user *u,
	       enum wl_action action, uint64_t now_ms, int *via_grant)
{
	int member = member_of(s, u);

	if (via_grant != NULL)
		*via_grant = 0;
	if (wl_access_allowed(u->bundle.role, action, s->kind, member, 0) == 0)
		return 0;
	if (member || s->kind != WL_SPACE_WARD ||
	    wl_space_grant_for(s, u->bundle.user_id, now_ms) == NULL)
		return WL_EDENIED;
	if (wl_access_allowed(u->bundle.role, action, s->kind, 0,
			      WL_ACCESS_F_EMERGENCY) != 0)
		return WL_EDENIED;
	if (via_grant != NULL)
		*via_grant = 1;
	return 0;
}

int wl_space_may(const struct wl_spaces *sp, const struct wl_space *s,
		 const unsigned char user[16], enum wl_action action,
		 uint64_t now_ms, int *via_grant)
{
	const struct wl_user *u = live_user(sp, user);

	if (via_grant != NULL)
		*via_grant = 0;
	if (u == NULL)
		return WL_ENOTFOUND;
	return may(s, u, action, now_ms, via_grant);
}

/* Append ID to OUT unless it is there; returns the new count. */
static size_t add_unique(unsigned char (*out)[16], size_t n, size_t max,
			 const unsigned char id[16], size_t *total)
{
	for (size_t i = 0; i < n && i < max; i++)
		if (memcmp(out[i], id, 16) == 0)
			return n;
	if (n < max)
		memcpy(out[n], id, 16);
	(*total)++;
	return n + 1;
}

size_t wl_space_recipients(const struct wl_spaces *sp,
			   const struct wl_space *s, uint64_t now_ms,
			   unsigned char (*out)[16], size_t max)
{
	size_t n = 0;
	size_t total = 0;

	for (size_t i = 0; i < s->n_members; i++)
		if (live_user(sp, s->members[i]) != NULL)
			n = add_unique(out, n, max, s->members[i], &total);
	for (size_t i = 0; s->kind == WL_SPACE_WARD &&
			   i < wl_users_count(sp->users);
	     i++) {
		const struct wl_user *u = wl_users_at(sp->users, i);

		if (u->bundle.role == WL_ROLE_ADMIN && !u->bundle.disabled)
			n = add_unique(out, n, max, u->bundle.user_id, &total);
	}
	for (size_t i = 0; i < s->n_grants; i++) {
		const unsigned char *g = s->grants[i].grantee;

		if (live_user(sp, g) != NULL &&
		    wl_space_grant_for(s, g, now_ms) != NULL)
			n = add_unique(out, n, max, g, &total);
	}
	return n;
}

int wl_space_has_envelope(const struct wl_spaces *sp,
			  const struct wl_space *s,
			  const unsigned char recipient[16], uint32_t epoch)
{
	const struct wl_user *u = wl_users_by_id(sp->users, recipient);

	for (size_t i = 0; u != NULL && i < s->n_sealed; i++)
		if (s->sealed[i].epoch == epoch &&
		    s->sealed[i].hlc >= u->keys_hlc &&
		    memcmp(s->sealed[i].recipient, recipient, 16) == 0)
			return 1;
	return 0;
}

const struct wl_space_epoch *wl_space_epoch_at(const struct wl_space *s,
					       uint32_t epoch)
{
	if (epoch == 0 || epoch > s->n_epochs)
		return NULL;
	return &s->epochs[epoch - 1];
}

/* Start epoch C->epoch of S, begun by AUTHOR at HLC. */
static int epoch_start(struct wl_space *s, const struct wl_space_change *c,
		       const unsigned char author[16], uint64_t hlc)
{
	struct wl_space_epoch *e =
		grow(&s->epochs, &s->n_epochs, sizeof(*s->epochs));

	if (e == NULL)
		return WL_ENOMEM;
	e->epoch = c->epoch;
	memcpy(e->starter, author, 16);
	e->hlc = hlc;
	e->has_audit_pk = c->has_audit_pk;
	memcpy(e->audit_pk, c->audit_pk, 32);
	s->epoch = c->epoch;
	s->rotation_due = 0;
	return 0;
}

static int apply_create(struct wl_spaces *sp, const struct wl_event *ev,
			const struct wl_user *author,
			const struct wl_space_change *c)
{
	struct wl_space *s;
	int rc;

	if (wl_spaces_by_id(sp, c->space_id) != NULL ||
	    (c->kind == WL_SPACE_AUDIT && wl_spaces_audit(sp) != NULL))
		return WL_EEXIST;
	/* Wards, mailboxes and the audit space belong to the site, which
	 * admins manage; anyone may start a direct conversation. */
	if (c->kind != WL_SPACE_DIRECT &&
	    wl_access_allowed(author->bundle.role, WL_ACTION_MANAGE_USERS,
			      WL_SPACE_SITE, 0, 0) != 0)
		return WL_EDENIED;
	for (size_t i = 0; i < c->n_members; i++)
		if (wl_users_by_id(sp->users, c->members[i]) == NULL)
			return WL_ENOTFOUND;

	s = grow(&sp->spaces, &sp->n, sizeof(*sp->spaces));
	if (s == NULL)
		return WL_ENOMEM;
	memcpy(s->id, c->space_id, 16);
	s->kind = c->kind;
	memcpy(s->name, c->name, sizeof(s->name));
	memcpy(s->creator, author->bundle.user_id, 16);
	s->created_hlc = ev->h.hlc;
	rc = epoch_start(s, c, author->bundle.user_id, ev->h.hlc);
	for (size_t i = 0; rc == 0 && i <= c->n_members; i++) {
		const unsigned char *id =
			i == c->n_members ? author->bundle.user_id
					  : c->members[i];
		unsigned char(*m)[16];

		if (named(s, id))
			continue;
		m = grow(&s->members, &s->n_members, 16);
		if (m == NULL)
			rc = WL_ENOMEM;
		else
			memcpy(*m, id, 16);
	}
	return rc;
}

static int apply_add(struct wl_spaces *sp, struct wl_space *s,
		     const struct wl_user *author,
		     const struct wl_space_change *c, uint64_t now_ms)
{
	unsigned char(*m)[16];

	if (may(s, author, WL_ACTION_ADD_MEMBER, now_ms, NULL) != 0)
		return WL_EDENIED;
	if (wl_users_by_id(sp->users, c->user) == NULL)
		return WL_ENOTFOUND;
	if (c->epoch > s->epoch)
		return WL_ERANGE;
	if (named(s, c->user))
		return 0;
	m = grow(&s->members, &s->n_members, 16);
	if (m == NULL)
		return WL_ENOMEM;
	memcpy(*m, c->user, 16);
	return 0;
}

static int apply_remove(struct wl_space *s,
			const struct wl_event *ev,
			const struct wl_user *author,
			const struct wl_space_change *c, uint64_t now_ms)
{
	size_t i = 0;

	if (may(s, author, WL_ACTION_REMOVE_MEMBER, now_ms, NULL) != 0)
		return WL_EDENIED;
	if (c->epoch > s->epoch + 1 ||
	    (s->kind == WL_SPACE_AUDIT) != (c->has_audit_pk != 0))
		return WL_ERANGE;
	while (i < s->n_members && memcmp(s->members[i], c->user, 16) != 0)
		i++;
	if (i == s->n_members)
		return WL_ENOTFOUND;
	memmove(s->members[i], s->members[i + 1],
		(s->n_members - i - 1) * 16);
	s->n_members--;

	/* A removal that lost the race for its epoch still removes: the key
	 * the member held is then rotated by the next writer. */
	if (c->epoch != s->epoch + 1) {
		s->rotation_due = 1;
		return 0;
	}
	return epoch_start(s, c, author->bundle.user_id, ev->h.hlc);
}

static int apply_rotate(struct wl_space *s,
			const struct wl_event *ev,
			const struct wl_user *author,
			const struct wl_space_change *c)
{
	if (!member_of(s, author))
		return WL_EDENIED;
	if (c->epoch != s->epoch + 1 ||
	    (s->kind == WL_SPACE_AUDIT) != (c->has_audit_pk != 0))
		return WL_ERANGE;
	return epoch_start(s, c, author->bundle.user_id, ev->h.hlc);
}

static int apply_grant(struct wl_spaces *sp, struct wl_space *s,
		       const struct wl_event *ev,
		       const struct wl_user *author,
		       const struct wl_space_change *c, uint64_t now_ms)
{
	struct wl_space_grant *g;
	struct wl_access_grant check;

	if (s->kind != WL_SPACE_WARD ||
	    may(s, author, WL_ACTION_GRANT_EMERGENCY_ACCESS, now_ms, NULL) != 0)
		return WL_EDENIED;
	if (wl_users_by_id(sp->users, c->user) == NULL)
		return WL_ENOTFOUND;
	if (c->epoch > s->epoch)
		return WL_ERANGE;

	memset(&check, 0, sizeof(check));
	memcpy(check.grantee, c->user, 16);
	memcpy(check.space, s->id, 16);
	memcpy(check.granted_by, author->bundle.user_id, 16);
	check.granted_ms = now_ms;
	check.expires_ms = c->expires_ms;
	memcpy(check.reason, "sealed", 7);
	if (wl_access_grant_check(&check) != 0)
		return WL_ERANGE;

	g = grow(&s->grants, &s->n_grants, sizeof(*s->grants));
	if (g == NULL)
		return WL_ENOMEM;
	memcpy(g->grantee, c->user, 16);
	memcpy(g->granted_by, author->bundle.user_id, 16);
	g->granted_ms = now_ms;
	g->expires_ms = c->expires_ms;
	g->epoch = c->epoch;
	memcpy(g->event_id, ev->id, 32);
	return 0;
}

/* The author of EV as a live user, after checking its signature. */
static int event_author(struct wl_spaces *sp, const struct wl_event *ev,
			const struct wl_user **out)
{
	if (!(ev->h.flags & WL_EVENT_F_AUTHOR) || wl_event_verify(ev) != 0) {
		sp->stats.rejected_auth++;
		return WL_EAUTH;
	}
	/* Judged by the key the author had when the event was written: a
	 * later reset or disable does not undo what the author did before. */
	*out = wl_users_signer_at(sp->users, ev->h.author, ev->h.hlc);
	if (*out == NULL) {
		sp->stats.rejected_author++;
		return WL_EDENIED;
	}
	return 0;
}

static void count_result(struct wl_spaces *sp, int rc)
{
	if (rc == 0)
		sp->stats.applied++;
	else if (rc == WL_EDENIED)
		sp->stats.rejected_denied++;
	else if (rc != WL_ENOMEM)
		sp->stats.rejected_invalid++;
}

static int apply_membership(struct wl_spaces *sp, const struct wl_event *ev,
			    const struct wl_user *author)
{
	struct wl_space_change c;
	struct wl_space *s;
	uint64_t now_ms = ev->h.hlc >> 16;
	int rc;

	rc = ev->body ? wl_space_change_decode(ev->body, ev->h.body_len, &c,
					       NULL)
		      : WL_ETRUNC;
	if (rc != 0) {
		sp->stats.rejected_decode++;
		return rc;
	}
	if (c.op == WL_SPACE_OP_CREATE) {
		rc = apply_create(sp, ev, author, &c);
		count_result(sp, rc);
		return rc;
	}

	s = (struct wl_space *)wl_spaces_by_id(sp, c.space_id);
	if (s == NULL)
		rc = WL_ENOTFOUND;
	else if (c.op == WL_SPACE_OP_ADD)
		rc = apply_add(sp, s, author, &c, now_ms);
	else if (c.op == WL_SPACE_OP_REMOVE)
		rc = apply_remove(s, ev, author, &c, now_ms);
	else if (c.op == WL_SPACE_OP_ROTATE)
		rc = apply_rotate(s, ev, author, &c);
	else
		rc = apply_grant(sp, s, ev, author, &c, now_ms);
	count_result(sp, rc);
	return rc;
}

/* May AUTHOR seal keys of EPOCH in S? The user who started the epoch may,
 * and so may any user the access table lets add members or grant access. */
static int may_seal(const struct wl_space *s,
		    const struct wl_user *author, uint32_t epoch,
		    uint64_t now_ms)
{
	const struct wl_space_epoch *e = wl_space_epoch_at(s, epoch);
	const unsigned char *id = author->bundle.user_id;

	if (e == NULL)
		return WL_ERANGE;
	if (memcmp(e->starter, id, 16) == 0)
		return 0;
	if (may(s, author, WL_ACTION_ADD_MEMBER, now_ms, NULL) == 0 ||
	    may(s, author, WL_ACTION_GRANT_EMERGENCY_ACCESS, now_ms, NULL) == 0)
		return 0;
	return WL_EDENIED;
}

/* Check an envelope event against the fold; fill *ENV and *SPACE. */
static int envelope_check(const struct wl_spaces *sp,
			  const struct wl_event *ev,
			  const struct wl_user *author,
			  struct wl_keys_envelope *env,
			  const struct wl_space **space)
{
	int rc = ev->body ? wl_keys_envelope_decode(ev->body, ev->h.body_len,
						    env, NULL)
			  : WL_ETRUNC;

	if (rc != 0)
		return rc;
	*space = wl_spaces_by_id(sp, env->space_id);
	if (*space == NULL || wl_users_by_id(sp->users, env->recipient) == NULL)
		return WL_ENOTFOUND;
	return may_seal(*space, author, env->epoch, ev->h.hlc >> 16);
}

static int apply_envelope(struct wl_spaces *sp, const struct wl_event *ev,
			  const struct wl_user *author)
{
	struct wl_keys_envelope env;
	const struct wl_space *cs = NULL;
	struct wl_space *s;
	struct wl_space_sealed *rec;
	int rc = envelope_check(sp, ev, author, &env, &cs);

	if (rc == WL_EINVAL || rc == WL_ETRUNC || rc == WL_ETOOBIG ||
	    rc == WL_EVERSION) {
		sp->stats.rejected_decode++;
		return rc;
	}
	count_result(sp, rc);
	if (rc != 0)
		return rc;

	s = (struct wl_space *)cs;
	if (wl_space_has_envelope(sp, s, env.recipient, env.epoch))
		return 0;
	rec = grow(&s->sealed, &s->n_sealed, sizeof(*s->sealed));
	if (rec == NULL)
		return WL_ENOMEM;
	memcpy(rec->recipient, env.recipient, 16);
	rec->epoch = env.epoch;
	rec->hlc = ev->h.hlc;
	return 0;
}

int wl_spaces_apply(struct wl_spaces *sp, const struct wl_event *ev)
{
	const struct wl_user *author = NULL;
	int rc;

	if (ev->h.kind != WL_KIND_MEMBERSHIP &&
	    ev->h.kind != WL_KIND_KEY_ENVELOPE)
		return WL_EKIND;
	rc = event_author(sp, ev, &author);
	if (rc != 0)
		return rc;
	if (ev->h.kind == WL_KIND_MEMBERSHIP)
		return apply_membership(sp, ev, author);
	return apply_envelope(sp, ev, author);
}

/* Apply every stored event of KIND to SP in (HLC, origin) order. */
static int load_kind(struct wl_spaces *sp, struct wl_store *store,
		     uint8_t kind)
{
	struct wl_store_copy *all = NULL;
	size_t n = 0;
	int rc = wl_store_collect_kind(store, kind, &all, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct wl_event ev;

		if (wl_event_decode(all[i].buf, all[i].len, &ev) != 0) {
			sp->stats.rejected_decode++;
			continue;
		}
		if (wl_spaces_apply(sp, &ev) == WL_ENOMEM)
			rc = WL_ENOMEM;
	}
	wl_store_copies_free(all, n);
	return rc;
}

int wl_spaces_load(struct wl_spaces *sp, struct wl_store *store)
{
	int rc = load_kind(sp, store, WL_KIND_MEMBERSHIP);

	if (rc == 0)
		rc = load_kind(sp, store, WL_KIND_KEY_ENVELOPE);
	return rc;
}

/* ---- the keyring ---- */

struct keyring_entry {
	unsigned char space[16];
	uint32_t epoch;
	unsigned char key[32];
};

struct wl_keyring {
	struct keyring_entry *entries; /* sodium_malloc */
	size_t n;
	size_t cap;
};

static int keyring_reserve(struct wl_keyring *kr)
{
	struct keyring_entry *grown;
	size_t cap;

	if (kr->n < kr->cap)
		return 0;
	cap = kr->cap ? kr->cap * 2 : 16;
	grown = sodium_allocarray(cap, sizeof(*grown));
	if (grown == NULL)
		return WL_ENOMEM;
	if (kr->n)
		memcpy(grown, kr->entries, kr->n * sizeof(*grown));
	sodium_free(kr->entries); /* wipes the old copy */
	kr->entries = grown;
	kr->cap = cap;
	return 0;
}

int wl_keyring_add(struct wl_keyring *kr, const unsigned char space[16],
		   uint32_t epoch, const unsigned char key[32])
{
	struct keyring_entry *e;

	for (size_t i = 0; i < kr->n; i++)
		if (kr->entries[i].epoch == epoch &&
		    memcmp(kr->entries[i].space, space, 16) == 0 &&
		    sodium_memcmp(kr->entries[i].key, key, 32) == 0)
			return 0;
	if (keyring_reserve(kr) != 0)
		return WL_ENOMEM;
	e = &kr->entries[kr->n++];
	memcpy(e->space, space, 16);
	e->epoch = epoch;
	memcpy(e->key, key, 32);
	return 0;
}

const unsigned char *wl_keyring_get(const struct wl_keyring *kr,
				    const unsigned char space[16],
				    uint32_t epoch, size_t i)
{
	for (size_t k = 0; k < kr->n; k++) {
		const struct keyring_entry *e = &kr->entries[k];

		if (e->epoch != epoch || memcmp(e->space, space, 16) != 0)
			continue;
		if (i-- == 0)
			return e->key;
	}
	return NULL;
}

size_t wl_keyring_count(const struct wl_keyring *kr)
{
	return kr->n;
}

void wl_keyring_free(struct wl_keyring *kr)
{
	if (kr == NULL)
		return;
	sodium_free(kr->entries);
	free(kr);
}

/* Open ENV_EVENT into KR when it is an accepted envelope for USER. */
static int keyring_take(const struct wl_spaces *sp, struct wl_keyring *kr,
			const struct wl_event *ev, const struct wl_user *user,
			const struct wl_keys_secret *secret, size_t *failed)
{
	struct wl_keys_envelope env;
	const struct wl_space *s = NULL;
	const struct wl_user *author;
	unsigned char key[32];
	int rc;

	if (!(ev->h.flags & WL_EVENT_F_AUTHOR) || wl_event_verify(ev) != 0)
		return 0;
	author = wl_users_signer_at(sp->users, ev->h.author, ev->h.hlc);
	if (author == NULL)
		return 0;
	if (envelope_check(sp, ev, author, &env, &s) != 0 ||
	    memcmp(env.recipient, user->bundle.user_id, 16) != 0)
		return 0;

	if (wl_keys_envelope_open(&env, user->bundle.user_id,
				  user->bundle.box_pk, secret->box_sk,
				  key) != 0) {
		(*failed)++;
		return 0;
	}
	rc = wl_keyring_add(kr, env.space_id, env.epoch, key);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int wl_keyring_open(const struct wl_spaces *sp, struct wl_store *store,
		    const struct wl_user *user,
		    const struct wl_keys_secret *secret, size_t *failed,
		    struct wl_keyring **out)
{
	struct wl_store_copy *all = NULL;
	struct wl_keyring *kr;
	size_t n = 0;
	size_t bad = 0;
	int rc;

	*out = NULL;
	kr = calloc(1, sizeof(*kr));
	if (kr == NULL)
		return WL_ENOMEM;
	rc = wl_store_collect_kind(store, WL_KIND_KEY_ENVELOPE, &all, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct wl_event ev;

		if (wl_event_decode(all[i].buf, all[i].len, &ev) == 0)
			rc = keyring_take(sp, kr, &ev, user, secret, &bad);
	}
	wl_store_copies_free(all, n);

	if (failed != NULL)
		*failed = bad;
	if (rc != 0) {
		wl_keyring_free(kr);
		return rc;
	}
	*out = kr;
	return 0;
}
