/*
 * store — the node's message store: one LMDB environment in the node
 * directory, with the messages and the indexes that queries, gossip and
 * retention need (DESIGN.md, "Store").
 *
 * Layout (named databases; integers are big-endian so that byte order is
 * numeric order):
 *
 *   msg     lkey (8)                 -> received ms (8) || message bytes
 *   id      id (32)                  -> lkey
 *   time    time ms (8) || id (32)   -> lkey
 *   origin  origin (32) || seq (8)   -> lkey     (dupsort)
 *   ioc     ioc key                  -> onum (4) || lkey (8)   (dupsort:
 *           sorted by the origin's number, so the distinct origins of an
 *           indicator are counted by jumping from one origin's entries to
 *           the next); the keys are indicator values, sealed keys (0xff,
 *           iocseal.h) and the derived keys of daemon/keyspace.h (a byte
 *           below 0x20 first), all given by the index function
 *   onum    origin (32) -> onum (4), and onum (4) -> origin (32): the
 *           number "ioc" names an origin by (12-byte entries instead of
 *           40), from 1, given when its first message is indexed and never
 *           taken back
 *   ref     referenced id (32)       -> lkey     (dupsort)
 *   peer    peer name                -> opaque blob
 *   source  BLAKE2b-256 of a source -> message id (32): what an import
 *           published from a document's object (store_source_put())
 *   counts  't' tlp (1) | 'k' kind (1) | 'o' origin (32) -> messages (8):
 *           how many stored messages have that TLP, kind or origin
 *           (store_rec's); a counter that reaches 0 is deleted;
 *           's' origin (32) figure (1) a (1) b (1) -> n (8): the figures
 *           of a source (store_sources()), one origin's together:
 *             'c' tlp kind: stored messages of that TLP and kind (kept
 *                 for tlp < STORE_SRC_TLPS and kind < STORE_SRC_KINDS)
 *             'd' bucket 0: messages received with that delay bucket
 *             'x' 0 0: messages whose creation time lies in the future
 *             's' 0 0: sightings by other origins of its messages
 *             'i' 0 0: messages of other origins carrying an indicator
 *                 it had reported
 *             'f' 0 0: its messages that set status false-positive
 *             'l' 0 0: the latest receipt time (ms) of one of its messages
 *           'c' counts the stored messages, as 'o' does: it moves at
 *           commit and at expiry.  The others count what the node
 *           received since it keeps them and never go down: a message
 *           that expires stays in them.
 *   meta    "schema" -> 1 (4), "node" -> node id (32), "seq" -> the highest
 *           seq (8) of this node's own messages ever stored, "lkey" -> the
 *           highest local key (8) ever given, "counts" -> 2 (4) when
 *           "counts" is kept (its version), "gaps" -> first (8) || last (8), once per
 *           restore that lost messages, ascending: local keys of a
 *           replaced store's history that this one cannot honour as
 *           cursors (store_raise_lkey()), "index" -> STORE_INDEX_VERSION (4):
 *           the version of the entries in "ioc" (a lower one is indexed
 *           again at open), "onum" -> the last origin number given (4)
 *
 * The local key (lkey) numbers messages in the order they were stored,
 * from 1, so that "msg" is written by appending: the next is one past the
 * highest ever given (meta "lkey"), so a key never comes again, not even
 * after the newest messages expired.  It is the cursor of a client that
 * follows what is committed (store_after()): "everything up to this
 * local key was delivered".  The counters change in the write
 * transaction that stores or removes the messages, so that they are always
 * exact; a store written before they existed has no meta "counts", and the
 * first store_open() with an index function counts its messages once (one
 * pass, logged; the counts of version 1, without the sources' figures,
 * are counted again the same way: confirmations start at 0 then, as
 * they need the order in which messages came).  The ioc key of a
 * normalized indicator value is the value itself, or, when it is longer than
 * 480 bytes (or starts with a NUL byte), the byte 0x00 followed by the
 * BLAKE2b-256 of the value: no key ever exceeds LMDB's maximum.  A value
 * that starts with STORE_IOC_SEALED (0xff, which no normalized value
 * does) is a sealed key, kept as it is: the indicator of an addressed
 * message under a keyed hash (daemon/iocseal.h), which only an index
 * function that holds the node's keys computes.  store_check() verifies
 * those the index function gives, and that every entry points to its
 * message, but does not count sealed entries against the messages.
 *
 * A message's id is the BLAKE2b-256 (crypto_generichash, 32 bytes, no key)
 * of its complete bytes, as proto/msg.c computes it; store_put_batch()
 * refuses a record whose id is not, and queries that find messages through
 * an index without the id in it hash the bytes to give the id.
 *
 * Threads.  The environment is opened with MDB_NOTLS: every function may be
 * called from any thread, and reads run in their own read-only transaction
 * that never blocks the writer.  Writes (store_put_batch, store_expire,
 * store_peer_put/del) are serialized by LMDB's writer lock; keep them on one
 * thread so that the event loop never waits for another writer.  Never use
 * a store across fork(): open it in the process that uses it.  A directory
 * may be open at most once per process (LMDB's rule), but by several
 * processes at once (the CLI next to the daemon), given the same size limit.
 *
 * Callbacks (store_item_fn) run inside the read transaction: everything in
 * the item is borrowed, valid until the callback returns — copy what must
 * outlive it.  Keep callbacks short; a long read transaction keeps the pages
 * it sees from being reused.  A callback may call other store functions.
 *
 * Errors are STORE_OK or a negative enum store_err; store_strerror() gives
 * the human string, and the LMDB detail behind an error goes to the log
 * (log_warnx).  An index entry that points to a missing message (see
 * store_check) is logged and skipped by queries, never a crash.
 */
