/* Unit tests for proto/ioc: normalization, strict inference, refanging
 * and the errors of what people write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ioc.h"

/* ioc_parse_text(in) succeeds with type t and value want. */
static void
s_reads(const char *in, enum ioc_type t, const char *want)
{
	struct ioc_value v;
	char err[512] = "";

	if (ioc_parse_text(in, strlen(in), &v, err, sizeof err) != 0)
		fail_msg("'%s': %s", in, err);
	if (v.type != t || strcmp(v.value, want) != 0 || v.len != strlen(want))
		fail_msg("'%s' read as %s:%s, not %s:%s", in, ioc_type_name(v.type), v.value,
		    ioc_type_name(t), want);
}

/* ioc_parse_text(in) fails with the error want. */
static void
s_refuses(const char *in, const char *want)
{
	struct ioc_value v;
	char err[512] = "";

	if (ioc_parse_text(in, strlen(in), &v, err, sizeof err) == 0)
		fail_msg("'%s' read as %s:%s", in, ioc_type_name(v.type), v.value);
	assert_string_equal(err, want);
}

static void
test_normalize(void **state)
{
	char out[IOC_MAX_VALUE + 1];

	(void)state;
	assert_int_equal(ioc_normalize(IOC_DOMAIN, "Evil.Example.", 13, out, sizeof out), 12);
	assert_string_equal(out, "evil.example");
	assert_int_equal(ioc_normalize(IOC_CIDR, "10.1.2.3/8", 10, out, sizeof out), 10);
	assert_string_equal(out, "10.0.0.0/8");
	/* The wire form is never refanged: a defanged value is no value. */
	assert_int_equal(ioc_normalize(IOC_DOMAIN, "evil[.]example", 14, out, sizeof out), -1);
	assert_int_equal(ioc_normalize(IOC_URL, "hxxp://evil.example/", 20, out, sizeof out), 20);
	assert_string_equal(out, "hxxp://evil.example/");
	/* An explicit domain keeps the wire rule (labels of digits). */
	assert_int_equal(ioc_normalize(IOC_DOMAIN, "300.1.1.1", 9, out, sizeof out), 9);
}

