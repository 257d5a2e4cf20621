/* User key bundles, space key envelopes, password and PIN rules.
 *
 * A user has an Ed25519 key pair (signs the user's events) and an X25519 key
 * pair (receives space keys). The user bundle is the body of a
 * WL_KIND_USER_BUNDLE event. It publishes the user's identity and public
 * keys to the whole site, and it carries both secret keys wrapped under the
 * user's password, so that the user can log in on any node while the
 * network is down:
 *
 *   wrapping key = Argon2id13(password, salt, opslimit, memlimit), 32 bytes
 *   wrapped      = nonce (24) || XChaCha20-Poly1305(sign_sk || box_sk)
 *   associated data = "wardline user keys v1" || user_id || sign_pk || box_pk
 *
 * The associated data ties the wrapped keys to one user id and one pair of
 * public keys, so a wrapped blob copied into another bundle does not open.
 *
 * A space has one 32-byte key per epoch. A key envelope, the body of a
 * WL_KIND_KEY_ENVELOPE event, carries the key of one (space, epoch) sealed
 * to one member's X25519 public key (crypto_box_seal), with the space id,
 * epoch and recipient in clear for routing. The sealed plaintext repeats
 * them, and opening fails unless the two copies agree. A sealed box does not
 * show who sealed it. An envelope is therefore only as trustworthy as the
 * author signature of its event, which must be by a user whom the access
 * table lets add members to that space.
 *
 * Both bodies are compact JSON documents, specified by the encoders below.
 * Binary fields are standard base64 with padding. The decoders are strict:
 * every member is required, unknown members and duplicate keys are
 * rejected, and every length is checked.
 *
 * This module is pure: no I/O of its own, no logging, no global state. The
 * program must have called sodium_init() first.
 * NOTE: jansson opens /dev/urandom once per process, at the first JSON
 * object, to seed its hash tables. A program that gives up file access
 * must have encoded or decoded one bundle or envelope before.
 */
#ifndef WARDLINE_KEYS_H
#define WARDLINE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/access.h"

#define WL_KEYS_VERSION 1
#define WL_KEYS_USER_ID_SIZE 16
#define WL_KEYS_SPACE_ID_SIZE 16
#define WL_KEYS_SIGN_PK_SIZE 32 /* crypto_sign_PUBLICKEYBYTES */
#define WL_KEYS_SIGN_SK_SIZE 64 /* crypto_sign_SECRETKEYBYTES */
#define WL_KEYS_BOX_PK_SIZE 32  /* crypto_box_PUBLICKEYBYTES */
#define WL_KEYS_BOX_SK_SIZE 32  /* crypto_box_SECRETKEYBYTES */
#define WL_KEYS_SALT_SIZE 16    /* crypto_pwhash_SALTBYTES */
#define WL_KEYS_SPACE_KEY_SIZE 32
#define WL_KEYS_WRAP_NONCE_SIZE 24 /* XChaCha20-Poly1305 nonce */
#define WL_KEYS_WRAP_TAG_SIZE 16
#define WL_KEYS_WRAPPED_SIZE                                                   \
	(WL_KEYS_WRAP_NONCE_SIZE + WL_KEYS_SIGN_SK_SIZE +                      \
	 WL_KEYS_BOX_SK_SIZE + WL_KEYS_WRAP_TAG_SIZE)
/* Sealed plaintext: "WLE1", space id, epoch (u32 BE), recipient, key; then
 * the crypto_box_seal overhead (ephemeral public key and tag, 48 bytes). */
#define WL_KEYS_SEALED_SIZE                                                    \
	(4 + WL_KEYS_SPACE_ID_SIZE + 4 + WL_KEYS_USER_ID_SIZE +                \
	 WL_KEYS_SPACE_KEY_SIZE + 48)

#define WL_KEYS_USERNAME_MAX 32      /* bytes: a-z 0-9 . _ - */
#define WL_KEYS_DISPLAY_NAME_MAX 128 /* bytes of UTF-8 */
/* The longest JSON the decoders accept. The encoders stay below: the
 * largest bundle, whose display name is 128 quotes that JSON escapes, is 772
 * bytes, and the largest envelope, at epoch 4294967295, is 275 bytes. */
#define WL_KEYS_BUNDLE_JSON_MAX 1024
#define WL_KEYS_ENVELOPE_JSON_MAX 512

