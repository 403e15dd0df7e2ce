/*
 * interop — what the STIX 2.1 and MISP bridges (common/stix.h,
 * common/misp.h) share: deterministic ids, and the shape of an import.
 * Pure: no I/O, no global state.  docs/INTEROP.md describes the mappings.
 *
 * Export takes messages as the JSON objects that `socmesh query --json`
 * prints (common/msgjson.h), opened bodies included; a sealed message
 * whose body is absent exports nothing, and TLP:RED is never exported.
 *
 * Import turns a document into a plan (caller owns both arrays):
 *
 *   items: what to publish, in order, each one message:
 *     {"source":  the key of what it came from ("stix:report--UUID@MODIFIED",
 *                 "misp:UUID@TIMESTAMP"): the node publishes a source once,
 *                 so importing the same document twice publishes nothing new;
 *      "object":  the document's id of that object (for the report);
 *      "message": the fields of the message, as draft_from_json() reads
 *                 them (no time, no seq: the node dates what it publishes);
 *      "ref_item": optional, the index of an earlier item whose published id
 *                 is this message's ref (a note on a report of the same
 *                 document);
 *      "ref":     optional, a message id (hex) that the document names
 *                 (a report exported by socmesh carries its message id);
 *      "known":   optional, the message id (hex) the object says it was
 *                 exported from (a socmesh export): the caller publishes
 *                 nothing when the node holds that message;
 *      "warnings": optional, what the conversion left out of the object,
 *                 one line each}
 *
 *   report: one entry per object of the document that is not published as
 *     it is: {"object": id, "type": type, "result": "skipped" | "refused",
 *     "reason": one line}; an item's object is reported by the caller with
 *     the outcome of its publication.
 */
#ifndef SOCMESH_INTEROP_H
#define SOCMESH_INTEROP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The namespace of every UUIDv5 that socmesh derives (docs/INTEROP.md). */
#define INTEROP_NAMESPACE "dbd37408-8b02-48bc-9eb7-6d46a2d1c638"
#define INTEROP_UUID_LEN  36 /* text form, without the NUL */

/* The UUIDv5 (RFC 9562: SHA-1, version 5, variant 10) of name under
 * INTEROP_NAMESPACE, in its text form, lowercase, NUL-terminated. */
void interop_uuid(char out[INTEROP_UUID_LEN + 1], const char *name);
/* The same in its 16 bytes. */
void interop_uuid_bytes(uint8_t out[16], const char *name);
/* 16 bytes as the text form, and back (0, or -1 when s is not one). */
void interop_uuid_text(char out[INTEROP_UUID_LEN + 1], const uint8_t d[16]);
int interop_uuid_parse(uint8_t out[16], const char *s);

/* Options of an import. */
struct interop_opts {
	int tlp; /* enum msg_tlp for a document that carries none; -1: refuse it */
};

/* Appends {"object", "type", "result", "reason"} to report; reason is a
 * printf format.  Returns -1 (so that a caller can `return` it). */
int interop_report(json_t *report, const char *object, const char *type, const char *result,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
