/*
 * Unit tests for common/policy: the TLP and trust rules, as tables.
 *
 * The cast, fixed for every row:
 *   O    the message's origin
 *   R1   a named recipient (addressed TLPs only)
 *   R2   another named recipient (addressed TLPs only)
 *   X, Y third parties, neither origin nor recipient
 * Clear and green messages name no recipients: there R1 and R2 are nodes
 * like any other.  Each row says which of them is this node (self), which
 * is the peer, and what the rules answer; nothing in a table is computed.
 *
 * The grids cover each TLP x the peer's trust level x the peer's role:
 *   send   origin:    self R1, peer O  (a holder sending back to the origin)
 *          recipient: self O,  peer R2 (the origin delivering)
 *          relay:     self R1, peer X  (a holder passing it on)
 *   accept origin:    self R1, sender O  (delivery from the origin)
 *          recipient: self O,  sender R2 (a recipient sending back)
 *          relay:     self R1, sender X  (a third party passing it on)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "policy.h"
#include "trust.h"

enum node { O, R1, R2, X, Y, NONE };
static const char *const s_node_names[] = { "O", "R1", "R2", "X", "Y", "-" };

#define CLEAR  MSG_TLP_CLEAR
#define GREEN  MSG_TLP_GREEN
#define AMBER  MSG_TLP_AMBER
#define STRICT MSG_TLP_AMBER_STRICT
#define RED    MSG_TLP_RED

#define INCIDENT MSG_KIND_INCIDENT
#define UPDATE   MSG_KIND_UPDATE
#define SIGHTING MSG_KIND_SIGHTING
#define RETRACT  MSG_KIND_RETRACT
#define ROSTER   MSG_KIND_ROSTER

#define BLOCKED  MSG_LEVEL_BLOCKED
#define EXTERNAL MSG_LEVEL_EXTERNAL
#define MEMBER   MSG_LEVEL_MEMBER

static uint8_t s_id[5][32];

static int
setup_ids(void **state)
{
	(void)state;
	/* Recipients in ascending byte order, as the decoder requires. */
	memset(s_id[O], 0x0a, 32);
	memset(s_id[R1], 0x11, 32);
	memset(s_id[R2], 0x22, 32);
	memset(s_id[X], 0x33, 32);
	memset(s_id[Y], 0x44, 32);
	return 0;
}

static const uint8_t s_to[2][MSG_KEY_LEN] = {
	{ 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11 },
	{ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	    0x22, 0x22, 0x22 },
};

/* The message of a row: from O; addressed TLPs name R1 and R2. */
static struct policy_msg
s_msg(enum msg_tlp tlp, enum msg_kind kind, enum node ref)
{
	struct policy_msg m;
	bool addressed = tlp == AMBER || tlp == STRICT || tlp == RED;

	memset(&m, 0, sizeof m);
	m.tlp = tlp;
	m.kind = kind;
	m.origin = s_id[O];
	m.nto = addressed ? 2 : 0;
	m.to = addressed ? s_to : NULL;
	m.ref_origin = ref == NONE ? NULL : s_id[ref];
	return m;
}

static struct trust_peer
s_entry(enum node n, enum msg_level level, bool coordinator)
{
	struct trust_peer p;

	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", s_node_names[n]);
	memcpy(p.id, s_id[n], 32);
	p.level = level;
	p.coordinator = coordinator;
	return p;
}

/* ---- send ------------------------------------------------------------- */

