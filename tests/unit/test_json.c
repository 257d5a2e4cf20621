/* Unit tests of the strict JSON helpers that every body decoder shares:
 * loading one bounded object, the member and version check, the typed
 * getters and the encoders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"
#include "wardline/json.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Load TEXT, which must be a valid object, and return it. */
static json_t *load(const char *text)
{
	json_t *o = NULL;

	assert_int_equal(wl_json_load_object((const unsigned char *)text,
					     strlen(text), 4096, &o),
			 0);
	assert_non_null(o);
	return o;
}

/* Load TEXT of LEN bytes with the limit MAX, free any loaded object and
 * return the code. */
static int try_load(const char *text, size_t len, size_t max)
{
	json_t *o = (json_t *)1;
	int rc = wl_json_load_object((const unsigned char *)text, len, max, &o);

	if (rc != 0)
		assert_null(o);
	json_decref(o);
	return rc;
}

/* A valid object loads, and a length of exactly MAX is still accepted. */
static void load_object_accepts(void **state)
{
	static const char text[] = "{\"a\":1,\"b\":\"x\"}";
	json_t *o = NULL;

	(void)state;
	assert_int_equal(wl_json_load_object((const unsigned char *)text,
					     strlen(text), strlen(text), &o),
			 0);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "b")), "x");
	json_decref(o);
}

/* One byte above the limit is WL_ETOOBIG, checked before parsing. */
static void load_object_size_limit(void **state)
{
	static const char text[] = "{\"a\":1}";

	(void)state;
	assert_int_equal(try_load(text, strlen(text), strlen(text) - 1),
			 WL_ETOOBIG);
	assert_int_equal(try_load(text, strlen(text), 0), WL_ETOOBIG);
	assert_int_equal(try_load(text, strlen(text), strlen(text)), 0);
}

/* Duplicate keys are rejected, at the top level and inside a nested
 * object. */
static void load_object_duplicates(void **state)
{
	static const char top[] = "{\"a\":1,\"a\":1}";
	static const char nested[] = "{\"a\":{\"b\":1,\"b\":2}}";

	(void)state;
	assert_int_equal(try_load(top, strlen(top), 4096), WL_EINVAL);
	assert_int_equal(try_load(nested, strlen(nested), 4096), WL_EINVAL);
}

/* Only an object is accepted: arrays, scalars and empty input are not. */
static void load_object_non_object(void **state)
{
	static const char *const texts[] = {
		"[1,2]", "\"text\"", "1", "true", "null", "", " ",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(texts); i++)
		assert_int_equal(try_load(texts[i], strlen(texts[i]), 4096),
				 WL_EINVAL);
}

/* Nothing but whitespace may follow the object: a second value, a stray
 * character or a NUL byte make the input invalid. */
static void load_object_trailing_garbage(void **state)
{
	static const char *const texts[] = {
		"{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1},", "{\"a\":1}1",
	};
	static const char with_nul[] = "{\"a\":1}\0";

	(void)state;
	for (size_t i = 0; i < COUNT(texts); i++)
		assert_int_equal(try_load(texts[i], strlen(texts[i]), 4096),
				 WL_EINVAL);
	assert_int_equal(try_load(with_nul, sizeof(with_nul) - 1, 4096),
			 WL_EINVAL);
}

/* Malformed JSON, invalid UTF-8 and an escaped NUL in a string are
 * rejected. */
static void load_object_malformed(void **state)
{
	static const char *const texts[] = {
		"{\"a\":1",
		"{\"a\" 1}",
		"{'a':1}",
		"{\"a\":\"\xff\"}",
		"{\"a\":\"x\\u0000y\"}",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(texts); i++)
		assert_int_equal(try_load(texts[i], strlen(texts[i]), 4096),
				 WL_EINVAL);
}

/* The members check passes when "v" is the version and every member is a
 * known name, and then sets FIELD to NULL. */
static void check_members_accepts(void **state)
{
	static const char *const members[] = {"a", "b", "v"};
	const char *field = "unset";
	json_t *o = load("{\"a\":1,\"v\":3}");

	(void)state;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 3,
					       &field),
			 0);
	assert_null(field);
	json_decref(o);
}

