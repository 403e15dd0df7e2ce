/*
 * The peer protocol's frames (proto/frame.h) against docs/PROTOCOL.md:
 * the ```frame-vector blocks of section 13.10, read from the document, are
 * built with frame.c's writers and must come out byte for byte, and parsed
 * back with its readers and must give the inputs back; then tables of
 * malformed payloads, each breaking one rule of section 13.2, must be
 * refused with the right error, and payloads at the edges of the same rules
 * accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "frame.h"
#include "recon.h"
#include "util.h"

#define MAXV   32
#define MAXREP 8

struct fv {
	char name[64], command[16];
	long version;              /* HELLO; -1 when absent */
	char feature[MAXREP][128]; /* HELLO */
	size_t nfeature;
	char role[16], xid[16]; /* RECON, REFUSE 0x02 */
	uint8_t body[1024];     /* RECON */
	size_t nbody;
	long item[MAXREP]; /* WANT, REFUSE 0x01 */
	size_t nitem;
	char token[32];                      /* PING, PONG */
	char what[16], cls[16], reason[128]; /* REFUSE */
	long length;
	uint8_t payload[1024];
	size_t npayload;
};

static struct fv s_v[MAXV];
static size_t s_nv;

static void
s_hex_append(uint8_t *buf, size_t cap, size_t *len, const char *hex)
{
	size_t n = strlen(hex) / 2;

	assert_int_equal(strlen(hex) % 2, 0);
	assert_true(*len + n <= cap);
	assert_int_equal(hex_decode(buf + *len, n, hex, strlen(hex)), 0);
	*len += n;
}

static void
s_copy(char *dst, size_t cap, const char *val)
{
	assert_true(strlen(val) < cap);
	memcpy(dst, val, strlen(val) + 1);
}

