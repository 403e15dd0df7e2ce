/*
 * Fuzz target: the peer protocol's frame handler, gossip_input(), fed
 * sequences of frames (HELLO, MSG, RECON, WANT, PING, PONG, REFUSE, unknown
 * and malformed ones) from several peer keys, against one node holding a
 * small store, with trust changes in between.
 *
 * Set up once, on the first input: a node directory in /tmp (node_init;
 * the node's key and every peer's are made from fixed seeds, so that the
 * store and the seeds in tests/fuzz/corpus/fuzz_frame agree), a trust list
 * (soc-m member and coordinator, soc-e external, soc-b blocked), a store of
 * 32 signed messages (CLEAR, GREEN, AMBER, AMBER+STRICT and RED to or from
 * soc-m, sightings, an update, retractions, rosters), a zloop and a gossip
 * listening on 127.0.0.1 on a free port.  Real CURVE connections carry
 * what the node answers: soc-m has five to it (DEALERs, routing ids M0-M4:
 * one more than the node answers on), soc-e two (E0, E1), and the node
 * dials soc-e's listener (a ROUTER).  The harness reads what they carry
 * now and then (keeping PING tokens and the node's exchange ids for "echo"
 * frames) and throws it away.  No traffic leaves 127.0.0.1; nothing is
 * written to disk per input (a message the fuzzer gets stored is one of
 * the few valid ones of the catalog below, which also holds 10 the node
 * never stored).
 *
 * Input: frames, each
 *
 *   sel     bits 0-1 the key: 0 soc-m, 1 soc-e, 2 soc-b (blocked), 3 a key
 *           the node does not know; bits 2-3 the route: 0 and 3 one of
 *           the key's connections to the node (bits 4-6 choose), 1 none
 *           (the node's own connection to the peer: soc-e's is real), 2 a
 *           made-up route (bits 4-6 choose one of 8) the node cannot
 *           answer on; bit 7 "echo" (below)
 *   cmd     0xff a trust change (not a frame: payload[0] says which; undone
 *           after the input; under libFuzzer, at most one every 50 ms, as
 *           each costs the node a pass over its store); else modulo 9:
 *           HELLO MSG RECON WANT PING PONG REFUSE, 7 an unknown command,
 *           8 a malformed message (one frame, or three)
 *   len     2 bytes, big-endian (cut to what is left)
 *   payload len bytes
 *
 * Echo (bit 7) lets short inputs reach deep states: MSG: payload[0] picks a
 * catalog message, then (offset hi, offset lo, xor) triples patch a copy of
 * it; WANT: each byte picks a catalog message, whose id prefix is asked
 * for; RECON: bytes 1-4 (the xid) become the last exchange id the node
 * opened with that peer; REFUSE: kind 1, byte 1 picks the catalog id
 * written in bytes 1-32; kind 2, the xid as for RECON; PONG: the token of a
 * PING the node sent on the real connection (payload[0] picks one of the
 * last 8).
 *
 * Speed (system calls are what an input costs most): under libFuzzer the
 * loop runs (ingest results: pushes, refusals) every 16 inputs and the real
 * connections are read every 32; every 64 inputs each peer proves it read
 * what it was sent (PONG), so that the node's window does not stay closed;
 * every 30 s the loop runs 1.1 s, so that the gossip's heartbeat runs too
 * (exchanges the node starts, give-ups, stalls).  Under the replay driver
 * (make check), both run after every input, an echo frame waits until what
 * the node sent has arrived, an input's first RECON that may open an
 * exchange waits until a second has passed since the previous input's (a
 * node answers one new exchange per peer and second, "busy"), and a RECON
 * waits while the node pays back the CPU time of the one before (also
 * "busy"), so that a kept input does what it would do with an honest
 * peer's timing.
 *
 * FUZZ_FRAME_SEEDS=DIR: the first call also writes the seed inputs into
 * DIR.  FUZZ_FRAME_DEBUG=1: the node logs at debug level and prints its
 * peers' counters at exit.  FUZZ_FRAME_NOSETTLE=1: exit without collecting
 * the ingest pipeline's results first.
 */
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draft.h"
#include "frame.h"
#include "gossip.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "recon.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0             1767225600000ull             /* 2026-01-01T00:00:00Z: every message's time */
#define RETENTION_MS   (30ull * 365 * 86400 * 1000) /* so that they stay valid */
#define MAX_FRAMES     64                           /* per input */
#define TOKENS         8                            /* PING tokens remembered per connection */
#define PONG_EVERY     64                           /* inputs */
#define SPIN_EVERY     16                           /* inputs */
#define DRAIN_EVERY    32                           /* inputs */
#define TICK_EVERY_MS  30000                        /* let the heartbeat run, */
#define TICK_FOR_MS    1100                         /* this long */
#define BUILD_WAIT_MS  1100 /* replay: a node opens one exchange per peer and second */
#define TRUST_EVERY_MS 50   /* libFuzzer: trust changes at most this often */
#define WORK_SHARE     50   /* replay: as daemon/gossip.c's (a margin is added) */

enum { K_SELF, K_M, K_E, K_B, K_COUNT };
enum { C_HELLO, C_MSG, C_RECON, C_WANT, C_PING, C_PONG, C_REFUSE, C_UNKNOWN, C_MALFORMED, C_COUNT };
#define C_TRUST 0xff /* not modulo: a trust change costs the node a rebuild */
static const char *const s_cmds[] = { "HELLO", "MSG", "RECON", "WANT", "PING", "PONG", "REFUSE",
	"BOGUS" };

#define SEL_M       0x00
#define SEL_E       0x01
#define SEL_B       0x02
#define SEL_UNKNOWN 0x03
#define SEL_REAL    0x00
#define SEL_NOROUTE 0x04
#define SEL_FAKE    0x08
#define SEL_ECHO    0x80

struct peerkey {
	const char *name;
	uint8_t pk[32], sk[64], cpk[32], csk[32];
};

/* A message of the catalog: those stored at setup, and a few that are not
 * (valid but new, or refused by policy or time). */
struct item {
	uint8_t *bytes;
	size_t len;
	uint8_t id[MSG_ID_LEN];
	uint64_t time;
	bool stored;
};

/* A real connection: one of a peer's to the node (a DEALER with the
 * peer's key; routing id rid), or the node's own to soc-e (dialled at
 * soc-e's listener, a ROUTER in a context of its own, so that the node's
 * ZAP handler does not judge the node's key there). */
#define M_LINKS 5 /* soc-m's connections: more than the node answers on (4) */
#define E_LINKS 2
#define DIAL    (M_LINKS + E_LINKS)
#define NLINKS  (DIAL + 1)

