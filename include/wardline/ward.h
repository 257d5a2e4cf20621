/* The ward's view: entities and messages folded from the decrypted events
 * of one space.
 *
 * An entity update (WL_KIND_ENTITY_UPDATE) sets fields of one entity, a
 * patient, a handoff note or a task, named "patient/ID", "handoff/ID" or
 * "task/ID". Its sealed body is
 *
 *   {"entity":"patient/7f3a","fields":{"bed":"4","name":"..."},"v":1}
 *
 * Each field is last-writer-wins: the value of the update with the highest
 * (HLC, origin) stays, whatever order the events arrive in, so every node
 * folds the same events to the same view. A message (WL_KIND_MESSAGE) has
 * the body {"text":"...","v":1}, optionally with "urgent":true.
 *
 * Decrypted text is patient data. The view keeps every string in
 * sodium_malloc memory, which is locked against swap where the system
 * allows it and wiped when the view is freed.
 */
#ifndef WARDLINE_WARD_H
#define WARDLINE_WARD_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/event.h"
#include "wardline/space.h"
#include "wardline/store.h"

#define WL_WARD_VERSION 1
#define WL_WARD_ENTITY_MAX 80   /* bytes of an entity name */
#define WL_WARD_FIELD_MAX 40    /* bytes of a field name */
#define WL_WARD_FIELDS_MAX 64   /* fields per entity */
#define WL_WARD_VALUE_MAX 8000  /* bytes of one value or message text */
#define WL_WARD_BODY_MAX 65536  /* bytes of one decrypted body */

struct wl_ward_field {
	const char *name;
	const char *value;
	uint64_t hlc;
	unsigned char origin[WL_EVENT_KEY_SIZE];
	unsigned char author[WL_EVENT_KEY_SIZE];
};

struct wl_ward_entity {
	const char *id;
	struct wl_ward_field fields[WL_WARD_FIELDS_MAX];
	size_t n_fields;
};

struct wl_ward_message {
	const char *text;
	const char *patient; /* "patient/ID" the message is about, or NULL */
	int urgent;
	uint64_t hlc;
	unsigned char origin[WL_EVENT_KEY_SIZE];
	uint64_t seq; /* in ORIGIN's feed */
	unsigned char author[WL_EVENT_KEY_SIZE];
	unsigned char id[WL_EVENT_ID_SIZE];
};

struct wl_ward_stats {
	uint64_t applied;
	uint64_t unreadable; /* no key of the epoch opened the body */
	uint64_t rejected;   /* a body that is not a valid update or message */
	uint64_t stale;      /* fields older than the value held */
};

struct wl_ward;

/* Make an empty view of the space SPACE_ID. Returns 0, WL_ENOMEM. */
int wl_ward_new(const unsigned char space_id[WL_SPACE_ID_SIZE],
		struct wl_ward **out);

/* Wipe and free W. Accepts NULL. */
void wl_ward_free(struct wl_ward *w);

/* Apply the decrypted body PLAIN (LEN bytes) of the entity update or
 * message EV of this space. Returns 0, WL_EKIND, WL_EINVAL (wrong space or
 * a malformed body; counted), WL_ETOOBIG or WL_ENOMEM. */
int wl_ward_apply(struct wl_ward *w, const struct wl_event *ev,
		  const unsigned char *plain, size_t len);

/* Decrypt with the keys of KR and apply every entity update and message of
 * the space in STORE. The store's events were checked when they arrived.
 * Returns 0, WL_ESTORE or WL_ENOMEM; bodies that do not open or decode are
 * counted, not fatal. */
int wl_ward_load(struct wl_ward *w, struct wl_store *store,
		 const struct wl_keyring *kr);

/* Encode an entity update body with the N fields NAMES = VALUES into OUT.
 * Returns 0, WL_EINVAL (a name or value the decoder rejects) or
 * WL_ETOOBIG. */
int wl_ward_update_encode(const char *entity, const char *const *names,
			  const char *const *values, size_t n,
			  unsigned char *out, size_t outsize, size_t *outlen);

size_t wl_ward_entity_count(const struct wl_ward *w);
const struct wl_ward_entity *wl_ward_entity_at(const struct wl_ward *w,
					       size_t i);
const struct wl_ward_entity *wl_ward_entity(const struct wl_ward *w,
					    const char *id);

/* The value of field NAME of entity E, or NULL. */
const char *wl_ward_field(const struct wl_ward_entity *e, const char *name);

/* Messages in (HLC, origin) order. */
size_t wl_ward_message_count(const struct wl_ward *w);
const struct wl_ward_message *wl_ward_message_at(struct wl_ward *w, size_t i);

const struct wl_ward_stats *wl_ward_stats(const struct wl_ward *w);

#endif
