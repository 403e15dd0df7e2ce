/* misp: export of a scenario that uses every kind and indicator type
 * (deterministic, typed per describeTypes.json), import of every shared
 * example event, the round trip, the tag and threat-level tables, and
 * hostile input.  Files are read relative to the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>

#include "interop.h"
#include "misp.h"
#include "msg.h"
#include "util.h"

#define SHARED "../shared/interop/misp"

/* 64 hex digits of c. */
static const char *
s_id(char c, char buf[65])
{
	memset(buf, c, 64);
	buf[64] = '\0';
	return buf;
}

/* A message of the scenario: id, origin and ref are 64 times one hex
 * digit (ref 0: none); more fields come from extra, a JSON object text. */
static json_t *
s_msg(char id, char origin, const char *name, const char *kind, const char *tlp, const char *time,
    char ref, const char *extra)
{
	char i[65], o[65], r[65];
	json_t *m, *x;
	json_error_t jerr;

	m = json_pack("{s:s,s:{s:s,s:s?},s:i,s:s,s:s,s:s,s:o,s:[],s:b}", "id", s_id(id, i),
	    "origin", "id", s_id(origin, o), "name", name, "seq", 1, "time", time, "tlp", tlp,
	    "kind", kind, "ref", ref ? json_string(s_id(ref, r)) : json_null(), "recipients",
	    "sealed", 0);
	assert_non_null(m);
	if (extra != NULL) {
		x = json_loads(extra, 0, &jerr);
		if (x == NULL)
			fail_msg("extra: %s", jerr.text);
		json_object_update(m, x);
		json_decref(x);
	}
	return m;
}

static const char *s_incident_a =
    "{\"title\":\"Ransomware at a grid operator\",\"summary\":\"Encrypted hosts.\\nSecond "
    "line.\",\"category\":\"malicious-code\",\"type\":\"ransomware\",\"severity\":\"critical\","
    "\"impact\":\"high\",\"status\":\"open\",\"sectors\":[\"energy\"],\"scope\":\"two sites\","
    "\"detection\":\"EDR alert\",\"effects\":\"outage\",\"response\":\"isolated\","
    "\"lessons\":\"patch\",\"actions\":[\"block 203.0.113.7\"],\"attack\":[\"T1566.001\","
    "\"T1486\"],\"indicators\":["
    "{\"type\":\"ipv4\",\"value\":\"203.0.113.7\"},"
    "{\"type\":\"ipv6\",\"value\":\"2001:db8::7\"},"
    "{\"type\":\"cidr\",\"value\":\"198.51.100.0/24\"},"
    "{\"type\":\"domain\",\"value\":\"evil.example\"},"
    "{\"type\":\"url\",\"value\":\"https://evil.example/x\"},"
    "{\"type\":\"email\",\"value\":\"bad@evil.example\"},"
    "{\"type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"},"
    "{\"type\":\"sha1\",\"value\":\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"},"
    "{\"type\":\"sha256\",\"value\":"
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
    "{\"type\":\"filename\",\"value\":\"invoice.pdf.exe\"},"
    "{\"type\":\"cve\",\"value\":\"CVE-2024-3400\"},"
    "{\"type\":\"asn\",\"value\":\"AS64500\"},"
    "{\"type\":\"ja3\",\"value\":\"e7d705a3286e19ea42f587b344ee6865\"}]}";

