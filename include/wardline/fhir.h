/* Census import from FHIR R4 bundles.
 *
 * A bundle (as Synthea writes them: a "transaction" or "collection" Bundle
 * of one patient's record) gives one patient for the ward's census: the
 * Patient's id, name, sex and birth date; the text of each active
 * Condition (the main problems); each active AllergyIntolerance; each
 * active MedicationRequest; and the latest Encounter. Other resources are
 * skipped.
 *
 * The reader is strict about what it uses: a bundle with no or two
 * patients, a used resource whose required field is missing, of the wrong
 * type, not printable UTF-8, or that refers to another patient, is
 * refused, and the error names the entry (1-based) and the field, so that
 * the sender can fix it. Nothing is taken from a refused bundle.
 *
 * Pure: no I/O, no logging.
 */
#ifndef WARDLINE_FHIR_H
#define WARDLINE_FHIR_H

#include <stddef.h>
#include <stdint.h>

#define WL_FHIR_BUNDLE_MAX (32u * 1024 * 1024)
#define WL_FHIR_ID_MAX 64
#define WL_FHIR_NAME_MAX 127
#define WL_FHIR_LIST_MAX 1023 /* bytes of a "; "-joined list */
#define WL_FHIR_ENCOUNTER_MAX 255

struct wl_fhir_patient {
	char id[WL_FHIR_ID_MAX + 1];         /* Patient.id */
	char name[WL_FHIR_NAME_MAX + 1];     /* given names and family name */
	char sex[16];                        /* male, female, other, unknown */
	char birth_date[11];                 /* YYYY-MM-DD */
	char problems[WL_FHIR_LIST_MAX + 1]; /* active conditions */
	char allergies[WL_FHIR_LIST_MAX + 1];
	char medications[WL_FHIR_LIST_MAX + 1];
	char encounter[WL_FHIR_ENCOUNTER_MAX + 1]; /* latest: date and type */
	size_t n_problems;
	size_t n_allergies;
	size_t n_medications;
	int lists_cut; /* a list was longer than WL_FHIR_LIST_MAX and cut */
};

/* The place a bundle was refused at. ENTRY is 1-based, 0 for the bundle
 * itself. */
struct wl_fhir_error {
	size_t entry;
	char resource[32]; /* resourceType of the entry, or "Bundle" */
	char field[64];    /* "subject.reference" */
	char problem[96];  /* "missing", "not the bundle's patient" */
};

/* Read the bundle of LEN bytes at BUF into *OUT (written only on
 * success). On failure *ERR (may be NULL) names the place. Returns 0, or
 * WL_ETOOBIG (above WL_FHIR_BUNDLE_MAX), WL_EINVAL (not a JSON object, or
 * a field at fault) or WL_ENOTFOUND (no Patient). */
int wl_fhir_read(const unsigned char *buf, size_t len,
		 struct wl_fhir_patient *out, struct wl_fhir_error *err);

/* The age in whole years on NOW_MS of someone born on BIRTH_DATE
 * (YYYY-MM-DD), or -1 when the date is invalid or after NOW_MS. */
int wl_fhir_age(const char *birth_date, uint64_t now_ms);

#endif
