/*
 * The related-case keys of a message (index_related.h).
 */
#include "index_related.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

/* The registered domain of the host name at p (n bytes, lower case, as
 * normalized): its KS_DOMAIN key.  A public suffix alone has none. */
static int
s_domain(struct ks_keys *k, const char *p, size_t n)
{
	char host[256];
	const char *reg;

	if (n == 0 || n >= sizeof host)
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if ((reg = psl_registrable_domain(psl_builtin(), host)) == NULL)
		return 0;
	return ks_add(k, KS_DOMAIN, reg, strlen(reg));
}

/* A host that is an address (IPv6 without brackets) or else a name. */
static int
s_host(struct ks_keys *k, const char *p, size_t n)
{
	char host[256];
	uint8_t a[16];

	if (n == 0 || n >= sizeof host)
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, a) == 1)
		return ks_add(k, KS_IP4, a, 4);
	if (inet_pton(AF_INET6, host, a) == 1)
		return ks_add(k, KS_IP6, a, 16);
	return s_domain(k, p, n);
}

/* A URL's host: after the scheme's "://" and any "user@", before the
 * path, query or fragment, without its port; "[v6]" in brackets. */
static int
s_url(struct ks_keys *k, const char *p, size_t n)
{
	const char *s = p, *end, *at, *colon;

	while (s + 3 <= p + n && memcmp(s, "://", 3) != 0)
		s++;
	if (s + 3 > p + n)
		return 0;
	s += 3;
	for (end = s; end < p + n && *end != '/' && *end != '?' && *end != '#'; end++)
		;
	while ((at = memchr(s, '@', (size_t)(end - s))) != NULL)
		s = at + 1;
	if (s < end && *s == '[') {
		const char *close = memchr(s, ']', (size_t)(end - s));
		return close == NULL ? 0 : s_host(k, s + 1, (size_t)(close - s - 1));
	}
	if ((colon = memchr(s, ':', (size_t)(end - s))) != NULL)
		end = colon;
	return s_host(k, s, (size_t)(end - s));
}

