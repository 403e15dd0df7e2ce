/*
 * store_check — the store's offline verification (store_check(),
 * store_check_each(); store.h): every message against every index entry it
 * implies and every entry against the messages, and the counters of
 * store_counts() against a recount.
 */
#include "store.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "log.h"
#include "store_impl.h"

/*
 * store_check.  Pass 1 walks the messages and looks up every index entry
 * each one implies; pass 2 walks every lkey-valued index, finding entries
 * whose message is missing, and compares counts (entries implied are all
 * present and as many as there are: the sets are equal); the indicator
 * index, whose values are origin || lkey, is walked the same way with the
 * origin checked too, its sealed keys left out of the counts (an index
 * function without the node's keys gives none: store.h).  Last, the
 * counters in "counts" are compared with what pass 1 counted.
 */
struct s_check {
	struct store *st;
	MDB_txn *txn;
	char *err;
	size_t errlen;
	uint8_t (*orig)[ID_LEN]; /* distinct origins, in order of discovery */
	uint32_t *osorted;       /* indices into orig, in byte order */
	size_t norig, corig;     /* corig: capacity of both */
	uint64_t *lkeys;         /* every message, ascending */
	uint32_t *lorig;         /* its origin's index */
	size_t nmsg, cmsg;       /* cmsg: capacity of both */
	uint64_t nref, nioc;
	uint64_t tlp[256], kind[256]; /* messages by their recs' tlp, kind */
	uint64_t own;                 /* the highest seq of this node's own */
	const struct store_ioc **iocs;
	size_t ciocs;
	uint8_t (*onum)[ID_LEN]; /* the origin of each number, from 1 */
	uint32_t nonum;          /* the last number given */
	store_verify_fn verify;
	void *varg;
};