static const struct send_row {
	enum msg_tlp tlp;
	enum msg_kind kind;
	enum node self, source, peer; /* source NONE: published here or from the store */
	enum msg_level level;         /* the peer's */
	enum policy_reason want;
} s_send[] = {
	/* TLP x level x role (origin, recipient, relay) */
	{ CLEAR, INCIDENT, R1, NONE, O, BLOCKED, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, NONE, O, EXTERNAL, POLICY_OK },
	{ CLEAR, INCIDENT, O, NONE, R2, EXTERNAL, POLICY_OK },
	{ CLEAR, INCIDENT, R1, NONE, X, EXTERNAL, POLICY_OK },
	{ CLEAR, INCIDENT, R1, NONE, O, MEMBER, POLICY_OK },
	{ CLEAR, INCIDENT, O, NONE, R2, MEMBER, POLICY_OK },
	{ CLEAR, INCIDENT, R1, NONE, X, MEMBER, POLICY_OK },

	{ GREEN, INCIDENT, R1, NONE, O, BLOCKED, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, R1, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, R1, NONE, O, EXTERNAL, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, O, NONE, R2, EXTERNAL, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, R1, NONE, O, MEMBER, POLICY_OK },
	{ GREEN, INCIDENT, O, NONE, R2, MEMBER, POLICY_OK },
	{ GREEN, INCIDENT, R1, NONE, X, MEMBER, POLICY_OK },

	{ AMBER, INCIDENT, R1, NONE, O, BLOCKED, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, R1, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, R1, NONE, O, EXTERNAL, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, O, NONE, R2, EXTERNAL, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, R1, NONE, O, MEMBER, POLICY_OK },
	{ AMBER, INCIDENT, O, NONE, R2, MEMBER, POLICY_OK },
	{ AMBER, INCIDENT, R1, NONE, X, MEMBER, POLICY_NO_RELAY },

	{ STRICT, INCIDENT, R1, NONE, O, BLOCKED, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, R1, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, R1, NONE, O, EXTERNAL, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, O, NONE, R2, EXTERNAL, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, R1, NONE, O, MEMBER, POLICY_OK },
	{ STRICT, INCIDENT, O, NONE, R2, MEMBER, POLICY_OK },
	{ STRICT, INCIDENT, R1, NONE, X, MEMBER, POLICY_NO_RELAY },

	{ RED, INCIDENT, R1, NONE, O, BLOCKED, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, R1, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, R1, NONE, O, EXTERNAL, POLICY_EXTERNAL },
	{ RED, INCIDENT, O, NONE, R2, EXTERNAL, POLICY_EXTERNAL },
	{ RED, INCIDENT, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ RED, INCIDENT, R1, NONE, O, MEMBER, POLICY_OK },
	{ RED, INCIDENT, O, NONE, R2, MEMBER, POLICY_OK },
	{ RED, INCIDENT, R1, NONE, X, MEMBER, POLICY_NO_RELAY },

	/* The origin and a peer it did not name. */
	{ AMBER, INCIDENT, O, NONE, X, MEMBER, POLICY_NOT_RECIPIENT },
	{ STRICT, UPDATE, O, NONE, X, MEMBER, POLICY_NOT_RECIPIENT },
	{ RED, SIGHTING, O, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ RED, INCIDENT, O, NONE, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, O, NONE, R1, MEMBER, POLICY_OK },
	/* A recipient never passes it to another recipient. */
	{ AMBER, INCIDENT, R1, NONE, R2, MEMBER, POLICY_NO_RELAY },
	{ RED, INCIDENT, R2, NONE, R1, MEMBER, POLICY_NO_RELAY },
	/* A node that is neither (it should not hold it) sends it nowhere. */
	{ RED, INCIDENT, X, NONE, O, MEMBER, POLICY_NO_RELAY },
	{ AMBER, INCIDENT, X, NONE, R1, MEMBER, POLICY_NO_RELAY },
	{ STRICT, INCIDENT, X, NONE, Y, MEMBER, POLICY_NO_RELAY },
	/* Clear and green from a relay to anyone allowed. */
	{ CLEAR, INCIDENT, X, NONE, Y, EXTERNAL, POLICY_OK },
	{ GREEN, UPDATE, X, NONE, Y, MEMBER, POLICY_OK },
	{ GREEN, SIGHTING, X, NONE, Y, EXTERNAL, POLICY_EXTERNAL },
	/* Never back to the peer it came from. */
	{ CLEAR, INCIDENT, R1, X, X, MEMBER, POLICY_SOURCE },
	{ GREEN, INCIDENT, R1, X, X, MEMBER, POLICY_SOURCE },
	{ CLEAR, INCIDENT, R1, O, O, MEMBER, POLICY_SOURCE },
	{ RED, INCIDENT, R1, O, O, MEMBER, POLICY_SOURCE },
	{ AMBER, INCIDENT, O, R2, R2, MEMBER, POLICY_SOURCE },
	{ CLEAR, INCIDENT, R1, X, X, BLOCKED, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, X, Y, EXTERNAL, POLICY_OK },
	{ GREEN, INCIDENT, R1, X, O, MEMBER, POLICY_OK },
	{ RED, INCIDENT, R1, X, O, MEMBER, POLICY_OK },
	/* Roster: clear or green only, then like its TLP. */
	{ CLEAR, ROSTER, O, NONE, X, EXTERNAL, POLICY_OK },
	{ CLEAR, ROSTER, R1, NONE, X, MEMBER, POLICY_OK },
	{ GREEN, ROSTER, O, NONE, X, MEMBER, POLICY_OK },
	{ GREEN, ROSTER, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ AMBER, ROSTER, O, NONE, R1, MEMBER, POLICY_ROSTER_ADDRESSED },
	{ STRICT, ROSTER, O, NONE, R1, MEMBER, POLICY_ROSTER_ADDRESSED },
	{ RED, ROSTER, O, NONE, R2, MEMBER, POLICY_ROSTER_ADDRESSED },
	{ RED, ROSTER, O, NONE, R2, BLOCKED, POLICY_PEER_BLOCKED },
	/* Retract: like its TLP. */
	{ RED, RETRACT, O, NONE, R2, MEMBER, POLICY_OK },
	{ RED, RETRACT, R1, NONE, X, MEMBER, POLICY_NO_RELAY },
	{ GREEN, RETRACT, R1, NONE, X, EXTERNAL, POLICY_EXTERNAL },
	{ CLEAR, RETRACT, R1, NONE, X, EXTERNAL, POLICY_OK },
};

