/* Password and PIN rules, after NIST SP 800-63B section 5.1.1.2: a length
 * range, no composition rules, and a check against values that are common,
 * repetitive or sequential, or derived from the username. */
#include "wardline/keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/utf8.h"

#include "password_blocklist.h"

#define BLOCKLIST_COUNT (sizeof(password_blocklist) / sizeof(char *))
/* Maximum password length in bytes, as a character takes at most four. */
#define PASSWORD_BYTES_MAX (4 * WL_KEYS_PASSWORD_MAX)
/* Maximum length of a unit whose repetition ("abcabcabc") is rejected. */
#define REPEAT_UNIT_MAX 4

int wl_keys_username_check(const char *username)
{
	size_t len;

	if (username == NULL)
		return WL_EINVAL;
	len = strlen(username);
	if (len < 1 || len > WL_KEYS_USERNAME_MAX)
		return WL_EINVAL;
	if (username[0] < 'a' || username[0] > 'z')
		return WL_EINVAL;
	if (strspn(username, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return WL_EINVAL;
	return 0;
}

int wl_keys_display_name_check(const char *name)
{
	size_t len;

	if (name == NULL)
		return WL_EINVAL;
	len = strlen(name);
	if (len < 1 || len > WL_KEYS_DISPLAY_NAME_MAX)
		return WL_EINVAL;
	return wl_utf8_count_text(name, len) > 0 ? 0 : WL_EINVAL;
}

static int is_ascii_symbol_or_digit(unsigned char c)
{
	return (c >= ' ' && c <= '@') || (c >= '[' && c <= '`') ||
	       (c >= '{' && c <= '~');
}

/* Copy the LEN bytes of S to OUT in ASCII lower case and NUL-terminate
 * them. Returns the length of the base: OUT without its trailing digits,
 * punctuation and spaces. */
static size_t lower_and_base(const char *s, size_t len, char *out)
{
	size_t base;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[len] = '\0';

	base = len;
	while (base > 0 &&
	       is_ascii_symbol_or_digit((unsigned char)out[base - 1]))
		base--;
	return base;
}

static int blocklist_cmp(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

static int blocklisted(const char *lower)
{
	return bsearch(lower, password_blocklist, BLOCKLIST_COUNT,
		       sizeof(password_blocklist[0]), blocklist_cmp) != NULL;
}

/* Check whether the N code points of CP are one character repeated, a run
 * ascending or descending by one, or a unit of up to REPEAT_UNIT_MAX
 * characters repeated. */
static int predictable(const uint32_t *cp, size_t n)
{
	int up = 1;
	int down = 1;

	for (size_t i = 1; i < n; i++) {
		up = up && cp[i] == cp[i - 1] + 1;
		down = down && cp[i] + 1 == cp[i - 1];
	}
	if (up || down)
		return 1;

	for (size_t unit = 1; unit <= REPEAT_UNIT_MAX && unit < n; unit++) {
		size_t i = unit;

		if (n % unit != 0)
			continue;
		while (i < n && cp[i] == cp[i - unit])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Check whether the lower-cased password LOWER (LEN bytes) is USERNAME,
 * ignoring case, followed by nothing but digits, punctuation and spaces. */
static int is_username(const char *lower, size_t len, const char *username)
{
	char user[WL_KEYS_USERNAME_MAX + 1];
	size_t user_len = username != NULL ? strlen(username) : 0;

	if (user_len == 0 || user_len > WL_KEYS_USERNAME_MAX || user_len > len)
		return 0;
	lower_and_base(username, user_len, user);
	if (memcmp(lower, user, user_len) != 0)
		return 0;

	for (size_t i = user_len; i < len; i++) {
		if (!is_ascii_symbol_or_digit((unsigned char)lower[i]))
			return 0;
	}
	return 1;
}

/* Apply the rules that need the lower-cased copy LOWER (LEN bytes, BASE the
 * length of its base) and the code points CP (N of them). */
static int password_guessable(char *lower, size_t len, size_t base,
			      const uint32_t *cp, size_t n,
			      const char *username)
{
	if (is_username(lower, len, username))
		return WL_EEXIST;
	if (blocklisted(lower))
		return WL_EDENIED;

	if (base > 0 && base < len) {
		char saved = lower[base];
		int hit;

		lower[base] = '\0';
		hit = blocklisted(lower);
		lower[base] = saved;
		if (hit)
			return WL_EDENIED;
	}
	return predictable(cp, n) ? WL_EDENIED : 0;
}

int wl_keys_password_check(const char *password, const char *username)
{
	char lower[PASSWORD_BYTES_MAX + 1];
	uint32_t cp[WL_KEYS_PASSWORD_MAX];
	size_t len;
	size_t base;
	long n;
	int rc;

	if (password == NULL)
		return WL_EINVAL;
	len = strnlen(password, PASSWORD_BYTES_MAX + 1);
	if (len > PASSWORD_BYTES_MAX)
		return WL_ETOOBIG; /* more bytes than 128 characters can take */

	n = wl_utf8_decode_text(password, len, cp, WL_KEYS_PASSWORD_MAX);
	if (n < 0)
		rc = (int)n;
	else if (n > WL_KEYS_PASSWORD_MAX)
		rc = WL_ETOOBIG;
	else if (n < WL_KEYS_PASSWORD_MIN)
		rc = WL_ETRUNC;
	else {
		base = lower_and_base(password, len, lower);
		rc = password_guessable(lower, len, base, cp, (size_t)n,
					username);
	}

	sodium_memzero(lower, sizeof(lower));
	sodium_memzero(cp, sizeof(cp));
	return rc;
}

const char *wl_keys_password_problem(int rc)
{
	switch (rc) {
	case WL_EINVAL:
		return "The password contains a control character or is not "
		       "valid UTF-8 text.";
	case WL_ETRUNC:
		return "Use at least 8 characters.";
	case WL_ETOOBIG:
		return "Use at most 128 characters.";
	case WL_EEXIST:
		return "Do not use your username as a password.";
	case WL_EDENIED:
		return "This password is too common or too easy to guess. "
		       "A few unrelated words make a strong one.";
	default:
		return NULL;
	}
}

/* Check whether the N digits of PIN step by +1 (STEP 1) or -1 (STEP 9)
 * modulo 10 from each to the next, so that 7890 and 2109 count as runs. */
static int pin_run(const char *pin, size_t n, int step)
{
	for (size_t i = 1; i < n; i++) {
		if ((pin[i - 1] - '0' + step) % 10 != pin[i] - '0')
			return 0;
	}
	return 1;
}

/* Check whether PIN (N digits) repeats its first one or two digits. */
static int pin_repeats(const char *pin, size_t n)
{
	for (size_t unit = 1; unit <= 2; unit++) {
		size_t i = unit;

		if (n % unit != 0)
			continue;
		while (i < n && pin[i] == pin[i - unit])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

int wl_keys_pin_check(const char *pin)
{
	size_t n;

	if (pin == NULL)
		return WL_EINVAL;
	n = strnlen(pin, WL_KEYS_PIN_MAX + 1);
	if (strspn(pin, "0123456789") < n)
		return WL_EINVAL;
	if (n > WL_KEYS_PIN_MAX)
		return WL_ETOOBIG;
	if (n < WL_KEYS_PIN_MIN)
		return WL_ETRUNC;
	if (pin_repeats(pin, n) || pin_run(pin, n, 1) || pin_run(pin, n, 9))
		return WL_EDENIED;
	return 0;
}

const char *wl_keys_pin_problem(int rc)
{
	switch (rc) {
	case WL_EINVAL:
		return "Use digits only.";
	case WL_ETRUNC:
		return "Use at least 4 digits.";
	case WL_ETOOBIG:
		return "Use at most 8 digits.";
	case WL_EDENIED:
		return "This PIN is too easy to guess. Avoid repeated digits "
		       "and runs such as 1234.";
	default:
		return NULL;
	}
}
