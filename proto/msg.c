#include "msg.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "utf8.h"

/* ---- names ---------------------------------------------------------- */

static const char *const s_tlp[MSG_TLP_COUNT] = { "clear", "green", "amber", "amber+strict",
	"red" };
static const char *const s_kind[MSG_KIND_COUNT] = { "incident", "update", "sighting", "retract",
	"roster", "approve", "endpoints", "beacon", "rotate", "comment" };
static const char *const s_category[MSG_CAT_COUNT] = {
	"abusive-content",
	"malicious-code",
	"information-gathering",
	"intrusion-attempts",
	"intrusions",
	"availability",
	"information-content-security",
	"fraud",
	"vulnerable",
	"other",
	"test",
};
static const char *const s_severity[MSG_SEV_COUNT] = { "low", "medium", "high", "very-high",
	"critical" };
static const char *const s_status[MSG_STATUS_COUNT] = { "open", "contained", "resolved",
	"false-positive" };
static const char *const s_level[MSG_LEVEL_COUNT] = { "blocked", "external", "member" };

static int
s_lookup(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}

#define NAMES(fn, type, table, count)                                                              \
	const char *fn##_name(type v)                                                              \
	{                                                                                          \
		return (unsigned)v < (count) ? table[v] : "?";                                     \
	}                                                                                          \
	int fn##_parse(const char *s, size_t n)                                                    \
	{                                                                                          \
		return s_lookup(table, (count), s, n);                                             \
	}
NAMES(msg_tlp, enum msg_tlp, s_tlp, MSG_TLP_COUNT)
NAMES(msg_kind, enum msg_kind, s_kind, MSG_KIND_COUNT)
NAMES(msg_category, enum msg_category, s_category, MSG_CAT_COUNT)
NAMES(msg_severity, enum msg_severity, s_severity, MSG_SEV_COUNT)
NAMES(msg_status, enum msg_status, s_status, MSG_STATUS_COUNT)
NAMES(msg_level, enum msg_level, s_level, MSG_LEVEL_COUNT)

bool
msg_tlp_addressed(enum msg_tlp t)
{
	return t == MSG_TLP_AMBER || t == MSG_TLP_AMBER_STRICT || t == MSG_TLP_RED;
}

bool
msg_kind_governs(enum msg_kind k)
{
	return k == MSG_KIND_ROSTER || k == MSG_KIND_APPROVE || k == MSG_KIND_ENDPOINTS;
}

bool
msg_kind_kept(enum msg_kind k)
{
	return msg_kind_governs(k) || k == MSG_KIND_ROTATE;
}

void
msg_rotate_signed(uint8_t out[MSG_ROTATE_SIGNED], const uint8_t old_key[MSG_KEY_LEN],
    const uint8_t new_key[MSG_KEY_LEN])
{
	memcpy(out, MSG_ROTATE_TAG, sizeof MSG_ROTATE_TAG - 1);
	memcpy(out + sizeof MSG_ROTATE_TAG - 1, old_key, MSG_KEY_LEN);
	memcpy(out + sizeof MSG_ROTATE_TAG - 1 + MSG_KEY_LEN, new_key, MSG_KEY_LEN);
}

static const struct {
	const char *name, *text;
} s_errors[] = {
	{ "ok", "success" },
	{ "too-big", "message larger than the size limit" },
	{ "truncated", "message ends inside an element" },
	{ "bad-type", "element of the wrong type" },
	{ "non-canonical", "not the canonical encoding" },
	{ "bad-version", "unknown protocol version" },
	{ "bad-field", "missing, unknown or misplaced field" },
	{ "bad-length", "string or binary of the wrong length" },
	{ "bad-text", "text that is not valid UTF-8 or holds control characters" },
	{ "bad-tlp", "unknown TLP, or a TLP not allowed for this kind" },
	{ "bad-kind", "unknown kind" },
	{ "bad-recipients", "recipients missing, forbidden, too many, unsorted or repeated" },
	{ "bad-indicators", "too many, unsorted or repeated indicators" },
	{ "bad-indicator", "indicator of unknown type, invalid or not normalized" },
	{ "bad-category", "unknown category" },
	{ "bad-severity", "unknown severity or impact" },
	{ "bad-status", "unknown status" },
	{ "bad-ref", "reference missing or not allowed for this kind" },
	{ "too-many", "too many sectors, ATT&CK techniques or actions" },
	{ "bad-token", "malformed sector, incident type, ATT&CK technique or name" },
	{ "bad-signature", "signature does not verify" },
	{ "bad-sealed", "sealed body malformed or missing" },
	{ "not-recipient", "this node is not a recipient" },
	{ "decrypt-failed", "sealed body does not decrypt" },
	{ "bad-level", "unknown trust level" },
	{ "no-memory", "out of memory" },
	{ "invalid", "invalid arguments" },
};

const char *
msg_strerror(int err)
{
	return (err <= 0 && err >= MSG_E_LAST) ? s_errors[-err].text : "unknown error";
}

const char *
msg_errname(int err)
{
	return (err <= 0 && err >= MSG_E_LAST) ? s_errors[-err].name : "unknown";
}

/* ---- lifecycle ------------------------------------------------------ */

struct msg *
msg_new(void)
{
	struct msg *m = malloc(sizeof *m);
	if (m != NULL)
		msg_clear(m);
	return m;
}

void
msg_destroy(struct msg **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	free(*mp);
	*mp = NULL;
}

/* A body with every field absent. */
static void
s_body_clear(struct msg_body *b)
{
	memset(b, 0, sizeof *b);
	b->category = b->severity = b->impact = b->status = -1;
}

void
msg_clear(struct msg *m)
{
	memset(m, 0, sizeof *m);
	s_body_clear(&m->body);
}

bool
msg_is_recipient(const struct msg *m, const uint8_t key[MSG_KEY_LEN])
{
	for (size_t i = 0; i < m->nto; i++)
		if (memcmp(m->to[i], key, MSG_KEY_LEN) == 0)
			return true;
	return false;
}

/* ---- field rules, shared by the decoder and the encoder ---------------- */

static int
s_text(struct msg_str s, size_t max, unsigned flags)
{
	if (s.n > max)
		return MSG_E_LENGTH;
	return utf8_valid(s.p, s.n, flags) ? MSG_OK : MSG_E_UTF8;
}

