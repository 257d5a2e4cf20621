/* User keys wrapped under a password, and space keys sealed to members.
 * The JSON forms are in keys_json.c, the password rules in keys_password.c.
 */
#include "wardline/keys.h"

#include <sodium.h>
#include <string.h>

#include "wardline/error.h"

_Static_assert(WL_KEYS_SIGN_PK_SIZE == crypto_sign_PUBLICKEYBYTES, "sign pk");
_Static_assert(WL_KEYS_SIGN_SK_SIZE == crypto_sign_SECRETKEYBYTES, "sign sk");
_Static_assert(WL_KEYS_BOX_PK_SIZE == crypto_box_PUBLICKEYBYTES, "box pk");
_Static_assert(WL_KEYS_BOX_SK_SIZE == crypto_box_SECRETKEYBYTES, "box sk");
_Static_assert(WL_KEYS_SALT_SIZE == crypto_pwhash_SALTBYTES, "salt");
_Static_assert(WL_KEYS_WRAP_NONCE_SIZE ==
		       crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "wrap nonce");
_Static_assert(WL_KEYS_WRAP_TAG_SIZE ==
		       crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "wrap tag");
/* The secret struct is encrypted as it lies in memory, so it must have no
 * padding. */
_Static_assert(sizeof(struct wl_keys_secret) ==
		       WL_KEYS_SIGN_SK_SIZE + WL_KEYS_BOX_SK_SIZE,
	       "secret layout");

#define WRAP_CONTEXT "wardline user keys v1"
#define WRAP_CONTEXT_LEN (sizeof(WRAP_CONTEXT) - 1)
#define WRAP_AD_SIZE                                                           \
	(WRAP_CONTEXT_LEN + WL_KEYS_USER_ID_SIZE + WL_KEYS_SIGN_PK_SIZE +      \
	 WL_KEYS_BOX_PK_SIZE)
#define WRAP_KEY_SIZE crypto_aead_xchacha20poly1305_ietf_KEYBYTES

#define ENVELOPE_MAGIC "WLE1"
#define ENVELOPE_PLAIN_SIZE                                                    \
	(4 + WL_KEYS_SPACE_ID_SIZE + 4 + WL_KEYS_USER_ID_SIZE +                \
	 WL_KEYS_SPACE_KEY_SIZE)
_Static_assert(WL_KEYS_SEALED_SIZE ==
		       ENVELOPE_PLAIN_SIZE + crypto_box_SEALBYTES,
	       "sealed size");

static int pwhash_check(const struct wl_keys_pwhash *cost)
{
	if (cost == NULL || cost->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    cost->opslimit > WL_KEYS_PWHASH_OPSLIMIT_MAX ||
	    cost->memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    cost->memlimit > WL_KEYS_PWHASH_MEMLIMIT_MAX)
		return WL_EINVAL;
	return 0;
}

/* Derive the wrapping key. The callers check the cost first, so
 * crypto_pwhash can fail only when it cannot allocate the memory. */
