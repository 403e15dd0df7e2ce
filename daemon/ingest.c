#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct item {
	uint8_t *bytes;
	size_t len;
	struct ingest_result res;
	struct store_rec rec;
	struct ks_keys keys;     /* rec.ioc points into them */
	uint8_t ref[MSG_ID_LEN]; /* rec.ref points here: the msg is reused */
	struct item *next;       /* in the results list */
};

/* A FIFO of items between threads, bounded in items and in message
 * bytes (one item always fits, however large). */
struct queue {
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct item **v;
	size_t cap, head, n;
	size_t bytes, max_bytes;
	bool closed;
};

struct ingest {
	struct store *st;
	struct ingest_cfg cfg;
	struct queue toverify, towrite;
	/* Finished items wait in a list, not a bounded queue, so that the
	 * writer never blocks on a caller that is itself blocked submitting;
	 * what bounds them is the caller's own limit on messages in flight. */
	pthread_mutex_t rmu;
	pthread_cond_t rcv;
	struct item *rhead, **rtail;
	size_t submitted, finished; /* under rmu */
	int pipe[2];                /* one byte in it while results wait */
	pthread_mutex_t vmu;
	size_t verifying; /* verifier threads still running, under vmu */
	pthread_t verifier[INGEST_VERIFIERS_MAX], writer;
};

static int
s_queue_init(struct queue *q, size_t cap, size_t max_bytes)
{
	memset(q, 0, sizeof *q);
	if ((q->v = calloc(cap, sizeof *q->v)) == NULL)
		return -1;
	q->cap = cap;
	q->max_bytes = max_bytes;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	return 0;
}

static void
s_queue_fini(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	free(q->v);
}

/* Blocks while full; -1 once closed. */
static int
s_push(struct queue *q, struct item *it)
{
	int rc = -1;

	pthread_mutex_lock(&q->mu);
	while ((q->n == q->cap || (q->n > 0 && q->bytes + it->len > q->max_bytes)) && !q->closed)
		pthread_cond_wait(&q->room, &q->mu);
	if (!q->closed) {
		q->v[(q->head + q->n++) % q->cap] = it;
		q->bytes += it->len;
		pthread_cond_signal(&q->more);
		rc = 0;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Blocks until at least one item, or closed and empty (returns 0). */
static size_t
s_pop(struct queue *q, struct item **out, size_t max)
{
	size_t k = 0;

	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->more, &q->mu);
	while (k < max && q->n > 0) {
		q->bytes -= q->v[q->head]->len;
		out[k++] = q->v[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	if (k > 0)
		pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->mu);
	return k;
}

static void
s_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->more);
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->mu);
}

static void
s_item_release(struct item *it)
{
	free(it->bytes);
	ks_free(&it->keys);
	it->bytes = NULL;
}

/* Hands a finished item to the caller.  The pipe holds one byte exactly
 * while the list is not empty (both changed under rmu). */
static void
s_finish(struct ingest *in, struct item *it)
{
	char c = 1;

	if (in->cfg.keep_bytes && it->res.status == INGEST_STORED) {
		it->res.bytes = it->bytes, it->res.len = it->len;
		it->bytes = NULL;
	}
	s_item_release(it);
	pthread_mutex_lock(&in->rmu);
	if (in->rhead == NULL && write(in->pipe[1], &c, 1) != 1)
		log_warn("ingest: notify");
	it->next = NULL;
	*in->rtail = it;
	in->rtail = &it->next;
	in->finished++;
	pthread_cond_broadcast(&in->rcv);
	pthread_mutex_unlock(&in->rmu);
}

/* The item's record: the msg is reused, so ref and the keys are kept with
 * the item. */
static int
s_index(struct ingest *in, struct msg *m, struct item *it)
{
	if (ingest_rec(&it->rec, &it->keys, in->cfg.seal, m, it->bytes, it->len) == -1)
		return -1;
	if (m->has_ref) {
		memcpy(it->ref, m->ref, MSG_ID_LEN);
		it->rec.ref = it->ref;
	}
	return 0;
}

/* Addressed messages are kept only by their origin and recipients. */
static bool
s_for_us(const struct ingest *in, const struct msg *m)
{
	return !msg_tlp_addressed(m->tlp) || memcmp(m->origin, in->cfg.self, MSG_KEY_LEN) == 0 ||
	    msg_is_recipient(m, in->cfg.self);
}

