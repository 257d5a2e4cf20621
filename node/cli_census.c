/* wardline census import: admit the patients of FHIR R4 bundles to a
 * ward's beds. `census generate` is in cli_census_gen.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/fhir.h"
#include "wardline/ward.h"

#define FILES_MAX 256
#define BEDS_MAX 999

struct census_args {
	const char *data_dir;
	const char *as;
	const char *password_file;
	const char *ward;
};

/* One patient ready to write: the encoded update and its bed. */
struct admission {
	char entity[WL_WARD_ENTITY_MAX + 1];
	unsigned char *json; /* sodium_malloc, because it contains patient data */
	size_t len;
	int bed;
	int existed;
};

static int census_parse(int argc, char **argv, struct census_args *a)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"as", required_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"ward", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->data_dir = optarg; break;
		case 'a': a->as = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'w': a->ward = optarg; break;
		default: return -1;
		}
	}
	return optind < argc && argc - optind <= FILES_MAX && a->as &&
			       a->ward
		       ? 0
		       : -1;
}

/* Read PATH whole into a sodium_malloc buffer. */
static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    (size_t)size <= WL_FHIR_BUNDLE_MAX && fseek(f, 0, SEEK_SET) == 0) {
		buf = sodium_malloc(size ? (size_t)size : 1);
		if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			sodium_free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	} else {
		errno = EFBIG;
	}
	fclose(f);
	return buf;
}

/* The bed of entity ID in W, or 0; and mark every taken bed in TAKEN. */
static int beds_taken(const struct wl_ward *w, const char *id,
		      unsigned char *taken)
{
	int mine = 0;

	for (size_t i = 0; i < wl_ward_entity_count(w); i++) {
		const struct wl_ward_entity *e = wl_ward_entity_at(w, i);
		const char *bed = wl_ward_field(e, "bed");
		int n = bed ? atoi(bed) : 0;

		if (strncmp(e->id, "patient/", 8) != 0 || n <= 0 ||
		    n > BEDS_MAX)
			continue;
		taken[n] = 1;
		if (id != NULL && strcmp(e->id, id) == 0)
			mine = n;
	}
	return mine;
}

/* Turn patient P into admission AD, in bed BED. */
static int admit(const struct wl_fhir_patient *p, int bed, int age,
		 struct admission *ad)
{
	char bed_text[8], age_text[8];
	const char *names[] = {"name",      "sex",       "birth_date",
			       "age",       "bed",       "problems",
			       "allergies", "medications", "encounter",
			       "source"};
	const char *values[] = {p->name,
				p->sex,
				p->birth_date,
				age_text,
				bed_text,
				p->n_problems ? p->problems : "none recorded",
				p->n_allergies ? p->allergies
					       : "no known allergies",
				p->n_medications ? p->medications : "none",
				p->encounter[0] ? p->encounter : "none",
				"FHIR import"};

	snprintf(bed_text, sizeof(bed_text), "%d", bed);
	snprintf(age_text, sizeof(age_text), "%d", age);
	ad->json = sodium_malloc(8192);
	ad->bed = bed;
	if (ad->json == NULL)
		return WL_ENOMEM;
	return wl_ward_update_encode(ad->entity, names, values, 10, ad->json,
				     8192, &ad->len);
}

/* Read and check every file; fill the admissions of the good ones. Returns
 * the number of bundles refused. */
static int read_bundles(char **files, int n, const struct wl_ward *w,
			struct admission *ads, int *n_ads)
{
	unsigned char taken[BEDS_MAX + 1];
	uint64_t now = wl_hlc_system_wall(NULL);
	int refused = 0;

	memset(taken, 0, sizeof(taken));
	beds_taken(w, NULL, taken);
	for (int i = 0; i < n; i++) {
		struct wl_fhir_patient *p = sodium_malloc(sizeof(*p));
		struct wl_fhir_error err;
		struct admission *ad = &ads[*n_ads];
		unsigned char *buf;
		size_t len = 0;
		int bed, rc;

		buf = read_file(files[i], &len);
		rc = buf && p ? wl_fhir_read(buf, len, p, &err) : WL_EIO;
		sodium_free(buf);
		if (rc == WL_EIO) {
			fprintf(stderr, "wardline: %s: cannot read: %s; nothing "
					"of it was written\n",
				files[i], strerror(errno));
		} else if (rc != 0 && err.entry == 0 && err.field[0] == '\0') {
			fprintf(stderr, "wardline: %s: %s (not a FHIR bundle); "
					"nothing of it was written\n",
				files[i], err.problem);
		} else if (rc != 0) {
			fprintf(stderr, "wardline: %s: entry %zu (%s): field "
					"%s: %s; nothing of this bundle was "
					"written\n",
				files[i], err.entry, err.resource, err.field,
				err.problem);
		}
		if (rc != 0) {
			refused++;
			sodium_free(p);
			continue;
		}

		memset(ad, 0, sizeof(*ad));
		snprintf(ad->entity, sizeof(ad->entity), "patient/%s", p->id);
		bed = beds_taken(w, ad->entity, taken);
		ad->existed = bed > 0;
		for (int b = 1; bed == 0 && b <= BEDS_MAX; b++)
			if (!taken[b])
				bed = b;
		if (bed == 0 || admit(p, bed, wl_fhir_age(p->birth_date, now),
				      ad) != 0) {
			fprintf(stderr, "wardline: %s: no free bed or too much "
					"text for one update; nothing of this "
					"bundle was written\n",
				files[i]);
			sodium_free(ad->json);
			refused++;
		} else {
			taken[bed] = 1;
			(*n_ads)++;
		}
		sodium_free(p);
	}
	return refused;
}