/* A missing "v" is WL_ETRUNC and one that is not an integer WL_EINVAL,
 * both naming "v". */
static void check_members_missing_v(void **state)
{
	static const char *const members[] = {"a", "v"};
	const char *field = NULL;
	json_t *o = load("{\"a\":1}");

	(void)state;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_ETRUNC);
	assert_string_equal(field, "v");
	json_decref(o);

	o = load("{\"a\":1,\"v\":\"1\"}");
	field = NULL;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_EINVAL);
	assert_string_equal(field, "v");
	json_decref(o);

	o = load("{\"a\":1,\"v\":1.0}");
	field = NULL;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_EINVAL);
	assert_string_equal(field, "v");
	json_decref(o);
}

/* Another version is WL_EVERSION, checked before the member names. */
static void check_members_wrong_version(void **state)
{
	static const char *const members[] = {"a", "v"};
	const char *field = NULL;
	json_t *o = load("{\"a\":1,\"unknown\":2,\"v\":2}");

	(void)state;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_EVERSION);
	assert_string_equal(field, "v");
	json_decref(o);
}

/* A member outside the list is WL_EINVAL with FIELD set to NULL. */
static void check_members_unknown_member(void **state)
{
	static const char *const members[] = {"a", "v"};
	const char *field = "unset";
	json_t *o = load("{\"a\":1,\"b\":2,\"v\":1}");

	(void)state;
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_EINVAL);
	assert_null(field);
	json_decref(o);

	/* A name that starts with a known name is still unknown. */
	o = load("{\"ab\":1,\"v\":1}");
	field = "unset";
	assert_int_equal(wl_json_check_members(o, members, COUNT(members), 1,
					       &field),
			 WL_EINVAL);
	assert_null(field);
	json_decref(o);
}

/* get_string returns the bytes and length of a string member. */
static void get_string_cases(void **state)
{
	const char *field = "unset";
	const char *s = NULL;
	size_t len = 0;
	json_t *o = load("{\"n\":5,\"s\":\"ward 4\"}");

	(void)state;
	assert_int_equal(wl_json_get_string(o, "s", &s, &len, &field), 0);
	assert_null(field);
	assert_int_equal(len, 6);
	assert_memory_equal(s, "ward 4", 6);

	assert_int_equal(wl_json_get_string(o, "n", &s, &len, &field),
			 WL_EINVAL);
	assert_string_equal(field, "n");
	assert_int_equal(wl_json_get_string(o, "x", &s, &len, &field),
			 WL_ETRUNC);
	assert_string_equal(field, "x");
	json_decref(o);
}

/* get_b64 decodes the base64 of exactly LEN bytes. */
static void get_b64_exact_length(void **state)
{
	unsigned char bin[3];
	const char *field = "unset";
	json_t *o = load("{\"one\":\"AQ==\",\"three\":\"AQID\",\"two\":\"AQI=\"}");

	(void)state;
	assert_int_equal(wl_json_get_b64(o, "three", bin, 3, &field), 0);
	assert_null(field);
	assert_memory_equal(bin, "\x01\x02\x03", 3);

	assert_int_equal(wl_json_get_b64(o, "two", bin, 2, &field), 0);
	assert_memory_equal(bin, "\x01\x02", 2);

	assert_int_equal(wl_json_get_b64(o, "one", bin, 1, &field), 0);
	assert_int_equal(bin[0], 0x01);
	json_decref(o);
}

/* Fewer or more bytes than LEN are WL_EINVAL, naming the member. */
static void get_b64_wrong_length(void **state)
{
	unsigned char bin[16];
	const char *field = NULL;
	json_t *o = load("{\"a\":\"AQID\",\"b\":\"AQIDBA==\"}");

	(void)state;
	assert_int_equal(wl_json_get_b64(o, "a", bin, 4, &field), WL_EINVAL);
	assert_string_equal(field, "a");

	field = NULL;
	assert_int_equal(wl_json_get_b64(o, "b", bin, 3, &field), WL_EINVAL);
	assert_string_equal(field, "b");

	field = NULL;
	assert_int_equal(wl_json_get_b64(o, "b", bin, 16, &field), WL_EINVAL);
	assert_string_equal(field, "b");
	json_decref(o);
}

