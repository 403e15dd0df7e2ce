/*
 * test_index_text — the words of a text (folding of case, accents and
 * compatibility forms), a message's KS_WORD keys, the store's walks of an
 * index key (store_ioc_refs, store_ioc_has) and the ranked search.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_text.h"
#include "keyspace.h"
#include "msg.h"
#include "store.h"
#include "testutil.h"

/* index_text_fn: the words, space-separated, into a string buffer. */
static int
s_join(void *arg, const char *w, size_t len)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s%.*s", n > 0 ? " " : "", (int)len, w);
	return 0;
}

static void
s_words(const char *text, const char *want)
{
	char out[512] = "";

	assert_int_equal(index_text_words(text, strlen(text), s_join, out), 0);
	assert_string_equal(out, want);
}

static void
test_words(void **state)
{
	(void)state;
	s_words("Campaña de phishing contra BANCOS", "campana de phishing contra bancos");
	s_words("CAMPANA Phishing", "campana phishing");
	s_words("Información, acción: pingüino ÉTÉ", "informacion accion pinguino ete");
	s_words("the supplier's e-mail (x) 42 7", "the supplier mail 42");
	s_words("Straße ﬁle ＡＢＣ", "strasse file abc");
	s_words("a-very-long-word-is-split but aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa is not kept",
	    "very long word is split but is not kept");
	s_words("", "");
	assert_int_equal(index_text_words("\xff\xfe", 2, s_join, (char[512]){ 0 }), -1);
}

/* The words of k's KS_WORD keys, space-separated. */
static void
s_keys_words(struct ks_keys *k, char out[4096])
{
	out[0] = '\0';
	ks_finish(k);
	for (size_t i = 0; i < k->n; i++) {
		size_t n = strlen(out);
		assert_int_equal((uint8_t)k->e[i].value[0], KS_WORD);
		snprintf(out + n, 4096 - n, "%s%.*s", n > 0 ? " " : "", (int)k->e[i].len - 1,
		    k->e[i].value + 1);
	}
}

#define STR(s) ((struct msg_str){ (s), sizeof(s) - 1 })

static void
test_keys(void **state)
{
	struct msg *m = msg_new();
	struct ks_keys k = { 0 };
	char out[4096], *big;

	(void)state;
	assert_non_null(m);
	m->kind = MSG_KIND_INCIDENT;
	m->body.title = STR("Campaña de phishing");
	m->body.summary = STR("Phishing contra bancos: campaña activa");
	assert_int_equal(index_text_keys(&k, m), 0);
	s_keys_words(&k, out);
	assert_string_equal(out, "campana de phishing contra bancos activa");

	ks_clear(&k);
	m->kind = MSG_KIND_COMMENT;
	m->body.title = m->body.summary = STR("");
	m->body.text = STR("Seen here too, same loader");
	assert_int_equal(index_text_keys(&k, m), 0);
	s_keys_words(&k, out);
	assert_string_equal(out, "seen here too same loader");

	ks_clear(&k);
	m->kind = MSG_KIND_SIGHTING;
	assert_int_equal(index_text_keys(&k, m), 0);
	assert_int_equal(k.n, 0);

	/* A huge text gives at most INDEX_TEXT_MAX_KEYS words. */
	ks_clear(&k);
	m->kind = MSG_KIND_INCIDENT;
	assert_non_null(big = malloc(16000));
	for (size_t i = 0; i < 1500; i++)
		snprintf(big + i * 10, 11, "w%07zu ", i);
	m->body.summary = (struct msg_str){ big, 15000 };
	assert_int_equal(index_text_keys(&k, m), 0);
	assert_int_equal(k.n, INDEX_TEXT_MAX_KEYS);
	free(big);
	ks_free(&k);
	msg_destroy(&m);
}

/* ---- a store of messages that carry words --------------------------------- */

struct fixture {
	char dir[64];
	struct store *st;
};

static int
s_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	static const uint8_t node[32] = { 'n' };

	if (f == NULL || tu_mkdtemp(f->dir, "index_text") == -1 ||
	    store_open(&f->st, f->dir, node, 64ull << 20, NULL, NULL) != STORE_OK)
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

/* Stores message i (local key i + 1 in a new store) of origin o with the
 * words of text. */
