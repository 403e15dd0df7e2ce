/* Unit tests for daemon/iocseal: the index key file, sealed keys, and the
 * sealed index entries of addressed messages (never their values in
 * clear, not even in the store's file). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draft.h"
#include "ingest.h"
#include "iocseal.h"
#include "keys.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

struct fixture {
	char dir[64];
	struct keys *a, *b, *c; /* origin, recipient, neither */
};

/* The keys of a seed of 32 bytes v. */
static struct keys *
s_keys(int v)
{
	char line[65];
	uint8_t seed[32];

	memset(seed, v, sizeof seed);
	hex_encode(line, seed, sizeof seed);
	return keys_parse(line, 64, "test", NULL, 0);
}

static int
s_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL || tu_mkdtemp(f->dir, "iocseal") == -1)
		return -1;
	f->a = s_keys(1), f->b = s_keys(2), f->c = s_keys(3);
	*state = f;
	return f->a != NULL && f->b != NULL && f->c != NULL ? 0 : -1;
}

static int
s_teardown(void **state)
{
	struct fixture *f = *state;
	int rc = tu_rmrf(f->dir);

	keys_destroy(&f->a), keys_destroy(&f->b), keys_destroy(&f->c);
	free(f);
	return rc;
}

/* DIR/name into out (256 bytes). */
static void
s_path(char out[256], const struct fixture *f, const char *name)
{
	snprintf(out, 256, "%s/%s", f->dir, name);
}

/* A TLP message from `from` with two indicators, to `to` when addressed:
 * its bytes (free them). */
static uint8_t *
s_make(const struct keys *from, const char *tlp, const struct keys *to, size_t *len)
{
	struct draft *d = draft_new();
	struct msg *m = draft_msg(d);
	char err[256];
	uint8_t *out;

	memcpy(m->origin, from->pk, 32);
	m->seq = 1;
	m->time = 1767225600000ULL;
	assert_int_equal(draft_set(d, "tlp", tlp, err, sizeof err), 0);
	assert_int_equal(draft_set(d, "title", "t", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "category", "test", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "severity", "low", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "indicator", "evil[.]example", err, sizeof err), 0);
	assert_int_equal(draft_set(d, "indicator", "192.0.2.77", err, sizeof err), 0);
	if (to != NULL)
		assert_int_equal(draft_add_recipient(d, to->pk, err, sizeof err), 0);
	assert_int_equal(msg_encode(m, from->sk, NULL, NULL, &out, len), MSG_OK);
	draft_destroy(&d);
	return out;
}

