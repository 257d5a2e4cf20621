/* Site root key and node certificates. */
#include "wardline/site.h"

#include <limits.h>
#include <sodium.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/keyfile.h"

/* Prefixed to the certificate bytes before signing, so that a signature made
 * for a certificate can never be replayed as a signature of anything else. */
static const char cert_context[] = "wardline node certificate v1";

#define CERT_ALLOWED_FUTURE_MS (24ull * 3600 * 1000)

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int wl_site_create(const char *site_dir, unsigned char site_pk[32])
{
	char path[PATH_MAX];
	unsigned char *sk;
	int rc;

	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL)
		return WL_ENOMEM;
	crypto_sign_keypair(site_pk, sk);

	rc = wl_path_join(path, sizeof(path), site_dir, WL_SITE_KEY_FILE);
	if (rc == 0)
		rc = wl_keyfile_write(path, sk, crypto_sign_SECRETKEYBYTES,
				      0600, 0);
	sodium_free(sk);
	if (rc != 0)
		return rc;

	rc = wl_path_join(path, sizeof(path), site_dir, WL_SITE_PUB_FILE);
	if (rc == 0)
		rc = wl_keyfile_write(path, site_pk, 32, 0644, 1);
	return rc;
}

int wl_site_load_secret(const char *site_dir, unsigned char **sk,
			unsigned char site_pk[32])
{
	char path[PATH_MAX];
	unsigned char *key;
	int rc;

	*sk = NULL;
	rc = wl_path_join(path, sizeof(path), site_dir, WL_SITE_KEY_FILE);
	if (rc != 0)
		return rc;
	key = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (key == NULL)
		return WL_ENOMEM;

	rc = wl_keyfile_read(path, key, crypto_sign_SECRETKEYBYTES, 1);
	if (rc != 0) {
		sodium_free(key);
		return rc;
	}
	crypto_sign_ed25519_sk_to_pk(site_pk, key);
	*sk = key;
	return 0;
}

int wl_site_load_public(const char *path, unsigned char site_pk[32])
{
	return wl_keyfile_read(path, site_pk, 32, 0);
}

void wl_site_id(const unsigned char site_pk[32],
		unsigned char id[WL_SITE_ID_SIZE])
{
	unsigned char hash[32];

	crypto_generichash(hash, sizeof(hash), site_pk, 32, NULL, 0);
	memcpy(id, hash, WL_SITE_ID_SIZE);
}

int wl_site_name_check(const char *name)
{
	size_t len = strnlen(name, WL_CERT_NAME_MAX + 1);

	if (len == 0 || len > WL_CERT_NAME_MAX)
		return WL_EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '.')))
			return WL_EINVAL;
	}
	return 0;
}

/* Layout: version u8, 3 zero bytes, site key 32, node key 32, issued u64,
 * expires u64, name 32 (NUL-padded), then the signature. */
static void cert_pack_signed(const struct wl_node_cert *c,
			     unsigned char out[WL_CERT_SIGNED_SIZE])
{
	memset(out, 0, WL_CERT_SIGNED_SIZE);
	out[0] = c->version;
	memcpy(out + 4, c->site_pk, 32);
	memcpy(out + 36, c->node_pk, 32);
	put_u64(out + 68, c->issued_ms);
	put_u64(out + 76, c->expires_ms);
	memcpy(out + 84, c->name, strnlen(c->name, WL_CERT_NAME_MAX));
}

static void cert_message(const struct wl_node_cert *c, unsigned char *msg,
			 size_t *len)
{
	memcpy(msg, cert_context, sizeof(cert_context));
	cert_pack_signed(c, msg + sizeof(cert_context));
	*len = sizeof(cert_context) + WL_CERT_SIGNED_SIZE;
}

int wl_cert_issue(const unsigned char *site_sk, const unsigned char node_pk[32],
		  const char *name, uint64_t now_ms, uint64_t expires_ms,
		  struct wl_node_cert *out)
{
	unsigned char msg[sizeof(cert_context) + WL_CERT_SIGNED_SIZE];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (wl_site_name_check(name) != 0)
		return WL_EINVAL;
	if (expires_ms != 0 && expires_ms <= now_ms)
		return WL_EINVAL;

	out->version = WL_CERT_VERSION;
	crypto_sign_ed25519_sk_to_pk(out->site_pk, site_sk);
	memcpy(out->node_pk, node_pk, 32);
	out->issued_ms = now_ms;
	out->expires_ms = expires_ms;
	memcpy(out->name, name, strlen(name));

	cert_message(out, msg, &len);
	crypto_sign_detached(out->sig, NULL, msg, len, site_sk);
	return 0;
}

void wl_cert_encode(const struct wl_node_cert *cert,
		    unsigned char out[WL_CERT_SIZE])
{
	cert_pack_signed(cert, out);
	memcpy(out + WL_CERT_SIGNED_SIZE, cert->sig, 64);
}

int wl_cert_decode(const unsigned char *buf, size_t len,
		   struct wl_node_cert *cert)
{
	static const unsigned char zero[3];

	memset(cert, 0, sizeof(*cert));
	if (len < WL_CERT_SIZE)
		return WL_ETRUNC;
	if (len > WL_CERT_SIZE)
		return WL_ETRAILING;
	if (buf[0] != WL_CERT_VERSION)
		return WL_EVERSION;
	if (memcmp(buf + 1, zero, 3) != 0)
		return WL_EINVAL;