static void
test_send_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof s_send / sizeof s_send[0]; i++) {
		const struct send_row *r = &s_send[i];
		struct policy_msg m = s_msg(r->tlp, r->kind, NONE);
		struct trust_peer peer = s_entry(r->peer, r->level, false);
		struct trust_peer source = s_entry(r->source == NONE ? Y : r->source, MEMBER,
		    false);
		enum policy_reason got = policy_may_send(&m, s_id[r->self],
		    r->source == NONE ? NULL : &source, NULL, &peer);
		if (got != r->want) {
			print_error("send row %zu (%s %s, self %s, source %s, peer %s %s): "
			            "got %s, want %s\n",
			    i, msg_tlp_name(r->tlp), msg_kind_name(r->kind), s_node_names[r->self],
			    s_node_names[r->source], s_node_names[r->peer],
			    msg_level_name(r->level), policy_reason_name(got),
			    policy_reason_name(r->want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A node that blocked a message's origin does not pass it on, whatever its
 * TLP and whoever the peer, and it passes on an external origin's messages
 * only when they are CLEAR; the origin's entry counts only when its id is
 * the origin's.  Self R1 holds a message of O; the peer is X (or O). */
static void
test_send_origin(void **state)
{
	static const struct {
		enum msg_tlp tlp;
		enum node entry; /* whose id the origin entry carries */
		enum msg_level level;
		enum node peer;
		enum policy_reason want;
	} rows[] = {
		{ CLEAR, O, BLOCKED, X, POLICY_ORIGIN_BLOCKED },
		{ GREEN, O, BLOCKED, X, POLICY_ORIGIN_BLOCKED }, { GREEN, O, MEMBER, X, POLICY_OK },
		{ CLEAR, O, BLOCKED, O, POLICY_PEER_BLOCKED },
		{ GREEN, Y, BLOCKED, X, POLICY_OK }, /* an entry of another node */
		{ CLEAR, O, EXTERNAL, X, POLICY_OK },
		{ GREEN, O, EXTERNAL, X, POLICY_ORIGIN_EXTERNAL },
		{ AMBER, O, EXTERNAL, X, POLICY_ORIGIN_EXTERNAL },
		{ RED, O, EXTERNAL, X, POLICY_ORIGIN_EXTERNAL },
		{ GREEN, O, EXTERNAL, O, POLICY_EXTERNAL }, /* the peer's level first */
		{ RED, O, EXTERNAL, O, POLICY_EXTERNAL }, { CLEAR, O, EXTERNAL, O, POLICY_OK },
		{ GREEN, Y, EXTERNAL, X, POLICY_OK }, /* an entry of another node */
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct policy_msg m = s_msg(rows[i].tlp, INCIDENT, NONE);
		struct trust_peer origin = s_entry(rows[i].entry, rows[i].level, false);
		struct trust_peer peer = s_entry(rows[i].peer,
		    rows[i].peer == O ? rows[i].level : MEMBER, false);
		enum policy_reason got = policy_may_send(&m, s_id[R1], NULL, &origin, &peer);
		if (got != rows[i].want)
			print_error("row %zu: got %s, want %s\n", i, policy_reason_name(got),
			    policy_reason_name(rows[i].want));
		assert_int_equal(got, rows[i].want);
	}
	/* A roster message with an addressed TLP is refused before the origin's
	 * level is looked at; the source still comes first. */
	{
		struct policy_msg m = s_msg(AMBER, ROSTER, NONE);
		struct trust_peer origin = s_entry(O, EXTERNAL, false);
		struct trust_peer peer = s_entry(X, MEMBER, false);
		assert_int_equal(policy_may_send(&m, s_id[R1], NULL, &origin, &peer),
		    POLICY_ROSTER_ADDRESSED);
		assert_int_equal(policy_may_send(&m, s_id[R1], &peer, &origin, &peer),
		    POLICY_SOURCE);
	}
	/* This node's own messages: an entry that names self is not consulted. */
	{
		struct policy_msg m = s_msg(GREEN, INCIDENT, NONE);
		struct trust_peer origin = s_entry(O, EXTERNAL, false);
		struct trust_peer peer = s_entry(X, MEMBER, false);
		assert_int_equal(policy_may_send(&m, s_id[O], NULL, &origin, &peer), POLICY_OK);
	}
}

/* ---- accept ----------------------------------------------------------- */

/* The trust entry of the origin that the caller passes. */
enum origin_entry {
	OE_NULL,   /* none: unknown, or self is the origin */
	OE_SENDER, /* the sender's own entry: the sender is the origin */
	OE_MEMBER,
	OE_EXTERNAL,
	OE_BLOCKED,
	OE_COORD, /* member and coordinator */
	OE_WRONG, /* an entry for another node (a caller's mistake) */
};

static const struct accept_row {
	enum msg_tlp tlp;
	enum msg_kind kind;
	enum node self, sender; /* sender NONE: not in the trust list */
	enum msg_level level;   /* the sender's */
	enum origin_entry origin;
	enum node ref; /* retract: origin of the retracted message, NONE unknown */
	enum policy_reason want;
} s_accept[] = {
	/* TLP x level x role (origin, recipient, relay) */
	{ CLEAR, INCIDENT, R1, O, BLOCKED, OE_SENDER, NONE, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, O, R2, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, X, BLOCKED, OE_MEMBER, NONE, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_OK },
	{ CLEAR, INCIDENT, O, R2, EXTERNAL, OE_NULL, NONE, POLICY_OK },
	{ CLEAR, INCIDENT, R1, X, EXTERNAL, OE_MEMBER, NONE, POLICY_OK },
	{ CLEAR, INCIDENT, R1, O, MEMBER, OE_SENDER, NONE, POLICY_OK },
	{ CLEAR, INCIDENT, O, R2, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_OK },

	{ GREEN, INCIDENT, R1, O, BLOCKED, OE_SENDER, NONE, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, O, R2, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, R1, X, BLOCKED, OE_MEMBER, NONE, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, O, R2, EXTERNAL, OE_NULL, NONE, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, R1, X, EXTERNAL, OE_MEMBER, NONE, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, R1, O, MEMBER, OE_SENDER, NONE, POLICY_OK },
	{ GREEN, INCIDENT, O, R2, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ GREEN, INCIDENT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_OK },

	{ AMBER, INCIDENT, R1, O, BLOCKED, OE_SENDER, NONE, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, O, R2, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, R1, X, BLOCKED, OE_MEMBER, NONE, POLICY_PEER_BLOCKED },
	{ AMBER, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, O, R2, EXTERNAL, OE_NULL, NONE, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, R1, X, EXTERNAL, OE_MEMBER, NONE, POLICY_EXTERNAL },
	{ AMBER, INCIDENT, R1, O, MEMBER, OE_SENDER, NONE, POLICY_OK },
	{ AMBER, INCIDENT, O, R2, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ AMBER, INCIDENT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_NO_RELAY },

	{ STRICT, INCIDENT, R1, O, BLOCKED, OE_SENDER, NONE, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, O, R2, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, R1, X, BLOCKED, OE_MEMBER, NONE, POLICY_PEER_BLOCKED },
	{ STRICT, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, O, R2, EXTERNAL, OE_NULL, NONE, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, R1, X, EXTERNAL, OE_MEMBER, NONE, POLICY_EXTERNAL },
	{ STRICT, INCIDENT, R1, O, MEMBER, OE_SENDER, NONE, POLICY_OK },
	{ STRICT, INCIDENT, O, R2, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ STRICT, INCIDENT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_NO_RELAY },

	{ RED, INCIDENT, R1, O, BLOCKED, OE_SENDER, NONE, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, O, R2, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, R1, X, BLOCKED, OE_MEMBER, NONE, POLICY_PEER_BLOCKED },
	{ RED, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_EXTERNAL },
	{ RED, INCIDENT, O, R2, EXTERNAL, OE_NULL, NONE, POLICY_EXTERNAL },
	{ RED, INCIDENT, R1, X, EXTERNAL, OE_MEMBER, NONE, POLICY_EXTERNAL },
	{ RED, INCIDENT, R1, O, MEMBER, OE_SENDER, NONE, POLICY_OK },
	{ RED, INCIDENT, O, R2, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ RED, INCIDENT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_NO_RELAY },

	/* Unknown sender, unknown or blocked origin, in that order. */
	{ CLEAR, INCIDENT, R1, NONE, MEMBER, OE_MEMBER, NONE, POLICY_PEER_UNKNOWN },
	{ RED, INCIDENT, R1, NONE, MEMBER, OE_MEMBER, NONE, POLICY_PEER_UNKNOWN },
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_NULL, NONE, POLICY_ORIGIN_UNKNOWN },
	{ GREEN, INCIDENT, R1, X, EXTERNAL, OE_NULL, NONE, POLICY_ORIGIN_UNKNOWN },
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_WRONG, NONE, POLICY_ORIGIN_UNKNOWN },
	{ CLEAR, INCIDENT, R1, X, BLOCKED, OE_NULL, NONE, POLICY_PEER_BLOCKED },
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_BLOCKED, NONE, POLICY_ORIGIN_BLOCKED },
	{ RED, INCIDENT, R1, X, MEMBER, OE_BLOCKED, NONE, POLICY_ORIGIN_BLOCKED },
	/* An external origin's messages are CLEAR only, whoever relays them;
	 * the sender's own level is judged first. */
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_OK },
	{ GREEN, INCIDENT, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ GREEN, UPDATE, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ GREEN, SIGHTING, R1, X, EXTERNAL, OE_EXTERNAL, NONE, POLICY_EXTERNAL },
	{ GREEN, INCIDENT, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_EXTERNAL },
	{ CLEAR, SIGHTING, R1, O, EXTERNAL, OE_SENDER, NONE, POLICY_OK },
	{ AMBER, INCIDENT, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ RED, INCIDENT, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ RED, INCIDENT, X, R1, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ GREEN, INCIDENT, R1, X, BLOCKED, OE_EXTERNAL, NONE, POLICY_PEER_BLOCKED },
	{ GREEN, INCIDENT, R1, NONE, MEMBER, OE_EXTERNAL, NONE, POLICY_PEER_UNKNOWN },
	{ GREEN, INCIDENT, R1, X, MEMBER, OE_WRONG, NONE, POLICY_ORIGIN_UNKNOWN },
	/* Its own message back: the origin's entry is not consulted. */
	{ CLEAR, INCIDENT, O, X, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ GREEN, UPDATE, O, X, MEMBER, OE_BLOCKED, NONE, POLICY_OK },
	{ GREEN, UPDATE, O, X, MEMBER, OE_EXTERNAL, NONE, POLICY_OK },
	{ RED, SIGHTING, O, R1, MEMBER, OE_EXTERNAL, NONE, POLICY_OK },
	/* Addressed, not for us. */
	{ RED, INCIDENT, X, O, MEMBER, OE_SENDER, NONE, POLICY_NOT_FOR_US },
	{ AMBER, INCIDENT, X, R1, MEMBER, OE_MEMBER, NONE, POLICY_NOT_FOR_US },
	{ STRICT, SIGHTING, Y, X, MEMBER, OE_MEMBER, NONE, POLICY_NOT_FOR_US },
	/* Addressed, relayed between recipients or to the origin by others. */
	{ RED, INCIDENT, R1, R2, MEMBER, OE_MEMBER, NONE, POLICY_NO_RELAY },
	{ AMBER, UPDATE, R2, R1, MEMBER, OE_MEMBER, NONE, POLICY_NO_RELAY },
	{ AMBER, INCIDENT, O, X, MEMBER, OE_NULL, NONE, POLICY_NO_RELAY },
	{ RED, SIGHTING, O, R1, MEMBER, OE_NULL, NONE, POLICY_OK },
	/* Roster: from a coordinator (or ourselves), clear or green. */
	{ CLEAR, ROSTER, R1, X, MEMBER, OE_COORD, NONE, POLICY_OK },
	{ GREEN, ROSTER, R1, X, MEMBER, OE_COORD, NONE, POLICY_OK },
	{ CLEAR, ROSTER, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_ROSTER_NOT_COORDINATOR },
	{ CLEAR, ROSTER, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ROSTER_NOT_COORDINATOR },
	{ GREEN, ROSTER, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ORIGIN_EXTERNAL },
	{ AMBER, ROSTER, R1, X, MEMBER, OE_EXTERNAL, NONE, POLICY_ROSTER_ADDRESSED },
	{ CLEAR, ROSTER, R1, O, MEMBER, OE_SENDER, NONE, POLICY_ROSTER_NOT_COORDINATOR },
	{ CLEAR, ROSTER, O, X, MEMBER, OE_NULL, NONE, POLICY_OK },
	{ GREEN, ROSTER, R1, X, EXTERNAL, OE_COORD, NONE, POLICY_EXTERNAL },
	{ CLEAR, ROSTER, R1, X, EXTERNAL, OE_COORD, NONE, POLICY_OK },
	{ AMBER, ROSTER, R1, O, MEMBER, OE_COORD, NONE, POLICY_ROSTER_ADDRESSED },
	{ RED, ROSTER, R1, O, MEMBER, OE_COORD, NONE, POLICY_ROSTER_ADDRESSED },
	{ STRICT, ROSTER, O, R1, MEMBER, OE_NULL, NONE, POLICY_ROSTER_ADDRESSED },
	{ CLEAR, ROSTER, R1, X, MEMBER, OE_BLOCKED, NONE, POLICY_ORIGIN_BLOCKED },
	/* Retract: only of the origin's own messages. */
	{ CLEAR, RETRACT, R1, X, MEMBER, OE_MEMBER, O, POLICY_OK },
	{ CLEAR, RETRACT, R1, X, MEMBER, OE_MEMBER, NONE, POLICY_OK },
	{ CLEAR, RETRACT, R1, X, MEMBER, OE_MEMBER, X, POLICY_RETRACT_NOT_ORIGIN },
	{ GREEN, RETRACT, R1, O, MEMBER, OE_SENDER, Y, POLICY_RETRACT_NOT_ORIGIN },
	{ RED, RETRACT, R1, O, MEMBER, OE_SENDER, R2, POLICY_RETRACT_NOT_ORIGIN },
	{ RED, RETRACT, R1, O, MEMBER, OE_SENDER, O, POLICY_OK },
	{ RED, RETRACT, R1, X, MEMBER, OE_MEMBER, X, POLICY_NO_RELAY },
	{ GREEN, RETRACT, R1, X, MEMBER, OE_EXTERNAL, O, POLICY_ORIGIN_EXTERNAL },
	{ CLEAR, RETRACT, R1, X, MEMBER, OE_EXTERNAL, O, POLICY_OK },
	{ CLEAR, RETRACT, R1, X, MEMBER, OE_EXTERNAL, X, POLICY_RETRACT_NOT_ORIGIN },
	{ CLEAR, INCIDENT, R1, X, MEMBER, OE_MEMBER, X, POLICY_OK },
};

