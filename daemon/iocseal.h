/*
 * iocseal — the indicators of addressed messages (TLP:AMBER, AMBER+STRICT
 * and RED) in the store's indicator index, for the node that can read
 * them, and never in clear.
 *
 * The store indexes the indicators of a clear or green message under their
 * normalized values (store.h).  Those of an addressed message that this
 * node can read (it is the origin or a recipient) are indexed under their
 * sealed keys instead: the byte STORE_IOC_SEALED (0xff) followed by the
 * BLAKE2b-256 of the normalized value (without its type, as clear keys
 * are), keyed with the node's index key.  No clear key starts with 0xff (a
 * normalized value is UTF-8 text; a long one's key starts with 0x00), so
 * the two kinds never meet.  Without the index key a sealed key tells
 * nothing of its value, only that messages of this store share it.  A
 * query for a value looks it up under both keys (iocseal_key()).  Only a
 * node opened with its keys computes sealed keys: a store check without
 * them verifies where each entry points, not the sealed keys themselves
 * (store.h).
 *
 * The index key is DIR/index.key: 32 random bytes kept as node.key keeps
 * its seed (one line of 64 hex digits, mode 0600), made when missing by
 * socmeshd at start and by socmesh init (iocseal_open()), and kept
 * through key rotations.
 * Entries are made when a message is committed: messages committed before
 * the key existed (a node from before this index) have none.
 *
 * A body is opened with the node's secret key, or else with a key that the
 * node rotated away and kept (DIR/node.key.HEX.old, rotate.c), so that a
 * message's entries are the same whenever they are computed: at commit, at
 * expiry, in a store check.
 *
 * Thread-safe: the ingest's verifiers compute entries while the event loop
 * may replace the secret key (iocseal_rekey(), after a rotation).
 */
#ifndef SOCMESH_IOCSEAL_H
#define SOCMESH_IOCSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "keyspace.h"
#include "msg.h"
#include "store.h"

#define IOCSEAL_FILE    "index.key"
#define IOCSEAL_KEY_LEN 33 /* STORE_IOC_SEALED, then the keyed BLAKE2b-256 */

struct iocseal;

/*
 * The index key of node directory dir, DIR/index.key, made first when it
 * is missing, with a copy of the node's secret key k (borrowed).  Caller
 * owns the result: iocseal_destroy().  NULL with err set ("DIR/index.key:
 * permissions 0644 are too open; ...").
 */
struct iocseal *iocseal_open(const char *dir, const struct keys *k, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Zeroes and frees *sp, then sets it to NULL.  NULL-safe. */
void iocseal_destroy(struct iocseal **sp);

/* The node's secret key is now k (after a rotation): a copy is taken.  0,
 * or -1 when out of memory (the old key stays). */
int iocseal_rekey(struct iocseal *s, const struct keys *k);

/* The sealed key of the normalized indicator value (len bytes). */
void
iocseal_key(const struct iocseal *s, const char *value, size_t len, uint8_t out[IOCSEAL_KEY_LEN]);

/*
 * Opens the sealed body of the decoded message m with a secret key of one
 * of its recipients or of its origin that the node of directory dir
 * rotated away and kept (DIR/node.key.HEX.old, rotate.c): MSG_OK with
 * *plain (zero it and free it once done with m->body), or an error.  The
 * CLI opens such bodies with it too.
 */
int iocseal_open_old(const char *dir, struct msg *m, uint8_t **plain, size_t *len);

/* Opens the sealed body of the decoded, addressed message m as this node
 * (its key, or a key it rotated away and kept): MSG_OK, and m->body holds
 * it until the caller zeroes and frees *plain; or an error. */
int iocseal_body(struct iocseal *s, struct msg *m, uint8_t **plain, size_t *len)
    __attribute__((warn_unused_result));

/* Replaces every key of k (keyspace.h: an indicator's value or a derived
 * key) by its sealed key, iocseal_key() of its bytes.  0, or -1 when out
 * of memory (k is then unchanged). */
int iocseal_seal(const struct iocseal *s, struct ks_keys *k) __attribute__((warn_unused_result));

#endif
