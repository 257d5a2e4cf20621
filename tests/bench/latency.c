/* Benchmark: replication latency of live events between two linked nodes.
 *
 * Nodes A and B run as wardline-node processes on 127.0.0.1 with discovery
 * off, each the static peer of the other. This program appends 2,000
 * events with 600-byte bodies to A's feed, one per durable commit, paced
 * 5 ms apart (200 per second for 10 s), and times when each one is
 * committed on B.
 *
 * Method: the appends are made here, through A's own store (a second
 * process on one LMDB file, as `wardline append` does); A notices them
 * through its inotify watch on data.mdb and pushes them. A rescans its
 * store 2 ms after a notification, so about that much of each figure is
 * the price of appending from another process. A second thread
 * watches B's data.mdb with inotify (IN_MODIFY) and reads, through its own
 * handle on B's store, the head of A's feed on B: every seq up to that head
 * is stamped as arrived. The last write of an LMDB commit is its meta page,
 * but readers see the commit only once the writer has then stored the new
 * transaction id in lock.mdb (shared memory, which inotify does not
 * report), a few microseconds later. So after each notification the head
 * is read again every 20 us for 2 ms rather than once. Read only once, an
 * event would be seen at the next commit, one append period late. A 10 ms
 * poll timeout re-reads the head in case a notification is lost. Both
 * stamps come from CLOCK_MONOTONIC in this one process, so no clocks have
 * to agree.
 *
 * Latency of an event: from the return of its commit on A to its commit
 * on B being seen here. The time from calling the append to that point
 * (adding A's own durable commit) is printed too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/feed.h"
#include "wardline/hlc.h"
#include "wardline/identity.h"
#include "wardline/store.h"

#define EVENTS 2000
#define WARMUP 50
#define PERIOD_NS 5000000L
#define BODY_SIZE 600
#define LINK_TIMEOUT_S 20
#define DRAIN_TIMEOUT_S 10
#define FOLLOW_MS 2.0
#define FOLLOW_STEP_US 20

struct bench {
	char root[PATH_MAX];  /* the repository */
	char work[PATH_MAX];  /* temporary directory of both nodes */
	pid_t nodes[2];
	struct wl_store *a;
	struct wl_store *b;
	struct wl_identity *id;
	struct wl_hlc hlc;
	uint64_t base;        /* A's head seq before the measured events */
	double issued[EVENTS];
	double committed[EVENTS];
	double arrived[EVENTS];
	atomic_int stop;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run a program of the repository with its output discarded. Return its
 * exit status, or -1. */
