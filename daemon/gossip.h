/*
 * gossip — the node's conversation with its peers over CurveZMQ
 * (docs/PROTOCOL.md, section 13, "Peer protocol").
 *
 * One CURVE-server ROUTER bound on the node's listen endpoint, whose ZAP
 * handler admits only trust-list keys that are not blocked and names each
 * connection by the key it authenticated with, for its whole life (names
 * are labels for people); one CURVE-client DEALER per peer that has an
 * endpoint.  Messages from peers pass the time, trust and TLP rules here,
 * then the ingest pipeline (signature, group commit); what is committed is
 * offered at once to every peer policy allows, except the one it came
 * from.  On every connection and every sync interval the dealer side
 * reconciles (proto/recon) the messages each side may send the other.
 *
 * Every cost a peer can cause is bounded per key, across its connections:
 * each frame it sends pays its token bucket; what it asks for or lacks is
 * sent as it proves it reads (a window of peer_window bytes, PING/PONG),
 * at most peer_send_rate bytes a second; an exchange sends each message
 * once; refused messages are told to the sender, which stops offering
 * them.  Everything runs on the caller's zloop; the ingest threads are the
 * only others.
 */
#ifndef SOCMESH_GOSSIP_H
#define SOCMESH_GOSSIP_H

#include <czmq.h>
#include <jansson.h>

#include "node.h"

struct ingest_result;

struct gossip;

/*
 * Binds the listener, starts the ZAP handler, the ingest pipeline and a
 * connection to every peer with an endpoint, all on loop.  n must outlive
 * the gossip.  Caller owns the result: gossip_destroy().  NULL with err set.
 */
struct gossip *gossip_new(struct node *n, zloop_t *loop, char *err, size_t errlen);

/* Commits what is in flight, saves peer counters, closes every socket.
 * NULL-safe; sets *gp = NULL. */
void gossip_destroy(struct gossip **gp);

/*
 * The node's trust list changed (n->trust was replaced): connect new peers,
 * apply new levels and names, and drop removed or newly blocked peers at
 * once (their connections are closed and nothing more is taken from them).
 * Before the next frame is sent, every exchange with every peer ends (and
 * starts again under the new list), what waited to be sent is dropped, and
 * provisional refusals are forgotten on both sides.
 */
void gossip_trust_changed(struct gossip *g);

/* A governing message (msg_kind_governs()) committed here: given to the
 * node's roster (node_governs()); when the trust list in force changes,
 * applied at once as by gossip_trust_changed(). */
void gossip_governs(struct gossip *g, const uint8_t *bytes, size_t len);

/* n->keys and n->id are new (a key rotation): every connection is made
 * again under them, and the listener too. */
void gossip_rekey(struct gossip *g);

/* The network as this node hears it (socmesh network --json): per member
 * of the roster in force (or, without one, per trust-list entry and this
 * node), from its latest beacon: name, id, epoch, version, last_heard,
 * peers, store_bytes, flags (self, silent, behind, flapping). */
json_t *gossip_network_json(const struct gossip *g);

/* A message committed here (published, or received from peer `from`, a
 * node id, NULL when published here): offer it to every peer that policy
 * allows. */
void gossip_push(struct gossip *g, const uint8_t *bytes, size_t len, const uint8_t *from);

/*
 * This node's own message (node_prepare()), bytes copied, into the ingest
 * pipeline, where it is committed with what else is on its way (a group
 * commit), then pushed to the peers as gossip_push() does (and given to
 * the roster when it governs).  done(arg, result) is called once, on the
 * loop, after its commit or failure; at shutdown too, from
 * gossip_destroy().  0, or -1 when out of memory (done is not called).
 */
typedef void (*gossip_done_fn)(void *arg, const struct ingest_result *r);

/* Messages in the ingest pipeline now (a peer's or this node's, submitted
 * and not yet committed or refused). */
size_t gossip_in_flight(const struct gossip *g);
#define GOSSIP_PUBLISH_MAX                                                                         \
	256 /* own messages in the pipeline at once: more are
                                  the caller's to refuse (the pipeline's queues
                                  are sized for them and never block the loop) */
int
gossip_publish(struct gossip *g, const uint8_t *bytes, size_t len, gossip_done_fn done, void *arg);

/*
 * One ZeroMQ message (command and payload frames, consumed) from the peer
 * whose node id is key: over its connection route to our listener, or
 * over our connection to it when route is NULL.  The socket readers call
 * it; so does the peer protocol's fuzz target.
 */
void gossip_input(struct gossip *g, const uint8_t key[MSG_KEY_LEN], zframe_t *route, zmsg_t *m);

/* Per trust-list peer: name, id, endpoint, level, connected, last seen,
 * messages sent, received, duplicates, rejected by reason.  Caller owns the
 * array (json_decref). */
json_t *gossip_peers_json(const struct gossip *g);

/* The policy decision for message id and every peer: "sent" (among the
 * last 4096 messages sent to it since this node started), "would send",
 * "refused" (the peer refused it, with its reason), or "withheld" with the
 * reason.  Caller owns the array; NULL when the message
 * is not here. */
json_t *gossip_explain_json(const struct gossip *g, const uint8_t id[MSG_ID_LEN]);

#endif
