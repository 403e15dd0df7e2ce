/*
 * test_store — the LMDB message store.
 *
 * Test messages are not socmesh messages (the store must not need proto/):
 * a small record format, signed with crypto_sign() so that the crash test
 * can tell intact bytes from torn ones, and decoded by s_parse(), which is
 * both how a rec is built for store_put_batch() and the store's index
 * function — as the daemon's decoder is for real messages.
 *
 * The last tests are the node's (daemon/node.c) over real messages: what
 * restore and check verify of every stored message, and what an import
 * accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "draft.h"
#include "ingest.h"
#include "node.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define NKEYS  4
#define MAXIOC 8
#define LIMIT  (64ull << 20)

/* ---- test messages ---------------------------------------------------- */

static struct {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
} s_keys[NKEYS];
static const uint8_t s_node[32] = { 'n', 'o', 'd', 'e' };

/* clang-format off */
#define IOC(s) { (s), sizeof(s) - 1 }
/* clang-format on */

struct tmsg {
	int origin; /* index into s_keys */
	uint64_t seq, time;
	const uint8_t *ref; /* 32 bytes or NULL */
	size_t nioc;
	struct store_ioc ioc[MAXIOC];
	size_t pad; /* filler bytes, to vary the size */
	bool keep;  /* never expired (as the daemon keeps rosters) */
};

/* A signed test message and the rec that describes it. */
struct built {
	uint8_t *bytes;
	size_t len;
	struct store_rec rec;
	struct store_ioc iocs[MAXIOC];
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

/*
 * Layout after the 64-byte signature: "TMSG" ("TMSK": kept, never
 * expired), origin (32), seq (8),
 * time (8), has_ref (1) [ref (32)], nioc (1), nioc * (len (2), value),
 * filler.  rec borrows bytes; iocs (MAXIOC) receives the indicators.
 */
static int
s_parse(const uint8_t *bytes, size_t len, struct store_rec *rec, struct store_ioc *iocs)
{
	const uint8_t *p = bytes + crypto_sign_BYTES, *end = bytes + len;

	memset(rec, 0, sizeof *rec);
	if (len < crypto_sign_BYTES + 4 + 32 + 8 + 8 + 1 + 1 ||
	    (memcmp(p, "TMSG", 4) != 0 && memcmp(p, "TMSK", 4) != 0))
		return -1;
	rec->keep = p[3] == 'K';
	p += 4;
	memcpy(rec->origin, p, 32);
	rec->seq = s_rd64(p + 32);
	rec->time = s_rd64(p + 40);
	p += 48;
	if (*p++ != 0) {
		if (end - p < 32)
			return -1;
		rec->ref = p;
		p += 32;
	}
	if (p >= end || *p > MAXIOC)
		return -1;
	rec->nioc = *p++;
	for (size_t i = 0; i < rec->nioc; i++) {
		size_t n;
		if (end - p < 2)
			return -1;
		n = (size_t)p[0] << 8 | p[1];
		p += 2;
		if ((size_t)(end - p) < n)
			return -1;
		iocs[i].value = (const char *)p;
		iocs[i].len = n;
		p += n;
	}
	rec->ioc = iocs;
	rec->bytes = bytes;
	rec->len = len;
	crypto_generichash(rec->id, 32, bytes, len, NULL, 0);
	return 0;
}

static void
s_build(struct built *b, const struct tmsg *m)
{
	size_t n = 4 + 32 + 16 + 1 + (m->ref ? 32 : 0) + 1 + m->pad;
	uint8_t *payload, *p;
	unsigned long long smlen;

	for (size_t i = 0; i < m->nioc; i++)
		n += 2 + m->ioc[i].len;
	payload = p = malloc(n);
	assert_non_null(payload);
	memcpy(p, m->keep ? "TMSK" : "TMSG", 4);
	memcpy(p + 4, s_keys[m->origin].pk, 32);
	s_be64(p + 36, m->seq);
	s_be64(p + 44, m->time);
	p += 52;
	*p++ = m->ref != NULL;
	if (m->ref != NULL) {
		memcpy(p, m->ref, 32);
		p += 32;
	}
	*p++ = (uint8_t)m->nioc;
	for (size_t i = 0; i < m->nioc; i++) {
		*p++ = (uint8_t)(m->ioc[i].len >> 8);
		*p++ = (uint8_t)m->ioc[i].len;
		memcpy(p, m->ioc[i].value, m->ioc[i].len);
		p += m->ioc[i].len;
	}
	memset(p, (int)(m->seq & 0xff), m->pad);
	b->bytes = malloc(n + crypto_sign_BYTES);
	assert_non_null(b->bytes);
	crypto_sign(b->bytes, &smlen, payload, n, s_keys[m->origin].sk);
	b->len = (size_t)smlen;
	free(payload);
	assert_int_equal(s_parse(b->bytes, b->len, &b->rec, b->iocs), 0);
}

static void
s_unbuild(struct built *b)
{
	free(b->bytes);
	b->bytes = NULL;
}

/* The index function handed to the store. */
struct tindex {
	struct store_ioc iocs[MAXIOC];
};

static int
s_index(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	struct tindex *ti = arg;

	return s_parse(bytes, len, rec, ti->iocs);
}

/* ---- fixture ---------------------------------------------------------- */

struct fx {
	char tmp[64]; /* mkdtemp directory */
	char dir[96]; /* the store: tmp/db */
	struct store *st;
	struct tindex ti;
};

static void
s_open(struct fx *f, uint64_t limit)
{
	int rc = store_open(&f->st, f->dir, s_node, limit, s_index, &f->ti);
	assert_int_equal(rc, STORE_OK);
	assert_non_null(f->st);
}

static void
s_reopen(struct fx *f, uint64_t limit)
{
	store_destroy(&f->st);
	s_open(f, limit);
}

static int
s_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->tmp, sizeof f->tmp, "/tmp/socmesh-store-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->dir, sizeof f->dir, "%s/db", f->tmp);
	s_open(f, LIMIT);
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

/* Build and store messages in one batch; b receives them (caller frees
 * with s_unbuild), results the per-record results. */
static int
s_put(struct fx *f, const struct tmsg *m, size_t n, struct built *b, int *results)
{
	struct store_rec recs[64];
	int res[64], rc;

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		s_build(&b[i], &m[i]);
		recs[i] = b[i].rec;
	}
	rc = store_put_batch(f->st, recs, n, 1000 + n, results != NULL ? results : res);
	return rc;
}

static void
s_check_ok(struct fx *f)
{
	char err[256];
	int rc = store_check(f->st, err, sizeof err);

	if (rc != STORE_OK)
		fail_msg("store_check: %s: %s", store_strerror(rc), err);
}

/* ---- collecting callback ------------------------------------------------ */

#define MAXGOT 1024
struct got {
	size_t n;
	size_t stop_at; /* stop after this many (0 = never) */
	int bad;        /* items whose id or bytes disagree */
	uint64_t lkey[MAXGOT], time[MAXGOT], received[MAXGOT], seq[MAXGOT];
	uint8_t id[MAXGOT][32];
};

static int
s_collect(void *arg, const struct store_item *it)
{
	struct got *g = arg;
	struct tindex ti;
	struct store_rec rec;

	if (g->n >= MAXGOT)
		return 1;
	if (s_parse(it->bytes, it->len, &rec, ti.iocs) != 0 || memcmp(rec.id, it->id, 32) != 0)
		g->bad++;
	g->lkey[g->n] = it->lkey;
	g->time[g->n] = it->time;
	g->received[g->n] = it->received;
	g->seq[g->n] = rec.seq;
	memcpy(g->id[g->n], it->id, 32);
	g->n++;
	return g->stop_at != 0 && g->n >= g->stop_at;
}

static void
s_got_reset(struct got *g)
{
	memset(g, 0, sizeof *g);
}

/* ---- open, reopen, node id, schema ------------------------------------- */

static void
test_open(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)1;
	struct stat sb;
	char path[160];
	uint8_t other[32] = { 'o', 't', 'h', 'e', 'r' };

	assert_int_equal(stat(f->dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof path, "%s/data.mdb", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);

	assert_int_equal(store_open(NULL, f->dir, s_node, LIMIT, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_open(&st, NULL, s_node, LIMIT, NULL, NULL), STORE_E_INVAL);
	assert_null(st);
	st = (struct store *)1;
	assert_int_equal(store_open(&st, f->dir, NULL, LIMIT, NULL, NULL), STORE_E_INVAL);
	assert_null(st);
	assert_int_equal(store_open(&st, f->dir, s_node, 0, NULL, NULL), STORE_E_INVAL);

	store_destroy(&f->st);
	assert_null(f->st);
	store_destroy(&f->st);
	store_destroy(NULL);

	/* Another node's store. */
	st = (struct store *)1;
	assert_int_equal(store_open(&st, f->dir, other, LIMIT, s_index, &f->ti), STORE_E_NODE);
	assert_null(st);
	s_open(f, LIMIT);
}

/* Write one entry straight into a database of the closed store. */
static void
s_raw(const char *dir, const char *db, unsigned int flags, bool del, const void *k, size_t kl,
    const void *v, size_t vl)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kl, (void *)(uintptr_t)k }, val = { vl, (void *)(uintptr_t)v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, flags, &dbi), 0);
	if (del)
		assert_int_equal(mdb_del(txn, dbi, &key, v != NULL ? &val : NULL), 0);
	else
		assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* True when key is in a database of the closed store. */
static bool
s_raw_has(const char *dir, const char *db, unsigned int flags, const void *k, size_t kl)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kl, (void *)(uintptr_t)k }, val;
	int rc;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, flags, &dbi), 0);
	rc = mdb_get(txn, dbi, &key, &val);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return rc == 0;
}

static void
test_open_version_and_garbage(void **state)
{
	struct fx *f = *state;
	struct store *st;
	uint8_t two[4] = { 0, 0, 0, 2 };
	char dir[160], path[200];
	int fd;

	store_destroy(&f->st);
	s_raw(f->dir, "meta", 0, false, "schema", 6, two, sizeof two);
	assert_int_equal(store_open(&st, f->dir, s_node, LIMIT, s_index, &f->ti), STORE_E_VERSION);
	assert_null(st);

	/* A directory whose data.mdb is not an LMDB file. */
	snprintf(dir, sizeof dir, "%s/garbage", f->tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 4; i++) {
		char junk[4096];
		memset(junk, 'x', sizeof junk);
		assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	}
	close(fd);
	assert_int_equal(store_open(&st, dir, s_node, LIMIT, s_index, &f->ti), STORE_E_CORRUPT);
	assert_null(st);

	/* The fixture's store back for teardown. */
	(void)tu_rmrf(f->dir);
	s_open(f, LIMIT);
}

static void
test_strerror(void **state)
{
	(void)state;
	for (int e = STORE_E_LOST; e <= STORE_DUP; e++) {
		const char *s = store_strerror(e);
		assert_non_null(s);
		assert_true(strlen(s) > 3);
	}
	assert_non_null(strstr(store_strerror(STORE_E_FULL), "store full"));
	assert_string_equal(store_strerror(-1000), "unknown store error");
}

/* ---- put, get, duplicates ---------------------------------------------- */

static void
test_put_get(void **state)
{
	struct fx *f = *state;
	struct tmsg m[3] = {
		{ .origin = 0,
		    .seq = 1,
		    .time = 5000,
		    .nioc = 1,
		    .ioc = { IOC("192.0.2.1") },
		    .pad = 10 },
		{ .origin = 0, .seq = 2, .time = 6000, .pad = 3000 },
		{ .origin = 1, .seq = 1, .time = 5500, .pad = 0 },
	};
	struct built b[4];
	struct store_stats ss;
	struct got g;
	uint8_t absent[32] = { 1 };
	int res[3];

	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i], STORE_OK);
		s_got_reset(&g);
		assert_int_equal(store_get(f->st, b[i].rec.id, s_collect, &g), STORE_OK);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.bad, 0);
		assert_int_equal(g.lkey[0], (uint64_t)i + 1);
		assert_int_equal(g.received[0], 1003);
		assert_memory_equal(g.id[0], b[i].rec.id, 32);
		assert_int_equal(store_has(f->st, b[i].rec.id), 1);
	}
	assert_int_equal(store_has(f->st, absent), 0);
	assert_int_equal(store_get(f->st, absent, s_collect, &g), STORE_E_NOTFOUND);
	assert_int_equal(store_get(f->st, b[0].rec.id, NULL, NULL), STORE_OK);

	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 3);
	assert_int_equal(ss.last_lkey, 3);
	assert_int_equal(ss.map_size, LIMIT);

	/* The next local key survives a reopen. */
	s_reopen(f, LIMIT);
	m[0].seq = 3;
	assert_int_equal(s_put(f, m, 1, b + 3, res), STORE_OK);
	s_got_reset(&g);
	assert_int_equal(store_get(f->st, b[3].rec.id, s_collect, &g), STORE_OK);
	assert_int_equal(g.lkey[0], 4);
	s_check_ok(f);
	for (int i = 0; i < 4; i++)
		s_unbuild(&b[i]);
}

