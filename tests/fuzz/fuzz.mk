# tests/fuzz/fuzz.mk: the fuzz targets, read after the main Makefile (which
# gives LIBSRC, PKG_CFLAGS, LIBS and B) by tests/fuzz/build.sh:
#   make -f Makefile -f tests/fuzz/fuzz.mk fuzz-targets
# Every library source is compiled once with clang, libFuzzer's coverage,
# ASan and UBSan into $(B)/fuzz/obj (dependencies tracked, so a rebuild only
# compiles what changed), archived, and linked into one binary per
# tests/fuzz/fuzz_*.c.

FUZZ_CC     = clang
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Isrc -I$(B)/gen $(PKG_CFLAGS) \
              -DIRDESK_VERSION='"fuzz"' -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all
FUZZ_OBJ    = $(patsubst %.c,$(B)/fuzz/obj/%.o,$(LIBSRC) $(B)/gen/embedded.c)
FUZZ_BIN    = $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_BIN)

$(B)/fuzz/obj/%.o: %.c | $(B)/gen/embedded.c
	@mkdir -p $(@D)
	@echo "  CLANG   $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(B)/fuzz/libirdesk.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libirdesk.a
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/fuzz/libirdesk.a $(LIBS) -lstdc++

-include $(FUZZ_OBJ:.o=.d)
