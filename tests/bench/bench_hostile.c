/*
 * bench_hostile — issue 8's attack, measured with real socmeshd processes
 * on 127.0.0.1 (figures only, never assertions):
 *
 *   a node A holding BENCH_HOSTILE_N messages (100,000 TLP:CLEAR incidents
 *   and one of about 75 KB), with the shipped default configuration; an
 *   honest member H that dials it and holds the same messages; an external
 *   peer X that attacks A for BENCH_HOSTILE_SECONDS (20) over
 *   BENCH_HOSTILE_CONNS (6) connections that never read, with WANT, RECON
 *   and HELLO frames (tests/unit/helper_hostile.c, included here: the
 *   attack of tests/integration/budget.sh).
 *
 *   baseline: A's control socket p50/p99 for 5 s with X connected, idle
 *   attack:   A's RSS growth (VmRSS; its anonymous part) and its control
 *             socket p50/p99/max meanwhile (goals: under 64 MiB, 50 ms)
 *   honest:   messages H publishes every 2 s during the attack: the delay
 *             until A holds each one
 *
 * Environment: BENCH_HOSTILE_N (100000), BENCH_HOSTILE_SECONDS (20),
 * BENCH_HOSTILE_CONNS (6), BENCH_HOSTILE_MIX (w,r,h,B,wrRhp,B: see
 * helper_hostile.c).  Needs build/socmeshd (BENCH_SOCMESHD).
 */
#define HOSTILE_NO_MAIN
#include "../unit/helper_hostile.c"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include "control.h"

enum { A, H, X, NODES };
static const char *const s_names[NODES] = { "A", "H", "X" };

static char s_root[64];
static char s_dir[NODES][256];
static int s_port[NODES];
static pid_t s_pid[NODES];

static size_t
s_env(const char *name, size_t def)
{
	const char *v = getenv(name);
	return v != NULL ? (size_t)strtoull(v, NULL, 10) : def;
}

static int
s_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		fatal("free port");
	close(fd);
	return ntohs(sa.sin_port);
}

/* Node i with the configuration socmesh init writes: the shipped defaults. */
static void
s_node(int i)
{
	char err[512], listen[64];

	snprintf(s_dir[i], sizeof s_dir[i], "%s/%s", s_root, s_names[i]);
	s_port[i] = s_free_port();
	snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", s_port[i]);
	if (node_init(s_dir[i], s_names[i], listen, err, sizeof err) == -1)
		fatalx("%s", err);
}

/* a trusts b at level, dialing it when dial. */
static void
s_trust(int a, int b, enum msg_level level, bool dial)
{
	char path[512], err[512];
	struct trust *t = trust_new();
	struct trust_peer p = { .level = level };

	snprintf(path, sizeof path, "%s/%s", s_dir[a], TRUST_FILE);
	snprintf(p.name, sizeof p.name, "%s", s_names[b]);
	if (t == NULL || trust_load(t, path, err, sizeof err) == -1 ||
	    keys_read_id(s_dir[b], p.id, err, sizeof err) == -1)
		fatalx("%s", err);
	if (dial)
		snprintf(p.endpoint, sizeof p.endpoint, "tcp://127.0.0.1:%d", s_port[b]);
	if (trust_add(t, &p, err, sizeof err) == -1 || trust_save(t, path, err, sizeof err) == -1)
		fatalx("%s", err);
	trust_destroy(&t);
}

static json_t *
s_call(int i, json_t *req)
{
	char err[256];
	return control_call(s_dir[i], req, err, sizeof err);
}

