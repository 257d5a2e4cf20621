/* wardline-node: the Wardline daemon. It opens its data directory (making
 * the node key on first start), links to the other nodes of its site and
 * replicates their events until SIGINT or SIGTERM; SIGHUP reloads the
 * static peers from the configuration file. Under systemd it reports
 * readiness and feeds the watchdog (notify.h), and after an enrollment
 * through the web UI it exits with WL_EXIT_RESTART to be started again. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "wardline/config.h"
#include "wardline/error.h"
#include "wardline/json.h"
#include "wardline/log.h"
#include "wardline/notify.h"
#include "wardline/runtime.h"

struct daemon {
	const char *config_path;
	struct wl_config config;
	struct wl_runtime *rt;
	uv_loop_t loop;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;
	uv_timer_t watchdog;      /* feeds systemd's watchdog, if it has one */
	uv_timer_t restart_delay; /* lets the enrollment response go out */
	int exit_code;
};

/* Time between an enrollment and the exit that restarts the node, so that
 * the transport sends the response to the page first. */
#define RESTART_DELAY_MS 500

static const char usage_text[] =
	"usage: wardline-node [OPTIONS]\n"
	"  --config FILE        INI configuration file\n"
	"  --data-dir DIR       data directory (default /var/lib/wardline)\n"
	"  --log-level LEVEL    error, warn, info or debug\n"
	"  --peer-port PORT     peer port (default 7700)\n"
	"  --listen ADDR        listen on this address only\n"
	"  --peer ADDR:PORT     a static peer; repeat for more\n"
	"  --discovery BACKEND  embedded, avahi-daemon or off\n"
	"  --interface NAME     use only this interface for mDNS; repeat\n"
	"  --http-port PORT     web UI, API, status and metrics port on "
	"127.0.0.1; 0 off\n"
	"  --web-root DIR       the web UI's files (default "
	WL_CONFIG_DEFAULT_WEB_ROOT ")\n"
	"Command-line values override the configuration file.\n";

/* Map each long option to its configuration section and key. */
static const struct {
	const char *option;
	const char *section;
	const char *key;
} option_keys[] = {
	{"data-dir", "node", "data_dir"},   {"log-level", "node", "log_level"},
	{"peer-port", "peer", "port"},      {"listen", "peer", "listen"},
	{"peer", "peer", "static"},         {"discovery", "discovery", "backend"},
	{"interface", "discovery", "interfaces"}, {"http-port", "http", "port"},
	{"web-root", "http", "web_root"},
};

#define NKEYS (sizeof(option_keys) / sizeof(option_keys[0]))

/* Apply the command-line values over the configuration. Repeated list
 * options (--peer, --interface) are joined into one list. */
static int apply_options(struct daemon *d, char *values[NKEYS])
{
	char err[512];

	wl_config_defaults(&d->config);
	if (d->config_path &&
	    wl_config_load(d->config_path, &d->config, err, sizeof(err)) != 0) {
		fprintf(stderr, "wardline-node: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		char abs[4096];
		const char *value = values[i];

		if (value == NULL)
			continue;
		if ((strcmp(option_keys[i].option, "data-dir") == 0 ||
		     strcmp(option_keys[i].option, "web-root") == 0) &&
		    value[0] != '/') {
			char cwd[2048];

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				return -1;
			snprintf(abs, sizeof(abs), "%s/%s", cwd, value);
			value = abs;
		}
		if (wl_config_set(&d->config, option_keys[i].section,
				  option_keys[i].key, value) != 0) {
			fprintf(stderr, "wardline-node: invalid --%s '%s'\n",
				option_keys[i].option, value);
			return -1;
		}
	}
	return 0;
}

static int parse_args(struct daemon *d, int argc, char **argv)
{
	static struct option opts[NKEYS + 3];
	static char joined[NKEYS][1024];
	char *values[NKEYS] = {0};
	int o;

	for (size_t i = 0; i < NKEYS; i++)
		opts[i] = (struct option){option_keys[i].option,
					  required_argument, NULL, (int)i};
	opts[NKEYS] = (struct option){"config", required_argument, NULL, 'c'};
	opts[NKEYS + 1] = (struct option){"help", no_argument, NULL, 'h'};

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c') {
			d->config_path = optarg;
			continue;
		}
		if (o < 0 || (size_t)o >= NKEYS)
			return -1;
		if (values[o] && strlen(joined[o]) + strlen(optarg) + 2 <
					 sizeof(joined[o])) {
			strcat(joined[o], " ");
			strcat(joined[o], optarg);
		} else {
			snprintf(joined[o], sizeof(joined[o]), "%s", optarg);
		}
		values[o] = joined[o];
	}
	if (optind != argc)
		return -1;
	return apply_options(d, values);
}

/* Stop the runtime and close the daemon's own handles, so that the loop
 * ends. */
