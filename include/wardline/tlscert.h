/* The web UI's TLS certificate: a self-signed ECDSA P-256 certificate that
 * the node makes on first start when it listens for browsers beyond
 * loopback. Browsers cannot check it against a CA, so the admin compares
 * its SHA-256 fingerprint (shown by `wardline status`) with the one the
 * browser shows. TLS is the one place where Wardline uses OpenSSL instead
 * of libsodium: libwebsockets serves TLS through it. */
#ifndef WARDLINE_TLSCERT_H
#define WARDLINE_TLSCERT_H

#include <stddef.h>

#define WL_TLSCERT_FILE "ui-tls.crt"
#define WL_TLSKEY_FILE "ui-tls.key"
#define WL_TLSCERT_SAN_MAX 8
/* "AB:CD:...": 32 bytes as hex pairs joined by colons, and a NUL. */
#define WL_TLSCERT_FP_SIZE 96

/* Make sure DIR has WL_TLSCERT_FILE and WL_TLSKEY_FILE (mode 0600). When
 * both exist they are loaded and checked to belong together; when neither
 * exists a new key and certificate are made, with common name CN and the
 * N_SANS subject alternative names SANS (each an IPv4 address or a DNS
 * name), valid for ten years. The fingerprint of the certificate goes to
 * FP. Returns 0, WL_EPERM (key file readable by others), WL_EINVAL (a file
 * is damaged, or only one of the two exists), WL_EIO or WL_ENOMEM; the
 * log says which file. */
int wl_tlscert_ensure(const char *dir, const char *cn,
		      const char *const *sans, size_t n_sans,
		      char fp[WL_TLSCERT_FP_SIZE]);

/* The SHA-256 fingerprint of the PEM certificate in PATH, into FP.
 * Returns 0, WL_ENOTFOUND or WL_EINVAL. */
int wl_tlscert_fingerprint(const char *path, char fp[WL_TLSCERT_FP_SIZE]);

#endif
