/* wardline-node: the Wardline daemon. It opens its data directory (making
 * the node key on first start), links to the other nodes of its site and
 * replicates their events until SIGINT or SIGTERM; SIGHUP reloads the
 * static peers from the configuration file. */
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
#include "wardline/runtime.h"

struct daemon {
	const char *config_path;
	struct wl_config config;
	struct wl_runtime *rt;
	uv_loop_t loop;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;
};

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

static void on_stop_signal(uv_signal_t *handle, int signum)
{
	struct daemon *d = handle->data;

	wl_info("node", "stopping signal=%s", strsignal(signum));
	uv_signal_stop(&d->sigint);
	uv_signal_stop(&d->sigterm);
	uv_signal_stop(&d->sighup);
	wl_runtime_stop(d->rt);
	d->rt = NULL;
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
	return 0;
}
