/*
 * socmesh — the command people use on their own node.
 *
 * The daemon is the store's only owner and writer: the commands that
 * publish, read or import messages, or report on the node, are requests
 * on its control socket (control.h) and fail at once without it.  init,
 * id and trust (which has a running daemon apply its edit) need no
 * daemon; check and backup read the store themselves, beside a running
 * daemon or without one; restore needs it stopped.  Names and sealed
 * bodies are this side's: the trust list, and node.key when this user may
 * read it.
 * Errors: one line on stderr, exit status 1 (2 for usage).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "control.h"
#include "draft.h"
#include "log.h"
#include "msgjson.h"
#include "node.h"
#include "taxii.h"
#include "timefmt.h"
#include "util.h"
#include "version.h"

#define DEFAULT_DIR "/var/lib/socmesh"
#define QUERY_LIMIT 50

int
cli_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "socmesh%s%s: ", c->cmd ? " " : "", c->cmd ? c->cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The string member key of o, "" when it is absent or not a string (a
 * daemon of another version may lack it). */
const char *
cli_field(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? v : "";
}

void
cli_print_json(struct cli *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s != NULL && c->json_array)
		printf("%s%s\n", c->printed++ == 0 ? "[" : ",", s);
	else if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

void
cli_end(struct cli *c)
{
	if (c->json_array)
		puts(c->printed == 0 ? "[]" : "]");
	c->printed = 0;
}

/* The connection to the running daemon, made at the first request; NULL
 * after the line "socmeshd is not running for DIR (...)". */
struct control_client *
cli_client(struct cli *c)
{
	if (c->cc == NULL && (c->cc = control_connect(c->dir, c->err, sizeof c->err)) == NULL)
		cli_error(c, "%s", c->err);
	return c->cc;
}

/* Sends req (taken over) to the running daemon: its reply, whatever it
 * says (the caller decrefs), or NULL after an error line. */
static json_t *
s_call(struct cli *c, json_t *req)
{
	json_t *rep;

	if (cli_client(c) == NULL) {
		json_decref(req);
		return NULL;
	}
	if ((rep = control_request(c->cc, req, c->err, sizeof c->err)) == NULL)
		cli_error(c, "%s", c->err);
	return rep;
}

json_t *
cli_ask(struct cli *c, json_t *req)
{
	json_t *rep = s_call(c, req);

	if (rep != NULL && !json_is_true(json_object_get(rep, "ok"))) {
		cli_error(c, "%s", cli_field(rep, "error"));
		json_decref(rep);
		return NULL;
	}
	return rep;
}

/* The message id from the running daemon: its reply, with "message" (the
 * signed bytes) and "retracted".  NULL after an error line, or with
 * *missing set and no line when the message is not here. */
json_t *
cli_get(struct cli *c, const uint8_t id[32], bool *missing)
{
	char hex[65];
	json_t *rep;

	*missing = false;
	hex_encode(hex, id, 32);
	if ((rep = s_call(c, json_pack("{s:s,s:s}", "cmd", "get", "id", hex))) == NULL ||
	    json_is_true(json_object_get(rep, "ok")))
		return rep;
	if (strcmp(cli_field(rep, "code"), "not-found") == 0)
		*missing = true;
	else
		cli_error(c, "%s", cli_field(rep, "error"));
	json_decref(rep);
	return NULL;
}

struct node *
cli_open(struct cli *c, unsigned what)
{
	struct node *n = node_open(c->dir, what, c->err, sizeof c->err);
	if (n == NULL)
		cli_error(c, "%s", c->err);
	return n;
}

/* Opens (configuration and trust list: the names; never the store) with
 * the secret key when this user may read it, so that sealed messages
 * addressed to this node can be shown; without it otherwise. */
struct node *
cli_open_reader(struct cli *c)
{
	struct node *n = node_open(c->dir, NODE_KEYS, c->err, sizeof c->err);
	char key[PATH_MAX + 64];

	if (n != NULL)
		return n;
	/* Without read access to the key is normal for an analyst; a key that
	 * is readable but refused (too open, malformed) deserves a word. */
	snprintf(key, sizeof key, "%s/%s", c->dir, KEYS_SECRET_FILE);
	if (access(key, R_OK) == 0)
		fprintf(stderr, "socmesh: warning: %s; sealed bodies stay sealed\n", c->err);
	return cli_open(c, 0);
}

const char *
cli_short(const uint8_t *key, char buf[13])
{
	char hex[65];
	hex_encode(hex, key, 32);
	memcpy(buf, hex, 12);
	buf[12] = '\0';
	return buf;
}

const char *
cli_name(const struct node *n, const uint8_t *key, char buf[13])
{
	const struct trust_peer *p;

	if (memcmp(key, n->id, 32) == 0)
		return n->cfg.name;
	p = trust_find_id(n->trust, key);
	return p != NULL ? p->name : cli_short(key, buf);
}

/* ---- init, id ----------------------------------------------------------- */

