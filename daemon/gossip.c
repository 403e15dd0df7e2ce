#include "gossip.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "accept.h"
#include "eligible.h"
#include "frame.h"
#include "gossip_impl.h"
#include "ingest.h"
#include "log.h"
#include "recon.h"
#include "refused.h"
#include "util.h"

static void s_message(struct gossip *g, struct peer *p, const uint8_t *data, size_t len);
static void s_release(struct gossip *g, const uint8_t id[MSG_ID_LEN]);

/* What travels with a message through the ingest pipeline: the peer it
 * came from, or, for this node's own (gossip_publish()), who is told of
 * its commit. */
struct tag {
	uint8_t from[MSG_KEY_LEN];
	size_t len;
	gossip_done_fn done; /* NULL: a peer's */
	void *arg;
};

static struct peer *
s_by_id(const struct gossip *g, const uint8_t id[MSG_KEY_LEN])
{
	for (size_t i = 0; i < g->npeers; i++)
		if (memcmp(g->peers[i]->t.id, id, MSG_KEY_LEN) == 0)
			return g->peers[i];
	return NULL;
}

/* ---- sending ---------------------------------------------------------- */

/* policy_may_send() for message pm, with its origin's trust entry. */
static enum policy_reason
s_may_send(const struct gossip *g, const struct policy_msg *pm, const struct peer *source,
    const struct peer *p)
{
	return policy_may_send(pm, g->n->id, source ? &source->t : NULL,
	    trust_find_id(g->n->trust, pm->origin), &p->t);
}

/* The message at bytes, decoded into g->m, to peer p when policy allows
 * and p has not refused it: 1 sent, 0 not for p, -1 no room now. */
int
gossip_offer(struct gossip *g, struct peer *p, const uint8_t *bytes, size_t len,
    const struct peer *source)
{
	struct policy_msg pm = policy_msg_of(g->m);

	if (!peer_can_talk(p) || s_may_send(g, &pm, source, p) != POLICY_OK ||
	    refused_find(p->refused_by, g->m->id) != NULL)
		return 0;
	/* Only messages count as dropped: a lost HELLO or RECON is not news. */
	if (!peer_room(g, p) || !peer_send(g, p, "MSG", bytes, len, true)) {
		p->dropped++;
		return -1;
	}
	memcpy(p->sent_ids[p->sent_at++ % SENT_KEEP], g->m->id, 16);
	p->sent++;
	return 1;
}

void
gossip_push(struct gossip *g, const uint8_t *bytes, size_t len, const uint8_t *from)
{
	const struct peer *source = from != NULL ? s_by_id(g, from) : NULL;

	if (msg_decode(g->m, bytes, len, 0) != MSG_OK)
		return;
	if (from == NULL)
		gossip_demand(g, g->m);
	if (eligible_add(g->elig, g->m, g->n->trust) == -1)
		log_warnx("out of memory: a message is left out of reconciliation until the next "
		          "trust change");
	for (size_t i = 0; i < g->npeers; i++)
		(void)gossip_offer(g, g->peers[i], bytes, len, source);
	s_release(g, g->m->id);
}

struct fetched {
	struct gossip *g;
	struct peer *p;
	int rc;
};

/* Offers one stored message to a peer (reconciliation, WANT). */
static int
s_offer_item(void *arg, const struct store_item *it)
{
	struct fetched *f = arg;

	if (msg_decode(f->g->m, it->bytes, it->len, 0) == MSG_OK)
		f->rc = gossip_offer(f->g, f->p, it->bytes, it->len, NULL);
	return 1;
}

/* ---- reconciliation -------------------------------------------------- */

static void
s_x_free(struct xchg *x)
{
	recon_set_destroy(&x->rs);
	free(x->lacks);
	free(x->done);
	free(x->want.p);
	free(x->reply.p);
	memset(x, 0, sizeof *x);
}

/* A new exchange on x over the set this node may send p, as it is now
 * (refused ids left out: they would differ for ever).  -1 when out of
 * memory. */
static int
s_x_open(struct gossip *g, struct peer *p, struct xchg *x, uint32_t xid)
{
	uint64_t now = now_ms(), keep = g->n->cfg.retention_ms;
	size_t words;

	s_x_free(x);
	if ((x->rs = eligible_set(g->elig, &p->t, keep != 0 && keep < now ? now - keep : 0,
	         p->refused_by)) == NULL)
		return -1;
	words = recon_set_count(x->rs) / 64 + 1;
	x->lacks = calloc(words, sizeof *x->lacks);
	x->done = calloc(words, sizeof *x->done);
	if (x->lacks == NULL || x->done == NULL) {
		s_x_free(x);
		return -1;
	}
	x->xid = xid;
	x->open = true;
	x->at = now_ms();
	return 0;
}

/* The rounds of an exchange are over (done: it completed). */
static void
s_x_close(struct peer *p, int role, bool done)
{
	struct xchg *x = &p->x[role];

	if (done) {
		log_debug("peer %s: reconciliation complete after %d rounds", p->t.name, x->rounds);
		p->reconciled++;
		p->last_reconciled = now_ms();
	}
	x->open = false;
	/* The next exchange is due a sync interval after this one ended, so
	 * that the other side never sees two within a second (it refuses those). */
	if (role == FRAME_INITIATOR)
		p->next_sync = now_ms() + p->g->n->cfg.sync_interval_ms;
}

/* Ends every exchange with p and drops what waits to be sent to it. */
void
gossip_forget_work(struct peer *p)
{
	for (int r = 0; r < 2; r++) {
		if (p->x[r].open)
			s_x_close(p, r, false);
		s_x_free(&p->x[r]);
	}
	free(p->want);
	p->want = NULL;
	p->nwant = 0;
	p->answers_until = 0;
}

