/* The avahi-daemon backend of the mDNS module, on avahi-client over the
 * D-Bus system bus. The shared code is in mdns.c. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>

#include "wardline/error.h"
#include "wardline/log.h"
#include "wardline/mdns_backend.h"

#define MOD "mdns"

/* Delay in milliseconds before a new client after a failure other than a
 * lost daemon. After a lost daemon the new client comes at once and waits
 * for the daemon to return. */
#define RETRY_MS 5000

#define RENAME_MAX   16
#define NAME_LOG_MAX (4 * 63 + 1)

typedef int (*entry_group_free_fn)(AvahiEntryGroup *g);

/* Freed in the close callback of RETRY, after wl_mdns_client_stop. */
struct wl_mdns_client {
	struct wl_mdns *m;
	entry_group_free_fn group_free;
	AvahiClient *client;
	AvahiEntryGroup *group;
	AvahiServiceBrowser *browser;
	uv_timer_t retry;
	int started; /* wl_mdns_client_start has returned 0 */
};

static const char *client_error(AvahiClient *c)
{
	return avahi_strerror(avahi_client_errno(c));
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state,
		     void *userdata);

/* Add the service to the entry group and commit it. Runs when the daemon
 * reaches AVAHI_CLIENT_S_RUNNING and after a service name collision. */
static void client_publish(struct wl_mdns_client *mc, AvahiClient *c)
{
	struct wl_mdns *m = mc->m;
	int err = AVAHI_ERR_COLLISION;

	/* NOTE: when avahi-daemon rejects the new group, avahi_entry_group_new
	 * frees it by the clashing name (see group_free_lookup) and aborts
	 * on an assertion in libavahi-core. Only a daemon that fails at this
	 * moment does that. */
	if (mc->group == NULL)
		mc->group = avahi_entry_group_new(c, group_cb, mc);
	if (mc->group == NULL) {
		wl_error(MOD,
			 "Could not create the entry group; the service is "
			 "not published: %s",
			 client_error(c));
		return;
	}
	if (!avahi_entry_group_is_empty(mc->group))
		return;

	/* NOTE: the service goes on every interface avahi-daemon uses, as
	 * its allow-interfaces setting decides. The configured interface
	 * list only filters the peers found. */
	for (int i = 0; i < RENAME_MAX && err == AVAHI_ERR_COLLISION; i++) {
		err = avahi_entry_group_add_service_strlst(
		    mc->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
		    m->service_name, WL_MDNS_SERVICE_TYPE, NULL, NULL, m->port,
		    m->txt);
		if (err == AVAHI_ERR_COLLISION && wl_mdns_service_rename(m) < 0)
			break;
	}
	if (err == 0)
		err = avahi_entry_group_commit(mc->group);
	if (err < 0)
		wl_error(MOD,
			 "Could not publish the service through avahi-daemon; "
			 "peers will not find this node until it restarts: %s",
			 avahi_strerror(err));
}

/* avahi_entry_group_new may call this before it returns, so G, not
 * mc->group, is the group to use. */
static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state,
		     void *userdata)
{
	struct wl_mdns_client *mc = userdata;
	struct wl_mdns *m = mc->m;
	AvahiClient *c = avahi_entry_group_get_client(g);
	char name[NAME_LOG_MAX];

	if (m->stopping)
		return;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		wl_log_escape(name, sizeof(name), m->service_name,
			      strlen(m->service_name));
		wl_info(MOD,
			"Service published through avahi-daemon "
			"service=\"%s\" host=%s port=%u",
			name, avahi_client_get_host_name(c), (unsigned)m->port);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		if (wl_mdns_service_rename(m) < 0) {
			wl_error(MOD, "Out of memory renaming the service");
			break;
		}
		avahi_entry_group_reset(g);
		client_publish(mc, c);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		wl_error(MOD,
			 "Publishing the service failed; peers will not find "
			 "this node until it restarts: %s",
			 client_error(c));
		break;
	default:
		break;
	}
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifindex,
		       AvahiProtocol protocol, AvahiResolverEvent event,
		       const char *name, const char *type, const char *domain,
		       const char *host_name, const AvahiAddress *a,
		       uint16_t port, AvahiStringList *txt,
		       AvahiLookupResultFlags flags, void *userdata);

