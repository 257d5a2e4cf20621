/* Access rules: which role may do which action in which kind of space.
 *
 * One table in node/access.c decides every permission. The API and the CLI
 * both ask wl_access_allowed and decide nothing themselves. A user acts in a
 * space only as a member of it, with two exceptions. Actions of the site
 * scope (managing users and devices, setting policy) belong to no space.
 * And a valid emergency grant lets a non-member of a ward space do there
 * what a member of their role may do, except manage the membership.
 *
 * Admins are members of every ward space, so that there is always someone
 * who can seal the space key to a new member, but the table lets them manage
 * membership only: they do not read or write patient data.
 *
 * This module is pure: no I/O, no logging, no global state.
 */
#ifndef WARDLINE_ACCESS_H
#define WARDLINE_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#define WL_ACCESS_ID_SIZE 16 /* user and space ids */

/* Roles. Names in JSON and on the command line are the lower-case words
 * after WL_ROLE_ ("charge_nurse"). */
enum wl_role {
	WL_ROLE_NURSE,
	WL_ROLE_CHARGE_NURSE,
	WL_ROLE_PHARMACIST,
	WL_ROLE_PHYSICIAN,
	WL_ROLE_UNIT_CLERK,
	WL_ROLE_ADMIN,
	WL_ROLE_COMPLIANCE_OFFICER,
	WL_ROLE_COUNT
};

/* Space kinds, plus the site scope. WL_SPACE_SITE is no space and has no
 * key: it is the scope of the actions that concern the whole site, and
 * membership does not apply to it. */
enum wl_space_kind {
	WL_SPACE_WARD,         /* census, handoffs, tasks, channel of a ward */
	WL_SPACE_DIRECT,       /* a conversation between named people */
	WL_SPACE_ROLE_MAILBOX, /* a mailbox of a role: the pharmacy */
	WL_SPACE_AUDIT,        /* the audit trail */
	WL_SPACE_SITE,         /* the site scope; not a space */
	WL_SPACE_KIND_COUNT
};

enum wl_action {
	WL_ACTION_READ,                 /* decrypt and view the space */
	WL_ACTION_POST_MESSAGE,         /* write to the space's channel */
	WL_ACTION_UPDATE_PATIENT,       /* census and patient fields */
	WL_ACTION_WRITE_HANDOFF,        /* write or edit a shift handoff */
	WL_ACTION_ACKNOWLEDGE_HANDOFF,  /* accept a handoff as the receiver */
	WL_ACTION_MANAGE_TASKS,         /* create, assign and close tasks */
	WL_ACTION_REQUEST_MEDICATION_CLARIFICATION, /* ask the pharmacy */
	WL_ACTION_CONFIRM_MEDICATION,   /* reply to a clarification request */
	WL_ACTION_ADD_MEMBER,           /* seal the key to a new member */
	WL_ACTION_REMOVE_MEMBER,        /* remove a member; starts an epoch */
	WL_ACTION_GRANT_EMERGENCY_ACCESS, /* give a non-member a grant */
	WL_ACTION_EXPORT_AUDIT,         /* export audit records off the site */
	WL_ACTION_READ_AUDIT,           /* view audit records */
	WL_ACTION_MANAGE_USERS,         /* add, disable, reset users (site) */
	WL_ACTION_REVOKE_DEVICE,        /* revoke a node (site) */
	WL_ACTION_SET_POLICY,           /* retention and timeouts (site) */
	WL_ACTION_COUNT
};

/* Flags of wl_access_allowed. */
/* The user has an emergency grant for this space that
 * wl_access_grant_valid_at accepts now. */
#define WL_ACCESS_F_EMERGENCY 0x1u
#define WL_ACCESS_F_KNOWN WL_ACCESS_F_EMERGENCY

/* Decide whether a user of ROLE may do ACTION in a space of KIND. IS_MEMBER
 * is non-zero when the user is a current member of that space, and is
 * ignored for WL_SPACE_SITE. FLAGS is 0 or WL_ACCESS_F_EMERGENCY, which the
 * caller sets only after checking the user's grant for this very space.
 * The flag counts for ward spaces only, and never allows add_member,
 * remove_member or grant_emergency_access. Returns 0 when allowed,
 * WL_EDENIED when not, or WL_EINVAL for a role, action, kind or flag
 * outside its enum. */
