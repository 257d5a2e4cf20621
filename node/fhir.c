/* Census import from FHIR R4 bundles. */
#include "wardline/fhir.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "wardline/error.h"
#include "wardline/utf8.h"

/* The state of one read: where we are, for the error. */
struct reader {
	struct wl_fhir_patient p;
	struct wl_fhir_error *err;
	size_t entry;
	const char *resource;
	char patient_urn[WL_FHIR_ID_MAX + 16]; /* "urn:uuid:ID" */
	char patient_ref[WL_FHIR_ID_MAX + 16]; /* "Patient/ID" */
	char latest_encounter[32];             /* its period.start */
};

static int fail(struct reader *r, const char *field, const char *problem)
{
	if (r->err != NULL) {
		r->err->entry = r->entry;
		snprintf(r->err->resource, sizeof(r->err->resource), "%s",
			 r->resource);
		snprintf(r->err->field, sizeof(r->err->field), "%s", field);
		snprintf(r->err->problem, sizeof(r->err->problem), "%s",
			 problem);
	}
	return WL_EINVAL;
}

/* Follow the dotted PATH ("code.coding") from O; NULL if any step is
 * missing. A step "0" takes an array's first element. */
static json_t *at(json_t *o, const char *path)
{
	char step[64];

	while (o != NULL && *path) {
		size_t len = strcspn(path, ".");

		if (len >= sizeof(step))
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		o = strcmp(step, "0") == 0 ? json_array_get(o, 0)
					   : json_object_get(o, step);
		path += len + (path[len] == '.');
	}
	return o;
}

/* Fetch the string at PATH of O, which must be printable UTF-8 of 1 to
 * MAX bytes. Returns it, or NULL after setting the error (when REQUIRED)
 * or silently. */
static const char *text_at(struct reader *r, json_t *o, const char *path,
			   size_t max, int required)
{
	json_t *v = at(o, path);
	const char *s;
	size_t len;

	if (v == NULL) {
		if (required)
			fail(r, path, "missing");
		return NULL;
	}
	if (!json_is_string(v)) {
		fail(r, path, "not a string");
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > max || wl_utf8_count_text(s, len) < 0) {
		fail(r, path, len == 0   ? "empty"
			      : len > max ? "too long"
					  : "not printable UTF-8 text");
		return NULL;
	}
	return s;
}

/* The display text of a CodeableConcept at PATH: its text, or the
 * display of its first coding. */
static const char *concept_text(struct reader *r, json_t *o, const char *path)
{
	char sub[64];
	json_t *c = at(o, path);
	const char *s;

	if (c == NULL || !json_is_object(c)) {
		fail(r, path, c ? "not an object" : "missing");
		return NULL;
	}
	if (json_object_get(c, "text") != NULL) {
		snprintf(sub, sizeof(sub), "%s.text", path);
		return text_at(r, o, sub, WL_FHIR_LIST_MAX, 1);
	}
	snprintf(sub, sizeof(sub), "%s.coding.0.display", path);
	s = text_at(r, o, sub, WL_FHIR_LIST_MAX, 1);
	return s;
}

/* Append ITEM to the "; "-joined LIST unless it is there; count it. */
static void list_add(struct reader *r, char *list, size_t *count,
		     const char *item)
{
	size_t used = strlen(list);
	size_t len = strlen(item);
	const char *hit = strstr(list, item);

	/* A whole item already listed is not repeated. */
	while (hit != NULL) {
		int starts = hit == list || (hit >= list + 2 && hit[-1] == ' ' &&
					     hit[-2] == ';');
		int ends = hit[len] == '\0' || hit[len] == ';';

		if (starts && ends)
			return;
		hit = strstr(hit + 1, item);
	}
	if (used + (used ? 2 : 0) + len > WL_FHIR_LIST_MAX) {
		r->p.lists_cut = 1;
		return;
	}
	if (used) {
		memcpy(list + used, "; ", 2);
		used += 2;
	}
	memcpy(list + used, item, len + 1);
	(*count)++;
}

/* Check that the reference at PATH of O names the bundle's patient. */
static int about_patient(struct reader *r, json_t *o, const char *path)
{
	const char *ref = text_at(r, o, path, 200, 1);

	if (ref == NULL)
		return WL_EINVAL;
	if (strcmp(ref, r->patient_urn) != 0 &&
	    strcmp(ref, r->patient_ref) != 0)
		return fail(r, path, "not the bundle's patient");
	return 0;
}

