/*
 * The commands of a case: show (one message in full; a case as a
 * conversation, with its state: casestate.h), comment (the discussion of
 * a case) and assign (the origin names the SOC that leads the response).
 * A case is an incident and the messages that refer to it; names are this
 * node's labels, ids are what the messages carry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casestate.h"
#include "cli.h"
#include "control.h"
#include "msgjson.h"
#include "node.h"
#include "roster.h"
#include "timefmt.h"
#include "util.h"

/* ---- comment, assign ----------------------------------------------------- */

static int
cmd_comment(struct cli *c, json_t *opts, json_t *args)
{
	json_t *o = json_pack("{s:s,s:O}", "kind", "comment", "ref", json_array_get(args, 0));

	if (cli_fields_of(c, opts, o) != 0) {
		json_decref(o);
		return 1;
	}
	return cli_publish_ref(c, o);
}

/* A stored message, decoded (its body left sealed: the envelope is what
 * is asked).  NULL after an error line. */
static struct msg *
s_envelope(struct cli *c, const uint8_t id[32], uint8_t **bytes)
{
	struct msg *m = msg_new();
	json_t *rep = NULL;
	char hex[65];
	size_t len;
	bool missing;

	*bytes = NULL;
	hex_encode(hex, id, 32);
	if (m == NULL)
		cli_error(c, "out of memory");
	else if ((rep = cli_get(c, id, &missing)) == NULL) {
		if (missing)
			cli_error(c, "no message %s here", hex);
	} else if ((*bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    msg_decode(m, *bytes, len, 0) != MSG_OK)
		cli_error(c, "the stored message %s does not decode", hex);
	else {
		json_decref(rep);
		return m;
	}
	json_decref(rep);
	free(*bytes);
	*bytes = NULL;
	msg_destroy(&m);
	return NULL;
}

/* assign ID --lead NAME: an update of the case that names its lead; only
 * the case's origin may. */
static int
cmd_assign(struct cli *c, json_t *opts, json_t *args)
{
	const char *who = cli_opt_str(opts, "lead");
	struct node *n = NULL;
	struct msg *m = NULL;
	uint8_t id[32], lead[MSG_KEY_LEN], *bytes = NULL;
	char hex[65], lh[65], sb[13], err[256];
	int rc = 1;

	if (who == NULL)
		return cli_error(c, "--lead NAME is required: the SOC that leads the response");
	if (cli_id(c, json_string_value(json_array_get(args, 0)), id) != 0 ||
	    (n = cli_open(c, 0)) == NULL || (m = s_envelope(c, id, &bytes)) == NULL)
		goto out;
	hex_encode(hex, id, 32);
	if (m->kind != MSG_KIND_INCIDENT) {
		cli_error(c, "%s is no case (its kind is %s): assign the incident it refers to",
		    hex, msg_kind_name(m->kind));
		goto out;
	}
	if (!roster_same_soc(n->roster, m->origin, n->id)) {
		cli_error(c,
		    "only the case's origin, %s, names its lead (this node is %s); to suggest "
		    "one, comment on the case",
		    cli_name(n, m->origin, sb), n->cfg.name);
		goto out;
	}
	if (strcmp(who, n->cfg.name) == 0)
		memcpy(lead, n->id, MSG_KEY_LEN);
	else if (node_resolve(n, who, lead, err, sizeof err) == -1) {
		cli_error(c, "--lead: %s", err);
		goto out;
	}
	/* The lead must read the case: for an addressed TLP, a recipient. */
	if (msg_tlp_addressed(m->tlp) && !msg_is_recipient(m, lead) &&
	    !roster_same_soc(n->roster, m->origin, lead)) {
		cli_error(c,
		    "--lead: %s is not a recipient of this TLP:%s case and cannot read it (name "
		    "one of its recipients)",
		    who, msg_tlp_name(m->tlp));
		goto out;
	}
	hex_encode(lh, lead, MSG_KEY_LEN);
	rc = cli_publish_ref(c,
	    json_pack("{s:s,s:s,s:s}", "kind", "update", "ref", hex, "lead", lh));
out:
	msg_destroy(&m);
	free(bytes);
	node_close(&n);
	return rc;
}

/* ---- show ------------------------------------------------------------------ */

/* A message of the conversation: decoded, its body opened when this node
 * may; m borrows bytes and plain. */
struct item {
	uint8_t *bytes;
	struct msg *m;
	struct cli_opened plain;
	json_t *received; /* the daemon's, ms since the epoch, or NULL */
	bool retracted;   /* by its own origin, among the conversation's */
};

/* The message shown and the messages of its conversation. */
struct shown {
	struct cli *c;
	struct node *n;
	struct item root;
	struct item *v;
	size_t nv, cap;
	bool oom;
};

static void
s_item_free(struct item *it)
{
	cli_forget(&it->plain);
	msg_destroy(&it->m);
	free(it->bytes);
	json_decref(it->received);
}

/* A message the daemon sent (its object o), decoded into it.  0 or -1. */
static int
s_item(struct shown *s, struct item *it, json_t *o)
{
	size_t len;

	memset(it, 0, sizeof *it);
	if ((it->bytes = control_unbase64(json_object_get(o, "message"), &len)) == NULL ||
	    (it->m = msg_new()) == NULL ||
	    cli_decode(s->n, it->m, it->bytes, len, &it->plain) == -1) {
		s_item_free(it);
		return -1;
	}
	it->received = json_incref(json_object_get(o, "received"));
	return 0;
}

/* cli_pages() of thread: a message that refers to one of the case's. */
static size_t
s_take(void *arg, json_t *o)
{
	struct shown *s = arg;

	if (s->nv == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct item *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL) {
			s->oom = true;
			return 0;
		}
		s->v = v, s->cap = cap;
	}
	if (s_item(s, &s->v[s->nv], o) == -1)
		return 0;
	s->nv++;
	return 1;
}

