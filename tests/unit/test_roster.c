/* Unit tests for daemon/roster: when a roster takes effect (anchors, the
 * threshold of the roster in force, approvals), what is refused at arrival,
 * conflicts, the trust list in force, endpoints, the state file and the
 * export file; and the codec's rules for the roster, approve and endpoints
 * kinds (/tmp/roster-design.md, docs/PROTOCOL.md section 14). */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "policy.h"
#include "roster.h"
#include "trust.h"
#include "util.h"
#include "testutil.h"

/* The test nodes: S is "this node" unless a test says otherwise. */
enum { S, P, Q, T, M, X, Z, NNODES };

static struct {
	uint8_t pk[32], sk[64];
} s_node[NNODES];

static char s_dir[64];
static uint64_t s_seq; /* every message differs from every other */
#define T0 1767225600000ULL

/* A signed message: its bytes (malloc'd) and id. */
struct blob {
	uint8_t *p;
	size_t len;
	uint8_t id[MSG_ID_LEN];
};

static void
s_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
}

/* A roster member: node, name, level, coordinator flag. */
struct mem {
	int who;
	const char *name;
	enum msg_level level;
	bool coord;
};

static struct msg_str
s_str(const char *s)
{
	return (struct msg_str){ s, strlen(s) };
}

static void
s_envelope(struct msg *m, int origin, enum msg_tlp tlp, enum msg_kind kind)
{
	msg_clear(m);
	memcpy(m->origin, s_node[origin].pk, 32);
	m->seq = ++s_seq;
	m->time = T0 + s_seq;
	m->tlp = tlp;
	m->kind = kind;
}

/* Fills a roster's body; members sorted by id unless `unsorted`. */
static void
s_roster_body(struct msg *m, uint64_t epoch, uint64_t k, const struct mem *mv, size_t n,
    bool unsorted)
{
	size_t order[16];

	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++) /* insertion sort by id */
		for (size_t j = i; j > 0 &&
		     memcmp(s_node[mv[order[j - 1]].who].pk, s_node[mv[order[j]].who].pk, 32) > 0;
		     j--) {
			size_t t = order[j];
			order[j] = order[j - 1], order[j - 1] = t;
		}
	if (unsorted && n > 1) {
		size_t t = order[0];
		order[0] = order[1], order[1] = t;
	}
	m->body.network = s_str("testnet");
	m->body.epoch = epoch;
	m->body.threshold = k;
	m->body.nmembers = n;
	for (size_t i = 0; i < n; i++) {
		const struct mem *e = &mv[order[i]];
		m->body.members[i].id = s_node[e->who].pk;
		m->body.members[i].name = s_str(e->name);
		m->body.members[i].level = e->level;
		m->body.members[i].coordinator = e->coord;
	}
}

static struct blob
s_encode(struct msg *m, int origin)
{
	struct blob b;

	assert_int_equal(msg_encode(m, s_node[origin].sk, NULL, NULL, &b.p, &b.len), MSG_OK);
	memcpy(b.id, m->id, MSG_ID_LEN);
	return b;
}

static struct blob
s_roster(int origin, uint64_t epoch, uint64_t k, const struct mem *mv, size_t n)
{
	struct msg *m = msg_new();
	struct blob b;

	assert_non_null(m);
	s_envelope(m, origin, MSG_TLP_CLEAR, MSG_KIND_ROSTER);
	s_roster_body(m, epoch, k, mv, n, false);
	b = s_encode(m, origin);
	msg_destroy(&m);
	return b;
}

static struct blob
s_approve(int origin, const uint8_t ref[MSG_ID_LEN])
{
	struct msg *m = msg_new();
	struct blob b;

	assert_non_null(m);
	s_envelope(m, origin, MSG_TLP_CLEAR, MSG_KIND_APPROVE);
	m->has_ref = true;
	memcpy(m->ref, ref, MSG_ID_LEN);
	b = s_encode(m, origin);
	msg_destroy(&m);
	return b;
}

/* An endpoints message: n (node, endpoint) pairs, given in id order. */
static struct blob
s_endpoints(int origin, const uint8_t ref[MSG_ID_LEN], const int *who, const char **ep, size_t n)
{
	struct msg *m = msg_new();
	struct blob b;

	assert_non_null(m);
	s_envelope(m, origin, MSG_TLP_GREEN, MSG_KIND_ENDPOINTS);
	m->has_ref = true;
	memcpy(m->ref, ref, MSG_ID_LEN);
	m->body.nmembers = n;
	for (size_t i = 0; i < n; i++) {
		m->body.members[i].id = s_node[who[i]].pk;
		m->body.members[i].endpoint = s_str(ep[i]);
	}
	b = s_encode(m, origin);
	msg_destroy(&m);
	return b;
}

static int
s_offer(struct roster *r, const struct blob *b, const struct trust *local)
{
	return roster_offer(r, b->p, b->len, local);
}

/* A local trust list: n entries (node, name, level, coordinator). */
static struct trust *
s_local(const struct mem *mv, size_t n)
{
	struct trust *t = trust_new();
	char err[256];

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		struct trust_peer p = { .level = mv[i].level, .coordinator = mv[i].coord };
		snprintf(p.name, sizeof p.name, "%s", mv[i].name);
		memcpy(p.id, s_node[mv[i].who].pk, 32);
		assert_int_equal(trust_add(t, &p, err, sizeof err), 0);
	}
	return t;
}

static struct roster *
s_new(int self)
{
	struct roster *r = roster_new(s_node[self].pk);

	assert_non_null(r);
	assert_int_equal(roster_epoch(r), 0);
	assert_null(roster_id(r));
	return r;
}

static bool
s_in_conflicts(const struct roster *r, const uint8_t id[MSG_ID_LEN])
{
	uint8_t ids[ROSTER_MAX_CONFLICTS][MSG_ID_LEN];
	size_t n = roster_conflicts(r, ids, ROSTER_MAX_CONFLICTS);

	for (size_t i = 0; i < n; i++)
		if (memcmp(ids[i], id, MSG_ID_LEN) == 0)
			return true;
	return false;
}

static void
s_assert_in_force(const struct roster *r, uint64_t epoch, const struct blob *b)
{
	assert_int_equal(roster_epoch(r), epoch);
	assert_non_null(roster_id(r));
	assert_memory_equal(roster_id(r), b->id, MSG_ID_LEN);
}

