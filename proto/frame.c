#include "frame.h"

#include <stdio.h>
#include <string.h>

static const char *const s_errors[] = {
	"success",
	"frame payload of the wrong length",
	"malformed HELLO",
	"unknown reconciliation role",
	"unknown refusal kind or class",
	"malformed refusal reason",
};

const char *
frame_strerror(int err)
{
	return (err <= 0 && err >= FRAME_E_REASON) ? s_errors[-err] : "unknown error";
}

static bool
s_token_byte(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e;
}

static bool
s_token(const uint8_t *p, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s_token_byte(p[i]))
			return false;
	return true;
}

size_t
frame_hello_write(char out[FRAME_HELLO_MAX], const uint8_t *trust)
{
	int n = snprintf(out, FRAME_HELLO_MAX, "socmesh/%d", FRAME_VERSION);

	if (trust != NULL) {
		n += snprintf(out + n, FRAME_HELLO_MAX - (size_t)n, " trust=");
		for (int i = 0; i < FRAME_TRUST_LEN / 2; i++)
			n += snprintf(out + n, FRAME_HELLO_MAX - (size_t)n, "%02x", trust[i]);
	}
	return (size_t)n;
}

int
frame_hello_read(struct frame_hello *h, const uint8_t *p, size_t len)
{
	static const char magic[] = "socmesh/";
	size_t i = sizeof magic - 1, start;
	unsigned v = 0;

	memset(h, 0, sizeof *h);
	if (len == 0) {
		h->version = 1;
		return FRAME_OK;
	}
	if (len > FRAME_HELLO_MAX || len <= i || memcmp(p, magic, i) != 0)
		return FRAME_E_HELLO;
	/* The version: a decimal number without leading zeros, 1..99999. */
	for (start = i; i < len && p[i] >= '0' && p[i] <= '9' && i - start < 5; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	if (i == start || p[start] == '0')
		return FRAME_E_HELLO;
	h->version = v;
	while (i < len) {
		if (p[i++] != ' ')
			return FRAME_E_HELLO;
		for (start = i; i < len && p[i] != ' '; i++)
			if (!s_token_byte(p[i]))
				return FRAME_E_HELLO;
		if (i == start)
			return FRAME_E_HELLO;
		if (i - start == 6 + FRAME_TRUST_LEN && memcmp(p + start, "trust=", 6) == 0) {
			memcpy(h->trust, p + start + 6, FRAME_TRUST_LEN);
			h->has_trust = true;
		}
	}
	return FRAME_OK;
}

void
frame_recon_head(uint8_t out[FRAME_XID_HEAD], uint8_t role, uint32_t xid)
{
	out[0] = role;
	for (int i = 0; i < 4; i++)
		out[1 + i] = (uint8_t)(xid >> (24 - 8 * i));
}

static uint32_t
s_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
frame_recon_read(struct frame_recon *r, const uint8_t *p, size_t len)
{
	if (len < FRAME_XID_HEAD || len > FRAME_RECON_MAX)
		return FRAME_E_SIZE;
	if (p[0] != FRAME_INITIATOR && p[0] != FRAME_RESPONDER)
		return FRAME_E_ROLE;
	r->role = p[0];
	r->xid = s_be32(p + 1);
	r->body = p + FRAME_XID_HEAD;
	r->len = len - FRAME_XID_HEAD;
	return FRAME_OK;
}

int
frame_want_count(size_t len)
{
	if (len == 0 || len % RECON_PREFIX_LEN != 0 || len / RECON_PREFIX_LEN > FRAME_WANT_MAX)
		return FRAME_E_SIZE;
	return (int)(len / RECON_PREFIX_LEN);
}

size_t
frame_refuse_write(uint8_t out[FRAME_REFUSE_MAX], const struct frame_refuse *r)
{
	size_t n = 0, rl = strlen(r->reason);

	if (!s_token((const uint8_t *)r->reason, rl, FRAME_REASON_MAX) ||
	    (r->what != FRAME_REFUSE_MSG && r->what != FRAME_REFUSE_XCHG) ||
	    (r->what == FRAME_REFUSE_MSG && r->cls != FRAME_PERMANENT &&
	        r->cls != FRAME_PROVISIONAL))
		return 0;
	out[n++] = r->what;
	if (r->what == FRAME_REFUSE_MSG) {
		memcpy(out + n, r->id, 32);
		n += 32;
		out[n++] = r->cls;
	} else {
		for (int i = 0; i < 4; i++)
			out[n++] = (uint8_t)(r->xid >> (24 - 8 * i));
	}
	memcpy(out + n, r->reason, rl);
	return n + rl;
}

int
frame_refuse_read(struct frame_refuse *r, const uint8_t *p, size_t len)
{
	size_t head;

	memset(r, 0, sizeof *r);
	if (len < 2 || len > FRAME_REFUSE_MAX)
		return FRAME_E_SIZE;
	r->what = p[0];
	if (r->what == FRAME_REFUSE_MSG) {
		head = 1 + 32 + 1;
		if (len <= head)
			return FRAME_E_SIZE;
		memcpy(r->id, p + 1, 32);
		r->cls = p[33];
		if (r->cls != FRAME_PERMANENT && r->cls != FRAME_PROVISIONAL)
			return FRAME_E_WHAT;
	} else if (r->what == FRAME_REFUSE_XCHG) {
		head = 1 + 4;
		if (len <= head)
			return FRAME_E_SIZE;
		r->xid = s_be32(p + 1);
	} else
		return FRAME_E_WHAT;
	if (!s_token(p + head, len - head, FRAME_REASON_MAX))
		return FRAME_E_REASON;
	memcpy(r->reason, p + head, len - head);
	return FRAME_OK;
}
