/* A generator of invented patients as FHIR R4 bundles. */
#include "wardline/census_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/error.h"

#define UUID_TEXT 37
#define DATE_TEXT 11

/* Names made up for this generator. The female and male given names do
 * not overlap, so a (given, family) pair names one person. */
static const char *const FAMILY[] = {
	"Ashgrove",   "Bellhaven",  "Brackwater", "Cindermoor", "Dunmarrow",
	"Elderbrook", "Fairwick",   "Fenhallow",  "Galloway",   "Greythorn",
	"Hartwell",   "Hollowmere", "Ivesdale",   "Juniperfell", "Kestrane",
	"Larkspur",   "Marrowby",   "Nettlecombe", "Oakhurst",  "Pellingham",
	"Quillfeather", "Ravensmoor", "Saltmarsh", "Thistlewood", "Underhay",
	"Vantrell",   "Wexcombe",   "Yarrowdale", "Zephyrine",  "Applewick",
	"Blackfen",   "Corriswell", "Dovecote",   "Emberly",    "Foxmantle",
	"Glenmorrow", "Heathcote",  "Inglewood",  "Kinsmere",   "Loxbridge",
};
#define N_FAMILY (sizeof(FAMILY) / sizeof(FAMILY[0]))

static const char *const GIVEN[] = {
	/* female */
	"Adelind", "Briony", "Calla", "Delphine", "Elowen", "Fenna", "Greer",
	"Hesper", "Ilse", "Jessamy", "Kerensa", "Liora", "Maelis", "Nerys",
	"Oriel", "Perpetua", "Rosamund", "Sabela", "Tamsin", "Wren",
	/* male */
	"Alaric", "Bastian", "Corvin", "Dashiell", "Emrys", "Fintan",
	"Gideon", "Hadrian", "Ignatius", "Jory", "Kasimir", "Leander",
	"Mattias", "Niall", "Osric", "Peregrine", "Rafferty", "Soren",
	"Tobiah", "Wystan",
};
#define N_GIVEN (sizeof(GIVEN) / sizeof(GIVEN[0]))
#define N_GIVEN_FEMALE 20

/* A reason for admission to a medical ward and the order it brings. */
struct problem {
	const char *text;
	const char *medication;
};

static const struct problem ACUTE[] = {
	{"Community-acquired pneumonia", "Ceftriaxone 1 g IV every 24 hours"},
	{"Exacerbation of COPD", "Prednisone 40 mg by mouth daily"},
	{"Acute decompensated heart failure", "Furosemide 40 mg IV twice daily"},
	{"Cellulitis of the left leg", "Cefazolin 2 g IV every 8 hours"},
	{"Pyelonephritis", "Ceftriaxone 1 g IV every 24 hours"},
	{"Acute kidney injury", "Sodium chloride 0.9% IV at 75 mL/h"},
	{"Hip fracture, after surgery",
	 "Oxycodone 5 mg by mouth every 4 hours as needed"},
	{"Deep vein thrombosis of the right leg",
	 "Apixaban 10 mg by mouth twice daily"},
	{"Alcohol withdrawal", "Lorazepam 1 mg by mouth every 6 hours as needed"},
	{"Small bowel obstruction", "Ondansetron 4 mg IV every 8 hours as needed"},
	{"Diabetic ketoacidosis", "Insulin regular IV infusion by protocol"},
	{"Upper gastrointestinal bleeding", "Pantoprazole 40 mg IV twice daily"},
};
#define N_ACUTE (sizeof(ACUTE) / sizeof(ACUTE[0]))

static const struct problem CHRONIC[] = {
	{"Type 2 diabetes mellitus",
	 "Insulin glargine 20 units subcutaneous at bedtime"},
	{"Hypertension", "Amlodipine 5 mg by mouth daily"},
	{"Atrial fibrillation", "Metoprolol tartrate 25 mg by mouth twice daily"},
	{"Chronic kidney disease, stage 3", "Calcium acetate 667 mg with meals"},
	{"Hypothyroidism", "Levothyroxine 75 micrograms by mouth daily"},
	{"Depression", "Sertraline 50 mg by mouth daily"},
};
#define N_CHRONIC (sizeof(CHRONIC) / sizeof(CHRONIC[0]))

