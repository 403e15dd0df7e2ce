/*
 * socmesh roster — a coordinator's commands (docs/COORDINATOR.md): propose
 * the next roster from a network file, approve one, show the roster in
 * force, what a file would change, and the export file that a new node
 * joins with (init --join, here too).  All but --join ask the running
 * daemon, which signs and publishes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "control.h"
#include "keys.h"
#include "node.h"
#include "roster.h"
#include "trust.h"
#include "util.h"

#define NETFILE_MAX (1024 * 1024) /* bytes of a network file */

/*
 * The network file: one SOC per line, NAME NODE-ID LEVEL [coordinator]
 * [ENDPOINT], whitespace-separated, '#' to the end of a line a comment.
 * Into *out, an array of {name, id, level, coordinator, endpoint}; -1
 * after the error line "FILE:LINE: ...".
 */
static int
s_netfile(struct cli *c, const char *path, json_t **out)
{
	char *buf, *line;
	size_t len, lineno = 0;
	json_t *a = json_array();

	*out = NULL;
	if (file_read_all(path, NETFILE_MAX, &buf, &len) == -1) {
		json_decref(a);
		return cli_error(c, "%s: %s", path, strerror(errno));
	}
	for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
		char *tok[6], *s2 = NULL, *hash;
		uint8_t id[32], curve[32];
		size_t nt = 0, i;
		json_t *v, *e;
		const char *ep = NULL;
		bool coord = false;
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			nl = buf + len;
		*nl = '\0';
		line = p;
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t\r", &s2); t != NULL && nt < 6;
		     t = strtok_r(NULL, " \t\r", &s2))
			tok[nt++] = t;
		if (nt == 0)
			continue;
		if (nt < 3 || nt > 5) {
			cli_error(c, "%s:%zu: expected NAME NODE-ID LEVEL [coordinator] [ENDPOINT]",
			    path, lineno);
			goto fail;
		}
		if (!config_valid_name(tok[0])) {
			cli_error(c, "%s:%zu: bad name '%s': 1-63 characters of A-Z a-z 0-9 . _ -",
			    path, lineno, tok[0]);
			goto fail;
		}
		if (id_parse(id, tok[1]) == -1 || keys_curve_pk(curve, id) == -1) {
			cli_error(c, "%s:%zu: '%s' is not a node id (64 hex digits)", path, lineno,
			    tok[1]);
			goto fail;
		}
		if (msg_level_parse(tok[2], strlen(tok[2])) < 0) {
			cli_error(c, "%s:%zu: level '%s' is not one of member, external, blocked",
			    path, lineno, tok[2]);
			goto fail;
		}
		for (i = 3; i < nt; i++)
			if (strcmp(tok[i], "coordinator") == 0 && !coord)
				coord = true;
			else if (strncmp(tok[i], "tcp://", 6) == 0 && ep == NULL &&
			    config_valid_endpoint(tok[i], false) &&
			    strlen(tok[i]) <= MSG_MAX_ENDPOINT)
				ep = tok[i];
			else {
				cli_error(c,
				    "%s:%zu: '%s' is neither 'coordinator' nor an endpoint "
				    "tcp://HOST:PORT",
				    path, lineno, tok[i]);
				goto fail;
			}
		json_array_foreach(a, i, v)
		{
			if (strcmp(cli_field(v, "name"), tok[0]) == 0 ||
			    strcasecmp(cli_field(v, "id"), tok[1]) == 0) {
				cli_error(c, "%s:%zu: %s repeats the name or the node id of %s",
				    path, lineno, tok[0], cli_field(v, "name"));
				goto fail;
			}
		}
		e = json_pack("{s:s,s:s,s:s,s:b}", "name", tok[0], "id", tok[1], "level", tok[2],
		    "coordinator", coord);
		if (ep != NULL)
			json_object_set_new(e, "endpoint", json_string(ep));
		json_array_append_new(a, e);
	}
	free(buf);
	if (json_array_size(a) == 0) {
		json_decref(a);
		return cli_error(c, "%s: no SOC listed", path);
	}
	*out = a;
	return 0;
fail:
	free(buf);
	json_decref(a);
	return -1;
}

