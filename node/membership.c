/* Membership changes written by a user, checked before they are written. */
#include "wardline/membership.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/audit.h"
#include "wardline/error.h"
#include "wardline/hlc.h"

#define RECIPIENTS_MAX WL_MEMBERSHIP_RECIPIENTS_MAX

/* The events of one commit (a membership change and its envelopes) and
 * the recipient lists they are built from. Nothing in it is secret. */
struct batch {
	struct wl_feed_item items[RECIPIENTS_MAX + 1];
	unsigned char bodies[RECIPIENTS_MAX + 1][WL_SPACE_CHANGE_JSON_MAX];
	size_t n;
	unsigned char to[RECIPIENTS_MAX][16];
	size_t n_to;
	unsigned char missing[RECIPIENTS_MAX][16];
};

static uint64_t now_ms(void)
{
	return wl_hlc_system_wall(NULL);
}

/* The first key the author holds for (S, EPOCH), or NULL. */
static const unsigned char *held_key(const struct wl_membership_writer *w,
				     const struct wl_space *s, uint32_t epoch)
{
	return w->keyring ? wl_keyring_get(w->keyring, s->id, epoch, 0) : NULL;
}

static int listed(unsigned char (*ids)[16], size_t n,
		  const unsigned char id[16])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(ids[i], id, 16) == 0)
			return 1;
	return 0;
}

/* Add ID to the recipients of B unless it is there. */
static int to_add(struct batch *b, const unsigned char id[16])
{
	if (listed(b->to, b->n_to, id))
		return 0;
	if (b->n_to == RECIPIENTS_MAX)
		return WL_ETOOBIG;
	memcpy(b->to[b->n_to++], id, 16);
	return 0;
}

/* Set the recipients of B to those of the current epoch of S, but EXCEPT
 * (may be NULL). */
static int to_recipients(const struct wl_membership_writer *w,
			 const struct wl_space *s, const unsigned char *except,
			 struct batch *b)
{
	size_t n =
	    wl_space_recipients(w->spaces, s, now_ms(), b->to, RECIPIENTS_MAX);

	if (n > RECIPIENTS_MAX)
		return WL_ETOOBIG;
	b->n_to = 0;
	for (size_t k = 0; k < n; k++)
		if (except == NULL || memcmp(b->to[k], except, 16) != 0)
			memmove(b->to[b->n_to++], b->to[k], 16);
	return 0;
}

/* Add the membership change C, signed by the author, to B. */
static int batch_change(const struct wl_membership_writer *w, struct batch *b,
			const struct wl_space_change *c)
{
	struct wl_feed_item *it = &b->items[b->n];
	int rc;

	memset(it, 0, sizeof(*it));
	rc = wl_space_change_encode(c, b->bodies[b->n], sizeof(b->bodies[0]),
				    &it->body_len);
	if (rc != 0)
		return rc;
	it->kind = WL_KIND_MEMBERSHIP;
	it->author_sk = w->sign_sk;
	it->body = b->bodies[b->n++];
	return 0;
}

/* Add envelopes of KEY (SPACE, EPOCH) for the N users of TO to B. */
static int batch_seal(const struct wl_membership_writer *w, struct batch *b,
		      const unsigned char space[16], uint32_t epoch,
		      const unsigned char key[32], unsigned char (*to)[16],
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wl_user *u = wl_users_by_id(w->users, to[i]);
		struct wl_feed_item *it = &b->items[b->n];
		struct wl_keys_envelope env;
		int rc;

		if (u == NULL)
			return WL_EINVAL;
		if (b->n == RECIPIENTS_MAX + 1)
			return WL_ETOOBIG;
		rc = wl_keys_envelope_seal(space, epoch, key, to[i],
					   u->bundle.box_pk, &env);
		memset(it, 0, sizeof(*it));
		if (rc == 0)
			rc = wl_keys_envelope_encode(&env, b->bodies[b->n],
						     sizeof(b->bodies[0]),
						     &it->body_len);
		if (rc != 0)
			return rc;
		it->kind = WL_KIND_KEY_ENVELOPE;
		it->author_sk = w->sign_sk;
		it->body = b->bodies[b->n++];
	}
	return 0;
}

static int batch_write(const struct wl_membership_writer *w, struct batch *b)
{
	int rc = b->n ? w->append(w->append_arg, b->items, b->n) : 0;

	b->n = 0;
	return rc;
}

/* Give C the public half of the audit key pair of KEY when it starts an
 * epoch of the audit space. */
