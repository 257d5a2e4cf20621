/* Benchmark: ingest of 100,000 peer events into a durable store.
 *
 * Four origins, every event signed by its node and by a user author, with a
 * 600-byte body sealed under a space key. The events are made first (not
 * timed), then handed to wl_ingest_batch in batches as a peer's backfill
 * would send them: each batch contains a run of consecutive events of each
 * origin. Timed: decode, authentication (chain shortcut for node
 * signatures, every author signature, on every core), insertion and the
 * durable commit of each batch.
 *
 * The reference is the naive ceiling: one core checking two Ed25519
 * signatures per event, i.e. half the verifications per second that one
 * core of this machine does, measured in the same run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "wardline/event.h"
#include "wardline/hlc.h"
#include "wardline/ingest.h"
#include "wardline/store.h"

#define ORIGINS 4
#define EVENTS 100000
#define PLAIN_SIZE (600 - WL_EVENT_SEAL_OVERHEAD) /* 600-byte sealed body */
#define RUN_PER_ORIGIN 128
#define START_MS 1796400000000ull

struct origin {
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char user_sk[64];
	uint64_t seq;
	unsigned char last_id[32];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t bench_wall(void *arg)
{
	(void)arg;
	return START_MS + 3600 * 1000;
}

/* Ed25519 verifications per second on this thread. */
static double measure_verify_rate(void)
{
	unsigned char pk[32];
	unsigned char sk[64];
	unsigned char msg[300];
	unsigned char sig[64];
	const int n = 20000;
	double t0;
	int bad = 0;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		bad |= crypto_sign_verify_detached(sig, msg, sizeof(msg), pk);
	if (bad)
		abort();
	return n / (now_s() - t0);
}

static size_t make_event(struct origin *o, const unsigned char *space_key,
			 unsigned char *out, size_t outsize)
{
	struct wl_event_header h;
	struct wl_event ev;
	unsigned char plain[PLAIN_SIZE];
	unsigned char body[PLAIN_SIZE + WL_EVENT_SEAL_OVERHEAD];
	size_t len = 0;

	memset(&h, 0, sizeof(h));
	h.version = WL_EVENT_VERSION;
	h.kind = WL_KIND_MESSAGE;
	h.flags = WL_EVENT_F_ENCRYPTED;
	memcpy(h.origin, o->pk, 32);
	h.seq = ++o->seq;
	memcpy(h.prev, o->last_id, 32);
	h.hlc = wl_hlc_pack(START_MS + h.seq, 0);
	h.epoch = 1;
	crypto_sign_ed25519_sk_to_pk(h.author, o->user_sk);
	h.flags |= WL_EVENT_F_AUTHOR;
	h.body_len = sizeof(body);
	randombytes_buf(plain, sizeof(plain));
	if (wl_event_seal_body(&h, space_key, plain, sizeof(plain), body) != 0 ||
	    wl_event_encode(&h, body, sizeof(body), o->user_sk, o->sk, out,
			    outsize, &len, &ev) != 0)
		abort();
	memcpy(o->last_id, ev.id, 32);
	return len;
}

/* Make every event, in the order a backfilling peer would send them. */
static unsigned char *make_all(struct wl_ingest_input *inputs, size_t *total)
{
	static struct origin origins[ORIGINS];
	unsigned char space_key[WL_SPACE_KEY_SIZE];
	size_t each = WL_EVENT_SIGNED_MAX + 600;
	unsigned char *all = malloc((size_t)EVENTS * each);
	size_t off = 0;
	size_t n = 0;

	if (all == NULL)
		abort();
	randombytes_buf(space_key, sizeof(space_key));
	for (int o = 0; o < ORIGINS; o++) {
		unsigned char user_pk[32];

		crypto_sign_keypair(user_pk, origins[o].user_sk);
		crypto_sign_keypair(origins[o].pk, origins[o].sk);
	}

	while (n < EVENTS) {
		for (int o = 0; o < ORIGINS && n < EVENTS; o++) {
			for (int r = 0; r < RUN_PER_ORIGIN && n < EVENTS; r++) {
				size_t len = make_event(&origins[o], space_key,
							all + off, each);

				inputs[n].buf = all + off;
				inputs[n].len = len;
				off += len;
				n++;
			}
		}
	}
	*total = off;
	return all;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(void)
{
	static struct wl_ingest_input inputs[EVENTS];
	static int results[EVENTS];
	char dir[] = "/tmp/wardline-bench-ingest.XXXXXX";
	char path[512];
	struct wl_store *store = NULL;
	struct wl_ingest *ing = NULL;
	struct wl_hlc hlc;
	struct stat st;
	size_t total = 0;
	size_t batch = ORIGINS * RUN_PER_ORIGIN;
	unsigned char *all;
	double verify_rate;
	double t0;
	double elapsed;
	long rss_input;
	uint64_t appended;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	verify_rate = measure_verify_rate();
	all = make_all(inputs, &total);
	rss_input = peak_rss_kb();

	wl_hlc_init(&hlc, bench_wall, NULL, 60000, 0);
	if (wl_store_open(dir, NULL, &store) != 0 ||
	    wl_ingest_new(store, &hlc, 0, &ing) != 0)
		return 1;

	t0 = now_s();
	for (size_t i = 0; i < EVENTS; i += batch) {
		size_t n = EVENTS - i < batch ? EVENTS - i : batch;

		if (wl_ingest_batch(ing, inputs + i, n, results + i) != 0)
			return 1;
	}
	elapsed = now_s() - t0;

	appended = wl_ingest_counters(ing)->appended;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	stat(path, &st);
	wl_ingest_free(ing);
	wl_store_close(store);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(all);

	if (appended != EVENTS) {
		fprintf(stderr, "only %" PRIu64 " of %d events stored\n",
			appended, EVENTS);
		return 1;
	}

	double rate = EVENTS / elapsed;
	double ceiling = verify_rate / 2;
	double per_event = (double)st.st_size / EVENTS;
	double encoded = (double)total / EVENTS;

	printf("events %d, %.1f s, verify one core %.0f/s, ceiling %.0f "
	       "events/s\n", EVENTS, elapsed, verify_rate, ceiling);
	printf("lmdb %.0f bytes/event for %.0f-byte events; peak rss %ld MB "
	       "(%ld MB of it the generated input)\n", per_event, encoded,
	       peak_rss_kb() / 1024, rss_input / 1024);
	printf("bench ingest %.0f events/s ratio=%.2f verify_per_s=%.0f "
	       "bytes_per_event=%.0f size_ratio=%.2f peak_rss_mb=%ld\n", rate,
	       rate / ceiling, verify_rate, per_event, per_event / encoded,
	       peak_rss_kb() / 1024);
	return 0;
}
