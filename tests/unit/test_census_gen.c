/* Unit tests of the census generator: its bundles pass the FHIR reader,
 * names and ids are distinct, and a seed reproduces the census. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wardline/census_gen.h"
#include "wardline/error.h"
#include "wardline/fhir.h"

#define TODAY "2025-03-14"

/* Milliseconds of noon UTC on TODAY, for wl_fhir_age. */
static uint64_t today_ms(void)
{
	struct tm t;

	memset(&t, 0, sizeof(t));
	strptime(TODAY " 12", "%Y-%m-%d %H", &t);
	return (uint64_t)timegm(&t) * 1000;
}

/* Every bundle of a whole census reads, with the name the generator
 * reports, an adult age, and at least one problem and order. */
static void census_gen_bundles_read(void **state)
{
	static struct wl_fhir_patient p[WL_CENSUS_GEN_MAX];

	(void)state;
	for (unsigned i = 0; i < WL_CENSUS_GEN_MAX; i++) {
		struct wl_fhir_error err;
		char name[128];
		char *json = NULL;
		int age;

		assert_int_equal(wl_census_gen_bundle(42, i, TODAY, &json, name,
						      sizeof(name)),
				 0);
		assert_int_equal(wl_fhir_read((const unsigned char *)json,
					      strlen(json), &p[i], &err),
				 0);
		free(json);
		assert_string_equal(p[i].name, name);
		age = wl_fhir_age(p[i].birth_date, today_ms());
		assert_in_range(age, 22, 96);
		assert_in_range(p[i].n_problems, 1, 3);
		assert_int_equal(p[i].n_medications, p[i].n_problems);
		assert_in_range(p[i].n_allergies, 0, 2);
		/* The resolved condition is not a problem. */
		assert_null(strstr(p[i].problems, "Appendicitis"));
		assert_null(strstr(p[i].problems, "Shingles"));
		assert_int_equal(strncmp(p[i].encounter, "2025-03-", 8), 0);
		assert_true(strstr(p[i].encounter, "Inpatient admission") !=
			    NULL);
	}

	/* No two patients of one census share a name or an id. */
	for (unsigned i = 0; i < WL_CENSUS_GEN_MAX; i++) {
		for (unsigned j = i + 1; j < WL_CENSUS_GEN_MAX; j++) {
			assert_string_not_equal(p[i].name, p[j].name);
			assert_string_not_equal(p[i].id, p[j].id);
		}
	}
}

/* The same seed and date give the same bytes, and another seed does not. */
static void census_gen_seed_reproduces(void **state)
{
	char *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_int_equal(wl_census_gen_bundle(7, 3, TODAY, &a, NULL, 0), 0);
	assert_int_equal(wl_census_gen_bundle(7, 3, TODAY, &b, NULL, 0), 0);
	assert_int_equal(wl_census_gen_bundle(8, 3, TODAY, &c, NULL, 0), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void census_gen_rejects_bad_input(void **state)
{
	char *json = (char *)"unchanged";

	(void)state;
	assert_int_equal(wl_census_gen_bundle(1, WL_CENSUS_GEN_MAX, TODAY,
					      &json, NULL, 0),
			 WL_EINVAL);
	assert_null(json);
	assert_int_equal(wl_census_gen_bundle(1, 0, "2025-3-14", &json, NULL,
					      0),
			 WL_EINVAL);
	assert_int_equal(wl_census_gen_bundle(1, 0, "yesterday", &json, NULL,
					      0),
			 WL_EINVAL);
	assert_int_equal(wl_census_gen_bundle(1, 0, NULL, &json, NULL, 0),
			 WL_EINVAL);
	assert_null(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(census_gen_bundles_read),
		cmocka_unit_test(census_gen_seed_reproduces),
		cmocka_unit_test(census_gen_rejects_bad_input),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
