/* Unit tests of the mDNS module's network-free parts: TXT records, the peer
 * filter, host and service names, the table of browsed services with its
 * found/removed reports, and the AvahiPoll adapter on a private libuv loop.
 * Nothing here opens a socket. Discovery itself is tested by
 * tests/net/mdns-pair.sh in network namespaces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <avahi-common/domain.h>
#include <avahi-common/malloc.h>
#include <avahi-common/timeval.h>

#include "wardline/error.h"
#include "wardline/log.h"
#include "wardline/mdns_backend.h"
#include "wardline/uvpoll.h"

#define SITE_HEX "00112233445566778899aabbccddeeff"
#define NODE_HEX                                                               \
	"0101010101010101010101010101010101010101010101010101010101010101"
#define PEER_HEX                                                               \
	"A2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"

static const unsigned char site_id[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
					  0xcc, 0xdd, 0xee, 0xff};

static void fill(unsigned char *id, size_t n, unsigned char byte)
{
	memset(id, byte, n);
}

static void txt_build_fields(void **state)
{
	unsigned char node[32];
	AvahiStringList *txt;
	AvahiStringList *item;
	char *key = NULL;
	char *value = NULL;

	(void)state;
	fill(node, sizeof(node), 0x01);
	txt = wl_mdns_txt_build(node, site_id);
	assert_non_null(txt);
	assert_int_equal(avahi_string_list_length(txt), 3);

	item = avahi_string_list_find(txt, "v");
	assert_non_null(item);
	assert_int_equal(avahi_string_list_get_pair(item, &key, &value, NULL),
			 0);
	assert_string_equal(value, "1");
	avahi_free(key);
	avahi_free(value);

	item = avahi_string_list_find(txt, "site");
	assert_non_null(item);
	assert_int_equal(avahi_string_list_get_pair(item, &key, &value, NULL),
			 0);
	assert_string_equal(value, SITE_HEX);
	avahi_free(key);
	avahi_free(value);

	item = avahi_string_list_find(txt, "node");
	assert_non_null(item);
	assert_int_equal(avahi_string_list_get_pair(item, &key, &value, NULL),
			 0);
	assert_string_equal(value, NODE_HEX);
	avahi_free(key);
	avahi_free(value);
	avahi_string_list_free(txt);
}

static void txt_parse_round_trip(void **state)
{
	unsigned char node[32];
	struct wl_mdns_txt parsed;
	AvahiStringList *txt;

	(void)state;
	fill(node, sizeof(node), 0x5c);
	txt = wl_mdns_txt_build(node, site_id);
	assert_non_null(txt);
	assert_int_equal(wl_mdns_txt_parse(txt, &parsed), 0);
	assert_memory_equal(parsed.node, node, 32);
	assert_memory_equal(parsed.site, site_id, 16);
	avahi_string_list_free(txt);
}

struct txt_case {
	const char *label;
	const char *strings[6];
	int expected;
};

static const struct txt_case txt_cases[] = {
    {"valid", {"v=1", "site=" SITE_HEX, "node=" NODE_HEX}, 0},
    {"key case and hex case", {"V=1", "SITE=" SITE_HEX, "Node=" PEER_HEX}, 0},
    {"extra keys ignored",
     {"flag", "x=y", "v=1", "site=" SITE_HEX, "node=" NODE_HEX, "=z"},
     0},
    {"v missing", {"site=" SITE_HEX, "node=" NODE_HEX}, WL_EVERSION},
    {"v=2", {"v=2", "site=" SITE_HEX, "node=" NODE_HEX}, WL_EVERSION},
    {"v empty", {"v=", "site=" SITE_HEX, "node=" NODE_HEX}, WL_EVERSION},
    {"v=10", {"v=10", "site=" SITE_HEX, "node=" NODE_HEX}, WL_EVERSION},
    {"v without value", {"v", "site=" SITE_HEX, "node=" NODE_HEX}, WL_EVERSION},
    {"v repeated",
     {"v=1", "v=1", "site=" SITE_HEX, "node=" NODE_HEX},
     WL_EVERSION},
    {"site missing", {"v=1", "node=" NODE_HEX}, WL_EINVAL},
    {"node missing", {"v=1", "site=" SITE_HEX}, WL_EINVAL},
    {"site short", {"v=1", "site=0011", "node=" NODE_HEX}, WL_EINVAL},
    {"site long", {"v=1", "site=" SITE_HEX "00", "node=" NODE_HEX}, WL_EINVAL},
    {"node not hex",
     {"v=1", "site=" SITE_HEX,
      "node=zz01010101010101010101010101010101010101010101010101010101010101"},
     WL_EINVAL},
    {"node repeated",
     {"v=1", "site=" SITE_HEX, "node=" NODE_HEX, "node=" PEER_HEX},
     WL_EINVAL},
    {"empty", {NULL}, WL_EVERSION},
};

static AvahiStringList *txt_from(const char *const *strings)
{
	AvahiStringList *txt = NULL;

	for (size_t i = 0; i < 6 && strings[i] != NULL; i++)
		txt = avahi_string_list_add(txt, strings[i]);
	return txt;
}

static void txt_parse_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		struct wl_mdns_txt parsed;
		AvahiStringList *txt = txt_from(txt_cases[i].strings);
		int err = wl_mdns_txt_parse(txt, &parsed);

		if (err != txt_cases[i].expected)
			fail_msg("case \"%s\": parse returned %d, expected %d",
				 txt_cases[i].label, err,
				 txt_cases[i].expected);
		avahi_string_list_free(txt);
	}
}

static void txt_check_verdicts(void **state)
{
	unsigned char node[32];
	unsigned char peer[32];
	unsigned char other_site[16];
	unsigned char found[32];
	AvahiStringList *txt;

	(void)state;
	fill(node, sizeof(node), 0x01);
	fill(peer, sizeof(peer), 0xa2);
	memcpy(other_site, site_id, sizeof(other_site));
	other_site[15] ^= 1;

	txt = wl_mdns_txt_build(peer, site_id);
	memset(found, 0, sizeof(found));
	assert_int_equal(wl_mdns_txt_check(txt, node, site_id, found),
			 WL_MDNS_PEER);
	assert_memory_equal(found, peer, 32);
	assert_int_equal(wl_mdns_txt_check(txt, peer, site_id, found),
			 WL_MDNS_SELF);
	assert_int_equal(wl_mdns_txt_check(txt, node, other_site, found),
			 WL_MDNS_OTHER_SITE);
	avahi_string_list_free(txt);

	txt = avahi_string_list_new("v=2", "site=" SITE_HEX, "node=" PEER_HEX,
				    NULL);
	assert_int_equal(wl_mdns_txt_check(txt, node, site_id, found),
			 WL_MDNS_OTHER_VERSION);
	avahi_string_list_free(txt);

	txt = avahi_string_list_new("v=1", "site=" SITE_HEX, NULL);
	assert_int_equal(wl_mdns_txt_check(txt, node, site_id, found),
			 WL_MDNS_MALFORMED);
	avahi_string_list_free(txt);
}

static void host_name_cases(void **state)
{
	unsigned char node[32];
	char *name;

	(void)state;
	fill(node, sizeof(node), 0);
	node[0] = 0xa1;
	node[1] = 0xb2;
	node[2] = 0xc3;
	node[3] = 0xd4;

	name = wl_mdns_host_name_make("Ward 3 / Bed_A", node);
	assert_string_equal(name, "ward-3-bed-a-a1b2c3d4");
	free(name);

	name = wl_mdns_host_name_make("", node);
	assert_string_equal(name, "wardline-a1b2c3d4");
	free(name);

	name = wl_mdns_host_name_make("--- ...", node);
	assert_string_equal(name, "wardline-a1b2c3d4");
	free(name);

	name = wl_mdns_host_name_make("Stationsbett \xc3\xa4 2", node);
	assert_string_equal(name, "stationsbett-2-a1b2c3d4");
	free(name);

	name = wl_mdns_host_name_make(
	    "a-very-long-device-name-that-goes-on-and-on-past-the-"
	    "sixty-three-byte-limit-of-a-label",
	    node);
	assert_true(strlen(name) <= 63);
	assert_true(avahi_is_valid_host_name(name));
	assert_string_equal(name + strlen(name) - 9, "-a1b2c3d4");
	free(name);
}

static int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != 0) {
		int n = *p < 0x80	      ? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;

		if (n < 0)
			return 0;
		p++;
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
		}
	}
	return 1;
}

static void service_name_cases(void **state)
{
	char longname[200] = "a";
	char *name;

	(void)state;
	name = wl_mdns_service_name_make("Bed 4");
	assert_string_equal(name, "wardline Bed 4");
	free(name);

	name = wl_mdns_service_name_make("");
	assert_string_equal(name, "wardline");
	free(name);

	name = wl_mdns_service_name_make("bed\n4\x7f");
	assert_string_equal(name, "wardline bed 4 ");
	free(name);

	/* "a" and 30 three-byte characters: the cut at 63 bytes would
	 * fall inside the 18th character, so it moves back to 61 bytes. */
	for (int i = 0; i < 30; i++)
		strcat(longname, "\xe2\x82\xac");
	name = wl_mdns_service_name_make(longname);
	assert_int_equal(strlen(name), 61);
	assert_true(utf8_valid(name));
	assert_true(avahi_is_valid_service_name(name));
	free(name);
}

