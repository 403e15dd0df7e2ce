/* refused: a bounded set of refused ids, oldest forgotten first; provisional
 * entries forgotten on demand; the blob round-trips, and a damaged one loads
 * what is whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "refused.h"

static void
s_id(uint8_t id[32], unsigned i)
{
	memset(id, 0, 32);
	/* Descending bytes, so that insertion order is not id order. */
	id[0] = (uint8_t)(255 - i % 256);
	id[1] = (uint8_t)(i / 256);
}

static void
test_add_find_forget(void **state)
{
	struct refused *r = refused_new();
	uint8_t a[32], b[32], c[32];

	(void)state;
	assert_non_null(r);
	s_id(a, 1), s_id(b, 2), s_id(c, 3);
	assert_int_equal(refused_add(r, a, false, "bad-signature"), 1);
	assert_int_equal(refused_add(r, b, true, "origin-unknown"), 1);
	assert_int_equal(refused_add(r, a, true, "other"), 0); /* once */
	assert_string_equal(refused_find(r, a), "bad-signature");
	assert_string_equal(refused_find(r, b), "origin-unknown");
	assert_null(refused_find(r, c));
	assert_int_equal(refused_count(r), 2);
	assert_true(refused_dirty(r));
	assert_int_equal(refused_forget_provisional(r), 1);
	assert_null(refused_find(r, b));
	assert_non_null(refused_find(r, a));
	refused_destroy(&r);
	assert_null(r);
	refused_destroy(&r);
}

static void
test_bounded_oldest_first(void **state)
{
	struct refused *r = refused_new();
	uint8_t id[32];

	(void)state;
	for (unsigned i = 0; i < REFUSED_MAX + 10; i++) {
		s_id(id, i);
		assert_int_equal(refused_add(r, id, false, "too-big"), 1);
	}
	assert_int_equal(refused_count(r), REFUSED_MAX);
	for (unsigned i = 0; i < 10; i++) {
		s_id(id, i);
		assert_null(refused_find(r, id));
	}
	s_id(id, 10);
	assert_non_null(refused_find(r, id));
	s_id(id, REFUSED_MAX + 9);
	assert_non_null(refused_find(r, id));
	refused_destroy(&r);
}

static void
test_blob_roundtrip(void **state)
{
	struct refused *r = refused_new(), *q = refused_new();
	uint8_t id[32], *blob;
	size_t len;

	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		s_id(id, i);
		assert_int_equal(refused_add(r, id, i % 2 == 1, i % 2 ? "no-relay" : "expired"), 1);
	}
	assert_int_equal(refused_blob(r, &blob, &len), 0);
	assert_false(refused_dirty(r));
	assert_int_equal(refused_load(q, blob, len), 0);
	assert_int_equal(refused_count(q), 100);
	s_id(id, 7);
	assert_string_equal(refused_find(q, id), "no-relay");
	/* The class survives: provisional ones go, permanent ones stay. */
	assert_int_equal(refused_forget_provisional(q), 50);
	s_id(id, 8);
	assert_string_equal(refused_find(q, id), "expired");
	/* A truncated or hostile blob loads what is whole, nothing more. */
	refused_destroy(&q);
	q = refused_new();
	assert_int_equal(refused_load(q, blob, len - 3), 0);
	assert_int_equal(refused_count(q), 99);
	blob[33] = 0; /* a zero-length reason ends it */
	refused_destroy(&q);
	q = refused_new();
	assert_int_equal(refused_load(q, blob, len), 0);
	assert_int_equal(refused_count(q), 0);
	free(blob);
	refused_destroy(&r);
	refused_destroy(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_forget),
		cmocka_unit_test(test_bounded_oldest_first),
		cmocka_unit_test(test_blob_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
