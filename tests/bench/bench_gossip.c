/*
 * bench_gossip — the network measured with real socmeshd processes under
 * the shipped default configuration (what `socmesh init` writes), on
 * 127.0.0.1:
 *
 *   raw CurveZMQ throughput, DEALER to ROUTER over loopback, messages of
 *     the corpus's size (the ceiling)
 *   propagation: NODES nodes in a sparse mesh (each dials the next and the
 *     one three on), RATE messages/s of the corpus (prefill.c) published at
 *     node 0 for SECONDS, open-loop: p50 and p99 of the delay until every
 *     node has committed a message (the store's received time minus the
 *     time the message was due to be published), and the CPU time all the
 *     daemons used meanwhile
 *       propagation_p99_ms_16, propagation_cpu_s_16
 *   catch-up: a new node dials a node holding CATCHUP messages (a copy of
 *     the cached store of bench_cache()): messages/s until it holds them
 *     all, or what it got when CATCHUP_LIMIT seconds have passed
 *       catchup_per_s (and catchup_vs_ingest, once ingest_per_s is known)
 *
 * Environment: BENCH_NODES (16), BENCH_RATE (200), BENCH_SECONDS (5),
 * BENCH_CATCHUP (100000), BENCH_CATCHUP_LIMIT (600 s).
 */
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

#include "benchlib.h"
#include "control.h"
#include "log.h"
#include "node.h"
#include "util.h"

#define MAXN           16
#define SPREAD_LIMIT_S 150 /* for every node to hold every message: two sync intervals and more */

static double
s_raw_curve(size_t n, size_t size)
{
	uint8_t spk[32], ssk[32], cpk[32], csk[32];
	zsock_t *srv = zsock_new(ZMQ_ROUTER), *cli = zsock_new(ZMQ_DEALER);
	uint8_t *payload = calloc(1, size);
	int port = bench_free_port();
	zmsg_t *m;
	double t0, t;

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
	m = zmsg_recv(srv);
	zmsg_destroy(&m);
	t0 = bench_now();
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
	t = bench_now() - t0;
	zsock_destroy(&cli);
	zsock_destroy(&srv);
	free(payload);
	return (double)n / t;
}

/*
 * Publishing is open-loop: message k is due at t0 + k / RATE, whether or
 * not the ones before it were answered (PUBLISHERS threads, each with its
 * own request in flight), so that a node that cannot keep up shows as
 * delay, not as a slower publisher.  A message's delay at a node is its
 * received time there minus the time it was due (queueing at n0's control
 * socket included); the creation time that n0 writes is only printed.
 */
#define PUBLISHERS 8

struct publish {
	const char *dir;
	size_t total;
	uint64_t t0, *due; /* ms, wall clock (the nodes' received times are) */
	atomic_size_t next, failed;
};

static void *
s_publisher(void *arg)
{
	struct publish *pb = arg;

	for (size_t k; (k = atomic_fetch_add(&pb->next, 1)) < pb->total;) {
		json_t *req = json_pack("{s:s,s:o}", "cmd", "publish", "message",
		    bench_msg_json(k));
		char *text = json_dumps(req, JSON_COMPACT);
		json_t *rep;
		uint64_t now = now_ms();
		if (pb->due[k] > now)
			zclock_sleep((int)(pb->due[k] - now));
		rep = bench_ctl(pb->dir, text, CONTROL_TIMEOUT_MS, NULL);
		if (!json_is_true(json_object_get(rep, "ok")))
			atomic_fetch_add(&pb->failed, 1);
		json_decref(rep);
		json_decref(req);
		free(text);
	}
	return NULL;
}

/* The worst delays of message k over the stores read (k from its title). */
struct delays {
	struct msg *m;
	const uint64_t *due;
	uint64_t *worst, *made, *seen;
	size_t n;
};

