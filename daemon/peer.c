/*
 * peer — one peer of the gossip (gossip.h) and its connections: what it is
 * rejected for, counted and logged; its budgets; the frames sent to it and
 * the PINGs and PONGs that prove it read them; which of its connections to
 * our listener are answered on, and which stalled; its frames waiting for
 * room in the ingest pipeline; our connection to it opened and closed; its
 * counters in the store; the peers view.  What it shares with gossip.c is
 * in gossip_impl.h.
 */
#include "gossip_impl.h"

#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "refused.h"
#include "util.h"

/* Our own reasons, from REJ_RATE on: token for counters, text for logs. */
const char *const peer_rej_own[][2] = {
	{ "rate-limited", "over the peer's frame budget" },
	{ "bad-frame", "malformed frame" },
	{ "bad-reconciliation", "malformed or out-of-turn reconciliation message" },
	{ "want-overflow", "more message requests waiting than the peer may have" },
	{ "busy", "a new reconciliation within a second of the last" },
};

/* Decoder errors that a later protocol version may make valid: the
 * refusal is provisional, and forgotten when the peer's HELLO changes. */
static bool
s_msg_err_provisional(int err)
{
	return err == MSG_E_VERSION || err == MSG_E_FIELD || err == MSG_E_KIND ||
	    err == MSG_E_CATEGORY || err == MSG_E_SEVERITY || err == MSG_E_STATUS ||
	    err == MSG_E_INDICATOR || err == MSG_E_TOKEN || err == MSG_E_LEVEL;
}

const char *
peer_rej_name(int r)
{
	if (r < REJ_MSG)
		return policy_reason_name((enum policy_reason)r);
	if (r < REJ_RATE)
		return msg_errname(-(r - REJ_MSG));
	return peer_rej_own[r - REJ_RATE][0];
}

static const char *
s_rej_text(int r)
{
	if (r < REJ_MSG)
		return policy_reason_str((enum policy_reason)r);
	if (r < REJ_RATE)
		return msg_strerror(-(r - REJ_MSG));
	return peer_rej_own[r - REJ_RATE][1];
}

bool
peer_rej_provisional(int r)
{
	if (r < REJ_MSG)
		return policy_reason_provisional((enum policy_reason)r);
	return r < REJ_RATE && s_msg_err_provisional(-(r - REJ_MSG));
}

/* Counted; logged once per peer and reason per minute. */
void
peer_reject(struct peer *p, int r)
{
	uint64_t now = now_ms(), sec = now / 1000;

	p->rejected[r]++;
	if (p->rej_sec_at[sec % 60] != sec) {
		p->rej_sec_at[sec % 60] = sec;
		p->rej_sec[sec % 60] = 0;
	}
	p->rej_sec[sec % 60]++;
	if (now - p->logged[r] >= LOG_EVERY_MS) {
		p->logged[r] = now;
		log_warnx("peer %s: rejected: %s (%llu so far)", p->t.name, s_rej_text(r),
		    (unsigned long long)p->rejected[r]);
	}
}

static uint64_t
s_rej_last_minute(const struct peer *p)
{
	uint64_t sec = now_ms() / 1000, sum = 0;

	for (int i = 0; i < 60; i++)
		if (sec - p->rej_sec_at[i] < 60)
			sum += p->rej_sec[i];
	return sum;
}

/* ---- budgets ---------------------------------------------------------- */

static void
s_bucket(double *tokens, uint64_t *at, uint64_t now, double rate, double burst)
{
	*tokens += (double)(now - *at) * rate / 1000.0;
	if (*tokens > burst)
		*tokens = burst;
	*at = now;
}

/* What a frame costs the peer's bucket: a message or a refusal one token,
 * a WANT one per 64 prefixes, a RECON one per 8 KiB (work grows with them). */
static double
s_cost(const char *cmd, size_t len)
{
	if (strcmp(cmd, "WANT") == 0)
		return 1.0 + (double)(len / RECON_PREFIX_LEN / 64);
	if (strcmp(cmd, "RECON") == 0)
		return 1.0 + (double)(len / 8192);
	return 1.0;
}

