/*
 * bench_lookup — socmesh lookup of 10,000 indicators (issue 12: under 1 s
 * against 1,000,000 stored messages), a real socmeshd under the shipped
 * defaults over a copy of the cached store of bench_cache() (prefill.c:
 * 30 origins, 5 indicators a message, one in 5 shared between origins):
 *
 *   10% of the lookups hit: an indicator of a corpus message drawn at
 *   random (its address, domain, URL, hash or shared domain alike); the
 *   others are indicators of the same types that no message carries; all
 *   shuffled, written one a line.  `socmesh lookup --json FILE` (the CLI
 *   beside BENCH_SOCMESHD) runs as a child process, its output to a file:
 *   the wall time from its start to its exit, median of RUNS runs:
 *       lookup_10k_ms_1m       (and lookup_10k_ms_100k, the same at 100,000)
 *   Each run's output must say known for exactly the hits: otherwise a
 *   WARNING line, and the figure is null.
 *
 * Environment: BENCH_LOOKUP_N (10000 indicators), BENCH_PREFILL (1000000),
 * BENCH_EXCHANGE_N (100000: the small store, shared with bench_exchange's
 * cache).  BENCH_QUICK=1: nothing at BENCH_PREFILL (null).
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "log.h"
#include "util.h"

#define RUNS      3
#define HIT_EVERY 10 /* one lookup in 10 hits */

/* A number below n, uniformly. */
static uint64_t
s_below(uint64_t n)
{
	uint64_t v;

	randombytes_buf(&v, sizeof v);
	return v % n;
}

/* The indicators to look up, into file (one a line): count of them, every
 * HIT_EVERY-th one a corpus message's among n stored.  Shuffled. */
static void
s_indicators(const char *file, size_t count, size_t n)
{
	char **line = calloc(count, sizeof *line);
	FILE *f = fopen(file, "w");

	if (line == NULL || f == NULL)
		fatalx("%s: %s", file, strerror(errno));
	for (size_t i = 0; i < count; i++) {
		char buf[256];
		if (i % HIT_EVERY == 0) {
			uint64_t m = s_below(n);
			json_t *o = bench_msg_json(m);
			snprintf(buf, sizeof buf, "%s",
			    json_string_value(json_array_get(json_object_get(o, "indicators"),
			        (size_t)s_below(BENCH_NIOC))));
			json_decref(o);
		} else {
			uint8_t h[32];
			char hex[65];
			randombytes_buf(h, sizeof h);
			hex_encode(hex, h, sizeof h);
			switch (i % 4) {
			case 0:
				snprintf(buf, sizeof buf, "172.%u.%u.%u", (h[0] & 15) | 16, h[1],
				    h[2]);
				break;
			case 1:
				snprintf(buf, sizeof buf, "miss-%.12s[.]example[.]com", hex);
				break;
			case 2:
				snprintf(buf, sizeof buf, "hxxps://miss-%.8s.example.net/x?s=%.8s",
				    hex, hex + 8);
				break;
			default:
				snprintf(buf, sizeof buf, "%s", hex);
				break;
			}
		}
		if ((line[i] = strdup(buf)) == NULL)
			fatalx("out of memory");
	}
	for (size_t i = count - 1; i > 0; i--) {
		size_t j = (size_t)s_below(i + 1);
		char *t = line[i];
		line[i] = line[j], line[j] = t;
	}
	for (size_t i = 0; i < count; i++) {
		fprintf(f, "%s\n", line[i]);
		free(line[i]);
	}
	free(line);
	if (fclose(f) != 0)
		fatalx("%s: %s", file, strerror(errno));
}

/* Lines of out saying "known":true; SIZE_MAX when it cannot be read. */
static size_t
s_known(const char *out, size_t *lines)
{
	FILE *f = fopen(out, "r");
	char *buf = NULL;
	size_t cap = 0, known = 0;

	*lines = 0;
	if (f == NULL)
		return SIZE_MAX;
	while (getline(&buf, &cap, f) > 0) {
		(*lines)++;
		known += strstr(buf, "\"known\":true") != NULL;
	}
	free(buf);
	fclose(f);
	return known;
}

/* One run of socmesh lookup over in, its output into out: the wall time,
 * ms, or NAN when it failed. */
static double
s_run(const char *cli, const char *dir, const char *in, const char *out)
{
	double t0 = bench_now();
	int status;
	pid_t pid = fork();

	if (pid == -1)
		fatalx("fork: %s", strerror(errno));
	if (pid == 0) {
		if (freopen(out, "w", stdout) == NULL)
			_exit(127);
		execl(cli, "socmesh", "--dir", dir, "lookup", "--json", in, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NAN;
	return (bench_now() - t0) * 1000;
}

/* The figure at n stored messages into key. */
static void
s_lookup(size_t n, size_t count, const char *tag, const char *key)
{
	struct bench_cache cache;
	struct bench_node *node;
	char cli[600], in[600], out[600], name[32];
	double ms[RUNS], got;
	size_t known, lines, want = (count + HIT_EVERY - 1) / HIT_EVERY;
	bool ok = true;

	bench_cache(&cache, n);
	snprintf(name, sizeof name, "L%s", tag);
	node = bench_node_copy(name, cache.a);
	bench_trust_origins(node);
	bench_start(node);
	bench_cli_path(cli, sizeof cli);
	snprintf(in, sizeof in, "%s.in", node->dir);
	snprintf(out, sizeof out, "%s.out", node->dir);
	s_indicators(in, count, n);
	for (int r = 0; r < RUNS; r++) {
		ms[r] = s_run(cli, node->dir, in, out);
		known = s_known(out, &lines);
		if (isnan(ms[r]) || lines != count || known != want) {
			printf("  WARNING: run %d at %zu: %s, %zu lines, %zu known (want %zu)\n",
			    r + 1, n, isnan(ms[r]) ? "socmesh lookup failed" : "done", lines, known,
			    want);
			ok = false;
		}
	}
	bench_stop(node);
	got = ok ? bench_pct(ms, RUNS, 50) : NAN;
	printf("  %-22s %8.0f ms  (%zu indicators, %zu hits, %zu stored; runs %.0f, %.0f, %.0f "
	       "ms)\n",
	    key, got, count, want, n, ms[0], ms[1], ms[2]);
	fflush(stdout);
	bench_result_num(key, got);
}

int
main(void)
{
	size_t count = bench_env("BENCH_LOOKUP_N", 10000),
	       big = bench_env("BENCH_PREFILL", 1000000);
	size_t small = bench_env("BENCH_EXCHANGE_N", 100000);

	bench_setup("bench_lookup");
	if (count == 0)
		fatalx("BENCH_LOOKUP_N: at least 1");
	printf("bench_lookup: socmesh lookup --json of %zu indicators (1 in %d hits), shipped "
	       "defaults, median of %d runs\n",
	    count, HIT_EVERY, RUNS);
	if (bench_quick())
		printf("  (BENCH_QUICK: nothing at %zu messages)\n", big);
	fflush(stdout);
	s_lookup(small, count, "100k", "lookup_10k_ms_100k");
	if (bench_quick())
		bench_result_num("lookup_10k_ms_1m", NAN);
	else
		s_lookup(big, count, "1m", "lookup_10k_ms_1m");
	return 0;
}
