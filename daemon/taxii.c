/*
 * taxii — the TAXII 2.1 server (taxii.h): libmicrohttpd's one polling
 * thread answers every request, reading the node's messages through the
 * daemon's control socket ("changes", "get", "stix") and serving their
 * STIX export (stix.h); a POST to the inbox is imported (stix_import_buf)
 * and published (interop_publish).
 *
 * Objects come in the order of the commits on this node: a page is a walk
 * of "changes" over the collection's TLP, each message exported with what
 * it needs (its case's incident and updates, for the versions of the
 * case's report), and "next" says where to resume: "CURSOR-SKIP", the
 * changes cursor before the message and how many of its objects were
 * given.  An object's date added is its message's receipt; the shared
 * objects (a SOC's identity, the TLP marking definitions and the TLP 2.0
 * extension definition) come with the first message of the collection
 * that brought them.
 */
#include "taxii.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control.h"
#include "interop.h"
#include "interop_run.h"
#include "iocseal.h"
#include "keys.h"
#include "log.h"
#include "msg.h"
#include "msgjson.h"
#include "node.h"
#include "stix.h"
#include "timefmt.h"
#include "util.h"

#define S_CONN_LIMIT     64
#define S_PER_IP_LIMIT   8
#define S_TIMEOUT_S      30
#define S_WALK_MAX       2000  /* messages looked at for one page */
#define S_FIRST_PAGES    20    /* pages of changes looked at for a first message */
#define S_CACHE_MAX      10000 /* entries of a cache before it is emptied */
#define S_FAIL_FREE      5     /* wrong passwords of a user in a row before ... */
#define S_FAIL_MS        1000  /* ... one is checked at most every second */
#define S_RATE           50    /* requests per second of one user, on average */
#define S_BURST          500   /* ... and at once */
#define S_THREAD_PAGES   10    /* pages of a retracted case's thread read for its retracts */
#define S_FIRSTS_MS      (10 * 60 * 1000)             /* how long firsts are kept */
#define S_DISCARD_MAX    ((size_t)4 * TAXII_MAX_BODY) /* bytes of a refused body read */
#define S_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" /* GnuTLS */
#define S_REALM          "Basic realm=\"socmesh TAXII\", charset=\"UTF-8\""

/* Endpoints, as counted. */
enum s_endpoint {
	E_DISCOVERY,
	E_API_ROOT,
	E_COLLECTIONS,
	E_COLLECTION,
	E_OBJECTS,
	E_OBJECT,
	E_VERSIONS,
	E_MANIFEST,
	E_POST,
	E_STATUS,
	E_OTHER,
	E_COUNT
};
static const char *const s_endpoint_names[E_COUNT] = { "discovery", "api-root", "collections",
	"collection", "objects", "object", "versions", "manifest", "post", "status", "other" };

static const unsigned s_codes[] = { 200, 202, 400, 401, 403, 404, 405, 406, 413, 415, 422, 429, 500,
	503 };
#define S_NCODES (sizeof s_codes / sizeof s_codes[0])

#define S_INBOX (-1) /* the collection of the inbox; else a TLP */

struct taxii {
	char dir[PATH_MAX];
	bool tls;
	char listen_host[CONFIG_ENDPOINT_MAX + 1];
	unsigned port;
	char *cert, *key; /* PEM */
	struct MHD_Daemon *mhd;
	/* The polling thread's alone: */
	struct node *n;            /* configuration, trust list, keys (read-only) */
	struct control_client *cc; /* to the daemon, connected when first needed */
	struct msg *m;
	char users_path[PATH_MAX + 64];
	struct stat users_st;
	struct taxii_users users;
	uint8_t auth_key[crypto_generichash_KEYBYTES];
	json_t *auth_ok;       /* user name -> hex of a keyed hash of its hash and password */
	json_t *failed;        /* user name -> [wrong passwords in a row, when the last was] */
	json_t *budgets;       /* user name -> [tokens, ms]: its requests' bucket */
	json_t *firsts;        /* "TLP/ORIGIN" -> the cursor of the first message that brings it */
	uint64_t firsts_since; /* when firsts was emptied */
	json_t *statuses;      /* [{"user", "status"}], oldest first */
	char collections[MSG_TLP_COUNT][INTEROP_UUID_LEN + 1];
	char inbox[INTEROP_UUID_LEN + 1];
	/* Under lock: */
	pthread_mutex_t lock;
	uint64_t counts[E_COUNT][S_NCODES + 1];
	size_t nusers;
};

/* One request: what the first call of the handler found. */
struct s_req {
	enum s_endpoint ep;
	bool answered; /* a response is queued */
	int coll;      /* S_INBOX or a TLP */
	char user[TAXII_NAME_MAX + 1];
	int max_tlp;
	char *body;
	size_t len, cap;
	bool too_large;
	size_t seen; /* bytes of body received */
};

/* ---- responses ------------------------------------------------------------ */

/* The string member key of o, "" when absent or not a string. */
static const char *
s_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

static void
s_count(struct taxii *t, enum s_endpoint ep, unsigned code)
{
	size_t i;

	for (i = 0; i < S_NCODES && s_codes[i] != code; i++)
		;
	pthread_mutex_lock(&t->lock);
	t->counts[ep][i]++;
	pthread_mutex_unlock(&t->lock);
}

/* Queues body (taken over) with status code and the TAXII media type;
 * h1/v1, h2/v2 are extra headers (NULL: none). */
static enum MHD_Result
s_send(struct taxii *t, struct MHD_Connection *con, struct s_req *r, unsigned code, json_t *body,
    const char *h1, const char *v1, const char *h2, const char *v2)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;
	enum MHD_Result rc;

	json_decref(body);
	if (text == NULL) {
		code = 500;
		text = strdup("{\"title\":\"out of memory\",\"http_status\":\"500\"}");
		if (text == NULL)
			return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TAXII_MEDIA);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (h1 != NULL && v1 != NULL)
		MHD_add_response_header(resp, h1, v1);
	if (h2 != NULL && v2 != NULL)
		MHD_add_response_header(resp, h2, v2);
	rc = MHD_queue_response(con, code, resp);
	MHD_destroy_response(resp);
	s_count(t, r->ep, code);
	r->answered = true;
	return rc;
}

