/* UTF-8 text checks for strings that people type: passwords, display names,
 * reasons. Pure: no I/O, no allocation. */
#ifndef WARDLINE_UTF8_H
#define WARDLINE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the LEN bytes at S, which must be well-formed UTF-8 (no overlong
 * forms, no surrogates, nothing above U+10FFFF) without control characters
 * (U+0000 to U+001F, U+007F to U+009F). When OUT is not NULL, the first
 * OUTMAX code points are stored there. Returns the number of code points,
 * which may exceed OUTMAX, or WL_EINVAL. */
long wl_utf8_decode_text(const char *s, size_t len, uint32_t *out,
			 size_t outmax);

/* Count the characters (code points) of the LEN bytes at S under the rules
 * of wl_utf8_decode_text. Returns the count or WL_EINVAL. */
long wl_utf8_count_text(const char *s, size_t len);

#endif
