/* stix: the export of a scenario of every kind, field and indicator type
 * (tests/interop/stix_scenario.json) is deterministic and carries the ids
 * and patterns expected; its import gives back the indicators, TLP and
 * text; every OASIS example (../shared/interop/stix2-examples) imports or
 * is refused with a reason; hostile input gives errors, never a crash.
 * test_schema validates the scenario's bundle, and its objects as a TAXII
 * envelope, with tests/interop/schema.py (Debian's python3 and python3-jsonschema,
 * which make deps installs).  With STIX_SCENARIO_OUT set, the scenario's bundle is
 * also written there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "interop.h"
#include "keyspace.h"
#include "msgjson.h"
#include "util.h"
#include "msg.h"
#include "stix.h"
#include "testutil.h"

#define SCENARIO "tests/interop/stix_scenario.json"
#define EXAMPLES "../shared/interop/stix2-examples"
#define I1       "1111111111111111111111111111111111111111111111111111111111111111"
#define I2       "2222222222222222222222222222222222222222222222222222222222222222"
#define R_I1     "report--aa6f076d-52fe-5a6d-be51-e95affd0b2b5"
#define R_I2     "report--6567b351-9ef1-554b-9b2b-2ca624751bc9"
#define ID_A     "identity--15e8dbc8-6c2a-509d-9b40-36084973a9ab"

static json_t *
s_scenario(void)
{
	json_error_t jerr;
	json_t *d = json_load_file(SCENARIO, 0, &jerr);

	if (d == NULL)
		fail_msg("%s: %s", SCENARIO, jerr.text);
	return d;
}

/* The scenario's messages added in order (reverse: last first); the
 * export.  Checks what add says of each. */
static struct stix_export *
s_export(bool reverse)
{
	json_t *d = s_scenario(), *msgs = json_object_get(d, "messages");
	struct stix_export *x = stix_export_new();
	size_t n = json_array_size(msgs);

	assert_non_null(x);
	for (size_t k = 0; k < n; k++) {
		const json_t *m = json_array_get(msgs, reverse ? n - 1 - k : k);
		const char *tlp = json_string_value(json_object_get(m, "tlp"));
		const char *kind = json_string_value(json_object_get(m, "kind"));
		bool sealed = json_is_true(json_object_get(m, "sealed"));
		int want = strcmp(tlp, "red") == 0 || sealed || strcmp(kind, "beacon") == 0 ? 1 : 0;
		char err[256] = "";
		int rc = stix_export_add(x, m, err, sizeof err);
		if (rc != want)
			fail_msg("message %zu: %d (%s), want %d", k, rc, err, want);
		if (rc == 1 && err[0] == '\0')
			fail_msg("message %zu skipped without a reason", k);
	}
	json_decref(d);
	return x;
}

static char *
s_dump(const json_t *o)
{
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	return s;
}

/* The objects of the bundle with this id, in order. */
static size_t
s_versions(const json_t *bundle, const char *id, const json_t **out, size_t max)
{
	const json_t *o;
	size_t i, n = 0;

	json_array_foreach(json_object_get(bundle, "objects"), i,
	    o) if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0 && n < max)
	    out[n++] = o;
	return n;
}

