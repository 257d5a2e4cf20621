#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/keyfile.h"

static void keyfile_round_trip(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[512];
	unsigned char in[64];
	unsigned char out[64];
	struct stat st;

	(void)state;
	memset(in, 0x5a, sizeof(in));
	assert_int_equal(wl_path_join(path, sizeof(path), dir, "k"), 0);
	assert_int_equal(wl_keyfile_write(path, in, sizeof(in), 0600, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(wl_keyfile_read(path, out, sizeof(out), 1), 0);
	assert_memory_equal(in, out, sizeof(in));
	testutil_rmdir(dir);
}

static void keyfile_no_replace(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[512];
	unsigned char a[8] = "aaaaaaa";
	unsigned char b[8] = "bbbbbbb";
	unsigned char out[8];

	(void)state;
	wl_path_join(path, sizeof(path), dir, "k");
	assert_int_equal(wl_keyfile_write(path, a, 8, 0600, 0), 0);
	assert_int_equal(wl_keyfile_write(path, b, 8, 0600, 0), WL_EEXIST);
	assert_int_equal(wl_keyfile_read(path, out, 8, 1), 0);
	assert_memory_equal(out, a, 8);
	assert_int_equal(wl_keyfile_write(path, b, 8, 0600, 1), 0);
	assert_int_equal(wl_keyfile_read(path, out, 8, 1), 0);
	assert_memory_equal(out, b, 8);
	testutil_rmdir(dir);
}

static void keyfile_open_mode_rejected(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[512];
	unsigned char key[32] = {1};
	unsigned char out[32];

	(void)state;
	wl_path_join(path, sizeof(path), dir, "k");
	assert_int_equal(wl_keyfile_write(path, key, 32, 0644, 0), 0);
	assert_int_equal(wl_keyfile_read(path, out, 32, 1), WL_EPERM);
	assert_int_equal(wl_keyfile_read(path, out, 32, 0), 0);
	testutil_rmdir(dir);
}

static void keyfile_wrong_size_and_missing(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[512];
	unsigned char key[31] = {1};
	unsigned char out[32];

	(void)state;
	wl_path_join(path, sizeof(path), dir, "k");
	assert_int_equal(wl_keyfile_read(path, out, 32, 1), WL_ENOTFOUND);
	assert_int_equal(wl_keyfile_write(path, key, 31, 0600, 0), 0);
	assert_int_equal(wl_keyfile_read(path, out, 32, 1), WL_ETRUNC);
	testutil_rmdir(dir);
}

static void path_join_too_long(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(wl_path_join(buf, sizeof(buf), "/tmp", "abc"), WL_ERANGE);
	assert_int_equal(wl_path_join(buf, sizeof(buf), "/a", "b"), 0);
	assert_string_equal(buf, "/a/b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keyfile_round_trip),
		cmocka_unit_test(keyfile_no_replace),
		cmocka_unit_test(keyfile_open_mode_rejected),
		cmocka_unit_test(keyfile_wrong_size_and_missing),
		cmocka_unit_test(path_join_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
