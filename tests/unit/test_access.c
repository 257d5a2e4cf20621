/* Unit tests of the access table, the name parsers and emergency grants.
 *
 * The expected table below is written out by hand, independently of
 * node/access.c: a change to either side fails access_table_every_cell. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wardline/access.h"
#include "wardline/error.h"

#define NOW 1796400000000ull /* 2026-12-04, Unix milliseconds */
#define HOUR (60ull * 60 * 1000)

/* For each action, one group of cells per space kind in enum order (ward,
 * direct, role_mailbox, audit, site), separated by '|'. A group has one
 * cell per role in enum order: nurse, charge_nurse, pharmacist, physician,
 * unit_clerk, admin, compliance_officer.
 * M  allowed to members only
 * E  allowed to members and to holders of an emergency grant
 * A  allowed whether or not a member (site scope)
 * -  never allowed */
struct expected_row {
	enum wl_action action;
	const char *cells;
};

#define ROW(action, cells) {WL_ACTION_##action, cells}
#define GROUP_LEN (WL_ROLE_COUNT + 1) /* the cells and a separator */

/* clang-format off */
static const struct expected_row expected[] = {
	/*                           ward    direct  mailbox audit   site */
	ROW(READ,                   "EEEEE--|MMMMMMM|MMMM---|-----MM|-------"),
	ROW(POST_MESSAGE,           "EEEEE--|MMMMMMM|MMMM---|-------|-------"),
	ROW(UPDATE_PATIENT,         "EE-EE--|-------|-------|-------|-------"),
	ROW(WRITE_HANDOFF,          "EE-E---|-------|-------|-------|-------"),
	ROW(ACKNOWLEDGE_HANDOFF,    "EE-E---|-------|-------|-------|-------"),
	ROW(MANAGE_TASKS,           "EE-E---|-------|-------|-------|-------"),
	ROW(REQUEST_MEDICATION_CLARIFICATION,
	                            "-------|-------|MM-M---|-------|-------"),
	ROW(CONFIRM_MEDICATION,     "-------|-------|--M----|-------|-------"),
	ROW(ADD_MEMBER,             "-M---M-|-------|-----M-|-----M-|-------"),
	ROW(REMOVE_MEMBER,          "-M---M-|-------|-----M-|-----M-|-------"),
	ROW(GRANT_EMERGENCY_ACCESS, "-M---M-|-------|-------|-------|-------"),
	ROW(EXPORT_AUDIT,           "-------|-------|-------|------M|-------"),
	ROW(READ_AUDIT,             "-------|-------|-------|-----MM|-------"),
	ROW(MANAGE_USERS,           "-------|-------|-------|-------|-----A-"),
	ROW(REVOKE_DEVICE,          "-------|-------|-------|-------|-----A-"),
	ROW(SET_POLICY,             "-------|-------|-------|-------|-----A-"),
};
/* clang-format on */

/* Return the code that cell letter CELL expects for a member or non-member
 * (IS_MEMBER), with or without an emergency grant (EMERGENCY). */
static int expected_rc(char cell, int is_member, int emergency)
{
	switch (cell) {
	case 'A':
		return 0;
	case 'E':
		return is_member || emergency ? 0 : WL_EDENIED;
	case 'M':
		return is_member ? 0 : WL_EDENIED;
	default:
		return WL_EDENIED;
	}
}

static void access_table_covers_actions(void **state)
{
	(void)state;
	assert_int_equal(sizeof(expected) / sizeof(expected[0]),
			 WL_ACTION_COUNT);
	for (int a = 0; a < WL_ACTION_COUNT; a++) {
		const char *cells = expected[a].cells;

		assert_int_equal(expected[a].action, a);
		assert_int_equal(strlen(cells),
				 WL_SPACE_KIND_COUNT * GROUP_LEN - 1);
		for (int k = 1; k < WL_SPACE_KIND_COUNT; k++)
			assert_int_equal(cells[k * GROUP_LEN - 1], '|');
	}
}

/* Compare the four decisions of one cell (member or not, emergency grant
 * or not) with the expected table. Returns the number compared. */
