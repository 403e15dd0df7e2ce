#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "log.h"
#include "store_impl.h"
#include "util.h"

#define EXPIRE_DEFAULT  256
#define MAXDBS          16
#define COUNTS_VERSION  2
/* Counters a tally holds before it is written out (a rebuild's memory). */
#define TALLY_FLUSH     65536
/* Other origins one message confirms at most (s_confirm()). */
#define SRC_CONFIRM_MAX 64

static const struct {
	const char *name;
	unsigned int flags;
	size_t off;
} s_dbs[] = {
	{ "msg", 0, offsetof(struct store, msg) },
	{ "id", 0, offsetof(struct store, id) },
	{ "time", 0, offsetof(struct store, time) },
	{ "origin", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, origin) },
	{ "ioc", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, ioc) },
	{ "ref", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, ref) },
	{ "peer", 0, offsetof(struct store, peer) },
	{ "meta", 0, offsetof(struct store, meta) },
	{ "counts", 0, offsetof(struct store, counts) },
	{ "source", 0, offsetof(struct store, source) },
	{ "onum", 0, offsetof(struct store, onum) },
};

/* The size limit of the store that last reported full, for store_strerror(),
 * which has no store to ask. */
static _Atomic uint64_t s_full_limit;

void
store_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
store_get64(const void *vp)
{
	const uint8_t *p = vp;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
store_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t
store_get32(const void *vp)
{
	const uint8_t *p = vp;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *
store_strerror(int err)
{
	static _Thread_local char buf[160];
	uint64_t limit;

	switch (err) {
	case STORE_OK:
		return "success";
	case STORE_DUP:
		return "already stored";
	case STORE_E_FULL:
		limit = atomic_load(&s_full_limit);
		if (limit == 0)
			return "store full: the size limit is reached (raise store_size in "
			       "socmesh.conf)";
		snprintf(buf, sizeof buf,
		    "store full: the size limit of %" PRIu64 " bytes is reached "
		    "(raise store_size in socmesh.conf)",
		    limit);
		return buf;
	case STORE_E_IO:
		return "store I/O error (see the log)";
	case STORE_E_CORRUPT:
		return "store corrupt (restore from a backup)";
	case STORE_E_NODE:
		return "the store belongs to another node id";
	case STORE_E_VERSION:
		return "store of an unsupported schema or LMDB format";
	case STORE_E_INVAL:
		return "invalid argument";
	case STORE_E_NOTFOUND:
		return "not found";
	case STORE_E_NOMEM:
		return "out of memory";
	case STORE_E_LOST:
		return "cursor not from this store's history (lost by a restore from a backup)";
	default:
		return "unknown store error";
	}
}

/* Map an LMDB or errno code to ours, logging the detail. */
int
store_lmdb_err(const struct store *st, int rc, const char *what)
{
	uint64_t limit = st != NULL ? st->limit : 0;

	switch (rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_E_NOTFOUND;
	case MDB_MAP_FULL:
		atomic_store(&s_full_limit, limit);
		log_warnx("store full: the size limit of %" PRIu64 " bytes is reached "
		          "(raise store_size in socmesh.conf)",
		    limit);
		return STORE_E_FULL;
	case ENOMEM:
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_E_NOMEM;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_E_CORRUPT;
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_E_VERSION;
	case MDB_BAD_VALSIZE:
	case EINVAL:
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_E_INVAL;
	default:
		log_warnx("store: %s: %s", what, mdb_strerror(rc));
		return STORE_E_IO;
	}
}

/*
 * The key of an indicator value.  Values that could collide with the hashed
 * form (a leading NUL) are hashed as well.
 */
size_t
store_ioc_key(const char *value, size_t len, uint8_t key[IOCKEY_MAX])
{
	if (len <= IOCKEY_MAX && value[0] != '\0') {
		memcpy(key, value, len);
		return len;
	}
	key[0] = 0x00;
	crypto_generichash(key + 1, 32, (const unsigned char *)value, len, NULL, 0);
	return 1 + 32;
}

/*
 * The value of an indicator entry: the origin's number || lkey.  One
 * DUPFIXED index answers every indicator question: dups sort by origin, so
 * the distinct origins are found by jumping from group to group, and a
 * message's entry is deleted exactly.  (Separate per-origin count indexes
 * cost a random page write each per indicator: measured, they halved the
 * write rate of a store of 300,000 messages.)  The number instead of the
 * origin's 32 bytes makes an entry 12 bytes instead of 40: about 70 of
 * them a message, in pages that every commit copies.
 */
void
store_ioc_val(uint8_t out[IOCVAL_LEN], const uint8_t num[ONUM_LEN], uint64_t lkey)
{
	memcpy(out, num, ONUM_LEN);
	store_put64(out + ONUM_LEN, lkey);
}

int
store_onum(struct store *st, MDB_txn *txn, const uint8_t origin[ID_LEN], bool add,
    uint8_t num[ONUM_LEN])
{
	MDB_val k = store_val(origin, ID_LEN), v, mk = store_val("onum", 4), nk;
	uint32_t last = 0;
	int rc;

	if ((rc = mdb_get(txn, st->onum, &k, &v)) == 0 && v.mv_size == ONUM_LEN) {
		memcpy(num, v.mv_data, ONUM_LEN);
		return STORE_OK;
	}
	if (rc == 0)
		return store_lmdb_err(st, MDB_CORRUPTED, "get origin number");
	if (rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get origin number");
	if (!add)
		return STORE_E_NOTFOUND;
	if ((rc = mdb_get(txn, st->meta, &mk, &v)) == 0 && v.mv_size == ONUM_LEN)
		last = store_get32(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc == 0 ? MDB_CORRUPTED : rc, "get last origin number");
	if (last == UINT32_MAX) { /* 2^32 origins with entries: never in practice */
		log_warnx("store: every origin number is given; no new origin can be indexed");
		return STORE_E_IO;
	}
	store_put32(num, last + 1);
	v = store_val(num, ONUM_LEN);
	nk = store_val(num, ONUM_LEN);
	if ((rc = mdb_put(txn, st->onum, &k, &v, 0)) != 0 ||
	    (rc = mdb_put(txn, st->onum, &nk, &k, 0)) != 0 ||
	    (rc = mdb_put(txn, st->meta, &mk, &v, 0)) != 0)
		return store_lmdb_err(st, rc, "put origin number");
	return STORE_OK;
}

int
store_onum_origin(struct store *st, MDB_txn *txn, const uint8_t num[ONUM_LEN],
    uint8_t origin[ID_LEN])
{
	MDB_val k = store_val(num, ONUM_LEN), v;
	int rc;

	if ((rc = mdb_get(txn, st->onum, &k, &v)) == MDB_NOTFOUND)
		return STORE_E_NOTFOUND;
	if (rc != 0 || v.mv_size != ID_LEN)
		return store_lmdb_err(st, rc != 0 ? rc : MDB_CORRUPTED, "get numbered origin");
	memcpy(origin, v.mv_data, ID_LEN);
	return STORE_OK;
}

size_t
store_count_key(uint8_t key[COUNTKEY_MAX], int cls, const uint8_t *what)
{
	key[0] = (uint8_t)cls;
	if (cls == COUNT_ORIGIN) {
		memcpy(key + 1, what, ID_LEN);
		return 1 + ID_LEN;
	}
	key[1] = what[0];
	return 2;
}

int
store_counts_kept(struct store *st, MDB_txn *txn, bool *counted)
{
	static const uint8_t version[4] = { 0, 0, 0, COUNTS_VERSION };
	MDB_val k = store_val("counts", 6), v;
	int rc;

	*counted = false;
	if ((rc = mdb_get(txn, st->meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*counted = v.mv_size == sizeof version && memcmp(v.mv_data, version, sizeof version) == 0;
	return 0;
}

static int
s_set_counted(struct store *st, MDB_txn *txn)
{
	static const uint8_t version[4] = { 0, 0, 0, COUNTS_VERSION };
	MDB_val k = store_val("counts", 6), v = store_val(version, sizeof version);
	int rc;

	if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
		return store_lmdb_err(st, rc, "put counts version");
	return STORE_OK;
}

/*
 * What a write transaction changes in "counts", gathered in memory and
 * written once per key at its end (s_tally_flush): a batch of messages of
 * one origin costs one update of each of that origin's counters, not one
 * each.  A counter is added to, or (max) raised to the largest value given.
 */
struct s_ktally {
	uint8_t key[COUNTKEY_MAX];
	uint8_t len;
	bool max;
	int64_t d;
};

struct s_tally {
	int64_t tlp[256], kind[256];
	struct s_ktally *e; /* in order of arrival, merged when flushed */
	size_t n, cap;
};

static void
s_tally_init(struct s_tally *t)
{
	memset(t, 0, sizeof *t);
}

static void
s_tally_free(struct s_tally *t)
{
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

/* d more under key (or, max, at least d). */
static int
s_tally_key(struct s_tally *t, const uint8_t *key, size_t len, int64_t d, bool max)
{
	struct s_ktally *last = t->n > 0 ? &t->e[t->n - 1] : NULL;

	if (last != NULL && last->len == len && last->max == max &&
	    memcmp(last->key, key, len) == 0) {
		last->d = max ? (d > last->d ? d : last->d) : last->d + d;
		return STORE_OK;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap > 0 ? t->cap * 2 : 64;
		void *p = realloc(t->e, cap * sizeof *t->e);

		if (p == NULL)
			return STORE_E_NOMEM;
		t->e = p;
		t->cap = cap;
	}
	memcpy(t->e[t->n].key, key, len);
	t->e[t->n].len = (uint8_t)len;
	t->e[t->n].max = max;
	t->e[t->n++].d = d;
	return STORE_OK;
}

/* The "counts" key of a source's figure (store.h); its length. */
static size_t
s_src_key(uint8_t key[COUNTKEY_MAX], const uint8_t *origin, int fig, uint8_t a, uint8_t b)
{
	key[0] = COUNT_SOURCE;
	memcpy(key + 1, origin, ID_LEN);
	key[1 + ID_LEN] = (uint8_t)fig;
	key[2 + ID_LEN] = a;
	key[3 + ID_LEN] = b;
	return COUNTKEY_MAX;
}

/* The delay histogram's bucket of d ms (store.h). */
static int
s_delay_bucket(uint64_t d)
{
	int b;

	if (d < 1000)
		return 0;
	b = 64 - __builtin_clzll(d / 1000);
	return b < STORE_DELAY_BUCKETS - 1 ? b : STORE_DELAY_BUCKETS - 1;
}

/* d = 1: count rec's message, received at received (ms), once more in
 * every figure; d = -1: once less in the counts of stored messages. */
static int
s_tally_add(struct s_tally *t, const struct store_rec *r, int64_t d, uint64_t received)
{
	uint8_t key[COUNTKEY_MAX];
	const uint8_t *o = r->origin;
	int err;

	t->tlp[r->tlp] += d;
	t->kind[r->kind] += d;
	if ((err = s_tally_key(t, key, store_count_key(key, COUNT_ORIGIN, o), d, false)) != 0)
		return err;
	if (r->tlp < STORE_SRC_TLPS && r->kind < STORE_SRC_KINDS &&
	    (err = s_tally_key(t, key, s_src_key(key, o, 'c', r->tlp, r->kind), d, false)) != 0)
		return err;
	if (d < 0)
		return STORE_OK;
	if (r->time > received &&
	    (err = s_tally_key(t, key, s_src_key(key, o, 'x', 0, 0), 1, false)) != 0)
		return err;
	if (r->false_positive &&
	    (err = s_tally_key(t, key, s_src_key(key, o, 'f', 0, 0), 1, false)) != 0)
		return err;
	if ((err = s_tally_key(t, key,
	         s_src_key(key, o, 'd',
	             (uint8_t)s_delay_bucket(r->time > received ? 0 : received - r->time), 0),
	         1, false)) != 0)
		return err;
	return s_tally_key(t, key, s_src_key(key, o, 'l', 0, 0), (int64_t)received, true);
}

static int
s_ktally_cmp(const void *a, const void *b)
{
	const struct s_ktally *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (int)x->len - (int)y->len;
}

/* Add d to the counter under key; a counter that reaches 0 is deleted. */
static int
s_count_add(struct store *st, MDB_txn *txn, const uint8_t *key, size_t kl, int64_t d)
{
	MDB_val k = store_val(key, kl), v;
	uint8_t b[8];
	uint64_t n = 0;
	int rc;

	if ((rc = mdb_get(txn, st->counts, &k, &v)) == 0 && v.mv_size == 8)
		n = store_get64(v.mv_data);
	else if (rc == 0)
		log_warnx("store: a malformed message counter is reset (run a store check)");
	else if (rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get count");
	if (d < 0 && n < (uint64_t)0 - (uint64_t)d) {
		log_warnx("store: a message counter would go below zero, it stays at zero (run a "
		          "store check)");
		n = 0;
	} else
		n += (uint64_t)d;
	if (n == 0) {
		if ((rc = mdb_del(txn, st->counts, &k, NULL)) != 0 && rc != MDB_NOTFOUND)
			return store_lmdb_err(st, rc, "delete count");
		return STORE_OK;
	}
	store_put64(b, n);
	v = store_val(b, sizeof b);
	if ((rc = mdb_put(txn, st->counts, &k, &v, 0)) != 0)
		return store_lmdb_err(st, rc, "put count");
	return STORE_OK;
}

/* Raise the counter under key to n when it is below. */
static int
s_count_max(struct store *st, MDB_txn *txn, const uint8_t *key, size_t kl, uint64_t n)
{
	MDB_val k = store_val(key, kl), v;
	uint8_t b[8];
	int rc;

	if ((rc = mdb_get(txn, st->counts, &k, &v)) == 0 && v.mv_size == 8 &&
	    store_get64(v.mv_data) >= n)
		return STORE_OK;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get count");
	store_put64(b, n);
	v = store_val(b, sizeof b);
	if ((rc = mdb_put(txn, st->counts, &k, &v, 0)) != 0)
		return store_lmdb_err(st, rc, "put count");
	return STORE_OK;
}

/* Write what t gathered into "counts" and empty it (its memory stays). */
static int
s_tally_flush(struct store *st, MDB_txn *txn, struct s_tally *t)
{
	uint8_t key[COUNTKEY_MAX];
	int err = STORE_OK;

	for (int i = 0; i < 256 && err == STORE_OK; i++) {
		uint8_t c = (uint8_t)i;

		if (t->tlp[i] != 0)
			err = s_count_add(st, txn, key, store_count_key(key, COUNT_TLP, &c),
			    t->tlp[i]);
		if (t->kind[i] != 0 && err == STORE_OK)
			err = s_count_add(st, txn, key, store_count_key(key, COUNT_KIND, &c),
			    t->kind[i]);
	}
	if (t->n > 1)
		qsort(t->e, t->n, sizeof *t->e, s_ktally_cmp);
	for (size_t i = 0; i < t->n && err == STORE_OK;) {
		const struct s_ktally *e = &t->e[i];
		int64_t d = 0;
		size_t j;

		for (j = i; j < t->n && s_ktally_cmp(&t->e[j], e) == 0; j++)
			d = e->max ? (t->e[j].d > d ? t->e[j].d : d) : d + t->e[j].d;
		if (e->max)
			err = s_count_max(st, txn, e->key, e->len, (uint64_t)d);
		else if (d != 0)
			err = s_count_add(st, txn, e->key, e->len, d);
		i = j;
	}
	memset(t->tlp, 0, sizeof t->tlp);
	memset(t->kind, 0, sizeof t->kind);
	t->n = 0;
	return err;
}

/*
 * The origin of stored message id into origin, through the index
 * function asked for the envelope alone: 0, or STORE_E_NOTFOUND when it
 * is not stored (or does not decode, or the store has no index
 * function), or an error.
 */
static int
s_ref_origin(struct store *st, MDB_txn *txn, const uint8_t *id, uint8_t origin[ID_LEN])
{
	struct store_rec rec;
	MDB_val k = store_val(id, ID_LEN), v;
	int rc, found;

	if (st->index == NULL)
		return STORE_E_NOTFOUND;
	if ((rc = mdb_get(txn, st->id, &k, &v)) == 0 && v.mv_size == LKEY_LEN) {
		k = v;
		rc = mdb_get(txn, st->msg, &k, &v);
	}
	if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size <= HDR_LEN))
		return STORE_E_NOTFOUND;
	if (rc != 0)
		return store_lmdb_err(st, rc, "get referenced message");
	pthread_mutex_lock(&st->index_lock);
	memset(&rec, 0, sizeof rec);
	rec.head = true;
	found = st->index(st->index_arg, (const uint8_t *)v.mv_data + HDR_LEN, v.mv_size - HDR_LEN,
	    &rec);
	if (found == 0)
		memcpy(origin, rec.origin, ID_LEN);
	pthread_mutex_unlock(&st->index_lock);
	return found == 0 ? STORE_OK : STORE_E_NOTFOUND;
}

/* Adds to seen (nseen of SRC_CONFIRM_MAX) the numbers of the origins
 * other than r's (own) of indicator key's entries before r's (lkey: a
 * batch's entries are all in the index when its messages are counted),
 * one step per origin: an origin's entries sort by lkey, so its first
 * tells. */
static int
s_ioc_origins(struct store *st, MDB_cursor *cur, const uint8_t own[ONUM_LEN], uint64_t lkey,
    const uint8_t *key, size_t kl, uint8_t (*seen)[ONUM_LEN], size_t *nseen)
{
	uint8_t next[IOCVAL_LEN];
	MDB_val k = store_val(key, kl), v;
	size_t i;
	int rc;

	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	     rc == 0 && v.mv_size == IOCVAL_LEN && *nseen < SRC_CONFIRM_MAX;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE)) {
		for (i = 0; i < *nseen && memcmp(seen[i], v.mv_data, ONUM_LEN) != 0; i++)
			;
		if (i == *nseen && memcmp(v.mv_data, own, ONUM_LEN) != 0 &&
		    store_get64((const uint8_t *)v.mv_data + ONUM_LEN) < lkey)
			memcpy(seen[(*nseen)++], v.mv_data, ONUM_LEN);
		memcpy(next, v.mv_data, ONUM_LEN);
		memset(next + ONUM_LEN, 0xff, LKEY_LEN);
		v = store_val(next, sizeof next);
	}
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK
	                                     : store_lmdb_err(st, rc, "confirm indicator");
}

/*
 * The confirmations r brings to other sources (store.h): a sighting to
 * the origin of the message it refers to, and its indicators in clear
 * (neither a derived key, whose first byte is below 0x20, nor a sealed
 * one) to every other origin that reported one of them, once each.  At
 * most SRC_CONFIRM_MAX origins a message: a cost bounded by the message,
 * whatever the store holds.
 */
static int
s_confirm(struct store *st, MDB_txn *txn, struct s_tally *t, const struct store_rec *r,
    uint64_t lkey, const uint8_t own[ONUM_LEN])
{
	uint8_t seen[SRC_CONFIRM_MAX][ONUM_LEN], origin[ID_LEN], key[IOCKEY_MAX];
	uint8_t ck[COUNTKEY_MAX];
	size_t nseen = 0;
	MDB_cursor *cur;
	int rc, err;

	if (r->sighting && r->ref != NULL) {
		if ((err = s_ref_origin(st, txn, r->ref, origin)) == STORE_OK &&
		    memcmp(origin, r->origin, ID_LEN) != 0)
			err = s_tally_key(t, ck, s_src_key(ck, origin, 's', 0, 0), 1, false);
		if (err != STORE_OK && err != STORE_E_NOTFOUND)
			return err;
	}
	if (r->nioc == 0)
		return STORE_OK;
	err = STORE_OK;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0)
		return store_lmdb_err(st, rc, "open cursor");
	for (size_t i = 0; i < r->nioc && err == STORE_OK && nseen < SRC_CONFIRM_MAX; i++) {
		uint8_t c = (uint8_t)r->ioc[i].value[0];

		if (c >= 0x20 && c != STORE_IOC_SEALED)
			err = s_ioc_origins(st, cur, own, lkey, key,
			    store_ioc_key(r->ioc[i].value, r->ioc[i].len, key), seen, &nseen);
	}
	mdb_cursor_close(cur);
	for (size_t i = 0; i < nseen && err == STORE_OK; i++)
		if ((err = store_onum_origin(st, txn, seen[i], origin)) == STORE_OK)
			err = s_tally_key(t, ck, s_src_key(ck, origin, 'i', 0, 0), 1, false);
	return err == STORE_E_NOTFOUND ? STORE_E_CORRUPT : err;
}

/* An entry of the indicator index, in the order a batch makes them: by
 * origin's number, then by local key, which is the order of the values of
 * one key. */
struct s_ient {
	const uint8_t *k; /* the whole key */
	uint32_t kl;
	uint32_t num;
	uint64_t lkey;
};

/* A message of a batch, by its origin's number, then by its place. */
struct s_onrec {
	uint32_t num;
	uint32_t i;
};

/* An entry's place in the sort: its key's first 8 bytes, big-endian and
 * zero-padded, and the entry. */
struct s_iord {
	uint64_t pfx;
	const struct s_ient *e;
};

static int
s_onrec_cmp(const void *pa, const void *pb)
{
	const struct s_onrec *a = pa, *b = pb;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* Keys of one prefix as LMDB compares them (bytes, then length), then the
 * entries' order. */
static int
s_rest_cmp(const void *pa, const void *pb)
{
	const struct s_ient *a = ((const struct s_iord *)pa)->e,
	                    *b = ((const struct s_iord *)pb)->e;
	uint32_t n = a->kl < b->kl ? a->kl : b->kl;
	int c;

	if (n > 8 && (c = memcmp(a->k + 8, b->k + 8, n - 8)) != 0)
		return c;
	if (a->kl != b->kl)
		return a->kl < b->kl ? -1 : 1;
	return (a > b) - (a < b);
}

/* The m places of o in the index's order: a stable radix sort on the
 * prefixes (one pass a byte that differs), then the few runs of one prefix
 * whose keys differ sorted by the rest.  The sorted places are in o or in
 * tmp, which is returned. */
static struct s_iord *
s_sort_iocs(struct s_iord *o, struct s_iord *tmp, size_t m)
{
	struct s_iord *t;

	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		for (size_t i = 0; i < m; i++)
			count[o[i].pfx >> shift & 0xff]++;
		if (count[o[0].pfx >> shift & 0xff] == m)
			continue;
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < m; i++)
			tmp[count[o[i].pfx >> shift & 0xff]++] = o[i];
		t = o, o = tmp, tmp = t;
	}
	for (size_t i = 0, j; i < m; i = j) {
		bool same = true;

		for (j = i + 1; j < m && o[j].pfx == o[i].pfx; j++)
			same = same && o[j].e->kl == o[i].e->kl &&
			    memcmp(o[j].e->k, o[i].e->k, o[i].e->kl) == 0;
		if (!same)
			qsort(o + i, j - i, sizeof *o, s_rest_cmp);
	}
	return o;
}

/*
 * The indicator index entries of the n messages of recs stored under
 * lkeys[i] (0: not stored, none), put in the index's order through one
 * cursor: a batch's entries for one key go in together, each put starts
 * from the page of the one before instead of the root, and every touched
 * page is found hot.  (Measured on 1,024 corpus messages of about 70 keys
 * each: the puts took 2.4 times as long in the messages' order.)  The
 * entries are made in the order of their values (origin's number, local
 * key), so that sorting them by key alone, stably, orders them all.  An
 * origin without a number is given one; nums[i] is that of recs[i]'s
 * origin when it has entries (for s_confirm()).
 */
static int
s_put_iocs(struct store *st, MDB_txn *txn, const struct store_rec *recs, const uint64_t *lkeys,
    size_t n, uint8_t (*nums)[ONUM_LEN])
{
	struct s_onrec *bynum = NULL;
	struct s_ient *e = NULL;
	struct s_iord *o = NULL, *tmp = NULL, *sorted;
	uint8_t *hashed = NULL, *vals = NULL;
	uint8_t num[ONUM_LEN];
	size_t m = 0, total = 0, nhash = 0, h = 0, nb = 0;
	MDB_cursor *cur = NULL;
	int rc = 0, err = STORE_E_NOMEM;

	for (size_t i = 0; i < n; i++)
		if (lkeys[i] != 0)
			for (size_t j = 0; j < recs[i].nioc; total++, j++)
				nhash += recs[i].ioc[j].len > IOCKEY_MAX ||
				    recs[i].ioc[j].value[0] == '\0';
	if (total == 0)
		return STORE_OK;
	if ((e = malloc(total * sizeof *e)) == NULL || (o = malloc(total * sizeof *o)) == NULL ||
	    (tmp = malloc(total * sizeof *tmp)) == NULL ||
	    (vals = malloc(total * IOCVAL_LEN)) == NULL ||
	    (bynum = malloc(n * sizeof *bynum)) == NULL ||
	    (nhash > 0 && (hashed = malloc(nhash * IOCKEY_MAX)) == NULL))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (lkeys[i] == 0 || recs[i].nioc == 0)
			continue;
		if ((nb == 0 ||
		        memcmp(recs[i].origin, recs[bynum[nb - 1].i].origin, ID_LEN) != 0) &&
		    (err = store_onum(st, txn, recs[i].origin, true, num)) != STORE_OK)
			goto out;
		memcpy(nums[i], num, ONUM_LEN);
		bynum[nb].num = store_get32(num);
		bynum[nb++].i = (uint32_t)i;
	}
	qsort(bynum, nb, sizeof *bynum, s_onrec_cmp);
	for (size_t r = 0; r < nb; r++) {
		size_t i = bynum[r].i;
		for (size_t j = 0; j < recs[i].nioc; j++, m++) {
			const struct store_ioc *io = &recs[i].ioc[j];
			uint8_t p[8] = { 0 };

			e[m].k = (const uint8_t *)io->value;
			e[m].kl = (uint32_t)io->len;
			if (io->len > IOCKEY_MAX || io->value[0] == '\0') {
				e[m].k = hashed + h * IOCKEY_MAX;
				e[m].kl = (uint32_t)store_ioc_key(io->value, io->len,
				    hashed + h++ * IOCKEY_MAX);
			}
			memcpy(p, e[m].k, e[m].kl < 8 ? e[m].kl : 8);
			o[m].pfx = store_get64(p);
			o[m].e = &e[m];
			e[m].lkey = lkeys[i];
			e[m].num = bynum[r].num;
		}
	}
	sorted = s_sort_iocs(o, tmp, m);
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0)
		goto out;
	/* A key's entries go in with one put (MDB_MULTIPLE: the key is found
	 * once), each value once (one that came twice in a message is
	 * written once). */
	for (size_t i = 0, j; i < m && rc == 0; i = j) {
		const struct s_ient *x = sorted[i].e, *prev = NULL;
		MDB_val k = store_val(x->k, x->kl), v[2];
		size_t nv = 0;

		for (j = i;
		     j < m && sorted[j].e->kl == x->kl && memcmp(sorted[j].e->k, x->k, x->kl) == 0;
		     j++) {
			const struct s_ient *y = sorted[j].e;

			if (prev != NULL && y->num == prev->num && y->lkey == prev->lkey)
				continue;
			store_put32(num, y->num);
			store_ioc_val(vals + nv++ * IOCVAL_LEN, num, y->lkey);
			prev = y;
		}
		v[0] = store_val(vals, IOCVAL_LEN);
		v[1] = store_val(NULL, nv);
		rc = mdb_cursor_put(cur, &k, v,
		    nv > 1 ? MDB_MULTIPLE | MDB_NODUPDATA : MDB_NODUPDATA);
	}
	mdb_cursor_close(cur);
	err = STORE_OK;
out:
	if (rc != 0)
		err = store_lmdb_err(st, rc, "put indicator");
	free(e);
	free(o);
	free(tmp);
	free(vals);
	free(bynum);
	free(hashed);
	return err;
}

