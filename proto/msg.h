/*
 * msg — the socmesh message: canonical msgpack codec, Ed25519 signature,
 * BLAKE2b-256 id, sealed bodies for addressed TLPs.  Pure code: no I/O, no
 * global state.  docs/PROTOCOL.md is the normative description of the bytes.
 *
 * A decoded message is a set of views into the bytes it was decoded from:
 * every `struct msg_str` and every pointer in `struct msg` borrows the input
 * buffer (or, after msg_open(), the plaintext buffer) and is valid only as
 * long as that buffer is.  Strings are not NUL-terminated; print them with
 * "%.*s", (int)s.n, s.p.
 *
 * All functions return MSG_OK (0) or a negative `enum msg_err`; msg_strerror()
 * gives the human string that logs and the CLI show.
 */
#ifndef SOCMESH_MSG_H
#define SOCMESH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc.h"

#define MSG_VERSION       1
#define MSG_ID_LEN        32 /* BLAKE2b-256 of the complete message */
#define MSG_KEY_LEN       32 /* node id: Ed25519 public key */
#define MSG_SIG_LEN       64
#define MSG_NONCE_LEN     24 /* XChaCha20-Poly1305 nonce */
#define MSG_BODYKEY_LEN   32 /* XChaCha20-Poly1305 key */
#define MSG_SEALEDKEY_LEN 80 /* crypto_box_seal of a body key: 32 + 48 */

/* Limits of the format.  The decoder checks each before it relies on it. */
#define MSG_MAX_SIZE_DEFAULT (256u * 1024u)
#define MSG_MAX_INDICATORS   1000
#define MSG_MAX_RECIPIENTS   64
#define MSG_MAX_SECTORS      32
#define MSG_MAX_ATTACK       64
#define MSG_MAX_ACTIONS      32
#define MSG_MAX_TITLE        256
#define MSG_MAX_SUMMARY      16384 /* also detection, effects, response, lessons */
#define MSG_MAX_SCOPE        4096
#define MSG_MAX_NOTE         4096
#define MSG_MAX_ACTION       1024
#define MSG_MAX_TOKEN        64  /* category type, sector, ATT&CK id, roster name */
#define MSG_MAX_MEMBERS      512 /* entries of a roster or an endpoints message */
#define MSG_MAX_ENDPOINT     255 /* bytes of an endpoint: tcp://HOST:PORT */
#define MSG_MAX_VERSION      32  /* bytes of a beacon's version */

enum msg_err {
	MSG_OK = 0,
	MSG_E_TOOBIG = -1,       /* larger than the size limit */
	MSG_E_TRUNCATED = -2,    /* ends inside an element */
	MSG_E_TYPE = -3,         /* element of the wrong msgpack type */
	MSG_E_NONCANONICAL = -4, /* not the one canonical byte form */
	MSG_E_VERSION = -5,      /* unknown protocol version */
	MSG_E_FIELD = -6,        /* missing, unknown or misplaced field */
	MSG_E_LENGTH = -7,       /* a string or binary of the wrong length */
	MSG_E_UTF8 = -8,         /* text that is not valid UTF-8 or has controls */
	MSG_E_TLP = -9,
	MSG_E_KIND = -10,
	MSG_E_RECIPIENTS = -11, /* missing, forbidden, too many or unsorted */
	MSG_E_INDICATORS = -12, /* too many, or repeated */
	MSG_E_INDICATOR = -13,  /* unknown type, invalid or not normalized */
	MSG_E_CATEGORY = -14,
	MSG_E_SEVERITY = -15,
	MSG_E_STATUS = -16,
	MSG_E_REF = -17,    /* missing or forbidden for this kind */
	MSG_E_COUNT = -18,  /* too many sectors, techniques or actions */
	MSG_E_TOKEN = -19,  /* malformed sector, type or ATT&CK id */
	MSG_E_SIG = -20,    /* signature does not verify */
	MSG_E_SEALED = -21, /* sealed body malformed, or plain body where sealed is required */
	MSG_E_NOT_RECIPIENT = -22, /* msg_open: not addressed to this key */
	MSG_E_DECRYPT = -23,       /* msg_open: authentication failed */
	MSG_E_LEVEL = -24,         /* roster: unknown trust level */
	MSG_E_NOMEM = -25,
	MSG_E_INVAL = -26, /* encoder: arguments out of range */
};
#define MSG_E_LAST MSG_E_INVAL