/* Only the encoding the encoder writes is accepted: padding missing or
 * extra, non-zero trailing bits, the URL-safe alphabet, and whitespace or
 * other characters inside the text are all WL_EINVAL. */
static void get_b64_non_canonical(void **state)
{
	static const struct {
		const char *text;
		size_t len;
	} cases[] = {
		{"AQI", 2},       /* padding missing */
		{"AQ", 1},        /* padding missing */
		{"AQ=", 1},       /* one pad of two */
		{"AQI==", 2},     /* one pad too many */
		{"AQID=", 3},     /* pad after a full group */
		{"AQJ=", 2},      /* trailing bits not zero */
		{"AR==", 1},      /* trailing bits not zero */
		{"-_8=", 2},      /* URL-safe alphabet */
		{"AQ ID", 3},     /* embedded space */
		{"AQID\n", 3},    /* trailing newline */
		{" AQID", 3},     /* leading space */
		{"AQ*D", 3},      /* character outside the alphabet */
		{"AQIDAQ==AQ==", 5}, /* text after the padding */
		{"", 1},          /* empty */
	};
	unsigned char bin[16];

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		const char *field = NULL;
		json_t *o = json_pack("{s:s}", "b", cases[i].text);

		assert_non_null(o);
		assert_int_equal(wl_json_get_b64(o, "b", bin, cases[i].len,
						 &field),
				 WL_EINVAL);
		assert_string_equal(field, "b");
		json_decref(o);
	}
}

/* A missing member is WL_ETRUNC and one that is not a string WL_EINVAL. */
static void get_b64_missing_or_not_string(void **state)
{
	unsigned char bin[3];
	const char *field = NULL;
	json_t *o = load("{\"n\":123,\"null\":null}");

	(void)state;
	assert_int_equal(wl_json_get_b64(o, "x", bin, 3, &field), WL_ETRUNC);
	assert_string_equal(field, "x");
	assert_int_equal(wl_json_get_b64(o, "n", bin, 3, &field), WL_EINVAL);
	assert_string_equal(field, "n");
	assert_int_equal(wl_json_get_b64(o, "null", bin, 3, &field),
			 WL_EINVAL);
	assert_string_equal(field, "null");
	json_decref(o);
}

/* get_b64_var accepts 1 to MAX bytes and stores the length. More than
 * MAX bytes and an empty value are WL_EINVAL. */
static void get_b64_var_cases(void **state)
{
	unsigned char bin[8];
	unsigned char big[8];
	const char *field = "unset";
	size_t len = 0;
	json_t *o = load("{\"empty\":\"\",\"five\":\"AQIDBAU=\","
			 "\"nine\":\"AQIDBAUGBwgJ\",\"one\":\"/w==\"}");

	(void)state;
	assert_int_equal(wl_json_get_b64_var(o, "five", bin, 8, &len, &field),
			 0);
	assert_null(field);
	assert_int_equal(len, 5);
	assert_memory_equal(bin, "\x01\x02\x03\x04\x05", 5);

	assert_int_equal(wl_json_get_b64_var(o, "one", bin, 8, &len, &field),
			 0);
	assert_int_equal(len, 1);
	assert_int_equal(bin[0], 0xff);

	/* Exactly MAX bytes still fit. */
	assert_int_equal(wl_json_get_b64_var(o, "five", big, 5, &len, &field),
			 0);
	assert_int_equal(len, 5);

	len = 77;
	assert_int_equal(wl_json_get_b64_var(o, "nine", big, 8, &len, &field),
			 WL_EINVAL);
	assert_string_equal(field, "nine");
	assert_int_equal(len, 77);

	field = NULL;
	assert_int_equal(wl_json_get_b64_var(o, "five", big, 4, &len, &field),
			 WL_EINVAL);
	assert_string_equal(field, "five");

	field = NULL;
	assert_int_equal(wl_json_get_b64_var(o, "empty", bin, 8, &len, &field),
			 WL_EINVAL);
	assert_string_equal(field, "empty");

	assert_int_equal(wl_json_get_b64_var(o, "x", bin, 8, &len, &field),
			 WL_ETRUNC);
	assert_string_equal(field, "x");
	json_decref(o);
}

