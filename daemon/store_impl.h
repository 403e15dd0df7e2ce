/*
 * store_impl — what store.c and store_check.c share, and nothing else
 * includes: the layout constants, struct store, and the few helpers both
 * use.  The layout itself is described in store.h.
 */
#ifndef SOCMESH_STORE_IMPL_H
#define SOCMESH_STORE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "store.h"

#define ID_LEN       32
#define LKEY_LEN     8
#define HDR_LEN      8 /* received ms before the message bytes */
#define TIMEKEY_LEN  (8 + ID_LEN)
#define ORIGKEY_LEN  (ID_LEN + 8)
#define IOCKEY_MAX   STORE_IOC_RAW_MAX
#define ONUM_LEN     4 /* an origin's number ("onum", store.h) */
#define IOCVAL_LEN   (ONUM_LEN + LKEY_LEN)
#define COUNTKEY_MAX (1 + ID_LEN + 3)

/* The classes of "counts" keys: one byte, then the TLP or kind (1 byte)
 * or the origin (32), or for a source's figure the origin, the figure
 * and its two bytes (store.h). */
#define COUNT_TLP    't'
#define COUNT_KIND   'k'
#define COUNT_ORIGIN 'o'
#define COUNT_SOURCE 's'

struct store {
	MDB_env *env;
	MDB_dbi msg, id, time, origin, ioc, ref, peer, meta, counts, source, onum;
	uint8_t node[ID_LEN];
	uint64_t limit; /* map size in effect, for the "full" message */
	uint8_t *xbuf;  /* store_expire's copy of a message */
	size_t xcap;
	store_index_fn index;
	void *index_arg;
	pthread_mutex_t index_lock; /* the index function keeps one rec */
};

static inline MDB_val
store_val(const void *p, size_t n)
{
	MDB_val v = { n, (void *)(uintptr_t)p };
	return v;
}

/* Big-endian integers, as every key and value holds them. */
void store_put64(uint8_t *p, uint64_t v);
uint64_t store_get64(const void *p);
void store_put32(uint8_t *p, uint32_t v);
uint32_t store_get32(const void *p);

/* An LMDB or errno code as a store_err, the detail logged with what. */
int store_lmdb_err(const struct store *st, int rc, const char *what);

/* A read-only transaction: STORE_OK or an error. */
int store_rbegin(struct store *st, MDB_txn **txn);

/* The "ioc" key of an indicator value (its length returned), and the value
 * of its entry for message lkey of the origin numbered num. */
size_t store_ioc_key(const char *value, size_t len, uint8_t key[IOCKEY_MAX]);
void store_ioc_val(uint8_t out[IOCVAL_LEN], const uint8_t num[ONUM_LEN], uint64_t lkey);

/* The number of origin ("onum") into num: STORE_OK, STORE_E_NOTFOUND when
 * it has none, or an error.  With add, in a write transaction, an origin
 * without one is given the next (meta "onum"). */
int store_onum(struct store *st, MDB_txn *txn, const uint8_t origin[ID_LEN], bool add,
    uint8_t num[ONUM_LEN]);

/* The origin numbered num: STORE_OK, STORE_E_NOTFOUND, or an error. */
int store_onum_origin(struct store *st, MDB_txn *txn, const uint8_t num[ONUM_LEN],
    uint8_t origin[ID_LEN]);

/* The highest own seq in meta (0 when none): 0 or an LMDB error. */
int store_own_seq_get(struct store *st, MDB_txn *txn, uint64_t *seq);

/* Whether the "counts" database is kept (meta "counts"): 0 or an LMDB
 * error. */
int store_counts_kept(struct store *st, MDB_txn *txn, bool *counted);

/* The "counts" key of class (COUNT_*) and what (1 byte, or 32 for an
 * origin); its length. */
size_t store_count_key(uint8_t key[COUNTKEY_MAX], int cls, const uint8_t *what);

#endif
