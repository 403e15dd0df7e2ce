/* Fuzz target: what a TAXII client sends before it is authenticated or
 * looked up (taxii.h): the input split at its first two NUL bytes into a
 * URL parameter's key and value, taken by taxii_query_param(), then the
 * query matched; the whole input as an Accept and a Content-Type header,
 * as a timestamp, and as a users file.  Properties: a parameter refused
 * says why in one line; a query accepted keeps its limit within 1 and
 * TAXII_LIMIT_MAX; a users file parsed holds valid names, never RED. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256];
	const char *key, *value;
	struct taxii_query q;
	struct taxii_users u = { 0 };
	uint64_t ms;
	size_t n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	key = s;
	n = strlen(key);
	value = n < size ? s + n + 1 : "";
	taxii_query_init(&q);
	err[0] = '\0';
	if (taxii_query_param(&q, key, value, err, sizeof err) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
	} else if (q.limit < 1 || q.limit > TAXII_LIMIT_MAX)
		abort();
	(void)taxii_query_match(&q, value, key);
	taxii_query_free(&q);
	(void)taxii_accepts(s);
	(void)taxii_content_type_ok(s);
	(void)taxii_time_parse(s, &ms);
	if (taxii_users_parse(&u, (const char *)data, size, "fuzz", err, sizeof err) == 0)
		for (size_t i = 0; i < u.n; i++)
			if (!taxii_valid_name(u.v[i].name) || u.v[i].max_tlp < 0 ||
			    u.v[i].max_tlp >= MSG_TLP_RED)
				abort();
	taxii_users_free(&u);
	free(s);
	return 0;
}
