/*
 * bench_gossip — the network measured with real socmeshd processes on
 * 127.0.0.1 (ports chosen at run time, a scratch directory, every process
 * stopped at the end):
 *
 *   raw CurveZMQ throughput, DEALER to ROUTER over loopback, messages of
 *     the size the corpus uses (the ceiling)
 *   propagation: NODES nodes in a sparse mesh (each dials the next and the
 *     one three on), RATE messages/s published at node 0 for SECONDS: p50
 *     and p99 of the delay until every node has committed a message (the
 *     store's received time minus the creation time)
 *   catch-up: a new node that missed CATCHUP messages: messages/s until it
 *     holds them all
 *
 * Environment: BENCH_NODES (8), BENCH_RATE (200), BENCH_SECONDS (5),
 * BENCH_CATCHUP (100000).  Needs build/socmeshd (BENCH_SOCMESHD).
 */
#include <czmq.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include "control.h"
#include "draft.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "util.h"

#define MAXN 16

struct net {
	char root[64];
	char dir[MAXN + 1][4200];
	int port[MAXN + 1];
	pid_t pid[MAXN + 1];
	int n;
	const char *daemon;
};

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

/* Node i: identity, configuration fit for a benchmark (1 s reconciliation,
 * no rate limit in the way). */
static void
s_node(struct net *w, int i)
{
	char err[512], path[4300], listen[64];
	struct config c;

	char root[sizeof w->root];
	memcpy(root, w->root, sizeof root);
	snprintf(w->dir[i], sizeof w->dir[i], "%s/n%d", root, i);
	w->port[i] = s_free_port();
	snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", w->port[i]);
	snprintf(path, sizeof path, "n%d", i);
	if (node_init(w->dir[i], path, listen, err, sizeof err) == -1)
		fatalx("%s", err);
	snprintf(path, sizeof path, "%s/%s", w->dir[i], CONFIG_FILE);
	if (config_load(&c, path, err, sizeof err) == -1)
		fatalx("%s", err);
	c.sync_interval_ms = 1000;
	c.peer_rate = 1000000;
	c.peer_burst = 1000000;
	c.peer_queue = 200000;
	if (config_write(&c, path, err, sizeof err) == -1)
		fatalx("%s", err);
}

/* a trusts b as a member, dialing it when dial. */
static void
s_trust(struct net *w, int a, int b, bool dial)
{
	char path[4300], err[512];
	struct trust *t = trust_new();
	struct trust_peer p = { .level = MSG_LEVEL_MEMBER };

	snprintf(path, sizeof path, "%s/%s", w->dir[a], TRUST_FILE);
	if (t == NULL || trust_load(t, path, err, sizeof err) == -1)
		fatalx("%s", err);
	if (trust_find_name(t, (snprintf(p.name, sizeof p.name, "n%d", b), p.name)) != NULL) {
		trust_destroy(&t);
		return;
	}
	if (keys_read_id(w->dir[b], p.id, err, sizeof err) == -1)
		fatalx("%s", err);
	if (dial)
		snprintf(p.endpoint, sizeof p.endpoint, "tcp://127.0.0.1:%d", w->port[b]);
	if (trust_add(t, &p, err, sizeof err) == -1 || trust_save(t, path, err, sizeof err) == -1)
		fatalx("%s", err);
	trust_destroy(&t);
}

