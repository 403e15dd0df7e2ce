#include "warninglist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* The kinds of key in the table, their first byte: a string list's entry,
 * a host name, an IPv4 or IPv6 network (then its prefix length and its
 * masked address).  A cidr list's kind is K_NET4, whatever the family of
 * each entry. */
#define K_STRING 's'
#define K_HOST   'h'
#define K_NET4   '4'
#define K_NET6   '6'
#define K_SUB    'u' /* a substring list's entries: never in the table */

#define KEY_MAX   (2 + IOC_MAX_VALUE)
#define ALL_TYPES ((1u << IOC_TYPE_COUNT) - 1)
#define BIT(t)    (1u << (t))

struct wl_list {
	char *name;
	unsigned types; /* BIT(t) of the indicator types it applies to */
};

/* A key of the table or a substring: len bytes at off in buf. */
struct wl_entry {
	uint64_t hash;
	size_t off, len;
	uint32_t list;
};

struct warninglists {
	struct wl_list *lists;
	size_t nlists, capl;
	struct wl_entry *e; /* table keys, in the order they were added */
	size_t n, cape;
	uint32_t *slot;       /* open addressing: index in e plus 1, 0 when free */
	size_t nslots;        /* a power of 2, at least twice n */
	struct wl_entry *sub; /* substrings */
	size_t nsub, capsub;
	char *buf;
	size_t used, capbuf;
	bool plen4[33], plen6[129]; /* prefix lengths the cidr lists use */
};

/* A MISP attribute type and the indicator types it stands for. */
static const struct {
	const char *name;
	unsigned types;
} s_attrs[] = {
	{ "ip-src", BIT(IOC_IPV4) | BIT(IOC_IPV6) | BIT(IOC_CIDR) },
	{ "ip-dst", BIT(IOC_IPV4) | BIT(IOC_IPV6) | BIT(IOC_CIDR) },
	{ "ip-src|port", BIT(IOC_IPV4) | BIT(IOC_IPV6) },
	{ "ip-dst|port", BIT(IOC_IPV4) | BIT(IOC_IPV6) },
	{ "domain|ip", BIT(IOC_DOMAIN) | BIT(IOC_IPV4) | BIT(IOC_IPV6) },
	{ "domain", BIT(IOC_DOMAIN) },
	{ "hostname", BIT(IOC_DOMAIN) },
	{ "hostname|port", BIT(IOC_DOMAIN) },
	{ "url", BIT(IOC_URL) },
	{ "uri", BIT(IOC_URL) },
	{ "link", BIT(IOC_URL) },
	{ "email", BIT(IOC_EMAIL) },
	{ "email-src", BIT(IOC_EMAIL) },
	{ "email-dst", BIT(IOC_EMAIL) },
	{ "target-email", BIT(IOC_EMAIL) },
	{ "whois-registrant-email", BIT(IOC_EMAIL) },
	{ "md5", BIT(IOC_MD5) },
	{ "sha1", BIT(IOC_SHA1) },
	{ "sha256", BIT(IOC_SHA256) },
	{ "filename|md5", BIT(IOC_MD5) },
	{ "filename|sha1", BIT(IOC_SHA1) },
	{ "filename|sha256", BIT(IOC_SHA256) },
	{ "filename", BIT(IOC_FILENAME) },
	{ "vulnerability", BIT(IOC_CVE) },
	{ "AS", BIT(IOC_ASN) },
	{ "ja3-fingerprint-md5", BIT(IOC_JA3) },
};

struct warninglists *
warninglists_new(void)
{
	return calloc(1, sizeof(struct warninglists));
}

void
warninglists_destroy(struct warninglists **wp)
{
	struct warninglists *w;

	if (wp == NULL || (w = *wp) == NULL)
		return;
	for (size_t i = 0; i < w->nlists; i++)
		free(w->lists[i].name);
	free(w->lists);
	free(w->e);
	free(w->slot);
	free(w->sub);
	free(w->buf);
	free(w);
	*wp = NULL;
}