static int derive_key(const char *password,
		      const unsigned char salt[WL_KEYS_SALT_SIZE],
		      const struct wl_keys_pwhash *cost,
		      unsigned char key[WRAP_KEY_SIZE])
{
	if (crypto_pwhash(key, WRAP_KEY_SIZE, password, strlen(password), salt,
			  cost->opslimit, (size_t)cost->memlimit,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return WL_ENOMEM;
	return 0;
}

static void wrap_ad(const struct wl_keys_bundle *b,
		    unsigned char ad[WRAP_AD_SIZE])
{
	unsigned char *p = ad;

	memcpy(p, WRAP_CONTEXT, WRAP_CONTEXT_LEN);
	p += WRAP_CONTEXT_LEN;
	memcpy(p, b->user_id, WL_KEYS_USER_ID_SIZE);
	p += WL_KEYS_USER_ID_SIZE;
	memcpy(p, b->sign_pk, WL_KEYS_SIGN_PK_SIZE);
	p += WL_KEYS_SIGN_PK_SIZE;
	memcpy(p, b->box_pk, WL_KEYS_BOX_PK_SIZE);
}

/* Check that both secret keys of S derive the public keys of B: the Ed25519
 * key from its seed, not from the public half stored after the seed. */
static int secret_matches(const struct wl_keys_bundle *b,
			  const struct wl_keys_secret *s)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
	int ok;

	crypto_sign_ed25519_sk_to_seed(seed, s->sign_sk);
	crypto_sign_seed_keypair(sign_pk, sk, seed);
	ok = crypto_scalarmult_base(box_pk, s->box_sk) == 0 &&
	     memcmp(sign_pk, b->sign_pk, sizeof(sign_pk)) == 0 &&
	     sodium_memcmp(sk, s->sign_sk, sizeof(sk)) == 0 &&
	     memcmp(box_pk, b->box_pk, sizeof(box_pk)) == 0;

	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return ok;
}

/* Wrap S under PASSWORD for the identity in B with a fresh salt and nonce.
 * B's salt, cost and wrapped blob change only on success. */
static int keys_wrap(struct wl_keys_bundle *b, const struct wl_keys_secret *s,
		     const char *password, const struct wl_keys_pwhash *cost)
{
	unsigned char key[WRAP_KEY_SIZE];
	unsigned char ad[WRAP_AD_SIZE];
	unsigned char salt[WL_KEYS_SALT_SIZE];
	unsigned char wrapped[WL_KEYS_WRAPPED_SIZE];
	int rc;

	randombytes_buf(salt, sizeof(salt));
	rc = derive_key(password, salt, cost, key);
	if (rc != 0)
		goto out;

	wrap_ad(b, ad);
	randombytes_buf(wrapped, WL_KEYS_WRAP_NONCE_SIZE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		wrapped + WL_KEYS_WRAP_NONCE_SIZE, NULL,
		(const unsigned char *)s, sizeof(*s), ad, sizeof(ad), NULL,
		wrapped, key);

	memcpy(b->salt, salt, sizeof(salt));
	b->pwhash = *cost;
	memcpy(b->wrapped, wrapped, sizeof(wrapped));
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

static struct wl_keys_secret *secret_alloc(void)
{
	return sodium_malloc(sizeof(struct wl_keys_secret));
}

void wl_keys_secret_free(struct wl_keys_secret *secret)
{
	sodium_free(secret); /* wipes the memory first; accepts NULL */
}

static int user_fields_check(const char *username, const char *display_name,
			     enum wl_role role, const char *password,
			     const struct wl_keys_pwhash *cost)
{
	if (wl_keys_username_check(username) != 0 ||
	    wl_keys_display_name_check(display_name) != 0 ||
	    wl_access_role_name(role) == NULL || password == NULL ||
	    password[0] == '\0')
		return WL_EINVAL;
	return pwhash_check(cost);
}

int wl_keys_user_new(const unsigned char *user_id, const char *username,
		     const char *display_name, enum wl_role role,
		     const char *password, const struct wl_keys_pwhash *cost,
		     struct wl_keys_bundle *out,
		     struct wl_keys_secret **secret)
{
	struct wl_keys_secret *s = NULL;
	struct wl_keys_bundle b;
	int rc;

	if (secret != NULL)
		*secret = NULL;
	rc = user_fields_check(username, display_name, role, password, cost);
	if (rc != 0)
		return rc;
	s = secret_alloc();
	if (s == NULL)
		return WL_ENOMEM;

	memset(&b, 0, sizeof(b));
	if (user_id != NULL)
		memcpy(b.user_id, user_id, WL_KEYS_USER_ID_SIZE);
	else
		randombytes_buf(b.user_id, WL_KEYS_USER_ID_SIZE);
	strcpy(b.username, username);
	strcpy(b.display_name, display_name);
	b.role = role;
	crypto_sign_keypair(b.sign_pk, s->sign_sk);
	crypto_box_keypair(b.box_pk, s->box_sk);

	rc = keys_wrap(&b, s, password, cost);
	if (rc != 0)
		goto out;
	*out = b;
	if (secret != NULL) {
		sodium_mprotect_readonly(s);
		*secret = s;
		s = NULL;
	}
out:
	wl_keys_secret_free(s);
	return rc;
}

int wl_keys_unwrap(const struct wl_keys_bundle *bundle, const char *password,
		   struct wl_keys_secret **secret)
{
	unsigned char key[WRAP_KEY_SIZE];
	unsigned char ad[WRAP_AD_SIZE];
	struct wl_keys_secret *s;
	unsigned long long len = 0;
	int rc;

	*secret = NULL;
	if (password == NULL || pwhash_check(&bundle->pwhash) != 0)
		return WL_EINVAL;
	s = secret_alloc();
	if (s == NULL)
		return WL_ENOMEM;

	rc = derive_key(password, bundle->salt, &bundle->pwhash, key);
	if (rc != 0)
		goto out;
	wrap_ad(bundle, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    (unsigned char *)s, &len, NULL,
		    bundle->wrapped + WL_KEYS_WRAP_NONCE_SIZE,
		    WL_KEYS_WRAPPED_SIZE - WL_KEYS_WRAP_NONCE_SIZE, ad,
		    sizeof(ad), bundle->wrapped, key) != 0 ||
	    len != sizeof(*s) || !secret_matches(bundle, s)) {
		rc = WL_EAUTH;
		goto out;
	}

	sodium_mprotect_readonly(s);
	*secret = s;
	s = NULL;
out:
	sodium_memzero(key, sizeof(key));
	wl_keys_secret_free(s);
	return rc;
}

int wl_keys_rewrap(struct wl_keys_bundle *bundle,
		   const struct wl_keys_secret *secret,
		   const char *new_password, const struct wl_keys_pwhash *cost)
{
	if (secret == NULL || new_password == NULL || new_password[0] == '\0' ||
	    pwhash_check(cost) != 0 || !secret_matches(bundle, secret))
		return WL_EINVAL;
	return keys_wrap(bundle, secret, new_password, cost);
}

void wl_keys_space_key_new(unsigned char key[WL_KEYS_SPACE_KEY_SIZE])
{
	randombytes_buf(key, WL_KEYS_SPACE_KEY_SIZE);
}

/* Lay out the sealed plaintext: magic, space id, epoch, recipient, key. */
static void envelope_plain(const unsigned char *space_id, uint32_t epoch,
			   const unsigned char *recipient,
			   const unsigned char *key,
			   unsigned char plain[ENVELOPE_PLAIN_SIZE])
{
	unsigned char *p = plain;

	memcpy(p, ENVELOPE_MAGIC, 4);
	p += 4;
	memcpy(p, space_id, WL_KEYS_SPACE_ID_SIZE);
	p += WL_KEYS_SPACE_ID_SIZE;
	p[0] = (unsigned char)(epoch >> 24);
	p[1] = (unsigned char)(epoch >> 16);
	p[2] = (unsigned char)(epoch >> 8);
	p[3] = (unsigned char)epoch;
	p += 4;
	memcpy(p, recipient, WL_KEYS_USER_ID_SIZE);
	p += WL_KEYS_USER_ID_SIZE;
	if (key != NULL)
		memcpy(p, key, WL_KEYS_SPACE_KEY_SIZE);
	else
		memset(p, 0, WL_KEYS_SPACE_KEY_SIZE);
}

int wl_keys_envelope_seal(
	const unsigned char space_id[WL_KEYS_SPACE_ID_SIZE], uint32_t epoch,
	const unsigned char key[WL_KEYS_SPACE_KEY_SIZE],
	const unsigned char recipient_id[WL_KEYS_USER_ID_SIZE],
	const unsigned char recipient_box_pk[WL_KEYS_BOX_PK_SIZE],
	struct wl_keys_envelope *out)
{
	unsigned char plain[ENVELOPE_PLAIN_SIZE];
	struct wl_keys_envelope env;
	int rc = 0;

	memset(&env, 0, sizeof(env));
	memcpy(env.space_id, space_id, WL_KEYS_SPACE_ID_SIZE);
	env.epoch = epoch;
	memcpy(env.recipient, recipient_id, WL_KEYS_USER_ID_SIZE);

	envelope_plain(space_id, epoch, recipient_id, key, plain);
	if (crypto_box_seal(env.sealed, plain, sizeof(plain),
			    recipient_box_pk) != 0)
		rc = WL_EINVAL;
	else
		*out = env;

	sodium_memzero(plain, sizeof(plain));
	return rc;
}

int wl_keys_envelope_open(const struct wl_keys_envelope *env,
			  const unsigned char user_id[WL_KEYS_USER_ID_SIZE],
			  const unsigned char box_pk[WL_KEYS_BOX_PK_SIZE],
			  const unsigned char box_sk[WL_KEYS_BOX_SK_SIZE],
			  unsigned char key[WL_KEYS_SPACE_KEY_SIZE])
{
	unsigned char plain[ENVELOPE_PLAIN_SIZE];
	unsigned char expect[ENVELOPE_PLAIN_SIZE];
	size_t head = ENVELOPE_PLAIN_SIZE - WL_KEYS_SPACE_KEY_SIZE;
	int rc = WL_EAUTH;

	sodium_memzero(key, WL_KEYS_SPACE_KEY_SIZE);
	if (memcmp(env->recipient, user_id, WL_KEYS_USER_ID_SIZE) != 0)
		return WL_EAUTH;
	if (crypto_box_seal_open(plain, env->sealed, WL_KEYS_SEALED_SIZE,
				 box_pk, box_sk) != 0)
		goto out;

	/* Everything before the key must repeat the clear fields. */
	envelope_plain(env->space_id, env->epoch, env->recipient, NULL, expect);
	if (memcmp(plain, expect, head) != 0)
		goto out;

	memcpy(key, plain + head, WL_KEYS_SPACE_KEY_SIZE);
	rc = 0;
out:
	sodium_memzero(plain, sizeof(plain));
	return rc;
}
