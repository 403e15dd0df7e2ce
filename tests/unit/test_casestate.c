/* casestate: a case's state from its origin's and its lead's updates;
 * the others' are proposals; retracted ones count for nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "casestate.h"
#include "msg.h"
#include "util.h"

#define T0 1767225600000ULL

/* SOCs by their first key byte: 'A', 'B', 'C'; 'a' is A's key after a
 * rotation (one SOC with 'A'). */
static bool
s_same(void *arg, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN])
{
	(void)arg;
	int x = a[0] == 'a' ? 'A' : a[0], y = b[0] == 'a' ? 'A' : b[0];
	return x == y;
}

struct caseset {
	struct msg *incident;
	struct msg *m[16];
	size_t n;
	uint8_t next_id;
};

static struct msg_str
S(const char *s) {
	return (struct msg_str){ s, strlen(s) };
}

static struct msg *
s_msg(struct caseset *c, char origin, uint64_t dt, enum msg_kind kind)
{
	struct msg *m = msg_new();

	assert_non_null(m);
	memset(m->origin, origin, MSG_KEY_LEN);
	memset(m->id, ++c->next_id, MSG_ID_LEN);
	m->time = T0 + dt;
	m->tlp = MSG_TLP_GREEN;
	m->kind = kind;
	m->has_body = true;
	if (c->incident != NULL) {
		m->has_ref = true;
		memcpy(m->ref, c->incident->id, MSG_ID_LEN);
		assert_true(c->n < 16);
		c->m[c->n++] = m;
	}
	return m;
}

static void
s_open(struct caseset *c)
{
	struct msg_body *b;

	memset(c, 0, sizeof *c);
	c->incident = s_msg(c, 'A', 0, MSG_KIND_INCIDENT);
	b = &c->incident->body;
	b->title = S("Intrusion via VPN appliance");
	b->category = MSG_CAT_INTRUSIONS;
	b->severity = MSG_SEV_HIGH;
	b->status = MSG_STATUS_OPEN;
	b->indicators[0] = (struct msg_ioc){ IOC_IPV4, S("192.0.2.1") };
	b->nindicators = 1;
}

static void
s_close(struct caseset *c)
{
	for (size_t i = 0; i < c->n; i++)
		msg_destroy(&c->m[i]);
	msg_destroy(&c->incident);
}

static json_t *
s_state(struct caseset *c)
{
	json_t *st = casestate_json(c->incident, (const struct msg *const *)c->m, c->n, s_same,
	    NULL);
	assert_non_null(st);
	return st;
}

static const char *
s_get(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	assert_non_null(v);
	return v;
}

/* The lead's id's first byte, or 0 for none. */
static int
s_lead(const json_t *st)
{
	const json_t *l = json_object_get(st, "lead");
	uint8_t id[MSG_KEY_LEN];

	if (json_is_null(l))
		return 0;
	assert_int_equal(id_parse(id, s_get(l, "id")), 0);
	return id[0];
}

static void
test_incident_alone(void **state)
{
	(void)state;
	struct caseset c;
	json_t *st;

	s_open(&c);
	st = s_state(&c);
	assert_string_equal(s_get(st, "title"), "Intrusion via VPN appliance");
	assert_string_equal(s_get(st, "status"), "open");
	assert_string_equal(s_get(st, "severity"), "high");
	assert_true(json_is_null(json_object_get(st, "impact")));
	assert_int_equal(s_lead(st), 0);
	assert_string_equal(s_get(st, "updated"), "2026-01-01T00:00:00.000Z");
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 0);
	assert_int_equal(json_array_size(json_object_get(st, "indicators")), 1);
	json_decref(st);
	/* Not an incident, or not opened: no state. */
	c.incident->has_body = false;
	assert_null(casestate_json(c.incident, NULL, 0, NULL, NULL));
	c.incident->has_body = true;
	c.incident->kind = MSG_KIND_UPDATE;
	assert_null(casestate_json(c.incident, NULL, 0, NULL, NULL));
	s_close(&c);
}

