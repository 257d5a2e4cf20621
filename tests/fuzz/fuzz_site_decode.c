/* Fuzz target for the decoders of site-signed bodies that arrive from
 * peers: node certificates (in HELLO and in node_cert events) and
 * revocations. Decoding must never crash, and whatever decodes must
 * encode back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char site_pk[32];
	static int ready;
	struct wl_node_cert cert;
	struct wl_revocation rev;
	unsigned char again[WL_CERT_SIZE > WL_REVOCATION_SIZE
				    ? WL_CERT_SIZE
				    : WL_REVOCATION_SIZE];

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		memset(site_pk, 7, sizeof(site_pk));
		ready = 1;
	}

	if (wl_cert_decode(data, size, &cert) == 0) {
		wl_cert_encode(&cert, again);
		if (memcmp(again, data, WL_CERT_SIZE) != 0)
			abort();
		(void)wl_cert_verify(&cert, site_pk, 0);
	}
	if (wl_revocation_decode(data, size, &rev) == 0) {
		wl_revocation_encode(&rev, again);
		if (memcmp(again, data, WL_REVOCATION_SIZE) != 0)
			abort();
		(void)wl_revocation_verify(&rev, site_pk);
	}
	return 0;
}
