#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "index_text.h"
#include "ingest.h"
#include "interop.h"
#include "keyspace.h"
#include "index_lessons.h"
#include "ioc.h"
#include "log.h"
#include "looplag.h"
#include "taxii.h"
#include "util.h"
#include "version.h"
#include "warninglist.h"

/*
 * A request waiting for the commit of the messages it handed to the ingest
 * pipeline (a publish, an import, a roster's proposal and its endpoints, a
 * rotation): whom to answer, and with what.  Owned by the pipeline's tags
 * until the last of them calls s_committed(); c is NULL once the control
 * socket is gone (shutdown).
 */
struct pending {
	struct pending *next;
	struct control *c;
	zframe_t *who;  /* the client's routing id */
	size_t left;    /* messages not yet committed */
	json_t *reply;  /* the handler's; NULL: made from the message's result */
	json_t *failed; /* the first failure, sent instead */
	char *source;   /* a document's object published (import --format), or NULL */
	bool import;    /* a signed message imported: the reply says "result" */
	control_then_fn then;
	void *then_arg;
};

struct control {
	struct node *n;
	struct gossip *g;
	zloop_t *loop;
	zsock_t *rep; /* ROUTER */
	struct pending *pending;
	size_t handed;       /* messages handed to the pipeline, not yet committed */
	zframe_t *who;       /* the client whose request is being handled */
	struct pending *cur; /* what that request handed to the pipeline, or NULL */
	struct looplag *lag;
	struct warninglists *wl; /* the warning lists in force */
	struct taxii *taxii;     /* whose counters stats carries, or NULL */
	uint64_t started;
	char path[PATH_MAX + 64];
};

json_t *
control_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", buf);
}

/* What a draft would default silently is asked for instead: a TLP taken
 * by mistake is a leak.  (The CLI fills in the TLP of a message with a
 * reference from the one it refers to; a client of this socket names it.)
 * The draft asks for the rest (draft_check()). */
static int
s_required(json_t *o, char *err, size_t errlen)
{
	/* A null counts as absent: the draft skips nulls. */
	if (!json_is_string(json_object_get(o, "tlp")))
		return errf(err, errlen,
		    "tlp is required (clear, green, amber, amber+strict or red)");
	return 0;
}

/* rep (taken) to the client who. */
static void
s_send(struct control *c, zframe_t *who, json_t *rep)
{
	char *out = json_dumps(rep, JSON_COMPACT);
	zmsg_t *msg = zmsg_new();
	zframe_t *to = zframe_dup(who);

	json_decref(rep);
	/* A client gone meanwhile: ROUTER drops what is addressed to it. */
	if (msg != NULL && to != NULL && zmsg_append(msg, &to) == 0 &&
	    zmsg_addmem(msg, NULL, 0) == 0 &&
	    zmsg_addstr(msg, out ? out : "{\"ok\":false,\"error\":\"out of memory\"}") == 0)
		(void)zmsg_send(&msg, c->rep);
	zframe_destroy(&to);
	zmsg_destroy(&msg);
	free(out);
}