static void service_rename_random_suffix(void **state)
{
	struct wl_mdns m;
	char longname[200] = "a";
	unsigned number = 0;
	char rest = 0;

	(void)state;
	wl_log_set_level(WL_LOG_ERROR);
	memset(&m, 0, sizeof(m));
	m.service_base = wl_mdns_service_name_make("twin");
	m.service_name = strdup(m.service_base);

	for (int i = 0; i < 20; i++) {
		assert_int_equal(wl_mdns_service_rename(&m), 0);
		assert_int_equal(sscanf(m.service_name, "wardline twin #%u%c",
					&number, &rest),
				 1);
		assert_in_range(number, 2, 9999);
	}
	free(m.service_base);
	free(m.service_name);

	/* The base is cut at a character boundary to leave room for the
	 * suffix within the 63 bytes of a label. */
	for (int i = 0; i < 30; i++)
		strcat(longname, "\xe2\x82\xac");
	m.service_base = wl_mdns_service_name_make(longname);
	m.service_name = strdup(m.service_base);
	assert_int_equal(wl_mdns_service_rename(&m), 0);
	assert_true(strlen(m.service_name) <= 63);
	assert_true(utf8_valid(m.service_name));
	assert_true(avahi_is_valid_service_name(m.service_name));
	assert_non_null(strstr(m.service_name, " #"));
	free(m.service_base);
	free(m.service_name);
}

