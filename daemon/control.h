/*
 * control — the daemon's local control socket, DIR/control.sock (ZeroMQ
 * ROUTER over a Unix socket, mode 0660: the owner's group decides who may
 * use it; clients are REQ sockets).  The daemon alone opens and writes the
 * store: the socmesh CLI reads and imports messages through this socket.
 * One JSON object per request (one frame, at most CONTROL_MAX_REQUEST
 * bytes: a larger one is dropped with its connection, unanswered), one per
 * reply.  Every request is answered in the order of the loop, except
 * those that bring messages into the store (publish, import, the roster's
 * proposals and approvals, rotate), which are answered once their
 * messages are committed: those of several clients share a commit (the
 * ingest pipeline's group commit), at most CONTROL_PUBLISH_MAX messages at
 * once (beyond, the answer is "busy: ...; ask again"):
 *
 *   {"cmd": "ping"}                   -> {"ok": true, "name", "id"}
 *   {"cmd": "publish", "message": {}} -> {"ok": true, "id"}   (draft fields,
 *                                        "recipients" by name or id)
 *        With "source": a string of 1 to 1024 bytes that names what an
 *        import publishes (common/interop.h): a source is published once;
 *        asked again, the reply is {"ok": true, "id": the first message's,
 *        "duplicate": true} and nothing is published.
 *   {"cmd": "peers"}                  -> {"ok": true, "peers": [{name, id,
 *                                        endpoint, level, coordinator,
 *                                        connected, last_seen, sent,
 *                                        received, duplicates, dropped,
 *                                        rejected: {reason: n},
 *                                        reconciliations, last_reconciled}]}
 *   {"cmd": "explain", "id": hex}     -> {"ok": true, "explain": [...]}
 *   {"cmd": "reload"}                 -> {"ok": true}   (trust list and
 *                                        warning lists, now)
 *   {"cmd": "stats"}                  -> {"ok": true, "stats": {name, id, messages,
 *                                        by_tlp, by_kind, by_origin,
 *                                        store_used_bytes, store_size_limit,
 *                                        uptime_s, loop_lag_p99_ms,
 *                                        loop_lag_max_ms, pipeline_in_flight
 *                                        (messages submitted to the ingest
 *                                        pipeline, not yet committed),
 *                                        publish_waiting (those of this
 *                                        socket's requests: the busy reply
 *                                        comes near CONTROL_PUBLISH_MAX),
 *                                        taxii?: {requests:
 *                                        [{endpoint, status, count}], users}
 *                                        (when the TAXII server runs)}}
 *   {"cmd": "sources"}                -> {"ok": true, "sources": [{id, name,
 *                                        self, revoked, messages, cases,
 *                                        shared: {tlp: {kind: n}},
 *                                        delay_median_ms, delay_p90_ms,
 *                                        delay_buckets: [24 counts],
 *                                        future_claims, confirmed_cases,
 *                                        confirmed_indicators, retractions,
 *                                        false_positives, updates,
 *                                        updates_per_case, comments,
 *                                        last_active: ms}]}
 *        Every origin this node holds or held messages of, from the
 *        store's counters (store.h, store_sources()): shared, messages,
 *        cases (incidents), updates, comments and retractions count its
 *        stored messages; the others what was received since the store
 *        keeps them.  Delays are receipt less the origin's claimed
 *        creation time (a claim in the future counts as 0 and in
 *        future_claims), their median and 90th percentile the upper
 *        bound of the histogram bucket that holds them.  confirmed_cases:
 *        sightings by other SOCs of its messages; confirmed_indicators:
 *        messages of other SOCs carrying an indicator it reported;
 *        false_positives: its messages that set status false-positive.
 *   {"cmd": "query", "indicator"?: "TYPE:VALUE" or a value (normalized as
 *    publish does), "since"?, "until"?: ms since the epoch (creation time,
 *    inclusive), "origin"?: node id (and the keys rotations link to it),
 *    "tlp"?, "category"?, "kind"?: names,
 *    "all"?: bool (retracted ones too), "brief"?: bool, "limit"?: 1 to
 *    CONTROL_PAGE_ITEMS (the default), "after"?: a "next", "text"?: words}
 *                                     -> {"ok": true, "messages": [{"id", "message":
 *                                        base64 of the signed bytes, "retracted",
 *                                        "received", "cursor"}],
 *                                        "next": cursor or null}
 *        Newest first (by creation time; with "indicator", by storage
 *        order).  "indicator" (TYPE:VALUE or a value, read as publish
 *        reads it: ioc_parse_text()) finds the messages whose clear body
 *        carries it and the addressed ones this node reads (their sealed
 *        index entries, iocseal.h).  One page: at most "limit" messages and about
 *        CONTROL_PAGE_BYTES of them, after decoding at most
 *        CONTROL_PAGE_DECODES messages (those looked at and those that
 *        may retract them; the one message looked at first is always
 *        finished).  A page may hold fewer messages than asked for, even
 *        none, while "next" is not null: ask again with "after": next until
 *        it is null.  "brief" gives {"id", "origin", "retracted",
 *        "received", "cursor"} without the bytes.  A category matches
 *        bodies this node can open.  Every message of a reply (query,
 *        changes, get, thread) carries "received": when this node
 *        committed it (ms since the epoch, its clock), and "cursor": its
 *        local key (store.h), a number that grows with each commit on
 *        this node, never given twice, restores included: what changes
 *        takes as "after".  "text" (at most CONTROL_TEXT_MAX bytes, 1 to
 *        INDEX_TEXT_QUERY_WORDS words) searches the words of titles,
 *        summaries, lessons and comments, folded (index_text.h): the
 *        messages ranked, those with every word first, newest stored
 *        first, then those with some, more words first; each item has
 *        "words", how many it has; one page ("next" is null), without
 *        "indicator" or "after".
 *   {"cmd": "lessons", "category"?, and query's filters but "indicator"
 *    and "text": "since"?, "until"?, "origin"?, "tlp"?, "kind"?, "all"?,
 *    "brief"?, "limit"?, "after"?}
 *                                     -> as query's reply: the incidents and
 *                                        updates that carry detection, effects,
 *                                        response or lessons (every one, or those
 *                                        naming "category"), newest stored first,
 *                                        from their KS_LESSON index keys
 *                                        (index_lessons.h), clear and sealed;
 *                                        pages as query's with "indicator"
 *   {"cmd": "stix", "id": "TYPE--UUID", "limit"?, "all"?}
 *                                     -> {"ok": true, "messages": [as query's]}
 *        The messages exported as that STIX object (common/interop.h):
 *        the message whose id's UUIDv5 it is, and for a case's report,
 *        the updates that are its versions; found under the UUID's
 *        KS_STIX key (keyspace.h), newest stored first, one page.
 *   {"cmd": "changes", "after"?: cursor (a number, default 0), "limit"?,
 *    "received_after"?: ms since the epoch (the walk starts after the
 *    messages committed at or before then, and after "after": what a
 *    TAXII client's added_after asks; O(log n) seeks),
 *    and query's filters: "indicator"?, "since"?, "until"?, "origin"?,
 *    "tlp"?, "category"?, "kind"?, "all"?}
 *                                     -> {"ok": true, "messages": [{"id", "message",
 *                                        "retracted", "received", "cursor"}],
 *                                        "next": cursor, "last": cursor}
 *        What was committed on this node (published here, received,
 *        imported) after cursor "after", in the order of the commits
 *        (ascending "cursor"), filtered as query's ("indicator" matches
 *        the messages query would find by it: clear bodies, and bodies
 *        sealed to this node's key, which it opens), in pages
 *        bounded as query's.  "next" is always a number: the cursor to
 *        ask with next (the last message looked at, matching or not; when
 *        the walk reached the newest commit, "last"); "last" is the highest
 *        cursor given on this node.  next == last: nothing more for now.
 *        A follower (socmesh watch) asks again with "after": next, so that
 *        it resumes where it stopped, across its restarts and the daemon's;
 *        the daemon keeps nothing per follower.  The cost of a request is
 *        a seek plus the page: an idle poll costs O(log n).  A cursor the
 *        store cannot honour fails with "code": "cursor-lost" and "resume":
 *        a cursor to ask with instead: inside a range lost by a restore
 *        from a backup ("cursor N is not from this store's history:
 *        messages committed after cursor B were lost by a restore from
 *        backup; ask again with after B to resume from there", "resume":
 *        B), or above every cursor given ("cursor N is ahead of this node
 *        (highest cursor M): was the store replaced?", "resume": M, from
 *        which only what is committed from now on is delivered).
 *   {"cmd": "lookup", "indicators": [at most CONTROL_LOOKUP_MAX strings:
 *    "TYPE:VALUE" or a value, refanged and typed as publish reads them],
 *    "include_expired"?: bool}
 *                                     -> {"ok": true, "results": [one per
 *                                        indicator, in order: {"indicator": as
 *                                        given, "error"} when it is none;
 *                                        {"indicator", "type", "value",
 *                                        "known": false, "expired", "warning"}
 *                                        when no message counts; else
 *                                        {"indicator", "type", "value"
 *                                        (normalized), "known": true, "messages",
 *                                        "cases": [ids], "more_cases", "socs":
 *                                        [origin ids], "more_socs", "first_seen",
 *                                        "last_seen" (creation times, ms),
 *                                        "tlp": [names], "expired",
 *                                        "warning": list name or null,
 *                                        "truncated"}]}
 *        The messages that carry the indicator, under its clear and its
 *        sealed key (iocseal.h), at most CONTROL_LOOKUP_WALK of each,
 *        newest stored first ("truncated" when there were more); those
 *        retracted by their origin are left out, and so are the expired
 *        ones (msg_expired()) unless "include_expired".  "cases": the
 *        incidents among them and the cases the others refer to (at most
 *        CONTROL_LOOKUP_CASES, "more_cases" beyond); "socs" their origins
 *        (at most CONTROL_LOOKUP_SOCS).  "expired": every message counted
 *        is expired, or, when none is counted, some were left out as
 *        expired.  "warning": the first warning list (warninglist.h) the
 *        indicator is on, a benign one that never links cases.  The cost
 *        is a few index look-ups per indicator and a decode per message
 *        found, never a walk of the store.
 *   {"cmd": "resolve", "prefix": 8 to 64 hex digits (either case)}
 *                                     -> {"ok": true, "id": the full id} when one
 *                                        stored message id starts with it;
 *                                        else {"ok": false, "code": "not-found",
 *                                        "error": "no message id starts with
 *                                        PREFIX"} or {"ok": false, "code":
 *                                        "ambiguous", "error": "id prefix PREFIX
 *                                        is ambiguous: ID1, ID2, ...",
 *                                        "candidates": [at most
 *                                        CONTROL_RESOLVE_MAX ids]} (PREFIX in
 *                                        lowercase; ", ..." ends the list when
 *                                        more ids match).  A range lookup in the
 *                                        id index: O(log n).
 *   {"cmd": "get", "id": hex}         -> {"ok": true, "id", "message": base64,
 *                                        "retracted": bool, "received",
 *                                        "cursor"}; a message that is
 *                                        not here: {"ok": false, "error",
 *                                        "code": "not-found"}
 *   {"cmd": "thread", "id": hex, "limit"?, "after"?}
 *                                     -> {"ok": true, "messages": [{"id", "message",
 *                                        "received", "cursor"}],
 *                                        "next"}: the messages that refer to id,
 *                                        oldest stored first, by pages as query's
 *   {"cmd": "import", "message": base64, "from"?: trust-list name}
 *                                     -> {"ok": true, "result": "stored" or
 *                                        "duplicate", "id"}: node_judge(), then
 *                                        verified and committed by the ingest
 *                                        pipeline and offered to the peers as a
 *                                        publication is, answered after the
 *                                        commit (busy as a publish is); a
 *                                        message larger than max_message is
 *                                        refused before it is decoded
 *   {"cmd": "roster"}                 -> the roster in force, pending ones,
 *                                        conflicts (socmesh roster show --json,
 *                                        with "ok")
 *   {"cmd": "roster-propose", "members": [{"name", "id", "level",
 *    "coordinator"?, "endpoint"?}], "network"?, "threshold"?}
 *                                     -> {"ok": true, "id", "epoch"}: a roster
 *                                        of the next epoch, and its endpoints
 *   {"cmd": "roster-approve", "id": hex}
 *                                     -> {"ok": true, "id"}: this node's approval
 *   {"cmd": "roster-export"}          -> {"ok": true, "file": base64}
 *   {"cmd": "network"}                -> {"ok": true, "network": [...]}: the
 *                                        members' beacons (gossip_network_json())
 *
 *   {"cmd": "related", "id": hex (an incident, or an update or comment
 *    of one: its case), "limit"?: 1 to RELATED_CASES (RELATED_LIMIT),
 *    "include_expired"?: bool}
 *                                     -> {"ok": true, "case": {"id", "title",
 *                                        "soc", "origin", "sectors", "time",
 *                                        "tlp", "expired"}, "related": [the
 *                                        same of each, with "score" and
 *                                        "reasons": [{"reason", "match",
 *                                        "weight"}]], "truncated": bool}
 *        The cases related to a case, highest score first (then newest).
 *        Reasons and weights: "indicator" (the same normalized indicator,
 *        or an address that is a URL's host) 10, "network" (an address
 *        inside a network the other names, a network inside another) 8,
 *        "domain" (the same registered domain, index_related.h) 6, "hash"
 *        (the same file hash) 5, "technique" (an ATT&CK technique, or its
 *        parent) 2, "category-sector" (the same category and sector
 *        within RELATED_WINDOW_DAYS days) 1; a shared thing counts once,
 *        at its strongest, and the score is the sum.  The keys of the
 *        incident and of its origin's updates and comments are looked
 *        up, each for at most RELATED_PER_KEY messages, clear and sealed
 *        (the addresses inside a network among clear keys only: a sealed
 *        key keeps no order); indicators of the warning lists link
 *        nothing.  Retracted cases are left out, and expired ones
 *        (casestate_expired()) and expired messages unless
 *        "include_expired".  "truncated": a bound was reached.
 *   {"cmd": "campaigns", "since"?: ms since the epoch (default: 30 days
 *    ago), "id"?: hex (only the campaign of that case), "include_expired"?}
 *                                     -> {"ok": true, "campaigns": [{"socs",
 *                                        "sectors", "first_seen", "last_seen",
 *                                        "indicators", "cases"}], "cases": the
 *                                        cases looked at, "truncated": bool}
 *        The incidents created since "since" (the time index, at most
 *        CAMPAIGN_WALK messages and CAMPAIGN_CASES cases), joined when
 *        related by their indicators (the reasons "indicator" to "hash"
 *        above), as groups that hold cases of two SOCs or more, largest
 *        first; "indicators" are what joined them (at most CAMPAIGN_TEXTS).
 * Errors: {"ok": false, "error": "one line"}.  Every field of query,
 * changes, resolve, get, thread and import is checked for type and size, and a field they do not
 * know is refused.  The socket is served on the daemon's loop; a request
 * never blocks it for longer than one commit or one page.
 */