static void audit_pk_set(enum wl_space_kind kind, const unsigned char key[32],
			 struct wl_space_change *c)
{
	unsigned char audit_sk[32];

	if (kind != WL_SPACE_AUDIT)
		return;
	wl_audit_keypair(key, c->audit_pk, audit_sk);
	sodium_memzero(audit_sk, sizeof(audit_sk));
	c->has_audit_pk = 1;
}

/* Write C (create, remove or rotate) in a space of KIND with a new KEY
 * sealed to the recipients of B, in one commit, and keep the key when the
 * author is one of them. */
static int write_epoch(const struct wl_membership_writer *w, struct batch *b,
		       enum wl_space_kind kind, struct wl_space_change *c,
		       unsigned char key[32])
{
	int rc;

	wl_keys_space_key_new(key);
	audit_pk_set(kind, key, c);
	rc = batch_change(w, b, c);
	if (rc == 0)
		rc = batch_seal(w, b, c->space_id, c->epoch, key, b->to,
				b->n_to);
	if (rc == 0)
		rc = batch_write(w, b);
	if (rc == 0 && w->keyring != NULL && listed(b->to, b->n_to, w->user_id))
		rc = wl_keyring_add(w->keyring, c->space_id, c->epoch, key);
	return rc;
}

/* Start epoch S->epoch + 1 of S with a new key sealed to every recipient
 * but REMOVED (may be NULL), by the change C (remove or rotate) that
 * change_init filled. */
static int new_epoch(const struct wl_membership_writer *w,
		     const struct wl_space *s, struct wl_space_change *c,
		     const unsigned char *removed)
{
	struct batch *b = calloc(1, sizeof(*b));
	unsigned char *key = sodium_malloc(32);
	int rc = b && key ? 0 : WL_ENOMEM;

	if (rc == 0)
		rc = to_recipients(w, s, removed, b);
	if (rc == 0)
		rc = write_epoch(w, b, s->kind, c, key);
	sodium_free(key);
	free(b);
	return rc;
}

/* Start C as the change OP of S at EPOCH about USER (NULL for a rotate). */
static void change_init(struct wl_space_change *c, enum wl_space_op op,
			const struct wl_space *s, uint32_t epoch,
			const unsigned char *user)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	memcpy(c->space_id, s->id, 16);
	c->epoch = epoch;
	if (user != NULL)
		memcpy(c->user, user, 16);
}

/* Write C (add or grant) and the envelope of KEY (C's epoch) to USER. */
static int write_with_envelope(const struct wl_membership_writer *w,
			       const struct wl_space_change *c,
			       const unsigned char key[32],
			       const unsigned char user[16])
{
	struct batch *b = calloc(1, sizeof(*b));
	int rc = b ? 0 : WL_ENOMEM;

	if (rc == 0)
		rc = to_add(b, user);
	if (rc == 0)
		rc = batch_change(w, b, c);
	if (rc == 0)
		rc = batch_seal(w, b, c->space_id, c->epoch, key, b->to, 1);
	if (rc == 0)
		rc = batch_write(w, b);
	free(b);
	return rc;
}

/* Check a create against the rules of the fold before anything is
 * written. */
static int create_check(const struct wl_membership_writer *w,
			enum wl_space_kind kind, const char *name,
			const unsigned char (*members)[16], size_t n)
{
	const struct wl_user *author = wl_users_by_id(w->users, w->user_id);

	if ((unsigned)kind >= WL_SPACE_SITE || name == NULL ||
	    strlen(name) > WL_SPACE_NAME_MAX)
		return WL_EINVAL;
	if (n > WL_SPACE_CREATE_MEMBERS_MAX)
		return WL_ETOOBIG;
	if (author == NULL || author->bundle.disabled)
		return WL_EDENIED;
	/* Wards, mailboxes and the audit space belong to the site, which
	 * admins manage; anyone may start a direct conversation. */
	if (kind != WL_SPACE_DIRECT &&
	    wl_access_allowed(author->bundle.role, WL_ACTION_MANAGE_USERS,
			      WL_SPACE_SITE, 0, 0) != 0)
		return WL_EDENIED;
	if (kind != WL_SPACE_DIRECT && wl_spaces_by_name(w->spaces, name))
		return WL_EEXIST;
	if (kind == WL_SPACE_AUDIT && wl_spaces_audit(w->spaces) != NULL)
		return WL_EEXIST;
	for (size_t i = 0; i < n; i++)
		if (wl_users_by_id(w->users, members[i]) == NULL)
			return WL_EINVAL;
	return 0;
}

