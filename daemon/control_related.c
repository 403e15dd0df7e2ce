/*
 * related and campaigns (control.h): the cases related to a case, and the
 * groups of cases that shared or related indicators join across SOCs,
 * found by looking up the keys of a case (its indicators and the keys
 * index_related.h derives) in the store's indicator index, under their
 * clear and their sealed keys (iocseal.h).  Bounded: a number of messages
 * per key, of messages decoded and of cases per request.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "casestate.h"
#include "control.h"
#include "index_related.h"
#include "iocseal.h"
#include "keyspace.h"
#include "roster.h"
#include "timefmt.h"
#include "util.h"
#include "warninglist.h"

/* Why two cases are related, weakest first; a shared thing counts once,
 * at its strongest reason. */
enum reason { R_CASE, R_TECHNIQUE, R_HASH, R_DOMAIN, R_NETWORK, R_INDICATOR, R_COUNT };
static const char *const s_reason[R_COUNT] = { "category-sector", "technique", "hash", "domain",
	"network", "indicator" };
static const int s_weight[R_COUNT] = { 1, 2, 5, 6, 8, 10 };
#define R_LINKS R_HASH /* from here up: shared or related indicators */

#define TEXT_MAX 160 /* bytes of a reason's words */

/* A message found under one of the case's keys. */
struct hit {
	uint8_t id[MSG_ID_LEN];
	uint8_t reason;
	char text[TEXT_MAX];
};

/* A case loaded: its incident (m[0]) and its thread, decoded, bodies
 * opened where this node may. */
struct rcase {
	struct msg *m[RELATED_THREAD + 1];
	uint8_t *bytes[RELATED_THREAD + 1], *plain[RELATED_THREAD + 1];
	size_t nplain[RELATED_THREAD + 1];
	size_t n;
	bool retracted;
	int expired;
};

/* A related case as it is gathered: the things it shares. */
struct rel_case {
	uint8_t id[MSG_ID_LEN];
	size_t first, n; /* its hits in rel.h, once sorted by case */
};

/* One request. */
struct rel {
	struct node *n;
	const struct warninglists *wl;
	uint64_t now;
	bool include_expired, truncated;
	int min_reason;     /* R_CASE for related, R_LINKS for campaigns */
	struct rcase c, o;  /* the case asked about; another one */
	struct rcase *into; /* the case whose thread is being read */
	struct msg *scratch;
	struct ks_keys k;
	struct hit *h;
	size_t nh, caph;
	uint8_t (*hcase)[MSG_ID_LEN]; /* the case of each hit */
	/* the probe being looked up */
	uint8_t reason;
	const char *text;
	/* store_get()'s copy */
	uint8_t *got;
	size_t gotlen;
};

static void
s_rcase_clear(struct rcase *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->plain[i] != NULL) {
			sodium_memzero(c->plain[i], c->nplain[i]);
			free(c->plain[i]);
			c->plain[i] = NULL;
		}
		free(c->bytes[i]);
		c->bytes[i] = NULL;
	}
	c->n = 0;
	c->retracted = false;
	c->expired = 0;
}

static void
s_rcase_free(struct rcase *c)
{
	s_rcase_clear(c);
	for (size_t i = 0; i <= RELATED_THREAD; i++)
		msg_destroy(&c->m[i]);
}

/* store_item_fn: a copy of the message's bytes into r->got. */
static int
s_copy(void *arg, const struct store_item *it)
{
	struct rel *r = arg;

	free(r->got);
	r->gotlen = 0;
	if ((r->got = malloc(it->len)) != NULL) {
		memcpy(r->got, it->bytes, it->len);
		r->gotlen = it->len;
	}
	return 1;
}

/* Message bytes (taken over) into slot i of c, decoded and opened when
 * this node may.  0, or -1 when they do not decode. */
static int
s_slot(struct rel *r, struct rcase *c, uint8_t *bytes, size_t len)
{
	size_t i = c->n;

	if (c->m[i] == NULL && (c->m[i] = msg_new()) == NULL) {
		free(bytes);
		return -1;
	}
	c->bytes[i] = bytes;
	c->n++;
	if (msg_decode(c->m[i], bytes, len, 0) != MSG_OK) {
		c->n--;
		free(bytes);
		c->bytes[i] = NULL;
		return -1;
	}
	if (!c->m[i]->has_body && r->n->seal != NULL &&
	    iocseal_body(r->n->seal, c->m[i], &c->plain[i], &c->nplain[i]) != MSG_OK)
		c->m[i]->has_body = false;
	return 0;
}

/* store_item_fn of a case's thread: each message into the case. */
static int
s_thread_item(void *arg, const struct store_item *it)
{
	struct rel *r = arg;
	uint8_t *b = malloc(it->len);

	if (b == NULL)
		return 1;
	memcpy(b, it->bytes, it->len);
	(void)s_slot(r, r->into, b, it->len);
	return r->into->n > RELATED_THREAD;
}