/* Reports collected from the item table. */
struct reports {
	int found;
	int removed;
	unsigned char last_node[32];
	char last_addr[WL_MDNS_ADDR_MAX];
	uint16_t last_port;
};

static void on_found(void *arg, const unsigned char node[32], const char *addr,
		     uint16_t port)
{
	struct reports *r = arg;

	r->found++;
	memcpy(r->last_node, node, 32);
	snprintf(r->last_addr, sizeof(r->last_addr), "%s", addr);
	r->last_port = port;
}

static void on_removed(void *arg, const unsigned char node[32])
{
	struct reports *r = arg;

	r->removed++;
	memcpy(r->last_node, node, 32);
}

static void fake_mdns(struct wl_mdns *m, struct reports *r)
{
	memset(m, 0, sizeof(*m));
	memset(r, 0, sizeof(*r));
	fill(m->node_id, 32, 0x01);
	memcpy(m->site_id, site_id, 16);
	m->found = on_found;
	m->removed = on_removed;
	m->arg = r;
}

static void items_report_once_per_change(void **state)
{
	struct wl_mdns m;
	struct reports r;
	unsigned char peer[32];
	AvahiStringList *txt;
	struct wl_mdns_item *v4;
	struct wl_mdns_item *v6;
	AvahiAddress a4;
	AvahiAddress a4b;
	AvahiAddress a6;

	(void)state;
	wl_log_set_level(WL_LOG_ERROR);
	fake_mdns(&m, &r);
	fill(peer, sizeof(peer), 0xa2);
	txt = wl_mdns_txt_build(peer, site_id);
	assert_non_null(
	    avahi_address_parse("10.213.0.12", AVAHI_PROTO_INET, &a4));
	assert_non_null(
	    avahi_address_parse("10.213.0.22", AVAHI_PROTO_INET, &a4b));
	assert_non_null(avahi_address_parse("fe80::1", AVAHI_PROTO_INET6, &a6));

	v4 = wl_mdns_item_add(&m, 1, AVAHI_PROTO_INET, "wardline b", "local");
	v6 = wl_mdns_item_add(&m, 1, AVAHI_PROTO_INET6, "wardline b", "local");
	assert_ptr_equal(
	    wl_mdns_item_find(&m, 1, AVAHI_PROTO_INET, "wardline b", "local"),
	    v4);
	assert_null(
	    wl_mdns_item_find(&m, 2, AVAHI_PROTO_INET, "wardline b", "local"));

	wl_mdns_item_resolved(&m, v4, &a4, 7000, txt);
	assert_int_equal(r.found, 1);
	assert_memory_equal(r.last_node, peer, 32);
	assert_string_equal(r.last_addr, "10.213.0.12");
	assert_int_equal(r.last_port, 7000);

	wl_mdns_item_resolved(&m, v4, &a4, 7000, txt);
	assert_int_equal(r.found, 1);

	wl_mdns_item_resolved(&m, v4, &a4b, 7000, txt);
	assert_int_equal(r.found, 2);
	assert_string_equal(r.last_addr, "10.213.0.22");

	/* Interface index 1 is the loopback interface on Linux. */
	wl_mdns_item_resolved(&m, v6, &a6, 7000, txt);
	assert_int_equal(r.found, 3);
	assert_string_equal(r.last_addr, "fe80::1%lo");

	wl_mdns_item_remove(&m, v4);
	assert_int_equal(r.removed, 0);
	wl_mdns_item_remove(&m, v6);
	assert_int_equal(r.removed, 1);
	assert_memory_equal(r.last_node, peer, 32);
	assert_null(m.items);

	avahi_string_list_free(txt);
}

