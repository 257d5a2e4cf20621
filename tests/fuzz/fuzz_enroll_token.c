/* Fuzz target for enrollment tokens, which a browser posts to the
 * enrollment route. Decoding must never crash. A token that decodes must
 * encode back to one that decodes to the same certificate, and the check
 * against the node key must not crash either. With WL_FUZZ_SEED_DIR set,
 * a valid token and the same token wrapped over lines seed the corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/enroll.h"
#include "wardline/site.h"

#define NOW 1796400000000ull

static unsigned char node_pk[32];

static void seed_write(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return;
	}
	if (fwrite(text, 1, strlen(text), f) != strlen(text))
		perror(path);
	fclose(f);
}

static void seed_corpus(const char *dir)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char site_pk[32];
	unsigned char site_sk[64];
	struct wl_node_cert cert;
	char token[WL_ENROLL_TOKEN_SIZE];
	char wrapped[2 * WL_ENROLL_TOKEN_SIZE];
	size_t out = 0;

	memset(seed, 0x5e, sizeof(seed));
	crypto_sign_seed_keypair(site_pk, site_sk, seed);
	if (wl_cert_issue(site_sk, node_pk, "station-1", NOW, 0, &cert) != 0 ||
	    wl_enroll_token_encode(&cert, token, sizeof(token)) != 0)
		abort();
	sodium_memzero(site_sk, sizeof(site_sk));
	seed_write(dir, "seed-token", token);

	for (size_t i = 0; token[i] != '\0'; i++) {
		wrapped[out++] = token[i];
		if (i % 60 == 59)
			wrapped[out++] = '\n';
	}
	wrapped[out] = '\0';
	seed_write(dir, "seed-token-wrapped", wrapped);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WL_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(node_pk, 0x11, sizeof(node_pk));
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_node_cert cert;
	struct wl_node_cert again;
	unsigned char a[WL_CERT_SIZE];
	unsigned char b[WL_CERT_SIZE];
	char token[WL_ENROLL_TOKEN_SIZE];

	if (wl_enroll_token_decode((const char *)data, size, &cert) != 0)
		return 0;
	if (wl_enroll_token_encode(&cert, token, sizeof(token)) != 0 ||
	    wl_enroll_token_decode(token, strlen(token), &again) != 0)
		abort();
	wl_cert_encode(&cert, a);
	wl_cert_encode(&again, b);
	if (memcmp(a, b, sizeof(a)) != 0)
		abort();
	(void)wl_enroll_check(&cert, node_pk, NOW);
	return 0;
}
