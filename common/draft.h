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
 * of memory.  The message starts as a green incident, status open; its
 * category and severity are absent.  Until a status is set, an incident's
 * is open and any other kind's absent (an update without one leaves the
 * case's status as it is). */
struct draft *draft_new(void);
void draft_destroy(struct draft **dp);

/* The message being composed: borrowed, valid until draft_destroy(). */
struct msg *draft_msg(struct draft *d);

/*
 * Sets one field from text.  Scalars: tlp kind title summary category type
 * severity impact status scope detection effects response lessons note
 * text expires (RFC 3339 or ms) seq time
 * (ms) ref (message id) lead (node id).  Repeated (each call appends):
 * sector, indicator ("TYPE:VALUE", or a value whose type is inferred;
 * defanged forms refanged: ioc_parse_text()), attack, action.  Roster:
 * peer (node id) name level coordinator (yes|no).  Every limit of the
 * format is checked here.
 * Returns 0, or -1 with one line in err naming the field and the problem,
 * with the limit: "title is 300 bytes; at most 256", "sectors: at most 32
 * in a message".  Empty text is absent text.
 */
int draft_set(struct draft *d, const char *field, const char *value, char *err, size_t errlen);

/* Adds a recipient; repeats and the 65th are errors ("recipients: ..."). */
int draft_add_recipient(struct draft *d, const uint8_t key[MSG_KEY_LEN], char *err, size_t errlen);

/* Turns a trust-list name or a node id into a key; 0 or -1 (err set). */
typedef int (*draft_resolve_fn)(void *arg, const char *who, uint8_t key[MSG_KEY_LEN], char *err,
    size_t errlen);

/*
 * Sets every field of a JSON object: the scalars above as strings (seq,
 * time, expires also as integers), "sectors", "attack", "actions" as arrays
 * of strings, "indicators" as an array of {"type", "value"} objects or
 * "TYPE:VALUE" strings, "recipients" as an array of names or ids (or
 * {"id"} objects) given to resolve.  Output-only fields of query and
 * show --json (id, origin, origin_name, received, sealed, retracted,
 * revoked, expired, cursor, words, reports, thread, state, campaign) are
 * ignored; any other field is an error.
 */
int draft_from_json(struct draft *d, const json_t *o, draft_resolve_fn resolve, void *arg,
    char *err, size_t errlen);

/*
 * Checks what no single field tells: recipients against the TLP
 * ("recipients: tlp green names no recipients (only amber, amber+strict
 * and red do)"), the fields each kind requires (an incident's title,
 * category and severity; an update's one field at least; a comment's
 * text; the ref of the kinds that refer to a message), text, lessons
 * (detection, effects, response, lessons) and lead on kinds that carry
 * none.  A draft of the kinds publish takes (incident,
 * update, comment, sighting, retract) that passes is one msg_encode()
 * takes, unless it is too big or names a key that is no Ed25519 key.
 * 0, or -1 with the line in err.
 */
int draft_check(const struct draft *d, char *err, size_t errlen);

#endif