static void *
s_verifier(void *arg)
{
	struct ingest *in = arg;
	struct item *batch[16]; /* small: the other verifiers find work too */
	struct msg *m = msg_new();
	size_t n;

	if (m == NULL)
		fatalx("ingest: out of memory");
	while ((n = s_pop(&in->toverify, batch, 16)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct item *it = batch[i];
			int err = msg_decode(m, it->bytes, it->len, in->cfg.max_size);
			if (err != MSG_OK) {
				it->res.status = INGEST_E_DECODE, it->res.err = err;
				s_finish(in, it);
				continue;
			}
			memcpy(it->res.id, m->id, MSG_ID_LEN);
			it->res.kind = m->kind;
			if (!s_for_us(in, m)) {
				it->res.status = INGEST_E_DECODE, it->res.err = MSG_E_NOT_RECIPIENT;
				s_finish(in, it);
				continue;
			}
			if (in->cfg.check != NULL &&
			    (err = in->cfg.check(in->cfg.check_arg, m, it->res.tag)) != 0) {
				it->res.status = INGEST_E_CHECK, it->res.err = err;
				s_finish(in, it);
				continue;
			}
			if (msg_verify(m) != MSG_OK) {
				it->res.status = INGEST_E_SIG, it->res.err = MSG_E_SIG;
				s_finish(in, it);
				continue;
			}
			if (s_index(in, m, it) == -1) {
				it->res.status = INGEST_E_STORE, it->res.err = STORE_E_NOMEM;
				s_finish(in, it);
				continue;
			}
			s_push(&in->towrite, it);
		}
	}
	msg_destroy(&m);
	/* The last verifier out closes the writer's queue. */
	pthread_mutex_lock(&in->vmu);
	bool last = --in->verifying == 0;
	pthread_mutex_unlock(&in->vmu);
	if (last)
		s_close(&in->towrite);
	return NULL;
}

static void *
s_writer(void *arg)
{
	struct ingest *in = arg;
	size_t max = in->cfg.batch_max, n;
	struct item **batch = calloc(max, sizeof *batch);
	struct store_rec *recs = calloc(max, sizeof *recs);
	int *results = calloc(max, sizeof *results);

	if (batch == NULL || recs == NULL || results == NULL)
		fatalx("ingest: out of memory");
	while ((n = s_pop(&in->towrite, batch, max)) > 0) {
		for (size_t i = 0; i < n; i++)
			recs[i] = batch[i]->rec;
		int rc = store_put_batch(in->st, recs, n, now_ms(), results);
		if (rc < 0)
			log_warnx("store: %s", store_strerror(rc));
		for (size_t i = 0; i < n; i++) {
			struct ingest_result *r = &batch[i]->res;
			if (rc < 0)
				r->status = INGEST_E_STORE, r->err = rc;
			else
				r->status = results[i] == STORE_DUP ? INGEST_DUP : INGEST_STORED;
			s_finish(in, batch[i]);
		}
	}
	free(batch);
	free(recs);
	free(results);
	return NULL;
}

