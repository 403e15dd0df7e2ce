/*
 * log — one small logging API for daemon and CLI, in the OpenBSD manner.
 *
 * Messages go to stderr (default) or syslog.  On a stderr that is
 * journald's stream (JOURNAL_STREAM), each line starts with its syslog
 * priority, "<4>", so that the journal keeps the level.  log_warn()
 * appends strerror of the errno at the time of the call; the *x variants
 * do not.  fatal() and
 * fatalx() are for programming errors and out-of-memory only: bad input from
 * a peer, a file or the command line is never fatal.
 *
 * The logger state is the process's own, set by log_init() from main
 * before any thread starts.  Only the level changes later: log_setlevel()
 * may be called at any time from any thread (socmeshd does on SIGHUP while
 * its verifier and writer threads log); the level is atomic.  Every other
 * function only reads the state.
 */
#ifndef SOCMESH_LOG_H
#define SOCMESH_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Start logging as `progname`, to syslog when use_syslog, else stderr. */
void log_init(const char *progname, int use_syslog, enum log_level level);
void log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* "error", "warn", "info", "debug" -> level; -1 for anything else. */
int log_level_parse(const char *s);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
