/* AvahiPoll over libuv: uv_poll_t for watches, uv_timer_t for timeouts. */
#include "wardline/uvpoll.h"

#include <stdlib.h>
#include <sys/time.h>

#include <avahi-common/timeval.h>

#include "wardline/error.h"

/* After this many poll errors in a row a watch is left stopped, so that a
 * descriptor that stays in error cannot spin the loop. */
#define WATCH_MAX_ERRORS 8

struct wl_uvpoll {
	AvahiPoll api;
	uv_loop_t *loop;
	struct AvahiWatch *watches;
	struct AvahiTimeout *timeouts;
};

/* OWNER is NULL once Avahi or wl_uvpoll_free has freed the watch. The memory
 * itself lives until libuv's close callback. */
struct AvahiWatch {
	uv_poll_t handle;
	struct wl_uvpoll *owner;
	struct AvahiWatch *prev;
	struct AvahiWatch *next;
	int fd;
	AvahiWatchEvent events;
	AvahiWatchEvent revents;
	int errors;
	AvahiWatchCallback callback;
	void *userdata;
};

struct AvahiTimeout {
	uv_timer_t handle;
	struct wl_uvpoll *owner;
	struct AvahiTimeout *prev;
	struct AvahiTimeout *next;
	AvahiTimeoutCallback callback;
	void *userdata;
};

static void handle_free_cb(uv_handle_t *handle)
{
	free(handle->data);
}

static int watch_uv_events(AvahiWatchEvent events)
{
	int uv_events = 0;

	if (events & AVAHI_WATCH_IN)
		uv_events |= UV_READABLE;
	if (events & AVAHI_WATCH_OUT)
		uv_events |= UV_WRITABLE;
	return uv_events;
}

static void watch_poll_cb(uv_poll_t *handle, int status, int uv_events);

/* Start or stop polling to match the requested events. A watch that requests
 * neither input nor output stays stopped until the next update. */
static void watch_apply(AvahiWatch *w)
{
	int uv_events = watch_uv_events(w->events);

	if (uv_events == 0) {
		uv_poll_stop(&w->handle);
		return;
	}
	uv_poll_start(&w->handle, uv_events, watch_poll_cb);
}

static void watch_poll_cb(uv_poll_t *handle, int status, int uv_events)
{
	AvahiWatch *w = handle->data;
	AvahiWatchEvent events = 0;

	/* libuv stops the handle and reports only an error on POLLERR. Avahi
	 * clears a pending socket error by reading, so the callback also gets
	 * the events the watch requested. */
	if (status < 0) {
		events = AVAHI_WATCH_ERR |
			 (w->events & (AVAHI_WATCH_IN | AVAHI_WATCH_OUT));
		w->errors++;
	} else {
		if (uv_events & UV_READABLE)
			events |= AVAHI_WATCH_IN;
		if (uv_events & UV_WRITABLE)
			events |= AVAHI_WATCH_OUT;
		w->errors = 0;
	}

	w->revents = events;
	w->callback(w, w->fd, events, w->userdata);
	if (w->owner == NULL)
		return;
	w->revents = 0;

	if (status < 0 && w->errors < WATCH_MAX_ERRORS)
		watch_apply(w);
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd,
			     AvahiWatchEvent events,
			     AvahiWatchCallback callback, void *userdata)
{
	struct wl_uvpoll *p = api->userdata;
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;

	/* uv_poll_init fails for a descriptor that this loop already polls
	 * and for one that epoll cannot watch. Avahi handles a NULL watch as
	 * a failure of the operation that needed it. */
	if (uv_poll_init(p->loop, &w->handle, fd) != 0) {
		free(w);
		return NULL;
	}

	w->handle.data = w;
	w->owner = p;
	w->fd = fd;
	w->events = events;
	w->callback = callback;
	w->userdata = userdata;
	w->next = p->watches;
	if (p->watches != NULL)
		p->watches->prev = w;
	p->watches = w;

	watch_apply(w);
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent events)
{
	w->events = events;
	w->errors = 0;
	watch_apply(w);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->revents;
}

static void watch_free(AvahiWatch *w)
{
	struct wl_uvpoll *p = w->owner;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		p->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->owner = NULL;

	/* uv_close stops polling at once, so the descriptor may be closed
	 * right after this returns. */
	uv_close((uv_handle_t *)&w->handle, handle_free_cb);
}

static void timeout_timer_cb(uv_timer_t *handle)
{
	AvahiTimeout *t = handle->data;

	t->callback(t, t->userdata);
}

/* Arm the timer for the absolute time TV (gettimeofday clock), or disarm it
 * when TV is NULL. */
static void timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
	AvahiUsec usec;
	uint64_t ms = 0;

	uv_timer_stop(&t->handle);
	if (tv == NULL)
		return;

	/* Avahi checks on expiry that the time has really passed and logs
	 * "Strange, expiration_event() called" when it has not. The loop
	 * clock has millisecond resolution and may be stale, so refresh it
	 * and round the delay up, plus one millisecond. */
	usec = -avahi_age(tv);
	if (usec > 0)
		ms = (uint64_t)(usec + 999) / 1000 + 1;

	uv_update_time(t->handle.loop);
	uv_timer_start(&t->handle, timeout_timer_cb, ms, 0);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
				 AvahiTimeoutCallback callback, void *userdata)
{
	struct wl_uvpoll *p = api->userdata;
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;

	uv_timer_init(p->loop, &t->handle);
	t->handle.data = t;
	t->owner = p;
	t->callback = callback;
	t->userdata = userdata;
	t->next = p->timeouts;
	if (p->timeouts != NULL)
		p->timeouts->prev = t;
	p->timeouts = t;

	timeout_arm(t, tv);
	return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	timeout_arm(t, tv);
}

static void timeout_free(AvahiTimeout *t)
{
	struct wl_uvpoll *p = t->owner;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		p->timeouts = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->owner = NULL;

	uv_close((uv_handle_t *)&t->handle, handle_free_cb);
}

int wl_uvpoll_new(uv_loop_t *loop, struct wl_uvpoll **out)
{
	struct wl_uvpoll *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return WL_ENOMEM;

	p->loop = loop;
	p->api.userdata = p;
	p->api.watch_new = watch_new;
	p->api.watch_update = watch_update;
	p->api.watch_get_events = watch_get_events;
	p->api.watch_free = watch_free;
	p->api.timeout_new = timeout_new;
	p->api.timeout_update = timeout_update;
	p->api.timeout_free = timeout_free;

	*out = p;
	return 0;
}

const AvahiPoll *wl_uvpoll_get(struct wl_uvpoll *p)
{
	return &p->api;
}

void wl_uvpoll_free(struct wl_uvpoll *p)
{
	if (p == NULL)
		return;

	while (p->watches != NULL)
		watch_free(p->watches);
	while (p->timeouts != NULL)
		timeout_free(p->timeouts);
	free(p);
}
