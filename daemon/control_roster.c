/*
 * The control socket's roster commands (control.h): the roster in force,
 * a coordinator's proposal and approval, the export file.  Proposals and
 * approvals are published as this node's messages (control_publish():
 * committed by the ingest pipeline, then pushed to the peers and given to
 * the roster like any governing message); a command is answered after
 * that.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "gossip.h"
#include "keys.h"
#include "msgjson.h"
#include "node.h"
#include "util.h"

/* A node's name here: this node's own, the trust list's, the roster's, or
 * its id. */
static json_t *
s_name(const struct node *n, const uint8_t id[MSG_KEY_LEN])
{
	const struct trust_peer *p;
	const struct roster_entry *e;

	if (memcmp(id, n->id, MSG_KEY_LEN) == 0)
		return json_string(n->cfg.name);
	if ((p = trust_find_id(n->trust, id)) != NULL)
		return json_string(p->name);
	if ((e = roster_find(n->roster, id)) != NULL)
		return json_string(e->name);
	return msgjson_hex(id, MSG_KEY_LEN);
}

static json_t *
s_show(const struct node *n)
{
	const struct roster *r = n->roster;
	json_t *members = json_array(), *signers = json_array(), *pending = json_array(),
	       *conflicts = json_array(), *rotations = json_array(), *o;
	struct roster_rotation rot[64];
	size_t nrot;
	uint8_t ids[ROSTER_MAX_CONFLICTS + ROSTER_MAX_MSGS][MSG_ID_LEN];
	size_t nc;

	for (size_t i = 0; i < roster_count(r); i++) {
		const struct roster_entry *e = roster_at(r, i);
		const struct trust_peer *p = trust_find_id(n->trust, e->id);
		char src[32];
		/* What is in force: a local entry wins over the roster's. */
		bool local = p != NULL && p->roster == 0;
		snprintf(src, sizeof src, local ? "local" : "roster %" PRIu64, roster_epoch(r));
		json_array_append_new(members,
		    json_pack("{s:s,s:o,s:s,s:b,s:o,s:s}", "name", e->name, "id",
		        msgjson_hex(e->id, MSG_KEY_LEN), "level",
		        msg_level_name(local ? p->level : e->level), "coordinator",
		        local ? p->coordinator : e->coordinator, "endpoint",
		        (local ? p->endpoint[0] : e->endpoint[0])
		            ? json_string(local ? p->endpoint : e->endpoint)
		            : json_null(),
		        "source", src));
	}
	for (size_t i = 0; i < roster_nsigners(r); i++)
		json_array_append_new(signers, s_name(n, roster_signer(r, i)));
	for (size_t i = 0; i < roster_npending(r); i++) {
		struct roster_pending p;
		roster_pending_at(r, i, &p);
		json_array_append_new(pending,
		    json_pack("{s:o,s:I,s:o,s:I}", "id", msgjson_hex(p.id, MSG_ID_LEN), "epoch",
		        (json_int_t)p.epoch, "proposer", s_name(n, p.proposer), "approvals",
		        (json_int_t)p.approvals));
	}
	nrot = roster_rotations(r, rot, sizeof rot / sizeof rot[0]);
	for (size_t i = 0; i < nrot; i++)
		json_array_append_new(rotations,
		    json_pack("{s:o,s:o,s:o,s:o,s:s}", "statement",
		        msgjson_hex(rot[i].id, MSG_ID_LEN), "old",
		        msgjson_hex(rot[i].from, MSG_KEY_LEN), "new",
		        msgjson_hex(rot[i].to, MSG_KEY_LEN), "name", s_name(n, rot[i].from),
		        "state",
		        rot[i].conflict                         ? "conflict"
		            : roster_find(r, rot[i].to) != NULL ? "final"
		                                                : "provisional"));
	nc = roster_conflicts(r, ids, sizeof ids / sizeof ids[0]);
	for (size_t i = 0; i < nc; i++)
		json_array_append_new(conflicts, msgjson_hex(ids[i], MSG_ID_LEN));
	o = json_pack("{s:b,s:I,s:s,s:I,s:o,s:o,s:o,s:o,s:I,s:I}", "ok", 1, "epoch",
	    (json_int_t)roster_epoch(r), "network", roster_network(r), "threshold",
	    (json_int_t)roster_threshold(r), "signers", signers, "members", members, "pending",
	    pending, "conflicts", conflicts, "refused_old", (json_int_t)roster_refused_old(r),
	    "refused_conflict", (json_int_t)roster_refused_conflict(r));
	json_object_set_new(o, "id",
	    roster_id(r) != NULL ? msgjson_hex(roster_id(r), MSG_ID_LEN) : json_null());
	json_object_set_new(o, "rotations", rotations);
	return o;
}

