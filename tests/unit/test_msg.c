/* msg: the codec — round trips, sealing, and every rejection path. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "msg.h"

struct node {
	uint8_t pk[32], sk[64], cpk[32], csk[32];
};

static void
s_node(struct node *n, uint8_t seedbyte)
{
	uint8_t seed[32];
	memset(seed, seedbyte, sizeof seed);
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(n->cpk, n->pk), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(n->csk, n->sk), 0);
}

static struct msg_str
S(const char *s) {
	return (struct msg_str){ s, strlen(s) };
}

static void
s_incident(struct msg *m, const struct node *o, enum msg_tlp tlp)
{
	msg_clear(m);
	memcpy(m->origin, o->pk, 32);
	m->seq = 7;
	m->time = 1767225600000ULL;
	m->tlp = tlp;
	m->kind = MSG_KIND_INCIDENT;
	m->body.title = S("Phishing wave against energy suppliers");
	m->body.summary = S("Credential phishing\nwith fake invoices.");
	m->body.category = MSG_CAT_FRAUD;
	m->body.type = S("phishing");
	m->body.severity = MSG_SEV_HIGH;
	m->body.status = MSG_STATUS_OPEN;
	m->body.sectors[0] = S("energy");
	m->body.nsectors = 1;
	m->body.indicators[0] = (struct msg_ioc){ IOC_DOMAIN, S("invoice-portal.example") };
	m->body.indicators[1] = (struct msg_ioc){ IOC_IPV4, S("198.51.100.23") };
	m->body.nindicators = 2;
	m->body.attack[0] = S("T1566.002");
	m->body.nattack = 1;
}

static void
test_roundtrip_green(void **state)
{
	(void)state;
	struct node a;
	struct msg *m = msg_new(), *d = msg_new();
	uint8_t *out;
	size_t len;

	s_node(&a, 1);
	s_incident(m, &a, MSG_TLP_GREEN);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_memory_equal(d->id, m->id, 32);
	assert_true(d->has_body);
	assert_int_equal(d->body.nindicators, 2);
	/* sorted by type name: domain before ipv4 */
	assert_int_equal(d->body.indicators[0].type, IOC_DOMAIN);
	assert_int_equal(d->body.severity, MSG_SEV_HIGH);
	assert_int_equal(d->body.impact, -1);
	assert_int_equal(d->seq, 7);

	/* Flip every byte in turn: never accepted as the same message. */
	for (size_t i = 0; i < len; i++) {
		out[i] ^= 0x01;
		int err = msg_decode(d, out, len, 0);
		if (err == MSG_OK)
			assert_int_equal(msg_verify(d), MSG_E_SIG);
		out[i] ^= 0x01;
	}
	/* Truncation at every length. */
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(msg_decode(d, out, i, 0), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, len - 1), MSG_E_TOOBIG);
	free(out);
	msg_destroy(&m);
	msg_destroy(&d);
	assert_null(m);
	msg_destroy(&m);
}

static void
test_sealed(void **state)
{
	(void)state;
	struct node a, b, c, x;
	struct msg *m = msg_new(), *d = msg_new();
	uint8_t *out, *plain;
	size_t len, plen;

	s_node(&a, 1), s_node(&b, 2), s_node(&c, 3), s_node(&x, 4);
	s_incident(m, &a, MSG_TLP_AMBER);
	memcpy(m->to[0], c.pk, 32);
	memcpy(m->to[1], b.pk, 32);
	m->nto = 2;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_false(d->has_body);
	assert_true(msg_is_recipient(d, b.pk));
	assert_false(msg_is_recipient(d, x.pk));
	/* the plaintext title is nowhere in the bytes */
	assert_null(memmem(out, len, "Phishing", 8));

	const struct node *can[] = { &a, &b, &c };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
		assert_int_equal(msg_open(d, can[i]->pk, can[i]->cpk, can[i]->csk, &plain, &plen),
		    MSG_OK);
		assert_true(d->has_body);
		assert_int_equal(d->body.title.n, strlen("Phishing wave against energy suppliers"));
		assert_memory_equal(d->body.title.p, "Phishing", 8);
		free(plain);
	}
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_open(d, x.pk, x.cpk, x.csk, &plain, &plen), MSG_E_NOT_RECIPIENT);
	/* a recipient's id with another node's X25519 key cannot open it */
	assert_int_equal(msg_open(d, b.pk, x.cpk, x.csk, &plain, &plen), MSG_E_DECRYPT);
	assert_null(plain);
	free(out);
	msg_destroy(&m);
	msg_destroy(&d);
}

