/* Strict JSON helpers shared by the decoders of event bodies.
 *
 * Every cleartext or decrypted event body is one compact JSON object with
 * sorted keys and a version member "v". These helpers give all decoders the
 * same rules: one object of bounded size, no duplicate keys, no member
 * outside the known names, every required member present with its type,
 * base64 (standard alphabet, padded) of an exact length, integers in range.
 *
 * Each getter takes FIELD, which it sets to the static name of the member
 * at fault on failure and to NULL on success, so that a decoder can tell
 * the user which member was wrong. Pure: no I/O, no logging.
 */
#ifndef WARDLINE_JSON_H
#define WARDLINE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Make jansson wipe every block it frees, so that the working copies of
 * decrypted bodies (patient names, message text) do not linger in freed
 * heap memory. Call once at program start, before any JSON is parsed.
 * NOTE: the blocks are wiped, not locked: a device that must keep them
 * out of swap runs without swap, as the appliance image does. */
void wl_json_init(void);

/* Parse LEN bytes at BUF, at most MAX, as one JSON object with no duplicate
 * keys and nothing after it. Returns 0 and a new reference in *OUT, or
 * WL_ETOOBIG (LEN above MAX) or WL_EINVAL (*OUT is NULL). */
int wl_json_load_object(const unsigned char *buf, size_t len, size_t max,
			json_t **out);

/* Check that member "v" of O is the integer VERSION, then that O has no
 * member outside the N names of MEMBERS. Returns 0, WL_ETRUNC (no "v"),
 * WL_EINVAL (a wrong type or an unknown member; *FIELD is NULL for the
 * latter) or WL_EVERSION. */
int wl_json_check_members(json_t *o, const char *const *members, size_t n,
			  long version, const char **field);

/* Fetch member NAME of O as a string (*S, *LEN bytes), valid while O is.
 * Returns 0, WL_ETRUNC (missing) or WL_EINVAL (not a string). */
int wl_json_get_string(json_t *o, const char *name, const char **s,
		       size_t *len, const char **field);

/* Copy member NAME of O, a string of at most SIZE - 1 bytes, into DST with
 * its NUL. Returns 0, WL_ETRUNC, WL_EINVAL or WL_ETOOBIG. */
int wl_json_get_text(json_t *o, const char *name, char *dst, size_t size,
		     const char **field);

/* Decode member NAME of O, the base64 of exactly LEN bytes, into BIN.
 * Returns 0, WL_ETRUNC or WL_EINVAL (not a string, bad base64 or length). */
int wl_json_get_b64(json_t *o, const char *name, unsigned char *bin,
		    size_t len, const char **field);

/* Decode member NAME of O, the base64 of 1 to MAX bytes, into BIN and store
 * the length in *LEN. Returns as wl_json_get_b64. */
int wl_json_get_b64_var(json_t *o, const char *name, unsigned char *bin,
			size_t max, size_t *len, const char **field);

/* Read member NAME of O, an integer from MIN to MAX, into *VALUE. Returns
 * 0, WL_ETRUNC, WL_EINVAL (not an integer) or WL_ERANGE. */
int wl_json_get_uint(json_t *o, const char *name, uint64_t min, uint64_t max,
		     uint64_t *value, const char **field);

/* Return a new JSON string holding the base64 of LEN bytes at BIN, or NULL
 * when out of memory. */
json_t *wl_json_b64(const unsigned char *bin, size_t len);

/* Set member NAME of O to NEW_VALUE, taking the reference, and free O when
 * that fails. Returns O, or NULL when O or NEW_VALUE was NULL or the set
 * failed; so calls can be chained and one NULL check made at the end. */
json_t *wl_json_set(json_t *o, const char *name, json_t *new_value);

/* Write O into OUT as compact JSON with sorted keys and release O, which
 * may be NULL (the caller ran out of memory building it). Stores the
 * length in *OUTLEN. Returns 0, WL_ENOMEM or WL_ETOOBIG (OUTSIZE too
 * small). */
int wl_json_dump(json_t *o, unsigned char *out, size_t outsize,
		 size_t *outlen);

#endif
