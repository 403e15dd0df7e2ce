/*
 * socmesh rotate, on the daemon's side (docs/PROTOCOL.md section 14.10):
 * a new key pair, a `rotate` statement signed by the old key with the new
 * key's proof, published (committed by the ingest pipeline) and pushed
 * under the old key, and the request answered; then the key files take
 * the new pair (the old secret stays as node.key.OLDID.old, for the
 * sealed bodies addressed to it), and a second later, once the statement
 * has left, the node goes on under the new key.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control.h"
#include "gossip_impl.h"
#include "log.h"
#include "util.h"

#define ROTATE_DIR       "rotate.new" /* the new pair, until it replaces the old */
#define ROTATE_SWITCH_MS 1000         /* the statement's time to leave */

/* Takes the new pair into the node (n->keys, n->id, the roster, the trust
 * list in force) and every connection; the key files and the store have
 * it already (s_stated()). */
static int
s_switch(zloop_t *loop, int timer_id, void *arg)
{
	struct gossip *g = arg;
	struct node *n = g->n;
	char err[512], hex[2 * MSG_KEY_LEN + 1];

	(void)loop, (void)timer_id;
	if (g->next_keys == NULL)
		return 0;
	keys_destroy(&n->keys);
	n->keys = g->next_keys;
	g->next_keys = NULL;
	if (n->seal != NULL && iocseal_rekey(n->seal, n->keys) == -1)
		fatalx("rotate: out of memory");
	memcpy(n->id, n->keys->pk, MSG_KEY_LEN);
	n->seq = 0; /* the new key's messages are counted from its own last */
	roster_set_self(n->roster, n->id, n->cfg.name);
	if (node_reload_trust(n, err, sizeof err) == -1)
		log_warnx("rotate: %s", err);
	gossip_rekey(g);
	hex_encode(hex, n->id, MSG_KEY_LEN);
	log_info("rotate: this node is now %s", hex);
	return 0;
}