/* Lower-case letters, digits and '-': sectors and incident types. */
static bool
s_is_token(struct msg_str s)
{
	if (s.n == 0 || s.n > MSG_MAX_TOKEN)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* ATT&CK technique: T1234 or T1234.567. */
static bool
s_is_technique(struct msg_str s)
{
	if ((s.n != 5 && s.n != 9) || s.p[0] != 'T')
		return false;
	for (size_t i = 1; i < s.n; i++)
		if (!(i == 5 ? s.p[i] == '.' : (s.p[i] >= '0' && s.p[i] <= '9')))
			return false;
	return true;
}

/* Roster names: the trust list's charset. */
static bool
s_is_name(struct msg_str s)
{
	if (s.n == 0 || s.n > 63)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Byte order, a shorter prefix first. */
static int
s_strcmp(struct msg_str a, struct msg_str b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
	return c != 0 ? c : (a.n > b.n) - (a.n < b.n);
}

static int
s_ioc_cmp(const struct msg_ioc *a, const struct msg_ioc *b)
{
	const char *ta = ioc_type_name(a->type), *tb = ioc_type_name(b->type);
	int c = strcmp(ta, tb);
	return c != 0 ? c : s_strcmp(a->value, b->value);
}

static int
s_ioc_qsort(const void *a, const void *b)
{
	return s_ioc_cmp(a, b);
}

static int
s_str_qsort(const void *a, const void *b)
{
	return s_strcmp(*(const struct msg_str *)a, *(const struct msg_str *)b);
}

/* A sorted set: strictly ascending. */
static bool
s_strictly_sorted(const struct msg_str *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (s_strcmp(v[i - 1], v[i]) >= 0)
			return false;
	return true;
}

static int
s_check_indicators(const struct msg_body *b)
{
	char norm[IOC_MAX_VALUE + 1];

	if (b->nindicators > MSG_MAX_INDICATORS)
		return MSG_E_INDICATORS;
	for (size_t i = 0; i < b->nindicators; i++) {
		const struct msg_ioc *c = &b->indicators[i];
		int n = ioc_normalize(c->type, c->value.p, c->value.n, norm, sizeof norm);
		if (n < 0 || (size_t)n != c->value.n || memcmp(norm, c->value.p, c->value.n) != 0)
			return MSG_E_INDICATOR;
		if (i > 0 && s_ioc_cmp(&b->indicators[i - 1], c) >= 0)
			return MSG_E_INDICATORS;
	}
	return MSG_OK;
}

size_t
msg_case_fields(const struct msg_body *b)
{
	return (b->title.n > 0) + (b->summary.n > 0) + (b->category >= 0) + (b->type.n > 0) +
	    (b->severity >= 0) + (b->impact >= 0) + (b->status >= 0) + (b->nsectors > 0) +
	    (b->scope.n > 0) + (b->nindicators > 0) + (b->nattack > 0) + (b->nactions > 0) +
	    (b->detection.n > 0) + (b->effects.n > 0) + (b->response.n > 0) + (b->lessons.n > 0) +
	    (b->expires > 0) + b->has_lead;
}

bool
msg_has_lessons(const struct msg_body *b)
{
	return b->detection.n > 0 || b->effects.n > 0 || b->response.n > 0 || b->lessons.n > 0;
}

bool
msg_expired(const struct msg *m, uint64_t now)
{
	return m->has_body && m->body.expires > 0 && m->body.expires <= now;
}

/* An incident has its four required fields and no lead; an update any
 * field, at least one. */
static int
s_check_case(enum msg_kind kind, const struct msg_body *b)
{
	int err;

	if (kind == MSG_KIND_INCIDENT ? b->title.n == 0 || b->category < 0 || b->severity < 0 ||
	            b->status < 0 || b->has_lead
	                              : msg_case_fields(b) == 0)
		return MSG_E_FIELD;
	if ((err = s_text(b->title, MSG_MAX_TITLE, 0)) != MSG_OK ||
	    (err = s_text(b->summary, MSG_MAX_SUMMARY, UTF8_MULTILINE)) != MSG_OK ||
	    (err = s_text(b->scope, MSG_MAX_SCOPE, UTF8_MULTILINE)) != MSG_OK ||
	    (err = s_text(b->detection, MSG_MAX_SUMMARY, UTF8_MULTILINE)) != MSG_OK ||
	    (err = s_text(b->effects, MSG_MAX_SUMMARY, UTF8_MULTILINE)) != MSG_OK ||
	    (err = s_text(b->response, MSG_MAX_SUMMARY, UTF8_MULTILINE)) != MSG_OK ||
	    (err = s_text(b->lessons, MSG_MAX_SUMMARY, UTF8_MULTILINE)) != MSG_OK)
		return err;
	if (b->category < -1 || b->category >= MSG_CAT_COUNT)
		return MSG_E_CATEGORY;
	if (b->severity < -1 || b->severity >= MSG_SEV_COUNT || b->impact < -1 ||
	    b->impact >= MSG_SEV_COUNT)
		return MSG_E_SEVERITY;
	if (b->status < -1 || b->status >= MSG_STATUS_COUNT)
		return MSG_E_STATUS;
	if (b->type.n > 0 && !s_is_token(b->type))
		return MSG_E_TOKEN;
	if (b->nsectors > MSG_MAX_SECTORS || b->nattack > MSG_MAX_ATTACK ||
	    b->nactions > MSG_MAX_ACTIONS)
		return MSG_E_COUNT;
	for (size_t i = 0; i < b->nsectors; i++)
		if (!s_is_token(b->sectors[i]))
			return MSG_E_TOKEN;
	for (size_t i = 0; i < b->nattack; i++)
		if (!s_is_technique(b->attack[i]))
			return MSG_E_TOKEN;
	if (!s_strictly_sorted(b->sectors, b->nsectors) ||
	    !s_strictly_sorted(b->attack, b->nattack))
		return MSG_E_NONCANONICAL;
	for (size_t i = 0; i < b->nactions; i++) {
		if (b->actions[i].n == 0)
			return MSG_E_LENGTH;
		if ((err = s_text(b->actions[i], MSG_MAX_ACTION, 0)) != MSG_OK)
			return err;
	}
	return s_check_indicators(b);
}

/* Entries of a roster or an endpoints message: ids in strictly ascending
 * byte order. */
static bool
s_members_sorted(const struct msg_body *b)
{
	for (size_t i = 1; i < b->nmembers; i++)
		if (memcmp(b->members[i - 1].id, b->members[i].id, MSG_KEY_LEN) >= 0)
			return false;
	return true;
}

/* The membership form of a roster: a network name, an epoch, a threshold
 * that the coordinators listed can meet, members of unique names. */
static int
s_check_roster(const struct msg_body *b)
{
	size_t coordinators = 0;

	if (!s_is_name(b->network))
		return MSG_E_TOKEN;
	if (b->nmembers == 0 || b->nmembers > MSG_MAX_MEMBERS)
		return MSG_E_COUNT;
	for (size_t i = 0; i < b->nmembers; i++) {
		const struct msg_member *e = &b->members[i];
		if ((unsigned)e->level >= MSG_LEVEL_COUNT)
			return MSG_E_LEVEL;
		if (!s_is_name(e->name))
			return MSG_E_TOKEN;
		for (size_t j = 0; j < i; j++)
			if (s_strcmp(e->name, b->members[j].name) == 0)
				return MSG_E_TOKEN;
		coordinators += e->coordinator;
	}
	if (b->threshold == 0 || b->threshold > coordinators)
		return MSG_E_COUNT;
	return s_members_sorted(b) ? MSG_OK : MSG_E_NONCANONICAL;
}

/* An endpoint: "tcp://" and printable ASCII without spaces; the node
 * checks the rest (config_valid_endpoint()) before it dials one. */
static bool
s_is_endpoint(struct msg_str s)
{
	if (s.n <= 6 || s.n > MSG_MAX_ENDPOINT || memcmp(s.p, "tcp://", 6) != 0)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] <= ' ' || s.p[i] > '~')
			return false;
	return true;
}