static int run(struct bench *b, char *const argv[])
{
	char path[PATH_MAX + 64];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/%s", b->root, argv[0]);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Start wardline-node for DIR on PORT (status on HTTP), with PEER as its
 * static peer. It dies with this process. */
static pid_t start_node(struct bench *b, const char *dir, int port, int http,
			int peer)
{
	char path[PATH_MAX + 64], data[PATH_MAX + 8], log[PATH_MAX + 16];
	char p[16], h[16], s[32];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/node/wardline-node", b->root);
	snprintf(data, sizeof(data), "%s/%s", b->work, dir);
	snprintf(log, sizeof(log), "%s/%s.log", b->work, dir);
	snprintf(p, sizeof(p), "%d", port);
	snprintf(h, sizeof(h), "%d", http);
	snprintf(s, sizeof(s), "127.0.0.1:%d", peer);
	pid = fork();
	if (pid != 0)
		return pid;

	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(fd, 1);
	dup2(fd, 2);
	execl(path, path, "--data-dir", data, "--discovery", "off", "--listen",
	      "127.0.0.1", "--peer-port", p, "--http-port", h, "--peer", s,
	      (char *)NULL);
	_exit(127);
}

static int make_site(struct bench *b)
{
	char site[PATH_MAX + 8], da[PATH_MAX + 8], db[PATH_MAX + 8];

	snprintf(site, sizeof(site), "%s/site", b->work);
	snprintf(da, sizeof(da), "%s/a", b->work);
	snprintf(db, sizeof(db), "%s/b", b->work);
	char *init[] = {"node/wardline", "init-site", "--site-dir", site, NULL};
	char *ea[] = {"node/wardline", "enroll", "--site-dir", site,
		      "--data-dir", da, "--name", "latency-a", NULL};
	char *eb[] = {"node/wardline", "enroll", "--site-dir", site,
		      "--data-dir", db, "--name", "latency-b", NULL};

	return run(b, init) == 0 && run(b, ea) == 0 && run(b, eb) == 0 ? 0 : -1;
}

/* Copy the last lines of both node logs to stderr. */
static void show_logs(struct bench *b)
{
	char cmd[2 * PATH_MAX + 64];

	fflush(stderr);
	snprintf(cmd, sizeof(cmd), "tail -n 5 '%s/a.log' '%s/b.log' >&2",
		 b->work, b->work);
	if (system(cmd) != 0)
		fprintf(stderr, "latency: no node logs in %s\n", b->work);
}

static uint64_t head_on_b(struct bench *b)
{
	struct wl_store_head h;

	return wl_store_head(b->b, b->id->pk, &h) == 0 ? h.seq : 0;
}

/* Wait until the head of A's feed on B reaches SEQ, for at most SECONDS. */
static int wait_on_b(struct bench *b, uint64_t seq, int seconds)
{
	double end = now_ms() + seconds * 1e3;

	while (head_on_b(b) < seq) {
		if (now_ms() > end)
			return -1;
		usleep(10000);
	}
	return 0;
}

static int append_one(struct bench *b, uint64_t *seq)
{
	unsigned char body[BODY_SIZE];
	struct wl_feed_item item;

	memset(&item, 0, sizeof(item));
	item.kind = WL_KIND_TEST;
	item.body = body;
	item.body_len = sizeof(body);
	randombytes_buf(body, sizeof(body));
	return wl_feed_append(b->a, b->id, &b->hlc, &item, 1, NULL, seq);
}

/* Stamp every seq of A's feed as it appears on B (the watcher thread). */
static void *watch_b(void *arg)
{
	struct bench *b = arg;
	char buf[4096] __attribute__((aligned(8)));
	uint64_t seen = b->base;
	double follow_until = 0;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0 || inotify_add_watch(fd, wl_store_path(b->b), IN_MODIFY) < 0) {
		perror("latency: inotify");
		b->stop = 1;
		return NULL;
	}
	while (!b->stop && seen < b->base + EVENTS) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int following = now_ms() < follow_until;
		uint64_t head;
		double t;

		if (poll(&pfd, 1, following ? 0 : 10) > 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			follow_until = now_ms() + FOLLOW_MS;
		} else if (following) {
			usleep(FOLLOW_STEP_US);
		}
		t = now_ms();
		head = head_on_b(b);
		for (; seen < head && seen < b->base + EVENTS; seen++)
			b->arrived[seen - b->base] = t;
	}
	close(fd);
	return NULL;
}

/* Append the measured events at their scheduled times. */
static int append_paced(struct bench *b)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < EVENTS; i++) {
		uint64_t seq = 0;

		next.tv_nsec += PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		b->issued[i] = now_ms();
		if (append_one(b, &seq) != 0 || seq != b->base + 1 + (uint64_t)i)
			return -1;
		b->committed[i] = now_ms();
	}
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return (a > c) - (a < c);
}