static const char *const RESOLVED[] = {
	"Appendicitis", "Fracture of the right wrist", "Otitis media",
	"Kidney stone", "Shingles",
};
#define N_RESOLVED (sizeof(RESOLVED) / sizeof(RESOLVED[0]))

static const char *const ALLERGY[] = {
	"Penicillin", "Sulfonamide antibiotics", "Latex", "Codeine",
	"Iodinated contrast", "Peanut",
};
#define N_ALLERGY (sizeof(ALLERGY) / sizeof(ALLERGY[0]))

/* A deterministic stream of random bytes: blocks of randombytes_buf_
 * deterministic, each keyed with BLAKE2b(KEY, block number). */
struct draw {
	unsigned char key[32];
	uint64_t block;
	unsigned char buf[1024];
	size_t pos;
};

static void draw_refill(struct draw *d)
{
	unsigned char block_key[randombytes_SEEDBYTES];
	unsigned char counter[8];

	for (int i = 0; i < 8; i++)
		counter[i] = (unsigned char)(d->block >> (56 - 8 * i));
	crypto_generichash(block_key, sizeof(block_key), counter,
			   sizeof(counter), d->key, sizeof(d->key));
	randombytes_buf_deterministic(d->buf, sizeof(d->buf), block_key);
	sodium_memzero(block_key, sizeof(block_key));
	d->block++;
	d->pos = 0;
}

/* Key the stream with BLAKE2b(SEED, PURPOSE, INDEX): the names of a census
 * and each patient get streams of their own. */
static void draw_init(struct draw *d, uint64_t seed, const char *purpose,
		      unsigned index)
{
	crypto_generichash_state st;
	unsigned char in[12];

	for (int i = 0; i < 8; i++)
		in[i] = (unsigned char)(seed >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		in[8 + i] = (unsigned char)(index >> (24 - 8 * i));
	crypto_generichash_init(&st, NULL, 0, sizeof(d->key));
	crypto_generichash_update(&st, (const unsigned char *)purpose,
				  strlen(purpose) + 1);
	crypto_generichash_update(&st, in, sizeof(in));
	crypto_generichash_final(&st, d->key, sizeof(d->key));
	d->block = 0;
	draw_refill(d);
}

static void draw_bytes(struct draw *d, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d->pos == sizeof(d->buf))
			draw_refill(d);
		out[i] = d->buf[d->pos++];
	}
}

/* A number from 0 to N - 1. The modulo bias of a 32-bit draw is below
 * 2^-24 for these small N, which is no concern for invented data. */
