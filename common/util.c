#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <ini.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- hex and ids ------------------------------------------------------ */

void
hex_encode(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int
hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	size_t got = 0;

	if (outlen > SIZE_MAX / 2 || inlen != 2 * outlen)
		return -1;
	if (sodium_hex2bin(out, outlen, in, inlen, NULL, &got, NULL) != 0 || got != outlen)
		return -1;
	return 0;
}

int
id_parse(uint8_t out[32], const char *s)
{
	if (s == NULL || strnlen(s, 65) != 64)
		return -1;
	return hex_decode(out, 32, s, 64);
}

/* ---- sizes and durations ---------------------------------------------- */

/* Leading decimal digits of s into *v; *end after them.  -1 when there are
 * none or they overflow. */
static int
s_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (p == s)
		return -1;
	*v = x;
	*end = p;
	return 0;
}

static int
s_mul(uint64_t v, uint64_t by, uint64_t *out)
{
	if (by != 0 && v > UINT64_MAX / by)
		return -1;
	*out = v * by;
	return 0;
}

int
parse_uint(const char *s, uint64_t *out)
{
	const char *p;
	uint64_t v;

	if (s == NULL || s_digits(s, &v, &p) != 0 || *p != '\0')
		return -1;
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t v, mul = 1;
	const char *p;
	const char *u;

	if (s == NULL || s_digits(s, &v, &p) != 0)
		return -1;
	if (*p != '\0' && (u = strchr(units, tolower((unsigned char)*p))) != NULL) {
		for (ptrdiff_t i = 0; i <= u - units; i++)
			mul *= 1024;
		p++;
		if (tolower((unsigned char)*p) == 'i' && tolower((unsigned char)p[1]) == 'b')
			p += 2;
		else if (tolower((unsigned char)*p) == 'b')
			p++;
	} else if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p != '\0')
		return -1;
	return s_mul(v, mul, out);
}

static const struct {
	const char *name;
	uint64_t ms;
} s_units[] = {
	/* Largest first: format_duration() picks the first that divides. */
	{ "w", 7ull * 24 * 3600 * 1000 },
	{ "d", 24ull * 3600 * 1000 },
	{ "h", 3600ull * 1000 },
	{ "m", 60ull * 1000 },
	{ "s", 1000 },
	{ "ms", 1 },
	/* 365 days: parsed (--since 1y); never formatted, as d divides it. */
	{ "y", 365ull * 24 * 3600 * 1000 },
};

int
parse_duration(const char *s, uint64_t *ms)
{
	uint64_t v;
	const char *p;

	if (s == NULL || s_digits(s, &v, &p) != 0)
		return -1;
	if (*p == '\0')
		return s_mul(v, 1000, ms);
	for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
		if (strcmp(p, s_units[i].name) == 0)
			return s_mul(v, s_units[i].ms, ms);
	return -1;
}

void
format_size(char buf[FORMAT_BUFSZ], uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (v != 0 && u < 3 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, FORMAT_BUFSZ, "%llu", (unsigned long long)v);
	else
		snprintf(buf, FORMAT_BUFSZ, "%llu%c", (unsigned long long)v, units[u]);
}

void
format_duration(char buf[FORMAT_BUFSZ], uint64_t ms)
{
	size_t i = 0;

	if (ms == 0) {
		snprintf(buf, FORMAT_BUFSZ, "0s");
		return;
	}
	while (ms % s_units[i].ms != 0)
		i++;
	snprintf(buf, FORMAT_BUFSZ, "%llu%s", (unsigned long long)(ms / s_units[i].ms),
	    s_units[i].name);
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- files ------------------------------------------------------------ */

int
file_sync_dir(const char *path)
{
	char *dir = strdup(path);
	char *slash;
	int fd, rc, e;

	if (dir == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	free(dir);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int
fd_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	int fd = -1, e;

	if (tmp == NULL)
		return -1;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	/* The mode is part of the contract (secrets, shared files): the umask
	 * must not change it. */
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, data, len) != 0 || fsync(fd) != 0)
		goto fail_unlink;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail_unlink;
	free(tmp);
	return file_sync_dir(path);

fail_unlink:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
fail:
	e = errno;
	free(tmp);
	errno = e;
	return -1;
}

