/*
 * helper_spy — a scripted peer for integration tests: it holds one
 * connection to a node open, speaks the peer protocol (docs/PROTOCOL.md,
 * section 13) and writes down every frame the node sends it, while the
 * test changes the node's trust list under it.  Also signs messages with
 * any node's key, dated as the test wants.
 *
 *   helper_spy sign DIR OUT FIELD=VALUE...
 *	Signs a message as the node in DIR into the file OUT and prints its
 *	id.  Fields as draft_set() takes them (tlp kind title category
 *	severity ref note indicator seq time ...), age=MS (time = now -
 *	MS) or ahead=MS (time = now + MS), and to=ID (a recipient, once per
 *	recipient, for the addressed TLPs).  seq defaults to 1.
 *
 *   helper_spy DIR ENDPOINT ID LOG SPEC...
 *	Connects to ENDPOINT with the key of the node in DIR, to the listener
 *	whose node id is ID, sends HELLO ("socmesh/2") every 500 ms, answers
 *	PING with PONG, and appends one line per frame received to LOG:
 *	  HELLO [payload]         MSG <id>          WANT <hex>
 *	  RECON <hex of the whole payload>
 *	  REFUSE msg <id> permanent|provisional <reason>
 *	  REFUSE xchg <xid> <reason>
 *	  <CMD> <payload length>  (anything else)
 *	Once the listener's first HELLO has come back (when its payload is
 *	empty the node speaks protocol 1: RECON without role and xid), the
 *	specs run in order, each logged as a line "# SPEC" when done:
 *	  wait:PATH   keep the connection (and reading) until PATH exists
 *	  msg:FILE    MSG with the file's bytes
 *	  want:HEX    WANT of the first 16 bytes of an id (32+ hex digits)
 *	  recon       RECON opening an exchange (role 0, xid 1) with one range,
 *	              start to infinity, whose fingerprint matches nothing, so
 *	              that the node answers with its split set (an id list when
 *	              it may send at most 4 messages); waits for the answer
 *	              (10 s), asking again a second later when told `busy`
 *	  recon0      RECON opening an exchange (xid 2) over an empty set: the
 *	              node sends everything it may send
 *	  pong:off    PINGs are read and not answered (the node's window fills)
 *	  pong:on     answers the PINGs held back, in order, and every later one
 *	  read:off    nothing more is read (HELLO still goes out): what the node
 *	              sends waits in its queues and the network's
 *	  read:on     reading again
 *	Exit 0 when every spec ran; 1 when the listener never answered HELLO
 *	(10 s); 3 when a wait timed out (60 s); 2 on bad usage.
 */
#include <czmq.h>
#include <sodium.h>
#include <unistd.h>

#include "draft.h"
#include "frame.h"
#include "keys.h"
#include "msg.h"
#include "recon.h"
#include "util.h"

#define HEARTBEAT_MS 500
#define PINGS_HELD   256

static zsock_t *s_sock;
static FILE *s_log;
static int64_t s_last_hello;
static bool s_hello_back, s_v1, s_pong = true, s_reading = true;
static uint8_t s_held[PINGS_HELD][FRAME_TOKEN_LEN];
static size_t s_nheld;
/* The last exchange answer: 0 none, 1 RECON, 2 REFUSE busy, 3 other REFUSE. */
static int s_answer;

static void
s_send2(const char *cmd, const void *p, size_t n)
{
	zmsg_t *m = zmsg_new();
	zmsg_addstr(m, cmd);
	zmsg_addmem(m, p, n);
	zmsg_send(&m, s_sock);
	zmsg_destroy(&m);
}

static void
s_hex(char *out, const uint8_t *p, size_t n)
{
	hex_encode(out, p, n);
}

