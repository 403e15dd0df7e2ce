/*
 * helper_hostile — issue 8's hostile peer, written against the peer
 * protocol (docs/PROTOCOL.md, section 13, version 2), and what it measures
 * at the node it attacks.  tests/integration/budget.sh runs it;
 * tests/bench/bench_hostile.c includes this file (HOSTILE_NO_MAIN) and runs
 * the same attack for its figures.  The peer connections, the memory
 * readings and the control-socket probe are the benchmarks' own
 * (tests/bench/benchlib.c, linked in).
 *
 *   helper_hostile prefill N DIR [DIR...]
 *     Writes N signed TLP:CLEAR incidents of the first DIR's node (its key,
 *     its next sequence numbers) and then one TLP:CLEAR incident of about
 *     75 KB into the store of every DIR (daemons stopped: straight into
 *     LMDB), and prints the big message's id.
 *
 *   helper_hostile attack KEYDIR ENDPOINT ID PREFIX PID CTLDIR [OPTION...]
 *     With the key of the node in KEYDIR (a peer the victim trusts), opens
 *     `conns` connections to the victim (ENDPOINT, node id ID) that never
 *     read (a receive high-water mark of one message, a 4 KiB kernel
 *     buffer), says HELLO "socmesh/2" on each, then sends on each, as fast
 *     as it takes them, for `seconds`, the frames of its mix in turn:
 *       w  WANT naming PREFIX (32 hex digits) 4,096 times
 *       r  RECON opening a new exchange (role 0x00, a new xid) with a
 *          21-byte body: an empty id list up to a bound a year ahead (the
 *          node holds, and would send, everything it may send us), then a
 *          wrong fingerprint up to infinity (the exchange goes on)
 *       R  the same body in the exchange opened last (its next round)
 *       B  RECON of the largest legal size, 524,293 bytes (a new exchange,
 *          the same body, then zeros: malformed), which the node must read
 *          before it can refuse it
 *       h  HELLO "socmesh/2"
 *       p  PING (answered with a PONG)
 *       -  nothing (after its first HELLO: a baseline)
 *     Meanwhile it reads the victim's memory (VmRSS and RssAnon of PID in
 *     /proc/PID/status) every 100 ms, and asks the victim's control socket
 *     (CTLDIR/control.sock) {"cmd":"peers"} every 10 ms over one REQ
 *     socket, timing each round trip; a round trip of L ms counts as the
 *     requests a client asking every 10 ms would have made meanwhile (L,
 *     L - 10, ...), so that a stall weighs what it lasts, and a request not
 *     answered within CONTROL_TIMEOUT_MS (10 s, when the CLI gives up) as
 *     unanswered.  Then it prints one line of figures, key=value:
 *       rss0_kib rss_max_kib rss_growth_kib anon0_kib anon_max_kib
 *       anon_growth_kib ctl_n ctl_unanswered ctl_p50_ms ctl_p99_ms
 *       ctl_max_ms frames_want frames_recon frames_hello frames_ping
 *       bytes_sent
 *     Options: conns=N (6), seconds=S (20), mix=M[,M...] (w,r,h,B,wrRhp,B:
 *     connection i takes the (i mod count)-th).
 *
 * Exit status 0 after a complete run, 2 on bad arguments or setup.
 */
#include <czmq.h>
#include <sodium.h>

#include "../bench/benchlib.h"
#include "control.h"
#include "frame.h"
#include "ingest.h"
#include "keys.h"
#include "log.h"
#include "node.h"
#include "recon.h"
#include "util.h"

#define HOSTILE_CONNS_MAX      64
#define HOSTILE_WANT           4096  /* prefixes in one WANT: the protocol's most */
#define HOSTILE_BIG_SUMMARY    16000 /* of the big message: summary, */
#define HOSTILE_BIG_INDICATORS 800   /* and this many indicators of about 75 bytes */
#define HOSTILE_CTL_EVERY_MS   10
#define HOSTILE_RSS_EVERY_MS   100
#define HOSTILE_BATCH          8192
#define HOSTILE_BIG_RECON      FRAME_RECON_MAX /* the largest frame a node must read */