static const char *
s_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
test_uuid(void **state)
{
	char u[INTEROP_UUID_LEN + 1];

	(void)state;
	interop_uuid(u, I1);
	assert_string_equal(u, "aa6f076d-52fe-5a6d-be51-e95affd0b2b5");
	interop_uuid(u, "node/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
	assert_string_equal(u, "15e8dbc8-6c2a-509d-9b40-36084973a9ab");
}

static void
test_export_deterministic(void **state)
{
	struct stix_export *x = s_export(false), *y = s_export(true);
	json_t *b1 = stix_export_bundle(x), *b2 = stix_export_bundle(x),
	       *b3 = stix_export_bundle(y);
	char *s1 = s_dump(b1), *s2 = s_dump(b2), *s3 = s_dump(b3);
	const char *out = getenv("STIX_SCENARIO_OUT");

	(void)state;
	assert_string_equal(s1, s2);
	assert_string_equal(s1, s3);
	assert_string_equal(s_str(b1, "type"), "bundle");
	assert_true(strncmp(s_str(b1, "id"), "bundle--", 8) == 0);
	if (out != NULL) {
		FILE *f = fopen(out, "w");
		assert_non_null(f);
		assert_int_equal(json_dumpf(b1, f, JSON_SORT_KEYS | JSON_INDENT(1)), 0);
		assert_int_equal(fclose(f), 0);
	}
	free(s1);
	free(s2);
	free(s3);
	json_decref(b1);
	json_decref(b2);
	json_decref(b3);
	stix_export_destroy(&x);
	stix_export_destroy(&y);
	stix_export_destroy(&y);
}

/* The pattern of the indicators of the bundle holds want. */
static bool
s_has_pattern(const json_t *b, const char *want)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(b, "objects"), i, o) if (s_str(o, "pattern") != NULL &&
	    strcmp(s_str(o, "pattern"), want) == 0) return true;
	return false;
}

