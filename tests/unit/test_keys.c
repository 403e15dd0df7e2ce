/* Unit tests for common/keys: generation, loading, permissions, formats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "util.h"
#include "testutil.h"

/* RFC 8032, section 7.1, TEST 1. */
static const char s_rfc_seed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char s_rfc_pk[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char s_rfc_sig[] = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
                                "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

static char s_dir[64];

static int
setup_dir(void **state)
{
	(void)state;
	return tu_mkdtemp(s_dir, "keys");
}

static int
teardown_dir(void **state)
{
	(void)state;
	return tu_rmrf(s_dir);
}

static void
s_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", s_dir, name);
}

static void
s_put(const char *name, const char *text, mode_t mode)
{
	char p[512];
	FILE *f;

	s_path(p, sizeof p, name);
	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static char *
s_get(const char *name)
{
	char p[512];
	char *data;
	size_t len;

	s_path(p, sizeof p, name);
	assert_int_equal(file_read_all(p, 4096, &data, &len), 0);
	return data;
}

static mode_t
s_mode(const char *name)
{
	char p[512];
	struct stat st;

	s_path(p, sizeof p, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static void
s_unlink(const char *name)
{
	char p[512];

	s_path(p, sizeof p, name);
	unlink(p);
}

static void
test_generate_load(void **state)
{
	uint8_t id[32], seed[32], pk[32], sk[64], curve[32], base[32], sig[64];
	char err[512];
	struct keys *k;
	char *text;
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(keys_generate(s_dir, err, sizeof err), 0);
	umask(old);
	assert_int_equal(s_mode(KEYS_SECRET_FILE), 0600);
	assert_int_equal(s_mode(KEYS_PUBLIC_FILE), 0644);

	/* node.key: the seed, 64 lowercase hex digits and a newline. */
	text = s_get(KEYS_SECRET_FILE);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(text[64], '\n');
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	assert_int_equal(hex_decode(seed, 32, text, 64), 0);
	free(text);
	/* node.id: the public key, the same way. */
	text = s_get(KEYS_PUBLIC_FILE);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(text[64], '\n');
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	free(text);

	k = keys_load(s_dir, err, sizeof err);
	assert_non_null(k);
	assert_int_equal(keys_read_id(s_dir, id, err, sizeof err), 0);
	assert_memory_equal(k->pk, id, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_memory_equal(k->pk, pk, 32);
	assert_memory_equal(k->sk, sk, 64);

	/* The curve keys are libsodium's conversion, and a key pair. */
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(curve, pk), 0);
	assert_memory_equal(k->curve_pk, curve, 32);
	assert_int_equal(keys_curve_pk(curve, k->pk), 0);
	assert_memory_equal(k->curve_pk, curve, 32);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(curve, sk), 0);
	assert_memory_equal(k->curve_sk, curve, 32);
	assert_int_equal(crypto_scalarmult_base(base, k->curve_sk), 0);
	assert_memory_equal(base, k->curve_pk, 32);

	/* What the loaded key signs, the node id verifies. */
	crypto_sign_detached(sig, NULL, (const uint8_t *)"incident", 8, k->sk);
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"incident", 8, id), 0);
	sig[0] ^= 1;
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"incident", 8, id), -1);

	keys_destroy(&k);
	assert_null(k);
	keys_destroy(&k);
	keys_destroy(NULL);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	s_unlink(KEYS_SECRET_FILE);
	s_unlink(KEYS_PUBLIC_FILE);
}

static void
test_generate_modes_despite_umask(void **state)
{
	char err[512];
	mode_t old = umask(0277);

	(void)state;
	assert_int_equal(keys_generate(s_dir, err, sizeof err), 0);
	umask(old);
	assert_int_equal(s_mode(KEYS_SECRET_FILE), 0600);
	assert_int_equal(s_mode(KEYS_PUBLIC_FILE), 0644);
	s_unlink(KEYS_SECRET_FILE);
	s_unlink(KEYS_PUBLIC_FILE);
}