static int
s_thread(struct shown *s, const uint8_t id[MSG_ID_LEN])
{
	char hex[65];

	hex_encode(hex, id, MSG_ID_LEN);
	if (cli_pages(s->c, json_pack("{s:s,s:s}", "cmd", "thread", "id", hex), 0, s_take, s) != 0)
		return 1;
	return s->oom ? cli_error(s->c, "out of memory") : 0;
}

/* By time, then by id: the order of a case (PROTOCOL.md 14.11). */
static int
s_order(const void *pa, const void *pb)
{
	const struct msg *a = ((const struct item *)pa)->m, *b = ((const struct item *)pb)->m;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return memcmp(a->id, b->id, MSG_ID_LEN);
}

/*
 * The conversation: the messages that refer to the one shown, and those
 * that refer to any of them (a retraction of an update, a comment on a
 * comment), in order of time; each marked retracted when its own origin
 * retracted it.  0, or 1 after an error line.
 */
static int
s_conversation(struct shown *s)
{
	size_t direct;

	if (s_thread(s, s->root.m->id) != 0)
		return 1;
	direct = s->nv;
	for (size_t i = 0; i < direct; i++)
		if (s->v[i].m->kind != MSG_KIND_RETRACT && s_thread(s, s->v[i].m->id) != 0)
			return 1;
	if (s->nv > 0)
		qsort(s->v, s->nv, sizeof *s->v, s_order);
	for (size_t i = 0; i < s->nv; i++) {
		const struct msg *r = s->v[i].m;
		if (r->kind != MSG_KIND_RETRACT)
			continue;
		for (size_t j = 0; j < s->nv; j++)
			if (memcmp(s->v[j].m->id, r->ref, MSG_ID_LEN) == 0 &&
			    memcmp(s->v[j].m->origin, r->origin, MSG_KEY_LEN) == 0)
				s->v[j].retracted = true;
	}
	return 0;
}

static bool
s_same_soc(void *arg, const uint8_t a[MSG_KEY_LEN], const uint8_t b[MSG_KEY_LEN])
{
	const struct node *n = arg;
	return roster_same_soc(n->roster, a, b);
}