/* The origin's update, a third SOC's, the lead's. */
static void
test_origin_lead_third(void **state)
{
	(void)state;
	struct caseset c;
	struct msg *u;
	json_t *st, *p;

	s_open(&c);
	u = s_msg(&c, 'A', 1000, MSG_KIND_UPDATE); /* the origin: contained */
	u->body.status = MSG_STATUS_CONTAINED;
	u = s_msg(&c, 'C', 2000, MSG_KIND_UPDATE); /* C, not the lead: a proposal */
	u->body.severity = MSG_SEV_CRITICAL;
	u->body.title = S("Not an intrusion");
	u = s_msg(&c, 'B', 3000, MSG_KIND_UPDATE); /* B before it leads: a proposal */
	u->body.status = MSG_STATUS_RESOLVED;
	u = s_msg(&c, 'A', 4000, MSG_KIND_UPDATE); /* the origin names B */
	u->body.has_lead = true;
	memset(u->body.lead, 'B', MSG_KEY_LEN);
	u = s_msg(&c, 'B', 5000, MSG_KIND_UPDATE); /* the lead: applied, its lead ignored */
	u->body.impact = MSG_SEV_MEDIUM;
	u->body.indicators[0] = (struct msg_ioc){ IOC_IPV4, S("192.0.2.1") };
	u->body.indicators[1] = (struct msg_ioc){ IOC_DOMAIN, S("vpn.example") };
	u->body.nindicators = 2;
	u->body.has_lead = true;
	memset(u->body.lead, 'C', MSG_KEY_LEN);
	u = s_msg(&c, 'C', 6000, MSG_KIND_COMMENT); /* a comment: nothing */
	u->body.text = S("we see it too");

	st = s_state(&c);
	assert_string_equal(s_get(st, "title"), "Intrusion via VPN appliance");
	assert_string_equal(s_get(st, "status"), "contained");
	assert_string_equal(s_get(st, "severity"), "high");
	assert_string_equal(s_get(st, "impact"), "medium");
	assert_int_equal(s_lead(st), 'B');
	assert_string_equal(s_get(st, "updated"), "2026-01-01T00:00:05.000Z");
	/* the lead's indicator added, the repeated one kept once */
	assert_int_equal(json_array_size(json_object_get(st, "indicators")), 2);
	assert_string_equal(s_get(json_array_get(json_object_get(st, "indicators"), 1), "value"),
	    "vpn.example");
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 2);
	p = json_array_get(json_object_get(st, "proposals"), 0);
	assert_string_equal(s_get(json_object_get(p, "proposed_by"), "id"),
	    "4343434343434343434343434343434343434343434343434343434343434343");
	assert_string_equal(s_get(p, "severity"), "critical");
	assert_string_equal(s_get(p, "title"), "Not an intrusion");
	assert_string_equal(s_get(p, "time"), "2026-01-01T00:00:02.000Z");
	assert_null(json_object_get(p, "status"));
	assert_int_equal(strlen(s_get(p, "id")), 64);
	p = json_array_get(json_object_get(st, "proposals"), 1);
	assert_string_equal(s_get(p, "status"), "resolved");
	json_decref(st);
	s_close(&c);
}

/* The origin hands the lead on; the former lead's updates are proposals
 * again; the origin's key after a rotation is still the origin. */
static void
test_lead_change(void **state)
{
	(void)state;
	struct caseset c;
	struct msg *u;
	json_t *st;

	s_open(&c);
	u = s_msg(&c, 'A', 1000, MSG_KIND_UPDATE);
	u->body.has_lead = true;
	memset(u->body.lead, 'B', MSG_KEY_LEN);
	u = s_msg(&c, 'B', 2000, MSG_KIND_UPDATE);
	u->body.status = MSG_STATUS_CONTAINED;
	u = s_msg(&c, 'a', 3000, MSG_KIND_UPDATE); /* A's new key names C */
	u->body.has_lead = true;
	memset(u->body.lead, 'C', MSG_KEY_LEN);
	u = s_msg(&c, 'B', 4000, MSG_KIND_UPDATE);
	u->body.status = MSG_STATUS_FALSE_POSITIVE;
	u = s_msg(&c, 'C', 5000, MSG_KIND_UPDATE);
	u->body.severity = MSG_SEV_LOW;

	st = s_state(&c);
	assert_int_equal(s_lead(st), 'C');
	assert_string_equal(s_get(st, "status"), "contained");
	assert_string_equal(s_get(st, "severity"), "low");
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 1);
	json_decref(st);

	/* Without the rotation known, A's new key is a third party. */
	st = casestate_json(c.incident, (const struct msg *const *)c.m, c.n, NULL, NULL);
	assert_non_null(st);
	assert_int_equal(s_lead(st), 'B');
	assert_string_equal(s_get(st, "status"), "false-positive");
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 2);
	json_decref(st);
	s_close(&c);
}

/* A retracted update counts for nothing, whatever the order; a
 * retraction by another SOC retracts nothing. */
