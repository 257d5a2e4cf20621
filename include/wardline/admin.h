/* The admin views' data: the user list and the audit log read with an
 * admin's or compliance officer's keys, filtered, as JSON rows or CSV.
 * The API calls these after it checked the caller's role. */
#ifndef WARDLINE_ADMIN_H
#define WARDLINE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wardline/space.h"
#include "wardline/store.h"
#include "wardline/users.h"

/* At most this many rows in one answer: the view shows the newest, and an
 * export over more is cut with "truncated" set. */
#define WL_ADMIN_AUDIT_ROWS_MAX 100000

/* Which audit records to list. Empty strings and 0 select everything. */
struct wl_admin_filter {
	uint64_t from_ms;  /* written at or after */
	uint64_t to_ms;    /* written before; 0 for no end */
	char username[64]; /* the user who acted or was tried */
	char patient[64];  /* "patient/ID" */
	char action[48];   /* "login_failed" */
	size_t limit;      /* newest rows to keep, at most ROWS_MAX */
};

/* The users of the fold U as a JSON array of objects {username,
 * display_name, role} and, with FULL set (for an admin), also {state:
 * "active"|"locked"|"disabled", failures}. NULL when out of memory. */
json_t *wl_admin_users(const struct wl_users *u, int full);

/* Read the audit events of STORE that the keys of KR open (every epoch of
 * the audit space the reader holds) and that F selects, newest first, as
 * a JSON array of {time_ms, node, action, outcome, username, user_id,
 * space, space_id, patient, detail, emergency} into *ROWS. SPACES names
 * the spaces. *TRUNCATED is set when F->limit cut the list. Records
 * outside the time window are skipped before they are opened, since
 * opening one costs an X25519 multiplication. Returns 0, WL_ENOMEM or the
 * store's error. */
int wl_admin_audit(struct wl_store *store, const struct wl_spaces *spaces,
		   const struct wl_keyring *kr,
		   const struct wl_admin_filter *f, json_t **rows,
		   int *truncated);

/* ROWS (from wl_admin_audit) as CSV with a header line, in a malloc'd
 * NUL-terminated *OUT of *LEN bytes. Fields are quoted, quotes doubled,
 * and a field that a spreadsheet would run as a formula (=, +, -, @) gets
 * a leading apostrophe. Returns 0 or WL_ENOMEM. */
int wl_admin_audit_csv(const json_t *rows, char **out, size_t *len);

#endif
