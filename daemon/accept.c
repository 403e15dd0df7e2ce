#include "accept.h"

#include <string.h>

#include "log.h"

struct target {
	struct msg *m;
	uint8_t origin[MSG_KEY_LEN];
	bool found;
};

static int
s_target(void *arg, const struct store_item *it)
{
	struct target *t = arg;

	if (msg_decode(t->m, it->bytes, it->len, 0) == MSG_OK) {
		memcpy(t->origin, t->m->origin, MSG_KEY_LEN);
		t->found = true;
	}
	return 1;
}

int
accept_recipients(const struct trust *t, const struct msg *m, enum policy_reason *why)
{
	*why = POLICY_OK;
	for (size_t i = 0; i < m->nto; i++) {
		const struct trust_peer *p = trust_find_id(t, m->to[i]);
		if (p == NULL || p->level != MSG_LEVEL_MEMBER) {
			*why = p == NULL ? POLICY_PEER_UNKNOWN : POLICY_EXTERNAL;
			return (int)i;
		}
	}
	return -1;
}

enum accept_verdict
accept_judge(const struct accept_ctx *c, const struct msg *m, const struct trust_peer *from,
    enum policy_reason *why)
{
	struct policy_msg pm = policy_msg_of(m);
	const struct trust_peer *origin = trust_find_id(c->trust, m->origin), *to;
	struct trust_peer as_new;
	struct target t = { NULL, { 0 }, false };
	int rc;

	*why = POLICY_OK;
	if ((rc = store_has(c->st, m->id)) == 1)
		return ACCEPT_DUP;
	if (rc < 0) {
		log_warnx("store: %s", store_strerror(rc));
		return ACCEPT_E_STORE;
	}
	if ((*why = policy_time_ok(&pm, c->now, c->retention_ms)) != POLICY_OK)
		return ACCEPT_REFUSED;
	/* A retraction is judged against the origin of what it retracts:
	 * never without it, whatever the order the two come in. */
	if (m->kind == MSG_KIND_RETRACT && m->has_ref) {
		if ((t.m = msg_new()) == NULL)
			return ACCEPT_E_STORE;
		rc = store_get(c->st, m->ref, s_target, &t);
		msg_destroy(&t.m);
		if (rc != STORE_OK && rc != STORE_E_NOTFOUND) {
			log_warnx("store: %s", store_strerror(rc));
			return ACCEPT_E_STORE;
		}
		if (!t.found)
			return ACCEPT_HOLD;
		pm.ref_origin = t.origin;
	}
	/* A rotation that comes after a roster made its new key final: its
	 * old key is judged as the SOC the new key is here. */
	if (origin == NULL && m->kind == MSG_KIND_ROTATE &&
	    (to = trust_find_id(c->trust, m->body.peer)) != NULL) {
		as_new = *to;
		memcpy(as_new.id, m->origin, MSG_KEY_LEN);
		origin = &as_new;
	}
	if (from == NULL && memcmp(m->origin, c->self, MSG_KEY_LEN) == 0) {
		if (pm.ref_origin != NULL && memcmp(pm.ref_origin, m->origin, MSG_KEY_LEN) != 0)
			*why = POLICY_RETRACT_NOT_ORIGIN;
		else
			(void)accept_recipients(c->trust, m, why);
	} else if (from == NULL && origin == NULL)
		*why = POLICY_ORIGIN_UNKNOWN;
	else
		*why = policy_may_accept(&pm, c->self, from != NULL ? from : origin, origin);
	/* A roster is judged against the one in force last: a replay or a
	 * conflict counts only once the rest allows it. */
	if (*why == POLICY_OK && c->roster != NULL && m->kind == MSG_KIND_ROSTER)
		*why = roster_judge(c->roster, m);
	/* A stolen old key writes nothing new once the overlap is over. */
	if (*why == POLICY_OK && c->roster != NULL && roster_retired(c->roster, m->origin, m->time))
		*why = POLICY_KEY_ROTATED;
	return *why == POLICY_OK ? ACCEPT_OK : ACCEPT_REFUSED;
}