/* One frame from the node: logged, and PING answered. */
static void
s_frame(zmsg_t *m)
{
	char *cmd = zmsg_popstr(m);
	zframe_t *f = zmsg_pop(m);
	const uint8_t *p = f ? zframe_data(f) : NULL;
	size_t n = f ? zframe_size(f) : 0;
	char *hex = malloc(2 * n + 1);

	if (cmd == NULL || f == NULL || hex == NULL)
		goto out;
	if (strcmp(cmd, "HELLO") == 0) {
		if (!s_hello_back)
			s_v1 = n == 0;
		s_hello_back = true;
		fprintf(s_log, "HELLO %.*s\n", (int)n, (const char *)p);
	} else if (strcmp(cmd, "MSG") == 0) {
		uint8_t id[32];
		crypto_generichash(id, sizeof id, p, n, NULL, 0);
		s_hex(hex, id, sizeof id);
		fprintf(s_log, "MSG %s\n", hex);
	} else if (strcmp(cmd, "RECON") == 0) {
		s_hex(hex, p, n);
		fprintf(s_log, "RECON %s\n", hex);
		s_answer = 1;
	} else if (strcmp(cmd, "WANT") == 0) {
		s_hex(hex, p, n);
		fprintf(s_log, "WANT %s\n", hex);
	} else if (strcmp(cmd, "REFUSE") == 0) {
		struct frame_refuse r;
		if (frame_refuse_read(&r, p, n) != FRAME_OK) {
			s_hex(hex, p, n);
			fprintf(s_log, "REFUSE ? %s\n", hex);
		} else if (r.what == FRAME_REFUSE_MSG) {
			char id[65];
			s_hex(id, r.id, 32);
			fprintf(s_log, "REFUSE msg %s %s %s\n", id,
			    r.cls == FRAME_PROVISIONAL ? "provisional" : "permanent", r.reason);
		} else {
			fprintf(s_log, "REFUSE xchg %08x %s\n", (unsigned)r.xid, r.reason);
			s_answer = strcmp(r.reason, "busy") == 0 ? 2 : 3;
		}
	} else if (strcmp(cmd, "PING") == 0) {
		if (s_pong)
			s_send2("PONG", p, n);
		else if (n == FRAME_TOKEN_LEN && s_nheld < PINGS_HELD)
			memcpy(s_held[s_nheld++], p, FRAME_TOKEN_LEN);
	} else if (strcmp(cmd, "PONG") != 0)
		fprintf(s_log, "%s %zu\n", cmd, n);
out:
	fflush(s_log);
	free(hex);
	free(cmd);
	zframe_destroy(&f);
}

/* Reads and keeps the connection alive for up to ms, or until done()
 * says so; true when done() did. */
static bool
s_serve(int64_t ms, bool (*done)(const void *), const void *arg)
{
	int64_t end = zclock_mono() + ms;
	zpoller_t *poller = zpoller_new(s_sock, NULL);
	bool ok = false;

	while (!ok && zclock_mono() < end && !zsys_interrupted) {
		int64_t now = zclock_mono();
		if (now - s_last_hello >= HEARTBEAT_MS) {
			s_send2("HELLO", "socmesh/2", 9);
			s_last_hello = now;
		}
		if (!s_reading)
			zclock_sleep(50);
		else if (zpoller_wait(poller, 50) != NULL) {
			zmsg_t *m;
			while ((m = zmsg_recv_nowait(s_sock)) != NULL) {
				s_frame(m);
				zmsg_destroy(&m);
			}
		}
		ok = done != NULL && done(arg);
	}
	zpoller_destroy(&poller);
	return ok;
}

static bool
s_hello_done(const void *arg)
{
	(void)arg;
	return s_hello_back;
}

static bool
s_exists(const void *arg)
{
	return access(arg, F_OK) == 0;
}

static bool
s_answered(const void *arg)
{
	(void)arg;
	return s_answer != 0;
}

/* RECON: our role and xid (protocol 2), then body. */
static void
s_recon(uint32_t xid, const uint8_t *body, size_t n)
{
	uint8_t buf[FRAME_XID_HEAD + 64];
	size_t h = 0;

	if (!s_v1) {
		frame_recon_head(buf, FRAME_INITIATOR, xid);
		h = FRAME_XID_HEAD;
	}
	memcpy(buf + h, body, n);
	s_send2("RECON", buf, h + n);
}

