/* The node's own Ed25519 key pair, kept in DATA_DIR/node.key (mode 0600).
 * The public key is the node id: it is the origin of every event the node
 * writes. The secret key lives in locked, guarded memory (sodium_malloc). */
#ifndef WARDLINE_IDENTITY_H
#define WARDLINE_IDENTITY_H

#define WL_NODE_KEY_FILE "node.key"

struct wl_identity {
	unsigned char pk[32];
	unsigned char *sk; /* 64 bytes, sodium_malloc'd, read-only between uses */
};

/* Load the key pair from DATA_DIR, or make and save a new one when there is
 * none, and set *CREATED (may be NULL) to 1 in that case. Returns 0 and
 * *OUT (free with wl_identity_free), or WL_EPERM (key file readable by
 * others), WL_ETRUNC (key file of the wrong size), WL_EIO, WL_ENOMEM. */
int wl_identity_load_or_create(const char *data_dir, struct wl_identity **out,
			       int *created);

/* Load the key pair from DATA_DIR. Returns as wl_identity_load_or_create,
 * and WL_ENOTFOUND if the node has no key yet. */
int wl_identity_load(const char *data_dir, struct wl_identity **out);

/* Wipe and free ID. Accepts NULL. */
void wl_identity_free(struct wl_identity *id);

/* Write the node id as 64 hex digits into BUF (at least 65 bytes). */
char *wl_identity_hex(const unsigned char pk[32], char *buf);

#endif
