/*
 * gossip_impl — private to gossip.c and peer.c; nothing else includes it:
 * the limits, the rejection reasons, struct peer with its connections,
 * exchanges and waiting frames, struct gossip, and the functions each of
 * the two files calls in the other.  gossip.c is the network (sockets,
 * ZAP, listener, trust sync, HELLO, reconciliation, pull, receiving,
 * push, the heartbeat); peer.c is one peer and its connections (rejection
 * counters, budgets, sending, PONG, routes, stalls, waiting frames,
 * opening and closing, saved counters, the peers view).  The protocol
 * itself is described in gossip.h.
 */
#ifndef SOCMESH_GOSSIP_IMPL_H
#define SOCMESH_GOSSIP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "eligible.h"
#include "frame.h"
#include "gossip.h"
#include "ingest.h"
#include "recon.h"
#include "refused.h"

#define HEARTBEAT_MS     1000
#define UP_WINDOW_MS     (3 * HEARTBEAT_MS) /* no frame for this long: link down */
#define REDIAL_MIN_MS    5000               /* a dialled peer silent this long is dialled anew, */
#define REDIAL_MAX_MS    300000             /* twice as late each time, up to this */
#define DOWN_MS          10000 /* a chosen roster peer not linked after this is passed over, */
#define DOWN_SKIP_MS     60000 /* for this long */
#define DEMAND_IDLE_MS   60000 /* a link opened for addressed messages, idle this long, closes */
#define RECON_MAX_ROUNDS 64
#define RECON_IDLE_MS    10000 /* an exchange silent this long is given up (a frame was lost) */
#define BUILD_EVERY_MS   1000  /* a peer may make us build a set this often, */
#define WORK_SHARE       50    /* and keep the loop busy 1/WORK_SHARE of the time */
#define STALL_MS         15000 /* a PING unanswered this long: the connection is dead or deaf */
#define ROUTES_MAX       4     /* inbound connections per peer we answer on */
#define MARKS_MAX        8     /* PINGs outstanding per connection */
#define ANSWERS_PING_MS  10000 /* answers alone are proven this often */
#define RCV_QUEUE        16    /* frames read ahead per connection */
#define FRAME_COST       64    /* what a queued frame costs beyond its payload */
#define PUMP_MAX         1024  /* items looked up per pump: the loop stays responsive */
#define SCAN_STEP                                                                                  \
	16                  /* messages judged per step while the eligible sets are made
                                  (a step may wait for the disk: pages not yet cached), */
#define SCAN_TURN_MS   3    /* steps for this long a turn of the loop (loop lag goal: 10 ms) */
#define CTL_RATE       200  /* HELLO, PING, PONG per second and peer, */
#define CTL_BURST      400  /* in bursts of this many */
#define INFLIGHT_MAX   8192 /* messages in the pipeline at once (2 commits), */
#define INFLIGHT_BYTES (8u << 20) /* and their bytes (ingest never makes us wait) */
#define STEP_MAX       256        /* results or waiting frames handled per turn of the loop */
#define READ_BURST     64         /* frames read from a socket per turn: one poll for many */
#define HOLD_MAX       256        /* retractions waiting for their target, */
#define HOLD_BYTES     (1u << 20) /* and their bytes */
#define LOG_EVERY_MS   60000      /* one log line per peer and reason per minute */
#define SAVE_EVERY_MS  10000      /* peer counters to the store */
#define SENT_KEEP      4096       /* recent ids remembered per peer, for explain */
#define ZAP_ENDPOINT   "inproc://zeromq.zap.01"
#define ZAP_DOMAIN     "socmesh"

/* Rejection reasons: the policy's, the decoder's, then our own. */
enum {
	REJ_POLICY = 0,
	REJ_MSG = REJ_POLICY + POLICY_REASON_COUNT, /* + (-msg_err) */
	REJ_RATE = REJ_MSG + (-MSG_E_LAST) + 1,
	REJ_FRAME,
	REJ_RECON,
	REJ_WANT,
	REJ_BUSY,
	REJ_COUNT,
};

/* A connection we may send on: index 0 is our dealer, the others the
 * peer's connections to our listener.  sent - proven is what the peer has
 * not proven it read (PING/PONG); the peer's window bounds its sum. */
struct mark {
	uint8_t token[FRAME_TOKEN_LEN];
	uint64_t at; /* conn->sent when the PING went */
	uint64_t when;
};

struct conn {
	bool used;
	zframe_t *route; /* NULL for the dealer */
	uint64_t sent, proven, marked;
	bool data;       /* a data frame went since the last PING */
	uint64_t pinged; /* when the last PING went */
	struct mark marks[MARKS_MAX];
	size_t nmarks;
	uint64_t heard;
	uint64_t probed; /* when it was last asked whether it is still open */
};