static bool
s_same_soc(void *arg, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN])
{
	const struct node *n = arg;
	return roster_same_soc(n->roster, a, b);
}

/*
 * The case of id into c (r->c or r->o): its incident and at most
 * RELATED_THREAD messages of its thread, whether its origin retracted it
 * and whether it expired (casestate_expired()).  1 when loaded, 0 when id
 * is no incident here, or a negative store error.
 */
static int
s_load(struct rel *r, struct rcase *c, const uint8_t id[MSG_ID_LEN])
{
	const struct msg *const *thread;
	uint8_t *bytes;
	int rc;

	s_rcase_clear(c);
	r->got = NULL;
	if ((rc = store_get(r->n->st, id, s_copy, r)) < 0)
		return rc == STORE_E_NOTFOUND ? 0 : rc;
	if (r->got == NULL)
		return STORE_E_NOMEM;
	bytes = r->got;
	r->got = NULL;
	if (s_slot(r, c, bytes, r->gotlen) == -1)
		return 0;
	if (c->m[0]->kind != MSG_KIND_INCIDENT)
		return 0;
	r->into = c;
	if ((rc = store_by_ref(r->n->st, id, 0, s_thread_item, r)) < 0)
		return rc;
	for (size_t i = 1; i < c->n; i++)
		if (c->m[i]->kind == MSG_KIND_RETRACT && c->m[i]->has_ref &&
		    memcmp(c->m[i]->ref, id, MSG_ID_LEN) == 0 &&
		    memcmp(c->m[i]->origin, c->m[0]->origin, MSG_KEY_LEN) == 0)
			c->retracted = true;
	thread = (const struct msg *const *)c->m + 1;
	c->expired = casestate_expired(c->m[0], thread, c->n - 1, s_same_soc, r->n, r->now);
	return c->expired < 0 ? STORE_E_NOMEM : 1;
}

/* store_item_fn: a message under the key looked up. */
static int
s_hit(void *arg, const struct store_item *it)
{
	struct rel *r = arg;
	struct hit *h;

	if (r->nh == r->caph) {
		if (r->caph == RELATED_HITS) {
			r->truncated = true;
			return 1;
		}
		size_t cap = r->caph ? 2 * r->caph : 256;
		if ((h = realloc(r->h, cap * sizeof *h)) == NULL)
			return 1;
		r->h = h, r->caph = cap;
	}
	h = &r->h[r->nh++];
	memcpy(h->id, it->id, MSG_ID_LEN);
	h->reason = r->reason;
	snprintf(h->text, sizeof h->text, "%s", r->text);
	return 0;
}

/* store_ioc_range_fn: an address inside the case's network. */
static int
s_range_hit(void *arg, const uint8_t *key, size_t klen, const struct store_item *it)
{
	struct rel *r = arg;
	const char *net = r->text;
	char a[64], text[TEXT_MAX];
	int rc;

	if (related_key_text(key, klen, a, sizeof a) == -1)
		return 0;
	snprintf(text, sizeof text, "%s in %.64s", a, net);
	r->text = text;
	rc = s_hit(r, it);
	r->text = net;
	return rc;
}

/* The messages under key (len bytes), clear and sealed, as hits of
 * reason with the words text.  A store error, or 0. */
static int
s_exact(struct rel *r, const void *key, size_t len, enum reason why, const char *text)
{
	uint8_t sk[IOCSEAL_KEY_LEN];
	int rc;

	if ((int)why < r->min_reason)
		return 0;
	r->reason = (uint8_t)why, r->text = text;
	rc = store_by_ioc(r->n->st, key, len, 0, RELATED_PER_KEY, s_hit, r);
	if (rc >= 0 && r->n->seal != NULL) {
		iocseal_key(r->n->seal, key, len, sk);
		rc = store_by_ioc(r->n->st, (const char *)sk, sizeof sk, 0, RELATED_PER_KEY, s_hit,
		    r);
	}
	return rc < 0 ? rc : 0;
}

/* An address key: the same address, and the networks that hold it. */
static int
s_address(struct rel *r, const uint8_t *key, size_t len)
{
	bool v6 = key[0] == KS_IP6;
	char a[64], net[64], text[TEXT_MAX];
	uint8_t nk[18];
	int rc;

	if (related_key_text(key, len, a, sizeof a) == -1)
		return 0;
	if ((rc = s_exact(r, key, len, R_INDICATOR, a)) < 0)
		return rc;
	for (unsigned p = 0; p <= (v6 ? 128u : 32u); p++) {
		size_t nl = related_net_key(nk, v6, key + 1, p);
		if (related_key_text(nk, nl, net, sizeof net) == -1)
			continue;
		snprintf(text, sizeof text, "%s in %s", a, net);
		if ((rc = s_exact(r, nk, nl, R_NETWORK, text)) < 0)
			return rc;
	}
	return 0;
}