static void
s_recon_start(struct gossip *g, struct peer *p)
{
	struct xchg *x = &p->x[FRAME_INITIATOR];
	uint8_t head[FRAME_XID_HEAD];

	/* While the sets are judged anew, the tick starts it once they are. */
	if (!peer_can_talk(p) || !eligible_ready(g->elig))
		return;
	if (s_x_open(g, p, x, randombytes_random()) == -1) {
		log_warnx("peer %s: cannot start reconciliation (out of memory)", p->t.name);
		s_x_close(p, FRAME_INITIATOR, false);
		return;
	}
	frame_recon_head(head, FRAME_INITIATOR, x->xid);
	if (recon_buf_put(&x->reply, head, sizeof head) == -1 ||
	    recon_initiate(x->rs, &x->reply) != 0) {
		s_x_free(x);
		s_x_close(p, FRAME_INITIATOR, false);
		return;
	}
	x->has_reply = true;
	x->rounds = 1;
	gossip_pump(g, p);
}

static void
s_refuse_xchg(struct gossip *g, struct peer *p, uint32_t xid, const char *reason)
{
	struct frame_refuse fr = { .what = FRAME_REFUSE_XCHG, .xid = xid };
	uint8_t buf[FRAME_REFUSE_MAX];
	size_t n;

	snprintf(fr.reason, sizeof fr.reason, "%s", reason);
	if (peer_room(g, p) && (n = frame_refuse_write(buf, &fr)) > 0)
		(void)peer_send(g, p, "REFUSE", buf, n, true);
}

/* CPU time of the loop's thread, in microseconds: what a step cost us,
 * whatever else the machine was doing. */
static uint64_t
s_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A reconciliation message from p (PROTOCOL.md, section 13). */
static void
s_recon(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct frame_recon fr;
	struct recon_buf out = { 0 };
	struct recon_result r = { 0 };
	struct xchg *x;
	uint8_t head[FRAME_XID_HEAD];
	int role, rc;
	uint64_t now = now_ms(), t0 = s_cpu_us();

	if (frame_recon_read(&fr, data, len) != FRAME_OK) {
		peer_reject(p, REJ_RECON);
		return;
	}
	/* Our role in the exchange is the other one. */
	role = fr.role == FRAME_INITIATOR ? FRAME_RESPONDER : FRAME_INITIATOR;
	x = &p->x[role];
	if (!x->open || x->xid != fr.xid) {
		if (role == FRAME_INITIATOR || fr.len == 0)
			return; /* the end of, or a reply in, an exchange that is over here */
		/* A step costs loop time that grows with the set (building it,
		 * marking what the peer lacks): every step is charged, and a
		 * new exchange waits until the peer has had the loop for at most
		 * 1/WORK_SHARE of the time, however it words its messages. */
		if (now - p->built_at < BUILD_EVERY_MS || now < p->busy_until ||
		    !eligible_ready(g->elig)) {
			/* Busy because of the peer is counted against it; busy
			 * because this node is judging its store anew is not. */
			if (eligible_ready(g->elig))
				peer_reject(p, REJ_BUSY);
			s_refuse_xchg(g, p, fr.xid, peer_rej_own[REJ_BUSY - REJ_RATE][0]);
			return;
		}
		p->built_at = now;
		if (s_x_open(g, p, x, fr.xid) == -1) {
			log_warnx("peer %s: cannot answer a reconciliation (out of memory)",
			    p->t.name);
			return;
		}
	}
	if (fr.len == 0) {
		s_x_close(p, role, true);
		return;
	}
	/* A side speaks only after the other's answer has gone out. */
	if (x->has_reply || x->want.len > 0 || ++x->rounds > RECON_MAX_ROUNDS) {
		if (x->rounds <= RECON_MAX_ROUNDS)
			peer_reject(p, REJ_RECON);
		s_x_close(p, role, false);
		return;
	}
	x->at = now;
	frame_recon_head(head, (uint8_t)role, x->xid);
	if (recon_buf_put(&out, head, sizeof head) == -1 ||
	    (rc = recon_reply(x->rs, fr.body, fr.len, &out, &r)) == RECON_E_NOMEM) {
		free(out.p);
		recon_result_free(&r);
		return;
	}
	if (rc != RECON_OK) {
		peer_reject(p, REJ_RECON);
		s_x_close(p, role, false);
		free(out.p);
		recon_result_free(&r);
		return;
	}
	for (size_t i = 0; i < r.nhave; i++) {
		size_t k = r.have[i];
		if (!(x->done[k / 64] >> (k % 64) & 1)) {
			x->lacks[k / 64] |= 1ull << (k % 64);
			if (k < x->cursor)
				x->cursor = k;
		}
	}
	/* One WANT a round at most; the rest is asked at the next exchange. */
	if (r.nneed > 0)
		(void)recon_buf_put(&x->want, r.need,
		    (r.nneed < FRAME_WANT_MAX ? r.nneed : FRAME_WANT_MAX) * RECON_PREFIX_LEN);
	free(x->reply.p); /* the last one, sent */
	x->reply = out;
	x->has_reply = true;
	recon_result_free(&r);
	p->busy_until = (p->busy_until > now ? p->busy_until : now) +
	    (s_cpu_us() - t0) * WORK_SHARE / 1000;
	if (out.len == sizeof head)
		s_x_close(p, role, true); /* our last word: nothing but skips */
	gossip_pump(g, p);
}

/* ---- pull ------------------------------------------------------------- */

/* The frames an exchange has waiting, while the window takes them. */
static bool
s_flush(struct gossip *g, struct peer *p, struct xchg *x)
{
	if (x->want.len > 0) {
		if (!peer_room(g, p) || !peer_send(g, p, "WANT", x->want.p, x->want.len, true))
			return false;
		x->want.len = 0;
	}
	if (x->has_reply) {
		if (!peer_room(g, p) || !peer_send(g, p, "RECON", x->reply.p, x->reply.len, true))
			return false;
		/* It may list our ids: what p sends next answers it. */
		p->answers_until = now_ms() + RECON_IDLE_MS;
		x->has_reply = false;
		x->reply.len = 0;
	}
	return true;
}

