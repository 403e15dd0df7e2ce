#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define PATHSZ  4096
#define HEXLINE 65 /* 64 hex digits and '\n' */

static int
s_path(char *buf, const char *dir, const char *name, char *err, size_t errlen)
{
	int n = snprintf(buf, PATHSZ, "%s/%s", dir, name);

	if (n < 0 || n >= PATHSZ) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	return 0;
}

/* One line of 64 hex digits, the line end optional, into out. */
static int
s_parse_line(uint8_t out[32], const char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return hex_decode(out, 32, buf, len);
}

/* A secret line into the new file path (mode 0600), complete or not at all:
 * written to PATH.tmp (O_EXCL), fsync'd, then linked into place.  Never
 * replaces a file: -1 with errno EEXIST ("PATH already exists; refusing to
 * overwrite WHAT"). */
static int
s_create(const char *path, const char *line, const char *what, char *err, size_t errlen)
{
	char tmp[PATHSZ];
	struct stat st;
	int fd, e;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen, "%s already exists; refusing to overwrite %s", path, what);
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		if (e == EEXIST)
			snprintf(err, errlen,
			    "%s exists, left by an interrupted run; "
			    "remove it and try again",
			    tmp);
		else
			snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		errno = e == EEXIST ? EBUSY : e;
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || fd_write_all(fd, line, HEXLINE) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		errno = e;
		return -1;
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		errno = e;
		return -1;
	}
	/* link() rather than rename(): it fails instead of replacing a key
	 * that appeared since the check above. */
	if (link(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		if (e == EEXIST)
			snprintf(err, errlen, "%s already exists; refusing to overwrite %s", path,
			    what);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	unlink(tmp);
	if (file_sync_dir(path) != 0) {
		e = errno;
		unlink(path);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int
keys_generate(const char *dir, char *err, size_t errlen)
{
	char key_path[PATHSZ], id_path[PATHSZ];
	uint8_t seed[32], pk[32], sk[64];
	char line[HEXLINE + 1];
	int e, rc = -1;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	if (s_path(key_path, dir, KEYS_SECRET_FILE, err, errlen) != 0 ||
	    s_path(id_path, dir, KEYS_PUBLIC_FILE, err, errlen) != 0)
		return -1;

	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	hex_encode(line, seed, sizeof seed);
	line[64] = '\n';
	line[65] = '\0';
	if (s_create(key_path, line, "the node's secret key", err, errlen) != 0)
		goto out;

	hex_encode(line, pk, sizeof pk);
	line[64] = '\n';
	if (file_write_atomic(id_path, line, HEXLINE, 0644) != 0) {
		/* Nobody has seen this identity yet: take it back, so that the
		 * next attempt can start over. */
		e = errno;
		unlink(key_path);
		(void)file_sync_dir(key_path);
		snprintf(err, errlen, "%s: %s", id_path, strerror(e));
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(line, sizeof line);
	return rc;
}

struct keys *
keys_parse(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
	uint8_t seed[32];
	struct keys *k = NULL;

	if (sodium_init() < 0) {
		errf(err, errlen, "libsodium could not be initialised");
		return NULL;
	}
	if (s_parse_line(seed, buf, len) != 0) {
		errf(err, errlen, "%s: malformed secret key: expected one line of 64 hex digits",
		    name);
		goto out;
	}
	if ((k = sodium_malloc(sizeof *k)) == NULL) {
		errf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	if (crypto_sign_ed25519_pk_to_curve25519(k->curve_pk, k->pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(k->curve_sk, k->sk) != 0) {
		errf(err, errlen, "%s: cannot derive the X25519 key", name);
		keys_destroy(&k);
	}
out:
	sodium_memzero(seed, sizeof seed);
	return k;
}

/* The secret file at path, checked as keys_load() says, into buf (at
 * most HEXLINE + 3 bytes: room to notice a longer file); its length, or
 * -1 with err set. */
static ssize_t
s_read(const char *path, char buf[HEXLINE + 3], char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO in its place must not hang the node; it is
	 * refused below as not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen,
			    "%s: is a symbolic link; the secret key must be "
			    "a regular file",
			    path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		    "%s: permissions %04o are too open; the secret key must "
		    "not be readable by others (run: chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	while (len < HEXLINE + 3) {
		ssize_t n = read(fd, buf + len, HEXLINE + 3 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

struct keys *
keys_load(const char *dir, char *err, size_t errlen)
{
	char path[PATHSZ];
	char buf[HEXLINE + 3];
	struct keys *k = NULL;
	ssize_t len;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return NULL;
	}
	if (s_path(path, dir, KEYS_SECRET_FILE, err, errlen) != 0)
		return NULL;
	/* A file that filled buf is longer than any key line: keys_parse()
	 * refuses the first sizeof buf bytes as it would the whole file. */
	if ((len = s_read(path, buf, err, errlen)) >= 0)
		k = keys_parse(buf, (size_t)len, path, err, errlen);
	sodium_memzero(buf, sizeof buf);
	return k;
}

int
keys_secret_create(const char *path, uint8_t secret[32], char *err, size_t errlen)
{
	char line[HEXLINE + 1];
	int rc, e;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	randombytes_buf(secret, 32);
	hex_encode(line, secret, 32);
	line[64] = '\n';
	line[65] = '\0';
	rc = s_create(path, line, "a secret key", err, errlen);
	e = errno;
	sodium_memzero(line, sizeof line);
	if (rc != 0)
		sodium_memzero(secret, 32);
	errno = e;
	return rc;
}

int
keys_secret_read(const char *path, uint8_t secret[32], char *err, size_t errlen)
{
	char buf[HEXLINE + 3];
	ssize_t len = s_read(path, buf, err, errlen);
	int rc = -1;

	if (len >= 0 && (rc = s_parse_line(secret, buf, (size_t)len)) != 0)
		snprintf(err, errlen,
		    "%s: malformed secret key: expected one line of 64 hex digits", path);
	if (rc != 0)
		sodium_memzero(secret, 32);
	sodium_memzero(buf, sizeof buf);
	return rc;
}

void
keys_destroy(struct keys **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	sodium_free(*kp); /* zeroes before it frees */
	*kp = NULL;
}

int
keys_read_id(const char *dir, uint8_t id[32], char *err, size_t errlen)
{
	char path[PATHSZ];
	uint8_t curve[32];
	char *buf;
	size_t len;

	if (s_path(path, dir, KEYS_PUBLIC_FILE, err, errlen) != 0)
		return -1;
	if (file_read_all(path, 256, &buf, &len) != 0) {
		if (errno == EFBIG)
			snprintf(err, errlen,
			    "%s: malformed node id: expected one line of 64 hex "
			    "digits",
			    path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (s_parse_line(id, buf, len) != 0) {
		free(buf);
		snprintf(err, errlen, "%s: malformed node id: expected one line of 64 hex digits",
		    path);
		return -1;
	}
	free(buf);
	if (keys_curve_pk(curve, id) != 0) {
		snprintf(err, errlen, "%s: not a valid Ed25519 public key", path);
		return -1;
	}
	return 0;
}

int
keys_curve_pk(uint8_t curve[32], const uint8_t ed_pk[32])
{
	return crypto_sign_ed25519_pk_to_curve25519(curve, ed_pk) == 0 ? 0 : -1;
}
