#include "gossip.h"

#include <string.h>

#include "ingest.h"
#include "log.h"
#include "recon.h"
#include "util.h"

#define HEARTBEAT_MS 1000
#define UP_WINDOW_MS (3 * HEARTBEAT_MS) /* no frame for this long: link down */
#define REDIAL_MIN_MS 5000   /* a dialled peer silent this long is dialled anew, */
#define REDIAL_MAX_MS 300000 /* twice as late each time, up to this */
#define RECON_MAX_ROUNDS 64
#define RECON_IDLE_MS 10000 /* an exchange silent this long is given up (a frame was lost) */
#define WANT_MAX 4096     /* prefixes asked for in one frame */
#define LOG_EVERY_MS 60000 /* one log line per peer and reason per minute */
#define SAVE_EVERY_MS 10000 /* peer counters to the store */
#define SENT_KEEP 4096      /* recent ids remembered per peer, for explain */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "socmesh"

/* Rejection reasons: the policy's, the decoder's, then our own. */
enum {
	REJ_POLICY = 0,
	REJ_MSG = REJ_POLICY + POLICY_REASON_COUNT, /* + (-msg_err) */
	REJ_RATE = REJ_MSG + (-MSG_E_LAST) + 1,
	REJ_FUTURE,
	REJ_FRAME,
	REJ_RECON,
	REJ_COUNT,
};

struct peer {
	struct gossip *g;
	struct trust_peer t;
	uint8_t curve[32];
	zsock_t *dealer;  /* outgoing connection, when t.endpoint is set */
	zframe_t *route;  /* routing id of its connection to our listener */
	uint64_t last_seen;
	bool up;
	uint64_t sent, received, duplicates, dropped;
	uint64_t rejected[REJ_COUNT];
	uint64_t logged[REJ_COUNT];
	double tokens;
	uint64_t tokens_at;
	uint8_t sent_ids[SENT_KEEP][16]; /* ring of id prefixes sent */
	size_t sent_at;
	struct recon_set *rs; /* our side of a reconciliation under way */
	uint64_t rs_built;    /* when a peer's RECON last made us build one */
	int rounds;
	uint64_t next_sync;
	uint64_t recon_at;    /* the last RECON of the exchange under way, sent or received */
	uint64_t reconciled, last_reconciled; /* exchanges completed; when the last one did */
	uint64_t dialed, redial_ms; /* when the dealer was made; the wait before the next */
};

struct gossip {
	struct node *n;
	zloop_t *loop;
	zsock_t *router, *zap;
	int timer;
	uint64_t next_save;
	struct peer **peers;
	size_t npeers;
	struct ingest *in;
	zmq_pollitem_t ingest_item;
	struct msg *m; /* scratch for the loop thread */
	uint64_t refused, refused_logged; /* handshakes refused since the last log line; when */
};

static void s_save(struct gossip *g);
static void s_peer_open(struct gossip *g, struct peer *p);
static void s_peer_close(struct gossip *g, struct peer *p);

/* What travels with a message through the ingest pipeline. */
struct tag {
	uint8_t from[MSG_KEY_LEN];
};

/* Our own reasons, from REJ_RATE on: token for counters, text for logs. */
static const char *const s_rej_own[][2] = {
	{ "rate-limited", "over the peer's rate limit" },
	{ "time-in-future", "dated more than an hour in the future" },
	{ "bad-frame", "malformed frame" },
	{ "bad-reconciliation", "malformed reconciliation message" },
};

static const char *
s_rej_name(int r)
{
	if (r < REJ_MSG)
		return policy_reason_name((enum policy_reason)r);
	if (r < REJ_RATE)
		return msg_errname(-(r - REJ_MSG));
	return s_rej_own[r - REJ_RATE][0];
}

static const char *
s_rej_text(int r)
{
	if (r < REJ_MSG)
		return policy_reason_str((enum policy_reason)r);
	if (r < REJ_RATE)
		return msg_strerror(-(r - REJ_MSG));
	return s_rej_own[r - REJ_RATE][1];
}

/* Counted always; logged once per peer and reason per minute. */
static void
s_reject(struct peer *p, int r)
{
	uint64_t now = now_ms();

	p->rejected[r]++;
	if (now - p->logged[r] >= LOG_EVERY_MS) {
		p->logged[r] = now;
		log_warnx("peer %s: rejected: %s (%llu so far)", p->t.name, s_rej_text(r),
			(unsigned long long)p->rejected[r]);
	}
}

static struct peer *
s_by_name(const struct gossip *g, const char *name)
{
	for (size_t i = 0; name != NULL && i < g->npeers; i++)
		if (strcmp(g->peers[i]->t.name, name) == 0)
			return g->peers[i];
	return NULL;
}

