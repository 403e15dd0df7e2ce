/*
 * casestate — the current state of a case (docs/PROTOCOL.md section
 * 14.11), rolled up from its incident and the messages that refer to it:
 * the updates of the incident's origin and of the SOC that the origin
 * names as lead change the state; everyone else's updates are proposals.
 * Pure: no I/O, no names (the caller adds those), no global state.
 */
#ifndef SOCMESH_CASESTATE_H
#define SOCMESH_CASESTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* Whether node ids a and b are one SOC's (its keys across rotations). */
typedef bool (
    *casestate_same_fn)(void *arg, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN]);

/*
 * The state of the case opened by incident (kind incident, its body
 * opened), from the n messages of msgs: those whose ref is the incident's
 * id, and the retractions of any of them (whose ref is that message's
 * id), in any order: they are taken by time, then id.  A message counts
 * for nothing when its own origin retracted it (the same key, as section
 * 14.6 says), or when its body is sealed and was not opened; an update
 * counts only when its ref is the incident.  same tells one SOC's keys
 * apart from another's; NULL compares keys byte for byte.
 *
 * The result (caller decrefs; NULL when out of memory or when incident is
 * not an opened incident):
 *   {"title", "status", "severity", "impact" (null when the case has
 *    none), "indicators": [{"type", "value"}] (the incident's, then those
 *    the applied updates added, each once), "lead": {"id"} or null,
 *    "updated": RFC 3339, the time of the incident or of the last update
 *    applied, "expires": RFC 3339 or null, "proposals": [{"proposed_by":
 *    {"id"}, "id", "time", and the fields the update holds, as
 *    msgjson_case_fields() names them}]}
 * Ids are hex.  An update applied replaces each field it holds (lead
 * only from the origin, expires only when it holds one) and adds its
 * indicators.  What a case taught (detection, effects, response, lessons)
 * is no part of the state: each message keeps its own, shown with it.
 */
json_t *casestate_json(const struct msg *incident, const struct msg *const *msgs, size_t n,
    casestate_same_fn same, void *arg);

/*
 * The expiry rule, the one every command follows: a case is expired when
 * the expires of its state (above: the incident's, or that of the latest
 * update applied that holds one) is at or before now (ms since the epoch);
 * any other message, or an incident whose body is not open, when its own
 * is (msg_expired()).  msgs as for casestate_json().  1 expired, 0 not,
 * -1 when out of memory.
 */
int casestate_expired(const struct msg *incident, const struct msg *const *msgs, size_t n,
    casestate_same_fn same, void *arg, uint64_t now);

#endif
