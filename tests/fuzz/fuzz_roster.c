/* Fuzz target: the roster (daemon/roster.c) and the governing kinds of the
 * codec.  An input whose first byte is 0x80 or above (as every msgpack
 * array and message) is read two ways:
 *
 *  1. an export file: roster_join with two fixed anchors (every message
 *     verified, so only inputs built from valid messages get far); when it
 *     joins, the joined roster exported and joined again must give the
 *     same roster;
 *  2. a state or export file's body, an array of bin: each element decoded
 *     (msg_decode) and, when it is a governing message, judged
 *     (roster_judge) and offered (roster_offer, which does not check
 *     signatures: its caller did) as the daemon does, so that mutated
 *     contents reach the rules; a lone message is the array of one.
 *
 * An input whose first byte is below 0x80 is a script (slower: it signs):
 * each operation builds and signs a roster, an approval or an endpoints
 * message from one of four fixed keys, or offers an old one again, changes
 * the local list, exports and joins, merges; so the signed paths run from
 * any input.
 *
 * After every offer the state must hold together (checked below; abort()
 * when not).  roster_load reads a path and is left to the unit tests: no
 * file is written per input. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mp.h"
#include "msg.h"
#include "policy.h"
#include "roster.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 4
#define NMSGS 16 /* messages a script keeps for re-offering and refs */
#define NOPS  24 /* operations of a script, at most */

static struct {
	uint8_t pk[32], sk[64];
} s_key[NKEYS];
static const char *const s_name[NKEYS] = { "soc-a", "soc-b", "soc-c", "soc-d" };
/* local lists: none; key 1 a coordinator, key 2 a member; keys 1 and 2
 * coordinators, key 3 blocked */
static struct trust *s_local[3];
static struct msg *s_m;

static void
s_init(void)
{
	char err[256];

	if (sodium_init() < 0 || (s_m = msg_new()) == NULL)
		abort();
	log_init("fuzz_roster", 0, LOG_LEVEL_ERROR);
	for (int i = 0; i < NKEYS; i++) {
		uint8_t seed[32];
		memset(seed, 0xa0 + i, sizeof seed);
		crypto_sign_seed_keypair(s_key[i].pk, s_key[i].sk, seed);
	}
	for (int l = 0; l < 3; l++) {
		if ((s_local[l] = trust_new()) == NULL)
			abort();
		for (int i = 1; i < NKEYS && l > 0; i++) {
			struct trust_peer p = { .level = MSG_LEVEL_MEMBER };
			if (i == 3 && l == 1)
				continue;
			p.coordinator = i == 1 || (l == 2 && i == 2);
			p.level = i == 3 ? MSG_LEVEL_BLOCKED : MSG_LEVEL_MEMBER;
			memcpy(p.id, s_key[i].pk, 32);
			snprintf(p.name, sizeof p.name, "%s", s_name[i]);
			if (trust_add(s_local[l], &p, err, sizeof err) == -1)
				abort();
		}
	}
}