static void
s_start(int i)
{
	json_t *rep = NULL;

	if ((s_pid[i] = fork()) == 0) {
		/* Their logs would drown the figures. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execl(getenv("BENCH_SOCMESHD") ? getenv("BENCH_SOCMESHD") : "build/socmeshd",
			"socmeshd", "--dir", s_dir[i], (char *)NULL);
		_exit(127);
	}
	for (int k = 0; k < 200 && rep == NULL; k++) {
		zclock_sleep(50);
		rep = s_call(i, json_pack("{s:s}", "cmd", "ping"));
	}
	if (rep == NULL)
		fatalx("node %s did not start", s_names[i]);
	json_decref(rep);
}

static void
s_cleanup(void)
{
	char cmd[128];

	for (int i = 0; i < NODES; i++)
		if (s_pid[i] > 0) {
			kill(s_pid[i], SIGTERM);
			waitpid(s_pid[i], NULL, 0);
		}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_root);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", s_root);
}

/* What A says about peer H: connected, and the exchanges completed. */
static bool
s_reconciled(uint64_t *count)
{
	json_t *rep = s_call(A, json_pack("{s:s}", "cmd", "peers")), *p;
	size_t i;
	bool up = false;

	json_array_foreach(json_object_get(rep, "peers"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), "H") == 0) {
			up = json_is_true(json_object_get(p, "connected"));
			*count = (uint64_t)json_integer_value(json_object_get(p, "reconciliations"));
		}
	json_decref(rep);
	return up;
}

/* H publishes a message every 2 s while the attack runs; each one's delay
 * until A holds it. */
struct honest {
	atomic_int stop;
	double ms[64];
	size_t n, lost;
};

static void *
s_honest(void *arg)
{
	struct honest *h = arg;

	for (size_t k = 0; !atomic_load(&h->stop) && k < sizeof h->ms / sizeof h->ms[0]; k++) {
		char title[64];
		json_t *rep;
		const char *id;
		int64_t t0;
		bool there = false;
		zclock_sleep(2000);
		snprintf(title, sizeof title, "honest %zu during the attack", k);
		rep = s_call(H, json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "cmd", "publish", "message", "tlp",
			"green", "title", title, "category", "test", "severity", "low"));
		if ((id = json_string_value(json_object_get(rep, "id"))) == NULL)
			fatalx("publish at H failed");
		t0 = zclock_usecs();
		/* Up to 60 s; 10 s once the attack is over. */
		for (int64_t end = t0 + 60 * 1000000LL; !there && zclock_usecs() < end;) {
			json_t *e = s_call(A, json_pack("{s:s,s:s}", "cmd", "explain", "id", id));
			there = json_is_true(json_object_get(e, "ok"));
			json_decref(e);
			if (!there)
				zclock_sleep(20);
			if (atomic_load(&h->stop) && end > zclock_usecs() + 10 * 1000000LL)
				end = zclock_usecs() + 10 * 1000000LL;
		}
		json_decref(rep);
		if (there)
			h->ms[h->n++] = (double)(zclock_usecs() - t0) / 1000.0;
		else
			h->lost++;
	}
	return NULL;
}

