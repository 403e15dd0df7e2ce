#include "looplag.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SAMPLES (60 * 1000 / LOOPLAG_PERIOD_MS) /* a minute's */

struct looplag {
	zloop_t *loop;
	int timer;
	uint64_t last_us; /* when the timer last ran */
	uint32_t lag[SAMPLES];
	size_t n, at;
};

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
	struct looplag *l = arg;
	uint64_t now = mono_us(), due = l->last_us + LOOPLAG_PERIOD_MS * 1000u;
	uint64_t lag = now > due ? now - due : 0;

	(void)loop, (void)timer_id;
	l->lag[l->at] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
	l->at = (l->at + 1) % SAMPLES;
	if (l->n < SAMPLES)
		l->n++;
	l->last_us = now;
	return 0;
}

struct looplag *
looplag_new(zloop_t *loop)
{
	struct looplag *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->loop = loop;
	l->last_us = mono_us();
	if ((l->timer = zloop_timer(loop, LOOPLAG_PERIOD_MS, 0, s_tick, l)) == -1) {
		free(l);
		return NULL;
	}
	return l;
}

void
looplag_destroy(struct looplag **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	zloop_timer_end((*lp)->loop, (*lp)->timer);
	free(*lp);
	*lp = NULL;
}

static int
s_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void
looplag_get(const struct looplag *l, uint64_t *p99_us, uint64_t *max_us)
{
	uint32_t v[SAMPLES];

	*p99_us = *max_us = 0;
	if (l->n == 0)
		return;
	memcpy(v, l->lag, l->n * sizeof *v);
	qsort(v, l->n, sizeof *v, s_cmp);
	*p99_us = v[(l->n * 99 - 1) / 100];
	*max_us = v[l->n - 1];
}
