/* Unit tests of the ward view: last-writer-wins fields, message order,
 * and the rejection of malformed bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/ward.h"

static const unsigned char space[16] = {0x34, 0x57};

/* An event of KIND in SPACE at HLC from the origin filled with ORIGIN. */
static struct wl_event event_at(uint8_t kind, uint64_t hlc,
				unsigned char origin)
{
	struct wl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.h.kind = kind;
	ev.h.hlc = hlc;
	memcpy(ev.h.space, space, 16);
	memset(ev.h.origin, origin, sizeof(ev.h.origin));
	ev.id[0] = (unsigned char)hlc;
	return ev;
}

static int apply_text(struct wl_ward *w, uint8_t kind, uint64_t hlc,
		      unsigned char origin, const char *json)
{
	struct wl_event ev = event_at(kind, hlc, origin);

	return wl_ward_apply(w, &ev, (const unsigned char *)json,
			     strlen(json));
}

/* The newest write of a field wins whatever the order of arrival. */
static void ward_last_writer_wins(void **state)
{
	static const char *older =
		"{\"entity\":\"patient/p1\",\"fields\":{\"bed\":\"3\","
		"\"severity\":\"stable\"},\"v\":1}";
	static const char *newer =
		"{\"entity\":\"patient/p1\",\"fields\":{\"severity\":"
		"\"unstable\"},\"v\":1}";
	struct wl_ward *a = NULL, *b = NULL;
	const struct wl_ward_entity *ea, *eb;

	(void)state;
	assert_int_equal(wl_ward_new(space, &a), 0);
	assert_int_equal(wl_ward_new(space, &b), 0);
	assert_int_equal(apply_text(a, WL_KIND_ENTITY_UPDATE, 10, 1, older), 0);
	assert_int_equal(apply_text(a, WL_KIND_ENTITY_UPDATE, 20, 1, newer), 0);
	assert_int_equal(apply_text(b, WL_KIND_ENTITY_UPDATE, 20, 1, newer), 0);
	assert_int_equal(apply_text(b, WL_KIND_ENTITY_UPDATE, 10, 1, older), 0);

	ea = wl_ward_entity(a, "patient/p1");
	eb = wl_ward_entity(b, "patient/p1");
	assert_non_null(ea);
	assert_non_null(eb);
	assert_string_equal(wl_ward_field(ea, "severity"), "unstable");
	assert_string_equal(wl_ward_field(eb, "severity"), "unstable");
	assert_string_equal(wl_ward_field(eb, "bed"), "3");
	assert_int_equal(wl_ward_stats(b)->stale, 1);
	assert_null(wl_ward_field(ea, "allergies"));
	assert_null(wl_ward_entity(a, "patient/p2"));
	wl_ward_free(a);
	wl_ward_free(b);
}

/* Equal timestamps are ordered by origin, so two nodes agree. */
static void ward_tie_broken_by_origin(void **state)
{
	static const char *from_low =
		"{\"entity\":\"task/t1\",\"fields\":{\"state\":\"open\"},"
		"\"v\":1}";
	static const char *from_high =
		"{\"entity\":\"task/t1\",\"fields\":{\"state\":\"done\"},"
		"\"v\":1}";
	struct wl_ward *w = NULL;

	(void)state;
	assert_int_equal(wl_ward_new(space, &w), 0);
	assert_int_equal(
		apply_text(w, WL_KIND_ENTITY_UPDATE, 5, 9, from_high), 0);
	assert_int_equal(apply_text(w, WL_KIND_ENTITY_UPDATE, 5, 2, from_low),
			 0);
	assert_string_equal(
		wl_ward_field(wl_ward_entity(w, "task/t1"), "state"), "done");
	wl_ward_free(w);
}

/* Messages come out in (HLC, origin) order, with their urgent flag. */
static void ward_messages_ordered(void **state)
{
	struct wl_ward *w = NULL;

	(void)state;
	assert_int_equal(wl_ward_new(space, &w), 0);
	assert_int_equal(apply_text(w, WL_KIND_MESSAGE, 30, 1,
				    "{\"text\":\"third\",\"v\":1}"),
			 0);
	assert_int_equal(apply_text(w, WL_KIND_MESSAGE, 10, 1,
				    "{\"text\":\"first\",\"urgent\":true,"
				    "\"v\":1}"),
			 0);
	assert_int_equal(apply_text(w, WL_KIND_MESSAGE, 20, 1,
				    "{\"patient\":\"patient/p4\","
				    "\"text\":\"second\",\"v\":1}"),
			 0);
	assert_int_equal(wl_ward_message_count(w), 3);
	assert_null(wl_ward_message_at(w, 0)->patient);
	assert_string_equal(wl_ward_message_at(w, 1)->patient, "patient/p4");
	assert_string_equal(wl_ward_message_at(w, 0)->text, "first");
	assert_true(wl_ward_message_at(w, 0)->urgent);
	assert_string_equal(wl_ward_message_at(w, 1)->text, "second");
	assert_false(wl_ward_message_at(w, 1)->urgent);
	assert_string_equal(wl_ward_message_at(w, 2)->text, "third");
	assert_null(wl_ward_message_at(w, 3));
	wl_ward_free(w);
}

