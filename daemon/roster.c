#include "roster.h"

#include <errno.h>
#include <inttypes.h>
#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mp.h"
#include "util.h"

/* A governing message the state holds, with what the rules look at. */
struct held {
	uint8_t *bytes;
	size_t len;
	uint8_t id[MSG_ID_LEN], origin[MSG_KEY_LEN], ref[MSG_ID_LEN];
	enum msg_kind kind;
	uint64_t epoch; /* a roster's */
	uint64_t seq, arrival;
	uint64_t time;           /* a rotation's */
	uint8_t to[MSG_KEY_LEN]; /* a rotation's new key */
};

struct roster {
	uint8_t self[MSG_KEY_LEN];
	struct msg *m; /* scratch */
	struct held *held;
	size_t nheld, capheld;
	/* The roster in force: held[cur], or none when cur == SIZE_MAX. */
	size_t cur;
	uint64_t epoch, threshold;
	char network[64];
	struct roster_entry *ents;
	size_t nents;
	uint8_t conflicts[ROSTER_MAX_CONFLICTS][MSG_ID_LEN];
	size_t nconflicts;
	uint64_t refused_old, refused_conflict;
	/* Signers of the roster in force, filled by s_signers(). */
	uint8_t (*signers)[MSG_KEY_LEN];
	size_t nsigners;
	uint64_t arrivals;  /* messages held so far: the order they came in */
	char self_name[64]; /* this node's name, for its own old keys */
};

struct roster *
roster_new(const uint8_t self[MSG_KEY_LEN])
{
	struct roster *r = calloc(1, sizeof *r);

	if (r == NULL || (r->m = msg_new()) == NULL ||
	    (r->signers = calloc(MSG_MAX_MEMBERS + 1, sizeof *r->signers)) == NULL) {
		if (r != NULL)
			msg_destroy(&r->m);
		free(r);
		return NULL;
	}
	memcpy(r->self, self, MSG_KEY_LEN);
	r->cur = SIZE_MAX;
	snprintf(r->self_name, sizeof r->self_name, "self");
	return r;
}

void
roster_set_self(struct roster *r, const uint8_t self[MSG_KEY_LEN], const char *name)
{
	memcpy(r->self, self, MSG_KEY_LEN);
	snprintf(r->self_name, sizeof r->self_name, "%s", name);
}

static void
s_clear(struct roster *r)
{
	for (size_t i = 0; i < r->nheld; i++)
		free(r->held[i].bytes);
	r->nheld = 0;
	r->cur = SIZE_MAX;
	r->epoch = r->threshold = 0;
	r->network[0] = '\0';
	r->nents = r->nsigners = r->nconflicts = 0;
}

void
roster_destroy(struct roster **rp)
{
	struct roster *r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	*rp = NULL;
	s_clear(r);
	free(r->held);
	free(r->ents);
	free(r->signers);
	msg_destroy(&r->m);
	free(r);
}

static bool
s_same(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static size_t
s_find(const struct roster *r, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < r->nheld; i++)
		if (s_same(r->held[i].id, id, MSG_ID_LEN))
			return i;
	return SIZE_MAX;
}

static void
s_drop(struct roster *r, size_t i)
{
	free(r->held[i].bytes);
	r->held[i] = r->held[--r->nheld];
	if (r->cur == r->nheld)
		r->cur = i;
}

static bool
s_is_roster(const struct held *h)
{
	return h->kind == MSG_KIND_ROSTER && h->epoch > 0;
}

/* Kinds that refer to a roster. */
static bool
s_refers(enum msg_kind k)
{
	return k == MSG_KIND_APPROVE || k == MSG_KIND_ENDPOINTS;
}

/*
 * What a coordinator's key can make a node hold is bounded (each bound is
 * a message not held, and logged): ROSTER_PER_PROPOSER pending rosters of
 * one origin; one approval of a roster by one origin; one endpoints
 * message of a roster by one origin, its highest seq; ROSTER_MAX_ORPHANS
 * approvals and endpoints of rosters not here (the oldest go first).
 * True when the message in r->m is to be held; a held one it replaces is
 * dropped.
 */
