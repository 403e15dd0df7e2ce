/* Unit tests for common/util (hex and ids, sizes, durations, the clock,
 * files, INI) and for common/log's level. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "testutil.h"

static char s_dir[64];

static int
setup_dir(void **state)
{
	(void)state;
	return tu_mkdtemp(s_dir, "util");
}

static int
teardown_dir(void **state)
{
	(void)state;
	return tu_rmrf(s_dir);
}

static void
s_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", s_dir, name);
}

static void
s_put(const char *name, const char *text)
{
	char p[512];
	FILE *f;

	s_path(p, sizeof p, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* ---- hex and ids ------------------------------------------------------ */

static void
test_hex_encode(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof in + 1];

	(void)state;
	memset(out, 'x', sizeof out);
	hex_encode(out, in, sizeof in);
	assert_string_equal(out, "0001abcdefff");
	hex_encode(out, in, 0);
	assert_string_equal(out, "");
}

static void
test_hex_round_trip(void **state)
{
	uint8_t in[256], back[256];
	char text[513];

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	hex_encode(text, in, sizeof in);
	assert_int_equal(strlen(text), 512);
	assert_int_equal(hex_decode(back, sizeof back, text, 512), 0);
	assert_memory_equal(in, back, sizeof in);
}

static void
test_hex_decode_either_case(void **state)
{
	uint8_t out[3];

	(void)state;
	assert_int_equal(hex_decode(out, 3, "aBcDeF", 6), 0);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
	assert_int_equal(out[2], 0xef);
}

static void
test_hex_decode_rejects(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(hex_decode(out, 4, "0011223", 7), -1);     /* odd */
	assert_int_equal(hex_decode(out, 4, "001122", 6), -1);      /* short */
	assert_int_equal(hex_decode(out, 4, "0011223344", 10), -1); /* long */
	assert_int_equal(hex_decode(out, 4, "0011zz33", 8), -1);    /* not hex */
	assert_int_equal(hex_decode(out, 4, "00112 33", 8), -1);    /* space */
	assert_int_equal(hex_decode(out, 4,
	                     "0011\0"
	                     "233",
	                     8),
	    -1); /* NUL */
	assert_int_equal(hex_decode(out, 4, "0x112233", 8), -1);
	assert_int_equal(hex_decode(out, 4, "00112233", 8), 0);
}

static void
test_id_parse(void **state)
{
	const char *lower = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	const char *mixed = "00112233445566778899AABBCCDDEEFF00112233445566778899aAbBcCdDeEfF";
	uint8_t a[32], b[32];
	char text[65];

	(void)state;
	assert_int_equal(id_parse(a, lower), 0);
	assert_int_equal(a[0], 0x00);
	assert_int_equal(a[10], 0xaa);
	assert_int_equal(a[31], 0xff);
	assert_int_equal(id_parse(b, mixed), 0);
	assert_memory_equal(a, b, 32);
	hex_encode(text, b, 32);
	assert_string_equal(text, lower);
}

static void
test_id_parse_rejects(void **state)
{
	char s[70];
	uint8_t id[32];

	(void)state;
	memset(s, 'a', sizeof s);
	s[63] = '\0';
	assert_int_equal(id_parse(id, s), -1); /* 63 */
	s[63] = 'a';
	s[64] = '\0';
	assert_int_equal(id_parse(id, s), 0); /* 64 */
	s[64] = 'a';
	s[65] = '\0';
	assert_int_equal(id_parse(id, s), -1); /* 65 */
	s[64] = '\n';
	assert_int_equal(id_parse(id, s), -1); /* trailing newline */
	s[64] = '\0';
	s[10] = 'g';
	assert_int_equal(id_parse(id, s), -1);
	assert_int_equal(id_parse(id, ""), -1);
}

/* ---- sizes and durations ---------------------------------------------- */

