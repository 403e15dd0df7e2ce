#include "eligible.h"

#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct item {
	uint64_t time;
	uint8_t id[MSG_ID_LEN];
	bool keep; /* a roster: never too old */
};

/* Items [0, sorted) in (time, id) order, the rest as they came. */
struct class {
	struct item *v;
	size_t n, cap, sorted;
};

struct addressed {
	uint8_t peer[MSG_KEY_LEN];
	struct item it;
};

enum { CLASS_MEMBER, CLASS_EXTERNAL, CLASS_COUNT };

struct eligible {
	uint8_t self[MSG_KEY_LEN];
	struct class cls[CLASS_COUNT];
	/* A class's set as it is now, shared by every exchange with a peer
	 * that has nothing of its own (no addressed message, no refusal): an
	 * exchange then costs no copy.  Dropped when the class changes. */
	struct recon_set *shared[CLASS_COUNT];
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
		free(e->cls[c].v);
		recon_set_destroy(&e->shared[c]);
	}
	free(e->a);
	memset(e->cls, 0, sizeof e->cls);
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

static struct item
s_item(const struct msg *m)
{
	struct item it = { .time = m->time, .keep = m->kind == MSG_KIND_ROSTER };

	memcpy(it.id, m->id, MSG_ID_LEN);
	return it;
}

int
eligible_add(struct eligible *e, const struct msg *m, const struct trust *t)
{
	struct policy_msg pm = policy_msg_of(m);
	const struct trust_peer *origin = trust_find_id(t, m->origin);

	if (!msg_tlp_addressed(m->tlp)) {
		/* Peer ids do not matter here: a peer of each level stands for all. */
		static const enum msg_level level[CLASS_COUNT] = { MSG_LEVEL_MEMBER,
			MSG_LEVEL_EXTERNAL };
		for (int c = 0; c < CLASS_COUNT; c++) {
			struct trust_peer any = { .level = level[c] };
			struct class *k = &e->cls[c];
			if (policy_may_send(&pm, e->self, NULL, origin, &any) != POLICY_OK)
				continue;
			if (s_grow((void **)&k->v, &k->cap, k->n, sizeof *k->v) == -1)
				return -1;
			k->v[k->n++] = s_item(m);
			recon_set_destroy(&e->shared[c]);
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
		e->a[e->na++].it = s_item(m);
	}
	return 0;
}

struct rebuild {
	struct eligible *e;
	const struct trust *t;
	struct msg *m;
	int err;
};

static int
s_rebuild_item(void *arg, const struct store_item *it)
{
	struct rebuild *r = arg;

	if (msg_decode(r->m, it->bytes, it->len, 0) == MSG_OK && eligible_add(r->e, r->m, r->t) == -1)
		r->err = -1;
	return r->err;
}

int
eligible_rebuild(struct eligible *e, struct store *st, const struct trust *t)
{
	struct rebuild r = { e, t, msg_new(), 0 };

	s_clear(e);
	if (r.m == NULL)
		return -1;
	if (store_range(st, 0, UINT64_MAX, false, NULL, 0, s_rebuild_item, &r, NULL) < 0)
		r.err = -1;
	msg_destroy(&r.m);
	return r.err;
}

static int
s_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return memcmp(x->id, y->id, MSG_ID_LEN);
}

/* Sorts the tail into the sorted part, dropping repeats and what is older
 * than cutoff.  -1 when out of memory (the class is unchanged). */
static int
s_settle(struct class *k, uint64_t cutoff)
{
	size_t tail = k->n - k->sorted, i = 0, j = k->sorted, n = 0;
	struct item *out;

	if ((out = malloc((k->n + 1) * sizeof *out)) == NULL)
		return -1;
	qsort(k->v + k->sorted, tail, sizeof *k->v, s_cmp);
	while (i < k->sorted || j < k->n) {
		const struct item *next;
		if (j == k->n || (i < k->sorted && s_cmp(&k->v[i], &k->v[j]) <= 0))
			next = &k->v[i++];
		else
			next = &k->v[j++];
		if ((next->time < cutoff && !next->keep) ||
		    (n > 0 && s_cmp(&out[n - 1], next) == 0))
			continue;
		out[n++] = *next;
	}
	free(k->v);
	k->v = out;
	k->n = k->sorted = n;
	k->cap = k->n + 1;
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
	bool shared;
	struct recon_set *s;
	int err = 0;

	if (peer->level == MSG_LEVEL_BLOCKED)
		return NULL;
	/* Sorted by time: the first item tells whether any is too old. */
	if (k->sorted < k->n || (k->n > 0 && k->v[0].time < cutoff)) {
		if (s_settle(k, cutoff) == -1)
			return NULL;
		recon_set_destroy(&e->shared[c]);
	}
	shared = (skip == NULL || refused_count(skip) == 0) && !s_own(e, peer);
	if (shared && e->shared[c] != NULL)
		return recon_set_ref(e->shared[c]);
	if ((s = recon_set_new()) == NULL || recon_set_reserve(s, k->n) == -1) {
		recon_set_destroy(&s);
		return NULL;
	}
	for (size_t i = 0; i < k->n && err == 0; i++)
		if (skip == NULL || refused_find(skip, k->v[i].id) == NULL)
			err = recon_set_add(s, k->v[i].time, k->v[i].id);
	for (size_t i = 0; i < e->na && err == 0; i++) {
		const struct item *it = &e->a[i].it;
		if (memcmp(e->a[i].peer, peer->id, MSG_KEY_LEN) == 0 &&
		    (it->time >= cutoff || it->keep) &&
		    (skip == NULL || refused_find(skip, it->id) == NULL))
			err = recon_set_add(s, it->time, it->id);
	}
	if (err != 0 || recon_set_seal(s) == -1)
		recon_set_destroy(&s);
	else if (shared)
		e->shared[c] = recon_set_ref(s);
	return s;
}

size_t
eligible_count(const struct eligible *e)
{
	size_t n = e->na;

	for (int c = 0; c < CLASS_COUNT; c++)
		n += e->cls[c].n;
	return n;
}