/* {"id", "name"} of a node: this node's name, a trust-list name, or null. */
static json_t *
s_node_json(const struct node *n, const char *hex)
{
	uint8_t key[MSG_KEY_LEN];
	json_t *o;

	if (id_parse(key, hex) == -1)
		return json_null();
	o = msgjson_node(key, n->trust);
	if (memcmp(key, n->id, MSG_KEY_LEN) == 0)
		json_object_set_new(o, "name", json_string(n->cfg.name));
	return o;
}

/* The messages of the thread, as casestate.h takes them (the caller
 * frees the array); NULL when out of memory or when there are none. */
static const struct msg **
s_msgs(const struct shown *s)
{
	const struct msg **msgs = s->nv ? malloc(s->nv * sizeof *msgs) : NULL;

	for (size_t i = 0; msgs != NULL && i < s->nv; i++)
		msgs[i] = s->v[i].m;
	return msgs;
}

/* Whether the message shown is expired: a case by its state's expires,
 * any other message by its own (casestate_expired(), the one rule). */
static bool
s_expired(const struct shown *s)
{
	const struct msg **msgs = s_msgs(s);
	int r = s->nv > 0 && msgs == NULL
	    ? msg_expired(s->root.m, now_ms())
	    : casestate_expired(s->root.m, msgs, s->nv, s_same_soc, s->n, now_ms());

	free(msgs);
	return r == 1;
}

/* The case's state, with the names of this node's trust list: NULL when
 * the message shown is no opened incident. */
static json_t *
s_state(struct shown *s)
{
	const struct msg **msgs = s_msgs(s);
	json_t *st, *p;
	size_t i;

	if (s->nv > 0 && msgs == NULL)
		return NULL;
	st = casestate_json(s->root.m, msgs, s->nv, s_same_soc, s->n);
	free(msgs);
	if (st == NULL)
		return NULL;
	if (json_is_object(json_object_get(st, "lead")))
		json_object_set_new(st, "lead",
		    s_node_json(s->n, cli_field(json_object_get(st, "lead"), "id")));
	json_array_foreach(json_object_get(st, "proposals"), i, p) json_object_set_new(p,
	    "proposed_by", s_node_json(s->n, cli_field(json_object_get(p, "proposed_by"), "id")));
	return st;
}

/* Whether update u is a proposal in state st (not applied). */
static bool
s_proposal(const json_t *st, const struct msg *u)
{
	char hex[65];
	json_t *p;
	size_t i;

	hex_encode(hex, u->id, MSG_ID_LEN);
	json_array_foreach(json_object_get(st, "proposals"), i,
	    p) if (strcmp(cli_field(p, "id"), hex) == 0) return true;
	return false;
}

/* What an update holds, in a few words: "status contained, lead soc-b". */
static void
s_update_words(const struct node *n, const struct msg_body *b, char *buf, size_t len)
{
	size_t off = 0;
	char sb[13];

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (off < len)                                                                     \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                \
	} while (0)
	buf[0] = '\0';
	if (b->title.n)
		ADD("%stitle \"%.*s\"", off ? ", " : "", (int)b->title.n, b->title.p);
	if (b->status >= 0)
		ADD("%sstatus %s", off ? ", " : "", msg_status_name((enum msg_status)b->status));
	if (b->severity >= 0)
		ADD("%sseverity %s", off ? ", " : "",
		    msg_severity_name((enum msg_severity)b->severity));
	if (b->impact >= 0)
		ADD("%simpact %s", off ? ", " : "",
		    msg_severity_name((enum msg_severity)b->impact));
	if (b->category >= 0)
		ADD("%scategory %s", off ? ", " : "",
		    msg_category_name((enum msg_category)b->category));
	if (b->has_lead)
		ADD("%slead %s", off ? ", " : "", cli_name(n, b->lead, sb));
	if (b->nindicators)
		ADD("%s%zu indicator%s", off ? ", " : "", b->nindicators,
		    b->nindicators == 1 ? "" : "s");
	if (b->summary.n)
		ADD("%ssummary", off ? ", " : "");
	if (b->nactions)
		ADD("%sactions", off ? ", " : "");
	if (b->expires)
		ADD("%sexpires", off ? ", " : "");
#undef ADD
}

