/* Fuzz target: the node directory's file parsers on the same input: the
 * two INI files (socmesh.conf, trust.conf) and the secret key file
 * (node.key, mode 0600).
 *
 * The parsers take paths only (config_load, trust_load, keys_load), so the
 * input goes into one file that all three read: DIR/node.key, rewritten in
 * place for each input (pwrite, ftruncate) on a memory file system
 * (/dev/shm) when there is one.  No disk, few system calls; still, each
 * input costs about a dozen of them, which bounds the speed.  Parsing
 * straight from memory needs entry points over a buffer in common/util.c
 * (inifile_parse), config.c, trust.c and keys.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "keys.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_dir[64], s_key[96];

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
	static int fd = -1;
	struct config c;
	struct keys *k;
	char err[512];

	if (fd == -1) {
		struct stat st;
		const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
		                           access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(s_dir, sizeof s_dir, "%s/socmesh-fuzz-XXXXXX", base);
		if ((t = trust_new()) == NULL || mkdtemp(s_dir) == NULL)
			abort();
		snprintf(s_key, sizeof s_key, "%s/%s", s_dir, KEYS_SECRET_FILE);
		if ((fd = open(s_key, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
			abort();
		atexit(s_cleanup);
	}
	if (ftruncate(fd, (off_t)size) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	(void)config_load(&c, s_key, err, sizeof err);
	(void)trust_load(t, s_key, err, sizeof err);
	k = keys_load(s_dir, err, sizeof err);
	keys_destroy(&k);
	return 0;
}
