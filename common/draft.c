#include "draft.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "timefmt.h"
#include "utf8.h"
#include "util.h"

struct draft {
	struct msg *m;
	char **strs; /* every string the message points to */
	size_t nstrs, capstrs;
	bool status_set; /* else an incident's is open, other kinds' absent */
};

struct draft *
draft_new(void)
{
	struct draft *d = calloc(1, sizeof *d);

	if (d == NULL || (d->m = msg_new()) == NULL) {
		free(d);
		return NULL;
	}
	d->m->tlp = MSG_TLP_GREEN;
	d->m->kind = MSG_KIND_INCIDENT;
	d->m->body.status = MSG_STATUS_OPEN;
	return d;
}

void
draft_destroy(struct draft **dp)
{
	struct draft *d;

	if (dp == NULL || (d = *dp) == NULL)
		return;
	for (size_t i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	msg_destroy(&d->m);
	free(d);
	*dp = NULL;
}

struct msg *
draft_msg(struct draft *d)
{
	return d->m;
}

/* Keeps a copy of n bytes at s for the message to point to. */
static int
s_keep(struct draft *d, const char *s, size_t n, struct msg_str *out)
{
	char *c;

	if (d->nstrs == d->capstrs) {
		size_t cap = d->capstrs ? d->capstrs * 2 : 16;
		char **v = realloc(d->strs, cap * sizeof *v);
		if (v == NULL)
			return -1;
		d->strs = v, d->capstrs = cap;
	}
	if ((c = malloc(n + 1)) == NULL)
		return -1;
	memcpy(c, s, n);
	c[n] = '\0';
	d->strs[d->nstrs++] = c;
	*out = (struct msg_str){ c, n };
	return 0;
}

static int
s_word(const char *field, const char *value, int (*parse)(const char *, size_t), int *v,
    const char *choices, char *err, size_t errlen)
{
	if ((*v = parse(value, strlen(value))) < 0)
		return errf(err, errlen, "%s: unknown value '%s' (one of: %s)", field, value,
		    choices);
	return 0;
}

static int
s_uint(const char *field, const char *value, uint64_t *v, char *err, size_t errlen)
{
	char *end;
	unsigned long long x;

	if (value[0] < '0' || value[0] > '9')
		return errf(err, errlen, "%s: '%s' is not a number", field, value);
	x = strtoull(value, &end, 10);
	if (*end != '\0' || x == ~0ULL)
		return errf(err, errlen, "%s: '%s' is not a number", field, value);
	*v = x;
	return 0;
}

/* An indicator as the analyst wrote it: "TYPE:VALUE" or a value alone
 * when type is NULL, else a value of the type named by the tlen bytes at
 * type (a --file object); read by ioc_parse_text() or ioc_parse(), which
 * refang it and infer a missing type strictly.  The same indicator twice
 * is kept once. */
static int
s_add_indicator(struct draft *d, const char *type, size_t tlen, const char *value, char *err,
    size_t errlen)
{
	struct msg_body *b = &d->m->body;
	struct ioc_value v;
	char why[512];
	int rc;

	if (b->nindicators == MSG_MAX_INDICATORS)
		return errf(err, errlen, "indicators: at most %d in a message", MSG_MAX_INDICATORS);
	rc = type != NULL ? ioc_parse(type, tlen, value, strlen(value), &v, why, sizeof why)
	                  : ioc_parse_text(value, strlen(value), &v, why, sizeof why);
	if (rc == -1)
		return errf(err, errlen, "indicator: %s", why);
	for (size_t i = 0; i < b->nindicators; i++)
		if (b->indicators[i].type == v.type && b->indicators[i].value.n == v.len &&
		    memcmp(b->indicators[i].value.p, v.value, v.len) == 0)
			return 0;
	if (s_keep(d, v.value, v.len, &b->indicators[b->nindicators].value) == -1)
		return errf(err, errlen, "out of memory");
	b->indicators[b->nindicators++].type = v.type;
	return 0;
}

/* Appends to a list (named by its plural); a set (sectors, techniques)
 * keeps one of each. */
static int
s_append(struct draft *d, const char *list, const char *value, struct msg_str *v, size_t *n,
    size_t max, bool set, char *err, size_t errlen)
{
	for (size_t i = 0; set && i < *n; i++)
		if (v[i].n == strlen(value) && memcmp(v[i].p, value, v[i].n) == 0)
			return 0;
	if (*n == max)
		return errf(err, errlen, "%s: at most %zu in a message", list, max);
	if (s_keep(d, value, strlen(value), &v[*n]) == -1)
		return errf(err, errlen, "out of memory");
	(*n)++;
	return 0;
}

/* ATT&CK ids are written T1566.002; t1566.002 is accepted. */
static int
s_attack(struct draft *d, const char *value, char *err, size_t errlen)
{
	char up[16];
	size_t n = strlen(value);
	bool ok = n == 5 || n == 9;

	for (size_t i = 1; ok && i < n; i++)
		ok = i == 5 ? value[i] == '.' : isdigit((unsigned char)value[i]);
	if (!ok || (value[0] != 'T' && value[0] != 't'))
		return errf(err, errlen,
		    "attack: '%s' is not an ATT&CK technique id (T1234 or T1234.001)", value);
	memcpy(up, value, n + 1);
	up[0] = 'T';
	return s_append(d, "attack", up, d->m->body.attack, &d->m->body.nattack, MSG_MAX_ATTACK,
	    true, err, errlen);
}

/* Text within its limit: max bytes of UTF-8, one line unless flags say
 * UTF8_MULTILINE.  Empty text is absent text. */
static int
s_text(const char *field, const char *value, size_t max, unsigned flags, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n > max)
		return errf(err, errlen, "%s is %zu bytes; at most %zu", field, n, max);
	if (!utf8_valid(value, n, flags))
		return errf(err, errlen, "%s: %s", field,
		    flags & UTF8_MULTILINE
		        ? "not UTF-8 text, or holds control characters other than line feed and tab"
		        : "not one line of UTF-8 text, or holds control characters");
	return 0;
}

