/*
 * cli_interop.c — the bridges to the tools SOCs already use (docs/INTEROP.md):
 * `export --format stix|misp` writes what the node holds as one STIX 2.1
 * bundle or as MISP events, `import --format stix|misp` publishes this
 * node's own messages from such a document.  The conversions are
 * common/stix.c and common/misp.c; this file gathers the messages through
 * the daemon and publishes the plans through it (interop_run.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "interop.h"
#include "interop_run.h"
#include "misp.h"
#include "msg.h"
#include "stix.h"
#include "util.h"

/* Messages of a case's thread that an export reads, at most. */
#define EXPORT_THREAD  1000
#define EXPORT_LIMIT   10000 /* messages of a query, unless --limit says */
#define IMPORT_MAX_DOC (32u * 1024u * 1024u)

enum format { FORMAT_MSGPACK, FORMAT_STIX, FORMAT_MISP };

int
cli_format(struct cli *c, json_t *opts)
{
	const char *v = cli_opt_str(opts, "format");

	if (v == NULL || strcmp(v, "socmesh") == 0)
		return FORMAT_MSGPACK;
	if (strcasecmp(v, "stix") == 0)
		return FORMAT_STIX;
	if (strcasecmp(v, "misp") == 0)
		return FORMAT_MISP;
	cli_error(c, "--format: '%s' is not stix, misp or socmesh", v);
	return -1;
}

/* The messages being exported: by id, in the order they came. */
struct gather {
	struct cli *c;
	json_t *byid;  /* id -> message JSON */
	json_t *order; /* ids */
};

static void
s_take(void *arg, json_t *o)
{
	struct gather *g = arg;
	const char *id = cli_field(o, "id");

	if (*id == '\0' || json_object_get(g->byid, id) != NULL)
		return;
	json_object_set(g->byid, id, o);
	json_array_append_new(g->order, json_string(id));
}

/* cli_pages(): the message objects of a reply, gathered. */
static size_t
s_item(void *arg, json_t *o)
{
	json_array_append(arg, o);
	return 1;
}

/* The stored message hex, as the daemon gives it, onto pending (once);
 * 0, or 1 after an error line (a message not here is no error: a case's
 * incident may have expired). */
static int
s_get(struct gather *g, const char *hex, json_t *pending, json_t *asked)
{
	uint8_t id[MSG_ID_LEN];
	json_t *rep;
	bool missing;

	if (json_object_get(g->byid, hex) != NULL || json_object_get(asked, hex) != NULL ||
	    id_parse(id, hex) == -1)
		return 0;
	json_object_set_new(asked, hex, json_true());
	if ((rep = cli_get(g->c, id, &missing)) == NULL)
		return missing ? 0 : 1;
	json_array_append_new(pending, rep);
	return 0;
}

/* The pending messages decoded into g (one opening of the node for all
 * of them), and pending emptied. */
static int
s_flush(struct gather *g, json_t *pending)
{
	int rc = json_array_size(pending) > 0 ? cli_collect(g->c, NULL, pending, 0, s_take, g) : 0;

	json_array_clear(pending);
	return rc;
}

/* Each case whole: what every message refers to, up to its incident (a
 * round fetches the references of the messages the last one gathered: a
 * comment on an update, the update, then the incident; each message is
 * gathered once, so the rounds end), and the thread of every incident,
 * decoded EXPORT_THREAD messages at a time. */