/*
 * The counts of a store from before them (meta "counts" absent, or of an
 * earlier version: COUNTS_VERSION): one pass
 * over every message through the index function, in the open transaction.
 * A message that does not decode is not counted (store_check reports it).
 */
static int
s_count_all(struct store *st, MDB_txn *txn, uint64_t messages)
{
	struct s_tally t;
	struct store_rec rec;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t n = 0, bad = 0;
	int64_t t0 = (int64_t)now_ms();
	int rc, err = STORE_OK;

	log_info("store: counting its %" PRIu64 " messages by TLP, kind and origin (once: a "
	         "store from before these counters)",
	    messages);
	if ((rc = mdb_drop(txn, st->counts, 0)) != 0)
		return store_lmdb_err(st, rc, "empty counts");
	if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		return store_lmdb_err(st, rc, "open cursor");
	s_tally_init(&t);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		pthread_mutex_lock(&st->index_lock);
		memset(&rec, 0, sizeof rec);
		if (v.mv_size > HDR_LEN &&
		    st->index(st->index_arg, (const uint8_t *)v.mv_data + HDR_LEN,
		        v.mv_size - HDR_LEN, &rec) == 0) {
			err = s_tally_add(&t, &rec, 1, store_get64(v.mv_data));
			n++;
		} else
			bad++;
		pthread_mutex_unlock(&st->index_lock);
		if (err == STORE_OK && t.n >= TALLY_FLUSH)
			err = s_tally_flush(st, txn, &t);
	}
	mdb_cursor_close(cur);
	if (err == STORE_OK && rc != MDB_NOTFOUND)
		err = store_lmdb_err(st, rc, "count messages");
	if (err == STORE_OK)
		err = s_tally_flush(st, txn, &t);
	s_tally_free(&t);
	if (err == STORE_OK)
		err = s_set_counted(st, txn);
	if (err != STORE_OK)
		return err;
	if (bad > 0)
		log_warnx("store: %" PRIu64 " messages do not decode and are not counted (run a "
		          "store check)",
		    bad);
	log_info("store: counted %" PRIu64 " messages in %" PRId64 " ms", n,
	    (int64_t)now_ms() - t0);
	return STORE_OK;
}

