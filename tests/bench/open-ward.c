/* Benchmark: open a ward after login.
 *
 * A store contains one ward space of 50,000 events written by a nurse: three
 * entity updates (patients, handoff notes, tasks of 50 beds) for each
 * message. Opening the ward is what a login does after the password
 * check: fold the users and spaces, open the nurse's key envelopes, then
 * decrypt every event of the ward and fold it into the in-memory view.
 * Five runs on a reopened store; the median is reported, with its ratio
 * to the 500 ms target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wardline/feed.h"
#include "wardline/json.h"
#include "wardline/space.h"
#include "wardline/users.h"
#include "wardline/ward.h"
#include "../unit/testutil.h"

#define EVENTS 50000
#define BATCH 1000
#define BEDS 50
#define RUNS 5
#define TARGET_MS 500.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "open-ward: %s failed (%d)\n", what, rc);
	exit(1);
}

/* Append one cleartext item signed by AUTHOR_SK. */
static void append(struct wl_store *store, struct wl_identity *id,
		   struct wl_hlc *hlc, uint8_t kind,
		   const unsigned char *author_sk, const unsigned char *body,
		   size_t len)
{
	struct wl_feed_item it;
	int rc;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.author_sk = author_sk;
	it.body = body;
	it.body_len = len;
	rc = wl_feed_append(store, id, hlc, &it, 1, NULL, NULL);
	if (rc != 0)
		die("append", rc);
}

static void add_user(struct wl_store *store, struct wl_identity *id,
		     struct wl_hlc *hlc, const unsigned char *site_sk,
		     const char *name, enum wl_role role,
		     struct wl_keys_bundle *b, struct wl_keys_secret **secret)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	unsigned char json[WL_KEYS_BUNDLE_JSON_MAX];
	size_t len = 0;
	int rc;

	rc = wl_keys_user_new(NULL, name, name, role, "bench password 1",
			      &cost, b, secret);
	if (rc == 0)
		rc = wl_keys_bundle_encode(b, json, sizeof(json), &len);
	if (rc != 0)
		die("user", rc);
	append(store, id, hlc, WL_KIND_USER_BUNDLE, site_sk, json, len);
}

/* The body of event I: an entity update or, every fourth, a message. */
static size_t body_for(size_t i, unsigned char *out, size_t size,
		       uint8_t *kind)
{
	char entity[64], text[256];
	size_t bed = i / 4 % BEDS; /* every kind reaches every bed */
	size_t len = 0;
	int rc;

	if (i % 4 == 3) {
		int n = snprintf((char *)out, size,
				 "{\"text\":\"Bed %zu: vitals rechecked, "
				 "pain 3/10, next round at %02zu:00\",\"v\":1}",
				 bed + 1, i % 24);

		*kind = WL_KIND_MESSAGE;
		return (size_t)n;
	}
	*kind = WL_KIND_ENTITY_UPDATE;
	if (i % 4 == 0) {
		const char *names[] = {"bed", "name", "severity", "summary"};
		const char *values[4];
		char bed_text[8], name[32];

		snprintf(bed_text, sizeof(bed_text), "%zu", bed + 1);
		snprintf(name, sizeof(name), "Patient %zu", bed + 1);
		snprintf(text, sizeof(text), "Admitted with pneumonia, day %zu "
			 "of antibiotics, on 2 L oxygen", i / 1000 + 1);
		values[0] = bed_text;
		values[1] = name;
		values[2] = i % 3 ? "stable" : "watcher";
		values[3] = text;
		snprintf(entity, sizeof(entity), "patient/p%zu", bed);
		rc = wl_ward_update_encode(entity, names, values, 4, out, size,
					   &len);
	} else if (i % 4 == 1) {
		const char *names[] = {"patient", "situation", "action"};
		const char *values[] = {entity, text, "Recheck potassium"};

		snprintf(entity, sizeof(entity), "patient/p%zu", bed);
		snprintf(text, sizeof(text), "If systolic below 90 then call "
			 "the rapid response team (%zu)", i);
		snprintf(entity + 32, 32, "handoff/h%zu", bed);
		rc = wl_ward_update_encode(entity + 32, names, values, 3, out,
					   size, &len);
	} else {
		const char *names[] = {"state", "owner"};
		const char *values[] = {i % 8 == 2 ? "open" : "done", "nurse"};

		snprintf(entity, sizeof(entity), "task/t%zu", i / 4 % (BEDS * 4));
		rc = wl_ward_update_encode(entity, names, values, 2, out, size,
					   &len);
	}
	if (rc != 0)
		die("encode", rc);
	return len;
}

/* Write EVENTS events of the ward, sealed under KEY, by the nurse. */
static void fill(struct wl_store *store, struct wl_identity *id,
		 struct wl_hlc *hlc, const unsigned char space[16],
		 const unsigned char key[32], const unsigned char *sign_sk)
{
	static unsigned char bodies[BATCH][1024];
	static struct wl_feed_item items[BATCH];

	for (size_t done = 0; done < EVENTS; done += BATCH) {
		for (size_t k = 0; k < BATCH; k++) {
			struct wl_feed_item *it = &items[k];

			memset(it, 0, sizeof(*it));
			it->body_len = body_for(done + k, bodies[k],
						sizeof(bodies[k]), &it->kind);
			memcpy(it->space, space, 16);
			it->epoch = 1;
			it->author_sk = sign_sk;
			it->body = bodies[k];
			it->seal = wl_feed_seal_space;
			it->seal_arg = (void *)key;
			it->seal_overhead = WL_EVENT_SEAL_OVERHEAD;
		}
		int rc = wl_feed_append(store, id, hlc, items, BATCH, NULL,
					NULL);
		if (rc != 0)
			die("fill", rc);
	}
}