static void
test_put_invalid(void **state)
{
	struct fx *f = *state;
	struct tmsg m = { .origin = 0, .seq = 1, .time = 1, .nioc = 1, .ioc = { IOC("x") } };
	struct built b[2];
	struct store_rec r[2];
	struct store_ioc empty = { "", 0 };
	struct store_stats ss;
	int res[2];

	s_build(&b[0], &m);
	m.seq = 2;
	s_build(&b[1], &m);
	r[0] = b[0].rec;
	r[1] = b[1].rec;
	assert_int_equal(store_put_batch(f->st, r, 0, 0, res), STORE_OK);
	assert_int_equal(store_put_batch(NULL, r, 1, 0, res), STORE_E_INVAL);
	assert_int_equal(store_put_batch(f->st, NULL, 1, 0, res), STORE_E_INVAL);
	assert_int_equal(store_put_batch(f->st, r, 1, 0, NULL), STORE_E_INVAL);

	r[1].id[0] ^= 1; /* not the hash of its bytes */
	assert_int_equal(store_put_batch(f->st, r, 2, 0, res), STORE_E_INVAL);
	r[1] = b[1].rec;
	r[1].ioc = &empty;
	r[1].nioc = 1;
	assert_int_equal(store_put_batch(f->st, r, 2, 0, res), STORE_E_INVAL);
	r[1] = b[1].rec;
	r[1].ioc = NULL;
	assert_int_equal(store_put_batch(f->st, r, 2, 0, res), STORE_E_INVAL);
	r[1] = b[1].rec;
	r[1].bytes = NULL;
	assert_int_equal(store_put_batch(f->st, r, 2, 0, res), STORE_E_INVAL);

	/* Nothing of the refused batches, first record included. */
	assert_int_equal(store_has(f->st, b[0].rec.id), 0);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 0);
	s_check_ok(f);
	s_unbuild(&b[0]);
	s_unbuild(&b[1]);
}

static void
test_duplicates(void **state)
{
	struct fx *f = *state;
	struct tmsg m[3] = {
		{ .origin = 0, .seq = 1, .time = 100, .nioc = 1, .ioc = { IOC("dup.example") } },
		{ .origin = 0, .seq = 2, .time = 200, .nioc = 1, .ioc = { IOC("dup.example") } },
		{ .origin = 0, .seq = 3, .time = 300 },
	};
	struct tmsg batch1[3] = { m[0], m[1], m[0] }, batch2[2] = { m[1], m[2] };
	struct built b[5];
	struct store_stats ss;
	size_t nm, no;
	int res[3];

	assert_int_equal(s_put(f, batch1, 3, b, res), STORE_OK);
	assert_int_equal(res[0], STORE_OK);
	assert_int_equal(res[1], STORE_OK);
	assert_int_equal(res[2], STORE_DUP);
	assert_int_equal(s_put(f, batch2, 2, b + 3, res), STORE_OK);
	assert_int_equal(res[0], STORE_DUP);
	assert_int_equal(res[1], STORE_OK);

	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 3);
	assert_int_equal(ss.last_lkey, 3);
	assert_int_equal(store_ioc_count(f->st, "dup.example", 11, &nm, &no), STORE_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(no, 1);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 0, 0, NULL, NULL), 3);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL), 3);
	s_check_ok(f);
	for (int i = 0; i < 5; i++)
		s_unbuild(&b[i]);
}

static void
test_last_seq(void **state)
{
	struct fx *f = *state;
	struct tmsg m[8];
	struct built b[8], extra;
	uint8_t unknown[32] = { 5 };
	uint64_t last = 99;
	size_t removed;
	int res[8];

	/* This node is key 0. */
	store_destroy(&f->st);
	(void)tu_rmrf(f->dir);
	assert_int_equal(store_open(&f->st, f->dir, s_keys[0].pk, LIMIT, s_index, &f->ti),
	    STORE_OK);
	assert_int_equal(store_last_seq(f->st, s_keys[0].pk, &last), STORE_OK);
	assert_int_equal(last, 0);
	for (int i = 0; i < 8; i++)
		m[i] = (struct tmsg){ .origin = i < 3,
			.seq = i < 3 ? (uint64_t)i + 101 : (uint64_t)i * 10,
			.time = 100 + (uint64_t)i };
	assert_int_equal(s_put(f, m, 8, b, res), STORE_OK);
	assert_int_equal(store_last_seq(f->st, s_keys[0].pk, &last), STORE_OK);
	assert_int_equal(last, 70);
	assert_int_equal(store_last_seq(f->st, s_keys[1].pk, &last), STORE_OK);
	assert_int_equal(last, 103);
	assert_int_equal(store_last_seq(f->st, unknown, &last), STORE_OK);
	assert_int_equal(last, 0);
	assert_int_equal(store_last_seq(f->st, unknown, NULL), STORE_E_INVAL);
	s_check_ok(f);

	/* After expiry this node's seq does not go back; another's does. */
	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, 8);
	store_destroy(&f->st);
	assert_int_equal(store_open(&f->st, f->dir, s_keys[0].pk, LIMIT, s_index, &f->ti),
	    STORE_OK);
	assert_int_equal(store_last_seq(f->st, s_keys[0].pk, &last), STORE_OK);
	assert_int_equal(last, 70);
	assert_int_equal(store_last_seq(f->st, s_keys[1].pk, &last), STORE_OK);
	assert_int_equal(last, 0);
	s_check_ok(f);

	/* store_check sees a high-water mark below a stored seq. */
	m[7].seq = 71;
	assert_int_equal(s_put(f, &m[7], 1, &extra, res), STORE_OK);
	s_unbuild(&extra);
	store_destroy(&f->st);
	s_raw(f->dir, "meta", 0, false, "seq", 3, (uint8_t[8]){ 0, 0, 0, 0, 0, 0, 0, 70 }, 8);
	assert_int_equal(store_open(&f->st, f->dir, s_keys[0].pk, LIMIT, s_index, &f->ti),
	    STORE_OK);
	assert_int_equal(store_check(f->st, NULL, 0), STORE_E_CORRUPT);
	for (int i = 0; i < 8; i++)
		s_unbuild(&b[i]);
}

/* ---- range ------------------------------------------------------------- */

struct tid {
	uint64_t time;
	uint8_t id[32];
};

static int
s_tid_cmp(const void *a, const void *b)
{
	const struct tid *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return memcmp(x->id, y->id, 32);
}

static void
test_range(void **state)
{
	struct fx *f = *state;
	enum { N = 30 };
	struct tmsg m[N];
	struct built b[N];
	struct tid want[N];
	struct store_pos pos;
	struct got g;
	int res[N], n;

	for (int i = 0; i < N; i++) {
		m[i] = (struct tmsg){ .origin = i % 2,
			.seq = (uint64_t)i,
			.time = 10000 + (uint64_t)(i % 10) * 1000 };
	}
	assert_int_equal(s_put(f, m, N, b, res), STORE_OK);
	for (int i = 0; i < N; i++) {
		want[i].time = m[i].time;
		memcpy(want[i].id, b[i].rec.id, 32);
	}
	qsort(want, N, sizeof want[0], s_tid_cmp);

	/* Both directions, everything. */
	s_got_reset(&g);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, s_collect, &g, &pos), N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(g.time[i], want[i].time);
		assert_memory_equal(g.id[i], want[i].id, 32);
	}
	assert_int_equal(pos.time, want[N - 1].time);
	assert_memory_equal(pos.id, want[N - 1].id, 32);
	assert_int_equal(g.bad, 0);
	s_got_reset(&g);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, true, NULL, 0, s_collect, &g, NULL), N);
	for (int i = 0; i < N; i++)
		assert_memory_equal(g.id[i], want[N - 1 - i].id, 32);

	/* Inclusive bounds: three messages at each of 12000, 13000, 14000. */
	s_got_reset(&g);
	assert_int_equal(store_range(f->st, 12000, 14000, false, NULL, 0, s_collect, &g, NULL), 9);
	for (size_t i = 0; i < g.n; i++)
		assert_true(g.time[i] >= 12000 && g.time[i] <= 14000);
	assert_int_equal(store_range(f->st, 12000, 14000, true, NULL, 0, NULL, NULL, NULL), 9);
	assert_int_equal(store_range(f->st, 12001, 12999, true, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(store_range(f->st, 14000, 12000, false, NULL, 0, NULL, NULL, NULL), 0);

	/* Paging, both directions: pages concatenate to the whole. */
	for (int desc = 0; desc < 2; desc++) {
		size_t lim = desc ? 4 : 7, total = 0;
		const struct store_pos *after = NULL;

		s_got_reset(&g);
		for (int page = 0; page < 20; page++) {
			n = store_range(f->st, 0, UINT64_MAX, desc, after, lim, s_collect, &g,
			    &pos);
			assert_true(n >= 0);
			if (n == 0)
				break;
			assert_true((size_t)n == lim || total + (size_t)n == N);
			total += (size_t)n;
			after = &pos;
		}
		assert_int_equal(total, N);
		for (int i = 0; i < N; i++)
			assert_memory_equal(g.id[i], want[desc ? N - 1 - i : i].id, 32);
	}

	/* A page within bounds, and a cursor outside them. */
	pos.time = want[4].time;
	memcpy(pos.id, want[4].id, 32);
	s_got_reset(&g);
	assert_int_equal(store_range(f->st, 10000, 11000, false, &pos, 0, s_collect, &g, NULL), 1);
	assert_memory_equal(g.id[0], want[5].id, 32);
	s_got_reset(&g);
	assert_int_equal(store_range(f->st, 10000, 11000, true, &pos, 0, s_collect, &g, NULL), 4);
	assert_memory_equal(g.id[0], want[3].id, 32);
	pos.time = 50000;
	assert_int_equal(store_range(f->st, 12000, 12000, true, &pos, 0, NULL, NULL, NULL), 3);
	assert_int_equal(store_range(f->st, 12000, 12000, false, &pos, 0, NULL, NULL, NULL), 0);

	/* The callback stops the walk. */
	s_got_reset(&g);
	g.stop_at = 2;
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, true, NULL, 0, s_collect, &g, &pos), 2);
	assert_memory_equal(pos.id, want[N - 2].id, 32);
	for (int i = 0; i < N; i++)
		s_unbuild(&b[i]);
}

/* ---- by origin, by indicator, by ref ----------------------------------- */

static void
test_by_origin(void **state)
{
	struct fx *f = *state;
	struct tmsg m[9];
	struct built b[9];
	struct got g;
	uint8_t unknown[32] = { 9 };
	int res[9];
	const uint64_t seqs[6] = { 1, 2, 3, 3, 4, 5 };

	for (int i = 0; i < 5; i++)
		m[i] = (struct tmsg){ .origin = 0, .seq = (uint64_t)(5 - i), .time = 100 };
	for (int i = 5; i < 8; i++)
		m[i] = (struct tmsg){ .origin = 1, .seq = (uint64_t)(i - 4), .time = 100 };
	/* Another message with origin 0's seq 3: both are kept. */
	m[8] = (struct tmsg){ .origin = 0, .seq = 3, .time = 200 };
	assert_int_equal(s_put(f, m, 9, b, res), STORE_OK);

	s_got_reset(&g);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 0, 0, s_collect, &g), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(g.seq[i], seqs[i]);
	assert_int_equal(g.bad, 0);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 4, 0, NULL, NULL), 2);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 3, 0, NULL, NULL), 4);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 1, 2, NULL, NULL), 2);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 6, 0, NULL, NULL), 0);
	assert_int_equal(store_by_origin(f->st, s_keys[1].pk, 0, 0, NULL, NULL), 3);
	assert_int_equal(store_by_origin(f->st, unknown, 0, 0, NULL, NULL), 0);
	s_check_ok(f);
	for (int i = 0; i < 9; i++)
		s_unbuild(&b[i]);
}

static void
test_by_ioc(void **state)
{
	struct fx *f = *state;
	struct tmsg m[5] = {
		{ .origin = 0, .seq = 1, .time = 1, .nioc = 1, .ioc = { IOC("203.0.113.7") } },
		{ .origin = 0,
		    .seq = 2,
		    .time = 2,
		    .nioc = 2,
		    .ioc = { IOC("203.0.113.7"), IOC("bad.example") } },
		{ .origin = 1, .seq = 1, .time = 3, .nioc = 1, .ioc = { IOC("203.0.113.7") } },
		{ .origin = 0, .seq = 3, .time = 4, .nioc = 1, .ioc = { IOC("bad.example") } },
		/* The same value twice in one message counts once. */
		{ .origin = 2,
		    .seq = 1,
		    .time = 5,
		    .nioc = 2,
		    .ioc = { IOC("twice.example"), IOC("twice.example") } },
	};
	struct built b[5];
	struct got g;
	size_t nm, no;
	int res[5];

	assert_int_equal(s_put(f, m, 5, b, res), STORE_OK);

	/* Two origins, one of them twice. */
	assert_int_equal(store_ioc_count(f->st, "203.0.113.7", 11, &nm, &no), STORE_OK);
	assert_int_equal(nm, 3);
	assert_int_equal(no, 2);
	assert_int_equal(store_ioc_count(f->st, "bad.example", 11, &nm, &no), STORE_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(no, 1);
	assert_int_equal(store_ioc_count(f->st, "twice.example", 13, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(no, 1);
	assert_int_equal(store_ioc_count(f->st, "nobody.example", 14, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(no, 0);
	/* A prefix is another value. */
	assert_int_equal(store_ioc_count(f->st, "203.0.113", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);

	/* Newest first, paged by local key. */
	s_got_reset(&g);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, 0, 0, s_collect, &g), 3);
	assert_int_equal(g.lkey[0], 3);
	assert_int_equal(g.lkey[1], 2);
	assert_int_equal(g.lkey[2], 1);
	assert_memory_equal(g.id[0], b[2].rec.id, 32);
	assert_int_equal(g.bad, 0);
	s_got_reset(&g);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, 0, 2, s_collect, &g), 2);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, g.lkey[1], 2, s_collect, &g), 1);
	assert_int_equal(g.lkey[2], 1);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, 1, 2, s_collect, &g), 0);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, 1000, 0, NULL, NULL), 3);
	assert_int_equal(store_by_ioc(f->st, "203.0.113.7", 11, 3, 0, NULL, NULL), 2);
	assert_int_equal(store_by_ioc(f->st, "nobody.example", 14, 0, 0, NULL, NULL), 0);
	assert_int_equal(store_by_ioc(f->st, "nobody.example", 14, 5, 0, NULL, NULL), 0);
	assert_int_equal(store_by_ioc(f->st, "x", 0, 0, 0, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_ioc_count(f->st, NULL, 1, &nm, &no), STORE_E_INVAL);
	s_check_ok(f);
	for (int i = 0; i < 5; i++)
		s_unbuild(&b[i]);
}

