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
#include <getopt.h>
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
#include "timefmt.h"
#include "util.h"
#include "version.h"

#define DEFAULT_DIR "/var/lib/socmesh"
#define QUERY_LIMIT 50

int
cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("socmesh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_usage(const char *cmd, const char *synopsis)
{
	fprintf(stderr, "usage: socmesh %s %s\n", cmd, synopsis);
	return 2;
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
cli_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

/* The connection to the running daemon, made at the first request; NULL
 * after the line "WHAT: socmeshd is not running for DIR (...)". */
static struct control_client *
s_client(struct cli *c, const char *what)
{
	if (c->cc == NULL && (c->cc = control_connect(c->dir, c->err, sizeof c->err)) == NULL)
		cli_error("%s: %s", what, c->err);
	return c->cc;
}

/* Sends req (taken over) to the running daemon: its reply, whatever it
 * says (the caller decrefs), or NULL after the error line "WHAT: ...". */
static json_t *
s_call(struct cli *c, json_t *req, const char *what)
{
	json_t *rep;

	if (s_client(c, what) == NULL) {
		json_decref(req);
		return NULL;
	}
	if ((rep = control_request(c->cc, req, c->err, sizeof c->err)) == NULL)
		cli_error("%s: %s", what, c->err);
	return rep;
}

/* s_call(), and the error line "WHAT: ERROR" unless the daemon says ok. */
json_t *
cli_ask(struct cli *c, json_t *req, const char *what)
{
	json_t *rep = s_call(c, req, what);

	if (rep != NULL && !json_is_true(json_object_get(rep, "ok"))) {
		cli_error("%s: %s", what, cli_field(rep, "error"));
		json_decref(rep);
		return NULL;
	}
	return rep;
}

/* The message id from the running daemon: its reply, with "message" (the
 * signed bytes) and "retracted".  NULL after an error line, or with
 * *missing set and no line when the message is not here. */
static json_t *
s_get(struct cli *c, const uint8_t id[32], const char *what, bool *missing)
{
	char hex[65];
	json_t *rep;

	*missing = false;
	hex_encode(hex, id, 32);
	if ((rep = s_call(c, json_pack("{s:s,s:s}", "cmd", "get", "id", hex), what)) == NULL ||
	    json_is_true(json_object_get(rep, "ok")))
		return rep;
	if (strcmp(cli_field(rep, "code"), "not-found") == 0)
		*missing = true;
	else
		cli_error("%s: %s", what, cli_field(rep, "error"));
	json_decref(rep);
	return NULL;
}

static struct node *
s_open(struct cli *c, unsigned what)
{
	struct node *n = node_open(c->dir, what, c->err, sizeof c->err);
	if (n == NULL)
		cli_error("%s", c->err);
	return n;
}

/* Opens (configuration and trust list: the names; never the store) with
 * the secret key when this user may read it, so that sealed messages
 * addressed to this node can be shown; without it otherwise. */
static struct node *
s_open_reader(struct cli *c)
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
	return s_open(c, 0);
}

static const char *
s_short(const uint8_t *key, char buf[13])
{
	char hex[65];
	hex_encode(hex, key, 32);
	memcpy(buf, hex, 12);
	buf[12] = '\0';
	return buf;
}

static const char *
s_name(const struct node *n, const uint8_t *key, char buf[13])
{
	const struct trust_peer *p;

	if (memcmp(key, n->id, 32) == 0)
		return n->cfg.name;
	p = trust_find_id(n->trust, key);
	return p != NULL ? p->name : s_short(key, buf);
}

/* ---- init, id ----------------------------------------------------------- */

static int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "name", 1, 0, 'n' }, { "listen", 1, 0, 'l' },
		{ "join", 1, 0, 'j' }, { "coordinator", 1, 0, 'c' }, { 0 } };
	static const char synopsis[] =
	    "--dir DIR --name NAME --listen tcp://HOST:PORT\n"
	    "       [--join FILE --coordinator ID [--coordinator ID]...]";
	const char *name = NULL, *listen = NULL, *join = NULL;
	char **coord = calloc((size_t)argc, sizeof *coord);
	size_t ncoord = 0;
	int ch, rc;

	if (coord == NULL)
		return cli_error("out of memory");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'j':
			join = optarg;
			break;
		case 'c':
			coord[ncoord++] = optarg;
			break;
		default:
			free(coord);
			return cli_usage("init", synopsis);
		}
	if (name == NULL || listen == NULL || optind != argc || (join != NULL) != (ncoord > 0)) {
		free(coord);
		return cli_usage("init", synopsis);
	}
	if (join != NULL)
		rc = cli_join(c, name, listen, join, coord, ncoord);
	else if ((rc = node_init(c->dir, name, listen, c->err, sizeof c->err)) == -1)
		rc = cli_error("%s", c->err);
	free(coord);
	if (rc != 0)
		return rc;
	uint8_t id[32];
	char hex[65];
	if (keys_read_id(c->dir, id, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
	hex_encode(hex, id, 32);
	printf("initialized node %s in %s\nnode id: %s\n", name, c->dir, hex);
	return 0;
}

static int
cmd_id(struct cli *c, int argc, char **argv)
{
	uint8_t id[32];
	char hex[65];

	(void)argv;
	if (argc > 1)
		return cli_usage("id", "[--dir DIR]");
	if (keys_read_id(c->dir, id, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
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

static int s_trust_usage(void);

static int
s_trust_add(struct cli *c, struct node *n, const struct trust_args *a)
{
	struct trust_peer p = { .level = (enum msg_level)a->lv, .coordinator = a->coord == 1 };

	if (a->name == NULL || a->key == NULL)
		return s_trust_usage();
	if (id_parse(p.id, a->key) == -1)
		return cli_error("--key: '%s' is not a node id (64 hex digits, see: socmesh id)",
		    a->key);
	if (memcmp(p.id, n->id, 32) == 0)
		return cli_error("--key: that is this node's own id");
	if (strlen(a->name) >= sizeof p.name)
		return cli_error("--name: too long");
	snprintf(p.name, sizeof p.name, "%s", a->name);
	snprintf(p.endpoint, sizeof p.endpoint, "%s", a->endpoint ? a->endpoint : "");
	if (trust_add(n->local, &p, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
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
		return cli_error("trust set: a peer's key changes by rotation (socmesh rotate, "
		                 "docs/COORDINATOR.md), not by an edit; a new key is a new entry");
	if (a->level == NULL && a->coord == -1 && a->endpoint == NULL)
		return s_trust_usage();
	/* An entry of the roster becomes a local one, which wins over it. */
	if (r != NULL) {
		struct trust_peer p = *r;
		p.roster = 0;
		p.rotated = false;
		if (trust_add(n->local, &p, c->err, sizeof c->err) == -1)
			return cli_error("%s", c->err);
		fprintf(stderr,
		    "socmesh: %s comes from %s; this node now overrides it locally (socmesh "
		    "trust remove %s to follow it again)\n",
		    a->name, r->rotated ? "a key rotation" : "the roster", a->name);
	}
	if (a->level != NULL &&
	    trust_set_level(n->local, a->name, (enum msg_level)a->lv, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
	if (a->coord != -1 &&
	    trust_set_coordinator(n->local, a->name, a->coord == 1, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
	if (a->endpoint != NULL &&
	    trust_set_endpoint(n->local, a->name, a->endpoint, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
	return 0;
}

static int
s_trust_remove(struct cli *c, struct node *n, const struct trust_args *a)
{
	const struct trust_peer *r = s_roster_entry(n, a->name);

	if (r != NULL)
		return cli_error("trust remove: %s comes from %s, which only a roster changes; to "
		                 "cut it off here: socmesh trust set %s --level blocked",
		    a->name, r->rotated ? "a key rotation" : "the roster", a->name);
	if (trust_remove(n->local, a->name, c->err, sizeof c->err) == -1)
		return cli_error("%s", c->err);
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
	(void)a;
	if (!c->json)
		printf("%-16s %-9s %-5s %-28s %-22s %s\n", "NAME", "LEVEL", "COORD", "ENDPOINT",
		    "SOURCE", "ID");
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
			cli_print_json(o);
			continue;
		}
		if (over != 0)
			snprintf(shown, sizeof shown, "local (over roster %" PRIu64 ")", over);
		else
			snprintf(shown, sizeof shown, "%s", src);
		printf("%-16s %-9s %-5s %-28s %-22s %s\n", p->name, msg_level_name(p->level),
		    p->coordinator ? "yes" : "no", p->endpoint[0] ? p->endpoint : "-", shown, hex);
	}
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

/* Any other subcommand: taken as an edit, so that it opens the node
 * under the lock (a missing node directory is what it reports), and then
 * refused with the usage. */
static const struct trust_cmd s_trust_unknown = { NULL, NULL, NULL, NULL, TA_ALL, false, true };

static int
s_trust_usage(void)
{
	for (size_t i = 0; i < sizeof s_trust_cmds / sizeof s_trust_cmds[0]; i++)
		fprintf(stderr, "%s socmesh trust %s\n", i == 0 ? "usage:" : "      ",
		    s_trust_cmds[i].usage);
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
		    "socmesh: warning: trust.conf is saved; whether a socmeshd runs for %s "
		    "cannot be told from here (it applies the change when it starts or "
		    "reloads)\n",
		    c->dir);
	if (running == 1) {
		json_t *rep = control_call(c->dir, json_pack("{s:s}", "cmd", "reload"), c->err,
		    sizeof c->err);
		if (rep == NULL || !json_is_true(json_object_get(rep, "ok")))
			fprintf(stderr,
			    "socmesh: warning: trust.conf is saved, but the running socmeshd "
			    "did not apply it: %s\n",
			    rep ? cli_field(rep, "error") : c->err);
		json_decref(rep);
	}
}

static int
cmd_trust(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "name", 1, 0, 'n' }, { "key", 1, 0, 'k' },
		{ "endpoint", 1, 0, 'e' }, { "level", 1, 0, 'l' }, { "coordinator", 0, 0, 'c' },
		{ "no-coordinator", 0, 0, 'C' }, { 0 } };
	const struct trust_cmd *t = &s_trust_unknown;
	struct trust_args a = { .coord = -1, .lv = MSG_LEVEL_MEMBER };
	char lockpath[PATH_MAX + 64];
	int ch, lock = -1, rc;
	struct node *n;

	if (argc < 2)
		return s_trust_usage();
	for (size_t i = 0; i < sizeof s_trust_cmds / sizeof s_trust_cmds[0]; i++)
		if (strcmp(argv[1], s_trust_cmds[i].name) == 0)
			t = &s_trust_cmds[i];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'n':
			a.name = optarg;
			a.given |= TA_NAME;
			break;
		case 'k':
			a.key = optarg;
			a.given |= TA_KEY;
			break;
		case 'e':
			a.endpoint = optarg;
			a.given |= TA_ENDPOINT;
			break;
		case 'l':
			a.level = optarg;
			a.given |= TA_LEVEL;
			break;
		case 'c':
			a.coord = 1;
			a.given |= TA_COORD;
			break;
		case 'C':
			a.coord = 0;
			a.given |= TA_COORD;
			break;
		default:
			return s_trust_usage();
		}
	if (optind != argc - (t->operand ? 1 : 0) || (a.given & ~t->opts) != 0)
		return s_trust_usage();
	if (t->operand)
		a.name = argv[optind];
	if (a.level != NULL && (a.lv = msg_level_parse(a.level, strlen(a.level))) < 0)
		return cli_error("--level: '%s' is not one of member, external, blocked", a.level);
	/* Edits are serialized: load, change and save under one lock. */
	if (t->edits) {
		snprintf(lockpath, sizeof lockpath, "%s/%s.lock", c->dir, TRUST_FILE);
		if (access(c->dir, F_OK) == 0 && (lock = file_lock(lockpath)) == -1)
			return cli_error("%s: %s", lockpath, strerror(errno));
	}
	if ((n = s_open(c, 0)) == NULL)
		rc = 1;
	else {
		rc = t->fn != NULL ? t->fn(c, n, &a) : s_trust_usage();
		if (rc == 0 && t->edits && node_save_trust(n, c->err, sizeof c->err) == -1)
			rc = cli_error("%s", c->err);
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
	json_t *rep = s_call(c, json_pack("{s:s,s:o}", "cmd", "publish", "message", o), "publish");
	int rc = 1;

	if (rep == NULL)
		return 1;
	if (json_is_true(json_object_get(rep, "ok"))) {
		puts(json_string_value(json_object_get(rep, "id")));
		rc = 0;
	} else
		cli_error("publish: %s", cli_field(rep, "error"));
	json_decref(rep);
	return rc;
}

/* The commands that read messages need the node running (so that what
 * they show is what the node serves): they fail at once without it. */
static int
s_need_daemon(struct cli *c, const char *what)
{
	json_t *rep = s_call(c, json_pack("{s:s}", "cmd", "ping"), what);

	if (rep == NULL)
		return 1;
	json_decref(rep);
	return 0;
}

static int s_inherit(struct cli *c, json_t *o, const char *ref, const char *what);

/* Repeated flags and the JSON arrays they fill. */
static const char *
s_array_of(const char *flag)
{
	static const char *const map[][2] = { { "indicator", "indicators" },
		{ "sector", "sectors" }, { "attack", "attack" }, { "action", "actions" },
		{ "to", "recipients" } };
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(flag, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static int
cmd_publish(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "file", 1, 0, 'f' }, { "to", 1, 0, 1 },
		{ "tlp", 1, 0, 1 }, { "title", 1, 0, 1 }, { "category", 1, 0, 1 },
		{ "severity", 1, 0, 1 }, { "summary", 1, 0, 1 }, { "indicator", 1, 0, 1 },
		{ "ref", 1, 0, 1 }, { "kind", 1, 0, 1 }, { "type", 1, 0, 1 }, { "impact", 1, 0, 1 },
		{ "status", 1, 0, 1 }, { "sector", 1, 0, 1 }, { "scope", 1, 0, 1 },
		{ "attack", 1, 0, 1 }, { "action", 1, 0, 1 }, { "expires", 1, 0, 1 },
		{ "note", 1, 0, 1 }, { 0 } };
	json_t *o = NULL, *fromflags = json_object();
	json_error_t jerr;
	int ch, idx;

	while ((ch = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		const char *arr;
		if (ch == '?') {
			json_decref(o), json_decref(fromflags);
			return cli_usage("publish",
			    "--tlp TLP --title T --category C --severity S "
			    "[--summary S] [--indicator TYPE:VALUE]... [--to NAME]... "
			    "[--ref ID] [--kind K] [--file FILE.json]");
		}
		if (ch == 'f') {
			json_decref(o);
			if ((o = json_load_file(optarg, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
			    !json_is_object(o)) {
				json_decref(o), json_decref(fromflags);
				return cli_error("%s:%d: %s", optarg, jerr.line,
				    o == NULL ? jerr.text : "expected a JSON object");
			}
		} else if ((arr = s_array_of(opts[idx].name)) != NULL) {
			if (json_object_get(fromflags, arr) == NULL)
				json_object_set_new(fromflags, arr, json_array());
			json_array_append_new(json_object_get(fromflags, arr), json_string(optarg));
		} else
			json_object_set_new(fromflags, opts[idx].name, json_string(optarg));
	}
	if (optind != argc) {
		json_decref(o), json_decref(fromflags);
		return cli_error("publish: unexpected argument '%s'", argv[optind]);
	}
	/* Flags override the file's fields (a repeated flag its whole array). */
	if (o == NULL)
		o = fromflags;
	else {
		json_object_update(o, fromflags);
		json_decref(fromflags);
	}
	const char *ref = json_string_value(json_object_get(o, "ref"));
	if (s_need_daemon(c, "publish") != 0 ||
	    (ref != NULL && s_inherit(c, o, ref, "publish") != 0)) {
		json_decref(o);
		return 1;
	}
	return s_publish(c, o);
}

/*
 * A message that refers to another (sighting, update, retraction) goes to
 * whoever may see that one: unless o names its own, it takes the TLP of
 * the referenced message and, for addressed TLPs, its origin and
 * recipients minus this node.  Returns 0, or 1 after an error line.
 */
static int
s_inherit(struct cli *c, json_t *o, const char *ref, const char *what)
{
	struct msg *m = msg_new();
	json_t *rep = NULL;
	uint8_t id[32], self[32], *bytes = NULL;
	char hex[65];
	size_t len;
	bool missing;
	int rc = 1;

	if (m == NULL)
		goto out;
	if (id_parse(id, ref) == -1) {
		cli_error("'%s' is not a message id (64 hex digits)", ref);
		goto out;
	}
	if (keys_read_id(c->dir, self, c->err, sizeof c->err) == -1) {
		cli_error("%s", c->err);
		goto out;
	}
	if ((rep = s_get(c, id, what, &missing)) == NULL ||
	    (bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    msg_decode(m, bytes, len, 0) != MSG_OK) {
		if (rep != NULL || missing)
			cli_error("no message %s here", ref);
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

static int
cmd_sight(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "note", 1, 0, 'n' }, { 0 } };
	const char *note = NULL;
	json_t *o;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == 'n')
			note = optarg;
		else
			return cli_usage("sight", "ID [--note TEXT]");
	if (optind != argc - 1)
		return cli_usage("sight", "ID [--note TEXT]");
	if (s_need_daemon(c, "sight") != 0)
		return 1;
	o = json_pack("{s:s,s:s}", "kind", "sighting", "ref", argv[optind]);
	if (note != NULL)
		json_object_set_new(o, "note", json_string(note));
	if (s_inherit(c, o, argv[optind], "sight") != 0) {
		json_decref(o);
		return 1;
	}
	return s_publish(c, o);
}

/* The one argument of show and export: a message id.  0, or the exit
 * status after a usage or error line. */
static int
s_id_arg(int argc, char **argv, const char *cmd, const char *synopsis, uint8_t id[32])
{
	if (getopt_long(argc, argv, "", (const struct option[]){ { 0 } }, NULL) != -1 ||
	    optind != argc - 1)
		return cli_usage(cmd, synopsis);
	if (id_parse(id, argv[optind]) == -1)
		return cli_error("%s: '%s' is not a message id (64 hex digits)", cmd, argv[optind]);
	return 0;
}

static int
cmd_peers(struct cli *c, int argc, char **argv)
{
	json_t *rep, *a, *p;
	size_t i;

	(void)argv;
	if (argc > 1)
		return cli_usage("peers", "[--json]");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "peers"), "peers")) == NULL)
		return 1;
	a = json_object_get(rep, "peers");
	if (!c->json)
		printf("%-16s %-9s %-9s %-19s %8s %8s %8s %7s %7s  %s\n", "NAME", "LEVEL",
		    "CONNECTED", "LAST SEEN (UTC)", "SENT", "RECEIVED", "REJECTED", "REJ/MIN",
		    "REFUSED", "REASONS");
	json_array_foreach(a, i, p)
	{
		if (c->json) {
			cli_print_json(json_incref(p));
			continue;
		}
		char when[TIMEFMT_LEN] = "-", reasons[256] = "";
		uint64_t seen = (uint64_t)json_integer_value(json_object_get(p, "last_seen")),
		         total = 0;
		const char *k;
		json_t *v;
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
		printf("%-16s %-9s %-9s %-19s %8lld %8lld %8llu %7lld %7lld  %s\n",
		    cli_field(p, "name"), cli_field(p, "level"),
		    json_is_true(json_object_get(p, "connected")) ? "yes" : "no", when,
		    (long long)json_integer_value(json_object_get(p, "sent")),
		    (long long)json_integer_value(json_object_get(p, "received")),
		    (unsigned long long)total,
		    (long long)json_integer_value(json_object_get(p, "rejected_last_minute")),
		    (long long)json_integer_value(json_object_get(p, "refused_by_peer")), reasons);
	}
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
cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "prometheus", 0, 0, 'p' }, { 0 } };
	json_t *rep, *peers = NULL, *st, *v;
	bool prom = false;
	const char *k;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == 'p')
			prom = true;
		else
			return cli_usage("stats", "[--json | --prometheus]");
	if (optind != argc || (prom && c->json))
		return cli_usage("stats", "[--json | --prometheus]");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "stats"), "stats")) == NULL)
		return 1;
	if (prom && (peers = cli_ask(c, json_pack("{s:s}", "cmd", "peers"), "stats")) == NULL) {
		json_decref(rep);
		return 1;
	}
	st = json_object_get(rep, "stats");
	if (prom)
		s_prometheus(st, json_object_get(peers, "peers"));
	else if (c->json)
		cli_print_json(json_incref(st));
	else {
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
	json_decref(peers);
	json_decref(rep);
	return 0;
}

static int
cmd_rotate(struct cli *c, int argc, char **argv)
{
	json_t *rep;

	(void)argv;
	if (argc != 1)
		return cli_usage("rotate", "");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "rotate"), "rotate")) == NULL)
		return 1;
	if (c->json)
		cli_print_json(json_pack("{s:s,s:s}", "id", cli_field(rep, "id"), "statement",
		    cli_field(rep, "statement")));
	else
		printf("new node id: %s\nrotation statement: %s\n"
		       "peers take the new key at once, provisionally; a roster that lists it "
		       "makes it final (docs/COORDINATOR.md)\n",
		    cli_field(rep, "id"), cli_field(rep, "statement"));
	json_decref(rep);
	return 0;
}

