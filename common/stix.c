/*
 * stix — socmesh messages to STIX 2.1 objects, and STIX 2.1 bundles to an
 * import plan (stix.h; the mapping in docs/INTEROP.md).
 *
 * Export keeps a copy of every message added and computes the objects only
 * when asked, from the messages sorted by time then id: the result depends
 * on the set of messages, never on the order they came in.
 */
#include "stix.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "ioc.h"
#include "msg.h"
#include "timefmt.h"
#include "util.h"

/* ---- constants ------------------------------------------------------- */

/* The OASIS TLP 2.0 marking definitions, by enum msg_tlp. */
static const char *const s_tlp2_ids[MSG_TLP_COUNT] = {
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};
static const char *const s_tlp2_names[MSG_TLP_COUNT] = { "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER",
	"TLP:AMBER+STRICT", "TLP:RED" };

/* The STIX 2.1 (TLP 1.0) marking definitions: white, green, amber, red. */
static const struct {
	const char *id;
	enum msg_tlp tlp;
} s_tlp1[] = {
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", MSG_TLP_CLEAR },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", MSG_TLP_GREEN },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", MSG_TLP_AMBER },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", MSG_TLP_RED },
};

#define S_TLP2_CREATED  "2022-10-01T00:00:00.000Z"
/* Identities are no message's: they carry a fixed time, so that every
 * export gives the same version of a SOC's identity. */
#define S_IDENTITY_TIME "1970-01-01T00:00:00.000Z"
#define S_SOURCE        "socmesh"

/* ---- the export ------------------------------------------------------ */

struct stix_export {
	json_t *msgs; /* message id hex -> the message as added (time normalized) */
};

/* What objects() computes. */
struct s_ctx {
	json_t *out;        /* "<id> <modified>" -> entry */
	json_t *marks;      /* tlp name -> true: the markings used */
	json_t *idents;     /* node hex -> identity object */
	json_t *latest;     /* message hex -> the last version of its object */
	json_t *reports;    /* incident hex -> true: a report was made */
	const json_t *byid; /* message hex -> message */
	bool oom;
};

struct stix_export *
stix_export_new(void)
{
	struct stix_export *x = calloc(1, sizeof *x);

	if (x == NULL || (x->msgs = json_object()) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

void
stix_export_destroy(struct stix_export **xp)
{
	if (xp == NULL || *xp == NULL)
		return;
	json_decref((*xp)->msgs);
	free(*xp);
	*xp = NULL;
}

static const char *
s_get(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A 64-hex-digit id at key of o (lowercased into out), or -1. */
static int
s_hexid(const json_t *o, const char *key, char out[65])
{
	const char *s = s_get(o, key);
	uint8_t b[32];

	if (s == NULL || id_parse(b, s) == -1)
		return -1;
	hex_encode(out, b, sizeof b);
	return 0;
}

static const char *
s_origin(const json_t *m)
{
	return s_get(json_object_get(m, "origin"), "id");
}

static uint64_t
s_ms(const char *t)
{
	uint64_t ms = 0;

	if (t == NULL || timefmt_parse(t, 0, &ms) == -1)
		return 0;
	return ms;
}

static enum msg_tlp
s_msg_tlp(const json_t *m)
{
	const char *s = s_get(m, "tlp");
	int t = s != NULL ? msg_tlp_parse(s, strlen(s)) : -1;

	return t < 0 ? MSG_TLP_RED : (enum msg_tlp)t;
}

/* An RFC 3339 time: digits first, and one timefmt reads. */
static int
s_time_ok(const char *s, uint64_t *ms)
{
	return s != NULL && s[0] >= '0' && s[0] <= '9' && strchr(s, 'T') != NULL &&
	        timefmt_parse(s, 0, ms) == 0
	    ? 0
	    : -1;
}

int
stix_export_add(struct stix_export *x, const json_t *msg, char *err, size_t errlen)
{
	static const char *const kinds[] = { "incident", "update", "comment", "sighting",
		"retract" };
	const char *kind, *tlps, *when;
	char id[65], origin[65], ref[65], t[TIMEFMT_LEN];
	const json_t *ind, *e;
	bool exported = false;
	uint64_t ms;
	json_t *copy;
	size_t i;
	int tlp;

	if (!json_is_object(msg))
		return errf(err, errlen, "not a message (no JSON object)");
	if ((kind = s_get(msg, "kind")) == NULL)
		return errf(err, errlen, "kind: missing");
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		exported |= strcmp(kind, kinds[i]) == 0;
	if (!exported) {
		errf(err, errlen, "%.32s messages are not exported", kind);
		return 1;
	}
	if ((tlps = s_get(msg, "tlp")) == NULL || (tlp = msg_tlp_parse(tlps, strlen(tlps))) < 0)
		return errf(err, errlen, "tlp: missing or unknown");
	if (tlp == MSG_TLP_RED) {
		errf(err, errlen, "TLP:RED is never exported");
		return 1;
	}
	if (json_is_true(json_object_get(msg, "sealed"))) {
		errf(err, errlen, "a sealed message whose body is not open is not exported");
		return 1;
	}
	if (s_hexid(msg, "id", id) == -1)
		return errf(err, errlen, "id: not a message id");
	if (s_hexid(json_object_get(msg, "origin"), "id", origin) == -1)
		return errf(err, errlen, "origin: no node id");
	if (s_time_ok((when = s_get(msg, "time")), &ms) == -1)
		return errf(err, errlen, "time: not an RFC 3339 time");
	if (strcmp(kind, "incident") != 0 && s_hexid(msg, "ref", ref) == -1)
		return errf(err, errlen, "ref: a %s names the message it refers to", kind);
	if (strcmp(kind, "incident") == 0 && s_get(msg, "title") == NULL)
		return errf(err, errlen, "title: an incident has one");
	if ((ind = json_object_get(msg, "indicators")) != NULL && !json_is_array(ind))
		return errf(err, errlen, "indicators: not an array");
	json_array_foreach(ind, i, e)
	{
		const char *ty = s_get(e, "type"), *v = s_get(e, "value");
		if (ty == NULL || v == NULL || ioc_type_parse(ty, strlen(ty)) < 0)
			return errf(err, errlen, "indicators: entry %zu is no {type, value}", i);
	}
	if (json_object_get(x->msgs, id) != NULL)
		return 0;
	if ((copy = json_deep_copy(msg)) == NULL)
		return errf(err, errlen, "out of memory");
	timefmt_format(t, ms);
	if (json_object_set_new(copy, "time", json_string(t)) == -1 ||
	    json_object_set_new(copy, "id", json_string(id)) == -1 ||
	    json_object_set_new(json_object_get(copy, "origin"), "id", json_string(origin)) == -1 ||
	    (strcmp(kind, "incident") != 0 &&
	        json_object_set_new(copy, "ref", json_string(ref)) == -1) ||
	    json_object_set_new(x->msgs, id, copy) == -1)
		return errf(err, errlen, "out of memory");
	return 0;
}

/* ---- building objects -------------------------------------------------- */

static void
s_uuid_id(char *out, size_t cap, const char *type, const char *name)
{
	char u[INTEROP_UUID_LEN + 1];

	interop_uuid(u, name);
	snprintf(out, cap, "%s--%s", type, u);
}

#define S_ID_MAX 96 /* "attack-pattern--" and a UUID, with room */

static void
s_set(struct s_ctx *c, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		c->oom = true;
}

/* Appends v (a new reference) to a, noting out of memory. */
static void
s_append(struct s_ctx *c, json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) == -1)
		c->oom = true;
}

static void
s_identity_id(char out[S_ID_MAX], const char *node)
{
	char name[80];

	snprintf(name, sizeof name, "node/%s", node);
	s_uuid_id(out, S_ID_MAX, "identity", name);
}

/* The identity of the SOC whose node object (msgjson's {id, name}) is n:
 * made once; its id into out. */
static void
s_identity(struct s_ctx *c, const json_t *n, char out[S_ID_MAX])
{
	const char *hex = s_get(n, "id"), *name = s_get(n, "name");
	json_t *o;

	s_identity_id(out, hex);
	if (json_object_get(c->idents, hex) != NULL)
		return;
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "identity", "spec_version",
	    "2.1", "id", out, "created", S_IDENTITY_TIME, "modified", S_IDENTITY_TIME, "name",
	    name != NULL && name[0] != '\0' ? name : hex, "identity_class", "organization",
	    "x_socmesh_node", hex);
	if (o == NULL || json_object_set_new(c->idents, hex, o) == -1)
		c->oom = true;
}

/* The common properties of an object of message m. */
static json_t *
s_base(struct s_ctx *c, const char *type, const char *id, const char *created, const char *modified,
    const json_t *m, enum msg_tlp tlp)
{
	char ident[S_ID_MAX];
	json_t *o;

	s_identity(c, json_object_get(m, "origin"), ident);
	if (json_object_set_new(c->marks, msg_tlp_name(tlp), json_true()) == -1)
		c->oom = true;
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", type, "spec_version", "2.1", "id",
	    id, "created", created, "modified", modified, "created_by_ref", ident,
	    "object_marking_refs", s_tlp2_ids[tlp]);
	if (o == NULL)
		c->oom = true;
	return o;
}

