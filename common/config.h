/*
 * config — the node configuration file, DIR/socmesh.conf (INI, read with
 * inih through inifile_parse_buf()).  docs/CONFIG.md is the normative
 * description of every key; this header is the API.
 *
 * Functions that can fail write one line into err (errlen bytes): for a
 * problem in the file "PATH:LINE: message", otherwise "PATH: message".
 */
#ifndef SOCMESH_CONFIG_H
#define SOCMESH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Names inside the node directory (docs/CONFIG.md, "Node directory"). */
#define CONFIG_FILE           "socmesh.conf"
#define CONFIG_STORE_DIR      "store"
#define CONFIG_CONTROL_SOCKET "control.sock"

#define CONFIG_NAME_MAX     63  /* characters of a node or peer name */
#define CONFIG_ENDPOINT_MAX 180 /* characters of an endpoint (listen, trust list) */
#define CONFIG_DATA_DIR_MAX 180 /* characters of data_dir */

#define CONFIG_MAX_FILE (64 * 1024) /* bytes of socmesh.conf, at most */

struct config {
	char name[64]; /* [node] name: 1-63 of [A-Za-z0-9._-], required */
	char listen
	    [256]; /* [node] listen: tcp://HOST:PORT (PORT 1-65535; HOST an IPv4 literal, [IPv6] literal, hostname or *), required */
	char data_dir
	    [4096]; /* [node] data_dir: default "" meaning the node directory itself; a relative path is relative to the node directory */
	char warninglists
	    [4096]; /* [node] warninglists: default "" meaning WARNINGLIST_DEFAULT_DIR (warninglist.h); a relative path is relative to the node directory */
	uint64_t store_size; /* [node] store_size: size (parse_size), default 16G, min 1M */
	uint64_t
	    retention_ms; /* [node] retention: duration, default 365d, "0"/"forever" = keep forever (0 here) */
	int log_level; /* [node] log_level: error|warn|info|debug (log_level_parse), default info */
	uint64_t max_message; /* [limits] max_message: size, default 256K, range 1K..1M */
	uint32_t
	    peer_rate; /* [limits] peer_rate: messages/s accepted per peer, default 1000, 1..1000000 */
	uint32_t
	    peer_burst; /* [limits] peer_burst: token-bucket burst, default 5000, 1..10000000 */
	uint64_t
	    peer_window; /* [limits] peer_window: size, default 4M, 64K..1G: bytes sent to one peer not yet proven read */
	uint64_t
	    peer_send_rate; /* [limits] peer_send_rate: size per second, default 64M, 64K..16G */
	uint32_t
	    peer_queue; /* [limits] peer_queue: max messages queued to one peer, default 10000, 1..10000000 */
	uint64_t
	    sync_interval_ms; /* [gossip] sync_interval: anti-entropy period, default 60s, 1s..1d */
	uint32_t dial_max; /* [gossip] dial_max: roster peers this node dials, default 8, 1..4096 */
	uint64_t
	    beacon_interval_ms; /* [gossip] beacon_interval: status beacon period, default 60s, 1s..1h */
	char taxii_listen
	    [256]; /* [taxii] listen: "" (the default: no TAXII server), https://HOST:PORT or http://HOST:PORT (config_taxii_listen()) */
	char taxii_cert
	    [4096]; /* [taxii] cert: PEM certificate chain file; relative to the node directory */
	char
	    taxii_key[4096]; /* [taxii] key: PEM private key file; relative to the node directory */
	bool
	    taxii_plain_http; /* [taxii] plain_http: yes|no, default no: http:// only with yes and a loopback address */
};

/* Fill c with every default; name and listen become "". */
void config_defaults(struct config *c);

/*
 * Read the file at path into c: defaults first, then every key of the file.
 * Errors, each one line in err, the first one found:
 *   "PATH: No such file or directory" (or another errno string)
 *   "PATH:LINE: unknown section [x]"
 *   "PATH:LINE: unknown key 'x' in [node]"
 *   "PATH:LINE: bad value 'v' for store_size: expected ..."
 *   "PATH:LINE: duplicate key 'x' in [node]" / "section [node] appears twice"
 *   "PATH:LINE: syntax error: ..."
 *   "PATH: missing key 'name' in [node]"
 * Returns 0, or -1 with err set; c is then partly filled and must not be used.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/*
 * config_load() over the len bytes at buf (they need not end in a NUL),
 * with name in place of PATH in the messages: the same defaults, keys,
 * checks and errors, and the same limit of CONFIG_MAX_FILE bytes ("NAME:
 * File too large" beyond it).  config_load() reads the file and calls
 * this.  Returns 0, or -1 with err set; c is then partly filled and must
 * not be used.
 */
int config_parse(struct config *c, const char *buf, size_t len, const char *name, char *err,
    size_t errlen);

/*
 * Check every field of c against its type and range, as config_load() does
 * for the file, and that config_write() can represent it ("name: ...",
 * "store_size: ...").  0, or -1 with err set.
 */
int config_check(const struct config *c, char *err, size_t errlen);

/*
 * Write c to path as a complete, commented file with every key and its
 * value, atomically (file_write_atomic(), mode 0640), such that
 * config_load() reads back the same struct.  Refuses (-1, err set) a struct
 * that config_check() refuses.  Comments in an existing file are not kept.
 */
int config_write(const struct config *c, const char *path, char *err, size_t errlen);

/* True for a node or peer name: 1-63 characters of A-Z a-z 0-9 . _ - */
bool config_valid_name(const char *s);

/*
 * True for a ZeroMQ TCP endpoint "tcp://HOST:PORT" of at most
 * CONFIG_ENDPOINT_MAX characters: PORT decimal 1-65535; HOST an IPv4 literal
 * (dotted quad), an IPv6 literal in brackets, a host name (RFC 1123 labels)
 * or, only when wildcard is true (listen), "*".
 */
bool config_valid_endpoint(const char *s, bool wildcard);

/*
 * The address of a TAXII listen URL s: "https://HOST:PORT" or
 * "http://HOST:PORT", HOST an IPv4 literal or an IPv6 literal in brackets,
 * PORT 1-65535, nothing after it (a trailing "/" allowed).  *tls is true
 * for https; host (hostlen bytes) gets HOST without brackets, *port PORT,
 * *loopback whether HOST is in 127.0.0.0/8 or is ::1.  0, or -1 with one
 * line in err.
 */
int config_taxii_listen(const char *s, bool *tls, char *host, size_t hostlen, unsigned *port,
    bool *loopback, char *err, size_t errlen);

#endif
