/* Unit tests of the hybrid logical clock, driven by a fake wall clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wardline/error.h"
#include "wardline/hlc.h"

/* 2026-12-04T20:31:07.123Z in milliseconds since the Unix epoch. */
#define T0 UINT64_C(1796416267123)
#define SKEW_MS 1000

/* The wall clock the tests control. */
struct fake_wall {
	uint64_t ms;
};

static uint64_t fake_wall_read(void *arg)
{
	const struct fake_wall *w = arg;

	return w->ms;
}

static void hlc_now_uses_wall(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0, 0));
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0, 1));
	w.ms = T0 + 1;
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0 + 1, 0));
	assert_true(hlc.last == ts);
}

static void hlc_now_monotonic(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t prev = 0;
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	for (int i = 0; i < 100000; i++) {
		if (i % 7 == 0)
			w.ms++;
		assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
		if (ts <= prev)
			fail_msg("timestamp %d did not increase", i);
		prev = ts;
	}
	assert_true(wl_hlc_ms(ts) == w.ms);
}

static void hlc_wall_step_back(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t before = 0;
	uint64_t prev = 0;
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_now(&hlc, &before), 0);
	w.ms = T0 - 10000;
	prev = before;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
		if (ts <= prev)
			fail_msg("timestamp %d after the step back did not "
				 "increase",
				 i);
		prev = ts;
	}
	assert_true(wl_hlc_ms(ts) == T0);
	assert_int_equal(wl_hlc_counter(ts), 1000);

	w.ms = T0 + 1;
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0 + 1, 0));
}

static void hlc_counter_overflow(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t prev = 0;
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	for (int i = 0; i < 70000; i++) {
		assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
		if (ts <= prev)
			fail_msg("timestamp %d did not increase", i);
		if (i == 65535)
			assert_true(ts == wl_hlc_pack(T0, 0xffff));
		if (i == 65536)
			assert_true(ts == wl_hlc_pack(T0 + 1, 0));
		prev = ts;
	}
	assert_true(wl_hlc_ms(ts) == T0 + 1);
	assert_int_equal(wl_hlc_counter(ts), 70000 - 65536 - 1);
}

static void hlc_init_last(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, wl_hlc_pack(T0 + 5, 3));
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0 + 5, 4));
}

static void hlc_now_range(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t ts = 7;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, UINT64_MAX);
	assert_int_equal(wl_hlc_now(&hlc, &ts), WL_ERANGE);
	assert_true(ts == 7);
	assert_true(hlc.last == UINT64_MAX);

	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	w.ms = WL_HLC_MS_MAX + 1;
	assert_int_equal(wl_hlc_now(&hlc, &ts), WL_ERANGE);
	assert_true(hlc.last == 0);
}

static void hlc_merge_ahead(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t remote = wl_hlc_pack(T0 + 500, 7);
	uint64_t ts = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_merge(&hlc, remote), 0);
	assert_true(hlc.last == remote);
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(ts == wl_hlc_pack(T0 + 500, 8));
}

static void hlc_merge_skew_edge(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t remote = wl_hlc_pack(T0 + SKEW_MS, 0xffff);

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_check(&hlc, remote), 0);
	assert_int_equal(wl_hlc_merge(&hlc, remote), 0);
	assert_true(hlc.last == remote);
}

static void hlc_merge_beyond_skew(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t before = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_now(&hlc, &before), 0);
	assert_int_equal(wl_hlc_merge(&hlc, wl_hlc_pack(T0 + SKEW_MS + 1, 0)),
			 WL_ESKEW);
	assert_true(hlc.last == before);
	assert_int_equal(wl_hlc_merge(&hlc, UINT64_MAX), WL_ESKEW);
	assert_true(hlc.last == before);
}

static void hlc_merge_behind(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;
	uint64_t before = 0;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_now(&hlc, &before), 0);
	assert_int_equal(wl_hlc_merge(&hlc, wl_hlc_pack(T0 - 60000, 9)), 0);
	assert_true(hlc.last == before);
}

static void hlc_check_unchanged(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, SKEW_MS, 0);
	assert_int_equal(wl_hlc_check(&hlc, wl_hlc_pack(T0 + 10, 0)), 0);
	assert_true(hlc.last == 0);
	assert_int_equal(wl_hlc_check(&hlc, wl_hlc_pack(T0 + SKEW_MS + 1, 0)),
			 WL_ESKEW);
	assert_true(hlc.last == 0);
}

static void hlc_check_huge_skew(void **state)
{
	struct fake_wall w = {T0};
	struct wl_hlc hlc;

	(void)state;
	wl_hlc_init(&hlc, fake_wall_read, &w, UINT64_MAX, 0);
	assert_int_equal(wl_hlc_check(&hlc, UINT64_MAX), 0);
}

static void hlc_format_example(void **state)
{
	char buf[40];

	(void)state;
	assert_string_equal(wl_hlc_format(wl_hlc_pack(T0, 5), buf,
					  sizeof(buf)),
			    "2026-12-04T20:31:07.123Z+5");
	assert_string_equal(wl_hlc_format(0, buf, sizeof(buf)),
			    "1970-01-01T00:00:00.000Z+0");
	assert_string_equal(wl_hlc_format(wl_hlc_pack(T0 - 123, 65535), buf,
					  sizeof(buf)),
			    "2026-12-04T20:31:07.000Z+65535");
	assert_string_equal(wl_hlc_format(wl_hlc_pack(T0 + 877 + 7, 0), buf,
					  sizeof(buf)),
			    "2026-12-04T20:31:08.007Z+0");
}

static void hlc_format_max(void **state)
{
	char buf[40];

	(void)state;
	wl_hlc_format(UINT64_MAX, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
	assert_non_null(strstr(buf, "Z+65535"));
}

static void hlc_format_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(wl_hlc_format(wl_hlc_pack(T0, 5), buf, sizeof(buf)),
			 buf);
	assert_string_equal(buf, "2026-12");
}

static void hlc_system_wall(void **state)
{
	struct wl_hlc hlc;
	uint64_t ts = 0;

	(void)state;
	/* 2020-01-01T00:00:00Z; any real clock is later. */
	assert_true(wl_hlc_system_wall(NULL) > UINT64_C(1577836800000));
	wl_hlc_init(&hlc, NULL, NULL, SKEW_MS, 0);
	assert_ptr_equal(hlc.wall, wl_hlc_system_wall);
	assert_int_equal(wl_hlc_now(&hlc, &ts), 0);
	assert_true(wl_hlc_ms(ts) > UINT64_C(1577836800000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hlc_now_uses_wall),
		cmocka_unit_test(hlc_now_monotonic),
		cmocka_unit_test(hlc_wall_step_back),
		cmocka_unit_test(hlc_counter_overflow),
		cmocka_unit_test(hlc_init_last),
		cmocka_unit_test(hlc_now_range),
		cmocka_unit_test(hlc_merge_ahead),
		cmocka_unit_test(hlc_merge_skew_edge),
		cmocka_unit_test(hlc_merge_beyond_skew),
		cmocka_unit_test(hlc_merge_behind),
		cmocka_unit_test(hlc_check_unchanged),
		cmocka_unit_test(hlc_check_huge_skew),
		cmocka_unit_test(hlc_format_example),
		cmocka_unit_test(hlc_format_max),
		cmocka_unit_test(hlc_format_small_buffer),
		cmocka_unit_test(hlc_system_wall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
