#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "keys.h"
#include "util.h"

struct trust {
	struct trust_peer *peers; /* sorted by name */
	size_t n, cap;
};

struct trust *
trust_new(void)
{
	return calloc(1, sizeof(struct trust));
}

void
trust_destroy(struct trust **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	free((*tp)->peers);
	free(*tp);
	*tp = NULL;
}

size_t
trust_count(const struct trust *t)
{
	return t->n;
}

const struct trust_peer *
trust_at(const struct trust *t, size_t i)
{
	return i < t->n ? &t->peers[i] : NULL;
}

/* Binary search by name: the index of the peer, or -1 with *at set to
 * where it would go. */
static ptrdiff_t
s_search(const struct trust *t, const char *name, size_t *at)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->peers[mid].name);
		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (at != NULL)
		*at = lo;
	return -1;
}

const struct trust_peer *
trust_find_name(const struct trust *t, const char *name)
{
	ptrdiff_t i = s_search(t, name, NULL);

	return i < 0 ? NULL : &t->peers[i];
}

const struct trust_peer *
trust_find_id(const struct trust *t, const uint8_t id[32])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->peers[i].id, id, 32) == 0)
			return &t->peers[i];
	return NULL;
}

static struct trust_peer *
s_find_mut(struct trust *t, const char *name, char *err, size_t errlen)
{
	ptrdiff_t i = s_search(t, name, NULL);

	if (i < 0) {
		snprintf(err, errlen, "no peer named '%s' in the trust list", name);
		return NULL;
	}
	return &t->peers[i];
}

static const char s_name_expected[] = "expected 1-63 characters of A-Z a-z 0-9 . _ -";
static const char s_endpoint_expected[] = "expected tcp://HOST:PORT with HOST an IPv4 address, "
                                          "[IPv6 address] or host name, and PORT 1-65535";

