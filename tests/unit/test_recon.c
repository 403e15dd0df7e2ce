/* recon: set reconciliation finds exactly the symmetric difference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "recon.h"

struct ids {
	uint8_t (*v)[32];
	size_t n;
};

static void
s_random_ids(struct ids *x, size_t n, uint64_t *times, uint64_t tmax)
{
	x->v = malloc(n * 32);
	x->n = n;
	randombytes_buf(x->v, n * 32);
	for (size_t i = 0; i < n; i++)
		/* Few distinct times, so that equal times (id-prefix bounds) are common. */
		times[i] = randombytes_uniform((uint32_t)tmax);
}

static struct recon_set *
s_set(const struct ids *common, const uint64_t *ct, const struct ids *own, const uint64_t *ot)
{
	struct recon_set *s = recon_set_new();
	assert_non_null(s);
	for (size_t i = 0; i < common->n; i++)
		assert_int_equal(recon_set_add(s, ct[i], common->v[i]), 0);
	for (size_t i = 0; i < own->n; i++)
		assert_int_equal(recon_set_add(s, ot[i], own->v[i]), 0);
	assert_int_equal(recon_set_seal(s), 0);
	return s;
}

/* True when the 32-byte id is in the set's have list, or its prefix is in
 * the other side's need list. */
static bool
s_found(const uint8_t id[32], const struct recon_set *s, const struct recon_result *mine,
    const struct recon_result *theirs)
{
	for (size_t i = 0; i < mine->nhave; i++)
		if (memcmp(recon_set_id(s, mine->have[i], NULL), id, 32) == 0)
			return true;
	for (size_t i = 0; i < theirs->nneed; i++)
		if (memcmp(theirs->need[i], id, RECON_PREFIX_LEN) == 0)
			return true;
	return false;
}

/* Runs a whole exchange; returns the number of messages. */
static int
s_exchange(struct recon_set *a, struct recon_set *b, struct recon_result *ra,
    struct recon_result *rb, size_t *bytes)
{
	struct recon_buf msg = { 0 }, reply = { 0 };
	int msgs = 1;

	assert_int_equal(recon_initiate(a, &msg), 0);
	*bytes = msg.len;
	assert_true(msg.len > 0);
	for (;;) {
		struct recon_set *who = msgs % 2 ? b : a;
		reply.len = 0;
		assert_int_equal(recon_reply(who, msg.p, msg.len, &reply, msgs % 2 ? rb : ra),
		    RECON_OK);
		*bytes += reply.len;
		if (reply.len == 0)
			break;
		struct recon_buf t = msg;
		msg = reply, reply = t;
		msgs++;
		assert_true(msgs < 64);
	}
	free(msg.p);
	free(reply.p);
	return msgs;
}

static void
s_case(size_t ncommon, size_t na, size_t nb, uint64_t tmax)
{
	struct ids c, oa, ob;
	uint64_t *ct = calloc(ncommon + 1, 8), *at = calloc(na + 1, 8), *bt = calloc(nb + 1, 8);
	struct recon_result ra = { 0 }, rb = { 0 };
	size_t bytes;

	s_random_ids(&c, ncommon, ct, tmax);
	s_random_ids(&oa, na, at, tmax);
	s_random_ids(&ob, nb, bt, tmax);
	struct recon_set *a = s_set(&c, ct, &oa, at), *b = s_set(&c, ct, &ob, bt);
	s_exchange(a, b, &ra, &rb, &bytes);
	/* Exactly the difference: each side's own items found once, nothing
	 * of the common part. */
	for (size_t i = 0; i < na; i++)
		assert_true(s_found(oa.v[i], a, &ra, &rb));
	for (size_t i = 0; i < nb; i++)
		assert_true(s_found(ob.v[i], b, &rb, &ra));
	assert_int_equal(ra.nhave + rb.nneed, na);
	assert_int_equal(rb.nhave + ra.nneed, nb);
	recon_result_free(&ra);
	recon_result_free(&rb);
	recon_set_destroy(&a);
	recon_set_destroy(&b);
	assert_null(a);
	free(c.v), free(oa.v), free(ob.v), free(ct), free(at), free(bt);
}

static void
test_differences(void **state)
{
	(void)state;
	s_case(20000, 37, 0, 1000000);
	s_case(20000, 0, 41, 1000000);
	s_case(20000, 25, 25, 1000000);
	s_case(5000, 100, 100, 50); /* many equal times */
	s_case(3, 1, 1, 2);
	s_case(0, 0, 5, 10);
	s_case(0, 300, 0, 10);
}

