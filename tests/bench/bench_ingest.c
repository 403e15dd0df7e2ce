/*
 * bench_ingest — decode + verify + store throughput against the machine's
 * ceilings, all measured in this run:
 *
 *   raw Ed25519 verifications/s on one core (1 KiB messages)
 *   raw durable LMDB puts/s (1 KiB values, one commit per BATCH puts)
 *   the ingest pipeline (daemon/ingest.c) into an empty store, and into a
 *   store already holding PREFILL messages
 *
 * Environment: BENCH_N (messages per pipeline run, default 100000),
 * BENCH_PREFILL (default 1000000), BENCH_DIR (scratch directory, default a
 * new one under /tmp; removed at the end).
 */
#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "draft.h"
#include "ingest.h"
#include "log.h"
#include "msg.h"
#include "store.h"
#include "util.h"

#define BATCH 256
#define ORIGINS 16

struct corpus {
	uint8_t **msg;
	size_t *len, n, bytes;
};

static double
s_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
s_env(const char *name, size_t def)
{
	const char *v = getenv(name);
	return v != NULL ? (size_t)strtoull(v, NULL, 10) : def;
}

/* n green incidents of about 1 KiB from ORIGINS origins, each with its
 * own indicators, signed. */
static void
s_corpus(struct corpus *c, size_t n, uint64_t seq0)
{
	static const char summary[] =
		"Credential-phishing e-mails impersonating an energy supplier's billing department "
		"were received by several constituents since early morning. The messages carry a link "
		"to a look-alike portal that asks for the customer's account credentials and payment "
		"details, and an attachment that drops a loader on execution. Observed sender "
		"infrastructure rotates every few hours; the portal is hosted behind a bulletproof "
		"provider. Recipients in the energy and finance sectors are targeted first.";
	uint8_t pk[ORIGINS][32], sk[ORIGINS][64], seed[32];
	char err[256], v[128];

	c->msg = calloc(n, sizeof *c->msg);
	c->len = calloc(n, sizeof *c->len);
	c->n = n;
	c->bytes = 0;
	for (int o = 0; o < ORIGINS; o++) {
		memset(seed, o + 1, sizeof seed);
		crypto_sign_seed_keypair(pk[o], sk[o], seed);
	}
	for (size_t i = 0; i < n; i++) {
		struct draft *d = draft_new();
		struct msg *m = draft_msg(d);
		int o = (int)(i % ORIGINS);

		memcpy(m->origin, pk[o], 32);
		m->seq = seq0 + i / ORIGINS + 1;
		m->time = 1767225600000ULL + seq0 + i;
		snprintf(v, sizeof v, "Phishing wave %zu against energy suppliers", seq0 + i);
		if (draft_set(d, "title", v, err, sizeof err) || draft_set(d, "summary", summary, err, sizeof err) ||
		    draft_set(d, "category", "fraud", err, sizeof err) ||
		    draft_set(d, "severity", "high", err, sizeof err) ||
		    draft_set(d, "sector", "energy", err, sizeof err) ||
		    draft_set(d, "attack", "T1566.002", err, sizeof err))
			fatalx("corpus: %s", err);
		snprintf(v, sizeof v, "ipv4:10.%zu.%zu.%zu", (seq0 + i) >> 16 & 255, (seq0 + i) >> 8 & 255,
			(seq0 + i) & 255);
		if (draft_set(d, "indicator", v, err, sizeof err))
			fatalx("corpus: %s", err);
		snprintf(v, sizeof v, "domain:portal-%zu.example", (seq0 + i) % 5000);
		if (draft_set(d, "indicator", v, err, sizeof err))
			fatalx("corpus: %s", err);
		snprintf(v, sizeof v, "url:https://portal-%zu.example/login?session=%zu", (seq0 + i) % 5000,
			seq0 + i);
		if (draft_set(d, "indicator", v, err, sizeof err))
			fatalx("corpus: %s", err);
		if (msg_encode(m, sk[o], NULL, NULL, &c->msg[i], &c->len[i]) != MSG_OK)
			fatalx("corpus: encode");
		c->bytes += c->len[i];
		draft_destroy(&d);
	}
}

static void
s_corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->msg[i]);
	free(c->msg);
	free(c->len);
}

