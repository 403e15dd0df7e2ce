/*
 * socmesh lookup: indicators from a file or stdin, one a line, any type,
 * typed or not, defanged or not (read as publish reads them:
 * ioc_parse_text()); for each, whether this node knows it, in which cases,
 * from which SOCs, first and last seen, TLPs, whether expired, and the
 * warning list that marks it benign.  The daemon answers batches of
 * CONTROL_LOOKUP_MAX from its indicator index (control.h, "lookup"); a
 * line that is no indicator is reported in its own row, not fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "ioc.h"
#include "node.h"
#include "timefmt.h"
#include "util.h"

/* A line longer than this is no indicator (its rest is skipped). */
#define LOOKUP_LINE_MAX (IOC_MAX_VALUE + 64)

/* One indicator read: its line, as written, and why it is none. */
struct row {
	size_t line;
	char *text;
	char *error; /* NULL when it is sent to the daemon */
};

struct lookup {
	struct cli *c;
	struct node *n;
	bool include_expired;
	struct row rows[CONTROL_LOOKUP_MAX];
	size_t nrows;
	size_t known, unknown, invalid;
};

/* The ids of array a (hex strings) as "NAME, NAME" (names of SOCs) or
 * short ids, into buf. */
static void
s_ids(const struct lookup *l, const json_t *a, bool socs, char *buf, size_t len)
{
	uint8_t id[MSG_ID_LEN];
	char nb[13];
	size_t i, at = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		int w;
		if (s == NULL || id_parse(id, s) == -1 || at >= len)
			continue;
		w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
		    socs ? cli_name(l->n, id, nb) : cli_short(id, nb));
		at += w > 0 ? (size_t)w : 0;
	}
}

/* The TLP names of array a as "clear, amber", into buf. */
static void
s_words(const json_t *a, char *buf, size_t len)
{
	size_t i, at = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		int w;
		if (at >= len)
			break;
		w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", json_string_value(v));
		at += w > 0 ? (size_t)w : 0;
	}
}

/* A time member (ms) in RFC 3339, to the minute, into buf. */
static const char *
s_time(const json_t *r, const char *key, char buf[TIMEFMT_LEN])
{
	timefmt_format(buf, (uint64_t)json_integer_value(json_object_get(r, key)));
	buf[16] = '\0';
	return buf;
}

/* The daemon's result r for row w, as text. */
static void
s_print_text(struct lookup *l, const struct row *w, const json_t *r)
{
	char socs[1024], cases[1024], tlps[128], first[TIMEFMT_LEN], last[TIMEFMT_LEN];
	const char *warn = json_string_value(json_object_get(r, "warning"));
	bool expired = json_is_true(json_object_get(r, "expired"));

	printf("%s  %s  ", w->text, cli_field(r, "type"));
	if (!json_is_true(json_object_get(r, "known")))
		printf("unknown%s",
		    expired ? " (known only from expired messages: --include-expired)" : "");
	else {
		s_ids(l, json_object_get(r, "socs"), true, socs, sizeof socs);
		s_ids(l, json_object_get(r, "cases"), false, cases, sizeof cases);
		s_words(json_object_get(r, "tlp"), tlps, sizeof tlps);
		printf("known: %lld message%s, %zu SOC%s (%s%s), cases %s%s, %s to %s, %s%s%s",
		    (long long)json_integer_value(json_object_get(r, "messages")),
		    json_integer_value(json_object_get(r, "messages")) == 1 ? "" : "s",
		    json_array_size(json_object_get(r, "socs")),
		    json_array_size(json_object_get(r, "socs")) == 1 ? "" : "s", socs,
		    json_is_true(json_object_get(r, "more_socs")) ? ", ..." : "",
		    cases[0] != '\0' ? cases : "-",
		    json_is_true(json_object_get(r, "more_cases")) ? ", ..." : "",
		    s_time(r, "first_seen", first), s_time(r, "last_seen", last), tlps,
		    expired ? " [expired]" : "",
		    json_is_true(json_object_get(r, "truncated")) ? " [newest only]" : "");
	}
	if (warn != NULL)
		printf("  benign: %s", warn);
	putchar('\n');
}

/* Row w with the daemon's result r (NULL for a line that is no
 * indicator), as a JSON line or text. */
static void
s_print(struct lookup *l, const struct row *w, json_t *r)
{
	uint8_t id[MSG_KEY_LEN];
	char nb[13];
	json_t *socs, *v;
	size_t i;

	if (r == NULL)
		l->invalid++;
	else if (json_is_true(json_object_get(r, "known")))
		l->known++;
	else
		l->unknown++;
	if (!l->c->json) {
		if (r == NULL)
			printf("%s  invalid: %s (line %zu)\n", w->text, w->error, w->line);
		else
			s_print_text(l, w, r);
		return;
	}
	r = r != NULL ? json_deep_copy(r) : json_pack("{s:s}", "error", w->error);
	if (r == NULL)
		return;
	json_object_set_new(r, "indicator", json_string(w->text));
	json_object_set_new(r, "line", json_integer((json_int_t)w->line));
	/* The SOCs named as show names them. */
	if ((socs = json_object_get(r, "socs")) != NULL) {
		json_t *named = json_array();
		json_array_foreach(socs, i, v)
		{
			if (id_parse(id, json_string_value(v)) == 0)
				json_array_append_new(named,
				    json_pack("{s:O,s:s}", "id", v, "name",
				        cli_name(l->n, id, nb)));
		}
		json_object_set_new(r, "socs", named);
	}
	cli_print_json(l->c, r);
}

/* Sends the rows read to the daemon and prints each.  0, or 1 after an
 * error line. */
