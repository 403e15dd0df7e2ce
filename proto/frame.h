/*
 * frame — the payloads of the peer protocol's frames (docs/PROTOCOL.md,
 * section 13): HELLO, RECON, WANT, PING/PONG and REFUSE.  MSG carries a
 * message (msg.h).  Pure code, no I/O, no allocation: readers take
 * untrusted bytes and either fill a struct that borrows them or return a
 * negative frame_err; writers fill a caller's buffer.
 */
#ifndef SOCMESH_FRAME_H
#define SOCMESH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recon.h"

#define FRAME_VERSION     5 /* the highest protocol version spoken here */
#define FRAME_VERSION_MIN 2 /* the lowest (an empty HELLO is version 1) */
#define FRAME_HELLO_MAX   512
#define FRAME_TOKEN_LEN   8  /* PING and PONG */
#define FRAME_TRUST_LEN   16 /* hex digits of HELLO's trust= feature */
#define FRAME_XID_HEAD    5  /* RECON: role, xid */
#define FRAME_RECON_MAX   (FRAME_XID_HEAD + RECON_MAX_MSG)
#define FRAME_WANT_MAX    4096 /* prefixes in one WANT */
#define FRAME_REASON_MAX  64
#define FRAME_REFUSE_MAX  (1 + 32 + 1 + FRAME_REASON_MAX)

enum frame_err {
	FRAME_OK = 0,
	FRAME_E_SIZE = -1,   /* payload of the wrong length for its command */
	FRAME_E_HELLO = -2,  /* not "socmesh/N[ feature]...", or a bad byte */
	FRAME_E_ROLE = -3,   /* RECON role other than 0 or 1 */
	FRAME_E_WHAT = -4,   /* REFUSE of an unknown kind, or a bad class */
	FRAME_E_REASON = -5, /* REFUSE reason empty, too long or not a token */
};
const char *frame_strerror(int err);

/* RECON roles: who wrote the frame. */
enum { FRAME_INITIATOR = 0, FRAME_RESPONDER = 1 };
/* REFUSE kinds and classes. */
enum { FRAME_REFUSE_MSG = 1, FRAME_REFUSE_XCHG = 2 };
enum { FRAME_PERMANENT = 0, FRAME_PROVISIONAL = 1 };

struct frame_hello {
	unsigned version; /* 1 for an empty payload */
	bool has_trust;
	char trust[FRAME_TRUST_LEN + 1]; /* the trust= value, when has_trust */
};

/* HELLO of this node (version FRAME_VERSION, trust= when trust is not
 * NULL: 8 bytes, written as 16 hex digits) into out; returns its length. */
size_t frame_hello_write(char out[FRAME_HELLO_MAX], const uint8_t *trust);
/* Unknown features are skipped; a version above ours is kept as sent. */
int frame_hello_read(struct frame_hello *h, const uint8_t *p, size_t len)
    __attribute__((warn_unused_result));

struct frame_recon {
	uint8_t role;
	uint32_t xid;
	const uint8_t *body; /* borrowed; len 0: the exchange ends */
	size_t len;
};
void frame_recon_head(uint8_t out[FRAME_XID_HEAD], uint8_t role, uint32_t xid);
int frame_recon_read(struct frame_recon *r, const uint8_t *p, size_t len)
    __attribute__((warn_unused_result));

/* The number of prefixes in a WANT payload of len bytes, or FRAME_E_SIZE. */
int frame_want_count(size_t len);

struct frame_refuse {
	uint8_t what;   /* FRAME_REFUSE_MSG or FRAME_REFUSE_XCHG */
	uint8_t id[32]; /* MSG */
	uint8_t cls;    /* MSG: FRAME_PERMANENT or FRAME_PROVISIONAL */
	uint32_t xid;   /* XCHG */
	char reason[FRAME_REASON_MAX + 1];
};
/* Returns the length written; 0 when reason is not a token, or what or
 * cls is none of the values above. */
size_t frame_refuse_write(uint8_t out[FRAME_REFUSE_MAX], const struct frame_refuse *r);
int frame_refuse_read(struct frame_refuse *r, const uint8_t *p, size_t len)
    __attribute__((warn_unused_result));

#endif
