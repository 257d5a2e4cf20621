/* Spaces: their members, key epochs and key envelopes, folded from events.
 *
 * A space is the unit of access: a ward, a direct conversation, a role
 * mailbox (the pharmacy) or the site's one audit space. Everything written
 * in a space is encrypted under the key of one of its epochs. The members
 * and epochs are public to the site, so that any node can check who may
 * hold a key without holding it. The keys themselves are not public.
 *
 * A membership event (WL_KIND_MEMBERSHIP, author-signed, cleartext JSON
 * body, see wl_space_change_encode) does one of:
 *   create  a new space at epoch 1, with its kind, name and first members;
 *   add     a member, whose envelope for the epoch named is sealed too;
 *   remove  a member, starting the new epoch named (current + 1);
 *   rotate  the key without a change of members (after a revocation);
 *   grant   emergency access of a non-member to a ward space, until a time.
 * The reason of a grant may name a patient, so the event carries it sealed
 * under the space key of the epoch named ("reason"); the audit trail keeps
 * it as well.
 *
 * A key envelope event (WL_KIND_KEY_ENVELOPE, see keys.h) seals the key of
 * one epoch to one member. The fold accepts an envelope only from the user
 * who started that epoch, or from a user whom the access table lets add
 * members or grant access in that space. Two admins who remove members at
 * the same time both claim the next epoch: the first in (HLC, origin) order
 * starts it, the other removal still applies, and the space is marked
 * rotation_due so that the next writer rotates the key again.
 *
 * Admins are members of every ward space without an event, so that one of
 * them can always seal the key to a new member. Disabled users are members
 * of nothing. Emergency grants count as membership of a ward space for the
 * access table (WL_ACCESS_F_EMERGENCY) until they expire.
 *
 * The fold applies events in (HLC, origin) order, so every node reaches
 * the same state. It finds each event's author by the signing key the
 * author had when the event was written (wl_users_signer_at), so a later
 * password reset or disable does not undo what the author did before, and
 * it judges the author by the role the user has now.
 * Pure apart from wl_spaces_load and wl_keyring_open, which read the store.
 */
#ifndef WARDLINE_SPACE_H
#define WARDLINE_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/access.h"
#include "wardline/event.h"
#include "wardline/keys.h"
#include "wardline/store.h"
#include "wardline/users.h"

#define WL_SPACE_VERSION 1
#define WL_SPACE_ID_SIZE 16
#define WL_SPACE_NAME_MAX 64          /* bytes of UTF-8 */
#define WL_SPACE_CREATE_MEMBERS_MAX 16 /* first members named by a create */
/* A sealed grant reason: nonce, ciphertext, tag. */
#define WL_SPACE_REASON_BOX_MAX (24 + WL_ACCESS_REASON_BYTES + 16)
#define WL_SPACE_CHANGE_JSON_MAX 4096

enum wl_space_op {
	WL_SPACE_OP_CREATE,
	WL_SPACE_OP_ADD,
	WL_SPACE_OP_REMOVE,
	WL_SPACE_OP_ROTATE,
	WL_SPACE_OP_GRANT,
	WL_SPACE_OP_COUNT
};

/* The body of one membership event. Which members are present depends on
 * OP; the others are zero. */
struct wl_space_change {
	enum wl_space_op op;
	unsigned char space_id[WL_SPACE_ID_SIZE];
	uint32_t epoch; /* create: 1; add, grant: the epoch sealed to USER;
			   remove, rotate: the epoch this event starts */
	/* create */
	enum wl_space_kind kind;
	char name[WL_SPACE_NAME_MAX + 1]; /* empty only for direct spaces */
	size_t n_members;
	unsigned char members[WL_SPACE_CREATE_MEMBERS_MAX][WL_KEYS_USER_ID_SIZE];
	/* add, remove, grant */
	unsigned char user[WL_KEYS_USER_ID_SIZE];
	/* create, remove, rotate of the audit space: the X25519 public key
	 * of the epoch that this event starts (see audit.h) */
	int has_audit_pk;
	unsigned char audit_pk[32];
	/* grant */
	uint64_t expires_ms;
	size_t reason_len;
	unsigned char reason_box[WL_SPACE_REASON_BOX_MAX];
};

/* Encode CHANGE as compact JSON with sorted keys:
 *   {"epoch":N,"op":"create|add|remove|rotate|grant","space_id":B64,"v":1}
 * plus, for create, "kind", "name", "members" (an array of user ids), for
 * add, remove and grant "user", for grant "expires_ms" and "reason", and
 * "audit_pk" where has_audit_pk is set. Returns 0, WL_EINVAL (a field the
 * decoder would reject) or WL_ETOOBIG. */