static const char *
s_reason(unsigned code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

/* The TAXII error message {"title", "description", "http_status"}. */
static enum MHD_Result s_error(struct taxii *t, struct MHD_Connection *con, struct s_req *r,
    unsigned code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result
s_error(struct taxii *t, struct MHD_Connection *con, struct s_req *r, unsigned code,
    const char *fmt, ...)
{
	char desc[512], status[8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	snprintf(status, sizeof status, "%u", code);
	return s_send(t, con, r, code,
	    json_pack("{s:s,s:s,s:s}", "title", s_reason(code), "description", desc, "http_status",
	        status),
	    code == 401 ? MHD_HTTP_HEADER_WWW_AUTHENTICATE : NULL, code == 401 ? S_REALM : NULL,
	    code == 405       ? MHD_HTTP_HEADER_ALLOW
	        : code == 429 ? MHD_HTTP_HEADER_RETRY_AFTER
	                      : NULL,
	    code == 405       ? "GET, HEAD"
	        : code == 429 ? "1"
	                      : NULL);
}

/* ---- users and authentication ------------------------------------------- */

/* Reads the users file again when it changed; a bad file keeps the users
 * in force. */
static void
s_users_refresh(struct taxii *t)
{
	struct taxii_users u = { 0 };
	struct stat st;
	char err[512];

	if (stat(t->users_path, &st) != 0)
		memset(&st, 0, sizeof st);
	if (st.st_size == t->users_st.st_size && st.st_ino == t->users_st.st_ino &&
	    st.st_mtim.tv_sec == t->users_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == t->users_st.st_mtim.tv_nsec)
		return;
	if (taxii_users_load(&u, t->users_path, &st, err, sizeof err) != 0) {
		log_warnx("taxii: %s; keeping the users in force", err);
		t->users_st = st;
		return;
	}
	taxii_users_free(&t->users);
	t->users = u;
	t->users_st = st;
	json_object_clear(t->auth_ok);
	pthread_mutex_lock(&t->lock);
	t->nusers = u.n;
	pthread_mutex_unlock(&t->lock);
	log_info("taxii: %zu users", u.n);
}

/* HTTP Basic authentication: 0 with r's user set, or -1.  A password
 * checked once is remembered (a keyed hash of it), so that a client's
 * requests do not each cost an Argon2id verification; after S_FAIL_FREE
 * wrong ones in a row, a user's password is checked at most once every
 * S_FAIL_MS. */
static int
s_auth(struct taxii *t, struct MHD_Connection *con, struct s_req *r)
{
	char *pass = NULL, *name = MHD_basic_auth_get_username_password(con, &pass);
	crypto_generichash_state st;
	uint8_t h[32];
	char hex[65];
	struct taxii_user *u;
	const char *ok;
	json_t *fails;
	int rc = -1;

	s_users_refresh(t);
	if (name == NULL || pass == NULL || !taxii_valid_name(name) ||
	    strlen(pass) > TAXII_PASSWORD_MAX || (u = taxii_users_find(&t->users, name)) == NULL)
		goto out;
	crypto_generichash_init(&st, t->auth_key, sizeof t->auth_key, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)u->hash, strlen(u->hash) + 1);
	crypto_generichash_update(&st, (const uint8_t *)pass, strlen(pass));
	crypto_generichash_final(&st, h, sizeof h);
	hex_encode(hex, h, sizeof h);
	fails = json_object_get(t->failed, name);
	if ((ok = json_string_value(json_object_get(t->auth_ok, name))) != NULL &&
	    sodium_memcmp(ok, hex, 64) == 0)
		rc = 0;
	else if (json_integer_value(json_array_get(fails, 0)) >= S_FAIL_FREE &&
	    now_ms() - (uint64_t)json_integer_value(json_array_get(fails, 1)) < S_FAIL_MS)
		goto out;
	else if (crypto_pwhash_str_verify(u->hash, pass, strlen(pass)) == 0) {
		if (json_object_size(t->auth_ok) > S_CACHE_MAX)
			json_object_clear(t->auth_ok);
		json_object_set_new(t->auth_ok, name, json_string(hex));
		rc = 0;
	} else {
		json_int_t n = json_integer_value(json_array_get(fails, 0)) + 1;
		if (json_object_size(t->failed) > S_CACHE_MAX)
			json_object_clear(t->failed);
		json_object_set_new(t->failed, name, json_pack("[I,I]", n, (json_int_t)now_ms()));
	}
	if (rc == 0) {
		json_object_del(t->failed, name);
		snprintf(r->user, sizeof r->user, "%s", u->name);
		r->max_tlp = u->max_tlp;
	}
out:
	sodium_memzero(hex, sizeof hex);
	if (pass != NULL) {
		sodium_memzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (name != NULL)
		MHD_free(name);
	return rc;
}

/* A request of user name: false when its bucket is empty. */
static bool
s_budget(struct taxii *t, const char *name)
{
	json_t *b = json_object_get(t->budgets, name);
	uint64_t now = now_ms(), then;
	double tokens;

	if (b == NULL) {
		if (json_object_size(t->budgets) > S_CACHE_MAX)
			json_object_clear(t->budgets);
		b = json_pack("[f,I]", (double)S_BURST, (json_int_t)now);
		json_object_set_new(t->budgets, name, b);
	}
	tokens = json_real_value(json_array_get(b, 0));
	then = (uint64_t)json_integer_value(json_array_get(b, 1));
	tokens += (double)(now > then ? now - then : 0) * S_RATE / 1000.0;
	if (tokens > S_BURST)
		tokens = S_BURST;
	json_array_set_new(b, 0, json_real(tokens >= 1 ? tokens - 1 : tokens));
	json_array_set_new(b, 1, json_integer((json_int_t)now));
	return tokens >= 1;
}

/* ---- the daemon ----------------------------------------------------------- */

/* Sends req (taken over) to the daemon: its reply, whatever it says, or
 * NULL with err set (the connection is dropped when the daemon did not
 * answer). */
static json_t *
s_call(struct taxii *t, json_t *req, char *err, size_t errlen)
{
	json_t *rep;

	if (t->cc == NULL && (t->cc = control_connect(t->dir, err, errlen)) == NULL) {
		json_decref(req);
		return NULL;
	}
	if ((rep = control_request(t->cc, req, err, errlen)) == NULL)
		control_disconnect(&t->cc);
	return rep;
}

/* s_call(): the reply when ok, else NULL with err set. */
static json_t *
s_ask(struct taxii *t, json_t *req, char *err, size_t errlen)
{
	json_t *rep;

	if ((rep = s_call(t, req, err, errlen)) == NULL)
		return NULL;
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *e = json_string_value(json_object_get(rep, "error"));
		errf(err, errlen, "%s", e != NULL ? e : "the daemon refused the request");
		json_decref(rep);
		return NULL;
	}
	return rep;
}

/* s_ask() of a "changes" request after *after; when the daemon answers
 * that the cursor is lost ("code": "cursor-lost"), *after gets its
 * "resume" and the reply is {"ok": true} without messages (once: a
 * second loss is an error). */
static json_t *
s_ask_resume(struct taxii *t, json_t *req, uint64_t *after, char *err, size_t errlen)
{
	json_t *rep;

	if ((rep = s_call(t, req, err, errlen)) == NULL)
		return NULL;
	if (json_is_true(json_object_get(rep, "ok")))
		return rep;
	if (strcmp(s_str(rep, "code"), "cursor-lost") == 0 &&
	    json_is_integer(json_object_get(rep, "resume")) &&
	    (uint64_t)json_integer_value(json_object_get(rep, "resume")) != *after) {
		*after = (uint64_t)json_integer_value(json_object_get(rep, "resume"));
		json_decref(rep);
		return json_pack("{s:b}", "ok", 1);
	}
	errf(err, errlen, "%s", s_str(rep, "error"));
	json_decref(rep);
	return NULL;
}

/* A message of a control reply ({"message": base64, "received": ms})
 * as a msgjson object with "received" in RFC 3339, and its tlp, kind and
 * origin; NULL when it does not decode.  Sealed bodies addressed to this
 * node are opened. */
static json_t *
s_msgjson(struct taxii *t, const json_t *item)
{
	uint8_t *bytes, *plain = NULL;
	size_t len, plen = 0;
	char when[TIMEFMT_LEN];
	json_t *o = NULL, *r;
	struct msg *m = t->m;

	if ((bytes = control_unbase64(json_object_get(item, "message"), &len)) == NULL)
		return NULL;
	if (msg_decode(m, bytes, len, 0) == MSG_OK) {
		if (!m->has_body && t->n->keys != NULL &&
		    msg_open(m, t->n->id, t->n->keys->curve_pk, t->n->keys->curve_sk, &plain,
		        &plen) != MSG_OK &&
		    iocseal_open_old(t->n->dir, m, &plain, &plen) != MSG_OK)
			m->has_body = false;
		o = msgjson_new(m, t->n->trust);
		if (o != NULL && memcmp(m->origin, t->n->id, MSG_KEY_LEN) == 0)
			json_object_set_new(json_object_get(o, "origin"), "name",
			    json_string(t->n->cfg.name));
	}
	if (plain != NULL) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	free(bytes);
	if (o != NULL && json_is_integer(r = json_object_get(item, "received"))) {
		timefmt_format(when, (uint64_t)json_integer_value(r));
		json_object_set_new(o, "received", json_string(when));
	}
	return o;
}

/* Whether a msgjson object is of a kind that is exported (not whether
 * its body is there: stix_export_add() says). */
static bool
s_kind_exported(const json_t *mj)
{
	const char *k = s_str(mj, "kind");

	return strcmp(k, "incident") == 0 || strcmp(k, "update") == 0 ||
	    strcmp(k, "comment") == 0 || strcmp(k, "sighting") == 0 || strcmp(k, "retract") == 0;
}

/* Whether a msgjson object exports anything. */
static bool
s_exportable(const json_t *mj)
{
	struct stix_export *x;
	char err[256];
	bool ok;

	if (!s_kind_exported(mj) || (x = stix_export_new()) == NULL)
		return false;
	ok = stix_export_add(x, mj, err, sizeof err) == 0;
	stix_export_destroy(&x);
	return ok;
}

/* Adds the messages of a control reply's "messages" of TLP tlp to x. */
static void
s_add_messages(struct taxii *t, struct stix_export *x, const json_t *msgs, const char *tlp)
{
	char err[256];
	size_t i;
	json_t *it, *mj;

	json_array_foreach(msgs, i, it)
	{
		if ((mj = s_msgjson(t, it)) == NULL)
			continue;
		if (strcmp(s_str(mj, "tlp"), tlp) == 0)
			stix_export_add(x, mj, err, sizeof err);
		json_decref(mj);
	}
}

/* The report id of a message id (hex). */
static void
s_report_id(char out[80], const char *hex)
{
	char u[INTEROP_UUID_LEN + 1];

	interop_uuid(u, hex);
	snprintf(out, 80, "report--%s", u);
}

/* Adds to x the retracts of TLP tlp among the messages that refer to
 * case_hex (its thread, at most S_THREAD_PAGES pages). */
static void
s_add_retracts(struct taxii *t, struct stix_export *x, const char *case_hex, const char *tlp)
{
	char after[32] = "", err[256];
	json_t *rep, *it;
	size_t i;

	for (int page = 0; page < S_THREAD_PAGES; page++) {
		json_t *req = json_pack("{s:s,s:s}", "cmd", "thread", "id", case_hex);
		const char *next;

		if (after[0] != '\0')
			json_object_set_new(req, "after", json_string(after));
		if ((rep = s_ask(t, req, err, sizeof err)) == NULL)
			return;
		json_array_foreach(json_object_get(rep, "messages"), i, it)
		{
			json_t *mj = s_msgjson(t, it);
			if (mj != NULL && strcmp(s_str(mj, "kind"), "retract") == 0 &&
			    strcmp(s_str(mj, "tlp"), tlp) == 0)
				stix_export_add(x, mj, err, sizeof err);
			json_decref(mj);
		}
		next = json_string_value(json_object_get(rep, "next"));
		if (next == NULL || strlen(next) >= sizeof after) {
			json_decref(rep);
			return;
		}
		snprintf(after, sizeof after, "%s", next);
		json_decref(rep);
	}
}

/*
 * Adds to x what message mj's objects need: for an incident, its updates
 * (the later versions of its report); for an update or a retract, the
 * message it refers to and the incident and updates of its case; and the
 * retracts of the case when it is retracted (its revoked version).  Only
 * messages of the same TLP: a report version never mixes another TLP's
 * fields.  retracted: whether mj itself is.
 */
static void
s_add_context(struct taxii *t, struct stix_export *x, const json_t *mj, bool retracted)
{
	const char *kind = s_str(mj, "kind"), *tlp = s_str(mj, "tlp"), *case_hex;
	char rid[80], err[256];
	json_t *rep;

	if (strcmp(kind, "incident") == 0)
		case_hex = s_str(mj, "id");
	else if (strcmp(kind, "update") == 0 || strcmp(kind, "retract") == 0)
		case_hex = s_str(mj, "ref");
	else
		return;
	if (strlen(case_hex) != 2 * MSG_ID_LEN)
		return;
	s_report_id(rid, case_hex);
	if ((rep = s_ask(t, json_pack("{s:s,s:s,s:b}", "cmd", "stix", "id", rid, "all", 1), err,
	         sizeof err)) != NULL) {
		s_add_messages(t, x, json_object_get(rep, "messages"), tlp);
		json_decref(rep);
	}
	if (strcmp(kind, "incident") != 0) {
		if ((rep = s_ask(t, json_pack("{s:s,s:s}", "cmd", "get", "id", case_hex), err,
		         sizeof err)) == NULL)
			return;
		json_t *one = json_pack("[O]", rep);
		s_add_messages(t, x, one, tlp);
		retracted = json_is_true(json_object_get(rep, "retracted"));
		json_decref(one);
		json_decref(rep);
	}
	if (retracted)
		s_add_retracts(t, x, case_hex, tlp);
}

/* The version of a STIX object: modified, else created, else "". */
static const char *
s_version(const json_t *o)
{
	const char *v = json_string_value(json_object_get(o, "modified"));

	if (v == NULL)
		v = json_string_value(json_object_get(o, "created"));
	return v != NULL ? v : "";
}

/* Whether match[version] takes version v of an object whose versions in
 * the export run from first to last. */
static bool
s_version_ok(const struct taxii_query *q, const char *v, const char *first, const char *last)
{
	unsigned want = q->versions;
	uint64_t ms;
	size_t i;
	json_t *e;

	if (want == 0 && q->version_ts == NULL)
		want = TAXII_V_LAST;
	if ((want & TAXII_V_ALL) || ((want & TAXII_V_LAST) && strcmp(v, last) == 0) ||
	    ((want & TAXII_V_FIRST) && strcmp(v, first) == 0))
		return true;
	if (q->version_ts == NULL || taxii_time_parse(v, &ms) != 0)
		return false;
	json_array_foreach(q->version_ts, i, e)
	{
		if ((uint64_t)json_integer_value(e) == ms)
			return true;
	}
	return false;
}

/* The first and last version of object id among the export's entries. */
static void
s_span(const json_t *entries, const char *id, const char **first, const char **last)
{
	size_t i;
	json_t *e;

	*first = *last = NULL;
	json_array_foreach(entries, i, e)
	{
		const json_t *o = json_object_get(e, "object");
		const char *v = s_version(o);
		if (strcmp(s_str(o, "id"), id) != 0)
			continue;
		if (*first == NULL || strcmp(v, *first) < 0)
			*first = v;
		if (*last == NULL || strcmp(v, *last) > 0)
			*last = v;
	}
	if (*first == NULL)
		*first = *last = "";
}

/*
 * The cursor of the first message of collection tlp (and of origin, hex,
 * when not NULL) that is exported: where the shared objects come.  0 when
 * none is found within S_FIRST_PAGES pages.
 */
static uint64_t
s_first(struct taxii *t, int tlp, const char *origin)
{
	char key[160], err[256];
	uint64_t after = 0, found = 0;
	json_t *c;

	snprintf(key, sizeof key, "%s/%s", msg_tlp_name((enum msg_tlp)tlp),
	    origin != NULL ? origin : "");
	/* Retention may remove a first message: the cache is forgotten now
	 * and then, and found again. */
	if (now_ms() - t->firsts_since > S_FIRSTS_MS) {
		json_object_clear(t->firsts);
		t->firsts_since = now_ms();
	}
	if ((c = json_object_get(t->firsts, key)) != NULL)
		return (uint64_t)json_integer_value(c);
	for (int page = 0; page < S_FIRST_PAGES && found == 0; page++) {
		json_t *req = json_pack("{s:s,s:I,s:s,s:b}", "cmd", "changes", "after",
		    (json_int_t)after, "tlp", msg_tlp_name((enum msg_tlp)tlp), "all", 1);
		json_t *rep, *it;
		size_t i;
		uint64_t next, last;

		if (origin != NULL)
			json_object_set_new(req, "origin", json_string(origin));
		if ((rep = s_ask(t, req, err, sizeof err)) == NULL)
			return 0;
		json_array_foreach(json_object_get(rep, "messages"), i, it)
		{
			json_t *mj = s_msgjson(t, it);
			/* The origin filter takes the keys a rotation links too: the
			 * identity is of this one. */
			bool ok = mj != NULL && s_exportable(mj) &&
			    (origin == NULL ||
			        strcmp(s_str(json_object_get(mj, "origin"), "id"), origin) == 0);
			json_decref(mj);
			if (ok) {
				found = (uint64_t)json_integer_value(json_object_get(it, "cursor"));
				break;
			}
		}
		next = (uint64_t)json_integer_value(json_object_get(rep, "next"));
		last = (uint64_t)json_integer_value(json_object_get(rep, "last"));
		json_decref(rep);
		if (found != 0 || next >= last || next <= after)
			break;
		after = next;
	}
	if (found != 0) {
		if (json_object_size(t->firsts) > S_CACHE_MAX)
			json_object_clear(t->firsts);
		json_object_set_new(t->firsts, key, json_integer((json_int_t)found));
	}
	return found;
}

/*
 * Whether entry e of an export is brought by the message hex (of origin,
 * at cursor, ident its origin's identity) in collection tlp: as a shared
 * object when shared (the first message of the collection, or of the
 * origin for its identity), else as the message's own.
 */
static bool
s_brings(struct taxii *t, int tlp, const json_t *e, bool shared, const char *hex, const char *ident,
    const char *origin, uint64_t cursor)
{
	const json_t *o = json_object_get(e, "object");
	const char *from = json_string_value(json_object_get(e, "message"));

	if (!shared)
		return from != NULL && strcmp(from, hex) == 0;
	if (from != NULL)
		return false;
	if (strcmp(s_str(o, "type"), "identity") == 0)
		return strcmp(s_str(o, "id"), ident) == 0 && s_first(t, tlp, origin) == cursor;
	return s_first(t, tlp, NULL) == cursor;
}

/* The export of a control reply's message with its context
 * (s_add_context()), as stix_export_objects() gives it; *mj gets the
 * message's msgjson (both the caller's).  NULL when it exports nothing. */
static json_t *
s_export_item(struct taxii *t, const json_t *item, json_t **mj)
{
	struct stix_export *x = NULL;
	json_t *all = NULL;
	char err[256];

	if ((*mj = s_msgjson(t, item)) == NULL || !s_kind_exported(*mj) ||
	    (x = stix_export_new()) == NULL || stix_export_add(x, *mj, err, sizeof err) != 0) {
		stix_export_destroy(&x);
		return NULL;
	}
	s_add_context(t, x, *mj, json_is_true(json_object_get(item, "retracted")));
	all = stix_export_objects(x);
	stix_export_destroy(&x);
	return all;
}

/*
 * The objects a message of collection tlp brings, as [{"object", "added":
 * ms}] in a fixed order (the shared ones first), filtered by q: appended
 * to out.  item is a control reply's message.
 */
static void
s_message_objects(struct taxii *t, int tlp, const json_t *item, const struct taxii_query *q,
    json_t *out)
{
	uint64_t cursor = (uint64_t)json_integer_value(json_object_get(item, "cursor"));
	uint64_t received = (uint64_t)json_integer_value(json_object_get(item, "received"));
	json_t *mj = NULL, *all = NULL;
	const char *hex, *origin;
	char ident[80], u[INTEROP_UUID_LEN + 1], name[160];
	size_t i;
	json_t *e;

	if (q->has_added_after && received <= q->added_after)
		return;
	if ((all = s_export_item(t, item, &mj)) == NULL)
		goto out;
	hex = s_str(mj, "id");
	origin = s_str(json_object_get(mj, "origin"), "id");
	snprintf(name, sizeof name, "node/%s", origin);
	interop_uuid(u, name);
	snprintf(ident, sizeof ident, "identity--%s", u);
	/* The shared objects first, then the message's own. */
	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(all, i, e)
		{
			const json_t *o = json_object_get(e, "object");
			const char *id = s_str(o, "id"), *first, *last;

			if (!s_brings(t, tlp, e, pass == 0, hex, ident, origin, cursor) ||
			    !taxii_query_match(q, id, s_str(o, "type")))
				continue;
			s_span(all, id, &first, &last);
			if (!s_version_ok(q, s_version(o), first, last))
				continue;
			json_array_append_new(out,
			    json_pack("{s:O,s:I}", "object", o, "added", (json_int_t)received));
		}
	}
out:
	json_decref(all);
	json_decref(mj);
}

/* ---- pages ---------------------------------------------------------------- */

struct s_page {
	json_t *objects; /* [{"object", "added"}] */
	bool more;
	char next[48];
};

static uint64_t
s_added(const json_t *e)
{
	return (uint64_t)json_integer_value(json_object_get(e, "added"));
}

/*
 * A full page, object o (at skip j of the message after cursor prev)
 * the first left out: the page ends before the objects added at the same
 * time as o (unless they fill it), so that a client that resumes with
 * added_after = X-TAXII-Date-Added-Last misses none.
 */
static void
s_page_end(struct s_page *p, uint64_t prev, size_t j, const json_t *o)
{
	size_t n = json_array_size(p->objects), k = n;

	while (k > 0 && s_added(json_array_get(p->objects, k - 1)) == s_added(o))
		k--;
	p->more = true;
	if (k == 0 || k == n) {
		taxii_next_format(p->next, prev, j);
		return;
	}
	o = json_array_get(p->objects, k);
	taxii_next_format(p->next, (uint64_t)json_integer_value(json_object_get(o, "after")),
	    (size_t)json_integer_value(json_object_get(o, "skip")));
	while (json_array_size(p->objects) > k)
		json_array_remove(p->objects, json_array_size(p->objects) - 1);
}

/*
 * Walks collection tlp as q asks: at most q->limit objects into p, with
 * more and next.  0, or -1 with err set (the daemon did not answer).
 */
static int
s_walk(struct taxii *t, int tlp, const struct taxii_query *q, struct s_page *p, char *err,
    size_t errlen)
{
	uint64_t after = q->has_next ? q->next_after : 0, prev = after;
	size_t skip = q->has_next ? q->next_skip : 0, looked = 0;

	p->objects = json_array();
	p->more = false;
	for (;;) {
		json_t *req = json_pack("{s:s,s:I,s:s,s:b,s:i}", "cmd", "changes", "after",
		    (json_int_t)after, "tlp", msg_tlp_name((enum msg_tlp)tlp), "all", 1, "limit",
		    CONTROL_PAGE_ITEMS);
		json_t *rep, *it;
		uint64_t next, last;
		size_t i;

		if (q->has_added_after)
			json_object_set_new(req, "received_after",
			    json_integer((json_int_t)q->added_after));
		if ((rep = s_ask_resume(t, req, &after, err, errlen)) == NULL)
			return -1;
		if (json_object_get(rep, "messages") == NULL) {
			/* The cursor was lost (a restore): from where the store
			 * resumes, the objects of the first message all given. */
			json_decref(rep);
			prev = after, skip = 0;
			continue;
		}
		json_array_foreach(json_object_get(rep, "messages"), i, it)
		{
			json_t *objs = json_array();
			uint64_t cursor = (uint64_t)json_integer_value(
			    json_object_get(it, "cursor"));
			size_t j, n;

			s_message_objects(t, tlp, it, q, objs);
			n = json_array_size(objs);
			for (j = skip; j < n; j++) {
				json_t *o = json_array_get(objs, j);
				if (json_array_size(p->objects) == q->limit) {
					s_page_end(p, prev, j, o);
					json_decref(objs);
					json_decref(rep);
					return 0;
				}
				json_object_set_new(o, "after", json_integer((json_int_t)prev));
				json_object_set_new(o, "skip", json_integer((json_int_t)j));
				json_array_append(p->objects, o);
			}
			json_decref(objs);
			skip = 0;
			prev = cursor;
			if (++looked >= S_WALK_MAX) {
				p->more = true;
				taxii_next_format(p->next, prev, 0);
				json_decref(rep);
				return 0;
			}
		}
		next = (uint64_t)json_integer_value(json_object_get(rep, "next"));
		last = (uint64_t)json_integer_value(json_object_get(rep, "last"));
		json_decref(rep);
		if (next <= after || next >= last)
			return 0;
		/* Nothing taken after prev up to next: resume from there. */
		prev = after = next;
	}
}

/* Sets the X-TAXII-Date-Added headers of a page's objects. */
static void
s_added_headers(const json_t *objs, char first[TIMEFMT_LEN], char last[TIMEFMT_LEN])
{
	size_t n = json_array_size(objs);

	first[0] = last[0] = '\0';
	if (n == 0)
		return;
	timefmt_format(first,
	    (uint64_t)json_integer_value(json_object_get(json_array_get(objs, 0), "added")));
	timefmt_format(last,
	    (uint64_t)json_integer_value(json_object_get(json_array_get(objs, n - 1), "added")));
}

/* ---- the endpoints -------------------------------------------------------- */

/* The collection resource of c (S_INBOX or a TLP). */
static json_t *
s_collection(struct taxii *t, int c)
{
	char title[32], desc[160];

	if (c == S_INBOX)
		return json_pack("{s:s,s:s,s:s,s:b,s:b,s:[s]}", "id", t->inbox, "title", "Inbox",
		    "description",
		    "STIX 2.1 envelopes POSTed here are published by this node as its own messages",
		    "can_read", 0, "can_write", 1, "media_types", TAXII_STIX_MEDIA);
	snprintf(title, sizeof title, "TLP:%s", msg_tlp_name((enum msg_tlp)c));
	for (char *p = title; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(desc, sizeof desc, "The STIX 2.1 export of the %s messages this node holds",
	    title);
	return json_pack("{s:s,s:s,s:s,s:b,s:b,s:[s]}", "id", t->collections[c], "title", title,
	    "description", desc, "can_read", 1, "can_write", 0, "media_types", TAXII_STIX_MEDIA);
}

/* The collection named id for r's user: S_INBOX, a TLP, or -2 (none). */
static int
s_find_collection(struct taxii *t, const struct s_req *r, const char *id, size_t n)
{
	if (n == INTEROP_UUID_LEN && memcmp(id, t->inbox, n) == 0)
		return S_INBOX;
	for (int c = 0; c <= r->max_tlp && c < MSG_TLP_RED; c++)
		if (n == INTEROP_UUID_LEN && memcmp(id, t->collections[c], n) == 0)
			return c;
	return -2;
}

/* The URL of the API root, from the Host header when it is sane. */
static void
s_root_url(struct taxii *t, struct MHD_Connection *con, char *out, size_t len)
{
	const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
	bool ok = host != NULL && *host != '\0' && strlen(host) < 256;

	for (const char *p = host; ok && *p != '\0'; p++)
		ok = isalnum((unsigned char)*p) || strchr(".-:[]", *p) != NULL;
	if (ok)
		snprintf(out, len, "%s://%s/%s/", t->tls ? "https" : "http", host, TAXII_API_ROOT);
	else if (strchr(t->listen_host, ':') != NULL)
		snprintf(out, len, "%s://[%s]:%u/%s/", t->tls ? "https" : "http", t->listen_host,
		    t->port, TAXII_API_ROOT);
	else
		snprintf(out, len, "%s://%s:%u/%s/", t->tls ? "https" : "http", t->listen_host,
		    t->port, TAXII_API_ROOT);
}

struct s_params {
	struct taxii_query q;
	char err[256];
	bool bad;
};

static enum MHD_Result
s_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct s_params *sp = cls;

	(void)kind;
	if (!sp->bad && taxii_query_param(&sp->q, key, value, sp->err, sizeof sp->err) != 0)
		sp->bad = true;
	return MHD_YES;
}

/* GET objects (manifest: only the manifest records). */
static enum MHD_Result
s_get_objects(struct taxii *t, struct MHD_Connection *con, struct s_req *r, struct s_params *sp,
    bool manifest)
{
	char err[256], first[TIMEFMT_LEN], last[TIMEFMT_LEN];
	struct s_page p;
	json_t *body, *list;
	size_t i;
	json_t *e;

	if (s_walk(t, r->coll, &sp->q, &p, err, sizeof err) != 0) {
		json_decref(p.objects);
		return s_error(t, con, r, 503, "the node did not answer: %s", err);
	}
	list = json_array();
	json_array_foreach(p.objects, i, e)
	{
		const json_t *o = json_object_get(e, "object");
		char added[TIMEFMT_LEN];
		if (!manifest) {
			json_array_append(list, json_object_get(e, "object"));
			continue;
		}
		timefmt_format(added, (uint64_t)json_integer_value(json_object_get(e, "added")));
		json_array_append_new(list,
		    json_pack("{s:s,s:s,s:s,s:s}", "id", s_str(o, "id"), "date_added", added,
		        "version", *s_version(o) != '\0' ? s_version(o) : added, "media_type",
		        TAXII_STIX_MEDIA));
	}
	/* The manifest gets "next" too, as the OASIS reference server and
	 * client page it; a client may resume with added_after instead, which
	 * the page's end allows (s_page_end()). */
	body = json_pack("{s:b}", "more", p.more);
	if (p.more)
		json_object_set_new(body, "next", json_string(p.next));
	if (json_array_size(list) > 0)
		json_object_set_new(body, "objects", list);
	else
		json_decref(list);
	s_added_headers(p.objects, first, last);
	json_decref(p.objects);
	return s_send(t, con, r, 200, body, *first ? "X-TAXII-Date-Added-First" : NULL, first,
	    *last ? "X-TAXII-Date-Added-Last" : NULL, last);
}

static int
s_cmp_version(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;

	return strcmp(s_version(json_object_get(x, "object")),
	    s_version(json_object_get(y, "object")));
}

/* Sorts [{"object"}] by version, each version once. */
static void
s_sort_versions(json_t *arr)
{
	size_t n = json_array_size(arr), k = 0;
	json_t **v;

	if (n < 2 || (v = calloc(n, sizeof *v)) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof *v, s_cmp_version);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++) {
		json_t *last = k > 0 ? json_array_get(arr, k - 1) : NULL;
		if (last != NULL && s_cmp_version(&v[i], &last) == 0)
			json_decref(v[i]);
		else {
			json_array_append_new(arr, v[i]);
			k++;
		}
	}
	free(v);
}