static int check_cell(int a, int k, int r)
{
	char cell = expected[a].cells[k * GROUP_LEN + r];
	int checked = 0;

	for (int member = 0; member <= 1; member++) {
		for (unsigned flags = 0; flags <= WL_ACCESS_F_EMERGENCY;
		     flags++) {
			int want = expected_rc(cell, member, flags != 0);
			int got = wl_access_allowed(
				(enum wl_role)r, (enum wl_action)a,
				(enum wl_space_kind)k, member, flags);

			if (got != want)
				print_error(
					"%s %s in %s, member %d, flags %u: "
					"got %d, expected %d\n",
					wl_access_role_name((enum wl_role)r),
					wl_access_action_name(
						(enum wl_action)a),
					wl_access_space_kind_name(
						(enum wl_space_kind)k),
					member, flags, got, want);
			assert_int_equal(got, want);
			checked++;
		}
	}
	return checked;
}

static void access_table_every_cell(void **state)
{
	int checked = 0;

	(void)state;
	for (int a = 0; a < WL_ACTION_COUNT; a++) {
		for (int k = 0; k < WL_SPACE_KIND_COUNT; k++) {
			for (int r = 0; r < WL_ROLE_COUNT; r++)
				checked += check_cell(a, k, r);
		}
	}
	assert_int_equal(checked, WL_ACTION_COUNT * WL_SPACE_KIND_COUNT *
					  WL_ROLE_COUNT * 4);
}

/* A few cells spelled out, as a reader of the rules would look them up. */
static void access_table_examples(void **state)
{
	(void)state;
	assert_int_equal(wl_access_allowed(WL_ROLE_UNIT_CLERK,
					   WL_ACTION_UPDATE_PATIENT,
					   WL_SPACE_WARD, 1, 0),
			 0);
	assert_int_equal(wl_access_allowed(WL_ROLE_UNIT_CLERK,
					   WL_ACTION_WRITE_HANDOFF,
					   WL_SPACE_WARD, 1, 0),
			 WL_EDENIED);
	assert_int_equal(wl_access_allowed(WL_ROLE_PHARMACIST, WL_ACTION_READ,
					   WL_SPACE_WARD, 0, 0),
			 WL_EDENIED);
	assert_int_equal(wl_access_allowed(WL_ROLE_PHARMACIST,
					   WL_ACTION_CONFIRM_MEDICATION,
					   WL_SPACE_ROLE_MAILBOX, 1, 0),
			 0);
	assert_int_equal(wl_access_allowed(WL_ROLE_COMPLIANCE_OFFICER,
					   WL_ACTION_POST_MESSAGE,
					   WL_SPACE_WARD, 1, 0),
			 WL_EDENIED);
	assert_int_equal(wl_access_allowed(WL_ROLE_COMPLIANCE_OFFICER,
					   WL_ACTION_EXPORT_AUDIT,
					   WL_SPACE_AUDIT, 1, 0),
			 0);
	assert_int_equal(wl_access_allowed(WL_ROLE_ADMIN, WL_ACTION_READ,
					   WL_SPACE_WARD, 1, 0),
			 WL_EDENIED);
	assert_int_equal(wl_access_allowed(WL_ROLE_ADMIN,
					   WL_ACTION_MANAGE_USERS,
					   WL_SPACE_SITE, 0, 0),
			 0);
	assert_int_equal(wl_access_allowed(WL_ROLE_CHARGE_NURSE,
					   WL_ACTION_GRANT_EMERGENCY_ACCESS,
					   WL_SPACE_WARD, 1, 0),
			 0);
	/* An emergency grant never lets its holder manage membership. */
	assert_int_equal(wl_access_allowed(WL_ROLE_CHARGE_NURSE,
					   WL_ACTION_ADD_MEMBER, WL_SPACE_WARD,
					   0, WL_ACCESS_F_EMERGENCY),
			 WL_EDENIED);
	/* Nor does it reach a space other than a ward. */
	assert_int_equal(wl_access_allowed(WL_ROLE_NURSE, WL_ACTION_READ,
					   WL_SPACE_DIRECT, 0,
					   WL_ACCESS_F_EMERGENCY),
			 WL_EDENIED);
}

