/*
 * utf8 — the text rule of the format: well-formed UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF) without C0 controls or DEL, except
 * line feed and tab where UTF8_MULTILINE allows them.
 */
#ifndef SOCMESH_UTF8_H
#define SOCMESH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#define UTF8_MULTILINE 0x1

/* True when the n bytes at p follow the rule. */
bool utf8_valid(const char *p, size_t n, unsigned flags);

#endif
