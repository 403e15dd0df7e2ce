/* Fuzz target: a MISP warning list read (warninglist.h), then matched
 * against indicators of every type, the input itself among them.
 * Properties: a list refused adds nothing (nothing matches an empty set);
 * a list added once more adds a list, never an error; whatever matches
 * is a name that the set holds (of at most WARNINGLIST_NAME_MAX bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warninglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	enum ioc_type t;
	const char *v;
} s_probes[] = {
	{ IOC_IPV4, "8.8.8.8" },
	{ IOC_IPV6, "2606:4700:4700::1111" },
	{ IOC_CIDR, "10.1.0.0/16" },
	{ IOC_CIDR, "2001:db8::/48" },
	{ IOC_DOMAIN, "a.b.example.com" },
	{ IOC_URL, "https://u@[2001:db8::1]:8443/p?q#f" },
	{ IOC_URL, "http://www.example.com./x" },
	{ IOC_EMAIL, "me@mail.example.com" },
	{ IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e" },
	{ IOC_FILENAME, "x" },
};

/* Each probe and the input as a value of every type. */
static void
s_match_all(const struct warninglists *w, const char *in, size_t n, int empty)
{
	const char *name;

	for (size_t i = 0; i < sizeof s_probes / sizeof s_probes[0]; i++) {
		name = warninglist_match(w, s_probes[i].t, s_probes[i].v, strlen(s_probes[i].v));
		if ((empty && name != NULL) ||
		    (name != NULL && strlen(name) > WARNINGLIST_NAME_MAX))
			abort();
	}
	for (int t = 0; t < IOC_TYPE_COUNT && n <= IOC_MAX_VALUE; t++) {
		name = warninglist_match(w, (enum ioc_type)t, in, n);
		if ((empty && name != NULL) ||
		    (name != NULL && strlen(name) > WARNINGLIST_NAME_MAX))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct warninglists *w = warninglists_new();
	const char *in = (const char *)data;
	char err[512];
	int rc;

	if (w == NULL)
		abort();
	rc = warninglists_add(w, in, size, "fuzz.json", err, sizeof err);
	if ((rc != 0 && warninglists_count(w) != 0) || (rc == 0 && warninglists_count(w) != 1))
		abort();
	s_match_all(w, in, size, rc != 0);
	if (rc == 0 &&
	    (warninglists_add(w, in, size, "fuzz.json", err, sizeof err) != 0 ||
	        warninglists_count(w) != 2))
		abort();
	s_match_all(w, in, size, rc != 0);
	warninglists_destroy(&w);
	return 0;
}
