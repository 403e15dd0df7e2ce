#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

/* progname, use_syslog and journal are written by log_init() only, before
 * any thread starts.  The level changes at run time (socmeshd's SIGHUP
 * reload, on the loop thread) while the verifier and writer threads log:
 * it is atomic.  Relaxed order is enough, as the level orders nothing else. */
static struct {
	const char *progname;
	int use_syslog;
	int journal; /* stderr is journald's stream: lines carry "<prio>" */
	atomic_int level;
} s_log = { "socmesh", 0, 0, LOG_LEVEL_INFO };

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr; a stderr redirected elsewhere since does not match. */
static int
s_on_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int use_syslog, enum log_level level)
{
	s_log.progname = progname;
	s_log.use_syslog = use_syslog;
	atomic_store_explicit(&s_log.level, (int)level, memory_order_relaxed);
	s_log.journal = !use_syslog && s_on_journal();
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(enum log_level level)
{
	atomic_store_explicit(&s_log.level, (int)level, memory_order_relaxed);
}

enum log_level
log_getlevel(void)
{
	return (enum log_level)atomic_load_explicit(&s_log.level, memory_order_relaxed);
}

int
log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void
s_vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];

	if ((int)level > atomic_load_explicit(&s_log.level, memory_order_relaxed))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (s_log.use_syslog) {
		if (errnum)
			syslog(prio[level], "%s: %s", msg, strerror(errnum));
		else
			syslog(prio[level], "%s", msg);
	} else if (s_log.journal)
		/* journald takes the priority from the prefix and adds the name. */
		fprintf(stderr, "<%d>%s%s%s\n", prio[level], msg, errnum ? ": " : "",
		    errnum ? strerror(errnum) : "");
	else if (errnum)
		fprintf(stderr, "%s: %s: %s\n", s_log.progname, msg, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", s_log.progname, msg);
}

#define LOGFN(name, level, witherr)                                                                \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int e = errno;                                                                     \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		s_vlog(level, (witherr) ? e : 0, fmt, ap);                                         \
		va_end(ap);                                                                        \
		errno = e;                                                                         \
	}
LOGFN(log_warn, LOG_LEVEL_WARN, 1)
LOGFN(log_warnx, LOG_LEVEL_WARN, 0)
LOGFN(log_info, LOG_LEVEL_INFO, 0)
LOGFN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	s_vlog(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s_vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
