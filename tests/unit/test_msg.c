/* msg: the codec — round trips, sealing, and every rejection path. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <msgpack.h>
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

/* An update that carries only what changes: a status, a lead. */
static void
test_partial_update(void **state)
{
	(void)state;
	struct node a, b;
	struct msg *m = msg_new(), *d = msg_new();
	uint8_t *out;
	size_t len;

	s_node(&a, 1), s_node(&b, 2);
	msg_clear(m);
	memcpy(m->origin, a.pk, 32);
	m->seq = 8, m->time = 1767225700000ULL, m->tlp = MSG_TLP_GREEN;
	m->kind = MSG_KIND_UPDATE;
	m->has_ref = true;
	memset(m->ref, 0x11, 32);
	m->body.status = MSG_STATUS_CONTAINED;
	assert_int_equal(msg_case_fields(&m->body), 1);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_int_equal(d->body.status, MSG_STATUS_CONTAINED);
	assert_int_equal(d->body.category, -1);
	assert_int_equal(d->body.severity, -1);
	assert_int_equal(d->body.impact, -1);
	assert_int_equal(d->body.title.n, 0);
	assert_false(d->body.has_lead);
	/* {"status": "contained"}: one key, nothing else */
	assert_non_null(memmem(out, len, "\xa4\x62ody\x81\xa6status\xa9\x63ontained", 23));
	free(out);

	/* A lead, sealed this time. */
	m->body.has_lead = true;
	memcpy(m->body.lead, b.pk, 32);
	m->tlp = MSG_TLP_AMBER;
	memcpy(m->to[0], b.pk, 32), m->nto = 1;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	{
		uint8_t *plain;
		size_t plen;
		assert_int_equal(msg_open(d, b.pk, b.cpk, b.csk, &plain, &plen), MSG_OK);
		assert_true(d->body.has_lead);
		assert_memory_equal(d->body.lead, b.pk, 32);
		assert_int_equal(d->body.status, MSG_STATUS_CONTAINED);
		free(plain);
	}
	free(out);

	/* Nothing to change: refused. */
	m->tlp = MSG_TLP_GREEN, m->nto = 0;
	m->body.has_lead = false;
	m->body.status = -1;
	assert_int_equal(msg_case_fields(&m->body), 0);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_FIELD);
	/* An incident names no lead, and has its four fields. */
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.has_lead = true;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_FIELD);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.status = -1;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_FIELD);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.category = -1;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_FIELD);
	s_incident(m, &a, MSG_TLP_GREEN);
	m->body.severity = MSG_SEV_COUNT;
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_SEVERITY);
	assert_null(out);
	msg_destroy(&m);
	msg_destroy(&d);
}

/* What a case taught: four texts of an incident or an update, in their
 * place between actions and expires, each up to MSG_MAX_SUMMARY bytes. */
static void
test_lessons(void **state)
{
	(void)state;
	struct node a;
	struct msg *m = msg_new(), *d = msg_new();
	static char big[MSG_MAX_SUMMARY + 1];
	uint8_t *out;
	size_t len;

	s_node(&a, 1);
	s_incident(m, &a, MSG_TLP_GREEN);
	assert_false(msg_has_lessons(&m->body));
	m->body.detection = S("Two customers called.");
	m->body.effects = S("Nine passwords\n\tentered.");
	m->body.response = S("Domain blocked.");
	m->body.lessons = S("Quarantine young domains.");
	m->body.expires = 1769904000000ULL;
	assert_true(msg_has_lessons(&m->body));
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_int_equal(d->body.detection.n, strlen("Two customers called."));
	assert_memory_equal(d->body.effects.p, "Nine passwords\n\tentered.", d->body.effects.n);
	assert_memory_equal(d->body.response.p, "Domain blocked.", d->body.response.n);
	assert_memory_equal(d->body.lessons.p, "Quarantine young domains.", d->body.lessons.n);
	/* the one order: actions' place, then the four, then expires */
	assert_non_null(memmem(out, len,
	    "\xa9\x64\x65tection\xb5Two customers called.\xa7\x65\x66\x66\x65\x63ts", 33));
	assert_non_null(
	    memmem(out, len, "\xa7lessons\xb9Quarantine young domains.\xa7\x65xpires", 42));
	/* the expiry rule */
	assert_false(msg_expired(d, 1769903999999ULL));
	assert_true(msg_expired(d, 1769904000000ULL));
	d->has_body = false;
	assert_false(msg_expired(d, 1769904000000ULL));
	free(out);

	/* An update of lessons alone is one field. */
	msg_clear(m);
	memcpy(m->origin, a.pk, 32);
	m->seq = 9, m->time = 1767225800000ULL, m->tlp = MSG_TLP_GREEN;
	m->kind = MSG_KIND_UPDATE;
	m->has_ref = true;
	memset(m->ref, 0x11, 32);
	m->body.lessons = S("Patch sooner.");
	assert_int_equal(msg_case_fields(&m->body), 1);
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(d->body.lessons.n, strlen("Patch sooner."));
	assert_int_equal(d->body.detection.n, 0);
	free(out);

	/* The limit, and text that is not. */
	memset(big, 'x', sizeof big);
	m->body.detection = (struct msg_str){ big, MSG_MAX_SUMMARY };
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_OK);
	free(out);
	m->body.detection = (struct msg_str){ big, MSG_MAX_SUMMARY + 1 };
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_LENGTH);
	m->body.detection = S("a\x07");
	assert_int_equal(msg_encode(m, a.sk, NULL, NULL, &out, &len), MSG_E_UTF8);
	msg_destroy(&m);
	msg_destroy(&d);
}