static int
s_delay(void *arg, const struct store_item *it)
{
	struct delays *d = arg;
	unsigned long long k;
	char title[64];

	if (msg_decode(d->m, it->bytes, it->len, 0) != MSG_OK || d->m->body.title.n >= sizeof title)
		return 0;
	memcpy(title, d->m->body.title.p, d->m->body.title.n);
	title[d->m->body.title.n] = '\0';
	if (sscanf(title, "Phishing wave %llu ", &k) != 1 || k >= d->n)
		return 0;
	if (it->received > d->due[k] && it->received - d->due[k] > d->worst[k])
		d->worst[k] = it->received - d->due[k];
	if (it->received > d->m->time && it->received - d->m->time > d->made[k])
		d->made[k] = it->received - d->m->time;
	d->seen[k]++;
	return 0;
}

/* p-th percentile of the delays in v; a message some node lacks counts as
 * infinitely late (NAN when the percentile falls on one). */
static double
s_delay_pct(const struct delays *d, const uint64_t *v, int nodes, double p)
{
	double *x = calloc(d->n, sizeof *x), r;
	for (size_t i = 0; i < d->n; i++)
		x[i] = d->seen[i] == (uint64_t)nodes ? (double)v[i] : INFINITY;
	r = bench_pct(x, d->n, p);
	free(x);
	return isinf(r) ? NAN : r;
}

static void
s_propagation(size_t nodes, size_t rate, size_t secs)
{
	struct bench_node *w[MAXN] = { 0 };
	struct publish pb = { .total = rate * secs };
	pthread_t th[PUBLISHERS];
	double cpu0 = 0, cpu1 = 0, t0, pub_s, spread_s;
	uint64_t got;
	int late = 0;
	char err[512];

	for (size_t i = 0; i < nodes; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%zu", i);
		w[i] = bench_node_new(name);
	}
	/* Everyone knows every key (an origin must be known); links are
	 * sparse: each node dials the next and the one three on. */
	for (size_t i = 0; i < nodes; i++)
		for (size_t j = 1; j < nodes; j++)
			bench_trust_node(w[i], w[(i + j) % nodes], j == 1 || j == 3);
	for (size_t i = 0; i < nodes; i++)
		bench_start(w[i]);
	zclock_sleep(2500); /* links up, first exchanges done */

	pb.dir = w[0]->dir;
	pb.due = calloc(pb.total, sizeof *pb.due);
	pb.t0 = now_ms() + 100;
	for (size_t k = 0; k < pb.total; k++)
		pb.due[k] = pb.t0 + k * 1000 / rate;
	for (size_t i = 0; i < nodes; i++)
		cpu0 += bench_cpu_s(w[i]->pid);
	t0 = bench_now();
	for (int i = 0; i < PUBLISHERS; i++)
		if (pthread_create(&th[i], NULL, s_publisher, &pb) != 0)
			fatalx("thread");
	for (int i = 0; i < PUBLISHERS; i++)
		pthread_join(th[i], NULL);
	pub_s = bench_now() - t0;
	for (size_t i = 1; i < nodes; i++)
		if (!bench_wait_stored(w[i], pb.total, SPREAD_LIMIT_S - (bench_now() - t0), 100,
		        &got)) {
			printf("  WARNING: node n%zu holds %llu of the %zu messages after %d s\n",
			    i, (unsigned long long)got, pb.total, SPREAD_LIMIT_S);
			late++;
		}
	spread_s = bench_now() - t0;
	for (size_t i = 0; i < nodes; i++)
		cpu1 += bench_cpu_s(w[i]->pid);
	for (size_t i = 0; i < nodes; i++)
		bench_stop(w[i]);

	/* Delays from the stores (the daemons are stopped). */
	struct delays d = { msg_new(), pb.due, calloc(pb.total, sizeof(uint64_t)),
		calloc(pb.total, sizeof(uint64_t)), calloc(pb.total, sizeof(uint64_t)), pb.total };
	for (size_t i = 1; i < nodes; i++) {
		struct node *n = node_open(w[i]->dir, NODE_STORE, err, sizeof err);
		if (n == NULL)
			fatalx("%s", err);
		(void)store_range(n->st, 0, UINT64_MAX, false, NULL, 0, s_delay, &d, NULL);
		node_close(&n);
	}
	int others = (int)nodes - 1;
	double p50 = s_delay_pct(&d, d.worst, others, 50),
	       p99 = s_delay_pct(&d, d.worst, others, 99);
	printf("  propagation  %zu messages due at n0 at %zu/s, published in %.1f s (%zu failed): "
	       "delay "
	       "from due until all %zu nodes committed: p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
	       "from "
	       "creation at n0: p50 %.0f ms, p99 %.0f ms%s\n",
	    pb.total, rate, pub_s, (size_t)atomic_load(&pb.failed), nodes, p50, p99,
	    s_delay_pct(&d, d.worst, others, 100), s_delay_pct(&d, d.made, others, 50),
	    s_delay_pct(&d, d.made, others, 99), late ? " (nan: some never arrived)" : "");
	printf("  cpu          the %zu daemons used %.1f s of CPU in %.1f s (from the first "
	       "message due "
	       "until all held everything)\n",
	    nodes, cpu1 - cpu0, spread_s);
	free(d.worst), free(d.made), free(d.seen), free(pb.due);
	msg_destroy(&d.m);
	bench_result_num("propagation_p99_ms_16", nodes == 16 ? p99 : NAN);
	bench_result_num("propagation_cpu_s_16", nodes == 16 ? cpu1 - cpu0 : NAN);
}

