#include "recon.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct item {
	uint64_t time;
	uint8_t id[32];
};

#define CUM_EVERY 64

struct recon_set {
	struct item *v;
	size_t n, cap;
	/* cum[j]: the sum of the ids of items [0, j * CUM_EVERY), each read
	 * as a little-endian 256-bit number, modulo 2^256.  A range's sum is
	 * then a subtraction and at most 2 * (CUM_EVERY - 1) additions, so a
	 * fingerprint costs O(1), for half a byte of memory an item. */
	uint8_t (*cum)[32];
	unsigned refs; /* holders besides the first (recon_set_ref) */
	/* A view (recon_set_view): items [lo, lo + n) of the set `of`, read
	 * through it (v and cum are of's, which may grow and move); else
	 * NULL. */
	struct recon_set *of;
	size_t lo;
};

/* Item i of s, view or not. */
static inline const struct item *
s_at(const struct recon_set *s, size_t i)
{
	return s->of != NULL ? &s->of->v[s->lo + i] : &s->v[i];
}

/* A point between items: (time, prefix padded with zero bytes).  Items
 * below it sort before it; `inf` is past every item. */
struct bound {
	bool inf;
	uint64_t time;
	size_t plen;
	uint8_t prefix[32];
};

static const char *const s_errors[] = {
	"success",
	"unknown reconciliation version",
	"reconciliation message ends inside a range",
	"malformed varint",
	"range bounds not strictly increasing",
	"unknown range mode",
	"reconciliation message too large",
	"out of memory",
};

const char *
recon_strerror(int err)
{
	return (err <= 0 && err >= RECON_E_NOMEM) ? s_errors[-err] : "unknown error";
}

/* ---- the set ---------------------------------------------------------- */

struct recon_set *
recon_set_new(void)
{
	return calloc(1, sizeof(struct recon_set));
}

void
recon_set_destroy(struct recon_set **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	if ((*sp)->refs > 0) {
		(*sp)->refs--;
		*sp = NULL;
		return;
	}
	recon_set_destroy(&(*sp)->of);
	free((*sp)->v);
	free((*sp)->cum);
	free(*sp);
	*sp = NULL;
}

struct recon_set *
recon_set_ref(struct recon_set *s)
{
	s->refs++;
	return s;
}

int
recon_set_reserve(struct recon_set *s, size_t n)
{
	struct item *v;

	if (n <= s->cap - s->n)
		return 0;
	if ((v = realloc(s->v, (s->n + n) * sizeof *v)) == NULL)
		return -1;
	s->v = v, s->cap = s->n + n;
	return 0;
}

/* Room for one more item.  0 or -1. */
static int
s_room(struct recon_set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct item *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		s->v = v, s->cap = cap;
	}
	return 0;
}

int
recon_set_add(struct recon_set *s, uint64_t time, const uint8_t id[32])
{
	if (s_room(s) == -1)
		return -1;
	s->v[s->n].time = time;
	memcpy(s->v[s->n++].id, id, 32);
	return 0;
}

static int
s_item_cmp(const struct item *a, const struct item *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return memcmp(a->id, b->id, 32);
}

static int
s_item_qsort(const void *a, const void *b)
{
	return s_item_cmp(a, b);
}

/* a = b + c, or a = b - c, little-endian 256-bit, modulo 2^256. */
static void
s_add256(uint8_t a[32], const uint8_t b[32], const uint8_t c[32], bool sub)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Four 64-bit limbs: the sums of a large set are made 8 times faster. */
	uint64_t x[4], y[4], carry = sub ? 1 : 0;
	memcpy(x, b, 32);
	memcpy(y, c, 32);
	for (int i = 0; i < 4; i++) {
		uint64_t v = sub ? ~y[i] : y[i], s = x[i] + v, t = s + carry;
		carry = (s < v) | (t < s);
		x[i] = t;
	}
	memcpy(a, x, 32);
