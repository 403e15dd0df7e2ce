/*
 * gossip — the node's conversation with its peers over CurveZMQ
 * (docs/PROTOCOL.md, "Peer protocol").
 *
 * One CURVE-server ROUTER bound on the node's listen endpoint, whose ZAP
 * handler admits only trust-list keys that are not blocked; one CURVE-client
 * DEALER per peer that has an endpoint.  Messages from peers pass the trust
 * and TLP rules here, then the ingest pipeline (signature, group commit);
 * what is committed is offered at once to every peer policy allows, except
 * the one it came from.  On every connection and every sync interval the
 * dealer side reconciles (proto/recon) the messages each side may send the
 * other.  Everything runs on the caller's zloop; the ingest threads are the
 * only others.
 */
#ifndef SOCMESH_GOSSIP_H
#define SOCMESH_GOSSIP_H

#include <czmq.h>
#include <jansson.h>

#include "node.h"

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
 * apply new levels, and drop removed or newly blocked peers at once (their
 * connections are closed and nothing more is taken from them).
 */
void gossip_trust_changed(struct gossip *g);

/* A message committed here (published, or received from peer `from`, a
 * node id, NULL when published here): offer it to every peer that policy
 * allows. */
void gossip_push(struct gossip *g, const uint8_t *bytes, size_t len, const uint8_t *from);

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
 * last 4096 messages sent to it since this node started), "would send", or
 * "withheld" with the reason.  Caller owns the array; NULL when the message
 * is not here. */
json_t *gossip_explain_json(const struct gossip *g, const uint8_t id[MSG_ID_LEN]);

#endif