int
file_read_all(const char *path, size_t max, char **out, size_t *outlen)
{
	size_t len = 0, cap;
	char *buf, *nb;
	struct stat st;
	int fd, e;

	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;
	/* O_NONBLOCK: a FIFO must not hang the caller. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Size the buffer from fstat, but trust only what read() returns: the
	 * file may change, or not be a regular file. */
	cap = 4096;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > max) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		cap = (size_t)st.st_size + 1;
	}
	if (cap > max + 1)
		cap = max + 1;
	if ((buf = malloc(cap + 1)) == NULL)
		goto fail;
	for (;;) {
		ssize_t n;
		if (len == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return -1;
}

/* ---- INI files -------------------------------------------------------- */

struct s_ini {
	const struct inifile_ops *ops;
	void *user;
	const char *buf;
	size_t len, pos;
	int line;          /* lines handed to inih so far */
	char section[256]; /* current section, as written (inih truncates) */
	int section_line;  /* 0 before the first section */
	int errline;       /* 0 until the first error */
	char msg[512];
};

static void
s_ini_error(struct s_ini *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
s_ini_error(struct s_ini *s, int line, const char *fmt, ...)
{
	va_list ap;

	if (s->errline != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof s->msg, fmt, ap);
	va_end(ap);
	s->errline = line;
}

static void
s_ini_end_section(struct s_ini *s)
{
	if (s->section_line == 0 || s->ops->section_end == NULL || s->errline != 0)
		return;
	if (s->ops->section_end(s->user, s->section, s->msg, sizeof s->msg) != 0)
		s->errline = s->section_line;
}

/*
 * Hand inih one line at a time, after looking at it ourselves: we count
 * lines, refuse lines inih would split, drop leading blanks (so that inih
 * never sees a continuation line), and take section names in full.
 * Returning NULL ends the parse; we do so at the first error.
 */
static char *
s_ini_reader(char *str, int num, void *stream)
{
	struct s_ini *s = stream;
	const char *p, *nl, *q;
	size_t n, clen, max;

	if (s->errline != 0 || s->pos >= s->len)
		return NULL;
	if (s->pos == 0 && s->len >= 3 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0)
		s->pos = 3;
	p = s->buf + s->pos;
	nl = memchr(p, '\n', s->len - s->pos);
	n = nl != NULL ? (size_t)(nl - p) + 1 : s->len - s->pos;
	s->pos += n;
	s->line++;
	clen = n;
	if (clen > 0 && p[clen - 1] == '\n')
		clen--;
	if (clen > 0 && p[clen - 1] == '\r')
		clen--;
	max = num > 3 && (size_t)num - 3 < INIFILE_MAX_LINE ? (size_t)num - 3 : INIFILE_MAX_LINE;
	if (memchr(p, '\0', clen) != NULL) {
		s_ini_error(s, s->line, "NUL byte in line");
		return NULL;
	}
	if (clen > max) {
		s_ini_error(s, s->line, "line longer than %zu characters", max);
		return NULL;
	}
	while (clen > 0 && isspace((unsigned char)*p)) {
		p++;
		clen--;
	}
	memcpy(str, p, clen);
	str[clen] = '\n';
	str[clen + 1] = '\0';

	if (clen == 0 || *p != '[')
		return str;
	q = memchr(p, ']', clen);
	if (q == NULL) {
		s_ini_error(s, s->line, "missing ']' in section header");
		return NULL;
	}
	for (const char *r = q + 1; r < p + clen; r++) {
		if (*r == ';' || *r == '#')
			break;
		if (!isspace((unsigned char)*r)) {
			s_ini_error(s, s->line, "unexpected text after section header");
			return NULL;
		}
	}
	s_ini_end_section(s);
	if (s->errline != 0)
		return NULL;
	if ((size_t)(q - p - 1) >= sizeof s->section) {
		s_ini_error(s, s->line, "section name too long");
		return NULL;
	}
	memcpy(s->section, p + 1, (size_t)(q - p - 1));
	s->section[q - p - 1] = '\0';
	s->section_line = s->line;
	if (s->ops->section != NULL &&
	    s->ops->section(s->user, s->section, s->msg, sizeof s->msg) != 0) {
		s->errline = s->line;
		return NULL;
	}
	return str;
}

static int
s_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct s_ini *s = user;

	(void)section; /* ours is not truncated */
	if (s->errline != 0)
		return 0;
	if (s->section_line == 0) {
		s_ini_error(s, s->line, "key '%s' before any [section]", name);
		return 0;
	}
	if (s->ops->key != NULL &&
	    s->ops->key(s->user, s->section, name, value, s->msg, sizeof s->msg) != 0) {
		s->errline = s->line;
		return 0;
	}
	return 1;
}

int
inifile_parse_buf(const char *buf, size_t len, const char *name, const struct inifile_ops *ops,
    void *user, char *err, size_t errlen)
{
	struct s_ini s;
	int rc;

	/* Line numbers are ints, in inih as here: no more lines than that. */
	if (len > INT_MAX)
		return errf(err, errlen, "%s: %s", name, strerror(EFBIG));
	memset(&s, 0, sizeof s);
	s.ops = ops;
	s.user = user;
	s.buf = buf;
	s.len = len;
	rc = ini_parse_stream(s_ini_reader, &s, s_ini_handler, &s);
	if (rc == 0 && s.errline == 0)
		s_ini_end_section(&s);
	if (rc == -2)
		return errf(err, errlen, "%s: out of memory", name);
	/* inih reports lines it cannot parse without calling us. */
	if (rc > 0 && (s.errline == 0 || rc < s.errline))
		return errf(err, errlen, "%s:%d: syntax error: expected [section] or key = value",
		    name, rc);
	if (s.errline != 0)
		return errf(err, errlen, "%s:%d: %s", name, s.errline, s.msg);
	return 0;
}

int
inifile_parse(const char *path, size_t max, const struct inifile_ops *ops, void *user, char *err,
    size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if (file_read_all(path, max, &buf, &len) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	rc = inifile_parse_buf(buf, len, path, ops, user, err, errlen);
	free(buf);
	return rc;
}

int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
file_write_memstream(const char *path, FILE *f, char **buf, size_t *len, mode_t mode, char *err,
    size_t errlen)
{
	int rc;

	if (fclose(f) != 0 || *buf == NULL) {
		free(*buf);
		*buf = NULL;
		return errf(err, errlen, "%s: out of memory", path);
	}
	rc = file_write_atomic(path, *buf, *len, mode);
	if (rc != 0)
		errf(err, errlen, "%s: %s", path, strerror(errno));
	free(*buf);
	*buf = NULL;
	return rc;
}

int
file_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	return fd;
}
