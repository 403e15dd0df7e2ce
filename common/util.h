/*
 * util — small utilities shared by the daemon and the CLI: hex and id text
 * forms, sizes and durations in configuration syntax, the wall clock, whole
 * file reads and atomic file writes, and the INI reader that the
 * configuration and the trust list use.
 *
 * Functions return 0 on success and -1 on failure; those that touch the file
 * system leave errno set on failure.  None keeps state between calls.
 */
#ifndef SOCMESH_UTIL_H
#define SOCMESH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- hex and ids ------------------------------------------------------ */

/* Write the 2n lowercase hex digits of the n bytes at in, then a NUL: out
 * holds at least 2n + 1 bytes.  Constant time (safe for secrets). */
void hex_encode(char *out, const uint8_t *in, size_t n);

/* Decode exactly 2 * outlen hex digits (either case) from the inlen bytes
 * at in.  -1 when inlen is not 2 * outlen or any byte is not a hex digit;
 * out is then undefined.  Constant time in the digits' values. */
int hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

/* The text form of a node id or message id: exactly 64 hex digits (either
 * case on input; hex_encode() writes lowercase), NUL-terminated, nothing
 * else.  -1 for anything else. */
int id_parse(uint8_t out[32], const char *s);

/* ---- sizes and durations ---------------------------------------------- */

/*
 * A size: decimal digits, then optionally one of K, M, G, T (powers of 1024,
 * either case), then optionally "B" or, after a multiplier, "iB" (either
 * case): "1048576", "256K", "16M", "16GiB", "4gb", "512B".  No sign, no
 * spaces.  -1 for an empty string, anything else, or a value that does not
 * fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * A duration, into milliseconds: decimal digits, then optionally one unit
 * (lowercase): ms, s, m (minutes), h, d, w, y (365 d).  A plain number is seconds:
 * "500ms", "60s", "60", "5m", "2h", "365d", "2w".  -1 for anything else or
 * a value that does not fit in 64 bits of milliseconds.
 */
int parse_duration(const char *s, uint64_t *ms);

/* Decimal digits only (no sign, no spaces) into *out.  -1 for an empty
 * string, anything else, or a value that does not fit in 64 bits. */
int parse_uint(const char *s, uint64_t *out);

/* The shortest exact text of a size ("16G", "1536K", "0") or duration
 * ("365d", "2w", "1500ms", "0s") that parse_size() and parse_duration()
 * read back as the same value.  buf holds at least 32 bytes. */
#define FORMAT_BUFSZ 32
void format_size(char buf[FORMAT_BUFSZ], uint64_t v);
void format_duration(char buf[FORMAT_BUFSZ], uint64_t ms);

/* Format one line into err (errlen bytes, may be 0) and return -1: the
 * error path of functions that report "0, or -1 with err set". */
int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Milliseconds since the epoch (CLOCK_REALTIME). */
uint64_t now_ms(void);
/* Microseconds of CLOCK_MONOTONIC: for measuring how long things take. */
uint64_t mono_us(void);

/* ---- files ------------------------------------------------------------ */

/*
 * Replace the file at path with len bytes of data, atomically: write
 * "PATH.tmp" (created with exactly `mode`, whatever the umask; a symbolic
 * link there is refused), fsync it, rename it over path and fsync the
 * directory.  A reader sees the old file or the new one, never a mix; after
 * a crash, path holds one of them.  -1 with errno set on failure, and
 * PATH.tmp is removed.  One writer per path at a time.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Finish a file composed with open_memstream(f, buf, len): close f and
 * replace path with its contents by file_write_atomic(); *buf is freed.
 * 0, or -1 with one line "PATH: reason" in err.
 */
int file_write_memstream(const char *path, FILE *f, char **buf, size_t *len, mode_t mode, char *err,
    size_t errlen);

/*
 * Take an exclusive lock (flock) on the file at path, created 0600 when
 * missing; blocks until it is free.  Returns the descriptor that holds the
 * lock (release it with close()), or -1 with errno set.  For writers of the
 * node directory that must not interleave (publishers, trust-list edits).
 */
int file_lock(const char *path);

/* Write all len bytes to fd, retrying short writes and EINTR.  -1 errno. */
int fd_write_all(int fd, const void *data, size_t len);

/* fsync the directory that holds path (".", when path has no '/'), which
 * makes a rename, link or unlink in it durable.  -1 errno. */
int file_sync_dir(const char *path);

/*
 * Read the whole file at path.  On success *out is a malloc'd buffer of
 * *outlen bytes plus a terminating NUL, which the caller frees with free().
 * -1 with errno set on failure: EFBIG when the file is larger than max bytes.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *outlen);

/* ---- INI files -------------------------------------------------------- */

/*
 * inifile_parse() reads an INI file with inih, adding what our files need
 * on top of it: exact line numbers in messages, section names of any length,
 * a callback at the end of each section, and refusal of lines inih would
 * truncate.  The accepted syntax:
 *
 *   - "[name]" starts a section; only a comment may follow the "]";
 *   - "key = value" (or "key: value"); whitespace around key and value is
 *     ignored, so is leading whitespace on any line;
 *   - lines whose first non-blank character is ';' or '#' are comments, and
 *     " ;" starts a comment at the end of a line;
 *   - a value is one line (no continuation lines);
 *   - a key before the first section is an error;
 *   - a line may hold at most INIFILE_MAX_LINE characters.
 *
 * Each callback returns 0 to go on, or -1 after writing one message (no
 * file name, no line) into err.  section() is called at each "[name]",
 * key() for each key in the current section, section_end() when a section
 * ends (at the next "[name]" or at the end of the file); a message from
 * section_end() is reported at the line of that section's header.  Any
 * callback may be NULL.  Parsing stops at the first error.
 *
 * The file may hold at most max bytes.  Returns 0, or -1 with err set to one
 * line: "PATH: No such file or directory" (or another errno string) when
 * the file cannot be read, "PATH:LINE: message" for an error in it.
 *
 * inifile_parse_buf() is the same parser over the len bytes at buf, which
 * need not end in a NUL (a NUL byte inside is an error, as in a file).
 * inifile_parse() reads the file and hands it to inifile_parse_buf(), so
 * the two accept the same text and report the same errors, with name in
 * place of PATH ("NAME:LINE: message").  Any length up to INT_MAX bytes is
 * parsed (callers with a smaller limit check len themselves); more is
 * refused as "NAME: File too large".
 */
#define INIFILE_MAX_LINE 197 /* characters, not counting the line end */

struct inifile_ops {
	int (*section)(void *user, const char *name, char *err, size_t errlen);
	int (*key)(void *user, const char *section, const char *key, const char *value, char *err,
	    size_t errlen);
	int (*section_end)(void *user, const char *name, char *err, size_t errlen);
};

int inifile_parse(const char *path, size_t max, const struct inifile_ops *ops, void *user,
    char *err, size_t errlen);
int inifile_parse_buf(const char *buf, size_t len, const char *name, const struct inifile_ops *ops,
    void *user, char *err, size_t errlen);

#endif
