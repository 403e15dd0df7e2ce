#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "looplag.h"
#include "util.h"

struct control {
	struct node *n;
	struct gossip *g;
	zloop_t *loop;
	zsock_t *rep;
	struct looplag *lag;
	uint64_t started;
	char path[PATH_MAX + 64];
};

int
control_path(char *out, size_t len, const char *dir)
{
	int n = snprintf(out, len, "%s/%s", dir, CONFIG_CONTROL_SOCKET);
	return (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		       ? -1
		       : 0;
}

static json_t *__attribute__((format(printf, 1, 2)))
s_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", buf);
}

/* What a draft would default silently is asked for instead: a TLP taken
 * by mistake is a leak, a category or severity a false alarm.  (The CLI
 * fills in the TLP of a message with a reference from the one it refers
 * to; a client of this socket names it.) */
static int
s_required(json_t *o, char *err, size_t errlen)
{
	static const char *const report[] = { "title", "category", "severity" };
	const char *kind = json_string_value(json_object_get(o, "kind"));

	/* A null counts as absent: the draft skips nulls. */
	if (!json_is_string(json_object_get(o, "tlp")))
		return errf(err, errlen, "tlp is required (clear, green, amber, amber+strict or red)");
	if (kind != NULL && strcmp(kind, "incident") != 0 && strcmp(kind, "update") != 0)
		return 0;
	for (size_t i = 0; i < sizeof report / sizeof report[0]; i++)
		if (!json_is_string(json_object_get(o, report[i])))
			return errf(err, errlen, "%s is required for an %s", report[i],
				kind != NULL ? kind : "incident");
	return 0;
}

static json_t *
s_publish(struct control *c, json_t *req)
{
	json_t *o = json_object_get(req, "message");
	struct draft *d = draft_new();
	uint8_t id[MSG_ID_LEN], *bytes = NULL;
	char err[512], hex[2 * MSG_ID_LEN + 1];
	size_t len;
	json_t *rep;

	if (d == NULL)
		return s_error("%s", "out of memory");
	/* A message is dated and numbered when it is published here: a query
	 * line published again is a new message, not a back-dated one. */
	json_object_del(o, "time");
	json_object_del(o, "seq");
	if (draft_from_json(d, o, node_resolve, c->n, err, sizeof err) == -1 ||
	    s_required(o, err, sizeof err) == -1)
		rep = s_error("%s", err);
	else if (msg_tlp_addressed(draft_msg(d)->tlp) && draft_msg(d)->nto == 0)
		rep = s_error("TLP:%s needs at least one recipient", msg_tlp_name(draft_msg(d)->tlp));
	else if (node_publish(c->n, d, id, &bytes, &len, err, sizeof err) == -1)
		rep = s_error("%s", err);
	else {
		gossip_push(c->g, bytes, len, NULL);
		hex_encode(hex, id, sizeof id);
		rep = json_pack("{s:b,s:s}", "ok", 1, "id", hex);
	}
	free(bytes);
	draft_destroy(&d);
	return rep;
}

static json_t *
s_reload(struct control *c)
{
	char path[PATH_MAX + 64], err[512];
	struct trust *t = trust_new();

	node_path(c->n, path, sizeof path, TRUST_FILE);
	if (t == NULL)
		return s_error("%s", "out of memory");
	if (trust_load(t, path, err, sizeof err) == -1) {
		trust_destroy(&t);
		return s_error("%s", err);
	}
	trust_destroy(&c->n->trust);
	c->n->trust = t;
	gossip_trust_changed(c->g);
	log_info("trust list reloaded (%zu peers)", trust_count(t));
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
		return s_error("%s", "the store cannot be read");
	}
	for (int i = 0; i < MSG_TLP_COUNT; i++) {
		json_object_set_new(tlp, msg_tlp_name((enum msg_tlp)i), json_integer((json_int_t)k.tlp[i]));
		total += k.tlp[i];
	}
	for (int i = 0; i < MSG_KIND_COUNT; i++)
		json_object_set_new(kind, msg_kind_name((enum msg_kind)i),
			json_integer((json_int_t)k.kind[i]));
	char hex[2 * MSG_KEY_LEN + 1];
	uint64_t lag99, lagmax;
	hex_encode(hex, c->n->id, MSG_KEY_LEN);
	looplag_get(c->lag, &lag99, &lagmax);
	return json_pack("{s:b,s:{s:s,s:s,s:I,s:o,s:o,s:o,s:I,s:I,s:I,s:f,s:f}}", "ok", 1, "stats",
		"name", c->n->cfg.name, "id", hex, "messages", (json_int_t)total, "by_tlp", tlp,
		"by_kind", kind, "by_origin", o.by, "store_used_bytes", (json_int_t)ss.used_bytes,
		"store_size_limit", (json_int_t)ss.map_size, "uptime_s",
		(json_int_t)((now_ms() - c->started) / 1000), "loop_lag_p99_ms", (double)lag99 / 1000,
		"loop_lag_max_ms", (double)lagmax / 1000);
}

