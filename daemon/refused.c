#include "refused.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	uint8_t id[32];
	uint64_t seq; /* order of arrival: the smallest is forgotten first */
	bool provisional;
	char reason[FRAME_REASON_MAX + 1];
};

/* Sorted by id. */
struct refused {
	struct entry *v;
	size_t n, cap;
	uint64_t seq;
	bool dirty;
};

struct refused *
refused_new(void)
{
	return calloc(1, sizeof(struct refused));
}

void
refused_destroy(struct refused **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	free((*rp)->v);
	free(*rp);
	*rp = NULL;
}

/* The index of id, or where it would go; *found tells which. */
static size_t
s_search(const struct refused *r, const uint8_t id[32], bool *found)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->v[mid].id, id, 32);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void
s_remove(struct refused *r, size_t i)
{
	memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof *r->v);
	r->n--;
	r->dirty = true;
}

int
refused_add(struct refused *r, const uint8_t id[32], bool provisional, const char *reason)
{
	bool found;
	size_t i = s_search(r, id, &found);

	if (found)
		return 0;
	if (r->n == REFUSED_MAX) {
		size_t old = 0;
		for (size_t k = 1; k < r->n; k++)
			if (r->v[k].seq < r->v[old].seq)
				old = k;
		s_remove(r, old);
		if (old < i)
			i--;
	} else if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct entry *v = realloc(r->v,
		    (cap < REFUSED_MAX ? cap : REFUSED_MAX) * sizeof *v);
		if (v == NULL)
			return -1;
		r->v = v;
		r->cap = cap < REFUSED_MAX ? cap : REFUSED_MAX;
	}
	memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof *r->v);
	memset(&r->v[i], 0, sizeof r->v[i]);
	memcpy(r->v[i].id, id, 32);
	r->v[i].seq = ++r->seq;
	r->v[i].provisional = provisional;
	strncpy(r->v[i].reason, reason, FRAME_REASON_MAX);
	r->n++;
	r->dirty = true;
	return 1;
}

const char *
refused_find(const struct refused *r, const uint8_t id[32])
{
	bool found;
	size_t i = s_search(r, id, &found);

	return found ? r->v[i].reason : NULL;
}

size_t
refused_forget_provisional(struct refused *r)
{
	size_t k = 0, before = r->n;

	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].provisional)
			r->v[k++] = r->v[i];
	r->n = k;
	if (k != before)
		r->dirty = true;
	return before - k;
}

size_t
refused_count(const struct refused *r)
{
	return r->n;
}

bool
refused_dirty(const struct refused *r)
{
	return r->dirty;
}

static int
s_seq_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a,
	                   *y = *(const struct entry *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
refused_blob(struct refused *r, uint8_t **out, size_t *len)
{
	const struct entry **by = malloc((r->n + 1) * sizeof *by);
	uint8_t *p = malloc(r->n * (34 + FRAME_REASON_MAX) + 1);
	size_t n = 0;

	if (by == NULL || p == NULL) {
		free(by), free(p);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++)
		by[i] = &r->v[i];
	qsort(by, r->n, sizeof *by, s_seq_cmp);
	for (size_t i = 0; i < r->n; i++) {
		size_t rl = strlen(by[i]->reason);
		memcpy(p + n, by[i]->id, 32);
		p[n + 32] = by[i]->provisional ? FRAME_PROVISIONAL : FRAME_PERMANENT;
		p[n + 33] = (uint8_t)rl;
		memcpy(p + n + 34, by[i]->reason, rl);
		n += 34 + rl;
	}
	free(by);
	*out = p;
	*len = n;
	r->dirty = false;
	return 0;
}

int
refused_load(struct refused *r, const uint8_t *blob, size_t len)
{
	char reason[FRAME_REASON_MAX + 1];

	for (size_t i = 0; i + 34 <= len;) {
		size_t rl = blob[i + 33];
		if (rl == 0 || rl > FRAME_REASON_MAX || i + 34 + rl > len)
			break;
		memcpy(reason, blob + i + 34, rl);
		reason[rl] = '\0';
		if (refused_add(r, blob + i, blob[i + 32] == FRAME_PROVISIONAL, reason) == -1)
			return -1;
		i += 34 + rl;
	}
	r->dirty = false;
	return 0;
}