static void items_filter_and_replace(void **state)
{
	struct wl_mdns m;
	struct reports r;
	unsigned char peer[32];
	unsigned char other[32];
	unsigned char other_site[16];
	AvahiStringList *txt_peer;
	AvahiStringList *txt_other;
	AvahiStringList *txt_self;
	AvahiStringList *txt_far;
	struct wl_mdns_item *item;
	AvahiAddress a4;

	(void)state;
	wl_log_set_level(WL_LOG_ERROR);
	fake_mdns(&m, &r);
	fill(peer, sizeof(peer), 0xa2);
	fill(other, sizeof(other), 0xb3);
	memcpy(other_site, site_id, sizeof(other_site));
	other_site[0] ^= 0x80;
	txt_peer = wl_mdns_txt_build(peer, site_id);
	txt_other = wl_mdns_txt_build(other, site_id);
	txt_self = wl_mdns_txt_build(m.node_id, site_id);
	txt_far = wl_mdns_txt_build(other, other_site);
	avahi_address_parse("10.213.0.12", AVAHI_PROTO_INET, &a4);

	item = wl_mdns_item_add(&m, 1, AVAHI_PROTO_INET, "wardline b", "local");
	wl_mdns_item_resolved(&m, item, &a4, 7000, txt_self);
	wl_mdns_item_resolved(&m, item, &a4, 7000, txt_far);
	assert_int_equal(r.found, 0);
	assert_int_equal(r.removed, 0);

	wl_mdns_item_resolved(&m, item, &a4, 7000, txt_peer);
	assert_int_equal(r.found, 1);

	/* The same service name now belongs to another node. */
	wl_mdns_item_resolved(&m, item, &a4, 7000, txt_other);
	assert_int_equal(r.removed, 1);
	assert_int_equal(r.found, 2);
	assert_memory_equal(r.last_node, other, 32);

	/* A TXT record that stops matching withdraws the node. */
	wl_mdns_item_resolved(&m, item, &a4, 7000, txt_far);
	assert_int_equal(r.removed, 2);
	wl_mdns_item_remove(&m, item);
	assert_int_equal(r.removed, 2);

	avahi_string_list_free(txt_peer);
	avahi_string_list_free(txt_other);
	avahi_string_list_free(txt_self);
	avahi_string_list_free(txt_far);
}

static void interfaces_allowed_list(void **state)
{
	struct wl_mdns m;
	struct reports r;
	char lo[] = "lo";
	char *names[] = {lo};

	(void)state;
	fake_mdns(&m, &r);
	assert_true(wl_mdns_interface_allowed(&m, 1));
	assert_true(wl_mdns_interface_allowed(&m, 0));

	m.interfaces = names;
	m.n_interfaces = 1;
	assert_true(wl_mdns_interface_allowed(&m, 1));
	assert_false(wl_mdns_interface_allowed(&m, 0));
	assert_false(wl_mdns_interface_allowed(&m, 999999));
}

/* AvahiPoll adapter. */

struct timer_probe {
	const AvahiPoll *api;
	struct timeval due;
	int id;
	int *order;
	int *n;
	int early;
	int free_in_callback;
};

static void timer_fired(AvahiTimeout *t, void *userdata)
{
	struct timer_probe *p = userdata;

	if (avahi_age(&p->due) < 0)
		p->early = 1;
	p->order[(*p->n)++] = p->id;
	if (p->free_in_callback)
		p->api->timeout_free(t);
}