static struct peer *
s_by_id(const struct gossip *g, const uint8_t id[MSG_KEY_LEN])
{
	for (size_t i = 0; i < g->npeers; i++)
		if (memcmp(g->peers[i]->t.id, id, MSG_KEY_LEN) == 0)
			return g->peers[i];
	return NULL;
}

/* ---- sending ---------------------------------------------------------- */

/* One frame on sock, after the routing id when route is given. */
static bool
s_send_on(zsock_t *sock, zframe_t *route, const char *cmd, const void *data, size_t len)
{
	zmsg_t *m = zmsg_new();
	bool sent;

	if (route != NULL)
		zmsg_addmem(m, zframe_data(route), zframe_size(route));
	zmsg_addstr(m, cmd);
	zmsg_addmem(m, data, len);
	sent = zmsg_send(&m, sock) == 0;
	zmsg_destroy(&m);
	return sent;
}

/* One frame to a peer, without blocking: over our connection to it, else
 * over its connection to us (ours may be down while its is up: a dealer
 * without a connection takes nothing, ZMQ_IMMEDIATE).  False when neither
 * takes it: the frame is dropped, and reconciliation repairs what was. */
static bool
s_send(struct gossip *g, struct peer *p, const char *cmd, const void *data, size_t len)
{
	if (p->dealer != NULL && s_send_on(p->dealer, NULL, cmd, data, len))
		return true;
	return p->route != NULL && p->up && s_send_on(g->router, p->route, cmd, data, len);
}

/* policy_may_send() for message pm, with its origin's trust entry. */
static enum policy_reason
s_may_send(const struct gossip *g, const struct policy_msg *pm, const struct peer *source,
	const struct peer *p)
{
	return policy_may_send(pm, g->n->id, source ? &source->t : NULL,
		trust_find_id(g->n->trust, pm->origin), &p->t);
}

/* The message at bytes, decoded into g->m, to peer p when policy allows. */
static bool
s_offer(struct gossip *g, struct peer *p, const uint8_t *bytes, size_t len,
	const struct peer *source)
{
	struct policy_msg pm = policy_msg_of(g->m);

	if (!p->up || s_may_send(g, &pm, source, p) != POLICY_OK)
		return false;
	/* Only messages count as dropped: a lost HELLO or RECON is not news. */
	if (!s_send(g, p, "MSG", bytes, len)) {
		p->dropped++;
		return false;
	}
	memcpy(p->sent_ids[p->sent_at++ % SENT_KEEP], g->m->id, 16);
	p->sent++;
	return true;
}

void
gossip_push(struct gossip *g, const uint8_t *bytes, size_t len, const uint8_t *from)
{
	const struct peer *source = from != NULL ? s_by_id(g, from) : NULL;

	if (msg_decode(g->m, bytes, len, 0) != MSG_OK)
		return;
	for (size_t i = 0; i < g->npeers; i++)
		(void)s_offer(g, g->peers[i], bytes, len, source);
}

struct fetched {
	struct gossip *g;
	struct peer *p;
};

/* Offers one stored message to a peer (reconciliation, WANT). */
static int
s_offer_item(void *arg, const struct store_item *it)
{
	struct fetched *f = arg;

	if (msg_decode(f->g->m, it->bytes, it->len, 0) == MSG_OK)
		(void)s_offer(f->g, f->p, it->bytes, it->len, NULL);
	return 1;
}

/* ---- reconciliation -------------------------------------------------- */

struct eligible {
	struct gossip *g;
	struct peer *p;
	struct recon_set *s;
	int err;
};

static int
s_add_eligible(void *arg, const struct store_item *it)
{
	struct eligible *e = arg;
	struct policy_msg pm;

	if (msg_decode(e->g->m, it->bytes, it->len, 0) != MSG_OK)
		return 0;
	pm = policy_msg_of(e->g->m);
	if (s_may_send(e->g, &pm, NULL, e->p) == POLICY_OK &&
	    recon_set_add(e->s, e->g->m->time, e->g->m->id) == -1)
		e->err = -1;
	return e->err;
}

/* The set of messages this node may send p, as it is now. */
static struct recon_set *
s_eligible(struct gossip *g, struct peer *p)
{
	struct eligible e = { g, p, recon_set_new(), 0 };

	if (e.s == NULL)
		return NULL;
	if (store_range(g->n->st, 0, UINT64_MAX, false, NULL, 0, s_add_eligible, &e, NULL) < 0 ||
	    e.err != 0 || recon_set_seal(e.s) == -1)
		recon_set_destroy(&e.s);
	return e.s;
}

/* The next exchange is due a sync interval after this one ended, so that
 * the other side never sees two within a second (it refuses those). */