static int
s_load(void **state)
{
	FILE *f = fopen("docs/PROTOCOL.md", "r");
	char line[1024];
	struct fv *v = NULL;

	(void)state;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "```frame-vector") == 0) {
			if (s_nv == MAXV)
				break;
			v = &s_v[s_nv++];
			memset(v, 0, sizeof *v);
			v->version = -1;
			v->length = -1;
			continue;
		}
		if (v == NULL)
			continue;
		if (strcmp(line, "```") == 0) {
			v = NULL;
			continue;
		}
		char *colon = strstr(line, ": ");
		if (colon == NULL) {
			fclose(f);
			return -1;
		}
		*colon = '\0';
		const char *k = line, *val = colon + 2;
		if (strcmp(k, "name") == 0)
			s_copy(v->name, sizeof v->name, val);
		else if (strcmp(k, "command") == 0)
			s_copy(v->command, sizeof v->command, val);
		else if (strcmp(k, "version") == 0)
			v->version = strtol(val, NULL, 10);
		else if (strcmp(k, "feature") == 0 && v->nfeature < MAXREP)
			s_copy(v->feature[v->nfeature++], sizeof v->feature[0], val);
		else if (strcmp(k, "role") == 0)
			s_copy(v->role, sizeof v->role, val);
		else if (strcmp(k, "xid") == 0)
			s_copy(v->xid, sizeof v->xid, val);
		else if (strcmp(k, "body") == 0)
			s_hex_append(v->body, sizeof v->body, &v->nbody, val);
		else if (strcmp(k, "item") == 0 && v->nitem < MAXREP)
			v->item[v->nitem++] = strtol(val, NULL, 10);
		else if (strcmp(k, "token") == 0)
			s_copy(v->token, sizeof v->token, val);
		else if (strcmp(k, "what") == 0)
			s_copy(v->what, sizeof v->what, val);
		else if (strcmp(k, "class") == 0)
			s_copy(v->cls, sizeof v->cls, val);
		else if (strcmp(k, "reason") == 0)
			s_copy(v->reason, sizeof v->reason, val);
		else if (strcmp(k, "length") == 0)
			v->length = strtol(val, NULL, 10);
		else if (strcmp(k, "payload") == 0)
			s_hex_append(v->payload, sizeof v->payload, &v->npayload, val);
		else {
			fprintf(stderr, "frame-vector %s: unknown key %s\n", v->name, k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return s_nv > 0 ? 0 : -1;
}

static const struct fv *
s_find(const char *name)
{
	for (size_t i = 0; i < s_nv; i++)
		if (strcmp(s_v[i].name, name) == 0)
			return &s_v[i];
	return NULL;
}

/* The id of item i of section 12.4: BLAKE2b-256 of the single byte i. */
static void
s_item(uint8_t id[32], long i)
{
	uint8_t b = (uint8_t)i;

	assert_true(i >= 0 && i <= 255);
	crypto_generichash(id, 32, &b, 1, NULL, 0);
}

static uint32_t
s_xid(const struct fv *v)
{
	uint8_t b[4];

	assert_int_equal(strlen(v->xid), 8);
	assert_int_equal(hex_decode(b, 4, v->xid, 8), 0);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static size_t
s_count(const char *command)
{
	size_t n = 0;

	for (size_t i = 0; i < s_nv; i++)
		n += strcmp(s_v[i].command, command) == 0;
	return n;
}

/* Every vector is well formed, and every frame of section 13.2 but MSG
 * has one. */
static void
test_vectors_present(void **state)
{
	static const char *const names[] = { "hello", "hello-later", "hello-v1", "recon-open",
		"recon-answer", "recon-end", "want", "ping", "pong", "refuse-message",
		"refuse-exchange" };
	static const char *const commands[] = { "HELLO", "RECON", "WANT", "PING", "PONG",
		"REFUSE" };

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (s_find(names[i]) == NULL)
			fail_msg("no frame-vector named %s", names[i]);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (s_count(commands[i]) == 0)
			fail_msg("no frame-vector for %s", commands[i]);
	for (size_t i = 0; i < s_nv; i++) {
		assert_true(s_v[i].name[0] != '\0');
		if (s_v[i].length != (long)s_v[i].npayload)
			fail_msg("%s: length %ld, payload lines hold %zu bytes", s_v[i].name,
			    s_v[i].length, s_v[i].npayload);
	}
}

static void
test_hello(void **state)
{
	size_t written = 0, checked = 0;

	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		const struct fv *v = &s_v[i];
		struct frame_hello h;
		const char *trust = NULL;
		bool only_trust = true;
		if (strcmp(v->command, "HELLO") != 0)
			continue;
		assert_true(v->version >= 1);
		for (size_t k = 0; k < v->nfeature; k++)
			if (strncmp(v->feature[k], "trust=", 6) == 0 && strlen(v->feature[k]) == 22)
				trust = v->feature[k] + 6;
			else
				only_trust = false;
		/* Reading. */
		memset(&h, 0xa5, sizeof h);
		assert_int_equal(frame_hello_read(&h, v->payload, v->npayload), FRAME_OK);
		assert_int_equal(h.version, (unsigned)v->version);
		assert_int_equal(h.has_trust, trust != NULL);
		if (trust != NULL)
			assert_string_equal(h.trust, trust);
		checked++;
		/* Writing: what this node writes (its version, trust= alone). */
		if (v->version == FRAME_VERSION && only_trust && v->nfeature <= 1) {
			char out[FRAME_HELLO_MAX];
			uint8_t tb[FRAME_TRUST_LEN / 2];
			size_t n;
			if (trust != NULL)
				assert_int_equal(hex_decode(tb, sizeof tb, trust, strlen(trust)),
				    0);
			n = frame_hello_write(out, trust != NULL ? tb : NULL);
			assert_int_equal(n, v->npayload);
			assert_memory_equal(out, v->payload, n);
			written++;
		}
	}
	assert_true(checked >= 3);
	assert_true(written >= 1);
}

static void
test_recon(void **state)
{
	size_t opens = 0, ends = 0;

	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		const struct fv *v = &s_v[i];
		uint8_t out[sizeof v->payload];
		struct frame_recon r;
		uint8_t role = 0xff;
		if (strcmp(v->command, "RECON") != 0)
			continue;
		if (strcmp(v->role, "initiator") == 0)
			role = FRAME_INITIATOR;
		else if (strcmp(v->role, "responder") == 0)
			role = FRAME_RESPONDER;
		else
			fail_msg("%s: role %s", v->name, v->role);
		assert_true(FRAME_XID_HEAD + v->nbody <= sizeof out);
		frame_recon_head(out, role, s_xid(v));
		memcpy(out + FRAME_XID_HEAD, v->body, v->nbody);
		assert_int_equal(FRAME_XID_HEAD + v->nbody, v->npayload);
		assert_memory_equal(out, v->payload, v->npayload);

		memset(&r, 0xa5, sizeof r);
		assert_int_equal(frame_recon_read(&r, v->payload, v->npayload), FRAME_OK);
		assert_int_equal(r.role, role);
		assert_int_equal(r.xid, s_xid(v));
		assert_int_equal(r.len, v->nbody);
		assert_ptr_equal(r.body, v->payload + FRAME_XID_HEAD);
		ends += v->nbody == 0;
		/* The opening frame carries recon.c's opening message over set A
		 * of section 12.4. */
		if (role == FRAME_INITIATOR && v->nbody > 0) {
			struct recon_set *a = recon_set_new();
			struct recon_buf m = { 0 };
			assert_non_null(a);
			for (uint8_t k = 0; k < 10; k++) {
				uint8_t id[32];
				s_item(id, k);
				assert_int_equal(recon_set_add(a, 1000 + 10 * (k / 2), id), 0);
			}
			assert_int_equal(recon_set_seal(a), 0);
			assert_int_equal(recon_initiate(a, &m), 0);
			assert_int_equal(m.len, v->nbody);
			assert_memory_equal(m.p, v->body, m.len);
			free(m.p);
			recon_set_destroy(&a);
			opens++;
		}
	}
	assert_int_equal(opens, 1);
	assert_int_equal(ends, 1);
}