static int s_fail(struct s_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_fail(struct s_check *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_warnx("store check: %s", buf);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s", buf);
	return STORE_E_CORRUPT;
}

/* An id in hex into out (65 bytes). */
static void
s_hex(char out[2 * ID_LEN + 1], const uint8_t id[ID_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < ID_LEN; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[2 * ID_LEN] = '\0';
}

/* A key for messages: as text when printable, else its first bytes in hex. */
static const char *
s_show(char *buf, size_t cap, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t o = 0, i;

	for (i = 0; i < n && b[i] >= 0x20 && b[i] < 0x7f; i++)
		;
	if (i == n) {
		snprintf(buf, cap, "%.*s", n > 40 ? 40 : (int)n, (const char *)p);
		return buf;
	}
	for (i = 0; i < n && i < 16 && o + 3 <= cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%02x", b[i]);
	return buf;
}

/* Room for need elements of size bytes at p (capacity *cap): the array,
 * moved or not, or NULL when out of memory. */
static void *
s_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap > 0 ? *cap : 64;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size || (q = realloc(p, n * size)) == NULL)
		return NULL;
	*cap = n;
	return q;
}

/* The index of origin o in c->orig, or -1 with *at set to where it would
 * go in c->osorted. */
static long
s_origin_find(const struct s_check *c, const uint8_t o[ID_LEN], size_t *at)
{
	size_t lo = 0, hi = c->norig;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = memcmp(c->orig[c->osorted[mid]], o, ID_LEN);
		if (r == 0)
			return c->osorted[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return -1;
}

/* The index of origin o in c->orig, added when new; -1 when out of memory. */
static long
s_origin_index(struct s_check *c, const uint8_t o[ID_LEN])
{
	size_t lo;
	long i;

	if ((i = s_origin_find(c, o, &lo)) >= 0)
		return i;
	if (c->norig == UINT32_MAX)
		return -1;
	if (c->norig == c->corig) {
		size_t cap = c->corig > 0 ? c->corig * 2 : 64;
		void *p;

		if ((p = realloc(c->orig, cap * sizeof *c->orig)) == NULL)
			return -1;
		c->orig = p;
		if ((p = realloc(c->osorted, cap * sizeof *c->osorted)) == NULL)
			return -1;
		c->osorted = p;
		c->corig = cap;
	}
	memcpy(c->orig[c->norig], o, ID_LEN);
	memmove(c->osorted + lo + 1, c->osorted + lo, (c->norig - lo) * sizeof *c->osorted);
	c->osorted[lo] = (uint32_t)c->norig;
	return (long)c->norig++;
}

/* The position of lkey among the messages, or -1. */
static long
s_find_lkey(const struct s_check *c, uint64_t lkey)
{
	size_t lo = 0, hi = c->nmsg;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->lkeys[mid] == lkey)
			return (long)mid;
		if (c->lkeys[mid] < lkey)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
s_ioc_cmp(const void *a, const void *b)
{
	const struct store_ioc *x = *(const struct store_ioc *const *)a;
	const struct store_ioc *y = *(const struct store_ioc *const *)b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->value, y->value, x->len);
}

/* True when (key, val) is in dbi (for dupsort dbs: that exact dup). */
static int
s_has(struct s_check *c, MDB_dbi dbi, bool dupsort, const void *key, size_t kl, const void *val,
    size_t vl)
{
	MDB_cursor *cur;
	MDB_val k = store_val(key, kl), v = store_val(val, vl);
	int rc;

	if (!dupsort) {
		if ((rc = mdb_get(c->txn, dbi, &k, &v)) != 0)
			return rc;
		return v.mv_size == vl && memcmp(v.mv_data, val, vl) == 0 ? 0 : MDB_NOTFOUND;
	}
	if ((rc = mdb_cursor_open(c->txn, dbi, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(cur);
	return rc;
}

/* The result of looking up an index entry that message lkey implies. */
static int
s_need(struct s_check *c, int rc, uint64_t lkey, const char *name)
{
	if (rc == MDB_NOTFOUND)
		return s_fail(c, "message %" PRIu64 ": %s index entry missing or wrong", lkey,
		    name);
	return rc == 0 ? STORE_OK : store_lmdb_err(c->st, rc, "check");
}

/* Pass 1 for one message, its rec extracted. */
static int
s_check_msg(struct s_check *c, uint64_t lkey, const uint8_t h[ID_LEN], const struct store_rec *r)
{
	struct store *st = c->st;
	uint8_t lk[LKEY_LEN], tk[TIMEKEY_LEN], ok[ORIGKEY_LEN], key[IOCKEY_MAX], iv[IOCVAL_LEN];
	uint8_t num[ONUM_LEN];
	char show[64];
	size_t nd = 0;
	long oi;
	int rc, err;

	store_put64(lk, lkey);
	if (memcmp(r->id, h, ID_LEN) != 0)
		return s_fail(c, "message %" PRIu64 ": id is not the hash of its bytes", lkey);
	store_put64(tk, r->time);
	memcpy(tk + 8, r->id, ID_LEN);
	memcpy(ok, r->origin, ID_LEN);
	store_put64(ok + ID_LEN, r->seq);
	if ((err = s_need(c, s_has(c, st->id, false, r->id, ID_LEN, lk, LKEY_LEN), lkey, "id")) ||
	    (err = s_need(c, s_has(c, st->time, false, tk, sizeof tk, lk, LKEY_LEN), lkey,
	         "time")) ||
	    (err = s_need(c, s_has(c, st->origin, true, ok, sizeof ok, lk, LKEY_LEN), lkey,
	         "origin")))
		return err;
	if (r->ref != NULL) {
		if ((err = s_need(c, s_has(c, st->ref, true, r->ref, ID_LEN, lk, LKEY_LEN), lkey,
		         "ref")) != STORE_OK)
			return err;
		c->nref++;
	}
	if (memcmp(r->origin, st->node, ID_LEN) == 0 && r->seq > c->own)
		c->own = r->seq;
	c->tlp[r->tlp]++;
	c->kind[r->kind]++;

	if (r->nioc > 0 && r->ioc == NULL)
		return s_fail(c, "message %" PRIu64 ": indicators without values", lkey);
	if (r->nioc > 0) {
		void *p = s_grow(c->iocs, &c->ciocs, r->nioc, sizeof *c->iocs);
		if (p == NULL)
			return STORE_E_NOMEM;
		c->iocs = p;
	}
	for (size_t i = 0; i < r->nioc; i++) {
		if (r->ioc[i].value == NULL || r->ioc[i].len == 0)
			return s_fail(c, "message %" PRIu64 ": empty indicator", lkey);
		c->iocs[i] = &r->ioc[i];
	}
	if (r->nioc > 1)
		qsort(c->iocs, r->nioc, sizeof *c->iocs, s_ioc_cmp);
	if (r->nioc > 0 && (err = store_onum(st, c->txn, r->origin, false, num)) != STORE_OK)
		return err == STORE_E_NOTFOUND
		    ? s_fail(c, "message %" PRIu64 ": its origin has no number", lkey)
		    : err;
	for (size_t i = 0; i < r->nioc; i++) {
		size_t kl;

		if (i > 0 && s_ioc_cmp(&c->iocs[i - 1], &c->iocs[i]) == 0)
			continue;
		kl = store_ioc_key(c->iocs[i]->value, c->iocs[i]->len, key);
		store_ioc_val(iv, num, lkey);
		if ((rc = s_has(c, st->ioc, true, key, kl, iv, sizeof iv)) == MDB_NOTFOUND)
			return s_fail(c, "message %" PRIu64 ": indicator %s is not indexed", lkey,
			    s_show(show, sizeof show, key, kl));
		if (rc != 0)
			return store_lmdb_err(st, rc, "check");
		nd += key[0] != STORE_IOC_SEALED;
	}
	c->nioc += nd;

	if ((oi = s_origin_index(c, r->origin)) < 0)
		return STORE_E_NOMEM;
	if (c->nmsg == c->cmsg) {
		size_t cap = c->cmsg > 0 ? c->cmsg * 2 : 1024;
		void *p;

		if ((p = realloc(c->lkeys, cap * sizeof *c->lkeys)) == NULL)
			return STORE_E_NOMEM;
		c->lkeys = p;
		if ((p = realloc(c->lorig, cap * sizeof *c->lorig)) == NULL)
			return STORE_E_NOMEM;
		c->lorig = p;
		c->cmsg = cap;
	}
	c->lkeys[c->nmsg] = lkey;
	c->lorig[c->nmsg] = (uint32_t)oi;
	c->nmsg++;
	return STORE_OK;
}

/* The origins' numbers ("onum"): every number up to the last given names
 * one origin, which is numbered by it, and nothing else is there.  Keeps
 * them for s_check_ioc(). */
static int
s_check_onum(struct s_check *c)
{
	struct store *st = c->st;
	MDB_val k = store_val("onum", 4), v;
	MDB_cursor *cur;
	MDB_stat ms;
	uint64_t n = 0;
	char show[64];
	int rc, err = STORE_OK;

	if ((rc = mdb_get(c->txn, st->meta, &k, &v)) == 0 && v.mv_size == ONUM_LEN)
		c->nonum = store_get32(v.mv_data);
	else if (rc == 0)
		return s_fail(c, "meta onum holds %zu bytes", v.mv_size);
	else if (rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "check");
	if ((rc = mdb_stat(c->txn, st->onum, &ms)) != 0)
		return store_lmdb_err(st, rc, "check");
	if (ms.ms_entries != 2 * (uint64_t)c->nonum)
		return s_fail(c, "onum holds %zu entries for %" PRIu32 " numbers given",
		    (size_t)ms.ms_entries, c->nonum);
	if ((c->onum = calloc((size_t)c->nonum + 1, ID_LEN)) == NULL)
		return STORE_E_NOMEM;
	if ((rc = mdb_cursor_open(c->txn, st->onum, &cur)) != 0)
		return store_lmdb_err(st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t num = k.mv_size == ONUM_LEN ? store_get32(k.mv_data) : 0;
		uint8_t back[ONUM_LEN];

		if (k.mv_size == ID_LEN && v.mv_size == ONUM_LEN)
			continue; /* an origin: its number names it back, or n falls short */
		if (k.mv_size != ONUM_LEN || v.mv_size != ID_LEN)
			err = s_fail(c,
			    "onum entry %s is neither a number and its origin nor an "
			    "origin and its number",
			    s_show(show, sizeof show, k.mv_data, k.mv_size));
		else if (num < 1 || num > c->nonum ||
		    store_onum(st, c->txn, v.mv_data, false, back) != STORE_OK ||
		    memcmp(back, k.mv_data, ONUM_LEN) != 0)
			err = s_fail(c,
			    "onum: number %" PRIu32 " names an origin not numbered by it", num);
		else {
			memcpy(c->onum[num], v.mv_data, ID_LEN);
			n++;
		}
	}
	mdb_cursor_close(cur);
	if (err == STORE_OK && rc != MDB_NOTFOUND)
		err = store_lmdb_err(st, rc, "check");
	if (err == STORE_OK && n != c->nonum)
		err = s_fail(c,
		    "onum: %" PRIu64 " of %" PRIu32 " numbers name an origin numbered by "
		    "them",
		    n, c->nonum);
	return err;
}

static int
s_check_pass1(struct s_check *c)
{
	struct store *st = c->st;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t h[ID_LEN];
	char hex[2 * ID_LEN + 1];
	int rc, err = STORE_OK;

	if ((rc = mdb_cursor_open(c->txn, st->msg, &cur)) != 0)
		return store_lmdb_err(st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct store_rec rec;
		const uint8_t *bytes = (const uint8_t *)v.mv_data + HDR_LEN;
		uint64_t lkey;

		if (k.mv_size != LKEY_LEN) {
			err = s_fail(c, "a message key of %zu bytes", k.mv_size);
			break;
		}
		lkey = store_get64(k.mv_data);
		if (v.mv_size <= HDR_LEN) {
			err = s_fail(c, "message %" PRIu64 ": value of %zu bytes", lkey, v.mv_size);
			break;
		}
		crypto_generichash(h, sizeof h, bytes, v.mv_size - HDR_LEN, NULL, 0);
		s_hex(hex, h);
		pthread_mutex_lock(&st->index_lock);
		memset(&rec, 0, sizeof rec);
		if (st->index(st->index_arg, bytes, v.mv_size - HDR_LEN, &rec) != 0)
			err = s_fail(c, "message %" PRIu64 " (id %s) does not decode", lkey, hex);
		else
			err = s_check_msg(c, lkey, h, &rec);
		pthread_mutex_unlock(&st->index_lock);
		/* h is its id now: s_check_msg compared it with the decoder's and
		 * found the id index entry under it. */
		if (err == STORE_OK && c->verify != NULL) {
			char why[200] = "";
			if (c->verify(c->varg, bytes, v.mv_size - HDR_LEN, why, sizeof why) != 0)
				err = s_fail(c, "message %" PRIu64 " (id %s): %s", lkey, hex,
				    why[0] != '\0' ? why : "does not verify");
		}
	}
	mdb_cursor_close(cur);
	if (err == STORE_OK && rc != MDB_NOTFOUND)
		err = store_lmdb_err(st, rc, "check");
	if (err == STORE_OK) {
		uint64_t own;
		if ((rc = store_own_seq_get(st, c->txn, &own)) != 0)
			err = store_lmdb_err(st, rc, "check");
		else if (own < c->own)
			err = s_fail(c, "own seq %" PRIu64 " is below the stored %" PRIu64, own,
			    c->own);
	}
	return err;
}

/* Every entry of an lkey-valued index points to a message, and there are
 * as many entries as pass 1 expects. */
static int
s_check_index(struct s_check *c, MDB_dbi dbi, const char *name, uint64_t expect)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t n = 0;
	char show[64];
	int rc, err = STORE_OK;

	if ((rc = mdb_cursor_open(c->txn, dbi, &cur)) != 0)
		return store_lmdb_err(c->st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		n++;
		if (v.mv_size != LKEY_LEN || s_find_lkey(c, store_get64(v.mv_data)) < 0) {
			err = s_fail(c, "%s entry %s points to a missing message", name,
			    s_show(show, sizeof show, k.mv_data, k.mv_size));
			break;
		}
	}
	mdb_cursor_close(cur);
	if (err != STORE_OK)
		return err;
	if (rc != MDB_NOTFOUND)
		return store_lmdb_err(c->st, rc, "check");
	if (n != expect)
		return s_fail(c, "%s holds %" PRIu64 " entries, the messages imply %" PRIu64, name,
		    n, expect);
	return STORE_OK;
}

/* Every indicator entry points to a message of the origin it names, and
 * there are as many as pass 1 expects. */
static int
s_check_ioc(struct s_check *c)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t n = 0;
	char show[64];
	int rc, err = STORE_OK;

	if ((rc = mdb_cursor_open(c->txn, c->st->ioc, &cur)) != 0)
		return store_lmdb_err(c->st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		long i = v.mv_size == IOCVAL_LEN
		    ? s_find_lkey(c, store_get64((uint8_t *)v.mv_data + ONUM_LEN))
		    : -1;
		uint32_t num = i < 0 ? 0 : store_get32(v.mv_data);

		n += k.mv_size == 0 || *(uint8_t *)k.mv_data != STORE_IOC_SEALED;
		if (i < 0 || num == 0 || num > c->nonum ||
		    memcmp(c->orig[c->lorig[i]], c->onum[num], ID_LEN) != 0) {
			err = s_fail(c,
			    "ioc entry %s points to a missing message or names "
			    "another origin",
			    s_show(show, sizeof show, k.mv_data, k.mv_size));
			break;
		}
	}
	mdb_cursor_close(cur);
	if (err != STORE_OK)
		return err;
	if (rc != MDB_NOTFOUND)
		return store_lmdb_err(c->st, rc, "check");
	if (n != c->nioc)
		return s_fail(c, "ioc holds %" PRIu64 " entries, the messages imply %" PRIu64, n,
		    c->nioc);
	return STORE_OK;
}

/* A counter of "counts" against the recount. */
static int
s_check_count(struct s_check *c, const char *what, uint64_t kept, uint64_t recount)
{
	if (kept == recount)
		return STORE_OK;
	return s_fail(c, "counts: %s counts %" PRIu64 " messages, the store holds %" PRIu64, what,
	    kept, recount);
}

/* The counters of a store that keeps them are those of pass 1's recount:
 * one entry per TLP, kind and origin of at least one message, none else. */
static int
s_check_counts(struct s_check *c)
{
	uint64_t tlp[256] = { 0 }, kind[256] = { 0 }, *byorig, norig = 0;
	char what[64 + 2 * ID_LEN], hex[2 * ID_LEN + 1];
	MDB_cursor *cur;
	MDB_val k, v;
	bool counted;
	int rc, err = STORE_OK;

	if ((rc = store_counts_kept(c->st, c->txn, &counted)) != 0)
		return store_lmdb_err(c->st, rc, "check");
	if (!counted)
		return STORE_OK; /* counted when opened with an index function */
	if ((byorig = calloc(c->norig > 0 ? c->norig : 1, sizeof *byorig)) == NULL)
		return STORE_E_NOMEM;
	for (size_t i = 0; i < c->nmsg; i++)
		byorig[c->lorig[i]]++;
	if ((rc = mdb_cursor_open(c->txn, c->st->counts, &cur)) != 0) {
		free(byorig);
		return store_lmdb_err(c->st, rc, "check");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;
		uint64_t n = v.mv_size == 8 ? store_get64(v.mv_data) : 0;
		size_t at;
		long oi;

		if (n == 0 || k.mv_size < 2)
			err = s_fail(c, "counts: a malformed counter");
		else if (key[0] == COUNT_TLP && k.mv_size == 2)
			tlp[key[1]] = n;
		else if (key[0] == COUNT_KIND && k.mv_size == 2)
			kind[key[1]] = n;
		else if (key[0] == COUNT_ORIGIN && k.mv_size == 1 + ID_LEN) {
			oi = s_origin_find(c, key + 1, &at);
			s_hex(hex, key + 1);
			snprintf(what, sizeof what, "origin %s", hex);
			err = s_check_count(c, what, n, oi >= 0 ? byorig[oi] : 0);
			norig++;
		} else if (key[0] != COUNT_SOURCE || k.mv_size != COUNTKEY_MAX)
			err = s_fail(c, "counts: a malformed counter");
		/* A source's figures are not recounted: most are of messages
		 * received, not of those stored. */
	}
	mdb_cursor_close(cur);
	if (err == STORE_OK && rc != MDB_NOTFOUND)
		err = store_lmdb_err(c->st, rc, "check");
	/* Every origin counted matched one of pass 1's, each at most once. */
	if (err == STORE_OK && norig != c->norig)
		err = s_fail(c,
		    "counts: %" PRIu64 " origins counted, the store holds messages of %zu", norig,
		    c->norig);
	for (int i = 0; i < 256 && err == STORE_OK; i++) {
		snprintf(what, sizeof what, "TLP %d", i);
		if ((err = s_check_count(c, what, tlp[i], c->tlp[i])) == STORE_OK) {
			snprintf(what, sizeof what, "kind %d", i);
			err = s_check_count(c, what, kind[i], c->kind[i]);
		}
	}
	free(byorig);
	return err;
}

int
store_check(struct store *st, char *err, size_t errlen)
{
	return store_check_each(st, NULL, NULL, err, errlen);
}

int
store_check_each(struct store *st, store_verify_fn verify, void *arg, char *err, size_t errlen)
{
	struct s_check c;
	int e;

	if (st == NULL || (err == NULL && errlen > 0) || st->index == NULL)
		return STORE_E_INVAL;
	if (errlen > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof c);
	c.st = st;
	c.err = err;
	c.errlen = errlen;
	c.verify = verify;
	c.varg = arg;
	if ((e = store_rbegin(st, &c.txn)) != STORE_OK)
		return e;
	if ((e = s_check_onum(&c)) == STORE_OK && (e = s_check_pass1(&c)) == STORE_OK &&
	    (e = s_check_index(&c, st->id, "id", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->time, "time", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->origin, "origin", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->ref, "ref", c.nref)) == STORE_OK &&
	    (e = s_check_ioc(&c)) == STORE_OK)
		e = s_check_counts(&c);
	mdb_txn_abort(c.txn);
	free(c.orig);
	free(c.osorted);
	free(c.lkeys);
	free(c.lorig);
	free(c.iocs);
	free(c.onum);
	return e;
}
