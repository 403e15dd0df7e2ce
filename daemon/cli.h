/*
 * The socmesh CLI's shared parts (cli.c): its state, its one-line errors,
 * its requests to the running daemon.  Each cli_*.c file holds commands.
 */
#ifndef SOCMESH_CLI_H
#define SOCMESH_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct cli {
	const char *dir;
	bool json;
	struct control_client *cc; /* to the running daemon, once asked */
	char err[512];
};

/* "socmesh: " and the line on stderr; returns 1 (the exit status). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "usage: socmesh CMD SYNOPSIS" on stderr; returns 2. */
int cli_usage(const char *cmd, const char *synopsis);
/* The string member key of o, "" when absent or not a string. */
const char *cli_field(const json_t *o, const char *key);
/* o on one line of stdout, compact; o is decref'd. */
void cli_print_json(json_t *o);
/* Sends req (taken over) to the running daemon: its reply when it says
 * ok (the caller decrefs), else NULL after the line "WHAT: ERROR". */
json_t *cli_ask(struct cli *c, json_t *req, const char *what);

/* cli_roster.c */
int cmd_roster(struct cli *c, int argc, char **argv);
/* init --join FILE --coordinator ID...: checks FILE against the ids, then
 * creates the node (node_init()) with that roster in force and the ids
 * outside it anchored in its trust list.  0, or 1 after the error line. */
int cli_join(struct cli *c, const char *name, const char *listen, const char *file,
    char **coordinators, size_t n);

#endif