/* Malformed bodies are rejected and counted; nothing is applied. */
static void ward_rejects_malformed(void **state)
{
	static const char *const bad_updates[] = {
		"{\"entity\":\"patient\",\"fields\":{\"a\":\"b\"},\"v\":1}",
		"{\"entity\":\"patient/\",\"fields\":{\"a\":\"b\"},\"v\":1}",
		"{\"entity\":\"pat ient/x\",\"fields\":{\"a\":\"b\"},\"v\":1}",
		"{\"entity\":\"patient/x\",\"fields\":{},\"v\":1}",
		"{\"entity\":\"patient/x\",\"fields\":{\"a\":1},\"v\":1}",
		"{\"entity\":\"patient/x\",\"fields\":{\"a\":\"b\"},\"v\":2}",
		"{\"entity\":\"patient/x\",\"fields\":{\"a\":\"b\"},\"v\":1,"
		"\"extra\":0}",
		"[1,2]",
		"not json",
	};
	static const char *const bad_messages[] = {
		"{\"text\":\"\",\"v\":1}",
		"{\"text\":\"x\",\"urgent\":\"yes\",\"v\":1}",
		"{\"v\":1}",
		"{\"patient\":\"bed4\",\"text\":\"x\",\"v\":1}",
		"{\"patient\":4,\"text\":\"x\",\"v\":1}",
	};
	struct wl_ward *w = NULL;
	size_t n_updates = sizeof(bad_updates) / sizeof(bad_updates[0]);
	size_t n_messages = sizeof(bad_messages) / sizeof(bad_messages[0]);

	(void)state;
	assert_int_equal(wl_ward_new(space, &w), 0);
	for (size_t i = 0; i < n_updates; i++)
		assert_int_equal(apply_text(w, WL_KIND_ENTITY_UPDATE, i + 1, 1,
					    bad_updates[i]),
				 WL_EINVAL);
	for (size_t i = 0; i < n_messages; i++)
		assert_int_equal(apply_text(w, WL_KIND_MESSAGE, i + 1, 1,
					    bad_messages[i]),
				 WL_EINVAL);
	assert_int_equal(wl_ward_stats(w)->rejected, n_updates + n_messages);
	assert_int_equal(wl_ward_entity_count(w), 0);
	assert_int_equal(wl_ward_message_count(w), 0);
	wl_ward_free(w);
}

/* An event of another space or kind is not folded into this view. */
static void ward_rejects_other_space(void **state)
{
	struct wl_ward *w = NULL;
	struct wl_event ev = event_at(WL_KIND_MESSAGE, 1, 1);
	static const char body[] = "{\"text\":\"x\",\"v\":1}";

	(void)state;
	assert_int_equal(wl_ward_new(space, &w), 0);
	ev.h.space[0] ^= 1;
	assert_int_equal(wl_ward_apply(w, &ev, (const unsigned char *)body,
				       sizeof(body) - 1),
			 WL_EINVAL);
	ev = event_at(WL_KIND_AUDIT, 1, 1);
	assert_int_equal(wl_ward_apply(w, &ev, (const unsigned char *)body,
				       sizeof(body) - 1),
			 WL_EKIND);
	assert_int_equal(wl_ward_message_count(w), 0);
	wl_ward_free(w);
}

/* The encoder writes what the fold reads, and refuses bad names. */
static void ward_update_encode(void **state)
{
	const char *names[] = {"bed", "name"};
	const char *values[] = {"4", "Hollis Quarrington"};
	unsigned char buf[512];
	size_t len = 0;
	struct wl_ward *w = NULL;
	struct wl_event ev = event_at(WL_KIND_ENTITY_UPDATE, 1, 1);
	const struct wl_ward_entity *e;

	(void)state;
	assert_int_equal(wl_ward_update_encode("patient/p9", names, values, 2,
					       buf, sizeof(buf), &len),
			 0);
	assert_int_equal(wl_ward_new(space, &w), 0);
	assert_int_equal(wl_ward_apply(w, &ev, buf, len), 0);
	e = wl_ward_entity(w, "patient/p9");
	assert_non_null(e);
	assert_int_equal(e->n_fields, 2);
	assert_string_equal(wl_ward_field(e, "name"), "Hollis Quarrington");
	assert_int_equal(wl_ward_update_encode("patient", names, values, 2,
					       buf, sizeof(buf), &len),
			 WL_EINVAL);
	assert_int_equal(wl_ward_update_encode("patient/p9", names, values, 0,
					       buf, sizeof(buf), &len),
			 WL_EINVAL);
	assert_int_equal(wl_ward_update_encode("patient/p9", names, values, 2,
					       buf, 10, &len),
			 WL_ETOOBIG);
	wl_ward_free(w);
}

/* Many entities: the index finds each one after it grew. */
static void ward_many_entities(void **state)
{
	struct wl_ward *w = NULL;
	char json[128], id[32];

	(void)state;
	assert_int_equal(wl_ward_new(space, &w), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(json, sizeof(json),
			 "{\"entity\":\"task/t%d\",\"fields\":{\"n\":\"%d\"},"
			 "\"v\":1}",
			 i, i);
		assert_int_equal(
			apply_text(w, WL_KIND_ENTITY_UPDATE, (uint64_t)i + 1,
				   1, json),
			0);
	}
	assert_int_equal(wl_ward_entity_count(w), 1000);
	for (int i = 0; i < 1000; i += 37) {
		snprintf(id, sizeof(id), "task/t%d", i);
		snprintf(json, sizeof(json), "%d", i);
		assert_string_equal(wl_ward_field(wl_ward_entity(w, id), "n"),
				    json);
	}
	wl_ward_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ward_last_writer_wins),
		cmocka_unit_test(ward_tie_broken_by_origin),
		cmocka_unit_test(ward_messages_ordered),
		cmocka_unit_test(ward_rejects_malformed),
		cmocka_unit_test(ward_rejects_other_space),
		cmocka_unit_test(ward_update_encode),
		cmocka_unit_test(ward_many_entities),
	};

	if (sodium_init() < 0)
		return 1;
	wl_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