#else
	unsigned carry = sub ? 1 : 0;
	for (int i = 0; i < 32; i++) {
		unsigned x = (unsigned)b[i] + (sub ? (uint8_t)~c[i] : c[i]) + carry;
		a[i] = (uint8_t)x;
		carry = x >> 8;
	}
#endif
}

int
recon_set_seal(struct recon_set *s)
{
	size_t k = 0, sorted = 1;

	/* Items mostly come in order (the daemon keeps them sorted): sort the
	 * tail that does not, and merge it in. */
	while (sorted < s->n && s_item_cmp(&s->v[sorted - 1], &s->v[sorted]) <= 0)
		sorted++;
	if (sorted < s->n) {
		struct item *m = malloc(s->n * sizeof *m);
		size_t i = 0, j = sorted;
		if (m == NULL)
			return -1;
		qsort(s->v + sorted, s->n - sorted, sizeof *s->v, s_item_qsort);
		while (i < sorted || j < s->n)
			m[k++] = (j == s->n || (i < sorted && s_item_cmp(&s->v[i], &s->v[j]) <= 0))
			    ? s->v[i++]
			    : s->v[j++];
		free(s->v);
		s->v = m;
		s->cap = s->n;
		k = 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || s_item_cmp(&s->v[k - 1], &s->v[i]) != 0)
			s->v[k++] = s->v[i];
	s->n = k;
	free(s->cum);
	if ((s->cum = calloc(s->n / CUM_EVERY + 1, sizeof *s->cum)) == NULL)
		return -1;
	for (size_t j = 1; j <= s->n / CUM_EVERY; j++) {
		memcpy(s->cum[j], s->cum[j - 1], 32);
		for (size_t i = (j - 1) * CUM_EVERY; i < j * CUM_EVERY; i++)
			s_add256(s->cum[j], s->cum[j], s->v[i].id, false);
	}
	return 0;
}

struct recon_set *
recon_set_view(struct recon_set *s, size_t from)
{
	struct recon_set *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	if (s->of != NULL) {
		from += s->lo;
		s = s->of;
	}
	v->of = recon_set_ref(s);
	v->lo = from < s->n ? from : s->n;
	v->n = s->n - v->lo;
	return v;
}

int
recon_set_append(struct recon_set *s, uint64_t time, const uint8_t id[32])
{
	struct item it = { .time = time };

	memcpy(it.id, id, 32);
	if (s->of != NULL || s->cum == NULL)
		return -1;
	if (s->n > 0 && s_item_cmp(&s->v[s->n - 1], &it) >= 0)
		return 1;
	if (s_room(s) == -1)
		return -1;
	if ((s->n + 1) % CUM_EVERY == 0) {
		/* The block ends: its running sum joins cum. */
		size_t j = (s->n + 1) / CUM_EVERY;
		uint8_t(*cum)[32] = realloc(s->cum, (j + 1) * sizeof *cum);
		if (cum == NULL)
			return -1;
		s->cum = cum;
		memcpy(cum[j], cum[j - 1], 32);
		for (size_t i = (j - 1) * CUM_EVERY; i < s->n; i++)
			s_add256(cum[j], cum[j], s->v[i].id, false);
		s_add256(cum[j], cum[j], it.id, false);
	}
	s->v[s->n++] = it;
	return 0;
}

size_t
recon_set_count(const struct recon_set *s)
{
	return s->n;
}

const uint8_t *
recon_set_id(const struct recon_set *s, size_t i, uint64_t *time)
{
	const struct item *it = s_at(s, i);

	if (time != NULL)
		*time = it->time;
	return it->id;
}

void
recon_result_free(struct recon_result *r)
{
	free(r->have);
	free(r->need);
	memset(r, 0, sizeof *r);
}

/* ---- ranges ----------------------------------------------------------- */

/* True when item sorts before bound. */
static bool
s_below(const struct item *it, const struct bound *b)
{
	int c;

	if (b->inf)
		return true;
	if (it->time != b->time)
		return it->time < b->time;
	c = memcmp(it->id, b->prefix, b->plen);
	/* Equal prefixes: the rest of the id is >= the zero padding. */
	return c < 0;
}