/* store_ioc_range_fn: the first byte of each key met, in order. */
static int
s_range_key(void *arg, const uint8_t *key, size_t klen, const struct store_item *it)
{
	char *seen = arg;
	size_t n = strlen(seen);

	(void)it;
	if (klen > 0 && n < 15)
		seen[n] = (char)key[0], seen[n + 1] = '\0';
	return 0;
}

static void
test_ioc_range(void **state)
{
	struct fx *f = *state;
	struct tmsg m[3] = {
		{ .origin = 0, .seq = 1, .time = 1, .nioc = 2, .ioc = { IOC("a1"), IOC("c1") } },
		{ .origin = 1, .seq = 1, .time = 2, .nioc = 2, .ioc = { IOC("b1"), IOC("c1") } },
		{ .origin = 0, .seq = 2, .time = 3, .nioc = 1, .ioc = { IOC("d") } },
	};
	struct built b[3];
	char seen[16] = "";
	int res[3];

	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	/* From "b" to "c9": b1, then c1's two messages; not a1, not d. */
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"b", 1, (const uint8_t *)"c9", 2,
	                     0, s_range_key, seen),
	    3);
	assert_string_equal(seen, "bcc");
	/* Inclusive bounds; a limit; counting only. */
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"a1", 2, (const uint8_t *)"d", 1,
	                     0, NULL, NULL),
	    5);
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"a1", 2, (const uint8_t *)"d", 1,
	                     2, NULL, NULL),
	    2);
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"e", 1, (const uint8_t *)"z", 1, 0,
	                     NULL, NULL),
	    0);
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"d", 1, (const uint8_t *)"a", 1, 0,
	                     NULL, NULL),
	    0);
	assert_int_equal(store_ioc_range(f->st, (const uint8_t *)"a", 0, (const uint8_t *)"d", 1, 0,
	                     NULL, NULL),
	    STORE_E_INVAL);
	for (int i = 0; i < 3; i++)
		s_unbuild(&b[i]);
}

