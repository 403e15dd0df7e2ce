/*
 * taxii_query — what a TAXII 2.1 request says besides its path (taxii.h):
 * the URL parameters of the GET requests (added_after, limit, next,
 * match[id|type|version|spec_version]), the Accept header and the
 * Content-Type of a POST.  Pure: no I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taxii.h"
#include "timefmt.h"
#include "util.h"

void
taxii_query_init(struct taxii_query *q)
{
	memset(q, 0, sizeof *q);
	q->limit = TAXII_LIMIT;
}

void
taxii_query_free(struct taxii_query *q)
{
	json_decref(q->ids);
	json_decref(q->types);
	json_decref(q->version_ts);
	taxii_query_init(q);
}

int
taxii_time_parse(const char *s, uint64_t *ms)
{
	size_t n = strlen(s);

	/* 2026-12-01T10:00:00Z at least; a timestamp, never a duration. */
	if (n < 20 || n > 40 || !isdigit((unsigned char)s[0]) || s[10] != 'T' ||
	    (s[n - 1] != 'Z' && s[n - 1] != 'z'))
		return -1;
	return timefmt_parse(s, 0, ms);
}

void
taxii_next_format(char out[48], uint64_t after, size_t skip)
{
	snprintf(out, 48, "%llu-%zu", (unsigned long long)after, skip);
}

/* "DIGITS-DIGITS" into after and skip. */
static int
s_next_parse(const char *s, uint64_t *after, size_t *skip)
{
	const char *dash = strchr(s, '-');
	size_t a, b;
	uint64_t x, y;

	if (dash == NULL)
		return -1;
	a = (size_t)(dash - s);
	b = strlen(dash + 1);
	if (a == 0 || a > 19 || b == 0 || b > 9 || strspn(s, "0123456789") != a ||
	    strspn(dash + 1, "0123456789") != b)
		return -1;
	x = strtoull(s, NULL, 10);
	y = strtoull(dash + 1, NULL, 10);
	*after = x;
	*skip = (size_t)y;
	return 0;
}