static json_t *
s_dispatch(struct control *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char hex[2 * MSG_KEY_LEN + 1];
	uint8_t id[MSG_ID_LEN];

	if (cmd == NULL)
		return s_error("%s", "request without \"cmd\"");
	if (strcmp(cmd, "ping") == 0) {
		hex_encode(hex, c->n->id, MSG_KEY_LEN);
		return json_pack("{s:b,s:s,s:s}", "ok", 1, "name", c->n->cfg.name, "id", hex);
	}
	if (strcmp(cmd, "publish") == 0)
		return s_publish(c, req);
	if (strcmp(cmd, "peers") == 0)
		return json_pack("{s:b,s:o}", "ok", 1, "peers", gossip_peers_json(c->g));
	if (strcmp(cmd, "reload") == 0)
		return s_reload(c);
	if (strcmp(cmd, "stats") == 0)
		return s_stats(c);
	if (strcmp(cmd, "explain") == 0) {
		const char *s = json_string_value(json_object_get(req, "id"));
		json_t *a;
		if (s == NULL || id_parse(id, s) == -1)
			return s_error("%s", "\"id\" is not a message id");
		if ((a = gossip_explain_json(c->g, id)) == NULL)
			return s_error("no message %s here", s);
		return json_pack("{s:b,s:o}", "ok", 1, "explain", a);
	}
	return s_error("unknown command '%s'", cmd);
}

static int
s_readable(zloop_t *loop, zsock_t *sock, void *arg)
{
	struct control *c = arg;
	char *text = zstr_recv(sock), *out;
	json_t *req, *rep;

	(void)loop;
	if (text == NULL)
		return 0;
	req = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	rep = json_is_object(req) ? s_dispatch(c, req) : s_error("%s", "request is not a JSON object");
	out = json_dumps(rep, JSON_COMPACT);
	zstr_send(sock, out ? out : "{\"ok\":false,\"error\":\"out of memory\"}");
	free(out);
	json_decref(rep);
	json_decref(req);
	zstr_free(&text);
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
	if ((c->rep = zsock_new(ZMQ_REP)) != NULL)
		zsock_set_affinity(c->rep, 1); /* an I/O thread that peers never load */
	if (c->rep == NULL || zsock_bind(c->rep, "ipc://%s", c->path) == -1 ||
	    chmod(c->path, 0660) == -1) {
		errf(err, errlen, "%s: cannot serve the control socket: %s", c->path, strerror(errno));
		control_destroy(&c);
		return NULL;
	}
	zsock_set_sndtimeo(c->rep, 1000);
	if ((c->lag = looplag_new(loop)) == NULL) {
		errf(err, errlen, "out of memory");
		control_destroy(&c);
		return NULL;
	}
	zloop_reader(loop, c->rep, s_readable, c);
	return c;
}

void
control_destroy(struct control **cp)
{
	struct control *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	if (c->rep != NULL) {
		zloop_reader_end(c->loop, c->rep);
		zsock_destroy(&c->rep);
		unlink(c->path);
	}
	looplag_destroy(&c->lag);
	free(c);
	*cp = NULL;
}

/* 0 when a process accepts connections on the Unix socket at path, else
 * the errno of the attempt. */
static int
s_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd, rc;

	if (n >= sizeof sa.sun_path)
		return ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	memcpy(sa.sun_path, path, n + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

int
control_probe(const char *dir)
{
	char path[PATH_MAX + 64];
	int e;

	if (control_path(path, sizeof path, dir) == -1)
		return -1;
	e = s_connect(path);
	return e == 0 ? 1 : (e == ECONNREFUSED || e == ENOENT) ? 0 : -1;
}

json_t *
control_call(const char *dir, json_t *request, char *err, size_t errlen)
{
	char path[PATH_MAX + 64], *text, *reply;
	json_t *rep = NULL;
	zsock_t *req;
	int e;

	if (control_path(path, sizeof path, dir) == -1) {
		json_decref(request);
		errf(err, errlen, "%s: path too long for a Unix socket", dir);
		return NULL;
	}
	if ((e = s_connect(path)) != 0) {
		json_decref(request);
		if (e == EACCES)
			errf(err, errlen, "%s: " NODE_EACCES, path);
		else
			errf(err, errlen, "socmeshd is not running for %s (no one answers on %s)", dir,
				path);
		return NULL;
	}
	text = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	if (text == NULL || (req = zsock_new(ZMQ_REQ)) == NULL) {
		free(text);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	zsock_set_rcvtimeo(req, CONTROL_TIMEOUT_MS);
	zsock_set_sndtimeo(req, CONTROL_TIMEOUT_MS);
	zsock_set_linger(req, 0);
	if (zsock_connect(req, "ipc://%s", path) == -1 || zstr_send(req, text) == -1 ||
	    (reply = zstr_recv(req)) == NULL)
		errf(err, errlen, "socmeshd for %s did not answer", dir);
	else {
		if ((rep = json_loads(reply, 0, NULL)) == NULL)
			errf(err, errlen, "socmeshd sent a reply that is not JSON");
		zstr_free(&reply);
	}
	zsock_destroy(&req);
	free(text);
	return rep;
}
