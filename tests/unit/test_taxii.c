/* Unit tests for the TAXII server's pure parts (daemon/taxii.h): the users
 * file, the [taxii] listen URL and its configuration rules, the URL
 * parameters of a GET, Accept and Content-Type. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "node.h"
#include "taxii.h"
#include "testutil.h"

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"

static void
test_names(void **state)
{
	char long_name[TAXII_NAME_MAX + 2];

	(void)state;
	assert_true(taxii_valid_name("feed-green"));
	assert_true(taxii_valid_name("a.b_c-D9"));
	assert_false(taxii_valid_name(""));
	assert_false(taxii_valid_name("with space"));
	assert_false(taxii_valid_name("colon:"));
	assert_false(taxii_valid_name("é"));
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_false(taxii_valid_name(long_name));
	long_name[TAXII_NAME_MAX] = '\0';
	assert_true(taxii_valid_name(long_name));
}

static void
test_users_parse(void **state)
{
	struct taxii_users u = { 0 };
	char err[256];
	const char *good = "# comment\n\nfeed-green green " HASH
	                   "\r\n  \nfeed-amber amber+strict " HASH;

	(void)state;
	assert_int_equal(taxii_users_parse(&u, good, strlen(good), "f", err, sizeof err), 0);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.v[0].name, "feed-green");
	assert_int_equal(u.v[0].max_tlp, MSG_TLP_GREEN);
	assert_int_equal(u.v[1].max_tlp, MSG_TLP_AMBER_STRICT);
	assert_string_equal(u.v[1].hash, HASH);
	assert_non_null(taxii_users_find(&u, "feed-amber"));
	assert_null(taxii_users_find(&u, "feed"));
	assert_int_equal(taxii_users_remove(&u, "feed-green"), 0);
	assert_int_equal(taxii_users_remove(&u, "feed-green"), -1);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.v[0].name, "feed-amber");
	taxii_users_free(&u);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "x red " HASH "\n", "f:1: bad max TLP" },
		{ "x purple " HASH "\n", "f:1: bad max TLP" },
		{ "x green\n", "f:1: expected NAME MAX_TLP HASH" },
		{ "x green " HASH " extra\n", "f:1: more than three" },
		{ "bad/name green " HASH "\n", "f:1: bad user name" },
		{ "x green plaintext\n", "f:1: bad password hash" },
		{ "x green " HASH "\n\nx clear " HASH "\n", "f:3: user x appears twice" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(taxii_users_parse(&u, bad[i].text, strlen(bad[i].text), "f", err,
		                     sizeof err),
		    -1);
		assert_non_null(strstr(err, bad[i].want));
		assert_int_equal(u.n, 0);
	}
	/* A NUL byte and an endless line are refused, not read past. */
	assert_int_equal(taxii_users_parse(&u, "x gr\0en " HASH, 8 + strlen(HASH), "f", err,
	                     sizeof err),
	    -1);
	char *big = malloc(100000);
	memset(big, 'a', 100000);
	assert_int_equal(taxii_users_parse(&u, big, 100000, "f", err, sizeof err), -1);
	assert_non_null(strstr(err, "line too long"));
	free(big);
}