/* A network key: the addresses inside it (clear keys: a sealed key keeps
 * no order), and the networks that hold it. */
static int
s_network(struct rel *r, const uint8_t *key, size_t len)
{
	bool v6 = key[0] == KS_NET6;
	char own[64], net[64], text[TEXT_MAX];
	uint8_t lo[17], hi[17], nk[18];
	size_t rl;
	int rc;

	if (related_key_text(key, len, own, sizeof own) == -1 ||
	    (rl = related_net_range(key, len, lo, hi)) == 0 || R_NETWORK < r->min_reason)
		return 0;
	r->reason = R_NETWORK, r->text = own;
	if ((rc = store_ioc_range(r->n->st, lo, rl, hi, rl, RELATED_PER_KEY, s_range_hit, r)) < 0)
		return rc;
	for (unsigned p = 0; p < key[1]; p++) {
		size_t nl = related_net_key(nk, v6, key + 2, p);
		if (related_key_text(nk, nl, net, sizeof net) == -1)
			continue;
		snprintf(text, sizeof text, "%s in %s", own, net);
		if ((rc = s_exact(r, nk, nl, R_NETWORK, text)) < 0)
			return rc;
	}
	return 0;
}

/* The related-case keys of r->scratch (one indicator, or techniques),
 * each looked up for what it finds. */
static int
s_derived(struct rel *r)
{
	char text[TEXT_MAX];
	int rc = 0;

	ks_clear(&r->k);
	if (index_related_keys(&r->k, r->scratch) == -1)
		return STORE_E_NOMEM;
	ks_finish(&r->k);
	for (size_t i = 0; i < r->k.n && rc >= 0; i++) {
		const uint8_t *key = (const uint8_t *)r->k.e[i].value;
		size_t len = r->k.e[i].len;
		if (related_key_text(key, len, text, sizeof text) == -1)
			continue;
		switch (key[0]) {
		case KS_DOMAIN:
			rc = s_exact(r, key, len, R_DOMAIN, text);
			break;
		case KS_IP4:
		case KS_IP6:
			rc = s_address(r, key, len);
			break;
		case KS_NET4:
		case KS_NET6:
			rc = s_network(r, key, len);
			break;
		case KS_ATTACK:
			rc = s_exact(r, key, len, R_TECHNIQUE, text);
			break;
		}
	}
	return rc;
}

/* Whether an indicator is a well-known benign one, that never links. */
static bool
s_benign(const struct rel *r, const struct msg_ioc *x)
{
	return warninglist_match(r->wl, x->type, x->value.p, x->value.n) != NULL;
}

/* The keys of one message of the case: its indicators (each as it is,
 * and what it derives), its techniques. */
static int
s_probe_msg(struct rel *r, const struct msg *m)
{
	struct msg_body *sb = &r->scratch->body;
	int rc;

	sb->category = -1, sb->nsectors = 0;
	r->scratch->time = m->time;
	for (size_t i = 0; i < m->body.nindicators; i++) {
		const struct msg_ioc *x = &m->body.indicators[i];
		char text[TEXT_MAX];
		if (s_benign(r, x))
			continue;
		snprintf(text, sizeof text, "%s:%.*s", ioc_type_name(x->type), (int)x->value.n,
		    x->value.p);
		bool hash = x->type == IOC_MD5 || x->type == IOC_SHA1 || x->type == IOC_SHA256;
		if ((rc = s_exact(r, x->value.p, x->value.n, hash ? R_HASH : R_INDICATOR, text)) <
		    0)
			return rc;
		sb->nattack = 0, sb->nindicators = 1, sb->indicators[0] = *x;
		if ((rc = s_derived(r)) < 0)
			return rc;
	}
	sb->nindicators = 0, sb->nattack = m->body.nattack;
	memcpy(sb->attack, m->body.attack, m->body.nattack * sizeof sb->attack[0]);
	return m->body.nattack > 0 ? s_derived(r) : 0;
}

