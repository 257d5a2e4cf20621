/* Configuration file parsing with libinih. */
#include "wardline/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"

struct parse_state {
	struct wl_config *c;
	char *err;
	size_t errsize;
	int failed;
};

void wl_config_defaults(struct wl_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "%s",
		 WL_CONFIG_DEFAULT_DATA_DIR);
	c->log_level = WL_LOG_INFO;
	c->max_skew_ms = 60000;
	c->initial_map_mb = 64;
}

/* Parse a decimal integer within [MIN, MAX]; no sign, no trailing text. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return WL_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return WL_ERANGE;
	*out = v;
	return 0;
}

static int apply(struct wl_config *c, const char *section, const char *key,
		 const char *value)
{
	if (strcmp(section, "node") == 0 && strcmp(key, "data_dir") == 0) {
		if (value[0] != '/' || strlen(value) >= sizeof(c->data_dir))
			return WL_EINVAL;
		snprintf(c->data_dir, sizeof(c->data_dir), "%s", value);
		return 0;
	}
	if (strcmp(section, "node") == 0 && strcmp(key, "log_level") == 0)
		return wl_log_level_parse(value, &c->log_level);
	if (strcmp(section, "clock") == 0 && strcmp(key, "max_skew_ms") == 0)
		return parse_u64(value, 0, 86400000, &c->max_skew_ms);
	if (strcmp(section, "store") == 0 &&
	    strcmp(key, "initial_map_mb") == 0)
		return parse_u64(value, 1, 1 << 20, &c->initial_map_mb);
	return WL_ENOTFOUND;
}

/* libinih as built by Debian passes no line number to the handler; it
 * returns the line of the first rejected entry from ini_parse_file, and the
 * message is completed there. */
static int on_entry(void *user, const char *section, const char *key,
		    const char *value)
{
	struct parse_state *st = user;
	int rc = apply(st->c, section, key, value);

	if (rc == 0)
		return 1;
	if (!st->failed) {
		snprintf(st->err, st->errsize,
			 rc == WL_ENOTFOUND ? "unknown key [%s] %s"
					    : "invalid value for [%s] %s",
			 section, key);
		st->failed = 1;
	}
	return 0;
}

int wl_config_load(const char *path, struct wl_config *c, char *err,
		   size_t errsize)
{
	struct parse_state st = {c, err, errsize, 0};
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errsize, "cannot open %s: %s", path,
			 strerror(errno));
		return errno == ENOENT ? WL_ENOTFOUND : WL_EIO;
	}
	rc = ini_parse_file(f, on_entry, &st);
	fclose(f);

	if (st.failed) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", err);
		snprintf(err, errsize, "%s line %d: %s", path, rc, detail);
		return WL_ECONFIG;
	}
	if (rc != 0) {
		snprintf(err, errsize, "%s line %d: syntax error", path, rc);
		return WL_ECONFIG;
	}
	return 0;
}
