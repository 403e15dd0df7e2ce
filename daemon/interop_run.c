/*
 * interop_run — an import plan published through the control socket
 * (interop_run.h).
 */
#include "interop_run.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

/* Whether the node of cc holds message hex; -1 when it cannot be asked. */
static int
s_held(struct control_client *cc, const char *hex, char *err, size_t errlen)
{
	json_t *rep = control_request(cc, json_pack("{s:s,s:s}", "cmd", "get", "id", hex), err,
	    errlen);
	int held;

	if (rep == NULL)
		return -1;
	held = json_is_true(json_object_get(rep, "ok"));
	json_decref(rep);
	return held;
}

static void
s_result(json_t *results, const json_t *item, const char *result, const char *id,
    const char *reason)
{
	json_t *r = json_pack("{s:O?,s:s}", "object", json_object_get(item, "object"), "result",
	    result);

	if (r == NULL)
		return;
	if (id != NULL)
		json_object_set_new(r, "id", json_string(id));
	if (reason != NULL)
		json_object_set_new(r, "reason", json_string(reason));
	/* fields of the object that the conversion left out, and why */
	if (json_array_size(json_object_get(item, "warnings")) > 0)
		json_object_set(r, "warnings", json_object_get(item, "warnings"));
	json_array_append_new(results, r);
}

int
interop_publish(struct control_client *cc, const json_t *items, json_t *results, char *err,
    size_t errlen)
{
	size_t n = json_array_size(items), i;
	char(*ids)[2 * MSG_ID_LEN + 1] = calloc(n ? n : 1, sizeof *ids);
	const json_t *item;
	int published = 0;

	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(items, i, item)
	{
		const char *known = json_string_value(json_object_get(item, "known"));
		const char *ref = json_string_value(json_object_get(item, "ref"));
		const json_t *ri = json_object_get(item, "ref_item");
		json_t *msg, *rep;
		int held;

		if (known != NULL && (held = s_held(cc, known, err, errlen)) != 0) {
			if (held == -1)
				goto fail;
			snprintf(ids[i], sizeof ids[i], "%s", known);
			s_result(results, item, "already-here", known, NULL);
			continue;
		}
		if (ri != NULL) {
			json_int_t k = json_integer_value(ri);
			if (!json_is_integer(ri) || k < 0 || (size_t)k >= i || ids[k][0] == '\0') {
				s_result(results, item, "refused", NULL,
				    "refers to an object that was not published");
				continue;
			}
			ref = ids[k];
		}
		if ((msg = json_deep_copy(json_object_get(item, "message"))) == NULL ||
		    !json_is_object(msg)) {
			json_decref(msg);
			s_result(results, item, "refused", NULL, "no message");
			continue;
		}
		if (ref != NULL)
			json_object_set_new(msg, "ref", json_string(ref));
		rep = control_request(cc,
		    json_pack("{s:s,s:o,s:O*}", "cmd", "publish", "message", msg, "source",
		        json_object_get(item, "source")),
		    err, errlen);
		if (rep == NULL)
			goto fail;
		if (json_is_true(json_object_get(rep, "ok"))) {
			const char *id = json_string_value(json_object_get(rep, "id"));
			bool dup = json_is_true(json_object_get(rep, "duplicate"));
			snprintf(ids[i], sizeof ids[i], "%s", id != NULL ? id : "");
			s_result(results, item, dup ? "duplicate" : "published", id, NULL);
			published += !dup;
		} else
			s_result(results, item, "refused", NULL,
			    json_string_value(json_object_get(rep, "error")));
		json_decref(rep);
	}
	free(ids);
	return published;
fail:
	free(ids);
	return -1;
}
