#include "iocseal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct iocseal {
	char dir[PATH_MAX];
	uint8_t *key;          /* 32 bytes, sodium_malloc'd */
	pthread_rwlock_t lock; /* over keys */
	struct keys *keys;     /* a copy of the node's secret key */
};

/* A sodium_malloc'd copy of k (keys_destroy() frees it), or NULL. */
static struct keys *
s_copy(const struct keys *k)
{
	struct keys *c = sodium_malloc(sizeof *c);

	if (c != NULL)
		memcpy(c, k, sizeof *c);
	return c;
}

struct iocseal *
iocseal_open(const char *dir, const struct keys *k, char *err, size_t errlen)
{
	struct iocseal *s;
	char path[PATH_MAX + 64];
	int rc;

	if (snprintf(path, sizeof path, "%s/%s", dir, IOCSEAL_FILE) >= (int)sizeof path) {
		errf(err, errlen, "%s: path too long", dir);
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL || (s->key = sodium_malloc(32)) == NULL ||
	    (s->keys = s_copy(k)) == NULL) {
		if (s != NULL)
			sodium_free(s->key);
		free(s);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	pthread_rwlock_init(&s->lock, NULL);
	/* Missing: made now.  Made by another process meanwhile: read. */
	if ((rc = access(path, F_OK)) == -1 && errno == ENOENT &&
	    (rc = keys_secret_create(path, s->key, err, errlen)) == -1 && errno == EEXIST)
		rc = 0;
	if (rc == 0)
		rc = keys_secret_read(path, s->key, err, errlen);
	if (rc == -1)
		iocseal_destroy(&s);
	return s;
}

void
iocseal_destroy(struct iocseal **sp)
{
	struct iocseal *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	sodium_free(s->key); /* zeroes before it frees */
	keys_destroy(&s->keys);
	pthread_rwlock_destroy(&s->lock);
	free(s);
	*sp = NULL;
}

int
iocseal_rekey(struct iocseal *s, const struct keys *k)
{
	struct keys *c = s_copy(k), *old;

	if (c == NULL)
		return -1;
	pthread_rwlock_wrlock(&s->lock);
	old = s->keys;
	s->keys = c;
	pthread_rwlock_unlock(&s->lock);
	keys_destroy(&old);
	return 0;
}

void
iocseal_key(const struct iocseal *s, const char *value, size_t len, uint8_t out[IOCSEAL_KEY_LEN])
{
	out[0] = STORE_IOC_SEALED;
	crypto_generichash(out + 1, IOCSEAL_KEY_LEN - 1, (const uint8_t *)value, len, s->key, 32);
}

/* Opens m's body with the kept secret key of `who` (a recipient or the
 * origin) that the node rotated away, if it has one: MSG_OK or not. */
static int
s_open_kept(const char *dir, struct msg *m, const uint8_t who[MSG_KEY_LEN], uint8_t **plain,
    size_t *len)
{
	char path[PATH_MAX + 128], hex[2 * MSG_KEY_LEN + 1], *buf;
	struct keys *k;
	size_t n;
	int rc = MSG_E_NOT_RECIPIENT;

	hex_encode(hex, who, MSG_KEY_LEN);
	hex[16] = '\0';
	if (snprintf(path, sizeof path, "%s/%s.%s.old", dir, KEYS_SECRET_FILE, hex) >=
	        (int)sizeof path ||
	    file_read_all(path, 128, &buf, &n) == -1)
		return rc;
	if ((k = keys_parse(buf, n, path, NULL, 0)) != NULL && memcmp(k->pk, who, MSG_KEY_LEN) == 0)
		rc = msg_open(m, who, k->curve_pk, k->curve_sk, plain, len);
	sodium_memzero(buf, n);
	free(buf);
	keys_destroy(&k);
	return rc;
}

int
iocseal_open_old(const char *dir, struct msg *m, uint8_t **plain, size_t *len)
{
	int rc = MSG_E_NOT_RECIPIENT;

	for (size_t i = 0; rc != MSG_OK && i <= m->nto; i++)
		rc = s_open_kept(dir, m, i < m->nto ? m->to[i] : m->origin, plain, len);
	return rc;
}

/* m's sealed body, with the node's key or a kept old one: MSG_OK with
 * *plain (zero and free it), or not. */
static int
s_open(struct iocseal *s, struct msg *m, uint8_t **plain, size_t *len)
{
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	rc = msg_open(m, s->keys->pk, s->keys->curve_pk, s->keys->curve_sk, plain, len);
	pthread_rwlock_unlock(&s->lock);
	return rc == MSG_OK ? rc : iocseal_open_old(s->dir, m, plain, len);
}

int
iocseal_body(struct iocseal *s, struct msg *m, uint8_t **plain, size_t *len)
{
	return s_open(s, m, plain, len);
}

int
iocseal_seal(const struct iocseal *s, struct ks_keys *k)
{
	struct ks_keys t = { 0 };
	uint8_t key[IOCSEAL_KEY_LEN];

	for (size_t i = 0; i < k->n; i++) {
		iocseal_key(s, (const char *)k->buf + k->off[i], k->e[i].len, key);
		if (ks_add(&t, 0, key, sizeof key) == -1) {
			ks_free(&t);
			return -1;
		}
	}
	sodium_memzero(k->buf, k->used);
	ks_free(k);
	*k = t;
	return 0;
}