static bool
s_room(struct roster *r)
{
	const struct msg *m = r->m;
	size_t mine = 0, orphans = 0, oldest = SIZE_MAX;

	for (size_t i = 0; i < r->nheld; i++) {
		struct held *h = &r->held[i];
		if ((m->kind == MSG_KIND_ROSTER || m->kind == MSG_KIND_ROTATE) &&
		    h->kind == m->kind && i != r->cur && s_same(h->origin, m->origin, MSG_KEY_LEN))
			mine++;
		if (s_refers(m->kind) && h->kind == m->kind &&
		    s_same(h->origin, m->origin, MSG_KEY_LEN) &&
		    s_same(h->ref, m->ref, MSG_ID_LEN)) {
			if (m->kind == MSG_KIND_APPROVE || h->seq >= m->seq)
				return false;
			free(h->bytes); /* endpoints of a later seq replace these */
			r->held[i] = r->held[--r->nheld];
			if (r->cur == r->nheld)
				r->cur = i;
			return true;
		}
		if (s_refers(h->kind) && s_find(r, h->ref) == SIZE_MAX) {
			orphans++;
			if (oldest == SIZE_MAX || h->arrival < r->held[oldest].arrival)
				oldest = i;
		}
	}
	if (mine >= ROSTER_PER_PROPOSER) {
		log_warnx("roster: an origin has %zu %s messages here already; its next is not "
		          "held",
		    mine, msg_kind_name(m->kind));
		return false;
	}
	if (s_refers(m->kind) && s_find(r, m->ref) == SIZE_MAX && orphans >= ROSTER_MAX_ORPHANS) {
		free(r->held[oldest].bytes);
		r->held[oldest] = r->held[--r->nheld];
		if (r->cur == r->nheld)
			r->cur = oldest;
	}
	if (r->nheld >= ROSTER_MAX_MSGS) {
		log_warnx("roster: %d messages held already; one more is not", ROSTER_MAX_MSGS);
		return false;
	}
	return true;
}

/* Decode bytes into r->m and hold a copy.  0 held (or already held, or
 * not to be held), -1 when they do not decode or memory is short. */
static int
s_hold(struct roster *r, const uint8_t *bytes, size_t len)
{
	struct held *h;

	if (msg_decode(r->m, bytes, len, 0) != MSG_OK || !msg_kind_kept(r->m->kind))
		return -1;
	/* Held already, or the legacy form of a roster (never applied). */
	if (s_find(r, r->m->id) != SIZE_MAX ||
	    (r->m->kind == MSG_KIND_ROSTER && r->m->body.epoch == 0) || !s_room(r))
		return 0;
	if (r->nheld == r->capheld) {
		size_t cap = r->capheld ? 2 * r->capheld : 16;
		struct held *v = realloc(r->held, cap * sizeof *v);
		if (v == NULL)
			return -1;
		r->held = v, r->capheld = cap;
	}
	h = &r->held[r->nheld];
	memset(h, 0, sizeof *h);
	if ((h->bytes = malloc(len)) == NULL)
		return -1;
	memcpy(h->bytes, bytes, len);
	h->len = len;
	memcpy(h->id, r->m->id, MSG_ID_LEN);
	memcpy(h->origin, r->m->origin, MSG_KEY_LEN);
	if (r->m->has_ref)
		memcpy(h->ref, r->m->ref, MSG_ID_LEN);
	h->kind = r->m->kind;
	h->epoch = r->m->kind == MSG_KIND_ROSTER ? r->m->body.epoch : 0;
	h->seq = r->m->seq;
	h->arrival = r->arrivals++;
	h->time = r->m->time;
	if (h->kind == MSG_KIND_ROTATE)
		memcpy(h->to, r->m->body.peer, MSG_KEY_LEN);
	r->nheld++;
	return 0;
}

/* Distinct signers of held[x]: its origin, and the origins of the
 * approvals that refer to it, into out (MSG_MAX_MEMBERS + 1 at most). */
static size_t
s_signers_of(const struct roster *r, size_t x, uint8_t (*out)[MSG_KEY_LEN], size_t max)
{
	size_t n = 0;

	memcpy(out[n++], r->held[x].origin, MSG_KEY_LEN);
	for (size_t i = 0; i < r->nheld && n < max; i++) {
		const struct held *a = &r->held[i];
		bool seen = false;
		if (a->kind != MSG_KIND_APPROVE || !s_same(a->ref, r->held[x].id, MSG_ID_LEN))
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = s_same(out[j], a->origin, MSG_KEY_LEN);
		if (!seen)
			memcpy(out[n++], a->origin, MSG_KEY_LEN);
	}
	return n;
}