/* Multi-line text, its lines after the first indented under it. */
static void
s_lines(struct msg_str t, const char *indent)
{
	for (size_t i = 0; i < t.n; i++) {
		putchar(t.p[i]);
		if (t.p[i] == '\n')
			fputs(indent, stdout);
	}
}

/* What a case taught, the fields present, each under its label; lines
 * begin with indent. */
static void
s_lessons_text(const struct msg_body *b, const char *indent)
{
	const struct {
		const char *label;
		struct msg_str t;
	} f[] = { { "detection: ", b->detection }, { "effects:   ", b->effects },
		{ "response:  ", b->response }, { "lessons:   ", b->lessons } };
	char more[64];

	snprintf(more, sizeof more, "%s            ", indent);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (f[i].t.n == 0)
			continue;
		printf("%s%s", indent, f[i].label);
		s_lines(f[i].t, more);
		putchar('\n');
	}
}

/* One line of the conversation (text). */
static void
s_line(const struct shown *s, const struct item *it, const json_t *st, int wname)
{
	const struct msg *m = it->m;
	const struct msg_body *b = &m->body;
	char when[TIMEFMT_LEN], sb[13], ib[13], words[512];

	timefmt_format(when, m->time);
	printf("  %s  %-8s %-*s %s  %s%s", when, msg_kind_name(m->kind), wname,
	    cli_name(s->n, m->origin, sb), cli_short(m->id, ib),
	    it->retracted ? "[retracted] " : "", msg_expired(m, now_ms()) ? "[expired] " : "");
	if (m->kind == MSG_KIND_RETRACT) {
		printf("retracts %s", cli_short(m->ref, ib));
		if (m->has_body && b->note.n) {
			printf(": ");
			s_lines(b->note, "      ");
		}
	} else if (!m->has_body)
		printf("(sealed)");
	else if (m->kind == MSG_KIND_INCIDENT)
		printf("%.*s", (int)b->title.n, b->title.p);
	else if (m->kind == MSG_KIND_UPDATE) {
		s_update_words(s->n, b, words, sizeof words);
		printf("%s%s", st != NULL && s_proposal(st, m) ? "(proposal) " : "", words);
		if (msg_has_lessons(b)) {
			putchar('\n');
			s_lessons_text(b, "      ");
			return;
		}
	} else if (m->kind == MSG_KIND_COMMENT) {
		s_lines(b->text, "      ");
		if (b->nindicators)
			printf(" [%zu indicator%s]", b->nindicators,
			    b->nindicators == 1 ? "" : "s");
	} else if (b->note.n)
		s_lines(b->note, "      ");
	putchar('\n');
}

/* The state block of a case (text). */
static void
s_state_text(const struct shown *s, const json_t *st)
{
	const json_t *lead = json_object_get(st, "lead"), *p;
	char sb[13];
	size_t i;

	printf("state:      status %s, severity %s", cli_field(st, "status"),
	    cli_field(st, "severity"));
	if (json_is_string(json_object_get(st, "impact")))
		printf(", impact %s", cli_field(st, "impact"));
	printf(" (updated %s)\n", cli_field(st, "updated"));
	if (json_is_string(json_object_get(st, "expires")))
		printf("            expires %s%s\n", cli_field(st, "expires"),
		    s_expired(s) ? " [expired]" : "");
	printf("            title: %s\n", cli_field(st, "title"));
	printf("            %zu indicator%s\n", json_array_size(json_object_get(st, "indicators")),
	    json_array_size(json_object_get(st, "indicators")) == 1 ? "" : "s");
	if (json_is_object(lead))
		printf("lead:       %s\n",
		    json_is_string(json_object_get(lead, "name")) ? cli_field(lead, "name")
		                                                  : cli_field(lead, "id"));
	else
		printf("lead:       none named (the origin, %s, leads)\n",
		    cli_name(s->n, s->root.m->origin, sb));
	json_array_foreach(json_object_get(st, "proposals"), i, p)
	{
		const json_t *by = json_object_get(p, "proposed_by");
		const char *const keys[] = { "title", "status", "severity", "impact", "category",
			"lead" };
		printf("%s %s %.12s:", i ? "           " : "proposals: ",
		    json_is_string(json_object_get(by, "name")) ? cli_field(by, "name")
		                                                : cli_field(by, "id"),
		    cli_field(p, "id"));
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (json_is_string(json_object_get(p, keys[k])))
				printf(" %s %s", keys[k], cli_field(p, keys[k]));
		if (json_array_size(json_object_get(p, "indicators")) > 0)
			printf(" +%zu indicators",
			    json_array_size(json_object_get(p, "indicators")));
		putchar('\n');
	}
}