/* Write the admissions in one commit, then audit each. */
static int write_admissions(struct wl_cli_actor *a, const struct wl_space *s,
			    struct admission *ads, int n)
{
	struct wl_feed_item *items = calloc((size_t)n, sizeof(*items));
	const unsigned char *key = wl_keyring_get(a->keyring, s->id, s->epoch,
						  0);
	unsigned char k[32];
	int rc;

	if (items == NULL || key == NULL) {
		free(items);
		fprintf(stderr, "wardline: you hold no key of the current "
				"epoch of '%s'\n", s->name);
		return 1;
	}
	memcpy(k, key, 32);
	for (int i = 0; i < n; i++) {
		items[i].kind = WL_KIND_ENTITY_UPDATE;
		memcpy(items[i].space, s->id, 16);
		items[i].epoch = s->epoch;
		items[i].author_sk = a->secret->sign_sk;
		items[i].body = ads[i].json;
		items[i].body_len = ads[i].len;
		items[i].seal = wl_feed_seal_space;
		items[i].seal_arg = k;
		items[i].seal_overhead = WL_EVENT_SEAL_OVERHEAD;
	}
	rc = wl_cli_actor_append(a, items, (size_t)n);
	sodium_memzero(k, sizeof(k));
	free(items);

	for (int i = 0; rc == 0 && i < n; i++) {
		struct wl_audit_record rec;

		wl_cli_audit_record(&rec,
				    ads[i].existed ? "record_updated"
						   : "patient_admitted",
				    "ok", a->user_id,
				    wl_cli_actor_user(a)->bundle.username, s);
		snprintf(rec.patient, sizeof(rec.patient), "%s",
			 ads[i].entity);
		snprintf(rec.detail, sizeof(rec.detail), "bed %d; FHIR import",
			 ads[i].bed);
		(void)wl_cli_actor_audit(a, &rec);
		printf("%s in bed %d%s\n", ads[i].entity, ads[i].bed,
		       ads[i].existed ? " (updated)" : "");
	}
	return rc == 0 ? 0 : 1;
}

static int census_import(struct wl_cli_actor *a, const struct wl_space *s,
			 char **files, int n)
{
	struct admission *ads = calloc((size_t)n, sizeof(*ads));
	struct wl_ward *w = NULL;
	int n_ads = 0, refused = 0;
	int rc;

	if (ads == NULL)
		return 1;
	if (wl_space_may(a->spaces, s, a->user_id, WL_ACTION_UPDATE_PATIENT,
			 wl_hlc_system_wall(NULL), NULL) != 0) {
		struct wl_audit_record rec;

		wl_cli_audit_record(&rec, "access_denied", "denied", a->user_id,
				    wl_cli_actor_user(a)->bundle.username, s);
		snprintf(rec.detail, sizeof(rec.detail), "update_patient");
		(void)wl_cli_actor_audit(a, &rec);
		fprintf(stderr, "wardline: %s may not update patients in '%s'; "
				"the attempt is recorded in the audit trail\n",
			wl_cli_actor_user(a)->bundle.username, s->name);
		free(ads);
		return 1;
	}
	rc = wl_ward_new(s->id, &w);
	if (rc == 0)
		rc = wl_ward_load(w, a->store, a->keyring);
	if (rc == 0)
		refused = read_bundles(files, n, w, ads, &n_ads);
	wl_ward_free(w);

	if (rc == 0 && n_ads > 0)
		rc = write_admissions(a, s, ads, n_ads);
	for (int i = 0; i < n_ads; i++)
		sodium_free(ads[i].json);
	free(ads);
	printf("%d bundles imported, %d refused\n", rc == 0 ? n_ads : 0,
	       refused);
	return rc == 0 && refused == 0 ? 0 : 1;
}

int wl_cmd_census(struct wl_cli *cli, int argc, char **argv)
{
	const char *usage = "import --ward WARD --as USER [--password-file F] "
			    "[--data-dir DIR] FILE...\n"
			    "       wardline census generate --out DIR "
			    "[--count N] [--seed N] [--today YYYY-MM-DD]";
	struct census_args o;
	struct wl_cli_actor a;
	const struct wl_space *s = NULL;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "generate") == 0)
		return wl_cmd_census_generate(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "import") != 0 ||
	    census_parse(argc - 1, argv + 1, &o) != 0)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, o.data_dir) != 0 ||
	    wl_cli_actor_open(cli, &a) != 0)
		return 1;

	rc = wl_cli_actor_login(&a, o.as, o.password_file);
	if (rc == 0) {
		s = wl_spaces_by_name(a.spaces, o.ward);
		if (s == NULL || s->kind != WL_SPACE_WARD) {
			fprintf(stderr, "wardline: no ward '%s'\n", o.ward);
			rc = 1;
		}
	}
	if (rc == 0)
		rc = census_import(&a, s, argv + 1 + optind, argc - 1 - optind);
	wl_cli_actor_close(&a);
	return rc;
}
