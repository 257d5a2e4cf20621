/* Login sessions: the in-memory, decrypted view of one user on this node.
 *
 * A login unwraps the user's keys (wl_keys_unwrap, an Argon2id derivation
 * the caller runs off the event loop) and hands them to wl_sessions_open,
 * which keeps them in sodium_malloc memory under a fresh random session id
 * of 128 bits. A session locks after the idle time, and its keys are then
 * made inaccessible (sodium_mprotect_noaccess). A PIN of 4 to 8 digits,
 * set after a full login, unlocks it within the PIN window, and the fifth
 * wrong PIN ends it. Every session ends at the absolute limit. Ending a session
 * wipes its keys.
 *
 * Failed logins are counted per user and per node: each failure doubles a
 * wait before the next attempt is allowed, and after the lockout count the
 * account stays locked until an admin unlocks it.
 * These counters live in this node's memory and catch a burst on one
 * device. The per-user count that holds across nodes and restarts is
 * replicated in account events (users.h), which the caller writes for
 * every failure, together with an audit record.
 *
 * Pure: the clock is the caller's; no I/O, no logging.
 */
#ifndef WARDLINE_SESSION_H
#define WARDLINE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "wardline/keys.h"

#define WL_SESSION_ID_SIZE 16

struct wl_session_policy {
	uint64_t idle_ms;          /* lock after this long without activity */
	uint64_t absolute_ms;      /* end this long after the full login */
	uint64_t pin_window_ms;    /* PIN unlock allowed this long after login */
	unsigned max_pin_failures; /* wrong PINs that end the session */
	unsigned lockout_failures; /* failed logins that lock the account */
	uint64_t throttle_base_ms; /* wait after the first failure; doubles */
	uint64_t throttle_max_ms;  /* cap of that wait */
};

/* Idle lock 10 min, absolute 12 h, PIN window 12 h, 5 PINs, lockout after
 * 10 failed logins, waits of 1 s doubling up to 5 min. */
void wl_session_policy_defaults(struct wl_session_policy *p);

/* The wait before the next login after COUNT consecutive failures: 0 for
 * none, then throttle_base_ms doubling with each failure up to
 * throttle_max_ms. */
uint64_t wl_session_backoff_ms(const struct wl_session_policy *p,
			       unsigned count);

enum wl_session_state {
	WL_SESSION_ACTIVE = 0,
	WL_SESSION_LOCKED,  /* idle: a PIN or a full login reopens it */
	WL_SESSION_ENDED    /* expired, logged out or too many PINs */
};

struct wl_sessions;
struct wl_session;

typedef uint64_t (*wl_session_clock_fn)(void *arg);

/* Create a session manager with POLICY and a millisecond CLOCK (NULL for
 * the real-time clock). Returns 0 and *OUT or WL_ENOMEM. */
int wl_sessions_new(const struct wl_session_policy *policy,
		    wl_session_clock_fn clock, void *clock_arg,
		    struct wl_sessions **out);

/* End every session (wiping keys) and free M. Accepts NULL. */
void wl_sessions_free(struct wl_sessions *m);

/* May USER_ID try a login now? Returns 0, WL_EBUSY with *RETRY_MS set
 * (wait after recent failures, of the user or of this node) or WL_EDENIED
 * (account locked until an admin unlocks it). */
int wl_sessions_login_allowed(struct wl_sessions *m,
			      const unsigned char user_id[16],
			      uint64_t *retry_ms);

/* Count a failed login of USER_ID (wrong password). Returns 1 when this
 * failure locked the account, else 0. */
int wl_sessions_login_failed(struct wl_sessions *m,
			     const unsigned char user_id[16]);

/* Unlock the account of USER_ID and clear its failures (an admin action). */
void wl_sessions_unlock_account(struct wl_sessions *m,
				const unsigned char user_id[16]);

/* Open a session for USER_ID with the unwrapped SECRET, whose ownership
 * passes to the session (it is freed with the session, also on failure).
 * Clears the user's failures. Writes the new session id to SID. Returns 0,
 * WL_EDENIED (account locked) or WL_ENOMEM. */
int wl_sessions_open(struct wl_sessions *m, const unsigned char user_id[16],
		     struct wl_keys_secret *secret,
		     unsigned char sid[WL_SESSION_ID_SIZE]);

/* Find the session SID and update its state for the current time. Returns
 * NULL for an unknown or ended session (an ended one is removed and its
 * keys wiped). Compares ids in constant time. */
struct wl_session *wl_sessions_find(struct wl_sessions *m,
				    const unsigned char sid[WL_SESSION_ID_SIZE]);

/* Record activity on S (a request), unless it is locked. Returns its state
 * after the update. */
enum wl_session_state wl_session_touch(struct wl_session *s);

enum wl_session_state wl_session_state(struct wl_session *s);

/* Set the PIN of S (checked with wl_keys_pin_check); only while active.
 * The PIN is stored as a keyed BLAKE2b hash. Returns 0, WL_EINVAL (PIN
 * rules) or WL_EDENIED (session not active). */
int wl_session_set_pin(struct wl_session *s, const char *pin);

/* Lock S now, as the idle time would (the user stepped away). Its keys
 * become unreadable until a PIN or a new login. No effect unless S is
 * active. */
void wl_session_lock(struct wl_session *s);

/* Unlock a locked S with PIN. Returns 0, WL_EAUTH (wrong PIN; the
 * max_pin_failures-th ends the session), WL_EDENIED (no PIN set, the PIN
 * window passed, or the session is not locked). */
int wl_session_unlock(struct wl_session *s, const char *pin);

/* End S now (logout); its keys are wiped. S is invalid afterwards. */
void wl_session_end(struct wl_sessions *m, struct wl_session *s);

/* The unwrapped keys and user id of S, valid while S is active. */
const struct wl_keys_secret *wl_session_keys(const struct wl_session *s);
const unsigned char *wl_session_user(const struct wl_session *s);

/* Number of sessions held (any state but ended). */
size_t wl_sessions_count(const struct wl_sessions *m);

#endif
