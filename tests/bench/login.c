/* Benchmark: a full login and a PIN unlock.
 *
 * A full login is one wl_keys_unwrap of a user bundle at the default
 * Argon2id cost (WL_KEYS_PWHASH_DEFAULT), the step that makes offline
 * password guessing expensive; it runs off the event loop in the node. A
 * PIN unlock is one keyed BLAKE2b of the PIN in the session. Five logins
 * and 1,000 unlocks; the median is reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wardline/access.h"
#include "wardline/session.h"

#define LOGINS 5
#define UNLOCKS 1000

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

static uint64_t fake_now;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* Time UNLOCKS lock and unlock cycles of one session; median in ms. */
static double pin_unlock_ms(struct wl_keys_secret *secret,
			    const unsigned char user[16])
{
	static double t[UNLOCKS];
	struct wl_session_policy policy;
	struct wl_sessions *m = NULL;
	struct wl_session *s;
	unsigned char sid[WL_SESSION_ID_SIZE];

	wl_session_policy_defaults(&policy);
	/* Every cycle moves the clock by the idle time; keep the session
	 * and its PIN window alive for all of them. */
	policy.absolute_ms = UINT64_MAX / 4;
	policy.pin_window_ms = UINT64_MAX / 4;
	fake_now = 1796400000000ull;
	if (wl_sessions_new(&policy, fake_clock, NULL, &m) != 0 ||
	    wl_sessions_open(m, user, secret, sid) != 0)
		exit(1);
	s = wl_sessions_find(m, sid);
	if (wl_session_set_pin(s, "2580") != 0)
		exit(1);
	for (int i = 0; i < UNLOCKS; i++) {
		double t0;

		fake_now += policy.idle_ms;
		t0 = now_ms();
		if (wl_session_unlock(s, "2580") != 0)
			exit(1);
		t[i] = now_ms() - t0;
	}
	wl_sessions_free(m);
	qsort(t, UNLOCKS, sizeof(t[0]), by_value);
	return t[UNLOCKS / 2];
}

int main(void)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	struct wl_keys_bundle bundle;
	struct wl_keys_secret *secret = NULL;
	double t[LOGINS];
	double pin;

	if (sodium_init() < 0 ||
	    wl_keys_user_new(NULL, "nina", "Nina", WL_ROLE_NURSE,
			     "night shift on ward four", &cost, &bundle,
			     NULL) != 0)
		return 1;

	for (int i = 0; i < LOGINS; i++) {
		double t0 = now_ms();

		if (wl_keys_unwrap(&bundle, "night shift on ward four",
				   &secret) != 0)
			return 1;
		t[i] = now_ms() - t0;
		if (i < LOGINS - 1)
			wl_keys_secret_free(secret);
	}
	qsort(t, LOGINS, sizeof(t[0]), by_value);
	pin = pin_unlock_ms(secret, bundle.user_id);

	printf("Argon2id opslimit=%llu memlimit=%llu MiB\n",
	       (unsigned long long)cost.opslimit,
	       (unsigned long long)(cost.memlimit >> 20));
	printf("bench login %.0f ms min=%.0f max=%.0f pin_unlock_ms=%.4f\n",
	       t[LOGINS / 2], t[0], t[LOGINS - 1], pin);
	return 0;
}
