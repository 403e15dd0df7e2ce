/* Fuzz target: a STIX document (a bundle or a TAXII envelope) through
 * stix_import_buf(), with and without --tlp.  Properties: no crash, no
 * leak; a refused document gives no plan and one line of error; a plan's
 * every item carries a source, an object and a message that names its
 * kind and TLP, never RED or AMBER (a bundle names no recipients), and
 * a ref_item only to an earlier item. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(const json_t *items, const json_t *report)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(items) || !json_is_array(report))
		abort();
	json_array_foreach(items, i, e)
	{
		const json_t *m = json_object_get(e, "message"),
		             *ri = json_object_get(e, "ref_item");
		const char *tlp = json_string_value(json_object_get(m, "tlp"));
		if (json_string_value(json_object_get(e, "source")) == NULL ||
		    json_string_value(json_object_get(e, "object")) == NULL ||
		    json_string_value(json_object_get(m, "kind")) == NULL || tlp == NULL)
			abort();
		if (strcmp(tlp, "clear") != 0 && strcmp(tlp, "green") != 0)
			abort();
		if (ri != NULL &&
		    (!json_is_integer(ri) || json_integer_value(ri) < 0 ||
		        (size_t)json_integer_value(ri) >= i))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int tlps[] = { -1, MSG_TLP_GREEN, MSG_TLP_AMBER };

	for (size_t k = 0; k < sizeof tlps / sizeof tlps[0]; k++) {
		struct interop_opts o = { .tlp = tlps[k] };
		json_t *items = NULL, *report = NULL;
		char err[512] = "";

		if (stix_import_buf((const char *)data, size, &o, &items, &report, err,
		        sizeof err) == 0)
			s_check(items, report);
		else if (items != NULL || report != NULL || err[0] == '\0' ||
		    strchr(err, '\n') != NULL)
			abort();
		json_decref(items);
		json_decref(report);
	}
	return 0;
}