static bool
s_control(const char *cmd)
{
	return strcmp(cmd, "HELLO") == 0 || strcmp(cmd, "PING") == 0 || strcmp(cmd, "PONG") == 0;
}

/* Takes what the frame costs from p's budget; false when it cannot pay. */
bool
peer_pay(struct gossip *g, struct peer *p, const char *cmd, size_t len)
{
	uint64_t now = now_ms();
	double *t = &p->tokens, cost = s_cost(cmd, len);

	if (s_control(cmd)) {
		t = &p->ctl_tokens;
		s_bucket(t, &p->ctl_at, now, CTL_RATE, CTL_BURST);
	} else
		s_bucket(t, &p->tokens_at, now, g->n->cfg.peer_rate, g->n->cfg.peer_burst);
	if (*t < cost)
		return false;
	*t -= cost;
	return true;
}

/* Bytes sent to p that it has not proven it read. */
static uint64_t
s_unproven(const struct peer *p)
{
	uint64_t sum = 0;

	for (size_t i = 0; i <= ROUTES_MAX; i++)
		if (p->conn[i].used)
			sum += p->conn[i].sent - p->conn[i].proven;
	return sum;
}

/* May p be sent another windowed frame now? */
bool
peer_room(struct gossip *g, struct peer *p)
{
	s_bucket(&p->out_tokens, &p->out_at, now_ms(), (double)g->n->cfg.peer_send_rate,
	    (double)g->n->cfg.peer_send_rate);
	return p->out_tokens > 0 && s_unproven(p) < g->n->cfg.peer_window;
}

bool
peer_can_talk(const struct peer *p)
{
	return p->up && p->version >= FRAME_VERSION_MIN && p->t.level != MSG_LEVEL_BLOCKED;
}

/* ---- sending ---------------------------------------------------------- */

void
peer_conn_release(struct conn *c)
{
	zframe_destroy(&c->route);
	memset(c, 0, sizeof *c);
}

/* One frame on connection c: 0 sent, -1 not now (full, or no connection
 * yet), -2 gone (the peer closed it). */
int
peer_raw(struct gossip *g, struct peer *p, struct conn *c, const char *cmd, const void *data,
    size_t len)
{
	zsock_t *sock = c->route != NULL ? g->router : p->dealer;
	zmsg_t *m;
	int e;

	if (sock == NULL || !c->used)
		return -2;
	m = zmsg_new();
	if (c->route != NULL)
		zmsg_addmem(m, zframe_data(c->route), zframe_size(c->route));
	zmsg_addstr(m, cmd);
	zmsg_addmem(m, data, len);
	if (zmsg_send(&m, sock) == 0)
		return 0;
	e = zmq_errno();
	zmsg_destroy(&m);
	return e == EHOSTUNREACH ? -2 : -1;
}

/* Is c, whose PING has waited too long, closed?  Asked with a HELLO at most
 * once per STALL_MS, however often the peer makes us wonder. */
static bool
s_closed(struct gossip *g, struct peer *p, struct conn *c, uint64_t now)
{
	if (c->nmarks == 0 || now - c->marks[0].when <= STALL_MS || now - c->probed <= STALL_MS)
		return false;
	c->probed = now;
	return peer_raw(g, p, c, "HELLO", g->hello, g->hello_len) == -2;
}

/* A PING after what was sent on c, so that the peer can prove it read it. */
void
peer_ping(struct gossip *g, struct peer *p, struct conn *c)
{
	struct mark *mk;
	uint64_t now = now_ms();

	/* Answers (HELLO, PONG) count too, but alone they are proven only now
	 * and then: a PONG for every PING that proves a PONG would never end. */
	if (c->nmarks == MARKS_MAX || c->sent == c->marked ||
	    (!c->data && now - c->pinged < ANSWERS_PING_MS))
		return;
	mk = &c->marks[c->nmarks];
	randombytes_buf(mk->token, sizeof mk->token);
	if (peer_raw(g, p, c, "PING", mk->token, sizeof mk->token) != 0)
		return;
	mk->at = c->sent;
	mk->when = c->pinged = now;
	c->marked = c->sent;
	c->data = false;
	c->nmarks++;
}