#ifndef SOCMESH_STORE_H
#define SOCMESH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA        1
/* The version of the entries of "ioc": the keys the daemon's index
 * function gives (its indicators and the derived keys of
 * daemon/keyspace.h) and their values; raised with every change of them,
 * so that a store indexed before is indexed again, once, when it is
 * opened (meta "index").  3: values name the origin by its number. */
#define STORE_INDEX_VERSION 3
#define STORE_IOC_RAW_MAX   480  /* longer indicator values are keyed by hash */
#define STORE_IOC_SEALED    0xff /* the first byte of a sealed key */

struct store;

enum store_err {
	STORE_OK = 0,
	STORE_DUP = 1,        /* per-record result only: id already stored */
	STORE_E_FULL = -1,    /* the size limit is reached; nothing written */
	STORE_E_IO = -2,      /* LMDB or system error; details in the log */
	STORE_E_CORRUPT = -3, /* not an LMDB file, or indexes disagree */
	STORE_E_NODE = -4,    /* the store belongs to another node id */
	STORE_E_VERSION = -5, /* other schema, or other LMDB data format */
	STORE_E_INVAL = -6,   /* invalid argument */
	STORE_E_NOTFOUND = -7,
	STORE_E_NOMEM = -8,
	STORE_E_LOST = -9, /* a cursor not from this store's history */
};

/*
 * The human string for err ("store full: the size limit of 1048576 bytes is
 * reached (raise store_size in socmesh.conf)").  The size in the
 * STORE_E_FULL string is that of the store that last reported full.  The
 * result is static or thread-local: valid until the next call in the same
 * thread.
 */
const char *store_strerror(int err);

/* A normalized indicator value (ioc_normalize): borrowed. */
struct store_ioc {
	const char *value;
	size_t len;
};

/* What the store keeps and indexes for one message; everything borrowed. */
struct store_rec {
	uint8_t id[32]; /* BLAKE2b-256 of bytes */
	uint8_t origin[32];
	uint64_t seq;
	uint64_t time;      /* ms since the epoch: creation time */
	const uint8_t *ref; /* 32 bytes, or NULL */
	size_t nioc;        /* a value given twice is indexed once */
	const struct store_ioc *ioc;
	const uint8_t *bytes; /* the complete signed message */
	size_t len;
	uint8_t tlp, kind;   /* counted as they are (store_counts()); the index
	                         function must give what was given to
	                         store_put_batch() */
	bool keep;           /* never removed by store_expire() (a message the
	                         node keeps in force whatever its age: a roster);
	                         read from the index function only */
	bool sighting;       /* a sighting: it confirms the message of ref */
	bool false_positive; /* it sets its case's status false-positive */
	bool head;           /* set by the store before it calls the index
	                        function when it needs the envelope alone
	                        (id, origin, seq, time, tlp, kind, ref): the
	                        function may then leave out the keys */
};

