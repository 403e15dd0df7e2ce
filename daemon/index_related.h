/*
 * index_related — the keys under which a case finds the cases related to
 * it (socmesh related, socmesh campaigns), derived from a message's body
 * by index_related_keys() into the store's indicator index (keyspace.h).
 * The keys, after their key-space byte:
 *
 *   KS_DOMAIN  the registered domain (the Public Suffix List, libpsl's
 *              built-in list) of a domain, of a URL's host name and of an
 *              email address's domain: "evil.co.uk" for
 *              "cdn.login.evil.co.uk"
 *   KS_IP4     the 4 bytes of an ipv4 indicator or of a URL's host address
 *   KS_IP6     the 16 bytes of an ipv6 one
 *   KS_NET4    a cidr indicator's prefix length (1 byte), then its network
 *              (4 bytes, host bits clear)
 *   KS_NET6    the same in 1 + 16 bytes
 *   KS_ATTACK  an ATT&CK technique id as given, and for a sub-technique
 *              ("T1566.001") its parent ("T1566") too
 *   KS_CASE    the category (1 byte), the day of the message's time (4
 *              bytes, days since 1970-01-01, big-endian), then a sector:
 *              one key per sector of a body that has a category
 *
 * Addresses and networks are binary and big-endian, so that the addresses
 * inside a network are one range of keys (related_net_range()) and the
 * networks that hold an address are one exact key per prefix length
 * (related_net_key()).  The keys of a message are the same whenever they
 * are computed, as long as libpsl's built-in list is the same.
 */
#ifndef SOCMESH_INDEX_RELATED_H
#define SOCMESH_INDEX_RELATED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace.h"
#include "msg.h"

#define RELATED_DAY_MS (86400000ull)

/* index_related_keys(), declared in keyspace.h: the keys above of m (its
 * body is there); 0, or -1 when out of memory. */

/* The network key of addr (4 bytes, or 16 when v6) at prefix length
 * plen (at most 32 or 128), its space byte first, into out: its length. */
size_t related_net_key(uint8_t out[18], bool v6, const uint8_t *addr, unsigned plen);

/* The address keys inside network key net (KS_NET4 or KS_NET6, nlen
 * bytes): the lowest into lo, the highest into hi, their length, or 0
 * when net is no network key. */
size_t related_net_range(const uint8_t *net, size_t nlen, uint8_t lo[17], uint8_t hi[17]);

/* A derived key in words, NUL-terminated in out (cap bytes, 300 are
 * enough): "evil.co.uk", "203.0.113.7", "203.0.113.0/24", "T1566",
 * "intrusions/health 2026-12-01"; -1 when key is none of the above. */
int related_key_text(const uint8_t *key, size_t len, char *out, size_t cap);

#endif
