#include "casestate.h"

#include <stdlib.h>
#include <string.h>

#include "msgjson.h"
#include "timefmt.h"

/* The state being rolled up. */
struct roll {
	const struct msg *incident;
	casestate_same_fn same;
	void *arg;
	json_t *o;           /* the state object */
	json_t *seen;        /* "type:value" of each indicator in it */
	const uint8_t *lead; /* in a message's body, or NULL */
	uint64_t expires;    /* the state's, 0 = none */
};

static bool
s_same(const struct roll *r, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN])
{
	return r->same != NULL ? r->same(r->arg, a, b) : memcmp(a, b, MSG_KEY_LEN) == 0;
}

/* By time, then by id: the one order every node takes. */
static int
s_order(const void *pa, const void *pb)
{
	const struct msg *a = *(const struct msg *const *)pa, *b = *(const struct msg *const *)pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return memcmp(a->id, b->id, MSG_ID_LEN);
}

/* Withdrawn by a retraction of its own origin among msgs. */
static bool
s_retracted(const struct msg *m, const struct msg *const *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct msg *r = msgs[i];
		if (r->kind == MSG_KIND_RETRACT && r->has_ref &&
		    memcmp(r->ref, m->id, MSG_ID_LEN) == 0 &&
		    memcmp(r->origin, m->origin, MSG_KEY_LEN) == 0)
			return true;
	}
	return false;
}

static void
s_time(json_t *o, const char *key, uint64_t ms)
{
	char t[TIMEFMT_LEN];

	timefmt_format(t, ms);
	json_object_set_new(o, key, json_string(t));
}

/* Adds the indicators of b that the state does not hold yet. */
static int
s_add_indicators(struct roll *r, const struct msg_body *b)
{
	json_t *list = json_object_get(r->o, "indicators");

	for (size_t i = 0; i < b->nindicators; i++) {
		const struct msg_ioc *x = &b->indicators[i];
		const char *type = ioc_type_name(x->type);
		size_t tn = strlen(type);
		char *key = malloc(tn + 1 + x->value.n + 1);
		if (key == NULL)
			return -1;
		memcpy(key, type, tn);
		key[tn] = ':';
		memcpy(key + tn + 1, x->value.p, x->value.n);
		key[tn + 1 + x->value.n] = '\0';
		if (json_object_get(r->seen, key) == NULL &&
		    (json_object_set_new(r->seen, key, json_true()) == -1 ||
		        json_array_append_new(list,
		            json_pack("{s:s,s:s%}", "type", type, "value", x->value.p,
		                x->value.n)) == -1)) {
			free(key);
			return -1;
		}
		free(key);
	}
	return 0;
}

/* The fields an update of the origin or the lead holds, into the state. */
static int
s_apply(struct roll *r, const struct msg *u, bool from_origin)
{
	const struct msg_body *b = &u->body;

	if (b->title.n > 0)
		json_object_set_new(r->o, "title", json_stringn(b->title.p, b->title.n));
	if (b->status >= 0)
		json_object_set_new(r->o, "status",
		    json_string(msg_status_name((enum msg_status)b->status)));
	if (b->severity >= 0)
		json_object_set_new(r->o, "severity",
		    json_string(msg_severity_name((enum msg_severity)b->severity)));
	if (b->impact >= 0)
		json_object_set_new(r->o, "impact",
		    json_string(msg_severity_name((enum msg_severity)b->impact)));
	if (b->expires > 0)
		r->expires = b->expires;
	if (b->has_lead && from_origin)
		r->lead = b->lead;
	s_time(r->o, "updated", u->time);
	return s_add_indicators(r, b);
}

/* Anyone else's update: a proposal, listed. */
static int
s_propose(struct roll *r, const struct msg *u)
{
	json_t *p = json_pack("{s:{s:o},s:o}", "proposed_by", "id",
	    msgjson_hex(u->origin, MSG_KEY_LEN), "id", msgjson_hex(u->id, MSG_ID_LEN));

	if (p == NULL)
		return -1;
	s_time(p, "time", u->time);
	msgjson_case_fields(p, &u->body);
	return json_array_append_new(json_object_get(r->o, "proposals"), p);
}

/* The state as the incident opened it. */
static int
s_start(struct roll *r)
{
	const struct msg_body *b = &r->incident->body;

	r->o = json_pack("{s:s%,s:s,s:s,s:o,s:[],s:n,s:[]}", "title", b->title.p, b->title.n,
	    "status", msg_status_name((enum msg_status)b->status), "severity",
	    msg_severity_name((enum msg_severity)b->severity), "impact",
	    b->impact >= 0 ? json_string(msg_severity_name((enum msg_severity)b->impact))
	                   : json_null(),
	    "indicators", "lead", "proposals");
	r->seen = json_object();
	if (r->o == NULL || r->seen == NULL)
		return -1;
	s_time(r->o, "updated", r->incident->time);
	r->expires = b->expires;
	return s_add_indicators(r, b);
}

/* Rolls the state up into r (r->o, r->expires): 0, or -1 when out of
 * memory (r->o is then NULL). */
static int
s_roll(struct roll *r, const struct msg *const *msgs, size_t n)
{
	const struct msg *incident = r->incident;
	const struct msg **by = NULL;
	int rc = -1;

	if ((n > 0 && (by = malloc(n * sizeof *by)) == NULL) || s_start(r) == -1)
		goto out;
	if (n > 0) {
		memcpy(by, msgs, n * sizeof *by);
		qsort(by, n, sizeof *by, s_order);
	}
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct msg *u = by[i];
		if (u->kind != MSG_KIND_UPDATE || !u->has_body || !u->has_ref ||
		    memcmp(u->ref, incident->id, MSG_ID_LEN) != 0 || s_retracted(u, msgs, n))
			continue;
		if (s_same(r, u->origin, incident->origin))
			rc = s_apply(r, u, true);
		else if (r->lead != NULL && s_same(r, u->origin, r->lead))
			rc = s_apply(r, u, false);
		else
			rc = s_propose(r, u);
	}
	if (rc == 0 && r->lead != NULL)
		rc = json_object_set_new(r->o, "lead",
		    json_pack("{s:o}", "id", msgjson_hex(r->lead, MSG_KEY_LEN)));
	if (rc == 0 && r->expires > 0)
		s_time(r->o, "expires", r->expires);
	else if (rc == 0)
		rc = json_object_set_new(r->o, "expires", json_null());
out:
	free(by);
	json_decref(r->seen);
	if (rc != 0) {
		json_decref(r->o);
		r->o = NULL;
	}
	return rc;
}

json_t *
casestate_json(const struct msg *incident, const struct msg *const *msgs, size_t n,
    casestate_same_fn same, void *arg)
{
	struct roll r = { incident, same, arg, NULL, NULL, NULL, 0 };

	if (incident->kind != MSG_KIND_INCIDENT || !incident->has_body || s_roll(&r, msgs, n) == -1)
		return NULL;
	return r.o;
}

int
casestate_expired(const struct msg *incident, const struct msg *const *msgs, size_t n,
    casestate_same_fn same, void *arg, uint64_t now)
{
	struct roll r = { incident, same, arg, NULL, NULL, NULL, 0 };

	if (incident->kind != MSG_KIND_INCIDENT || !incident->has_body)
		return msg_expired(incident, now);
	if (s_roll(&r, msgs, n) == -1)
		return -1;
	json_decref(r.o);
	return r.expires > 0 && r.expires <= now;
}