static void
test_export_content(void **state)
{
	struct stix_export *x = s_export(false);
	json_t *b = stix_export_bundle(x), *entries = stix_export_objects(x);
	const json_t *v[8], *o, *e;
	size_t n, i, notes = 0, sightings = 0;
	char *dump;
	static const char *const patterns[] = {
		"[ipv4-addr:value = '203.0.113.7']",
		"[ipv6-addr:value = '2001:db8::7']",
		"[ipv4-addr:value = '198.51.100.0/24']",
		"[ipv6-addr:value = '2001:db8:1::/48']",
		"[domain-name:value = 'evil.example']",
		"[url:value = 'http://evil.example/it\\'s/payload']",
		"[email-addr:value = 'billing@evil.example']",
		"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		"[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
		"[file:hashes.'SHA-256' = "
		"'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
		"[file:name = 'invoice \\'final\\'.doc']",
		"[autonomous-system:number = 64500]",
		"[network-traffic:x_ja3_md5 = 'e7d705a3286e19ea42f587b344ee6865']",
		"[domain-name:value = 'evil2.example']",
	};

	(void)state;
	assert_non_null(b);
	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
		if (!s_has_pattern(b, patterns[i]))
			fail_msg("no indicator with %s", patterns[i]);
	/* the case: the incident and two updates of its origin (the second at
	 * the same time as the first: 1 ms later) */
	n = s_versions(b, R_I1, v, 8);
	assert_int_equal(n, 3);
	assert_string_equal(s_str(v[0], "modified"), "2026-12-01T10:00:00.000Z");
	assert_string_equal(s_str(v[1], "modified"), "2026-12-01T12:00:00.000Z");
	assert_string_equal(s_str(v[2], "modified"), "2026-12-01T12:00:00.001Z");
	for (i = 0; i < n; i++)
		assert_string_equal(s_str(v[i], "created"), "2026-12-01T10:00:00.000Z");
	assert_string_equal(s_str(v[2], "x_socmesh_severity"), "critical");
	assert_string_equal(s_str(v[2], "x_socmesh_status"), "contained");
	assert_string_equal(s_str(v[2], "description"), "Rolled up summary.");
	assert_string_equal(s_str(v[0], "x_socmesh_severity"), "high");
	assert_string_equal(s_str(v[0], "created_by_ref"), ID_A);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v[0], "labels"), 0)),
	    "rsit:malicious-code");
	/* 13 indicators and a vulnerability, 2 techniques; then one more of each */
	assert_int_equal(json_array_size(json_object_get(v[0], "object_refs")), 16);
	assert_int_equal(json_array_size(json_object_get(v[2], "object_refs")), 18);
	assert_string_equal(json_string_value(
	                        json_array_get(json_object_get(v[0], "object_marking_refs"), 0)),
	    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
	/* the amber case, retracted: revoked; no object refs: the identity */
	n = s_versions(b, R_I2, v, 8);
	assert_int_equal(n, 2);
	assert_true(json_is_true(json_object_get(v[1], "revoked")));
	assert_string_equal(s_str(v[1], "modified"), "2026-12-02T09:00:00.001Z");
	assert_string_equal(json_string_value(
	                        json_array_get(json_object_get(v[0], "object_marking_refs"), 0)),
	    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
	assert_true(
	    strncmp(json_string_value(json_array_get(json_object_get(v[0], "object_refs"), 0)),
	        "identity--", 10) == 0);
	/* no RED, and the markings and extension definition are there */
	assert_int_equal(s_versions(b, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	                     v, 8),
	    0);
	assert_int_equal(s_versions(b, STIX_TLP2_EXTENSION, v, 8), 1);
	assert_int_equal(s_versions(b, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	                     v, 8),
	    1);
	json_array_foreach(json_object_get(b, "objects"), i, o)
	{
		const char *t = s_str(o, "type");
		assert_string_equal(s_str(o, "spec_version"), "2.1");
		notes += strcmp(t, "note") == 0;
		sightings += strcmp(t, "sighting") == 0;
		dump = s_dump(o);
		assert_true(strstr(dump, "Red case") == NULL);
		free(dump);
	}
	/* the update of another SOC, the comment, the retract of an unknown
	 * message, the update of an unknown case */
	assert_int_equal(notes, 4);
	assert_int_equal(sightings, 2);
	/* the TAXII entries: the message of each object, and when it came */
	json_array_foreach(entries, i, e)
	{
		const json_t *obj = json_object_get(e, "object");
		const char *t = s_str(obj, "type");
		bool shared = strcmp(t, "identity") == 0 || strcmp(t, "marking-definition") == 0 ||
		    strcmp(t, "extension-definition") == 0;
		assert_true(shared ? json_is_null(json_object_get(e, "message"))
		                   : strlen(s_str(e, "message")) == 64);
		if (!shared)
			assert_non_null(s_str(e, "received"));
	}
	assert_int_equal(json_array_size(entries), json_array_size(json_object_get(b, "objects")));
	json_decref(entries);
	json_decref(b);
	stix_export_destroy(&x);
}

static int
s_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "type:value" of every indicator of a message, sorted, joined by " ";
 * the caller frees. */
static char *
s_iocs(const json_t *msg)
{
	const json_t *e;
	size_t i, n = json_array_size(json_object_get(msg, "indicators")), len = 1;
	char **v = calloc(n + 1, sizeof *v), *out;

	assert_non_null(v);
	json_array_foreach(json_object_get(msg, "indicators"), i, e)
	{
		size_t k = strlen(s_str(e, "type")) + strlen(s_str(e, "value")) + 2;
		v[i] = malloc(k);
		assert_non_null(v[i]);
		snprintf(v[i], k, "%s:%s", s_str(e, "type"), s_str(e, "value"));
		len += k;
	}
	qsort(v, n, sizeof *v, s_cmp);
	out = calloc(1, len);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, v[i]);
		if (i + 1 < n)
			strcat(out, " ");
		free(v[i]);
	}
	free(v);
	return out;
}

/* s_iocs(msg) holds want. */
static bool
s_has_ioc(const json_t *msg, const char *want)
{
	char *all = s_iocs(msg);
	bool r = strstr(all, want) != NULL;

	free(all);
	return r;
}

