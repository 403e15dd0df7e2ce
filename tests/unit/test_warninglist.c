/*
 * Unit tests for daemon/warninglist: MISP warning lists read, each type's
 * matching, matching_attributes, the order of lists, refused lists, and
 * the default set shipped in deploy/warninglists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "warninglist.h"

static int
s_add(struct warninglists *w, const char *json)
{
	char err[512];
	int rc = warninglists_add(w, json, strlen(json), "test.json", err, sizeof err);

	if (rc == -1)
		print_message("%s\n", err);
	return rc;
}

/* The list name that matches TYPE:VALUE (normalized as given), or "". */
static const char *
s_match(const struct warninglists *w, enum ioc_type t, const char *v)
{
	const char *name = warninglist_match(w, t, v, strlen(v));

	return name == NULL ? "" : name;
}

static void
test_types(void **state)
{
	struct warninglists *w = warninglists_new();

	(void)state;
	assert_non_null(w);
	assert_int_equal(s_add(w,
	                     "{\"name\":\"res\",\"type\":\"cidr\",\"list\":[\"8.8.8.8\","
	                     "\"1.1.1.0/24\",\"2606:4700::/32\",\"10.0.0.1/8\",\"junk\"]}"),
	    0);
	assert_int_equal(s_add(w,
	                     "{\"name\":\"top\",\"type\":\"hostname\",\"list\":[\"google.com\","
	                     "\".example.org\",\"*.akamai.net\"]}"),
	    0);
	assert_int_equal(s_add(w,
	                     "{\"name\":\"str\",\"type\":\"string\",\"list\":"
	                     "[\"D41D8CD98F00B204E9800998ECF8427E\",\"Evil.exe\"]}"),
	    0);
	assert_int_equal(s_add(w, "{\"name\":\"sub\",\"type\":\"substring\",\"list\":[\"cdn-\"]}"),
	    0);
	assert_int_equal(warninglists_count(w), 4);

	assert_string_equal(s_match(w, IOC_IPV4, "8.8.8.8"), "res");
	assert_string_equal(s_match(w, IOC_IPV4, "8.8.8.9"), "");
	assert_string_equal(s_match(w, IOC_IPV4, "1.1.1.200"), "res");
	assert_string_equal(s_match(w, IOC_IPV4, "10.200.3.4"), "res"); /* host bits cleared */
	assert_string_equal(s_match(w, IOC_CIDR, "1.1.1.128/25"), "res");
	assert_string_equal(s_match(w, IOC_CIDR, "1.1.0.0/16"), ""); /* wider than the list's */
	assert_string_equal(s_match(w, IOC_IPV6, "2606:4700:4700::1111"), "res");
	assert_string_equal(s_match(w, IOC_IPV6, "2606:4701::1"), "");

	assert_string_equal(s_match(w, IOC_DOMAIN, "google.com"), "top");
	assert_string_equal(s_match(w, IOC_DOMAIN, "mail.google.com"), "top");
	assert_string_equal(s_match(w, IOC_DOMAIN, "notgoogle.com"), "");
	assert_string_equal(s_match(w, IOC_DOMAIN, "a.b.example.org"), "top");
	assert_string_equal(s_match(w, IOC_DOMAIN, "x.akamai.net"), "top");
	assert_string_equal(s_match(w, IOC_URL, "https://user@www.google.com:443/x?y=1"), "top");
	assert_string_equal(s_match(w, IOC_URL, "http://evil.example/google.com"), "");
	assert_string_equal(s_match(w, IOC_URL, "http://[2606:4700::6810:84e5]/x"), "res");
	assert_string_equal(s_match(w, IOC_URL, "http://8.8.8.8:53/"), "res");
	assert_string_equal(s_match(w, IOC_EMAIL, "someone@mail.google.com"), "top");

	assert_string_equal(s_match(w, IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e"), "str");
	assert_string_equal(s_match(w, IOC_FILENAME, "evil.exe"), "str"); /* any case */
	assert_string_equal(s_match(w, IOC_DOMAIN, "cdn-1.example.net"), "sub");
	assert_string_equal(s_match(w, IOC_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"), "");
	warninglists_destroy(&w);
	assert_null(w);
	assert_null(warninglist_match(NULL, IOC_IPV4, "8.8.8.8", 7));
}

static void
test_attributes_and_order(void **state)
{
	struct warninglists *w = warninglists_new();

	(void)state;
	assert_non_null(w);
	/* A hostname list for domains only: a URL's host is not matched. */
	assert_int_equal(s_add(w,
	                     "{\"name\":\"domains\",\"type\":\"hostname\",\"list\":[\"a.example\"],"
	                     "\"matching_attributes\":[\"domain\",\"hostname\"]}"),
	    0);
	assert_int_equal(s_add(w,
	                     "{\"name\":\"urls\",\"type\":\"hostname\",\"list\":[\"a.example\","
	                     "\"b.example\"],\"matching_attributes\":[\"url\",\"domain\"]}"),
	    0);
	/* Unknown attribute types only: every type. */
	assert_int_equal(s_add(w,
	                     "{\"name\":\"any\",\"type\":\"string\",\"list\":[\"x\"],"
	                     "\"matching_attributes\":[\"x509-fingerprint-sha1\"]}"),
	    0);
	assert_string_equal(s_match(w, IOC_DOMAIN, "www.a.example"), "domains"); /* the first */
	assert_string_equal(s_match(w, IOC_URL, "https://www.a.example/"), "urls");
	assert_string_equal(s_match(w, IOC_URL, "https://b.example/"), "urls");
	assert_string_equal(s_match(w, IOC_EMAIL, "me@b.example"), "");
	assert_string_equal(s_match(w, IOC_FILENAME, "x"), "any");
	warninglists_destroy(&w);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"type\":\"string\",\"list\":[]}",
		"{\"name\":\"\",\"type\":\"string\",\"list\":[]}",
		"{\"name\":\"a\\nb\",\"type\":\"string\",\"list\":[]}",
		"{\"name\":\"n\",\"type\":\"glob\",\"list\":[]}",
		"{\"name\":\"n\",\"type\":\"string\"}",
		"{\"name\":\"n\",\"type\":\"string\",\"list\":[1]}",
		"{\"name\":\"n\",\"type\":\"string\",\"list\":[],\"matching_attributes\":\"url\"}",
		"{\"name\":\"n\",\"name\":\"m\",\"type\":\"string\",\"list\":[]}",
	};
	struct warninglists *w = warninglists_new();
	char err[512];

	(void)state;
	assert_non_null(w);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(warninglists_add(w, bad[i], strlen(bad[i]), "f.json", err,
		                     sizeof err),
		    -1);
		assert_non_null(strstr(err, "f.json: not a warning list"));
	}
	assert_int_equal(s_add(w, "{\"name\":\"r\",\"type\":\"regex\",\"list\":[\"^a$\"]}"), 1);
	assert_int_equal(warninglists_count(w), 0);
	assert_null(warninglist_match(w, IOC_DOMAIN, "a", 1));
	warninglists_destroy(&w);
}

/* Many entries: the table grows and every one still matches. */
static void
test_many(void **state)
{
	struct warninglists *w = warninglists_new();
	char *json = malloc(20 * 5000 + 100), v[32];
	size_t off;

	(void)state;
	assert_non_null(w);
	assert_non_null(json);
	off = (size_t)sprintf(json, "{\"name\":\"many\",\"type\":\"hostname\",\"list\":[");
	for (int i = 0; i < 5000; i++)
		off += (size_t)sprintf(json + off, "%s\"h%d.example\"", i ? "," : "", i);
	strcpy(json + off, "]}");
	assert_int_equal(s_add(w, json), 0);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(v, sizeof v, "x.h%d.example", i);
		assert_string_equal(s_match(w, IOC_DOMAIN, v), "many");
	}
	assert_string_equal(s_match(w, IOC_DOMAIN, "h5000.example"), "");
	free(json);
	warninglists_destroy(&w);
}

static void
test_load(void **state)
{
	char dir[64], path[128], err[512];
	struct warninglists *w;

	(void)state;
	/* The default set. */
	w = warninglists_load("deploy/warninglists", ".", err, sizeof err);
	if (w == NULL)
		print_message("%s\n", err);
	assert_non_null(w);
	assert_int_equal(warninglists_count(w), 3);
	assert_non_null(warninglist_match(w, IOC_IPV4, "8.8.8.8", 7));
	assert_non_null(warninglist_match(w, IOC_IPV6, "2606:4700:4700::1111", 20));
	assert_non_null(warninglist_match(w, IOC_IPV4, "104.16.1.1", 10));
	assert_non_null(warninglist_match(w, IOC_DOMAIN, "login.microsoft.com", 19));
	assert_null(warninglist_match(w, IOC_DOMAIN, "evil.example", 12));
	warninglists_destroy(&w);

	/* A folder: files in name order, others ignored, a bad one refused. */
	assert_int_equal(tu_mkdtemp(dir, "wl"), 0);
	snprintf(path, sizeof path, "%s/b.json", dir);
	assert_int_equal(tu_write(path, "{\"name\":\"B\",\"type\":\"string\",\"list\":[\"x\"]}"),
	    0);
	snprintf(path, sizeof path, "%s/a.json", dir);
	assert_int_equal(tu_write(path, "{\"name\":\"A\",\"type\":\"string\",\"list\":[\"x\"]}"),
	    0);
	snprintf(path, sizeof path, "%s/README", dir);
	assert_int_equal(tu_write(path, "not json"), 0);
	w = warninglists_load(dir, "/nonexistent", err, sizeof err);
	assert_non_null(w);
	assert_int_equal(warninglists_count(w), 2);
	assert_string_equal(s_match(w, IOC_FILENAME, "x"), "A");
	warninglists_destroy(&w);
	snprintf(path, sizeof path, "%s/c.json", dir);
	assert_int_equal(tu_write(path, "{\"name\":3}"), 0);
	assert_null(warninglists_load(dir, "/", err, sizeof err));
	assert_non_null(strstr(err, "c.json: not a warning list"));
	assert_int_equal(tu_rmrf(dir), 0);
	assert_null(warninglists_load(dir, "/", err, sizeof err));
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_attributes_and_order),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