/*
 * The cursor of the message of collection tlp that brings shared object
 * id (s_brings()): the first of the collection for the TLP marking and
 * extension definitions, the first of its SOC for an identity (the SOCs
 * the node holds messages of: "sources").  0 when none does.
 */
static uint64_t
s_shared_at(struct taxii *t, int tlp, const char *id)
{
	char name[160], u[INTEROP_UUID_LEN + 1], err[256];
	uint64_t at = 0;
	json_t *rep, *src;
	size_t i;

	if (strncmp(id, "marking-definition--", 20) == 0 ||
	    strncmp(id, "extension-definition--", 22) == 0)
		return s_first(t, tlp, NULL);
	if (strncmp(id, "identity--", 10) != 0 ||
	    (rep = s_ask(t, json_pack("{s:s}", "cmd", "sources"), err, sizeof err)) == NULL)
		return 0;
	json_array_foreach(json_object_get(rep, "sources"), i, src)
	{
		const char *origin = s_str(src, "id");
		snprintf(name, sizeof name, "node/%s", origin);
		interop_uuid(u, name);
		if (strcmp(id + 10, u) == 0) {
			at = s_first(t, tlp, origin);
			break;
		}
	}
	json_decref(rep);
	return at;
}

/*
 * The versions of one object of collection r->coll, as [{"object",
 * "added"}] oldest first, unfiltered but for added_after and
 * match[spec_version]: from the messages the daemon finds by its id.  -1 when the daemon
 * did not answer.
 */
