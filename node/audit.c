/* Audit records and their sealing to the audit space. */
#include "wardline/audit.h"

#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/utf8.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const record_members[] = {
	"action", "at_ms", "detail", "emergency", "outcome", "patient",
	"space",  "user",  "username", "v",
};

/* Printable UTF-8, possibly empty. */
static int text_ok(const char *s)
{
	return wl_utf8_count_text(s, strlen(s)) >= 0;
}

int wl_audit_record_encode(const struct wl_audit_record *r,
			   unsigned char *out, size_t outsize, size_t *outlen)
{
	json_t *o;

	if (r->action[0] == '\0' || r->outcome[0] == '\0' ||
	    !text_ok(r->action) || !text_ok(r->outcome) ||
	    !text_ok(r->username) || !text_ok(r->patient) ||
	    !text_ok(r->detail) || r->at_ms > INT64_MAX)
		return WL_EINVAL;

	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "v",
		      WL_AUDIT_VERSION, "action", r->action, "outcome",
		      r->outcome, "username", r->username, "patient",
		      r->patient, "detail", r->detail, "emergency",
		      r->emergency != 0, "at_ms", (json_int_t)r->at_ms);
	o = wl_json_set(o, "user", r->has_user ? wl_json_b64(r->user, 16)
					       : json_string(""));
	o = wl_json_set(o, "space", r->has_space ? wl_json_b64(r->space, 16)
						 : json_string(""));
	return wl_json_dump(o, out, outsize, outlen);
}

/* Decode an optional 16-byte id: "" or its base64. */
static int get_id(json_t *o, const char *name, unsigned char id[16],
		  int *has, const char **field)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = wl_json_get_string(o, name, &s, &len, field);

	if (rc != 0 || len == 0) {
		*has = 0;
		return rc;
	}
	rc = wl_json_get_b64(o, name, id, 16, field);
	*has = rc == 0;
	return rc;
}

static int record_get(json_t *o, struct wl_audit_record *r,
		      const char **field)
{
	json_t *em = json_object_get(o, "emergency");
	int rc;

	rc = wl_json_get_text(o, "action", r->action, sizeof(r->action),
			      field);
	if (rc == 0)
		rc = wl_json_get_text(o, "outcome", r->outcome,
				      sizeof(r->outcome), field);
	if (rc == 0)
		rc = wl_json_get_text(o, "username", r->username,
				      sizeof(r->username), field);
	if (rc == 0)
		rc = wl_json_get_text(o, "patient", r->patient,
				      sizeof(r->patient), field);
	if (rc == 0)
		rc = wl_json_get_text(o, "detail", r->detail,
				      sizeof(r->detail), field);
	if (rc == 0)
		rc = wl_json_get_uint(o, "at_ms", 0, INT64_MAX, &r->at_ms,
				      field);
	if (rc == 0)
		rc = get_id(o, "user", r->user, &r->has_user, field);
	if (rc == 0)
		rc = get_id(o, "space", r->space, &r->has_space, field);
	if (rc == 0 && !json_is_boolean(em)) {
		*field = "emergency";
		rc = em == NULL ? WL_ETRUNC : WL_EINVAL;
	}
	if (rc == 0)
		r->emergency = json_is_true(em);
	return rc;
}

/* Check the text members of R as the encoder does, and name the first one
 * at fault in *FIELD. */
static int record_text_check(const struct wl_audit_record *r,
			     const char **field)
{
	const struct {
		const char *name;
		const char *value;
		int required;
	} texts[] = {
		{"action", r->action, 1},     {"outcome", r->outcome, 1},
		{"username", r->username, 0}, {"patient", r->patient, 0},
		{"detail", r->detail, 0},
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if ((texts[i].required && texts[i].value[0] == '\0') ||
		    !text_ok(texts[i].value)) {
			*field = texts[i].name;
			return WL_EINVAL;
		}
	}
	return 0;
}

int wl_audit_record_decode(const unsigned char *buf, size_t len,
			   struct wl_audit_record *out, const char **field)
{
	struct wl_audit_record r;
	const char *bad = NULL;
	json_t *o = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = wl_json_load_object(buf, len, WL_AUDIT_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, record_members,
					   COUNT(record_members),
					   WL_AUDIT_VERSION, &bad);
	if (rc == 0)
		rc = record_get(o, &r, &bad);
	json_decref(o);

	if (rc == 0)
		rc = record_text_check(&r, &bad);
	if (rc == 0)
		*out = r;
	if (field != NULL)
		*field = rc == 0 ? NULL : bad;
	return rc;
}

void wl_audit_keypair(const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
		      unsigned char pk[32], unsigned char sk[32])
{
	static const unsigned char context[] = "wardline audit v1";

	crypto_generichash(sk, 32, key, WL_KEYS_SPACE_KEY_SIZE, context,
			   sizeof(context) - 1);
	crypto_scalarmult_base(pk, sk);
}

