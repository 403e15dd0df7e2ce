/*
 * testutil — what the unit tests share: scratch directories under /tmp and
 * their removal.  Header-only (each test is one translation unit).
 */
#ifndef SOCMESH_TESTUTIL_H
#define SOCMESH_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a new directory /tmp/socmesh-test-NAME-XXXXXX in dir (64 bytes);
 * 0 or -1. */
static inline int
tu_mkdtemp(char dir[64], const char *name)
{
	snprintf(dir, 64, "/tmp/socmesh-test-%.24s-XXXXXX", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Writes text to a new or truncated file at path; 0 or -1. */
static inline int
tu_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/* Removes path and everything below it (symbolic links are not followed);
 * 0, or -1 when something stayed. */
static inline int
tu_rmrf(const char *path)
{
	struct stat sb;
	struct dirent *e;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if (lstat(path, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int n = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		rc |= (n < 0 || (size_t)n >= sizeof sub) ? -1 : tu_rmrf(sub);
	}
	closedir(d);
	return rmdir(path) | rc;
}

#endif