/* The next item of x to send, or -1. */
static ptrdiff_t
s_x_next(struct xchg *x)
{
	size_t n = x->rs != NULL ? recon_set_count(x->rs) : 0;

	for (size_t w = x->cursor / 64; w * 64 < n; w++)
		if (x->lacks[w] != 0) {
			size_t k = w * 64 + (size_t)__builtin_ctzll(x->lacks[w]);
			x->cursor = k;
			return (ptrdiff_t)k;
		}
	x->cursor = n;
	return -1;
}

/*
 * Sends p what it asked for and what it lacks, while its window and byte
 * rate allow, at most PUMP_MAX look-ups at a time; then a PING on every
 * connection with unproven bytes, whose PONG resumes the pump.
 */
void
gossip_pump(struct gossip *g, struct peer *p)
{
	struct fetched f = { g, p, 0 };
	size_t work = 0;

	if (!peer_can_talk(p))
		return;
	for (int r = 0; r < 2; r++)
		if (!s_flush(g, p, &p->x[r]))
			goto mark;
	while (work++ < PUMP_MAX && peer_room(g, p)) {
		struct xchg *x = NULL;
		ptrdiff_t k = -1;
		f.rc = 0;
		if (p->nwant > 0) {
			(void)store_get_prefix(g->n->st, p->want[p->nwant - 1], RECON_PREFIX_LEN,
			    s_offer_item, &f);
			if (f.rc == -1)
				break; /* asked again when there is room */
			p->nwant--;
			continue;
		}
		for (int r = 0; r < 2 && k < 0; r++)
			if ((k = s_x_next(&p->x[r])) >= 0)
				x = &p->x[r];
		if (k < 0)
			break;
		(void)store_get(g->n->st, recon_set_id(x->rs, (size_t)k, NULL), s_offer_item, &f);
		if (f.rc == -1)
			break;
		x->lacks[k / 64] &= ~(1ull << (k % 64));
		x->done[k / 64] |= 1ull << (k % 64);
	}
	/* A set whose rounds are over and whose items are all sent goes. */
	for (int r = 0; r < 2; r++)
		if (!p->x[r].open && p->x[r].rs != NULL && !p->x[r].has_reply &&
		    s_x_next(&p->x[r]) < 0)
			s_x_free(&p->x[r]);
mark:
	for (size_t i = 0; i <= ROUTES_MAX; i++)
		if (p->conn[i].used)
			peer_ping(g, p, &p->conn[i]);
}

static int
s_prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECON_PREFIX_LEN);
}

/* p asks for messages by id prefix: distinct prefixes join what waits,
 * up to FRAME_WANT_MAX; each is served once, as the window allows. */
static void
s_want(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	int n = frame_want_count(len);
	uint8_t(*in)[RECON_PREFIX_LEN], (*merged)[RECON_PREFIX_LEN];
	size_t k = 0, a = 0, b = 0, m = 0;
	bool over = false;

	if (n < 0) {
		peer_reject(p, REJ_FRAME);
		return;
	}
	in = malloc(len);
	merged = malloc((p->nwant + (size_t)n) * RECON_PREFIX_LEN);
	if (in == NULL || merged == NULL) {
		free(in), free(merged);
		return;
	}
	memcpy(in, data, len);
	qsort(in, (size_t)n, RECON_PREFIX_LEN, s_prefix_cmp);
	for (int i = 0; i < n; i++)
		if (k == 0 || memcmp(in[k - 1], in[i], RECON_PREFIX_LEN) != 0)
			memcpy(in[k++], in[i], RECON_PREFIX_LEN);
	while (a < p->nwant || b < k) {
		int c = a == p->nwant ? 1
		    : b == k          ? -1
		                      : memcmp(p->want[a], in[b], RECON_PREFIX_LEN);
		const uint8_t *next = c <= 0 ? p->want[a] : in[b];
		if (c <= 0)
			a++;
		if (c >= 0)
			b++;
		if (c > 0 && m >= FRAME_WANT_MAX) {
			over = true;
			continue;
		}
		memcpy(merged[m++], next, RECON_PREFIX_LEN);
	}
	free(in);
	free(p->want);
	p->want = merged;
	p->nwant = m;
	if (over)
		peer_reject(p, REJ_WANT);
	gossip_pump(g, p);
}

/* ---- receiving ---------------------------------------------------------- */

/* Refused message id from p, for reason r: counted and told to p once (an
 * id p offers again is told again, not counted again). */
void
gossip_refuse(struct gossip *g, struct peer *p, const uint8_t id[MSG_ID_LEN], int r)
{
	struct frame_refuse fr = { .what = FRAME_REFUSE_MSG };
	uint8_t buf[FRAME_REFUSE_MAX];
	bool prov = peer_rej_provisional(r);
	size_t n;

	if (refused_add(p->refused, id, prov, peer_rej_name(r)) != 0)
		peer_reject(p, r);
	memcpy(fr.id, id, MSG_ID_LEN);
	fr.cls = prov ? FRAME_PROVISIONAL : FRAME_PERMANENT;
	snprintf(fr.reason, sizeof fr.reason, "%s", peer_rej_name(r));
	if (peer_can_talk(p) && peer_room(g, p) && (n = frame_refuse_write(buf, &fr)) > 0)
		(void)peer_send(g, p, "REFUSE", buf, n, true);
}