int
trust_add(struct trust *t, const struct trust_peer *p, char *err, size_t errlen)
{
	const struct trust_peer *other;
	uint8_t curve[32];
	size_t at = 0;

	if (memchr(p->name, '\0', sizeof p->name) == NULL || !config_valid_name(p->name)) {
		snprintf(err, errlen, "bad peer name '%.*s': %s", (int)sizeof p->name, p->name,
		    s_name_expected);
		return -1;
	}
	if ((unsigned)p->level >= MSG_LEVEL_COUNT) {
		snprintf(err, errlen, "%s: bad trust level %d", p->name, (int)p->level);
		return -1;
	}
	if (memchr(p->endpoint, '\0', sizeof p->endpoint) == NULL ||
	    (p->endpoint[0] != '\0' && !config_valid_endpoint(p->endpoint, false))) {
		snprintf(err, errlen, "%s: bad endpoint '%.*s': %s", p->name,
		    (int)sizeof p->endpoint, p->endpoint, s_endpoint_expected);
		return -1;
	}
	if (keys_curve_pk(curve, p->id) != 0) {
		snprintf(err, errlen, "%s: the key is not a valid Ed25519 public key", p->name);
		return -1;
	}
	if (s_search(t, p->name, &at) >= 0) {
		snprintf(err, errlen, "a peer named '%s' is already in the trust list", p->name);
		return -1;
	}
	if ((other = trust_find_id(t, p->id)) != NULL) {
		snprintf(err, errlen, "%s: the key is already that of peer '%s'", p->name,
		    other->name);
		return -1;
	}
	if (t->n >= TRUST_MAX_PEERS) {
		snprintf(err, errlen, "the trust list is full (%d peers)", TRUST_MAX_PEERS);
		return -1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct trust_peer *np = realloc(t->peers, cap * sizeof *np);
		if (np == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->peers = np;
		t->cap = cap;
	}
	memmove(&t->peers[at + 1], &t->peers[at], (t->n - at) * sizeof *t->peers);
	t->peers[at] = *p;
	t->n++;
	return 0;
}

int
trust_set_level(struct trust *t, const char *name, enum msg_level level, char *err, size_t errlen)
{
	struct trust_peer *p;

	if ((unsigned)level >= MSG_LEVEL_COUNT) {
		snprintf(err, errlen, "bad trust level %d", (int)level);
		return -1;
	}
	if ((p = s_find_mut(t, name, err, errlen)) == NULL)
		return -1;
	p->level = level;
	return 0;
}

int
trust_set_coordinator(struct trust *t, const char *name, bool coordinator, char *err, size_t errlen)
{
	struct trust_peer *p;

	if ((p = s_find_mut(t, name, err, errlen)) == NULL)
		return -1;
	p->coordinator = coordinator;
	return 0;
}

int
trust_set_endpoint(struct trust *t, const char *name, const char *endpoint, char *err,
    size_t errlen)
{
	struct trust_peer *p;

	if ((p = s_find_mut(t, name, err, errlen)) == NULL)
		return -1;
	if (strlen(endpoint) >= sizeof p->endpoint ||
	    (endpoint[0] != '\0' && !config_valid_endpoint(endpoint, false))) {
		snprintf(err, errlen, "%s: bad endpoint '%s': %s", name, endpoint,
		    s_endpoint_expected);
		return -1;
	}
	snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
	return 0;
}

int
trust_remove(struct trust *t, const char *name, char *err, size_t errlen)
{
	struct trust_peer *p;
	size_t i;

	if ((p = s_find_mut(t, name, err, errlen)) == NULL)
		return -1;
	i = (size_t)(p - t->peers);
	memmove(&t->peers[i], &t->peers[i + 1], (t->n - i - 1) * sizeof *t->peers);
	t->n--;
	return 0;
}

/* ---- loading ---------------------------------------------------------- */

enum { K_KEY = 1, K_ENDPOINT = 2, K_LEVEL = 4, K_COORDINATOR = 8 };

struct s_load {
	struct trust *t;       /* the new list, swapped in on success */
	struct trust_peer cur; /* the section being read */
	unsigned seen;         /* K_* of cur */
};

static int
s_on_section(void *user, const char *name, char *err, size_t errlen)
{
	struct s_load *l = user;

	if (!config_valid_name(name)) {
		snprintf(err, errlen, "bad peer name [%s]: %s", name, s_name_expected);
		return -1;
	}
	if (trust_find_name(l->t, name) != NULL) {
		snprintf(err, errlen, "peer [%s] appears twice", name);
		return -1;
	}
	if (l->t->n >= TRUST_MAX_PEERS) {
		snprintf(err, errlen, "more than %d peers", TRUST_MAX_PEERS);
		return -1;
	}
	memset(&l->cur, 0, sizeof l->cur);
	strcpy(l->cur.name, name);
	l->cur.level = MSG_LEVEL_MEMBER;
	l->seen = 0;
	return 0;
}

static int
s_on_key(void *user, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "key", "endpoint", "level", "coordinator" };
	struct s_load *l = user;
	const struct trust_peer *other;
	const char *expected = NULL;
	uint8_t curve[32];
	unsigned bit = 0;
	int v;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			bit = 1u << i;
	if (bit == 0) {
		snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	if (l->seen & bit) {
		snprintf(err, errlen, "duplicate key '%s' in [%s]", key, section);
		return -1;
	}
	l->seen |= bit;
	switch (bit) {
	case K_KEY:
		if (id_parse(l->cur.id, value) != 0)
			expected = "expected 64 hex digits (a node id)";
		else if (keys_curve_pk(curve, l->cur.id) != 0)
			expected = "not a valid Ed25519 public key";
		else if ((other = trust_find_id(l->t, l->cur.id)) != NULL) {
			snprintf(err, errlen, "[%s] has the same key as [%s]", section,
			    other->name);
			return -1;
		}
		break;
	case K_ENDPOINT:
		if (*value != '\0' && !config_valid_endpoint(value, false))
			expected = s_endpoint_expected;
		else
			strcpy(l->cur.endpoint, value);
		break;
	case K_LEVEL:
		if ((v = msg_level_parse(value, strlen(value))) < 0)
			expected = "expected blocked, external or member";
		else
			l->cur.level = (enum msg_level)v;
		break;
	case K_COORDINATOR:
		if (strcmp(value, "yes") == 0)
			l->cur.coordinator = true;
		else if (strcmp(value, "no") == 0)
			l->cur.coordinator = false;
		else
			expected = "expected yes or no";
		break;
	}
	if (expected != NULL) {
		snprintf(err, errlen, "bad value '%s' for %s in [%s]: %s", value, key, section,
		    expected);
		return -1;
	}
	return 0;
}

static int
s_on_section_end(void *user, const char *name, char *err, size_t errlen)
{
	struct s_load *l = user;

	if (!(l->seen & K_KEY)) {
		snprintf(err, errlen, "[%s]: missing key 'key'", name);
		return -1;
	}
	return trust_add(l->t, &l->cur, err, errlen);
}

int
trust_parse(struct trust *t, const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
	static const struct inifile_ops ops = { s_on_section, s_on_key, s_on_section_end };
	struct s_load l;
	struct trust *nt;

	if (len > TRUST_MAX_FILE)
		return errf(err, errlen, "%s: %s", name, strerror(EFBIG));
	memset(&l, 0, sizeof l);
	if ((l.t = trust_new()) == NULL)
		return errf(err, errlen, "%s: out of memory", name);
	if (inifile_parse_buf(buf, len, name, &ops, &l, err, errlen) != 0) {
		trust_destroy(&l.t);
		return -1;
	}
	nt = l.t;
	free(t->peers);
	*t = *nt;
	free(nt);
	return 0;
}

int
trust_load(struct trust *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if (file_read_all(path, TRUST_MAX_FILE, &buf, &len) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	rc = trust_parse(t, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

int
trust_save(const struct trust *t, const char *path, char *err, size_t errlen)
{
	char hex[65];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f,
	    "# socmesh trust list; docs/CONFIG.md describes the format.\n"
	    "# One section per peer: key (node id), endpoint (optional),\n"
	    "# level (blocked | external | member), coordinator (yes | no).\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct trust_peer *p = &t->peers[i];
		if (p->roster != 0 || p->rotated)
			continue;
		hex_encode(hex, p->id, sizeof p->id);
		fprintf(f, "\n[%s]\nkey = %s\n", p->name, hex);
		if (p->endpoint[0] != '\0')
			fprintf(f, "endpoint = %s\n", p->endpoint);
		fprintf(f, "level = %s\ncoordinator = %s\n", msg_level_name(p->level),
		    p->coordinator ? "yes" : "no");
	}
	return file_write_memstream(path, f, &buf, &len, 0640, err, errlen);
}