struct link {
	int key; /* K_M or K_E */
	zsock_t *dealer;
	void *listener;
	zframe_t *route; /* NULL: the node's own connection */
	bool up;
	uint8_t tokens[TOKENS][FRAME_TOKEN_LEN]; /* of the node's last PINGs on it */
	size_t ntokens, token_at;
};

static struct {
	bool ready;
	char tmp[64], dir[96];
	struct peerkey k[K_COUNT];
	uint8_t unknown[32];
	struct node *n;
	zloop_t *loop;
	struct gossip *g;
	int pipe[2];
	zmq_pollitem_t stop;
	struct item cat[64];
	size_t ncat;
	struct link link[NLINKS];
	void *ctx;       /* soc-e's listener's */
	uint32_t xid[2]; /* of the last exchange the node opened with soc-m, soc-e */
	bool has_xid[2];
	zframe_t *fake[8];
	uint64_t runs, ticked, trusted;
	bool libfuzzer;         /* else the replay driver (make check) */
	uint64_t recon_at[4];   /* per key: when its last RECON was delivered, */
	uint64_t recon_run[4];  /* in which input; */
	uint64_t busy_until[4]; /* until when the node holds that key "busy" */
} S;

/* ---- setup ------------------------------------------------------------ */

static void
s_die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_frame: %s: %s\n", what, err);
	abort();
}