static int
s_object_versions(struct taxii *t, struct s_req *r, const char *id, const struct taxii_query *q,
    json_t *out, char *err, size_t errlen)
{
	json_t *rep, *msgs, *it;
	size_t i;

	uint64_t at;

	/* The daemon finds every object a message is exported as by its UUID
	 * (KS_STIX, daemon/keyspace.h), a report's versions too; a shared
	 * object comes with the first message of the collection that brings
	 * it. */
	if ((rep = s_ask(t, json_pack("{s:s,s:s,s:b}", "cmd", "stix", "id", id, "all", 1), err,
	         errlen)) == NULL &&
	    t->cc == NULL)
		return -1;
	msgs = json_incref(json_object_get(rep, "messages"));
	if (json_array_size(msgs) == 0 && (at = s_shared_at(t, r->coll, id)) != 0) {
		json_decref(rep);
		json_decref(msgs);
		if ((rep = s_ask(t,
		         json_pack("{s:s,s:I,s:i,s:s,s:b}", "cmd", "changes", "after",
		             (json_int_t)(at - 1), "limit", 1, "tlp",
		             msg_tlp_name((enum msg_tlp)r->coll), "all", 1),
		         err, errlen)) == NULL &&
		    t->cc == NULL)
			return -1;
		msgs = json_incref(json_object_get(rep, "messages"));
	}
	json_array_foreach(msgs, i, it)
	{
		json_t *mj = NULL, *ex = s_export_item(t, it, &mj), *e;
		uint64_t received = (uint64_t)json_integer_value(json_object_get(it, "received"));
		size_t k;

		if (ex == NULL ||
		    strcmp(s_str(mj, "tlp"), msg_tlp_name((enum msg_tlp)r->coll)) != 0 ||
		    (q->has_spec && !q->spec_21)) {
			json_decref(ex);
			json_decref(mj);
			continue;
		}
		json_array_foreach(ex, k, e)
		{
			const json_t *o = json_object_get(e, "object");
			const char *when = json_string_value(json_object_get(e, "received"));
			uint64_t added = received;

			if (strcmp(s_str(o, "id"), id) != 0)
				continue;
			/* A version's date added is its own message's receipt. */
			if (when != NULL && timefmt_parse(when, 0, &added) != 0)
				added = received;
			if (q->has_added_after && added <= q->added_after)
				continue;
			json_array_append_new(out,
			    json_pack("{s:O,s:I}", "object", o, "added", (json_int_t)added));
		}
		json_decref(ex);
		json_decref(mj);
	}
	json_decref(msgs);
	json_decref(rep);
	/* Oldest version first; each version once. */
	s_sort_versions(out);
	return 0;
}

