#include "policy.h"

#include <stdbool.h>
#include <string.h>

static const struct {
	const char *name, *text;
} s_reasons[POLICY_REASON_COUNT] = {
	[POLICY_OK] = { "ok", "allowed" },
	[POLICY_PEER_BLOCKED] = { "peer-blocked", "the peer is blocked" },
	[POLICY_PEER_UNKNOWN] = { "peer-unknown", "the sender is not in the trust list" },
	[POLICY_SOURCE] = { "source", "the message came from this peer" },
	[POLICY_EXTERNAL] = { "external-clear-only",
	    "the peer is external: it exchanges TLP:CLEAR only" },
	[POLICY_NOT_RECIPIENT] = { "not-recipient",
	    "the message is addressed and the peer is not a named recipient" },
	[POLICY_NO_RELAY] = { "no-relay",
	    "addressed messages travel only between their origin and each recipient, "
	    "never relayed" },
	[POLICY_ORIGIN_UNKNOWN] = { "origin-unknown", "the origin is not in the trust list" },
	[POLICY_ORIGIN_BLOCKED] = { "origin-blocked", "the origin is blocked" },
	[POLICY_NOT_FOR_US] = { "not-for-us",
	    "the message is addressed and this node is neither its origin nor a recipient" },
	[POLICY_ROSTER_NOT_COORDINATOR] = { "roster-not-coordinator",
	    "rosters, approvals and endpoints are accepted only from coordinators; the "
	    "origin is not one" },
	[POLICY_RETRACT_NOT_ORIGIN] = { "retract-not-origin",
	    "only the origin of a message may retract it" },
	[POLICY_ROSTER_ADDRESSED] = { "roster-addressed",
	    "roster messages must be TLP:CLEAR or TLP:GREEN" },
	[POLICY_ORIGIN_EXTERNAL] = { "external-origin-clear-only",
	    "the origin is external: its messages are TLP:CLEAR only, whoever relays them" },
	[POLICY_TIME_FUTURE] = { "time-in-future", "dated more than an hour in the future" },
	[POLICY_EXPIRED] = { "expired",
	    "older than the retention window (it would be removed at once)" },
	[POLICY_ROSTER_OLD] = { "roster-old",
	    "a roster of an epoch below the one in force here (a replay or a rollback)" },
	[POLICY_ROSTER_CONFLICT] = { "roster-conflict",
	    "another roster of the epoch in force here: the one in force stays" },
	[POLICY_KEY_ROTATED] = { "key-rotated",
	    "its key was rotated away: it is dated after the rotation's overlap" },
};

/* Whether each reason may change with time or trust (policy.h). */
static const bool s_provisional[POLICY_REASON_COUNT] = {
	[POLICY_PEER_BLOCKED] = true,
	[POLICY_PEER_UNKNOWN] = true,
	[POLICY_EXTERNAL] = true,
	[POLICY_NOT_RECIPIENT] = true,
	[POLICY_NO_RELAY] = true,
	[POLICY_ORIGIN_UNKNOWN] = true,
	[POLICY_ORIGIN_BLOCKED] = true,
	[POLICY_ROSTER_NOT_COORDINATOR] = true,
	[POLICY_ORIGIN_EXTERNAL] = true,
	[POLICY_TIME_FUTURE] = true,
};

const char *
policy_reason_str(enum policy_reason r)
{
	return (unsigned)r < POLICY_REASON_COUNT ? s_reasons[r].text : "unknown reason";
}

const char *
policy_reason_name(enum policy_reason r)
{
	return (unsigned)r < POLICY_REASON_COUNT ? s_reasons[r].name : "unknown";
}

bool
policy_reason_provisional(enum policy_reason r)
{
	return (unsigned)r < POLICY_REASON_COUNT && s_provisional[r];
}

struct policy_msg
policy_msg_of(const struct msg *m)
{
	struct policy_msg pm = {
		.tlp = m->tlp,
		.kind = m->kind,
		.origin = m->origin,
		.nto = m->nto,
		.to = (const uint8_t(*)[MSG_KEY_LEN])m->to,
		.ref_origin = NULL,
		.time = m->time,
	};
	return pm;
}

static bool
s_same(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, MSG_KEY_LEN) == 0;
}

/* The origin's entry, when it is one for m->origin and m->origin is not
 * self; NULL otherwise. */
static const struct trust_peer *
s_origin_entry(const struct policy_msg *m, const uint8_t *self, const struct trust_peer *origin)
{
	if (origin == NULL || !s_same(origin->id, m->origin) || s_same(self, m->origin))
		return NULL;
	return origin;
}