/*
 * The highest local key given, and the next: past both the last in "msg" and the highest ever
 * used (meta "lkey"), so that a key is never given twice, not even after
 * the newest messages expired (an index entry left behind could otherwise
 * point at an unrelated message).  Read in every write transaction rather
 * than kept, so that another process writing the same store (the CLI next
 * to the daemon) cannot make it stale.
 */
static int
s_last_lkey(struct store *st, MDB_txn *txn, uint64_t *last)
{
	MDB_cursor *cur;
	MDB_val k, v, mk = store_val("lkey", 4);
	uint64_t hwm = 0;
	int rc;

	if ((rc = mdb_get(txn, st->meta, &mk, &v)) == 0 && v.mv_size == LKEY_LEN)
		hwm = store_get64(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get lkey");
	if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		return store_lmdb_err(st, rc, "open cursor");
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "last message");
	if (rc == 0 && (k.mv_size != LKEY_LEN || store_get64(k.mv_data) == UINT64_MAX)) {
		log_warnx("store: malformed message key");
		return STORE_E_CORRUPT;
	}
	if (rc == 0 && store_get64(k.mv_data) > hwm)
		hwm = store_get64(k.mv_data);
	if (hwm == UINT64_MAX)
		return STORE_E_CORRUPT;
	*last = hwm;
	return STORE_OK;
}

static int
s_next_lkey(struct store *st, MDB_txn *txn, uint64_t *next)
{
	int err = s_last_lkey(st, txn, next);

	if (err == STORE_OK)
		*next += 1;
	return err;
}

/*
 * The indicator index of a store whose index function gave other keys
 * (meta "index" below STORE_INDEX_VERSION: a version from before keys it
 * gives now): emptied and made again from every message, one pass in the
 * open transaction, logged.  A new store, or one without an index
 * function, only records the version (without one, the next open with one
 * rebuilds).
 */
