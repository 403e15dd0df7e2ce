/*
 * index_text — full-text search over the texts of the messages: the
 * title, summary, detection, effects, response and lessons of incidents
 * and updates, and the text of comments.
 *
 * Words.  A text is folded with utf8proc (compatibility decomposition,
 * case folding, combining marks stripped: "Campaña" and "CAMPANA" are
 * both "campana", "ﬁle" is "file", "Straße" is "strasse"); a word is then
 * a run of letters and digits (Unicode categories L and N), kept when its
 * folded form is INDEX_TEXT_MIN to INDEX_TEXT_MAX bytes long.  Anything
 * else separates words: "e-mail's" gives "mail" ("e" and "s" are too
 * short).  A query's words are folded the same way, so that neither case
 * nor accents defeat a match.
 *
 * The index (keyspace.h, KS_WORD).  index_text_keys() gives a message the
 * key KS_WORD || word for each distinct word of its texts, at most
 * INDEX_TEXT_MAX_KEYS of them (the first in the order title, summary,
 * detection, effects, response, lessons, comment text), so that a huge
 * text cannot blow the index up.  For an addressed message this node
 * reads, the index function seals every key (iocseal.h): nothing of its
 * text is in the store in clear.
 *
 * The search (index_text_search()), over what the index holds, never a
 * scan of the store.  The query's distinct words (at most
 * INDEX_TEXT_QUERY_WORDS) are looked up under their clear and their sealed
 * keys; the ranking is:
 *   1. the messages that have every word, newest stored first: the
 *      rarest word's messages are walked, newest first, and each is
 *      checked for the other words, until enough are found or
 *      INDEX_TEXT_CANDIDATES of them were checked;
 *   2. then, when those do not fill the page, the messages that have some
 *      of the words: more words first, then newest stored first, among
 *      the newest `max` messages of each word.
 * The cost is bounded by the query (its words, the page, the two bounds
 * above), whatever the size of the store.
 */
#ifndef SOCMESH_INDEX_TEXT_H
#define SOCMESH_INDEX_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "iocseal.h"
#include "store.h"

#define INDEX_TEXT_MIN         2    /* bytes of a folded word, at least */
#define INDEX_TEXT_MAX         32   /* and at most */
#define INDEX_TEXT_MAX_KEYS    512  /* distinct words of one message */
#define INDEX_TEXT_QUERY_WORDS 8    /* distinct words of one query */
#define INDEX_TEXT_CANDIDATES  4096 /* messages checked for every word */

/* Called with each word of a text, folded (len bytes, not NUL-ended);
 * return 0 to go on, 1 to stop, -1 for an error. */
typedef int (*index_text_fn)(void *arg, const char *word, size_t len);

/* The words of the UTF-8 text s (n bytes), in order, repeats included.
 * 0; 1 when fn stopped; -1 when fn failed, when s is not valid UTF-8 or
 * when out of memory. */
int index_text_words(const char *s, size_t n, index_text_fn fn, void *arg);

/* One message found: its local key, and how many of the query's words it
 * has. */
struct index_text_hit {
	uint64_t lkey;
	unsigned words;
};

/*
 * The messages of st whose texts have the words of the UTF-8 text q
 * (qlen bytes), ranked as above: at most max into hits, their number into
 * *n, and the query's distinct words into *nwords.  seal (may be NULL)
 * gives the sealed keys.  STORE_OK; STORE_E_INVAL when q has no word or
 * more than INDEX_TEXT_QUERY_WORDS (or is not UTF-8); or a store error.
 */
int index_text_search(struct store *st, const struct iocseal *seal, const char *q, size_t qlen,
    size_t max, struct index_text_hit *hits, size_t *n, unsigned *nwords);

#endif