static void
s_recon_end(struct peer *p)
{
	recon_set_destroy(&p->rs);
	p->rounds = 0;
	p->next_sync = now_ms() + p->g->n->cfg.sync_interval_ms;
}

/* Either side's last word, an empty RECON, completes an exchange. */
static void
s_recon_done(struct peer *p)
{
	log_debug("peer %s: reconciliation complete after %d rounds", p->t.name, p->rounds);
	p->reconciled++;
	p->last_reconciled = now_ms();
	s_recon_end(p);
}

static void
s_recon_start(struct gossip *g, struct peer *p)
{
	struct recon_buf out = { 0 };

	s_recon_end(p);
	if ((p->rs = s_eligible(g, p)) == NULL || recon_initiate(p->rs, &out) != 0) {
		log_warnx("peer %s: cannot start reconciliation", p->t.name);
		s_recon_end(p);
	} else {
		s_send(g, p, "RECON", out.p, out.len);
		p->rounds = 1;
	}
	p->recon_at = now_ms(); /* after the set was built: that may take a while */
	free(out.p);
}

/* A reconciliation message from p; an empty one ends the exchange. */
static void
s_recon(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct recon_buf out = { 0 };
	struct recon_result r = { 0 };
	struct fetched f = { g, p };
	int err;

	if (len == 0 && p->rs != NULL) {
		s_recon_done(p);
		return;
	}
	if (len == 0 || ++p->rounds > RECON_MAX_ROUNDS) {
		s_recon_end(p);
		return;
	}
	if (p->rs == NULL) {
		/* Building the set reads every stored message: a peer may make us
		 * do it at most once a second, however many exchanges it opens. */
		uint64_t now = now_ms();
		if (now - p->rs_built < 1000) {
			s_reject(p, REJ_RECON);
			p->rounds = 0;
			return;
		}
		p->rs_built = now;
		if ((p->rs = s_eligible(g, p)) == NULL)
			return;
	}
	if ((err = recon_reply(p->rs, data, len, &out, &r)) != RECON_OK) {
		s_reject(p, REJ_RECON);
		s_recon_end(p);
	} else {
		for (size_t i = 0; i < r.nhave; i++)
			(void)store_get(g->n->st, recon_set_id(p->rs, r.have[i], NULL), s_offer_item, &f);
		for (size_t i = 0; i < r.nneed; i += WANT_MAX) {
			size_t k = r.nneed - i < WANT_MAX ? r.nneed - i : WANT_MAX;
			s_send(g, p, "WANT", r.need[i], k * RECON_PREFIX_LEN);
		}
		/* Our last word: an empty message tells p we are done. */
		s_send(g, p, "RECON", out.p, out.len);
		if (out.len == 0)
			s_recon_done(p);
	}
	p->recon_at = now_ms();
	free(out.p);
	recon_result_free(&r);
}

/* p asks for messages by id prefix: send those policy allows. */
static void
s_want(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct fetched f = { g, p };

	if (len % RECON_PREFIX_LEN != 0 || len / RECON_PREFIX_LEN > WANT_MAX) {
		s_reject(p, REJ_FRAME);
		return;
	}
	for (size_t i = 0; i < len; i += RECON_PREFIX_LEN)
		(void)store_get_prefix(g->n->st, data + i, RECON_PREFIX_LEN, s_offer_item, &f);
}

/* ---- receiving ---------------------------------------------------------- */

struct origin_of {
	struct msg *m;
	uint8_t origin[MSG_KEY_LEN];
	bool found;
};

static int
s_origin_of(void *arg, const struct store_item *it)
{
	struct origin_of *o = arg;

	if (msg_decode(o->m, it->bytes, it->len, 0) == MSG_OK) {
		memcpy(o->origin, o->m->origin, MSG_KEY_LEN);
		o->found = true;
	}
	return 1;
}

/* Token bucket per peer: peer_rate messages/s, peer_burst at once. */
static bool
s_rate_ok(struct gossip *g, struct peer *p)
{
	uint64_t now = now_ms();

	p->tokens += (double)(now - p->tokens_at) * g->n->cfg.peer_rate / 1000.0;
	if (p->tokens > g->n->cfg.peer_burst)
		p->tokens = g->n->cfg.peer_burst;
	p->tokens_at = now;
	if (p->tokens < 1.0)
		return false;
	p->tokens -= 1.0;
	return true;
}

/* A message from p: cheap checks here (limits, decoding, duplicates,
 * trust and TLP rules), the signature and the commit in the pipeline. */