static void
test_parse_size(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
		{ "0", 0 },
		{ "1048576", 1048576 },
		{ "256K", 262144 },
		{ "256k", 262144 },
		{ "16M", 16777216 },
		{ "4G", 4294967296ull },
		{ "1T", 1099511627776ull },
		{ "16GiB", 17179869184ull },
		{ "16gib", 17179869184ull },
		{ "4GB", 4294967296ull },
		{ "1kb", 1024 },
		{ "512B", 512 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 18446744072635809792ull },
	};
	static const char *const bad[] = {
		"",
		"K",
		"B",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1 K",
		"1X",
		"1KiBB",
		"1iB",
		"1.5G",
		"1KK",
		"18446744073709551616", /* 2^64 */
		"17179869184G",         /* 2^64 */
		"16777216T",            /* 2^64 */
		"99999999999999999999999",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		v = 12345;
		if (parse_size(ok[i].in, &v) != 0 || v != ok[i].out)
			fail_msg("parse_size(\"%s\") = %llu, want %llu", ok[i].in,
			    (unsigned long long)v, (unsigned long long)ok[i].out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse_size(bad[i], &v) != -1)
			fail_msg("parse_size(\"%s\") accepted", bad[i]);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
	} ok[] = {
		{ "0", 0 },
		{ "500ms", 500 },
		{ "60s", 60000 },
		{ "60", 60000 },
		{ "5m", 300000 },
		{ "2h", 7200000 },
		{ "365d", 31536000000ull },
		{ "2w", 1209600000 },
		{ "5y", 5 * 31536000000ull },
		{ "18446744073709551s", 18446744073709551000ull },
		{ "18446744073709551615ms", UINT64_MAX },
	};
	static const char *const bad[] = {
		"",
		"s",
		"ms",
		"5M",
		"5H",
		"5 s",
		" 5s",
		"1.5h",
		"-1",
		"+1",
		"5sec",
		"5mss",
		"5Y",
		"18446744073709552s",   /* > 2^64 ms */
		"18446744073709551615", /* seconds: > 2^64 ms */
		"30500568905w",         /* > 2^64 ms */
		"18446744073709551616ms",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		v = 12345;
		if (parse_duration(ok[i].in, &v) != 0 || v != ok[i].ms)
			fail_msg("parse_duration(\"%s\") = %llu, want %llu", ok[i].in,
			    (unsigned long long)v, (unsigned long long)ok[i].ms);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse_duration(bad[i], &v) != -1)
			fail_msg("parse_duration(\"%s\") accepted", bad[i]);
}

static void
test_parse_uint(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_uint("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint("18446744073709551616", &v), -1);
	assert_int_equal(parse_uint("", &v), -1);
	assert_int_equal(parse_uint("1k", &v), -1);
	assert_int_equal(parse_uint("-1", &v), -1);
}

static void
test_format_round_trip(void **state)
{
	static const struct {
		uint64_t v;
		const char *size, *duration;
	} rows[] = {
		{ 0, "0", "0s" },
		{ 1, "1", "1ms" },
		{ 1000, "1000", "1s" },
		{ 1024, "1K", "1024ms" },
		{ 1536, "1536", "1536ms" },
		{ 60000, "60000", "1m" },
		{ 262144, "256K", "262144ms" },
		{ 16ull << 30, "16G", "17179869184ms" },
		{ 3ull << 40, "3T", "3298534883328ms" },
		{ 5ull << 50, "5120T", "5629499534213120ms" },
		{ 31536000000ull, "30796875K", "365d" },
		{ 1209600000, "1181250K", "2w" },
		{ 7200000, "7200000", "2h" },
		{ UINT64_MAX, "18446744073709551615", "18446744073709551615ms" },
	};
	char buf[FORMAT_BUFSZ];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		format_size(buf, rows[i].v);
		assert_string_equal(buf, rows[i].size);
		assert_int_equal(parse_size(buf, &back), 0);
		assert_true(back == rows[i].v);
		format_duration(buf, rows[i].v);
		assert_string_equal(buf, rows[i].duration);
		assert_int_equal(parse_duration(buf, &back), 0);
		assert_true(back == rows[i].v);
	}
}

static uint64_t
s_realtime_ms(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_now_ms(void **state)
{
	/* now_ms() reads CLOCK_REALTIME: compare it with the same clock read
	 * just before and just after, truncated alike.  time(NULL) is not that
	 * clock: on some kernels it lags clock_gettime by most of a second.
	 * A slow or loaded machine only widens [a, b]; seconds, microseconds,
	 * rounding up or another clock (CLOCK_MONOTONIC counts from boot)
	 * fall outside it. */
	struct timespec pause = { 0, 20 * 1000000 };
	uint64_t a, t, b, t2;

	(void)state;
	a = s_realtime_ms();
	t = now_ms();
	b = s_realtime_ms();
	if (t < a || t > b)
		fail_msg("now_ms() = %llu, outside [%llu, %llu]", (unsigned long long)t,
		    (unsigned long long)a, (unsigned long long)b);
	assert_true(t > 1600000000000ull); /* after September 2020 */
	/* It counts milliseconds: 20 ms of sleep are more than 10 of them
	 * (truncation and clock slewing take at most about one). */
	while (nanosleep(&pause, &pause) != 0)
		assert_int_equal(errno, EINTR);
	t2 = now_ms();
	assert_true(t2 >= t + 10);
	assert_true(t2 <= s_realtime_ms());
}

/* ---- logging ---------------------------------------------------------- */

static atomic_int s_log_stop;

static void *
s_log_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&s_log_stop)) {
		/* Below the levels the main thread sets: prints nothing. */
		log_debug("not printed");
		(void)log_getlevel();
	}
	return NULL;
}