static int
s_context(struct gather *g)
{
	json_t *pending = json_array(), *asked = json_object();
	size_t done = 0, n, i;
	int rc = pending == NULL || asked == NULL ? cli_error(g->c, "out of memory") : 0;

	while (rc == 0 && json_array_size(g->order) > done) {
		n = json_array_size(g->order);
		for (i = done; rc == 0 && i < n; i++) {
			json_t *o = json_object_get(g->byid,
			    json_string_value(json_array_get(g->order, i)));
			const char *kind = cli_field(o, "kind"), *ref = cli_field(o, "ref");
			if (strcmp(kind, "incident") != 0 && *ref != '\0')
				rc = s_get(g, ref, pending, asked);
		}
		done = n;
		if (rc == 0)
			rc = s_flush(g, pending);
	}
	n = json_array_size(g->order);
	for (i = 0; rc == 0 && i < n; i++) {
		const char *id = json_string_value(json_array_get(g->order, i));
		if (strcmp(cli_field(json_object_get(g->byid, id), "kind"), "incident") != 0)
			continue;
		rc = cli_pages(g->c, json_pack("{s:s,s:s}", "cmd", "thread", "id", id),
		    EXPORT_THREAD, s_item, pending);
		if (rc == 0 && json_array_size(pending) >= EXPORT_THREAD)
			rc = s_flush(g, pending);
	}
	if (rc == 0)
		rc = s_flush(g, pending);
	json_decref(pending);
	json_decref(asked);
	return rc;
}

/* Oldest committed first: the order in which the exporters take them. */
static int
s_by_cursor(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "cursor"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "cursor"));

	return x < y ? -1 : x > y;
}

/* The document of the gathered messages in format f; NULL after an error
 * line. */
