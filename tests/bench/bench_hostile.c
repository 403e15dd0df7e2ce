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

#include "benchlib.h"
#include "control.h"

static struct bench_node *s_a, *s_h;

static json_t *
s_call(const struct bench_node *n, json_t *req)
{
	char err[256];
	return control_call(n->dir, req, err, sizeof err);
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
		rep = s_call(s_h,
		    json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "cmd", "publish", "message", "tlp",
		        "green", "title", title, "category", "test", "severity", "low"));
		if ((id = json_string_value(json_object_get(rep, "id"))) == NULL)
			fatalx("publish at H failed");
		t0 = zclock_usecs();
		/* Up to 60 s; 10 s once the attack is over. */
		for (int64_t end = t0 + 60 * 1000000LL; !there && zclock_usecs() < end;) {
			json_t *e = s_call(s_a, json_pack("{s:s,s:s}", "cmd", "explain", "id", id));
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
	size_t n = bench_env("BENCH_HOSTILE_N", 100000);
	struct hostile_cfg c = { .conns = (int)bench_env("BENCH_HOSTILE_CONNS", 6),
		.seconds = (int)bench_env("BENCH_HOSTILE_SECONDS", 20),
		.mix = getenv("BENCH_HOSTILE_MIX") ? getenv("BENCH_HOSTILE_MIX")
		                                   : "w,r,h,B,wrRhp,B" };
	struct hostile_result base, r;
	struct honest h = { 0 };
	const char *dirs[2];
	char err[512], endpoint[64];
	uint8_t big[MSG_ID_LEN] = { 0 }, id[MSG_KEY_LEN];
	uint64_t recons = 0;
	struct bench_node *x;
	struct keys *k;
	pthread_t th;
	double t0;

	bench_setup("bench_hostile");
	s_a = bench_node_new("A"), s_h = bench_node_new("H"), x = bench_node_new("X");
	bench_trust_node(s_a, s_h, false);
	bench_node_id(x, id);
	bench_trust(s_a, "X", id, MSG_LEVEL_EXTERNAL, NULL);
	bench_trust_node(s_h, s_a, true);
	dirs[0] = s_a->dir, dirs[1] = s_h->dir;
	t0 = bench_now();
	if (hostile_prefill(dirs, 2, n, big, err, sizeof err) == -1)
		fatalx("prefill: %s", err);
	printf("bench_hostile: node A holds %zu messages (shipped defaults), member H dials it, "
	       "external X "
	       "attacks it\n  (prefilled A and H in %.1f s)\n",
	    n + 1, bench_now() - t0);
	fflush(stdout);

	bench_start(s_a);
	bench_start(s_h);
	/* Their first exchange read A's whole store: its pages are in the
	 * baseline, not in the growth. */
	for (int i = 0; i < 1200 && !(bench_peer_state(s_a, "H", &recons) && recons > 0); i++)
		zclock_sleep(50);
	if (recons == 0)
		fatalx("H and A did not reconcile");

	if ((k = keys_load(x->dir, err, sizeof err)) == NULL)
		fatalx("%s", err);
	bench_node_id(s_a, id);
	snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", s_a->port);
	c.keys = k;
	c.endpoint = endpoint;
	if (keys_curve_pk(c.server, id) == -1)
		fatalx("A's key");
	memcpy(c.prefix, big, RECON_PREFIX_LEN);
	c.pid = s_a->pid;
	c.ctl_dir = s_a->dir;

	struct hostile_cfg idle = c;
	idle.conns = 1, idle.seconds = 5, idle.mix = "-";
	if (hostile_attack(&idle, &base) == -1)
		fatalx("baseline");
	printf("  baseline  X connected, idle, 5 s: control socket p50 %.1f ms, p99 %.1f ms, max "
	       "%.1f ms\n",
	    base.ctl_p50, base.ctl_p99, base.ctl_max);
	fflush(stdout);

	if (pthread_create(&th, NULL, s_honest, &h) != 0)
		fatalx("thread");
	if (hostile_attack(&c, &r) == -1)
		fatalx("attack");
	atomic_store(&h.stop, 1);
	pthread_join(th, NULL);
	printf("  attack    %d non-reading connections (%s) for %d s: %llu WANT, %llu RECON, %llu "
	       "HELLO, "
	       "%llu PING, %.0f MB sent\n",
	    c.conns, c.mix, c.seconds, (unsigned long long)r.want, (unsigned long long)r.recon,
	    (unsigned long long)r.hello, (unsigned long long)r.ping, (double)r.bytes / 1e6);
	printf("  memory    RSS growth %.1f MiB (anonymous %.1f MiB), from %.1f MiB (goal: under "
	       "64 MiB)\n",
	    (double)(r.rss_max - r.rss0) / 1024.0, (double)(r.anon_max - r.anon0) / 1024.0,
	    (double)r.rss0 / 1024.0);
	printf("  control   socket under attack: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %zu "
	       "unanswered "
	       "for 10 s (goal: p99 under 50 ms)\n",
	    r.ctl_p50, r.ctl_p99, r.ctl_max, r.ctl_unanswered);
	printf("  honest    %zu of %zu messages published at H during the attack reached A", h.n,
	    h.n + h.lost);
	if (h.n > 0) {
		double p50 = bench_pct(h.ms, h.n, 50);
		printf(": p50 %.0f ms, max %.0f ms", p50, h.ms[h.n - 1]);
	}
	printf("\n");
	/* ZeroMQ's heartbeat timer fires every 2 s on each connection; a
	 * node that died during the attack, or as its connections closed, is
	 * reported when it is stopped. */
	zclock_sleep(3000);
	bench_stop(s_a);
	keys_destroy(&k);
	return 0;
}
