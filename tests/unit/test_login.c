/* Unit tests of the login module: Argon2id off the event loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "wardline/error.h"
#include "wardline/login.h"

/* Costlier than the test cost, so the derivation spans many timer ticks:
 * 2 passes over 32 MiB. */
static const struct wl_keys_pwhash cost = {2, 32u * 1024 * 1024};

struct outcome {
	int called;
	int rc;
	struct wl_keys_secret *secret;
	unsigned char user_id[16];
	unsigned ticks_at_result;
};

static unsigned ticks;

static void on_tick(uv_timer_t *t)
{
	(void)t;
	ticks++;
}

static void on_result(void *arg, int rc, const unsigned char user_id[16],
		      struct wl_keys_secret *secret)
{
	struct outcome *o = arg;

	o->called++;
	o->rc = rc;
	o->secret = secret;
	memcpy(o->user_id, user_id, 16);
	o->ticks_at_result = ticks;
}

static void make_user(struct wl_keys_bundle *b)
{
	assert_int_equal(wl_keys_user_new(NULL, "nina", "Nina Nurse",
					  WL_ROLE_NURSE,
					  "night shift on ward four", &cost, b,
					  NULL),
			 0);
}

/* Run LOOP with a 1 ms timer until every login has called back. */
static void run_with_timer(uv_loop_t *loop, struct outcome *outs, size_t n)
{
	uv_timer_t timer;
	size_t done;

	ticks = 0;
	uv_timer_init(loop, &timer);
	uv_timer_start(&timer, on_tick, 1, 1);
	do {
		uv_run(loop, UV_RUN_ONCE);
		done = 0;
		for (size_t i = 0; i < n; i++)
			done += outs[i].called;
	} while (done < n);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

/* The right password unwraps the keys while the loop keeps ticking. */
static void login_right_password(void **state)
{
	struct wl_keys_bundle b;
	struct outcome o = {0};
	uv_loop_t loop;

	(void)state;
	make_user(&b);
	uv_loop_init(&loop);
	assert_int_equal(wl_login_start(&loop, &b, "night shift on ward four",
					on_result, &o),
			 0);
	assert_int_equal(wl_login_running(), 1);
	run_with_timer(&loop, &o, 1);

	assert_int_equal(o.called, 1);
	assert_int_equal(o.rc, 0);
	assert_non_null(o.secret);
	assert_memory_equal(o.user_id, b.user_id, 16);
	assert_true(o.ticks_at_result >= 5);
	assert_int_equal(wl_login_running(), 0);
	wl_keys_secret_free(o.secret);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A wrong password calls back with WL_EAUTH and no keys. */
static void login_wrong_password(void **state)
{
	struct wl_keys_bundle b;
	struct outcome o = {0};
	uv_loop_t loop;

	(void)state;
	make_user(&b);
	uv_loop_init(&loop);
	assert_int_equal(wl_login_start(&loop, &b, "night shift on ward five",
					on_result, &o),
			 0);
	run_with_timer(&loop, &o, 1);

	assert_int_equal(o.called, 1);
	assert_int_equal(o.rc, WL_EAUTH);
	assert_null(o.secret);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A third login while two run is turned away with WL_EBUSY. */
static void login_bounded_concurrency(void **state)
{
	struct wl_keys_bundle b;
	struct outcome o[2] = {{0}};
	struct outcome third = {0};
	uv_loop_t loop;

	(void)state;
	make_user(&b);
	uv_loop_init(&loop);
	assert_int_equal(wl_login_start(&loop, &b, "x1 wrong password",
					on_result, &o[0]),
			 0);
	assert_int_equal(wl_login_start(&loop, &b, "x2 wrong password",
					on_result, &o[1]),
			 0);
	assert_int_equal(wl_login_start(&loop, &b, "x3 wrong password",
					on_result, &third),
			 WL_EBUSY);
	run_with_timer(&loop, o, 2);

	assert_int_equal(o[0].rc, WL_EAUTH);
	assert_int_equal(o[1].rc, WL_EAUTH);
	assert_int_equal(third.called, 0);
	assert_int_equal(wl_login_running(), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* An empty password is rejected before any work is queued. */
static void login_empty_password(void **state)
{
	struct wl_keys_bundle b;
	struct outcome o = {0};
	uv_loop_t loop;

	(void)state;
	make_user(&b);
	uv_loop_init(&loop);
	assert_int_equal(wl_login_start(&loop, &b, "", on_result, &o),
			 WL_EINVAL);
	assert_int_equal(wl_login_running(), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct made {
	int called;
	int rc;
	struct wl_keys_bundle bundle;
};

static void on_made(void *arg, int rc, const struct wl_keys_bundle *bundle)
{
	struct made *m = arg;

	m->called++;
	m->rc = rc;
	if (bundle != NULL)
		m->bundle = *bundle;
}

/* A new user's keys are made on the pool; the password then unwraps them,
 * and bad input is refused before any work is queued. */
static void login_new_user(void **state)
{
	struct outcome o = {0};
	struct made m = {0};
	char long_name[200];
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(wl_login_new_user(&loop, "olga", "Olga Nightnurse",
					   WL_ROLE_NURSE, "", on_made, &m),
			 WL_EINVAL);
	assert_int_equal(wl_login_new_user(&loop, long_name, "Olga",
					   WL_ROLE_NURSE, "lantern over the ward",
					   on_made, &m),
			 WL_EINVAL);
	assert_int_equal(wl_login_new_user(&loop, "olga", "Olga Nightnurse",
					   WL_ROLE_NURSE, "lantern over the ward",
					   on_made, &m),
			 0);
	while (m.called == 0)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(m.rc, 0);
	assert_string_equal(m.bundle.username, "olga");
	assert_int_equal(m.bundle.role, WL_ROLE_NURSE);

	assert_int_equal(wl_login_start(&loop, &m.bundle,
					"lantern over the ward", on_result, &o),
			 0);
	while (o.called == 0)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(o.rc, 0);
	wl_keys_secret_free(o.secret);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(wl_login_running(), 0);
	uv_loop_close(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(login_right_password),
		cmocka_unit_test(login_wrong_password),
		cmocka_unit_test(login_bounded_concurrency),
		cmocka_unit_test(login_empty_password),
		cmocka_unit_test(login_new_user),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
