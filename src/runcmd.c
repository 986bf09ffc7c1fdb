/* runcmd.c - run a user's command with data on argv/env/stdin (runcmd.h). */
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* environ with the extra "NAME=value" entries replacing same-named ones. */
static char **make_env(const char *const *extra)
{
	size_t ne = count((const char *const *)environ), nx = count(extra), n = 0;
	char **env = xcalloc(ne + nx + 1, sizeof(char *));
	for (size_t i = 0; i < ne; i++) {
		size_t k = strcspn(environ[i], "=");
		bool replaced = false;
		for (size_t j = 0; j < nx && !replaced; j++)
			replaced = strncmp(extra[j], environ[i], k) == 0 && extra[j][k] == '=';
		if (!replaced)
			env[n++] = environ[i];
	}
	for (size_t j = 0; j < nx; j++)
		env[n++] = (char *)extra[j];
	return env;
}

/* sh -c CMD sh ARG...: the arguments are "$1"... inside CMD. */
static char **make_argv(const struct runcmd *r)
{
	size_t na = count(r->args);
	char **argv = xcalloc(na + 5, sizeof(char *));
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)r->cmd;
	argv[3] = (char *)"sh";
	for (size_t i = 0; i < na; i++)
		argv[4 + i] = (char *)r->args[i];
	return argv;
}

struct child {
	pid_t pid;
	bool own_group;
	int in, out; /* our ends, -1 when closed */
};

static int spawn(const struct runcmd *r, struct child *c, char **err)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 };
	if ((r->in && pipe2(ip, O_CLOEXEC) < 0) || (r->output == RUNCMD_OUT_CAPTURE && pipe2(op, O_CLOEXEC) < 0)) {
		*err = xasprintf("%s: cannot create a pipe: %s", r->what, strerror(errno));
		for (int i = 0; i < 2; i++)
			if (ip[i] >= 0)
				close(ip[i]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (r->in)
		posix_spawn_file_actions_adddup2(&fa, ip[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r->output == RUNCMD_OUT_CAPTURE)
		posix_spawn_file_actions_adddup2(&fa, op[1], STDOUT_FILENO);
	else if (r->output == RUNCMD_OUT_NULL)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (r->output != RUNCMD_OUT_INHERIT)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	/* its own process group, so that a timeout kills the whole pipeline;
	 * not when it has the terminal (it must stay in the foreground group) */
	c->own_group = r->output != RUNCMD_OUT_INHERIT;
	if (c->own_group) {
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&at, 0);
	}
	char **argv = make_argv(r), **envp = make_env(r->env);
	int rc = posix_spawn(&c->pid, "/bin/sh", &fa, &at, argv, envp);
	free(argv);
	free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (ip[0] >= 0)
		close(ip[0]);
	if (op[1] >= 0)
		close(op[1]);
	c->in = ip[1];
	c->out = op[0];
	if (rc != 0) {
		*err = xasprintf("%s: cannot run /bin/sh: %s", r->what, strerror(rc));
		return -1;
	}
	if (c->in >= 0)
		fcntl(c->in, F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void kill_child(struct child *c)
{
	kill(c->own_group ? -c->pid : c->pid, SIGKILL);
}

static int remaining(long long deadline)
{
	if (!deadline)
		return -1;
	long long left = deadline - util_now_ms();
	return left > 0 ? (int)(left > 1000 ? 1000 : left) : 0;
}

/* Feed stdin and read stdout until both are closed, the deadline passes
 * or the output passes its cap. */
static enum runcmd_status pump(const struct runcmd *r, struct child *c, struct strbuf *out, long long deadline)
{
	size_t sent = 0;
	while (c->in >= 0 || c->out >= 0) {
		struct pollfd p[2] = { { .fd = c->in, .events = POLLOUT }, { .fd = c->out, .events = POLLIN } };
		int t = remaining(deadline);
		if (t == 0)
			return RUNCMD_ERR_TIMEOUT;
		if (poll(p, 2, t) < 0 && errno != EINTR)
			return RUNCMD_ERR_EXIT;
		if (c->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(c->in, r->in + sent, r->in_len - sent);
			if (n > 0)
				sent += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == r->in_len)
				close_fd(&c->in);
		}
		if (c->out >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			char buf[8192];
			ssize_t n = read(c->out, buf, sizeof(buf));
			if (n > 0 && out->len + (size_t)n > r->out_max)
				return RUNCMD_ERR_TOOBIG;
			if (n > 0)
				strbuf_add(out, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				close_fd(&c->out);
		}
	}
	return RUNCMD_OK;
}

/* Wait for the exit, killing it at the deadline.  Returns the wait status
 * or -1 after a kill for the timeout. */
static int reap(struct child *c, long long deadline)
{
	int st;
	for (;;) {
		pid_t w = waitpid(c->pid, &st, deadline ? WNOHANG : 0);
		if (w == c->pid)
			return st;
		if (w < 0 && errno != EINTR)
			return -2;
		if (w == 0 && remaining(deadline) == 0) {
			kill_child(c);
			while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		if (w == 0)
			poll(NULL, 0, 5); /* a timed wait for a child: no pidfd in glibc 2.36's posix_spawn */
	}
}

static char *exit_message(const char *what, int st)
{
	if (WIFSIGNALED(st))
		return xasprintf("%s was killed by signal %d", what, WTERMSIG(st));
	return xasprintf("%s failed (exit status %d)", what, WEXITSTATUS(st));
}

enum runcmd_status runcmd_run(const struct runcmd *r, char **out, size_t *out_len, char **err)
{
	*err = NULL;
	if (out)
		*out = NULL;
	struct child c = { .in = -1, .out = -1 };
	if (spawn(r, &c, err) < 0)
		return RUNCMD_ERR_SPAWN;
	long long deadline = r->timeout_ms > 0 ? util_now_ms() + r->timeout_ms : 0;
	/* a command that stops reading must not kill us with SIGPIPE: block
	 * it in this thread and swallow the pending one (as smtp.c does) */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	struct strbuf b;
	strbuf_init(&b);
	enum runcmd_status res = pump(r, &c, &b, deadline);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close_fd(&c.in);
	close_fd(&c.out);
	if (res != RUNCMD_OK)
		kill_child(&c);
	int st = reap(&c, res == RUNCMD_OK ? deadline : 0);
	if (res == RUNCMD_OK && st == -1)
		res = RUNCMD_ERR_TIMEOUT;
	else if (res == RUNCMD_OK && (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		res = RUNCMD_ERR_EXIT;
	if (res == RUNCMD_ERR_TIMEOUT)
		*err = xasprintf("%s did not finish within %ld ms and was stopped", r->what, r->timeout_ms);
	else if (res == RUNCMD_ERR_TOOBIG)
		*err = xasprintf("%s printed more than %zu bytes and was stopped", r->what, r->out_max);
	else if (res == RUNCMD_ERR_EXIT)
		*err = st < 0 ? xasprintf("%s: cannot wait for it", r->what) : exit_message(r->what, st);
	if (out_len)
		*out_len = b.len;
	if (out)
		*out = strbuf_detach(&b);
	strbuf_free(&b);
	return res;
}
