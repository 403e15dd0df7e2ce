/*
 * stix — the STIX 2.1 bridge: socmesh messages to STIX objects and bundles
 * (what `socmesh export --format stix` writes and the TAXII server serves),
 * and STIX bundles to an import plan (common/interop.h).  Pure: no I/O, no
 * global state.  docs/INTEROP.md gives the mapping field by field.
 *
 * Export: a case's incident is a `report` (report--UUIDv5(<incident id
 * hex>)); the updates of the case's origin are new versions of it; an
 * indicator is an `indicator` with a STIX pattern, a CVE a `vulnerability`,
 * an ATT&CK technique an `attack-pattern`; a comment (and an update by
 * another SOC) a `note`; a sighting a `sighting`; a retract of a message
 * exported with it a revoked version of its object (else a `note`).  Every
 * object carries the OASIS TLP 2.0 marking of its message and the identity
 * of the SOC that wrote it.  Identical input gives identical output.
 */
#ifndef SOCMESH_STIX_H
#define SOCMESH_STIX_H

#include <jansson.h>
#include <stddef.h>

#include "interop.h"

#define STIX_MAX_DOCUMENT (32u * 1024u * 1024u) /* bytes of a document to import */
#define STIX_MAX_DEPTH    32                    /* nesting of a document to import */
#define STIX_MAX_OBJECTS  10000                 /* objects of a document to import */

/* The OASIS TLP 2.0 extension definition (docs/INTEROP.md). */
#define STIX_TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

struct stix_export;

/* Caller owns the result and frees it with stix_export_destroy(); NULL when
 * out of memory. */
struct stix_export *stix_export_new(void);
/* NULL-safe, idempotent; sets *xp to NULL. */
void stix_export_destroy(struct stix_export **xp);

/*
 * Adds one message: a msgjson object (what `socmesh query --json` prints),
 * borrowed for the call (a copy is kept).  Kinds incident, update, comment,
 * sighting, retract.  Returns 0 when added (a message added twice is added
 * once); 1 when skipped, with the reason in err: another kind ("roster
 * messages are not exported"), a sealed message without its body, TLP:RED;
 * -1 with one line in err when the object is no message ("time: not an
 * RFC 3339 time") or out of memory.
 */
int stix_export_add(struct stix_export *x, const json_t *msg, char *err, size_t errlen);

/*
 * The STIX objects of what was added, each once, sorted by id, then
 * modified: [{"object": {STIX object}, "message": "<hex id of the message
 * it comes from>" or null for shared objects (identities, marking
 * definitions, the TLP 2.0 extension definition), "received": RFC 3339
 * time of the message's "received", or null}].  Caller owns (json_decref);
 * NULL when out of memory.
 */
json_t *stix_export_objects(const struct stix_export *x);

/*
 * One STIX 2.1 bundle of it all: {"type": "bundle", "id": "bundle--<UUIDv5
 * of "bundle/" and the sorted message ids joined by ",">", "objects":
 * [...]} in the order of stix_export_objects().  Identical for identical
 * input (dump it with JSON_SORT_KEYS).  Caller owns; NULL when out of
 * memory.
 */
json_t *stix_export_bundle(const struct stix_export *x);

/*
 * Import: a parsed document (a bundle, or a TAXII envelope {"objects":
 * [...]}) into a plan (common/interop.h): 0 with *items and *report set
 * (caller owns both), or -1 with one line in err when the document as a
 * whole is refused ("not a STIX bundle", "no TLP marking in the bundle;
 * give --tlp", "20000 objects; at most 10000").  Besides the fields of
 * interop.h, an item that comes from an object socmesh exported carries
 * "known": the hex id of the message (for a report: of its incident), so
 * that a node that holds it already skips it.  doc is borrowed.
 */
int stix_import(const json_t *doc, const struct interop_opts *o, json_t **items, json_t **report,
    char *err, size_t errlen);

/*
 * The same from the len bytes at buf (need not end in a NUL): at most
 * STIX_MAX_DOCUMENT bytes, STIX_MAX_DEPTH levels of nesting, duplicate keys
 * refused ("not JSON: ... at line 1, column 3").  For the CLI, the TAXII
 * server and the fuzzer.
 */
int stix_import_buf(const char *buf, size_t len, const struct interop_opts *o, json_t **items,
    json_t **report, char *err, size_t errlen);

#endif
