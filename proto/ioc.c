#include "ioc.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char *const s_names[IOC_TYPE_COUNT] = {
	"ipv4",
	"ipv6",
	"cidr",
	"domain",
	"url",
	"email",
	"md5",
	"sha1",
	"sha256",
	"filename",
	"cve",
	"asn",
	"ja3",
};

const char *
ioc_type_name(enum ioc_type t)
{
	return (unsigned)t < IOC_TYPE_COUNT ? s_names[t] : "?";
}

int
ioc_type_parse(const char *s, size_t n)
{
	for (int i = 0; i < IOC_TYPE_COUNT; i++)
		if (strlen(s_names[i]) == n && memcmp(s, s_names[i], n) == 0)
			return i;
	return -1;
}

static char
s_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int
s_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static int
s_isalnum(char c)
{
	c = s_lower(c);
	return s_isdigit(c) || (c >= 'a' && c <= 'z');
}

/* Copies n bytes into a NUL-terminated scratch buffer for the libc
 * parsers; -1 when it does not fit or holds a NUL. */
static int
s_cstr(char *dst, size_t cap, const char *in, size_t n)
{
	if (n >= cap || memchr(in, '\0', n) != NULL)
		return -1;
	memcpy(dst, in, n);
	dst[n] = '\0';
	return 0;
}

/* inet_pton accepts only the strict dotted quad / RFC 4291 text, and
 * inet_ntop prints RFC 5952's form (lower case, longest zero run). */
static int
s_addr(int af, const char *in, size_t n, char *out, size_t cap, unsigned char *bin)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	if (s_cstr(tmp, sizeof tmp, in, n) == -1 || inet_pton(af, tmp, bin) != 1)
		return -1;
	if (inet_ntop(af, bin, out, (socklen_t)cap) == NULL)
		return -1;
	return (int)strlen(out);
}