/* A refusal from p. */
static void
s_refusal(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct frame_refuse fr;
	char hex[2 * MSG_ID_LEN + 1];

	if (frame_refuse_read(&fr, data, len) != FRAME_OK) {
		peer_reject(p, REJ_FRAME);
		return;
	}
	if (fr.what == FRAME_REFUSE_XCHG) {
		struct xchg *x = &p->x[FRAME_INITIATOR];
		if (x->open && x->xid == fr.xid) {
			log_debug("peer %s: reconciliation refused: %s", p->t.name, fr.reason);
			s_x_close(p, FRAME_INITIATOR, false);
			s_x_free(x);
		}
		return;
	}
	/* Only what this node could have sent p is remembered: a peer cannot
	 * fill the list with ids of its own choosing. */
	if (store_has(g->n->st, fr.id) != 1)
		return;
	if (refused_add(p->refused_by, fr.id, fr.cls == FRAME_PROVISIONAL, fr.reason) == 1) {
		hex_encode(hex, fr.id, MSG_ID_LEN);
		log_info("peer %s refused %s: %s (%s)", p->t.name, hex, fr.reason,
		    fr.cls == FRAME_PROVISIONAL ? "provisional" : "permanent");
	}
}

/* A retraction from p whose target is not here: kept until it arrives
 * (the oldest goes when the room is full; reconciliation brings it back). */
static void
s_hold(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct held *h;

	for (size_t i = 0; i < g->nheld; i++)
		if (g->held[i].len == len && memcmp(g->held[i].bytes, data, len) == 0)
			return;
	while (g->nheld > 0 && (g->nheld == HOLD_MAX || g->held_bytes + len > HOLD_BYTES)) {
		g->held_bytes -= g->held[0].len;
		free(g->held[0].bytes);
		memmove(g->held, g->held + 1, --g->nheld * sizeof *g->held);
	}
	h = &g->held[g->nheld];
	if ((h->bytes = malloc(len)) == NULL)
		return;
	memcpy(h->bytes, data, len);
	h->len = len;
	memcpy(h->ref, g->m->ref, MSG_ID_LEN);
	memcpy(h->from, p->t.id, MSG_KEY_LEN);
	g->nheld++;
	g->held_bytes += len;
}

/* Message id was stored: the retractions waiting for it are judged now. */
static void
s_release(struct gossip *g, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < g->nheld;) {
		struct held h = g->held[i];
		struct peer *p;
		if (memcmp(h.ref, id, MSG_ID_LEN) != 0) {
			i++;
			continue;
		}
		memmove(g->held + i, g->held + i + 1, (g->nheld - i - 1) * sizeof *g->held);
		g->nheld--;
		g->held_bytes -= h.len;
		if ((p = s_by_id(g, h.from)) != NULL)
			s_message(g, p, h.bytes, h.len);
		free(h.bytes);
	}
}

/* A message from p: cheap checks here (limits, decoding, then the one
 * acceptance decision of accept.h), the signature and the commit in the
 * pipeline. */
static void
s_message(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	struct msg *m = g->m;
	struct accept_ctx ac = { g->n->st, g->n->trust, g->n->id, g->n->cfg.retention_ms, now_ms(),
		g->n->roster };
	enum policy_reason why;
	struct tag *tag;
	uint8_t *copy;
	int err;

	if ((err = msg_decode(m, data, len, g->n->cfg.max_message)) != MSG_OK) {
		/* A message's id is the hash of its bytes, whatever they hold. */
		uint8_t id[MSG_ID_LEN];
		crypto_generichash(id, sizeof id, data, len, NULL, 0);
		gossip_refuse(g, p, id, REJ_MSG - err);
		return;
	}
	if (m->kind == MSG_KIND_BEACON) { /* never stored */
		beacon_received(g, p, data, len);
		return;
	}
	switch (accept_judge(&ac, m, &p->t, &why)) {
	case ACCEPT_OK:
		break;
	case ACCEPT_DUP:
		p->duplicates++;
		return;
	case ACCEPT_HOLD:
		s_hold(g, p, data, len);
		return;
	case ACCEPT_REFUSED:
		gossip_refuse(g, p, m->id, REJ_POLICY + (int)why);
		return;
	case ACCEPT_E_STORE:
		return;
	}
	if ((copy = malloc(len)) == NULL || (tag = malloc(sizeof *tag)) == NULL) {
		free(copy);
		return;
	}
	memcpy(copy, data, len);
	memcpy(tag->from, p->t.id, MSG_KEY_LEN);
	tag->len = len;
	tag->done = NULL;
	if (ingest_submit(g->in, copy, len, tag) == -1) {
		free(tag);
		return;
	}
	g->inflight++;
	g->inflight_bytes += len;
}

int
gossip_publish(struct gossip *g, const uint8_t *bytes, size_t len, gossip_done_fn done, void *arg)
{
	struct tag *tag = malloc(sizeof *tag);
	uint8_t *copy = malloc(len);

	if (tag == NULL || copy == NULL) {
		free(tag);
		free(copy);
		return -1;
	}
	memcpy(copy, bytes, len);
	memset(tag->from, 0, MSG_KEY_LEN);
	tag->len = len;
	tag->done = done;
	tag->arg = arg;
	if (ingest_submit(g->in, copy, len, tag) == -1) {
		free(tag);
		return -1;
	}
	/* Counted as a peer's are, but never kept waiting for room: an
	 * operator's publish is one request, which the control socket's
	 * own budget bounds. */
	g->inflight++;
	g->inflight_bytes += len;
	return 0;
}

/* ---- flow control ----------------------------------------------------- */

size_t
gossip_in_flight(const struct gossip *g)
{
	return g->inflight;
}

static bool
s_pipeline_room(const struct gossip *g)
{
	return g->inflight < INFLIGHT_MAX && g->inflight_bytes < INFLIGHT_BYTES;
}

/* Takes waiting frames, one peer after the other, while the pipeline has
 * room: a peer with a long backlog slows only itself. */
static void s_drain(struct gossip *g);

static int
s_drain_later(zloop_t *loop, int timer_id, void *arg)
{
	struct gossip *g = arg;

	(void)loop, (void)timer_id;
	g->drain_timer = -1;
	s_drain(g);
	return 0;
}