struct ingest *
ingest_new(struct store *st, const struct ingest_cfg *cfg)
{
	struct ingest *in;

	if (cfg->self == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((in = calloc(1, sizeof *in)) == NULL)
		return NULL;
	in->st = st;
	in->cfg = *cfg;
	if (in->cfg.queue == 0)
		in->cfg.queue = 8192;
	if (in->cfg.queue_bytes == 0)
		in->cfg.queue_bytes = 16u << 20;
	if (in->cfg.batch_max == 0)
		in->cfg.batch_max = 4096;
	if (in->cfg.verifiers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		in->cfg.verifiers = cpus > 1 ? (size_t)cpus : 1;
	}
	if (in->cfg.verifiers > INGEST_VERIFIERS_MAX)
		in->cfg.verifiers = INGEST_VERIFIERS_MAX;
	in->rtail = &in->rhead;
	pthread_mutex_init(&in->rmu, NULL);
	pthread_cond_init(&in->rcv, NULL);
	pthread_mutex_init(&in->vmu, NULL);
	in->pipe[0] = in->pipe[1] = -1;
	if (s_queue_init(&in->toverify, in->cfg.queue, in->cfg.queue_bytes) == -1 ||
	    s_queue_init(&in->towrite, in->cfg.queue, SIZE_MAX) == -1 || pipe(in->pipe) == -1 ||
	    fcntl(in->pipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(in->pipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(in->pipe[1], F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	if (pthread_create(&in->writer, NULL, s_writer, in) != 0)
		goto fail;
	for (size_t i = 0; i < in->cfg.verifiers; i++) {
		pthread_mutex_lock(&in->vmu);
		in->verifying++;
		pthread_mutex_unlock(&in->vmu);
		if (pthread_create(&in->verifier[i], NULL, s_verifier, in) == 0)
			continue;
		/* Those started drain and end; none: the writer's queue closes here. */
		pthread_mutex_lock(&in->vmu);
		bool none = --in->verifying == 0;
		pthread_mutex_unlock(&in->vmu);
		s_close(&in->toverify);
		for (size_t k = 0; k < i; k++)
			pthread_join(in->verifier[k], NULL);
		if (none)
			s_close(&in->towrite);
		pthread_join(in->writer, NULL);
		goto fail;
	}
	return in;
fail:
	s_queue_fini(&in->toverify);
	s_queue_fini(&in->towrite);
	pthread_mutex_destroy(&in->rmu);
	pthread_cond_destroy(&in->rcv);
	pthread_mutex_destroy(&in->vmu);
	if (in->pipe[0] != -1)
		close(in->pipe[0]), close(in->pipe[1]);
	free(in);
	return NULL;
}

void
ingest_destroy(struct ingest **ip)
{
	struct ingest *in;

	if (ip == NULL || (in = *ip) == NULL)
		return;
	/* The verifiers drain their queue, the last closes the writer's,
	 * which drains in turn: everything submitted gets committed. */
	s_close(&in->toverify);
	for (size_t i = 0; i < in->cfg.verifiers; i++)
		pthread_join(in->verifier[i], NULL);
	pthread_join(in->writer, NULL);
	while (in->rhead != NULL) {
		struct item *it = in->rhead;
		in->rhead = it->next;
		free(it->res.bytes);
		free(it);
	}
	s_queue_fini(&in->toverify);
	s_queue_fini(&in->towrite);
	pthread_mutex_destroy(&in->rmu);
	pthread_cond_destroy(&in->rcv);
	pthread_mutex_destroy(&in->vmu);
	close(in->pipe[0]);
	close(in->pipe[1]);
	free(in);
	*ip = NULL;
}

int
ingest_submit(struct ingest *in, uint8_t *bytes, size_t len, void *tag)
{
	struct item *it = calloc(1, sizeof *it);

	if (it == NULL) {
		free(bytes);
		return -1;
	}
	it->bytes = bytes;
	it->len = len;
	it->res.tag = tag;
	pthread_mutex_lock(&in->rmu);
	in->submitted++;
	pthread_mutex_unlock(&in->rmu);
	if (s_push(&in->toverify, it) == -1) {
		pthread_mutex_lock(&in->rmu);
		in->submitted--;
		pthread_mutex_unlock(&in->rmu);
		s_item_release(it);
		free(it);
		errno = ECANCELED;
		return -1;
	}
	return 0;
}

size_t
ingest_results(struct ingest *in, struct ingest_result *out, size_t max)
{
	size_t n = 0;
	char drain[8];

	pthread_mutex_lock(&in->rmu);
	while (n < max && in->rhead != NULL) {
		struct item *it = in->rhead;
		if ((in->rhead = it->next) == NULL)
			in->rtail = &in->rhead;
		out[n++] = it->res;
		free(it);
	}
	if (in->rhead == NULL)
		while (read(in->pipe[0], drain, sizeof drain) > 0)
			;
	pthread_mutex_unlock(&in->rmu);
	return n;
}

int
ingest_fd(const struct ingest *in)
{
	return in->pipe[0];
}

void
ingest_wait(struct ingest *in)
{
	pthread_mutex_lock(&in->rmu);
	while (in->finished < in->submitted)
		pthread_cond_wait(&in->rcv, &in->rmu);
	pthread_mutex_unlock(&in->rmu);
}
