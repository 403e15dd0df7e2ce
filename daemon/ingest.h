/*
 * ingest — the one path by which messages enter the store.
 *
 * Three stages, the last two on threads of their own, joined by bounded
 * queues so that a flood blocks its submitter (back-pressure) instead of
 * growing memory:
 *
 *   submitter (caller) --> verifier: decode, limits, accept check,
 *                          signature, index fields --> writer: group commit
 *                          of up to batch_max messages per LMDB write
 *                          transaction --> results (caller)
 *
 * Verification, the costly step, runs on one thread per core beside the
 * single LMDB writer, so that a backlog uses every core; the writer then
 * takes the share that commits need.  A result is produced only after its message's
 * transaction has committed, so a caller that forwards on "stored" never
 * forwards what a crash could lose.
 */
#ifndef SOCMESH_INGEST_H
#define SOCMESH_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iocseal.h"
#include "keyspace.h"
#include "msg.h"
#include "store.h"

struct ingest;

/*
 * Optional acceptance check, called on the verifier thread after decoding
 * and before the signature is verified (cheap rejections first): return 0
 * to accept, or a negative code of the caller's own that is passed back in
 * the result.  Must be thread-safe with respect to what it reads.
 */
typedef int (*ingest_check_fn)(void *arg, const struct msg *m, void *tag);

#define INGEST_VERIFIERS_MAX 8

struct ingest_cfg {
	size_t max_size;    /* message size limit, 0 = MSG_MAX_SIZE_DEFAULT */
	size_t queue;       /* bound of each queue, default 8192 */
	size_t queue_bytes; /* and of the message bytes waiting to be
	                       verified, default 16 MiB */
	size_t verifiers;   /* verifier threads, default one per online CPU
	                      (at most INGEST_VERIFIERS_MAX) */
	size_t batch_max;   /* messages per write transaction, default 4096:
	                       a commit's cost is mostly its sync and the
	                       index pages it rewrites, which larger batches
	                       share (bench_ingest, about 70 index keys a
	                       message, their puts sorted: 8,100/s at 4096,
	                       5,400/s at 1024, no better at 8192).  Only a
	                       backlog fills a batch: a message alone is
	                       committed alone */
	ingest_check_fn check;
	void *check_arg;
	/* This node's id (required): an addressed message that names neither
	 * it as a recipient nor as the origin is never stored (PROTOCOL.md,
	 * section 7), whatever the check says. */
	const uint8_t *self;
	/* The node's index key and secret key (borrowed; NULL: none): the
	 * indicators of addressed messages are indexed sealed (iocseal.h). */
	struct iocseal *seal;
	/* Results hand the bytes of a stored message back (bytes, len),
	 * for the caller to push without reading them from the store again,
	 * and to free(); otherwise the ingest frees them. */
	bool keep_bytes;
};

enum ingest_status {
	INGEST_STORED = 0,    /* new, committed */
	INGEST_DUP = 1,       /* already in the store: a no-op */
	INGEST_E_DECODE = -1, /* `err` holds the msg_err */
	INGEST_E_CHECK = -2,  /* `err` holds the check function's code */
	INGEST_E_SIG = -3,
	INGEST_E_STORE = -4, /* `err` holds the store_err (e.g. STORE_E_FULL) */
};

struct ingest_result {
	enum ingest_status status;
	int err;
	uint8_t id[MSG_ID_LEN]; /* valid once decoded */
	enum msg_kind kind;     /* valid once decoded */
	void *tag;              /* as submitted */
	uint8_t *bytes;         /* INGEST_STORED with cfg.keep_bytes: the message
	                           (the caller frees it); else NULL */
	size_t len;
};

/*
 * Starts the threads on st, which must outlive the ingest.  The cfg is
 * copied (cfg->self is borrowed).  Caller owns the result:
 * ingest_destroy().  NULL on failure (errno set; EINVAL without self).
 */
struct ingest *ingest_new(struct store *st, const struct ingest_cfg *cfg);

/*
 * The store record of a decoded message whose bytes are `bytes`: ids,
 * time, ref (pointing into m), and the keys it is indexed under, built in
 * k (keyspace.h; rec points into k until k changes): a clear or green
 * body's keys as they are; those of an addressed body that seal opens
 * here, sealed (iocseal_seal()); none for an addressed body that does not
 * open, or without seal.  A body opened for the call is closed after it.
 * 0, or -1 when out of memory (rec then has no keys).
 */
int ingest_rec(struct store_rec *rec, struct ks_keys *k, struct iocseal *seal, struct msg *m,
    const uint8_t *bytes, size_t len);

/* The same without keys (rec->nioc 0): what the envelope says. */
void ingest_rec_head(struct store_rec *rec, const struct msg *m, const uint8_t *bytes, size_t len);

/*
 * Commits everything submitted, stops the threads and frees everything;
 * results not collected are dropped.  NULL-safe, sets *ip = NULL.
 */
void ingest_destroy(struct ingest **ip);

/*
 * Queues one message.  Takes ownership of bytes (malloc'd, freed by the
 * ingest).  Blocks while the first queue is full.  0, or -1 after
 * ingest_destroy() has begun (bytes freed anyway).
 */
int ingest_submit(struct ingest *in, uint8_t *bytes, size_t len, void *tag);

/*
 * Moves up to max finished results into out, oldest first, without
 * blocking; returns how many.  Results wait in a list that only the caller
 * empties: bound what is in flight (submitted, not yet collected) on the
 * caller's side.  ingest_fd() is readable while results wait, for poll()
 * or zloop.
 */
size_t ingest_results(struct ingest *in, struct ingest_result *out, size_t max);
int ingest_fd(const struct ingest *in);

/* Blocks until every message submitted so far has a result waiting. */
void ingest_wait(struct ingest *in);

#endif