static void
test_round_trip(void **state)
{
	struct stix_export *x = s_export(false);
	json_t *b = stix_export_bundle(x), *items, *report, *rolled = json_object(), *inds;
	json_t *scen = s_scenario();
	struct interop_opts o = { .tlp = -1 };
	const json_t *e, *m;
	char err[256] = "", *want, *got;
	size_t i, comments = 0, sightings = 0;
	long case_item = -1;

	(void)state;
	assert_int_equal(stix_import(b, &o, &items, &report, err, sizeof err), 0);
	/* the indicators of the case: the incident's and its updates' */
	inds = json_array();
	json_array_foreach(json_object_get(scen, "messages"), i,
	    m) if (strcmp(s_str(m, "id"), I1) == 0 ||
	    (s_str(m, "ref") != NULL && strcmp(s_str(m, "ref"), I1) == 0 &&
	        strcmp(s_str(m, "kind"), "update") == 0 &&
	        strncmp(s_str(json_object_get(m, "origin"), "id"), "a1", 2) == 0))
	    json_array_extend(inds, json_object_get(m, "indicators"));
	json_object_set_new(rolled, "indicators", inds);
	want = s_iocs(rolled);
	json_array_foreach(items, i, e)
	{
		const json_t *msg = json_object_get(e, "message");
		const char *kind = s_str(msg, "kind");
		assert_non_null(s_str(e, "source"));
		assert_true(strncmp(s_str(e, "source"), "stix:", 5) == 0);
		if (strcmp(kind, "incident") == 0) {
			assert_int_equal(case_item, -1);
			case_item = (long)i;
			assert_string_equal(s_str(e, "known"), I1);
			assert_string_equal(s_str(msg, "tlp"), "green");
			assert_string_equal(s_str(msg, "title"),
			    "Phishing wave with a ransomware loader");
			assert_string_equal(s_str(msg, "summary"), "Rolled up summary.");
			assert_string_equal(s_str(msg, "severity"), "critical");
			assert_string_equal(s_str(msg, "category"), "malicious-code");
			assert_string_equal(s_str(msg, "status"), "contained");
			assert_string_equal(s_str(msg, "scope"), "two sites\tand the VPN");
			assert_string_equal(s_str(msg, "lessons"), "macro policy");
			assert_int_equal(json_array_size(json_object_get(msg, "attack")), 3);
			assert_int_equal(json_array_size(json_object_get(msg, "actions")), 2);
			got = s_iocs(msg);
			assert_string_equal(got, want);
			free(got);
		} else if (strcmp(kind, "comment") == 0) {
			comments++;
			if (strcmp(s_str(msg, "text"), "We saw the same loader; C2 below.") == 0) {
				assert_string_equal(s_str(msg, "tlp"), "clear");
				assert_int_equal(json_integer_value(json_object_get(e, "ref_item")),
				    case_item);
				assert_int_equal(json_array_size(
				                     json_object_get(msg, "indicators")),
				    1);
			}
		} else if (strcmp(kind, "sighting") == 0) {
			sightings++;
			assert_int_equal(json_integer_value(json_object_get(e, "ref_item")),
			    case_item);
			assert_true(strlen(s_str(e, "known")) == 64);
		} else
			fail_msg("an item of kind %s", kind);
	}
	assert_true(case_item >= 0);
	assert_int_equal(comments, 4);
	assert_int_equal(sightings, 2);
	/* the amber case: revoked, and amber */
	json_array_foreach(report, i, e) if (strcmp(s_str(e, "object"), R_I2) == 0)
	    assert_string_equal(s_str(e, "result"), "skipped");
	free(want);
	json_decref(items);
	json_decref(report);
	json_decref(rolled);
	json_decref(scen);
	json_decref(b);
	stix_export_destroy(&x);
}

