/* Fuzz target: the node directory's file parsers on the same input: the
 * two INI files (socmesh.conf, trust.conf) and the secret key file
 * (node.key).
 *
 * The input goes straight from memory to the parsers that config_load,
 * trust_load and keys_load call once they have read the file:
 * config_parse, trust_parse (both over inifile_parse_buf) and keys_parse.
 * No file is written or read per input, and the buffer has no NUL after
 * it, so a parser that reads past its length shows up under ASan.  What
 * only the path-based functions do (open and read, the size limit while
 * reading, the key file's type and mode) is left to the unit tests. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "keys.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct config c;
	struct trust *t;
	struct keys *k;
	char err[512];

	if ((t = trust_new()) == NULL)
		abort();
	(void)config_parse(&c, buf, size, CONFIG_FILE, err, sizeof err);
	(void)trust_parse(t, buf, size, TRUST_FILE, err, sizeof err);
	trust_destroy(&t);
	k = keys_parse(buf, size, KEYS_SECRET_FILE, err, sizeof err);
	keys_destroy(&k);
	return 0;
}