static int
s_index_setup(struct store *st, MDB_txn *txn)
{
	uint8_t version[4] = { 0, 0, 0, STORE_INDEX_VERSION };
	MDB_val mk = store_val("index", 5), mv;
	struct store_rec rec;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_stat ms;
	uint64_t n = 0, bad = 0;
	int64_t t0 = (int64_t)now_ms();
	int rc, err = STORE_OK;

	if ((rc = mdb_get(txn, st->meta, &mk, &mv)) != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get index version");
	if (rc == 0 && mv.mv_size == sizeof version &&
	    memcmp(mv.mv_data, version, sizeof version) == 0)
		return STORE_OK;
	if ((rc = mdb_stat(txn, st->msg, &ms)) != 0)
		return store_lmdb_err(st, rc, "stat messages");
	if (ms.ms_entries > 0 && st->index == NULL)
		return STORE_OK;
	if (ms.ms_entries > 0)
		log_info("store: indexing its %zu messages again (once: an index from before "
		         "the keys of this version)",
		    (size_t)ms.ms_entries);
	if ((rc = mdb_drop(txn, st->ioc, 0)) != 0 ||
	    (rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		return store_lmdb_err(st, rc, "empty the indicator index");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		pthread_mutex_lock(&st->index_lock);
		memset(&rec, 0, sizeof rec);
		if (k.mv_size == LKEY_LEN && v.mv_size > HDR_LEN &&
		    st->index(st->index_arg, (const uint8_t *)v.mv_data + HDR_LEN,
		        v.mv_size - HDR_LEN, &rec) == 0) {
			uint64_t lkey = store_get64(k.mv_data);
			uint8_t num[1][ONUM_LEN];

			err = s_put_iocs(st, txn, &rec, &lkey, 1, num);
			n++;
		} else
			bad++;
		pthread_mutex_unlock(&st->index_lock);
	}
	mdb_cursor_close(cur);
	if (err == STORE_OK && rc != MDB_NOTFOUND)
		err = store_lmdb_err(st, rc, "index messages");
	mv = store_val(version, sizeof version);
	if (err == STORE_OK && (rc = mdb_put(txn, st->meta, &mk, &mv, 0)) != 0)
		err = store_lmdb_err(st, rc, "put index version");
	if (err != STORE_OK)
		return err;
	if (bad > 0)
		log_warnx("store: %" PRIu64 " messages do not decode and are not indexed (run a "
		          "store check)",
		    bad);
	if (ms.ms_entries > 0)
		log_info("store: indexed %" PRIu64 " messages in %" PRId64 " ms", n,
		    (int64_t)now_ms() - t0);
	return STORE_OK;
}

/*
 * The counts are kept from the start by a new store, and counted once, in
 * the open transaction, for a store from before them, given an index
 * function (without one they are neither kept nor shown until a later
 * open with one).
 */
static int
s_counts_setup(struct store *st, MDB_txn *txn)
{
	MDB_stat ms;
	bool counted;
	int rc;

	if ((rc = store_counts_kept(st, txn, &counted)) != 0 ||
	    (!counted && (rc = mdb_stat(txn, st->msg, &ms)) != 0))
		return store_lmdb_err(st, rc, "open counts");
	if (counted)
		return STORE_OK;
	if (ms.ms_entries > 0)
		return st->index != NULL ? s_count_all(st, txn, ms.ms_entries) : STORE_OK;
	if ((rc = mdb_drop(txn, st->counts, 0)) != 0)
		return store_lmdb_err(st, rc, "empty counts");
	return s_set_counted(st, txn);
}

static int
s_setup(struct store *st, const uint8_t node_id[32])
{
	MDB_txn *txn;
	MDB_val k, v;
	MDB_stat ms;
	uint64_t next;
	uint8_t schema[4] = { 0, 0, 0, STORE_SCHEMA };
	int rc, err = STORE_OK;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin open transaction");
	for (size_t i = 0; i < sizeof s_dbs / sizeof s_dbs[0]; i++) {
		MDB_dbi *dbi = (MDB_dbi *)(void *)((char *)st + s_dbs[i].off);
		unsigned int flags = s_dbs[i].flags | MDB_CREATE;

		if ((rc = mdb_dbi_open(txn, s_dbs[i].name, flags, dbi)) != 0) {
			err = store_lmdb_err(st, rc, s_dbs[i].name);
			goto fail;
		}
	}

	k = store_val("schema", 6);
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		if ((rc = mdb_stat(txn, st->msg, &ms)) != 0)
			goto lmdb;
		if (ms.ms_entries != 0) {
			log_warnx("store: messages but no schema version");
			err = STORE_E_CORRUPT;
			goto fail;
		}
		v = store_val(schema, sizeof schema);
		if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
			goto lmdb;
		k = store_val("node", 4);
		v = store_val(node_id, ID_LEN);
		if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
			goto lmdb;
	} else if (rc != 0) {
		goto lmdb;
	} else {
		if (v.mv_size != sizeof schema || memcmp(v.mv_data, schema, sizeof schema) != 0) {
			log_warnx("store: schema version is not %d", STORE_SCHEMA);
			err = STORE_E_VERSION;
			goto fail;
		}
		k = store_val("node", 4);
		if ((rc = mdb_get(txn, st->meta, &k, &v)) != 0 || v.mv_size != ID_LEN) {
			log_warnx("store: no valid node id");
			err = STORE_E_CORRUPT;
			goto fail;
		}
		if (memcmp(v.mv_data, node_id, ID_LEN) != 0) {
			log_warnx("store: written by another node id");
			err = STORE_E_NODE;
			goto fail;
		}
	}

	if ((err = s_next_lkey(st, txn, &next)) != STORE_OK)
		goto fail;
	if ((err = s_counts_setup(st, txn)) != STORE_OK)
		goto fail;
	if ((err = s_index_setup(st, txn)) != STORE_OK)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit open transaction");
	return STORE_OK;
lmdb:
	err = store_lmdb_err(st, rc, "open");
fail:
	mdb_txn_abort(txn);
	return err;
}

int
store_open(struct store **sp, const char *dir, const uint8_t node_id[32], uint64_t size_limit,
    store_index_fn index_fn, void *index_arg)
{
	struct store *st;
	MDB_envinfo info;
	int rc, dead, err;

	if (sp == NULL)
		return STORE_E_INVAL;
	*sp = NULL;
	if (dir == NULL || *dir == '\0' || node_id == NULL || size_limit == 0 ||
	    size_limit > SIZE_MAX)
		return STORE_E_INVAL;
	if (sodium_init() < 0) {
		log_warnx("store: libsodium does not initialize");
		return STORE_E_IO;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("store: mkdir %s", dir);
		return STORE_E_IO;
	}
	if ((st = calloc(1, sizeof *st)) == NULL)
		return STORE_E_NOMEM;
	memcpy(st->node, node_id, ID_LEN);
	st->limit = size_limit;
	st->index = index_fn;
	st->index_arg = index_arg;
	if (pthread_mutex_init(&st->index_lock, NULL) != 0) {
		free(st);
		return STORE_E_NOMEM;
	}
	if ((rc = mdb_env_create(&st->env)) != 0) {
		st->env = NULL;
		err = store_lmdb_err(st, rc, "create environment");
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(st->env, MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, (size_t)size_limit)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
		err = store_lmdb_err(st, rc, dir);
		goto fail;
	}
	/* Readers left by a process that died (another tool on this store). */
	mdb_reader_check(st->env, &dead);
	if (mdb_env_info(st->env, &info) == 0)
		st->limit = info.me_mapsize;
	if ((err = s_setup(st, node_id)) != STORE_OK)
		goto fail;
	*sp = st;
	return STORE_OK;
fail:
	store_destroy(&st);
	return err;
}

void
store_destroy(struct store **sp)
{
	struct store *st;

	if (sp == NULL || (st = *sp) == NULL)
		return;
	*sp = NULL;
	if (st->env != NULL)
		mdb_env_close(st->env);
	pthread_mutex_destroy(&st->index_lock);
	free(st->xbuf);
	free(st);
}

static bool
s_rec_valid(const struct store_rec *r)
{
	uint8_t h[ID_LEN];

	if (r->bytes == NULL || r->len == 0 || r->len > UINT32_MAX - HDR_LEN ||
	    (r->nioc > 0 && r->ioc == NULL))
		return false;
	for (size_t i = 0; i < r->nioc; i++)
		if (r->ioc[i].value == NULL || r->ioc[i].len == 0)
			return false;
	crypto_generichash(h, sizeof h, r->bytes, r->len, NULL, 0);
	return memcmp(h, r->id, ID_LEN) == 0;
}

/* STORE_OK, STORE_DUP, or an error (the transaction must then be aborted). */
static int
s_put_one(struct store *st, MDB_txn *txn, const struct store_rec *r, uint64_t lkey,
    uint64_t received)
{
	uint8_t lk[LKEY_LEN], tk[TIMEKEY_LEN], ok[ORIGKEY_LEN];
	MDB_val k, v, lv;
	int rc;

	store_put64(lk, lkey);
	lv = store_val(lk, sizeof lk);
	k = store_val(r->id, ID_LEN);
	if ((rc = mdb_put(txn, st->id, &k, &lv, MDB_NOOVERWRITE)) == MDB_KEYEXIST)
		return STORE_DUP;
	if (rc != 0)
		return store_lmdb_err(st, rc, "put id");

	k = store_val(lk, sizeof lk);
	v = store_val(NULL, HDR_LEN + r->len);
	if ((rc = mdb_put(txn, st->msg, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
		return store_lmdb_err(st, rc, "put message");
	store_put64(v.mv_data, received);
	memcpy((uint8_t *)v.mv_data + HDR_LEN, r->bytes, r->len);

	store_put64(tk, r->time);
	memcpy(tk + 8, r->id, ID_LEN);
	k = store_val(tk, sizeof tk);
	if ((rc = mdb_put(txn, st->time, &k, &lv, 0)) != 0)
		return store_lmdb_err(st, rc, "put time");

	memcpy(ok, r->origin, ID_LEN);
	store_put64(ok + ID_LEN, r->seq);
	k = store_val(ok, sizeof ok);
	if ((rc = mdb_put(txn, st->origin, &k, &lv, MDB_NODUPDATA)) != 0 && rc != MDB_KEYEXIST)
		return store_lmdb_err(st, rc, "put origin");

	if (r->ref != NULL) {
		k = store_val(r->ref, ID_LEN);
		if ((rc = mdb_put(txn, st->ref, &k, &lv, MDB_NODUPDATA)) != 0 && rc != MDB_KEYEXIST)
			return store_lmdb_err(st, rc, "put ref");
	}
	return STORE_OK;
}

/* The highest own seq in meta (0 when none), or an LMDB error. */
int
store_own_seq_get(struct store *st, MDB_txn *txn, uint64_t *seq)
{
	MDB_val k = store_val("seq", 3), v;
	int rc;

	*seq = 0;
	if ((rc = mdb_get(txn, st->meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*seq = store_get64(v.mv_data);
	return 0;
}

/* Raise the own seq high-water mark to seq. */
static int
s_own_seq(struct store *st, MDB_txn *txn, uint64_t seq)
{
	MDB_val k = store_val("seq", 3), v;
	uint8_t b[8];
	uint64_t cur;
	int rc;

	if ((rc = store_own_seq_get(st, txn, &cur)) != 0)
		return store_lmdb_err(st, rc, "get own seq");
	if (seq <= cur)
		return STORE_OK;
	store_put64(b, seq);
	v = store_val(b, sizeof b);
	if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
		return store_lmdb_err(st, rc, "put own seq");
	return STORE_OK;
}

int
store_set_node(struct store *st, const uint8_t node_id[32])
{
	MDB_txn *txn;
	MDB_val k = store_val("node", 4), v = store_val(node_id, ID_LEN);
	int rc;

	if (st == NULL)
		return STORE_E_INVAL;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin");
	if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "put node");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit");
	memcpy(st->node, node_id, ID_LEN);
	return STORE_OK;
}

int
store_raise_own_seq(struct store *st, uint64_t seq)
{
	MDB_txn *txn;
	int rc, err;

	if (st == NULL)
		return STORE_E_INVAL;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin");
	if ((err = s_own_seq(st, txn, seq)) != STORE_OK) {
		mdb_txn_abort(txn);
		return err;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit");
	return STORE_OK;
}

int
store_put_batch(struct store *st, const struct store_rec *recs, size_t n, uint64_t received_ms,
    int *results)
{
	MDB_txn *txn;
	struct s_tally t;
	uint64_t lkey, first, own = 0, *lkeys;
	uint8_t(*nums)[ONUM_LEN];
	bool counted;
	int rc, err;

	if (st == NULL || (n > 0 && (recs == NULL || results == NULL)))
		return STORE_E_INVAL;
	if (n == 0)
		return STORE_OK;
	for (size_t i = 0; i < n; i++)
		if (!s_rec_valid(&recs[i])) {
			log_warnx("store: record %zu of a batch is invalid", i);
			return STORE_E_INVAL;
		}

	/* One block: the local keys, then the origins' numbers. */
	if ((lkeys = calloc(n, sizeof *lkeys + sizeof *nums)) == NULL)
		return STORE_E_NOMEM;
	nums = (uint8_t(*)[ONUM_LEN])(lkeys + n);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
		free(lkeys);
		return store_lmdb_err(st, rc, "begin write transaction");
	}
	s_tally_init(&t);
	if ((err = s_next_lkey(st, txn, &lkey)) != STORE_OK)
		goto fail;
	if ((rc = store_counts_kept(st, txn, &counted)) != 0) {
		err = store_lmdb_err(st, rc, "get counts version");
		goto fail;
	}
	first = lkey;
	for (size_t i = 0; i < n; i++) {
		if ((err = s_put_one(st, txn, &recs[i], lkey, received_ms)) < 0)
			goto fail;
		results[i] = err;
		if (err != STORE_OK)
			continue;
		lkeys[i] = lkey++;
		if (memcmp(recs[i].origin, st->node, ID_LEN) == 0 && recs[i].seq > own)
			own = recs[i].seq;
	}
	if ((err = s_put_iocs(st, txn, recs, lkeys, n, nums)) != STORE_OK)
		goto fail;
	for (size_t i = 0; counted && i < n; i++)
		if (lkeys[i] != 0 &&
		    ((err = s_tally_add(&t, &recs[i], 1, received_ms)) != STORE_OK ||
		        (err = s_confirm(st, txn, &t, &recs[i], lkeys[i], nums[i])) != STORE_OK))
			goto fail;
	if (counted && (err = s_tally_flush(st, txn, &t)) != STORE_OK)
		goto fail;
	s_tally_free(&t);
	if (own > 0 && (err = s_own_seq(st, txn, own)) != STORE_OK)
		goto fail;
	if (lkey > first) {
		uint8_t b[LKEY_LEN];
		MDB_val mk = store_val("lkey", 4), mv = store_val(b, sizeof b);
		store_put64(b, lkey - 1);
		if ((rc = mdb_put(txn, st->meta, &mk, &mv, 0)) != 0) {
			err = store_lmdb_err(st, rc, "put lkey");
			goto fail;
		}
	}
	free(lkeys);
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit");
	return STORE_OK;
fail:
	free(lkeys);
	s_tally_free(&t);
	mdb_txn_abort(txn);
	return err;
}

int
store_rbegin(struct store *st, MDB_txn **txn)
{
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);

	return rc == 0 ? STORE_OK : store_lmdb_err(st, rc, "begin read transaction");
}

/* Show message lkey, whose "msg" value (longer than HDR_LEN) is v, to fn
 * (NULL: nothing to do).  id is the message's id, or NULL to compute it.
 * *stop is set when fn says so. */
static void
s_show(uint64_t lkey, const MDB_val *v, const uint8_t *id, uint64_t time, store_item_fn fn,
    void *arg, bool *stop)
{
	struct store_item it;
	uint8_t h[ID_LEN];

	if (fn == NULL)
		return;
	it.bytes = (const uint8_t *)v->mv_data + HDR_LEN;
	it.len = v->mv_size - HDR_LEN;
	it.received = store_get64(v->mv_data);
	if (id == NULL) {
		crypto_generichash(h, sizeof h, it.bytes, it.len, NULL, 0);
		id = h;
	}
	it.id = id;
	it.lkey = lkey;
	it.time = time;
	if (fn(arg, &it) != 0)
		*stop = true;
}

/*
 * Show message lkey to fn.  id is the message's id, or NULL to compute it.
 * Returns 1 when visited, 0 when the message is missing (a dangling index
 * entry: logged and skipped), or an error.  *stop is set when fn says so.
 */
static int
s_visit(struct store *st, MDB_txn *txn, uint64_t lkey, const uint8_t *id, uint64_t time,
    store_item_fn fn, void *arg, bool *stop)
{
	uint8_t lk[LKEY_LEN];
	MDB_val k, v;
	int rc;

	store_put64(lk, lkey);
	k = store_val(lk, sizeof lk);
	if ((rc = mdb_get(txn, st->msg, &k, &v)) == MDB_NOTFOUND ||
	    (rc == 0 && v.mv_size <= HDR_LEN)) {
		log_warnx("store: an index entry points to message %" PRIu64
		          ", which is missing (run a store check)",
		    lkey);
		return 0;
	}
	if (rc != 0)
		return store_lmdb_err(st, rc, "get message");
	s_show(lkey, &v, id, time, fn, arg, stop);
	return 1;
}

/* Bookkeeping of a query walk: count visits, decide when to stop. */
struct s_walk {
	size_t limit;
	int count;
	bool stop;
};

static bool
s_walk_done(struct s_walk *w, int visited)
{
	w->count += visited;
	return w->stop || (w->limit > 0 && (size_t)w->count >= w->limit) || w->count == INT_MAX;
}

/* Visits lkey as one step of walk w; true when the walk ends here (limit
 * reached, fn said stop, or an error, left in *err). */
static bool
s_walk_visit(struct store *st, MDB_txn *txn, uint64_t lkey, store_item_fn fn, void *arg,
    struct s_walk *w, int *err)
{
	int r = s_visit(st, txn, lkey, NULL, 0, fn, arg, &w->stop);

	if (r < 0) {
		*err = r;
		return true;
	}
	return s_walk_done(w, r);
}

static int
s_keycmp(const MDB_val *k, const uint8_t *key, size_t n)
{
	size_t m = k->mv_size < n ? k->mv_size : n;
	int c = memcmp(k->mv_data, key, m);

	if (c != 0)
		return c;
	return k->mv_size < n ? -1 : k->mv_size > n;
}

/* Position at the first key >= key (> key unless incl). */
static int
s_seek_ge(MDB_cursor *cur, const uint8_t *key, size_t n, bool incl, MDB_val *k, MDB_val *v)
{
	int rc;

	*k = store_val(key, n);
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && !incl && s_keycmp(k, key, n) == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

/* Position at the last key <= key (< key unless incl). */
static int
s_seek_le(MDB_cursor *cur, const uint8_t *key, size_t n, bool incl, MDB_val *k, MDB_val *v)
{
	int rc, c;

	*k = store_val(key, n);
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	if (rc == 0 && ((c = s_keycmp(k, key, n)) > 0 || (c == 0 && !incl)))
		rc = mdb_cursor_get(cur, k, v, MDB_PREV);
	return rc;
}

/* End of a walk: the result for the caller. */
static int
s_walk_end(struct store *st, MDB_txn *txn, MDB_cursor *cur, int rc, int err, const struct s_walk *w)
{
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (err != STORE_OK)
		return err;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "walk");
	return w->count;
}

int
store_get_prefix(struct store *st, const uint8_t *prefix, size_t plen, store_item_fn fn, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = store_val(prefix, plen), v;
	bool stop = false;
	int rc, err;

	if (st == NULL || prefix == NULL || plen == 0 || plen > ID_LEN)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->id, &cur)) == 0) {
		/* The first id at or after the prefix; it matches or none does. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		mdb_cursor_close(cur);
	}
	if (rc == 0 && k.mv_size == ID_LEN && memcmp(k.mv_data, prefix, plen) == 0 &&
	    v.mv_size == LKEY_LEN) {
		err = s_visit(st, txn, store_get64(v.mv_data), k.mv_data, 0, fn, arg, &stop);
		err = err == 1 ? STORE_OK : err == 0 ? STORE_E_NOTFOUND : err;
	} else if (rc == 0 || rc == MDB_NOTFOUND)
		err = STORE_E_NOTFOUND;
	else
		err = store_lmdb_err(st, rc, "get id");
	mdb_txn_abort(txn);
	return err;
}

int
store_get(struct store *st, const uint8_t id[32], store_item_fn fn, void *arg)
{
	return store_get_prefix(st, id, ID_LEN, fn, arg);
}

int
store_id_range(struct store *st, const uint8_t lo[32], const uint8_t hi[32], uint8_t (*ids)[32],
    size_t max, size_t *n)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (n == NULL)
		return STORE_E_INVAL;
	*n = 0;
	if (st == NULL || lo == NULL || hi == NULL || (max > 0 && ids == NULL))
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->id, &cur)) == 0) {
		for (rc = s_seek_ge(cur, lo, ID_LEN, true, &k, &v);
		     rc == 0 && *n <= max && s_keycmp(&k, hi, ID_LEN) <= 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size != ID_LEN)
				continue;
			if (*n < max)
				memcpy(ids[*n], k.mv_data, ID_LEN);
			(*n)++;
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(st, rc, "id range");
}

int
store_has(struct store *st, const uint8_t id[32])
{
	MDB_txn *txn;
	MDB_val k = store_val(id, ID_LEN), v;
	int rc, err;

	if (st == NULL || id == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	rc = mdb_get(txn, st->id, &k, &v);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 ? 1 : store_lmdb_err(st, rc, "get id");
}

int
store_range(struct store *st, uint64_t from, uint64_t to, bool desc, const struct store_pos *after,
    size_t limit, store_item_fn fn, void *arg, struct store_pos *next)
{
	uint8_t bound[TIMEKEY_LEN], ak[TIMEKEY_LEN];
	struct s_walk w = { limit, 0, false };
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	bool incl = true;
	int rc, err, r;

	if (st == NULL)
		return STORE_E_INVAL;
	if (from > to)
		return 0;
	store_put64(bound, desc ? to : from);
	memset(bound + 8, desc ? 0xff : 0x00, ID_LEN);
	if (after != NULL) {
		store_put64(ak, after->time);
		memcpy(ak + 8, after->id, ID_LEN);
		r = memcmp(ak, bound, sizeof ak);
		if (desc ? r <= 0 : r >= 0) {
			memcpy(bound, ak, sizeof bound);
			incl = false;
		}
	}
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->time, &cur)) != 0) {
		cur = NULL;
		return s_walk_end(st, txn, cur, rc, err, &w);
	}
	rc = desc ? s_seek_le(cur, bound, sizeof bound, incl, &k, &v)
	          : s_seek_ge(cur, bound, sizeof bound, incl, &k, &v);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, desc ? MDB_PREV : MDB_NEXT)) {
		uint64_t t;

		if (k.mv_size != TIMEKEY_LEN || v.mv_size != LKEY_LEN) {
			log_warnx("store: malformed time index entry (run a store check)");
			continue;
		}
		t = store_get64(k.mv_data);
		if (desc ? t < from : t > to)
			break;
		if ((r = s_visit(st, txn, store_get64(v.mv_data), (uint8_t *)k.mv_data + 8, t, fn,
		         arg, &w.stop)) < 0) {
			err = r;
			break;
		}
		if (r == 1 && next != NULL) {
			next->time = t;
			memcpy(next->id, (uint8_t *)k.mv_data + 8, ID_LEN);
		}
		if (s_walk_done(&w, r))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

int
store_by_origin(struct store *st, const uint8_t origin[32], uint64_t seq_from, size_t limit,
    store_item_fn fn, void *arg)
{
	uint8_t key[ORIGKEY_LEN];
	struct s_walk w = { limit, 0, false };
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || origin == NULL)
		return STORE_E_INVAL;
	memcpy(key, origin, ID_LEN);
	store_put64(key + ID_LEN, seq_from);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->origin, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	for (rc = s_seek_ge(cur, key, sizeof key, true, &k, &v); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ORIGKEY_LEN || memcmp(k.mv_data, origin, ID_LEN) != 0)
			break;
		if (v.mv_size == LKEY_LEN &&
		    s_walk_visit(st, txn, store_get64(v.mv_data), fn, arg, &w, &err))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

int
store_last_seq(struct store *st, const uint8_t origin[32], uint64_t *last)
{
	uint8_t key[ORIGKEY_LEN];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t own = 0;
	int rc, err;

	if (last != NULL)
		*last = 0;
	if (st == NULL || origin == NULL || last == NULL)
		return STORE_E_INVAL;
	memcpy(key, origin, ID_LEN);
	memset(key + ID_LEN, 0xff, 8);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->origin, &cur)) == 0) {
		rc = s_seek_le(cur, key, sizeof key, true, &k, &v);
		if (rc == 0 && k.mv_size == ORIGKEY_LEN && memcmp(k.mv_data, origin, ID_LEN) == 0)
			*last = store_get64((uint8_t *)k.mv_data + ID_LEN);
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc == 0 && memcmp(origin, st->node, ID_LEN) == 0 &&
	    (rc = store_own_seq_get(st, txn, &own)) == 0 && own > *last)
		*last = own;
	mdb_txn_abort(txn);
	return rc == 0 ? STORE_OK : store_lmdb_err(st, rc, "last seq");
}

static int
s_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int
store_by_ioc(struct store *st, const char *value, size_t len, uint64_t before_lkey, size_t limit,
    store_item_fn fn, void *arg)
{
	uint8_t key[IOCKEY_MAX];
	struct s_walk w = { limit, 0, false };
	uint64_t *lk = NULL;
	size_t kl, n = 0, cnt = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || value == NULL || len == 0)
		return STORE_E_INVAL;
	kl = store_ioc_key(value, len, key);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	/* Entries sort by origin, not by age: gather the local keys, newest
	 * first (8 bytes per message carrying the indicator). */
	k = store_val(key, kl);
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0 &&
	    (rc = mdb_cursor_count(cur, &cnt)) == 0 && (lk = malloc(cnt * sizeof *lk)) == NULL)
		err = STORE_E_NOMEM;
	for (; rc == 0 && err == STORE_OK && n < cnt;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		uint64_t l = v.mv_size == IOCVAL_LEN ? store_get64((uint8_t *)v.mv_data + ONUM_LEN)
		                                     : 0;
		if (l != 0 && (before_lkey == 0 || l < before_lkey))
			lk[n++] = l;
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = MDB_NOTFOUND;
	if (n > 1)
		qsort(lk, n, sizeof *lk, s_u64_desc);
	for (size_t i = 0; i < n && !s_walk_visit(st, txn, lk[i], fn, arg, &w, &err); i++)
		;
	free(lk);
	return s_walk_end(st, txn, cur, rc, err, &w);
}

int
store_ioc_count(struct store *st, const char *value, size_t len, size_t *messages, size_t *origins)
{
	uint8_t key[IOCKEY_MAX], next[IOCVAL_LEN];
	size_t kl, m = 0, o = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || value == NULL || len == 0)
		return STORE_E_INVAL;
	kl = store_ioc_key(value, len, key);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) == 0) {
		k = store_val(key, kl);
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0)
			rc = mdb_cursor_count(cur, &m);
		/* One step per origin: from an origin's first entry to the
		 * first entry past its largest possible one. */
		while (rc == 0 && v.mv_size == IOCVAL_LEN) {
			o++;
			memcpy(next, v.mv_data, ONUM_LEN);
			memset(next + ONUM_LEN, 0xff, LKEY_LEN);
			v = store_val(next, sizeof next);
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "count indicator");
	if (messages != NULL)
		*messages = m;
	if (origins != NULL)
		*origins = o;
	return STORE_OK;
}

