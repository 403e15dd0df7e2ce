/*
 * test_store_counts — the store's message counters (store_counts()): kept
 * exact through puts, duplicates, failed transactions and expiry, counted
 * once for a store from before them, and verified by store_check(); the
 * figures of each source (store_sources()).
 *
 * Test messages are a small format of their own (the store needs no
 * proto/): "CMSG" ("CMSK": kept, never expired), origin (32), seq (8),
 * time (8), tlp (1), kind (1), filler; s_parse() is both how a rec is
 * built and the store's index function.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "testutil.h"

#define LIMIT (64ull << 20)
#define HDR   54 /* "CMSG", origin, seq, time, tlp, kind */
#define NORIG 3

static const uint8_t s_node[32] = { 'n', 'o', 'd', 'e' };

/* A test message's bytes and the rec that describes it. */
struct cmsg {
	uint8_t *bytes;
	size_t len;
	struct store_rec rec;
};

static void
s_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
s_rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
s_origin(uint8_t out[32], int i)
{
	memset(out, 0, 32);
	out[0] = 'o';
	out[1] = (uint8_t)('0' + i);
}

static int
s_parse(const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	memset(rec, 0, sizeof *rec);
	if (len < HDR || (memcmp(bytes, "CMSG", 4) != 0 && memcmp(bytes, "CMSK", 4) != 0))
		return -1;
	rec->keep = bytes[3] == 'K';
	memcpy(rec->origin, bytes + 4, 32);
	rec->seq = s_rd64(bytes + 36);
	rec->time = s_rd64(bytes + 44);
	rec->tlp = bytes[52];
	rec->kind = bytes[53];
	rec->bytes = bytes;
	rec->len = len;
	crypto_generichash(rec->id, 32, bytes, len, NULL, 0);
	return 0;
}

static int
s_index(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	(void)arg;
	return s_parse(bytes, len, rec);
}

static void
s_build(struct cmsg *m, int origin, uint64_t seq, uint64_t time, uint8_t tlp, uint8_t kind,
    bool keep, size_t pad)
{
	m->len = HDR + pad;
	m->bytes = malloc(m->len);
	assert_non_null(m->bytes);
	memcpy(m->bytes, keep ? "CMSK" : "CMSG", 4);
	s_origin(m->bytes + 4, origin);
	s_be64(m->bytes + 36, seq);
	s_be64(m->bytes + 44, time);
	m->bytes[52] = tlp;
	m->bytes[53] = kind;
	memset(m->bytes + HDR, 'x', pad);
	assert_int_equal(s_parse(m->bytes, m->len, &m->rec), 0);
}

static void
s_free(struct cmsg *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].bytes);
		m[i].bytes = NULL;
	}
}

/* Store n messages in one batch. */
static int
s_put(struct store *st, const struct cmsg *m, size_t n, int *results)
{
	struct store_rec recs[64];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		recs[i] = m[i].rec;
	return store_put_batch(st, recs, n, 1000, results);
}

/* ---- what the counters should say ------------------------------------- */

struct want {
	uint64_t tlp[256], kind[256], orig[NORIG];
};

static void
s_want(struct want *w, const struct cmsg *m, int d)
{
	w->tlp[m->rec.tlp] += (uint64_t)d;
	w->kind[m->rec.kind] += (uint64_t)d;
	w->orig[m->rec.origin[1] - '0'] += (uint64_t)d;
}

struct seen {
	uint64_t orig[NORIG];
	size_t calls, stop_after;
	int bad; /* unknown origins, or out of byte order */
	uint8_t last[32];
};

static int
s_seen(void *arg, const uint8_t origin[32], uint64_t messages)
{
	struct seen *s = arg;
	uint8_t o[32];
	int i = origin[1] - '0';

	if (i < 0 || i >= NORIG || (s_origin(o, i), memcmp(o, origin, 32) != 0) ||
	    (s->calls > 0 && memcmp(s->last, origin, 32) >= 0))
		s->bad++;
	else
		s->orig[i] = messages;
	memcpy(s->last, origin, 32);
	s->calls++;
	return s->stop_after != 0 && s->calls >= s->stop_after;
}

