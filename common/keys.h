/*
 * keys — the node's identity: one Ed25519 key pair (libsodium) whose public
 * key is the node id, and whose X25519 counterpart is the node's CurveZMQ
 * key.  docs/CONFIG.md describes the files.
 *
 *   DIR/node.key  mode 0600: one line, the 32-byte Ed25519 seed as 64
 *                 lowercase hex digits.  Secret.
 *   DIR/node.id   mode 0644: one line, the node id (Ed25519 public key) as
 *                 64 lowercase hex digits.
 *
 * Functions that can fail write one line into err (errlen bytes, always
 * NUL-terminated when errlen > 0) that names the file and what is wrong;
 * the line is fit for the log and the CLI as it is.
 */
#ifndef SOCMESH_KEYS_H
#define SOCMESH_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct keys {
	uint8_t pk[32];       /* Ed25519 public key = node id */
	uint8_t sk[64];       /* Ed25519 secret key, libsodium form */
	uint8_t curve_pk[32]; /* X25519 (crypto_sign_ed25519_pk_to_curve25519) = CurveZMQ key */
	uint8_t curve_sk[32]; /* X25519 (crypto_sign_ed25519_sk_to_curve25519) */
};

#define KEYS_SECRET_FILE "node.key"
#define KEYS_PUBLIC_FILE "node.id"

/*
 * Create a new identity in the existing directory dir: DIR/node.key (mode
 * 0600) and DIR/node.id (mode 0644), whatever the umask.  Never replaces an
 * existing node.key: returns -1 and says so in err.  The key file appears
 * complete or not at all (written to node.key.tmp with O_EXCL, fsync'd, then
 * linked into place); if node.id cannot be written, the new node.key is
 * removed again.  A node.key.tmp left by an interrupted run is an error (the
 * message says to remove it).  Every buffer that held the secret is zeroed.
 */
int keys_generate(const char *dir, char *err, size_t errlen);

/*
 * Load the identity from DIR/node.key and derive the rest of struct keys.
 * Refuses, as ssh does, a key file whose mode grants any permission to group
 * or others ("DIR/node.key: permissions 0640 are too open; ... (run: chmod
 * 600 DIR/node.key)"), a file that is not a regular file (symbolic links are
 * not followed), and content that is not one line of 64 hex digits (either
 * case, line end optional).  DIR/node.id is not read.
 *
 * Caller owns the result, allocated with sodium_malloc() (guard pages, locked
 * in memory where the system allows), and frees it with keys_destroy().
 * NULL with err set on failure.
 */
struct keys *
keys_load(const char *dir, char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The content check and derivation of keys_load() over the len bytes at buf
 * (they need not end in a NUL): one line of 64 hex digits (either case,
 * line end optional), else "NAME: malformed secret key: expected one line
 * of 64 hex digits", with name in place of the file's path in every
 * message.  keys_load() checks the file (type, mode), reads it and calls
 * this.  buf is only read; the caller zeroes it.  The result is as
 * keys_load()'s: free it with keys_destroy(); NULL with err set on failure.
 */
struct keys *keys_parse(const char *buf, size_t len, const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Another secret of 32 bytes, kept as node.key keeps the seed: one line of
 * 64 lowercase hex digits in a file of mode 0600.  keys_secret_create()
 * draws a new secret into secret and writes it to the new file path as
 * keys_generate() writes node.key (complete or not at all, never over a
 * file: -1 with errno EEXIST when path exists).  keys_secret_read() reads
 * it with keys_load()'s checks (a regular file, no symbolic link, no
 * permission for group or others, one line of 64 hex digits).  0, or -1
 * with err set; secret is zeroed on failure.
 */
int keys_secret_create(const char *path, uint8_t secret[32], char *err, size_t errlen);
int keys_secret_read(const char *path, uint8_t secret[32], char *err, size_t errlen);

/* Zero and free *kp, then set *kp = NULL.  NULL-safe and idempotent. */
void keys_destroy(struct keys **kp);

/* Read the node id from DIR/node.id (one line of 64 hex digits, either
 * case).  0, or -1 with err set. */
int keys_read_id(const char *dir, uint8_t id[32], char *err, size_t errlen);

/* The X25519 (CurveZMQ) public key of an Ed25519 public key.  -1 when ed_pk
 * is not a valid Ed25519 public key (not a point of the main subgroup, or
 * of small order): such a key can be no node's id. */
int keys_curve_pk(uint8_t curve[32], const uint8_t ed_pk[32]);

#endif
