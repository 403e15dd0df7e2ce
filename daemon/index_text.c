/*
 * The words of the messages' texts, and the search over them
 * (index_text.h).
 */
#include "index_text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "keyspace.h"

#define FOLD                                                                                       \
	(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |              \
	    UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)

/* Whether the code point cp is part of a word: a letter or a digit. */
static bool
s_wordchar(utf8proc_int32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}

/* The word at p (len bytes) to fn, its ASCII letters in lower case: text
 * that is all ASCII is not folded by utf8proc, where folding is exactly
 * that (no ASCII character decomposes, is ignorable or is a mark). */
static int
s_emit(const uint8_t *p, size_t len, index_text_fn fn, void *arg)
{
	char w[INDEX_TEXT_MAX];

	if (len < INDEX_TEXT_MIN || len > INDEX_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		w[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + ('a' - 'A') : p[i]);
	return fn(arg, w, len);
}

int
index_text_words(const char *s, size_t n, index_text_fn fn, void *arg)
{
	const uint8_t *t = (const uint8_t *)s;
	utf8proc_uint8_t *f = NULL;
	utf8proc_ssize_t len = (utf8proc_ssize_t)n, i = 0, start = -1;
	size_t k = 0;
	int rc = 0;

	if (n > (size_t)INT32_MAX)
		return -1;
	while (k < n && t[k] < 0x80)
		k++;
	if (k < n) {
		if ((len = utf8proc_map(t, (utf8proc_ssize_t)n, &f, FOLD)) < 0)
			return -1;
		t = f;
	}
	while (rc == 0 && i <= len) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = 1;

		if (i < len && (cp = t[i]) >= 0x80)
			step = utf8proc_iterate(t + i, len - i, &cp);
		if (step <= 0)
			rc = -1;
		else if (i < len && s_wordchar(cp)) {
			if (start < 0)
				start = i;
		} else if (start >= 0) {
			rc = s_emit(t + start, (size_t)(i - start), fn, arg);
			start = -1;
		}
		i += step;
	}
	free(f);
	return rc;
}

/* ---- the keys of a message ------------------------------------------------ */

#define SLOTS (2 * INDEX_TEXT_MAX_KEYS) /* a power of two */

/* The distinct words given so far: their keys in k from first on,
 * found by a hash of their bytes (slot: the key's index + 1). */
struct collect {
	struct ks_keys *k;
	size_t n;
	uint32_t slot[SLOTS];
};

static uint32_t
s_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

/* index_text_fn: the word's key, once. */
static int
s_collect(void *arg, const char *w, size_t len)
{
	struct collect *c = arg;
	uint32_t i = s_hash(w, len) & (SLOTS - 1);

	for (; c->slot[i] != 0; i = (i + 1) & (SLOTS - 1)) {
		size_t x = c->slot[i] - 1;
		if (c->k->e[x].len == len + 1 && memcmp(c->k->buf + c->k->off[x] + 1, w, len) == 0)
			return 0;
	}
	if (ks_add(c->k, KS_WORD, w, len) == -1)
		return -1;
	c->slot[i] = (uint32_t)c->k->n;
	return ++c->n == INDEX_TEXT_MAX_KEYS ? 1 : 0;
}

int
index_text_keys(struct ks_keys *k, const struct msg *m)
{
	const struct msg_body *b = &m->body;
	const struct msg_str texts[] = { b->title, b->summary, b->detection, b->effects,
		b->response, b->lessons, b->text };
	struct collect *c;
	int rc = 0;

	if (m->kind != MSG_KIND_INCIDENT && m->kind != MSG_KIND_UPDATE &&
	    m->kind != MSG_KIND_COMMENT)
		return 0;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return -1;
	c->k = k;
	for (size_t i = 0; rc == 0 && i < sizeof texts / sizeof texts[0]; i++)
		rc = index_text_words(texts[i].p, texts[i].n, s_collect, c);
	free(c);
	/* Text that is not UTF-8 never passes the decoder: -1 is memory. */
	return rc == -1 ? -1 : 0;
}

/* ---- the search ------------------------------------------------------------ */

#define LANES 2   /* clear keys, sealed keys */
#define CHUNK 256 /* entries walked at once */

struct word {
	uint8_t key[LANES]
	           [IOCSEAL_KEY_LEN > INDEX_TEXT_MAX + 1 ? IOCSEAL_KEY_LEN : INDEX_TEXT_MAX + 1];
	size_t klen[LANES], count[LANES], total;
};

struct query {
	struct word w[INDEX_TEXT_QUERY_WORDS];
	unsigned n;
	bool toomany;
};

/* index_text_fn: a word of the query, once. */
static int
s_qword(void *arg, const char *w, size_t len)
{
	struct query *q = arg;

	for (unsigned i = 0; i < q->n; i++)
		if (q->w[i].klen[0] == len + 1 && memcmp(q->w[i].key[0] + 1, w, len) == 0)
			return 0;
	if (q->n == INDEX_TEXT_QUERY_WORDS) {
		q->toomany = true;
		return 1;
	}
	q->w[q->n].key[0][0] = KS_WORD;
	memcpy(q->w[q->n].key[0] + 1, w, len);
	q->w[q->n++].klen[0] = len + 1;
	return 0;
}

static int
s_by_total(const void *a, const void *b)
{
	const struct word *x = a, *y = b;

	return x->total < y->total ? -1 : x->total > y->total;
}

/* More words first, then newest first. */
static int
s_by_rank(const void *a, const void *b)
{
	const struct index_text_hit *x = a, *y = b;

	if (x->words != y->words)
		return x->words > y->words ? -1 : 1;
	return x->lkey > y->lkey ? -1 : x->lkey < y->lkey;
}