/* Answers the request p once its messages are committed, and frees it. */
static void
s_answer(struct pending *p)
{
	struct control *c = p->c;
	struct pending **pp;
	json_t *rep = p->reply;

	if (p->failed != NULL) {
		json_decref(rep);
		rep = p->failed;
	}
	if (p->then != NULL)
		rep = p->then(p->then_arg, rep, p->failed == NULL, c != NULL);
	if (c != NULL) {
		for (pp = &c->pending; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		if (rep != NULL)
			s_send(c, p->who, rep);
	} else
		json_decref(rep);
	zframe_destroy(&p->who);
	free(p->source);
	free(p);
}

/* gossip_done_fn: one of a request's messages committed, or refused. */
static void
s_committed(void *arg, const struct ingest_result *r)
{
	struct pending *p = arg;
	char hex[2 * MSG_ID_LEN + 1];
	int rc;

	hex_encode(hex, r->id, MSG_ID_LEN);
	if (r->status == INGEST_STORED || r->status == INGEST_DUP) {
		if (p->import && r->status == INGEST_STORED)
			log_debug("control: imported %s", hex);
		if (p->source != NULL && p->c != NULL &&
		    (rc = store_source_put(p->c->n->st, p->source, r->id)) != STORE_OK)
			log_warnx("import: %s published as %s, but not recorded: %s", p->source,
			    hex, store_strerror(rc));
		if (p->reply == NULL && p->import)
			p->reply = json_pack("{s:b,s:s,s:s}", "ok", 1, "result",
			    r->status == INGEST_DUP ? "duplicate" : "stored", "id", hex);
		else if (p->reply == NULL)
			p->reply = json_pack("{s:b,s:s}", "ok", 1, "id", hex);
	} else if (p->failed != NULL)
		;
	else if (r->status == INGEST_E_STORE)
		p->failed = control_error("store: %s", store_strerror(r->err));
	else if (r->status == INGEST_E_DECODE || r->status == INGEST_E_SIG)
		p->failed = control_error("rejected: %s", msg_strerror(r->err));
	else
		p->failed = control_error("%s", "rejected by the ingest pipeline");
	if (p->c != NULL)
		p->c->handed--;
	if (--p->left == 0)
		s_answer(p);
}

#define BUSY "busy: %d messages of this node's are waiting for their commit; ask again"

/* May no new request hand messages to the pipeline now?  One that is let
 * in may hand CONTROL_REQUEST_MSGS, which keeps what waits within
 * CONTROL_PUBLISH_MAX (the room gossip keeps in the pipeline's queues). */
static bool
s_full(const struct control *c)
{
	return c->cur == NULL && c->handed + CONTROL_REQUEST_MSGS > CONTROL_PUBLISH_MAX;
}

/* NULL, or the reply when s_full(). */
static json_t *
s_busy(const struct control *c)
{
	return s_full(c) ? control_error(BUSY, CONTROL_PUBLISH_MAX) : NULL;
}

/*
 * Hands a message judged here (bytes, copied) to the ingest pipeline, to
 * be verified and committed with the peers'; the request being handled is
 * answered once its messages are (s_committed()).  0, or -1 when out of
 * memory (this message not handed).
 */
static int
s_hand(struct control *c, const uint8_t *bytes, size_t len, const char *source, bool import)
{
	struct pending *p = c->cur;

	if (p == NULL) {
		if ((p = calloc(1, sizeof *p)) == NULL || (p->who = zframe_dup(c->who)) == NULL) {
			free(p);
			return -1;
		}
		p->c = c;
		p->next = c->pending;
		c->pending = p;
		c->cur = p;
	}
	if (p->left == CONTROL_REQUEST_MSGS ||
	    (source != NULL && p->source == NULL && (p->source = strdup(source)) == NULL) ||
	    gossip_publish(c->g, bytes, len, s_committed, p) == -1)
		return -1;
	p->import = import;
	p->left++;
	c->handed++;
	return 0;
}

int
control_publish(struct control *c, struct draft *d, uint8_t id[MSG_ID_LEN], char *err,
    size_t errlen)
{
	uint8_t *bytes;
	size_t len;
	int rc;

	if (s_full(c))
		return errf(err, errlen, BUSY, CONTROL_PUBLISH_MAX);
	if (node_prepare(c->n, d, id, &bytes, &len, err, errlen) == -1)
		return -1;
	rc = s_hand(c, bytes, len, NULL, false);
	free(bytes);
	return rc == -1 ? errf(err, errlen, "out of memory") : 0;
}

void
control_then(struct control *c, control_then_fn fn, void *arg)
{
	c->cur->then = fn;
	c->cur->then_arg = arg;
}

static json_t *
s_publish(struct control *c, json_t *req)
{
	json_t *o = json_object_get(req, "message"), *src = json_object_get(req, "source");
	const char *source = json_string_value(src);
	struct draft *d;
	uint8_t id[MSG_ID_LEN], *bytes = NULL;
	char err[512], hex[2 * MSG_ID_LEN + 1];
	size_t len;
	json_t *rep;
	int rc;

	if (src != NULL && (source == NULL || *source == '\0' || strlen(source) > 1024))
		return control_error("%s", "\"source\" is not a string of 1 to 1024 bytes");
	if ((rep = s_busy(c)) != NULL)
		return rep;
	/* An import publishes each object of a document once. */
	if (source != NULL && (rc = store_source_get(c->n->st, source, id)) != STORE_E_NOTFOUND) {
		if (rc != STORE_OK)
			return control_error("%s", store_strerror(rc));
		hex_encode(hex, id, sizeof id);
		return json_pack("{s:b,s:s,s:b}", "ok", 1, "id", hex, "duplicate", 1);
	}
	if ((d = draft_new()) == NULL)
		return control_error("%s", "out of memory");
	/* A message is dated and numbered when it is published here: a query
	 * line published again is a new message, not a back-dated one. */
	json_object_del(o, "time");
	json_object_del(o, "seq");
	if (draft_from_json(d, o, node_resolve, c->n, err, sizeof err) == -1 ||
	    s_required(o, err, sizeof err) == -1 || draft_check(d, err, sizeof err) == -1)
		rep = control_error("%s", err);
	else if (node_prepare(c->n, d, id, &bytes, &len, err, sizeof err) == -1)
		rep = control_error("%s", err);
	else if (s_hand(c, bytes, len, source, false) == -1)
		rep = control_error("%s", "out of memory");
	free(bytes);
	draft_destroy(&d);
	return rep;
}

static json_t *
s_reload(struct control *c)
{
	char err[512];

	if (node_reload_trust(c->n, err, sizeof err) == -1)
		return control_error("%s", err);
	gossip_trust_changed(c->g);
	log_info("trust list reloaded (%zu peers)", trust_count(c->n->trust));
	control_reload_warninglists(c);
	return json_pack("{s:b}", "ok", 1);
}

struct origins {
	struct control *c;
	json_t *by; /* by_origin */
};

/* store_origin_fn: an origin's messages into by_origin, under its
 * trust-list name when it is a known peer (this node's own name for its
 * own), else its id in hex. */
static int
s_origin(void *arg, const uint8_t origin[32], uint64_t messages)
{
	struct origins *o = arg;
	const struct trust_peer *p;
	char hex[2 * MSG_KEY_LEN + 1];
	const char *who;

	if (memcmp(origin, o->c->n->id, MSG_KEY_LEN) == 0)
		who = o->c->n->cfg.name;
	else if ((p = trust_find_id(o->c->n->trust, origin)) != NULL)
		who = p->name;
	else {
		hex_encode(hex, origin, MSG_KEY_LEN);
		who = hex;
	}
	json_object_set_new(o->by, who,
	    json_integer(json_integer_value(json_object_get(o->by, who)) + (json_int_t)messages));
	return 0;
}

/* Counts by TLP, kind and origin (the store's counters: a cost in origins,
 * not in messages), store use, uptime. */
static json_t *
s_stats(struct control *c)
{
	struct origins o = { .c = c, .by = json_object() };
	struct store_counts k;
	struct store_stats ss;
	json_t *tlp = json_object(), *kind = json_object();
	uint64_t total = 0;

	if (store_counts(c->n->st, &k, s_origin, &o) != STORE_OK ||
	    store_stats(c->n->st, &ss) != STORE_OK) {
		json_decref(o.by), json_decref(tlp), json_decref(kind);
		return control_error("%s", "the store cannot be read");
	}
	for (int i = 0; i < MSG_TLP_COUNT; i++) {
		json_object_set_new(tlp, msg_tlp_name((enum msg_tlp)i),
		    json_integer((json_int_t)k.tlp[i]));
		total += k.tlp[i];
	}
	for (int i = 0; i < MSG_KIND_COUNT; i++)
		json_object_set_new(kind, msg_kind_name((enum msg_kind)i),
		    json_integer((json_int_t)k.kind[i]));
	char hex[2 * MSG_KEY_LEN + 1];
	uint64_t lag99, lagmax;
	hex_encode(hex, c->n->id, MSG_KEY_LEN);
	looplag_get(c->lag, &lag99, &lagmax);
	json_t *rep = json_pack("{s:b,s:{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:I,s:I,s:I,s:f,s:f,s:I,s:I}}",
	    "ok", 1, "stats", "name", c->n->cfg.name, "id", hex, "version", SOCMESH_VERSION,
	    "messages", (json_int_t)total, "by_tlp", tlp, "by_kind", kind, "by_origin", o.by,
	    "store_used_bytes", (json_int_t)ss.used_bytes, "store_size_limit",
	    (json_int_t)ss.map_size, "uptime_s", (json_int_t)((now_ms() - c->started) / 1000),
	    "loop_lag_p99_ms", (double)lag99 / 1000, "loop_lag_max_ms", (double)lagmax / 1000,
	    "pipeline_in_flight", (json_int_t)gossip_in_flight(c->g), "publish_waiting",
	    (json_int_t)c->handed);
	if (rep != NULL && c->taxii != NULL)
		json_object_set_new(json_object_get(rep, "stats"), "taxii", taxii_stats(c->taxii));
	return rep;
}

void
control_set_taxii(struct control *c, struct taxii *t)
{
	c->taxii = t;
}

/* One source (store_source_fn) as an object of "sources": its figures
 * (store.h), named as stats names origins, revoked when its key is no
 * longer trusted (absent from the trust list or blocked; never this
 * node's own). */
static int
s_source(void *arg, const struct store_source *s)
{
	struct origins *o = arg;
	const struct trust_peer *p = trust_find_id(o->c->n->trust, s->origin);
	bool self = memcmp(s->origin, o->c->n->id, MSG_KEY_LEN) == 0;
	json_t *shared = json_object(), *delay = json_array(), *src;
	uint64_t total = 0, kind[MSG_KIND_COUNT] = { 0 };
	char hex[2 * MSG_KEY_LEN + 1];

	for (int t = 0; t < MSG_TLP_COUNT; t++) {
		json_t *byk = json_object();

		for (int k = 0; k < MSG_KIND_COUNT; k++) {
			if (s->messages[t][k] == 0)
				continue;
			json_object_set_new(byk, msg_kind_name((enum msg_kind)k),
			    json_integer((json_int_t)s->messages[t][k]));
			kind[k] += s->messages[t][k];
			total += s->messages[t][k];
		}
		if (json_object_size(byk) > 0)
			json_object_set_new(shared, msg_tlp_name((enum msg_tlp)t), byk);
		else
			json_decref(byk);
	}
	for (int b = 0; b < STORE_DELAY_BUCKETS; b++)
		json_array_append_new(delay, json_integer((json_int_t)s->delay[b]));
	hex_encode(hex, s->origin, MSG_KEY_LEN);
	src = json_pack("{s:s,s:s,s:b,s:b,s:I,s:I,s:o,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "id", hex, "name",
	    self            ? o->c->n->cfg.name
	        : p != NULL ? p->name
	                    : hex,
	    "self", self, "revoked", !self && (p == NULL || p->level == MSG_LEVEL_BLOCKED),
	    "messages", (json_int_t)total, "cases", (json_int_t)kind[MSG_KIND_INCIDENT], "shared",
	    shared, "delay_median_ms", (json_int_t)store_delay_quantile(s, 50), "delay_p90_ms",
	    (json_int_t)store_delay_quantile(s, 90), "delay_buckets", delay, "future_claims",
	    (json_int_t)s->future, "confirmed_cases", (json_int_t)s->confirmed_cases,
	    "confirmed_indicators", (json_int_t)s->confirmed_iocs, "retractions",
	    (json_int_t)kind[MSG_KIND_RETRACT], "false_positives", (json_int_t)s->false_positives,
	    "updates", (json_int_t)kind[MSG_KIND_UPDATE], "comments",
	    (json_int_t)kind[MSG_KIND_COMMENT], "last_active", (json_int_t)s->last_active);
	json_object_set_new(src, "updates_per_case",
	    kind[MSG_KIND_INCIDENT] > 0
	        ? json_real((double)kind[MSG_KIND_UPDATE] / (double)kind[MSG_KIND_INCIDENT])
	        : json_null());
	json_array_append_new(o->by, src);
	return 0;
}

/* Every source's figures (the store's counters: a cost in origins). */
static json_t *
s_sources(struct control *c)
{
	struct origins o = { .c = c, .by = json_array() };

	if (store_sources(c->n->st, s_source, &o) != STORE_OK) {
		json_decref(o.by);
		return control_error("%s", "the store cannot be read");
	}
	return json_pack("{s:b,s:o}", "ok", 1, "sources", o.by);
}

/* ---- reading and importing messages ------------------------------------- */

/*
 * query, get, thread and import take their fields as hostile input: each
 * is checked for its type and size before anything is done, a field the
 * command does not know is refused, and each failure is one error line
 * naming the field.  A reply carries messages as their signed bytes in
 * base64: the client decodes them, and opens sealed bodies with the key
 * when its user may read it.
 */

/* The error reply for a message that is not here, with "code":
 * "not-found" for a client that words it its own way. */
static json_t *
s_not_found(const uint8_t id[MSG_ID_LEN])
{
	char hex[2 * MSG_ID_LEN + 1];
	json_t *rep;

	hex_encode(hex, id, MSG_ID_LEN);
	rep = control_error("no message %s here", hex);
	json_object_set_new(rep, "code", json_string("not-found"));
	return rep;
}

/* NULL when every member of req but "cmd" is one of names (NULL-ended),
 * else the error reply. */
static json_t *
s_fields(json_t *req, const char *const *names)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(req, k, v)
	{
		if (strcmp(k, "cmd") == 0)
			continue;
		for (i = 0; names[i] != NULL && strcmp(k, names[i]) != 0; i++)
			;
		if (names[i] == NULL)
			return control_error("unknown field \"%.64s\"", k);
	}
	return NULL;
}

