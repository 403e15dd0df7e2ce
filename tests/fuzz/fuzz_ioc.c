/* Fuzz target: indicator normalization.  Properties: the output of
 * normalization normalizes to itself, and guessing never picks a type that
 * rejects the value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[IOC_MAX_VALUE + 1], b[IOC_MAX_VALUE + 1];
	const char *in = (const char *)data;

	for (int t = 0; t < IOC_TYPE_COUNT; t++) {
		int n = ioc_normalize((enum ioc_type)t, in, size, a, sizeof a);
		if (n < 0)
			continue;
		int m = ioc_normalize((enum ioc_type)t, a, (size_t)n, b, sizeof b);
		if (m != n || memcmp(a, b, (size_t)n) != 0)
			abort();
	}
	int g = ioc_guess(in, size);
	if (g >= 0 && ioc_normalize((enum ioc_type)g, in, size, a, sizeof a) < 0)
		abort();
	return 0;
}
