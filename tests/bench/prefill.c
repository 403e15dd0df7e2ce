/*
 * prefill — the benchmarks' corpus and the prefilled stores they reuse
 * (benchlib.h).
 *
 * Message i: a GREEN incident of about BENCH_MSG_BYTES bytes, signed by
 * origin i % BENCH_ORIGINS (a deterministic key: bench_keys("origin-N")),
 * seq i / BENCH_ORIGINS + 1, dated t0 + i * step, with BENCH_NIOC
 * indicators: an address, a domain, a URL and a SHA-256 of its own, and one
 * of SHARED domains that messages of every origin carry (1 in 5: 20% of
 * the indicators are shared between origins, each about n / SHARED times).
 *
 * The cache: $BENCH_CACHE (default build/bench-cache)/VERSION-sSCHEMA-
 * iINDEX-N (STORE_SCHEMA, STORE_INDEX_VERSION: a store of another index
 * version would be indexed again by every node started on a copy) holds the
 * stopped nodes A and B (identity and store) with messages 0 to N - 1, and
 * meta.json (n, t0, step, build_s).  A cache whose stores do not open or do
 * not hold N messages, or whose messages are older than 300 days (retention
 * would remove them at a node's start), is built again.  Change
 * CACHE_VERSION with the corpus.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchlib.h"
#include "draft.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "store.h"
#include "util.h"

#define CACHE_VERSION "corpus2" /* 2: the derived keys of keyspace.h */
#define SHARED        5000
#define BATCH         8192
#define DAY_MS        (86400ULL * 1000)

static const char s_text[] =
    "Credential-phishing e-mails impersonating an energy supplier's billing department were "
    "received by several constituents since early morning. The messages carry a link to a "
    "look-alike portal that asks for the customer's account credentials and payment details, "
    "and an attachment that drops a loader on execution. Observed sender infrastructure "
    "rotates every few hours; the portal is hosted behind a bulletproof provider. Recipients "
    "in the energy and finance sectors are targeted first. ";

static struct keys *s_origin[BENCH_ORIGINS];
/* Summary bytes that make a message of a 6-digit index BENCH_MSG_BYTES long. */
static size_t s_pad = SIZE_MAX;

static struct keys *
s_origin_keys(int o)
{
	char label[32];

	if (s_origin[o] == NULL) {
		snprintf(label, sizeof label, "origin-%d", o);
		s_origin[o] = bench_keys(label);
	}
	return s_origin[o];
}

void
bench_origin_id(int o, uint8_t id[32])
{
	memcpy(id, s_origin_keys(o)->pk, 32);
}

void
bench_trust_origins(struct bench_node *a)
{
	char name[32];
	uint8_t id[32];

	for (int o = 0; o < BENCH_ORIGINS; o++) {
		snprintf(name, sizeof name, "origin-%d", o);
		bench_origin_id(o, id);
		bench_trust(a, name, id, MSG_LEVEL_MEMBER, NULL);
	}
}

static json_t *
s_fields(uint64_t i, size_t pad)
{
	char title[96], ioc[BENCH_NIOC][160], sha[65], *summary = malloc(pad + 1);
	unsigned long long x = (unsigned long long)i;
	uint8_t h[32];
	json_t *o;

	if (summary == NULL)
		fatalx("out of memory");
	for (size_t k = 0; k < pad; k++)
		summary[k] = s_text[k % (sizeof s_text - 1)];
	summary[pad] = '\0';
	crypto_generichash(h, sizeof h, (const uint8_t *)&i, sizeof i, NULL, 0);
	hex_encode(sha, h, sizeof h);
	snprintf(title, sizeof title, "Phishing wave %llu against energy suppliers", x);
	snprintf(ioc[0], sizeof ioc[0], "ipv4:10.%llu.%llu.%llu", x >> 16 & 255, x >> 8 & 255,
	    x & 255);
	snprintf(ioc[1], sizeof ioc[1], "domain:billing-%llu.example.net", x);
	snprintf(ioc[2], sizeof ioc[2], "url:https://portal-%llu.example.net/login?session=%llu",
	    x % 977, x);
	snprintf(ioc[3], sizeof ioc[3], "sha256:%s", sha);
	snprintf(ioc[4], sizeof ioc[4], "domain:shared-%u.example.org",
	    (unsigned)((h[0] | h[1] << 8 | h[2] << 16) % SHARED));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s],s:[s],s:[s,s,s,s,s]}", "tlp", "green", "title",
	    title, "summary", summary, "category", "fraud", "severity", "high", "sectors", "energy",
	    "attack", "T1566.002", "indicators", ioc[0], ioc[1], ioc[2], ioc[3], ioc[4]);
	free(summary);
	if (o == NULL)
		fatalx("out of memory");
	return o;
}