static int
s_propose(struct cli *c, json_t *opts, json_t *args)
{
	const char *file = cli_opt_str(opts, "file"), *network = cli_opt_str(opts, "network");
	const char *th = cli_opt_str(opts, "threshold");
	json_t *members, *req, *rep;
	uint64_t k;

	if (file == NULL || json_array_size(args) != 1)
		return cli_error(c, "propose needs --file FILE and no other argument");
	if (th != NULL && (parse_uint(th, &k) == -1 || k < 1 || k > MSG_MAX_MEMBERS))
		return cli_error(c, "--threshold: '%s' is not a number from 1 to %d", th,
		    MSG_MAX_MEMBERS);
	if (s_netfile(c, file, &members) == -1)
		return 1;
	req = json_pack("{s:s,s:o}", "cmd", "roster-propose", "members", members);
	if (network != NULL)
		json_object_set_new(req, "network", json_string(network));
	if (th != NULL)
		json_object_set_new(req, "threshold", json_integer((json_int_t)k));
	if ((rep = cli_ask(c, req)) == NULL)
		return 1;
	puts(cli_field(rep, "id"));
	json_decref(rep);
	return 0;
}

static int
s_approve(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep;
	uint8_t id[32];
	char hex[65];

	(void)opts;
	if (json_array_size(args) != 2)
		return cli_error(c, "approve needs one ID");
	if (cli_id(c, json_string_value(json_array_get(args, 1)), id) != 0)
		return 1;
	hex_encode(hex, id, 32);
	if ((rep = cli_ask(c, json_pack("{s:s,s:s}", "cmd", "roster-approve", "id", hex))) == NULL)
		return 1;
	puts(cli_field(rep, "id"));
	json_decref(rep);
	return 0;
}

static int
s_show(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep, *v, *a;
	int wname = 4, wend = 8;
	size_t i;

	(void)opts;
	if (json_array_size(args) != 1)
		return cli_error(c, "show takes no argument");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "roster"))) == NULL)
		return 1;
	json_object_del(rep, "ok");
	if (c->json) {
		cli_print_json(c, rep);
		return 0;
	}
	if (json_integer_value(json_object_get(rep, "epoch")) == 0)
		printf("no roster in force\n");
	else {
		printf("network %s, roster %" JSON_INTEGER_FORMAT
		       ", threshold %" JSON_INTEGER_FORMAT "\nsigned by",
		    cli_field(rep, "network"), json_integer_value(json_object_get(rep, "epoch")),
		    json_integer_value(json_object_get(rep, "threshold")));
		json_array_foreach(json_object_get(rep, "signers"), i, v)
		    printf("%s %s", i ? "," : "", json_string_value(v));
		json_array_foreach(json_object_get(rep, "members"), i, v)
		{
			wname = cli_width(wname, cli_field(v, "name"));
			wend = cli_width(wend, cli_field(v, "endpoint"));
		}
		printf("\n\n%-*s %-9s %-5s %-*s %-12s %s\n", wname, "NAME", "LEVEL", "COORD", wend,
		    "ENDPOINT", "SOURCE", "ID");
		json_array_foreach(json_object_get(rep, "members"), i,
		    v) printf("%-*s %-9s %-5s %-*s %-12s %s\n", wname, cli_field(v, "name"),
		    cli_field(v, "level"),
		    json_is_true(json_object_get(v, "coordinator")) ? "yes" : "no", wend,
		    json_is_string(json_object_get(v, "endpoint")) ? cli_field(v, "endpoint") : "-",
		    cli_field(v, "source"), cli_field(v, "id"));
	}
	a = json_object_get(rep, "pending");
	json_array_foreach(a, i, v) printf("%spending: %s epoch %" JSON_INTEGER_FORMAT
	                                   " by %s, %" JSON_INTEGER_FORMAT " approval(s)\n",
	    i == 0 ? "\n" : "", cli_field(v, "id"), json_integer_value(json_object_get(v, "epoch")),
	    cli_field(v, "proposer"), json_integer_value(json_object_get(v, "approvals")));
	json_array_foreach(json_object_get(rep, "conflicts"), i, v)
	    printf("conflict: %s\n", json_string_value(v));
	json_array_foreach(json_object_get(rep, "rotations"), i,
	    v) printf("%srotation of %s: %.16s... -> %.16s... (%s)\n", i == 0 ? "\n" : "",
	    cli_field(v, "name"), cli_field(v, "old"), cli_field(v, "new"), cli_field(v, "state"));
	json_decref(rep);
	return 0;
}

/* The entry of a named SOC in a members array, or NULL. */
static json_t *
s_member(json_t *a, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (strcmp(cli_field(v, "name"), name) == 0)
			return v;
	}
	return NULL;
}

