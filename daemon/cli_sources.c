/*
 * socmesh sources: each origin SOC as this node sees it, the evidence a
 * coordinator weighs a source by (control.h, "sources"): what it shares
 * by TLP and kind, how late its messages come after the time it claims
 * for them, how often other SOCs confirm them, its retractions and false
 * positives, its updates per case and comments, when it was last active,
 * and whether it is revoked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "msg.h"
#include "timefmt.h"

/* A delay bound of the histogram (ms) as a duration, rounded up: "1s",
 * "8m", "3h", "12d"; "-" when there is none. */
static const char *
s_duration(char buf[24], uint64_t ms)
{
	static const struct {
		char unit;
		uint64_t ms;
	} units[] = { { 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 } };

	if (ms == 0)
		return "-";
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (ms >= units[i].ms || units[i].unit == 's') {
			snprintf(buf, 24, "%" PRIu64 "%c", (ms + units[i].ms - 1) / units[i].ms,
			    units[i].unit);
			return buf;
		}
	return "-";
}

static long long
s_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* The cases (incidents) of a source by TLP: "clear=2 amber=1", or "-". */
static void
s_cases(const json_t *src, char *buf, size_t len)
{
	const char *tlp;
	json_t *byk;
	size_t at = 0;

	buf[0] = '\0';
	json_object_foreach(json_object_get(src, "shared"), tlp, byk)
	{
		long long n = s_int(byk, msg_kind_name(MSG_KIND_INCIDENT));
		int w;

		if (n == 0 || at >= len)
			continue;
		w = snprintf(buf + at, len - at, "%s%s=%lld", at > 0 ? " " : "", tlp, n);
		at += w > 0 ? (size_t)w : 0;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static void
s_row(const json_t *src)
{
	char cases[96], med[24], p90[24], last[TIMEFMT_LEN] = "-", upc[16] = "-";
	uint64_t when = (uint64_t)s_int(src, "last_active");
	const json_t *u = json_object_get(src, "updates_per_case");

	s_cases(src, cases, sizeof cases);
	if (when > 0)
		timefmt_format(last, when);
	if (json_is_number(u))
		snprintf(upc, sizeof upc, "%.2f", json_number_value(u));
	printf("%s%s\n", cli_field(src, "name"),
	    json_is_true(json_object_get(src, "revoked")) ? " [revoked]" : "");
	printf("  cases %s; messages %lld, updates %lld (%s a case), comments %lld\n", cases,
	    s_int(src, "messages"), s_int(src, "updates"), upc, s_int(src, "comments"));
	printf("  delay from claimed creation: median <= %s, p90 <= %s (%lld claimed in the "
	       "future)\n",
	    s_duration(med, (uint64_t)s_int(src, "delay_median_ms")),
	    s_duration(p90, (uint64_t)s_int(src, "delay_p90_ms")), s_int(src, "future_claims"));
	printf("  confirmed by others: sightings %lld, messages carrying its indicators %lld\n",
	    s_int(src, "confirmed_cases"), s_int(src, "confirmed_indicators"));
	printf("  retractions %lld, false positives %lld; last active %s\n",
	    s_int(src, "retractions"), s_int(src, "false_positives"), last);
}

static int
cmd_sources(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep, *src;
	size_t i;

	(void)opts, (void)args;
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "sources"))) == NULL)
		return 1;
	json_array_foreach(json_object_get(rep, "sources"), i, src)
	{
		if (c->json) {
			uint64_t when = (uint64_t)s_int(src, "last_active");
			char last[TIMEFMT_LEN];

			if (when > 0)
				timefmt_format(last, when);
			json_object_set_new(src, "last_active",
			    when > 0 ? json_string(last) : json_null());
			cli_print_json(c, json_incref(src));
		} else
			s_row(src);
	}
	if (c->json)
		cli_end(c);
	json_decref(rep);
	return 0;
}

