/*
 * taxii_users — the TAXII server's users file, DIR/taxii.users (taxii.h):
 * one line per user "NAME MAX_TLP HASH", mode 0600, written whole and
 * atomically.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "msg.h"
#include "taxii.h"
#include "util.h"

#define USERS_FILE_MAX ((size_t)TAXII_USERS_MAX * (TAXII_NAME_MAX + TAXII_HASH_MAX + 32))

bool
taxii_valid_name(const char *s)
{
	size_t n = strnlen(s, TAXII_NAME_MAX + 1);

	if (n == 0 || n > TAXII_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

void
taxii_users_free(struct taxii_users *u)
{
	if (u->v != NULL)
		sodium_memzero(u->v, u->n * sizeof *u->v);
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

struct taxii_user *
taxii_users_find(const struct taxii_users *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return &u->v[i];
	return NULL;
}

int
taxii_users_add(struct taxii_users *u, const struct taxii_user *user)
{
	struct taxii_user *v;

	if (u->n >= TAXII_USERS_MAX || (v = realloc(u->v, (u->n + 1) * sizeof *v)) == NULL)
		return -1;
	u->v = v;
	u->v[u->n++] = *user;
	return 0;
}

int
taxii_users_remove(struct taxii_users *u, const char *name)
{
	struct taxii_user *x = taxii_users_find(u, name);

	if (x == NULL)
		return -1;
	memmove(x, x + 1, (size_t)(u->v + u->n - (x + 1)) * sizeof *x);
	u->n--;
	return 0;
}

/* One line (NUL-terminated, without its newline) into user.  0, or -1
 * with the message in err. */
static int
s_line(struct taxii_user *user, char *line, char *err, size_t errlen)
{
	char *f[4], *save = NULL;
	size_t n = 0;
	int t;

	for (char *w = strtok_r(line, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (n == 3)
			return errf(err, errlen, "more than three fields (NAME MAX_TLP HASH)");
		f[n++] = w;
	}
	if (n != 3)
		return errf(err, errlen, "expected NAME MAX_TLP HASH");
	if (!taxii_valid_name(f[0]))
		return errf(err, errlen, "bad user name '%.80s': 1-%d of A-Z a-z 0-9 . _ -", f[0],
		    TAXII_NAME_MAX);
	if ((t = msg_tlp_parse(f[1], strlen(f[1]))) < 0 || t == MSG_TLP_RED)
		return errf(err, errlen, "bad max TLP '%.40s': clear, green, amber or amber+strict",
		    f[1]);
	if (strlen(f[2]) >= TAXII_HASH_MAX || strncmp(f[2], "$argon2", 7) != 0)
		return errf(err, errlen, "bad password hash for %s", f[0]);
	snprintf(user->name, sizeof user->name, "%s", f[0]);
	user->max_tlp = t;
	snprintf(user->hash, sizeof user->hash, "%s", f[2]);
	return 0;
}

int
taxii_users_parse(struct taxii_users *u, const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
	char line[TAXII_NAME_MAX + TAXII_HASH_MAX + 64], msg[256];
	size_t lineno = 0, i = 0;
	struct taxii_user user;

	taxii_users_free(u);
	while (i < len) {
		size_t start = i, n;
		while (i < len && buf[i] != '\n')
			i++;
		n = i - start;
		lineno++;
		if (i < len)
			i++; /* the newline */
		if (n >= sizeof line) {
			taxii_users_free(u);
			return errf(err, errlen, "%s:%zu: line too long", name, lineno);
		}
		memcpy(line, buf + start, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			taxii_users_free(u);
			return errf(err, errlen, "%s:%zu: NUL byte", name, lineno);
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strspn(line, " \t") == n || line[strspn(line, " \t")] == '#')
			continue;
		if (s_line(&user, line, msg, sizeof msg) != 0) {
			taxii_users_free(u);
			return errf(err, errlen, "%s:%zu: %s", name, lineno, msg);
		}
		if (taxii_users_find(u, user.name) != NULL) {
			taxii_users_free(u);
			return errf(err, errlen, "%s:%zu: user %s appears twice", name, lineno,
			    user.name);
		}
		if (taxii_users_add(u, &user) != 0) {
			taxii_users_free(u);
			return errf(err, errlen, "%s:%zu: more than %d users", name, lineno,
			    TAXII_USERS_MAX);
		}
	}
	return 0;
}

int
taxii_users_load(struct taxii_users *u, const char *path, struct stat *st, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	taxii_users_free(u);
	memset(st, 0, sizeof *st);
	if (stat(path, st) != 0) {
		memset(st, 0, sizeof *st);
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if ((st->st_mode & 077) != 0)
		return errf(err, errlen,
		    "%s: readable or writable by others (mode %03o): chmod 600 it", path,
		    (unsigned)(st->st_mode & 0777));
	if (file_read_all(path, USERS_FILE_MAX, &buf, &len) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	rc = taxii_users_parse(u, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

int
taxii_users_write(const struct taxii_users *u, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	fprintf(f, "# socmesh TAXII users (socmesh taxii user add|remove): NAME MAX_TLP HASH\n");
	for (size_t i = 0; i < u->n; i++)
		fprintf(f, "%s %s %s\n", u->v[i].name, msg_tlp_name((enum msg_tlp)u->v[i].max_tlp),
		    u->v[i].hash);
	return file_write_memstream(path, f, &buf, &len, 0600, err, errlen);
}