/* The index of the first item not below b. */
static size_t
s_lower(const struct recon_set *s, const struct bound *b)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s_below(s_at(s, mid), b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The shortest bound that has item a below it and item b (> a) not. */
static void
s_between(struct bound *out, const struct item *a, const struct item *b)
{
	memset(out, 0, sizeof *out);
	out->time = b->time;
	if (a->time != b->time)
		return;
	while (out->plen < 32 && a->id[out->plen] == b->id[out->plen])
		out->plen++;
	out->plen++;
	memcpy(out->prefix, b->id, out->plen);
}

/* The sum of the ids of items [0, k). */
static void
s_prefix(const struct recon_set *s, size_t k, uint8_t out[32])
{
	const struct recon_set *o = s->of != NULL ? s->of : s;

	k += s->of != NULL ? s->lo : 0;
	memcpy(out, o->cum[k / CUM_EVERY], 32);
	for (size_t i = k / CUM_EVERY * CUM_EVERY; i < k; i++)
		s_add256(out, out, o->v[i].id, false);
}

static void
s_fingerprint(const struct recon_set *s, size_t lo, size_t hi, uint8_t fp[RECON_FP_LEN])
{
	uint8_t in[40], h[16], a[32], b[32];
	uint64_t n = hi - lo;

	s_prefix(s, hi, b);
	s_prefix(s, lo, a);
	s_add256(in, b, a, true);
	for (int i = 0; i < 8; i++)
		in[32 + i] = (uint8_t)(n >> (8 * i));
	crypto_generichash(h, sizeof h, in, sizeof in, NULL, 0);
	memcpy(fp, h, RECON_FP_LEN);
}

/* ---- writing ---------------------------------------------------------- */

struct writer {
	struct recon_buf *out;
	size_t start;  /* out->len when this message began */
	uint64_t prev; /* time of the last bound written */
	bool pending;  /* a skip not yet written, up to `skip` */
	struct bound skip;
	bool wrote; /* a range other than a skip was written */
	bool oom;
};

int
recon_buf_put(struct recon_buf *o, const void *p, size_t n)
{
	if (n > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap - o->len < n)
			cap *= 2;
		uint8_t *q = realloc(o->p, cap);
		if (q == NULL)
			return -1;
		o->p = q, o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

static void
s_put(struct writer *w, const void *p, size_t n)
{
	if (!w->oom && recon_buf_put(w->out, p, n) == -1)
		w->oom = true;
}

static void
s_varint(struct writer *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	s_put(w, b, n);
}

static void
s_bound(struct writer *w, const struct bound *b)
{
	if (b->inf)
		s_varint(w, 0);
	else {
		s_varint(w, b->time - w->prev + 1);
		w->prev = b->time;
	}
	s_varint(w, b->plen);
	s_put(w, b->prefix, b->plen);
}

/* Ranges are written up to a bound; consecutive skips merge into one, and
 * trailing skips are never written. */
static void
s_range(struct writer *w, const struct bound *b, unsigned mode)
{
	if (w->pending) {
		s_bound(w, &w->skip);
		s_varint(w, 0);
		w->pending = false;
	}
	s_bound(w, b);
	s_varint(w, mode);
	w->wrote = true;
}

static void
s_skip(struct writer *w, const struct bound *b)
{
	w->pending = true;
	w->skip = *b;
}

/* Our items [lo, hi), up to bound `upper`: their ids when few, else
 * RECON_FANOUT fingerprinted sub-ranges. */
static void
s_split(struct writer *w, const struct recon_set *s, size_t lo, size_t hi,
    const struct bound *upper)
{
	size_t n = hi - lo;

	if (n <= RECON_IDLIST_MAX) {
		s_range(w, upper, 2);
		s_varint(w, n);
		for (size_t i = lo; i < hi; i++)
			s_put(w, s_at(s, i)->id, RECON_PREFIX_LEN);
		return;
	}
	for (size_t k = 0, from = lo; k < RECON_FANOUT; k++) {
		size_t to = lo + n * (k + 1) / RECON_FANOUT;
		struct bound b;
		uint8_t fp[RECON_FP_LEN];

		if (k + 1 == RECON_FANOUT)
			b = *upper;
		else
			s_between(&b, s_at(s, to - 1), s_at(s, to));
		s_fingerprint(s, from, to, fp);
		s_range(w, &b, 1);
		s_put(w, fp, sizeof fp);
		from = to;
	}
}

static void
s_begin(struct writer *w, struct recon_buf *out)
{
	uint8_t v = RECON_VERSION;

	memset(w, 0, sizeof *w);
	w->out = out;
	w->start = out->len;
	s_put(w, &v, 1);
}

/* Ends a message: nothing at all when every range was a skip. */
static int
s_end(struct writer *w)
{
	if (w->oom)
		return RECON_E_NOMEM;
	if (!w->wrote)
		w->out->len = w->start;
	return RECON_OK;
}

int
recon_initiate(const struct recon_set *s, struct recon_buf *out)
{
	struct writer w;
	struct bound all = { .inf = true };

	s_begin(&w, out);
	s_split(&w, s, 0, s->n, &all);
	return s_end(&w) == RECON_OK ? 0 : -1;
}

/* ---- reading ---------------------------------------------------------- */

struct reader {
	const uint8_t *p, *end;
};

/* LEB128, minimal form, at most 64 bits. */
static int
s_rvarint(struct reader *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p == r->end)
			return RECON_E_TRUNCATED;
		uint8_t b = *r->p++;
		if (shift == 63 && b > 1)
			return RECON_E_VARINT;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift > 0)
				return RECON_E_VARINT; /* a needless zero byte */
			*v = x;
			return RECON_OK;
		}
	}
	return RECON_E_VARINT;
}