static bool
s_named(const struct policy_msg *m, const uint8_t *id)
{
	for (size_t i = 0; i < m->nto; i++)
		if (s_same(m->to[i], id))
			return true;
	return false;
}

enum policy_reason
policy_time_ok(const struct policy_msg *m, uint64_t now, uint64_t retention_ms)
{
	if (now <= UINT64_MAX - POLICY_MAX_SKEW_MS && m->time > now + POLICY_MAX_SKEW_MS)
		return POLICY_TIME_FUTURE;
	/* time + retention < now, without overflow */
	if (retention_ms != 0 && !msg_kind_kept(m->kind) && retention_ms < now &&
	    m->time < now - retention_ms)
		return POLICY_EXPIRED;
	return POLICY_OK;
}

enum policy_reason
policy_may_send(const struct policy_msg *m, const uint8_t self[32], const struct trust_peer *source,
    const struct trust_peer *origin, const struct trust_peer *peer)
{
	bool addressed = msg_tlp_addressed(m->tlp);
	bool peer_is_origin = s_same(peer->id, m->origin);
	const struct trust_peer *oe = s_origin_entry(m, self, origin);

	if (peer->level == MSG_LEVEL_BLOCKED)
		return POLICY_PEER_BLOCKED;
	if (source != NULL && s_same(source->id, peer->id))
		return POLICY_SOURCE;
	if (origin != NULL && s_same(origin->id, m->origin) && origin->level == MSG_LEVEL_BLOCKED)
		return POLICY_ORIGIN_BLOCKED;
	if (m->kind == MSG_KIND_ROSTER && addressed)
		return POLICY_ROSTER_ADDRESSED;
	if (m->tlp != MSG_TLP_CLEAR && peer->level != MSG_LEVEL_MEMBER)
		return POLICY_EXTERNAL;
	if (m->tlp != MSG_TLP_CLEAR && oe != NULL && oe->level == MSG_LEVEL_EXTERNAL)
		return POLICY_ORIGIN_EXTERNAL;
	if (!addressed)
		return POLICY_OK;
	if (s_same(self, m->origin))
		return s_named(m, peer->id) ? POLICY_OK : POLICY_NOT_RECIPIENT;
	if (peer_is_origin && s_named(m, self))
		return POLICY_OK;
	return POLICY_NO_RELAY;
}

enum policy_reason
policy_may_accept(const struct policy_msg *m, const uint8_t self[32],
    const struct trust_peer *sender, const struct trust_peer *origin)
{
	bool addressed = msg_tlp_addressed(m->tlp);
	bool self_is_origin = s_same(self, m->origin);

	if (sender == NULL)
		return POLICY_PEER_UNKNOWN;
	if (sender->level == MSG_LEVEL_BLOCKED)
		return POLICY_PEER_BLOCKED;
	if (!self_is_origin) {
		if (origin == NULL || !s_same(origin->id, m->origin))
			return POLICY_ORIGIN_UNKNOWN;
		if (origin->level == MSG_LEVEL_BLOCKED)
			return POLICY_ORIGIN_BLOCKED;
	}
	if (m->kind == MSG_KIND_ROSTER && addressed)
		return POLICY_ROSTER_ADDRESSED;
	if (m->tlp != MSG_TLP_CLEAR && sender->level != MSG_LEVEL_MEMBER)
		return POLICY_EXTERNAL;
	/* origin is self's or a known, unblocked entry of m->origin here */
	if (m->tlp != MSG_TLP_CLEAR && !self_is_origin && origin->level == MSG_LEVEL_EXTERNAL)
		return POLICY_ORIGIN_EXTERNAL;
	if (addressed) {
		bool self_named = s_named(m, self);
		if (!self_is_origin && !self_named)
			return POLICY_NOT_FOR_US;
		if (!(self_named && s_same(sender->id, m->origin)) &&
		    !(self_is_origin && s_named(m, sender->id)))
			return POLICY_NO_RELAY;
	}
	if (msg_kind_governs(m->kind) && !self_is_origin && !origin->coordinator)
		return POLICY_ROSTER_NOT_COORDINATOR;
	if (m->kind == MSG_KIND_RETRACT && m->ref_origin != NULL &&
	    !s_same(m->ref_origin, m->origin))
		return POLICY_RETRACT_NOT_ORIGIN;
	return POLICY_OK;
}
