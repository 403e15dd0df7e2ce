/*
 * control — the daemon's local control socket, DIR/control.sock (ZeroMQ
 * REP over a Unix socket, mode 0660: the owner's group decides who may use
 * it).  One JSON object per request, one per reply:
 *
 *   {"cmd": "ping"}                   -> {"ok": true, "name", "id"}
 *   {"cmd": "publish", "message": {}} -> {"ok": true, "id"}   (draft fields,
 *                                        "recipients" by name or id)
 *   {"cmd": "peers"}                  -> {"ok": true, "peers": [{name, id,
 *                                        endpoint, level, coordinator,
 *                                        connected, last_seen, sent,
 *                                        received, duplicates, dropped,
 *                                        rejected: {reason: n},
 *                                        reconciliations, last_reconciled}]}
 *   {"cmd": "explain", "id": hex}     -> {"ok": true, "explain": [...]}
 *   {"cmd": "reload"}                 -> {"ok": true}   (trust list, now)
 *   {"cmd": "stats"}                  -> {"ok": true, "stats": {name, id, messages,
 *                                        by_tlp, by_kind, by_origin,
 *                                        store_used_bytes, store_size_limit,
 *                                        uptime_s}}
 *
 * Errors: {"ok": false, "error": "one line"}.  The socket is served on the
 * daemon's loop; a request never blocks it for longer than one commit.
 */
#ifndef SOCMESH_CONTROL_H
#define SOCMESH_CONTROL_H

#include <czmq.h>

#include "gossip.h"
#include "node.h"

#define CONTROL_TIMEOUT_MS 10000 /* a client's wait for a reply */

struct control;

/* Binds DIR/control.sock on loop.  Caller owns the result:
 * control_destroy().  NULL with err set. */
struct control *control_new(struct node *n, struct gossip *g, zloop_t *loop, char *err,
	size_t errlen);
void control_destroy(struct control **cp);

/* The path of dir's control socket into out; -1 when it does not fit. */
int control_path(char *out, size_t len, const char *dir);

/*
 * Client side: sends the request (taken over: decref'd) to the daemon of
 * dir and returns its reply (caller decrefs), or NULL with err set — at
 * once when no daemon is listening, after CONTROL_TIMEOUT_MS when it does
 * not answer.
 */
json_t *control_call(const char *dir, json_t *request, char *err, size_t errlen);

/* Whether a daemon serves dir: 1 when one accepts on its control socket,
 * 0 when none does (no socket, or nobody behind it), -1 when this process
 * cannot tell (permission denied, path too long). */
int control_probe(const char *dir);

#endif
