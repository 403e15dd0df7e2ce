/*
 * node — one node directory opened: configuration, identity, trust list
 * and store, and the operations that need all of them (publish a message
 * as this node, accept one from outside).  Shared by socmeshd and the
 * socmesh CLI.  Layout of the directory: docs/CONFIG.md.
 */
#ifndef SOCMESH_NODE_H
#define SOCMESH_NODE_H

#include <limits.h>
#include <stdint.h>

#include "config.h"
#include "draft.h"
#include "iocseal.h"
#include "keys.h"
#include "msg.h"
#include "policy.h"
#include "roster.h"
#include "store.h"
#include "trust.h"

/* The old name of POLICY_MAX_SKEW_MS (policy_time_ok()). */
#define NODE_MAX_SKEW_MS POLICY_MAX_SKEW_MS

#define NODE_LOCK_FILE "node.lock"

/* The end of the error line for a user who may not use a node. */
#define NODE_EACCES "permission denied: run socmesh as the node's user (socmesh(1), ACCESS)"

/* What node_open() opens besides configuration and trust list; with both,
 * the index key too (DIR/index.key, made when missing: iocseal.h). */
#define NODE_KEYS  0x1 /* the secret key (refused if readable by others) */
#define NODE_STORE 0x2 /* the LMDB store */

struct node {
	char dir[PATH_MAX];
	struct config cfg;
	uint8_t id[MSG_KEY_LEN];
	struct keys *keys;     /* NULL unless NODE_KEYS */
	struct iocseal *seal;  /* NULL unless NODE_KEYS | NODE_STORE */
	struct trust *local;   /* trust.conf: the operator's entries */
	struct roster *roster; /* the membership in force (roster.state) */
	struct trust *trust;   /* in force: local, then the roster's (roster_merge()) */
	struct store *st;      /* NULL unless NODE_STORE */
	/* Scratch for decoding, the event loop's (one caller at a time). */
	struct msg *scratch;
	/* The store's index callback's own (the store calls it under its
	 * index lock, from any thread, in the middle of a commit of
	 * scratch's message too): the last message and its keys. */
	struct msg *iscratch;
	struct ks_keys ikeys;
	/* The last sequence number given to a message of this node's: read
	 * from the store at the first publish, then counted here, so that
	 * messages on their way to a commit never share one (0: not read). */
	uint64_t seq;
};

/*
 * Creates a node directory (mode 0700): a new identity, socmesh.conf with
 * the given name and listen endpoint, an empty trust list and an empty
 * store.  Refuses a directory that already holds an identity.  0 or -1
 * with one line in err.
 */
int node_init(const char *dir, const char *name, const char *listen, char *err, size_t errlen);

/* Opens dir.  Caller owns the result: node_close().  NULL with err set. */
struct node *node_open(const char *dir, unsigned what, char *err, size_t errlen);
void node_close(struct node **np);

/* dir/file into out; -1 when it does not fit. */
int node_path(const struct node *n, char *out, size_t len, const char *file);

/* The store's directory: DIR/store, or data_dir/store when data_dir is
 * set (relative to DIR unless absolute).  -1 when it does not fit. */
int node_store_dir(const struct node *n, char *out, size_t len);

/*
 * Takes the node's lock, DIR/node.lock (flock, exclusive, not waiting):
 * socmeshd holds it while it runs, node_restore() while it works.  Returns
 * the descriptor (close it to let go), or -1 with err set, "DIR: socmeshd
 * or a restore is using this node (stop it first)" when it is held.
 */
int node_lock(const char *dir, char *err, size_t errlen);

/* What node_restore() did. */
struct node_restored {
	char kept[PATH_MAX + 96]; /* where the replaced store stays; "" when there was none */
	uint64_t messages;        /* in the restored store */
	bool seq_unknown;         /* the replaced store could not be read: the own seq
	                             used after the backup is unknown until peers send
	                             this node's later messages back */
	uint64_t resume;          /* the cursors (local keys) after it that the replaced
	                             store gave are lost (store_raise_lkey()): a
	                             follower holding one resumes from this one; 0
	                             when none was lost */
};