static int
cmd_init(struct cli *c, json_t *opts, json_t *args)
{
	const char *name = cli_opt_str(opts, "name"), *listen = cli_opt_str(opts, "listen");
	const char *join = cli_opt_str(opts, "join");
	json_t *coords = json_object_get(opts, "coordinator");
	size_t ncoord = json_array_size(coords);
	const char **coord = calloc(ncoord + 1, sizeof *coord);
	uint8_t id[32];
	char hex[65];
	int rc;

	(void)args;
	if (coord == NULL)
		return cli_error(c, "out of memory");
	for (size_t i = 0; i < ncoord; i++)
		coord[i] = json_string_value(json_array_get(coords, i));
	if (name == NULL || listen == NULL)
		rc = cli_error(c, "needs --name NAME and --listen tcp://HOST:PORT");
	else if ((join != NULL) != (ncoord > 0))
		rc = cli_error(c, "--join FILE and --coordinator ID go together");
	else if (join != NULL)
		rc = cli_join(c, name, listen, join, coord, ncoord);
	else if ((rc = node_init(c->dir, name, listen, c->err, sizeof c->err)) == -1)
		rc = cli_error(c, "%s", c->err);
	free(coord);
	if (rc != 0)
		return rc;
	if (keys_read_id(c->dir, id, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	hex_encode(hex, id, 32);
	printf("initialized node %s in %s\nnode id: %s\n", name, c->dir, hex);
	return 0;
}

static int
cmd_id(struct cli *c, json_t *opts, json_t *args)
{
	uint8_t id[32];
	char hex[65];

	(void)opts, (void)args;
	if (keys_read_id(c->dir, id, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	hex_encode(hex, id, 32);
	puts(hex);
	return 0;
}

/* ---- trust ------------------------------------------------------------ */

/*
 * socmesh trust SUBCOMMAND [options]: s_trust_cmds below names each
 * subcommand, its function, its usage and which options it accepts;
 * cmd_trust parses the options once, checks them against the entry, and
 * runs the function on the node opened, under the trust file's lock for
 * an edit, which it then saves and has a running daemon apply.
 */

#define TA_NAME     0x01 /* --name */
#define TA_KEY      0x02 /* --key */
#define TA_ENDPOINT 0x04 /* --endpoint */
#define TA_LEVEL    0x08 /* --level */
#define TA_COORD    0x10 /* --coordinator, --no-coordinator */
#define TA_ALL      0x1f

struct trust_args {
	const char *name; /* --name, or the NAME operand */
	const char *key, *endpoint, *level;
	int coord;      /* -1 unset, 0 --no-coordinator, 1 --coordinator */
	int lv;         /* level, parsed; MSG_LEVEL_MEMBER without --level */
	unsigned given; /* TA_ options on the command line */
};

static int s_trust_usage(struct cli *c, const char *why);

static int
s_trust_add(struct cli *c, struct node *n, const struct trust_args *a)
{
	struct trust_peer p = { .level = (enum msg_level)a->lv, .coordinator = a->coord == 1 };

	if (a->name == NULL || a->key == NULL)
		return s_trust_usage(c, "trust add needs --name NAME and --key ID");
	if (id_parse(p.id, a->key) == -1)
		return cli_error(c, "--key: '%s' is not a node id (64 hex digits, see: socmesh id)",
		    a->key);
	if (memcmp(p.id, n->id, 32) == 0)
		return cli_error(c, "--key: that is this node's own id");
	if (strlen(a->name) >= sizeof p.name)
		return cli_error(c, "--name is %zu bytes; at most %zu", strlen(a->name),
		    sizeof p.name - 1);
	snprintf(p.name, sizeof p.name, "%s", a->name);
	snprintf(p.endpoint, sizeof p.endpoint, "%s", a->endpoint ? a->endpoint : "");
	if (trust_add(n->local, &p, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	return 0;
}

/* The entry of the roster in force named `name`, or NULL. */
static const struct trust_peer *
s_roster_entry(const struct node *n, const char *name)
{
	const struct trust_peer *p = trust_find_name(n->trust, name);

	return p != NULL && (p->roster != 0 || p->rotated) ? p : NULL;
}

static int
s_trust_set(struct cli *c, struct node *n, const struct trust_args *a)
{
	const struct trust_peer *r = s_roster_entry(n, a->name);

	if (a->key != NULL)
		return cli_error(c,
		    "set: a peer's key changes by rotation (socmesh rotate, "
		    "docs/COORDINATOR.md), not by an edit; a new key is a new entry");
	if (a->level == NULL && a->coord == -1 && a->endpoint == NULL)
		return s_trust_usage(c,
		    "trust set needs --level, --endpoint or --[no-]coordinator");
	/* An entry of the roster becomes a local one, which wins over it. */
	if (r != NULL) {
		struct trust_peer p = *r;
		p.roster = 0;
		p.rotated = false;
		if (trust_add(n->local, &p, c->err, sizeof c->err) == -1)
			return cli_error(c, "%s", c->err);
		fprintf(stderr,
		    "socmesh trust: %s comes from %s; this node now overrides it locally (socmesh "
		    "trust remove %s to follow it again)\n",
		    a->name, r->rotated ? "a key rotation" : "the roster", a->name);
	}
	if (a->level != NULL &&
	    trust_set_level(n->local, a->name, (enum msg_level)a->lv, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	if (a->coord != -1 &&
	    trust_set_coordinator(n->local, a->name, a->coord == 1, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	if (a->endpoint != NULL &&
	    trust_set_endpoint(n->local, a->name, a->endpoint, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	return 0;
}

static int
s_trust_remove(struct cli *c, struct node *n, const struct trust_args *a)
{
	const struct trust_peer *r = s_roster_entry(n, a->name);

	if (r != NULL)
		return cli_error(c,
		    "remove: %s comes from %s, which only a roster changes; to "
		    "cut it off here: socmesh trust set %s --level blocked",
		    a->name, r->rotated ? "a key rotation" : "the roster", a->name);
	if (trust_remove(n->local, a->name, c->err, sizeof c->err) == -1)
		return cli_error(c, "%s", c->err);
	return 0;
}

/* Where an entry of the trust list in force comes from: "roster N", or
 * "local" (with the roster epoch it overrides, if any). */
static void
s_source(const struct node *n, const struct trust_peer *p, char *buf, size_t len,
    uint64_t *overrides)
{
	const struct roster_entry *e = roster_find(n->roster, p->id);

	*overrides = p->roster == 0 && e != NULL ? roster_epoch(n->roster) : 0;
	if (p->rotated)
		snprintf(buf, len, "rotation");
	else if (p->roster != 0)
		snprintf(buf, len, "roster %" PRIu64, p->roster);
	else
		snprintf(buf, len, "local");
}

static int
s_trust_list(struct cli *c, struct node *n, const struct trust_args *a)
{
	int wname = 4, wend = 8;

	(void)a;
	for (size_t i = 0; i < trust_count(n->trust); i++) {
		const struct trust_peer *p = trust_at(n->trust, i);
		wname = cli_width(wname, p->name);
		wend = cli_width(wend, p->endpoint);
	}
	if (!c->json)
		printf("%-*s %-9s %-5s %-*s %-22s %s\n", wname, "NAME", "LEVEL", "COORD", wend,
		    "ENDPOINT", "SOURCE", "ID");
	for (size_t i = 0; i < trust_count(n->trust); i++) {
		const struct trust_peer *p = trust_at(n->trust, i);
		char hex[65], src[64], shown[96];
		uint64_t over;
		hex_encode(hex, p->id, 32);
		s_source(n, p, src, sizeof src, &over);
		if (c->json) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:o,s:s}", "name", p->name, "id",
			    hex, "level", msg_level_name(p->level), "coordinator", p->coordinator,
			    "endpoint", p->endpoint[0] ? json_string(p->endpoint) : json_null(),
			    "source", src);
			if (over != 0)
				json_object_set_new(o, "overrides", json_integer((json_int_t)over));
			cli_print_json(c, o);
			continue;
		}
		if (over != 0)
			snprintf(shown, sizeof shown, "local (over roster %" PRIu64 ")", over);
		else
			snprintf(shown, sizeof shown, "%s", src);
		printf("%-*s %-9s %-5s %-*s %-22s %s\n", wname, p->name, msg_level_name(p->level),
		    p->coordinator ? "yes" : "no", wend, p->endpoint[0] ? p->endpoint : "-", shown,
		    hex);
	}
	cli_end(c);
	return 0;
}

static const struct trust_cmd {
	const char *name;
	int (*fn)(struct cli *, struct node *, const struct trust_args *);
	const char *usage;
	const char *help;
	unsigned opts; /* the TA_ options it accepts */
	bool operand;  /* NAME follows the options */
	bool edits;    /* changes trust.conf: under its lock, saved, applied */
} s_trust_cmds[] = {
	{ "add", s_trust_add,
	    "add --name NAME --key ID [--endpoint tcp://HOST:PORT] "
	    "[--level member|external|blocked] [--coordinator]",
	    "add a peer; its name and its key must both be new", TA_ALL, false, true },
	/* A peer's key is its identity: a new key is a new entry, so set
	 * takes no --key (nor --name: the peer is the NAME operand). */
	{ "set", s_trust_set,
	    "set NAME [--level L] [--endpoint tcp://HOST:PORT | --endpoint '']\n"
	    "                         [--coordinator|--no-coordinator]",
	    "change a peer's level, endpoint or coordinator flag",
	    TA_LEVEL | TA_ENDPOINT | TA_COORD | TA_KEY, true, true },
	{ "remove", s_trust_remove, "remove NAME", "remove a peer", 0, true, true },
	/* list ignores the edit options it is given. */
	{ "list", s_trust_list, "list [--json]", "print the trust list", TA_ALL, false, false },
};

static int
s_trust_usage(struct cli *c, const char *why)
{
	cli_error(c, "%s (see: socmesh help trust)", why);
	return 2;
}

/* A running daemon applies a saved change at once; one that is not
 * running reads the file when it starts. */
static void
s_trust_apply(struct cli *c)
{
	int running = control_probe(c->dir);

	if (running == -1)
		fprintf(stderr,
		    "socmesh trust: warning: trust.conf is saved; whether a socmeshd runs for %s "
		    "cannot be told from here (it applies the change when it starts or "
		    "reloads)\n",
		    c->dir);
	if (running == 1) {
		json_t *rep = control_call(c->dir, json_pack("{s:s}", "cmd", "reload"), c->err,
		    sizeof c->err);
		if (rep == NULL || !json_is_true(json_object_get(rep, "ok")))
			fprintf(stderr,
			    "socmesh trust: warning: trust.conf is saved, but the running socmeshd "
			    "did not apply it: %s\n",
			    rep ? cli_field(rep, "error") : c->err);
		json_decref(rep);
	}
}

static int
cmd_trust(struct cli *c, json_t *opts, json_t *args)
{
	const char *sub = json_string_value(json_array_get(args, 0));
	const struct trust_cmd *t = NULL;
	struct trust_args a = { .coord = -1, .lv = MSG_LEVEL_MEMBER };
	static const char *const names[] = { "name", "key", "endpoint", "level", "coordinator",
		"no-coordinator" };
	char lockpath[PATH_MAX + 64];
	int lock = -1, rc;
	struct node *n;

	for (size_t i = 0; i < sizeof s_trust_cmds / sizeof s_trust_cmds[0]; i++)
		if (strcmp(sub, s_trust_cmds[i].name) == 0)
			t = &s_trust_cmds[i];
	if (t == NULL)
		return s_trust_usage(c, "unknown subcommand (add, set, remove, list)");
	if (json_array_size(args) != (t->operand ? 2u : 1u))
		return s_trust_usage(c, t->operand ? "needs one NAME" : "takes no argument");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (json_object_get(opts, names[i]) != NULL)
			a.given |= i < 4 ? 1u << i : TA_COORD;
	if ((a.given & ~t->opts) != 0)
		return s_trust_usage(c, "an option this subcommand does not take");
	a.name = t->operand ? json_string_value(json_array_get(args, 1))
	                    : cli_opt_str(opts, "name");
	a.key = cli_opt_str(opts, "key");
	a.endpoint = cli_opt_str(opts, "endpoint");
	a.level = cli_opt_str(opts, "level");
	if (json_object_get(opts, "coordinator") && json_object_get(opts, "no-coordinator"))
		return s_trust_usage(c, "--coordinator or --no-coordinator, not both");
	if (json_object_get(opts, "coordinator") || json_object_get(opts, "no-coordinator"))
		a.coord = json_object_get(opts, "coordinator") != NULL;
	if (a.level != NULL && cli_word(c, "level", CLI_E_LEVEL, a.level, &a.lv) != 0)
		return 1;
	/* Edits are serialized: load, change and save under one lock. */
	if (t->edits) {
		snprintf(lockpath, sizeof lockpath, "%s/%s.lock", c->dir, TRUST_FILE);
		if (access(c->dir, F_OK) == 0 && (lock = file_lock(lockpath)) == -1)
			return cli_error(c, "%s: %s", lockpath, strerror(errno));
	}
	if ((n = cli_open(c, 0)) == NULL)
		rc = 1;
	else {
		rc = t->fn(c, n, &a);
		if (rc == 0 && t->edits && node_save_trust(n, c->err, sizeof c->err) == -1)
			rc = cli_error(c, "%s", c->err);
		node_close(&n);
	}
	if (lock != -1)
		close(lock);
	if (rc == 0 && t->edits)
		s_trust_apply(c);
	return rc;
}

/* ---- publish, sight ---------------------------------------------------- */

/*
 * Publishes a message given as a JSON object (draft field names) through
 * the running daemon, which signs, stores and gossips it.  Prints the id
 * alone on the last line.  Takes o.
 */
static int
s_publish(struct cli *c, json_t *o)
{
	json_t *rep = cli_ask(c, json_pack("{s:s,s:o}", "cmd", "publish", "message", o));

	if (rep == NULL)
		return 1;
	puts(json_string_value(json_object_get(rep, "id")));
	json_decref(rep);
	return 0;
}

/* The commands that read messages need the node running (so that what
 * they show is what the node serves): they fail at once without it. */
static int
s_need_daemon(struct cli *c)
{
	json_t *rep = s_call(c, json_pack("{s:s}", "cmd", "ping"));

	if (rep == NULL)
		return 1;
	json_decref(rep);
	return 0;
}

static int s_inherit(struct cli *c, json_t *o, const uint8_t ref[32]);

/* The options of publish that fill a message's fields: the field, and
 * the enumeration its words are of (-1: free text or a list). */
static const struct {
	const char *opt, *field;
	int e;
} s_fields[] = {
	{ "to", "recipients", -1 },
	{ "tlp", "tlp", CLI_E_TLP },
	{ "title", "title", -1 },
	{ "category", "category", CLI_E_CATEGORY },
	{ "severity", "severity", CLI_E_SEVERITY },
	{ "summary", "summary", -1 },
	{ "indicator", "indicators", -1 },
	{ "kind", "kind", CLI_E_KIND },
	{ "type", "type", -1 },
	{ "impact", "impact", CLI_E_SEVERITY },
	{ "status", "status", CLI_E_STATUS },
	{ "sector", "sectors", -1 },
	{ "scope", "scope", -1 },
	{ "attack", "attack", -1 },
	{ "action", "actions", -1 },
	{ "note", "note", -1 },
	{ "text", "text", -1 },
	{ "detection", "detection", -1 },
	{ "effects", "effects", -1 },
	{ "response", "response", -1 },
	{ "lessons", "lessons", -1 },
};

/* The message fields of the options in opts, into o (over what a file
 * gave: a repeated option replaces the whole array): enumeration words as
 * the wire spells them, --expires as RFC 3339, --ref as a full id.  0, or
 * 1 after an error line. */
int
cli_fields_of(struct cli *c, json_t *opts, json_t *o)
{
	const char *v;
	char hex[65], when[TIMEFMT_LEN];
	uint8_t id[32];
	uint64_t ms;
	int w;

	for (size_t i = 0; i < sizeof s_fields / sizeof s_fields[0]; i++) {
		json_t *x = json_object_get(opts, s_fields[i].opt);
		if (x == NULL)
			continue;
		if (s_fields[i].e >= 0) {
			if (cli_word(c, s_fields[i].opt, (enum cli_enum)s_fields[i].e,
			        json_string_value(x), &w) != 0)
				return 1;
			x = json_string(cli_word_name((enum cli_enum)s_fields[i].e, w));
		} else
			json_incref(x);
		json_object_set_new(o, s_fields[i].field, x);
	}
	if ((v = cli_opt_str(opts, "expires")) != NULL) {
		if (cli_when(c, "expires", v, CLI_LATER, now_ms(), &ms) != 0)
			return 1;
		timefmt_format(when, ms);
		json_object_set_new(o, "expires", json_string(when));
	}
	if ((v = cli_opt_str(opts, "ref")) != NULL) {
		if (cli_id(c, v, id) != 0)
			return 1;
		hex_encode(hex, id, 32);
		json_object_set_new(o, "ref", json_string(hex));
	}
	return 0;
}

/* --file FILE.json ("-": stdin): the message's fields, a JSON object. */
static json_t *
s_load(struct cli *c, const char *file)
{
	json_error_t jerr;
	json_t *o = strcmp(file, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
	                                   : json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);

	if (o == NULL || !json_is_object(o)) {
		cli_error(c, "--file %s:%d: %s", file, jerr.line,
		    o == NULL ? jerr.text : "expected a JSON object");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A message that refers to another is published after s_inherit(). */
int
cli_publish_ref(struct cli *c, json_t *o)
{
	const char *ref = json_string_value(json_object_get(o, "ref"));
	uint8_t id[32];

	if (s_need_daemon(c) != 0 ||
	    (ref != NULL &&
	        (cli_id(c, ref, id) != 0 || s_inherit(c, o, id) != 0 ||
	            cli_lessons_category(c, o, id) != 0))) {
		json_decref(o);
		return 1;
	}
	return s_publish(c, o);
}

static int
cmd_publish(struct cli *c, json_t *opts, json_t *args)
{
	const char *file = cli_opt_str(opts, "file");
	json_t *o = file != NULL ? s_load(c, file) : json_object();

	(void)args;
	if (o == NULL)
		return 1;
	if (cli_fields_of(c, opts, o) != 0) {
		json_decref(o);
		return 1;
	}
	return cli_publish_ref(c, o);
}

/*
 * A message that refers to another (sighting, update, comment, retraction)
 * goes to whoever may see that one: unless o names its own, it takes the
 * TLP of the referenced message and, for addressed TLPs, its origin and
 * recipients minus this node.  A retraction is of this node's own
 * messages only.  Returns 0, or 1 after an error line.
 */
static int
s_inherit(struct cli *c, json_t *o, const uint8_t id[32])
{
	struct msg *m = msg_new();
	json_t *rep = NULL;
	uint8_t self[32], *bytes = NULL;
	char hex[65];
	size_t len;
	bool missing;
	int rc = 1;

	hex_encode(hex, id, 32);
	json_object_set_new(o, "ref", json_string(hex));
	if (m == NULL)
		goto out;
	if (keys_read_id(c->dir, self, c->err, sizeof c->err) == -1) {
		cli_error(c, "%s", c->err);
		goto out;
	}
	if ((rep = cli_get(c, id, &missing)) == NULL ||
	    (bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    msg_decode(m, bytes, len, 0) != MSG_OK) {
		if (rep != NULL || missing)
			cli_error(c, "--ref: no message %s here", hex);
		goto out;
	}
	if (strcmp(cli_field(o, "kind"), "retract") == 0 && memcmp(m->origin, self, 32) != 0) {
		struct node *n = cli_open(c, 0);
		char sb[13];
		if (n != NULL)
			cli_error(c,
			    "%s is %s's: only its origin may retract it (to disagree, comment on "
			    "it or sight it)",
			    hex, cli_name(n, m->origin, sb));
		node_close(&n);
		goto out;
	}
	rc = 0;
	if (json_is_string(json_object_get(o, "tlp")))
		goto out;
	json_object_set_new(o, "tlp", json_string(msg_tlp_name(m->tlp)));
	if (msg_tlp_addressed(m->tlp) && !json_is_array(json_object_get(o, "recipients"))) {
		json_t *to = json_array();
		if (memcmp(m->origin, self, 32) != 0) {
			hex_encode(hex, m->origin, 32);
			json_array_append_new(to, json_string(hex));
		}
		for (size_t i = 0; i < m->nto; i++)
			if (memcmp(m->to[i], self, 32) != 0) {
				hex_encode(hex, m->to[i], 32);
				json_array_append_new(to, json_string(hex));
			}
		json_object_set_new(o, "recipients", to);
	}
out:
	free(bytes);
	json_decref(rep);
	msg_destroy(&m);
	return rc;
}

/* sight ID and retract ID: a message of that kind that refers to ID. */
static int
s_refer(struct cli *c, const char *kind, json_t *opts, json_t *args)
{
	json_t *o = json_pack("{s:s,s:O}", "kind", kind, "ref", json_array_get(args, 0));

	if (cli_fields_of(c, opts, o) != 0) {
		json_decref(o);
		return 1;
	}
	return cli_publish_ref(c, o);
}

static int
cmd_sight(struct cli *c, json_t *opts, json_t *args)
{
	return s_refer(c, "sighting", opts, args);
}

static int
cmd_retract(struct cli *c, json_t *opts, json_t *args)
{
	return s_refer(c, "retract", opts, args);
}

/* The time members (ms since the epoch, 0 for never) of o as RFC 3339
 * (null for never), as every JSON of the CLI gives times. */
static void
s_times(json_t *o, const char *const *keys)
{
	char when[TIMEFMT_LEN];

	for (; *keys != NULL; keys++) {
		json_t *v = json_object_get(o, *keys);
		if (!json_is_integer(v))
			continue;
		if (json_integer_value(v) <= 0)
			json_object_set_new(o, *keys, json_null());
		else {
			timefmt_format(when, (uint64_t)json_integer_value(v));
			json_object_set_new(o, *keys, json_string(when));
		}
	}
}

static int
cmd_peers(struct cli *c, json_t *opts, json_t *args)
{
	static const char *const times[] = { "last_seen", "last_reconciled", NULL };
	json_t *rep, *a, *p;
	int wname = 4;
	size_t i;

	(void)opts, (void)args;
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "peers"))) == NULL)
		return 1;
	a = json_object_get(rep, "peers");
	json_array_foreach(a, i, p) wname = cli_width(wname, cli_field(p, "name"));
	if (!c->json)
		printf("%-*s %-9s %-9s %-19s %8s %8s %8s %7s %7s  %s\n", wname, "NAME", "LEVEL",
		    "CONNECTED", "LAST SEEN (UTC)", "SENT", "RECEIVED", "REJECTED", "REJ/MIN",
		    "REFUSED", "REASONS");
	json_array_foreach(a, i, p)
	{
		char when[TIMEFMT_LEN] = "-", reasons[256] = "";
		uint64_t seen = (uint64_t)json_integer_value(json_object_get(p, "last_seen")),
		         total = 0;
		const char *k;
		json_t *v;
		if (c->json) {
			s_times(p, times);
			cli_print_json(c, json_incref(p));
			continue;
		}
		if (seen > 0) {
			timefmt_format(when, seen);
			when[19] = '\0';
		}
		json_object_foreach(json_object_get(p, "rejected"), k, v)
		{
			size_t used = strlen(reasons);
			total += (uint64_t)json_integer_value(v);
			snprintf(reasons + used, sizeof reasons - used, "%s%s=%lld",
			    used ? " " : "", k, (long long)json_integer_value(v));
		}
		printf("%-*s %-9s %-9s %-19s %8lld %8lld %8llu %7lld %7lld  %s\n", wname,
		    cli_field(p, "name"), cli_field(p, "level"),
		    json_is_true(json_object_get(p, "connected")) ? "yes" : "no", when,
		    (long long)json_integer_value(json_object_get(p, "sent")),
		    (long long)json_integer_value(json_object_get(p, "received")),
		    (unsigned long long)total,
		    (long long)json_integer_value(json_object_get(p, "rejected_last_minute")),
		    (long long)json_integer_value(json_object_get(p, "refused_by_peer")), reasons);
	}
	cli_end(c);
	json_decref(rep);
	return 0;
}

/* One metric's header, Prometheus text exposition format 0.0.4. */
static void
s_prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric with one sample per member of obj, labelled label="key".
 * Keys are TLP, kind and level words, reason tokens and node names, none
 * of which needs escaping (names are checked when the trust list loads). */
static void
s_prom_group(const char *name, const char *help, const char *label, json_t *obj)
{
	const char *k;
	json_t *v;

	s_prom_head(name, "gauge", help);
	json_object_foreach(obj, k, v)
	    printf("%s{%s=\"%s\"} %lld\n", name, label, k, (long long)json_integer_value(v));
}

/* A per-peer counter taken from field of every peer object. */
static void
s_prom_peers(json_t *peers, const char *name, const char *type, const char *help, const char *field)
{
	size_t i;
	json_t *p;

	s_prom_head(name, type, help);
	json_array_foreach(peers, i, p) printf("%s{peer=\"%s\"} %lld\n", name, cli_field(p, "name"),
	    (long long)json_integer_value(json_object_get(p, field)));
}

static void
s_prometheus(json_t *st, json_t *peers)
{
	json_t *levels = json_object(), *p, *v;
	long long up = 0, now = (long long)now_ms();
	const char *k;
	size_t i;

	for (int l = 0; l < MSG_LEVEL_COUNT; l++)
		json_object_set_new(levels, msg_level_name((enum msg_level)l), json_integer(0));
	json_array_foreach(peers, i, p)
	{
		const char *level = cli_field(p, "level");
		json_object_set_new(levels, level,
		    json_integer(json_integer_value(json_object_get(levels, level)) + 1));
		up += json_is_true(json_object_get(p, "connected"));
	}
	s_prom_head("socmesh_build_info", "gauge", "The version of the running socmeshd.");
	printf("socmesh_build_info{version=\"%s\"} 1\n", cli_field(st, "version"));
	s_prom_head("socmesh_info", "gauge", "This node: name and id.");
	printf("socmesh_info{name=\"%s\",id=\"%s\"} 1\n", cli_field(st, "name"),
	    cli_field(st, "id"));
	s_prom_head("socmesh_uptime_seconds", "gauge", "Seconds since socmeshd started.");
	printf("socmesh_uptime_seconds %lld\n",
	    (long long)json_integer_value(json_object_get(st, "uptime_s")));
	s_prom_head("socmesh_loop_lag_seconds", "gauge",
	    "How late the daemon's event loop ran over the last minute: 99th percentile and "
	    "largest.");
	printf("socmesh_loop_lag_seconds{quantile=\"0.99\"} %.6f\n",
	    json_number_value(json_object_get(st, "loop_lag_p99_ms")) / 1000);
	printf("socmesh_loop_lag_seconds{quantile=\"1\"} %.6f\n",
	    json_number_value(json_object_get(st, "loop_lag_max_ms")) / 1000);
	s_prom_head("socmesh_pipeline_in_flight", "gauge",
	    "Messages in the ingest pipeline, not yet committed or refused.");
	printf("socmesh_pipeline_in_flight %lld\n",
	    (long long)json_integer_value(json_object_get(st, "pipeline_in_flight")));
	s_prom_group("socmesh_peers", "Trust-list peers by level.", "level", levels);
	s_prom_head("socmesh_peers_connected", "gauge", "Peers connected now.");
	printf("socmesh_peers_connected %lld\n", up);
	s_prom_head("socmesh_peer_up", "gauge", "1 when the peer is connected.");
	json_array_foreach(peers, i, p)
	    printf("socmesh_peer_up{peer=\"%s\",level=\"%s\"} %d\n", cli_field(p, "name"),
	        cli_field(p, "level"), json_is_true(json_object_get(p, "connected")));
	s_prom_group("socmesh_messages", "Messages stored, by TLP.", "tlp",
	    json_object_get(st, "by_tlp"));
	s_prom_group("socmesh_messages_by_kind", "Messages stored, by kind.", "kind",
	    json_object_get(st, "by_kind"));
	s_prom_peers(peers, "socmesh_peer_sent_total", "counter", "Messages sent to the peer.",
	    "sent");
	s_prom_peers(peers, "socmesh_peer_received_total", "counter",
	    "Messages received from the peer and stored.", "received");
	s_prom_peers(peers, "socmesh_peer_duplicates_total", "counter",
	    "Messages received from the peer that were here already.", "duplicates");
	s_prom_peers(peers, "socmesh_peer_dropped_total", "counter",
	    "Messages not sent to the peer: its queue was full, or no connection took them.",
	    "dropped");
	s_prom_head("socmesh_rejections_total", "counter",
	    "Messages rejected, by peer and reason.");
	json_array_foreach(peers, i, p) json_object_foreach(json_object_get(p, "rejected"), k, v)
	    printf("socmesh_rejections_total{peer=\"%s\",reason=\"%s\"} %lld\n",
	        cli_field(p, "name"), k, (long long)json_integer_value(v));
	s_prom_peers(peers, "socmesh_peer_rejections_last_minute", "gauge",
	    "Rejections of the peer's frames in the last minute (a refused message counts once): "
	    "falls back to zero when the cause is gone.",
	    "rejected_last_minute");
	s_prom_peers(peers, "socmesh_peer_refused_by_peer", "gauge",
	    "Messages the peer refused from this node, not offered to it again.",
	    "refused_by_peer");
	s_prom_head("socmesh_store_used_bytes", "gauge", "Bytes of the store in use.");
	printf("socmesh_store_used_bytes %lld\n",
	    (long long)json_integer_value(json_object_get(st, "store_used_bytes")));
	s_prom_head("socmesh_store_size_bytes", "gauge", "The store's size limit (store_size).");
	printf("socmesh_store_size_bytes %lld\n",
	    (long long)json_integer_value(json_object_get(st, "store_size_limit")));
	s_prom_peers(peers, "socmesh_reconciliations_total", "counter",
	    "Reconciliations completed with the peer since socmeshd started.", "reconciliations");
	s_prom_head("socmesh_reconciliation_lag_seconds", "gauge",
	    "Seconds since the last completed reconciliation with the peer.");
	json_array_foreach(peers, i, p)
	{
		long long last = (long long)json_integer_value(
		    json_object_get(p, "last_reconciled"));
		if (last > 0)
			printf("socmesh_reconciliation_lag_seconds{peer=\"%s\"} %.3f\n",
			    cli_field(p, "name"), (double)(now > last ? now - last : 0) / 1000.0);
	}
	json_decref(levels);
}

static int
cmd_stats(struct cli *c, json_t *opts, json_t *args)
{
	bool prom = json_object_get(opts, "prometheus") != NULL;
	json_t *rep, *peers = NULL, *srcs = NULL, *st, *v;
	const char *k;

	(void)args;
	if (prom && c->json)
		return cli_error(c, "--json or --prometheus, not both");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "stats"))) == NULL)
		return 1;
	if (prom &&
	    ((peers = cli_ask(c, json_pack("{s:s}", "cmd", "peers"))) == NULL ||
	        (srcs = cli_ask(c, json_pack("{s:s}", "cmd", "sources"))) == NULL)) {
		json_decref(peers);
		json_decref(rep);
		return 1;
	}
	st = json_object_get(rep, "stats");
	if (prom) {
		s_prometheus(st, json_object_get(peers, "peers"));
		cli_sources_prometheus(json_object_get(srcs, "sources"));
		taxii_prometheus(json_object_get(st, "taxii"), stdout);
	} else if (c->json) {
		cli_print_json(c, json_incref(st));
		cli_end(c);
	} else {
		long long msgs = (long long)json_integer_value(json_object_get(st, "messages"));
		printf("node %s: %lld message%s, store %lld of %lld bytes, up %lld s\n",
		    cli_field(st, "name"), msgs, msgs == 1 ? "" : "s",
		    (long long)json_integer_value(json_object_get(st, "store_used_bytes")),
		    (long long)json_integer_value(json_object_get(st, "store_size_limit")),
		    (long long)json_integer_value(json_object_get(st, "uptime_s")));
		static const char *const groups[] = { "by_tlp", "by_kind", "by_origin" };
		for (size_t i = 0; i < 3; i++) {
			printf("%-10s", groups[i] + 3);
			json_object_foreach(json_object_get(st, groups[i]), k, v)
			    printf(" %s=%lld", k, (long long)json_integer_value(v));
			putchar('\n');
		}
	}
	json_decref(srcs);
	json_decref(peers);
	json_decref(rep);
	return 0;
}

static int
cmd_rotate(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep;

	(void)opts, (void)args;
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "rotate"))) == NULL)
		return 1;
	if (c->json) {
		cli_print_json(c,
		    json_pack("{s:s,s:s}", "id", cli_field(rep, "id"), "statement",
		        cli_field(rep, "statement")));
		cli_end(c);
	} else
		printf("new node id: %s\nrotation statement: %s\n"
		       "peers take the new key at once, provisionally; a roster that lists it "
		       "makes it final (docs/COORDINATOR.md)\n",
		    cli_field(rep, "id"), cli_field(rep, "statement"));
	json_decref(rep);
	return 0;
}

