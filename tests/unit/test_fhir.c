/* Unit tests of the FHIR census reader: what it takes from a bundle, the
 * errors that name entry and field, and every bundle of the shared
 * Synthea records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"
#include "wardline/fhir.h"

#define PID "9afe28dc-7ad5-4e90-b6a6-16123eae98c3"
#define SUBJ "\"subject\":{\"reference\":\"urn:uuid:" PID "\"}"

static const char patient[] =
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"" PID "\","
	"\"name\":[{\"use\":\"official\",\"family\":\"Quarrington\","
	"\"given\":[\"Hollis\",\"J\"]}],\"gender\":\"male\","
	"\"birthDate\":\"1950-03-04\"}}";

/* A bundle of the patient and the entries in REST (a JSON list body,
 * possibly empty), in a static buffer. */
static const char *bundle(const char *rest)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "{\"resourceType\":\"Bundle\",\"type\":\"transaction\","
		 "\"entry\":[%s%s%s]}",
		 patient, rest[0] ? "," : "", rest);
	return buf;
}

static int read_text(const char *json, struct wl_fhir_patient *p,
		     struct wl_fhir_error *err)
{
	return wl_fhir_read((const unsigned char *)json, strlen(json), p, err);
}

/* The patient, active problems, allergies, medications and the latest
 * encounter are taken; resolved and stopped ones are not. */
static void fhir_reads_census(void **state)
{
	static const char rest[] =
		"{\"resource\":{\"resourceType\":\"Condition\","
		"\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		"\"code\":{\"text\":\"Hypertension\"}," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"Condition\","
		"\"clinicalStatus\":{\"coding\":[{\"code\":\"resolved\"}]},"
		"\"code\":{\"text\":\"Sprain\"}," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"Condition\","
		"\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		"\"code\":{\"coding\":[{\"display\":\"Prediabetes\"}]}," SUBJ
		"}},"
		"{\"resource\":{\"resourceType\":\"Condition\","
		"\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		"\"code\":{\"text\":\"Hypertension\"}," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"AllergyIntolerance\","
		"\"code\":{\"text\":\"Penicillin\"},\"patient\":{\"reference\":"
		"\"Patient/" PID "\"}}},"
		"{\"resource\":{\"resourceType\":\"MedicationRequest\","
		"\"status\":\"active\",\"medicationCodeableConcept\":{\"text\":"
		"\"Lisinopril 10 MG\"}," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"MedicationRequest\","
		"\"status\":\"stopped\",\"medicationCodeableConcept\":{\"text\":"
		"\"Amoxicillin\"}," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"Encounter\",\"period\":"
		"{\"start\":\"2020-01-02T03:04:05+00:00\"},\"type\":[{\"text\":"
		"\"Check up\"}]," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"Encounter\",\"period\":"
		"{\"start\":\"2021-05-06T03:04:05+00:00\"},\"type\":[{\"text\":"
		"\"Emergency room admission\"}]," SUBJ "}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"whatever\":1}}";
	struct wl_fhir_patient p;
	struct wl_fhir_error err;

	(void)state;
	assert_int_equal(read_text(bundle(rest), &p, &err), 0);
	assert_string_equal(p.id, PID);
	assert_string_equal(p.name, "Hollis J Quarrington");
	assert_string_equal(p.sex, "male");
	assert_string_equal(p.birth_date, "1950-03-04");
	assert_string_equal(p.problems, "Hypertension; Prediabetes");
	assert_int_equal(p.n_problems, 2);
	assert_string_equal(p.allergies, "Penicillin");
	assert_string_equal(p.medications, "Lisinopril 10 MG");
	assert_string_equal(p.encounter, "2021-05-06 Emergency room admission");
	assert_false(p.lists_cut);
}