static void
test_generate_refuses_overwrite(void **state)
{
	char err[512], want[600], p[512];
	char *before, *after, *id_before, *id_after;

	(void)state;
	assert_int_equal(keys_generate(s_dir, err, sizeof err), 0);
	before = s_get(KEYS_SECRET_FILE);
	id_before = s_get(KEYS_PUBLIC_FILE);
	err[0] = '\0';
	assert_int_equal(keys_generate(s_dir, err, sizeof err), -1);
	s_path(p, sizeof p, KEYS_SECRET_FILE);
	snprintf(want, sizeof want,
	    "%s already exists; refusing to overwrite the node's secret key", p);
	assert_string_equal(err, want);
	after = s_get(KEYS_SECRET_FILE);
	id_after = s_get(KEYS_PUBLIC_FILE);
	assert_string_equal(before, after);
	assert_string_equal(id_before, id_after);
	free(before);
	free(after);
	free(id_before);
	free(id_after);
	s_unlink(KEYS_SECRET_FILE);
	s_unlink(KEYS_PUBLIC_FILE);
}

static void
test_generate_stale_tmp(void **state)
{
	char err[512], p[512];

	(void)state;
	s_put(KEYS_SECRET_FILE ".tmp", "junk", 0600);
	assert_int_equal(keys_generate(s_dir, err, sizeof err), -1);
	assert_non_null(strstr(err, KEYS_SECRET_FILE ".tmp exists"));
	assert_non_null(strstr(err, "remove it"));
	s_path(p, sizeof p, KEYS_SECRET_FILE);
	assert_int_equal(access(p, F_OK), -1);
	s_unlink(KEYS_SECRET_FILE ".tmp");
}

static void
test_generate_missing_dir(void **state)
{
	char err[512], d[512];

	(void)state;
	s_path(d, sizeof d, "nope");
	assert_int_equal(keys_generate(d, err, sizeof err), -1);
	assert_non_null(strstr(err, "nope/node.key"));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void
test_load_rfc8032(void **state)
{
	uint8_t pk[32], want_sig[64], sig[64];
	char err[512], line[80];
	struct keys *k;

	(void)state;
	/* Upper case, no line end: accepted. */
	for (size_t i = 0; i < 64; i++)
		line[i] = (char)(s_rfc_seed[i] >= 'a' ? s_rfc_seed[i] - 32 : s_rfc_seed[i]);
	line[64] = '\0';
	s_put(KEYS_SECRET_FILE, line, 0600);
	k = keys_load(s_dir, err, sizeof err);
	assert_non_null(k);
	assert_int_equal(hex_decode(pk, 32, s_rfc_pk, 64), 0);
	assert_memory_equal(k->pk, pk, 32);
	assert_int_equal(hex_decode(want_sig, 64, s_rfc_sig, 128), 0);
	crypto_sign_detached(sig, NULL, (const uint8_t *)"", 0, k->sk);
	assert_memory_equal(sig, want_sig, 64);
	keys_destroy(&k);

	/* CRLF line end: accepted. */
	snprintf(line, sizeof line, "%s\r\n", s_rfc_seed);
	s_put(KEYS_SECRET_FILE, line, 0400);
	k = keys_load(s_dir, err, sizeof err);
	assert_non_null(k);
	assert_memory_equal(k->pk, pk, 32);
	keys_destroy(&k);
	s_unlink(KEYS_SECRET_FILE);
}

static void
test_load_refuses_open_modes(void **state)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0610, 0601, 0660, 0666, 0777 };
	static const mode_t good[] = { 0600, 0400, 0700, 0200 };
	char err[512], want[1200], p[512], line[80];
	struct keys *k;

	(void)state;
	s_path(p, sizeof p, KEYS_SECRET_FILE);
	snprintf(line, sizeof line, "%s\n", s_rfc_seed);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s_put(KEYS_SECRET_FILE, line, bad[i]);
		err[0] = '\0';
		k = keys_load(s_dir, err, sizeof err);
		assert_null(k);
		snprintf(want, sizeof want,
		    "%s: permissions %04o are too open; the secret key must "
		    "not be readable by others (run: chmod 600 %s)",
		    p, (unsigned)bad[i], p);
		assert_string_equal(err, want);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		s_put(KEYS_SECRET_FILE, line, good[i]);
		if (geteuid() != 0 && !(good[i] & 0400))
			continue; /* unreadable to us, and rightly so */
		k = keys_load(s_dir, err, sizeof err);
		if (k == NULL)
			fail_msg("mode %04o refused: %s", (unsigned)good[i], err);
		keys_destroy(&k);
	}
	s_unlink(KEYS_SECRET_FILE);
}