/* get_text copies a string with its NUL, and SIZE - 1 bytes still fit. */
static void get_text_copies(void **state)
{
	char dst[6];
	const char *field = "unset";
	json_t *o = load("{\"t\":\"bed 4\",\"e\":\"\"}");

	(void)state;
	memset(dst, 'x', sizeof(dst));
	assert_int_equal(wl_json_get_text(o, "t", dst, sizeof(dst), &field),
			 0);
	assert_null(field);
	assert_string_equal(dst, "bed 4");

	assert_int_equal(wl_json_get_text(o, "e", dst, sizeof(dst), &field),
			 0);
	assert_string_equal(dst, "");
	json_decref(o);
}

/* A string of SIZE bytes or more is WL_ETOOBIG and leaves DST alone. */
static void get_text_too_long(void **state)
{
	char dst[5];
	const char *field = NULL;
	json_t *o = load("{\"t\":\"bed 4\"}");

	(void)state;
	strcpy(dst, "keep");
	assert_int_equal(wl_json_get_text(o, "t", dst, sizeof(dst), &field),
			 WL_ETOOBIG);
	assert_string_equal(field, "t");
	assert_string_equal(dst, "keep");
	json_decref(o);
}

/* A string with an embedded NUL (possible in a jansson string made in
 * memory, though the loader rejects "\u0000") is WL_EINVAL, because a C
 * string would silently cut it. */
static void get_text_embedded_nul(void **state)
{
	char dst[16];
	const char *field = NULL;
	json_t *o = json_object();

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, "t",
					     json_stringn("bed\0 4", 6)),
			 0);
	strcpy(dst, "keep");
	assert_int_equal(wl_json_get_text(o, "t", dst, sizeof(dst), &field),
			 WL_EINVAL);
	assert_string_equal(field, "t");
	assert_string_equal(dst, "keep");
	json_decref(o);
}

/* A missing member is WL_ETRUNC and a number WL_EINVAL. */
static void get_text_missing_or_not_string(void **state)
{
	char dst[8];
	const char *field = NULL;
	json_t *o = load("{\"n\":4}");

	(void)state;
	assert_int_equal(wl_json_get_text(o, "t", dst, sizeof(dst), &field),
			 WL_ETRUNC);
	assert_string_equal(field, "t");
	assert_int_equal(wl_json_get_text(o, "n", dst, sizeof(dst), &field),
			 WL_EINVAL);
	assert_string_equal(field, "n");
	json_decref(o);
}

/* get_uint accepts MIN, MAX and the values between them, up to the
 * largest JSON integer. */
static void get_uint_range(void **state)
{
	const char *field = "unset";
	uint64_t value = 0;
	json_t *o = load("{\"big\":9223372036854775807,\"five\":5,"
			 "\"ten\":10,\"zero\":0}");

	(void)state;
	assert_int_equal(wl_json_get_uint(o, "five", 5, 10, &value, &field), 0);
	assert_null(field);
	assert_int_equal(value, 5);
	assert_int_equal(wl_json_get_uint(o, "ten", 5, 10, &value, &field), 0);
	assert_int_equal(value, 10);
	assert_int_equal(wl_json_get_uint(o, "zero", 0, 0, &value, &field), 0);
	assert_int_equal(value, 0);
	assert_int_equal(wl_json_get_uint(o, "big", 0, UINT64_MAX, &value,
					  &field),
			 0);
	assert_true(value == (uint64_t)INT64_MAX);

	/* Outside the range: WL_ERANGE, and *VALUE is unchanged. */
	value = 42;
	assert_int_equal(wl_json_get_uint(o, "five", 6, 10, &value, &field),
			 WL_ERANGE);
	assert_string_equal(field, "five");
	assert_int_equal(value, 42);
	assert_int_equal(wl_json_get_uint(o, "ten", 5, 9, &value, &field),
			 WL_ERANGE);
	assert_string_equal(field, "ten");
	assert_int_equal(wl_json_get_uint(o, "zero", 1, 10, &value, &field),
			 WL_ERANGE);
	assert_int_equal(value, 42);
	json_decref(o);
}

