/*
 * ioc — typed indicators of compromise: validation and the one normalized
 * form under which the same indicator always matches (docs/PROTOCOL.md,
 * "Indicators").  Pure code, no allocation.
 */
#ifndef SOCMESH_IOC_H
#define SOCMESH_IOC_H

#include <stddef.h>

enum ioc_type {
	IOC_IPV4,
	IOC_IPV6,
	IOC_CIDR,
	IOC_DOMAIN,
	IOC_URL,
	IOC_EMAIL,
	IOC_MD5,
	IOC_SHA1,
	IOC_SHA256,
	IOC_FILENAME,
	IOC_CVE,
	IOC_ASN,
	IOC_JA3,
};
#define IOC_TYPE_COUNT 13
#define IOC_MAX_VALUE  2048 /* bytes of a normalized value */

/* "ipv4" ... "ja3"; parse returns the type or -1. */
const char *ioc_type_name(enum ioc_type t);
int ioc_type_parse(const char *s, size_t n);

/*
 * Validate the n bytes at in as an indicator of type t and write its
 * normalized form, NUL-terminated, to out (cap bytes, at least
 * IOC_MAX_VALUE + 1).  Returns the normalized length, or -1 when the input
 * is not a valid indicator of that type.
 */
int ioc_normalize(enum ioc_type t, const char *in, size_t n, char *out, size_t cap)
    __attribute__((warn_unused_result));

/*
 * The most specific type that accepts the n bytes at in, for queries that
 * give a value without a type (an address before a domain, a sha256 before a
 * filename), or -1 if none does.  md5-length hex guesses md5, not ja3.
 */
int ioc_guess(const char *in, size_t n);

#endif
