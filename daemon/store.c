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
#include "util.h"

#define ID_LEN 32
#define LKEY_LEN 8
#define HDR_LEN 8 /* received ms before the message bytes */
#define TIMEKEY_LEN (8 + ID_LEN)
#define ORIGKEY_LEN (ID_LEN + 8)
#define IOCKEY_MAX STORE_IOC_RAW_MAX
#define IOCVAL_LEN (ID_LEN + LKEY_LEN)
#define EXPIRE_DEFAULT 256
#define MAXDBS 16

struct store {
	MDB_env *env;
	MDB_dbi msg, id, time, origin, ioc, ref, peer, meta;
	uint8_t node[ID_LEN];
	uint64_t limit; /* map size in effect, for the "full" message */
	uint8_t *xbuf;  /* store_expire's copy of a message */
	size_t xcap;
	store_index_fn index;
	void *index_arg;
	pthread_mutex_t index_lock; /* the index function keeps one rec */
};

static const struct {
	const char *name;
	unsigned int flags;
	size_t off;
} s_dbs[] = {
        {"msg", 0, offsetof(struct store, msg)},
        {"id", 0, offsetof(struct store, id)},
        {"time", 0, offsetof(struct store, time)},
        {"origin", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, origin)},
        {"ioc", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, ioc)},
        {"ref", MDB_DUPSORT | MDB_DUPFIXED, offsetof(struct store, ref)},
        {"peer", 0, offsetof(struct store, peer)},
        {"meta", 0, offsetof(struct store, meta)},
};

/* The size limit of the store that last reported full, for store_strerror(),
 * which has no store to ask. */
static _Atomic uint64_t s_full_limit;

static void
s_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
s_get64(const void *vp)
{
	const uint8_t *p = vp;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static MDB_val
s_val(const void *p, size_t n)
{
	MDB_val v = {n, (void *)(uintptr_t)p};
	return v;
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
	default:
		return "unknown store error";
	}
}

/* Map an LMDB or errno code to ours, logging the detail. */
static int
s_err(const struct store *st, int rc, const char *what)
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
static size_t
s_ioc_key(const char *value, size_t len, uint8_t key[IOCKEY_MAX])
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
 * The value of an indicator entry: origin || lkey.  One DUPFIXED index
 * answers every indicator question: dups sort by origin, so the distinct
 * origins are found by jumping from group to group, and a message's entry
 * is deleted exactly.  (Separate per-origin count indexes cost a random
 * page write each per indicator: measured, they halved the write rate of
 * a store of 300,000 messages.)
 */
static void
s_ioc_val(uint8_t out[IOCVAL_LEN], const uint8_t origin[ID_LEN], uint64_t lkey)
{
	memcpy(out, origin, ID_LEN);
	s_put64(out + ID_LEN, lkey);
}

/*
 * The next local key: past both the last in "msg" and the highest ever
 * used (meta "lkey"), so that a key is never given twice, not even after
 * the newest messages expired (an index entry left behind could otherwise
 * point at an unrelated message).  Read in every write transaction rather
 * than kept, so that another process writing the same store (the CLI next
 * to the daemon) cannot make it stale.
 */