static int
s_rbound(struct reader *r, uint64_t *prev, struct bound *b)
{
	uint64_t t, plen;
	int err;

	memset(b, 0, sizeof *b);
	if ((err = s_rvarint(r, &t)) != RECON_OK || (err = s_rvarint(r, &plen)) != RECON_OK)
		return err;
	if (t == 0)
		b->inf = true;
	else {
		if (t - 1 > UINT64_MAX - *prev)
			return RECON_E_BOUND;
		b->time = *prev + (t - 1);
		*prev = b->time;
	}
	if (plen > 32)
		return RECON_E_BOUND;
	if ((size_t)(r->end - r->p) < plen)
		return RECON_E_TRUNCATED;
	b->plen = (size_t)plen;
	memcpy(b->prefix, r->p, b->plen);
	r->p += b->plen;
	return RECON_OK;
}

/* a < b as points: time, then prefix bytes padded with zeros. */
static bool
s_bound_less(const struct bound *a, const struct bound *b)
{
	uint8_t x[32] = { 0 }, y[32] = { 0 };

	if (a->inf || b->inf)
		return !a->inf && b->inf;
	if (a->time != b->time)
		return a->time < b->time;
	memcpy(x, a->prefix, a->plen);
	memcpy(y, b->prefix, b->plen);
	return memcmp(x, y, 32) < 0;
}

static int
s_prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RECON_PREFIX_LEN);
}

static int
s_grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t cap2 = *cap ? *cap : 64;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*v, cap2 * size);
	if (p == NULL)
		return -1;
	*v = p, *cap = cap2;
	return 0;
}

/* The peer listed its ids in our range [lo, hi): what each side lacks.
 * Only the peer's list is sorted (it may come in any order, repeated);
 * each of our items is looked up in it, so the cost is O((n + m) log n)
 * whatever the peer sends, and O(m) for an empty list. */
static int
s_idlist(const struct recon_set *s, size_t lo, size_t hi, const uint8_t *theirs, size_t n,
    struct recon_result *r)
{
	uint8_t(*t)[RECON_PREFIX_LEN] = NULL;
	bool *hit = NULL;
	size_t d = 0;
	int err = RECON_OK;