/* The fields of a case body that are present (an update's are few). */
static void
s_case_text(const struct node *n, const struct msg_body *b)
{
	char sb[13];

	if (b->title.n)
		printf("title:      %.*s\n", (int)b->title.n, b->title.p);
	if (b->category >= 0)
		printf("category:   %s%s%.*s\n", msg_category_name((enum msg_category)b->category),
		    b->type.n ? " / " : "", (int)b->type.n, b->type.p);
	else if (b->type.n)
		printf("type:       %.*s\n", (int)b->type.n, b->type.p);
	if (b->severity >= 0) {
		printf("severity:   %s", msg_severity_name((enum msg_severity)b->severity));
		if (b->impact >= 0)
			printf(" (impact %s)", msg_severity_name((enum msg_severity)b->impact));
		putchar('\n');
	} else if (b->impact >= 0)
		printf("impact:     %s\n", msg_severity_name((enum msg_severity)b->impact));
	if (b->status >= 0)
		printf("status:     %s\n", msg_status_name((enum msg_status)b->status));
	if (b->has_lead)
		printf("lead:       %s\n", cli_name(n, b->lead, sb));
	for (size_t i = 0; i < b->nsectors; i++)
		printf("%s %.*s\n", i ? "           " : "sectors:   ", (int)b->sectors[i].n,
		    b->sectors[i].p);
	if (b->summary.n) {
		printf("summary:    ");
		s_lines(b->summary, "            ");
		putchar('\n');
	}
	if (b->scope.n) {
		printf("scope:      ");
		s_lines(b->scope, "            ");
		putchar('\n');
	}
	for (size_t i = 0; i < b->nattack; i++)
		printf("%s %.*s\n", i ? "           " : "att&ck:    ", (int)b->attack[i].n,
		    b->attack[i].p);
	for (size_t i = 0; i < b->nactions; i++)
		printf("%s %.*s\n", i ? "           " : "actions:   ", (int)b->actions[i].n,
		    b->actions[i].p);
	s_lessons_text(b, "");
	if (b->expires) {
		char when[TIMEFMT_LEN];
		timefmt_format(when, b->expires);
		printf("expires:    %s%s\n", when, b->expires <= now_ms() ? " [expired]" : "");
	}
}

/* The message shown, in full (text). */
static void
s_show_text(const struct node *n, const struct msg *m, bool retracted)
{
	const struct msg_body *b = &m->body;
	char when[TIMEFMT_LEN], hex[65], sb[13];

	hex_encode(hex, m->id, 32);
	timefmt_format(when, m->time);
	printf("id:         %s\n", hex);
	printf("origin:     %s (seq %llu)%s\n", cli_name(n, m->origin, sb),
	    (unsigned long long)m->seq,
	    cli_revoked(n, m->origin) ? " [revoked origin: no longer trusted here]" : "");
	printf("time:       %s\n", when);
	printf("tlp:        %s\nkind:       %s%s\n", msg_tlp_name(m->tlp), msg_kind_name(m->kind),
	    retracted ? " (retracted by its origin)" : "");
	if (m->has_ref) {
		hex_encode(hex, m->ref, 32);
		printf("ref:        %s\n", hex);
	}
	for (size_t i = 0; i < m->nto; i++)
		printf("%s %s\n", i == 0 ? "recipients:" : "           ",
		    cli_name(n, m->to[i], sb));
	if (!m->has_body) {
		printf("body:       sealed to its recipients\n");
		return;
	}
	if (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE)
		s_case_text(n, b);
	else if (m->kind == MSG_KIND_ROSTER || m->kind == MSG_KIND_ENDPOINTS ||
	    m->kind == MSG_KIND_ROTATE) {
		char title[128];
		cli_governs_title(m, title, sizeof title);
		printf("title:      %s\n", title);
		for (size_t i = 0; i < b->nmembers; i++) {
			const struct msg_member *e = &b->members[i];
			hex_encode(hex, e->id, MSG_KEY_LEN);
			if (m->kind == MSG_KIND_ENDPOINTS)
				printf("%s %s %.*s\n", i ? "           " : "endpoints: ", hex,
				    (int)e->endpoint.n, e->endpoint.p);
			else
				printf("%s %-16.*s %-9s %-11s %s\n",
				    i ? "           " : "members:   ", (int)e->name.n, e->name.p,
				    msg_level_name(e->level), e->coordinator ? "coordinator" : "",
				    hex);
		}
	} else if (m->kind == MSG_KIND_COMMENT) {
		printf("text:       ");
		s_lines(b->text, "            ");
		putchar('\n');
	} else if (b->note.n) {
		printf("note:       ");
		s_lines(b->note, "            ");
		putchar('\n');
	}
}

