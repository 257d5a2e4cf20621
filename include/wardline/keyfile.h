/* Secret and public key files: written atomically, secret ones mode 0600. */
#ifndef WARDLINE_KEYFILE_H
#define WARDLINE_KEYFILE_H

#include <stddef.h>

/* Write LEN bytes of DATA to PATH through a temporary file in the same
 * directory, fsync and rename, with MODE (0600 for secrets, 0644 for public
 * keys and certificates). With REPLACE 0 an existing PATH is kept and
 * WL_EEXIST returned. Returns 0, WL_EEXIST or WL_EIO (errno set). */
int wl_keyfile_write(const char *path, const void *data, size_t len,
		     unsigned mode, int replace);

/* Read exactly LEN bytes from PATH into OUT. With SECRET set, a file that
 * group or others can read is rejected with WL_EPERM before it is read.
 * Returns 0, WL_ENOTFOUND (no such file), WL_ETRUNC (size differs from LEN),
 * WL_EPERM or WL_EIO. On failure OUT is zeroed. */
int wl_keyfile_read(const char *path, void *out, size_t len, int secret);

/* Join DIR and NAME into BUF of SIZE bytes. Returns 0 or WL_ERANGE when the
 * result does not fit. */
int wl_path_join(char *buf, size_t size, const char *dir, const char *name);

#endif