static void access_invalid_arguments(void **state)
{
	(void)state;
	assert_int_equal(wl_access_allowed(WL_ROLE_COUNT, WL_ACTION_READ,
					   WL_SPACE_WARD, 1, 0),
			 WL_EINVAL);
	assert_int_equal(wl_access_allowed((enum wl_role)-1, WL_ACTION_READ,
					   WL_SPACE_WARD, 1, 0),
			 WL_EINVAL);
	assert_int_equal(wl_access_allowed(WL_ROLE_NURSE, WL_ACTION_COUNT,
					   WL_SPACE_WARD, 1, 0),
			 WL_EINVAL);
	assert_int_equal(wl_access_allowed(WL_ROLE_NURSE, WL_ACTION_READ,
					   WL_SPACE_KIND_COUNT, 1, 0),
			 WL_EINVAL);
	assert_int_equal(wl_access_allowed(WL_ROLE_NURSE, WL_ACTION_READ,
					   WL_SPACE_WARD, 1, 0x2),
			 WL_EINVAL);
}

static void access_role_names(void **state)
{
	static const char *const names[WL_ROLE_COUNT] = {
		"nurse",      "charge_nurse", "pharmacist",
		"physician",  "unit_clerk",   "admin",
		"compliance_officer",
	};
	enum wl_role role = WL_ROLE_ADMIN;

	(void)state;
	for (int r = 0; r < WL_ROLE_COUNT; r++) {
		assert_string_equal(wl_access_role_name((enum wl_role)r),
				    names[r]);
		assert_int_equal(wl_access_role_parse(names[r], &role), 0);
		assert_int_equal(role, r);
	}
	assert_null(wl_access_role_name(WL_ROLE_COUNT));
	role = WL_ROLE_ADMIN;
	assert_int_equal(wl_access_role_parse("Nurse", &role), WL_EINVAL);
	assert_int_equal(wl_access_role_parse("charge nurse", &role),
			 WL_EINVAL);
	assert_int_equal(wl_access_role_parse("", &role), WL_EINVAL);
	assert_int_equal(wl_access_role_parse(NULL, &role), WL_EINVAL);
	assert_int_equal(role, WL_ROLE_ADMIN);
}

static void access_action_names(void **state)
{
	static const char *const names[WL_ACTION_COUNT] = {
		"read",
		"post_message",
		"update_patient",
		"write_handoff",
		"acknowledge_handoff",
		"manage_tasks",
		"request_medication_clarification",
		"confirm_medication",
		"add_member",
		"remove_member",
		"grant_emergency_access",
		"export_audit",
		"read_audit",
		"manage_users",
		"revoke_device",
		"set_policy",
	};
	enum wl_action action = WL_ACTION_READ;

	(void)state;
	for (int a = 0; a < WL_ACTION_COUNT; a++) {
		assert_string_equal(wl_access_action_name((enum wl_action)a),
				    names[a]);
		assert_int_equal(wl_access_action_parse(names[a], &action), 0);
		assert_int_equal(action, a);
	}
	assert_null(wl_access_action_name(WL_ACTION_COUNT));
	assert_int_equal(wl_access_action_parse("delete_patient", &action),
			 WL_EINVAL);
	assert_int_equal(wl_access_action_parse("read ", &action), WL_EINVAL);
}

static void access_space_kind_names(void **state)
{
	static const char *const names[WL_SPACE_KIND_COUNT] = {
		"ward", "direct", "role_mailbox", "audit", "site",
	};
	enum wl_space_kind kind = WL_SPACE_WARD;

	(void)state;
	for (int k = 0; k < WL_SPACE_KIND_COUNT; k++) {
		assert_string_equal(
			wl_access_space_kind_name((enum wl_space_kind)k),
			names[k]);
		assert_int_equal(wl_access_space_kind_parse(names[k], &kind),
				 0);
		assert_int_equal(kind, k);
	}
	assert_null(wl_access_space_kind_name(WL_SPACE_KIND_COUNT));
	assert_int_equal(wl_access_space_kind_parse("pharmacy", &kind),
			 WL_EINVAL);
}

/* A valid grant: four hours from NOW, with a reason. */
static void make_grant(struct wl_access_grant *g)
{
	memset(g, 0, sizeof(*g));
	memset(g->grantee, 0x11, sizeof(g->grantee));
	memset(g->space, 0x22, sizeof(g->space));
	memset(g->granted_by, 0x33, sizeof(g->granted_by));
	g->granted_ms = NOW;
	g->expires_ms = NOW + 4 * HOUR;
	snprintf(g->reason, sizeof(g->reason), "%s",
		 "Covering bed 12 during a rapid response on 4B");
}

