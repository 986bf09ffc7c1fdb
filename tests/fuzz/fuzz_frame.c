/* fuzz_frame.c - the literal/line/response caps of the TLS driver: never
 * crashes, and splitting the input into chunks never changes the verdict
 * (the driver sees bytes in whatever pieces the network delivers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct tls_limits lim = { .max_literal = 1u << (data[0] % 24), .max_line = 1u << (data[1] % 16),
				  .max_response = 1u << 20 };
	data += 2;
	size -= 2;
	struct tls_frame whole = { 0 }, parts = { 0 };
	char *err = NULL;
	bool ok1 = tls_frame_scan(&whole, &lim, data, size, &err);
	free(err);
	bool ok2 = true;
	size_t step = size % 7 + 1;
	for (size_t i = 0; i < size && ok2; i += step) {
		size_t n = size - i < step ? size - i : step;
		ok2 = tls_frame_scan(&parts, &lim, data + i, n, &err);
		free(err);
	}
	if (ok1 != ok2)
		abort();
	if (ok1 && (whole.lit_left != parts.lit_left || whole.line_len != parts.line_len))
		abort();
	return 0;
}
