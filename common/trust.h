/*
 * trust — the trust list: the peers this node knows, by name and node id,
 * with their trust level, optional endpoint and coordinator flag.  Kept in
 * DIR/trust.conf (INI, one section per peer; docs/CONFIG.md):
 *
 *   [soc-b]
 *   key = <64 hex digits: the peer's node id>
 *   endpoint = tcp://127.0.0.1:7001     ; optional: this node connects to it
 *   level = member                      ; blocked | external | member (default member)
 *   coordinator = no                    ; yes | no (default no)
 *
 * The list is kept in name order (byte order); trust_at(0 .. count-1) walks
 * it in that order.  At most TRUST_MAX_PEERS peers.  Every peer has a valid
 * name (config_valid_name()), a node id that is a valid Ed25519 public key
 * (keys_curve_pk()), an endpoint that is "" or valid for
 * config_valid_endpoint(s, false), and names and ids are unique.
 *
 * Not thread-safe: one writer, or readers only.  Functions that can fail
 * write one line into err (errlen bytes).
 */
#ifndef SOCMESH_TRUST_H
#define SOCMESH_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h" /* enum msg_level, msg_level_parse(), msg_level_name() */

#define TRUST_FILE      "trust.conf"
#define TRUST_MAX_PEERS 4096
#define TRUST_MAX_FILE  (4 * 1024 * 1024) /* bytes of trust.conf, at most */

struct trust_peer {
	char name[64]; /* same charset as config name */
	uint8_t id[32];
	char endpoint
	    [256]; /* "" when none; validated like config listen, but HOST must not be '*' */
	enum msg_level level;
	bool coordinator;
	uint64_t roster; /* 0: a local entry (trust.conf); else the epoch of the
	                    roster it comes from, never saved */
	bool rotated;    /* a key a rotation links to an entry (never saved) */
};

struct trust; /* opaque */

/* An empty list.  Caller owns it and frees it with trust_destroy(); NULL
 * when out of memory. */
struct trust *trust_new(void);
/* Free *tp and set *tp = NULL.  NULL-safe and idempotent. */
void trust_destroy(struct trust **tp);

/*
 * Replace the contents of t with the list in the file at path.  On error t
 * is left as it was and err holds one line, the first error found:
 *   "PATH: No such file or directory" (or another errno string)
 *   "PATH:LINE: bad peer name [x]: expected 1-63 characters of ..."
 *   "PATH:LINE: peer [x] appears twice"
 *   "PATH:LINE: unknown key 'x' in [soc-b]"
 *   "PATH:LINE: duplicate key 'x' in [soc-b]"
 *   "PATH:LINE: bad value 'v' for key in [soc-b]: expected ..."
 *   "PATH:LINE: [soc-c] has the same key as [soc-b]"
 *   "PATH:LINE: [soc-b]: missing key 'key'"  (LINE: the section's header)
 *   "PATH:LINE: more than 4096 peers"
 *   "PATH:LINE: syntax error: ..."
 * An empty file is an empty list.
 */
int trust_load(struct trust *t, const char *path, char *err, size_t errlen);

/*
 * trust_load() over the len bytes at buf (they need not end in a NUL),
 * with name in place of PATH in the messages: the same rules and errors,
 * and the same limit of TRUST_MAX_FILE bytes ("NAME: File too large"
 * beyond it).  trust_load() reads the file and calls this.  On error t is
 * left as it was.
 */
int trust_parse(struct trust *t, const char *buf, size_t len, const char *name, char *err,
    size_t errlen);

/*
 * Write t to path, atomically (file_write_atomic(), mode 0640), one section
 * per local peer in name order (roster entries are left out), every key
 * written (endpoint only when set);
 * trust_load() of the result gives back the same list.  0, or -1 with err.
 */
int trust_save(const struct trust *t, const char *path, char *err, size_t errlen);

size_t trust_count(const struct trust *t);

/* The i-th peer in name order, NULL when i >= trust_count(t).  Borrowed:
 * valid until the next change of t (add, set, remove, load). */
const struct trust_peer *trust_at(const struct trust *t, size_t i);
/* The peer of that name or id, or NULL.  Borrowed, as trust_at(). */
const struct trust_peer *trust_find_name(const struct trust *t, const char *name);
const struct trust_peer *trust_find_id(const struct trust *t, const uint8_t id[32]);

/* Add a copy of *p.  -1 with err set for a bad name, level or endpoint, an
 * id that is not a valid Ed25519 public key, a name or id already in the
 * list, or a full list; t is then unchanged. */
int trust_add(struct trust *t, const struct trust_peer *p, char *err, size_t errlen);
/* Change the level or coordinator flag of the named peer.  -1 with err set
 * when there is no such peer (or the level is out of range). */
int
trust_set_level(struct trust *t, const char *name, enum msg_level level, char *err, size_t errlen);
int trust_set_coordinator(struct trust *t, const char *name, bool coordinator, char *err,
    size_t errlen);
/* Set the endpoint this node dials for the named peer; "" for none (the
 * peer dials us).  -1 with err set when there is no such peer or the
 * endpoint is not valid (config_valid_endpoint(), no wildcard). */
int trust_set_endpoint(struct trust *t, const char *name, const char *endpoint, char *err,
    size_t errlen);
/* Remove the named peer.  -1 with err set when there is no such peer. */
int trust_remove(struct trust *t, const char *name, char *err, size_t errlen);

#endif