static int
cmd_network(struct cli *c, int argc, char **argv)
{
	json_t *rep, *e;
	size_t i, k;

	(void)argv;
	if (argc != 1)
		return cli_usage("network", "[--json]");
	if ((rep = cli_ask(c, json_pack("{s:s}", "cmd", "network"), "network")) == NULL)
		return 1;
	if (c->json) {
		cli_print_json(json_incref(json_object_get(rep, "network")));
		json_decref(rep);
		return 0;
	}
	printf("%-16s %-5s %-9s %-20s %-5s %-10s %s\n", "NAME", "EPOCH", "VERSION",
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
		printf("%-16s %-5s %-9s %-20.19s %-5s %-10s %s\n", cli_field(e, "name"), epoch,
		    *cli_field(e, "version") ? cli_field(e, "version") : "-",
		    *cli_field(e, "last_heard") ? cli_field(e, "last_heard") : "-", peers, store,
		    flags);
	}
	json_decref(rep);
	return 0;
}

static int
cmd_explain(struct cli *c, int argc, char **argv)
{
	json_t *rep, *e;
	size_t i;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage("explain", "ID [--json]");
	if ((rep = cli_ask(c, json_pack("{s:s,s:s}", "cmd", "explain", "id", argv[1]),
	         "explain")) == NULL)
		return 1;
	if (!c->json && json_is_string(json_object_get(rep, "self")))
		printf("%s\n", cli_field(rep, "self"));
	if (!c->json)
		printf("%-16s %-10s %s\n", "PEER", "DECISION", "WHY");
	json_array_foreach(json_object_get(rep, "explain"), i, e)
	{
		if (c->json)
			cli_print_json(json_incref(e));
		else
			printf("%-16s %-10s %s\n", cli_field(e, "peer"), cli_field(e, "decision"),
			    cli_field(e, "why"));
	}
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

struct opened;
static int s_open_old(struct node *n, struct msg *m, struct opened *o);

/* An opened sealed body: zeroed before it is freed. */
struct opened {
	uint8_t *p;
	size_t n;
};

static void
s_forget(struct opened *o)
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
	struct opened plain;
	size_t limit, shown;
};

