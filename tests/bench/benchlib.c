/*
 * benchlib — the benchmarks' scratch directory, nodes, processes, control
 * socket, peer client and results (benchlib.h).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "control.h"
#include "log.h"
#include "node.h"
#include "trust.h"
#include "util.h"

#define NODES_MAX     64
#define START_LIMIT_S 300
#define STOP_LIMIT_S  10

static char s_root[64];
static struct bench_node s_nodes[NODES_MAX];
static int s_nnodes;

/* ---- environment, scratch directory, time ----------------------------- */

size_t
bench_env(const char *name, size_t def)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? (size_t)strtoull(v, NULL, 10) : def;
}

bool
bench_quick(void)
{
	return bench_env("BENCH_QUICK", 0) != 0;
}

double
bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
s_cleanup(void)
{
	for (int i = 0; i < s_nnodes; i++)
		bench_stop(&s_nodes[i]);
	if (s_root[0] != '\0' && getenv("BENCH_KEEP") == NULL)
		bench_rmrf(s_root);
}

/* On SIGINT or SIGTERM: the nodes are stopped and this process becomes
 * rm -rf of the scratch directory (only async-signal-safe calls). */
static void
s_on_signal(int sig)
{
	(void)sig;
	for (int i = 0; i < s_nnodes; i++)
		if (s_nodes[i].pid > 0)
			kill(s_nodes[i].pid, SIGTERM);
	for (int i = 0; i < s_nnodes; i++)
		if (s_nodes[i].pid > 0)
			waitpid(s_nodes[i].pid, NULL, 0);
	execl("/bin/rm", "rm", "-rf", s_root, (char *)NULL);
	_exit(130);
}

void
bench_cli_path(char *path, size_t len)
{
	const char *d = getenv("BENCH_SOCMESHD") ? getenv("BENCH_SOCMESHD") : "build/socmeshd";
	const char *slash = strrchr(d, '/');

	if (slash == NULL)
		snprintf(path, len, "./socmesh");
	else
		snprintf(path, len, "%.*s/socmesh", (int)(slash - d), d);
}

const char *
bench_setup(const char *prog)
{
	struct sigaction sa = { .sa_handler = s_on_signal };

	log_init(prog, 0, LOG_LEVEL_WARN);
	zsys_handler_set(NULL);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	snprintf(s_root, sizeof s_root, "/tmp/socmesh-%.20s-XXXXXX", prog);
	if (mkdtemp(s_root) == NULL)
		fatal("mkdtemp");
	atexit(s_cleanup);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return s_root;
}

int
bench_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		fatal("free port");
	close(fd);
	return ntohs(sa.sin_port);
}

void
bench_copy(const char *from, const char *to)
{
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "cp -a --reflink=auto '%s' '%s'", from, to);
	if (system(cmd) != 0)
		fatalx("failed: %s", cmd);
}

void
bench_rmrf(const char *path)
{
	char cmd[1100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", path);
}

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double
bench_pct(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, s_cmp_double);
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

/* ---- nodes --------------------------------------------------------------- */

struct bench_node *
bench_node_new(const char *name)
{
	struct bench_node *n;
	char err[512], listen[64];

	if (s_nnodes == NODES_MAX || s_root[0] == '\0')
		fatalx("bench_node_new: no room, or bench_setup() not called");
	n = &s_nodes[s_nnodes++];
	snprintf(n->name, sizeof n->name, "%s", name);
	snprintf(n->dir, sizeof n->dir, "%s/%s", s_root, name);
	n->port = bench_free_port();
	snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", n->port);
	if (node_init(n->dir, name, listen, err, sizeof err) == -1)
		fatalx("%s", err);
	return n;
}

struct bench_node *
bench_node_copy(const char *name, const char *from)
{
	static const char *const files[] = { KEYS_SECRET_FILE, KEYS_PUBLIC_FILE,
		CONFIG_STORE_DIR "/data.mdb" };
	struct bench_node *n = bench_node_new(name);
	char a[1100], b[1100];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(a, sizeof a, "%s/%s", from, files[i]);
		snprintf(b, sizeof b, "%s/%s", n->dir, files[i]);
		bench_copy(a, b);
	}
	snprintf(b, sizeof b, "%s/%s/lock.mdb", n->dir, CONFIG_STORE_DIR);
	(void)unlink(b);
	return n;
}