/* The symmetric key of one sealed record. */
static int record_key(const unsigned char shared[32],
		      const unsigned char eph_pk[32],
		      const unsigned char audit_pk[32], unsigned char key[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, shared, 32);
	crypto_generichash_update(&st, eph_pk, 32);
	crypto_generichash_update(&st, audit_pk, 32);
	crypto_generichash_final(&st, key, 32);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int wl_audit_seal(void *arg, const struct wl_event_header *h,
		  const unsigned char *plain, size_t len, unsigned char *out)
{
	const unsigned char *audit_pk = arg;
	unsigned char packed[WL_EVENT_HEADER_SIZE];
	unsigned char eph_sk[32];
	unsigned char shared[32];
	unsigned char key[32];
	unsigned long long clen = 0;
	int rc = 0;

	if (h->body_len != len + WL_AUDIT_SEAL_OVERHEAD)
		return WL_EINVAL;

	randombytes_buf(eph_sk, sizeof(eph_sk));
	crypto_scalarmult_base(out, eph_sk);
	if (crypto_scalarmult(shared, eph_sk, audit_pk) != 0)
		rc = WL_EINVAL;
	sodium_memzero(eph_sk, sizeof(eph_sk));
	if (rc == 0) {
		record_key(shared, out, audit_pk, key);
		wl_event_header_pack(h, packed);
		randombytes_buf(out + 32, 24);
		crypto_aead_xchacha20poly1305_ietf_encrypt(
			out + 56, &clen, plain, len, packed, WL_EVENT_AD_SIZE,
			NULL, out + 32, key);
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	return rc;
}

int wl_audit_open(const struct wl_event_header *h,
		  const unsigned char space_key[WL_KEYS_SPACE_KEY_SIZE],
		  const unsigned char *body, size_t len, unsigned char *out,
		  size_t *outlen)
{
	unsigned char packed[WL_EVENT_HEADER_SIZE];
	unsigned char pk[32], sk[32], shared[32], key[32];
	unsigned long long plen = 0;
	int rc = 0;

	if (len < WL_AUDIT_SEAL_OVERHEAD)
		return WL_ETRUNC;

	wl_audit_keypair(space_key, pk, sk);
	if (crypto_scalarmult(shared, sk, body) != 0)
		rc = WL_EAUTH;
	sodium_memzero(sk, sizeof(sk));
	if (rc == 0) {
		record_key(shared, body, pk, key);
		wl_event_header_pack(h, packed);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    out, &plen, NULL, body + 56, len - 56, packed,
			    WL_EVENT_AD_SIZE, body + 32, key) != 0)
			rc = WL_EAUTH;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	if (rc == 0)
		*outlen = (size_t)plen;
	return rc;
}

int wl_audit_check_header(const struct wl_event_header *h,
			  const unsigned char audit_id[WL_KEYS_SPACE_ID_SIZE],
			  uint32_t epoch)
{
	if (h->flags & WL_EVENT_F_AUTHOR)
		return WL_EAUTH;
	if (!(h->flags & WL_EVENT_F_ENCRYPTED))
		return WL_EFLAGS;
	if (memcmp(h->space, audit_id, WL_KEYS_SPACE_ID_SIZE) != 0)
		return WL_EINVAL;
	if (h->epoch == 0 || h->epoch > epoch)
		return WL_ERANGE;
	if (h->body_len < WL_AUDIT_SEAL_OVERHEAD + 2)
		return WL_ETRUNC;
	return 0;
}

int wl_audit_draft(const struct wl_spaces *sp,
		   const struct wl_audit_record *rec, struct wl_audit_draft *d)
{
	const struct wl_space *audit = wl_spaces_audit(sp);
	const struct wl_space_epoch *e;
	size_t len = 0;
	int rc;

	e = audit ? wl_space_epoch_at(audit, audit->epoch) : NULL;
	if (e == NULL || !e->has_audit_pk)
		return WL_ENOTFOUND;
	rc = wl_audit_record_encode(rec, d->json, sizeof(d->json), &len);
	if (rc != 0)
		return rc;

	memcpy(d->pk, e->audit_pk, 32);
	memset(&d->item, 0, sizeof(d->item));
	d->item.kind = WL_KIND_AUDIT;
	memcpy(d->item.space, audit->id, WL_EVENT_SPACE_SIZE);
	d->item.epoch = audit->epoch;
	d->item.body = d->json;
	d->item.body_len = len;
	d->item.seal = wl_audit_seal;
	d->item.seal_arg = d->pk;
	d->item.seal_overhead = WL_AUDIT_SEAL_OVERHEAD;
	return 0;
}
