/*
 * misp — socmesh cases as MISP events and back (misp.h).  The mapping is
 * docs/INTEROP.md's; the comments here say why where it is not obvious.
 */
#include "misp.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "draft.h"
#include "msg.h"
#include "timefmt.h"
#include "util.h"

/* ---------------------------------------------------------------- common */

static const char *
s_get(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A new string from a printf format; NULL when out of memory. */
static char *s_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
s_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static bool
s_hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The MISP attribute type and default category (describeTypes.json,
 * sane_defaults) of each socmesh indicator type, in enum ioc_type order. */
static const struct {
	const char *type, *category;
} s_ioc_misp[IOC_TYPE_COUNT] = {
	[IOC_IPV4] = { "ip-dst", "Network activity" },
	[IOC_IPV6] = { "ip-dst", "Network activity" },
	[IOC_CIDR] = { "ip-dst", "Network activity" },
	[IOC_DOMAIN] = { "domain", "Network activity" },
	[IOC_URL] = { "url", "Network activity" },
	[IOC_EMAIL] = { "email-src", "Payload delivery" },
	[IOC_MD5] = { "md5", "Payload delivery" },
	[IOC_SHA1] = { "sha1", "Payload delivery" },
	[IOC_SHA256] = { "sha256", "Payload delivery" },
	[IOC_FILENAME] = { "filename", "Payload delivery" },
	[IOC_CVE] = { "vulnerability", "External analysis" },
	[IOC_ASN] = { "AS", "Network activity" },
	[IOC_JA3] = { "ja3-fingerprint-md5", "Network activity" },
};

/* The case's text fields that travel as MISP "text" attributes whose
 * comment names the field (MISP events have no place of their own for
 * them; the schema allows no EventReport). */
static const char *const s_text_fields[] = { "summary", "scope", "detection", "effects", "response",
	"lessons" };
#define NTEXT (sizeof s_text_fields / sizeof s_text_fields[0])

/* ---------------------------------------------------------------- export */

struct misp_export {
	json_t *msgs; /* message id (hex) -> a copy of the message */
};

struct misp_export *
misp_export_new(void)
{
	struct misp_export *x = calloc(1, sizeof *x);

	if (x == NULL || (x->msgs = json_object()) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

void
misp_export_destroy(struct misp_export **xp)
{
	if (xp == NULL || *xp == NULL)
		return;
	json_decref((*xp)->msgs);
	free(*xp);
	*xp = NULL;
}

static int
s_msg_time(const json_t *m, uint64_t *ms)
{
	const json_t *t = json_object_get(m, "time");

	if (json_is_integer(t) && json_integer_value(t) >= 0) {
		*ms = (uint64_t)json_integer_value(t);
		return 0;
	}
	if (!json_is_string(t) || strlen(json_string_value(t)) < 10)
		return -1;
	return timefmt_parse(json_string_value(t), 0, ms);
}

int
misp_export_add(struct misp_export *x, const json_t *msg, char *err, size_t errlen)
{
	const char *id = s_get(msg, "id"), *kind = s_get(msg, "kind"), *tlp = s_get(msg, "tlp");
	const char *origin = s_get(json_object_get(msg, "origin"), "id");
	json_t *copy;
	uint64_t ms;
	int k, t;

	if (!json_is_object(msg))
		return errf(err, errlen, "not a message: a JSON object");
	if (!s_hex64(id))
		return errf(err, errlen, "a message without an id (64 hex digits)");
	if (kind == NULL || (k = msg_kind_parse(kind, strlen(kind))) < 0)
		return errf(err, errlen, "message %.16s: no kind, or an unknown one", id);
	if (tlp == NULL || (t = msg_tlp_parse(tlp, strlen(tlp))) < 0)
		return errf(err, errlen, "message %.16s: no tlp, or an unknown one", id);
	if (!s_hex64(origin))
		return errf(err, errlen, "message %.16s: no origin id", id);
	if (s_msg_time(msg, &ms) == -1)
		return errf(err, errlen, "message %.16s: no time, or not RFC 3339", id);
	if (k != MSG_KIND_INCIDENT && k != MSG_KIND_UPDATE && k != MSG_KIND_COMMENT &&
	    k != MSG_KIND_SIGHTING && k != MSG_KIND_RETRACT) {
		errf(err, errlen, "message %.16s: a %s is not exported to MISP", id, kind);
		return 1;
	}
	if (json_is_true(json_object_get(msg, "sealed"))) {
		errf(err, errlen, "message %.16s: sealed, and its body is not open here", id);
		return 1;
	}
	if (t == MSG_TLP_RED) {
		errf(err, errlen, "message %.16s: TLP:RED is never exported", id);
		return 1;
	}
	if (k == MSG_KIND_INCIDENT && s_get(msg, "title") == NULL)
		return errf(err, errlen, "incident %.16s: no title", id);
	if (k != MSG_KIND_INCIDENT && !s_hex64(s_get(msg, "ref")))
		return errf(err, errlen, "%s %.16s: no ref", kind, id);
	if (json_object_get(x->msgs, id) != NULL) {
		errf(err, errlen, "message %.16s: added before", id);
		return 1;
	}
	if ((copy = json_deep_copy(msg)) == NULL || json_object_set_new(x->msgs, id, copy) == -1)
		return errf(err, errlen, "out of memory");
	return 0;
}

/* A message of the export, with what sorting and placing need. */
struct ent {
	json_t *m;
	const char *id, *origin, *ref, *org;
	uint64_t ms;
	int kind, tlp;
};

static int
s_ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* A case being rolled up into an event. */
struct ev {
	struct ent *inc;
	const char *lead;  /* node id (hex) the origin named to lead, or NULL */
	json_t *fields;    /* the case's fields now, as msgjson names them */
	json_t *fieldtime; /* field -> ms of the message that set it last */
	json_t *attrs;     /* the attributes from messages, in their order */
	json_t *seen;      /* "type:value" of every indicator attribute */
	uint64_t ts;       /* ms of the latest message in the event */
	bool retracted;    /* its origin retracted the case */
};

static const char *
s_distribution(int tlp)
{
	switch (tlp) {
	case MSG_TLP_CLEAR:
		return "3"; /* all communities */
	case MSG_TLP_GREEN:
		return "1"; /* this community only */
	default:
		return "0"; /* your organisation only */
	}
}

static json_t *
s_ts(uint64_t ms)
{
	char b[24];

	snprintf(b, sizeof b, "%" PRIu64, ms / 1000);
	return json_string(b);
}

/* A new attribute; uuid is interop_uuid(name). */
static json_t *
s_attr(const char *name, const char *type, const char *category, const char *value, bool ids,
    uint64_t ms, const char *distribution, const char *comment)
{
	char uuid[INTEROP_UUID_LEN + 1];
	json_t *a;

	interop_uuid(uuid, name);
	a = json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:s}", "uuid", uuid, "type", type, "category",
	    category, "value", value, "to_ids", ids, "timestamp", s_ts(ms), "distribution",
	    distribution);
	if (a != NULL && comment != NULL && comment[0] != '\0')
		json_object_set_new(a, "comment", json_string(comment));
	return a;
}

/* The distribution of an attribute from message e in event v: inherited
 * unless e's TLP is stricter than the case's. */
static const char *
s_attr_dist(const struct ev *v, const struct ent *e)
{
	return e->tlp > v->inc->tlp ? s_distribution(e->tlp) : "5";
}

/* Adds the indicators of e as attributes of v, each once. */
static void
s_add_iocs(struct ev *v, const struct ent *e, bool ids, const char *comment)
{
	const json_t *list = json_object_get(e->m, "indicators");
	const json_t *i;
	size_t k;

	json_array_foreach(list, k, i)
	{
		const char *t = s_get(i, "type"), *val = s_get(i, "value");
		char key[IOC_MAX_VALUE + 64];
		int ty;

		if (t == NULL || val == NULL || (ty = ioc_type_parse(t, strlen(t))) < 0)
			continue;
		snprintf(key, sizeof key, "%s:%s", t, val);
		if (json_object_get(v->seen, key) != NULL)
			continue;
		json_object_set_new(v->seen, key, json_true());
		char name[IOC_MAX_VALUE + 160];
		snprintf(name, sizeof name, "%s/%s:%s", e->id, t, val);
		json_array_append_new(v->attrs,
		    s_attr(name, s_ioc_misp[ty].type, s_ioc_misp[ty].category, val, ids, e->ms,
		        s_attr_dist(v, e), comment));
	}
}

static const char *const s_case_fields[] = { "title", "summary", "category", "type", "severity",
	"impact", "status", "scope", "detection", "effects", "response", "lessons", "sectors",
	"attack", "actions", "expires" };

/* label, then "field: value" lines of the case fields an update holds. */
static char *
s_update_text(const json_t *m, const char *label)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fputs(label, f);
	for (size_t i = 0; i < sizeof s_case_fields / sizeof s_case_fields[0]; i++) {
		const json_t *v = json_object_get(m, s_case_fields[i]);
		if (json_is_string(v))
			fprintf(f, "\n%s: %s", s_case_fields[i], json_string_value(v));
		else if (json_is_array(v) && json_array_size(v) > 0) {
			const json_t *e;
			size_t k;
			fprintf(f, "\n%s:", s_case_fields[i]);
			json_array_foreach(v, k, e)
			{
				if (json_is_string(e))
					fprintf(f, " %s", json_string_value(e));
			}
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
s_apply_update(struct ev *v, const struct ent *e)
{
	bool applies = strcmp(e->origin, v->inc->origin) == 0 ||
	    (v->lead != NULL && strcmp(e->origin, v->lead) == 0);
	char who[300];

	snprintf(who, sizeof who, "update by %s", e->org);
	/* A stricter update than its case stays an attribute of its own
	 * distribution: rolled into the event it would reach more people. */
	if (!applies || e->tlp > v->inc->tlp) {
		char label[320];
		snprintf(label, sizeof label, "update %sby %s", applies ? "" : "proposed ", e->org);
		char *text = s_update_text(e->m, label);
		if (text != NULL)
			json_array_append_new(v->attrs,
			    s_attr(e->id, "comment", "Other", text, false, e->ms, s_attr_dist(v, e),
			        applies ? "update" : "proposed update"));
		free(text);
		s_add_iocs(v, e, applies, applies ? who : "proposed update");
		return;
	}
	for (size_t i = 0; i < sizeof s_case_fields / sizeof s_case_fields[0]; i++) {
		json_t *f = json_object_get(e->m, s_case_fields[i]);
		if ((json_is_string(f) && json_string_length(f) > 0) ||
		    (json_is_array(f) && json_array_size(f) > 0)) {
			json_object_set(v->fields, s_case_fields[i], f);
			json_object_set_new(v->fieldtime, s_case_fields[i],
			    json_integer((json_int_t)e->ms));
		}
	}
	if (strcmp(e->origin, v->inc->origin) == 0 && s_hex64(s_get(e->m, "lead")))
		v->lead = s_get(e->m, "lead");
	s_add_iocs(v, e, true, who);
}

static void
s_apply(struct ev *v, struct ent *e)
{
	char what[400];
	char when[TIMEFMT_LEN];
	const char *note = s_get(e->m, "note");

	if (e->ms > v->ts)
		v->ts = e->ms;
	timefmt_format(when, e->ms);
	switch (e->kind) {
	case MSG_KIND_UPDATE:
		s_apply_update(v, e);
		break;
	case MSG_KIND_COMMENT:
		snprintf(what, sizeof what, "comment by %s", e->org);
		if (s_get(e->m, "text") != NULL)
			json_array_append_new(v->attrs,
			    s_attr(e->id, "comment", "Other", s_get(e->m, "text"), false, e->ms,
			        s_attr_dist(v, e), what));
		s_add_iocs(v, e, true, what);
		break;
	case MSG_KIND_SIGHTING: {
		/* The MISP event schema has no Sighting: a comment says it. */
		char *text = s_fmt("sighting by %s at %s%s%s", e->org, when, note ? ": " : "",
		    note ? note : "");
		if (text == NULL)
			break;
		json_array_append_new(v->attrs,
		    s_attr(e->id, "comment", "Other", text, false, e->ms, s_attr_dist(v, e),
		        "sighting"));
		free(text);
		break;
	}
	case MSG_KIND_RETRACT: {
		char *text = s_fmt("retracted by %s at %s%s%s", e->org, when, note ? ": " : "",
		    note ? note : "");
		v->retracted = true;
		if (text == NULL)
			break;
		json_array_append_new(v->attrs,
		    s_attr(e->id, "comment", "Other", text, false, e->ms, s_attr_dist(v, e),
		        "retraction"));
		free(text);
		break;
	}
	default:
		break;
	}
}

/* The message that opens the case e belongs to, or NULL: an update's ref
 * must be the incident; comments and sightings may answer each other. */
static struct ent *
s_case_of(struct ent *ents, size_t n, const json_t *index, const struct ent *e)
{
	const char *ref = e->ref;

	for (int hop = 0; hop < 16 && ref != NULL; hop++) {
		const json_t *i = json_object_get(index, ref);
		struct ent *t;
		if (i == NULL || (size_t)json_integer_value(i) >= n)
			return NULL;
		t = &ents[json_integer_value(i)];
		if (t->kind == MSG_KIND_INCIDENT)
			return t;
		if (e->kind == MSG_KIND_UPDATE || t->kind == MSG_KIND_UPDATE)
			return NULL;
		ref = t->ref;
	}
	return NULL;
}

static const char *
s_threat_level(const char *sev)
{
	int s = sev != NULL ? msg_severity_parse(sev, strlen(sev)) : -1;

	switch (s) {
	case MSG_SEV_LOW:
		return "3";
	case MSG_SEV_MEDIUM:
		return "2";
	case -1:
		return "2";
	default:
		return "1"; /* high, very-high, critical */
	}
}

static const char *
s_analysis(const char *status)
{
	int s = status != NULL ? msg_status_parse(status, strlen(status)) : -1;

	return s == MSG_STATUS_RESOLVED || s == MSG_STATUS_FALSE_POSITIVE ? "2" : "1";
}

static void s_add_tag(json_t *tags, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends the tag named by fmt to tags, once. */
static void
s_add_tag(json_t *tags, const char *fmt, ...)
{
	char name[512];
	const json_t *t;
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	json_array_foreach(tags, i, t)
	{
		if (strcmp(s_get(t, "name"), name) == 0)
			return;
	}
	json_array_append_new(tags, json_pack("{s:s}", "name", name));
}

static json_t *
s_compose(struct ev *v)
{
	const struct ent *inc = v->inc;
	const json_t *f = v->fields, *e;
	char uuid[INTEROP_UUID_LEN + 1], org[INTEROP_UUID_LEN + 1], name[200], date[16];
	json_t *event, *tags = json_array(), *attrs = json_array(), *a;
	time_t secs = (time_t)(inc->ms / 1000);
	struct tm tm;
	size_t i;

	interop_uuid(uuid, inc->id);
	snprintf(name, sizeof name, "node/%s", inc->origin);
	interop_uuid(org, name);
	if (gmtime_r(&secs, &tm) == NULL || strftime(date, sizeof date, "%Y-%m-%d", &tm) == 0)
		snprintf(date, sizeof date, "1970-01-01");

	s_add_tag(tags, "tlp:%s", msg_tlp_name((enum msg_tlp)inc->tlp));
	if (s_get(f, "category") != NULL) {
		if (s_get(f, "type") != NULL)
			s_add_tag(tags, "rsit:%s=\"%s\"", s_get(f, "category"), s_get(f, "type"));
		else
			s_add_tag(tags, "rsit:%s", s_get(f, "category"));
	}
	json_array_foreach(json_object_get(f, "attack"), i, e)
	{
		if (json_is_string(e))
			s_add_tag(tags, "mitre-attack:technique=\"%s\"", json_string_value(e));
	}
	json_array_foreach(json_object_get(f, "sectors"), i, e)
	{
		if (json_is_string(e))
			s_add_tag(tags, "socmesh:sector=\"%s\"", json_string_value(e));
	}
	s_add_tag(tags, "socmesh:message=\"%s\"", inc->id);
	if (v->retracted)
		s_add_tag(tags, "socmesh:retracted");

	/* The case's text fields first, as their latest values. */
	for (i = 0; i < NTEXT; i++) {
		const char *t = s_get(f, s_text_fields[i]);
		if (t == NULL || t[0] == '\0')
			continue;
		snprintf(name, sizeof name, "%s/%s", inc->id, s_text_fields[i]);
		json_array_append_new(attrs,
		    s_attr(name, "text", "Other", t, false,
		        (uint64_t)json_integer_value(
		            json_object_get(v->fieldtime, s_text_fields[i])),
		        "5", s_text_fields[i]));
	}
	if (s_get(f, "impact") != NULL) {
		snprintf(name, sizeof name, "%s/impact", inc->id);
		json_array_append_new(attrs,
		    s_attr(name, "text", "Other", s_get(f, "impact"), false,
		        (uint64_t)json_integer_value(json_object_get(v->fieldtime, "impact")), "5",
		        "impact"));
	}
	json_array_foreach(json_object_get(f, "actions"), i, e)
	{
		char *n2;
		if (!json_is_string(e) ||
		    (n2 = s_fmt("%s/action:%s", inc->id, json_string_value(e))) == NULL)
			continue;
		json_array_append_new(attrs,
		    s_attr(n2, "text", "Other", json_string_value(e), false,
		        (uint64_t)json_integer_value(json_object_get(v->fieldtime, "actions")), "5",
		        "action"));
		free(n2);
	}
	/* A retracted case keeps its attributes for the record, deleted and
	 * out of detection, so that a MISP that imported it drops them. */
	json_array_foreach(v->attrs, i, a)
	{
		if (v->retracted && json_is_true(json_object_get(a, "to_ids"))) {
			json_object_set_new(a, "to_ids", json_false());
			json_object_set_new(a, "deleted", json_true());
		}
		json_array_append(attrs, a);
	}
	event = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:b,s:{s:s,s:s},s:o,s:o}", "uuid", uuid,
	    "info", s_get(f, "title") != NULL ? s_get(f, "title") : "", "date", date, "timestamp",
	    s_ts(v->ts), "threat_level_id", s_threat_level(s_get(f, "severity")), "analysis",
	    s_analysis(s_get(f, "status")), "distribution", s_distribution(inc->tlp), "published",
	    false, "Orgc", "name", inc->org, "uuid", org, "Tag", tags, "Attribute", attrs);
	return event != NULL ? json_pack("{s:o}", "Event", event) : NULL;
}

json_t *
misp_export_events(const struct misp_export *x)
{
	size_t n = json_object_size(x->msgs), nent = 0, nev = 0, i;
	struct ent *ents = calloc(n + 1, sizeof *ents);
	struct ev *evs = calloc(n + 1, sizeof *evs);
	json_t *index = json_object(), *cases = json_object(), *retracted = json_object();
	json_t *out = json_array(), *m;
	const char *id;

	if (ents == NULL || evs == NULL || index == NULL || cases == NULL || retracted == NULL ||
	    out == NULL)
		goto fail;
	json_object_foreach(x->msgs, id, m)
	{
		struct ent *e = &ents[nent++];
		const json_t *o = json_object_get(m, "origin");
		const char *k = s_get(m, "kind"), *t = s_get(m, "tlp");
		e->m = m;
		e->id = id;
		e->origin = s_get(o, "id");
		e->org = s_get(o, "name") != NULL ? s_get(o, "name") : e->origin;
		e->ref = s_get(m, "ref");
		e->kind = msg_kind_parse(k, strlen(k));
		e->tlp = msg_tlp_parse(t, strlen(t));
		if (s_msg_time(m, &e->ms) == -1)
			e->ms = 0;
	}
	qsort(ents, nent, sizeof *ents, s_ent_cmp);
	for (i = 0; i < nent; i++)
		json_object_set_new(index, ents[i].id, json_integer((json_int_t)i));
	/* What its own origin retracted counts for nothing (the case itself
	 * excepted: it is exported as retracted), whether the retraction is
	 * among the messages or query marked the message "retracted". */
	for (i = 0; i < nent; i++) {
		const json_t *t;
		if (json_is_true(json_object_get(ents[i].m, "retracted")))
			json_object_set_new(retracted, ents[i].id, json_true());
		if (ents[i].kind != MSG_KIND_RETRACT ||
		    (t = json_object_get(index, ents[i].ref)) == NULL)
			continue;
		if (strcmp(ents[json_integer_value(t)].origin, ents[i].origin) == 0)
			json_object_set_new(retracted, ents[i].ref, json_true());
	}
	for (i = 0; i < nent; i++) {
		struct ev *v;
		if (ents[i].kind != MSG_KIND_INCIDENT)
			continue;
		v = &evs[nev];
		v->inc = &ents[i];
		v->ts = ents[i].ms;
		v->retracted = json_object_get(retracted, ents[i].id) != NULL;
		v->fields = json_deep_copy(ents[i].m);
		v->fieldtime = json_object();
		v->attrs = json_array();
		v->seen = json_object();
		if (v->fields == NULL || v->fieldtime == NULL || v->attrs == NULL ||
		    v->seen == NULL)
			goto fail;
		for (size_t k = 0; k < sizeof s_case_fields / sizeof s_case_fields[0]; k++)
			json_object_set_new(v->fieldtime, s_case_fields[k],
			    json_integer((json_int_t)ents[i].ms));
		s_add_iocs(v, &ents[i], true, NULL);
		json_object_set_new(cases, ents[i].id, json_integer((json_int_t)nev++));
	}
	for (i = 0; i < nent; i++) {
		struct ent *e = &ents[i], *c;
		if (e->kind == MSG_KIND_INCIDENT)
			continue;
		if (e->kind == MSG_KIND_RETRACT) {
			/* only the case's own retraction shows; the rest
			 * took their targets out above */
			const json_t *ci = json_object_get(cases, e->ref);
			if (ci != NULL && json_object_get(retracted, e->ref) != NULL &&
			    strcmp(evs[json_integer_value(ci)].inc->origin, e->origin) == 0)
				s_apply(&evs[json_integer_value(ci)], e);
			continue;
		}
		if (json_object_get(retracted, e->id) != NULL ||
		    (c = s_case_of(ents, nent, index, e)) == NULL)
			continue;
		s_apply(&evs[json_integer_value(json_object_get(cases, c->id))], e);
	}
	for (i = 0; i < nev; i++) {
		json_t *ev = s_compose(&evs[i]);
		if (ev == NULL || json_array_append_new(out, ev) == -1)
			goto fail;
	}
	goto done;
fail:
	json_decref(out);
	out = NULL;
done:
	for (i = 0; evs != NULL && i < nev + 1; i++) {
		json_decref(evs[i].fields);
		json_decref(evs[i].fieldtime);
		json_decref(evs[i].attrs);
		json_decref(evs[i].seen);
	}
	free(ents);
	free(evs);
	json_decref(index);
	json_decref(cases);
	json_decref(retracted);
	return out;
}

/* ---------------------------------------------------------------- import */

/* The n bytes at in as a new string of at most max bytes, cut between
 * characters, with control characters (line feed and tab excepted when
 * multiline) made spaces: text as socmesh takes it.  NULL when out of
 * memory. */
static char *
s_clean(const char *in, size_t n, bool multiline, size_t max)
{
	size_t k = n < max ? n : max;
	char *out;

	if (k < n)
		while (k > 0 && ((unsigned char)in[k] & 0xc0) == 0x80)
			k--;
	if ((out = malloc(k + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)in[i];
		bool keep = multiline && (c == '\n' || c == '\t');
		out[i] = (c < 0x20 && !keep) || c == 0x7f ? ' ' : (char)c;
	}
	out[k] = '\0';
	return out;
}

/* One event being imported. */
struct imp {
	json_t *report;
	char obj[80];     /* the event's uuid */
	size_t nreported; /* report lines about this event */
	size_t nunreported;
	json_t *msg;     /* the message being built */
	json_t *iocs;    /* its indicators */
	json_t *seen;    /* "type:value" of each */
	size_t ioc_over; /* indicators beyond MSG_MAX_INDICATORS */
	json_t *lines;   /* summary lines: attributes not for detection */
	char *summary;   /* the text of a "summary" text attribute */
	char *first;     /* "<type> <value>" of the first attribute */
	char known[65];  /* socmesh:message tag */
	int tlp;         /* the strictest tlp: tag, or -1 */
	bool category_set;
	bool retracted; /* socmesh:retracted: its origin withdrew the case */
};

static void s_note(struct imp *im, const char *object, const char *type, const char *result,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A report line about a part of the event, at most MISP_MAX_REPORTED. */
static void
s_note(struct imp *im, const char *object, const char *type, const char *result, const char *fmt,
    ...)
{
	char reason[512];
	va_list ap;

	if (im->nreported == MISP_MAX_REPORTED) {
		im->nunreported++;
		return;
	}
	im->nreported++;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	interop_report(im->report, object, type, result, "%s", reason);
}

/* A summary line "label: value", one line of at most MSG_MAX_ACTION
 * bytes. */
static void
s_line(struct imp *im, const char *label, const char *value)
{
	char *l = s_fmt("%s: %s", label, value), *c;

	if (l == NULL)
		return;
	if ((c = s_clean(l, strlen(l), false, MSG_MAX_ACTION)) != NULL)
		json_array_append_new(im->lines, json_string(c));
	free(c);
	free(l);
}

/* Adds indicator value of socmesh type tname (or an IP address of any
 * family for "ip"); 0, or -1 with why. */
static int
s_add_ioc(struct imp *im, const char *tname, const char *value, char *why, size_t whylen)
{
	struct ioc_value v;
	char key[IOC_MAX_VALUE + 32], buf[64];
	size_t n = strlen(value);

	if (strcmp(tname, "ip") == 0) {
		int t = ioc_infer(value, n);
		if (t != IOC_IPV4 && t != IOC_IPV6 && t != IOC_CIDR)
			return errf(why, whylen, "'%.200s' is not an IP address", value);
		tname = ioc_type_name((enum ioc_type)t);
	} else if (strcmp(tname, "asn") == 0 && n > 0 && n < 20 &&
	    strspn(value, "0123456789") == n) {
		snprintf(buf, sizeof buf, "AS%s", value);
		value = buf;
		n = strlen(buf);
	}
	if (ioc_parse(tname, strlen(tname), value, n, &v, why, whylen) == -1)
		return -1;
	snprintf(key, sizeof key, "%s:%s", ioc_type_name(v.type), v.value);
	if (json_object_get(im->seen, key) != NULL)
		return 0;
	if (json_array_size(im->iocs) == MSG_MAX_INDICATORS) {
		im->ioc_over++;
		return 0;
	}
	json_object_set_new(im->seen, key, json_true());
	json_array_append_new(im->iocs,
	    json_pack("{s:s,s:s}", "type", ioc_type_name(v.type), "value", v.value));
	return 0;
}

/* MISP attribute types and the socmesh indicators they give: the part
 * before '|' is of type a, the part after of type b ("-": not kept). */
static const struct {
	const char *misp, *a, *b;
} s_types[] = {
	{ "ip-dst", "ip", NULL },
	{ "ip-src", "ip", NULL },
	{ "ip-dst|port", "ip", "-" },
	{ "ip-src|port", "ip", "-" },
	{ "domain", "domain", NULL },
	{ "hostname", "domain", NULL },
	{ "domain|ip", "domain", "ip" },
	{ "hostname|port", "domain", "-" },
	{ "url", "url", NULL },
	{ "uri", "url", NULL },
	{ "email", "email", NULL },
	{ "email-src", "email", NULL },
	{ "email-dst", "email", NULL },
	{ "md5", "md5", NULL },
	{ "sha1", "sha1", NULL },
	{ "sha256", "sha256", NULL },
	{ "filename", "filename", NULL },
	{ "filename|md5", "filename", "md5" },
	{ "filename|sha1", "filename", "sha1" },
	{ "filename|sha256", "filename", "sha256" },
	{ "malware-sample", "filename", "md5" },
	{ "vulnerability", "cve", NULL },
	{ "AS", "asn", NULL },
	{ "ja3-fingerprint-md5", "ja3", NULL },
};

static void
s_map(struct imp *im, const char *aid, const char *type, const char *value)
{
	char why[512];
	size_t i;

	for (i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
		if (strcasecmp(s_types[i].misp, type) == 0)
			break;
	if (i == sizeof s_types / sizeof s_types[0]) {
		s_note(im, aid, "attribute", "skipped",
		    "attribute %s type %.64s: no socmesh indicator type", aid, type);
		return;
	}
	if (s_types[i].b == NULL) {
		if (s_add_ioc(im, s_types[i].a, value, why, sizeof why) == -1)
			s_note(im, aid, "attribute", "skipped", "attribute %s type %.64s: %s", aid,
			    type, why);
		return;
	}
	/* a composite: "a|b"; a malware-sample may hold its file name only */
	const char *bar = strchr(value, '|');
	char *a = s_clean(value, bar != NULL ? (size_t)(bar - value) : strlen(value), false,
	    IOC_MAX_VALUE * 2);
	if (a == NULL)
		return;
	if (s_add_ioc(im, s_types[i].a, a, why, sizeof why) == -1)
		s_note(im, aid, "attribute", "skipped", "attribute %s type %.64s: %s", aid, type,
		    why);
	free(a);
	if (bar != NULL && strcmp(s_types[i].b, "-") != 0 &&
	    s_add_ioc(im, s_types[i].b, bar + 1, why, sizeof why) == -1)
		s_note(im, aid, "attribute", "skipped", "attribute %s type %.64s: %s", aid, type,
		    why);
}

/* The text attributes that socmesh's export writes for a case's fields:
 * 1 when a was one (and was taken), else 0. */
static int
s_case_text(struct imp *im, const char *comment, const char *value)
{
	char *c;

	if (comment == NULL)
		return 0;
	if (strcmp(comment, "summary") == 0 && im->summary == NULL) {
		im->summary = s_clean(value, strlen(value), true, MSG_MAX_SUMMARY);
		return 1;
	}
	for (size_t i = 1; i < NTEXT; i++) {
		if (strcmp(comment, s_text_fields[i]) != 0 ||
		    json_object_get(im->msg, s_text_fields[i]) != NULL)
			continue;
		c = s_clean(value, strlen(value), true,
		    strcmp(comment, "scope") == 0 ? MSG_MAX_SCOPE : MSG_MAX_SUMMARY);
		if (c != NULL && c[0] != '\0')
			json_object_set_new(im->msg, s_text_fields[i], json_string(c));
		free(c);
		return 1;
	}
	if (strcmp(comment, "impact") == 0 && msg_severity_parse(value, strlen(value)) >= 0 &&
	    json_object_get(im->msg, "impact") == NULL) {
		json_object_set_new(im->msg, "impact", json_string(value));
		return 1;
	}
	if (strcmp(comment, "action") == 0) {
		json_t *acts = json_object_get(im->msg, "actions");
		if (acts == NULL) {
			acts = json_array();
			json_object_set_new(im->msg, "actions", acts);
		}
		if (json_array_size(acts) < MSG_MAX_ACTIONS &&
		    (c = s_clean(value, strlen(value), false, MSG_MAX_ACTION)) != NULL) {
			if (c[0] != '\0')
				json_array_append_new(acts, json_string(c));
			free(c);
			return 1;
		}
	}
	return 0;
}

static void
s_attribute(struct imp *im, const json_t *a, const char *where, size_t idx)
{
	const char *uuid = s_get(a, "uuid"), *type = s_get(a, "type"), *value = s_get(a, "value");
	const json_t *ids = json_object_get(a, "to_ids"), *dist;
	json_int_t d = -1;
	char aid[160];
	bool detect;

	if (uuid != NULL && strlen(uuid) <= 64)
		snprintf(aid, sizeof aid, "%s", uuid);
	else
		snprintf(aid, sizeof aid, "%s/%s[%zu]", im->obj, where, idx);
	if (!json_is_object(a) || type == NULL || value == NULL) {
		s_note(im, aid, "attribute", "skipped", "attribute %s: no type or value", aid);
		return;
	}
	if (json_is_true(json_object_get(a, "deleted"))) {
		s_note(im, aid, "attribute", "skipped", "attribute %s: deleted in MISP", aid);
		return;
	}
	/* An attribute MISP keeps within one organisation or a sharing
	 * group must not reach the whole audience of the event's TLP. */
	dist = json_object_get(a, "distribution");
	if (json_is_integer(dist))
		d = json_integer_value(dist);
	else if (json_is_string(dist) && json_string_length(dist) == 1)
		d = json_string_value(dist)[0] - '0';
	if (d == 0 || d == 4) {
		s_note(im, aid, "attribute", "skipped",
		    "attribute %s: distribution %d (%s), narrower than the event's TLP", aid,
		    (int)d, d == 0 ? "your organisation only" : "a sharing group");
		return;
	}
	if (im->first == NULL)
		im->first = s_fmt("%s %s", type, value);
	detect = !(json_is_false(ids) || (json_is_integer(ids) && json_integer_value(ids) == 0) ||
	    (json_is_string(ids) &&
	        (strcmp(json_string_value(ids), "0") == 0 ||
	            strcasecmp(json_string_value(ids), "false") == 0)));
	if (strcmp(type, "text") == 0 && s_case_text(im, s_get(a, "comment"), value) == 1)
		return;
	if (!detect) {
		s_line(im, type, value);
		return;
	}
	s_map(im, aid, type, value);
}

/* The value of a machine tag's predicate=value (quotes taken off), in
 * out; the predicate's length before it, or -1 when tag does not begin
 * with ns (case-insensitive). */
static int
s_machine_tag(const char *tag, const char *ns, char *pred, size_t plen, char *val, size_t vlen)
{
	size_t n = strlen(ns);
	const char *p, *eq;
	size_t k;

	if (strncasecmp(tag, ns, n) != 0)
		return -1;
	p = tag + n;
	eq = strchr(p, '=');
	k = eq != NULL ? (size_t)(eq - p) : strlen(p);
	snprintf(pred, plen, "%.*s", (int)k, p);
	for (char *c = pred; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	val[0] = '\0';
	if (eq != NULL) {
		const char *v = eq + 1;
		size_t vn = strlen(v);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
			v++;
			vn -= 2;
		}
		snprintf(val, vlen, "%.*s", (int)vn, v);
	}
	return (int)k;
}

static bool
s_technique(const char *s)
{
	size_t n = strlen(s);
	bool ok = (n == 5 || n == 9) && (s[0] == 'T' || s[0] == 't');

	for (size_t i = 1; ok && i < n; i++)
		ok = i == 5 ? s[i] == '.' : isdigit((unsigned char)s[i]);
	return ok;
}

static bool
s_token(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= MSG_MAX_TOKEN &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Appends s to the list key of the message, once, within max. */
static void
s_list_add(json_t *msg, const char *key, const char *s, size_t max)
{
	json_t *l = json_object_get(msg, key), *e;
	size_t i;

	if (l == NULL) {
		l = json_array();
		json_object_set_new(msg, key, l);
	}
	json_array_foreach(l, i, e)
	{
		if (strcmp(json_string_value(e), s) == 0)
			return;
	}
	if (json_array_size(l) < max)
		json_array_append_new(l, json_string(s));
}

static void
s_tag(struct imp *im, const char *name)
{
	char pred[128], val[300];
	const char *dash;

	if (s_machine_tag(name, "tlp:", pred, sizeof pred, val, sizeof val) >= 0) {
		int t = strcmp(pred, "white") == 0 ? MSG_TLP_CLEAR
		                                   : msg_tlp_parse(pred, strlen(pred));
		if (t >= 0 && t > im->tlp)
			im->tlp = t;
		return;
	}
	if (s_machine_tag(name, "rsit:", pred, sizeof pred, val, sizeof val) >= 0 ||
	    s_machine_tag(name, "ecsirt:", pred, sizeof pred, val, sizeof val) >= 0) {
		int c = msg_category_parse(pred, strlen(pred));
		if (im->category_set)
			return;
		im->category_set = true;
		if (c < 0) {
			s_note(im, im->obj, "tag", "skipped",
			    "tag %.200s: no such RSIT class; category other", name);
			json_object_set_new(im->msg, "category", json_string("other"));
			return;
		}
		json_object_set_new(im->msg, "category",
		    json_string(msg_category_name((enum msg_category)c)));
		for (char *p = val; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (s_token(val))
			json_object_set_new(im->msg, "type", json_string(val));
		else if (val[0] != '\0')
			s_note(im, im->obj, "tag", "skipped",
			    "tag %.200s: '%.64s' is no socmesh incident type (a-z, 0-9, -)", name,
			    val);
		return;
	}
	if (s_machine_tag(name, "mitre-attack:", pred, sizeof pred, val, sizeof val) >= 0 ||
	    s_machine_tag(name, "misp-galaxy:mitre-", pred, sizeof pred, val, sizeof val) >= 0) {
		/* galaxy clusters read "Phishing - T1566" */
		const char *id = (dash = strstr(val, " - ")) != NULL ? dash + 3 : val;
		while ((dash = strstr(id, " - ")) != NULL)
			id = dash + 3;
		if (s_technique(id)) {
			char up[16];
			snprintf(up, sizeof up, "%.15s", id);
			up[0] = 'T';
			s_list_add(im->msg, "attack", up, MSG_MAX_ATTACK);
			return;
		}
	}
	if (s_machine_tag(name, "socmesh:", pred, sizeof pred, val, sizeof val) >= 0) {
		if (strcmp(pred, "sector") == 0 && s_token(val)) {
			s_list_add(im->msg, "sectors", val, MSG_MAX_SECTORS);
			return;
		}
		if (strcmp(pred, "message") == 0 && s_hex64(val)) {
			for (char *p = val; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			memcpy(im->known, val, 65);
			return;
		}
		if (strcmp(pred, "retracted") == 0) {
			im->retracted = true;
			return;
		}
	}
	s_line(im, "tag", name);
}

static void
s_tags(struct imp *im, const json_t *ev)
{
	const json_t *t, *g, *c;
	size_t i, j;

	json_array_foreach(json_object_get(ev, "Tag"), i, t)
	{
		if (s_get(t, "name") != NULL)
			s_tag(im, s_get(t, "name"));
	}
	json_array_foreach(json_object_get(ev, "Galaxy"), i, g)
	{
		json_array_foreach(json_object_get(g, "GalaxyCluster"), j, c)
		{
			if (s_get(c, "tag_name") != NULL)
				s_tag(im, s_get(c, "tag_name"));
		}
	}
}

static const char *
s_severity(const json_t *t)
{
	json_int_t v = json_is_integer(t) ? json_integer_value(t) : 0;
	const char *s = json_string_value(t);

	if (s != NULL && strlen(s) == 1)
		v = s[0] - '0';
	switch (v) {
	case 1:
		return "high";
	case 3:
	case 4:
		return "low";
	default:
		return "medium";
	}
}

/* The summary: the case's own summary if the event carries one, a line
 * saying where it came from, then the lines of what is not for detection
 * while they fit. */
static char *
s_summary(struct imp *im, const char *org)
{
	char *head = s_fmt("Imported from MISP event %s%s%s%s.", im->obj, org ? " (" : "",
	    org ? org : "", org ? ")" : "");
	char *out = NULL;
	size_t used, hl, sl, k;
	const json_t *l;
	size_t over = 0;

	if (head == NULL || (out = malloc(MSG_MAX_SUMMARY + 1)) == NULL)
		goto done;
	hl = strlen(head);
	sl = im->summary != NULL ? strlen(im->summary) : 0;
	if (sl > 0 && sl + 2 + hl > MSG_MAX_SUMMARY) {
		/* cut the text between characters to leave room for the head */
		sl = MSG_MAX_SUMMARY - 2 - hl;
		while (sl > 0 && ((unsigned char)im->summary[sl] & 0xc0) == 0x80)
			sl--;
	}
	used = 0;
	if (sl > 0) {
		memcpy(out, im->summary, sl);
		memcpy(out + sl, "\n\n", 2);
		used = sl + 2;
	}
	memcpy(out + used, head, hl);
	used += hl;
	json_array_foreach(im->lines, k, l)
	{
		size_t n = json_string_length(l);
		if (used + 1 + n > MSG_MAX_SUMMARY) {
			over++;
			continue;
		}
		out[used++] = '\n';
		memcpy(out + used, json_string_value(l), n);
		used += n;
	}
	out[used] = '\0';
	if (over > 0)
		s_note(im, im->obj, "event", "skipped",
		    "%zu attributes or tags not for detection did not fit in the summary (%d "
		    "bytes)",
		    over, MSG_MAX_SUMMARY);
done:
	free(head);
	return out;
}

/* The uuid of an event: its own, or one derived from its content for an
 * event that has none (so that importing it again is recognised). */
static void
s_event_uuid(const json_t *ev, char *out, size_t outlen)
{
	const char *u = s_get(ev, "uuid");
	char id[INTEROP_UUID_LEN + 1], *dump, *name;

	if (u != NULL && strlen(u) > 0 && strlen(u) <= 64 &&
	    strspn(u, "0123456789abcdefABCDEF-") == strlen(u)) {
		snprintf(out, outlen, "%s", u);
		return;
	}
	dump = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	name = s_fmt("misp-event:%s", dump != NULL ? dump : "");
	interop_uuid(id, name != NULL ? name : "misp-event:");
	snprintf(out, outlen, "%s", id);
	free(name);
	free(dump);
}

/* One event into an item, or a refusal in the report. */
static void
s_event(const json_t *ev, const struct interop_opts *o, json_t *items, json_t *report)
{
	struct imp im = { .report = report, .tlp = -1 };
	const json_t *ts = json_object_get(ev, "timestamp"), *a, *ob;
	const char *info = s_get(ev, "info"), *org, *tname;
	char stamp[32], source[160], err[512];
	struct draft *d = NULL;
	json_t *item;
	char *title = NULL, *summary = NULL;
	size_t i, j;

	s_event_uuid(ev, im.obj, sizeof im.obj);
	if (json_is_string(ts) && json_string_length(ts) > 0 && json_string_length(ts) <= 20 &&
	    strspn(json_string_value(ts), "0123456789") == json_string_length(ts))
		snprintf(stamp, sizeof stamp, "%s", json_string_value(ts));
	else if (json_is_integer(ts) && json_integer_value(ts) >= 0)
		snprintf(stamp, sizeof stamp, "%" JSON_INTEGER_FORMAT, json_integer_value(ts));
	else
		snprintf(stamp, sizeof stamp, "0");
	org = s_get(json_object_get(ev, "Orgc"), "name");
	if (org == NULL)
		org = s_get(json_object_get(ev, "Org"), "name");
	im.msg = json_pack("{s:s}", "kind", "incident");
	im.iocs = json_array();
	im.seen = json_object();
	im.lines = json_array();
	if (im.msg == NULL || im.iocs == NULL || im.seen == NULL || im.lines == NULL)
		goto done;

	s_tags(&im, ev);
	if (im.retracted) {
		interop_report(report, im.obj, "event", "skipped",
		    "tagged socmesh:retracted: its origin withdrew the case");
		goto done;
	}
	if (im.tlp < 0)
		im.tlp = o != NULL ? o->tlp : -1;
	if (im.tlp < 0 || im.tlp >= MSG_TLP_COUNT) {
		interop_report(report, im.obj, "event", "refused", "no tlp: tag; give --tlp");
		goto done;
	}
	if (msg_tlp_addressed((enum msg_tlp)im.tlp)) {
		interop_report(report, im.obj, "event", "refused",
		    "tlp:%s: socmesh shares %s only with SOCs named as recipients, which a MISP "
		    "event cannot name",
		    msg_tlp_name((enum msg_tlp)im.tlp), msg_tlp_name((enum msg_tlp)im.tlp));
		goto done;
	}
	json_object_set_new(im.msg, "tlp", json_string(msg_tlp_name((enum msg_tlp)im.tlp)));
	if (!im.category_set)
		json_object_set_new(im.msg, "category", json_string("other"));
	json_object_set_new(im.msg, "severity",
	    json_string(s_severity(json_object_get(ev, "threat_level_id"))));

	json_array_foreach(json_object_get(ev, "Attribute"), i, a)
	{
		s_attribute(&im, a, "Attribute", i);
	}
	json_array_foreach(json_object_get(ev, "Object"), i, ob)
	{
		char where[48];
		snprintf(where, sizeof where, "Object[%zu]/Attribute", i);
		json_array_foreach(json_object_get(ob, "Attribute"), j, a)
		{
			s_attribute(&im, a, where, j);
		}
	}
	if (im.ioc_over > 0)
		s_note(&im, im.obj, "event", "skipped",
		    "%zu indicators beyond the %d of a message were not imported", im.ioc_over,
		    MSG_MAX_INDICATORS);
	if (json_array_size(json_object_get(ev, "Sighting")) > 0)
		s_note(&im, im.obj, "event", "skipped", "sightings are not imported");

	if (info != NULL && info[0] != '\0')
		tname = info;
	else if (im.first != NULL)
		tname = im.first;
	else
		tname = NULL;
	if (tname != NULL)
		title = s_clean(tname, strlen(tname), false, MSG_MAX_TITLE);
	else
		title = s_fmt("MISP event %s", im.obj);
	if (title == NULL || (summary = s_summary(&im, org)) == NULL)
		goto done;
	json_object_set_new(im.msg, "title", json_string(title));
	json_object_set_new(im.msg, "summary", json_string(summary));
	json_object_set(im.msg, "indicators", im.iocs);
	if (im.nunreported > 0)
		interop_report(report, im.obj, "event", "skipped",
		    "%zu report lines more about this event were left out", im.nunreported);

	/* What the node will publish must pass as a draft. */
	if ((d = draft_new()) == NULL)
		goto done;
	if (draft_from_json(d, im.msg, NULL, NULL, err, sizeof err) == -1 ||
	    draft_check(d, err, sizeof err) == -1) {
		interop_report(report, im.obj, "event", "refused", "%s", err);
		goto done;
	}
	snprintf(source, sizeof source, "misp:%s@%s", im.obj, stamp);
	item = json_pack("{s:s,s:s,s:O}", "source", source, "object", im.obj, "message", im.msg);
	if (item != NULL && im.known[0] != '\0')
		json_object_set_new(item, "known", json_string(im.known));
	json_array_append_new(items, item);
done:
	draft_destroy(&d);
	free(title);
	free(summary);
	free(im.summary);
	free(im.first);
	json_decref(im.msg);
	json_decref(im.iocs);
	json_decref(im.seen);
	json_decref(im.lines);
}

int
misp_import(const json_t *doc, const struct interop_opts *o, json_t **items, json_t **report,
    char *err, size_t errlen)
{
	const json_t *list = NULL, *e;
	size_t i;

	*items = NULL;
	*report = NULL;
	if (json_is_array(doc))
		list = doc;
	else if (json_is_object(doc) && json_object_get(doc, "response") != NULL) {
		list = json_object_get(doc, "response");
		if (!json_is_array(list))
			return errf(err, errlen,
			    "not a MISP document: \"response\" is no list of events");
	} else if (!json_is_object(doc))
		return errf(err, errlen,
		    "not a MISP document: neither an event nor a list of them");
	if (list != NULL && json_array_size(list) > MISP_MAX_EVENTS)
		return errf(err, errlen, "%zu events in the document; at most %d",
		    json_array_size(list), MISP_MAX_EVENTS);
	*items = json_array();
	*report = json_array();
	if (*items == NULL || *report == NULL) {
		json_decref(*items);
		json_decref(*report);
		*items = *report = NULL;
		return errf(err, errlen, "out of memory");
	}
	for (i = 0; i < (list != NULL ? json_array_size(list) : 1); i++) {
		const json_t *ev;
		char where[32];
		e = list != NULL ? json_array_get(list, i) : doc;
		snprintf(where, sizeof where, "event[%zu]", i);
		ev = json_object_get(e, "Event") != NULL ? json_object_get(e, "Event") : e;
		if (!json_is_object(ev)) {
			interop_report(*report, where, "event", "refused", "not an event object");
			continue;
		}
		s_event(ev, o, *items, *report);
	}
	return 0;
}

/* Refuses nesting deeper than MISP_MAX_DEPTH before the parser recurses
 * into it. */
static int
s_depth_ok(const char *buf, size_t len)
{
	size_t depth = 0;
	bool str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				str = false;
		} else if (c == '"')
			str = true;
		else if (c == '[' || c == '{') {
			if (++depth > MISP_MAX_DEPTH)
				return 0;
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return 1;
}

int
misp_import_buf(const char *buf, size_t len, const struct interop_opts *o, json_t **items,
    json_t **report, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc;
	int rc;

	*items = NULL;
	*report = NULL;
	if (len > MISP_MAX_DOCUMENT)
		return errf(err, errlen, "the document is %zu bytes; at most %u", len,
		    MISP_MAX_DOCUMENT);
	if (!s_depth_ok(buf, len))
		return errf(err, errlen, "not a MISP document: nested deeper than %d levels",
		    MISP_MAX_DEPTH);
	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return errf(err, errlen, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		    jerr.column);
	rc = misp_import(doc, o, items, report, err, errlen);
	json_decref(doc);
	return rc;
}
