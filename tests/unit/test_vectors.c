/*
 * The test vectors of docs/PROTOCOL.md, read from the document itself and
 * checked byte for byte: the normative text and the code cannot drift.
 * SOCMESH_VECTORS_PRINT=1 prints the computed outputs instead (for writing
 * a new vector; never to "fix" a failing one).
 */
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
#include "msg.h"
#include "util.h"

#define MAXV 12

struct vector {
	char name[64];
	char *lines[128]; /* "key: value", in order */
	size_t nlines;
	uint8_t id[32], sig[64], *bytes;
	size_t len;
	bool has_expected;
};

static struct vector s_v[MAXV];
static size_t s_nv;

/* The randomness stream of a vector. */
struct stream {
	uint8_t buf[32 * 70];
	size_t len, off;
};

static void
s_stream_rng(void *arg, uint8_t *out, size_t len)
{
	struct stream *s = arg;
	assert_true(s->off + len <= s->len);
	memcpy(out, s->buf + s->off, len);
	s->off += len;
}

static void
s_hex_append(uint8_t **p, size_t *len, const char *hex)
{
	size_t n = strlen(hex) / 2;
	*p = realloc(*p, *len + n);
	assert_non_null(*p);
	assert_int_equal(hex_decode(*p + *len, n, hex, strlen(hex)), 0);
	*len += n;
}

static int
s_load(void **state)
{
	(void)state;
	FILE *f = fopen("docs/PROTOCOL.md", "r");
	char line[1024];
	struct vector *v = NULL;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "```vector") == 0) {
			assert_true(s_nv < MAXV);
			v = &s_v[s_nv++];
			continue;
		}
		if (v == NULL)
			continue;
		if (strcmp(line, "```") == 0) {
			v = NULL;
			continue;
		}
		char *colon = strstr(line, ": ");
		assert_non_null(colon);
		*colon = '\0';
		const char *key = line, *val = colon + 2;
		if (strcmp(key, "name") == 0)
			snprintf(v->name, sizeof v->name, "%s", val);
		else if (strcmp(key, "id") == 0)
			assert_int_equal(hex_decode(v->id, 32, val, strlen(val)), 0),
			    v->has_expected = true;
		else if (strcmp(key, "sig") == 0)
			assert_int_equal(hex_decode(v->sig, 64, val, strlen(val)), 0);
		else if (strcmp(key, "bytes") == 0)
			s_hex_append(&v->bytes, &v->len, val);
		else {
			*colon = ':';
			assert_true(v->nlines < 128);
			v->lines[v->nlines++] = strdup(line);
		}
	}
	fclose(f);
	return s_nv >= 4 ? 0 : -1;
}

static int
s_free(void **state)
{
	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		for (size_t k = 0; k < s_v[i].nlines; k++)
			free(s_v[i].lines[k]);
		free(s_v[i].bytes);
	}
	return 0;
}

static const struct vector *
s_find(const char *name)
{
	for (size_t i = 0; i < s_nv; i++)
		if (strcmp(s_v[i].name, name) == 0)
			return &s_v[i];
	return NULL;
}

static void
s_print_hex(const char *key, const uint8_t *p, size_t n, size_t per_line)
{
	char hex[2 * 64 + 1];
	for (size_t off = 0; off < n; off += per_line) {
		size_t k = n - off < per_line ? n - off : per_line;
		hex_encode(hex, p + off, k);
		printf("%s: %s\n", key, hex);
	}
}

/* Roster vectors: "member: SEED NAME LEVEL coordinator|-" and
 * "endpoint: SEED ENDPOINT" give an entry of the node whose key the seed
 * makes; "network", "epoch" and "threshold" the rest; a beacon's "version",
 * "peers", "store", "flaps". */
struct entries {
	uint8_t pk[MSG_MAX_MEMBERS][32];
	char text[MSG_MAX_MEMBERS][2][80];
};

static int
s_member_cmp(const void *a, const void *b)
{
	return memcmp(((const struct msg_member *)a)->id, ((const struct msg_member *)b)->id, 32);
}

