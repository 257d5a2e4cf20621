/* Benchmark: from login to the ward board, in chromium.
 *
 * A node's store contains a ward of 40 patients and 20,000 events (field
 * updates of patients, handoff notes and tasks, and messages), made with
 * the site key of an enrolled data directory. The node serves the web UI;
 * tests/bench/board.mjs logs a nurse in and times from the click on
 * "Log in" to the board showing all 40 rows, five times, and counts the
 * bytes of HTML, JavaScript and CSS of the first view. This program
 * builds the store, starts the node on 127.0.0.1 (discovery off), runs
 * the browser script and prints its figures. Target: 1 s, 150 KB. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/feed.h"
#include "wardline/json.h"
#include "wardline/site.h"
#include "wardline/space.h"
#include "wardline/ward.h"

#define EVENTS 20000
#define PATIENTS 40
#define BATCH 1000
#define PASSWORD "night shift on ward four"

static void die(const char *what, int rc)
{
	fprintf(stderr, "board: %s failed (%d)\n", what, rc);
	exit(1);
}

static void run(const char *cmd)
{
	if (system(cmd) != 0)
		die(cmd, -1);
}

static void append(struct wl_store *store, struct wl_identity *id,
		   struct wl_hlc *hlc, uint8_t kind, const unsigned char *sk,
		   const unsigned char *body, size_t len)
{
	struct wl_feed_item it;
	int rc;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.author_sk = sk;
	it.body = body;
	it.body_len = len;
	rc = wl_feed_append(store, id, hlc, &it, 1, NULL, NULL);
	if (rc != 0)
		die("append", rc);
}

/* Event I of the ward: patient fields first, then a mix. */
static size_t body_for(size_t i, unsigned char *out, size_t size,
		       uint8_t *kind)
{
	static const char *const sev[] = {"stable", "watcher", "unstable"};
	char entity[32], bed[8], name[40], text[200];
	size_t p = i % PATIENTS;
	size_t len = 0;
	int rc;

	*kind = WL_KIND_ENTITY_UPDATE;
	if (i < PATIENTS) {
		const char *names[] = {"name", "bed", "age", "sex", "severity",
				       "problems", "allergies"};
		const char *values[] = {name, bed, "67", p % 2 ? "male" : "female",
					sev[p % 3], "Pneumonia; heart failure",
					"Penicillin"};

		snprintf(entity, sizeof(entity), "patient/p%zu", p);
		snprintf(bed, sizeof(bed), "%zu", p + 1);
		snprintf(name, sizeof(name), "Patient Number %zu", p + 1);
		rc = wl_ward_update_encode(entity, names, values, 7, out, size,
					   &len);
	} else if (i % 4 == 0) {
		*kind = WL_KIND_MESSAGE;
		return (size_t)snprintf((char *)out, size,
					"{\"text\":\"Bed %zu: vitals rechecked "
					"at %02zu:00\",\"v\":1}",
					p + 1, i % 24);
	} else if (i % 4 == 1) {
		const char *names[] = {"severity"};
		const char *values[] = {sev[i % 3]};

		snprintf(entity, sizeof(entity), "patient/p%zu", p);
		rc = wl_ward_update_encode(entity, names, values, 1, out, size,
					   &len);
	} else {
		const char *names[] = {"summary", "actions"};
		const char *values[] = {text, "Recheck potassium, night, 02:00"};

		snprintf(entity, sizeof(entity), "handoff/p%zu", p);
		snprintf(text, sizeof(text), "Day %zu of admission, stable on "
			 "2 L oxygen", i / 1000 + 1);
		rc = wl_ward_update_encode(entity, names, values, 2, out, size,
					   &len);
	}
	if (rc != 0)
		die("encode", rc);
	return len;
}

static void fill(struct wl_store *store, struct wl_identity *id,
		 struct wl_hlc *hlc, const unsigned char space[16],
		 const unsigned char key[32], const unsigned char *sk)
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
			it->author_sk = sk;
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