static unsigned draw_below(struct draw *d, unsigned n)
{
	unsigned char b[4];

	draw_bytes(d, b, sizeof(b));
	return (unsigned)(((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			   (uint32_t)b[2] << 8 | b[3]) %
			  n);
}

/* A random (version 4) UUID as text, the form Synthea gives its ids. */
static void draw_uuid(struct draw *d, char out[UUID_TEXT])
{
	unsigned char u[16];
	char hex[33];

	draw_bytes(d, u, sizeof(u));
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	sodium_bin2hex(hex, sizeof(hex), u, sizeof(u));
	snprintf(out, UUID_TEXT, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
}

/* The name of patient INDEX: entry INDEX of a shuffle of every (given,
 * family) pair, so that no two patients of one seed share a name. */
static void pick_name(uint64_t seed, unsigned index, unsigned *given,
		      unsigned *family)
{
	uint16_t pairs[N_GIVEN * N_FAMILY];
	struct draw d;

	for (unsigned i = 0; i < N_GIVEN * N_FAMILY; i++)
		pairs[i] = (uint16_t)i;
	draw_init(&d, seed, "names", 0);
	for (unsigned i = 0; i <= index; i++) {
		unsigned j = i + draw_below(&d, N_GIVEN * N_FAMILY - i);
		uint16_t t = pairs[i];

		pairs[i] = pairs[j];
		pairs[j] = t;
	}
	*given = pairs[index] % N_GIVEN;
	*family = pairs[index] / N_GIVEN;
	sodium_memzero(&d, sizeof(d));
}

/* The date DAYS days and YEARS years before TODAY, as YYYY-MM-DD. */
static int date_before(const struct tm *today, int years, int days,
		       char out[DATE_TEXT])
{
	struct tm t = *today;
	time_t when;

	t.tm_year -= years;
	t.tm_mday -= days;
	t.tm_hour = 12;
	when = timegm(&t);
	if (when == (time_t)-1 || gmtime_r(&when, &t) == NULL)
		return WL_EINVAL;
	strftime(out, DATE_TEXT, "%Y-%m-%d", &t);
	return 0;
}

/* Wrap RESOURCE (its reference is taken) in a bundle entry. */
static json_t *entry(json_t *resource, const char *id)
{
	char url[UUID_TEXT + 9];

	snprintf(url, sizeof(url), "urn:uuid:%s", id);
	return json_pack("{s:s, s:o}", "fullUrl", url, "resource", resource);
}

static json_t *status_of(const char *system, const char *code)
{
	return json_pack("{s:[{s:s, s:s}]}", "coding", "system", system,
			 "code", code);
}

#define CONDITION_STATUS \
	"http://terminology.hl7.org/CodeSystem/condition-clinical"
#define ALLERGY_STATUS \
	"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"

static json_t *condition(struct draw *d, const char *subject,
			 const char *text, const char *status)
{
	char id[UUID_TEXT];

	draw_uuid(d, id);
	return entry(json_pack("{s:s, s:s, s:o, s:{s:s}, s:{s:s}}",
			       "resourceType", "Condition", "id", id,
			       "clinicalStatus",
			       status_of(CONDITION_STATUS, status), "code",
			       "text", text, "subject", "reference", subject),
		     id);
}

static json_t *allergy(struct draw *d, const char *subject, const char *text)
{
	char id[UUID_TEXT];

	draw_uuid(d, id);
	return entry(json_pack("{s:s, s:s, s:o, s:{s:s}, s:{s:s}}",
			       "resourceType", "AllergyIntolerance", "id", id,
			       "clinicalStatus",
			       status_of(ALLERGY_STATUS, "active"), "code",
			       "text", text, "patient", "reference", subject),
		     id);
}

static json_t *medication(struct draw *d, const char *subject,
			  const char *text, const char *authored)
{
	char id[UUID_TEXT];

	draw_uuid(d, id);
	return entry(json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:s}",
			       "resourceType", "MedicationRequest", "id", id,
			       "status", "active", "intent", "order",
			       "medicationCodeableConcept", "text", text,
			       "subject", "reference", subject, "authoredOn",
			       authored),
		     id);
}

static json_t *encounter(struct draw *d, const char *subject,
			 const char *start)
{
	char id[UUID_TEXT];

	draw_uuid(d, id);
	return entry(
		json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:[{s:s}], "
			  "s:{s:s}, s:{s:s}}",
			  "resourceType", "Encounter", "id", id, "status",
			  "in-progress", "class", "system",
			  "http://terminology.hl7.org/CodeSystem/v3-ActCode",
			  "code", "IMP", "display", "inpatient encounter",
			  "type", "text", "Inpatient admission", "subject",
			  "reference", subject, "period", "start", start),
		id);
}

/* The patient of one bundle and what is drawn for it. */
struct person {
	char id[UUID_TEXT];
	char subject[UUID_TEXT + 9]; /* "urn:uuid:ID" */
	const char *given;
	const char *family;
	const char *sex;
	char birth[DATE_TEXT];
	char admitted[32]; /* the encounter's start, ISO 8601 in UTC */
};

static int draw_person(struct draw *d, uint64_t seed, unsigned index,
		       const struct tm *today, struct person *p)
{
	unsigned given, family, age, other;
	char day[DATE_TEXT];
	int rc;

	pick_name(seed, index, &given, &family);
	p->given = GIVEN[given];
	p->family = FAMILY[family];
	p->sex = given < N_GIVEN_FEMALE ? "female" : "male";
	draw_uuid(d, p->id);
	snprintf(p->subject, sizeof(p->subject), "urn:uuid:%s", p->id);

	/* Ages 22 to 96, the larger of two draws, so that most patients
	 * are old as on a medical ward; admitted one to five days ago. */
	age = draw_below(d, 75);
	other = draw_below(d, 75);
	age = 22 + (age > other ? age : other);
	rc = date_before(today, (int)age, (int)draw_below(d, 365), p->birth);
	if (rc == 0)
		rc = date_before(today, 0, 1 + (int)draw_below(d, 5), day);
	if (rc == 0)
		snprintf(p->admitted, sizeof(p->admitted),
			 "%sT%02u:%02u:00+00:00", day, draw_below(d, 24),
			 draw_below(d, 60));
	return rc;
}

