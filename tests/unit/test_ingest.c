/* ingest: the decode -> check -> verify -> group-commit pipeline. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "draft.h"
#include "ingest.h"
#include "store.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct store *st;
	struct msg *im;
	uint8_t pk[32], sk[64], cpk[32], csk[32];
	uint8_t bpk[32], bsk[64];
};

static int
s_index(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	(void)arg, (void)bytes, (void)len, (void)rec;
	return -1;
}

static int
s_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	uint8_t seed[32];

	strcpy(f->dir, "/tmp/socmesh-ingest-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	memset(seed, 1, 32);
	crypto_sign_seed_keypair(f->pk, f->sk, seed);
	memset(seed, 2, 32);
	crypto_sign_seed_keypair(f->bpk, f->bsk, seed);
	if (crypto_sign_ed25519_pk_to_curve25519(f->cpk, f->pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(f->csk, f->sk) != 0)
		return -1;
	if (store_open(&f->st, f->dir, f->pk, 64ULL << 20, s_index, NULL) != STORE_OK)
		return -1;
	*state = f;
	return 0;
}

static int
s_teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_destroy(&f->st);
	rc = tu_rmrf(f->dir);
	free(f);
	return rc;
}

/* Signs a message from (pk, sk): tlp, one indicator, optional recipient. */
static uint8_t *
s_make(const uint8_t *pk, const uint8_t *sk, const char *tlp, const char *ioc, const uint8_t *to,
    uint64_t seq, size_t *len)
{
	struct draft *d = draft_new();
	struct msg *m = draft_msg(d);
	char err[256];
	uint8_t *out;

	memcpy(m->origin, pk, 32);
	m->seq = seq;
	m->time = 1767225600000ULL + seq;
	assert_int_equal(draft_set(d, "tlp", tlp, err, sizeof err), 0);
	assert_int_equal(draft_set(d, "title", "t", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "category", "test", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "severity", "low", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "indicator", ioc, err, sizeof err), 0);
	if (to != NULL)
		assert_int_equal(draft_add_recipient(d, to, err, sizeof err), 0);
	assert_int_equal(msg_encode(m, sk, NULL, NULL, &out, len), MSG_OK);
	draft_destroy(&d);
	return out;
}

static uint8_t *
s_dup(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n);
	memcpy(c, p, n);
	return c;
}

/* Rejects messages whose title is "t" when the tag says so. */
static int
s_check(void *arg, const struct msg *m, void *tag)
{
	(void)arg, (void)m;
	return tag == (void *)9 ? -42 : 0;
}

static void
test_pipeline(void **state)
{
	struct fixture *f = *state;
	struct ingest_cfg cfg = { .check = s_check, .self = f->pk, .batch_max = 4, .queue = 8 };
	struct ingest *in = ingest_new(f->st, &cfg);
	struct ingest_result r[16];
	size_t len, len2, len3, n;
	uint8_t *a = s_make(f->pk, f->sk, "green", "ipv4:192.0.2.1", NULL, 1, &len);
	uint8_t *b = s_make(f->bpk, f->bsk, "amber", "domain:sealed.example", f->pk, 1, &len2);
	uint8_t *c = s_make(f->bpk, f->bsk, "clear", "ipv4:192.0.2.9", NULL, 2, &len3);
	uint8_t *bad = s_dup(a, len);
	/* amber from b to someone else: never stored here */
	uint8_t other[32], osk[64], seed[32] = { 7 };
	size_t len4;
	crypto_sign_seed_keypair(other, osk, seed);
	uint8_t *d = s_make(f->bpk, f->bsk, "amber", "domain:not-ours.example", other, 3, &len4);

	assert_non_null(in);
	bad[len - 1] ^= 1; /* signature byte */
	assert_int_equal(ingest_submit(in, s_dup(a, len), len, (void *)1), 0);
	assert_int_equal(ingest_submit(in, s_dup(a, len), len, (void *)2), 0);
	assert_int_equal(ingest_submit(in, bad, len, (void *)3), 0);
	assert_int_equal(ingest_submit(in, s_dup(a, 10), 10, (void *)4), 0);
	assert_int_equal(ingest_submit(in, b, len2, (void *)5), 0);
	assert_int_equal(ingest_submit(in, c, len3, (void *)9), 0);
	assert_int_equal(ingest_submit(in, d, len4, (void *)6), 0);
	ingest_wait(in);

	struct pollfd pfd = { ingest_fd(in), POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 0), 1);
	n = ingest_results(in, r, 16);
	assert_int_equal(n, 7);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	for (size_t i = 0; i < n; i++) {
		switch ((uintptr_t)r[i].tag) {
		case 1: /* one of the two copies is stored, the other a dup */
		case 2:
			assert_true(r[i].status == INGEST_STORED || r[i].status == INGEST_DUP);
			break;
		case 3:
			assert_int_equal(r[i].status, INGEST_E_SIG);
			break;
		case 4:
			assert_int_equal(r[i].status, INGEST_E_DECODE);
			assert_int_equal(r[i].err, MSG_E_TRUNCATED);
			break;
		case 5:
			assert_int_equal(r[i].status, INGEST_STORED);
			break;
		case 6:
			assert_int_equal(r[i].status, INGEST_E_DECODE);
			assert_int_equal(r[i].err, MSG_E_NOT_RECIPIENT);
			break;
		case 9:
			assert_int_equal(r[i].status, INGEST_E_CHECK);
			assert_int_equal(r[i].err, -42);
			break;
		default:
			fail();
		}
	}
	ingest_destroy(&in);
	assert_null(in);

	/* Stored: a once, b once; b's indicator stays sealed, in the index
	 * too, though this node is its recipient. */
	size_t msgs, origins;
	assert_int_equal(store_ioc_count(f->st, "192.0.2.1", 9, &msgs, &origins), STORE_OK);
	assert_int_equal(msgs, 1);
	assert_int_equal(store_ioc_count(f->st, "sealed.example", 14, &msgs, &origins), STORE_OK);
	assert_int_equal(msgs, 0);
	for (size_t i = 0; i < n; i++) {
		if ((uintptr_t)r[i].tag == 5)
			assert_int_equal(store_has(f->st, r[i].id), 1);
		if ((uintptr_t)r[i].tag == 6)
			assert_int_equal(store_has(f->st, r[i].id), 0);
	}
	assert_int_equal(store_ioc_count(f->st, "192.0.2.9", 9, &msgs, &origins), STORE_OK);
	assert_int_equal(msgs, 0);
	free(a);
}

