/*
 * warninglist — well-known benign indicators (public resolvers, large CDNs
 * and cloud ranges, top domains) that never link cases and that lookup and
 * show mark as such.  The lists are MISP warninglists, one JSON file each
 * in the folder named by [node] warninglists (docs/CONFIG.md):
 *
 *   {"name": "...", "version": N, "description": "...",
 *    "type": "string" | "hostname" | "cidr" | "substring" | "regex",
 *    "list": ["...", ...], "matching_attributes": ["ip-dst", ...]}
 *
 * A list of type
 *   string     matches an indicator whose normalized value is an entry (in
 *              any case; an entry that is an indicator is normalized first)
 *   hostname   matches a domain that is an entry or a subdomain of one, and
 *              so the host of a URL and the domain of an e-mail address
 *   cidr       matches an IPv4 or IPv6 address inside an entry (a network,
 *              or an address alone), a network inside one, and so a URL or
 *              an e-mail address whose host is such an address
 *   substring  matches a value that contains an entry
 * A regex list is skipped with a note in the log.  matching_attributes,
 * when it names MISP attribute types this node knows (ip-src, ip-dst,
 * domain, hostname, url, email-src, md5, sha256, filename, ...), limits a
 * list to the indicator types they stand for (a URL is matched by its host
 * only in a list that applies to URLs: "url"); without them a list applies
 * to every type.
 *
 * A match costs a few hash look-ups whatever the sizes of the lists: one
 * per label of a host name, one per prefix length that the cidr lists use;
 * substring lists alone are read entry by entry (keep them short).
 *
 * The daemon loads the folder when it starts and again on reload (SIGHUP,
 * and the control command a trust list change sends: control.c), and holds the lists in its control context
 * (struct control's wl), through which its commands (lookup, related,
 * campaigns) ask warninglist_match().  A folder that cannot be read, or a
 * file that is not a warning list, is an error at start; on reload the
 * lists in force stay.
 */
#ifndef SOCMESH_WARNINGLIST_H
#define SOCMESH_WARNINGLIST_H

#include <stddef.h>

#include "ioc.h"

/* Where the lists are when [node] warninglists is empty; its absence is
 * no error (there are then no lists). */
#define WARNINGLIST_DEFAULT_DIR "/usr/share/socmesh/warninglists"

#define WARNINGLIST_MAX_FILE  (16 * 1024 * 1024) /* bytes of one list file */
#define WARNINGLIST_MAX_LISTS 1024               /* files of a folder */
#define WARNINGLIST_NAME_MAX  255                /* bytes of a list's name */

struct warninglists;

/* An empty set of lists.  Caller owns it: warninglists_destroy().  NULL
 * when out of memory. */
struct warninglists *warninglists_new(void);

/* Frees *wp and sets it to NULL.  NULL-safe. */
void warninglists_destroy(struct warninglists **wp);

/*
 * Adds the list in the len bytes of JSON at text (where names the file in
 * messages).  0; 1 when the list is skipped (a regex list, logged as a
 * note); -1 with one line in err: "WHERE: not a warning list: ...".  A
 * list refused adds nothing.
 */
int warninglists_add(struct warninglists *w, const char *text, size_t len, const char *where,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The lists of folder dir, each *.json file in the order of their names
 * (dir empty: WARNINGLIST_DEFAULT_DIR, which may be missing; a relative
 * dir is relative to base, the node directory).  Caller owns the result.
 * NULL with one line in err: a folder that cannot be read, a file that
 * cannot be read or is no warning list, more than WARNINGLIST_MAX_LISTS.
 */
struct warninglists *warninglists_load(const char *dir, const char *base, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Lists held (the regex lists skipped are not counted). */
size_t warninglists_count(const struct warninglists *w);

/*
 * The name of the first list (in the order they were added) that matches
 * the indicator of type t whose normalized value (ioc_normalize()) is the
 * len bytes at value, or NULL: none does, or w is NULL.  The name is w's:
 * valid until w is destroyed.
 */
const char *
warninglist_match(const struct warninglists *w, enum ioc_type t, const char *value, size_t len);

#endif