/* Start a resolver for ITEM, replacing any it has. */
static void resolver_start(AvahiClient *c, struct wl_mdns_item *item)
{
	if (item->resolver != NULL)
		avahi_service_resolver_free(item->resolver);
	item->resolver_reported = 0;

	item->resolver = avahi_service_resolver_new(
	    c, item->ifindex, item->protocol, item->name, WL_MDNS_SERVICE_TYPE,
	    item->domain, item->protocol, 0, resolve_cb, item);
	if (item->resolver == NULL)
		wl_warn(MOD, "Could not start a resolver: %s", client_error(c));
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifindex,
		       AvahiProtocol protocol, AvahiResolverEvent event,
		       const char *name, const char *type, const char *domain,
		       const char *host_name, const AvahiAddress *a,
		       uint16_t port, AvahiStringList *txt,
		       AvahiLookupResultFlags flags, void *userdata)
{
	struct wl_mdns_item *item = userdata;
	struct wl_mdns *m = item->owner;
	AvahiClient *c = avahi_service_resolver_get_client(r);
	char escaped[NAME_LOG_MAX];

	(void)ifindex;
	(void)protocol;
	(void)type;
	(void)domain;
	(void)host_name;
	(void)flags;
	if (m->stopping)
		return;

	/* avahi-daemon runs the same avahi-core resolver as the embedded
	 * backend, so a later result gets a new resolver there as well (see
	 * core_resolve_cb in mdns.c). */
	if (event == AVAHI_RESOLVER_FOUND && item->resolver_reported) {
		resolver_start(c, item);
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
		escaped, client_error(c));
	avahi_service_resolver_free(r);
	item->resolver = NULL;
}

static void item_new(struct wl_mdns_client *mc, AvahiClient *c,
		     AvahiIfIndex ifindex, AvahiProtocol protocol,
		     const char *name, const char *domain)
{
	struct wl_mdns *m = mc->m;
	struct wl_mdns_item *item;

	if (!wl_mdns_interface_allowed(m, ifindex) ||
	    wl_mdns_item_find(m, ifindex, protocol, name, domain) != NULL)
		return;

	item = wl_mdns_item_add(m, ifindex, protocol, name, domain);
	if (item == NULL) {
		wl_error(MOD, "Out of memory; a discovered service is ignored");
		return;
	}
	resolver_start(c, item);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex ifindex,
		      AvahiProtocol protocol, AvahiBrowserEvent event,
		      const char *name, const char *type, const char *domain,
		      AvahiLookupResultFlags flags, void *userdata)
{
	struct wl_mdns_client *mc = userdata;
	struct wl_mdns *m = mc->m;
	AvahiClient *c = avahi_service_browser_get_client(b);
	struct wl_mdns_item *item;

	(void)type;
	(void)flags;
	if (m->stopping)
		return;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		item_new(mc, c, ifindex, protocol, name, domain);
		break;
	case AVAHI_BROWSER_REMOVE:
		item = wl_mdns_item_find(m, ifindex, protocol, name, domain);
		if (item == NULL)
			break;
		if (item->resolver != NULL)
			avahi_service_resolver_free(item->resolver);
		wl_mdns_item_remove(m, item);
		break;
	case AVAHI_BROWSER_FAILURE:
		wl_error(MOD,
			 "Browsing for peers through avahi-daemon failed; "
			 "restart the node to discover peers again: %s",
			 client_error(c));
		break;
	default:
		break;
	}
}

static void client_browse(struct wl_mdns_client *mc, AvahiClient *c)
{
	if (mc->browser != NULL)
		return;

	mc->browser = avahi_service_browser_new(
	    c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, WL_MDNS_SERVICE_TYPE, NULL,
	    0, browse_cb, mc);
	if (mc->browser == NULL)
		wl_error(MOD,
			 "Could not browse for peers through avahi-daemon; "
			 "restart the node to discover peers: %s",
			 client_error(c));
}

/* Look up avahi_entry_group_free in libavahi-client itself. Avahi 0.8's
 * libavahi-core exports an internal function of the same name that takes
 * (AvahiServer *, AvahiSEntryGroup *). Every call by that name, also the one
 * inside avahi_client_free, goes to the library loaded first, and that must
 * be libavahi-core or the embedded stack breaks. So the group is freed
 * through this pointer before avahi_client_free, which then finds no group
 * to free. */
static entry_group_free_fn group_free_lookup(void)
{
	void *lib = dlopen("libavahi-client.so.3", RTLD_NOW | RTLD_NOLOAD);
	entry_group_free_fn fn = NULL;
	void *sym;

	if (lib == NULL)
		return NULL;
	sym = dlsym(lib, "avahi_entry_group_free");
	memcpy(&fn, &sym, sizeof(fn));
	dlclose(lib);
	return fn;
}

