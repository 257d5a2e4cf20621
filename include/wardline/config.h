/* The node's configuration file, an INI file read with libinih:
 *
 *   [node]
 *   data_dir = /var/lib/wardline
 *   log_level = info            ; error, warn, info or debug
 *   [clock]
 *   max_skew_ms = 60000         ; remote timestamps further ahead are refused
 *   [store]
 *   initial_map_mb = 64         ; first LMDB map size; it grows on demand
 *   [peer]
 *   port = 7700                 ; peer port (the wardline.1 WebSocket)
 *   listen = 10.0.0.5           ; listen address; default every address
 *   static = 10.0.0.6:7700 10.0.0.7:7700   ; peers dialled without mDNS
 *   ping_interval_ms = 2000     ; PING an established link this often
 *   ping_timeout_ms = 4000      ; close a link whose PONG is this late
 *   handshake_timeout_ms = 5000
 *   backoff_min_ms = 250        ; reconnect delay after the first failure
 *   backoff_max_ms = 30000      ; cap of the doubling reconnect delay
 *   [discovery]
 *   backend = embedded          ; embedded, avahi-daemon or off
 *   interfaces = eth0 wlan0     ; mDNS interfaces; default all
 *   [http]
 *   port = 8080                 ; web UI, API, status and metrics on
 *                               ; 127.0.0.1; 0 = off
 *   web_root = /usr/share/wardline/web   ; the web UI's files
 *   [session]
 *   idle_minutes = 10           ; lock a session idle this long (1 to 720)
 *   idle_seconds = 600          ; the same in seconds (5 to 43200), for
 *                               ; tests and demos
 *   absolute_hours = 12         ; end every session after this (1 to 24)
 *   pin_window_hours = 12       ; PIN unlock allowed this long after login
 *   lockout_failures = 10       ; failed logins that lock the account
 *   throttle_base_ms = 1000     ; wait after the first failed login;
 *                               ; doubles with each failure (0 = none)
 *   throttle_max_ms = 300000    ; cap of that wait
 *   [retention]
 *   prune_interval_s = 86400    ; run the pruning job this often (and at
 *                               ; start, and when a new policy arrives)
 *   clock_offset_ms = 0         ; for tests only: judge expiry as if the
 *                               ; clock were this far ahead
 *
 * Unknown sections or keys are errors, so a typo never passes silently.
 */
#ifndef WARDLINE_CONFIG_H
#define WARDLINE_CONFIG_H

#include <limits.h>
#include <stdint.h>

#include "wardline/log.h"
#include "wardline/session.h"

#define WL_CONFIG_DEFAULT_PATH "/etc/wardline/wardline.conf"
#define WL_CONFIG_DEFAULT_DATA_DIR "/var/lib/wardline"
#define WL_CONFIG_DEFAULT_WEB_ROOT "/usr/share/wardline/web"

#define WL_CONFIG_PEERS_MAX 32
#define WL_CONFIG_IFACES_MAX 8
#define WL_CONFIG_HOSTS_MAX 4

enum wl_discovery_backend {
	WL_DISCOVERY_EMBEDDED = 0,
	WL_DISCOVERY_AVAHI_DAEMON = 1,
	WL_DISCOVERY_OFF = 2
};

struct wl_config {
	char data_dir[PATH_MAX];
	enum wl_log_level log_level;
	uint64_t max_skew_ms;
	uint64_t initial_map_mb;
	uint64_t peer_port;
	char listen[64];                         /* "" for every address */
	char static_peers[WL_CONFIG_PEERS_MAX][72]; /* "ADDR:PORT" */
	size_t n_static_peers;
	uint64_t ping_interval_ms;
	uint64_t ping_timeout_ms;
	uint64_t handshake_timeout_ms;
	uint64_t backoff_min_ms;
	uint64_t backoff_max_ms;
	enum wl_discovery_backend discovery;
	char interfaces[WL_CONFIG_IFACES_MAX][16];
	size_t n_interfaces;
	uint64_t http_port;                      /* on 127.0.0.1; 0: off */
	char unix_socket[108];                   /* "" for none */
	char tls_listen[64];                     /* "" for no TLS port */
	uint64_t tls_port;
	char hosts[WL_CONFIG_HOSTS_MAX][80];     /* extra Host values */
	size_t n_hosts;
	char web_root[PATH_MAX];
	struct wl_session_policy session;
	uint64_t prune_interval_s;
	uint64_t realert_ms;  /* an unacknowledged urgent message alerts again */
	uint64_t escalate_ms; /* ... and then goes to the charge nurse */
	uint64_t retention_clock_offset_ms;
};

/* Set one value as if KEY = VALUE appeared in [SECTION]. Lists (static,
 * interfaces) are whitespace- or comma-separated and replace the previous
 * list. Returns 0, WL_ENOTFOUND (unknown key) or WL_EINVAL / WL_ERANGE
 * (invalid value). */
int wl_config_set(struct wl_config *c, const char *section, const char *key,
		  const char *value);

/* Fill C with the defaults shown above. */
void wl_config_defaults(struct wl_config *c);

/* Read PATH into C, over the values already there. On error, writes a
 * message naming the line and the key into ERR (ERRSIZE bytes) and returns
 * WL_ENOTFOUND (no such file), WL_EIO or WL_ECONFIG; C may then be partly
 * updated. */
int wl_config_load(const char *path, struct wl_config *c, char *err,
		   size_t errsize);

#endif
