/* Helpers shared by the unit tests: temporary directories. */
#ifndef WARDLINE_TESTUTIL_H
#define WARDLINE_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int testutil_remove_entry(const char *path, const struct stat *st,
				 int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Make a fresh directory under /tmp; the caller removes it with
 * testutil_rmdir. Aborts the test program if it cannot. */
static inline char *testutil_mkdtemp(void)
{
	char tmpl[] = "/tmp/wardline-test.XXXXXX";
	char *dir = mkdtemp(tmpl);

	if (dir == NULL) {
		perror("mkdtemp");
		abort();
	}
	return strdup(dir);
}

static inline void testutil_rmdir(char *dir)
{
	nftw(dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

#endif