/* ---- prefill ------------------------------------------------------------ */

/* One signed message of n's own into *bytes (caller frees). */
static int
s_hostile_sign(struct node *n, struct draft *d, uint64_t seq, uint64_t time, uint8_t **bytes,
    size_t *len)
{
	struct msg *m = draft_msg(d);

	memcpy(m->origin, n->id, MSG_KEY_LEN);
	m->seq = seq;
	m->time = time;
	return msg_encode(m, n->keys->sk, NULL, NULL, bytes, len) == MSG_OK ? 0 : -1;
}

static struct draft *
s_hostile_draft(size_t i, bool big, char *err, size_t errlen)
{
	struct draft *d = draft_new();
	char title[96], v[128];

	if (d == NULL)
		return NULL;
	snprintf(title, sizeof title, "%s %zu",
	    big ? "Large hostile-test incident" : "Prefilled incident", i);
	if (draft_set(d, "tlp", "clear", err, errlen) ||
	    draft_set(d, "title", title, err, errlen) ||
	    draft_set(d, "category", "test", err, errlen) ||
	    draft_set(d, "severity", "low", err, errlen)) {
		draft_destroy(&d);
		return NULL;
	}
	if (!big) {
		snprintf(v, sizeof v, "ipv4:10.%zu.%zu.%zu", i >> 16 & 255, i >> 8 & 255, i & 255);
		if (draft_set(d, "summary",
		        "An incident of about the size most carry, written straight into the "
		        "store so that the node under attack holds many messages.",
		        err, errlen) ||
		    draft_set(d, "indicator", v, err, errlen))
			draft_destroy(&d);
		return d;
	}
	char *summary = malloc(HOSTILE_BIG_SUMMARY + 1);
	if (summary == NULL) {
		draft_destroy(&d);
		return NULL;
	}
	for (size_t k = 0; k < HOSTILE_BIG_SUMMARY; k++)
		summary[k] = "socmesh hostile peer test "[k % 26];
	summary[HOSTILE_BIG_SUMMARY] = '\0';
	if (draft_set(d, "summary", summary, err, errlen))
		draft_destroy(&d);
	free(summary);
	for (size_t k = 0; d != NULL && k < HOSTILE_BIG_INDICATORS; k++) {
		snprintf(v, sizeof v,
		    "url:https://large-incident-%04zu.example/a/path/long/enough/to/weigh?x=%zu", k,
		    k);
		if (draft_set(d, "indicator", v, err, errlen))
			draft_destroy(&d);
	}
	return d;
}

/*
 * n messages of the node in dirs[0] (and one big one, whose id goes into
 * big_id) into the store of every one of the ndirs directories.  0, or -1
 * with err set.
 */