static void
test_users_file(void **state)
{
	char dir[64], path[128], err[256];
	struct taxii_users u = { 0 }, back = { 0 };
	struct taxii_user user = { .max_tlp = MSG_TLP_CLEAR };
	struct stat st;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, "taxii"), 0);
	snprintf(path, sizeof path, "%s/%s", dir, TAXII_USERS_FILE);
	/* A missing file is no users. */
	assert_int_equal(taxii_users_load(&back, path, &st, err, sizeof err), 0);
	assert_int_equal(back.n, 0);
	snprintf(user.name, sizeof user.name, "reader");
	assert_int_equal(crypto_pwhash_str(user.hash, "secret", 6,
	                     crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                     crypto_pwhash_MEMLIMIT_INTERACTIVE),
	    0);
	assert_int_equal(taxii_users_add(&u, &user), 0);
	assert_int_equal(taxii_users_write(&u, path, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(taxii_users_load(&back, path, &st, err, sizeof err), 0);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.v[0].name, "reader");
	assert_int_equal(back.v[0].max_tlp, MSG_TLP_CLEAR);
	assert_int_equal(crypto_pwhash_str_verify(back.v[0].hash, "secret", 6), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(back.v[0].hash, "secreT", 6), 0);
	/* Readable by others: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(taxii_users_load(&back, path, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "chmod 600"));
	taxii_users_free(&u);
	taxii_users_free(&back);
	tu_rmrf(dir);
}

static void
test_listen(void **state)
{
	char host[256], err[256];
	unsigned port;
	bool tls, lo;

	(void)state;
	assert_int_equal(config_taxii_listen("https://127.0.0.1:9443", &tls, host, sizeof host,
	                     &port, &lo, err, sizeof err),
	    0);
	assert_true(tls);
	assert_true(lo);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9443);
	assert_int_equal(config_taxii_listen("http://[::1]:80/", &tls, host, sizeof host, &port,
	                     &lo, err, sizeof err),
	    0);
	assert_false(tls);
	assert_true(lo);
	assert_string_equal(host, "::1");
	assert_int_equal(config_taxii_listen("https://[2001:db8::1]:443", &tls, host, sizeof host,
	                     &port, &lo, err, sizeof err),
	    0);
	assert_false(lo);
	assert_int_equal(config_taxii_listen("https://127.5.6.7:1", &tls, host, sizeof host, &port,
	                     &lo, err, sizeof err),
	    0);
	assert_true(lo);
	assert_int_equal(config_taxii_listen("https://0.0.0.0:9443", &tls, host, sizeof host, &port,
	                     &lo, err, sizeof err),
	    0);
	assert_false(lo);
	static const char *const bad[] = { "tcp://127.0.0.1:9443", "https://127.0.0.1",
		"https://127.0.0.1:0", "https://127.0.0.1:65536", "https://localhost:9443",
		"https://127.0.0.1:09443", "https://[::1:9443", "https://:9443",
		"https://127.0.0.1:9443/path", "ftp://127.0.0.1:21", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(config_taxii_listen(bad[i], &tls, host, sizeof host, &port, &lo,
		                     err, sizeof err),
		    -1);
}

/* The [taxii] rules of socmesh.conf: http:// needs plain_http and loopback,
 * https:// needs cert and key. */
static void
test_config_rules(void **state)
{
	struct config c;
	char err[512], buf[1024];
	static const struct {
		const char *taxii;
		int rc;
		const char *want;
	} cases[] = {
		{ "", 0, NULL },
		{ "listen =\n", 0, NULL },
		{ "listen = https://127.0.0.1:9443\ncert = c.pem\nkey = k.pem\n", 0, NULL },
		{ "listen = https://0.0.0.0:9443\ncert = c.pem\nkey = k.pem\n", 0, NULL },
		{ "listen = https://127.0.0.1:9443\n", -1, "needs cert and key" },
		{ "listen = http://127.0.0.1:9443\n", -1, "plain_http = yes" },
		{ "listen = http://127.0.0.1:9443\nplain_http = yes\n", 0, NULL },
		{ "listen = http://[::1]:9443\nplain_http = yes\n", 0, NULL },
		{ "listen = http://192.0.2.1:9443\nplain_http = yes\n", -1, "loopback" },
		{ "listen = http://0.0.0.0:9443\nplain_http = yes\n", -1, "loopback" },
		{ "plain_http = maybe\n", -1, "bad value 'maybe' for plain_http" },
		{ "listen = tcp://127.0.0.1:1\n", -1, "bad value" },
		{ "bogus = 1\n", -1, "unknown key 'bogus' in [taxii]" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(buf, sizeof buf,
		    "[node]\nname = a\nlisten = tcp://127.0.0.1:7000\n[taxii]\n%s", cases[i].taxii);
		int rc = config_parse(&c, buf, strlen(buf), "conf", err, sizeof err);
		if (rc != cases[i].rc)
			fail_msg("%s: %d (%s)", cases[i].taxii, rc, err);
		if (cases[i].want != NULL && strstr(err, cases[i].want) == NULL)
			fail_msg("%s: %s", cases[i].taxii, err);
	}
	/* What config_write() writes reads back. */
	snprintf(buf, sizeof buf,
	    "[node]\nname = a\nlisten = tcp://127.0.0.1:7000\n[taxii]\nlisten = "
	    "http://127.0.0.1:9443\nplain_http = yes\n");
	assert_int_equal(config_parse(&c, buf, strlen(buf), "conf", err, sizeof err), 0);
	assert_true(c.taxii_plain_http);
	assert_string_equal(c.taxii_listen, "http://127.0.0.1:9443");
	assert_int_equal(config_check(&c, err, sizeof err), 0);
	snprintf(c.taxii_listen, sizeof c.taxii_listen, "http://10.1.1.1:9443");
	assert_int_equal(config_check(&c, err, sizeof err), -1);
}

static int
s_param(struct taxii_query *q, const char *k, const char *v)
{
	char err[256];
	return taxii_query_param(q, k, v, err, sizeof err);
}

static void
test_query(void **state)
{
	struct taxii_query q;
	char next[48];

	(void)state;
	taxii_query_init(&q);
	assert_int_equal(q.limit, TAXII_LIMIT);
	assert_int_equal(s_param(&q, "limit", "10"), 0);
	assert_int_equal(q.limit, 10);
	assert_int_equal(s_param(&q, "limit", "999999"), 0);
	assert_int_equal(q.limit, TAXII_LIMIT_MAX);
	assert_int_equal(s_param(&q, "limit", "0"), -1);
	assert_int_equal(s_param(&q, "limit", "-1"), -1);
	assert_int_equal(s_param(&q, "limit", "ten"), -1);
	assert_int_equal(s_param(&q, "added_after", "2026-12-01T10:00:00.123Z"), 0);
	assert_true(q.has_added_after);
	assert_int_equal(q.added_after, 1796119200123ull);
	assert_int_equal(s_param(&q, "added_after", "2026-12-01T10:00:00Z"), -1); /* twice */
	taxii_query_free(&q);
	assert_int_equal(s_param(&q, "added_after", "7d"), -1);
	assert_int_equal(s_param(&q, "added_after", "2026-12-01"), -1);
	assert_int_equal(s_param(&q, "added_after", ""), -1);

	taxii_next_format(next, 123456, 7);
	assert_string_equal(next, "123456-7");
	assert_int_equal(s_param(&q, "next", next), 0);
	assert_true(q.has_next);
	assert_int_equal(q.next_after, 123456);
	assert_int_equal(q.next_skip, 7);
	taxii_query_free(&q);
	static const char *const bad_next[] = { "", "-", "1-", "-1", "1-2-3", "x-1", "1-x",
		"99999999999999999999-1", "1-9999999999" };
	for (size_t i = 0; i < sizeof bad_next / sizeof bad_next[0]; i++) {
		assert_int_equal(s_param(&q, "next", bad_next[i]), -1);
		taxii_query_free(&q);
	}

	assert_int_equal(s_param(&q, "match[type]", "indicator,report"), 0);
	assert_int_equal(s_param(&q, "match[id]",
	                     "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
	    0);
	assert_true(
	    taxii_query_match(&q, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator"));
	assert_false(
	    taxii_query_match(&q, "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator"));
	assert_false(taxii_query_match(&q, "note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "note"));
	assert_int_equal(s_param(&q, "match[type]", "Indicator"), -1);
	assert_int_equal(s_param(&q, "match[type]", "a,,b"), -1);
	assert_int_equal(s_param(&q, "match[id]", "indicator--short"), -1);
	assert_int_equal(s_param(&q, "match[id]", "no-uuid"), -1);
	taxii_query_free(&q);

	assert_int_equal(s_param(&q, "match[version]", "first,all"), 0);
	assert_int_equal(q.versions, TAXII_V_FIRST | TAXII_V_ALL);
	assert_int_equal(s_param(&q, "match[version]", "2026-12-01T10:00:00.000Z"), 0);
	assert_int_equal(json_array_size(q.version_ts), 1);
	assert_int_equal(s_param(&q, "match[version]", "newest"), -1);
	taxii_query_free(&q);

	assert_true(
	    taxii_query_match(&q, "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "report"));
	assert_int_equal(s_param(&q, "match[spec_version]", "2.0"), 0);
	assert_false(
	    taxii_query_match(&q, "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "report"));
	assert_int_equal(s_param(&q, "match[spec_version]", "2.0,2.1"), 0);
	assert_true(
	    taxii_query_match(&q, "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "report"));
	taxii_query_free(&q);

	/* Unknown parameters are ignored; too many values are refused. */
	assert_int_equal(s_param(&q, "match[relationship_type]", "uses"), 0);
	assert_int_equal(s_param(&q, "_", "12345"), 0);
	char many[TAXII_MATCH_MAX * 3 + 8] = "";
	for (int i = 0; i <= TAXII_MATCH_MAX; i++)
		strcat(many, i ? ",ab" : "ab");
	assert_int_equal(s_param(&q, "match[type]", many), -1);
	taxii_query_free(&q);
}

static void
test_accept(void **state)
{
	(void)state;
	assert_true(taxii_accepts(NULL));
	assert_true(taxii_accepts(""));
	assert_true(taxii_accepts("application/taxii+json;version=2.1"));
	assert_true(taxii_accepts("application/taxii+json; version=2.1"));
	assert_true(taxii_accepts("Application/TAXII+JSON;Version=\"2.1\""));
	assert_true(taxii_accepts("application/taxii+json"));
	assert_true(taxii_accepts("text/html, */*;q=0.1"));
	assert_true(taxii_accepts("application/*"));
	assert_true(taxii_accepts("application/json, application/taxii+json;version=2.1;q=0.5"));
	assert_false(taxii_accepts("application/json"));
	assert_false(taxii_accepts("application/taxii+json;version=2.0"));
	assert_false(taxii_accepts("application/taxii+json;version=2.1;q=0"));
	assert_false(taxii_accepts("*/*;q=0.000"));
	assert_false(taxii_accepts("application/stix+json;version=2.1"));
	assert_false(taxii_accepts("text/*"));

	assert_true(taxii_content_type_ok("application/taxii+json;version=2.1"));
	assert_true(taxii_content_type_ok("application/taxii+json ; version=2.1"));
	assert_true(taxii_content_type_ok("application/taxii+json"));
	assert_false(taxii_content_type_ok(NULL));
	assert_false(taxii_content_type_ok("application/json"));
	assert_false(taxii_content_type_ok("*/*"));
	assert_false(taxii_content_type_ok("application/taxii+json;version=2.0"));
}

static void
test_time(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(taxii_time_parse("2026-12-01T10:00:00Z", &ms), 0);
	assert_int_equal(ms, 1796119200000ull);
	assert_int_equal(taxii_time_parse("2026-12-01T10:00:00.123456Z", &ms), 0);
	assert_int_equal(ms, 1796119200123ull);
	assert_int_equal(taxii_time_parse("2026-12-01T10:00:00+01:00", &ms), -1);
	assert_int_equal(taxii_time_parse("90m", &ms), -1);
	assert_int_equal(taxii_time_parse("2026-12-01", &ms), -1);
}

/* A request to 127.0.0.1:port; the reply's first bytes into buf. */
static void
s_http(unsigned port, const char *req, char *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

/* The server in this process, plain HTTP on loopback, without a daemon:
 * what needs none (authentication, negotiation, routing) and the
 * counters. */
static void
test_server(void **state)
{
	char dir[64], err[512], buf[4096], path[128];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	struct taxii *t = NULL;
	struct config cfg;
	unsigned port;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;
	json_t *st;
	int fd;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, "taxiisrv"), 0);
	if (node_init(dir, "a", "tcp://127.0.0.1:1", err, sizeof err) != 0)
		fail_msg("node_init: %s", err);
	/* A port the kernel gave, free again. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);

	config_defaults(&cfg);
	assert_int_equal(taxii_start(&t, dir, &cfg, err, sizeof err), 0);
	assert_null(t); /* no listen: no server */
	snprintf(cfg.taxii_listen, sizeof cfg.taxii_listen, "http://127.0.0.1:%u", port);
	cfg.taxii_plain_http = true;
	if (taxii_start(&t, dir, &cfg, err, sizeof err) != 0)
		fail_msg("taxii_start: %s", err);
	assert_non_null(t);

	s_http(port, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf,
	    sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 401"));
	assert_non_null(strstr(buf, "WWW-Authenticate: Basic realm="));
	assert_non_null(strstr(buf, "Content-Type: application/taxii+json;version=2.1"));
	assert_non_null(strstr(buf, "\"http_status\":\"401\""));

	/* A user, read when the file appears. */
	struct taxii_users u = { 0 };
	struct taxii_user user = { .name = "r", .max_tlp = MSG_TLP_GREEN };
	assert_int_equal(crypto_pwhash_str(user.hash, "pw", 2, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                     crypto_pwhash_MEMLIMIT_INTERACTIVE),
	    0);
	assert_int_equal(taxii_users_add(&u, &user), 0);
	snprintf(path, sizeof path, "%s/%s", dir, TAXII_USERS_FILE);
	assert_int_equal(taxii_users_write(&u, path, err, sizeof err), 0);
	taxii_users_free(&u);
	/* r:pw */
	s_http(port,
	    "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cjpwdw==\r\n"
	    "Accept: application/json\r\nConnection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 406"));
	s_http(port,
	    "GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Basic cjpwdw==\r\n"
	    "Accept: application/taxii+json;version=2.1\r\nConnection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "\"api_roots\":[\"http://127.0.0.1:9/socmesh/\"]"));
	s_http(port,
	    "GET /socmesh/collections/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cjpwdw==\r\n"
	    "Connection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "TLP:GREEN"));
	assert_null(strstr(buf, "TLP:AMBER"));
	s_http(port,
	    "GET /socmesh/collections/b11fae7f-dde3-55f6-96cf-b025409d10a8/ HTTP/1.1\r\n"
	    "Host: x\r\nAuthorization: Basic cjpwdw==\r\nConnection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 404")); /* AMBER: not this user's */
	s_http(port,
	    "POST /socmesh/collections/5ef9d7d4-e869-572e-8ac6-2a9f12f927f7/objects/ HTTP/1.1\r\n"
	    "Host: x\r\nAuthorization: Basic cjpwdw==\r\nContent-Type: "
	    "application/taxii+json;version=2.1\r\nContent-Length: 999999999\r\n"
	    "Connection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 413"));
	s_http(port,
	    "GET /socmesh/nothing/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cjpwdw==\r\n"
	    "Connection: close\r\n\r\n",
	    buf, sizeof buf);
	assert_non_null(strstr(buf, "HTTP/1.1 404"));

	st = taxii_stats(t);
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(st, "users")), 1);
	f = open_memstream(&text, &tlen);
	taxii_prometheus(st, f);
	fclose(f);
	assert_non_null(strstr(text,
	    "socmesh_taxii_requests_total{endpoint=\"discovery\",status=\"401\"} 1\n"));
	assert_non_null(strstr(text,
	    "socmesh_taxii_requests_total{endpoint=\"discovery\",status=\"406\"} 1\n"));
	assert_non_null(strstr(text,
	    "socmesh_taxii_requests_total{endpoint=\"collection\",status=\"404\"} 1\n"));
	assert_non_null(
	    strstr(text, "socmesh_taxii_requests_total{endpoint=\"post\",status=\"413\"} 1\n"));
	assert_non_null(strstr(text, "socmesh_taxii_users 1\n"));
	free(text);
	json_decref(st);
	taxii_stop(&t);
	assert_null(t);
	taxii_stop(&t);
	tu_rmrf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_users_parse),
		cmocka_unit_test(test_users_file),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_config_rules),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_server),
	};
	if (sodium_init() < 0)
		return 1;
	log_init("test_taxii", 0, LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