/*
 * Extract the rec of a stored message (the daemon decodes it).  Called by
 * store_expire() to find the index entries to delete and by store_check()
 * to verify them, under a lock of the store's, so never twice at once.
 * bytes are borrowed for the call; rec and what it points to must stay
 * valid until the next call.  Return 0, or -1 when the bytes do not decode
 * (store_expire then removes the message from "msg", "id" and "time" only
 * and logs a warning; store_check reports corruption).
 */
typedef int (*store_index_fn)(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec);

/*
 * Open (creating when missing) the store in directory dir: the directory
 * itself is created with mode 0700 if it does not exist (not its parents),
 * data.mdb and lock.mdb with 0600.  node_id is this node's id: written into
 * a new store; an existing store with another id fails STORE_E_NODE, one of
 * another schema STORE_E_VERSION, a file that is not an LMDB environment
 * STORE_E_CORRUPT.
 *
 * size_limit (bytes, > 0) is the map size: the store's size limit.  The file
 * grows as needed up to it; then writes fail STORE_E_FULL.  A limit below
 * what the existing file already uses is raised to that size by LMDB.
 *
 * index_fn and index_arg (borrowed, must outlive the store) extract recs for
 * store_expire() and store_check(); index_fn may be NULL for a store used only
 * to read, put and back up, in which case those two fail STORE_E_INVAL.
 *
 * On success *sp is the store, which the caller owns and closes with
 * store_destroy().  On error *sp is NULL.
 */
int store_open(struct store **sp, const char *dir, const uint8_t node_id[32], uint64_t size_limit,
    store_index_fn index_fn, void *index_arg) __attribute__((warn_unused_result));

/* Close the store; NULL-safe and idempotent; sets *sp to NULL.  No other
 * thread may be using it. */
void store_destroy(struct store **sp);

/*
 * Store n records in one write transaction (a group commit, durable when
 * this returns).  results (n ints, caller's) receives per record STORE_OK
 * (stored) or STORE_DUP (the id is already stored, or repeated earlier in
 * the batch: a no-op).  received_ms goes into each stored value.
 *
 * Returns STORE_OK, or a negative error and then nothing of the batch is
 * stored and results is unspecified: STORE_E_INVAL when an argument or a
 * record is invalid (NULL pointers, empty message or indicator value, an id
 * that is not the BLAKE2b-256 of the bytes), STORE_E_FULL when the size
 * limit is reached (everything stored before stays intact and readable;
 * writing resumes after store_expire() or reopening with a larger limit).
 * n == 0 is a no-op.  recs are only read during the call.
 */
int store_put_batch(struct store *st, const struct store_rec *recs, size_t n, uint64_t received_ms,
    int *results) __attribute__((warn_unused_result));

/* One message, as the query functions show it to their callback.
 * Borrowed: valid only during the callback (inside the read transaction). */
struct store_item {
	const uint8_t *id; /* 32 */
	uint64_t lkey;     /* local key: storage order, from 1 */
	uint64_t received; /* ms, as given to store_put_batch */
	uint64_t time;     /* creation time: set by store_range (from
	                      the time index), 0 elsewhere */
	const uint8_t *bytes;
	size_t len;
};

/* Called once per message; return non-zero to stop after this one (it still
 * counts as visited).  fn may be NULL in every query: it then only counts. */
typedef int (*store_item_fn)(void *arg, const struct store_item *it);

/* Call fn once with message id.  STORE_OK, STORE_E_NOTFOUND when absent, or
 * an error. */
int store_get(struct store *st, const uint8_t id[32], store_item_fn fn, void *arg);

