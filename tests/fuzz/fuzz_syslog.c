/*
 * fuzz_syslog.c: libFuzzer target for the syslog parser and TCP framing
 * (detect/syslog.c). Build: clang -fsanitize=fuzzer,address,undefined -Isrc
 * -D_GNU_SOURCE tests/fuzz/fuzz_syslog.c src/detect/syslog.c src/detect/event.c
 * src/detect/intake.c ... (link the test objects; see the Makefile's LIBSRC)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/event.h"
#include "detect/syslog.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct syslog_framer fr;
	struct buf json = BUF_INIT;
	struct event ev;
	struct err e;
	size_t pos = 0;

	event_init(&ev);
	/* Every message the parser accepts gives JSON the event decoder accepts. */
	if (syslog_to_json(d, size, &json, &e) == 0 &&
	    event_decode(&ev, json.data, json.len, PROFILE_AUTO, &e) != 0)
		abort();
	/* Framing always makes progress and stays inside the input. */
	memset(&fr, 0, sizeof(fr));
	for (;;) {
		size_t used = 0, off = 0, len = 0;
		enum syslog_frame_result r = syslog_frame(&fr, d + pos, size - pos, 1, &used, &off, &len);

		if (used > size - pos)
			abort();
		if ((r == SYSLOG_FRAME || r == SYSLOG_TRUNCATED) &&
		    (off + len > size - pos || len > SYSLOG_MSG_MAX))
			abort();
		pos += used;
		if (r == SYSLOG_MORE || r == SYSLOG_BAD || (used == 0 && r != SYSLOG_DROPPED))
			break;
	}
	event_release(&ev);
	buf_release(&json);
	return 0;
}
