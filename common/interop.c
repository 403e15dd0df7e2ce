/*
 * interop — deterministic ids and the import report (interop.h).
 */
#include "interop.h"

#include <nettle/sha1.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

void
interop_uuid_bytes(uint8_t out[16], const char *name)
{
	static const char *ns = INTEROP_NAMESPACE;
	uint8_t nsb[16], d[SHA1_DIGEST_SIZE];
	struct sha1_ctx h;
	char hex[33];
	size_t j = 0;

	/* The namespace in bytes: its hex digits, dashes left out. */
	for (size_t i = 0; ns[i] != '\0'; i++)
		if (ns[i] != '-')
			hex[j++] = ns[i];
	hex[j] = '\0';
	hex_decode(nsb, sizeof nsb, hex, j);
	sha1_init(&h);
	sha1_update(&h, sizeof nsb, nsb);
	sha1_update(&h, strlen(name), (const uint8_t *)name);
	sha1_digest(&h, sizeof d, d);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x50);
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
	memcpy(out, d, 16);
}

void
interop_uuid(char out[INTEROP_UUID_LEN + 1], const char *name)
{
	uint8_t d[16];

	interop_uuid_bytes(d, name);
	interop_uuid_text(out, d);
}

void
interop_uuid_text(char out[INTEROP_UUID_LEN + 1], const uint8_t d[16])
{
	snprintf(out, INTEROP_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1],
	    d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14],
	    d[15]);
}

int
interop_uuid_parse(uint8_t out[16], const char *s)
{
	char hex[33];
	size_t j = 0;

	for (size_t i = 0; i < INTEROP_UUID_LEN; i++) {
		if (s[i] == '\0')
			return -1;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else
			hex[j++] = s[i];
	}
	hex[j] = '\0';
	return s[INTEROP_UUID_LEN] == '\0' && hex_decode(out, 16, hex, 32) == 0 ? 0 : -1;
}

int
interop_report(json_t *report, const char *object, const char *type, const char *result,
    const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	size_t n, i;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	/* A reason cut short ends on a whole UTF-8 character. */
	n = strlen(reason);
	for (i = n; i > 0 && ((unsigned char)reason[i - 1] & 0xc0) == 0x80; i--)
		;
	if (i > 0 && (unsigned char)reason[i - 1] >= 0xc0) {
		unsigned char c = (unsigned char)reason[i - 1];
		size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n - (i - 1) < want)
			reason[i - 1] = '\0';
	}
	json_array_append_new(report,
	    json_pack("{s:s?,s:s?,s:s,s:s}", "object", object, "type", type, "result", result,
	        "reason", reason));
	return -1;
}
