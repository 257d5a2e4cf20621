/* Fold of user bundle events into the table of users. */
#include "wardline/users.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/access.h"
#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/session.h"

/* A signing key and the user it belonged to, kept after a reset replaced
 * it so that older events still show their author. */
struct signer {
	unsigned char pk[32];
	unsigned char user_id[16];
	uint64_t from_hlc;  /* HLC of the bundle that brought the key */
	uint64_t until_hlc; /* HLC of the bundle that replaced it, or max */
};

struct wl_users {
	unsigned char site_pk[32];
	struct wl_user *users;
	size_t n;
	size_t cap;
	struct wl_users_stats stats;
	struct signer *signers; /* every signing key any bundle had */
	size_t n_signers;
};

int wl_users_new(const unsigned char site_pk[32], struct wl_users **out)
{
	struct wl_users *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (u == NULL)
		return WL_ENOMEM;
	memcpy(u->site_pk, site_pk, 32);
	*out = u;
	return 0;
}

void wl_users_free(struct wl_users *u)
{
	if (u == NULL)
		return;
	free(u->users);
	free(u->signers);
	free(u);
}

size_t wl_users_count(const struct wl_users *u)
{
	return u->n;
}

const struct wl_user *wl_users_at(const struct wl_users *u, size_t i)
{
	return i < u->n ? &u->users[i] : NULL;
}

const unsigned char *wl_users_site_pk(const struct wl_users *u)
{
	return u->site_pk;
}

const struct wl_users_stats *wl_users_stats(const struct wl_users *u)
{
	return &u->stats;
}

const struct wl_user *wl_users_by_name(const struct wl_users *u,
				       const char *username)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->users[i].bundle.username, username) == 0)
			return &u->users[i];
	return NULL;
}

const struct wl_user *wl_users_by_id(const struct wl_users *u,
				     const unsigned char id[16])
{
	for (size_t i = 0; i < u->n; i++)
		if (memcmp(u->users[i].bundle.user_id, id, 16) == 0)
			return &u->users[i];
	return NULL;
}

const struct wl_user *wl_users_by_signer(const struct wl_users *u,
					 const unsigned char sign_pk[32])
{
	for (size_t i = 0; i < u->n; i++)
		if (memcmp(u->users[i].bundle.sign_pk, sign_pk, 32) == 0)
			return &u->users[i];
	return NULL;
}

const struct wl_user *wl_users_by_past_signer(const struct wl_users *u,
					      const unsigned char pk[32])
{
	for (size_t i = 0; i < u->n_signers; i++)
		if (memcmp(u->signers[i].pk, pk, 32) == 0)
			return wl_users_by_id(u, u->signers[i].user_id);
	return NULL;
}

const struct wl_user *wl_users_signer_at(const struct wl_users *u,
					 const unsigned char pk[32],
					 uint64_t hlc)
{
	for (size_t i = 0; i < u->n_signers; i++) {
		const struct signer *g = &u->signers[i];
		const struct wl_user *user;

		if (memcmp(g->pk, pk, 32) != 0 || hlc < g->from_hlc ||
		    hlc >= g->until_hlc)
			continue;
		user = wl_users_by_id(u, g->user_id);
		/* After the bundle that disabled the account, its key signs
		 * nothing. Events it signed before remain valid. */
		if (user != NULL && user->bundle.disabled && hlc >= user->hlc)
			return NULL;
		return user;
	}
	return NULL;
}

/* Record that the key of bundle B signs for its user from HLC on, and end
 * the user's previous key there. */
static int signer_add(struct wl_users *u, const struct wl_keys_bundle *b,
		      uint64_t hlc)
{
	struct signer *grown;

	for (size_t i = 0; i < u->n_signers; i++) {
		struct signer *g = &u->signers[i];

		if (memcmp(g->user_id, b->user_id, 16) != 0 ||
		    g->until_hlc != UINT64_MAX)
			continue;
		if (memcmp(g->pk, b->sign_pk, 32) == 0)
			return 0; /* the same key goes on */
		g->until_hlc = hlc;
	}
	grown = realloc(u->signers, (u->n_signers + 1) * sizeof(*grown));
	if (grown == NULL)
		return WL_ENOMEM;
	u->signers = grown;
	memcpy(grown[u->n_signers].pk, b->sign_pk, 32);
	memcpy(grown[u->n_signers].user_id, b->user_id, 16);
	grown[u->n_signers].from_hlc = hlc;
	grown[u->n_signers].until_hlc = UINT64_MAX;
	u->n_signers++;
	return 0;
}

/* May the author of EV manage users? The site key may, and so may a user
 * whose current bundle has the admin role. */