static void
test_load_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n",   /* 63 */
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f600\n", /* 65 */
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7fzz\n",  /* not hex */
		" 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n", /* blank */
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n\n", /* two lines */
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\nxx\n",
		"-----BEGIN OPENSSH PRIVATE "
		"KEY-----"
		"\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
	};
	char err[512], want[600], p[512];

	(void)state;
	s_path(p, sizeof p, KEYS_SECRET_FILE);
	snprintf(want, sizeof want, "%s: malformed secret key: expected one line of 64 hex digits",
	    p);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s_put(KEYS_SECRET_FILE, bad[i], 0600);
		err[0] = '\0';
		assert_null(keys_load(s_dir, err, sizeof err));
		if (strcmp(err, want) != 0)
			fail_msg("row %zu: \"%s\"", i, err);
	}
	s_unlink(KEYS_SECRET_FILE);
}

static void
test_load_missing_and_symlink(void **state)
{
	char err[512], want[600], p[512], target[512], line[80];

	(void)state;
	s_path(p, sizeof p, KEYS_SECRET_FILE);
	assert_null(keys_load(s_dir, err, sizeof err));
	snprintf(want, sizeof want, "%s: No such file or directory", p);
	assert_string_equal(err, want);

	snprintf(line, sizeof line, "%s\n", s_rfc_seed);
	s_put("real.key", line, 0600);
	s_path(target, sizeof target, "real.key");
	assert_int_equal(symlink(target, p), 0);
	assert_null(keys_load(s_dir, err, sizeof err));
	snprintf(want, sizeof want, "%s: is a symbolic link; the secret key must be a regular file",
	    p);
	assert_string_equal(err, want);
	s_unlink(KEYS_SECRET_FILE);
	s_unlink("real.key");
}

static void
test_read_id(void **state)
{
	uint8_t id[32], pk[32];
	char err[512], want[600], p[512], line[80];
	char small[65];

	(void)state;
	s_path(p, sizeof p, KEYS_PUBLIC_FILE);
	assert_int_equal(keys_read_id(s_dir, id, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", p);
	assert_string_equal(err, want);

	snprintf(line, sizeof line, "%s\n", s_rfc_pk);
	s_put(KEYS_PUBLIC_FILE, line, 0644);
	assert_int_equal(keys_read_id(s_dir, id, err, sizeof err), 0);
	assert_int_equal(hex_decode(pk, 32, s_rfc_pk, 64), 0);
	assert_memory_equal(id, pk, 32);

	s_put(KEYS_PUBLIC_FILE, "d75a98\n", 0644);
	assert_int_equal(keys_read_id(s_dir, id, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: malformed node id: expected one line of 64 hex digits", p);
	assert_string_equal(err, want);

	/* The identity point (small order) is no node's id. */
	memset(small, '0', 64);
	small[0] = '0';
	small[1] = '1';
	small[64] = '\0';
	s_put(KEYS_PUBLIC_FILE, small, 0644);
	assert_int_equal(keys_read_id(s_dir, id, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: not a valid Ed25519 public key", p);
	assert_string_equal(err, want);
	s_unlink(KEYS_PUBLIC_FILE);
}

static void
test_curve_pk(void **state)
{
	uint8_t pk[32], curve[32], want[32], bad[32];

	(void)state;
	assert_int_equal(hex_decode(pk, 32, s_rfc_pk, 64), 0);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(want, pk), 0);
	assert_int_equal(keys_curve_pk(curve, pk), 0);
	assert_memory_equal(curve, want, 32);
	memset(bad, 0, sizeof bad);
	bad[0] = 1; /* the identity: small order */
	assert_int_equal(keys_curve_pk(curve, bad), -1);
	bad[0] = 2; /* not a point of the main subgroup */
	assert_int_equal(keys_curve_pk(curve, bad), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_load),
		cmocka_unit_test(test_generate_modes_despite_umask),
		cmocka_unit_test(test_generate_refuses_overwrite),
		cmocka_unit_test(test_generate_stale_tmp),
		cmocka_unit_test(test_generate_missing_dir),
		cmocka_unit_test(test_load_rfc8032),
		cmocka_unit_test(test_load_refuses_open_modes),
		cmocka_unit_test(test_load_malformed),
		cmocka_unit_test(test_load_missing_and_symlink),
		cmocka_unit_test(test_read_id),
		cmocka_unit_test(test_curve_pk),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
