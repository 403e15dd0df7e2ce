#include "eligible.h"

#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

/* A class is merged anew at most this often: between two merges, the
 * exchanges use the last (what came since is pushed as it comes; what a
 * push missed, the next exchange finds). */
#define SETTLE_EVERY_MS 1000

struct item {
	uint64_t time;
	uint8_t id[MSG_ID_LEN];
};

/* A class: its items as of the last settle, sealed and shared with the
 * exchanges that use them (never changed: a settle makes a new one), and
 * those added since, as they came. */
struct class
{
	struct recon_set *base;
	struct item *tail;
	size_t ntail, captail;
	uint64_t settled; /* when the base was made */
};

struct addressed {
	uint8_t peer[MSG_KEY_LEN];
	struct item it;
	bool keep;
};

enum { CLASS_MEMBER, CLASS_EXTERNAL, CLASS_COUNT };

struct eligible {
	uint8_t self[MSG_KEY_LEN];
	/* A scan of the store under way (eligible_restart()): the local key
	 * it has judged up to, and its scratch message. */
	bool scanning;
	uint64_t after;
	struct msg *m;
	struct class cls[CLASS_COUNT];
	/* Rosters: never too old (few; looked up when something is). */
	uint8_t (*keep)[MSG_ID_LEN];
	size_t nkeep, capkeep;
	struct addressed *a;
	size_t na, capa;
};

struct eligible *
eligible_new(const uint8_t self[MSG_KEY_LEN])
{
	struct eligible *e = calloc(1, sizeof *e);

	if (e != NULL)
		memcpy(e->self, self, MSG_KEY_LEN);
	return e;
}

static void
s_clear(struct eligible *e)
{
	for (int c = 0; c < CLASS_COUNT; c++) {
		recon_set_destroy(&e->cls[c].base);
		free(e->cls[c].tail);
	}
	free(e->keep);
	free(e->a);
	msg_destroy(&e->m);
	e->scanning = false;
	e->after = 0;
	memset(e->cls, 0, sizeof e->cls);
	e->keep = NULL;
	e->nkeep = e->capkeep = 0;
	e->a = NULL;
	e->na = e->capa = 0;
}

void
eligible_destroy(struct eligible **ep)
{
	if (ep == NULL || *ep == NULL)
		return;
	s_clear(*ep);
	free(*ep);
	*ep = NULL;
}

static int
s_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 1024;
	if ((q = realloc(*v, c * size)) == NULL)
		return -1;
	*v = q;
	*cap = c;
	return 0;
}

static bool
s_kept(const struct eligible *e, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < e->nkeep; i++)
		if (memcmp(e->keep[i], id, MSG_ID_LEN) == 0)
			return true;
	return false;
}

/* Is an item of this time and id still to be offered (not older than
 * cutoff, or a roster)? */
static bool
s_current(const struct eligible *e, uint64_t time, const uint8_t id[MSG_ID_LEN], uint64_t cutoff)
{
	return time >= cutoff || s_kept(e, id);
}

/* Adds m to the class or the peers it may go to. */
static int
s_judge(struct eligible *e, const struct msg *m, const struct trust *t)
{
	struct policy_msg pm = policy_msg_of(m);
	const struct trust_peer *origin = trust_find_id(t, m->origin);
	struct item it = { .time = m->time };

	memcpy(it.id, m->id, MSG_ID_LEN);
	if (msg_kind_kept(m->kind)) {
		if (s_grow((void **)&e->keep, &e->capkeep, e->nkeep, sizeof *e->keep) == -1)
			return -1;
		memcpy(e->keep[e->nkeep++], m->id, MSG_ID_LEN);
	}
	if (!msg_tlp_addressed(m->tlp)) {
		/* Peer ids do not matter here: a peer of each level stands for all. */
		static const enum msg_level level[CLASS_COUNT] = { MSG_LEVEL_MEMBER,
			MSG_LEVEL_EXTERNAL };
		for (int c = 0; c < CLASS_COUNT; c++) {
			struct trust_peer any = { .level = level[c] };
			struct class *k = &e->cls[c];
			if (policy_may_send(&pm, e->self, NULL, origin, &any) != POLICY_OK)
				continue;
			if (s_grow((void **)&k->tail, &k->captail, k->ntail, sizeof *k->tail) == -1)
				return -1;
			k->tail[k->ntail++] = it;
		}
		return 0;
	}
	for (size_t i = 0; i < trust_count(t); i++) {
		const struct trust_peer *p = trust_at(t, i);
		if (policy_may_send(&pm, e->self, NULL, origin, p) != POLICY_OK)
			continue;
		if (s_grow((void **)&e->a, &e->capa, e->na, sizeof *e->a) == -1)
			return -1;
		memcpy(e->a[e->na].peer, p->id, MSG_KEY_LEN);
		e->a[e->na].it = it;
		e->a[e->na++].keep = msg_kind_kept(m->kind);
	}
	return 0;
}