	if (n > 0 && ((t = malloc(n * sizeof *t)) == NULL || (hit = calloc(n, 1)) == NULL)) {
		free(t);
		return RECON_E_NOMEM;
	}
	if (n > 0) {
		memcpy(t, theirs, n * RECON_PREFIX_LEN);
		qsort(t, n, sizeof *t, s_prefix_cmp);
		for (size_t j = 0; j < n; j++)
			if (d == 0 || memcmp(t[d - 1], t[j], RECON_PREFIX_LEN) != 0)
				memmove(t[d++], t[j], RECON_PREFIX_LEN);
	}
	if (s_grow((void **)&r->have, &r->chave, r->nhave + (hi - lo), sizeof *r->have) == -1)
		err = RECON_E_NOMEM;
	for (size_t k = lo; k < hi && err == RECON_OK; k++) {
		size_t a = 0, b = d;
		while (a < b) {
			size_t mid = a + (b - a) / 2;
			int c = memcmp(t[mid], s_at(s, k)->id, RECON_PREFIX_LEN);
			if (c == 0) {
				hit[mid] = true;
				break;
			}
			if (c < 0)
				a = mid + 1;
			else
				b = mid;
		}
		if (a >= b)
			r->have[r->nhave++] = k;
	}
	for (size_t j = 0; j < d && err == RECON_OK; j++)
		if (!hit[j]) {
			if (s_grow((void **)&r->need, &r->cneed, r->nneed + 1, sizeof *r->need) ==
			    -1)
				err = RECON_E_NOMEM;
			else
				memcpy(r->need[r->nneed++], t[j], RECON_PREFIX_LEN);
		}
	free(t);
	free(hit);
	return err;
}

int
recon_reply(const struct recon_set *s, const uint8_t *msg, size_t len, struct recon_buf *out,
    struct recon_result *r)
{
	struct reader rd = { msg, msg + len };
	struct bound prev = { 0 }, b;
	uint64_t prevtime = 0, mode, n;
	struct writer w;
	size_t lo = 0, hi;
	bool first = true;
	int err = RECON_OK;

	if (len > RECON_MAX_MSG)
		return RECON_E_TOOBIG;
	if (len == 0 || msg[0] != RECON_VERSION)
		return RECON_E_VERSION;
	rd.p++;
	s_begin(&w, out);
	while (rd.p < rd.end && err == RECON_OK) {
		if ((err = s_rbound(&rd, &prevtime, &b)) != RECON_OK)
			break;
		if ((!first && !s_bound_less(&prev, &b)) || (!first && prev.inf)) {
			err = RECON_E_BOUND;
			break;
		}
		if ((err = s_rvarint(&rd, &mode)) != RECON_OK)
			break;
		hi = s_lower(s, &b);
		if (hi < lo)
			hi = lo;
		switch (mode) {
		case 0:
			s_skip(&w, &b);
			break;
		case 1: {
			uint8_t fp[RECON_FP_LEN];
			if ((size_t)(rd.end - rd.p) < RECON_FP_LEN) {
				err = RECON_E_TRUNCATED;
				break;
			}
			s_fingerprint(s, lo, hi, fp);
			if (memcmp(fp, rd.p, RECON_FP_LEN) == 0)
				s_skip(&w, &b);
			else
				s_split(&w, s, lo, hi, &b);
			rd.p += RECON_FP_LEN;
			break;
		}
		case 2:
			if ((err = s_rvarint(&rd, &n)) != RECON_OK)
				break;
			if (n > (size_t)(rd.end - rd.p) / RECON_PREFIX_LEN) {
				err = RECON_E_TRUNCATED;
				break;
			}
			err = s_idlist(s, lo, hi, rd.p, (size_t)n, r);
			rd.p += n * RECON_PREFIX_LEN;
			s_skip(&w, &b);
			break;
		default:
			err = RECON_E_MODE;
		}
		prev = b;
		first = false;
		lo = hi;
	}
	int end = s_end(&w);
	return err != RECON_OK ? err : end;
}
