/* Sessions, idle lock, PIN unlock and failed-login throttling. */
#include "wardline/session.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"
#include "wardline/hlc.h"

/* Node-wide failures older than this no longer slow logins down. */
#define NODE_FAILURE_WINDOW_MS (15 * 60 * 1000ull)

struct wl_session {
	unsigned char id[WL_SESSION_ID_SIZE];
	unsigned char user[16];
	struct wl_keys_secret *secret;
	uint64_t login_ms;
	uint64_t active_ms;
	enum wl_session_state state;
	int has_pin;
	unsigned char pin_key[32]; /* random key of the PIN hash */
	unsigned char pin_hash[32];
	unsigned pin_failures;
	struct wl_sessions *m;
	struct wl_session *next;
};

struct failures {
	unsigned char user[16];
	unsigned count;
	int locked;
	uint64_t last_ms;
};

struct wl_sessions {
	struct wl_session_policy policy;
	wl_session_clock_fn clock;
	void *clock_arg;
	struct wl_session *sessions;
	struct failures *users;
	size_t n_users;
	unsigned node_failures;
	uint64_t node_last_ms;
};

void wl_session_policy_defaults(struct wl_session_policy *p)
{
	p->idle_ms = 10 * 60 * 1000ull;
	p->absolute_ms = 12 * 3600 * 1000ull;
	p->pin_window_ms = 12 * 3600 * 1000ull;
	p->max_pin_failures = 5;
	p->lockout_failures = 10;
	p->throttle_base_ms = 1000;
	p->throttle_max_ms = 5 * 60 * 1000ull;
}

static uint64_t now_ms(const struct wl_sessions *m)
{
	return m->clock(m->clock_arg);
}

int wl_sessions_new(const struct wl_session_policy *policy,
		    wl_session_clock_fn clock, void *clock_arg,
		    struct wl_sessions **out)
{
	struct wl_sessions *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return WL_ENOMEM;
	m->policy = *policy;
	m->clock = clock ? clock : wl_hlc_system_wall;
	m->clock_arg = clock_arg;
	*out = m;
	return 0;
}

static void session_free(struct wl_session *s)
{
	wl_keys_secret_free(s->secret);
	sodium_free(s); /* wipes the PIN hash and its key */
}

void wl_sessions_free(struct wl_sessions *m)
{
	if (m == NULL)
		return;
	while (m->sessions) {
		struct wl_session *s = m->sessions;

		m->sessions = s->next;
		session_free(s);
	}
	free(m->users);
	free(m);
}