/* Each malformed bundle is refused, naming the entry and the field. */
static void fhir_errors_name_field(void **state)
{
	static const struct {
		const char *rest;
		size_t entry;
		const char *resource;
		const char *field;
	} cases[] = {
		{"{\"resource\":{\"resourceType\":\"Condition\","
		 "\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		 SUBJ "}}",
		 2, "Condition", "code"},
		{"{\"resource\":{\"resourceType\":\"Condition\","
		 "\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		 "\"code\":{\"text\":\"X\"},\"subject\":{\"reference\":"
		 "\"urn:uuid:someone-else\"}}}",
		 2, "Condition", "subject.reference"},
		{"{\"resource\":{\"resourceType\":\"Condition\","
		 "\"code\":{\"text\":\"X\"}," SUBJ "}}",
		 2, "Condition", "clinicalStatus"},
		{"{\"resource\":{\"resourceType\":\"MedicationRequest\","
		 "\"status\":\"active\"," SUBJ "}}",
		 2, "MedicationRequest", "medicationCodeableConcept"},
		{"{\"resource\":{\"resourceType\":\"Encounter\"," SUBJ "}}", 2,
		 "Encounter", "period.start"},
		{"{\"resource\":{\"resourceType\":\"AllergyIntolerance\","
		 "\"code\":{\"text\":7},\"patient\":{\"reference\":"
		 "\"Patient/" PID "\"}}}",
		 2, "AllergyIntolerance", "code.text"},
		{"{\"fullUrl\":\"x\"}", 2, "entry", "resource"},
		{"{\"resource\":{\"id\":\"x\"}}", 2, "entry",
		 "resource.resourceType"},
		{"{\"resource\":{\"resourceType\":\"Condition\","
		 "\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},"
		 "\"code\":{\"text\":\"bell\\u0007\"}," SUBJ "}}",
		 2, "Condition", "code.text"},
	};
	struct wl_fhir_patient p;
	struct wl_fhir_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(read_text(bundle(cases[i].rest), &p, &err),
				 WL_EINVAL);
		assert_int_equal(err.entry, cases[i].entry);
		assert_string_equal(err.resource, cases[i].resource);
		assert_string_equal(err.field, cases[i].field);
	}
}

/* Bundle-level faults: not JSON, not a Bundle, no patient, two. */
static void fhir_bundle_faults(void **state)
{
	struct wl_fhir_patient p;
	struct wl_fhir_error err;
	char two[4096];

	(void)state;
	assert_int_equal(read_text("[1]", &p, &err), WL_EINVAL);
	assert_int_equal(err.entry, 0);
	assert_int_equal(read_text("{\"resourceType\":\"Patient\"}", &p, &err),
			 WL_EINVAL);
	assert_string_equal(err.field, "resourceType");
	assert_int_equal(read_text("{\"resourceType\":\"Bundle\",\"entry\":[]}",
				   &p, &err),
			 WL_ENOTFOUND);
	assert_string_equal(err.problem, "no Patient");
	snprintf(two, sizeof(two),
		 "{\"resourceType\":\"Bundle\",\"entry\":[%s,%s]}", patient,
		 patient);
	assert_int_equal(read_text(two, &p, &err), WL_EINVAL);
	assert_string_equal(err.problem, "more than one Patient");
}

/* Ages count whole years to the day. */
static void fhir_age(void **state)
{
	const uint64_t day = 86400000ull;
	/* 2021-03-04T00:00:00Z */
	const uint64_t t = 1614816000000ull;

	(void)state;
	assert_int_equal(wl_fhir_age("1950-03-04", t), 71);
	assert_int_equal(wl_fhir_age("1950-03-04", t - day), 70);
	assert_int_equal(wl_fhir_age("1950-13-04", t), -1);
	assert_int_equal(wl_fhir_age("2030-01-01", t), -1);
}

/* Every bundle of the shared Synthea records imports. */
static void fhir_shared_records(void **state)
{
	const char *dir = getenv("WARDLINE_FHIR_DIR");
	struct dirent *d;
	DIR *dp;
	size_t read = 0;

	(void)state;
	if (dir == NULL)
		dir = "../shared/data/fhir";
	dp = opendir(dir);
	if (dp == NULL) {
		print_message("skipped: %s is absent (a clone outside the "
			      "workplace); the shared records are not part "
			      "of the repository\n",
			      dir);
		skip();
	}
	while ((d = readdir(dp)) != NULL) {
		struct wl_fhir_patient *p = malloc(sizeof(*p));
		struct wl_fhir_error err;
		char path[4096];
		unsigned char *buf;
		FILE *f;
		long len;

		if (strstr(d->d_name, ".json") == NULL) {
			free(p);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc((size_t)len);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		if (wl_fhir_read(buf, (size_t)len, p, &err) != 0)
			print_error("%s: entry %zu (%s) field %s: %s\n",
				    d->d_name, err.entry, err.resource,
				    err.field, err.problem);
		assert_int_equal(wl_fhir_read(buf, (size_t)len, p, &err), 0);
		assert_true(strlen(p->name) > 0);
		assert_true(strlen(p->birth_date) == 10);
		free(buf);
		free(p);
		read++;
	}
	closedir(dp);
	assert_true(read > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fhir_reads_census),
		cmocka_unit_test(fhir_errors_name_field),
		cmocka_unit_test(fhir_bundle_faults),
		cmocka_unit_test(fhir_age),
		cmocka_unit_test(fhir_shared_records),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