int
eligible_add(struct eligible *e, const struct msg *m, const struct trust *t)
{
	/* While a scan is under way it finds what is committed. */
	return e->scanning ? 0 : s_judge(e, m, t);
}

static int s_rebuild(struct eligible *e, struct class *k, uint64_t cutoff, uint64_t now);

struct scan {
	struct eligible *e;
	const struct trust *t;
	int err;
};

static int
s_scan_item(void *arg, const struct store_item *it)
{
	struct scan *r = arg;

	r->e->after = it->lkey;
	if (msg_decode(r->e->m, it->bytes, it->len, 0) == MSG_OK &&
	    s_judge(r->e, r->e->m, r->t) == -1)
		r->err = -1;
	return r->err;
}

void
eligible_restart(struct eligible *e)
{
	s_clear(e);
	e->scanning = true;
}

bool
eligible_ready(const struct eligible *e)
{
	return !e->scanning;
}

int
eligible_step(struct eligible *e, struct store *st, const struct trust *t, size_t max)
{
	struct scan r = { e, t, 0 };
	int n = 0;

	if (!e->scanning)
		return 1;
	if (e->m == NULL && (e->m = msg_new()) == NULL)
		r.err = -1;
	if (r.err == 0 && (n = store_after(st, e->after, max, s_scan_item, &r, NULL)) < 0)
		r.err = -1;
	if (r.err == 0 && max > 0 && (size_t)n == max)
		return 0;
	/* Done (or failed: the scan ends with what it judged).  Each class's
	 * set now, so that no exchange has to make it. */
	msg_destroy(&e->m);
	e->scanning = false;
	for (int c = 0; c < CLASS_COUNT && r.err == 0; c++)
		r.err = s_rebuild(e, &e->cls[c], 0, now_ms());
	return r.err == 0 ? 1 : -1;
}

/* Items of the base below cutoff (it is sorted by time). */
static size_t
s_below(const struct recon_set *s, uint64_t cutoff)
{
	size_t lo = 0, hi = recon_set_count(s);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t time;
		(void)recon_set_id(s, mid, &time);
		if (time < cutoff)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
s_item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return memcmp(x->id, y->id, MSG_ID_LEN);
}

/* Makes k's base anew from its current items and its tail: O(n), at most
 * once a second unless a roster has fallen below cutoff (the old base
 * goes when the last exchange viewing it ends).  0 or -1 when out of
 * memory (the class is unchanged). */
static int
s_rebuild(struct eligible *e, struct class *k, uint64_t cutoff, uint64_t now)
{
	size_t n = k->base != NULL ? recon_set_count(k->base) : 0;
	struct recon_set *s;
	int err = 0;

	if ((s = recon_set_new()) == NULL || recon_set_reserve(s, n + k->ntail) == -1) {
		recon_set_destroy(&s);
		return -1;
	}
	/* The base in order, then the tail: sealing sorts the tail only. */
	for (size_t i = 0; i < n && err == 0; i++) {
		uint64_t time;
		const uint8_t *id = recon_set_id(k->base, i, &time);
		if (s_current(e, time, id, cutoff))
			err = recon_set_add(s, time, id);
	}
	for (size_t i = 0; i < k->ntail && err == 0; i++)
		if (s_current(e, k->tail[i].time, k->tail[i].id, cutoff))
			err = recon_set_add(s, k->tail[i].time, k->tail[i].id);
	if (err != 0 || recon_set_seal(s) == -1) {
		recon_set_destroy(&s);
		return -1;
	}
	recon_set_destroy(&k->base);
	k->base = s;
	k->settled = now;
	free(k->tail);
	k->tail = NULL;
	k->ntail = k->captail = 0;
	return 0;
}

/* The first item of k's base an exchange may see (those before it are
 * older than cutoff), or SIZE_MAX when a roster is among those. */
