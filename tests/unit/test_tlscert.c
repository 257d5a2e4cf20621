/* Unit tests of the web UI's self-signed TLS certificate: made once, kept
 * across starts, and refused when damaged, half present or readable by
 * others. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/tlscert.h"

static const char *const sans[] = {"10.40.0.12", "ward4.local",
				   "localhost"};

static void path_in(char *buf, const char *dir, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

/* A new pair: the key is 0600, the fingerprint is the certificate's, and a
 * second start loads the same pair. */
static void tlscert_made_once(void **state)
{
	char *dir = testutil_mkdtemp();
	char fp[WL_TLSCERT_FP_SIZE], again[WL_TLSCERT_FP_SIZE];
	char file[WL_TLSCERT_FP_SIZE];
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(wl_tlscert_ensure(dir, "ward4-a", sans, 3, fp), 0);
	assert_int_equal(strlen(fp), 95);
	assert_int_equal(fp[2], ':');

	path_in(path, dir, WL_TLSKEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	path_in(path, dir, WL_TLSCERT_FILE);
	assert_int_equal(wl_tlscert_fingerprint(path, file), 0);
	assert_string_equal(file, fp);

	assert_int_equal(wl_tlscert_ensure(dir, "ward4-a", sans, 3, again), 0);
	assert_string_equal(again, fp);
	testutil_rmdir(dir);
}

static void tlscert_key_readable_refused(void **state)
{
	char *dir = testutil_mkdtemp();
	char fp[WL_TLSCERT_FP_SIZE];
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), 0);
	path_in(path, dir, WL_TLSKEY_FILE);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), WL_EPERM);
	testutil_rmdir(dir);
}

static void tlscert_half_pair_refused(void **state)
{
	char *dir = testutil_mkdtemp();
	char fp[WL_TLSCERT_FP_SIZE];
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), 0);
	path_in(path, dir, WL_TLSCERT_FILE);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), WL_EINVAL);
	testutil_rmdir(dir);
}

/* A certificate from another pair, and one that is not PEM at all. */
static void tlscert_damaged_refused(void **state)
{
	char *dir = testutil_mkdtemp();
	char *other = testutil_mkdtemp();
	char fp[WL_TLSCERT_FP_SIZE];
	char path[PATH_MAX], from[PATH_MAX];
	FILE *f;

	(void)state;
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), 0);
	assert_int_equal(wl_tlscert_ensure(other, "m", sans, 1, fp), 0);
	path_in(path, dir, WL_TLSCERT_FILE);
	path_in(from, other, WL_TLSCERT_FILE);
	assert_int_equal(rename(from, path), 0);
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), WL_EINVAL);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n", f);
	fclose(f);
	assert_int_equal(wl_tlscert_ensure(dir, "n", sans, 1, fp), WL_EINVAL);
	assert_int_equal(wl_tlscert_fingerprint(path, fp), WL_EINVAL);
	testutil_rmdir(dir);
	testutil_rmdir(other);
}

/* A name that would inject into the extension's syntax makes nothing. */
static void tlscert_bad_name_refused(void **state)
{
	char *dir = testutil_mkdtemp();
	const char *bad[] = {"ward4.local, IP:1.2.3.4"};
	char fp[WL_TLSCERT_FP_SIZE];
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(wl_tlscert_ensure(dir, "n", bad, 1, fp), WL_EIO);
	path_in(path, dir, WL_TLSKEY_FILE);
	assert_int_not_equal(stat(path, &st), 0);
	testutil_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tlscert_made_once),
		cmocka_unit_test(tlscert_key_readable_refused),
		cmocka_unit_test(tlscert_half_pair_refused),
		cmocka_unit_test(tlscert_damaged_refused),
		cmocka_unit_test(tlscert_bad_name_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