/* Argon2id13 cost of deriving the wrapping key from a password.
 * OPSLIMIT is the number of passes, MEMLIMIT the memory in bytes. */
struct wl_keys_pwhash {
	uint64_t opslimit;
	uint64_t memlimit;
};

/* The cost for new and changed passwords: 3 passes over 256 MiB, the
 * values of libsodium's crypto_pwhash_OPSLIMIT_MODERATE and
 * MEMLIMIT_MODERATE. Measured on 2026-12-04 on a 2-core AMD EPYC virtual
 * machine with libsodium 1.0.18, by a loop of 30 wl_keys_unwrap calls, one
 * unwrap took 0.43 to 0.50 s, median 0.45 s. The same derivation took up
 * to 0.71 s while other builds ran on the machine.
 * That keeps a login under a second while every guess of an offline attack
 * on a copied bundle costs as much. Each bundle records its own cost, so a
 * lower cost for slower devices needs no change of format. */
#define WL_KEYS_PWHASH_DEFAULT                                                 \
	((struct wl_keys_pwhash){3, UINT64_C(256) * 1024 * 1024})
/* The cheapest cost libsodium allows (crypto_pwhash_OPSLIMIT_MIN and
 * crypto_pwhash_MEMLIMIT_MIN): for unit tests only. */
#define WL_KEYS_PWHASH_TEST ((struct wl_keys_pwhash){1, 8192})
/* Bounds a bundle's cost must lie within, so that a bundle cannot make a
 * login run for minutes or allocate more memory than a ward device has. */
#define WL_KEYS_PWHASH_OPSLIMIT_MAX 16
#define WL_KEYS_PWHASH_MEMLIMIT_MAX (UINT64_C(1024) * 1024 * 1024)

/* A user bundle. Strings are NUL-terminated. */
struct wl_keys_bundle {
	unsigned char user_id[WL_KEYS_USER_ID_SIZE];
	char username[WL_KEYS_USERNAME_MAX + 1];
	char display_name[WL_KEYS_DISPLAY_NAME_MAX + 1];
	enum wl_role role;
	int disabled; /* 1: the account may not log in (JSON "disabled") */
	unsigned char sign_pk[WL_KEYS_SIGN_PK_SIZE]; /* Ed25519 */
	unsigned char box_pk[WL_KEYS_BOX_PK_SIZE];   /* X25519 */
	unsigned char salt[WL_KEYS_SALT_SIZE];
	struct wl_keys_pwhash pwhash;
	unsigned char wrapped[WL_KEYS_WRAPPED_SIZE];
};

/* A user's secret keys, in sodium_malloc memory that is read-only once
 * filled. Free with wl_keys_secret_free. */
struct wl_keys_secret {
	unsigned char sign_sk[WL_KEYS_SIGN_SK_SIZE]; /* Ed25519, seed || pk */
	unsigned char box_sk[WL_KEYS_BOX_SK_SIZE];   /* X25519 */
};

/* A space key sealed to one member. */
struct wl_keys_envelope {
	unsigned char space_id[WL_KEYS_SPACE_ID_SIZE];
	uint32_t epoch;
	unsigned char recipient[WL_KEYS_USER_ID_SIZE]; /* user id */
	unsigned char sealed[WL_KEYS_SEALED_SIZE];
};

/* Check a username: 1 to WL_KEYS_USERNAME_MAX characters of a-z, 0-9, '.',
 * '_' and '-', starting with a letter. Returns 0 or WL_EINVAL. */
int wl_keys_username_check(const char *username);

/* Check a display name: 1 to WL_KEYS_DISPLAY_NAME_MAX bytes of UTF-8 with
 * no control character. Returns 0 or WL_EINVAL. */
int wl_keys_display_name_check(const char *name);

/* Make a user: new Ed25519 and X25519 key pairs wrapped under PASSWORD
 * (NUL-terminated, not empty) at the cost COST, with a fresh salt and
 * nonce. USER_ID is NULL for a new user, whose id is then 16 random bytes,
 * or the id of an existing user whose keys an admin replaces. Fills *OUT.
 * When SECRET is not NULL, *SECRET receives the new secret keys (free them
 * with wl_keys_secret_free); otherwise they are wiped. The password rules
 * are not applied here: call wl_keys_password_check first. Takes one
 * Argon2id derivation. Returns 0, WL_EINVAL (invalid username, display
 * name, role, empty password or cost out of bounds) or WL_ENOMEM. */