int wl_space_change_encode(const struct wl_space_change *change,
			   unsigned char *out, size_t outsize, size_t *outlen);

/* Decode a membership body strictly into *OUT (written only on success).
 * FIELD (may be NULL) receives the name of the member at fault. Returns 0,
 * WL_ETOOBIG, WL_EINVAL, WL_ETRUNC, WL_EVERSION or WL_ERANGE. */
int wl_space_change_decode(const unsigned char *buf, size_t len,
			   struct wl_space_change *out, const char **field);

/* Return "create", "add" ... for OP, or NULL. */
const char *wl_space_op_name(enum wl_space_op op);

/* Seal and open the reason of a grant under the space KEY of the grant's
 * epoch. The associated data names the space and the grantee, so a reason
 * cannot be moved to another grant. Seal returns 0 or WL_EINVAL (REASON
 * fails the grant rules of access.h); it fills CHANGE's reason_box and
 * reason_len from its space_id and user. Open writes a NUL-terminated
 * reason into OUT (at least WL_ACCESS_REASON_BYTES + 1 bytes) and returns 0
 * or WL_EAUTH. */
int wl_space_reason_seal(struct wl_space_change *change,
			 const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
			 const char *reason);
int wl_space_reason_open(const struct wl_space_change *change,
			 const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
			 char *out);

struct wl_space_grant {
	unsigned char grantee[WL_KEYS_USER_ID_SIZE];
	unsigned char granted_by[WL_KEYS_USER_ID_SIZE];
	uint64_t granted_ms; /* wall time of the grant event's HLC */
	uint64_t expires_ms;
	uint32_t epoch;
	unsigned char event_id[WL_EVENT_ID_SIZE];
};

/* The start of an epoch: its starter's envelopes are accepted. */
struct wl_space_epoch {
	uint32_t epoch;
	unsigned char starter[WL_KEYS_USER_ID_SIZE];
	uint64_t hlc;
	int has_audit_pk;
	unsigned char audit_pk[32];
};

/* An accepted envelope: the key of EPOCH for RECIPIENT, sealed at HLC to
 * the X25519 key the recipient had then. */
struct wl_space_sealed {
	unsigned char recipient[WL_KEYS_USER_ID_SIZE];
	uint32_t epoch;
	uint64_t hlc;
};

struct wl_space {
	unsigned char id[WL_SPACE_ID_SIZE];
	enum wl_space_kind kind;
	char name[WL_SPACE_NAME_MAX + 1];
	unsigned char creator[WL_KEYS_USER_ID_SIZE];
	uint64_t created_hlc;
	uint32_t epoch;     /* current epoch */
	int rotation_due;   /* a removal did not get an epoch of its own */
	unsigned char (*members)[WL_KEYS_USER_ID_SIZE]; /* explicit members */
	size_t n_members;
	struct wl_space_epoch *epochs; /* in epoch order, epochs[epoch - 1] */
	size_t n_epochs;
	struct wl_space_grant *grants;
	size_t n_grants;
	struct wl_space_sealed *sealed;
	size_t n_sealed;
};

struct wl_spaces;

struct wl_spaces_stats {
	uint64_t applied;
	uint64_t rejected_decode;  /* body is not a valid change or envelope */
	uint64_t rejected_auth;    /* missing or bad author signature */
	uint64_t rejected_author;  /* author is no user, or disabled */
	uint64_t rejected_denied;  /* the access table denies it */
	uint64_t rejected_invalid; /* unknown space or user, bad epoch */
};

/* Create an empty table that reads roles from USERS, which must outlive
 * it and stay unchanged while it is used. Returns 0, WL_ENOMEM. */
int wl_spaces_new(const struct wl_users *users, struct wl_spaces **out);

void wl_spaces_free(struct wl_spaces *sp);

/* Fold every membership event of STORE, then every key envelope event.
 * Returns 0 or WL_ESTORE, WL_ENOMEM, WL_EBUSY. */
int wl_spaces_load(struct wl_spaces *sp, struct wl_store *store);

