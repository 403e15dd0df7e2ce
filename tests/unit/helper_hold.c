/*
 * helper_hold — puts a node's ingest pipeline in the states that the
 * integration tests need (tests/integration/pipeline.sh): a writer held
 * back, a store full, many requests at once.  LMDB lets another process
 * take the store's one write lock, which is what holds socmeshd's writer
 * (its commits wait; its readers, the loop's, do not).
 *
 *   helper_hold lock STOREDIR HELD RELEASE
 *	Begins a write transaction on the store in STOREDIR (a node's
 *	store/ directory), creates the file HELD, waits until the file
 *	RELEASE exists (at most 300 s) and ends the transaction, writing
 *	nothing.
 *
 *   helper_hold fill STOREDIR SIZE
 *	Fills the store, whose size limit (store_size) is SIZE bytes, with a
 *	table of its own, "filler", in commits that halve their values when
 *	the next does not fit, until values of 64 bytes do not.  (A map size
 *	other than socmeshd's would be written into the store, and socmeshd
 *	would then find it resized under it.)
 *
 *   helper_hold unfill STOREDIR SIZE
 *	Drops the table "filler": socmeshd's next commit has its room again.
 *
 *   helper_hold publish DIR N OUT
 *	Sends N publish requests (TLP:GREEN, titles "pipeline 0"...) at once
 *	on one connection to the control socket of the node in DIR, and
 *	writes one line a reply to OUT as it comes: "stored ID", "busy", or
 *	"error TEXT".  Exits 0 once every reply came, 1 after 60 s without
 *	them all.
 *
 * Exits 2 on wrong usage or a failed set-up, with one line on stderr.
 */
#include <czmq.h>
#include <errno.h>
#include <lmdb.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"

#define FILLER "filler"

static void
s_die(const char *what, int rc)
{
	fprintf(stderr, "helper_hold: %s: %s\n", what, mdb_strerror(rc));
	exit(2);
}

/* The store in dir, with socmeshd's map size (0: LMDB's, for a
 * transaction that writes nothing). */
static MDB_env *
s_open(const char *dir, size_t size)
{
	MDB_env *env;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (size > 0 && (rc = mdb_env_set_mapsize(env, size)) != 0) ||
	    (rc = mdb_env_open(env, dir, MDB_NOTLS, 0600)) != 0)
		s_die(dir, rc);
	return env;
}

static int
s_lock(const char *dir, const char *held, const char *release)
{
	MDB_env *env = s_open(dir, 0);
	MDB_txn *txn;
	FILE *f;
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		s_die("begin write transaction", rc);
	if ((f = fopen(held, "w")) == NULL || fclose(f) != 0) {
		fprintf(stderr, "helper_hold: %s: %s\n", held, strerror(errno));
		exit(2);
	}
	for (int i = 0; i < 300 * 100 && access(release, F_OK) != 0; i++)
		usleep(10 * 1000);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}

/* One commit of n more values of size bytes into "filler": 0, or the
 * LMDB error (the transaction aborted). */
static int
s_fill_once(MDB_env *env, size_t n, size_t size)
{
	static uint8_t junk[1 << 20];
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat ms;
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, FILLER, MDB_CREATE | MDB_INTEGERKEY, &dbi)) != 0 ||
	    (rc = mdb_stat(txn, dbi, &ms)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t k = ms.ms_entries + i;
		MDB_val key = { sizeof k, &k }, val = { size, junk };
		rc = mdb_put(txn, dbi, &key, &val, 0);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

static int
s_fill(const char *dir, size_t mapsize)
{
	MDB_env *env = s_open(dir, mapsize);
	size_t size = 1 << 20;
	int rc;

	/* Large values first, then smaller ones into what is left. */
	while (size >= 64) {
		if ((rc = s_fill_once(env, 16, size)) == 0)
			continue;
		if (rc != MDB_MAP_FULL)
			s_die("fill", rc);
		size /= 2;
	}
	mdb_env_close(env);
	return 0;
}

static int
s_unfill(const char *dir, size_t mapsize)
{
	MDB_env *env = s_open(dir, mapsize);
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	/* Twice: LMDB gives the pages a commit frees to the commits after
	 * the next one (a reader may still be on the snapshot before), so
	 * the second, which only makes the table and drops it again, lets
	 * socmeshd's next commit have them. */
	for (int i = 0; i < 2; i++)
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
		    (rc = mdb_dbi_open(txn, FILLER, MDB_CREATE, &dbi)) != 0 ||
		    (rc = mdb_drop(txn, dbi, 1)) != 0 || (rc = mdb_txn_commit(txn)) != 0)
			s_die("unfill", rc);
	mdb_env_close(env);
	return 0;
}