size_t
warninglists_count(const struct warninglists *w)
{
	return w == NULL ? 0 : w->nlists;
}

/* FNV-1a: the lists are the operator's, not a peer's. */
static uint64_t
s_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Grows the array at *p of *cap elements of size sz to hold need: -1 when
 * out of memory. */
static int
s_grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * sz)) == NULL)
		return -1;
	*p = q, *cap = c;
	return 0;
}

/* The slot where key k (n bytes, hash h) of list is, or the free one that
 * ends its chain; with list UINT32_MAX, any list's. */
static size_t
s_probe(const struct warninglists *w, const uint8_t *k, size_t n, uint64_t h, uint32_t list)
{
	size_t i = h & (w->nslots - 1);

	for (;; i = (i + 1) & (w->nslots - 1)) {
		const struct wl_entry *e;
		if (w->slot[i] == 0)
			return i;
		e = &w->e[w->slot[i] - 1];
		if (e->hash == h && e->len == n && memcmp(w->buf + e->off, k, n) == 0 &&
		    (list == UINT32_MAX || e->list == list))
			return i;
	}
}

/* Puts the keys in the table again, in the order they were added (so that
 * the first list of a key comes first in its chain). */
static void
s_rebuild(struct warninglists *w)
{
	memset(w->slot, 0, w->nslots * sizeof *w->slot);
	for (size_t i = 0; i < w->n; i++) {
		const struct wl_entry *e = &w->e[i];
		w->slot[s_probe(w, (const uint8_t *)w->buf + e->off, e->len, e->hash, e->list)] =
		    (uint32_t)(i + 1);
	}
}

/* Doubles the table.  -1 when out of memory. */
static int
s_rehash(struct warninglists *w)
{
	size_t ns = w->nslots ? 2 * w->nslots : 64;
	uint32_t *s = calloc(ns, sizeof *s);

	if (s == NULL)
		return -1;
	free(w->slot);
	w->slot = s, w->nslots = ns;
	s_rebuild(w);
	return 0;
}

/* The n bytes at k into buf: their offset, or SIZE_MAX when out of memory. */
static size_t
s_store(struct warninglists *w, const void *k, size_t n)
{
	size_t off = w->used;

	if (s_grow((void **)&w->buf, &w->capbuf, w->used + n, 1) == -1)
		return SIZE_MAX;
	memcpy(w->buf + off, k, n);
	w->used += n;
	return off;
}

/* Adds key k (n bytes) of list to the table, once.  -1 when out of memory. */
static int
s_insert(struct warninglists *w, const uint8_t *k, size_t n, uint32_t list)
{
	uint64_t h = s_hash(k, n);
	size_t i, off;

	if ((w->n + 1) * 2 > w->nslots && s_rehash(w) == -1)
		return -1;
	i = s_probe(w, k, n, h, list);
	if (w->slot[i] != 0)
		return 0;
	if (w->n >= UINT32_MAX - 1 ||
	    s_grow((void **)&w->e, &w->cape, w->n + 1, sizeof *w->e) == -1 ||
	    (off = s_store(w, k, n)) == SIZE_MAX)
		return -1;
	w->e[w->n] = (struct wl_entry){ h, off, n, list };
	w->slot[i] = (uint32_t)++w->n;
	return 0;
}

/* The lowest list whose key k (n bytes) applies to one of the types, or
 * UINT32_MAX. */
static uint32_t
s_find(const struct warninglists *w, const uint8_t *k, size_t n, unsigned types)
{
	uint64_t h = s_hash(k, n);

	if (w->n == 0)
		return UINT32_MAX;
	for (size_t i = h & (w->nslots - 1); w->slot[i] != 0; i = (i + 1) & (w->nslots - 1)) {
		const struct wl_entry *e = &w->e[w->slot[i] - 1];
		if (e->hash == h && e->len == n && memcmp(w->buf + e->off, k, n) == 0 &&
		    (w->lists[e->list].types & types) != 0)
			return e->list;
	}
	return UINT32_MAX;
}

