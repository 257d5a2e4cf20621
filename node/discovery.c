/* The address book of peers and its reconnect schedule. */
#include "wardline/discovery.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wardline/error.h"

struct wl_discovery {
	uint32_t min_ms;
	uint32_t max_ms;
	struct wl_contact **contacts;
	size_t n;
	size_t cap;
};

int wl_discovery_new(uint32_t backoff_min_ms, uint32_t backoff_max_ms,
		     struct wl_discovery **out)
{
	struct wl_discovery *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d == NULL)
		return WL_ENOMEM;
	d->min_ms = backoff_min_ms ? backoff_min_ms : 1;
	d->max_ms = backoff_max_ms < d->min_ms ? d->min_ms : backoff_max_ms;
	*out = d;
	return 0;
}

void wl_discovery_free(struct wl_discovery *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->contacts[i]);
	free(d->contacts);
	free(d);
}

int wl_discovery_parse(const char *text, char addr[64], uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	const char *host = text;
	size_t hostlen;
	unsigned char bin[16];
	char *end;
	long p;

	if (colon == NULL)
		return WL_EINVAL;
	hostlen = (size_t)(colon - text);
	if (hostlen >= 2 && text[0] == '[' && colon[-1] == ']') {
		host++;
		hostlen -= 2;
	}
	if (hostlen == 0 || hostlen >= 64)
		return WL_EINVAL;

	memcpy(addr, host, hostlen);
	addr[hostlen] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p < 1 || p > 65535)
		return WL_EINVAL;
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return WL_EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static struct wl_contact *find_addr(struct wl_discovery *d, const char *addr,
				    uint16_t port)
{
	for (size_t i = 0; i < d->n; i++) {
		struct wl_contact *c = d->contacts[i];

		if (c->port == port && strcmp(c->addr, addr) == 0)
			return c;
	}
	return NULL;
}

struct wl_contact *wl_discovery_find(struct wl_discovery *d,
				     const unsigned char node[32])
{
	for (size_t i = 0; i < d->n; i++) {
		struct wl_contact *c = d->contacts[i];

		if (c->node_known && memcmp(c->node, node, 32) == 0)
			return c;
	}
	return NULL;
}

static struct wl_contact *contact_new(struct wl_discovery *d)
{
	struct wl_contact *c;

	if (d->n == WL_DISCOVERY_MAX)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct wl_contact **grown =
			realloc(d->contacts, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		d->contacts = grown;
		d->cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		d->contacts[d->n++] = c;
	return c;
}

static void contact_remove(struct wl_discovery *d, size_t i)
{
	free(d->contacts[i]);
	d->contacts[i] = d->contacts[--d->n];
}

struct wl_contact *wl_discovery_add(struct wl_discovery *d,
				    const unsigned char *node,
				    const char *addr, uint16_t port,
				    unsigned source)
{
	struct wl_contact *c = node ? wl_discovery_find(d, node) : NULL;

	if (strlen(addr) >= sizeof(c->addr))
		return NULL;
	if (c == NULL)
		c = find_addr(d, addr, port);
	if (c != NULL && node && c->node_known && memcmp(c->node, node, 32))
		c = NULL; /* that address now belongs to another node */
	if (c == NULL) {
		c = contact_new(d);
		if (c == NULL)
			return NULL;
	}

	if (node) {
		memcpy(c->node, node, 32);
		c->node_known = 1;
	}
	if (port != 0 && (strcmp(c->addr, addr) != 0 || c->port != port)) {
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->port = port;
		c->failures = 0;
		c->next_attempt_ms = 0;
	}
	c->sources |= source;
	return c;
}

struct wl_contact *wl_discovery_identify(struct wl_discovery *d,
					 struct wl_contact *c,
					 const unsigned char node[32])
{
	struct wl_contact *other = wl_discovery_find(d, node);

	if (other != NULL && other != c) {
		/* Keep the contact that has the link; carry the rest over. */
		other->sources |= c->sources;
		if (other->port == 0 && c->port != 0) {
			snprintf(other->addr, sizeof(other->addr), "%s",
				 c->addr);
			other->port = c->port;
		}
		if (c->link && !other->link)
			other->link = c->link;
		for (size_t i = 0; i < d->n; i++)
			if (d->contacts[i] == c)
				contact_remove(d, i);
		return other;
	}
	memcpy(c->node, node, 32);
	c->node_known = 1;
	return c;
}

void wl_discovery_drop(struct wl_discovery *d, unsigned source,
		       const unsigned char *node)
{
	for (size_t i = d->n; i-- > 0;) {
		struct wl_contact *c = d->contacts[i];

		if (node && (!c->node_known || memcmp(c->node, node, 32)))
			continue;
		c->sources &= ~source;
		if (c->sources == 0 && c->link == NULL)
			contact_remove(d, i);
	}
}

void wl_discovery_forget(struct wl_discovery *d, const unsigned char node[32])
{
	for (size_t i = d->n; i-- > 0;) {
		struct wl_contact *c = d->contacts[i];

		if (c->node_known && memcmp(c->node, node, 32) == 0)
			contact_remove(d, i);
	}
}

void wl_discovery_failed(struct wl_discovery *d, struct wl_contact *c,
			 uint64_t now_ms, uint32_t random)
{
	uint64_t delay = d->min_ms;
	double jitter = 0.5 + (double)random / 4294967296.0;

	if (c->failures < 32)
		c->failures++;
	for (uint32_t i = 1; i < c->failures && delay < d->max_ms; i++)
		delay *= 2;
	if (delay > d->max_ms)
		delay = d->max_ms;
	c->next_attempt_ms = now_ms + (uint64_t)((double)delay * jitter);
}

void wl_discovery_linked(struct wl_contact *c, uint64_t now_ms)
{
	c->failures = 0;
	c->next_attempt_ms = 0;
	c->last_linked_ms = now_ms;
}

size_t wl_discovery_list(struct wl_discovery *d, struct wl_contact ***out)
{
	*out = d->contacts;
	return d->n;
}

uint64_t wl_discovery_next_due(struct wl_discovery *d)
{
	uint64_t due = UINT64_MAX;

	for (size_t i = 0; i < d->n; i++) {
		struct wl_contact *c = d->contacts[i];

		if (c->link == NULL && c->port != 0 && c->next_attempt_ms < due)
			due = c->next_attempt_ms;
	}
	return due;
}