static void
test_want(void **state)
{
	size_t seen = 0;

	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		const struct fv *v = &s_v[i];
		uint8_t out[FRAME_WANT_MAX * RECON_PREFIX_LEN];
		if (strcmp(v->command, "WANT") != 0)
			continue;
		assert_true(v->nitem > 0);
		for (size_t k = 0; k < v->nitem; k++) {
			uint8_t id[32];
			s_item(id, v->item[k]);
			memcpy(out + k * RECON_PREFIX_LEN, id, RECON_PREFIX_LEN);
		}
		assert_int_equal(v->nitem * RECON_PREFIX_LEN, v->npayload);
		assert_memory_equal(out, v->payload, v->npayload);
		assert_int_equal(frame_want_count(v->npayload), (int)v->nitem);
		seen++;
	}
	assert_true(seen >= 1);
}

static void
test_ping_pong(void **state)
{
	size_t seen = 0;

	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		const struct fv *v = &s_v[i];
		uint8_t tok[FRAME_TOKEN_LEN];
		if (strcmp(v->command, "PING") != 0 && strcmp(v->command, "PONG") != 0)
			continue;
		assert_int_equal(strlen(v->token), 2 * FRAME_TOKEN_LEN);
		assert_int_equal(hex_decode(tok, sizeof tok, v->token, strlen(v->token)), 0);
		assert_int_equal(v->npayload, FRAME_TOKEN_LEN);
		assert_memory_equal(tok, v->payload, FRAME_TOKEN_LEN);
		seen++;
	}
	assert_int_equal(seen, 2);
}

static void
test_refuse(void **state)
{
	size_t msgs = 0, xchgs = 0;

	(void)state;
	for (size_t i = 0; i < s_nv; i++) {
		const struct fv *v = &s_v[i];
		struct frame_refuse in, back;
		uint8_t out[FRAME_REFUSE_MAX];
		size_t n;
		if (strcmp(v->command, "REFUSE") != 0)
			continue;
		memset(&in, 0, sizeof in);
		if (strcmp(v->what, "message") == 0) {
			in.what = FRAME_REFUSE_MSG;
			assert_int_equal(v->nitem, 1);
			s_item(in.id, v->item[0]);
			if (strcmp(v->cls, "permanent") == 0)
				in.cls = FRAME_PERMANENT;
			else if (strcmp(v->cls, "provisional") == 0)
				in.cls = FRAME_PROVISIONAL;
			else
				fail_msg("%s: class %s", v->name, v->cls);
			msgs++;
		} else if (strcmp(v->what, "exchange") == 0) {
			in.what = FRAME_REFUSE_XCHG;
			in.xid = s_xid(v);
			xchgs++;
		} else
			fail_msg("%s: what %s", v->name, v->what);
		assert_true(strlen(v->reason) <= FRAME_REASON_MAX);
		memcpy(in.reason, v->reason, strlen(v->reason) + 1);
		n = frame_refuse_write(out, &in);
		assert_int_equal(n, v->npayload);
		assert_memory_equal(out, v->payload, n);

		memset(&back, 0xa5, sizeof back);
		assert_int_equal(frame_refuse_read(&back, v->payload, v->npayload), FRAME_OK);
		assert_int_equal(back.what, in.what);
		assert_string_equal(back.reason, in.reason);
		if (in.what == FRAME_REFUSE_MSG) {
			assert_memory_equal(back.id, in.id, 32);
			assert_int_equal(back.cls, in.cls);
		} else
			assert_int_equal(back.xid, in.xid);
	}
	assert_int_equal(msgs, 1);
	assert_int_equal(xchgs, 1);
}