static bool
s_roster_line(struct msg *m, struct entries *e, const char *key, const char *val)
{
	struct msg_member *x = &m->body.members[m->body.nmembers];
	char seedhex[65], a[80], b[80], c[80];
	uint8_t seed[32], sk[64];
	int n;

	if (strcmp(key, "network") == 0) {
		snprintf(e->text[0][0], sizeof e->text[0][0], "%s", val);
		m->body.network = (struct msg_str){ e->text[0][0], strlen(val) };
		return true;
	}
	if (strcmp(key, "epoch") == 0 || strcmp(key, "threshold") == 0 ||
	    strcmp(key, "peers") == 0 || strcmp(key, "store") == 0 || strcmp(key, "flaps") == 0) {
		uint64_t *v = strcmp(key, "epoch") == 0 ? &m->body.epoch
		    : strcmp(key, "threshold") == 0     ? &m->body.threshold
		    : strcmp(key, "peers") == 0         ? &m->body.peers
		    : strcmp(key, "store") == 0         ? &m->body.store
		                                        : &m->body.flaps;
		*v = strtoull(val, NULL, 10);
		return true;
	}
	if (strcmp(key, "version") == 0) {
		snprintf(e->text[0][1], sizeof e->text[0][1], "%s", val);
		m->body.version = (struct msg_str){ e->text[0][1], strlen(val) };
		return true;
	}
	if (strcmp(key, "member") != 0 && strcmp(key, "endpoint") != 0)
		return false;
	n = sscanf(val, "%64s %79s %79s %79s", seedhex, a, b, c);
	assert_true(n >= 2);
	assert_int_equal(hex_decode(seed, 32, seedhex, strlen(seedhex)), 0);
	size_t i = m->body.nmembers++;
	crypto_sign_seed_keypair(e->pk[i], sk, seed);
	x->id = e->pk[i];
	snprintf(e->text[i + 1][0], sizeof e->text[0][0], "%s", a);
	if (strcmp(key, "endpoint") == 0) {
		x->endpoint = (struct msg_str){ e->text[i + 1][0], strlen(a) };
		return true;
	}
	assert_int_equal(n, 4);
	x->name = (struct msg_str){ e->text[i + 1][0], strlen(a) };
	x->level = (enum msg_level)msg_level_parse(b, strlen(b));
	x->coordinator = strcmp(c, "coordinator") == 0;
	return true;
}

/* Builds, encodes and checks one vector; then decodes the expected bytes,
 * verifies them, and opens sealed ones as each reader. */
