/*
 * The socmesh CLI's shared parts (cli.c): its state, its one-line errors,
 * its requests to the running daemon.  Each cli_*.c file holds commands.
 */
#ifndef SOCMESH_CLI_H
#define SOCMESH_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "msg.h"

struct node;

struct cli_cmd;

struct cli {
	const char *dir;
	bool json, json_array;     /* --json; --json-array: one JSON document */
	size_t printed;            /* JSON objects printed under --json-array */
	const struct cli_cmd *cmd; /* the command being run */
	struct control_client *cc; /* to the running daemon, once asked */
	char err[512];
};

/*
 * A command: its options as a table, from which its usage ("socmesh help
 * CMD", "CMD --help") is printed and its command line parsed.  fn gets
 * the options as a JSON object (cli_parse()) and the arguments as an array
 * of strings; min_args and max_args bound how many.
 */
struct cli_opt {
	const char *name; /* --NAME */
	const char *arg;  /* the value's name in the usage ("TEXT"); NULL: a flag */
	const char *help; /* one line */
	unsigned flags;
};
#define CLI_MANY 0x1u /* may be repeated: an array of its values */
#define CLI_TEXT 0x2u /* free text: "-" reads stdin, "@FILE" a file, "@@" one "@" */

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *c, json_t *opts, json_t *args);
	const char *args; /* the arguments in the usage ("ID", "FILE..."), or NULL */
	size_t min_args, max_args;
	const char *summary;        /* one line, for "socmesh help" */
	const char *more;           /* more lines for "socmesh help CMD", or NULL */
	const struct cli_opt *opts; /* ends with { NULL } */
};

/*
 * Parses argv (argv[0] is the command's name) against cmd: *opts gets each
 * option given under its name (its string; an array for CLI_MANY; true for
 * a flag; the text read for CLI_TEXT), *args the other arguments.  Returns
 * -1 when parsed (the caller owns both), else the exit status after the
 * output: 0 after --help, 2 after one error line (an unknown option names
 * the nearest known one), 1 when a text could not be read.
 */
int cli_parse(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv, json_t **opts,
    json_t **args);
/* The full usage of cmd, every option with its help, on out; 0. */
int cli_help(const struct cli_cmd *cmd, FILE *out);
/* The word nearest to the len bytes at name among word(arg, 0), word(arg,
 * 1), ... (NULL ends them): one that name begins (3 bytes or more), or at
 * most a third of its letters away; NULL when none is that near. */
const char *cli_nearest(const char *name, size_t len, const char *(*word)(const void *, size_t),
    const void *arg);
/* The string value of option name in opts, NULL when not given. */
const char *cli_opt_str(const json_t *opts, const char *name);

/* The enumerations of the message format that options name. */
enum cli_enum { CLI_E_TLP, CLI_E_KIND, CLI_E_CATEGORY, CLI_E_SEVERITY, CLI_E_STATUS, CLI_E_LEVEL };
/* A word of enumeration e, in any case ("TLP:" allowed before a TLP, and
 * TLP 1.0's "white" for clear): 0 with its value in *out, or 1 after the
 * line "--OPT: unknown value 'V' (one of: ...)". */
int cli_word(struct cli *c, const char *opt, enum cli_enum e, const char *v, int *out);
/* The wire word of value v of e ("amber+strict"). */
const char *cli_word_name(enum cli_enum e, int v);
/* The larger of w and the width of s in a table column. */
int cli_width(int w, const char *s);

/* How a time option reads a duration and a date: --since (CLI_FROM: a
 * duration before now, a day's first millisecond), --until (CLI_UNTIL: a
 * duration before now, a day's last millisecond), --expires (CLI_LATER: a
 * duration after now, a day's last millisecond). */
enum cli_when { CLI_FROM, CLI_UNTIL, CLI_LATER };
/* A duration (90m, 12h, 7d, 2w, 1y), a date (2026-12-01), a time to the
 * minute (2026-12-01T16:36, UTC) or RFC 3339 into *ms: 0, or 1 after an
 * error line. */
int cli_when(struct cli *c, const char *opt, const char *v, enum cli_when how, uint64_t now,
    uint64_t *ms);
/* A message id: 64 hex digits, or a unique prefix of 8 or more that the
 * running daemon resolves.  0, or 1 after an error line (an ambiguous
 * prefix lists the candidates). */
int cli_id(struct cli *c, const char *v, uint8_t id[32]);

/* "socmesh CMD: " and the line on stderr; returns 1 (the exit status). */
int cli_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string member key of o, "" when absent or not a string. */
const char *cli_field(const json_t *o, const char *key);
/* o on one line of stdout, compact; o is decref'd.  Under --json-array
 * the lines are the elements of one JSON array (cli_end()). */
void cli_print_json(struct cli *c, json_t *o);
/* Closes what cli_print_json() opened. */
void cli_end(struct cli *c);
/* Sends req (taken over) to the running daemon: its reply when it says
 * ok (the caller decrefs), else NULL after the line "ERROR". */
json_t *cli_ask(struct cli *c, json_t *req);

/* ---- what cli.c shares with the commands of other files ---- */

/* The running daemon's reply to {"cmd": "get"} for id: with "message"
 * (base64 of the signed bytes) and "retracted".  NULL after an error line,
 * or with *missing set and no line when the message is not here. */
json_t *cli_get(struct cli *c, const uint8_t id[32], bool *missing);
/* node_open(c->dir, what), or NULL after an error line. */
struct node *cli_open(struct cli *c, unsigned what);
/* The node (configuration, trust list, roster; never the store) with its
 * secret key when this user may read it, so that sealed bodies addressed
 * to it open; without it otherwise.  NULL after an error line. */