/* The human string for an error code ("signature does not verify"). */
const char *msg_strerror(int err);
/* A short stable token for counters and JSON ("bad-signature"). */
const char *msg_errname(int err);

enum msg_tlp {
	MSG_TLP_CLEAR,
	MSG_TLP_GREEN,
	MSG_TLP_AMBER,
	MSG_TLP_AMBER_STRICT,
	MSG_TLP_RED,
};
#define MSG_TLP_COUNT 5

enum msg_kind {
	MSG_KIND_INCIDENT,
	MSG_KIND_UPDATE,
	MSG_KIND_SIGHTING,
	MSG_KIND_RETRACT,
	MSG_KIND_ROSTER,
	MSG_KIND_APPROVE,
	MSG_KIND_ENDPOINTS,
	MSG_KIND_BEACON,
	MSG_KIND_ROTATE,
	MSG_KIND_COMMENT,
};
#define MSG_KIND_COUNT 10

/* The eleven top-level categories of the Reference Security Incident
 * Taxonomy (ENISA / CSIRTs Network). */
enum msg_category {
	MSG_CAT_ABUSIVE_CONTENT,
	MSG_CAT_MALICIOUS_CODE,
	MSG_CAT_INFORMATION_GATHERING,
	MSG_CAT_INTRUSION_ATTEMPTS,
	MSG_CAT_INTRUSIONS,
	MSG_CAT_AVAILABILITY,
	MSG_CAT_INFORMATION_CONTENT_SECURITY,
	MSG_CAT_FRAUD,
	MSG_CAT_VULNERABLE,
	MSG_CAT_OTHER,
	MSG_CAT_TEST,
};
#define MSG_CAT_COUNT 11

enum msg_severity {
	MSG_SEV_LOW,
	MSG_SEV_MEDIUM,
	MSG_SEV_HIGH,
	MSG_SEV_VERY_HIGH,
	MSG_SEV_CRITICAL
};
#define MSG_SEV_COUNT 5

enum msg_status {
	MSG_STATUS_OPEN,
	MSG_STATUS_CONTAINED,
	MSG_STATUS_RESOLVED,
	MSG_STATUS_FALSE_POSITIVE
};
#define MSG_STATUS_COUNT 4

/* Roster trust levels, the same words as the trust list's. */
enum msg_level { MSG_LEVEL_BLOCKED, MSG_LEVEL_EXTERNAL, MSG_LEVEL_MEMBER };
#define MSG_LEVEL_COUNT 3

/* Names <-> values of the enumerations above.  *_name() returns the wire
 * word ("amber+strict", "very-high", "false-positive"); *_parse() takes a
 * word of length n and returns the value or -1. */
const char *msg_tlp_name(enum msg_tlp t);
int msg_tlp_parse(const char *s, size_t n);
const char *msg_kind_name(enum msg_kind k);
int msg_kind_parse(const char *s, size_t n);
const char *msg_category_name(enum msg_category c);
int msg_category_parse(const char *s, size_t n);
const char *msg_severity_name(enum msg_severity s);
int msg_severity_parse(const char *s, size_t n);
const char *msg_status_name(enum msg_status s);
int msg_status_parse(const char *s, size_t n);
const char *msg_level_name(enum msg_level l);
int msg_level_parse(const char *s, size_t n);

/* True for amber, amber+strict and red: recipients named, body sealed. */
bool msg_tlp_addressed(enum msg_tlp t);

/* True for the kinds that govern the network (roster, approve,
 * endpoints): accepted from coordinators only, kept whatever their age. */
bool msg_kind_governs(enum msg_kind k);
/* True for the kinds kept whatever their age: those that govern, and
 * rotate (a SOC's history under its old key stays its own). */
bool msg_kind_kept(enum msg_kind k);

/* The bytes a rotation's new key signs (the proof of a `rotate` body):
 * MSG_ROTATE_TAG, then the old key, then the new key. */