int
main(void)
{
	size_t n = s_env("BENCH_HOSTILE_N", 100000);
	struct hostile_cfg c = { .conns = (int)s_env("BENCH_HOSTILE_CONNS", 6),
		.seconds = (int)s_env("BENCH_HOSTILE_SECONDS", 20),
		.mix = getenv("BENCH_HOSTILE_MIX") ? getenv("BENCH_HOSTILE_MIX") : "w,r,h,B,wrRhp,B" };
	struct hostile_result base, r;
	struct honest h = { 0 };
	const char *dirs[2];
	char err[512], endpoint[64];
	uint8_t big[MSG_ID_LEN] = { 0 }, id[MSG_KEY_LEN];
	uint64_t recons = 0;
	struct keys *k;
	pthread_t th;
	double t0;

	log_init("bench", 0, LOG_LEVEL_WARN);
	zsys_handler_set(NULL);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	snprintf(s_root, sizeof s_root, "/tmp/socmesh-bench-hostile-XXXXXX");
	if (mkdtemp(s_root) == NULL)
		fatal("mkdtemp");
	atexit(s_cleanup);
	for (int i = 0; i < NODES; i++)
		s_node(i);
	s_trust(A, H, MSG_LEVEL_MEMBER, false);
	s_trust(A, X, MSG_LEVEL_EXTERNAL, false);
	s_trust(H, A, MSG_LEVEL_MEMBER, true);
	dirs[0] = s_dir[A], dirs[1] = s_dir[H];
	t0 = (double)zclock_usecs();
	if (hostile_prefill(dirs, 2, n, big, err, sizeof err) == -1)
		fatalx("prefill: %s", err);
	printf("bench_hostile: node A holds %zu messages (shipped defaults), member H dials it, external X "
	       "attacks it\n  (prefilled A and H in %.1f s)\n",
		n + 1, ((double)zclock_usecs() - t0) / 1e6);
	fflush(stdout);

	s_start(A);
	s_start(H);
	/* Their first exchange read A's whole store: its pages are in the
	 * baseline, not in the growth. */
	for (int i = 0; i < 1200 && !(s_reconciled(&recons) && recons > 0); i++)
		zclock_sleep(50);
	if (recons == 0)
		fatalx("H and A did not reconcile");

	if ((k = keys_load(s_dir[X], err, sizeof err)) == NULL || keys_read_id(s_dir[A], id, err, sizeof err))
		fatalx("%s", err);
	snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", s_port[A]);
	c.keys = k;
	c.endpoint = endpoint;
	if (keys_curve_pk(c.server, id) == -1)
		fatalx("A's key");
	memcpy(c.prefix, big, RECON_PREFIX_LEN);
	c.pid = s_pid[A];
	c.ctl_dir = s_dir[A];

	struct hostile_cfg idle = c;
	idle.conns = 1, idle.seconds = 5, idle.mix = "-";
	if (hostile_attack(&idle, &base) == -1)
		fatalx("baseline");
	printf("  baseline  X connected, idle, 5 s: control socket p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		base.ctl_p50, base.ctl_p99, base.ctl_max);
	fflush(stdout);

	if (pthread_create(&th, NULL, s_honest, &h) != 0)
		fatalx("thread");
	if (hostile_attack(&c, &r) == -1)
		fatalx("attack");
	atomic_store(&h.stop, 1);
	pthread_join(th, NULL);
	printf("  attack    %d non-reading connections (%s) for %d s: %llu WANT, %llu RECON, %llu HELLO, "
	       "%llu PING, %.0f MB sent\n",
		c.conns, c.mix, c.seconds, (unsigned long long)r.want, (unsigned long long)r.recon,
		(unsigned long long)r.hello, (unsigned long long)r.ping, (double)r.bytes / 1e6);
	printf("  memory    RSS growth %.1f MiB (anonymous %.1f MiB), from %.1f MiB (goal: under 64 MiB)\n",
		(double)(r.rss_max - r.rss0) / 1024.0, (double)(r.anon_max - r.anon0) / 1024.0,
		(double)r.rss0 / 1024.0);
	printf("  control   socket under attack: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %zu unanswered "
	       "for 10 s (goal: p99 under 50 ms)\n",
		r.ctl_p50, r.ctl_p99, r.ctl_max, r.ctl_unanswered);
	qsort(h.ms, h.n, sizeof *h.ms, s_hostile_cmp);
	printf("  honest    %zu of %zu messages published at H during the attack reached A", h.n,
		h.n + h.lost);
	if (h.n > 0)
		printf(": p50 %.0f ms, max %.0f ms", h.ms[h.n / 2], h.ms[h.n - 1]);
	printf("\n");
	/* ZeroMQ's heartbeat timer fires every 2 s on each connection. */
	zclock_sleep(3000);
	if (waitpid(s_pid[A], NULL, WNOHANG) == s_pid[A]) {
		s_pid[A] = 0;
		printf("  A died during the attack, or as its connections closed\n");
	}
	keys_destroy(&k);
	return 0;
}
