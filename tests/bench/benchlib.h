/*
 * benchlib — what the benchmarks share (every tests/bench/bench_*.c links
 * benchlib.c and prefill.c; tests/unit/helper_hostile.c links them for the
 * peer client and the probes).
 *
 * benchlib.c
 *   - a scratch directory under /tmp and the processes started in it:
 *     every node is stopped and the directory removed at exit, also after
 *     fatalx() or SIGINT/SIGTERM;
 *   - nodes: a real socmeshd with the configuration `socmesh init` writes
 *     (the shipped defaults), listening on a 127.0.0.1 port chosen at run
 *     time; trust entries; start (bounded wait for the control socket),
 *     stop (SIGTERM, then SIGKILL after 10 s);
 *   - measurements of a process: CPU time (/proc/PID/stat), VmRSS and
 *     RssAnon (/proc/PID/status), messages in a node's store (read here,
 *     through LMDB, without asking the daemon);
 *   - the control socket: one timed request, and a probe that sends a
 *     request every few ms on a thread and times each round trip;
 *   - the peer protocol's client side (docs/PROTOCOL.md, section 13): a
 *     CURVE DEALER with a peer's key, frames sent without waiting;
 *   - results: keys merged into the JSON object at $BENCH_JSON (nothing is
 *     written when it is unset).
 *
 * prefill.c
 *   - the corpus: message i, a signed GREEN incident of about 900 bytes with
 *     5 indicators (one of them shared between origins), from origin
 *     i % BENCH_ORIGINS with seq i / BENCH_ORIGINS + 1;
 *   - bench_put(): messages written straight into stopped nodes' stores;
 *   - bench_cache(): two nodes (A and B) holding the same n messages, kept
 *     under build/bench-cache/ ($BENCH_CACHE) and reused by later runs.
 */
#ifndef SOCMESH_BENCHLIB_H
#define SOCMESH_BENCHLIB_H

#include <czmq.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keys.h"
#include "msg.h"

/* ---- environment, scratch directory, time ----------------------------- */

/* The unsigned integer in environment variable name, or def. */
size_t bench_env(const char *name, size_t def);
/* BENCH_QUICK=1: the figures at 1,000,000 stored messages are skipped. */
bool bench_quick(void);
/* Monotonic seconds. */
double bench_now(void);
/* Logging, libsodium, and a new scratch directory /tmp/socmesh-PROG-XXXXXX
 * removed at exit with every node stopped.  Returns the directory. */
const char *bench_setup(const char *prog);
/* The socmesh CLI beside the daemon under test ($BENCH_SOCMESHD), into
 * path. */
void bench_cli_path(char *path, size_t len);
/* A TCP port free on 127.0.0.1 now. */
int bench_free_port(void);
/* cp -a --reflink=auto from to (fatalx on failure); rm -rf path. */
void bench_copy(const char *from, const char *to);
void bench_rmrf(const char *path);
/* The p-th percentile (0 to 100) of n values sorted in place; NAN when
 * n is 0. */
double bench_pct(double *v, size_t n, double p);

/* ---- nodes --------------------------------------------------------------- */

struct bench_node {
	char name[32];
	char dir[512];
	int port;
	pid_t pid; /* 0 while stopped */
};

/* A new node NAME in the scratch directory: node_init with the shipped
 * defaults, listening on tcp://127.0.0.1:PORT.  Up to 64 nodes. */
struct bench_node *bench_node_new(const char *name);
/* The same, whose identity and store are copies of the stopped node
 * directory `from` (a cached node of bench_cache()). */
struct bench_node *bench_node_copy(const char *name, const char *from);
void bench_node_id(const struct bench_node *n, uint8_t id[32]);
/* a trusts key `id` as `name` at level; dials endpoint unless NULL. */
void bench_trust(struct bench_node *a, const char *name, const uint8_t id[32], enum msg_level level,
    const char *endpoint);
/* a trusts node b as a member, dialing it when dial. */
void bench_trust_node(struct bench_node *a, const struct bench_node *b, bool dial);
/* Starts socmeshd (BENCH_SOCMESHD, default build/socmeshd) on n, its log in
 * DIR.log; returns when its control socket answers (at most 300 s). */
void bench_start(struct bench_node *n);
/* Stops n: SIGTERM, SIGKILL after 10 s.  Says so when it had died. */
void bench_stop(struct bench_node *n);

/* n's `peers` entry for its peer `peer` (caller decrefs); NULL when none. */
json_t *bench_peer(const struct bench_node *n, const char *peer);
/* From that entry: whether it is connected, and into *count (if not NULL)
 * the exchanges completed with it. */
bool bench_peer_state(const struct bench_node *n, const char *peer, uint64_t *count);

/* Messages in n's store, read by this process; UINT64_MAX when it cannot
 * be opened. */
uint64_t bench_stored(const struct bench_node *n);
/* Waits (at most limit_s) until n's store holds at least want messages,
 * looking every every_ms; *got receives the last count. */
