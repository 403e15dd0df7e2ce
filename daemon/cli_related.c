/*
 * The commands of collective knowledge about cases: related (the cases
 * related to one, ranked, with their reasons) and campaigns (groups of
 * cases from two SOCs or more joined by shared or related indicators).
 * The daemon finds them (control.h, control_related.c); this prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* A JSON array of strings, joined by ", " into buf. */
static const char *
s_join(const json_t *a, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
			    json_string_value(v));
	}
	return buf;
}

/* An RFC 3339 time as "YYYY-MM-DD HH:MM". */
static const char *
s_minute(const char *t, char buf[17])
{
	snprintf(buf, 17, "%.10s %.5s", t, strlen(t) > 11 ? t + 11 : "");
	return buf;
}

static void
s_truncated(struct cli *c, const json_t *rep)
{
	if (json_is_true(json_object_get(rep, "truncated")))
		fprintf(stderr,
		    "socmesh %s: the search reached its bounds: some cases may be missing\n",
		    c->cmd->name);
}

static int
cmd_related(struct cli *c, json_t *opts, json_t *args)
{
	const char *lim = cli_opt_str(opts, "limit");
	json_t *req, *rep, *a, *o, *x, *cs;
	char hex[65], buf[512], t[17];
	uint8_t id[32];
	long limit = 20;
	size_t i, j;

	if (lim != NULL &&
	    ((limit = strtol(lim, NULL, 10)) < 1 || limit > 100 ||
	        strspn(lim, "0123456789") != strlen(lim)))
		return cli_error(c, "--limit: '%s' is not a number from 1 to 100", lim);
	if (cli_id(c, json_string_value(json_array_get(args, 0)), id) != 0)
		return 1;
	hex_encode(hex, id, 32);
	req = json_pack("{s:s,s:s,s:I,s:b}", "cmd", "related", "id", hex, "limit",
	    (json_int_t)limit, "include_expired",
	    json_is_true(json_object_get(opts, "include-expired")));
	if ((rep = cli_ask(c, req)) == NULL)
		return 1;
	a = json_object_get(rep, "related");
	cs = json_object_get(rep, "case");
	if (c->json) {
		json_array_foreach(a, i, o) cli_print_json(c, json_incref(o));
		cli_end(c);
	} else {
		printf("case %.12s  %s  [%s]  %s\n", cli_field(cs, "id"), cli_field(cs, "soc"),
		    s_join(json_object_get(cs, "sectors"), buf, sizeof buf),
		    cli_field(cs, "title"));
		if (json_array_size(a) == 0)
			printf("no related case here\n");
		else
			printf("%5s  %-12s  %-16s  %-16s  %s\n", "SCORE", "CASE", "SOC", "TIME",
			    "TITLE (SECTORS)");
		json_array_foreach(a, i, o)
		{
			printf("%5lld  %.12s  %-16s  %-16s  %s (%s)%s\n",
			    (long long)json_integer_value(json_object_get(o, "score")),
			    cli_field(o, "id"), cli_field(o, "soc"),
			    s_minute(cli_field(o, "time"), t), cli_field(o, "title"),
			    s_join(json_object_get(o, "sectors"), buf, sizeof buf),
			    json_is_true(json_object_get(o, "expired")) ? " [expired]" : "");
			json_array_foreach(json_object_get(o, "reasons"), j, x)
			    printf("       %-15s %s\n", cli_field(x, "reason"),
			        cli_field(x, "match"));
		}
	}
	s_truncated(c, rep);
	json_decref(rep);
	return 0;
}

/* The campaigns request, since ms (0: the daemon's default window). */
static json_t *
s_campaigns(struct cli *c, uint64_t since, bool expired, const char *id)
{
	json_t *req = json_pack("{s:s,s:b}", "cmd", "campaigns", "include_expired", expired);

	if (since > 0)
		json_object_set_new(req, "since", json_integer((json_int_t)since));
	if (id != NULL)
		json_object_set_new(req, "id", json_string(id));
	return cli_ask(c, req);
}

