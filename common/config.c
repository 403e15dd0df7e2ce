#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "util.h"

enum s_type {
	T_NAME,
	T_LISTEN,
	T_PATH,
	T_SIZE,
	T_RETENTION,
	T_LEVEL,
	T_U32,
	T_DURATION,
	T_URL,
	T_BOOL
};

/* Every key: its place, its type and range, and the comment config_write()
 * puts above it.  The order is the file's order. */
static const struct s_key {
	const char *section, *key;
	enum s_type type;
	size_t off;
	uint64_t min, max;
	const char *help;
} s_keys[] = {
	{ "node", "name", T_NAME, offsetof(struct config, name), 0, 0,
	    "This node's name, shown to peers and in logs: 1-63 of A-Z a-z 0-9 . _ -" },
	{ "node", "listen", T_LISTEN, offsetof(struct config, listen), 0, 0,
	    "Endpoint the node binds for its peers: tcp://HOST:PORT, HOST an IPv4\n"
	    "# address, [IPv6 address], host name or * (every interface)" },
	{ "node", "data_dir", T_PATH, offsetof(struct config, data_dir), 0, 0,
	    "Directory that holds the message store (store/); empty means the node\n"
	    "# directory, a relative path is relative to it" },
	{ "node", "warninglists", T_PATH, offsetof(struct config, warninglists), 0, 0,
	    "Folder of MISP warning lists (*.json): benign indicators that never link\n"
	    "# cases; empty means /usr/share/socmesh/warninglists, a relative path is\n"
	    "# relative to the node directory" },
	{ "node", "store_size", T_SIZE, offsetof(struct config, store_size), 1024 * 1024,
	    UINT64_MAX,
	    "Maximum size of the message store: K, M, G, T are powers of 1024; at least 1M" },
	{ "node", "retention", T_RETENTION, offsetof(struct config, retention_ms), 0, UINT64_MAX,
	    "How long messages are kept: ms, s, m, h, d, w; forever (or 0) keeps them" },
	{ "node", "log_level", T_LEVEL, offsetof(struct config, log_level), 0, 3,
	    "error, warn, info or debug" },
	{ "limits", "max_message", T_SIZE, offsetof(struct config, max_message), 1024,
	    MSG_MAX_SIZE_DEFAULT,
	    "Largest message accepted or published: 1K to 256K (the protocol's limit)" },
	{ "limits", "peer_rate", T_U32, offsetof(struct config, peer_rate), 1, 1000000,
	    "Frames (messages and requests) per second accepted from one peer: 1 to 1000000" },
	{ "limits", "peer_burst", T_U32, offsetof(struct config, peer_burst), 1, 10000000,
	    "Frames one peer may send in a burst (token-bucket size): 1 to 10000000" },
	{ "limits", "peer_queue", T_U32, offsetof(struct config, peer_queue), 1, 10000000,
	    "Most frames queued on one connection to a peer: 1 to 10000000" },
	{ "limits", "peer_window", T_SIZE, offsetof(struct config, peer_window), 64 * 1024,
	    1024 * 1024 * 1024,
	    "Most bytes sent to one peer (all its connections) before it proves it read\n"
	    "# them: 64K to 1G" },
	{ "limits", "peer_send_rate", T_SIZE, offsetof(struct config, peer_send_rate), 64 * 1024,
	    16ull << 30, "Most bytes per second sent to one peer: 64K to 16G" },
	{ "gossip", "sync_interval", T_DURATION, offsetof(struct config, sync_interval_ms), 1000,
	    24ull * 3600 * 1000, "Period of anti-entropy with each connected peer: 1s to 1d" },
	{ "gossip", "dial_max", T_U32, offsetof(struct config, dial_max), 1, 4096,
	    "Peers of the roster in force this node dials (local entries with an endpoint\n"
	    "# are dialled besides): 1 to 4096" },
	{ "gossip", "beacon_interval", T_DURATION, offsetof(struct config, beacon_interval_ms),
	    1000, 3600 * 1000,
	    "Period of this node's status beacon (socmesh network); it takes a restart: 1s\n"
	    "# to 1h" },
	{ "taxii", "listen", T_URL, offsetof(struct config, taxii_listen), 0, 0,
	    "TAXII 2.1 server (socmesh taxii user add makes its users): empty for none,\n"
	    "# https://HOST:PORT or http://HOST:PORT, HOST an IPv4 address or [IPv6 address]" },
	{ "taxii", "cert", T_PATH, offsetof(struct config, taxii_cert), 0, 0,
	    "The server's certificate chain (PEM) for https; relative to the node directory" },
	{ "taxii", "key", T_PATH, offsetof(struct config, taxii_key), 0, 0,
	    "Its private key (PEM, unencrypted); relative to the node directory" },
	{ "taxii", "plain_http", T_BOOL, offsetof(struct config, taxii_plain_http), 0, 1,
	    "yes allows an http:// listen, on a loopback address only (127.0.0.0/8, [::1])" },
};
#define NKEYS (sizeof s_keys / sizeof s_keys[0])

