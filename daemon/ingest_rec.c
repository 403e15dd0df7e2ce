/*
 * ingest_rec() (ingest.h) on its own: the node's index function and its
 * writers use it without the pipeline's threads.
 */
#include "ingest.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void
ingest_rec_head(struct store_rec *rec, const struct msg *m, const uint8_t *bytes, size_t len)
{
	memset(rec, 0, sizeof *rec);
	memcpy(rec->id, m->id, MSG_ID_LEN);
	memcpy(rec->origin, m->origin, MSG_KEY_LEN);
	rec->seq = m->seq;
	rec->time = m->time;
	rec->tlp = (uint8_t)m->tlp;
	rec->kind = (uint8_t)m->kind;
	rec->ref = m->has_ref ? m->ref : NULL;
	rec->sighting = m->kind == MSG_KIND_SIGHTING;
	rec->false_positive = m->has_body && m->body.status == MSG_STATUS_FALSE_POSITIVE;
	rec->bytes = bytes;
	rec->len = len;
}

int
ingest_rec(struct store_rec *rec, struct ks_keys *k, struct iocseal *seal, struct msg *m,
    const uint8_t *bytes, size_t len)
{
	uint8_t *plain = NULL;
	size_t nplain = 0;
	int rc = 0;

	ingest_rec_head(rec, m, bytes, len);
	ks_clear(k);
	if (!msg_tlp_addressed(m->tlp)) {
		if (m->has_body)
			rc = ks_derive(k, m);
	} else if (seal != NULL) {
		/* A body sealed to this node: its keys, sealed; never in clear. */
		if (m->has_body || iocseal_body(seal, m, &plain, &nplain) == MSG_OK) {
			rec->false_positive = m->body.status == MSG_STATUS_FALSE_POSITIVE;
			if ((rc = ks_derive(k, m)) == 0)
				rc = iocseal_seal(seal, k);
			if (rc == -1)
				ks_wipe(k);
		}
		if (plain != NULL) {
			m->has_body = false;
			sodium_memzero(plain, nplain);
			free(plain);
		}
	}
	ks_finish(k);
	rec->ioc = k->e;
	rec->nioc = k->n;
	return rc;
}