/* GET an object (versions: only their list). */
static enum MHD_Result
s_get_object(struct taxii *t, struct MHD_Connection *con, struct s_req *r, struct s_params *sp,
    const char *id, bool versions)
{
	json_t *vs = json_array(), *sel = json_array(), *body, *list;
	char err[256], first[TIMEFMT_LEN], last[TIMEFMT_LEN];
	const char *v0, *vn;
	size_t i, n, skip;
	json_t *e;

	if (s_object_versions(t, r, id, &sp->q, vs, err, sizeof err) != 0) {
		json_decref(vs);
		json_decref(sel);
		return s_error(t, con, r, 503, "the node did not answer: %s", err);
	}
	if ((n = json_array_size(vs)) == 0) {
		json_decref(vs);
		json_decref(sel);
		return s_error(t, con, r, 404, "no object %s in this collection", id);
	}
	v0 = s_version(json_object_get(json_array_get(vs, 0), "object"));
	vn = s_version(json_object_get(json_array_get(vs, n - 1), "object"));
	json_array_foreach(vs, i, e)
	{
		if (versions ||
		    s_version_ok(&sp->q, s_version(json_object_get(e, "object")), v0, vn))
			json_array_append(sel, e);
	}
	json_decref(vs);
	skip = sp->q.has_next ? sp->q.next_skip : 0;
	n = json_array_size(sel);
	list = json_array();
	body = json_object();
	for (i = skip; i < n && i < skip + sp->q.limit; i++) {
		const json_t *o = json_object_get(json_array_get(sel, i), "object");
		json_array_append_new(list,
		    versions ? json_string(s_version(o)) : json_deep_copy(o));
	}
	json_object_set_new(body, "more", json_boolean(i < n));
	if (i < n) {
		char next[48];
		taxii_next_format(next, 0, i);
		json_object_set_new(body, "next", json_string(next));
	}
	if (json_array_size(list) > 0)
		json_object_set_new(body, versions ? "versions" : "objects", list);
	else
		json_decref(list);
	{
		json_t *page = json_array();
		for (size_t k = skip; k < i; k++)
			json_array_append(page, json_array_get(sel, k));
		s_added_headers(page, first, last);
		json_decref(page);
	}
	json_decref(sel);
	return s_send(t, con, r, 200, body, *first ? "X-TAXII-Date-Added-First" : NULL, first,
	    *last ? "X-TAXII-Date-Added-Last" : NULL, last);
}