static void
s_drain(struct gossip *g)
{
	size_t idle = 0, taken = 0;

	while (g->npeers > 0 && idle < g->npeers && s_pipeline_room(g)) {
		struct peer *p = g->peers[g->turn++ % g->npeers];
		struct waiting *w = p->wait;
		if (w == NULL) {
			idle++;
			continue;
		}
		/* A turn of the loop takes STEP_MAX frames at most (peers with
		 * none do not count): the rest on the next, after whatever else
		 * waits (the control socket, other peers' frames), this peer
		 * first. */
		if (taken++ == STEP_MAX) {
			g->turn--;
			if (g->drain_timer == -1)
				g->drain_timer = zloop_timer(g->loop, 1, 1, s_drain_later, g);
			break;
		}
		idle = 0;
		p->wait = w->next;
		p->wait_bytes -= w->len + FRAME_COST;
		if (w->conn < 0)
			s_message(g, p, w->data, w->len);
		else if (p->conn[w->conn].used)
			peer_answer(g, p, &p->conn[w->conn], "PONG", w->data, w->len);
		free(w);
	}
}

/* Committed messages: forward them (only now: a crash never loses what
 * was forwarded), and count what failed. */
static int
s_ingested(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
	struct gossip *g = arg;
	struct ingest_result res[64];
	size_t n;

	/* STEP_MAX results a turn: those left keep the descriptor readable,
	 * and the loop comes back after what else waits. */
	(void)loop, (void)item;
	for (size_t done = 0; done < STEP_MAX && (n = ingest_results(g->in, res, 64)) > 0;
	     done += n)
		for (size_t i = 0; i < n; i++) {
			struct tag *tag = res[i].tag;
			struct peer *p = tag->done != NULL ? NULL : s_by_id(g, tag->from);
			g->inflight--;
			g->inflight_bytes -= tag->len;
			if (res[i].status == INGEST_STORED) {
				char hex[2 * MSG_ID_LEN + 1];
				hex_encode(hex, res[i].id, MSG_ID_LEN);
				/* The id only: never a title or a body, sealed or not. */
				log_debug("peer %s: stored %s",
				    p != NULL               ? p->t.name
				        : tag->done != NULL ? "(this node)"
				                            : "(gone)",
				    hex);
				if (p != NULL)
					p->received++;
				gossip_push(g, res[i].bytes, res[i].len,
				    tag->done != NULL ? NULL : tag->from);
				if (msg_kind_kept(res[i].kind))
					gossip_governs(g, res[i].bytes, res[i].len);
			} else if (res[i].status == INGEST_DUP) {
				if (p != NULL)
					p->duplicates++;
			} else if (res[i].status == INGEST_E_STORE)
				log_warnx("store: %s", store_strerror(res[i].err));
			else if (p != NULL)
				gossip_refuse(g, p, res[i].id,
				    REJ_MSG -
				        (res[i].status == INGEST_E_SIG ? MSG_E_SIG : res[i].err));
			if (tag->done != NULL)
				tag->done(tag->arg, &res[i]);
			free(res[i].bytes);
			free(tag);
		}
	s_drain(g);
	return 0;
}

/* p's HELLO: its version and features.  Answered on the connection it
 * came in on (c, one of p's connections to us); over our own, it would be
 * a HELLO to answer in turn, when both sides dial. */
static void
s_hello(struct gossip *g, struct peer *p, struct conn *c, bool was_up, const uint8_t *data,
    size_t len)
{
	struct frame_hello h;

	if (frame_hello_read(&h, data, len) != FRAME_OK) {
		peer_reject(p, REJ_FRAME);
		return;
	}
	if (h.version != p->announced && p->announced != 0)
		refused_forget_provisional(p->refused_by); /* upgraded: it may take more now */
	p->announced = h.version;
	p->version = h.version < FRAME_VERSION ? h.version : FRAME_VERSION;
	if (p->version < FRAME_VERSION_MIN && !p->warned) {
		p->warned = true;
		log_warnx("peer %s speaks peer protocol %u; this node speaks %d to %d: nothing is "
		          "exchanged until it is upgraded",
		    p->t.name, h.version, FRAME_VERSION_MIN, FRAME_VERSION);
	}
	/* Its trust list changed: what it refused provisionally may pass now. */
	if (h.has_trust && strcmp(h.trust, p->trust) != 0) {
		if (p->trust[0] != '\0')
			refused_forget_provisional(p->refused_by);
		memcpy(p->trust, h.trust, sizeof p->trust);
		p->trust_dirty = true;
	}
	if (c != NULL && c->route != NULL)
		peer_answer(g, p, c, "HELLO", g->hello, g->hello_len);
	else if (c != NULL && !was_up)
		s_recon_start(g, p); /* (re)connected: catch up at once */
}

/* One frame from p over connection c (NULL: one we do not answer on). */
static void
s_frame(struct gossip *g, struct peer *p, struct conn *c, const char *cmd, const uint8_t *data,
    size_t len)
{
	bool was_up = p->up;
	uint64_t now = now_ms();

	p->last_seen = now;
	p->up = true;
	if (c != NULL)
		c->heard = now;
	if (!was_up) {
		p->redial_ms = REDIAL_MIN_MS;
		log_info("peer %s: connected", p->t.name);
	}
	/* Messages that answer an exchange (what we lack, sent as the window
	 * we prove allows) are paced by that window and by the pipeline, and
	 * never dropped; the budget is for what comes unasked. */
	if (strcmp(cmd, "MSG") == 0 && now < p->answers_until)
		p->answers_until = now + RECON_IDLE_MS;
	else if (!peer_pay(g, p, cmd, len)) {
		peer_reject(p, REJ_RATE);
		return;
	}
	if (strcmp(cmd, "HELLO") == 0)
		s_hello(g, p, c, was_up, data, len);
	else if (strcmp(cmd, "PING") == 0) {
		if (len != FRAME_TOKEN_LEN)
			peer_reject(p, REJ_FRAME);
		else if (c != NULL && p->wait != NULL)
			peer_wait(g, p, (int)(c - p->conn), data, len);
		else if (c != NULL)
			peer_answer(g, p, c, "PONG", data, len);
	} else if (strcmp(cmd, "PONG") == 0)
		peer_pong(g, p, data, len);
	else if (p->version < FRAME_VERSION_MIN)
		return; /* nothing but HELLO from a peer of another version, or before its HELLO */
	else if (strcmp(cmd, "MSG") == 0) {
		if (p->wait == NULL && s_pipeline_room(g))
			s_message(g, p, data, len);
		else
			peer_wait(g, p, -1, data, len);
	} else if (strcmp(cmd, "RECON") == 0)
		s_recon(g, p, data, len);
	else if (strcmp(cmd, "WANT") == 0)
		s_want(g, p, data, len);
	else if (strcmp(cmd, "REFUSE") == 0)
		s_refusal(g, p, data, len);
	else
		peer_reject(p, REJ_FRAME);
}

