/* Fuzz target: the node directory's file parsers on the same input: the
 * two INI files (socmesh.conf, trust.conf) through a memory file, and the
 * secret key file (node.key, mode 0600) in a scratch directory. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "keys.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_dir[] = "/tmp/socmesh-fuzz-XXXXXX", s_key[64];

static void
s_cleanup(void)
{
	unlink(s_key);
	rmdir(s_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trust *t;
	struct config c;
	struct keys *k;
	char path[64], err[512];
	int fd;

	if (t == NULL) {
		if ((t = trust_new()) == NULL || mkdtemp(s_dir) == NULL)
			abort();
		snprintf(s_key, sizeof s_key, "%s/%s", s_dir, KEYS_SECRET_FILE);
		atexit(s_cleanup);
	}
	if ((fd = memfd_create("fuzz", 0)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	(void)config_load(&c, path, err, sizeof err);
	(void)trust_load(t, path, err, sizeof err);
	close(fd);

	if ((fd = open(s_key, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	k = keys_load(s_dir, err, sizeof err);
	keys_destroy(&k);
	return 0;
}