/* The scenario: two cases, every kind, and what is skipped. */
static json_t *
s_scenario(void)
{
	json_t *a = json_array();

	json_array_append_new(a,
	    s_msg('a', '1', "soc-a", "incident", "green", "2026-12-01T10:00:00.000Z", 0,
	        s_incident_a));
	/* the origin's update: rolled into the event */
	json_array_append_new(a,
	    s_msg('b', '1', "soc-a", "update", "green", "2026-12-01T11:00:00.000Z", 'a',
	        "{\"status\":\"contained\",\"title\":\"Ransomware at two grid operators\","
	        "\"sectors\":[],\"attack\":[],\"actions\":[],\"indicators\":[{\"type\":\"domain\","
	        "\"value\":\"c2.evil.example\"}]}"));
	/* another SOC's update: a proposal */
	json_array_append_new(a,
	    s_msg('c', '2', "soc-b", "update", "green", "2026-12-01T12:00:00.000Z", 'a',
	        "{\"severity\":\"low\",\"sectors\":[],\"attack\":[],\"actions\":[],"
	        "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.99\"}]}"));
	json_array_append_new(a,
	    s_msg('d', '2', "soc-b", "comment", "green", "2026-12-01T12:30:00.000Z", 'a',
	        "{\"text\":\"Seen here too.\",\"indicators\":[{\"type\":\"url\","
	        "\"value\":\"http://evil.example/y\"}]}"));
	json_array_append_new(a,
	    s_msg('e', '3', NULL, "sighting", "green", "2026-12-01T13:00:00.000Z", 'a',
	        "{\"note\":\"one host\"}"));
	/* an AMBER comment on a GREEN case: its own distribution */
	json_array_append_new(a,
	    s_msg('f', '2', "soc-b", "comment", "amber", "2026-12-01T14:00:00.000Z", 'a',
	        "{\"text\":\"Internal detail.\",\"indicators\":[]}"));
	/* the origin's AMBER update of the GREEN case: not rolled in */
	json_array_append_new(a,
	    s_msg('7', '1', "soc-a", "update", "amber", "2026-12-01T13:30:00.000Z", 'a',
	        "{\"summary\":\"Insider detail.\",\"sectors\":[],\"attack\":[],\"actions\":[],"
	        "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.77\"}]}"));
	/* a second case, CLEAR, retracted by its origin */
	json_array_append_new(a,
	    s_msg('9', '2', "soc-b", "incident", "clear", "2026-11-30T09:00:00.000Z", 0,
	        "{\"title\":\"Phishing wave\",\"category\":\"fraud\",\"severity\":\"low\","
	        "\"status\":\"open\",\"sectors\":[],\"attack\":[],\"actions\":[],"
	        "\"indicators\":[{\"type\":\"email\",\"value\":\"ceo@phish.example\"}]}"));
	json_array_append_new(a,
	    s_msg('8', '2', "soc-b", "retract", "clear", "2026-11-30T10:00:00.000Z", '9',
	        "{\"note\":\"false alarm\"}"));
	return a;
}

/* Adds every message of a, in order or reversed; the skipped ones must
 * be skipped. */
static struct misp_export *
s_export(const json_t *a, bool reverse)
{
	struct misp_export *x = misp_export_new();
	size_t n = json_array_size(a);
	char err[256];

	assert_non_null(x);
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(a, reverse ? n - 1 - i : i);
		if (misp_export_add(x, m, err, sizeof err) != 0)
			fail_msg("add %zu: %s", i, err);
	}
	return x;
}

static json_t *
s_load(const char *path)
{
	json_error_t jerr;
	json_t *o = json_load_file(path, 0, &jerr);

	if (o == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return o;
}

static const json_t *
s_find_attr(const json_t *ev, const char *type, const char *value)
{
	const json_t *a;
	size_t i;

	json_array_foreach(json_object_get(ev, "Attribute"), i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "type")), type) == 0 &&
		    strcmp(json_string_value(json_object_get(a, "value")), value) == 0)
			return a;
	}
	return NULL;
}

static bool
s_has_tag(const json_t *ev, const char *name)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(ev, "Tag"), i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
			return true;
	}
	return false;
}