static void
test_identical_sets_settle_at_once(void **state)
{
	(void)state;
	struct ids c;
	uint64_t ct[1000];
	struct ids none = { NULL, 0 };
	struct recon_result ra = { 0 }, rb = { 0 };
	size_t bytes;

	s_random_ids(&c, 1000, ct, 1u << 30);
	struct recon_set *a = s_set(&c, ct, &none, NULL), *b = s_set(&c, ct, &none, NULL);
	assert_int_equal(s_exchange(a, b, &ra, &rb, &bytes), 1);
	/* one message: version and four fingerprinted ranges */
	assert_true(bytes < 64);
	assert_int_equal(ra.nhave + ra.nneed + rb.nhave + rb.nneed, 0);
	recon_set_destroy(&a);
	recon_set_destroy(&b);
	free(c.v);
}

/* The opening message over a set: equal sets, equal messages. */
static void
s_assert_same(const struct recon_set *x, const struct recon_set *y)
{
	struct recon_buf a = { 0 }, b = { 0 };

	assert_int_equal(recon_set_count(x), recon_set_count(y));
	assert_int_equal(recon_initiate(x, &a), 0);
	assert_int_equal(recon_initiate(y, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	free(a.p);
	free(b.p);
}

/* A view shows the items of its set as they were (appends after it do
 * not show), from its first item on, and reconciles as a set sealed from
 * the same items would; an item that does not sort last is not appended. */
static void
test_views_and_appends(void **state)
{
	enum { N = 1000, M = 300, FROM = 129 };
	uint8_t ids[N + M][32];
	struct recon_set *s = recon_set_new(), *v0, *v1, *first, *tail;
	struct recon_result ra = { 0 }, rb = { 0 };
	size_t bytes;

	(void)state;
	randombytes_buf(ids, sizeof ids);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(recon_set_add(s, 1000 + i / 3, ids[i]), 0);
	assert_int_equal(recon_set_seal(s), 0);
	assert_non_null(v0 = recon_set_view(s, 0));
	/* Appended in (time, id) order: times after every item of s. */
	for (size_t i = N; i < N + M; i++)
		assert_int_equal(recon_set_append(s, 1000 + i, ids[i]), 0);
	assert_int_equal(recon_set_append(s, 5, ids[0]), 1);
	assert_non_null(v1 = recon_set_view(s, FROM));

	first = recon_set_new();
	for (size_t i = 0; i < N; i++)
		assert_int_equal(recon_set_add(first, 1000 + i / 3, ids[i]), 0);
	assert_int_equal(recon_set_seal(first), 0);
	s_assert_same(v0, first);

	tail = recon_set_new();
	for (size_t i = 0; i < N + M; i++)
		assert_int_equal(recon_set_add(tail, i < N ? 1000 + i / 3 : 1000 + i, ids[i]), 0);
	assert_int_equal(recon_set_seal(tail), 0);
	/* tail less its FROM first items, in order: as v1. */
	struct recon_set *cut = recon_set_new();
	for (size_t i = FROM; i < N + M; i++) {
		uint64_t t;
		const uint8_t *id = recon_set_id(tail, i, &t);
		assert_int_equal(recon_set_add(cut, t, id), 0);
	}
	assert_int_equal(recon_set_seal(cut), 0);
	s_assert_same(v1, cut);
	/* A view reconciles: v1 against the whole finds the FROM missing. */
	s_exchange(v1, tail, &ra, &rb, &bytes);
	assert_int_equal(ra.nhave + rb.nneed, 0);
	assert_int_equal(rb.nhave + ra.nneed, FROM);

	recon_result_free(&ra);
	recon_result_free(&rb);
	recon_set_destroy(&s); /* the views still hold it */
	s_assert_same(v0, first);
	recon_set_destroy(&v0);
	recon_set_destroy(&v1);
	recon_set_destroy(&first);
	recon_set_destroy(&tail);
	recon_set_destroy(&cut);
}

static void
test_hostile(void **state)
{
	(void)state;
	struct recon_set *s = recon_set_new();
	struct recon_result r = { 0 };
	struct recon_buf out = { 0 };
	uint8_t id[32] = { 1 };
	static const struct {
		uint8_t b[24];
		size_t n;
		int err;
	} cases[] = {
		{ { 0x02 }, 1, RECON_E_VERSION }, { { 0 }, 0, RECON_E_VERSION },
		{ { 0x01, 0x05 }, 2, RECON_E_TRUNCATED },
		{ { 0x01, 0x80, 0x00, 0x00, 0x00 }, 5, RECON_E_VARINT }, /* needless zero byte */
		{ { 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, 11,
		    RECON_E_VARINT },
		{ { 0x01, 0x05, 0x21 }, 3, RECON_E_BOUND }, /* prefix of 33 */
		{ { 0x01, 0x05, 0x00, 0x09 }, 4, RECON_E_MODE },
		{ { 0x01, 0x05, 0x00, 0x00, 0x01, 0x00, 0x00 }, 7,
		    RECON_E_BOUND }, /* same bound twice */
		{ { 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00 }, 7,
		    RECON_E_BOUND }, /* after infinity */
		{ { 0x01, 0x05, 0x00, 0x02, 0xff, 0xff, 0x03 }, 7,
		    RECON_E_TRUNCATED },                                    /* id list count */
		{ { 0x01, 0x05, 0x00, 0x01, 0xaa }, 5, RECON_E_TRUNCATED }, /* fingerprint */
	};

	assert_int_equal(recon_set_add(s, 7, id), 0);
	assert_int_equal(recon_set_seal(s), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		out.len = 0;
		assert_int_equal(recon_reply(s, cases[i].b, cases[i].n, &out, &r), cases[i].err);
	}
	assert_int_equal(recon_reply(s, id, RECON_MAX_MSG + 1, &out, &r), RECON_E_TOOBIG);
	assert_string_equal(recon_strerror(RECON_E_MODE), "unknown range mode");
	free(out.p);
	recon_result_free(&r);
	recon_set_destroy(&s);
}

/* The vector of docs/PROTOCOL.md section 12.4, read from the document:
 * every message of the exchange byte for byte.  SOCMESH_VECTORS_PRINT=1
 * prints the messages instead (for writing the vector, never to fix it). */
static void
test_vector(void **state)
{
	(void)state;
	struct recon_set *set[2] = { recon_set_new(), recon_set_new() };
	struct recon_result r[2] = { { 0 } };
	struct recon_buf msg = { 0 }, reply = { 0 };
	char line[1100], want[32][1100];
	size_t nwant = 0, nmsg = 0;
	bool in = false;
	FILE *f = fopen("docs/PROTOCOL.md", "r");

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "```recon-vector") == 0)
			in = true;
		else if (in && strcmp(line, "```") == 0)
			in = false;
		else if (in && strncmp(line, "msg: ", 5) == 0 && nwant < 32)
			snprintf(want[nwant++], sizeof want[0], "%s", line + 5);
	}
	fclose(f);
	for (uint8_t i = 0; i <= 10; i++) {
		uint8_t id[32];
		crypto_generichash(id, sizeof id, &i, 1, NULL, 0);
		if (i != 10)
			assert_int_equal(recon_set_add(set[0], 1000 + 10 * (i / 2), id), 0);
		if (i != 9)
			assert_int_equal(recon_set_add(set[1], 1000 + 10 * (i / 2), id), 0);
	}
	assert_int_equal(recon_set_seal(set[0]), 0);
	assert_int_equal(recon_set_seal(set[1]), 0);
	assert_int_equal(recon_initiate(set[0], &msg), 0);
	for (;;) {
		char hex[2 * 512 + 1];
		assert_true(msg.len <= 512);
		sodium_bin2hex(hex, sizeof hex, msg.p, msg.len);
		if (getenv("SOCMESH_VECTORS_PRINT") != NULL)
			printf("msg: %s\n", hex);
		else {
			assert_true(nmsg < nwant);
			assert_string_equal(hex, want[nmsg]);
		}
		nmsg++;
		reply.len = 0;
		assert_int_equal(recon_reply(set[nmsg % 2], msg.p, msg.len, &reply, &r[nmsg % 2]),
		    RECON_OK);
		if (reply.len == 0)
			break;
		struct recon_buf t = msg;
		msg = reply, reply = t;
	}
	if (getenv("SOCMESH_VECTORS_PRINT") == NULL)
		assert_int_equal(nmsg, nwant);
	/* A learns B lacks item 9 (A's index 9); B learns A lacks item 10. */
	uint8_t nine = 9, ten = 10, h[32];
	size_t found = 0;
	for (int side = 0; side < 2; side++) {
		for (size_t i = 0; i < r[side].nhave; i++) {
			crypto_generichash(h, 32, side == 0 ? &nine : &ten, 1, NULL, 0);
			assert_memory_equal(recon_set_id(set[side], r[side].have[i], NULL), h, 32);
			found++;
		}
		for (size_t i = 0; i < r[side].nneed; i++) {
			crypto_generichash(h, 32, side == 0 ? &ten : &nine, 1, NULL, 0);
			assert_memory_equal(r[side].need[i], h, RECON_PREFIX_LEN);
			found++;
		}
	}
	assert_int_equal(found, 2);
	free(msg.p), free(reply.p);
	recon_result_free(&r[0]), recon_result_free(&r[1]);
	recon_set_destroy(&set[0]), recon_set_destroy(&set[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differences),
		cmocka_unit_test(test_identical_sets_settle_at_once),
		cmocka_unit_test(test_views_and_appends),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_vector),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