static void
test_comment(void **state)
{
	(void)state;
	struct node a, b, c;
	struct msg *m = msg_new(), *d = msg_new();
	char big[MSG_MAX_NOTE + 1];
	uint8_t *out, *plain;
	size_t len, plen;

	s_node(&a, 1), s_node(&b, 2), s_node(&c, 3);
	msg_clear(m);
	memcpy(m->origin, b.pk, 32);
	m->seq = 3, m->time = 1767225800000ULL, m->tlp = MSG_TLP_GREEN;
	m->kind = MSG_KIND_COMMENT;
	m->has_ref = true;
	memset(m->ref, 0x22, 32);
	m->body.text = S("We see the same loader.\nBlocking it now.");
	m->body.indicators[0] = (struct msg_ioc){ IOC_IPV4, S("198.51.100.23") };
	m->body.indicators[1] = (struct msg_ioc){ IOC_DOMAIN, S("invoice-portal.example") };
	m->body.nindicators = 2;
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_int_equal(msg_verify(d), MSG_OK);
	assert_int_equal(d->kind, MSG_KIND_COMMENT);
	assert_int_equal(d->body.text.n, m->body.text.n);
	assert_int_equal(d->body.nindicators, 2);
	assert_int_equal(d->body.indicators[0].type, IOC_DOMAIN);
	free(out);

	/* Addressed: sealed as any body. */
	m->tlp = MSG_TLP_AMBER;
	memcpy(m->to[0], a.pk, 32), memcpy(m->to[1], c.pk, 32), m->nto = 2;
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_OK);
	assert_null(memmem(out, len, "loader", 6));
	assert_int_equal(msg_decode(d, out, len, 0), MSG_OK);
	assert_false(d->has_body);
	assert_int_equal(msg_open(d, c.pk, c.cpk, c.csk, &plain, &plen), MSG_OK);
	assert_memory_equal(d->body.text.p, "We see", 6);
	free(plain);
	free(out);

	/* The rules of its body and envelope. */
	m->tlp = MSG_TLP_GREEN, m->nto = 0;
	m->has_ref = false;
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_REF);
	m->has_ref = true;
	m->body.text = S("");
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_LENGTH);
	memset(big, 'x', sizeof big);
	m->body.text = (struct msg_str){ big, MSG_MAX_NOTE + 1 };
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_LENGTH);
	m->body.text = (struct msg_str){ big, MSG_MAX_NOTE };
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_OK);
	free(out);
	m->body.text = S("a\x01b");
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_UTF8);
	m->body.text = S("ok");
	m->body.indicators[1] = m->body.indicators[0];
	assert_int_equal(msg_encode(m, b.sk, NULL, NULL, &out, &len), MSG_E_INDICATORS);
	assert_int_equal(msg_kind_parse("comment", 7), MSG_KIND_COMMENT);
	msg_destroy(&m);
	msg_destroy(&d);
}

/* Bytes in clear of kind `kind` whose body is the map that `body` packs:
 * what the decoder says of them (the signature is not its business). */
