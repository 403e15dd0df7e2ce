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

/* cli_roster.c */
extern const struct cli_cmd cli_roster_cmd;
/* init --join FILE --coordinator ID...: checks FILE against the ids, then
 * creates the node (node_init()) with that roster in force and the ids
 * outside it anchored in its trust list.  0, or 1 after the error line. */
int cli_join(struct cli *c, const char *name, const char *listen, const char *file,
    const char **coordinators, size_t n);

#endif
