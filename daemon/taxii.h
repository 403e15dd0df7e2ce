/*
 * taxii — the node's TAXII 2.1 server (OASIS TAXII Version 2.1), on
 * libmicrohttpd with TLS through GnuTLS, configured by socmesh.conf's
 * [taxii] section (config.h).  It serves the STIX 2.1 export (stix.h) of
 * what this node holds, one collection per TLP a user may read (RED
 * never), and takes envelopes POSTed to one writable inbox (the STIX
 * import, published through the daemon).
 *
 * The server runs in a thread of its own (libmicrohttpd's polling
 * thread) and talks to the daemon as a client of its control socket
 * (control.h), like the socmesh CLI: it shares nothing with the event
 * loop but that socket.  It opens the node's keys read-only to open the
 * sealed bodies addressed to this node (AMBER).
 *
 * Users: DIR/taxii.users (mode 0600), one line per user "NAME MAX_TLP
 * HASH" (HASH from libsodium's crypto_pwhash_str()), written by `socmesh
 * taxii user add|remove` (cli_taxii.c), read again by the server when
 * its size or modification time changes.
 */
#ifndef SOCMESH_TAXII_H
#define SOCMESH_TAXII_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"

#define TAXII_USERS_FILE   "taxii.users"
#define TAXII_NAME_MAX     64                 /* characters of a user name */
#define TAXII_USERS_MAX    1000               /* users in the file */
#define TAXII_HASH_MAX     128                /* crypto_pwhash_STRBYTES */
#define TAXII_PASSWORD_MAX 1024               /* bytes of a password */
#define TAXII_MAX_BODY     (16 * 1024 * 1024) /* bytes of a POSTed envelope */
#define TAXII_LIMIT        100                /* objects of a page by default */
#define TAXII_LIMIT_MAX    1000               /* ... at most */
#define TAXII_MATCH_MAX    64                 /* values of one match[] filter */
#define TAXII_STATUSES     1000               /* status resources kept */
#define TAXII_API_ROOT     "socmesh"          /* the one API root: /socmesh/ */
#define TAXII_MEDIA        "application/taxii+json;version=2.1"
#define TAXII_STIX_MEDIA   "application/stix+json;version=2.1"

/* ---- users (taxii_users.c) ---------------------------------------------- */

struct taxii_user {
	char name[TAXII_NAME_MAX + 1];
	int max_tlp; /* enum msg_tlp, below MSG_TLP_RED */
	char hash[TAXII_HASH_MAX];
};

struct taxii_users {
	struct taxii_user *v;
	size_t n;
};

/* True for a user name: 1 to TAXII_NAME_MAX of A-Z a-z 0-9 . _ - */
bool taxii_valid_name(const char *s);

/* Parses the len bytes of a users file (name for the messages) into u
 * (emptied first; taxii_users_free()).  Blank lines and lines starting
 * with '#' are skipped.  0, or -1 with "NAME:LINE: message" in err. */
int taxii_users_parse(struct taxii_users *u, const char *buf, size_t len, const char *name,
    char *err, size_t errlen);

/* Reads path (a missing file is no users); a file that others may read
 * or write is refused.  *st gets its stat (zeroed when missing).  0, or
 * -1 with err set. */
int taxii_users_load(struct taxii_users *u, const char *path, struct stat *st, char *err,
    size_t errlen);

/* Writes u to path atomically (a temporary file renamed), mode 0600.  0,
 * or -1 with err set. */
int taxii_users_write(const struct taxii_users *u, const char *path, char *err, size_t errlen);

/* The user named name, or NULL. */
struct taxii_user *taxii_users_find(const struct taxii_users *u, const char *name);

/* Appends a copy of user (0), or -1 when out of memory or at
 * TAXII_USERS_MAX. */
int taxii_users_add(struct taxii_users *u, const struct taxii_user *user);

/* Removes the user named name: 0, or -1 when there is none. */
int taxii_users_remove(struct taxii_users *u, const char *name);

void taxii_users_free(struct taxii_users *u);

/* ---- request parameters (taxii_query.c) --------------------------------- */

enum taxii_version { TAXII_V_LAST = 1, TAXII_V_FIRST = 2, TAXII_V_ALL = 4 };

/* The URL parameters of a GET of objects, an object, its versions or the
 * manifest. */
struct taxii_query {
	bool has_added_after;
	uint64_t added_after; /* ms since the epoch: objects added strictly after */
	size_t limit;         /* 1 to TAXII_LIMIT_MAX; TAXII_LIMIT by default */
	bool has_next;
	uint64_t next_after; /* the changes cursor to resume after */
	size_t next_skip;    /* objects of the next message already given */
	json_t *ids;         /* match[id]: array of strings, or NULL */
	json_t *types;       /* match[type] */
	unsigned versions;   /* match[version]: TAXII_V_*; 0: by timestamps only */
	json_t *version_ts;  /* match[version] timestamps: array of ms, or NULL */
	bool spec_21;        /* match[spec_version] names 2.1 (or is absent) */
	bool has_spec;
};

void taxii_query_init(struct taxii_query *q);
void taxii_query_free(struct taxii_query *q);

/* Takes one URL parameter key=value (already percent-decoded) into q: 0
 * (a parameter it does not know is ignored, as an unsupported filter),
 * or -1 with one line in err for a bad value. */
int taxii_query_param(struct taxii_query *q, const char *key, const char *value, char *err,
    size_t errlen);

/* Whether q's match[id], match[type] and match[spec_version] take an
 * object of that id and type (spec "2.1"). */
bool taxii_query_match(const struct taxii_query *q, const char *id, const char *type);

/* The text of a "next": the changes cursor and objects to skip. */
void taxii_next_format(char out[48], uint64_t after, size_t skip);

/* Parses an RFC 3339 timestamp of the TAXII/STIX form ("...Z", a
 * fraction allowed) into ms: 0 or -1. */
int taxii_time_parse(const char *s, uint64_t *ms);

/* How a client's Accept header (NULL: none) takes TAXII 2.1: true when
 * it names application/taxii+json with version 2.1 or without a version,
 * or application/(wildcard) or (wildcard)/(wildcard). */
bool taxii_accepts(const char *accept);

/* Whether a Content-Type header is application/taxii+json;version=2.1
 * (blanks and case as HTTP allows). */
bool taxii_content_type_ok(const char *ct);

/* ---- the server (taxii.c) ----------------------------------------------- */

struct taxii;

/*
 * Starts the server of node directory dir when cfg's [taxii] listen is
 * set: *tp gets it (NULL when listen is empty).  The certificate and key
 * files are read now.  0, or -1 with one line in err (the daemon refuses
 * to start).
 */
int
taxii_start(struct taxii **tp, const char *dir, const struct config *cfg, char *err, size_t errlen);

/* Stops the server (waits for its thread) and frees it; NULL-safe. */
void taxii_stop(struct taxii **tp);

/* The request counters: {"requests": [{"endpoint", "status", "count"}],
 * "users": n}, from any thread.  Caller owns; NULL when t is NULL. */
json_t *taxii_stats(struct taxii *t);

/* What taxii_stats() gave (as the daemon's stats reply carries it under
 * "taxii"; NULL: no server), in the Prometheus text format on out:
 * socmesh_taxii_requests_total{endpoint,status} and socmesh_taxii_users. */
void taxii_prometheus(const json_t *stats, FILE *out);

#endif
