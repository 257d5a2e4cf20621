/* UTF-8 text checks for strings that people type: passwords, display names,
 * reasons. Pure: no I/O, no allocation. */
#ifndef WARDLINE_UTF8_H
#define WARDLINE_UTF8_H

#include <stddef.h>

/* Count the characters (Unicode code points) of the LEN bytes at S, which
 * must be well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF) without control characters (U+0000 to U+001F, U+007F to
 * U+009F). Returns the count, or WL_EINVAL. */
long wl_utf8_count_text(const char *s, size_t len);

#endif