/* Who reported an indicator here: messages and distinct origins, the
 * retracted ones left out (a withdrawn false positive is no report). */
struct reports {
	const struct node *n;
	uint8_t (*origins)[MSG_KEY_LEN];
	size_t msgs, norigins, cap;
};

/* cli_pages() of the reports: one message carrying the indicator, counted. */
static size_t
s_report_item(void *arg, json_t *o)
{
	struct reports *r = arg;
	uint8_t origin[MSG_KEY_LEN];
	size_t i;

	if (json_is_true(json_object_get(o, "retracted")) ||
	    id_parse(origin, cli_field(o, "origin")) == -1 || cli_revoked(r->n, origin))
		return 1;
	r->msgs++;
	/* One SOC, whatever keys its rotations gave it. */
	for (i = 0; i < r->norigins && !roster_same_soc(r->n->roster, r->origins[i], origin); i++)
		;
	if (i < r->norigins)
		return 1;
	if (r->norigins == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		void *p = realloc(r->origins, cap * sizeof *r->origins);
		if (p == NULL)
			return 1;
		r->origins = p, r->cap = cap;
	}
	memcpy(r->origins[r->norigins++], origin, MSG_KEY_LEN);
	return 1;
}

/* The reports of indicator x, asked of the daemon (its ids and origins,
 * no bytes).  0, or 1 after an error line. */
static int
s_reports(struct cli *c, const struct node *n, const struct msg_ioc *x, size_t *msgs, json_t **socs)
{
	struct reports r = { .n = n };
	json_t *q = cli_ioc_json(x->type, x->value.p, x->value.n);
	char sb[13];
	int rc;

	if (q == NULL)
		return cli_error(c, "out of memory");
	rc = cli_pages(c,
	    json_pack("{s:s,s:o,s:b,s:b}", "cmd", "query", "indicator", q, "all", 1, "brief", 1), 0,
	    s_report_item, &r);
	*msgs = r.msgs;
	*socs = json_array();
	for (size_t i = 0; i < r.norigins; i++)
		json_array_append_new(*socs, json_string(cli_name(n, r.origins[i], sb)));
	free(r.origins);
	return rc;
}

/* The daemon's lookup of m's indicators, its "results" in their order:
 * "warning" names the warning list that marks one benign.  NULL after an
 * error line. */
static json_t *
s_lookup(struct cli *c, const struct msg *m)
{
	json_t *a = json_array(), *rep, *res;

	for (size_t i = 0; a != NULL && i < m->body.nindicators; i++)
		json_array_append_new(a,
		    cli_ioc_json(m->body.indicators[i].type, m->body.indicators[i].value.p,
		        m->body.indicators[i].value.n));
	if (a == NULL) {
		cli_error(c, "out of memory");
		return NULL;
	}
	if ((rep = cli_ask(c, json_pack("{s:s,s:o}", "cmd", "lookup", "indicators", a))) == NULL)
		return NULL;
	res = json_incref(json_object_get(rep, "results"));
	json_decref(rep);
	return res;
}