static void
test_accept_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof s_accept / sizeof s_accept[0]; i++) {
		const struct accept_row *r = &s_accept[i];
		struct policy_msg m = s_msg(r->tlp, r->kind, r->ref);
		struct trust_peer sender = s_entry(r->sender == NONE ? Y : r->sender, r->level,
		    false);
		struct trust_peer origin;
		const struct trust_peer *op = &origin;
		enum policy_reason got;

		switch (r->origin) {
		case OE_NULL:
			op = NULL;
			break;
		case OE_SENDER:
			op = &sender;
			break;
		case OE_MEMBER:
			origin = s_entry(O, MEMBER, false);
			break;
		case OE_EXTERNAL:
			origin = s_entry(O, EXTERNAL, false);
			break;
		case OE_BLOCKED:
			origin = s_entry(O, BLOCKED, false);
			break;
		case OE_COORD:
			origin = s_entry(O, MEMBER, true);
			break;
		case OE_WRONG:
			origin = s_entry(Y, MEMBER, true);
			break;
		}
		got = policy_may_accept(&m, s_id[r->self], r->sender == NONE ? NULL : &sender, op);
		if (got != r->want) {
			print_error("accept row %zu (%s %s, self %s, sender %s %s, origin entry "
			            "%d, "
			            "ref %s): got %s, want %s\n",
			    i, msg_tlp_name(r->tlp), msg_kind_name(r->kind), s_node_names[r->self],
			    s_node_names[r->sender], msg_level_name(r->level), (int)r->origin,
			    s_node_names[r->ref], policy_reason_name(got),
			    policy_reason_name(r->want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- time -------------------------------------------------------------- */

#define NOW  UINT64_C(1700000000000)
#define SKEW POLICY_MAX_SKEW_MS
#define DAY  UINT64_C(86400000)

static void
test_time(void **state)
{
	static const struct {
		enum msg_kind kind;
		uint64_t time, now, retention;
		enum policy_reason want;
	} rows[] = {
		{ INCIDENT, NOW, NOW, 365 * DAY, POLICY_OK },
		{ INCIDENT, NOW + SKEW, NOW, 365 * DAY, POLICY_OK },
		{ INCIDENT, NOW + SKEW + 1, NOW, 365 * DAY, POLICY_TIME_FUTURE },
		{ INCIDENT, NOW + SKEW + 1, NOW, 0, POLICY_TIME_FUTURE },
		{ ROSTER, NOW + SKEW + 1, NOW, 0, POLICY_TIME_FUTURE },
		{ RETRACT, UINT64_MAX, NOW, 0, POLICY_TIME_FUTURE },
		/* time + retention < now: expired; = now: not yet */
		{ INCIDENT, NOW - DAY, NOW, DAY, POLICY_OK },
		{ INCIDENT, NOW - DAY - 1, NOW, DAY, POLICY_EXPIRED },
		{ SIGHTING, 0, NOW, DAY, POLICY_EXPIRED },
		{ RETRACT, 0, NOW, DAY, POLICY_EXPIRED },
		{ UPDATE, 0, NOW, 1, POLICY_EXPIRED },
		/* kept for ever */
		{ INCIDENT, 0, NOW, 0, POLICY_OK },
		/* a retention longer than the epoch has lasted */
		{ INCIDENT, 0, NOW, NOW, POLICY_OK },
		{ INCIDENT, 0, NOW, UINT64_MAX, POLICY_OK },
		/* roster messages are kept in force whatever their age */
		{ ROSTER, 0, NOW, DAY, POLICY_OK },
		{ ROSTER, NOW - 400 * DAY, NOW, 365 * DAY, POLICY_OK },
		/* no overflow at the end of time */
		{ INCIDENT, UINT64_MAX, UINT64_MAX - 5, DAY, POLICY_OK },
		{ INCIDENT, 0, UINT64_MAX, DAY, POLICY_EXPIRED },
		{ INCIDENT, 0, 0, DAY, POLICY_OK },
	};

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct policy_msg m = s_msg(CLEAR, rows[i].kind, NONE);
		enum policy_reason got;

		m.time = rows[i].time;
		got = policy_time_ok(&m, rows[i].now, rows[i].retention);
		if (got != rows[i].want)
			print_error("time row %zu: got %s, want %s\n", i, policy_reason_name(got),
			    policy_reason_name(rows[i].want));
		assert_int_equal(got, rows[i].want);
	}
	assert_int_equal(POLICY_MAX_SKEW_MS, 3600000);
}

/* The class of every reason, as /work/spec-v2.md and PROTOCOL.md list it. */
static void
test_provisional(void **state)
{
	static const struct {
		enum policy_reason r;
		bool provisional;
	} rows[] = {
		{ POLICY_OK, false },
		{ POLICY_PEER_BLOCKED, true },
		{ POLICY_PEER_UNKNOWN, true },
		{ POLICY_SOURCE, false },
		{ POLICY_EXTERNAL, true },
		{ POLICY_NOT_RECIPIENT, true },
		{ POLICY_NO_RELAY, true },
		{ POLICY_ORIGIN_UNKNOWN, true },
		{ POLICY_ORIGIN_BLOCKED, true },
		{ POLICY_NOT_FOR_US, false },
		{ POLICY_ROSTER_NOT_COORDINATOR, true },
		{ POLICY_RETRACT_NOT_ORIGIN, false },
		{ POLICY_ROSTER_ADDRESSED, false },
		{ POLICY_ORIGIN_EXTERNAL, true },
		{ POLICY_TIME_FUTURE, true },
		{ POLICY_EXPIRED, false },
		{ POLICY_ROSTER_OLD, false },
		{ POLICY_ROSTER_CONFLICT, false },
		{ POLICY_KEY_ROTATED, false },
	};

	(void)state;
	assert_int_equal(sizeof rows / sizeof rows[0], POLICY_REASON_COUNT);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(rows[i].r, i);
		if (policy_reason_provisional(rows[i].r) != rows[i].provisional)
			print_error("%s: provisional %d\n", policy_reason_name(rows[i].r),
			    !rows[i].provisional);
		assert_int_equal(policy_reason_provisional(rows[i].r), rows[i].provisional);
	}
	assert_false(policy_reason_provisional((enum policy_reason)POLICY_REASON_COUNT));
	assert_false(policy_reason_provisional((enum policy_reason) - 1));
}

/* ---- names and the message view --------------------------------------- */

static void
test_reason_names(void **state)
{
	static const struct {
		enum policy_reason r;
		const char *name;
	} rows[] = {
		{ POLICY_OK, "ok" },
		{ POLICY_PEER_BLOCKED, "peer-blocked" },
		{ POLICY_PEER_UNKNOWN, "peer-unknown" },
		{ POLICY_SOURCE, "source" },
		{ POLICY_EXTERNAL, "external-clear-only" },
		{ POLICY_NOT_RECIPIENT, "not-recipient" },
		{ POLICY_NO_RELAY, "no-relay" },
		{ POLICY_ORIGIN_UNKNOWN, "origin-unknown" },
		{ POLICY_ORIGIN_BLOCKED, "origin-blocked" },
		{ POLICY_NOT_FOR_US, "not-for-us" },
		{ POLICY_ROSTER_NOT_COORDINATOR, "roster-not-coordinator" },
		{ POLICY_RETRACT_NOT_ORIGIN, "retract-not-origin" },
		{ POLICY_ROSTER_ADDRESSED, "roster-addressed" },
		{ POLICY_ORIGIN_EXTERNAL, "external-origin-clear-only" },
		{ POLICY_TIME_FUTURE, "time-in-future" },
		{ POLICY_EXPIRED, "expired" },
		{ POLICY_ROSTER_OLD, "roster-old" },
		{ POLICY_ROSTER_CONFLICT, "roster-conflict" },
		{ POLICY_KEY_ROTATED, "key-rotated" },
	};

	(void)state;
	assert_int_equal(sizeof rows / sizeof rows[0], POLICY_REASON_COUNT);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_string_equal(policy_reason_name(rows[i].r), rows[i].name);
		assert_true(strlen(policy_reason_str(rows[i].r)) > 5);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(policy_reason_str(rows[i].r),
			    policy_reason_str(rows[j].r));
	}
	assert_string_equal(policy_reason_str(POLICY_EXTERNAL),
	    "the peer is external: it exchanges TLP:CLEAR only");
	assert_string_equal(policy_reason_name((enum policy_reason)POLICY_REASON_COUNT), "unknown");
	assert_string_equal(policy_reason_str((enum policy_reason) - 1), "unknown reason");
}

static void
test_msg_of(void **state)
{
	struct msg *m = msg_new();
	struct policy_msg pm;

	(void)state;
	assert_non_null(m);
	m->tlp = MSG_TLP_AMBER_STRICT;
	m->kind = MSG_KIND_SIGHTING;
	memcpy(m->origin, s_id[O], 32);
	m->nto = 2;
	memcpy(m->to[0], s_id[R1], 32);
	memcpy(m->to[1], s_id[R2], 32);
	pm = policy_msg_of(m);
	assert_int_equal(pm.tlp, MSG_TLP_AMBER_STRICT);
	assert_int_equal(pm.kind, MSG_KIND_SIGHTING);
	assert_ptr_equal(pm.origin, m->origin);
	assert_int_equal(pm.nto, 2);
	assert_ptr_equal(pm.to[0], m->to[0]);
	assert_ptr_equal(pm.to[1], m->to[1]);
	assert_null(pm.ref_origin);
	m->time = 1700000000123;
	pm = policy_msg_of(m);
	assert_int_equal(pm.time, 1700000000123);
	/* The view decides as the table says. */
	{
		struct trust_peer peer = s_entry(R2, MEMBER, false);
		assert_int_equal(policy_may_send(&pm, s_id[O], NULL, NULL, &peer), POLICY_OK);
		peer = s_entry(X, MEMBER, false);
		assert_int_equal(policy_may_send(&pm, s_id[O], NULL, NULL, &peer),
		    POLICY_NOT_RECIPIENT);
	}
	msg_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_table),
		cmocka_unit_test(test_send_origin),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_provisional),
		cmocka_unit_test(test_accept_table),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_msg_of),
	};
	return cmocka_run_group_tests(tests, setup_ids, NULL);
}