/* What must hold of a roster at any time. */
static void
s_check(const struct roster *r, uint64_t *epoch, bool judged)
{
	const struct roster_entry *prev = NULL;
	size_t coordinators = 0;
	uint8_t ids[ROSTER_MAX_CONFLICTS][MSG_ID_LEN];

	if (roster_epoch(r) < *epoch)
		abort(); /* went back */
	*epoch = roster_epoch(r);
	if ((roster_id(r) == NULL) != (roster_epoch(r) == 0))
		abort();
	if (roster_epoch(r) == 0 && (roster_count(r) != 0 || roster_nsigners(r) != 0))
		abort();
	for (size_t i = 0; i < roster_count(r); i++) {
		const struct roster_entry *e = roster_at(r, i);
		if (e == NULL || roster_find(r, e->id) != e)
			abort();
		if (prev != NULL && memcmp(prev->id, e->id, MSG_KEY_LEN) >= 0)
			abort();
		if (memchr(e->name, '\0', sizeof e->name) == NULL ||
		    memchr(e->endpoint, '\0', sizeof e->endpoint) == NULL)
			abort();
		coordinators += e->coordinator;
		prev = e;
	}
	if (roster_at(r, roster_count(r)) != NULL)
		abort();
	if (roster_epoch(r) > 0 &&
	    (roster_count(r) == 0 || roster_nsigners(r) == 0 || roster_threshold(r) == 0 ||
	        roster_threshold(r) > coordinators))
		abort();
	for (size_t i = 0; i < roster_nsigners(r); i++)
		if (roster_signer(r, i) == NULL)
			abort();
	if (roster_npending(r) > ROSTER_MAX_MSGS + 1)
		abort();
	for (size_t i = 0; i < roster_npending(r); i++) {
		struct roster_pending p;
		roster_pending_at(r, i, &p);
		if (p.epoch == 0 || p.approvals > MSG_MAX_MEMBERS)
			abort();
		/* judged at arrival: nothing pending at or below the epoch in
		 * force */
		if (judged && p.epoch <= roster_epoch(r))
			abort();
	}
	if (roster_conflicts(r, ids, ROSTER_MAX_CONFLICTS) > ROSTER_MAX_CONFLICTS)
		abort();
}

/* The trust list in force: every local entry as it is, self left out. */
static void
s_check_merge(const struct roster *r, const struct trust *local, const uint8_t self[32])
{
	char err[256];
	struct trust *t = roster_merge(r, local, err, sizeof err);

	if (t == NULL)
		abort();
	if (trust_count(t) < trust_count(local) ||
	    trust_count(t) > trust_count(local) + roster_count(r))
		abort();
	for (size_t i = 0; i < trust_count(local); i++) {
		const struct trust_peer *l = trust_at(local, i), *p = trust_find_id(t, l->id);
		if (p == NULL || p->roster != 0 || p->level != l->level ||
		    strcmp(p->name, l->name) != 0)
			abort();
	}
	if (trust_find_id(local, self) == NULL && trust_find_id(t, self) != NULL)
		abort();
	trust_destroy(&t);
}

/* Export what is in force and join it again with anchors: when the join
 * succeeds it must be the roster exported. */
static void
s_check_export(const struct roster *r, const uint8_t (*anchors)[32], size_t n)
{
	struct roster *j;
	uint8_t *out;
	size_t len;
	char err[256];

	if (roster_export(r, &out, &len, err, sizeof err) == -1) {
		if (roster_id(r) != NULL)
			abort(); /* only when none is in force */
		return;
	}
	if ((j = roster_new(s_key[3].pk)) == NULL)
		abort();
	if (roster_join(j, out, len, anchors, n, err, sizeof err) == 0 &&
	    (roster_id(j) == NULL || memcmp(roster_id(j), roster_id(r), MSG_ID_LEN) != 0 ||
	        roster_epoch(j) != roster_epoch(r) || roster_count(j) != roster_count(r)))
		abort();
	roster_destroy(&j);
	free(out);
}

/* Judge, then offer what is not refused, as the daemon does. */
static void
s_feed(struct roster *r, const uint8_t *b, size_t len, const struct trust *local, uint64_t *epoch)
{
	if (msg_decode(s_m, b, len, 0) != MSG_OK || !msg_kind_governs(s_m->kind))
		return;
	if (roster_judge(r, s_m) != POLICY_OK)
		return;
	if (roster_offer(r, b, len, local) == -1)
		abort(); /* it decoded: only out of memory */
	s_check(r, epoch, true);
}

/* ---- 1: an export file ---------------------------------------------------- */

static void
s_join(const uint8_t *data, size_t size)
{
	uint8_t anchors[2][32];
	struct roster *r = roster_new(s_key[3].pk);
	uint64_t epoch = 0;
	char err[256];

	if (r == NULL)
		abort();
	memcpy(anchors[0], s_key[0].pk, 32);
	memcpy(anchors[1], s_key[1].pk, 32);
	err[0] = '\0';
	if (roster_join(r, data, size, anchors, 2, err, sizeof err) == 0) {
		s_check(r, &epoch, false);
		if (epoch == 0)
			abort();
		s_check_export(r, anchors, 2);
		s_check_merge(r, s_local[2], s_key[3].pk);
	} else if (err[0] == '\0' || roster_id(r) != NULL) {
		abort();
	}
	roster_destroy(&r);
}

