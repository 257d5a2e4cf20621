/* Password checks on libuv's thread pool. */
#include "wardline/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wardline/error.h"

#define PASSWORD_MAX 1024

struct login_job {
	uv_work_t work;
	struct wl_keys_bundle bundle;
	char *password; /* sodium_malloc, wiped by sodium_free */
	struct wl_keys_secret *secret;
	int rc;
	wl_login_cb cb;
	/* A new user instead of a login: the bundle's names and role are
	 * the input, and the whole bundle the output. */
	wl_login_user_cb user_cb;
	void *arg;
};

/* Touched on the loop thread only: in wl_login_start and after_unwrap. */
static unsigned running;

unsigned wl_login_running(void)
{
	return running;
}

static void unwrap_on_pool(uv_work_t *work)
{
	struct login_job *job = work->data;

	job->rc = wl_keys_unwrap(&job->bundle, job->password, &job->secret);
	sodium_free(job->password);
	job->password = NULL;
}

static void create_on_pool(uv_work_t *work)
{
	struct login_job *job = work->data;
	struct wl_keys_pwhash cost = WL_KEYS_PWHASH_DEFAULT;
	struct wl_keys_bundle in = job->bundle;

	job->rc = wl_keys_user_new(NULL, in.username, in.display_name,
				   in.role, job->password, &cost, &job->bundle,
				   NULL);
	sodium_free(job->password);
	job->password = NULL;
}

static void after_create(uv_work_t *work, int status)
{
	struct login_job *job = work->data;

	running--;
	(void)status;
	sodium_free(job->password);
	job->user_cb(job->arg, job->rc, job->rc == 0 ? &job->bundle : NULL);
	sodium_memzero(&job->bundle, sizeof(job->bundle));
	free(job);
}

static void after_unwrap(uv_work_t *work, int status)
{
	struct login_job *job = work->data;

	running--;

	/* A cancelled job never ran: its rc is still WL_EINVAL and its
	 * password still set. */
	(void)status;
	sodium_free(job->password);
	job->cb(job->arg, job->rc, job->bundle.user_id, job->secret);
	free(job);
}

int wl_login_start(uv_loop_t *loop, const struct wl_keys_bundle *bundle,
		   const char *password, wl_login_cb cb, void *arg)
{
	struct login_job *job;
	size_t len = strlen(password);

	if (len == 0 || len >= PASSWORD_MAX)
		return WL_EINVAL;
	if (running >= WL_LOGIN_MAX_RUNNING)
		return WL_EBUSY;

	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return WL_ENOMEM;
	job->password = sodium_malloc(len + 1);
	if (job->password == NULL) {
		free(job);
		return WL_ENOMEM;
	}
	memcpy(job->password, password, len + 1);
	job->bundle = *bundle;
	job->cb = cb;
	job->arg = arg;
	job->rc = WL_EINVAL;
	job->work.data = job;

	if (uv_queue_work(loop, &job->work, unwrap_on_pool, after_unwrap)) {
		sodium_free(job->password);
		free(job);
		return WL_ENOMEM;
	}
	running++;
	return 0;
}

int wl_login_new_user(uv_loop_t *loop, const char *username,
		      const char *display_name, enum wl_role role,
		      const char *password, wl_login_user_cb cb, void *arg)
{
	struct login_job *job;
	size_t len = strlen(password);

	if (len == 0 || len >= PASSWORD_MAX ||
	    strlen(username) >= sizeof(job->bundle.username) ||
	    strlen(display_name) >= sizeof(job->bundle.display_name))
		return WL_EINVAL;
	if (running >= WL_LOGIN_MAX_RUNNING)
		return WL_EBUSY;

	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return WL_ENOMEM;
	job->password = sodium_malloc(len + 1);
	if (job->password == NULL) {
		free(job);
		return WL_ENOMEM;
	}
	memcpy(job->password, password, len + 1);
	snprintf(job->bundle.username, sizeof(job->bundle.username), "%s",
		 username);
	snprintf(job->bundle.display_name, sizeof(job->bundle.display_name),
		 "%s", display_name);
	job->bundle.role = role;
	job->user_cb = cb;
	job->arg = arg;
	job->rc = WL_EINVAL;
	job->work.data = job;

	if (uv_queue_work(loop, &job->work, create_on_pool, after_create)) {
		sodium_free(job->password);
		free(job);
		return WL_ENOMEM;
	}
	running++;
	return 0;
}