/* external_references [{"source_name": "socmesh", "external_id": hex}]. */
static void
s_extref(struct s_ctx *c, json_t *o, const char *hex)
{
	s_set(c, o, "external_references",
	    json_pack("[{s:s,s:s}]", "source_name", S_SOURCE, "external_id", hex));
}

/* Records o as a version of its object, made from message msgid (NULL for
 * shared objects). */
static void
s_emit(struct s_ctx *c, json_t *o, const char *msgid)
{
	const json_t *m = msgid != NULL ? json_object_get(c->byid, msgid) : NULL;
	const char *received = s_get(m, "received");
	const char *mod = s_get(o, "modified");
	char key[160];
	uint64_t ms;
	json_t *e;

	if (o == NULL) {
		c->oom = true;
		return;
	}
	snprintf(key, sizeof key, "%s %s", s_get(o, "id"), mod != NULL ? mod : s_get(o, "created"));
	if (received != NULL && s_time_ok(received, &ms) == 0) {
		char t[TIMEFMT_LEN];
		timefmt_format(t, ms);
		e = json_pack("{s:o,s:s?,s:s}", "object", o, "message", msgid, "received", t);
	} else
		e = json_pack("{s:o,s:s?,s:n}", "object", o, "message", msgid, "received");
	if (e == NULL || json_object_set_new(c->out, key, e) == -1)
		c->oom = true;
}

/* A STIX pattern string literal of v: ' and \ escaped. */
static void
s_quote(char *out, size_t cap, const char *v)
{
	size_t j = 0;

	if (cap < 3)
		return;
	out[j++] = '\'';
	for (; *v != '\0' && j + 3 < cap; v++) {
		if (*v == '\'' || *v == '\\')
			out[j++] = '\\';
		out[j++] = *v;
	}
	out[j++] = '\'';
	out[j] = '\0';
}

/* The pattern of an indicator of type t and value v (not a CVE). */
static void
s_pattern(char *out, size_t cap, enum ioc_type t, const char *v)
{
	char q[2 * IOC_MAX_VALUE + 3];
	const char *path = "file:name";

	s_quote(q, sizeof q, v);
	switch (t) {
	case IOC_IPV4:
		path = "ipv4-addr:value";
		break;
	case IOC_IPV6:
		path = "ipv6-addr:value";
		break;
	case IOC_CIDR:
		path = strchr(v, ':') != NULL ? "ipv6-addr:value" : "ipv4-addr:value";
		break;
	case IOC_DOMAIN:
		path = "domain-name:value";
		break;
	case IOC_URL:
		path = "url:value";
		break;
	case IOC_EMAIL:
		path = "email-addr:value";
		break;
	case IOC_MD5:
		path = "file:hashes.MD5";
		break;
	case IOC_SHA1:
		path = "file:hashes.'SHA-1'";
		break;
	case IOC_SHA256:
		path = "file:hashes.'SHA-256'";
		break;
	case IOC_FILENAME:
	case IOC_CVE:
		break;
	case IOC_ASN:
		/* a number, not a string: AS64500 is 64500 */
		snprintf(out, cap, "[autonomous-system:number = %s]", v + 2);
		return;
	case IOC_JA3:
		path = "network-traffic:x_ja3_md5";
		break;
	}
	snprintf(out, cap, "[%s = %s]", path, q);
}

/* The ATT&CK page of technique id (T1566 or T1566.001). */
static void
s_attack_url(char *out, size_t cap, const char *id)
{
	const char *dot = strchr(id, '.');

	if (dot != NULL)
		snprintf(out, cap, "https://attack.mitre.org/techniques/%.*s/%s/", (int)(dot - id),
		    id, dot + 1);
	else
		snprintf(out, cap, "https://attack.mitre.org/techniques/%s/", id);
}

/*
 * The indicator, vulnerability and attack-pattern objects of message m,
 * emitted; their ids appended to refs.  expires: valid_until when later
 * than the message.
 */
static void
s_indicators(struct s_ctx *c, const json_t *m, enum msg_tlp tlp, json_t *refs)
{
	const char *mid = s_get(m, "id"), *t = s_get(m, "time"), *exp = s_get(m, "expires");
	const json_t *e;
	char id[S_ID_MAX], name[2 * IOC_MAX_VALUE + 128], pat[4 * IOC_MAX_VALUE + 64];
	uint64_t expms = 0;
	size_t i;

	if (exp != NULL && s_time_ok(exp, &expms) == 0 && expms <= s_ms(t))
		expms = 0;
	json_array_foreach(json_object_get(m, "indicators"), i, e)
	{
		const char *ty = s_get(e, "type"), *v = s_get(e, "value");
		int it = ioc_type_parse(ty, strlen(ty));
		struct ioc_value iv;
		char ierr[8];
		json_t *o;

		/* normalized again: the message may come from elsewhere than msgjson */
		if (ioc_parse(ty, strlen(ty), v, strlen(v), &iv, ierr, sizeof ierr) == -1)
			continue;
		v = iv.value;
		if (it == IOC_CVE) {
			snprintf(name, sizeof name, "vulnerability/%s/%s", mid, v);
			s_uuid_id(id, sizeof id, "vulnerability", name);
			o = s_base(c, "vulnerability", id, t, t, m, tlp);
			s_set(c, o, "name", json_string(v));
			s_set(c, o, "external_references",
			    json_pack("[{s:s,s:s},{s:s,s:s}]", "source_name", "cve", "external_id",
			        v, "source_name", S_SOURCE, "external_id", mid));
		} else {
			snprintf(name, sizeof name, "indicator/%s/%s:%s", mid, ty, v);
			s_uuid_id(id, sizeof id, "indicator", name);
			s_pattern(pat, sizeof pat, (enum ioc_type)it, v);
			o = s_base(c, "indicator", id, t, t, m, tlp);
			snprintf(name, sizeof name, "%s %s", ioc_type_name((enum ioc_type)it), v);
			s_set(c, o, "name", json_string(name));
			s_set(c, o, "indicator_types", json_pack("[s]", "malicious-activity"));
			s_set(c, o, "pattern", json_string(pat));
			s_set(c, o, "pattern_type", json_string("stix"));
			s_set(c, o, "pattern_version", json_string("2.1"));
			s_set(c, o, "valid_from", json_string(t));
			if (expms > 0) {
				char te[TIMEFMT_LEN];
				timefmt_format(te, expms);
				s_set(c, o, "valid_until", json_string(te));
			}
			s_extref(c, o, mid);
		}
		s_append(c, refs, json_string(id));
		s_emit(c, o, mid);
	}
	json_array_foreach(json_object_get(m, "attack"), i, e)
	{
		const char *a = json_string_value(e);
		char url[128];
		json_t *o;

		if (a == NULL || strlen(a) > MSG_MAX_TOKEN)
			continue;
		snprintf(name, sizeof name, "attack-pattern/%s/%s", mid, a);
		s_uuid_id(id, sizeof id, "attack-pattern", name);
		s_attack_url(url, sizeof url, a);
		o = s_base(c, "attack-pattern", id, t, t, m, tlp);
		s_set(c, o, "name", json_string(a));
		s_set(c, o, "external_references",
		    json_pack("[{s:s,s:s,s:s},{s:s,s:s}]", "source_name", "mitre-attack",
		        "external_id", a, "url", url, "source_name", S_SOURCE, "external_id", mid));
		s_append(c, refs, json_string(id));
		s_emit(c, o, mid);
	}
}

/* The case fields an incident or update carries, and their custom
 * properties on a report (title and summary are name and description). */
static const char *const s_case_text[] = { "type", "scope", "detection", "effects", "response",
	"lessons", "expires", "lead", "category", "severity", "impact", "status" };
static const char *const s_case_lists[] = { "sectors", "actions" };

/* Rolls the fields present in m (an incident or update) into fields. */
static void
s_roll(struct s_ctx *c, json_t *fields, const json_t *m)
{
	static const char *const text[] = { "title", "summary" };

	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		if (s_get(m, text[i]) != NULL && s_get(m, text[i])[0] != '\0')
			s_set(c, fields, text[i], json_string(s_get(m, text[i])));
	for (size_t i = 0; i < sizeof s_case_text / sizeof s_case_text[0]; i++)
		if (s_get(m, s_case_text[i]) != NULL && s_get(m, s_case_text[i])[0] != '\0')
			s_set(c, fields, s_case_text[i], json_string(s_get(m, s_case_text[i])));
	for (size_t i = 0; i < sizeof s_case_lists / sizeof s_case_lists[0]; i++) {
		const json_t *a = json_object_get(m, s_case_lists[i]);
		json_t *copy = json_array();
		const json_t *e;
		size_t j;
		json_array_foreach(a, j, e)
		{
			if (json_is_string(e))
				s_append(c, copy, json_copy((json_t *)e));
		}
		if (json_array_size(copy) > 0)
			s_set(c, fields, s_case_lists[i], copy);
		else
			json_decref(copy);
	}
}

