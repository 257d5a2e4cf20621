/* wardline backup | restore: a consistent copy of the store, taken while the
 * node runs, and its return. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wardline/cli.h"
#include "wardline/error.h"
#include "wardline/keyfile.h"
#include "wardline/verify.h"

int wl_cmd_backup(struct wl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *data_dir = NULL;
	struct wl_store *store = NULL;
	struct stat st;
	int rc;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return wl_cli_usage(argv[0], "[--data-dir DIR] FILE");
		data_dir = optarg;
	}
	if (optind != argc - 1)
		return wl_cli_usage(argv[0], "[--data-dir DIR] FILE");
	if (wl_cli_load_config(cli, data_dir) != 0 ||
	    wl_cli_open_store(cli, &store) != 0)
		return 1;

	rc = wl_store_backup(store, argv[optind]);
	wl_store_close(store);
	if (rc != 0) {
		fprintf(stderr, "wardline: backup to %s failed: %s%s\n",
			argv[optind], wl_strerror(rc),
			rc == WL_EEXIST ? " (choose a new file name)" : "");
		return 1;
	}
	if (stat(argv[optind], &st) == 0)
		printf("backup written to %s (%lld bytes, compacted); it holds "
		       "encrypted events only, and the node key stays in the "
		       "data directory\n",
		       argv[optind], (long long)st.st_size);
	return 0;
}

/* Is a process mapping PATH (a running node or CLI on this store)? */
static int store_in_use(const char *path)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	char line[PATH_MAX + 256];
	int found = 0;

	if (proc == NULL)
		return 0;
	while (!found && (d = readdir(proc)) != NULL) {
		char maps[300];
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(maps, sizeof(maps), "/proc/%s/maps", d->d_name);
		f = fopen(maps, "r");
		if (f == NULL)
			continue;
		while (!found && fgets(line, sizeof(line), f) != NULL) {
			size_t len = strcspn(line, "\n");

			line[len] = '\0';
			found = len >= strlen(path) &&
				strcmp(line + len - strlen(path), path) == 0;
		}
		fclose(f);
	}
	closedir(proc);
	return found;
}

/* Copy FROM to the new file TO (mode 0600) and sync it. */
static int copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = 0;
	int rc = in >= 0 && out >= 0 ? 0 : -1;

	while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0 || (out >= 0 && fsync(out) != 0))
		rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/* Check the backup FILE by opening a copy of it in a scratch directory and
 * verifying every event. Returns 0 when it holds. */
static int check_backup(const char *file, char *scratch, size_t size)
{
	struct wl_store_options opt = {0};
	struct wl_verify_summary sum;
	struct wl_store *store = NULL;
	char path[PATH_MAX];
	int rc;

	snprintf(scratch, size, "/tmp/wardline-restore.XXXXXX");
	if (mkdtemp(scratch) == NULL)
		return -1;
	rc = wl_path_join(path, sizeof(path), scratch, "data.mdb");
	if (rc == 0)
		rc = copy_file(file, path);
	if (rc == 0)
		rc = wl_store_open(scratch, &opt, &store);
	if (rc == 0)
		rc = wl_verify_store(store, NULL, NULL, &sum);
	wl_store_close(store);
	if (rc != 0 || sum.problems != 0) {
		fprintf(stderr, "wardline: %s is not a sound store (%s, %llu "
				"problems); nothing was restored\n",
			file, rc ? wl_strerror(rc) : "verified",
			(unsigned long long)(rc ? 0 : sum.problems));
		return -1;
	}
	printf("backup verified: %llu events in %llu feeds\n",
	       (unsigned long long)sum.events,
	       (unsigned long long)sum.origins);
	return 0;
}

static void scratch_remove(const char *scratch)
{
	char path[PATH_MAX];

	if (wl_path_join(path, sizeof(path), scratch, "data.mdb") == 0)
		unlink(path);
	if (wl_path_join(path, sizeof(path), scratch, "lock.mdb") == 0)
		unlink(path);
	rmdir(scratch);
}

int wl_cmd_restore(struct wl_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *usage = "[--data-dir DIR] [--force] FILE";
	const char *data_dir = NULL;
	char scratch[64], data[PATH_MAX], tmp[PATH_MAX + 8], lock[PATH_MAX];
	int force = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			data_dir = optarg;
		else if (c == 'f')
			force = 1;
		else
			return wl_cli_usage(argv[0], usage);
	}
	if (optind != argc - 1)
		return wl_cli_usage(argv[0], usage);
	if (wl_cli_load_config(cli, data_dir) != 0)
		return 1;
	if (wl_path_join(data, sizeof(data), cli->config.data_dir,
			 "data.mdb") != 0 ||
	    wl_path_join(lock, sizeof(lock), cli->config.data_dir,
			 "lock.mdb") != 0)
		return 1;
	snprintf(tmp, sizeof(tmp), "%s.restore", data);

	if (store_in_use(data)) {
		fprintf(stderr, "wardline: %s is open in a running process; "
				"stop the node first\n", data);
		return 1;
	}
	if (access(data, F_OK) == 0 && !force) {
		fprintf(stderr, "wardline: %s exists; add --force to replace "
				"it with the backup\n", data);
		return 1;
	}
	if (check_backup(argv[optind], scratch, sizeof(scratch)) != 0) {
		scratch_remove(scratch);
		return 1;
	}
	scratch_remove(scratch);

	/* A replacement device may have no data directory yet. */
	if (mkdir(cli->config.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "wardline: cannot create %s: %s\n",
			cli->config.data_dir, strerror(errno));
		return 1;
	}
	if (copy_file(argv[optind], tmp) != 0 || rename(tmp, data) != 0) {
		fprintf(stderr, "wardline: cannot write %s: %s\n", data,
			strerror(errno));
		unlink(tmp);
		return 1;
	}
	unlink(lock);
	printf("restored %s into %s. Start the node and let it sync with its "
	       "peers before anyone uses this device: events it wrote after "
	       "the backup come back from them.\n",
	       argv[optind], cli->config.data_dir);
	return 0;
}