static json_t *
s_document(struct cli *c, struct gather *g, enum format f)
{
	size_t n = json_array_size(g->order), k = 0;
	json_t **v = calloc(n + 1, sizeof *v), *doc = NULL;
	struct stix_export *sx = NULL;
	struct misp_export *mx = NULL;
	char err[512];

	if (v == NULL ||
	    (f == FORMAT_STIX ? (sx = stix_export_new()) == NULL
	                      : (mx = misp_export_new()) == NULL)) {
		cli_error(c, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		v[k++] = json_object_get(g->byid, json_string_value(json_array_get(g->order, i)));
	qsort(v, k, sizeof *v, s_by_cursor);
	for (size_t i = 0; i < k; i++) {
		int rc = f == FORMAT_STIX ? stix_export_add(sx, v[i], err, sizeof err)
		                          : misp_export_add(mx, v[i], err, sizeof err);
		if (rc == -1) {
			cli_error(c, "%s: %s", cli_field(v[i], "id"), err);
			goto out;
		}
	}
	doc = f == FORMAT_STIX ? stix_export_bundle(sx) : misp_export_events(mx);
	if (doc == NULL)
		cli_error(c, "out of memory");
out:
	stix_export_destroy(&sx);
	misp_export_destroy(&mx);
	free(v);
	return doc;
}

int
cli_export_format(struct cli *c, json_t *opts, json_t *args, int format)
{
	struct gather g = { c, json_object(), json_array() };
	const char *v = cli_opt_str(opts, "limit");
	uint64_t limit = EXPORT_LIMIT;
	json_t *doc = NULL, *a, *pending = json_array(), *asked = json_object();
	uint8_t id[MSG_ID_LEN];
	char hex[2 * MSG_ID_LEN + 1];
	size_t i;
	int rc = 1;

	if (v != NULL && (parse_uint(v, &limit) == -1 || limit == 0 || limit > 1000000)) {
		cli_error(c, "--limit: '%s' is not a number from 1 to 1000000", v);
		goto out;
	}
	if (json_array_size(args) > 0) {
		/* Every ID fetched, then decoded at once. */
		json_array_foreach(args, i, a)
		{
			if (cli_id(c, json_string_value(a), id) != 0)
				goto out;
			hex_encode(hex, id, sizeof id);
			if (s_get(&g, hex, pending, asked) != 0)
				goto out;
		}
		if (s_flush(&g, pending) != 0)
			goto out;
		json_array_foreach(args, i, a)
		{
			cli_id(c, json_string_value(a), id);
			hex_encode(hex, id, sizeof id);
			if (json_object_get(g.byid, hex) == NULL) {
				cli_error(c, "no message %s here", json_string_value(a));
				goto out;
			}
		}
	} else if (cli_collect(c, opts, NULL, (size_t)limit, s_take, &g) != 0)
		goto out;
	if (s_context(&g) != 0 || (doc = s_document(c, &g, (enum format)format)) == NULL)
		goto out;
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || putchar('\n') == EOF ||
	    fflush(stdout) != 0)
		cli_error(c, "%s", strerror(errno));
	else
		rc = 0;
out:
	json_decref(pending);
	json_decref(asked);
	json_decref(doc);
	json_decref(g.byid);
	json_decref(g.order);
	return rc;
}

/* One result or report line of an import, as text. */
static void
s_line(const json_t *r)
{
	const char *result = cli_field(r, "result"), *obj = cli_field(r, "object");
	const json_t *w;
	size_t i;

	if (*cli_field(r, "reason") != '\0')
		printf("%-12s %s: %s\n", result, *obj ? obj : "-", cli_field(r, "reason"));
	else
		printf("%-12s %s %s\n", result, cli_field(r, "id"), obj);
	json_array_foreach(json_object_get(r, "warnings"), i, w)
	{
		printf("%-12s %s\n", "", json_is_string(w) ? json_string_value(w) : "");
	}
}

/* Imports one document; 0, or 1 after an error line (the document
 * refused, or a message the daemon refused). */
static int
s_import_file(struct cli *c, const char *file, enum format f, const struct interop_opts *io)
{
	json_t *items = NULL, *report = NULL, *results = json_array(), *r;
	size_t len, i, counts[5] = { 0 };
	static const char *const names[] = { [0] = "published",
		[1] = "duplicate",
		[2] = "already-here",
		[3] = "refused",
		[4] = "skipped" };
	char err[512], *buf;
	int rc = 1, got;

	if (file_read_all(file, IMPORT_MAX_DOC, &buf, &len) == -1) {
		json_decref(results);
		return cli_error(c, "%s: %s", file,
		    errno == EFBIG ? "larger than 32 MiB" : strerror(errno));
	}
	got = f == FORMAT_STIX ? stix_import_buf(buf, len, io, &items, &report, err, sizeof err)
	                       : misp_import_buf(buf, len, io, &items, &report, err, sizeof err);
	free(buf);
	if (got == -1) {
		cli_error(c, "%s: %s", file, err);
		goto out;
	}
	if (cli_client(c) == NULL)
		goto out;
	if (interop_publish(c->cc, items, results, err, sizeof err) == -1) {
		cli_error(c, "%s: %s", file, err);
		goto out;
	}
	json_array_foreach(results, i, r) for (size_t k = 0; k < 5; k++)
	    counts[k] += strcmp(cli_field(r, "result"), names[k]) == 0;
	counts[4] = json_array_size(report);
	if (c->json) {
		cli_print_json(c,
		    json_pack("{s:s,s:O,s:O,s:{s:I,s:I,s:I,s:I,s:I}}", "file", file, "results",
		        results, "report", report, "counts", "published", (json_int_t)counts[0],
		        "duplicate", (json_int_t)counts[1], "already_here", (json_int_t)counts[2],
		        "refused", (json_int_t)counts[3], "skipped", (json_int_t)counts[4]));
	} else {
		json_array_foreach(results, i, r) s_line(r);
		json_array_foreach(report, i, r) s_line(r);
		printf("%s: %zu published, %zu duplicate, %zu already here, %zu refused, %zu "
		       "skipped\n",
		    file, counts[0], counts[1], counts[2], counts[3], counts[4]);
	}
	rc = counts[3] > 0;
out:
	json_decref(items);
	json_decref(report);
	json_decref(results);
	return rc;
}

int
cli_import_format(struct cli *c, json_t *opts, json_t *args, int format)
{
	struct interop_opts io = { .tlp = -1 };
	const char *v = cli_opt_str(opts, "tlp");
	json_t *a;
	size_t i;
	int rc = 0;

	if (cli_opt_str(opts, "from") != NULL)
		return cli_error(c, "--from: only for signed messages (no --format)");
	if (v != NULL && cli_word(c, "tlp", CLI_E_TLP, v, &io.tlp) != 0)
		return 1;
	json_array_foreach(args, i, a)
	    rc |= s_import_file(c, json_string_value(a), (enum format)format, &io);
	cli_end(c);
	return rc;
}