int wl_keys_user_new(const unsigned char *user_id, const char *username,
		     const char *display_name, enum wl_role role,
		     const char *password, const struct wl_keys_pwhash *cost,
		     struct wl_keys_bundle *out,
		     struct wl_keys_secret **secret);

/* Unwrap the secret keys of BUNDLE with PASSWORD into *SECRET, newly
 * allocated with sodium_malloc and read-only; free it with
 * wl_keys_secret_free. Also checks that the unwrapped keys belong to the
 * bundle's public keys. *SECRET is NULL on failure. Takes one Argon2id
 * derivation at the bundle's cost. Returns 0, WL_EAUTH (wrong password, or
 * a wrapped blob, salt or public key that was changed), WL_EINVAL (cost
 * out of bounds) or WL_ENOMEM. */
int wl_keys_unwrap(const struct wl_keys_bundle *bundle, const char *password,
		   struct wl_keys_secret **secret)
	__attribute__((warn_unused_result));

/* Wrap SECRET again under NEW_PASSWORD at the cost COST, with a fresh salt
 * and nonce, replacing the salt, cost and wrapped blob of BUNDLE; the keys
 * and every other field stay. This is the password change: the caller
 * unwrapped SECRET with the old password at login. The password rules are
 * not applied here. Returns 0, WL_EINVAL (SECRET does not belong to
 * BUNDLE, empty password, cost out of bounds) or WL_ENOMEM; BUNDLE is
 * unchanged on failure. */
int wl_keys_rewrap(struct wl_keys_bundle *bundle,
		   const struct wl_keys_secret *secret,
		   const char *new_password, const struct wl_keys_pwhash *cost);

/* Wipe and free SECRET. Accepts NULL. */
void wl_keys_secret_free(struct wl_keys_secret *secret);

/* Encode BUNDLE as compact JSON with sorted keys into OUT (OUTSIZE bytes,
 * not NUL-terminated) and store the length in *OUTLEN:
 *
 *   {"box_pk":B64,"display_name":STR,"memlimit":INT,"opslimit":INT,
 *    "role":STR,"salt":B64,"sign_pk":B64,"user_id":B64,"username":STR,
 *    "v":1,"wrapped":B64}
 *
 * with "disabled":true added, in key order, for a disabled account only.
 *
 * Returns 0, WL_EINVAL (a field that the decoder would reject) or WL_ETOOBIG
 * (OUTSIZE too small; WL_KEYS_BUNDLE_JSON_MAX always suffices). */
int wl_keys_bundle_encode(const struct wl_keys_bundle *bundle,
			  unsigned char *out, size_t outsize, size_t *outlen);

/* Decode the JSON bundle of LEN bytes at BUF into *OUT, which is written
 * only on success. No password is needed and nothing is unwrapped. When
 * FIELD is not NULL, *FIELD is set to the static name of the offending
 * member on failure ("salt"), or to NULL when the document as a whole is
 * at fault or on success. Returns 0, or:
 *   WL_ETOOBIG  LEN above WL_KEYS_BUNDLE_JSON_MAX, or a string too long;
 *   WL_EINVAL   not one JSON object, a duplicate or unknown member, a wrong
 *               type, bad base64 or length, an invalid username, display
 *               name, role or signing key;
 *   WL_ETRUNC   a member is missing;
 *   WL_EVERSION "v" is not 1;
 *   WL_ERANGE   opslimit or memlimit outside the WL_KEYS_PWHASH bounds. */
int wl_keys_bundle_decode(const unsigned char *buf, size_t len,
			  struct wl_keys_bundle *out, const char **field);

/* Fill KEY with a new random space key, for a new space or a new epoch. */
void wl_keys_space_key_new(unsigned char key[WL_KEYS_SPACE_KEY_SIZE]);

/* Seal KEY, the key of SPACE_ID at EPOCH, to the member RECIPIENT_ID whose
 * X25519 public key is RECIPIENT_BOX_PK. Fills *OUT. Returns 0 or WL_EINVAL
 * (the public key is a point that crypto_box rejects). */
int wl_keys_envelope_seal(
	const unsigned char space_id[WL_KEYS_SPACE_ID_SIZE], uint32_t epoch,
	const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
	const unsigned char recipient_id[WL_KEYS_USER_ID_SIZE],
	const unsigned char recipient_box_pk[WL_KEYS_BOX_PK_SIZE],
	struct wl_keys_envelope *out);

