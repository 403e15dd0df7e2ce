/*
 * bench_text — full-text search (query --text, issue 12) over the cached
 * store of bench_cache() (the corpus of prefill.c, whose message i is
 * titled "Phishing wave I against energy suppliers"): a real socmeshd
 * over a copy of cached node A, asked QUERIES queries of two distinct
 * words drawn from the title of a message drawn at random (a fixed seed),
 * each {"cmd": "query", "text": "W1 W2", "limit": 50} on the control
 * socket, after WARMUP such queries that do not count: the p99 of the
 * round trips, each of which must return at least one message.
 *   text_query_p99_ms_1m   at BENCH_PREFILL (1,000,000) messages
 * BENCH_QUICK=1 measures at BENCH_TEXT_QUICK_N (100,000) instead, printed
 * only: the key is null.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "benchlib.h"
#include "log.h"

#define QUERIES    200
#define WARMUP     20
#define TIMEOUT_MS 10000
#define LIMIT      50

/* xorshift64: the same queries on every run. */
static uint64_t
s_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Two distinct words of message i's title (prefill.c) as one request
 * into req (len bytes). */
static void
s_request(uint64_t *x, size_t n, char *req, size_t len)
{
	char title[256], *w[16], *save = NULL;
	size_t nw = 0, a, b;
	uint64_t i;
	json_t *o;

	do
		i = s_rand(x) % n;
	while (i < 10); /* a one-digit number is no word (index_text.h) */
	o = bench_msg_json(i);
	snprintf(title, sizeof title, "%s", json_string_value(json_object_get(o, "title")));
	json_decref(o);
	for (char *t = strtok_r(title, " ", &save); t != NULL && nw < 16;
	     t = strtok_r(NULL, " ", &save))
		w[nw++] = t;
	if (nw < 2)
		fatalx("corpus: the title of message %llu has fewer than two words",
		    (unsigned long long)i);
	a = s_rand(x) % nw;
	do
		b = s_rand(x) % nw;
	while (b == a);
	snprintf(req, len, "{\"cmd\":\"query\",\"text\":\"%s %s\",\"limit\":%d}", w[a], w[b],
	    LIMIT);
}

/* One query's round trip in ms; fatalx when it fails or finds nothing. */
static double
s_query(const struct bench_node *a, const char *req)
{
	double ms;
	json_t *rep = bench_ctl(a->dir, req, TIMEOUT_MS, &ms);
	json_t *msgs = json_object_get(rep, "messages");

	if (!json_is_true(json_object_get(rep, "ok")))
		fatalx("%s: no answer or an error: %s", req,
		    json_string_value(json_object_get(rep, "error")));
	if (json_array_size(msgs) == 0)
		fatalx("%s found nothing: the cached store has no word keys (remove %s)", req,
		    "build/bench-cache");
	json_decref(rep);
	return ms;
}

int
main(void)
{
	size_t n = bench_quick() ? bench_env("BENCH_TEXT_QUICK_N", 100000)
	                         : bench_env("BENCH_PREFILL", 1000000);
	struct bench_cache k;
	struct bench_node *a;
	double ms[QUERIES], p50, p99;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char req[512];

	bench_setup("bench_text");
	printf("bench_text: %d queries of two title words, top %d, at %zu messages%s\n", QUERIES,
	    LIMIT, n, bench_quick() ? " (BENCH_QUICK: not the 1,000,000 figure)" : "");
	fflush(stdout);
	bench_cache(&k, n);
	a = bench_node_copy("A", k.a);
	bench_start(a);
	for (int i = 0; i < WARMUP; i++) {
		s_request(&x, n, req, sizeof req);
		s_query(a, req);
	}
	for (int i = 0; i < QUERIES; i++) {
		s_request(&x, n, req, sizeof req);
		ms[i] = s_query(a, req);
	}
	p50 = bench_pct(ms, QUERIES, 50);
	p99 = bench_pct(ms, QUERIES, 99);
	printf("  text query round trips: p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal: p99 under "
	       "50 ms)\n",
	    p50, p99, ms[QUERIES - 1]);
	bench_result_num("text_query_p99_ms_1m", bench_quick() ? NAN : p99);
	bench_stop(a);
	return 0;
}
