/*
 * fuzz_mail.c: libFuzzer target for the mail analyser (parse, indicators,
 * authentication, signals, verdict, JSON). Build: clang
 * -fsanitize=fuzzer,address,undefined -Isrc -Ibuild/gen tests/fuzz/fuzz_mail.c
 * src/mail/(all).c src/util/{err,buf,json,embed}.c build/gen/embedded.c
 * $(pkg-config --cflags --libs gmime-3.0 libpsl libidn2 icu-uc icu-i18n jansson)
 */
#include <stdint.h>
#include <stdlib.h>

#include "mail/mail.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_config *cfg;
	struct mail_result r;
	struct err e;

	if (!cfg && mail_config_parse(&cfg, "{\"own_domains\":[\"example.co.jp\"],"
				      "\"partner_domains\":[\"supplier-abc.co.jp\"],\"executives\":"
				      "[{\"name\":\"山田 太郎\",\"name_en\":\"Taro Yamada\"}]}", 138, &e))
		abort();
	if (mail_analyze(cfg, (const char *)data, size, &r, &e) == 0) {
		json_t *j = mail_result_json(&r, "fuzz");
		if (!j || r.score < 0 || r.score > 100)
			abort();
		json_decref(j);
	}
	mail_result_release(&r);
	return 0;
}