/* An anchor: self, or a local entry marked coordinator. */
static bool
s_anchor(const struct roster *r, const struct trust *local, const uint8_t id[MSG_KEY_LEN])
{
	const struct trust_peer *p;

	if (s_same(id, r->self, MSG_KEY_LEN))
		return true;
	return (p = trust_find_id(local, id)) != NULL && p->coordinator &&
	    p->level != MSG_LEVEL_BLOCKED;
}

/* Does held[x] have the signatures it needs to take effect? */
static bool
s_qualifies(struct roster *r, size_t x, const struct trust *local)
{
	uint8_t signers[MSG_MAX_MEMBERS + 1][MSG_KEY_LEN];
	size_t n = s_signers_of(r, x, signers, MSG_MAX_MEMBERS + 1), good = 0, need;

	if (r->cur == SIZE_MAX) {
		if (msg_decode(r->m, r->held[x].bytes, r->held[x].len, 0) != MSG_OK)
			return false;
		need = r->m->body.threshold > 1 ? r->m->body.threshold : 1;
		for (size_t i = 0; i < n; i++)
			good += s_anchor(r, local, signers[i]);
		return good >= need;
	}
	for (size_t i = 0; i < n; i++) {
		const struct roster_entry *e = roster_find(r, signers[i]);
		good += e != NULL && e->coordinator && e->level != MSG_LEVEL_BLOCKED;
	}
	return good >= r->threshold;
}

/* A digest of the endpoints in force (has one changed?). */
static uint64_t
s_endpoints_hash(const struct roster *r)
{
	crypto_generichash_state st;
	uint8_t h[8];
	uint64_t v;

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	for (size_t i = 0; i < r->nents; i++)
		crypto_generichash_update(&st, (const uint8_t *)r->ents[i].endpoint,
		    strlen(r->ents[i].endpoint) + 1);
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(&v, h, sizeof v);
	return v;
}

/* The endpoints of the roster in force: from its proposer's endpoints
 * message (one at most: s_room()), each checked as a trust list's would
 * be.  1 when one of them changed. */
static int
s_endpoints(struct roster *r)
{
	const struct held *x = &r->held[r->cur];
	uint64_t before = s_endpoints_hash(r);

	for (size_t i = 0; i < r->nents; i++)
		r->ents[i].endpoint[0] = '\0';
	for (size_t i = 0; i < r->nheld; i++) {
		const struct held *h = &r->held[i];
		if (h->kind != MSG_KIND_ENDPOINTS || !s_same(h->ref, x->id, MSG_ID_LEN) ||
		    !s_same(h->origin, x->origin, MSG_KEY_LEN) ||
		    msg_decode(r->m, h->bytes, h->len, 0) != MSG_OK)
			continue;
		for (size_t j = 0; j < r->m->body.nmembers; j++) {
			const struct msg_member *e = &r->m->body.members[j];
			struct roster_entry *t;
			char ep[MSG_MAX_ENDPOINT + 1];
			snprintf(ep, sizeof ep, "%.*s", (int)e->endpoint.n, e->endpoint.p);
			if ((t = (struct roster_entry *)roster_find(r, e->id)) != NULL &&
			    config_valid_endpoint(ep, false))
				memcpy(t->endpoint, ep, sizeof ep);
		}
		break;
	}
	return s_endpoints_hash(r) != before;
}

static void
s_fill_signers(struct roster *r)
{
	r->nsigners = r->cur == SIZE_MAX ? 0
	                                 : s_signers_of(r, r->cur, r->signers, MSG_MAX_MEMBERS + 1);
}

static void
s_conflict(struct roster *r, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < r->nconflicts; i++)
		if (s_same(r->conflicts[i], id, MSG_ID_LEN))
			return;
	if (r->nconflicts < ROSTER_MAX_CONFLICTS)
		memcpy(r->conflicts[r->nconflicts++], id, MSG_ID_LEN);
}