static int
hostile_prefill(const char *const *dirs, size_t ndirs, size_t n, uint8_t big_id[MSG_ID_LEN],
    char *err, size_t errlen)
{
	struct node *self = node_open(dirs[0], NODE_KEYS | NODE_STORE, err, errlen);
	struct node **nodes = calloc(ndirs, sizeof *nodes);
	struct store_rec *recs = calloc(HOSTILE_BATCH, sizeof *recs);
	/* The big message's indicators, then one for each other message of a
	 * batch (the records point into it until the batch is written). */
	struct ks_keys *keys = calloc(HOSTILE_BATCH, sizeof *keys);
	uint8_t **bytes = calloc(HOSTILE_BATCH, sizeof *bytes);
	int *results = calloc(HOSTILE_BATCH, sizeof *results);
	struct msg *m = msg_new();
	uint64_t seq, t0 = now_ms() - n - 60000;
	int rc = -1;

	if (self == NULL || nodes == NULL || recs == NULL || keys == NULL || bytes == NULL ||
	    results == NULL || m == NULL)
		goto out;
	nodes[0] = self;
	for (size_t i = 1; i < ndirs; i++)
		if ((nodes[i] = node_open(dirs[i], NODE_STORE, err, errlen)) == NULL)
			goto out;
	if (store_last_seq(self->st, self->id, &seq) != STORE_OK) {
		errf(err, errlen, "%s: cannot read the last sequence number", dirs[0]);
		goto out;
	}
	/* The big message last, seq and time in order after the others. */
	for (size_t i = 0; i <= n && rc == -1; i += HOSTILE_BATCH) {
		size_t b = 0;
		bool ok = true;
		for (; ok && b < HOSTILE_BATCH && i + b <= n; b++) {
			bool big = i + b == n;
			struct draft *d = s_hostile_draft(i + b, big, err, errlen);
			size_t len;
			bytes[b] = NULL;
			if (d == NULL ||
			    s_hostile_sign(self, d, ++seq, t0 + i + b, &bytes[b], &len) == -1 ||
			    msg_decode(m, bytes[b], len, 0) != MSG_OK) {
				if (d != NULL)
					errf(err, errlen, "cannot sign message %zu", i + b);
				ok = false;
			} else if (ingest_rec(&recs[b], &keys[b], NULL, m, bytes[b], len) == -1) {
				errf(err, errlen, "out of memory");
				ok = false;
			}
			if (ok && big)
				memcpy(big_id, m->id, MSG_ID_LEN);
			draft_destroy(&d);
		}
		for (size_t k = 0; ok && k < ndirs; k++)
			if (store_put_batch(nodes[k]->st, recs, b, now_ms(), results) != STORE_OK) {
				errf(err, errlen, "%s: cannot write the store", dirs[k]);
				ok = false;
			}
		for (size_t j = 0; j < b; j++)
			free(bytes[j]);
		if (!ok)
			goto out;
		if (i + b > n)
			rc = 0;
	}
out:
	msg_destroy(&m);
	for (size_t i = 0; nodes != NULL && i < ndirs; i++)
		node_close(&nodes[i]);
	if (nodes == NULL)
		node_close(&self);
	for (size_t b = 0; b < HOSTILE_BATCH; b++)
		ks_free(&keys[b]);
	free(nodes), free(recs), free(keys), free(bytes), free(results);
	return rc;
}

/* ---- the attack ------------------------------------------------------------- */

struct hostile_cfg {
	const struct keys *keys;          /* the hostile peer's */
	const char *endpoint;             /* the victim's listener */
	uint8_t server[32];               /* its CURVE key */
	uint8_t prefix[RECON_PREFIX_LEN]; /* of a message it holds and may send us */
	pid_t pid;                        /* the victim's process */
	const char *ctl_dir;              /* its node directory */
	int conns, seconds;
	const char *mix; /* comma-separated, one per connection in turn */
};

struct hostile_result {
	long rss0, rss_max, anon0, anon_max; /* KiB */
	size_t ctl_n, ctl_unanswered;
	double ctl_p50, ctl_p99, ctl_max; /* ms */
	uint64_t want, recon, hello, ping, bytes;
};

/* A RECON body (docs/PROTOCOL.md, section 12.2) of 21 bytes: an empty id
 * list up to `far`, then a wrong fingerprint up to infinity. */
static size_t
s_hostile_recon_body(uint8_t *out, uint64_t far)
{
	size_t n = 0;
	uint64_t t = far + 1; /* the first bound: previous (0) + t - 1 */

	out[n++] = RECON_VERSION;
	for (; t >= 0x80; t >>= 7)
		out[n++] = (uint8_t)(t | 0x80);
	out[n++] = (uint8_t)t;
	out[n++] = 0; /* no prefix */
	out[n++] = 2; /* id list */
	out[n++] = 0; /* of no ids */
	out[n++] = 0; /* infinity */
	out[n++] = 0;
	out[n++] = 1; /* fingerprint */
	randombytes_buf(out + n, RECON_FP_LEN);
	return n + RECON_FP_LEN;
}