/*
 * One frame to p without blocking: over our connection to it, else over
 * the one of its connections to us heard from last.  Windowed frames count
 * against its window until it proves it read them.  False when no
 * connection takes it.
 */
bool
peer_send(struct gossip *g, struct peer *p, const char *cmd, const void *data, size_t len,
    bool windowed)
{
	bool tried[1 + ROUTES_MAX] = { false };

	for (;;) {
		int best = -1, rc;
		struct conn *c;
		if (p->dealer != NULL && p->conn[0].used && !tried[0])
			best = 0;
		else
			for (int i = 1; i <= ROUTES_MAX; i++)
				if (p->conn[i].used && !tried[i] &&
				    (best < 0 || p->conn[i].heard > p->conn[best].heard))
					best = i;
		if (best < 0)
			return false;
		tried[best] = true;
		c = &p->conn[best];
		if ((rc = peer_raw(g, p, c, cmd, data, len)) == 0) {
			if (windowed) {
				c->sent += len + FRAME_COST;
				c->data = true;
				p->out_tokens -= (double)len;
				if (c->sent - c->marked >= g->n->cfg.peer_window / 4)
					peer_ping(g, p, c);
			}
			return true;
		}
		if (rc == -2 && best > 0)
			peer_conn_release(c);
	}
}

/* An answer (HELLO, PONG) on the connection the question came in on.  It
 * counts against the window like data, so that a peer that asks and never
 * reads is answered up to its window and no further. */
void
peer_answer(struct gossip *g, struct peer *p, struct conn *c, const char *cmd, const void *data,
    size_t len)
{
	if (s_unproven(p) < g->n->cfg.peer_window && peer_raw(g, p, c, cmd, data, len) == 0)
		c->sent += len + FRAME_COST;
}

/* ---- flow control ----------------------------------------------------- */

/* Queues a frame of p's behind those waiting; beyond its window, the peer
 * ignores the PONGs it is waiting for: dropped, counted. */
void
peer_wait(struct gossip *g, struct peer *p, int conn, const uint8_t *data, size_t len)
{
	struct waiting *w;

	if (p->wait_bytes + len + FRAME_COST > g->n->cfg.peer_window) {
		peer_reject(p, REJ_RATE);
		return;
	}
	if ((w = malloc(sizeof *w + len)) == NULL)
		return;
	w->next = NULL;
	w->conn = conn;
	w->len = len;
	memcpy(w->data, data, len);
	if (p->wait == NULL)
		p->wait_tail = &p->wait;
	*p->wait_tail = w;
	p->wait_tail = &w->next;
	p->wait_bytes += len + FRAME_COST;
}

static void
s_wait_free(struct peer *p)
{
	while (p->wait != NULL) {
		struct waiting *w = p->wait;
		p->wait = w->next;
		free(w);
	}
	p->wait_bytes = 0;
}

void
peer_pong(struct gossip *g, struct peer *p, const uint8_t *data, size_t len)
{
	if (len != FRAME_TOKEN_LEN) {
		peer_reject(p, REJ_FRAME);
		return;
	}
	for (size_t i = 0; i <= ROUTES_MAX; i++) {
		struct conn *c = &p->conn[i];
		for (size_t k = 0; c->used && k < c->nmarks; k++)
			if (sodium_memcmp(c->marks[k].token, data, FRAME_TOKEN_LEN) == 0) {
				c->proven = c->marks[k].at;
				c->nmarks -= k + 1;
				memmove(c->marks, c->marks + k + 1, c->nmarks * sizeof *c->marks);
				gossip_pump(g, p);
				return;
			}
	}
}