static void
s_message(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct msg *m = g->m;
	const struct trust_peer *origin;
	struct origin_of ro = { NULL, { 0 }, false };
	struct policy_msg pm;
	enum policy_reason why;
	struct tag *tag;
	uint8_t *copy;
	int err;

	if (!s_rate_ok(g, p)) {
		s_reject(p, REJ_RATE);
		return;
	}
	if ((err = msg_decode(m, data, len, g->n->cfg.max_message)) != MSG_OK) {
		s_reject(p, REJ_MSG - err);
		return;
	}
	if (store_has(g->n->st, m->id) == 1) {
		p->duplicates++;
		return;
	}
	if (m->time > now_ms() + NODE_MAX_SKEW_MS) {
		s_reject(p, REJ_FUTURE);
		return;
	}
	pm = policy_msg_of(m);
	origin = trust_find_id(g->n->trust, m->origin);
	if (m->kind == MSG_KIND_RETRACT && m->has_ref && (ro.m = msg_new()) != NULL) {
		uint8_t ref[MSG_ID_LEN];
		memcpy(ref, m->ref, sizeof ref);
		(void)store_get(g->n->st, ref, s_origin_of, &ro);
		msg_destroy(&ro.m);
		/* m is the loop's scratch: decode the message again. */
		if (msg_decode(m, data, len, g->n->cfg.max_message) != MSG_OK)
			return;
		if (ro.found)
			pm.ref_origin = ro.origin;
	}
	if ((why = policy_may_accept(&pm, g->n->id, &p->t, origin)) != POLICY_OK) {
		s_reject(p, REJ_POLICY + (int)why);
		return;
	}
	if ((copy = malloc(len)) == NULL || (tag = malloc(sizeof *tag)) == NULL) {
		free(copy);
		return;
	}
	memcpy(copy, data, len);
	memcpy(tag->from, p->t.id, MSG_KEY_LEN);
	if (ingest_submit(g->in, copy, len, tag) == -1)
		free(tag);
}

struct pushed {
	struct gossip *g;
	const uint8_t *from;
};

static int
s_push_item(void *arg, const struct store_item *it)
{
	struct pushed *pu = arg;
	gossip_push(pu->g, it->bytes, it->len, pu->from);
	return 1;
}

/* Committed messages: forward them (only now: a crash never loses what
 * was forwarded), and count what failed. */
static int
s_ingested(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
	struct gossip *g = arg;
	struct ingest_result res[64];
	size_t n;

	(void)loop, (void)item;
	while ((n = ingest_results(g->in, res, 64)) > 0)
		for (size_t i = 0; i < n; i++) {
			struct tag *tag = res[i].tag;
			struct peer *p = s_by_id(g, tag->from);
			struct pushed pu = { g, tag->from };
			if (res[i].status == INGEST_STORED) {
				char hex[2 * MSG_ID_LEN + 1];
				hex_encode(hex, res[i].id, MSG_ID_LEN);
				/* The id only: never a title or a body, sealed or not. */
				log_debug("peer %s: stored %s", p != NULL ? p->t.name : "(gone)", hex);
				if (p != NULL)
					p->received++;
				(void)store_get(g->n->st, res[i].id, s_push_item, &pu);
			} else if (res[i].status == INGEST_DUP) {
				if (p != NULL)
					p->duplicates++;
			} else if (res[i].status == INGEST_E_STORE)
				log_warnx("store: %s", store_strerror(res[i].err));
			else if (p != NULL)
				s_reject(p, REJ_MSG - (res[i].status == INGEST_E_SIG ? MSG_E_SIG : res[i].err));
			free(tag);
		}
	return 0;
}

/* A frame [cmd, payload] from peer p. */
static void
s_frame(struct gossip *g, struct peer *p, zmsg_t *m, bool via_router)
{
	char *cmd = zmsg_popstr(m);
	zframe_t *payload = zmsg_pop(m);
	const uint8_t *data = payload ? zframe_data(payload) : NULL;
	size_t len = payload ? zframe_size(payload) : 0;
	bool was_up = p->up;

	p->last_seen = now_ms();
	p->up = true;
	if (cmd == NULL || payload == NULL || zmsg_size(m) != 0)
		s_reject(p, REJ_FRAME);
	else if (strcmp(cmd, "HELLO") == 0) {
		/* Answered on the connection it came in on: over our own, it
		 * would be a HELLO to answer in turn, when both sides dial. */
		if (via_router && p->route != NULL)
			(void)s_send_on(g->router, p->route, "HELLO", NULL, 0);
		else if (!was_up)
			s_recon_start(g, p); /* (re)connected: catch up at once */
	} else if (strcmp(cmd, "MSG") == 0)
		s_message(g, p, data, len);
	else if (strcmp(cmd, "RECON") == 0)
		s_recon(g, p, data, len);
	else if (strcmp(cmd, "WANT") == 0)
		s_want(g, p, data, len);
	else
		s_reject(p, REJ_FRAME);
	if (!was_up) {
		p->redial_ms = REDIAL_MIN_MS;
		log_info("peer %s: connected", p->t.name);
	}
	free(cmd);
	zframe_destroy(&payload);
}