/* A cidr indicator ("203.0.113.0/24", host bits clear): its network key. */
static int
s_cidr(struct ks_keys *k, const char *p, size_t n)
{
	const char *slash = memchr(p, '/', n);
	char addr[64];
	uint8_t a[16], key[18];
	unsigned plen = 0;
	bool v6;

	if (slash == NULL || (size_t)(slash - p) >= sizeof addr || slash + 1 == p + n)
		return 0;
	memcpy(addr, p, (size_t)(slash - p));
	addr[slash - p] = '\0';
	for (const char *d = slash + 1; d < p + n; d++) {
		if (*d < '0' || *d > '9' || plen > 128)
			return 0;
		plen = plen * 10 + (unsigned)(*d - '0');
	}
	v6 = strchr(addr, ':') != NULL;
	if (plen > (v6 ? 128u : 32u) || inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return 0;
	size_t len = related_net_key(key, v6, a, plen);
	return ks_add(k, key[0], key + 1, len - 1);
}

static int
s_indicator(struct ks_keys *k, const struct msg_ioc *x)
{
	const char *p = x->value.p, *at;
	size_t n = x->value.n;
	uint8_t a[16];
	char buf[64];

	switch (x->type) {
	case IOC_DOMAIN:
		return s_domain(k, p, n);
	case IOC_URL:
		return s_url(k, p, n);
	case IOC_EMAIL:
		at = memchr(p, '@', n);
		return at == NULL ? 0 : s_domain(k, at + 1, (size_t)(p + n - at - 1));
	case IOC_IPV4:
	case IOC_IPV6:
		if (n >= sizeof buf)
			return 0;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (x->type == IOC_IPV4)
			return inet_pton(AF_INET, buf, a) == 1 ? ks_add(k, KS_IP4, a, 4) : 0;
		return inet_pton(AF_INET6, buf, a) == 1 ? ks_add(k, KS_IP6, a, 16) : 0;
	case IOC_CIDR:
		return s_cidr(k, p, n);
	default:
		return 0;
	}
}

/* A technique, and the parent of a sub-technique. */
static int
s_attack(struct ks_keys *k, struct msg_str t)
{
	const char *dot = memchr(t.p, '.', t.n);

	if (t.n == 0 || ks_add(k, KS_ATTACK, t.p, t.n) == -1)
		return -1;
	return dot == NULL || dot == t.p ? 0 : ks_add(k, KS_ATTACK, t.p, (size_t)(dot - t.p));
}

int
index_related_keys(struct ks_keys *k, const struct msg *m)
{
	const struct msg_body *b = &m->body;
	uint8_t key[1 + 4 + MSG_MAX_TOKEN];
	uint64_t day = m->time / RELATED_DAY_MS;

	for (size_t i = 0; i < b->nindicators; i++)
		if (s_indicator(k, &b->indicators[i]) == -1)
			return -1;
	for (size_t i = 0; i < b->nattack; i++)
		if (s_attack(k, b->attack[i]) == -1)
			return -1;
	if (b->category < 0)
		return 0;
	key[0] = (uint8_t)b->category;
	key[1] = (uint8_t)(day >> 24), key[2] = (uint8_t)(day >> 16);
	key[3] = (uint8_t)(day >> 8), key[4] = (uint8_t)day;
	for (size_t i = 0; i < b->nsectors; i++) {
		size_t n = b->sectors[i].n < MSG_MAX_TOKEN ? b->sectors[i].n : MSG_MAX_TOKEN;
		memcpy(key + 5, b->sectors[i].p, n);
		if (ks_add(k, KS_CASE, key, 5 + n) == -1)
			return -1;
	}
	return 0;
}

size_t
related_net_key(uint8_t out[18], bool v6, const uint8_t *addr, unsigned plen)
{
	size_t alen = v6 ? 16 : 4;

	out[0] = v6 ? KS_NET6 : KS_NET4;
	out[1] = (uint8_t)plen;
	for (size_t i = 0; i < alen; i++) {
		int keep = (int)plen - (int)i * 8;
		out[2 + i] = addr[i] &
		    (keep >= 8          ? 0xff
		            : keep <= 0 ? 0
		                        : (uint8_t)(0xff << (8 - keep)));
	}
	return 2 + alen;
}

size_t
related_net_range(const uint8_t *net, size_t nlen, uint8_t lo[17], uint8_t hi[17])
{
	size_t alen;

	if (nlen == 6 && net[0] == KS_NET4 && net[1] <= 32)
		alen = 4;
	else if (nlen == 18 && net[0] == KS_NET6 && net[1] <= 128)
		alen = 16;
	else
		return 0;
	lo[0] = hi[0] = alen == 4 ? KS_IP4 : KS_IP6;
	for (size_t i = 0; i < alen; i++) {
		int keep = (int)net[1] - (int)i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		lo[1 + i] = net[2 + i] & mask;
		hi[1 + i] = (uint8_t)(net[2 + i] | (uint8_t)~mask);
	}
	return 1 + alen;
}

int
related_key_text(const uint8_t *key, size_t len, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	uint64_t day;
	int n = -1;

	if (len < 2 || cap == 0)
		return -1;
	switch (key[0]) {
	case KS_DOMAIN:
	case KS_ATTACK:
		n = snprintf(out, cap, "%.*s", (int)(len - 1), (const char *)key + 1);
		break;
	case KS_IP4:
	case KS_IP6:
		if (len != (key[0] == KS_IP4 ? 5u : 17u) ||
		    inet_ntop(key[0] == KS_IP4 ? AF_INET : AF_INET6, key + 1, a, sizeof a) == NULL)
			return -1;
		n = snprintf(out, cap, "%s", a);
		break;
	case KS_NET4:
	case KS_NET6:
		if (len != (key[0] == KS_NET4 ? 6u : 18u) ||
		    inet_ntop(key[0] == KS_NET4 ? AF_INET : AF_INET6, key + 2, a, sizeof a) == NULL)
			return -1;
		n = snprintf(out, cap, "%s/%u", a, key[1]);
		break;
	case KS_CASE:
		if (len < 6 || key[1] >= MSG_CAT_COUNT)
			return -1;
		day = (uint64_t)key[2] << 24 | (uint64_t)key[3] << 16 | (uint64_t)key[4] << 8 |
		    key[5];
		char when[TIMEFMT_LEN];
		timefmt_format(when, day * RELATED_DAY_MS);
		n = snprintf(out, cap, "%s/%.*s %.10s",
		    msg_category_name((enum msg_category)key[1]), (int)(len - 6),
		    (const char *)key + 6, when);
		break;
	}
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