/* Imports file with --tlp tlp (-1: none): 0 or -1; counts. */
static int
s_import_file(const char *path, int tlp, size_t *nitems, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *d = json_load_file(path, 0, &jerr), *items, *report;
	struct interop_opts o = { .tlp = tlp };
	const json_t *e;
	size_t i;
	int rc;

	if (d == NULL)
		fail_msg("%s: %s", path, jerr.text);
	rc = stix_import(d, &o, &items, &report, err, errlen);
	if (rc == 0) {
		*nitems = json_array_size(items);
		/* every object is an item or has a reason */
		json_array_foreach(json_object_get(d, "objects"), i, e)
		{
			const char *id = s_str(e, "id");
			bool found = false;
			const json_t *r;
			size_t j;
			json_array_foreach(items, j, r)
			    found |= strcmp(s_str(r, "object"), id) == 0;
			json_array_foreach(report, j, r) if (s_str(r, "object") != NULL &&
			    strcmp(s_str(r, "object"), id) == 0)
			{
				found = true;
				assert_true(strlen(s_str(r, "reason")) > 0);
			}
			if (!found)
				fail_msg("%s: %s is neither imported nor reported", path, id);
		}
		json_decref(items);
		json_decref(report);
	} else
		assert_true(strlen(err) > 0);
	json_decref(d);
	return rc;
}

static void
test_examples(void **state)
{
	DIR *dir = opendir(EXAMPLES);
	struct dirent *de;
	size_t files = 0;

	(void)state;
	if (dir == NULL)
		fail_msg("%s: cannot open (run from the repository root)", EXAMPLES);
	while ((de = readdir(dir)) != NULL) {
		char path[512], err[256] = "";
		size_t n = 0;
		int rc;
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		files++;
		snprintf(path, sizeof path, "%s/%s", EXAMPLES, de->d_name);
		rc = s_import_file(path, -1, &n, err, sizeof err);
		/* interop-objectmarking-test.json is one object alone (a
		 * bundle of one) marked TLP:RED (1.0): refused, per object */
		if (strcmp(de->d_name, "interop-objectmarking-test.json") == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, 0);
			continue;
		}
		/* no other example carries a TLP marking */
		assert_int_equal(rc, -1);
		assert_string_equal(err, "no TLP marking in the bundle; give --tlp");
		rc = s_import_file(path, MSG_TLP_GREEN, &n, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %s", path, err);
		if (strstr(de->d_name, "indicator") != NULL || strstr(de->d_name, "apt1") != NULL)
			if (n == 0 && strstr(de->d_name, "email") == NULL)
				fail_msg("%s: no item", path);
		/* AMBER given: refused per object, no item */
		rc = s_import_file(path, MSG_TLP_AMBER, &n, err, sizeof err);
		assert_int_equal(rc, 0);
		assert_int_equal(n, 0);
	}
	closedir(dir);
	assert_int_equal(files, 7);
}

static void
test_apt1(void **state)
{
	json_error_t jerr;
	json_t *d = json_load_file(EXAMPLES "/threat-report-apt1.json", 0, &jerr), *items, *report;
	struct interop_opts o = { .tlp = MSG_TLP_GREEN };
	char err[256];
	const json_t *msg, *e;
	size_t i;
	bool x509 = false;

	(void)state;
	assert_non_null(d);
	assert_int_equal(stix_import(d, &o, &items, &report, err, sizeof err), 0);
	assert_int_equal(json_array_size(items), 1);
	msg = json_object_get(json_array_get(items, 0), "message");
	assert_string_equal(s_str(msg, "kind"), "incident");
	assert_string_equal(s_str(msg, "tlp"), "green");
	assert_true(s_has_ioc(msg, "cidr:58.246.0.0/15"));
	assert_true(s_has_ioc(msg, "domain:hugesoft.org"));
	assert_true(s_has_ioc(msg, "md5:001dd76872d80801692ff942308c64e6"));
	json_array_foreach(report, i, e) if (strstr(s_str(e, "reason"), "x509-certificate") != NULL)
	    x509 = true;
	assert_true(x509);
	json_decref(items);
	json_decref(report);
	json_decref(d);
}

/* buf is refused as a whole, or planned; never a crash. */
static void
s_hostile(const char *buf, int want)
{
	struct interop_opts o = { .tlp = MSG_TLP_GREEN };
	json_t *items = NULL, *report = NULL;
	char err[256] = "";
	int rc = stix_import_buf(buf, strlen(buf), &o, &items, &report, err, sizeof err);

	if (want != 2 && rc != want)
		fail_msg("%.80s: %d (%s), want %d", buf, rc, err, want);
	if (rc == -1) {
		assert_null(items);
		assert_true(strlen(err) > 0);
	}
	json_decref(items);
	json_decref(report);
}

