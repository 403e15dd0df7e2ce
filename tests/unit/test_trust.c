/* Unit tests for common/trust: the list, its changes, its file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"
#include "util.h"
#include "testutil.h"

static char s_dir[64];
static char s_file[128]; /* s_dir/trust.conf */

static int
setup_dir(void **state)
{
	(void)state;
	if (tu_mkdtemp(s_dir, "trust") == -1)
		return -1;
	snprintf(s_file, sizeof s_file, "%s/%s", s_dir, TRUST_FILE);
	return 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	return tu_rmrf(s_dir);
}

static void
s_put(const char *text)
{
	assert_int_equal(tu_write(s_file, text), 0);
}

/* The node id of test node n: the Ed25519 public key of a seed of n's. */
static void
s_id(unsigned n, uint8_t id[32])
{
	uint8_t seed[32] = { 0 }, sk[64];

	memcpy(seed, &n, sizeof n);
	crypto_sign_seed_keypair(id, sk, seed);
}

static void
s_hex(unsigned n, char hex[65])
{
	uint8_t id[32];

	s_id(n, id);
	hex_encode(hex, id, 32);
}

static struct trust_peer
s_peer(const char *name, unsigned n, const char *endpoint, enum msg_level level, bool coord)
{
	struct trust_peer p;

	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	s_id(n, p.id);
	snprintf(p.endpoint, sizeof p.endpoint, "%s", endpoint);
	p.level = level;
	p.coordinator = coord;
	return p;
}

static void
s_assert_peer(const struct trust_peer *a, const struct trust_peer *b)
{
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->name, b->name);
	assert_memory_equal(a->id, b->id, 32);
	assert_string_equal(a->endpoint, b->endpoint);
	assert_int_equal(a->level, b->level);
	assert_int_equal(a->coordinator, b->coordinator);
}

static void
test_new_destroy(void **state)
{
	struct trust *t = trust_new();
	uint8_t id[32];

	(void)state;
	assert_non_null(t);
	assert_int_equal(trust_count(t), 0);
	assert_null(trust_at(t, 0));
	assert_null(trust_find_name(t, "a"));
	s_id(1, id);
	assert_null(trust_find_id(t, id));
	trust_destroy(&t);
	assert_null(t);
	trust_destroy(&t);
	trust_destroy(NULL);
}

static void
test_add_find(void **state)
{
	struct trust *t = trust_new();
	struct trust_peer c = s_peer("soc-c", 3, "", MSG_LEVEL_EXTERNAL, false);
	struct trust_peer a = s_peer("soc-a", 1, "tcp://10.0.0.1:7000", MSG_LEVEL_MEMBER, true);
	struct trust_peer b = s_peer("soc-b", 2, "tcp://[::1]:7001", MSG_LEVEL_BLOCKED, false);
	char err[256];
	uint8_t id[32];

	(void)state;
	assert_int_equal(trust_add(t, &c, err, sizeof err), 0);
	assert_int_equal(trust_add(t, &a, err, sizeof err), 0);
	assert_int_equal(trust_add(t, &b, err, sizeof err), 0);
	assert_int_equal(trust_count(t), 3);
	/* Name order, whatever the order of addition. */
	s_assert_peer(trust_at(t, 0), &a);
	s_assert_peer(trust_at(t, 1), &b);
	s_assert_peer(trust_at(t, 2), &c);
	assert_null(trust_at(t, 3));
	s_assert_peer(trust_find_name(t, "soc-b"), &b);
	assert_null(trust_find_name(t, "soc-d"));
	assert_null(trust_find_name(t, "SOC-B"));
	s_id(3, id);
	s_assert_peer(trust_find_id(t, id), &c);
	s_id(4, id);
	assert_null(trust_find_id(t, id));
	/* A copy was added: changing ours changes nothing. */
	a.level = MSG_LEVEL_BLOCKED;
	assert_int_equal(trust_find_name(t, "soc-a")->level, MSG_LEVEL_MEMBER);
	trust_destroy(&t);
}

