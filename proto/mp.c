#include "mp.h"

#include <string.h>

#include "msg.h"

static size_t
s_left(const struct mp_reader *r)
{
	return (size_t)(r->end - r->p);
}

/* Big-endian integer of width w (1, 2, 4 or 8) at p. */
static uint64_t
s_be(const uint8_t *p, size_t w)
{
	uint64_t v = 0;
	for (size_t i = 0; i < w; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Decodes the header of the next element: its type class (one of the
 * first bytes below), its length or count or value, and the header size.
 * Everything after the header (string bytes, elements) is not consumed.
 */
enum { H_UINT, H_BOOL, H_STR, H_BIN, H_ARRAY, H_MAP };

static int
s_header(const struct mp_reader *r, int *cls, uint64_t *val, size_t *hlen)
{
	size_t w = 0;
	uint8_t b;

	if (s_left(r) < 1)
		return MSG_E_TRUNCATED;
	b = r->p[0];
	if (b <= 0x7f) {
		*cls = H_UINT, *val = b, *hlen = 1;
		return MSG_OK;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		*cls = H_STR, *val = b & 0x1f, *hlen = 1;
		return MSG_OK;
	}
	if (b >= 0x90 && b <= 0x9f) {
		*cls = H_ARRAY, *val = b & 0x0f, *hlen = 1;
		return MSG_OK;
	}
	if (b >= 0x80 && b <= 0x8f) {
		*cls = H_MAP, *val = b & 0x0f, *hlen = 1;
		return MSG_OK;
	}
	switch (b) {
	case 0xc2:
	case 0xc3:
		*cls = H_BOOL, *val = b == 0xc3, *hlen = 1;
		return MSG_OK;
	case 0xcc:
		*cls = H_UINT, w = 1;
		break;
	case 0xcd:
		*cls = H_UINT, w = 2;
		break;
	case 0xce:
		*cls = H_UINT, w = 4;
		break;
	case 0xcf:
		*cls = H_UINT, w = 8;
		break;
	case 0xd9:
		*cls = H_STR, w = 1;
		break;
	case 0xda:
		*cls = H_STR, w = 2;
		break;
	case 0xdb:
		*cls = H_STR, w = 4;
		break;
	case 0xc4:
		*cls = H_BIN, w = 1;
		break;
	case 0xc5:
		*cls = H_BIN, w = 2;
		break;
	case 0xc6:
		*cls = H_BIN, w = 4;
		break;
	case 0xdc:
		*cls = H_ARRAY, w = 2;
		break;
	case 0xdd:
		*cls = H_ARRAY, w = 4;
		break;
	case 0xde:
		*cls = H_MAP, w = 2;
		break;
	case 0xdf:
		*cls = H_MAP, w = 4;
		break;
	default:
		return MSG_E_TYPE;
	}
	if (s_left(r) < 1 + w)
		return MSG_E_TRUNCATED;
	*val = s_be(r->p + 1, w);
	*hlen = 1 + w;
	return MSG_OK;
}

/* Reads a header of class want; `unit` is the least number of bytes each
 * counted item takes after the header (1 for bytes and array elements, 2
 * for map pairs, 0 for scalars). */
static int
s_read(struct mp_reader *r, int want, size_t unit, uint64_t *val)
{
	int cls, err;
	size_t hlen;

	if ((err = s_header(r, &cls, val, &hlen)) != MSG_OK)
		return err;
	if (cls != want)
		return MSG_E_TYPE;
	if (unit > 0 && *val > (s_left(r) - hlen) / unit)
		return MSG_E_TRUNCATED;
	r->p += hlen;
	return MSG_OK;
}

int
mp_read_uint(struct mp_reader *r, uint64_t *v)
{
	return s_read(r, H_UINT, 0, v);
}

int
mp_read_bool(struct mp_reader *r, bool *v)
{
	uint64_t x;
	int err = s_read(r, H_BOOL, 0, &x);
	if (err == MSG_OK)
		*v = x != 0;
	return err;
}

static int
s_read_bytes(struct mp_reader *r, int cls, const uint8_t **b, size_t *n)
{
	uint64_t len;
	int err = s_read(r, cls, 1, &len);
	if (err != MSG_OK)
		return err;
	*b = r->p;
	*n = (size_t)len;
	r->p += len;
	return MSG_OK;
}

int
mp_read_str(struct mp_reader *r, const char **s, size_t *n)
{
	return s_read_bytes(r, H_STR, (const uint8_t **)s, n);
}

int
mp_read_bin(struct mp_reader *r, const uint8_t **b, size_t *n)
{
	return s_read_bytes(r, H_BIN, b, n);
}

int
mp_read_array(struct mp_reader *r, size_t *n)
{
	uint64_t v = 0;
	int err = s_read(r, H_ARRAY, 1, &v);
	*n = (size_t)v;
	return err;
}

int
mp_read_map(struct mp_reader *r, size_t *n)
{
	uint64_t v = 0;
	int err = s_read(r, H_MAP, 2, &v);
	*n = (size_t)v;
	return err;
}

bool
mp_peek_str(const struct mp_reader *r, const char *key)
{
	struct mp_reader tmp = *r;
	const char *s;
	size_t n;

	return mp_read_str(&tmp, &s, &n) == MSG_OK && n == strlen(key) && memcmp(s, key, n) == 0;
}
