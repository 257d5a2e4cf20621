/* wardline census generate: write FHIR R4 bundles of invented patients,
 * for demos and tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "wardline/census_gen.h"
#include "wardline/cli.h"
#include "wardline/error.h"

struct generate_args {
	unsigned long count;
	unsigned long long seed;
	const char *out;
	char today[16];
};

static int parse_number(const char *text, unsigned long long max,
			unsigned long long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && end != text && *end == '\0' && text[0] != '-' &&
			       *out <= max
		       ? 0
		       : -1;
}

static int generate_parse(int argc, char **argv, struct generate_args *a)
{
	static const struct option opts[] = {
		{"count", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{"today", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long count = 16;
	time_t now = time(NULL);
	struct tm day;
	int c;

	memset(a, 0, sizeof(*a));
	strftime(a->today, sizeof(a->today), "%Y-%m-%d", gmtime_r(&now, &day));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c' && parse_number(optarg, WL_CENSUS_GEN_MAX,
					     &count) == 0 && count > 0)
			continue;
		if (c == 's' && parse_number(optarg, UINT64_MAX, &a->seed) == 0)
			continue;
		if (c == 'o') {
			a->out = optarg;
			continue;
		}
		if (c == 't' && strlen(optarg) < sizeof(a->today)) {
			snprintf(a->today, sizeof(a->today), "%s", optarg);
			continue;
		}
		return -1;
	}
	a->count = (unsigned long)count;
	return optind == argc && a->out != NULL ? 0 : -1;
}

/* Write TEXT to PATH, replacing the file. Prints the reason on failure. */
static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "wardline: failed to write %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "wardline: failed to write %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	return 0;
}

int wl_cmd_census_generate(int argc, char **argv)
{
	const char *usage = "generate --out DIR [--count N] [--seed N] "
			    "[--today YYYY-MM-DD]\n"
			    "  --out DIR    directory for patient-NNN.json "
			    "(made if missing; files are replaced)\n"
			    "  --count N    patients, 1 to 200 (default 16)\n"
			    "  --seed N     the same seed and date give the "
			    "same bundles (default 0)\n"
			    "  --today D    the date the ages and admissions "
			    "are counted from (default: today, UTC)";
	struct generate_args a;

	if (generate_parse(argc, argv, &a) != 0)
		return wl_cli_usage("census", usage);
	if (mkdir(a.out, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "wardline: failed to make the directory %s: "
				"%s\n",
			a.out, strerror(errno));
		return 1;
	}

	for (unsigned i = 0; i < a.count; i++) {
		char path[4096], name[128];
		char *json = NULL;
		int rc = wl_census_gen_bundle(a.seed, i, a.today, &json, name,
					      sizeof(name));

		if (rc != 0) {
			fprintf(stderr, "wardline: failed to generate patient %u: "
					"%s (check --today)\n",
				i + 1, wl_strerror(rc));
			return 1;
		}
		snprintf(path, sizeof(path), "%s/patient-%03u.json", a.out,
			 i + 1);
		rc = write_text(path, json);
		free(json);
		if (rc != 0)
			return 1;
		printf("%s\t%s\n", path, name);
	}
	return 0;
}