static void
test_hostile(void **state)
{
	static const char *const values[] = { "null", "1", "-1e308", "1e999", "\"x\"", "[]", "{}",
		"[1,{}]", "true", "\"report--x\"", "18446744073709551616" };
	static const char *const keys[] = { "type", "id", "objects", "object_marking_refs",
		"object_refs", "pattern", "pattern_type", "name", "description", "content",
		"external_references", "labels", "modified", "sighting_of_ref", "indicator_types",
		"x_socmesh_severity", "x_socmesh_sectors", "x_socmesh_ref", "extensions",
		"definition", "definition_type" };
	static const char *const patterns[] = { "[", "'", "[a:b = '", "[ipv4-addr:value = 'x' AND",
		"[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value NOT = '5.6.7.8']",
		"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]",
		"[autonomous-system:number = 99999999999]",
		"[file:hashes.'SHA-256' = 'zz'] FOLLOWEDBY [url:value = 'http://a.example/'] "
		"WITHIN 5 "
		"SECONDS",
		"[network-traffic:dst_ref.value = '1.2.3.4']", "[ipv4-addr:value = '1.2.3.4\\",
		"((([domain-name:value = 'a.example'])))", "[::::'''']", "" };
	char *deep = malloc(4096), buf[2048];
	size_t i, j;

	(void)state;
	s_hostile("", -1);
	s_hostile("not json", -1);
	s_hostile("[", -1);
	s_hostile("{\"type\":\"bundle\",\"type\":\"bundle\"}", -1);
	s_hostile("{\"type\":\"bundle\",\"objects\":5}", -1);
	s_hostile("{\"type\":\"bundle\",\"objects\":[1e999]}", -1);
	s_hostile("{\"type\":\"campaign\"}", -1);
	s_hostile("[1,2,3]", -1);
	s_hostile("{\"type\":\"bundle\",\"objects\":[]}", 0);
	s_hostile("{\"objects\":[1,\"x\",null,[],{}]}", 0);
	assert_non_null(deep);
	for (i = 0; i < 2000; i++)
		deep[i] = '[';
	deep[i] = '\0';
	s_hostile(deep, -1);
	for (i = 0; i < 30; i++)
		deep[i] = '[';
	for (; i < 60; i++)
		deep[i] = ']';
	deep[i] = '\0';
	s_hostile(deep, -1);
	/* wrong types everywhere */
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		for (j = 0; j < sizeof values / sizeof values[0]; j++) {
			snprintf(buf, sizeof buf,
			    "{\"type\":\"bundle\",\"objects\":[{\"type\":\"report\",\"id\":"
			    "\"report--"
			    "e33ffe07-2f4c-48d8-b0af-ee2619d765cf\",\"name\":\"r\",\"object_refs\":"
			    "[\"indicator--c43a0a05-e8d2-4f64-ae37-3f3fb153f8d9\"],\"%s\":%s},"
			    "{\"type\":\"indicator\",\"id\":\"indicator--c43a0a05-e8d2-4f64-ae37-"
			    "3f3fb153f8d9\",\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\","
			    "\"pattern_type\":\"stix\",\"%s\":%s},{\"type\":\"note\",\"id\":\"note-"
			    "-1\","
			    "\"object_refs\":[\"report--e33ffe07-2f4c-48d8-b0af-ee2619d765cf\"],"
			    "\"content\":\"c\",\"%s\":%s},{\"type\":\"sighting\",\"id\":\"sighting-"
			    "-1\","
			    "\"sighting_of_ref\":\"report--e33ffe07-2f4c-48d8-b0af-ee2619d765cf\","
			    "\"%s\":%s},{\"type\":\"marking-definition\",\"id\":\"marking-"
			    "definition--1\","
			    "\"%s\":%s}]}",
			    keys[i], values[j], keys[i], values[j], keys[i], values[j], keys[i],
			    values[j], keys[i], values[j]);
			s_hostile(buf, 2);
		}
	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		json_t *p = json_string(patterns[i]);
		char *ps = json_dumps(p, JSON_ENCODE_ANY);
		snprintf(buf, sizeof buf,
		    "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--"
		    "1\","
		    "\"pattern_type\":\"stix\",\"pattern\":%s}]}",
		    ps);
		s_hostile(buf, 0);
		free(ps);
		json_decref(p);
	}
	free(deep);
}

