/*
 * mp — a bounded msgpack pull reader over a byte buffer, for untrusted
 * input.  It allocates nothing, hands out views into the buffer, and checks
 * every declared length and count against the bytes that remain before
 * anyone can act on it (an element takes at least one byte), which is what
 * msgpack-c's own unpacker does not do.
 *
 * Only the types the socmesh format uses are read: positive integers,
 * booleans, str, bin, array and map.  Any other type is MSG_E_TYPE.  Which
 * integer or length form was used is not checked here: the codec checks
 * canonical form by re-encoding (msg.c).
 */
#ifndef SOCMESH_MP_H
#define SOCMESH_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_reader {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the last */
};

/* Each returns MSG_OK, MSG_E_TRUNCATED or MSG_E_TYPE (enum msg_err) and
 * advances past the element only on success. */
int mp_read_uint(struct mp_reader *r, uint64_t *v);
int mp_read_bool(struct mp_reader *r, bool *v);
int mp_read_str(struct mp_reader *r, const char **s, size_t *n);
int mp_read_bin(struct mp_reader *r, const uint8_t **b, size_t *n);
/* Reads an array header; *n elements follow, each at least one byte. */
int mp_read_array(struct mp_reader *r, size_t *n);
/* Reads a map header; *n key/value pairs follow, each at least two bytes. */
int mp_read_map(struct mp_reader *r, size_t *n);
/* True when the next element is a str equal to the NUL-terminated key. */
bool mp_peek_str(const struct mp_reader *r, const char *key);

#endif
