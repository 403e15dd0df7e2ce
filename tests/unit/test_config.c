/* Unit tests for common/config: defaults, loading, errors, round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "testutil.h"

static char s_dir[64];
static char s_file[128]; /* s_dir/socmesh.conf */

static int
setup_dir(void **state)
{
	(void)state;
	if (tu_mkdtemp(s_dir, "config") == -1)
		return -1;
	snprintf(s_file, sizeof s_file, "%s/%s", s_dir, CONFIG_FILE);
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

static void
s_assert_same(const struct config *a, const struct config *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->listen, b->listen);
	assert_string_equal(a->data_dir, b->data_dir);
	assert_true(a->store_size == b->store_size);
	assert_true(a->retention_ms == b->retention_ms);
	assert_int_equal(a->log_level, b->log_level);
	assert_true(a->max_message == b->max_message);
	assert_int_equal(a->peer_rate, b->peer_rate);
	assert_int_equal(a->peer_burst, b->peer_burst);
	assert_int_equal(a->peer_queue, b->peer_queue);
	assert_true(a->sync_interval_ms == b->sync_interval_ms);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0xa5, sizeof c);
	config_defaults(&c);
	assert_string_equal(c.name, "");
	assert_string_equal(c.listen, "");
	assert_string_equal(c.data_dir, "");
	assert_true(c.store_size == 17179869184ull);
	assert_true(c.retention_ms == 31536000000ull);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_true(c.max_message == 262144);
	assert_int_equal(c.peer_rate, 1000);
	assert_int_equal(c.peer_burst, 5000);
	assert_int_equal(c.peer_queue, 10000);
	assert_true(c.sync_interval_ms == 60000);
}

static void
test_load_minimal(void **state)
{
	struct config c, d;
	char err[512];

	(void)state;
	s_put("[node]\nname = soc-a\nlisten = tcp://*:7000\n");
	assert_int_equal(config_load(&c, s_file, err, sizeof err), 0);
	config_defaults(&d);
	strcpy(d.name, "soc-a");
	strcpy(d.listen, "tcp://*:7000");
	s_assert_same(&c, &d);
}

static void
test_load_full(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	s_put("# every key\n"
	      "[node]\n"
	      "name = SOC_b.2\n"
	      "listen = tcp://[::1]:7001 ; loopback\n"
	      "data_dir = /var/lib/socmesh data\n"
	      "store_size = 1GiB\n"
	      "retention = 2w\n"
	      "log_level = debug\n"
	      "\n"
	      "[limits]\n"
	      "max_message = 128K\n"
	      "peer_rate = 1\n"
	      "peer_burst = 10000000\n"
	      "peer_queue = 42\n"
	      "\n"
	      "[gossip]\n"
	      "sync_interval = 1d\n");
	assert_int_equal(config_load(&c, s_file, err, sizeof err), 0);
	assert_string_equal(c.name, "SOC_b.2");
	assert_string_equal(c.listen, "tcp://[::1]:7001");
	assert_string_equal(c.data_dir, "/var/lib/socmesh data");
	assert_true(c.store_size == 1073741824ull);
	assert_true(c.retention_ms == 1209600000ull);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_true(c.max_message == 131072);
	assert_int_equal(c.peer_rate, 1);
	assert_int_equal(c.peer_burst, 10000000);
	assert_int_equal(c.peer_queue, 42);
	assert_true(c.sync_interval_ms == 86400000ull);
}

static void
test_load_retention_forever(void **state)
{
	static const char *const forever[] = { "forever", "0", "0s", "0d" };
	struct config c;
	char text[256], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof forever / sizeof forever[0]; i++) {
		snprintf(text, sizeof text,
		    "[node]\nname = a\nlisten = tcp://*:1\nretention = %s\n", forever[i]);
		s_put(text);
		assert_int_equal(config_load(&c, s_file, err, sizeof err), 0);
		assert_true(c.retention_ms == 0);
	}
}

