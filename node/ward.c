/* The ward's view: last-writer-wins entities and ordered messages. */
#include "wardline/ward.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/json.h"

#define ARENA_CHUNK (256 * 1024)

/* One block of locked memory for the view's strings. */
struct chunk {
	struct chunk *next;
	size_t used;
	size_t size;
	unsigned char *mem; /* sodium_malloc */
};

struct wl_ward {
	unsigned char space[WL_SPACE_ID_SIZE];
	struct chunk *chunks;
	struct wl_ward_entity *entities;
	size_t n_entities;
	size_t cap_entities;
	size_t *index; /* open addressing: entity index + 1, 0 when empty */
	size_t index_size;
	struct wl_ward_message *messages;
	size_t n_messages;
	size_t cap_messages;
	int sorted;
	struct wl_ward_stats stats;
};

int wl_ward_new(const unsigned char space_id[WL_SPACE_ID_SIZE],
		struct wl_ward **out)
{
	struct wl_ward *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return WL_ENOMEM;
	memcpy(w->space, space_id, WL_SPACE_ID_SIZE);
	w->sorted = 1;
	*out = w;
	return 0;
}

void wl_ward_free(struct wl_ward *w)
{
	if (w == NULL)
		return;
	while (w->chunks) {
		struct chunk *next = w->chunks->next;

		sodium_free(w->chunks->mem); /* wipes */
		free(w->chunks);
		w->chunks = next;
	}
	free(w->entities);
	free(w->index);
	free(w->messages);
	free(w);
}

