/* Membership changes written by a user: creating a space, adding and
 * removing members, starting key epochs, emergency grants, and sealing
 * missing key envelopes.
 *
 * The CLI and the web API both write these events through a writer. It
 * names the author (a user with an open session) and the folds that the
 * changes are checked against, and it carries a callback that appends
 * feed items to this node's feed. Each change is checked here against
 * the rules of the fold (space.h) and the access table (access.h) before
 * anything is written, so a change that every node would reject is not
 * written at all.
 *
 * A change and its key envelopes go to the callback in one call, so they
 * land in one commit. The folds in the writer are not updated: after a
 * successful call, the caller folds the store again before it relies on
 * the new state. New space keys go into the writer's keyring, so the
 * author can write under them at once.
 *
 * No logging: every function returns 0 or a negative WL_E* code, and the
 * caller reports it.
 */
#ifndef WARDLINE_MEMBERSHIP_H
#define WARDLINE_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/feed.h"
#include "wardline/space.h"
#include "wardline/store.h"
#include "wardline/users.h"

/* Key envelopes one call writes at most: the recipients of one space. */
#define WL_MEMBERSHIP_RECIPIENTS_MAX 512

/* Append the N ITEMS to this node's feed in one commit. Returns 0 or a
 * negative code; on error nothing was written. */
typedef int (*wl_membership_append_fn)(void *arg,
				       const struct wl_feed_item *items,
				       size_t n);

/* The author of membership changes and what the changes are checked
 * against. The caller fills every member and keeps what they point to
 * alive and unchanged during each call. */
struct wl_membership_writer {
	struct wl_store *store;		/* read for revocations */
	const struct wl_users *users;	/* the users fold */
	const struct wl_spaces *spaces; /* the spaces fold over USERS */
	const unsigned char *user_id;	/* 16 bytes: the author */
	const unsigned char *sign_sk;	/* 64 bytes: the author's Ed25519
					   secret key, which signs each event */
	struct wl_keyring *keyring;	/* the author's space keys; may be
					   NULL, and then no key is held and
					   new keys are not kept */
	wl_membership_append_fn append;
	void *append_arg;
};

/* Create a space of KIND (ward, direct, role mailbox or audit) named NAME
 * with the N users of MEMBERS (at most WL_SPACE_CREATE_MEMBERS_MAX), and
 * seal its first key to the author, to MEMBERS and, for a ward, to every
 * other admin. The author becomes a member. Anyone may create a direct
 * space; wards, mailboxes and the audit space need an admin, and a site
 * has one audit space. OUT_ID receives the new space id and *SEALED (may
 * be NULL) the number of envelopes written. Returns 0, or:
 *   WL_EINVAL    KIND is no space kind, NAME is not a valid space name
 *                (1 to WL_SPACE_NAME_MAX bytes of UTF-8 text; direct
 *                spaces may have an empty name), or a member is an
 *                unknown user;
 *   WL_ETOOBIG   N is above WL_SPACE_CREATE_MEMBERS_MAX;
 *   WL_EDENIED   the author may not create a space of KIND, or is an
 *                unknown or disabled user;
 *   WL_EEXIST    another space than a direct one has NAME, or KIND is
 *                audit and the site has its audit space;
 *   WL_ENOMEM, or a code of the append callback. */
int wl_membership_create(const struct wl_membership_writer *w,
			 enum wl_space_kind kind, const char *name,
			 const unsigned char (*members)[16], size_t n,
			 unsigned char out_id[16], size_t *sealed);

/* Add USER to S (a space of W->spaces) and seal the key of its current
 * epoch to USER. Adding someone who is a member already writes the change
 * again, which the fold accepts and ignores. Returns 0, or:
 *   WL_EDENIED   the access table does not let the author add members in
 *                S (direct spaces never change their members);
 *   WL_EINVAL    USER is an unknown user;
 *   WL_ENOTFOUND the author has no key of the current epoch of S;
 *   WL_ENOMEM, or a code of the append callback. */
int wl_membership_add(const struct wl_membership_writer *w,
		      const struct wl_space *s, const unsigned char user[16]);

/* Remove USER from S and start epoch S->epoch + 1 with a new key, sealed
 * to every recipient of S (wl_space_recipients) but USER. Returns 0, or:
 *   WL_EDENIED   the access table does not let the author remove members
 *                in S;
 *   WL_ENOTFOUND USER is not a named member of S (admins belong to every
 *                ward without being named, and cannot be removed);
 *   WL_ENOMEM, WL_ETOOBIG (more than WL_MEMBERSHIP_RECIPIENTS_MAX
 *   recipients), or a code of the append callback. */
int wl_membership_remove(const struct wl_membership_writer *w,
			 const struct wl_space *s,
			 const unsigned char user[16]);

/* Start epoch S->epoch + 1 of S with a new key for the same recipients.
 * Returns 0, or WL_EDENIED (only a member may rotate), WL_ENOMEM,
 * WL_ETOOBIG, or a code of the append callback. */
int wl_membership_rotate(const struct wl_membership_writer *w,
			 const struct wl_space *s);

/* Give USER, who is not a member, emergency access to the ward S until
 * EXPIRES_MS (Unix milliseconds, at most WL_ACCESS_GRANT_MAX_MS from now)
 * for the written REASON, which is sealed under the key of the current
 * epoch, and seal that key to USER. Returns 0, or:
 *   WL_EDENIED   the author may not grant access in S, or S is no ward;
 *   WL_EINVAL    USER is an unknown user, or REASON fails the rules of
 *                wl_access_grant_check;
 *   WL_ERANGE    EXPIRES_MS is not in the next WL_ACCESS_GRANT_MAX_MS;
 *   WL_ENOTFOUND the author has no key of the current epoch of S;
 *   WL_ENOMEM, or a code of the append callback. */
int wl_membership_grant(const struct wl_membership_writer *w,
			const struct wl_space *s, const unsigned char user[16],
			uint64_t expires_ms, const char *reason);

/* Decide whether the author may seal keys of the current epoch of S: as
 * the user who started it, or as one whom the access table lets add
 * members or grant access there. The fold accepts envelopes from these
 * users only. Returns 1 or 0. */
int wl_membership_may_seal(const struct wl_membership_writer *w,
			   const struct wl_space *s);

/* Return why the key of S must be rotated before anyone writes there
 * again, or NULL when it need not be: a removal lost the race for its
 * epoch (S->rotation_due), or a device was revoked after the current
 * epoch began, since a stolen device may hold the key. The string is
 * static. */
const char *wl_membership_rotation_reason(const struct wl_membership_writer *w,
					  const struct wl_space *s);

/* Seal each key of S that the author holds, of every epoch, to every
 * current recipient of S who lacks it, when the author may seal in S
 * (wl_membership_may_seal). New members thus read the space's history;
 * removed members are no recipients and receive nothing new. *SEALED
 * (may be NULL) receives the number of envelopes written, which is 0 when
 * the author may not seal. Returns 0, WL_ENOMEM, WL_ETOOBIG, or a code of
 * the append callback. */
int wl_membership_sync_space(const struct wl_membership_writer *w,
			     const struct wl_space *s, size_t *sealed);

/* Run wl_membership_sync_space on every space of W->spaces: this gives
 * keys to new admins, new grant holders, users whose keys an admin reset,
 * and members whose envelope was lost in a race. *SEALED (may be NULL)
 * receives the number of envelopes written. Returns 0, or the first
 * error, after which the later spaces are skipped. */
int wl_membership_sync_keys(const struct wl_membership_writer *w,
			    size_t *sealed);

#endif