/* ---- rejections and edges ---------------------------------------------- */

/* A payload of n bytes: head, then fill up to n. */
static uint8_t *
s_make(const char *head, size_t hlen, int fill, size_t n)
{
	uint8_t *p = malloc(n > 0 ? n : 1);

	assert_non_null(p);
	memset(p, fill, n);
	memcpy(p, head, hlen < n ? hlen : n);
	return p;
}

static void
test_hello_rules(void **state)
{
	static const struct {
		const char *p;
		int err;
		unsigned version;
		const char *trust; /* NULL: none */
	} cases[] = {
		{ "socmesh/2", FRAME_OK, 2, NULL },
		{ "socmesh/1", FRAME_OK, 1, NULL },
		{ "socmesh/99999", FRAME_OK, 99999, NULL },
		{ "socmesh/10 a b", FRAME_OK, 10, NULL },
		{ "socmesh/2 trust=0123456789abcde", FRAME_OK, 2, NULL },   /* 15 digits: unknown */
		{ "socmesh/2 trust=0123456789abcdef0", FRAME_OK, 2, NULL }, /* 17 digits: unknown */
		{ "socmesh/2 trust=0000000000000000 trust=1111111111111111", FRAME_OK, 2,
		    "1111111111111111" }, /* the last one */
		{ "socmesh/2 x=y trust=aaaaaaaaaaaaaaaa ~!", FRAME_OK, 2, "aaaaaaaaaaaaaaaa" },
		{ "socmesh/", FRAME_E_HELLO, 0, NULL },
		{ "socmesh", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/0", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/02", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/123456", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2x", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2xa", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2\x7f"
		  "a",
		    FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2 a,b trust=0123456789abcdef", FRAME_OK, 2, "0123456789abcdef" },
		{ "socmesh/2 ", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2  x", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2\tx", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2 a\x7f", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2 caf\xc3\xa9", FRAME_E_HELLO, 0, NULL },
		{ "Socmesh/2", FRAME_E_HELLO, 0, NULL },
		{ " socmesh/2", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/-2", FRAME_E_HELLO, 0, NULL },
		{ "socmesh/2\n", FRAME_E_HELLO, 0, NULL },
	};
	struct frame_hello h;
	uint8_t *p;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = frame_hello_read(&h, (const uint8_t *)cases[i].p, strlen(cases[i].p));
		if (rc != cases[i].err)
			fail_msg("HELLO '%s': %d, expected %d", cases[i].p, rc, cases[i].err);
		if (rc != FRAME_OK)
			continue;
		assert_int_equal(h.version, cases[i].version);
		assert_int_equal(h.has_trust, cases[i].trust != NULL);
		if (cases[i].trust != NULL)
			assert_string_equal(h.trust, cases[i].trust);
	}
	/* A NUL inside is a bad byte, not an end. */
	assert_int_equal(frame_hello_read(&h, (const uint8_t *)"socmesh/2 a\0b", 13),
	    FRAME_E_HELLO);
	/* The empty HELLO is version 1. */
	memset(&h, 0xa5, sizeof h);
	assert_int_equal(frame_hello_read(&h, (const uint8_t *)"", 0), FRAME_OK);
	assert_int_equal(h.version, 1);
	assert_false(h.has_trust);
	/* 512 bytes in all, not one more. */
	p = s_make("socmesh/2 ", 10, 'x', FRAME_HELLO_MAX + 1);
	assert_int_equal(frame_hello_read(&h, p, FRAME_HELLO_MAX), FRAME_OK);
	assert_int_equal(frame_hello_read(&h, p, FRAME_HELLO_MAX + 1), FRAME_E_HELLO);
	free(p);
	/* Without a trust value, this node's HELLO is its version alone. */
	{
		char out[FRAME_HELLO_MAX];
		size_t n = frame_hello_write(out, NULL);
		assert_int_equal(n, 9);
		assert_memory_equal(out, "socmesh/5", 9);
		assert_int_equal(FRAME_VERSION, 5);
		assert_int_equal(FRAME_VERSION_MIN, 2);
	}
}

static void
test_recon_rules(void **state)
{
	struct frame_recon r;
	uint8_t *p = s_make("\x00\x12\x34\x56\x78", 5, 0x01, FRAME_RECON_MAX + 1);

	(void)state;
	assert_int_equal(FRAME_XID_HEAD, 5);
	assert_int_equal(FRAME_RECON_MAX, 5 + 524288);
	for (size_t n = 0; n < FRAME_XID_HEAD; n++)
		assert_int_equal(frame_recon_read(&r, p, n), FRAME_E_SIZE);
	assert_int_equal(frame_recon_read(&r, p, FRAME_RECON_MAX + 1), FRAME_E_SIZE);
	assert_int_equal(frame_recon_read(&r, p, FRAME_RECON_MAX), FRAME_OK);
	assert_int_equal(r.len, RECON_MAX_MSG);
	assert_int_equal(r.xid, 0x12345678u);
	/* The end: the head alone. */
	assert_int_equal(frame_recon_read(&r, p, FRAME_XID_HEAD), FRAME_OK);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.role, FRAME_INITIATOR);
	/* Roles 0 and 1 only. */
	for (unsigned role = 0; role < 256; role++) {
		p[0] = (uint8_t)role;
		assert_int_equal(frame_recon_read(&r, p, 6), role <= 1 ? FRAME_OK : FRAME_E_ROLE);
	}
	/* The head's writer: role, then the xid big-endian. */
	frame_recon_head(p, FRAME_RESPONDER, 0xfedcba98u);
	assert_memory_equal(p, "\x01\xfe\xdc\xba\x98", 5);
	free(p);
}