static void
test_too_many(void **state)
{
	size_t n = STIX_MAX_OBJECTS + 1, cap = n * 16 + 64, len = 0;
	char *buf = malloc(cap), err[256];
	json_t *items, *report;
	struct interop_opts o = { .tlp = MSG_TLP_GREEN };

	(void)state;
	assert_non_null(buf);
	len += (size_t)snprintf(buf, cap, "{\"type\":\"bundle\",\"objects\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s{}", i ? "," : "");
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	assert_int_equal(stix_import_buf(buf, len, &o, &items, &report, err, sizeof err), -1);
	assert_string_equal(err, "10001 objects; at most 10000");
	assert_int_equal(stix_import_buf(buf, STIX_MAX_DOCUMENT + 1, &o, &items, &report, err,
	                     sizeof err),
	    -1);
	free(buf);
}

static void
test_export_errors(void **state)
{
	struct stix_export *x = stix_export_new();
	char err[256];
	json_t *m;

	(void)state;
	assert_int_equal(stix_export_add(x, json_null(), err, sizeof err), -1);
	m = json_pack("{s:s,s:s}", "kind", "incident", "tlp", "green");
	assert_int_equal(stix_export_add(x, m, err, sizeof err), -1);
	assert_string_equal(err, "id: not a message id");
	json_object_set_new(m, "id", json_string(I1));
	json_object_set_new(m, "origin", json_pack("{s:s}", "id", I2));
	json_object_set_new(m, "time", json_string("7d"));
	assert_int_equal(stix_export_add(x, m, err, sizeof err), -1);
	assert_string_equal(err, "time: not an RFC 3339 time");
	json_object_set_new(m, "time", json_string("2026-12-01T10:00:00Z"));
	json_object_set_new(m, "title", json_string("t"));
	json_object_set_new(m, "indicators",
	    json_pack("[{s:s,s:s}]", "type", "hash", "value", "x"));
	assert_int_equal(stix_export_add(x, m, err, sizeof err), -1);
	json_object_set_new(m, "indicators", json_array());
	assert_int_equal(stix_export_add(x, m, err, sizeof err), 0);
	assert_int_equal(stix_export_add(x, m, err, sizeof err), 0);
	json_object_set_new(m, "kind", json_string("roster"));
	assert_int_equal(stix_export_add(x, m, err, sizeof err), 1);
	json_decref(m);
	stix_export_destroy(&x);
	assert_null(x);
}

/* Writes o to path. */
static void
s_write(const char *path, const json_t *o)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(json_dumpf(o, f, JSON_SORT_KEYS | JSON_INDENT(1)), 0);
	assert_int_equal(fclose(f), 0);
}

static void
test_schema(void **state)
{
	struct stix_export *x = s_export(false);
	json_t *b = stix_export_bundle(x), *entries = stix_export_objects(x), *env, *objs;
	char dir[64], bpath[128], epath[128], cmd[512];
	const json_t *e;
	size_t i;
	int rc;

	(void)state;
	/* make deps installs python3-jsonschema for Debian's interpreter */
	if (system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
		fail_msg("/usr/bin/python3 has no jsonschema: run make deps (python3-jsonschema)");
	assert_int_equal(tu_mkdtemp(dir, "stix"), 0);
	snprintf(bpath, sizeof bpath, "%s/bundle.json", dir);
	snprintf(epath, sizeof epath, "%s/envelope.json", dir);
	objs = json_array();
	json_array_foreach(entries, i, e)
	{
		json_array_append(objs, json_object_get(e, "object"));
	}
	env = json_pack("{s:b,s:o}", "more", 0, "objects", objs);
	s_write(bpath, b);
	s_write(epath, env);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/interop/schema.py stix %s %s", bpath,
	    epath);
	rc = system(cmd);
	assert_int_equal(tu_rmrf(dir), 0);
	assert_int_equal(rc, 0);
	json_decref(env);
	json_decref(b);
	json_decref(entries);
	stix_export_destroy(&x);
}