static void uvpoll_timers_in_order(void **state)
{
	uv_loop_t loop;
	struct wl_uvpoll *poll;
	const AvahiPoll *api;
	int order[8];
	int n = 0;
	struct timer_probe probes[4];
	AvahiTimeout *timeouts[4];
	const int delays_ms[4] = {30, 10, 20, 5};

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wl_uvpoll_new(&loop, &poll), 0);
	api = wl_uvpoll_get(poll);

	for (int i = 0; i < 4; i++) {
		probes[i] = (struct timer_probe){
		    api, {0, 0}, delays_ms[i], order, &n, 0, i == 1};
		avahi_elapse_time(&probes[i].due, (unsigned)delays_ms[i], 0);
		timeouts[i] = api->timeout_new(api, &probes[i].due, timer_fired,
					       &probes[i]);
		assert_non_null(timeouts[i]);
	}
	/* Disarmed before it is due: it must never fire. */
	api->timeout_update(timeouts[3], NULL);

	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(n, 3);
	assert_int_equal(order[0], 10);
	assert_int_equal(order[1], 20);
	assert_int_equal(order[2], 30);
	for (int i = 0; i < 4; i++)
		assert_int_equal(probes[i].early, 0);

	/* Re-armed after firing, in the past: it fires on the next run. */
	api->timeout_update(timeouts[0], &(struct timeval){0, 0});
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(n, 4);
	assert_int_equal(order[3], 30);

	api->timeout_free(timeouts[0]);
	api->timeout_free(timeouts[2]);
	api->timeout_free(timeouts[3]);
	wl_uvpoll_free(poll);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct watch_probe {
	const AvahiPoll *api;
	int calls;
	AvahiWatchEvent events;
	AvahiWatchEvent seen_inside;
};

static void watch_fired(AvahiWatch *w, int fd, AvahiWatchEvent events,
			void *userdata)
{
	struct watch_probe *p = userdata;
	char byte;

	p->calls++;
	p->events = events;
	p->seen_inside = p->api->watch_get_events(w);
	assert_int_equal(read(fd, &byte, 1), 1);
	p->api->watch_free(w);
}

static void uvpoll_watch_reads_pipe(void **state)
{
	uv_loop_t loop;
	struct wl_uvpoll *poll;
	const AvahiPoll *api;
	struct watch_probe probe = {0};
	AvahiWatch *w;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wl_uvpoll_new(&loop, &poll), 0);
	api = wl_uvpoll_get(poll);
	probe.api = api;

	w = api->watch_new(api, fds[0], AVAHI_WATCH_IN, watch_fired, &probe);
	assert_non_null(w);

	/* With no events requested the watch stays quiet. */
	api->watch_update(w, 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(probe.calls, 0);

	api->watch_update(w, AVAHI_WATCH_IN);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(probe.calls, 1);
	assert_int_equal(probe.events, AVAHI_WATCH_IN);
	assert_int_equal(probe.seen_inside, AVAHI_WATCH_IN);

	wl_uvpoll_free(poll);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(fds[0]);
	close(fds[1]);
}

static void never_called_timeout(AvahiTimeout *t, void *userdata)
{
	(void)t;
	(void)userdata;
	fail_msg("a timeout fired after wl_uvpoll_free");
}

static void never_called_watch(AvahiWatch *w, int fd, AvahiWatchEvent events,
			       void *userdata)
{
	(void)w;
	(void)fd;
	(void)events;
	(void)userdata;
	fail_msg("a watch fired after wl_uvpoll_free");
}

static void uvpoll_free_closes_leftovers(void **state)
{
	uv_loop_t loop;
	struct wl_uvpoll *poll;
	const AvahiPoll *api;
	struct timeval due;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wl_uvpoll_new(&loop, &poll), 0);
	api = wl_uvpoll_get(poll);

	avahi_elapse_time(&due, 1, 0);
	assert_non_null(
	    api->timeout_new(api, &due, never_called_timeout, NULL));
	assert_non_null(
	    api->timeout_new(api, NULL, never_called_timeout, NULL));
	assert_non_null(api->watch_new(api, fds[0], AVAHI_WATCH_IN,
				       never_called_watch, NULL));
	assert_int_equal(write(fds[1], "x", 1), 1);

	wl_uvpoll_free(poll);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(txt_build_fields),
	    cmocka_unit_test(txt_parse_round_trip),
	    cmocka_unit_test(txt_parse_cases),
	    cmocka_unit_test(txt_check_verdicts),
	    cmocka_unit_test(host_name_cases),
	    cmocka_unit_test(service_name_cases),
	    cmocka_unit_test(service_rename_random_suffix),
	    cmocka_unit_test(items_report_once_per_change),
	    cmocka_unit_test(items_filter_and_replace),
	    cmocka_unit_test(interfaces_allowed_list),
	    cmocka_unit_test(uvpoll_timers_in_order),
	    cmocka_unit_test(uvpoll_watch_reads_pipe),
	    cmocka_unit_test(uvpoll_free_closes_leftovers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