static int
s_next_lkey(struct store *st, MDB_txn *txn, uint64_t *next)
{
	MDB_cursor *cur;
	MDB_val k, v, mk = s_val("lkey", 4);
	uint64_t hwm = 0;
	int rc;

	if ((rc = mdb_get(txn, st->meta, &mk, &v)) == 0 && v.mv_size == LKEY_LEN)
		hwm = s_get64(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return s_err(st, rc, "get lkey");
	if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		return s_err(st, rc, "open cursor");
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return s_err(st, rc, "last message");
	if (rc == 0 && (k.mv_size != LKEY_LEN || s_get64(k.mv_data) == UINT64_MAX)) {
		log_warnx("store: malformed message key");
		return STORE_E_CORRUPT;
	}
	if (rc == 0 && s_get64(k.mv_data) > hwm)
		hwm = s_get64(k.mv_data);
	if (hwm == UINT64_MAX)
		return STORE_E_CORRUPT;
	*next = hwm + 1;
	return STORE_OK;
}

static int
s_setup(struct store *st, const uint8_t node_id[32])
{
	MDB_txn *txn;
	MDB_val k, v;
	MDB_stat ms;
	uint64_t next;
	uint8_t schema[4] = {0, 0, 0, STORE_SCHEMA};
	int rc, err = STORE_OK;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return s_err(st, rc, "begin open transaction");
	for (size_t i = 0; i < sizeof s_dbs / sizeof s_dbs[0]; i++) {
		MDB_dbi *dbi = (MDB_dbi *)(void *)((char *)st + s_dbs[i].off);
		unsigned int flags = s_dbs[i].flags | MDB_CREATE;

		if ((rc = mdb_dbi_open(txn, s_dbs[i].name, flags, dbi)) != 0) {
			err = s_err(st, rc, s_dbs[i].name);
			goto fail;
		}
	}

	k = s_val("schema", 6);
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		if ((rc = mdb_stat(txn, st->msg, &ms)) != 0)
			goto lmdb;
		if (ms.ms_entries != 0) {
			log_warnx("store: messages but no schema version");
			err = STORE_E_CORRUPT;
			goto fail;
		}
		v = s_val(schema, sizeof schema);
		if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
			goto lmdb;
		k = s_val("node", 4);
		v = s_val(node_id, ID_LEN);
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
		k = s_val("node", 4);
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
	if ((rc = mdb_txn_commit(txn)) != 0)
		return s_err(st, rc, "commit open transaction");
	return STORE_OK;
lmdb:
	err = s_err(st, rc, "open");
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
		err = s_err(st, rc, "create environment");
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(st->env, MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, (size_t)size_limit)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
		err = s_err(st, rc, dir);
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
	uint8_t lk[LKEY_LEN], tk[TIMEKEY_LEN], ok[ORIGKEY_LEN], key[IOCKEY_MAX], iv[IOCVAL_LEN];
	MDB_val k, v, lv;
	int rc;

	s_put64(lk, lkey);
	lv = s_val(lk, sizeof lk);
	k = s_val(r->id, ID_LEN);
	if ((rc = mdb_put(txn, st->id, &k, &lv, MDB_NOOVERWRITE)) == MDB_KEYEXIST)
		return STORE_DUP;
	if (rc != 0)
		return s_err(st, rc, "put id");

	k = s_val(lk, sizeof lk);
	v = s_val(NULL, HDR_LEN + r->len);
	if ((rc = mdb_put(txn, st->msg, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
		return s_err(st, rc, "put message");
	s_put64(v.mv_data, received);
	memcpy((uint8_t *)v.mv_data + HDR_LEN, r->bytes, r->len);

	s_put64(tk, r->time);
	memcpy(tk + 8, r->id, ID_LEN);
	k = s_val(tk, sizeof tk);
	if ((rc = mdb_put(txn, st->time, &k, &lv, 0)) != 0)
		return s_err(st, rc, "put time");

	memcpy(ok, r->origin, ID_LEN);
	s_put64(ok + ID_LEN, r->seq);
	k = s_val(ok, sizeof ok);
	if ((rc = mdb_put(txn, st->origin, &k, &lv, MDB_NODUPDATA)) != 0 && rc != MDB_KEYEXIST)
		return s_err(st, rc, "put origin");

	if (r->ref != NULL) {
		k = s_val(r->ref, ID_LEN);
		if ((rc = mdb_put(txn, st->ref, &k, &lv, MDB_NODUPDATA)) != 0 && rc != MDB_KEYEXIST)
			return s_err(st, rc, "put ref");
	}

	s_ioc_val(iv, r->origin, lkey);
	v = s_val(iv, sizeof iv);
	for (size_t i = 0; i < r->nioc; i++) {
		size_t kl = s_ioc_key(r->ioc[i].value, r->ioc[i].len, key);

		k = s_val(key, kl);
		rc = mdb_put(txn, st->ioc, &k, &v, MDB_NODUPDATA);
		/* KEYEXIST: the value came twice in this message. */
		if (rc != 0 && rc != MDB_KEYEXIST)
			return s_err(st, rc, "put indicator");
	}
	return STORE_OK;
}

/* The highest own seq in meta (0 when none), or an LMDB error. */
static int
s_get_own_seq(struct store *st, MDB_txn *txn, uint64_t *seq)
{
	MDB_val k = s_val("seq", 3), v;
	int rc;

	*seq = 0;
	if ((rc = mdb_get(txn, st->meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*seq = s_get64(v.mv_data);
	return 0;
}

/* Raise the own seq high-water mark to seq. */
static int
s_own_seq(struct store *st, MDB_txn *txn, uint64_t seq)
{
	MDB_val k = s_val("seq", 3), v;
	uint8_t b[8];
	uint64_t cur;
	int rc;

	if ((rc = s_get_own_seq(st, txn, &cur)) != 0)
		return s_err(st, rc, "get own seq");
	if (seq <= cur)
		return STORE_OK;
	s_put64(b, seq);
	v = s_val(b, sizeof b);
	if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
		return s_err(st, rc, "put own seq");
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
		return s_err(st, rc, "begin");
	if ((err = s_own_seq(st, txn, seq)) != STORE_OK) {
		mdb_txn_abort(txn);
		return err;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return s_err(st, rc, "commit");
	return STORE_OK;
}

int
store_put_batch(struct store *st, const struct store_rec *recs, size_t n, uint64_t received_ms,
                int *results)
{
	MDB_txn *txn;
	uint64_t lkey, first, own = 0;
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

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return s_err(st, rc, "begin write transaction");
	if ((err = s_next_lkey(st, txn, &lkey)) != STORE_OK)
		goto fail;
	first = lkey;
	for (size_t i = 0; i < n; i++) {
		if ((err = s_put_one(st, txn, &recs[i], lkey, received_ms)) < 0)
			goto fail;
		results[i] = err;
		if (err != STORE_OK)
			continue;
		lkey++;
		if (memcmp(recs[i].origin, st->node, ID_LEN) == 0 && recs[i].seq > own)
			own = recs[i].seq;
	}
	if (own > 0 && (err = s_own_seq(st, txn, own)) != STORE_OK)
		goto fail;
	if (lkey > first) {
		uint8_t b[LKEY_LEN];
		MDB_val mk = s_val("lkey", 4), mv = s_val(b, sizeof b);
		s_put64(b, lkey - 1);
		if ((rc = mdb_put(txn, st->meta, &mk, &mv, 0)) != 0) {
			err = s_err(st, rc, "put lkey");
			goto fail;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return s_err(st, rc, "commit");
	return STORE_OK;
fail:
	mdb_txn_abort(txn);
	return err;
}

static int
s_rbegin(struct store *st, MDB_txn **txn)
{
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);

	return rc == 0 ? STORE_OK : s_err(st, rc, "begin read transaction");
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
	uint8_t lk[LKEY_LEN], h[ID_LEN];
	MDB_val k, v;
	struct store_item it;
	int rc;

	s_put64(lk, lkey);
	k = s_val(lk, sizeof lk);
	if ((rc = mdb_get(txn, st->msg, &k, &v)) == MDB_NOTFOUND ||
	    (rc == 0 && v.mv_size <= HDR_LEN)) {
		log_warnx("store: an index entry points to message %" PRIu64
		          ", which is missing (run a store check)",
		          lkey);
		return 0;
	}
	if (rc != 0)
		return s_err(st, rc, "get message");
	if (fn == NULL)
		return 1;
	it.bytes = (const uint8_t *)v.mv_data + HDR_LEN;
	it.len = v.mv_size - HDR_LEN;
	it.received = s_get64(v.mv_data);
	if (id == NULL) {
		crypto_generichash(h, sizeof h, it.bytes, it.len, NULL, 0);
		id = h;
	}
	it.id = id;
	it.lkey = lkey;
	it.time = time;
	if (fn(arg, &it) != 0)
		*stop = true;
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

	*k = s_val(key, n);
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

	*k = s_val(key, n);
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
		return s_err(st, rc, "walk");
	return w->count;
}

int
store_get_prefix(struct store *st, const uint8_t *prefix, size_t plen, store_item_fn fn, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = s_val(prefix, plen), v;
	bool stop = false;
	int rc, err;

	if (st == NULL || prefix == NULL || plen == 0 || plen > ID_LEN)
		return STORE_E_INVAL;
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->id, &cur)) == 0) {
		/* The first id at or after the prefix; it matches or none does. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		mdb_cursor_close(cur);
	}
	if (rc == 0 && k.mv_size == ID_LEN && memcmp(k.mv_data, prefix, plen) == 0 &&
	    v.mv_size == LKEY_LEN) {
		err = s_visit(st, txn, s_get64(v.mv_data), k.mv_data, 0, fn, arg, &stop);
		err = err == 1 ? STORE_OK : err == 0 ? STORE_E_NOTFOUND : err;
	} else if (rc == 0 || rc == MDB_NOTFOUND)
		err = STORE_E_NOTFOUND;
	else
		err = s_err(st, rc, "get id");
	mdb_txn_abort(txn);
	return err;
}

int
store_get(struct store *st, const uint8_t id[32], store_item_fn fn, void *arg)
{
	return store_get_prefix(st, id, ID_LEN, fn, arg);
}

int
store_has(struct store *st, const uint8_t id[32])
{
	MDB_txn *txn;
	MDB_val k = s_val(id, ID_LEN), v;
	int rc, err;

	if (st == NULL || id == NULL)
		return STORE_E_INVAL;
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	rc = mdb_get(txn, st->id, &k, &v);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 ? 1 : s_err(st, rc, "get id");
}

int
store_range(struct store *st, uint64_t from, uint64_t to, bool desc, const struct store_pos *after,
            size_t limit, store_item_fn fn, void *arg, struct store_pos *next)
{
	uint8_t bound[TIMEKEY_LEN], ak[TIMEKEY_LEN];
	struct s_walk w = {limit, 0, false};
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	bool incl = true;
	int rc, err, r;

	if (st == NULL)
		return STORE_E_INVAL;
	if (from > to)
		return 0;
	s_put64(bound, desc ? to : from);
	memset(bound + 8, desc ? 0xff : 0x00, ID_LEN);
	if (after != NULL) {
		s_put64(ak, after->time);
		memcpy(ak + 8, after->id, ID_LEN);
		r = memcmp(ak, bound, sizeof ak);
		if (desc ? r <= 0 : r >= 0) {
			memcpy(bound, ak, sizeof bound);
			incl = false;
		}
	}
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
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
		t = s_get64(k.mv_data);
		if (desc ? t < from : t > to)
			break;
		if ((r = s_visit(st, txn, s_get64(v.mv_data), (uint8_t *)k.mv_data + 8, t, fn, arg,
		                 &w.stop)) < 0) {
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
	struct s_walk w = {limit, 0, false};
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || origin == NULL)
		return STORE_E_INVAL;
	memcpy(key, origin, ID_LEN);
	s_put64(key + ID_LEN, seq_from);
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->origin, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	for (rc = s_seek_ge(cur, key, sizeof key, true, &k, &v); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ORIGKEY_LEN || memcmp(k.mv_data, origin, ID_LEN) != 0)
			break;
		if (v.mv_size == LKEY_LEN && s_walk_visit(st, txn, s_get64(v.mv_data), fn, arg, &w, &err))
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
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->origin, &cur)) == 0) {
		rc = s_seek_le(cur, key, sizeof key, true, &k, &v);
		if (rc == 0 && k.mv_size == ORIGKEY_LEN && memcmp(k.mv_data, origin, ID_LEN) == 0)
			*last = s_get64((uint8_t *)k.mv_data + ID_LEN);
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc == 0 && memcmp(origin, st->node, ID_LEN) == 0 &&
	    (rc = s_get_own_seq(st, txn, &own)) == 0 && own > *last)
		*last = own;
	mdb_txn_abort(txn);
	return rc == 0 ? STORE_OK : s_err(st, rc, "last seq");
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
	struct s_walk w = {limit, 0, false};
	uint64_t *lk = NULL;
	size_t kl, n = 0, cnt = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, err;

	if (st == NULL || value == NULL || len == 0)
		return STORE_E_INVAL;
	kl = s_ioc_key(value, len, key);
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	/* Entries sort by origin, not by age: gather the local keys, newest
	 * first (8 bytes per message carrying the indicator). */
	k = s_val(key, kl);
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0 &&
	    (rc = mdb_cursor_count(cur, &cnt)) == 0 && (lk = malloc(cnt * sizeof *lk)) == NULL)
		err = STORE_E_NOMEM;
	for (; rc == 0 && err == STORE_OK && n < cnt; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		uint64_t l = v.mv_size == IOCVAL_LEN ? s_get64((uint8_t *)v.mv_data + ID_LEN) : 0;
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
	kl = s_ioc_key(value, len, key);
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ioc, &cur)) == 0) {
		k = s_val(key, kl);
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0)
			rc = mdb_cursor_count(cur, &m);
		/* One step per origin: from an origin's first entry to the
		 * first entry past its largest possible one. */
		while (rc == 0 && v.mv_size == IOCVAL_LEN) {
			o++;
			memcpy(next, v.mv_data, ID_LEN);
			memset(next + ID_LEN, 0xff, LKEY_LEN);
			v = s_val(next, sizeof next);
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return s_err(st, rc, "count indicator");
	if (messages != NULL)
		*messages = m;
	if (origins != NULL)
		*origins = o;
	return STORE_OK;
}

int
store_by_ref(struct store *st, const uint8_t id[32], size_t limit, store_item_fn fn, void *arg)
{
	struct s_walk w = {limit, 0, false};
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = s_val(id, ID_LEN), v;
	int rc, err;

	if (st == NULL || id == NULL)
		return STORE_E_INVAL;
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_cursor_open(txn, st->ref, &cur)) != 0)
		return s_walk_end(st, txn, NULL, rc, err, &w);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size == LKEY_LEN && s_walk_visit(st, txn, s_get64(v.mv_data), fn, arg, &w, &err))
			break;
	}
	return s_walk_end(st, txn, cur, rc, err, &w);
}

/* Delete the dup (key, val); a missing one is no error. */
static int
s_del_dup(struct store *st, MDB_txn *txn, MDB_dbi dbi, const void *key, size_t kl,
          const uint8_t lk[8], const char *what)
{
	MDB_val k = s_val(key, kl), v = s_val(lk, LKEY_LEN);
	int rc = mdb_del(txn, dbi, &k, &v);

	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : s_err(st, rc, what);
}

/* Delete the origin, ref and indicator entries of one message. */
static int
s_unindex(struct store *st, MDB_txn *txn, const struct store_rec *r, const uint8_t lk[8])
{
	uint8_t ok[ORIGKEY_LEN], key[IOCKEY_MAX], iv[IOCVAL_LEN];
	int err;

	memcpy(ok, r->origin, ID_LEN);
	s_put64(ok + ID_LEN, r->seq);
	if ((err = s_del_dup(st, txn, st->origin, ok, sizeof ok, lk, "delete origin")) != STORE_OK)
		return err;
	if (r->ref != NULL &&
	    (err = s_del_dup(st, txn, st->ref, r->ref, ID_LEN, lk, "delete ref")) != STORE_OK)
		return err;
	s_ioc_val(iv, r->origin, s_get64(lk));
	for (size_t i = 0; i < r->nioc; i++) {
		MDB_val k, v = s_val(iv, sizeof iv);
		size_t kl;
		int rc;

		if (r->ioc == NULL || r->ioc[i].value == NULL || r->ioc[i].len == 0)
			break;
		kl = s_ioc_key(r->ioc[i].value, r->ioc[i].len, key);
		k = s_val(key, kl);
		/* Not found: the value came twice in this message. */
		if ((rc = mdb_del(txn, st->ioc, &k, &v)) != 0 && rc != MDB_NOTFOUND)
			return s_err(st, rc, "delete indicator");
	}
	return STORE_OK;
}

/* Remove message lkey, whose time entry cur is on (and deletes), unless the
 * index function marks it keep: then *kept is set and nothing changes. */
static int
s_remove(struct store *st, MDB_txn *txn, MDB_cursor *cur, const uint8_t id[32], uint64_t lkey,
         bool *kept)
{
	uint8_t lk[LKEY_LEN];
	MDB_val k, v;
	struct store_rec rec;
	size_t len = 0;
	bool found, decoded = false;
	int rc, err = STORE_OK;

	*kept = false;
	s_put64(lk, lkey);
	k = s_val(lk, sizeof lk);
	if ((rc = mdb_get(txn, st->msg, &k, &v)) != 0 && rc != MDB_NOTFOUND)
		return s_err(st, rc, "get message");
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
		err = s_err(st, rc, "delete time");
	if (err == STORE_OK) {
		k = s_val(id, ID_LEN);
		rc = mdb_get(txn, st->id, &k, &v);
		if (rc == 0 && v.mv_size == LKEY_LEN && memcmp(v.mv_data, lk, LKEY_LEN) == 0)
			rc = mdb_del(txn, st->id, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			err = s_err(st, rc, "delete id");
	}
	if (err == STORE_OK && decoded)
		err = s_unindex(st, txn, &rec, lk);
	else if (err == STORE_OK && found)
		log_warnx("store: expire: message %" PRIu64 " does not decode; its origin, ref and "
		          "indicator entries stay (run a store check)",
		          lkey);
	pthread_mutex_unlock(&st->index_lock);
	if (err != STORE_OK || !found)
		return err;

	k = s_val(lk, sizeof lk);
	if ((rc = mdb_del(txn, st->msg, &k, NULL)) != 0)
		return s_err(st, rc, "delete message");
	return STORE_OK;
}

int
store_expire(struct store *st, uint64_t cutoff_ms, size_t max_per_txn, size_t *removed)
{
	/* The time key of the last message kept: the walk goes on after it. */
	uint8_t resume[TIMEKEY_LEN];
	bool resuming = false;

	if (removed != NULL)
		*removed = 0;
	if (st == NULL || removed == NULL || st->index == NULL)
		return STORE_E_INVAL;
	if (max_per_txn == 0)
		max_per_txn = EXPIRE_DEFAULT;

	for (bool done = false; !done;) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		size_t n = 0;
		int rc, err = STORE_OK;

		if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
			return s_err(st, rc, "begin write transaction");
		if ((rc = mdb_cursor_open(txn, st->time, &cur)) != 0) {
			mdb_txn_abort(txn);
			return s_err(st, rc, "open cursor");
		}
		while (n < max_per_txn) {
			uint8_t id[ID_LEN];
			uint64_t lkey;
			bool kept;

			if (!resuming)
				rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			else {
				k = s_val(resume, sizeof resume);
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
				err = s_err(st, rc, "walk time index");
				break;
			}
			if (k.mv_size != TIMEKEY_LEN || v.mv_size != LKEY_LEN) {
				log_warnx("store: expire: deleting a malformed time index entry");
				if ((rc = mdb_cursor_del(cur, 0)) != 0) {
					err = s_err(st, rc, "delete time");
					break;
				}
				continue;
			}
			if (s_get64(k.mv_data) >= cutoff_ms) {
				done = true;
				break;
			}
			memcpy(id, (uint8_t *)k.mv_data + 8, ID_LEN);
			lkey = s_get64(v.mv_data);
			memcpy(resume, k.mv_data, sizeof resume);
			if ((err = s_remove(st, txn, cur, id, lkey, &kept)) != STORE_OK)
				break;
			if (kept)
				resuming = true;
			else
				n++;
		}
		mdb_cursor_close(cur);
		if (err != STORE_OK) {
			mdb_txn_abort(txn);
			return err;
		}
		if ((rc = mdb_txn_commit(txn)) != 0)
			return s_err(st, rc, "commit expiry");
		*removed += n;
	}
	return STORE_OK;
}

/*
 * store_check.  Pass 1 walks the messages and looks up every index entry
 * each one implies; pass 2 walks every lkey-valued index, finding entries
 * whose message is missing, and compares counts (entries implied are all
 * present and as many as there are: the sets are equal); the indicator
 * index, whose values are origin || lkey, is walked the same way with the
 * origin checked too.
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
	uint64_t own; /* the highest seq of this node's own */
	const struct store_ioc **iocs;
	size_t ciocs;
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

/* The index of origin o in c->orig, added when new; -1 when out of memory. */
static long
s_origin_index(struct s_check *c, const uint8_t o[ID_LEN])
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
	MDB_val k = s_val(key, kl), v = s_val(val, vl);
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
	return rc == 0 ? STORE_OK : s_err(c->st, rc, "check");
}

