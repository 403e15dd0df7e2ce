/*
 * bench_gossip — the network measured with real socmeshd processes under
 * the shipped default configuration (what `socmesh init` writes), on
 * 127.0.0.1:
 *
 *   raw CurveZMQ throughput, DEALER to ROUTER over loopback, messages of
 *     the corpus's size (the ceiling)
 *   propagation: NODES nodes in a sparse mesh (each dials the next and the
 *     one three on), RATE messages/s of the corpus (prefill.c) published at
 *     node 0 for SECONDS: p50 and p99 of the delay until every node has
 *     committed a message (the store's received time minus the creation
 *     time), and the CPU time all the daemons used meanwhile
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
#include <sodium.h>
#include <sys/wait.h>

#include "benchlib.h"
#include "control.h"
#include "log.h"
#include "node.h"
#include "util.h"

#define MAXN 16
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

/* The worst delay, by seq, of node 0's messages over the stores read. */
struct delays {
	struct msg *m;
	uint8_t origin[32];
	uint64_t *worst, *seen;
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
		d->seen[d->m->seq - 1]++;
	}
	return 0;
}

/* p-th percentile of the delays; a message some node lacks counts as
 * infinitely late (NAN when the percentile falls on one). */
static double
s_delay_pct(const struct delays *d, int nodes, double p)
{
	double *v = calloc(d->n, sizeof *v), r;
	for (size_t i = 0; i < d->n; i++)
		v[i] = d->seen[i] == (uint64_t)nodes ? (double)d->worst[i] : INFINITY;
	r = bench_pct(v, d->n, p);
	free(v);
	return isinf(r) ? NAN : r;
}

static void
s_propagation(size_t nodes, size_t rate, size_t secs)
{
	struct bench_node *w[MAXN] = { 0 };
	size_t total = rate * secs;
	double cpu0 = 0, cpu1 = 0, t0;
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

	for (size_t i = 0; i < nodes; i++)
		cpu0 += bench_cpu_s(w[i]->pid);
	t0 = bench_now();
	for (size_t k = 0; k < total; k++) {
		json_t *msg = bench_msg_json(k), *rep;
		rep = control_call(w[0]->dir, json_pack("{s:s,s:o}", "cmd", "publish", "message", msg), err,
			sizeof err);
		if (rep == NULL || !json_is_true(json_object_get(rep, "ok")))
			fatalx("publish: %s", rep ? json_string_value(json_object_get(rep, "error")) : err);
		json_decref(rep);
		double due = t0 + (double)(k + 1) / (double)rate;
		if (bench_now() < due)
			zclock_sleep((int)((due - bench_now()) * 1000));
	}
	for (size_t i = 1; i < nodes; i++)
		if (!bench_wait_stored(w[i], total, SPREAD_LIMIT_S - (bench_now() - t0), 100, &got)) {
			printf("  WARNING: node n%zu holds %llu of the %zu messages after %d s\n", i,
				(unsigned long long)got, total, SPREAD_LIMIT_S);
			late++;
		}
	double spread_s = bench_now() - t0;
	for (size_t i = 0; i < nodes; i++)
		cpu1 += bench_cpu_s(w[i]->pid);
	for (size_t i = 0; i < nodes; i++)
		bench_stop(w[i]);

	/* Delays from the stores (the daemons are stopped). */
	struct delays d = { msg_new(), { 0 }, calloc(total, sizeof(uint64_t)),
		calloc(total, sizeof(uint64_t)), total };
	bench_node_id(w[0], d.origin);
	for (size_t i = 1; i < nodes; i++) {
		struct node *n = node_open(w[i]->dir, NODE_STORE, err, sizeof err);
		if (n == NULL)
			fatalx("%s", err);
		(void)store_range(n->st, 0, UINT64_MAX, false, NULL, 0, s_delay, &d, NULL);
		node_close(&n);
	}
	double p50 = s_delay_pct(&d, (int)nodes - 1, 50), p99 = s_delay_pct(&d, (int)nodes - 1, 99);
	double mx = s_delay_pct(&d, (int)nodes - 1, 100);
	printf("  propagation  %zu msgs/s for %zu s at n0: delay until all %zu nodes committed: "
	       "p50 %.0f ms, p99 %.0f ms, max %.0f ms%s\n",
		rate, secs, nodes, p50, p99, mx, late ? " (nan: some never arrived)" : "");
	printf("  cpu          the %zu daemons used %.1f s of CPU in %.1f s (from the first publish until "
	       "all held everything)\n",
		nodes, cpu1 - cpu0, spread_s);
	free(d.worst), free(d.seen);
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
	printf("  catch-up     a new node reconciles %zu messages from one peer: %s %llu in %.1f s, "
	       "%.0f msgs/s (%.1f%% of raw CurveZMQ)\n",
		n, all ? "all" : "only", (unsigned long long)got, t, (double)got / t,
		100.0 * (double)got / t / raw);
	if (!all)
		printf("  WARNING: catch-up timed out after %.0f s with %llu of %zu messages "
		       "(catchup_per_s is what it got per second)\n",
			limit_s, (unsigned long long)got, n);
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
	printf("bench_gossip: shipped defaults; %zu nodes, sparse mesh (each dials the next and the one "
	       "three on)\n",
		nodes);
	printf("  ceiling  raw CurveZMQ, %d-byte messages, one link    %9.0f msgs/s\n", BENCH_MSG_BYTES,
		raw);
	fflush(stdout);
	s_propagation(nodes, rate, secs);
	fflush(stdout);
	s_catchup(catchup, limit, raw);
	return 0;
}