static void
test_export_scenario(void **state)
{
	(void)state;
	json_t *a = s_scenario(), *types = s_load(SHARED "/describeTypes.json");
	const json_t *map = json_object_get(json_object_get(types, "result"),
	    "category_type_mappings");
	struct misp_export *x = s_export(a, false), *y = s_export(a, true);
	json_t *e1 = misp_export_events(x), *e2 = misp_export_events(y);
	const json_t *ev, *b, *at;
	char *d1, *d2, uuid[INTEROP_UUID_LEN + 1], ida[65];
	size_t i;

	/* deterministic, whatever the order of the messages */
	d1 = json_dumps(e1, JSON_INDENT(1));
	d2 = json_dumps(e2, JSON_INDENT(1));
	assert_string_equal(d1, d2);
	if (getenv("MISP_SCENARIO_OUT") != NULL) {
		FILE *f = fopen(getenv("MISP_SCENARIO_OUT"), "w");
		assert_non_null(f);
		fputs(d1, f);
		fclose(f);
	}
	free(d1);
	free(d2);

	assert_int_equal(json_array_size(e1), 2);
	/* cases by time: the CLEAR phishing case first */
	ev = json_object_get(json_array_get(e1, 1), "Event");
	interop_uuid(uuid, s_id('a', ida));
	assert_string_equal(json_string_value(json_object_get(ev, "uuid")), uuid);
	assert_string_equal(json_string_value(json_object_get(ev, "info")),
	    "Ransomware at two grid operators");
	assert_string_equal(json_string_value(json_object_get(ev, "date")), "2026-12-01");
	/* 14:00, the AMBER comment, is the latest */
	assert_string_equal(json_string_value(json_object_get(ev, "timestamp")), "1796133600");
	assert_string_equal(json_string_value(json_object_get(ev, "threat_level_id")), "1");
	assert_string_equal(json_string_value(json_object_get(ev, "analysis")), "1");
	assert_string_equal(json_string_value(json_object_get(ev, "distribution")), "1");
	assert_false(json_is_true(json_object_get(ev, "published")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "Orgc"), "name")),
	    "soc-a");
	assert_true(s_has_tag(ev, "tlp:green"));
	assert_true(s_has_tag(ev, "rsit:malicious-code=\"ransomware\""));
	assert_true(s_has_tag(ev, "mitre-attack:technique=\"T1566.001\""));
	assert_true(s_has_tag(ev, "mitre-attack:technique=\"T1486\""));
	assert_true(s_has_tag(ev, "socmesh:sector=\"energy\""));
	assert_true(s_has_tag(ev,
	    "socmesh:message=\"" /* the incident's id */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""));
	/* every indicator type, with describeTypes' type and category */
	static const char *const want[][3] = {
		{ "ip-dst", "Network activity", "203.0.113.7" },
		{ "ip-dst", "Network activity", "2001:db8::7" },
		{ "ip-dst", "Network activity", "198.51.100.0/24" },
		{ "domain", "Network activity", "evil.example" },
		{ "url", "Network activity", "https://evil.example/x" },
		{ "email-src", "Payload delivery", "bad@evil.example" },
		{ "md5", "Payload delivery", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "sha1", "Payload delivery", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "sha256", "Payload delivery",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "filename", "Payload delivery", "invoice.pdf.exe" },
		{ "vulnerability", "External analysis", "CVE-2024-3400" },
		{ "AS", "Network activity", "AS64500" },
		{ "ja3-fingerprint-md5", "Network activity", "e7d705a3286e19ea42f587b344ee6865" },
		{ "domain", "Network activity", "c2.evil.example" },
		{ "url", "Network activity", "http://evil.example/y" },
	};
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		at = s_find_attr(ev, want[i][0], want[i][2]);
		if (at == NULL)
			fail_msg("no %s %s", want[i][0], want[i][2]);
		assert_string_equal(json_string_value(json_object_get(at, "category")), want[i][1]);
		assert_true(json_is_true(json_object_get(at, "to_ids")));
	}
	/* the proposal's indicator is not for detection */
	at = s_find_attr(ev, "ip-dst", "192.0.2.99");
	assert_non_null(at);
	assert_true(json_is_false(json_object_get(at, "to_ids")));
	assert_non_null(s_find_attr(ev, "text", "Encrypted hosts.\nSecond line."));
	assert_non_null(s_find_attr(ev, "comment", "Seen here too."));
	assert_non_null(s_find_attr(ev, "comment",
	    "sighting by 3333333333333333333333333333333333333333333333333333333333333333 at "
	    "2026-12-01T13:00:00.000Z: one host"));
	at = s_find_attr(ev, "comment", "Internal detail.");
	assert_non_null(at);
	assert_string_equal(json_string_value(json_object_get(at, "distribution")), "0");
	at = s_find_attr(ev, "comment", "update by soc-a\nsummary: Insider detail.");
	assert_non_null(at);
	assert_string_equal(json_string_value(json_object_get(at, "distribution")), "0");
	at = s_find_attr(ev, "ip-dst", "192.0.2.77");
	assert_non_null(at);
	assert_true(json_is_true(json_object_get(at, "to_ids")));
	assert_string_equal(json_string_value(json_object_get(at, "distribution")), "0");
	assert_non_null(s_find_attr(ev, "text", "Encrypted hosts.\nSecond line."));
	/* every attribute's type is allowed in its category */
	json_array_foreach(json_object_get(ev, "Attribute"), i, b)
	{
		const json_t *allowed = json_object_get(map,
		    json_string_value(json_object_get(b, "category")));
		const json_t *t;
		size_t k;
		bool ok = false;
		json_array_foreach(allowed, k, t)
		{
			ok |= strcmp(json_string_value(t),
			          json_string_value(json_object_get(b, "type"))) == 0;
		}
		if (!ok)
			fail_msg("type %s not in category %s",
			    json_string_value(json_object_get(b, "type")),
			    json_string_value(json_object_get(b, "category")));
	}

	/* the retracted CLEAR case */
	ev = json_object_get(json_array_get(e1, 0), "Event");
	assert_string_equal(json_string_value(json_object_get(ev, "distribution")), "3");
	assert_string_equal(json_string_value(json_object_get(ev, "threat_level_id")), "3");
	assert_true(s_has_tag(ev, "tlp:clear"));
	assert_true(s_has_tag(ev, "rsit:fraud"));
	assert_true(s_has_tag(ev, "socmesh:retracted"));
	at = s_find_attr(ev, "email-src", "ceo@phish.example");
	assert_non_null(at);
	assert_true(json_is_true(json_object_get(at, "deleted")));
	assert_true(json_is_false(json_object_get(at, "to_ids")));

	misp_export_destroy(&x);
	misp_export_destroy(&y);
	misp_export_destroy(&y);
	json_decref(e1);
	json_decref(e2);
	json_decref(a);
	json_decref(types);
}