static int
s_cidr(const char *in, size_t n, char *out, size_t cap)
{
	const char *slash = memchr(in, '/', n);
	unsigned char bin[16];
	size_t plen = 0;
	int af, max, len;

	if (slash == NULL || slash + 1 == in + n || (size_t)(in + n - slash - 1) > 3)
		return -1;
	for (const char *p = slash + 1; p < in + n; p++) {
		if (!s_isdigit(*p) || (p == slash + 1 && *p == '0' && p + 1 < in + n))
			return -1;
		plen = plen * 10 + (size_t)(*p - '0');
	}
	af = memchr(in, ':', (size_t)(slash - in)) ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	if (plen > (size_t)max || cap < INET6_ADDRSTRLEN + 5)
		return -1;
	if (s_addr(af, in, (size_t)(slash - in), out, cap, bin) == -1)
		return -1;
	/* Host bits are cleared so that 10.1.2.3/8 and 10.0.0.0/8 match. */
	for (int i = 0; i < max / 8; i++) {
		int keep = (int)plen - i * 8;
		bin[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	if (inet_ntop(af, bin, out, (socklen_t)cap) == NULL)
		return -1;
	len = (int)strlen(out);
	return len + snprintf(out + len, cap - (size_t)len, "/%zu", plen);
}

/* Host names: ASCII labels of letters, digits, '-' and '_' (seen in real
 * DNS names), 1-63 bytes, 253 in all, one trailing dot dropped.
 * Internationalized names are given in their xn-- form. */
static int
s_domain(const char *in, size_t n, char *out, size_t cap)
{
	size_t label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s_lower(in[i]);
		if (c == '.') {
			if (label == 0 || in[i - 1] == '-')
				return -1;
			label = 0;
		} else if (s_isalnum(c) || c == '_' || (c == '-' && label > 0)) {
			if (++label > 63)
				return -1;
		} else
			return -1;
		out[i] = c;
	}
	if (label == 0 || in[n - 1] == '-')
		return -1;
	out[n] = '\0';
	return (int)n;
}

static int
s_hex(const char *in, size_t n, size_t want, char *out, size_t cap)
{
	if (n != want || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s_lower(in[i]);
		if (!s_isdigit(c) && !(c >= 'a' && c <= 'f'))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return (int)n;
}

/* Printable ASCII without spaces: what URLs and e-mail local parts carry
 * once percent-encoded. */
static int
s_printable(const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in[i] <= ' ' || in[i] > '~')
			return 0;
	return 1;
}

/* scheme://authority/rest: the scheme and the host are lower-cased, the
 * rest is kept as given (paths are case-sensitive). */
static int
s_url(const char *in, size_t n, char *out, size_t cap)
{
	size_t i = 0, host, end;

	if (n > IOC_MAX_VALUE || n >= cap || !s_printable(in, n))
		return -1;
	if (n == 0 || !s_isalnum(in[0]) || s_isdigit(in[0]))
		return -1;
	while (i < n && (s_isalnum(in[i]) || in[i] == '+' || in[i] == '-' || in[i] == '.'))
		i++;
	if (i + 3 > n || memcmp(in + i, "://", 3) != 0)
		return -1;
	host = i + 3;
	for (end = host; end < n && in[end] != '/' && in[end] != '?' && in[end] != '#'; end++)
		if (in[end] == '@')
			host = end + 1;
	if (end == host)
		return -1;
	for (size_t k = 0; k < n; k++)
		out[k] = (k < i || (k >= host && k < end)) ? s_lower(in[k]) : in[k];
	out[n] = '\0';
	return (int)n;
}

static int
s_email(const char *in, size_t n, char *out, size_t cap)
{
	const char *at = memchr(in, '@', n);
	size_t local;
	int d;

	if (at == NULL || n >= cap)
		return -1;
	local = (size_t)(at - in);
	if (local == 0 || local > 64 || !s_printable(in, local) || memchr(in, '@', local) != NULL)
		return -1;
	memcpy(out, in, local);
	out[local] = '@';
	d = s_domain(at + 1, n - local - 1, out + local + 1, cap - local - 1);
	if (d == -1 || memchr(out + local + 1, '.', (size_t)d) == NULL)
		return -1;
	return (int)local + 1 + d;
}

/* A file's name, not a path: text without '/' or '\\', kept as given. */
static int
s_filename(const char *in, size_t n, char *out, size_t cap)
{
	if (n == 0 || n > 255 || n >= cap || !utf8_valid(in, n, 0) || memchr(in, '/', n) != NULL ||
	    memchr(in, '\\', n) != NULL)
		return -1;
	if ((n == 1 && in[0] == '.') || (n == 2 && in[0] == '.' && in[1] == '.'))
		return -1;
	memcpy(out, in, n);
	out[n] = '\0';
	return (int)n;
}

/* CVE-YYYY-NNNN..., upper case. */
static int
s_cve(const char *in, size_t n, char *out, size_t cap)
{
	if (n < 13 || n > 21 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (i < 3) {
			c = (char)(s_lower(c) - 'a' + 'A');
			if (c != "CVE"[i])
				return -1;
		} else if (i == 3 || i == 8) {
			if (c != '-')
				return -1;
		} else if (!s_isdigit(c))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return (int)n;
}

/* AS64496 or 64496 -> "AS64496"; a 32-bit number without leading zeros. */
static int
s_asn(const char *in, size_t n, char *out, size_t cap)
{
	unsigned long long v = 0;

	if (n >= 2 && s_lower(in[0]) == 'a' && s_lower(in[1]) == 's')
		in += 2, n -= 2;
	if (n == 0 || n > 10 || (in[0] == '0' && n > 1) || cap < 13)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!s_isdigit(in[i]))
			return -1;
		v = v * 10 + (unsigned)(in[i] - '0');
	}
	if (v > 4294967295ULL)
		return -1;
	return snprintf(out, cap, "AS%llu", v);
}

int
ioc_normalize(enum ioc_type t, const char *in, size_t n, char *out, size_t cap)
{
	unsigned char bin[16];

	if (in == NULL || out == NULL || cap == 0 || n > IOC_MAX_VALUE)
		return -1;
	switch (t) {
	case IOC_IPV4:
		return cap < INET_ADDRSTRLEN ? -1 : s_addr(AF_INET, in, n, out, cap, bin);
	case IOC_IPV6:
		return cap < INET6_ADDRSTRLEN ? -1 : s_addr(AF_INET6, in, n, out, cap, bin);
	case IOC_CIDR:
		return s_cidr(in, n, out, cap);
	case IOC_DOMAIN:
		return s_domain(in, n, out, cap);
	case IOC_URL:
		return s_url(in, n, out, cap);
	case IOC_EMAIL:
		return s_email(in, n, out, cap);
	case IOC_MD5:
	case IOC_JA3:
		return s_hex(in, n, 32, out, cap);
	case IOC_SHA1:
		return s_hex(in, n, 40, out, cap);
	case IOC_SHA256:
		return s_hex(in, n, 64, out, cap);
	case IOC_FILENAME:
		return s_filename(in, n, out, cap);
	case IOC_CVE:
		return s_cve(in, n, out, cap);
	case IOC_ASN:
		return s_asn(in, n, out, cap);
	}
	return -1;
}