/* One reconciliation: x[FRAME_INITIATOR] is the one this node started,
 * x[FRAME_RESPONDER] the one the peer started.  The set stays after the
 * rounds end, until what the peer lacks (lacks) has been sent. */
struct xchg {
	uint32_t xid;
	bool open;
	int rounds;
	uint64_t at;
	struct recon_set *rs;
	uint64_t *lacks, *done;       /* bitmaps over rs: to send; sent (never twice) */
	size_t cursor;                /* no lacks bit below it */
	struct recon_buf want, reply; /* frames waiting for the window */
	bool has_reply;
};

/* A frame of a peer's waiting for room in the pipeline: a message, or a
 * PING, whose PONG must not prove the messages ahead of it before they are
 * taken (the peer's window then stops it: flow control). */
struct waiting {
	struct waiting *next;
	int conn; /* a PING: the connection to answer on; -1: a message */
	size_t len;
	uint8_t data[];
};

struct peer {
	struct gossip *g;
	struct trust_peer t;
	uint8_t curve[32];
	zsock_t *dealer; /* outgoing connection, when t.endpoint is set */
	struct conn conn[1 + ROUTES_MAX];
	uint64_t last_seen;
	bool up;
	unsigned version;   /* spoken with it: 0 before its HELLO, 1 for an empty one */
	unsigned announced; /* the version its HELLO named */
	char trust[FRAME_TRUST_LEN + 1]; /* its HELLO's trust= value (kept in the store) */
	bool trust_dirty;
	bool warned;
	uint64_t sent, received, duplicates, dropped;
	uint64_t rejected[REJ_COUNT];
	uint64_t logged[REJ_COUNT];
	uint32_t rej_sec[60]; /* refusals per second over the last minute */
	uint64_t rej_sec_at[60];
	double tokens, ctl_tokens, out_tokens; /* frames, control frames, bytes */
	uint64_t tokens_at, ctl_at, out_at;
	uint8_t sent_ids[SENT_KEEP][16]; /* ring of id prefixes sent */
	size_t sent_at;
	struct xchg x[2];
	uint64_t built_at;
	uint64_t answers_until; /* until then its messages answer our exchange */
	uint64_t busy_until; /* until then the loop time of its last exchange step is paid back */
	uint64_t next_sync;
	uint64_t reconciled, last_reconciled; /* exchanges completed; when the last one did */
	uint64_t dialed, redial_ms;        /* when the dealer was made; the wait before the next */
	bool dial;                         /* chosen to be dialled (s_topology()) */
	uint64_t dial_since;               /* dialled without a link since then (0: linked) */
	uint64_t down_until;               /* passed over by the choice until then */
	uint64_t demand_until;             /* dialled until then for its addressed messages */
	uint8_t (*want)[RECON_PREFIX_LEN]; /* sorted, distinct: asked for, not yet sent */
	size_t nwant;
	struct refused *refused_by;        /* ids this peer refused: never offered again */
	struct refused *refused;           /* ids refused from it: told once, counted once */
	struct waiting *wait, **wait_tail; /* its frames the pipeline has no room for yet */
	size_t wait_bytes;
};

/* A retraction whose target is not here yet. */
struct held {
	uint8_t *bytes;
	size_t len;
	uint8_t ref[MSG_ID_LEN];
	uint8_t from[MSG_KEY_LEN];
};

/* The latest beacon of one origin (beacon.c). */
struct beacon {
	uint8_t origin[MSG_KEY_LEN];
	uint64_t time, heard; /* its time; when it arrived here */
	uint64_t epoch, peers, store, flaps;
	char version[MSG_MAX_VERSION + 1];
};

#define BEACON_SEEN       1024             /* beacon ids remembered, passed on once */
#define BEACON_TTL_MS     (10 * 60 * 1000) /* a beacon older than this is refused */
#define BEACON_FLAPPING   3                /* disconnections in one interval: flapping */
#define BEACON_MIN_GAP_MS 500 /* beacons of one origin checked at most twice a second */

struct gossip {
	struct node *n;
	zloop_t *loop;
	zsock_t *router, *zap;
	int timer;
	int drain_timer; /* a pending s_drain() continuation, or -1 */
	int scan_timer;  /* the eligible sets' scan under way (s_scan()), or -1 */
	uint64_t scan_started;
	uint64_t next_save;
	struct peer **peers;
	size_t npeers;
	struct ingest *in;
	zmq_pollitem_t ingest_item;
	struct msg *m;                    /* scratch for the loop thread */
	uint64_t refused, refused_logged; /* handshakes refused since the last log line; when */
	struct eligible *elig;            /* what each peer may be sent */
	char hello[FRAME_HELLO_MAX];
	size_t hello_len;
	struct held held[HOLD_MAX];
	size_t nheld, held_bytes;
	size_t inflight, inflight_bytes; /* submitted to the pipeline, not yet back */
	size_t turn;                     /* the peer whose waiting frame is taken next */
	uint64_t freed;                  /* peers freed so far (peer_free()) */
	int beacon_timer;
	struct beacon *beacons; /* the latest of each origin */
	size_t nbeacons, capbeacons;
	uint8_t beacon_seen[BEACON_SEEN][16];
	size_t beacon_seen_at;
	uint64_t flaps;         /* peers disconnected since the last beacon */
	struct keys *next_keys; /* a rotation's new pair, until the node takes it (rotate.c) */
};

