/* looplag: a loop held by a slow handler shows it in the lag, an idle loop
 * shows little, and nothing is reported before the first sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "looplag.h"
#include "util.h"

/* Holds the loop for 80 ms, busy, as a long request would. */
static int
s_hold(zloop_t *loop, int timer_id, void *arg)
{
	uint64_t end = mono_us() + 80000;

	(void)loop, (void)timer_id, (void)arg;
	while (mono_us() < end)
		;
	return 0;
}

static int
s_stop(zloop_t *loop, int timer_id, void *arg)
{
	(void)loop, (void)timer_id, (void)arg;
	return -1;
}

static void
s_run(zloop_t *loop, size_t ms)
{
	zloop_timer(loop, ms, 1, s_stop, NULL);
	zloop_start(loop);
}

static void
test_idle_then_held(void **state)
{
	zloop_t *loop = zloop_new();
	struct looplag *l = looplag_new(loop);
	uint64_t p99, max;

	(void)state;
	assert_non_null(l);
	looplag_get(l, &p99, &max);
	assert_int_equal(p99, 0);
	assert_int_equal(max, 0);
	s_run(loop, 300);
	looplag_get(l, &p99, &max);
	/* Idle: late by the poll's millisecond rounding only (generous, for a
	 * loaded machine). */
	assert_true(p99 < 60000);
	zloop_timer(loop, 50, 1, s_hold, NULL);
	s_run(loop, 300);
	looplag_get(l, &p99, &max);
	assert_true(max >= 60000);
	assert_true(max >= p99);
	looplag_destroy(&l);
	assert_null(l);
	zloop_destroy(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_then_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