static int
s_check_body(enum msg_tlp tlp, enum msg_kind kind, const struct msg_body *b)
{
	int err;

	switch (kind) {
	case MSG_KIND_INCIDENT:
	case MSG_KIND_UPDATE:
		return s_check_case(kind, b);
	case MSG_KIND_COMMENT:
		if (b->text.n == 0)
			return MSG_E_LENGTH;
		if ((err = s_text(b->text, MSG_MAX_NOTE, UTF8_MULTILINE)) != MSG_OK)
			return err;
		return s_check_indicators(b);
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
		return s_text(b->note, MSG_MAX_NOTE, UTF8_MULTILINE);
	case MSG_KIND_ROSTER:
		if (b->epoch > 0)
			return tlp == MSG_TLP_CLEAR ? s_check_roster(b) : MSG_E_TLP;
		if ((unsigned)b->level >= MSG_LEVEL_COUNT)
			return MSG_E_LEVEL;
		return s_is_name(b->name) ? MSG_OK : MSG_E_TOKEN;
	case MSG_KIND_ROTATE:
		return MSG_OK;
	case MSG_KIND_BEACON:
		if (b->version.n == 0 || b->version.n > MSG_MAX_VERSION)
			return MSG_E_LENGTH;
		for (size_t i = 0; i < b->version.n; i++)
			if (b->version.p[i] <= ' ' || b->version.p[i] > '~')
				return MSG_E_FIELD;
		return MSG_OK;
	case MSG_KIND_ENDPOINTS:
		if (b->nmembers > MSG_MAX_MEMBERS)
			return MSG_E_COUNT;
		for (size_t i = 0; i < b->nmembers; i++)
			if (!s_is_endpoint(b->members[i].endpoint))
				return MSG_E_FIELD;
		return s_members_sorted(b) ? MSG_OK : MSG_E_NONCANONICAL;
	}
	return MSG_E_KIND;
}

static int
s_check_envelope(const struct msg *m)
{
	if ((unsigned)m->tlp >= MSG_TLP_COUNT)
		return MSG_E_TLP;
	if ((unsigned)m->kind >= MSG_KIND_COUNT)
		return MSG_E_KIND;
	if (msg_tlp_addressed(m->tlp) ? m->nto == 0 : m->nto != 0)
		return MSG_E_RECIPIENTS;
	if (m->nto > MSG_MAX_RECIPIENTS)
		return MSG_E_RECIPIENTS;
	for (size_t i = 0; i < m->nto; i++)
		if ((i > 0 && memcmp(m->to[i - 1], m->to[i], MSG_KEY_LEN) >= 0) ||
		    memcmp(m->to[i], m->origin, MSG_KEY_LEN) == 0)
			return MSG_E_RECIPIENTS;
	if ((m->kind == MSG_KIND_ROSTER && msg_tlp_addressed(m->tlp)) ||
	    (m->kind == MSG_KIND_ROTATE && m->tlp != MSG_TLP_CLEAR))
		return MSG_E_TLP;
	/* Approvals go wherever rosters go; endpoints to members only. */
	if ((m->kind == MSG_KIND_APPROVE && m->tlp != MSG_TLP_CLEAR) ||
	    ((m->kind == MSG_KIND_ENDPOINTS || m->kind == MSG_KIND_BEACON) &&
	        m->tlp != MSG_TLP_GREEN))
		return MSG_E_TLP;
	switch (m->kind) {
	case MSG_KIND_UPDATE:
	case MSG_KIND_COMMENT:
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
	case MSG_KIND_ENDPOINTS:
		return m->has_ref ? MSG_OK : MSG_E_REF;
	case MSG_KIND_ROSTER:
	case MSG_KIND_BEACON:
	case MSG_KIND_ROTATE:
		return m->has_ref ? MSG_E_REF : MSG_OK;
	case MSG_KIND_INCIDENT:
		break;
	}
	return MSG_OK;
}

/* ---- encoding --------------------------------------------------------- */

/* An output buffer that grows; or, with `measure`, only counts; or, with
 * `fixed`, never moves (a plaintext must leave no copies behind in freed
 * memory, so it is measured first and written once). */
struct buf {
	uint8_t *p;
	size_t len, cap;
	bool oom, measure, fixed;
};

static int
s_buf_write(void *data, const char *b, size_t n)
{
	struct buf *buf = data;

	if (buf->measure) {
		buf->len += n;
		return 0;
	}
	if (buf->oom || (buf->fixed && n > buf->cap - buf->len)) {
		buf->oom = true;
		return -1;
	}
	if (n > buf->cap - buf->len) {
		size_t cap = buf->cap ? buf->cap : 1024;
		while (cap - buf->len < n)
			cap *= 2;
		uint8_t *p = realloc(buf->p, cap);
		if (p == NULL) {
			buf->oom = true;
			return -1;
		}
		buf->p = p, buf->cap = cap;
	}
	memcpy(buf->p + buf->len, b, n);
	buf->len += n;
	return 0;
}

/* A sink that compares what is packed with the bytes that were decoded:
 * the canonical-form check, without a second buffer. */
struct cmp {
	const uint8_t *p;
	size_t n, off;
	bool differ;
};

static int
s_cmp_write(void *data, const char *b, size_t n)
{
	struct cmp *c = data;

	if (c->differ || n > c->n - c->off || memcmp(c->p + c->off, b, n) != 0) {
		c->differ = true;
		return -1;
	}
	c->off += n;
	return 0;
}

static void
s_pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
s_pack_key(msgpack_packer *pk, const char *key)
{
	s_pack_str(pk, key, strlen(key));
}

static void
s_pack_bin(msgpack_packer *pk, const uint8_t *b, size_t n)
{
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, b, n);
}