/* The store's counts are w, and store_check agrees. */
static void
s_expect(struct store *st, const struct want *w)
{
	struct store_counts c;
	struct seen s;
	uint64_t total = 0, norig = 0;
	char err[256];
	int rc;

	memset(&s, 0, sizeof s);
	assert_int_equal(store_counts(st, &c, s_seen, &s), STORE_OK);
	for (int i = 0; i < 256; i++) {
		if (c.tlp[i] != w->tlp[i] || c.kind[i] != w->kind[i])
			fail_msg("class %d: tlp %llu (want %llu), kind %llu (want %llu)", i,
			    (unsigned long long)c.tlp[i], (unsigned long long)w->tlp[i],
			    (unsigned long long)c.kind[i], (unsigned long long)w->kind[i]);
		total += w->tlp[i];
	}
	assert_int_equal(c.messages, total);
	assert_int_equal(s.bad, 0);
	for (int i = 0; i < NORIG; i++) {
		assert_int_equal(s.orig[i], w->orig[i]);
		norig += w->orig[i] > 0;
	}
	/* An origin whose counter reached 0 is gone, not shown as 0. */
	assert_int_equal(c.origins, norig);
	assert_int_equal(s.calls, norig);
	if ((rc = store_check(st, err, sizeof err)) != STORE_OK)
		fail_msg("store_check: %s: %s", store_strerror(rc), err);
}

/* ---- fixture ------------------------------------------------------------ */

struct fx {
	char tmp[64];
	char dir[96];
	struct store *st;
};

static int
s_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(tu_mkdtemp(f->tmp, "counts"), 0);
	snprintf(f->dir, sizeof f->dir, "%s/db", f->tmp);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	*state = f;
	return 0;
}

static int
s_teardown(void **state)
{
	struct fx *f = *state;

	store_destroy(&f->st);
	(void)tu_rmrf(f->tmp);
	free(f);
	return 0;
}

/* Straight into the closed store: del (key, or the whole database when k
 * is NULL) or put. */
static void
s_raw(const char *dir, const char *db, bool del, const void *k, size_t kl, const void *v, size_t vl)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kl, (void *)(uintptr_t)k }, val = { vl, (void *)(uintptr_t)v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	if (del && k == NULL)
		assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	else if (del)
		assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	else
		assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* ---- tests ------------------------------------------------------------ */

/* Puts of several TLPs, kinds and origins; duplicates, in a later batch
 * and within one; expiry, kept messages included. */
static void
test_counts_put_dup_expire(void **state)
{
	struct fx *f = *state;
	struct cmsg m[40], again[3];
	struct want w;
	int res[64];
	size_t removed;

	memset(&w, 0, sizeof w);
	s_expect(f->st, &w);
	/* 40 messages: origin i % 3, time i (10..49), TLP i % 5, kind i % 4;
	 * origin 2's are all older than 30, and one of origin 0's is kept. */
	for (int i = 0; i < 40; i++) {
		int o = i < 12 ? i % 3 : i % 2;
		s_build(&m[i], o, (uint64_t)i + 1, (uint64_t)i + 10, (uint8_t)(i % 5),
		    (uint8_t)(i % 4), i == 3, (size_t)i);
	}
	assert_int_equal(s_put(f->st, m, 25, res), STORE_OK);
	assert_int_equal(s_put(f->st, m + 25, 15, res), STORE_OK);
	for (int i = 0; i < 40; i++)
		s_want(&w, &m[i], 1);
	s_expect(f->st, &w);

	/* Duplicates: a whole batch again, then one with a repeat inside. */
	assert_int_equal(s_put(f->st, m, 25, res), STORE_OK);
	for (int i = 0; i < 25; i++)
		assert_int_equal(res[i], STORE_DUP);
	s_expect(f->st, &w);
	s_build(&again[0], 1, 100, 100, 200, 7, false, 1);
	again[1] = again[0];
	again[2] = m[39];
	assert_int_equal(s_put(f->st, again, 3, res), STORE_OK);
	assert_int_equal(res[0], STORE_OK);
	assert_int_equal(res[1], STORE_DUP);
	assert_int_equal(res[2], STORE_DUP);
	s_want(&w, &again[0], 1);
	s_expect(f->st, &w);

	/* Expire what is older than 30 (i < 20), in transactions of 3; the
	 * kept one (i == 3) stays. */
	assert_int_equal(store_expire(f->st, 30, 3, &removed), STORE_OK);
	assert_int_equal(removed, 19);
	for (int i = 0; i < 20; i++)
		if (i != 3)
			s_want(&w, &m[i], -1);
	s_expect(f->st, &w);
	assert_int_equal(w.orig[2], 0); /* origin 2's counter went away */

	/* Everything but the kept one; then reopened, the same. */
	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, 21);
	memset(&w, 0, sizeof w);
	s_want(&w, &m[3], 1);
	s_expect(f->st, &w);
	store_destroy(&f->st);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	s_expect(f->st, &w);
	s_free(m, 40);
	s_free(again, 1);
}