static void
test_export_skips(void **state)
{
	(void)state;
	struct misp_export *x = misp_export_new();
	const json_t *ev, *at;
	char err[256];
	json_t *m;

	m = s_msg('a', '1', "soc-a", "roster", "green", "2026-12-01T10:00:00.000Z", 0, NULL);
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 1);
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "incident", "red", "2026-12-01T10:00:00.000Z", 0,
	    "{\"title\":\"t\"}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 1);
	assert_non_null(strstr(err, "RED"));
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "incident", "amber", "2026-12-01T10:00:00.000Z", 0,
	    "{\"sealed\":true}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 1);
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "incident", "green", "2026-12-01T10:00:00.000Z", 0, NULL);
	assert_int_equal(misp_export_add(x, m, err, sizeof err), -1); /* no title */
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "comment", "green", "2026-12-01T10:00:00.000Z", 0, NULL);
	assert_int_equal(misp_export_add(x, m, err, sizeof err), -1); /* no ref */
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "incident", "green", "yesterday", 0, "{\"title\":\"t\"}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), -1);
	json_decref(m);
	m = json_pack("[i]", 1);
	assert_int_equal(misp_export_add(x, m, err, sizeof err), -1);
	json_decref(m);
	m = json_pack("{s:i,s:s}", "id", 5, "kind", "incident");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), -1);
	json_decref(m);
	m = s_msg('a', '1', "soc-a", "incident", "green", "2026-12-01T10:00:00.000Z", 0,
	    "{\"title\":\"t\",\"indicators\":[5,{\"type\":7},{\"type\":\"ipv4\",\"value\":[]}],"
	    "\"attack\":[1],\"sectors\":{},\"severity\":3}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 0);
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 1); /* added before */
	json_decref(m);
	/* a case that query marks retracted, its retraction not exported */
	m = s_msg('b', '1', "soc-a", "incident", "green", "2026-12-01T09:00:00.000Z", 0,
	    "{\"title\":\"u\",\"retracted\":true,\"indicators\":[{\"type\":\"md5\","
	    "\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"}]}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 0);
	json_decref(m);
	/* a time far beyond any calendar */
	m = s_msg('d', '1', "soc-a", "incident", "green", "2026-12-01T11:00:00.000Z", 0,
	    "{\"title\":\"far\",\"time\":9223372036854775807}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 0);
	json_decref(m);
	/* a reply whose case is not there is left out */
	m = s_msg('c', '1', "soc-a", "comment", "green", "2026-12-01T10:00:00.000Z", 'e',
	    "{\"text\":\"x\"}");
	assert_int_equal(misp_export_add(x, m, err, sizeof err), 0);
	json_decref(m);
	m = misp_export_events(x);
	assert_int_equal(json_array_size(m), 3);
	ev = json_object_get(json_array_get(m, 0), "Event");
	assert_true(s_has_tag(ev, "socmesh:retracted"));
	at = s_find_attr(ev, "md5", "d41d8cd98f00b204e9800998ecf8427e");
	assert_non_null(at);
	assert_true(json_is_true(json_object_get(at, "deleted")));
	ev = json_object_get(json_array_get(m, 1), "Event");
	assert_int_equal(json_array_size(json_object_get(ev, "Attribute")), 0);
	json_decref(m);
	misp_export_destroy(&x);
}

/* Imports text; expects rc; returns the items (the report into *rep). */
static json_t *
s_import(const char *text, int tlp, int rc, json_t **rep)
{
	struct interop_opts o = { .tlp = tlp };
	json_t *items = NULL, *report = NULL;
	char err[512] = "";

	if (misp_import_buf(text, strlen(text), &o, &items, &report, err, sizeof err) != rc)
		fail_msg("import: rc != %d: %s", rc, err);
	if (rc == -1) {
		assert_true(err[0] != '\0');
		assert_null(items);
		return NULL;
	}
	if (rep != NULL)
		*rep = report;
	else
		json_decref(report);
	return items;
}

static const json_t *
s_message(const json_t *items, size_t i)
{
	return json_object_get(json_array_get(items, i), "message");
}

static const char *
s_field(const json_t *items, size_t i, const char *f)
{
	return json_string_value(json_object_get(s_message(items, i), f));
}