/* Apply one decoded membership or key envelope event. Membership events
 * must be applied in (HLC, origin) order, and envelopes after the
 * memberships they refer to. Returns 0, WL_EKIND, WL_EAUTH, WL_EDENIED,
 * WL_EINVAL, WL_EEXIST (space id taken, or a second audit space),
 * WL_ENOTFOUND (unknown space or user), WL_ERANGE (bad epoch), WL_ENOMEM,
 * or a decode code. */
int wl_spaces_apply(struct wl_spaces *sp, const struct wl_event *ev);

size_t wl_spaces_count(const struct wl_spaces *sp);
const struct wl_space *wl_spaces_at(const struct wl_spaces *sp, size_t i);
const struct wl_space *wl_spaces_by_id(const struct wl_spaces *sp,
				       const unsigned char id[16]);
/* Find a space by exact name; NULL if none or if the name is ambiguous. */
const struct wl_space *wl_spaces_by_name(const struct wl_spaces *sp,
					 const char *name);
/* The audit space, or NULL before one is created. */
const struct wl_space *wl_spaces_audit(const struct wl_spaces *sp);
const struct wl_spaces_stats *wl_spaces_stats(const struct wl_spaces *sp);

/* Is USER a member of S: named in it, or an admin for a ward space? A
 * disabled or unknown user is not. Grants are not membership. */
int wl_space_is_member(const struct wl_spaces *sp, const struct wl_space *s,
		       const unsigned char user[16]);

/* The grant of USER in S in force at NOW_MS, or NULL. */
const struct wl_space_grant *wl_space_grant_for(const struct wl_space *s,
						const unsigned char user[16],
						uint64_t now_ms);

/* Ask the access table whether USER may do ACTION in S at NOW_MS, as a
 * member or through a grant. *VIA_GRANT (may be NULL) is set to 1 when
 * only an emergency grant allowed it, which the caller must flag in the
 * audit trail. Returns 0, WL_EDENIED, or WL_ENOTFOUND (unknown user). */
int wl_space_may(const struct wl_spaces *sp, const struct wl_space *s,
		 const unsigned char user[16], enum wl_action action,
		 uint64_t now_ms, int *via_grant)
	__attribute__((warn_unused_result));

/* List in OUT (room for MAX ids) who must hold the key of the current
 * epoch of S: its members, the admins of a ward, and the holders of
 * grants in force at NOW_MS. Returns the count (which may exceed MAX, and
 * then only MAX were written). */
size_t wl_space_recipients(const struct wl_spaces *sp,
			   const struct wl_space *s, uint64_t now_ms,
			   unsigned char (*out)[16], size_t max);

/* Does RECIPIENT hold an accepted envelope of EPOCH in S that was sealed
 * after the recipient's current keys appeared (an admin reset makes new
 * keys, and envelopes sealed to the old ones no longer open)? */
int wl_space_has_envelope(const struct wl_spaces *sp,
			  const struct wl_space *s,
			  const unsigned char recipient[16], uint32_t epoch);

/* The epoch record of EPOCH in S, or NULL. */
const struct wl_space_epoch *wl_space_epoch_at(const struct wl_space *s,
					       uint32_t epoch);

/* A user's space keys, opened from the envelopes sealed to that user, in
 * sodium_malloc memory (locked, guarded, wiped when freed). */
struct wl_keyring;

/* Open every accepted envelope of STORE addressed to USER with the user's
 * X25519 keys from SECRET. Envelopes that do not open are counted in
 * *FAILED (may be NULL) and skipped. Returns 0 and *OUT, or WL_ESTORE,
 * WL_ENOMEM, WL_EBUSY. */
int wl_keyring_open(const struct wl_spaces *sp, struct wl_store *store,
		    const struct wl_user *user,
		    const struct wl_keys_secret *secret, size_t *failed,
		    struct wl_keyring **out);

/* Wipe and free KR. Accepts NULL. */
void wl_keyring_free(struct wl_keyring *kr);

/* The I-th key held for (SPACE, EPOCH), I from 0: concurrent removals can
 * leave two keys for one epoch, and a reader tries each. NULL when there
 * is no such key. Valid until KR is freed. */
const unsigned char *wl_keyring_get(const struct wl_keyring *kr,
				    const unsigned char space[16],
				    uint32_t epoch, size_t i);

/* Add KEY for (SPACE, EPOCH), as after sealing a new epoch. Returns 0 or
 * WL_ENOMEM. */
int wl_keyring_add(struct wl_keyring *kr, const unsigned char space[16],
		   uint32_t epoch, const unsigned char key[32]);

size_t wl_keyring_count(const struct wl_keyring *kr);

#endif