/* The string member key of req into *out (NULL when absent or null; *len
 * its length): an error reply when it is not a string, is empty, holds a
 * NUL or is longer than max bytes. */
static json_t *
s_string(json_t *req, const char *key, size_t max, const char **out, size_t *len)
{
	json_t *v = json_object_get(req, key);
	size_t n;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		return control_error("\"%s\" is not a string", key);
	if ((n = json_string_length(v)) == 0)
		return control_error("\"%s\" is empty", key);
	if (n > max)
		return control_error("\"%s\" is longer than %zu bytes", key, max);
	if (strlen(json_string_value(v)) != n)
		return control_error("\"%s\" holds a NUL character", key);
	*out = json_string_value(v);
	if (len != NULL)
		*len = n;
	return NULL;
}

/* The integer member key of req, from min to max, into *out (left alone
 * when absent or null). */
static json_t *
s_uint(json_t *req, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(req, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < min || (uint64_t)json_integer_value(v) > max)
		return control_error("\"%s\" is not an integer from %llu to %llu", key,
		    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return NULL;
}

/* The boolean member key of req into *out (left alone when absent or null). */
static json_t *
s_bool(json_t *req, const char *key, bool *out)
{
	json_t *v = json_object_get(req, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_boolean(v))
		return control_error("\"%s\" is not true or false", key);
	*out = json_is_true(v);
	return NULL;
}

/* The message id member "id" of req; required. */
static json_t *
s_id(json_t *req, uint8_t id[MSG_ID_LEN])
{
	const char *s = json_string_value(json_object_get(req, "id"));

	if (s == NULL || id_parse(id, s) == -1)
		return control_error("%s", "\"id\" is not a message id (64 hex digits)");
	return NULL;
}

/* The base64 member key of req, at most max bytes once decoded, into
 * *out (malloc'd, the caller frees) and *len; required. */
static json_t *
s_bytes(json_t *req, const char *key, size_t max, uint8_t **out, size_t *len)
{
	json_t *v = json_object_get(req, key);
	size_t n;

	*out = NULL;
	if (!json_is_string(v))
		return control_error("\"%s\" is missing or not a string (the message in base64)",
		    key);
	n = json_string_length(v);
	/* Refused before anything is decoded or allocated. */
	if (n > sodium_base64_ENCODED_LEN(max, sodium_base64_VARIANT_ORIGINAL) - 1)
		return control_error("\"%s\" is larger than max_message (%zu bytes)", key, max);
	if ((*out = control_unbase64(v, len)) == NULL)
		return control_error("\"%s\" is not base64 (or out of memory)", key);
	if (*len > max) {
		free(*out);
		*out = NULL;
		return control_error("\"%s\" is larger than max_message (%zu bytes)", key, max);
	}
	return NULL;
}

/* One request's walk over the store: what it asks for, what it has done. */
struct page {
	struct control *c;
	struct msg *m, *r; /* the message looked at; one that refers to it */
	/* query filters */
	uint64_t since, until;
	bool has_origin;
	uint8_t origin[MSG_KEY_LEN];
	int tlp, kind, category;
	bool all, brief;
	const char *ioc; /* changes: the normalized indicator (query uses */
	size_t ioclen;   /* the index instead) */
	size_t limit;
	uint64_t after; /* thread: the local key to go on after */
	/* the walk */
	json_t *items;
	size_t nitems, bytes, decodes, done; /* messages returned, their bytes,
	                                        messages decoded, looked at */
	bool more;                           /* stopped before the end */
	uint64_t lkey;                       /* the last one looked at: its local */
	struct store_pos pos;                /* key, its (time, id) position */
};

/* Whether the page is full: at least one message looked at, and the
 * reply's messages or bytes, or the request's decodes, used up. */
static bool
s_page_full(const struct page *p)
{
	return p->done > 0 &&
	    (p->nitems >= p->limit || p->bytes >= CONTROL_PAGE_BYTES ||
	        p->decodes >= CONTROL_PAGE_DECODES);
}

static void
s_page_done(struct page *p, const struct store_item *it)
{
	p->done++;
	p->lkey = it->lkey;
	p->pos.time = it->time;
	memcpy(p->pos.id, it->id, MSG_ID_LEN);
}

struct retract {
	struct page *p;
	const uint8_t *origin;
	bool yes;
};

/* store_item_fn: a retract of r->origin's. */
static int
s_retract_item(void *arg, const struct store_item *it)
{
	struct retract *r = arg;

	r->p->decodes++;
	if (msg_decode(r->p->r, it->bytes, it->len, 0) == MSG_OK &&
	    r->p->r->kind == MSG_KIND_RETRACT &&
	    memcmp(r->p->r->origin, r->origin, MSG_KEY_LEN) == 0) {
		r->yes = true;
		return 1;
	}
	return 0;
}

/* A message is retracted once its own origin has retracted it.  The
 * messages that refer to it are decoded into p->r and counted. */
static bool
s_retracted(struct page *p, const uint8_t id[MSG_ID_LEN], const uint8_t origin[MSG_KEY_LEN])
{
	struct retract r = { p, origin, false };

	(void)store_by_ref(p->c->n->st, id, 0, s_retract_item, &r);
	return r.yes;
}

/* Whether m's body carries the indicator of p: a clear body, or one
 * sealed to this node that s_query_item() opened (the messages a query
 * finds through the indicator index and its sealed keys). */
static bool
s_has_ioc(const struct page *p, const struct msg *m)
{
	if (!m->has_body)
		return false;
	for (size_t i = 0; i < m->body.nindicators; i++)
		if (m->body.indicators[i].value.n == p->ioclen &&
		    memcmp(m->body.indicators[i].value.p, p->ioc, p->ioclen) == 0)
			return true;
	return false;
}

static bool
s_match(const struct page *p, const struct msg *m)
{
	return m->time >= p->since && m->time <= p->until && (p->ioc == NULL || s_has_ioc(p, m)) &&
	    (!p->has_origin || roster_same_soc(p->c->n->roster, m->origin, p->origin)) &&
	    (p->tlp < 0 || (int)m->tlp == p->tlp) && (p->kind < 0 || (int)m->kind == p->kind) &&
	    (p->category < 0 ||
	        (m->has_body && (int)m->body.category == p->category &&
	            (m->kind == MSG_KIND_INCIDENT || m->kind == MSG_KIND_UPDATE)));
}

/* A reply's item: the id, the members of o (taken over: what the page
 * asks for), and where this node has it: the time of its commit here,
 * its local key as a cursor.  NULL when out of memory. */
static json_t *
s_item(const struct store_item *it, json_t *o)
{
	char hex[2 * MSG_ID_LEN + 1];
	json_t *r;

	hex_encode(hex, it->id, MSG_ID_LEN);
	r = json_pack("{s:s}", "id", hex);
	if (r == NULL || o == NULL || json_object_update(r, o) == -1 ||
	    json_object_set_new(r, "received", json_integer((json_int_t)it->received)) == -1 ||
	    json_object_set_new(r, "cursor", json_integer((json_int_t)it->lkey)) == -1) {
		json_decref(r);
		r = NULL;
	}
	json_decref(o);
	return r;
}

/* store_item_fn of query and changes: one message, in the walk's order,
 * into the page when it matches. */
static int
s_query_item(void *arg, const struct store_item *it)
{
	struct page *p = arg;
	struct keys *k = p->c->n->keys;
	struct msg *m = p->m;
	uint8_t *plain = NULL;
	size_t nplain = 0;
	char oh[2 * MSG_KEY_LEN + 1];
	bool retracted = false, match;
	json_t *o;

	if (s_page_full(p)) {
		p->more = true;
		return 1;
	}
	p->decodes++;
	match = msg_decode(m, it->bytes, it->len, 0) == MSG_OK;
	/* A body sealed to this node is opened for the category and
	 * indicator filters. */
	if (match && (p->category >= 0 || p->ioc != NULL) && !m->has_body && k != NULL &&
	    msg_open(m, p->c->n->id, k->curve_pk, k->curve_sk, &plain, &nplain) != MSG_OK)
		m->has_body = false;
	if (match && (match = s_match(p, m)))
		retracted = s_retracted(p, m->id, m->origin);
	if (match && (!retracted || p->all)) {
		if (p->brief) {
			hex_encode(oh, m->origin, MSG_KEY_LEN);
			o = json_pack("{s:s,s:b}", "origin", oh, "retracted", retracted);
		} else {
			o = json_pack("{s:o,s:b}", "message", control_base64(it->bytes, it->len),
			    "retracted", retracted);
			p->bytes += it->len;
		}
		json_array_append_new(p->items, s_item(it, o));
		p->nitems++;
	}
	if (plain != NULL) {
		sodium_memzero(plain, nplain);
		free(plain);
	}
	s_page_done(p, it);
	return 0;
}

/* The cursor after the page's last message ("next"), null when the walk
 * ended: "l" and the local key in 16 hex digits for a walk by local key,
 * "t", the time in 16 hex digits and the id for one in (time, id) order. */
static json_t *
s_cursor(const struct page *p, bool bylkey)
{
	char buf[1 + 16 + 2 * MSG_ID_LEN + 1], hex[2 * MSG_ID_LEN + 1];

	if (!p->more)
		return json_null();
	if (bylkey)
		snprintf(buf, sizeof buf, "l%016llx", (unsigned long long)p->lkey);
	else {
		hex_encode(hex, p->pos.id, MSG_ID_LEN);
		snprintf(buf, sizeof buf, "t%016llx%s", (unsigned long long)p->pos.time, hex);
	}
	return json_string(buf);
}

/* A cursor that s_cursor() gives: 0, or -1 when s is not one of kind. */
static int
s_cursor_parse(const char *s, char kind, uint64_t *lkey, struct store_pos *pos)
{
	size_t n = strlen(s);
	uint8_t b[8];
	uint64_t v = 0;

	if (s[0] != kind || n != (kind == 'l' ? 17u : 17u + 2 * MSG_ID_LEN) ||
	    hex_decode(b, sizeof b, s + 1, 16) == -1)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		v = v << 8 | b[i];
	if (kind == 'l') {
		*lkey = v;
		return v == 0 ? -1 : 0;
	}
	pos->time = v;
	return hex_decode(pos->id, MSG_ID_LEN, s + 17, 2 * MSG_ID_LEN);
}

/* An indicator as TYPE:VALUE or a value alone, read as publish reads it
 * (ioc_parse_text(): refanged, its type inferred strictly): its
 * normalized length, or -1. */
static int
s_indicator(const char *s, size_t n, char norm[IOC_MAX_VALUE + 1])
{
	struct ioc_value v;

	if (ioc_parse_text(s, n, &v, NULL, 0) == -1)
		return -1;
	memcpy(norm, v.value, v.len + 1);
	return (int)v.len;
}

/* What an indicator query looks at, newest stored first: local keys and
 * ids from one index key. */
struct ioc_hits {
	size_t n;
	struct {
		uint64_t lkey;
		uint8_t id[MSG_ID_LEN];
	} v[CONTROL_PAGE_DECODES + 1];
};

/* store_item_fn: one more message to look at. */
static int
s_ioc_hit(void *arg, const struct store_item *it)
{
	struct ioc_hits *h = arg;

	h->v[h->n].lkey = it->lkey;
	memcpy(h->v[h->n].id, it->id, MSG_ID_LEN);
	h->n++;
	return 0;
}

/*
 * The page of an indicator query below local key lkey (0: from the
 * newest): the messages indexed under the normalized value (clear bodies)
 * and those under its sealed key (addressed bodies this node reads,
 * iocseal.h), merged newest stored first.  A page decodes at most
 * CONTROL_PAGE_DECODES messages: that many of each key and one more fill
 * it and tell whether more come.  STORE_OK or an error.
 */
static int
s_by_ioc(struct control *c, const char *norm, size_t len, uint64_t lkey, struct page *p)
{
	struct ioc_hits *h = calloc(2, sizeof *h);
	uint8_t key[IOCSEAL_KEY_LEN];
	size_t i = 0, k = 0;
	int rc;

	if (h == NULL)
		return STORE_E_NOMEM;
	rc = store_by_ioc(c->n->st, norm, len, lkey, CONTROL_PAGE_DECODES + 1, s_ioc_hit, &h[0]);
	if (rc >= 0 && c->n->seal != NULL) {
		iocseal_key(c->n->seal, norm, len, key);
		rc = store_by_ioc(c->n->st, (const char *)key, sizeof key, lkey,
		    CONTROL_PAGE_DECODES + 1, s_ioc_hit, &h[1]);
	}
	while (rc >= 0 && !p->more && (i < h[0].n || k < h[1].n)) {
		bool clear = k == h[1].n || (i < h[0].n && h[0].v[i].lkey > h[1].v[k].lkey);
		rc = store_get(c->n->st, clear ? h[0].v[i++].id : h[1].v[k++].id, s_query_item, p);
		if (rc == STORE_E_NOTFOUND) /* expired since */
			rc = STORE_OK;
	}
	free(h);
	return rc < 0 ? rc : STORE_OK;
}

/* A text query's message, by its local key. */
struct text_hit {
	struct page *p;
	uint64_t lkey;
};

/* store_item_fn: the message hit, into the page when it is the one (not
 * expired since). */
static int
s_text_item(void *arg, const struct store_item *it)
{
	struct text_hit *h = arg;

	return it->lkey == h->lkey ? s_query_item(h->p, it) : 1;
}

/*
 * The page of a text query (index_text.h): the messages of the search's
 * ranking, each decoded and filtered as any query's, with "words": how
 * many of the query's words it has.  The search gives at most
 * CONTROL_PAGE_DECODES of them: one ranked page.  STORE_OK,
 * STORE_E_INVAL when the text has no word or too many, or an error.
 */
static int
s_by_text(struct control *c, const char *text, size_t len, struct page *p)
{
	struct index_text_hit *hits = calloc(CONTROL_PAGE_DECODES, sizeof *hits);
	size_t n = 0;
	unsigned nwords;
	int rc;

	if (hits == NULL)
		return STORE_E_NOMEM;
	rc = index_text_search(c->n->st, c->n->seal, text, len, CONTROL_PAGE_DECODES, hits, &n,
	    &nwords);
	for (size_t i = 0; rc >= 0 && i < n && !p->more; i++) {
		struct text_hit h = { p, hits[i].lkey };
		size_t had = p->nitems;
		rc = store_after(c->n->st, hits[i].lkey - 1, 1, s_text_item, &h, NULL);
		if (p->nitems > had)
			json_object_set_new(json_array_get(p->items, had), "words",
			    json_integer(hits[i].words));
	}
	free(hits);
	return rc < 0 && rc != STORE_E_LOST ? rc : STORE_OK;
}

/* A word member (TLP, category, kind) parsed into *out; -1 when absent. */
static json_t *
s_word(json_t *req, const char *key, int (*parse)(const char *, size_t), int *out)
{
	const char *s;
	size_t n;
	json_t *e;

	if ((e = s_string(req, key, 64, &s, &n)) != NULL || s == NULL)
		return e;
	if ((*out = parse(s, n)) < 0)
		return control_error("\"%s\": unknown value '%s'", key, s);
	return NULL;
}

/* The filters of query and changes (indicator, since, until, origin, tlp,
 * category, kind, all) into p; *ind receives the indicator as given, or
 * NULL, and norm (*len bytes) its normalized value. */
static json_t *
s_filters(json_t *req, struct page *p, const char **ind, char norm[IOC_MAX_VALUE + 1], int *len)
{
	const char *origin;
	size_t indlen = 0;
	json_t *e;

	if ((e = s_string(req, "indicator", IOC_MAX_VALUE + 32, ind, &indlen)) != NULL ||
	    (e = s_uint(req, "since", 0, INT64_MAX, &p->since)) != NULL ||
	    (e = s_uint(req, "until", 0, INT64_MAX, &p->until)) != NULL ||
	    (e = s_string(req, "origin", 2 * MSG_KEY_LEN, &origin, NULL)) != NULL ||
	    (e = s_word(req, "tlp", msg_tlp_parse, &p->tlp)) != NULL ||
	    (e = s_word(req, "category", msg_category_parse, &p->category)) != NULL ||
	    (e = s_word(req, "kind", msg_kind_parse, &p->kind)) != NULL ||
	    (e = s_bool(req, "all", &p->all)) != NULL)
		return e;
	if ((p->has_origin = origin != NULL) && id_parse(p->origin, origin) == -1)
		return control_error("%s", "\"origin\" is not a node id (64 hex digits)");
	if (*ind != NULL && (*len = s_indicator(*ind, indlen, norm)) <= 0)
		return control_error("\"indicator\": '%.200s' is not a valid indicator", *ind);
	return NULL;
}

/*
 * query: messages newest first, filtered; one page of at most "limit"
 * (CONTROL_PAGE_ITEMS) messages and CONTROL_PAGE_BYTES of them, after
 * decoding at most CONTROL_PAGE_DECODES messages (candidates and those
 * that may retract them); "next" goes on where the page stopped.
 */
static json_t *
s_query(struct control *c, json_t *req)
{
	static const char *const fields[] = { "indicator", "since", "until", "origin", "tlp",
		"category", "kind", "all", "brief", "limit", "after", "text", NULL };
	struct page p = { .c = c, .until = UINT64_MAX, .tlp = -1, .kind = -1, .category = -1 };
	const char *ind, *after, *text;
	size_t textlen = 0;
	char norm[IOC_MAX_VALUE + 1];
	uint64_t limit = CONTROL_PAGE_ITEMS, lkey = 0;
	struct store_pos pos = { 0 };
	int len = 0, rc;
	json_t *e;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_filters(req, &p, &ind, norm, &len)) != NULL ||
	    (e = s_bool(req, "brief", &p.brief)) != NULL ||
	    (e = s_uint(req, "limit", 1, CONTROL_PAGE_ITEMS, &limit)) != NULL ||
	    (e = s_string(req, "after", 128, &after, NULL)) != NULL ||
	    (e = s_string(req, "text", CONTROL_TEXT_MAX, &text, &textlen)) != NULL)
		return e;
	if (text != NULL && (ind != NULL || after != NULL))
		return control_error("%s",
		    "\"text\" does not combine with \"indicator\" or \"after\"");
	if (after != NULL && s_cursor_parse(after, ind != NULL ? 'l' : 't', &lkey, &pos) == -1)
		return control_error("%s",
		    "\"after\" is not a cursor of this query (a \"next\" it returned)");
	p.limit = (size_t)limit;
	p.m = msg_new(), p.r = msg_new(), p.items = json_array();
	if (p.m == NULL || p.r == NULL || p.items == NULL)
		rc = STORE_E_NOMEM;
	else if (ind != NULL)
		rc = s_by_ioc(c, norm, (size_t)len, lkey, &p);
	else if (text != NULL)
		rc = s_by_text(c, text, textlen, &p);
	else
		rc = store_range(c->n->st, p.since, p.until, true, after != NULL ? &pos : NULL, 0,
		    s_query_item, &p, NULL);
	msg_destroy(&p.m);
	msg_destroy(&p.r);
	if (rc == STORE_E_INVAL && text != NULL) {
		json_decref(p.items);
		return control_error("\"text\": no word of %d letters or more, or more than %d "
		                     "words",
		    INDEX_TEXT_MIN, INDEX_TEXT_QUERY_WORDS);
	}
	if (rc < 0) {
		json_decref(p.items);
		return control_error("the store cannot be read: %s", store_strerror(rc));
	}
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "messages", p.items, "next",
	    text != NULL ? json_null() : s_cursor(&p, ind != NULL));
}