/* Pass 1 for one message, its rec extracted. */
static int
s_check_msg(struct s_check *c, uint64_t lkey, const uint8_t h[ID_LEN], const struct store_rec *r)
{
	struct store *st = c->st;
	uint8_t lk[LKEY_LEN], tk[TIMEKEY_LEN], ok[ORIGKEY_LEN], key[IOCKEY_MAX], iv[IOCVAL_LEN];
	char show[64];
	size_t nd = 0;
	long oi;
	int rc, err;

	s_put64(lk, lkey);
	if (memcmp(r->id, h, ID_LEN) != 0)
		return s_fail(c, "message %" PRIu64 ": id is not the hash of its bytes", lkey);
	s_put64(tk, r->time);
	memcpy(tk + 8, r->id, ID_LEN);
	memcpy(ok, r->origin, ID_LEN);
	s_put64(ok + ID_LEN, r->seq);
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
	for (size_t i = 0; i < r->nioc; i++) {
		size_t kl;

		if (i > 0 && s_ioc_cmp(&c->iocs[i - 1], &c->iocs[i]) == 0)
			continue;
		kl = s_ioc_key(c->iocs[i]->value, c->iocs[i]->len, key);
		s_ioc_val(iv, r->origin, lkey);
		if ((rc = s_has(c, st->ioc, true, key, kl, iv, sizeof iv)) == MDB_NOTFOUND)
			return s_fail(c, "message %" PRIu64 ": indicator %s is not indexed", lkey,
			              s_show(show, sizeof show, key, kl));
		if (rc != 0)
			return s_err(st, rc, "check");
		nd++;
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
		return s_err(st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && err == STORE_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct store_rec rec;
		const uint8_t *bytes = (const uint8_t *)v.mv_data + HDR_LEN;
		uint64_t lkey;

		if (k.mv_size != LKEY_LEN) {
			err = s_fail(c, "a message key of %zu bytes", k.mv_size);
			break;
		}
		lkey = s_get64(k.mv_data);
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
		err = s_err(st, rc, "check");
	if (err == STORE_OK) {
		uint64_t own;
		if ((rc = s_get_own_seq(st, c->txn, &own)) != 0)
			err = s_err(st, rc, "check");
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
		return s_err(c->st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		n++;
		if (v.mv_size != LKEY_LEN || s_find_lkey(c, s_get64(v.mv_data)) < 0) {
			err = s_fail(c, "%s entry %s points to a missing message", name,
			             s_show(show, sizeof show, k.mv_data, k.mv_size));
			break;
		}
	}
	mdb_cursor_close(cur);
	if (err != STORE_OK)
		return err;
	if (rc != MDB_NOTFOUND)
		return s_err(c->st, rc, "check");
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
		return s_err(c->st, rc, "check");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		long i = v.mv_size == IOCVAL_LEN
		                 ? s_find_lkey(c, s_get64((uint8_t *)v.mv_data + ID_LEN))
		                 : -1;
		n++;
		if (i < 0 || memcmp(c->orig[c->lorig[i]], v.mv_data, ID_LEN) != 0) {
			err = s_fail(c, "ioc entry %s points to a missing message or names "
			                "another origin",
			             s_show(show, sizeof show, k.mv_data, k.mv_size));
			break;
		}
	}
	mdb_cursor_close(cur);
	if (err != STORE_OK)
		return err;
	if (rc != MDB_NOTFOUND)
		return s_err(c->st, rc, "check");
	if (n != c->nioc)
		return s_fail(c, "ioc holds %" PRIu64 " entries, the messages imply %" PRIu64, n,
		              c->nioc);
	return STORE_OK;
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
	if ((e = s_rbegin(st, &c.txn)) != STORE_OK)
		return e;
	if ((e = s_check_pass1(&c)) == STORE_OK &&
	    (e = s_check_index(&c, st->id, "id", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->time, "time", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->origin, "origin", c.nmsg)) == STORE_OK &&
	    (e = s_check_index(&c, st->ref, "ref", c.nref)) == STORE_OK)
		e = s_check_ioc(&c);
	mdb_txn_abort(c.txn);
	free(c.orig);
	free(c.osorted);
	free(c.lkeys);
	free(c.lorig);
	free(c.iocs);
	return e;
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
	k = s_val(name, strlen(name));
	v = s_val(blob, n);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return s_err(st, rc, "begin write transaction");
	if ((rc = mdb_put(txn, st->peer, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return s_err(st, rc, "put peer");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return s_err(st, rc, "commit peer");
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
	k = s_val(name, strlen(name));
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_get(txn, st->peer, &k, &v)) != 0)
		err = s_err(st, rc, "get peer");
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

int
store_peer_del(struct store *st, const char *name)
{
	MDB_txn *txn;
	MDB_val k;
	int rc;

	if (st == NULL || !s_name_valid(st, name))
		return STORE_E_INVAL;
	k = s_val(name, strlen(name));
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return s_err(st, rc, "begin write transaction");
	if ((rc = mdb_del(txn, st->peer, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return s_err(st, rc, "delete peer");
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return s_err(st, rc, "commit peer");
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
	if ((err = s_rbegin(st, &txn)) != STORE_OK)
		return err;
	if ((rc = mdb_stat(txn, st->msg, &ms)) != 0)
		goto out;
	s->messages = ms.ms_entries;
	if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
		goto out;
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == 0 && k.mv_size == LKEY_LEN)
		s->last_lkey = s_get64(k.mv_data);
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
	return rc == 0 ? STORE_OK : s_err(st, rc, "stats");
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
		err = s_err(st, rc, "backup");
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