/* The connection of p that route names, taken when new: a free slot, else
 * one with nothing unproven heard from least recently, else one whose PING
 * went unanswered and that turns out closed.  NULL: p has ROUTES_MAX live
 * connections holding unproven bytes; this one is read, never answered. */
struct conn *
peer_route(struct gossip *g, struct peer *p, zframe_t *route)
{
	struct conn *c = NULL;
	uint64_t now = now_ms();

	for (int i = 1; i <= ROUTES_MAX; i++)
		if (p->conn[i].used && zframe_eq(p->conn[i].route, route))
			return &p->conn[i];
	for (int i = 1; i <= ROUTES_MAX && c == NULL; i++)
		if (!p->conn[i].used)
			c = &p->conn[i];
	for (int i = 1; i <= ROUTES_MAX && c == NULL; i++) {
		if (s_closed(g, p, &p->conn[i], now))
			c = &p->conn[i];
	}
	for (int i = 1; i <= ROUTES_MAX && c == NULL; i++)
		if (p->conn[i].sent == p->conn[i].proven &&
		    (c == NULL || p->conn[i].heard < c->heard))
			c = &p->conn[i];
	if (c == NULL)
		return NULL;
	peer_conn_release(c);
	c->used = true;
	c->route = zframe_dup(route);
	return c;
}

/* Up to READ_BURST frames, while p is still there (no peer was freed
 * since the first: trust changes free peers, and come between turns of
 * the loop today) and the dealer still p's (a frame may make p's
 * connection anew). */
static int
s_dealer_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct peer *p = arg;
	struct gossip *g = p->g;
	uint64_t freed = g->freed;

	(void)loop;
	for (int i = 0; i < READ_BURST && g->freed == freed && p->dealer == sock &&
	     (i == 0 || (zsock_events(sock) & ZMQ_POLLIN));
	     i++) {
		zmsg_t *m = zmsg_recv(sock);

		if (m == NULL)
			return 0;
		gossip_input(p->g, p->t.id, NULL, m);
		zmsg_destroy(&m);
	}
	return 0;
}

/* Connections whose PING has gone unanswered too long: our dealer is made
 * anew (its queue goes with it); a connection to us is asked whether it is
 * still there, and forgotten when it is not. */
void
peer_stalled(struct gossip *g, struct peer *p, uint64_t now)
{
	for (int i = 0; i <= ROUTES_MAX; i++) {
		struct conn *c = &p->conn[i];
		if (!c->used || c->nmarks == 0 || now - c->marks[0].when <= STALL_MS)
			continue;
		if (i == 0) {
			log_debug("peer %s: our connection does not answer; dialling anew",
			    p->t.name);
			zloop_reader_end(g->loop, p->dealer);
			zsock_destroy(&p->dealer);
			peer_conn_release(c);
			peer_open(g, p);
		} else if (s_closed(g, p, c, now))
			peer_conn_release(c);
	}
}

/* ---- peers ------------------------------------------------------------ */

/*
 * Peer counters in the store's peer table under the peer's node id in
 * hex, so that they survive restarts and renames: little-endian u64
 * values, the count first, then sent, received, duplicates, dropped and
 * the rejections by reason.  A blob from another version with fewer or
 * more reasons loads what both know.  What the peer refused is kept under
 * "refused-by:" and its id.
 */
#define SAVED_FIXED 4

static void
s_keyname(char *out, size_t len, const char *prefix, const struct peer *p)
{
	char hex[2 * MSG_KEY_LEN + 1];

	hex_encode(hex, p->t.id, MSG_KEY_LEN);
	snprintf(out, len, "%s%s", prefix, hex);
}

