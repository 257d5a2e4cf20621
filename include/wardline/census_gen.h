/* A generator of invented patients as FHIR R4 bundles, for demos and tests.
 *
 * Each bundle is a "collection" Bundle of one patient, shaped as
 * wl_fhir_read (fhir.h) reads it: a Patient (id, official name, gender,
 * birth date), one to three active Conditions and one resolved Condition,
 * zero to two AllergyIntolerances, a MedicationRequest per active problem,
 * and an inpatient Encounter that started one to five days before TODAY.
 * Codes are given as text only (CodeableConcept.text).
 *
 * The people are invented: given and family names come from lists made up
 * for this generator, and no value is taken from a real record. The
 * output depends only on the seed, the index and TODAY, so a seed
 * reproduces a census byte for byte. Within one seed, the patients of
 * indexes 0 to WL_CENSUS_GEN_MAX - 1 all have different names and ids.
 *
 * The random stream is libsodium's randombytes_buf_deterministic, keyed
 * with BLAKE2b of the seed. It is no secret: anyone with the seed can
 * rebuild the census.
 *
 * Pure: no I/O, no logging.
 */
#ifndef WARDLINE_CENSUS_GEN_H
#define WARDLINE_CENSUS_GEN_H

#include <stddef.h>
#include <stdint.h>

#define WL_CENSUS_GEN_MAX 200 /* patients with distinct names per seed */

/* Build the bundle of patient INDEX (0 to WL_CENSUS_GEN_MAX - 1) of the
 * census SEED, as of the date TODAY ("YYYY-MM-DD"). On success *JSON is
 * indented JSON text that the caller frees with free(), and NAME (when not
 * NULL, NAME_SIZE bytes) receives the patient's full name. Returns 0,
 * WL_EINVAL (INDEX out of range, TODAY not a date) or WL_ENOMEM. */
int wl_census_gen_bundle(uint64_t seed, unsigned index, const char *today,
			 char **json, char *name, size_t name_size);

#endif
