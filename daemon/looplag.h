/*
 * looplag — how late the event loop runs: a timer due every
 * LOOPLAG_PERIOD_MS notes how much later than due it ran, which is how long
 * something else held the loop (a control request, a peer's frame, an
 * exchange step).  The last minute's samples are kept; stats reports
 * their 99th percentile and maximum.
 */
#ifndef SOCMESH_LOOPLAG_H
#define SOCMESH_LOOPLAG_H

#include <czmq.h>
#include <stdint.h>

#define LOOPLAG_PERIOD_MS 10

struct looplag;

/* Starts the timer on loop.  Caller owns the result: looplag_destroy()
 * (before the loop goes).  NULL when out of memory. */
struct looplag *looplag_new(zloop_t *loop);
void looplag_destroy(struct looplag **lp);

/* The last minute's lags, in microseconds: the 99th percentile and the
 * largest (both 0 before the first sample). */
void looplag_get(const struct looplag *l, uint64_t *p99_us, uint64_t *max_us);

#endif