static int
hostile_attack(const struct hostile_cfg *c, struct hostile_result *r)
{
	zsock_t *s[HOSTILE_CONNS_MAX];
	const char *mix[HOSTILE_CONNS_MAX];
	size_t at[HOSTILE_CONNS_MAX] = { 0 }, nmix = 0;
	uint32_t xid[HOSTILE_CONNS_MAX] = { 0 };
	uint8_t *want = malloc(HOSTILE_WANT * RECON_PREFIX_LEN),
	        *recon = calloc(1, HOSTILE_BIG_RECON);
	char *mixes = strdup(c->mix), *save = NULL;
	struct bench_probe probe;
	uint64_t far = now_ms() + 365ULL * 86400 * 1000, start, until, next_rss;
	long rss, anon;

	memset(r, 0, sizeof *r);
	if (want == NULL || recon == NULL || mixes == NULL || c->conns < 1 ||
	    c->conns > HOSTILE_CONNS_MAX)
		return -1;
	for (char *m = strtok_r(mixes, ",", &save); m != NULL && nmix < HOSTILE_CONNS_MAX;
	     m = strtok_r(NULL, ",", &save))
		mix[nmix++] = m;
	if (nmix == 0)
		return -1;
	for (size_t i = 0; i < HOSTILE_WANT; i++)
		memcpy(want + i * RECON_PREFIX_LEN, c->prefix, RECON_PREFIX_LEN);
	if (bench_rss(c->pid, &r->rss0, &r->anon0) == -1)
		return -1;
	r->rss_max = r->rss0, r->anon_max = r->anon0;

	for (int i = 0; i < c->conns; i++) {
		/* A peer that stops reading: ZeroMQ holds one message for it,
		 * the kernel 4 KiB; the rest stays at the victim. */
		if ((s[i] = bench_peer_dial(c->keys, c->server, c->endpoint, 1, 4096)) == NULL)
			return -1;
		(void)bench_peer_send(s[i], "HELLO", "socmesh/2", 9);
	}
	if (bench_probe_start(&probe, c->ctl_dir, "{\"cmd\":\"peers\"}", HOSTILE_CTL_EVERY_MS,
	        c->seconds) == -1)
		return -1;
	start = now_ms();
	until = start + (uint64_t)c->seconds * 1000;
	next_rss = start;
	while (now_ms() < until) {
		bool any = false;
		for (int i = 0; i < c->conns; i++) {
			const char *m = mix[(size_t)i % nmix];
			char kind = m[at[i] % strlen(m)];
			uint8_t token[8];
			size_t n = FRAME_XID_HEAD;
			int rc;
			switch (kind) {
			case 'w':
				rc = bench_peer_send(s[i], "WANT", want,
				    HOSTILE_WANT * RECON_PREFIX_LEN);
				r->want += rc == 0, n = HOSTILE_WANT * RECON_PREFIX_LEN;
				break;
			case 'r':
			case 'R':
			case 'B':
				if (kind != 'R' || xid[i] == 0)
					xid[i] = randombytes_random() | 1;
				frame_recon_head(recon, FRAME_INITIATOR, xid[i]);
				n += s_hostile_recon_body(recon + FRAME_XID_HEAD, far);
				if (kind == 'B')
					n = HOSTILE_BIG_RECON;
				rc = bench_peer_send(s[i], "RECON", recon, n);
				r->recon += rc == 0;
				break;
			case 'h':
				rc = bench_peer_send(s[i], "HELLO", "socmesh/2", n = 9);
				r->hello += rc == 0;
				break;
			case 'p':
				randombytes_buf(token, sizeof token);
				rc = bench_peer_send(s[i], "PING", token, n = sizeof token);
				r->ping += rc == 0;
				break;
			case '-':
				continue;
			default:
				return -1;
			}
			if (rc == 0) {
				at[i]++;
				r->bytes += n;
				any = true;
			}
		}
		if (now_ms() >= next_rss) {
			if (bench_rss(c->pid, &rss, &anon) == -1)
				break; /* the victim died: figures up to then */
			if (rss > r->rss_max)
				r->rss_max = rss;
			if (anon > r->anon_max)
				r->anon_max = anon;
			next_rss += HOSTILE_RSS_EVERY_MS;
		}
		if (!any)
			zclock_sleep(1);
	}
	bench_probe_stop(&probe);
	if (probe.n > 0) {
		r->ctl_p50 = probe.ms[probe.n / 2];
		r->ctl_p99 = probe.ms[probe.n * 99 / 100];
		r->ctl_max = probe.ms[probe.n - 1];
	}
	r->ctl_n = probe.n;
	r->ctl_unanswered = probe.unanswered;
	for (int i = 0; i < c->conns; i++)
		zsock_destroy(&s[i]);
	bench_probe_free(&probe);
	free(want);
	free(recon);
	free(mixes);
	return 0;
}

