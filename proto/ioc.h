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
 * The one type whose strict form the n bytes at in have, or -1: the type
 * of a value given without one.  Stricter than ioc_normalize(), so that a
 * mistake is an error rather than an indicator that never matches:
 *   asn     "AS" and digits (a bare number is no ASN)
 *   ipv4, ipv6, cidr, cve, sha256, sha1, md5   as ioc_normalize() (32 hex
 *           digits are an md5, never a ja3)
 *   url     with a host that is an address ([IPv6] in brackets) or a host
 *           name, and a port of digits if any
 *   email   with a domain as below
 *   domain  two labels or more, the last of letters (or xn--...): digits
 *           and dots are never a domain ("300.1.1.1" has no type)
 * A file name (anything without a slash) and a ja3 are never inferred.
 */
int ioc_infer(const char *in, size_t n);

/* An indicator read from what a person wrote. */
struct ioc_value {
	enum ioc_type type;
	size_t len;
	char value[IOC_MAX_VALUE + 1]; /* normalized, NUL-terminated */
};

/*
 * A value as people write it (publish, query), of the type named by the
 * tlen bytes at type (in any case), or inferred (ioc_infer()) when type is
 * NULL.  Unless it is a file name, the value is refanged first: hxxp:// and
 * hxxps:// (in any case) become http:// and https://, and [.] and (.) a
 * dot, [:] a colon, [@] an at sign.  The normalized indicator goes into *v.
 * 0, or -1 with one line in err naming the value as given (its first 200
 * bytes): "unknown type 'hash'", "'300.1.1.1' is not a valid ipv4",
 * "'300.1.1.1' is not a valid indicator of any type (write TYPE:VALUE)".
 */
int ioc_parse(const char *type, size_t tlen, const char *in, size_t n, struct ioc_value *v,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * "TYPE:VALUE" or a value alone, as ioc_parse().  What comes before the
 * first colon is a type when it reads like a type name: 2 to 16 letters,
 * digits and '-', a letter first, not all hex digits (not the "fe80" of an
 * IPv6 address; "https" of a URL reads like one but is none, and the URL
 * is a value).  A word that reads like a type but is none is an error when
 * the whole is a valid file name: "unknown type 'hash' (a file name with a
 * colon: filename:hash:abc)" (a mistyped type never becomes a file name).
 */
int ioc_parse_text(const char *in, size_t n, struct ioc_value *v, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