static int
cmd_network(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep, *e;
	int wname = 4;
	size_t i, k;

	(void)opts, (void)args;
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "network"))) == NULL)
		return 1;
	/* One document, the array of members, as it was from the start. */
	if (c->json) {
		c->json_array = false;
		cli_print_json(c, json_incref(json_object_get(rep, "network")));
		json_decref(rep);
		return 0;
	}
	json_array_foreach(json_object_get(rep, "network"), i, e)
	    wname = cli_width(wname, cli_field(e, "name"));
	printf("%-*s %-5s %-9s %-20s %-5s %-10s %s\n", wname, "NAME", "EPOCH", "VERSION",
	    "LAST HEARD (UTC)", "PEERS", "STORE", "FLAGS");
	json_array_foreach(json_object_get(rep, "network"), i, e)
	{
		char flags[128] = "", epoch[24] = "-", peers[24] = "-", store[32] = "-";
		json_t *f;
		json_array_foreach(json_object_get(e, "flags"), k, f)
		{
			strncat(flags, k ? "," : "", sizeof flags - strlen(flags) - 1);
			strncat(flags, json_string_value(f), sizeof flags - strlen(flags) - 1);
		}
		if (json_is_integer(json_object_get(e, "epoch")))
			snprintf(epoch, sizeof epoch, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(e, "epoch")));
		if (json_is_integer(json_object_get(e, "peers")))
			snprintf(peers, sizeof peers, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(e, "peers")));
		if (json_is_integer(json_object_get(e, "store_bytes")))
			snprintf(store, sizeof store, "%.1fM",
			    (double)json_integer_value(json_object_get(e, "store_bytes")) /
			        1048576);
		printf("%-*s %-5s %-9s %-20.19s %-5s %-10s %s\n", wname, cli_field(e, "name"),
		    epoch, *cli_field(e, "version") ? cli_field(e, "version") : "-",
		    *cli_field(e, "last_heard") ? cli_field(e, "last_heard") : "-", peers, store,
		    flags);
	}
	json_decref(rep);
	return 0;
}

