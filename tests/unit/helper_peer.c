/*
 * helper_peer — a trusted peer that misbehaves, for integration tests.
 * Connects to ENDPOINT with the key of the node in DIR, to the listener
 * whose node id is ID, sends HELLO and then one ZeroMQ message per spec,
 * waits for the listener's HELLO answer (so the handshake is known to have
 * succeeded), and exits 0; 1 when it was not answered within 5 s.
 *
 *   msg:FILE   MSG with the file's bytes
 *   big:N      MSG of N bytes
 *   junk       MSG of 100 bytes that are no message
 *   three      a message of three frames
 *   one        a message of one frame
 *   cmd        an unknown command
 *   flood:N    N messages of garbage as fast as the socket takes them
 *
 * usage: helper_peer DIR ENDPOINT ID SPEC...
 */
#include <czmq.h>
#include <sodium.h>

#include "keys.h"
#include "util.h"

static void
s_send2(zsock_t *s, const char *cmd, const void *p, size_t n)
{
	zmsg_t *m = zmsg_new();
	zmsg_addstr(m, cmd);
	zmsg_addmem(m, p, n);
	zmsg_send(&m, s);
	zmsg_destroy(&m);
}

int
main(int argc, char **argv)
{
	char err[512];
	uint8_t id[32], server[32];
	struct keys *k;
	zsock_t *s;
	int rc = 1;

	if (argc < 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: helper_peer DIR ENDPOINT ID SPEC...\n");
		return 2;
	}
	if ((k = keys_load(argv[1], err, sizeof err)) == NULL || id_parse(id, argv[3]) == -1 ||
	    keys_curve_pk(server, id) == -1) {
		fprintf(stderr, "helper_peer: %s\n", k == NULL ? err : "bad id");
		return 2;
	}
	zsys_handler_set(NULL);
	s = zsock_new(ZMQ_DEALER);
	zsock_set_curve_serverkey_bin(s, server);
	zsock_set_curve_publickey_bin(s, k->curve_pk);
	zsock_set_curve_secretkey_bin(s, k->curve_sk);
	zsock_set_linger(s, 2000);
	zsock_set_rcvtimeo(s, 5000);
	if (zsock_connect(s, "%s", argv[2]) != 0)
		return 2;
	s_send2(s, "HELLO", "socmesh/2", 9);
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "msg:", 4) == 0) {
			char *buf;
			size_t n;
			if (file_read_all(a + 4, 1u << 20, &buf, &n) == -1)
				return 2;
			s_send2(s, "MSG", buf, n);
			free(buf);
		} else if (strncmp(a, "big:", 4) == 0) {
			size_t n = strtoul(a + 4, NULL, 10);
			uint8_t *b = calloc(1, n);
			b[0] = 0x92;
			s_send2(s, "MSG", b, n);
			free(b);
		} else if (strcmp(a, "junk") == 0) {
			uint8_t b[100];
			randombytes_buf(b, sizeof b);
			s_send2(s, "MSG", b, sizeof b);
		} else if (strcmp(a, "three") == 0) {
			zmsg_t *m = zmsg_new();
			zmsg_addstr(m, "MSG");
			zmsg_addstr(m, "x");
			zmsg_addstr(m, "y");
			zmsg_send(&m, s);
		} else if (strcmp(a, "one") == 0)
			zstr_send(s, "MSG");
		else if (strcmp(a, "cmd") == 0)
			s_send2(s, "BOGUS", "x", 1);
		else if (strncmp(a, "flood:", 6) == 0) {
			uint8_t b[64] = { 0x92 };
			for (unsigned long n = strtoul(a + 6, NULL, 10); n > 0; n--)
				s_send2(s, "MSG", b, sizeof b);
		} else
			return 2;
	}
	/* The listener answers our HELLO: the handshake went through. */
	for (zmsg_t *m; (m = zmsg_recv(s)) != NULL;) {
		char *cmd = zmsg_popstr(m);
		bool hello = cmd && strcmp(cmd, "HELLO") == 0;
		free(cmd);
		zmsg_destroy(&m);
		if (hello) {
			rc = 0;
			break;
		}
	}
	zsock_destroy(&s);
	keys_destroy(&k);
	return rc;
}