void
bench_node_id(const struct bench_node *n, uint8_t id[32])
{
	char err[512];
	if (keys_read_id(n->dir, id, err, sizeof err) == -1)
		fatalx("%s", err);
}

void
bench_trust(struct bench_node *a, const char *name, const uint8_t id[32], enum msg_level level,
    const char *endpoint)
{
	char path[600], err[512];
	struct trust *t = trust_new();
	struct trust_peer p = { .level = level };

	snprintf(path, sizeof path, "%s/%s", a->dir, TRUST_FILE);
	snprintf(p.name, sizeof p.name, "%s", name);
	memcpy(p.id, id, sizeof p.id);
	if (endpoint != NULL)
		snprintf(p.endpoint, sizeof p.endpoint, "%s", endpoint);
	if (t == NULL || trust_load(t, path, err, sizeof err) == -1 ||
	    trust_add(t, &p, err, sizeof err) == -1 || trust_save(t, path, err, sizeof err) == -1)
		fatalx("%s", err);
	trust_destroy(&t);
}

void
bench_trust_node(struct bench_node *a, const struct bench_node *b, bool dial)
{
	char endpoint[64];
	uint8_t id[32];

	bench_node_id(b, id);
	snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", b->port);
	bench_trust(a, b->name, id, MSG_LEVEL_MEMBER, dial ? endpoint : NULL);
}

void
bench_start(struct bench_node *n)
{
	const char *daemon = getenv("BENCH_SOCMESHD") ? getenv("BENCH_SOCMESHD") : "build/socmeshd";
	char logf[600], err[256];
	double until = bench_now() + START_LIMIT_S;
	json_t *rep = NULL;

	snprintf(logf, sizeof logf, "%s.log", n->dir);
	fflush(stdout);
	if ((n->pid = fork()) == -1)
		fatal("fork");
	if (n->pid == 0) {
		/* Their logs would drown the figures: each to DIR.log. */
		if (freopen(logf, "a", stderr) == NULL || freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execl(daemon, "socmeshd", "--dir", n->dir, (char *)NULL);
		_exit(127);
	}
	while (rep == NULL && bench_now() < until) {
		if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
			n->pid = 0;
			fatalx("node %s exited at start (log: %s)", n->name, logf);
		}
		rep = control_call(n->dir, json_pack("{s:s}", "cmd", "ping"), err, sizeof err);
		if (rep == NULL)
			zclock_sleep(50);
	}
	if (rep == NULL)
		fatalx("node %s did not answer within %d s (log: %s)", n->name, START_LIMIT_S,
		    logf);
	json_decref(rep);
}

void
bench_stop(struct bench_node *n)
{
	double until = bench_now() + STOP_LIMIT_S;
	int status;
	pid_t r = 0;

	if (n->pid <= 0)
		return;
	if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
		printf("  WARNING: node %s had died (status %d; log: %s.log)\n", n->name, status,
		    n->dir);
		n->pid = 0;
		return;
	}
	kill(n->pid, SIGTERM);
	while ((r = waitpid(n->pid, &status, WNOHANG)) == 0 && bench_now() < until)
		zclock_sleep(20);
	if (r == 0) {
		printf("  WARNING: node %s ignored SIGTERM for %d s: killed\n", n->name,
		    STOP_LIMIT_S);
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
	}
	n->pid = 0;
}

json_t *
bench_peer(const struct bench_node *n, const char *peer)
{
	json_t *rep = bench_ctl(n->dir, "{\"cmd\":\"peers\"}", CONTROL_TIMEOUT_MS, NULL), *p,
	       *r = NULL;
	size_t i;

	json_array_foreach(json_object_get(rep, "peers"), i, p) if (r == NULL &&
	    json_is_string(json_object_get(p, "name")) &&
	    strcmp(json_string_value(json_object_get(p, "name")), peer) == 0) r = json_incref(p);
	json_decref(rep);
	return r;
}