/* Copy LEN bytes of S into the locked arena, NUL-terminated. */
static const char *arena_copy(struct wl_ward *w, const char *s, size_t len)
{
	struct chunk *c = w->chunks;
	char *dst;

	if (c == NULL || c->size - c->used < len + 1) {
		size_t size = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;

		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return NULL;
		c->mem = sodium_malloc(size);
		if (c->mem == NULL) {
			free(c);
			return NULL;
		}
		c->size = size;
		c->next = w->chunks;
		w->chunks = c;
	}
	dst = (char *)c->mem + c->used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	c->used += len + 1;
	return dst;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int index_grow(struct wl_ward *w)
{
	size_t size = w->index_size ? w->index_size * 2 : 64;
	size_t *index = calloc(size, sizeof(*index));

	if (index == NULL)
		return WL_ENOMEM;
	for (size_t i = 0; i < w->n_entities; i++) {
		size_t slot = name_hash(w->entities[i].id) & (size - 1);

		while (index[slot])
			slot = (slot + 1) & (size - 1);
		index[slot] = i + 1;
	}
	free(w->index);
	w->index = index;
	w->index_size = size;
	return 0;
}

/* Find the slot of entity ID: its index entry, or the empty one where it
 * belongs. */
static size_t index_slot(const struct wl_ward *w, const char *id)
{
	size_t slot = name_hash(id) & (w->index_size - 1);

	while (w->index[slot] &&
	       strcmp(w->entities[w->index[slot] - 1].id, id) != 0)
		slot = (slot + 1) & (w->index_size - 1);
	return slot;
}

const struct wl_ward_entity *wl_ward_entity(const struct wl_ward *w,
					    const char *id)
{
	size_t slot;

	if (w->index_size == 0)
		return NULL;
	slot = index_slot(w, id);
	return w->index[slot] ? &w->entities[w->index[slot] - 1] : NULL;
}

static struct wl_ward_entity *entity_get(struct wl_ward *w, const char *id,
					 size_t len)
{
	struct wl_ward_entity *e;
	size_t slot;

	if ((w->n_entities + 1) * 2 > w->index_size && index_grow(w) != 0)
		return NULL;
	slot = index_slot(w, id);
	if (w->index[slot])
		return &w->entities[w->index[slot] - 1];

	if (w->n_entities == w->cap_entities) {
		size_t cap = w->cap_entities ? w->cap_entities * 2 : 64;
		struct wl_ward_entity *grown =
			realloc(w->entities, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		w->entities = grown;
		w->cap_entities = cap;
	}
	e = &w->entities[w->n_entities];
	memset(e, 0, sizeof(*e));
	e->id = arena_copy(w, id, len);
	if (e->id == NULL)
		return NULL;
	w->index[slot] = ++w->n_entities;
	return e;
}

/* Is (HLC, ORIGIN) of EV newer than F? */
static int newer(const struct wl_event *ev, const struct wl_ward_field *f)
{
	if (ev->h.hlc != f->hlc)
		return ev->h.hlc > f->hlc;
	return memcmp(ev->h.origin, f->origin, WL_EVENT_KEY_SIZE) > 0;
}

static int set_field(struct wl_ward *w, struct wl_ward_entity *e,
		     const struct wl_event *ev, const char *name,
		     const char *value, size_t value_len)
{
	struct wl_ward_field *f = NULL;

	for (size_t i = 0; i < e->n_fields && f == NULL; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			f = &e->fields[i];
	if (f != NULL && !newer(ev, f)) {
		w->stats.stale++;
		return 0;
	}
	if (f == NULL) {
		if (e->n_fields == WL_WARD_FIELDS_MAX)
			return WL_ETOOBIG;
		f = &e->fields[e->n_fields];
		f->name = arena_copy(w, name, strlen(name));
		if (f->name == NULL)
			return WL_ENOMEM;
		e->n_fields++;
	}
	f->value = arena_copy(w, value, value_len);
	if (f->value == NULL)
		return WL_ENOMEM;
	f->hlc = ev->h.hlc;
	memcpy(f->origin, ev->h.origin, WL_EVENT_KEY_SIZE);
	memcpy(f->author, ev->h.author, WL_EVENT_KEY_SIZE);
	return 0;
}

/* An entity name: a kind, a slash and an id of a-z A-Z 0-9 - _ . */
static int entity_name_ok(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);

	if (len == 0 || len > WL_WARD_ENTITY_MAX || slash == NULL ||
	    slash == s || slash == s + len - 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_' &&
		    c != '.' && s + i != slash)
			return 0;
	}
	return 1;
}

static int apply_update(struct wl_ward *w, const struct wl_event *ev,
			json_t *o)
{
	static const char *const members[] = {"entity", "fields", "v"};
	json_t *fields = json_object_get(o, "fields");
	const char *field = NULL;
	const char *entity = NULL;
	size_t entity_len = 0;
	struct wl_ward_entity *e;
	const char *name;
	json_t *value;

	if (wl_json_check_members(o, members, 3, WL_WARD_VERSION, &field) ||
	    wl_json_get_string(o, "entity", &entity, &entity_len, &field) ||
	    !entity_name_ok(entity, entity_len) || !json_is_object(fields) ||
	    json_object_size(fields) == 0 ||
	    json_object_size(fields) > WL_WARD_FIELDS_MAX)
		return WL_EINVAL;
	json_object_foreach(fields, name, value) {
		if (!json_is_string(value) || strlen(name) == 0 ||
		    strlen(name) > WL_WARD_FIELD_MAX ||
		    json_string_length(value) > WL_WARD_VALUE_MAX)
			return WL_EINVAL;
	}

	e = entity_get(w, entity, entity_len);
	if (e == NULL)
		return WL_ENOMEM;
	json_object_foreach(fields, name, value) {
		int rc = set_field(w, e, ev, name, json_string_value(value),
				   json_string_length(value));

		if (rc != 0)
			return rc;
	}
	return 0;
}

static int apply_message(struct wl_ward *w, const struct wl_event *ev,
			 json_t *o)
{
	static const char *const members[] = {"patient", "text", "urgent",
					      "v"};
	json_t *urgent = json_object_get(o, "urgent");
	json_t *patient = json_object_get(o, "patient");
	const char *field = NULL;
	const char *text = NULL;
	size_t len = 0;
	struct wl_ward_message *m;

	if (wl_json_check_members(o, members, 4, WL_WARD_VERSION, &field) ||
	    wl_json_get_string(o, "text", &text, &len, &field) || len == 0 ||
	    len > WL_WARD_VALUE_MAX || (urgent && !json_is_boolean(urgent)) ||
	    (patient && (!json_is_string(patient) ||
			 strncmp(json_string_value(patient), "patient/", 8) ||
			 json_string_length(patient) > WL_WARD_ENTITY_MAX)))
		return WL_EINVAL;

	if (w->n_messages == w->cap_messages) {
		size_t cap = w->cap_messages ? w->cap_messages * 2 : 256;
		struct wl_ward_message *grown =
			realloc(w->messages, cap * sizeof(*grown));

		if (grown == NULL)
			return WL_ENOMEM;
		w->messages = grown;
		w->cap_messages = cap;
	}
	m = &w->messages[w->n_messages];
	m->text = arena_copy(w, text, len);
	if (m->text == NULL)
		return WL_ENOMEM;
	m->patient = patient ? arena_copy(w, json_string_value(patient),
					  json_string_length(patient))
			     : NULL;
	if (patient && m->patient == NULL)
		return WL_ENOMEM;
	m->urgent = json_is_true(urgent);
	m->hlc = ev->h.hlc;
	memcpy(m->origin, ev->h.origin, WL_EVENT_KEY_SIZE);
	m->seq = ev->h.seq;
	memcpy(m->author, ev->h.author, WL_EVENT_KEY_SIZE);
	memcpy(m->id, ev->id, WL_EVENT_ID_SIZE);
	w->n_messages++;
	w->sorted = 0;
	return 0;
}

int wl_ward_apply(struct wl_ward *w, const struct wl_event *ev,
		  const unsigned char *plain, size_t len)
{
	json_t *o = NULL;
	int rc;

	if (ev->h.kind != WL_KIND_ENTITY_UPDATE && ev->h.kind != WL_KIND_MESSAGE)
		return WL_EKIND;
	if (memcmp(ev->h.space, w->space, WL_SPACE_ID_SIZE) != 0) {
		w->stats.rejected++;
		return WL_EINVAL;
	}
	rc = wl_json_load_object(plain, len, WL_WARD_BODY_MAX, &o);
	if (rc == 0)
		rc = ev->h.kind == WL_KIND_MESSAGE ? apply_message(w, ev, o)
						   : apply_update(w, ev, o);
	json_decref(o);

	if (rc == 0)
		w->stats.applied++;
	else if (rc != WL_ENOMEM)
		w->stats.rejected++;
	return rc;
}

/* Open EV's body with a key of its epoch from KR into PLAIN. */
static int open_body(const struct wl_keyring *kr,
		     const struct wl_store_entry *e, unsigned char *plain,
		     size_t *len)
{
	const unsigned char *key;

	if (e->body == NULL || e->body_len > WL_WARD_BODY_MAX +
						     WL_EVENT_SEAL_OVERHEAD)
		return WL_EAUTH;
	for (size_t i = 0; (key = wl_keyring_get(kr, e->ev.h.space,
						 e->ev.h.epoch, i)) != NULL;
	     i++)
		if (wl_event_open_body(&e->ev.h, key, e->body, e->body_len,
				       plain, len) == 0)
			return 0;
	return WL_EAUTH;
}

int wl_ward_load(struct wl_ward *w, struct wl_store *store,
		 const struct wl_keyring *kr)
{
	unsigned char *plain = sodium_malloc(WL_WARD_BODY_MAX);
	struct wl_store_iter *it = NULL;
	struct wl_store_entry e;
	size_t len = 0;
	int rc = plain ? 0 : WL_ENOMEM;

	/* NOTE: this walks every event of the store; an index by space
	 * would make opening one ward independent of the others' size. */
	if (rc == 0)
		rc = wl_store_iter_local(store, 0, &it);
	while (rc == 0 && (rc = wl_store_iter_next(it, &e)) != 0) {
		if (rc < 0) {
			rc = rc == WL_ESTORE ? rc : 0;
			continue;
		}
		rc = 0;
		if ((e.ev.h.kind != WL_KIND_ENTITY_UPDATE &&
		     e.ev.h.kind != WL_KIND_MESSAGE) ||
		    memcmp(e.ev.h.space, w->space, WL_SPACE_ID_SIZE) != 0)
			continue;
		if (open_body(kr, &e, plain, &len) != 0) {
			w->stats.unreadable++;
			continue;
		}
		rc = wl_ward_apply(w, &e.ev, plain, len);
		rc = rc == WL_ENOMEM ? rc : 0;
	}
	wl_store_iter_free(it);
	sodium_free(plain);
	return rc;
}

int wl_ward_update_encode(const char *entity, const char *const *names,
			  const char *const *values, size_t n,
			  unsigned char *out, size_t outsize, size_t *outlen)
{
	json_t *fields = json_object();
	json_t *o;

	if (!entity_name_ok(entity, strlen(entity)) || n == 0 ||
	    n > WL_WARD_FIELDS_MAX) {
		json_decref(fields);
		return WL_EINVAL;
	}
	for (size_t i = 0; fields != NULL && i < n; i++) {
		if (strlen(names[i]) == 0 ||
		    strlen(names[i]) > WL_WARD_FIELD_MAX ||
		    strlen(values[i]) > WL_WARD_VALUE_MAX) {
			json_decref(fields);
			return WL_EINVAL;
		}
		fields = wl_json_set(fields, names[i], json_string(values[i]));
	}
	o = json_pack("{s:i, s:s}", "v", WL_WARD_VERSION, "entity", entity);
	o = wl_json_set(o, "fields", fields);
	return wl_json_dump(o, out, outsize, outlen);
}

size_t wl_ward_entity_count(const struct wl_ward *w)
{
	return w->n_entities;
}

const struct wl_ward_entity *wl_ward_entity_at(const struct wl_ward *w,
					       size_t i)
{
	return i < w->n_entities ? &w->entities[i] : NULL;
}

const char *wl_ward_field(const struct wl_ward_entity *e, const char *name)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return e->fields[i].value;
	return NULL;
}

static int message_order(const void *a, const void *b)
{
	const struct wl_ward_message *x = a;
	const struct wl_ward_message *y = b;

	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return memcmp(x->origin, y->origin, WL_EVENT_KEY_SIZE);
}

size_t wl_ward_message_count(const struct wl_ward *w)
{
	return w->n_messages;
}

const struct wl_ward_message *wl_ward_message_at(struct wl_ward *w, size_t i)
{
	if (!w->sorted && w->n_messages > 1) {
		qsort(w->messages, w->n_messages, sizeof(*w->messages),
		      message_order);
	}
	w->sorted = 1;
	return i < w->n_messages ? &w->messages[i] : NULL;
}

const struct wl_ward_stats *wl_ward_stats(const struct wl_ward *w)
{
	return &w->stats;
}
