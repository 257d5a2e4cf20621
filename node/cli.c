/* Helpers shared by the commands of the admin CLI. */
#include "wardline/cli.h"

#include <errno.h>
#include <stdio.h>
#include <termios.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wardline/error.h"

int wl_cli_load_config(struct wl_cli *cli, const char *data_dir)
{
	const char *path = cli->config_path;
	char err[512];
	int rc;

	wl_config_defaults(&cli->config);
	if (path == NULL && access(WL_CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = WL_CONFIG_DEFAULT_PATH;
	if (path != NULL) {
		rc = wl_config_load(path, &cli->config, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "wardline: %s\n", err);
			return 1;
		}
	}
	if (data_dir != NULL) {
		if (strlen(data_dir) >= sizeof(cli->config.data_dir)) {
			fprintf(stderr, "wardline: --data-dir is too long\n");
			return 1;
		}
		snprintf(cli->config.data_dir, sizeof(cli->config.data_dir),
			 "%s", data_dir);
	}
	wl_log_set_level(cli->config.log_level);
	return 0;
}

int wl_cli_open_store(const struct wl_cli *cli, struct wl_store **out)
{
	struct wl_store_options opt = {0};
	int rc;

	if (access(cli->config.data_dir, F_OK) != 0) {
		fprintf(stderr, "wardline: no data directory %s (check "
				"--data-dir, or start wardline-node once)\n",
			cli->config.data_dir);
		return 1;
	}
	opt.initial_map_size = (size_t)cli->config.initial_map_mb << 20;
	rc = wl_store_open(cli->config.data_dir, &opt, out);
	if (rc != 0) {
		fprintf(stderr,
			"wardline: cannot open the store in %s: %s "
			"(check --data-dir and its permissions)\n",
			cli->config.data_dir, wl_strerror(rc));
		return 1;
	}
	return 0;
}

int wl_cli_parse_hex32(const char *hex, unsigned char out[32])
{
	size_t len = 0;
	const char *end = NULL;

	if (strlen(hex) != 64)
		return WL_EINVAL;
	if (sodium_hex2bin(out, 32, hex, 64, NULL, &len, &end) != 0 ||
	    len != 32 || *end != '\0')
		return WL_EINVAL;
	return 0;
}

int wl_cli_usage(const char *command, const char *usage)
{
	fprintf(stderr, "usage: wardline %s %s\n", command, usage);
	return 2;
}

int wl_cli_read_secret(const char *path, const char *prompt, char *buf,
		       size_t size)
{
	FILE *f = NULL;
	struct termios old;
	int fd;
	int ok;

	/* A file if given; else the terminal, even when standard input is a
	 * pipe (it may carry a message); else standard input. */
	if (path != NULL)
		f = fopen(path, "r");
	else if ((f = fopen("/dev/tty", "r+")) == NULL)
		f = stdin;
	if (f == NULL) {
		fprintf(stderr, "wardline: cannot read the password file %s: "
				"%s\n", path, strerror(errno));
		return -1;
	}
	fd = fileno(f);
	if (path == NULL && isatty(fd)) {
		struct termios quiet;

		fprintf(f == stdin ? stderr : f, "%s", prompt);
		fflush(f == stdin ? stderr : f);
		tcgetattr(fd, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
		ok = fgets(buf, (int)size, f) != NULL;
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', f == stdin ? stderr : f);
	} else {
		ok = fgets(buf, (int)size, f) != NULL;
	}
	if (f != stdin)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\r\n")] = '\0';
	if (!ok || buf[0] == '\0') {
		fprintf(stderr, "wardline: no password given%s; use "
				"--password-file FILE or run on a terminal\n",
			path ? " in that file" : "");
		return -1;
	}
	return 0;
}
