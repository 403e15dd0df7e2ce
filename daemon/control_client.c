/*
 * The control socket's client side (control.h): what the CLI, the tests
 * and the benchmarks link, apart from the daemon's server side in
 * control.c, so that they need none of the daemon's modules.
 */
#include "control.h"

#include <errno.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

int
control_path(char *out, size_t len, const char *dir)
{
	int n = snprintf(out, len, "%s/%s", dir, CONFIG_CONTROL_SOCKET);
	return (n < 0 || (size_t)n >= len ||
	           (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
	    ? -1
	    : 0;
}

/* 0 when a process accepts connections on the Unix socket at path, else
 * the errno of the attempt. */
static int
s_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd, rc;

	if (n >= sizeof sa.sun_path)
		return ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	memcpy(sa.sun_path, path, n + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

int
control_probe(const char *dir)
{
	char path[PATH_MAX + 64];
	int e;

	if (control_path(path, sizeof path, dir) == -1)
		return -1;
	e = s_connect(path);
	return e == 0 ? 1 : (e == ECONNREFUSED || e == ENOENT) ? 0 : -1;
}

json_t *
control_base64(const uint8_t *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(len);
	json_t *s;

	if (b == NULL)
		return NULL;
	sodium_bin2base64(b, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	s = json_stringn_nocheck(b, len - 1);
	free(b);
	return s;
}

uint8_t *
control_unbase64(const json_t *s, size_t *len)
{
	const char *b64 = json_string_value(s), *end;
	size_t n = json_string_length(s), cap = n / 4 * 3 + 3;
	uint8_t *p;

	if (b64 == NULL || (p = malloc(cap)) == NULL)
		return NULL;
	if (sodium_base642bin(p, cap, b64, n, NULL, len, &end, sodium_base64_VARIANT_ORIGINAL) !=
	        0 ||
	    end != b64 + n) {
		free(p);
		return NULL;
	}
	return p;
}

struct control_client {
	char dir[PATH_MAX];
	zsock_t *req;
	bool broken; /* a request went unanswered: the REQ socket waits forever */
};

struct control_client *
control_connect(const char *dir, char *err, size_t errlen)
{
	struct control_client *cc;
	char path[PATH_MAX + 64];
	int e;

	if (control_path(path, sizeof path, dir) == -1 || strlen(dir) >= sizeof cc->dir) {
		errf(err, errlen, "%s: path too long for a Unix socket", dir);
		return NULL;
	}
	if ((e = s_connect(path)) != 0) {
		if (e == EACCES)
			errf(err, errlen, "%s: " NODE_EACCES, path);
		else
			errf(err, errlen, "socmeshd is not running for %s (no one answers on %s)",
			    dir, path);
		return NULL;
	}
	if ((cc = calloc(1, sizeof *cc)) == NULL || (cc->req = zsock_new(ZMQ_REQ)) == NULL) {
		free(cc);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(cc->dir, sizeof cc->dir, "%s", dir);
	zsock_set_rcvtimeo(cc->req, CONTROL_TIMEOUT_MS);
	zsock_set_sndtimeo(cc->req, CONTROL_TIMEOUT_MS);
	zsock_set_linger(cc->req, 0);
	if (zsock_connect(cc->req, "ipc://%s", path) == -1) {
		errf(err, errlen, "socmeshd for %s did not answer", dir);
		control_disconnect(&cc);
	}
	return cc;
}

json_t *
control_request(struct control_client *cc, json_t *request, char *err, size_t errlen)
{
	char *text = json_dumps(request, JSON_COMPACT), *reply;
	json_t *rep = NULL;

	json_decref(request);
	if (text == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (cc->broken || zstr_send(cc->req, text) == -1 || (reply = zstr_recv(cc->req)) == NULL) {
		cc->broken = true;
		errf(err, errlen, "socmeshd for %s did not answer", cc->dir);
	} else {
		if ((rep = json_loads(reply, 0, NULL)) == NULL)
			errf(err, errlen, "socmeshd sent a reply that is not JSON");
		zstr_free(&reply);
	}
	free(text);
	return rep;
}

void
control_disconnect(struct control_client **ccp)
{
	if (ccp == NULL || *ccp == NULL)
		return;
	zsock_destroy(&(*ccp)->req);
	free(*ccp);
	*ccp = NULL;
}

json_t *
control_call(const char *dir, json_t *request, char *err, size_t errlen)
{
	struct control_client *cc = control_connect(dir, err, errlen);
	json_t *rep;

	if (cc == NULL) {
		json_decref(request);
		return NULL;
	}
	rep = control_request(cc, request, err, errlen);
	control_disconnect(&cc);
	return rep;
}
