/*
 * socmesh lessons: what the network learned about a kind of incident —
 * the incidents and updates that carry detection, effects, response or
 * lessons (PROTOCOL.md section 5.1), newest stored first, found by the
 * daemon through their index keys (index_lessons.h: every one, or those
 * naming a category), never by a scan.  Sealed bodies addressed to this
 * node are opened here, as show opens them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "node.h"
#include "timefmt.h"
#include "util.h"

#define LESSONS_LIMIT 50 /* messages listed unless --limit */

struct lessons {
	struct cli *c;
	struct node *n;
	struct msg *m;
	struct cli_opened plain;
	size_t shown;
};

/* Multi-line text under a label, its next lines indented as the first. */
static void
s_text(const char *label, struct msg_str t)
{
	if (t.n == 0)
		return;
	printf("  %-10s ", label);
	for (size_t i = 0; i < t.n; i++) {
		putchar(t.p[i]);
		if (t.p[i] == '\n')
			fputs("             ", stdout);
	}
	putchar('\n');
}

/* One message, as a block of text or a JSON line (query's, with
 * "retracted" and "expired"). */
static void
s_print(struct lessons *l, const struct msg *m, const json_t *item)
{
	const struct msg_body *b = &m->body;
	bool retracted = json_is_true(json_object_get(item, "retracted"));
	bool expired = msg_expired(m, now_ms());
	char when[TIMEFMT_LEN], sb[13], ib[13];

	if (l->c->json) {
		json_t *o = cli_msgjson(l->n, m);
		json_object_set_new(json_object_get(o, "origin"), "name",
		    json_string(cli_name(l->n, m->origin, sb)));
		json_object_set_new(o, "retracted", json_boolean(retracted));
		json_object_set_new(o, "expired", json_boolean(expired));
		cli_print_json(l->c, o);
		return;
	}
	timefmt_format(when, m->time);
	when[16] = '\0';
	printf("%s%s  %s %s %s  %s%s", l->shown ? "\n" : "", when, cli_name(l->n, m->origin, sb),
	    msg_kind_name(m->kind), cli_short(m->id, ib), retracted ? "[retracted] " : "",
	    expired ? "[expired] " : "");
	if (b->category >= 0)
		printf("%s: ", msg_category_name((enum msg_category)b->category));
	if (b->title.n > 0)
		printf("%.*s\n", (int)b->title.n, b->title.p);
	else
		printf("(update of %s)\n", m->has_ref ? cli_short(m->ref, ib) : "?");
	s_text("detection:", b->detection);
	s_text("effects:", b->effects);
	s_text("response:", b->response);
	s_text("lessons:", b->lessons);
}

/* cli_pages(): one message the daemon found. */
static size_t
s_item(void *arg, json_t *o)
{
	struct lessons *l = arg;
	uint8_t *bytes;
	size_t len;
	bool ok;

	if ((bytes = control_unbase64(json_object_get(o, "message"), &len)) == NULL)
		return 0;
	ok = cli_decode(l->n, l->m, bytes, len, &l->plain) == 0 && l->m->has_body &&
	    msg_has_lessons(&l->m->body);
	if (ok) {
		s_print(l, l->m, o);
		l->shown++;
	}
	free(bytes);
	fflush(stdout);
	return ok;
}

static int
cmd_lessons(struct cli *c, json_t *opts, json_t *args)
{
	struct lessons l = { .c = c };
	json_t *q = json_pack("{s:s}", "cmd", "lessons");
	uint64_t since, limit = LESSONS_LIMIT;
	const char *v;
	int cat, rc = 1;

	(void)args;
	if ((v = cli_opt_str(opts, "category")) != NULL) {
		if (cli_word(c, "category", CLI_E_CATEGORY, v, &cat) != 0)
			goto out;
		json_object_set_new(q, "category", json_string(cli_word_name(CLI_E_CATEGORY, cat)));
	}
	if ((v = cli_opt_str(opts, "since")) != NULL) {
		if (cli_when(c, "since", v, CLI_FROM, now_ms(), &since) != 0)
			goto out;
		json_object_set_new(q, "since", json_integer((json_int_t)since));
	}
	if ((v = cli_opt_str(opts, "limit")) != NULL &&
	    (parse_uint(v, &limit) == -1 || limit == 0 || limit > 1000000)) {
		cli_error(c, "--limit: '%s' is not a number from 1 to 1000000", v);
		goto out;
	}
	json_object_set_new(q, "all", json_boolean(json_object_get(opts, "all") != NULL));
	if ((l.n = cli_open_reader(c)) == NULL)
		goto out;
	if ((l.m = msg_new()) == NULL) {
		cli_error(c, "out of memory");
		goto out;
	}
	rc = cli_pages(c, q, (size_t)limit, s_item, &l);
	q = NULL;
	if (rc == 0 && l.shown == 0 && !c->json)
		printf("no lessons\n");
	cli_end(c);
out:
	json_decref(q);
	cli_forget(&l.plain);
	msg_destroy(&l.m);
	node_close(&l.n);
	return rc;
}

int
cli_lessons_category(struct cli *c, json_t *o, const uint8_t ref[32])
{
	static const char *const texts[] = { "detection", "effects", "response", "lessons" };
	struct cli_opened plain = { NULL, 0 };
	struct node *n = NULL;
	struct msg *m = NULL;
	uint8_t *bytes = NULL;
	json_t *rep = NULL;
	bool has = false, missing;
	size_t len;
	int rc = 1;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		has |= cli_field(o, texts[i])[0] != '\0';
	if (!has || strcmp(cli_field(o, "kind"), "update") != 0 ||
	    json_object_get(o, "category") != NULL)
		return 0;
	if ((rep = cli_get(c, ref, &missing)) == NULL) {
		if (missing)
			cli_error(c, "--ref: the message is not here");
		return 1;
	}
	if ((bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    (m = msg_new()) == NULL) {
		cli_error(c, "out of memory");
		goto out;
	}
	if ((n = cli_open_reader(c)) == NULL)
		goto out;
	if (cli_decode(n, m, bytes, len, &plain) == 0 && m->has_body &&
	    m->kind == MSG_KIND_INCIDENT && m->body.category >= 0)
		json_object_set_new(o, "category",
		    json_string(msg_category_name((enum msg_category)m->body.category)));
	rc = 0;
out:
	cli_forget(&plain);
	msg_destroy(&m);
	node_close(&n);
	free(bytes);
	json_decref(rep);
	return rc;
}

static const struct cli_opt s_lessons_opts[] = {
	{ "category", "CATEGORY", "of this RSIT category (malicious-code, intrusions, fraud, ...)",
	    0 },
	{ "since", "WHEN", "created since: 30d, 1y, 2026-01-01, ...", 0 },
	{ "all", NULL, "retracted messages too", 0 },
	{ "limit", "N", "at most N messages (default 50)", 0 },
	{ "json-array", NULL, "with --json: one JSON array instead of lines", 0 },
	{ NULL },
};

const struct cli_cmd cli_lessons_cmd = { "lessons", cmd_lessons, NULL, 0, 0,
	"what the network learned: how incidents were detected, what they did, how they were "
	"handled",
	"  The incidents and updates that carry --detection, --effects, --response or\n"
	"  --lessons (publish), newest first.  An update is listed under a category when\n"
	"  it names one (publish gives it its case's when none is named).",
	s_lessons_opts };
