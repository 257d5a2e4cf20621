/* Enrollment tokens and installing a certificate on the node. */
#include "wardline/enroll.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/error.h"
#include "wardline/feed.h"
#include "wardline/keyfile.h"

#define PREFIX_LEN (sizeof(WL_ENROLL_TOKEN_PREFIX) - 1)
#define PAYLOAD_SIZE (WL_CERT_SIZE + WL_ENROLL_CHECK_SIZE)
#define WHITESPACE " \t\r\n"

static void token_check(const unsigned char cert[WL_CERT_SIZE],
			unsigned char check[WL_ENROLL_CHECK_SIZE])
{
	unsigned char hash[crypto_generichash_BYTES];

	crypto_generichash(hash, sizeof(hash), cert, WL_CERT_SIZE, NULL, 0);
	memcpy(check, hash, WL_ENROLL_CHECK_SIZE);
}

int wl_enroll_token_encode(const struct wl_node_cert *cert, char *out,
			   size_t out_size)
{
	unsigned char payload[PAYLOAD_SIZE];

	if (out_size < WL_ENROLL_TOKEN_SIZE)
		return WL_ERANGE;

	wl_cert_encode(cert, payload);
	token_check(payload, payload + WL_CERT_SIZE);

	memcpy(out, WL_ENROLL_TOKEN_PREFIX, PREFIX_LEN);
	sodium_bin2base64(out + PREFIX_LEN, out_size - PREFIX_LEN, payload,
			  sizeof(payload),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

/* Skip the whitespace at the start of TEXT and check the prefix, then
 * set *REST to the base64 digits that follow. */
static int token_strip_prefix(const char *text, size_t len, const char **rest,
			      size_t *rest_len)
{
	size_t skip = 0;

	while (skip < len && strchr(WHITESPACE, text[skip]) != NULL &&
	       text[skip] != '\0')
		skip++;
	if (len - skip < PREFIX_LEN ||
	    memcmp(text + skip, WL_ENROLL_TOKEN_PREFIX, PREFIX_LEN) != 0)
		return WL_EVERSION;
	*rest = text + skip + PREFIX_LEN;
	*rest_len = len - skip - PREFIX_LEN;
	return 0;
}

int wl_enroll_token_decode(const char *text, size_t len,
			   struct wl_node_cert *cert)
{
	unsigned char payload[PAYLOAD_SIZE + 1];
	unsigned char check[WL_ENROLL_CHECK_SIZE];
	const char *digits;
	const char *end = NULL;
	size_t digits_len;
	size_t bin_len = 0;
	int rc;

	memset(cert, 0, sizeof(*cert));
	rc = token_strip_prefix(text, len, &digits, &digits_len);
	if (rc != 0)
		return rc;

	/* One byte of room past the payload distinguishes a long token from
	 * a complete one. */
	errno = 0;
	if (sodium_base642bin(payload, sizeof(payload), digits, digits_len,
			      WHITESPACE, &bin_len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return errno == ERANGE ? WL_ETRAILING : WL_EINVAL;
	if (end != digits + digits_len)
		return WL_EINVAL;
	if (bin_len < PAYLOAD_SIZE)
		return WL_ETRUNC;
	if (bin_len > PAYLOAD_SIZE)
		return WL_ETRAILING;

	token_check(payload, check);
	if (sodium_memcmp(check, payload + WL_CERT_SIZE, sizeof(check)) != 0)
		return WL_EINVAL;
	return wl_cert_decode(payload, WL_CERT_SIZE, cert);
}

int wl_enroll_check(const struct wl_node_cert *cert,
		    const unsigned char node_pk[32], uint64_t now_ms)
{
	if (memcmp(cert->node_pk, node_pk, 32) != 0)
		return WL_ECERT;
	return wl_cert_verify(cert, cert->site_pk, now_ms);
}

/* Reject a certificate of another site when DATA_DIR already contains a
 * site key, because the store then contains that site's events. */
static int check_same_site(const char *data_dir,
			   const unsigned char site_pk[32])
{
	unsigned char current[32];
	char path[PATH_MAX];
	int rc;

	rc = wl_path_join(path, sizeof(path), data_dir, WL_SITE_PUB_FILE);
	if (rc != 0)
		return rc;
	rc = wl_site_load_public(path, current);
	if (rc == WL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return memcmp(current, site_pk, 32) == 0 ? 0 : WL_ECERT;
}

static int write_files(const char *data_dir, const unsigned char *buf,
		       const unsigned char site_pk[32], int replace)
{
	char cert_path[PATH_MAX];
	char site_path[PATH_MAX];
	int rc;

	rc = wl_path_join(cert_path, sizeof(cert_path), data_dir,
			  WL_NODE_CERT_FILE);
	if (rc == 0)
		rc = wl_path_join(site_path, sizeof(site_path), data_dir,
				  WL_SITE_PUB_FILE);
	if (rc != 0)
		return rc;
	if (!replace && access(cert_path, F_OK) == 0)
		return WL_EEXIST;

	rc = wl_keyfile_write(site_path, site_pk, 32, 0644, 1);
	if (rc == 0)
		rc = wl_keyfile_write(cert_path, buf, WL_CERT_SIZE, 0644,
				      replace);
	return rc;
}

int wl_enroll_install(const char *data_dir, struct wl_store *store,
		      const struct wl_identity *id, struct wl_hlc *hlc,
		      const struct wl_node_cert *cert, int replace)
{
	unsigned char buf[WL_CERT_SIZE];
	struct wl_feed_item item;
	int rc;

	if (memcmp(cert->node_pk, id->pk, 32) != 0)
		return WL_ECERT;
	rc = check_same_site(data_dir, cert->site_pk);
	if (rc != 0)
		return rc;

	wl_cert_encode(cert, buf);
	rc = write_files(data_dir, buf, cert->site_pk, replace);
	if (rc != 0)
		return rc;

	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_NODE_CERT;
	item.body = buf;
	item.body_len = sizeof(buf);
	return wl_feed_append(store, id, hlc, &item, 1, NULL, NULL);
}
