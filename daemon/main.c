/*
 * socmeshd — the socmesh node: options, log to stderr, configuration (-n
 * checks it), keys and store, listener and peers, control socket, TAXII
 * server, loop, orderly shutdown.
 */
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "gossip.h"
#include "log.h"
#include "node.h"
#include "taxii.h"
#include "util.h"
#include "version.h"

#define RETENTION_PERIOD_MS (10 * 60 * 1000)
#define RETENTION_BATCH     1000
#define SIGNAL_CHECK_MS     100

static volatile sig_atomic_t s_quit, s_reload;

static void
s_signal(int sig)
{
	if (sig == SIGHUP)
		s_reload = 1;
	else
		s_quit = 1;
}

static void
s_usage(void)
{
	fprintf(stderr,
	    "usage: socmeshd [-dn] [--syslog] [--log-level LEVEL] --dir DIR\n"
	    "       socmeshd --version\n");
	exit(2);
}

static void
s_retention(struct node *n)
{
	uint64_t now = now_ms();
	size_t removed = 0;
	int rc;

	if (n->cfg.retention_ms == 0 || n->cfg.retention_ms >= now)
		return;
	rc = store_expire(n->st, now - n->cfg.retention_ms, RETENTION_BATCH, &removed);
	if (rc != STORE_OK)
		log_warnx("retention: %s", store_strerror(rc));
	else if (removed > 0)
		log_info("retention: removed %zu expired messages", removed);
}

/* SIGHUP: configuration and trust list again; a bad file keeps the old.
 * The listen endpoint, data_dir and the store size take a restart. */
static void
s_reload_config(struct node *n, struct gossip *g, int log_level)
{
	char path[PATH_MAX + 64], err[512];
	struct config cfg;

	node_path(n, path, sizeof path, CONFIG_FILE);
	if (config_load(&cfg, path, err, sizeof err) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
	if (node_reload_trust(n, err, sizeof err) == -1) {
		log_warnx("reload: %s; keeping the running trust list", err);
		return;
	}
	snprintf(cfg.listen, sizeof cfg.listen, "%s", n->cfg.listen);
	snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", n->cfg.data_dir);
	cfg.store_size = n->cfg.store_size;
	n->cfg = cfg;
	log_setlevel((enum log_level)(log_level >= 0 ? log_level : cfg.log_level));
	gossip_trust_changed(g);
	log_info("reloaded configuration and trust list (%zu peers)", trust_count(n->trust));
}

struct daemon {
	struct node *n;
	struct gossip *g;
	struct control *ctl;
	uint64_t next_retention;
	int log_level; /* from the command line, -1 when the file decides */
};

/* Signals only set flags; the loop acts on them here. */
static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
	struct daemon *d = arg;
	uint64_t now = now_ms();

	(void)loop, (void)timer_id;
	if (s_quit)
		return -1;
	if (s_reload) {
		s_reload = 0;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)ts.tv_sec * 1000000ULL +
		        (unsigned long long)ts.tv_nsec / 1000);
		s_reload_config(d->n, d->g, d->log_level);
		control_reload_warninglists(d->ctl);
		sd_notify(0, "READY=1");
	}
	if (now >= d->next_retention) {
		s_retention(d->n);
		d->next_retention = now + RETENTION_PERIOD_MS;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "dir", 1, 0, 'D' }, { "syslog", 0, 0, 's' },
		{ "log-level", 1, 0, 'L' }, { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' },
		{ 0 } };
	const char *dir = getenv("SOCMESH_DIR");
	int ch, check = 0, use_syslog = 0, level = -1, lock = -1;
	char err[512], hex[65];
	struct sigaction sa;
	struct node *n;

	while ((ch = getopt_long(argc, argv, "dn", opts, NULL)) != -1)
		switch (ch) {
		case 'D':
			dir = optarg;
			break;
		case 'd':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'L':
			if ((level = log_level_parse(optarg)) == -1) {
				fprintf(stderr,
				    "socmeshd: --log-level: '%s' is not one of error, warn, "
				    "info, debug\n",
				    optarg);
				return 2;
			}
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			puts("socmeshd " SOCMESH_VERSION);
			return 0;
		case 's':
			use_syslog = 1;
			break;
		default:
			s_usage();
		}
	if (optind != argc || dir == NULL || dir[0] == '\0')
		s_usage();

	log_init("socmeshd", use_syslog, level >= 0 ? (enum log_level)level : LOG_LEVEL_INFO);
	if (sodium_init() < 0)
		fatalx("libsodium cannot initialize");

	/* One daemon per node, and none while a restore replaces its store. */
	if (!check && (lock = node_lock(dir, err, sizeof err)) == -1 && access(dir, F_OK) == 0)
		fatalx("%s", err);
	if ((n = node_open(dir, NODE_KEYS | (check ? 0 : NODE_STORE), err, sizeof err)) == NULL)
		fatalx("%s", err);
	if (check) {
		fprintf(stderr, "configuration OK\n");
		node_close(&n);
		return 0;
	}
	if (level < 0)
		log_setlevel((enum log_level)n->cfg.log_level);
	if (node_roster_recover(n, err, sizeof err) == -1)
		fatalx("%s", err);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = s_signal;
	sigemptyset(&sa.sa_mask);
	/* czmq's own handler would take SIGINT and SIGTERM from us. */
	zsys_handler_set(NULL);
	/* Two ZeroMQ I/O threads: the control socket's (affinity 1) is never
	 * behind the CURVE decryption of a peer's flood (affinity 2). */
	zsys_set_io_threads(2);
	/* Blocks up to 8 MiB (an exchange's own set up to 200,000 messages)
	 * come from the heap, whose pages stay mapped, instead of fresh
	 * mappings that fault in page by page each time; larger ones (a
	 * class's set of a large store, replaced when it changes) are mapped
	 * and given back when freed, so that memory follows the store. */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct daemon d = { .n = n, .log_level = level };
	struct control *ctl = NULL;
	zloop_t *loop = zloop_new();
	if (loop == NULL)
		fatalx("out of memory");
	if ((d.g = gossip_new(n, loop, err, sizeof err)) == NULL ||
	    (ctl = control_new(n, d.g, loop, err, sizeof err)) == NULL)
		fatalx("%s", err);
	d.ctl = ctl;
	/* The TAXII server ([taxii] listen) is a client of the control socket,
	 * in a thread of its own. */
	struct taxii *tx = NULL;
	if (taxii_start(&tx, dir, &n->cfg, err, sizeof err) == -1)
		fatalx("%s", err);
	control_set_taxii(ctl, tx);
	zloop_timer(loop, SIGNAL_CHECK_MS, 0, s_tick, &d);

	hex_encode(hex, n->id, 32);
	log_info("node %s (%s) listening on %s, %zu trusted peers", n->cfg.name, hex, n->cfg.listen,
	    trust_count(n->trust));
	/* Under systemd (Type=notify): the control socket and the listener
	 * are up, so the CLI and the peers can be served. */
	sd_notify(0, "READY=1");
	while (!s_quit && zloop_start(loop) == 0 && !s_quit)
		;
	sd_notify(0, "STOPPING=1");
	log_info("shutting down");
	control_set_taxii(ctl, NULL);
	taxii_stop(&tx);
	control_destroy(&ctl);
	gossip_destroy(&d.g);
	zloop_destroy(&loop);
	node_close(&n);
	close(lock);
	return 0;
}