/* Ceiling 1: Ed25519 verification alone, one core. */
static double
s_raw_verify(const struct corpus *c)
{
	struct msg *m = msg_new();
	const uint8_t **sp = calloc(c->n, sizeof *sp);
	size_t *sn = calloc(c->n, sizeof *sn);
	uint8_t (*sig)[64] = calloc(c->n, 64), (*pk)[32] = calloc(c->n, 32);
	double t0, t;

	for (size_t i = 0; i < c->n; i++) {
		if (msg_decode(m, c->msg[i], c->len[i], 0) != MSG_OK)
			fatalx("raw verify: decode");
		sp[i] = m->signed_p, sn[i] = m->signed_n;
		memcpy(sig[i], m->sig, 64), memcpy(pk[i], m->origin, 32);
	}
	t0 = s_now();
	for (size_t i = 0; i < c->n; i++)
		if (crypto_sign_verify_detached(sig[i], sp[i], sn[i], pk[i]) != 0)
			fatalx("raw verify: bad signature");
	t = s_now() - t0;
	msg_destroy(&m);
	free(sp), free(sn), free(sig), free(pk);
	return (double)c->n / t;
}

/* Ceiling 2: durable LMDB puts of 1 KiB values under increasing keys,
 * BATCH per commit, in an environment of its own. */
static double
s_raw_lmdb(const char *dir, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t val[1024];
	double t0, t;

	mkdir(dir, 0700);
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 4ULL << 30) ||
	    mdb_env_open(env, dir, 0, 0600))
		fatalx("raw lmdb: open %s", dir);
	randombytes_buf(val, sizeof val);
	t0 = s_now();
	for (size_t i = 0; i < n; i += BATCH) {
		if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi))
			fatalx("raw lmdb: txn");
		for (size_t k = i; k < i + BATCH && k < n; k++) {
			uint8_t key[8];
			for (int b = 0; b < 8; b++)
				key[b] = (uint8_t)(k >> (56 - 8 * b));
			MDB_val kv = { 8, key }, vv = { sizeof val, val };
			if (mdb_put(txn, dbi, &kv, &vv, MDB_APPEND))
				fatalx("raw lmdb: put");
		}
		if (mdb_txn_commit(txn))
			fatalx("raw lmdb: commit");
	}
	t = s_now() - t0;
	mdb_env_close(env);
	return (double)n / t;
}

static int
s_index(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	struct msg *m = arg;
	static struct store_ioc ioc[MSG_MAX_INDICATORS];

	if (msg_decode(m, bytes, len, 0) != MSG_OK)
		return -1;
	memset(rec, 0, sizeof *rec);
	memcpy(rec->id, m->id, 32);
	memcpy(rec->origin, m->origin, 32);
	rec->seq = m->seq, rec->time = m->time;
	rec->ref = m->has_ref ? m->ref : NULL;
	rec->bytes = bytes, rec->len = len;
	for (size_t i = 0; i < m->body.nindicators; i++)
		ioc[i] = (struct store_ioc){ m->body.indicators[i].value.p, m->body.indicators[i].value.n };
	rec->nioc = m->body.nindicators;
	rec->ioc = ioc;
	return 0;
}

/* The pipeline: every message submitted (copied: ingest takes ownership),
 * results collected as they come; the clock stops at the last commit. */
static double
s_pipeline(struct store *st, const struct corpus *c)
{
	static const uint8_t self[32] = { 0 };
	struct ingest_cfg cfg = { .self = self };
	struct ingest *in = ingest_new(st, &cfg);
	struct ingest_result res[512];
	size_t done = 0, stored = 0;
	double t0, t;

	if (in == NULL)
		fatal("ingest_new");
	t0 = s_now();
	for (size_t i = 0; i < c->n; i++) {
		uint8_t *b = malloc(c->len[i]);
		memcpy(b, c->msg[i], c->len[i]);
		if (ingest_submit(in, b, c->len[i], NULL) == -1)
			fatal("ingest_submit");
		if ((i & 255) == 0)
			for (size_t k; (k = ingest_results(in, res, 512)) > 0; done += k)
				for (size_t j = 0; j < k; j++)
					stored += res[j].status == INGEST_STORED;
	}
	ingest_wait(in);
	t = s_now() - t0;
	for (size_t k; (k = ingest_results(in, res, 512)) > 0; done += k)
		for (size_t j = 0; j < k; j++)
			stored += res[j].status == INGEST_STORED;
	ingest_destroy(&in);
	if (done != c->n || stored != c->n)
		fatalx("pipeline: %zu results, %zu stored of %zu", done, stored, c->n);
	return (double)c->n / t;
}

/* Fills a store with n records quickly: realistic sizes and index
 * entries, without signing (the store does not verify signatures; it
 * checks that an id is the hash of its bytes). */