static int
s_cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* refs as a sorted array without repeats (a new reference). */
static json_t *
s_sorted_refs(const json_t *refs)
{
	size_t n = json_array_size(refs), k = 0;
	json_t **v = calloc(n + 1, sizeof *v), *out = json_array();

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(refs, i);
	qsort(v, n, sizeof *v, s_cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(json_string_value(v[i]), json_string_value(v[i - 1])) != 0)
			if (json_array_append(out, v[i]) == -1)
				k++;
	free(v);
	if (k > 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A version of the report of incident inc: the rolled fields, the
 * references, modified and the message it comes from. */
static json_t *
s_report(struct s_ctx *c, const json_t *inc, const json_t *fields, const json_t *refs,
    const char *modified, const json_t *m, enum msg_tlp tlp)
{
	const char *ihex = s_get(inc, "id"), *cat = s_get(fields, "category");
	char id[S_ID_MAX], name[80];
	json_t *o, *sorted;

	s_uuid_id(id, sizeof id, "report", ihex);
	o = s_base(c, "report", id, s_get(inc, "time"), modified, inc, tlp);
	s_set(c, o, "name", json_string(s_get(fields, "title") ? s_get(fields, "title") : ihex));
	if (s_get(fields, "summary") != NULL)
		s_set(c, o, "description", json_string(s_get(fields, "summary")));
	s_set(c, o, "published", json_string(modified));
	s_set(c, o, "report_types", json_pack("[s]", "threat-report"));
	if (cat != NULL) {
		snprintf(name, sizeof name, "rsit:%.40s", cat);
		s_set(c, o, "labels", json_pack("[s]", name));
	}
	if (json_array_size(refs) == 0) {
		char ident[S_ID_MAX];
		s_identity_id(ident, s_origin(inc));
		sorted = json_pack("[s]", ident);
	} else
		sorted = s_sorted_refs(refs);
	s_set(c, o, "object_refs", sorted);
	for (size_t i = 0; i < sizeof s_case_text / sizeof s_case_text[0]; i++)
		if (s_get(fields, s_case_text[i]) != NULL) {
			snprintf(name, sizeof name, "x_socmesh_%s", s_case_text[i]);
			s_set(c, o, name, json_string(s_get(fields, s_case_text[i])));
		}
	for (size_t i = 0; i < sizeof s_case_lists / sizeof s_case_lists[0]; i++)
		if (json_object_get(fields, s_case_lists[i]) != NULL) {
			snprintf(name, sizeof name, "x_socmesh_%s", s_case_lists[i]);
			s_set(c, o, name, json_deep_copy(json_object_get(fields, s_case_lists[i])));
		}
	s_set(c, o, "x_socmesh_message", json_string(s_get(m, "id")));
	s_extref(c, o, ihex);
	return o;
}

/* Time t plus 1 ms when t is not later than after (a version's modified
 * is strictly later than the previous one's). */
static void
s_later(char out[TIMEFMT_LEN], const char *t, const char *after)
{
	uint64_t ms = s_ms(t), prev = s_ms(after);

	timefmt_format(out, ms > prev ? ms : prev + 1);
}

/* Keeps (a copy of) the last version of the object of message hex. */
static void
s_keep(struct s_ctx *c, const char *hex, const json_t *o)
{
	if (o == NULL || json_object_set_new(c->latest, hex, json_deep_copy(o)) == -1)
		c->oom = true;
}

/* The text of the fields an update proposes, for a note. */
static json_t *
s_update_text(const json_t *m)
{
	static const char *const f[] = { "title", "summary", "category", "type", "severity",
		"impact", "status", "scope", "detection", "effects", "response", "lessons",
		"expires", "lead" };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	json_t *s;

	if (fp == NULL)
		return NULL;
	fprintf(fp, "socmesh update %s of case %s", s_get(m, "id"), s_get(m, "ref"));
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (s_get(m, f[i]) != NULL)
			fprintf(fp, "\n%s: %s", f[i], s_get(m, f[i]));
	for (size_t i = 0; i < sizeof s_case_lists / sizeof s_case_lists[0]; i++) {
		const json_t *e;
		size_t j;
		json_array_foreach(json_object_get(m, s_case_lists[i]), j, e)
		{
			if (json_is_string(e))
				fprintf(fp, "\n%s: %s", s_case_lists[i], json_string_value(e));
		}
	}
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	s = json_stringn(buf, len);
	free(buf);
	return s;
}

/* A note on the case of message m (kind comment, update or retract). */
static void
s_note(struct s_ctx *c, const json_t *m, json_t *content)
{
	const char *hex = s_get(m, "id"), *t = s_get(m, "time");
	enum msg_tlp tlp = s_msg_tlp(m);
	char id[S_ID_MAX], rep[S_ID_MAX];
	json_t *refs = json_array(), *o;

	if (refs == NULL) {
		json_decref(content);
		c->oom = true;
		return;
	}
	s_uuid_id(id, sizeof id, "note", hex);
	s_uuid_id(rep, sizeof rep, "report", s_get(m, "ref"));
	s_append(c, refs, json_string(rep));
	s_indicators(c, m, tlp, refs);
	o = s_base(c, "note", id, t, t, m, tlp);
	s_set(c, o, "content", content);
	s_set(c, o, "object_refs", refs);
	s_set(c, o, "x_socmesh_kind", json_string(s_get(m, "kind")));
	s_set(c, o, "x_socmesh_ref", json_string(s_get(m, "ref")));
	s_extref(c, o, hex);
	s_keep(c, hex, o);
	s_emit(c, o, hex);
}

static void
s_sighting(struct s_ctx *c, const json_t *m)
{
	const char *hex = s_get(m, "id"), *t = s_get(m, "time");
	char id[S_ID_MAX], rep[S_ID_MAX], ident[S_ID_MAX];
	json_t *o;

	s_uuid_id(id, sizeof id, "sighting", hex);
	s_uuid_id(rep, sizeof rep, "report", s_get(m, "ref"));
	o = s_base(c, "sighting", id, t, t, m, s_msg_tlp(m));
	s_identity_id(ident, s_origin(m));
	s_set(c, o, "sighting_of_ref", json_string(rep));
	s_set(c, o, "where_sighted_refs", json_pack("[s]", ident));
	s_set(c, o, "first_seen", json_string(t));
	s_set(c, o, "last_seen", json_string(t));
	s_set(c, o, "count", json_integer(1));
	if (s_get(m, "note") != NULL && s_get(m, "note")[0] != '\0')
		s_set(c, o, "description", json_string(s_get(m, "note")));
	s_set(c, o, "x_socmesh_ref", json_string(s_get(m, "ref")));
	s_extref(c, o, hex);
	s_keep(c, hex, o);
	s_emit(c, o, hex);
}

static bool
s_kind(const json_t *m, const char *k)
{
	const char *s = s_get(m, "kind");
	return s != NULL && strcmp(s, k) == 0;
}

/* The case of incident inc: its report and one version per update of the
 * same origin, in time order (sorted holds every message in time order). */
static void
s_case(struct s_ctx *c, const json_t *inc, json_t *const *sorted, size_t n)
{
	const char *ihex = s_get(inc, "id");
	enum msg_tlp tlp = s_msg_tlp(inc);
	json_t *fields = json_object(), *refs = json_array(), *o;
	char modified[TIMEFMT_LEN];

	if (fields == NULL || refs == NULL) {
		json_decref(fields);
		json_decref(refs);
		c->oom = true;
		return;
	}
	s_roll(c, fields, inc);
	s_indicators(c, inc, tlp, refs);
	snprintf(modified, sizeof modified, "%s", s_get(inc, "time"));
	o = s_report(c, inc, fields, refs, modified, inc, tlp);
	s_keep(c, ihex, o);
	s_emit(c, o, ihex);
	for (size_t i = 0; i < n; i++) {
		const json_t *u = sorted[i];
		char t[TIMEFMT_LEN];
		if (!s_kind(u, "update") || strcmp(s_get(u, "ref"), ihex) != 0 ||
		    strcmp(s_origin(u), s_origin(inc)) != 0)
			continue;
		/* the most restrictive TLP of what the version holds */
		if (s_msg_tlp(u) > tlp)
			tlp = s_msg_tlp(u);
		s_roll(c, fields, u);
		s_indicators(c, u, s_msg_tlp(u), refs);
		s_later(t, s_get(u, "time"), modified);
		memcpy(modified, t, sizeof t);
		o = s_report(c, inc, fields, refs, modified, u, tlp);
		s_keep(c, ihex, o);
		s_emit(c, o, s_get(u, "id"));
		if (json_object_set_new(c->reports, s_get(u, "id"), json_true()) == -1)
			c->oom = true;
	}
	json_decref(fields);
	json_decref(refs);
}

/* A retract: a revoked version of the object of the message it names, when
 * that was exported and is of the same origin; else a note. */
static void
s_retract(struct s_ctx *c, const json_t *m)
{
	const char *ref = s_get(m, "ref"), *note = s_get(m, "note");
	const json_t *target = json_object_get(c->byid, ref);
	json_t *prev = json_object_get(c->latest, ref), *o;
	char t[TIMEFMT_LEN], *text;
	size_t cap;

	if (prev != NULL && target != NULL && strcmp(s_origin(target), s_origin(m)) == 0 &&
	    !json_is_true(json_object_get(prev, "revoked")) && s_msg_tlp(m) <= s_msg_tlp(target)) {
		if ((o = json_deep_copy(prev)) == NULL) {
			c->oom = true;
			return;
		}
		s_later(t, s_get(m, "time"), s_get(prev, "modified"));
		s_set(c, o, "modified", json_string(t));
		s_set(c, o, "revoked", json_true());
		if (s_kind(target, "incident")) {
			s_set(c, o, "published", json_string(t));
			s_set(c, o, "x_socmesh_message", json_string(s_get(m, "id")));
		}
		s_keep(c, ref, o);
		s_emit(c, o, s_get(m, "id"));
		return;
	}
	cap = 256 + (note != NULL ? strlen(note) : 0);
	if ((text = malloc(cap)) == NULL) {
		c->oom = true;
		return;
	}
	snprintf(text, cap, "socmesh retract %s of message %s%s%s", s_get(m, "id"), ref,
	    note != NULL ? ": " : "", note != NULL ? note : "");
	s_note(c, m, json_string(text));
	free(text);
}

static int
s_cmp_msg(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(s_get(x, "time"), s_get(y, "time"));

	return r != 0 ? r : strcmp(s_get(x, "id"), s_get(y, "id"));
}

static int
s_cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The marking definition of TLP t, and the extension definition. */
static json_t *
s_marking(enum msg_tlp t)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s,s:s}}}", "type", "marking-definition",
	    "spec_version", "2.1", "id", s_tlp2_ids[t], "created", S_TLP2_CREATED, "name",
	    s_tlp2_names[t], "extensions", STIX_TLP2_EXTENSION, "extension_type",
	    "property-extension", "tlp_2_0", msg_tlp_name(t));
}