/* The first recipients of a new space of KIND: the author, the members
 * named in C and, in a ward, every other admin. */
static int create_recipients(const struct wl_membership_writer *w,
			     const struct wl_space_change *c, struct batch *b)
{
	int rc = to_add(b, w->user_id);

	for (size_t i = 0; rc == 0 && i < c->n_members; i++)
		rc = to_add(b, c->members[i]);
	for (size_t i = 0; rc == 0 && c->kind == WL_SPACE_WARD &&
			   i < wl_users_count(w->users);
	     i++) {
		const struct wl_user *u = wl_users_at(w->users, i);

		if (u->bundle.role == WL_ROLE_ADMIN && !u->bundle.disabled)
			rc = to_add(b, u->bundle.user_id);
	}
	return rc;
}

int wl_membership_create(const struct wl_membership_writer *w,
			 enum wl_space_kind kind, const char *name,
			 const unsigned char (*members)[16], size_t n,
			 unsigned char out_id[16], size_t *sealed)
{
	struct wl_space_change c;
	struct batch *b = NULL;
	unsigned char *key = NULL;
	int rc;

	if (sealed != NULL)
		*sealed = 0;
	rc = create_check(w, kind, name, members, n);
	if (rc != 0)
		return rc;

	memset(&c, 0, sizeof(c));
	c.op = WL_SPACE_OP_CREATE;
	c.epoch = 1;
	c.kind = kind;
	snprintf(c.name, sizeof(c.name), "%s", name);
	randombytes_buf(c.space_id, 16);
	for (size_t i = 0; i < n; i++)
		memcpy(c.members[i], members[i], 16);
	c.n_members = n;

	b = calloc(1, sizeof(*b));
	key = sodium_malloc(32);
	rc = b && key ? create_recipients(w, &c, b) : WL_ENOMEM;
	if (rc == 0)
		rc = write_epoch(w, b, kind, &c, key);
	if (rc == 0) {
		memcpy(out_id, c.space_id, 16);
		if (sealed != NULL)
			*sealed = b->n_to;
	}
	sodium_free(key);
	free(b);
	return rc;
}

int wl_membership_add(const struct wl_membership_writer *w,
		      const struct wl_space *s, const unsigned char user[16])
{
	struct wl_space_change c;
	const unsigned char *key;

	if (wl_space_may(w->spaces, s, w->user_id, WL_ACTION_ADD_MEMBER,
			 now_ms(), NULL) != 0)
		return WL_EDENIED;
	if (wl_users_by_id(w->users, user) == NULL)
		return WL_EINVAL;
	key = held_key(w, s, s->epoch);
	if (key == NULL)
		return WL_ENOTFOUND;

	change_init(&c, WL_SPACE_OP_ADD, s, s->epoch, user);
	return write_with_envelope(w, &c, key, user);
}

int wl_membership_remove(const struct wl_membership_writer *w,
			 const struct wl_space *s, const unsigned char user[16])
{
	const struct wl_user *u = wl_users_by_id(w->users, user);
	struct wl_space_change c;

	if (wl_space_may(w->spaces, s, w->user_id, WL_ACTION_REMOVE_MEMBER,
			 now_ms(), NULL) != 0)
		return WL_EDENIED;
	if (u == NULL || !listed(s->members, s->n_members, user) ||
	    (s->kind == WL_SPACE_WARD && u->bundle.role == WL_ROLE_ADMIN))
		return WL_ENOTFOUND;

	change_init(&c, WL_SPACE_OP_REMOVE, s, s->epoch + 1, user);
	return new_epoch(w, s, &c, user);
}

int wl_membership_rotate(const struct wl_membership_writer *w,
			 const struct wl_space *s)
{
	struct wl_space_change c;

	if (!wl_space_is_member(w->spaces, s, w->user_id))
		return WL_EDENIED;

	change_init(&c, WL_SPACE_OP_ROTATE, s, s->epoch + 1, NULL);
	return new_epoch(w, s, &c, NULL);
}