static void
s_check(const struct vector *v)
{
	struct draft *d = draft_new();
	struct msg *m = draft_msg(d), *dec = msg_new();
	uint8_t pk[32], sk[64], seed[32];
	uint8_t rpk[8][32], rsk[8][64];
	size_t nr = 0;
	struct stream rnd = { .len = 0 };
	struct entries *ent = calloc(1, sizeof *ent);
	uint8_t npk[32], nsk[64];
	bool rotated = false;
	char err[256];
	uint8_t *out;
	size_t len;

	assert_non_null(d);
	for (size_t i = 0; i < v->nlines; i++) {
		char *l = strdup(v->lines[i]), *val = strstr(l, ": ") + 2;
		l[strcspn(l, ":")] = '\0';
		if (strcmp(l, "seed") == 0) {
			assert_int_equal(hex_decode(seed, 32, val, strlen(val)), 0);
			crypto_sign_seed_keypair(pk, sk, seed);
		} else if (strcmp(l, "to-seed") == 0) {
			assert_int_equal(hex_decode(seed, 32, val, strlen(val)), 0);
			crypto_sign_seed_keypair(rpk[nr], rsk[nr], seed);
			assert_int_equal(draft_add_recipient(d, rpk[nr], err, sizeof err), 0);
			nr++;
		} else if (strcmp(l, "random") == 0) {
			size_t n = strlen(val) / 2;
			assert_int_equal(hex_decode(rnd.buf + rnd.len, n, val, strlen(val)), 0);
			rnd.len += n;
		} else if (strcmp(l, "ref") == 0 && val[0] == '@') {
			const struct vector *r = s_find(val + 1);
			assert_non_null(r);
			memcpy(m->ref, r->id, 32);
			m->has_ref = true;
		} else if (strcmp(l, "new-seed") == 0) {
			assert_int_equal(hex_decode(seed, 32, val, strlen(val)), 0);
			crypto_sign_seed_keypair(npk, nsk, seed);
			rotated = true;
		} else if (s_roster_line(m, ent, l, val))
			;
		else if (draft_set(d, l, val, err, sizeof err) != 0)
			fail_msg("vector %s: %s", v->name, err);
		free(l);
	}
	memcpy(m->origin, pk, 32);
	if (rotated) { /* the new key's proof names both keys */
		uint8_t rs[MSG_ROTATE_SIGNED];
		memcpy(m->body.peer, npk, 32);
		msg_rotate_signed(rs, pk, npk);
		crypto_sign_detached(m->body.proof, NULL, rs, sizeof rs, nsk);
	}
	qsort(m->body.members, m->body.nmembers, sizeof m->body.members[0], s_member_cmp);
	assert_int_equal(msg_encode(m, sk, rnd.len ? s_stream_rng : NULL, &rnd, &out, &len),
	    MSG_OK);
	if (getenv("SOCMESH_VECTORS_PRINT") != NULL) {
		printf("name: %s\n", v->name);
		s_print_hex("id", m->id, 32, 32);
		s_print_hex("sig", m->sig, 64, 64);
		s_print_hex("bytes", out, len, 32);
	} else {
		assert_true(v->has_expected);
		assert_int_equal(len, v->len);
		assert_memory_equal(out, v->bytes, len);
		assert_memory_equal(m->sig, v->sig, 64);
		assert_memory_equal(m->id, v->id, 32);
		assert_int_equal(rnd.off, rnd.len);

		assert_int_equal(msg_decode(dec, v->bytes, v->len, 0), MSG_OK);
		assert_int_equal(msg_verify(dec), MSG_OK);
		assert_memory_equal(dec->id, v->id, 32);
		for (size_t r = 0; r <= nr && msg_tlp_addressed(dec->tlp); r++) {
			uint8_t cpk[32], csk[32], *plain;
			size_t plen;
			const uint8_t *who = r < nr ? rpk[r] : pk, *wsk = r < nr ? rsk[r] : sk;
			assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(cpk, who), 0);
			assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(csk, wsk), 0);
			assert_int_equal(msg_decode(dec, v->bytes, v->len, 0), MSG_OK);
			assert_int_equal(msg_open(dec, who, cpk, csk, &plain, &plen), MSG_OK);
			assert_true(dec->has_body);
			assert_true(dec->body.title.n > 0 || dec->body.text.n > 0);
			free(plain);
		}
	}
	free(out);
	free(ent);
	msg_destroy(&dec);
	draft_destroy(&d);
}

static void
test_green_incident(void **state)
{
	(void)state;
	s_check(s_find("green-incident"));
}

static void
test_amber_incident(void **state)
{
	(void)state;
	s_check(s_find("amber-incident"));
}

static void
test_sighting(void **state)
{
	(void)state;
	s_check(s_find("sighting"));
}

static void
test_clear_update(void **state)
{
	(void)state;
	s_check(s_find("clear-update"));
}

/* A partial update naming a lead, a sealed comment, an update with what
 * the case taught (section 5.1, 5.8). */
static void
test_case_kinds(void **state)
{
	(void)state;
	s_check(s_find("partial-update"));
	s_check(s_find("comment"));
	s_check(s_find("lessons-update"));
}

static void
test_roster(void **state)
{
	(void)state;
	s_check(s_find("roster"));
	s_check(s_find("approve"));
	s_check(s_find("endpoints"));
	s_check(s_find("beacon"));
	s_check(s_find("rotate"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_green_incident),
		cmocka_unit_test(test_amber_incident),
		cmocka_unit_test(test_sighting),
		cmocka_unit_test(test_clear_update),
		cmocka_unit_test(test_case_kinds),
		cmocka_unit_test(test_roster),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, s_load, s_free);
}
