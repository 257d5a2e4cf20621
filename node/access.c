/* The access table and emergency grants. */
#include "wardline/access.h"

#include <string.h>

#include "wardline/error.h"
#include "wardline/utf8.h"

#define NURSE (1u << WL_ROLE_NURSE)
#define CHARGE (1u << WL_ROLE_CHARGE_NURSE)
#define PHARMACIST (1u << WL_ROLE_PHARMACIST)
#define PHYSICIAN (1u << WL_ROLE_PHYSICIAN)
#define CLERK (1u << WL_ROLE_UNIT_CLERK)
#define ADMIN (1u << WL_ROLE_ADMIN)
#define COMPLIANCE (1u << WL_ROLE_COMPLIANCE_OFFICER)
#define BEDSIDE (NURSE | CHARGE | PHYSICIAN) /* who treats the patients */
#define EVERYONE ((1u << WL_ROLE_COUNT) - 1)

_Static_assert(WL_ROLE_COUNT <= 8, "a role set must fit in uint8_t");

/* The roles that may do each action in each kind of space. In a space, a
 * role listed here must also be a member, or for a ward hold an emergency
 * grant (see emergency_allows). In the site scope, membership is ignored.
 * An empty cell allows no role.
 *
 * Ward: unit clerks keep the census and use the channel but neither write
 * nor receive handoffs. Pharmacists read and post on the wards they are
 * members of and answer medication questions in the pharmacy mailbox, not
 * on the ward. Admins and charge nurses manage membership and emergency
 * grants. Admins, although members, do not see clinical content, and
 * compliance officers work from the audit space.
 *
 * Direct conversations carry messages only, and their membership is fixed
 * when they are made, so no role adds or removes people in one.
 *
 * Pharmacy mailbox: clinicians ask, pharmacists answer; only admins manage
 * who is a member.
 *
 * Audit: the node writes the records itself, so nobody posts. Admins read
 * them (lockouts, revocations); only compliance officers export them. */
/* clang-format off */
static const uint8_t access_table[WL_SPACE_KIND_COUNT][WL_ACTION_COUNT] = {
	[WL_SPACE_WARD] = {
		[WL_ACTION_READ] = BEDSIDE | PHARMACIST | CLERK,
		[WL_ACTION_POST_MESSAGE] = BEDSIDE | PHARMACIST | CLERK,
		[WL_ACTION_UPDATE_PATIENT] = BEDSIDE | CLERK,
		[WL_ACTION_WRITE_HANDOFF] = BEDSIDE,
		[WL_ACTION_ACKNOWLEDGE_HANDOFF] = BEDSIDE,
		[WL_ACTION_MANAGE_TASKS] = BEDSIDE,
		[WL_ACTION_ADD_MEMBER] = CHARGE | ADMIN,
		[WL_ACTION_REMOVE_MEMBER] = CHARGE | ADMIN,
		[WL_ACTION_GRANT_EMERGENCY_ACCESS] = CHARGE | ADMIN,
	},
	[WL_SPACE_DIRECT] = {
		[WL_ACTION_READ] = EVERYONE,
		[WL_ACTION_POST_MESSAGE] = EVERYONE,
	},
	[WL_SPACE_ROLE_MAILBOX] = {
		[WL_ACTION_READ] = BEDSIDE | PHARMACIST,
		[WL_ACTION_POST_MESSAGE] = BEDSIDE | PHARMACIST,
		[WL_ACTION_REQUEST_MEDICATION_CLARIFICATION] = BEDSIDE,
		[WL_ACTION_CONFIRM_MEDICATION] = PHARMACIST,
		[WL_ACTION_ADD_MEMBER] = ADMIN,
		[WL_ACTION_REMOVE_MEMBER] = ADMIN,
	},
	[WL_SPACE_AUDIT] = {
		[WL_ACTION_READ] = ADMIN | COMPLIANCE,
		[WL_ACTION_READ_AUDIT] = ADMIN | COMPLIANCE,
		[WL_ACTION_EXPORT_AUDIT] = COMPLIANCE,
		[WL_ACTION_ADD_MEMBER] = ADMIN,
		[WL_ACTION_REMOVE_MEMBER] = ADMIN,
	},
	[WL_SPACE_SITE] = {
		[WL_ACTION_MANAGE_USERS] = ADMIN,
		[WL_ACTION_REVOKE_DEVICE] = ADMIN,
		[WL_ACTION_SET_POLICY] = ADMIN,
	},
};
/* clang-format on */

