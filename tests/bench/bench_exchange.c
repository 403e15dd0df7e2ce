/*
 * bench_exchange — what reconciliation and the control socket cost a node
 * that holds many messages, with real socmeshd processes under the shipped
 * defaults on 127.0.0.1, over the cached stores of bench_cache() (the
 * corpus of prefill.c):
 *
 *   exchange: a responder R holding N + 100 messages (a copy of cached
 *     node A, and 100 more written into it) and an initiator I holding N
 *     (a copy of cached node B) that dials R through a gate (a TCP relay in
 *     this process that listens only once opened), both started and settled
 *     first (a start reads the whole store): R's CPU time (utime + stime)
 *     from the gate's first connection (read by the gate before it
 *     relays a byte: I dials again after a backoff of up to 5 s, which is
 *     not counted) until I holds all N + 100 and R counts the exchange
 *     complete, less R's idle CPU over the same time (measured over
 *     IDLE_S before)
 *       exchange_cpu_ms_100k, exchange_cpu_ms_1m
 *   at 1,000,000 messages (R after its exchange; I stopped):
 *     stats: wall time of the control socket's `stats`, median of 5
 *       stats_ms_1m
 *     load: one driver process runs exchanges with R over 10 CURVE
 *       connections as 10 peers of R's trust list (each holding the N
 *       messages of A, so each exchange finds the 100 it lacks; a new one
 *       a second after the previous started, or after a `busy` refusal) for
 *       LOAD seconds, while a probe sends `ping` to R's control socket every
 *       10 ms: the p99 of its round trips
 *       control_p99_ms_1m
 *     and R's CPU time an exchange over them, less what answering the
 *     probe alone costs it (measured over the 5 s before)
 *       exchange_cpu_ms_1m_load
 *     loop lag: R's `stats` field loop_lag_p99_ms, when the daemon has one
 *       (null otherwise; with BENCH_QUICK=1, the 100,000-message R's)
 *       loop_lag_p99_ms
 *     memory: R's RssAnon after the load
 *       rss_anon_mb_1m
 *   BENCH_QUICK=1 skips everything at 1,000,000 (null in bench.json).
 *
 * Environment: BENCH_EXCHANGE_N (100000), BENCH_PREFILL (1000000),
 * BENCH_LOAD_SECONDS (20), BENCH_LOAD_PEERS (10).
 */
#include <math.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "benchlib.h"
#include "frame.h"
#include "log.h"
#include "node.h"
#include "recon.h"
#include "util.h"

#define EXTRA            100 /* messages R holds that I lacks */
#define PEERS_MAX        64
#define SETTLE_LIMIT_S   300 /* for a node's start (it reads its whole store) */
#define EXCHANGE_LIMIT_S 300
#define IDLE_S           10 /* R's idle CPU measured over this long */
#define STATS_CALLS      5
#define STATS_TIMEOUT_MS 120000
#define XCHG_SILENCE_S   15 /* an open exchange without a word: given up */
#define GATE_FDS         33 /* the listener and 16 relayed connections */

static int s_peers;

/* ---- the gate: a TCP relay that listens only once opened ------------------ */

struct gate {
	int port, to; /* listens on 127.0.0.1:port, relays to 127.0.0.1:to */
	pid_t pid;    /* R: its CPU time when the first connection comes */
	double t0, c0;
	atomic_int stop, accepted;
	pthread_t th;
};

static int
s_tcp(int port, bool listening)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(fd, 8) == -1
	              : connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *
s_gate(void *arg)
{
	struct gate *g = arg;
	struct pollfd p[GATE_FDS];
	static char buf[65536];
	int n = 1;

	if ((p[0].fd = s_tcp(g->port, true)) == -1)
		fatal("gate: port %d", g->port);
	p[0].events = POLLIN;
	while (!atomic_load(&g->stop)) {
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && n + 2 <= GATE_FDS) {
			int a = accept(p[0].fd, NULL, NULL), b;
			if (a >= 0 && !atomic_load(&g->accepted)) {
				g->t0 = bench_now();
				g->c0 = bench_cpu_s(g->pid);
				atomic_store(&g->accepted, 1);
			}
			b = s_tcp(g->to, false);
			if (a >= 0 && b >= 0) {
				p[n++] = (struct pollfd){ a, POLLIN, 0 };
				p[n++] = (struct pollfd){ b, POLLIN, 0 };
			} else
				close(a), close(b);
		}
		/* Pairs are (1, 2), (3, 4), ...; a closed pair's fds are -1. */
		for (int i = 1; i < n; i++) {
			int o = i % 2 ? i + 1 : i - 1;
			ssize_t r, w = 0;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, buf, sizeof buf);
			for (ssize_t k;
			     r > 0 && w < r && (k = write(p[o].fd, buf + w, (size_t)(r - w))) > 0;)
				w += k;
			if (r <= 0 || w < r) {
				close(p[i].fd), close(p[o].fd);
				p[i].fd = p[o].fd = -1;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	return NULL;
}

static void
s_gate_open(struct gate *g)
{
	atomic_init(&g->stop, 0);
	atomic_init(&g->accepted, 0);
	if (pthread_create(&g->th, NULL, s_gate, g) != 0)
		fatalx("gate: thread");
}

static void
s_gate_close(struct gate *g)
{
	atomic_store(&g->stop, 1);
	pthread_join(g->th, NULL);
}

/* ---- the exchange ------------------------------------------------------------ */

/* The keys of driven peer i, "peer-I" in R's trust list. */
static struct keys *
s_peer_keys(int i, char name[32])
{
	snprintf(name, 32, "peer-%d", i);
	return bench_keys(name);
}

/* R and I of one size, and the gate between them. */
struct pair {
	struct bench_cache cache;
	struct bench_node *r, *i;
	struct gate gate;
};

/* Waits until n's CPU use over a second falls under 2% (its start read
 * the store); returns how long that took. */
static double
s_settle(const struct bench_node *n)
{
	double t0 = bench_now(), c0 = bench_cpu_s(n->pid), c1;

	for (;;) {
		zclock_sleep(1000);
		c1 = bench_cpu_s(n->pid);
		if (c1 - c0 < 0.02 || bench_now() - t0 > SETTLE_LIMIT_S)
			return bench_now() - t0;
		c0 = c1;
	}
}

/* One exchange between I (holding N) and R (holding N + EXTRA): R's CPU in
 * ms into key (null when it did not complete); then I is stopped, R runs
 * on. */
static void
s_exchange(struct pair *x, size_t n, const char *tag, const char *key)
{
	char name[32], gate[64];
	const char *r_dir;
	uint8_t id[32];
	uint64_t got = 0, recons = 0;
	double settle, settle_i, idle, t0, c0, t, c, cpu_ms, dial;
	bool all;

	bench_cache(&x->cache, n);
	snprintf(name, sizeof name, "R%s", tag);
	x->r = bench_node_copy(name, x->cache.a);
	snprintf(name, sizeof name, "I%s", tag);
	x->i = bench_node_copy(name, x->cache.b);
	r_dir = x->r->dir;
	bench_put(&r_dir, 1, n, EXTRA, x->cache.k);
	bench_trust_origins(x->r);
	bench_trust_origins(x->i);
	bench_trust_node(x->r, x->i, false);
	/* I dials R through the gate. */
	x->gate.port = bench_free_port(), x->gate.to = x->r->port;
	snprintf(gate, sizeof gate, "tcp://127.0.0.1:%d", x->gate.port);
	bench_node_id(x->r, id);
	bench_trust(x->i, x->r->name, id, MSG_LEVEL_MEMBER, gate);
	for (int p = 0; p < s_peers; p++) {
		struct keys *k = s_peer_keys(p, name);
		bench_trust(x->r, name, k->pk, MSG_LEVEL_MEMBER, NULL);
		keys_destroy(&k);
	}

	bench_start(x->r);
	bench_start(x->i);
	settle = s_settle(x->r);
	settle_i = s_settle(x->i);
	c0 = bench_cpu_s(x->r->pid);
	zclock_sleep(IDLE_S * 1000);
	idle = (bench_cpu_s(x->r->pid) - c0) / IDLE_S;

	x->gate.pid = x->r->pid;
	t0 = bench_now();
	s_gate_open(&x->gate);
	all = bench_wait_stored(x->i, n + EXTRA, EXCHANGE_LIMIT_S, 20, &got);
	all = all && atomic_load(&x->gate.accepted);
	dial = all ? x->gate.t0 - t0 : NAN;
	t0 = x->gate.t0, c0 = x->gate.c0;
	/* And R counts it complete (its last round may come after the
	 * messages). */
	for (double until = bench_now() + 60;
	     all && (bench_peer_state(x->r, x->i->name, &recons), recons == 0); zclock_sleep(50))
		all = bench_now() < until;
	c = bench_cpu_s(x->r->pid);
	t = bench_now() - t0;
	/* Less idle than one tick may come out below zero: 0, then. */
	cpu_ms = (c - c0 - idle * t) * 1000.0;
	cpu_ms = cpu_ms > 0 ? cpu_ms : 0;
	printf("  exchange   R holds %zu, I %zu of them: R settled %.0f s after its start, I %.0f "
	       "s; "
	       "R idled at %.1f ms of CPU a second\n",
	    n + EXTRA, n, settle, settle_i, idle * 1000.0);
	printf("  exchange   the gate opens: I dials again after %.2f s, then holds all %zu after "
	       "%.2f s; R's CPU %.0f ms (%.0f ms less %.0f ms idle)%s\n",
	    dial, n + EXTRA, t, cpu_ms, (c - c0) * 1000.0, idle * t * 1000.0,
	    all ? "" : " -- WARNING: the exchange did not complete");
	fflush(stdout);
	bench_result_num(key, all ? cpu_ms : NAN);
	bench_stop(x->i);
	s_gate_close(&x->gate);
}

/* ---- the driver: one process, many peers ---------------------------------- */

struct conn {
	zsock_t *s;
	uint32_t xid;
	bool hello, open;
	double next, last; /* when the next exchange may start; the open one's last frame */
};

struct drive {
	const struct recon_set *set;
	struct recon_buf open; /* the opening message: the same every time */
	size_t done, refused, silent, failed, rounds, msgs;
};

static void
s_recon_send(struct drive *d, struct conn *k, const uint8_t *body, size_t len)
{
	uint8_t *f = malloc(FRAME_XID_HEAD + len);

	frame_recon_head(f, FRAME_INITIATOR, k->xid);
	if (len > 0)
		memcpy(f + FRAME_XID_HEAD, body, len);
	if (bench_peer_send(k->s, "RECON", f, FRAME_XID_HEAD + len) == -1) {
		d->failed++;
		k->open = false;
	}
	free(f);
}

/* One frame of R on connection k. */
static void
s_frame(struct drive *d, struct conn *k, zmsg_t *m, double now)
{
	zframe_t *cmd = zmsg_first(m), *pay = zmsg_next(m);
	const uint8_t *p = pay ? zframe_data(pay) : NULL;
	size_t n = pay ? zframe_size(pay) : 0;
	struct frame_recon fr;
	struct frame_refuse rf;

	if (cmd == NULL || pay == NULL)
		return;
	if (zframe_streq(cmd, "HELLO"))
		k->hello = true;
	else if (zframe_streq(cmd, "PING"))
		(void)bench_peer_send(k->s, "PONG", p, n);
	else if (zframe_streq(cmd, "MSG"))
		d->msgs++;
	else if (zframe_streq(cmd, "REFUSE") && frame_refuse_read(&rf, p, n) == FRAME_OK &&
	    rf.what == FRAME_REFUSE_XCHG && k->open && rf.xid == k->xid) {
		d->refused++;
		k->open = false;
		k->next = now + 1.05;
	} else if (zframe_streq(cmd, "RECON") && frame_recon_read(&fr, p, n) == FRAME_OK &&
	    fr.role == FRAME_RESPONDER && k->open && fr.xid == k->xid) {
		struct recon_buf out = { 0 };
		struct recon_result res = { 0 };
		k->last = now;
		d->rounds++;
		if (fr.len > 0 && recon_reply(d->set, fr.body, fr.len, &out, &res) != RECON_OK) {
			d->failed++;
			k->open = false;
		} else if (fr.len == 0 || out.len == 0) {
			/* R ended it, or this side has nothing but skips: the end. */
			if (fr.len > 0)
				s_recon_send(d, k, NULL, 0);
			d->done++;
			k->open = false;
		} else
			s_recon_send(d, k, out.p, out.len);
		free(out.p);
		recon_result_free(&res);
	}
}

/* Exchanges with the node r as s_peers peers for `seconds`. */
static void
s_drive(const struct bench_node *r, struct drive *d, int seconds)
{
	struct conn k[PEERS_MAX] = { 0 };
	uint8_t id[32], server[32];
	char endpoint[64], name[32];
	zpoller_t *poller = NULL;
	double now = bench_now(), end = now + seconds, hello = now;

	bench_node_id(r, id);
	if (keys_curve_pk(server, id) == -1 || recon_initiate(d->set, &d->open) != 0)
		fatalx("driver: setup");
	snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", r->port);
	for (int i = 0; i < s_peers; i++) {
		struct keys *key = s_peer_keys(i, name);
		if ((k[i].s = bench_peer_dial(key, server, endpoint, 0, 0)) == NULL)
			fatalx("driver: dial");
		keys_destroy(&key);
		k[i].next = now + 0.1 * i; /* not all at once */
		if (poller == NULL)
			poller = zpoller_new(k[i].s, NULL);
		else
			zpoller_add(poller, k[i].s);
	}
	while ((now = bench_now()) < end) {
		if (now >= hello) {
			/* A dialer's heartbeat (PROTOCOL.md, section 13.4). */
			for (int i = 0; i < s_peers; i++)
				(void)bench_peer_send(k[i].s, "HELLO", "socmesh/2", 9);
			hello += 1.0;
		}
		for (int i = 0; i < s_peers; i++) {
			if (k[i].open && now - k[i].last > XCHG_SILENCE_S) {
				d->silent++;
				k[i].open = false;
			}
			if (!k[i].open && k[i].hello && now >= k[i].next) {
				k[i].xid = randombytes_random() | 1;
				k[i].open = true;
				k[i].last = now;
				k[i].next = now + 1.05;
				s_recon_send(d, &k[i], d->open.p, d->open.len);
			}
		}
		(void)zpoller_wait(poller, 10);
		for (int i = 0; i < s_peers; i++)
			while (zsock_events(k[i].s) & ZMQ_POLLIN) {
				zmsg_t *m = zmsg_recv(k[i].s);
				if (m == NULL)
					break;
				s_frame(d, &k[i], m, bench_now());
				zmsg_destroy(&m);
			}
	}
	zpoller_destroy(&poller);
	for (int i = 0; i < s_peers; i++)
		zsock_destroy(&k[i].s);
	free(d->open.p);
}

static int
s_add(void *arg, const struct store_item *it)
{
	return recon_set_add(arg, it->time, it->id) == -1 ? -1 : 0;
}

/* The set of every message of the stopped node dir. */
static struct recon_set *
s_set_of(const char *dir)
{
	char err[512];
	struct node *n = node_open(dir, NODE_STORE, err, sizeof err);
	struct recon_set *s = recon_set_new();

	if (n == NULL || s == NULL ||
	    store_range(n->st, 0, UINT64_MAX, false, NULL, 0, s_add, s, NULL) < 0 ||
	    recon_set_seal(s) == -1)
		fatalx("driver: cannot read %s", dir);
	node_close(&n);
	return s;
}

/* stats_ms_1m, control_p99_ms_1m, rss_anon_mb_1m on x->r. */
static void
s_loaded(struct pair *x, int seconds)
{
	struct recon_set *set = s_set_of(x->cache.a);
	struct drive d = { .set = set };
	struct bench_probe p;
	double ms[STATS_CALLS], stats_ms, p99, idle99, c0, c1, pinged, each;
	long rss, anon;
	json_t *rep;

	for (int i = 0; i < STATS_CALLS; i++) {
		rep = bench_ctl(x->r->dir, "{\"cmd\":\"stats\"}", STATS_TIMEOUT_MS, &ms[i]);
		if (rep == NULL)
			ms[i] = INFINITY;
		json_decref(rep);
	}
	stats_ms = bench_pct(ms, STATS_CALLS, 50);
	printf("  stats      at %zu messages: median %.0f ms, slowest %.0f ms, of %d calls\n",
	    x->cache.n + EXTRA, stats_ms, ms[STATS_CALLS - 1], STATS_CALLS);
	fflush(stdout);

	if (bench_probe_start(&p, x->r->dir, "{\"cmd\":\"ping\"}", 10, 5) == -1)
		fatalx("probe");
	c0 = bench_cpu_s(x->r->pid);
	zclock_sleep(5000);
	pinged = (bench_cpu_s(x->r->pid) - c0) / 5; /* R's CPU a second, answering the probe */
	bench_probe_stop(&p);
	idle99 = bench_pct(p.ms, p.n, 99);
	bench_probe_free(&p);

	if (bench_probe_start(&p, x->r->dir, "{\"cmd\":\"ping\"}", 10, seconds) == -1)
		fatalx("probe");
	c0 = bench_cpu_s(x->r->pid);
	s_drive(x->r, &d, seconds);
	c1 = bench_cpu_s(x->r->pid);
	bench_probe_stop(&p);
	p99 = bench_pct(p.ms, p.n, 99);
	each = d.done > 0 ? (c1 - c0 - pinged * seconds) * 1000.0 / (double)d.done : NAN;
	printf("  load       %d peers exchanging with R for %d s over one driver: %zu exchanges "
	       "complete, "
	       "%zu refused (busy), %zu fell silent, %zu failed, %zu rounds, %zu messages "
	       "received; R "
	       "used %.0f%% of a core: %.1f ms an exchange (less its %.0f ms a second answering "
	       "the probe alone)\n",
	    s_peers, seconds, d.done, d.refused, d.silent, d.failed, d.rounds, d.msgs,
	    100.0 * (c1 - c0) / seconds, each, pinged * 1000.0);
	printf("  control    ping round trips at %zu messages: idle p99 %.1f ms; under load p50 "
	       "%.1f ms, "
	       "p99 %.1f ms, max %.1f ms, %zu unanswered (goal: p99 under 50 ms)\n",
	    x->cache.n + EXTRA, idle99, bench_pct(p.ms, p.n, 50), p99, bench_pct(p.ms, p.n, 100),
	    p.unanswered);
	bench_probe_free(&p);
	recon_set_destroy(&set);
	if (bench_rss(x->r->pid, &rss, &anon) == -1)
		fatalx("R is gone");
	printf("  memory     R after the exchanges: VmRSS %.0f MiB, RssAnon %.0f MiB\n",
	    rss / 1024.0, anon / 1024.0);
	bench_result_num("stats_ms_1m", isinf(stats_ms) ? NAN : stats_ms);
	bench_result_num("control_p99_ms_1m", p99);
	bench_result_num("exchange_cpu_ms_1m_load", each);
	bench_result_num("rss_anon_mb_1m", anon / 1024.0);
}

/* loop_lag_p99_ms from n's stats, when the daemon reports it. */
static void
s_loop_lag(const struct bench_node *n)
{
	json_t *rep = bench_ctl(n->dir, "{\"cmd\":\"stats\"}", STATS_TIMEOUT_MS, NULL);
	json_t *v = json_object_get(json_object_get(rep, "stats"), "loop_lag_p99_ms");

	if (v == NULL)
		v = json_object_get(rep, "loop_lag_p99_ms");
	if (json_is_number(v))
		printf("  loop lag   p99 %.1f ms (R's stats)\n", json_number_value(v));
	else
		printf("  loop lag   null: this socmeshd's stats has no loop_lag_p99_ms field\n");
	bench_result("loop_lag_p99_ms", json_is_number(v) ? json_real(json_number_value(v)) : NULL);
	json_decref(rep);
}

int
main(void)
{
	size_t n = bench_env("BENCH_EXCHANGE_N", 100000), big = bench_env("BENCH_PREFILL", 1000000);
	int seconds = (int)bench_env("BENCH_LOAD_SECONDS", 20);
	struct pair small, large;

	s_peers = (int)bench_env("BENCH_LOAD_PEERS", 10);
	bench_setup("bench_exchange");
	if (s_peers < 1 || s_peers > PEERS_MAX || seconds < 1)
		fatalx("BENCH_LOAD_PEERS: 1 to %d; BENCH_LOAD_SECONDS: at least 1", PEERS_MAX);
	printf("bench_exchange: shipped defaults; an exchange finding %d differences at %zu "
	       "messages\n",
	    EXTRA, n);
	if (bench_quick())
		printf("  (BENCH_QUICK: nothing at %zu messages)\n", big);
	else
		printf("  and at %zu, then there: stats, control socket under %d peers' exchanges, "
		       "memory\n",
		    big, s_peers);
	fflush(stdout);

	s_exchange(&small, n, "100k", "exchange_cpu_ms_100k");
	if (bench_quick()) {
		s_loop_lag(small.r);
		bench_result_num("exchange_cpu_ms_1m", NAN);
		bench_result_num("stats_ms_1m", NAN);
		bench_result_num("control_p99_ms_1m", NAN);
		bench_result_num("exchange_cpu_ms_1m_load", NAN);
		bench_result_num("rss_anon_mb_1m", NAN);
		return 0;
	}
	bench_stop(small.r);
	s_exchange(&large, big, "1m", "exchange_cpu_ms_1m");
	s_loaded(&large, seconds);
	s_loop_lag(large.r);
	return 0;
}