/* Decodes a stored message, opening its body when this node may; the
 * plaintext is kept in o until the next call or s_forget(o). */
static int
s_decode(struct node *n, struct msg *m, const uint8_t *bytes, size_t len, struct opened *o)
{
	s_forget(o);
	if (msg_decode(m, bytes, len, 0) != MSG_OK)
		return -1;
	if (!m->has_body && n->keys != NULL &&
	    msg_open(m, n->id, n->keys->curve_pk, n->keys->curve_sk, &o->p, &o->n) != MSG_OK &&
	    s_open_old(n, m, o) != 0)
		m->has_body = false;
	return 0;
}

/* A sealed body addressed to (or written by) a key this node rotated
 * away: opened with that key, kept as DIR/node.key.HEX.old (rotate.c).
 * 0 when opened. */
static int
s_open_old(struct node *n, struct msg *m, struct opened *o)
{
	for (size_t i = 0; i <= m->nto; i++) {
		const uint8_t *who = i < m->nto ? m->to[i] : m->origin;
		char path[PATH_MAX], hex[2 * MSG_KEY_LEN + 1], *buf;
		struct keys *k = NULL;
		size_t len;
		int rc = -1;
		hex_encode(hex, who, MSG_KEY_LEN);
		hex[16] = '\0';
		if (snprintf(path, sizeof path, "%s/%s.%s.old", n->dir, KEYS_SECRET_FILE, hex) >=
		        (int)sizeof path ||
		    file_read_all(path, 128, &buf, &len) == -1)
			continue;
		if ((k = keys_parse(buf, len, path, NULL, 0)) != NULL &&
		    memcmp(k->pk, who, MSG_KEY_LEN) == 0)
			rc = msg_open(m, who, k->curve_pk, k->curve_sk, &o->p, &o->n);
		sodium_memzero(buf, len);
		free(buf);
		keys_destroy(&k);
		if (rc == MSG_OK)
			return 0;
	}
	return -1;
}

