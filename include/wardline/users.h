/* The site's users, folded from the user bundle events of the store.
 *
 * A user bundle event (WL_KIND_USER_BUNDLE) carries a wl_keys_bundle as
 * its cleartext JSON body. It must be signed by an author allowed to manage
 * users, which is the site root key or a user whose current bundle has the
 * admin role and is not disabled. Disabling an account is a new bundle with
 * the "disabled" member; a reset (new keys) enables it again. Per user id, the bundle of the event with the highest
 * (HLC, origin) wins, and the fold applies events in that order, so every
 * node reaches the same table whatever order the events arrived in. A
 * bundle that would give a second user an existing username is rejected.
 */
#ifndef WARDLINE_USERS_H
#define WARDLINE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/keys.h"
#include "wardline/store.h"

struct wl_user {
	struct wl_keys_bundle bundle;
	unsigned char author[WL_EVENT_KEY_SIZE]; /* signer of the bundle */
	int by_site;      /* 1 when the site root key signed it */
	uint64_t hlc;     /* of the bundle event */
	unsigned char origin[WL_EVENT_KEY_SIZE];
	unsigned char event_id[WL_EVENT_ID_SIZE];
};

struct wl_users;

/* Counts of what the fold rejected, by reason. */
struct wl_users_stats {
	uint64_t applied;
	uint64_t rejected_decode; /* body is not a valid bundle */
	uint64_t rejected_auth;   /* missing or bad author signature */
	uint64_t rejected_denied; /* author may not manage users */
	uint64_t rejected_name;   /* username of another user */
	uint64_t stale;           /* older than the bundle already held */
};

/* Create an empty table for the site with root key SITE_PK. */
int wl_users_new(const unsigned char site_pk[32], struct wl_users **out);

void wl_users_free(struct wl_users *u);

/* Fold every user bundle event of STORE into U (sorted by HLC and origin
 * first). Returns 0 or WL_ESTORE, WL_ENOMEM. */
int wl_users_load(struct wl_users *u, struct wl_store *store);

/* Apply one decoded user bundle event (with its body). Events must be
 * applied in (HLC, origin) order for the fold to be order-independent.
 * Returns 0 (applied, or older than what is held), WL_EKIND (another
 * kind), WL_EAUTH, WL_EDENIED, WL_EEXIST (username taken) or a decode
 * code of wl_keys_bundle_decode. */
int wl_users_apply(struct wl_users *u, const struct wl_event *ev);

size_t wl_users_count(const struct wl_users *u);

/* Return user I (0 to count - 1), valid until U changes. */
const struct wl_user *wl_users_at(const struct wl_users *u, size_t i);

/* Find a user by username, user id or signing key; NULL if none. */
const struct wl_user *wl_users_by_name(const struct wl_users *u,
				       const char *username);
const struct wl_user *wl_users_by_id(const struct wl_users *u,
				     const unsigned char id[16]);
const struct wl_user *wl_users_by_signer(const struct wl_users *u,
					 const unsigned char sign_pk[32]);

const struct wl_users_stats *wl_users_stats(const struct wl_users *u);

#endif