/* Key kind then the n bytes at s in lower case into k: its length, or 0
 * when too long. */
static size_t
s_key(uint8_t k[KEY_MAX], uint8_t kind, const char *s, size_t n)
{
	if (n > IOC_MAX_VALUE)
		return 0;
	k[0] = kind;
	for (size_t i = 0; i < n; i++)
		k[1 + i] = (uint8_t)tolower((unsigned char)s[i]);
	return n + 1;
}

/* An address, or a network ADDR/LEN, into its family (4 or 6), prefix
 * length and address with the host bits cleared.  -1 when it is none. */
static int
s_net(const char *s, size_t n, int *fam, unsigned *plen, uint8_t a[16])
{
	char tmp[64];
	const char *slash;
	unsigned long p;
	char *end;

	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if ((slash = strchr(tmp, '/')) != NULL)
		tmp[slash - tmp] = '\0';
	if (inet_pton(AF_INET, tmp, a) == 1)
		*fam = 4;
	else if (inet_pton(AF_INET6, tmp, a) == 1)
		*fam = 6;
	else
		return -1;
	*plen = *fam == 4 ? 32 : 128;
	if (slash != NULL) {
		errno = 0;
		if (!isdigit((unsigned char)slash[1]) ||
		    (p = strtoul(slash + 1, &end, 10), *end != '\0' || errno != 0) || p > *plen)
			return -1;
		*plen = (unsigned)p;
	}
	for (unsigned b = *plen; b < (*fam == 4 ? 32u : 128u); b++)
		a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	return 0;
}

/* The key of a network: kind, prefix length, address masked to it. */
static size_t
s_net_key(uint8_t k[KEY_MAX], int fam, unsigned plen, const uint8_t a[16])
{
	size_t alen = fam == 4 ? 4 : 16;

	k[0] = fam == 4 ? K_NET4 : K_NET6;
	k[1] = (uint8_t)plen;
	memcpy(k + 2, a, alen);
	for (unsigned b = plen; b < 8 * alen; b++)
		k[2 + b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	return 2 + alen;
}

/* One entry of list li, of the list's kind, into w.  0; 1 when the entry
 * is none of that kind (skipped); -1 when out of memory. */
static int
s_entry(struct warninglists *w, uint32_t li, char kind, const char *s, size_t n)
{
	uint8_t k[KEY_MAX], a[16];
	char norm[IOC_MAX_VALUE + 1];
	unsigned plen;
	size_t kl;
	int fam, t, nl;

	switch (kind) {
	case K_STRING:
		if ((t = ioc_infer(s, n)) >= 0 &&
		    (nl = ioc_normalize((enum ioc_type)t, s, n, norm, sizeof norm)) > 0)
			s = norm, n = (size_t)nl;
		kl = s_key(k, K_STRING, s, n);
		break;
	case K_HOST:
		if (n >= 2 && s[0] == '*' && s[1] == '.')
			s += 2, n -= 2;
		else if (n >= 1 && s[0] == '.')
			s++, n--;
		if (n > 0 && s[n - 1] == '.')
			n--;
		kl = n > 0 ? s_key(k, K_HOST, s, n) : 0;
		break;
	case K_NET4:
		if (s_net(s, n, &fam, &plen, a) == -1)
			return 1;
		kl = s_net_key(k, fam, plen, a);
		if (fam == 4)
			w->plen4[plen] = true;
		else
			w->plen6[plen] = true;
		break;
	default: /* K_SUB */
		if (n == 0 || n > IOC_MAX_VALUE ||
		    s_grow((void **)&w->sub, &w->capsub, w->nsub + 1, sizeof *w->sub) == -1)
			return n == 0 || n > IOC_MAX_VALUE ? 1 : -1;
		kl = s_key(k, K_STRING, s, n);
		if ((w->sub[w->nsub].off = s_store(w, k + 1, kl - 1)) == SIZE_MAX)
			return -1;
		w->sub[w->nsub].len = kl - 1;
		w->sub[w->nsub++].list = li;
		return 0;
	}
	if (kl == 0)
		return 1;
	return s_insert(w, k, kl, li);
}

/* The types that matching_attributes a (NULL when absent) names. */
static unsigned
s_types(json_t *a)
{
	unsigned types = 0;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		for (size_t j = 0; j < sizeof s_attrs / sizeof s_attrs[0]; j++)
			if (json_is_string(v) && strcmp(json_string_value(v), s_attrs[j].name) == 0)
				types |= s_attrs[j].types;
	}
	return types != 0 ? types : ALL_TYPES;
}

