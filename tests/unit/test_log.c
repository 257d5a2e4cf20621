#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wardline/error.h"
#include "wardline/log.h"

/* Run one log call into a memory stream and return what it wrote. */
static char captured[2048];

static void capture_begin(FILE **f)
{
	memset(captured, 0, sizeof(captured));
	*f = fmemopen(captured, sizeof(captured) - 1, "w");
	wl_log_set_stream(*f);
}

static void capture_end(FILE *f)
{
	fclose(f);
	wl_log_set_stream(NULL);
}

static void log_line_format(void **state)
{
	FILE *f;

	(void)state;
	wl_log_set_level(WL_LOG_INFO);
	capture_begin(&f);
	wl_info("store", "map grown size_mb=%d", 128);
	capture_end(f);
	assert_non_null(strstr(captured, " info store: map grown size_mb=128\n"));
	assert_true(captured[4] == '-' && captured[10] == 'T');
}

static void log_level_filter(void **state)
{
	FILE *f;

	(void)state;
	wl_log_set_level(WL_LOG_WARN);
	capture_begin(&f);
	wl_info("node", "hidden");
	wl_debug("node", "hidden too");
	wl_warn("node", "shown");
	capture_end(f);
	assert_null(strstr(captured, "hidden"));
	assert_non_null(strstr(captured, "warn node: shown"));
	wl_log_set_level(WL_LOG_INFO);
}

static void log_level_parse(void **state)
{
	enum wl_log_level level = WL_LOG_INFO;

	(void)state;
	assert_int_equal(wl_log_level_parse("debug", &level), 0);
	assert_int_equal(level, WL_LOG_DEBUG);
	assert_int_equal(wl_log_level_parse("verbose", &level), WL_EINVAL);
	assert_int_equal(level, WL_LOG_DEBUG);
}

static void log_escape_untrusted(void **state)
{
	char out[64];

	(void)state;
	wl_log_escape(out, sizeof(out), "ok\n\"x\"\\\x01", 8);
	assert_string_equal(out, "ok\\x0a\\x22x\\x22\\x5c\\x01");
	wl_log_escape(out, 6, "abcdefgh", 8);
	assert_string_equal(out, "abcde");
	wl_log_escape(out, 6, "ab\ncd", 5);
	assert_string_equal(out, "ab");
}

static void log_shortid(void **state)
{
	unsigned char id[32];
	char out[17];

	(void)state;
	memset(id, 0, sizeof(id));
	id[0] = 0xde;
	id[7] = 0x01;
	assert_string_equal(wl_log_shortid(out, id), "de00000000000001");
}

static void error_names_complete(void **state)
{
	(void)state;
	for (int e = 0; e > WL_ERROR_MIN; e--) {
		assert_string_not_equal(wl_strerror(e), "unknown error");
		assert_string_not_equal(wl_strerror_name(e), "unknown");
	}
	assert_string_equal(wl_strerror(WL_ERROR_MIN), "unknown error");
	assert_string_equal(wl_strerror(5), "unknown error");
	assert_string_equal(wl_strerror_name(WL_EBODYHASH), "body_hash");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_line_format),
		cmocka_unit_test(log_level_filter),
		cmocka_unit_test(log_level_parse),
		cmocka_unit_test(log_escape_untrusted),
		cmocka_unit_test(log_shortid),
		cmocka_unit_test(error_names_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
