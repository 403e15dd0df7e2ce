/* index_lessons: the KS_LESSON keys of incidents and updates that carry
 * what their case taught; none for the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index_lessons.h"

static struct msg_str
S(const char *s) {
	return (struct msg_str){ s, strlen(s) };
}

/* Whether k holds the key at p (n bytes, its space byte included). */
static bool
s_has(const struct ks_keys *k, const void *p, size_t n)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->e[i].len == n && memcmp(k->e[i].value, p, n) == 0)
			return true;
	return false;
}

static size_t
s_keys(struct ks_keys *k, const struct msg *m)
{
	ks_clear(k);
	assert_int_equal(index_lessons_keys(k, m), 0);
	ks_finish(k);
	return k->n;
}

static void
test_keys(void **state)
{
	(void)state;
	struct msg *m = msg_new();
	struct ks_keys k = { 0 };
	uint8_t all[KS_MAX_KEY], fraud[KS_MAX_KEY];
	size_t nall = index_lessons_key(all, -1), nfraud = index_lessons_key(fraud, MSG_CAT_FRAUD);

	assert_int_equal(nall, 1);
	assert_int_equal(all[0], KS_LESSON);
	assert_int_equal(nfraud, 6);
	assert_memory_equal(fraud,
	    "\x09"
	    "fraud",
	    6);
	assert_non_null(m);
	msg_clear(m);
	m->kind = MSG_KIND_INCIDENT;
	m->has_body = true;
	m->body.title = S("Phishing");
	m->body.category = MSG_CAT_FRAUD;
	/* no lessons: no key */
	assert_int_equal(s_keys(&k, m), 0);
	/* any of the four: every lesson's key and the category's */
	m->body.response = S("Blocked the domain.");
	assert_int_equal(s_keys(&k, m), 2);
	assert_true(s_has(&k, all, nall));
	assert_true(s_has(&k, fraud, nfraud));
	/* an update that names no category: every lesson's key alone */
	m->kind = MSG_KIND_UPDATE;
	m->body.category = -1;
	m->body.response = S("");
	m->body.lessons = S("Patch sooner.");
	assert_int_equal(s_keys(&k, m), 1);
	assert_true(s_has(&k, all, nall));
	/* a body not opened, or another kind: none */
	m->has_body = false;
	assert_int_equal(s_keys(&k, m), 0);
	m->has_body = true;
	m->kind = MSG_KIND_COMMENT;
	assert_int_equal(s_keys(&k, m), 0);
	ks_free(&k);
	msg_destroy(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
