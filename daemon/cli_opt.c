/*
 * The socmesh CLI's command lines: each command's options as a table
 * (struct cli_cmd), parsed here into JSON, its usage printed from the same
 * table, and the values people type (words in any case, times and
 * durations, text from stdin or a file, id prefixes) read one way for all
 * commands.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "control.h"
#include "msg.h"
#include "timefmt.h"
#include "util.h"

#define TEXT_MAX (1024 * 1024) /* bytes of a text read from stdin or a file */

/* --dir and --json, which every command takes (main() takes them out). */
static const struct cli_opt s_global[] = {
	{ "dir", "DIR", "the node directory (default $SOCMESH_DIR, else /var/lib/socmesh)", 0 },
	{ "json", NULL, "JSON output: one object per line", 0 },
	{ "help", NULL, "this help", 0 },
};

static size_t
s_nopts(const struct cli_cmd *cmd)
{
	size_t n = 0;

	while (cmd->opts != NULL && cmd->opts[n].name != NULL)
		n++;
	return n;
}

static const struct cli_opt *
s_find(const struct cli_cmd *cmd, const char *name, size_t len)
{
	for (size_t i = 0; i < s_nopts(cmd); i++)
		if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
			return &cmd->opts[i];
	return NULL;
}

/* Edit distance (insertions, deletions, substitutions, transpositions)
 * of two short words; words over 63 bytes are far from everything. */
static size_t
s_distance(const char *a, size_t na, const char *b)
{
	size_t nb = strlen(b), d[64][64];

	if (na >= 64 || nb >= 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= na; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[na][nb];
}

const char *
cli_nearest(const char *name, size_t len, const char *(*word)(const void *, size_t),
    const void *arg)
{
	const char *best = NULL, *w;
	size_t bestd = len / 3 + 1;

	for (size_t i = 0; (w = word(arg, i)) != NULL; i++) {
		size_t d = len >= 3 && strncmp(w, name, len) == 0 ? 1 : s_distance(name, len, w);
		if (d < bestd)
			best = w, bestd = d;
	}
	return best;
}

/* cli_nearest()'s words for an option: cmd's options, then the global ones. */
static const char *
s_opt_word(const void *arg, size_t i)
{
	const struct cli_cmd *cmd = arg;
	size_t n = s_nopts(cmd);

	if (i < n)
		return cmd->opts[i].name;
	return i - n < sizeof s_global / sizeof s_global[0] ? s_global[i - n].name : NULL;
}

static void
s_opt_line(FILE *out, const struct cli_opt *o)
{
	char left[64];

	snprintf(left, sizeof left, "--%s%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "",
	    o->flags & CLI_MANY ? "..." : "");
	fprintf(out, "  %-28s %s%s\n", left, o->help,
	    o->flags & CLI_TEXT ? " (- reads stdin, @FILE a file)" : "");
}

int
cli_help(const struct cli_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: socmesh %s%s%s%s\n\n%s\n", cmd->name, cmd->args ? " " : "",
	    cmd->args ? cmd->args : "", s_nopts(cmd) ? " [options]" : "", cmd->summary);
	if (cmd->more != NULL)
		fprintf(out, "\n%s\n", cmd->more);
	fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < s_nopts(cmd); i++)
		s_opt_line(out, &cmd->opts[i]);
	for (size_t i = 0; i < sizeof s_global / sizeof s_global[0]; i++)
		s_opt_line(out, &s_global[i]);
	fprintf(out, "\nSee socmesh(1).\n");
	return 0;
}

/* One line "socmesh CMD: ... (see: socmesh help CMD)" on stderr; 2. */
static int s_usage_error(struct cli *c, const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
s_usage_error(struct cli *c, const struct cli_cmd *cmd, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cli_error(c, "%s (see: socmesh help %s)", line, cmd->name);
	return 2;
}

/* All of stdin, at most max bytes: 0, or -1 with errno (EFBIG beyond). */
static int
s_read_stdin(size_t max, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *nb;

	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len, stdin);
		len += n;
		if (n == 0) {
			if (ferror(stdin))
				break;
			buf[len] = '\0';
			*out = buf, *outlen = len;
			return 0;
		}
		if (len == cap) {
			if (cap > max) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nb;
		}
	}
	free(buf);
	if (errno == 0)
		errno = EIO;
	return -1;
}

/* Reads the text of a CLI_TEXT option: "-" stdin, "@FILE" the file, "@@"
 * a text that starts with "@"; else the value itself.  NULL after an
 * error line. */