/* The case's category and sectors, within RELATED_WINDOW_DAYS days. */
static int
s_probe_window(struct rel *r, const struct msg *m)
{
	const struct msg_body *b = &m->body;
	uint8_t key[1 + 1 + 4 + MSG_MAX_TOKEN];
	char text[TEXT_MAX];
	uint64_t day = m->time / RELATED_DAY_MS;
	int rc;

	if (b->category < 0 || R_CASE < r->min_reason)
		return 0;
	key[0] = KS_CASE, key[1] = (uint8_t)b->category;
	for (size_t i = 0; i < b->nsectors; i++) {
		size_t n = b->sectors[i].n < MSG_MAX_TOKEN ? b->sectors[i].n : MSG_MAX_TOKEN;
		snprintf(text, sizeof text, "%s/%.*s",
		    msg_category_name((enum msg_category)b->category), (int)n, b->sectors[i].p);
		memcpy(key + 6, b->sectors[i].p, n);
		for (uint64_t d = day > RELATED_WINDOW_DAYS ? day - RELATED_WINDOW_DAYS : 0;
		     d <= day + RELATED_WINDOW_DAYS; d++) {
			key[2] = (uint8_t)(d >> 24), key[3] = (uint8_t)(d >> 16);
			key[4] = (uint8_t)(d >> 8), key[5] = (uint8_t)d;
			if ((rc = s_exact(r, key, 6 + n, R_CASE, text)) < 0)
				return rc;
		}
	}
	return 0;
}

/* Every key of r->c: of its incident and of the updates and comments of
 * its origin's SOC (indicators add to a case). */
static int
s_probe(struct rel *r)
{
	const struct rcase *c = &r->c;
	int rc;

	r->nh = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct msg *m = c->m[i];
		if (!m->has_body ||
		    (m->kind != MSG_KIND_INCIDENT && m->kind != MSG_KIND_UPDATE &&
		        m->kind != MSG_KIND_COMMENT) ||
		    !roster_same_soc(r->n->roster, m->origin, c->m[0]->origin))
			continue;
		if ((rc = s_probe_msg(r, m)) < 0)
			return rc;
	}
	return s_probe_window(r, c->m[0]);
}

static int
s_by_id(const void *a, const void *b)
{
	return memcmp(a, b, MSG_ID_LEN);
}

/* Whether id is one of r->c's messages. */
static bool
s_own(const struct rel *r, const uint8_t id[MSG_ID_LEN])
{
	for (size_t i = 0; i < r->c.n; i++)
		if (memcmp(r->c.m[i]->id, id, MSG_ID_LEN) == 0)
			return true;
	return false;
}

/*
 * The case of each hit into r->hcase (all zero: none, its own, expired
 * or not a case's), each distinct message decoded once, at most
 * RELATED_DECODES of them.  0, or a store error.
 */
static int
s_resolve(struct rel *r)
{
	static const uint8_t none[MSG_ID_LEN];
	size_t decodes = 0;
	int rc;

	free(r->hcase);
	if ((r->hcase = calloc(r->nh ? r->nh : 1, MSG_ID_LEN)) == NULL)
		return STORE_E_NOMEM;
	if (r->nh > 1)
		qsort(r->h, r->nh, sizeof *r->h, s_by_id);
	for (size_t i = 0; i < r->nh; i++) {
		if (i > 0 && memcmp(r->h[i].id, r->h[i - 1].id, MSG_ID_LEN) == 0) {
			memcpy(r->hcase[i], r->hcase[i - 1], MSG_ID_LEN);
			continue;
		}
		if (s_own(r, r->h[i].id))
			continue;
		if (decodes++ == RELATED_DECODES) {
			r->truncated = true;
			break;
		}
		s_rcase_clear(&r->o);
		r->got = NULL;
		if ((rc = store_get(r->n->st, r->h[i].id, s_copy, r)) == STORE_E_NOTFOUND)
			continue;
		if (rc < 0 || r->got == NULL)
			return rc < 0 ? rc : STORE_E_NOMEM;
		uint8_t *bytes = r->got;
		r->got = NULL;
		if (s_slot(r, &r->o, bytes, r->gotlen) == -1)
			continue;
		const struct msg *m = r->o.m[0];
		if (msg_expired(m, r->now) && !r->include_expired)
			continue;
		if (m->kind == MSG_KIND_INCIDENT)
			memcpy(r->hcase[i], m->id, MSG_ID_LEN);
		else if ((m->kind == MSG_KIND_UPDATE || m->kind == MSG_KIND_COMMENT) && m->has_ref)
			memcpy(r->hcase[i], m->ref, MSG_ID_LEN);
		if (memcmp(r->hcase[i], r->c.m[0]->id, MSG_ID_LEN) == 0)
			memcpy(r->hcase[i], none, MSG_ID_LEN);
	}
	return 0;
}

/* A node by name: this node's, a trust-list name, else its id in hex. */
static json_t *
s_soc(const struct node *n, const uint8_t key[MSG_KEY_LEN])
{
	const struct trust_peer *p;
	char hex[2 * MSG_KEY_LEN + 1];

	if (roster_same_soc(n->roster, key, n->id))
		return json_string(n->cfg.name);
	if ((p = trust_find_id(n->trust, key)) != NULL)
		return json_string(p->name);
	hex_encode(hex, key, MSG_KEY_LEN);
	return json_string(hex);
}

