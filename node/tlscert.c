/* The web UI's self-signed TLS certificate, made and checked with
 * OpenSSL's EVP and X509 interfaces. */
#include "wardline/tlscert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/keyfile.h"
#include "wardline/log.h"

#define MOD "tlscert"
#define VALID_DAYS 3650

static void format_fp(const unsigned char md[32], char fp[WL_TLSCERT_FP_SIZE])
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = fp;

	for (size_t i = 0; i < 32; i++) {
		if (i)
			*p++ = ':';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

static int cert_fp(X509 *x, char fp[WL_TLSCERT_FP_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return WL_EIO;
	format_fp(md, fp);
	return 0;
}

/* Read the PEM certificate in PATH. Returns 0, WL_ENOTFOUND or
 * WL_EINVAL. */
static int load_cert(const char *path, X509 **out)
{
	BIO *in = BIO_new_file(path, "r");

	*out = NULL;
	if (in == NULL)
		return errno == ENOENT ? WL_ENOTFOUND : WL_EIO;
	*out = PEM_read_bio_X509(in, NULL, NULL, NULL);
	BIO_free(in);
	return *out ? 0 : WL_EINVAL;
}

int wl_tlscert_fingerprint(const char *path, char fp[WL_TLSCERT_FP_SIZE])
{
	X509 *x;
	int rc = load_cert(path, &x);

	if (rc == 0)
		rc = cert_fp(x, fp);
	X509_free(x);
	return rc;
}

/* Add extension NID with VALUE (OpenSSL's config syntax) to X. */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return WL_EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : WL_ENOMEM;
}

/* "IP:a, DNS:b, ..." for the subjectAltName extension. */
static int san_value(const char *const *sans, size_t n, char *buf, size_t size)
{
	struct in_addr a;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *kind = inet_pton(AF_INET, sans[i], &a) == 1 ? "IP"
									: "DNS";
		int w;

		if (strpbrk(sans[i], ",: \t") != NULL || sans[i][0] == '\0')
			return WL_EINVAL;
		w = snprintf(buf + used, size - used, "%s%s:%s",
			     used ? ", " : "", kind, sans[i]);
		if (w < 0 || (size_t)w >= size - used)
			return WL_ERANGE;
		used += (size_t)w;
	}
	return used ? 0 : WL_EINVAL;
}

/* Fill in and sign a new certificate for KEY. */
static int build_cert(X509 *x, EVP_PKEY *key, const char *cn,
		      const char *const *sans, size_t n_sans)
{
	unsigned char serial[16];
	char alt[1024];
	BIGNUM *bn;
	X509_NAME *name;
	int rc;

	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ==
				  NULL) {
		BN_free(bn);
		return WL_ENOMEM;
	}
	BN_free(bn);

	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), VALID_DAYS, 0, NULL) ==
		    NULL ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
				       (const unsigned char *)"Wardline node",
				       -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1)
		return WL_ENOMEM;

	rc = san_value(sans, n_sans, alt, sizeof(alt));
	if (rc == 0)
		rc = add_ext(x, NID_subject_alt_name, alt);
	if (rc == 0)
		rc = add_ext(x, NID_basic_constraints, "critical,CA:FALSE");
	if (rc == 0)
		rc = add_ext(x, NID_key_usage, "critical,digitalSignature");
	if (rc == 0)
		rc = add_ext(x, NID_ext_key_usage, "serverAuth");
	if (rc != 0)
		return rc;
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : WL_EIO;
}

/* Write the PEM form that WRITE produces into PATH with MODE. The memory
 * BIO for the key is OpenSSL's secure one, cleared when freed. */
static int write_pem(const char *path, unsigned mode, int secret,
		     int (*write)(BIO *out, void *obj), void *obj)
{
	BIO *mem = BIO_new(secret ? BIO_s_secmem() : BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = WL_ENOMEM;

	if (mem != NULL && write(mem, obj) == 1) {
		len = BIO_get_mem_data(mem, &data);
		rc = len > 0 ? wl_keyfile_write(path, data, (size_t)len, mode,
						0)
			     : WL_EIO;
	}
	BIO_free(mem);
	return rc;
}

static int write_key(BIO *out, void *obj)
{
	return PEM_write_bio_PrivateKey(out, obj, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *out, void *obj)
{
	return PEM_write_bio_X509(out, obj);
}

static int create(const char *key_path, const char *cert_path, const char *cn,
		  const char *const *sans, size_t n_sans,
		  char fp[WL_TLSCERT_FP_SIZE])
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int rc = WL_ENOMEM;

	if (key != NULL && x != NULL)
		rc = build_cert(x, key, cn, sans, n_sans);
	if (rc == 0)
		rc = write_pem(key_path, 0600, 1, write_key, key);
	if (rc == 0)
		rc = write_pem(cert_path, 0644, 0, write_cert, x);
	if (rc == 0)
		rc = cert_fp(x, fp);
	EVP_PKEY_free(key);
	X509_free(x);
	if (rc != 0) {
		/* Neither existed before: leave no half pair behind. */
		unlink(key_path);
		unlink(cert_path);
		wl_error(MOD, "cannot make the UI's TLS certificate in %s: %s",
			 cert_path, wl_strerror(rc));
	}
	return rc;
}

/* Check that the existing pair belongs together and the key is private. */
static int check_pair(const char *key_path, const char *cert_path,
		      char fp[WL_TLSCERT_FP_SIZE])
{
	struct stat st;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *in;
	int rc;

	if (stat(key_path, &st) != 0)
		return WL_EIO;
	if (st.st_mode & 077) {
		wl_error(MOD, "%s is readable by other users; make it mode "
			      "0600 (chmod 600) and start again", key_path);
		return WL_EPERM;
	}
	rc = load_cert(cert_path, &x);
	if (rc == 0) {
		in = BIO_new_file(key_path, "r");
		key = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
		BIO_free(in);
		if (key == NULL || X509_check_private_key(x, key) != 1)
			rc = WL_EINVAL;
	}
	if (rc == 0)
		rc = cert_fp(x, fp);
	else
		wl_error(MOD, "%s or %s is damaged or they do not match; "
			      "remove both and the node makes a new pair "
			      "(browsers then show a new fingerprint)",
			 cert_path, key_path);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

int wl_tlscert_ensure(const char *dir, const char *cn,
		      const char *const *sans, size_t n_sans,
		      char fp[WL_TLSCERT_FP_SIZE])
{
	char key_path[PATH_MAX], cert_path[PATH_MAX];
	struct stat st;
	int have_key, have_cert;

	fp[0] = '\0';
	if (wl_path_join(key_path, sizeof(key_path), dir, WL_TLSKEY_FILE) ||
	    wl_path_join(cert_path, sizeof(cert_path), dir, WL_TLSCERT_FILE))
		return WL_ERANGE;
	have_key = stat(key_path, &st) == 0;
	have_cert = stat(cert_path, &st) == 0;

	if (have_key && have_cert)
		return check_pair(key_path, cert_path, fp);
	if (have_key || have_cert) {
		wl_error(MOD, "only one of %s and %s exists; remove it and the "
			      "node makes a new pair", cert_path, key_path);
		return WL_EINVAL;
	}
	if (create(key_path, cert_path, cn, sans, n_sans, fp) != 0)
		return WL_EIO;
	wl_info(MOD, "made a self-signed TLS certificate for the web UI "
		     "cert=%s fingerprint=%s", cert_path, fp);
	return 0;
}