void
gossip_input(struct gossip *g, const uint8_t key[MSG_KEY_LEN], zframe_t *route, zmsg_t *m)
{
	struct peer *p = s_by_id(g, key);
	char *cmd;
	zframe_t *payload;

	if (p == NULL || p->t.level == MSG_LEVEL_BLOCKED)
		return; /* removed or blocked since it connected */
	cmd = zmsg_popstr(m);
	payload = zmsg_pop(m);
	if (cmd == NULL || payload == NULL || zmsg_size(m) != 0)
		peer_reject(p, REJ_FRAME);
	else
		s_frame(g, p, route != NULL ? peer_route(g, p, route) : &p->conn[0], cmd,
		    zframe_data(payload), zframe_size(payload));
	free(cmd);
	zframe_destroy(&payload);
}

static int
s_router_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct gossip *g = arg;

	(void)loop;
	for (int i = 0; i < READ_BURST && (i == 0 || (zsock_events(sock) & ZMQ_POLLIN)); i++) {
		zmsg_t *m = zmsg_recv(sock);
		zframe_t *route;
		const char *who;
		uint8_t key[MSG_KEY_LEN];

		if (m == NULL || (route = zmsg_pop(m)) == NULL) {
			zmsg_destroy(&m);
			return 0;
		}
		/* The ZAP handler named the connection by the key it
		 * authenticated with, for its whole life; every frame carries
		 * it ("User-Id"). */
		who = zmsg_first(m) != NULL ? zframe_meta(zmsg_first(m), "User-Id") : NULL;
		if (who != NULL && hex_decode(key, sizeof key, who, strlen(who)) == 0)
			gossip_input(g, key, route, m);
		zframe_destroy(&route);
		zmsg_destroy(&m);
	}
	return 0;
}

/* ZAP (RFC 27): admit a CURVE client whose key belongs to a trust-list
 * peer that is not blocked, and name the connection by that peer's node
 * id, so that every frame it sends carries it ("User-Id"). */
static int
s_zap(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct gossip *g = arg;
	zmsg_t *req = zmsg_recv(sock), *rep;
	char *version = NULL, *reqid = NULL, *domain = NULL, *addr = NULL, *mech = NULL;
	char hex[2 * MSG_KEY_LEN + 1] = "";
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
	if (p != NULL)
		hex_encode(hex, p->t.id, MSG_KEY_LEN);
	rep = zmsg_new();
	zmsg_addstr(rep, "1.0");
	zmsg_addstr(rep, reqid ? reqid : "");
	zmsg_addstr(rep, p != NULL ? "200" : "400");
	zmsg_addstr(rep, p != NULL ? "OK" : "not in the trust list, or blocked");
	zmsg_addstr(rep, hex);
	zmsg_addmem(rep, NULL, 0);
	/* Anyone who reaches the port can make us refuse: one line a minute. */
	if (p == NULL && now_ms() - g->refused_logged >= LOG_EVERY_MS) {
		char khex[2 * 32 + 1] = "?";
		if (key != NULL && zframe_size(key) == 32)
			hex_encode(khex, zframe_data(key), 6);
		log_info("refused a CURVE handshake from %s (CURVE key %s...): the key is not in "
		         "the "
		         "trust list, or blocked (and %llu more since the last such line)",
		    addr != NULL && addr[0] != '\0' ? addr : "an unknown address", khex,
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
		peer_save(g);
		g->next_save = now + SAVE_EVERY_MS;
	}
	gossip_topology(g, now);
	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		if (p->up && now - p->last_seen > UP_WINDOW_MS) {
			p->up = false;
			gossip_forget_work(p);
			/* Its connections that are closed take their unproven bytes
			 * with them; one still open keeps them (it may only be deaf). */
			for (int c = 1; c <= ROUTES_MAX; c++)
				if (p->conn[c].used &&
				    peer_raw(g, p, &p->conn[c], "HELLO", g->hello, g->hello_len) ==
				        -2)
					peer_conn_release(&p->conn[c]);
			log_info("peer %s: disconnected", p->t.name);
			g->flaps++;
		}
		for (int r = 0; r < 2; r++)
			if (p->x[r].open && now - p->x[r].at > RECON_IDLE_MS) {
				log_debug("peer %s: a reconciliation went quiet; given up",
				    p->t.name);
				s_x_close(p, r, false);
				s_x_free(&p->x[r]);
			}
		peer_stalled(g, p, now);
		gossip_pump(g, p);
		if (p->dealer == NULL)
			continue;
		/* libzmq never dials again after a refused CURVE handshake (the
		 * peer did not trust us yet, or had blocked us): start over. */
		if (!p->up && now - p->dialed >= p->redial_ms) {
			uint64_t wait = p->redial_ms;
			peer_close(g, p);
			peer_open(g, p);
			p->redial_ms = 2 * wait < REDIAL_MAX_MS ? 2 * wait : REDIAL_MAX_MS;
			if (p->dealer == NULL)
				continue;
		}
		(void)peer_raw(g, p, &p->conn[0], "HELLO", g->hello, g->hello_len);
		if (peer_can_talk(p) && now >= p->next_sync && !p->x[FRAME_INITIATOR].open)
			s_recon_start(g, p);
	}
	return 0;
}