/* One gauge or counter of every source, from its figure field. */
static void
s_prom(json_t *sources, const char *name, const char *type, const char *help, const char *field)
{
	json_t *src;
	size_t i;

	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	json_array_foreach(sources, i, src)
	    printf("%s{source=\"%s\"} %lld\n", name, cli_field(src, "name"), s_int(src, field));
}

void
cli_sources_prometheus(json_t *sources)
{
	json_t *src, *byk, *n;
	const char *tlp, *kind;
	size_t i;

	printf("# HELP socmesh_source_messages Messages of the source stored, by TLP and kind.\n"
	       "# TYPE socmesh_source_messages gauge\n");
	json_array_foreach(sources, i, src)
	    json_object_foreach(json_object_get(src, "shared"), tlp, byk)
	        json_object_foreach(byk, kind, n)
	            printf("socmesh_source_messages{source=\"%s\",tlp=\"%s\",kind=\"%s\"} %lld\n",
	                cli_field(src, "name"), tlp, kind, (long long)json_integer_value(n));
	printf("# HELP socmesh_source_delay_seconds Delay from the creation time the source "
	       "claims to receipt here: upper bound of the histogram bucket of the quantile.\n"
	       "# TYPE socmesh_source_delay_seconds gauge\n");
	json_array_foreach(sources, i, src)
	{
		printf("socmesh_source_delay_seconds{source=\"%s\",quantile=\"0.5\"} %.3f\n",
		    cli_field(src, "name"), (double)s_int(src, "delay_median_ms") / 1000);
		printf("socmesh_source_delay_seconds{source=\"%s\",quantile=\"0.9\"} %.3f\n",
		    cli_field(src, "name"), (double)s_int(src, "delay_p90_ms") / 1000);
	}
	s_prom(sources, "socmesh_source_future_claims_total", "counter",
	    "Messages of the source claiming a creation time after their receipt here.",
	    "future_claims");
	s_prom(sources, "socmesh_source_confirmed_cases_total", "counter",
	    "Sightings by other SOCs of the source's messages.", "confirmed_cases");
	s_prom(sources, "socmesh_source_confirmed_indicators_total", "counter",
	    "Messages of other SOCs carrying an indicator the source reported.",
	    "confirmed_indicators");
	s_prom(sources, "socmesh_source_retractions", "gauge", "Retractions by the source stored.",
	    "retractions");
	s_prom(sources, "socmesh_source_false_positives_total", "counter",
	    "Messages of the source setting status false-positive.", "false_positives");
	s_prom(sources, "socmesh_source_updates", "gauge", "Updates by the source stored.",
	    "updates");
	s_prom(sources, "socmesh_source_comments", "gauge", "Comments by the source stored.",
	    "comments");
	printf("# HELP socmesh_source_last_active_seconds When a message of the source was last "
	       "received (Unix time).\n# TYPE socmesh_source_last_active_seconds gauge\n");
	json_array_foreach(sources, i, src)
	    printf("socmesh_source_last_active_seconds{source=\"%s\"} %.3f\n",
	        cli_field(src, "name"), (double)s_int(src, "last_active") / 1000);
	printf("# HELP socmesh_source_revoked 1 when the source is no longer trusted.\n"
	       "# TYPE socmesh_source_revoked gauge\n");
	json_array_foreach(sources, i, src) printf("socmesh_source_revoked{source=\"%s\"} %d\n",
	    cli_field(src, "name"), json_is_true(json_object_get(src, "revoked")));
}

static const struct cli_opt s_sources_opts[] = { { NULL, NULL, NULL, 0 } };

const struct cli_cmd cli_sources_cmd = { "sources", cmd_sources, NULL, 0, 0,
	"each origin SOC as this node sees it: what it shares, delays, confirmations, "
	"retractions",
	"  Per source: cases by TLP, messages, updates per case, comments (stored now);\n"
	"  the median and 90th percentile delay from the creation time the origin claims\n"
	"  to receipt here, as histogram bounds; sightings of its messages and messages\n"
	"  carrying its indicators by other SOCs; retractions, false positives (its\n"
	"  messages setting status false-positive), last active, revoked.",
	s_sources_opts };