static size_t
s_from(const struct eligible *e, const struct class *k, uint64_t cutoff)
{
	size_t from = s_below(k->base, cutoff);

	for (size_t i = 0; e->nkeep > 0 && i < from; i++)
		if (s_kept(e, recon_set_id(k->base, i, NULL)))
			return SIZE_MAX;
	return from;
}

/* Brings k's tail into its base: appended when it sorts after it (new
 * messages: O(tail)), else by s_rebuild().  Sets *from (s_from()).  0 or
 * -1 when out of memory. */
static int
s_settle(struct eligible *e, struct class *k, uint64_t cutoff, size_t *from)
{
	uint64_t now = now_ms();
	size_t kept = 0, n;

	if (k->base == NULL) {
		if (s_rebuild(e, k, cutoff, now) == -1)
			return -1;
	} else if (k->ntail > 0) {
		qsort(k->tail, k->ntail, sizeof *k->tail, s_item_cmp);
		for (size_t i = 0; i < k->ntail; i++) {
			struct item last = { 0 };
			const struct item *it = &k->tail[i];
			int rc;
			if (!s_current(e, it->time, it->id, cutoff))
				continue;
			if ((rc = recon_set_append(k->base, it->time, it->id)) == -1)
				return -1;
			if (rc == 0)
				continue;
			n = recon_set_count(k->base);
			memcpy(last.id, recon_set_id(k->base, n - 1, &last.time), MSG_ID_LEN);
			if (s_item_cmp(&last, it) != 0)
				k->tail[kept++] = *it; /* older than the last: a rebuild's */
		}
		k->ntail = kept;
	}
	n = recon_set_count(k->base);
	*from = s_from(e, k, cutoff);
	if (*from == SIZE_MAX ||
	    ((k->ntail > 0 || *from > n / 2) && now - k->settled >= SETTLE_EVERY_MS)) {
		if (s_rebuild(e, k, cutoff, now) == -1)
			return -1;
		*from = s_from(e, k, cutoff);
		if (*from == SIZE_MAX)
			*from = 0; /* old rosters first, and no item too old */
	}
	return 0;
}

/* Does peer have addressed messages of its own? */
static bool
s_own(const struct eligible *e, const struct trust_peer *peer)
{
	for (size_t i = 0; i < e->na; i++)
		if (memcmp(e->a[i].peer, peer->id, MSG_KEY_LEN) == 0)
			return true;
	return false;
}

struct recon_set *
eligible_set(struct eligible *e, const struct trust_peer *peer, uint64_t cutoff,
    const struct refused *skip)
{
	int c = peer->level == MSG_LEVEL_MEMBER ? CLASS_MEMBER : CLASS_EXTERNAL;
	struct class *k = &e->cls[c];
	struct recon_set *s;
	size_t from, n;
	int err = 0;

	if (peer->level == MSG_LEVEL_BLOCKED || s_settle(e, k, cutoff, &from) == -1)
		return NULL;
	if ((skip == NULL || refused_count(skip) == 0) && !s_own(e, peer))
		return recon_set_view(k->base, from);
	/* A set of the peer's own: the class's, less what it refused, and
	 * its addressed messages. */
	n = recon_set_count(k->base);
	if ((s = recon_set_new()) == NULL || recon_set_reserve(s, n - from) == -1) {
		recon_set_destroy(&s);
		return NULL;
	}
	for (size_t i = from; i < n && err == 0; i++) {
		uint64_t time;
		const uint8_t *id = recon_set_id(k->base, i, &time);
		if (skip == NULL || refused_find(skip, id) == NULL)
			err = recon_set_add(s, time, id);
	}
	for (size_t i = 0; i < e->na && err == 0; i++) {
		const struct addressed *a = &e->a[i];
		if (memcmp(a->peer, peer->id, MSG_KEY_LEN) == 0 &&
		    (a->it.time >= cutoff || a->keep) &&
		    (skip == NULL || refused_find(skip, a->it.id) == NULL))
			err = recon_set_add(s, a->it.time, a->it.id);
	}
	if (err != 0 || recon_set_seal(s) == -1)
		recon_set_destroy(&s);
	return s;
}

size_t
eligible_count(const struct eligible *e)
{
	size_t n = e->na;

	for (int c = 0; c < CLASS_COUNT; c++)
		n += e->cls[c].ntail +
		    (e->cls[c].base != NULL ? recon_set_count(e->cls[c].base) : 0);
	return n;
}
