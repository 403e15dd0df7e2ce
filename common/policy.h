/*
 * policy — the TLP (FIRST TLP 2.0) and trust rules of socmesh as pure
 * functions: no I/O, no allocation, no state.  This header is their
 * manual; docs/PROTOCOL.md states the same rules, order and tokens
 * normatively.  The daemon asks policy_may_send() before anything leaves
 * the node (eager push and anti-entropy alike), and for everything that
 * arrives, once the decoder has accepted the bytes: policy_time_ok(), then
 * policy_may_accept(), then the signature (msg_verify()).
 *
 * Who may receive a message from a node:
 *   CLEAR                   every peer that is not blocked
 *   GREEN                   member peers (never external ones)
 *   AMBER, AMBER+STRICT, RED
 *                           only between the origin and each named
 *                           recipient, both ways; never relayed
 * and in every case never a blocked peer, never back to the peer it came
 * from, never when this node has blocked the message's origin, and back to
 * its origin (repair) when the TLP allows that peer at all.
 *
 * External partners exchange TLP:CLEAR only, in both directions, and
 * whoever relays their messages: anything but CLEAR is refused from an
 * external sender (external-clear-only) and, whatever the sender, when its
 * origin is external (external-origin-clear-only); neither is ever sent.
 * The trust levels are this node's own trust list, judged when the message
 * arrives or leaves, not when it was written.
 *
 * Time: a message dated more than POLICY_MAX_SKEW_MS ahead is refused
 * (time-in-future), and one older than the retention window (retention in
 * socmesh.conf) is refused (expired): it would be removed at once and come
 * back at every reconciliation.  Roster messages never expire: a node keeps
 * them in force (store_expire() keeps them too).
 *
 * Roster messages are CLEAR or GREEN and count only when their origin is a
 * coordinator; a retract counts only when it comes from the origin of the
 * message it retracts (the caller looks the retracted message up: see
 * policy_msg.ref_origin; a retract whose target is not here is held or
 * refused by the caller, never judged without it).
 *
 * Refusals are permanent or provisional (policy_reason_provisional()): a
 * provisional one may change when time passes or a trust list changes, so
 * a sender may offer the message again after such a change; a permanent one
 * never changes.
 */
#ifndef SOCMESH_POLICY_H
#define SOCMESH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "trust.h"

/* Reasons.  The values and the tokens (policy_reason_name()) are a
 * contract: counters, JSON, logs and the peer protocol's REFUSE frames use
 * them.  New reasons are added at the end; none is ever renamed.  Class:
 * P = provisional, F = permanent (final), - = not a refusal of a message
 * that arrived. */
enum policy_reason {
	POLICY_OK = 0,       /* -  "ok" */
	POLICY_PEER_BLOCKED, /* P  "peer-blocked": the peer (candidate or sender) is blocked */
	POLICY_PEER_UNKNOWN, /* P  "peer-unknown": the sender is not in the trust list */
	POLICY_SOURCE,       /* -  "source": it came from this peer: not sent back */
	POLICY_EXTERNAL, /* P  "external-clear-only": an external peer sends and receives TLP:CLEAR only */
	POLICY_NOT_RECIPIENT, /* P  "not-recipient": addressed message; the peer is not a named recipient */
	POLICY_NO_RELAY, /* P  "no-relay": addressed messages travel only between their origin and each recipient */
	POLICY_ORIGIN_UNKNOWN, /* P  "origin-unknown": origin not in the trust list */
	POLICY_ORIGIN_BLOCKED, /* P  "origin-blocked" */
	POLICY_NOT_FOR_US, /* F  "not-for-us": addressed message that names neither this node nor comes to it as origin */
	POLICY_ROSTER_NOT_COORDINATOR, /* P "roster-not-coordinator" */
	POLICY_RETRACT_NOT_ORIGIN, /* F  "retract-not-origin": a retract whose origin differs from the retracted message's origin */
	POLICY_ROSTER_ADDRESSED, /* F  "roster-addressed": roster messages must be clear or green */
	POLICY_ORIGIN_EXTERNAL, /* P  "external-origin-clear-only": the origin is external and the TLP not CLEAR */
	POLICY_TIME_FUTURE,     /* P  "time-in-future": dated more than POLICY_MAX_SKEW_MS ahead */
	POLICY_EXPIRED,         /* F  "expired": older than the retention window (never a roster) */
	POLICY_ROSTER_OLD,      /* F  "roster-old": a roster of an epoch below the one in force */
	POLICY_ROSTER_CONFLICT, /* F  "roster-conflict": another roster of the epoch in force */
	POLICY_KEY_ROTATED,     /* F  "key-rotated": dated after its key's rotation and overlap */
};
#define POLICY_REASON_COUNT 19

/* A message dated further ahead than this is refused: it would escape
 * retention, and sort after everything in reconciliation. */
#define POLICY_MAX_SKEW_MS (UINT64_C(60) * 60 * 1000)

/* A human sentence fragment for logs, the CLI and `explain` ("the peer is
 * external: it exchanges TLP:CLEAR only").  Static; "unknown reason" when r
 * is out of range. */
const char *policy_reason_str(enum policy_reason r);
/* A stable token for counters and JSON ("external-clear-only").  Static;
 * "unknown" when r is out of range. */
const char *policy_reason_name(enum policy_reason r);

