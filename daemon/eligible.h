/*
 * eligible — what this node may send each peer, kept in memory so that a
 * reconciliation never decodes the store.
 *
 * A message that names no recipients (CLEAR, GREEN) may go to a peer or
 * not by the peer's level alone (policy_may_send() looks at no peer id for
 * those), so they are kept in two classes, member and external; an
 * addressed one (AMBER, AMBER+STRICT, RED) goes only between its origin
 * and each recipient, so it is kept with the peers it may go to.  Every
 * message committed is added (eligible_add); a trust change judges the
 * whole store again (eligible_restart: a scan, as rare as trust changes,
 * in steps between which the event loop does its other work).
 * A class keeps its items as one sealed set, sorted by (time, id), and
 * newcomers in a tail.  When a set is asked for, the tail is appended to
 * the class's set when it sorts after it (new messages: O(tail)), or
 * merged in by making the set anew (messages from the past, as in a
 * catch-up: O(n), at most once a second; until then exchanges use the set
 * as it was).  Every peer with nothing of its own (no addressed message,
 * no refusal) gets a view of the class's set (recon_set_view): no copy,
 * whatever the store holds, so a hostile peer opening exchanges over and
 * over costs nothing; what is older than the retention window is left out
 * by starting the view after it.  The class's set is made when the node
 * starts (the same scan), never by an exchange.
 *
 * Memory: about 41 bytes per message and class (40 while in the tail),
 * twice that while a set is made anew and an old one is still viewed,
 * plus 80 per addressed message and peer it may go to.
 */
#ifndef SOCMESH_ELIGIBLE_H
#define SOCMESH_ELIGIBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "recon.h"
#include "refused.h"
#include "store.h"
#include "trust.h"

struct eligible;

/* Caller owns the result: eligible_destroy().  NULL when out of memory. */
struct eligible *eligible_new(const uint8_t self[MSG_KEY_LEN]);
void eligible_destroy(struct eligible **ep);

/* Adds m, judged by the trust list t (borrowed for the call).  0 or -1
 * when out of memory (the item is then missing from a class: the next
 * rebuild restores it). */
int eligible_add(struct eligible *e, const struct msg *m, const struct trust *t);

/*
 * Forgets everything, to judge every stored message again (at the start,
 * and at a trust change) in steps of eligible_step().  Until the scan is
 * done eligible_ready() is false, eligible_add() adds nothing (the scan
 * finds every committed message) and no set may be asked for.
 */
void eligible_restart(struct eligible *e);

/* Judges up to max (0: all) more messages of st, in commit order, under t
 * (borrowed for the call): 0 when more remain, 1 when the scan is done
 * and the classes' sets are made, -1 when out of memory or on a store
 * error (the scan then ends with what it judged; the next restart
 * restores the rest). */
int eligible_step(struct eligible *e, struct store *st, const struct trust *t, size_t max);

bool eligible_ready(const struct eligible *e);

/*
 * A new sealed set of the items peer may be sent: its class's and its
 * addressed ones, leaving out those older than cutoff (ms; what retention
 * removes, rosters excepted) and those in skip (NULL: none).  Caller owns
 * the result: recon_set_destroy().  NULL when out of memory, or for a
 * blocked peer.  The set may be shared (recon_set_ref): never change it.
 */
struct recon_set *eligible_set(struct eligible *e, const struct trust_peer *peer, uint64_t cutoff,
    const struct refused *skip);

/* Items kept, over all classes and peers. */
size_t eligible_count(const struct eligible *e);

#endif
