/*
 * keyspace — every key under which the store's indicator index ("ioc",
 * store.h) finds a message: its indicators' normalized values, and the
 * keys derived from its body that the node's knowledge commands look up
 * (related cases, text search, lessons).  The index function computes them
 * all when a message is committed, expired or checked, so that they are
 * always up to date and never rebuilt by a scan.
 *
 * A derived key is a key space's byte, below 0x20, and its content: no
 * indicator's key starts with such a byte (a normalized value is printable
 * text; a long one's key starts with 0x00), nor does a sealed key (0xff).
 * The spaces, each written by one deriver:
 *
 *   KS_WORD    a word of the title, summary, comment text or lessons, folded
 *              (index_text.c)
 *   KS_DOMAIN, KS_IP4, KS_IP6, KS_NET4, KS_NET6, KS_ATTACK, KS_CASE
 *              related cases (index_related.c)
 *   KS_LESSON  an incident or update that carries lessons, by category
 *              (index_lessons.c)
 *   KS_STIX    the 16 bytes of the UUID of each STIX object a message is
 *              exported as (its own, its indicators', vulnerabilities' and
 *              attack patterns'), and an update under its case's report
 *              (keyspace.c): what a TAXII client asks for by id
 *
 * A message with an addressed TLP that this node can read has the same
 * keys, each replaced by its sealed key (iocseal_key(): keyed BLAKE2b of
 * the whole key), so that nothing of a sealed body is in the index in
 * clear; one that this node cannot read has none.
 *
 * Any change of the keys a message gives raises STORE_INDEX_VERSION
 * (store.h): a store indexed before is then indexed again, once, when the
 * daemon opens it.
 */
#ifndef SOCMESH_KEYSPACE_H
#define SOCMESH_KEYSPACE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "store.h"

enum keyspace {
	KS_WORD = 0x01,
	KS_DOMAIN = 0x02,
	KS_IP4 = 0x03,
	KS_IP6 = 0x04,
	KS_NET4 = 0x05,
	KS_NET6 = 0x06,
	KS_ATTACK = 0x07,
	KS_CASE = 0x08,
	KS_LESSON = 0x09,
	KS_STIX = 0x0a,
};
#define KS_MAX_KEY 255 /* bytes of a derived key, its space byte included */

/* The keys of one message, as they are built: entries and their bytes. */
struct ks_keys {
	struct store_ioc *e; /* valid once ks_finish() has run */
	size_t n, cap;
	uint8_t *buf; /* the keys' bytes, one after the other */
	size_t used, bufcap;
	size_t *off; /* where each key starts in buf */
};

/* Appends the key: space (0 for an indicator's value, taken as it is),
 * then the len bytes at p.  0, or -1 when out of memory or, for a derived
 * key, longer than KS_MAX_KEY with its space byte (then nothing is added).
 * A key given twice is indexed once (store.h). */
int ks_add(struct ks_keys *k, uint8_t space, const void *p, size_t len);

/* Every key of m, whose body is there (has_body): its indicators, then
 * each deriver's.  0, or -1 when out of memory. */
int ks_derive(struct ks_keys *k, const struct msg *m);

/* KS_WORD: the words of the message's texts (index_text.h). */
int index_text_keys(struct ks_keys *k, const struct msg *m);

/* KS_DOMAIN to KS_CASE: the keys of related cases (index_related.h). */
int index_related_keys(struct ks_keys *k, const struct msg *m);

/* KS_LESSON: incidents and updates that carry lessons (index_lessons.h). */
int index_lessons_keys(struct ks_keys *k, const struct msg *m);

/* Points k->e at the keys' bytes, once every key is added (ks_add() may
 * move them). */
void ks_finish(struct ks_keys *k);

/* Empties k, keeping its memory for the next message. */
void ks_clear(struct ks_keys *k);
/* The same, zeroing the keys' bytes first: the keys of a sealed body that
 * were not sealed (an error on the way). */
void ks_wipe(struct ks_keys *k);

/* Frees what k holds and empties it. */
void ks_free(struct ks_keys *k);

#endif