static int id_ok(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int date_ok(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	return end != NULL && *end == '\0' && strlen(s) == 10;
}

static int read_patient(struct reader *r, json_t *res)
{
	json_t *names = json_object_get(res, "name");
	json_t *name = NULL, *given;
	const char *id, *family, *gender, *birth;
	size_t i;
	json_t *v;
	size_t used = 0;

	id = text_at(r, res, "id", WL_FHIR_ID_MAX, 1);
	if (id == NULL)
		return WL_EINVAL;
	if (!id_ok(id))
		return fail(r, "id", "not a FHIR id");
	if (!json_is_array(names) || json_array_size(names) == 0)
		return fail(r, "name", names ? "not a list" : "missing");

	/* The official name, or else the first. */
	json_array_foreach(names, i, v) {
		const char *use = json_string_value(json_object_get(v, "use"));

		if (name == NULL || (use && strcmp(use, "official") == 0))
			name = v;
	}
	family = text_at(r, name, "family", 60, 1);
	given = json_object_get(name, "given");
	if (family == NULL)
		return fail(r, "name.family", "missing or invalid");
	if (!json_is_array(given) || json_array_size(given) == 0)
		return fail(r, "name.given", "missing");
	json_array_foreach(given, i, v) {
		const char *g = json_string_value(v);

		if (g == NULL || wl_utf8_count_text(g, strlen(g)) < 0)
			return fail(r, "name.given", "not text");
		if (used + strlen(g) + 1 < sizeof(r->p.name) - strlen(family)) {
			used += (size_t)snprintf(r->p.name + used,
						 sizeof(r->p.name) - used,
						 "%s ", g);
		}
	}
	snprintf(r->p.name + used, sizeof(r->p.name) - used, "%s", family);

	gender = text_at(r, res, "gender", 15, 1);
	if (gender == NULL)
		return WL_EINVAL;
	if (strcmp(gender, "male") && strcmp(gender, "female") &&
	    strcmp(gender, "other") && strcmp(gender, "unknown"))
		return fail(r, "gender", "not male, female, other or unknown");
	birth = text_at(r, res, "birthDate", 10, 1);
	if (birth == NULL || !date_ok(birth))
		return fail(r, "birthDate", "not a YYYY-MM-DD date");

	snprintf(r->p.id, sizeof(r->p.id), "%s", id);
	snprintf(r->p.sex, sizeof(r->p.sex), "%s", gender);
	snprintf(r->p.birth_date, sizeof(r->p.birth_date), "%s", birth);
	snprintf(r->patient_urn, sizeof(r->patient_urn), "urn:uuid:%s", id);
	snprintf(r->patient_ref, sizeof(r->patient_ref), "Patient/%s", id);
	return 0;
}

/* The clinical status code at "clinicalStatus.coding.0.code", or DEFAULT
 * when the resource has no clinicalStatus. */
static const char *status_of(struct reader *r, json_t *res, const char *def)
{
	if (json_object_get(res, "clinicalStatus") == NULL)
		return def;
	return text_at(r, res, "clinicalStatus.coding.0.code", 32, 1);
}

static int read_condition(struct reader *r, json_t *res)
{
	const char *status = status_of(r, res, NULL);
	const char *text;

	if (status == NULL)
		return fail(r, "clinicalStatus", "missing");
	text = concept_text(r, res, "code");
	if (text == NULL || about_patient(r, res, "subject.reference") != 0)
		return WL_EINVAL;
	if (strcmp(status, "active") == 0)
		list_add(r, r->p.problems, &r->p.n_problems, text);
	return 0;
}

static int read_allergy(struct reader *r, json_t *res)
{
	const char *status = status_of(r, res, "active");
	const char *text;

	if (status == NULL)
		return WL_EINVAL;
	text = concept_text(r, res, "code");
	if (text == NULL || about_patient(r, res, "patient.reference") != 0)
		return WL_EINVAL;
	if (strcmp(status, "active") == 0)
		list_add(r, r->p.allergies, &r->p.n_allergies, text);
	return 0;
}

static int read_medication(struct reader *r, json_t *res)
{
	const char *status = text_at(r, res, "status", 32, 1);
	const char *text;

	if (status == NULL)
		return WL_EINVAL;
	if (json_object_get(res, "medicationCodeableConcept") == NULL)
		return fail(r, "medicationCodeableConcept", "missing");
	text = concept_text(r, res, "medicationCodeableConcept");
	if (text == NULL || about_patient(r, res, "subject.reference") != 0)
		return WL_EINVAL;
	if (strcmp(status, "active") == 0)
		list_add(r, r->p.medications, &r->p.n_medications, text);
	return 0;
}

static int read_encounter(struct reader *r, json_t *res)
{
	const char *start = text_at(r, res, "period.start", 31, 1);
	const char *type = NULL;

	if (start == NULL || about_patient(r, res, "subject.reference") != 0)
		return WL_EINVAL;
	if (json_object_get(res, "type") != NULL) {
		type = concept_text(r, res, "type.0");
		if (type == NULL)
			return WL_EINVAL;
	}
	/* ISO 8601 times of one offset sort as text; Synthea writes UTC. */
	if (strcmp(start, r->latest_encounter) > 0) {
		snprintf(r->latest_encounter, sizeof(r->latest_encounter), "%s",
			 start);
		snprintf(r->p.encounter, sizeof(r->p.encounter), "%.10s %s",
			 start, type ? type : "encounter");
	}
	return 0;
}

/* Find each entry's resource, checking the frame; call FN on those of
 * TYPE (all entries when TYPE is NULL). */
static int each_resource(struct reader *r, json_t *entries, const char *type,
			 int (*fn)(struct reader *, json_t *), size_t *seen)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e) {
		json_t *res = json_object_get(e, "resource");
		const char *rt;

		r->entry = i + 1;
		r->resource = "entry";
		if (!json_is_object(e) || !json_is_object(res))
			return fail(r, "resource", "missing or not an object");
		rt = json_string_value(json_object_get(res, "resourceType"));
		if (rt == NULL)
			return fail(r, "resource.resourceType", "missing");
		r->resource = rt;
		if (type != NULL && strcmp(rt, type) != 0)
			continue;
		if (seen != NULL)
			(*seen)++;
		if (fn != NULL && fn(r, res) != 0)
			return WL_EINVAL;
	}
	return 0;
}

