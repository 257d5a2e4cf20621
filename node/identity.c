/* The node's key pair on disk and in guarded memory. */
#include "wardline/identity.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/keyfile.h"

static struct wl_identity *identity_alloc(void)
{
	struct wl_identity *id = calloc(1, sizeof(*id));

	if (id == NULL)
		return NULL;
	id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (id->sk == NULL) {
		free(id);
		return NULL;
	}
	return id;
}

void wl_identity_free(struct wl_identity *id)
{
	if (id == NULL)
		return;
	sodium_free(id->sk); /* sodium_free wipes the memory before freeing */
	free(id);
}

int wl_identity_load(const char *data_dir, struct wl_identity **out)
{
	char path[PATH_MAX];
	struct wl_identity *id;
	int rc;

	*out = NULL;
	rc = wl_path_join(path, sizeof(path), data_dir, WL_NODE_KEY_FILE);
	if (rc != 0)
		return rc;
	id = identity_alloc();
	if (id == NULL)
		return WL_ENOMEM;

	rc = wl_keyfile_read(path, id->sk, crypto_sign_SECRETKEYBYTES, 1);
	if (rc != 0) {
		wl_identity_free(id);
		return rc;
	}
	crypto_sign_ed25519_sk_to_pk(id->pk, id->sk);
	sodium_mprotect_readonly(id->sk);
	*out = id;
	return 0;
}

int wl_identity_load_or_create(const char *data_dir, struct wl_identity **out,
			       int *created)
{
	char path[PATH_MAX];
	struct wl_identity *id;
	int rc;

	if (created)
		*created = 0;
	rc = wl_identity_load(data_dir, out);
	if (rc != WL_ENOTFOUND)
		return rc;

	rc = wl_path_join(path, sizeof(path), data_dir, WL_NODE_KEY_FILE);
	if (rc != 0)
		return rc;
	id = identity_alloc();
	if (id == NULL)
		return WL_ENOMEM;
	crypto_sign_keypair(id->pk, id->sk);

	/* Not replacing: if another process won the race, use its key. */
	rc = wl_keyfile_write(path, id->sk, crypto_sign_SECRETKEYBYTES, 0600,
			      0);
	wl_identity_free(id);
	if (rc == WL_EEXIST)
		return wl_identity_load(data_dir, out);
	if (rc != 0)
		return rc;
	if (created)
		*created = 1;
	return wl_identity_load(data_dir, out);
}

char *wl_identity_hex(const unsigned char pk[32], char *buf)
{
	return sodium_bin2hex(buf, 65, pk, 32);
}