/* The same for the message whose id begins with the plen (1 to 32) bytes
 * at prefix: the first such id in byte order when several do. */
int
store_get_prefix(struct store *st, const uint8_t *prefix, size_t plen, store_item_fn fn, void *arg);

/*
 * The stored ids from lo to hi (inclusive, byte order), ascending: at most
 * max into ids (ids may be NULL when max is 0), and their number, up to
 * max + 1 (so that "more than max" can be told), into *n.  One seek in the
 * id index, then one step per id: an id prefix is resolved with lo the
 * prefix followed by 0x00 bytes and hi the prefix followed by 0xff bytes.
 * STORE_OK or an error.
 */
int store_id_range(struct store *st, const uint8_t lo[32], const uint8_t hi[32], uint8_t (*ids)[32],
    size_t max, size_t *n);

/* 1 when id is stored, 0 when not, or a negative error. */
int store_has(struct store *st, const uint8_t id[32]);

/* A position in (time, id) order: a paging cursor. */
struct store_pos {
	uint64_t time;
	uint8_t id[32];
};

/*
 * Messages with from <= time <= to (creation time, inclusive), in (time, id)
 * order, newest first when desc, else oldest first.  When after is not NULL
 * the walk starts strictly after that position (in the walk's direction):
 * pass the previous page's *next to get the next page.  At most limit
 * callbacks (0 = no limit).  *next (if not NULL) receives the position of
 * the last item visited, and is left alone when none was.
 * Returns the number of items visited (>= 0) or a negative error.
 */
int
store_range(struct store *st, uint64_t from, uint64_t to, bool desc, const struct store_pos *after,
    size_t limit, store_item_fn fn, void *arg, struct store_pos *next);

/* Messages of origin with seq >= seq_from, ascending seq (several with one
 * seq in storage order); at most limit (0 = none).  Returns the number
 * visited or a negative error. */
int store_by_origin(struct store *st, const uint8_t origin[32], uint64_t seq_from, size_t limit,
    store_item_fn fn, void *arg);

/*
 * The highest seq stored for origin, 0 when none, into *last.  For this
 * node's own id (node_id at open) it never goes down, expiry included, so
 * that last + 1 is always a fresh seq to publish with.  STORE_OK or an
 * error.
 */
int store_last_seq(struct store *st, const uint8_t origin[32], uint64_t *last);

/* Raise the high-water mark of this node's own seq to seq (never lowers
 * it): a store put back from a backup must not hand out again a seq the
 * node used after the backup.  STORE_OK or an error. */
int store_raise_own_seq(struct store *st, uint64_t seq);

/* The store is this node's under a new id (a key rotation): its meta
 * "node" and the own seq that store_last_seq() adds. */
int store_set_node(struct store *st, const uint8_t node_id[32]);

/*
 * Local keys as cursors.  A cursor is a local key: a client that has
 * been given every message up to it asks for those committed after it.
 * After a restore from a backup (store_raise_lkey()), local keys that the
 * replaced store gave after the backup was taken may be held by clients
 * for messages this store no longer has: such a cursor is "lost", and
 * the client is told where to resume (the backup's highest local key),
 * never silently given a later message under a cursor it already saw.
 */
struct store_cursor {
	uint64_t last;   /* the highest local key ever given (0: none) */
	uint64_t resume; /* STORE_E_LOST: the cursor to ask with instead */
};

/*
 * Messages with a local key above after, in local key order (the order
 * of their commits), at most limit (0 = none); a seek in "msg", then one
 * step per message.  sc (not NULL) receives the highest local key ever
 * given, read in the walk's own transaction: a walk that was not stopped
 * has seen every message up to sc->last, so that sc->last is the cursor
 * to go on from.  Returns the number visited, or STORE_E_LOST when after
 * cannot be honoured: above sc->last (sc->resume = sc->last; the store
 * was replaced by one with a shorter history), or inside a gap left by a
 * restore (sc->resume = the local key just before the gap); or another
 * error.
 */