static void
s_start(struct net *w, int i)
{
	char err[256];
	json_t *rep = NULL;

	if ((w->pid[i] = fork()) == 0) {
		/* Their logs would drown the figures. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execl(w->daemon, "socmeshd", "--dir", w->dir[i], (char *)NULL);
		_exit(127);
	}
	for (int k = 0; k < 200 && rep == NULL; k++) {
		zclock_sleep(50);
		rep = control_call(w->dir[i], json_pack("{s:s}", "cmd", "ping"), err, sizeof err);
	}
	if (rep == NULL)
		fatalx("node %d did not start: %s", i, err);
	json_decref(rep);
}

static void
s_stop(struct net *w, int i)
{
	if (w->pid[i] > 0) {
		kill(w->pid[i], SIGTERM);
		waitpid(w->pid[i], NULL, 0);
		w->pid[i] = 0;
	}
}

static uint64_t
s_count(struct net *w, int i)
{
	char err[256];
	json_t *rep = control_call(w->dir[i], json_pack("{s:s}", "cmd", "stats"), err, sizeof err);
	uint64_t n = rep ? (uint64_t)json_integer_value(json_object_get(json_object_get(rep, "stats"),
				   "messages"))
			 : 0;
	json_decref(rep);
	return n;
}

/* Blocks until node i holds at least n messages; false after limit_ms. */
static bool
s_wait_count(struct net *w, int i, uint64_t n, uint64_t limit_ms)
{
	uint64_t until = now_ms() + limit_ms;
	while (now_ms() < until) {
		if (s_count(w, i) >= n)
			return true;
		zclock_sleep(20);
	}
	return false;
}

static int
s_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct delays {
	struct msg *m;
	const uint8_t *origin;
	uint64_t *worst; /* by seq */
	size_t n;
};

static int
s_delay(void *arg, const struct store_item *it)
{
	struct delays *d = arg;
	if (msg_decode(d->m, it->bytes, it->len, 0) == MSG_OK &&
	    memcmp(d->m->origin, d->origin, 32) == 0 && d->m->seq >= 1 && d->m->seq <= d->n) {
		uint64_t delay = it->received > d->m->time ? it->received - d->m->time : 0;
		if (delay > d->worst[d->m->seq - 1])
			d->worst[d->m->seq - 1] = delay;
	}
	return 0;
}

/* Raw CurveZMQ: msgs/s of `size` bytes, one DEALER to one ROUTER. */
static double
s_raw_curve(size_t n, size_t size)
{
	uint8_t spk[32], ssk[32], cpk[32], csk[32];
	zsock_t *srv = zsock_new(ZMQ_ROUTER), *cli = zsock_new(ZMQ_DEALER);
	uint8_t *payload = calloc(1, size);
	int port = s_free_port();
	double t0;

	crypto_box_keypair(spk, ssk);
	crypto_box_keypair(cpk, csk);
	zsock_set_curve_server(srv, 1);
	zsock_set_curve_secretkey_bin(srv, ssk);
	zsock_set_rcvhwm(srv, 0);
	zsock_set_sndhwm(cli, 0);
	if (zsock_bind(srv, "tcp://127.0.0.1:%d", port) == -1)
		fatalx("raw bind");
	zsock_set_curve_serverkey_bin(cli, spk);
	zsock_set_curve_publickey_bin(cli, cpk);
	zsock_set_curve_secretkey_bin(cli, csk);
	zsock_connect(cli, "tcp://127.0.0.1:%d", port);
	zstr_send(cli, "hello");
	zmsg_t *m = zmsg_recv(srv);
	zmsg_destroy(&m);
	t0 = zclock_usecs() / 1e6;
	for (size_t i = 0; i < n; i++) {
		zmsg_t *s = zmsg_new();
		zmsg_addstr(s, "MSG");
		zmsg_addmem(s, payload, size);
		zmsg_send(&s, cli);
	}
	for (size_t i = 0; i < n; i++) {
		m = zmsg_recv(srv);
		zmsg_destroy(&m);
	}
	double t = zclock_usecs() / 1e6 - t0;
	zsock_destroy(&cli);
	zsock_destroy(&srv);
	free(payload);
	return (double)n / t;
}

static struct net s_w;

static void
s_cleanup(void)
{
	char cmd[200];
	for (int i = 0; i <= s_w.n; i++)
		s_stop(&s_w, i);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_w.root);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", s_w.root);
}

int
main(void)
{
	struct net *w = &s_w;
	size_t nodes = s_env("BENCH_NODES", 8), rate = s_env("BENCH_RATE", 200);
	size_t secs = s_env("BENCH_SECONDS", 5), catchup = s_env("BENCH_CATCHUP", 100000);
	size_t total = rate * secs;
	char err[512];
	uint8_t id0[32];

	log_init("bench", 0, LOG_LEVEL_WARN);
	zsys_handler_set(NULL);
	if (sodium_init() < 0 || nodes < 2 || nodes > MAXN)
		fatalx("setup");
	w->n = (int)nodes;
	w->daemon = getenv("BENCH_SOCMESHD") ? getenv("BENCH_SOCMESHD") : "build/socmeshd";
	snprintf(w->root, sizeof w->root, "/tmp/socmesh-bench-net-XXXXXX");
	if (mkdtemp(w->root) == NULL)
		fatal("mkdtemp");
	atexit(s_cleanup);

	double raw = s_raw_curve(200000, 900);
	printf("bench_gossip: %zu nodes, sparse mesh (each dials the next and the one three on)\n",
		nodes);
	printf("  ceiling  raw CurveZMQ, 900-byte messages, one link    %9.0f msgs/s\n", raw);
	fflush(stdout);

	for (int i = 0; i < w->n; i++)
		s_node(w, i);
	/* Everyone knows every key (an origin must be known); links are
	 * sparse: each node dials the next and the one three on. */
	for (int i = 0; i < w->n; i++) {
		int a = (i + 1) % w->n, b = (i + 3) % w->n;
		s_trust(w, i, a, true);
		if (b != a && b != i)
			s_trust(w, i, b, true);
	}
	for (int i = 0; i < w->n; i++)
		for (int j = 0; j < w->n; j++)
			if (i != j)
				s_trust(w, i, j, false);
	for (int i = 0; i < w->n; i++)
		s_start(w, i);
	zclock_sleep(2500); /* links up, first reconciliations done */

	/* Propagation: RATE messages/s at node 0. */
	uint64_t t0 = now_ms();
	for (size_t k = 0; k < total; k++) {
		char title[64];
		snprintf(title, sizeof title, "propagation %zu", k);
		json_t *rep = control_call(w->dir[0],
			json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "cmd", "publish", "message", "tlp",
				"green", "title", title, "category", "test", "severity", "low",
				"summary",
				"A message of about the size an incident carries, published to "
				"measure how fast it reaches every node of the network."),
			err, sizeof err);
		if (rep == NULL || !json_is_true(json_object_get(rep, "ok")))
			fatalx("publish: %s", rep ? json_string_value(json_object_get(rep, "error")) : err);
		json_decref(rep);
		uint64_t due = t0 + (k + 1) * 1000 / rate;
		if (now_ms() < due)
			zclock_sleep((int)(due - now_ms()));
	}
	for (int i = 1; i < w->n; i++)
		if (!s_wait_count(w, i, total, 60000))
			fatalx("node %d did not get every message", i);
	for (int i = 0; i < w->n; i++)
		s_stop(w, i);

	/* Delays from the stores (the daemons are stopped: one writer each). */
	struct delays d = { msg_new(), id0, calloc(total, sizeof(uint64_t)), total };
	if (keys_read_id(w->dir[0], id0, err, sizeof err) == -1)
		fatalx("%s", err);
	for (int i = 1; i < w->n; i++) {
		struct node *n = node_open(w->dir[i], NODE_STORE, err, sizeof err);
		if (n == NULL)
			fatalx("%s", err);
		(void)store_range(n->st, 0, UINT64_MAX, false, NULL, 0, s_delay, &d, NULL);
		node_close(&n);
	}
	qsort(d.worst, total, sizeof *d.worst, s_cmp_u64);
	printf("  propagation  %zu msgs/s for %zu s at n0: delay until all %zu nodes committed: "
	       "p50 %llu ms, p99 %llu ms, max %llu ms\n",
		rate, secs, nodes, (unsigned long long)d.worst[total / 2],
		(unsigned long long)d.worst[total * 99 / 100], (unsigned long long)d.worst[total - 1]);
	free(d.worst);
	msg_destroy(&d.m);

	/* Catch-up: node 0 holds CATCHUP more messages (written straight to
	 * its store), a new node dials it and reconciles. */
	struct node *n0 = node_open(w->dir[0], NODE_KEYS | NODE_STORE, err, sizeof err);
	uint64_t last;
	if (n0 == NULL || store_last_seq(n0->st, n0->id, &last) != STORE_OK)
		fatalx("%s", err);
	struct store_rec recs[256];
	uint8_t *bytes[256];
	int results[256];
	struct msg *m = msg_new();
	for (size_t k = 0; k < catchup; k += 256) {
		size_t b = 0;
		for (; b < 256 && k + b < catchup; b++) {
			struct draft *dr = draft_new();
			struct msg *dm = draft_msg(dr);
			char title[64];
			size_t len;
			snprintf(title, sizeof title, "catch-up %zu", k + b);
			if (draft_set(dr, "title", title, err, sizeof err) ||
			    draft_set(dr, "category", "test", err, sizeof err) ||
			    draft_set(dr, "severity", "low", err, sizeof err) ||
			    draft_set(dr, "summary", "A message of about the size an incident carries, "
							"written here for the catch-up measurement.", err,
				    sizeof err))
				fatalx("%s", err);
			memcpy(dm->origin, n0->id, 32);
			dm->seq = ++last;
			dm->time = now_ms();
			if (msg_encode(dm, n0->keys->sk, NULL, NULL, &bytes[b], &len) != MSG_OK ||
			    msg_decode(m, bytes[b], len, 0) != MSG_OK)
				fatalx("encode");
			ingest_rec(&recs[b], NULL, m, bytes[b], len);
			draft_destroy(&dr);
		}
		if (store_put_batch(n0->st, recs, b, now_ms(), results) != STORE_OK)
			fatalx("catch-up: store");
		for (size_t i = 0; i < b; i++)
			free(bytes[i]);
	}
	msg_destroy(&m);
	uint64_t have = total + catchup;
	node_close(&n0);
	int x = w->n;
	s_node(w, x);
	s_trust(w, x, 0, true), s_trust(w, 0, x, false);
	for (int i = 1; i < x; i++)
		s_trust(w, x, i, false);
	w->n = x + 1;
	s_start(w, 0);
	uint64_t c0 = now_ms();
	s_start(w, x);
	if (!s_wait_count(w, x, have, 600000))
		fatalx("the new node did not catch up");
	double ct = (double)(now_ms() - c0) / 1000.0;
	printf("  catch-up     a new node reconciles %llu messages: %.1f s, %.0f msgs/s (%.1f%% of raw "
	       "CurveZMQ)\n",
		(unsigned long long)have, ct, (double)have / ct, 100.0 * (double)have / ct / raw);
	return 0;
}