static void
test_add_rejects(void **state)
{
	static const struct {
		const char *name;
		unsigned key; /* 0: the identity point; 99: not a point */
		const char *endpoint;
		int level;
		const char *err;
	} rows[] = {
		{ "", 5, "", MSG_LEVEL_MEMBER,
		    "bad peer name '': expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "soc x", 5, "", MSG_LEVEL_MEMBER,
		    "bad peer name 'soc x': expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "soc-a", 5, "", MSG_LEVEL_MEMBER,
		    "a peer named 'soc-a' is already in the trust list" },
		{ "soc-x", 1, "", MSG_LEVEL_MEMBER,
		    "soc-x: the key is already that of peer 'soc-a'" },
		{ "soc-x", 0, "", MSG_LEVEL_MEMBER,
		    "soc-x: the key is not a valid Ed25519 public key" },
		{ "soc-x", 99, "", MSG_LEVEL_MEMBER,
		    "soc-x: the key is not a valid Ed25519 public key" },
		{ "soc-x", 5, "tcp://*:7000", MSG_LEVEL_MEMBER,
		    "soc-x: bad endpoint 'tcp://*:7000': expected tcp://HOST:PORT with HOST an "
		    "IPv4 "
		    "address, [IPv6 address] or host name, and PORT 1-65535" },
		{ "soc-x", 5, "tcp://host:0", MSG_LEVEL_MEMBER,
		    "soc-x: bad endpoint 'tcp://host:0': expected tcp://HOST:PORT with HOST an "
		    "IPv4 "
		    "address, [IPv6 address] or host name, and PORT 1-65535" },
		{ "soc-x", 5, "", 3, "soc-x: bad trust level 3" },
		{ "soc-x", 5, "", -1, "soc-x: bad trust level -1" },
	};
	struct trust *t = trust_new();
	struct trust_peer a = s_peer("soc-a", 1, "", MSG_LEVEL_MEMBER, false), p;
	char err[512];

	(void)state;
	assert_int_equal(trust_add(t, &a, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		p = s_peer(rows[i].name, rows[i].key, rows[i].endpoint, MSG_LEVEL_MEMBER, false);
		p.level = (enum msg_level)rows[i].level;
		if (rows[i].key == 0 || rows[i].key == 99) {
			memset(p.id, 0, sizeof p.id);
			p.id[0] = rows[i].key == 0 ? 1 : 2;
		}
		err[0] = '\0';
		if (trust_add(t, &p, err, sizeof err) != -1)
			fail_msg("row %zu added", i);
		if (strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: got \"%s\"", i, err);
		assert_int_equal(trust_count(t), 1);
	}
	/* A name that fills its array without a NUL. */
	p = s_peer("x", 5, "", MSG_LEVEL_MEMBER, false);
	memset(p.name, 'n', sizeof p.name);
	assert_int_equal(trust_add(t, &p, err, sizeof err), -1);
	assert_int_equal(trust_count(t), 1);
	trust_destroy(&t);
}

static void
test_add_limit(void **state)
{
	struct trust *t = trust_new();
	struct trust_peer p;
	char name[16], err[256];

	(void)state;
	for (unsigned i = 0; i < TRUST_MAX_PEERS; i++) {
		snprintf(name, sizeof name, "p%04u", i);
		p = s_peer(name, 1000 + i, "", MSG_LEVEL_MEMBER, false);
		assert_int_equal(trust_add(t, &p, err, sizeof err), 0);
	}
	assert_int_equal(trust_count(t), TRUST_MAX_PEERS);
	p = s_peer("one-more", 999, "", MSG_LEVEL_MEMBER, false);
	assert_int_equal(trust_add(t, &p, err, sizeof err), -1);
	assert_string_equal(err, "the trust list is full (4096 peers)");
	assert_string_equal(trust_at(t, 4095)->name, "p4095");
	trust_destroy(&t);
}

static void
test_set_remove(void **state)
{
	struct trust *t = trust_new();
	struct trust_peer a = s_peer("soc-a", 1, "", MSG_LEVEL_MEMBER, false);
	struct trust_peer b = s_peer("soc-b", 2, "", MSG_LEVEL_MEMBER, false);
	struct trust_peer c = s_peer("soc-c", 3, "", MSG_LEVEL_MEMBER, false);
	char err[256];

	(void)state;
	assert_int_equal(trust_add(t, &a, err, sizeof err), 0);
	assert_int_equal(trust_add(t, &b, err, sizeof err), 0);
	assert_int_equal(trust_add(t, &c, err, sizeof err), 0);

	assert_int_equal(trust_set_level(t, "soc-b", MSG_LEVEL_BLOCKED, err, sizeof err), 0);
	assert_int_equal(trust_find_name(t, "soc-b")->level, MSG_LEVEL_BLOCKED);
	assert_int_equal(trust_set_level(t, "soc-b", MSG_LEVEL_EXTERNAL, err, sizeof err), 0);
	assert_int_equal(trust_find_name(t, "soc-b")->level, MSG_LEVEL_EXTERNAL);
	assert_int_equal(trust_set_level(t, "soc-b", (enum msg_level)3, err, sizeof err), -1);
	assert_string_equal(err, "bad trust level 3");
	assert_int_equal(trust_find_name(t, "soc-b")->level, MSG_LEVEL_EXTERNAL);
	assert_int_equal(trust_set_level(t, "soc-x", MSG_LEVEL_MEMBER, err, sizeof err), -1);
	assert_string_equal(err, "no peer named 'soc-x' in the trust list");

	assert_int_equal(trust_set_coordinator(t, "soc-c", true, err, sizeof err), 0);
	assert_true(trust_find_name(t, "soc-c")->coordinator);
	assert_int_equal(trust_set_coordinator(t, "soc-c", false, err, sizeof err), 0);
	assert_false(trust_find_name(t, "soc-c")->coordinator);
	assert_int_equal(trust_set_coordinator(t, "soc-x", true, err, sizeof err), -1);
	assert_string_equal(err, "no peer named 'soc-x' in the trust list");

	assert_int_equal(trust_remove(t, "soc-b", err, sizeof err), 0);
	assert_int_equal(trust_count(t), 2);
	assert_null(trust_find_name(t, "soc-b"));
	assert_null(trust_find_id(t, b.id));
	assert_string_equal(trust_at(t, 0)->name, "soc-a");
	assert_string_equal(trust_at(t, 1)->name, "soc-c");
	assert_int_equal(trust_remove(t, "soc-b", err, sizeof err), -1);
	assert_string_equal(err, "no peer named 'soc-b' in the trust list");
	/* The name and the id are free again. */
	assert_int_equal(trust_add(t, &b, err, sizeof err), 0);
	assert_int_equal(trust_remove(t, "soc-c", err, sizeof err), 0);
	assert_int_equal(trust_remove(t, "soc-a", err, sizeof err), 0);
	assert_int_equal(trust_remove(t, "soc-b", err, sizeof err), 0);
	assert_int_equal(trust_count(t), 0);
	trust_destroy(&t);
}

static void
test_save_load_round_trip(void **state)
{
	struct trust_peer peers[] = {
		s_peer("zulu", 26, "", MSG_LEVEL_MEMBER, false),
		s_peer("alpha", 1, "tcp://192.0.2.1:7000", MSG_LEVEL_MEMBER, true),
		s_peer("mike.2", 13, "tcp://[2001:db8::13]:65535", MSG_LEVEL_EXTERNAL, false),
		s_peer("Bravo_b", 2, "tcp://soc-b.example.org:1", MSG_LEVEL_BLOCKED, true),
		s_peer("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc", 63, "",
		    MSG_LEVEL_EXTERNAL, false),
	};
	const size_t n = sizeof peers / sizeof peers[0];
	struct trust *t = trust_new(), *back = trust_new();
	struct trust_peer old = s_peer("old", 77, "", MSG_LEVEL_MEMBER, false);
	struct stat st;
	char err[512];
	char *text;
	size_t len;

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(trust_add(t, &peers[i], err, sizeof err), 0);
	assert_int_equal(trust_save(t, s_file, err, sizeof err), 0);
	assert_int_equal(stat(s_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Loading replaces what was there. */
	assert_int_equal(trust_add(back, &old, err, sizeof err), 0);
	assert_int_equal(trust_load(back, s_file, err, sizeof err), 0);
	assert_int_equal(trust_count(back), n);
	assert_null(trust_find_name(back, "old"));
	for (size_t i = 0; i < n; i++)
		s_assert_peer(trust_at(back, i), trust_at(t, i));

	/* Sections in name order (byte order: upper case first). */
	assert_int_equal(file_read_all(s_file, 1 << 16, &text, &len), 0);
	assert_true(strstr(text, "\n[Bravo_b]\n") < strstr(text, "\n[abcdefghij"));
	assert_true(strstr(text, "\n[abcdefghij") < strstr(text, "\n[alpha]\n"));
	assert_true(strstr(text, "\n[alpha]\n") < strstr(text, "\n[mike.2]\n"));
	assert_true(strstr(text, "\n[mike.2]\n") < strstr(text, "\n[zulu]\n"));
	assert_non_null(strstr(text, "\n[alpha]\nkey = "));
	assert_non_null(strstr(text,
	    "\nendpoint = tcp://192.0.2.1:7000\nlevel = member\n"
	    "coordinator = yes\n"));
	free(text);

	/* An empty list saves and loads as empty. */
	trust_destroy(&t);
	t = trust_new();
	assert_int_equal(trust_save(t, s_file, err, sizeof err), 0);
	assert_int_equal(trust_load(back, s_file, err, sizeof err), 0);
	assert_int_equal(trust_count(back), 0);
	trust_destroy(&t);
	trust_destroy(&back);
}

static void
test_load_example(void **state)
{
	char b[65], c[65], text[1024], upper[65], err[512];
	const struct trust_peer *p;
	struct trust *t = trust_new();
	uint8_t id[32];

	(void)state;
	s_hex(2, b);
	s_hex(3, c);
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(c[i] >= 'a' && c[i] <= 'f' ? c[i] - 32 : c[i]);
	snprintf(text, sizeof text,
	    "# example\n"
	    "[soc-b]\n"
	    "key = %s\n"
	    "endpoint = tcp://127.0.0.1:7001     ; optional\n"
	    "level = member                      ; blocked | external | member (default member)\n"
	    "coordinator = no                    ; yes | no (default no)\n"
	    "\n"
	    "[soc-c]\n"
	    "    key = %s\n",
	    b, upper);
	s_put(text);
	assert_int_equal(trust_load(t, s_file, err, sizeof err), 0);
	assert_int_equal(trust_count(t), 2);
	p = trust_find_name(t, "soc-b");
	assert_non_null(p);
	s_id(2, id);
	assert_memory_equal(p->id, id, 32);
	assert_string_equal(p->endpoint, "tcp://127.0.0.1:7001");
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_false(p->coordinator);
	/* Defaults; a key in upper case. */
	p = trust_find_name(t, "soc-c");
	assert_non_null(p);
	s_id(3, id);
	assert_memory_equal(p->id, id, 32);
	assert_string_equal(p->endpoint, "");
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_false(p->coordinator);
	trust_destroy(&t);
}

/* Each error shape, the text after "PATH" written literally.  K2 and K3
 * stand for the keys of test nodes 2 and 3. */
static void
test_load_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} rows[] = {
		{ "[soc-b]\nkey = K2\n\n[soc-b]\nkey = K3\n", ":4: peer [soc-b] appears twice" },
		{ "[soc-b]\nkey = K2\nlevel = member\nlevel = blocked\n",
		    ":4: duplicate key 'level' in [soc-b]" },
		{ "[soc-b]\nkey = K2\nkey = K2\n", ":3: duplicate key 'key' in [soc-b]" },
		{ "[soc-b]\nkey = K2\n[soc-c]\nlevel = member\nkey = K2\n",
		    ":5: [soc-c] has the same key as [soc-b]" },
		{ "[soc-b]\nkey = 0011\n",
		    ":2: bad value '0011' for key in [soc-b]: expected 64 hex digits (a node id)" },
		{ "[soc-b]\nkey = K2x\n",
		    ":2: bad value 'K2x' for key in [soc-b]: expected 64 hex digits (a node id)" },
		{ "[soc-b]\nkey = "
		  "0100000000000000000000000000000000000000000000000000000000000000\n",
		    ":2: bad value "
		    "'0100000000000000000000000000000000000000000000000000000000000000' "
		    "for key in [soc-b]: not a valid Ed25519 public key" },
		{ "[soc-b]\nkey = K2\nendpoint = tcp://*:7001\n",
		    ":3: bad value 'tcp://*:7001' for endpoint in [soc-b]: expected "
		    "tcp://HOST:PORT with "
		    "HOST an IPv4 address, [IPv6 address] or host name, and PORT 1-65535" },
		{ "[soc-b]\nkey = K2\nendpoint = 127.0.0.1:7001\n",
		    ":3: bad value '127.0.0.1:7001' for endpoint in [soc-b]: expected "
		    "tcp://HOST:PORT "
		    "with HOST an IPv4 address, [IPv6 address] or host name, and PORT 1-65535" },
		{ "[soc-b]\nkey = K2\nlevel = trusted\n",
		    ":3: bad value 'trusted' for level in [soc-b]: expected blocked, external or "
		    "member" },
		{ "[soc-b]\nkey = K2\nlevel = Member\n",
		    ":3: bad value 'Member' for level in [soc-b]: expected blocked, external or "
		    "member" },
		{ "[soc-b]\nkey = K2\ncoordinator = true\n",
		    ":3: bad value 'true' for coordinator in [soc-b]: expected yes or no" },
		{ "[soc-b]\nkey = K2\nport = 7001\n", ":3: unknown key 'port' in [soc-b]" },
		{ "[soc b]\nkey = K2\n",
		    ":1: bad peer name [soc b]: expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "[]\nkey = K2\n",
		    ":1: bad peer name []: expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "[soc-b]\nkey = K2\n\n[soc-c]\nlevel = member\n[soc-d]\nkey = K3\n",
		    ":4: [soc-c]: missing key 'key'" },
		{ "[soc-b]\nkey = K2\n\n# c\n[soc-c]\n", ":5: [soc-c]: missing key 'key'" },
		{ "key = K2\n[soc-b]\n", ":1: key 'key' before any [section]" },
		{ "[soc-b]\nkey K2\n", ":2: syntax error: expected [section] or key = value" },
		{ "[soc-b\nkey = K2\n", ":1: missing ']' in section header" },
	};
	char text[1024], want[1024], err[512], k2[65], k3[65];
	struct trust *t = trust_new();
	struct trust_peer keep = s_peer("keep", 9, "", MSG_LEVEL_MEMBER, false);

	(void)state;
	s_hex(2, k2);
	s_hex(3, k3);
	assert_int_equal(trust_add(t, &keep, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		/* Replace K2 and K3 with real keys. */
		const char *s = rows[i].text;
		size_t o = 0;
		while (*s) {
			if (s[0] == 'K' && (s[1] == '2' || s[1] == '3')) {
				memcpy(text + o, s[1] == '2' ? k2 : k3, 64);
				o += 64;
				s += 2;
			} else
				text[o++] = *s++;
		}
		text[o] = '\0';
		s_put(text);
		err[0] = '\0';
		if (trust_load(t, s_file, err, sizeof err) != -1)
			fail_msg("row %zu accepted", i);
		snprintf(want, sizeof want, "%s%s", s_file, rows[i].err);
		if (strstr(want, "K2x") != NULL) {
			/* The value in the message is the real key, then x. */
			char *at = strstr(want, "K2x");
			char tail[512];
			snprintf(tail, sizeof tail, "%s", at + 2);
			memcpy(at, k2, 64);
			strcpy(at + 64, tail);
		}
		if (strcmp(err, want) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, err, want);
		/* A failed load leaves the list as it was. */
		assert_int_equal(trust_count(t), 1);
		assert_non_null(trust_find_name(t, "keep"));
	}
	trust_destroy(&t);
}

static void
test_load_limit(void **state)
{
	struct trust *t = trust_new();
	char hex[65], err[512], want[600];
	FILE *f = fopen(s_file, "w");

	(void)state;
	assert_non_null(f);
	for (unsigned i = 0; i < TRUST_MAX_PEERS; i++) {
		s_hex(1000 + i, hex);
		fprintf(f, "[p%04u]\nkey = %s\n", i, hex);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(trust_load(t, s_file, err, sizeof err), 0);
	assert_int_equal(trust_count(t), TRUST_MAX_PEERS);

	f = fopen(s_file, "a");
	assert_non_null(f);
	s_hex(999, hex);
	fprintf(f, "[one-more]\nkey = %s\n", hex);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(trust_load(t, s_file, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:%d: more than 4096 peers", s_file, 2 * TRUST_MAX_PEERS + 1);
	assert_string_equal(err, want);
	assert_int_equal(trust_count(t), TRUST_MAX_PEERS);
	trust_destroy(&t);
}

static void
test_load_missing_and_empty(void **state)
{
	struct trust *t = trust_new();
	char err[512], want[600];

	(void)state;
	unlink(s_file);
	assert_int_equal(trust_load(t, s_file, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", s_file);
	assert_string_equal(err, want);
	s_put("# no peers yet\n");
	assert_int_equal(trust_load(t, s_file, err, sizeof err), 0);
	assert_int_equal(trust_count(t), 0);
	trust_destroy(&t);
}

/* The text of the first ``` block after `marker` in docs/CONFIG.md (the
 * tests run from the top of the tree, as make check does). */
static char *
s_doc_block(const char *marker)
{
	char *doc, *at, *end, *block;
	size_t len;

	assert_int_equal(file_read_all("docs/CONFIG.md", 1 << 20, &doc, &len), 0);
	at = strstr(doc, marker);
	assert_non_null(at);
	at = strstr(at, "```\n");
	assert_non_null(at);
	at += 4;
	end = strstr(at, "\n```");
	assert_non_null(end);
	block = strndup(at, (size_t)(end - at) + 1);
	assert_non_null(block);
	free(doc);
	return block;
}

static void
test_docs_example(void **state)
{
	struct trust *t = trust_new();
	const struct trust_peer *p;
	char err[512], hex[65];
	char *text = s_doc_block("## 4. trust.conf");

	(void)state;
	s_put(text);
	free(text);
	if (trust_load(t, s_file, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(trust_count(t), 3);
	p = trust_at(t, 0);
	assert_string_equal(p->name, "cert-national");
	hex_encode(hex, p->id, 32);
	assert_string_equal(hex,
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025");
	assert_string_equal(p->endpoint, "tcp://cert.example.org:7000");
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_true(p->coordinator);
	p = trust_at(t, 1);
	assert_string_equal(p->name, "soc-b");
	hex_encode(hex, p->id, 32);
	assert_string_equal(hex,
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
	assert_string_equal(p->endpoint, "tcp://127.0.0.1:7001");
	assert_int_equal(p->level, MSG_LEVEL_MEMBER);
	assert_false(p->coordinator);
	p = trust_at(t, 2);
	assert_string_equal(p->name, "vendor-x");
	assert_string_equal(p->endpoint, "");
	assert_int_equal(p->level, MSG_LEVEL_EXTERNAL);
	assert_false(p->coordinator);
	trust_destroy(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_destroy),
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_add_limit),
		cmocka_unit_test(test_set_remove),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_load_example),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_limit),
		cmocka_unit_test(test_load_missing_and_empty),
		cmocka_unit_test(test_docs_example),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