/*
 * lessons: the incidents and updates that carry what their case taught,
 * from their KS_LESSON key (index_lessons.h): every one, or those naming
 * "category"; query's other filters and pages, newest stored first.
 */
static json_t *
s_lessons(struct control *c, json_t *req)
{
	static const char *const fields[] = { "since", "until", "origin", "tlp", "category", "kind",
		"all", "brief", "limit", "after", NULL };
	struct page p = { .c = c, .until = UINT64_MAX, .tlp = -1, .kind = -1, .category = -1 };
	const char *ind, *after;
	char norm[IOC_MAX_VALUE + 1];
	uint8_t key[KS_MAX_KEY];
	uint64_t limit = CONTROL_PAGE_ITEMS, lkey = 0;
	struct store_pos pos;
	int len = 0, rc;
	size_t n;
	json_t *e;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_filters(req, &p, &ind, norm, &len)) != NULL ||
	    (e = s_bool(req, "brief", &p.brief)) != NULL ||
	    (e = s_uint(req, "limit", 1, CONTROL_PAGE_ITEMS, &limit)) != NULL ||
	    (e = s_string(req, "after", 128, &after, NULL)) != NULL)
		return e;
	if (after != NULL && s_cursor_parse(after, 'l', &lkey, &pos) == -1)
		return control_error("%s",
		    "\"after\" is not a cursor of this query (a \"next\" it returned)");
	n = index_lessons_key(key, p.category);
	p.category = -1; /* the key is the category's */
	p.limit = (size_t)limit;
	p.m = msg_new(), p.r = msg_new(), p.items = json_array();
	rc = p.m == NULL || p.r == NULL || p.items == NULL
	    ? STORE_E_NOMEM
	    : s_by_ioc(c, (const char *)key, n, lkey, &p);
	msg_destroy(&p.m);
	msg_destroy(&p.r);
	if (rc < 0) {
		json_decref(p.items);
		return control_error("the store cannot be read: %s", store_strerror(rc));
	}
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "messages", p.items, "next", s_cursor(&p, true));
}