static void
s_key(struct peerkey *k, const char *name, uint8_t seedbyte)
{
	uint8_t seed[32];

	memset(seed, seedbyte, sizeof seed);
	k->name = name;
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	if (crypto_sign_ed25519_pk_to_curve25519(k->cpk, k->pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(k->csk, k->sk) != 0)
		s_die("keys", "cannot derive X25519 keys");
}

/* A fixed stream for sealing, so that addressed messages are the same
 * bytes on every run. */
static void
s_rng(void *arg, uint8_t *buf, size_t len)
{
	uint64_t *ctr = arg;
	uint8_t seed[randombytes_SEEDBYTES] = { 0 };

	memcpy(seed, ctr, sizeof *ctr);
	(*ctr)++;
	randombytes_buf_deterministic(buf, len, seed);
}

struct spec {
	int origin;
	const char *tlp, *kind;
	int ref;     /* catalog index, or -1 */
	unsigned to; /* bit per key */
	const char *title, *category, *indicator;
	bool store;
	uint64_t time; /* 0: T0 + a minute per message */
};

static const struct spec s_specs[] = {
	{ K_SELF, "clear", "incident", -1, 0, "Phishing wave", "fraud", "domain:phish.example",
	    true, 0 },
	{ K_SELF, "clear", "incident", -1, 0, "Scan", "information-gathering", "198.51.100.7", true,
	    0 },
	{ K_SELF, "clear", "incident", -1, 0, "Dropper", "malicious-code",
	    "url:http://bad.example/x", true, 0 },
	{ K_SELF, "clear", "incident", -1, 0, "Sample", "malicious-code",
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true, 0 },
	{ K_SELF, "green", "incident", -1, 0, "Credential stuffing", "intrusion-attempts",
	    "203.0.113.9", true, 0 },
	{ K_SELF, "green", "incident", -1, 0, "DDoS", "availability", NULL, true, 0 },
	{ K_SELF, "green", "incident", -1, 0, "Defacement", "intrusions", "domain:victim.example",
	    true, 0 },
	{ K_SELF, "amber", "incident", -1, 1u << K_M, "Insider", "intrusions", NULL, true, 0 },
	{ K_SELF, "amber+strict", "incident", -1, 1u << K_M, "Ransomware", "malicious-code",
	    "198.51.100.99", true, 0 },
	{ K_SELF, "red", "incident", -1, 1u << K_M, "Breach", "intrusions", NULL, true, 0 },
	{ K_SELF, "clear", "sighting", 0, 0, NULL, NULL, NULL, true, 0 },
	{ K_SELF, "green", "update", 4, 0, "Credential stuffing (contained)", "intrusion-attempts",
	    NULL, true, 0 },
	{ K_SELF, "clear", "retract", 1, 0, NULL, NULL, NULL, true, 0 },
	{ K_SELF, "clear", "roster", -1, 1u << K_E, NULL, NULL, NULL, true, 0 },
	{ K_M, "clear", "incident", -1, 0, "Botnet C2", "malicious-code", "domain:c2.example", true,
	    0 },
	{ K_M, "clear", "incident", -1, 0, "Spam run", "abusive-content", NULL, true, 0 },
	{ K_M, "green", "incident", -1, 0, "Brute force", "intrusion-attempts", "192.0.2.44", true,
	    0 },
	{ K_M, "green", "incident", -1, 0, "Data leak", "information-content-security", NULL, true,
	    0 },
	{ K_M, "amber", "incident", -1, 1u << K_SELF, "Targeted attack", "intrusions", NULL, true,
	    0 },
	{ K_M, "clear", "retract", 15, 0, NULL, NULL, NULL, true, 0 },
	{ K_M, "green", "sighting", 0, 0, NULL, NULL, NULL, true, 0 },
	{ K_M, "clear", "roster", -1, 1u << K_B, NULL, NULL, NULL, true, 0 },
	{ K_E, "clear", "incident", -1, 0, "Open resolver", "vulnerable", "192.0.2.53", true, 0 },
	{ K_E, "clear", "incident", -1, 0, "Typosquat", "fraud", "domain:examp1e.example", true,
	    0 },
	{ K_E, "clear", "incident", -1, 0, "Test", "test", NULL, true, 0 },
	{ K_E, "clear", "sighting", 14, 0, NULL, NULL, NULL, true, 0 },
	{ K_SELF, "clear", "incident", -1, 0, "Worm", "malicious-code", "203.0.113.77", true, 0 },
	{ K_SELF, "clear", "incident", -1, 0, "Cryptojacking", "fraud", NULL, true, 0 },
	{ K_SELF, "green", "incident", -1, 0, "Watering hole", "intrusions", "domain:water.example",
	    true, 0 },
	{ K_SELF, "green", "incident", -1, 0, "Exposed RDP", "vulnerable", "198.51.100.3", true,
	    0 },
	{ K_M, "clear", "incident", -1, 0, "Skimmer", "fraud", NULL, true, 0 },
	{ K_M, "green", "incident", -1, 0, "Wiper", "malicious-code", NULL, true, 0 },
	/* Not stored: 32 new and valid; 33 held until 32 is here; 34 an
	 * external origin's GREEN; 35 a retraction not by the origin; 36 by
	 * a blocked origin; 37 expired; 38 an hour ahead; 39 addressed to
	 * others; 40 new and valid; 41 a new roster. */
	{ K_M, "clear", "incident", -1, 0, "Fresh", "other", "192.0.2.1", false, 0 },
	{ K_M, "clear", "retract", 32, 0, NULL, NULL, NULL, false, 0 },
	{ K_E, "green", "incident", -1, 0, "External green", "other", NULL, false, 0 },
	{ K_M, "clear", "retract", 0, 0, NULL, NULL, NULL, false, 0 },
	{ K_B, "clear", "incident", -1, 0, "From blocked", "other", NULL, false, 0 },
	{ K_M, "clear", "incident", -1, 0, "Old", "other", NULL, false, 1000 },
	{ K_M, "clear", "incident", -1, 0, "Future", "other", NULL, false, 4102444800000ull },
	{ K_M, "amber", "incident", -1, 1u << K_E, "Not for us", "other", NULL, false, 0 },
	{ K_E, "clear", "incident", -1, 0, "External fresh", "other", NULL, false, 0 },
	{ K_M, "green", "roster", -1, 1u << K_M, NULL, NULL, NULL, false, 0 },
};

static void
s_set(struct draft *d, const char *f, const char *v)
{
	char err[256];

	if (draft_set(d, f, v, err, sizeof err) == -1)
		s_die(f, err);
}

/* Stores a catalog message as an import does: judged (node_judge()), then
 * verified and committed by the ingest pipeline, waited for. */
static void
s_store(struct ingest *in, const uint8_t *bytes, size_t len, const char *what)
{
	struct ingest_result r;
	uint8_t id[MSG_ID_LEN], *copy = malloc(len);
	char err[512];

	if (copy == NULL)
		s_die(what, "out of memory");
	if (node_judge(S.n, bytes, len, NULL, id, err, sizeof err) != 0)
		s_die(what, err);
	memcpy(copy, bytes, len);
	if (ingest_submit(in, copy, len, NULL) == -1)
		s_die(what, "ingest_submit");
	ingest_wait(in);
	if (ingest_results(in, &r, 1) != 1 || r.status != INGEST_STORED)
		s_die(what, "not stored by the ingest pipeline");
}

static void
s_build(struct ingest *in, size_t i, uint64_t seq[K_COUNT], uint64_t *ctr)
{
	const struct spec *sp = &s_specs[i];
	struct draft *d = draft_new();
	struct item *it = &S.cat[i];
	struct msg *m;
	char hex[2 * MSG_KEY_LEN + 1], err[256];
	int rc;

	if (d == NULL)
		s_die("draft", "out of memory");
	s_set(d, "kind", sp->kind);
	s_set(d, "tlp", sp->tlp);
	if (sp->ref >= 0) {
		hex_encode(hex, S.cat[sp->ref].id, MSG_ID_LEN);
		s_set(d, "ref", hex);
	}
	if (strcmp(sp->kind, "roster") == 0) {
		for (int k = 0; k < K_COUNT; k++)
			if (sp->to & (1u << k)) {
				hex_encode(hex, S.k[k].pk, MSG_KEY_LEN);
				s_set(d, "peer", hex);
				s_set(d, "name", S.k[k].name);
			}
		s_set(d, "level",
		    sp->to == 1u << K_B       ? "blocked"
		        : sp->to == 1u << K_E ? "external"
		                              : "member");
		s_set(d, "coordinator", sp->to == 1u << K_M ? "yes" : "no");
	} else {
		if (sp->title != NULL) {
			s_set(d, "title", sp->title);
			s_set(d, "category", sp->category);
			s_set(d, "severity", "high");
		} else
			s_set(d, "note", "seen here too");
		if (sp->indicator != NULL)
			s_set(d, "indicator", sp->indicator);
		for (int k = 0; k < K_COUNT; k++)
			if ((sp->to & (1u << k)) &&
			    draft_add_recipient(d, S.k[k].pk, err, sizeof err) == -1)
				s_die("recipient", err);
	}
	m = draft_msg(d);
	memcpy(m->origin, S.k[sp->origin].pk, MSG_KEY_LEN);
	m->seq = ++seq[sp->origin];
	m->time = sp->time != 0 ? sp->time : T0 + 60000 * (uint64_t)i;
	if ((rc = msg_encode(m, S.k[sp->origin].sk, s_rng, ctr, &it->bytes, &it->len)) != MSG_OK)
		s_die("encode", msg_strerror(rc));
	memcpy(it->id, m->id, MSG_ID_LEN);
	it->time = m->time;
	draft_destroy(&d);
	if (sp->store) {
		s_store(in, it->bytes, it->len, sp->title != NULL ? sp->title : sp->kind);
		it->stored = true;
	}
}

/* A free TCP port on 127.0.0.1 (the kernel's choice; a race with another
 * process taking it meanwhile is harmless: gossip_new then fails). */
static int
s_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void
s_rmtree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[512];

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
			    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
				s_rmtree(sub);
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static void s_spin(void);

static void
s_cleanup(void)
{
	if (!S.ready)
		return;
	S.ready = false;
	/* The messages still in the ingest pipeline: their results collected
	 * first, since gossip_destroy() drops them with their tags (a leak
	 * at shutdown; FUZZ_FRAME_NOSETTLE=1 shows it). */
	for (int i = 0; i < 60 && getenv("FUZZ_FRAME_NOSETTLE") == NULL; i++) {
		s_spin();
		zclock_sleep(5);
	}
	if (getenv("FUZZ_FRAME_DEBUG") != NULL) {
		json_t *j = gossip_peers_json(S.g);
		json_dumpf(j, stderr, JSON_INDENT(1));
		fputc('\n', stderr);
		json_decref(j);
	}
	for (int i = 0; i < NLINKS; i++) {
		zsock_destroy(&S.link[i].dealer);
		zframe_destroy(&S.link[i].route);
		if (S.link[i].listener != NULL)
			zmq_close(S.link[i].listener);
	}
	if (S.ctx != NULL)
		zmq_ctx_term(S.ctx);
	for (int i = 0; i < 8; i++)
		zframe_destroy(&S.fake[i]);
	gossip_destroy(&S.g);
	zloop_destroy(&S.loop);
	node_close(&S.n);
	for (size_t i = 0; i < S.ncat; i++)
		free(S.cat[i].bytes);
	close(S.pipe[0]);
	close(S.pipe[1]);
	s_rmtree(S.tmp);
}

static int
s_stop(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
	(void)loop, (void)item, (void)arg;
	return -1;
}

static int
s_stop_timer(zloop_t *loop, int id, void *arg)
{
	(void)loop, (void)id, (void)arg;
	return -1;
}

/* One pass of the loop: ZAP, the listener, and the ingest pipeline's
 * results (committed messages are pushed, refusals answered). */
static void
s_spin(void)
{
	(void)zloop_start(S.loop);
}

/* One frame the node sent on link l. */
static void
s_heard(struct link *l, zframe_t *c, zframe_t *p)
{
	const uint8_t *d = zframe_data(p);
	size_t n = zframe_size(p);

	l->up = true;
	if (zframe_streq(c, "PING") && n == FRAME_TOKEN_LEN) {
		memcpy(l->tokens[l->token_at++ % TOKENS], d, n);
		if (l->ntokens < TOKENS)
			l->ntokens++;
	} else if (zframe_streq(c, "RECON") && n >= FRAME_XID_HEAD && d[0] == FRAME_INITIATOR) {
		int k = l->key == K_M ? 0 : 1;
		S.xid[k] = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
		S.has_xid[k] = true;
	}
}

/* Everything the node sent on the real connections, thrown away: PING
 * tokens and the ids of the exchanges it opened are kept for echo frames. */
static void
s_drain(void)
{
	for (int i = 0; i < NLINKS; i++) {
		struct link *l = &S.link[i];
		zmsg_t *m;
		while (l->dealer != NULL && (m = zmsg_recv(l->dealer)) != NULL) {
			zframe_t *c = zmsg_first(m), *p = zmsg_next(m);
			if (c != NULL && p != NULL)
				s_heard(l, c, p);
			zmsg_destroy(&m);
		}
		while (l->listener != NULL) {
			zframe_t *f[3] = { NULL, NULL, NULL };
			int more = 1, nf = 0;
			for (; more; nf++) {
				zmq_msg_t part;
				size_t ml = sizeof more;
				zmq_msg_init(&part);
				int flags = nf == 0 ? ZMQ_DONTWAIT : 0;
				if (zmq_msg_recv(&part, l->listener, flags) == -1) {
					zmq_msg_close(&part);
					break;
				}
				if (nf < 3)
					f[nf] = zframe_new(zmq_msg_data(&part),
					    zmq_msg_size(&part));
				zmq_getsockopt(l->listener, ZMQ_RCVMORE, &more, &ml);
				zmq_msg_close(&part);
			}
			if (nf == 3)
				s_heard(l, f[1], f[2]);
			for (int k = 0; k < 3; k++)
				zframe_destroy(&f[k]);
			if (nf == 0)
				break;
		}
	}
}

/* Replay: what the node sent has all arrived (nothing more for 5 ms), so
 * that an echo frame uses the same token or xid as when it was found.
 * Under libFuzzer, echo frames use what the last drain saw (system calls
 * are what an input costs most). */
static void
s_settle(void)
{
	zmq_pollitem_t it[NLINKS];
	int n = 0;

	for (int i = 0; i < NLINKS; i++)
		if (S.link[i].dealer != NULL || S.link[i].listener != NULL)
			it[n++] = (zmq_pollitem_t){ S.link[i].dealer != NULL
				    ? zsock_resolve(S.link[i].dealer)
				    : S.link[i].listener,
				0, ZMQ_POLLIN, 0 };
	do
		s_drain();
	while (n > 0 && zmq_poll(it, n, 5) > 0);
}

/* The real connection a frame's selector names: bits 4-6 pick one of the
 * key's connections to the node; soc-e's "none" is the node's own. */
static struct link *
s_link_of(int sel)
{
	int key = sel & 3, kind = (sel >> 2) & 3, idx = (sel >> 4) & 7;

	if (key > 1 || kind == 2)
		return NULL;
	if (kind == 1)
		return key == 1 ? &S.link[DIAL] : NULL;
	return key == 0 ? &S.link[idx % M_LINKS] : &S.link[M_LINKS + idx % E_LINKS];
}

/* The selector of link i, for the harness's own frames. */
static int
s_sel_of(int i)
{
	if (i == DIAL)
		return SEL_E | SEL_NOROUTE;
	return i < M_LINKS ? SEL_M | i << 4 : SEL_E | (i - M_LINKS) << 4;
}

/* The thread's CPU time in microseconds, as the gossip measures a step. */
static uint64_t
s_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const uint8_t *
s_keyof(int sel)
{
	switch (sel & 3) {
	case 0:
		return S.k[K_M].pk;
	case 1:
		return S.k[K_E].pk;
	case 2:
		return S.k[K_B].pk;
	default:
		return S.unknown;
	}
}

static void
s_send(int sel, const char *cmd, const void *p, size_t len)
{
	zmsg_t *m = zmsg_new();
	zframe_t *route = NULL;
	bool recon = strcmp(cmd, "RECON") == 0, paced = recon && !S.libfuzzer;
	int key = sel & 3;
	uint64_t cpu = 0;

	if (m == NULL)
		abort();
	/* Replayed, an input meets the node as if it were alone and paced as
	 * an honest peer: its first RECON that may open an exchange is not
	 * refused as "busy" because of the input before, and no RECON comes
	 * while the step before it is being paid back (the node keeps a peer
	 * "busy" for WORK_SHARE times the loop's CPU time the step took). */
	if (paced && len > 0 && ((const uint8_t *)p)[0] == FRAME_INITIATOR) {
		uint64_t now = now_ms(), *at = &S.recon_at[key];
		if (S.recon_run[key] != S.runs + 1 && now - *at < BUILD_WAIT_MS)
			zclock_sleep((int)(BUILD_WAIT_MS - (now - *at)));
		*at = now_ms();
		S.recon_run[key] = S.runs + 1;
	}
	if (paced && now_ms() < S.busy_until[key])
		zclock_sleep((int)(S.busy_until[key] - now_ms()));
	if ((sel & 0x0c) == SEL_FAKE)
		route = S.fake[(sel >> 4) & 7];
	else if (s_link_of(sel) != NULL)
		route = s_link_of(sel)->route;
	zmsg_addstr(m, cmd);
	zmsg_addmem(m, p, len);
	if (paced)
		cpu = s_cpu_us();
	gossip_input(S.g, s_keyof(sel), route, m);
	if (paced)
		S.busy_until[key] = now_ms() + (s_cpu_us() - cpu) * WORK_SHARE / 1000 + 2;
	zmsg_destroy(&m);
}

static void s_write_seeds(const char *dir);

/* Every connection of the first n answered, but one of soc-m's: while
 * its other four hold bytes it has not proven it read, the node reads
 * its fifth and never answers it. */
static bool
s_all_up(int n)
{
	int down = 0;

	for (int i = 0; i < n; i++)
		if (!S.link[i].up && (i >= M_LINKS || ++down > 1))
			return false;
	return true;
}

/* The loop for a little more than a second: the gossip's heartbeat (a
 * zloop timer, which zloop_start() sets anew each time) runs once. */
static void
s_heartbeat(void)
{
	if (zloop_timer(S.loop, TICK_FOR_MS, 1, s_stop_timer, NULL) == -1)
		abort();
	zloop_poller_end(S.loop, &S.stop);
	s_spin();
	if (zloop_poller(S.loop, &S.stop, s_stop, NULL) == -1)
		abort();
	S.ticked = now_ms();
}

static void
s_setup(void)
{
	char err[512], ep[64], eep[64], path[160], hex[2 * 32 + 2];
	uint64_t seq[K_COUNT] = { 0 }, ctr = 1;
	int port, eport, zero = 0, one = 1;
	struct trust_peer tp;
	struct link *dial = &S.link[DIAL];

	if (sodium_init() < 0)
		s_die("sodium", "cannot initialise");
	log_init("fuzz_frame", 0, getenv("FUZZ_FRAME_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	zsys_handler_set(NULL); /* libFuzzer's signal handlers, not czmq's */
	zsys_set_io_threads(2); /* as socmeshd: the gossip's sockets ask for the second */
	snprintf(S.tmp, sizeof S.tmp, "/tmp/socmesh-fuzz-frame-XXXXXX");
	if (mkdtemp(S.tmp) == NULL)
		s_die("mkdtemp", strerror(errno));
	snprintf(S.dir, sizeof S.dir, "%s/node", S.tmp);
	if ((port = s_free_port()) < 0)
		s_die("port", strerror(errno));
	snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
	if (node_init(S.dir, "fuzz", ep, err, sizeof err) == -1)
		s_die("node_init", err);
	/* A fixed identity, so that the catalog (and the seeds) are the same
	 * bytes on every run: the store made by init goes with the old one. */
	s_key(&S.k[K_SELF], "self", 0x51);
	s_key(&S.k[K_M], "soc-m", 0x52);
	s_key(&S.k[K_E], "soc-e", 0x53);
	s_key(&S.k[K_B], "soc-b", 0x54);
	memset(S.unknown, 0x77, sizeof S.unknown);
	snprintf(path, sizeof path, "%s/%s", S.dir, KEYS_SECRET_FILE);
	hex_encode(hex, S.k[K_SELF].sk, 32); /* libsodium's sk starts with the seed */
	strcat(hex, "\n");
	if (file_write_atomic(path, hex, strlen(hex), 0600) == -1)
		s_die(path, strerror(errno));
	snprintf(path, sizeof path, "%s/%s", S.dir, KEYS_PUBLIC_FILE);
	hex_encode(hex, S.k[K_SELF].pk, 32);
	strcat(hex, "\n");
	if (file_write_atomic(path, hex, strlen(hex), 0644) == -1)
		s_die(path, strerror(errno));
	snprintf(path, sizeof path, "%s/%s", S.dir, CONFIG_STORE_DIR);
	s_rmtree(path);
	if (mkdir(path, 0700) == -1)
		s_die(path, strerror(errno));
	if ((S.n = node_open(S.dir, NODE_KEYS | NODE_STORE, err, sizeof err)) == NULL)
		s_die("node_open", err);
	for (int k = K_M; k < K_COUNT; k++) {
		memset(&tp, 0, sizeof tp);
		snprintf(tp.name, sizeof tp.name, "%s", S.k[k].name);
		memcpy(tp.id, S.k[k].pk, 32);
		tp.level = k == K_M ? MSG_LEVEL_MEMBER
		    : k == K_E      ? MSG_LEVEL_EXTERNAL
		                    : MSG_LEVEL_BLOCKED;
		tp.coordinator = k == K_M;
		if (trust_add(S.n->trust, &tp, err, sizeof err) == -1)
			s_die("trust_add", err);
	}
	/* soc-e listens too, and the node dials it. */
	if ((eport = s_free_port()) < 0)
		s_die("port", strerror(errno));
	snprintf(eep, sizeof eep, "tcp://127.0.0.1:%d", eport);
	if (trust_set_endpoint(S.n->trust, "soc-e", eep, err, sizeof err) == -1)
		s_die("trust_set_endpoint", err);
	if ((S.ctx = zmq_ctx_new()) == NULL ||
	    (dial->listener = zmq_socket(S.ctx, ZMQ_ROUTER)) == NULL ||
	    zmq_setsockopt(dial->listener, ZMQ_LINGER, &zero, sizeof zero) == -1 ||
	    zmq_setsockopt(dial->listener, ZMQ_RCVHWM, &zero, sizeof zero) == -1 ||
	    zmq_setsockopt(dial->listener, ZMQ_CURVE_SERVER, &one, sizeof one) == -1 ||
	    zmq_setsockopt(dial->listener, ZMQ_CURVE_SECRETKEY, S.k[K_E].csk, 32) == -1 ||
	    zmq_bind(dial->listener, eep) == -1)
		s_die(eep, zmq_strerror(zmq_errno()));
	dial->key = K_E;
	/* Frame budgets no fuzzer can exhaust (within the documented
	 * ranges), but the smallest window, so that the node runs out of it
	 * (PONG opens it again); a small message limit, so that too-big is
	 * reachable with 2-byte lengths; a retention that keeps the
	 * catalog's times valid. */
	S.n->cfg.peer_rate = 1000000;
	S.n->cfg.peer_burst = 10000000;
	S.n->cfg.peer_window = 64 * 1024;
	S.n->cfg.peer_send_rate = 16ull << 30;
	S.n->cfg.max_message = 16 * 1024;
	S.n->cfg.retention_ms = RETENTION_MS;
	S.n->cfg.sync_interval_ms = 1000;
	struct ingest_cfg icfg = { .max_size = S.n->cfg.max_message,
		.self = S.n->id,
		.seal = S.n->seal };
	struct ingest *in = ingest_new(S.n->st, &icfg);
	if (in == NULL)
		s_die("ingest_new", strerror(errno));
	for (size_t i = 0; i < sizeof s_specs / sizeof s_specs[0]; i++)
		s_build(in, i, seq, &ctr);
	ingest_destroy(&in);
	S.ncat = sizeof s_specs / sizeof s_specs[0];

	if ((S.loop = zloop_new()) == NULL)
		s_die("zloop", "out of memory");
	if ((S.g = gossip_new(S.n, S.loop, err, sizeof err)) == NULL)
		s_die("gossip_new", err);
	if (pipe(S.pipe) == -1 || write(S.pipe[1], "x", 1) != 1)
		s_die("pipe", strerror(errno));
	S.stop = (zmq_pollitem_t){ NULL, S.pipe[0], ZMQ_POLLIN, 0 };
	if (zloop_poller(S.loop, &S.stop, s_stop, NULL) == -1)
		s_die("zloop_poller", "failed");
	for (int i = 0; i < 8; i++) {
		uint8_t r[5] = { 0, 'f', 'a', 'k', (uint8_t)i };
		S.fake[i] = zframe_new(r, sizeof r);
	}
	S.ready = true;
	atexit(s_cleanup);

	/* soc-m's and soc-e's HELLO as if over the node's own connection to
	 * them: each opens an exchange that the node starts, whose frames go
	 * out once a real connection is there. */
	s_send(SEL_M | SEL_NOROUTE, "HELLO", "socmesh/2", 9);
	s_send(SEL_E | SEL_NOROUTE, "HELLO", "socmesh/2", 9);

	/* The peers' connections: CURVE with their keys, through ZAP. */
	for (int i = 0; i < DIAL; i++) {
		struct link *l = &S.link[i];
		const struct peerkey *k = &S.k[i < M_LINKS ? K_M : K_E];
		int nth = i < M_LINKS ? i : i - M_LINKS;
		char rid[3] = { i < M_LINKS ? 'M' : 'E', (char)('0' + nth), 0 };
		l->key = i < M_LINKS ? K_M : K_E;
		l->dealer = zsock_new(ZMQ_DEALER);
		if (l->dealer == NULL)
			s_die("dealer", "out of memory");
		zsock_set_identity(l->dealer, rid);
		zsock_set_curve_serverkey_bin(l->dealer, S.n->keys->curve_pk);
		zsock_set_curve_publickey_bin(l->dealer, k->cpk);
		zsock_set_curve_secretkey_bin(l->dealer, k->csk);
		zsock_set_linger(l->dealer, 0);
		zsock_set_rcvtimeo(l->dealer, 0);
		zsock_set_rcvhwm(l->dealer, 0);
		if (zsock_connect(l->dealer, "%s", ep) != 0)
			s_die("connect", ep);
		l->route = zframe_new(rid, 2);
		zstr_sendm(l->dealer, "HELLO");
		zstr_send(l->dealer, "socmesh/2 trust=0123456789abcdef");
	}
	for (int waited = 0; waited < 5000 && !s_all_up(DIAL); waited++) {
		s_spin();
		s_drain();
		zclock_sleep(1);
	}
	/* The node says HELLO on its own connection at its heartbeat. */
	for (int i = 0; i < 3 && !dial->up; i++) {
		s_heartbeat();
		s_drain();
	}
	if (!s_all_up(NLINKS))
		fprintf(stderr,
		    "fuzz_frame: warning: not every connection to the node is up; "
		    "some of its answers go nowhere\n");
	if (getenv("FUZZ_FRAME_SEEDS") != NULL)
		s_write_seeds(getenv("FUZZ_FRAME_SEEDS"));
}

/* ---- one input -------------------------------------------------------- */

/* Called by libFuzzer only: the replay driver does not. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	S.libfuzzer = true;
	return 0;
}

static void
s_trust(const uint8_t *p, size_t len, bool *changed)
{
	static const struct {
		const char *name;
		enum msg_level level;
	} changes[] = {
		{ "soc-m", MSG_LEVEL_EXTERNAL },
		{ "soc-e", MSG_LEVEL_MEMBER },
		{ "soc-m", MSG_LEVEL_MEMBER },
		{ "soc-e", MSG_LEVEL_EXTERNAL },
	};
	char err[256];
	uint8_t c = len > 0 ? p[0] : 0;

	if (c % 5 == 4)
		(void)trust_set_coordinator(S.n->trust, "soc-m",
		    !trust_find_name(S.n->trust, "soc-m")->coordinator, err, sizeof err);
	else
		(void)trust_set_level(S.n->trust, changes[c % 5].name, changes[c % 5].level, err,
		    sizeof err);
	gossip_trust_changed(S.g);
	*changed = true;
}

static void
s_trust_restore(void)
{
	char err[256];

	if (trust_set_level(S.n->trust, "soc-m", MSG_LEVEL_MEMBER, err, sizeof err) == -1 ||
	    trust_set_level(S.n->trust, "soc-e", MSG_LEVEL_EXTERNAL, err, sizeof err) == -1 ||
	    trust_set_coordinator(S.n->trust, "soc-m", true, err, sizeof err) == -1)
		s_die("trust", err);
	gossip_trust_changed(S.g);
}

static void
s_frame(uint8_t sel, uint8_t cmd, const uint8_t *p, size_t len, bool *changed)
{
	struct link *l = s_link_of(sel);
	int key = sel & 3;
	static uint8_t buf[FRAME_WANT_MAX * RECON_PREFIX_LEN];
	bool echo = (sel & SEL_ECHO) != 0;

	if (cmd == C_TRUST) {
		/* Each change (and its undoing) makes the node rebuild what it
		 * may send whom over its whole store: under libFuzzer, one
		 * change every TRUST_EVERY_MS at most. */
		if (!S.libfuzzer || now_ms() - S.trusted >= TRUST_EVERY_MS) {
			S.trusted = now_ms();
			s_trust(p, len, changed);
		}
		return;
	}
	cmd %= C_COUNT;
	if (cmd == C_MALFORMED) {
		zmsg_t *m = zmsg_new();
		zmsg_addstr(m, "MSG");
		if (len > 0 && (p[0] & 1)) {
			zmsg_addmem(m, p, len);
			zmsg_addmem(m, p, len);
		}
		gossip_input(S.g, s_keyof(sel), NULL, m);
		zmsg_destroy(&m);
		return;
	}
	if (echo && cmd != C_HELLO && cmd != C_PING && cmd != C_UNKNOWN) {
		if (key < 2 && !S.libfuzzer)
			s_settle();
		switch (cmd) {
		case C_MSG: {
			const struct item *it = &S.cat[(len > 0 ? p[0] : 0) % S.ncat];
			memcpy(buf, it->bytes, it->len);
			for (size_t i = 1; i + 3 <= len; i += 3)
				buf[((size_t)p[i] << 8 | p[i + 1]) % it->len] ^= p[i + 2];
			p = buf, len = it->len;
			break;
		}
		case C_WANT:
			for (size_t i = 0; i < len && i < FRAME_WANT_MAX; i++)
				memcpy(buf + i * RECON_PREFIX_LEN, S.cat[p[i] % S.ncat].id,
				    RECON_PREFIX_LEN);
			len = len < FRAME_WANT_MAX ? len : FRAME_WANT_MAX;
			len *= RECON_PREFIX_LEN;
			p = buf;
			break;
		case C_RECON:
		case C_REFUSE:
			if (len > sizeof buf)
				len = sizeof buf;
			memcpy(buf, p, len);
			if (cmd == C_REFUSE && len >= 33 && buf[0] == FRAME_REFUSE_MSG)
				memcpy(buf + 1, S.cat[buf[1] % S.ncat].id, MSG_ID_LEN);
			else if (len >= FRAME_XID_HEAD && key < 2 && S.has_xid[key] &&
			    (cmd == C_RECON || buf[0] == FRAME_REFUSE_XCHG)) {
				uint32_t xid = S.xid[key];
				buf[1] = (uint8_t)(xid >> 24), buf[2] = (uint8_t)(xid >> 16);
				buf[3] = (uint8_t)(xid >> 8), buf[4] = (uint8_t)xid;
			}
			p = buf;
			break;
		case C_PONG:
			if (l != NULL && l->ntokens > 0) {
				size_t back = (len > 0 ? p[0] : 0) % l->ntokens;
				size_t k = (l->token_at - 1 - back) % TOKENS;
				memcpy(buf, l->tokens[k], FRAME_TOKEN_LEN);
				p = buf, len = FRAME_TOKEN_LEN;
			}
			break;
		default:
			break;
		}
	}
	s_send(sel, s_cmds[cmd], p, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool changed = false;
	size_t at = 0;

	if (!S.ready)
		s_setup();
	for (int f = 0; f < MAX_FRAMES && at + 4 <= size; f++) {
		uint8_t sel = data[at], cmd = data[at + 1];
		size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
		at += 4;
		if (len > size - at)
			len = size - at;
		s_frame(sel, cmd, data + at, len, &changed);
		at += len;
	}
	if (changed)
		s_trust_restore();
	/* Committed messages and refusals come back through the loop; what
	 * the node sent is read and thrown away.  Both take system calls, the
	 * costliest part of an input: under libFuzzer, the loop runs every
	 * SPIN_EVERY inputs, and what was sent is read every DRAIN_EVERY
	 * inputs (the node's sends to the real connections never block:
	 * their reading side takes everything). */
	S.runs++;
	if (!S.libfuzzer || S.runs % SPIN_EVERY == 0)
		s_spin();
	if (!S.libfuzzer || S.runs % DRAIN_EVERY == 0)
		s_drain();
	/* An honest peer proves now and then that it read what it was sent,
	 * so that the node's window for it does not stay closed. */
	if (S.runs % PONG_EVERY == 0)
		for (int i = 0; i < NLINKS; i++)
			if (S.link[i].ntokens > 0)
				s_send(s_sel_of(i), "PONG",
				    S.link[i].tokens[(S.link[i].token_at - 1) % TOKENS],
				    FRAME_TOKEN_LEN);
	/* The heartbeat (a zloop timer) runs only while the loop runs a whole
	 * second; under libFuzzer, now and then it does. */
	if (S.libfuzzer && now_ms() - S.ticked >= TICK_EVERY_MS) {
		s_heartbeat();
		s_drain();
	}
	return 0;
}

/* ---- seeds ------------------------------------------------------------ */

struct out {
	uint8_t b[1 << 16];
	size_t n;
};

static void
s_put(struct out *o, uint8_t sel, uint8_t cmd, const void *p, size_t len)
{
	if (o->n + 4 + len > sizeof o->b)
		s_die("seed", "too long");
	o->b[o->n++] = sel;
	o->b[o->n++] = cmd;
	o->b[o->n++] = (uint8_t)(len >> 8);
	o->b[o->n++] = (uint8_t)len;
	if (len > 0)
		memcpy(o->b + o->n, p, len);
	o->n += len;
}

static void
s_save_seed(const char *dir, const char *name, const struct out *o)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(o->b, 1, o->n, f) != o->n || fclose(f) != 0)
		s_die(path, strerror(errno));
}

