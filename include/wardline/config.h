/* The node's configuration file, an INI file read with libinih:
 *
 *   [node]
 *   data_dir = /var/lib/wardline
 *   log_level = info            ; error, warn, info or debug
 *   [clock]
 *   max_skew_ms = 60000         ; remote timestamps further ahead are refused
 *   [store]
 *   initial_map_mb = 64         ; first LMDB map size; it grows on demand
 *
 * Unknown sections or keys are errors, so a typo never passes silently.
 */
#ifndef WARDLINE_CONFIG_H
#define WARDLINE_CONFIG_H

#include <limits.h>
#include <stdint.h>

#include "wardline/log.h"

#define WL_CONFIG_DEFAULT_PATH "/etc/wardline/wardline.conf"
#define WL_CONFIG_DEFAULT_DATA_DIR "/var/lib/wardline"

struct wl_config {
	char data_dir[PATH_MAX];
	enum wl_log_level log_level;
	uint64_t max_skew_ms;
	uint64_t initial_map_mb;
};

/* Fill C with the defaults shown above. */
void wl_config_defaults(struct wl_config *c);

/* Read PATH into C, over the values already there. On error, writes a
 * message naming the line and the key into ERR (ERRSIZE bytes) and returns
 * WL_ENOTFOUND (no such file), WL_EIO or WL_ECONFIG; C may then be partly
 * updated. */
int wl_config_load(const char *path, struct wl_config *c, char *err,
		   size_t errsize);

#endif
