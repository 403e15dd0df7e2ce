/* Fuzz target: a MISP document through the importer (misp_import_buf).
 * Properties: no crash, no leak; the result is a plan or one line of
 * error, never both; every item is an incident whose message the draft
 * reader takes and whose source names the bridge; and what is imported
 * exports again (as a message of this node) into an event.  A list of
 * messages (what `socmesh query --json` prints) exports into events that
 * import again. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "misp.h"

#define ID "abababababababababababababababababababababababababababababababab"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a list of messages to export: whatever they hold, the
 * export is a list of events that imports again as a whole. */
static void
s_export(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *m, *ev;
	json_t *items = NULL, *report = NULL;
	struct interop_opts o = { .tlp = -1 };
	struct misp_export *x;
	char err[512], *text;
	size_t i;

	if (!json_is_array(doc)) {
		json_decref(doc);
		return;
	}
	if ((x = misp_export_new()) == NULL)
		abort();
	json_array_foreach(doc, i, m)
	{
		if (misp_export_add(x, m, err, sizeof err) < -1)
			abort();
	}
	if ((ev = misp_export_events(x)) == NULL || (text = json_dumps(ev, 0)) == NULL)
		abort();
	if (misp_import_buf(text, strlen(text), &o, &items, &report, err, sizeof err) != 0 ||
	    json_array_size(items) > json_array_size(ev))
		abort();
	free(text);
	json_decref(items);
	json_decref(report);
	json_decref(ev);
	misp_export_destroy(&x);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct interop_opts o = { .tlp = size % 2 == 0 ? 0 : -1 };
	json_t *items = NULL, *report = NULL, *it;
	char err[512] = "";
	size_t i;
	int rc;

	s_export(data, size);
	rc = misp_import_buf((const char *)data, size, &o, &items, &report, err, sizeof err);
	if (rc == -1) {
		if (items != NULL || report != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (rc != 0 || !json_is_array(items) || !json_is_array(report))
		abort();
	json_array_foreach(items, i, it)
	{
		const json_t *m = json_object_get(it, "message");
		const char *src = json_string_value(json_object_get(it, "source"));
		struct draft *d = draft_new();
		if (d == NULL || src == NULL || strncmp(src, "misp:", 5) != 0)
			abort();
		if (draft_from_json(d, m, NULL, NULL, err, sizeof err) != 0 ||
		    draft_check(d, err, sizeof err) != 0)
			abort();
		draft_destroy(&d);
		/* what is imported exports again, as a message of this node */
		struct misp_export *x = misp_export_new();
		json_t *c = json_deep_copy(m), *ev;
		if (x == NULL || c == NULL)
			abort();
		json_object_set_new(c, "id", json_string(ID));
		json_object_set_new(c, "origin", json_pack("{s:s}", "id", ID));
		json_object_set_new(c, "time", json_string("2026-12-01T10:00:00.000Z"));
		if (misp_export_add(x, c, err, sizeof err) != 0 ||
		    (ev = misp_export_events(x)) == NULL || json_array_size(ev) != 1)
			abort();
		json_decref(ev);
		json_decref(c);
		misp_export_destroy(&x);
	}
	json_decref(items);
	json_decref(report);
	return 0;
}