struct node *cli_open_reader(struct cli *c);
/* A node's name here: this node's, a trust-list name, else the first 12
 * hex digits of key (into buf). */
const char *cli_name(const struct node *n, const uint8_t *key, char buf[13]);
/* The first 12 hex digits of key, into buf. */
const char *cli_short(const uint8_t *key, char buf[13]);
/* An origin that is neither this node nor trusted now (blocked, or gone
 * from the trust list in force). */
bool cli_revoked(const struct node *n, const uint8_t origin[MSG_KEY_LEN]);

/* An opened sealed body: zeroed before it is freed (cli_forget()). */
struct cli_opened {
	uint8_t *p;
	size_t n;
};
void cli_forget(struct cli_opened *o);
/* Decodes a stored message, opening its body when this node may (with a
 * key it rotated away too); the plaintext is kept in o until the next call
 * or cli_forget(o).  0, or -1 when the bytes do not decode. */
int
cli_decode(struct node *n, struct msg *m, const uint8_t *bytes, size_t len, struct cli_opened *o);
/*
 * Pages through a request of the daemon's that answers {"messages": [...],
 * "next"} (query, thread): req (taken over) is sent with "limit" and
 * "after" set, for as long as "next" is not null and want (0: no limit)
 * messages have not come.  fn is called with each message object and arg;
 * it returns how many it took (0 or 1).  0, or 1 after an error line.
 */
int cli_pages(struct cli *c, json_t *req, size_t want, size_t (*fn)(void *, json_t *), void *arg);
/*
 * The messages of query's options in opts (at most limit), or of items
 * (message objects of the daemon's replies: query, get, thread) when
 * items is not NULL, each decoded (opened where this node may) into the
 * JSON object that query --json prints and given to sink with arg (sink
 * takes its own reference).  0, or 1 after an error line.
 */
int cli_collect(struct cli *c, json_t *opts, const json_t *items, size_t limit,
    void (*sink)(void *, json_t *), void *arg);
/* The connection to the running daemon, made once; NULL after an error
 * line. */
struct control_client *cli_client(struct cli *c);
/* msgjson_new() with this node named where it is the origin or a
 * recipient. */
json_t *cli_msgjson(const struct node *n, const struct msg *m);
/* The one-line title of a roster, endpoints or rotate message. */
void cli_governs_title(const struct msg *m, char *buf, size_t len);
/* An indicator as the daemon's query takes it: "TYPE:VALUE". */
json_t *cli_ioc_json(enum ioc_type t, const char *value, size_t len);

/* The message fields of publish's options in opts, into o (words as the
 * wire spells them, --expires as RFC 3339, --ref as a full id).  0, or 1
 * after an error line. */
int cli_fields_of(struct cli *c, json_t *opts, json_t *o);
/* Publishes o (draft fields, taken over) through the daemon; a message
 * with a "ref" takes the TLP and recipients of the message it refers to
 * unless o names its own.  Prints the new id.  0, or 1 after an error. */
int cli_publish_ref(struct cli *c, json_t *o);

/* cli_case.c: show (a message; a case as a conversation, with its state),
 * comment, assign. */
extern const struct cli_cmd cli_show_cmd, cli_comment_cmd, cli_assign_cmd;

/* cli_lookup.c: indicators in bulk, from a file or stdin. */
extern const struct cli_cmd cli_lookup_cmd;

/* cli_lessons.c: what the network learned, by category of incident. */
extern const struct cli_cmd cli_lessons_cmd;
/* An update (draft fields o, ref its incident) that carries detection,
 * effects, response or lessons and names no category takes the case's,
 * so that lessons --category lists it; the same category changes nothing
 * of the case's state.  0, or 1 after an error line. */
int cli_lessons_category(struct cli *c, json_t *o, const uint8_t ref[32]);

/* cli_related.c: related, campaigns; the campaign that case id belongs
 * to (the daemon's default window), or NULL (none, or after an error
 * line). */
extern const struct cli_cmd cli_related_cmd, cli_campaigns_cmd;
json_t *cli_campaign_of(struct cli *c, const uint8_t id[32]);

/* cli_roster.c */
extern const struct cli_cmd cli_roster_cmd;

/* cli_sources.c: each origin's figures (stats --prometheus exports them). */
extern const struct cli_cmd cli_sources_cmd;

/* cli_taxii.c: taxii user add NAME --max-tlp TLP | remove NAME | list. */
extern const struct cli_cmd cli_taxii_cmd;

/* cli_interop.c: export and import as STIX 2.1 or MISP (docs/INTEROP.md).
 * cli_format(): --format as 0 (socmesh's signed messages), 1 (stix) or 2
 * (misp); -1 after an error line. */
int cli_format(struct cli *c, json_t *opts);
int cli_export_format(struct cli *c, json_t *opts, json_t *args, int format);
int cli_import_format(struct cli *c, json_t *opts, json_t *args, int format);
/* The per-source metrics (socmesh_source_*{source="NAME"}) of the
 * daemon's "sources" array, in the Prometheus text format on stdout. */
void cli_sources_prometheus(json_t *sources);
/* init --join FILE --coordinator ID...: checks FILE against the ids, then
 * creates the node (node_init()) with that roster in force and the ids
 * outside it anchored in its trust list.  0, or 1 after the error line. */
int cli_join(struct cli *c, const char *name, const char *listen, const char *file,
    const char **coordinators, size_t n);

#endif
