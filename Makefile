# irdesk: one binary, an embedded store, a web UI, a REST API and a CLI.
# The source lists below read like docs/ARCHITECTURE.md: lower layers first.

UTIL   = src/util/err.c src/util/buf.c src/util/log.c src/util/time.c \
         src/util/utf8.c src/util/json.c src/util/embed.c src/util/fs.c \
         src/util/arena.c src/util/yaml.c
STORE  = src/store/store.c src/store/store_sqlite.c src/store/store_pg.c src/store/copy.c
IR     = src/ir/vocab.c src/ir/role.c src/ir/user.c src/ir/audit.c src/ir/incident.c src/ir/alert.c \
         src/ir/timeline.c src/ir/task.c src/ir/actor.c src/ir/auth.c \
         src/ir/catalog.c src/ir/items.c src/ir/report.c \
         src/ir/evidence.c \
         src/ir/contact.c src/ir/notify.c src/ir/clock.c src/ir/scheduler.c \
         src/ir/observable.c src/ir/lessons.c src/ir/metrics.c \
         src/ir/demo.c \
         src/ir/mailalert.c src/ir/mailbox.c src/ir/mailsettings.c src/ir/alertobs.c src/ir/mailack.c
DETECT = src/detect/event.c src/detect/scan.c src/detect/logsource.c \
         src/detect/sigma_cond.c src/detect/sigma_rule.c src/detect/sigma_match.c src/detect/sigma_prefilter.c src/detect/sigma.c \
         src/detect/intake.c src/detect/syslog.c src/detect/ioc.c src/detect/watchlist.c src/detect/corrstate.c
MAIL   = src/mail/mail_parse.c src/mail/mail_ioc.c src/mail/mail_auth.c src/mail/mail_lookalike.c \
         src/mail/mail_signals.c src/mail/mail_config.c src/mail/mail_verdict.c src/mail/mail_json.c \
         src/mail/mail_bulk.c src/mail/mail_forward.c
WEB    = src/web/http.c src/web/router.c src/web/req.c src/web/html.c src/web/i18n.c \
         src/web/page.c src/web/pages.c src/web/page_util.c src/web/page_dashboard.c \
         src/web/page_incident.c src/web/page_admin.c src/web/page_settings.c src/web/page_account.c \
         src/web/api.c src/web/api_incident.c src/web/api_admin.c \
         src/web/api_alert.c src/web/page_alert.c \
         src/web/api_catalog.c src/web/page_items.c \
         src/web/api_evidence.c src/web/page_evidence.c \
         src/web/api_notify.c src/web/page_contact.c src/web/page_notify.c \
         src/web/svg.c src/web/api_observable.c src/web/api_metrics.c src/web/page_observable.c \
         src/web/page_lessons.c src/web/page_metrics.c \
         src/web/page_suppress.c \
         src/web/api_mail.c src/web/page_mail.c src/web/page_mail_settings.c
CMDS   = src/cli.c src/cmd_init.c src/cmd_serve.c src/cmd_user.c src/cmd_incident.c \
         src/cmd_task.c src/cmd_audit.c src/cmd_db.c src/cmd_token.c src/cmd_scan.c src/cmd_rules.c \
         src/cmd_ingest.c src/cmd_alert.c src/cmd_mail.c src/cmd_ioc.c \
         src/cmd_catalog.c src/cmd_report.c \
         src/cmd_evidence.c \
         src/cmd_contact.c src/cmd_notify.c \
         src/cmd_observable.c src/cmd_lessons.c src/cmd_metrics.c \
         src/cmd_demo.c src/cmd_suppress.c
LIBSRC = $(UTIL) $(STORE) $(IR) $(DETECT) $(MAIL) $(WEB) $(CMDS)
MAIN   = src/main.c

