/*
 * cli_taxii — socmesh taxii user add|remove|list: the users of the TAXII
 * server (taxii.h), in DIR/taxii.users.  The running server reads the
 * file again when it changes: no restart.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "msg.h"
#include "taxii.h"
#include "util.h"

/* The path of the users file and of its lock into path and lock. */
static void
s_paths(const struct cli *c, char *path, size_t plen, char *lock, size_t llen)
{
	snprintf(path, plen, "%s/%s", c->dir, TAXII_USERS_FILE);
	snprintf(lock, llen, "%s/%s.lock", c->dir, TAXII_USERS_FILE);
}

/* The node directory must be one. */
static int
s_node_dir(struct cli *c)
{
	char conf[PATH_MAX + 64];

	snprintf(conf, sizeof conf, "%s/%s", c->dir, CONFIG_FILE);
	if (access(conf, F_OK) != 0)
		return cli_error(c, "%s: not a node directory (no %s)", c->dir, CONFIG_FILE);
	return 0;
}

/* One line of standard input: the password, without its newline. */
static int
s_password(struct cli *c, char *buf, size_t len)
{
	size_t n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password (one line): ");
	if (fgets(buf, (int)len, stdin) == NULL)
		return cli_error(c, "no password on standard input (one line)");
	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n')
		return cli_error(c, "password longer than %d bytes", TAXII_PASSWORD_MAX);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0)
		return cli_error(c, "empty password refused");
	return 0;
}