void
peer_save(struct gossip *g)
{
	uint8_t blob[8 * (1 + SAVED_FIXED + REJ_COUNT)];
	char key[96];

	for (size_t i = 0; i < g->npeers; i++) {
		struct peer *p = g->peers[i];
		uint64_t v[1 + SAVED_FIXED + REJ_COUNT] = { SAVED_FIXED + REJ_COUNT, p->sent,
			p->received, p->duplicates, p->dropped };
		uint8_t *rb;
		size_t rn;
		memcpy(v + 1 + SAVED_FIXED, p->rejected, sizeof p->rejected);
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
			for (int b = 0; b < 8; b++)
				blob[8 * k + b] = (uint8_t)(v[k] >> (8 * b));
		s_keyname(key, sizeof key, "", p);
		if (store_peer_put(g->n->st, key, blob, sizeof blob) != STORE_OK)
			log_warnx("peer %s: counters not saved", p->t.name);
		if (p->trust_dirty) {
			s_keyname(key, sizeof key, "trust:", p);
			if (store_peer_put(g->n->st, key, p->trust, strlen(p->trust)) == STORE_OK)
				p->trust_dirty = false;
		}
		if (!refused_dirty(p->refused_by) || refused_blob(p->refused_by, &rb, &rn) == -1)
			continue;
		s_keyname(key, sizeof key, "refused-by:", p);
		if (store_peer_put(g->n->st, key, rb, rn) != STORE_OK)
			log_warnx("peer %s: refusals not saved", p->t.name);
		free(rb);
	}
}

void
peer_load(struct gossip *g, struct peer *p)
{
	uint8_t blob[8 * (1 + SAVED_FIXED + REJ_COUNT + 64)];
	uint64_t v[1 + SAVED_FIXED + REJ_COUNT] = { 0 };
	char key[96];
	uint8_t *rb;
	size_t n;

	/* What its trust list was when it refused them: a change made while
	 * this node was down still clears the provisional ones. */
	s_keyname(key, sizeof key, "trust:", p);
	if (store_peer_get(g->n->st, key, p->trust, FRAME_TRUST_LEN, &n) != STORE_OK ||
	    n != FRAME_TRUST_LEN)
		memset(p->trust, 0, sizeof p->trust);
	s_keyname(key, sizeof key, "refused-by:", p);
	if (store_peer_get(g->n->st, key, NULL, 0, &n) == STORE_E_NOMEM &&
	    (rb = malloc(n)) != NULL) {
		if (store_peer_get(g->n->st, key, rb, n, &n) == STORE_OK)
			(void)refused_load(p->refused_by, rb, n);
		free(rb);
	}
	s_keyname(key, sizeof key, "", p);
	/* Before 2026-12 counters were kept under the peer's name. */
	if ((store_peer_get(g->n->st, key, blob, sizeof blob, &n) != STORE_OK &&
	        store_peer_get(g->n->st, p->t.name, blob, sizeof blob, &n) != STORE_OK) ||
	    n % 8 != 0)
		return;
	for (size_t k = 0; k < n / 8 && k < sizeof v / sizeof v[0]; k++)
		for (int b = 7; b >= 0; b--)
			v[k] = (v[k] << 8) | blob[8 * k + (size_t)b];
	p->sent = v[1], p->received = v[2], p->duplicates = v[3], p->dropped = v[4];
	memcpy(p->rejected, v + 1 + SAVED_FIXED, sizeof p->rejected);
}

void
peer_close(struct gossip *g, struct peer *p)
{
	if (p->dealer != NULL) {
		zloop_reader_end(g->loop, p->dealer);
		zsock_destroy(&p->dealer);
	}
	for (int i = 0; i <= ROUTES_MAX; i++)
		peer_conn_release(&p->conn[i]);
	gossip_forget_work(p);
	p->up = false;
}

void
peer_free(struct gossip *g, struct peer **pp)
{
	peer_close(g, *pp);
	s_wait_free(*pp);
	refused_destroy(&(*pp)->refused_by);
	refused_destroy(&(*pp)->refused);
	free(*pp);
	*pp = NULL;
	g->freed++;
}