/* ---- inference: the strict forms ----------------------------------- */

static bool
s_isalpha(char c)
{
	c = s_lower(c);
	return c >= 'a' && c <= 'z';
}

/* Digits and dots only: an IPv4 address or nothing. */
static bool
s_digits_dots(const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s_isdigit(in[i]) && in[i] != '.')
			return false;
	return true;
}

/* A host name of two labels or more whose last is letters or xn--. */
static bool
s_strict_domain(const char *in, size_t n)
{
	char out[256];
	int len = s_domain(in, n, out, sizeof out);
	size_t tld;

	if (len < 0)
		return false;
	for (tld = (size_t)len; tld > 0 && out[tld - 1] != '.'; tld--)
		;
	if (tld == 0)
		return false;
	if ((size_t)len - tld > 4 && memcmp(out + tld, "xn--", 4) == 0)
		return true;
	for (size_t i = tld; i < (size_t)len; i++)
		if (!s_isalpha(out[i]))
			return false;
	return true;
}

/* The host of a URL: an address, or a host name (digits and dots being
 * an IPv4 address), then a port of 1 to 5 digits if any. */
static bool
s_strict_host(const char *in, size_t n)
{
	char out[IOC_MAX_VALUE + 1];
	unsigned char bin[16];
	size_t port = n;

	if (n > 0 && in[0] == '[') {
		const char *close = memchr(in, ']', n);
		if (close == NULL)
			return false;
		port = (size_t)(close - in) + 1;
		if (s_addr(AF_INET6, in + 1, port - 2, out, sizeof out, bin) == -1)
			return false;
		if (port == n)
			return true;
		if (in[port] != ':')
			return false;
	} else {
		while (port > 0 && in[port - 1] != ':')
			port--;
		port = port > 0 ? port - 1 : n;
	}
	if (port < n) {
		if (n - port - 1 < 1 || n - port - 1 > 5)
			return false;
		for (size_t i = port + 1; i < n; i++)
			if (!s_isdigit(in[i]))
				return false;
		if (in[0] == '[')
			return true;
	}
	if (s_digits_dots(in, port))
		return s_addr(AF_INET, in, port, out, sizeof out, bin) >= 0;
	return s_domain(in, port, out, sizeof out) >= 0;
}

/* A URL that ioc_normalize() accepts, with a strict host: the authority
 * follows the first "://" (a scheme has no colon) and the host its last
 * '@'. */
static bool
s_strict_url(const char *in, size_t n)
{
	char out[IOC_MAX_VALUE + 1];
	size_t host = 0, end;

	if (s_url(in, n, out, sizeof out) < 0)
		return false;
	while (memcmp(in + host, "://", 3) != 0)
		host++;
	host += 3;
	for (end = host; end < n && in[end] != '/' && in[end] != '?' && in[end] != '#'; end++)
		if (in[end] == '@')
			host = end + 1;
	return s_strict_host(in + host, end - host);
}

static bool
s_strict_email(const char *in, size_t n)
{
	char out[IOC_MAX_VALUE + 1];
	const char *at = memchr(in, '@', n);

	return s_email(in, n, out, sizeof out) >= 0 &&
	    s_strict_domain(at + 1, n - (size_t)(at - in) - 1);
}

int
ioc_infer(const char *in, size_t n)
{
	static const enum ioc_type order[] = {
		IOC_IPV4,
		IOC_IPV6,
		IOC_CIDR,
		IOC_CVE,
		IOC_SHA256,
		IOC_SHA1,
		IOC_MD5,
	};
	char out[IOC_MAX_VALUE + 1];

	if (in == NULL || n > IOC_MAX_VALUE)
		return -1;
	if (n > 2 && s_lower(in[0]) == 'a' && s_lower(in[1]) == 's' &&
	    ioc_normalize(IOC_ASN, in, n, out, sizeof out) >= 0)
		return IOC_ASN;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (ioc_normalize(order[i], in, n, out, sizeof out) >= 0)
			return (int)order[i];
	if (s_strict_url(in, n))
		return IOC_URL;
	if (s_strict_email(in, n))
		return IOC_EMAIL;
	if (s_strict_domain(in, n))
		return IOC_DOMAIN;
	return -1;
}

