/*
 * msgjson — a message as the JSON object that `socmesh query --json` and
 * `show --json` print (docs/CLI contract): id, origin {id, name}, seq, time
 * (RFC 3339 UTC), tlp, kind, ref, recipients [{id, name}], sealed, and the
 * body fields by their protocol names (indicators as [{type, value}], an
 * update's lead as hex).  Absent fields are left out, but an incident's or
 * an update's sectors, indicators, attack and actions are always there
 * (empty arrays).  draft_from_json() reads the same names back.
 */
#ifndef SOCMESH_MSGJSON_H
#define SOCMESH_MSGJSON_H

#include <jansson.h>

#include "msg.h"
#include "trust.h"

/* Caller owns the result (json_decref); NULL when out of memory.  Names
 * come from t when it knows the key (t may be NULL).  A sealed message
 * whose body was not opened gets "sealed": true and no body fields. */
json_t *msgjson_new(const struct msg *m, const struct trust *t);

/* {"id": hex, "name": name-or-null} for a node id. */
json_t *msgjson_node(const uint8_t key[MSG_KEY_LEN], const struct trust *t);

/* The fields of a case body (incident, update) that are present, set in
 * o by their protocol names: what msgjson_new() gives, without the empty
 * lists. */
void msgjson_case_fields(json_t *o, const struct msg_body *b);

/* The indicators of a body: [{type, value}]. */
json_t *msgjson_indicators(const struct msg_body *b);

/* n bytes (at most 64) as a JSON string of hex digits. */
json_t *msgjson_hex(const uint8_t *p, size_t n);

#endif