static int
s_router_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct gossip *g = arg;
	zmsg_t *m = zmsg_recv(sock);
	zframe_t *route;
	struct peer *p;

	(void)loop;
	if (m == NULL || (route = zmsg_pop(m)) == NULL) {
		zmsg_destroy(&m);
		return 0;
	}
	/* The ZAP handler named the peer (on the frames it sent, not on the
	 * routing id); a peer blocked or removed since is ignored until the
	 * listener is rebound. */
	p = zmsg_first(m) ? s_by_name(g, zframe_meta(zmsg_first(m), "User-Id")) : NULL;
	if (p != NULL && p->t.level != MSG_LEVEL_BLOCKED) {
		if (p->route == NULL || !zframe_eq(p->route, route)) {
			zframe_destroy(&p->route);
			p->route = zframe_dup(route);
		}
		s_frame(g, p, m, true);
	}
	zframe_destroy(&route);
	zmsg_destroy(&m);
	return 0;
}

static int
s_dealer_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct peer *p = arg;
	zmsg_t *m = zmsg_recv(sock);

	(void)loop;
	if (m != NULL)
		s_frame(p->g, p, m, false);
	zmsg_destroy(&m);
	return 0;
}

/* ZAP (RFC 27): admit a CURVE client whose key belongs to a trust-list
 * peer that is not blocked, and name it, so that every frame it sends
 * carries its name ("User-Id"). */
static int
s_zap(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct gossip *g = arg;
	zmsg_t *req = zmsg_recv(sock), *rep;
	char *version = NULL, *reqid = NULL, *domain = NULL, *addr = NULL, *mech = NULL;
	zframe_t *key = NULL;
	struct peer *p = NULL;

	(void)loop;
	if (req == NULL)
		return 0;
	version = zmsg_popstr(req);
	reqid = zmsg_popstr(req);
	domain = zmsg_popstr(req);
	addr = zmsg_popstr(req);
	free(zmsg_popstr(req)); /* routing id */
	mech = zmsg_popstr(req);
	key = zmsg_pop(req);
	if (mech != NULL && strcmp(mech, "CURVE") == 0 && key != NULL && zframe_size(key) == 32)
		for (size_t i = 0; i < g->npeers && p == NULL; i++)
			if (memcmp(g->peers[i]->curve, zframe_data(key), 32) == 0 &&
			    g->peers[i]->t.level != MSG_LEVEL_BLOCKED)
				p = g->peers[i];
	rep = zmsg_new();
	zmsg_addstr(rep, "1.0");
	zmsg_addstr(rep, reqid ? reqid : "");
	zmsg_addstr(rep, p != NULL ? "200" : "400");
	zmsg_addstr(rep, p != NULL ? "OK" : "not in the trust list, or blocked");
	zmsg_addstr(rep, p != NULL ? p->t.name : "");
	zmsg_addmem(rep, NULL, 0);
	/* Anyone who reaches the port can make us refuse: one line a minute. */
	if (p == NULL && now_ms() - g->refused_logged >= LOG_EVERY_MS) {
		char hex[2 * 32 + 1] = "?";
		if (key != NULL && zframe_size(key) == 32)
			hex_encode(hex, zframe_data(key), 6);
		log_info("refused a CURVE handshake from %s (CURVE key %s...): the key is not in the "
			 "trust list, or blocked (and %llu more since the last such line)",
			addr != NULL && addr[0] != '\0' ? addr : "an unknown address", hex,
			(unsigned long long)g->refused);
		g->refused = 0;
		g->refused_logged = now_ms();
	} else if (p == NULL)
		g->refused++;
	zmsg_send(&rep, sock);
	zmsg_destroy(&rep);
	zframe_destroy(&key);
	free(version), free(reqid), free(domain), free(addr), free(mech);
	zmsg_destroy(&req);
	return 0;
}

/* Every heartbeat: say hello over our connections, notice links that went
 * quiet, and start the reconciliations that are due. */