static void daemon_stop(struct daemon *d)
{
	if (d->rt == NULL)
		return;
	wl_notify("STOPPING=1");
	uv_signal_stop(&d->sigint);
	uv_signal_stop(&d->sigterm);
	uv_signal_stop(&d->sighup);
	uv_close((uv_handle_t *)&d->watchdog, NULL);
	uv_close((uv_handle_t *)&d->restart_delay, NULL);
	wl_runtime_stop(d->rt);
	d->rt = NULL;
}

static void on_stop_signal(uv_signal_t *handle, int signum)
{
	struct daemon *d = handle->data;

	wl_info("node", "stopping signal=%s", strsignal(signum));
	daemon_stop(d);
}

static void on_restart_delay(uv_timer_t *timer)
{
	struct daemon *d = timer->data;

	wl_info("node", "stopping to restart with the new certificate "
			"exit_status=%d", WL_EXIT_RESTART);
	daemon_stop(d);
}

static void on_restart(void *arg)
{
	struct daemon *d = arg;

	d->exit_code = WL_EXIT_RESTART;
	uv_timer_start(&d->restart_delay, on_restart_delay, RESTART_DELAY_MS,
		       0);
}

static void on_watchdog(uv_timer_t *timer)
{
	(void)timer;
	wl_notify("WATCHDOG=1");
}

/* Tell systemd the node is ready, and feed its watchdog at half the
 * interval the unit set, from the event loop, so that a stuck loop
 * gets the node restarted. */
static void notify_ready(struct daemon *d)
{
	uint64_t usec = 0;
	char state[160];
	int rc;

	snprintf(state, sizeof(state), "READY=1\nSTATUS=node %.16s on peer "
		 "port %u", wl_runtime_node_hex(d->rt),
		 (unsigned)d->config.peer_port);
	rc = wl_notify(state);
	if (rc != 0 && rc != WL_ENOTFOUND)
		wl_warn("node", "cannot report readiness to systemd; check "
				"NOTIFY_SOCKET error=%s", wl_strerror_name(rc));

	if (wl_notify_watchdog_usec(&usec) != 0 || usec < 2000)
		return;
	uv_timer_start(&d->watchdog, on_watchdog, usec / 2000, usec / 2000);
	wl_info("node", "feeding the systemd watchdog interval_ms=%llu",
		(unsigned long long)(usec / 1000));
}

static void on_reload_signal(uv_signal_t *handle, int signum)
{
	struct daemon *d = handle->data;
	struct wl_config fresh;
	char err[512];

	(void)signum;
	wl_config_defaults(&fresh);
	if (d->config_path == NULL) {
		wl_warn("node", "SIGHUP ignored: no --config file to reload");
		return;
	}
	if (wl_config_load(d->config_path, &fresh, err, sizeof(err)) != 0) {
		wl_error("node", "reload failed; keeping the old static peers "
				 "error=\"%s\"", err);
		return;
	}
	wl_runtime_reload(d->rt, &fresh);
}

static void start_signal(struct daemon *d, uv_signal_t *s, uv_signal_cb cb,
			 int signum)
{
	uv_signal_init(&d->loop, s);
	s->data = d;
	uv_signal_start(s, cb, signum);
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	if (parse_args(&d, argc, argv) != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	wl_log_set_level(d.config.log_level);
	wl_log_route_lws();
	signal(SIGPIPE, SIG_IGN);
	wl_json_init();
	if (sodium_init() < 0 || uv_loop_init(&d.loop) != 0) {
		wl_error("node", "libsodium or libuv failed to initialise");
		return 1;
	}

	rc = wl_runtime_start(&d.loop, &d.config, &d.rt);
	if (rc != 0) {
		uv_loop_close(&d.loop);
		return 1;
	}
	printf("node %s\n", wl_runtime_node_hex(d.rt));
	fflush(stdout);
	wl_info("node", "started node=%s dir=%s peer_port=%u",
		wl_runtime_node_hex(d.rt), d.config.data_dir,
		(unsigned)d.config.peer_port);

	start_signal(&d, &d.sigint, on_stop_signal, SIGINT);
	start_signal(&d, &d.sigterm, on_stop_signal, SIGTERM);
	start_signal(&d, &d.sighup, on_reload_signal, SIGHUP);
	uv_timer_init(&d.loop, &d.watchdog);
	uv_timer_init(&d.loop, &d.restart_delay);
	d.restart_delay.data = &d;
	wl_runtime_on_restart(d.rt, on_restart, &d);
	notify_ready(&d);
	uv_run(&d.loop, UV_RUN_DEFAULT);

	/* The loop ends once libwebsockets, Avahi and the runtime closed
	 * their handles; anything still open is closed here as a last
	 * resort. */
	rc = uv_loop_close(&d.loop);
	if (rc == UV_EBUSY) {
		uv_walk(&d.loop, close_handle, NULL);
		uv_run(&d.loop, UV_RUN_DEFAULT);
		rc = uv_loop_close(&d.loop);
	}
	wl_info("node", "stopped%s", rc == 0 ? "" : " with open handles");
	return d.exit_code;
}
