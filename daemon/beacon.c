/*
 * Status beacons (docs/PROTOCOL.md sections 5.6 and 13.12): every
 * beacon_interval each node signs a small TLP:GREEN `beacon` message (the
 * roster epoch it applied, its version, its connected peers, its store use,
 * its disconnections since the last one) and offers it to its peers, which
 * pass it on once.  Beacons are not stored: each node keeps the latest of
 * every origin in memory, and refuses one older than BEACON_TTL_MS.  From
 * them `socmesh network` shows the network as a coordinator sees it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "gossip_impl.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"
#include "version.h"

/* Recently seen beacons: a ring of id prefixes, so that each is checked,
 * recorded and passed on once. */
static bool
s_seen(struct gossip *g, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < BEACON_SEEN; i++)
		if (memcmp(g->beacon_seen[i], id, sizeof g->beacon_seen[i]) == 0)
			return true;
	memcpy(g->beacon_seen[g->beacon_seen_at++ % BEACON_SEEN], id, sizeof g->beacon_seen[0]);
	return false;
}

static struct beacon *
s_slot(struct gossip *g, const uint8_t origin[MSG_KEY_LEN])
{
	struct beacon *b;

	for (size_t i = 0; i < g->nbeacons; i++)
		if (memcmp(g->beacons[i].origin, origin, MSG_KEY_LEN) == 0)
			return &g->beacons[i];
	if (g->nbeacons == g->capbeacons) {
		size_t cap = g->capbeacons ? 2 * g->capbeacons : 16;
		if (cap > TRUST_MAX_PEERS + 1 || (b = realloc(g->beacons, cap * sizeof *b)) == NULL)
			return NULL;
		g->beacons = b, g->capbeacons = cap;
	}
	b = &g->beacons[g->nbeacons++];
	memset(b, 0, sizeof *b);
	memcpy(b->origin, origin, MSG_KEY_LEN);
	return b;
}

/* The latest beacon of m's origin, when m is later than what is kept. */
static void
s_record(struct gossip *g, const struct msg *m, uint64_t now)
{
	struct beacon *b = s_slot(g, m->origin);

	if (b == NULL || b->time >= m->time)
		return;
	b->time = m->time;
	b->heard = now;
	b->epoch = m->body.epoch;
	b->peers = m->body.peers;
	b->store = m->body.store;
	b->flaps = m->body.flaps;
	snprintf(b->version, sizeof b->version, "%.*s", (int)m->body.version.n, m->body.version.p);
}

/* Offers the beacon in g->m to every peer but the one it came from. */
static void
s_pass_on(struct gossip *g, const uint8_t *bytes, size_t len, const struct peer *source)
{
	for (size_t i = 0; i < g->npeers; i++)
		(void)gossip_offer(g, g->peers[i], bytes, len, source);
}

void
beacon_received(struct gossip *g, struct peer *p, const uint8_t *bytes, size_t len)
{
	struct msg *m = g->m;
	uint64_t now = now_ms();
	struct accept_ctx ac = { g->n->st, g->n->trust, g->n->id, 0, now, NULL };
	enum policy_reason why;

	if (s_seen(g, m->id)) {
		p->duplicates++;
		return;
	}
	/* Two beacons of an origin a second at most are checked (Ed25519, on
	 * the loop): more are a peer's flood, within its budget. */
	for (size_t i = 0; i < g->nbeacons; i++)
		if (memcmp(g->beacons[i].origin, m->origin, MSG_KEY_LEN) == 0 &&
		    now - g->beacons[i].heard < BEACON_MIN_GAP_MS) {
			p->duplicates++;
			return;
		}
	if (m->time + BEACON_TTL_MS < now) {
		gossip_refuse(g, p, m->id, REJ_POLICY + POLICY_EXPIRED);
		return;
	}
	if (accept_judge(&ac, m, &p->t, &why) != ACCEPT_OK) {
		gossip_refuse(g, p, m->id, REJ_POLICY + (int)why);
		return;
	}
	if (msg_verify(m) != MSG_OK) {
		gossip_refuse(g, p, m->id, REJ_MSG - MSG_E_SIG);
		return;
	}
	s_record(g, m, now);
	s_pass_on(g, bytes, len, p);
}

