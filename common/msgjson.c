#include "msgjson.h"

#include "timefmt.h"
#include "util.h"

json_t *
msgjson_hex(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	hex_encode(hex, p, n);
	return json_string(hex);
}

static json_t *
s_str(struct msg_str s)
{
	return json_stringn(s.p, s.n);
}

static json_t *
s_strs(const struct msg_str *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, s_str(v[i]));
	return a;
}

json_t *
msgjson_node(const uint8_t key[MSG_KEY_LEN], const struct trust *t)
{
	const struct trust_peer *p = t != NULL ? trust_find_id(t, key) : NULL;
	return json_pack("{s:o,s:o}", "id", msgjson_hex(key, MSG_KEY_LEN), "name",
	    p != NULL ? json_string(p->name) : json_null());
}

json_t *
msgjson_indicators(const struct msg_body *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nindicators; i++)
		json_array_append_new(a,
		    json_pack("{s:s,s:o}", "type", ioc_type_name(b->indicators[i].type), "value",
		        s_str(b->indicators[i].value)));
	return a;
}

void
msgjson_case_fields(json_t *o, const struct msg_body *b)
{
	if (b->title.n)
		json_object_set_new(o, "title", s_str(b->title));
	if (b->summary.n)
		json_object_set_new(o, "summary", s_str(b->summary));
	if (b->category >= 0)
		json_object_set_new(o, "category",
		    json_string(msg_category_name((enum msg_category)b->category)));
	if (b->type.n)
		json_object_set_new(o, "type", s_str(b->type));
	if (b->severity >= 0)
		json_object_set_new(o, "severity",
		    json_string(msg_severity_name((enum msg_severity)b->severity)));
	if (b->impact >= 0)
		json_object_set_new(o, "impact",
		    json_string(msg_severity_name((enum msg_severity)b->impact)));
	if (b->status >= 0)
		json_object_set_new(o, "status",
		    json_string(msg_status_name((enum msg_status)b->status)));
	if (b->nsectors)
		json_object_set_new(o, "sectors", s_strs(b->sectors, b->nsectors));
	if (b->scope.n)
		json_object_set_new(o, "scope", s_str(b->scope));
	if (b->nindicators)
		json_object_set_new(o, "indicators", msgjson_indicators(b));
	if (b->nattack)
		json_object_set_new(o, "attack", s_strs(b->attack, b->nattack));
	if (b->nactions)
		json_object_set_new(o, "actions", s_strs(b->actions, b->nactions));
	if (b->detection.n)
		json_object_set_new(o, "detection", s_str(b->detection));
	if (b->effects.n)
		json_object_set_new(o, "effects", s_str(b->effects));
	if (b->response.n)
		json_object_set_new(o, "response", s_str(b->response));
	if (b->lessons.n)
		json_object_set_new(o, "lessons", s_str(b->lessons));
	if (b->expires) {
		char t[TIMEFMT_LEN];
		timefmt_format(t, b->expires);
		json_object_set_new(o, "expires", json_string(t));
	}
	if (b->has_lead)
		json_object_set_new(o, "lead", msgjson_hex(b->lead, MSG_KEY_LEN));
}

/* The fields present, and the lists always (empty when absent). */
static void
s_case(json_t *o, const struct msg_body *b)
{
	static const char *const lists[] = { "sectors", "indicators", "attack", "actions" };

	msgjson_case_fields(o, b);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (json_object_get(o, lists[i]) == NULL)
			json_object_set_new(o, lists[i], json_array());
}

/* A roster's members, or an endpoints message's entries. */
static json_t *
s_members(const struct msg_body *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nmembers; i++) {
		const struct msg_member *e = &b->members[i];
		json_t *o = json_pack("{s:o}", "id", msgjson_hex(e->id, MSG_KEY_LEN));
		if (e->endpoint.n > 0)
			json_object_set_new(o, "endpoint", s_str(e->endpoint));
		else {
			json_object_set_new(o, "name", s_str(e->name));
			json_object_set_new(o, "level", json_string(msg_level_name(e->level)));
			json_object_set_new(o, "coordinator", json_boolean(e->coordinator));
		}
		json_array_append_new(a, o);
	}
	return a;
}

json_t *
msgjson_new(const struct msg *m, const struct trust *t)
{
	char when[TIMEFMT_LEN];
	json_t *o, *to = json_array();

	timefmt_format(when, m->time);
	for (size_t i = 0; i < m->nto; i++)
		json_array_append_new(to, msgjson_node(m->to[i], t));
	o = json_pack("{s:o,s:o,s:I,s:s,s:s,s:s,s:o,s:o,s:b}", "id", msgjson_hex(m->id, MSG_ID_LEN),
	    "origin", msgjson_node(m->origin, t), "seq", (json_int_t)m->seq, "time", when, "tlp",
	    msg_tlp_name(m->tlp), "kind", msg_kind_name(m->kind), "ref",
	    m->has_ref ? msgjson_hex(m->ref, MSG_ID_LEN) : json_null(), "recipients", to, "sealed",
	    !m->has_body);
	if (o == NULL || !m->has_body)
		return o;
	switch (m->kind) {
	case MSG_KIND_INCIDENT:
	case MSG_KIND_UPDATE:
		s_case(o, &m->body);
		break;
	case MSG_KIND_COMMENT:
		json_object_set_new(o, "text", s_str(m->body.text));
		json_object_set_new(o, "indicators", msgjson_indicators(&m->body));
		break;
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
	case MSG_KIND_APPROVE:
		if (m->body.note.n)
			json_object_set_new(o, "note", s_str(m->body.note));
		break;
	case MSG_KIND_ENDPOINTS:
		json_object_set_new(o, "endpoints", s_members(&m->body));
		break;
	case MSG_KIND_ROTATE:
		json_object_set_new(o, "new_key", msgjson_hex(m->body.peer, MSG_KEY_LEN));
		break;
	case MSG_KIND_BEACON:
		json_object_set_new(o, "epoch", json_integer((json_int_t)m->body.epoch));
		json_object_set_new(o, "version", s_str(m->body.version));
		json_object_set_new(o, "peers", json_integer((json_int_t)m->body.peers));
		json_object_set_new(o, "store", json_integer((json_int_t)m->body.store));
		json_object_set_new(o, "flaps", json_integer((json_int_t)m->body.flaps));
		break;
	case MSG_KIND_ROSTER:
		if (m->body.epoch > 0) {
			json_object_set_new(o, "network", s_str(m->body.network));
			json_object_set_new(o, "epoch", json_integer((json_int_t)m->body.epoch));
			json_object_set_new(o, "threshold",
			    json_integer((json_int_t)m->body.threshold));
			json_object_set_new(o, "members", s_members(&m->body));
			break;
		}
		json_object_set_new(o, "peer", msgjson_hex(m->body.peer, MSG_KEY_LEN));
		json_object_set_new(o, "name", s_str(m->body.name));
		json_object_set_new(o, "level", json_string(msg_level_name(m->body.level)));
		json_object_set_new(o, "coordinator", json_boolean(m->body.coordinator));
		break;
	}
	return o;
}