static int
cmd_explain(struct cli *c, json_t *opts, json_t *args)
{
	json_t *rep, *e;
	uint8_t id[32];
	char hex[65];
	int wpeer = 4;
	size_t i;

	(void)opts;
	if (cli_id(c, json_string_value(json_array_get(args, 0)), id) != 0)
		return 1;
	hex_encode(hex, id, 32);
	if ((rep = cli_ask(c, json_pack("{s:s,s:s}", "cmd", "explain", "id", hex))) == NULL)
		return 1;
	if (!c->json && json_is_string(json_object_get(rep, "self")))
		printf("%s\n", cli_field(rep, "self"));
	json_array_foreach(json_object_get(rep, "explain"), i, e)
	    wpeer = cli_width(wpeer, cli_field(e, "peer"));
	if (!c->json)
		printf("%-*s %-10s %s\n", wpeer, "PEER", "DECISION", "WHY");
	json_array_foreach(json_object_get(rep, "explain"), i, e)
	{
		if (c->json)
			cli_print_json(c, json_incref(e));
		else
			printf("%-*s %-10s %s\n", wpeer, cli_field(e, "peer"),
			    cli_field(e, "decision"), cli_field(e, "why"));
	}
	cli_end(c);
	json_decref(rep);
	return 0;
}

/* ---- query, show ------------------------------------------------------- */

/*
 * The daemon finds the messages and sends their signed bytes, a page at a
 * time (control.h); this side decodes them, opens sealed bodies with the
 * key when this user may read it, and prints them with the names of its
 * trust list.
 */

void
cli_forget(struct cli_opened *o)
{
	if (o->p != NULL) {
		sodium_memzero(o->p, o->n);
		free(o->p);
	}
	o->p = NULL;
	o->n = 0;
}

struct filter {
	struct node *n;
	struct cli *c;
	struct msg *m;
	struct cli_opened plain;
	size_t limit, shown;
	int wname;         /* the origin column: the longest name */
	int severity, min; /* --severity, --severity-min: -1 for any */
	/* When set, each row's JSON object goes here instead of stdout
	 * (export --format): sink takes a reference of its own. */
	void (*sink)(void *arg, json_t *o);
	void *sink_arg;
};

/* Decodes a stored message, opening its body when this node may; the
 * plaintext is kept in o until the next call or cli_forget(o). */
int
cli_decode(struct node *n, struct msg *m, const uint8_t *bytes, size_t len, struct cli_opened *o)
{
	cli_forget(o);
	if (msg_decode(m, bytes, len, 0) != MSG_OK)
		return -1;
	if (!m->has_body && n->keys != NULL &&
	    msg_open(m, n->id, n->keys->curve_pk, n->keys->curve_sk, &o->p, &o->n) != MSG_OK &&
	    iocseal_open_old(n->dir, m, &o->p, &o->n) != MSG_OK)
		m->has_body = false;
	return 0;
}

/*
 * Pages through a request of the daemon's that answers {"messages": [...],
 * "next"} (query, thread): req (taken over) is sent with "limit" and
 * "after" set, for as long as "next" is not null and want (0: no limit)
 * messages have not come.  fn is called with each message object and arg;
 * it returns how many it took (0 or 1).  0, or 1 after an error line.
 */
int
cli_pages(struct cli *c, json_t *req, size_t want, size_t (*fn)(void *, json_t *), void *arg)
{
	size_t got = 0, i;
	char *after = NULL;
	json_t *rep, *o;
	int rc = 0;

	do {
		size_t limit = want == 0 || want - got > CONTROL_PAGE_ITEMS ? CONTROL_PAGE_ITEMS
		                                                            : want - got;
		const char *next;
		json_t *r = json_deep_copy(req);

		json_object_set_new(r, "limit", json_integer((json_int_t)limit));
		if (after != NULL)
			json_object_set_new(r, "after", json_string(after));
		free(after);
		after = NULL;
		if ((rep = cli_ask(c, r)) == NULL) {
			rc = 1;
			break;
		}
		json_array_foreach(json_object_get(rep, "messages"), i, o)
		{
			if (want != 0 && got >= want)
				break;
			got += fn(arg, o);
		}
		if ((next = json_string_value(json_object_get(rep, "next"))) != NULL &&
		    (after = strdup(next)) == NULL)
			rc = cli_error(c, "out of memory");
		json_decref(rep);
	} while (after != NULL && (want == 0 || got < want));
	free(after);
	json_decref(req);
	return rc;
}

/* msgjson_new() with this node named where it is the origin or a
 * recipient (the trust list does not hold the node itself). */
json_t *
cli_msgjson(const struct node *n, const struct msg *m)
{
	json_t *o = msgjson_new(m, n->trust), *r;
	size_t i;

	if (o == NULL)
		return NULL;
	if (memcmp(m->origin, n->id, MSG_KEY_LEN) == 0)
		json_object_set_new(json_object_get(o, "origin"), "name", json_string(n->cfg.name));
	json_array_foreach(json_object_get(o, "recipients"), i,
	    r) if (i < m->nto && memcmp(m->to[i], n->id, MSG_KEY_LEN) == 0)
	    json_object_set_new(r, "name", json_string(n->cfg.name));
	return o;
}

/* The one-line title of a roster or endpoints message, which have none. */
void
cli_governs_title(const struct msg *m, char *buf, size_t len)
{
	const struct msg_body *b = &m->body;

	if (m->kind == MSG_KIND_ENDPOINTS)
		snprintf(buf, len, "endpoints of %zu members", b->nmembers);
	else if (m->kind == MSG_KIND_ROTATE) {
		char hex[2 * MSG_KEY_LEN + 1];
		hex_encode(hex, b->peer, MSG_KEY_LEN);
		snprintf(buf, len, "key rotation to %.12s", hex);
	} else if (b->epoch > 0)
		snprintf(buf, len, "roster %llu of %.*s: %zu members, threshold %llu",
		    (unsigned long long)b->epoch, (int)b->network.n, b->network.p, b->nmembers,
		    (unsigned long long)b->threshold);
	else
		snprintf(buf, len, "roster entry (legacy): %.*s %s", (int)b->name.n, b->name.p,
		    msg_level_name(b->level));
}

/* An origin that is neither this node nor trusted now: blocked, or gone
 * from the trust list in force (a roster revoked it).  Its messages stay
 * stored, marked, and are no report of anything. */
