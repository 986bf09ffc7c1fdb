/* secret.c - password commands and wiping. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

extern char **environ;

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void secret_free(char **s)
{
	util_wipe_free(s);
}

char *secret_dup(const char *s)
{
	return xstrdup(s);
}

/* Read the child's stdout into a fixed buffer: growing it with realloc
 * would leave stray copies of the secret in freed memory.  Everything past
 * the first line is read (so the child never blocks on a full pipe) and
 * discarded.  Returns the first line's length, or -1 when it did not fit. */
static long read_first_line(int fd, char *buf, size_t cap, bool *too_big)
{
	size_t len = 0;
	bool line_done = false;
	char scratch[512];
	*too_big = false;
	for (;;) {
		char *dst = line_done ? scratch : buf + len;
		size_t room = line_done ? sizeof(scratch) : cap - 1 - len;
		if (!line_done && room == 0) {
			*too_big = true;
			line_done = true;
			continue;
		}
		ssize_t n = read(fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (line_done) {
			secret_wipe(scratch, (size_t)n);
			continue;
		}
		char *nl = memchr(dst, '\n', (size_t)n);
		if (nl) {
			len += (size_t)(nl - dst);
			secret_wipe(nl, (size_t)(dst + n - nl));
			line_done = true;
		} else {
			len += (size_t)n;
		}
	}
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	buf[len] = '\0';
	return (long)len;
}

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return st;
}

/* Start `/bin/sh -c cmd` with stdin and stdout on the given descriptors.
 * 0, or an errno value. */
static int spawn_sh(const char *cmd, int in_fd, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in_fd < 0)
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	else
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (out_fd < 0)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	else
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	/* argv is fixed: the user's command is one argument to sh -c, nothing
	 * from a server is ever added to it */
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	int rc = posix_spawn(pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Wait for the child; SECRET_OK when it exited 0, else *err. */
static enum secret_status child_status(const char *what, pid_t pid, char **err)
{
	int st = wait_child(pid);
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return SECRET_OK;
	if (st >= 0 && WIFSIGNALED(st))
		*err = xasprintf("%s was killed by signal %d", what, WTERMSIG(st));
	else if (st >= 0 && WIFEXITED(st))
		*err = xasprintf("%s failed (exit status %d)", what, WEXITSTATUS(st));
	else
		*err = xasprintf("%s: cannot wait for it: %s", what, strerror(errno));
	return SECRET_ERR_EXIT;
}

enum secret_status secret_run(const char *what, const char *cmd, char **out, char **err)
{
	*out = NULL;
	*err = NULL;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		*err = xasprintf("%s: cannot create a pipe: %s", what, strerror(errno));
		return SECRET_ERR_SPAWN;
	}
	pid_t pid;
	int rc = spawn_sh(cmd, -1, pfd[1], &pid);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		*err = xasprintf("%s: cannot run /bin/sh: %s", what, strerror(rc));
		return SECRET_ERR_SPAWN;
	}
	char *buf = xmalloc(SECRET_MAX + 1);
	bool too_big;
	long len = read_first_line(pfd[0], buf, SECRET_MAX + 1, &too_big);
	close(pfd[0]);
	/* the exit status says more than what the command printed */
	enum secret_status res = child_status(what, pid, err);
	if (res == SECRET_OK && too_big) {
		*err = xasprintf("%s printed a first line longer than %d bytes", what, SECRET_MAX);
		res = SECRET_ERR_TOOBIG;
	} else if (res == SECRET_OK && len <= 0) {
		*err = xasprintf("%s printed nothing", what);
		res = SECRET_ERR_EMPTY;
	}
	if (res != SECRET_OK) {
		secret_wipe(buf, SECRET_MAX + 1);
		free(buf);
		return res;
	}
	*out = xstrndup(buf, (size_t)len);
	secret_wipe(buf, SECRET_MAX + 1);
	free(buf);
	log_debug("%s: got a secret of %ld bytes", what, len);
	return SECRET_OK;
}

enum secret_status secret_feed(const char *what, const char *cmd, const char *input, char **err)
{
	*err = NULL;
	size_t len = strlen(input);
	if (len > SECRET_MAX) {
		*err = xasprintf("%s: the secret is longer than %d bytes", what, SECRET_MAX);
		return SECRET_ERR_TOOBIG;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		*err = xasprintf("%s: cannot create a pipe: %s", what, strerror(errno));
		return SECRET_ERR_SPAWN;
	}
	pid_t pid;
	int rc = spawn_sh(cmd, pfd[0], -1, &pid);
	close(pfd[0]);
	if (rc != 0) {
		close(pfd[1]);
		*err = xasprintf("%s: cannot run /bin/sh: %s", what, strerror(rc));
		return SECRET_ERR_SPAWN;
	}
	/* a command that exits without reading must not kill us with SIGPIPE:
	 * block it in this thread and swallow the pending one */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(pfd[1], input + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(pfd[1]);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	enum secret_status res = child_status(what, pid, err);
	if (res == SECRET_OK && off < len) {
		*err = xasprintf("%s did not read the secret", what);
		res = SECRET_ERR_EXIT;
	}
	if (res == SECRET_OK)
		log_debug("%s: stored a secret of %zu bytes", what, len);
	return res;
}