/* The members most tests use: P and Q coordinators, S and M members. */
static const struct mem s_base[] = {
	{ S, "soc-s", MSG_LEVEL_MEMBER, false },
	{ P, "soc-p", MSG_LEVEL_MEMBER, true },
	{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
	{ M, "soc-m", MSG_LEVEL_MEMBER, false },
};
#define NBASE (sizeof s_base / sizeof s_base[0])

/* The local list most tests use: P and Q anchored, M a plain member. */
static const struct mem s_anchors[] = {
	{ P, "soc-p", MSG_LEVEL_MEMBER, true },
	{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
	{ M, "soc-m", MSG_LEVEL_MEMBER, false },
};

/* Epoch 1 in force at r: s_base with k = 2, proposed by P, approved by
 * Q.  *r1 keeps its bytes (caller frees). */
static void
s_epoch1(struct roster *r, const struct trust *local, struct blob *r1)
{
	struct blob a;

	*r1 = s_roster(P, 1, 2, s_base, NBASE);
	assert_int_equal(s_offer(r, r1, local), 0);
	a = s_approve(Q, r1->id);
	assert_int_equal(s_offer(r, &a, local), 1);
	s_assert_in_force(r, 1, r1);
	assert_int_equal(roster_threshold(r), 2);
	s_free(&a);
}

/* ---- the first roster: anchors ------------------------------------------ */

static void
test_first_self_anchor(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *local = trust_new();
	const struct mem mx[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, true },
		{ X, "soc-x", MSG_LEVEL_MEMBER, true },
	};
	struct blob bx = s_roster(X, 1, 1, mx, 2), bs = s_roster(S, 1, 1, mx, 2);

	/* X is no anchor: pending */
	assert_int_equal(s_offer(r, &bx, local), 0);
	assert_int_equal(roster_epoch(r), 0);
	assert_null(roster_id(r));
	assert_int_equal(roster_count(r), 0);
	assert_int_equal(roster_npending(r), 1);
	/* offered again: held once */
	assert_int_equal(s_offer(r, &bx, local), 0);
	assert_int_equal(roster_npending(r), 1);
	/* self is an anchor */
	assert_int_equal(s_offer(r, &bs, local), 1);
	s_assert_in_force(r, 1, &bs);
	assert_string_equal(roster_network(r), "testnet");
	assert_int_equal(roster_count(r), 2);
	assert_int_equal(roster_nsigners(r), 1);
	assert_memory_equal(roster_signer(r, 0), s_node[S].pk, 32);
	assert_null(roster_signer(r, 1));
	/* X's roster of the same epoch lost: no longer pending, a conflict */
	assert_int_equal(roster_npending(r), 0);
	assert_true(s_in_conflicts(r, bx.id));
	/* bytes that do not decode */
	assert_int_equal(roster_offer(r, (const uint8_t *)"\x92\x80", 2, local), -1);
	s_free(&bx), s_free(&bs);
	trust_destroy(&local);
	roster_destroy(&r);
	assert_null(r);
	roster_destroy(&r);
}

static void
test_first_local_coordinator(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	/* P a local coordinator, M a local member without the flag */
	const struct mem lm[] = {
		{ P, "soc-p", MSG_LEVEL_MEMBER, true },
		{ M, "soc-m", MSG_LEVEL_MEMBER, false },
	};
	struct trust *local = s_local(lm, 2);
	struct blob bm = s_roster(M, 1, 1, s_base, NBASE), bp = s_roster(P, 1, 1, s_base, NBASE);

	assert_int_equal(s_offer(r, &bm, local), 0);
	assert_int_equal(roster_epoch(r), 0);
	assert_int_equal(roster_npending(r), 1);
	assert_int_equal(s_offer(r, &bp, local), 1);
	s_assert_in_force(r, 1, &bp);
	assert_int_equal(roster_count(r), NBASE);
	assert_int_equal(roster_threshold(r), 1);
	s_free(&bm), s_free(&bp);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* With none in force a roster of threshold k needs k anchors among its
 * signers: approvals by non-anchors and repeated signers do not count. */
static void
test_first_threshold(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *local = s_local(s_anchors, 3);
	struct blob b = s_roster(P, 1, 2, s_base, NBASE);
	struct blob am = s_approve(M, b.id), ap = s_approve(P, b.id), aq = s_approve(Q, b.id);
	struct blob as = s_approve(S, b.id);
	struct roster_pending pd;

	assert_int_equal(s_offer(r, &b, local), 0);
	assert_int_equal(roster_npending(r), 1);
	roster_pending_at(r, 0, &pd);
	assert_memory_equal(pd.id, b.id, MSG_ID_LEN);
	assert_memory_equal(pd.proposer, s_node[P].pk, 32);
	assert_int_equal(pd.epoch, 1);
	assert_int_equal(pd.approvals, 0);
	/* M: a local entry, but no coordinator */
	assert_int_equal(s_offer(r, &am, local), 0);
	assert_int_equal(roster_epoch(r), 0);
	roster_pending_at(r, 0, &pd);
	assert_int_equal(pd.approvals, 1);
	/* the proposer approving its own roster is the same signer */
	assert_int_equal(s_offer(r, &ap, local), 0);
	assert_int_equal(roster_epoch(r), 0);
	roster_pending_at(r, 0, &pd);
	assert_int_equal(pd.approvals, 1);
	/* Q, a second anchor */
	assert_int_equal(s_offer(r, &aq, local), 1);
	s_assert_in_force(r, 1, &b);
	assert_int_equal(roster_nsigners(r), 3);
	roster_destroy(&r);

	/* self is the second anchor */
	r = s_new(S);
	assert_int_equal(s_offer(r, &b, local), 0);
	assert_int_equal(s_offer(r, &as, local), 1);
	s_assert_in_force(r, 1, &b);
	roster_destroy(&r);

	/* the approval before the roster: counted when the roster comes */
	r = s_new(S);
	assert_int_equal(s_offer(r, &aq, local), 0);
	assert_int_equal(roster_epoch(r), 0);
	assert_int_equal(s_offer(r, &b, local), 1);
	s_assert_in_force(r, 1, &b);
	roster_destroy(&r);

	s_free(&b), s_free(&am), s_free(&ap), s_free(&aq), s_free(&as);
	trust_destroy(&local);
}

/* ---- the next epoch: the threshold of the roster in force --------------- */

static void
test_next_epoch(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	/* T is anchored locally but is no coordinator of the roster in force */
	const struct mem lm[] = {
		{ P, "soc-p", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
		{ M, "soc-m", MSG_LEVEL_MEMBER, false },
		{ T, "soc-t", MSG_LEVEL_MEMBER, true },
	};
	struct trust *local = s_local(lm, 4);
	struct blob r1, r2, am, ap1, ap2, at, aq;
	struct roster_pending pd;

	s_epoch1(r, local, &r1);
	r2 = s_roster(P, 2, 2, s_base, NBASE - 1);
	am = s_approve(M, r2.id), ap1 = s_approve(P, r2.id), ap2 = s_approve(P, r2.id);
	at = s_approve(T, r2.id), aq = s_approve(Q, r2.id);
	assert_memory_not_equal(ap1.id, ap2.id, MSG_ID_LEN);

	/* the proposer alone */
	assert_int_equal(s_offer(r, &r2, local), 0);
	assert_int_equal(roster_npending(r), 1);
	s_assert_in_force(r, 1, &r1);
	roster_pending_at(r, 0, &pd);
	assert_memory_equal(pd.id, r2.id, MSG_ID_LEN);
	assert_int_equal(pd.epoch, 2);
	assert_int_equal(pd.approvals, 0);
	/* a member that is no coordinator */
	assert_int_equal(s_offer(r, &am, local), 0);
	s_assert_in_force(r, 1, &r1);
	/* a local anchor that is no coordinator of the roster in force */
	assert_int_equal(s_offer(r, &at, local), 0);
	s_assert_in_force(r, 1, &r1);
	/* the proposer twice more: one signer */
	assert_int_equal(s_offer(r, &ap1, local), 0);
	assert_int_equal(s_offer(r, &ap2, local), 0);
	s_assert_in_force(r, 1, &r1);
	roster_pending_at(r, 0, &pd);
	assert_int_equal(pd.approvals, 2); /* M and T */
	/* a second coordinator of the roster in force */
	assert_int_equal(s_offer(r, &aq, local), 1);
	s_assert_in_force(r, 2, &r2);
	assert_int_equal(roster_npending(r), 0);
	assert_int_equal(roster_count(r), NBASE - 1);
	assert_null(roster_find(r, s_node[M].pk));
	assert_non_null(roster_find(r, s_node[Q].pk));
	assert_int_equal(roster_nsigners(r), 4); /* P, M, T, Q */
	assert_memory_equal(roster_signer(r, 0), s_node[P].pk, 32);

	s_free(&r1), s_free(&r2), s_free(&am), s_free(&ap1), s_free(&ap2), s_free(&at), s_free(&aq);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* k = 3: two approvals from one coordinator count once. */
static void
test_next_epoch_repeated_approver(void **state)
{
	(void)state;
	const struct mem mv[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, false },
		{ P, "soc-p", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
		{ T, "soc-t", MSG_LEVEL_MEMBER, true },
	};
	struct trust *local = s_local(mv + 1, 3);
	struct roster *r = s_new(S);
	struct blob r1 = s_roster(P, 1, 3, mv, 4), r2 = s_roster(P, 2, 3, mv, 4);
	struct blob a[5] = { s_approve(Q, r1.id), s_approve(T, r1.id), s_approve(Q, r2.id),
		s_approve(Q, r2.id), s_approve(T, r2.id) };
	struct roster_pending pd;

	assert_int_equal(s_offer(r, &r1, local), 0);
	assert_int_equal(s_offer(r, &a[0], local), 0);
	assert_int_equal(roster_epoch(r), 0);
	assert_int_equal(s_offer(r, &a[1], local), 1);
	s_assert_in_force(r, 1, &r1);
	assert_int_equal(s_offer(r, &r2, local), 0);
	assert_int_equal(s_offer(r, &a[2], local), 0);
	assert_int_equal(s_offer(r, &a[3], local), 0);
	s_assert_in_force(r, 1, &r1);
	roster_pending_at(r, 0, &pd);
	assert_int_equal(pd.approvals, 1);
	assert_int_equal(s_offer(r, &a[4], local), 1);
	s_assert_in_force(r, 2, &r2);
	for (size_t i = 0; i < 5; i++)
		s_free(&a[i]);
	s_free(&r1), s_free(&r2);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* ---- refused at arrival ------------------------------------------------- */

static enum policy_reason
s_judge(struct roster *r, const struct blob *b)
{
	struct msg *m = msg_new();
	enum policy_reason why;

	assert_non_null(m);
	assert_int_equal(msg_decode(m, b->p, b->len, 0), MSG_OK);
	why = roster_judge(r, m);
	msg_destroy(&m);
	return why;
}

static void
test_judge(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *local = s_local(s_anchors, 3);
	struct blob r1, r2, aq, r2b, r3, r1b;

	/* none in force: nothing is old or in conflict */
	r1b = s_roster(Q, 1, 1, s_base, NBASE);
	assert_int_equal(s_judge(r, &r1b), POLICY_OK);
	s_epoch1(r, local, &r1);
	r2 = s_roster(P, 2, 2, s_base, NBASE);
	aq = s_approve(Q, r2.id);
	assert_int_equal(s_judge(r, &r2), POLICY_OK);
	assert_int_equal(s_offer(r, &r2, local), 0);
	assert_int_equal(s_offer(r, &aq, local), 1);
	s_assert_in_force(r, 2, &r2);
	assert_int_equal(roster_refused_old(r), 0);
	assert_int_equal(roster_refused_conflict(r), 0);

	/* older epochs */
	assert_int_equal(s_judge(r, &r1), POLICY_ROSTER_OLD);
	assert_int_equal(roster_refused_old(r), 1);
	assert_int_equal(s_judge(r, &r1b), POLICY_ROSTER_OLD);
	assert_int_equal(roster_refused_old(r), 2);
	assert_int_equal(roster_refused_conflict(r), 0);
	assert_false(s_in_conflicts(r, r1.id));

	/* another roster of the epoch in force */
	r2b = s_roster(Q, 2, 1, s_base, NBASE);
	assert_false(s_in_conflicts(r, r2b.id));
	assert_int_equal(s_judge(r, &r2b), POLICY_ROSTER_CONFLICT);
	assert_int_equal(roster_refused_conflict(r), 1);
	assert_int_equal(roster_refused_old(r), 2);
	assert_true(s_in_conflicts(r, r2b.id));
	/* judged again: counted again, listed once */
	assert_int_equal(s_judge(r, &r2b), POLICY_ROSTER_CONFLICT);
	assert_int_equal(roster_refused_conflict(r), 2);
	{
		uint8_t ids[ROSTER_MAX_CONFLICTS][MSG_ID_LEN];
		assert_int_equal(roster_conflicts(r, ids, ROSTER_MAX_CONFLICTS), 1);
		assert_int_equal(roster_conflicts(r, ids, 0), 0);
	}

	/* the roster in force itself, a later one, another kind */
	assert_int_equal(s_judge(r, &r2), POLICY_OK);
	r3 = s_roster(M, 3, 1, s_base, NBASE);
	assert_int_equal(s_judge(r, &r3), POLICY_OK);
	assert_int_equal(s_judge(r, &aq), POLICY_OK);
	assert_int_equal(roster_refused_old(r), 2);
	assert_int_equal(roster_refused_conflict(r), 2);

	s_free(&r1), s_free(&r2), s_free(&aq), s_free(&r2b), s_free(&r3), s_free(&r1b);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* ---- conflicts and order ------------------------------------------------ */

/* Two rosters of one epoch pending, then both qualify at once (the local
 * list gains an anchor): the lower id wins, whichever came first. */
static void
test_same_epoch_lower_id(void **state)
{
	(void)state;
	struct trust *none = trust_new();
	struct trust *local = s_local(s_anchors, 1); /* P anchored */
	struct blob a = s_roster(P, 1, 1, s_base, NBASE);
	struct blob b = s_roster(P, 1, 1, s_base, NBASE - 1);
	const struct blob *lo = memcmp(a.id, b.id, MSG_ID_LEN) < 0 ? &a : &b;
	const struct blob *hi = lo == &a ? &b : &a;

	assert_memory_not_equal(a.id, b.id, MSG_ID_LEN);
	for (int order = 0; order < 2; order++) {
		struct roster *r = s_new(S);
		const struct blob *first = order ? hi : lo, *second = order ? lo : hi;
		struct blob nudge = s_approve(M, first->id);

		assert_int_equal(s_offer(r, first, none), 0);
		assert_int_equal(s_offer(r, second, none), 0);
		assert_int_equal(roster_npending(r), 2);
		/* both pending in one epoch: both listed */
		assert_true(s_in_conflicts(r, a.id));
		assert_true(s_in_conflicts(r, b.id));
		/* any governing message makes the node try again */
		assert_int_equal(s_offer(r, &nudge, local), 1);
		s_assert_in_force(r, 1, lo);
		assert_int_equal(roster_npending(r), 0);
		assert_true(s_in_conflicts(r, hi->id));
		assert_false(s_in_conflicts(r, lo->id));
		s_free(&nudge);
		roster_destroy(&r);
	}
	s_free(&a), s_free(&b);
	trust_destroy(&none);
	trust_destroy(&local);
}

/* Epochs 2 and 3 pending; 3 can only take effect under 2's coordinators.
 * One approval puts 2 in force, and then 3. */
static void
test_epochs_in_order(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *local = s_local(s_anchors, 3);
	const struct mem m2[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, false },
		{ P, "soc-p", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
		{ T, "soc-t", MSG_LEVEL_MEMBER, true },
	};
	struct blob r1, r2, r3, ap3, aq2;

	s_epoch1(r, local, &r1);
	r2 = s_roster(P, 2, 2, m2, 4);
	r3 = s_roster(T, 3, 2, m2, 4);
	ap3 = s_approve(P, r3.id);
	aq2 = s_approve(Q, r2.id);
	/* T and P sign 3: only P is a coordinator of 1 */
	assert_int_equal(s_offer(r, &r3, local), 0);
	assert_int_equal(s_offer(r, &ap3, local), 0);
	assert_int_equal(s_offer(r, &r2, local), 0);
	assert_int_equal(roster_npending(r), 2);
	s_assert_in_force(r, 1, &r1);
	assert_int_equal(s_offer(r, &aq2, local), 1);
	s_assert_in_force(r, 3, &r3);
	assert_int_equal(roster_npending(r), 0);
	assert_non_null(roster_find(r, s_node[T].pk));
	assert_int_equal(roster_nsigners(r), 2);
	s_free(&r1), s_free(&r2), s_free(&r3), s_free(&ap3), s_free(&aq2);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* Epochs 1 and 2 pending with none in force, then both qualify at once
 * against the anchors: 1 takes effect first, and 2 is then judged against
 * 1's coordinators, of which its proposer is not one. */
static void
test_epochs_lowest_first(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *none = trust_new();
	struct trust *local = s_local(s_anchors, 1); /* P anchored */
	const struct mem m1[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, false },
		{ P, "soc-p", MSG_LEVEL_MEMBER, false },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
	};
	struct blob r1 = s_roster(P, 1, 1, m1, 3), r2 = s_roster(P, 2, 1, s_base, NBASE);
	struct blob nudge = s_approve(M, r2.id), aq = s_approve(Q, r2.id);

	assert_int_equal(s_offer(r, &r2, none), 0);
	assert_int_equal(s_offer(r, &r1, none), 0);
	assert_int_equal(roster_npending(r), 2);
	assert_int_equal(s_offer(r, &nudge, local), 1);
	s_assert_in_force(r, 1, &r1);
	assert_int_equal(roster_npending(r), 1);
	/* Q, the coordinator of 1, approves 2 */
	assert_int_equal(s_offer(r, &aq, local), 1);
	s_assert_in_force(r, 2, &r2);
	s_free(&r1), s_free(&r2), s_free(&nudge), s_free(&aq);
	trust_destroy(&none);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* ---- the trust list in force --------------------------------------------- */

static void
test_merge(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	/* local: P a coordinator, M blocked, Z holds the name "soc-q" */
	const struct mem lm[] = {
		{ P, "local-p", MSG_LEVEL_MEMBER, true },
		{ M, "bad-m", MSG_LEVEL_BLOCKED, false },
		{ Z, "soc-q", MSG_LEVEL_EXTERNAL, false },
	};
	const struct mem rm[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, true },
		{ P, "soc-p", MSG_LEVEL_EXTERNAL, true },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
		{ M, "soc-m", MSG_LEVEL_MEMBER, false },
		{ T, "soc-t", MSG_LEVEL_EXTERNAL, false },
	};
	struct trust *local = s_local(lm, 3), *t, *t0;
	struct blob b = s_roster(P, 1, 1, rm, 5), e;
	const int who[] = { T };
	const char *ep[] = { "tcp://127.0.0.1:7005" };
	const struct trust_peer *p;
	char err[256];

	/* none in force: the local list */
	assert_non_null(t0 = roster_merge(r, local, err, sizeof err));
	assert_int_equal(trust_count(t0), 3);
	trust_destroy(&t0);

	assert_int_equal(s_offer(r, &b, local), 1);
	e = s_endpoints(P, b.id, who, ep, 1);
	assert_int_equal(s_offer(r, &e, local), 1);
	assert_non_null(t = roster_merge(r, local, err, sizeof err));
	/* the 3 local entries, Q and T; self left out */
	assert_int_equal(trust_count(t), 5);
	assert_null(trust_find_id(t, s_node[S].pk));
	assert_null(trust_find_name(t, "soc-s"));
	/* local wins: M stays blocked, P keeps its local name and level */
	assert_non_null(p = trust_find_id(t, s_node[M].pk));
	assert_int_equal(p->level, MSG_LEVEL_BLOCKED);
	assert_int_equal(p->roster, 0);
	assert_string_equal(p->name, "bad-m");
	assert_null(trust_find_name(t, "soc-m"));
	assert_non_null(p = trust_find_id(t, s_node[P].pk));
	assert_string_equal(p->name, "local-p");
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_int_equal(p->roster, 0);
	/* the name clash */
	assert_non_null(p = trust_find_id(t, s_node[Z].pk));
	assert_string_equal(p->name, "soc-q");
	assert_int_equal(p->roster, 0);
	assert_non_null(p = trust_find_id(t, s_node[Q].pk));
	assert_string_equal(p->name, "soc-q.roster");
	assert_int_equal(p->roster, 1);
	assert_true(p->coordinator);
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_string_equal(p->endpoint, "");
	/* a roster entry */
	assert_non_null(p = trust_find_id(t, s_node[T].pk));
	assert_string_equal(p->name, "soc-t");
	assert_int_equal(p->roster, 1);
	assert_false(p->coordinator);
	assert_int_equal(p->level, MSG_LEVEL_EXTERNAL);
	assert_string_equal(p->endpoint, "tcp://127.0.0.1:7005");
	trust_destroy(&t);
	s_free(&b), s_free(&e);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* ---- endpoints ------------------------------------------------------------ */

static void
test_endpoints(void **state)
{
	(void)state;
	struct roster *r = s_new(S);
	struct trust *local = s_local(s_anchors, 1);
	const struct mem rm[] = {
		{ S, "soc-s", MSG_LEVEL_MEMBER, false },
		{ P, "soc-p", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-q", MSG_LEVEL_MEMBER, true },
		{ M, "soc-m", MSG_LEVEL_MEMBER, false },
	};
	struct blob b = s_roster(P, 1, 1, rm, 4), b2 = s_roster(P, 2, 1, rm, 4);
	/* ids in ascending order, as the codec wants them */
	int who[3] = { Q, M, X };
	const char *ep[3];
	const char *good[] = { "tcp://127.0.0.1:7002", "tcp://127.0.0.1:7004", "tcp://10.0.0.9:1" };
	const char *bad[] = { "tcp://127.0.0.1:7002", "tcp://nohost", "tcp://10.0.0.9:1" };
	struct blob eq, ep2, eb, e2;

	for (int i = 0; i < 3; i++) /* sort who[] by id, carrying good[] and bad[] */
		for (int j = i + 1; j < 3; j++)
			if (memcmp(s_node[who[i]].pk, s_node[who[j]].pk, 32) > 0) {
				int w = who[i];
				const char *g = good[i], *x = bad[i];
				who[i] = who[j], good[i] = good[j], bad[i] = bad[j];
				who[j] = w, good[j] = g, bad[j] = x;
			}
	memcpy(ep, good, sizeof ep);
	assert_int_equal(s_offer(r, &b, local), 1);
	/* from another coordinator of the roster: not applied */
	eq = s_endpoints(Q, b.id, who, ep, 3);
	(void)s_offer(r, &eq, local);
	assert_string_equal(roster_find(r, s_node[Q].pk)->endpoint, "");
	assert_string_equal(roster_find(r, s_node[M].pk)->endpoint, "");
	/* from the proposer, for a roster that is not in force: not applied */
	ep2 = s_endpoints(P, b2.id, who, ep, 3);
	assert_int_equal(s_offer(r, &ep2, local), 0);
	assert_string_equal(roster_find(r, s_node[Q].pk)->endpoint, "");
	/* from the proposer, for the roster in force: applied, an endpoint
	 * that does not parse left out */
	memcpy(ep, bad, sizeof ep);
	eb = s_endpoints(P, b.id, who, ep, 3);
	assert_int_equal(s_offer(r, &eb, local), 1);
	assert_string_equal(roster_find(r, s_node[Q].pk)->endpoint, "tcp://127.0.0.1:7002");
	assert_string_equal(roster_find(r, s_node[M].pk)->endpoint, "");
	assert_string_equal(roster_find(r, s_node[P].pk)->endpoint, "");
	assert_null(roster_find(r, s_node[X].pk));
	/* the endpoints of roster 2 came first: applied when 2 takes effect */
	assert_int_equal(s_offer(r, &b2, local), 1);
	s_assert_in_force(r, 2, &b2);
	assert_string_equal(roster_find(r, s_node[Q].pk)->endpoint, "tcp://127.0.0.1:7002");
	assert_string_equal(roster_find(r, s_node[M].pk)->endpoint, "tcp://127.0.0.1:7004");
	/* endpoints for the old roster are no longer applied */
	memcpy(ep, good, sizeof ep);
	e2 = s_endpoints(P, b.id, who, ep, 3);
	(void)s_offer(r, &e2, local);
	s_assert_in_force(r, 2, &b2);
	s_free(&b), s_free(&b2), s_free(&eq), s_free(&ep2), s_free(&eb), s_free(&e2);
	trust_destroy(&local);
	roster_destroy(&r);
}

/* ---- the state file and the export file ---------------------------------- */

static void
s_assert_same(const struct roster *a, const struct roster *b)
{
	assert_int_equal(roster_epoch(a), roster_epoch(b));
	assert_int_equal(roster_threshold(a), roster_threshold(b));
	assert_string_equal(roster_network(a), roster_network(b));
	assert_non_null(roster_id(a));
	assert_non_null(roster_id(b));
	assert_memory_equal(roster_id(a), roster_id(b), MSG_ID_LEN);
	assert_int_equal(roster_count(a), roster_count(b));
	for (size_t i = 0; i < roster_count(a); i++) {
		const struct roster_entry *x = roster_at(a, i), *y = roster_at(b, i);
		assert_memory_equal(x->id, y->id, 32);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->level, y->level);
		assert_int_equal(x->coordinator, y->coordinator);
		assert_string_equal(x->endpoint, y->endpoint);
	}
	assert_null(roster_at(a, roster_count(a)));
	assert_int_equal(roster_nsigners(a), roster_nsigners(b));
}

static void
test_save_load(void **state)
{
	(void)state;
	struct roster *r = s_new(S), *l = s_new(S);
	struct trust *local = s_local(s_anchors, 3);
	struct blob r1, r2, am, e;
	const int who[] = { Q };
	const char *ep[] = { "tcp://127.0.0.1:7002" };
	struct roster_pending p1, p2;
	char path[128], err[256];

	snprintf(path, sizeof path, "%s/%s", s_dir, ROSTER_FILE);
	/* missing: none in force */
	unlink(path);
	assert_int_equal(roster_load(l, path, local, err, sizeof err), 0);
	assert_int_equal(roster_epoch(l), 0);
	assert_int_equal(roster_npending(l), 0);
	/* none in force, saved and loaded */
	assert_int_equal(roster_save(l, path, err, sizeof err), 0);
	assert_int_equal(roster_load(l, path, local, err, sizeof err), 0);
	assert_int_equal(roster_epoch(l), 0);
	assert_null(roster_id(l));

	/* a pending roster saved, loaded under a list that anchors its
	 * proposer: in force */
	{
		struct trust *none = trust_new();
		struct blob x = s_roster(P, 1, 1, s_base, NBASE);
		assert_int_equal(s_offer(l, &x, none), 0);
		assert_int_equal(roster_save(l, path, err, sizeof err), 0);
		assert_int_equal(roster_load(l, path, none, err, sizeof err), 0);
		assert_int_equal(roster_epoch(l), 0);
		assert_int_equal(roster_npending(l), 1);
		assert_int_equal(roster_load(l, path, local, err, sizeof err), 0);
		s_assert_in_force(l, 1, &x);
		assert_int_equal(roster_npending(l), 0);
		s_free(&x);
		trust_destroy(&none);
	}

	s_epoch1(r, local, &r1);
	e = s_endpoints(P, r1.id, who, ep, 1);
	assert_int_equal(s_offer(r, &e, local), 1);
	r2 = s_roster(P, 2, 2, s_base, NBASE - 1);
	am = s_approve(M, r2.id);
	assert_int_equal(s_offer(r, &r2, local), 0);
	assert_int_equal(s_offer(r, &am, local), 0);
	assert_int_equal(roster_save(r, path, err, sizeof err), 0);
	assert_int_equal(roster_load(l, path, local, err, sizeof err), 0);
	s_assert_same(r, l);
	assert_string_equal(roster_find(l, s_node[Q].pk)->endpoint, "tcp://127.0.0.1:7002");
	assert_int_equal(roster_npending(l), 1);
	roster_pending_at(r, 0, &p1);
	roster_pending_at(l, 0, &p2);
	assert_memory_equal(&p1, &p2, sizeof p1);
	assert_int_equal(p2.approvals, 1);
	assert_int_equal(p2.epoch, 2);
	/* the loaded state goes on as the saved one would */
	{
		struct blob aq = s_approve(Q, r2.id);
		assert_int_equal(s_offer(l, &aq, local), 1);
		s_assert_in_force(l, 2, &r2);
		s_free(&aq);
	}
	/* a directory that does not exist */
	assert_int_equal(roster_save(r, "/nonexistent-socmesh/roster.state", err, sizeof err), -1);
	assert_true(strlen(err) > 0);

	/* a truncated file, garbage, an empty file: an error, nothing in force */
	{
		char *buf;
		size_t len;
		FILE *f;

		assert_int_equal(roster_save(r, path, err, sizeof err), 0);
		assert_int_equal(file_read_all(path, ROSTER_MAX_FILE, &buf, &len), 0);
		for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 97)) {
			assert_non_null(f = fopen(path, "wb"));
			assert_int_equal(fwrite(buf, 1, cut, f), cut);
			assert_int_equal(fclose(f), 0);
			err[0] = '\0';
			assert_int_equal(roster_load(l, path, local, err, sizeof err), -1);
			assert_true(strlen(err) > 0);
			assert_int_equal(roster_epoch(l), 0);
			assert_null(roster_id(l));
			assert_int_equal(roster_npending(l), 0);
		}
		/* a byte flipped inside a signature: message 2 fails verification */
		buf[len - 1] ^= 1;
		assert_non_null(f = fopen(path, "wb"));
		assert_int_equal(fwrite(buf, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(roster_load(l, path, local, err, sizeof err), -1);
		assert_int_equal(roster_epoch(l), 0);
		free(buf);
		assert_int_equal(tu_write(path, "garbage, not msgpack"), 0);
		assert_int_equal(roster_load(l, path, local, err, sizeof err), -1);
		assert_int_equal(roster_epoch(l), 0);
		/* an array of one bin that names a roster it does not hold */
		assert_int_equal(tu_write(path, "\x91\xc4\x20ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvu"), 0);
		err[0] = '\0';
		assert_int_equal(roster_load(l, path, local, err, sizeof err), -1);
		assert_non_null(strstr(err, "missing"));
		assert_int_equal(roster_epoch(l), 0);
	}
	s_free(&r1), s_free(&r2), s_free(&am), s_free(&e);
	trust_destroy(&local);
	roster_destroy(&r);
	roster_destroy(&l);
}

/* A msgpack array of the n messages as bin 16: the export file's form. */
static size_t
s_pack_bins(uint8_t *buf, size_t cap, const struct blob *const *v, size_t n)
{
	size_t len = 1;

	assert_true(n < 16);
	buf[0] = (uint8_t)(0x90 | n);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i]->len < 65536 && len + 3 + v[i]->len <= cap);
		buf[len++] = 0xc5;
		buf[len++] = (uint8_t)(v[i]->len >> 8);
		buf[len++] = (uint8_t)v[i]->len;
		memcpy(buf + len, v[i]->p, v[i]->len);
		len += v[i]->len;
	}
	return len;
}

static void
test_export_join(void **state)
{
	(void)state;
	struct roster *r = s_new(S), *j = s_new(Z);
	struct trust *local = s_local(s_anchors, 3);
	struct blob b1, e, r2, aq;
	const int who[] = { Q };
	const char *ep[] = { "tcp://127.0.0.1:7002" };
	uint8_t anchors[3][32], *out;
	size_t len;
	char err[256];

	/* nothing to export */
	assert_int_equal(roster_export(r, &out, &len, err, sizeof err), -1);
	assert_null(out);

	/* k = 1, proposed by P, with endpoints */
	b1 = s_roster(P, 1, 1, s_base, NBASE);
	assert_int_equal(s_offer(r, &b1, local), 1);
	e = s_endpoints(P, b1.id, who, ep, 1);
	assert_int_equal(s_offer(r, &e, local), 1);
	assert_int_equal(roster_export(r, &out, &len, err, sizeof err), 0);
	memcpy(anchors[0], s_node[P].pk, 32);
	assert_int_equal(roster_join(j, out, len, anchors, 1, err, sizeof err), 0);
	s_assert_same(r, j);
	assert_int_equal(roster_epoch(j), 1);
	assert_string_equal(roster_find(j, s_node[Q].pk)->endpoint, "tcp://127.0.0.1:7002");
	/* a wrong anchor, or none */
	memcpy(anchors[0], s_node[Q].pk, 32);
	err[0] = '\0';
	assert_int_equal(roster_join(j, out, len, anchors, 1, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	assert_int_equal(roster_epoch(j), 0);
	assert_null(roster_id(j));
	assert_int_equal(roster_join(j, out, len, anchors, 0, err, sizeof err), -1);
	/* self is no anchor for a join */
	{
		struct roster *jp = s_new(P);
		memcpy(anchors[0], s_node[Q].pk, 32);
		assert_int_equal(roster_join(jp, out, len, anchors, 1, err, sizeof err), -1);
		assert_int_equal(roster_epoch(jp), 0);
		memcpy(anchors[0], s_node[P].pk, 32);
		assert_int_equal(roster_join(jp, out, len, anchors, 1, err, sizeof err), 0);
		assert_int_equal(roster_epoch(jp), 1);
		roster_destroy(&jp);
	}
	/* a byte after the array */
	{
		uint8_t *longer = malloc(len + 1);
		assert_non_null(longer);
		memcpy(longer, out, len);
		longer[len] = 0xc0;
		assert_int_equal(roster_join(j, longer, len + 1, anchors, 1, err, sizeof err), -1);
		assert_int_equal(roster_epoch(j), 0);
		free(longer);
	}
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < len; cut++) {
		err[0] = '\0';
		assert_int_equal(roster_join(j, out, cut, anchors, 1, err, sizeof err), -1);
		assert_true(strlen(err) > 0);
		assert_int_equal(roster_epoch(j), 0);
	}
	/* a flipped bit anywhere: refused, or (outside what is signed, e.g. an
	 * element header that still parses) never a different roster */
	for (size_t i = 0; i < len; i++) {
		out[i] ^= 0x40;
		if (roster_join(j, out, len, anchors, 1, err, sizeof err) == 0)
			assert_memory_equal(roster_id(j), b1.id, MSG_ID_LEN);
		out[i] ^= 0x40;
	}
	/* garbage */
	assert_int_equal(roster_join(j, (const uint8_t *)"\x91\xc4\x01x", 4, anchors, 1, err,
	                     sizeof err),
	    -1);
	assert_int_equal(roster_join(j, (const uint8_t *)"\x90", 1, anchors, 1, err, sizeof err),
	    -1);
	assert_int_equal(roster_join(j, (const uint8_t *)"hello", 5, anchors, 1, err, sizeof err),
	    -1);
	/* the first message must be a roster: an approval first is refused,
	 * alone or before the roster */
	{
		struct blob a = s_approve(P, b1.id);
		const struct blob *v[] = { &a, &b1 };
		uint8_t buf[2048];
		size_t n;

		n = s_pack_bins(buf, sizeof buf, v, 1);
		assert_int_equal(roster_join(j, buf, n, anchors, 1, err, sizeof err), -1);
		assert_int_equal(roster_epoch(j), 0);
		n = s_pack_bins(buf, sizeof buf, v, 2);
		assert_int_equal(roster_join(j, buf, n, anchors, 1, err, sizeof err), -1);
		assert_int_equal(roster_epoch(j), 0);
		/* and the roster first: joined */
		v[0] = &b1, v[1] = &a;
		n = s_pack_bins(buf, sizeof buf, v, 2);
		assert_int_equal(roster_join(j, buf, n, anchors, 1, err, sizeof err), 0);
		s_assert_in_force(j, 1, &b1);
		s_free(&a);
	}
	free(out);

	/* k = 2: the export carries the approval; both signers must be given */
	r2 = s_roster(P, 2, 2, s_base, NBASE);
	aq = s_approve(Q, r2.id);
	assert_int_equal(s_offer(r, &r2, local), 1); /* k of roster 1 is 1 */
	assert_int_equal(s_offer(r, &aq, local), 0);
	assert_int_equal(roster_nsigners(r), 2);
	assert_int_equal(roster_export(r, &out, &len, err, sizeof err), 0);
	memcpy(anchors[0], s_node[P].pk, 32);
	memcpy(anchors[1], s_node[Q].pk, 32);
	memcpy(anchors[2], s_node[M].pk, 32);
	assert_int_equal(roster_join(j, out, len, anchors, 1, err, sizeof err), -1);
	assert_int_equal(roster_join(j, out, len, anchors + 1, 2, err, sizeof err), -1);
	assert_int_equal(roster_join(j, out, len, anchors, 3, err, sizeof err), 0);
	s_assert_same(r, j);
	assert_int_equal(roster_epoch(j), 2);
	free(out);

	s_free(&b1), s_free(&e), s_free(&r2), s_free(&aq);
	trust_destroy(&local);
	roster_destroy(&r);
	roster_destroy(&j);
}

/* ---- the codec's rules ---------------------------------------------------- */

/* Replaces the first occurrence of from (n bytes) in buf with to. */
static void
s_patch(uint8_t *buf, size_t len, const void *from, const void *to, size_t n)
{
	uint8_t *at = memmem(buf, len, from, n);

	assert_non_null(at);
	memcpy(at, to, n);
}

static void
test_msg_rules(void **state)
{
	(void)state;
	struct msg *m = msg_new(), *d = msg_new();
	const struct mem two[] = {
		{ P, "soc-a", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-b", MSG_LEVEL_MEMBER, false },
	};
	const struct mem dup[] = {
		{ P, "soc-a", MSG_LEVEL_MEMBER, true },
		{ Q, "soc-a", MSG_LEVEL_MEMBER, false },
	};
	uint8_t *out;
	size_t len;
	struct blob b, a, e;
	const int who[] = { Q };
	const char *ep[] = { "tcp://127.0.0.1:7002" };

	assert_non_null(m);
	assert_non_null(d);

	/* encoder */
	s_envelope(m, P, MSG_TLP_CLEAR, MSG_KIND_ROSTER);
	s_roster_body(m, 1, 2, two, 2, false); /* one coordinator */
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_COUNT);
	assert_null(out);
	s_roster_body(m, 1, 0, two, 2, false);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_COUNT);
	s_roster_body(m, 1, 1, two, 2, true);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_NONCANONICAL);
	s_roster_body(m, 1, 1, dup, 2, false);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_TOKEN);
	s_envelope(m, P, MSG_TLP_GREEN, MSG_KIND_ROSTER);
	s_roster_body(m, 1, 1, two, 2, false);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_TLP);
	s_envelope(m, P, MSG_TLP_CLEAR, MSG_KIND_ROSTER);
	s_roster_body(m, 1, 1, two, 2, false);
	m->has_ref = true;
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_REF);
	s_envelope(m, P, MSG_TLP_CLEAR, MSG_KIND_APPROVE);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_REF);
	s_envelope(m, P, MSG_TLP_GREEN, MSG_KIND_APPROVE);
	m->has_ref = true;
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_TLP);
	s_envelope(m, P, MSG_TLP_CLEAR, MSG_KIND_ENDPOINTS);
	m->has_ref = true;
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_TLP);
	s_envelope(m, P, MSG_TLP_GREEN, MSG_KIND_ENDPOINTS);
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_E_REF);
	/* and the same built right encodes */
	m->has_ref = true;
	assert_int_equal(msg_encode(m, s_node[P].sk, NULL, NULL, &out, &len), MSG_OK);
	free(out);

	/* decoder: valid bytes, then each rule broken in them */
	b = s_roster(P, 1, 1, two, 2);
	assert_int_equal(msg_decode(d, b.p, b.len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_int_equal(d->body.epoch, 1);
	assert_int_equal(d->body.nmembers, 2);
	{
		uint8_t *c = malloc(b.len);
		assert_non_null(c);
		/* threshold 2, one coordinator */
		memcpy(c, b.p, b.len);
		s_patch(c, b.len, "\xa9threshold\x01", "\xa9threshold\x02", 11);
		assert_int_equal(msg_decode(d, c, b.len, 0), MSG_E_COUNT);
		/* the two ids swapped */
		memcpy(c, b.p, b.len);
		{
			uint8_t *x = memmem(c, b.len, s_node[P].pk, 32);
			uint8_t *y = memmem(c, b.len, s_node[Q].pk, 32);
			uint8_t *m1, *m2;
			assert_non_null(x);
			assert_non_null(y);
			/* the origin is P too: the member ids are the last ones */
			m1 = memmem(x + 32, b.len - (size_t)(x + 32 - c), s_node[P].pk, 32);
			m2 = y;
			assert_non_null(m1);
			memcpy(m1, s_node[Q].pk, 32);
			memcpy(m2, s_node[P].pk, 32);
		}
		assert_int_equal(msg_decode(d, c, b.len, 0), MSG_E_NONCANONICAL);
		/* a name twice */
		memcpy(c, b.p, b.len);
		s_patch(c, b.len, "soc-b", "soc-a", 5);
		assert_int_equal(msg_decode(d, c, b.len, 0), MSG_E_TOKEN);
		/* green */
		memcpy(c, b.p, b.len);
		s_patch(c, b.len, "\xa3tlp\xa5\x63lear", "\xa3tlp\xa5green", 9);
		assert_int_equal(msg_decode(d, c, b.len, 0), MSG_E_TLP);
		free(c);
	}

	/* an approve without its ref */
	a = s_approve(Q, b.id);
	assert_int_equal(msg_decode(d, a.p, a.len, 0), MSG_OK);
	{
		uint8_t *c = malloc(a.len), *at;
		size_t n;
		assert_non_null(c);
		memcpy(c, a.p, a.len);
		assert_int_equal(c[1], 0x88); /* a map of 8: v ... ref body */
		at = memmem(c, a.len, "\xa3ref\xc4\x20", 6);
		assert_non_null(at);
		n = a.len - (size_t)(at + 38 - c);
		memmove(at, at + 38, n);
		c[1] = 0x87;
		assert_int_equal(msg_decode(d, c, a.len - 38, 0), MSG_E_REF);
		free(c);
	}

	/* endpoints, clear */
	e = s_endpoints(P, b.id, who, ep, 1);
	assert_int_equal(msg_decode(d, e.p, e.len, 0), MSG_OK);
	assert_int_equal(d->body.nmembers, 1);
	{
		uint8_t *c = malloc(e.len);
		assert_non_null(c);
		memcpy(c, e.p, e.len);
		s_patch(c, e.len, "\xa3tlp\xa5green", "\xa3tlp\xa5\x63lear", 9);
		assert_int_equal(msg_decode(d, c, e.len, 0), MSG_E_TLP);
		free(c);
	}
	s_free(&b), s_free(&a), s_free(&e);
	msg_destroy(&m);
	msg_destroy(&d);
}

static int
setup_dir(void **state)
{
	(void)state;
	return tu_mkdtemp(s_dir, "roster");
}

static int
teardown_dir(void **state)
{
	(void)state;
	return tu_rmrf(s_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_self_anchor),
		cmocka_unit_test(test_first_local_coordinator),
		cmocka_unit_test(test_first_threshold),
		cmocka_unit_test(test_next_epoch),
		cmocka_unit_test(test_next_epoch_repeated_approver),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_same_epoch_lower_id),
		cmocka_unit_test(test_epochs_in_order),
		cmocka_unit_test(test_epochs_lowest_first),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_export_join),
		cmocka_unit_test(test_msg_rules),
	};

	if (sodium_init() < 0)
		return 1;
	log_init("test_roster", 0, LOG_LEVEL_ERROR);
	for (int i = 0; i < NNODES; i++) {
		uint8_t seed[32];
		memset(seed, 0x51 + i, sizeof seed);
		crypto_sign_seed_keypair(s_node[i].pk, s_node[i].sk, seed);
	}
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
