/*
 * index_lessons — what the network learned, by kind of incident: the
 * KS_LESSON keys (keyspace.h) of the incidents and updates that carry what
 * their case taught (detection, effects, response or lessons, PROTOCOL.md
 * section 5.1).
 *
 * Such a message has the key KS_LESSON alone (every lesson) and, when it
 * names a category, KS_LESSON || the category's wire word ("fraud").  An
 * update that names no category (it leaves the case's as it is) is listed
 * with every lesson, not under a category.  For an addressed message this
 * node reads, the index function seals both keys (iocseal.h), like every
 * other key.  `socmesh lessons` and `query --has-lessons` look these keys
 * up, never scan the store.
 */
#ifndef SOCMESH_INDEX_LESSONS_H
#define SOCMESH_INDEX_LESSONS_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace.h"

/* The key to look up: every lesson (category -1) or those of one category
 * (enum msg_category), into out; its length. */
size_t index_lessons_key(uint8_t out[KS_MAX_KEY], int category);

#endif