static void
test_encode_rejects(void **state)
{
	(void)state;
	struct node a, b;
	struct msg *m = msg_new();
	uint8_t *out;
	size_t len;

	s_node(&a, 1), s_node(&b, 2);
	s_incident(m, &a, MSG_TLP_AMBER);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_RECIPIENTS);
	s_incident(m, &a, MSG_TLP_GREEN);
	memcpy(m->to[0], b.pk, 32), m->nto = 1;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_RECIPIENTS);
	s_incident(m, &a, MSG_TLP_GREEN);
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_INVAL);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.indicators[1].value = S("198.51.100.023");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_INDICATOR);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.indicators[1] = m->body.indicators[0];
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_INDICATORS);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.title = S("two\nlines");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_UTF8);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.title = S("\xc0\xaf");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_UTF8);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.attack[0] = S("t1566");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_TOKEN);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->kind = MSG_KIND_UPDATE;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_REF);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.title = S("");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_FIELD);
	assert_null(out);
	msg_destroy(&m);
}

/* Hand-made inputs: declared counts far beyond the bytes, other types,
 * non-canonical forms. */
static void
test_decode_hostile(void **state)
{
	(void)state;
	struct msg *d = msg_new();
	static const uint8_t huge_array[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00 };
	static const uint8_t huge_map[] = { 0x92, 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 'v' };
	static const uint8_t huge_str[] = { 0x92, 0x81, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'v' };
	static const uint8_t nil[] = { 0xc0 };
	static const uint8_t float64[] = { 0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t neg[] = { 0x92, 0x81, 0xa1, 'v', 0xff };
	static const uint8_t arr3[] = { 0x93, 0x80, 0x80, 0x80 };

	assert_int_equal(msg_decode(d, huge_array, sizeof huge_array, 0), MSG_E_TRUNCATED);
	assert_int_equal(msg_decode(d, huge_map, sizeof huge_map, 0), MSG_E_TRUNCATED);
	assert_int_equal(msg_decode(d, huge_str, sizeof huge_str, 0), MSG_E_TRUNCATED);
	assert_int_equal(msg_decode(d, nil, sizeof nil, 0), MSG_E_TYPE);
	assert_int_equal(msg_decode(d, float64, sizeof float64, 0), MSG_E_TYPE);
	assert_int_equal(msg_decode(d, neg, sizeof neg, 0), MSG_E_TYPE);
	assert_int_equal(msg_decode(d, arr3, sizeof arr3, 0), MSG_E_FIELD);
	assert_int_equal(msg_decode(d, nil, 0, 0), MSG_E_TRUNCATED);
	msg_destroy(&d);
}

/* A valid message re-framed with a longer integer form must not decode:
 * otherwise one content would have two ids. */
static void
test_noncanonical(void **state)
{
	(void)state;
	struct node a;
	struct msg *m = msg_new(), *d = msg_new();
	uint8_t *out, *alt;
	size_t len;

	s_node(&a, 1);
	s_incident(m, &a, MSG_TLP_CLEAR);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	/* "seq" is followed by positive fixint 7: rewrite as uint8 0xcc 0x07 */
	uint8_t *pos = memmem(out, len, "\xa3seq\x07", 5);
	assert_non_null(pos);
	alt = malloc(len + 1);
	size_t off = (size_t)(pos - out) + 4;
	memcpy(alt, out, off);
	alt[off] = 0xcc;
	memcpy(alt + off + 1, out + off, len - off);
	assert_int_equal(msg_decode(d, alt, len + 1, 0), MSG_E_NONCANONICAL);
	/* trailing byte */
	memcpy(alt, out, len);
	alt[len] = 0;
	assert_int_equal(msg_decode(d, alt, len + 1, 0), MSG_E_NONCANONICAL);
	free(alt);
	free(out);
	msg_destroy(&m);
	msg_destroy(&d);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(msg_tlp_parse("amber+strict", 12), MSG_TLP_AMBER_STRICT);
	assert_int_equal(msg_tlp_parse("amber", 5), MSG_TLP_AMBER);
	assert_int_equal(msg_tlp_parse("ambe", 4), -1);
	assert_string_equal(msg_category_name(MSG_CAT_INFORMATION_CONTENT_SECURITY),
	    "information-content-security");
	assert_int_equal(msg_category_parse("test", 4), MSG_CAT_TEST);
	assert_string_equal(msg_severity_name(MSG_SEV_VERY_HIGH), "very-high");
	assert_string_equal(msg_strerror(MSG_E_SIG), "signature does not verify");
	assert_string_equal(msg_errname(MSG_E_TOOBIG), "too-big");
	assert_string_equal(msg_strerror(-999), "unknown error");
	for (int e = 0; e >= MSG_E_LAST; e--)
		assert_non_null(msg_strerror(e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_green),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_names),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
