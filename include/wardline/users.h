/* The site's users, folded from the user bundle events of the store.
 *
 * A user bundle event (WL_KIND_USER_BUNDLE) carries a wl_keys_bundle as
 * its cleartext JSON body. It must be signed by an author allowed to manage
 * users, which is the site root key or a user whose current bundle has the
 * admin role and is not disabled, or be the user's own password change:
 * signed with the user's current key and changing only the salt, cost and
 * wrapped keys. Disabling an account is a new bundle with
 * the "disabled" member; a reset (new keys) enables it again. Per user id, the bundle of the event with the highest
 * (HLC, origin) wins, and the fold applies events in that order, so every
 * node reaches the same table whatever order the events arrived in. A
 * bundle that would give a second user an existing username is rejected.
 *
 * Account events (WL_KIND_ACCOUNT, cleartext JSON, see
 * wl_users_account_encode) replicate failed logins and lockouts, so that
 * guessing a password on several tablets in turn gains nothing:
 *   failed  a wrong password for the user (node-authored);
 *   locked  the node that saw the failure that reached the lockout count
 *           locked the account (node-authored);
 *   reset   a correct password after failures (node-authored);
 *   unlock  an admin unlocked the account (author-signed by an admin or
 *           the site key).
 * They are applied after the bundles, in (HLC, origin) order.
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
	uint64_t keys_hlc; /* HLC of the first bundle with the current keys:
			      space keys sealed before it do not open */
	/* from account events */
	unsigned failures;        /* failed logins since the last reset */
	uint64_t last_failure_ms; /* wall time of the last one */
	int locked;               /* until an admin unlocks it */
};

enum wl_account_op {
	WL_ACCOUNT_FAILED,
	WL_ACCOUNT_LOCKED,
	WL_ACCOUNT_RESET,
	WL_ACCOUNT_UNLOCK,
	WL_ACCOUNT_OP_COUNT
};

#define WL_USERS_ACCOUNT_JSON_MAX 256

struct wl_users;

/* Counts of what the fold rejected, by reason. */
struct wl_users_stats {
	uint64_t applied;
	uint64_t rejected_decode; /* body is not a valid bundle */
	uint64_t rejected_auth;   /* missing or bad author signature */
	uint64_t rejected_denied; /* author may not manage users */
	uint64_t rejected_name;   /* username of another user */
	uint64_t stale;           /* older than the bundle already held */
	uint64_t account_applied;
	uint64_t account_rejected; /* bad body, signer or unknown user */
};

/* Create an empty table for the site with root key SITE_PK. */
int wl_users_new(const unsigned char site_pk[32], struct wl_users **out);

void wl_users_free(struct wl_users *u);

/* Fold every user bundle event of STORE into U, then every account event
 * (each sorted by HLC and origin first). Returns 0 or WL_ESTORE, WL_ENOMEM. */
int wl_users_load(struct wl_users *u, struct wl_store *store);

/* Apply one decoded user bundle event (with its body). Events must be
 * applied in (HLC, origin) order for the fold to be order-independent.
 * Returns 0 (applied, or older than what is held), WL_EKIND (another
 * kind), WL_EAUTH, WL_EDENIED, WL_EEXIST (username taken) or a decode
 * code of wl_keys_bundle_decode. */
int wl_users_apply(struct wl_users *u, const struct wl_event *ev);

/* Encode an account event body: {"op":S,"user_id":B64,"v":1}. Returns 0,
 * WL_EINVAL or WL_ETOOBIG. */
int wl_users_account_encode(enum wl_account_op op,
			    const unsigned char user_id[16], unsigned char *out,
			    size_t outsize, size_t *outlen);

/* Decode an account event body strictly. Returns 0, WL_ETOOBIG, WL_EINVAL,
 * WL_ETRUNC or WL_EVERSION. */
int wl_users_account_decode(const unsigned char *buf, size_t len,
			    enum wl_account_op *op, unsigned char user_id[16]);

/* Apply one account event. Returns 0, WL_EKIND, WL_EAUTH (unlock without a
 * valid author signature, or a node-authored op with an author), WL_EDENIED
 * (unlock by someone who may not manage users), WL_ENOTFOUND (unknown
 * user) or a decode code. */
int wl_users_apply_account(struct wl_users *u, const struct wl_event *ev);

/* May USER try a password now, under POLICY (its lockout count and
 * waits) at NOW_MS? Returns 0, WL_EDENIED (disabled, or locked until an
 * admin unlocks it; *LOCKED set to 1 for the latter) or WL_EBUSY (too soon
 * after the last failure; *RETRY_MS is the wait). The counts
 * are the replicated ones of the account events. */
struct wl_session_policy;
int wl_users_login_gate(const struct wl_user *user,
			const struct wl_session_policy *policy,
			uint64_t now_ms, int *locked, uint64_t *retry_ms);

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

/* Find the user whose current or any earlier bundle had the signing key
 * SIGN_PK, to name the author of an event written before an admin reset
 * the user's keys. Only for display: permission checks use the current
 * key (wl_users_by_signer). NULL if none. */
const struct wl_user *wl_users_by_past_signer(const struct wl_users *u,
					      const unsigned char sign_pk[32]);

/* The site root key U was made with. */
const unsigned char *wl_users_site_pk(const struct wl_users *u);

/* Find the user whose key SIGN_PK was at HLC: it had been brought by a
 * bundle at or before HLC and not yet replaced by a reset, and the account
 * had not been disabled by then. This is how the folds judge the author of
 * an old event, whose key may since have been reset. NULL if none. */
const struct wl_user *wl_users_signer_at(const struct wl_users *u,
					 const unsigned char sign_pk[32],
					 uint64_t hlc);

const struct wl_users_stats *wl_users_stats(const struct wl_users *u);

#endif
