/* Audit records: what happened, to whom, where, sealed for the audit space.
 *
 * Every node writes audit records about what its users did and tried. A
 * node has no space key of its own, and no node may read the trail
 * without an admin or compliance officer's session. So the audit space has
 * a key pair per epoch: the secret half is derived from the epoch's space
 * key, which members receive in envelopes like any space key; the public
 * half is published in the membership event that starts the epoch. A node
 * seals each record to the public key of the current epoch:
 *
 *   body = ephemeral X25519 public key (32) || nonce (24) ||
 *          XChaCha20-Poly1305(record JSON) || tag (16)
 *   key  = BLAKE2b-256(X25519(ephemeral secret, audit public key) ||
 *          ephemeral public key || audit public key)
 *   associated data = header bytes 0 to 139, as for every sealed body
 *
 * An audit event (WL_KIND_AUDIT) is node-authored, carries the audit
 * space's id and the epoch in its header, and is replicated like any event.
 * The record is compact JSON with sorted keys (wl_audit_record_encode).
 *
 * Pure: no I/O, no logging.
 */
#ifndef WARDLINE_AUDIT_H
#define WARDLINE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/feed.h"
#include "wardline/keys.h"
#include "wardline/space.h"

#define WL_AUDIT_VERSION 1
#define WL_AUDIT_SEAL_OVERHEAD (32 + 24 + 16)
#define WL_AUDIT_ACTION_MAX 40
#define WL_AUDIT_OUTCOME_MAX 16
#define WL_AUDIT_PATIENT_MAX 64
#define WL_AUDIT_DETAIL_MAX 2000 /* bytes of UTF-8 */
#define WL_AUDIT_JSON_MAX 4096

/* One audit record. Strings are NUL-terminated; empty when absent. */
struct wl_audit_record {
	char action[WL_AUDIT_ACTION_MAX + 1];   /* "login_failed" */
	char outcome[WL_AUDIT_OUTCOME_MAX + 1]; /* "ok", "denied", "failed" */
	int has_user;
	unsigned char user[WL_KEYS_USER_ID_SIZE]; /* who acted or was tried */
	char username[WL_KEYS_USERNAME_MAX + 1];  /* as given at login */
	int has_space;
	unsigned char space[WL_KEYS_SPACE_ID_SIZE];
	char patient[WL_AUDIT_PATIENT_MAX + 1];   /* patient id */
	char detail[WL_AUDIT_DETAIL_MAX + 1];     /* reason, counts */
	int emergency; /* done under an emergency grant */
	uint64_t at_ms; /* Unix milliseconds on the writing node */
};

/* Encode R as compact JSON with sorted keys:
 *   {"action":S,"at_ms":N,"detail":S,"emergency":B,"outcome":S,
 *    "patient":S,"space":B64|"","user":B64|"","username":S,"v":1}
 * Returns 0, WL_EINVAL (empty action or outcome, a string that is not
 * printable UTF-8) or WL_ETOOBIG. */
int wl_audit_record_encode(const struct wl_audit_record *r,
			   unsigned char *out, size_t outsize, size_t *outlen);

/* Decode a record strictly. FIELD (may be NULL) names the member at
 * fault. Returns 0, WL_ETOOBIG, WL_EINVAL, WL_ETRUNC or WL_EVERSION. */
int wl_audit_record_decode(const unsigned char *buf, size_t len,
			   struct wl_audit_record *out, const char **field);

/* Derive the audit key pair of one epoch from its space KEY. */
void wl_audit_keypair(const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
		      unsigned char pk[32], unsigned char sk[32]);

/* A wl_feed_seal_fn (feed.h) that seals to the audit public key ARG (32
 * bytes). The header's body_len must be LEN + WL_AUDIT_SEAL_OVERHEAD.
 * Returns 0 or WL_EINVAL. */
int wl_audit_seal(void *arg, const struct wl_event_header *h,
		  const unsigned char *plain, size_t len, unsigned char *out);

/* Open the sealed BODY (LEN bytes) of the audit event with header H with
 * the space KEY of its epoch into OUT (room for LEN -
 * WL_AUDIT_SEAL_OVERHEAD bytes); *OUTLEN gets the length. Returns 0,
 * WL_ETRUNC or WL_EAUTH. */
int wl_audit_open(const struct wl_event_header *h,
		  const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
		  const unsigned char *body, size_t len, unsigned char *out,
		  size_t *outlen) __attribute__((warn_unused_result));

/* The buffers of one audit event being written: the record's JSON and the
 * public key it is sealed to, which the feed item points into. */
struct wl_audit_draft {
	unsigned char json[WL_AUDIT_JSON_MAX];
	unsigned char pk[32];
	struct wl_feed_item item;
};

/* Prepare REC as a node-authored feed item in D, sealed to the current
 * epoch of the audit space of SP. Append D->item with wl_feed_append, then
 * wipe D. Returns 0, WL_ENOTFOUND (the site has no audit space yet),
 * WL_EINVAL or WL_ETOOBIG (a record the encoder rejects). */
int wl_audit_draft(const struct wl_spaces *sp,
		   const struct wl_audit_record *rec, struct wl_audit_draft *d);

/* Check the header H of an audit event against the site's audit space
 * AUDIT_ID, whose current epoch is EPOCH: written by a node (users do not
 * write audit records), sealed, in that space, at an epoch that exists,
 * with a body long enough to be sealed. Returns 0, WL_EAUTH (an author is
 * set), WL_EFLAGS (not sealed), WL_EINVAL (another space), WL_ERANGE (an
 * epoch above EPOCH) or WL_ETRUNC (body too short). */
int wl_audit_check_header(const struct wl_event_header *h,
			  const unsigned char audit_id[WL_KEYS_SPACE_ID_SIZE],
			  uint32_t epoch);

#endif
