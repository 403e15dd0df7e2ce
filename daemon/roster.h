/*
 * roster — the membership of the network in force at this node: the roster
 * that k coordinators signed, the rosters waiting for signatures, and what
 * was refused.  Fed with the governing messages (msg_kind_governs()) that
 * the node has stored; says when the roster in force changes, and merges
 * it with the local trust list into the trust list in force.  Rules:
 * docs/PROTOCOL.md section 14.7.
 *
 * Anchors: this node's own id and every local trust entry marked
 * coordinator.  With no roster in force, a roster takes effect once
 * max(1, its threshold) of its signers are anchors; with roster R in
 * force, one of a higher epoch takes effect once R's threshold of its
 * signers are coordinators of R.  The signers of a roster are its origin
 * and the origins of the approvals that refer to it.
 *
 * Kept in DIR/roster.state: a msgpack array of bin, first the id of the
 * roster in force (or an empty bin), then every message the state holds.
 * Not thread-safe: the daemon's loop owns it.  Functions that can fail
 * write one line into err (errlen bytes).
 */
#ifndef SOCMESH_ROSTER_H
#define SOCMESH_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "policy.h"
#include "trust.h"

#define ROSTER_FILE          "roster.state"
#define ROSTER_MAX_MSGS      512                   /* governing messages held, at most */
#define ROSTER_PER_PROPOSER  4                     /* pending rosters of one origin */
#define ROSTER_MAX_ORPHANS   64                    /* approvals and endpoints of rosters not here */
#define ROSTER_OVERLAP_MS    (24ull * 3600 * 1000) /* an old key's time after its rotation */
#define ROSTER_MAX_CONFLICTS 64
#define ROSTER_MAX_FILE      (64u * 1024 * 1024)

struct roster_entry {
	uint8_t id[MSG_KEY_LEN];
	char name[64];
	enum msg_level level;
	bool coordinator;
	char endpoint[MSG_MAX_ENDPOINT + 1]; /* "" when none */
};

/* A roster waiting for signatures. */
struct roster_pending {
	uint8_t id[MSG_ID_LEN];
	uint8_t proposer[MSG_KEY_LEN];
	uint64_t epoch;
	size_t approvals; /* distinct signers besides the proposer */
};

struct roster;

/* None in force.  Caller owns it: roster_destroy().  NULL when out of memory. */
struct roster *roster_new(const uint8_t self[MSG_KEY_LEN]);
void roster_destroy(struct roster **rp);

/* The state in path (a missing file: none in force), every message
 * verified again; anchors from local.  -1 with err. */
int roster_load(struct roster *r, const char *path, const struct trust *local, char *err,
    size_t errlen);
int roster_save(const struct roster *r, const char *path, char *err, size_t errlen);

/*
 * At arrival, before a governing message m is stored: POLICY_ROSTER_OLD
 * for a roster of an epoch below the one in force, POLICY_ROSTER_CONFLICT
 * for another roster of the epoch in force (its id is listed as a
 * conflict), POLICY_OK otherwise.  Counts what it refuses.
 */
enum policy_reason roster_judge(struct roster *r, const struct msg *m);

/*
 * A governing message that the node has stored (its signature verified).
 * 1 when the roster in force, or its endpoints, changed; 0 when not; -1
 * when out of memory or the bytes do not decode.
 */
int roster_offer(struct roster *r, const uint8_t *bytes, size_t len, const struct trust *local);

/* The pending rosters judged again (the anchors in local changed): 1 when
 * one took effect, 0 when none did, -1 when out of memory. */
int roster_retry(struct roster *r, const struct trust *local);

/* This node's id and name (node_open(); again after a rotation). */
void roster_set_self(struct roster *r, const uint8_t self[MSG_KEY_LEN], const char *name);

/* A key rotation held here (a `rotate` message). */
struct roster_rotation {
	uint8_t id[MSG_ID_LEN];
	uint8_t from[MSG_KEY_LEN], to[MSG_KEY_LEN]; /* the old key, the new */
	uint64_t time;
	bool conflict; /* another rotation of the old key: both suspended */
};

/* The rotations held, at most max into out; how many. */
size_t roster_rotations(const struct roster *r, struct roster_rotation *out, size_t max);
/* Are keys a and b one SOC's: the same, or linked by rotations not in
 * conflict (either way, through at most 8)? */
bool
roster_same_soc(const struct roster *r, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN]);
/* Is a message of key id dated time from a key rotated away longer than
 * ROSTER_OVERLAP_MS before it (refused: key-rotated)? */
bool roster_retired(const struct roster *r, const uint8_t id[MSG_KEY_LEN], uint64_t time);

/* The roster in force: epoch 0 and no entries when none. */
uint64_t roster_epoch(const struct roster *r);
uint64_t roster_threshold(const struct roster *r);
const char *roster_network(const struct roster *r);
const uint8_t *roster_id(const struct roster *r); /* NULL when none */
size_t roster_count(const struct roster *r);
const struct roster_entry *roster_at(const struct roster *r, size_t i);
const struct roster_entry *roster_find(const struct roster *r, const uint8_t id[MSG_KEY_LEN]);
/* Its signers (origin and approvers), i < roster_nsigners(). */
size_t roster_nsigners(const struct roster *r);
const uint8_t *roster_signer(const struct roster *r, size_t i);

size_t roster_npending(const struct roster *r);
void roster_pending_at(const struct roster *r, size_t i, struct roster_pending *out);
/* Ids of rosters in conflict, at most max into out: refused for the epoch
 * in force, or pending beside another of their epoch. */
size_t roster_conflicts(const struct roster *r, uint8_t (*out)[MSG_ID_LEN], size_t max);
uint64_t roster_refused_old(const struct roster *r);
uint64_t roster_refused_conflict(const struct roster *r);

/* The export file (docs/PROTOCOL.md section 14.9): malloc'd into *out.
 * -1 when none is in force (err set) or out of memory. */
int roster_export(const struct roster *r, uint8_t **out, size_t *len, char *err, size_t errlen);

/*
 * init --join: the export file in buf, whose roster must be signed by
 * max(1, threshold) of the n ids in anchors.  Every message is verified;
 * the roster is then in force in r.  -1 with err.
 */
int roster_join(struct roster *r, const uint8_t *buf, size_t len, const uint8_t (*anchors)[32],
    size_t n, char *err, size_t errlen);

/*
 * The trust list in force: every entry of local, then every entry of the
 * roster in force whose id is neither self's nor in local (a name taken in
 * local gets the suffix ".roster"), then the keys that rotations link to
 * those ("NAME.old", "NAME.new").  Caller owns it.  NULL with err.
 */
struct trust *
roster_merge(const struct roster *r, const struct trust *local, char *err, size_t errlen);

#endif
