/*
 * The keys of a message in the store's indicator index (keyspace.h): its
 * indicators and what each deriver adds.
 */
#include "keyspace.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "interop.h"
#include "util.h"

int
ks_add(struct ks_keys *k, uint8_t space, const void *p, size_t len)
{
	size_t need = len + (space != 0);

	if (space != 0 && need > KS_MAX_KEY)
		return -1;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		size_t *off = realloc(k->off, cap * sizeof *off);
		if (off == NULL)
			return -1;
		k->off = off;
		struct store_ioc *e = realloc(k->e, cap * sizeof *e);
		if (e == NULL)
			return -1;
		k->e = e, k->cap = cap;
	}
	if (k->bufcap - k->used < need) {
		size_t cap = k->bufcap ? k->bufcap : 1024;
		while (cap - k->used < need)
			cap *= 2;
		/* Not realloc(): the keys of a sealed body must not stay behind
		 * in freed memory. */
		uint8_t *b = malloc(cap);
		if (b == NULL)
			return -1;
		if (k->buf != NULL) {
			memcpy(b, k->buf, k->used);
			sodium_memzero(k->buf, k->bufcap);
			free(k->buf);
		}
		k->buf = b, k->bufcap = cap;
	}
	k->off[k->n] = k->used;
	if (space != 0)
		k->buf[k->used++] = space;
	memcpy(k->buf + k->used, p, len);
	k->used += len;
	k->e[k->n++] = (struct store_ioc){ NULL, need };
	return 0;
}

void
ks_clear(struct ks_keys *k)
{
	k->n = k->used = 0;
}

void
ks_wipe(struct ks_keys *k)
{
	if (k->buf != NULL)
		sodium_memzero(k->buf, k->used);
	ks_clear(k);
}

void
ks_finish(struct ks_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		k->e[i].value = (const char *)k->buf + k->off[i];
}

void
ks_free(struct ks_keys *k)
{
	free(k->e);
	free(k->off);
	free(k->buf);
	memset(k, 0, sizeof *k);
}

/* Adds the KS_STIX key of the STIX object named name (interop_uuid()). */
static int
s_stix_key(struct ks_keys *k, const char *name)
{
	uint8_t u[16];

	interop_uuid_bytes(u, name);
	return ks_add(k, KS_STIX, u, sizeof u);
}

/* KS_STIX: the UUIDs of the STIX objects that a message of a kind that is
 * exported becomes (common/stix.c names them: docs/INTEROP.md): its own
 * (UUIDv5 of its id in hex), for an update that of its case's report too,
 * of which it is a version, and one per indicator and ATT&CK technique of
 * its body. */
static int
s_stix_keys(struct ks_keys *k, const struct msg *m)
{
	char hex[2 * MSG_ID_LEN + 1], ref[2 * MSG_ID_LEN + 1];
	char name[2 * MSG_ID_LEN + 2 * IOC_MAX_VALUE + 64];
	const struct msg_body *b = &m->body;

	switch (m->kind) {
	case MSG_KIND_INCIDENT:
	case MSG_KIND_UPDATE:
	case MSG_KIND_COMMENT:
	case MSG_KIND_SIGHTING:
	case MSG_KIND_RETRACT:
		break;
	default:
		return 0;
	}
	hex_encode(hex, m->id, MSG_ID_LEN);
	if (s_stix_key(k, hex) == -1)
		return -1;
	if (m->kind == MSG_KIND_UPDATE && m->has_ref) {
		hex_encode(ref, m->ref, MSG_ID_LEN);
		if (s_stix_key(k, ref) == -1)
			return -1;
	}
	for (size_t i = 0; i < b->nindicators; i++) {
		const struct msg_ioc *v = &b->indicators[i];
		if (v->type == IOC_CVE)
			snprintf(name, sizeof name, "vulnerability/%s/%.*s", hex, (int)v->value.n,
			    v->value.p);
		else
			snprintf(name, sizeof name, "indicator/%s/%s:%.*s", hex,
			    ioc_type_name(v->type), (int)v->value.n, v->value.p);
		if (s_stix_key(k, name) == -1)
			return -1;
	}
	for (size_t i = 0; i < b->nattack; i++) {
		snprintf(name, sizeof name, "attack-pattern/%s/%.*s", hex, (int)b->attack[i].n,
		    b->attack[i].p);
		if (s_stix_key(k, name) == -1)
			return -1;
	}
	return 0;
}

int
ks_derive(struct ks_keys *k, const struct msg *m)
{
	for (size_t i = 0; i < m->body.nindicators; i++)
		if (ks_add(k, 0, m->body.indicators[i].value.p, m->body.indicators[i].value.n) ==
		    -1)
			return -1;
	if (index_related_keys(k, m) == -1)
		return -1;
	if (index_text_keys(k, m) == -1)
		return -1;
	if (index_lessons_keys(k, m) == -1)
		return -1;
	return s_stix_keys(k, m);
}