/* The list's kind from its type; 0 for regex, -1 for anything else. */
static int
s_kind(const char *type)
{
	static const struct {
		const char *name;
		int kind;
	} kinds[] = { { "string", K_STRING }, { "hostname", K_HOST }, { "cidr", K_NET4 },
		{ "substring", K_SUB }, { "regex", 0 } };

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(type, kinds[i].name) == 0)
			return kinds[i].kind;
	return -1;
}

/* A list's name: 1 to WARNINGLIST_NAME_MAX bytes without control
 * characters. */
static bool
s_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > WARNINGLIST_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* The list's members checked: its name, its kind (s_kind()); -1 with err
 * set when it is no warning list. */
static int
s_check(json_t *o, const char *where, const char **name, int *kind, char *err, size_t errlen)
{
	json_t *l = json_object_get(o, "list"), *a = json_object_get(o, "matching_attributes");
	const char *type = json_string_value(json_object_get(o, "type"));
	size_t i;
	json_t *v;

	*name = json_string_value(json_object_get(o, "name"));
	if (*name == NULL || !s_valid_name(*name))
		return errf(err, errlen,
		    "%s: not a warning list: \"name\" is not a string of 1 to %d characters", where,
		    WARNINGLIST_NAME_MAX);
	if (type == NULL || (*kind = s_kind(type)) == -1)
		return errf(err, errlen,
		    "%s: not a warning list: \"type\" is not string, hostname, cidr, substring or "
		    "regex",
		    where);
	if (!json_is_array(l))
		return errf(err, errlen, "%s: not a warning list: \"list\" is not an array", where);
	json_array_foreach(l, i, v)
	{
		if (!json_is_string(v))
			return errf(err, errlen,
			    "%s: not a warning list: entry %zu of \"list\" is not a string", where,
			    i);
	}
	if (a != NULL && !json_is_array(a))
		return errf(err, errlen,
		    "%s: not a warning list: \"matching_attributes\" is not an array", where);
	return 0;
}

int
warninglists_add(struct warninglists *w, const char *text, size_t len, const char *where, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *name;
	size_t i, skipped = 0, before = w->n, subs = w->nsub, used = w->used;
	uint32_t li = (uint32_t)w->nlists;
	int kind = -1, rc = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		return errf(err, errlen, "%s: not a warning list: %s", where,
		    o == NULL ? jerr.text : "not a JSON object");
	}
	if (s_check(o, where, &name, &kind, err, errlen) == -1) {
		json_decref(o);
		return -1;
	}
	if (kind == 0) {
		log_info("%s: warning list '%s' skipped: regex lists are not supported", where,
		    name);
		json_decref(o);
		return 1;
	}
	if (w->nlists >= WARNINGLIST_MAX_LISTS ||
	    s_grow((void **)&w->lists, &w->capl, w->nlists + 1, sizeof *w->lists) == -1 ||
	    (w->lists[li].name = strdup(name)) == NULL)
		rc = errf(err, errlen, "%s: %s", where,
		    w->nlists >= WARNINGLIST_MAX_LISTS ? "too many warning lists"
		                                       : "out of memory");
	if (rc == 0) {
		w->lists[li].types = s_types(json_object_get(o, "matching_attributes"));
		w->nlists++;
	}
	json_array_foreach(json_object_get(o, "list"), i, v)
	{
		int r;
		if (rc == -1)
			break;
		r = s_entry(w, li, (char)kind, json_string_value(v), json_string_length(v));
		if (r == -1)
			rc = errf(err, errlen, "%s: out of memory", where);
		skipped += r == 1;
	}
	if (rc == -1 && w->nlists > li) {
		/* A list refused adds nothing: its keys were the last ones. */
		w->n = before, w->nsub = subs, w->used = used;
		free(w->lists[--w->nlists].name);
		if (w->nslots > 0)
			s_rebuild(w);
	} else if (skipped > 0)
		log_info("%s: warning list '%s': %zu entries skipped (not of type %s)", where, name,
		    skipped, json_string_value(json_object_get(o, "type")));
	json_decref(o);
	return rc;
}