int store_after(struct store *st, uint64_t after, size_t limit, store_item_fn fn, void *arg,
    struct store_cursor *sc);

/* The highest local key ever given (meta "lkey", or the newest message's
 * if higher) into *last, 0 when none.  STORE_OK or an error. */
int store_last_lkey(struct store *st, uint64_t *last);

/* The cursor after which the messages received after when (ms since the
 * epoch, this node's clock) come, for store_after(): one less than the
 * local key of the first message received later, or the highest local
 * key given when none was.  Receipt times grow with the local keys (both
 * follow the commits), so the key is found by halving: O(log^2 n)
 * seeks at most, never a walk. */
int store_lkey_received(struct store *st, uint64_t when, uint64_t *after);

/* The gap between a restored store's highest local key and that of an
 * unreadable or missing replaced store: a bound on how many messages it
 * can have stored since the backup, never reached in practice. */
#define STORE_LKEY_GAP     (1ull << 32)
#define STORE_LKEY_UNKNOWN UINT64_MAX

/*
 * A store put back from a backup in place of one whose highest local key
 * was replaced (store_last_lkey() of the replaced store; STORE_LKEY_UNKNOWN
 * when it cannot be read or is missing: this store's highest plus
 * STORE_LKEY_GAP is taken).  When that is above this store's highest, B:
 * meta "lkey" is raised to it, so that the next message gets a key no
 * client saw, and the keys from B + 1 to replaced - 1 are recorded as a
 * gap (replaced itself stays a good cursor: a client holding it was given
 * everything the replaced store had, and nothing after it is missing).
 * *resume (may be NULL) receives B when a gap was recorded, else 0.
 * STORE_OK; STORE_E_INVAL when replaced is within STORE_LKEY_GAP of 2^64
 * (no real history); or another error.
 */
int store_raise_lkey(struct store *st, uint64_t replaced, uint64_t *resume);

/*
 * Messages carrying the normalized indicator value (len bytes, len > 0),
 * newest (highest lkey) first, starting strictly below before_lkey (0 = from
 * the newest): pass the last item's lkey to get the next page.  At most
 * limit (0 = none).  Returns the number visited or a negative error.
 */
int store_by_ioc(struct store *st, const char *value, size_t len, uint64_t before_lkey,
    size_t limit, store_item_fn fn, void *arg);

/* How many stored messages carry the indicator value, and from how many
 * distinct origins ("has anyone else seen this?").  Both 0 for an unknown
 * value; STORE_OK or an error. */
int
store_ioc_count(struct store *st, const char *value, size_t len, size_t *messages, size_t *origins);

/* An entry of the indicator index: a message's origin and local key. */
struct store_ref {
	uint8_t origin[32];
	uint64_t lkey;
};

/*
 * The entries of the indicator index under value (len bytes), newest
 * (highest lkey) first, strictly below before_lkey (0 = from the newest):
 * at most max into out, their number into *n, without reading the
 * messages.  One jump per origin that has the value, then two seeks per
 * entry given.  STORE_OK or an error.
 */
int store_ioc_refs(struct store *st, const char *value, size_t len, uint64_t before_lkey,
    struct store_ref *out, size_t max, size_t *n);

/* Whether each of the n entries refs is under value in the indicator
 * index, into has (n booleans), one seek each.  STORE_OK or an error. */
int store_ioc_has(struct store *st, const char *value, size_t len, const struct store_ref *refs,
    size_t n, bool *has);

/* One entry of a key range of the indicator index: its key (klen bytes)
 * and its message.  Both borrowed for the call; non-zero stops the walk. */
typedef int (
    *store_ioc_range_fn)(void *arg, const uint8_t *key, size_t klen, const struct store_item *it);

/*
 * The entries of the indicator index whose keys lie from lo to hi
 * (inclusive, byte order: lolen and hilen bytes, at most
 * STORE_IOC_RAW_MAX), in key order, each key's messages in index order;
 * at most limit (0 = none).  Keys are taken as they are stored: a range
 * of derived keys (keyspace.h), whose bytes are their order, finds what
 * lies between (the addresses inside a network).  One seek, then one
 * step per entry.  Returns the number visited or a negative error.
 */
