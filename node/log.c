/* Levelled log lines with a UTC timestamp, a module and key=value ids. */
#include "wardline/log.h"

#include <libwebsockets.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "wardline/error.h"

static enum wl_log_level log_level = WL_LOG_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void wl_log_set_level(enum wl_log_level level)
{
	log_level = level;
}

enum wl_log_level wl_log_get_level(void)
{
	return log_level;
}

void wl_log_set_stream(FILE *stream)
{
	log_stream = stream;
}

int wl_log_level_parse(const char *name, enum wl_log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum wl_log_level)i;
			return 0;
		}
	}
	return WL_EINVAL;
}

void wl_log(enum wl_log_level level, const char *module, const char *fmt, ...)
{
	FILE *out = log_stream ? log_stream : stderr;
	struct timespec now;
	struct tm tm;
	char stamp[32];
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	/* One fprintf per line, so lines from two threads do not interleave. */
	fprintf(out, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000,
		level_names[level], module, line);
	fflush(out);
}

static void lws_emit(int lws_level, const char *line)
{
	enum wl_log_level level = WL_LOG_DEBUG;
	char clean[512];
	size_t len = strlen(line);

	if (lws_level & LLL_ERR)
		level = WL_LOG_ERROR;
	else if (lws_level & LLL_WARN)
		level = WL_LOG_WARN;
	else if (lws_level & (LLL_NOTICE | LLL_USER))
		level = WL_LOG_INFO;

	/* libwebsockets ends its lines with a newline; ours adds one. */
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	wl_log(level, "lws", "%s", wl_log_escape(clean, sizeof(clean), line, len));
}

void wl_log_route_lws(void)
{
	int mask = LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_USER;

	if (log_level >= WL_LOG_DEBUG)
		mask |= LLL_INFO;
	lws_set_log_level(mask, lws_emit);
}

char *wl_log_escape(char *dst, size_t dstsize, const void *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *in = src;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];
		int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
		size_t need = plain ? 1 : 4;

		if (o + need >= dstsize)
			break;
		if (plain) {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
	return dst;
}

char *wl_log_shortid(char dst[17], const unsigned char id[32])
{
	return sodium_bin2hex(dst, 17, id, 8);
}