static int author_allowed(const struct wl_users *u, const struct wl_event *ev,
			  int *by_site)
{
	const struct wl_user *signer;

	*by_site = memcmp(ev->h.author, u->site_pk, 32) == 0;
	if (*by_site)
		return 0;
	signer = wl_users_by_signer(u, ev->h.author);
	if (signer == NULL || signer->bundle.role != WL_ROLE_ADMIN ||
	    signer->bundle.disabled)
		return WL_EDENIED;
	return 0;
}

/* Is EV the user's own password change: signed with the user's current
 * key, and changing nothing but the salt, cost and wrapped keys? */
static int own_password_change(const struct wl_users *u,
			       const struct wl_event *ev,
			       const struct wl_keys_bundle *b)
{
	const struct wl_user *held = wl_users_by_id(u, b->user_id);
	const struct wl_keys_bundle *h = held ? &held->bundle : NULL;

	return h != NULL && !h->disabled && !b->disabled &&
	       memcmp(ev->h.author, h->sign_pk, 32) == 0 &&
	       memcmp(b->sign_pk, h->sign_pk, 32) == 0 &&
	       memcmp(b->box_pk, h->box_pk, 32) == 0 && b->role == h->role &&
	       strcmp(b->username, h->username) == 0 &&
	       strcmp(b->display_name, h->display_name) == 0;
}

/* Is (HLC, ORIGIN) of EV newer than what USER holds? */
static int newer(const struct wl_user *user, const struct wl_event *ev)
{
	if (ev->h.hlc != user->hlc)
		return ev->h.hlc > user->hlc;
	return memcmp(ev->h.origin, user->origin, 32) > 0;
}

static struct wl_user *slot_for(struct wl_users *u,
				const struct wl_keys_bundle *b)
{
	struct wl_user *found = (struct wl_user *)wl_users_by_id(u, b->user_id);

	if (found != NULL)
		return found;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct wl_user *grown = realloc(u->users, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		u->users = grown;
		u->cap = cap;
	}
	memset(&u->users[u->n], 0, sizeof(u->users[0]));
	return &u->users[u->n++];
}

int wl_users_apply(struct wl_users *u, const struct wl_event *ev)
{
	struct wl_keys_bundle b;
	const struct wl_user *held;
	const struct wl_user *named;
	struct wl_user *slot;
	int by_site = 0;
	int rc;

	if (ev->h.kind != WL_KIND_USER_BUNDLE)
		return WL_EKIND;
	if (!(ev->h.flags & WL_EVENT_F_AUTHOR) || wl_event_verify(ev) != 0) {
		u->stats.rejected_auth++;
		return WL_EAUTH;
	}
	rc = ev->body ? wl_keys_bundle_decode(ev->body, ev->h.body_len, &b,
					      NULL)
		      : WL_ETRUNC;
	if (rc != 0) {
		u->stats.rejected_decode++;
		return rc;
	}
	rc = author_allowed(u, ev, &by_site);
	if (rc != 0 && !own_password_change(u, ev, &b)) {
		u->stats.rejected_denied++;
		return rc;
	}

	held = wl_users_by_id(u, b.user_id);
	if (held != NULL && !newer(held, ev)) {
		u->stats.stale++;
		return 0;
	}
	named = wl_users_by_name(u, b.username);
	if (named != NULL && memcmp(named->bundle.user_id, b.user_id, 16)) {
		u->stats.rejected_name++;
		return WL_EEXIST;
	}

	slot = slot_for(u, &b);
	if (slot == NULL || signer_add(u, &b, ev->h.hlc) != 0)
		return WL_ENOMEM;
	if (held == NULL || memcmp(slot->bundle.box_pk, b.box_pk, 32) != 0)
		slot->keys_hlc = ev->h.hlc;
	slot->bundle = b;
	memcpy(slot->author, ev->h.author, 32);
	slot->by_site = by_site;
	slot->hlc = ev->h.hlc;
	memcpy(slot->origin, ev->h.origin, 32);
	memcpy(slot->event_id, ev->id, 32);
	u->stats.applied++;
	return 0;
}

static const char *const account_ops[WL_ACCOUNT_OP_COUNT] = {
	[WL_ACCOUNT_FAILED] = "failed",
	[WL_ACCOUNT_LOCKED] = "locked",
	[WL_ACCOUNT_RESET] = "reset",
	[WL_ACCOUNT_UNLOCK] = "unlock",
};

int wl_users_account_encode(enum wl_account_op op,
			    const unsigned char user_id[16], unsigned char *out,
			    size_t outsize, size_t *outlen)
{
	json_t *o;

	if ((unsigned)op >= WL_ACCOUNT_OP_COUNT)
		return WL_EINVAL;
	o = json_pack("{s:i, s:s}", "v", 1, "op", account_ops[op]);
	o = wl_json_set(o, "user_id", wl_json_b64(user_id, 16));
	return wl_json_dump(o, out, outsize, outlen);
}