static int
s_sign(int argc, char **argv)
{
	char err[512], hex[65];
	struct keys *k;
	struct draft *d = draft_new();
	struct msg *m;
	uint8_t *out;
	size_t len;
	FILE *f;
	bool seq = false;

	if (argc < 4 || d == NULL)
		return 2;
	if ((k = keys_load(argv[2], err, sizeof err)) == NULL) {
		fprintf(stderr, "helper_spy: %s\n", err);
		return 2;
	}
	m = draft_msg(d);
	for (int i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL)
			return 2;
		*eq = '\0';
		if (strcmp(argv[i], "age") == 0)
			m->time = now_ms() - strtoull(eq + 1, NULL, 10);
		else if (strcmp(argv[i], "ahead") == 0)
			m->time = now_ms() + strtoull(eq + 1, NULL, 10);
		else if (strcmp(argv[i], "to") == 0) {
			uint8_t to[MSG_KEY_LEN];
			if (id_parse(to, eq + 1) == -1) {
				fprintf(stderr, "helper_spy: to: '%s' is not an id\n", eq + 1);
				return 2;
			}
			if (draft_add_recipient(d, to, err, sizeof err) == -1) {
				fprintf(stderr, "helper_spy: to: %s\n", err);
				return 2;
			}
		} else if (draft_set(d, argv[i], eq + 1, err, sizeof err) == -1) {
			fprintf(stderr, "helper_spy: %s\n", err);
			return 2;
		}
		seq |= strcmp(argv[i], "seq") == 0;
	}
	memcpy(m->origin, k->pk, sizeof m->origin);
	if (!seq)
		m->seq = 1;
	if (m->time == 0)
		m->time = now_ms();
	if (msg_encode(m, k->sk, NULL, NULL, &out, &len) != MSG_OK) {
		fprintf(stderr, "helper_spy: cannot encode the message\n");
		return 2;
	}
	if ((f = fopen(argv[3], "wb")) == NULL || fwrite(out, 1, len, f) != len || fclose(f) != 0)
		return 2;
	s_hex(hex, m->id, 32);
	printf("%s\n", hex);
	free(out);
	draft_destroy(&d);
	keys_destroy(&k);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[512];
	uint8_t id[32], server[32];
	struct keys *k;

	if (sodium_init() < 0)
		return 2;
	if (argc > 1 && strcmp(argv[1], "sign") == 0)
		return s_sign(argc, argv);
	if (argc < 5) {
		fprintf(stderr,
		    "usage: helper_spy DIR ENDPOINT ID LOG SPEC...\n"
		    "       helper_spy sign DIR OUT FIELD=VALUE...\n");
		return 2;
	}
	if ((k = keys_load(argv[1], err, sizeof err)) == NULL || id_parse(id, argv[3]) == -1 ||
	    keys_curve_pk(server, id) == -1) {
		fprintf(stderr, "helper_spy: %s\n", k == NULL ? err : "bad id");
		return 2;
	}
	if ((s_log = fopen(argv[4], "a")) == NULL)
		return 2;
	zsys_handler_set(NULL);
	s_sock = zsock_new(ZMQ_DEALER);
	zsock_set_curve_serverkey_bin(s_sock, server);
	zsock_set_curve_publickey_bin(s_sock, k->curve_pk);
	zsock_set_curve_secretkey_bin(s_sock, k->curve_sk);
	zsock_set_linger(s_sock, 2000);
	if (zsock_connect(s_sock, "%s", argv[2]) != 0)
		return 2;
	if (!s_serve(10000, s_hello_done, NULL))
		return 1;
	for (int i = 5; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "wait:", 5) == 0) {
			if (!s_serve(60000, s_exists, a + 5))
				return 3;
		} else if (strncmp(a, "msg:", 4) == 0) {
			char *buf;
			size_t n;
			if (file_read_all(a + 4, 1u << 20, &buf, &n) == -1)
				return 2;
			s_send2("MSG", buf, n);
			free(buf);
		} else if (strncmp(a, "want:", 5) == 0) {
			uint8_t pre[RECON_PREFIX_LEN];
			if (strlen(a + 5) < 2 * RECON_PREFIX_LEN)
				return 2;
			for (size_t b = 0; b < RECON_PREFIX_LEN; b++)
				if (sscanf(a + 5 + 2 * b, "%2hhx", &pre[b]) != 1)
					return 2;
			s_send2("WANT", pre, sizeof pre);
		} else if (strcmp(a, "recon") == 0) {
			/* version, bound infinity (t 0, no prefix), fingerprint */
			static const uint8_t fp[] = { 0x01, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe,
				0xef, 0xde, 0xad, 0xbe, 0xef };
			for (int tries = 0; tries < 5; tries++) {
				s_answer = 0;
				s_recon(1, fp, sizeof fp);
				if (!s_serve(10000, s_answered, NULL) || s_answer != 2)
					break;
				s_serve(1100, NULL, NULL); /* busy: ask again a second later */
			}
		} else if (strcmp(a, "recon0") == 0) {
			struct recon_set *rs = recon_set_new();
			struct recon_buf b = { 0 };
			if (rs == NULL || recon_set_seal(rs) == -1 || recon_initiate(rs, &b) != 0 ||
			    b.len > 64)
				return 2;
			s_recon(2, b.p, b.len);
			free(b.p);
			recon_set_destroy(&rs);
		} else if (strcmp(a, "pong:off") == 0)
			s_pong = false;
		else if (strcmp(a, "pong:on") == 0) {
			s_pong = true;
			for (size_t h = 0; h < s_nheld; h++)
				s_send2("PONG", s_held[h], FRAME_TOKEN_LEN);
			s_nheld = 0;
		} else if (strcmp(a, "read:off") == 0)
			s_reading = false;
		else if (strcmp(a, "read:on") == 0)
			s_reading = true;
		else
			return 2;
		fprintf(s_log, "# %s\n", a);
		fflush(s_log);
	}
	s_serve(100, NULL, NULL);
	zsock_destroy(&s_sock);
	keys_destroy(&k);
	fclose(s_log);
	return 0;
}