/* Put held[x] in force.  -1 when out of memory (nothing changed). */
static int
s_apply(struct roster *r, size_t x)
{
	const struct msg_body *b;
	struct roster_entry *ents;

	if (msg_decode(r->m, r->held[x].bytes, r->held[x].len, 0) != MSG_OK)
		return -1;
	b = &r->m->body;
	if ((ents = calloc(b->nmembers, sizeof *ents)) == NULL)
		return -1;
	for (size_t i = 0; i < b->nmembers; i++) {
		memcpy(ents[i].id, b->members[i].id, MSG_KEY_LEN);
		snprintf(ents[i].name, sizeof ents[i].name, "%.*s", (int)b->members[i].name.n,
		    b->members[i].name.p);
		ents[i].level = b->members[i].level;
		ents[i].coordinator = b->members[i].coordinator;
	}
	free(r->ents);
	r->ents = ents;
	r->nents = b->nmembers;
	r->epoch = b->epoch;
	r->threshold = b->threshold;
	snprintf(r->network, sizeof r->network, "%.*s", (int)b->network.n, b->network.p);
	r->cur = x;
	/* Rosters of this epoch or older go, and what refers to them: first
	 * what refers to them, while they are still here to be found. */
	for (size_t i = r->nheld; i-- > 0;) {
		const struct held *h = &r->held[i];
		size_t t;
		if (s_refers(h->kind) && (t = s_find(r, h->ref)) != SIZE_MAX && t != r->cur &&
		    r->held[t].epoch <= r->epoch)
			s_drop(r, i);
	}
	for (size_t i = r->nheld; i-- > 0;) {
		const struct held *h = &r->held[i];
		if (!s_is_roster(h) || h->epoch > r->epoch || i == r->cur)
			continue;
		if (h->epoch == r->epoch)
			s_conflict(r, h->id); /* lost to a lower id */
		s_drop(r, i);
	}
	s_endpoints(r);
	s_fill_signers(r);
	return 0;
}

/* Put in force every pending roster that has what it needs, lowest epoch
 * first and, within an epoch, lowest id.  1 when one took effect. */
static int
s_evaluate(struct roster *r, const struct trust *local)
{
	int changed = 0;

	for (;;) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < r->nheld; i++) {
			const struct held *h = &r->held[i];
			if (!s_is_roster(h) || h->epoch <= r->epoch || !s_qualifies(r, i, local))
				continue;
			if (best == SIZE_MAX || h->epoch < r->held[best].epoch ||
			    (h->epoch == r->held[best].epoch &&
			        memcmp(h->id, r->held[best].id, MSG_ID_LEN) < 0))
				best = i;
		}
		if (best == SIZE_MAX)
			return changed;
		if (s_apply(r, best) == -1)
			return -1;
		log_info("roster: epoch %" PRIu64 " of %s in force (%zu members, %zu signers)",
		    r->epoch, r->network, r->nents, r->nsigners);
		changed = 1;
	}
}

enum policy_reason
roster_judge(struct roster *r, const struct msg *m)
{
	char hex[2 * MSG_ID_LEN + 1];

	if (m->kind != MSG_KIND_ROSTER || m->body.epoch == 0 || r->cur == SIZE_MAX ||
	    !m->has_body || m->body.epoch > r->epoch)
		return POLICY_OK;
	hex_encode(hex, m->id, MSG_ID_LEN);
	if (m->body.epoch < r->epoch) {
		r->refused_old++;
		log_info("roster: %s refused: epoch %" PRIu64 " is below %" PRIu64
		         " in force (a replay?)",
		    hex, m->body.epoch, r->epoch);
		return POLICY_ROSTER_OLD;
	}
	if (s_same(m->id, r->held[r->cur].id, MSG_ID_LEN))
		return POLICY_OK;
	r->refused_conflict++;
	s_conflict(r, m->id);
	log_warnx("roster: conflict: %s is another roster of epoch %" PRIu64
	          " (the one in force stays)",
	    hex, r->epoch);
	return POLICY_ROSTER_CONFLICT;
}

int
roster_offer(struct roster *r, const uint8_t *bytes, size_t len, const struct trust *local)
{
	uint64_t arrivals = r->arrivals;
	enum msg_kind kind;
	int changed;

	if (s_hold(r, bytes, len) == -1)
		return -1;
	if (r->arrivals == arrivals)
		return 0;
	kind = r->m->kind;
	if ((changed = s_evaluate(r, local)) != 0)
		return changed;
	if (kind == MSG_KIND_ROTATE) /* a key more, or two suspended */
		return 1;
	if (r->cur == SIZE_MAX)
		return 0;
	/* An approval of the roster in force adds a signer; its endpoints
	 * may come after it. */
	s_fill_signers(r);
	return kind == MSG_KIND_ENDPOINTS ? s_endpoints(r) : 0;
}

