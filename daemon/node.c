#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "util.h"

static int
s_join(char *out, size_t len, const char *dir, const char *file)
{
	int n = snprintf(out, len, "%s/%s", dir, file);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
node_path(const struct node *n, char *out, size_t len, const char *file)
{
	return s_join(out, len, n->dir, file);
}

int
node_store_dir(const struct node *n, char *out, size_t len)
{
	const char *base = n->cfg.data_dir[0] == '\0' ? n->dir : n->cfg.data_dir;
	char data[PATH_MAX + 64];

	/* data_dir relative to the node directory when not absolute */
	if (base != n->dir && base[0] != '/') {
		if (s_join(data, sizeof data, n->dir, base) == -1)
			return -1;
		base = data;
	}
	return s_join(out, len, base, CONFIG_STORE_DIR);
}

int
node_init(const char *dir, const char *name, const char *listen, char *err, size_t errlen)
{
	static const char *const files[] = { KEYS_SECRET_FILE, KEYS_PUBLIC_FILE, IOCSEAL_FILE,
		CONFIG_FILE, TRUST_FILE, CONFIG_STORE_DIR "/data.mdb", CONFIG_STORE_DIR "/lock.mdb",
		CONFIG_STORE_DIR };
	char path[PATH_MAX + 64];
	struct config cfg;
	struct trust *t;
	struct node *n = NULL;
	bool made_dir = false;
	int rc = -1;

	/* Nothing of a node may be there already: init never overwrites. */
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (s_join(path, sizeof path, dir, files[i]) == -1)
			return errf(err, errlen, "%s: path too long", dir);
		if (access(path, F_OK) == 0)
			return errf(err, errlen, "%s exists already; init never overwrites a node",
			    path);
	}
	config_defaults(&cfg);
	snprintf(cfg.name, sizeof cfg.name, "%s", name);
	snprintf(cfg.listen, sizeof cfg.listen, "%s", listen);
	if (config_check(&cfg, err, errlen) == -1)
		return -1;
	if (mkdir(dir, 0700) == 0)
		made_dir = true;
	else if (errno != EEXIST)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	if (keys_generate(dir, err, errlen) == -1)
		goto undo;
	s_join(path, sizeof path, dir, CONFIG_FILE);
	if (config_write(&cfg, path, err, errlen) == -1)
		goto undo;
	s_join(path, sizeof path, dir, TRUST_FILE);
	if ((t = trust_new()) == NULL) {
		errf(err, errlen, "out of memory");
		goto undo;
	}
	rc = trust_save(t, path, err, errlen);
	trust_destroy(&t);
	/* Creating the store now fixes its node id; the index key is made. */
	if (rc == -1 || (n = node_open(dir, NODE_KEYS | NODE_STORE, err, errlen)) == NULL) {
		rc = -1;
		goto undo;
	}
	node_close(&n);
	return 0;
undo:
	/* A failed init leaves nothing behind, so it can simply be run again. */
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (s_join(path, sizeof path, dir, files[i]) == 0)
			(void)remove(path);
	if (made_dir)
		(void)rmdir(dir);
	return -1;
}

