/*
 * misp — the MISP bridge: socmesh cases as MISP event JSON (the format
 * MISP's own export and PyMISP write), and MISP events as an import plan
 * (common/interop.h).  Pure: no I/O, no global state.  docs/INTEROP.md
 * gives the mapping field by field.
 *
 * Export: one Event per case (incident), with the case's updates,
 * comments, sightings and retractions rolled in; the result validates
 * against the MISP event schema (PyMISP's schema.json).  Ids are UUIDv5
 * (interop_uuid()) of the message ids, so exporting the same messages
 * twice gives the same bytes.  TLP:RED is never exported.
 *
 * Import: one event ({"Event": {...}} or the bare event), a list of them,
 * or {"response": [...]} (MISP's REST search) into one item per event.
 */
#ifndef SOCMESH_MISP_H
#define SOCMESH_MISP_H

#include <jansson.h>
#include <stddef.h>

#include "interop.h"

#define MISP_MAX_DOCUMENT (32u * 1024u * 1024u) /* bytes misp_import_buf() reads */
#define MISP_MAX_DEPTH    64                    /* nesting of arrays and objects */
#define MISP_MAX_EVENTS   10000                 /* events of one document */
#define MISP_MAX_REPORTED 100                   /* report lines about one event's attributes */

struct misp_export;

/* An empty export; caller owns it and frees it with misp_export_destroy();
 * NULL when out of memory. */
struct misp_export *misp_export_new(void);

/* Frees the export and sets *xp to NULL; NULL-safe, idempotent. */
void misp_export_destroy(struct misp_export **xp);

/*
 * Adds one message: a msgjson object (common/msgjson.h), borrowed for the
 * call (the export keeps a copy).  The kinds incident, update, comment,
 * sighting and retract are exported; other kinds, a sealed message
 * without its body, TLP:RED and a message added before are skipped:
 * 1 with err saying why.  0 added; -1 with one line in err when the
 * object is no message (no id, kind, tlp or time; an incident without a
 * title; a reply without a ref).  Messages may come in any order: a
 * reply is placed in its case when misp_export_events() runs, and one
 * whose case is not in the export is left out then.
 */
int misp_export_add(struct misp_export *x, const json_t *msg, char *err, size_t errlen);

/*
 * The events, one per case, as MISP exports them: a JSON array
 * [{"Event": {...}}, ...] ordered by the cases' time then id, identical
 * for identical input (whatever the order of misp_export_add()).  Caller
 * owns the result; NULL when out of memory.
 */
json_t *misp_export_events(const struct misp_export *x);

/*
 * Import: one event ({"Event": {...}} or the bare event object), a list of
 * them, or {"response": [...]} into a plan (common/interop.h): one item
 * per event that can be published, the others refused in the report with
 * their reason, and a report line for what an event carries that is not
 * published (attributes without a socmesh indicator type, indicators
 * beyond MSG_MAX_INDICATORS, summary lines that did not fit, sightings).
 * An item that an event exported by socmesh gave carries, besides the
 * fields of interop.h, "known": the message id (hex) of its case, which
 * the caller may already hold.
 * 0 with *items and *report (caller owns both), or -1 with one line in err
 * when the document as a whole is refused (not an event or a list of them,
 * more than MISP_MAX_EVENTS).
 */
int misp_import(const json_t *doc, const struct interop_opts *o, json_t **items, json_t **report,
    char *err, size_t errlen);

/*
 * The same from the len bytes at buf, parsed with limits: at most
 * MISP_MAX_DOCUMENT bytes, MISP_MAX_DEPTH levels of nesting, no key twice
 * in an object.  0 or -1 as misp_import().
 */
int misp_import_buf(const char *buf, size_t len, const struct interop_opts *o, json_t **items,
    json_t **report, char *err, size_t errlen);

#endif
