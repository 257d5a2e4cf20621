#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/identity.h"

static void identity_created_once(void **state)
{
	char *dir = testutil_mkdtemp();
	struct wl_identity *a = NULL;
	struct wl_identity *b = NULL;
	char path[512];
	struct stat st;
	int created = -1;

	(void)state;
	assert_int_equal(wl_identity_load_or_create(dir, &a, &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(wl_identity_load_or_create(dir, &b, &created), 0);
	assert_int_equal(created, 0);
	assert_memory_equal(a->pk, b->pk, 32);

	snprintf(path, sizeof(path), "%s/%s", dir, WL_NODE_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	wl_identity_free(a);
	wl_identity_free(b);
	testutil_rmdir(dir);
}

static void identity_key_signs(void **state)
{
	char *dir = testutil_mkdtemp();
	struct wl_identity *id = NULL;
	unsigned char sig[64];
	const unsigned char msg[] = "ward 4";

	(void)state;
	assert_int_equal(wl_identity_load_or_create(dir, &id, NULL), 0);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), id->sk);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
						     id->pk), 0);
	wl_identity_free(id);
	testutil_rmdir(dir);
}

static void identity_missing_and_loose_mode(void **state)
{
	char *dir = testutil_mkdtemp();
	struct wl_identity *id = NULL;
	char path[512];

	(void)state;
	assert_int_equal(wl_identity_load(dir, &id), WL_ENOTFOUND);
	assert_null(id);
	assert_int_equal(wl_identity_load_or_create(dir, &id, NULL), 0);
	wl_identity_free(id);

	snprintf(path, sizeof(path), "%s/%s", dir, WL_NODE_KEY_FILE);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(wl_identity_load(dir, &id), WL_EPERM);
	assert_null(id);
	testutil_rmdir(dir);
}

static void identity_hex(void **state)
{
	unsigned char pk[32];
	char hex[65];

	(void)state;
	memset(pk, 0xab, sizeof(pk));
	wl_identity_hex(pk, hex);
	assert_int_equal(strlen(hex), 64);
	assert_memory_equal(hex, "abababab", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity_created_once),
		cmocka_unit_test(identity_key_signs),
		cmocka_unit_test(identity_missing_and_loose_mode),
		cmocka_unit_test(identity_hex),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
