/*
 * accept — the one decision on a message that comes in, whoever brings it:
 * a peer (gossip), or the operator (import, with or without --from).  The
 * checks that need no signature, cheapest first: already stored, too far
 * ahead or too old, then the trust and TLP rules (common/policy.h), a
 * retraction judged against the origin of what it retracts.  The
 * signature is verified after an ACCEPT_OK by the ingest pipeline on its
 * threads, which then commits the message.
 */
#ifndef SOCMESH_ACCEPT_H
#define SOCMESH_ACCEPT_H

#include <stdint.h>

#include "msg.h"
#include "policy.h"
#include "roster.h"
#include "store.h"
#include "trust.h"

enum accept_verdict {
	ACCEPT_OK = 0,  /* verify it and commit it */
	ACCEPT_DUP,     /* already stored: nothing to do */
	ACCEPT_HOLD,    /* a retraction whose target is not here (yet) */
	ACCEPT_REFUSED, /* *why names the rule */
	ACCEPT_E_STORE, /* the store could not be read (logged) */
};

struct accept_ctx {
	struct store *st;
	const struct trust *trust;
	const uint8_t *self;   /* this node's id */
	uint64_t retention_ms; /* 0: forever */
	uint64_t now;          /* ms since the epoch */
	struct roster *roster; /* the membership in force (roster_judge()), or NULL */
};

/*
 * Judges m (decoded, its signature not yet verified) brought by `from`:
 * the trust-list entry of the peer that sent it, or NULL when the operator
 * imports it, in which case this node's own messages need only their
 * signature and any other is judged as if its origin had sent it (an
 * origin not in the trust list is refused: origin-unknown).
 */
enum accept_verdict accept_judge(const struct accept_ctx *c, const struct msg *m,
    const struct trust_peer *from, enum policy_reason *why);

/*
 * This node's own addressed message may name members only (nobody else
 * can ever receive one): the index of the first recipient that is not a
 * member of t, with *why (peer-unknown, external-clear-only), or -1.
 * Part of accept_judge(); publish calls it first to name the recipient.
 */
int accept_recipients(const struct trust *t, const struct msg *m, enum policy_reason *why);

#endif