int
roster_retry(struct roster *r, const struct trust *local)
{
	return s_evaluate(r, local);
}

/* ---- accessors ---------------------------------------------------------- */

uint64_t
roster_epoch(const struct roster *r)
{
	return r->epoch;
}

uint64_t
roster_threshold(const struct roster *r)
{
	return r->threshold;
}

const char *
roster_network(const struct roster *r)
{
	return r->network;
}

const uint8_t *
roster_id(const struct roster *r)
{
	return r->cur == SIZE_MAX ? NULL : r->held[r->cur].id;
}

size_t
roster_count(const struct roster *r)
{
	return r->nents;
}

const struct roster_entry *
roster_at(const struct roster *r, size_t i)
{
	return i < r->nents ? &r->ents[i] : NULL;
}

const struct roster_entry *
roster_find(const struct roster *r, const uint8_t id[MSG_KEY_LEN])
{
	size_t lo = 0, hi = r->nents;

	while (lo < hi) { /* entries ascend by id, as in the message */
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->ents[mid].id, id, MSG_KEY_LEN);
		if (c == 0)
			return &r->ents[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
roster_nsigners(const struct roster *r)
{
	return r->nsigners;
}

const uint8_t *
roster_signer(const struct roster *r, size_t i)
{
	return i < r->nsigners ? r->signers[i] : NULL;
}

size_t
roster_npending(const struct roster *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nheld; i++)
		n += s_is_roster(&r->held[i]) && i != r->cur;
	return n;
}

void
roster_pending_at(const struct roster *r, size_t i, struct roster_pending *out)
{
	uint8_t signers[MSG_MAX_MEMBERS + 1][MSG_KEY_LEN];

	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < r->nheld; k++) {
		const struct held *h = &r->held[k];
		if (!s_is_roster(h) || k == r->cur || i-- > 0)
			continue;
		memcpy(out->id, h->id, MSG_ID_LEN);
		memcpy(out->proposer, h->origin, MSG_KEY_LEN);
		out->epoch = h->epoch;
		out->approvals = s_signers_of(r, k, signers, MSG_MAX_MEMBERS + 1) - 1;
		return;
	}
}

size_t
roster_conflicts(const struct roster *r, uint8_t (*out)[MSG_ID_LEN], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nconflicts && n < max; i++)
		memcpy(out[n++], r->conflicts[i], MSG_ID_LEN);
	for (size_t i = 0; i < r->nheld && n < max; i++) {
		const struct held *h = &r->held[i];
		if (!s_is_roster(h) || i == r->cur)
			continue;
		for (size_t j = 0; j < r->nheld; j++)
			if (j != i && s_is_roster(&r->held[j]) && r->held[j].epoch == h->epoch) {
				memcpy(out[n++], h->id, MSG_ID_LEN);
				break;
			}
	}
	return n;
}

uint64_t
roster_refused_old(const struct roster *r)
{
	return r->refused_old;
}

uint64_t
roster_refused_conflict(const struct roster *r)
{
	return r->refused_conflict;
}

/* ---- files -------------------------------------------------------------- */

static int
s_buf_write(void *data, const char *b, size_t n)
{
	msgpack_sbuffer *sb = data;
	return msgpack_sbuffer_write(sb, b, n);
}

static int
s_cmp_id(const void *a, const void *b)
{
	return memcmp((*(const struct held *const *)a)->id, (*(const struct held *const *)b)->id,
	    MSG_ID_LEN);
}

/* The export file: the roster in force, its approvals by id, its
 * proposer's endpoints. */
