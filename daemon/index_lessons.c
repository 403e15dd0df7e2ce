/*
 * The KS_LESSON keys of a message (index_lessons.h).
 */
#include "index_lessons.h"

#include <string.h>

size_t
index_lessons_key(uint8_t out[KS_MAX_KEY], int category)
{
	const char *w;
	size_t n;

	out[0] = KS_LESSON;
	if (category < 0)
		return 1;
	w = msg_category_name((enum msg_category)category);
	n = strlen(w);
	memcpy(out + 1, w, n);
	return 1 + n;
}

int
index_lessons_keys(struct ks_keys *k, const struct msg *m)
{
	uint8_t key[KS_MAX_KEY];
	size_t n;

	if (!m->has_body || (m->kind != MSG_KIND_INCIDENT && m->kind != MSG_KIND_UPDATE) ||
	    !msg_has_lessons(&m->body))
		return 0;
	n = index_lessons_key(key, m->body.category);
	if (ks_add(k, KS_LESSON, key + 1, 0) == -1)
		return -1;
	return n > 1 ? ks_add(k, KS_LESSON, key + 1, n - 1) : 0;
}
