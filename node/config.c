/* Configuration file parsing with libinih. */
#include "wardline/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/discovery.h"
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
	c->peer_port = 7700;
	c->ping_interval_ms = 2000;
	c->ping_timeout_ms = 4000;
	c->handshake_timeout_ms = 5000;
	c->backoff_min_ms = 250;
	c->backoff_max_ms = 30000;
	c->discovery = WL_DISCOVERY_EMBEDDED;
	c->http_port = 8080;
	c->tls_port = 8443;
	snprintf(c->web_root, sizeof(c->web_root), "%s",
		 WL_CONFIG_DEFAULT_WEB_ROOT);
	wl_session_policy_defaults(&c->session);
	c->prune_interval_s = 86400;
	c->realert_ms = 5 * 60000;
	c->escalate_ms = 15 * 60000;
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

/* Split VALUE at whitespace and commas into up to MAX entries of SIZE
 * bytes each, after checking each with CHECK (may be NULL). */
static int parse_list(const char *value, char *out, size_t size, size_t max,
		      size_t *n, int (*check)(const char *item))
{
	char copy[1024];
	char *save = NULL;
	size_t count = 0;

	if (strlen(value) >= sizeof(copy))
		return WL_ERANGE;
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *item = strtok_r(copy, " \t,", &save); item;
	     item = strtok_r(NULL, " \t,", &save)) {
		if (count == max || strlen(item) >= size)
			return WL_ERANGE;
		if (check && check(item) != 0)
			return WL_EINVAL;
		snprintf(out + count * size, size, "%s", item);
		count++;
	}
	*n = count;
	return 0;
}

static int check_peer(const char *item)
{
	char addr[64];
	uint16_t port;

	return wl_discovery_parse(item, addr, &port);
}

static int apply_peer(struct wl_config *c, const char *key, const char *value)
{
	if (strcmp(key, "port") == 0)
		return parse_u64(value, 1, 65535, &c->peer_port);
	if (strcmp(key, "listen") == 0) {
		if (strlen(value) >= sizeof(c->listen))
			return WL_ERANGE;
		snprintf(c->listen, sizeof(c->listen), "%s", value);
		return 0;
	}
	if (strcmp(key, "static") == 0)
		return parse_list(value, &c->static_peers[0][0],
				  sizeof(c->static_peers[0]),
				  WL_CONFIG_PEERS_MAX, &c->n_static_peers,
				  check_peer);
	if (strcmp(key, "ping_interval_ms") == 0)
		return parse_u64(value, 100, 600000, &c->ping_interval_ms);
	if (strcmp(key, "ping_timeout_ms") == 0)
		return parse_u64(value, 100, 600000, &c->ping_timeout_ms);
	if (strcmp(key, "handshake_timeout_ms") == 0)
		return parse_u64(value, 100, 600000, &c->handshake_timeout_ms);
	if (strcmp(key, "backoff_min_ms") == 0)
		return parse_u64(value, 10, 600000, &c->backoff_min_ms);
	if (strcmp(key, "backoff_max_ms") == 0)
		return parse_u64(value, 10, 3600000, &c->backoff_max_ms);
	return WL_ENOTFOUND;
}

/* A Host header value: a name or address, a colon, a port. */
static int check_host(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (colon == NULL || colon == s || strchr(s, '/') != NULL)
		return WL_EINVAL;
	return parse_u64(colon + 1, 1, 65535, &port);
}

static int apply_http(struct wl_config *c, const char *key, const char *value)
{
	if (strcmp(key, "port") == 0)
		return parse_u64(value, 0, 65535, &c->http_port);
	if (strcmp(key, "tls_port") == 0)
		return parse_u64(value, 1, 65535, &c->tls_port);
	if (strcmp(key, "web_root") == 0) {
		if (value[0] != '/' || strlen(value) >= sizeof(c->web_root))
			return WL_EINVAL;
		snprintf(c->web_root, sizeof(c->web_root), "%s", value);
		return 0;
	}
	if (strcmp(key, "unix_socket") == 0) {
		if ((value[0] != '/' && value[0] != '\0') ||
		    strlen(value) >= sizeof(c->unix_socket))
			return WL_EINVAL;
		snprintf(c->unix_socket, sizeof(c->unix_socket), "%s", value);
		return 0;
	}
	if (strcmp(key, "tls_listen") == 0) {
		if (strlen(value) >= sizeof(c->tls_listen))
			return WL_EINVAL;
		snprintf(c->tls_listen, sizeof(c->tls_listen), "%s", value);
		return 0;
	}
	if (strcmp(key, "hosts") == 0)
		return parse_list(value, &c->hosts[0][0], sizeof(c->hosts[0]),
				  WL_CONFIG_HOSTS_MAX, &c->n_hosts, check_host);
	return WL_ENOTFOUND;
}