static void
s_catchup(size_t n, double limit_s, double raw)
{
	struct bench_cache k;
	struct bench_node *s, *x;
	uint64_t got;
	double t0, t;
	bool all;

	bench_cache(&k, n);
	s = bench_node_copy("holder", k.a);
	x = bench_node_new("newcomer");
	bench_trust_origins(s);
	bench_trust_origins(x);
	bench_trust_node(s, x, false);
	bench_trust_node(x, s, true);
	bench_start(s);
	t0 = bench_now();
	bench_start(x);
	all = bench_wait_stored(x, n, limit_s, 500, &got);
	t = bench_now() - t0;
	if (got == UINT64_MAX)
		got = 0;
	printf("  catch-up     a new node reconciles %zu messages from one peer: %s %llu in %.1f "
	       "s, "
	       "%.0f msgs/s (%.1f%% of raw CurveZMQ)\n",
	    n, all ? "all" : "only", (unsigned long long)got, t, (double)got / t,
	    100.0 * (double)got / t / raw);
	if (!all)
		printf("  WARNING: catch-up timed out after %.0f s with %llu of %zu messages "
		       "(catchup_per_s is what it got per second)\n",
		    limit_s, (unsigned long long)got, n);
	/* How it went, as each side counts it. */
	json_t *pn = bench_peer(x, s->name), *ps = bench_peer(s, x->name);
	char *rej = json_dumps(json_object_get(pn, "rejected"), JSON_COMPACT);
	printf("               newcomer: %lld exchanges, %lld received, rejected %s; holder: %lld "
	       "sent, %lld dropped\n",
	    (long long)json_integer_value(json_object_get(pn, "reconciliations")),
	    (long long)json_integer_value(json_object_get(pn, "received")), rej ? rej : "?",
	    (long long)json_integer_value(json_object_get(ps, "sent")),
	    (long long)json_integer_value(json_object_get(ps, "dropped")));
	free(rej);
	json_decref(pn), json_decref(ps);
	bench_stop(x);
	bench_stop(s);
	bench_result_num("catchup_per_s", (double)got / t);
}

int
main(void)
{
	size_t nodes = bench_env("BENCH_NODES", 16), rate = bench_env("BENCH_RATE", 200);
	size_t secs = bench_env("BENCH_SECONDS", 5), catchup = bench_env("BENCH_CATCHUP", 100000);
	double limit = (double)bench_env("BENCH_CATCHUP_LIMIT", 600);

	bench_setup("bench_gossip");
	if (nodes < 2 || nodes > MAXN)
		fatalx("BENCH_NODES: 2 to %d", MAXN);
	double raw = s_raw_curve(200000, BENCH_MSG_BYTES);
	printf("bench_gossip: shipped defaults; %zu nodes, sparse mesh (each dials the next and "
	       "the one "
	       "three on)\n",
	    nodes);
	printf("  ceiling  raw CurveZMQ, %d-byte messages, one link    %9.0f msgs/s\n",
	    BENCH_MSG_BYTES, raw);
	fflush(stdout);
	s_propagation(nodes, rate, secs);
	fflush(stdout);
	s_catchup(catchup, limit, raw);
	return 0;
}