void
peer_open(struct gossip *g, struct peer *p)
{
	const struct keys *k = g->n->keys;

	if (!p->dial || p->t.endpoint[0] == '\0' || p->t.level == MSG_LEVEL_BLOCKED ||
	    p->dealer != NULL)
		return;
	if ((p->dealer = zsock_new(ZMQ_DEALER)) == NULL)
		fatalx("out of memory");
	zsock_set_curve_serverkey_bin(p->dealer, p->curve);
	zsock_set_curve_publickey_bin(p->dealer, k->curve_pk);
	zsock_set_curve_secretkey_bin(p->dealer, k->curve_sk);
	gossip_sock_common(g, p->dealer);
	zsock_set_immediate(p->dealer, 1);
	zsock_set_reconnect_ivl(p->dealer, 100);
	zsock_set_reconnect_ivl_max(p->dealer, 5000);
	if (zsock_connect(p->dealer, "%s", p->t.endpoint) != 0) {
		log_warnx("peer %s: cannot connect to %s", p->t.name, p->t.endpoint);
		zsock_destroy(&p->dealer);
		return;
	}
	zloop_reader(g->loop, p->dealer, s_dealer_readable, p);
	zloop_reader_set_tolerant(g->loop, p->dealer);
	peer_conn_release(&p->conn[0]);
	p->conn[0].used = true;
	p->dialed = now_ms();
	if (p->redial_ms == 0)
		p->redial_ms = REDIAL_MIN_MS;
}

/* ---- views ------------------------------------------------------------ */

json_t *
gossip_peers_json(const struct gossip *g)
{
	json_t *a = json_array();

	for (size_t i = 0; i < g->npeers; i++) {
		const struct peer *p = g->peers[i];
		json_t *rej = json_object(), *o;
		char hex[2 * MSG_KEY_LEN + 1];
		/* A policy reason and a decoder error may share a name
		 * (not-recipient): one counter under it, their sum. */
		for (int r = 0; r < REJ_COUNT; r++)
			if (p->rejected[r] > 0)
				json_object_set_new(rej, peer_rej_name(r),
				    json_integer(
				        json_integer_value(json_object_get(rej, peer_rej_name(r))) +
				        (json_int_t)p->rejected[r]));
		hex_encode(hex, p->t.id, MSG_KEY_LEN);
		o = json_pack("{s:s,s:s,s:o,s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I}", "name",
		    p->t.name, "id", hex, "endpoint",
		    p->t.endpoint[0] ? json_string(p->t.endpoint) : json_null(), "level",
		    msg_level_name(p->t.level), "coordinator", p->t.coordinator, "connected", p->up,
		    "last_seen", (json_int_t)p->last_seen, "sent", (json_int_t)p->sent, "received",
		    (json_int_t)p->received, "duplicates", (json_int_t)p->duplicates, "dropped",
		    (json_int_t)p->dropped, "rejected", rej, "reconciliations",
		    (json_int_t)p->reconciled, "last_reconciled", (json_int_t)p->last_reconciled);
		json_object_set_new(o, "rejected_last_minute",
		    json_integer((json_int_t)s_rej_last_minute(p)));
		json_object_set_new(o, "refused_by_peer",
		    json_integer((json_int_t)refused_count(p->refused_by)));
		json_object_set_new(o, "protocol", json_integer((json_int_t)p->version));
		json_object_set_new(o, "unproven_bytes", json_integer((json_int_t)s_unproven(p)));
		json_object_set_new(o, "wanted", json_integer((json_int_t)p->nwant));
		json_object_set_new(o, "waiting_bytes", json_integer((json_int_t)p->wait_bytes));
		/* Whether this node dials it, and why (topology.c). */
		json_object_set_new(o, "dialled", json_boolean(p->dealer != NULL));
		json_object_set_new(o, "source",
		    p->t.rotated           ? json_string("rotation")
		        : p->t.roster != 0 ? json_sprintf("roster %" PRIu64, p->t.roster)
		                           : json_string("local"));
		json_array_append_new(a, o);
	}
	return a;
}