/* Return the percentile P (0 to 100) of the N sorted values V. */
static double pct(const double *v, int n, double p)
{
	int i = (int)(p / 100.0 * n + 0.5) - 1;

	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void report(struct bench *b, double elapsed_s)
{
	static double lat[EVENTS], e2e[EVENTS], local[EVENTS];

	for (int i = 0; i < EVENTS; i++) {
		lat[i] = b->arrived[i] - b->committed[i];
		e2e[i] = b->arrived[i] - b->issued[i];
		local[i] = b->committed[i] - b->issued[i];
	}
	qsort(lat, EVENTS, sizeof(double), cmp_double);
	qsort(e2e, EVENTS, sizeof(double), cmp_double);
	qsort(local, EVENTS, sizeof(double), cmp_double);
	printf("events %d at %.0f/s over %.1f s, %d bytes each\n", EVENTS,
	       EVENTS / elapsed_s, elapsed_s, BODY_SIZE);
	printf("commit on A to commit on B: p50 %.2f ms, p90 %.2f, p99 %.2f, "
	       "max %.2f\n", pct(lat, EVENTS, 50), pct(lat, EVENTS, 90),
	       pct(lat, EVENTS, 99), lat[EVENTS - 1]);
	printf("append call on A to commit on B: p50 %.2f ms, p99 %.2f, max "
	       "%.2f\n", pct(e2e, EVENTS, 50), pct(e2e, EVENTS, 99),
	       e2e[EVENTS - 1]);
	printf("durable append on A alone: p50 %.2f ms, p99 %.2f\n",
	       pct(local, EVENTS, 50), pct(local, EVENTS, 99));
	printf("bench latency %.2f ms p99=%.2f n=%d p90=%.2f max=%.2f "
	       "e2e_p99=%.2f\n", pct(lat, EVENTS, 50), pct(lat, EVENTS, 99),
	       EVENTS, pct(lat, EVENTS, 90), lat[EVENTS - 1],
	       pct(e2e, EVENTS, 99));
}

static int port_free(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Find four consecutive free ports on 127.0.0.1 and return the first, or
 * -1. The search starts at a port derived from the process id, so that
 * concurrent runs of other tests rarely collide with this one. */
static int pick_ports(void)
{
	for (int k = 0; k < 1000; k++) {
		int base = 44000 + (int)((getpid() + k) % 1000) * 4;
		int i = 0;

		while (i < 4 && port_free(base + i))
			i++;
		if (i == 4)
			return base;
	}
	return -1;
}

/* Start both nodes, open their stores and wait for the link: B has A's
 * first event (its certificate). */
static int setup(struct bench *b)
{
	char dir[PATH_MAX + 8];
	int base = pick_ports();

	if (base < 0) {
		fprintf(stderr, "latency: no 4 consecutive free ports found "
				"on 127.0.0.1 from 44000 to 47999\n");
		return -1;
	}
	if (make_site(b) != 0) {
		fprintf(stderr, "latency: init-site or enroll failed; run "
				"'make' so that node/wardline exists\n");
		return -1;
	}
	b->nodes[0] = start_node(b, "a", base, base + 2, base + 1);
	b->nodes[1] = start_node(b, "b", base + 1, base + 3, base);
	snprintf(dir, sizeof(dir), "%s/a", b->work);
	if (b->nodes[0] < 0 || b->nodes[1] < 0 ||
	    wl_identity_load(dir, &b->id) != 0 ||
	    wl_store_open(dir, NULL, &b->a) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/b", b->work);
	if (wl_store_open(dir, NULL, &b->b) != 0)
		return -1;
	wl_hlc_init(&b->hlc, NULL, NULL, 60000, 0);
	if (wait_on_b(b, 1, LINK_TIMEOUT_S) != 0) {
		fprintf(stderr, "latency: timed out after %d s waiting for "
				"the nodes to link\n", LINK_TIMEOUT_S);
		show_logs(b);
		return -1;
	}
	return 0;
}

static int measure(struct bench *b)
{
	pthread_t watcher;
	double t0;
	int rc;

	for (int i = 0; i < WARMUP; i++)
		if (append_one(b, &b->base) != 0)
			return -1;
	if (wait_on_b(b, b->base, DRAIN_TIMEOUT_S) != 0)
		return -1;

	if (pthread_create(&watcher, NULL, watch_b, b) != 0)
		return -1;
	t0 = now_ms();
	rc = append_paced(b);
	if (rc == 0)
		rc = wait_on_b(b, b->base + EVENTS, DRAIN_TIMEOUT_S);
	b->stop = 1;
	pthread_join(watcher, NULL);
	if (rc != 0) {
		fprintf(stderr, "latency: failed or timed out: B has %" PRIu64
				" of the %d events\n", head_on_b(b) - b->base,
			EVENTS);
		show_logs(b);
		return -1;
	}
	report(b, (now_ms() - t0) / 1e3);
	return 0;
}

static void teardown(struct bench *b)
{
	char cmd[PATH_MAX + 16];

	wl_store_close(b->a);
	wl_store_close(b->b);
	wl_identity_free(b->id);
	for (int i = 0; i < 2; i++) {
		if (b->nodes[i] > 0) {
			kill(b->nodes[i], SIGTERM);
			waitpid(b->nodes[i], NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->work);
	if (system(cmd) != 0)
		fprintf(stderr, "latency: failed to remove %s\n", b->work);
}

int main(void)
{
	static struct bench b;
	char *slash;
	int rc = 1;

	if (sodium_init() < 0 ||
	    readlink("/proc/self/exe", b.root, sizeof(b.root) - 1) < 0)
		return 1;
	for (int i = 0; i < 3 && (slash = strrchr(b.root, '/')); i++)
		*slash = '\0';
	snprintf(b.work, sizeof(b.work), "/tmp/wardline-bench-latency.XXXXXX");
	if (mkdtemp(b.work) == NULL)
		return 1;

	if (setup(&b) == 0 && measure(&b) == 0)
		rc = 0;
	teardown(&b);
	return rc;
}
