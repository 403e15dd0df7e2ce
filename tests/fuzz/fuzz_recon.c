/* Fuzz target: a peer's reconciliation message against a fixed set. */
#include <stdint.h>
#include <stdlib.h>

#include "recon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct recon_set *s;
	struct recon_result r = { 0 };
	struct recon_buf out = { 0 };

	if (s == NULL) {
		uint8_t id[32];
		if ((s = recon_set_new()) == NULL)
			abort();
		for (uint32_t i = 0; i < 200; i++) {
			for (int k = 0; k < 32; k++)
				id[k] = (uint8_t)(i * 37 + k * 11);
			if (recon_set_add(s, i / 3, id) != 0)
				abort();
		}
		if (recon_set_seal(s) != 0)
			abort();
	}
	(void)!recon_reply(s, data, size, &out, &r);
	free(out.p);
	recon_result_free(&r);
	return 0;
}