static json_t *
s_sectors(const struct msg_body *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nsectors; i++)
		json_array_append_new(a, json_stringn(b->sectors[i].p, b->sectors[i].n));
	return a;
}

static json_t *
s_time(uint64_t ms)
{
	char when[TIMEFMT_LEN];

	timefmt_format(when, ms);
	return json_string(when);
}

/* The summary of a loaded case: id, title, soc, origin, sectors, time,
 * tlp, expired. */
static json_t *
s_case_json(const struct rel *r, const struct rcase *c)
{
	const struct msg *m = c->m[0];
	char hex[2 * MSG_ID_LEN + 1], oh[2 * MSG_KEY_LEN + 1];

	hex_encode(hex, m->id, MSG_ID_LEN);
	hex_encode(oh, m->origin, MSG_KEY_LEN);
	return json_pack("{s:s,s:s%,s:o,s:s,s:o,s:o,s:s,s:b}", "id", hex, "title",
	    m->body.title.p ? m->body.title.p : "", m->body.title.n, "soc", s_soc(r->n, m->origin),
	    "origin", oh, "sectors", s_sectors(&m->body), "time", s_time(m->time), "tlp",
	    msg_tlp_name(m->tlp), "expired", c->expired == 1);
}

/* Orders hits by their case, then by reason, strongest first. */
struct hitref {
	const uint8_t *cs;
	const struct hit *h;
};

static int
s_by_case(const void *pa, const void *pb)
{
	const struct hitref *a = pa, *b = pb;
	int c = memcmp(a->cs, b->cs, MSG_ID_LEN);

	if (c != 0)
		return c;
	if (a->h->reason != b->h->reason)
		return a->h->reason > b->h->reason ? -1 : 1;
	return strcmp(a->h->text, b->h->text);
}

/* The reasons of one related case (its hits from v[0] to v[n - 1]): each
 * shared thing once, at its strongest reason; its score into *score. */
static json_t *
s_reasons(const struct hitref *v, size_t n, int *score)
{
	json_t *a = json_array(), *o;
	size_t j;

	*score = 0;
	for (size_t i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(v[j].h->text, v[i].h->text) != 0; j++)
			;
		if (j < i)
			continue;
		*score += s_weight[v[i].h->reason];
		o = json_pack("{s:s,s:s,s:i}", "reason", s_reason[v[i].h->reason], "match",
		    v[i].h->text, "weight", s_weight[v[i].h->reason]);
		json_array_append_new(a, o);
	}
	return a;
}

static int
s_by_score(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t x = json_integer_value(json_object_get(a, "score")),
	           y = json_integer_value(json_object_get(b, "score"));

	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(b, "time")),
	    json_string_value(json_object_get(a, "time")));
}

/* The hits of one related case (v[i] to v[j - 1]) and their score. */
struct rgroup {
	size_t i, j;
	int score;
};

static int
s_by_group_score(const void *pa, const void *pb)
{
	const struct rgroup *a = pa, *b = pb;

	return a->score != b->score ? (a->score > b->score ? -1 : 1) : (a->i < b->i ? -1 : 1);
}

/*
 * The related cases of r->c, ranked, at most limit, into an array: the
 * hits grouped by case and scored, then the cases loaded best first
 * (retracted and expired ones skipped), at most RELATED_CASES loads.
 */
static int
s_related_cases(struct rel *r, size_t limit, json_t **out)
{
	static const uint8_t none[MSG_ID_LEN];
	struct hitref *v = malloc((r->nh ? r->nh : 1) * sizeof *v);
	struct rgroup *g = malloc((r->nh ? r->nh : 1) * sizeof *g);
	json_t **res = calloc(limit, sizeof *res), *reasons;
	size_t nv = 0, ng = 0, nres = 0, loads = 0;
	int rc = 0;

	*out = NULL;
	if (v == NULL || g == NULL || res == NULL) {
		free(v), free(g), free(res);
		return STORE_E_NOMEM;
	}
	for (size_t i = 0; i < r->nh; i++)
		if (memcmp(r->hcase[i], none, MSG_ID_LEN) != 0)
			v[nv++] = (struct hitref){ r->hcase[i], &r->h[i] };
	qsort(v, nv, sizeof *v, s_by_case);
	for (size_t i = 0, j; i < nv; i = j) {
		for (j = i + 1; j < nv && memcmp(v[j].cs, v[i].cs, MSG_ID_LEN) == 0; j++)
			;
		g[ng] = (struct rgroup){ i, j, 0 };
		json_decref(s_reasons(v + i, j - i, &g[ng].score));
		ng++;
	}
	qsort(g, ng, sizeof *g, s_by_group_score);
	for (size_t k = 0; k < ng && nres < limit && rc >= 0; k++) {
		if (loads++ == RELATED_CASES) {
			r->truncated = true;
			break;
		}
		if ((rc = s_load(r, &r->o, v[g[k].i].cs)) <= 0 || r->o.retracted ||
		    (r->o.expired == 1 && !r->include_expired) || !r->o.m[0]->has_body)
			continue;
		int score;
		res[nres] = s_case_json(r, &r->o);
		reasons = s_reasons(v + g[k].i, g[k].j - g[k].i, &score);
		json_object_set_new(res[nres], "reasons", reasons);
		json_object_set_new(res[nres], "score", json_integer(score));
		nres++;
	}
	free(v);
	free(g);
	if (rc >= 0) {
		qsort(res, nres, sizeof *res, s_by_score);
		*out = json_array();
	}
	for (size_t i = 0; i < nres; i++)
		if (rc >= 0)
			json_array_append_new(*out, res[i]);
		else
			json_decref(res[i]);
	free(res);
	return rc < 0 ? rc : 0;
}