/* Whether k holds the KS_STIX key of the UUID in STIX id sid. */
static bool
s_has_stix(const struct ks_keys *k, const char *sid)
{
	uint8_t key[17] = { KS_STIX };

	if (interop_uuid_parse(key + 1, strstr(sid, "--") + 2) == -1)
		return false;
	for (size_t i = 0; i < k->n; i++)
		if (k->e[i].len == sizeof key && memcmp(k->e[i].value, key, sizeof key) == 0)
			return true;
	return false;
}

/* The daemon's index finds every object of a message's export by its
 * UUID (KS_STIX, keyspace.h): the names common/stix.c hashes and those
 * daemon/keyspace.c hashes agree. */
static void
test_index_keys(void **state)
{
	struct msg *m = msg_new();
	struct stix_export *x = stix_export_new();
	struct ks_keys k = { 0 };
	json_t *mj, *objs, *e;
	char err[256], hex[65];
	size_t i, mine = 0;

	(void)state;
	assert_non_null(m);
	assert_non_null(x);
	msg_clear(m);
	memset(m->id, 0x5a, sizeof m->id);
	memset(m->origin, 0xa1, sizeof m->origin);
	m->time = 1764600000000ull;
	m->tlp = MSG_TLP_GREEN;
	m->kind = MSG_KIND_INCIDENT;
	m->has_body = true;
	m->body.title = (struct msg_str){ "Case", 4 };
	m->body.category = MSG_CAT_MALICIOUS_CODE;
	m->body.severity = MSG_SEV_HIGH;
	m->body.status = MSG_STATUS_OPEN;
	static const struct {
		enum ioc_type t;
		const char *v;
	} iocs[] = { { IOC_IPV4, "198.51.100.7" }, { IOC_DOMAIN, "evil.example.com" },
		{ IOC_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ IOC_CVE, "CVE-2024-3400" }, { IOC_ASN, "AS64500" } };
	for (i = 0; i < sizeof iocs / sizeof iocs[0]; i++)
		m->body.indicators[m->body.nindicators++] = (struct msg_ioc){ iocs[i].t,
			{ iocs[i].v, strlen(iocs[i].v) } };
	m->body.attack[m->body.nattack++] = (struct msg_str){ "T1566.001", 9 };
	assert_int_equal(ks_derive(&k, m), 0);
	ks_finish(&k);
	assert_non_null(mj = msgjson_new(m, NULL));
	assert_int_equal(stix_export_add(x, mj, err, sizeof err), 0);
	assert_non_null(objs = stix_export_objects(x));
	hex_encode(hex, m->id, 32);
	json_array_foreach(objs, i, e)
	{
		const char *from = json_string_value(json_object_get(e, "message"));
		const char *sid = json_string_value(
		    json_object_get(json_object_get(e, "object"), "id"));
		if (from == NULL || strcmp(from, hex) != 0)
			continue;
		if (!s_has_stix(&k, sid))
			fail_msg("%s is not in the index keys", sid);
		mine++;
	}
	/* the report, four indicators, one vulnerability, one attack pattern */
	assert_int_equal(mine, 7);
	json_decref(objs);
	json_decref(mj);
	stix_export_destroy(&x);
	ks_free(&k);
	msg_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_export_deterministic),
		cmocka_unit_test(test_export_content),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_apt1),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_export_errors),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_index_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