static json_t *
s_extension(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type",
	    "extension-definition", "spec_version", "2.1", "id", STIX_TLP2_EXTENSION, "name",
	    "TLP 2.0", "description", "This defines TLP 2.0 as a STIX extension", "created",
	    S_TLP2_CREATED, "modified", S_TLP2_CREATED, "created_by_ref",
	    "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01", "schema",
	    "https://github.com/oasis-open/cti-stix-common-objects/tree/master/"
	    "extension-definition-specifications/tlp-2.0",
	    "version", "1.0.0", "extension_types", "property-extension");
}

json_t *
stix_export_objects(const struct stix_export *x)
{
	struct s_ctx c = { 0 };
	size_t n = json_object_size(x->msgs), k = 0;
	json_t **sorted = calloc(n + 1, sizeof *sorted), *v, *result = NULL;
	const char **keys = NULL;
	const char *key;

	c.out = json_object();
	c.marks = json_object();
	c.idents = json_object();
	c.latest = json_object();
	c.reports = json_object();
	c.byid = x->msgs;
	if (sorted == NULL || c.out == NULL || c.marks == NULL || c.idents == NULL ||
	    c.latest == NULL || c.reports == NULL)
		goto done;
	json_object_foreach((json_t *)x->msgs, key, v)
	{
		sorted[k++] = v;
	}
	qsort(sorted, n, sizeof *sorted, s_cmp_msg);
	for (size_t i = 0; i < n; i++)
		if (s_kind(sorted[i], "incident"))
			s_case(&c, sorted[i], sorted, n);
	for (size_t i = 0; i < n; i++) {
		const json_t *m = sorted[i];
		if (s_kind(m, "update") && json_object_get(c.reports, s_get(m, "id")) == NULL)
			s_note(&c, m, s_update_text(m));
		else if (s_kind(m, "comment"))
			s_note(&c, m, json_string(s_get(m, "text") ? s_get(m, "text") : ""));
		else if (s_kind(m, "sighting"))
			s_sighting(&c, m);
	}
	for (size_t i = 0; i < n; i++)
		if (s_kind(sorted[i], "retract"))
			s_retract(&c, sorted[i]);
	/* the shared objects */
	json_object_foreach(c.idents, key, v)
	{
		s_emit(&c, json_incref(v), NULL);
	}
	json_object_foreach(c.marks, key, v)
	{
		int t = msg_tlp_parse(key, strlen(key));
		s_emit(&c, s_marking((enum msg_tlp)t), NULL);
	}
	if (json_object_size(c.marks) > 0)
		s_emit(&c, s_extension(), NULL);
	if (c.oom)
		goto done;
	/* sorted by id, then modified */
	n = json_object_size(c.out);
	if ((keys = calloc(n + 1, sizeof *keys)) == NULL || (result = json_array()) == NULL)
		goto done;
	k = 0;
	json_object_foreach(c.out, key, v)
	{
		keys[k++] = key;
	}
	qsort(keys, n, sizeof *keys, s_cmp_key);
	for (size_t i = 0; i < n; i++)
		if (json_array_append(result, json_object_get(c.out, keys[i])) == -1) {
			json_decref(result);
			result = NULL;
			break;
		}
done:
	free(keys);
	free(sorted);
	json_decref(c.out);
	json_decref(c.marks);
	json_decref(c.idents);
	json_decref(c.latest);
	json_decref(c.reports);
	return result;
}

json_t *
stix_export_bundle(const struct stix_export *x)
{
	json_t *entries = stix_export_objects(x), *objs = json_array(), *e, *b = NULL;
	size_t n = json_object_size(x->msgs), k = 0, i;
	const char **keys = calloc(n + 1, sizeof *keys), *key;
	char *name = NULL, id[S_ID_MAX];
	size_t len = 0;
	FILE *fp = NULL;
	json_t *v;

	if (entries == NULL || objs == NULL || keys == NULL)
		goto done;
	json_array_foreach(entries, i, e)
	{
		if (json_array_append(objs, json_object_get(e, "object")) == -1)
			goto done;
	}
	json_object_foreach((json_t *)x->msgs, key, v)
	{
		keys[k++] = key;
	}
	qsort(keys, n, sizeof *keys, s_cmp_key);
	if ((fp = open_memstream(&name, &len)) == NULL)
		goto done;
	fputs("bundle/", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i > 0 ? "," : "", keys[i]);
	if (fclose(fp) != 0)
		goto done;
	s_uuid_id(id, sizeof id, "bundle", name);
	b = json_pack("{s:s,s:s,s:O}", "type", "bundle", "id", id, "objects", objs);
done:
	free(name);
	free(keys);
	json_decref(objs);
	json_decref(entries);
	return b;
}

/* ---- import ------------------------------------------------------------ */

/* What an import works on. */
struct s_imp {
	const json_t *objs; /* the document's objects */
	json_t *latest;     /* id -> index of its latest version */
	json_t *tlpdefs;    /* marking-definition id -> enum msg_tlp (integer) */
	json_t *used;       /* id -> true: carried by an item */
	json_t *repitem;    /* report id -> index of its item */
	json_t *items, *report;
	const struct interop_opts *o;
	bool oom;
};

static const char *
s_oid(const json_t *o)
{
	return s_get(o, "id");
}

static const char *
s_otype(const json_t *o)
{
	return s_get(o, "type");
}

/* How many of the first max bytes of s to print without cutting a UTF-8
 * character (JSON strings must stay UTF-8). */
static int
s_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (int)n;
}

/* A line that echoes input, made plain: controls become spaces, bytes
 * beyond ASCII question marks (a cut may have split a character). */
static void
s_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = ' ';
		else if ((unsigned char)*s >= 0x80)
			*s = '?';
}

/* The TLP of a marking definition object, or -1. */
static int
s_markdef_tlp(const json_t *o)
{
	const char *dt = s_get(o, "definition_type"), *v;
	const json_t *ext;
	int t;

	ext = json_object_get(json_object_get(o, "extensions"), STIX_TLP2_EXTENSION);
	if ((v = s_get(ext, "tlp_2_0")) != NULL && (t = msg_tlp_parse(v, strlen(v))) >= 0)
		return t;
	if (dt != NULL && strcmp(dt, "tlp") == 0 &&
	    (v = s_get(json_object_get(o, "definition"), "tlp")) != NULL) {
		if (strcmp(v, "white") == 0)
			return MSG_TLP_CLEAR;
		return msg_tlp_parse(v, strlen(v));
	}
	return -1;
}

/* The most restrictive TLP marking of object o, or -1 when it has none. */
static int
s_obj_tlp(const struct s_imp *im, const json_t *o)
{
	const json_t *e;
	size_t i;
	int best = -1;

	json_array_foreach(json_object_get(o, "object_marking_refs"), i, e)
	{
		const char *id = json_string_value(e);
		int t = -1;
		if (id == NULL)
			continue;
		for (size_t j = 0; j < MSG_TLP_COUNT && t < 0; j++)
			if (strcmp(id, s_tlp2_ids[j]) == 0)
				t = (int)j;
		for (size_t j = 0; j < sizeof s_tlp1 / sizeof s_tlp1[0] && t < 0; j++)
			if (strcmp(id, s_tlp1[j].id) == 0)
				t = (int)s_tlp1[j].tlp;
		if (t < 0 && json_object_get(im->tlpdefs, id) != NULL)
			t = (int)json_integer_value(json_object_get(im->tlpdefs, id));
		if (t > best)
			best = t;
	}
	return best;
}

/* The TLP an object's message takes: its marking, else the option; -1 with
 * the object reported as refused when that is none or one that a bundle
 * cannot carry. */