/* A batch that fails (the store is full, or a record invalid) changes no
 * counter. */
static void
test_counts_failed_txn(void **state)
{
	struct fx *f = *state;
	struct cmsg m[8];
	struct want w;
	struct store_stats ss;
	struct store_counts c;
	int res[8], rc = STORE_OK;
	uint64_t seq = 0;
	size_t removed;

	store_destroy(&f->st);
	(void)tu_rmrf(f->dir);
	assert_int_equal(store_open(&f->st, f->dir, s_node, 1u << 20, s_index, NULL), STORE_OK);
	memset(&w, 0, sizeof w);
	for (int b = 0; b < 400 && rc == STORE_OK; b++) {
		for (int i = 0; i < 8; i++, seq++)
			s_build(&m[i], (int)(seq % NORIG), seq + 1, seq, (uint8_t)(seq % 3),
			    (uint8_t)(seq % 2), false, 3000);
		if ((rc = s_put(f->st, m, 8, res)) == STORE_OK)
			for (int i = 0; i < 8; i++)
				s_want(&w, &m[i], 1);
		s_free(m, 8);
	}
	assert_int_equal(rc, STORE_E_FULL);
	s_expect(f->st, &w);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(store_counts(f->st, &c, NULL, NULL), STORE_OK);
	assert_int_equal(c.messages, ss.messages);

	/* An invalid record (its id is not its hash) fails the batch. */
	s_build(&m[0], 0, 1000, 1000, 4, 4, false, 0);
	s_build(&m[1], 1, 1000, 1000, 4, 4, false, 0);
	m[1].rec.id[0] ^= 1;
	assert_int_equal(s_put(f->st, m, 2, res), STORE_E_INVAL);
	s_free(m, 2);
	s_expect(f->st, &w);

	/* Room again after expiry, and the counts follow. */
	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, ss.messages);
	memset(&w, 0, sizeof w);
	s_expect(f->st, &w);
}

/* A store from before the counters: none kept while it is opened without
 * an index function, counted once when opened with one. */