static void
test_retracted(void **state)
{
	(void)state;
	struct caseset c;
	struct msg *u, *r, *tmp;
	json_t *st;

	s_open(&c);
	u = s_msg(&c, 'A', 1000, MSG_KIND_UPDATE);
	u->body.status = MSG_STATUS_RESOLVED;
	u->body.has_lead = true;
	memset(u->body.lead, 'B', MSG_KEY_LEN);
	r = s_msg(&c, 'A', 2000, MSG_KIND_RETRACT);
	memcpy(r->ref, u->id, MSG_ID_LEN);
	r->has_body = false; /* sealed: its envelope says enough */
	u = s_msg(&c, 'A', 3000, MSG_KIND_UPDATE);
	u->body.severity = MSG_SEV_LOW;
	r = s_msg(&c, 'C', 4000, MSG_KIND_RETRACT);
	memcpy(r->ref, u->id, MSG_ID_LEN);
	u = s_msg(&c, 'A', 5000, MSG_KIND_UPDATE); /* sealed, not opened */
	u->has_body = false;
	u->body.status = MSG_STATUS_FALSE_POSITIVE;
	u = s_msg(&c, 'A', 6000, MSG_KIND_UPDATE); /* refers to another message */
	memset(u->ref, 0x77, MSG_ID_LEN);
	u->body.status = MSG_STATUS_FALSE_POSITIVE;
	/* the newest first: the order of the input does not matter */
	for (size_t i = 0; i < c.n / 2; i++)
		tmp = c.m[i], c.m[i] = c.m[c.n - 1 - i], c.m[c.n - 1 - i] = tmp;

	st = s_state(&c);
	assert_string_equal(s_get(st, "status"), "open");
	assert_string_equal(s_get(st, "severity"), "low");
	assert_int_equal(s_lead(st), 0);
	assert_string_equal(s_get(st, "updated"), "2026-01-01T00:00:03.000Z");
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 0);
	json_decref(st);
	s_close(&c);
}

/* Updates of one time are taken by id: the later id wins. */
static void
test_same_time(void **state)
{
	(void)state;
	struct caseset c;
	struct msg *u, *v;
	json_t *st;

	s_open(&c);
	u = s_msg(&c, 'A', 1000, MSG_KIND_UPDATE);
	u->body.status = MSG_STATUS_CONTAINED;
	v = s_msg(&c, 'A', 1000, MSG_KIND_UPDATE);
	v->body.status = MSG_STATUS_RESOLVED;
	c.m[0] = v, c.m[1] = u;
	st = s_state(&c);
	assert_string_equal(s_get(st, "status"), "resolved");
	json_decref(st);
	s_close(&c);
}

/* The state's expires: the incident's, then the latest the origin or the
 * lead applies; a proposal's changes nothing; lessons stay per message. */
static void
test_expiry(void **state)
{
	(void)state;
	struct caseset c;
	const struct msg *const *v;
	json_t *st;

	s_open(&c);
	v = (const struct msg *const *)c.m;
	st = s_state(&c);
	assert_true(json_is_null(json_object_get(st, "expires")));
	json_decref(st);
	assert_int_equal(casestate_expired(c.incident, v, c.n, s_same, NULL, T0 + 1000000), 0);
	c.incident->body.expires = T0 + 1000;
	assert_int_equal(casestate_expired(c.incident, v, c.n, s_same, NULL, T0 + 999), 0);
	assert_int_equal(casestate_expired(c.incident, v, c.n, s_same, NULL, T0 + 1000), 1);
	/* the origin extends it, with lessons that the state leaves out */
	struct msg *u = s_msg(&c, 'a', 10, MSG_KIND_UPDATE);
	u->body.expires = T0 + 5000;
	u->body.lessons = S("Patch the appliance sooner.");
	/* a third SOC's proposal to end it sooner changes nothing */
	s_msg(&c, 'C', 20, MSG_KIND_UPDATE)->body.expires = T0 + 1;
	st = s_state(&c);
	assert_string_equal(s_get(st, "expires"), "2026-01-01T00:00:05.000Z");
	assert_null(json_object_get(st, "lessons"));
	assert_int_equal(json_array_size(json_object_get(st, "proposals")), 1);
	json_decref(st);
	v = (const struct msg *const *)c.m;
	assert_int_equal(casestate_expired(c.incident, v, c.n, s_same, NULL, T0 + 4999), 0);
	assert_int_equal(casestate_expired(c.incident, v, c.n, s_same, NULL, T0 + 5000), 1);
	/* a message that is no incident: its own expires */
	assert_int_equal(casestate_expired(u, NULL, 0, NULL, NULL, T0 + 5000), 1);
	assert_int_equal(casestate_expired(u, NULL, 0, NULL, NULL, T0 + 4999), 0);
	s_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incident_alone),
		cmocka_unit_test(test_origin_lead_third),
		cmocka_unit_test(test_lead_change),
		cmocka_unit_test(test_retracted),
		cmocka_unit_test(test_same_time),
		cmocka_unit_test(test_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