int store_ioc_range(struct store *st, const uint8_t *lo, size_t lolen, const uint8_t *hi,
    size_t hilen, size_t limit, store_ioc_range_fn fn, void *arg);

/* Messages referring to id (a case's thread), in storage order (oldest
 * received first); at most limit (0 = none).  Returns the number visited
 * or a negative error. */
int store_by_ref(struct store *st, const uint8_t id[32], size_t limit, store_item_fn fn, void *arg);

/*
 * Retention: remove the messages whose creation time is < cutoff_ms with
 * every index entry of theirs, except those whose rec the index function
 * marks keep (they stay, and are looked at again by every later call).
 * Works in write
 * transactions of at most max_per_txn messages (0 = 256), one after the
 * other until done, so that the writer lock is never held long and what
 * was removed stays removed if a later transaction fails.  *removed
 * receives the number removed, also on error.  Needs the index function.
 */
int store_expire(struct store *st, uint64_t cutoff_ms, size_t max_per_txn, size_t *removed);

/*
 * Consistency check in one read transaction (it sees one snapshot and does
 * not block writers, but reads the whole store: run it off the event loop).
 * Verifies that every message decodes (index function) and hashes to its
 * id, that every index entry it implies exists, that every index entry
 * points to an existing message, that the entry counts agree (so that
 * the indexes hold exactly what the messages imply), and that the counters
 * of store_counts() are those of a recount.  Returns STORE_OK, or STORE_E_CORRUPT with a one-line
 * description in err (errlen bytes, NUL-terminated; err may be NULL when
 * errlen is 0), or another error.  Memory: about 12 bytes per message.
 * The same as store_check_each(st, NULL, NULL, err, errlen).
 */
int store_check(struct store *st, char *err, size_t errlen);

/*
 * Judges one stored message beyond what the index function checks (the
 * daemon: its signature).  bytes are borrowed for the call.  0 when good;
 * non-zero when bad, with a short reason in why (whylen bytes), e.g.
 * "signature does not verify".  Called from inside store_check_each()'s
 * read transaction, one message at a time.
 */
typedef int (
    *store_verify_fn)(void *arg, const uint8_t *bytes, size_t len, char *why, size_t whylen);

/*
 * store_check(), and verify(arg, ...) for every message, in local key
 * order (verify may be NULL: store_check()).  The first message that
 * fails is named in err with its local key, its id in hex and the reason:
 * "message 12 (id 3fa0...): signature does not verify" (STORE_E_CORRUPT).
 * The whole check is one read transaction: a long verify (Ed25519: about
 * 15,000 to 22,000 messages a second) keeps the pages it sees from being
 * reused, so that a store written meanwhile grows its file.
 */
int store_check_each(struct store *st, store_verify_fn verify, void *arg, char *err, size_t errlen);

/* Peer state: an opaque blob per peer name (a NUL-terminated string of 1 to
 * 511 bytes).  put replaces; blob is copied (may be NULL when n is 0). */
int store_peer_put(struct store *st, const char *name, const void *blob, size_t n);
/* Copy the blob of name into buf (cap bytes) and set *n to its size.
 * STORE_E_NOTFOUND when absent; when the blob is larger than cap nothing is
 * copied, *n still receives the size and the result is STORE_E_NOMEM
 * (buf may be NULL when cap is 0: a size query). */
int store_peer_get(struct store *st, const char *name, void *buf, size_t cap, size_t *n);
/* STORE_OK, or STORE_E_NOTFOUND when absent. */
int store_peer_del(struct store *st, const char *name);

/* Imports: the message published from a source, a document's object
 * named as common/interop.h says ("stix:ID@MODIFIED"), so that importing
 * it again publishes nothing.  put replaces; get gives STORE_E_NOTFOUND
 * when the source was never published here. */
int store_source_put(struct store *st, const char *source, const uint8_t id[32]);
int store_source_get(struct store *st, const char *source, uint8_t id[32]);