static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
	struct gossip *g = arg;
	uint64_t now = now_ms();

	(void)loop, (void)timer_id;
	if (now >= g->next_save) {
		s_save(g);
		g->next_save = now + SAVE_EVERY_MS;
	}
	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		if (p->up && now - p->last_seen > UP_WINDOW_MS) {
			p->up = false;
			s_recon_end(p);
			log_info("peer %s: disconnected", p->t.name);
		}
		if (p->rs != NULL && now - p->recon_at > RECON_IDLE_MS) {
			log_debug("peer %s: a reconciliation went quiet; given up", p->t.name);
			s_recon_end(p);
		}
		if (p->dealer == NULL)
			continue;
		/* libzmq never dials again after a refused CURVE handshake (the
		 * peer did not trust us yet, or had blocked us): start over. */
		if (!p->up && now - p->dialed >= p->redial_ms) {
			uint64_t wait = p->redial_ms;
			s_peer_close(g, p);
			s_peer_open(g, p);
			p->redial_ms = 2 * wait < REDIAL_MAX_MS ? 2 * wait : REDIAL_MAX_MS;
			if (p->dealer == NULL)
				continue;
		}
		s_send(g, p, "HELLO", NULL, 0);
		if (p->up && now >= p->next_sync && p->rs == NULL)
			s_recon_start(g, p);
	}
	return 0;
}

/* ---- peers ------------------------------------------------------------ */

/*
 * Peer counters in the store's peer table, so that they survive restarts:
 * little-endian u64 values, the count first, then sent, received,
 * duplicates, dropped and the rejections by reason.  A blob from another
 * version with fewer or more reasons loads what both know.
 */
#define SAVED_FIXED 4

static void
s_save(struct gossip *g)
{
	uint8_t blob[8 * (1 + SAVED_FIXED + REJ_COUNT)];

	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		uint64_t v[1 + SAVED_FIXED + REJ_COUNT] = { SAVED_FIXED + REJ_COUNT, p->sent,
			p->received, p->duplicates, p->dropped };
		memcpy(v + 1 + SAVED_FIXED, p->rejected, sizeof p->rejected);
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
			for (int b = 0; b < 8; b++)
				blob[8 * k + b] = (uint8_t)(v[k] >> (8 * b));
		if (store_peer_put(g->n->st, p->t.name, blob, sizeof blob) != STORE_OK)
			log_warnx("peer %s: counters not saved", p->t.name);
	}
}

static void
s_load(struct gossip *g, struct peer *p)
{
	uint8_t blob[8 * (1 + SAVED_FIXED + REJ_COUNT + 64)];
	uint64_t v[1 + SAVED_FIXED + REJ_COUNT] = { 0 };
	size_t n;

	if (store_peer_get(g->n->st, p->t.name, blob, sizeof blob, &n) != STORE_OK || n % 8 != 0)
		return;
	for (size_t k = 0; k < n / 8 && k < sizeof v / sizeof v[0]; k++)
		for (int b = 7; b >= 0; b--)
			v[k] = (v[k] << 8) | blob[8 * k + (size_t)b];
	p->sent = v[1], p->received = v[2], p->duplicates = v[3], p->dropped = v[4];
	memcpy(p->rejected, v + 1 + SAVED_FIXED, sizeof p->rejected);
}

static void
s_peer_close(struct gossip *g, struct peer *p)
{
	if (p->dealer != NULL) {
		zloop_reader_end(g->loop, p->dealer);
		zsock_destroy(&p->dealer);
	}
	zframe_destroy(&p->route);
	s_recon_end(p);
	p->up = false;
}

static void
s_peer_open(struct gossip *g, struct peer *p)
{
	const struct keys *k = g->n->keys;

	if (p->t.endpoint[0] == '\0' || p->t.level == MSG_LEVEL_BLOCKED || p->dealer != NULL)
		return;
	if ((p->dealer = zsock_new(ZMQ_DEALER)) == NULL)
		fatalx("out of memory");
	zsock_set_curve_serverkey_bin(p->dealer, p->curve);
	zsock_set_curve_publickey_bin(p->dealer, k->curve_pk);
	zsock_set_curve_secretkey_bin(p->dealer, k->curve_sk);
	zsock_set_ipv6(p->dealer, 1); /* [IPv6] endpoints and names with AAAA records */
	zsock_set_linger(p->dealer, 0);
	zsock_set_sndtimeo(p->dealer, 0);
	zsock_set_immediate(p->dealer, 1);
	zsock_set_sndhwm(p->dealer, (int)g->n->cfg.peer_queue);
	zsock_set_maxmsgsize(p->dealer, 2 * (int64_t)g->n->cfg.max_message);
	zsock_set_reconnect_ivl(p->dealer, 100);
	zsock_set_reconnect_ivl_max(p->dealer, 5000);
	if (zsock_connect(p->dealer, "%s", p->t.endpoint) != 0) {
		log_warnx("peer %s: cannot connect to %s", p->t.name, p->t.endpoint);
		zsock_destroy(&p->dealer);
		return;
	}
	zloop_reader(g->loop, p->dealer, s_dealer_readable, p);
	zloop_reader_set_tolerant(g->loop, p->dealer);
	p->dialed = now_ms();
	if (p->redial_ms == 0)
		p->redial_ms = REDIAL_MIN_MS;
}