#define MSG_ROTATE_TAG    "socmesh-rotate-v1"
#define MSG_ROTATE_SIGNED (sizeof MSG_ROTATE_TAG - 1 + 2 * MSG_KEY_LEN)
void msg_rotate_signed(uint8_t out[MSG_ROTATE_SIGNED], const uint8_t old_key[MSG_KEY_LEN],
    const uint8_t new_key[MSG_KEY_LEN]);

struct msg_str {
	const char *p;
	size_t n;
};

struct msg_ioc {
	enum ioc_type type;
	struct msg_str value; /* normalized (ioc_normalize) */
};

/* An entry of a roster (id, name, level, coordinator) or of an endpoints
 * message (id, endpoint). */
struct msg_member {
	const uint8_t *id; /* MSG_KEY_LEN bytes */
	struct msg_str name, endpoint;
	enum msg_level level;
	bool coordinator;
};

/*
 * The body.  Which fields a kind uses:
 *   incident:         title, category, severity, status (required);
 *                     summary, type, impact, sectors, scope, indicators,
 *                     attack, actions, detection, effects, response,
 *                     lessons, expires (optional)
 *   update:           the fields of an incident, each optional, and lead
 *                     (has_lead); at least one present: only what changes
 *   comment:          text (required), indicators (optional)
 *   sighting, retract, approve: note (optional)
 *   roster:           network, epoch, threshold, members (the membership
 *                     form); or, epoch 0, the legacy form of one entry:
 *                     peer, name, level, coordinator (never applied)
 *   endpoints:        members (id and endpoint of each)
 *   beacon:           epoch, version, peers, store, flaps
 *   rotate:           peer (the new key), proof (the new key's signature,
 *                     msg_rotate_proof())
 * Absence is explicit: absent text has n == 0, an absent list 0 elements;
 * absent category, severity, impact and status are -1 (msg_clear() sets
 * them so); absent expires is 0; an absent lead has has_lead false.
 */
struct msg_body {
	struct msg_str title, summary, type, scope, note, name;
	struct msg_str text; /* comment */
	/* incident, update: what the case taught (how it was identified, what
	 * it did, how it was handled, the lessons drawn) */
	struct msg_str detection, effects, response, lessons;
	int category;     /* enum msg_category, or -1 */
	int severity;     /* enum msg_severity, or -1 */
	int impact;       /* enum msg_severity, or -1 */
	int status;       /* enum msg_status, or -1 */
	uint64_t expires; /* ms since the epoch, 0 = none */
	bool has_lead;
	uint8_t lead[MSG_KEY_LEN]; /* update: the node id of the SOC that leads the case */
	size_t nsectors, nindicators, nattack, nactions;
	struct msg_str sectors[MSG_MAX_SECTORS];
	struct msg_ioc indicators[MSG_MAX_INDICATORS];
	struct msg_str attack[MSG_MAX_ATTACK];
	struct msg_str actions[MSG_MAX_ACTIONS];
	uint8_t peer[MSG_KEY_LEN];    /* legacy roster */
	enum msg_level level;         /* legacy roster */
	bool coordinator;             /* legacy roster */
	struct msg_str network;       /* roster */
	uint64_t epoch, threshold;    /* roster; epoch 0: the legacy form */
	size_t nmembers;              /* roster, endpoints: ascending ids */
	struct msg_str version;       /* beacon: the sender's software version */
	uint64_t peers, store, flaps; /* beacon */
	uint8_t proof[MSG_SIG_LEN];   /* rotate: by the new key (in peer) */
	struct msg_member members[MSG_MAX_MEMBERS];
};

struct msg {
	uint8_t origin[MSG_KEY_LEN];
	uint64_t seq;
	uint64_t time; /* ms since the epoch, UTC */
	enum msg_tlp tlp;
	enum msg_kind kind;
	bool has_ref;
	uint8_t ref[MSG_ID_LEN];
	size_t nto; /* recipients, ascending byte order, no repeats */
	uint8_t to[MSG_MAX_RECIPIENTS][MSG_KEY_LEN];