/* For each indicator of m: which SOCs reported it here (trusted, not
 * blocked, and not retracted), and the warning list that marks it benign,
 * into reports (JSON) or printed.  0, or 1 after an error line. */
static int
s_indicators(struct shown *s, json_t *reports)
{
	const struct msg *m = s->root.m;
	const char *warn;
	size_t j;
	json_t *v, *found;

	if (!m->has_body || m->body.nindicators == 0)
		return 0;
	if ((found = s_lookup(s->c, m)) == NULL)
		return 1;
	if (!s->c->json)
		printf("indicators: %-10s %-48s %s\n", "TYPE", "VALUE", "REPORTED BY");
	for (size_t i = 0; i < m->body.nindicators; i++) {
		const struct msg_ioc *x = &m->body.indicators[i];
		json_t *socs = NULL;
		size_t msgs = 0;
		if (s_reports(s->c, s->n, x, &msgs, &socs) != 0) {
			json_decref(socs);
			json_decref(found);
			return 1;
		}
		warn = json_string_value(json_object_get(json_array_get(found, i), "warning"));
		if (s->c->json) {
			json_array_append_new(reports,
			    json_pack("{s:s,s:s%,s:I,s:o,s:I,s:o}", "type", ioc_type_name(x->type),
			        "value", x->value.p, x->value.n, "socs",
			        (json_int_t)json_array_size(socs), "reported_by", socs, "messages",
			        (json_int_t)msgs, "warning",
			        warn != NULL ? json_string(warn) : json_null()));
			continue;
		}
		printf("            %-10s %-48.*s %zu SOC%s (", ioc_type_name(x->type),
		    (int)x->value.n, x->value.p, json_array_size(socs),
		    json_array_size(socs) == 1 ? "" : "s");
		json_array_foreach(socs, j, v) printf("%s%s", j ? ", " : "", json_string_value(v));
		printf("), %zu message%s%s%s\n", msgs, msgs == 1 ? "" : "s",
		    warn != NULL ? "  benign: " : "", warn != NULL ? warn : "");
		json_decref(socs);
	}
	json_decref(found);
	return 0;
}

/* The message of an item as JSON: msgjson's, with "received" and
 * "retracted". */
static json_t *
s_item_json(const struct shown *s, const struct item *it)
{
	json_t *o = cli_msgjson(s->n, it->m);
	char when[TIMEFMT_LEN];

	if (json_is_integer(it->received)) {
		timefmt_format(when, (uint64_t)json_integer_value(it->received));
		json_object_set_new(o, "received", json_string(when));
	}
	json_object_set_new(o, "retracted", json_boolean(it->retracted));
	json_object_set_new(o, "expired", json_boolean(msg_expired(it->m, now_ms())));
	return o;
}