static void
s_pack_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
	s_pack_key(pk, key);
	msgpack_pack_uint64(pk, v);
}

static void
s_pack_text(msgpack_packer *pk, const char *key, struct msg_str s)
{
	s_pack_key(pk, key);
	s_pack_str(pk, s.p, s.n);
}

static void
s_pack_word(msgpack_packer *pk, const char *key, const char *word)
{
	s_pack_key(pk, key);
	s_pack_key(pk, word);
}

static void
s_pack_strs(msgpack_packer *pk, const char *key, const struct msg_str *v, size_t n)
{
	s_pack_key(pk, key);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		s_pack_str(pk, v[i].p, v[i].n);
}

static void
s_pack_indicators(msgpack_packer *pk, const struct msg_body *b)
{
	s_pack_key(pk, "indicators");
	msgpack_pack_array(pk, b->nindicators);
	for (size_t i = 0; i < b->nindicators; i++) {
		msgpack_pack_array(pk, 2);
		s_pack_key(pk, ioc_type_name(b->indicators[i].type));
		s_pack_str(pk, b->indicators[i].value.p, b->indicators[i].value.n);
	}
}

/* Every key present, in the one order; an incident has the four it
 * requires (s_check_case). */
static void
s_pack_case(msgpack_packer *pk, const struct msg_body *b)
{
	msgpack_pack_map(pk, msg_case_fields(b));
	if (b->title.n > 0)
		s_pack_text(pk, "title", b->title);
	if (b->summary.n > 0)
		s_pack_text(pk, "summary", b->summary);
	if (b->category >= 0)
		s_pack_word(pk, "category", msg_category_name((enum msg_category)b->category));
	if (b->type.n > 0)
		s_pack_text(pk, "type", b->type);
	if (b->severity >= 0)
		s_pack_word(pk, "severity", msg_severity_name((enum msg_severity)b->severity));
	if (b->impact >= 0)
		s_pack_word(pk, "impact", msg_severity_name((enum msg_severity)b->impact));
	if (b->status >= 0)
		s_pack_word(pk, "status", msg_status_name((enum msg_status)b->status));
	if (b->nsectors > 0)
		s_pack_strs(pk, "sectors", b->sectors, b->nsectors);
	if (b->scope.n > 0)
		s_pack_text(pk, "scope", b->scope);
	if (b->nindicators > 0)
		s_pack_indicators(pk, b);
	if (b->nattack > 0)
		s_pack_strs(pk, "attack", b->attack, b->nattack);
	if (b->nactions > 0)
		s_pack_strs(pk, "actions", b->actions, b->nactions);
	if (b->detection.n > 0)
		s_pack_text(pk, "detection", b->detection);
	if (b->effects.n > 0)
		s_pack_text(pk, "effects", b->effects);
	if (b->response.n > 0)
		s_pack_text(pk, "response", b->response);
	if (b->lessons.n > 0)
		s_pack_text(pk, "lessons", b->lessons);
	if (b->expires > 0)
		s_pack_u64(pk, "expires", b->expires);
	if (b->has_lead) {
		s_pack_key(pk, "lead");
		s_pack_bin(pk, b->lead, MSG_KEY_LEN);
	}
}