int
beacon_tick(zloop_t *loop, int timer_id, void *arg)
{
	struct gossip *g = arg;
	struct msg *m = g->m;
	struct store_stats ss = { 0 };
	uint8_t *bytes;
	size_t len, up = 0;
	uint64_t now = now_ms();
	int rc;

	(void)loop, (void)timer_id;
	/* Members only hear beacons (TLP:GREEN): an external or blocked node
	 * of the roster in force keeps its own, sends none. */
	const struct roster_entry *me = roster_find(g->n->roster, g->n->id);
	bool member = me == NULL || me->level == MSG_LEVEL_MEMBER;
	if (g->n->keys == NULL)
		return 0;
	for (size_t i = 0; i < g->npeers; i++)
		up += g->peers[i]->up;
	(void)store_stats(g->n->st, &ss);
	msg_clear(m);
	memcpy(m->origin, g->n->id, MSG_KEY_LEN);
	/* Not stored, so not numbered in the store: its time is its seq. */
	m->seq = m->time = now;
	m->tlp = MSG_TLP_GREEN;
	m->kind = MSG_KIND_BEACON;
	m->has_body = true;
	m->body.impact = -1;
	m->body.epoch = roster_epoch(g->n->roster);
	m->body.version = (struct msg_str){ SOCMESH_VERSION, strlen(SOCMESH_VERSION) };
	m->body.peers = up;
	m->body.store = ss.used_bytes;
	m->body.flaps = g->flaps;
	g->flaps = 0;
	if ((rc = msg_encode(m, g->n->keys->sk, NULL, NULL, &bytes, &len)) != MSG_OK) {
		log_warnx("beacon: %s", msg_strerror(rc));
		return 0;
	}
	if (msg_decode(m, bytes, len, 0) == MSG_OK) {
		(void)s_seen(g, m->id);
		s_record(g, m, now);
		if (member)
			s_pass_on(g, bytes, len, NULL);
	}
	free(bytes);
	return 0;
}

/* What stands out about a member: silent, behind on the roster, flapping.
 * An external or blocked member's beacons never come here (TLP:GREEN):
 * it is flagged so, never silent. */
static json_t *
s_flags(const struct gossip *g, const struct beacon *b, const uint8_t id[MSG_KEY_LEN], bool self,
    uint64_t now)
{
	json_t *f = json_array();
	uint64_t silent_ms = 3 * g->n->cfg.beacon_interval_ms;
	const struct trust_peer *p = trust_find_id(g->n->trust, id);
	bool member = self || (p != NULL && p->level == MSG_LEVEL_MEMBER);

	if (self)
		json_array_append_new(f, json_string("self"));
	else if (p != NULL && !member)
		json_array_append_new(f, json_string(msg_level_name(p->level)));
	if (member && !self && (b == NULL || now - b->heard > silent_ms))
		json_array_append_new(f, json_string("silent"));
	if (member && b != NULL && b->epoch < roster_epoch(g->n->roster))
		json_array_append_new(f, json_string("behind"));
	if (member && b != NULL && b->flaps >= BEACON_FLAPPING)
		json_array_append_new(f, json_string("flapping"));
	return f;
}

static json_t *
s_row(const struct gossip *g, const char *name, const uint8_t id[MSG_KEY_LEN], uint64_t now)
{
	const struct beacon *b = NULL;
	char hex[2 * MSG_KEY_LEN + 1], when[TIMEFMT_LEN];
	bool self = memcmp(id, g->n->id, MSG_KEY_LEN) == 0;

	for (size_t i = 0; i < g->nbeacons && b == NULL; i++)
		if (memcmp(g->beacons[i].origin, id, MSG_KEY_LEN) == 0)
			b = &g->beacons[i];
	hex_encode(hex, id, MSG_KEY_LEN);
	if (b != NULL)
		timefmt_format(when, b->heard);
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "name", name, "id", hex, "epoch",
	    b ? json_integer((json_int_t)b->epoch) : json_null(), "version",
	    b ? json_string(b->version) : json_null(), "last_heard",
	    b ? json_string(when) : json_null(), "peers",
	    b ? json_integer((json_int_t)b->peers) : json_null(), "store_bytes",
	    b ? json_integer((json_int_t)b->store) : json_null(), "flags",
	    s_flags(g, b, id, self, now));
}

json_t *
gossip_network_json(const struct gossip *g)
{
	const struct roster *r = g->n->roster;
	json_t *a = json_array();
	uint64_t now = now_ms();

	/* The roster's members, this node among them; without a roster, this
	 * node and its trust list. */
	if (roster_epoch(r) > 0)
		for (size_t i = 0; i < roster_count(r); i++)
			json_array_append_new(a,
			    s_row(g, roster_at(r, i)->name, roster_at(r, i)->id, now));
	else {
		json_array_append_new(a, s_row(g, g->n->cfg.name, g->n->id, now));
		for (size_t i = 0; i < trust_count(g->n->trust); i++)
			json_array_append_new(a,
			    s_row(g, trust_at(g->n->trust, i)->name, trust_at(g->n->trust, i)->id,
			        now));
	}
	return a;
}