static void
test_infer(void **state)
{
	static const struct {
		const char *in;
		int t;
	} cases[] = {
		{ "198.51.100.23", IOC_IPV4 },
		{ "2001:DB8::1", IOC_IPV6 },
		{ "10.1.2.3/8", IOC_CIDR },
		{ "cve-2024-3094", IOC_CVE },
		{ "AS64496", IOC_ASN },
		{ "d41d8cd98f00b204e9800998ecf8427e", IOC_MD5 },
		{ "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", IOC_SHA1 },
		{ "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", IOC_SHA256 },
		{ "https://user@Example.COM:8443/Path?Q#f", IOC_URL },
		{ "http://[2001:db8::1]:80/x", IOC_URL },
		{ "http://192.0.2.1/x", IOC_URL },
		{ "http://localhost/x", IOC_URL },
		{ "Billing@Invoice-Portal.Example", IOC_EMAIL },
		{ "Invoice-Portal.Example.", IOC_DOMAIN },
		{ "invoice.pdf.exe", IOC_DOMAIN },
		{ "xn--80ak6aa92e.xn--p1ai", IOC_DOMAIN },
		/* No type: */
		{ "300.1.1.1", -1 },
		{ "1.2.3", -1 },
		{ "10.0.0.1a", -1 },
		{ "64496", -1 },
		{ "payload", -1 },
		{ "evil[.]example", -1 },
		{ "invoice 2024.pdf", -1 },
		{ "http://300.1.1.1/x", -1 },
		{ "http://evil[.]example/x", -1 },
		{ "http://evil.example:http/x", -1 },
		{ "http://[2001:db8::1/x", -1 },
		{ "alice@localhost", -1 },
		{ "alice@300.1.1.1", -1 },
		{ "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (ioc_infer(cases[i].in, strlen(cases[i].in)) != cases[i].t)
			fail_msg("'%s' inferred %d, not %d", cases[i].in,
			    ioc_infer(cases[i].in, strlen(cases[i].in)), cases[i].t);
}

static void
test_refang(void **state)
{
	(void)state;
	s_reads("hxxp://evil[.]example/x", IOC_URL, "http://evil.example/x");
	s_reads("HXXPS://Evil(.)Example/A", IOC_URL, "https://evil.example/A");
	s_reads("hxxp[:]//evil[.]example/x", IOC_URL, "http://evil.example/x");
	s_reads("evil[.]example", IOC_DOMAIN, "evil.example");
	s_reads("evil(.)example", IOC_DOMAIN, "evil.example");
	s_reads("192[.]0[.]2[.]1", IOC_IPV4, "192.0.2.1");
	s_reads("2001[:]db8[:][:]1", IOC_IPV6, "2001:db8::1");
	s_reads("alice[@]evil[.]example", IOC_EMAIL, "alice@evil.example");
	/* With a type, the same. */
	s_reads("url:hxxp://evil[.]example/x", IOC_URL, "http://evil.example/x");
	s_reads("DOMAIN:evil[.]example", IOC_DOMAIN, "evil.example");
	s_reads("email:alice[@]evil[.]example", IOC_EMAIL, "alice@evil.example");
	/* A file name is kept as written. */
	s_reads("filename:evil[.]example", IOC_FILENAME, "evil[.]example");
	/* hxxp is a scheme only before "://". */
	s_reads("hxxp.example", IOC_DOMAIN, "hxxp.example");
	/* One pass: what undoing one form leaves is not undone again. */
	s_reads("http://evil.example/[[.]]", IOC_URL, "http://evil.example/[.]");
}

static void
test_typed(void **state)
{
	(void)state;
	s_reads("ipv4:198.51.100.23", IOC_IPV4, "198.51.100.23");
	s_reads("SHA256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
	    IOC_SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	s_reads("ja3:D41D8CD98F00B204E9800998ECF8427E", IOC_JA3,
	    "d41d8cd98f00b204e9800998ecf8427e");
	s_reads("asn:64496", IOC_ASN, "AS64496");
	s_reads("filename:invoice.pdf.exe", IOC_FILENAME, "invoice.pdf.exe");
	s_reads("filename:hash:abc", IOC_FILENAME, "hash:abc");
	/* Colons that are no type: IPv6 (hex), a URL's scheme. */
	s_reads("fe80::1", IOC_IPV6, "fe80::1");
	s_reads("https://evil.example/x", IOC_URL, "https://evil.example/x");
}

static void
test_errors(void **state)
{
	struct ioc_value v;
	char err[512], big[4000];

	(void)state;
	s_refuses("300.1.1.1",
	    "'300.1.1.1' is not a valid indicator of any type (write TYPE:VALUE)");
	s_refuses("ipv4:300.1.1.1", "'300.1.1.1' is not a valid ipv4");
	s_refuses("hxxp://evil[dot]example/x",
	    "'hxxp://evil[dot]example/x' is not a valid indicator of any type (write TYPE:VALUE)");
	s_refuses("bad value!/x",
	    "'bad value!/x' is not a valid indicator of any type (write TYPE:VALUE)");
	s_refuses("filename:bad value!/x", "'bad value!/x' is not a valid filename");
	s_refuses("domain:evil[dot]example", "'evil[dot]example' is not a valid domain");
	s_refuses("hash:abc", "unknown type 'hash' (a file name with a colon: filename:hash:abc)");
	s_refuses("", "'' is not a valid indicator of any type (write TYPE:VALUE)");
	s_refuses("ipv4:", "'' is not a valid ipv4");
	assert_int_equal(ioc_parse("hash", 4, "abc", 3, &v, err, sizeof err), -1);
	assert_string_equal(err, "unknown type 'hash'");
	/* An error line shows at most 200 bytes of the value. */
	memset(big, 'a', sizeof big);
	assert_int_equal(ioc_parse("domain", 6, big, sizeof big, &v, err, sizeof err), -1);
	assert_int_equal(strlen(err), 2 + 200 + strlen(" is not a valid domain"));
	/* A value longer than IOC_MAX_VALUE that fits once refanged is read. */
	memcpy(big, "hxxp://a.example/", 17);
	for (size_t i = 0; i < 1000; i++)
		memcpy(big + 17 + 3 * i, "[.]", 3);
	assert_int_equal(ioc_parse(NULL, 0, big, 17 + 3000, &v, err, sizeof err), 0);
	assert_int_equal(v.type, IOC_URL);
	assert_int_equal(v.len, 1017);
	assert_memory_equal(v.value, "http://a.example/...", 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_infer),
		cmocka_unit_test(test_refang),
		cmocka_unit_test(test_typed),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