int wl_access_allowed(enum wl_role role, enum wl_action action,
		      enum wl_space_kind kind, int is_member, unsigned flags)
	__attribute__((warn_unused_result));

/* Return the name of ROLE ("charge_nurse"), or NULL if ROLE is outside the
 * enum. The string is static. */
const char *wl_access_role_name(enum wl_role role);

/* Parse the exact, lower-case NAME of a role into *ROLE.
 * Returns 0, or WL_EINVAL (and *ROLE is unchanged) for any other string. */
int wl_access_role_parse(const char *name, enum wl_role *role);

/* Return the name of ACTION ("write_handoff"), or NULL. Static string. */
const char *wl_access_action_name(enum wl_action action);

/* Parse an action name as wl_access_role_parse parses a role. */
int wl_access_action_parse(const char *name, enum wl_action *action);

/* Return the name of KIND ("role_mailbox", "site"), or NULL. Static. */
const char *wl_access_space_kind_name(enum wl_space_kind kind);

/* Parse a space kind name as wl_access_role_parse parses a role. "site" is
 * accepted; a caller that reads the kind of a real space must reject
 * WL_SPACE_SITE itself. */
int wl_access_space_kind_parse(const char *name, enum wl_space_kind *kind);

/* Emergency access: a charge nurse or an admin lets a user who is not a
 * member act in one ward space for a limited time, with a written reason.
 * The grant expires by itself; every use of it is flagged in the audit
 * trail by the caller. Whether the granter may grant is a separate question
 * for wl_access_allowed (WL_ACTION_GRANT_EMERGENCY_ACCESS in that space). */
#define WL_ACCESS_REASON_MIN 1   /* characters (UTF-8 code points) */
#define WL_ACCESS_REASON_MAX 500 /* characters (UTF-8 code points) */
#define WL_ACCESS_REASON_BYTES (4 * WL_ACCESS_REASON_MAX)
#define WL_ACCESS_GRANT_MAX_MS (12ull * 60 * 60 * 1000) /* one shift */
/* How far a grant's start may lie ahead of the checking node's clock, so
 * that a grant made on a node whose clock runs ahead is usable at once. */
#define WL_ACCESS_GRANT_SKEW_MS (5ull * 60 * 1000)

struct wl_access_grant {
	unsigned char grantee[WL_ACCESS_ID_SIZE];    /* user id */
	unsigned char space[WL_ACCESS_ID_SIZE];      /* ward space id */
	unsigned char granted_by[WL_ACCESS_ID_SIZE]; /* user id */
	uint64_t granted_ms; /* Unix milliseconds */
	uint64_t expires_ms; /* Unix milliseconds; the grant ends before it */
	char reason[WL_ACCESS_REASON_BYTES + 1]; /* UTF-8, NUL-terminated */
};

/* Check that GRANT is well formed. Returns 0, or:
 *   WL_EINVAL  an id is all zero, or the grantee is the granter;
 *   WL_EINVAL  the reason is not valid UTF-8 of WL_ACCESS_REASON_MIN to
 *              WL_ACCESS_REASON_MAX characters, contains a control
 *              character, or is only spaces;
 *   WL_ERANGE  expires_ms is not after granted_ms, or lies more than
 *              WL_ACCESS_GRANT_MAX_MS after it. */
int wl_access_grant_check(const struct wl_access_grant *grant);

/* Decide whether GRANT is in force at NOW_MS: well formed as
 * wl_access_grant_check requires, started (granted_ms at most
 * WL_ACCESS_GRANT_SKEW_MS after NOW_MS) and not expired (NOW_MS before
 * expires_ms). Returns 0, the codes of wl_access_grant_check, or WL_EDENIED
 * when NOW_MS lies outside the grant's time. */
int wl_access_grant_valid_at(const struct wl_access_grant *grant,
			     uint64_t now_ms)
	__attribute__((warn_unused_result));

#endif
