/*
 * recon — range-based set reconciliation over (time, id), in the manner of
 * negentropy: two peers find the messages each holds and the other lacks
 * with traffic that grows with the difference, not with the sets.  Pure
 * code, no I/O; the byte format is normative in docs/PROTOCOL.md, section
 * "Reconciliation".
 *
 * Each side snapshots the set it may send the other into a recon_set.  The
 * initiator writes recon_initiate(); then each side answers the other's
 * message with recon_reply() until a reply comes back empty.  Every reply
 * also reports the items this side holds that the peer lacks (`have`: send
 * them) and the id prefixes the peer holds that this side lacks (`need`:
 * ask for them).
 */
#ifndef SOCMESH_RECON_H
#define SOCMESH_RECON_H

#include <stddef.h>
#include <stdint.h>

#define RECON_VERSION    0x01
#define RECON_FANOUT     4  /* sub-ranges a differing range is split into */
#define RECON_IDLIST_MAX 4  /* at most this many items: send the ids instead */
#define RECON_FP_LEN     8  /* fingerprint bytes */
#define RECON_PREFIX_LEN 16 /* id bytes in an id list */
#define RECON_MAX_MSG    (512u * 1024u)

enum recon_err {
	RECON_OK = 0,
	RECON_E_VERSION = -1,   /* unknown version byte */
	RECON_E_TRUNCATED = -2, /* ends inside a range */
	RECON_E_VARINT = -3,    /* overlong, non-minimal or overflowing varint */
	RECON_E_BOUND = -4,     /* bounds not strictly increasing, prefix too long */
	RECON_E_MODE = -5,      /* unknown range mode */
	RECON_E_TOOBIG = -6,    /* larger than RECON_MAX_MSG */
	RECON_E_NOMEM = -7,
};
const char *recon_strerror(int err);

struct recon_set;

/* Caller owns the result: recon_set_destroy().  NULL when out of memory. */
struct recon_set *recon_set_new(void);
/* One more holder of a sealed set (it is never changed again): each
 * recon_set_destroy() lets one go, the last frees it.  Returns s.  Not
 * thread-safe: holders share a thread. */
struct recon_set *recon_set_ref(struct recon_set *s);
void recon_set_destroy(struct recon_set **sp);
/* Makes room for n more items at once.  0 or -1 (no memory). */
int recon_set_reserve(struct recon_set *s, size_t n);
/* Adds an item; then recon_set_seal() before use.  0 or -1 (no memory). */
int recon_set_add(struct recon_set *s, uint64_t time, const uint8_t id[32]);
/* Sorts, drops repeats, and computes the running sums.  0 or -1. */
int recon_set_seal(struct recon_set *s);
/*
 * A set of the items [from, count) of the sealed set s as they are now,
 * which holds s (recon_set_ref) and costs no copy: what an exchange
 * works on while s grows by recon_set_append().  Caller owns the result:
 * recon_set_destroy().  NULL when out of memory.
 */
struct recon_set *recon_set_view(struct recon_set *s, size_t from);
/* Adds an item to a sealed set (not a view) that sorts after all it
 * holds, keeping it sealed: O(1) amortized; views made before do not
 * see it.  0, 1 when it does not sort last (nothing done: make a new
 * set), or -1 (no memory, or not a sealed set). */
int recon_set_append(struct recon_set *s, uint64_t time, const uint8_t id[32]);
size_t recon_set_count(const struct recon_set *s);
/* The i-th item in (time, id) order; borrowed. */
const uint8_t *recon_set_id(const struct recon_set *s, size_t i, uint64_t *time);

/* A message being written: a malloc'd buffer the caller frees. */
struct recon_buf {
	uint8_t *p;
	size_t len, cap;
};

/* What a reply found out.  have: indexes into the set of items the peer
 * lacks; need: id prefixes (RECON_PREFIX_LEN bytes each) the peer holds
 * and this side lacks.  Arrays grow; the caller frees with
 * recon_result_free() and may reuse the struct. */
struct recon_result {
	size_t *have;
	size_t nhave, chave;
	uint8_t (*need)[RECON_PREFIX_LEN];
	size_t nneed, cneed;
};
void recon_result_free(struct recon_result *r);

/* Appends n bytes to b.  0, or -1 when out of memory (b unchanged). */
int recon_buf_put(struct recon_buf *b, const void *p, size_t n);

/* The opening message over the whole set, appended to out.  0 or -1. */
int recon_initiate(const struct recon_set *s, struct recon_buf *out);

/*
 * Reads the peer's message (len bytes at msg, untrusted) and appends this
 * side's reply to out; out->len stays 0 when every range is settled (the
 * reconciliation is complete).  Adds to r.  RECON_OK or a negative
 * recon_err, in which case out and r hold whatever was written before the
 * fault was found (the caller drops the exchange).
 */
int recon_reply(const struct recon_set *s, const uint8_t *msg, size_t len, struct recon_buf *out,
    struct recon_result *r) __attribute__((warn_unused_result));

#endif