static void
test_long_ioc(void **state)
{
	struct fx *f = *state;
	static char v1[2000], v2[2000], v480[480], v481[481];
	static const char nul[] = "\0abc";
	struct tmsg m[4];
	struct built b[4];
	struct store_ioc i1 = { v1, sizeof v1 }, i2 = { v2, sizeof v2 };
	struct store_ioc i480 = { v480, sizeof v480 }, i481 = { v481, sizeof v481 };
	struct store_ioc inul = { nul, 4 }, iabc = { nul + 1, 3 };
	char fake[33] = { 0 }; /* what "\0abc"'s key would be without rehashing */
	size_t nm, no, removed;
	int res[4];

	memset(v1, 'a', sizeof v1);
	memcpy(v2, v1, sizeof v2);
	v2[sizeof v2 - 1] = 'b'; /* same first 480 bytes */
	memset(v480, 'c', sizeof v480);
	memset(v481, 'c', sizeof v481);
	m[0] = (struct tmsg){ .origin = 0, .seq = 1, .time = 1, .nioc = 2, .ioc = { i1, i480 } };
	m[1] = (struct tmsg){ .origin = 1, .seq = 1, .time = 2, .nioc = 2, .ioc = { i1, i481 } };
	m[2] = (struct tmsg){ .origin = 0, .seq = 2, .time = 3, .nioc = 1, .ioc = { i2 } };
	m[3] = (struct tmsg){ .origin = 2, .seq = 1, .time = 4, .nioc = 2, .ioc = { inul, iabc } };
	assert_int_equal(s_put(f, m, 4, b, res), STORE_OK);

	assert_int_equal(store_ioc_count(f->st, v1, sizeof v1, &nm, &no), STORE_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(no, 2);
	assert_int_equal(store_ioc_count(f->st, v2, sizeof v2, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(no, 1);
	assert_int_equal(store_ioc_count(f->st, v480, sizeof v480, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(store_ioc_count(f->st, v481, sizeof v481, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(store_ioc_count(f->st, v1, 1500, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(store_by_ioc(f->st, v1, sizeof v1, 0, 0, NULL, NULL), 2);
	assert_int_equal(store_by_ioc(f->st, v2, sizeof v2, 0, 0, NULL, NULL), 1);
	/* A leading NUL neither matches the rest of the value nor a hash. */
	assert_int_equal(store_ioc_count(f->st, inul.value, inul.len, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(store_ioc_count(f->st, iabc.value, iabc.len, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	crypto_generichash((uint8_t *)fake + 1, 32, (const uint8_t *)nul, 4, NULL, 0);
	assert_int_equal(store_ioc_count(f->st, fake, sizeof fake, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	s_check_ok(f);

	/* The keys on disk: up to 480 bytes as they are, else 0x00 || hash. */
	store_destroy(&f->st);
	{
		uint8_t hk[33] = { 0 };
		unsigned int dup = MDB_DUPSORT | MDB_DUPFIXED;

		assert_true(s_raw_has(f->dir, "ioc", dup, v480, sizeof v480));
		assert_false(s_raw_has(f->dir, "ioc", dup, v481, sizeof v481));
		crypto_generichash(hk + 1, 32, (const uint8_t *)v481, sizeof v481, NULL, 0);
		assert_true(s_raw_has(f->dir, "ioc", dup, hk, sizeof hk));
		crypto_generichash(hk + 1, 32, (const uint8_t *)nul, 4, NULL, 0);
		assert_true(s_raw_has(f->dir, "ioc", dup, hk, sizeof hk));
		assert_true(s_raw_has(f->dir, "ioc", dup, "abc", 3));
	}
	s_open(f, LIMIT);

	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, 4);
	assert_int_equal(store_ioc_count(f->st, v1, sizeof v1, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(no, 0);
	s_check_ok(f);
	for (int i = 0; i < 4; i++)
		s_unbuild(&b[i]);
}

static void
test_by_ref(void **state)
{
	struct fx *f = *state;
	struct tmsg root = { .origin = 0, .seq = 1, .time = 1 };
	struct tmsg m;
	struct built b[6];
	struct got g;
	uint8_t unknown[32] = { 7 };
	int res[1];

	assert_int_equal(s_put(f, &root, 1, &b[0], res), STORE_OK);
	/* Three replies in three batches, then a reply to a reply. */
	for (int i = 1; i <= 3; i++) {
		m = (struct tmsg){ .origin = i % 2,
			.seq = (uint64_t)i + 1,
			.time = 10 - (uint64_t)i,
			.ref = b[0].rec.id };
		assert_int_equal(s_put(f, &m, 1, &b[i], res), STORE_OK);
	}
	m = (struct tmsg){ .origin = 2, .seq = 1, .time = 20, .ref = b[1].rec.id };
	assert_int_equal(s_put(f, &m, 1, &b[4], res), STORE_OK);

	s_got_reset(&g);
	assert_int_equal(store_by_ref(f->st, b[0].rec.id, 0, s_collect, &g), 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(g.id[i], b[i + 1].rec.id, 32);
	assert_int_equal(g.bad, 0);
	assert_int_equal(store_by_ref(f->st, b[0].rec.id, 2, NULL, NULL), 2);
	assert_int_equal(store_by_ref(f->st, b[1].rec.id, 0, NULL, NULL), 1);
	assert_int_equal(store_by_ref(f->st, b[4].rec.id, 0, NULL, NULL), 0);
	assert_int_equal(store_by_ref(f->st, unknown, 0, NULL, NULL), 0);
	s_check_ok(f);
	for (int i = 0; i < 5; i++)
		s_unbuild(&b[i]);
}

/* ---- id prefixes --------------------------------------------------------- */

/* lo and hi of the ids that start with the n bytes of prefix. */
static void
s_prefix_range(const uint8_t *prefix, size_t n, uint8_t lo[32], uint8_t hi[32])
{
	memset(lo, 0x00, 32);
	memset(hi, 0xff, 32);
	memcpy(lo, prefix, n);
	memcpy(hi, prefix, n);
}

static void
test_id_range(void **state)
{
	struct fx *f = *state;
	struct tmsg m[40];
	struct built b[40];
	uint8_t lo[32], hi[32], ids[4][32], first[32], zero[32] = { 0 }, ones[32];
	size_t n = 99;
	int res[40];

	for (int i = 0; i < 40; i++)
		m[i] = (struct tmsg){ .origin = 0, .seq = (uint64_t)i + 1, .time = 5 };
	assert_int_equal(s_put(f, m, 40, b, res), STORE_OK);
	/* Each id by its first 4 bytes (8 hex digits), and by all 32. */
	for (int i = 0; i < 40; i++) {
		s_prefix_range(b[i].rec.id, 4, lo, hi);
		assert_int_equal(store_id_range(f->st, lo, hi, ids, 4, &n), STORE_OK);
		assert_int_equal(n, 1);
		assert_memory_equal(ids[0], b[i].rec.id, 32);
		assert_int_equal(store_id_range(f->st, b[i].rec.id, b[i].rec.id, ids, 4, &n),
		    STORE_OK);
		assert_int_equal(n, 1);
	}
	/* Every id: at most max given, max + 1 counted, ascending. */
	memset(ones, 0xff, 32);
	assert_int_equal(store_id_range(f->st, zero, ones, ids, 4, &n), STORE_OK);
	assert_int_equal(n, 5);
	for (int i = 1; i < 4; i++)
		assert_true(memcmp(ids[i - 1], ids[i], 32) < 0);
	memcpy(first, ids[0], 32);
	assert_int_equal(store_id_range(f->st, zero, ones, NULL, 0, &n), STORE_OK);
	assert_int_equal(n, 1);
	/* An odd number of hex digits: the range of a half byte. */
	s_prefix_range(first, 1, lo, hi);
	lo[0] &= 0xf0, hi[0] |= 0x0f;
	assert_int_equal(store_id_range(f->st, lo, hi, ids, 4, &n), STORE_OK);
	assert_true(n >= 1);
	assert_memory_equal(ids[0], first, 32);
	/* A range that holds none: just past an id, up to the next byte. */
	memcpy(lo, b[0].rec.id, 32);
	lo[31] ^= 1;
	assert_int_equal(store_id_range(f->st, lo, lo, ids, 4, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_id_range(f->st, ones, zero, ids, 4, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_id_range(f->st, zero, ones, NULL, 1, &n), STORE_E_INVAL);
	assert_int_equal(store_id_range(NULL, zero, ones, ids, 4, &n), STORE_E_INVAL);
	for (int i = 0; i < 40; i++)
		s_unbuild(&b[i]);
}

/* ---- following commits: store_after, restores --------------------------- */

static void
test_after(void **state)
{
	struct fx *f = *state;
	struct tmsg m[6];
	struct built b[6];
	struct store_cursor sc;
	struct got g;
	size_t removed;
	uint64_t last;
	int res[6];

	assert_int_equal(store_after(f->st, 0, 0, s_collect, NULL, &sc), 0);
	assert_int_equal(sc.last, 0);
	assert_int_equal(store_after(f->st, 1, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 0);
	/* Creation times out of order: the walk goes by commit. */
	for (int i = 0; i < 6; i++)
		m[i] = (struct tmsg){ .origin = i % 2,
			.seq = (uint64_t)i + 1,
			.time = 100 - (uint64_t)i };
	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	assert_int_equal(s_put(f, m + 3, 3, b + 3, res), STORE_OK);
	s_got_reset(&g);
	assert_int_equal(store_after(f->st, 0, 0, s_collect, &g, &sc), 6);
	assert_int_equal(sc.last, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(g.lkey[i], i + 1);
		assert_memory_equal(g.id[i], b[i].rec.id, 32);
		assert_int_equal(g.received[i], 1003);
	}
	assert_int_equal(g.bad, 0);
	/* After a cursor, a limit, a callback that stops. */
	s_got_reset(&g);
	assert_int_equal(store_after(f->st, 4, 0, s_collect, &g, NULL), 2);
	assert_int_equal(g.lkey[0], 5);
	assert_int_equal(store_after(f->st, 1, 2, NULL, NULL, NULL), 2);
	s_got_reset(&g);
	g.stop_at = 1;
	assert_int_equal(store_after(f->st, 2, 0, s_collect, &g, NULL), 1);
	assert_int_equal(g.lkey[0], 3);
	assert_int_equal(store_after(f->st, 6, 0, NULL, NULL, &sc), 0);
	/* Ahead of the store. */
	assert_int_equal(store_after(f->st, 7, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.last, 6);
	assert_int_equal(sc.resume, 6);
	/* The newest message expired: its key stays a good cursor. */
	assert_int_equal(store_expire(f->st, 97, 0, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(store_after(f->st, 6, 0, NULL, NULL, &sc), 0);
	assert_int_equal(store_after(f->st, 3, 0, NULL, NULL, &sc), 1);
	assert_int_equal(sc.last, 6);
	assert_int_equal(store_last_lkey(f->st, &last), STORE_OK);
	assert_int_equal(last, 6);
	s_reopen(f, LIMIT);
	assert_int_equal(store_after(f->st, 6, 0, NULL, NULL, &sc), 0);
	assert_int_equal(sc.last, 6);
	assert_int_equal(store_after(NULL, 0, 0, NULL, NULL, &sc), STORE_E_INVAL);
	for (int i = 0; i < 6; i++)
		s_unbuild(&b[i]);
}

/* The cursor of a receipt time, found by halving the local keys, holes
 * left by expiry included. */
static void
test_lkey_received(void **state)
{
	struct fx *f = *state;
	struct tmsg m[6];
	struct built b[6];
	size_t removed;
	uint64_t at;

	assert_int_equal(store_lkey_received(f->st, 5000, &at), STORE_OK);
	assert_int_equal(at, 0);
	for (int i = 0; i < 6; i++)
		m[i] = (struct tmsg){ .origin = 0,
			.seq = (uint64_t)i + 1,
			.time = 100 + (uint64_t)i };
	/* Received 1001 (lkey 1), 1002 (2, 3), 1003 (4 to 6). */
	assert_int_equal(s_put(f, m, 1, b, NULL), STORE_OK);
	assert_int_equal(s_put(f, m + 1, 2, b + 1, NULL), STORE_OK);
	assert_int_equal(s_put(f, m + 3, 3, b + 3, NULL), STORE_OK);
	static const uint64_t when[][2] = { { 0, 0 }, { 1000, 0 }, { 1001, 1 }, { 1002, 3 },
		{ 1003, 6 }, { 5000, 6 } };
	for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
		assert_int_equal(store_lkey_received(f->st, when[i][0], &at), STORE_OK);
		assert_int_equal(at, when[i][1]);
	}
	/* The two oldest by creation time expire: lkeys 1 and 2 are holes. */
	assert_int_equal(store_expire(f->st, 102, 0, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(store_lkey_received(f->st, 1000, &at), STORE_OK);
	assert_int_equal(at, 2);
	assert_int_equal(store_lkey_received(f->st, 1002, &at), STORE_OK);
	assert_int_equal(at, 3);
	assert_int_equal(store_lkey_received(NULL, 1002, &at), STORE_E_INVAL);
	for (int i = 0; i < 6; i++)
		s_unbuild(&b[i]);
}

/* A store indexed by an earlier version of the index function is indexed
 * again at open, once: an entry lost from "ioc" comes back. */
/* The indicator index names an origin by a number, given once, at the
 * first message of it that has entries, and kept: across commits and
 * opens, the entries name their origins as they were stored. */
static void
test_onum(void **state)
{
	struct fx *f = *state;
	struct tmsg m1[3] = {
		{ .origin = 1, .seq = 1, .time = 1, .nioc = 1, .ioc = { IOC("198.51.100.1") } },
		{ .origin = 3, .seq = 1, .time = 2 },
		{ .origin = 0, .seq = 1, .time = 3, .nioc = 1, .ioc = { IOC("198.51.100.1") } },
	};
	struct tmsg m2[2] = {
		{ .origin = 2, .seq = 1, .time = 4, .nioc = 1, .ioc = { IOC("198.51.100.1") } },
		{ .origin = 0, .seq = 2, .time = 5, .nioc = 1, .ioc = { IOC("198.51.100.1") } },
	};
	static const uint8_t one[4] = { 0, 0, 0, 1 }, two[4] = { 0, 0, 0, 2 },
	                     three[4] = { 0, 0, 0, 3 }, four[4] = { 0, 0, 0, 4 };
	struct built b1[3], b2[2];
	struct store_ref refs[8];
	size_t n, nm, no;
	int res[3];

	assert_int_equal(s_put(f, m1, 3, b1, res), STORE_OK);
	store_destroy(&f->st);
	/* Numbered in the batch's order; a message without entries gives none. */
	assert_true(s_raw_has(f->dir, "onum", 0, one, sizeof one));
	assert_true(s_raw_has(f->dir, "onum", 0, two, sizeof two));
	assert_false(s_raw_has(f->dir, "onum", 0, three, sizeof three));
	assert_true(s_raw_has(f->dir, "onum", 0, b1[0].rec.origin, 32));
	assert_false(s_raw_has(f->dir, "onum", 0, b1[1].rec.origin, 32));
	s_open(f, LIMIT);
	assert_int_equal(s_put(f, m2, 2, b2, res), STORE_OK);
	assert_int_equal(store_ioc_count(f->st, "198.51.100.1", 12, &nm, &no), STORE_OK);
	assert_int_equal(nm, 4);
	assert_int_equal(no, 3);
	/* Newest first, each with its own origin. */
	assert_int_equal(store_ioc_refs(f->st, "198.51.100.1", 12, 0, refs, 8, &n), STORE_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(refs[0].origin, b2[1].rec.origin, 32);
	assert_memory_equal(refs[1].origin, b2[0].rec.origin, 32);
	assert_memory_equal(refs[2].origin, b1[2].rec.origin, 32);
	assert_memory_equal(refs[3].origin, b1[0].rec.origin, 32);
	s_check_ok(f);
	store_destroy(&f->st);
	assert_true(s_raw_has(f->dir, "onum", 0, three, sizeof three));
	assert_false(s_raw_has(f->dir, "onum", 0, four, sizeof four));
	s_open(f, LIMIT);
	for (int i = 0; i < 3; i++)
		s_unbuild(&b1[i]);
	for (int i = 0; i < 2; i++)
		s_unbuild(&b2[i]);
}

static void
test_reindex(void **state)
{
	struct fx *f = *state;
	struct tmsg m[2] = {
		{ .origin = 0, .seq = 1, .time = 1, .nioc = 1, .ioc = { IOC("203.0.113.7") } },
		{ .origin = 1, .seq = 1, .time = 2, .nioc = 1, .ioc = { IOC("203.0.113.7") } },
	};
	static const uint8_t old[4] = { 0, 0, 0, 1 };
	struct built b[2];
	size_t nm, no;
	int res[2];

	assert_int_equal(s_put(f, m, 2, b, res), STORE_OK);
	store_destroy(&f->st);
	s_raw(f->dir, "ioc", MDB_DUPSORT | MDB_DUPFIXED, true, "203.0.113.7", 11, NULL, 0);
	assert_false(s_raw_has(f->dir, "ioc", MDB_DUPSORT | MDB_DUPFIXED, "203.0.113.7", 11));
	/* Of the version in force: left as it is. */
	s_open(f, LIMIT);
	assert_int_equal(store_ioc_count(f->st, "203.0.113.7", 11, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	store_destroy(&f->st);
	/* Of an earlier version: indexed again. */
	s_raw(f->dir, "meta", 0, false, "index", 5, old, sizeof old);
	s_open(f, LIMIT);
	assert_int_equal(store_ioc_count(f->st, "203.0.113.7", 11, &nm, &no), STORE_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(no, 2);
	s_check_ok(f);
	for (int i = 0; i < 2; i++)
		s_unbuild(&b[i]);
}

/* An import's sources: each names the message published from it. */
static void
test_source(void **state)
{
	struct fx *f = *state;
	uint8_t id[32], got[32];

	memset(id, 7, sizeof id);
	assert_int_equal(store_source_get(f->st, "stix:report--x@1", got), STORE_E_NOTFOUND);
	assert_int_equal(store_source_put(f->st, "stix:report--x@1", id), STORE_OK);
	s_reopen(f, LIMIT);
	assert_int_equal(store_source_get(f->st, "stix:report--x@1", got), STORE_OK);
	assert_memory_equal(got, id, sizeof id);
	assert_int_equal(store_source_get(f->st, "stix:report--x@2", got), STORE_E_NOTFOUND);
	assert_int_equal(store_source_put(f->st, "", id), STORE_E_INVAL);
	assert_int_equal(store_source_get(f->st, NULL, got), STORE_E_INVAL);
	s_check_ok(f);
}

/* A store put back from a backup never gives again a key the replaced
 * one gave, and tells the cursors it lost from those it keeps. */
static void
test_raise_lkey(void **state)
{
	struct fx *f = *state;
	struct tmsg m[8];
	struct built b[8];
	struct store_cursor sc;
	struct store *st;
	struct got g;
	uint64_t resume = 99, last, replaced, backed;
	char path[160], rdir[160], rpath[180];
	int res[8];

	for (int i = 0; i < 8; i++)
		m[i] = (struct tmsg){ .origin = 0, .seq = (uint64_t)i + 1, .time = (uint64_t)i };
	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	snprintf(path, sizeof path, "%s/backup.mdb", f->tmp);
	assert_int_equal(store_backup(f->st, path, &backed), STORE_OK);
	assert_int_equal(s_put(f, m + 3, 3, b + 3, res), STORE_OK); /* keys 4 to 6 */
	assert_int_equal(store_last_lkey(f->st, &replaced), STORE_OK);
	assert_int_equal(replaced, 6);

	snprintf(rdir, sizeof rdir, "%s/restored", f->tmp);
	assert_int_equal(mkdir(rdir, 0700), 0);
	snprintf(rpath, sizeof rpath, "%s/data.mdb", rdir);
	assert_int_equal(rename(path, rpath), 0);
	assert_int_equal(store_open(&st, rdir, s_node, LIMIT, s_index, &f->ti), STORE_OK);
	/* A replaced store no further than this one: nothing to do. */
	assert_int_equal(store_raise_lkey(st, 3, &resume), STORE_OK);
	assert_int_equal(resume, 0);
	assert_int_equal(store_after(st, 4, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 3);

	assert_int_equal(store_raise_lkey(st, replaced, &resume), STORE_OK);
	assert_int_equal(resume, 3);
	assert_int_equal(store_last_lkey(st, &last), STORE_OK);
	assert_int_equal(last, 6);
	/* 4 and 5 are lost; 6 saw everything the replaced store had; 3 and
	 * below are this store's own history. */
	for (uint64_t c = 4; c <= 5; c++) {
		sc.resume = 0;
		assert_int_equal(store_after(st, c, 0, NULL, NULL, &sc), STORE_E_LOST);
		assert_int_equal(sc.resume, 3);
		assert_int_equal(sc.last, 6);
	}
	assert_int_equal(store_after(st, 6, 0, NULL, NULL, &sc), 0);
	assert_int_equal(store_after(st, 3, 0, NULL, NULL, &sc), 0);
	assert_int_equal(store_after(st, 1, 0, NULL, NULL, &sc), 2);
	/* The next commit gets 7, and a follower at 3 or 6 sees it. */
	s_build(&b[6], &m[6]);
	assert_int_equal(store_put_batch(st, &b[6].rec, 1, 0, res), STORE_OK);
	s_got_reset(&g);
	assert_int_equal(store_after(st, 3, 0, s_collect, &g, &sc), 1);
	assert_int_equal(g.lkey[0], 7);
	assert_int_equal(sc.last, 7);
	assert_int_equal(store_after(st, 6, 0, NULL, NULL, NULL), 1);
	assert_int_equal(store_check(st, NULL, 0), STORE_OK);

	/* A replaced store that could not be read: STORE_LKEY_GAP more; the
	 * earlier gap stays, across a reopen and a backup. */
	assert_int_equal(store_raise_lkey(st, STORE_LKEY_UNKNOWN, &resume), STORE_OK);
	assert_int_equal(resume, 7);
	store_destroy(&st);
	assert_int_equal(store_open(&st, rdir, s_node, LIMIT, s_index, &f->ti), STORE_OK);
	assert_int_equal(store_last_lkey(st, &last), STORE_OK);
	assert_int_equal(last, 7 + STORE_LKEY_GAP);
	assert_int_equal(store_after(st, 8, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 7);
	assert_int_equal(store_after(st, 6 + STORE_LKEY_GAP, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(store_after(st, 7 + STORE_LKEY_GAP, 0, NULL, NULL, &sc), 0);
	assert_int_equal(store_after(st, 5, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 3);
	assert_int_equal(store_after(st, 7, 0, NULL, NULL, &sc), 0);
	s_build(&b[7], &m[7]);
	assert_int_equal(store_put_batch(st, &b[7].rec, 1, 0, res), STORE_OK);
	s_got_reset(&g);
	assert_int_equal(store_after(st, 7, 0, s_collect, &g, &sc), 1);
	assert_int_equal(g.lkey[0], 8 + STORE_LKEY_GAP);
	assert_int_equal(sc.last, 8 + STORE_LKEY_GAP);
	assert_int_equal(store_check(st, NULL, 0), STORE_OK);
	assert_int_equal(store_raise_lkey(st, UINT64_MAX - 1, NULL), STORE_E_INVAL);
	store_destroy(&st);
	for (int i = 0; i < 8; i++)
		s_unbuild(&b[i]);
}

/* ---- expiry ------------------------------------------------------------ */

static void
test_expire(void **state)
{
	struct fx *f = *state;
	uint8_t r[32] = { 'R' };
	struct tmsg m[5] = {
		/* old */
		{ .origin = 0,
		    .seq = 1,
		    .time = 100,
		    .ref = r,
		    .nioc = 2,
		    .ioc = { IOC("x.example"), IOC("z.example") } },
		{ .origin = 1,
		    .seq = 1,
		    .time = 200,
		    .ref = r,
		    .nioc = 1,
		    .ioc = { IOC("x.example") } },
		{ .origin = 1, .seq = 2, .time = 300, .nioc = 1, .ioc = { IOC("q.example") } },
		/* new */
		{ .origin = 0, .seq = 2, .time = 10000, .nioc = 1, .ioc = { IOC("x.example") } },
		{ .origin = 1, .seq = 3, .time = 20000, .nioc = 1, .ioc = { IOC("q.example") } },
	};
	struct built b[6];
	struct store_stats ss;
	struct got g;
	size_t nm, no, removed = 99;
	int res[5];

	assert_int_equal(s_put(f, m, 5, b, res), STORE_OK);
	/* A reply to the first, old as well. */
	m[0] = (struct tmsg){ .origin = 2,
		.seq = 1,
		.time = 400,
		.ref = b[0].rec.id,
		.nioc = 1,
		.ioc = { IOC("q.example") } };
	assert_int_equal(s_put(f, m, 1, b + 5, res), STORE_OK);
	assert_int_equal(store_ioc_count(f->st, "x.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 3);
	assert_int_equal(no, 2);
	assert_int_equal(store_ioc_count(f->st, "q.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 3);
	assert_int_equal(no, 2);

	/* One message per transaction. */
	assert_int_equal(store_expire(f->st, 5000, 1, &removed), STORE_OK);
	assert_int_equal(removed, 4);
	for (int i = 0; i < 6; i++)
		assert_int_equal(store_has(f->st, b[i].rec.id), i == 3 || i == 4);
	assert_int_equal(store_get(f->st, b[0].rec.id, NULL, NULL), STORE_E_NOTFOUND);

	/* x: origin 0 still has a message with it, origin 1 none. */
	assert_int_equal(store_ioc_count(f->st, "x.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(no, 1);
	assert_int_equal(store_ioc_count(f->st, "z.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 0);
	assert_int_equal(no, 0);
	/* q: origin 1 keeps its newer message, origin 2 is gone. */
	assert_int_equal(store_ioc_count(f->st, "q.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm, 1);
	assert_int_equal(no, 1);
	s_got_reset(&g);
	assert_int_equal(store_by_ioc(f->st, "q.example", 9, 0, 0, s_collect, &g), 1);
	assert_memory_equal(g.id[0], b[4].rec.id, 32);
	assert_int_equal(store_by_ref(f->st, r, 0, NULL, NULL), 0);
	assert_int_equal(store_by_ref(f->st, b[0].rec.id, 0, NULL, NULL), 0);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 0, 0, NULL, NULL), 1);
	assert_int_equal(store_by_origin(f->st, s_keys[1].pk, 0, 0, NULL, NULL), 1);
	assert_int_equal(store_by_origin(f->st, s_keys[2].pk, 0, 0, NULL, NULL), 0);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL), 2);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 2);
	s_check_ok(f);

	assert_int_equal(store_expire(f->st, 5000, 0, &removed), STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(store_ioc_count(f->st, "q.example", 9, &nm, &no), STORE_OK);
	assert_int_equal(nm + no, 0);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 0);
	s_check_ok(f);
	for (int i = 0; i < 6; i++)
		s_unbuild(&b[i]);
}

/* Many messages over several transactions, against a count kept here. */
static void
test_expire_many(void **state)
{
	struct fx *f = *state;
	static const struct store_ioc pool[5] = {
		IOC("192.0.2.1"),
		IOC("192.0.2.2"),
		IOC("a.example"),
		IOC("b.example"),
		IOC("c.example"),
	};
	struct tmsg m[50];
	struct built b[50];
	uint64_t seq[NKEYS] = { 0 };
	size_t old = 0, removed, nm, no;
	int res[50];

	for (int batch = 0; batch < 12; batch++) {
		for (int i = 0; i < 50; i++) {
			int o = (int)randombytes_uniform(3);
			m[i] = (struct tmsg){ .origin = o,
				.seq = ++seq[o],
				.time = randombytes_uniform(100000),
				.nioc = randombytes_uniform(4),
				.pad = randombytes_uniform(300) };
			for (size_t j = 0; j < m[i].nioc; j++)
				m[i].ioc[j] = pool[randombytes_uniform(5)];
			old += m[i].time < 40000;
		}
		assert_int_equal(s_put(f, m, 50, b, res), STORE_OK);
		for (int i = 0; i < 50; i++)
			s_unbuild(&b[i]);
	}
	s_check_ok(f);
	assert_int_equal(store_expire(f->st, 40000, 0, &removed), STORE_OK);
	assert_int_equal(removed, old);
	assert_int_equal(store_range(f->st, 0, 39999, false, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL),
	    600 - old);
	s_check_ok(f);
	assert_int_equal(store_expire(f->st, 70000, 7, &removed), STORE_OK);
	s_check_ok(f);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_ioc_count(f->st, pool[i].value, pool[i].len, &nm, &no),
		    STORE_OK);
		assert_true(no <= 3 && no <= nm);
	}
}

/* A local key is never given twice: not after the newest-stored messages
 * expired either (they may be the oldest by creation time). */
static int
s_lkey_of(void *arg, const struct store_item *it)
{
	*(uint64_t *)arg = it->lkey;
	return 1;
}

static void
test_lkey_never_reused(void **state)
{
	struct fx *f = *state;
	struct tmsg m[3] = { { .origin = 0, .seq = 1, .time = 300 },
		{ .origin = 0, .seq = 2, .time = 200 }, { .origin = 0, .seq = 3, .time = 100 } };
	struct tmsg late = { .origin = 0, .seq = 4, .time = 400 };
	struct built b[3], bl;
	int res[3];
	size_t removed;
	uint64_t lk = 0;

	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	/* lkey 3 holds the oldest message: expiry removes the newest key */
	assert_int_equal(store_expire(f->st, 150, 0, &removed), STORE_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(s_put(f, &late, 1, &bl, res), STORE_OK);
	assert_int_equal(store_get(f->st, bl.rec.id, s_lkey_of, &lk), STORE_OK);
	assert_int_equal(lk, 4);
	s_check_ok(f);
	for (int i = 0; i < 3; i++)
		s_unbuild(&b[i]);
	s_unbuild(&bl);
}

/* Messages the index function marks keep outlive every cutoff, wherever
 * they sit among the expired, across transactions. */
static void
test_expire_keep(void **state)
{
	struct fx *f = *state;
	struct tmsg m[10];
	struct built b[10];
	struct store_stats ss;
	size_t removed = 99;
	int res[10];

	for (int i = 0; i < 10; i++)
		m[i] = (struct tmsg){ .origin = i % 2,
			.seq = (uint64_t)i + 1,
			.time = (uint64_t)i + 1,
			.nioc = 1,
			.ioc = { IOC("keep.example") },
			.keep = i == 0 || i == 2 || i == 3 || i == 6 };
	assert_int_equal(s_put(f, m, 10, b, res), STORE_OK);
	/* times 1..7 are older: 1, 3, 4 and 7 are kept, 2, 5 and 6 go; two
	 * per transaction, so that a transaction ends beside kept ones. */
	assert_int_equal(store_expire(f->st, 8, 2, &removed), STORE_OK);
	assert_int_equal(removed, 3);
	for (int i = 0; i < 10; i++)
		assert_int_equal(store_has(f->st, b[i].rec.id), m[i].keep || i >= 7);
	s_check_ok(f);
	assert_int_equal(store_expire(f->st, 8, 1, &removed), STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(store_expire(f->st, UINT64_MAX, 0, &removed), STORE_OK);
	assert_int_equal(removed, 3);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 4);
	for (int i = 0; i < 10; i++)
		assert_int_equal(store_has(f->st, b[i].rec.id), m[i].keep);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL), 4);
	s_check_ok(f);
	for (int i = 0; i < 10; i++)
		s_unbuild(&b[i]);
}

/* ---- store_check_each: a verify function over every message ------------- */

struct tverify {
	size_t calls;
	uint64_t seen[16]; /* seq of each message verified, in order */
};

/* store_verify_fn: the test message's signature. */
static int
s_verify(void *arg, const uint8_t *bytes, size_t len, char *why, size_t whylen)
{
	struct tverify *v = arg;
	struct store_rec rec;
	struct store_ioc iocs[MAXIOC];
	uint8_t *plain = malloc(len);
	unsigned long long plen;
	int rc;

	assert_non_null(plain);
	assert_int_equal(s_parse(bytes, len, &rec, iocs), 0);
	if (v->calls < 16)
		v->seen[v->calls] = rec.seq;
	v->calls++;
	rc = crypto_sign_open(plain, &plen, bytes, len, s_keys[0].pk) == 0 ||
	        crypto_sign_open(plain, &plen, bytes, len, s_keys[1].pk) == 0
	    ? 0
	    : -1;
	free(plain);
	if (rc != 0)
		snprintf(why, whylen, "signature does not verify");
	return rc;
}

static void
test_check_each(void **state)
{
	struct fx *f = *state;
	struct tmsg m[3] = {
		{ .origin = 0, .seq = 1, .time = 10, .nioc = 1, .ioc = { IOC("a.example") } },
		{ .origin = 1, .seq = 2, .time = 5, .nioc = 1, .ioc = { IOC("a.example") } },
		{ .origin = 0, .seq = 3, .time = 30 },
	};
	struct built b[3];
	struct tverify v = { 0 };
	char err[512], hex[65];
	int res[3];

	assert_int_equal(s_put(f, m, 2, b, res), STORE_OK);
	assert_int_equal(store_check_each(f->st, s_verify, &v, err, sizeof err), STORE_OK);
	assert_int_equal(v.calls, 2);
	/* in local key order, not time order */
	assert_int_equal(v.seen[0], 1);
	assert_int_equal(v.seen[1], 2);

	/* A message with an all-zero signature, stored as the store takes it
	 * (its id is the hash of its bytes; the indexes agree). */
	s_build(&b[2], &m[2]);
	memset(b[2].bytes, 0, crypto_sign_BYTES);
	assert_int_equal(s_parse(b[2].bytes, b[2].len, &b[2].rec, b[2].iocs), 0);
	assert_int_equal(store_put_batch(f->st, &b[2].rec, 1, 0, res), STORE_OK);
	assert_int_equal(store_check(f->st, err, sizeof err), STORE_OK);
	assert_int_equal(store_check_each(f->st, NULL, NULL, err, sizeof err), STORE_OK);
	memset(&v, 0, sizeof v);
	err[0] = '\0';
	assert_int_equal(store_check_each(f->st, s_verify, &v, err, sizeof err), STORE_E_CORRUPT);
	assert_int_equal(v.calls, 3);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[2].rec.id[i]);
	if (strstr(err, "message 3 (id ") == NULL || strstr(err, hex) == NULL ||
	    strstr(err, "signature does not verify") == NULL)
		fail_msg("store_check_each said \"%s\"", err);
	/* The first bad one is named, and nothing after it is looked at. */
	m[0].seq = 4;
	s_unbuild(&b[0]);
	s_build(&b[0], &m[0]);
	assert_int_equal(store_put_batch(f->st, &b[0].rec, 1, 0, res), STORE_OK);
	memset(&v, 0, sizeof v);
	assert_int_equal(store_check_each(f->st, s_verify, &v, err, sizeof err), STORE_E_CORRUPT);
	assert_int_equal(v.calls, 3);
	assert_non_null(strstr(err, hex));
	assert_int_equal(store_check_each(f->st, s_verify, &v, NULL, 0), STORE_E_CORRUPT);
	assert_int_equal(store_check_each(NULL, s_verify, &v, err, sizeof err), STORE_E_INVAL);
	for (int i = 0; i < 3; i++)
		s_unbuild(&b[i]);
}

/* ---- store_check finds corruption --------------------------------------- */

static void
test_check_detects(void **state)
{
	struct fx *f = *state;
	uint8_t stray[40] = { 0xee, 0xee }, lk999[8] = { 0, 0, 0, 0, 0, 0, 0x03, 0xe7 };
	uint8_t lk1[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	/* onum || lkey: message 1's entry, and one naming the other origin
	 * (numbered in the order their first messages were indexed) */
	uint8_t iv1[12] = { 0, 0, 0, 1 }, ivx[12] = { 0, 0, 0, 2 }, ivn[12] = { 0, 0, 0, 9 };
	uint8_t one[4] = { 0, 0, 0, 1 };
	struct tmsg m[3] = {
		{ .origin = 0,
		    .seq = 1,
		    .time = 10,
		    .nioc = 2,
		    .ioc = { IOC("10.0.0.1"), IOC("evil.example") } },
		{ .origin = 1, .seq = 1, .time = 20, .nioc = 1, .ioc = { IOC("10.0.0.1") } },
		{ .origin = 0, .seq = 2, .time = 30 },
	};
	struct built b[3];
	uint8_t tk[40];
	const struct {
		const char *db;
		unsigned int flags;
		bool del;
		const void *k;
		size_t kl;
		const void *v;
		size_t vl;
		const char *expect;
	} cases[] = {
		/* a dangling "ref" entry */
		{ "ref", MDB_DUPSORT | MDB_DUPFIXED, false, stray, 32, lk999, 8, "ref" },
		/* an extra entry that points to an existing message */
		{ "ref", MDB_DUPSORT | MDB_DUPFIXED, false, stray, 32, lk1, 8,
		    "ref holds 1 entries" },
		{ "origin", MDB_DUPSORT | MDB_DUPFIXED, false, stray, 40, lk1, 8,
		    "origin holds 4" },
		{ "id", 0, false, stray, 32, lk999, 8, "id" },
		{ "ioc", MDB_DUPSORT | MDB_DUPFIXED, true, "10.0.0.1", 8, iv1, 12, "not indexed" },
		/* an entry for message 1 that names another origin, or a number
		 * never given */
		{ "ioc", MDB_DUPSORT | MDB_DUPFIXED, false, "evil.example", 12, ivx, 12,
		    "another origin" },
		{ "ioc", MDB_DUPSORT | MDB_DUPFIXED, false, "evil.example", 12, ivn, 12,
		    "another origin" },
		/* a number whose origin is gone, or an origin numbered by another */
		{ "onum", 0, true, one, 4, NULL, 0, "onum holds 3 entries for 2 numbers" },
		{ "onum", 0, false, one, 4, stray, 32,
		    "onum: number 1 names an origin not numbered by it" },
		{ "time", 0, true, tk, 40, NULL, 0, "time" },
		{ "msg", 0, true, lk1, 8, NULL, 0, "missing" },
	};
	char err[256];
	int res[3];

	assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	memcpy(iv1 + 4, lk1, 8);
	memcpy(ivx + 4, lk1, 8);
	memcpy(ivn + 4, lk1, 8);
	s_be64(tk, 10);
	memcpy(tk + 8, b[0].rec.id, 32);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s_check_ok(f);
		store_destroy(&f->st);
		s_raw(f->dir, cases[i].db, cases[i].flags, cases[i].del, cases[i].k, cases[i].kl,
		    cases[i].v, cases[i].vl);
		s_open(f, LIMIT);
		err[0] = '\0';
		assert_int_equal(store_check(f->st, err, sizeof err), STORE_E_CORRUPT);
		if (strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].expect);
		/* Queries skip what they cannot find. */
		assert_true(store_by_ref(f->st, stray, 0, NULL, NULL) >= 0);
		assert_true(
		    store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL) >= 0);
		/* A fresh store for the next case. */
		store_destroy(&f->st);
		(void)tu_rmrf(f->dir);
		s_open(f, LIMIT);
		for (int j = 0; j < 3; j++)
			s_unbuild(&b[j]);
		assert_int_equal(s_put(f, m, 3, b, res), STORE_OK);
	}
	assert_int_equal(store_check(f->st, NULL, 0), STORE_OK);
	for (int j = 0; j < 3; j++)
		s_unbuild(&b[j]);
}

/* ---- full map ---------------------------------------------------------- */

static void
test_full(void **state)
{
	struct fx *f = *state;
	enum { PER = 4, MAXB = 400 };
	const uint64_t small = 1u << 20;
	struct tmsg m[PER];
	struct built b[PER];
	uint8_t(*ids)[32] = calloc(MAXB * PER, 32);
	struct store_stats ss;
	size_t nids = 0, removed;
	int res[PER], rc = STORE_OK, batches;
	uint64_t seq = 0;
	char want[128];

	assert_non_null(ids);
	store_destroy(&f->st);
	(void)tu_rmrf(f->dir);
	s_open(f, small);
	for (batches = 0; batches < MAXB; batches++) {
		for (int i = 0; i < PER; i++) {
			seq++;
			m[i] = (struct tmsg){ .origin = 0,
				.seq = seq,
				.time = seq,
				.nioc = 1,
				.ioc = { IOC("full.example") },
				.pad = 3000 };
		}
		rc = s_put(f, m, PER, b, res);
		for (int i = 0; i < PER; i++) {
			if (rc == STORE_OK)
				memcpy(ids[nids++], b[i].rec.id, 32);
			else
				assert_int_equal(store_has(f->st, b[i].rec.id), 0);
			s_unbuild(&b[i]);
		}
		if (rc != STORE_OK)
			break;
	}
	assert_int_equal(rc, STORE_E_FULL);
	assert_true(nids > 0);
	snprintf(want, sizeof want, "store full: the size limit of %llu bytes is reached",
	    (unsigned long long)small);
	assert_non_null(strstr(store_strerror(rc), want));

	/* Everything committed before is there, and consistent. */
	for (size_t i = 0; i < nids; i++)
		assert_int_equal(store_get(f->st, ids[i], NULL, NULL), STORE_OK);
	assert_int_equal(store_range(f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL),
	    (int)nids);
	s_check_ok(f);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, nids);
	assert_true(ss.file_bytes <= small);

	/* Reopen at the same limit: readable, still full. */
	s_reopen(f, small);
	assert_int_equal(store_by_origin(f->st, s_keys[0].pk, 0, 0, NULL, NULL), (int)nids);
	s_check_ok(f);
	seq++;
	m[0] = (struct tmsg){ .origin = 0, .seq = seq, .time = seq, .pad = 60000 };
	assert_int_equal(s_put(f, m, 1, b, res), STORE_E_FULL);
	s_unbuild(&b[0]);

	/* Expiry makes room. */
	assert_int_equal(store_expire(f->st, nids / 2, 16, &removed), STORE_OK);
	assert_true(removed > 0);
	seq++;
	m[0] = (struct tmsg){ .origin = 0, .seq = seq, .time = seq, .pad = 3000 };
	assert_int_equal(s_put(f, m, 1, b, res), STORE_OK);
	s_unbuild(&b[0]);
	s_check_ok(f);

	/* So does a larger limit. */
	s_reopen(f, 4 * small);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.map_size, 4 * small);
	for (int j = 0; j < 20; j++) {
		for (int i = 0; i < PER; i++) {
			seq++;
			m[i] = (struct tmsg){ .origin = 1, .seq = seq, .time = seq, .pad = 3000 };
		}
		assert_int_equal(s_put(f, m, PER, b, res), STORE_OK);
		for (int i = 0; i < PER; i++)
			s_unbuild(&b[i]);
	}
	s_check_ok(f);
	free(ids);
}

/* ---- peers, stats, backup ---------------------------------------------- */

static void
test_peer(void **state)
{
	struct fx *f = *state;
	uint8_t blob[100], buf[100];
	char longname[600];
	size_t n = 0;

	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)i;
	memset(longname, 'p', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';

	assert_int_equal(store_peer_get(f->st, "soc-a", buf, sizeof buf, &n), STORE_E_NOTFOUND);
	assert_int_equal(store_peer_put(f->st, "soc-a", blob, sizeof blob), STORE_OK);
	assert_int_equal(store_peer_get(f->st, "soc-a", buf, sizeof buf, &n), STORE_OK);
	assert_int_equal(n, sizeof blob);
	assert_memory_equal(buf, blob, sizeof blob);
	n = 0;
	assert_int_equal(store_peer_get(f->st, "soc-a", buf, 10, &n), STORE_E_NOMEM);
	assert_int_equal(n, sizeof blob);
	assert_int_equal(store_peer_get(f->st, "soc-a", NULL, 0, &n), STORE_E_NOMEM);
	assert_int_equal(n, sizeof blob);

	assert_int_equal(store_peer_put(f->st, "soc-a", "abcde", 5), STORE_OK);
	assert_int_equal(store_peer_put(f->st, "soc-b", NULL, 0), STORE_OK);
	s_reopen(f, LIMIT);
	assert_int_equal(store_peer_get(f->st, "soc-a", buf, sizeof buf, &n), STORE_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "abcde", 5);
	assert_int_equal(store_peer_get(f->st, "soc-b", buf, sizeof buf, &n), STORE_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_peer_del(f->st, "soc-a"), STORE_OK);
	assert_int_equal(store_peer_get(f->st, "soc-a", buf, sizeof buf, &n), STORE_E_NOTFOUND);
	assert_int_equal(store_peer_del(f->st, "soc-a"), STORE_E_NOTFOUND);
	assert_int_equal(store_peer_get(f->st, "soc-b", buf, sizeof buf, &n), STORE_OK);

	assert_int_equal(store_peer_put(f->st, "", blob, 1), STORE_E_INVAL);
	assert_int_equal(store_peer_put(f->st, longname, blob, 1), STORE_E_INVAL);
	assert_int_equal(store_peer_put(f->st, NULL, blob, 1), STORE_E_INVAL);
	assert_int_equal(store_peer_put(f->st, "soc-c", NULL, 1), STORE_E_INVAL);
	assert_int_equal(store_peer_get(f->st, "soc-b", buf, sizeof buf, NULL), STORE_E_INVAL);
	assert_int_equal(store_peer_del(f->st, longname), STORE_E_INVAL);
	s_check_ok(f);
}

static void
test_stats_backup(void **state)
{
	struct fx *f = *state;
	struct tmsg m[50];
	struct built b[51];
	struct store_stats ss;
	struct got g;
	struct store *st;
	struct stat sb;
	uint64_t backed = 0;
	char path[160], tmp[170], rdir[160], rpath[180];
	size_t removed;
	int res[50];

	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 0);
	assert_int_equal(ss.last_lkey, 0);
	for (int i = 0; i < 50; i++)
		m[i] = (struct tmsg){ .origin = 0,
			.seq = (uint64_t)i + 1,
			.time = (uint64_t)i,
			.nioc = 1,
			.ioc = { IOC("backup.example") },
			.pad = 500 };
	assert_int_equal(s_put(f, m, 50, b, res), STORE_OK);
	assert_int_equal(store_expire(f->st, 20, 0, &removed), STORE_OK);
	assert_int_equal(removed, 20);
	assert_int_equal(store_stats(f->st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 30);
	assert_int_equal(ss.last_lkey, 50);
	assert_int_equal(ss.map_size, LIMIT);
	assert_true(ss.used_bytes > 0 && ss.used_bytes <= ss.file_bytes);

	snprintf(path, sizeof path, "%s/backup.mdb", f->tmp);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	assert_int_equal(store_backup(f->st, path, &backed), STORE_OK);
	assert_int_equal(backed, 30);
	backed = 0;
	assert_int_equal(store_backup(f->st, path, &backed), STORE_OK); /* replaces */
	assert_int_equal(backed, 30);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(access(tmp, F_OK), -1);
	snprintf(rpath, sizeof rpath, "%s/no/such/dir/b.mdb", f->tmp);
	assert_int_equal(store_backup(f->st, rpath, &backed), STORE_E_IO);

	/* Restore: the file as data.mdb of a new directory. */
	snprintf(rdir, sizeof rdir, "%s/restored", f->tmp);
	assert_int_equal(mkdir(rdir, 0700), 0);
	snprintf(rpath, sizeof rpath, "%s/data.mdb", rdir);
	assert_int_equal(rename(path, rpath), 0);
	assert_int_equal(store_open(&st, rdir, s_node, LIMIT, s_index, &f->ti), STORE_OK);
	assert_int_equal(store_stats(st, &ss), STORE_OK);
	assert_int_equal(ss.messages, 30);
	assert_int_equal(ss.last_lkey, 50);
	assert_int_equal(store_check(st, NULL, 0), STORE_OK);
	assert_int_equal(store_get(st, b[49].rec.id, NULL, NULL), STORE_OK);
	m[0].seq = 51;
	s_build(&b[50], &m[0]);
	assert_int_equal(store_put_batch(st, &b[50].rec, 1, 0, res), STORE_OK);
	s_got_reset(&g);
	assert_int_equal(store_get(st, b[50].rec.id, s_collect, &g), STORE_OK);
	assert_int_equal(g.lkey[0], 51);
	store_destroy(&st);
	for (int i = 0; i < 51; i++)
		s_unbuild(&b[i]);
}

/* ---- arguments --------------------------------------------------------- */

static void
test_args(void **state)
{
	struct fx *f = *state;
	uint8_t id[32] = { 0 };
	struct store_stats ss;
	struct store *st;
	uint64_t n64;
	size_t n;
	char err[8];

	assert_int_equal(store_get(NULL, id, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_get(f->st, NULL, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_has(NULL, id), STORE_E_INVAL);
	assert_int_equal(store_range(NULL, 0, 1, false, NULL, 0, NULL, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_by_origin(f->st, NULL, 0, 0, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_by_ioc(NULL, "x", 1, 0, 0, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_by_ref(f->st, NULL, 0, NULL, NULL), STORE_E_INVAL);
	assert_int_equal(store_ioc_count(f->st, "x", 0, &n, &n), STORE_E_INVAL);
	assert_int_equal(store_expire(f->st, 0, 0, NULL), STORE_E_INVAL);
	assert_int_equal(store_check(f->st, NULL, sizeof err), STORE_E_INVAL);
	assert_int_equal(store_stats(f->st, NULL), STORE_E_INVAL);
	assert_int_equal(store_backup(f->st, NULL, &n64), STORE_E_INVAL);
	assert_int_equal(store_backup(NULL, "x", &n64), STORE_E_INVAL);
	assert_int_equal(store_backup(f->st, "x", NULL), STORE_E_INVAL);

	/* Without an index function: no expiry, no check. */
	store_destroy(&f->st);
	assert_int_equal(store_open(&st, f->dir, s_node, LIMIT, NULL, NULL), STORE_OK);
	assert_int_equal(store_expire(st, 10, 0, &n), STORE_E_INVAL);
	assert_int_equal(store_check(st, err, sizeof err), STORE_E_INVAL);
	assert_int_equal(store_stats(st, &ss), STORE_OK);
	store_destroy(&st);
	s_open(f, LIMIT);
}

/* ---- threads: one writer, readers, MDB_NOTLS --------------------------- */

struct thr {
	struct fx *f;
	atomic_int done;
	atomic_int errors;
	atomic_long reads;
};

static void *
s_writer(void *arg)
{
	struct thr *t = arg;
	struct tmsg m[5];
	struct built b[5];
	struct store_rec recs[5];
	int res[5];
	uint64_t seq = 0;

	for (int j = 0; j < 40; j++) {
		for (int i = 0; i < 5; i++) {
			seq++;
			m[i] = (struct tmsg){ .origin = 0,
				.seq = seq,
				.time = seq,
				.nioc = 1,
				.ioc = { IOC("thread.example") },
				.pad = 200 };
			s_build(&b[i], &m[i]);
			recs[i] = b[i].rec;
		}
		if (store_put_batch(t->f->st, recs, 5, seq, res) != STORE_OK)
			atomic_fetch_add(&t->errors, 1);
		for (int i = 0; i < 5; i++)
			s_unbuild(&b[i]);
	}
	atomic_store(&t->done, 1);
	return NULL;
}

static int
s_count_cb(void *arg, const struct store_item *it)
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, it->bytes, it->len, NULL, 0);
	if (memcmp(h, it->id, 32) != 0)
		atomic_fetch_add((atomic_int *)arg, 1);
	return 0;
}

static void *
s_reader(void *arg)
{
	struct thr *t = arg;
	int last = 0;

	while (!atomic_load(&t->done)) {
		int a = store_range(t->f->st, 0, UINT64_MAX, true, NULL, 0, s_count_cb, &t->errors,
		    NULL);
		int b = store_by_ioc(t->f->st, "thread.example", 14, 0, 20, s_count_cb, &t->errors);
		if (a < 0 || b < 0 || a < last)
			atomic_fetch_add(&t->errors, 1);
		last = a;
		atomic_fetch_add(&t->reads, 1);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct thr t = { .f = *state };
	pthread_t w, r[3];

	assert_int_equal(pthread_create(&w, NULL, s_writer, &t), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&r[i], NULL, s_reader, &t), 0);
	pthread_join(w, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	assert_int_equal(atomic_load(&t.errors), 0);
	assert_true(atomic_load(&t.reads) > 0);
	assert_int_equal(store_range(t.f->st, 0, UINT64_MAX, false, NULL, 0, NULL, NULL, NULL),
	    200);
	s_check_ok(t.f);
}

/* ---- two processes on one store (the CLI next to the daemon) ----------- */

static void
test_two_processes(void **state)
{
	struct fx *f = *state;
	struct tmsg m[4];
	struct built b[4];
	int res[2], status;
	pid_t pid;

	for (int i = 0; i < 4; i++)
		m[i] = (struct tmsg){ .origin = 0, .seq = (uint64_t)i + 1, .time = (uint64_t)i };
	assert_int_equal(s_put(f, m, 1, b, res), STORE_OK);
	for (int i = 1; i < 4; i++)
		s_build(&b[i], &m[i]);
	if ((pid = fork()) == 0) {
		/* Its own environment: never the parent's across fork(). */
		struct store *st;
		struct tindex ti;
		struct store_rec r[2] = { b[1].rec, b[2].rec };
		if (store_open(&st, f->dir, s_node, LIMIT, s_index, &ti) != STORE_OK ||
		    store_put_batch(st, r, 2, 0, res) != STORE_OK)
			_exit(1);
		store_destroy(&st);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* This process's handle sees the other's writes and appends after them. */
	assert_int_equal(store_put_batch(f->st, &b[3].rec, 1, 0, res), STORE_OK);
	assert_int_equal(res[0], STORE_OK);
	for (int i = 0; i < 4; i++) {
		struct got g;
		s_got_reset(&g);
		assert_int_equal(store_get(f->st, b[i].rec.id, s_collect, &g), STORE_OK);
		assert_int_equal(g.lkey[0], (uint64_t)i + 1);
		s_unbuild(&b[i]);
	}
	s_check_ok(f);
}

/* ---- crash: SIGKILL a writer, reopen, verify --------------------------- */

#define CRASH_KEY    3
#define CRASH_ROUNDS 8

/* The child: open the store (never across fork), write batches, report the
 * last seq of each after its commit returned. */
static void __attribute__((noreturn)) s_crash_child(const char *dir, int fd, uint64_t seq)
{
	struct tindex ti;
	struct store *st;
	uint8_t prev[32];
	bool hasprev = false;
	static char longv[700];

	if (store_open(&st, dir, s_node, LIMIT, s_index, &ti) != STORE_OK)
		_exit(2);
	memset(longv, 'L', sizeof longv);
	for (int batch = 0; batch < 100000; batch++) {
		struct tmsg m;
		struct built b[8];
		struct store_rec recs[8];
		int res[8];
		size_t n = 1 + randombytes_uniform(8);
		char v[32];

		for (size_t i = 0; i < n; i++, seq++) {
			snprintf(v, sizeof v, "198.51.100.%u", (unsigned)(seq % 13));
			m = (struct tmsg){ .origin = CRASH_KEY,
				.seq = seq,
				.time = 1000000 + seq,
				.ref = hasprev ? prev : NULL,
				.nioc = 1,
				.ioc = { { v, strlen(v) } },
				.pad = randombytes_uniform(6000) };
			if (seq % 5 == 0)
				m.ioc[m.nioc++] = (struct store_ioc){ longv,
					sizeof longv - (seq % 3) };
			s_build(&b[i], &m);
			recs[i] = b[i].rec;
			memcpy(prev, b[i].rec.id, 32);
			hasprev = seq % 4 != 0;
		}
		if (store_put_batch(st, recs, n, seq, res) != STORE_OK)
			_exit(3);
		for (size_t i = 0; i < n; i++)
			free(b[i].bytes);
		if (write(fd, &(uint64_t){ seq - 1 }, sizeof(uint64_t)) != sizeof(uint64_t))
			_exit(4);
	}
	store_destroy(&st);
	_exit(0);
}

struct verify {
	uint64_t n, next, bad;
};

static int
s_verify_cb(void *arg, const struct store_item *it)
{
	struct verify *v = arg;
	unsigned char *plain = malloc(it->len);
	unsigned long long plen;
	struct tindex ti;
	struct store_rec rec;

	if (plain == NULL ||
	    crypto_sign_open(plain, &plen, it->bytes, it->len, s_keys[CRASH_KEY].pk) != 0 ||
	    s_parse(it->bytes, it->len, &rec, ti.iocs) != 0 || rec.seq != v->next)
		v->bad++;
	free(plain);
	v->n++;
	v->next++;
	return 0;
}

static void
test_crash(void **state)
{
	struct fx *f = *state;
	uint64_t next = 1, reported = 0;
	struct timespec t0, t1;

	store_destroy(&f->st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		struct verify v = { 0, 1, 0 };
		unsigned want = 1 + randombytes_uniform(10), got = 0;
		struct timespec delay = { 0, (long)randombytes_uniform(5000) * 1000 };
		uint64_t seq;
		int p[2], status;
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		if ((pid = fork()) == 0) {
			close(p[0]);
			s_crash_child(f->dir, p[1], next);
		}
		assert_true(pid > 0);
		close(p[1]);
		while (got < want) {
			struct pollfd pfd = { p[0], POLLIN, 0 };
			assert_int_equal(poll(&pfd, 1, 10000), 1);
			if (read(p[0], &seq, sizeof seq) != sizeof seq)
				break; /* the child died: waitpid tells */
			reported = seq > reported ? seq : reported;
			got++;
		}
		nanosleep(&delay, NULL);
		kill(pid, SIGKILL);
		/* Reports written before the kill still count. */
		while (read(p[0], &seq, sizeof seq) == sizeof seq)
			reported = seq > reported ? seq : reported;
		close(p[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		s_open(f, LIMIT);
		assert_true(
		    store_by_origin(f->st, s_keys[CRASH_KEY].pk, 1, 0, s_verify_cb, &v) >= 0);
		assert_int_equal(v.bad, 0);
		if (v.n < reported)
			fail_msg("round %d: %llu stored, %llu reported committed", round,
			    (unsigned long long)v.n, (unsigned long long)reported);
		s_check_ok(f);
		next = v.n + 1;
		store_destroy(&f->st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("# crash: %d rounds, %llu messages, %.2f s\n", CRASH_ROUNDS,
	    (unsigned long long)(next - 1),
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	s_open(f, LIMIT);
}

/* ---- the node: restore and check verify every message; import rules ---- */

struct nfx {
	char tmp[64];
	char dir[96]; /* a node directory: tmp/A */
	struct node *n;
	/* peers in the trust list: a member, a member coordinator, an
	 * external partner */
	uint8_t mpk[32], msk[64], cpk[32], csk[64], xpk[32], xsk[64];
};

static void
s_trust(struct node *n, const char *name, const uint8_t pk[32], enum msg_level level,
    bool coordinator)
{
	struct trust_peer p;
	char err[256];

	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	memcpy(p.id, pk, 32);
	p.level = level;
	p.coordinator = coordinator;
	if (trust_add(n->local, &p, err, sizeof err) != 0 ||
	    node_save_trust(n, err, sizeof err) != 0)
		fail_msg("trust %s: %s", name, err);
}

static int
s_nsetup(void **state)
{
	struct nfx *f = calloc(1, sizeof *f);
	uint8_t seed[32];
	char err[512];

	assert_non_null(f);
	assert_int_equal(tu_mkdtemp(f->tmp, "node"), 0);
	snprintf(f->dir, sizeof f->dir, "%s/A", f->tmp);
	if (node_init(f->dir, "A", "tcp://127.0.0.1:1", err, sizeof err) != 0)
		fail_msg("node_init: %s", err);
	if ((f->n = node_open(f->dir, NODE_KEYS | NODE_STORE, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	memset(seed, 'm', 32);
	crypto_sign_seed_keypair(f->mpk, f->msk, seed);
	memset(seed, 'c', 32);
	crypto_sign_seed_keypair(f->cpk, f->csk, seed);
	memset(seed, 'x', 32);
	crypto_sign_seed_keypair(f->xpk, f->xsk, seed);
	s_trust(f->n, "M", f->mpk, MSG_LEVEL_MEMBER, false);
	s_trust(f->n, "C", f->cpk, MSG_LEVEL_MEMBER, true);
	s_trust(f->n, "X", f->xpk, MSG_LEVEL_EXTERNAL, false);
	*state = f;
	return 0;
}

static int
s_nteardown(void **state)
{
	struct nfx *f = *state;

	node_close(&f->n);
	(void)tu_rmrf(f->tmp);
	free(f);
	return 0;
}

/* A message signed by (pk, sk); malloc'd, its id into id (may be NULL).
 * kind "incident", "retract" (ref required) or "roster". */
static uint8_t *
s_nmsg(const uint8_t pk[32], const uint8_t sk[64], const char *kind, const char *tlp, uint64_t seq,
    uint64_t time, const uint8_t *ref, size_t *len, uint8_t *id)
{
	struct draft *d = draft_new();
	struct msg *m;
	char err[256], hex[65];
	uint8_t *out;

	assert_non_null(d);
	m = draft_msg(d);
	memcpy(m->origin, pk, 32);
	m->seq = seq;
	m->time = time;
	if (draft_set(d, "kind", kind, err, sizeof err) != 0 ||
	    draft_set(d, "tlp", tlp, err, sizeof err) != 0)
		fail_msg("draft: %s", err);
	if (strcmp(kind, "incident") == 0) {
		if (draft_set(d, "title", "test", err, sizeof err) != 0 ||
		    draft_set(d, "category", "test", err, sizeof err) != 0 ||
		    draft_set(d, "severity", "low", err, sizeof err) != 0 ||
		    draft_set(d, "indicator", "ipv4:192.0.2.7", err, sizeof err) != 0)
			fail_msg("draft: %s", err);
	} else if (strcmp(kind, "retract") == 0) {
		hex_encode(hex, ref, 32);
		if (draft_set(d, "ref", hex, err, sizeof err) != 0)
			fail_msg("draft: %s", err);
	} else {
		hex_encode(hex, pk, 32);
		if (draft_set(d, "peer", hex, err, sizeof err) != 0 ||
		    draft_set(d, "name", "peer", err, sizeof err) != 0 ||
		    draft_set(d, "level", "member", err, sizeof err) != 0)
			fail_msg("draft: %s", err);
	}
	if (msg_encode(m, sk, NULL, NULL, &out, len) != MSG_OK)
		fail_msg("msg_encode of a %s", kind);
	if (id != NULL)
		memcpy(id, m->id, 32);
	draft_destroy(&d);
	return out;
}

/* Zero the signature of a message in place; its new id into id. */
static void
s_zero_sig(uint8_t *bytes, size_t len, uint8_t id[32])
{
	struct msg *m = msg_new();
	uint8_t sig[MSG_SIG_LEN], zero[MSG_SIG_LEN] = { 0 };
	size_t i;

	assert_non_null(m);
	assert_int_equal(msg_decode(m, bytes, len, 0), MSG_OK);
	memcpy(sig, m->sig, sizeof sig);
	for (i = 0; i + sizeof sig <= len && memcmp(bytes + i, sig, sizeof sig) != 0; i++)
		;
	assert_true(i + sizeof sig <= len);
	memcpy(bytes + i, zero, sizeof zero);
	assert_int_equal(msg_decode(m, bytes, len, 0), MSG_OK);
	assert_int_equal(msg_verify(m), MSG_E_SIG);
	memcpy(id, m->id, 32);
	msg_destroy(&m);
}

/* Stores a message as the store takes it, past every check of ingest. */
static void
s_put_raw(struct node *n, const uint8_t *bytes, size_t len)
{
	struct ks_keys k = { 0 };
	struct msg *m = msg_new();
	struct store_rec rec;
	int res = -1;

	assert_non_null(m);
	assert_int_equal(msg_decode(m, bytes, len, 0), MSG_OK);
	assert_int_equal(ingest_rec(&rec, &k, NULL, m, bytes, len), 0);
	assert_int_equal(store_put_batch(n->st, &rec, 1, now_ms(), &res), STORE_OK);
	assert_int_equal(res, STORE_OK);
	ks_free(&k);
	msg_destroy(&m);
}

/* An import as the daemon makes it: judged (node_judge()), the signature
 * verified (the ingest pipeline's step), then committed.  0 stored, 1
 * already there, -1 with err. */
static int
s_import(struct node *n, const uint8_t *bytes, size_t len, const struct trust_peer *from,
    uint8_t id[32], char *err, size_t errlen)
{
	int r = node_judge(n, bytes, len, from, id, err, errlen);

	if (r != 0)
		return r;
	if (msg_verify(n->scratch) != MSG_OK)
		return errf(err, errlen, "rejected: %s", msg_strerror(MSG_E_SIG));
	s_put_raw(n, bytes, len);
	return 0;
}

/* Runs the socmesh CLI of this build ($B/socmesh, B as tests/run sets it)
 * with args; its exit status, and stdout and stderr into out.  -1 when
 * there is no such program here (a unit test run by hand). */
static int
s_cli(const char *args, char *out, size_t cap)
{
	const char *b = getenv("B") != NULL ? getenv("B") : "build";
	char cmd[1024], prog[256];
	size_t n = 0, k;
	FILE *p;
	int st;

	snprintf(prog, sizeof prog, "%s/socmesh", b);
	if (access(prog, X_OK) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "%s %s 2>&1", prog, args);
	assert_non_null(p = popen(cmd, "r"));
	while (n + 1 < cap && (k = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += k;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/*
 * Issue 8, item 5: a backup carrying a message of a trusted origin with an
 * all-zero signature is refused by restore, which names the message and
 * leaves the store as it was, and `socmesh check` reports it.  A backup
 * whose messages are all genuine restores even after their origin was
 * blocked: restore checks what ingest checks, not today's trust.
 */
static void
test_restore_verifies(void **state)
{
	struct nfx *f = *state;
	uint64_t now = now_ms(), backed = 0;
	uint8_t id[32], bad[32], *b;
	char err[512], out[4096], hex[65], good[128], crafted[128], data[160], args[512];
	struct node_restored r;
	struct stat before, after;
	size_t len;
	int rc;

	/* Its own message and a member's, through the import path. */
	b = s_nmsg(f->n->keys->pk, f->n->keys->sk, "incident", "green", 1, now, NULL, &len, id);
	assert_int_equal(s_import(f->n, b, len, NULL, id, err, sizeof err), 0);
	free(b);
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", 1, now, NULL, &len, id);
	assert_int_equal(s_import(f->n, b, len, NULL, id, err, sizeof err), 0);
	free(b);
	snprintf(good, sizeof good, "%s/good.mdb", f->tmp);
	snprintf(crafted, sizeof crafted, "%s/crafted.mdb", f->tmp);
	assert_int_equal(store_backup(f->n->st, good, &backed), STORE_OK);
	assert_int_equal(node_check(f->n, NULL, err, sizeof err), STORE_OK);

	/* The member's second message, its signature all zeros: ingest refuses
	 * it, so it goes into the store past ingest. */
	b = s_nmsg(f->mpk, f->msk, "incident", "green", 2, now, NULL, &len, id);
	s_zero_sig(b, len, bad);
	hex_encode(hex, bad, 32);
	assert_int_equal(s_import(f->n, b, len, NULL, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "signature"));
	s_put_raw(f->n, b, len);
	free(b);
	/* The indexes agree with it: only the signature is wrong. */
	assert_int_equal(store_check(f->n->st, err, sizeof err), STORE_OK);
	assert_int_equal(node_check(f->n, NULL, err, sizeof err), STORE_E_CORRUPT);
	if (strstr(err, hex) == NULL || strstr(err, "message 3 ") == NULL ||
	    strstr(err, "signature does not verify") == NULL)
		fail_msg("node_check said \"%s\"", err);
	assert_int_equal(store_backup(f->n->st, crafted, &backed), STORE_OK);
	node_close(&f->n);

	snprintf(args, sizeof args, "check --dir %s", f->dir);
	if ((rc = s_cli(args, out, sizeof out)) != -1) {
		assert_int_equal(rc, 1);
		if (strstr(out, hex) == NULL || strstr(out, "signature does not verify") == NULL)
			fail_msg("socmesh check said \"%s\"", out);
	}

	/* The member is blocked since: its history is restorable all the same. */
	if ((f->n = node_open(f->dir, 0, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(trust_set_level(f->n->local, "M", MSG_LEVEL_BLOCKED, err, sizeof err), 0);
	assert_int_equal(node_save_trust(f->n, err, sizeof err), 0);

	snprintf(data, sizeof data, "%s/store/data.mdb", f->dir);
	assert_int_equal(stat(data, &before), 0);
	err[0] = '\0';
	assert_int_equal(node_restore(f->n, crafted, &r, err, sizeof err), -1);
	if (strstr(err, hex) == NULL || strstr(err, "signature does not verify") == NULL ||
	    strstr(err, crafted) == NULL)
		fail_msg("node_restore said \"%s\"", err);
	/* The store is as it was. */
	assert_int_equal(stat(data, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtime, after.st_mtime);
	snprintf(data, sizeof data, "%s/store/data.mdb.before-restore", f->dir);
	assert_int_equal(access(data, F_OK), -1);
	snprintf(data, sizeof data, "%s/store/.restore", f->dir);
	assert_int_equal(access(data, F_OK), -1);

	snprintf(args, sizeof args, "restore --dir %s --from %s", f->dir, crafted);
	if ((rc = s_cli(args, out, sizeof out)) != -1) {
		assert_int_equal(rc, 1);
		if (strstr(out, hex) == NULL || strstr(out, "signature does not verify") == NULL)
			fail_msg("socmesh restore said \"%s\"", out);
	}

	assert_int_equal(node_restore(f->n, good, &r, err, sizeof err), 0);
	assert_int_equal(r.messages, 2);
	node_close(&f->n);
	if ((f->n = node_open(f->dir, NODE_STORE, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(store_has(f->n->st, bad), 0);
	assert_int_equal(node_check(f->n, NULL, err, sizeof err), STORE_OK);
}

/* A restore leaves the cursors that the replaced store gave after the
 * backup lost, and never gives them again; a replaced store that is
 * missing counts as STORE_LKEY_GAP more. */
static void
test_restore_cursors(void **state)
{
	struct nfx *f = *state;
	uint64_t now = now_ms(), backed = 0, last;
	uint8_t id[32], *b;
	char err[512], good[128], path[160];
	struct store_cursor sc;
	struct node_restored r;
	size_t len;

	for (uint64_t seq = 1; seq <= 4; seq++) {
		b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq, now, NULL, &len, id);
		assert_int_equal(s_import(f->n, b, len, NULL, id, err, sizeof err), 0);
		free(b);
		if (seq == 2) {
			snprintf(good, sizeof good, "%s/good.mdb", f->tmp);
			assert_int_equal(store_backup(f->n->st, good, &backed), STORE_OK);
		}
	}
	node_close(&f->n);
	if ((f->n = node_open(f->dir, 0, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(node_restore(f->n, good, &r, err, sizeof err), 0);
	assert_int_equal(r.messages, 2);
	assert_int_equal(r.resume, 2);
	node_close(&f->n);
	if ((f->n = node_open(f->dir, NODE_STORE, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(store_after(f->n->st, 3, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 2);
	assert_int_equal(store_after(f->n->st, 4, 0, NULL, NULL, &sc), 0);
	assert_int_equal(store_after(f->n->st, 2, 0, NULL, NULL, &sc), 0);
	assert_int_equal(sc.last, 4);
	node_close(&f->n);

	/* The store lost with its disk: restored into an empty directory. */
	snprintf(path, sizeof path, "%s/store/data.mdb.before-restore", f->dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/store/data.mdb", f->dir);
	assert_int_equal(unlink(path), 0);
	if ((f->n = node_open(f->dir, 0, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(node_restore(f->n, good, &r, err, sizeof err), 0);
	assert_int_equal(r.resume, 2);
	assert_string_equal(r.kept, "");
	node_close(&f->n);
	if ((f->n = node_open(f->dir, NODE_STORE, err, sizeof err)) == NULL)
		fail_msg("node_open: %s", err);
	assert_int_equal(store_last_lkey(f->n->st, &last), STORE_OK);
	assert_int_equal(last, 2 + STORE_LKEY_GAP);
	assert_int_equal(store_after(f->n->st, 4, 0, NULL, NULL, &sc), STORE_E_LOST);
	assert_int_equal(sc.resume, 2);
}

/* What an import (node_judge()) refuses, and why (issue 8, item 6). */
static void
test_accept_rules(void **state)
{
	struct nfx *f = *state;
	const struct trust_peer *m_entry = trust_find_name(f->n->trust, "M");
	uint64_t now = now_ms(), day = 86400000;
	uint8_t id[32], target[32], other[32], *b;
	char err[512];
	size_t len;
	int seq = 1;

#define ACCEPT(bytes, from, want, text)                                                            \
	do {                                                                                       \
		err[0] = '\0';                                                                     \
		int got_ = s_import(f->n, bytes, len, from, id, err, sizeof err);                  \
		if (got_ != (want) || strstr(err, text) == NULL)                                   \
			fail_msg("line %d: import %d \"%s\", want %d \"%s\"", __LINE__, got_, err, \
			    want, text);                                                           \
		free(bytes);                                                                       \
	} while (0)

	/* Time: an hour ahead at most. */
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq++, now + 2 * 3600000, NULL, &len, id);
	ACCEPT(b, NULL, -1, "in the future");
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq++, now + 1800000, NULL, &len, id);
	ACCEPT(b, NULL, 0, "");
	/* Older than the retention window: refused, except rosters. */
	f->n->cfg.retention_ms = day;
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq++, now - 2 * day, NULL, &len, id);
	ACCEPT(b, NULL, -1, "retention");
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq++, now - day / 2, NULL, &len, id);
	ACCEPT(b, NULL, 0, "");
	b = s_nmsg(f->cpk, f->csk, "roster", "green", 1, now - 2 * day, NULL, &len, id);
	ACCEPT(b, NULL, 0, "");
	f->n->cfg.retention_ms = 0;
	b = s_nmsg(f->mpk, f->msk, "incident", "clear", seq++, now - 2 * day, NULL, &len, id);
	ACCEPT(b, NULL, 0, "");

	/* An external partner's messages are CLEAR only, whoever relays them. */
	b = s_nmsg(f->xpk, f->xsk, "incident", "green", 1, now, NULL, &len, id);
	ACCEPT(b, m_entry, -1, "the origin is external");
	b = s_nmsg(f->xpk, f->xsk, "incident", "green", 2, now, NULL, &len, id);
	ACCEPT(b, NULL, -1, "the peer is external");
	b = s_nmsg(f->xpk, f->xsk, "incident", "clear", 3, now, NULL, &len, id);
	ACCEPT(b, m_entry, 0, "");

	/* A retraction is judged against what it retracts: never without it. */
	b = s_nmsg(f->mpk, f->msk, "incident", "green", seq++, now, NULL, &len, target);
	{
		uint8_t *t = b;
		size_t tlen = len;
		uint8_t *r = s_nmsg(f->mpk, f->msk, "retract", "green", seq++, now, target, &len,
		    id);
		ACCEPT(r, NULL, -1, "the retracted message is not here; import it first");
		len = tlen;
		ACCEPT(t, NULL, 0, "");
	}
	/* by someone else, a relay or this node: refused */
	b = s_nmsg(f->cpk, f->csk, "retract", "green", 2, now, target, &len, id);
	ACCEPT(b, NULL, -1, "only the origin");
	b = s_nmsg(f->cpk, f->csk, "retract", "green", 3, now, target, &len, id);
	ACCEPT(b, m_entry, -1, "only the origin");
	b = s_nmsg(f->n->keys->pk, f->n->keys->sk, "retract", "green", 1, now, target, &len, id);
	ACCEPT(b, NULL, -1, "only the origin");
	/* by its origin: accepted */
	b = s_nmsg(f->mpk, f->msk, "retract", "green", seq++, now, target, &len, other);
	ACCEPT(b, NULL, 0, "");
	assert_int_equal(store_has(f->n->st, other), 1);
#undef ACCEPT
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_open_version_and_garbage, s_setup, s_teardown),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test_setup_teardown(test_put_get, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_put_invalid, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_last_seq, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_range, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_by_origin, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_by_ioc, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_ioc_range, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_long_ioc, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_by_ref, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_id_range, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_after, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_lkey_received, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_source, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_onum, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_reindex, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_raise_lkey, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_expire, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_expire_many, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_lkey_never_reused, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_expire_keep, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_check_each, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_check_detects, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_full, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_peer, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_stats_backup, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_args, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_threads, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_crash, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_restore_verifies, s_nsetup, s_nteardown),
		cmocka_unit_test_setup_teardown(test_accept_rules, s_nsetup, s_nteardown),
		cmocka_unit_test_setup_teardown(test_restore_cursors, s_nsetup, s_nteardown),
	};

	if (sodium_init() < 0)
		return 1;
	for (int i = 0; i < NKEYS; i++) {
		uint8_t seed[crypto_sign_SEEDBYTES] = { (uint8_t)i, 's', 't', 'o', 'r', 'e' };
		crypto_sign_seed_keypair(s_keys[i].pk, s_keys[i].sk, seed);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