/* A STIX type name: 3 to 250 of a-z 0-9 -, as STIX 2.1 wants. */
static bool
s_valid_type(const char *s, size_t n)
{
	if (n < 1 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* A STIX id: TYPE--UUID. */
static bool
s_valid_id(const char *s, size_t n)
{
	const char *dd = NULL;

	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '-' && s[i + 1] == '-') {
			dd = s + i;
			break;
		}
	if (dd == NULL || !s_valid_type(s, (size_t)(dd - s)) || n - (size_t)(dd - s) - 2 != 36)
		return false;
	for (const char *p = dd + 2; p < s + n; p++)
		if (!isxdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

/* The comma-separated words of value, each checked by ok, appended to
 * *arr (made when NULL). */
static int
s_list(json_t **arr, const char *key, const char *value, bool (*ok)(const char *, size_t),
    char *err, size_t errlen)
{
	const char *p = value;

	if (*arr == NULL && (*arr = json_array()) == NULL)
		return errf(err, errlen, "out of memory");
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (!ok(p, n))
			return errf(err, errlen, "%s: bad value '%.*s'", key,
			    (int)(n < 80 ? n : 80), p);
		if (json_array_size(*arr) >= TAXII_MATCH_MAX)
			return errf(err, errlen, "%s: more than %d values", key, TAXII_MATCH_MAX);
		json_array_append_new(*arr, json_stringn(p, n));
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
s_versions(struct taxii_query *q, const char *value, char *err, size_t errlen)
{
	const char *p = value;
	char word[48];
	uint64_t ms;

	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0 || n >= sizeof word)
			return errf(err, errlen, "match[version]: bad value '%.*s'",
			    (int)(n < 48 ? n : 48), p);
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcmp(word, "last") == 0)
			q->versions |= TAXII_V_LAST;
		else if (strcmp(word, "first") == 0)
			q->versions |= TAXII_V_FIRST;
		else if (strcmp(word, "all") == 0)
			q->versions |= TAXII_V_ALL;
		else if (taxii_time_parse(word, &ms) == 0) {
			if (q->version_ts == NULL && (q->version_ts = json_array()) == NULL)
				return errf(err, errlen, "out of memory");
			if (json_array_size(q->version_ts) >= TAXII_MATCH_MAX)
				return errf(err, errlen, "match[version]: more than %d values",
				    TAXII_MATCH_MAX);
			json_array_append_new(q->version_ts, json_integer((json_int_t)ms));
		} else
			return errf(err, errlen,
			    "match[version]: '%s' is not last, first, all or a timestamp", word);
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
s_spec(struct taxii_query *q, const char *value, char *err, size_t errlen)
{
	const char *p = value;

	q->has_spec = true;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0 || n > 16)
			return errf(err, errlen, "match[spec_version]: bad value");
		if (n == 3 && memcmp(p, "2.1", 3) == 0)
			q->spec_21 = true;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

static int
s_param(struct taxii_query *q, const char *key, const char *value, char *err, size_t errlen)
{
	uint64_t x;

	if (value == NULL)
		value = "";
	if (strlen(value) > 16384)
		return errf(err, errlen, "%.40s: value too long", key);
	if (strcmp(key, "added_after") == 0) {
		if (q->has_added_after || taxii_time_parse(value, &q->added_after) != 0)
			return errf(err, errlen, "added_after: '%.80s' is not one timestamp",
			    value);
		q->has_added_after = true;
	} else if (strcmp(key, "limit") == 0) {
		if (parse_uint(value, &x) != 0 || x == 0)
			return errf(err, errlen, "limit: '%.40s' is not a positive integer", value);
		q->limit = x > TAXII_LIMIT_MAX ? TAXII_LIMIT_MAX : (size_t)x;
	} else if (strcmp(key, "next") == 0) {
		if (q->has_next || s_next_parse(value, &q->next_after, &q->next_skip) != 0)
			return errf(err, errlen, "next: '%.80s' is not a next this server gave",
			    value);
		q->has_next = true;
	} else if (strcmp(key, "match[id]") == 0)
		return s_list(&q->ids, key, value, s_valid_id, err, errlen);
	else if (strcmp(key, "match[type]") == 0)
		return s_list(&q->types, key, value, s_valid_type, err, errlen);
	else if (strcmp(key, "match[version]") == 0)
		return s_versions(q, value, err, errlen);
	else if (strcmp(key, "match[spec_version]") == 0)
		return s_spec(q, value, err, errlen);
	/* Other parameters are ignored, as filters a server does not support. */
	return 0;
}

static bool
s_in(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

bool
taxii_query_match(const struct taxii_query *q, const char *id, const char *type)
{
	if (q->has_spec && !q->spec_21)
		return false;
	if (q->ids != NULL && !s_in(q->ids, id))
		return false;
	if (q->types != NULL && !s_in(q->types, type))
		return false;
	return true;
}

/* Skips blanks. */
static const char *
s_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The first c in [p, end), or NULL. */
static const char *
s_find(const char *p, const char *end, char c)
{
	for (; p < end; p++)
		if (*p == c)
			return p;
	return NULL;
}

/* One media range [p, end) of an Accept header (or a Content-Type):
 * whether it takes TAXII 2.1; wild: whether wildcards count. */
static bool
s_range(const char *p, const char *end, bool wild)
{
	const char *semi, *tend;
	bool taxii, version_ok = true;
	size_t n;

	p = s_ws(p, end);
	semi = s_find(p, end, ';');
	tend = semi != NULL ? semi : end;
	while (tend > p && (tend[-1] == ' ' || tend[-1] == '\t'))
		tend--;
	n = (size_t)(tend - p);
	taxii = n == 22 && strncasecmp(p, "application/taxii+json", 22) == 0;
	if (!taxii &&
	    !(wild &&
	        ((n == 3 && memcmp(p, "*/*", 3) == 0) ||
	            (n == 13 && strncasecmp(p, "application/*", 13) == 0))))
		return false;
	/* Parameters: version (for taxii+json) and q. */
	while (semi != NULL) {
		const char *q = s_ws(semi + 1, end), *pend, *eq;
		semi = s_find(q, end, ';');
		pend = semi != NULL ? semi : end;
		while (pend > q && (pend[-1] == ' ' || pend[-1] == '\t'))
			pend--;
		if ((eq = s_find(q, pend, '=')) == NULL)
			continue;
		const char *v = s_ws(eq + 1, pend);
		size_t kl = (size_t)(eq - q), vl = (size_t)(pend - v);
		while (kl > 0 && (q[kl - 1] == ' ' || q[kl - 1] == '\t'))
			kl--;
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
			v++, vl -= 2;
		if (kl == 7 && strncasecmp(q, "version", 7) == 0 && taxii)
			version_ok = vl == 3 && memcmp(v, "2.1", 3) == 0;
		else if (kl == 1 && (*q == 'q' || *q == 'Q')) {
			/* q=0 (0, 0.0, 0.00, 0.000) refuses the range. */
			bool zero = vl > 0 && v[0] == '0';
			for (size_t i = 1; i < vl && zero; i++)
				zero = v[i] == '.' || v[i] == '0';
			if (zero)
				return false;
		}
	}
	return version_ok;
}

bool
taxii_accepts(const char *accept)
{
	const char *p, *end;

	if (accept == NULL || *s_ws(accept, accept + strlen(accept)) == '\0')
		return true; /* no Accept: any media type (RFC 9110) */
	for (p = accept; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if (s_range(p, end, true))
			return true;
	}
	return false;
}

bool
taxii_content_type_ok(const char *ct)
{
	return ct != NULL && s_range(ct, ct + strlen(ct), false);
}

int
taxii_query_param(struct taxii_query *q, const char *key, const char *value, char *err,
    size_t errlen)
{
	int rc = s_param(q, key, value, err, errlen);

	/* One line, whatever the client sent: what is echoed loses its
	 * control characters. */
	if (rc == -1)
		for (char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return rc;
}