static int
s_rel_init(struct rel *r, struct node *n, const struct warninglists *wl, json_t *req, int min)
{
	memset(r, 0, sizeof *r);
	r->n = n, r->wl = wl, r->now = now_ms(), r->min_reason = min;
	r->include_expired = json_is_true(json_object_get(req, "include_expired"));
	if ((r->scratch = msg_new()) == NULL)
		return -1;
	msg_clear(r->scratch);
	r->scratch->has_body = true;
	return 0;
}

static void
s_rel_free(struct rel *r)
{
	s_rcase_free(&r->c);
	s_rcase_free(&r->o);
	msg_destroy(&r->scratch);
	ks_free(&r->k);
	free(r->h);
	free(r->hcase);
	free(r->got);
}

/* The fields of a request: only those in known, of the right types. */
static json_t *
s_check(json_t *req, const char *const *known)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(req, key, v)
	{
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (strcmp(key, "cmd") != 0 && known[i] == NULL)
			return control_error("unknown field \"%s\"", key);
		if (strcmp(key, "include_expired") == 0 && !json_is_boolean(v))
			return control_error("%s", "\"include_expired\" is not true or false");
	}
	return NULL;
}

static json_t *
s_store_error(int rc)
{
	return control_error("the store cannot be read: %s", store_strerror(rc));
}

/* related: the cases related to "id" (a case, or a message of one). */
static json_t *
s_related(struct node *n, const struct warninglists *wl, json_t *req)
{
	static const char *const fields[] = { "id", "limit", "include_expired", NULL };
	json_t *e, *lim = json_object_get(req, "limit"), *cases = NULL, *rep;
	json_int_t limit = RELATED_LIMIT;
	uint8_t id[MSG_ID_LEN];
	struct rel r;
	int rc;

	if ((e = s_check(req, fields)) != NULL)
		return e;
	if (id_parse(id, json_string_value(json_object_get(req, "id"))) == -1)
		return control_error("%s", "\"id\" is not a message id");
	if (lim != NULL &&
	    (!json_is_integer(lim) || (limit = json_integer_value(lim)) < 1 ||
	        limit > RELATED_CASES))
		return control_error("\"limit\" is not a number from 1 to %d", RELATED_CASES);
	if (s_rel_init(&r, n, wl, req, R_CASE) == -1) {
		s_rel_free(&r);
		return control_error("%s", "out of memory");
	}
	rc = s_load(&r, &r.c, id);
	/* An update or comment: its case. */
	if (rc == 0 && r.c.n > 0 && r.c.m[0]->has_ref &&
	    (r.c.m[0]->kind == MSG_KIND_UPDATE || r.c.m[0]->kind == MSG_KIND_COMMENT)) {
		memcpy(id, r.c.m[0]->ref, MSG_ID_LEN);
		rc = s_load(&r, &r.c, id);
	}
	if (rc == 0)
		rep = r.c.n == 0 ? control_error("no message %s here",
		                       json_string_value(json_object_get(req, "id")))
		                 : control_error("%s",
		                       "not a case: related takes an incident, "
		                       "or an update or comment of one");
	else if (rc > 0 && !r.c.m[0]->has_body)
		rep = control_error("%s",
		    "the case is sealed to other SOCs: this node cannot read it");
	else if (rc < 0 || (rc = s_probe(&r)) < 0 || (rc = s_resolve(&r)) < 0 ||
	    (rc = s_related_cases(&r, (size_t)limit, &cases)) < 0)
		rep = s_store_error(rc);
	else
		rep = json_pack("{s:b,s:o,s:o,s:b}", "ok", 1, "case", s_case_json(&r, &r.c),
		    "related", cases, "truncated", r.truncated);
	s_rel_free(&r);
	return rep;
}

/* ---- campaigns ------------------------------------------------------------ */