/* store_item_fn of get: the message and whether it is retracted. */
static int
s_get_item(void *arg, const struct store_item *it)
{
	struct page *p = arg;
	bool retracted = false;
	json_t *o;

	if (msg_decode(p->m, it->bytes, it->len, 0) == MSG_OK)
		retracted = s_retracted(p, it->id, p->m->origin);
	o = s_item(it,
	    json_pack("{s:o,s:b}", "message", control_base64(it->bytes, it->len), "retracted",
	        retracted));
	p->items = json_pack("{s:b}", "ok", 1);
	if (o == NULL || json_object_update(p->items, o) == -1) {
		json_decref(p->items);
		p->items = NULL;
	}
	json_decref(o);
	return 1;
}

/* get: one message, its signed bytes and whether its origin retracted it. */
static json_t *
s_get(struct control *c, json_t *req)
{
	static const char *const fields[] = { "id", NULL };
	struct page p = { .c = c };
	uint8_t id[MSG_ID_LEN];
	json_t *e;
	int rc;

	if ((e = s_fields(req, fields)) != NULL || (e = s_id(req, id)) != NULL)
		return e;
	p.m = msg_new(), p.r = msg_new();
	rc = p.m == NULL || p.r == NULL ? STORE_E_NOMEM : store_get(c->n->st, id, s_get_item, &p);
	msg_destroy(&p.m);
	msg_destroy(&p.r);
	if (rc == STORE_E_NOTFOUND)
		return s_not_found(id);
	if (rc < 0 || p.items == NULL) {
		json_decref(p.items);
		return control_error("the store cannot be read: %s",
		    store_strerror(rc < 0 ? rc : STORE_E_NOMEM));
	}
	return p.items;
}

/* store_item_fn of thread: the messages that refer to one, after the
 * cursor, as they are stored. */
static int
s_thread_item(void *arg, const struct store_item *it)
{
	struct page *p = arg;

	if (it->lkey <= p->after)
		return 0;
	if (s_page_full(p)) {
		p->more = true;
		return 1;
	}
	json_array_append_new(p->items,
	    s_item(it, json_pack("{s:o}", "message", control_base64(it->bytes, it->len))));
	p->nitems++;
	p->bytes += it->len;
	s_page_done(p, it);
	return 0;
}

/* thread: the messages that refer to "id" (updates, sightings,
 * retractions), oldest stored first, by pages as query's; nothing is
 * decoded. */
static json_t *
s_thread(struct control *c, json_t *req)
{
	static const char *const fields[] = { "id", "limit", "after", NULL };
	struct page p = { .c = c };
	uint64_t limit = CONTROL_PAGE_ITEMS;
	uint8_t id[MSG_ID_LEN];
	const char *after;
	json_t *e;
	int rc;

	if ((e = s_fields(req, fields)) != NULL || (e = s_id(req, id)) != NULL ||
	    (e = s_uint(req, "limit", 1, CONTROL_PAGE_ITEMS, &limit)) != NULL ||
	    (e = s_string(req, "after", 128, &after, NULL)) != NULL)
		return e;
	if (after != NULL && s_cursor_parse(after, 'l', &p.after, NULL) == -1)
		return control_error("%s",
		    "\"after\" is not a cursor of this thread (a \"next\" it returned)");
	p.limit = (size_t)limit;
	if ((p.items = json_array()) == NULL)
		return control_error("%s", "out of memory");
	if ((rc = store_by_ref(c->n->st, id, 0, s_thread_item, &p)) < 0) {
		json_decref(p.items);
		return control_error("the store cannot be read: %s", store_strerror(rc));
	}
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "messages", p.items, "next", s_cursor(&p, true));
}