static void
s_prefill(struct store *st, size_t n)
{
	static uint8_t body[BATCH][1024];
	struct store_rec recs[BATCH];
	struct store_ioc ioc[BATCH][3];
	char vals[BATCH][3][64];
	int results[BATCH];

	randombytes_buf(body, sizeof body);
	for (size_t i = 0; i < n; i += BATCH) {
		size_t k = 0;
		for (; k < BATCH && i + k < n; k++) {
			size_t x = i + k;
			struct store_rec *r = &recs[k];
			memset(r, 0, sizeof *r);
			memcpy(body[k], &x, sizeof x);
			crypto_generichash(r->id, 32, body[k], sizeof body[k], NULL, 0);
			memset(r->origin, (int)(x % ORIGINS) + 100, 32);
			r->seq = x / ORIGINS + 1;
			r->time = 1700000000000ULL + x;
			snprintf(vals[k][0], 64, "172.%zu.%zu.%zu", x >> 16 & 255, x >> 8 & 255, x & 255);
			snprintf(vals[k][1], 64, "old-portal-%zu.example", x % 5000);
			snprintf(vals[k][2], 64, "https://old-portal-%zu.example/l?s=%zu", x % 5000, x);
			for (int j = 0; j < 3; j++)
				ioc[k][j] = (struct store_ioc){ vals[k][j], strlen(vals[k][j]) };
			r->ioc = ioc[k], r->nioc = 3;
			r->bytes = body[k], r->len = sizeof body[k];
		}
		int rc = store_put_batch(st, recs, k, now_ms(), results);
		if (rc != STORE_OK)
			fatalx("prefill: %s", store_strerror(rc));
	}
}

static void
s_rmrf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", dir);
}

int
main(void)
{
	size_t n = s_env("BENCH_N", 100000), prefill = s_env("BENCH_PREFILL", 1000000);
	char tmpl[] = "/tmp/socmesh-bench-XXXXXX", path[4096];
	const char *dir = getenv("BENCH_DIR");
	uint8_t node[32] = { 0 };
	struct corpus c, c2;
	struct store *st;
	struct msg *im = msg_new();
	double verify, lmdb, empty, full;
	int rc;

	log_init("bench", 0, LOG_LEVEL_WARN);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)
		fatal("mkdtemp");
	printf("bench_ingest: %zu messages per run, %d origins, batch %d, store prefill %zu\n", n,
		ORIGINS, BATCH, prefill);
	s_corpus(&c, n, 0);
	s_corpus(&c2, n, 10000000);
	printf("  corpus: mean message size %zu bytes\n", c.bytes / c.n);

	verify = s_raw_verify(&c);
	snprintf(path, sizeof path, "%s/raw", dir);
	lmdb = s_raw_lmdb(path, n);
	printf("  ceiling  raw Ed25519 verify, one core    %9.0f /s\n", verify);
	printf("  ceiling  raw durable LMDB puts, batch %d %9.0f /s\n", BATCH, lmdb);

	snprintf(path, sizeof path, "%s/empty", dir);
	if ((rc = store_open(&st, path, node, 64ULL << 30, s_index, im)) != STORE_OK)
		fatalx("store_open: %s", store_strerror(rc));
	empty = s_pipeline(st, &c);
	store_destroy(&st);
	printf("  ingest   decode+verify+store, empty store %9.0f /s  %5.1f%% of verify, %5.1f%% of LMDB\n",
		empty, 100 * empty / verify, 100 * empty / lmdb);

	snprintf(path, sizeof path, "%s/full", dir);
	if ((rc = store_open(&st, path, node, 64ULL << 30, s_index, im)) != STORE_OK)
		fatalx("store_open: %s", store_strerror(rc));
	double t0 = s_now();
	s_prefill(st, prefill);
	printf("  (prefilled %zu messages in %.1f s)\n", prefill, s_now() - t0);
	full = s_pipeline(st, &c2);
	store_destroy(&st);
	printf("  ingest   decode+verify+store, %zu stored %9.0f /s  %5.1f%% of verify, %5.1f%% of LMDB\n",
		prefill, full, 100 * full / verify, 100 * full / lmdb);
	printf("  drop at %zu stored messages: %.1f%% (goal: at most 30%%); goal of 75%% of verify: %s\n",
		prefill, 100 * (1 - full / empty), empty >= 0.75 * verify ? "met" : "not met");

	s_corpus_free(&c);
	s_corpus_free(&c2);
	msg_destroy(&im);
	if (getenv("BENCH_DIR") == NULL)
		s_rmrf(dir);
	return 0;
}