/* ---- peers ------------------------------------------------------------ */

/* Frames larger than this close the connection (ZeroMQ's limit): the
 * largest legal frame, a RECON, whatever max_message is (a message up to
 * this size is read, refused as too-big and counted). */
static int64_t
s_max_frame(const struct gossip *g)
{
	(void)g;
	return FRAME_RECON_MAX > MSG_MAX_SIZE_DEFAULT ? FRAME_RECON_MAX : MSG_MAX_SIZE_DEFAULT;
}

/* TCP keepalives close a connection whose other end is gone without a
 * word, so that what was queued on it is freed.  Not ZeroMQ's heartbeats:
 * libzmq 4.3.4 aborts (stream_engine_base.cpp:331, !_io_error) when its
 * heartbeat timer fires on a connection whose input a flood has stopped. */
void
gossip_sock_common(struct gossip *g, zsock_t *s)
{
	zsock_set_ipv6(s, 1); /* [IPv6] endpoints and names with AAAA records */
	zsock_set_linger(s, 0);
	zsock_set_sndtimeo(s, 0);
	/* Not the control socket's I/O thread, when the process has two. */
	if (zmq_ctx_get(zsys_init(), ZMQ_IO_THREADS) >= 2)
		zsock_set_affinity(s, 2);
	zsock_set_sndhwm(s, (int)g->n->cfg.peer_queue);
	/* What a peer sends faster than the loop reads waits in ZeroMQ, up to
	 * this many frames a connection; then TCP pushes back on the peer. */
	zsock_set_rcvhwm(s, RCV_QUEUE);
	zsock_set_maxmsgsize(s, s_max_frame(g));
	zsock_set_tcp_keepalive(s, 1);
	zsock_set_tcp_keepalive_idle(s, 30);
	zsock_set_tcp_keepalive_intvl(s, 10);
	zsock_set_tcp_keepalive_cnt(s, 3);
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
			for (int c = 1; c <= ROUTES_MAX; c++)
				peer_conn_release(&g->peers[i]->conn[c]);
	}
	if ((g->router = zsock_new(ZMQ_ROUTER)) == NULL)
		return errf(err, errlen, "out of memory");
	zsock_set_zap_domain(g->router, ZAP_DOMAIN);
	zsock_set_curve_server(g->router, 1);
	zsock_set_curve_secretkey_bin(g->router, k->curve_sk);
	zsock_set_curve_publickey_bin(g->router, k->curve_pk);
	gossip_sock_common(g, g->router); /* an [IPv6] listen address; "*" is then both */
	zsock_set_router_mandatory(g->router, 1);
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

/* Our HELLO: the version, and a digest of the trust list that changes
 * with it (peers forget our provisional refusals when it does). */
static void
s_hello_make(struct gossip *g)
{
	crypto_generichash_state st;
	uint8_t d[8];

	crypto_generichash_init(&st, NULL, 0, sizeof d);
	for (size_t i = 0; i < trust_count(g->n->trust); i++) {
		const struct trust_peer *t = trust_at(g->n->trust, i);
		uint8_t lc[2] = { (uint8_t)t->level, t->coordinator };
		crypto_generichash_update(&st, t->id, sizeof t->id);
		crypto_generichash_update(&st, lc, sizeof lc);
	}
	crypto_generichash_final(&st, d, sizeof d);
	g->hello_len = frame_hello_write(g->hello, d);
}

/* Peers from the trust list, by node id: existing ones keep their
 * counters and connections whatever their name now is. */
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
			if ((p = calloc(1, sizeof *p)) == NULL ||
			    (p->refused_by = refused_new()) == NULL ||
			    (p->refused = refused_new()) == NULL)
				fatalx("out of memory");
			p->g = g;
			p->tokens = g->n->cfg.peer_burst;
			p->ctl_tokens = CTL_BURST;
			p->tokens_at = p->ctl_at = p->out_at = now_ms();
			if (keys_curve_pk(p->curve, t->id) == -1) {
				peer_free(g, &p);
				continue;
			}
			p->t = *t;
			peer_load(g, p);
		} else {
			if (t->level == MSG_LEVEL_BLOCKED && p->t.level != MSG_LEVEL_BLOCKED)
				*cut = true;
			if (t->level == MSG_LEVEL_BLOCKED ||
			    strcmp(t->endpoint, p->t.endpoint) != 0)
				peer_close(g, p);
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
			peer_free(g, &g->peers[i]);
		}
	}
	free(g->peers);
	g->peers = next;
	g->npeers = n;
	gossip_topology(g, now_ms());
}

/* A turn of the scan that makes the eligible sets anew: steps of
 * SCAN_STEP messages for SCAN_TURN_MS at most, so that a store of any size
 * never holds the loop up; until the scan is done no exchange starts (what
 * it would offer is being judged), while pushes and everything else go
 * on. */
static int
s_scan(zloop_t *loop, int timer_id, void *arg)
{
	struct gossip *g = arg;
	uint64_t t0 = mono_us();
	int rc;

	(void)timer_id;
	while ((rc = eligible_step(g->elig, g->n->st, g->n->trust, SCAN_STEP)) == 0 &&
	    mono_us() - t0 < SCAN_TURN_MS * 1000u)
		;
	if (rc == 0)
		return 0;
	if (rc == -1)
		log_warnx("out of memory or a store error: reconciliation works on part of the "
		          "store until the next trust change");
	else
		log_info("judged %zu messages for reconciliation in %" PRIu64 " ms",
		    eligible_count(g->elig), now_ms() - g->scan_started);
	zloop_timer_end(loop, g->scan_timer);
	g->scan_timer = -1;
	return 0;
}