int wl_users_account_decode(const unsigned char *buf, size_t len,
			    enum wl_account_op *op, unsigned char user_id[16])
{
	static const char *const members[] = {"op", "user_id", "v"};
	const char *field = NULL;
	const char *name = NULL;
	size_t name_len = 0;
	unsigned char id[16];
	json_t *o = NULL;
	unsigned i = WL_ACCOUNT_OP_COUNT;
	int rc;

	rc = wl_json_load_object(buf, len, WL_USERS_ACCOUNT_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, members, 3, 1, &field);
	if (rc == 0)
		rc = wl_json_get_string(o, "op", &name, &name_len, &field);
	if (rc == 0)
		for (i = 0; i < WL_ACCOUNT_OP_COUNT; i++)
			if (strcmp(name, account_ops[i]) == 0)
				break;
	if (rc == 0 && i == WL_ACCOUNT_OP_COUNT)
		rc = WL_EINVAL;
	if (rc == 0)
		rc = wl_json_get_b64(o, "user_id", id, 16, &field);
	json_decref(o);

	if (rc == 0) {
		*op = (enum wl_account_op)i;
		memcpy(user_id, id, 16);
	}
	return rc;
}

/* Check who signed the account event EV for OP. */
static int account_signer(struct wl_users *u, const struct wl_event *ev,
			  enum wl_account_op op)
{
	int by_site = 0;
	int authored = (ev->h.flags & WL_EVENT_F_AUTHOR) != 0;

	if (op != WL_ACCOUNT_UNLOCK)
		return authored ? WL_EAUTH : 0;
	if (!authored || wl_event_verify_author(ev) != 0)
		return WL_EAUTH;
	return author_allowed(u, ev, &by_site);
}

int wl_users_apply_account(struct wl_users *u, const struct wl_event *ev)
{
	enum wl_account_op op = WL_ACCOUNT_FAILED;
	unsigned char id[16];
	struct wl_user *user;
	int rc;

	if (ev->h.kind != WL_KIND_ACCOUNT)
		return WL_EKIND;
	rc = ev->body ? wl_users_account_decode(ev->body, ev->h.body_len, &op,
						id)
		      : WL_ETRUNC;
	if (rc == 0)
		rc = account_signer(u, ev, op);
	user = rc == 0 ? (struct wl_user *)wl_users_by_id(u, id) : NULL;
	if (rc == 0 && user == NULL)
		rc = WL_ENOTFOUND;
	if (rc != 0) {
		u->stats.account_rejected++;
		return rc;
	}

	switch (op) {
	case WL_ACCOUNT_FAILED:
		user->failures++;
		user->last_failure_ms = ev->h.hlc >> 16;
		break;
	case WL_ACCOUNT_LOCKED:
		user->locked = 1;
		break;
	case WL_ACCOUNT_RESET:
		user->failures = 0;
		break;
	default:
		user->failures = 0;
		user->locked = 0;
		break;
	}
	u->stats.account_applied++;
	return 0;
}

static int load_accounts(struct wl_users *u, struct wl_store *store)
{
	struct wl_store_copy *all = NULL;
	size_t n = 0;
	int rc = wl_store_collect_kind(store, WL_KIND_ACCOUNT, &all, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct wl_event ev;

		if (wl_event_decode(all[i].buf, all[i].len, &ev) == 0)
			(void)wl_users_apply_account(u, &ev);
		else
			u->stats.account_rejected++;
	}
	wl_store_copies_free(all, n);
	return rc;
}

int wl_users_load(struct wl_users *u, struct wl_store *store)
{
	struct wl_store_copy *all = NULL;
	size_t n = 0;
	int rc = wl_store_collect_kind(store, WL_KIND_USER_BUNDLE, &all, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct wl_event ev;

		/* A pruned or malformed body is counted by the fold; it is not
		 * an error of the store. */
		if (wl_event_decode(all[i].buf, all[i].len, &ev) == 0)
			(void)wl_users_apply(u, &ev);
		else
			u->stats.rejected_decode++;
	}
	wl_store_copies_free(all, n);
	if (rc == 0)
		rc = load_accounts(u, store);
	return rc;
}

int wl_users_login_gate(const struct wl_user *user,
			const struct wl_session_policy *policy,
			uint64_t now_ms, int *locked, uint64_t *retry_ms)
{
	uint64_t until;

	*locked = 0;
	*retry_ms = 0;
	if (user->bundle.disabled)
		return WL_EDENIED;
	if (user->locked || user->failures >= policy->lockout_failures) {
		*locked = 1;
		return WL_EDENIED;
	}
	until = user->last_failure_ms +
		wl_session_backoff_ms(policy, user->failures);
	if (user->failures > 0 && now_ms < until) {
		*retry_ms = until - now_ms;
		return WL_EBUSY;
	}
	return 0;
}