/* The search's state: the query, the hits gathered (ranked at the end),
 * the buffers of a walk. */
struct search {
	struct store *st;
	struct query q;
	unsigned lanes;
	struct index_text_hit *hits;
	size_t nhits, cap;
	struct store_ref refs[CHUNK];
	bool has[CHUNK];
	unsigned words[CHUNK];
};

static int
s_hit(struct search *s, uint64_t lkey, unsigned words)
{
	if (s->nhits == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct index_text_hit *h = realloc(s->hits, cap * sizeof *h);
		if (h == NULL)
			return STORE_E_NOMEM;
		s->hits = h, s->cap = cap;
	}
	s->hits[s->nhits++] = (struct index_text_hit){ lkey, words };
	return STORE_OK;
}

static const char *
s_key(const struct word *w, unsigned lane)
{
	return (const char *)w->key[lane];
}

/* Into s->words, how many of the query's words each of the n entries
 * s->refs of lane has (word `own` taken as had).  STORE_OK or an error. */
static int
s_count(struct search *s, unsigned lane, size_t n, unsigned own)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < n; i++)
		s->words[i] = 1;
	for (unsigned j = 0; rc == STORE_OK && j < s->q.n; j++) {
		if (j == own || s->q.w[j].count[lane] == 0)
			continue;
		rc = store_ioc_has(s->st, s_key(&s->q.w[j], lane), s->q.w[j].klen[lane], s->refs, n,
		    s->has);
		for (size_t i = 0; rc == STORE_OK && i < n; i++)
			s->words[i] += s->has[i];
	}
	return rc;
}

/* 1. The messages of lane with every word, newest first: at most max,
 * after checking at most INDEX_TEXT_CANDIDATES of the rarest word's. */
static int
s_every(struct search *s, unsigned lane, size_t max)
{
	const struct word *r = &s->q.w[0];
	size_t found = 0, checked = 0, n = CHUNK;
	uint64_t before = 0;
	int rc = STORE_OK;

	for (unsigned j = 0; j < s->q.n; j++)
		if (s->q.w[j].count[lane] == 0)
			return STORE_OK;
	while (rc == STORE_OK && n == CHUNK && found < max && checked < INDEX_TEXT_CANDIDATES) {
		rc = store_ioc_refs(s->st, s_key(r, lane), r->klen[lane], before, s->refs, CHUNK,
		    &n);
		if (rc == STORE_OK && n > 0)
			rc = s_count(s, lane, n, 0);
		for (size_t i = 0; rc == STORE_OK && i < n && found < max; i++)
			if (s->words[i] == s->q.n && (rc = s_hit(s, s->refs[i].lkey, s->q.n)) == 0)
				found++;
		checked += n;
		if (n > 0)
			before = s->refs[n - 1].lkey;
	}
	return rc;
}

/* 2. The newest max messages of each word in lane, with how many words
 * each has. */
static int
s_some(struct search *s, unsigned lane, size_t max)
{
	int rc = STORE_OK;

	for (unsigned i = 0; rc == STORE_OK && i < s->q.n; i++) {
		const struct word *w = &s->q.w[i];
		size_t n = 0;
		if (w->count[lane] == 0)
			continue;
		rc = store_ioc_refs(s->st, s_key(w, lane), w->klen[lane], 0, s->refs,
		    max < CHUNK ? max : CHUNK, &n);
		if (rc == STORE_OK)
			rc = s_count(s, lane, n, i);
		for (size_t k = 0; rc == STORE_OK && k < n; k++)
			rc = s_hit(s, s->refs[k].lkey, s->words[k]);
	}
	return rc;
}

int
index_text_search(struct store *st, const struct iocseal *seal, const char *q, size_t qlen,
    size_t max, struct index_text_hit *hits, size_t *n, unsigned *nwords)
{
	struct search *s = calloc(1, sizeof *s);
	size_t full = 0;
	int rc = STORE_OK;

	*n = 0, *nwords = 0;
	if (s == NULL)
		return STORE_E_NOMEM;
	s->st = st, s->lanes = seal != NULL ? 2 : 1;
	if (index_text_words(q, qlen, s_qword, &s->q) == -1 || s->q.n == 0 || s->q.toomany) {
		free(s);
		return STORE_E_INVAL;
	}
	for (unsigned i = 0; rc == STORE_OK && i < s->q.n; i++) {
		struct word *w = &s->q.w[i];
		if (seal != NULL) {
			iocseal_key(seal, s_key(w, 0), w->klen[0], w->key[1]);
			w->klen[1] = IOCSEAL_KEY_LEN;
		}
		for (unsigned l = 0; rc == STORE_OK && l < s->lanes; l++)
			rc = store_ioc_count(st, s_key(w, l), w->klen[l], &w->count[l], NULL);
		w->total = w->count[0] + w->count[1];
	}
	qsort(s->q.w, s->q.n, sizeof s->q.w[0], s_by_total);
	for (unsigned l = 0; rc == STORE_OK && l < s->lanes; l++)
		rc = s_every(s, l, max);
	full = s->nhits;
	for (unsigned l = 0; rc == STORE_OK && full < max && s->q.n > 1 && l < s->lanes; l++)
		rc = s_some(s, l, max);
	if (rc == STORE_OK && s->nhits > 0) {
		qsort(s->hits, s->nhits, sizeof *s->hits, s_by_rank);
		/* A message found twice has the same words each time:
		 * its copies are next to each other. */
		for (size_t i = 0; i < s->nhits && *n < max; i++)
			if (*n == 0 || hits[*n - 1].lkey != s->hits[i].lkey)
				hits[(*n)++] = s->hits[i];
	}
	*nwords = s->q.n;
	free(s->hits);
	free(s);
	return rc;
}
