/* Retention: how long each kind of body is kept, and legal holds.
 *
 * The policy is the cleartext body of a WL_KIND_SITE_POLICY event signed
 * by the site key or an admin; the newest by (HLC, origin) wins whole:
 *
 *   {"days":{"audit":2190,"entity_update":365,"message":30,"receipt":30},
 *    "holds":[{"patient":"patient/p1","space":B64}],"v":1}
 *
 * "days" gives, for each kind that carries patient data or audit records,
 * the age in days after which its body is deleted. A kind that is absent
 * or 0 is kept for ever. Audit records are kept six years (2190 days)
 * unless the policy says otherwise, and never less than one year. Entity
 * updates carry patients, handoff notes and tasks alike: their bodies are
 * sealed, so a node without keys cannot tell them apart.
 *
 * A hold keeps every body of a space until the policy drops the hold. A
 * hold may name a patient, for the record, but it keeps the whole space:
 * the pruning job runs without keys and cannot see which sealed bodies
 * concern that patient.
 *
 * Pruning deletes bodies and keeps headers, whose signatures and chain stay
 * verifiable. A node also drops an expired body that arrives from a peer,
 * so a node that was offline past the horizon cannot bring pruned bodies
 * back. Pure apart from wl_retention_load, which reads the store.
 */
#ifndef WARDLINE_RETENTION_H
#define WARDLINE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/store.h"
#include "wardline/users.h"

#define WL_RETENTION_VERSION 1
#define WL_RETENTION_HOLDS_MAX 64
#define WL_RETENTION_PATIENT_MAX 64
#define WL_RETENTION_DAYS_MAX 36500       /* a hundred years */
#define WL_RETENTION_AUDIT_DEFAULT 2190   /* six years */
#define WL_RETENTION_AUDIT_MIN 365
#define WL_RETENTION_JSON_MAX 16384
#define WL_RETENTION_DAY_MS (24ull * 60 * 60 * 1000)

struct wl_retention_hold {
	unsigned char space[WL_EVENT_SPACE_SIZE];
	char patient[WL_RETENTION_PATIENT_MAX + 1]; /* "" for the space */
};

struct wl_retention_policy {
	uint32_t days[WL_KIND_MAX + 1]; /* by event kind; 0 keeps for ever */
	struct wl_retention_hold holds[WL_RETENTION_HOLDS_MAX];
	size_t n_holds;
	uint64_t hlc; /* of the policy event; 0 for the defaults */
};

/* Fill P with the defaults: audit records six years, the rest for ever,
 * no holds. */
void wl_retention_defaults(struct wl_retention_policy *p);

/* Encode P's days (for message, receipt, entity_update and audit) and
 * legal holds as compact JSON with sorted keys. Returns 0, WL_EINVAL (a value the
 * decoder rejects) or WL_ETOOBIG. */
int wl_retention_encode(const struct wl_retention_policy *p,
			unsigned char *out, size_t outsize, size_t *outlen);

/* Decode a policy body strictly into *OUT (hlc 0). FIELD (may be NULL)
 * names the member at fault. Returns 0, WL_ETOOBIG, WL_EINVAL, WL_ETRUNC,
 * WL_EVERSION or WL_ERANGE (days above WL_RETENTION_DAYS_MAX, or audit
 * below WL_RETENTION_AUDIT_MIN). */
int wl_retention_decode(const unsigned char *buf, size_t len,
			struct wl_retention_policy *out, const char **field);

/* Set *P to the newest valid policy of STORE, signed by the site key or a
 * current admin of USERS, or to the defaults when there is none. Returns
 * 0, WL_ESTORE, WL_ENOMEM or WL_EBUSY. */
int wl_retention_load(struct wl_retention_policy *p,
		      const struct wl_users *users, struct wl_store *store);

/* Is the body of the event with header H expired at NOW_MS under P: of a
 * kind with a retention time, older than it, and in no held space? The
 * age counts from the wall time of the event's HLC. */
int wl_retention_expired(const struct wl_retention_policy *p,
			 const struct wl_event_header *h, uint64_t now_ms);

/* Is SPACE held by P? */
int wl_retention_held(const struct wl_retention_policy *p,
		      const unsigned char space[WL_EVENT_SPACE_SIZE]);

#endif