static int
s_add(struct cli *c, json_t *opts, json_t *args)
{
	const char *name = json_string_value(json_array_get(args, 1));
	const char *tlpw = cli_opt_str(opts, "max-tlp");
	char path[PATH_MAX + 64], lock[PATH_MAX + 64], pass[TAXII_PASSWORD_MAX + 2];
	struct taxii_users u = { 0 };
	struct taxii_user user, *old;
	struct stat st;
	int tlp, fd, rc = 1;

	if (name == NULL || json_array_size(args) != 2)
		return cli_error(c, "usage: socmesh taxii user add NAME --max-tlp TLP");
	if (!taxii_valid_name(name))
		return cli_error(c, "bad user name '%s': 1-%d of A-Z a-z 0-9 . _ -", name,
		    TAXII_NAME_MAX);
	if (tlpw == NULL)
		return cli_error(c, "--max-tlp is required (clear, green, amber, amber+strict)");
	if (cli_word(c, "max-tlp", CLI_E_TLP, tlpw, &tlp) != 0)
		return 1;
	if (tlp == MSG_TLP_RED)
		return cli_error(c, "--max-tlp red refused: TLP:RED is never served over TAXII");
	if (s_node_dir(c) != 0)
		return 1;
	s_paths(c, path, sizeof path, lock, sizeof lock);
	if ((fd = file_lock(lock)) == -1)
		return cli_error(c, "%s: %s", lock, strerror(errno));
	if (taxii_users_load(&u, path, &st, c->err, sizeof c->err) != 0) {
		cli_error(c, "%s", c->err);
		goto out;
	}
	old = taxii_users_find(&u, name);
	if (old != NULL && !json_is_true(json_object_get(opts, "replace"))) {
		cli_error(c, "user %s exists (--replace sets a new password and max TLP)", name);
		goto out;
	}
	if (s_password(c, pass, sizeof pass) != 0)
		goto out;
	memset(&user, 0, sizeof user);
	snprintf(user.name, sizeof user.name, "%s", name);
	user.max_tlp = tlp;
	if (crypto_pwhash_str(user.hash, pass, strlen(pass), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		cli_error(c, "out of memory hashing the password");
		goto out;
	}
	if (old != NULL)
		*old = user;
	else if (taxii_users_add(&u, &user) != 0) {
		cli_error(c, "at most %d users", TAXII_USERS_MAX);
		goto out;
	}
	if (taxii_users_write(&u, path, c->err, sizeof c->err) != 0) {
		cli_error(c, "%s", c->err);
		goto out;
	}
	printf("%s user %s, max TLP %s\n", old != NULL ? "replaced" : "added", name,
	    msg_tlp_name((enum msg_tlp)tlp));
	rc = 0;
out:
	sodium_memzero(pass, sizeof pass);
	taxii_users_free(&u);
	close(fd);
	return rc;
}

static int
s_remove(struct cli *c, json_t *opts, json_t *args)
{
	const char *name = json_string_value(json_array_get(args, 1));
	char path[PATH_MAX + 64], lock[PATH_MAX + 64];
	struct taxii_users u = { 0 };
	struct stat st;
	int fd, rc = 1;

	(void)opts;
	if (name == NULL || json_array_size(args) != 2)
		return cli_error(c, "usage: socmesh taxii user remove NAME");
	if (s_node_dir(c) != 0)
		return 1;
	s_paths(c, path, sizeof path, lock, sizeof lock);
	if ((fd = file_lock(lock)) == -1)
		return cli_error(c, "%s: %s", lock, strerror(errno));
	if (taxii_users_load(&u, path, &st, c->err, sizeof c->err) != 0)
		cli_error(c, "%s", c->err);
	else if (taxii_users_remove(&u, name) != 0)
		cli_error(c, "no user %s", name);
	else if (taxii_users_write(&u, path, c->err, sizeof c->err) != 0)
		cli_error(c, "%s", c->err);
	else {
		printf("removed user %s\n", name);
		rc = 0;
	}
	taxii_users_free(&u);
	close(fd);
	return rc;
}

static int
s_list(struct cli *c, json_t *opts, json_t *args)
{
	char path[PATH_MAX + 64], lock[PATH_MAX + 64];
	struct taxii_users u = { 0 };
	struct stat st;
	int w = 4;

	(void)opts;
	if (json_array_size(args) != 1)
		return cli_error(c, "usage: socmesh taxii user list [--json]");
	if (s_node_dir(c) != 0)
		return 1;
	s_paths(c, path, sizeof path, lock, sizeof lock);
	if (taxii_users_load(&u, path, &st, c->err, sizeof c->err) != 0)
		return cli_error(c, "%s", c->err);
	for (size_t i = 0; i < u.n; i++)
		w = cli_width(w, u.v[i].name);
	if (!c->json && u.n > 0)
		printf("%-*s  %s\n", w, "NAME", "MAX_TLP");
	for (size_t i = 0; i < u.n; i++) {
		const char *tlp = msg_tlp_name((enum msg_tlp)u.v[i].max_tlp);
		if (c->json)
			cli_print_json(c,
			    json_pack("{s:s,s:s}", "name", u.v[i].name, "max_tlp", tlp));
		else
			printf("%-*s  %s\n", w, u.v[i].name, tlp);
	}
	cli_end(c);
	taxii_users_free(&u);
	return 0;
}

static int
cmd_taxii(struct cli *c, json_t *opts, json_t *args)
{
	const char *what = json_string_value(json_array_get(args, 0));
	const char *sub = json_string_value(json_array_get(args, 1));
	json_t *rest;
	int rc;

	if (strcmp(what, "user") != 0 || sub == NULL) {
		cli_error(c,
		    "unknown subcommand '%s' (user add|remove|list; see: socmesh help taxii)",
		    what);
		return 2;
	}
	/* args without "user": [SUB, NAME...] */
	rest = json_array();
	for (size_t i = 1; i < json_array_size(args); i++)
		json_array_append(rest, json_array_get(args, i));
	if (strcmp(sub, "add") == 0)
		rc = s_add(c, opts, rest);
	else if (strcmp(sub, "remove") == 0)
		rc = s_remove(c, opts, rest);
	else if (strcmp(sub, "list") == 0)
		rc = s_list(c, opts, rest);
	else {
		cli_error(c, "unknown subcommand 'user %s' (add, remove, list)", sub);
		rc = 2;
	}
	json_decref(rest);
	return rc;
}

static const struct cli_opt s_taxii_opts[] = {
	{ "max-tlp", "TLP",
	    "add: the highest TLP the user reads (clear, green, amber, amber+strict)", 0 },
	{ "replace", NULL, "add: replace an existing user's password and max TLP", 0 },
	{ NULL },
};

const struct cli_cmd cli_taxii_cmd = { "taxii", cmd_taxii, "user add|remove|list [NAME]", 2, 3,
	"the TAXII 2.1 server's users (DIR/taxii.users)",
	"  socmesh taxii user add NAME --max-tlp TLP [--replace] < PASSWORD-LINE\n"
	"  socmesh taxii user remove NAME\n"
	"  socmesh taxii user list [--json]\n"
	"  The password is one line of standard input, hashed with Argon2id (libsodium).\n"
	"  TLP:RED is never served.  The running server reads the file again when it\n"
	"  changes.",
	s_taxii_opts };