/*
 * Pages through a request of the daemon's that answers {"messages": [...],
 * "next"} (query, thread): req (taken over) is sent with "limit" and
 * "after" set, for as long as "next" is not null and want (0: no limit)
 * messages have not come.  fn is called with each message object and arg;
 * it returns how many it took (0 or 1).  0, or 1 after an error line.
 */
static int
s_pages(struct cli *c, json_t *req, const char *what, size_t want, size_t (*fn)(void *, json_t *),
    void *arg)
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
		if ((rep = cli_ask(c, r, what)) == NULL) {
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
			rc = cli_error("%s: out of memory", what);
		json_decref(rep);
	} while (after != NULL && (want == 0 || got < want));
	free(after);
	json_decref(req);
	return rc;
}

/* msgjson_new() with this node named where it is the origin or a
 * recipient (the trust list does not hold the node itself). */
static json_t *
s_msgjson(const struct node *n, const struct msg *m)
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
static void
s_governs_title(const struct msg *m, char *buf, size_t len)
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
static bool
s_revoked(const struct node *n, const uint8_t origin[MSG_KEY_LEN])
{
	const struct trust_peer *p;

	if (memcmp(origin, n->id, MSG_KEY_LEN) == 0)
		return false;
	p = trust_find_id(n->trust, origin);
	return p == NULL || p->level == MSG_LEVEL_BLOCKED;
}

static void
s_row(struct filter *f, const struct msg *m, bool retracted)
{
	char when[TIMEFMT_LEN], sb[13], ib[13], title[61];
	const char *sev = "-";

	if (f->c->json) {
		json_t *o = s_msgjson(f->n, m);
		json_object_set_new(json_object_get(o, "origin"), "name",
		    json_string(s_name(f->n, m->origin, sb)));
		json_object_set_new(o, "retracted", json_boolean(retracted));
		json_object_set_new(o, "revoked", json_boolean(s_revoked(f->n, m->origin)));
		cli_print_json(o);
		return;
	}
	timefmt_format(when, m->time);
	when[16] = '\0';
	if (!m->has_body)
		snprintf(title, sizeof title, "(sealed)");
	else if (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE) {
		snprintf(title, sizeof title, "%.*s", (int)m->body.title.n, m->body.title.p);
		sev = msg_severity_name(m->body.severity);
	} else if (m->kind == MSG_KIND_ROSTER || m->kind == MSG_KIND_ENDPOINTS ||
	    m->kind == MSG_KIND_ROTATE)
		s_governs_title(m, title, sizeof title);
	else
		snprintf(title, sizeof title, "%.*s", (int)m->body.note.n, m->body.note.p);
	printf("%-16s  %-12s %-8s %-9s %-14s %-12s %s%s%s\n", when, msg_tlp_name(m->tlp),
	    msg_kind_name(m->kind), sev, s_name(f->n, m->origin, sb), s_short(m->id, ib),
	    retracted ? "[retracted] " : "", s_revoked(f->n, m->origin) ? "[revoked origin] " : "",
	    title);
}