static int
s_diff(struct cli *c, json_t *opts, json_t *args)
{
	json_t *members, *rep, *cur, *v, *o;
	size_t i, changes = 0;

	(void)opts;
	if (json_array_size(args) != 2)
		return cli_error(c, "diff needs one FILE");
	if (s_netfile(c, json_string_value(json_array_get(args, 1)), &members) == -1)
		return 1;
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "roster"))) == NULL) {
		json_decref(members);
		return 1;
	}
	cur = json_object_get(rep, "members");
	json_array_foreach(members, i, v)
	{
		const char *name = cli_field(v, "name");
		bool coord = json_is_true(json_object_get(v, "coordinator"));
		const char *ep = cli_field(v, "endpoint");
		if ((o = s_member(cur, name)) == NULL) {
			printf("+ %s %s%s %s\n", name, cli_field(v, "level"),
			    coord ? " coordinator" : "", cli_field(v, "id"));
			changes++;
			continue;
		}
		if (strcasecmp(cli_field(o, "id"), cli_field(v, "id")) != 0)
			printf("~ %s id %s -> %s\n", name, cli_field(o, "id"), cli_field(v, "id"));
		if (strcmp(cli_field(o, "level"), cli_field(v, "level")) != 0)
			printf("~ %s %s -> %s\n", name, cli_field(o, "level"),
			    cli_field(v, "level"));
		if (json_is_true(json_object_get(o, "coordinator")) != coord)
			printf("~ %s %s\n", name,
			    coord ? "becomes coordinator" : "no longer coordinator");
		if (strcmp(cli_field(o, "endpoint"), ep) != 0)
			printf("~ %s endpoint %s -> %s\n", name,
			    *cli_field(o, "endpoint") ? cli_field(o, "endpoint") : "-",
			    *ep ? ep : "-");
		changes += strcasecmp(cli_field(o, "id"), cli_field(v, "id")) != 0 ||
		    strcmp(cli_field(o, "level"), cli_field(v, "level")) != 0 ||
		    json_is_true(json_object_get(o, "coordinator")) != coord ||
		    strcmp(cli_field(o, "endpoint"), ep) != 0;
	}
	json_array_foreach(cur, i, v)
	{
		if (s_member(members, cli_field(v, "name")) == NULL) {
			printf("- %s\n", cli_field(v, "name"));
			changes++;
		}
	}
	if (changes == 0)
		printf("no change from roster %" JSON_INTEGER_FORMAT "\n",
		    json_integer_value(json_object_get(rep, "epoch")));
	json_decref(members);
	json_decref(rep);
	return 0;
}

static int
s_export(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep;
	uint8_t *buf;
	size_t len;
	int rc = 0;

	(void)opts;
	if (json_array_size(args) != 1)
		return cli_error(c, "export takes no argument");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "roster-export"))) == NULL)
		return 1;
	if ((buf = control_unbase64(json_object_get(rep, "file"), &len)) == NULL)
		rc = cli_error(c, "the daemon's reply is not base64");
	else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = cli_error(c, "%s", strerror(errno));
	free(buf);
	json_decref(rep);
	return rc;
}

/* roster reset: no roster in force any more, on a stopped node (the
 * recovery of COORDINATOR.md section 11).  An empty state, not a missing
 * one: socmeshd reads a missing state again from its store. */
static int
s_reset(struct cli *c, json_t *opts, json_t *args)
{
	char path[PATH_MAX + 64];
	uint8_t id[32];
	struct roster *r;
	int lock, rc = 0;

	(void)opts;
	if (json_array_size(args) != 1)
		return cli_error(c, "reset takes no argument");
	if ((lock = node_lock(c->dir, c->err, sizeof c->err)) == -1)
		return cli_error(c, "%s", c->err);
	if (keys_read_id(c->dir, id, c->err, sizeof c->err) == -1 || (r = roster_new(id)) == NULL) {
		close(lock);
		return cli_error(c, "%s", c->err);
	}
	snprintf(path, sizeof path, "%s/%s", c->dir, ROSTER_FILE);
	if (roster_save(r, path, c->err, sizeof c->err) == -1)
		rc = cli_error(c, "%s", c->err);
	else
		printf("no roster in force in %s: the next one takes effect when enough of its "
		       "signers are anchors here (socmesh trust add --coordinator)\n",
		    c->dir);
	roster_destroy(&r);
	close(lock);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct cli *, json_t *, json_t *);
} s_subs[] = {
	{ "propose", s_propose },
	{ "approve", s_approve },
	{ "show", s_show },
	{ "diff", s_diff },
	{ "export", s_export },
	{ "reset", s_reset },
};