/*
 * Replaces the node's store with the backup at file (store_backup(), e.g.
 * socmesh backup), under the node's lock: refused while socmeshd runs, and
 * while any process has the store open.  n must be opened without
 * NODE_STORE.  The backup (a regular file no larger than store_size) is
 * copied into the store's directory and checked there (this node's id,
 * schema, node_check(): indexes and every message's format, id and
 * signature, at least one message), and its own-seq mark and its highest
 * local key raised to what the replaced store had handed out (the local
 * keys given after the backup recorded as lost cursors: store_raise_lkey();
 * a missing or unreadable replaced store counts as STORE_LKEY_GAP more);
 * then one rename puts
 * it in place of data.mdb.  The replaced data.mdb stays as
 * data.mdb.before-restore, and a restore is refused while that file
 * exists.  0 with *r filled, or -1 with err set and the store as it was.
 */
int
node_restore(struct node *n, const char *file, struct node_restored *r, char *err, size_t errlen);

/*
 * Checks store st (NULL: n->st; or a store being restored) as ingest
 * would have checked every message in it, not against today's trust list:
 * the indexes (store_check()), and every message's format (msg_decode(), no
 * size limit), id (the hash of its bytes, the key it is stored under) and
 * signature (msg_verify()).  STORE_OK, or STORE_E_CORRUPT with the first
 * bad message named in err ("message 12 (id 3fa0...): signature does not
 * verify (bad-signature)"), or another error with its text in err.  About
 * 15,000 to 22,000 messages a second per core (Ed25519), in one read
 * transaction.
 */
int node_check(struct node *n, struct store *st, char *err, size_t errlen);

/* Writes the local trust list (n->local) back after a change, and makes
 * the trust list in force again; 0 or -1 with err set. */
int node_save_trust(struct node *n, char *err, size_t errlen);

/* Reads trust.conf again and makes the trust list in force from it and
 * the roster; on error (err set, -1) nothing changes. */
int node_reload_trust(struct node *n, char *err, size_t errlen);

/*
 * A governing message (msg_kind_governs()) that the node stored: given to
 * the roster.  1 when the trust list in force changed (the state is saved
 * and n->trust replaced: the caller applies it, gossip_trust_changed()),
 * 0 when not.
 */
int node_governs(struct node *n, const uint8_t *bytes, size_t len);

/*
 * socmeshd at start: when DIR/roster.state is missing and the store holds
 * governing messages or rotations (its counts by kind say so), they are
 * given to the roster again, oldest first, in one scan of the store, and
 * the state is saved.  The roster then in force is the one they make with
 * the local anchors.  0, or -1 with err (the store cannot be read).
 */
int node_roster_recover(struct node *n, char *err, size_t errlen);

/* A trust-list name or a node id -> key (draft_resolve_fn). */
int node_resolve(void *node, const char *who, uint8_t key[MSG_KEY_LEN], char *err, size_t errlen);

/*
 * Signs the draft as this node (origin, next sequence number, time now
 * unless set) and judges it as an import of it would be, without
 * committing it: the daemon hands it to its ingest pipeline
 * (gossip_publish()).  Needs NODE_KEYS|NODE_STORE.  On success *bytes
 * (malloc'd, caller frees) holds the message, n->scratch its decoded
 * form, and id its id.  0 or -1 with err set.
 */
int node_prepare(struct node *n, struct draft *d, uint8_t id[MSG_ID_LEN], uint8_t **bytes,
    size_t *len, char *err, size_t errlen);

/*
 * Judges a message brought by peer `from` (trust-list entry; NULL for an
 * import by the operator, which is judged as if the origin had sent it,
 * except this node's own messages, which need only their signature and
 * time), in this order: decoder limits; time (policy_time_ok(): not more
 * than an hour ahead, not older than the retention window unless a roster);
 * a retract's target must be here ("the retracted message is not here;
 * import it first"), so that the retract rule is never judged without it;
 * policy_may_accept() (origin known, not blocked, an external origin's
 * messages CLEAR only, who may send what, a retract only by the target's
 * origin).  The signature is left to the ingest pipeline, which verifies
 * and commits what this lets through (gossip_publish()).  Returns 0 when
 * the message may go on (n->scratch holds it decoded), 1 when it is
 * stored already, -1 with err set: "rejected: " and the reason's text, or
 * "store: cannot be read".  id is set once the message decodes.
 */
int node_judge(struct node *n, const uint8_t *bytes, size_t len, const struct trust_peer *from,
    uint8_t id[MSG_ID_LEN], char *err, size_t errlen);

/* store_index_fn for this node (ingest_rec() of the decoded
 * message, with n->seal). */
int node_index(void *node, const uint8_t *bytes, size_t len, struct store_rec *rec);

#endif
