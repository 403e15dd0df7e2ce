/*
 * bench_recon — reconciliation cost: bytes exchanged and rounds to find D
 * differences between two sets of N messages, against the bytes of
 * sending every id (N x 32).  Goal (issue 3): under 1% for N = 100,000 and
 * D = 100.  Environment: BENCH_RECON_N, BENCH_RECON_D (default 100000, 100).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "recon.h"

int
main(void)
{
	size_t n = bench_env("BENCH_RECON_N", 100000), d = bench_env("BENCH_RECON_D", 100);
	struct recon_set *a = recon_set_new(), *b = recon_set_new();
	struct recon_result ra = { 0 }, rb = { 0 };
	struct recon_buf msg = { 0 }, reply = { 0 };
	uint8_t id[32];
	size_t bytes, msgs = 1;
	struct timespec t0, t1;

	if (sodium_init() < 0 || a == NULL || b == NULL)
		return 1;
	/* n shared messages over a year; d more, half on each side. */
	for (size_t i = 0; i < n + d; i++) {
		uint64_t t = 1735689600000ULL + randombytes_uniform(365u * 86400u) * 1000ULL;
		randombytes_buf(id, sizeof id);
		if (i < n || i % 2 == 0)
			recon_set_add(a, t, id);
		if (i < n || i % 2 == 1)
			recon_set_add(b, t, id);
	}
	if (recon_set_seal(a) || recon_set_seal(b))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (recon_initiate(a, &msg) != 0)
		return 1;
	bytes = msg.len;
	for (;;) {
		reply.len = 0;
		if (recon_reply(msgs % 2 ? b : a, msg.p, msg.len, &reply, msgs % 2 ? &rb : &ra) !=
		    RECON_OK)
			return 1;
		bytes += reply.len;
		if (reply.len == 0)
			break;
		struct recon_buf t = msg;
		msg = reply, reply = t;
		msgs++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Each difference is found once, by the side that reads the id list. */
	size_t found = ra.nhave + ra.nneed + rb.nhave + rb.nneed;
	double all = (double)n * 32,
	       ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("bench_recon: %zu messages each, %zu differences (half on each side)\n", n, d);
	printf("  found %zu differences in %zu messages (%.1f ms of CPU, both sides)\n", found,
	    msgs, ms);
	printf("  bytes exchanged %zu = %.2f%% of sending all ids (%.0f bytes; goal under 1%%)\n",
	    bytes, 100.0 * (double)bytes / all, all);
	free(msg.p), free(reply.p);
	recon_result_free(&ra), recon_result_free(&rb);
	recon_set_destroy(&a), recon_set_destroy(&b);
	return found == d ? 0 : 1;
}