static int
cmd_roster(struct cli *c, json_t *opts, json_t *args)
{
	const char *sub = json_string_value(json_array_get(args, 0));

	for (size_t i = 0; i < sizeof s_subs / sizeof s_subs[0]; i++)
		if (strcmp(sub, s_subs[i].name) == 0)
			return s_subs[i].fn(c, opts, args);
	cli_error(c,
	    "unknown subcommand '%s' (propose, approve, show, diff, export, reset; see: "
	    "socmesh help roster)",
	    sub);
	return 2;
}

static const struct cli_opt s_roster_opts[] = {
	{ "file", "FILE", "propose: the network file, one SOC a line", 0 },
	{ "threshold", "K", "propose: approvals the next roster needs (default: the current)", 0 },
	{ "network", "NAME", "propose: the network's name", 0 },
	{ NULL },
};

const struct cli_cmd cli_roster_cmd = { "roster", cmd_roster, "SUBCOMMAND [ID|FILE]", 1, 2,
	"the network's roster: propose, approve, show, diff, export (coordinators)",
	"  socmesh roster propose --file FILE [--threshold K] [--network NAME]\n"
	"  socmesh roster approve ID\n"
	"  socmesh roster show [--json]\n"
	"  socmesh roster diff FILE\n"
	"  socmesh roster export > FILE\n"
	"  socmesh roster reset   (the node stopped: no roster in force)\n"
	"  The network file: NAME NODE-ID LEVEL [coordinator] [ENDPOINT] per line, # comments.",
	s_roster_opts };

int
cli_join(struct cli *c, const char *name, const char *listen, const char *file,
    const char **coordinators, size_t n)
{
	uint8_t(*anchors)[32] = calloc(n, 32), self[32] = { 0 };
	char *buf = NULL, path[PATH_MAX + 64];
	struct roster *r = NULL;
	struct trust *t = trust_new();
	size_t len;
	int rc = 1;

	if (anchors == NULL || t == NULL) {
		cli_error(c, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (id_parse(anchors[i], coordinators[i]) == -1) {
			cli_error(c, "--coordinator: '%s' is not a node id (64 hex digits)",
			    coordinators[i]);
			goto done;
		}
	if (file_read_all(file, ROSTER_MAX_FILE, &buf, &len) == -1) {
		cli_error(c, "--join %s: %s", file, strerror(errno));
		goto done;
	}
	/* The file first: a node is made only for a roster that holds. */
	if ((r = roster_new(self)) == NULL ||
	    roster_join(r, (const uint8_t *)buf, len, anchors, n, c->err, sizeof c->err) == -1) {
		cli_error(c, "--join %s: %s", file, r ? c->err : "out of memory");
		goto done;
	}
	if (node_init(c->dir, name, listen, c->err, sizeof c->err) == -1 ||
	    keys_read_id(c->dir, self, c->err, sizeof c->err) == -1) {
		cli_error(c, "%s", c->err);
		goto done;
	}
	/* Anchors outside the roster stay anchors: local coordinator entries
	 * (those in it are its coordinators already). */
	for (size_t i = 0; i < n; i++) {
		struct trust_peer p = { .level = MSG_LEVEL_MEMBER, .coordinator = true };
		if (roster_find(r, anchors[i]) != NULL || memcmp(anchors[i], self, 32) == 0)
			continue;
		memcpy(p.id, anchors[i], 32);
		snprintf(p.name, sizeof p.name, "coordinator-%zu", i + 1);
		if (trust_add(t, &p, c->err, sizeof c->err) == -1) {
			cli_error(c, "%s", c->err);
			goto done;
		}
	}
	snprintf(path, sizeof path, "%s/%s", c->dir, TRUST_FILE);
	if (trust_save(t, path, c->err, sizeof c->err) == -1) {
		cli_error(c, "%s", c->err);
		goto done;
	}
	snprintf(path, sizeof path, "%s/%s", c->dir, ROSTER_FILE);
	if (roster_save(r, path, c->err, sizeof c->err) == -1) {
		cli_error(c, "%s", c->err);
		goto done;
	}
	printf("joined network %s: roster %" PRIu64 ", %zu members\n", roster_network(r),
	    roster_epoch(r), roster_count(r));
	rc = 0;
done:
	free(anchors);
	free(buf);
	trust_destroy(&t);
	roster_destroy(&r);
	return rc;
}