struct store_stats {
	uint64_t messages;
	uint64_t map_size;   /* the size limit in effect */
	uint64_t used_bytes; /* pages in use, free pages excluded */
	uint64_t last_lkey;  /* 0 when empty */
	uint64_t file_bytes; /* pages ever used: the file's high-water mark */
};
int store_stats(struct store *st, struct store_stats *s);

/*
 * The stored messages counted by the tlp, kind and origin of their recs, as
 * the store keeps them (meta "counts"): read in one read transaction, at a
 * cost in the number of origins, not of messages.  messages is the sum of
 * tlp[]; origins the number of distinct origins.
 */
struct store_counts {
	uint64_t messages;
	uint64_t tlp[256], kind[256];
	uint64_t origins;
};

/* Called once per origin with its count, in byte order of the origins;
 * non-zero stops the calls (the counts are still complete). */
typedef int (*store_origin_fn)(void *arg, const uint8_t origin[32], uint64_t messages);

/*
 * The counts into *out, and fn(arg, ...) for every origin (fn may be NULL).
 * STORE_OK; STORE_E_NOTFOUND when the store keeps no counts yet (written
 * before them and opened since only without an index function), *out then
 * zero; or another error.
 */
int store_counts(struct store *st, struct store_counts *out, store_origin_fn fn, void *arg);

/*
 * The figures of a source: an origin as this node sees it (the layout's
 * 's' counters).  messages[tlp][kind] counts its stored messages (they
 * go down at expiry); the rest counts what was received since the node
 * keeps them (they never go down).  delay[] is a histogram of receipt
 * time less creation time, the creation time being the origin's own
 * claim: a claim in the future of its receipt counts as 0 and in
 * future.  Bucket 0 holds delays under 1 s; bucket b (1 <= b <
 * STORE_DELAY_BUCKETS - 1) those from 2^(b-1) s up to 2^b s; the last
 * one those of 2^22 s (48.5 days) and more.  confirmed_cases counts the
 * sightings by other origins of any of its messages (counted when the
 * sighting is stored after the message it refers to); confirmed_iocs
 * the messages of other origins that carry an indicator in clear (not
 * a sealed or derived key) it had reported in a message still stored,
 * once per message and source.
 */
#define STORE_SRC_TLPS      8
#define STORE_SRC_KINDS     16
#define STORE_DELAY_BUCKETS 24
struct store_source {
	const uint8_t *origin; /* 32 bytes, borrowed */
	uint64_t messages[STORE_SRC_TLPS][STORE_SRC_KINDS];
	uint64_t delay[STORE_DELAY_BUCKETS];
	uint64_t future, confirmed_cases, confirmed_iocs, false_positives;
	uint64_t last_active; /* ms; 0 when none */
};

/* Called once per origin, in byte order of the origins; non-zero stops. */
typedef int (*store_source_fn)(void *arg, const struct store_source *s);

/*
 * fn(arg, ...) for every source, in one read transaction, at a cost in
 * the number of origins (a few dozen counters each).  STORE_OK;
 * STORE_E_NOTFOUND when the store keeps no counts yet; or another error.
 */
int store_sources(struct store *st, store_source_fn fn, void *arg);

/*
 * The delay below which pct percent (1 to 100) of s's messages came, as
 * the upper bound in ms of the histogram bucket that holds it (the last
 * bucket gives its lower bound, 2^22 s); 0 when s has no delays.
 */
uint64_t store_delay_quantile(const struct store_source *s, unsigned pct);

/*
 * Hot backup: a compacted copy (mdb_env_copyfd2, MDB_CP_COMPACT) of the
 * store as it is at the start of the call, written to a new path.XXXXXX, synced,
 * read back (its message count into *messages) and renamed to the file path
 * (mode 0600), replacing it.  Writers go on meanwhile.  To restore, put the
 * file as data.mdb in an empty directory (node_restore() does, with checks).
 * STORE_E_CORRUPT when the copy cannot be read back; STORE_E_IO with errno
 * set when a file operation failed.
 */
int store_backup(struct store *st, const char *path, uint64_t *messages);

#endif