DATA   = $(sort $(wildcard data/sql/sqlite/*.sql)) $(sort $(wildcard data/sql/pg/*.sql)) $(sort $(wildcard data/i18n/*.txt)) \
         $(sort $(wildcard data/web/*)) $(sort $(wildcard data/detect/*)) $(sort $(wildcard data/mail/*)) \
         $(sort $(wildcard data/catalog/*.yaml data/catalog/*/*)) \
         $(sort $(wildcard data/demo/*))

UNIT   = $(sort $(wildcard tests/unit/test_*.c))

PKGS   = sqlite3 libpq jansson libsodium libmicrohttpd libcrypto yaml-0.1 libpcre2-8 gmime-3.0 libpsl libidn2 icu-uc icu-i18n libhs libcurl
TPKGS  = cmocka

# The build folder: helpers working side by side may each use their own
# (make B=build-x test-build; tests/run.sh reads IRDESK_BUILD).
B      ?= build

CC     ?= cc
WARN   = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wpedantic -Wshadow \
         -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
T_CFLAGS   := $(shell pkg-config --cflags $(TPKGS) 2>/dev/null)
T_LIBS     := $(shell pkg-config --libs $(TPKGS) 2>/dev/null)
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
COMMON = $(WARN) -Isrc -Ibuild/gen $(PKG_CFLAGS) -DIRDESK_VERSION='"$(VERSION)"' -MMD -MP

REL_CFLAGS  = $(COMMON) -O2 -g
TEST_CFLAGS = $(COMMON) -O1 -g -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=all
LIBS = $(PKG_LIBS) -lpthread -lm

REL_OBJ  = $(patsubst %.c,$(B)/rel/%.o,$(LIBSRC) $(B)/gen/embedded.c)
TEST_OBJ = $(patsubst %.c,$(B)/test/%.o,$(LIBSRC) $(B)/gen/embedded.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(B)/test/unit/%,$(UNIT))

.PHONY: all run test test-build bench deps clean check-deps FORCE
all: irdesk

deps:
	@scripts/deps.sh

# Fail early with a hint rather than with a wall of missing headers.
check-deps:
	@pkg-config --exists $(PKGS) $(TPKGS) || { echo "missing libraries: run scripts/deps.sh" >&2; exit 1; }

irdesk: $(REL_OBJ) $(B)/rel/src/main.o
	@echo "  LD      $@"
	@$(CC) -o $@ $^ $(LIBS)

$(B)/rel/%.o: %.c | $(B)/gen/embedded.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -c -o $@ $<

$(B)/test/%.o: %.c | $(B)/gen/embedded.c
	@mkdir -p $(@D)
	@echo "  CC test $<"
	@$(CC) $(TEST_CFLAGS) $(T_CFLAGS) -c -o $@ $<

# Data files are embedded into the binary by a small generator (no xxd needed).
$(B)/embedgen: scripts/embedgen.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

# The list of data files itself: adding an older file must regenerate too.
$(B)/gen/data.list: FORCE
	@mkdir -p $(@D)
	@echo '$(DATA)' | cmp -s - $@ || echo '$(DATA)' > $@

$(B)/gen/embedded.c: $(B)/embedgen $(DATA) $(B)/gen/data.list
	@mkdir -p $(@D)
	$(B)/embedgen data $(patsubst data/%,%,$(DATA)) > $@.tmp && mv $@.tmp $@

$(B)/test/irdesk: $(TEST_OBJ) $(B)/test/src/main.o
	@echo "  LD test $@"
	@$(CC) -fsanitize=address,undefined -o $@ $^ $(LIBS)

$(B)/test/unit/%: tests/unit/%.c $(TEST_OBJ) tests/unit/unit.h
	@mkdir -p $(@D)
	@echo "  LD test $@"
	@$(CC) $(TEST_CFLAGS) $(T_CFLAGS) -Itests/unit -o $@ $< $(TEST_OBJ) $(LIBS) $(T_LIBS)

test-build: $(B)/test/irdesk $(UNIT_BIN)

# make test: install what is missing, build with sanitizers, run everything.
# The optimised build is made too: its warnings (-O2 finds more) must not
# wait for `make run` to show up.
test:
	@TEST_DEPS=1 scripts/deps.sh
	@$(MAKE) --no-print-directory irdesk test-build
	@tests/run.sh

run:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory irdesk
	@./irdesk init --if-needed
	@echo 'demo data: ./irdesk demo load (five incidents from the seed cases, with demo accounts)'
	./irdesk serve --listen 127.0.0.1:8080

$(B)/bench/%: bench/%.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< $(REL_OBJ) $(LIBS)

# The detection benchmark's baseline is yajl's tokenizer; irdesk does not link yajl.
$(B)/bench/bench_detect: bench/bench_detect.c $(REL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< $(REL_OBJ) $(LIBS) -lyajl

bench:
	@BENCH_DEPS=1 scripts/deps.sh
	@$(MAKE) --no-print-directory irdesk $(B)/bench/bench_store $(B)/bench/bench_detect $(B)/bench/bench_ioc
	@B=$(B) bench/run.sh

clean:
	rm -rf $(B) irdesk

-include $(shell find build -name '*.d' 2>/dev/null)