/* A random UUIDv4, for a status. */
static void
s_uuid4(char out[INTEROP_UUID_LEN + 1])
{
	uint8_t d[16];

	randombytes_buf(d, sizeof d);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x40);
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
	interop_uuid_text(out, d);
}

/* The first published id of results for object id, and its result. */
static const json_t *
s_result_of(const json_t *results, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(results, i, e)
	{
		if (strcmp(s_str(e, "object"), id) == 0)
			return e;
	}
	return NULL;
}

/* what, then "; left out: " and the warnings, into buf. */
static void
s_with_warnings(char *buf, size_t len, const char *what, const json_t *warnings)
{
	size_t i, n;
	json_t *w;

	snprintf(buf, len, "%s", what);
	json_array_foreach(warnings, i, w)
	{
		n = strlen(buf);
		if (!json_is_string(w) || n + 4 >= len)
			break;
		snprintf(buf + n, len - n, "%s%s", i == 0 ? "; left out: " : "; ",
		    json_string_value(w));
	}
}

/* POST of an envelope to the inbox. */
static enum MHD_Result
s_post(struct taxii *t, struct MHD_Connection *con, struct s_req *r)
{
	struct interop_opts o = { .tlp = -1 };
	json_t *items = NULL, *report = NULL, *results = NULL, *doc, *st, *succ, *fail;
	char err[512], now[TIMEFMT_LEN], sid[INTEROP_UUID_LEN + 1];
	json_error_t jerr;
	size_t i, nok = 0, nfail = 0, total;
	json_t *e;

	if (r->too_large)
		return s_error(t, con, r, 413, "the body is larger than %d bytes", TAXII_MAX_BODY);
	timefmt_format(now, now_ms());
	if ((doc = json_loadb(r->body != NULL ? r->body : "", r->len, JSON_REJECT_DUPLICATES,
	         &jerr)) == NULL)
		return s_error(t, con, r, 400, "not JSON: %s at line %d, column %d", jerr.text,
		    jerr.line, jerr.column);
	if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "objects"))) {
		json_decref(doc);
		return s_error(t, con, r, 400, "not a TAXII envelope: an object with \"objects\"");
	}
	if (stix_import_buf(r->body, r->len, &o, &items, &report, err, sizeof err) != 0) {
		json_decref(doc);
		return s_error(t, con, r, 422, "%s", err);
	}
	results = json_array();
	if ((t->cc == NULL && (t->cc = control_connect(t->dir, err, sizeof err)) == NULL) ||
	    interop_publish(t->cc, items, results, err, sizeof err) < 0) {
		control_disconnect(&t->cc);
		json_decref(doc);
		json_decref(items);
		json_decref(report);
		json_decref(results);
		return s_error(t, con, r, 503, "the node did not answer: %s", err);
	}
	succ = json_array();
	fail = json_array();
	total = json_array_size(json_object_get(doc, "objects"));
	json_array_foreach(json_object_get(doc, "objects"), i, e)
	{
		const char *id = s_str(e, "id"), *v = s_version(e);
		const json_t *res = s_result_of(results, id), *rep = s_result_of(report, id);
		const char *what = res != NULL ? s_str(res, "result") : NULL;
		json_t *d;

		if (*v == '\0')
			v = now;
		if (res != NULL && strcmp(what, "refused") != 0) {
			char msg[600];
			s_with_warnings(msg, sizeof msg, what, json_object_get(res, "warnings"));
			d = json_pack("{s:s,s:s,s:s}", "id", id, "version", v, "message", msg);
			json_array_append_new(succ, d);
			nok++;
		} else if (res != NULL || rep != NULL || *id == '\0') {
			char msg[600];
			snprintf(msg, sizeof msg, "%s: %s",
			    res != NULL ? "refused" : s_str(rep, "result"),
			    res != NULL       ? s_str(res, "reason")
			        : rep != NULL ? s_str(rep, "reason")
			                      : "no id");
			json_array_append_new(fail,
			    json_pack("{s:s,s:s,s:s}", "id", *id ? id : "(none)", "version", v,
			        "message", msg));
			nfail++;
		} else {
			json_array_append_new(succ,
			    json_pack("{s:s,s:s,s:s}", "id", id, "version", v, "message",
			        "imported with the objects that refer to it"));
			nok++;
		}
	}
	s_uuid4(sid);
	st = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "id", sid, "status", "complete",
	    "request_timestamp", now, "total_count", (json_int_t)total, "success_count",
	    (json_int_t)nok, "failure_count", (json_int_t)nfail, "pending_count", (json_int_t)0);
	if (nok > 0)
		json_object_set(st, "successes", succ);
	if (nfail > 0)
		json_object_set(st, "failures", fail);
	json_decref(succ);
	json_decref(fail);
	if (json_array_size(t->statuses) >= TAXII_STATUSES)
		json_array_remove(t->statuses, 0);
	json_array_append_new(t->statuses, json_pack("{s:s,s:O}", "user", r->user, "status", st));
	log_info("taxii: %s posted %zu objects: %zu imported, %zu not", r->user, total, nok, nfail);
	json_decref(doc);
	json_decref(items);
	json_decref(report);
	json_decref(results);
	return s_send(t, con, r, 202, st, NULL, NULL, NULL, NULL);
}