/* Packs a boolean. */
static void
s_pack_bool(msgpack_packer *pk, bool v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

static void
s_pack_roster(msgpack_packer *pk, const struct msg_body *b)
{
	msgpack_pack_map(pk, 4);
	s_pack_text(pk, "network", b->network);
	s_pack_u64(pk, "epoch", b->epoch);
	s_pack_u64(pk, "threshold", b->threshold);
	s_pack_key(pk, "members");
	msgpack_pack_array(pk, b->nmembers);
	for (size_t i = 0; i < b->nmembers; i++) {
		const struct msg_member *e = &b->members[i];
		msgpack_pack_array(pk, 4);
		s_pack_bin(pk, e->id, MSG_KEY_LEN);
		s_pack_str(pk, e->name.p, e->name.n);
		s_pack_key(pk, msg_level_name(e->level));
		s_pack_bool(pk, e->coordinator);
	}
}

static void
s_pack_endpoints(msgpack_packer *pk, const struct msg_body *b)
{
	msgpack_pack_map(pk, 1);
	s_pack_key(pk, "endpoints");
	msgpack_pack_array(pk, b->nmembers);
	for (size_t i = 0; i < b->nmembers; i++) {
		msgpack_pack_array(pk, 2);
		s_pack_bin(pk, b->members[i].id, MSG_KEY_LEN);
		s_pack_str(pk, b->members[i].endpoint.p, b->members[i].endpoint.n);
	}
}

static void
s_pack_body(msgpack_packer *pk, enum msg_kind kind, const struct msg_body *b)
{
	switch (kind) {
	case MSG_KIND_INCIDENT:
	case MSG_KIND_UPDATE:
		s_pack_case(pk, b);
		break;
	case MSG_KIND_COMMENT:
		msgpack_pack_map(pk, 1 + (b->nindicators > 0));
		s_pack_text(pk, "text", b->text);
		if (b->nindicators > 0)
			s_pack_indicators(pk, b);
		break;
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
		msgpack_pack_map(pk, b->note.n > 0);
		if (b->note.n > 0)
			s_pack_text(pk, "note", b->note);
		break;
	case MSG_KIND_ROSTER:
		if (b->epoch > 0) {
			s_pack_roster(pk, b);
			break;
		}
		msgpack_pack_map(pk, 4);
		s_pack_key(pk, "peer");
		s_pack_bin(pk, b->peer, MSG_KEY_LEN);
		s_pack_text(pk, "name", b->name);
		s_pack_word(pk, "level", msg_level_name(b->level));
		s_pack_key(pk, "coordinator");
		s_pack_bool(pk, b->coordinator);
		break;
	case MSG_KIND_ENDPOINTS:
		s_pack_endpoints(pk, b);
		break;
	case MSG_KIND_ROTATE:
		msgpack_pack_map(pk, 2);
		s_pack_key(pk, "peer");
		s_pack_bin(pk, b->peer, MSG_KEY_LEN);
		s_pack_key(pk, "proof");
		s_pack_bin(pk, b->proof, MSG_SIG_LEN);
		break;
	case MSG_KIND_BEACON:
		msgpack_pack_map(pk, 5);
		s_pack_u64(pk, "epoch", b->epoch);
		s_pack_text(pk, "version", b->version);
		s_pack_u64(pk, "peers", b->peers);
		s_pack_u64(pk, "store", b->store);
		s_pack_u64(pk, "flaps", b->flaps);
		break;
	}
}

/* The envelope map: everything the signature covers. */
static void
s_pack_envelope(msgpack_packer *pk, const struct msg *m)
{
	msgpack_pack_map(pk, 7 + m->has_ref + (m->nto > 0));
	s_pack_u64(pk, "v", MSG_VERSION);
	s_pack_key(pk, "origin");
	s_pack_bin(pk, m->origin, MSG_KEY_LEN);
	s_pack_u64(pk, "seq", m->seq);
	s_pack_u64(pk, "time", m->time);
	s_pack_word(pk, "tlp", msg_tlp_name(m->tlp));
	s_pack_word(pk, "kind", msg_kind_name(m->kind));
	if (m->has_ref) {
		s_pack_key(pk, "ref");
		s_pack_bin(pk, m->ref, MSG_ID_LEN);
	}
	if (m->nto > 0) {
		s_pack_key(pk, "to");
		msgpack_pack_array(pk, m->nto);
		for (size_t i = 0; i < m->nto; i++)
			s_pack_bin(pk, m->to[i], MSG_KEY_LEN);
	}
	if (msg_tlp_addressed(m->tlp)) {
		s_pack_key(pk, "sealed");
		msgpack_pack_map(pk, 3);
		s_pack_key(pk, "nonce");
		s_pack_bin(pk, m->sealed.nonce, MSG_NONCE_LEN);
		s_pack_key(pk, "keys");
		msgpack_pack_array(pk, m->nto + 1);
		for (size_t i = 0; i <= m->nto; i++)
			s_pack_bin(pk, m->sealed.keys[i], MSG_SEALEDKEY_LEN);
		s_pack_key(pk, "box");
		s_pack_bin(pk, m->sealed.box, m->sealed.boxlen);
	} else {
		s_pack_key(pk, "body");
		s_pack_body(pk, m->kind, &m->body);
	}
}

static void
s_rng_default(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	randombytes_buf(buf, len);
}

/*
 * crypto_box_seal with a given ephemeral secret: the same bytes as
 * libsodium's (ephemeral public key, then crypto_box of the message under
 * nonce = BLAKE2b-192(epk || pk)), so crypto_box_seal_open() opens it; the
 * ephemeral key comes from the caller's randomness so vectors can fix it.
 */
static int
s_seal_key(uint8_t out[MSG_SEALEDKEY_LEN], const uint8_t key[MSG_BODYKEY_LEN],
    const uint8_t ed_pk[MSG_KEY_LEN], const uint8_t esk[32])
{
	uint8_t pk[32], nonce[crypto_box_NONCEBYTES];
	crypto_generichash_state st;

	if (crypto_sign_ed25519_pk_to_curve25519(pk, ed_pk) != 0 ||
	    crypto_scalarmult_base(out, esk) != 0)
		return MSG_E_RECIPIENTS;
	crypto_generichash_init(&st, NULL, 0, sizeof nonce);
	crypto_generichash_update(&st, out, 32);
	crypto_generichash_update(&st, pk, sizeof pk);
	crypto_generichash_final(&st, nonce, sizeof nonce);
	if (crypto_box_easy(out + 32, key, MSG_BODYKEY_LEN, nonce, pk, esk) != 0)
		return MSG_E_RECIPIENTS;
	return MSG_OK;
}

/* Seals the body of an addressed message; the sealed parts live in *store
 * (caller frees) and m->sealed points into it. */
static int
s_seal(struct msg *m, msg_rng_fn rng, void *arg, uint8_t **store)
{
	struct buf plain = { .measure = true };
	msgpack_packer pk;
	uint8_t key[MSG_BODYKEY_LEN], esk[32];
	size_t nkeys = m->nto + 1, boxlen;
	uint8_t *s;
	int err = MSG_OK;

	msgpack_packer_init(&pk, &plain, s_buf_write);
	s_pack_body(&pk, m->kind, &m->body);
	plain = (struct buf){ .p = malloc(plain.len), .cap = plain.len, .fixed = true };
	if (plain.p == NULL)
		return MSG_E_NOMEM;
	msgpack_packer_init(&pk, &plain, s_buf_write);
	s_pack_body(&pk, m->kind, &m->body);
	boxlen = plain.len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	s = malloc(MSG_NONCE_LEN + nkeys * MSG_SEALEDKEY_LEN + boxlen);
	if (s == NULL) {
		sodium_memzero(plain.p, plain.len);
		free(plain.p);
		return MSG_E_NOMEM;
	}
	rng(arg, key, sizeof key);
	rng(arg, s, MSG_NONCE_LEN);
	m->sealed.nonce = s;
	for (size_t i = 0; i < nkeys; i++)
		m->sealed.keys[i] = s + MSG_NONCE_LEN + i * MSG_SEALEDKEY_LEN;
	m->sealed.box = s + MSG_NONCE_LEN + nkeys * MSG_SEALEDKEY_LEN;
	m->sealed.boxlen = boxlen;
	crypto_aead_xchacha20poly1305_ietf_encrypt((uint8_t *)m->sealed.box, NULL, plain.p,
	    plain.len, NULL, 0, NULL, m->sealed.nonce, key);
	for (size_t i = 0; i < nkeys && err == MSG_OK; i++) {
		rng(arg, esk, sizeof esk);
		err = s_seal_key((uint8_t *)m->sealed.keys[i], key,
		    i < m->nto ? m->to[i] : m->origin, esk);
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(plain.p, plain.len);
	free(plain.p);
	*store = s;
	return err;
}

static int
s_key_qsort(const void *a, const void *b)
{
	return memcmp(a, b, MSG_KEY_LEN);
}

int
msg_encode(struct msg *m, const uint8_t sk[64], msg_rng_fn rng, void *rng_arg, uint8_t **out,
    size_t *outlen)
{
	struct buf buf = { 0 };
	msgpack_packer pk;
	uint8_t *sealed = NULL;
	int err;

	*out = NULL;
	*outlen = 0;
	/* libsodium's secret key is seed || public key. */
	if (memcmp(sk + 32, m->origin, MSG_KEY_LEN) != 0 || m->nto > MSG_MAX_RECIPIENTS ||
	    m->body.nindicators > MSG_MAX_INDICATORS)
		return MSG_E_INVAL;
	qsort(m->to, m->nto, MSG_KEY_LEN, s_key_qsort);
	qsort(m->body.indicators, m->body.nindicators, sizeof m->body.indicators[0], s_ioc_qsort);
	if (m->body.nsectors <= MSG_MAX_SECTORS)
		qsort(m->body.sectors, m->body.nsectors, sizeof m->body.sectors[0], s_str_qsort);
	if (m->body.nattack <= MSG_MAX_ATTACK)
		qsort(m->body.attack, m->body.nattack, sizeof m->body.attack[0], s_str_qsort);
	if ((err = s_check_envelope(m)) != MSG_OK ||
	    (err = s_check_body(m->tlp, m->kind, &m->body)) != MSG_OK)
		return err;
	if (msg_tlp_addressed(m->tlp) &&
	    (err = s_seal(m, rng ? rng : s_rng_default, rng_arg, &sealed)) != MSG_OK)
		goto done;

	msgpack_packer_init(&pk, &buf, s_buf_write);
	msgpack_pack_array(&pk, 2);
	s_pack_envelope(&pk, m);
	if (buf.oom) {
		err = MSG_E_NOMEM;
		goto done;
	}
	crypto_sign_detached(m->sig, NULL, buf.p + 1, buf.len - 1, sk);
	s_pack_bin(&pk, m->sig, MSG_SIG_LEN);
	if (buf.oom) {
		err = MSG_E_NOMEM;
		goto done;
	}
	if (buf.len > MSG_MAX_SIZE_DEFAULT) {
		err = MSG_E_TOOBIG;
		goto done;
	}
	crypto_generichash(m->id, MSG_ID_LEN, buf.p, buf.len, NULL, 0);
	m->signed_p = buf.p + 1;
	m->signed_n = buf.len - 1 - (2 + MSG_SIG_LEN);
	*out = buf.p;
	*outlen = buf.len;
	buf.p = NULL;
done:
	memset(&m->sealed, 0, sizeof m->sealed);
	free(sealed);
	free(buf.p);
	return err;
}

/* ---- decoding --------------------------------------------------------- */

/* A map being read in its one fixed key order: `left` pairs remain. */
struct mapr {
	struct mp_reader *r;
	size_t left;
};

static int
s_open_map(struct mapr *mr, struct mp_reader *r)
{
	mr->r = r;
	return mp_read_map(r, &mr->left);
}

/* Consumes key if it is the next one (optional fields). */
static bool
s_has(struct mapr *mr, const char *key)
{
	if (mr->left == 0 || !mp_peek_str(mr->r, key))
		return false;
	const char *s;
	size_t n;
	(void)mp_read_str(mr->r, &s, &n);
	mr->left--;
	return true;
}

/* A required key: absent or another key is MSG_E_FIELD, unless the next
 * element is not even a complete string. */
static int
s_need(struct mapr *mr, const char *key)
{
	struct mp_reader tmp = *mr->r;
	const char *s;
	size_t n;
	int err;

	if (s_has(mr, key))
		return MSG_OK;
	if (mr->left > 0 && (err = mp_read_str(&tmp, &s, &n)) != MSG_OK)
		return err;
	return MSG_E_FIELD;
}

static int
s_rd_str(struct mp_reader *r, struct msg_str *s)
{
	return mp_read_str(r, &s->p, &s->n);
}

static int
s_rd_fixed(struct mp_reader *r, uint8_t *out, size_t want)
{
	const uint8_t *b;
	size_t n;
	int err = mp_read_bin(r, &b, &n);
	if (err != MSG_OK)
		return err;
	if (n != want)
		return MSG_E_LENGTH;
	memcpy(out, b, n);
	return MSG_OK;
}

static int
s_rd_word(struct mp_reader *r, int (*parse)(const char *, size_t), int bad, int *v)
{
	struct msg_str s;
	int err = s_rd_str(r, &s);
	if (err != MSG_OK)
		return err;
	if ((*v = parse(s.p, s.n)) < 0)
		return bad;
	return MSG_OK;
}

static int
s_rd_strs(struct mp_reader *r, struct msg_str *v, size_t max, size_t *n)
{
	int err = mp_read_array(r, n);
	if (err != MSG_OK)
		return err;
	if (*n > max)
		return MSG_E_COUNT;
	for (size_t i = 0; i < *n; i++)
		if ((err = s_rd_str(r, &v[i])) != MSG_OK)
			return err;
	return MSG_OK;
}

static int
s_rd_indicators(struct mp_reader *r, struct msg_body *b)
{
	int err = mp_read_array(r, &b->nindicators);
	if (err != MSG_OK)
		return err;
	if (b->nindicators > MSG_MAX_INDICATORS)
		return MSG_E_INDICATORS;
	for (size_t i = 0; i < b->nindicators; i++) {
		struct msg_str t;
		size_t two;
		int type;
		if ((err = mp_read_array(r, &two)) != MSG_OK)
			return err;
		if (two != 2)
			return MSG_E_INDICATOR;
		if ((err = s_rd_str(r, &t)) != MSG_OK)
			return err;
		if ((type = ioc_type_parse(t.p, t.n)) < 0)
			return MSG_E_INDICATOR;
		b->indicators[i].type = (enum ioc_type)type;
		if ((err = s_rd_str(r, &b->indicators[i].value)) != MSG_OK)
			return err;
	}
	return MSG_OK;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((err = (x)) != MSG_OK)                                                         \
			return err;                                                                \
	} while (0)

/* A key of a case body: required for an incident (`need`), optional for
 * an update.  MSG_OK and *present, or an error. */
static int
s_case_key(struct mapr *mr, const char *key, bool need, bool *present)
{
	if ((*present = s_has(mr, key)) || !need)
		return MSG_OK;
	return s_need(mr, key);
}

static int
s_rd_case(struct mapr *mr, enum msg_kind kind, struct msg_body *b)
{
	struct mp_reader *r = mr->r;
	bool need = kind == MSG_KIND_INCIDENT, has;
	int err;

	TRY(s_case_key(mr, "title", need, &has));
	if (has)
		TRY(s_rd_str(r, &b->title));
	if (s_has(mr, "summary"))
		TRY(s_rd_str(r, &b->summary));
	TRY(s_case_key(mr, "category", need, &has));
	if (has)
		TRY(s_rd_word(r, msg_category_parse, MSG_E_CATEGORY, &b->category));
	if (s_has(mr, "type"))
		TRY(s_rd_str(r, &b->type));
	TRY(s_case_key(mr, "severity", need, &has));
	if (has)
		TRY(s_rd_word(r, msg_severity_parse, MSG_E_SEVERITY, &b->severity));
	if (s_has(mr, "impact"))
		TRY(s_rd_word(r, msg_severity_parse, MSG_E_SEVERITY, &b->impact));
	TRY(s_case_key(mr, "status", need, &has));
	if (has)
		TRY(s_rd_word(r, msg_status_parse, MSG_E_STATUS, &b->status));
	if (s_has(mr, "sectors"))
		TRY(s_rd_strs(r, b->sectors, MSG_MAX_SECTORS, &b->nsectors));
	if (s_has(mr, "scope"))
		TRY(s_rd_str(r, &b->scope));
	if (s_has(mr, "indicators"))
		TRY(s_rd_indicators(r, b));
	if (s_has(mr, "attack"))
		TRY(s_rd_strs(r, b->attack, MSG_MAX_ATTACK, &b->nattack));
	if (s_has(mr, "actions"))
		TRY(s_rd_strs(r, b->actions, MSG_MAX_ACTIONS, &b->nactions));
	if (s_has(mr, "detection"))
		TRY(s_rd_str(r, &b->detection));
	if (s_has(mr, "effects"))
		TRY(s_rd_str(r, &b->effects));
	if (s_has(mr, "response"))
		TRY(s_rd_str(r, &b->response));
	if (s_has(mr, "lessons"))
		TRY(s_rd_str(r, &b->lessons));
	if (s_has(mr, "expires"))
		TRY(mp_read_uint(r, &b->expires));
	if (kind == MSG_KIND_UPDATE && (b->has_lead = s_has(mr, "lead")))
		TRY(s_rd_fixed(r, b->lead, MSG_KEY_LEN));
	return MSG_OK;
}

/* A node id, as a view into the bytes. */
static int
s_rd_id(struct mp_reader *r, const uint8_t **id)
{
	size_t n;
	int err = mp_read_bin(r, id, &n);

	if (err != MSG_OK)
		return err;
	return n == MSG_KEY_LEN ? MSG_OK : MSG_E_LENGTH;
}

/* Entries: arrays of `fields` elements (4: a roster's, 2: endpoints). */
static int
s_rd_members(struct mp_reader *r, struct msg_body *b, size_t fields)
{
	int err, v;

	TRY(mp_read_array(r, &b->nmembers));
	if (b->nmembers > MSG_MAX_MEMBERS)
		return MSG_E_COUNT;
	for (size_t i = 0; i < b->nmembers; i++) {
		struct msg_member *e = &b->members[i];
		size_t n;
		TRY(mp_read_array(r, &n));
		if (n != fields)
			return MSG_E_FIELD;
		TRY(s_rd_id(r, &e->id));
		if (fields == 2) {
			TRY(s_rd_str(r, &e->endpoint));
			continue;
		}
		TRY(s_rd_str(r, &e->name));
		TRY(s_rd_word(r, msg_level_parse, MSG_E_LEVEL, &v));
		e->level = (enum msg_level)v;
		TRY(mp_read_bool(r, &e->coordinator));
	}
	return MSG_OK;
}

static int
s_rd_roster(struct mapr *mr, struct msg_body *b)
{
	struct mp_reader *r = mr->r;
	int err, v;

	if (s_has(mr, "peer")) { /* the legacy form: one entry */
		TRY(s_rd_fixed(r, b->peer, MSG_KEY_LEN));
		TRY(s_need(mr, "name"));
		TRY(s_rd_str(r, &b->name));
		TRY(s_need(mr, "level"));
		TRY(s_rd_word(r, msg_level_parse, MSG_E_LEVEL, &v));
		b->level = (enum msg_level)v;
		TRY(s_need(mr, "coordinator"));
		return mp_read_bool(r, &b->coordinator);
	}
	TRY(s_need(mr, "network"));
	TRY(s_rd_str(r, &b->network));
	TRY(s_need(mr, "epoch"));
	TRY(mp_read_uint(r, &b->epoch));
	if (b->epoch == 0)
		return MSG_E_FIELD;
	TRY(s_need(mr, "threshold"));
	TRY(mp_read_uint(r, &b->threshold));
	TRY(s_need(mr, "members"));
	return s_rd_members(r, b, 4);
}

/* Reads a body map of the given kind; the caller checks canonical form. */
static int
s_rd_body(struct mp_reader *r, enum msg_tlp tlp, enum msg_kind kind, struct msg_body *b)
{
	struct mapr mr;
	int err;

	TRY(s_open_map(&mr, r));
	switch (kind) {
	case MSG_KIND_INCIDENT:
	case MSG_KIND_UPDATE:
		TRY(s_rd_case(&mr, kind, b));
		break;
	case MSG_KIND_COMMENT:
		TRY(s_need(&mr, "text"));
		TRY(s_rd_str(r, &b->text));
		if (s_has(&mr, "indicators"))
			TRY(s_rd_indicators(r, b));
		break;
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
		if (s_has(&mr, "note"))
			TRY(s_rd_str(r, &b->note));
		break;
	case MSG_KIND_ROSTER:
		TRY(s_rd_roster(&mr, b));
		break;
	case MSG_KIND_ENDPOINTS:
		TRY(s_need(&mr, "endpoints"));
		TRY(s_rd_members(r, b, 2));
		break;
	case MSG_KIND_ROTATE:
		TRY(s_need(&mr, "peer"));
		TRY(s_rd_fixed(r, b->peer, MSG_KEY_LEN));
		TRY(s_need(&mr, "proof"));
		TRY(s_rd_fixed(r, b->proof, MSG_SIG_LEN));
		break;
	case MSG_KIND_BEACON:
		TRY(s_need(&mr, "epoch"));
		TRY(mp_read_uint(r, &b->epoch));
		TRY(s_need(&mr, "version"));
		TRY(s_rd_str(r, &b->version));
		TRY(s_need(&mr, "peers"));
		TRY(mp_read_uint(r, &b->peers));
		TRY(s_need(&mr, "store"));
		TRY(mp_read_uint(r, &b->store));
		TRY(s_need(&mr, "flaps"));
		TRY(mp_read_uint(r, &b->flaps));
		break;
	}
	if (mr.left != 0)
		return MSG_E_FIELD;
	return s_check_body(tlp, kind, b);
}

static int
s_rd_sealed(struct mp_reader *r, struct msg *m)
{
	struct mapr mr;
	size_t n, len;
	int err;

	TRY(s_open_map(&mr, r));
	if (s_need(&mr, "nonce") != MSG_OK)
		return MSG_E_SEALED;
	TRY(mp_read_bin(r, &m->sealed.nonce, &n));
	if (n != MSG_NONCE_LEN)
		return MSG_E_SEALED;
	if (s_need(&mr, "keys") != MSG_OK)
		return MSG_E_SEALED;
	TRY(mp_read_array(r, &n));
	if (n != m->nto + 1)
		return MSG_E_SEALED;
	for (size_t i = 0; i < n; i++) {
		TRY(mp_read_bin(r, &m->sealed.keys[i], &len));
		if (len != MSG_SEALEDKEY_LEN)
			return MSG_E_SEALED;
	}
	if (s_need(&mr, "box") != MSG_OK)
		return MSG_E_SEALED;
	TRY(mp_read_bin(r, &m->sealed.box, &m->sealed.boxlen));
	if (m->sealed.boxlen < crypto_aead_xchacha20poly1305_ietf_ABYTES || mr.left != 0)
		return MSG_E_SEALED;
	return MSG_OK;
}

static int
s_rd_envelope(struct mp_reader *r, struct msg *m)
{
	struct mapr mr;
	uint64_t v;
	int err, w;

	TRY(s_open_map(&mr, r));
	TRY(s_need(&mr, "v"));
	TRY(mp_read_uint(r, &v));
	if (v != MSG_VERSION)
		return MSG_E_VERSION;
	TRY(s_need(&mr, "origin"));
	TRY(s_rd_fixed(r, m->origin, MSG_KEY_LEN));
	TRY(s_need(&mr, "seq"));
	TRY(mp_read_uint(r, &m->seq));
	TRY(s_need(&mr, "time"));
	TRY(mp_read_uint(r, &m->time));
	TRY(s_need(&mr, "tlp"));
	TRY(s_rd_word(r, msg_tlp_parse, MSG_E_TLP, &w));
	m->tlp = (enum msg_tlp)w;
	TRY(s_need(&mr, "kind"));
	TRY(s_rd_word(r, msg_kind_parse, MSG_E_KIND, &w));
	m->kind = (enum msg_kind)w;
	if ((m->has_ref = s_has(&mr, "ref")))
		TRY(s_rd_fixed(r, m->ref, MSG_ID_LEN));
	if (s_has(&mr, "to")) {
		TRY(mp_read_array(r, &m->nto));
		if (m->nto == 0 || m->nto > MSG_MAX_RECIPIENTS)
			return MSG_E_RECIPIENTS;
		for (size_t i = 0; i < m->nto; i++)
			TRY(s_rd_fixed(r, m->to[i], MSG_KEY_LEN));
	}
	TRY(s_check_envelope(m));
	if (msg_tlp_addressed(m->tlp)) {
		if (s_need(&mr, "sealed") != MSG_OK)
			return MSG_E_SEALED;
		TRY(s_rd_sealed(r, m));
	} else {
		TRY(s_need(&mr, "body"));
		TRY(s_rd_body(r, m->tlp, m->kind, &m->body));
		m->has_body = true;
	}
	return mr.left == 0 ? MSG_OK : MSG_E_FIELD;
}

int
msg_decode(struct msg *m, const uint8_t *p, size_t len, size_t max_size)
{
	struct mp_reader r = { p, p + len };
	struct cmp c;
	msgpack_packer pk;
	size_t n;
	int err;

	if (len > (max_size ? max_size : MSG_MAX_SIZE_DEFAULT))
		return MSG_E_TOOBIG;
	msg_clear(m);
	TRY(mp_read_array(&r, &n));
	if (n != 2)
		return MSG_E_FIELD;
	m->signed_p = r.p;
	TRY(s_rd_envelope(&r, m));
	m->signed_n = (size_t)(r.p - m->signed_p);
	TRY(s_rd_fixed(&r, m->sig, MSG_SIG_LEN));
	if (r.p != r.end)
		return MSG_E_NONCANONICAL;

	/* One content, one byte form: packing what was read must give back
	 * exactly the bytes that were signed. */
	c = (struct cmp){ m->signed_p, m->signed_n, 0, false };
	msgpack_packer_init(&pk, &c, s_cmp_write);
	s_pack_envelope(&pk, m);
	if (c.differ || c.off != c.n || p[0] != 0x92 || r.end[-(2 + MSG_SIG_LEN)] != 0xc4)
		return MSG_E_NONCANONICAL;
	crypto_generichash(m->id, MSG_ID_LEN, p, len, NULL, 0);
	return MSG_OK;
}

int
msg_verify(const struct msg *m)
{
	uint8_t rs[MSG_ROTATE_SIGNED];

	if (m->signed_p == NULL)
		return MSG_E_INVAL;
	if (crypto_sign_verify_detached(m->sig, m->signed_p, m->signed_n, m->origin) != 0)
		return MSG_E_SIG;
	/* A rotation is signed by both keys: the old (its origin), and the
	 * new, whose proof names both. */
	if (m->kind != MSG_KIND_ROTATE)
		return MSG_OK;
	msg_rotate_signed(rs, m->origin, m->body.peer);
	return crypto_sign_verify_detached(m->body.proof, rs, sizeof rs, m->body.peer) == 0
	    ? MSG_OK
	    : MSG_E_SIG;
}

int
msg_open(struct msg *m, const uint8_t self[MSG_KEY_LEN], const uint8_t curve_pk[32],
    const uint8_t curve_sk[32], uint8_t **plain, size_t *plainlen)
{
	uint8_t key[MSG_BODYKEY_LEN];
	struct mp_reader r;
	struct cmp c;
	msgpack_packer pk;
	size_t i, n;
	uint8_t *pt;
	int err;

	*plain = NULL;
	*plainlen = 0;
	if (!msg_tlp_addressed(m->tlp) || m->sealed.box == NULL)
		return MSG_E_INVAL;
	if (memcmp(self, m->origin, MSG_KEY_LEN) == 0)
		i = m->nto;
	else {
		for (i = 0; i < m->nto && memcmp(m->to[i], self, MSG_KEY_LEN) != 0; i++)
			;
		if (i == m->nto)
			return MSG_E_NOT_RECIPIENT;
	}
	if (crypto_box_seal_open(key, m->sealed.keys[i], MSG_SEALEDKEY_LEN, curve_pk, curve_sk) !=
	    0)
		return MSG_E_DECRYPT;
	n = m->sealed.boxlen - crypto_aead_xchacha20poly1305_ietf_ABYTES;
	if ((pt = malloc(n ? n : 1)) == NULL) {
		sodium_memzero(key, sizeof key);
		return MSG_E_NOMEM;
	}
	err = crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, m->sealed.box,
	          m->sealed.boxlen, NULL, 0, m->sealed.nonce, key) == 0
	    ? MSG_OK
	    : MSG_E_DECRYPT;
	sodium_memzero(key, sizeof key);
	if (err == MSG_OK) {
		r = (struct mp_reader){ pt, pt + n };
		err = s_rd_body(&r, m->tlp, m->kind, &m->body);
	}
	if (err == MSG_OK) {
		c = (struct cmp){ pt, n, 0, false };
		msgpack_packer_init(&pk, &c, s_cmp_write);
		s_pack_body(&pk, m->kind, &m->body);
		if (r.p != r.end || c.differ || c.off != n)
			err = MSG_E_NONCANONICAL;
	}
	if (err != MSG_OK) {
		sodium_memzero(pt, n);
		free(pt);
		s_body_clear(&m->body);
		return err;
	}
	m->has_body = true;
	*plain = pt;
	*plainlen = n;
	return MSG_OK;
}
