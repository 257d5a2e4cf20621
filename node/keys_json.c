/* JSON forms of user bundles and key envelopes, with strict decoders. */
#include "wardline/keys.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/json.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL
/* Room for the base64 of the largest binary field, the wrapped keys. */
#define B64_BUF_SIZE                                                           \
	sodium_base64_ENCODED_LEN(WL_KEYS_WRAPPED_SIZE, B64_VARIANT)
_Static_assert(WL_KEYS_SEALED_SIZE <= WL_KEYS_WRAPPED_SIZE, "b64 buffer");

static const char *const bundle_members[] = {
	"box_pk", "disabled", "display_name", "memlimit", "opslimit", "role",
	"salt", "sign_pk", "user_id", "username", "v", "wrapped",
};

static const char *const envelope_members[] = {
	"epoch", "recipient", "sealed", "space_id", "v",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Base64 text of one binary field of a bundle or envelope. */
struct b64_text {
	char text[B64_BUF_SIZE];
};

static void b64_encode(struct b64_text *out, const unsigned char *bin,
		       size_t len)
{
	sodium_bin2base64(out->text, sizeof(out->text), bin, len, B64_VARIANT);
}

static int bundle_fields_check(const struct wl_keys_bundle *b)
{
	if (wl_keys_username_check(b->username) != 0 ||
	    wl_keys_display_name_check(b->display_name) != 0 ||
	    wl_access_role_name(b->role) == NULL ||
	    b->pwhash.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    b->pwhash.opslimit > WL_KEYS_PWHASH_OPSLIMIT_MAX ||
	    b->pwhash.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    b->pwhash.memlimit > WL_KEYS_PWHASH_MEMLIMIT_MAX)
		return WL_EINVAL;
	return 0;
}

int wl_keys_bundle_encode(const struct wl_keys_bundle *b, unsigned char *out,
			  size_t outsize, size_t *outlen)
{
	struct b64_text user_id, sign_pk, box_pk, salt, wrapped;
	json_t *o;

	if (bundle_fields_check(b) != 0)
		return WL_EINVAL;

	b64_encode(&user_id, b->user_id, WL_KEYS_USER_ID_SIZE);
	b64_encode(&sign_pk, b->sign_pk, WL_KEYS_SIGN_PK_SIZE);
	b64_encode(&box_pk, b->box_pk, WL_KEYS_BOX_PK_SIZE);
	b64_encode(&salt, b->salt, WL_KEYS_SALT_SIZE);
	b64_encode(&wrapped, b->wrapped, WL_KEYS_WRAPPED_SIZE);

	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
		      "v", WL_KEYS_VERSION, "user_id", user_id.text,
		      "username", b->username, "display_name", b->display_name,
		      "role", wl_access_role_name(b->role), "sign_pk",
		      sign_pk.text, "box_pk", box_pk.text, "salt", salt.text,
		      "opslimit", (json_int_t)b->pwhash.opslimit, "memlimit",
		      (json_int_t)b->pwhash.memlimit, "wrapped", wrapped.text);

	/* Only a disabled account carries the member, so that one bundle has
	 * one encoding. */
	if (o != NULL && b->disabled &&
	    json_object_set_new(o, "disabled", json_true()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return wl_json_dump(o, out, outsize, outlen);
}

int wl_keys_envelope_encode(const struct wl_keys_envelope *env,
			    unsigned char *out, size_t outsize, size_t *outlen)
{
	struct b64_text space_id, recipient, sealed;
	json_t *o;

	b64_encode(&space_id, env->space_id, WL_KEYS_SPACE_ID_SIZE);
	b64_encode(&recipient, env->recipient, WL_KEYS_USER_ID_SIZE);
	b64_encode(&sealed, env->sealed, WL_KEYS_SEALED_SIZE);

	o = json_pack("{s:i, s:s, s:I, s:s, s:s}", "v", WL_KEYS_VERSION,
		      "space_id", space_id.text, "epoch",
		      (json_int_t)env->epoch, "recipient", recipient.text,
		      "sealed", sealed.text);
	return wl_json_dump(o, out, outsize, outlen);
}

/* Decode the identity members of a bundle: id, names and role. */
static int bundle_identity(json_t *o, struct wl_keys_bundle *b,
			   const char **field)
{
	const char *role = NULL;
	size_t len = 0;
	int rc;

	rc = wl_json_get_b64(o, "user_id", b->user_id, WL_KEYS_USER_ID_SIZE, field);
	if (rc == 0)
		rc = wl_json_get_text(o, "username", b->username, sizeof(b->username),
			      field);
	if (rc == 0)
		rc = wl_json_get_text(o, "display_name", b->display_name,
			      sizeof(b->display_name), field);
	if (rc == 0)
		rc = wl_json_get_string(o, "role", &role, &len, field);
	if (rc != 0)
		return rc;

	if (json_object_get(o, "disabled") != NULL) {
		if (!json_is_true(json_object_get(o, "disabled"))) {
			*field = "disabled";
			return WL_EINVAL;
		}
		b->disabled = 1;
	}

	if (wl_keys_username_check(b->username) != 0)
		*field = "username";
	else if (wl_keys_display_name_check(b->display_name) != 0)
		*field = "display_name";
	else if (wl_access_role_parse(role, &b->role) != 0)
		*field = "role";
	else
		return 0;
	return WL_EINVAL;
}

/* Decode the key members of a bundle: public keys, salt, cost, wrapped. */
static int bundle_keys(json_t *o, struct wl_keys_bundle *b,
		       const char **field)
{
	int rc;

	rc = wl_json_get_b64(o, "sign_pk", b->sign_pk, WL_KEYS_SIGN_PK_SIZE, field);
	if (rc == 0 && !crypto_core_ed25519_is_valid_point(b->sign_pk)) {
		*field = "sign_pk";
		rc = WL_EINVAL;
	}
	if (rc == 0)
		rc = wl_json_get_b64(o, "box_pk", b->box_pk, WL_KEYS_BOX_PK_SIZE,
			     field);
	if (rc == 0)
		rc = wl_json_get_b64(o, "salt", b->salt, WL_KEYS_SALT_SIZE, field);
	if (rc == 0)
		rc = wl_json_get_uint(o, "opslimit", crypto_pwhash_OPSLIMIT_MIN,
			      WL_KEYS_PWHASH_OPSLIMIT_MAX, &b->pwhash.opslimit,
			      field);
	if (rc == 0)
		rc = wl_json_get_uint(o, "memlimit", crypto_pwhash_MEMLIMIT_MIN,
			      WL_KEYS_PWHASH_MEMLIMIT_MAX, &b->pwhash.memlimit,
			      field);
	if (rc == 0)
		rc = wl_json_get_b64(o, "wrapped", b->wrapped, WL_KEYS_WRAPPED_SIZE,
			     field);
	return rc;
}

int wl_keys_bundle_decode(const unsigned char *buf, size_t len,
			  struct wl_keys_bundle *out, const char **field)
{
	struct wl_keys_bundle b;
	const char *bad = NULL;
	json_t *o = NULL;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = wl_json_load_object(buf, len, WL_KEYS_BUNDLE_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, bundle_members,
					   COUNT(bundle_members),
					   WL_KEYS_VERSION, &bad);
	if (rc == 0)
		rc = bundle_identity(o, &b, &bad);
	if (rc == 0)
		rc = bundle_keys(o, &b, &bad);
	json_decref(o);

	if (rc == 0)
		*out = b;
	if (field != NULL)
		*field = rc == 0 ? NULL : bad;
	return rc;
}

/* Decode the members of an envelope after its version was checked. */
static int envelope_members_get(json_t *o, struct wl_keys_envelope *env,
				const char **field)
{
	uint64_t epoch = 0;
	int rc;

	rc = wl_json_get_b64(o, "space_id", env->space_id, WL_KEYS_SPACE_ID_SIZE,
		     field);
	if (rc == 0)
		rc = wl_json_get_uint(o, "epoch", 0, UINT32_MAX, &epoch, field);
	if (rc == 0)
		rc = wl_json_get_b64(o, "recipient", env->recipient,
			     WL_KEYS_USER_ID_SIZE, field);
	if (rc == 0)
		rc = wl_json_get_b64(o, "sealed", env->sealed, WL_KEYS_SEALED_SIZE,
			     field);
	env->epoch = (uint32_t)epoch;
	return rc;
}

int wl_keys_envelope_decode(const unsigned char *buf, size_t len,
			    struct wl_keys_envelope *out, const char **field)
{
	struct wl_keys_envelope env;
	const char *bad = NULL;
	json_t *o = NULL;
	int rc;

	memset(&env, 0, sizeof(env));
	rc = wl_json_load_object(buf, len, WL_KEYS_ENVELOPE_JSON_MAX, &o);
	if (rc == 0)
		rc = wl_json_check_members(o, envelope_members,
					   COUNT(envelope_members),
					   WL_KEYS_VERSION, &bad);
	if (rc == 0)
		rc = envelope_members_get(o, &env, &bad);
	json_decref(o);

	if (rc == 0)
		*out = env;
	if (field != NULL)
		*field = rc == 0 ? NULL : bad;
	return rc;
}