static bool
s_has_ioc(const json_t *msg, const char *type, const char *value)
{
	const json_t *i;
	size_t k;

	json_array_foreach(json_object_get(msg, "indicators"), k, i)
	{
		if (strcmp(json_string_value(json_object_get(i, "type")), type) == 0 &&
		    strcmp(json_string_value(json_object_get(i, "value")), value) == 0)
			return true;
	}
	return false;
}

static bool
s_reported(const json_t *report, const char *needle)
{
	const json_t *r;
	size_t i;

	json_array_foreach(report, i, r)
	{
		if (strstr(json_string_value(json_object_get(r, "reason")), needle) != NULL)
			return true;
	}
	return false;
}

static void
test_import_shared(void **state)
{
	(void)state;
	DIR *d = opendir(SHARED "/events");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], *buf;
		size_t len;
		json_t *items, *rep;
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof path, SHARED "/events/%s", de->d_name);
		assert_int_equal(file_read_all(path, MISP_MAX_DOCUMENT, &buf, &len), 0);
		/* without a tlp: tag, refused unless --tlp is given */
		items = s_import(buf, -1, 0, &rep);
		assert_int_equal(json_array_size(items), 0);
		assert_true(s_reported(rep, "no tlp: tag; give --tlp"));
		json_decref(items);
		json_decref(rep);
		items = s_import(buf, MSG_TLP_GREEN, 0, NULL);
		if (json_array_size(items) != 1)
			fail_msg("%s: no item", de->d_name);
		assert_string_equal(s_field(items, 0, "tlp"), "green");
		assert_string_equal(s_field(items, 0, "kind"), "incident");
		assert_non_null(
		    strstr(json_string_value(json_object_get(json_array_get(items, 0), "source")),
		        "misp:"));
		if (strcmp(de->d_name, "event.json") == 0 ||
		    strcmp(de->d_name, "malware.json") == 0) {
			assert_string_equal(s_field(items, 0, "title"), "This is a test");
			assert_string_equal(s_field(items, 0, "severity"), "high");
			assert_string_equal(s_field(items, 0, "category"), "other");
		}
		if (strcmp(de->d_name, "malware.json") == 0)
			assert_true(s_has_ioc(s_message(items, 0), "filename", "bar.exe"));
		if (strcmp(de->d_name, "event_obj_attr_tag.json") == 0) {
			const json_t *m = s_message(items, 0);
			assert_int_equal(json_array_size(json_object_get(m, "indicators")), 2);
			assert_true(s_has_ioc(m, "filename", "bar"));
			assert_string_equal(s_field(items, 0, "title"), "filename bar");
			assert_string_equal(s_field(items, 0, "severity"), "medium");
		}
		json_decref(items);
		free(buf);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

/* The scenario out and back: the same indicators, TLP and text. */
static void
test_round_trip(void **state)
{
	(void)state;
	json_t *a = s_scenario();
	struct misp_export *x = s_export(a, false);
	json_t *events = misp_export_events(x), *items, *rep;
	const json_t *m, *inc = json_array_get(a, 0), *i;
	char *text = json_dumps(events, 0), ida[65];
	size_t k;

	items = s_import(text, -1, 0, &rep);
	assert_int_equal(json_array_size(items), 1);
	m = s_message(items, 0);
	assert_string_equal(s_field(items, 0, "tlp"), "green");
	assert_string_equal(s_field(items, 0, "title"), "Ransomware at two grid operators");
	assert_string_equal(s_field(items, 0, "category"), "malicious-code");
	assert_string_equal(s_field(items, 0, "type"), "ransomware");
	assert_string_equal(s_field(items, 0, "severity"), "high");
	assert_string_equal(s_field(items, 0, "impact"), "high");
	assert_string_equal(s_field(items, 0, "scope"), "two sites");
	assert_string_equal(s_field(items, 0, "detection"), "EDR alert");
	assert_string_equal(s_field(items, 0, "effects"), "outage");
	assert_string_equal(s_field(items, 0, "response"), "isolated");
	assert_string_equal(s_field(items, 0, "lessons"), "patch");
	assert_non_null(strstr(s_field(items, 0, "summary"), "Encrypted hosts.\nSecond line."));
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "known")),
	    s_id('a', ida));
	assert_true(json_equal(json_object_get(m, "attack"), json_object_get(inc, "attack")));
	assert_true(json_equal(json_object_get(m, "sectors"), json_object_get(inc, "sectors")));
	assert_true(json_equal(json_object_get(m, "actions"), json_object_get(inc, "actions")));
	json_array_foreach(json_object_get(inc, "indicators"), k, i)
	{
		if (!s_has_ioc(m, json_string_value(json_object_get(i, "type")),
		        json_string_value(json_object_get(i, "value"))))
			fail_msg("lost %s", json_string_value(json_object_get(i, "value")));
	}
	assert_true(s_has_ioc(m, "domain", "c2.evil.example"));
	assert_true(s_has_ioc(m, "url", "http://evil.example/y"));
	assert_false(s_has_ioc(m, "ipv4", "192.0.2.99")); /* a proposal: in the summary */
	assert_int_equal(json_array_size(json_object_get(m, "indicators")), 15);
	assert_non_null(strstr(s_field(items, 0, "summary"), "comment: Seen here too."));
	/* what MISP keeps within the organisation stays out */
	assert_null(strstr(s_field(items, 0, "summary"), "Internal detail."));
	assert_null(strstr(s_field(items, 0, "summary"), "Insider detail."));
	assert_false(s_has_ioc(m, "ipv4", "192.0.2.77"));
	assert_true(s_reported(rep, "your organisation only"));
	/* the retracted case is not published again */
	assert_true(s_reported(rep, "retracted"));
	/* importing twice gives the same plan: the same sources */
	json_t *again = s_import(text, -1, 0, NULL);
	assert_true(json_equal(again, items));
	json_decref(again);
	json_decref(items);
	json_decref(rep);
	free(text);
	json_decref(events);
	json_decref(a);
	misp_export_destroy(&x);
}