static int
s_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of the folder at path, sorted: *out (caller frees each
 * and the array), *n.  -1 with errno set. */
static int
s_names(const char *path, char ***out, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t cap = 0, len;
	char **v = NULL;
	int e = 0;

	*n = 0;
	if (d == NULL)
		return -1;
	while (e == 0 && (de = readdir(d)) != NULL) {
		if ((len = strlen(de->d_name)) <= 5 || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (*n >= WARNINGLIST_MAX_LISTS)
			e = E2BIG;
		else if (s_grow((void **)&v, &cap, *n + 1, sizeof *v) == -1 ||
		    (v[*n] = strdup(de->d_name)) == NULL)
			e = ENOMEM;
		else
			(*n)++;
	}
	closedir(d);
	if (e != 0) {
		while (*n > 0)
			free(v[--*n]);
		free(v);
		errno = e;
		return -1;
	}
	if (*n > 0)
		qsort(v, *n, sizeof *v, s_cmp);
	*out = v;
	return 0;
}

/* Each file of names in folder path into w.  0, or -1 with err set. */
static int
s_load_files(struct warninglists *w, const char *path, char **names, size_t n, char *err,
    size_t errlen)
{
	char file[4096 + 256];
	char *text;
	size_t len;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		snprintf(file, sizeof file, "%s/%s", path, names[i]);
		if (file_read_all(file, WARNINGLIST_MAX_FILE, &text, &len) == -1)
			return errf(err, errlen, "%s: %s", file, strerror(errno));
		rc = warninglists_add(w, text, len, file, err, errlen) == -1 ? -1 : 0;
		free(text);
	}
	return rc;
}

struct warninglists *
warninglists_load(const char *dir, const char *base, char *err, size_t errlen)
{
	struct warninglists *w = warninglists_new();
	char path[4096];
	char **names = NULL;
	size_t n = 0;
	int rc;

	if (w == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (dir[0] == '\0')
		snprintf(path, sizeof path, "%s", WARNINGLIST_DEFAULT_DIR);
	else if (snprintf(path, sizeof path, "%s%s%s", dir[0] == '/' ? "" : base,
	             dir[0] == '/' ? "" : "/", dir) >= (int)sizeof path) {
		errf(err, errlen, "%s: path too long", dir);
		warninglists_destroy(&w);
		return NULL;
	}
	if (s_names(path, &names, &n) == -1) {
		if (dir[0] == '\0' && errno == ENOENT)
			return w;
		errf(err, errlen, "%s: %s", path,
		    errno == E2BIG ? "more than 1024 warning lists" : strerror(errno));
		warninglists_destroy(&w);
		return NULL;
	}
	rc = s_load_files(w, path, names, n, err, errlen);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == -1)
		warninglists_destroy(&w);
	return w;
}

/* The lowest of best and the list of key k. */
static uint32_t
s_min(uint32_t best, const struct warninglists *w, const uint8_t *k, size_t n, unsigned types)
{
	uint32_t l = s_find(w, k, n, types);

	return l < best ? l : best;
}

/* A host name and each domain above it, in the hostname lists. */
static uint32_t
s_host(const struct warninglists *w, const char *h, size_t n, unsigned types, uint32_t best)
{
	uint8_t k[KEY_MAX];
	size_t kl;

	while (n > 0) {
		const char *dot = memchr(h, '.', n);
		if ((kl = s_key(k, K_HOST, h, n)) > 0)
			best = s_min(best, w, k, kl, types);
		if (dot == NULL)
			break;
		n -= (size_t)(dot - h) + 1, h = dot + 1;
	}
	return best;
}

