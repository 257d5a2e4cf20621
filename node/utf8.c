/* UTF-8 validation and character counting (RFC 3629). */
#include "wardline/utf8.h"

#include <stdint.h>

#include "wardline/error.h"

/* Decode the code point that starts at S[0], with AVAIL bytes left. Stores
 * it in *CP and returns its length in bytes, or 0 if the bytes are not
 * well-formed UTF-8. */
static size_t utf8_decode_one(const unsigned char *s, size_t avail,
			      uint32_t *cp)
{
	static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, or > F4 */
	}
	if (len > avail)
		return 0;

	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min_for_len[len] || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

long wl_utf8_decode_text(const char *s, size_t len, uint32_t *out,
			 size_t outmax)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t pos = 0;
	size_t count = 0;

	while (pos < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode_one(p + pos, len - pos, &cp);

		if (n == 0)
			return WL_EINVAL;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return WL_EINVAL;
		if (out != NULL && count < outmax)
			out[count] = cp;
		pos += n;
		count++;
	}
	return (long)count;
}

long wl_utf8_count_text(const char *s, size_t len)
{
	return wl_utf8_decode_text(s, len, NULL, 0);
}
