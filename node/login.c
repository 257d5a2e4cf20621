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

/* Make a job for PASSWORD: its copy in locked memory, rc WL_EINVAL until
 * the work ran. Returns NULL with *RC set on failure. */
static struct login_job *job_new(const char *password, int *rc)
{
	size_t len = strlen(password);
	struct login_job *job;

	*rc = WL_EINVAL;
	if (len == 0 || len >= PASSWORD_MAX)
		return NULL;
	*rc = WL_EBUSY;
	if (running >= WL_LOGIN_MAX_RUNNING)
		return NULL;

	*rc = WL_ENOMEM;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	job->password = sodium_malloc(len + 1);
	if (job->password == NULL) {
		free(job);
		return NULL;
	}
	memcpy(job->password, password, len + 1);
	job->rc = WL_EINVAL;
	job->work.data = job;
	*rc = 0;
	return job;
}

/* Queue JOB on the pool of LOOP; on failure it is freed. */
static int job_queue(uv_loop_t *loop, struct login_job *job, uv_work_cb work,
		     uv_after_work_cb after)
{
	if (uv_queue_work(loop, &job->work, work, after)) {
		sodium_free(job->password);
		free(job);
		return WL_ENOMEM;
	}
	running++;
	return 0;
}

int wl_login_start(uv_loop_t *loop, const struct wl_keys_bundle *bundle,
		   const char *password, wl_login_cb cb, void *arg)
{
	int rc;
	struct login_job *job = job_new(password, &rc);

	if (job == NULL)
		return rc;
	job->bundle = *bundle;
	job->cb = cb;
	job->arg = arg;
	return job_queue(loop, job, unwrap_on_pool, after_unwrap);
}

int wl_login_new_user(uv_loop_t *loop, const char *username,
		      const char *display_name, enum wl_role role,
		      const char *password, wl_login_user_cb cb, void *arg)
{
	struct wl_keys_bundle names;
	struct login_job *job;
	int rc;

	if (strlen(username) >= sizeof(names.username) ||
	    strlen(display_name) >= sizeof(names.display_name))
		return WL_EINVAL;
	job = job_new(password, &rc);
	if (job == NULL)
		return rc;
	snprintf(job->bundle.username, sizeof(job->bundle.username), "%s",
		 username);
	snprintf(job->bundle.display_name, sizeof(job->bundle.display_name),
		 "%s", display_name);
	job->bundle.role = role;
	job->user_cb = cb;
	job->arg = arg;
	return job_queue(loop, job, create_on_pool, after_create);
}
