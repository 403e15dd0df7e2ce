/*
 * bench_ingest — decode + verify + store throughput against the machine's
 * ceilings, all measured in this run over the same messages (the corpus of
 * prefill.c: signed GREEN incidents of about 900 bytes, 5 indicators):
 *
 *   raw Ed25519 verifications/s on one thread    verify_per_s
 *   raw durable LMDB puts/s (900-byte values, one commit per BATCH puts)
 *   the ingest pipeline (daemon/ingest.c, configured as socmeshd does)
 *     into an empty store                        ingest_per_s
 *     into a store holding 1,000,000 messages    ingest_1m_per_s
 *     of 30 origins (a copy of the cached store of bench_cache(); not with
 *     BENCH_QUICK=1)
 *
 * Environment: BENCH_N (messages per run, default 100000), BENCH_PREFILL
 * (default 1000000).
 */
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchlib.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "store.h"

#define BATCH 256

/* Ceiling 1: Ed25519 verification alone, one thread. */
static double
s_raw_verify(const struct bench_corpus *c)
{
	struct msg *m = msg_new();
	const uint8_t **sp = calloc(c->n, sizeof *sp);
	size_t *sn = calloc(c->n, sizeof *sn);
	uint8_t(*sig)[64] = calloc(c->n, 64), (*pk)[32] = calloc(c->n, 32);
	double t0, t;

	for (size_t i = 0; i < c->n; i++) {
		if (msg_decode(m, c->msg[i], c->len[i], 0) != MSG_OK)
			fatalx("raw verify: decode");
		sp[i] = m->signed_p, sn[i] = m->signed_n;
		memcpy(sig[i], m->sig, 64), memcpy(pk[i], m->origin, 32);
	}
	t0 = bench_now();
	for (size_t i = 0; i < c->n; i++)
		if (crypto_sign_verify_detached(sig[i], sp[i], sn[i], pk[i]) != 0)
			fatalx("raw verify: bad signature");
	t = bench_now() - t0;
	msg_destroy(&m);
	free(sp), free(sn), free(sig), free(pk);
	return (double)c->n / t;
}

/* Ceiling 2: durable LMDB puts of message-sized values under increasing
 * keys, BATCH per commit, in an environment of its own. */
static double
s_raw_lmdb(const char *dir, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t val[BENCH_MSG_BYTES];
	double t0, t;

	mkdir(dir, 0700);
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 4ULL << 30) ||
	    mdb_env_open(env, dir, 0, 0600))
		fatalx("raw lmdb: open %s", dir);
	randombytes_buf(val, sizeof val);
	t0 = bench_now();
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
	t = bench_now() - t0;
	mdb_env_close(env);
	return (double)n / t;
}

/* Results ready now: how many, and how many stored. */
static size_t
s_collect(struct ingest *in, size_t *stored)
{
	struct ingest_result res[512];
	size_t done = 0;

	for (size_t k; (k = ingest_results(in, res, 512)) > 0; done += k)
		for (size_t j = 0; j < k; j++)
			*stored += res[j].status == INGEST_STORED;
	return done;
}

/* The pipeline into the store of node dir, as socmeshd configures it:
 * every message submitted (copied: ingest takes ownership), results
 * collected as they come; the clock stops at the last commit. */
static double
s_pipeline(const char *dir, const struct bench_corpus *c)
{
	char err[512];
	struct node *n = node_open(dir, NODE_STORE, err, sizeof err);
	struct config def;
	struct ingest_cfg cfg = { .self = NULL };
	struct ingest *in;
	size_t done = 0, stored = 0;
	double t0, t;

	if (n == NULL)
		fatalx("%s", err);
	config_defaults(&def);
	cfg.max_size = def.max_message, cfg.self = n->id;
	if ((in = ingest_new(n->st, &cfg)) == NULL)
		fatal("ingest_new");
	t0 = bench_now();
	for (size_t i = 0; i < c->n; i++) {
		uint8_t *b = malloc(c->len[i]);
		memcpy(b, c->msg[i], c->len[i]);
		if (ingest_submit(in, b, c->len[i], NULL) == -1)
			fatal("ingest_submit");
		if ((i & 255) == 0)
			done += s_collect(in, &stored);
	}
	ingest_wait(in);
	t = bench_now() - t0;
	done += s_collect(in, &stored);
	ingest_destroy(&in);
	node_close(&n);
	if (done != c->n || stored != c->n)
		fatalx("pipeline: %zu results, %zu stored of %zu", done, stored, c->n);
	return (double)c->n / t;
}

int
main(void)
{
	size_t n = bench_env("BENCH_N", 100000), prefill = bench_env("BENCH_PREFILL", 1000000);
	const char *root = bench_setup("bench_ingest");
	char path[600];
	struct bench_corpus c;
	double verify, lmdb, empty, full = NAN, t0;

	printf("bench_ingest: %zu messages per run, %d origins, store prefill %zu%s\n", n,
	    BENCH_ORIGINS, prefill, bench_quick() ? " (skipped: BENCH_QUICK)" : "");
	t0 = bench_now();
	bench_corpus(&c, 0, n, bench_clock_now(n));
	printf("  corpus: %zu messages signed in %.1f s, mean size %zu bytes, %d indicators each\n",
	    n, bench_now() - t0, c.bytes / c.n, BENCH_NIOC);
	fflush(stdout);

	verify = s_raw_verify(&c);
	snprintf(path, sizeof path, "%s/raw", root);
	lmdb = s_raw_lmdb(path, n);
	printf("  ceiling  raw Ed25519 verify, one thread      %9.0f /s\n", verify);
	printf("  ceiling  raw durable LMDB puts, batch %d    %9.0f /s\n", BATCH, lmdb);
	fflush(stdout);

	empty = s_pipeline(bench_node_new("empty")->dir, &c);
	bench_corpus_free(&c);
	printf("  ingest   decode+verify+store, empty store     %9.0f /s  %5.1f%% of verify, "
	       "%5.1f%% of "
	       "LMDB\n",
	    empty, 100 * empty / verify, 100 * empty / lmdb);
	fflush(stdout);

	if (!bench_quick()) {
		struct bench_cache k;
		struct bench_node *f;
		bench_cache(&k, prefill);
		printf("  (prefill of %zu messages, two stores: %.0f s%s)\n", prefill, k.build_s,
		    k.reused ? ", cached from an earlier run" : "");
		t0 = bench_now();
		f = bench_node_copy("full", k.a);
		printf("  (store copied in %.1f s)\n", bench_now() - t0);
		/* New messages of the same origins, dated after the store's. */
		bench_corpus(&c, prefill, n, k.k);
		full = s_pipeline(f->dir, &c);
		bench_corpus_free(&c);
		printf("  ingest   decode+verify+store, %zu stored %9.0f /s  %5.1f%% of verify, "
		       "%5.1f%% of "
		       "LMDB\n",
		    prefill, full, 100 * full / verify, 100 * full / lmdb);
		printf("  drop at %zu stored messages: %.1f%% (goal: at most 30%%)\n", prefill,
		    100 * (1 - full / empty));
	}
	printf("  goal of 75%% of verify (empty store): %s\n",
	    empty >= 0.75 * verify ? "met" : "not met");
	bench_result_num("verify_per_s", verify);
	bench_result_num("ingest_per_s", empty);
	bench_result_num("ingest_1m_per_s", full);
	return 0;
}