bool
bench_peer_state(const struct bench_node *n, const char *peer, uint64_t *count)
{
	json_t *p = bench_peer(n, peer);
	bool up = json_is_true(json_object_get(p, "connected"));

	if (count != NULL)
		*count = (uint64_t)json_integer_value(json_object_get(p, "reconciliations"));
	json_decref(p);
	return up;
}

uint64_t
bench_stored(const struct bench_node *n)
{
	char err[512];
	struct node *o = node_open(n->dir, NODE_STORE, err, sizeof err);
	struct store_stats ss;
	uint64_t count = UINT64_MAX;

	if (o != NULL && store_stats(o->st, &ss) == STORE_OK)
		count = ss.messages;
	node_close(&o);
	return count;
}

bool
bench_wait_stored(const struct bench_node *n, uint64_t want, double limit_s, int every_ms,
    uint64_t *got)
{
	double until = bench_now() + limit_s;

	for (;;) {
		*got = bench_stored(n);
		if (*got != UINT64_MAX && *got >= want)
			return true;
		if (bench_now() >= until)
			return false;
		zclock_sleep(every_ms);
	}
}

/* ---- processes ------------------------------------------------------------ */

double
bench_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	FILE *f;
	size_t len;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* After "pid (comm)": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	        &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

int
bench_rss(pid_t pid, long *rss, long *anon)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*rss = *anon = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "RssAnon:", 8) == 0)
			*anon = strtol(line + 8, NULL, 10);
	}
	fclose(f);
	return 0;
}

/* ---- control socket ---------------------------------------------------------- */

static zsock_t *
s_ctl_sock(const char *dir, int timeout_ms)
{
	char path[PATH_MAX + 64];
	zsock_t *req;

	if (control_path(path, sizeof path, dir) == -1 || (req = zsock_new(ZMQ_REQ)) == NULL)
		return NULL;
	zsock_set_linger(req, 0);
	zsock_set_rcvtimeo(req, timeout_ms);
	if (zsock_connect(req, "ipc://%s", path) == -1)
		zsock_destroy(&req);
	return req;
}

/* One round trip on req: the reply (caller frees), NULL when none came. */
static char *
s_ctl_rtt(zsock_t *req, const char *request, double *ms)
{
	double t0 = bench_now();
	char *rep = zstr_send(req, request) == 0 ? zstr_recv(req) : NULL;

	*ms = (bench_now() - t0) * 1000.0;
	return rep;
}

json_t *
bench_ctl(const char *dir, const char *request, int timeout_ms, double *ms)
{
	zsock_t *req = s_ctl_sock(dir, timeout_ms);
	char *text;
	double t;
	json_t *rep = NULL;

	if (req == NULL)
		return NULL;
	if ((text = s_ctl_rtt(req, request, &t)) != NULL)
		rep = json_loads(text, 0, NULL);
	zstr_free(&text);
	zsock_destroy(&req);
	if (ms != NULL)
		*ms = t;
	return rep;
}

static void *
s_probe(void *arg)
{
	struct bench_probe *p = arg;
	zsock_t *req = NULL;

	while (!atomic_load(&p->stop)) {
		double ms;
		char *rep;
		if (req == NULL && (req = s_ctl_sock(p->dir, CONTROL_TIMEOUT_MS)) == NULL)
			break;
		if ((rep = s_ctl_rtt(req, p->request, &ms)) != NULL)
			zstr_free(&rep);
		else {
			/* A REQ socket that missed its reply is stuck: a new one. */
			p->unanswered++;
			zsock_destroy(&req);
		}
		/* A round trip of ms also stood for the requests that a client
		 * asking every every_ms would have made meanwhile, each waiting
		 * that much less (no coordinated omission). */
		for (; ms > 0 && p->n < p->cap; ms -= p->every_ms)
			p->ms[p->n++] = ms;
		zclock_sleep(p->every_ms);
	}
	zsock_destroy(&req);
	return NULL;
}