#ifndef HOSTILE_NO_MAIN
static void
hostile_print(FILE *f, const struct hostile_result *r)
{
	fprintf(f,
	    "rss0_kib=%ld rss_max_kib=%ld rss_growth_kib=%ld anon0_kib=%ld anon_max_kib=%ld "
	    "anon_growth_kib=%ld ctl_n=%zu ctl_unanswered=%zu ctl_p50_ms=%.1f ctl_p99_ms=%.1f "
	    "ctl_max_ms=%.1f frames_want=%llu frames_recon=%llu frames_hello=%llu frames_ping=%llu "
	    "bytes_sent=%llu\n",
	    r->rss0, r->rss_max, r->rss_max - r->rss0, r->anon0, r->anon_max,
	    r->anon_max - r->anon0, r->ctl_n, r->ctl_unanswered, r->ctl_p50, r->ctl_p99, r->ctl_max,
	    (unsigned long long)r->want, (unsigned long long)r->recon, (unsigned long long)r->hello,
	    (unsigned long long)r->ping, (unsigned long long)r->bytes);
}

static int
s_usage(void)
{
	fprintf(stderr,
	    "usage: helper_hostile prefill N DIR [DIR...]\n"
	    "       helper_hostile attack KEYDIR ENDPOINT ID PREFIX PID CTLDIR "
	    "[conns=N] [seconds=S] [mix=M[,M...]]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	char err[512], hex[2 * MSG_ID_LEN + 1];

	log_init("helper_hostile", 0, LOG_LEVEL_WARN);
	zsys_handler_set(NULL);
	if (sodium_init() < 0 || argc < 2)
		return s_usage();
	if (strcmp(argv[1], "prefill") == 0) {
		uint8_t id[MSG_ID_LEN];
		uint64_t n;
		if (argc < 4 || parse_uint(argv[2], &n) == -1)
			return s_usage();
		if (hostile_prefill((const char *const *)argv + 3, (size_t)argc - 3, n, id, err,
		        sizeof err) == -1) {
			fprintf(stderr, "helper_hostile: %s\n", err);
			return 2;
		}
		hex_encode(hex, id, MSG_ID_LEN);
		printf("%s\n", hex);
		return 0;
	}
	if (strcmp(argv[1], "attack") == 0 && argc >= 8) {
		struct hostile_cfg c = { .endpoint = argv[3],
			.pid = (pid_t)atol(argv[6]),
			.ctl_dir = argv[7],
			.conns = 6,
			.seconds = 20,
			.mix = "w,r,h,B,wrRhp,B" };
		struct hostile_result r;
		struct keys *k = keys_load(argv[2], err, sizeof err);
		uint8_t id[32];
		if (k == NULL || id_parse(id, argv[4]) == -1 || keys_curve_pk(c.server, id) == -1 ||
		    strlen(argv[5]) != 2 * RECON_PREFIX_LEN ||
		    hex_decode(c.prefix, RECON_PREFIX_LEN, argv[5], strlen(argv[5])) == -1) {
			fprintf(stderr, "helper_hostile: %s\n",
			    k == NULL ? err : "bad id or prefix");
			return 2;
		}
		c.keys = k;
		for (int i = 8; i < argc; i++)
			if (strncmp(argv[i], "conns=", 6) == 0)
				c.conns = atoi(argv[i] + 6);
			else if (strncmp(argv[i], "seconds=", 8) == 0)
				c.seconds = atoi(argv[i] + 8);
			else if (strncmp(argv[i], "mix=", 4) == 0)
				c.mix = argv[i] + 4;
			else
				return s_usage();
		if (c.seconds < 1 || hostile_attack(&c, &r) == -1) {
			fprintf(stderr, "helper_hostile: the attack could not be set up\n");
			return 2;
		}
		hostile_print(stdout, &r);
		keys_destroy(&k);
		return 0;
	}
	return s_usage();
}
#endif