static void
test_want_rules(void **state)
{
	static const struct {
		size_t len;
		int count;
	} cases[] = {
		{ 0, FRAME_E_SIZE },
		{ 1, FRAME_E_SIZE },
		{ 15, FRAME_E_SIZE },
		{ 16, 1 },
		{ 17, FRAME_E_SIZE },
		{ 31, FRAME_E_SIZE },
		{ 32, 2 },
		{ 65520, 4095 },
		{ 65535, FRAME_E_SIZE },
		{ 65536, 4096 },
		{ 65537, FRAME_E_SIZE },
		{ 65552, FRAME_E_SIZE },
		{ 1u << 20, FRAME_E_SIZE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (frame_want_count(cases[i].len) != cases[i].count)
			fail_msg("WANT of %zu bytes: %d, expected %d", cases[i].len,
			    frame_want_count(cases[i].len), cases[i].count);
}

static void
test_refuse_rules(void **state)
{
	static const struct {
		const char *p;
		size_t len;
		int err;
	} cases[] = {
		{ "", 0, FRAME_E_SIZE },
		{ "\x01", 1, FRAME_E_SIZE },
		{ "\x02", 1, FRAME_E_SIZE },
		{ "\x00\x00\x00\x00\x01"
		  "busy",
		    9, FRAME_E_WHAT },
		{ "\x03\x00\x00\x00\x01"
		  "busy",
		    9, FRAME_E_WHAT },
		{ "\xff\x00\x00\x00\x01"
		  "busy",
		    9, FRAME_E_WHAT },
		{ "\x02\x00\x00\x00\x01", 5, FRAME_E_SIZE },
		{ "\x02\x00\x00\x00", 4, FRAME_E_SIZE },
		{ "\x02\x00\x00\x00\x01"
		  "bu sy",
		    10, FRAME_E_REASON },
		{ "\x02\x00\x00\x00\x01"
		  "busy\x7f",
		    10, FRAME_E_REASON },
		{ "\x02\x00\x00\x00\x01"
		  "\x80",
		    6, FRAME_E_REASON },
		{ "\x02\x00\x00\x00\x01"
		  "\x00",
		    6, FRAME_E_REASON },
		{ "\x02\x00\x00\x00\x01"
		  "busy\n",
		    10, FRAME_E_REASON },
		{ "\x02\x00\x00\x00\x01"
		  "b",
		    6, FRAME_OK },
		{ "\x02\x00\x00\x00\x01"
		  "!~",
		    7, FRAME_OK },
	};
	struct frame_refuse r;
	uint8_t p[256];

	(void)state;
	assert_int_equal(FRAME_REASON_MAX, 64);
	assert_int_equal(FRAME_REFUSE_MAX, 98);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = frame_refuse_read(&r, (const uint8_t *)cases[i].p, cases[i].len);
		if (rc != cases[i].err)
			fail_msg("REFUSE case %zu: %d, expected %d", i, rc, cases[i].err);
	}
	/* A message: id, class 0 or 1, then 1 to 64 bytes of reason. */
	memset(p, 0, sizeof p);
	p[0] = FRAME_REFUSE_MSG;
	memset(p + 34, 'x', sizeof p - 34);
	for (size_t n = 2; n <= 34; n++)
		assert_int_equal(frame_refuse_read(&r, p, n), FRAME_E_SIZE);
	assert_int_equal(frame_refuse_read(&r, p, 35), FRAME_OK);
	assert_int_equal(frame_refuse_read(&r, p, 98), FRAME_OK);
	assert_int_equal(strlen(r.reason), 64);
	assert_int_equal(frame_refuse_read(&r, p, 99), FRAME_E_SIZE);
	for (unsigned cls = 0; cls < 256; cls++) {
		p[33] = (uint8_t)cls;
		assert_int_equal(frame_refuse_read(&r, p, 40), cls <= 1 ? FRAME_OK : FRAME_E_WHAT);
	}
	p[33] = FRAME_PROVISIONAL;
	p[40] = ' ';
	assert_int_equal(frame_refuse_read(&r, p, 41), FRAME_E_REASON);
	/* An exchange: xid, then 1 to 64 bytes of reason. */
	memset(p, 'x', sizeof p);
	memcpy(p, "\x02\x00\x00\x00\x07", 5);
	assert_int_equal(frame_refuse_read(&r, p, 5 + 64), FRAME_OK);
	assert_int_equal(r.xid, 7);
	assert_int_equal(frame_refuse_read(&r, p, 5 + 65), FRAME_E_REASON);
	assert_int_equal(frame_refuse_read(&r, p, 98), FRAME_E_REASON);
	assert_int_equal(frame_refuse_read(&r, p, 99), FRAME_E_SIZE);
}

/* The writer refuses a reason that is not a token (1 to 64 bytes 0x21 to
 * 0x7e; the struct holds no more than 64). */
static void
test_refuse_write_rules(void **state)
{
	static const char *const bad[] = { "", "bu sy", "busy\n", "\x7f", "caf\xc3\xa9", "\t" };
	struct frame_refuse r = { .what = FRAME_REFUSE_XCHG, .xid = 1 };
	uint8_t out[FRAME_REFUSE_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(r.reason, sizeof r.reason, "%s", bad[i]);
		if (frame_refuse_write(out, &r) != 0)
			fail_msg("reason '%s' written", bad[i]);
	}
	snprintf(r.reason, sizeof r.reason, "!~");
	assert_int_equal(frame_refuse_write(out, &r), 7);
	assert_memory_equal(out, "\x02\x00\x00\x00\x01!~", 7);
	/* The largest refusal of a message, and its exact bytes. */
	memset(&r, 0, sizeof r);
	r.what = FRAME_REFUSE_MSG;
	memset(r.id, 0xab, sizeof r.id);
	r.cls = FRAME_PROVISIONAL;
	memset(r.reason, 'z', FRAME_REASON_MAX);
	assert_int_equal(frame_refuse_write(out, &r), FRAME_REFUSE_MAX);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0xab);
	assert_int_equal(out[32], 0xab);
	assert_int_equal(out[33], 0x01);
	assert_int_equal(out[34], 'z');
	assert_int_equal(out[97], 'z');
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(frame_strerror(FRAME_OK), "success");
	for (int e = FRAME_E_SIZE; e >= FRAME_E_REASON; e--) {
		assert_string_not_equal(frame_strerror(e), "unknown error");
		for (int k = e + 1; k >= FRAME_E_REASON && k < 0; k++)
			assert_string_not_equal(frame_strerror(e), frame_strerror(k));
	}
	assert_string_equal(frame_strerror(FRAME_E_REASON - 1), "unknown error");
	assert_string_equal(frame_strerror(1), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_present),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_recon),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_hello_rules),
		cmocka_unit_test(test_recon_rules),
		cmocka_unit_test(test_want_rules),
		cmocka_unit_test(test_refuse_rules),
		cmocka_unit_test(test_refuse_write_rules),
		cmocka_unit_test(test_strerror),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, s_load, NULL);
}