static void
test_write_round_trip(void **state)
{
	struct config c, back;
	struct stat st;
	char err[512];
	char *text;
	size_t len;

	(void)state;
	config_defaults(&c);
	strcpy(c.name, "soc-a");
	strcpy(c.listen, "tcp://soc-a.example.org:7000");
	assert_int_equal(config_write(&c, s_file, err, sizeof err), 0);
	assert_int_equal(stat(s_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(config_load(&back, s_file, err, sizeof err), 0);
	s_assert_same(&c, &back);

	/* Every key is written with its value, under comments. */
	assert_int_equal(file_read_all(s_file, 1 << 16, &text, &len), 0);
	assert_non_null(strstr(text, "\n[node]\n"));
	assert_non_null(strstr(text, "\n[limits]\n"));
	assert_non_null(strstr(text, "\n[gossip]\n"));
	assert_non_null(strstr(text, "\nname = soc-a\n"));
	assert_non_null(strstr(text, "\nlisten = tcp://soc-a.example.org:7000\n"));
	assert_non_null(strstr(text, "\ndata_dir =\n"));
	assert_non_null(strstr(text, "\nstore_size = 16G\n"));
	assert_non_null(strstr(text, "\nretention = 365d\n"));
	assert_non_null(strstr(text, "\nlog_level = info\n"));
	assert_non_null(strstr(text, "\nmax_message = 256K\n"));
	assert_non_null(strstr(text, "\npeer_rate = 1000\n"));
	assert_non_null(strstr(text, "\npeer_burst = 5000\n"));
	assert_non_null(strstr(text, "\npeer_queue = 10000\n"));
	assert_non_null(strstr(text, "\nsync_interval = 1m\n"));
	assert_int_equal(text[0], '#');
	free(text);

	/* Edges of every range, odd values, forever. */
	strcpy(c.name, "n.a_m-e90123456789012345678901234567890123456789012345678901234");
	assert_int_equal(strlen(c.name), 63);
	strcpy(c.listen, "tcp://[2001:db8::7]:65535");
	strcpy(c.data_dir, "relative/dir with spaces;and=signs#");
	c.store_size = 1048576 + 1;
	c.retention_ms = 1;
	c.log_level = LOG_LEVEL_ERROR;
	c.max_message = 1024;
	c.peer_rate = 1000000;
	c.peer_burst = 1;
	c.peer_queue = 10000000;
	c.sync_interval_ms = 1000;
	assert_int_equal(config_write(&c, s_file, err, sizeof err), 0);
	assert_int_equal(config_load(&back, s_file, err, sizeof err), 0);
	s_assert_same(&c, &back);

	c.retention_ms = 0;
	c.max_message = 262144;
	c.sync_interval_ms = 86400000;
	c.store_size = UINT64_MAX;
	c.log_level = LOG_LEVEL_WARN;
	assert_int_equal(config_write(&c, s_file, err, sizeof err), 0);
	assert_int_equal(config_load(&back, s_file, err, sizeof err), 0);
	s_assert_same(&c, &back);
	assert_int_equal(file_read_all(s_file, 1 << 16, &text, &len), 0);
	assert_non_null(strstr(text, "\nretention = forever\n"));
	free(text);
}

static void
test_write_refuses_bad_struct(void **state)
{
	static const struct {
		const char *field;
		const char *err;
	} rows[] = {
		{ "name-empty", "name: missing (required)" },
		{ "listen-empty", "listen: missing (required)" },
		{ "name-bad",
		    "name: bad value 'soc a': expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "listen-bad",
		    "listen: bad value 'tcp://*:0': expected tcp://HOST:PORT with HOST an "
		    "IPv4 address, [IPv6 address], host name or *, and PORT 1-65535" },
		{ "data_dir-blank",
		    "data_dir: bad value ' /x': expected a path of at most 180 "
		    "characters, without control characters or \" ;\"" },
		{ "data_dir-comment",
		    "data_dir: bad value '/x ;y': expected a path of at most 180 "
		    "characters, without control characters or \" ;\"" },
		{ "data_dir-long", "data_dir: value too long" },
		{ "name-unterminated", "name: value too long" },
		{ "store_size",
		    "store_size: bad value '1048575': expected a size of at least 1M, "
		    "such as 16G" },
		{ "max_message",
		    "max_message: bad value '1023': expected a size from 1K to 256K, "
		    "such as 256K" },
		{ "peer_rate", "peer_rate: bad value '0': expected an integer from 1 to 1000000" },
		{ "peer_queue",
		    "peer_queue: bad value '10000001': expected an integer from 1 to "
		    "10000000" },
		{ "sync_interval",
		    "sync_interval: bad value '999ms': expected a duration from 1s to "
		    "1d, such as 60s" },
		{ "log_level", "log_level: bad value '?': expected error, warn, info or debug" },
	};
	struct config c;
	char err[512];

	(void)state;
	unlink(s_file);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *f = rows[i].field;
		config_defaults(&c);
		strcpy(c.name, "soc-a");
		strcpy(c.listen, "tcp://*:7000");
		if (strcmp(f, "name-empty") == 0)
			c.name[0] = '\0';
		else if (strcmp(f, "listen-empty") == 0)
			c.listen[0] = '\0';
		else if (strcmp(f, "name-bad") == 0)
			strcpy(c.name, "soc a");
		else if (strcmp(f, "listen-bad") == 0)
			strcpy(c.listen, "tcp://*:0");
		else if (strcmp(f, "data_dir-blank") == 0)
			strcpy(c.data_dir, " /x");
		else if (strcmp(f, "data_dir-comment") == 0)
			strcpy(c.data_dir, "/x ;y");
		else if (strcmp(f, "data_dir-long") == 0)
			memset(c.data_dir, 'd', 200);
		else if (strcmp(f, "name-unterminated") == 0)
			memset(c.name, 'n', sizeof c.name);
		else if (strcmp(f, "store_size") == 0)
			c.store_size = 1048575;
		else if (strcmp(f, "max_message") == 0)
			c.max_message = 1023;
		else if (strcmp(f, "peer_rate") == 0)
			c.peer_rate = 0;
		else if (strcmp(f, "peer_queue") == 0)
			c.peer_queue = 10000001;
		else if (strcmp(f, "sync_interval") == 0)
			c.sync_interval_ms = 999;
		else if (strcmp(f, "log_level") == 0)
			c.log_level = 7;
		err[0] = '\0';
		if (config_write(&c, s_file, err, sizeof err) != -1)
			fail_msg("%s: written", f);
		if (strcmp(err, rows[i].err) != 0)
			fail_msg("%s: got \"%s\"", f, err);
		assert_int_equal(access(s_file, F_OK), -1);
	}
	/* The same checks, without writing. */
	config_defaults(&c);
	assert_int_equal(config_check(&c, err, sizeof err), -1);
	strcpy(c.name, "a");
	strcpy(c.listen, "tcp://127.0.0.1:7000");
	assert_int_equal(config_check(&c, err, sizeof err), 0);
}

/* Each error shape: the text after "PATH:" (or after "PATH" for errors
 * without a line), written literally. */
static void
test_load_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} rows[] = {
		{ "[node]\nname = a\nlisten = tcp://*:7000\n\n[nodes]\nx = 1\n",
		    ":5: unknown section [nodes]" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[Node]\n",
		    ":4: unknown section [Node]" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nport = 7000\n",
		    ":4: unknown key 'port' in [node]" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\nsync_interval = 5s\n",
		    ":5: unknown key 'sync_interval' in [limits]" },
		{ "[node]\nname = a\nname = b\nlisten = tcp://*:7000\n",
		    ":3: duplicate key 'name' in [node]" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\n[node]\nlog_level = info\n",
		    ":5: section [node] appears twice" },
		{ "name = a\n[node]\n", ":1: key 'name' before any [section]" },
		{ "[node]\nname\n", ":2: syntax error: expected [section] or key = value" },
		{ "[node\nname = a\n", ":1: missing ']' in section header" },
		{ "[node]\nname = soc a\n",
		    ":2: bad value 'soc a' for name: expected 1-63 characters of A-Z a-z 0-9 . _ "
		    "-" },
		{ "[node]\nname = "
		  "0123456789012345678901234567890123456789012345678901234567890123\n",
		    ":2: bad value "
		    "'0123456789012345678901234567890123456789012345678901234567890123' "
		    "for name: expected 1-63 characters of A-Z a-z 0-9 . _ -" },
		{ "[node]\nname =\n",
		    ":2: bad value '' for name: expected 1-63 characters of "
		    "A-Z a-z 0-9 . _ -" },
		{ "[node]\nname = a\nlisten = tcp://*:65536\n",
		    ":3: bad value 'tcp://*:65536' for listen: expected tcp://HOST:PORT with HOST "
		    "an "
		    "IPv4 address, [IPv6 address], host name or *, and PORT 1-65535" },
		{ "[node]\nname = a\nlisten = 7000\n",
		    ":3: bad value '7000' for listen: expected tcp://HOST:PORT with HOST an IPv4 "
		    "address, [IPv6 address], host name or *, and PORT 1-65535" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nstore_size = 512K\n",
		    ":4: bad value '512K' for store_size: expected a size of at least 1M, such as "
		    "16G" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nstore_size = 16 G\n",
		    ":4: bad value '16 G' for store_size: expected a size of at least 1M, such as "
		    "16G" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nretention = 1yr\n",
		    ":4: bad value '1yr' for retention: expected a duration such as 365d, or "
		    "forever" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nlog_level = verbose\n",
		    ":4: bad value 'verbose' for log_level: expected error, warn, info or debug" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\nlog_level = INFO\n",
		    ":4: bad value 'INFO' for log_level: expected error, warn, info or debug" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\nmax_message = 257K\n",
		    ":5: bad value '257K' for max_message: expected a size from 1K to 256K, such "
		    "as 256K" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\nmax_message = 1023\n",
		    ":5: bad value '1023' for max_message: expected a size from 1K to 256K, such "
		    "as 256K" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\npeer_rate = 0\n",
		    ":5: bad value '0' for peer_rate: expected an integer from 1 to 1000000" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\npeer_rate = 1000001\n",
		    ":5: bad value '1000001' for peer_rate: expected an integer from 1 to "
		    "1000000" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\npeer_burst = -5\n",
		    ":5: bad value '-5' for peer_burst: expected an integer from 1 to 10000000" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[limits]\npeer_queue = 99999999999\n",
		    ":5: bad value '99999999999' for peer_queue: expected an integer from 1 to "
		    "10000000" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[gossip]\nsync_interval = 500ms\n",
		    ":5: bad value '500ms' for sync_interval: expected a duration from 1s to 1d, "
		    "such as 60s" },
		{ "[node]\nname = a\nlisten = tcp://*:7000\n[gossip]\nsync_interval = 2d\n",
		    ":5: bad value '2d' for sync_interval: expected a duration from 1s to 1d, "
		    "such as 60s" },
		{ "[node]\nlisten = tcp://*:7000\n", ": missing key 'name' in [node]" },
		{ "[node]\nname = a\n", ": missing key 'listen' in [node]" },
		{ "", ": missing key 'name' in [node]" },
		{ "# nothing\n[limits]\npeer_rate = 5\n", ": missing key 'name' in [node]" },
	};
	struct config c;
	char err[512], want[1024];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		s_put(rows[i].text);
		err[0] = '\0';
		if (config_load(&c, s_file, err, sizeof err) != -1)
			fail_msg("row %zu accepted", i);
		snprintf(want, sizeof want, "%s%s", s_file, rows[i].err);
		if (strcmp(err, want) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, err, want);
	}
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
	struct config c, d;
	char err[512];
	char *text = s_doc_block("### Example");

	(void)state;
	s_put(text);
	free(text);
	if (config_load(&c, s_file, err, sizeof err) != 0)
		fail_msg("%s", err);
	config_defaults(&d);
	strcpy(d.name, "soc-a");
	strcpy(d.listen, "tcp://*:7000");
	s_assert_same(&c, &d);
}

