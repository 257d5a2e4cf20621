/* Levelled logging with a module name and key=value context.
 *
 * A log line reads:
 *   2026-12-04T20:31:07.123Z warn store: map grown size_mb=64 used_mb=52
 * Messages are sentences; ids follow as key=value pairs. Keys, passwords,
 * message text and patient data are never passed to these functions.
 * Strings that came from a peer go through wl_log_escape() first.
 */
#ifndef WARDLINE_LOG_H
#define WARDLINE_LOG_H

#include <stddef.h>
#include <stdio.h>

enum wl_log_level {
	WL_LOG_ERROR = 0,
	WL_LOG_WARN = 1,
	WL_LOG_INFO = 2,
	WL_LOG_DEBUG = 3
};

/* Set the lowest level that is written; messages below it are skipped before
 * they are formatted. The default is WL_LOG_INFO. */
void wl_log_set_level(enum wl_log_level level);

/* Return the current level. */
enum wl_log_level wl_log_get_level(void);

/* Send log lines to STREAM (default stderr). The stream is not closed. */
void wl_log_set_stream(FILE *stream);

/* Parse "error", "warn", "info" or "debug" into *LEVEL.
 * Returns 0, or WL_EINVAL for any other name (LEVEL is left unchanged). */
int wl_log_level_parse(const char *name, enum wl_log_level *level);

/* Write one line at LEVEL from MODULE. FMT is a printf format; by convention
 * a sentence followed by key=value pairs. */
void wl_log(enum wl_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Route libwebsockets' own log lines through wl_log with module "lws",
 * mapping its levels to ours. Call once at start-up. */
void wl_log_route_lws(void);

/* Copy at most LEN bytes of untrusted SRC into DST (size DSTSIZE) with every
 * byte outside printable ASCII, and '"' and '\', written as \xNN, and cut at
 * DSTSIZE - 1. Returns DST, always NUL-terminated (DSTSIZE must be > 0). */
char *wl_log_escape(char *dst, size_t dstsize, const void *src, size_t len);

/* Write the first 8 bytes of a 32-byte id as 16 hex digits into DST (size at
 * least 17), the short form used in log lines. Returns DST. */
char *wl_log_shortid(char dst[17], const unsigned char id[32]);

#define wl_error(mod, ...) wl_log(WL_LOG_ERROR, mod, __VA_ARGS__)
#define wl_warn(mod, ...) wl_log(WL_LOG_WARN, mod, __VA_ARGS__)
#define wl_info(mod, ...) wl_log(WL_LOG_INFO, mod, __VA_ARGS__)
#define wl_debug(mod, ...)                                           \
	do {                                                         \
		if (wl_log_get_level() >= WL_LOG_DEBUG)              \
			wl_log(WL_LOG_DEBUG, mod, __VA_ARGS__);      \
	} while (0)

#endif