/* Message i, signed, into *bytes (caller frees). */
static void
s_sign(uint64_t i, size_t pad, struct bench_clock k, uint8_t **bytes, size_t *len)
{
	struct draft *d = draft_new();
	json_t *o = s_fields(i, pad);
	const struct keys *key = s_origin_keys((int)(i % BENCH_ORIGINS));
	char err[256];
	struct msg *m;

	if (d == NULL || draft_from_json(d, o, NULL, NULL, err, sizeof err) == -1)
		fatalx("corpus: %s", d == NULL ? "out of memory" : err);
	m = draft_msg(d);
	memcpy(m->origin, key->pk, 32);
	m->seq = i / BENCH_ORIGINS + 1;
	m->time = k.t0 + i * k.step;
	if (msg_encode(m, key->sk, NULL, NULL, bytes, len) != MSG_OK)
		fatalx("corpus: cannot sign message %llu", (unsigned long long)i);
	json_decref(o);
	draft_destroy(&d);
}

static size_t
s_padding(void)
{
	struct bench_clock k = { 1, 1 };
	uint8_t *b;
	size_t len;

	if (s_pad == SIZE_MAX) {
		s_sign(123456, 0, k, &b, &len);
		free(b);
		s_pad = len < BENCH_MSG_BYTES ? BENCH_MSG_BYTES - len : 0;
	}
	return s_pad;
}

json_t *
bench_msg_json(uint64_t i)
{
	return s_fields(i, s_padding());
}

struct bench_clock
bench_clock_now(uint64_t n)
{
	/* n messages over 30 days from 60 days ago: as many again fit
	 * before now. */
	struct bench_clock k = { now_ms() - 60 * DAY_MS, 30 * DAY_MS / (n > 0 ? n : 1) };
	if (k.step == 0)
		k.step = 1;
	return k;
}

void
bench_corpus(struct bench_corpus *c, uint64_t from, size_t n, struct bench_clock k)
{
	size_t pad = s_padding();

	c->msg = calloc(n, sizeof *c->msg);
	c->len = calloc(n, sizeof *c->len);
	if (c->msg == NULL || c->len == NULL)
		fatalx("out of memory");
	c->n = n;
	c->bytes = 0;
	for (size_t i = 0; i < n; i++) {
		s_sign(from + i, pad, k, &c->msg[i], &c->len[i]);
		c->bytes += c->len[i];
	}
}

void
bench_corpus_free(struct bench_corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->msg[i]);
	free(c->msg);
	free(c->len);
	memset(c, 0, sizeof *c);
}

void
bench_put(const char *const *dirs, size_t ndirs, uint64_t from, size_t n, struct bench_clock k)
{
	struct node **nodes = calloc(ndirs, sizeof *nodes);
	struct store_rec *recs = calloc(BATCH, sizeof *recs);
	struct ks_keys *keys = calloc(BATCH, sizeof *keys);
	uint8_t **bytes = calloc(BATCH, sizeof *bytes);
	int *results = calloc(BATCH, sizeof *results);
	struct msg *m = msg_new();
	size_t pad = s_padding();
	char err[512];

	if (nodes == NULL || recs == NULL || keys == NULL || bytes == NULL || results == NULL ||
	    m == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < ndirs; i++)
		if ((nodes[i] = node_open(dirs[i], NODE_STORE, err, sizeof err)) == NULL)
			fatalx("%s", err);
	for (size_t i = 0; i < n; i += BATCH) {
		size_t b = 0, len;
		for (; b < BATCH && i + b < n; b++) {
			s_sign(from + i + b, pad, k, &bytes[b], &len);
			if (msg_decode(m, bytes[b], len, 0) != MSG_OK ||
			    m->body.nindicators > BENCH_NIOC + 1)
				fatalx("corpus: message %llu does not decode",
				    (unsigned long long)(from + i + b));
			if (ingest_rec(&recs[b], &keys[b], NULL, m, bytes[b], len) == -1)
				fatalx("out of memory");
		}
		for (size_t d = 0; d < ndirs; d++) {
			int rc = store_put_batch(nodes[d]->st, recs, b, now_ms(), results);
			if (rc != STORE_OK)
				fatalx("%s: %s", dirs[d], store_strerror(rc));
		}
		for (size_t j = 0; j < b; j++)
			free(bytes[j]);
	}
	for (size_t i = 0; i < ndirs; i++)
		node_close(&nodes[i]);
	msg_destroy(&m);
	for (size_t b = 0; b < BATCH; b++)
		ks_free(&keys[b]);
	free(nodes), free(recs), free(keys), free(bytes), free(results);
}