/* The newest entry of the origin numbered num under the ioc key k (kl
 * bytes) below local key bound: its local key into *lkey, 0 when there is
 * none.  0 or an LMDB error. */
static int
s_ioc_below(MDB_cursor *cur, const uint8_t *key, size_t kl, const uint8_t num[ONUM_LEN],
    uint64_t bound, uint64_t *lkey)
{
	uint8_t e[IOCVAL_LEN];
	MDB_val k = store_val(key, kl), v;
	int rc;

	*lkey = 0;
	store_ioc_val(e, num, bound);
	v = store_val(e, sizeof e);
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE)) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP);
	else if (rc == MDB_NOTFOUND && (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
	if (rc == 0 && v.mv_size == IOCVAL_LEN && memcmp(v.mv_data, num, ONUM_LEN) == 0)
		*lkey = store_get64((uint8_t *)v.mv_data + ONUM_LEN);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The heap of store_ioc_refs(): each origin's next entry, the newest on
 * top, with the origin's number.  Moves h[i] down to its place among n. */
struct s_href {
	struct store_ref ref;
	uint8_t num[ONUM_LEN];
};

static void
s_heap_down(struct s_href *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		struct s_href t;

		if (l < n && h[l].ref.lkey > h[top].ref.lkey)
			top = l;
		if (r < n && h[r].ref.lkey > h[top].ref.lkey)
			top = r;
		if (top == i)
			return;
		t = h[i], h[i] = h[top], h[top] = t;
		i = top;
	}
}

int
store_ioc_refs(struct store *st, const char *value, size_t len, uint64_t before_lkey,
    struct store_ref *out, size_t max, size_t *n)
{
	uint8_t key[IOCKEY_MAX], next[IOCVAL_LEN];
	struct s_href *h = NULL, *t;
	size_t kl, nh = 0, cap = 0;
	uint64_t bound = before_lkey == 0 ? UINT64_MAX : before_lkey, l;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	*n = 0;
	if (st == NULL || value == NULL || len == 0 || (out == NULL && max > 0))
		return STORE_E_INVAL;
	kl = store_ioc_key(value, len, key);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "walk indicator");
	}
	/* Each origin's newest entry below the bound, one jump per origin. */
	k = store_val(key, kl);
	rc = max > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_NOTFOUND;
	while (rc == 0 && v.mv_size == IOCVAL_LEN) {
		memcpy(next, v.mv_data, ONUM_LEN);
		if ((rc = s_ioc_below(cur, key, kl, next, bound, &l)) != 0)
			break;
		if (l != 0 && nh == cap) {
			cap = cap ? 2 * cap : 16;
			if ((t = realloc(h, cap * sizeof *h)) == NULL) {
				err = STORE_E_NOMEM;
				break;
			}
			h = t;
		}
		if (l != 0) {
			if ((err = store_onum_origin(st, txn, next, h[nh].ref.origin)) !=
			    STORE_OK) {
				err = err == STORE_E_NOTFOUND ? STORE_E_CORRUPT : err;
				break;
			}
			memcpy(h[nh].num, next, ONUM_LEN);
			h[nh++].ref.lkey = l;
		}
		memset(next + ONUM_LEN, 0xff, LKEY_LEN);
		k = store_val(key, kl), v = store_val(next, sizeof next);
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	for (size_t i = nh / 2; i-- > 0;)
		s_heap_down(h, nh, i);
	/* Then the newest of all, and that origin's next one. */
	while (rc == 0 && err == STORE_OK && nh > 0 && *n < max) {
		out[(*n)++] = h[0].ref;
		if ((rc = s_ioc_below(cur, key, kl, h[0].num, h[0].ref.lkey, &l)) != 0)
			break;
		if (l != 0)
			h[0].ref.lkey = l;
		else
			h[0] = h[--nh];
		s_heap_down(h, nh, 0);
	}
	free(h);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0)
		return store_lmdb_err(st, rc, "walk indicator");
	return err;
}