/* DIR/FILE into out; -1 when it does not fit. */
static int
s_path(char *out, size_t len, const char *dir, const char *file)
{
	int n = snprintf(out, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* DIR/node.key.HEX.old: where an old secret key stays. */
static int
s_oldkey(char *out, size_t len, const char *dir, const char *hex)
{
	int n = snprintf(out, len, "%s/%s.%s.old", dir, KEYS_SECRET_FILE, hex);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The key files take the pair in DIR/rotate.new; the old secret key is
 * kept beside.  -1 with err. */
static int
s_files(const struct node *n, char *err, size_t errlen)
{
	char key[PATH_MAX], id[PATH_MAX], old[PATH_MAX], nkey[PATH_MAX], nid[PATH_MAX],
	    tmp[PATH_MAX], hex[2 * MSG_KEY_LEN + 1];

	hex_encode(hex, n->id, MSG_KEY_LEN);
	hex[16] = '\0';
	if (s_path(key, sizeof key, n->dir, KEYS_SECRET_FILE) == -1 ||
	    s_path(id, sizeof id, n->dir, KEYS_PUBLIC_FILE) == -1 ||
	    s_path(tmp, sizeof tmp, n->dir, ROTATE_DIR) == -1 ||
	    s_oldkey(old, sizeof old, n->dir, hex) == -1 ||
	    s_path(nkey, sizeof nkey, tmp, KEYS_SECRET_FILE) == -1 ||
	    s_path(nid, sizeof nid, tmp, KEYS_PUBLIC_FILE) == -1)
		return errf(err, errlen, "%s: path too long", n->dir);
	if (link(key, old) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", old, strerror(errno));
	if (rename(nkey, key) != 0 || rename(nid, id) != 0 || rmdir(tmp) != 0 ||
	    file_sync_dir(key) != 0)
		return errf(err, errlen, "%s: %s (the old key is kept as %s)", key, strerror(errno),
		    old);
	return 0;
}

/* The new pair in DIR/rotate.new, thrown away. */
static void
s_discard(const char *dir)
{
	char d[PATH_MAX], f[PATH_MAX];

	if (s_path(d, sizeof d, dir, ROTATE_DIR) == -1)
		return;
	if (s_path(f, sizeof f, d, KEYS_SECRET_FILE) == 0)
		(void)unlink(f);
	if (s_path(f, sizeof f, d, KEYS_PUBLIC_FILE) == 0)
		(void)unlink(f);
	(void)rmdir(d);
}

/*
 * control_then_fn of a rotation: once the statement is committed (and
 * pushed), the key files and the store take the new id, and a second
 * later the node; a stop in that second restarts it under the new key.
 * A statement not stored throws the pair away.  One committed while the
 * daemon stops has reached no peer (pushes go out on the loop, after the
 * commit): the node stays on its old key, which its peers still take, and
 * the statement goes out with its next exchanges.
 */
static json_t *
s_stated(void *arg, json_t *rep, bool stored, bool answered)
{
	struct gossip *g = arg;
	struct node *n = g->n;
	char err[512] = "", hex[2 * MSG_KEY_LEN + 1];
	int rc;

	if (!stored) {
		keys_destroy(&g->next_keys);
		s_discard(n->dir);
		return rep;
	}
	hex_encode(hex, g->next_keys->pk, MSG_KEY_LEN);
	if (!answered) {
		log_warnx("rotate: stopping before the statement for the new key %s reached any "
		          "peer: this node starts again under its old key; %s/%s keeps the new "
		          "pair",
		    hex, n->dir, ROTATE_DIR);
		return rep;
	}
	if (s_files(n, err, sizeof err) == 0 &&
	    (rc = store_set_node(n->st, g->next_keys->pk)) != STORE_OK)
		errf(err, sizeof err, "store: %s (the key files hold the new key %s)",
		    store_strerror(rc), hex);
	if (err[0] != '\0') {
		log_warnx("rotate: %s", err);
		keys_destroy(&g->next_keys);
		json_decref(rep);
		return control_error("%s", err);
	}
	zloop_timer(g->loop, ROTATE_SWITCH_MS, 1, s_switch, g);
	log_info("rotate: new key %s published; this node takes it in %d ms", hex,
	    ROTATE_SWITCH_MS);
	return rep;
}

json_t *
control_rotate(struct control *c, struct node *n, struct gossip *g)
{
	char dir[PATH_MAX], err[512], hex[2 * MSG_KEY_LEN + 1];
	uint8_t signed_[MSG_ROTATE_SIGNED], id[MSG_ID_LEN];
	struct keys *nk = NULL;
	struct draft *d = NULL;
	struct msg *m;
	json_t *rep;

	if (g->next_keys != NULL)
		return control_error("a rotation is under way");
	if (s_path(dir, sizeof dir, n->dir, ROTATE_DIR) == -1)
		return control_error("node directory: path too long");
	if (mkdir(dir, 0700) != 0) {
		errf(err, sizeof err,
		    errno == EEXIST
		        ? "%s exists, left by an interrupted rotation: the key in force "
		          "is node.key; remove %s and try again"
		        : "%s: %s",
		    dir, errno == EEXIST ? dir : strerror(errno));
		return control_error("%s", err);
	}
	if (keys_generate(dir, err, sizeof err) == -1 ||
	    (nk = keys_load(dir, err, sizeof err)) == NULL || (d = draft_new()) == NULL) {
		rep = control_error("%s", d == NULL && nk ? "out of memory" : err);
		goto fail;
	}
	m = draft_msg(d);
	m->kind = MSG_KIND_ROTATE;
	m->tlp = MSG_TLP_CLEAR;
	memcpy(m->body.peer, nk->pk, MSG_KEY_LEN);
	msg_rotate_signed(signed_, n->id, nk->pk);
	crypto_sign_detached(m->body.proof, NULL, signed_, sizeof signed_, nk->sk);
	if (control_publish(c, d, id, err, sizeof err) == -1) {
		rep = control_error("%s", err);
		goto fail;
	}
	draft_destroy(&d);
	/* Under way from now: the statement's commit takes it on (s_stated()). */
	g->next_keys = nk;
	control_then(c, s_stated, g);
	hex_encode(hex, nk->pk, MSG_KEY_LEN);
	rep = json_pack("{s:b,s:s,s:s}", "ok", 1, "id", hex, "statement", "");
	hex_encode(hex, id, MSG_ID_LEN);
	json_object_set_new(rep, "statement", json_string(hex));
	return rep;
fail:
	keys_destroy(&nk);
	draft_destroy(&d);
	s_discard(n->dir);
	return rep;
}