/* ---- 2: an array of messages, unsigned paths --------------------------------- */

static void
s_array(const uint8_t *data, size_t size)
{
	struct mp_reader rd = { data, data + size };
	struct roster *r = roster_new(s_key[0].pk);
	const struct trust *local = s_local[size % 3];
	uint64_t epoch = 0;
	size_t n;

	if (r == NULL)
		abort();
	if (mp_read_array(&rd, &n) == MSG_OK) {
		for (size_t i = 0; i < n; i++) {
			const uint8_t *b;
			size_t bl;
			if (mp_read_bin(&rd, &b, &bl) != MSG_OK)
				break;
			s_feed(r, b, bl, local, &epoch);
		}
	} else {
		s_feed(r, data, size, local, &epoch);
	}
	s_check_merge(r, local, s_key[0].pk);
	{
		uint8_t anchors[NKEYS][32];
		for (int i = 0; i < NKEYS; i++)
			memcpy(anchors[i], s_key[i].pk, 32);
		s_check_export(r, anchors, NKEYS);
	}
	roster_destroy(&r);
}

/* ---- 3: a script of signed messages ------------------------------------------ */

struct script {
	const uint8_t *p, *end;
	uint8_t *msgs[NMSGS];
	size_t lens[NMSGS];
	uint8_t ids[NMSGS][MSG_ID_LEN];
	size_t nmsgs; /* ever made; slot nmsgs % NMSGS */
	uint64_t seq;
};