/* Judges the whole store again, in steps (s_scan). */
static void
s_rescan(struct gossip *g)
{
	eligible_restart(g->elig);
	g->scan_started = now_ms();
	if (g->scan_timer == -1 && (g->scan_timer = zloop_timer(g->loop, 1, 0, s_scan, g)) == -1)
		while (s_scan(g->loop, -1, g) == 0 && !eligible_ready(g->elig))
			;
}

void
gossip_trust_changed(struct gossip *g)
{
	char err[256];
	bool cut;

	s_sync_peers(g, &cut);
	/* Every exchange was judged under the old list: none goes on, and
	 * what waited to be sent is judged again when it is asked anew. */
	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		gossip_forget_work(p);
		refused_forget_provisional(p->refused_by);
		refused_forget_provisional(p->refused);
		p->next_sync = 0;
	}
	s_hello_make(g);
	s_rescan(g);
	if (cut && s_listen(g, err, sizeof err) == -1)
		log_warnx("%s", err);
}

void
gossip_rekey(struct gossip *g)
{
	char err[256];

	eligible_destroy(&g->elig);
	if ((g->elig = eligible_new(g->n->id)) == NULL)
		fatalx("out of memory");
	/* Every connection was made under the old key. */
	for (size_t i = 0; i < g->npeers; i++)
		peer_close(g, g->peers[i]);
	if (s_listen(g, err, sizeof err) == -1)
		log_warnx("%s", err);
	gossip_trust_changed(g);
}

void
gossip_governs(struct gossip *g, const uint8_t *bytes, size_t len)
{
	if (node_governs(g->n, bytes, len) == 1)
		gossip_trust_changed(g);
}

struct gossip *
gossip_new(struct node *n, zloop_t *loop, char *err, size_t errlen)
{
	struct gossip *g = calloc(1, sizeof *g);
	/* Room for every message gossip lets into the pipeline and every
	 * publish the control socket lets wait: a submit never blocks the
	 * loop. */
	struct ingest_cfg cfg = { .max_size = n->cfg.max_message,
		.self = n->id,
		.seal = n->seal,
		.keep_bytes = true,
		.queue = INFLIGHT_MAX + GOSSIP_PUBLISH_MAX,
		.queue_bytes = INFLIGHT_BYTES + GOSSIP_PUBLISH_MAX * n->cfg.max_message };
	bool cut;

	if (g == NULL || (g->m = msg_new()) == NULL) {
		free(g);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	g->n = n;
	g->loop = loop;
	g->drain_timer = g->beacon_timer = g->scan_timer = -1;
	s_hello_make(g);
	if ((g->elig = eligible_new(n->id)) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
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
	s_rescan(g);
	if (s_listen(g, err, errlen) == -1)
		goto fail;
	g->timer = zloop_timer(loop, HEARTBEAT_MS, 0, s_tick, g);
	g->beacon_timer = zloop_timer(loop, n->cfg.beacon_interval_ms, 0, beacon_tick, g);
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
	if (g->drain_timer != -1)
		zloop_timer_end(g->loop, g->drain_timer);
	if (g->scan_timer != -1)
		zloop_timer_end(g->loop, g->scan_timer);
	if (g->beacon_timer != -1)
		zloop_timer_end(g->loop, g->beacon_timer);
	free(g->beacons);
	if (g->in != NULL) {
		struct ingest_result res[64];
		size_t k;
		zloop_poller_end(g->loop, &g->ingest_item);
		/* What is in flight is committed; its tags are ours to free. */
		ingest_wait(g->in);
		while ((k = ingest_results(g->in, res, 64)) > 0)
			for (size_t i = 0; i < k; i++) {
				struct tag *tag = res[i].tag;
				if (tag->done != NULL)
					tag->done(tag->arg, &res[i]);
				free(res[i].bytes);
				free(tag);
			}
		ingest_destroy(&g->in);
		peer_save(g);
	}
	keys_destroy(&g->next_keys); /* after a rotation's statement came out (rotate.c) */
	for (size_t i = 0; i < g->npeers; i++)
		peer_free(g, &g->peers[i]);
	free(g->peers);
	for (size_t i = 0; i < g->nheld; i++)
		free(g->held[i].bytes);
	if (g->router != NULL) {
		zloop_reader_end(g->loop, g->router);
		zsock_destroy(&g->router);
	}
	if (g->zap != NULL) {
		zloop_reader_end(g->loop, g->zap);
		zsock_destroy(&g->zap);
	}
	eligible_destroy(&g->elig);
	msg_destroy(&g->m);
	free(g);
	*gp = NULL;
}

/* ---- views ------------------------------------------------------------ */

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
		const char *refusal = refused_find(p->refused_by, m->id);
		char text[256];
		bool sent = false;
		for (size_t k = 0; k < SENT_KEEP && k < p->sent_at && !sent; k++)
			sent = memcmp(p->sent_ids[k], m->id, 16) == 0;
		if (why != POLICY_OK)
			snprintf(text, sizeof text, "%s", policy_reason_str(why));
		else if (refusal != NULL)
			snprintf(text, sizeof text, "refused by %s: %s", p->t.name, refusal);
		else
			snprintf(text, sizeof text, "%s",
			    sent ? "policy allows it; sent"
			         : "policy allows it; not sent yet (not connected, or before this "
			           "node's last start)");
		json_array_append_new(e->a,
		    json_pack("{s:s,s:s,s:s,s:s}", "peer", p->t.name, "decision",
		        why != POLICY_OK      ? "withheld"
		            : refusal != NULL ? "refused"
		            : sent            ? "sent"
		                              : "would send",
		        "reason",
		        refusal != NULL && why == POLICY_OK ? refusal : policy_reason_name(why),
		        "why", text));
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