/* s_pages() of query: one message the daemon found, printed. */
static size_t
s_query_item(void *arg, json_t *o)
{
	struct filter *f = arg;
	uint8_t *bytes;
	size_t len;

	if ((bytes = control_unbase64(json_object_get(o, "message"), &len)) == NULL ||
	    s_decode(f->n, f->m, bytes, len, &f->plain) == -1) {
		free(bytes);
		return 0;
	}
	if (f->shown == 0 && !f->c->json)
		printf("%-16s  %-12s %-8s %-9s %-14s %-12s %s\n", "TIME (UTC)", "TLP", "KIND",
		    "SEVERITY", "ORIGIN", "ID", "TITLE");
	s_row(f, f->m, json_is_true(json_object_get(o, "retracted")));
	free(bytes);
	f->shown++;
	return 1;
}

static int
s_word_opt(const char *opt, const char *v, int (*parse)(const char *, size_t), int *out)
{
	if ((*out = parse(v, strlen(v))) < 0)
		return cli_error("--%s: unknown value '%s'", opt, v);
	return 0;
}

/* A normalized indicator as the daemon's query takes it: "TYPE:VALUE"
 * (a normalized value is its own normal form). */
static json_t *
s_ioc_json(enum ioc_type t, const char *value, size_t len)
{
	char q[16 + IOC_MAX_VALUE + 1];
	int n = snprintf(q, sizeof q, "%s:", ioc_type_name(t));

	if (len > sizeof q - (size_t)n)
		return NULL;
	memcpy(q + n, value, len);
	return json_stringn(q, (size_t)n + len);
}

/* An indicator as TYPE:VALUE, or a value whose type is guessed, for the
 * daemon's query; NULL when it is not valid. */
static json_t *
s_indicator(const char *indicator)
{
	char norm[IOC_MAX_VALUE + 1];
	const char *colon = strchr(indicator, ':');
	int t = colon ? ioc_type_parse(indicator, (size_t)(colon - indicator)) : -1;
	const char *v = t >= 0 ? colon + 1 : indicator;
	int len;

	if (t < 0)
		t = ioc_guess(v, strlen(v));
	len = t < 0 ? -1 : ioc_normalize((enum ioc_type)t, v, strlen(v), norm, sizeof norm);
	return len < 0 ? NULL : s_ioc_json((enum ioc_type)t, norm, (size_t)len);
}

static int
cmd_query(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "indicator", 1, 0, 'i' }, { "since", 1, 0, 's' },
		{ "until", 1, 0, 'u' }, { "origin", 1, 0, 'o' }, { "tlp", 1, 0, 't' },
		{ "category", 1, 0, 'c' }, { "kind", 1, 0, 'k' }, { "limit", 1, 0, 'l' },
		{ "all", 0, 0, 'a' }, { 0 } };
	struct filter f = { .c = c, .limit = QUERY_LIMIT };
	const char *indicator = NULL, *origin = NULL;
	uint64_t now = now_ms(), since = 0, until = UINT64_MAX;
	int tlp = -1, category = -1, kind = -1;
	bool all = false;
	json_t *q;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			indicator = optarg;
			break;
		case 's':
			rc = timefmt_parse(optarg, now, &since) == -1
			    ? cli_error("--since: '%s' is neither a duration (7d, 12h) nor an RFC "
			                "3339 time",
			          optarg)
			    : 0;
			break;
		case 'u':
			rc = timefmt_parse(optarg, now, &until) == -1
			    ? cli_error("--until: '%s' is neither a duration (7d, 12h) nor an RFC "
			                "3339 time",
			          optarg)
			    : 0;
			break;
		case 'o':
			origin = optarg;
			break;
		case 't':
			rc = s_word_opt("tlp", optarg, msg_tlp_parse, &tlp);
			break;
		case 'c':
			rc = s_word_opt("category", optarg, msg_category_parse, &category);
			break;
		case 'k':
			rc = s_word_opt("kind", optarg, msg_kind_parse, &kind);
			break;
		case 'a':
			all = true;
			break;
		case 'l':
			f.limit = (size_t)strtoul(optarg, NULL, 10);
			if (f.limit == 0 || strspn(optarg, "0123456789") != strlen(optarg))
				rc = cli_error("--limit: '%s' is not a positive number", optarg);
			break;
		default:
			return cli_usage("query",
			    "[--indicator VALUE] [--since DURATION|RFC3339] "
			    "[--until ...] [--origin NAME|ID] [--tlp TLP] [--category C] "
			    "[--kind K] [--limit N] [--all] [--json]");
		}
		if (rc != 0)
			return rc;
	}
	if (optind != argc)
		return cli_error("query: unexpected argument '%s'", argv[optind]);
	if (s_client(c, "query") == NULL || (f.n = s_open_reader(c)) == NULL)
		return 1;
	/* The daemon's times are signed 64-bit: a later bound is none. */
	q = json_pack("{s:s,s:b,s:I}", "cmd", "query", "all", all, "since",
	    (json_int_t)(since > INT64_MAX ? INT64_MAX : since));
	if (until <= INT64_MAX)
		json_object_set_new(q, "until", json_integer((json_int_t)until));
	if (tlp >= 0)
		json_object_set_new(q, "tlp", json_string(msg_tlp_name((enum msg_tlp)tlp)));
	if (category >= 0)
		json_object_set_new(q, "category",
		    json_string(msg_category_name((enum msg_category)category)));
	if (kind >= 0)
		json_object_set_new(q, "kind", json_string(msg_kind_name((enum msg_kind)kind)));
	if (origin != NULL) {
		uint8_t key[32];
		char hex[65];
		if (strcmp(origin, f.n->cfg.name) == 0)
			memcpy(key, f.n->id, 32);
		else if (node_resolve(f.n, origin, key, c->err, sizeof c->err) == -1)
			rc = cli_error("--origin: %s", c->err);
		if (rc == 0) {
			hex_encode(hex, key, 32);
			json_object_set_new(q, "origin", json_string(hex));
		}
	}
	if (rc == 0 && indicator != NULL) {
		json_t *v = s_indicator(indicator);
		if (v == NULL)
			rc = cli_error("--indicator: '%s' is not a valid indicator", indicator);
		json_object_set_new(q, "indicator", v);
	}
	if (rc == 0 && (f.m = msg_new()) == NULL)
		rc = cli_error("query: out of memory");
	if (rc == 0)
		rc = s_pages(c, json_incref(q), "query", f.limit, s_query_item, &f);
	if (rc == 0 && f.shown == 0 && !c->json)
		printf("no messages\n");
	json_decref(q);
	s_forget(&f.plain);
	msg_destroy(&f.m);
	node_close(&f.n);
	return rc;
}

/* Who reported an indicator here: messages and distinct origins, the
 * retracted ones left out (a withdrawn false positive is no report). */
struct reports {
	const struct node *n;
	uint8_t (*origins)[MSG_KEY_LEN];
	size_t msgs, norigins, cap;
};