static void
test_load_missing_file(void **state)
{
	struct config c;
	char err[512], want[600];

	(void)state;
	unlink(s_file);
	assert_int_equal(config_load(&c, s_file, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", s_file);
	assert_string_equal(err, want);
}

static void
test_valid_name(void **state)
{
	static const char *const good[] = {
		"a", "soc-a", "SOC_B.2", "0", "...",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc", /* 63 */
	};
	static const char *const bad[] = {
		"", "soc a", "soc/a", "soc:a", "soc\ta",
		"s\xc3\xb6"
		"c",
		"[a]", "a;b",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd", /* 64 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!config_valid_name(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (config_valid_name(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_valid_endpoint(void **state)
{
	static const struct {
		const char *s;
		int listen, peer; /* expected with wildcard true / false */
	} rows[] = {
		{ "tcp://*:7000", 1, 0 },
		{ "tcp://127.0.0.1:7000", 1, 1 },
		{ "tcp://0.0.0.0:1", 1, 1 },
		{ "tcp://[::1]:7000", 1, 1 },
		{ "tcp://[2001:db8::1]:65535", 1, 1 },
		{ "tcp://[::ffff:192.0.2.1]:7000", 1, 1 },
		{ "tcp://soc-a.example.org:7000", 1, 1 },
		{ "tcp://localhost:7000", 1, 1 },
		{ "tcp://eth0:7000", 1, 1 },
		{ "tcp://*:0", 0, 0 },
		{ "tcp://*:65536", 0, 0 },
		{ "tcp://*:", 0, 0 },
		{ "tcp://*", 0, 0 },
		{ "tcp://:7000", 0, 0 },
		{ "tcp://host:07000", 0, 0 },
		{ "tcp://host:+700", 0, 0 },
		{ "tcp://host:7000 ", 0, 0 },
		{ "tcp://host:123456", 0, 0 },
		{ "udp://*:7000", 0, 0 },
		{ "TCP://*:7000", 0, 0 },
		{ "ipc:///tmp/x", 0, 0 },
		{ "*:7000", 0, 0 },
		{ "", 0, 0 },
		{ "tcp://256.1.1.1:7000", 0, 0 },
		{ "tcp://1.2.3:7000", 0, 0 },
		{ "tcp://1.2.3.4.5:7000", 0, 0 },
		{ "tcp://[::1:7000", 0, 0 },
		{ "tcp://::1:7000", 0, 0 },
		{ "tcp://[]:7000", 0, 0 },
		{ "tcp://[zz::1]:7000", 0, 0 },
		{ "tcp://[127.0.0.1]:7000", 0, 0 },
		{ "tcp://-a.example:7000", 0, 0 },
		{ "tcp://a-.example:7000", 0, 0 },
		{ "tcp://a..b:7000", 0, 0 },
		{ "tcp://a.b.:7000", 0, 0 },
		{ "tcp://a_b:7000", 0, 0 },
		{ "tcp://a b:7000", 0, 0 },
		{ "tcp://**:7000", 0, 0 },
		{ "tcp://abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd.org:7000",
		    0, 0 },
	};
	char longest[256];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (config_valid_endpoint(rows[i].s, true) != (rows[i].listen != 0))
			fail_msg("\"%s\" as listen: want %d", rows[i].s, rows[i].listen);
		if (config_valid_endpoint(rows[i].s, false) != (rows[i].peer != 0))
			fail_msg("\"%s\" as peer: want %d", rows[i].s, rows[i].peer);
	}
	/* CONFIG_ENDPOINT_MAX characters, then one more. */
	strcpy(longest, "tcp://");
	for (int i = 0; i < 2; i++)
		strcat(longest, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij.");
	strcat(longest, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghi:1");
	assert_int_equal(strlen(longest), CONFIG_ENDPOINT_MAX - 1);
	assert_true(config_valid_endpoint(longest, false));
	strcpy(longest + strlen(longest) - 2, "e:1");
	assert_int_equal(strlen(longest), CONFIG_ENDPOINT_MAX);
	assert_true(config_valid_endpoint(longest, false));
	strcpy(longest + strlen(longest) - 2, "f:1");
	assert_int_equal(strlen(longest), CONFIG_ENDPOINT_MAX + 1);
	assert_false(config_valid_endpoint(longest, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_minimal),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_load_retention_forever),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_write_refuses_bad_struct),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_valid_endpoint),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
