#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "testutil.h"
#include "wardline/config.h"
#include "wardline/error.h"

/* Write TEXT to a file in a new directory; returns the directory. */
static char *write_config(const char *text, char *path, size_t size)
{
	char *dir = testutil_mkdtemp();
	FILE *f;

	snprintf(path, size, "%s/wardline.conf", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return dir;
}

static void config_defaults(void **state)
{
	struct wl_config c;

	(void)state;
	wl_config_defaults(&c);
	assert_string_equal(c.data_dir, WL_CONFIG_DEFAULT_DATA_DIR);
	assert_int_equal(c.log_level, WL_LOG_INFO);
	assert_int_equal(c.max_skew_ms, 60000);
	assert_int_equal(c.initial_map_mb, 64);
}

static void config_every_key(void **state)
{
	struct wl_config c;
	char path[512];
	char err[256] = "";
	char *dir = write_config("[node]\ndata_dir = /srv/ward4\n"
				 "log_level = debug\n[clock]\n"
				 "max_skew_ms = 5000\n[store]\n"
				 "initial_map_mb = 8\n[http]\n"
				 "tls_listen = 10.40.0.12\ntls_port = 9443\n"
				 "unix_socket = /run/wardline/ui.sock\n"
				 "hosts = ward4.local:9443, 127.0.0.1:8081\n"
				 "[messages]\nrealert_minutes = 3\n"
				 "escalate_seconds = 90\n",
				 path, sizeof(path));

	(void)state;
	wl_config_defaults(&c);
	assert_int_equal(wl_config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "/srv/ward4");
	assert_int_equal(c.log_level, WL_LOG_DEBUG);
	assert_int_equal(c.max_skew_ms, 5000);
	assert_int_equal(c.initial_map_mb, 8);
	assert_string_equal(c.tls_listen, "10.40.0.12");
	assert_int_equal(c.tls_port, 9443);
	assert_string_equal(c.unix_socket, "/run/wardline/ui.sock");
	assert_int_equal(c.n_hosts, 2);
	assert_string_equal(c.hosts[1], "127.0.0.1:8081");
	assert_int_equal(c.realert_ms, 180000);
	assert_int_equal(c.escalate_ms, 90000);
	testutil_rmdir(dir);
}

static void config_unknown_key_named(void **state)
{
	struct wl_config c;
	char path[512];
	char err[256] = "";
	char *dir = write_config("[node]\nlog_level = warn\ndata_dri = /x\n",
				 path, sizeof(path));

	(void)state;
	wl_config_defaults(&c);
	assert_int_equal(wl_config_load(path, &c, err, sizeof(err)),
			 WL_ECONFIG);
	assert_non_null(strstr(err, "line 3"));
	assert_non_null(strstr(err, "data_dri"));
	testutil_rmdir(dir);
}

static void config_invalid_values(void **state)
{
	static const char *const bad[] = {
		"[node]\nlog_level = loud\n",
		"[node]\ndata_dir = relative/path\n",
		"[clock]\nmax_skew_ms = -5\n",
		"[clock]\nmax_skew_ms = 12abc\n",
		"[store]\ninitial_map_mb = 0\n",
		"[store]\ninitial_map_mb = 99999999999999999999999\n",
		"[node\n",
		"[http]\nhosts = ward4.local\n",
		"[http]\nhosts = :8080\n",
		"[http]\nhosts = a:1 b:2 c:3 d:4 e:5\n",
		"[http]\nunix_socket = relative.sock\n",
		"[http]\ntls_port = 0\n",
		"[messages]\nrealert_minutes = 0\n",
		"[messages]\nrealert_hours = 1\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wl_config c;
		char path[512];
		char err[256] = "";
		char *dir = write_config(bad[i], path, sizeof(path));

		wl_config_defaults(&c);
		assert_int_equal(wl_config_load(path, &c, err, sizeof(err)),
				 WL_ECONFIG);
		assert_true(strlen(err) > 0);
		testutil_rmdir(dir);
	}
}

static void config_missing_file(void **state)
{
	struct wl_config c;
	char err[256] = "";

	(void)state;
	wl_config_defaults(&c);
	assert_int_equal(wl_config_load("/nonexistent/wardline.conf", &c, err,
					sizeof(err)),
			 WL_ENOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/wardline.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults),
		cmocka_unit_test(config_every_key),
		cmocka_unit_test(config_unknown_key_named),
		cmocka_unit_test(config_invalid_values),
		cmocka_unit_test(config_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