int wl_membership_grant(const struct wl_membership_writer *w,
			const struct wl_space *s, const unsigned char user[16],
			uint64_t expires_ms, const char *reason)
{
	uint64_t now = now_ms();
	struct wl_space_change c;
	const unsigned char *key;
	int rc;

	if (s->kind != WL_SPACE_WARD ||
	    wl_space_may(w->spaces, s, w->user_id,
			 WL_ACTION_GRANT_EMERGENCY_ACCESS, now, NULL) != 0)
		return WL_EDENIED;
	if (wl_users_by_id(w->users, user) == NULL)
		return WL_EINVAL;
	if (expires_ms <= now || expires_ms - now > WL_ACCESS_GRANT_MAX_MS)
		return WL_ERANGE;
	key = held_key(w, s, s->epoch);
	if (key == NULL)
		return WL_ENOTFOUND;

	change_init(&c, WL_SPACE_OP_GRANT, s, s->epoch, user);
	c.expires_ms = expires_ms;
	rc = wl_space_reason_seal(&c, key, reason);
	if (rc == 0)
		rc = write_with_envelope(w, &c, key, user);
	return rc;
}

int wl_membership_may_seal(const struct wl_membership_writer *w,
			   const struct wl_space *s)
{
	const struct wl_space_epoch *e = wl_space_epoch_at(s, s->epoch);
	uint64_t now = now_ms();

	if (e != NULL && memcmp(e->starter, w->user_id, 16) == 0)
		return 1;
	return wl_space_may(w->spaces, s, w->user_id, WL_ACTION_ADD_MEMBER, now,
			    NULL) == 0 ||
	       wl_space_may(w->spaces, s, w->user_id,
			    WL_ACTION_GRANT_EMERGENCY_ACCESS, now, NULL) == 0;
}

/* The newest revocation in STORE, as an HLC; 0 if there is none. */
static uint64_t last_revocation(struct wl_store *store)
{
	struct wl_store_copy *all = NULL;
	size_t n = 0;
	uint64_t hlc = 0;

	if (wl_store_collect_kind(store, WL_KIND_REVOCATION, &all, &n) == 0 &&
	    n > 0)
		hlc = all[n - 1].hlc;
	wl_store_copies_free(all, n);
	return hlc;
}

const char *wl_membership_rotation_reason(const struct wl_membership_writer *w,
					  const struct wl_space *s)
{
	const struct wl_space_epoch *e = wl_space_epoch_at(s, s->epoch);

	if (s->rotation_due)
		return "a removal raced another";
	if (e != NULL && last_revocation(w->store) > e->hlc)
		return "a device was revoked";
	return NULL;
}

/* Seal the key of EPOCH of S, when the author has it, to each recipient
 * in B that lacks it; add the count to *TOTAL. */
static int sync_epoch(const struct wl_membership_writer *w,
		      const struct wl_space *s, uint32_t epoch, struct batch *b,
		      size_t *total)
{
	const unsigned char *key = held_key(w, s, epoch);
	size_t m = 0;
	int rc;

	if (key == NULL)
		return 0;
	for (size_t k = 0; k < b->n_to; k++)
		if (!wl_space_has_envelope(w->spaces, s, b->to[k], epoch))
			memcpy(b->missing[m++], b->to[k], 16);
	rc = batch_seal(w, b, s->id, epoch, key, b->missing, m);
	if (rc == 0)
		rc = batch_write(w, b);
	if (rc == 0)
		*total += m;
	return rc;
}

/* Sync S with the buffers B; add the count to *TOTAL. */
static int sync_space(const struct wl_membership_writer *w,
		      const struct wl_space *s, struct batch *b, size_t *total)
{
	int rc;

	if (!wl_membership_may_seal(w, s))
		return 0;
	rc = to_recipients(w, s, NULL, b);
	for (uint32_t ep = 1; rc == 0 && ep <= s->epoch; ep++)
		rc = sync_epoch(w, s, ep, b, total);
	return rc;
}

int wl_membership_sync_space(const struct wl_membership_writer *w,
			     const struct wl_space *s, size_t *sealed)
{
	struct batch *b = calloc(1, sizeof(*b));
	size_t total = 0;
	int rc = b ? sync_space(w, s, b, &total) : WL_ENOMEM;

	free(b);
	if (sealed != NULL)
		*sealed = total;
	return rc;
}

int wl_membership_sync_keys(const struct wl_membership_writer *w,
			    size_t *sealed)
{
	struct batch *b = calloc(1, sizeof(*b));
	size_t total = 0;
	int rc = b ? 0 : WL_ENOMEM;

	for (size_t i = 0; rc == 0 && i < wl_spaces_count(w->spaces); i++)
		rc = sync_space(w, wl_spaces_at(w->spaces, i), b, &total);
	free(b);
	if (sealed != NULL)
		*sealed = total;
	return rc;
}