/* The listener, (re)bound: closing it drops every inbound connection,
 * which is how a newly blocked peer is cut off at once (honest peers
 * reconnect by themselves). */
static int
s_listen(struct gossip *g, char *err, size_t errlen)
{
	const struct keys *k = g->n->keys;

	if (g->router != NULL) {
		zloop_reader_end(g->loop, g->router);
		zsock_destroy(&g->router);
		for (size_t i = 0; i < g->npeers; i++)
			zframe_destroy(&g->peers[i]->route);
	}
	if ((g->router = zsock_new(ZMQ_ROUTER)) == NULL)
		return errf(err, errlen, "out of memory");
	zsock_set_zap_domain(g->router, ZAP_DOMAIN);
	zsock_set_curve_server(g->router, 1);
	zsock_set_curve_secretkey_bin(g->router, k->curve_sk);
	zsock_set_curve_publickey_bin(g->router, k->curve_pk);
	zsock_set_ipv6(g->router, 1); /* an [IPv6] listen address; "*" is then both */
	zsock_set_linger(g->router, 0);
	zsock_set_sndtimeo(g->router, 0);
	zsock_set_router_mandatory(g->router, 1);
	zsock_set_sndhwm(g->router, (int)g->n->cfg.peer_queue);
	zsock_set_maxmsgsize(g->router, 2 * (int64_t)g->n->cfg.max_message);
	/* A closed socket gives its port back asynchronously: a rebind may
	 * have to wait for it a little. */
	for (int i = 0; zsock_bind(g->router, "%s", g->n->cfg.listen) == -1; i++) {
		if (zmq_errno() != EADDRINUSE || i == 100)
			return errf(err, errlen, "cannot listen on %s: %s", g->n->cfg.listen,
				zmq_strerror(zmq_errno()));
		zclock_sleep(10);
	}
	zloop_reader(g->loop, g->router, s_router_readable, g);
	zloop_reader_set_tolerant(g->loop, g->router);
	return 0;
}

/* Peers from the trust list; existing ones keep their counters. */
static void
s_sync_peers(struct gossip *g, bool *cut)
{
	struct peer **next = calloc(trust_count(g->n->trust) + 1, sizeof *next);
	size_t n = 0;

	if (next == NULL)
		fatalx("out of memory");
	*cut = false;
	for (size_t i = 0; i < trust_count(g->n->trust); i++) {
		const struct trust_peer *t = trust_at(g->n->trust, i);
		struct peer *p = s_by_id(g, t->id);
		if (p == NULL) {
			if ((p = calloc(1, sizeof *p)) == NULL)
				fatalx("out of memory");
			p->g = g;
			p->tokens = g->n->cfg.peer_burst;
			p->tokens_at = now_ms();
			if (keys_curve_pk(p->curve, t->id) == -1) {
				free(p);
				continue;
			}
			p->t = *t;
			s_load(g, p);
		} else {
			if (t->level == MSG_LEVEL_BLOCKED && p->t.level != MSG_LEVEL_BLOCKED)
				*cut = true;
			if (t->level == MSG_LEVEL_BLOCKED || strcmp(t->endpoint, p->t.endpoint) != 0)
				s_peer_close(g, p);
		}
		p->t = *t;
		next[n++] = p;
	}
	for (size_t i = 0; i < g->npeers; i++) {
		bool kept = false;
		for (size_t k = 0; k < n && !kept; k++)
			kept = next[k] == g->peers[i];
		if (!kept) {
			*cut = true;
			s_peer_close(g, g->peers[i]);
			free(g->peers[i]);
		}
	}
	free(g->peers);
	g->peers = next;
	g->npeers = n;
	for (size_t i = 0; i < n; i++)
		s_peer_open(g, next[i]);
}

void
gossip_trust_changed(struct gossip *g)
{
	char err[256];
	bool cut;

	s_sync_peers(g, &cut);
	if (cut && s_listen(g, err, sizeof err) == -1)
		log_warnx("%s", err);
}