bool bench_wait_stored(const struct bench_node *n, uint64_t want, double limit_s, int every_ms,
    uint64_t *got);

/* ---- processes ------------------------------------------------------------ */

/* User + system CPU seconds of process pid (every thread); -1 when gone. */
double bench_cpu_s(pid_t pid);
/* VmRSS and RssAnon of process pid, in KiB; -1 when it is gone. */
int bench_rss(pid_t pid, long *rss, long *anon);

/* ---- control socket ---------------------------------------------------------- */

/* One request (JSON text) to dir's control socket; the reply (caller
 * decrefs), or NULL when none came within timeout_ms.  *ms (if not NULL)
 * receives the round trip. */
json_t *bench_ctl(const char *dir, const char *request, int timeout_ms, double *ms);

/*
 * The probe: a thread that sends request to dir's control socket every
 * every_ms over one REQ socket, timing each round trip, until
 * bench_probe_stop().  A round trip of L ms also counts for the requests a
 * client asking every every_ms would have made meanwhile (L, L - every_ms,
 * ...), so that a stall weighs what it lasts; a request not answered within
 * CONTROL_TIMEOUT_MS (when the CLI gives up) counts as unanswered.
 */
struct bench_probe {
	const char *dir, *request;
	int every_ms;
	atomic_int stop;
	double *ms; /* round trips, sorted once stopped */
	size_t n, cap, unanswered;
	pthread_t th;
};
/* For at most about `seconds`; -1 when it cannot start. */
int bench_probe_start(struct bench_probe *p, const char *dir, const char *request, int every_ms,
    int seconds);
void bench_probe_stop(struct bench_probe *p);
void bench_probe_free(struct bench_probe *p);

/* ---- the peer protocol ---------------------------------------------------- */

/* A DEALER that dials endpoint as the peer whose keys are k, to the node
 * whose CURVE key is server (keys_curve_pk of its id).  rcvhwm 0: ZeroMQ's
 * defaults; otherwise a peer that reads little: ZeroMQ holds rcvhwm
 * messages for it, the kernel rcvbuf bytes, and it queues at most 64
 * frames to send.  NULL on failure. */
zsock_t *bench_peer_dial(const struct keys *k, const uint8_t server[32], const char *endpoint,
    int rcvhwm, int rcvbuf);
/* One frame [cmd, payload] without waiting: 0 taken, -1 not now. */
int bench_peer_send(zsock_t *s, const char *cmd, const void *p, size_t n);
/* The key pair of the deterministic identity `label` (an origin, a driven
 * peer); caller frees with keys_destroy(). */
struct keys *bench_keys(const char *label);

/* ---- results ---------------------------------------------------------------- */

/* Sets key in $BENCH_JSON to value (taken; NULL: null), then
 * catchup_vs_ingest from catchup_per_s and ingest_per_s when both are
 * numbers (null otherwise). */
void bench_result(const char *key, json_t *value);
/* A number, or null when v is NAN. */
void bench_result_num(const char *key, double v);

/* ---- the corpus (prefill.c) ------------------------------------------------- */

#define BENCH_ORIGINS   30
#define BENCH_MSG_BYTES 900
#define BENCH_NIOC      5 /* indicators a message; the last one shared between origins */

/* The id of origin o (0 to BENCH_ORIGINS - 1). */
void bench_origin_id(int o, uint8_t id[32]);
/* a trusts every origin as a member (without endpoint). */
void bench_trust_origins(struct bench_node *a);
/* The draft fields of message i (caller decrefs): what `publish` takes. */
json_t *bench_msg_json(uint64_t i);

/* Message i is dated t0 + i * step ms. */
struct bench_clock {
	uint64_t t0, step;
};
/* Dates that put n messages in the 30 days before now. */
struct bench_clock bench_clock_now(uint64_t n);

/* Messages from .. from + n - 1, signed, in memory. */
struct bench_corpus {
	uint8_t **msg;
	size_t *len, n, bytes;
};
void bench_corpus(struct bench_corpus *c, uint64_t from, size_t n, struct bench_clock k);
void bench_corpus_free(struct bench_corpus *c);

/* Messages from .. from + n - 1 into the store of every one of the ndirs
 * stopped nodes (store_put_batch, 8,192 a transaction). */
void
bench_put(const char *const *dirs, size_t ndirs, uint64_t from, size_t n, struct bench_clock k);

/* Two stopped nodes, DIR/A and DIR/B, that hold messages 0 to n - 1. */
struct bench_cache {
	char dir[512], a[600], b[600]; /* DIR, DIR/A, DIR/B */
	size_t n;
	struct bench_clock k;
	double build_s; /* how long building it took (when it was built) */
	bool reused;
};
/* Reuses $BENCH_CACHE/VERSION-n when it is sound, builds it otherwise. */
void bench_cache(struct bench_cache *c, size_t n);

#endif
