/* Hybrid logical clock over a caller-supplied wall clock. */
#include "wardline/hlc.h"

#include <stdio.h>
#include <time.h>

#include "wardline/error.h"

uint64_t wl_hlc_system_wall(void *arg)
{
	struct timespec now;

	(void)arg;
	if (clock_gettime(CLOCK_REALTIME, &now) != 0 || now.tv_sec < 0)
		return 0;
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void wl_hlc_init(struct wl_hlc *hlc, wl_wall_clock_fn wall, void *wall_arg,
		 uint64_t max_skew_ms, uint64_t last)
{
	hlc->last = last;
	hlc->max_skew_ms = max_skew_ms;
	hlc->wall = wall != NULL ? wall : wl_hlc_system_wall;
	hlc->wall_arg = wall_arg;
}

int wl_hlc_now(struct wl_hlc *hlc, uint64_t *out)
{
	uint64_t wall_ms = hlc->wall(hlc->wall_arg);
	uint64_t ts;

	/* In the packed integer, last + 1 carries a full counter into the
	 * millisecond part. Only the very last timestamp has no successor. */
	if (wall_ms > WL_HLC_MS_MAX || hlc->last == UINT64_MAX)
		return WL_ERANGE;

	ts = wl_hlc_pack(wall_ms, 0);
	if (ts <= hlc->last)
		ts = hlc->last + 1;

	hlc->last = ts;
	*out = ts;
	return 0;
}

int wl_hlc_check(const struct wl_hlc *hlc, uint64_t remote)
{
	uint64_t wall_ms = hlc->wall(hlc->wall_arg);
	uint64_t remote_ms = wl_hlc_ms(remote);

	/* Written as a difference so that a large max_skew_ms cannot overflow. */
	if (remote_ms > wall_ms && remote_ms - wall_ms > hlc->max_skew_ms)
		return WL_ESKEW;
	return 0;
}

int wl_hlc_merge(struct wl_hlc *hlc, uint64_t remote)
{
	int rc = wl_hlc_check(hlc, remote);

	if (rc != 0)
		return rc;
	if (remote > hlc->last)
		hlc->last = remote;
	return 0;
}

char *wl_hlc_format(uint64_t ts, char *buf, size_t size)
{
	uint64_t ms = wl_hlc_ms(ts);
	time_t secs = (time_t)(ms / 1000);
	char date[32];
	struct tm tm;

	if (size == 0)
		return buf;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, size, "%llums+%u", (unsigned long long)ms,
			 (unsigned)wl_hlc_counter(ts));
		return buf;
	}

	snprintf(buf, size, "%s.%03uZ+%u", date, (unsigned)(ms % 1000),
		 (unsigned)wl_hlc_counter(ts));
	return buf;
}