/* A negative integer is WL_ERANGE even when MIN is 0. */
static void get_uint_negative(void **state)
{
	const char *field = NULL;
	uint64_t value = 42;
	json_t *o = load("{\"n\":-1,\"min\":-9223372036854775808}");

	(void)state;
	assert_int_equal(wl_json_get_uint(o, "n", 0, UINT64_MAX, &value,
					  &field),
			 WL_ERANGE);
	assert_string_equal(field, "n");
	assert_int_equal(wl_json_get_uint(o, "min", 0, UINT64_MAX, &value,
					  &field),
			 WL_ERANGE);
	assert_string_equal(field, "min");
	assert_int_equal(value, 42);
	json_decref(o);
}

/* A real, a string, a boolean or null is WL_EINVAL. A missing member is
 * WL_ETRUNC. */
static void get_uint_non_integer(void **state)
{
	static const char *const names[] = {"real", "exp", "str", "bool",
					    "null", "arr"};
	const char *field = NULL;
	uint64_t value = 42;
	json_t *o = load("{\"arr\":[1],\"bool\":true,\"exp\":1e3,"
			 "\"null\":null,\"real\":1.0,\"str\":\"1\"}");

	(void)state;
	for (size_t i = 0; i < COUNT(names); i++) {
		field = NULL;
		assert_int_equal(wl_json_get_uint(o, names[i], 0, UINT64_MAX,
						  &value, &field),
				 WL_EINVAL);
		assert_string_equal(field, names[i]);
	}
	assert_int_equal(wl_json_get_uint(o, "x", 0, UINT64_MAX, &value,
					  &field),
			 WL_ETRUNC);
	assert_string_equal(field, "x");
	assert_int_equal(value, 42);
	json_decref(o);
}

/* wl_json_b64 writes standard padded base64 (RFC 4648 test vectors). */
static void b64_encodes_padded(void **state)
{
	static const struct {
		const char *bin;
		const char *text;
	} cases[] = {
		{"f", "Zg=="},     {"fo", "Zm8="},         {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"\xfb\xff", "+/8="},
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		json_t *s = wl_json_b64((const unsigned char *)cases[i].bin,
					strlen(cases[i].bin));

		assert_non_null(s);
		assert_string_equal(json_string_value(s), cases[i].text);
		json_decref(s);
	}
}

/* wl_json_set chains: each call returns the object, and once any value is
 * NULL the chain yields NULL and frees what it was given (LeakSanitizer
 * checks that under make unit-asan). */