/* Whether the cache at c->dir holds what it should; fills c from meta.json. */
static bool
s_cache_sound(struct bench_cache *c, size_t n)
{
	char path[600], err[512];
	json_t *meta;
	bool ok;

	snprintf(path, sizeof path, "%s/meta.json", c->dir);
	if ((meta = json_load_file(path, 0, NULL)) == NULL)
		return false;
	c->n = (size_t)json_integer_value(json_object_get(meta, "n"));
	c->k.t0 = (uint64_t)json_integer_value(json_object_get(meta, "t0"));
	c->k.step = (uint64_t)json_integer_value(json_object_get(meta, "step"));
	c->build_s = json_number_value(json_object_get(meta, "build_s"));
	json_decref(meta);
	ok = c->n == n && c->k.step > 0 && c->k.t0 + 300 * DAY_MS > now_ms();
	for (int i = 0; ok && i < 2; i++) {
		struct node *nd = node_open(i == 0 ? c->a : c->b, NODE_STORE, err, sizeof err);
		struct store_stats ss;
		ok = nd != NULL && store_stats(nd->st, &ss) == STORE_OK && ss.messages == n;
		node_close(&nd);
	}
	return ok;
}

void
bench_cache(struct bench_cache *c, size_t n)
{
	const char *root = getenv("BENCH_CACHE") ? getenv("BENCH_CACHE") : "build/bench-cache";
	char tmp[600], a[700], b[700], err[512];
	const char *dirs[2] = { a, b };
	json_t *meta;
	double t0;

	snprintf(c->dir, sizeof c->dir, "%s/%s-s%d-i%d-%zu", root, CACHE_VERSION, STORE_SCHEMA,
	    STORE_INDEX_VERSION, n);
	snprintf(c->a, sizeof c->a, "%s/A", c->dir);
	snprintf(c->b, sizeof c->b, "%s/B", c->dir);
	if ((c->reused = s_cache_sound(c, n)))
		return;
	printf("  (building the cache %s: two stores of %zu signed messages)\n", c->dir, n);
	fflush(stdout);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", c->dir, (long)getpid());
	bench_rmrf(c->dir);
	if (mkdir(root, 0700) == -1 && errno != EEXIST)
		fatal("%s", root);
	if (mkdir(tmp, 0700) == -1)
		fatal("%s", tmp);
	snprintf(a, sizeof a, "%s/A", tmp);
	snprintf(b, sizeof b, "%s/B", tmp);
	/* Listening nowhere: a copy gets its own endpoint (bench_node_copy). */
	if (node_init(a, "A", "tcp://127.0.0.1:9", err, sizeof err) == -1 ||
	    node_init(b, "B", "tcp://127.0.0.1:9", err, sizeof err) == -1)
		fatalx("%s", err);
	t0 = bench_now();
	c->n = n;
	c->k = bench_clock_now(n);
	bench_put(dirs, 2, 0, n, c->k);
	c->build_s = bench_now() - t0;
	snprintf(a, sizeof a, "%s/meta.json", tmp);
	meta = json_pack("{s:I,s:I,s:I,s:f}", "n", (json_int_t)n, "t0", (json_int_t)c->k.t0, "step",
	    (json_int_t)c->k.step, "build_s", c->build_s);
	if (meta == NULL || json_dump_file(meta, a, JSON_INDENT(2)) == -1 ||
	    rename(tmp, c->dir) == -1)
		fatal("%s", c->dir);
	json_decref(meta);
}