bool
cli_revoked(const struct node *n, const uint8_t origin[MSG_KEY_LEN])
{
	const struct trust_peer *p;

	if (memcmp(origin, n->id, MSG_KEY_LEN) == 0)
		return false;
	p = trust_find_id(n->trust, origin);
	return p == NULL || p->level == MSG_LEVEL_BLOCKED;
}

/* One message found, as a row of the table or a JSON line; item is the
 * daemon's (its "received" time and "cursor"). */
static void
s_row(struct filter *f, const struct msg *m, const json_t *item)
{
	bool retracted = json_is_true(json_object_get(item, "retracted"));
	char when[TIMEFMT_LEN], sb[13], ib[13], title[256];
	const char *sev = "-";

	if (f->c->json || f->sink != NULL) {
		json_t *o = cli_msgjson(f->n, m), *v;
		json_object_set_new(json_object_get(o, "origin"), "name",
		    json_string(cli_name(f->n, m->origin, sb)));
		json_object_set_new(o, "retracted", json_boolean(retracted));
		json_object_set_new(o, "revoked", json_boolean(cli_revoked(f->n, m->origin)));
		json_object_set_new(o, "expired", json_boolean(msg_expired(m, now_ms())));
		if (json_is_integer(v = json_object_get(item, "received"))) {
			timefmt_format(when, (uint64_t)json_integer_value(v));
			json_object_set_new(o, "received", json_string(when));
		}
		if (json_is_integer(v = json_object_get(item, "cursor")))
			json_object_set(o, "cursor", v);
		if (json_is_integer(v = json_object_get(item, "words")))
			json_object_set(o, "words", v);
		if (f->sink != NULL) {
			f->sink(f->sink_arg, o);
			json_decref(o);
		} else
			cli_print_json(f->c, o);
		return;
	}
	if (f->shown == 0)
		printf("%-16s  %-12s %-8s %-9s %-*s %-12s %s\n", "TIME (UTC)", "TLP", "KIND",
		    "SEVERITY", f->wname, "ORIGIN", "ID", "TITLE");
	timefmt_format(when, m->time);
	when[16] = '\0';
	if (!m->has_body)
		snprintf(title, sizeof title, "(sealed)");
	else if (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE) {
		const struct msg_body *b = &m->body;
		if (b->title.n > 0 || m->kind == MSG_KIND_INCIDENT)
			snprintf(title, sizeof title, "%.*s", (int)b->title.n, b->title.p);
		else /* a partial update: what it changes */
			snprintf(title, sizeof title, "(update)%s%s%s%s%s%s%s",
			    b->status >= 0 ? " status " : "",
			    b->status >= 0 ? msg_status_name((enum msg_status)b->status) : "",
			    b->has_lead ? " lead " : "",
			    b->has_lead ? cli_name(f->n, b->lead, sb) : "",
			    b->summary.n > 0 ? " summary" : "",
			    b->nindicators > 0 ? " indicators" : "",
			    msg_has_lessons(b) ? " lessons" : "");
		if (b->severity >= 0)
			sev = msg_severity_name((enum msg_severity)b->severity);
	} else if (m->kind == MSG_KIND_ROSTER || m->kind == MSG_KIND_ENDPOINTS ||
	    m->kind == MSG_KIND_ROTATE)
		cli_governs_title(m, title, sizeof title);
	else if (m->kind == MSG_KIND_COMMENT)
		snprintf(title, sizeof title, "%.*s", (int)m->body.text.n, m->body.text.p);
	else
		snprintf(title, sizeof title, "%.*s", (int)m->body.note.n, m->body.note.p);
	printf("%-16s  %-12s %-8s %-9s %-*s %-12s %s%s%s%s\n", when, msg_tlp_name(m->tlp),
	    msg_kind_name(m->kind), sev, f->wname, cli_name(f->n, m->origin, sb),
	    cli_short(m->id, ib), retracted ? "[retracted] " : "",
	    cli_revoked(f->n, m->origin) ? "[revoked origin] " : "",
	    msg_expired(m, now_ms()) ? "[expired] " : "", title);
}

/* --severity and --severity-min, on a body this side could open. */
static bool
s_severity_ok(const struct filter *f, const struct msg *m)
{
	bool has = m->has_body && (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE);

	if (f->severity >= 0 && (!has || (int)m->body.severity != f->severity))
		return false;
	return f->min < 0 || (has && (int)m->body.severity >= f->min);
}

/* cli_pages() of query and watch: one message the daemon found, printed
 * when it passes this side's filters. */
static size_t
s_query_item(void *arg, json_t *o)
{
	struct filter *f = arg;
	uint8_t *bytes;
	size_t len;
	bool ok;

	if ((bytes = control_unbase64(json_object_get(o, "message"), &len)) == NULL ||
	    cli_decode(f->n, f->m, bytes, len, &f->plain) == -1) {
		free(bytes);
		return 0;
	}
	if ((ok = s_severity_ok(f, f->m))) {
		s_row(f, f->m, o);
		f->shown++;
	}
	free(bytes);
	fflush(stdout);
	return ok;
}

/* A normalized indicator as the daemon's query takes it: "TYPE:VALUE"
 * (a normalized value is its own normal form). */
json_t *
cli_ioc_json(enum ioc_type t, const char *value, size_t len)
{
	char q[16 + IOC_MAX_VALUE + 1];
	int n = snprintf(q, sizeof q, "%s:", ioc_type_name(t));

	if (len > sizeof q - (size_t)n)
		return NULL;
	memcpy(q + n, value, len);
	return json_stringn(q, (size_t)n + len);
}

/* An indicator as TYPE:VALUE, or a value whose type is inferred
 * (ioc_parse_text()), for the daemon's query; NULL after an error line. */
static json_t *
s_indicator(struct cli *c, const char *indicator)
{
	struct ioc_value v;

	if (ioc_parse_text(indicator, strlen(indicator), &v, c->err, sizeof c->err) == -1) {
		cli_error(c, "--indicator: %s", c->err);
		return NULL;
	}
	return cli_ioc_json(v.type, v.value, v.len);
}

/*
 * The filters of query and watch, from opts into the daemon's request q
 * (since and until as ms, words as the wire spells them, an origin as its
 * id, one indicator: the caller sends one request per --indicator) and f
 * (what this side filters: severities).  0, or 1 after an error line.
 */
static int
s_filters(struct cli *c, json_t *opts, json_t *q, struct filter *f)
{
	static const struct {
		const char *opt;
		enum cli_enum e;
	} words[] = { { "tlp", CLI_E_TLP }, { "category", CLI_E_CATEGORY },
		{ "kind", CLI_E_KIND } };
	uint64_t now = now_ms(), since = 0, until = UINT64_MAX;
	const char *v;
	uint8_t key[32];
	char hex[65];
	int w;

	if ((v = cli_opt_str(opts, "since")) != NULL &&
	    cli_when(c, "since", v, CLI_FROM, now, &since) != 0)
		return 1;
	if ((v = cli_opt_str(opts, "until")) != NULL &&
	    cli_when(c, "until", v, CLI_UNTIL, now, &until) != 0)
		return 1;
	/* The daemon's times are signed 64-bit: a later bound is none. */
	json_object_set_new(q, "since",
	    json_integer((json_int_t)(since > INT64_MAX ? INT64_MAX : since)));
	if (until <= INT64_MAX)
		json_object_set_new(q, "until", json_integer((json_int_t)until));
	json_object_set_new(q, "all", json_boolean(json_object_get(opts, "all") != NULL));
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if ((v = cli_opt_str(opts, words[i].opt)) == NULL)
			continue;
		if (cli_word(c, words[i].opt, words[i].e, v, &w) != 0)
			return 1;
		json_object_set_new(q, words[i].opt, json_string(cli_word_name(words[i].e, w)));
	}
	f->severity = f->min = -1;
	if ((v = cli_opt_str(opts, "severity")) != NULL &&
	    cli_word(c, "severity", CLI_E_SEVERITY, v, &f->severity) != 0)
		return 1;
	if ((v = cli_opt_str(opts, "severity-min")) != NULL &&
	    cli_word(c, "severity-min", CLI_E_SEVERITY, v, &f->min) != 0)
		return 1;
	if ((v = cli_opt_str(opts, "origin")) != NULL) {
		if (strcmp(v, f->n->cfg.name) == 0)
			memcpy(key, f->n->id, 32);
		else if (node_resolve(f->n, v, key, c->err, sizeof c->err) == -1)
			return cli_error(c, "--origin: %s", c->err);
		hex_encode(hex, key, 32);
		json_object_set_new(q, "origin", json_string(hex));
	}
	f->wname = cli_width(6, f->n->cfg.name);
	for (size_t i = 0; i < trust_count(f->n->trust); i++)
		f->wname = cli_width(f->wname, trust_at(f->n->trust, i)->name);
	return 0;
}

/* The requests of query and watch: q alone, or one per --indicator (any
 * of them), into an array.  NULL after an error line. */
static json_t *
s_requests(struct cli *c, json_t *opts, json_t *q)
{
	json_t *inds = json_object_get(opts, "indicator"), *reqs = json_array(), *x;
	size_t i;

	if (inds == NULL)
		json_array_append(reqs, q);
	json_array_foreach(inds, i, x)
	{
		json_t *r = json_deep_copy(q), *v = s_indicator(c, json_string_value(x));
		if (v == NULL) {
			json_decref(r), json_decref(reqs);
			return NULL;
		}
		json_object_set_new(r, "indicator", v);
		json_array_append_new(reqs, r);
	}
	return reqs;
}

/* The reader of query and watch: the node's names and keys, a message to
 * decode into.  0, or 1 after an error line. */
static int
s_filter_open(struct cli *c, struct filter *f)
{
	f->c = c;
	if (cli_client(c) == NULL || (f->n = cli_open_reader(c)) == NULL)
		return 1;
	if ((f->m = msg_new()) == NULL)
		return cli_error(c, "out of memory");
	return 0;
}

static void
s_filter_close(struct filter *f)
{
	cli_forget(&f->plain);
	msg_destroy(&f->m);
	node_close(&f->n);
}

/* cli_pages() of a query with several indicators: the messages, gathered. */
static size_t
s_gather(void *arg, json_t *o)
{
	json_array_append(arg, o);
	return 1;
}

