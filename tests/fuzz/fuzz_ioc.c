/* Fuzz target: indicator normalization and reading.  Properties: the
 * output of normalization normalizes to itself; inference never picks a
 * type that rejects the value; what ioc_parse() reads is normalized, and
 * a value read without a type is inferred as the same type once
 * normalized. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[IOC_MAX_VALUE + 1], b[IOC_MAX_VALUE + 1], err[512];
	const char *in = (const char *)data;
	struct ioc_value v;

	for (int t = 0; t < IOC_TYPE_COUNT; t++) {
		int n = ioc_normalize((enum ioc_type)t, in, size, a, sizeof a);
		if (n < 0)
			continue;
		int m = ioc_normalize((enum ioc_type)t, a, (size_t)n, b, sizeof b);
		if (m != n || memcmp(a, b, (size_t)n) != 0)
			abort();
	}
	int g = ioc_infer(in, size);
	if (g >= 0 && ioc_normalize((enum ioc_type)g, in, size, a, sizeof a) < 0)
		abort();
	if (ioc_parse(NULL, 0, in, size, &v, err, sizeof err) == 0) {
		int m = ioc_normalize(v.type, v.value, v.len, b, sizeof b);
		if (m < 0 || (size_t)m != v.len || memcmp(v.value, b, v.len) != 0 ||
		    ioc_infer(v.value, v.len) != (int)v.type)
			abort();
	}
	if (ioc_parse_text(in, size, &v, err, sizeof err) == 0 &&
	    (v.len != strlen(v.value) || ioc_normalize(v.type, v.value, v.len, b, sizeof b) < 0))
		abort();
	return 0;
}