/* A sector or an incident type: 1 to MSG_MAX_TOKEN of a-z 0-9 -. */
static int
s_token(const char *field, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n > MSG_MAX_TOKEN)
		return errf(err, errlen, "%s is %zu bytes; at most %d", field, n, MSG_MAX_TOKEN);
	if (n == 0 || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return errf(err, errlen,
		    "%s: '%s' is not a token (1 to %d of a-z, 0-9 and -, e.g. phishing)", field,
		    value, MSG_MAX_TOKEN);
	return 0;
}

static int
s_action(struct draft *d, const char *value, char *err, size_t errlen)
{
	struct msg_body *b = &d->m->body;

	if (value[0] == '\0')
		return errf(err, errlen, "action: empty (1 to %d bytes)", MSG_MAX_ACTION);
	if (s_text("action", value, MSG_MAX_ACTION, 0, err, errlen) == -1)
		return -1;
	return s_append(d, "actions", value, b->actions, &b->nactions, MSG_MAX_ACTIONS, false, err,
	    errlen);
}

/* The text fields: their place in the body, limit and form. */
static const struct {
	const char *field;
	size_t off, max;
	unsigned flags;
} s_texts[] = {
	{ "title", offsetof(struct msg_body, title), MSG_MAX_TITLE, 0 },
	{ "summary", offsetof(struct msg_body, summary), MSG_MAX_SUMMARY, UTF8_MULTILINE },
	{ "scope", offsetof(struct msg_body, scope), MSG_MAX_SCOPE, UTF8_MULTILINE },
	{ "detection", offsetof(struct msg_body, detection), MSG_MAX_SUMMARY, UTF8_MULTILINE },
	{ "effects", offsetof(struct msg_body, effects), MSG_MAX_SUMMARY, UTF8_MULTILINE },
	{ "response", offsetof(struct msg_body, response), MSG_MAX_SUMMARY, UTF8_MULTILINE },
	{ "lessons", offsetof(struct msg_body, lessons), MSG_MAX_SUMMARY, UTF8_MULTILINE },
	{ "note", offsetof(struct msg_body, note), MSG_MAX_NOTE, UTF8_MULTILINE },
	{ "text", offsetof(struct msg_body, text), MSG_MAX_NOTE, UTF8_MULTILINE },
};

