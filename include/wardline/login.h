/* Password checks off the event loop.
 *
 * A login unwraps the user's keys with Argon2id, which takes about half a
 * second and 256 MiB at the default cost (keys.h). The node's single event
 * loop must keep serving peers and browsers meanwhile, so the derivation
 * runs on libuv's thread pool and the result comes back on the loop
 * thread. The password is copied into locked memory and wiped as soon as
 * the derivation ends. At most WL_LOGIN_MAX_RUNNING derivations run at once,
 * which bounds the memory that a burst of login attempts can take.
 */
#ifndef WARDLINE_LOGIN_H
#define WARDLINE_LOGIN_H

#include <uv.h>

#include "wardline/keys.h"

#define WL_LOGIN_MAX_RUNNING 2

/* Called on the loop thread when the derivation ends. RC is 0 and SECRET
 * the unwrapped keys (ownership passes to the callee), or RC is WL_EAUTH,
 * WL_EINVAL or WL_ENOMEM and SECRET is NULL. USER_ID is the bundle's. */
typedef void (*wl_login_cb)(void *arg, int rc,
			    const unsigned char user_id[16],
			    struct wl_keys_secret *secret);

/* Unwrap BUNDLE with PASSWORD on the thread pool of LOOP and call CB with
 * ARG on the loop thread. BUNDLE and PASSWORD are copied; the caller may
 * wipe its own copies at once. Returns 0 (CB will be called exactly once),
 * WL_EBUSY (WL_LOGIN_MAX_RUNNING derivations are running: ask the user to
 * try again), WL_EINVAL (empty password) or WL_ENOMEM. */
int wl_login_start(uv_loop_t *loop, const struct wl_keys_bundle *bundle,
		   const char *password, wl_login_cb cb, void *arg);

/* Called on the loop thread when a new user's keys are made: RC is 0 and
 * BUNDLE the new bundle to sign and append, or RC is WL_EINVAL or
 * WL_ENOMEM and BUNDLE is NULL. */
typedef void (*wl_login_user_cb)(void *arg, int rc,
				 const struct wl_keys_bundle *bundle);

/* Make the keys of a new user (wl_keys_user_new at the default cost) with
 * PASSWORD on the thread pool of LOOP, and call CB with ARG on the loop
 * thread. The strings are copied. It counts against WL_LOGIN_MAX_RUNNING
 * like a login. Returns 0 (CB will be called exactly once), WL_EBUSY,
 * WL_EINVAL or WL_ENOMEM. */
int wl_login_new_user(uv_loop_t *loop, const char *username,
		      const char *display_name, enum wl_role role,
		      const char *password, wl_login_user_cb cb, void *arg);

/* Number of derivations queued or running on any loop. */
unsigned wl_login_running(void);

#endif