struct gossip *
gossip_new(struct node *n, zloop_t *loop, char *err, size_t errlen)
{
	struct gossip *g = calloc(1, sizeof *g);
	struct ingest_cfg cfg = { .max_size = n->cfg.max_message, .self = n->id };
	bool cut;

	if (g == NULL || (g->m = msg_new()) == NULL) {
		free(g);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	g->n = n;
	g->loop = loop;
	/* The ZAP handler must exist before the listener takes a handshake. */
	if ((g->zap = zsock_new_rep(ZAP_ENDPOINT)) == NULL) {
		errf(err, errlen, "cannot start the ZAP handler");
		goto fail;
	}
	zloop_reader(loop, g->zap, s_zap, g);
	if ((g->in = ingest_new(n->st, &cfg)) == NULL) {
		errf(err, errlen, "cannot start the ingest threads");
		goto fail;
	}
	g->ingest_item = (zmq_pollitem_t){ NULL, ingest_fd(g->in), ZMQ_POLLIN, 0 };
	zloop_poller(loop, &g->ingest_item, s_ingested, g);
	s_sync_peers(g, &cut);
	if (s_listen(g, err, errlen) == -1)
		goto fail;
	g->timer = zloop_timer(loop, HEARTBEAT_MS, 0, s_tick, g);
	return g;
fail:
	gossip_destroy(&g);
	return NULL;
}

void
gossip_destroy(struct gossip **gp)
{
	struct gossip *g;

	if (gp == NULL || (g = *gp) == NULL)
		return;
	if (g->timer > 0)
		zloop_timer_end(g->loop, g->timer);
	if (g->in != NULL) {
		zloop_poller_end(g->loop, &g->ingest_item);
		ingest_destroy(&g->in);
		s_save(g);
	}
	for (size_t i = 0; i < g->npeers; i++) {
		s_peer_close(g, g->peers[i]);
		free(g->peers[i]);
	}
	free(g->peers);
	if (g->router != NULL) {
		zloop_reader_end(g->loop, g->router);
		zsock_destroy(&g->router);
	}
	if (g->zap != NULL) {
		zloop_reader_end(g->loop, g->zap);
		zsock_destroy(&g->zap);
	}
	msg_destroy(&g->m);
	free(g);
	*gp = NULL;
}

/* ---- views ------------------------------------------------------------ */

json_t *
gossip_peers_json(const struct gossip *g)
{
	json_t *a = json_array();

	for (size_t i = 0; i < g->npeers; i++) {
		const struct peer *p = g->peers[i];
		json_t *rej = json_object();
		char hex[2 * MSG_KEY_LEN + 1];
		/* A policy reason and a decoder error may share a name
		 * (not-recipient): one counter under it, their sum. */
		for (int r = 0; r < REJ_COUNT; r++)
			if (p->rejected[r] > 0)
				json_object_set_new(rej, s_rej_name(r),
					json_integer(json_integer_value(json_object_get(rej, s_rej_name(r))) +
						(json_int_t)p->rejected[r]));
		hex_encode(hex, p->t.id, MSG_KEY_LEN);
		json_array_append_new(a,
			json_pack("{s:s,s:s,s:o,s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I}", "name", p->t.name,
				"id", hex, "endpoint",
				p->t.endpoint[0] ? json_string(p->t.endpoint) : json_null(), "level",
				msg_level_name(p->t.level), "coordinator", p->t.coordinator, "connected",
				p->up, "last_seen", (json_int_t)p->last_seen, "sent", (json_int_t)p->sent,
				"received", (json_int_t)p->received, "duplicates",
				(json_int_t)p->duplicates, "dropped", (json_int_t)p->dropped, "rejected",
				rej, "reconciliations", (json_int_t)p->reconciled, "last_reconciled",
				(json_int_t)p->last_reconciled));
	}
	return a;
}

struct explained {
	const struct gossip *g;
	json_t *a;
};

static int
s_explain_item(void *arg, const struct store_item *it)
{
	struct explained *e = arg;
	struct msg *m = msg_new();
	struct policy_msg pm;

	if (m == NULL || msg_decode(m, it->bytes, it->len, 0) != MSG_OK) {
		msg_destroy(&m);
		return 1;
	}
	pm = policy_msg_of(m);
	e->a = json_array();
	for (size_t i = 0; i < e->g->npeers; i++) {
		const struct peer *p = e->g->peers[i];
		enum policy_reason why = s_may_send(e->g, &pm, NULL, p);
		bool sent = false;
		for (size_t k = 0; k < SENT_KEEP && k < p->sent_at && !sent; k++)
			sent = memcmp(p->sent_ids[k], m->id, 16) == 0;
		json_array_append_new(e->a,
			json_pack("{s:s,s:s,s:s,s:s}", "peer", p->t.name, "decision",
				why != POLICY_OK ? "withheld" : sent ? "sent" : "would send", "reason",
				policy_reason_name(why), "why",
				why != POLICY_OK ? policy_reason_str(why)
				: sent		 ? "policy allows it; sent"
						 : "policy allows it; not sent yet (not connected, or "
						   "before this node's last start)"));
	}
	msg_destroy(&m);
	return 1;
}

json_t *
gossip_explain_json(const struct gossip *g, const uint8_t id[MSG_ID_LEN])
{
	struct explained e = { g, NULL };

	(void)store_get(g->n->st, id, s_explain_item, &e);
	return e.a;
}