static json_t *
s_text(struct cli *c, const char *opt, const char *v, bool *stdin_used)
{
	json_t *s;
	char *buf;
	size_t len;

	if (v[0] == '@' && v[1] == '@')
		return json_string(v + 1);
	if (strcmp(v, "-") != 0 && v[0] != '@')
		return json_string(v);
	if (v[0] == '-') {
		if (*stdin_used) {
			cli_error(c, "--%s -: stdin is read once, by one option", opt);
			return NULL;
		}
		*stdin_used = true;
		if (s_read_stdin(TEXT_MAX, &buf, &len) == -1) {
			cli_error(c, "--%s: stdin: %s", opt,
			    errno == EFBIG ? "more than 1 MiB" : strerror(errno));
			return NULL;
		}
	} else if (file_read_all(v + 1, TEXT_MAX, &buf, &len) == -1) {
		cli_error(c, "--%s: %s: %s", opt, v + 1,
		    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return NULL;
	}
	/* One trailing newline is the file's, not the text's. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if ((s = json_stringn(buf, len)) == NULL)
		cli_error(c, "--%s: not UTF-8 text", opt);
	free(buf);
	return s;
}

static int
s_set(struct cli *c, const struct cli_cmd *cmd, json_t *opts, const struct cli_opt *o,
    const char *v, bool *stdin_used)
{
	json_t *val = o->arg == NULL ? json_true()
	    : o->flags & CLI_TEXT    ? s_text(c, o->name, v, stdin_used)
	                             : json_string(v);

	if (val == NULL) {
		if (o->flags & CLI_TEXT)
			return 1;
		cli_error(c, "--%s: not UTF-8 text", o->name);
		return 1;
	}
	if (o->flags & CLI_MANY) {
		json_t *a = json_object_get(opts, o->name);
		if (a == NULL)
			json_object_set_new(opts, o->name, a = json_array());
		json_array_append_new(a, val);
		return 0;
	}
	if (json_object_get(opts, o->name) != NULL) {
		json_decref(val);
		return s_usage_error(c, cmd, "--%s is given twice", o->name);
	}
	json_object_set_new(opts, o->name, val);
	return 0;
}

int
cli_parse(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv, json_t **opts,
    json_t **args)
{
	bool stdin_used = false, dashdash = false;
	int rc = -1;

	*opts = json_object();
	*args = json_array();
	for (int i = 1; i < argc && rc == -1; i++) {
		const char *a = argv[i], *eq;
		const struct cli_opt *o;
		size_t len;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			json_array_append_new(*args, json_string(a));
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			rc = cli_help(cmd, stdout);
			break;
		}
		if (a[1] != '-') {
			rc = s_usage_error(c, cmd, "unknown option '%s'", a);
			break;
		}
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if ((o = s_find(cmd, a + 2, len)) == NULL) {
			const char *near = cli_nearest(a + 2, len, s_opt_word, cmd);
			char hint[96] = "";
			if (near != NULL)
				snprintf(hint, sizeof hint, "; did you mean --%s?", near);
			rc = s_usage_error(c, cmd, "unknown option '%s'%s", a, hint);
		} else if (o->arg == NULL && eq != NULL)
			rc = s_usage_error(c, cmd, "--%s takes no value", o->name);
		else if (o->arg != NULL && eq == NULL && i + 1 == argc)
			rc = s_usage_error(c, cmd, "--%s needs a value (%s)", o->name, o->arg);
		else if (s_set(c, cmd, *opts, o,
		             o->arg == NULL ? NULL
		                 : eq       ? eq + 1
		                            : argv[++i],
		             &stdin_used) != 0)
			rc = 2;
	}
	if (rc == -1 && json_array_size(*args) < cmd->min_args)
		rc = s_usage_error(c, cmd, "needs %s", cmd->args ? cmd->args : "arguments");
	if (rc == -1 && json_array_size(*args) > cmd->max_args)
		rc = s_usage_error(c, cmd, "unexpected argument '%s'",
		    json_string_value(json_array_get(*args, cmd->max_args)));
	if (rc != -1) {
		json_decref(*opts), json_decref(*args);
		*opts = *args = NULL;
	}
	return rc;
}

const char *
cli_opt_str(const json_t *opts, const char *name)
{
	return json_string_value(json_object_get(opts, name));
}

/* The name of value i of enumeration e, NULL past its end. */
static const char *
s_enum_name(enum cli_enum e, int i)
{
	switch (e) {
	case CLI_E_TLP:
		return i < MSG_TLP_COUNT ? msg_tlp_name((enum msg_tlp)i) : NULL;
	case CLI_E_KIND:
		return i < MSG_KIND_COUNT ? msg_kind_name((enum msg_kind)i) : NULL;
	case CLI_E_CATEGORY:
		return i < MSG_CAT_COUNT ? msg_category_name((enum msg_category)i) : NULL;
	case CLI_E_SEVERITY:
		return i < MSG_SEV_COUNT ? msg_severity_name((enum msg_severity)i) : NULL;
	case CLI_E_STATUS:
		return i < MSG_STATUS_COUNT ? msg_status_name((enum msg_status)i) : NULL;
	case CLI_E_LEVEL:
		return i < MSG_LEVEL_COUNT ? msg_level_name((enum msg_level)i) : NULL;
	}
	return NULL;
}

int
cli_word(struct cli *c, const char *opt, enum cli_enum e, const char *v, int *out)
{
	char low[64], list[512] = "";
	size_t n = strlen(v), off = 0;
	const char *name;

	if (e == CLI_E_TLP && strncasecmp(v, "tlp:", 4) == 0)
		v += 4, n -= 4;
	for (size_t i = 0; i < n && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)v[i]);
	low[n < sizeof low - 1 ? n : sizeof low - 1] = '\0';
	/* TLP 1.0's word for what TLP 2.0 calls clear. */
	if (e == CLI_E_TLP && strcmp(low, "white") == 0)
		strcpy(low, "clear");
	for (int i = 0; n < sizeof low && (name = s_enum_name(e, i)) != NULL; i++)
		if (strcmp(low, name) == 0) {
			*out = i;
			return 0;
		}
	for (int i = 0; (name = s_enum_name(e, i)) != NULL && off < sizeof list; i++)
		off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", name);
	return cli_error(c, "--%s: unknown value '%s' (one of: %s)", opt, v, list);
}

const char *
cli_word_name(enum cli_enum e, int v)
{
	return s_enum_name(e, v);
}

/* A date alone: 0 and its first millisecond in *ms, or -1. */
static int
s_date(const char *s, uint64_t *ms)
{
	struct tm tm = { 0 };
	char *end;
	time_t t;

	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1 || t < 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

int
cli_when(struct cli *c, const char *opt, const char *v, enum cli_when how, uint64_t now,
    uint64_t *ms)
{
	uint64_t d;
	char buf[TIMEFMT_LEN + 8];

	if (parse_duration(v, &d) == 0) {
		if (how == CLI_LATER)
			*ms = now + d;
		else
			*ms = d > now ? 0 : now - d;
		return 0;
	}
	if (s_date(v, ms) == 0) {
		/* A day: from its first millisecond to its last. */
		if (how != CLI_FROM)
			*ms += 86400000 - 1;
		return 0;
	}
	/* A time to the minute: seconds 00. */
	if (strlen(v) == 16 && v[10] == 'T' && snprintf(buf, sizeof buf, "%s:00Z", v) > 0 &&
	    timefmt_parse(buf, now, ms) == 0)
		return 0;
	if (timefmt_parse(v, now, ms) == 0)
		return 0;
	return cli_error(c,
	    "--%s: '%s' is neither a duration (90m, 12h, 7d, 2w, 1y) nor a date (2026-12-01, "
	    "2026-12-01T16:36, RFC 3339)",
	    opt, v);
}

int
cli_id(struct cli *c, const char *v, uint8_t id[32])
{
	size_t n = strlen(v);
	json_t *rep;

	if (n == 64 && id_parse(id, v) == 0)
		return 0;
	if (n < 8 || n > 64 || strspn(v, "0123456789abcdefABCDEF") != n)
		return cli_error(c,
		    "'%s' is not a message id (64 hex digits, or a prefix of 8 or more)", v);
	if ((rep = cli_ask(c, json_pack("{s:s,s:s}", "cmd", "resolve", "prefix", v))) == NULL)
		return 1;
	if (id_parse(id, cli_field(rep, "id")) == -1) {
		json_decref(rep);
		return cli_error(c, "the daemon resolved '%s' to no id", v);
	}
	json_decref(rep);
	return 0;
}

int
cli_width(int w, const char *s)
{
	int n = 0;

	/* Columns are counted in characters: UTF-8 continuation bytes take none. */
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n > w ? n : w;
}