/*
 * stix: the messages exported as the STIX object "id" (TYPE--UUID), found
 * by the UUID's KS_STIX key (keyspace.h), clear and sealed: a message's
 * own object, and a case's report with its updates, newest stored first;
 * one page (at most "limit" and CONTROL_PAGE_DECODES decoded).
 */
static json_t *
s_stix(struct control *c, json_t *req)
{
	static const char *const fields[] = { "id", "limit", "all", NULL };
	struct page p = { .c = c, .until = UINT64_MAX, .tlp = -1, .kind = -1, .category = -1 };
	uint64_t limit = CONTROL_PAGE_ITEMS;
	uint8_t key[1 + 16];
	const char *s, *u;
	json_t *e;
	int rc;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_string(req, "id", 128, &s, NULL)) != NULL ||
	    (e = s_uint(req, "limit", 1, CONTROL_PAGE_ITEMS, &limit)) != NULL ||
	    (e = s_bool(req, "all", &p.all)) != NULL)
		return e;
	key[0] = KS_STIX;
	if (s == NULL || (u = strstr(s, "--")) == NULL || interop_uuid_parse(key + 1, u + 2) == -1)
		return control_error("%s", "\"id\" is not a STIX id (TYPE--UUID)");
	p.limit = (size_t)limit;
	p.m = msg_new(), p.r = msg_new(), p.items = json_array();
	rc = p.m == NULL || p.r == NULL || p.items == NULL
	    ? STORE_E_NOMEM
	    : s_by_ioc(c, (const char *)key, sizeof key, 0, &p);
	msg_destroy(&p.m);
	msg_destroy(&p.r);
	if (rc < 0) {
		json_decref(p.items);
		return control_error("the store cannot be read: %s", store_strerror(rc));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "messages", p.items);
}

/* The error reply of changes for a cursor the store cannot honour, with
 * "code": "cursor-lost" and the cursor to resume from. */
static json_t *
s_lost(uint64_t after, const struct store_cursor *sc)
{
	json_t *rep;

	if (after > sc->last)
		rep = control_error("cursor %" PRIu64
		                    " is ahead of this node (highest cursor %" PRIu64
		                    "): was the store replaced?",
		    after, sc->last);
	else
		rep = control_error("cursor %" PRIu64 " is not from this store's history: "
		                    "messages committed after cursor %" PRIu64
		                    " were lost by a restore from backup; "
		                    "ask again with after %" PRIu64 " to resume from there",
		    after, sc->resume, sc->resume);
	json_object_set_new(rep, "code", json_string("cursor-lost"));
	json_object_set_new(rep, "resume", json_integer((json_int_t)sc->resume));
	return rep;
}

/*
 * changes: the messages committed here after cursor "after" (a local key),
 * in the order of their commits, filtered and by pages as query's; "next"
 * is the cursor to ask with next, "last" the highest this node has given.
 */
static json_t *
s_changes(struct control *c, json_t *req)
{
	static const char *const fields[] = { "indicator", "since", "until", "origin", "tlp",
		"category", "kind", "all", "limit", "after", "received_after", NULL };
	struct page p = { .c = c, .until = UINT64_MAX, .tlp = -1, .kind = -1, .category = -1 };
	uint64_t limit = CONTROL_PAGE_ITEMS, after = 0, when = UINT64_MAX, at;
	char norm[IOC_MAX_VALUE + 1];
	struct store_cursor sc;
	const char *ind;
	int len = 0, rc;
	json_t *e;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_filters(req, &p, &ind, norm, &len)) != NULL ||
	    (e = s_uint(req, "limit", 1, CONTROL_PAGE_ITEMS, &limit)) != NULL ||
	    (e = s_uint(req, "after", 0, INT64_MAX, &after)) != NULL ||
	    (e = s_uint(req, "received_after", 0, INT64_MAX, &when)) != NULL)
		return e;
	if (ind != NULL)
		p.ioc = norm, p.ioclen = (size_t)len;
	if (when != UINT64_MAX) {
		if ((rc = store_lkey_received(c->n->st, when, &at)) != STORE_OK)
			return control_error("the store cannot be read: %s", store_strerror(rc));
		after = at > after ? at : after;
	}
	p.limit = (size_t)limit;
	p.m = msg_new(), p.r = msg_new(), p.items = json_array();
	rc = p.m == NULL || p.r == NULL || p.items == NULL
	    ? STORE_E_NOMEM
	    : store_after(c->n->st, after, 0, s_query_item, &p, &sc);
	msg_destroy(&p.m);
	msg_destroy(&p.r);
	if (rc < 0) {
		json_decref(p.items);
		return rc == STORE_E_LOST
		    ? s_lost(after, &sc)
		    : control_error("the store cannot be read: %s", store_strerror(rc));
	}
	/* A walk that was not stopped saw everything up to sc.last. */
	return json_pack("{s:b,s:o,s:I,s:I}", "ok", 1, "messages", p.items, "next",
	    (json_int_t)(p.more ? p.lkey : sc.last), "last", (json_int_t)sc.last);
}

/*
 * resolve: the one stored message id that starts with "prefix" (8 to 64
 * hex digits, either case): a range in the id index, from the prefix
 * followed by zeros to the prefix followed by f's.
 */
static json_t *
s_resolve(struct control *c, json_t *req)
{
	static const char *const fields[] = { "prefix", NULL };
	uint8_t lo[MSG_ID_LEN], hi[MSG_ID_LEN], ids[CONTROL_RESOLVE_MAX][MSG_ID_LEN];
	char pre[2 * MSG_ID_LEN + 1], lox[2 * MSG_ID_LEN], hix[2 * MSG_ID_LEN],
	    hex[2 * MSG_ID_LEN + 1], line[128 + CONTROL_RESOLVE_MAX * (2 * MSG_ID_LEN + 2) + 8];
	const char *s;
	size_t len, n, at;
	json_t *e, *cand;
	int rc;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_string(req, "prefix", 2 * MSG_ID_LEN, &s, &len)) != NULL)
		return e;
	if (s == NULL || len < 8 || strspn(s, "0123456789abcdefABCDEF") != len)
		return control_error("%s", "\"prefix\" is not 8 to 64 hex digits");
	for (size_t i = 0; i < len; i++)
		pre[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	pre[len] = '\0';
	memset(lox, '0', sizeof lox);
	memset(hix, 'f', sizeof hix);
	memcpy(lox, pre, len);
	memcpy(hix, pre, len);
	if (hex_decode(lo, sizeof lo, lox, sizeof lox) == -1 ||
	    hex_decode(hi, sizeof hi, hix, sizeof hix) == -1)
		return control_error("%s", "\"prefix\" is not 8 to 64 hex digits");
	if ((rc = store_id_range(c->n->st, lo, hi, ids, CONTROL_RESOLVE_MAX, &n)) != STORE_OK)
		return control_error("the store cannot be read: %s", store_strerror(rc));
	if (n == 1) {
		hex_encode(hex, ids[0], MSG_ID_LEN);
		return json_pack("{s:b,s:s}", "ok", 1, "id", hex);
	}
	if (n == 0) {
		e = control_error("no message id starts with %s", pre);
		json_object_set_new(e, "code", json_string("not-found"));
		return e;
	}
	/* Longer than control_error()'s line: built here. */
	at = (size_t)snprintf(line, sizeof line, "id prefix %s is ambiguous: ", pre);
	cand = json_array();
	for (size_t i = 0; i < n && i < CONTROL_RESOLVE_MAX; i++) {
		hex_encode(hex, ids[i], MSG_ID_LEN);
		json_array_append_new(cand, json_string(hex));
		at += (size_t)snprintf(line + at, sizeof line - at, "%s%s", i > 0 ? ", " : "", hex);
	}
	if (n > CONTROL_RESOLVE_MAX)
		snprintf(line + at, sizeof line - at, ", ...");
	return json_pack("{s:b,s:s,s:s,s:o}", "ok", 0, "error", line, "code", "ambiguous",
	    "candidates", cand);
}

/*
 * import: a signed message from outside (a file an operator was given),
 * judged by node_judge() as if "from" (a trust-list name), or else its
 * origin, had sent it; then verified and committed by the ingest pipeline
 * and offered to the peers, as a publication is, and answered then.
 */
