/* The sd_notify(3) datagram protocol, without libsystemd. */
#include "wardline/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wardline/error.h"

int wl_notify_address(const char *value, struct sockaddr_un *addr,
		      socklen_t *len)
{
	size_t n = value ? strlen(value) : 0;

	memset(addr, 0, sizeof(*addr));
	*len = 0;
	if (n == 0 || (value[0] != '/' && value[0] != '@') ||
	    n > sizeof(addr->sun_path) - (value[0] == '/'))
		return WL_EINVAL;

	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, value, n);

	/* An abstract name starts with a NUL byte in place of the '@', and
	 * its length is exact: no terminating NUL is counted. */
	if (value[0] == '@')
		addr->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (value[0] == '/'));
	return 0;
}

int wl_notify(const char *state)
{
	const char *value = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t addr_len;
	ssize_t sent;
	int saved;
	int fd;

	if (value == NULL)
		return WL_ENOTFOUND;
	if (state == NULL || state[0] == '\0' ||
	    wl_notify_address(value, &addr, &addr_len) != 0)
		return WL_EINVAL;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WL_EIO;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (struct sockaddr *)&addr, addr_len);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(state) ? 0 : WL_EIO;
}

int wl_notify_watchdog_usec(uint64_t *usec)
{
	const char *text = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long value;
	char *end;

	*usec = 0;
	if (text == NULL || text[0] == '\0')
		return WL_ENOTFOUND;
	if (pid != NULL && strtol(pid, &end, 10) != (long)getpid())
		return WL_ENOTFOUND;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || value == 0)
		return WL_ENOTFOUND;
	*usec = value;
	return 0;
}