/* Free the client with its group, browser and resolvers. The items go
 * without removal reports: the peers were not seen to leave. */
static void client_drop(struct wl_mdns_client *mc)
{
	if (mc->group != NULL)
		mc->group_free(mc->group);
	mc->group = NULL;
	if (mc->client != NULL)
		avahi_client_free(mc->client);
	mc->client = NULL;
	mc->browser = NULL;
	wl_mdns_items_clear(mc->m);
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *userdata);

static void retry_cb(uv_timer_t *timer)
{
	struct wl_mdns_client *mc = timer->data;
	int err = 0;

	client_drop(mc);
	mc->client =
	    avahi_client_new(wl_uvpoll_get(mc->m->poll), AVAHI_CLIENT_NO_FAIL,
			     client_cb, mc, &err);
	if (mc->client != NULL)
		return;

	wl_warn(MOD,
		"Could not connect to the D-Bus system bus; retrying in %d s: "
		"%s",
		RETRY_MS / 1000, avahi_strerror(err));
	uv_timer_start(&mc->retry, retry_cb, RETRY_MS, 0);
}

/* A client in the failure state is of no further use. It is replaced from
 * a timer, not here, because this runs inside its own D-Bus dispatch. */
static void client_failed(struct wl_mdns_client *mc, AvahiClient *c)
{
	int err = avahi_client_errno(c);

	if (err == AVAHI_ERR_DISCONNECTED) {
		wl_warn(MOD, "Lost avahi-daemon; discovery resumes when it is "
			     "back, existing peer links are not affected");
		uv_timer_start(&mc->retry, retry_cb, 0, 0);
		return;
	}
	wl_error(MOD, "The avahi-daemon client failed; retrying in %d s: %s",
		 RETRY_MS / 1000, avahi_strerror(err));
	uv_timer_start(&mc->retry, retry_cb, RETRY_MS, 0);
}

/* avahi_client_new calls this before it returns, so C, not mc->client, is
 * the client to use. */
static void client_cb(AvahiClient *c, AvahiClientState state, void *userdata)
{
	struct wl_mdns_client *mc = userdata;

	if (mc->m->stopping)
		return;

	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		client_publish(mc, c);
		client_browse(mc, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* The daemon is choosing a new host name. The service is
		 * added again once it is running. */
		if (mc->group != NULL)
			avahi_entry_group_reset(mc->group);
		break;
	case AVAHI_CLIENT_FAILURE:
		client_failed(mc, c);
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (mc->started)
			wl_info(MOD, "Waiting for avahi-daemon to start");
		break;
	}
}

static void client_free_cb(uv_handle_t *handle)
{
	free(handle->data);
}

int wl_mdns_client_start(struct wl_mdns *m)
{
	struct wl_mdns_client *mc = calloc(1, sizeof(*mc));
	int err = 0;

	if (mc == NULL)
		return WL_ENOMEM;
	mc->m = m;
	uv_timer_init(m->loop, &mc->retry);
	mc->retry.data = mc;
	m->client = mc;

	mc->group_free = group_free_lookup();
	if (mc->group_free == NULL) {
		wl_error(MOD, "Could not find avahi_entry_group_free in "
			      "libavahi-client.so.3; use the embedded backend");
		return WL_EIO;
	}

	/* AVAHI_CLIENT_NO_FAIL lets a client made after a lost daemon wait
	 * for its return. At start a missing daemon is still an error. */
	mc->client = avahi_client_new(
	    wl_uvpoll_get(m->poll), AVAHI_CLIENT_NO_FAIL, client_cb, mc, &err);
	if (mc->client == NULL) {
		wl_error(MOD,
			 "Could not connect to the D-Bus system bus: %s; start "
			 "dbus and avahi-daemon or use the embedded backend",
			 avahi_strerror(err));
		return WL_EIO;
	}
	if (avahi_client_get_state(mc->client) == AVAHI_CLIENT_CONNECTING) {
		wl_error(MOD, "avahi-daemon is not running; start it or use "
			      "the embedded backend");
		return WL_EIO;
	}

	mc->started = 1;
	return 0;
}

void wl_mdns_client_stop(struct wl_mdns *m)
{
	struct wl_mdns_client *mc = m->client;

	client_drop(mc);
	uv_close((uv_handle_t *)&mc->retry, client_free_cb);
	m->client = NULL;
}