/* Open ENV as the user USER_ID with the X25519 key pair BOX_PK, BOX_SK and
 * write the space key to KEY (wiped on failure). Returns 0 or WL_EAUTH: the
 * envelope is addressed to another user, was sealed to another key, was
 * changed, or its sealed space id, epoch or recipient differ from the
 * clear ones. */
int wl_keys_envelope_open(const struct wl_keys_envelope *env,
			  const unsigned char user_id[WL_KEYS_USER_ID_SIZE],
			  const unsigned char box_pk[WL_KEYS_BOX_PK_SIZE],
			  const unsigned char box_sk[WL_KEYS_BOX_SK_SIZE],
			  unsigned char key[WL_KEYS_SPACE_KEY_SIZE])
	__attribute__((warn_unused_result));

/* Encode ENV as compact JSON with sorted keys, like wl_keys_bundle_encode:
 *
 *   {"epoch":INT,"recipient":B64,"sealed":B64,"space_id":B64,"v":1}
 *
 * Returns 0 or WL_ETOOBIG (OUTSIZE too small; WL_KEYS_ENVELOPE_JSON_MAX
 * always suffices). */
int wl_keys_envelope_encode(const struct wl_keys_envelope *env,
			    unsigned char *out, size_t outsize, size_t *outlen);

/* Decode a JSON envelope as wl_keys_bundle_decode decodes a bundle, with
 * the limit WL_KEYS_ENVELOPE_JSON_MAX. Returns 0, WL_ETOOBIG, WL_EINVAL,
 * WL_ETRUNC, WL_EVERSION or WL_ERANGE (epoch above UINT32_MAX). */
int wl_keys_envelope_decode(const unsigned char *buf, size_t len,
			    struct wl_keys_envelope *out, const char **field);

/* Password rules, after NIST SP 800-63B section 5.1.1.2. Lengths count
 * characters (Unicode code points), and there are no composition rules. */
#define WL_KEYS_PASSWORD_MIN 8
#define WL_KEYS_PASSWORD_MAX 128

/* Check PASSWORD (NUL-terminated) for a user named USERNAME (may be NULL).
 * Returns 0 when it may be used, or:
 *   WL_EINVAL  not valid UTF-8, or contains a control character;
 *   WL_ETRUNC  fewer than WL_KEYS_PASSWORD_MIN characters;
 *   WL_ETOOBIG more than WL_KEYS_PASSWORD_MAX characters;
 *   WL_EEXIST  the username, ignoring case, alone or followed only by
 *              digits, punctuation and spaces ("JSmith", "jsmith2026!");
 *   WL_EDENIED a common password, ignoring case, alone or followed only by
 *              digits, punctuation and spaces ("Sunshine1!"); or one
 *              character repeated, a run of consecutive characters
 *              ("abcdefgh", "98765432"), or a unit of at most four
 *              characters repeated ("abcabcabc").
 * NOTE: passwords are compared and hashed byte for byte, without Unicode
 * normalization, so the same accented password typed in a different
 * composed form does not match. */
int wl_keys_password_check(const char *password, const char *username)
	__attribute__((warn_unused_result));

/* Return a sentence for the user that explains a code of
 * wl_keys_password_check ("Use at least 8 characters."), or NULL for 0 and
 * for codes that function does not return. The string is static. */
const char *wl_keys_password_problem(int rc);

/* PIN rules for unlocking an idle session. */
#define WL_KEYS_PIN_MIN 4
#define WL_KEYS_PIN_MAX 8

/* Check PIN (NUL-terminated). Returns 0 when it may be used, or:
 *   WL_EINVAL  a character other than an ASCII digit;
 *   WL_ETRUNC  fewer than WL_KEYS_PIN_MIN digits;
 *   WL_ETOOBIG more than WL_KEYS_PIN_MAX digits;
 *   WL_EDENIED one digit repeated ("0000"), one or two digits repeated
 *              ("1212"), or digits ascending or descending by one, where 0
 *              follows 9 ("1234", "4321", "7890"). */
int wl_keys_pin_check(const char *pin) __attribute__((warn_unused_result));

/* Return a sentence for the user that explains a code of wl_keys_pin_check,
 * or NULL for 0 and for codes that function does not return. Static. */
const char *wl_keys_pin_problem(int rc);

#endif