/* RECON role 0 with xid, opening over the catalog's items in mask (a bit per
 * catalog index), plus two items the node does not have. */
static void
s_put_recon(struct out *o, uint8_t sel, uint32_t xid, uint64_t mask, bool extra)
{
	struct recon_set *s = recon_set_new();
	struct recon_buf b = { 0 };
	uint8_t head[FRAME_XID_HEAD];

	frame_recon_head(head, FRAME_INITIATOR, xid);
	for (size_t i = 0; i < S.ncat && i < 64; i++)
		if ((mask >> i) & 1)
			(void)recon_set_add(s, S.cat[i].time, S.cat[i].id);
	if (extra)
		for (int k = 0; k < 2; k++) {
			uint8_t id[32];
			memset(id, 0xa0 + k, sizeof id);
			(void)recon_set_add(s, T0 + 3600000 * (uint64_t)(k + 1), id);
		}
	if (recon_set_seal(s) == -1 || recon_buf_put(&b, head, sizeof head) == -1 ||
	    recon_initiate(s, &b) != 0)
		s_die("recon", "cannot initiate");
	s_put(o, sel, C_RECON, b.p, b.len);
	free(b.p);
	recon_set_destroy(&s);
}

static void
s_write_seeds(const char *dir)
{
	static const char hello[] = "socmesh/2 trust=0123456789abcdef";
	static const char v3[] = "socmesh/3 trust=fedcba9876543210 zstd";
	static const uint8_t token[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct out *o = malloc(sizeof *o);
	struct frame_refuse fr;
	uint8_t buf[FRAME_REFUSE_MAX], x[8];
	uint64_t stored = 0, clear = 0;
	size_t n;

	if (o == NULL)
		abort();
	for (size_t i = 0; i < S.ncat && i < 64; i++)
		if (S.cat[i].stored) {
			stored |= 1ull << i;
			if (strcmp(s_specs[i].tlp, "clear") == 0)
				clear |= 1ull << i;
		}
#define SEED(name, ...)                                                                            \
	do {                                                                                       \
		o->n = 0;                                                                          \
		__VA_ARGS__;                                                                       \
		s_save_seed(dir, name, o);                                                         \
	} while (0)

	SEED("hello", s_put(o, SEL_M, C_HELLO, hello, strlen(hello)));
	SEED("hello-versions", {
		s_put(o, SEL_E, C_HELLO, "", 0);
		s_put(o, SEL_E, C_HELLO, v3, strlen(v3));
		s_put(o, SEL_E | SEL_NOROUTE, C_HELLO, hello, strlen(hello));
	});
	/* An exchange over the whole range: most of what the node may send
	 * soc-m, minus a few, plus two it lacks (it asks for them). */
	SEED("recon-initiate-m", s_put_recon(o, SEL_M, 1, stored & ~0x111ull, true));
	SEED("recon-initiate-e", s_put_recon(o, SEL_E, 1, clear & ~0x3ull, true));
	/* Four items: an id list at once (two the node lacks: it asks for
	 * them; the rest it sends). */
	SEED("recon-idlist", s_put_recon(o, SEL_M, 5, 1ull << 0 | 1ull << 14, true));
	SEED("recon-empty-then-end", {
		s_put_recon(o, SEL_E, 2, 0, false);
		s_put(o, SEL_E, C_RECON, (const uint8_t[]){ 0, 0, 0, 0, 2 }, 5);
	});
	SEED("recon-echo-responder", {
		/* Answers the exchange the node opened: role 1, its xid. */
		s_put_recon(o, SEL_M | SEL_ECHO, 0, stored, false);
		o->b[4] = FRAME_RESPONDER;
	});
	SEED("recon-fake-route", s_put_recon(o, SEL_E | SEL_FAKE | 0x30, 7, clear, true));
	SEED("want", {
		uint8_t w[3 * RECON_PREFIX_LEN];
		for (int k = 0; k < 3; k++)
			memcpy(w + k * RECON_PREFIX_LEN, S.cat[k * 7].id, RECON_PREFIX_LEN);
		s_put(o, SEL_M, C_WANT, w, sizeof w);
		s_put(o, SEL_E | SEL_ECHO, C_WANT, (const uint8_t[]){ 0, 4, 9, 22, 22 }, 5);
	});
	/* More than the window takes: what is asked waits, then the peer
	 * proves it read, and the rest goes. */
	SEED("want-flood-then-pong", {
		uint8_t all[64];
		for (size_t i = 0; i < sizeof all; i++)
			all[i] = (uint8_t)i;
		for (int k = 0; k < 8; k++)
			s_put(o, SEL_M | SEL_ECHO | (k % 4) << 4, C_WANT, all, S.ncat);
		s_put(o, SEL_M | SEL_ECHO, C_PONG, "", 0);
		s_put(o, SEL_M | SEL_ECHO | 0x10, C_PONG, "", 0);
		s_put(o, SEL_M | SEL_ECHO, C_WANT, all, S.ncat);
	});
	SEED("ping-pong", {
		s_put(o, SEL_M, C_PING, token, sizeof token);
		s_put(o, SEL_M | SEL_NOROUTE, C_PING, token, sizeof token);
		s_put(o, SEL_M, C_PONG, token, sizeof token);
		s_put(o, SEL_M | SEL_ECHO, C_PONG, (const uint8_t[]){ 0 }, 1);
	});
	memset(&fr, 0, sizeof fr);
	fr.what = FRAME_REFUSE_MSG;
	crypto_generichash(fr.id, sizeof fr.id, (const uint8_t[]){ 0 }, 1, NULL, 0);
	fr.cls = FRAME_PERMANENT;
	snprintf(fr.reason, sizeof fr.reason, "bad-signature");
	n = frame_refuse_write(buf, &fr);
	SEED("refuse-msg", {
		s_put(o, SEL_M, C_REFUSE, buf, n);
		memcpy(fr.id, S.cat[0].id, MSG_ID_LEN);
		fr.cls = FRAME_PROVISIONAL;
		snprintf(fr.reason, sizeof fr.reason, "external-clear-only");
		s_put(o, SEL_E, C_REFUSE, buf, frame_refuse_write(buf, &fr));
		s_put(o, SEL_M | SEL_ECHO, C_REFUSE, buf, frame_refuse_write(buf, &fr));
	});
	memset(&fr, 0, sizeof fr);
	fr.what = FRAME_REFUSE_XCHG;
	fr.xid = 1;
	snprintf(fr.reason, sizeof fr.reason, "busy");
	n = frame_refuse_write(buf, &fr);
	SEED("refuse-xchg", {
		s_put(o, SEL_M, C_REFUSE, buf, n);
		s_put(o, SEL_M | SEL_ECHO, C_REFUSE, buf, n);
	});
	SEED("msg-stored", s_put(o, SEL_M, C_MSG, S.cat[14].bytes, S.cat[14].len));
	SEED("msg-held-then-target", {
		s_put(o, SEL_M, C_MSG, S.cat[33].bytes, S.cat[33].len);
		s_put(o, SEL_M, C_MSG, S.cat[32].bytes, S.cat[32].len);
	});
	SEED("msg-refused", {
		s_put(o, SEL_E, C_MSG, S.cat[34].bytes, S.cat[34].len);
		s_put(o, SEL_M, C_MSG, S.cat[34].bytes, S.cat[34].len);
		s_put(o, SEL_M, C_MSG, S.cat[35].bytes, S.cat[35].len);
		s_put(o, SEL_M, C_MSG, S.cat[36].bytes, S.cat[36].len);
		s_put(o, SEL_M, C_MSG, S.cat[37].bytes, S.cat[37].len);
		s_put(o, SEL_M, C_MSG, S.cat[38].bytes, S.cat[38].len);
		s_put(o, SEL_M, C_MSG, S.cat[39].bytes, S.cat[39].len);
		s_put(o, SEL_E, C_MSG, S.cat[16].bytes, S.cat[16].len);
	});
	SEED("msg-new", {
		s_put(o, SEL_E, C_MSG, S.cat[40].bytes, S.cat[40].len);
		s_put(o, SEL_M, C_MSG, S.cat[41].bytes, S.cat[41].len);
	});
	/* A catalog message with one byte of its title changed: it decodes,
	 * and its signature fails (in the ingest pipeline). */
	for (n = 0; n + 9 <= S.cat[14].len && memcmp(S.cat[14].bytes + n, "Botnet C2", 9) != 0; n++)
		;
	SEED("msg-echo-patched",
	    s_put(o, SEL_M | SEL_ECHO, C_MSG,
	        ((const uint8_t[]){ 14, (uint8_t)(n >> 8), (uint8_t)n, 1 }), 4));
	SEED("msg-junk", s_put(o, SEL_M, C_MSG, "\x92\x01\x02", 3));
	SEED("trust-demote-mid-exchange", {
		s_put_recon(o, SEL_M, 3, stored & ~0xf0ull, true);
		s_put(o, SEL_M, C_TRUST, (const uint8_t[]){ 0 }, 1);
		s_put_recon(o, SEL_M, 4, stored, false);
		s_put(o, SEL_M, C_WANT, S.cat[4].id, RECON_PREFIX_LEN);
	});
	SEED("unknown-and-malformed", {
		s_put(o, SEL_M, C_UNKNOWN, "x", 1);
		s_put(o, SEL_M, C_MALFORMED, "", 0);
		s_put(o, SEL_M, C_MALFORMED, "\x01", 1);
		s_put(o, SEL_B, C_MSG, S.cat[0].bytes, S.cat[0].len);
		s_put(o, SEL_UNKNOWN, C_HELLO, hello, strlen(hello));
	});
	memset(x, 0, sizeof x);
	SEED("session", {
		s_put(o, SEL_M, C_HELLO, hello, strlen(hello));
		s_put_recon(o, SEL_M, 9, stored & ~0x3000ull, true);
		s_put(o, SEL_M, C_WANT, S.cat[12].id, RECON_PREFIX_LEN);
		s_put(o, SEL_M, C_PING, x, sizeof x);
		s_put(o, SEL_M | SEL_ECHO, C_PONG, "", 0);
		s_put(o, SEL_M, C_MSG, S.cat[32].bytes, S.cat[32].len);
		s_put(o, SEL_M, C_RECON, (const uint8_t[]){ 0, 0, 0, 0, 9 }, 5);
	});
#undef SEED
	free(o);
}