/* Sets a text field: 0, -1 (err set), or 1 when field is none of them. */
static int
s_set_text(struct draft *d, const char *field, const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof s_texts / sizeof s_texts[0]; i++) {
		if (strcmp(field, s_texts[i].field) != 0)
			continue;
		if (s_text(field, value, s_texts[i].max, s_texts[i].flags, err, errlen) == -1)
			return -1;
		if (s_keep(d, value, strlen(value),
		        (struct msg_str *)((char *)&d->m->body + s_texts[i].off)) == -1)
			return errf(err, errlen, "out of memory");
		return 0;
	}
	return 1;
}

static int
s_id(const char *field, const char *value, uint8_t out[32], char *err, size_t errlen)
{
	if (id_parse(out, value) == -1)
		return errf(err, errlen, "%s: '%s' is not an id (64 hex digits)", field, value);
	return 0;
}

int
draft_set(struct draft *d, const char *field, const char *value, char *err, size_t errlen)
{
	struct msg *m = d->m;
	struct msg_body *b = &m->body;
	int v;

	if ((v = s_set_text(d, field, value, err, errlen)) != 1)
		return v;
	if (strcmp(field, "tlp") == 0) {
		if (s_word(field, value, msg_tlp_parse, &v, "clear green amber amber+strict red",
		        err, errlen))
			return -1;
		m->tlp = (enum msg_tlp)v;
	} else if (strcmp(field, "kind") == 0) {
		if (s_word(field, value, msg_kind_parse, &v,
		        "incident update comment sighting retract roster", err, errlen))
			return -1;
		m->kind = (enum msg_kind)v;
		if (!d->status_set)
			b->status = m->kind == MSG_KIND_INCIDENT ? MSG_STATUS_OPEN : -1;
	} else if (strcmp(field, "category") == 0) {
		if (s_word(field, value, msg_category_parse, &b->category,
		        "abusive-content malicious-code information-gathering intrusion-attempts "
		        "intrusions availability information-content-security fraud vulnerable "
		        "other test",
		        err, errlen))
			return -1;
	} else if (strcmp(field, "severity") == 0 || strcmp(field, "impact") == 0) {
		if (s_word(field, value, msg_severity_parse,
		        field[0] == 's' ? &b->severity : &b->impact,
		        "low medium high very-high critical", err, errlen))
			return -1;
	} else if (strcmp(field, "status") == 0) {
		if (s_word(field, value, msg_status_parse, &b->status,
		        "open contained resolved false-positive", err, errlen))
			return -1;
		d->status_set = true;
	} else if (strcmp(field, "level") == 0) {
		if (s_word(field, value, msg_level_parse, &v, "blocked external member", err,
		        errlen))
			return -1;
		b->level = (enum msg_level)v;
	} else if (strcmp(field, "coordinator") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0 &&
		    strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return errf(err, errlen, "coordinator: '%s' is not yes or no", value);
		b->coordinator = value[0] == 'y' || value[0] == 't';
	} else if (strcmp(field, "type") == 0) {
		if (value[0] != '\0' && s_token(field, value, err, errlen) == -1)
			return -1;
		if (s_keep(d, value, strlen(value), &b->type) == -1)
			return errf(err, errlen, "out of memory");
	} else if (strcmp(field, "name") == 0) {
		if (!config_valid_name(value))
			return errf(err, errlen,
			    "name: '%s' is not a name (1 to 63 of A-Z, a-z, 0-9, '.', '_' and '-')",
			    value);
		if (s_keep(d, value, strlen(value), &b->name) == -1)
			return errf(err, errlen, "out of memory");
	} else if (strcmp(field, "sector") == 0)
		return s_token(field, value, err, errlen) == -1
		    ? -1
		    : s_append(d, "sectors", value, b->sectors, &b->nsectors, MSG_MAX_SECTORS, true,
		          err, errlen);
	else if (strcmp(field, "action") == 0)
		return s_action(d, value, err, errlen);
	else if (strcmp(field, "attack") == 0)
		return s_attack(d, value, err, errlen);
	else if (strcmp(field, "indicator") == 0)
		return s_add_indicator(d, NULL, 0, value, err, errlen);
	else if (strcmp(field, "seq") == 0)
		return s_uint(field, value, &m->seq, err, errlen);
	else if (strcmp(field, "time") == 0 || strcmp(field, "expires") == 0) {
		/* RFC 3339 (as query --json prints it) or ms since the epoch. */
		uint64_t *t = field[0] == 't' ? &m->time : &b->expires;
		if (timefmt_parse(value, 0, t) == -1 && s_uint(field, value, t, err, errlen) == -1)
			return errf(err, errlen, "%s: '%s' is not an RFC 3339 time", field, value);
	} else if (strcmp(field, "ref") == 0) {
		if (s_id(field, value, m->ref, err, errlen) == -1)
			return -1;
		m->has_ref = true;
	} else if (strcmp(field, "lead") == 0) {
		if (id_parse(b->lead, value) == -1)
			return errf(err, errlen, "lead: '%s' is not a node id (64 hex digits)",
			    value);
		b->has_lead = true;
	} else if (strcmp(field, "peer") == 0)
		return s_id(field, value, b->peer, err, errlen);
	else
		return errf(err, errlen, "unknown field '%s'", field);
	return 0;
}