static const char *const s_sections[] = { "node", "limits", "gossip", "taxii" };
#define NSECTIONS (sizeof s_sections / sizeof s_sections[0])

static const char *const s_levels[] = { "error", "warn", "info", "debug" };

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->store_size = 16ull << 30;
	c->retention_ms = 365ull * 24 * 3600 * 1000;
	c->log_level = LOG_LEVEL_INFO;
	c->max_message = 256 * 1024;
	c->peer_rate = 1000;
	c->peer_burst = 5000;
	c->peer_queue = 10000;
	c->peer_window = 4 * 1024 * 1024;
	c->peer_send_rate = 64 * 1024 * 1024;
	c->sync_interval_ms = 60 * 1000;
	c->dial_max = 8;
	c->beacon_interval_ms = 60 * 1000;
}

bool
config_valid_name(const char *s)
{
	size_t n = strnlen(s, CONFIG_NAME_MAX + 1);

	if (n == 0 || n > CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool
s_valid_hostname(const char *h)
{
	size_t n = strlen(h), label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = h[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)c) || (c == '-' && label > 0))
			label++;
		else
			return false;
	}
	return true;
}

bool
config_valid_endpoint(const char *s, bool wildcard)
{
	char host[CONFIG_ENDPOINT_MAX + 1];
	const char *h, *colon, *port;
	size_t hlen, plen;
	unsigned char addr[16];
	unsigned long pv;

	if (strnlen(s, CONFIG_ENDPOINT_MAX + 1) > CONFIG_ENDPOINT_MAX ||
	    strncmp(s, "tcp://", 6) != 0)
		return false;
	h = s + 6;
	if ((colon = strrchr(h, ':')) == NULL)
		return false;
	port = colon + 1;
	plen = strlen(port);
	if (plen == 0 || plen > 5 || port[0] == '0' || strspn(port, "0123456789") != plen)
		return false;
	pv = strtoul(port, NULL, 10);
	if (pv < 1 || pv > 65535)
		return false;
	hlen = (size_t)(colon - h);
	if (hlen == 0)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return false;
		host[hlen - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, addr) == 1;
	}
	if (strcmp(host, "*") == 0)
		return wildcard;
	if (strspn(host, "0123456789.") == hlen)
		return inet_pton(AF_INET, host, addr) == 1;
	return s_valid_hostname(host);
}

/* A path that the file can hold: inih strips blanks around a value and
 * takes " ;" as the start of a comment. */
static bool
s_valid_path(const char *s)
{
	size_t n = strnlen(s, CONFIG_DATA_DIR_MAX + 1);

	if (n > CONFIG_DATA_DIR_MAX)
		return false;
	if (n > 0 && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1])))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (iscntrl((unsigned char)s[i]))
			return false;
		if (s[i] == ';' && i > 0 && isspace((unsigned char)s[i - 1]))
			return false;
	}
	return true;
}

static void
s_expected(const struct s_key *k, char *buf, size_t n)
{
	char lo[FORMAT_BUFSZ], hi[FORMAT_BUFSZ];

	switch (k->type) {
	case T_NAME:
		snprintf(buf, n, "1-%d characters of A-Z a-z 0-9 . _ -", CONFIG_NAME_MAX);
		break;
	case T_LISTEN:
		snprintf(buf, n,
		    "tcp://HOST:PORT with HOST an IPv4 address, [IPv6 address], "
		    "host name or *, and PORT 1-65535");
		break;
	case T_PATH:
		snprintf(buf, n,
		    "a path of at most %d characters, without control characters "
		    "or \" ;\"",
		    CONFIG_DATA_DIR_MAX);
		break;
	case T_SIZE:
		format_size(lo, k->min);
		format_size(hi, k->max);
		if (k->max == UINT64_MAX)
			snprintf(buf, n, "a size of at least %s, such as 16G", lo);
		else
			snprintf(buf, n, "a size from %s to %s, such as 256K", lo, hi);
		break;
	case T_RETENTION:
		snprintf(buf, n, "a duration such as 365d, or forever");
		break;
	case T_LEVEL:
		snprintf(buf, n, "error, warn, info or debug");
		break;
	case T_U32:
		snprintf(buf, n, "an integer from %llu to %llu", (unsigned long long)k->min,
		    (unsigned long long)k->max);
		break;
	case T_DURATION:
		format_duration(lo, k->min);
		format_duration(hi, k->max);
		snprintf(buf, n, "a duration from %s to %s, such as 60s", lo, hi);
		break;
	case T_URL:
		snprintf(buf, n,
		    "empty, or https://HOST:PORT or http://HOST:PORT with HOST an IPv4 "
		    "address or [IPv6 address], and PORT 1-65535");
		break;
	case T_BOOL:
		snprintf(buf, n, "yes or no");
		break;
	}
}