/* Append the problems, the orders they bring, the allergies and the
 * encounter of P to ENTRIES. */
static void add_clinical(struct draw *d, const struct person *p,
			 json_t *entries)
{
	const struct problem *acute = &ACUTE[draw_below(d, N_ACUTE)];
	unsigned chronic = draw_below(d, 3); /* 0 to 2 */
	unsigned first = draw_below(d, N_CHRONIC);
	unsigned allergies = draw_below(d, 5);

	json_array_append_new(entries, condition(d, p->subject, acute->text,
						 "active"));
	json_array_append_new(entries, medication(d, p->subject,
						  acute->medication,
						  p->admitted));
	for (unsigned i = 0; i < chronic; i++) {
		const struct problem *c = &CHRONIC[(first + i) % N_CHRONIC];

		json_array_append_new(entries, condition(d, p->subject,
							 c->text, "active"));
		json_array_append_new(entries, medication(d, p->subject,
							  c->medication,
							  p->admitted));
	}
	json_array_append_new(entries,
			      condition(d, p->subject,
					RESOLVED[draw_below(d, N_RESOLVED)],
					"resolved"));

	/* Half of the patients have no known allergy. */
	if (allergies < 2)
		allergies = 0;
	else if (allergies < 4)
		allergies = 1;
	else
		allergies = 2;
	first = draw_below(d, N_ALLERGY);
	for (unsigned i = 0; i < allergies; i++)
		json_array_append_new(
			entries,
			allergy(d, p->subject, ALLERGY[(first + i) % N_ALLERGY]));
	json_array_append_new(entries, encounter(d, p->subject, p->admitted));
}

static json_t *bundle_of(struct draw *d, const struct person *p)
{
	json_t *entries = json_array();
	json_t *patient;
	char bundle_id[UUID_TEXT];

	patient = json_pack("{s:s, s:s, s:[{s:s, s:s, s:[s]}], s:s, s:s}",
			    "resourceType", "Patient", "id", p->id, "name",
			    "use", "official", "family", p->family, "given",
			    p->given, "gender", p->sex, "birthDate", p->birth);
	if (entries == NULL || patient == NULL) {
		json_decref(entries);
		json_decref(patient);
		return NULL;
	}
	json_array_append_new(entries, entry(patient, p->id));
	add_clinical(d, p, entries);
	draw_uuid(d, bundle_id);
	return json_pack("{s:s, s:s, s:s, s:o}", "resourceType", "Bundle", "id",
			 bundle_id, "type", "collection", "entry", entries);
}

/* Dump J into a malloc'd string, so that the caller frees it with free()
 * whatever allocator jansson was given. */
static char *dump(const json_t *j)
{
	size_t size = json_dumpb(j, NULL, 0, JSON_INDENT(1));
	char *out;

	if (size == 0 || (out = malloc(size + 2)) == NULL)
		return NULL;
	json_dumpb(j, out, size, JSON_INDENT(1));
	out[size] = '\n';
	out[size + 1] = '\0';
	return out;
}

int wl_census_gen_bundle(uint64_t seed, unsigned index, const char *today,
			 char **json, char *name, size_t name_size)
{
	struct tm day;
	struct person p;
	struct draw d;
	json_t *b = NULL;
	const char *end;
	int rc;

	*json = NULL;
	memset(&day, 0, sizeof(day));
	end = today ? strptime(today, "%Y-%m-%d", &day) : NULL;
	if (index >= WL_CENSUS_GEN_MAX || end == NULL || *end != '\0' ||
	    strlen(today) != 10)
		return WL_EINVAL;

	draw_init(&d, seed, "patient", index);
	rc = draw_person(&d, seed, index, &day, &p);
	if (rc == 0) {
		b = bundle_of(&d, &p);
		*json = b ? dump(b) : NULL;
		rc = *json ? 0 : WL_ENOMEM;
	}
	json_decref(b);
	sodium_memzero(&d, sizeof(d));

	if (rc == 0 && name != NULL)
		snprintf(name, name_size, "%s %s", p.given, p.family);
	return rc;
}
