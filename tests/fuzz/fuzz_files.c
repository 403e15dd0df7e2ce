/* Fuzz target: the two INI parsers (socmesh.conf and trust.conf) on the
 * same input, through a memory file. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trust *t;
	struct config c;
	char path[64], err[512];
	int fd;

	if (t == NULL && (t = trust_new()) == NULL)
		abort();
	if ((fd = memfd_create("fuzz", 0)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	(void)config_load(&c, path, err, sizeof err);
	(void)trust_load(t, path, err, sizeof err);
	close(fd);
	return 0;
}
