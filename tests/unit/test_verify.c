#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "eventgen.h"
#include "testutil.h"
#include "wardline/error.h"
#include "wardline/hlc.h"
#include "wardline/ingest.h"
#include "wardline/verify.h"

#define NEVENTS 40

struct fixture {
	char *dir;
	struct wl_store *store;
	struct gen_origin o;
	struct gen_event g[NEVENTS];
	struct wl_verify_problem seen[16];
	size_t nseen;
};

static uint64_t far_future_wall(void *arg)
{
	(void)arg;
	return WL_HLC_MS_MAX - 1;
}

static int open_store(struct fixture *f)
{
	return wl_store_open(f->dir, NULL, &f->store);
}

/* A store holding one origin's chain of NEVENTS events. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wl_ingest_input in[NEVENTS];
	struct wl_ingest *ing = NULL;
	struct wl_hlc hlc;
	int res[NEVENTS];

	f->dir = testutil_mkdtemp();
	if (open_store(f) != 0)
		return -1;
	gen_origin_init(&f->o);
	for (size_t i = 0; i < NEVENTS; i++) {
		f->g[i] = gen_next(&f->o, 600, NULL);
		in[i].buf = f->g[i].buf;
		in[i].len = f->g[i].len;
	}
	wl_hlc_init(&hlc, far_future_wall, NULL, 0, 0);
	if (wl_ingest_new(f->store, &hlc, 1, &ing) != 0 ||
	    wl_ingest_batch(ing, in, NEVENTS, res) != 0)
		return -1;
	wl_ingest_free(ing);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wl_store_close(f->store);
	for (size_t i = 0; i < NEVENTS; i++)
		free(f->g[i].buf);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static void record(void *arg, const struct wl_verify_problem *p)
{
	struct fixture *f = arg;

	if (f->nseen < 16)
		f->seen[f->nseen++] = *p;
}

/* Flip one bit in every copy of NEEDLE in the LMDB file, with the store
 * closed, as an attacker editing the disk would. Returns the copies hit. */
static int tamper_file(struct fixture *f, const unsigned char *needle,
		       size_t len)
{
	char path[512];
	struct stat st;
	unsigned char *map;
	unsigned char *p;
	int hits = 0;
	int fd;

	wl_store_close(f->store);
	f->store = NULL;
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	assert_true(map != MAP_FAILED);
	p = map;
	while ((p = memmem(p, (size_t)(map + st.st_size - p), needle, len))) {
		p[len / 2] ^= 0x04;
		hits++;
		p += len;
	}
	munmap(map, (size_t)st.st_size);
	close(fd);
	assert_int_equal(open_store(f), 0);
	return hits;
}

static int found(const struct fixture *f, const char *what, uint64_t seq)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i].what, what) == 0 && f->seen[i].seq == seq)
			return 1;
	return 0;
}

static void verify_clean_store(void **state)
{
	struct fixture *f = *state;
	struct wl_verify_summary sum;

	assert_int_equal(wl_verify_store(f->store, record, f, &sum), 0);
	assert_int_equal(sum.problems, 0);
	assert_int_equal(sum.events, NEVENTS);
	assert_int_equal(sum.origins, 1);
	assert_int_equal(sum.bodies, NEVENTS);
}

/* A flipped byte in the timestamp of event 17's stored header. */
static void verify_names_tampered_header(void **state)
{
	struct fixture *f = *state;
	struct wl_verify_summary sum;
	const unsigned char *hlc_field = f->g[16].buf + 76;

	/* The timestamp plus the space id after it: unique in the file. */
	assert_true(tamper_file(f, hlc_field, 24) >= 1);
	assert_int_equal(wl_verify_store(f->store, record, f, &sum), 0);
	assert_true(sum.problems >= 1);
	assert_true(found(f, "node_sig", 17));
	assert_true(found(f, "prev", 18));
}

static void verify_names_tampered_body(void **state)
{
	struct fixture *f = *state;
	struct wl_verify_summary sum;
	const unsigned char *body = f->g[30].buf + f->g[30].len - 600;

	assert_true(tamper_file(f, body, 600) >= 1);
	assert_int_equal(wl_verify_store(f->store, record, f, &sum), 0);
	assert_int_equal(sum.problems, 1);
	assert_true(found(f, "body_hash", 31));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(verify_clean_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(verify_names_tampered_header,
						setup, teardown),
		cmocka_unit_test_setup_teardown(verify_names_tampered_body,
						setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