static int
s_flush(struct lookup *l)
{
	json_t *a = json_array(), *rep, *res;
	struct ioc_value v;
	size_t k = 0, sent;
	int rc = 0;

	for (size_t i = 0; a != NULL && i < l->nrows; i++)
		if (l->rows[i].error == NULL &&
		    ioc_parse_text(l->rows[i].text, strlen(l->rows[i].text), &v, NULL, 0) == 0)
			json_array_append_new(a, cli_ioc_json(v.type, v.value, v.len));
	if (a == NULL)
		return cli_error(l->c, "out of memory");
	if ((sent = json_array_size(a)) == 0)
		rep = NULL, json_decref(a);
	else if ((rep = cli_ask(l->c,
	              json_pack("{s:s,s:o,s:b}", "cmd", "lookup", "indicators", a,
	                  "include_expired", l->include_expired))) == NULL)
		rc = 1;
	res = json_object_get(rep, "results");
	if (rc == 0 && json_array_size(res) != sent)
		rc = cli_error(l->c, "the daemon answered %zu results for %zu indicators",
		    json_array_size(res), sent);
	for (size_t i = 0; rc == 0 && i < l->nrows; i++)
		s_print(l, &l->rows[i], l->rows[i].error == NULL ? json_array_get(res, k++) : NULL);
	for (size_t i = 0; i < l->nrows; i++) {
		free(l->rows[i].text);
		free(l->rows[i].error);
	}
	l->nrows = 0;
	json_decref(rep);
	fflush(stdout);
	return rc;
}

/* One line read (len bytes at s, its newline removed): a row, unless it
 * is blank or a comment.  0, or 1 after an error line. */
static int
s_line(struct lookup *l, size_t line, const char *s, size_t len, bool cut)
{
	struct ioc_value v;
	struct row *w;
	char err[512];

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || *s == '#')
		return 0;
	w = &l->rows[l->nrows];
	w->line = line, w->error = NULL;
	if ((w->text = strndup(s, len < 256 || !cut ? len : 256)) == NULL)
		return cli_error(l->c, "out of memory");
	if (cut || memchr(s, '\0', len) != NULL)
		snprintf(err, sizeof err, "%s",
		    cut ? "longer than an indicator can be" : "a NUL byte in the line");
	else if (ioc_parse_text(s, len, &v, err, sizeof err) == 0)
		err[0] = '\0';
	if (err[0] != '\0' && (w->error = strdup(err)) == NULL) {
		free(w->text);
		return cli_error(l->c, "out of memory");
	}
	return ++l->nrows == CONTROL_LOOKUP_MAX ? s_flush(l) : 0;
}

/* The next line of f into buf (at most cap bytes, NUL bytes kept; *cut
 * when there were more), without its newline: its length into *len.  -1
 * at the end of f. */
static int
s_getline(FILE *f, char *buf, size_t cap, size_t *len, bool *cut)
{
	size_t n = 0;
	bool any = false;
	int ch;

	*cut = false;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		any = true;
		if (n < cap)
			buf[n++] = (char)ch;
		else
			*cut = true;
	}
	*len = n;
	return ch == EOF && !any ? -1 : 0;
}

/* Every line of f, in batches.  0, or 1 after an error line. */
static int
s_read(struct lookup *l, FILE *f, const char *name)
{
	char buf[LOOKUP_LINE_MAX];
	size_t line = 0, len;
	bool cut;
	int rc = 0;

	while (rc == 0 && s_getline(f, buf, sizeof buf, &len, &cut) == 0)
		rc = s_line(l, ++line, buf, len, cut);
	if (rc == 0 && ferror(f))
		rc = cli_error(l->c, "%s: %s", name, strerror(errno));
	if (rc == 0 && l->nrows > 0)
		rc = s_flush(l);
	for (size_t i = 0; i < l->nrows; i++) {
		free(l->rows[i].text);
		free(l->rows[i].error);
	}
	return rc;
}

static int
cmd_lookup(struct cli *c, json_t *opts, json_t *args)
{
	const char *file = json_string_value(json_array_get(args, 0));
	struct lookup *l = calloc(1, sizeof *l);
	FILE *f = stdin;
	int rc = 1;

	if (l == NULL)
		return cli_error(c, "out of memory");
	l->c = c;
	l->include_expired = json_object_get(opts, "include-expired") != NULL;
	if (file != NULL && strcmp(file, "-") != 0 && (f = fopen(file, "r")) == NULL)
		cli_error(c, "%s: %s", file, strerror(errno));
	else if ((l->n = cli_open(c, 0)) != NULL)
		rc = s_read(l, f, file != NULL ? file : "stdin");
	if (rc == 0 && !c->json)
		fprintf(stderr, "%zu known, %zu unknown, %zu invalid\n", l->known, l->unknown,
		    l->invalid);
	cli_end(c);
	if (f != NULL && f != stdin)
		fclose(f);
	node_close(&l->n);
	free(l);
	return rc;
}

static const struct cli_opt s_lookup_opts[] = {
	{ "include-expired", NULL, "count messages past their expires too", 0 },
	{ "json-array", NULL, "with --json: one JSON array instead of lines", 0 },
	{ NULL },
};

const struct cli_cmd cli_lookup_cmd = { "lookup", cmd_lookup, "[FILE]", 0, 1,
	"look up indicators in bulk (a file or stdin, one a line): known, cases, SOCs, TLP",
	"  Each line is TYPE:VALUE or a value alone, defanged or not (hxxp, [.]); blank\n"
	"  lines and lines starting with # are skipped.  A line that is no indicator\n"
	"  is reported in its own row.  --json gives one JSON line per indicator (for a\n"
	"  SOAR); \"warning\" names the warning list that marks an indicator benign.",
	s_lookup_opts };