static int
s_show(struct shown *s, const uint8_t id[32])
{
	struct cli *c = s->c;
	json_t *rep, *o = NULL, *st = NULL, *reports = NULL, *thread;
	json_t *camp = NULL, *v;
	size_t ci;
	bool missing, retracted, incident;
	char hex[65], sb[13];
	int wname = 0, rc = 1;

	hex_encode(hex, id, 32);
	if ((rep = cli_get(c, id, &missing)) == NULL)
		return missing ? cli_error(c, "no message %s here", hex) : 1;
	retracted = json_is_true(json_object_get(rep, "retracted"));
	if (s_item(s, &s->root, rep) == -1) {
		json_decref(rep);
		return cli_error(c, "the stored message does not decode");
	}
	json_decref(rep);
	s->root.retracted = retracted;
	if (c->json) {
		o = cli_msgjson(s->n, s->root.m);
		json_object_set_new(o, "retracted", json_boolean(retracted));
		json_object_set_new(o, "revoked",
		    json_boolean(cli_revoked(s->n, s->root.m->origin)));
		reports = json_array();
	} else
		s_show_text(s->n, s->root.m, retracted);
	if (s_indicators(s, reports) != 0 || s_conversation(s) != 0)
		goto out;
	incident = s->root.m->kind == MSG_KIND_INCIDENT && s->root.m->has_body;
	if (incident && (st = s_state(s)) == NULL) {
		cli_error(c, "out of memory");
		goto out;
	}
	camp = incident ? cli_campaign_of(c, s->root.m->id) : NULL;
	if (c->json) {
		thread = json_array();
		for (size_t i = 0; i < s->nv; i++)
			json_array_append_new(thread, s_item_json(s, &s->v[i]));
		json_object_set_new(o, "expired", json_boolean(s_expired(s)));
		json_object_set_new(o, "reports", reports);
		json_object_set_new(o, "thread", thread);
		if (st != NULL)
			json_object_set_new(o, "state", json_incref(st));
		json_object_set_new(o, "campaign", camp != NULL ? json_incref(camp) : json_null());
		cli_print_json(c, o);
		cli_end(c);
		o = reports = NULL;
		rc = 0;
		goto out;
	}
	if (st != NULL)
		s_state_text(s, st);
	if (camp != NULL) {
		printf("campaign:   part of one: %zu cases from",
		    json_array_size(json_object_get(camp, "cases")));
		json_array_foreach(json_object_get(camp, "socs"), ci, v)
		    printf("%s %s", ci ? "," : "", json_string_value(v));
		printf(" (socmesh campaigns)\n");
	}
	wname = cli_width(wname, cli_name(s->n, s->root.m->origin, sb));
	for (size_t i = 0; i < s->nv; i++)
		wname = cli_width(wname, cli_name(s->n, s->v[i].m->origin, sb));
	printf("%s\n", incident ? "conversation:" : "thread:");
	if (incident)
		s_line(s, &s->root, st, wname);
	for (size_t i = 0; i < s->nv; i++)
		s_line(s, &s->v[i], st, wname);
	rc = 0;
out:
	json_decref(camp);
	json_decref(st);
	json_decref(o);
	json_decref(reports);
	return rc;
}

static int
cmd_show(struct cli *c, json_t *opts, json_t *args)
{
	struct shown s = { .c = c };
	uint8_t id[32];
	int rc = 1;

	(void)opts;
	if (cli_id(c, json_string_value(json_array_get(args, 0)), id) == 0 &&
	    (s.n = cli_open_reader(c)) != NULL)
		rc = s_show(&s, id);
	for (size_t i = 0; i < s.nv; i++)
		s_item_free(&s.v[i]);
	free(s.v);
	s_item_free(&s.root);
	node_close(&s.n);
	return rc;
}

/* ---- the commands ---------------------------------------------------------- */

static const struct cli_opt s_show_opts[] = { { NULL } };

static const struct cli_opt s_comment_opts[] = {
	{ "text", "TEXT", "what to say (at most 4096 bytes; - reads stdin)", CLI_TEXT },
	{ "indicator", "[TYPE:]VALUE", "an indicator; defanged forms are accepted", CLI_MANY },
	{ "tlp", "TLP", "its own TLP (else the case's, and its recipients)", 0 },
	{ "to", "NAME|ID", "its own recipients", CLI_MANY },
	{ NULL },
};

static const struct cli_opt s_assign_opts[] = {
	{ "lead", "NAME|ID", "the SOC that leads the response (a trust-list name)", 0 },
	{ NULL },
};

const struct cli_cmd cli_show_cmd = { "show", cmd_show, "ID", 1, 1,
	"one message in full; a case as a conversation, with its state and lead",
	"  For an incident: its state (the origin's and the lead's updates; the others'\n"
	"  are proposals), its lead, and the conversation: updates, comments, sightings,\n"
	"  retractions, oldest first.  Then who else reported its indicators.",
	s_show_opts };

const struct cli_cmd cli_comment_cmd = { "comment", cmd_comment, "ID", 1, 1,
	"add to the discussion of a case (its TLP and recipients unless given)", NULL,
	s_comment_opts };

const struct cli_cmd cli_assign_cmd = { "assign", cmd_assign, "ID", 1, 1,
	"name the SOC that leads the response to a case (its origin only)",
	"  An update of the case whose lead is that SOC's node id: the lead's updates\n"
	"  then count as the case's state.  Assign again to hand the lead on.",
	s_assign_opts };
