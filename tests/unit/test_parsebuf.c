/* Unit tests for the parsers over a buffer (inifile_parse_buf, config_parse,
 * trust_parse, keys_parse): each gives what its path-based function gives
 * for a file of the same bytes, errors included, with the name it is given
 * in place of the path.  Every buffer is a malloc'd copy of exactly its
 * length, with no NUL after it (SAN=1 sees a read past the end). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "keys.h"
#include "trust.h"
#include "util.h"
#include "testutil.h"

static char s_dir[64];

static int
setup_dir(void **state)
{
	(void)state;
	return tu_mkdtemp(s_dir, "parsebuf");
}

static int
teardown_dir(void **state)
{
	(void)state;
	return tu_rmrf(s_dir);
}

/* One input: its bytes (NULs allowed) and their number. */
struct s_text {
	const char *bytes;
	size_t len;
};
#define T(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}

/* Write the input to DIR/name with mode, path into p (512 bytes). */
static void
s_put(char *p, const char *name, const struct s_text *in, mode_t mode)
{
	FILE *f;

	snprintf(p, 512, "%s/%s", s_dir, name);
	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_true(in->len == 0 || fwrite(in->bytes, in->len, 1, f) == 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

/* A copy of the input in a buffer of exactly its length. */
static char *
s_copy(const struct s_text *in)
{
	char *b = malloc(in->len ? in->len : 1);

	assert_non_null(b);
	memcpy(b, in->bytes, in->len);
	return b;
}

static const struct s_text s_config_rows[] = {
	T(""),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\n"),
	T("\xEF\xBB\xBF# all of it\r\n[node]\r\nname = soc-a\r\n  listen: tcp://[::1]:7000 ; x\r\n"
	  "data_dir = /var/lib/x\nstore_size = 2G\nretention = forever\nlog_level = debug\n"
	  "[limits]\nmax_message = 64K\npeer_rate = 7\npeer_burst = 9\npeer_queue = 11\n"
	  "peer_window = 1M\npeer_send_rate = 1G\n[gossip]\nsync_interval = 5m"),
	T("[node]\nname = soc-a\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\n[other]\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\nwhat = 1\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\nstore_size = 1K\n"),
	T("[node]\nname = soc-a\nname = soc-b\n"),
	T("[node]\n[limits]\n[node]\n"),
	T("name = soc-a\n"),
	T("[node]\nname = soc-a\njunk\n"),
	T("[node]\nname = so\0c-a\nlisten = tcp://*:7000\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\n\0"),
	T("[node\n"),
	T("[node] x\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\ndata_dir = "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "x"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "x"
	  "xxxxxxxxxxxxxxxxxxxxxxxxx\n"),
	T("[node]\nname = soc-a\nlisten = tcp://*:7000\nlog_level = debug\\"),
};

static void
test_config_same_as_load(void **state)
{
	struct config a, b;
	char p[512], ea[512], eb[512];

	(void)state;
	for (size_t i = 0; i < sizeof s_config_rows / sizeof s_config_rows[0]; i++) {
		const struct s_text *in = &s_config_rows[i];
		char *buf = s_copy(in);
		int ra, rb;

		s_put(p, CONFIG_FILE, in, 0644);
		ea[0] = eb[0] = '\0';
		ra = config_load(&a, p, ea, sizeof ea);
		rb = config_parse(&b, buf, in->len, p, eb, sizeof eb);
		free(buf);
		if (ra != rb || strcmp(ea, eb) != 0)
			fail_msg("row %zu: load %d \"%s\", parse %d \"%s\"", i, ra, ea, rb, eb);
		if (ra == 0 && memcmp(&a, &b, sizeof a) != 0)
			fail_msg("row %zu: not the same config", i);
	}
	/* Rows 1 and 2 are valid; the rest are not. */
	assert_int_equal(config_parse(&b, s_config_rows[2].bytes, s_config_rows[2].len, "x", eb,
	                     sizeof eb),
	    0);
	assert_string_equal(b.listen, "tcp://[::1]:7000");
	assert_true(b.sync_interval_ms == 300000);
}

static void
test_config_name_in_errors(void **state)
{
	static const struct s_text in = T("[node]\nname = soc-a\nlisten = tcp://*:7000\nwhat = 1");
	struct config c;
	char err[512];
	char *buf = s_copy(&in);

	(void)state;
	assert_int_equal(config_parse(&c, buf, in.len, "conf", err, sizeof err), -1);
	assert_string_equal(err, "conf:4: unknown key 'what' in [node]");
	assert_int_equal(config_parse(&c, buf, 20, "conf", err, sizeof err), -1);
	assert_string_equal(err, "conf: missing key 'listen' in [node]");
	free(buf);
}

/* A valid file of exactly n bytes: the keys, then comment lines. */
static char *
s_padded(const char *head, size_t n)
{
	size_t len = strlen(head);
	char *b = malloc(n);

	assert_non_null(b);
	assert_true(len < n);
	memcpy(b, head, len);
	while (len < n) {
		size_t line = n - len < 100 ? n - len : 100;
		memset(b + len, '#', line);
		b[len + line - 1] = '\n';
		len += line;
	}
	return b;
}

static void
test_size_limits(void **state)
{
	struct config c;
	struct trust *t = trust_new();
	char err[512], p[512], want[600];
	struct s_text in;
	char *buf;

	(void)state;
	assert_non_null(t);
	/* CONFIG_MAX_FILE bytes are fine, one more is too many, from a file
	 * as from a buffer. */
	buf = s_padded("[node]\nname = soc-a\nlisten = tcp://*:7000\n", CONFIG_MAX_FILE + 1);
	assert_int_equal(config_parse(&c, buf, CONFIG_MAX_FILE, "conf", err, sizeof err), 0);
	assert_int_equal(config_parse(&c, buf, CONFIG_MAX_FILE + 1, "conf", err, sizeof err), -1);
	assert_string_equal(err, "conf: File too large");
	in.bytes = buf;
	in.len = CONFIG_MAX_FILE + 1;
	s_put(p, CONFIG_FILE, &in, 0644);
	assert_int_equal(config_load(&c, p, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: File too large", p);
	assert_string_equal(err, want);
	free(buf);

	buf = s_padded("", TRUST_MAX_FILE + 1);
	assert_int_equal(trust_parse(t, buf, TRUST_MAX_FILE, "tr", err, sizeof err), 0);
	assert_int_equal(trust_parse(t, buf, TRUST_MAX_FILE + 1, "tr", err, sizeof err), -1);
	assert_string_equal(err, "tr: File too large");
	in.bytes = buf;
	in.len = TRUST_MAX_FILE + 1;
	s_put(p, TRUST_FILE, &in, 0644);
	assert_int_equal(trust_load(t, p, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: File too large", p);
	assert_string_equal(err, want);
	free(buf);
	trust_destroy(&t);
}

static int
s_on_key(void *user, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	(void)user;
	(void)section;
	(void)value;
	if (strcmp(key, "bad") == 0)
		return errf(err, errlen, "bad key");
	return 0;
}

static void
test_inifile_buf(void **state)
{
	static const struct inifile_ops ops = { NULL, s_on_key, NULL };
	static const struct {
		struct s_text in;
		const char *err; /* "" when accepted */
	} rows[] = {
		{ T(""), "" },
		{ T("[a]\nk = v"), "" },
		{ T("[a]\nk = v\n\0"), "ini:3: NUL byte in line" },
		{ T("[a]\nbad = 1\n"), "ini:2: bad key" },
		{ T("[a]\n  junk"), "ini:2: syntax error: expected [section] or key = value" },
		{ T("k = v\n"), "ini:1: key 'k' before any [section]" },
	};
	char err[512], p[512], want[600];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *buf = s_copy(&rows[i].in);
		int rc;

		err[0] = '\0';
		rc = inifile_parse_buf(buf, rows[i].in.len, "ini", &ops, NULL, err, sizeof err);
		free(buf);
		if (rc != (*rows[i].err ? -1 : 0) || strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: %d \"%s\"", i, rc, err);
		/* The same from a file, with the path for the name. */
		s_put(p, "t.ini", &rows[i].in, 0644);
		err[0] = '\0';
		rc = inifile_parse(p, 1 << 20, &ops, NULL, err, sizeof err);
		snprintf(want, sizeof want, "%s%s", *rows[i].err ? p : "",
		    *rows[i].err ? rows[i].err + 3 : "");
		if (rc != (*rows[i].err ? -1 : 0) || strcmp(err, want) != 0)
			fail_msg("row %zu, file: %d \"%s\"", i, rc, err);
	}
	/* More than INT_MAX bytes: refused before any is read. */
	assert_int_equal(inifile_parse_buf("", (size_t)INT_MAX + 1, "ini", &ops, NULL, err,
	                     sizeof err),
	    -1);
	assert_string_equal(err, "ini: File too large");
}

static void
s_hex_id(unsigned n, char hex[65])
{
	uint8_t seed[32] = { 0 }, pk[32], sk[64];

	memcpy(seed, &n, sizeof n);
	crypto_sign_seed_keypair(pk, sk, seed);
	hex_encode(hex, pk, 32);
}

static void
test_trust_same_as_load(void **state)
{
	char h1[65], h2[65], text[6][512], p[512], ea[512], eb[512];
	struct trust *a = trust_new(), *b = trust_new();
	struct s_text in;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	s_hex_id(1, h1);
	s_hex_id(2, h2);
	snprintf(text[0], sizeof text[0], "# none\n");
	snprintf(text[1], sizeof text[1],
	    "[soc-b]\nkey = %s\nendpoint = tcp://10.0.0.2:7000\n"
	    "level = external\ncoordinator = yes\n[soc-a]\nkey = %s",
	    h2, h1);
	snprintf(text[2], sizeof text[2], "[soc-b]\nkey = %s\n[soc-a]\nkey = %s\n", h1, h1);
	snprintf(text[3], sizeof text[3], "[soc-b]\nkey = %s\n[soc-a]\nlevel = member\n", h1);
	snprintf(text[4], sizeof text[4], "[soc b]\nkey = %s\n", h1);
	snprintf(text[5], sizeof text[5], "[soc-b]\nkey = %s\ncoordinator = maybe\n", h1);
	for (size_t i = 0; i < 6; i++) {
		char *buf;
		int ra, rb;

		in.bytes = text[i];
		in.len = strlen(text[i]);
		buf = s_copy(&in);
		s_put(p, TRUST_FILE, &in, 0644);
		ea[0] = eb[0] = '\0';
		ra = trust_load(a, p, ea, sizeof ea);
		rb = trust_parse(b, buf, in.len, p, eb, sizeof eb);
		free(buf);
		if (ra != rb || strcmp(ea, eb) != 0)
			fail_msg("row %zu: load %d \"%s\", parse %d \"%s\"", i, ra, ea, rb, eb);
		assert_int_equal(trust_count(a), trust_count(b));
		for (size_t j = 0; j < trust_count(a); j++) {
			const struct trust_peer *pa = trust_at(a, j), *pb = trust_at(b, j);
			assert_string_equal(pa->name, pb->name);
			assert_memory_equal(pa->id, pb->id, 32);
			assert_string_equal(pa->endpoint, pb->endpoint);
			assert_int_equal(pa->level, pb->level);
			assert_int_equal(pa->coordinator, pb->coordinator);
		}
	}
	/* Row 1 is the last list accepted: an error leaves it in place. */
	assert_int_equal(trust_parse(b, text[1], strlen(text[1]), "tr", eb, sizeof eb), 0);
	assert_int_equal(trust_count(b), 2);
	assert_int_equal(trust_parse(b, text[2], strlen(text[2]), "tr", eb, sizeof eb), -1);
	assert_string_equal(eb, "tr:4: [soc-a] has the same key as [soc-b]");
	assert_int_equal(trust_count(b), 2);
	assert_string_equal(trust_at(b, 0)->name, "soc-a");
	trust_destroy(&a);
	trust_destroy(&b);
}

static const struct s_text s_key_rows[] = {
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"),
	T("9D61B19DEFFD5A60BA844AF492EC2CC44449C5697B326919703BAC031CAE7F60"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\r\n"),
	T(""),
	T("\n"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f600\n"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n\n"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n\0"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\nxx\n"),
	T("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"
	  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n"),
	T("9d61b19deffd5a60ba844af492ec2cc4"
	  "\0"
	  "449c5697b326919703bac031cae7f60\n"),
};

static void
test_keys_same_as_load(void **state)
{
	char p[512], ea[512], eb[512], want[600];
	struct keys *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof s_key_rows / sizeof s_key_rows[0]; i++) {
		const struct s_text *in = &s_key_rows[i];
		char *buf = s_copy(in);

		s_put(p, KEYS_SECRET_FILE, in, 0600);
		ea[0] = eb[0] = '\0';
		a = keys_load(s_dir, ea, sizeof ea);
		b = keys_parse(buf, in->len, p, eb, sizeof eb);
		free(buf);
		if ((a == NULL) != (b == NULL) || strcmp(ea, eb) != 0)
			fail_msg("row %zu: load \"%s\", parse \"%s\"", i, ea, eb);
		if (a != NULL)
			assert_memory_equal(a, b, sizeof *a);
		/* Rows 0-2 are the RFC 8032 test key; the others are not keys. */
		if (i >= 3) {
			snprintf(want, sizeof want,
			    "%s: malformed secret key: expected one line "
			    "of 64 hex digits",
			    p);
			assert_string_equal(eb, want);
		}
		keys_destroy(&a);
		keys_destroy(&b);
	}
	/* The file's mode is keys_load()'s alone. */
	s_put(p, KEYS_SECRET_FILE, &s_key_rows[0], 0644);
	a = keys_load(s_dir, ea, sizeof ea);
	assert_null(a);
	assert_non_null(strstr(ea, "are too open"));
	b = keys_parse(s_key_rows[0].bytes, s_key_rows[0].len, "k", eb, sizeof eb);
	assert_non_null(b);
	keys_destroy(&b);
	b = keys_parse("x", 1, "k", eb, sizeof eb);
	assert_null(b);
	assert_string_equal(eb, "k: malformed secret key: expected one line of 64 hex digits");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_same_as_load),
		cmocka_unit_test(test_config_name_in_errors),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_inifile_buf),
		cmocka_unit_test(test_trust_same_as_load),
		cmocka_unit_test(test_keys_same_as_load),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