static const char *const role_names[WL_ROLE_COUNT] = {
	[WL_ROLE_NURSE] = "nurse",
	[WL_ROLE_CHARGE_NURSE] = "charge_nurse",
	[WL_ROLE_PHARMACIST] = "pharmacist",
	[WL_ROLE_PHYSICIAN] = "physician",
	[WL_ROLE_UNIT_CLERK] = "unit_clerk",
	[WL_ROLE_ADMIN] = "admin",
	[WL_ROLE_COMPLIANCE_OFFICER] = "compliance_officer",
};

static const char *const action_names[WL_ACTION_COUNT] = {
	[WL_ACTION_READ] = "read",
	[WL_ACTION_POST_MESSAGE] = "post_message",
	[WL_ACTION_UPDATE_PATIENT] = "update_patient",
	[WL_ACTION_WRITE_HANDOFF] = "write_handoff",
	[WL_ACTION_ACKNOWLEDGE_HANDOFF] = "acknowledge_handoff",
	[WL_ACTION_MANAGE_TASKS] = "manage_tasks",
	[WL_ACTION_REQUEST_MEDICATION_CLARIFICATION] =
		"request_medication_clarification",
	[WL_ACTION_CONFIRM_MEDICATION] = "confirm_medication",
	[WL_ACTION_ADD_MEMBER] = "add_member",
	[WL_ACTION_REMOVE_MEMBER] = "remove_member",
	[WL_ACTION_GRANT_EMERGENCY_ACCESS] = "grant_emergency_access",
	[WL_ACTION_EXPORT_AUDIT] = "export_audit",
	[WL_ACTION_READ_AUDIT] = "read_audit",
	[WL_ACTION_MANAGE_USERS] = "manage_users",
	[WL_ACTION_REVOKE_DEVICE] = "revoke_device",
	[WL_ACTION_SET_POLICY] = "set_policy",
};

static const char *const space_kind_names[WL_SPACE_KIND_COUNT] = {
	[WL_SPACE_WARD] = "ward",
	[WL_SPACE_DIRECT] = "direct",
	[WL_SPACE_ROLE_MAILBOX] = "role_mailbox",
	[WL_SPACE_AUDIT] = "audit",
	[WL_SPACE_SITE] = "site",
};

/* An emergency grant replaces membership of a ward space, but does not let
 * its holder change who else is a member or hand out grants. */
static int emergency_allows(enum wl_action action, enum wl_space_kind kind)
{
	if (kind != WL_SPACE_WARD)
		return 0;

	switch (action) {
	case WL_ACTION_ADD_MEMBER:
	case WL_ACTION_REMOVE_MEMBER:
	case WL_ACTION_GRANT_EMERGENCY_ACCESS:
		return 0;
	default:
		return 1;
	}
}

int wl_access_allowed(enum wl_role role, enum wl_action action,
		      enum wl_space_kind kind, int is_member, unsigned flags)
{
	unsigned roles;

	if ((unsigned)role >= WL_ROLE_COUNT ||
	    (unsigned)action >= WL_ACTION_COUNT ||
	    (unsigned)kind >= WL_SPACE_KIND_COUNT ||
	    (flags & ~WL_ACCESS_F_KNOWN) != 0)
		return WL_EINVAL;

