/*
 * draft — a message being composed from text: the CLI's flags, a --file
 * JSON object, the test vectors of docs/PROTOCOL.md.  Field names are those
 * that `socmesh query --json` prints, so a query line can be fed back.
 *
 * The draft owns copies of every string it was given (indicators in their
 * normalized form); the struct msg inside points into them.
 */
#ifndef SOCMESH_DRAFT_H
#define SOCMESH_DRAFT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct draft;

/* Caller owns the result and frees it with draft_destroy(); NULL when out
 * of memory.  The message starts as a green incident, status open. */
struct draft *draft_new(void);
void draft_destroy(struct draft **dp);

/* The message being composed: borrowed, valid until draft_destroy(). */
struct msg *draft_msg(struct draft *d);

/*
 * Sets one field from text.  Scalars: tlp kind title summary category type
 * severity impact status scope note expires (RFC 3339 or ms) seq time (ms)
 * ref (message id).  Repeated (each call appends): sector, indicator
 * ("TYPE:VALUE", or a value whose type is guessed: ioc_guess), attack,
 * action.  Roster: peer (node id) name level coordinator (yes|no).
 * Returns 0, or -1 with one line in err naming the field and the problem.
 */
int draft_set(struct draft *d, const char *field, const char *value, char *err, size_t errlen);

/* Adds a recipient; repeats and the 65th are errors. */
int draft_add_recipient(struct draft *d, const uint8_t key[MSG_KEY_LEN], char *err, size_t errlen);

/* Turns a trust-list name or a node id into a key; 0 or -1 (err set). */
typedef int (*draft_resolve_fn)(void *arg, const char *who, uint8_t key[MSG_KEY_LEN], char *err,
    size_t errlen);

/*
 * Sets every field of a JSON object: the scalars above as strings (seq,
 * time, expires also as integers), "sectors", "attack", "actions" as arrays
 * of strings, "indicators" as an array of {"type", "value"} objects or
 * "TYPE:VALUE" strings, "recipients" as an array of names or ids (or
 * {"id"} objects) given to resolve.  Output-only fields of query --json
 * (id, origin, origin_name, received, sealed, retracted, reports, thread)
 * are ignored; any other field is an error.
 */
int draft_from_json(struct draft *d, const json_t *o, draft_resolve_fn resolve, void *arg,
    char *err, size_t errlen);

#endif