/* [messages]: when an unacknowledged urgent message alerts again and
 * escalates, in minutes (or seconds, for tests). */
static int apply_messages(struct wl_config *c, const char *key,
			  const char *value)
{
	uint64_t v;
	int minutes = strstr(key, "_minutes") != NULL;
	int rc = parse_u64(value, 1, minutes ? 24 * 60 : 24 * 3600, &v);

	if (strcmp(key, "realert_minutes") != 0 &&
	    strcmp(key, "realert_seconds") != 0 &&
	    strcmp(key, "escalate_minutes") != 0 &&
	    strcmp(key, "escalate_seconds") != 0)
		return WL_ENOTFOUND;
	if (rc != 0)
		return rc;
	v *= minutes ? 60000 : 1000;
	if (strncmp(key, "realert", 7) == 0)
		c->realert_ms = v;
	else
		c->escalate_ms = v;
	return 0;
}

static int apply_discovery(struct wl_config *c, const char *key,
			   const char *value)
{
	if (strcmp(key, "backend") == 0) {
		if (strcmp(value, "embedded") == 0)
			c->discovery = WL_DISCOVERY_EMBEDDED;
		else if (strcmp(value, "avahi-daemon") == 0)
			c->discovery = WL_DISCOVERY_AVAHI_DAEMON;
		else if (strcmp(value, "off") == 0)
			c->discovery = WL_DISCOVERY_OFF;
		else
			return WL_EINVAL;
		return 0;
	}
	if (strcmp(key, "interfaces") == 0)
		return parse_list(value, &c->interfaces[0][0],
				  sizeof(c->interfaces[0]),
				  WL_CONFIG_IFACES_MAX, &c->n_interfaces, NULL);
	return WL_ENOTFOUND;
}

static int apply_session(struct wl_session_policy *p, const char *key,
			 const char *value)
{
	const uint64_t minute = 60 * 1000;
	const uint64_t hour = 60 * minute;
	uint64_t v = 0;
	int rc;

	if (strcmp(key, "idle_seconds") == 0) {
		rc = parse_u64(value, 5, 720 * 60, &v);
		if (rc == 0)
			p->idle_ms = v * 1000;
	} else if (strcmp(key, "idle_minutes") == 0) {
		rc = parse_u64(value, 1, 720, &v);
		if (rc == 0)
			p->idle_ms = v * minute;
	} else if (strcmp(key, "absolute_hours") == 0) {
		rc = parse_u64(value, 1, 24, &v);
		if (rc == 0)
			p->absolute_ms = v * hour;
	} else if (strcmp(key, "pin_window_hours") == 0) {
		rc = parse_u64(value, 1, 24, &v);
		if (rc == 0)
			p->pin_window_ms = v * hour;
	} else if (strcmp(key, "lockout_failures") == 0) {
		rc = parse_u64(value, 3, 100, &v);
		if (rc == 0)
			p->lockout_failures = (unsigned)v;
	} else if (strcmp(key, "throttle_base_ms") == 0) {
		rc = parse_u64(value, 0, 60000, &v);
		if (rc == 0)
			p->throttle_base_ms = v;
	} else if (strcmp(key, "throttle_max_ms") == 0) {
		rc = parse_u64(value, 0, 3600000, &v);
		if (rc == 0)
			p->throttle_max_ms = v;
	} else {
		return WL_ENOTFOUND;
	}
	return rc;
}

int wl_config_set(struct wl_config *c, const char *section, const char *key,
		  const char *value)
{
	if (strcmp(section, "session") == 0)
		return apply_session(&c->session, key, value);
	if (strcmp(section, "retention") == 0 &&
	    strcmp(key, "prune_interval_s") == 0)
		return parse_u64(value, 1, 7 * 86400, &c->prune_interval_s);
	if (strcmp(section, "retention") == 0 &&
	    strcmp(key, "clock_offset_ms") == 0)
		return parse_u64(value, 0, 100ull * 365 * 86400000,
				 &c->retention_clock_offset_ms);
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
	if (strcmp(section, "peer") == 0)
		return apply_peer(c, key, value);
	if (strcmp(section, "discovery") == 0)
		return apply_discovery(c, key, value);
	if (strcmp(section, "http") == 0)
		return apply_http(c, key, value);
	if (strcmp(section, "messages") == 0)
		return apply_messages(c, key, value);
	return WL_ENOTFOUND;
}

/* libinih as built by Debian passes no line number to the handler; it
 * returns the line of the first rejected entry from ini_parse_file, and the
 * message is completed there. */
static int on_entry(void *user, const char *section, const char *key,
		    const char *value)
{
	struct parse_state *st = user;
	int rc = wl_config_set(st->c, section, key, value);

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