static void set_chaining_with_null(void **state)
{
	unsigned char out[64];
	size_t len = 0;
	json_t *o = json_object();

	(void)state;
	o = wl_json_set(o, "a", json_integer(1));
	assert_non_null(o);
	o = wl_json_set(o, "b", json_string("x"));
	assert_non_null(o);
	assert_int_equal(wl_json_dump(o, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen("{\"a\":1,\"b\":\"x\"}"));
	assert_memory_equal(out, "{\"a\":1,\"b\":\"x\"}", len);

	/* A NULL value frees the object. */
	o = json_object();
	o = wl_json_set(o, "a", json_integer(1));
	o = wl_json_set(o, "b", NULL);
	assert_null(o);

	/* A NULL object frees the value, so the rest of the chain is NULL
	 * too. */
	o = wl_json_set(o, "c", json_integer(3));
	assert_null(o);
	o = wl_json_set(NULL, "d", NULL);
	assert_null(o);

	/* Setting a member on an array fails, and both are freed. */
	o = wl_json_set(json_array(), "a", json_integer(1));
	assert_null(o);

	/* The dump of a chain that failed reports WL_ENOMEM. */
	o = wl_json_set(json_object(), "a", NULL);
	assert_int_equal(wl_json_dump(o, out, sizeof(out), &len), WL_ENOMEM);
}

/* wl_json_dump writes compact JSON with sorted keys and no NUL. */
static void dump_compact_sorted(void **state)
{
	static const char expected[] = "{\"a\":[1,2],\"b\":\"x y\",\"c\":true}";
	unsigned char out[64];
	size_t len = 0;
	json_t *o = json_pack("{s:b, s:s, s:[i,i]}", "c", 1, "b", "x y", "a", 1,
			      2);

	(void)state;
	assert_non_null(o);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(wl_json_dump(o, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(out, expected, len);
	assert_int_equal(out[len], 0xee);
}

/* A buffer one byte short is WL_ETOOBIG, and an exact fit succeeds. The
 * object is released either way. */
static void dump_buffer_size(void **state)
{
	static const char expected[] = "{\"key\":\"value\"}";
	unsigned char out[64];
	size_t len = 99;

	(void)state;
	assert_int_equal(wl_json_dump(json_pack("{s:s}", "key", "value"), out,
				      strlen(expected) - 1, &len),
			 WL_ETOOBIG);
	assert_int_equal(len, 99);
	assert_int_equal(wl_json_dump(json_pack("{s:s}", "key", "value"), out,
				      0, &len),
			 WL_ETOOBIG);

	assert_int_equal(wl_json_dump(json_pack("{s:s}", "key", "value"), out,
				      strlen(expected), &len),
			 0);
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(out, expected, len);
}

/* A NULL object (the caller ran out of memory building it) is
 * WL_ENOMEM. */
static void dump_null_object(void **state)
{
	unsigned char out[16];
	size_t len = 99;

	(void)state;
	assert_int_equal(wl_json_dump(NULL, out, sizeof(out), &len), WL_ENOMEM);
	assert_int_equal(len, 99);
}

/* After wl_json_init jansson allocates through the wiping functions,
 * whose blocks keep the alignment of max_align_t, and the helpers work as
 * before. This test replaces the allocator for the rest of the program,
 * so it must stay the last one. */
static void init_wiping_allocator(void **state)
{
	json_malloc_t malloc_fn = NULL;
	json_free_t free_fn = NULL;
	unsigned char out[64];
	size_t len = 0;
	void *block;
	json_t *o;

	(void)state;
	wl_json_init();
	json_get_alloc_funcs(&malloc_fn, &free_fn);
	assert_non_null(malloc_fn);
	assert_non_null(free_fn);
	assert_true(malloc_fn != malloc);
	assert_true(free_fn != free);

	block = malloc_fn(24);
	assert_non_null(block);
	assert_int_equal((uintptr_t)block % _Alignof(max_align_t), 0);
	memset(block, 0xab, 24);
	free_fn(block);

	o = load("{\"name\":\"bed 4\",\"v\":1}");
	o = wl_json_set(o, "id", wl_json_b64((const unsigned char *)"foo", 3));
	assert_int_equal(wl_json_dump(o, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen("{\"id\":\"Zm9v\",\"name\":\"bed 4\",\"v\":1}"));
	assert_memory_equal(out, "{\"id\":\"Zm9v\",\"name\":\"bed 4\",\"v\":1}",
			    len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_object_accepts),
		cmocka_unit_test(load_object_size_limit),
		cmocka_unit_test(load_object_duplicates),
		cmocka_unit_test(load_object_non_object),
		cmocka_unit_test(load_object_trailing_garbage),
		cmocka_unit_test(load_object_malformed),
		cmocka_unit_test(check_members_accepts),
		cmocka_unit_test(check_members_missing_v),
		cmocka_unit_test(check_members_wrong_version),
		cmocka_unit_test(check_members_unknown_member),
		cmocka_unit_test(get_string_cases),
		cmocka_unit_test(get_b64_exact_length),
		cmocka_unit_test(get_b64_wrong_length),
		cmocka_unit_test(get_b64_non_canonical),
		cmocka_unit_test(get_b64_missing_or_not_string),
		cmocka_unit_test(get_b64_var_cases),
		cmocka_unit_test(get_text_copies),
		cmocka_unit_test(get_text_too_long),
		cmocka_unit_test(get_text_embedded_nul),
		cmocka_unit_test(get_text_missing_or_not_string),
		cmocka_unit_test(get_uint_range),
		cmocka_unit_test(get_uint_negative),
		cmocka_unit_test(get_uint_non_integer),
		cmocka_unit_test(b64_encodes_padded),
		cmocka_unit_test(set_chaining_with_null),
		cmocka_unit_test(dump_compact_sorted),
		cmocka_unit_test(dump_buffer_size),
		cmocka_unit_test(dump_null_object),
		/* Last: it replaces jansson's allocator. */
		cmocka_unit_test(init_wiping_allocator),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