static void
test_counts_rebuild(void **state)
{
	struct fx *f = *state;
	struct cmsg m[30];
	struct want w;
	struct store_counts c;
	uint8_t bogus[33] = { 'o', 'z' }, eight[8] = { 0, 0, 0, 0, 0, 0, 0, 9 };
	int res[30];

	memset(&w, 0, sizeof w);
	for (int i = 0; i < 30; i++) {
		s_build(&m[i], i % NORIG, (uint64_t)i + 1, (uint64_t)i, (uint8_t)(i % 5),
		    (uint8_t)(i % 5 + 1), false, 0);
		s_want(&w, &m[i], 1);
	}
	assert_int_equal(s_put(f->st, m, 20, res), STORE_OK);
	store_destroy(&f->st);
	/* As such a store is: no meta "counts", no database "counts". */
	s_raw(f->dir, "meta", true, "counts", 6, NULL, 0);
	s_raw(f->dir, "counts", true, NULL, 0, NULL, 0);

	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, NULL, NULL), STORE_OK);
	assert_int_equal(store_counts(f->st, &c, NULL, NULL), STORE_E_NOTFOUND);
	assert_int_equal(c.messages, 0);
	/* Written meanwhile: counted by the rebuild too. */
	assert_int_equal(s_put(f->st, m + 20, 10, res), STORE_OK);
	assert_int_equal(store_counts(f->st, &c, NULL, NULL), STORE_E_NOTFOUND);
	store_destroy(&f->st);
	/* A stale counter, which the count must not add to. */
	s_raw(f->dir, "counts", false, bogus, sizeof bogus, eight, sizeof eight);

	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	s_expect(f->st, &w);
	store_destroy(&f->st);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	s_expect(f->st, &w);

	/* An empty store without the flag starts counting at once. */
	store_destroy(&f->st);
	(void)tu_rmrf(f->dir);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, NULL, NULL), STORE_OK);
	store_destroy(&f->st);
	s_raw(f->dir, "meta", true, "counts", 6, NULL, 0);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, NULL, NULL), STORE_OK);
	assert_int_equal(store_counts(f->st, &c, NULL, NULL), STORE_OK);
	assert_int_equal(s_put(f->st, m, 30, res), STORE_OK);
	store_destroy(&f->st);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	s_expect(f->st, &w);
	s_free(m, 30);
}

/* ---- sources ------------------------------------------------------------ */

struct srcs {
	struct store_source s[NORIG];
	bool seen[NORIG];
};

static int
s_src(void *arg, const struct store_source *s)
{
	struct srcs *a = arg;
	int i = s->origin[1] - '0';

	assert_true(i >= 0 && i < NORIG);
	assert_false(a->seen[i]);
	a->s[i] = *s;
	a->seen[i] = true;
	return 0;
}

static void
s_sources(struct store *st, struct srcs *a)
{
	memset(a, 0, sizeof *a);
	assert_int_equal(store_sources(st, s_src, a), STORE_OK);
}

/* One record received at received (ms). */
static void
s_put_at(struct store *st, const struct store_rec *r, uint64_t received)
{
	int res;

	assert_int_equal(store_put_batch(st, r, 1, received, &res), STORE_OK);
	assert_int_equal(res, STORE_OK);
}

/* A source's figures: stored messages by TLP and kind (down at expiry),
 * the delay histogram with future claims clipped, sightings and
 * indicators confirmed by other origins only (an indicator's other
 * origins once a message; derived keys never), false positives, last
 * active; recounted from the stored messages once for a store of counts
 * version 1. */