int wl_fhir_read(const unsigned char *buf, size_t len,
		 struct wl_fhir_patient *out, struct wl_fhir_error *err)
{
	static const struct {
		const char *type;
		int (*fn)(struct reader *, json_t *);
	} readers[] = {
		{"Condition", read_condition},
		{"AllergyIntolerance", read_allergy},
		{"MedicationRequest", read_medication},
		{"Encounter", read_encounter},
	};
	struct reader r;
	json_error_t jerr;
	json_t *bundle = NULL, *entries;
	const char *rt;
	size_t patients = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.resource = "Bundle";
	if (len > WL_FHIR_BUNDLE_MAX) {
		fail(&r, "", "larger than 32 MiB");
		return WL_ETOOBIG;
	}
	bundle = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
			    &jerr);
	if (bundle == NULL || !json_is_object(bundle)) {
		json_decref(bundle);
		return fail(&r, "", "not one JSON object");
	}
	rt = json_string_value(json_object_get(bundle, "resourceType"));
	entries = json_object_get(bundle, "entry");
	if (rt == NULL || strcmp(rt, "Bundle") != 0)
		rc = fail(&r, "resourceType", "not Bundle");
	else if (!json_is_array(entries))
		rc = fail(&r, "entry", "missing or not a list");

	/* The patient first, so that every other resource can be checked
	 * against it. */
	if (rc == 0)
		rc = each_resource(&r, entries, "Patient", NULL, &patients);
	if (rc == 0 && patients != 1) {
		r.entry = 0;
		r.resource = "Bundle";
		rc = fail(&r, "entry", patients == 0 ? "no Patient"
						     : "more than one Patient");
		if (patients == 0)
			rc = WL_ENOTFOUND;
	}
	if (rc == 0)
		rc = each_resource(&r, entries, "Patient", read_patient, NULL);
	for (size_t i = 0; rc == 0 && i < sizeof(readers) / sizeof(readers[0]);
	     i++)
		rc = each_resource(&r, entries, readers[i].type,
				   readers[i].fn, NULL);
	json_decref(bundle);

	if (rc == 0)
		*out = r.p;
	return rc;
}

int wl_fhir_age(const char *birth_date, uint64_t now_ms)
{
	struct tm born, now;
	time_t t = (time_t)(now_ms / 1000);
	int age;

	memset(&born, 0, sizeof(born));
	if (!date_ok(birth_date) ||
	    strptime(birth_date, "%Y-%m-%d", &born) == NULL)
		return -1;
	gmtime_r(&t, &now);
	age = now.tm_year - born.tm_year;
	if (now.tm_mon < born.tm_mon ||
	    (now.tm_mon == born.tm_mon && now.tm_mday < born.tm_mday))
		age--;
	return age < 0 ? -1 : age;
}