	/* Addressed TLPs: the sealed body as it travels.  keys holds nto + 1
	 * sealed body keys of MSG_SEALEDKEY_LEN bytes: one per recipient in
	 * `to` order, then the origin's. */
	struct {
		const uint8_t *nonce; /* MSG_NONCE_LEN */
		const uint8_t *keys[MSG_MAX_RECIPIENTS + 1];
		const uint8_t *box;
		size_t boxlen;
	} sealed;
	/* True when `body` is valid: always for clear and green, after a
	 * successful msg_open() for addressed TLPs, and when building. */
	bool has_body;
	struct msg_body body;

	/* Set by msg_decode() and msg_encode(). */
	uint8_t sig[MSG_SIG_LEN];
	uint8_t id[MSG_ID_LEN];
	const uint8_t *signed_p; /* the bytes the signature covers */
	size_t signed_n;
};

/* Caller owns the result (about 40 KiB; reuse it) and frees it with
 * msg_destroy().  Returns NULL when out of memory. */
struct msg *msg_new(void);
void msg_destroy(struct msg **mp);
/* Reset every field (a body's to absent: see struct msg_body), ready for
 * building a new message. */
void msg_clear(struct msg *m);

/*
 * Decode `len` bytes into m and compute its id.  Checks, in order: size
 * against max_size (0 = MSG_MAX_SIZE_DEFAULT), structure and types with every
 * declared count bounded by the bytes that remain, field values and limits,
 * and that the bytes are the canonical encoding.  Does not check the
 * signature: call msg_verify().  Allocates nothing; m borrows p.
 */
int msg_decode(struct msg *m, const uint8_t *p, size_t len, size_t max_size)
    __attribute__((warn_unused_result, nonnull));

/* Check the Ed25519 signature of a decoded message against its origin. */
int msg_verify(const struct msg *m) __attribute__((warn_unused_result, nonnull));

/*
 * A source of randomness: fill buf with len bytes.  msg_encode() draws, in
 * this order, the body key (32), the nonce (24) and one ephemeral X25519
 * secret key (32) per sealed key, recipients in `to` order then the origin.
 * NULL means randombytes_buf(); test vectors pass a fixed stream.
 */
typedef void (*msg_rng_fn)(void *arg, uint8_t *buf, size_t len);

/*
 * Validate m as the decoder would, seal the body for addressed TLPs, sign
 * with the origin's Ed25519 secret key sk (64 bytes, libsodium form) and
 * encode.  m->origin must be the public half of sk.  m->to is sorted and
 * checked here.  On success *out is a malloc'd buffer of *outlen bytes that
 * the caller frees with free(), and m->sig and m->id are set (other views
 * in m still point at the caller's strings, not into *out).
 */
int msg_encode(struct msg *m, const uint8_t sk[64], msg_rng_fn rng, void *rng_arg, uint8_t **out,
    size_t *outlen) __attribute__((warn_unused_result, nonnull(1, 2, 5, 6)));

/*
 * Open the sealed body of a decoded, addressed message as the node whose
 * Ed25519 id is self, with X25519 key pair (curve_pk, curve_sk) derived from
 * it.  On success *plain is a malloc'd plaintext that the caller frees with
 * free() once done with m->body, which now points into it.
 * MSG_E_NOT_RECIPIENT when self is neither a recipient nor the origin.
 */
int msg_open(struct msg *m, const uint8_t self[MSG_KEY_LEN], const uint8_t curve_pk[32],
    const uint8_t curve_sk[32], uint8_t **plain, size_t *plainlen)
    __attribute__((warn_unused_result, nonnull));

/* How many fields of a case body (incident, update) are present: the keys
 * it packs.  An update carries at least one. */
size_t msg_case_fields(const struct msg_body *b);

/* True when a case body carries any of detection, effects, response and
 * lessons. */
bool msg_has_lessons(const struct msg_body *b);

/* The expiry rule for a message: its body is there (has_body) and holds
 * an expires at or before now (ms since the epoch).  A case's is its
 * state's expires (casestate.h). */
bool msg_expired(const struct msg *m, uint64_t now);

/* True when key is in m->to. */
bool msg_is_recipient(const struct msg *m, const uint8_t key[MSG_KEY_LEN]);

#endif