	roles = access_table[kind][action];
	if ((roles & (1u << role)) == 0)
		return WL_EDENIED;
	if (kind == WL_SPACE_SITE || is_member)
		return 0;

	if ((flags & WL_ACCESS_F_EMERGENCY) && emergency_allows(action, kind))
		return 0;
	return WL_EDENIED;
}

/* Find NAME in the COUNT entries of NAMES. Returns its index or -1. */
static int name_lookup(const char *const *names, int count, const char *name)
{
	if (name == NULL)
		return -1;

	for (int i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return i;
	}
	return -1;
}

const char *wl_access_role_name(enum wl_role role)
{
	return (unsigned)role < WL_ROLE_COUNT ? role_names[role] : NULL;
}

int wl_access_role_parse(const char *name, enum wl_role *role)
{
	int i = name_lookup(role_names, WL_ROLE_COUNT, name);

	if (i < 0)
		return WL_EINVAL;
	*role = (enum wl_role)i;
	return 0;
}

const char *wl_access_action_name(enum wl_action action)
{
	return (unsigned)action < WL_ACTION_COUNT ? action_names[action] : NULL;
}

int wl_access_action_parse(const char *name, enum wl_action *action)
{
	int i = name_lookup(action_names, WL_ACTION_COUNT, name);

	if (i < 0)
		return WL_EINVAL;
	*action = (enum wl_action)i;
	return 0;
}

const char *wl_access_space_kind_name(enum wl_space_kind kind)
{
	return (unsigned)kind < WL_SPACE_KIND_COUNT ? space_kind_names[kind]
						    : NULL;
}

int wl_access_space_kind_parse(const char *name, enum wl_space_kind *kind)
{
	int i = name_lookup(space_kind_names, WL_SPACE_KIND_COUNT, name);

	if (i < 0)
		return WL_EINVAL;
	*kind = (enum wl_space_kind)i;
	return 0;
}

static int id_is_zero(const unsigned char id[WL_ACCESS_ID_SIZE])
{
	unsigned char acc = 0;

	for (size_t i = 0; i < WL_ACCESS_ID_SIZE; i++)
		acc |= id[i];
	return acc == 0;
}

/* Check that REASON is NUL-terminated text of WL_ACCESS_REASON_MIN to
 * WL_ACCESS_REASON_MAX characters, at least one of them not a space. */
static int reason_check(const char *reason, size_t size)
{
	size_t len = strnlen(reason, size);
	long chars;

	if (len == size)
		return WL_EINVAL;
	chars = wl_utf8_count_text(reason, len);
	if (chars < WL_ACCESS_REASON_MIN || chars > WL_ACCESS_REASON_MAX)
		return WL_EINVAL;
	if (strspn(reason, " ") == len)
		return WL_EINVAL;
	return 0;
}

int wl_access_grant_check(const struct wl_access_grant *grant)
{
	if (grant == NULL)
		return WL_EINVAL;
	if (id_is_zero(grant->grantee) || id_is_zero(grant->space) ||
	    id_is_zero(grant->granted_by) ||
	    memcmp(grant->grantee, grant->granted_by, WL_ACCESS_ID_SIZE) == 0)
		return WL_EINVAL;
	if (reason_check(grant->reason, sizeof(grant->reason)) != 0)
		return WL_EINVAL;

	if (grant->expires_ms <= grant->granted_ms ||
	    grant->expires_ms - grant->granted_ms > WL_ACCESS_GRANT_MAX_MS)
		return WL_ERANGE;
	return 0;
}

int wl_access_grant_valid_at(const struct wl_access_grant *grant,
			     uint64_t now_ms)
{
	int rc = wl_access_grant_check(grant);

	if (rc != 0)
		return rc;
	if (grant->granted_ms > now_ms &&
	    grant->granted_ms - now_ms > WL_ACCESS_GRANT_SKEW_MS)
		return WL_EDENIED;
	if (now_ms >= grant->expires_ms)
		return WL_EDENIED;
	return 0;
}
