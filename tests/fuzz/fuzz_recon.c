/* Fuzz target: a peer's reconciliation message against a fixed set, and
 * against a view (recon_set_view) of a set grown by recon_set_append(),
 * whose reply must be byte for byte the one of a set sealed from the same
 * items (a difference aborts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ITEMS  200
#define SEALED 150 /* the first ITEMS - SEALED are appended */
#define FROM   17  /* the view starts there */

static void
s_id(uint8_t id[32], uint32_t i)
{
	for (int k = 0; k < 32; k++)
		id[k] = (uint8_t)(i * 37 + k * 11);
}

/* The items [from, ITEMS) of the sealed set all, in its (time, id) order:
 * all added then sealed; or the first SEALED sealed and the rest
 * appended. */
static struct recon_set *
s_make(const struct recon_set *all, size_t from, int appended)
{
	struct recon_set *s = recon_set_new();
	uint64_t t;

	if (s == NULL)
		abort();
	for (size_t i = from; i < (appended ? SEALED : ITEMS); i++) {
		const uint8_t *id = recon_set_id(all, i, &t);
		if (recon_set_add(s, t, id) != 0)
			abort();
	}
	if (recon_set_seal(s) != 0)
		abort();
	for (size_t i = SEALED; appended && i < ITEMS; i++) {
		const uint8_t *id = recon_set_id(all, i, &t);
		if (recon_set_append(s, t, id) != 0)
			abort();
	}
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct recon_set *s, *grown, *view, *copy;
	struct recon_result r = { 0 }, rv = { 0 }, rc = { 0 };
	struct recon_buf out = { 0 }, ov = { 0 }, oc = { 0 };
	int ev, ec;

	if (s == NULL) {
		uint8_t id[32];
		if ((s = recon_set_new()) == NULL)
			abort();
		for (uint32_t i = 0; i < ITEMS; i++) {
			s_id(id, i);
			if (recon_set_add(s, i / 3, id) != 0)
				abort();
		}
		if (recon_set_seal(s) != 0)
			abort();
		grown = s_make(s, 0, 1);
		if ((view = recon_set_view(grown, FROM)) == NULL)
			abort();
		copy = s_make(s, FROM, 0);
	}
	(void)!recon_reply(s, data, size, &out, &r);
	ev = recon_reply(view, data, size, &ov, &rv);
	ec = recon_reply(copy, data, size, &oc, &rc);
	if (ev != ec || ov.len != oc.len || (ov.len > 0 && memcmp(ov.p, oc.p, ov.len) != 0) ||
	    rv.nhave != rc.nhave || rv.nneed != rc.nneed ||
	    (rv.nhave > 0 && memcmp(rv.have, rc.have, rv.nhave * sizeof *rv.have) != 0))
		abort();
	free(out.p), free(ov.p), free(oc.p);
	recon_result_free(&r), recon_result_free(&rv), recon_result_free(&rc);
	return 0;
}
