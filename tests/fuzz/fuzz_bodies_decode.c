/* libFuzzer target for the decoders of cleartext and decrypted event
 * bodies (membership changes, account events, audit records, the ward's
 * entity updates and messages) and of FHIR bundles. A decoded change or
 * audit record must encode again and decode to the same fields. Nothing may crash, leak
 * or read outside the input.
 *
 * When WL_FUZZ_SEED_DIR names a directory, LLVMFuzzerInitialize writes one
 * valid body of each kind there first. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/fhir.h"
#include "wardline/json.h"
#include "wardline/space.h"
#include "wardline/users.h"
#include "wardline/ward.h"

static const unsigned char space_id[16] = {0x77, 0x61, 0x72, 0x64};

static void seed_write(const char *dir, const char *name, const void *buf,
		       size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	if (fwrite(buf, 1, len, f) != len)
		perror(path);
	fclose(f);
}

static void seed_corpus(const char *dir)
{
	static const char update[] =
		"{\"entity\":\"patient/p1\",\"fields\":{\"bed\":\"4\","
		"\"severity\":\"watcher\"},\"v\":1}";
	static const char message[] =
		"{\"text\":\"Bed 4 needs a glucose check\",\"urgent\":true,"
		"\"v\":1}";
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	unsigned char key[32];
	struct wl_space_change c;
	struct wl_audit_record r;
	size_t len = 0;

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	memcpy(c.space_id, space_id, 16);
	c.epoch = 1;
	c.kind = WL_SPACE_WARD;
	memcpy(c.name, "4 West", 7);
	c.n_members = 1;
	memset(c.members[0], 3, 16);
	if (wl_space_change_encode(&c, buf, sizeof(buf), &len) == 0)
		seed_write(dir, "seed-create", buf, len);

	c.op = WL_SPACE_OP_GRANT;
	memset(c.user, 4, 16);
	c.expires_ms = 1796400000000ull;
	memset(key, 9, sizeof(key));
	if (wl_space_reason_seal(&c, key, "rapid response in bed 4") == 0 &&
	    wl_space_change_encode(&c, buf, sizeof(buf), &len) == 0)
		seed_write(dir, "seed-grant", buf, len);

	if (wl_users_account_encode(WL_ACCOUNT_FAILED, c.user, buf,
				    sizeof(buf), &len) == 0)
		seed_write(dir, "seed-account", buf, len);

	memset(&r, 0, sizeof(r));
	memcpy(r.action, "login_failed", 13);
	memcpy(r.outcome, "failed", 7);
	r.has_user = 1;
	memset(r.user, 4, 16);
	memcpy(r.username, "nina", 5);
	r.at_ms = 1796400000000ull;
	if (wl_audit_record_encode(&r, buf, sizeof(buf), &len) == 0)
		seed_write(dir, "seed-audit", buf, len);

	seed_write(dir, "seed-update", update, sizeof(update) - 1);
	seed_write(dir, "seed-message", message, sizeof(message) - 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("WL_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	wl_json_init();
	if (dir != NULL && dir[0] != '\0')
		seed_corpus(dir);
	return 0;
}

static void change_round_trip(const struct wl_space_change *c)
{
	unsigned char buf[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_space_change back;
	size_t len = 0;

	if (wl_space_change_encode(c, buf, sizeof(buf), &len) != 0 ||
	    wl_space_change_decode(buf, len, &back, NULL) != 0 ||
	    memcmp(c, &back, sizeof(back)) != 0)
		abort();
}

static void record_round_trip(const struct wl_audit_record *r)
{
	unsigned char buf[2 * WL_AUDIT_JSON_MAX];
	struct wl_audit_record back;
	size_t len = 0;

	if (wl_audit_record_encode(r, buf, sizeof(buf), &len) != 0 ||
	    wl_audit_record_decode(buf, len, &back, NULL) != 0 ||
	    memcmp(r, &back, sizeof(back)) != 0)
		abort();
}

/* Fold the input as an entity update and as a message of one view. */
static void fold_ward(const uint8_t *data, size_t size)
{
	struct wl_ward *w = NULL;
	struct wl_event ev;

	if (wl_ward_new(space_id, &w) != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.h.space, space_id, 16);
	ev.h.hlc = 1;
	ev.h.kind = WL_KIND_ENTITY_UPDATE;
	(void)wl_ward_apply(w, &ev, data, size);
	ev.h.kind = WL_KIND_MESSAGE;
	ev.h.hlc = 2;
	(void)wl_ward_apply(w, &ev, data, size);
	(void)wl_ward_message_at(w, 0);
	wl_ward_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_space_change c;
	struct wl_audit_record r;
	enum wl_account_op op;
	unsigned char id[16];
	unsigned char key[32];
	char reason[WL_ACCESS_REASON_BYTES + 1];
	static struct wl_fhir_patient patient;
	struct wl_fhir_error ferr;

	/* The decoders write nothing on failure; zeroed structures let the
	 * round trips compare whole structures. */
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	if (wl_space_change_decode(data, size, &c, NULL) == 0) {
		change_round_trip(&c);
		memset(key, 9, sizeof(key));
		(void)wl_space_reason_open(&c, key, reason);
	}
	if (wl_audit_record_decode(data, size, &r, NULL) == 0)
		record_round_trip(&r);
	(void)wl_users_account_decode(data, size, &op, id);
	fold_ward(data, size);
	(void)wl_fhir_read(data, size, &patient, &ferr);
	return 0;
}