#ifndef SOCMESH_CONTROL_H
#define SOCMESH_CONTROL_H

#include <czmq.h>

#include "gossip.h"
#include "node.h"

#define CONTROL_TIMEOUT_MS   10000              /* a client's wait for a reply */
#define CONTROL_MAX_REQUEST  (4 * 1024 * 1024)  /* bytes of one request */
#define CONTROL_PAGE_ITEMS   100                /* messages in one page */
#define CONTROL_PAGE_BYTES   (1024 * 1024)      /* their bytes, about */
#define CONTROL_TEXT_MAX     1024               /* bytes of a query's "text" */
#define CONTROL_PAGE_DECODES 256                /* messages decoded for one */
#define CONTROL_RESOLVE_MAX  10                 /* candidates of an ambiguous prefix */
#define CONTROL_LOOKUP_MAX   1000               /* indicators of one lookup */
#define CONTROL_LOOKUP_WALK  64                 /* messages of one indicator's key */
#define CONTROL_PUBLISH_MAX  GOSSIP_PUBLISH_MAX /* own messages waiting for their commit */
#define CONTROL_REQUEST_MSGS 2  /* that one request hands (a roster and its endpoints) */
#define CONTROL_LOOKUP_CASES 20 /* cases named per indicator */
#define CONTROL_LOOKUP_SOCS  64 /* SOCs named per indicator */