int
bench_probe_start(struct bench_probe *p, const char *dir, const char *request, int every_ms,
    int seconds)
{
	memset(p, 0, sizeof *p);
	p->dir = dir, p->request = request, p->every_ms = every_ms;
	p->cap = 2 * (size_t)seconds * (size_t)(1000 / every_ms) + 1024;
	if ((p->ms = calloc(p->cap, sizeof *p->ms)) == NULL)
		return -1;
	atomic_init(&p->stop, 0);
	if (pthread_create(&p->th, NULL, s_probe, p) != 0) {
		bench_probe_free(p);
		return -1;
	}
	return 0;
}

void
bench_probe_stop(struct bench_probe *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->th, NULL);
	(void)bench_pct(p->ms, p->n, 50);
}

void
bench_probe_free(struct bench_probe *p)
{
	free(p->ms);
	p->ms = NULL;
}

/* ---- the peer protocol ---------------------------------------------------- */

zsock_t *
bench_peer_dial(const struct keys *k, const uint8_t server[32], const char *endpoint, int rcvhwm,
    int rcvbuf)
{
	zsock_t *s = zsock_new(ZMQ_DEALER);

	if (s == NULL)
		return NULL;
	zsock_set_curve_serverkey_bin(s, server);
	zsock_set_curve_publickey_bin(s, k->curve_pk);
	zsock_set_curve_secretkey_bin(s, k->curve_sk);
	if (rcvhwm > 0) {
		/* A peer that reads little: ZeroMQ holds rcvhwm messages for
		 * it, the kernel rcvbuf bytes; the rest stays at the node. */
		zsock_set_rcvhwm(s, rcvhwm);
		zsock_set_rcvbuf(s, rcvbuf);
		zsock_set_sndhwm(s, 64);
	}
	zsock_set_linger(s, 0);
	if (zsock_connect(s, "%s", endpoint) == -1)
		zsock_destroy(&s);
	return s;
}

int
bench_peer_send(zsock_t *s, const char *cmd, const void *p, size_t n)
{
	void *raw = zsock_resolve(s);

	if (zmq_send(raw, cmd, strlen(cmd), ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
		return -1;
	/* The rest of a message whose first part was taken is always taken. */
	return zmq_send(raw, p, n, 0) == -1 ? -1 : 0;
}

struct keys *
bench_keys(const char *label)
{
	uint8_t seed[32];
	char hex[65], err[256];
	struct keys *k;

	crypto_generichash(seed, sizeof seed, (const uint8_t *)label, strlen(label),
	    (const uint8_t *)"socmesh-bench", 13);
	hex_encode(hex, seed, sizeof seed);
	if ((k = keys_parse(hex, 64, label, err, sizeof err)) == NULL)
		fatalx("%s", err);
	sodium_memzero(hex, sizeof hex);
	return k;
}

/* ---- results ---------------------------------------------------------------- */

void
bench_result(const char *key, json_t *value)
{
	const char *path = getenv("BENCH_JSON");
	char tmp[PATH_MAX];
	json_t *o, *c, *i;

	if (path == NULL || *path == '\0') {
		json_decref(value);
		return;
	}
	if ((o = json_load_file(path, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	json_object_set_new(o, key, value != NULL ? value : json_null());
	c = json_object_get(o, "catchup_per_s"), i = json_object_get(o, "ingest_per_s");
	json_object_set_new(o, "catchup_vs_ingest",
	    json_is_number(c) && json_is_number(i) && json_number_value(i) > 0
	        ? json_real(json_number_value(c) / json_number_value(i))
	        : json_null());
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (json_dump_file(o, tmp, JSON_INDENT(2)) == -1 || rename(tmp, path) == -1)
		fatal("%s", path);
	json_decref(o);
}

void
bench_result_num(const char *key, double v)
{
	bench_result(key, isnan(v) ? NULL : json_real(v));
}