/* A network (an address: its full length) in the cidr lists: each prefix
 * length they use that it is inside of. */
static uint32_t
s_cidr(const struct warninglists *w, const char *s, size_t n, unsigned types, uint32_t best)
{
	uint8_t a[16], k[KEY_MAX];
	unsigned plen;
	int fam;

	if (s_net(s, n, &fam, &plen, a) == -1)
		return best;
	for (unsigned p = 0; p <= plen; p++)
		if (fam == 4 ? w->plen4[p] : w->plen6[p])
			best = s_min(best, w, k, s_net_key(k, fam, p, a), types);
	return best;
}

/* The host of a normalized URL (scheme://[userinfo@]host[:port]...),
 * without brackets; its length. */
static size_t
s_url_host(const char *u, size_t n, const char **host)
{
	const char *p = memchr(u, ':', n), *end = u + n, *at;
	size_t hl;

	if (p == NULL || end - p < 3 || p[1] != '/' || p[2] != '/')
		return 0;
	p += 3;
	for (const char *q = p; q < end; q++)
		if (*q == '/' || *q == '?' || *q == '#') {
			end = q;
			break;
		}
	while ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
		p = at + 1;
	if (p < end && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		*host = p + 1;
		return rb == NULL ? 0 : (size_t)(rb - p - 1);
	}
	for (hl = 0; p + hl < end && p[hl] != ':'; hl++)
		;
	*host = p;
	return hl;
}

/* A host (a URL's or an e-mail address's): an address in the cidr and
 * string lists, a name in the hostname lists. */
static uint32_t
s_host_or_ip(const struct warninglists *w, const char *h, size_t n, unsigned types, uint32_t best)
{
	uint8_t a[16], k[KEY_MAX];
	unsigned plen;
	int fam;
	size_t kl;

	if (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0)
		return best;
	if (memchr(h, '/', n) == NULL && s_net(h, n, &fam, &plen, a) == 0) {
		if ((kl = s_key(k, K_STRING, h, n)) > 0)
			best = s_min(best, w, k, kl, types);
		return s_cidr(w, h, n, types, best);
	}
	return s_host(w, h, n, types, best);
}

/* Whether the n bytes at s contain the m bytes at sub. */
static bool
s_contains(const char *s, size_t n, const char *sub, size_t m)
{
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (s[i] == sub[0] && memcmp(s + i, sub, m) == 0)
			return true;
	return false;
}

const char *
warninglist_match(const struct warninglists *w, enum ioc_type t, const char *value, size_t len)
{
	uint8_t k[KEY_MAX];
	uint32_t best = UINT32_MAX;
	const char *host;
	size_t kl, hl, at;

	if (w == NULL || w->nlists == 0 || (kl = s_key(k, K_STRING, value, len)) == 0)
		return NULL;
	best = s_min(best, w, k, kl, BIT(t));
	switch (t) {
	case IOC_IPV4:
	case IOC_IPV6:
	case IOC_CIDR:
		best = s_cidr(w, value, len, BIT(t), best);
		break;
	case IOC_DOMAIN:
		best = s_host(w, value, len, BIT(t), best);
		break;
	case IOC_URL:
		if ((hl = s_url_host(value, len, &host)) > 0)
			best = s_host_or_ip(w, host, hl, BIT(t), best);
		break;
	case IOC_EMAIL:
		for (at = len; at > 0 && value[at - 1] != '@'; at--)
			;
		if (at > 0)
			best = s_host_or_ip(w, value + at, len - at, BIT(t), best);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < w->nsub; i++) {
		const struct wl_entry *e = &w->sub[i];
		if (e->list < best && (w->lists[e->list].types & BIT(t)) != 0 &&
		    s_contains((const char *)k + 1, kl - 1, w->buf + e->off, e->len))
			best = e->list;
	}
	return best == UINT32_MAX ? NULL : w->lists[best].name;
}
