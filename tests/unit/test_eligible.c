/* eligible: the sets a node may offer, made by a scan in steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "draft.h"
#include "eligible.h"
#include "store.h"
#include "testutil.h"

#define N 25

struct fixture {
	char dir[64];
	struct store *st;
	struct trust *t;
	uint8_t self[32], pk[32], sk[64];
	struct msg *m[N + 1];
};

/* A GREEN message of the fixture's origin, seq, decoded into *out and
 * stored. */
static void
s_store(struct fixture *f, uint64_t seq, struct msg **out)
{
	struct draft *d = draft_new();
	struct msg *m = draft_msg(d);
	struct store_rec rec = { .seq = seq };
	char err[256];
	uint8_t *bytes;
	size_t len;
	int res;

	memcpy(m->origin, f->pk, 32);
	m->seq = seq;
	m->time = 1767225600000ULL + seq;
	assert_int_equal(draft_set(d, "tlp", "green", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "title", "t", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "category", "test", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "severity", "low", err, sizeof err), 0);
	assert_int_equal(msg_encode(m, f->sk, NULL, NULL, &bytes, &len), MSG_OK);
	draft_destroy(&d);
	assert_non_null(*out = msg_new());
	assert_int_equal(msg_decode(*out, bytes, len, 0), MSG_OK);
	memcpy(rec.id, (*out)->id, 32);
	memcpy(rec.origin, f->pk, 32);
	rec.time = (*out)->time;
	rec.bytes = bytes;
	rec.len = len;
	assert_int_equal(store_put_batch(f->st, &rec, 1, 1, &res), STORE_OK);
	assert_int_equal(res, STORE_OK);
	free(bytes);
}

static int
s_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct trust_peer p = { .level = MSG_LEVEL_MEMBER };
	uint8_t seed[32];
	char err[256];

	strcpy(f->dir, "/tmp/socmesh-eligible-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	memset(seed, 1, 32);
	crypto_sign_seed_keypair(f->pk, f->sk, seed);
	memset(f->self, 7, 32);
	if (store_open(&f->st, f->dir, f->self, 64ULL << 20, NULL, NULL) != STORE_OK ||
	    (f->t = trust_new()) == NULL)
		return -1;
	snprintf(p.name, sizeof p.name, "origin");
	memcpy(p.id, f->pk, 32);
	if (trust_add(f->t, &p, err, sizeof err) != 0)
		return -1;
	for (uint64_t i = 0; i < N; i++)
		s_store(f, i + 1, &f->m[i]);
	*state = f;
	return 0;
}

static int
s_teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	for (size_t i = 0; i <= N; i++)
		msg_destroy(&f->m[i]);
	trust_destroy(&f->t);
	store_destroy(&f->st);
	rc = tu_rmrf(f->dir);
	free(f);
	return rc;
}

/* The scan judges max messages a step, in commit order, and is done after
 * the step that finds fewer; until then nothing is added by hand (the
 * scan finds what is committed, once), and then every message is in the
 * member class and the external one (GREEN: members only). */
static void
test_scan_in_steps(void **state)
{
	struct fixture *f = *state;
	struct trust_peer member = { .level = MSG_LEVEL_MEMBER },
	                  external = { .level = MSG_LEVEL_EXTERNAL };
	struct eligible *e = eligible_new(f->self);
	struct recon_set *s;
	int steps = 0, rc;

	assert_non_null(e);
	eligible_restart(e);
	assert_false(eligible_ready(e));
	while ((rc = eligible_step(e, f->st, f->t, 10)) == 0) {
		steps++;
		assert_false(eligible_ready(e));
		if (steps == 1) {
			/* Committed during the scan, after its first step. */
			s_store(f, N + 1, &f->m[N]);
			assert_int_equal(eligible_add(e, f->m[N], f->t), 0);
		}
	}
	assert_int_equal(rc, 1);
	assert_int_equal(steps, (N + 1) / 10); /* 10, 10, then 6: done */
	assert_true(eligible_ready(e));
	assert_int_equal(eligible_count(e), N + 1);
	assert_non_null(s = eligible_set(e, &member, 0, NULL));
	assert_int_equal(recon_set_count(s), N + 1);
	recon_set_destroy(&s);
	assert_non_null(s = eligible_set(e, &external, 0, NULL));
	assert_int_equal(recon_set_count(s), 0);
	recon_set_destroy(&s);
	/* Ready: a step does nothing, and adding adds. */
	assert_int_equal(eligible_step(e, f->st, f->t, 10), 1);
	assert_int_equal(eligible_add(e, f->m[0], f->t), 0);
	assert_int_equal(eligible_count(e), N + 2);

	/* A restart forgets it all, and a blocked origin's messages go
	 * nowhere. */
	eligible_restart(e);
	assert_int_equal(eligible_count(e), 0);
	{
		char err[256];
		assert_int_equal(trust_set_level(f->t, "origin", MSG_LEVEL_BLOCKED, err,
		                     sizeof err),
		    0);
	}
	while ((rc = eligible_step(e, f->st, f->t, 0)) == 0)
		;
	assert_int_equal(rc, 1);
	assert_int_equal(eligible_count(e), 0);
	eligible_destroy(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_in_steps, s_setup, s_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
