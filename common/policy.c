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
		"roster changes are accepted only from coordinators; the origin is not one" },
	[POLICY_RETRACT_NOT_ORIGIN] = { "retract-not-origin",
		"only the origin of a message may retract it" },
	[POLICY_ROSTER_ADDRESSED] = { "roster-addressed",
		"roster messages must be TLP:CLEAR or TLP:GREEN" },
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

struct policy_msg
policy_msg_of(const struct msg *m)
{
	struct policy_msg pm = {
		.tlp = m->tlp,
		.kind = m->kind,
		.origin = m->origin,
		.nto = m->nto,
		.to = (const uint8_t (*)[MSG_KEY_LEN])m->to,
		.ref_origin = NULL,
	};
	return pm;
}

static bool
s_same(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, MSG_KEY_LEN) == 0;
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
policy_may_send(const struct policy_msg *m, const uint8_t self[32],
	const struct trust_peer *source, const struct trust_peer *origin,
	const struct trust_peer *peer)
{
	bool addressed = msg_tlp_addressed(m->tlp);
	bool peer_is_origin = s_same(peer->id, m->origin);

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
	if (addressed) {
		bool self_named = s_named(m, self);
		if (!self_is_origin && !self_named)
			return POLICY_NOT_FOR_US;
		if (!(self_named && s_same(sender->id, m->origin)) &&
		    !(self_is_origin && s_named(m, sender->id)))
			return POLICY_NO_RELAY;
	}
	if (m->kind == MSG_KIND_ROSTER && !self_is_origin && !origin->coordinator)
		return POLICY_ROSTER_NOT_COORDINATOR;
	if (m->kind == MSG_KIND_RETRACT && m->ref_origin != NULL && !s_same(m->ref_origin, m->origin))
		return POLICY_RETRACT_NOT_ORIGIN;
	return POLICY_OK;
}