static int
s_raw(const char *kind, bool ref, void (*body)(msgpack_packer *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct msg *d = msg_new();
	uint8_t zero[64] = { 0 };
	int err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_map(&pk, 7 + ref);
#define KEY(k) msgpack_pack_str(&pk, strlen(k)), msgpack_pack_str_body(&pk, k, strlen(k))
	KEY("v"), msgpack_pack_uint64(&pk, 1);
	KEY("origin"), msgpack_pack_bin(&pk, 32), msgpack_pack_bin_body(&pk, zero, 32);
	KEY("seq"), msgpack_pack_uint64(&pk, 1);
	KEY("time"), msgpack_pack_uint64(&pk, 1767225600000ULL);
	KEY("tlp"), KEY("green");
	KEY("kind"), KEY(kind);
	if (ref)
		KEY("ref"), msgpack_pack_bin(&pk, 32), msgpack_pack_bin_body(&pk, zero, 32);
	KEY("body");
	body(&pk);
	msgpack_pack_bin(&pk, 64), msgpack_pack_bin_body(&pk, zero, 64);
#undef KEY
	err = msg_decode(d, (const uint8_t *)sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	msg_destroy(&d);
	return err;
}

static void
s_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void
b_empty(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static void
b_status(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	s_str(pk, "status"), s_str(pk, "resolved");
}

static void
b_lead_status(msgpack_packer *pk) /* lead before status: misplaced */
{
	uint8_t k[32] = { 7 };
	msgpack_pack_map(pk, 2);
	s_str(pk, "lead"), msgpack_pack_bin(pk, 32), msgpack_pack_bin_body(pk, k, 32);
	s_str(pk, "status"), s_str(pk, "resolved");
}

static void
b_status_lead(msgpack_packer *pk)
{
	uint8_t k[32] = { 7 };
	msgpack_pack_map(pk, 2);
	s_str(pk, "status"), s_str(pk, "resolved");
	s_str(pk, "lead"), msgpack_pack_bin(pk, 32), msgpack_pack_bin_body(pk, k, 32);
}

static void
b_short_lead(msgpack_packer *pk)
{
	uint8_t k[31] = { 7 };
	msgpack_pack_map(pk, 1);
	s_str(pk, "lead"), msgpack_pack_bin(pk, 31), msgpack_pack_bin_body(pk, k, 31);
}

static void
b_incident_lead(msgpack_packer *pk)
{
	uint8_t k[32] = { 7 };
	msgpack_pack_map(pk, 5);
	s_str(pk, "title"), s_str(pk, "t");
	s_str(pk, "category"), s_str(pk, "test");
	s_str(pk, "severity"), s_str(pk, "low");
	s_str(pk, "status"), s_str(pk, "open");
	s_str(pk, "lead"), msgpack_pack_bin(pk, 32), msgpack_pack_bin_body(pk, k, 32);
}

static void
b_text(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	s_str(pk, "text"), s_str(pk, "hello");
}

static void
b_text_empty(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	s_str(pk, "text"), s_str(pk, "");
}

static void
b_note(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	s_str(pk, "note"), s_str(pk, "hello");
}

static void
b_indicators_text(msgpack_packer *pk) /* misplaced */
{
	msgpack_pack_map(pk, 2);
	s_str(pk, "indicators"), msgpack_pack_array(pk, 1), msgpack_pack_array(pk, 2);
	s_str(pk, "ipv4"), s_str(pk, "192.0.2.1");
	s_str(pk, "text"), s_str(pk, "hello");
}

static void
b_text_indicators_empty(msgpack_packer *pk) /* present but empty */
{
	msgpack_pack_map(pk, 2);
	s_str(pk, "text"), s_str(pk, "hello");
	s_str(pk, "indicators"), msgpack_pack_array(pk, 0);
}

static void
b_lessons_detection(msgpack_packer *pk) /* misplaced */
{
	msgpack_pack_map(pk, 2);
	s_str(pk, "lessons"), s_str(pk, "l");
	s_str(pk, "detection"), s_str(pk, "d");
}

static void
b_response_empty(msgpack_packer *pk) /* present but empty */
{
	msgpack_pack_map(pk, 2);
	s_str(pk, "status"), s_str(pk, "resolved");
	s_str(pk, "response"), s_str(pk, "");
}

static void
b_effects_lessons(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	s_str(pk, "effects"), s_str(pk, "e");
	s_str(pk, "lessons"), s_str(pk, "l");
}

static void
test_decode_case_kinds(void **state)
{
	(void)state;
	assert_int_equal(s_raw("update", true, b_status), MSG_OK);
	assert_int_equal(s_raw("update", true, b_status_lead), MSG_OK);
	assert_int_equal(s_raw("update", true, b_empty), MSG_E_FIELD);
	assert_int_equal(s_raw("update", true, b_lead_status), MSG_E_FIELD);
	assert_int_equal(s_raw("update", true, b_short_lead), MSG_E_LENGTH);
	assert_int_equal(s_raw("update", false, b_status), MSG_E_REF);
	assert_int_equal(s_raw("incident", false, b_status), MSG_E_FIELD);
	assert_int_equal(s_raw("incident", false, b_incident_lead), MSG_E_FIELD);
	assert_int_equal(s_raw("comment", true, b_text), MSG_OK);
	assert_int_equal(s_raw("comment", false, b_text), MSG_E_REF);
	assert_int_equal(s_raw("comment", true, b_empty), MSG_E_FIELD);
	assert_int_equal(s_raw("comment", true, b_note), MSG_E_FIELD);
	assert_int_equal(s_raw("comment", true, b_text_empty), MSG_E_LENGTH);
	assert_int_equal(s_raw("comment", true, b_indicators_text), MSG_E_FIELD);
	assert_int_equal(s_raw("comment", true, b_text_indicators_empty), MSG_E_NONCANONICAL);
	assert_int_equal(s_raw("sighting", true, b_text), MSG_E_FIELD);
	assert_int_equal(s_raw("update", true, b_effects_lessons), MSG_OK);
	assert_int_equal(s_raw("update", true, b_lessons_detection), MSG_E_FIELD);
	assert_int_equal(s_raw("update", true, b_response_empty), MSG_E_NONCANONICAL);
	assert_int_equal(s_raw("comment", true, b_effects_lessons), MSG_E_FIELD);
	assert_int_equal(s_raw("sighting", true, b_effects_lessons), MSG_E_FIELD);
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
		cmocka_unit_test(test_partial_update),
		cmocka_unit_test(test_lessons),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_decode_case_kinds),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_names),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