/* Parse the text of key k into its field of c.  -1 when the value is not
 * of the key's type or out of its range. */
static int
s_parse(struct config *c, const struct s_key *k, const char *v)
{
	char *field = (char *)c + k->off;
	uint64_t x;
	int lvl;

	switch (k->type) {
	case T_NAME:
		if (!config_valid_name(v))
			return -1;
		break;
	case T_LISTEN:
		if (!config_valid_endpoint(v, true))
			return -1;
		break;
	case T_PATH:
		if (!s_valid_path(v))
			return -1;
		break;
	case T_SIZE:
		if (parse_size(v, &x) != 0 || x < k->min || x > k->max)
			return -1;
		memcpy(field, &x, sizeof x);
		return 0;
	case T_RETENTION:
		if (strcmp(v, "forever") == 0)
			x = 0;
		else if (parse_duration(v, &x) != 0)
			return -1;
		memcpy(field, &x, sizeof x);
		return 0;
	case T_LEVEL:
		if ((lvl = log_level_parse(v)) < 0)
			return -1;
		memcpy(field, &lvl, sizeof lvl);
		return 0;
	case T_U32: {
		uint32_t u;
		if (parse_uint(v, &x) != 0 || x < k->min || x > k->max)
			return -1;
		u = (uint32_t)x;
		memcpy(field, &u, sizeof u);
		return 0;
	}
	case T_DURATION:
		if (parse_duration(v, &x) != 0 || x < k->min || x > k->max)
			return -1;
		memcpy(field, &x, sizeof x);
		return 0;
	case T_URL: {
		char host[CONFIG_ENDPOINT_MAX + 1], e[8];
		unsigned port;
		bool tls, lo;
		if (strlen(v) > CONFIG_ENDPOINT_MAX ||
		    (*v != '\0' &&
		        config_taxii_listen(v, &tls, host, sizeof host, &port, &lo, e, sizeof e) !=
		            0))
			return -1;
		break;
	}
	case T_BOOL: {
		bool b;
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			b = true;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			b = false;
		else
			return -1;
		memcpy(field, &b, sizeof b);
		return 0;
	}
	}
	/* The four string types: the field is big enough for any valid value. */
	strcpy(field, v);
	return 0;
}

/* The text of key k's value in c, as config_write() puts it in the file. */
static void
s_format(const struct config *c, const struct s_key *k, char *buf, size_t n)
{
	const char *field = (const char *)c + k->off;
	uint64_t x;
	uint32_t u;
	int lvl;

	switch (k->type) {
	case T_NAME:
	case T_LISTEN:
	case T_PATH:
	case T_URL:
		snprintf(buf, n, "%.*s", (int)(n - 1), field);
		return;
	case T_BOOL: {
		bool b;
		memcpy(&b, field, sizeof b);
		snprintf(buf, n, "%s", b ? "yes" : "no");
		return;
	}
	case T_SIZE:
		memcpy(&x, field, sizeof x);
		format_size(buf, x);
		return;
	case T_RETENTION:
		memcpy(&x, field, sizeof x);
		if (x == 0)
			snprintf(buf, n, "forever");
		else
			format_duration(buf, x);
		return;
	case T_LEVEL:
		memcpy(&lvl, field, sizeof lvl);
		snprintf(buf, n, "%s", lvl >= 0 && lvl <= 3 ? s_levels[lvl] : "?");
		return;
	case T_U32:
		memcpy(&u, field, sizeof u);
		snprintf(buf, n, "%u", (unsigned)u);
		return;
	case T_DURATION:
		memcpy(&x, field, sizeof x);
		format_duration(buf, x);
		return;
	}
}

