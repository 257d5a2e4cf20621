/* Atomic writes and permission-checked reads of small key files. */
#include "wardline/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/error.h"

int wl_path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return WL_ERANGE;
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WL_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make a rename or link in the directory of PATH survive a power cut. */
static int sync_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;
	int fd;
	int rc = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return WL_ERANGE;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return WL_EIO;
	if (fsync(fd) != 0)
		rc = WL_EIO;
	close(fd);
	return rc;
}

int wl_keyfile_write(const char *path, const void *data, size_t len,
		     unsigned mode, int replace)
{
	char tmp[4096];
	int fd = -1;
	int rc;

	if (!replace && access(path, F_OK) == 0)
		return WL_EEXIST;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return WL_ERANGE;

	/* O_EXCL on the temporary name: two writers never share one file. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (fd < 0)
		return WL_EIO;
	rc = fchmod(fd, mode & 0777) == 0 ? 0 : WL_EIO;
	if (rc == 0)
		rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = WL_EIO;
	if (close(fd) != 0 && rc == 0)
		rc = WL_EIO;
	if (rc != 0)
		goto out;

	if (!replace && link(tmp, path) != 0)
		rc = errno == EEXIST ? WL_EEXIST : WL_EIO;
	else if (replace && rename(tmp, path) != 0)
		rc = WL_EIO;

	if (rc == 0)
		rc = sync_parent_dir(path);

out:
	unlink(tmp);
	return rc;
}

int wl_keyfile_read(const char *path, void *out, size_t len, int secret)
{
	struct stat st;
	size_t got = 0;
	int rc = 0;
	int fd;

	sodium_memzero(out, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? WL_ENOTFOUND : WL_EIO;

	if (fstat(fd, &st) != 0) {
		rc = WL_EIO;
		goto out;
	}
	if (secret && (st.st_mode & 0077)) {
		rc = WL_EPERM;
		goto out;
	}
	if ((size_t)st.st_size != len) {
		rc = WL_ETRUNC;
		goto out;
	}

	while (got < len) {
		ssize_t n = read(fd, (unsigned char *)out + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? WL_ETRUNC : WL_EIO;
			goto out;
		}
		got += (size_t)n;
	}

out:
	close(fd);
	if (rc != 0)
		sodium_memzero(out, len);
	return rc;
}