/* A case of the window. */
struct wcase {
	uint8_t id[MSG_ID_LEN];
	uint8_t origin[MSG_KEY_LEN];
	uint64_t time;
	size_t parent; /* union-find */
	json_t *sectors, *links;
};

struct window {
	struct rel *r;
	struct wcase *v;
	size_t n, seen;
	uint8_t (*ids)[MSG_ID_LEN]; /* incidents met by the walk */
	size_t nids;
};

/* store_item_fn of the walk: an incident's id, from its envelope. */
static int
s_window_item(void *arg, const struct store_item *it)
{
	struct window *w = arg;

	if (++w->seen > CAMPAIGN_WALK) {
		w->r->truncated = true;
		return 1;
	}
	if (msg_decode(w->r->scratch, it->bytes, it->len, 0) == MSG_OK &&
	    w->r->scratch->kind == MSG_KIND_INCIDENT) {
		if (w->nids == CAMPAIGN_CASES) {
			w->r->truncated = true;
			return 1;
		}
		memcpy(w->ids[w->nids++], it->id, MSG_ID_LEN);
	}
	return 0;
}

static size_t
s_find(struct wcase *v, size_t i)
{
	while (v[i].parent != i)
		i = v[i].parent = v[v[i].parent].parent;
	return i;
}

static int
s_wcase_cmp(const void *a, const void *b)
{
	return memcmp(((const struct wcase *)a)->id, ((const struct wcase *)b)->id, MSG_ID_LEN);
}

/* Adds s to the array a unless it is there already, a keeping at most
 * max strings. */
static void
s_add_text(json_t *a, const char *s, size_t max)
{
	json_t *x;
	size_t i;

	json_array_foreach(a, i, x) if (strcmp(json_string_value(x), s) == 0) return;
	if (json_array_size(a) < max)
		json_array_append_new(a, json_string(s));
}

/* The cases of the window that this node reads, not retracted, not
 * expired unless asked. */
static int
s_window(struct rel *r, struct window *w, uint64_t since)
{
	int rc;

	w->r = r;
	if ((w->ids = calloc(CAMPAIGN_CASES, MSG_ID_LEN)) == NULL ||
	    (w->v = calloc(CAMPAIGN_CASES, sizeof *w->v)) == NULL)
		return STORE_E_NOMEM;
	if ((rc = store_range(r->n->st, since, r->now, true, NULL, 0, s_window_item, w, NULL)) < 0)
		return rc;
	msg_clear(r->scratch);
	r->scratch->has_body = true;
	for (size_t i = 0; i < w->nids; i++) {
		if ((rc = s_load(r, &r->o, w->ids[i])) < 0)
			return rc;
		if (rc == 0 || r->o.retracted || !r->o.m[0]->has_body ||
		    (r->o.expired == 1 && !r->include_expired))
			continue;
		struct wcase *c = &w->v[w->n++];
		memcpy(c->id, w->ids[i], MSG_ID_LEN);
		memcpy(c->origin, r->o.m[0]->origin, MSG_KEY_LEN);
		c->time = r->o.m[0]->time;
		c->sectors = s_sectors(&r->o.m[0]->body);
		c->links = json_array();
	}
	qsort(w->v, w->n, sizeof *w->v, s_wcase_cmp);
	for (size_t i = 0; i < w->n; i++)
		w->v[i].parent = i;
	return 0;
}

/* Joins the cases of the window that share or relate indicators. */
static int
s_join(struct rel *r, struct window *w)
{
	static const uint8_t none[MSG_ID_LEN];
	int rc = 0;

	for (size_t i = 0; i < w->n; i++) {
		if ((rc = s_load(r, &r->c, w->v[i].id)) < 0)
			return rc;
		if (rc == 0)
			continue;
		if ((rc = s_probe(r)) < 0 || (rc = s_resolve(r)) < 0)
			return rc;
		for (size_t h = 0; h < r->nh; h++) {
			struct wcase key, *o;
			if (memcmp(r->hcase[h], none, MSG_ID_LEN) == 0)
				continue;
			memcpy(key.id, r->hcase[h], MSG_ID_LEN);
			if ((o = bsearch(&key, w->v, w->n, sizeof *w->v, s_wcase_cmp)) == NULL)
				continue;
			size_t a = s_find(w->v, i), b = s_find(w->v, (size_t)(o - w->v));
			if (a != b)
				w->v[a > b ? a : b].parent = a < b ? a : b;
			s_add_text(w->v[i].links, r->h[h].text, CAMPAIGN_TEXTS);
		}
	}
	return rc < 0 ? rc : 0;
}

static int
s_by_size(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	size_t x = json_array_size(json_object_get(a, "cases")),
	       y = json_array_size(json_object_get(b, "cases"));

	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(b, "last_seen")),
	    json_string_value(json_object_get(a, "last_seen")));
}