static void
test_counts_sources(void **state)
{
	static const struct store_ioc ip = { "198.51.100.7", 12 }, dom = { "evil.example", 12 },
	                              word = { "\001phishing", 9 };
	const struct store_ioc both[] = { ip, dom, word }, words[] = { word };
	struct fx *f = *state;
	struct cmsg m[7];
	struct srcs a;
	size_t removed;
	uint8_t v1[4] = { 0, 0, 0, 1 };

	/* Origin 0: an incident with three keys and a false positive
	 * update, received 5 s after their claimed creation. */
	s_build(&m[0], 0, 1, 1, 0, 0, false, 0);
	m[0].rec.ioc = both;
	m[0].rec.nioc = 3;
	s_build(&m[1], 0, 2, 1, 1, 1, false, 0);
	m[1].rec.false_positive = true;
	s_put_at(f->st, &m[0].rec, 5001);
	s_put_at(f->st, &m[1].rec, 5001);
	/* Origin 1 sights it claiming a time in the future, carrying two of
	 * its indicators; origin 0 sights its own (no confirmation). */
	s_build(&m[2], 1, 1, 9000, 0, 2, false, 0);
	m[2].rec.sighting = true;
	m[2].rec.ref = m[0].rec.id;
	m[2].rec.ioc = both;
	m[2].rec.nioc = 2;
	s_put_at(f->st, &m[2].rec, 6000);
	s_build(&m[3], 0, 3, 5500, 0, 2, false, 0);
	m[3].rec.sighting = true;
	m[3].rec.ref = m[0].rec.id;
	s_put_at(f->st, &m[3].rec, 6000);
	/* Origin 2: the IP (confirms 0 and 1), then a derived key alone
	 * (confirms nobody), 100 days late (the last bucket). */
	s_build(&m[4], 2, 1, 6000, 0, 0, false, 0);
	m[4].rec.ioc = &ip;
	m[4].rec.nioc = 1;
	s_put_at(f->st, &m[4].rec, 7000);
	s_build(&m[5], 2, 2, 6000, 0, 0, false, 0);
	m[5].rec.ioc = words;
	m[5].rec.nioc = 1;
	s_put_at(f->st, &m[5].rec, 6000 + 100 * 86400000ull);

	s_sources(f->st, &a);
	assert_true(a.seen[0] && a.seen[1] && a.seen[2]);
	assert_int_equal(a.s[0].messages[0][0], 1);
	assert_int_equal(a.s[0].messages[1][1], 1);
	assert_int_equal(a.s[0].messages[0][2], 1);
	assert_int_equal(a.s[0].delay[3], 2); /* 5 s: [4 s, 8 s) */
	assert_int_equal(a.s[0].delay[0], 1);
	assert_int_equal(a.s[0].confirmed_cases, 1);
	assert_int_equal(a.s[0].confirmed_iocs, 2);
	assert_int_equal(a.s[0].false_positives, 1);
	assert_int_equal(a.s[0].future, 0);
	assert_int_equal(a.s[0].last_active, 6000);
	assert_int_equal(store_delay_quantile(&a.s[0], 50), 8000);
	assert_int_equal(store_delay_quantile(&a.s[0], 30), 1000);
	assert_int_equal(a.s[1].future, 1);
	assert_int_equal(a.s[1].delay[0], 1);
	assert_int_equal(a.s[1].confirmed_iocs, 1);
	assert_int_equal(a.s[1].confirmed_cases, 0);
	assert_int_equal(store_delay_quantile(&a.s[1], 90), 1000);
	assert_int_equal(a.s[2].confirmed_iocs, 0);
	assert_int_equal(a.s[2].delay[STORE_DELAY_BUCKETS - 1], 1);
	assert_int_equal(store_delay_quantile(&a.s[2], 90), 1000ull << 22);
	assert_int_equal(a.s[2].messages[0][0], 2);

	/* Expiry takes the stored messages out, not what was received. */
	assert_int_equal(store_expire(f->st, 2, 0, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	s_sources(f->st, &a);
	assert_int_equal(a.s[0].messages[0][0], 0);
	assert_int_equal(a.s[0].messages[1][1], 0);
	assert_int_equal(a.s[0].messages[0][2], 1);
	assert_int_equal(a.s[0].delay[3], 2);
	assert_int_equal(a.s[0].confirmed_cases, 1);
	assert_int_equal(a.s[0].false_positives, 1);

	/* Counts of version 1: recounted from the stored messages at open
	 * (confirmations start again at 0). */
	store_destroy(&f->st);
	s_raw(f->dir, "meta", false, "counts", 6, v1, sizeof v1);
	assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL), STORE_OK);
	s_sources(f->st, &a);
	assert_int_equal(a.s[0].messages[0][2], 1);
	assert_int_equal(a.s[0].delay[0], 1);
	assert_int_equal(a.s[0].delay[3], 0);
	assert_int_equal(a.s[0].confirmed_cases, 0);
	assert_int_equal(a.s[0].last_active, 6000);
	assert_int_equal(a.s[1].future, 1);
	assert_int_equal(a.s[2].messages[0][0], 2);
	s_free(m, 6);
}

/* Confirmations within one batch go one way, as across batches: a
 * message confirms the origins that reported its indicator before it
 * (the batch's index entries are all written before they are counted). */