/* An event with the given tags (a JSON array text) and threat level. */
static json_t *
s_tagged(const char *tags, const char *level, int tlp, json_t **rep)
{
	char doc[2048];

	snprintf(doc, sizeof doc,
	    "{\"Event\":{\"uuid\":\"5f5b0f4a-0000-4000-8000-000000000001\",\"info\":\"t\","
	    "\"timestamp\":\"1700000000\",%s%s%s\"Tag\":%s,\"Attribute\":[{\"type\":\"ip-dst\","
	    "\"value\":\"192.0.2.1\",\"to_ids\":true}]}}",
	    level ? "\"threat_level_id\":\"" : "", level ? level : "", level ? "\"," : "", tags);
	return s_import(doc, tlp, 0, rep);
}

static void
test_tags(void **state)
{
	(void)state;
	static const struct {
		const char *tags;
		const char *tlp, *category, *type; /* tlp NULL: refused */
	} tab[] = {
		{ "[{\"name\":\"tlp:white\"}]", "clear", "other", NULL },
		{ "[{\"name\":\"TLP:GREEN\"}]", "green", "other", NULL },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"tlp:green\"}]", "green", "other", NULL },
		{ "[{\"name\":\"tlp:amber\"}]", NULL, NULL, NULL },
		{ "[{\"name\":\"tlp:amber+strict\"}]", NULL, NULL, NULL },
		{ "[{\"name\":\"tlp:red\"},{\"name\":\"tlp:clear\"}]", NULL, NULL, NULL },
		{ "[]", NULL, NULL, NULL },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"rsit:malicious-code=\\\"ransomware\\\"\"}"
		  "]",
		    "clear", "malicious-code", "ransomware" },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"ecsirt:fraud=\\\"phishing\\\"\"}]",
		    "clear", "fraud", "phishing" },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"ecsirt:malicious-code=\\\"c&c\\\"\"}]",
		    "clear", "malicious-code", NULL },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"ecsirt:bogus=\\\"x\\\"\"}]", "clear",
		    "other", NULL },
		{ "[{\"name\":\"tlp:clear\"},{\"name\":\"RSIT:Intrusions\"}]", "clear",
		    "intrusions", NULL },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		json_t *rep, *items = s_tagged(tab[i].tags, "2", -1, &rep);
		if (tab[i].tlp == NULL) {
			if (json_array_size(items) != 0)
				fail_msg("%s: not refused", tab[i].tags);
			assert_string_equal(json_string_value(
			                        json_object_get(json_array_get(rep, 0), "result")),
			    "refused");
		} else {
			if (json_array_size(items) != 1)
				fail_msg("%s: refused", tab[i].tags);
			assert_string_equal(s_field(items, 0, "tlp"), tab[i].tlp);
			assert_string_equal(s_field(items, 0, "category"), tab[i].category);
			if (tab[i].type != NULL)
				assert_string_equal(s_field(items, 0, "type"), tab[i].type);
			else if (s_field(items, 0, "type") != NULL)
				fail_msg("%s: type %s", tab[i].tags, s_field(items, 0, "type"));
			assert_string_equal(json_string_value(
			                        json_object_get(json_array_get(items, 0),
			                            "source")),
			    "misp:5f5b0f4a-0000-4000-8000-000000000001@1700000000");
		}
		json_decref(items);
		json_decref(rep);
	}
	/* --tlp for an event without a tag; amber given is refused too */
	json_t *items = s_tagged("[]", NULL, MSG_TLP_CLEAR, NULL);
	assert_string_equal(s_field(items, 0, "tlp"), "clear");
	assert_string_equal(s_field(items, 0, "severity"), "medium");
	json_decref(items);
	items = s_tagged("[]", NULL, MSG_TLP_AMBER, NULL);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);

	static const char *const levels[][2] = { { "1", "high" }, { "2", "medium" }, { "3", "low" },
		{ "4", "low" }, { "9", "medium" } };
	for (size_t i = 0; i < 5; i++) {
		items = s_tagged("[{\"name\":\"tlp:clear\"}]", levels[i][0], -1, NULL);
		assert_string_equal(s_field(items, 0, "severity"), levels[i][1]);
		json_decref(items);
	}
	/* ATT&CK from the galaxy tags MISP writes, and ours */
	items = s_tagged("[{\"name\":\"tlp:clear\"},{\"name\":\"misp-galaxy:mitre-attack-pattern="
	                 "\\\"Spearphishing Attachment - T1566.001\\\"\"},{\"name\":"
	                 "\"mitre-attack:technique=\\\"T1486\\\"\"},{\"name\":\"foo\"}]",
	    "1", -1, NULL);
	assert_string_equal(json_string_value(
	                        json_array_get(json_object_get(s_message(items, 0), "attack"), 0)),
	    "T1566.001");
	assert_string_equal(json_string_value(
	                        json_array_get(json_object_get(s_message(items, 0), "attack"), 1)),
	    "T1486");
	assert_non_null(strstr(s_field(items, 0, "summary"), "tag: foo"));
	json_decref(items);
}