int
draft_add_recipient(struct draft *d, const uint8_t key[MSG_KEY_LEN], char *err, size_t errlen)
{
	struct msg *m = d->m;
	char hex[2 * MSG_KEY_LEN + 1];

	hex_encode(hex, key, MSG_KEY_LEN);
	if (msg_is_recipient(m, key))
		return errf(err, errlen, "recipients: %.12s named twice", hex);
	if (m->nto == MSG_MAX_RECIPIENTS)
		return errf(err, errlen, "recipients: at most %d in a message", MSG_MAX_RECIPIENTS);
	memcpy(m->to[m->nto++], key, MSG_KEY_LEN);
	return 0;
}

/* What an update may carry, for the error that names none. */
#define UPDATE_FIELDS                                                                              \
	"title, summary, category, type, severity, impact, status, sectors, scope, indicators, "   \
	"attack, actions, detection, effects, response, lessons, expires or lead"

int
draft_check(const struct draft *d, char *err, size_t errlen)
{
	const struct msg *m = d->m;
	const struct msg_body *b = &m->body;
	const char *kind = msg_kind_name(m->kind), *tlp = msg_tlp_name(m->tlp);

	if (msg_tlp_addressed(m->tlp) && m->nto == 0)
		return errf(err, errlen, "recipients: tlp %s needs at least one (--to NAME)", tlp);
	if (!msg_tlp_addressed(m->tlp) && m->nto > 0)
		return errf(err, errlen,
		    "recipients: tlp %s names no recipients (only amber, amber+strict and red do)",
		    tlp);
	if (b->text.n > 0 && m->kind != MSG_KIND_COMMENT)
		return errf(err, errlen,
		    "text: only a comment has text (a sighting or a retraction has a note)");
	if (msg_has_lessons(b) && m->kind != MSG_KIND_INCIDENT && m->kind != MSG_KIND_UPDATE)
		return errf(err, errlen,
		    "detection, effects, response and lessons: only an incident or an update "
		    "carries them (this is kind %s)",
		    kind);
	if (b->has_lead && m->kind != MSG_KIND_UPDATE)
		return errf(err, errlen, "lead: only an update names a lead (this is kind %s)",
		    kind);
	switch (m->kind) {
	case MSG_KIND_INCIDENT:
		if (b->title.n == 0)
			return errf(err, errlen,
			    "title is required for an incident (1 to %d bytes)", MSG_MAX_TITLE);
		if (b->category < 0)
			return errf(err, errlen, "category is required for an incident");
		if (b->severity < 0)
			return errf(err, errlen, "severity is required for an incident");
		return 0;
	case MSG_KIND_UPDATE:
		if (msg_case_fields(b) == 0)
			return errf(err, errlen,
			    "an update carries at least one field that changes (" UPDATE_FIELDS
			    ")");
		break;
	case MSG_KIND_COMMENT:
		if (b->text.n == 0)
			return errf(err, errlen, "text is required for a comment (1 to %d bytes)",
			    MSG_MAX_NOTE);
		break;
	case MSG_KIND_ROSTER:
	case MSG_KIND_BEACON:
	case MSG_KIND_ROTATE:
		if (m->has_ref)
			return errf(err, errlen, "ref: kind %s refers to no message", kind);
		return 0;
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
	case MSG_KIND_ENDPOINTS:
		break;
	}
	if (!m->has_ref)
		return errf(err, errlen,
		    "ref is required for kind %s (the id of the message it %s)", kind,
		    m->kind == MSG_KIND_RETRACT ? "withdraws" : "refers to");
	return 0;
}
static int
s_json_array(struct draft *d, const char *key, const json_t *v, const char *field, char *err,
    size_t errlen)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return errf(err, errlen, "%s: expected an array", key);
	json_array_foreach(v, i, e)
	{
		if (json_is_object(e) && strcmp(field, "indicator") == 0) {
			const char *t = json_string_value(json_object_get(e, "type"));
			const char *val = json_string_value(json_object_get(e, "value"));
			if (t == NULL || val == NULL)
				return errf(err, errlen,
				    "indicators: each needs \"type\" and \"value\"");
			if (s_add_indicator(d, t, strlen(t), val, err, errlen) == -1)
				return -1;
		} else if (!json_is_string(e))
			return errf(err, errlen, "%s: expected strings", key);
		else if (draft_set(d, field, json_string_value(e), err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
s_json_recipients(struct draft *d, const json_t *v, draft_resolve_fn resolve, void *arg, char *err,
    size_t errlen)
{
	uint8_t key[MSG_KEY_LEN];
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return errf(err, errlen, "recipients: expected an array");
	json_array_foreach(v, i, e)
	{
		const char *who = json_is_object(e) ? json_string_value(json_object_get(e, "id"))
		                                    : json_string_value(e);
		if (who == NULL)
			return errf(err, errlen, "recipients: expected names or ids");
		if (resolve != NULL ? resolve(arg, who, key, err, errlen) == -1
		                    : s_id("recipients", who, key, err, errlen) == -1)
			return -1;
		if (draft_add_recipient(d, key, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
draft_from_json(struct draft *d, const json_t *o, draft_resolve_fn resolve, void *arg, char *err,
    size_t errlen)
{
	static const char *const ignored[] = { "id", "origin", "origin_name", "received", "sealed",
		"retracted", "revoked", "expired", "cursor", "words", "reports", "thread", "state",
		"campaign" };
	static const struct {
		const char *key, *field;
	} arrays[] = { { "sectors", "sector" }, { "attack", "attack" }, { "actions", "action" },
		{ "indicators", "indicator" } };
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return errf(err, errlen, "expected a JSON object");
	json_object_foreach((json_t *)o, key, v)
	{
		char num[24];
		size_t i;

		for (i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
			if (strcmp(key, ignored[i]) == 0)
				break;
		if (i < sizeof ignored / sizeof ignored[0] || json_is_null(v))
			continue;
		for (i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
			if (strcmp(key, arrays[i].key) == 0)
				break;
		if (i < sizeof arrays / sizeof arrays[0]) {
			if (s_json_array(d, key, v, arrays[i].field, err, errlen) == -1)
				return -1;
		} else if (strcmp(key, "recipients") == 0) {
			if (s_json_recipients(d, v, resolve, arg, err, errlen) == -1)
				return -1;
		} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			if (draft_set(d, key, num, err, errlen) == -1)
				return -1;
		} else if (json_is_boolean(v)) {
			if (draft_set(d, key, json_is_true(v) ? "yes" : "no", err, errlen) == -1)
				return -1;
		} else if (!json_is_string(v))
			return errf(err, errlen, "%s: expected a string", key);
		else if (draft_set(d, key, json_string_value(v), err, errlen) == -1)
			return -1;
	}
	return 0;
}
