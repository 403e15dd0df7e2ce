/* draft: composing a message from text; every limit's error names the
 * field and the limit; draft_check() names what no field tells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "draft.h"
#include "msg.h"

#define LEAD "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
#define REF  "abababababababababababababababababababababababababababababababab"

/* n bytes of c, NUL-terminated; the caller frees. */
static char *
s_fill(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* draft_set() fails with exactly want. */
static void
s_set_err(struct draft *d, const char *field, const char *value, const char *want)
{
	char err[512] = "";
	assert_int_equal(draft_set(d, field, value, err, sizeof err), -1);
	assert_string_equal(err, want);
}

static void
s_set(struct draft *d, const char *field, const char *value)
{
	char err[512] = "";
	if (draft_set(d, field, value, err, sizeof err) != 0)
		fail_msg("%s=%s: %s", field, value, err);
}

static void
s_check_err(struct draft *d, const char *want)
{
	char err[512] = "";
	assert_int_equal(draft_check(d, err, sizeof err), -1);
	assert_string_equal(err, want);
}

static void
s_check_ok(struct draft *d)
{
	char err[512] = "";
	if (draft_check(d, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static void
test_text_limits(void **state)
{
	(void)state;
	struct draft *d = draft_new();
	char *big;

	big = s_fill('x', 300);
	s_set_err(d, "title", big, "title is 300 bytes; at most 256");
	free(big);
	big = s_fill('x', 256);
	s_set(d, "title", big);
	free(big);
	s_set_err(d, "title", "two\nlines",
	    "title: not one line of UTF-8 text, or holds control characters");
	big = s_fill('x', MSG_MAX_SUMMARY + 1);
	s_set_err(d, "summary", big, "summary is 16385 bytes; at most 16384");
	free(big);
	s_set(d, "summary", "two\nlines\tand a tab");
	s_set_err(d, "summary", "a\x01",
	    "summary: not UTF-8 text, or holds control characters other than line feed and tab");
	big = s_fill('x', MSG_MAX_SCOPE + 1);
	s_set_err(d, "scope", big, "scope is 4097 bytes; at most 4096");
	free(big);
	big = s_fill('x', MSG_MAX_NOTE + 1);
	s_set_err(d, "note", big, "note is 4097 bytes; at most 4096");
	s_set_err(d, "text", big, "text is 4097 bytes; at most 4096");
	free(big);
	big = s_fill('x', MSG_MAX_ACTION + 1);
	s_set_err(d, "action", big, "action is 1025 bytes; at most 1024");
	free(big);
	s_set_err(d, "action", "", "action: empty (1 to 1024 bytes)");
	s_set_err(d, "text", "\xc0\xaf",
	    "text: not UTF-8 text, or holds control characters other than line feed and tab");
	big = s_fill('a', MSG_MAX_TOKEN + 1);
	s_set_err(d, "type", big, "type is 65 bytes; at most 64");
	s_set_err(d, "sector", big, "sector is 65 bytes; at most 64");
	free(big);
	s_set_err(d, "type", "Phishing",
	    "type: 'Phishing' is not a token (1 to 64 of a-z, 0-9 and -, e.g. phishing)");
	s_set_err(d, "attack", "T15",
	    "attack: 'T15' is not an ATT&CK technique id (T1234 or "
	    "T1234.001)");
	s_set_err(d, "attack", "T1566-002",
	    "attack: 'T1566-002' is not an ATT&CK technique id "
	    "(T1234 or T1234.001)");
	s_set(d, "attack", "t1566.002");
	assert_memory_equal(draft_msg(d)->body.attack[0].p, "T1566.002", 9);
	s_set_err(d, "lead", "soc-b", "lead: 'soc-b' is not a node id (64 hex digits)");
	s_set_err(d, "name", "a b",
	    "name: 'a b' is not a name (1 to 63 of A-Z, a-z, 0-9, '.', '_' and '-')");
	draft_destroy(&d);
}

static void
test_count_limits(void **state)
{
	(void)state;
	struct draft *d = draft_new();
	uint8_t key[MSG_KEY_LEN] = { 0 };
	char v[64], err[512];

	for (int i = 0; i < MSG_MAX_SECTORS; i++) {
		snprintf(v, sizeof v, "s%d", i);
		s_set(d, "sector", v);
	}
	s_set(d, "sector", "s0"); /* a set: a repeat is no more */
	s_set_err(d, "sector", "one-more", "sectors: at most 32 in a message");
	for (int i = 0; i < MSG_MAX_ACTIONS; i++)
		s_set(d, "action", "a");
	s_set_err(d, "action", "a", "actions: at most 32 in a message");
	for (int i = 0; i < MSG_MAX_ATTACK; i++) {
		snprintf(v, sizeof v, "T%04d", i);
		s_set(d, "attack", v);
	}
	s_set_err(d, "attack", "T9999", "attack: at most 64 in a message");
	for (int i = 0; i < MSG_MAX_INDICATORS; i++) {
		snprintf(v, sizeof v, "ipv4:10.0.%d.%d", i / 256, i % 256);
		s_set(d, "indicator", v);
	}
	s_set_err(d, "indicator", "ipv4:10.9.9.9", "indicators: at most 1000 in a message");
	for (int i = 0; i < MSG_MAX_RECIPIENTS; i++) {
		key[0] = (uint8_t)i;
		assert_int_equal(draft_add_recipient(d, key, err, sizeof err), 0);
	}
	key[0] = 0;
	assert_int_equal(draft_add_recipient(d, key, err, sizeof err), -1);
	assert_string_equal(err, "recipients: 000000000000 named twice");
	key[0] = 0xff;
	assert_int_equal(draft_add_recipient(d, key, err, sizeof err), -1);
	assert_string_equal(err, "recipients: at most 64 in a message");
	draft_destroy(&d);
}

static void
test_check(void **state)
{
	(void)state;
	struct draft *d = draft_new();
	uint8_t key[MSG_KEY_LEN] = { 9 };
	char err[512];

	/* An incident: title, category, severity; status open unless set. */
	s_check_err(d, "title is required for an incident (1 to 256 bytes)");
	s_set(d, "title", "t");
	s_check_err(d, "category is required for an incident");
	s_set(d, "category", "test");
	s_check_err(d, "severity is required for an incident");
	s_set(d, "severity", "low");
	s_check_ok(d);
	assert_int_equal(draft_msg(d)->body.status, MSG_STATUS_OPEN);
	s_set(d, "lead", LEAD);
	s_check_err(d, "lead: only an update names a lead (this is kind incident)");
	draft_destroy(&d);

	/* Recipients against the TLP. */
	d = draft_new();
	s_set(d, "title", "t"), s_set(d, "category", "test"), s_set(d, "severity", "low");
	assert_int_equal(draft_add_recipient(d, key, err, sizeof err), 0);
	s_check_err(d,
	    "recipients: tlp green names no recipients (only amber, amber+strict and red do)");
	s_set(d, "tlp", "red");
	s_check_ok(d);
	draft_destroy(&d);
	d = draft_new();
	s_set(d, "tlp", "amber+strict");
	s_check_err(d, "recipients: tlp amber+strict needs at least one (--to NAME)");
	draft_destroy(&d);

	/* A partial update: no title, no status of its own. */
	d = draft_new();
	s_set(d, "kind", "update");
	assert_int_equal(draft_msg(d)->body.status, -1);
	s_check_err(d,
	    "an update carries at least one field that changes (title, summary, "
	    "category, type, severity, impact, status, sectors, scope, indicators, "
	    "attack, actions, detection, effects, response, lessons, expires or lead)");
	s_set(d, "status", "contained");
	s_check_err(d, "ref is required for kind update (the id of the message it refers to)");
	s_set(d, "ref", REF);
	s_check_ok(d);
	s_set(d, "lead", LEAD);
	s_set(d, "kind", "update"); /* a status set stays set */
	assert_int_equal(draft_msg(d)->body.status, MSG_STATUS_CONTAINED);
	s_check_ok(d);
	assert_true(draft_msg(d)->body.has_lead);
	assert_int_equal(draft_msg(d)->body.lead[0], 0x81);
	draft_destroy(&d);

	/* A comment: text, ref. */
	d = draft_new();
	s_set(d, "kind", "comment");
	s_set(d, "ref", REF);
	s_check_err(d, "text is required for a comment (1 to 4096 bytes)");
	s_set(d, "text", "we see it too");
	s_check_ok(d);
	s_set(d, "kind", "sighting");
	s_check_err(d, "text: only a comment has text (a sighting or a retraction has a note)");
	draft_destroy(&d);
	d = draft_new();
	s_set(d, "kind", "retract");
	s_check_err(d, "ref is required for kind retract (the id of the message it withdraws)");
	draft_destroy(&d);
}

/* What a draft passes, the encoder takes. */
static void
test_encodes(void **state)
{
	(void)state;
	static const char *const json[] = {
		"{\"kind\":\"update\",\"tlp\":\"green\",\"ref\":\"" REF
		"\",\"status\":\"resolved\"}",
		"{\"kind\":\"update\",\"tlp\":\"clear\",\"ref\":\"" REF "\",\"lead\":\"" LEAD "\"}",
		"{\"kind\":\"comment\",\"tlp\":\"green\",\"ref\":\"" REF "\",\"text\":\"a\\nb\","
		"\"indicators\":[\"ipv4:192.0.2.1\"]}",
		/* a query --json line fed back: its output fields ignored */
		"{\"kind\":\"update\",\"tlp\":\"green\",\"ref\":\"" REF "\",\"lessons\":\"a\","
		"\"retracted\":false,\"revoked\":false,\"expired\":true,\"cursor\":7,"
		"\"received\":\"2026-12-02T00:00:00.000Z\"}",
	};
	uint8_t pk[32], sk[64], seed[32] = { 1 }, *out;
	struct msg *dec = msg_new();
	char err[512];
	size_t len;

	crypto_sign_seed_keypair(pk, sk, seed);
	for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
		json_t *o = json_loads(json[i], 0, NULL);
		struct draft *d = draft_new();
		assert_non_null(o);
		if (draft_from_json(d, o, NULL, NULL, err, sizeof err) != 0 ||
		    draft_check(d, err, sizeof err) != 0)
			fail_msg("%s: %s", json[i], err);
		memcpy(draft_msg(d)->origin, pk, 32);
		assert_int_equal(msg_encode(draft_msg(d), sk, NULL, NULL, &out, &len), MSG_OK);
		assert_int_equal(msg_decode(dec, out, len, 0), MSG_OK);
		if (i == 2)
			assert_int_equal(dec->body.text.n, 3);
		else
			assert_int_equal(msg_case_fields(&dec->body), 1);
		free(out);
		draft_destroy(&d);
		json_decref(o);
	}
	msg_destroy(&dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_encodes),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
