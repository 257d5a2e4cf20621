/* Hybrid logical clock: 48 bits of wall-clock milliseconds since the Unix
 * epoch, then a 16-bit counter, packed into one uint64_t so that timestamps
 * compare as integers.
 *
 * The clock never goes backwards: when the wall clock steps back, or many
 * events share one millisecond, the counter advances; when the counter would
 * overflow, the millisecond part advances by one. Pure: the wall clock is a
 * function the caller supplies.
 */
#ifndef WARDLINE_HLC_H
#define WARDLINE_HLC_H

#include <stddef.h>
#include <stdint.h>

#define WL_HLC_COUNTER_BITS 16
#define WL_HLC_COUNTER_MAX 0xffffu
#define WL_HLC_MS_MAX ((UINT64_C(1) << 48) - 1)

/* Return wall-clock milliseconds since the Unix epoch. */
typedef uint64_t (*wl_wall_clock_fn)(void *arg);

struct wl_hlc {
	uint64_t last;       /* highest timestamp issued or merged */
	uint64_t max_skew_ms; /* remote timestamps further ahead are rejected */
	wl_wall_clock_fn wall;
	void *wall_arg;
};

/* Pack milliseconds and a counter. MS is truncated to 48 bits. */
static inline uint64_t wl_hlc_pack(uint64_t ms, uint16_t counter)
{
	return ((ms & WL_HLC_MS_MAX) << WL_HLC_COUNTER_BITS) | counter;
}

static inline uint64_t wl_hlc_ms(uint64_t ts)
{
	return ts >> WL_HLC_COUNTER_BITS;
}

static inline uint16_t wl_hlc_counter(uint64_t ts)
{
	return (uint16_t)(ts & WL_HLC_COUNTER_MAX);
}

/* The system's real-time clock in milliseconds; ARG is unused. */
uint64_t wl_hlc_system_wall(void *arg);

/* Initialise HLC with WALL (NULL selects wl_hlc_system_wall), its ARG and
 * MAX_SKEW_MS. LAST is the highest timestamp this node has already issued
 * (for example the HLC of its feed head), or 0. */
void wl_hlc_init(struct wl_hlc *hlc, wl_wall_clock_fn wall, void *wall_arg,
		 uint64_t max_skew_ms, uint64_t last);

/* Issue a timestamp for a local event, strictly greater than every timestamp
 * issued or merged before. Returns 0 and stores it in *OUT, or WL_ERANGE if
 * the 48-bit millisecond part is exhausted. */
int wl_hlc_now(struct wl_hlc *hlc, uint64_t *out);

/* Check a timestamp received from a peer. Returns 0, or WL_ESKEW if its
 * millisecond part is more than max_skew_ms ahead of the wall clock. Does not
 * change the clock. */
int wl_hlc_check(const struct wl_hlc *hlc, uint64_t remote);

/* Merge a timestamp received from a peer, so that later local timestamps
 * sort after it. Returns 0, or WL_ESKEW (and the clock is unchanged) when
 * wl_hlc_check rejects it. */
int wl_hlc_merge(struct wl_hlc *hlc, uint64_t remote);

/* Format TS as "2026-12-04T20:31:07.123Z+5" (counter after the plus sign)
 * into BUF of at least 40 bytes. Returns BUF. */
char *wl_hlc_format(uint64_t ts, char *buf, size_t size);

#endif