/* Make the store: site, admin, nurse, ward, envelope, then the events. */
static void build(const char *dir, unsigned char site_pk[32])
{
	unsigned char site_sk[64], space[16], key[32];
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_keys_bundle admin, nurse;
	struct wl_keys_secret *admin_secret = NULL, *nurse_secret = NULL;
	struct wl_space_change c;
	struct wl_keys_envelope env;
	struct wl_store_options opt = {0, 1};
	struct wl_store *store = NULL;
	struct wl_identity *id = NULL;
	struct wl_hlc hlc;
	size_t len = 0;
	int rc;

	crypto_sign_keypair(site_pk, site_sk);
	rc = wl_identity_load_or_create(dir, &id, NULL);
	if (rc == 0)
		rc = wl_store_open(dir, &opt, &store);
	if (rc != 0)
		die("open", rc);
	wl_hlc_init(&hlc, NULL, NULL, 60000, 0);
	add_user(store, id, &hlc, site_sk, "admin", WL_ROLE_ADMIN, &admin,
		 &admin_secret);
	add_user(store, id, &hlc, site_sk, "nurse", WL_ROLE_NURSE, &nurse,
		 &nurse_secret);

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	randombytes_buf(c.space_id, 16);
	memcpy(space, c.space_id, 16);
	c.epoch = 1;
	c.kind = WL_SPACE_WARD;
	snprintf(c.name, sizeof(c.name), "4 West");
	c.n_members = 1;
	memcpy(c.members[0], nurse.user_id, 16);
	rc = wl_space_change_encode(&c, json, sizeof(json), &len);
	if (rc != 0)
		die("create", rc);
	append(store, id, &hlc, WL_KIND_MEMBERSHIP, admin_secret->sign_sk,
	       json, len);

	wl_keys_space_key_new(key);
	rc = wl_keys_envelope_seal(space, 1, key, nurse.user_id, nurse.box_pk,
				   &env);
	if (rc == 0)
		rc = wl_keys_envelope_encode(&env, json, sizeof(json), &len);
	if (rc != 0)
		die("envelope", rc);
	append(store, id, &hlc, WL_KIND_KEY_ENVELOPE, admin_secret->sign_sk,
	       json, len);

	fill(store, id, &hlc, space, key, nurse_secret->sign_sk);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(site_sk, sizeof(site_sk));
	wl_keys_secret_free(admin_secret);
	wl_store_close(store);
	wl_identity_free(id);

	wl_keys_secret_free(nurse_secret);
}

/* One open: folds, keyring, ward. Returns the time in ms. */
static double open_once(const char *dir, const unsigned char site_pk[32],
			const char *password, size_t *entities,
			size_t *messages)
{
	struct wl_store_options opt = {0, 1};
	struct wl_store *store = NULL;
	struct wl_users *users = NULL;
	struct wl_spaces *spaces = NULL;
	struct wl_keys_secret *secret = NULL;
	struct wl_keyring *kr = NULL;
	struct wl_ward *ward = NULL;
	const struct wl_user *nurse;
	const struct wl_space *s;
	double t0, t1;
	int rc;

	rc = wl_store_open(dir, &opt, &store);
	if (rc == 0)
		rc = wl_users_new(site_pk, &users);
	if (rc == 0)
		rc = wl_users_load(users, store);
	nurse = rc == 0 ? wl_users_by_name(users, "nurse") : NULL;
	if (nurse == NULL || wl_keys_unwrap(&nurse->bundle, password,
					    &secret) != 0)
		die("login", rc);

	t0 = now_ms();
	rc = wl_spaces_new(users, &spaces);
	if (rc == 0)
		rc = wl_spaces_load(spaces, store);
	if (rc == 0)
		rc = wl_keyring_open(spaces, store, nurse, secret, NULL, &kr);
	s = rc == 0 ? wl_spaces_by_name(spaces, "4 West") : NULL;
	if (s == NULL)
		die("spaces", rc);
	rc = wl_ward_new(s->id, &ward);
	if (rc == 0)
		rc = wl_ward_load(ward, store, kr);
	if (rc != 0)
		die("ward", rc);
	*entities = wl_ward_entity_count(ward);
	*messages = wl_ward_message_count(ward);
	(void)wl_ward_message_at(ward, 0); /* sorts the messages */
	t1 = now_ms();

	if (wl_ward_stats(ward)->applied != EVENTS)
		die("fold count", (int)wl_ward_stats(ward)->applied);
	wl_ward_free(ward);
	wl_keyring_free(kr);
	wl_keys_secret_free(secret);
	wl_spaces_free(spaces);
	wl_users_free(users);
	wl_store_close(store);
	return t1 - t0;
}

int main(void)
{
	unsigned char site_pk[32];
	double t[RUNS];
	size_t entities = 0, messages = 0;
	char *dir;

	wl_json_init();
	if (sodium_init() < 0)
		return 1;
	dir = testutil_mkdtemp();
	build(dir, site_pk);
	for (int i = 0; i < RUNS; i++)
		t[i] = open_once(dir, site_pk, "bench password 1", &entities,
				 &messages);
	qsort(t, RUNS, sizeof(t[0]), by_value);
	testutil_rmdir(dir);

	printf("runs=%d min=%.1f ms max=%.1f ms\n", RUNS, t[0], t[RUNS - 1]);
	printf("bench open-ward %.1f ms events=%d entities=%zu messages=%zu "
	       "ratio=%.2f\n",
	       t[RUNS / 2], EVENTS, entities, messages, t[RUNS / 2] / TARGET_MS);
	return 0;
}
