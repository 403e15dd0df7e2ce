/*
 * Which peers this node dials (docs/PROTOCOL.md section 13.11).  Local
 * entries with an endpoint, always.  Of the roster's, at most dial_max:
 * the ids of the roster's members (this node among them) make a ring in
 * byte order, and a node prefers its successors at distances 1, 2, 4, 8,
 * ... and then the others in ring order, so that every node's choice is
 * deterministic and the links of all make a connected graph that stays
 * connected when some nodes stop.  A chosen peer not linked after DOWN_MS
 * is passed over for DOWN_SKIP_MS and the next one dialled instead.
 * Besides, each named recipient of an addressed message published here is
 * dialled until DEMAND_IDLE_MS after the last (addressed messages are
 * never relayed).  Every node accepts inbound links from all its peers.
 */
#include <stdlib.h>
#include <string.h>

#include "gossip_impl.h"
#include "log.h"
#include "util.h"

struct rank {
	struct peer *p;
	size_t dist; /* along the ring, 1 .. n-1 */
};

static bool
s_pow2(size_t d)
{
	return d != 0 && (d & (d - 1)) == 0;
}

/* Powers of two first, nearest first; then the rest in ring order. */
static int
s_rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	bool px = s_pow2(x->dist), py = s_pow2(y->dist);

	if (px != py)
		return px ? -1 : 1;
	return x->dist < y->dist ? -1 : x->dist > y->dist;
}

/* The ring position of id among the roster's members: how many ids sort
 * before it. */
static size_t
s_pos(const struct roster *r, const uint8_t id[MSG_KEY_LEN])
{
	size_t n = 0;

	for (size_t i = 0; i < roster_count(r); i++)
		n += memcmp(roster_at(r, i)->id, id, MSG_KEY_LEN) < 0;
	return n;
}

/* Our connection to p only (its inbound ones stay). */
static void
s_undial(struct gossip *g, struct peer *p)
{
	if (p->dealer == NULL)
		return;
	zloop_reader_end(g->loop, p->dealer);
	zsock_destroy(&p->dealer);
	peer_conn_release(&p->conn[0]);
	log_debug("peer %s: no longer dialled", p->t.name);
}

void
gossip_topology(struct gossip *g, uint64_t now)
{
	const struct roster *r = g->n->roster;
	struct rank *v = calloc(g->npeers + 1, sizeof *v);
	size_t nv = 0, ring = roster_count(r) + (roster_find(r, g->n->id) == NULL), self,
	       chosen = 0;

	if (v == NULL) {
		log_warnx("out of memory: the peers dialled stay as they are");
		return;
	}
	self = s_pos(r, g->n->id);
	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		/* Dialled long enough without a link: passed over a while. */
		if (p->dealer != NULL && !p->up && p->dial_since != 0 &&
		    now - p->dial_since >= DOWN_MS && p->t.roster != 0) {
			p->down_until = now + DOWN_SKIP_MS;
			log_info("peer %s: not reached in %d s; another roster peer is dialled "
			         "instead",
			    p->t.name, DOWN_MS / 1000);
		}
		p->dial = p->t.roster == 0 || p->demand_until > now;
		if (p->t.roster != 0 && p->t.endpoint[0] != '\0' &&
		    p->t.level != MSG_LEVEL_BLOCKED) {
			size_t pos = s_pos(r, p->t.id);
			v[nv].p = p;
			v[nv++].dist = (pos + ring - self) % ring;
		}
	}
	qsort(v, nv, sizeof *v, s_rank_cmp);
	for (size_t i = 0; i < nv && chosen < g->n->cfg.dial_max; i++)
		if (v[i].p->down_until <= now) {
			v[i].p->dial = true;
			chosen++;
		}
	free(v);
	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		if (p->dial && p->dealer == NULL) {
			peer_open(g, p);
			p->dial_since = p->up ? 0 : now;
		} else if (!p->dial && p->dealer != NULL)
			s_undial(g, p);
		if (p->up)
			p->dial_since = 0;
	}
}

void
gossip_demand(struct gossip *g, const struct msg *m)
{
	uint64_t now = now_ms();
	bool more = false;

	if (!msg_tlp_addressed(m->tlp) || memcmp(m->origin, g->n->id, MSG_KEY_LEN) != 0)
		return;
	for (size_t i = 0; i < m->nto; i++) {
		struct peer *p = NULL;
		for (size_t k = 0; k < g->npeers && p == NULL; k++)
			if (memcmp(g->peers[k]->t.id, m->to[i], MSG_KEY_LEN) == 0)
				p = g->peers[k];
		if (p == NULL)
			continue;
		more |= p->dealer == NULL && !p->up;
		p->demand_until = now + DEMAND_IDLE_MS;
	}
	if (more)
		gossip_topology(g, now);
}