static enum MHD_Result
s_get_status(struct taxii *t, struct MHD_Connection *con, struct s_req *r, const char *id, size_t n)
{
	size_t i;
	json_t *e;

	json_array_foreach(t->statuses, i, e)
	{
		const json_t *st = json_object_get(e, "status");
		const char *sid = s_str(st, "id");
		if (strlen(sid) == n && memcmp(sid, id, n) == 0 &&
		    strcmp(s_str(e, "user"), r->user) == 0)
			return s_send(t, con, r, 200, json_incref((json_t *)st), NULL, NULL, NULL,
			    NULL);
	}
	return s_error(t, con, r, 404, "no status %.*s", (int)(n < 64 ? n : 64), id);
}

/* ---- routing -------------------------------------------------------------- */

/* The path's segments between slashes: at most 8; -1 when the path does
 * not end with "/" or holds an empty segment. */
static int
s_split(const char *url, const char *seg[8], size_t len[8])
{
	const char *p = url;
	int n = 0;

	if (*p != '/')
		return -1;
	p++;
	while (*p != '\0') {
		const char *s = strchr(p, '/');
		if (s == NULL || s == p || n == 8)
			return -1;
		seg[n] = p;
		len[n++] = (size_t)(s - p);
		p = s + 1;
	}
	return n;
}

static bool
s_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* Which endpoint a path is, and the segments that name things. */
static enum s_endpoint
s_route(const char *url, bool post, const char **coll, size_t *clen, const char **obj, size_t *olen)
{
	const char *seg[8];
	size_t len[8];
	int n = s_split(url, seg, len);

	*coll = *obj = NULL;
	*clen = *olen = 0;
	if (n == 1 && s_is(seg[0], len[0], "taxii2"))
		return E_DISCOVERY;
	if (n < 1 || !s_is(seg[0], len[0], TAXII_API_ROOT))
		return E_OTHER;
	if (n == 1)
		return E_API_ROOT;
	if (n == 3 && s_is(seg[1], len[1], "status")) {
		*obj = seg[2], *olen = len[2];
		return E_STATUS;
	}
	if (!s_is(seg[1], len[1], "collections"))
		return E_OTHER;
	if (n == 2)
		return E_COLLECTIONS;
	*coll = seg[2], *clen = len[2];
	if (n == 3)
		return E_COLLECTION;
	if (n == 4 && s_is(seg[3], len[3], "objects"))
		return post ? E_POST : E_OBJECTS;
	if (n == 4 && s_is(seg[3], len[3], "manifest"))
		return E_MANIFEST;
	if (n >= 5 && s_is(seg[3], len[3], "objects") && len[4] < 300) {
		*obj = seg[4], *olen = len[4];
		if (n == 5)
			return E_OBJECT;
		if (n == 6 && s_is(seg[5], len[5], "versions"))
			return E_VERSIONS;
	}
	return E_OTHER;
}

static void
s_completed(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct s_req *r = *con_cls;

	(void)cls, (void)con, (void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

/* The first call of a request: route, authenticate, negotiate.  A GET is
 * answered now; a POST reads its body first. */
static enum MHD_Result
s_begin(struct taxii *t, struct MHD_Connection *con, struct s_req *r, const char *url,
    const char *method)
{
	const char *coll, *obj, *cl;
	size_t clen, olen;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	char root[400], id[320];
	struct s_params sp;
	enum MHD_Result rc;

	r->ep = s_route(url, post, &coll, &clen, &obj, &olen);
	if (s_auth(t, con, r) != 0)
		return s_error(t, con, r, 401, "authentication required (HTTP Basic)");
	if (!s_budget(t, r->user))
		return s_error(t, con, r, 429, "more than %d requests a second: slow down", S_RATE);
	if (!taxii_accepts(MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Accept")))
		return s_error(t, con, r, 406, "this server speaks %s", TAXII_MEDIA);
	if (r->ep == E_OTHER)
		return s_error(t, con, r, 404, "no such endpoint");
	if (!get && !(post && r->ep == E_POST))
		return s_error(t, con, r, 405, "%s is not allowed here", method);
	if (coll != NULL && (r->coll = s_find_collection(t, r, coll, clen)) == -2)
		return s_error(t, con, r, 404, "no such collection");
	if (r->ep == E_POST) {
		if (r->coll != S_INBOX)
			return s_error(t, con, r, 403,
			    "this collection is read-only: POST to the inbox");
		if (!taxii_content_type_ok(
		        MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type")))
			return s_error(t, con, r, 415, "the body must be %s", TAXII_MEDIA);
		cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL && (strlen(cl) > 12 || strtoull(cl, NULL, 10) > TAXII_MAX_BODY))
			return s_error(t, con, r, 413, "the body is larger than %d bytes",
			    TAXII_MAX_BODY);
		return MHD_YES; /* the body comes */
	}
	if ((r->ep == E_OBJECTS || r->ep == E_OBJECT || r->ep == E_VERSIONS ||
	        r->ep == E_MANIFEST) &&
	    r->coll == S_INBOX)
		return s_error(t, con, r, 403, "the inbox is write-only");
	memset(&sp, 0, sizeof sp);
	taxii_query_init(&sp.q);
	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, s_param, &sp);
	if (sp.bad) {
		taxii_query_free(&sp.q);
		return s_error(t, con, r, 400, "%s", sp.err);
	}
	switch (r->ep) {
	case E_DISCOVERY:
		s_root_url(t, con, root, sizeof root);
		rc = s_send(t, con, r, 200,
		    json_pack("{s:s,s:s,s:s,s:[s]}", "title", "socmesh TAXII 2.1 server",
		        "description", "The STIX 2.1 export of a socmesh node, by TLP", "default",
		        root, "api_roots", root),
		    NULL, NULL, NULL, NULL);
		break;
	case E_API_ROOT:
		rc = s_send(t, con, r, 200,
		    json_pack("{s:s,s:s,s:[s],s:i}", "title", "socmesh", "description",
		        "One collection per TLP the user may read (TLP:RED never), and an inbox",
		        "versions", TAXII_MEDIA, "max_content_length", TAXII_MAX_BODY),
		    NULL, NULL, NULL, NULL);
		break;
	case E_COLLECTIONS: {
		json_t *list = json_array();
		for (int c = 0; c <= r->max_tlp && c < MSG_TLP_RED; c++)
			json_array_append_new(list, s_collection(t, c));
		json_array_append_new(list, s_collection(t, S_INBOX));
		rc = s_send(t, con, r, 200, json_pack("{s:o}", "collections", list), NULL, NULL,
		    NULL, NULL);
		break;
	}
	case E_COLLECTION:
		rc = s_send(t, con, r, 200, s_collection(t, r->coll), NULL, NULL, NULL, NULL);
		break;
	case E_OBJECTS:
	case E_MANIFEST:
		rc = s_get_objects(t, con, r, &sp, r->ep == E_MANIFEST);
		break;
	case E_OBJECT:
	case E_VERSIONS:
		snprintf(id, sizeof id, "%.*s", (int)olen, obj);
		rc = s_get_object(t, con, r, &sp, id, r->ep == E_VERSIONS);
		break;
	case E_STATUS:
		rc = s_get_status(t, con, r, obj, olen);
		break;
	default:
		rc = s_error(t, con, r, 404, "no such endpoint");
		break;
	}
	taxii_query_free(&sp.q);
	return rc;
}

static enum MHD_Result
s_access(void *cls, struct MHD_Connection *con, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct taxii *t = cls;
	struct s_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof *r)) == NULL)
			return MHD_NO;
		*con_cls = r;
		return s_begin(t, con, r, url, method);
	}
	if (r->answered) {
		*upload_data_size = 0; /* the rest of a refused body is dropped */
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		if (r->too_large || r->len + n > TAXII_MAX_BODY) {
			r->too_large = true;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
		} else {
			if (r->len + n > r->cap) {
				size_t cap = r->cap == 0 ? 65536 : r->cap;
				char *b;
				while (cap < r->len + n)
					cap *= 2;
				if (cap > TAXII_MAX_BODY)
					cap = TAXII_MAX_BODY;
				if ((b = realloc(r->body, cap)) == NULL)
					return MHD_NO;
				r->body = b, r->cap = cap;
			}
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
		}
		*upload_data_size = 0;
		/* A body without Content-Length that grows too large is read
		 * and dropped, to answer 413 at its end (libmicrohttpd queues no
		 * response during an upload); far beyond, the connection is
		 * closed instead. */
		r->seen += n;
		return r->seen > S_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	return s_post(t, con, r);
}

static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("taxii: %s", line);
}

