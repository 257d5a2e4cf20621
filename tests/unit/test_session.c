#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "wardline/access.h"
#include "wardline/error.h"
#include "wardline/session.h"

#define MIN (60 * 1000ull)

struct fixture {
	struct wl_sessions *m;
	struct wl_session_policy policy;
	uint64_t now;
	unsigned char user[16];
};

static uint64_t test_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->now = 1796400000000ull;
	memset(f->user, 0x42, sizeof(f->user));
	wl_session_policy_defaults(&f->policy);
	if (wl_sessions_new(&f->policy, test_clock, &f->now, &f->m) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_sessions_free(f->m);
	free(f);
	return 0;
}

/* Try to open a session with the keys of a new test user. */
static int open_new(struct fixture *f, unsigned char *sid)
{
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_TEST;
	struct wl_keys_bundle b;
	struct wl_keys_secret *secret = NULL;

	assert_int_equal(wl_keys_user_new(f->user, "nina", "Nina",
					  WL_ROLE_NURSE,
					  "correct horse battery", &cost, &b,
					  &secret), 0);
	return wl_sessions_open(f->m, f->user, secret, sid);
}

static struct wl_session *login(struct fixture *f, unsigned char *sid)
{
	assert_int_equal(open_new(f, sid), 0);
	return wl_sessions_find(f->m, sid);
}

static void session_ids_differ(void **state)
{
	struct fixture *f = *state;
	unsigned char a[WL_SESSION_ID_SIZE];
	unsigned char b[WL_SESSION_ID_SIZE];

	assert_non_null(login(f, a));
	assert_non_null(login(f, b));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(wl_sessions_count(f->m), 2);
}

static void session_idle_lock_and_pin(void **state)
{
	struct fixture *f = *state;
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_session *s = login(f, sid);

	assert_int_equal(wl_session_set_pin(s, "1234"), WL_EINVAL);
	assert_int_equal(wl_session_set_pin(s, "2580"), 0);
	assert_non_null(wl_session_keys(s));
	f->now += 9 * MIN;
	assert_int_equal(wl_session_touch(s), WL_SESSION_ACTIVE);
	f->now += 10 * MIN;
	assert_int_equal(wl_session_state(s), WL_SESSION_LOCKED);
	assert_null(wl_session_keys(s));
	assert_int_equal(wl_session_unlock(s, "2581"), WL_EAUTH);
	assert_int_equal(wl_session_unlock(s, "2580"), 0);
	assert_int_equal(wl_session_state(s), WL_SESSION_ACTIVE);
	assert_non_null(wl_session_keys(s));

	/* Readable again: a read of memory left without access would end
	 * the test with SIGSEGV. */
	volatile unsigned char first = wl_session_keys(s)->box_sk[0];
	(void)first;
}

static void session_five_wrong_pins_end(void **state)
{
	struct fixture *f = *state;
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_session *s = login(f, sid);

	assert_int_equal(wl_session_set_pin(s, "2580"), 0);
	f->now += 11 * MIN;
	for (int i = 0; i < 4; i++)
		assert_int_equal(wl_session_unlock(s, "0852"), WL_EAUTH);
	assert_int_equal(wl_session_state(s), WL_SESSION_LOCKED);
	assert_int_equal(wl_session_unlock(s, "0852"), WL_EAUTH);
	assert_int_equal(wl_session_state(s), WL_SESSION_ENDED);
	assert_null(wl_sessions_find(f->m, sid));
	assert_int_equal(wl_sessions_count(f->m), 0);
}

static void session_no_pin_needs_login(void **state)
{
	struct fixture *f = *state;
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_session *s = login(f, sid);

	f->now += 11 * MIN;
	assert_int_equal(wl_session_unlock(s, "2580"), WL_EDENIED);
}

static void session_absolute_limit(void **state)
{
	struct fixture *f = *state;
	unsigned char sid[WL_SESSION_ID_SIZE];
	struct wl_session *s = login(f, sid);

	/* Kept active by a request every 10 minutes, less a millisecond. */
	for (int i = 0; i < 12 * 6; i++) {
		f->now += 10 * MIN - 1;
		assert_int_equal(wl_session_touch(s), WL_SESSION_ACTIVE);
	}
	f->now += 10 * MIN - 1;
	assert_null(wl_sessions_find(f->m, sid));
}

static void session_failures_throttle_then_lock(void **state)
{
	struct fixture *f = *state;
	unsigned char sid[WL_SESSION_ID_SIZE];
	uint64_t retry = 0;
	int locked = 0;

	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry), 0);
	assert_int_equal(wl_sessions_login_failed(f->m, f->user), 0);
	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry),
			 WL_EBUSY);
	assert_int_equal(retry, 1000);
	f->now += 1000;
	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry), 0);
	assert_int_equal(wl_sessions_login_failed(f->m, f->user), 0);
	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry),
			 WL_EBUSY);
	assert_int_equal(retry, 2000);

	for (int i = 2; i < 10; i++) {
		f->now += 10 * MIN;
		locked = wl_sessions_login_failed(f->m, f->user);
	}
	assert_int_equal(locked, 1);
	f->now += 60 * MIN;
	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry),
			 WL_EDENIED);
	assert_int_equal(open_new(f, sid), WL_EDENIED);
	wl_sessions_unlock_account(f->m, f->user);
	assert_int_equal(open_new(f, sid), 0);
	assert_int_equal(wl_sessions_login_allowed(f->m, f->user, &retry), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(session_ids_differ, setup,
						teardown),
		cmocka_unit_test_setup_teardown(session_idle_lock_and_pin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(session_five_wrong_pins_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(session_no_pin_needs_login,
						setup, teardown),
		cmocka_unit_test_setup_teardown(session_absolute_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			session_failures_throttle_then_lock, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