static int
s_item_tlp(struct s_imp *im, const json_t *o)
{
	int t = s_obj_tlp(im, o);

	if (t < 0)
		t = im->o != NULL ? im->o->tlp : -1;
	if (t < 0 || t >= MSG_TLP_COUNT)
		return interop_report(im->report, s_oid(o), s_otype(o), "refused",
		    "no TLP marking; give --tlp");
	if (t == MSG_TLP_RED)
		return interop_report(im->report, s_oid(o), s_otype(o), "refused",
		    "TLP:RED is not imported: it needs named recipients, which a STIX bundle "
		    "cannot give");
	if (msg_tlp_addressed((enum msg_tlp)t))
		return interop_report(im->report, s_oid(o), s_otype(o), "refused",
		    "TLP:%s needs named recipients, which a STIX bundle cannot give; publish it "
		    "with socmesh publish",
		    t == MSG_TLP_AMBER ? "AMBER" : "AMBER+STRICT");
	return t;
}

/* s as text of at most max bytes: controls (but line feed and tab when
 * multiline) become spaces, cut at a UTF-8 boundary.  A new reference. */
static json_t *
s_fit(const char *s, size_t max, bool multiline)
{
	size_t n = strlen(s);
	char *b;
	json_t *r;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((b = malloc(n + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		b[i] = (ch < 0x20 || ch == 0x7f) && !(multiline && (ch == '\n' || ch == '\t'))
		    ? ' '
		    : s[i];
	}
	b[n] = '\0';
	r = json_stringn(b, n);
	free(b);
	return r;
}

static void
s_iset(struct s_imp *im, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		im->oom = true;
}

/* The socmesh message id an object names in its external references. */
static const char *
s_socmesh_ref(const json_t *o)
{
	const json_t *e;
	uint8_t b[32];
	size_t i;

	json_array_foreach(json_object_get(o, "external_references"), i, e)
	{
		const char *src = s_get(e, "source_name"), *id = s_get(e, "external_id");
		if (src != NULL && strcmp(src, S_SOURCE) == 0 && id != NULL && id_parse(b, id) == 0)
			return id;
	}
	return NULL;
}

/* The object of the document with this id (its latest version), or NULL. */
static const json_t *
s_find(const struct s_imp *im, const char *id)
{
	const json_t *k = id != NULL ? json_object_get(im->latest, id) : NULL;

	return k != NULL ? json_array_get(im->objs, (size_t)json_integer_value(k)) : NULL;
}

/* ---- patterns ---- */

/* The socmesh indicator type of an object path of a comparison, or -1. */
static int
s_path_type(const char *path, size_t n, bool *cidr_ok)
{
	static const struct {
		const char *path;
		enum ioc_type t;
	} map[] = {
		{ "ipv4-addr:value", IOC_IPV4 },
		{ "ipv6-addr:value", IOC_IPV6 },
		{ "domain-name:value", IOC_DOMAIN },
		{ "url:value", IOC_URL },
		{ "email-addr:value", IOC_EMAIL },
		{ "file:hashes.md5", IOC_MD5 },
		{ "file:hashes.sha-1", IOC_SHA1 },
		{ "file:hashes.sha1", IOC_SHA1 },
		{ "file:hashes.sha-256", IOC_SHA256 },
		{ "file:hashes.sha256", IOC_SHA256 },
		{ "file:name", IOC_FILENAME },
		{ "autonomous-system:number", IOC_ASN },
		{ "network-traffic:x_ja3_md5", IOC_JA3 },
	};
	char norm[64];
	size_t j = 0;

	/* quotes off, lowercase: file:hashes.'SHA-256' is file:hashes.sha-256 */
	for (size_t i = 0; i < n; i++) {
		char ch = path[i];
		if (ch == '\'')
			continue;
		if (j + 1 >= sizeof norm)
			return -1;
		norm[j++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	norm[j] = '\0';
	*cidr_ok = strncmp(norm, "ipv", 3) == 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(norm, map[i].path) == 0)
			return (int)map[i].t;
	return -1;
}

static bool
s_pat_word(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '-';
}

/* Skips a quoted literal at p[*i] (a quote), unescaping into out (cap
 * bytes, may be NULL): its length, or -1 when it does not end. */
static long
s_pat_string(const char *p, size_t n, size_t *i, char *out, size_t cap)
{
	size_t j = 0;

	for ((*i)++; *i < n; (*i)++) {
		char ch = p[*i];
		if (ch == '\\' && *i + 1 < n)
			ch = p[++(*i)];
		else if (ch == '\'') {
			(*i)++;
			if (out != NULL)
				out[j < cap ? j : cap - 1] = '\0';
			return (long)j;
		}
		if (out != NULL && j + 1 < cap)
			out[j] = ch;
		j++;
	}
	return -1;
}

/*
 * The indicators of a STIX pattern: each comparison OBJECT-PATH = 'value'
 * (or a number, for autonomous-system:number) whose path maps, appended to
 * inds as {type, value} (normalized); one report line per comparison that
 * does not map (at most a few), into why (cap bytes).  Nested
 * parentheses, AND, OR, FOLLOWEDBY and qualifiers are read past.
 */
static void
s_pattern_iocs(const char *p, json_t *inds, char *why, size_t cap, bool *oom)
{
	size_t n = strlen(p), i = 0, wl = 0;
	char val[IOC_MAX_VALUE + 1];

	why[0] = '\0';
	while (i < n) {
		char ch = p[i];
		size_t start, pathn;
		long vl = -1;
		bool neg = false, cidr_ok = false, eq;
		int t;

		if (ch == '\'') {
			if (s_pat_string(p, n, &i, NULL, 0) == -1)
				break;
			continue;
		}
		if (!s_pat_word(ch)) {
			i++;
			continue;
		}
		start = i;
		while (i < n && s_pat_word(p[i]))
			i++;
		if (i >= n || p[i] != ':')
			continue; /* a keyword, a number, a qualifier */
		/* OBJECT-TYPE:path, with .prop, .'quoted', [*] and [n] */
		for (i++; i < n; i++) {
			if (p[i] == '\'') {
				if (s_pat_string(p, n, &i, NULL, 0) == -1)
					return;
				i--;
				continue;
			}
			if (!s_pat_word(p[i]) && p[i] != '.' && p[i] != '[' && p[i] != ']' &&
			    p[i] != '*')
				break;
		}
		pathn = i - start;
		while (i < n && p[i] == ' ')
			i++;
		if (i + 3 < n && strncmp(p + i, "NOT", 3) == 0 && p[i + 3] == ' ') {
			neg = true;
			for (i += 3; i < n && p[i] == ' '; i++)
				;
		}
		eq = i < n && p[i] == '=';
		while (i < n &&
		    (p[i] == '=' || p[i] == '!' || p[i] == '<' || p[i] == '>' ||
		        (p[i] >= 'A' && p[i] <= 'Z')))
			i++;
		while (i < n && p[i] == ' ')
			i++;
		if (i < n && p[i] == '\'') {
			if ((vl = s_pat_string(p, n, &i, val, sizeof val)) == -1)
				return;
		} else if (i < n && p[i] >= '0' && p[i] <= '9') {
			size_t d = 0;
			while (i < n && p[i] >= '0' && p[i] <= '9' && d + 1 < sizeof val)
				val[d++] = p[i++];
			val[d] = '\0';
			vl = (long)d;
		}
		t = s_path_type(p + start, pathn, &cidr_ok);
		if (t >= 0 && eq && !neg && vl >= 0 && (size_t)vl <= IOC_MAX_VALUE) {
			struct ioc_value iv;
			char ierr[256];
			const char *tn = ioc_type_name((enum ioc_type)t);
			if (t == IOC_ASN)
				tn = "asn";
			if ((t == IOC_IPV4 || t == IOC_IPV6) && cidr_ok && strchr(val, '/') != NULL)
				tn = "cidr";
			if (t == IOC_ASN && strncmp(val, "AS", 2) != 0 &&
			    (size_t)vl + 3 < sizeof val) {
				memmove(val + 2, val, (size_t)vl + 1);
				memcpy(val, "AS", 2);
				vl += 2;
			}
			if (ioc_parse(tn, strlen(tn), val, (size_t)vl, &iv, ierr, sizeof ierr) ==
			    0) {
				if (json_array_append_new(inds,
				        json_pack("{s:s,s:s}", "type", ioc_type_name(iv.type),
				            "value", iv.value)) == -1)
					*oom = true;
				continue;
			}
			if (wl + 2 < cap)
				wl += (size_t)snprintf(why + wl, cap - wl, "%s%s", wl ? "; " : "",
				    ierr);
		} else if (wl + 2 < cap)
			wl += (size_t)snprintf(why + wl, cap - wl, "%s%.*s%s", wl ? "; " : "",
			    (int)(pathn > 80 ? 80 : pathn), p + start,
			    t < 0 ? " has no socmesh indicator type" : ": only = 'value' maps");
		if (wl >= cap)
			wl = cap - 1;
	}
}

/* ---- objects to message fields ---- */

/*
 * The indicators (and ATT&CK techniques) that object r carries into a
 * message: an indicator's pattern, a vulnerability's CVE, an
 * attack-pattern's ATT&CK id.  Appended to inds and attack; what does not
 * map is reported on r's id.  tlp: the message's; a more restrictive
 * object is refused.
 */
static void
s_carry(struct s_imp *im, const json_t *r, const char *carrier, int tlp, json_t *inds,
    json_t *attack)
{
	const char *type = s_otype(r), *id = s_oid(r);
	char why[512] = "";
	int t = s_obj_tlp(im, r);

	if (type == NULL || id == NULL)
		return;
	if (strcmp(type, "indicator") != 0 && strcmp(type, "vulnerability") != 0 &&
	    strcmp(type, "attack-pattern") != 0)
		return;
	if (json_object_set_new(im->used, id, json_true()) == -1)
		im->oom = true;
	if (t > tlp) {
		interop_report(im->report, id, type, "refused",
		    "TLP:%s is more restrictive than that of %s", msg_tlp_name((enum msg_tlp)t),
		    carrier);
		return;
	}
	if (strcmp(type, "indicator") == 0) {
		const char *pt = s_get(r, "pattern_type"), *p = s_get(r, "pattern");
		size_t before = json_array_size(inds);
		if (pt == NULL || strcmp(pt, "stix") != 0 || p == NULL) {
			interop_report(im->report, id, type, "skipped",
			    "pattern_type '%.*s' is not stix", pt != NULL ? s_cut(pt, 40) : 0,
			    pt != NULL ? pt : "");
			return;
		}
		s_pattern_iocs(p, inds, why, sizeof why, &im->oom);
		s_ascii(why);
		if (why[0] != '\0')
			interop_report(im->report, id, type, "skipped", "%s%s", why,
			    json_array_size(inds) > before ? " (the rest is carried)" : "");
		else
			interop_report(im->report, id, type, "skipped", "carried by %s", carrier);
	} else if (strcmp(type, "vulnerability") == 0) {
		const char *name = s_get(r, "name"), *cve = NULL;
		const json_t *e;
		struct ioc_value iv;
		size_t i;
		json_array_foreach(json_object_get(r, "external_references"), i, e)
		{
			const char *src = s_get(e, "source_name");
			if (src != NULL && strcmp(src, "cve") == 0 &&
			    s_get(e, "external_id") != NULL)
				cve = s_get(e, "external_id");
		}
		if (cve == NULL)
			cve = name;
		if (cve != NULL &&
		    ioc_parse("cve", 3, cve, strlen(cve), &iv, why, sizeof why) == 0) {
			if (json_array_append_new(inds,
			        json_pack("{s:s,s:s}", "type", "cve", "value", iv.value)) == -1)
				im->oom = true;
			interop_report(im->report, id, type, "skipped", "carried by %s", carrier);
		} else
			interop_report(im->report, id, type, "skipped", "names no CVE");
	} else {
		const json_t *e;
		const char *tech = NULL;
		size_t i;
		json_array_foreach(json_object_get(r, "external_references"), i, e)
		{
			const char *src = s_get(e, "source_name");
			if (src != NULL && strcmp(src, "mitre-attack") == 0)
				tech = s_get(e, "external_id");
		}
		if (tech != NULL && tech[0] == 'T' && strlen(tech) <= MSG_MAX_TOKEN) {
			if (json_array_append_new(attack, json_string(tech)) == -1)
				im->oom = true;
			interop_report(im->report, id, type, "skipped", "carried by %s", carrier);
		} else
			interop_report(im->report, id, type, "skipped",
			    "no mitre-attack technique id");
	}
}

/*
 * Checks msg field by field with a scratch draft: a field that the draft
 * refuses is dropped, and its error added to warnings; indicators repeated
 * or beyond MSG_MAX_INDICATORS dropped the same way.
 */
static void
s_vet(struct s_imp *im, json_t *msg, json_t *warnings)
{
	struct draft *d = draft_new();
	const char *key;
	json_t *v, *keep;
	void *tmp;
	char err[512];

	if (d == NULL) {
		im->oom = true;
		return;
	}
	json_object_foreach_safe(msg, tmp, key, v)
	{
		if (json_is_string(v)) {
			if (draft_set(d, key, json_string_value(v), err, sizeof err) == -1) {
				json_array_append_new(warnings, json_string(err));
				json_object_del(msg, key);
			}
			continue;
		}
		if (!json_is_array(v) || (keep = json_array()) == NULL)
			continue;
		const char *one = strcmp(key, "sectors") == 0 ? "sector"
		    : strcmp(key, "actions") == 0             ? "action"
		    : strcmp(key, "attack") == 0              ? "attack"
		                                              : "indicator";
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			char text[IOC_MAX_VALUE + 32];
			const char *s = json_string_value(e);
			if (json_is_object(e)) {
				snprintf(text, sizeof text, "%s:%s", s_get(e, "type"),
				    s_get(e, "value"));
				s = text;
			}
			if (s == NULL)
				continue;
			if (draft_set(d, one, s, err, sizeof err) == -1) {
				json_array_append_new(warnings, json_string(err));
				continue;
			}
			json_array_append(keep, e);
		}
		if (json_array_size(keep) > 0)
			json_object_set_new(msg, key, keep);
		else {
			json_decref(keep);
			json_object_del(msg, key);
		}
	}
	draft_destroy(&d);
}

/* Indicators without repeats (the message format refuses them), at most
 * MSG_MAX_INDICATORS; what is cut is said in warnings. */
static void
s_dedup(struct s_imp *im, json_t *inds, json_t *warnings)
{
	json_t *seen = json_object(), *keep = json_array();
	const json_t *e;
	size_t i, cut = 0;
	char key[IOC_MAX_VALUE + 32];

	if (seen == NULL || keep == NULL) {
		json_decref(seen);
		json_decref(keep);
		im->oom = true;
		return;
	}
	json_array_foreach(inds, i, e)
	{
		snprintf(key, sizeof key, "%s:%s", s_get(e, "type"), s_get(e, "value"));
		if (json_object_get(seen, key) != NULL)
			continue;
		if (json_array_size(keep) >= MSG_MAX_INDICATORS) {
			cut++;
			continue;
		}
		if (json_object_set_new(seen, key, json_true()) == -1 ||
		    json_array_append(keep, (json_t *)e) == -1)
			im->oom = true;
	}
	if (cut > 0 && warnings != NULL &&
	    json_array_append_new(warnings,
	        json_sprintf("indicators: %zu beyond the %d a message carries are left out", cut,
	            MSG_MAX_INDICATORS)) == -1)
		im->oom = true;
	if (json_array_clear(inds) == -1 || json_array_extend(inds, keep) == -1)
		im->oom = true;
	json_decref(seen);
	json_decref(keep);
}

/* Appends the item {source, object, message, ...} for object o; its index,
 * or -1 when the message does not pass draft_check(). */
static long
s_item(struct s_imp *im, const json_t *o, json_t *msg, json_t *warnings, const char *ref,
    long ref_item)
{
	const char *mod = s_get(o, "modified") ? s_get(o, "modified") : s_get(o, "created");
	const char *known = s_socmesh_ref(o);
	struct draft *d;
	char err[512], source[400];
	json_t *item, *check;

	s_vet(im, msg, warnings);
	/* draft_check() wants the ref that the caller sets */
	check = json_deep_copy(msg);
	if (check == NULL || (d = draft_new()) == NULL) {
		json_decref(check);
		json_decref(msg);
		json_decref(warnings);
		im->oom = true;
		return -1;
	}
	if (!s_kind(msg, "incident"))
		json_object_set_new(check, "ref",
		    json_string(
		        "0000000000000000000000000000000000000000000000000000000000000000"));
	if (draft_from_json(d, check, NULL, NULL, err, sizeof err) == -1 ||
	    draft_check(d, err, sizeof err) == -1) {
		draft_destroy(&d);
		json_decref(check);
		json_decref(msg);
		json_decref(warnings);
		interop_report(im->report, s_oid(o), s_otype(o), "refused", "%s", err);
		return -1;
	}
	draft_destroy(&d);
	json_decref(check);
	if (mod == NULL)
		mod = "";
	snprintf(source, sizeof source, "stix:%s@%.*s", s_oid(o), s_cut(mod, 40), mod);
	item = json_pack("{s:s,s:s,s:o}", "source", source, "object", s_oid(o), "message", msg);
	if (item == NULL) {
		json_decref(warnings);
		im->oom = true;
		return -1;
	}
	if (ref != NULL)
		s_iset(im, item, "ref", json_string(ref));
	if (ref_item >= 0)
		s_iset(im, item, "ref_item", json_integer(ref_item));
	if (known != NULL) {
		char k[65];
		uint8_t b[32];
		if (id_parse(b, known) == 0) {
			hex_encode(k, b, sizeof b);
			s_iset(im, item, "known", json_string(k));
		}
	}
	if (json_array_size(warnings) > 0)
		s_iset(im, item, "warnings", warnings);
	else
		json_decref(warnings);
	if (json_array_append_new(im->items, item) == -1) {
		im->oom = true;
		return -1;
	}
	return (long)json_array_size(im->items) - 1;
}

/* A category word (RSIT), possibly "rsit:word"; -1 when none. */
static int
s_category_word(const char *s)
{
	if (s == NULL)
		return -1;
	if (strncmp(s, "rsit:", 5) == 0)
		s += 5;
	return msg_category_parse(s, strlen(s));
}

/* The x_socmesh_ custom properties of o set as the message's fields. */
static void
s_custom(struct s_imp *im, const json_t *o, json_t *msg)
{
	/* no lead: an incident carries none */
	static const char *const text[] = { "type", "scope", "detection", "effects", "response",
		"lessons", "expires", "category", "severity", "impact", "status" };
	char key[64];

	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
		const char *v;
		snprintf(key, sizeof key, "x_socmesh_%s", text[i]);
		if ((v = s_get(o, key)) != NULL)
			s_iset(im, msg, text[i],
			    s_fit(v,
			        strcmp(text[i], "scope") == 0 ? MSG_MAX_SCOPE : MSG_MAX_SUMMARY,
			        true));
	}
	for (size_t i = 0; i < sizeof s_case_lists / sizeof s_case_lists[0]; i++) {
		const json_t *a;
		snprintf(key, sizeof key, "x_socmesh_%s", s_case_lists[i]);
		if ((a = json_object_get(o, key)) != NULL && json_is_array(a))
			s_iset(im, msg, s_case_lists[i], json_deep_copy(a));
	}
}

/* The lists of an item in the making (its indicators, techniques and,
 * when warnings is not NULL, warnings), empty.  false when out of memory:
 * then im->oom is set, and msg and the lists are released. */
static bool
s_lists(struct s_imp *im, json_t *msg, json_t **inds, json_t **attack, json_t **warnings)
{
	*inds = json_array();
	*attack = json_array();
	if (warnings != NULL)
		*warnings = json_array();
	if (msg != NULL && *inds != NULL && *attack != NULL &&
	    (warnings == NULL || *warnings != NULL))
		return true;
	json_decref(msg);
	json_decref(*inds);
	json_decref(*attack);
	if (warnings != NULL)
		json_decref(*warnings);
	im->oom = true;
	return false;
}

/* A report (or incident SDO): an incident item. */
static void
s_import_report(struct s_imp *im, const json_t *o)
{
	const char *name = s_get(o, "name"), *desc = s_get(o, "description");
	const json_t *e;
	json_t *msg, *inds, *attack, *warnings;
	size_t i;
	long k;
	int tlp;

	if (json_is_true(json_object_get(o, "revoked"))) {
		/* What it carried goes with it: no incident of its own. */
		json_array_foreach(json_object_get(o, "object_refs"), i, e)
		{
			if (json_is_string(e) &&
			    json_object_set_new(im->used, json_string_value(e), json_true()) == -1)
				im->oom = true;
		}
		interop_report(im->report, s_oid(o), s_otype(o), "skipped", "revoked");
		return;
	}
	if ((tlp = s_item_tlp(im, o)) < 0)
		return;
	msg = json_pack("{s:s,s:s}", "kind", "incident", "tlp", msg_tlp_name((enum msg_tlp)tlp));
	if (!s_lists(im, msg, &inds, &attack, &warnings))
		return;
	s_iset(im, msg, "title",
	    s_fit(name != NULL && name[0] ? name : s_oid(o), MSG_MAX_TITLE, false));
	if (desc != NULL && desc[0] != '\0')
		s_iset(im, msg, "summary", s_fit(desc, MSG_MAX_SUMMARY, true));
	s_custom(im, o, msg);
	if (s_get(msg, "category") == NULL ||
	    msg_category_parse(s_get(msg, "category"), strlen(s_get(msg, "category"))) < 0) {
		const char *cat = "other";
		json_array_foreach(json_object_get(o, "labels"), i, e)
		{
			int c = s_category_word(json_string_value(e));
			if (c >= 0) {
				cat = msg_category_name((enum msg_category)c);
				break;
			}
		}
		s_iset(im, msg, "category", json_string(cat));
	}
	if (s_get(msg, "severity") == NULL)
		s_iset(im, msg, "severity", json_string("medium"));
	json_array_foreach(json_object_get(o, "object_refs"), i, e)
	{
		const json_t *r = s_find(im, json_string_value(e));
		if (r != NULL)
			s_carry(im, r, s_oid(o), tlp, inds, attack);
	}
	s_dedup(im, inds, warnings);
	if (json_array_size(inds) > 0)
		s_iset(im, msg, "indicators", json_incref(inds));
	if (json_array_size(attack) > 0)
		s_iset(im, msg, "attack", json_incref(attack));
	json_decref(inds);
	json_decref(attack);
	if ((k = s_item(im, o, msg, warnings, NULL, -1)) >= 0 &&
	    json_object_set_new(im->repitem, s_oid(o), json_integer(k)) == -1)
		im->oom = true;
}

/* The case that object o (a note or a sighting) names among refs: the
 * item of a report of the document, else the message its x_socmesh_ref or
 * a socmesh report gives.  0, or -1 (reported). */
static int
s_case_of(struct s_imp *im, const json_t *o, const json_t *refs, long *ref_item, const char **ref)
{
	const json_t *e;
	uint8_t b[32];
	size_t i;

	*ref_item = -1;
	*ref = NULL;
	json_array_foreach(refs, i, e)
	{
		const json_t *k = json_object_get(im->repitem, json_string_value(e));
		if (k != NULL) {
			*ref_item = (long)json_integer_value(k);
			return 0;
		}
	}
	if ((*ref = s_get(o, "x_socmesh_ref")) != NULL && id_parse(b, *ref) == 0)
		return 0;
	json_array_foreach(refs, i, e)
	{
		const json_t *r = s_find(im, json_string_value(e));
		if (r != NULL && s_otype(r) != NULL && strcmp(s_otype(r), "report") == 0 &&
		    (*ref = s_socmesh_ref(r)) != NULL)
			return 0;
	}
	*ref = NULL;
	return interop_report(im->report, s_oid(o), s_otype(o), "refused",
	    "names no case this node can find");
}

static void
s_import_note(struct s_imp *im, const json_t *o)
{
	const char *content = s_get(o, "content"), *ref;
	json_t *refs = json_object_get(o, "object_refs"), *msg, *inds, *attack, *warnings;
	const json_t *e;
	long ref_item;
	size_t i;
	int tlp;

	if (s_case_of(im, o, refs, &ref_item, &ref) == -1 || (tlp = s_item_tlp(im, o)) < 0)
		return;
	msg = json_pack("{s:s,s:s,s:o}", "kind", "comment", "tlp", msg_tlp_name((enum msg_tlp)tlp),
	    "text",
	    s_fit(content != NULL && content[0] ? content : "(empty note)", MSG_MAX_NOTE, true));
	if (!s_lists(im, msg, &inds, &attack, &warnings))
		return;
	json_array_foreach(refs, i, e)
	{
		const json_t *r = s_find(im, json_string_value(e));
		if (r != NULL)
			s_carry(im, r, s_oid(o), tlp, inds, attack);
	}
	s_dedup(im, inds, warnings);
	if (json_array_size(inds) > 0)
		s_iset(im, msg, "indicators", json_incref(inds));
	json_decref(inds);
	json_decref(attack);
	s_item(im, o, msg, warnings, ref, ref_item);
}

static void
s_import_sighting(struct s_imp *im, const json_t *o)
{
	const char *note = s_get(o, "description"), *ref;
	json_t *refs = json_pack("[O?]", json_object_get(o, "sighting_of_ref")), *msg;
	long ref_item;
	int tlp;

	if (refs == NULL) {
		im->oom = true;
		return;
	}
	if (s_case_of(im, o, refs, &ref_item, &ref) == -1 || (tlp = s_item_tlp(im, o)) < 0) {
		json_decref(refs);
		return;
	}
	json_decref(refs);
	msg = json_pack("{s:s,s:s}", "kind", "sighting", "tlp", msg_tlp_name((enum msg_tlp)tlp));
	if (msg == NULL) {
		im->oom = true;
		return;
	}
	if (note != NULL && note[0] != '\0')
		s_iset(im, msg, "note", s_fit(note, MSG_MAX_NOTE, true));
	s_item(im, o, msg, json_array(), ref, ref_item);
}

/* An indicator no report or note carries: an incident of its own. */
static void
s_import_indicator(struct s_imp *im, const json_t *o)
{
	static const struct {
		const char *word;
		const char *category;
	} types[] = {
		{ "malicious-activity", "malicious-code" },
		{ "compromised", "intrusions" },
		{ "anomalous-activity", "other" },
		{ "anonymization", "other" },
		{ "attribution", "other" },
		{ "unknown", "other" },
	};
	const char *name = s_get(o, "name"), *desc = s_get(o, "description"), *cat = "other";
	const char *pattern = s_get(o, "pattern");
	json_t *msg, *inds, *attack, *last, *warnings;
	char *why;
	const json_t *e;
	size_t i;
	int tlp;

	json_array_foreach(json_object_get(o, "indicator_types"), i, e)
	{
		const char *w = json_string_value(e);
		if (w != NULL && strcmp(w, "benign") == 0) {
			interop_report(im->report, s_oid(o), s_otype(o), "skipped",
			    "a benign indicator is no incident");
			return;
		}
		for (size_t j = 0; j < sizeof types / sizeof types[0] && w != NULL; j++)
			if (strcmp(w, types[j].word) == 0 && strcmp(cat, "other") == 0)
				cat = types[j].category;
	}
	if ((tlp = s_item_tlp(im, o)) < 0)
		return;
	msg = json_pack("{s:s,s:s,s:s,s:s}", "kind", "incident", "tlp",
	    msg_tlp_name((enum msg_tlp)tlp), "category", cat, "severity", "medium");
	if (!s_lists(im, msg, &inds, &attack, NULL))
		return;
	s_iset(im, msg, "title",
	    s_fit(name != NULL && name[0] ? name
	            : pattern != NULL     ? pattern
	                                  : s_oid(o),
	        MSG_MAX_TITLE, false));
	if (desc != NULL && desc[0] != '\0')
		s_iset(im, msg, "summary", s_fit(desc, MSG_MAX_SUMMARY, true));
	s_custom(im, o, msg);
	/* s_carry() reports the indicator; an indicator that maps to nothing
	 * is no incident */
	s_carry(im, o, "itself", tlp, inds, attack);
	json_decref(attack);
	/* s_carry() reported the indicator: carried, or what did not map */
	last = json_array_get(im->report, json_array_size(im->report) - 1);
	why = s_get(last, "reason") != NULL ? strdup(s_get(last, "reason")) : NULL;
	json_array_remove(im->report, json_array_size(im->report) - 1);
	if (json_array_size(inds) == 0) {
		interop_report(im->report, s_oid(o), s_otype(o), "refused",
		    "its pattern gives no indicator socmesh knows: %s", why != NULL ? why : "");
		free(why);
		json_decref(inds);
		json_decref(msg);
		return;
	}
	if (why != NULL && strncmp(why, "carried by", 10) != 0)
		interop_report(im->report, s_oid(o), s_otype(o), "skipped", "%s", why);
	free(why);
	warnings = json_array();
	s_dedup(im, inds, warnings);
	s_iset(im, msg, "indicators", inds);
	if (warnings == NULL) {
		json_decref(msg);
		im->oom = true;
		return;
	}
	s_item(im, o, msg, warnings, NULL, -1);
}

/* The reason an object of another type is skipped. */
static void
s_skip(struct s_imp *im, const json_t *o)
{
	const char *t = s_otype(o);

	if (strcmp(t, "marking-definition") == 0 || strcmp(t, "extension-definition") == 0)
		interop_report(im->report, s_oid(o), t, "skipped", "%s: read for the markings", t);
	else if (strcmp(t, "vulnerability") == 0 || strcmp(t, "attack-pattern") == 0)
		interop_report(im->report, s_oid(o), t, "skipped",
		    "%s: carried only by a report or a note that names it", t);
	else
		interop_report(im->report, s_oid(o), t, "skipped", "%.*s: no socmesh counterpart",
		    s_cut(t, 64), t);
}

static int s_import(const json_t *doc, const struct interop_opts *o, json_t **items,
    json_t **report, char *err, size_t errlen);

int
stix_import(const json_t *doc, const struct interop_opts *o, json_t **items, json_t **report,
    char *err, size_t errlen)
{
	int rc = s_import(doc, o, items, report, err, errlen);

	if (rc == -1 && errlen > 0)
		s_ascii(err);
	return rc;
}

static int
s_import(const json_t *doc, const struct interop_opts *o, json_t **items, json_t **report,
    char *err, size_t errlen)
{
	struct s_imp im = { 0 };
	const char *type;
	const json_t *e;
	bool marked = false;
	size_t i, n;
	int rc = -1;

	*items = *report = NULL;
	if (!json_is_object(doc))
		return errf(err, errlen, "not a STIX bundle (no JSON object)");
	type = s_get(doc, "type");
	/* One STIX object alone: a bundle of one. */
	if (type != NULL && strcmp(type, "bundle") != 0 && s_get(doc, "id") != NULL &&
	    json_object_get(doc, "objects") == NULL) {
		json_t *b = json_pack("{s:s,s:[O]}", "type", "bundle", "objects", doc);
		if (b == NULL)
			return errf(err, errlen, "out of memory");
		rc = s_import(b, o, items, report, err, errlen);
		json_decref(b);
		return rc;
	}
	if (type != NULL ? strcmp(type, "bundle") != 0 : json_object_get(doc, "objects") == NULL)
		return errf(err, errlen, "not a STIX bundle (type '%.40s')",
		    type != NULL ? type : "");
	im.objs = json_object_get(doc, "objects");
	if (im.objs != NULL && !json_is_array(im.objs))
		return errf(err, errlen, "objects: not an array");
	if ((n = json_array_size(im.objs)) > STIX_MAX_OBJECTS)
		return errf(err, errlen, "%zu objects; at most %d", n, STIX_MAX_OBJECTS);
	im.o = o;
	im.latest = json_object();
	im.tlpdefs = json_object();
	im.used = json_object();
	im.repitem = json_object();
	im.items = json_array();
	im.report = json_array();
	if (im.latest == NULL || im.tlpdefs == NULL || im.used == NULL || im.repitem == NULL ||
	    im.items == NULL || im.report == NULL)
		goto oom;
	/* the latest version of every object, and the TLP marking definitions */
	json_array_foreach(im.objs, i, e)
	{
		const char *id = s_oid(e), *t = s_otype(e), *mod;
		const json_t *prev;
		if (!json_is_object(e) || id == NULL || t == NULL || strlen(id) > 300 ||
		    strlen(t) > 250) {
			interop_report(im.report, id != NULL && strlen(id) <= 300 ? id : NULL,
			    t != NULL && strlen(t) <= 250 ? t : NULL, "refused",
			    "object %zu: no STIX object (no type or id)", i);
			continue;
		}
		if (strcmp(t, "marking-definition") == 0 && s_markdef_tlp(e) >= 0 &&
		    json_object_set_new(im.tlpdefs, id, json_integer(s_markdef_tlp(e))) == -1)
			goto oom;
		mod = s_get(e, "modified");
		if ((prev = s_find(&im, id)) != NULL) {
			const char *pm = s_get(prev, "modified");
			if (mod == NULL || (pm != NULL && strcmp(mod, pm) <= 0)) {
				interop_report(im.report, id, t, "skipped",
				    "an older version of %s, or the same again", id);
				continue;
			}
			interop_report(im.report, id, t, "skipped", "an older version of %s (%.*s)",
			    id, pm != NULL ? s_cut(pm, 40) : 0, pm != NULL ? pm : "");
		}
		if (json_object_set_new(im.latest, id, json_integer((json_int_t)i)) == -1)
			goto oom;
	}
	json_array_foreach(im.objs, i, e)
	{
		if (json_is_object(e) && s_obj_tlp(&im, e) >= 0)
			marked = true;
	}
	if (!marked && (o == NULL || o->tlp < 0)) {
		errf(err, errlen, "no TLP marking in the bundle; give --tlp");
		goto fail;
	}
	/* reports first (notes and sightings name them), then notes and
	 * sightings, then the indicators that none carries */
	json_array_foreach(im.objs, i, e)
	{
		const json_t *k = json_object_get(im.latest, s_oid(e));
		if (k == NULL || (size_t)json_integer_value(k) != i)
			continue;
		if (strcmp(s_otype(e), "report") == 0 || strcmp(s_otype(e), "incident") == 0)
			s_import_report(&im, e);
	}
	json_array_foreach(im.objs, i, e)
	{
		const json_t *k = json_object_get(im.latest, s_oid(e));
		if (k == NULL || (size_t)json_integer_value(k) != i)
			continue;
		if (strcmp(s_otype(e), "note") == 0)
			s_import_note(&im, e);
		else if (strcmp(s_otype(e), "sighting") == 0)
			s_import_sighting(&im, e);
	}
	json_array_foreach(im.objs, i, e)
	{
		const json_t *k = json_object_get(im.latest, s_oid(e));
		const char *t;
		if (k == NULL || (size_t)json_integer_value(k) != i)
			continue;
		t = s_otype(e);
		if (strcmp(t, "report") == 0 || strcmp(t, "incident") == 0 ||
		    strcmp(t, "note") == 0 || strcmp(t, "sighting") == 0 ||
		    json_object_get(im.used, s_oid(e)) != NULL)
			continue;
		if (strcmp(t, "indicator") == 0)
			s_import_indicator(&im, e);
		else
			s_skip(&im, e);
	}
	if (im.oom)
		goto oom;
	*items = im.items;
	*report = im.report;
	im.items = im.report = NULL;
	rc = 0;
	goto fail;
oom:
	errf(err, errlen, "out of memory");
fail:
	json_decref(im.latest);
	json_decref(im.tlpdefs);
	json_decref(im.used);
	json_decref(im.repitem);
	json_decref(im.items);
	json_decref(im.report);
	return rc;
}

/* The deepest nesting of the JSON text at buf (strings read past). */
static size_t
s_depth(const char *buf, size_t len)
{
	size_t depth = 0, max = 0;
	bool str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				str = false;
		} else if (ch == '"')
			str = true;
		else if (ch == '{' || ch == '[') {
			if (++depth > max)
				max = depth;
		} else if ((ch == '}' || ch == ']') && depth > 0)
			depth--;
	}
	return max;
}

int
stix_import_buf(const char *buf, size_t len, const struct interop_opts *o, json_t **items,
    json_t **report, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc;
	int rc;

	*items = *report = NULL;
	if (len > STIX_MAX_DOCUMENT)
		return errf(err, errlen, "the document is %zu bytes; at most %u", len,
		    STIX_MAX_DOCUMENT);
	if (s_depth(buf, len) > STIX_MAX_DEPTH)
		return errf(err, errlen, "the document nests deeper than %d levels",
		    STIX_MAX_DEPTH);
	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		errf(err, errlen, "not JSON: %s at line %d, column %d", jerr.text, jerr.line,
		    jerr.column);
		if (errlen > 0)
			s_ascii(err);
		return -1;
	}
	rc = stix_import(doc, o, items, report, err, errlen);
	json_decref(doc);
	return rc;
}