struct control;

/* The error reply {"ok": false, "error": the line}. */
json_t *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * For the commands that publish as this node (the roster's, a rotation):
 * signs draft d (node_prepare()) and hands it to the ingest pipeline, which
 * verifies and commits it with the peers' messages; gossip then pushes it
 * and gives it to the roster.  The request being handled is answered only
 * once every message it handed is committed: with the reply its handler
 * returns, or the first failure instead.  0 with id set, or -1 with err
 * (busy, as a publish is; out of memory; what node_prepare() says).
 */
int control_publish(struct control *c, struct draft *d, uint8_t id[MSG_ID_LEN], char *err,
    size_t errlen);

/*
 * What runs once every message a request handed (control_publish(), at
 * least one) has its result, before the reply: stored is false when one
 * failed.  It takes reply and returns the one to send, which is freed
 * unsent when answered is false (at shutdown, nobody is answered).
 */
typedef json_t *(*control_then_fn)(void *arg, json_t *reply, bool stored, bool answered);
void control_then(struct control *c, control_then_fn fn, void *arg);

/* The roster commands above (control_roster.c): the reply, or NULL when
 * cmd is none of them. */
json_t *control_roster(struct control *c, struct node *n, const char *cmd, json_t *req);

/* Bounds of related and campaigns (control_related.c). */
#define RELATED_PER_KEY     32                    /* messages looked at under one key */
#define RELATED_HITS        8192                  /* under all the keys of one case */
#define RELATED_DECODES     1024                  /* of them decoded for one case */
#define RELATED_THREAD      64                    /* messages of a case's thread read */
#define RELATED_CASES       100                   /* related cases of one reply */
#define RELATED_LIMIT       20                    /* ... unless "limit" says */
#define RELATED_WINDOW_DAYS 7                     /* category and sector: days either side */
#define CAMPAIGN_WALK       20000                 /* messages of the window looked at */
#define CAMPAIGN_CASES      1000                  /* cases of the window joined */
#define CAMPAIGN_TEXTS      50                    /* indicators in common shown per group */
#define CAMPAIGN_SINCE_MS   (30ull * 86400000ull) /* the default window */

struct warninglists;

/* The related and campaigns commands above (control_related.c): the
 * reply, or NULL when cmd is neither.  wl (may be NULL: none) holds the
 * benign indicators that never link cases. */
json_t *
control_related(struct node *n, const struct warninglists *wl, const char *cmd, json_t *req);

/* {"cmd": "rotate"} -> {"ok": true, "id": the new node id, "statement":
 * the rotate message's id} (rotate.c): this node's new key pair, answered
 * once the statement is committed, and taken a second later. */
json_t *control_rotate(struct control *c, struct node *n, struct gossip *g);

/* Binds DIR/control.sock on loop.  Caller owns the result:
 * control_destroy().  NULL with err set. */
struct control *
control_new(struct node *n, struct gossip *g, zloop_t *loop, char *err, size_t errlen);
void control_destroy(struct control **cp);

/* The TAXII server whose counters the stats reply carries (taxii.h); NULL:
 * none.  socmeshd sets it after taxii_start(), and clears it before
 * taxii_stop(). */
struct taxii;
void control_set_taxii(struct control *c, struct taxii *t);

/* Reads the warning lists ([node] warninglists, warninglist.h) again into
 * c; when they cannot be read, logs why and keeps those in force. */
void control_reload_warninglists(struct control *c);

/* The path of dir's control socket into out; -1 when it does not fit. */
int control_path(char *out, size_t len, const char *dir);

/*
 * Client side: sends the request (taken over: decref'd) to the daemon of
 * dir and returns its reply (caller decrefs), or NULL with err set — at
 * once when no daemon is listening, after CONTROL_TIMEOUT_MS when it does
 * not answer.
 */
json_t *control_call(const char *dir, json_t *request, char *err, size_t errlen);

/*
 * The same over one connection kept for several requests (a command that
 * pages through a query).  control_connect() fails as control_call() does
 * when no daemon is listening; control_request() takes the request over
 * and returns the reply, or NULL with err set, after which the connection
 * serves no further request.  control_disconnect() is NULL-safe.
 */
struct control_client;
struct control_client *control_connect(const char *dir, char *err, size_t errlen);
json_t *control_request(struct control_client *cc, json_t *request, char *err, size_t errlen);
void control_disconnect(struct control_client **ccp);

/* n bytes as a JSON string in base64, the form messages take on this
 * socket; NULL when out of memory. */
json_t *control_base64(const uint8_t *p, size_t n);

/* The base64 JSON string s decoded into a malloc'd buffer of *len bytes
 * (the caller frees it); NULL when s is not a string or not base64, or
 * when out of memory. */
uint8_t *control_unbase64(const json_t *s, size_t *len);

/* Whether a daemon serves dir: 1 when one accepts on its control socket,
 * 0 when none does (no socket, or nobody behind it), -1 when this process
 * cannot tell (permission denied, path too long). */
int control_probe(const char *dir);

#endif