	cert->version = buf[0];
	memcpy(cert->site_pk, buf + 4, 32);
	memcpy(cert->node_pk, buf + 36, 32);
	cert->issued_ms = get_u64(buf + 68);
	cert->expires_ms = get_u64(buf + 76);
	memcpy(cert->name, buf + 84, WL_CERT_NAME_MAX);
	memcpy(cert->sig, buf + WL_CERT_SIGNED_SIZE, 64);

	/* The name field is NUL-padded; its last byte must be a NUL and
	 * nothing may follow the first NUL. */
	if (buf[84 + WL_CERT_NAME_MAX] != 0 ||
	    wl_site_name_check(cert->name) != 0)
		return WL_EINVAL;
	for (size_t i = strlen(cert->name); i < 32; i++)
		if (buf[84 + i] != 0)
			return WL_EINVAL;
	return 0;
}

int wl_cert_verify(const struct wl_node_cert *cert,
		   const unsigned char site_pk[32], uint64_t now_ms)
{
	unsigned char msg[sizeof(cert_context) + WL_CERT_SIGNED_SIZE];
	size_t len;

	if (sodium_memcmp(cert->site_pk, site_pk, 32) != 0)
		return WL_ECERT;

	cert_message(cert, msg, &len);
	if (crypto_sign_verify_detached(cert->sig, msg, len, site_pk) != 0)
		return WL_EAUTH;

	if (cert->issued_ms > now_ms + CERT_ALLOWED_FUTURE_MS)
		return WL_ECERT;
	if (cert->expires_ms != 0 && cert->expires_ms <= now_ms)
		return WL_ECERT;
	return 0;
}

int wl_cert_load(const char *data_dir, struct wl_node_cert *cert)
{
	unsigned char buf[WL_CERT_SIZE];
	char path[PATH_MAX];
	int rc;

	rc = wl_path_join(path, sizeof(path), data_dir, WL_NODE_CERT_FILE);
	if (rc != 0)
		return rc;
	rc = wl_keyfile_read(path, buf, sizeof(buf), 0);
	if (rc != 0)
		return rc;
	return wl_cert_decode(buf, sizeof(buf), cert);
}

static const char revocation_context[] = "wardline node revocation v1";
static const unsigned char revocation_magic[4] = {'W', 'L', 'R', '1'};

#define REVOCATION_SIGNED (WL_REVOCATION_SIZE - 64)

static void revocation_message(const struct wl_revocation *r,
			       unsigned char *msg, size_t *len)
{
	unsigned char body[WL_REVOCATION_SIZE];

	wl_revocation_encode(r, body);
	memcpy(msg, revocation_context, sizeof(revocation_context));
	memcpy(msg + sizeof(revocation_context), body, REVOCATION_SIGNED);
	*len = sizeof(revocation_context) + REVOCATION_SIGNED;
}

void wl_revocation_issue(const unsigned char *site_sk,
			 const unsigned char node_pk[32], uint64_t now_ms,
			 struct wl_revocation *out)
{
	unsigned char msg[sizeof(revocation_context) + REVOCATION_SIGNED];
	size_t len;

	memset(out, 0, sizeof(*out));
	crypto_sign_ed25519_sk_to_pk(out->site_pk, site_sk);
	memcpy(out->node_pk, node_pk, 32);
	out->revoked_ms = now_ms;
	revocation_message(out, msg, &len);
	crypto_sign_detached(out->sig, NULL, msg, len, site_sk);
}

void wl_revocation_encode(const struct wl_revocation *r,
			  unsigned char out[WL_REVOCATION_SIZE])
{
	memcpy(out, revocation_magic, 4);
	memcpy(out + 4, r->site_pk, 32);
	memcpy(out + 36, r->node_pk, 32);
	put_u64(out + 68, r->revoked_ms);
	memcpy(out + REVOCATION_SIGNED, r->sig, 64);
}

int wl_revocation_decode(const unsigned char *buf, size_t len,
			 struct wl_revocation *r)
{
	memset(r, 0, sizeof(*r));
	if (len < WL_REVOCATION_SIZE)
		return WL_ETRUNC;
	if (len > WL_REVOCATION_SIZE)
		return WL_ETRAILING;
	if (memcmp(buf, revocation_magic, 4) != 0)
		return WL_EVERSION;
	memcpy(r->site_pk, buf + 4, 32);
	memcpy(r->node_pk, buf + 36, 32);
	r->revoked_ms = get_u64(buf + 68);
	memcpy(r->sig, buf + REVOCATION_SIGNED, 64);
	return 0;
}

int wl_revocation_verify(const struct wl_revocation *r,
			 const unsigned char site_pk[32])
{
	unsigned char msg[sizeof(revocation_context) + REVOCATION_SIGNED];
	size_t len;

	if (sodium_memcmp(r->site_pk, site_pk, 32) != 0)
		return WL_ECERT;
	revocation_message(r, msg, &len);
	if (crypto_sign_verify_detached(r->sig, msg, len, site_pk) != 0)
		return WL_EAUTH;
	return 0;
}