/* May this node sign a roster now?  NULL when it may, else the reply. */
static json_t *
s_may_sign(const struct node *n)
{
	const struct roster_entry *e;

	if (roster_epoch(n->roster) == 0)
		return NULL; /* it counts its own id as anchored */
	if ((e = roster_find(n->roster, n->id)) == NULL || !e->coordinator)
		return control_error("this node is not a coordinator of the roster in force (epoch "
		                     "%" PRIu64 ")",
		    roster_epoch(n->roster));
	return NULL;
}

static int
s_cmp_member(const void *a, const void *b)
{
	return memcmp(((const struct msg_member *)a)->id, ((const struct msg_member *)b)->id,
	    MSG_KEY_LEN);
}

/* The members of a proposal: req's "members", checked, sorted, into m's
 * body (pointing into ids and req); with endpoints into e's body. */
static json_t *
s_members(const json_t *arr, struct msg_body *b, struct msg_body *e, uint8_t (*ids)[MSG_KEY_LEN])
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > MSG_MAX_MEMBERS)
		return control_error("\"members\": an array of 1 to %d entries", MSG_MAX_MEMBERS);
	json_array_foreach(arr, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *level = json_string_value(json_object_get(v, "level"));
		const char *ep = json_string_value(json_object_get(v, "endpoint"));
		struct msg_member *m = &b->members[i];
		uint8_t curve[32];
		int lv;
		if (name == NULL || !config_valid_name(name))
			return control_error("member %zu: bad name", i + 1);
		if (id == NULL || id_parse(ids[i], id) == -1 || keys_curve_pk(curve, ids[i]) == -1)
			return control_error("member %s: bad node id", name);
		if (level == NULL || (lv = msg_level_parse(level, strlen(level))) < 0)
			return control_error(
			    "member %s: level is not one of member, external, blocked", name);
		if (ep != NULL && ep[0] != '\0' &&
		    (!config_valid_endpoint(ep, false) || strlen(ep) > MSG_MAX_ENDPOINT))
			return control_error("member %s: bad endpoint '%s'", name, ep);
		m->id = ids[i];
		m->name = (struct msg_str){ name, strlen(name) };
		m->level = (enum msg_level)lv;
		m->coordinator = json_is_true(json_object_get(v, "coordinator"));
		m->endpoint = ep != NULL ? (struct msg_str){ ep, strlen(ep) }
		                         : (struct msg_str){ 0 };
	}
	b->nmembers = json_array_size(arr);
	qsort(b->members, b->nmembers, sizeof b->members[0], s_cmp_member);
	for (i = 1; i < b->nmembers; i++)
		if (memcmp(b->members[i - 1].id, b->members[i].id, MSG_KEY_LEN) == 0)
			return control_error("members %.*s and %.*s have the same node id",
			    (int)b->members[i - 1].name.n, b->members[i - 1].name.p,
			    (int)b->members[i].name.n, b->members[i].name.p);
	for (i = 0; i < b->nmembers; i++)
		if (b->members[i].endpoint.n > 0)
			e->members[e->nmembers++] = b->members[i];
	return NULL;
}