/* ---- peer.c ----------------------------------------------------------- */

/* Our own rejection reasons, from REJ_RATE on: token, text. */
extern const char *const peer_rej_own[][2];

/* A rejection reason's token; whether it is provisional (the peer may
 * send it again after an upgrade or a trust change). */
const char *peer_rej_name(int r);
bool peer_rej_provisional(int r);

/* Counted; logged once per peer and reason per minute. */
void peer_reject(struct peer *p, int r);

/* Takes what a frame costs from p's budget; false when it cannot pay. */
bool peer_pay(struct gossip *g, struct peer *p, const char *cmd, size_t len);

/* May p be sent another windowed frame now?  May it be talked to at all
 * (up, a protocol version we speak, not blocked)? */
bool peer_room(struct gossip *g, struct peer *p);
bool peer_can_talk(const struct peer *p);

/* Connections: released; one frame on c (0 sent, -1 not now, -2 gone); a
 * PING after what was sent on c. */
void peer_conn_release(struct conn *c);
int peer_raw(struct gossip *g, struct peer *p, struct conn *c, const char *cmd, const void *data,
    size_t len);
void peer_ping(struct gossip *g, struct peer *p, struct conn *c);

/* One frame to p over the best connection that takes it (false: none). */
bool peer_send(struct gossip *g, struct peer *p, const char *cmd, const void *data, size_t len,
    bool windowed);

/* An answer (HELLO, PONG) on the connection the question came in on. */
void peer_answer(struct gossip *g, struct peer *p, struct conn *c, const char *cmd,
    const void *data, size_t len);

/* A frame of p's (a message: conn -1, or a PING to answer on p->conn[conn])
 * queued until the pipeline has room. */
void peer_wait(struct gossip *g, struct peer *p, int conn, const uint8_t *data, size_t len);

/* p's PONG: what it proves it read leaves the window. */
void peer_pong(struct gossip *g, struct peer *p, const uint8_t *data, size_t len);

/* The connection of p that route names (NULL: one we do not answer on). */
struct conn *peer_route(struct gossip *g, struct peer *p, zframe_t *route);

/* Connections whose PING has gone unanswered too long. */
void peer_stalled(struct gossip *g, struct peer *p, uint64_t now);

/* Every peer's counters, HELLO trust= value and refusals to the store;
 * p's from it. */
void peer_save(struct gossip *g);
void peer_load(struct gossip *g, struct peer *p);

/* Our connection to p dialled (when it has an endpoint and is not
 * blocked); every connection of p's closed and its work forgotten; p
 * closed and freed (*pp = NULL). */
void peer_open(struct gossip *g, struct peer *p);
void peer_close(struct gossip *g, struct peer *p);
void peer_free(struct gossip *g, struct peer **pp);

/* ---- gossip.c --------------------------------------------------------- */

/* The message at bytes, decoded into g->m, to peer p when policy allows
 * and p has not refused it: 1 sent, 0 not for p, -1 no room now. */
int gossip_offer(struct gossip *g, struct peer *p, const uint8_t *bytes, size_t len,
    const struct peer *source);
/* Refused message id from p, for reason r (REJ_*): counted, told to p once. */
void gossip_refuse(struct gossip *g, struct peer *p, const uint8_t id[MSG_ID_LEN], int r);

/* ---- beacon.c --------------------------------------------------------- */

/* A beacon from p, decoded into g->m: checked, kept, passed on once. */
void beacon_received(struct gossip *g, struct peer *p, const uint8_t *bytes, size_t len);
/* zloop timer: this node's beacon, every beacon_interval. */
int beacon_tick(zloop_t *loop, int timer_id, void *arg);

/* ---- topology.c ------------------------------------------------------- */

/* Chooses the peers to dial (p->dial) and dials or stops dialling them:
 * at s_sync_peers() and every heartbeat. */
void gossip_topology(struct gossip *g, uint64_t now);
/* m, published here: its named recipients are dialled while it is news. */
void gossip_demand(struct gossip *g, const struct msg *m);

/* ---- gossip.c --------------------------------------------------------- */

/* Ends every exchange with p and drops what waits to be sent to it. */
void gossip_forget_work(struct peer *p);

/* Sends p what it asked for and what it lacks, as its window allows. */
void gossip_pump(struct gossip *g, struct peer *p);

/* The options of every peer socket, the listener's and our dealers'. */
void gossip_sock_common(struct gossip *g, zsock_t *s);

#endif