/* ---- [taxii] ------------------------------------------------------------ */

int
config_taxii_listen(const char *s, bool *tls, char *host, size_t hostlen, unsigned *port,
    bool *loopback, char *err, size_t errlen)
{
	const char *h, *colon, *p;
	char buf[CONFIG_ENDPOINT_MAX + 1], *end;
	unsigned char addr[16];
	unsigned long pv;
	size_t hlen, plen;
	bool v6;

	if (strnlen(s, CONFIG_ENDPOINT_MAX + 1) > CONFIG_ENDPOINT_MAX)
		return errf(err, errlen, "TAXII listen URL longer than %d characters",
		    CONFIG_ENDPOINT_MAX);
	if (strncmp(s, "https://", 8) == 0) {
		*tls = true;
		h = s + 8;
	} else if (strncmp(s, "http://", 7) == 0) {
		*tls = false;
		h = s + 7;
	} else
		return errf(err, errlen,
		    "TAXII listen '%s' is not https://HOST:PORT or http://HOST:PORT", s);
	snprintf(buf, sizeof buf, "%s", h);
	plen = strlen(buf);
	if (plen > 0 && buf[plen - 1] == '/')
		buf[--plen] = '\0';
	if ((colon = strrchr(buf, ':')) == NULL || colon == buf)
		return errf(err, errlen, "TAXII listen '%s' has no HOST:PORT", s);
	p = colon + 1;
	plen = strlen(p);
	errno = 0;
	pv = strtoul(p, &end, 10);
	if (plen == 0 || plen > 5 || p[0] == '0' || strspn(p, "0123456789") != plen ||
	    *end != '\0' || pv < 1 || pv > 65535)
		return errf(err, errlen, "TAXII listen '%s': the port is not 1-65535", s);
	hlen = (size_t)(colon - buf);
	v6 = buf[0] == '[';
	if (v6) {
		if (hlen < 3 || buf[hlen - 1] != ']')
			return errf(err, errlen, "TAXII listen '%s': bad [IPv6 address]", s);
		buf[hlen - 1] = '\0';
		h = buf + 1;
	} else {
		buf[hlen] = '\0';
		h = buf;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, h, addr) != 1)
		return errf(err, errlen, "TAXII listen '%s': '%s' is not an %s address", s, h,
		    v6 ? "IPv6" : "IPv4 (or [IPv6])");
	if (strlen(h) >= hostlen)
		return errf(err, errlen, "TAXII listen '%s': host too long", s);
	strcpy(host, h);
	*port = (unsigned)pv;
	*loopback = v6 ? memcmp(addr, in6addr_loopback.s6_addr, 16) == 0 : addr[0] == 127;
	return 0;
}

/* http:// needs plain_http and a loopback address; https:// needs cert
 * and key.  0, or -1 with the line in err. */
static int
s_check_taxii(const struct config *c, char *err, size_t errlen)
{
	char host[CONFIG_ENDPOINT_MAX + 1];
	unsigned port;
	bool tls, lo;

	if (c->taxii_listen[0] == '\0')
		return 0;
	if (config_taxii_listen(c->taxii_listen, &tls, host, sizeof host, &port, &lo, err,
	        errlen) != 0)
		return -1;
	if (!tls && !c->taxii_plain_http)
		return errf(err, errlen,
		    "[taxii] listen %s is plain HTTP: set plain_http = yes (loopback only) or "
		    "use https://",
		    c->taxii_listen);
	if (!tls && !lo)
		return errf(err, errlen,
		    "[taxii] listen %s: plain HTTP is allowed on a loopback address only "
		    "(127.0.0.0/8, [::1]); use https://",
		    c->taxii_listen);
	if (tls && (c->taxii_cert[0] == '\0' || c->taxii_key[0] == '\0'))
		return errf(err, errlen, "[taxii] listen %s needs cert and key (PEM files)",
		    c->taxii_listen);
	return 0;
}

/* ---- loading ---------------------------------------------------------- */

struct s_load {
	struct config *c;
	unsigned seen_keys;     /* bit i: s_keys[i] */
	unsigned seen_sections; /* bit i: s_sections[i] */
};

static int
s_on_section(void *user, const char *name, char *err, size_t errlen)
{
	struct s_load *l = user;

	for (size_t i = 0; i < NSECTIONS; i++) {
		if (strcmp(name, s_sections[i]) != 0)
			continue;
		if (l->seen_sections & (1u << i)) {
			snprintf(err, errlen, "section [%s] appears twice", name);
			return -1;
		}
		l->seen_sections |= 1u << i;
		return 0;
	}
	snprintf(err, errlen, "unknown section [%s]", name);
	return -1;
}