/* More messages than all queues hold, collected while submitting. */
static void
test_backpressure(void **state)
{
	struct fixture *f = *state;
	struct ingest_cfg cfg = { .self = f->pk, .queue = 4, .batch_max = 3 };
	struct ingest *in = ingest_new(f->st, &cfg);
	struct ingest_result r[8];
	size_t stored = 0, total = 0, len;
	char ioc[32];

	for (int i = 0; i < 200; i++) {
		snprintf(ioc, sizeof ioc, "ipv4:198.51.100.%d", i % 250);
		uint8_t *m = s_make(f->pk, f->sk, "green", ioc, NULL, 100 + (uint64_t)i, &len);
		assert_int_equal(ingest_submit(in, m, len, NULL), 0);
		for (size_t k; (k = ingest_results(in, r, 8)) > 0; total += k)
			for (size_t j = 0; j < k; j++)
				stored += r[j].status == INGEST_STORED;
	}
	ingest_wait(in);
	for (size_t k; (k = ingest_results(in, r, 8)) > 0; total += k)
		for (size_t j = 0; j < k; j++)
			stored += r[j].status == INGEST_STORED;
	assert_int_equal(total, 200);
	assert_int_equal(stored, 200);
	ingest_destroy(&in);
}

/* With keep_bytes, a stored message's result hands its bytes back (what
 * gossip pushes); a duplicate's and a refusal's hand nothing, and results
 * never collected are freed with the ingest (LeakSanitizer). */
static void
test_keep_bytes(void **state)
{
	struct fixture *f = *state;
	struct ingest_cfg cfg = { .self = f->pk, .keep_bytes = true };
	struct ingest *in = ingest_new(f->st, &cfg);
	struct ingest_result r[4];
	size_t len, len2, stored = 0;
	uint8_t *a = s_make(f->pk, f->sk, "green", "ipv4:192.0.2.1", NULL, 1, &len);
	uint8_t *bad = s_dup(a, len);
	uint8_t *c = s_make(f->pk, f->sk, "green", "ipv4:192.0.2.2", NULL, 2, &len2);

	assert_non_null(in);
	bad[len - 1] ^= 1;
	assert_int_equal(ingest_submit(in, s_dup(a, len), len, (void *)1), 0);
	ingest_wait(in);
	assert_int_equal(ingest_submit(in, s_dup(a, len), len, (void *)2), 0);
	assert_int_equal(ingest_submit(in, bad, len, (void *)3), 0);
	ingest_wait(in);
	assert_int_equal(ingest_results(in, r, 4), 3);
	for (size_t i = 0; i < 3; i++) {
		if (r[i].status == INGEST_STORED) {
			stored++;
			assert_int_equal(r[i].len, len);
			assert_memory_equal(r[i].bytes, a, len);
		} else
			assert_null(r[i].bytes);
		free(r[i].bytes);
	}
	assert_int_equal(stored, 1);
	assert_int_equal(ingest_submit(in, c, len2, (void *)4), 0);
	ingest_wait(in);
	ingest_destroy(&in);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipeline, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_keep_bytes, s_setup, s_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