/* ---- what people write ------------------------------------------------ */

static int
s_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
s_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* How much of a value an error line shows. */
static int
s_shown(size_t n)
{
	return n > 200 ? 200 : (int)n;
}

/* A type name in any case ("SHA256" as "sha256"), or -1. */
static int
s_type(const char *s, size_t n)
{
	char low[16];

	if (n > sizeof low)
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = s_lower(s[i]);
	return ioc_type_parse(low, n);
}

/* Defanged forms: the text and the character it stands for. */
static const struct {
	char from[4];
	char to;
} s_fangs[] = { { "[.]", '.' }, { "(.)", '.' }, { "[:]", ':' }, { "[@]", '@' } };

/* The n bytes at in with the defanged forms undone, into out (cap bytes,
 * NUL-terminated): the length, or -1 when it does not fit.  One pass, left
 * to right; a scheme hxxp or hxxps (any case) before "://" becomes http
 * or https. */
static int
s_refang(const char *in, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		for (size_t f = 0; f < sizeof s_fangs / sizeof s_fangs[0]; f++)
			if (n - i >= 3 && memcmp(in + i, s_fangs[f].from, 3) == 0) {
				c = s_fangs[f].to;
				i += 2;
				break;
			}
		if (k + 1 >= cap)
			return -1;
		out[k++] = c;
	}
	out[k] = '\0';
	if (k >= 7 && s_lower(out[0]) == 'h' && s_lower(out[1]) == 'x' && s_lower(out[2]) == 'x' &&
	    s_lower(out[3]) == 'p') {
		size_t s = s_lower(out[4]) == 's' ? 5 : 4;
		if (k >= s + 3 && memcmp(out + s, "://", 3) == 0)
			out[1] = out[2] = 't';
	}
	return (int)k;
}

int
ioc_parse(const char *type, size_t tlen, const char *in, size_t n, struct ioc_value *v, char *err,
    size_t errlen)
{
	char buf[IOC_MAX_VALUE + 1];
	const char *val = in;
	int t = -1, len = (int)n;

	if (type != NULL && (t = s_type(type, tlen)) < 0)
		return s_err(err, errlen, "unknown type '%.*s'", s_shown(tlen), type);
	if (t != IOC_FILENAME) {
		len = s_refang(in, n, buf, sizeof buf);
		val = buf;
	}
	if (t < 0 && (len < 0 || (t = ioc_infer(val, (size_t)len)) < 0))
		return s_err(err, errlen,
		    "'%.*s' is not a valid indicator of any type (write TYPE:VALUE)", s_shown(n),
		    in);
	if (len < 0 ||
	    (len = ioc_normalize((enum ioc_type)t, val, (size_t)len, v->value, sizeof v->value)) <
	        0)
		return s_err(err, errlen, "'%.*s' is not a valid %s", s_shown(n), in,
		    ioc_type_name((enum ioc_type)t));
	v->type = (enum ioc_type)t;
	v->len = (size_t)len;
	return 0;
}

/* A word that reads like a type name (ioc_parse_text()). */
static bool
s_typelike(const char *s, size_t n)
{
	bool hex = true;

	if (n < 2 || n > 16 || !s_isalpha(s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!s_isalnum(s[i]) && s[i] != '-')
			return false;
		hex = hex && (s_isdigit(s[i]) || (s_lower(s[i]) >= 'a' && s_lower(s[i]) <= 'f'));
	}
	return !hex;
}

int
ioc_parse_text(const char *in, size_t n, struct ioc_value *v, char *err, size_t errlen)
{
	const char *colon = in != NULL ? memchr(in, ':', n) : NULL;
	size_t tlen = colon != NULL ? (size_t)(colon - in) : 0;

	if (colon != NULL && s_typelike(in, tlen)) {
		if (s_type(in, tlen) >= 0)
			return ioc_parse(in, tlen, colon + 1, n - tlen - 1, v, err, errlen);
		if (ioc_normalize(IOC_FILENAME, in, n, v->value, sizeof v->value) >= 0)
			return s_err(err, errlen,
			    "unknown type '%.*s' (a file name with a colon: filename:%.*s)",
			    (int)tlen, in, s_shown(n), in);
	}
	return ioc_parse(NULL, 0, in, n, v, err, errlen);
}