static int
s_publish(const char *dir, long n, const char *out)
{
	char path[PATH_MAX + 64];
	zsock_t *s = zsock_new(ZMQ_DEALER);
	FILE *f = fopen(out, "w");
	int64_t end = zclock_mono() + 60 * 1000;
	long got = 0;

	if (s == NULL || f == NULL || control_path(path, sizeof path, dir) == -1 ||
	    zsock_connect(s, "ipc://%s", path) == -1) {
		fprintf(stderr, "helper_hold: cannot reach the control socket of %s\n", dir);
		return 2;
	}
	zsock_set_rcvtimeo(s, 100);
	for (long i = 0; i < n; i++) {
		char title[64];
		json_t *req;
		char *text;

		snprintf(title, sizeof title, "pipeline %ld", i);
		req = json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "cmd", "publish", "message", "tlp",
		    "green", "title", title, "category", "test", "severity", "low");
		text = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		/* A REQ client's envelope: an empty frame, then the request. */
		if (text == NULL || zstr_sendm(s, "") == -1 || zstr_send(s, text) == -1) {
			fprintf(stderr, "helper_hold: cannot send request %ld\n", i);
			return 2;
		}
		free(text);
	}
	while (got < n && zclock_mono() < end) {
		zmsg_t *m = zmsg_recv(s);
		char *text;
		json_t *rep;
		const char *e;

		if (m == NULL)
			continue;
		free(zmsg_popstr(m)); /* the empty frame */
		text = zmsg_popstr(m);
		rep = text != NULL ? json_loads(text, 0, NULL) : NULL;
		if (json_is_true(json_object_get(rep, "ok")))
			fprintf(f, "stored %s\n", json_string_value(json_object_get(rep, "id")));
		else if ((e = json_string_value(json_object_get(rep, "error"))) != NULL &&
		    strncmp(e, "busy:", 5) == 0)
			fprintf(f, "busy\n");
		else
			fprintf(f, "error %s\n", e != NULL ? e : (text != NULL ? text : "(none)"));
		fflush(f);
		json_decref(rep);
		free(text);
		zmsg_destroy(&m);
		got++;
	}
	fclose(f);
	zsock_destroy(&s);
	return got == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	char *end;
	long n;

	zsys_handler_set(NULL); /* not czmq's: SIGTERM ends it */
	if (argc == 5 && strcmp(argv[1], "lock") == 0)
		return s_lock(argv[2], argv[3], argv[4]);
	if (argc == 4 && (strcmp(argv[1], "fill") == 0 || strcmp(argv[1], "unfill") == 0) &&
	    ((n = strtol(argv[3], &end, 10)), *end == '\0') && n >= 1 << 20)
		return (argv[1][0] == 'f' ? s_fill : s_unfill)(argv[2], (size_t)n);
	if (argc == 5 && strcmp(argv[1], "publish") == 0 &&
	    ((n = strtol(argv[3], &end, 10)), *end == '\0') && n > 0 && n <= 100000)
		return s_publish(argv[2], n, argv[4]);
	fprintf(stderr,
	    "usage: helper_hold lock STOREDIR HELD RELEASE | fill STOREDIR SIZE | "
	    "unfill STOREDIR SIZE | publish DIR N OUT\n");
	return 2;
}
