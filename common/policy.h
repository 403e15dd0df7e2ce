/*
 * policy — the TLP (FIRST TLP 2.0) and trust rules of DESIGN.md as pure
 * functions: no I/O, no allocation, no state.  The daemon asks
 * policy_may_send() before anything leaves the node (eager push and
 * anti-entropy alike) and policy_may_accept() for everything that arrives,
 * after the signature and the format's limits have been checked.
 *
 * Who may receive a message from a node:
 *   CLEAR                   every peer that is not blocked
 *   GREEN                   member peers (never external ones)
 *   AMBER, AMBER+STRICT, RED
 *                           only between the origin and each named
 *                           recipient, both ways; never relayed
 * and in every case never a blocked peer, never back to the peer it came
 * from, never when this node has blocked the message's origin, and back to
 * its origin (repair) when the TLP allows that peer at all.  External peers exchange TLP:CLEAR only, in both directions.
 * Roster messages are CLEAR or GREEN and count only when their origin is a
 * coordinator; a retract counts only when it comes from the origin of the
 * message it retracts.
 */
#ifndef SOCMESH_POLICY_H
#define SOCMESH_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "trust.h"

enum policy_reason {
	POLICY_OK = 0,
	POLICY_PEER_BLOCKED,        /* the peer (candidate or sender) is blocked */
	POLICY_PEER_UNKNOWN,        /* the sender is not in the trust list */
	POLICY_SOURCE,              /* it came from this peer: not sent back */
	POLICY_EXTERNAL,            /* an external peer sends and receives TLP:CLEAR only */
	POLICY_NOT_RECIPIENT,       /* addressed message; the peer is not a named recipient */
	POLICY_NO_RELAY,            /* addressed messages travel only between their origin and each recipient; never relayed */
	POLICY_ORIGIN_UNKNOWN,      /* origin not in the trust list */
	POLICY_ORIGIN_BLOCKED,
	POLICY_NOT_FOR_US,          /* addressed message that names neither this node nor comes to it as origin */
	POLICY_ROSTER_NOT_COORDINATOR,
	POLICY_RETRACT_NOT_ORIGIN,  /* a retract whose origin differs from the retracted message's origin */
	POLICY_ROSTER_ADDRESSED,    /* roster messages must be clear or green */
};
#define POLICY_REASON_COUNT 13

/* A human sentence fragment for logs, the CLI and `explain` ("TLP:GREEN is
 * for members; the peer is external").  Static; "unknown reason" when r is
 * out of range. */
const char *policy_reason_str(enum policy_reason r);
/* A stable token for counters and JSON ("external-clear-only").  Static;
 * "unknown" when r is out of range. */
const char *policy_reason_name(enum policy_reason r);

/* What the rules look at in a message.  Every pointer is borrowed. */
struct policy_msg {
	enum msg_tlp tlp;
	enum msg_kind kind;
	const uint8_t *origin;               /* 32 bytes */
	size_t nto;
	const uint8_t (*to)[MSG_KEY_LEN];    /* recipients */
	const uint8_t *ref_origin;           /* retract only: origin of the retracted message when known, else NULL */
};

/* The policy view of a decoded message; it borrows m (ref_origin NULL: the
 * caller sets it from its store for a retract). */
struct policy_msg policy_msg_of(const struct msg *m);

/*
 * May node `self`, which holds m, send it to `peer`?  source is the trust
 * entry of the peer it came from, NULL when it was published here (or is
 * sent from the store, where the source no longer matters); origin is the
 * trust entry of m->origin, NULL when there is none (an entry whose id is
 * not m->origin counts as none).  Peers are matched by id.  The first rule
 * that fails gives the reason, in this order:
 *   PEER_BLOCKED      peer is blocked
 *   SOURCE            peer is source
 *   ORIGIN_BLOCKED    origin is blocked here: what it said is not passed on
 *   ROSTER_ADDRESSED  a roster message with an addressed TLP
 *   EXTERNAL          not CLEAR, and the peer is external
 *   NOT_RECIPIENT     addressed, self is the origin, peer not named
 *   NO_RELAY          addressed, self not the origin, and not a named
 *                     recipient sending back to the origin
 */
enum policy_reason policy_may_send(const struct policy_msg *m, const uint8_t self[32],
	const struct trust_peer *source, const struct trust_peer *origin,
	const struct trust_peer *peer) __attribute__((warn_unused_result, nonnull(1, 2, 5)));

/*
 * May node `self` accept m from `sender`?  sender is the sender's trust
 * entry (found by id), NULL when it is not in the trust list; origin is the
 * trust entry of m->origin, NULL when unknown, and not consulted when
 * m->origin is self (an entry whose id is not m->origin counts as unknown).
 * The first rule that fails gives the reason, in this order:
 *   PEER_UNKNOWN           no sender entry
 *   PEER_BLOCKED           sender blocked
 *   ORIGIN_UNKNOWN         origin is not self and has no entry
 *   ORIGIN_BLOCKED         origin is not self and is blocked
 *   ROSTER_ADDRESSED       a roster message with an addressed TLP
 *   EXTERNAL               not CLEAR, and the sender is external
 *   NOT_FOR_US             addressed, self neither origin nor recipient
 *   NO_RELAY               addressed, and not (sender is the origin and
 *                          self a recipient) nor (self is the origin and
 *                          sender a recipient)
 *   ROSTER_NOT_COORDINATOR roster, origin is not self and not a coordinator
 *   RETRACT_NOT_ORIGIN     retract, ref_origin known and not m->origin
 */
enum policy_reason policy_may_accept(const struct policy_msg *m, const uint8_t self[32],
	const struct trust_peer *sender, const struct trust_peer *origin)
	__attribute__((warn_unused_result, nonnull(1, 2)));

#endif