static int
s_on_key(void *user, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct s_load *l = user;
	char expected[256];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct s_key *k = &s_keys[i];
		if (strcmp(k->section, section) != 0 || strcmp(k->key, key) != 0)
			continue;
		if (l->seen_keys & (1u << i)) {
			snprintf(err, errlen, "duplicate key '%s' in [%s]", key, section);
			return -1;
		}
		l->seen_keys |= 1u << i;
		if (s_parse(l->c, k, value) != 0) {
			s_expected(k, expected, sizeof expected);
			snprintf(err, errlen, "bad value '%s' for %s: expected %s", value, key,
			    expected);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
	return -1;
}

int
config_parse(struct config *c, const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
	static const struct inifile_ops ops = { s_on_section, s_on_key, NULL };
	struct s_load l = { c, 0, 0 };
	char msg[512];

	config_defaults(c);
	if (len > CONFIG_MAX_FILE)
		return errf(err, errlen, "%s: %s", name, strerror(EFBIG));
	if (inifile_parse_buf(buf, len, name, &ops, &l, err, errlen) != 0)
		return -1;
	/* The required keys are the first ones of [node]. */
	for (size_t i = 0; i < 2; i++) {
		if (!(l.seen_keys & (1u << i)))
			return errf(err, errlen, "%s: missing key '%s' in [%s]", name,
			    s_keys[i].key, s_keys[i].section);
	}
	if (s_check_taxii(c, msg, sizeof msg) != 0)
		return errf(err, errlen, "%s: %s", name, msg);
	return 0;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	config_defaults(c); /* even when the file cannot be read, as always */
	if (file_read_all(path, CONFIG_MAX_FILE, &buf, &len) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	rc = config_parse(c, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

/* ---- checking and writing --------------------------------------------- */

int
config_check(const struct config *c, char *err, size_t errlen)
{
	char text[CONFIG_DATA_DIR_MAX + 2], expected[256];
	struct config back;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct s_key *k = &s_keys[i];
		const char *field = (const char *)c + k->off;

		/* Strings must end inside their field and fit a line. */
		size_t size = k->type == T_NAME ? sizeof c->name
		    : k->type == T_LISTEN       ? sizeof c->listen
		    : k->type == T_URL          ? sizeof c->taxii_listen
		    : k->type == T_PATH         ? sizeof c->data_dir
		                                : 0;
		if (size != 0 &&
		    strnlen(field, size) >= (size < sizeof text ? size : sizeof text)) {
			snprintf(err, errlen, "%s: value too long", k->key);
			return -1;
		}
		if (k->type == T_NAME || k->type == T_LISTEN) {
			if (*field == '\0') {
				snprintf(err, errlen, "%s: missing (required)", k->key);
				return -1;
			}
		}
		/* A value is valid when its text reads back as itself. */
		s_format(c, k, text, sizeof text);
		memset(&back, 0, sizeof back);
		if (s_parse(&back, k, text) != 0 ||
		    (size == 0 &&
		        memcmp((const char *)&back + k->off, field,
		            k->type == T_U32         ? sizeof(uint32_t)
		                : k->type == T_LEVEL ? sizeof(int)
		                : k->type == T_BOOL  ? sizeof(bool)
		                                     : sizeof(uint64_t)) != 0)) {
			s_expected(k, expected, sizeof expected);
			snprintf(err, errlen, "%s: bad value '%s': expected %s", k->key, text,
			    expected);
			return -1;
		}
	}
	return s_check_taxii(c, err, errlen);
}

int
config_write(const struct config *c, const char *path, char *err, size_t errlen)
{
	char value[CONFIG_DATA_DIR_MAX + 2];
	const char *section = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (config_check(c, err, errlen) != 0)
		return -1;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f,
	    "# socmesh node configuration; docs/CONFIG.md describes every key.\n"
	    "# Written by socmesh: a rewrite keeps the values, not other comments.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct s_key *k = &s_keys[i];
		if (section == NULL || strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		s_format(c, k, value, sizeof value);
		fprintf(f, "# %s\n%s =%s%s\n", k->help, k->key, *value ? " " : "", value);
	}
	return file_write_memstream(path, f, &buf, &len, 0640, err, errlen);
}
