/* A node's mDNS discovery on its own, for tests in network namespaces.
 *
 * Usage: mdns_probe --node HEX64 --site HEX32 --name NAME [--port N]
 *                   [--seconds N] [--backend embedded|avahi-daemon]
 *                   [--interface IFNAME]... [--debug]
 *
 * Runs wl_mdns on a libuv loop for the given time (default 10 s), or until
 * SIGTERM or SIGINT, then stops it and checks that the loop closes with no
 * handle left. Standard output gets one line per report:
 *   found <node hex> <addr> <port>
 *   removed <node hex>
 * and standard error the module's log plus "probe: first peer after N ms".
 * Exit status: 0, 1 for usage errors, 2 when wl_mdns_start fails, 3 when
 * the loop does not close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "wardline/error.h"
#include "wardline/log.h"
#include "wardline/mdns.h"

#define INTERFACES_MAX 8

struct probe {
	uv_loop_t loop;
	uv_timer_t timer;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	struct wl_mdns *mdns;
	uint64_t start_ns;
	int reported_first;
};

static int parse_hex(const char *text, unsigned char *out, size_t n)
{
	if (strlen(text) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned value;

		if (sscanf(text + 2 * i, "%2x", &value) != 1)
			return -1;
		out[i] = (unsigned char)value;
	}
	return 0;
}

static void print_hex(const unsigned char *id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", id[i]);
}

static void on_found(void *arg, const unsigned char node[32], const char *addr,
		     uint16_t port)
{
	struct probe *p = arg;

	if (!p->reported_first) {
		p->reported_first = 1;
		fprintf(stderr, "probe: first peer after %llu ms\n",
			(unsigned long long)((uv_hrtime() - p->start_ns) /
					     1000000));
	}
	printf("found ");
	print_hex(node, 32);
	printf(" %s %u\n", addr, (unsigned)port);
	fflush(stdout);
}

static void on_removed(void *arg, const unsigned char node[32])
{
	(void)arg;
	printf("removed ");
	print_hex(node, 32);
	printf("\n");
	fflush(stdout);
}

static void probe_stop(struct probe *p)
{
	if (p->mdns == NULL)
		return;
	wl_mdns_stop(p->mdns);
	p->mdns = NULL;
	uv_close((uv_handle_t *)&p->timer, NULL);
	uv_close((uv_handle_t *)&p->sigterm, NULL);
	uv_close((uv_handle_t *)&p->sigint, NULL);
}

static void on_timer(uv_timer_t *timer)
{
	probe_stop(timer->data);
}

static void on_signal(uv_signal_t *signal, int signum)
{
	(void)signum;
	probe_stop(signal->data);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: mdns_probe --node HEX64 --site HEX32 --name NAME "
		"[--port N] [--seconds N] [--backend embedded|avahi-daemon] "
		"[--interface IFNAME]... [--debug]\n");
	return 1;
}

static int parse_args(int argc, char **argv, struct wl_mdns_config *cfg,
		      unsigned char node[32], unsigned char site[16],
		      const char **interfaces, unsigned *seconds)
{
	int have_node = 0;
	int have_site = 0;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--debug") == 0) {
			wl_log_set_level(WL_LOG_DEBUG);
			continue;
		}
		if (val == NULL)
			return -1;
		i++;
		if (strcmp(opt, "--node") == 0 && parse_hex(val, node, 32) == 0)
			have_node = 1;
		else if (strcmp(opt, "--site") == 0 &&
			 parse_hex(val, site, 16) == 0)
			have_site = 1;
		else if (strcmp(opt, "--name") == 0)
			cfg->name = val;
		else if (strcmp(opt, "--port") == 0)
			cfg->port = (uint16_t)strtoul(val, NULL, 10);
		else if (strcmp(opt, "--seconds") == 0)
			*seconds = (unsigned)strtoul(val, NULL, 10);
		else if (strcmp(opt, "--backend") == 0 &&
			 strcmp(val, "embedded") == 0)
			cfg->backend = WL_MDNS_EMBEDDED;
		else if (strcmp(opt, "--backend") == 0 &&
			 strcmp(val, "avahi-daemon") == 0)
			cfg->backend = WL_MDNS_AVAHI_DAEMON;
		else if (strcmp(opt, "--interface") == 0 &&
			 cfg->n_interfaces < INTERFACES_MAX)
			interfaces[cfg->n_interfaces++] = val;
		else
			return -1;
	}
	return have_node && have_site && cfg->name != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct probe p;
	unsigned char node[32];
	unsigned char site[16];
	const char *interfaces[INTERFACES_MAX];
	struct wl_mdns_config cfg = {0};
	unsigned seconds = 10;
	int err;

	cfg.port = 7000;
	cfg.interfaces = interfaces;
	if (parse_args(argc, argv, &cfg, node, site, interfaces, &seconds) < 0)
		return usage();
	if (cfg.n_interfaces == 0)
		cfg.interfaces = NULL;
	cfg.node_id = node;
	cfg.site_id = site;
	cfg.found = on_found;
	cfg.removed = on_removed;
	cfg.arg = &p;

	uv_loop_init(&p.loop);
	p.start_ns = uv_hrtime();
	err = wl_mdns_start(&p.loop, &cfg, &p.mdns);
	if (err < 0) {
		fprintf(stderr, "probe: wl_mdns_start failed: %s\n",
			wl_strerror(err));
		uv_run(&p.loop, UV_RUN_DEFAULT);
		uv_loop_close(&p.loop);
		return 2;
	}

	uv_timer_init(&p.loop, &p.timer);
	p.timer.data = &p;
	uv_timer_start(&p.timer, on_timer, (uint64_t)seconds * 1000, 0);
	uv_signal_init(&p.loop, &p.sigterm);
	p.sigterm.data = &p;
	uv_signal_start(&p.sigterm, on_signal, SIGTERM);
	uv_signal_init(&p.loop, &p.sigint);
	p.sigint.data = &p;
	uv_signal_start(&p.sigint, on_signal, SIGINT);

	uv_run(&p.loop, UV_RUN_DEFAULT);
	err = uv_loop_close(&p.loop);
	if (err != 0) {
		fprintf(stderr, "probe: the loop did not close: %s\n",
			uv_strerror(err));
		return 3;
	}
	fprintf(stderr, "probe: stopped cleanly\n");
	return 0;
}
