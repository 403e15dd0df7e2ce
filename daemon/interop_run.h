/*
 * interop_run — an import plan (common/interop.h) published through the
 * daemon's control socket: what `socmesh import --format stix|misp` and
 * the TAXII server's POST share.  The daemon judges each message as it
 * judges any publish, and publishes each source once.
 */
#ifndef SOCMESH_INTEROP_RUN_H
#define SOCMESH_INTEROP_RUN_H

#include <jansson.h>
#include <stddef.h>

#include "control.h"

/*
 * Publishes the items of a plan in order over cc.  An item whose "known"
 * message the node holds is not published again; one whose "ref_item"
 * was not published is refused.  Appends one result per item to results:
 *   {"object", "result": "published" | "duplicate" (its source was
 *    published before) | "already-here" (the node holds the message the
 *    object was exported from) | "refused", "id" (the message's, but for
 *    refused), "reason" (refused only: the daemon's one line), "warnings"
 *    (the item's: what the conversion left out of the object, when any)}.
 * Returns how many were published, or -1 with err set when the daemon
 * cannot be reached (results then hold those done before).
 */
int interop_publish(struct control_client *cc, const json_t *items, json_t *results, char *err,
    size_t errlen);

#endif