static int
cmd_campaigns(struct cli *c, json_t *opts, json_t *args)
{
	const char *v = cli_opt_str(opts, "since");
	json_t *rep, *a, *o, *x;
	char buf[2048], t1[17], t2[17];
	uint64_t since = 0;
	size_t i, j;

	(void)args;
	if (v != NULL && cli_when(c, "since", v, CLI_FROM, now_ms(), &since) != 0)
		return 1;
	if ((rep = s_campaigns(c, since, json_is_true(json_object_get(opts, "include-expired")),
	         NULL)) == NULL)
		return 1;
	a = json_object_get(rep, "campaigns");
	json_array_foreach(a, i, o)
	{
		if (c->json) {
			cli_print_json(c, json_incref(o));
			continue;
		}
		printf("campaign %zu: %zu cases from %s; %s to %s\n", i + 1,
		    json_array_size(json_object_get(o, "cases")),
		    s_join(json_object_get(o, "socs"), buf, sizeof buf),
		    s_minute(cli_field(o, "first_seen"), t1),
		    s_minute(cli_field(o, "last_seen"), t2));
		printf("  sectors:    %s\n",
		    s_join(json_object_get(o, "sectors"), buf, sizeof buf));
		json_array_foreach(json_object_get(o, "indicators"), j, x)
		    printf("  %s %s\n", j ? "          " : "in common:", json_string_value(x));
		json_array_foreach(json_object_get(o, "cases"), j, x)
		    printf("  %s %s\n", j ? "          " : "cases:    ", json_string_value(x));
	}
	if (c->json)
		cli_end(c);
	else if (json_array_size(a) == 0)
		printf("no campaign: no group of cases from two SOCs or more shares indicators "
		       "(%lld "
		       "cases looked at)\n",
		    (long long)json_integer_value(json_object_get(rep, "cases")));
	s_truncated(c, rep);
	json_decref(rep);
	return 0;
}

json_t *
cli_campaign_of(struct cli *c, const uint8_t id[32])
{
	char hex[65];
	json_t *rep, *o;

	hex_encode(hex, id, 32);
	if ((rep = s_campaigns(c, 0, false, hex)) == NULL)
		return NULL;
	o = json_incref(json_array_get(json_object_get(rep, "campaigns"), 0));
	json_decref(rep);
	return o;
}

static const struct cli_opt s_related_opts[] = {
	{ "limit", "N", "at most N cases (1 to 100; 20 unless given)", 0 },
	{ "include-expired", NULL, "cases and indicators past their expires too", 0 },
	{ NULL },
};

static const struct cli_opt s_campaigns_opts[] = {
	{ "since", "WHEN",
	    "the cases created since (a duration: 30d, 12h; a date); 30d unless given", 0 },
	{ "include-expired", NULL, "cases and indicators past their expires too", 0 },
	{ NULL },
};

const struct cli_cmd cli_related_cmd = { "related", cmd_related, "ID", 1, 1,
	"the cases related to a case, ranked, with the reasons and the SOCs involved",
	"  Reasons, by weight: the same indicator (10), an address inside a network the\n"
	"  other case names (8), the same registered domain (6), the same file hash (5),\n"
	"  an ATT&CK technique (2), the same category and sector within 7 days (1).  A\n"
	"  shared thing counts once, at its strongest reason; the score is their sum.\n"
	"  Indicators of the warning lists (well-known benign ones) never link cases.",
	s_related_opts };

const struct cli_cmd cli_campaigns_cmd = { "campaigns", cmd_campaigns, NULL, 0, 0,
	"groups of cases from two SOCs or more joined by shared or related indicators",
	"  Each with its SOCs, sectors, first and last seen, the indicators in common and\n"
	"  the case ids, largest first: is this part of something bigger?",
	s_campaigns_opts };
