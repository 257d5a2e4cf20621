/* The site: its root key and the certificates it signs for nodes.
 *
 * A site is one Ed25519 root key pair. Its public key identifies the site;
 * the site id published in mDNS is the first 16 bytes of its BLAKE2b-256.
 * The secret key stays in the site directory of an admin (SITE_DIR/site.key,
 * mode 0600), ideally offline. A node certificate binds a node's public key
 * and a device name to the site, signed by the site key; a node without one
 * runs but peers will not talk to it. Certificates are WL_CERT_SIZE bytes,
 * laid out in docs/protocol.md, and travel as the body of a
 * WL_KIND_NODE_CERT event in the node's own feed.
 */
#ifndef WARDLINE_SITE_H
#define WARDLINE_SITE_H

#include <stddef.h>
#include <stdint.h>

#define WL_SITE_KEY_FILE "site.key"
#define WL_SITE_PUB_FILE "site.pub"
#define WL_NODE_CERT_FILE "node.cert"
#define WL_SITE_ID_SIZE 16
#define WL_CERT_VERSION 1
#define WL_CERT_NAME_MAX 31
#define WL_CERT_SIGNED_SIZE 116
#define WL_CERT_SIZE (WL_CERT_SIGNED_SIZE + 64)

struct wl_node_cert {
	uint8_t version;
	unsigned char site_pk[32];
	unsigned char node_pk[32];
	uint64_t issued_ms;  /* Unix milliseconds */
	uint64_t expires_ms; /* Unix milliseconds; 0 means no expiry */
	char name[WL_CERT_NAME_MAX + 1]; /* device name, NUL-terminated */
	unsigned char sig[64];
};

/* Create a site in SITE_DIR (which must exist): a new root key pair saved as
 * site.key (0600) and site.pub (0644). Writes the public key to SITE_PK.
 * Returns 0, WL_EEXIST if SITE_DIR already contains a site key, or WL_EIO. */
int wl_site_create(const char *site_dir, unsigned char site_pk[32]);

/* Load the site secret key from SITE_DIR into a sodium_malloc'd buffer
 * *SK (64 bytes; the caller frees it with sodium_free) and its public key
 * into SITE_PK. Returns 0, WL_ENOTFOUND, WL_EPERM, WL_ETRUNC, WL_EIO or
 * WL_ENOMEM. */
int wl_site_load_secret(const char *site_dir, unsigned char **sk,
			unsigned char site_pk[32]);

/* Load a site public key file at PATH. Returns 0 or the codes of
 * wl_keyfile_read. */
int wl_site_load_public(const char *path, unsigned char site_pk[32]);

/* Compute the site id of SITE_PK. */
void wl_site_id(const unsigned char site_pk[32],
		unsigned char id[WL_SITE_ID_SIZE]);

/* Check that NAME is a valid device name: 1 to WL_CERT_NAME_MAX characters
 * of a-z, 0-9, '-' and '.', starting with a letter or digit.
 * Returns 0 or WL_EINVAL. */
int wl_site_name_check(const char *name);

/* Issue a certificate for NODE_PK named NAME, valid from NOW_MS until
 * EXPIRES_MS (0 for no expiry), signed with the site secret key SITE_SK.
 * Returns 0 or WL_EINVAL (bad name, or EXPIRES_MS not after NOW_MS). */
int wl_cert_issue(const unsigned char *site_sk, const unsigned char node_pk[32],
		  const char *name, uint64_t now_ms, uint64_t expires_ms,
		  struct wl_node_cert *out);

/* Encode CERT into WL_CERT_SIZE bytes at OUT. */
void wl_cert_encode(const struct wl_node_cert *cert,
		    unsigned char out[WL_CERT_SIZE]);

/* Decode LEN bytes at BUF into *CERT, checking sizes, version, reserved
 * bytes and the name. No signature check. Returns 0, WL_ETRUNC,
 * WL_ETRAILING, WL_EVERSION or WL_EINVAL. */
int wl_cert_decode(const unsigned char *buf, size_t len,
		   struct wl_node_cert *cert);

/* Verify CERT: signed by SITE_PK, issued for that site, and valid at NOW_MS
 * (issued at most a day in the future, to allow for clock differences, and
 * not expired). Returns 0, WL_EAUTH (bad signature) or WL_ECERT (other
 * site, not yet valid, expired). */
int wl_cert_verify(const struct wl_node_cert *cert,
		   const unsigned char site_pk[32], uint64_t now_ms)
	__attribute__((warn_unused_result));

/* Read and decode DATA_DIR/node.cert. Returns 0 or the codes of
 * wl_keyfile_read and wl_cert_decode. */
int wl_cert_load(const char *data_dir, struct wl_node_cert *cert);

/* A revocation: the site's statement that a node must no longer be talked
 * to. It travels as the body of a WL_KIND_REVOCATION event, so it replicates
 * to every node. Layout: "WLR1", site key (32), node key (32), revocation
 * time in Unix milliseconds (u64 BE), site signature (64). */
#define WL_REVOCATION_SIZE (4 + 32 + 32 + 8 + 64)

struct wl_revocation {
	unsigned char site_pk[32];
	unsigned char node_pk[32];
	uint64_t revoked_ms;
	unsigned char sig[64];
};

/* Sign a revocation of NODE_PK at NOW_MS with the site secret key. */
void wl_revocation_issue(const unsigned char *site_sk,
			 const unsigned char node_pk[32], uint64_t now_ms,
			 struct wl_revocation *out);

void wl_revocation_encode(const struct wl_revocation *r,
			  unsigned char out[WL_REVOCATION_SIZE]);

/* Decode LEN bytes at BUF. Returns 0, WL_ETRUNC, WL_ETRAILING or
 * WL_EVERSION (wrong magic). No signature check. */
int wl_revocation_decode(const unsigned char *buf, size_t len,
			 struct wl_revocation *r);

/* Returns 0 when R is signed by SITE_PK for that site, else WL_EAUTH or
 * WL_ECERT (another site). */
int wl_revocation_verify(const struct wl_revocation *r,
			 const unsigned char site_pk[32])
	__attribute__((warn_unused_result));

#endif
