/*
 * timefmt — the one text form of times: RFC 3339 in UTC with milliseconds
 * ("2026-11-22T06:21:36.000Z"), and the inputs people type for a time.
 */
#ifndef SOCMESH_TIMEFMT_H
#define SOCMESH_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_LEN 32

/* Formats ms since the epoch into out (TIMEFMT_LEN bytes). */
void timefmt_format(char out[TIMEFMT_LEN], uint64_t ms);

/*
 * Parses an absolute time: RFC 3339 ("2026-11-22T06:21:36Z", fraction and
 * numeric offset allowed, also a bare date "2026-11-22"), or a duration
 * before now ("90m", "7d": see parse_duration).  Returns 0 or -1.
 */
int timefmt_parse(const char *s, uint64_t now, uint64_t *ms);

#endif