/* s_pages() of the reports: one message carrying the indicator, counted. */
static size_t
s_report_item(void *arg, json_t *o)
{
	struct reports *r = arg;
	uint8_t origin[MSG_KEY_LEN];
	size_t i;

	if (json_is_true(json_object_get(o, "retracted")) ||
	    id_parse(origin, cli_field(o, "origin")) == -1 || s_revoked(r->n, origin))
		return 1;
	r->msgs++;
	/* One SOC, whatever keys its rotations gave it. */
	for (i = 0; i < r->norigins && !roster_same_soc(r->n->roster, r->origins[i], origin); i++)
		;
	if (i < r->norigins)
		return 1;
	if (r->norigins == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		void *p = realloc(r->origins, cap * sizeof *r->origins);
		if (p == NULL)
			return 1;
		r->origins = p, r->cap = cap;
	}
	memcpy(r->origins[r->norigins++], origin, MSG_KEY_LEN);
	return 1;
}

/* The reports of indicator x, asked of the daemon (its ids and origins,
 * no bytes).  0, or 1 after an error line. */
static int
s_reports(struct cli *c, const struct node *n, const struct msg_ioc *x, size_t *msgs,
    size_t *origins)
{
	struct reports r = { .n = n };
	json_t *q = s_ioc_json(x->type, x->value.p, x->value.n);
	int rc;

	if (q == NULL)
		return cli_error("show: out of memory");
	rc = s_pages(c,
	    json_pack("{s:s,s:o,s:b,s:b}", "cmd", "query", "indicator", q, "all", 1, "brief", 1),
	    "show", 0, s_report_item, &r);
	*msgs = r.msgs, *origins = r.norigins;
	free(r.origins);
	return rc;
}

struct shown {
	struct filter *f;
	json_t *thread;
};

/* s_pages() of thread: one message that refers to the one shown. */
static size_t
s_thread_item(void *arg, json_t *o)
{
	struct shown *s = arg;
	struct filter *f = s->f;
	char when[TIMEFMT_LEN], sb[13], ib[13];
	uint8_t *bytes;
	size_t len;

	if ((bytes = control_unbase64(json_object_get(o, "message"), &len)) == NULL ||
	    s_decode(f->n, f->m, bytes, len, &f->plain) == -1) {
		free(bytes);
		return 0;
	}
	if (f->c->json) {
		json_array_append_new(s->thread, s_msgjson(f->n, f->m));
		free(bytes);
		return 1;
	}
	timefmt_format(when, f->m->time);
	printf("  %s  %-8s %-14s %s", when, msg_kind_name(f->m->kind),
	    s_name(f->n, f->m->origin, sb), s_short(f->m->id, ib));
	if (f->m->has_body && f->m->body.note.n)
		printf("  %.*s", (int)f->m->body.note.n, f->m->body.note.p);
	else if (f->m->has_body && f->m->kind == MSG_KIND_UPDATE)
		printf("  %s, %s", msg_status_name(f->m->body.status),
		    msg_severity_name(f->m->body.severity));
	putchar('\n');
	free(bytes);
	return 1;
}