/* Newest first: by cursor, the order of commits on this node. */
static int
s_by_cursor(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "cursor"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "cursor"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The messages of query's options, newest first, each to s_query_item()
 * with f (its limit and sink set by the caller; opened and closed here).
 * 0, or 1 after an error line. */
static int
s_query(struct cli *c, json_t *opts, struct filter *f)
{
	json_t *q = json_pack("{s:s}", "cmd", "query"), *reqs = NULL, *all = NULL;
	const char *v;
	uint64_t limit;
	int rc = 1;

	if ((v = cli_opt_str(opts, "limit")) != NULL) {
		if (parse_uint(v, &limit) == -1 || limit == 0 || limit > 1000000) {
			cli_error(c, "--limit: '%s' is not a number from 1 to 1000000", v);
			goto out;
		}
		f->limit = (size_t)limit;
	}
	if ((v = cli_opt_str(opts, "text")) != NULL) {
		/* The daemon ranks one page. */
		if (json_object_get(opts, "indicator") != NULL || f->limit > CONTROL_PAGE_ITEMS) {
			cli_error(c,
			    "--text: one ranked page of at most %d messages, without --indicator",
			    CONTROL_PAGE_ITEMS);
			goto out;
		}
		json_object_set_new(q, "text", json_string(v));
	}
	if (json_object_get(opts, "has-lessons") != NULL) {
		/* The daemon's lessons: query's filters over their index keys. */
		if (json_object_get(opts, "indicator") != NULL ||
		    json_object_get(opts, "text") != NULL) {
			cli_error(c, "--has-lessons: without --indicator or --text");
			goto out;
		}
		json_object_set_new(q, "cmd", json_string("lessons"));
	}
	if (s_filter_open(c, f) != 0 || s_filters(c, opts, q, f) != 0 ||
	    (reqs = s_requests(c, opts, q)) == NULL)
		goto out;
	if (json_array_size(reqs) == 1)
		rc = cli_pages(c, json_incref(json_array_get(reqs, 0)), f->limit, s_query_item, f);
	else {
		/* Any of the indicators: each one's newest, merged, each message once. */
		json_t *r, *seen = json_object(), *o;
		size_t i, j;
		all = json_array();
		rc = 0;
		json_array_foreach(reqs, i, r)
		    rc |= cli_pages(c, json_incref(r), f->limit, s_gather, all);
		json_t **items = calloc(json_array_size(all) + 1, sizeof *items);
		size_t n = 0;
		json_array_foreach(all, j, o) if (json_object_get(seen, cli_field(o, "id")) == NULL)
		{
			json_object_set(seen, cli_field(o, "id"), json_true());
			if (items != NULL)
				items[n++] = o;
		}
		if (items != NULL)
			qsort(items, n, sizeof *items, s_by_cursor);
		for (j = 0; rc == 0 && items != NULL && j < n && f->shown < f->limit; j++)
			s_query_item(f, items[j]);
		free(items);
		json_decref(seen);
	}
out:
	json_decref(all);
	json_decref(reqs);
	json_decref(q);
	s_filter_close(f);
	return rc;
}

int
cli_collect(struct cli *c, json_t *opts, const json_t *items, size_t limit,
    void (*sink)(void *, json_t *), void *arg)
{
	struct filter f = { .limit = limit,
		.severity = -1,
		.min = -1,
		.sink = sink,
		.sink_arg = arg };
	const json_t *o;
	size_t i;

	if (items == NULL)
		return s_query(c, opts, &f);
	if (s_filter_open(c, &f) != 0) {
		s_filter_close(&f);
		return 1;
	}
	json_array_foreach(items, i, o) s_query_item(&f, (json_t *)o);
	s_filter_close(&f);
	return 0;
}

static int
cmd_query(struct cli *c, json_t *opts, json_t *args)
{
	struct filter f = { .limit = QUERY_LIMIT };
	int rc;

	(void)args;
	if ((rc = s_query(c, opts, &f)) == 0 && f.shown == 0 && !c->json)
		printf("no messages\n");
	cli_end(c);
	return rc;
}

/*
 * watch: the messages committed on this node, as they are committed.  It
 * asks the daemon for what came after its cursor ("changes", one page at a
 * time, one request per --indicator), prints it, and asks again every
 * WATCH_POLL_MS once it has caught up: a consumer that reads slowly only
 * falls behind, the daemon never holds anything for it.  A daemon that
 * stops is waited for (a line on stderr), and the watch goes on from its
 * cursor when it is back.
 */
#define WATCH_POLL_MS 200

/* One round of changes after *cursor, for each request in reqs: printed
 * in commit order, each message once; *cursor advances to where every
 * request has looked.  0; 1 after an error line; -1 when the daemon
 * could not be asked (the caller waits and tries again). */
static int
s_watch_round(struct cli *c, struct filter *f, json_t *reqs, uint64_t *cursor, bool *more)
{
	json_t *r, *got = json_array(), *o, *seen = json_object();
	uint64_t upto = UINT64_MAX;
	size_t i, n = 0;
	int rc = 0;

	*more = false;
	json_array_foreach(reqs, i, r)
	{
		json_t *q = json_deep_copy(r), *rep;
		json_object_set_new(q, "after", json_integer((json_int_t)*cursor));
		/* control_request() takes q over. */
		if (cli_client(c) == NULL ||
		    (rep = control_request(c->cc, q, c->err, sizeof c->err)) == NULL) {
			rc = -1;
			break;
		}
		if (!json_is_true(json_object_get(rep, "ok"))) {
			rc = cli_error(c, "%s", cli_field(rep, "error"));
			json_decref(rep);
			break;
		}
		uint64_t next = (uint64_t)json_integer_value(json_object_get(rep, "next"));
		uint64_t last = (uint64_t)json_integer_value(json_object_get(rep, "last"));
		if (next < upto)
			upto = next;
		*more |= next < last;
		json_array_extend(got, json_object_get(rep, "messages"));
		json_decref(rep);
	}
	json_t **items = rc == 0 ? calloc(json_array_size(got) + 1, sizeof *items) : NULL;
	json_array_foreach(got, i, o)
	{
		uint64_t k = (uint64_t)json_integer_value(json_object_get(o, "cursor"));
		if (items == NULL || k > upto || json_object_get(seen, cli_field(o, "id")) != NULL)
			continue;
		json_object_set(seen, cli_field(o, "id"), json_true());
		items[n++] = o;
	}
	if (items != NULL) {
		qsort(items, n, sizeof *items, s_by_cursor);
		while (n > 0)
			s_query_item(f, items[--n]);
		if (upto != UINT64_MAX && upto > *cursor)
			*cursor = upto;
	} else if (rc == 0)
		rc = cli_error(c, "out of memory");
	free(items);
	json_decref(seen);
	json_decref(got);
	return rc;
}

static int
cmd_watch(struct cli *c, json_t *opts, json_t *args)
{
	struct filter f = { .limit = 0 };
	json_t *q = json_pack("{s:s}", "cmd", "changes"), *reqs = NULL;
	bool once = json_object_get(opts, "once") != NULL, more, waiting = false;
	const char *after = cli_opt_str(opts, "after"), *cfile = cli_opt_str(opts, "cursor-file");
	uint64_t cursor = 0, saved;
	char *buf = NULL;
	size_t len;
	int rc = 1;

	(void)args;
	/* --cursor-file: where the last watch stopped, unless --after says. */
	if (cfile != NULL && after == NULL && file_read_all(cfile, 64, &buf, &len) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (parse_uint(buf, &cursor) == -1) {
			cli_error(c, "--cursor-file %s: '%s' is not a cursor", cfile, buf);
			goto out;
		}
		after = buf;
	} else if (cfile != NULL && after == NULL && errno != ENOENT) {
		cli_error(c, "--cursor-file %s: %s", cfile, strerror(errno));
		goto out;
	}
	saved = cursor;
	if (c->json_array && !once) {
		cli_error(c, "--json-array needs --once (a live feed is never one document)");
		goto out;
	}
	if (after != NULL && parse_uint(after, &cursor) == -1) {
		cli_error(c,
		    "--after: '%s' is not a cursor (a number from a JSON line's \"cursor\")",
		    after);
		goto out;
	}
	/* A live watch started before its daemon waits for it. */
	if (!once && control_probe(c->dir) != 1) {
		fprintf(stderr, "socmesh watch: socmeshd is not running for %s; waiting for it\n",
		    c->dir);
		while (control_probe(c->dir) != 1)
			usleep(1000 * 1000);
	}
	if (s_filter_open(c, &f) != 0 || s_filters(c, opts, q, &f) != 0 ||
	    (reqs = s_requests(c, opts, q)) == NULL)
		goto out;
	/* Without --after, from now on: after the last commit. */
	if (after == NULL) {
		json_t *rep = cli_ask(c,
		    json_pack("{s:s,s:i,s:i}", "cmd", "changes", "after", 0, "limit", 1));
		if (rep == NULL)
			goto out;
		cursor = (uint64_t)json_integer_value(json_object_get(rep, "last"));
		json_decref(rep);
	}
	for (;;) {
		int r = s_watch_round(c, &f, reqs, &cursor, &more);
		if (r > 0 || (r < 0 && once)) {
			if (r < 0)
				cli_error(c, "%s", c->err);
			break;
		}
		if (r < 0) {
			/* The daemon went away: wait for it, then go on. */
			if (!waiting)
				fprintf(stderr,
				    "socmesh watch: %s; waiting for it (cursor %" PRIu64 ")\n",
				    c->err, cursor);
			waiting = true;
			control_disconnect(&c->cc);
			usleep(1000 * 1000);
			continue;
		}
		if (cfile != NULL && cursor != saved) {
			char num[24];
			int n = snprintf(num, sizeof num, "%" PRIu64 "\n", cursor);
			if (fflush(stdout) != 0 ||
			    file_write_atomic(cfile, num, (size_t)n, 0644) == -1) {
				cli_error(c, "--cursor-file %s: %s", cfile, strerror(errno));
				break;
			}
			saved = cursor;
		}
		if (waiting)
			fprintf(stderr,
			    "socmesh watch: the daemon is back; going on after cursor %" PRIu64
			    "\n",
			    cursor);
		waiting = false;
		if (!more && once) {
			rc = 0;
			break;
		}
		if (!more)
			usleep(WATCH_POLL_MS * 1000);
	}
	cli_end(c);
out:
	free(buf);
	json_decref(reqs);
	json_decref(q);
	s_filter_close(&f);
	return rc;
}

/* ---- export, import, check --------------------------------------------- */

/* export ID: the signed message, as it travels (binary, to a file), or
 * with --json as query --json shows it. */
static int
cmd_export(struct cli *c, json_t *opts, json_t *args)
{
	struct filter f = { .c = c };
	json_t *rep = NULL;
	uint8_t id[32], *bytes = NULL;
	size_t len;
	bool missing;
	int rc = 1, format;

	if ((format = cli_format(c, opts)) != 0)
		return format < 0 ? 2 : cli_export_format(c, opts, args, format);
	if (json_array_size(args) != 1)
		return cli_error(c,
		    "one ID (several, or query's filters, with --format stix|misp)");
	for (const char *const *o = (const char *const[]){ "limit", "indicator", "since", "until",
	         "origin", "tlp", "category", "kind", "severity", "severity-min", "text", NULL };
	     *o != NULL; o++)
		if (json_object_get(opts, *o) != NULL)
			return cli_error(c, "--%s: with --format stix|misp only", *o);
	if (cli_id(c, json_string_value(json_array_get(args, 0)), id) != 0)
		return 1;
	if (!c->json && isatty(STDOUT_FILENO))
		return cli_error(c,
		    "writes the signed message in binary; redirect it to a file "
		    "(or --json for JSON)");
	if ((rep = cli_get(c, id, &missing)) == NULL)
		return missing
		    ? cli_error(c, "no message %s here", json_string_value(json_array_get(args, 0)))
		    : 1;
	if ((c->json && s_filter_open(c, &f) != 0) || (f.m == NULL && (f.m = msg_new()) == NULL))
		goto out;
	if ((bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    (c->json ? cli_decode(f.n, f.m, bytes, len, &f.plain)
	             : msg_decode(f.m, bytes, len, 0)) != 0)
		cli_error(c, "the stored message does not decode");
	else if (f.m->tlp == MSG_TLP_RED)
		cli_error(c,
		    "TLP:RED is never exported (it stays between its origin and its "
		    "recipients)");
	else if (c->json) {
		f.wname = 0;
		s_row(&f, f.m, rep);
		cli_end(c);
		rc = 0;
	} else if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0)
		cli_error(c, "%s", strerror(errno));
	else
		rc = 0;
out:
	free(bytes);
	json_decref(rep);
	s_filter_close(&f);
	return rc;
}

/* Each file goes to the running daemon, which judges it as a message from
 * a peer, stores it and offers it to its peers: import needs it running. */
static int
cmd_import(struct cli *c, json_t *opts, json_t *args)
{
	const char *fromname = cli_opt_str(opts, "from"), *file;
	struct node *n;
	json_t *v;
	size_t i;
	int rc = 0;
	int format;

	if ((format = cli_format(c, opts)) != 0)
		return format < 0 ? 2 : cli_import_format(c, opts, args, format);
	if (cli_opt_str(opts, "tlp") != NULL)
		return cli_error(c, "--tlp: with --format stix|misp only");

	if (cli_client(c) == NULL)
		return 1;
	/* An unknown peer stops it before any file (the daemon checks again). */
	if (fromname != NULL) {
		bool known;
		if ((n = cli_open(c, 0)) == NULL)
			return 1;
		known = trust_find_name(n->trust, fromname) != NULL;
		node_close(&n);
		if (!known)
			return cli_error(c, "--from: no peer '%s' in the trust list", fromname);
	}
	json_array_foreach(args, i, v)
	{
		json_t *req, *rep;
		size_t len;
		char *buf;
		file = json_string_value(v);
		if (file_read_all(file, MSG_MAX_SIZE_DEFAULT, &buf, &len) == -1) {
			rc = cli_error(c, "%s: %s", file,
			    errno == EFBIG ? "larger than a message can be" : strerror(errno));
			continue;
		}
		req = json_pack("{s:s,s:o}", "cmd", "import", "message",
		    control_base64((uint8_t *)buf, len));
		free(buf);
		if (fromname != NULL)
			json_object_set_new(req, "from", json_string(fromname));
		if ((rep = s_call(c, req)) == NULL) {
			rc = 1;
			continue;
		}
		if (!json_is_true(json_object_get(rep, "ok")))
			rc = cli_error(c, "%s: %s", file, cli_field(rep, "error"));
		else
			printf("%s %s\n",
			    strcmp(cli_field(rep, "result"), "duplicate") == 0 ? "duplicate"
			                                                       : "stored   ",
			    cli_field(rep, "id"));
		json_decref(rep);
	}
	return rc;
}

static int
cmd_check(struct cli *c, json_t *opts, json_t *args)
{
	struct node *n;
	struct store_stats st;
	int rc;

	(void)opts, (void)args;
	/* Read-only, in one read transaction: beside the daemon or without
	 * it.  Signatures need no secret key. */
	if ((n = cli_open(c, NODE_STORE)) == NULL)
		return 1;
	/* The indexes, and every message's format, id and signature. */
	rc = node_check(n, NULL, c->err, sizeof c->err);
	if (rc != STORE_OK)
		cli_error(c, "%s", c->err);
	else if (store_stats(n->st, &st) == STORE_OK)
		printf("store OK: %llu messages, %llu bytes in use\n",
		    (unsigned long long)st.messages, (unsigned long long)st.used_bytes);
	node_close(&n);
	return rc == STORE_OK ? 0 : 1;
}

/* ---- backup, restore ------------------------------------------------- */

/* A backup goes to a directory that exists and may be written, and never
 * into the node directory or its store, where it could replace the live
 * store or the key.  0, or 1 after an error line. */
static int
s_backup_target(struct cli *c, struct node *n, const char *file)
{
	char parent[PATH_MAX], sdir[PATH_MAX + 64];
	struct stat p, d, s;
	const char *slash = strrchr(file, '/');

	if (slash != NULL && slash[1] == '\0')
		return cli_error(c, "%s: a directory; name the file to write", file);
	if (slash == NULL)
		snprintf(parent, sizeof parent, ".");
	else if ((size_t)(slash - file) >= sizeof parent)
		return cli_error(c, "%s: path too long", file);
	else
		snprintf(parent, sizeof parent, "%.*s", slash == file ? 1 : (int)(slash - file),
		    file);
	if (stat(parent, &p) == -1 || access(parent, W_OK | X_OK) == -1)
		return cli_error(c, "%s: %s", parent, strerror(errno));
	if (node_store_dir(n, sdir, sizeof sdir) == -1 || stat(n->dir, &d) == -1 ||
	    stat(sdir, &s) == -1)
		return cli_error(c, "%s: %s", c->dir, strerror(errno));
	if ((p.st_dev == d.st_dev && p.st_ino == d.st_ino) ||
	    (p.st_dev == s.st_dev && p.st_ino == s.st_ino))
		return cli_error(c, "%s: not inside the node directory or its store", file);
	return 0;
}

/* --NAME FILE of backup and restore, which need it. */
static const char *
s_file_opt(struct cli *c, json_t *opts, const char *name)
{
	const char *file = cli_opt_str(opts, name);

	if (file == NULL || *file == '\0') {
		cli_error(c, "needs --%s FILE", name);
		return NULL;
	}
	return file;
}

static int
cmd_backup(struct cli *c, json_t *opts, json_t *args)
{
	const char *file = s_file_opt(c, opts, "to");
	uint64_t messages = 0;
	struct node *n;
	int rc;

	(void)args;
	/* A read transaction of its own: the running node goes on writing. */
	if (file == NULL || (n = cli_open(c, NODE_STORE)) == NULL)
		return 1;
	if (s_backup_target(c, n, file) != 0)
		rc = 1;
	else if ((rc = store_backup(n->st, file, &messages)) != STORE_OK)
		cli_error(c, "%s: %s", file,
		    rc == STORE_E_CORRUPT  ? "the copy could not be read back"
		        : rc == STORE_E_IO ? strerror(errno)
		                           : store_strerror(rc));
	else {
		printf("backup of %llu messages written to %s\n", (unsigned long long)messages,
		    file);
		if (messages == 0)
			fprintf(stderr,
			    "socmesh backup: warning: the store holds no messages, and restore "
			    "refuses a backup without any\n");
	}
	node_close(&n);
	return rc == STORE_OK ? 0 : 1;
}

static int
cmd_restore(struct cli *c, json_t *opts, json_t *args)
{
	const char *file = s_file_opt(c, opts, "from");
	struct node_restored r;
	struct node *n;
	int rc;

	(void)args;
	if (file == NULL)
		return 1;
	/* The node's lock decides; a daemon that answers is asked too (one
	 * started before node.lock existed, say). */
	if (control_probe(c->dir) == 1)
		return cli_error(c, "socmeshd is running for %s; stop it first", c->dir);
	if ((n = cli_open(c, 0)) == NULL)
		return 1;
	if ((rc = node_restore(n, file, &r, c->err, sizeof c->err)) == -1)
		cli_error(c, "%s", c->err);
	else {
		printf("store of %s restored from %s: %llu messages", n->cfg.name, file,
		    (unsigned long long)r.messages);
		if (r.kept[0] != '\0')
			printf("; the one it replaced is kept as %s", r.kept);
		putchar('\n');
		if (r.resume != 0)
			printf("watch cursors after %" PRIu64
			       " were lost with the messages after the "
			       "backup: a consumer holding one resumes with --after %" PRIu64 "\n",
			    r.resume, r.resume);
		if (r.seq_unknown)
			fprintf(stderr,
			    "socmesh restore: warning: the replaced store could not be read, so "
			    "the "
			    "sequence numbers used after the backup are unknown: let the node "
			    "reconcile with its peers before publishing\n");
	}
	node_close(&n);
	return rc == 0 ? 0 : 1;
}

/* ---- the commands ------------------------------------------------------ */

static const struct cli_opt s_none[] = { { NULL } };

static const struct cli_opt s_init_opts[] = {
	{ "name", "NAME", "this node's name (a label: letters, digits, - _ .)", 0 },
	{ "listen", "tcp://HOST:PORT", "where peers reach this node", 0 },
	{ "join", "FILE", "join a network: the roster file a coordinator exported", 0 },
	{ "coordinator", "ID", "a coordinator's node id, checked against FILE", CLI_MANY },
	{ NULL },
};

static const struct cli_opt s_trust_opts[] = {
	{ "name", "NAME", "add: the peer's name (a local label)", 0 },
	{ "key", "ID", "add: the peer's node id (64 hex digits)", 0 },
	{ "endpoint", "tcp://HOST:PORT", "where to reach it ('' for none)", 0 },
	{ "level", "LEVEL", "member, external or blocked", 0 },
	{ "coordinator", NULL, "it may sign rosters", 0 },
	{ "no-coordinator", NULL, "it may not sign rosters", 0 },
	{ NULL },
};

/* The fields of a message, as publish takes them (and sight, comment). */
#define MSG_OPTS                                                                                   \
	{ "tlp", "TLP", "clear, green, amber, amber+strict or red (any case, TLP: allowed)", 0 },  \
	    { "to", "NAME|ID", "a recipient (amber, amber+strict, red)", CLI_MANY },               \
	{                                                                                          \
		"indicator", "[TYPE:]VALUE", "an indicator; defanged forms are accepted", CLI_MANY \
	}

static const struct cli_opt s_publish_opts[] = {
	MSG_OPTS,
	{ "title", "TEXT", "the title (at most 256 bytes)", CLI_TEXT },
	{ "category", "CATEGORY", "RSIT category: malicious-code, intrusions, fraud, ...", 0 },
	{ "severity", "SEVERITY", "low, medium, high, very-high or critical", 0 },
	{ "status", "STATUS", "open, contained, resolved or false-positive", 0 },
	{ "summary", "TEXT", "what happened (at most 16384 bytes)", CLI_TEXT },
	{ "kind", "KIND", "incident (the default), update, sighting, comment or retract", 0 },
	{ "ref", "ID", "the message this one refers to (an id or a prefix of 8+)", 0 },
	{ "type", "TYPE", "the incident type within the category (a token: phishing)", 0 },
	{ "impact", "SEVERITY", "the impact on this SOC's constituency, severity words", 0 },
	{ "sector", "SECTOR", "an affected sector (a token: energy, health)", CLI_MANY },
	{ "scope", "TEXT", "who or what is affected (at most 4096 bytes)", CLI_TEXT },
	{ "attack", "TECHNIQUE", "a MITRE ATT&CK technique (T1566, T1566.001)", CLI_MANY },
	{ "action", "TEXT", "a recommended action (at most 1024 bytes)", CLI_MANY | CLI_TEXT },
	{ "expires", "WHEN", "when it stops being relevant: 30d, 2026-12-31, RFC 3339", 0 },
	{ "note", "TEXT", "a note (sighting, retract; at most 4096 bytes)", CLI_TEXT },
	{ "text", "TEXT", "the text of a comment (at most 4096 bytes)", CLI_TEXT },
	{ "detection", "TEXT", "how the incident was identified (at most 16384 bytes)", CLI_TEXT },
	{ "effects", "TEXT", "what it did (at most 16384 bytes)", CLI_TEXT },
	{ "response", "TEXT", "how it was handled (at most 16384 bytes)", CLI_TEXT },
	{ "lessons", "TEXT", "the lessons learned (at most 16384 bytes)", CLI_TEXT },
	{ "file", "FILE.json", "the fields as a JSON object (- reads stdin); options win", 0 },
	{ NULL },
};

static const struct cli_opt s_refer_opts[] = {
	{ "note", "TEXT", "a note (at most 4096 bytes)", CLI_TEXT },
	{ "tlp", "TLP", "its own TLP (else the referenced message's, and its recipients)", 0 },
	{ "to", "NAME|ID", "its own recipients", CLI_MANY },
	{ NULL },
};

static const struct cli_opt s_stats_opts[] = {
	{ "prometheus", NULL, "Prometheus text exposition format", 0 },
	{ NULL },
};

/* The filters of query and watch. */
#define FILTER_OPTS                                                                                \
	{ "indicator", "[TYPE:]VALUE", "carrying this indicator (repeated: any of them)",          \
		CLI_MANY },                                                                        \
	    { "since", "WHEN", "created since: 90m, 12h, 7d, 2026-12-01 (the whole day), ...",     \
		    0 },                                                                           \
	    { "until", "WHEN", "created until (a date: to its end)", 0 },                          \
	    { "origin", "NAME|ID", "published by this SOC", 0 },                                   \
	    { "tlp", "TLP", "of this TLP", 0 }, { "category", "CATEGORY", "of this category", 0 }, \
	    { "kind", "KIND", "of this kind", 0 },                                                 \
	    { "severity", "SEVERITY", "of this severity", 0 },                                     \
	    { "severity-min", "SEVERITY", "of this severity or higher", 0 },                       \
	    { "all", NULL, "retracted messages too", 0 },                                          \
	{                                                                                          \
		"json-array", NULL, "with --json: one JSON array instead of lines", 0              \
	}

static const struct cli_opt s_query_opts[] = {
	FILTER_OPTS,
	{ "text", "WORDS",
	    "whose title, summary, lessons or comment have these words, ranked (case and accents "
	    "do not matter)",
	    0 },
	{ "has-lessons", NULL,
	    "incidents and updates that carry detection, effects, response or lessons", 0 },
	{ "limit", "N", "at most N messages (default 50)", 0 },
	{ NULL },
};

static const struct cli_opt s_watch_opts[] = {
	FILTER_OPTS,
	{ "after", "CURSOR", "first what was committed after CURSOR (a JSON line's cursor)", 0 },
	{ "once", NULL, "deliver what is there and exit (for scheduled pulls)", 0 },
	{ "cursor-file", "FILE",
	    "start after the cursor in FILE (unless --after), and keep there the cursor reached",
	    0 },
	{ NULL },
};

static const struct cli_opt s_import_opts[] = {
	{ "from", "PEER", "judge the files as received from this peer (signed messages)", 0 },
	{ "format", "FORMAT",
	    "socmesh (signed messages, the default), stix (a STIX 2.1 bundle) or misp (MISP "
	    "events): a bundle or events are published as this node's own messages",
	    0 },
	{ "tlp", "TLP", "stix, misp: the TLP of what carries no TLP marking or tlp: tag", 0 },
	{ NULL },
};

static const struct cli_opt s_export_opts[] = {
	{ "format", "FORMAT",
	    "socmesh (the signed message, binary; the default), stix (one STIX 2.1 bundle) or "
	    "misp (MISP events, JSON)",
	    0 },
	FILTER_OPTS,
	{ "limit", "N", "stix, misp without IDs: at most N messages of the query (default 10000)",
	    0 },
	{ NULL },
};

static const struct cli_opt s_backup_opts[] = {
	{ "to", "FILE", "the backup file to write", 0 },
	{ NULL },
};

static const struct cli_opt s_restore_opts[] = {
	{ "from", "FILE", "the backup file to restore", 0 },
	{ NULL },
};

static const struct cli_cmd s_init_cmd = { "init", cmd_init, NULL, 0, 0,
	"create a node directory: identity, configuration, trust list, store",
	"  socmesh init --dir DIR --name NAME --listen tcp://HOST:PORT\n"
	"  socmesh init --dir DIR --name NAME --listen tcp://HOST:PORT --join FILE "
	"--coordinator ID...",
	s_init_opts };

static const struct cli_cmd *const s_commands[] = {
	&s_init_cmd,
	&(const struct cli_cmd){ "id", cmd_id, NULL, 0, 0, "print this node's id", NULL, s_none },
	&(const struct cli_cmd){ "trust", cmd_trust, "add|set|remove|list [NAME]", 1, 2,
	    "add, set, remove or list trusted peers",
	    "  socmesh trust add --name NAME --key ID [--endpoint tcp://HOST:PORT] [--level L] "
	    "[--coordinator]\n"
	    "  socmesh trust set NAME [--level L] [--endpoint E | --endpoint ''] "
	    "[--coordinator|--no-coordinator]\n"
	    "  socmesh trust remove NAME\n"
	    "  socmesh trust list [--json]",
	    s_trust_opts },
	&cli_roster_cmd,
	&(const struct cli_cmd){ "publish", cmd_publish, NULL, 0, 0,
	    "sign and store a message; prints its id",
	    "  An incident needs --tlp, --title, --category and --severity (--status is open\n"
	    "  unless given).  An update (--kind update --ref ID) carries only the fields it\n"
	    "  changes.  Without TYPE:, an indicator's type is inferred, strictly.",
	    s_publish_opts },
	&(const struct cli_cmd){ "sight", cmd_sight, "ID", 1, 1,
	    "publish a sighting of a message (\"we saw this too\")", NULL, s_refer_opts },
	&(const struct cli_cmd){ "retract", cmd_retract, "ID", 1, 1,
	    "withdraw a message this node published", NULL, s_refer_opts },
	&(const struct cli_cmd){ "peers", cmd_peers, NULL, 0, 0,
	    "the peers of the running node: connection, counters, rejections", NULL, s_none },
	&(const struct cli_cmd){ "explain", cmd_explain, "ID", 1, 1,
	    "why each peer did or did not get a message", NULL, s_none },
	&(const struct cli_cmd){ "rotate", cmd_rotate, NULL, 0, 0,
	    "a new key pair for this node, announced under both keys (the old stays its history)",
	    NULL, s_none },
	&(const struct cli_cmd){ "network", cmd_network, NULL, 0, 0,
	    "every member as its beacons tell: roster epoch, version, peers, store, flags", NULL,
	    s_none },
	&(const struct cli_cmd){ "stats", cmd_stats, NULL, 0, 0,
	    "counts by TLP, kind and origin, store use, uptime (--prometheus)", NULL,
	    s_stats_opts },
	&cli_sources_cmd,
	&cli_taxii_cmd,
	&(const struct cli_cmd){ "query", cmd_query, NULL, 0, 0,
	    "list messages, newest first, by indicator, time, origin, TLP, ...", NULL,
	    s_query_opts },
	&(const struct cli_cmd){ "watch", cmd_watch, NULL, 0, 0,
	    "follow the messages committed on this node, as they come (query's filters)",
	    "  Every JSON line carries \"cursor\": give the last one seen to --after to go on\n"
	    "  where a consumer stopped, missing nothing and repeating nothing.",
	    s_watch_opts },
	&cli_lookup_cmd,
	&cli_lessons_cmd,
	&cli_show_cmd,
	&cli_related_cmd,
	&cli_campaigns_cmd,
	&cli_comment_cmd,
	&cli_assign_cmd,
	&(const struct cli_cmd){ "export", cmd_export, "[ID...]", 0, SIZE_MAX,
	    "write one signed message, or cases as STIX 2.1 or MISP, to stdout",
	    "  socmesh export ID > FILE                     the signed message (--json: as JSON)\n"
	    "  socmesh export --format stix|misp ID...      those cases, whole\n"
	    "  socmesh export --format stix|misp [FILTERS]  the cases of query's filters\n"
	    "  TLP:RED is never exported; docs/INTEROP.md gives the mappings.",
	    s_export_opts },
	&(const struct cli_cmd){ "import", cmd_import, "FILE...", 1, SIZE_MAX,
	    "store signed messages from files, or publish a STIX 2.1 bundle or MISP events",
	    "  socmesh import FILE...                          signed messages, judged as a "
	    "peer's\n"
	    "  socmesh import --format stix|misp [--tlp TLP] FILE...\n"
	    "  Each object of a document is published once: importing it again publishes "
	    "nothing.",
	    s_import_opts },
	&(const struct cli_cmd){ "check", cmd_check, NULL, 0, 0, "check the store's consistency",
	    NULL, s_none },
	&(const struct cli_cmd){ "backup", cmd_backup, NULL, 0, 0,
	    "hot backup of the store to a file (compacted LMDB copy)", NULL, s_backup_opts },
	&(const struct cli_cmd){ "restore", cmd_restore, NULL, 0, 0,
	    "replace the stopped node's store with a backup", NULL, s_restore_opts },
};
#define NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

/*
 * Root works on a node as the node's own user: files it writes stay the
 * service's (trust.conf, a restored store), and nothing is done with root's
 * rights inside a directory that user controls.  0, or 1 after an error.
 */
static int
s_become_owner(struct cli *c, const char *dir)
{
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) == -1 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) == -1 || setgid(st.st_gid) == -1 || setuid(st.st_uid) == -1)
		return cli_error(c, "%s: cannot become its owner (uid %u): %s", dir,
		    (unsigned)st.st_uid, strerror(errno));
	return 0;
}

