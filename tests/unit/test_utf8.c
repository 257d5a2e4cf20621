/* Unit tests of UTF-8 validation and character counting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wardline/error.h"
#include "wardline/utf8.h"

struct utf8_case {
	const char *text;
	long count; /* or WL_EINVAL */
};

static void utf8_count_cases(void **state)
{
	static const struct utf8_case cases[] = {
		{"", 0},
		{"bed 4", 5},
		{"~", 1},
		{"\xc2\xa0", 1},               /* U+00A0, first after C1 */
		{"\xc3\xa9t\xc3\xa9", 3},      /* two-byte forms */
		{"\xe2\x82\xac", 1},           /* U+20AC, three bytes */
		{"\xef\xbf\xbf", 1},           /* U+FFFF */
		{"\xf0\x9f\x92\x8a", 1},       /* U+1F48A, four bytes */
		{"\xf4\x8f\xbf\xbf", 1},       /* U+10FFFF, the last */
		{"\x7f", WL_EINVAL},           /* DEL */
		{"\x1f", WL_EINVAL},           /* C0 control */
		{"\xc2\x80", WL_EINVAL},       /* C1 control U+0080 */
		{"\xc2\x9f", WL_EINVAL},       /* C1 control U+009F */
		{"\x80", WL_EINVAL},           /* lone continuation byte */
		{"\xc3", WL_EINVAL},           /* truncated sequence */
		{"\xe2\x82", WL_EINVAL},       /* truncated sequence */
		{"\xc3\x28", WL_EINVAL},       /* bad continuation byte */
		{"\xc0\xaf", WL_EINVAL},       /* overlong two-byte '/' */
		{"\xc1\xbf", WL_EINVAL},       /* overlong two-byte */
		{"\xe0\x80\xaf", WL_EINVAL},   /* overlong three-byte */
		{"\xf0\x80\x80\xaf", WL_EINVAL}, /* overlong four-byte */
		{"\xed\xa0\x80", WL_EINVAL},   /* surrogate U+D800 */
		{"\xed\xbf\xbf", WL_EINVAL},   /* surrogate U+DFFF */
		{"\xf4\x90\x80\x80", WL_EINVAL}, /* U+110000 */
		{"\xf5\x80\x80\x80", WL_EINVAL}, /* lead byte above F4 */
		{"\xff", WL_EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = wl_utf8_count_text(cases[i].text,
					    strlen(cases[i].text));

		if (n != cases[i].count)
			print_error("case %zu: got %ld, expected %ld\n", i, n,
				    cases[i].count);
		assert_int_equal(n, cases[i].count);
	}
}

static void utf8_nul_is_control(void **state)
{
	(void)state;
	assert_int_equal(wl_utf8_count_text("a\0b", 3), WL_EINVAL);
	assert_int_equal(wl_utf8_count_text("ab", 1), 1);
}

static void utf8_decode_code_points(void **state)
{
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\x8a";
	uint32_t cp[3] = {0};

	(void)state;
	assert_int_equal(wl_utf8_decode_text(text, strlen(text), cp, 3), 4);
	assert_int_equal(cp[0], 'a');
	assert_int_equal(cp[1], 0xe9);
	assert_int_equal(cp[2], 0x20ac);
	assert_int_equal(wl_utf8_decode_text(text, strlen(text), NULL, 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_count_cases),
		cmocka_unit_test(utf8_nul_is_control),
		cmocka_unit_test(utf8_decode_code_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
