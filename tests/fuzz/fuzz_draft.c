/* Fuzz target: a JSON message draft (publish --file) through the encoder.
 * Properties: whatever the encoder accepts, the decoder accepts, with the
 * same id, and the signature verifies (a rotation's proof aside); a draft of a kind publish takes
 * that draft_check() passes, the encoder takes (the draft names every
 * field's problem), unless it is too big, or a recipient is the origin
 * or no key (the node's publish checks those, node_prepare()). */
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "draft.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[64];
	static struct msg *d;
	json_t *o;
	struct draft *dr;
	char err[256];
	uint8_t *out;
	size_t len;

	if (d == NULL) {
		uint8_t seed[32] = { 1 };
		if (sodium_init() < 0 || (d = msg_new()) == NULL)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
	}
	if ((o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return 0;
	if ((dr = draft_new()) == NULL)
		abort();
	if (draft_from_json(dr, o, NULL, NULL, err, sizeof err) == 0) {
		struct msg *m = draft_msg(dr);
		bool checked = draft_check(dr, err, sizeof err) == 0 &&
		    (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE ||
		        m->kind == MSG_KIND_COMMENT || m->kind == MSG_KIND_SIGHTING ||
		        m->kind == MSG_KIND_RETRACT);
		int rc;
		memcpy(m->origin, pk, 32);
		rc = msg_encode(m, sk, NULL, NULL, &out, &len);
		if (checked && rc != MSG_OK && rc != MSG_E_TOOBIG && rc != MSG_E_RECIPIENTS)
			abort();
		if (rc == MSG_OK) {
			/* A rotation verifies only with its proof, the new key's
			 * signature, which a draft does not make. */
			if (msg_decode(d, out, len, 0) != MSG_OK ||
			    (m->kind != MSG_KIND_ROTATE && msg_verify(d) != MSG_OK) ||
			    memcmp(d->id, m->id, 32) != 0)
				abort();
			free(out);
		}
	}
	draft_destroy(&dr);
	json_decref(o);
	return 0;
}