static void
test_key_file(void **state)
{
	struct fixture *f = *state;
	struct iocseal *s, *again, *other;
	uint8_t k1[IOCSEAL_KEY_LEN], k2[IOCSEAL_KEY_LEN], k3[IOCSEAL_KEY_LEN];
	char err[512], path[256], other_dir[64];
	struct stat st;
	mode_t old = umask(0);

	/* Made when missing: 64 hex digits and a line end, mode 0600
	 * whatever the umask. */
	s_path(path, f, IOCSEAL_FILE);
	assert_int_equal(access(path, F_OK), -1);
	s = iocseal_open(f->dir, f->a, err, sizeof err);
	umask(old);
	assert_non_null(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	/* Read again: the same key, whatever the secret key. */
	assert_non_null(again = iocseal_open(f->dir, f->b, err, sizeof err));
	iocseal_key(s, "evil.example", 12, k1);
	iocseal_key(again, "evil.example", 12, k2);
	assert_memory_equal(k1, k2, sizeof k1);
	assert_int_equal(k1[0], STORE_IOC_SEALED);
	iocseal_key(s, "evil.exampl", 11, k2);
	assert_memory_not_equal(k1, k2, sizeof k1);
	/* Another node's index key: another sealed key. */
	assert_int_equal(tu_mkdtemp(other_dir, "iocseal2"), 0);
	assert_non_null(other = iocseal_open(other_dir, f->a, err, sizeof err));
	iocseal_key(other, "evil.example", 12, k3);
	assert_memory_not_equal(k1, k3, sizeof k1);
	iocseal_destroy(&s), iocseal_destroy(&again), iocseal_destroy(&other);
	iocseal_destroy(&other); /* NULL-safe */
	assert_null(s);
	assert_int_equal(tu_rmrf(other_dir), 0);
	unlink(path);
}

static void
test_key_file_refused(void **state)
{
	struct fixture *f = *state;
	struct iocseal *s;
	char err[512], path[256], want[700];

	s_path(path, f, IOCSEAL_FILE);
	assert_non_null(s = iocseal_open(f->dir, f->a, err, sizeof err));
	iocseal_destroy(&s);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(iocseal_open(f->dir, f->a, err, sizeof err));
	snprintf(want, sizeof want,
	    "%s: permissions 0644 are too open; the secret key must not be readable by "
	    "others (run: chmod 600 %s)",
	    path, path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tu_write(path, "not a key\n"), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_null(iocseal_open(f->dir, f->a, err, sizeof err));
	snprintf(want, sizeof want, "%s: malformed secret key: expected one line of 64 hex digits",
	    path);
	assert_string_equal(err, want);
	unlink(path);
}

/* The keys of msg bytes for the node of k (ingest_rec()): how many are the
 * sealed keys of the two indicator values; every key of an addressed
 * message is a sealed key, and none is a value in clear. */
static size_t
s_entries(const struct fixture *f, const struct keys *k, const uint8_t *bytes, size_t len)
{
	struct msg *m = msg_new();
	struct ks_keys keys = { 0 };
	struct store_rec rec;
	uint8_t want[2][IOCSEAL_KEY_LEN];
	char err[512];
	struct iocseal *s = iocseal_open(f->dir, k, err, sizeof err);
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(msg_decode(m, bytes, len, 0), MSG_OK);
	assert_int_equal(ingest_rec(&rec, &keys, s, m, bytes, len), 0);
	assert_false(m->has_body && msg_tlp_addressed(m->tlp));
	iocseal_key(s, "evil.example", 12, want[0]);
	iocseal_key(s, "192.0.2.77", 10, want[1]);
	assert_memory_not_equal(want[0], want[1], IOCSEAL_KEY_LEN);
	for (size_t i = 0; i < rec.nioc; i++) {
		const struct store_ioc *e = &rec.ioc[i];
		if (msg_tlp_addressed(m->tlp))
			assert_true(
			    e->len == IOCSEAL_KEY_LEN && (uint8_t)e->value[0] == STORE_IOC_SEALED);
		n += e->len == IOCSEAL_KEY_LEN &&
		    (memcmp(e->value, want[0], IOCSEAL_KEY_LEN) == 0 ||
		        memcmp(e->value, want[1], IOCSEAL_KEY_LEN) == 0);
	}
	ks_free(&keys);
	msg_destroy(&m);
	iocseal_destroy(&s);
	return n;
}

static void
test_entries(void **state)
{
	struct fixture *f = *state;
	size_t len, glen;
	uint8_t *amber = s_make(f->a, "amber", f->b, &len);
	uint8_t *green = s_make(f->a, "green", NULL, &glen);

	assert_int_equal(s_entries(f, f->b, amber, len), 2);  /* a recipient */
	assert_int_equal(s_entries(f, f->a, amber, len), 2);  /* the origin */
	assert_int_equal(s_entries(f, f->c, amber, len), 0);  /* neither */
	assert_int_equal(s_entries(f, f->b, green, glen), 0); /* clear: not sealed */
	free(amber);
	free(green);
}

/* A body sealed to a key the node rotated away opens with the kept key. */
static void
test_entries_old_key(void **state)
{
	struct fixture *f = *state;
	char path[256], hex[65], line[96];
	uint8_t seed[32];
	size_t len;
	uint8_t *amber = s_make(f->a, "red", f->b, &len);

	hex_encode(hex, f->b->pk, 32);
	hex[16] = '\0';
	snprintf(line, sizeof line, "%s.%s.old", KEYS_SECRET_FILE, hex);
	s_path(path, f, line);
	memset(seed, 2, sizeof seed);
	hex_encode(line, seed, sizeof seed);
	line[64] = '\n', line[65] = '\0';
	assert_int_equal(tu_write(path, line), 0);
	/* The node is now c (its new key), b's key kept. */
	assert_int_equal(s_entries(f, f->c, amber, len), 2);
	unlink(path);
	assert_int_equal(s_entries(f, f->c, amber, len), 0);
	free(amber);
}

/* Whether the n bytes at needle occur in the len bytes at hay. */
static bool
s_contains(const char *hay, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

/* What ingest_rec() gives the store: the message found by the
 * sealed key, not by the value, and the value nowhere in the file. */
static int
s_found(void *arg, const struct store_item *it)
{
	(void)it;
	(*(int *)arg)++;
	return 0;
}

static void
test_store_holds_no_value(void **state)
{
	struct fixture *f = *state;
	struct iocseal *s;
	struct store *st = NULL;
	struct msg *m = msg_new();
	struct ks_keys keys = { 0 };
	struct store_rec rec;
	uint8_t key[IOCSEAL_KEY_LEN];
	char err[512], sdir[256], path[300], *data;
	size_t len, dlen;
	int result, found = 0;
	uint8_t *amber = s_make(f->a, "amber+strict", f->b, &len);

	assert_non_null(s = iocseal_open(f->dir, f->b, err, sizeof err));
	s_path(sdir, f, "store");
	assert_int_equal(store_open(&st, sdir, f->b->pk, 16ULL << 20, NULL, NULL), STORE_OK);
	assert_int_equal(msg_decode(m, amber, len, 0), MSG_OK);
	assert_int_equal(ingest_rec(&rec, &keys, s, m, amber, len), 0);
	assert_true(rec.nioc >= 2);
	assert_int_equal(store_put_batch(st, &rec, 1, 1, &result), STORE_OK);
	assert_true(store_by_ioc(st, "evil.example", 12, 0, 0, s_found, &found) >= 0);
	assert_int_equal(found, 0);
	iocseal_key(s, "evil.example", 12, key);
	assert_true(store_by_ioc(st, (const char *)key, sizeof key, 0, 0, s_found, &found) >= 0);
	assert_int_equal(found, 1);
	/* Without a seal, nothing indexed. */
	assert_int_equal(ingest_rec(&rec, &keys, NULL, m, amber, len), 0);
	assert_int_equal(rec.nioc, 0);
	ks_free(&keys);
	store_destroy(&st);
	snprintf(path, sizeof path, "%s/data.mdb", sdir);
	assert_int_equal(file_read_all(path, 64u << 20, &data, &dlen), 0);
	assert_false(s_contains(data, dlen, "evil.example", 12));
	assert_false(s_contains(data, dlen, "192.0.2.77", 10));
	assert_true(s_contains(data, dlen, (const char *)key, sizeof key));
	free(data);
	free(amber);
	msg_destroy(&m);
	iocseal_destroy(&s);
}

/* The index function of a node whose seal is x->seal (NULL: opened
 * without its keys). */
struct ix {
	struct msg *m;
	struct iocseal *seal;
	struct ks_keys keys;
};

static int
s_ix(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	struct ix *x = arg;

	if (msg_decode(x->m, bytes, len, 0) != MSG_OK)
		return -1;
	return ingest_rec(rec, &x->keys, x->seal, x->m, bytes, len);
}

/* store_check() of the store in sdir with the index function of seal. */
static int
s_check(const struct fixture *f, const char *sdir, struct iocseal *seal, char *err, size_t errlen)
{
	static struct ix x;
	struct store *st = NULL;
	int rc;

	x.m = msg_new(), x.seal = seal;
	assert_int_equal(store_open(&st, sdir, f->b->pk, 16ULL << 20, s_ix, &x), STORE_OK);
	rc = store_check(st, err, errlen);
	store_destroy(&st);
	ks_free(&x.keys);
	msg_destroy(&x.m);
	return rc;
}

/* A store check verifies the sealed entries with the keys, and leaves
 * them out of its counts without them. */
static void
test_store_check(void **state)
{
	struct fixture *f = *state;
	char err[512], sdir[256], odir[64];
	struct iocseal *s = iocseal_open(f->dir, f->b, err, sizeof err), *other;
	struct store *st = NULL;
	struct msg *m = msg_new();
	struct ks_keys keys[2] = { { 0 } };
	struct store_rec rec[2];
	uint8_t *bytes[2];
	size_t len[2];
	int result[2];

	assert_non_null(s);
	bytes[0] = s_make(f->a, "amber", f->b, &len[0]);
	bytes[1] = s_make(f->a, "green", NULL, &len[1]);
	s_path(sdir, f, "checked");
	assert_int_equal(store_open(&st, sdir, f->b->pk, 16ULL << 20, NULL, NULL), STORE_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(msg_decode(m, bytes[i], len[i], 0), MSG_OK);
		assert_int_equal(ingest_rec(&rec[i], &keys[i], s, m, bytes[i], len[i]), 0);
		assert_int_equal(store_put_batch(st, &rec[i], 1, 1, &result[i]), STORE_OK);
	}
	store_destroy(&st);
	assert_int_equal(s_check(f, sdir, s, err, sizeof err), STORE_OK);
	assert_int_equal(s_check(f, sdir, NULL, err, sizeof err), STORE_OK);
	/* Another index key implies other sealed keys: not indexed. */
	assert_int_equal(tu_mkdtemp(odir, "iocseal3"), 0);
	assert_non_null(other = iocseal_open(odir, f->b, err, sizeof err));
	assert_int_equal(s_check(f, sdir, other, err, sizeof err), STORE_E_CORRUPT);
	assert_non_null(strstr(err, "is not indexed"));
	iocseal_destroy(&other);
	assert_int_equal(tu_rmrf(odir), 0);
	/* Expiry removes the sealed entries with their message. */
	static struct ix x;
	uint8_t key[IOCSEAL_KEY_LEN];
	size_t removed = 0;
	int found = 0;
	x.m = msg_new(), x.seal = s;
	assert_int_equal(store_open(&st, sdir, f->b->pk, 16ULL << 20, s_ix, &x), STORE_OK);
	assert_int_equal(store_expire(st, UINT64_MAX / 2, 0, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	iocseal_key(s, "evil.example", 12, key);
	assert_true(store_by_ioc(st, (const char *)key, sizeof key, 0, 0, s_found, &found) >= 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_check(st, err, sizeof err), STORE_OK);
	store_destroy(&st);
	ks_free(&x.keys);
	msg_destroy(&x.m);
	for (int i = 0; i < 2; i++)
		ks_free(&keys[i]), free(bytes[i]);
	msg_destroy(&m);
	iocseal_destroy(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_key_file_refused),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_entries_old_key),
		cmocka_unit_test(test_store_holds_no_value),
		cmocka_unit_test(test_store_check),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