static void
test_counts_batch_confirms(void **state)
{
	static const struct store_ioc ip = { "198.51.100.7", 12 };
	struct fx *f = *state;
	struct cmsg m[4];
	struct srcs a;
	int res[4];

	for (int i = 0; i < 4; i++) {
		s_build(&m[i], i < 3 ? i : 0, (uint64_t)i + 1, 1000, 0, 0, false, 0);
		m[i].rec.ioc = &ip;
		m[i].rec.nioc = 1;
	}
	assert_int_equal(s_put(f->st, m, 4, res), STORE_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(res[i], STORE_OK);
	s_sources(f->st, &a);
	/* 1 confirms 0; 2 confirms 0 and 1; 0's second confirms 1 and 2. */
	assert_int_equal(a.s[0].confirmed_iocs, 2);
	assert_int_equal(a.s[1].confirmed_iocs, 2);
	assert_int_equal(a.s[2].confirmed_iocs, 1);
	s_free(m, 4);
}

/* store_check reports a counter that disagrees with a recount. */
static void
test_counts_check_detects(void **state)
{
	struct fx *f = *state;
	struct cmsg m[6];
	uint8_t o1[33] = { 'o' }, stray[33] = { 'o', 'z' };
	uint8_t one[8] = { 0, 0, 0, 0, 0, 0, 0, 1 }, big[8] = { 0, 0, 0, 0, 0, 0, 0, 99 };
	const struct {
		bool del;
		const void *k;
		size_t kl;
		const void *v;
		size_t vl;
		const char *expect;
	} cases[] = {
		{ false, "t\x02", 2, big, 8,
		    "counts: TLP 2 counts 99 messages, the store holds 2" },
		{ true, "k\x01", 2, NULL, 0,
		    "counts: kind 1 counts 0 messages, the store holds 3" },
		{ false, "k\x09", 2, one, 8, "counts: kind 9 counts 1" },
		{ false, o1, 33, big, 8, "counts 99 messages, the store holds 3" },
		{ true, o1, 33, NULL, 0,
		    "counts: 1 origins counted, the store holds messages of 2" },
		{ false, stray, 33, one, 8, "the store holds 0" },
		{ false, "t\x02", 2, one, 4, "malformed" },
		{ false, "x", 1, one, 8, "malformed" },
	};
	char err[256];
	int res[6];

	s_origin(o1 + 1, 1);
	for (int i = 0; i < 6; i++)
		s_build(&m[i], i % 2, (uint64_t)i + 1, (uint64_t)i, (uint8_t)(i % 3),
		    (uint8_t)(i % 2), false, 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(s_put(f->st, m, 6, res), STORE_OK);
		assert_int_equal(store_check(f->st, NULL, 0), STORE_OK);
		store_destroy(&f->st);
		s_raw(f->dir, "counts", cases[i].del, cases[i].k, cases[i].kl, cases[i].v,
		    cases[i].vl);
		assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL),
		    STORE_OK);
		err[0] = '\0';
		assert_int_equal(store_check(f->st, err, sizeof err), STORE_E_CORRUPT);
		if (strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].expect);
		store_destroy(&f->st);
		(void)tu_rmrf(f->dir);
		assert_int_equal(store_open(&f->st, f->dir, s_node, LIMIT, s_index, NULL),
		    STORE_OK);
	}
	s_free(m, 6);
}

static void
test_counts_args(void **state)
{
	struct fx *f = *state;
	struct store_counts c;
	struct cmsg m[3];
	struct seen s;
	int res[3];

	assert_int_equal(store_counts(NULL, &c, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_counts(f->st, NULL, NULL, NULL), STORE_E_INVAL);
	for (int i = 0; i < 3; i++)
		s_build(&m[i], i, 1, 1, 0, 0, false, 0);
	assert_int_equal(s_put(f->st, m, 3, res), STORE_OK);
	/* fn stops after the first origin; the counts are still whole. */
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	assert_int_equal(store_counts(f->st, &c, s_seen, &s), STORE_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(c.origins, 3);
	assert_int_equal(c.messages, 3);
	assert_int_equal(c.tlp[0], 3);
	assert_int_equal(c.kind[0], 3);
	s_free(m, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_put_dup_expire, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_failed_txn, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_rebuild, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_check_detects, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_args, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_sources, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_counts_batch_confirms, s_setup, s_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
