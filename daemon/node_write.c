/*
 * What a node's own side brings to its store, run by the daemon only (the
 * store's one writer): what it publishes, and what the operator imports.
 * Each is judged by accept_judge() as a peer's message would be, then
 * handed to the ingest pipeline, which verifies and commits it with the
 * peers' messages (gossip_publish()).
 */
#include "node.h"

#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "log.h"
#include "util.h"

/* Only the daemon publishes (the CLI asks it), and one daemon runs per
 * node (node_lock): nothing else takes a sequence number. */
int
node_prepare(struct node *n, struct draft *d, uint8_t id[MSG_ID_LEN], uint8_t **bytes, size_t *len,
    char *err, size_t errlen)
{
	struct msg *m = draft_msg(d);
	uint64_t last;
	int rc;

	*bytes = NULL;
	if (n->keys == NULL || n->st == NULL)
		return errf(err, errlen, "node opened without keys or store");
	if (n->seq == 0 && (rc = store_last_seq(n->st, n->id, &n->seq)) != STORE_OK)
		return errf(err, errlen, "store: %s", store_strerror(rc));
	last = n->seq;
	/* Only members can ever receive an addressed message: the same rule
	 * as accept_judge() applies below, said here with the recipient. */
	enum policy_reason why;
	int bad = accept_recipients(n->trust, m, &why);
	if (bad >= 0) {
		char hex[2 * MSG_KEY_LEN + 1];
		hex_encode(hex, m->to[bad], MSG_KEY_LEN);
		if (why == POLICY_PEER_UNKNOWN)
			return errf(err, errlen, "recipient %s is not in the trust list", hex);
		return errf(err, errlen, "recipient %s: %s",
		    trust_find_id(n->trust, m->to[bad])->name, policy_reason_str(why));
	}
	memcpy(m->origin, n->id, MSG_KEY_LEN);
	m->seq = last + 1;
	if (m->time == 0)
		m->time = now_ms();
	if ((rc = msg_encode(m, n->keys->sk, NULL, NULL, bytes, len)) != MSG_OK)
		return errf(err, errlen, "%s", msg_strerror(rc));
	if (msg_decode(n->scratch, *bytes, *len, 0) != MSG_OK)
		fatalx("publish: the encoder produced what the decoder refuses");
	/* Judged as an import of it would be (accept.h): a retraction of a
	 * message that is not this node's, or not here, is refused here
	 * rather than by every peer. */
	struct accept_ctx ac = { n->st, n->trust, n->id, n->cfg.retention_ms, now_ms(), n->roster };
	enum accept_verdict v = accept_judge(&ac, n->scratch, NULL, &why);
	if (v != ACCEPT_OK) {
		if (v == ACCEPT_HOLD)
			errf(err, errlen, "the message it refers to (--ref) is not here");
		else if (v == ACCEPT_REFUSED)
			errf(err, errlen, "rejected: %s", policy_reason_str(why));
		else
			errf(err, errlen, "store: cannot be read");
		free(*bytes);
		*bytes = NULL;
		return -1;
	}
	n->seq = m->seq; /* given, whatever becomes of the message: never twice */
	memcpy(id, n->scratch->id, MSG_ID_LEN);
	return 0;
}

int
node_judge(struct node *n, const uint8_t *bytes, size_t len, const struct trust_peer *from,
    uint8_t id[MSG_ID_LEN], char *err, size_t errlen)
{
	struct msg *m = n->scratch;
	struct accept_ctx ac = { n->st, n->trust, n->id, n->cfg.retention_ms, now_ms(), n->roster };
	enum policy_reason why;
	char hex[2 * MSG_ID_LEN + 1];
	int rc;

	if (n->st == NULL)
		return errf(err, errlen, "node opened without its store");
	if ((rc = msg_decode(m, bytes, len, n->cfg.max_message)) != MSG_OK)
		return errf(err, errlen, "rejected: %s", msg_strerror(rc));
	memcpy(id, m->id, MSG_ID_LEN);
	switch (accept_judge(&ac, m, from, &why)) {
	case ACCEPT_OK:
		return 0;
	case ACCEPT_DUP:
		return 1;
	case ACCEPT_HOLD:
		hex_encode(hex, m->ref, MSG_ID_LEN);
		return errf(err, errlen,
		    "rejected: the retracted message is not here; import it "
		    "first (%s)",
		    hex);
	case ACCEPT_REFUSED:
		return errf(err, errlen, "rejected: %s", policy_reason_str(why));
	case ACCEPT_E_STORE:
		break;
	}
	return errf(err, errlen, "store: cannot be read");
}