static unsigned
s_byte(struct script *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static const uint8_t *
s_ref(struct script *s)
{
	static uint8_t junk[MSG_ID_LEN];

	if (s->nmsgs == 0) {
		memset(junk, (int)s_byte(s), sizeof junk);
		return junk;
	}
	size_t n = s->nmsgs < NMSGS ? s->nmsgs : NMSGS;
	return s->ids[s_byte(s) % n];
}

/* Signs m as key o and keeps the bytes; false when the encoder refuses. */
static bool
s_sign(struct script *s, struct msg *m, unsigned o, size_t *slot)
{
	uint8_t *out;
	size_t len;

	if (msg_encode(m, s_key[o].sk, NULL, NULL, &out, &len) != MSG_OK)
		return false;
	*slot = s->nmsgs++ % NMSGS;
	free(s->msgs[*slot]);
	s->msgs[*slot] = out;
	s->lens[*slot] = len;
	memcpy(s->ids[*slot], m->id, MSG_ID_LEN);
	return true;
}

static void
s_script(const uint8_t *data, size_t size)
{
	static const char *const eps[] = { "tcp://127.0.0.1:7001", "tcp://[::1]:7002",
		"tcp://nohost", "tcp://h.example:99999", "tcp://10.1.2.3:65535" };
	struct script s = { .p = data, .end = data + size };
	struct roster *r = roster_new(s_key[0].pk);
	struct msg *m = msg_new();
	const struct trust *local = s_local[1];
	uint64_t epoch = 0;

	if (r == NULL || m == NULL)
		abort();
	for (int op = 0; op < NOPS && s.p < s.end; op++) {
		unsigned code = s_byte(&s), o = s_byte(&s) % NKEYS;
		size_t slot;

		msg_clear(m);
		memcpy(m->origin, s_key[o].pk, 32);
		m->seq = ++s.seq;
		m->time = 1767225600000ULL + s.seq;
		m->tlp = MSG_TLP_CLEAR;
		switch (code % 8) {
		case 0:
		case 1: { /* a roster: members and coordinators by mask */
			unsigned e = s_byte(&s), mem = s_byte(&s), lev = s_byte(&s);
			size_t n = 0;
			uint8_t order[NKEYS];
			m->kind = MSG_KIND_ROSTER;
			m->body.network = (struct msg_str){ "fuzznet", 7 };
			m->body.epoch = e == 255 ? UINT64_MAX : 1 + e % 6;
			m->body.threshold = 1 + s_byte(&s) % 3;
			for (unsigned i = 0; i < NKEYS; i++)
				order[i] = (uint8_t)i;
			for (unsigned i = 1; i < NKEYS; i++) /* by id */
				for (unsigned j = i; j > 0 &&
				     memcmp(s_key[order[j - 1]].pk, s_key[order[j]].pk, 32) > 0;
				     j--) {
					uint8_t t = order[j];
					order[j] = order[j - 1], order[j - 1] = t;
				}
			for (unsigned i = 0; i < NKEYS; i++) {
				unsigned k = order[i];
				if (!(mem & (1u << k)))
					continue;
				struct msg_member *x = &m->body.members[n++];
				x->id = s_key[k].pk;
				x->name = (struct msg_str){ s_name[k], strlen(s_name[k]) };
				x->coordinator = (mem >> 4) & (1u << k);
				x->level = (enum msg_level)((lev >> (2 * k)) % MSG_LEVEL_COUNT);
			}
			m->body.nmembers = n;
			if (!s_sign(&s, m, o, &slot))
				continue;
			break;
		}
		case 2:
		case 3: /* an approval */
			m->kind = MSG_KIND_APPROVE;
			m->has_ref = true;
			memcpy(m->ref, s_ref(&s), MSG_ID_LEN);
			if (!s_sign(&s, m, o, &slot))
				continue;
			break;
		case 4: { /* endpoints */
			unsigned mem = s_byte(&s), which = s_byte(&s);
			uint8_t order[NKEYS];
			size_t n = 0;
			m->kind = MSG_KIND_ENDPOINTS;
			m->tlp = MSG_TLP_GREEN;
			m->has_ref = true;
			memcpy(m->ref, s_ref(&s), MSG_ID_LEN);
			for (unsigned i = 0; i < NKEYS; i++)
				order[i] = (uint8_t)i;
			for (unsigned i = 1; i < NKEYS; i++)
				for (unsigned j = i; j > 0 &&
				     memcmp(s_key[order[j - 1]].pk, s_key[order[j]].pk, 32) > 0;
				     j--) {
					uint8_t t = order[j];
					order[j] = order[j - 1], order[j - 1] = t;
				}
			for (unsigned i = 0; i < NKEYS; i++) {
				unsigned k = order[i];
				const char *ep = eps[(which + k) % 5];
				if (!(mem & (1u << k)))
					continue;
				m->body.members[n].id = s_key[k].pk;
				m->body.members[n++].endpoint = (struct msg_str){ ep, strlen(ep) };
			}
			m->body.nmembers = n;
			if (!s_sign(&s, m, o, &slot))
				continue;
			break;
		}
		case 5: /* an old message again */
			if (s.nmsgs == 0)
				continue;
			slot = s_byte(&s) % (s.nmsgs < NMSGS ? s.nmsgs : NMSGS);
			break;
		case 6: /* the local list changes (a trust reload) */
			local = s_local[o % 3];
			continue;
		default: { /* export and join, merge */
			uint8_t anchors[2][32];
			memcpy(anchors[0], s_key[o].pk, 32);
			memcpy(anchors[1], s_key[(o + 1) % NKEYS].pk, 32);
			s_check_export(r, anchors, 1 + (code >> 7));
			s_check_merge(r, local, s_key[0].pk);
			continue;
		}
		}
		s_feed(r, s.msgs[slot], s.lens[slot], local, &epoch);
	}
	s_check_merge(r, local, s_key[0].pk);
	for (size_t i = 0; i < NMSGS; i++)
		free(s.msgs[i]);
	msg_destroy(&m);
	roster_destroy(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (s_m == NULL)
		s_init();
	/* A script is slow (it signs): only inputs that cannot be a msgpack
	 * array or message, whose first byte is a positive fixint, are one. */
	if (size > 0 && data[0] < 0x80) {
		s_script(data, size);
		return 0;
	}
	s_join(data, size);
	s_array(data, size);
	return 0;
}