static json_t *
s_import(struct control *c, json_t *req)
{
	static const char *const fields[] = { "message", "from", NULL };
	const struct trust_peer *from = NULL;
	char err[512], hex[2 * MSG_ID_LEN + 1];
	uint8_t *bytes, id[MSG_ID_LEN];
	const char *name;
	size_t len;
	json_t *e;
	int r;

	if ((e = s_fields(req, fields)) != NULL ||
	    (e = s_string(req, "from", 255, &name, NULL)) != NULL || (e = s_busy(c)) != NULL)
		return e;
	if (name != NULL && (from = trust_find_name(c->n->trust, name)) == NULL)
		return control_error("\"from\": no peer '%s' in the trust list", name);
	if ((e = s_bytes(req, "message", (size_t)c->n->cfg.max_message, &bytes, &len)) != NULL)
		return e;
	r = node_judge(c->n, bytes, len, from, id, err, sizeof err);
	if (r == 0)
		e = s_hand(c, bytes, len, NULL, true) == -1 ? control_error("%s", "out of memory")
		                                            : NULL;
	else if (r == 1) {
		hex_encode(hex, id, MSG_ID_LEN);
		e = json_pack("{s:b,s:s,s:s}", "ok", 1, "result", "duplicate", "id", hex);
	} else
		e = control_error("%s", err);
	free(bytes);
	return e;
}

/* What lookup found of one indicator under its keys. */
struct lookup {
	struct page p; /* c, and r for s_retracted() */
	struct msg *m;
	bool include_expired;
	uint64_t now;
	size_t walked, messages, ncases, nsocs;
	size_t expired_in, expired_out; /* expired messages counted, left out */
	bool more_cases, more_socs, truncated;
	uint8_t cases[CONTROL_LOOKUP_CASES][MSG_ID_LEN];
	uint8_t socs[CONTROL_LOOKUP_SOCS][MSG_KEY_LEN];
	uint64_t first, last;
	unsigned tlps; /* bit per enum msg_tlp */
};

/* Adds the n-byte id to the set v (*nv of at most max); *more when full. */
static void
s_lookup_add(uint8_t *v, size_t *nv, size_t max, bool *more, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < *nv; i++)
		if (memcmp(v + i * n, id, n) == 0)
			return;
	if (*nv == max)
		*more = true;
	else
		memcpy(v + (*nv)++ * n, id, n);
}

/* store_item_fn of lookup: one message carrying the indicator, counted
 * unless retracted by its origin, or expired (unless include_expired). */
static int
s_lookup_item(void *arg, const struct store_item *it)
{
	struct lookup *l = arg;
	struct keys *k = l->p.c->n->keys;
	struct msg *m = l->m;
	uint8_t *plain = NULL;
	size_t nplain = 0;
	bool expired;

	if (++l->walked > CONTROL_LOOKUP_WALK) {
		l->truncated = true;
		return 1;
	}
	if (msg_decode(m, it->bytes, it->len, 0) != MSG_OK)
		return 0;
	/* A body sealed to this node is opened for its expires. */
	if (!m->has_body && k != NULL &&
	    msg_open(m, l->p.c->n->id, k->curve_pk, k->curve_sk, &plain, &nplain) != MSG_OK)
		m->has_body = false;
	expired = msg_expired(m, l->now);
	if ((!expired || l->include_expired) && !s_retracted(&l->p, m->id, m->origin)) {
		l->messages++;
		l->expired_in += expired;
		l->first = l->messages == 1 || m->time < l->first ? m->time : l->first;
		l->last = m->time > l->last ? m->time : l->last;
		l->tlps |= 1u << m->tlp;
		s_lookup_add(&l->socs[0][0], &l->nsocs, CONTROL_LOOKUP_SOCS, &l->more_socs,
		    m->origin, MSG_KEY_LEN);
		if (m->kind == MSG_KIND_INCIDENT || m->has_ref)
			s_lookup_add(&l->cases[0][0], &l->ncases, CONTROL_LOOKUP_CASES,
			    &l->more_cases, m->kind == MSG_KIND_INCIDENT ? m->id : m->ref,
			    MSG_ID_LEN);
	} else if (expired && !l->include_expired)
		l->expired_out++;
	free(plain);
	return 0;
}

/* The n ids of size len at v as an array of hex strings. */
static json_t *
s_lookup_ids(const uint8_t *v, size_t n, size_t len)
{
	char hex[2 * MSG_ID_LEN + 1];
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		hex_encode(hex, v + i * len, len);
		if (json_array_append_new(a, json_string(hex)) == -1) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

/* The result of lookup for the indicator as given (s, n bytes): what l
 * found, or the reason it is none. */
static json_t *
s_lookup_one(struct control *c, struct lookup *l, const char *s, size_t n)
{
	struct ioc_value v;
	uint8_t key[IOCSEAL_KEY_LEN];
	char err[512];
	const char *warn;
	json_t *tlps, *r;
	int rc;

	if (ioc_parse_text(s, n, &v, err, sizeof err) == -1)
		return json_pack("{s:s%,s:s}", "indicator", s, n, "error", err);
	l->walked = l->messages = l->ncases = l->nsocs = l->expired_in = l->expired_out = 0;
	l->more_cases = l->more_socs = l->truncated = false;
	l->first = l->last = 0, l->tlps = 0;
	rc = store_by_ioc(c->n->st, v.value, v.len, 0, CONTROL_LOOKUP_WALK + 1, s_lookup_item, l);
	if (rc >= 0 && c->n->seal != NULL) {
		l->walked = 0;
		iocseal_key(c->n->seal, v.value, v.len, key);
		rc = store_by_ioc(c->n->st, (const char *)key, sizeof key, 0,
		    CONTROL_LOOKUP_WALK + 1, s_lookup_item, l);
	}
	if (rc < 0)
		return NULL;
	warn = warninglist_match(c->wl, v.type, v.value, v.len);
	if (l->messages == 0)
		return json_pack("{s:s%,s:s,s:s,s:b,s:b,s:o}", "indicator", s, n, "type",
		    ioc_type_name(v.type), "value", v.value, "known", 0, "expired",
		    l->expired_out > 0, "warning", warn != NULL ? json_string(warn) : json_null());
	tlps = json_array();
	for (int t = 0; tlps != NULL && t < 32; t++)
		if ((l->tlps & 1u << t) != 0)
			json_array_append_new(tlps, json_string(msg_tlp_name((enum msg_tlp)t)));
	r = json_pack("{s:s%,s:s,s:s,s:b,s:I,s:o,s:b,s:o,s:b,s:I,s:I,s:o,s:b,s:o,s:b}", "indicator",
	    s, n, "type", ioc_type_name(v.type), "value", v.value, "known", 1, "messages",
	    (json_int_t)l->messages, "cases", s_lookup_ids(&l->cases[0][0], l->ncases, MSG_ID_LEN),
	    "more_cases", l->more_cases, "socs",
	    s_lookup_ids(&l->socs[0][0], l->nsocs, MSG_KEY_LEN), "more_socs", l->more_socs,
	    "first_seen", (json_int_t)l->first, "last_seen", (json_int_t)l->last, "tlp", tlps,
	    "expired", l->expired_in == l->messages, "warning",
	    warn != NULL ? json_string(warn) : json_null(), "truncated", l->truncated);
	return r;
}

/*
 * lookup: each indicator (at most CONTROL_LOOKUP_MAX), as TYPE:VALUE or a
 * value alone, refanged and typed as publish reads it: the messages that
 * carry it (under its clear and its sealed key, at most
 * CONTROL_LOOKUP_WALK of each, newest stored first), without those
 * retracted by their origin, nor the expired ones unless
 * "include_expired"; the warning list it is on.
 */
static json_t *
s_lookup(struct control *c, json_t *req)
{
	static const char *const fields[] = { "indicators", "include_expired", NULL };
	json_t *a = json_object_get(req, "indicators"), *out, *e, *v;
	struct lookup *l;
	size_t i;

	if ((e = s_fields(req, fields)) != NULL)
		return e;
	if (!json_is_array(a) || json_array_size(a) > CONTROL_LOOKUP_MAX)
		return control_error("\"indicators\" is not an array of at most %d strings",
		    CONTROL_LOOKUP_MAX);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) > IOC_MAX_VALUE + 32)
			return control_error("\"indicators\": item %zu is not a string of at most "
			                     "%d "
			                     "bytes",
			    i, IOC_MAX_VALUE + 32);
	}
	if ((l = calloc(1, sizeof *l)) == NULL)
		return control_error("%s", "out of memory");
	l->p.c = c, l->now = now_ms();
	if ((e = s_bool(req, "include_expired", &l->include_expired)) != NULL) {
		free(l);
		return e;
	}
	l->m = msg_new(), l->p.r = msg_new(), out = json_array();
	json_array_foreach(a, i, v)
	{
		json_t *r;
		if (out == NULL || l->m == NULL || l->p.r == NULL ||
		    (r = s_lookup_one(c, l, json_string_value(v), json_string_length(v))) == NULL ||
		    json_array_append_new(out, r) == -1) {
			json_decref(out);
			out = NULL;
			break;
		}
	}
	msg_destroy(&l->m);
	msg_destroy(&l->p.r);
	free(l);
	if (out == NULL)
		return control_error("%s", "the store cannot be read (or out of memory)");
	return json_pack("{s:b,s:o}", "ok", 1, "results", out);
}

