/* index_related: the related-case keys of a body (registered domains by
 * the Public Suffix List, addresses, networks, techniques, category and
 * sector by day), and the key arithmetic of networks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index_related.h"

#define T0 1764633600000ULL /* 2025-12-02T00:00:00Z */

static struct msg_str
S(const char *s) {
	return (struct msg_str){ s, strlen(s) };
}

static void
s_ioc(struct msg *m, enum ioc_type t, const char *v)
{
	m->body.indicators[m->body.nindicators++] = (struct msg_ioc){ t, S(v) };
}

/* Whether k holds the key space || p (n bytes). */
static bool
s_has(const struct ks_keys *k, uint8_t space, const void *p, size_t n)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->e[i].len == n + 1 && (uint8_t)k->e[i].value[0] == space &&
		    memcmp(k->e[i].value + 1, p, n) == 0)
			return true;
	return false;
}

/* Whether k holds a key whose text (related_key_text()) is want. */
static bool
s_text(const struct ks_keys *k, const char *want)
{
	char t[300];

	for (size_t i = 0; i < k->n; i++)
		if (related_key_text((const uint8_t *)k->e[i].value, k->e[i].len, t, sizeof t) ==
		        0 &&
		    strcmp(t, want) == 0)
			return true;
	return false;
}

static struct msg *
s_msg(void)
{
	struct msg *m = msg_new();

	assert_non_null(m);
	msg_clear(m);
	m->time = T0 + 3600000;
	m->kind = MSG_KIND_INCIDENT;
	m->has_body = true;
	return m;
}

static void
s_keys(struct ks_keys *k, const struct msg *m)
{
	ks_clear(k);
	assert_int_equal(index_related_keys(k, m), 0);
	ks_finish(k);
}

static void
t_domains(void **state)
{
	struct ks_keys k = { 0 };
	struct msg *m = s_msg();

	(void)state;
	s_ioc(m, IOC_DOMAIN, "cdn.login.evil.co.uk");
	s_ioc(m, IOC_URL, "https://user@mail.bad-actor.com:8443/x/y?q=1");
	s_ioc(m, IOC_EMAIL, "ceo@payroll.example.org");
	s_ioc(m, IOC_DOMAIN, "co.uk"); /* a public suffix: no registered domain */
	s_ioc(m, IOC_DOMAIN, "foo.blogspot.com");
	s_keys(&k, m);
	assert_true(s_has(&k, KS_DOMAIN, "evil.co.uk", 10));
	assert_true(s_has(&k, KS_DOMAIN, "bad-actor.com", 13));
	assert_true(s_has(&k, KS_DOMAIN, "example.org", 11));
	/* blogspot.com is a suffix of the list's private part */
	assert_true(s_has(&k, KS_DOMAIN, "foo.blogspot.com", 16));
	assert_int_equal(k.n, 4);
	ks_free(&k);
	msg_destroy(&m);
}

static void
t_addresses(void **state)
{
	struct ks_keys k = { 0 };
	struct msg *m = s_msg();
	const uint8_t a4[4] = { 203, 0, 113, 7 };
	uint8_t net[18], lo[17], hi[17];

	(void)state;
	s_ioc(m, IOC_IPV4, "203.0.113.7");
	s_ioc(m, IOC_IPV6, "2001:db8::1");
	s_ioc(m, IOC_CIDR, "198.51.100.0/24");
	s_ioc(m, IOC_CIDR, "2001:db8:abcd::/48");
	s_ioc(m, IOC_URL, "http://192.0.2.10:8080/a");
	s_ioc(m, IOC_URL, "http://[2001:db8::2]/b");
	s_ioc(m, IOC_SHA256, "aa");
	s_keys(&k, m);
	assert_true(s_has(&k, KS_IP4, a4, 4));
	assert_true(s_text(&k, "2001:db8::1"));
	assert_true(s_text(&k, "198.51.100.0/24"));
	assert_true(s_text(&k, "2001:db8:abcd::/48"));
	assert_true(s_text(&k, "192.0.2.10"));
	assert_true(s_text(&k, "2001:db8::2"));
	assert_int_equal(k.n, 6);

	/* the network of an address at each prefix length, and back */
	assert_int_equal(related_net_key(net, false, a4, 24), 6);
	assert_int_equal(net[0], KS_NET4);
	assert_int_equal(net[1], 24);
	assert_int_equal(net[5], 0);
	assert_int_equal(related_net_range(net, 6, lo, hi), 5);
	assert_int_equal(lo[0], KS_IP4);
	assert_int_equal(lo[4], 0);
	assert_int_equal(hi[4], 255);
	assert_int_equal(hi[3], 113);
	assert_true(memcmp(lo, hi, 4) == 0);
	assert_int_equal(related_net_key(net, false, a4, 0), 6);
	assert_int_equal(related_net_range(net, 6, lo, hi), 5);
	assert_int_equal(lo[1], 0);
	assert_int_equal(hi[1], 255);
	assert_int_equal(related_net_range(lo, 5, lo, hi), 0); /* no network */
	ks_free(&k);
	msg_destroy(&m);
}

static void
t_attack_case(void **state)
{
	struct ks_keys k = { 0 }, k2 = { 0 };
	struct msg *m = s_msg();

	(void)state;
	m->body.attack[m->body.nattack++] = S("T1566.001");
	m->body.attack[m->body.nattack++] = S("T1059");
	m->body.category = MSG_CAT_INTRUSIONS;
	m->body.sectors[m->body.nsectors++] = S("health");
	m->body.sectors[m->body.nsectors++] = S("energy");
	s_keys(&k, m);
	assert_true(s_has(&k, KS_ATTACK, "T1566.001", 9));
	assert_true(s_has(&k, KS_ATTACK, "T1566", 5));
	assert_true(s_has(&k, KS_ATTACK, "T1059", 5));
	assert_true(s_text(&k, "intrusions/health 2025-12-02"));
	assert_true(s_text(&k, "intrusions/energy 2025-12-02"));
	assert_int_equal(k.n, 5);

	/* the same body gives the same keys; a day later, other case keys */
	s_keys(&k2, m);
	assert_int_equal(k2.n, k.n);
	for (size_t i = 0; i < k.n; i++) {
		assert_int_equal(k.e[i].len, k2.e[i].len);
		assert_memory_equal(k.e[i].value, k2.e[i].value, k.e[i].len);
	}
	m->time += RELATED_DAY_MS;
	s_keys(&k2, m);
	assert_true(s_text(&k2, "intrusions/health 2025-12-03"));

	/* sectors without a category: no case key */
	m->body.category = -1;
	s_keys(&k2, m);
	assert_int_equal(k2.n, 3);
	ks_free(&k);
	ks_free(&k2);
	msg_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_domains),
		cmocka_unit_test(t_addresses),
		cmocka_unit_test(t_attack_case),
	};
	return cmocka_run_group_tests(tests, 0, NULL);
}