/* Users, the ward, the nurse's envelope and the events, in DIR/n1. */
static void build(const char *dir)
{
	char path[4096];
	unsigned char site_pk[32], *site_sk = NULL, space[16], key[32];
	unsigned char json[WL_SPACE_CHANGE_JSON_MAX];
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	struct wl_keys_bundle admin, nurse;
	struct wl_keys_secret *admin_sk = NULL, *nurse_sk = NULL;
	struct wl_space_change c;
	struct wl_keys_envelope env;
	struct wl_store_options opt = {0, 1};
	struct wl_store *store = NULL;
	struct wl_identity *id = NULL;
	struct wl_hlc hlc;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/site", dir);
	rc = wl_site_load_secret(path, &site_sk, site_pk);
	snprintf(path, sizeof(path), "%s/n1", dir);
	if (rc == 0)
		rc = wl_identity_load(path, &id);
	if (rc == 0)
		rc = wl_store_open(path, &opt, &store);
	if (rc != 0)
		die("open", rc);
	wl_hlc_init(&hlc, NULL, NULL, 60000, 0);

	rc = wl_keys_user_new(NULL, "alice", "Alice Admin", WL_ROLE_ADMIN,
			      "correct horse battery staple", &cost, &admin,
			      &admin_sk);
	if (rc == 0)
		rc = wl_keys_user_new(NULL, "nina", "Nina Nurse", WL_ROLE_NURSE,
				      PASSWORD, &cost, &nurse, &nurse_sk);
	if (rc != 0)
		die("users", rc);
	rc = wl_keys_bundle_encode(&admin, json, sizeof(json), &len);
	append(store, id, &hlc, WL_KIND_USER_BUNDLE, site_sk, json, len);
	rc |= wl_keys_bundle_encode(&nurse, json, sizeof(json), &len);
	append(store, id, &hlc, WL_KIND_USER_BUNDLE, site_sk, json, len);

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	randombytes_buf(c.space_id, 16);
	memcpy(space, c.space_id, 16);
	c.epoch = 1;
	c.kind = WL_SPACE_WARD;
	snprintf(c.name, sizeof(c.name), "4 West");
	c.n_members = 1;
	memcpy(c.members[0], nurse.user_id, 16);
	rc |= wl_space_change_encode(&c, json, sizeof(json), &len);
	append(store, id, &hlc, WL_KIND_MEMBERSHIP, admin_sk->sign_sk, json,
	       len);
	wl_keys_space_key_new(key);
	rc |= wl_keys_envelope_seal(space, 1, key, nurse.user_id, nurse.box_pk,
				    &env);
	rc |= wl_keys_envelope_encode(&env, json, sizeof(json), &len);
	if (rc != 0)
		die("ward", rc);
	append(store, id, &hlc, WL_KIND_KEY_ENVELOPE, admin_sk->sign_sk, json,
	       len);
	fill(store, id, &hlc, space, key, nurse_sk->sign_sk);

	sodium_memzero(key, sizeof(key));
	sodium_free(site_sk);
	wl_keys_secret_free(admin_sk);
	wl_keys_secret_free(nurse_sk);
	wl_store_close(store);
	wl_identity_free(id);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/wardline-bench-board.XXXXXX";
	char cmd[16384], root[2048], web[2100];
	int port = 30000 + getpid() % 10000;
	pid_t node;
	int status = 1;

	(void)argc;
	wl_json_init();
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	/* The repository's root: this program is tests/bench/board. */
	snprintf(root, sizeof(root), "%.2000s", argv[0]);
	if (strrchr(root, '/'))
		*strrchr(root, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "%s/../..", root);
	{
		char real[4096];

		if (realpath(cmd, real) == NULL || strlen(real) >= 2000)
			return 1;
		snprintf(root, sizeof(root), "%s", real);
	}

	snprintf(cmd, sizeof(cmd),
		 "%s/node/wardline init-site --site-dir %s/site >/dev/null && "
		 "%s/node/wardline enroll --site-dir %s/site --data-dir %s/n1 "
		 "--name bench-board >/dev/null",
		 root, dir, root, dir, dir);
	run(cmd);
	build(dir);
	snprintf(web, sizeof(web), "%s/build/web", root);

	node = fork();
	if (node == 0) {
		char peer[16], http[16];

		snprintf(peer, sizeof(peer), "%d", port);
		snprintf(http, sizeof(http), "%d", port + 1);
		snprintf(cmd, sizeof(cmd), "%s/n1", dir);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		snprintf(root + strlen(root), sizeof(root) - strlen(root),
			 "/node/wardline-node");
		execl(root, root, "--data-dir", cmd, "--discovery", "off",
		      "--listen", "127.0.0.1", "--peer-port", peer,
		      "--http-port", http, "--web-root", web,
		      (char *)NULL);
		_exit(127);
	}
	sleep(1);
	snprintf(cmd, sizeof(cmd),
		 "WL_BASE=http://127.0.0.1:%d WL_PW='%s' WL_PATIENTS=%d "
		 "WL_PROFILE=%s/profile node %s/tests/bench/board.mjs",
		 port + 1, PASSWORD, PATIENTS, dir, root);
	status = system(cmd);
	kill(node, SIGTERM);
	waitpid(node, NULL, 0);
	if (getenv("WL_KEEP")) {
		printf("kept %s\n", dir);
		return status == 0 ? 0 : 1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "board: could not remove %s\n", dir);
	return status == 0 ? 0 : 1;
}