static json_t *
s_propose(struct control *c, struct node *n, json_t *req)
{
	const struct roster *r = n->roster;
	const char *network = json_string_value(json_object_get(req, "network"));
	json_t *th = json_object_get(req, "threshold"), *rep = NULL;
	struct draft *d = draft_new(), *de = draft_new();
	uint8_t(*ids)[MSG_KEY_LEN] = calloc(MSG_MAX_MEMBERS, MSG_KEY_LEN);
	uint8_t id[MSG_ID_LEN], eid[MSG_ID_LEN];
	struct msg *m, *e;
	char err[512];
	size_t coordinators = 0;

	if (d == NULL || de == NULL || ids == NULL) {
		rep = control_error("out of memory");
		goto done;
	}
	if ((rep = s_may_sign(n)) != NULL)
		goto done;
	m = draft_msg(d), e = draft_msg(de);
	m->kind = MSG_KIND_ROSTER, m->tlp = MSG_TLP_CLEAR;
	if ((rep = s_members(json_object_get(req, "members"), &m->body, &e->body, ids)) != NULL)
		goto done;
	if (network == NULL || network[0] == '\0')
		network = roster_network(r);
	if (network[0] == '\0') {
		rep = control_error(
		    "no roster is in force here: give the network's name (--network)");
		goto done;
	}
	if (!config_valid_name(network)) {
		rep = control_error("--network: '%s' is not a valid name", network);
		goto done;
	}
	m->body.network = (struct msg_str){ network, strlen(network) };
	m->body.epoch = roster_epoch(r) + 1;
	m->body.threshold = json_is_integer(th) ? (uint64_t)json_integer_value(th)
	    : roster_threshold(r) > 0           ? roster_threshold(r)
	                                        : 1;
	for (size_t i = 0; i < m->body.nmembers; i++)
		coordinators += m->body.members[i].coordinator;
	if (json_is_integer(th) && json_integer_value(th) < 1) {
		rep = control_error("--threshold: at least 1");
		goto done;
	}
	if (m->body.threshold > coordinators) {
		rep = control_error("--threshold %" PRIu64
		                    " is more than the %zu coordinators listed",
		    m->body.threshold, coordinators);
		goto done;
	}
	if (control_publish(c, d, id, err, sizeof err) == -1) {
		rep = control_error("%s", err);
		goto done;
	}
	/* Endpoints go to members only (TLP:GREEN), with the roster. */
	if (e->body.nmembers > 0) {
		e->kind = MSG_KIND_ENDPOINTS, e->tlp = MSG_TLP_GREEN;
		e->has_ref = true;
		memcpy(e->ref, id, MSG_ID_LEN);
		if (control_publish(c, de, eid, err, sizeof err) == -1) {
			rep = control_error("roster published, its endpoints not: %s", err);
			goto done;
		}
	}
	rep = json_pack("{s:b,s:o,s:I}", "ok", 1, "id", msgjson_hex(id, MSG_ID_LEN), "epoch",
	    (json_int_t)m->body.epoch);
done:
	free(ids);
	draft_destroy(&d);
	draft_destroy(&de);
	return rep;
}

static json_t *
s_approve(struct control *c, struct node *n, json_t *req)
{
	const char *s = json_string_value(json_object_get(req, "id"));
	uint8_t ref[MSG_ID_LEN], id[MSG_ID_LEN];
	struct roster_pending p;
	struct draft *d;
	char err[512];
	bool known = false;
	json_t *rep;

	if (s == NULL || id_parse(ref, s) == -1)
		return control_error("\"id\" is not a message id");
	if ((rep = s_may_sign(n)) != NULL)
		return rep;
	/* The roster in force too: a signature more lets a file of it (roster
	 * export) meet a threshold raised since. */
	known = roster_id(n->roster) != NULL && memcmp(roster_id(n->roster), ref, MSG_ID_LEN) == 0;
	for (size_t i = 0; i < roster_npending(n->roster) && !known; i++) {
		roster_pending_at(n->roster, i, &p);
		known = memcmp(p.id, ref, MSG_ID_LEN) == 0;
	}
	if (!known)
		return control_error("%s is neither the roster in force nor one waiting for "
		                     "approval here "
		                     "(socmesh roster show)",
		    s);
	if ((d = draft_new()) == NULL)
		return control_error("out of memory");
	draft_msg(d)->kind = MSG_KIND_APPROVE;
	draft_msg(d)->tlp = MSG_TLP_CLEAR;
	draft_msg(d)->has_ref = true;
	memcpy(draft_msg(d)->ref, ref, MSG_ID_LEN);
	if (control_publish(c, d, id, err, sizeof err) == -1)
		rep = control_error("%s", err);
	else
		rep = json_pack("{s:b,s:o}", "ok", 1, "id", msgjson_hex(id, MSG_ID_LEN));
	draft_destroy(&d);
	return rep;
}

static json_t *
s_export(const struct node *n)
{
	uint8_t *buf;
	size_t len;
	char err[256];
	json_t *rep;

	if (roster_export(n->roster, &buf, &len, err, sizeof err) == -1)
		return control_error("%s", err);
	rep = json_pack("{s:b,s:o}", "ok", 1, "file", control_base64(buf, len));
	free(buf);
	return rep;
}

json_t *
control_roster(struct control *c, struct node *n, const char *cmd, json_t *req)
{
	if (strcmp(cmd, "roster") == 0)
		return s_show(n);
	if (strcmp(cmd, "roster-propose") == 0)
		return s_propose(c, n, req);
	if (strcmp(cmd, "roster-approve") == 0)
		return s_approve(c, n, req);
	if (strcmp(cmd, "roster-export") == 0)
		return s_export(n);
	return NULL;
}
