/*
 * ingest_rec() (ingest.h) on its own: the node's index function and its
 * writers use it without the pipeline's threads.
 */
#include "ingest.h"

#include <string.h>

void
ingest_rec(struct store_rec *rec, struct store_ioc *ioc, const struct msg *m, const uint8_t *bytes,
    size_t len)
{
	memset(rec, 0, sizeof *rec);
	memcpy(rec->id, m->id, MSG_ID_LEN);
	memcpy(rec->origin, m->origin, MSG_KEY_LEN);
	rec->seq = m->seq;
	rec->time = m->time;
	rec->tlp = (uint8_t)m->tlp;
	rec->kind = (uint8_t)m->kind;
	rec->ref = m->has_ref ? m->ref : NULL;
	rec->bytes = bytes;
	rec->len = len;
	if (m->has_body && !msg_tlp_addressed(m->tlp)) {
		for (size_t i = 0; i < m->body.nindicators; i++)
			ioc[i] = (struct store_ioc){ m->body.indicators[i].value.p,
				m->body.indicators[i].value.n };
		rec->nioc = m->body.nindicators;
		rec->ioc = ioc;
	}
}

int
ingest_rec_sealed(struct store_rec *rec, struct store_ioc *ioc, struct store_ioc **sealed,
    struct iocseal *seal, struct msg *m, const uint8_t *bytes, size_t len)
{
	size_t n;

	ingest_rec(rec, ioc, m, bytes, len);
	*sealed = NULL;
	if (seal == NULL)
		return 0;
	if (iocseal_entries(seal, m, sealed, &n) == -1)
		return -1;
	if (n > 0) {
		rec->nioc = n;
		rec->ioc = *sealed;
	}
	return 0;
}
