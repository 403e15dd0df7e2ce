/*
 * refused — a bounded set of message ids that one peer refused (or that
 * this node refused from one peer), each with its reason and class
 * (docs/PROTOCOL.md, section 13: refusals).  When full, the oldest entry
 * is forgotten first.  Lookups are O(log n); adding is O(n) (refusals are
 * rare: they are rate-limited by the peer's frame budget).
 */
#ifndef SOCMESH_REFUSED_H
#define SOCMESH_REFUSED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define REFUSED_MAX 4096

struct refused;

/* Caller owns the result: refused_destroy().  NULL when out of memory. */
struct refused *refused_new(void);
void refused_destroy(struct refused **rp);

/*
 * Adds id with its reason (a token of at most FRAME_REASON_MAX bytes,
 * copied) and class.  Returns 1 when added, 0 when id was there already
 * (nothing changes), -1 when out of memory.
 */
int refused_add(struct refused *r, const uint8_t id[32], bool provisional, const char *reason);

/* The reason id was refused for (borrowed, valid until the next change),
 * or NULL. */
const char *refused_find(const struct refused *r, const uint8_t id[32]);

/* Forgets the provisional entries; returns how many. */
size_t refused_forget_provisional(struct refused *r);
size_t refused_count(const struct refused *r);

/* True when entries were added or forgotten since the last refused_blob(). */
bool refused_dirty(const struct refused *r);

/*
 * The set as bytes, oldest first, for the store: per entry the id (32),
 * the class (1), the reason's length (1) and the reason.  *out is
 * malloc'd (caller frees).  0 or -1 (no memory).  Clears the dirty flag.
 */
int refused_blob(struct refused *r, uint8_t **out, size_t *len);

/* Adds the entries of a blob; a malformed tail is ignored.  0 or -1. */
int refused_load(struct refused *r, const uint8_t *blob, size_t len);

#endif
