/* Fuzz target: the message decoder, signature check, sealed-body opening
 * and JSON presentation on arbitrary bytes. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

#include "msg.h"
#include "msgjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg *m;
	static uint8_t pk[32], cpk[32], csk[32];
	uint8_t *plain;
	size_t plen;

	if (m == NULL) {
		uint8_t sk[64], seed[32] = { 2 };
		if (sodium_init() < 0 || (m = msg_new()) == NULL)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
		if (crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
		    crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0)
			abort();
	}
	if (msg_decode(m, data, size, 0) != MSG_OK)
		return 0;
	int verified = msg_verify(m);
	(void)verified; /* a bad signature is still presented below */
	if (msg_tlp_addressed(m->tlp) && msg_open(m, pk, cpk, csk, &plain, &plen) == MSG_OK)
		free(plain);
	json_decref(msgjson_new(m, NULL));
	return 0;
}