static void grant_valid_and_expired(void **state)
{
	const uint64_t early = NOW - WL_ACCESS_GRANT_SKEW_MS;
	struct wl_access_grant g;

	(void)state;
	make_grant(&g);
	assert_int_equal(wl_access_grant_check(&g), 0);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW), 0);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW + 4 * HOUR - 1), 0);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW + 4 * HOUR),
			 WL_EDENIED);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW + 48 * HOUR),
			 WL_EDENIED);

	/* A start slightly ahead of this node's clock is tolerated. */
	assert_int_equal(wl_access_grant_valid_at(&g, early), 0);
	assert_int_equal(wl_access_grant_valid_at(&g, early - 1), WL_EDENIED);
	assert_int_equal(wl_access_grant_valid_at(&g, 0), WL_EDENIED);
}

static void grant_duration_limits(void **state)
{
	struct wl_access_grant g;

	(void)state;
	make_grant(&g);
	g.expires_ms = g.granted_ms + WL_ACCESS_GRANT_MAX_MS;
	assert_int_equal(wl_access_grant_check(&g), 0);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW + 11 * HOUR), 0);
	g.expires_ms = g.granted_ms + WL_ACCESS_GRANT_MAX_MS + 1;
	assert_int_equal(wl_access_grant_check(&g), WL_ERANGE);
	assert_int_equal(wl_access_grant_valid_at(&g, NOW), WL_ERANGE);
	g.expires_ms = g.granted_ms;
	assert_int_equal(wl_access_grant_check(&g), WL_ERANGE);
	g.expires_ms = g.granted_ms - 1;
	assert_int_equal(wl_access_grant_check(&g), WL_ERANGE);
	g.granted_ms = 0;
	g.expires_ms = UINT64_MAX;
	assert_int_equal(wl_access_grant_check(&g), WL_ERANGE);
	assert_int_equal(WL_ACCESS_GRANT_MAX_MS, 12 * HOUR);
}

static void grant_reason_rules(void **state)
{
	struct wl_access_grant g;

	(void)state;
	make_grant(&g);
	g.reason[0] = '\0';
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	strcpy(g.reason, "   ");
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	strcpy(g.reason, "x");
	assert_int_equal(wl_access_grant_check(&g), 0);
	strcpy(g.reason, "line one\nline two");
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	strcpy(g.reason, "bad \xff byte");
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);

	memset(g.reason, 'r', WL_ACCESS_REASON_MAX);
	g.reason[WL_ACCESS_REASON_MAX] = '\0';
	assert_int_equal(wl_access_grant_check(&g), 0);
	g.reason[WL_ACCESS_REASON_MAX] = 'r';
	g.reason[WL_ACCESS_REASON_MAX + 1] = '\0';
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);

	/* 500 characters of two bytes each fit; the limit counts characters. */
	for (int i = 0; i < WL_ACCESS_REASON_MAX; i++)
		memcpy(g.reason + 2 * i, "\xc3\xa9", 2);
	g.reason[2 * WL_ACCESS_REASON_MAX] = '\0';
	assert_int_equal(wl_access_grant_check(&g), 0);

	/* A reason that fills the array with no NUL is rejected. */
	memset(g.reason, 'r', sizeof(g.reason));
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
}

static void grant_identity_rules(void **state)
{
	struct wl_access_grant g;

	(void)state;
	make_grant(&g);
	memcpy(g.granted_by, g.grantee, sizeof(g.grantee));
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	make_grant(&g);
	memset(g.grantee, 0, sizeof(g.grantee));
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	make_grant(&g);
	memset(g.space, 0, sizeof(g.space));
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	make_grant(&g);
	memset(g.granted_by, 0, sizeof(g.granted_by));
	assert_int_equal(wl_access_grant_check(&g), WL_EINVAL);
	assert_int_equal(wl_access_grant_check(NULL), WL_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(access_table_covers_actions),
		cmocka_unit_test(access_table_every_cell),
		cmocka_unit_test(access_table_examples),
		cmocka_unit_test(access_invalid_arguments),
		cmocka_unit_test(access_role_names),
		cmocka_unit_test(access_action_names),
		cmocka_unit_test(access_space_kind_names),
		cmocka_unit_test(grant_valid_and_expired),
		cmocka_unit_test(grant_duration_limits),
		cmocka_unit_test(grant_reason_rules),
		cmocka_unit_test(grant_identity_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