/* ---- start, stop, stats --------------------------------------------------- */

/* A PEM file (relative to dir) into *out; a private key that others
 * may read is used, with a warning. */
static int
s_pem(const char *dir, const char *file, bool secret, char **out, char *err, size_t errlen)
{
	char path[PATH_MAX + 256];
	struct stat st;
	size_t len;

	if (file[0] == '/')
		snprintf(path, sizeof path, "%s", file);
	else
		snprintf(path, sizeof path, "%s/%s", dir, file);
	if (file_read_all(path, 1 << 20, out, &len) != 0)
		return errf(err, errlen, "[taxii] %s: %s", path, strerror(errno));
	if (secret && stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		log_warnx("taxii: %s is readable by others (mode %03o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

int
taxii_start(struct taxii **tp, const char *dir, const struct config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct taxii *t;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	bool lo;
	char e[256];

	*tp = NULL;
	if (cfg->taxii_listen[0] == '\0')
		return 0;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return errf(err, errlen, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	snprintf(t->dir, sizeof t->dir, "%s", dir);
	snprintf(t->users_path, sizeof t->users_path, "%s/%s", dir, TAXII_USERS_FILE);
	t->users_st.st_size = -1; /* read at the first request */
	if (config_taxii_listen(cfg->taxii_listen, &t->tls, t->listen_host, sizeof t->listen_host,
	        &t->port, &lo, e, sizeof e) != 0) {
		errf(err, errlen, "%s", e);
		goto fail;
	}
	if (t->tls &&
	    (s_pem(dir, cfg->taxii_cert, false, &t->cert, err, errlen) != 0 ||
	        s_pem(dir, cfg->taxii_key, true, &t->key, err, errlen) != 0))
		goto fail;
	if ((t->n = node_open(dir, NODE_KEYS, e, sizeof e)) == NULL) {
		errf(err, errlen, "taxii: %s", e);
		goto fail;
	}
	if ((t->m = msg_new()) == NULL || (t->auth_ok = json_object()) == NULL ||
	    (t->failed = json_object()) == NULL || (t->budgets = json_object()) == NULL ||
	    (t->firsts = json_object()) == NULL || (t->statuses = json_array()) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	randombytes_buf(t->auth_key, sizeof t->auth_key);
	for (int c = 0; c < MSG_TLP_COUNT; c++) {
		char name[64];
		snprintf(name, sizeof name, "collection/%s", msg_tlp_name((enum msg_tlp)c));
		interop_uuid(t->collections[c], name);
	}
	interop_uuid(t->inbox, "collection/inbox");

	memset(&ss, 0, sizeof ss);
	if (strchr(t->listen_host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)t->port);
		inet_pton(AF_INET6, t->listen_host, &s6->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)t->port);
		inet_pton(AF_INET, t->listen_host, &s4->sin_addr);
	}
	if (t->tls)
		flags |= MHD_USE_TLS;
	t->mhd = MHD_start_daemon(flags, (uint16_t)t->port, NULL, NULL, s_access, t,
	    MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, t, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)S_CONN_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)S_PER_IP_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)S_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, s_completed, t,
	    t->tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END, S_TLS_PRIORITIES,
	    MHD_OPTION_HTTPS_MEM_KEY, t->key, MHD_OPTION_HTTPS_MEM_CERT, t->cert, MHD_OPTION_END);
	if (t->mhd == NULL) {
		errf(err, errlen,
		    "[taxii] cannot serve %s (address in use, or a bad certificate or key?)",
		    cfg->taxii_listen);
		goto fail;
	}
	log_info("taxii: serving TAXII 2.1 on %s", cfg->taxii_listen);
	*tp = t;
	return 0;
fail:
	taxii_stop(&t);
	return -1;
}

void
taxii_stop(struct taxii **tp)
{
	struct taxii *t = *tp;

	if (t == NULL)
		return;
	if (t->mhd != NULL)
		MHD_stop_daemon(t->mhd);
	control_disconnect(&t->cc);
	node_close(&t->n);
	msg_destroy(&t->m);
	taxii_users_free(&t->users);
	json_decref(t->auth_ok);
	json_decref(t->failed);
	json_decref(t->budgets);
	json_decref(t->firsts);
	json_decref(t->statuses);
	if (t->key != NULL) {
		sodium_memzero(t->key, strlen(t->key));
		free(t->key);
	}
	free(t->cert);
	sodium_memzero(t->auth_key, sizeof t->auth_key);
	pthread_mutex_destroy(&t->lock);
	free(t);
	*tp = NULL;
}

json_t *
taxii_stats(struct taxii *t)
{
	json_t *o, *list;
	char code[16];

	if (t == NULL || (list = json_array()) == NULL)
		return NULL;
	pthread_mutex_lock(&t->lock);
	for (int e = 0; e < E_COUNT; e++)
		for (size_t i = 0; i <= S_NCODES; i++) {
			if (t->counts[e][i] == 0)
				continue;
			if (i < S_NCODES)
				snprintf(code, sizeof code, "%u", s_codes[i]);
			else
				snprintf(code, sizeof code, "other");
			json_array_append_new(list,
			    json_pack("{s:s,s:s,s:I}", "endpoint", s_endpoint_names[e], "status",
			        code, "count", (json_int_t)t->counts[e][i]));
		}
	o = json_pack("{s:o,s:I}", "requests", list, "users", (json_int_t)t->nusers);
	pthread_mutex_unlock(&t->lock);
	return o;
}

void
taxii_prometheus(const json_t *stats, FILE *out)
{
	size_t i;
	json_t *e;

	if (!json_is_object(stats))
		return;
	fprintf(out,
	    "# HELP socmesh_taxii_requests_total TAXII requests answered, by endpoint and "
	    "HTTP status.\n# TYPE socmesh_taxii_requests_total counter\n");
	json_array_foreach(json_object_get(stats, "requests"), i, e)
	{
		fprintf(out, "socmesh_taxii_requests_total{endpoint=\"%s\",status=\"%s\"} %lld\n",
		    s_str(e, "endpoint"), s_str(e, "status"),
		    (long long)json_integer_value(json_object_get(e, "count")));
	}
	fprintf(out,
	    "# HELP socmesh_taxii_users TAXII users in taxii.users.\n"
	    "# TYPE socmesh_taxii_users gauge\nsocmesh_taxii_users %lld\n",
	    (long long)json_integer_value(json_object_get(stats, "users")));
}