/* The groups of the window with cases of two SOCs or more, largest
 * first; only the one with case only when only is not NULL. */
static json_t *
s_groups(struct rel *r, struct window *w, const uint8_t *only)
{
	json_t **g = calloc(w->n ? w->n : 1, sizeof *g), *out = json_array();
	size_t ng = 0;
	char hex[2 * MSG_ID_LEN + 1];

	for (size_t root = 0; g != NULL && root < w->n; root++) {
		if (s_find(w->v, root) != root)
			continue;
		uint8_t(*socs)[MSG_KEY_LEN] = malloc(w->n * MSG_KEY_LEN);
		json_t *cases = json_array(), *sn = json_array(), *sectors = json_array(),
		       *links = json_array(), *x;
		uint64_t first = UINT64_MAX, last = 0;
		size_t nsocs = 0, k;
		bool wanted = only == NULL;
		for (size_t i = 0; socs != NULL && i < w->n; i++) {
			const struct wcase *c = &w->v[i];
			if (s_find(w->v, i) != root)
				continue;
			hex_encode(hex, c->id, MSG_ID_LEN);
			json_array_append_new(cases, json_string(hex));
			wanted |= only != NULL && memcmp(only, c->id, MSG_ID_LEN) == 0;
			first = c->time < first ? c->time : first;
			last = c->time > last ? c->time : last;
			json_array_foreach(c->sectors, k, x)
			    s_add_text(sectors, json_string_value(x), 64);
			json_array_foreach(c->links, k, x)
			    s_add_text(links, json_string_value(x), CAMPAIGN_TEXTS);
			for (k = 0; k < nsocs && !roster_same_soc(r->n->roster, socs[k], c->origin);
			     k++)
				;
			if (k == nsocs) {
				memcpy(socs[nsocs++], c->origin, MSG_KEY_LEN);
				json_array_append_new(sn, s_soc(r->n, c->origin));
			}
		}
		free(socs);
		if (nsocs < 2 || !wanted) {
			json_decref(cases), json_decref(sn), json_decref(sectors),
			    json_decref(links);
			continue;
		}
		g[ng++] = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "socs", sn, "sectors", sectors,
		    "first_seen", s_time(first), "last_seen", s_time(last), "indicators", links,
		    "cases", cases);
	}
	if (g != NULL)
		qsort(g, ng, sizeof *g, s_by_size);
	for (size_t i = 0; i < ng; i++)
		json_array_append_new(out, g[i]);
	free(g);
	return out;
}

/* campaigns: groups of cases since "since" joined by shared or related
 * indicators, with cases of two SOCs or more. */
static json_t *
s_campaigns(struct node *n, const struct warninglists *wl, json_t *req)
{
	static const char *const fields[] = { "since", "id", "include_expired", NULL };
	json_t *e, *s = json_object_get(req, "since"), *rep;
	struct window w = { 0 };
	uint8_t only[MSG_ID_LEN];
	uint64_t since;
	struct rel r;
	int rc;

	if ((e = s_check(req, fields)) != NULL)
		return e;
	if (s != NULL && (!json_is_integer(s) || json_integer_value(s) < 0))
		return control_error("%s", "\"since\" is not a time (ms since the epoch)");
	if (json_object_get(req, "id") != NULL &&
	    id_parse(only, json_string_value(json_object_get(req, "id"))) == -1)
		return control_error("%s", "\"id\" is not a message id");
	if (s_rel_init(&r, n, wl, req, R_LINKS) == -1) {
		s_rel_free(&r);
		return control_error("%s", "out of memory");
	}
	since = s != NULL ? (uint64_t)json_integer_value(s)
	                  : (r.now > CAMPAIGN_SINCE_MS ? r.now - CAMPAIGN_SINCE_MS : 0);
	if ((rc = s_window(&r, &w, since)) < 0 || (rc = s_join(&r, &w)) < 0)
		rep = s_store_error(rc);
	else
		rep = json_pack("{s:b,s:o,s:I,s:b}", "ok", 1, "campaigns",
		    s_groups(&r, &w, json_object_get(req, "id") != NULL ? only : NULL), "cases",
		    (json_int_t)w.n, "truncated", r.truncated);
	for (size_t i = 0; i < w.n; i++) {
		json_decref(w.v[i].sectors);
		json_decref(w.v[i].links);
	}
	free(w.v);
	free(w.ids);
	s_rel_free(&r);
	return rep;
}

json_t *
control_related(struct node *n, const struct warninglists *wl, const char *cmd, json_t *req)
{
	if (strcmp(cmd, "related") == 0)
		return s_related(n, wl, req);
	if (strcmp(cmd, "campaigns") == 0)
		return s_campaigns(n, wl, req);
	return NULL;
}