static void
s_show_text(struct filter *f, const struct msg *m, bool retracted)
{
	const struct msg_body *b = &m->body;
	char when[TIMEFMT_LEN], hex[65], sb[13];

	hex_encode(hex, m->id, 32);
	timefmt_format(when, m->time);
	printf("id:         %s\n", hex);
	printf("origin:     %s (seq %llu)%s\n", s_name(f->n, m->origin, sb),
	    (unsigned long long)m->seq,
	    s_revoked(f->n, m->origin) ? " [revoked origin: no longer trusted here]" : "");
	printf("time:       %s\n", when);
	printf("tlp:        %s\nkind:       %s%s\n", msg_tlp_name(m->tlp), msg_kind_name(m->kind),
	    retracted ? " (retracted by its origin)" : "");
	if (m->has_ref) {
		hex_encode(hex, m->ref, 32);
		printf("ref:        %s\n", hex);
	}
	for (size_t i = 0; i < m->nto; i++)
		printf("%s %s\n", i == 0 ? "recipients:" : "           ",
		    s_name(f->n, m->to[i], sb));
	if (!m->has_body) {
		printf("body:       sealed to its recipients\n");
		return;
	}
	if (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE) {
		printf("title:      %.*s\n", (int)b->title.n, b->title.p);
		printf("category:   %s%s%.*s\n", msg_category_name(b->category),
		    b->type.n ? " / " : "", (int)b->type.n, b->type.p);
		printf("severity:   %s", msg_severity_name(b->severity));
		if (b->impact >= 0)
			printf(" (impact %s)", msg_severity_name((enum msg_severity)b->impact));
		printf("\nstatus:     %s\n", msg_status_name(b->status));
		for (size_t i = 0; i < b->nsectors; i++)
			printf("%s %.*s\n", i ? "           " : "sectors:   ", (int)b->sectors[i].n,
			    b->sectors[i].p);
		if (b->summary.n)
			printf("summary:    %.*s\n", (int)b->summary.n, b->summary.p);
		if (b->scope.n)
			printf("scope:      %.*s\n", (int)b->scope.n, b->scope.p);
		for (size_t i = 0; i < b->nattack; i++)
			printf("%s %.*s\n", i ? "           " : "att&ck:    ", (int)b->attack[i].n,
			    b->attack[i].p);
		for (size_t i = 0; i < b->nactions; i++)
			printf("%s %.*s\n", i ? "           " : "actions:   ", (int)b->actions[i].n,
			    b->actions[i].p);
	} else if (m->kind == MSG_KIND_ROSTER || m->kind == MSG_KIND_ENDPOINTS ||
	    m->kind == MSG_KIND_ROTATE) {
		char title[128];
		s_governs_title(m, title, sizeof title);
		printf("title:      %s\n", title);
		for (size_t i = 0; i < b->nmembers; i++) {
			const struct msg_member *e = &b->members[i];
			hex_encode(hex, e->id, MSG_KEY_LEN);
			if (m->kind == MSG_KIND_ENDPOINTS)
				printf("%s %s %.*s\n", i ? "           " : "endpoints: ", hex,
				    (int)e->endpoint.n, e->endpoint.p);
			else
				printf("%s %-16.*s %-9s %-11s %s\n",
				    i ? "           " : "members:   ", (int)e->name.n, e->name.p,
				    msg_level_name(e->level), e->coordinator ? "coordinator" : "",
				    hex);
		}
	} else if (b->note.n)
		printf("note:       %.*s\n", (int)b->note.n, b->note.p);
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	struct filter f = { .c = c };
	struct shown s = { .f = &f };
	struct opened plain = { NULL, 0 };
	struct msg *m = NULL;
	json_t *rep = NULL, *o = NULL, *reports = NULL;
	uint8_t id[32], *bytes = NULL;
	char hex[65];
	bool missing, retracted;
	size_t len;
	int rc;

	if ((rc = s_id_arg(argc, argv, "show", "ID [--json]", id)) != 0)
		return rc;
	rc = 1;
	if (s_client(c, "show") == NULL || (f.n = s_open_reader(c)) == NULL)
		return 1;
	if ((rep = s_get(c, id, "show", &missing)) == NULL) {
		if (missing)
			cli_error("show: no message %s here", argv[optind]);
		goto out;
	}
	f.m = msg_new();
	m = msg_new();
	if (f.m == NULL || m == NULL ||
	    (bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    s_decode(f.n, m, bytes, len, &plain) == -1) {
		cli_error("show: stored message does not decode");
		goto out;
	}
	retracted = json_is_true(json_object_get(rep, "retracted"));
	reports = json_array();
	if (c->json) {
		o = s_msgjson(f.n, m);
		json_object_set_new(o, "retracted", json_boolean(retracted));
		json_object_set_new(o, "revoked", json_boolean(s_revoked(f.n, m->origin)));
		s.thread = json_array();
	} else
		s_show_text(&f, m, retracted);
	/* For each indicator: how many distinct SOCs reported it here, and
	 * have not retracted it. */
	if (m->has_body && m->body.nindicators > 0 && !c->json)
		printf("indicators: %-10s %-48s %s\n", "TYPE", "VALUE", "REPORTED BY");
	for (size_t i = 0; m->has_body && i < m->body.nindicators; i++) {
		const struct msg_ioc *x = &m->body.indicators[i];
		size_t msgs = 0, origins = 0;
		if (s_reports(c, f.n, x, &msgs, &origins) != 0)
			goto out;
		if (c->json)
			json_array_append_new(reports,
			    json_pack("{s:s,s:s%,s:I,s:I}", "type", ioc_type_name(x->type), "value",
			        x->value.p, x->value.n, "socs", (json_int_t)origins, "messages",
			        (json_int_t)msgs));
		else
			printf("            %-10s %-48.*s %zu SOC%s, %zu message%s\n",
			    ioc_type_name(x->type), (int)x->value.n, x->value.p, origins,
			    origins == 1 ? "" : "s", msgs, msgs == 1 ? "" : "s");
	}
	if (!c->json)
		printf("thread:\n");
	hex_encode(hex, m->id, 32);
	if (s_pages(c, json_pack("{s:s,s:s}", "cmd", "thread", "id", hex), "show", 0, s_thread_item,
	        &s) != 0)
		goto out;
	if (c->json) {
		json_object_set_new(o, "reports", reports);
		json_object_set_new(o, "thread", s.thread);
		cli_print_json(o);
		o = reports = s.thread = NULL;
	}
	rc = 0;
out:
	json_decref(o);
	json_decref(reports);
	json_decref(s.thread);
	json_decref(rep);
	s_forget(&plain);
	msg_destroy(&m);
	free(bytes);
	s_forget(&f.plain);
	msg_destroy(&f.m);
	node_close(&f.n);
	return rc;
}

/* ---- export, import, check --------------------------------------------- */

static int
cmd_export(struct cli *c, int argc, char **argv)
{
	struct msg *m = NULL;
	json_t *rep;
	uint8_t id[32], *bytes = NULL;
	size_t len;
	bool missing;
	int rc;

	if ((rc = s_id_arg(argc, argv, "export", "ID > FILE", id)) != 0)
		return rc;
	if (isatty(STDOUT_FILENO))
		return cli_error(
		    "export: writes the signed message in binary; redirect it to a file");
	if ((rep = s_get(c, id, "export", &missing)) == NULL)
		return missing ? cli_error("export: no message %s here", argv[optind]) : 1;
	if ((m = msg_new()) == NULL ||
	    (bytes = control_unbase64(json_object_get(rep, "message"), &len)) == NULL ||
	    msg_decode(m, bytes, len, 0) != MSG_OK)
		rc = cli_error("export: the stored message does not decode");
	else if (m->tlp == MSG_TLP_RED)
		rc = cli_error("export: TLP:RED is never exported (it stays between its origin and "
		               "its recipients)");
	else if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = cli_error("export: %s", strerror(errno));
	msg_destroy(&m);
	free(bytes);
	json_decref(rep);
	return rc;
}

/* Each file goes to the running daemon, which judges it as a message from
 * a peer, stores it and offers it to its peers: import needs it running. */
static int
cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { { "from", 1, 0, 'f' }, { 0 } };
	const char *fromname = NULL;
	struct node *n;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == 'f')
			fromname = optarg;
		else
			return cli_usage("import", "[--from PEER] FILE...");
	if (optind == argc)
		return cli_usage("import", "[--from PEER] FILE...");
	if (s_client(c, "import") == NULL)
		return 1;
	/* An unknown peer stops it before any file (the daemon checks again). */
	if (fromname != NULL) {
		bool known;
		if ((n = s_open(c, 0)) == NULL)
			return 1;
		known = trust_find_name(n->trust, fromname) != NULL;
		node_close(&n);
		if (!known)
			return cli_error("--from: no peer '%s' in the trust list", fromname);
	}
	for (int i = optind; i < argc; i++) {
		json_t *req, *rep;
		size_t len;
		char *buf;
		if (file_read_all(argv[i], MSG_MAX_SIZE_DEFAULT, &buf, &len) == -1) {
			rc = cli_error("%s: %s", argv[i],
			    errno == EFBIG ? "larger than a message can be" : strerror(errno));
			continue;
		}
		req = json_pack("{s:s,s:o}", "cmd", "import", "message",
		    control_base64((uint8_t *)buf, len));
		free(buf);
		if (fromname != NULL)
			json_object_set_new(req, "from", json_string(fromname));
		if ((rep = s_call(c, req, argv[i])) == NULL) {
			rc = 1;
			continue;
		}
		if (!json_is_true(json_object_get(rep, "ok")))
			rc = cli_error("%s: %s", argv[i], cli_field(rep, "error"));
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
cmd_check(struct cli *c, int argc, char **argv)
{
	struct node *n;
	struct store_stats st;
	int rc;

	(void)argv;
	if (argc > 1)
		return cli_usage("check", "[--dir DIR]");
	/* Read-only, in one read transaction: beside the daemon or without
	 * it.  Signatures need no secret key. */
	if ((n = s_open(c, NODE_STORE)) == NULL)
		return 1;
	/* The indexes, and every message's format, id and signature. */
	rc = node_check(n, NULL, c->err, sizeof c->err);
	if (rc != STORE_OK)
		cli_error("check: %s", c->err);
	else if (store_stats(n->st, &st) == STORE_OK)
		printf("store OK: %llu messages, %llu bytes in use\n",
		    (unsigned long long)st.messages, (unsigned long long)st.used_bytes);
	node_close(&n);
	return rc == STORE_OK ? 0 : 1;
}

/* ---- backup, restore ------------------------------------------------- */

/* --NAME FILE, the one option of backup and restore, into *file. */
static int
s_file_opt(int argc, char **argv, const char *cmd, const char *name, const char **file)
{
	const struct option opts[] = { { name, 1, 0, 'f' }, { 0 } };
	char synopsis[64];
	int ch;

	snprintf(synopsis, sizeof synopsis, "--dir DIR --%s FILE", name);
	*file = NULL;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == 'f')
			*file = optarg;
		else
			return cli_usage(cmd, synopsis);
	if (optind != argc || *file == NULL || **file == '\0')
		return cli_usage(cmd, synopsis);
	return 0;
}

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
		return cli_error("backup: %s: a directory; name the file to write", file);
	if (slash == NULL)
		snprintf(parent, sizeof parent, ".");
	else if ((size_t)(slash - file) >= sizeof parent)
		return cli_error("backup: %s: path too long", file);
	else
		snprintf(parent, sizeof parent, "%.*s", slash == file ? 1 : (int)(slash - file),
		    file);
	if (stat(parent, &p) == -1 || access(parent, W_OK | X_OK) == -1)
		return cli_error("backup: %s: %s", parent, strerror(errno));
	if (node_store_dir(n, sdir, sizeof sdir) == -1 || stat(n->dir, &d) == -1 ||
	    stat(sdir, &s) == -1)
		return cli_error("backup: %s: %s", c->dir, strerror(errno));
	if ((p.st_dev == d.st_dev && p.st_ino == d.st_ino) ||
	    (p.st_dev == s.st_dev && p.st_ino == s.st_ino))
		return cli_error("backup: %s: not inside the node directory or its store", file);
	return 0;
}

