/* Fold of user bundle events into the table of users. */
#include "wardline/users.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/access.h"
#include "wardline/error.h"

struct wl_users {
	unsigned char site_pk[32];
	struct wl_user *users;
	size_t n;
	size_t cap;
	struct wl_users_stats stats;
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
	rc = author_allowed(u, ev, &by_site);
	if (rc != 0) {
		u->stats.rejected_denied++;
		return rc;
	}
	rc = ev->body ? wl_keys_bundle_decode(ev->body, ev->h.body_len, &b,
					      NULL)
		      : WL_ETRUNC;
	if (rc != 0) {
		u->stats.rejected_decode++;
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
	if (slot == NULL)
		return WL_ENOMEM;
	slot->bundle = b;
	memcpy(slot->author, ev->h.author, 32);
	slot->by_site = by_site;
	slot->hlc = ev->h.hlc;
	memcpy(slot->origin, ev->h.origin, 32);
	memcpy(slot->event_id, ev->id, 32);
	u->stats.applied++;
	return 0;
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
	return rc;
}