struct node *
node_open(const char *dir, unsigned what, char *err, size_t errlen)
{
	struct node *n = calloc(1, sizeof *n);
	char path[PATH_MAX + 64];
	int rc;

	if (n == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(dir) >= sizeof n->dir) {
		errf(err, errlen, "%s: path too long", dir);
		goto fail;
	}
	strcpy(n->dir, dir);
	if ((n->scratch = msg_new()) == NULL || (n->iscratch = msg_new()) == NULL ||
	    (n->local = trust_new()) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	s_join(path, sizeof path, dir, CONFIG_FILE);
	if (access(dir, F_OK) == -1) {
		errf(err, errlen,
		    "%s: no node directory here (create one with: socmesh init --dir %s "
		    "--name NAME --listen tcp://HOST:PORT)",
		    dir, dir);
		goto fail;
	}
	if (access(path, R_OK) == -1 && errno == EACCES) {
		errf(err, errlen, "%s: " NODE_EACCES, dir);
		goto fail;
	}
	if (config_load(&n->cfg, path, err, errlen) == -1)
		goto fail;
	s_join(path, sizeof path, dir, TRUST_FILE);
	if (trust_load(n->local, path, err, errlen) == -1)
		goto fail;
	if (what & NODE_KEYS) {
		if ((n->keys = keys_load(dir, err, errlen)) == NULL)
			goto fail;
		memcpy(n->id, n->keys->pk, MSG_KEY_LEN);
	} else if (keys_read_id(dir, n->id, err, errlen) == -1)
		goto fail;
	if ((n->roster = roster_new(n->id)) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	roster_set_self(n->roster, n->id, n->cfg.name);
	s_join(path, sizeof path, dir, ROSTER_FILE);
	if (roster_load(n->roster, path, n->local, err, errlen) == -1 ||
	    (n->trust = roster_merge(n->roster, n->local, err, errlen)) == NULL)
		goto fail;
	if (what & NODE_STORE) {
		char sdir[PATH_MAX + 64];
		/* The index function seals with the index key (iocseal.h). */
		if (n->keys != NULL && (n->seal = iocseal_open(dir, n->keys, err, errlen)) == NULL)
			goto fail;
		if (node_store_dir(n, sdir, sizeof sdir) == -1) {
			errf(err, errlen, "%s: path too long",
			    n->cfg.data_dir[0] ? n->cfg.data_dir : dir);
			goto fail;
		}
		/* The store's own error would be "I/O error (see the log)",
		 * and a CLI logs nothing. */
		if (access(sdir, R_OK | W_OK | X_OK) == -1 && errno == EACCES) {
			errf(err, errlen, "%s: " NODE_EACCES, sdir);
			goto fail;
		}
		rc = store_open(&n->st, sdir, n->id, n->cfg.store_size, node_index, n);
		if (rc != STORE_OK) {
			errf(err, errlen, "%s: %s", sdir, store_strerror(rc));
			goto fail;
		}
	}
	return n;
fail:
	node_close(&n);
	return NULL;
}

void
node_close(struct node **np)
{
	struct node *n;

	if (np == NULL || (n = *np) == NULL)
		return;
	store_destroy(&n->st);
	ks_free(&n->ikeys);
	iocseal_destroy(&n->seal);
	keys_destroy(&n->keys);
	trust_destroy(&n->trust);
	trust_destroy(&n->local);
	roster_destroy(&n->roster);
	msg_destroy(&n->scratch);
	msg_destroy(&n->iscratch);
	free(n);
	*np = NULL;
}

/* n->trust from n->local and the roster in force. */
static int
s_merge(struct node *n, char *err, size_t errlen)
{
	struct trust *t = roster_merge(n->roster, n->local, err, errlen);

	if (t == NULL)
		return -1;
	trust_destroy(&n->trust);
	n->trust = t;
	return 0;
}

int
node_save_trust(struct node *n, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];

	node_path(n, path, sizeof path, TRUST_FILE);
	if (trust_save(n->local, path, err, errlen) == -1)
		return -1;
	return s_merge(n, err, errlen);
}

int
node_reload_trust(struct node *n, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	struct trust *t = trust_new(), *old = n->local;

	node_path(n, path, sizeof path, TRUST_FILE);
	if (t == NULL)
		return errf(err, errlen, "out of memory");
	if (trust_load(t, path, err, errlen) == -1) {
		trust_destroy(&t);
		return -1;
	}
	n->local = t;
	/* New anchors may put a pending roster in force. */
	if (roster_retry(n->roster, n->local) == 1) {
		char rpath[PATH_MAX + 64], rerr[512];
		node_path(n, rpath, sizeof rpath, ROSTER_FILE);
		if (roster_save(n->roster, rpath, rerr, sizeof rerr) == -1)
			log_warnx("roster: %s", rerr);
	}
	if (s_merge(n, err, errlen) == -1) {
		n->local = old;
		trust_destroy(&t);
		return -1;
	}
	trust_destroy(&old);
	return 0;
}

/* store_item_fn of node_roster_recover(). */
static int
s_recover_item(void *arg, const struct store_item *it)
{
	struct node *n = arg;

	if (msg_decode(n->scratch, it->bytes, it->len, 0) == MSG_OK &&
	    msg_kind_kept(n->scratch->kind))
		(void)roster_offer(n->roster, it->bytes, it->len, n->local);
	return 0;
}

int
node_roster_recover(struct node *n, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	struct store_counts k;
	uint64_t kept = 0;
	int rc;

	node_path(n, path, sizeof path, ROSTER_FILE);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	if ((rc = store_counts(n->st, &k, NULL, NULL)) != STORE_OK)
		return errf(err, errlen, "store: %s", store_strerror(rc));
	for (int i = 0; i < MSG_KIND_COUNT; i++)
		if (msg_kind_kept((enum msg_kind)i))
			kept += k.kind[i];
	if (kept == 0)
		return 0;
	log_warnx("roster: %s is missing; reading the store's %" PRIu64
	          " rosters, approvals, endpoints and rotations again",
	    path, kept);
	if ((rc = store_range(n->st, 0, UINT64_MAX, false, NULL, 0, s_recover_item, n, NULL)) < 0)
		return errf(err, errlen, "store: %s", store_strerror(rc));
	if (roster_save(n->roster, path, err, errlen) == -1 || s_merge(n, err, errlen) == -1)
		return -1;
	log_info("roster: epoch %" PRIu64 " in force again", roster_epoch(n->roster));
	return 0;
}

int
node_governs(struct node *n, const uint8_t *bytes, size_t len)
{
	char path[PATH_MAX + 64], err[512];
	int rc = roster_offer(n->roster, bytes, len, n->local);

	if (rc == -1)
		log_warnx("roster: a governing message could not be taken (out of memory?)");
	node_path(n, path, sizeof path, ROSTER_FILE);
	/* Pending rosters and approvals are kept too: saved at every one. */
	if (roster_save(n->roster, path, err, sizeof err) == -1)
		log_warnx("roster: %s", err);
	if (rc != 1)
		return 0;
	if (s_merge(n, err, sizeof err) == -1) {
		log_warnx("roster: %s; the trust list in force stays as it was", err);
		return 0;
	}
	return 1;
}

int
node_resolve(void *arg, const char *who, uint8_t key[MSG_KEY_LEN], char *err, size_t errlen)
{
	struct node *n = arg;
	const struct trust_peer *p = trust_find_name(n->trust, who);

	if (p != NULL) {
		memcpy(key, p->id, MSG_KEY_LEN);
		return 0;
	}
	if (id_parse(key, who) == 0)
		return 0;
	return errf(err, errlen,
	    "'%s' is neither a trust-list name nor a node id (see: socmesh "
	    "trust list)",
	    who);
}

int
node_index(void *arg, const uint8_t *bytes, size_t len, struct store_rec *rec)
{
	struct node *n = arg;
	bool head = rec->head;

	if (msg_decode(n->iscratch, bytes, len, 0) != MSG_OK)
		return -1;
	if (head)
		ingest_rec_head(rec, n->iscratch, bytes, len);
	else if (ingest_rec(rec, &n->ikeys, n->seal, n->iscratch, bytes, len) == -1)
		return -1;
	/* Rosters and what goes with them stay whatever their age
	 * (policy_time_ok()). */
	rec->keep = msg_kind_kept(n->iscratch->kind);
	return 0;
}

/* store_verify_fn: what ingest checks of a message's bytes, trust aside. */
static int
s_verify(void *arg, const uint8_t *bytes, size_t len, char *why, size_t whylen)
{
	struct msg *m = arg;
	int rc;

	/* No size limit: max_message may have been lowered since it came. */
	if ((rc = msg_decode(m, bytes, len, 0)) != MSG_OK || (rc = msg_verify(m)) != MSG_OK) {
		snprintf(why, whylen, "%s (%s)", msg_strerror(rc), msg_errname(rc));
		return -1;
	}
	return 0;
}

int
node_check(struct node *n, struct store *st, char *err, size_t errlen)
{
	struct msg *m = msg_new();
	int rc;

	if (st == NULL)
		st = n->st;
	if (m == NULL) {
		errf(err, errlen, "out of memory");
		return STORE_E_NOMEM;
	}
	if ((rc = store_check_each(st, s_verify, m, err, errlen)) != STORE_OK &&
	    rc != STORE_E_CORRUPT)
		errf(err, errlen, "%s", store_strerror(rc));
	msg_destroy(&m);
	return rc;
}

int
node_lock(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	int fd;

	if (s_join(path, sizeof path, dir, NODE_LOCK_FILE) == -1) {
		errf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1)
		if (errno != EINTR) {
			if (errno == EWOULDBLOCK)
				errf(err, errlen,
				    "%s: socmeshd or a restore is using this node (stop it first)",
				    dir);
			else
				errf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	/* A lock on a file that is no longer the one at path (removed, made
	 * anew) keeps nobody out. */
	struct stat held, now;
	if (fstat(fd, &held) == -1 || stat(path, &now) == -1 || held.st_dev != now.st_dev ||
	    held.st_ino != now.st_ino) {
		errf(err, errlen, "%s: replaced while it was being locked; try again", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* from, a regular file of at most max bytes, into a new file to (mode
 * 0600), synced. */
static int
s_copy_file(const char *from, const char *to, uint64_t max, char *err, size_t errlen)
{
	char buf[65536];
	int in, out, rc = -1;
	struct stat st;
	ssize_t k;

	if ((in = open(from, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return errf(err, errlen, "%s: %s", from, strerror(errno));
	if (fstat(in, &st) == -1)
		errf(err, errlen, "%s: %s", from, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		errf(err, errlen, "%s: not a regular file", from);
	else if ((uint64_t)st.st_size > max)
		errf(err, errlen, "%s: larger than store_size", from);
	else
		rc = 0;
	if (rc == -1) {
		close(in);
		return -1;
	}
	rc = -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		errf(err, errlen, "%s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	while ((k = read(in, buf, sizeof buf)) > 0 || (k == -1 && errno == EINTR))
		if (k > 0 && fd_write_all(out, buf, (size_t)k) == -1)
			break;
	if (k != 0)
		errf(err, errlen, "copying %s to %s: %s", from, to, strerror(errno));
	else if (fsync(out) == -1)
		errf(err, errlen, "%s: %s", to, strerror(errno));
	else
		rc = 0;
	if (close(out) == -1 && rc == 0)
		rc = errf(err, errlen, "%s: %s", to, strerror(errno));
	close(in);
	return rc;
}

/* The staging directory of a restore, and whatever is in it. */
static void
s_remove_stage(const char *stage)
{
	char p[PATH_MAX + 128];

	if (s_join(p, sizeof p, stage, "data.mdb") == 0)
		unlink(p);
	if (s_join(p, sizeof p, stage, "lock.mdb") == 0)
		unlink(p);
	rmdir(stage);
}

/* What the store in dir has handed out: the own seq into *seq, the
 * highest local key into *lkey; false when it cannot be read (a damaged
 * store is a reason to restore). */
static bool
s_handed_out(struct node *n, const char *dir, uint64_t *seq, uint64_t *lkey)
{
	struct store *st = NULL;
	bool ok = store_open(&st, dir, n->id, n->cfg.store_size, NULL, NULL) == STORE_OK &&
	    store_last_seq(st, n->id, seq) == STORE_OK && store_last_lkey(st, lkey) == STORE_OK;

	store_destroy(&st);
	return ok;
}

/* Every process that has an LMDB environment open holds a read lock on the
 * first byte of its lock file (LMDB's liveness lock).  A write lock there
 * fails while any has, and makes those that come later wait until it is
 * let go: the fd to close, or -1 when the store is in use. */
static int
s_hold_store(const char *lockfile, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	int fd = open(lockfile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd == -1) {
		errf(err, errlen, "%s: %s", lockfile, strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		if (errno == EAGAIN || errno == EACCES)
			errf(err, errlen,
			    "the store is open in another process (socmeshd, or a socmesh "
			    "command): stop it first");
		else
			errf(err, errlen, "%s: %s", lockfile, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
node_restore(struct node *n, const char *file, struct node_restored *r, char *err, size_t errlen)
{
	char sdir[PATH_MAX + 64], stage[PATH_MAX + 80], staged[PATH_MAX + 128], data[PATH_MAX + 96],
	    old[PATH_MAX + 96], lock[PATH_MAX + 96], ebuf[512];
	struct store_stats ss;
	struct store *st = NULL;
	uint64_t seq = 0, lkey = STORE_LKEY_UNKNOWN;
	int rc, lk, held = -1;

	memset(r, 0, sizeof *r);
	if (n->st != NULL)
		return errf(err, errlen, "restore: the store is open");
	if (node_store_dir(n, sdir, sizeof sdir) == -1 ||
	    s_join(stage, sizeof stage, sdir, ".restore") == -1 ||
	    s_join(staged, sizeof staged, stage, "data.mdb") == -1 ||
	    s_join(data, sizeof data, sdir, "data.mdb") == -1 ||
	    s_join(old, sizeof old, sdir, "data.mdb.before-restore") == -1 ||
	    s_join(lock, sizeof lock, sdir, "lock.mdb") == -1)
		return errf(err, errlen, "%s: path too long", n->dir);
	/* Not while a daemon (or another restore) has the node. */
	if ((lk = node_lock(n->dir, err, errlen)) == -1)
		return -1;
	if (access(old, F_OK) == 0) {
		errf(err, errlen, "%s is there from an earlier restore: move it away first", old);
		goto fail;
	}
	if (mkdir(sdir, 0700) == -1 && errno != EEXIST) {
		errf(err, errlen, "%s: %s", sdir, strerror(errno));
		goto fail;
	}
	/* The backup is checked as a copy in the store's directory (the same
	 * file system), so that the store is untouched until one rename puts
	 * the checked copy in its place. */
	s_remove_stage(stage);
	if (mkdir(stage, 0700) == -1) {
		errf(err, errlen, "%s: %s", stage, strerror(errno));
		goto fail;
	}
	if (s_copy_file(file, staged, n->cfg.store_size, err, errlen) == -1)
		goto fail;
	if ((rc = store_open(&st, stage, n->id, n->cfg.store_size, node_index, n)) != STORE_OK) {
		errf(err, errlen, "%s: %s", file,
		    rc == STORE_E_NODE
		        ? "a backup of another node (its node id differs from this node's)"
		        : rc == STORE_E_CORRUPT ? "not a socmesh backup, or a damaged one"
		                                : store_strerror(rc));
		goto fail;
	}
	/* Every message as ingest would check it (format, id, signature), but
	 * not against today's trust list: history stays restorable after a
	 * peer is revoked. */
	if (node_check(n, st, ebuf, sizeof ebuf) != STORE_OK) {
		errf(err, errlen, "%s: %s; nothing restored", file, ebuf);
		goto fail;
	}
	/* An empty or foreign file opens as a new, empty store: never put one
	 * in the place of a real store. */
	if (store_stats(st, &ss) != STORE_OK || ss.messages == 0) {
		errf(err, errlen, "%s: not a socmesh backup (it holds no messages)", file);
		goto fail;
	}
	/* Sequence numbers used since the backup are never handed out again,
	 * nor local keys, which clients hold as cursors (socmesh watch): those
	 * the replaced store gave after the backup are recorded as lost.  A
	 * replaced store that is missing or unreadable counts as having given
	 * STORE_LKEY_GAP more. */
	if (access(data, F_OK) == 0 && !s_handed_out(n, sdir, &seq, &lkey)) {
		r->seq_unknown = true;
		lkey = STORE_LKEY_UNKNOWN;
	}
	if ((rc = store_raise_own_seq(st, seq)) != STORE_OK ||
	    (rc = store_raise_lkey(st, lkey, &r->resume)) != STORE_OK) {
		errf(err, errlen, "%s: %s", file, store_strerror(rc));
		goto fail;
	}
	r->messages = ss.messages;
	store_destroy(&st);
	/* Nobody may have the store open while it is replaced (a CLI command
	 * beside a stopped daemon, a daemon of another node directory with the
	 * same data_dir), and nobody opens it until it is. */
	if ((held = s_hold_store(lock, err, errlen)) == -1)
		goto fail;
	/* The store being replaced stays, as a second name of the same file. */
	if (link(data, old) == 0)
		snprintf(r->kept, sizeof r->kept, "%s", old);
	else if (errno != ENOENT) {
		errf(err, errlen, "keeping %s as %s: %s", data, old, strerror(errno));
		goto fail;
	}
	if (rename(staged, data) == -1) {
		errf(err, errlen, "%s: %s", data, strerror(errno));
		unlink(old);
		r->kept[0] = '\0';
		goto fail;
	}
	/* Done.  The lock file stays: the next process to open the store
	 * alone sets it up anew.  A failed directory sync only risks the
	 * rename not surviving a power cut; it does not undo the restore. */
	(void)file_sync_dir(data);
	close(held);
	s_remove_stage(stage);
	close(lk);
	log_info("restored the store from %s: %llu messages", file,
	    (unsigned long long)ss.messages);
	return 0;
fail:
	store_destroy(&st);
	if (held != -1)
		close(held);
	s_remove_stage(stage);
	close(lk);
	return -1;
}