static void
s_put(struct fixture *f, int i, int o, const char *text)
{
	struct msg *m = msg_new();
	struct ks_keys k = { 0 };
	struct store_rec r = { 0 };
	char bytes[64];
	int res;

	m->kind = MSG_KIND_INCIDENT;
	m->body.title = (struct msg_str){ text, strlen(text) };
	assert_int_equal(index_text_keys(&k, m), 0);
	ks_finish(&k);
	snprintf(bytes, sizeof bytes, "message %d", i);
	r.bytes = (const uint8_t *)bytes, r.len = strlen(bytes);
	crypto_generichash(r.id, 32, r.bytes, r.len, NULL, 0);
	r.origin[0] = (uint8_t)o;
	r.seq = (uint64_t)i + 1, r.time = (uint64_t)i + 1;
	r.ioc = k.e, r.nioc = k.n;
	assert_int_equal(store_put_batch(f->st, &r, 1, 1, &res), STORE_OK);
	assert_int_equal(res, STORE_OK);
	ks_free(&k);
	msg_destroy(&m);
}

static void
test_refs(void **state)
{
	struct fixture *f = *state;
	struct store_ref refs[16];
	const char key[] = "\x01"
	                   "loader";
	bool has[16];
	size_t n;

	/* Local keys 1..12, origins in turn 0, 1, 2: each origin's entries
	 * sort together in the index, the walk is newest first anyway. */
	for (int i = 0; i < 12; i++)
		s_put(f, i, i % 3, i % 2 == 0 ? "loader seen" : "loader");
	assert_int_equal(store_ioc_refs(f->st, key, sizeof key - 1, 0, refs, 16, &n), STORE_OK);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(refs[i].lkey, 12 - i);
		assert_int_equal(refs[i].origin[0], (12 - i - 1) % 3);
	}
	assert_int_equal(store_ioc_refs(f->st, key, sizeof key - 1, 8, refs, 3, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(refs[0].lkey, 7);
	assert_int_equal(refs[2].lkey, 5);
	assert_int_equal(store_ioc_refs(f->st, "\x01nothing", 8, 0, refs, 16, &n), STORE_OK);
	assert_int_equal(n, 0);

	/* "seen": the messages of even index, local keys 1, 3, 5, ... */
	assert_int_equal(store_ioc_refs(f->st, key, sizeof key - 1, 0, refs, 16, &n), STORE_OK);
	assert_int_equal(store_ioc_has(f->st, "\x01seen", 5, refs, n, has), STORE_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(has[i], refs[i].lkey % 2 == 1);
	refs[0].origin[0] ^= 1; /* lkey 12 under another origin: no such entry */
	assert_int_equal(store_ioc_has(f->st, key, sizeof key - 1, refs, 1, has), STORE_OK);
	assert_false(has[0]);
}

static void
s_search(struct fixture *f, const char *q, const char *want)
{
	struct index_text_hit hits[64];
	char out[512] = "";
	unsigned nw;
	size_t n;

	assert_int_equal(index_text_search(f->st, NULL, q, strlen(q), 64, hits, &n, &nw), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(out);
		snprintf(out + l, sizeof out - l, "%s%llu/%u", l > 0 ? " " : "",
		    (unsigned long long)hits[i].lkey, hits[i].words);
	}
	assert_string_equal(out, want);
}

static void
test_search(void **state)
{
	struct fixture *f = *state;
	struct index_text_hit hits[4];
	unsigned nw;
	size_t n;

	s_put(f, 0, 0, "Campaña de phishing contra bancos");      /* 1 */
	s_put(f, 1, 1, "Phishing campaign against banks");        /* 2 */
	s_put(f, 2, 2, "Ransomware en hospitales");               /* 3 */
	s_put(f, 3, 1, "CAMPANA de ransomware, phishing previo"); /* 4 */
	s_put(f, 4, 0, "campana sin relación");                   /* 5 */

	/* Every word first (newest first), then some of them (more first). */
	s_search(f, "campana PHISHING", "4/2 1/2 5/1 2/1");
	s_search(f, "Campaña", "5/1 4/1 1/1");
	s_search(f, "ransomware phishing campaña", "4/3 1/2 5/1 3/1 2/1");
	s_search(f, "hospitales", "3/1");
	s_search(f, "nada", "");
	s_search(f, "phishing nada", "4/1 2/1 1/1");
	/* At most max. */
	assert_int_equal(index_text_search(f->st, NULL, "campana", 7, 2, hits, &n, &nw), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(hits[0].lkey, 5);
	/* A query without a word, or with too many. */
	assert_int_equal(index_text_search(f->st, NULL, "- a !", 5, 4, hits, &n, &nw),
	    STORE_E_INVAL);
	assert_int_equal(index_text_search(f->st, NULL, "aa bb cc dd ee ff gg hh ii", 26, 4, hits,
	                     &n, &nw),
	    STORE_E_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_keys),
		cmocka_unit_test_setup_teardown(test_refs, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_search, s_setup, s_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