/* The reply to req; held back while the messages it handed to the
 * pipeline are committed (s_readable()). */
static json_t *
s_dispatch(struct control *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char hex[2 * MSG_KEY_LEN + 1];
	uint8_t id[MSG_ID_LEN];
	json_t *rep;

	if (cmd == NULL)
		return control_error("%s", "request without \"cmd\" (a string)");
	if (strcmp(cmd, "ping") == 0) {
		hex_encode(hex, c->n->id, MSG_KEY_LEN);
		return json_pack("{s:b,s:s,s:s}", "ok", 1, "name", c->n->cfg.name, "id", hex);
	}
	if (strcmp(cmd, "publish") == 0)
		return s_publish(c, req);
	if (strcmp(cmd, "peers") == 0)
		return json_pack("{s:b,s:o}", "ok", 1, "peers", gossip_peers_json(c->g));
	if (strcmp(cmd, "rotate") == 0)
		return control_rotate(c, c->n, c->g);
	if (strcmp(cmd, "network") == 0)
		return json_pack("{s:b,s:o}", "ok", 1, "network", gossip_network_json(c->g));
	if (strcmp(cmd, "reload") == 0)
		return s_reload(c);
	if (strcmp(cmd, "stats") == 0)
		return s_stats(c);
	if (strcmp(cmd, "sources") == 0)
		return s_sources(c);
	if (strcmp(cmd, "query") == 0)
		return s_query(c, req);
	if (strcmp(cmd, "lessons") == 0)
		return s_lessons(c, req);
	if (strcmp(cmd, "get") == 0)
		return s_get(c, req);
	if (strcmp(cmd, "thread") == 0)
		return s_thread(c, req);
	if (strcmp(cmd, "changes") == 0)
		return s_changes(c, req);
	if (strcmp(cmd, "resolve") == 0)
		return s_resolve(c, req);
	if (strcmp(cmd, "stix") == 0)
		return s_stix(c, req);
	if (strcmp(cmd, "import") == 0)
		return s_import(c, req);
	if (strcmp(cmd, "lookup") == 0)
		return s_lookup(c, req);
	if ((rep = control_related(c->n, c->wl, cmd, req)) != NULL)
		return rep;
	if (strncmp(cmd, "roster", 6) == 0 && (rep = control_roster(c, c->n, cmd, req)) != NULL)
		return rep;
	if (strcmp(cmd, "explain") == 0) {
		const char *s = json_string_value(json_object_get(req, "id"));
		json_t *a;
		if (s == NULL || id_parse(id, s) == -1)
			return control_error("%s", "\"id\" is not a message id");
		const struct roster_entry *me = roster_find(c->n->roster, c->n->id);
		/* What this node is in the roster in force, when that keeps
		 * messages from it (a demoted node learns why here). */
		char why[160] = "";
		if (me != NULL && me->level != MSG_LEVEL_MEMBER)
			snprintf(why, sizeof why,
			    "; this node is %s in roster %" PRIu64 " of %s: %s",
			    msg_level_name(me->level), roster_epoch(c->n->roster),
			    roster_network(c->n->roster),
			    me->level == MSG_LEVEL_EXTERNAL ? "the members send it TLP:CLEAR only"
			                                    : "the members send it nothing");
		if ((a = gossip_explain_json(c->g, id)) == NULL)
			return control_error("no message %s here%s", s, why);
		rep = json_pack("{s:b,s:o}", "ok", 1, "explain", a);
		if (why[0] != '\0')
			json_object_set_new(rep, "self", json_string(why + 2));
		return rep;
	}
	return control_error("unknown command '%s'", cmd);
}

static int
s_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct control *c = arg;
	zmsg_t *msg = zmsg_recv(sock);
	zframe_t *who, *empty, *f;
	json_t *req = NULL, *rep;

	(void)loop;
	if (msg == NULL)
		return 0;
	/* A REQ client's envelope (its routing id, an empty frame), then
	 * one frame, one JSON object (no NUL inside: jansson refuses it).
	 * Without the envelope there is nobody to answer. */
	who = zmsg_first(msg);
	empty = zmsg_next(msg);
	if (who == NULL || empty == NULL || zframe_size(empty) != 0) {
		zmsg_destroy(&msg);
		return 0;
	}
	if (zmsg_size(msg) != 3 || (f = zmsg_next(msg)) == NULL)
		rep = control_error("%s", "a request is one frame: one JSON object");
	else {
		req = json_loadb((const char *)zframe_data(f), zframe_size(f),
		    JSON_REJECT_DUPLICATES, NULL);
		c->who = who;
		rep = json_is_object(req) ? s_dispatch(c, req)
		                          : control_error("%s", "request is not a JSON object");
		c->who = NULL;
	}
	if (c->cur != NULL) {
		struct pending *p = c->cur;
		c->cur = NULL;
		p->reply = rep;
		if (p->left == 0) /* nothing handed after all */
			s_answer(p);
	} else if (rep != NULL)
		s_send(c, who, rep);
	json_decref(req);
	zmsg_destroy(&msg);
	return 0;
}

struct control *
control_new(struct node *n, struct gossip *g, zloop_t *loop, char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof *c);

	if (c == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	c->n = n, c->g = g, c->loop = loop;
	c->started = now_ms();
	if (control_path(c->path, sizeof c->path, n->dir) == -1) {
		errf(err, errlen, "%s: path too long for a Unix socket", n->dir);
		free(c);
		return NULL;
	}
	/* A socket file left by a daemon that died: nobody answers on it. */
	unlink(c->path);
	if ((c->rep = zsock_new(ZMQ_ROUTER)) != NULL) {
		zsock_set_affinity(c->rep, 1); /* an I/O thread that peers never load */
		/* A larger request is never read: ZeroMQ drops its connection
		 * (set before the bind, which hands it to the connections). */
		zsock_set_maxmsgsize(c->rep, CONTROL_MAX_REQUEST);
	}
	if (c->rep == NULL || zsock_bind(c->rep, "ipc://%s", c->path) == -1 ||
	    chmod(c->path, 0660) == -1) {
		errf(err, errlen, "%s: cannot serve the control socket: %s", c->path,
		    strerror(errno));
		control_destroy(&c);
		return NULL;
	}
	zsock_set_sndtimeo(c->rep, 1000);
	if ((c->lag = looplag_new(loop)) == NULL) {
		errf(err, errlen, "out of memory");
		control_destroy(&c);
		return NULL;
	}
	if ((c->wl = warninglists_load(n->cfg.warninglists, n->dir, err, errlen)) == NULL) {
		control_destroy(&c);
		return NULL;
	}
	log_info("%zu warning lists", warninglists_count(c->wl));
	zloop_reader(loop, c->rep, s_readable, c);
	return c;
}

void
control_destroy(struct control **cp)
{
	struct control *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	/* Publishes still on their way are answered by nobody. */
	for (struct pending *p = c->pending; p != NULL; p = p->next)
		p->c = NULL;
	if (c->rep != NULL) {
		zloop_reader_end(c->loop, c->rep);
		zsock_destroy(&c->rep);
		unlink(c->path);
	}
	looplag_destroy(&c->lag);
	warninglists_destroy(&c->wl);
	free(c);
	*cp = NULL;
}

void
control_reload_warninglists(struct control *c)
{
	char err[512];
	struct warninglists *w = warninglists_load(c->n->cfg.warninglists, c->n->dir, err,
	    sizeof err);

	if (w == NULL) {
		log_warnx("reload: %s; keeping the warning lists in force", err);
		return;
	}
	warninglists_destroy(&c->wl);
	c->wl = w;
	log_info("%zu warning lists", warninglists_count(c->wl));
}