static int
s_help(FILE *out)
{
	fprintf(out, "usage: socmesh COMMAND [--dir DIR] [--json] [options]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", s_commands[i]->name, s_commands[i]->summary);
	fprintf(out,
	    "\nsocmesh help COMMAND (or COMMAND --help) gives a command's options.\n"
	    "DIR defaults to $SOCMESH_DIR, else %s. See socmesh(1).\n",
	    DEFAULT_DIR);
	return out == stdout ? 0 : 2;
}

static const struct cli_cmd *
s_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, s_commands[i]->name) == 0)
			return s_commands[i];
	return NULL;
}

static const char *
s_command_word(const void *arg, size_t i)
{
	(void)arg;
	return i < NCOMMANDS ? s_commands[i]->name : NULL;
}

/* "unknown command" with the nearest one; 2. */
static int
s_unknown(struct cli *c, const char *name)
{
	const char *best = cli_nearest(name, strlen(name), s_command_word, NULL);

	cli_error(c, "unknown command '%s'%s%s%s (see: socmesh help)", name,
	    best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
	return 2;
}

int
main(int argc, char **argv)
{
	struct cli c = { .dir = getenv("SOCMESH_DIR") };
	char **args = calloc((size_t)argc + 1, sizeof *args);
	const struct cli_cmd *cmd;
	json_t *opts = NULL, *pargs = NULL;
	int nargs = 0, rc;

	/* Errors are the command's own one line; the library's warnings
	 * would make them two.  SIGINT and SIGTERM stop it (czmq's handler
	 * would only set a flag that nothing reads: watch would go on). */
	zsys_handler_set(NULL);
	log_init("socmesh", 0, LOG_LEVEL_ERROR);
	if (args == NULL || sodium_init() < 0)
		return cli_error(&c, "cannot initialize");
	if (c.dir == NULL || c.dir[0] == '\0')
		c.dir = DEFAULT_DIR;
	/* --dir, --json and --json-array are taken out wherever they stand;
	 * the rest goes to the command's parser. */
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (i > 0 && strcmp(argv[i], "--json-array") == 0)
			c.json = c.json_array = true;
		else if (i > 0 && strcmp(argv[i], "--dir") == 0) {
			if (++i == argc) {
				free(args);
				return cli_error(&c, "--dir needs a directory");
			}
			c.dir = argv[i];
		} else if (i > 0 && strncmp(argv[i], "--dir=", 6) == 0)
			c.dir = argv[i] + 6;
		else
			args[nargs++] = argv[i];
	}
	if (nargs == 2 && strcmp(args[1], "--version") == 0) {
		free(args);
		puts("socmesh " SOCMESH_VERSION);
		return 0;
	}
	if (nargs >= 2 && strcmp(args[1], "help") == 0 && nargs == 3) {
		cmd = s_command(args[2]);
		rc = cmd != NULL ? cli_help(cmd, stdout) : s_unknown(&c, args[2]);
		free(args);
		return rc;
	}
	if (nargs < 2 || strcmp(args[1], "help") == 0 || strcmp(args[1], "--help") == 0 ||
	    strcmp(args[1], "-h") == 0) {
		free(args);
		return s_help(nargs < 2 ? stderr : stdout);
	}
	if ((cmd = s_command(args[1])) == NULL) {
		rc = s_unknown(&c, args[1]);
		free(args);
		return rc;
	}
	c.cmd = cmd;
	if ((rc = cli_parse(&c, cmd, nargs - 1, args + 1, &opts, &pargs)) == -1) {
		if (cmd != &s_init_cmd && s_become_owner(&c, c.dir) != 0)
			rc = 1;
		else
			rc = cmd->fn(&c, opts, pargs);
	}
	control_disconnect(&c.cc);
	json_decref(opts);
	json_decref(pargs);
	free(args);
	return rc;
}