int
roster_export(const struct roster *r, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	const struct held *x, **v;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n = 0;

	*out = NULL;
	if (r->cur == SIZE_MAX)
		return errf(err, errlen, "no roster is in force here");
	x = &r->held[r->cur];
	if ((v = calloc(r->nheld, sizeof *v)) == NULL)
		return errf(err, errlen, "out of memory");
	for (size_t i = 0; i < r->nheld; i++)
		if (r->held[i].kind == MSG_KIND_APPROVE &&
		    s_same(r->held[i].ref, x->id, MSG_ID_LEN))
			v[n++] = &r->held[i];
	qsort(v, n, sizeof *v, s_cmp_id);
	for (size_t i = 0; i < r->nheld; i++)
		if (r->held[i].kind == MSG_KIND_ENDPOINTS &&
		    s_same(r->held[i].ref, x->id, MSG_ID_LEN) &&
		    s_same(r->held[i].origin, x->origin, MSG_KEY_LEN)) {
			v[n++] = &r->held[i];
			break;
		}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, s_buf_write);
	msgpack_pack_array(&pk, n + 1);
	msgpack_pack_bin(&pk, x->len);
	msgpack_pack_bin_body(&pk, x->bytes, x->len);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_bin(&pk, v[i]->len);
		msgpack_pack_bin_body(&pk, v[i]->bytes, v[i]->len);
	}
	free(v);
	if (sb.data == NULL) {
		msgpack_sbuffer_destroy(&sb);
		return errf(err, errlen, "out of memory");
	}
	*out = (uint8_t *)sb.data;
	*len = sb.size;
	return 0;
}

int
roster_save(const struct roster *r, const char *path, char *err, size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, s_buf_write);
	msgpack_pack_array(&pk, r->nheld + 1);
	msgpack_pack_bin(&pk, r->cur == SIZE_MAX ? 0 : MSG_ID_LEN);
	if (r->cur != SIZE_MAX)
		msgpack_pack_bin_body(&pk, r->held[r->cur].id, MSG_ID_LEN);
	for (size_t i = 0; i < r->nheld; i++) {
		msgpack_pack_bin(&pk, r->held[i].len);
		msgpack_pack_bin_body(&pk, r->held[i].bytes, r->held[i].len);
	}
	if (sb.data == NULL)
		rc = errf(err, errlen, "%s: out of memory", path);
	else if (file_write_atomic(path, sb.data, sb.size, 0640) == -1)
		rc = errf(err, errlen, "%s: %s", path, strerror(errno));
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* The messages of a file (an array of bin), each decoded and verified,
 * held in r.  *first: the first element.  -1 with err. */
static int
s_read(struct roster *r, const uint8_t *buf, size_t len, const char *name, const uint8_t **first,
    size_t *firstlen, char *err, size_t errlen)
{
	struct mp_reader rd = { buf, buf + len };
	size_t n;

	if (mp_read_array(&rd, &n) != MSG_OK || n == 0 || n > ROSTER_MAX_MSGS + 2 ||
	    mp_read_bin(&rd, first, firstlen) != MSG_OK)
		return errf(err, errlen, "%s: not a roster file", name);
	for (size_t i = 1; i < n; i++) {
		const uint8_t *b;
		size_t bl;
		if (mp_read_bin(&rd, &b, &bl) != MSG_OK)
			return errf(err, errlen, "%s: not a roster file", name);
		if (msg_decode(r->m, b, bl, 0) != MSG_OK || msg_verify(r->m) != MSG_OK ||
		    s_hold(r, b, bl) == -1)
			return errf(err, errlen, "%s: message %zu is not a valid governing message",
			    name, i + 1);
	}
	if (rd.p != rd.end)
		return errf(err, errlen, "%s: not a roster file", name);
	return 0;
}