int
store_ioc_has(struct store *st, const char *value, size_t len, const struct store_ref *refs,
    size_t n, bool *has)
{
	uint8_t key[IOCKEY_MAX], e[IOCVAL_LEN], num[ONUM_LEN];
	size_t kl;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, err, found = STORE_E_NOTFOUND;

	if (st == NULL || value == NULL || len == 0 || (n > 0 && (refs == NULL || has == NULL)))
		return STORE_E_INVAL;
	kl = store_ioc_key(value, len, key);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) == 0) {
		for (size_t i = 0; i < n && (rc == 0 || rc == MDB_NOTFOUND); i++) {
			/* Refs come grouped by origin, mostly: one look-up each. */
			if (i == 0 || memcmp(refs[i].origin, refs[i - 1].origin, ID_LEN) != 0)
				found = store_onum(st, txn, refs[i].origin, false, num);
			if (found != STORE_OK && found != STORE_E_NOTFOUND) {
				err = found;
				break;
			}
			has[i] = false;
			if (found == STORE_E_NOTFOUND)
				continue;
			store_ioc_val(e, num, refs[i].lkey);
			k = store_val(key, kl), v = store_val(e, sizeof e);
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
			has[i] = rc == 0;
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (err != STORE_OK)
		return err;
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(st, rc, "find indicator");
}

/* store_ioc_range()'s function, called with the entry's key. */
struct s_keyed {
	store_ioc_range_fn fn;
	void *arg;
	const MDB_val *k;
};

static int
s_keyed_item(void *arg, const struct store_item *it)
{
	const struct s_keyed *kd = arg;

	return kd->fn(kd->arg, kd->k->mv_data, kd->k->mv_size, it);
}

int
store_ioc_range(struct store *st, const uint8_t *lo, size_t lolen, const uint8_t *hi, size_t hilen,
    size_t limit, store_ioc_range_fn fn, void *arg)
{
	struct s_walk w = { limit, 0, false };
	struct s_keyed kd = { fn, arg, NULL };
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v, hk = store_val(hi, hilen);
	int rc, err;

	if (st == NULL || lo == NULL || hi == NULL || lolen == 0 || hilen == 0 ||
	    lolen > IOCKEY_MAX || hilen > IOCKEY_MAX)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	kd.k = &k;
	for (rc = s_seek_ge(cur, lo, lolen, true, &k, &v); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (s_keycmp(&k, hk.mv_data, hk.mv_size) > 0)
			break;
		if (v.mv_size == IOCVAL_LEN &&
		    s_walk_visit(st, txn, store_get64((uint8_t *)v.mv_data + ONUM_LEN),
		        fn != NULL ? s_keyed_item : NULL, &kd, &w, &err))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

int
store_by_ref(struct store *st, const uint8_t id[32], size_t limit, store_item_fn fn, void *arg)
{
	struct s_walk w = { limit, 0, false };
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = store_val(id, ID_LEN), v;
	int rc, err;

	if (st == NULL || id == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ref, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size == LKEY_LEN &&
		    s_walk_visit(st, txn, store_get64(v.mv_data), fn, arg, &w, &err))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

/* The first local key of the gap (meta "gaps") that holds lkey into
 * *first, 0 when none does. */
static int
s_gap_of(struct store *st, MDB_txn *txn, uint64_t lkey, uint64_t *first)
{
	MDB_val k = store_val("gaps", 4), v;
	const uint8_t *g;
	int rc;

	*first = 0;
	if ((rc = mdb_get(txn, st->meta, &k, &v)) == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_lmdb_err(st, rc, "get gaps");
	if (v.mv_size % (2 * LKEY_LEN) != 0) {
		log_warnx("store: malformed gaps in meta");
		return STORE_E_CORRUPT;
	}
	for (size_t i = 0; i < v.mv_size; i += 2 * LKEY_LEN) {
		g = (const uint8_t *)v.mv_data + i;
		if (lkey >= store_get64(g) && lkey <= store_get64(g + LKEY_LEN)) {
			*first = store_get64(g);
			break;
		}
	}
	return STORE_OK;
}

int
store_after(struct store *st, uint64_t after, size_t limit, store_item_fn fn, void *arg,
    struct store_cursor *sc)
{
	struct s_walk w = { limit, 0, false };
	struct store_cursor c = { 0, 0 };
	uint8_t key[LKEY_LEN];
	uint64_t gap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((err = s_last_lkey(st, txn, &c.last)) == STORE_OK &&
	    (err = s_gap_of(st, txn, after, &gap)) == STORE_OK && (after > c.last || gap != 0)) {
		c.resume = after > c.last ? c.last : gap - 1;
		err = STORE_E_LOST;
	}
	if (sc != NULL)
		*sc = c;
	if (err != STORE_OK || (rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		return s_walk_end(st, txn, NULL, err != STORE_OK ? 0 : rc, err, &w);
	store_put64(key, after);
	for (rc = s_seek_ge(cur, key, sizeof key, false, &k, &v); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != LKEY_LEN || v.mv_size <= HDR_LEN) {
			log_warnx("store: malformed message entry (run a store check)");
			continue;
		}
		s_show(store_get64(k.mv_data), &v, NULL, 0, fn, arg, &w.stop);
		if (s_walk_done(&w, 1))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

int
store_lkey_received(struct store *st, uint64_t when, uint64_t *after)
{
	uint64_t lo = 1, hi, mid, l, best = 0;
	uint8_t key[LKEY_LEN];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, err;

	if (st == NULL || after == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((err = s_last_lkey(st, txn, &hi)) != STORE_OK ||
	    (rc = mdb_cursor_open(txn, st->msg, &cur)) != 0) {
		mdb_txn_abort(txn);
		return err != STORE_OK ? err : store_lmdb_err(st, rc, "open cursor");
	}
	*after = hi;
	/* The first message received after when, found by halving the local
	 * keys: each step seeks the first stored key at or above the middle
	 * (keys that expired leave holes). */
	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		store_put64(key, mid);
		if ((rc = s_seek_ge(cur, key, sizeof key, true, &k, &v)) == MDB_NOTFOUND ||
		    (rc == 0 && (k.mv_size != LKEY_LEN || (l = store_get64(k.mv_data)) > hi))) {
			rc = 0;
			hi = mid - 1;
		} else if (rc != 0)
			break;
		else if (v.mv_size >= HDR_LEN && store_get64(v.mv_data) > when) {
			best = l;
			hi = mid - 1;
		} else
			lo = l + 1;
	}
	if (rc != 0)
		err = store_lmdb_err(st, rc, "seek msg");
	else if (best != 0)
		*after = best - 1;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return err;
}

int
store_last_lkey(struct store *st, uint64_t *last)
{
	MDB_txn *txn;
	int err;

	if (last == NULL)
		return STORE_E_INVAL;
	*last = 0;
	if (st == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	err = s_last_lkey(st, txn, last);
	mdb_txn_abort(txn);
	return err;
}

/* Meta "gaps" with the gap from first to last added at its end. */
static int
s_gap_add(struct store *st, MDB_txn *txn, uint64_t first, uint64_t last)
{
	MDB_val k = store_val("gaps", 4), v;
	uint8_t *buf;
	size_t n = 0;
	int rc;

	if ((rc = mdb_get(txn, st->meta, &k, &v)) == 0)
		n = v.mv_size;
	else if (rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get gaps");
	if (n % (2 * LKEY_LEN) != 0) {
		log_warnx("store: malformed gaps in meta");
		return STORE_E_CORRUPT;
	}
	if ((buf = malloc(n + 2 * LKEY_LEN)) == NULL)
		return STORE_E_NOMEM;
	if (n > 0)
		memcpy(buf, v.mv_data, n);
	store_put64(buf + n, first);
	store_put64(buf + n + LKEY_LEN, last);
	v = store_val(buf, n + 2 * LKEY_LEN);
	rc = mdb_put(txn, st->meta, &k, &v, 0);
	free(buf);
	return rc == 0 ? STORE_OK : store_lmdb_err(st, rc, "put gaps");
}

int
store_raise_lkey(struct store *st, uint64_t replaced, uint64_t *resume)
{
	uint8_t b[LKEY_LEN];
	MDB_val k = store_val("lkey", 4), v = store_val(b, sizeof b);
	MDB_txn *txn;
	uint64_t last;
	int rc, err;

	if (resume != NULL)
		*resume = 0;
	if (st == NULL)
		return STORE_E_INVAL;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin");
	if ((err = s_last_lkey(st, txn, &last)) != STORE_OK)
		goto fail;
	if (replaced == STORE_LKEY_UNKNOWN)
		replaced = last < UINT64_MAX - 2 * STORE_LKEY_GAP ? last + STORE_LKEY_GAP
		                                                  : UINT64_MAX;
	if (replaced <= last || replaced >= UINT64_MAX - STORE_LKEY_GAP) {
		/* Nothing to raise; or a key past any real history. */
		mdb_txn_abort(txn);
		return replaced <= last ? STORE_OK : STORE_E_INVAL;
	}
	if (replaced - 1 > last && (err = s_gap_add(st, txn, last + 1, replaced - 1)) != STORE_OK)
		goto fail;
	store_put64(b, replaced);
	if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0) {
		err = store_lmdb_err(st, rc, "put lkey");
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit");
	if (resume != NULL && replaced - 1 > last)
		*resume = last;
	log_info("store: local keys from %" PRIu64 " to %" PRIu64
	         " were given by the replaced store: the next message gets %" PRIu64,
	    last + 1, replaced, replaced + 1);
	return STORE_OK;
fail:
	mdb_txn_abort(txn);
	return err;
}

/* Delete the dup (key, val); a missing one is no error. */
static int
s_del_dup(struct store *st, MDB_txn *txn, MDB_dbi dbi, const void *key, size_t kl,
    const uint8_t lk[8], const char *what)
{
	MDB_val k = store_val(key, kl), v = store_val(lk, LKEY_LEN);
	int rc = mdb_del(txn, dbi, &k, &v);

	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(st, rc, what);
}

/* Delete the origin, ref and indicator entries of one message. */
static int
s_unindex(struct store *st, MDB_txn *txn, const struct store_rec *r, const uint8_t lk[8])
{
	uint8_t ok[ORIGKEY_LEN], key[IOCKEY_MAX], iv[IOCVAL_LEN], num[ONUM_LEN];
	int err;

	memcpy(ok, r->origin, ID_LEN);
	store_put64(ok + ID_LEN, r->seq);
	if ((err = s_del_dup(st, txn, st->origin, ok, sizeof ok, lk, "delete origin")) != STORE_OK)
		return err;
	if (r->ref != NULL &&
	    (err = s_del_dup(st, txn, st->ref, r->ref, ID_LEN, lk, "delete ref")) != STORE_OK)
		return err;
	/* No number: none of its entries were made. */
	if (r->nioc > 0 && (err = store_onum(st, txn, r->origin, false, num)) != STORE_OK)
		return err == STORE_E_NOTFOUND ? STORE_OK : err;
	store_ioc_val(iv, num, store_get64(lk));
	for (size_t i = 0; i < r->nioc; i++) {
		MDB_val k, v = store_val(iv, sizeof iv);
		size_t kl;
		int rc;

		if (r->ioc == NULL || r->ioc[i].value == NULL || r->ioc[i].len == 0)
			break;
		kl = store_ioc_key(r->ioc[i].value, r->ioc[i].len, key);
		k = store_val(key, kl);
		/* Not found: the value came twice in this message. */
		if ((rc = mdb_del(txn, st->ioc, &k, &v)) != 0 && rc != MDB_NOTFOUND)
			return store_lmdb_err(st, rc, "delete indicator");
	}
	return STORE_OK;
}

/* Remove message lkey, whose time entry cur is on (and deletes), unless the
 * index function marks it keep: then *kept is set and nothing changes.  t
 * (NULL when the store keeps no counts) counts it once less. */
static int
s_remove(struct store *st, MDB_txn *txn, MDB_cursor *cur, const uint8_t id[32], uint64_t lkey,
    struct s_tally *t, bool *kept)
{
	uint8_t lk[LKEY_LEN];
	MDB_val k, v;
	struct store_rec rec;
	size_t len = 0;
	bool found, decoded = false;
	int rc, err = STORE_OK;

	*kept = false;
	store_put64(lk, lkey);
	k = store_val(lk, sizeof lk);
	if ((rc = mdb_get(txn, st->msg, &k, &v)) != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(st, rc, "get message");
	if (!(found = rc == 0))
		log_warnx("store: expire: message %" PRIu64 " is missing", lkey);
	/* Copy out: deleting from other databases in this transaction may
	 * spill or reuse the dirty page the message sits on. */
	if (found)
		len = v.mv_size > HDR_LEN ? v.mv_size - HDR_LEN : 0;
	if (len > st->xcap) {
		uint8_t *p = realloc(st->xbuf, len);
		if (p == NULL)
			return STORE_E_NOMEM;
		st->xbuf = p;
		st->xcap = len;
	}
	if (len > 0)
		memcpy(st->xbuf, (uint8_t *)v.mv_data + HDR_LEN, len);

	pthread_mutex_lock(&st->index_lock);
	memset(&rec, 0, sizeof rec);
	decoded = len > 0 && st->index(st->index_arg, st->xbuf, len, &rec) == 0;
	if (decoded && rec.keep) {
		pthread_mutex_unlock(&st->index_lock);
		*kept = true;
		return STORE_OK;
	}
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
		err = store_lmdb_err(st, rc, "delete time");
	if (err == STORE_OK) {
		k = store_val(id, ID_LEN);
		rc = mdb_get(txn, st->id, &k, &v);
		if (rc == 0 && v.mv_size == LKEY_LEN && memcmp(v.mv_data, lk, LKEY_LEN) == 0)
			rc = mdb_del(txn, st->id, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			err = store_lmdb_err(st, rc, "delete id");
	}
	if (err == STORE_OK && decoded)
		err = s_unindex(st, txn, &rec, lk);
	if (err == STORE_OK && decoded && t != NULL)
		err = s_tally_add(t, &rec, -1, 0);
	else if (err == STORE_OK && found && !decoded)
		log_warnx("store: expire: message %" PRIu64 " does not decode; its origin, ref and "
		          "indicator entries and its counts stay (run a store check)",
		    lkey);
	pthread_mutex_unlock(&st->index_lock);
	if (err != STORE_OK || !found)
		return err;

	k = store_val(lk, sizeof lk);
	if ((rc = mdb_del(txn, st->msg, &k, NULL)) != 0)
		return store_lmdb_err(st, rc, "delete message");
	return STORE_OK;
}

int
store_expire(struct store *st, uint64_t cutoff_ms, size_t max_per_txn, size_t *removed)
{
	/* The time key of the last message kept: the walk goes on after it. */
	uint8_t resume[TIMEKEY_LEN];
	struct s_tally t;
	bool resuming = false;

	if (removed != NULL)
		*removed = 0;
	if (st == NULL || removed == NULL || st->index == NULL)
		return STORE_E_INVAL;
	if (max_per_txn == 0)
		max_per_txn = EXPIRE_DEFAULT;

	s_tally_init(&t);
	for (bool done = false; !done;) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		size_t n = 0;
		bool counted;
		int rc, err = STORE_OK;

		if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
			s_tally_free(&t);
			return store_lmdb_err(st, rc, "begin write transaction");
		}
		if ((rc = store_counts_kept(st, txn, &counted)) != 0 ||
		    (rc = mdb_cursor_open(txn, st->time, &cur)) != 0) {
			mdb_txn_abort(txn);
			s_tally_free(&t);
			return store_lmdb_err(st, rc, "open cursor");
		}
		while (n < max_per_txn) {
			uint8_t id[ID_LEN];
			uint64_t lkey;
			bool kept;

			if (!resuming)
				rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			else {
				k = store_val(resume, sizeof resume);
				rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
				if (rc == 0 && k.mv_size == sizeof resume &&
				    memcmp(k.mv_data, resume, sizeof resume) == 0)
					rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			}
			if (rc == MDB_NOTFOUND) {
				done = true;
				break;
			}
			if (rc != 0) {
				err = store_lmdb_err(st, rc, "walk time index");
				break;
			}
			if (k.mv_size != TIMEKEY_LEN || v.mv_size != LKEY_LEN) {
				log_warnx("store: expire: deleting a malformed time index entry");
				if ((rc = mdb_cursor_del(cur, 0)) != 0) {
					err = store_lmdb_err(st, rc, "delete time");
					break;
				}
				continue;
			}
			if (store_get64(k.mv_data) >= cutoff_ms) {
				done = true;
				break;
			}
			memcpy(id, (uint8_t *)k.mv_data + 8, ID_LEN);
			lkey = store_get64(v.mv_data);
			memcpy(resume, k.mv_data, sizeof resume);
			if ((err = s_remove(st, txn, cur, id, lkey, counted ? &t : NULL, &kept)) !=
			    STORE_OK)
				break;
			if (kept)
				resuming = true;
			else
				n++;
		}
		mdb_cursor_close(cur);
		if (err == STORE_OK && counted)
			err = s_tally_flush(st, txn, &t);
		if (err != STORE_OK) {
			mdb_txn_abort(txn);
			s_tally_free(&t);
			return err;
		}
		if ((rc = mdb_txn_commit(txn)) != 0) {
			s_tally_free(&t);
			return store_lmdb_err(st, rc, "commit expiry");
		}
		*removed += n;
	}
	s_tally_free(&t);
	return STORE_OK;
}

static bool
s_name_valid(const struct store *st, const char *name)
{
	size_t n;

	if (name == NULL)
		return false;
	n = strlen(name);
	return n > 0 && n <= (size_t)mdb_env_get_maxkeysize(st->env);
}

int
store_peer_put(struct store *st, const char *name, const void *blob, size_t n)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if (st == NULL || !s_name_valid(st, name) || (blob == NULL && n > 0))
		return STORE_E_INVAL;
	k = store_val(name, strlen(name));
	v = store_val(blob, n);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin write transaction");
	if ((rc = mdb_put(txn, st->peer, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "put peer");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit peer");
	return STORE_OK;
}

int
store_peer_get(struct store *st, const char *name, void *buf, size_t cap, size_t *n)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || !s_name_valid(st, name) || n == NULL || (buf == NULL && cap > 0))
		return STORE_E_INVAL;
	k = store_val(name, strlen(name));
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_get(txn, st->peer, &k, &v)) != 0)
		err = store_lmdb_err(st, rc, "get peer");
	else {
		*n = v.mv_size;
		if (v.mv_size > cap)
			err = STORE_E_NOMEM;
		else if (v.mv_size > 0)
			memcpy(buf, v.mv_data, v.mv_size);
	}
	mdb_txn_abort(txn);
	return err;
}

/* The key of a source: its BLAKE2b-256, so that any length fits. */
static MDB_val
s_source_key(uint8_t h[32], const char *source)
{
	crypto_generichash(h, 32, (const uint8_t *)source, strlen(source), NULL, 0);
	return store_val(h, 32);
}

int
store_source_put(struct store *st, const char *source, const uint8_t id[32])
{
	uint8_t h[32];
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if (st == NULL || source == NULL || *source == '\0')
		return STORE_E_INVAL;
	k = s_source_key(h, source);
	v = store_val(id, 32);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin write transaction");
	if ((rc = mdb_put(txn, st->source, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "put source");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit source");
	return STORE_OK;
}

int
store_source_get(struct store *st, const char *source, uint8_t id[32])
{
	uint8_t h[32];
	MDB_txn *txn;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || source == NULL || *source == '\0')
		return STORE_E_INVAL;
	k = s_source_key(h, source);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_get(txn, st->source, &k, &v)) != 0)
		err = store_lmdb_err(st, rc, "get source");
	else if (v.mv_size != 32)
		err = STORE_E_CORRUPT;
	else
		memcpy(id, v.mv_data, 32);
	mdb_txn_abort(txn);
	return err;
}

int
store_peer_del(struct store *st, const char *name)
{
	MDB_txn *txn;
	MDB_val k;
	int rc;

	if (st == NULL || !s_name_valid(st, name))
		return STORE_E_INVAL;
	k = store_val(name, strlen(name));
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return store_lmdb_err(st, rc, "begin write transaction");
	if ((rc = mdb_del(txn, st->peer, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "delete peer");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return store_lmdb_err(st, rc, "commit peer");
	return STORE_OK;
}

int
store_stats(struct store *st, struct store_stats *s)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_envinfo info;
	MDB_stat ms;
	uint64_t freepages = 0, pages;
	int rc, err;

	if (st == NULL || s == NULL)
		return STORE_E_INVAL;
	memset(s, 0, sizeof *s);
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_stat(txn, st->msg, &ms)) != 0)
		goto out;
	s->messages = ms.ms_entries;
	if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		goto out;
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == 0 && k.mv_size == LKEY_LEN)
		s->last_lkey = store_get64(k.mv_data);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	/* The free list (database 0): each value is a page list whose first
	 * word is its length. */
	if ((rc = mdb_cursor_open(txn, 0, &cur)) != 0)
		goto out;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if (v.mv_size >= sizeof(size_t)) {
			size_t cnt;
			memcpy(&cnt, v.mv_data, sizeof cnt);
			freepages += cnt;
		}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto out;
	if ((rc = mdb_env_info(st->env, &info)) != 0 || (rc = mdb_env_stat(st->env, &ms)) != 0)
		goto out;
	pages = (uint64_t)info.me_last_pgno + 1;
	s->map_size = info.me_mapsize;
	s->file_bytes = pages * ms.ms_psize;
	s->used_bytes = (pages > freepages ? pages - freepages : 0) * ms.ms_psize;
	rc = 0;
out:
	mdb_txn_abort(txn);
	return rc == 0 ? STORE_OK : store_lmdb_err(st, rc, "stats");
}

int
store_counts(struct store *st, struct store_counts *out, store_origin_fn fn, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	bool counted, stop = false;
	int rc, err;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (st == NULL || out == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = store_counts_kept(st, txn, &counted)) != 0 || !counted) {
		mdb_txn_abort(txn);
		return rc != 0 ? store_lmdb_err(st, rc, "counts") : STORE_E_NOTFOUND;
	}
	if ((rc = mdb_cursor_open(txn, st->counts, &cur)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "counts");
	}
	/* Keys sort by class: kinds, origins, sources, then TLPs. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;
		uint64_t n;

		if (v.mv_size != 8 || k.mv_size < 2) {
			log_warnx("store: a malformed message counter (run a store check)");
			continue;
		}
		n = store_get64(v.mv_data);
		if (key[0] == COUNT_TLP && k.mv_size == 2) {
			out->tlp[key[1]] = n;
			out->messages += n;
		} else if (key[0] == COUNT_KIND && k.mv_size == 2)
			out->kind[key[1]] = n;
		else if (key[0] == COUNT_ORIGIN && k.mv_size == 1 + ID_LEN) {
			out->origins++;
			if (fn != NULL && !stop && fn(arg, key + 1, n) != 0)
				stop = true;
		} else if (key[0] != COUNT_SOURCE || k.mv_size != COUNTKEY_MAX)
			log_warnx("store: a malformed message counter (run a store check)");
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(st, rc, "counts");
}

/* One counter of a source into s. */
static void
s_source_set(struct store_source *s, const uint8_t *key, uint64_t n)
{
	uint8_t fig = key[1 + ID_LEN], a = key[2 + ID_LEN], b = key[3 + ID_LEN];

	if (fig == 'c' && a < STORE_SRC_TLPS && b < STORE_SRC_KINDS)
		s->messages[a][b] = n;
	else if (fig == 'd' && a < STORE_DELAY_BUCKETS)
		s->delay[a] = n;
	else if (fig == 'x')
		s->future = n;
	else if (fig == 's')
		s->confirmed_cases = n;
	else if (fig == 'i')
		s->confirmed_iocs = n;
	else if (fig == 'f')
		s->false_positives = n;
	else if (fig == 'l')
		s->last_active = n;
	else
		log_warnx("store: a malformed source counter (run a store check)");
}

int
store_sources(struct store *st, store_source_fn fn, void *arg)
{
	uint8_t origin[ID_LEN], first = COUNT_SOURCE;
	struct store_source s;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = store_val(&first, 1), v;
	bool counted, have = false, stop = false;
	int rc, err;

	if (st == NULL || fn == NULL)
		return STORE_E_INVAL;
	if ((err = store_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = store_counts_kept(st, txn, &counted)) != 0 || !counted) {
		mdb_txn_abort(txn);
		return rc != 0 ? store_lmdb_err(st, rc, "sources") : STORE_E_NOTFOUND;
	}
	if ((rc = mdb_cursor_open(txn, st->counts, &cur)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(st, rc, "sources");
	}
	/* One origin's counters are together: a source is done at the next. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !stop;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;

		if (key[0] != COUNT_SOURCE)
			break;
		if (k.mv_size != COUNTKEY_MAX || v.mv_size != 8) {
			log_warnx("store: a malformed source counter (run a store check)");
			continue;
		}
		if (have && memcmp(origin, key + 1, ID_LEN) != 0) {
			stop = fn(arg, &s) != 0;
			have = false;
		}
		if (!have) {
			memset(&s, 0, sizeof s);
			memcpy(origin, key + 1, ID_LEN);
			s.origin = origin;
			have = true;
		}
		s_source_set(&s, key, store_get64(v.mv_data));
	}
	if (have && !stop && (rc == 0 || rc == MDB_NOTFOUND))
		fn(arg, &s);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(st, rc, "sources");
}

uint64_t
store_delay_quantile(const struct store_source *s, unsigned pct)
{
	uint64_t total = 0, need, sum = 0;
	int b;

	for (b = 0; b < STORE_DELAY_BUCKETS; b++)
		total += s->delay[b];
	if (total == 0 || pct == 0 || pct > 100)
		return 0;
	need = (total * pct + 99) / 100;
	for (b = 0; b < STORE_DELAY_BUCKETS - 1 && (sum += s->delay[b]) < need; b++)
		;
	return b < STORE_DELAY_BUCKETS - 1 ? 1000ull << b : 1000ull << (b - 1);
}

/* Opens the copy at path on its own, read-only, and counts its messages:
 * a backup that cannot be read back is no backup. */
static int
s_count_copy(const char *path, uint64_t *messages)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat ms;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0)
		return rc;
	if ((rc = mdb_env_set_maxdbs(env, sizeof s_dbs / sizeof s_dbs[0])) == 0 &&
	    (rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600)) == 0 &&
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) == 0) {
		if ((rc = mdb_dbi_open(txn, s_dbs[0].name, 0, &dbi)) == 0 &&
		    (rc = mdb_stat(txn, dbi, &ms)) == 0)
			*messages = ms.ms_entries;
		mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return rc;
}

int
store_backup(struct store *st, const char *path, uint64_t *messages)
{
	char *tmp;
	size_t n;
	int fd, rc, err = STORE_OK;

	if (st == NULL || path == NULL || *path == '\0' || messages == NULL)
		return STORE_E_INVAL;
	/* A name of its own (mkstemp, mode 0600): two backups to one path
	 * never write into each other's copy. */
	n = strlen(path) + sizeof ".XXXXXX";
	if ((tmp = malloc(n)) == NULL)
		return STORE_E_NOMEM;
	snprintf(tmp, n, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		int e = errno;
		log_warn("store: backup: %s", tmp);
		free(tmp);
		errno = e;
		return STORE_E_IO;
	}
	if (fchmod(fd, 0600) == -1) {
		log_warn("store: backup: chmod %s", tmp);
		err = STORE_E_IO;
	} else if ((rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT)) != 0)
		err = store_lmdb_err(st, rc, "backup");
	else if (fsync(fd) == -1) {
		log_warn("store: backup: fsync %s", tmp);
		err = STORE_E_IO;
	}
	if (close(fd) == -1 && err == STORE_OK) {
		log_warn("store: backup: close %s", tmp);
		err = STORE_E_IO;
	}
	if (err == STORE_OK && (rc = s_count_copy(tmp, messages)) != 0) {
		log_warnx("store: backup: %s cannot be read back: %s", tmp, mdb_strerror(rc));
		err = STORE_E_CORRUPT;
	}
	if (err == STORE_OK && rename(tmp, path) == -1) {
		log_warn("store: backup: rename to %s", path);
		err = STORE_E_IO;
	}
	int e = errno; /* what failed, for the caller to say */
	if (err != STORE_OK)
		unlink(tmp);
	else if (file_sync_dir(path) == -1)
		log_warn("store: backup: sync the directory of %s", path);
	free(tmp);
	errno = e;
	return err;
}
