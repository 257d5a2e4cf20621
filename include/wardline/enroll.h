/* Enrollment tokens: a node certificate carried from the admin to a new
 * device as text.
 *
 * A device without a certificate shows its node public key. An admin with
 * the site key signs a certificate for that key (`wardline enroll-token`)
 * and hands the device the token, which the device's web UI accepts. The certificate contains the site public key, so the token
 * carries both. A token is not secret: it binds one node key to the site,
 * and only the device holding that node's secret key can use it.
 *
 * Token text: "WLT1." followed by the unpadded URL-safe base64 of the
 * certificate (WL_CERT_SIZE bytes) and a 4-byte check, the first 4 bytes
 * of the BLAKE2b-256 of the certificate. The check tells a token damaged
 * in copying apart from one with a bad signature. Whitespace anywhere in
 * the text is ignored, so a token wrapped over several lines still reads.
 */
#ifndef WARDLINE_ENROLL_H
#define WARDLINE_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/site.h"
#include "wardline/store.h"

#define WL_ENROLL_TOKEN_PREFIX "WLT1."
#define WL_ENROLL_CHECK_SIZE 4
/* Bytes of a token's text with its NUL: the prefix, then the base64 of
 * WL_CERT_SIZE + WL_ENROLL_CHECK_SIZE bytes (184 bytes, 246 digits). */
#define WL_ENROLL_TOKEN_SIZE 252

/* Write the token of CERT into OUT (OUT_SIZE bytes, at least
 * WL_ENROLL_TOKEN_SIZE), NUL-terminated. Returns 0 or WL_ERANGE when
 * OUT_SIZE is too small. */
int wl_enroll_token_encode(const struct wl_node_cert *cert, char *out,
			   size_t out_size);

/* Decode the token in the LEN bytes of TEXT into *CERT, ignoring spaces,
 * tabs and line breaks. No signature check: see wl_enroll_check. Returns
 * 0; WL_EVERSION when TEXT does not start with WL_ENROLL_TOKEN_PREFIX;
 * WL_EINVAL for a character outside URL-safe base64 or a check that does
 * not match (the token was damaged); WL_ETRUNC or WL_ETRAILING when it
 * decodes to too few or too many bytes; or the codes of wl_cert_decode. */
int wl_enroll_token_decode(const char *text, size_t len,
			   struct wl_node_cert *cert);

/* Check that CERT was issued for NODE_PK, is signed by the site key it
 * names, and is valid at NOW_MS. Returns 0, WL_ECERT (another node's
 * certificate, not yet valid, or expired) or WL_EAUTH (bad signature). */
int wl_enroll_check(const struct wl_node_cert *cert,
		    const unsigned char node_pk[32], uint64_t now_ms)
	__attribute__((warn_unused_result));

/* Install the checked certificate CERT on the node of ID whose data
 * directory is DATA_DIR and whose store is STORE. Write site.pub, then
 * node.cert (both 0644), then append the certificate to the node's own
 * feed, stamped by HLC. Every peer that replicates the feed can then check
 * it. node.cert is written last because its presence marks the node as
 * enrolled. With REPLACE 0 an existing node.cert is kept.
 * Returns 0; WL_EEXIST (node.cert exists and REPLACE is 0); WL_ECERT (CERT
 * is not for ID, or DATA_DIR holds the key of another site); WL_ERANGE
 * (path too long); WL_EIO; or the codes of wl_feed_append, in which case
 * both files were written but the feed lacks the certificate event. */
int wl_enroll_install(const char *data_dir, struct wl_store *store,
		      const struct wl_identity *id, struct wl_hlc *hlc,
		      const struct wl_node_cert *cert, int replace);

#endif