/* socmeshd changes the level on SIGHUP while its verifier and writer
 * threads log: under TSAN=1 a plain variable is a reported race. */
static void
test_log_level_threads(void **state)
{
	enum log_level old = log_getlevel();
	pthread_t th[2];

	(void)state;
	log_setlevel(LOG_LEVEL_ERROR);
	atomic_store(&s_log_stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, s_log_reader, NULL), 0);
	for (int i = 0; i < 20000; i++) {
		enum log_level l = i % 2 ? LOG_LEVEL_WARN : LOG_LEVEL_INFO;
		log_setlevel(l);
		assert_int_equal(log_getlevel(), l);
	}
	atomic_store(&s_log_stop, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	log_setlevel(old);
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("warn"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("Info"), -1);
}

/* ---- files ------------------------------------------------------------ */

static void
test_write_atomic(void **state)
{
	char p[512], tmp[512];
	struct stat st;
	char *data;
	size_t len;
	mode_t old = umask(077);

	(void)state;
	s_path(p, sizeof p, "a.conf");
	s_path(tmp, sizeof tmp, "a.conf.tmp");
	/* The mode is exact whatever the umask. */
	assert_int_equal(file_write_atomic(p, "one\n", 4, 0644), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(file_read_all(p, 100, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "one\n");
	free(data);
	/* Replacing: new content and mode, no temporary left. */
	assert_int_equal(file_write_atomic(p, "second\n", 7, 0600), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read_all(p, 100, &data, &len), 0);
	assert_string_equal(data, "second\n");
	free(data);
	assert_int_equal(access(tmp, F_OK), -1);
	/* Empty content. */
	assert_int_equal(file_write_atomic(p, "", 0, 0640), 0);
	assert_int_equal(file_read_all(p, 100, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	umask(old);
}

static void
test_write_atomic_failures(void **state)
{
	char p[512], tmp[512], target[512];

	(void)state;
	s_path(p, sizeof p, "missing/x.conf");
	errno = 0;
	assert_int_equal(file_write_atomic(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	/* A symbolic link planted at the temporary name is not followed. */
	s_path(p, sizeof p, "b.conf");
	s_path(tmp, sizeof tmp, "b.conf.tmp");
	s_path(target, sizeof target, "target");
	assert_int_equal(symlink(target, tmp), 0);
	errno = 0;
	assert_int_equal(file_write_atomic(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(access(p, F_OK), -1);
	/* Writing into a directory where the path is a directory: rename
	 * fails and the temporary is removed. */
	s_path(p, sizeof p, "adir");
	s_path(tmp, sizeof tmp, "adir.tmp");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(file_write_atomic(p, "x", 1, 0600), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(rmdir(p), 0);
}

static void
test_read_all(void **state)
{
	char p[512];
	char *data = NULL;
	size_t len = 0;

	(void)state;
	s_put("r.txt", "0123456789");
	s_path(p, sizeof p, "r.txt");
	assert_int_equal(file_read_all(p, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	data = NULL;
	errno = 0;
	assert_int_equal(file_read_all(p, 9, &data, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(data);
	s_path(p, sizeof p, "none.txt");
	errno = 0;
	assert_int_equal(file_read_all(p, 10, &data, &len), -1);
	assert_int_equal(errno, ENOENT);
	s_put("e.txt", "");
	s_path(p, sizeof p, "e.txt");
	assert_int_equal(file_read_all(p, 10, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
}

static void
test_read_all_not_regular(void **state)
{
	char *data = NULL;
	size_t len = 0;

	(void)state;
	/* No size from fstat: the limit holds all the same. */
	errno = 0;
	assert_int_equal(file_read_all("/dev/zero", 5000, &data, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(file_read_all("/dev/null", 5000, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
}

/* ---- INI files -------------------------------------------------------- */

struct ini_log {
	char text[2048];
	int fail_key; /* fail on the key with this name's first letter */
};

static int
on_section(void *user, const char *name, char *err, size_t errlen)
{
	struct ini_log *l = user;
	size_t n = strlen(l->text);

	(void)err, (void)errlen;
	snprintf(l->text + n, sizeof l->text - n, "[%s]", name);
	return 0;
}

static int
on_key(void *user, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct ini_log *l = user;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof l->text - n, "%s.%s=%s;", section, key, value);
	if (key[0] == l->fail_key) {
		snprintf(err, errlen, "bad %s", key);
		return -1;
	}
	return 0;
}

static int
on_end(void *user, const char *name, char *err, size_t errlen)
{
	struct ini_log *l = user;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof l->text - n, "end(%s)", name);
	if (strcmp(name, "empty") == 0) {
		snprintf(err, errlen, "[%s] is empty", name);
		return -1;
	}
	return 0;
}

static const struct inifile_ops s_ops = { on_section, on_key, on_end };

static int
s_ini(const char *text, struct ini_log *l, char *err, size_t errlen)
{
	char p[512];

	s_put("t.ini", text);
	s_path(p, sizeof p, "t.ini");
	memset(l->text, 0, sizeof l->text);
	return inifile_parse(p, 1 << 20, &s_ops, l, err, errlen);
}

static void
test_ini_parse(void **state)
{
	char sect[80], text[512], err[512];
	struct ini_log l = { .fail_key = 0 };

	(void)state;
	/* A BOM, comments, indentation, ':' and inline comments; a section
	 * name longer than inih's own limit of 49 characters. */
	memset(sect, 's', 63);
	sect[63] = '\0';
	snprintf(text, sizeof text,
	    "\xEF\xBB\xBF# comment\n"
	    "[a]\n"
	    "  x = 1 ; note\n"
	    "\ty: two words\r\n"
	    "; other\n"
	    "[%s]   ; a comment\n"
	    "z = a;b\n"
	    "[b]\n",
	    sect);
	assert_int_equal(s_ini(text, &l, err, sizeof err), 0);
	snprintf(text, sizeof text, "[a]a.x=1;a.y=two words;end(a)[%s]%s.z=a;b;end(%s)[b]end(b)",
	    sect, sect, sect);
	assert_string_equal(l.text, text);
}

static void
test_ini_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err; /* after "PATH:" */
	} rows[] = {
		{ "x = 1\n", "1: key 'x' before any [section]" },
		{ "[a]\nx = 1\n[b\n", "3: missing ']' in section header" },
		{ "[a]\n\n[a] junk\n", "3: unexpected text after section header" },
		{ "[a]\nx = 1\njunk\n", "3: syntax error: expected [section] or key = value" },
		{ "[a]\nx = 1\nfail = 2\nfail = 3\n", "3: bad fail" },
		{ "[a]\nx = 1\n[empty]\n# c\n[c]\n", "3: [empty] is empty" },
		{ "[a]\nx = 1\n\n[empty]\n", "4: [empty] is empty" },
		{ "[a]\nbad\nfail = 1\n", "2: syntax error: expected [section] or key = value" },
		{ "[a]\nx = 1\n  fail = 2\n", "3: bad fail" },
	};
	char err[512], p[512], want[600];
	struct ini_log l = { .fail_key = 'f' };

	(void)state;
	s_path(p, sizeof p, "t.ini");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		err[0] = '\0';
		if (s_ini(rows[i].text, &l, err, sizeof err) != -1)
			fail_msg("row %zu accepted", i);
		snprintf(want, sizeof want, "%s:%s", p, rows[i].err);
		if (strcmp(err, want) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, err, want);
	}
}

static void
test_ini_long_line(void **state)
{
	char text[600], err[512], p[512], want[600];
	struct ini_log l = { .fail_key = 0 };
	int n;

	(void)state;
	/* INIFILE_MAX_LINE characters are fine, one more is an error. */
	n = snprintf(text, sizeof text, "[a]\nk = ");
	memset(text + n, 'v', INIFILE_MAX_LINE - 4);
	strcpy(text + n + INIFILE_MAX_LINE - 4, "\n");
	assert_int_equal(s_ini(text, &l, err, sizeof err), 0);
	assert_int_equal(strlen(l.text), strlen("[a]a.k=;end(a)") + INIFILE_MAX_LINE - 4);
	strcpy(text + n + INIFILE_MAX_LINE - 4, "v\nx = 1\n");
	assert_int_equal(s_ini(text, &l, err, sizeof err), -1);
	s_path(p, sizeof p, "t.ini");
	snprintf(want, sizeof want, "%s:2: line longer than %d characters", p, INIFILE_MAX_LINE);
	assert_string_equal(err, want);
}

static void
test_ini_missing_file(void **state)
{
	char err[512], p[512], want[600];
	struct ini_log l;

	(void)state;
	s_path(p, sizeof p, "nothere.ini");
	assert_int_equal(inifile_parse(p, 100, &s_ops, &l, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", p);
	assert_string_equal(err, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_decode_either_case),
		cmocka_unit_test(test_hex_decode_rejects),
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_id_parse_rejects),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_now_ms),
		cmocka_unit_test(test_log_level_threads),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_failures),
		cmocka_unit_test(test_read_all),
		cmocka_unit_test(test_read_all_not_regular),
		cmocka_unit_test(test_ini_parse),
		cmocka_unit_test(test_ini_errors),
		cmocka_unit_test(test_ini_long_line),
		cmocka_unit_test(test_ini_missing_file),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