static struct failures *failures_of(struct wl_sessions *m,
				    const unsigned char user[16], int create)
{
	struct failures *grown;

	for (size_t i = 0; i < m->n_users; i++)
		if (memcmp(m->users[i].user, user, 16) == 0)
			return &m->users[i];
	if (!create)
		return NULL;
	grown = realloc(m->users, (m->n_users + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	m->users = grown;
	memset(&m->users[m->n_users], 0, sizeof(m->users[0]));
	memcpy(m->users[m->n_users].user, user, 16);
	return &m->users[m->n_users++];
}

uint64_t wl_session_backoff_ms(const struct wl_session_policy *p,
			       unsigned count)
{
	uint64_t wait = p->throttle_base_ms;

	if (count == 0)
		return 0;
	for (unsigned i = 1; i < count && wait < p->throttle_max_ms; i++)
		wait *= 2;
	return wait < p->throttle_max_ms ? wait : p->throttle_max_ms;
}

int wl_sessions_login_allowed(struct wl_sessions *m,
			      const unsigned char user_id[16],
			      uint64_t *retry_ms)
{
	const struct failures *f = failures_of(m, user_id, 0);
	uint64_t now = now_ms(m);
	uint64_t until = 0;

	*retry_ms = 0;
	if (f && f->locked)
		return WL_EDENIED;
	if (f && f->count)
		until = f->last_ms + wl_session_backoff_ms(&m->policy, f->count);
	if (m->node_failures && now - m->node_last_ms < NODE_FAILURE_WINDOW_MS) {
		uint64_t node_until =
			m->node_last_ms + wl_session_backoff_ms(&m->policy, m->node_failures);

		if (node_until > until)
			until = node_until;
	}
	if (until > now) {
		*retry_ms = until - now;
		return WL_EBUSY;
	}
	return 0;
}

int wl_sessions_login_failed(struct wl_sessions *m,
			     const unsigned char user_id[16])
{
	struct failures *f = failures_of(m, user_id, 1);
	uint64_t now = now_ms(m);

	if (now - m->node_last_ms >= NODE_FAILURE_WINDOW_MS)
		m->node_failures = 0;
	m->node_failures++;
	m->node_last_ms = now;
	if (f == NULL)
		return 0;
	f->count++;
	f->last_ms = now;
	if (!f->locked && f->count >= m->policy.lockout_failures) {
		f->locked = 1;
		return 1;
	}
	return 0;
}

void wl_sessions_unlock_account(struct wl_sessions *m,
				const unsigned char user_id[16])
{
	struct failures *f = failures_of(m, user_id, 0);

	if (f) {
		f->count = 0;
		f->locked = 0;
	}
}

int wl_sessions_open(struct wl_sessions *m, const unsigned char user_id[16],
		     struct wl_keys_secret *secret,
		     unsigned char sid[WL_SESSION_ID_SIZE])
{
	struct failures *f = failures_of(m, user_id, 0);
	struct wl_session *s;

	if (f && f->locked) {
		wl_keys_secret_free(secret);
		return WL_EDENIED;
	}
	s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		wl_keys_secret_free(secret);
		return WL_ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	randombytes_buf(s->id, sizeof(s->id));
	memcpy(s->user, user_id, 16);
	s->secret = secret;
	s->login_ms = s->active_ms = now_ms(m);
	s->state = WL_SESSION_ACTIVE;
	s->m = m;
	s->next = m->sessions;
	m->sessions = s;
	if (f)
		f->count = 0;
	m->node_failures = 0;
	memcpy(sid, s->id, WL_SESSION_ID_SIZE);
	return 0;
}

/* Move S to the state its times call for. */
static enum wl_session_state refresh(struct wl_session *s)
{
	const struct wl_session_policy *p = &s->m->policy;
	uint64_t now = now_ms(s->m);

	if (s->state != WL_SESSION_ENDED &&
	    now - s->login_ms >= p->absolute_ms)
		s->state = WL_SESSION_ENDED;
	if (s->state == WL_SESSION_ACTIVE && now - s->active_ms >= p->idle_ms) {
		/* The keys stay for a PIN unlock but cannot be read while
		 * the session is locked. */
		s->state = WL_SESSION_LOCKED;
		sodium_mprotect_noaccess(s->secret);
	}
	return s->state;
}

void wl_session_lock(struct wl_session *s)
{
	if (refresh(s) != WL_SESSION_ACTIVE)
		return;
	s->state = WL_SESSION_LOCKED;
	sodium_mprotect_noaccess(s->secret);
}

static void unlink_session(struct wl_sessions *m, struct wl_session *s)
{
	for (struct wl_session **p = &m->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

void wl_session_end(struct wl_sessions *m, struct wl_session *s)
{
	unlink_session(m, s);
	session_free(s);
}

struct wl_session *wl_sessions_find(struct wl_sessions *m,
				    const unsigned char sid[WL_SESSION_ID_SIZE])
{
	for (struct wl_session *s = m->sessions; s; s = s->next) {
		if (sodium_memcmp(s->id, sid, WL_SESSION_ID_SIZE) != 0)
			continue;
		if (refresh(s) == WL_SESSION_ENDED) {
			wl_session_end(m, s);
			return NULL;
		}
		return s;
	}
	return NULL;
}

enum wl_session_state wl_session_state(struct wl_session *s)
{
	return refresh(s);
}

enum wl_session_state wl_session_touch(struct wl_session *s)
{
	if (refresh(s) == WL_SESSION_ACTIVE)
		s->active_ms = now_ms(s->m);
	return s->state;
}

static void pin_hash(const struct wl_session *s, const char *pin,
		     unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)pin, strlen(pin),
			   s->pin_key, sizeof(s->pin_key));
}

int wl_session_set_pin(struct wl_session *s, const char *pin)
{
	if (refresh(s) != WL_SESSION_ACTIVE)
		return WL_EDENIED;
	if (wl_keys_pin_check(pin) != 0)
		return WL_EINVAL;
	randombytes_buf(s->pin_key, sizeof(s->pin_key));
	pin_hash(s, pin, s->pin_hash);
	s->has_pin = 1;
	s->pin_failures = 0;
	return 0;
}

int wl_session_unlock(struct wl_session *s, const char *pin)
{
	const struct wl_session_policy *p = &s->m->policy;
	unsigned char hash[32];
	int match;

	if (refresh(s) != WL_SESSION_LOCKED || !s->has_pin ||
	    now_ms(s->m) - s->login_ms >= p->pin_window_ms)
		return WL_EDENIED;

	pin_hash(s, pin, hash);
	match = sodium_memcmp(hash, s->pin_hash, sizeof(hash)) == 0;
	sodium_memzero(hash, sizeof(hash));
	if (!match) {
		if (++s->pin_failures >= p->max_pin_failures)
			s->state = WL_SESSION_ENDED;
		return WL_EAUTH;
	}
	s->pin_failures = 0;
	s->state = WL_SESSION_ACTIVE;
	s->active_ms = now_ms(s->m);
	sodium_mprotect_readonly(s->secret);
	return 0;
}

const struct wl_keys_secret *wl_session_keys(const struct wl_session *s)
{
	return s->state == WL_SESSION_ACTIVE ? s->secret : NULL;
}

const unsigned char *wl_session_user(const struct wl_session *s)
{
	return s->user;
}

size_t wl_sessions_count(const struct wl_sessions *m)
{
	size_t n = 0;

	for (const struct wl_session *s = m->sessions; s; s = s->next)
		n++;
	return n;
}