/*
 * Whether a refusal for reason r may change with time or trust, so that
 * the message may be offered again after either side's trust list changed
 * (or, for time-in-future, once its time has come):
 *   provisional  peer-unknown, peer-blocked, origin-unknown, origin-blocked,
 *                external-clear-only, external-origin-clear-only, no-relay,
 *                not-recipient, roster-not-coordinator, time-in-future
 *   permanent    expired, retract-not-origin, roster-addressed, not-for-us
 * false for ok and source (not refusals: source is a message never sent
 * back, nothing arrived) and for r out of range.  The decoder's errors
 * (msg_errname()) are all permanent.
 */
bool policy_reason_provisional(enum policy_reason r);

/* What the rules look at in a message.  Every pointer is borrowed. */
struct policy_msg {
	enum msg_tlp tlp;
	enum msg_kind kind;
	const uint8_t *origin; /* 32 bytes */
	size_t nto;
	const uint8_t (*to)[MSG_KEY_LEN]; /* recipients */
	const uint8_t
	    *ref_origin; /* retract only: origin of the retracted message when known, else NULL */
	uint64_t time;   /* creation time, ms since the epoch */
};

/* The policy view of a decoded message; it borrows m (ref_origin NULL: the
 * caller sets it from its store for a retract). */
struct policy_msg policy_msg_of(const struct msg *m);

/*
 * Is m's time acceptable at now_ms (ms since the epoch), with a retention
 * window of retention_ms (0: messages are kept for ever)?  In this order:
 *   TIME_FUTURE   m->time > now_ms + POLICY_MAX_SKEW_MS
 *   EXPIRED       retention_ms != 0, m is not a roster message, and
 *                 m->time + retention_ms < now_ms (the store's retention
 *                 removes exactly these: creation time < now - retention)
 * else OK.  Independent of trust: callers ask it before policy_may_accept(),
 * of every message that arrives (from a peer or an import), whoever its
 * origin.  A restore does not ask it: a backup restores whatever its age,
 * and retention then removes what has expired.
 */
enum policy_reason policy_time_ok(const struct policy_msg *m, uint64_t now_ms,
    uint64_t retention_ms) __attribute__((warn_unused_result, nonnull(1)));

/*
 * May node `self`, which holds m, send it to `peer`?  source is the trust
 * entry of the peer it came from, NULL when it was published here (or is
 * sent from the store, where the source no longer matters); origin is the
 * trust entry of m->origin, NULL when there is none (an entry whose id is
 * not m->origin counts as none).  Peers are matched by id.  The first rule
 * that fails gives the reason, in this order:
 *   PEER_BLOCKED      peer is blocked                          peer-blocked
 *   SOURCE            peer is source                           source
 *   ORIGIN_BLOCKED    origin is blocked here: what it said     origin-blocked
 *                     is not passed on
 *   ROSTER_ADDRESSED  a roster message with an addressed TLP   roster-addressed
 *   EXTERNAL          not CLEAR, and the peer is external      external-clear-only
 *   ORIGIN_EXTERNAL   not CLEAR, the origin is not self and    external-origin-clear-only
 *                     its entry is external
 *   NOT_RECIPIENT     addressed, self is the origin, peer not  not-recipient
 *                     named
 *   NO_RELAY          addressed, self not the origin, and not  no-relay
 *                     a named recipient sending back to the
 *                     origin
 */
enum policy_reason policy_may_send(const struct policy_msg *m, const uint8_t self[32],
    const struct trust_peer *source, const struct trust_peer *origin, const struct trust_peer *peer)
    __attribute__((warn_unused_result, nonnull(1, 2, 5)));

/*
 * May node `self` accept m from `sender`?  sender is the sender's trust
 * entry (found by id), NULL when it is not in the trust list; origin is the
 * trust entry of m->origin, NULL when unknown, and not consulted when
 * m->origin is self (an entry whose id is not m->origin counts as unknown).
 * The first rule that fails gives the reason, in this order:
 *   PEER_UNKNOWN           no sender entry                    peer-unknown
 *   PEER_BLOCKED           sender blocked                     peer-blocked
 *   ORIGIN_UNKNOWN         origin is not self and has no      origin-unknown
 *                          entry
 *   ORIGIN_BLOCKED         origin is not self and is blocked  origin-blocked
 *   ROSTER_ADDRESSED       a roster message with an           roster-addressed
 *                          addressed TLP
 *   EXTERNAL               not CLEAR, and the sender is       external-clear-only
 *                          external
 *   ORIGIN_EXTERNAL        not CLEAR, and the origin is not   external-origin-clear-only
 *                          self and external (whoever relays
 *                          it: a member relaying an external
 *                          partner's GREEN is refused)
 *   NOT_FOR_US             addressed, self neither origin nor not-for-us
 *                          recipient
 *   NO_RELAY               addressed, and not (sender is the  no-relay
 *                          origin and self a recipient) nor
 *                          (self is the origin and sender a
 *                          recipient)
 *   ROSTER_NOT_COORDINATOR roster, origin is not self and not roster-not-coordinator
 *                          a coordinator
 *   RETRACT_NOT_ORIGIN     retract, ref_origin known and not  retract-not-origin
 *                          m->origin
 * The time (policy_time_ok()) is judged before these, the signature after.
 */
enum policy_reason policy_may_accept(const struct policy_msg *m, const uint8_t self[32],
    const struct trust_peer *sender, const struct trust_peer *origin)
    __attribute__((warn_unused_result, nonnull(1, 2)));

#endif
