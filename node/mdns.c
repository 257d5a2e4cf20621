/* mDNS discovery: the public functions, the code both backends share and
 * the embedded backend on avahi-core. The avahi-daemon backend is in
 * mdns_client.c, and mdns_backend.h describes the split. */
#include "wardline/mdns.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-core/core.h>
#include <avahi-core/log.h>
#include <avahi-core/lookup.h>
#include <avahi-core/publish.h>
#include <sodium.h>

#include "wardline/error.h"
#include "wardline/log.h"
#include "wardline/mdns_backend.h"

#define MOD "mdns"

/* Bound on renames in a row when avahi reports a local name collision at
 * once, so that a broken name cannot loop forever. */
#define RENAME_MAX 16

/* Room for an escaped service name in a log line. */
#define NAME_LOG_MAX (4 * 63 + 1)

struct wl_mdns_core {
	AvahiServer *server;
	AvahiSEntryGroup *group;
	AvahiSServiceBrowser *browser;
};

static const char hex_digits[] = "0123456789abcdef";

static void hex_encode(char *dst, const unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hex_digits[src[i] >> 4];
		dst[2 * i + 1] = hex_digits[src[i] & 0x0f];
	}
	dst[2 * n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly 2 * N hex digits of SRC (LEN bytes) into DST. */
static int hex_decode(unsigned char *dst, size_t n, const char *src, size_t len)
{
	if (len != 2 * n)
		return WL_EINVAL;

	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(src[2 * i]);
		int lo = hex_value(src[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return WL_EINVAL;
		dst[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

AvahiStringList *wl_mdns_txt_build(const unsigned char node[32],
				   const unsigned char site[16])
{
	char site_pair[5 + 2 * WL_MDNS_SITE_SIZE + 1] = "site=";
	char node_pair[5 + 2 * WL_MDNS_NODE_SIZE + 1] = "node=";

	hex_encode(site_pair + 5, site, WL_MDNS_SITE_SIZE);
	hex_encode(node_pair + 5, node, WL_MDNS_NODE_SIZE);
	return avahi_string_list_new("v=1", site_pair, node_pair, NULL);
}

static int key_equal(const char *key, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(key, name, len) == 0;
}

/* Store one "key=value" string of a TXT record. SEEN has a bit per key and
 * BAD a bit per key with an invalid or repeated value. */
static void txt_take_pair(const char *text, size_t size, unsigned *seen,
			  unsigned *bad, int *version_ok,
			  struct wl_mdns_txt *out)
{
	const char *eq = memchr(text, '=', size);
	const char *value;
	size_t key_len;
	size_t value_len;
	unsigned bit;

	if (eq == NULL)
		return;
	key_len = (size_t)(eq - text);
	value = eq + 1;
	value_len = size - key_len - 1;

	if (key_equal(text, key_len, "v"))
		bit = 1;
	else if (key_equal(text, key_len, "site"))
		bit = 2;
	else if (key_equal(text, key_len, "node"))
		bit = 4;
	else
		return;

	/* A repeated key is rejected. DNS-SD would take its first
	 * occurrence, but AvahiStringList stores the strings in reverse wire
	 * order, so "first" is not reliable here. */
	if (*seen & bit)
		*bad |= bit;
	*seen |= bit;

	if (bit == 1)
		*version_ok = value_len == 1 && value[0] == '1';
	else if (bit == 2 &&
		 hex_decode(out->site, WL_MDNS_SITE_SIZE, value, value_len) < 0)
		*bad |= bit;
	else if (bit == 4 &&
		 hex_decode(out->node, WL_MDNS_NODE_SIZE, value, value_len) < 0)
		*bad |= bit;
}

int wl_mdns_txt_parse(AvahiStringList *txt, struct wl_mdns_txt *out)
{
	unsigned seen = 0;
	unsigned bad = 0;
	int version_ok = 0;

	memset(out, 0, sizeof(*out));
	for (AvahiStringList *l = txt; l != NULL;
	     l = avahi_string_list_get_next(l)) {
		txt_take_pair((const char *)avahi_string_list_get_text(l),
			      avahi_string_list_get_size(l), &seen, &bad,
			      &version_ok, out);
	}

	if (!(seen & 1) || (bad & 1) || !version_ok)
		return WL_EVERSION;
	if ((seen & 6) != 6 || bad != 0)
		return WL_EINVAL;
	return 0;
}

enum wl_mdns_verdict wl_mdns_txt_check(AvahiStringList *txt,
				       const unsigned char node[32],
				       const unsigned char site[16],
				       unsigned char peer[32])
{
	struct wl_mdns_txt parsed;
	int err = wl_mdns_txt_parse(txt, &parsed);

	if (err == WL_EVERSION)
		return WL_MDNS_OTHER_VERSION;
	if (err < 0)
		return WL_MDNS_MALFORMED;
	if (memcmp(parsed.site, site, WL_MDNS_SITE_SIZE) != 0)
		return WL_MDNS_OTHER_SITE;
	if (memcmp(parsed.node, node, WL_MDNS_NODE_SIZE) == 0)
		return WL_MDNS_SELF;

	memcpy(peer, parsed.node, WL_MDNS_NODE_SIZE);
	return WL_MDNS_PEER;
}

char *wl_mdns_host_name_make(const char *name, const unsigned char node[32])
{
	/* 63 bytes of a DNS label minus "-" and 8 hex digits. */
	const size_t prefix_max = 63 - 9;
	char label[64];
	size_t n = 0;
	int after_hyphen = 1;

	for (const char *c = name; *c != '\0' && n < prefix_max; c++) {
		char ch = *c;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			label[n++] = ch;
			after_hyphen = 0;
		} else if (!after_hyphen) {
			label[n++] = '-';
			after_hyphen = 1;
		}
	}
	while (n > 0 && label[n - 1] == '-')
		n--;
	if (n == 0) {
		strcpy(label, "wardline");
		n = strlen(label);
	}

	label[n++] = '-';
	hex_encode(label + n, node, 4);
	return strdup(label);
}

/* Return the length of S cut to at most MAX bytes, stepping back over UTF-8
 * continuation bytes so that the cut does not split a character. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

char *wl_mdns_service_name_make(const char *name)
{
	size_t prefix_len = strlen(WL_MDNS_SERVICE_PREFIX);
	char *s;

	if (name[0] == '\0')
		return strndup(WL_MDNS_SERVICE_PREFIX, prefix_len - 1);

	s = malloc(prefix_len + strlen(name) + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, WL_MDNS_SERVICE_PREFIX, prefix_len);
	strcpy(s + prefix_len, name);

	for (char *c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	s[utf8_cut(s, 63)] = '\0';
	return s;
}

int wl_mdns_interface_allowed(const struct wl_mdns *m, int ifindex)
{
	char ifname[IF_NAMESIZE];

	if (m->n_interfaces == 0)
		return 1;
	if (ifindex <= 0 || if_indextoname((unsigned)ifindex, ifname) == NULL)
		return 0;

	for (size_t i = 0; i < m->n_interfaces; i++) {
		if (strcmp(m->interfaces[i], ifname) == 0)
			return 1;
	}
	return 0;
}

struct wl_mdns_item *wl_mdns_item_find(struct wl_mdns *m, int ifindex,
				       int protocol, const char *name,
				       const char *domain)
{
	for (struct wl_mdns_item *i = m->items; i != NULL; i = i->next) {
		if (i->ifindex == ifindex && i->protocol == protocol &&
		    strcmp(i->name, name) == 0 &&
		    strcmp(i->domain, domain) == 0)
			return i;
	}
	return NULL;
}

struct wl_mdns_item *wl_mdns_item_add(struct wl_mdns *m, int ifindex,
				      int protocol, const char *name,
				      const char *domain)
{
	struct wl_mdns_item *item = calloc(1, sizeof(*item));

	if (item == NULL)
		return NULL;

	item->name = strdup(name);
	item->domain = strdup(domain);
	if (item->name == NULL || item->domain == NULL) {
		free(item->name);
		free(item->domain);
		free(item);
		return NULL;
	}

	item->owner = m;
	item->ifindex = ifindex;
	item->protocol = protocol;
	item->next = m->items;
	m->items = item;
	return item;
}

/* Forget ITEM's node and report it removed unless another item still maps
 * to the same node. */
static void item_unmap(struct wl_mdns *m, struct wl_mdns_item *item)
{
	unsigned char node[WL_MDNS_NODE_SIZE];
	char shortid[17];

	if (!item->resolved)
		return;
	item->resolved = 0;
	memcpy(node, item->node, sizeof(node));

	for (struct wl_mdns_item *i = m->items; i != NULL; i = i->next) {
		if (i->resolved && memcmp(i->node, node, sizeof(node)) == 0)
			return;
	}

	wl_info(MOD, "Peer removed node=%s", wl_log_shortid(shortid, node));
	if (m->removed != NULL)
		m->removed(m->arg, node);
}

/* Format A as a numeric address, with "%ifname" for IPv6 link-local. */
static void address_format(char buf[WL_MDNS_ADDR_MAX], const AvahiAddress *a,
			   int ifindex)
{
	char ifname[IF_NAMESIZE];
	size_t len;

	avahi_address_snprint(buf, WL_MDNS_ADDR_MAX, a);
	if (a->proto != AVAHI_PROTO_INET6 || a->data.ipv6.address[0] != 0xfe ||
	    (a->data.ipv6.address[1] & 0xc0) != 0x80)
		return;
	if (ifindex <= 0 || if_indextoname((unsigned)ifindex, ifname) == NULL)
		return;

	len = strlen(buf);
	snprintf(buf + len, WL_MDNS_ADDR_MAX - len, "%%%s", ifname);
}

static void log_rejected(const struct wl_mdns_item *item,
			 enum wl_mdns_verdict verdict)
{
	char name[NAME_LOG_MAX];

	wl_log_escape(name, sizeof(name), item->name, strlen(item->name));
	switch (verdict) {
	case WL_MDNS_SELF:
		wl_debug(MOD, "Own service seen service=\"%s\"", name);
		break;
	case WL_MDNS_OTHER_SITE:
		wl_debug(MOD, "Ignoring a node of another site service=\"%s\"",
			 name);
		break;
	case WL_MDNS_OTHER_VERSION:
		wl_info(MOD,
			"Ignoring a node with another discovery format "
			"version; upgrade it to link service=\"%s\"",
			name);
		break;
	default:
		wl_warn(MOD,
			"Ignoring a service with an invalid TXT record "
			"service=\"%s\"",
			name);
		break;
	}
}

void wl_mdns_item_resolved(struct wl_mdns *m, struct wl_mdns_item *item,
			   const AvahiAddress *address, uint16_t port,
			   AvahiStringList *txt)
{
	unsigned char peer[WL_MDNS_NODE_SIZE];
	char addr[WL_MDNS_ADDR_MAX];
	char shortid[17];
	enum wl_mdns_verdict verdict;

	verdict = wl_mdns_txt_check(txt, m->node_id, m->site_id, peer);
	if (verdict != WL_MDNS_PEER) {
		log_rejected(item, verdict);
		item_unmap(m, item);
		return;
	}

	address_format(addr, address, item->ifindex);
	if (item->resolved && memcmp(item->node, peer, sizeof(peer)) == 0 &&
	    strcmp(item->addr, addr) == 0 && item->port == port)
		return;
	if (item->resolved && memcmp(item->node, peer, sizeof(peer)) != 0)
		item_unmap(m, item);

	item->resolved = 1;
	memcpy(item->node, peer, sizeof(peer));
	memcpy(item->addr, addr, sizeof(addr));
	item->port = port;

	wl_info(MOD, "Peer found node=%s addr=%s port=%u",
		wl_log_shortid(shortid, peer), addr, (unsigned)port);
	if (m->found != NULL)
		m->found(m->arg, peer, addr, port);
}

static void item_unlink(struct wl_mdns *m, struct wl_mdns_item *item)
{
	struct wl_mdns_item **link = &m->items;

	while (*link != item)
		link = &(*link)->next;
	*link = item->next;
}

static void item_free(struct wl_mdns_item *item)
{
	free(item->name);
	free(item->domain);
	free(item);
}

void wl_mdns_item_remove(struct wl_mdns *m, struct wl_mdns_item *item)
{
	item_unlink(m, item);
	item->next = NULL;
	if (item->resolved) {
		/* item_unmap looks for other items of the node in m->items,
		 * which no longer contains this one. */
		item_unmap(m, item);
	}
	item_free(item);
}

void wl_mdns_items_clear(struct wl_mdns *m)
{
	while (m->items != NULL) {
		struct wl_mdns_item *item = m->items;

		m->items = item->next;
		item_free(item);
	}
}

/* The suffix is random, not the next number that
 * avahi_alternative_service_name picks. Avahi 0.8 compares the SRV and the
 * TXT records of simultaneous probes one by one, so two nodes with the same
 * name can each lose on one record and both rename. With the same next name
 * they would collide again on every round. */
int wl_mdns_service_rename(struct wl_mdns *m)
{
	char old_name[NAME_LOG_MAX];
	char new_name[NAME_LOG_MAX];
	char alt[64];
	int base_len = (int)utf8_cut(m->service_base, 63 - 6);
	char *copy;

	snprintf(alt, sizeof(alt), "%.*s #%u", base_len, m->service_base,
		 (unsigned)randombytes_uniform(9998) + 2);
	copy = strdup(alt);
	if (copy == NULL)
		return WL_ENOMEM;

	wl_log_escape(old_name, sizeof(old_name), m->service_name,
		      strlen(m->service_name));
	wl_log_escape(new_name, sizeof(new_name), copy, strlen(copy));
	wl_warn(MOD,
		"Service name already used on the network, renamed "
		"old=\"%s\" new=\"%s\"",
		old_name, new_name);

	free(m->service_name);
	m->service_name = copy;
	return 0;
}

/* Embedded backend (avahi-core). */

static void core_log(AvahiLogLevel level, const char *text)
{
	char clean[512];

	/* avahi-core's own lines may quote names taken from the network. */
	wl_log_escape(clean, sizeof(clean), text, strlen(text));
	switch (level) {
	case AVAHI_LOG_ERROR:
		wl_error("avahi", "%s", clean);
		break;
	case AVAHI_LOG_WARN:
		wl_warn("avahi", "%s", clean);
		break;
	default:
		wl_debug("avahi", "%s", clean);
		break;
	}
}

static void core_group_cb(AvahiServer *s, AvahiSEntryGroup *g,
			  AvahiEntryGroupState state, void *userdata);

/* Add the service to the entry group and commit it. Runs whenever the
 * server reaches AVAHI_SERVER_RUNNING and after a service name collision. */
static void core_publish(struct wl_mdns *m, AvahiServer *s)
{
	struct wl_mdns_core *c = m->core;
	int err = AVAHI_ERR_COLLISION;

	if (c->group == NULL)
		c->group = avahi_s_entry_group_new(s, core_group_cb, m);
	if (c->group == NULL) {
		wl_error(MOD,
			 "Could not create the entry group; the service is "
			 "not published: %s",
			 avahi_strerror(avahi_server_errno(s)));
		return;
	}
	if (!avahi_s_entry_group_is_empty(c->group))
		return;

	for (int i = 0; i < RENAME_MAX && err == AVAHI_ERR_COLLISION; i++) {
		err = avahi_server_add_service_strlst(
		    s, c->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
		    m->service_name, WL_MDNS_SERVICE_TYPE, NULL, NULL, m->port,
		    m->txt);
		if (err == AVAHI_ERR_COLLISION && wl_mdns_service_rename(m) < 0)
			break;
	}
	if (err == 0)
		err = avahi_s_entry_group_commit(c->group);
	if (err < 0)
		wl_error(MOD,
			 "Could not publish the service; peers will not find "
			 "this node until it restarts: %s",
			 avahi_strerror(err));
}

static void core_group_cb(AvahiServer *s, AvahiSEntryGroup *g,
			  AvahiEntryGroupState state, void *userdata)
{
	struct wl_mdns *m = userdata;
	char name[NAME_LOG_MAX];

	if (m->stopping)
		return;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		wl_log_escape(name, sizeof(name), m->service_name,
			      strlen(m->service_name));
		wl_info(MOD, "Service published service=\"%s\" host=%s port=%u",
			name, avahi_server_get_host_name(s), (unsigned)m->port);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		if (wl_mdns_service_rename(m) < 0) {
			wl_error(MOD, "Out of memory renaming the service");
			break;
		}
		avahi_s_entry_group_reset(g);
		core_publish(m, s);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		wl_error(MOD,
			 "Publishing the service failed; peers will not find "
			 "this node until it restarts: %s",
			 avahi_strerror(avahi_server_errno(s)));
		break;
	default:
		break;
	}
}

/* Make the next host name after a collision: the first choice plus "-" and
 * 4 random hex digits. Two nodes with the same host name can both lose,
 * because each loses the tie-break on one of IPv4 and IPv6. The
 * deterministic avahi_alternative_host_name would give both the same next
 * name, and they collided again every second in tests. It would also take
 * the trailing hex digits of our names for a counter to increment. */
static char *host_name_alternative(const struct wl_mdns *m)
{
	char label[64];
	size_t base_len = strlen(m->host_name);

	if (base_len > 63 - 5)
		base_len = 63 - 5;
	while (base_len > 0 && m->host_name[base_len - 1] == '-')
		base_len--;

	snprintf(label, sizeof(label), "%.*s-%04x", (int)base_len, m->host_name,
		 (unsigned)randombytes_uniform(0x10000));
	return strdup(label);
}

static void core_rename_host(struct wl_mdns *m, AvahiServer *s)
{
	char *alt = host_name_alternative(m);
	int err;

	if (alt == NULL) {
		wl_error(MOD, "Out of memory renaming the host");
		return;
	}
	wl_warn(MOD,
		"Host name already used on the network, renamed old=%s "
		"new=%s",
		avahi_server_get_host_name(s), alt);

	/* This re-enters core_server_cb with REGISTERING and later
	 * RUNNING, which re-adds the service under the new host name. */
	err = avahi_server_set_host_name(s, alt);
	if (err < 0)
		wl_error(MOD, "Could not set the host name host=%s: %s", alt,
			 avahi_strerror(err));
	free(alt);
}

/* avahi_server_new calls this before it returns, so S, not c->server, is
 * the server to use. */
static void core_server_cb(AvahiServer *s, AvahiServerState state,
			   void *userdata)
{
	struct wl_mdns *m = userdata;
	struct wl_mdns_core *c = m->core;

	if (m->stopping)
		return;

	switch (state) {
	case AVAHI_SERVER_RUNNING:
		core_publish(m, s);
		break;
	case AVAHI_SERVER_COLLISION:
		core_rename_host(m, s);
		break;
	case AVAHI_SERVER_REGISTERING:
		/* The records point at the old host name. They are added
		 * again once the server is running. */
		if (c->group != NULL)
			avahi_s_entry_group_reset(c->group);
		break;
	case AVAHI_SERVER_FAILURE:
		wl_error(MOD, "The mDNS stack failed; restart the node: %s",
			 avahi_strerror(avahi_server_errno(s)));
		break;
	default:
		break;
	}
}

static void core_resolve_cb(AvahiSServiceResolver *r, AvahiIfIndex ifindex,
			    AvahiProtocol protocol, AvahiResolverEvent event,
			    const char *name, const char *type,
			    const char *domain, const char *host_name,
			    const AvahiAddress *a, uint16_t port,
			    AvahiStringList *txt, AvahiLookupResultFlags flags,
			    void *userdata);

/* Start a resolver for ITEM, replacing any it has. */
static void core_resolver_start(struct wl_mdns *m, struct wl_mdns_item *item)
{
	AvahiSServiceResolver *r;

	if (item->resolver != NULL)
		avahi_s_service_resolver_free(item->resolver);
	item->resolver = NULL;
	item->resolver_reported = 0;

	r = avahi_s_service_resolver_prepare(
	    m->core->server, item->ifindex, item->protocol, item->name,
	    WL_MDNS_SERVICE_TYPE, item->domain, item->protocol, 0,
	    core_resolve_cb, item);
	if (r == NULL) {
		wl_warn(MOD, "Could not start a resolver: %s",
			avahi_strerror(avahi_server_errno(m->core->server)));
		return;
	}
	item->resolver = r;
	avahi_s_service_resolver_start(r);
}

static void core_resolve_cb(AvahiSServiceResolver *r, AvahiIfIndex ifindex,
			    AvahiProtocol protocol, AvahiResolverEvent event,
			    const char *name, const char *type,
			    const char *domain, const char *host_name,
			    const AvahiAddress *a, uint16_t port,
			    AvahiStringList *txt, AvahiLookupResultFlags flags,
			    void *userdata)
{
	struct wl_mdns_item *item = userdata;
	struct wl_mdns *m = item->owner;
	char escaped[NAME_LOG_MAX];

	(void)r;
	(void)ifindex;
	(void)protocol;
	(void)type;
	(void)domain;
	(void)host_name;
	(void)flags;
	if (m->stopping)
		return;

	/* The resolver stays alive after its first result so that it
	 * reports changes such as a new address. A later result is not
	 * used as it is, because avahi-core 0.8 keeps the old address when
	 * the SRV record changes. After another node took over the service
	 * name, it reported that node with the address of the old one. A
	 * new resolver starts from a clean state. */
	if (event == AVAHI_RESOLVER_FOUND && item->resolver_reported) {
		core_resolver_start(m, item);
		return;
	}
	if (event == AVAHI_RESOLVER_FOUND) {
		item->resolver_reported = 1;
		wl_mdns_item_resolved(m, item, a, port, txt);
		return;
	}

	wl_log_escape(escaped, sizeof(escaped), name, strlen(name));
	wl_warn(MOD,
		"Could not resolve a service; the node may have stopped "
		"service=\"%s\": %s",
		escaped, avahi_strerror(avahi_server_errno(m->core->server)));
	avahi_s_service_resolver_free(item->resolver);
	item->resolver = NULL;
}

static void core_item_new(struct wl_mdns *m, AvahiIfIndex ifindex,
			  AvahiProtocol protocol, const char *name,
			  const char *domain)
{
	struct wl_mdns_item *item;

	if (!wl_mdns_interface_allowed(m, ifindex) ||
	    wl_mdns_item_find(m, ifindex, protocol, name, domain) != NULL)
		return;

	item = wl_mdns_item_add(m, ifindex, protocol, name, domain);
	if (item == NULL) {
		wl_error(MOD, "Out of memory; a discovered service is ignored");
		return;
	}
	core_resolver_start(m, item);
}

static void core_browse_cb(AvahiSServiceBrowser *b, AvahiIfIndex ifindex,
			   AvahiProtocol protocol, AvahiBrowserEvent event,
			   const char *name, const char *type,
			   const char *domain, AvahiLookupResultFlags flags,
			   void *userdata)
{
	struct wl_mdns *m = userdata;
	struct wl_mdns_item *item;

	(void)b;
	(void)type;
	(void)flags;
	if (m->stopping)
		return;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		core_item_new(m, ifindex, protocol, name, domain);
		break;
	case AVAHI_BROWSER_REMOVE:
		item = wl_mdns_item_find(m, ifindex, protocol, name, domain);
		if (item == NULL)
			break;
		if (item->resolver != NULL)
			avahi_s_service_resolver_free(item->resolver);
		wl_mdns_item_remove(m, item);
		break;
	case AVAHI_BROWSER_FAILURE:
		wl_error(MOD,
			 "Browsing for peers failed; restart the node to "
			 "discover peers again: %s",
			 avahi_strerror(avahi_server_errno(m->core->server)));
		break;
	default:
		break;
	}
}

/* Fill CFG for one node: a host name of its own, no extra records, no
 * unicast DNS, and no other mDNS stack on this network namespace. */
static int core_config(const struct wl_mdns *m, AvahiServerConfig *cfg)
{
	avahi_server_config_init(cfg);
	cfg->host_name = avahi_strdup(m->host_name);
	cfg->publish_workstation = 0;
	cfg->publish_hinfo = 0;
	cfg->publish_domain = 0;
	cfg->enable_wide_area = 0;
	/* With AAAA records on IPv4 as well, two Avahi 0.8 nodes starting at
	 * once with the same host name were seen to rename each other over
	 * and over. */
	cfg->publish_aaaa_on_ipv4 = 0;
	cfg->disallow_other_stacks = 1;
	if (cfg->host_name == NULL)
		return WL_ENOMEM;

	for (size_t i = 0; i < m->n_interfaces; i++) {
		cfg->allow_interfaces = avahi_string_list_add(
		    cfg->allow_interfaces, m->interfaces[i]);
		if (cfg->allow_interfaces == NULL)
			return WL_ENOMEM;
	}
	return 0;
}

/* Return 1 if calls to avahi_entry_group_free reach libavahi-core's own
 * function. libavahi-client 0.8 exports a public function of that name with
 * other arguments, and the library loaded first serves every call, so
 * avahi-core must be linked before avahi-client. */
static int core_symbols_usable(void)
{
	void *lib = dlopen("libavahi-core.so.7", RTLD_NOW | RTLD_NOLOAD);
	void *own = NULL;

	if (lib == NULL)
		return 0;
	own = dlsym(lib, "avahi_entry_group_free");
	dlclose(lib);
	return own != NULL &&
	       own == dlsym(RTLD_DEFAULT, "avahi_entry_group_free");
}

static int core_start(struct wl_mdns *m)
{
	AvahiServerConfig cfg;
	struct wl_mdns_core *c;
	int avahi_err = 0;
	int err;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return WL_ENOMEM;
	m->core = c;
	avahi_set_log_function(core_log);
	if (!core_symbols_usable()) {
		wl_error(MOD,
			 "libavahi-client was loaded before libavahi-core, "
			 "so the embedded stack would call the wrong "
			 "avahi_entry_group_free; link avahi-core first");
		return WL_EIO;
	}

	err = core_config(m, &cfg);
	if (err == 0)
		c->server = avahi_server_new(wl_uvpoll_get(m->poll), &cfg,
					     core_server_cb, m, &avahi_err);
	avahi_server_config_free(&cfg);
	if (err < 0)
		return err;
	if (c->server == NULL) {
		wl_error(MOD,
			 "Could not start the embedded mDNS stack: %s; if "
			 "another mDNS responder such as avahi-daemon runs in "
			 "this network namespace, stop it or use the "
			 "avahi-daemon backend",
			 avahi_strerror(avahi_err));
		return WL_EIO;
	}

	c->browser = avahi_s_service_browser_prepare(
	    c->server, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
	    WL_MDNS_SERVICE_TYPE, NULL, 0, core_browse_cb, m);
	if (c->browser == NULL) {
		wl_error(MOD, "Could not start browsing for peers: %s",
			 avahi_strerror(avahi_server_errno(c->server)));
		return WL_EIO;
	}
	avahi_s_service_browser_start(c->browser);
	return 0;
}

/* Freeing the server frees the group, the browser and every resolver, and
 * sends the goodbye packets that withdraw the service. */
static void core_stop(struct wl_mdns *m)
{
	struct wl_mdns_core *c = m->core;

	if (c->server != NULL)
		avahi_server_free(c->server);
	free(c);
	m->core = NULL;
}

/* Public functions. */

static int config_copy(struct wl_mdns *m, const struct wl_mdns_config *cfg)
{
	m->backend = cfg->backend;
	memcpy(m->node_id, cfg->node_id, WL_MDNS_NODE_SIZE);
	memcpy(m->site_id, cfg->site_id, WL_MDNS_SITE_SIZE);
	m->port = cfg->port;
	m->found = cfg->found;
	m->removed = cfg->removed;
	m->arg = cfg->arg;

	m->txt = wl_mdns_txt_build(m->node_id, m->site_id);
	m->service_base = wl_mdns_service_name_make(cfg->name);
	m->service_name = wl_mdns_service_name_make(cfg->name);
	m->host_name = wl_mdns_host_name_make(cfg->name, m->node_id);
	if (m->txt == NULL || m->service_base == NULL ||
	    m->service_name == NULL || m->host_name == NULL)
		return WL_ENOMEM;

	if (cfg->n_interfaces == 0)
		return 0;
	m->interfaces = calloc(cfg->n_interfaces, sizeof(char *));
	if (m->interfaces == NULL)
		return WL_ENOMEM;
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		m->interfaces[i] = strdup(cfg->interfaces[i]);
		if (m->interfaces[i] == NULL)
			return WL_ENOMEM;
		m->n_interfaces = i + 1;
	}
	return 0;
}

static void mdns_free(struct wl_mdns *m)
{
	m->stopping = 1;
	if (m->core != NULL)
		core_stop(m);
	if (m->client != NULL)
		wl_mdns_client_stop(m);
	wl_mdns_items_clear(m);
	wl_uvpoll_free(m->poll);

	for (size_t i = 0; i < m->n_interfaces; i++)
		free(m->interfaces[i]);
	free(m->interfaces);
	avahi_string_list_free(m->txt);
	free(m->service_base);
	free(m->service_name);
	free(m->host_name);
	free(m);
}

int wl_mdns_start(uv_loop_t *loop, const struct wl_mdns_config *cfg,
		  struct wl_mdns **out)
{
	struct wl_mdns *m;
	int err;

	*out = NULL;
	if (cfg->node_id == NULL || cfg->site_id == NULL || cfg->name == NULL ||
	    (cfg->n_interfaces > 0 && cfg->interfaces == NULL) ||
	    (cfg->backend != WL_MDNS_EMBEDDED &&
	     cfg->backend != WL_MDNS_AVAHI_DAEMON))
		return WL_EINVAL;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return WL_ENOMEM;
	m->loop = loop;

	err = config_copy(m, cfg);
	if (err == 0)
		err = wl_uvpoll_new(loop, &m->poll);
	if (err == 0 && m->backend == WL_MDNS_EMBEDDED)
		err = core_start(m);
	else if (err == 0)
		err = wl_mdns_client_start(m);
	if (err < 0) {
		mdns_free(m);
		return err;
	}

	*out = m;
	return 0;
}

void wl_mdns_stop(struct wl_mdns *m)
{
	char name[NAME_LOG_MAX];

	if (m == NULL)
		return;

	wl_log_escape(name, sizeof(name), m->service_name,
		      strlen(m->service_name));
	mdns_free(m);
	wl_info(MOD, "Service withdrawn service=\"%s\"", name);
}