static void
test_attributes(void **state)
{
	(void)state;
	json_t *rep, *items;
	const json_t *m;

	items = s_import("{\"response\":[{\"Event\":{\"uuid\":\"e1\",\"Orgc\":{\"name\":\"CIRCL\","
	                 "\"uuid\":\"x\"},\"Tag\":[{\"name\":\"tlp:green\"}],\"Attribute\":["
	                 "{\"uuid\":\"a1\",\"type\":\"ip-dst|port\",\"value\":\"192.0.2.5|443\"},"
	                 "{\"type\":\"domain|ip\",\"value\":\"evil.example|2001:db8::1\"},"
	                 "{\"type\":\"hostname\",\"value\":\"WWW.Evil.Example\"},"
	                 "{\"type\":\"filename|sha256\",\"value\":\"a.exe|"
	                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
	                 "{\"type\":\"AS\",\"value\":\"64501\"},"
	                 "{\"type\":\"vulnerability\",\"value\":\"cve-2021-44228\"},"
	                 "{\"type\":\"email-dst\",\"value\":\"x@evil.example\"},"
	                 "{\"type\":\"url\",\"value\":\"hxxp://evil[.]example/a\"},"
	                 "{\"uuid\":\"a2\",\"type\":\"mutex\",\"value\":\"m\",\"to_ids\":true},"
	                 "{\"uuid\":\"a3\",\"type\":\"ip-src\",\"value\":\"not-an-ip\"},"
	                 "{\"type\":\"link\",\"value\":\"https://blog.example/\",\"to_ids\":false},"
	                 "{\"type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\","
	                 "\"deleted\":true}]}}]}",
	    -1, 0, &rep);
	assert_int_equal(json_array_size(items), 1);
	m = s_message(items, 0);
	assert_string_equal(s_field(items, 0, "title"), "ip-dst|port 192.0.2.5|443");
	assert_true(s_has_ioc(m, "ipv4", "192.0.2.5"));
	assert_true(s_has_ioc(m, "domain", "evil.example"));
	assert_true(s_has_ioc(m, "ipv6", "2001:db8::1"));
	assert_true(s_has_ioc(m, "domain", "www.evil.example"));
	assert_true(s_has_ioc(m, "filename", "a.exe"));
	assert_true(s_has_ioc(m, "sha256",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	assert_true(s_has_ioc(m, "asn", "AS64501"));
	assert_true(s_has_ioc(m, "cve", "CVE-2021-44228"));
	assert_true(s_has_ioc(m, "email", "x@evil.example"));
	assert_true(s_has_ioc(m, "url", "http://evil.example/a"));
	assert_int_equal(json_array_size(json_object_get(m, "indicators")), 10);
	assert_true(s_reported(rep, "attribute a2 type mutex: no socmesh indicator type"));
	assert_true(s_reported(rep, "attribute a3 type ip-src:"));
	assert_true(s_reported(rep, "deleted"));
	assert_non_null(strstr(s_field(items, 0, "summary"),
	    "Imported from MISP event e1 (CIRCL).\nlink: https://blog.example/"));
	json_decref(items);
	json_decref(rep);
}

static void
test_malformed(void **state)
{
	(void)state;
	static const char *const refused[] = { "", "not json", "[1,", "5", "\"x\"", "null",
		"{\"response\":5}", "{\"a\":1,\"a\":2}" };
	static const char *const tolerated[] = { "[]", "[1,\"x\",null]", "{\"Event\":5}",
		"{\"Event\":{\"Attribute\":\"x\",\"Tag\":{},\"Object\":5,\"info\":7}}",
		"{\"Event\":{\"Attribute\":[5,{\"type\":5},{\"value\":\"v\"},{\"type\":\"ip-dst\","
		"\"value\":[]}],\"Tag\":[5,{\"name\":7},{\"name\":\"tlp:\"},{\"name\":\"rsit:\"}],"
		"\"Object\":[5,{\"Attribute\":5},{\"Attribute\":[{\"type\":\"url\",\"value\":\"\"}]"
		"}],"
		"\"Galaxy\":[5,{\"GalaxyCluster\":[7,{\"tag_name\":\"misp-galaxy:mitre-x=\\\" - "
		"\\\"\"}]"
		"}],\"timestamp\":-5,\"threat_level_id\":[],\"uuid\":7,\"info\":\"\\u0001x\\ny\"}}",
		"{\"response\":[{\"Event\":{\"info\":\"a\"}},{\"Event\":{\"info\":\"a\"}}]}" };
	json_t *items, *rep;
	char *deep;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		s_import(refused[i], MSG_TLP_CLEAR, -1, NULL);
	for (size_t i = 0; i < sizeof tolerated / sizeof tolerated[0]; i++) {
		items = s_import(tolerated[i], MSG_TLP_CLEAR, 0, &rep);
		json_decref(items);
		json_decref(rep);
	}
	/* control characters made spaces in a one-line title */
	items = s_import(tolerated[4], MSG_TLP_CLEAR, 0, NULL);
	assert_string_equal(s_field(items, 0, "title"), " x y");
	json_decref(items);
	/* two events without uuids but with the same content: one source */
	items = s_import(tolerated[5], MSG_TLP_CLEAR, 0, NULL);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "source")),
	    json_string_value(json_object_get(json_array_get(items, 1), "source")));
	json_decref(items);

	/* deep nesting */
	deep = malloc(200001);
	assert_non_null(deep);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = '\0';
	s_import(deep, MSG_TLP_CLEAR, -1, NULL);
	/* a string full of brackets is no nesting */
	snprintf(deep, 200001, "{\"Event\":{\"info\":\"%s\"}}",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[\\\"");
	items = s_import(deep, MSG_TLP_CLEAR, 0, NULL);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	free(deep);

	/* 100,000 attributes: the first 1000 indicators, the rest reported */
	size_t cap = 100000 * 64 + 256, len;
	char *big = malloc(cap);
	assert_non_null(big);
	len = (size_t)snprintf(big, cap, "{\"Event\":{\"info\":\"big\",\"Attribute\":[");
	for (int i = 0; i < 100000; i++)
		len += (size_t)snprintf(big + len, cap - len,
		    "%s{\"type\":\"ip-dst\",\"value\":\"10.%d.%d.%d\"}", i ? "," : "", i >> 16,
		    (i >> 8) & 255, i & 255);
	snprintf(big + len, cap - len, "]}}");
	items = s_import(big, MSG_TLP_CLEAR, 0, &rep);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(json_array_size(json_object_get(s_message(items, 0), "indicators")),
	    MSG_MAX_INDICATORS);
	assert_true(s_reported(rep, "99000 indicators beyond the 1000"));
	json_decref(items);
	json_decref(rep);
	/* 100,000 attributes not for detection: the summary fills, the rest
	 * is said */
	len = (size_t)snprintf(big, cap, "{\"Event\":{\"info\":\"big\",\"Attribute\":[");
	for (int i = 0; i < 100000; i++)
		len += (size_t)snprintf(big + len, cap - len,
		    "%s{\"type\":\"mutex\",\"value\":\"m%d\",\"to_ids\":false}", i ? "," : "", i);
	snprintf(big + len, cap - len, "]}}");
	items = s_import(big, MSG_TLP_CLEAR, 0, &rep);
	assert_int_equal(json_array_size(items), 1);
	assert_true(strlen(s_field(items, 0, "summary")) <= MSG_MAX_SUMMARY);
	assert_true(s_reported(rep, "did not fit in the summary"));
	json_decref(items);
	json_decref(rep);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_scenario),
		cmocka_unit_test(test_export_skips),
		cmocka_unit_test(test_import_shared),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