int
roster_load(struct roster *r, const char *path, const struct trust *local, char *err, size_t errlen)
{
	char *buf;
	const uint8_t *cur;
	size_t len, curlen, x;

	s_clear(r);
	if (file_read_all(path, ROSTER_MAX_FILE, &buf, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (s_read(r, (const uint8_t *)buf, len, path, &cur, &curlen, err, errlen) == -1)
		goto fail;
	if (curlen != 0 && curlen != MSG_ID_LEN) {
		errf(err, errlen, "%s: not a roster file", path);
		goto fail;
	}
	if (curlen == MSG_ID_LEN) {
		if ((x = s_find(r, cur)) == SIZE_MAX || !s_is_roster(&r->held[x])) {
			errf(err, errlen, "%s: the roster in force is missing", path);
			goto fail;
		}
		if (s_apply(r, x) == -1) {
			errf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	free(buf);
	(void)s_evaluate(r, local);
	return 0;
fail:
	free(buf);
	s_clear(r);
	return -1;
}

int
roster_join(struct roster *r, const uint8_t *buf, size_t len, const uint8_t (*anchors)[32],
    size_t n, char *err, size_t errlen)
{
	struct trust *t = trust_new();
	const uint8_t *first;
	uint8_t self[MSG_KEY_LEN], fid[MSG_ID_LEN];
	size_t firstlen;
	bool ok;
	int rc = -1;

	s_clear(r);
	if (t == NULL)
		return errf(err, errlen, "out of memory");
	/* The anchors as a trust list of coordinators, for s_qualifies(). */
	for (size_t i = 0; i < n; i++) {
		struct trust_peer p = { .level = MSG_LEVEL_MEMBER, .coordinator = true };
		memcpy(p.id, anchors[i], MSG_KEY_LEN);
		snprintf(p.name, sizeof p.name, "anchor-%zu", i);
		if (trust_add(t, &p, err, errlen) == -1)
			goto done;
	}
	/* The export file's first element is the roster itself. */
	if (s_read(r, buf, len, "roster file", &first, &firstlen, err, errlen) == -1)
		goto done;
	if (msg_decode(r->m, first, firstlen, 0) != MSG_OK || msg_verify(r->m) != MSG_OK ||
	    !s_is_roster(&(struct held){ .kind = r->m->kind, .epoch = r->m->body.epoch }) ||
	    s_hold(r, first, firstlen) == -1) {
		errf(err, errlen, "roster file: its first message is not a valid roster");
		goto done;
	}
	memcpy(fid, r->m->id, MSG_ID_LEN);
	/* Self is no anchor here: the file must stand on the ids given. */
	memcpy(self, r->self, MSG_KEY_LEN);
	memset(r->self, 0, MSG_KEY_LEN);
	/* The file's own roster, not another it happens to hold. */
	ok = s_evaluate(r, t) == 1 && r->cur != SIZE_MAX &&
	    s_same(r->held[r->cur].id, fid, MSG_ID_LEN);
	memcpy(r->self, self, MSG_KEY_LEN);
	s_fill_signers(r);
	if (!ok) {
		errf(err, errlen,
		    "roster file: the roster is not signed by enough of the coordinators given "
		    "(--coordinator)");
		goto done;
	}
	rc = 0;
done:
	trust_destroy(&t);
	if (rc == -1)
		s_clear(r);
	return rc;
}

/* ---- rotations ---------------------------------------------------------- */

/* Is the rotation held[i] in conflict: another of the same old key to
 * another new one, and the roster in force lists neither (a roster that
 * lists one decides for it)? */
static bool
s_rot_conflict(const struct roster *r, size_t i)
{
	if (roster_find(r, r->held[i].to) != NULL)
		return false;
	for (size_t k = 0; k < r->nheld; k++)
		if (k != i && r->held[k].kind == MSG_KIND_ROTATE &&
		    s_same(r->held[k].origin, r->held[i].origin, MSG_KEY_LEN) &&
		    !s_same(r->held[k].to, r->held[i].to, MSG_KEY_LEN))
			return true;
	return false;
}

size_t
roster_rotations(const struct roster *r, struct roster_rotation *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nheld && n < max; i++) {
		const struct held *h = &r->held[i];
		if (h->kind != MSG_KIND_ROTATE)
			continue;
		memcpy(out[n].id, h->id, MSG_ID_LEN);
		memcpy(out[n].from, h->origin, MSG_KEY_LEN);
		memcpy(out[n].to, h->to, MSG_KEY_LEN);
		out[n].time = h->time;
		out[n++].conflict = s_rot_conflict(r, i);
	}
	return n;
}

bool
roster_same_soc(const struct roster *r, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN])
{
	uint8_t seen[9][MSG_KEY_LEN];
	size_t n = 1;

	memcpy(seen[0], a, MSG_KEY_LEN);
	/* Keys linked to a, a rotation at a time, until b is among them. */
	for (size_t at = 0; at < n; at++) {
		if (s_same(seen[at], b, MSG_KEY_LEN))
			return true;
		for (size_t i = 0; i < r->nheld && n < 9; i++) {
			const struct held *h = &r->held[i];
			const uint8_t *other = NULL;
			bool known = false;
			if (h->kind != MSG_KIND_ROTATE || s_rot_conflict(r, i))
				continue;
			if (s_same(h->origin, seen[at], MSG_KEY_LEN))
				other = h->to;
			else if (s_same(h->to, seen[at], MSG_KEY_LEN))
				other = h->origin;
			for (size_t k = 0; other != NULL && k < n && !known; k++)
				known = s_same(seen[k], other, MSG_KEY_LEN);
			if (other != NULL && !known)
				memcpy(seen[n++], other, MSG_KEY_LEN);
		}
	}
	return false;
}

bool
roster_retired(const struct roster *r, const uint8_t id[MSG_KEY_LEN], uint64_t time)
{
	for (size_t i = 0; i < r->nheld; i++) {
		const struct held *h = &r->held[i];
		if (h->kind == MSG_KIND_ROTATE && s_same(h->origin, id, MSG_KEY_LEN) &&
		    time > h->time + ROSTER_OVERLAP_MS && !s_rot_conflict(r, i))
			return true;
	}
	return false;
}

/* One key of a rotation into t, as the SOC the other key is there:
 * same level, no coordinator flag, named after it with suffix.  1 when
 * added. */
static int
s_alias(struct trust *t, const uint8_t key[MSG_KEY_LEN], const char *name, const char *suffix,
    const struct trust_peer *like)
{
	struct trust_peer p = { .level = like != NULL ? like->level : MSG_LEVEL_MEMBER,
		.rotated = true };
	char err[256];

	memcpy(p.id, key, MSG_KEY_LEN);
	snprintf(p.name, sizeof p.name, "%.*s%s", (int)(sizeof p.name - 1 - strlen(suffix)), name,
	    suffix);
	/* The new key listens where the old did; the old listens nowhere. */
	if (like != NULL && strcmp(suffix, ".new") == 0)
		memcpy(p.endpoint, like->endpoint, sizeof p.endpoint);
	if (trust_find_name(t, p.name) != NULL || trust_add(t, &p, err, sizeof err) == -1)
		return 0;
	return 1;
}

/* The keys rotations link, each as the SOC of the other (PROTOCOL.md
 * section 14.10): an old key whose new one is in t (or is self) stays
 * that SOC's for its history; a new key whose old one is in t is that
 * SOC's, provisionally, until a roster lists it.  Rotations in conflict
 * link nothing.  Chains are followed. */
static void
s_aliases(const struct roster *r, struct trust *t)
{
	bool more = true;

	for (int pass = 0; more && pass < 8; pass++) {
		more = false;
		for (size_t i = 0; i < r->nheld; i++) {
			const struct held *h = &r->held[i];
			const struct trust_peer *po, *pn;
			if (h->kind != MSG_KIND_ROTATE || s_rot_conflict(r, i))
				continue;
			po = trust_find_id(t, h->origin);
			pn = trust_find_id(t, h->to);
			if (po == NULL && !s_same(h->origin, r->self, MSG_KEY_LEN)) {
				if (s_same(h->to, r->self, MSG_KEY_LEN))
					more |= s_alias(t, h->origin, r->self_name, ".old", NULL) ==
					    1;
				else if (pn != NULL)
					more |= s_alias(t, h->origin, pn->name, ".old", pn) == 1;
			} else if (po != NULL && pn == NULL &&
			    !s_same(h->to, r->self, MSG_KEY_LEN) && po->level != MSG_LEVEL_BLOCKED)
				more |= s_alias(t, h->to, po->name, ".new", po) == 1;
		}
	}
}

/* ---- the trust list in force ------------------------------------------ */

struct trust *
roster_merge(const struct roster *r, const struct trust *local, char *err, size_t errlen)
{
	struct trust *t = trust_new();

	if (t == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < trust_count(local); i++)
		if (trust_add(t, trust_at(local, i), err, errlen) == -1)
			goto fail;
	for (size_t i = 0; i < r->nents; i++) {
		const struct roster_entry *e = &r->ents[i];
		struct trust_peer p = { .level = e->level,
			.coordinator = e->coordinator,
			.roster = r->epoch };
		/* Self, and self's keys rotated away (their aliases follow). */
		if (roster_same_soc(r, e->id, r->self) || trust_find_id(local, e->id) != NULL)
			continue;
		memcpy(p.id, e->id, MSG_KEY_LEN);
		snprintf(p.name, sizeof p.name, "%s", e->name);
		if (trust_find_name(t, p.name) != NULL)
			snprintf(p.name, sizeof p.name, "%.56s.roster", e->name);
		snprintf(p.endpoint, sizeof p.endpoint, "%s", e->endpoint);
		if (trust_add(t, &p, err, errlen) == -1)
			log_warnx("roster: entry %s left out: %s", e->name, err);
	}
	s_aliases(r, t);
	return t;
fail:
	trust_destroy(&t);
	return NULL;
}
