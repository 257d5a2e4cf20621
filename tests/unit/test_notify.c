#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"
#include "wardline/error.h"
#include "wardline/notify.h"

/* Bind a datagram socket at ADDR (LEN bytes) with a receive timeout, so
 * that a missing notification fails the test instead of hanging it. */
static int bind_receiver(const struct sockaddr_un *addr, socklen_t len)
{
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)addr, len), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	return fd;
}

static void notify_address_path(void **state)
{
	struct sockaddr_un addr;
	socklen_t len;

	(void)state;
	assert_int_equal(wl_notify_address("/run/systemd/notify", &addr, &len),
			 0);
	assert_int_equal(addr.sun_family, AF_UNIX);
	assert_string_equal(addr.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) +
				      strlen("/run/systemd/notify") + 1);
}

static void notify_address_abstract(void **state)
{
	struct sockaddr_un addr;
	socklen_t len;

	(void)state;
	assert_int_equal(wl_notify_address("@wl-notify", &addr, &len), 0);
	assert_int_equal(addr.sun_path[0], '\0');
	assert_memory_equal(addr.sun_path + 1, "wl-notify", 9);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 10);
}

static void notify_address_invalid(void **state)
{
	struct sockaddr_un addr;
	char long_path[sizeof(addr.sun_path) + 2];
	socklen_t len;

	(void)state;
	assert_int_equal(wl_notify_address("", &addr, &len), WL_EINVAL);
	assert_int_equal(wl_notify_address(NULL, &addr, &len), WL_EINVAL);
	assert_int_equal(wl_notify_address("run/notify", &addr, &len),
			 WL_EINVAL);
	assert_int_equal(len, 0);

	/* A path needs room for its NUL, but an abstract name does not. */
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[sizeof(addr.sun_path)] = '\0';
	assert_int_equal(wl_notify_address(long_path, &addr, &len), WL_EINVAL);
	long_path[sizeof(addr.sun_path) - 1] = '\0';
	assert_int_equal(wl_notify_address(long_path, &addr, &len), 0);
	long_path[0] = '@';
	long_path[sizeof(addr.sun_path) - 1] = 'a';
	long_path[sizeof(addr.sun_path)] = '\0';
	assert_int_equal(wl_notify_address(long_path, &addr, &len), 0);
	assert_int_equal(len, sizeof(addr));
}

static void notify_unset_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(wl_notify("READY=1"), WL_ENOTFOUND);
}

static void notify_sends_datagram(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[256];
	char buf[256];
	struct sockaddr_un addr;
	socklen_t len;
	ssize_t n;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/notify", dir);
	assert_int_equal(wl_notify_address(path, &addr, &len), 0);
	fd = bind_receiver(&addr, len);
	setenv("NOTIFY_SOCKET", path, 1);

	assert_int_equal(wl_notify("READY=1\nSTATUS=linked to 2 peers"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, strlen("READY=1\nSTATUS=linked to 2 peers"));
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=linked to 2 peers");

	assert_int_equal(wl_notify(""), WL_EINVAL);
	assert_int_equal(wl_notify(NULL), WL_EINVAL);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	testutil_rmdir(dir);
}

static void notify_sends_abstract(void **state)
{
	char name[64];
	char buf[64];
	struct sockaddr_un addr;
	socklen_t len;
	ssize_t n;
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@wardline-test-notify-%d", (int)getpid());
	assert_int_equal(wl_notify_address(name, &addr, &len), 0);
	fd = bind_receiver(&addr, len);
	setenv("NOTIFY_SOCKET", name, 1);

	assert_int_equal(wl_notify("STOPPING=1"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, strlen("STOPPING=1"));
	buf[n] = '\0';
	assert_string_equal(buf, "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void notify_no_listener(void **state)
{
	char *dir = testutil_mkdtemp();
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/nobody", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(wl_notify("READY=1"), WL_EIO);
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	assert_int_equal(wl_notify("READY=1"), WL_EINVAL);
	unsetenv("NOTIFY_SOCKET");
	testutil_rmdir(dir);
}

static void notify_watchdog_interval(void **state)
{
	char pid[32];
	uint64_t usec = 1;

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(wl_notify_watchdog_usec(&usec), WL_ENOTFOUND);
	assert_int_equal(usec, 0);

	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(wl_notify_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 30000000);

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(wl_notify_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 30000000);

	/* A watchdog set for another process (a parent that forked us) is
	 * not ours to feed. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(wl_notify_watchdog_usec(&usec), WL_ENOTFOUND);
	unsetenv("WATCHDOG_PID");

	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(wl_notify_watchdog_usec(&usec), WL_ENOTFOUND);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(wl_notify_watchdog_usec(&usec), WL_ENOTFOUND);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_address_path),
		cmocka_unit_test(notify_address_abstract),
		cmocka_unit_test(notify_address_invalid),
		cmocka_unit_test(notify_unset_socket),
		cmocka_unit_test(notify_sends_datagram),
		cmocka_unit_test(notify_sends_abstract),
		cmocka_unit_test(notify_no_listener),
		cmocka_unit_test(notify_watchdog_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
