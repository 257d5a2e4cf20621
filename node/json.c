/* Strict JSON helpers shared by the decoders of event bodies. */
#include "wardline/json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

/* Each jansson block is preceded by its size, kept in a header as large as
 * the strictest alignment so the block stays aligned. */
#define WIPE_HEADER sizeof(max_align_t)

static void *wipe_malloc(size_t size)
{
	unsigned char *p;

	if (size > SIZE_MAX - WIPE_HEADER)
		return NULL;
	p = malloc(size + WIPE_HEADER);
	if (p == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	return p + WIPE_HEADER;
}

static void wipe_free(void *ptr)
{
	unsigned char *p = ptr;
	size_t size;

	if (p == NULL)
		return;
	p -= WIPE_HEADER;
	memcpy(&size, p, sizeof(size));
	sodium_memzero(p, size + WIPE_HEADER);
	free(p);
}

void wl_json_init(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

int wl_json_load_object(const unsigned char *buf, size_t len, size_t max,
			json_t **out)
{
	json_error_t error;
	json_t *o;

	*out = NULL;
	if (len > max)
		return WL_ETOOBIG;
	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &error);
	if (o == NULL)
		return WL_EINVAL;
	if (!json_is_object(o)) {
		json_decref(o);
		return WL_EINVAL;
	}
	*out = o;
	return 0;
}

int wl_json_check_members(json_t *o, const char *const *members, size_t n,
			  long version, const char **field)
{
	json_t *v = json_object_get(o, "v");

	*field = "v";
	if (v == NULL)
		return WL_ETRUNC;
	if (!json_is_integer(v))
		return WL_EINVAL;
	if (json_integer_value(v) != version)
		return WL_EVERSION;

	*field = NULL;
	for (void *it = json_object_iter(o); it != NULL;
	     it = json_object_iter_next(o, it)) {
		const char *key = json_object_iter_key(it);
		size_t i = 0;

		while (i < n && strcmp(members[i], key) != 0)
			i++;
		if (i == n)
			return WL_EINVAL;
	}
	return 0;
}

int wl_json_get_string(json_t *o, const char *name, const char **s,
		       size_t *len, const char **field)
{
	json_t *v = json_object_get(o, name);

	*field = name;
	if (v == NULL)
		return WL_ETRUNC;
	if (!json_is_string(v))
		return WL_EINVAL;
	*s = json_string_value(v);
	*len = json_string_length(v);
	*field = NULL;
	return 0;
}

int wl_json_get_text(json_t *o, const char *name, char *dst, size_t size,
		     const char **field)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = wl_json_get_string(o, name, &s, &len, field);

	if (rc != 0)
		return rc;
	if (len >= size || memchr(s, '\0', len) != NULL) {
		*field = name;
		return len >= size ? WL_ETOOBIG : WL_EINVAL;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

int wl_json_get_b64_var(json_t *o, const char *name, unsigned char *bin,
			size_t max, size_t *len, const char **field)
{
	const char *s = NULL;
	const char *end = NULL;
	size_t slen = 0;
	size_t binlen = 0;
	int rc = wl_json_get_string(o, name, &s, &slen, field);

	if (rc != 0)
		return rc;
	*field = name;
	if (slen == 0 || slen > sodium_base64_ENCODED_LEN(max, B64_VARIANT) - 1)
		return WL_EINVAL;
	if (sodium_base642bin(bin, max, s, slen, NULL, &binlen, &end,
			      B64_VARIANT) != 0 ||
	    binlen == 0 || end != s + slen)
		return WL_EINVAL;

	/* One encoding per value: the text must be what the encoder would
	 * write for these bytes, padding included. */
	if (slen != sodium_base64_ENCODED_LEN(binlen, B64_VARIANT) - 1)
		return WL_EINVAL;
	*len = binlen;
	*field = NULL;
	return 0;
}

int wl_json_get_b64(json_t *o, const char *name, unsigned char *bin,
		    size_t len, const char **field)
{
	size_t got = 0;
	int rc = wl_json_get_b64_var(o, name, bin, len, &got, field);

	if (rc == 0 && got != len) {
		*field = name;
		return WL_EINVAL;
	}
	return rc;
}

int wl_json_get_uint(json_t *o, const char *name, uint64_t min, uint64_t max,
		     uint64_t *value, const char **field)
{
	json_t *v = json_object_get(o, name);
	json_int_t i;

	*field = name;
	if (v == NULL)
		return WL_ETRUNC;
	if (!json_is_integer(v))
		return WL_EINVAL;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return WL_ERANGE;
	*value = (uint64_t)i;
	*field = NULL;
	return 0;
}

json_t *wl_json_b64(const unsigned char *bin, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, B64_VARIANT);
	char *text = malloc(size);
	json_t *s;

	if (text == NULL)
		return NULL;
	sodium_bin2base64(text, size, bin, len, B64_VARIANT);
	s = json_string(text);
	free(text);
	return s;
}

json_t *wl_json_set(json_t *o, const char *name, json_t *new_value)
{
	if (o == NULL || new_value == NULL) {
		json_decref(o);
		json_decref(new_value);
		return NULL;
	}
	if (json_object_set_new(o, name, new_value) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int wl_json_dump(json_t *o, unsigned char *out, size_t outsize,
		 size_t *outlen)
{
	size_t n;

	if (o == NULL)
		return WL_ENOMEM;
	n = json_dumpb(o, (char *)out, outsize, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);

	if (n == 0)
		return WL_ENOMEM;
	if (n > outsize)
		return WL_ETOOBIG;
	*outlen = n;
	return 0;
}