static int
cmd_backup(struct cli *c, int argc, char **argv)
{
	uint64_t messages = 0;
	const char *file;
	struct node *n;
	int rc;

	if ((rc = s_file_opt(argc, argv, "backup", "to", &file)) != 0)
		return rc;
	/* A read transaction of its own: the running node goes on writing. */
	if ((n = s_open(c, NODE_STORE)) == NULL)
		return 1;
	if (s_backup_target(c, n, file) != 0)
		rc = 1;
	else if ((rc = store_backup(n->st, file, &messages)) != STORE_OK)
		cli_error("backup: %s: %s", file,
		    rc == STORE_E_CORRUPT  ? "the copy could not be read back"
		        : rc == STORE_E_IO ? strerror(errno)
		                           : store_strerror(rc));
	else {
		printf("backup of %llu messages written to %s\n", (unsigned long long)messages,
		    file);
		if (messages == 0)
			fprintf(stderr,
			    "socmesh: warning: the store holds no messages, and restore "
			    "refuses a backup without any\n");
	}
	node_close(&n);
	return rc == STORE_OK ? 0 : 1;
}

static int
cmd_restore(struct cli *c, int argc, char **argv)
{
	const char *file;
	struct node *n;
	int rc;

	if ((rc = s_file_opt(argc, argv, "restore", "from", &file)) != 0)
		return rc;
	/* The node's lock decides; a daemon that answers is asked too (one
	 * started before node.lock existed, say). */
	if (control_probe(c->dir) == 1)
		return cli_error("restore: socmeshd is running for %s; stop it first", c->dir);
	if ((n = s_open(c, 0)) == NULL)
		return 1;
	struct node_restored r;
	if ((rc = node_restore(n, file, &r, c->err, sizeof c->err)) == -1)
		cli_error("restore: %s", c->err);
	else {
		printf("store of %s restored from %s: %llu messages", n->cfg.name, file,
		    (unsigned long long)r.messages);
		if (r.kept[0] != '\0')
			printf("; the one it replaced is kept as %s", r.kept);
		putchar('\n');
		if (r.seq_unknown)
			fprintf(stderr,
			    "socmesh: warning: the replaced store could not be read, so the "
			    "sequence numbers used after the backup are unknown: let the node "
			    "reconcile with its peers before publishing\n");
	}
	node_close(&n);
	return rc == 0 ? 0 : 1;
}

static const struct command {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *help;
} s_commands[] = {
	{ "init", cmd_init, "create a node directory: identity, configuration, trust list, store" },
	{ "id", cmd_id, "print this node's id" },
	{ "trust", cmd_trust, "add, set, remove or list trusted peers" },
	{ "roster", cmd_roster,
	    "the network's roster: propose, approve, show, diff, export (coordinators)" },
	{ "publish", cmd_publish, "sign and store a message; prints its id" },
	{ "sight", cmd_sight, "publish a sighting of a message (\"we saw this too\")" },
	{ "peers", cmd_peers, "the peers of the running node: connection, counters, rejections" },
	{ "explain", cmd_explain, "why each peer did or did not get a message" },
	{ "rotate", cmd_rotate,
	    "a new key pair for this node, announced under both keys (the old stays its history)" },
	{ "network", cmd_network,
	    "every member as its beacons tell: roster epoch, version, peers, store, flags" },
	{ "stats", cmd_stats, "counts by TLP, kind and origin, store use, uptime (--prometheus)" },
	{ "query", cmd_query, "list messages, newest first, by indicator, time, origin, TLP, ..." },
	{ "show", cmd_show,
	    "one message in full, its thread and who else reported its indicators" },
	{ "export", cmd_export, "write one signed message to stdout" },
	{ "import", cmd_import,
	    "verify and store signed messages from files, under the trust rules" },
	{ "check", cmd_check, "check the store's consistency" },
	{ "backup", cmd_backup, "hot backup of the store to a file (compacted LMDB copy)" },
	{ "restore", cmd_restore, "replace the stopped node's store with a backup" },
};

/*
 * Root works on a node as the node's own user: files it writes stay the
 * service's (trust.conf, a restored store), and nothing is done with root's
 * rights inside a directory that user controls.  0, or 1 after an error.
 */
static int
s_become_owner(const char *dir)
{
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) == -1 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) == -1 || setgid(st.st_gid) == -1 || setuid(st.st_uid) == -1)
		return cli_error("%s: cannot become its owner (uid %u): %s", dir,
		    (unsigned)st.st_uid, strerror(errno));
	return 0;
}

static int
s_help(FILE *out)
{
	fprintf(out, "usage: socmesh COMMAND [--dir DIR] [--json] [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
		fprintf(out, "  %-8s %s\n", s_commands[i].name, s_commands[i].help);
	fprintf(out, "\nDIR defaults to $SOCMESH_DIR, else %s. See socmesh(1).\n", DEFAULT_DIR);
	return out == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct cli c = { .dir = getenv("SOCMESH_DIR") };
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int nargs = 0;

	/* Errors are the command's own one line; the library's warnings
	 * would make them two. */
	log_init("socmesh", 0, LOG_LEVEL_ERROR);
	if (args == NULL || sodium_init() < 0)
		return cli_error("cannot initialize");
	if (c.dir == NULL || c.dir[0] == '\0')
		c.dir = DEFAULT_DIR;
	/* --dir and --json are taken out wherever they stand; the rest goes
	 * to the command's own parser. */
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (i > 0 && strcmp(argv[i], "--dir") == 0) {
			if (++i == argc)
				return cli_error("--dir needs a directory");
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
	if (nargs < 2 || strcmp(args[1], "help") == 0 || strcmp(args[1], "--help") == 0 ||
	    strcmp(args[1], "-h") == 0) {
		free(args);
		return s_help(nargs < 2 ? stderr : stdout);
	}
	for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
		if (strcmp(args[1], s_commands[i].name) == 0) {
			optind = 1;
			opterr = 1;
			if (s_commands[i].fn != cmd_init && s_become_owner(c.dir) != 0) {
				free(args);
				return 1;
			}
			int rc = s_commands[i].fn(&c, nargs - 1, args + 1);
			control_disconnect(&c.cc);
			free(args);
			return rc;
		}
	cli_error("unknown command '%s' (see: socmesh help)", args[1]);
	free(args);
	return 2;
}
