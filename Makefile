# muttlike - one Makefile, no autotools.
#
#   make            build ./muttlike
#   make deps       install missing Debian packages (as root), else print the command
#   make check      deps, build, every test (unit + integration under ASan/UBSan, UI in tmux)
#   make check T=test_sync_gap   only the matching test programs (kinds or globs, see tests/run-all)
#   make demo       build, start a private Dovecot with sample mail, open the reader on it
#   make bench      benchmarks with printed figures
#   make lint       clang-tidy and cppcheck
#   make layering   fail if src/ or cli/ reach into curses, cli/ past ui/entry.h, sync*.c into libetpan, or files call in a cycle
#   make install PREFIX=/usr/local
#   make docs       regenerate the generated parts of doc/ and muttlike.rc.example

CC         ?= cc
CXX        ?= c++
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
VERSION    := 0.1.0
V          ?= 0
Q           = $(if $(filter 1,$(V)),,@)

# Lazily evaluated, so `make deps` works before the -dev packages exist.
CORE_PKGS   = gnutls libetpan libcurl expat gpgme libical zlib
UI_PKGS     = ncursesw
CORE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS))
# libcurl only for its headers: curlso.c loads it with dlopen
CORE_LIBS   = $(filter-out -specs=%,$(shell $(PKG_CONFIG) --libs $(filter-out libcurl,$(CORE_PKGS)))) -lnotmuch -lresolv -lpthread -ldl -lstdc++
UI_CFLAGS   = $(shell $(PKG_CONFIG) --cflags $(UI_PKGS))
UI_LIBS     = $(shell $(PKG_CONFIG) --libs $(UI_PKGS))
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)

CFLAGS      ?= -O2 -g
WARNFLAGS   := -Wall -Wextra -Werror -Wformat=2 -Wno-format-nonliteral -Wvla
SANFLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
EXTRA_CFLAGS ?=
ALL_CFLAGS   = -std=gnu11 -D_GNU_SOURCE -DMUTTLIKE_VERSION='"$(VERSION)"' \
               -DMUTTLIKE_DATADIR='"$(PREFIX)/share/muttlike"' \
               $(WARNFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -Isrc

SRC_C   := $(sort $(wildcard src/*.c))
# src/nmsafe.cc: the one C++ file (notmuch calls that can throw, nmsafe.h)
SRC_CC  := $(sort $(wildcard src/*.cc))
# ui/: the curses reader (ui/README.md); cli/: main() and the headless
# commands, which reach the reader and the wizard only through ui/entry.h
UI_C    := $(sort $(wildcard ui/*.c ui/*/*.c))
CLI_C   := $(sort $(wildcard cli/*.c))
SRC_O   := $(SRC_C:%.c=$(BUILD)/%.o) $(SRC_CC:%.cc=$(BUILD)/%.o)
UI_O    := $(UI_C:%.c=$(BUILD)/%.o)
CLI_O   := $(CLI_C:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libmuttlike.a

UNIT_C  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_T  := $(UNIT_C:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_C := $(sort $(wildcard tests/integration/test_*.c))
INTEG_T := $(INTEG_C:tests/integration/%.c=$(BUILD)/tests/integration/%)
TESTLIB_C := $(sort $(wildcard tests/lib/*.c))
TESTLIB_O := $(TESTLIB_C:%.c=$(BUILD)/%.o)

# Debian packages: what building, testing and the demo need.
DEB_BUILD := gcc g++ make pkg-config libncurses-dev libgnutls28-dev libetpan-dev libnotmuch-dev libcmocka-dev \
             libcurl4-gnutls-dev libexpat1-dev libgpgme-dev libical-dev zlib1g-dev
DEB_TEST  := notmuch dovecot-imapd gnutls-bin tmux python3 clang libclang-rt-14-dev procps dnsmasq-base postfix sasl2-bin cyrus-common \
             libsasl2-modules file iproute2 ca-certificates gnupg gpgsm gpg-agent
DEB_LINT  := clang-tidy cppcheck
DEB_BENCH := isync valgrind time

.PHONY: all deps deps-bench check check-build san-build test-unit test-integration test-ui test-fuzz demo bench lint \
        layering install docs docs-check clean

all: muttlike

muttlike: $(BUILD)/muttlike
	$(Q)cp $< $@

# -MMD -MP: each object depends on the headers it includes (build/**/*.d).
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) $(if $(filter ui/%,$<),$(UI_CFLAGS) -Iui) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cc Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $@")
	$(Q)$(CXX) -std=gnu++17 -D_GNU_SOURCE -Wall -Wextra -Werror $(CFLAGS) $(EXTRA_CFLAGS) -Isrc -MMD -MP -c -o $@ $<

-include $(SRC_O:.o=.d) $(UI_O:.o=.d) $(CLI_O:.o=.d) $(TESTLIB_O:.o=.d)

$(LIB): $(SRC_O)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/muttlike: $(CLI_O) $(UI_O) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CLI_O) $(UI_O) $(LIB) $(UI_LIBS) $(CORE_LIBS)

$(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(TESTLIB_O) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) -Itests/lib -MMD -MP -MF $@.d -o $@ $< $(TESTLIB_O) $(LIB) $(CMOCKA_LIBS) $(CORE_LIBS)

$(BUILD)/tests/integration/test_%: tests/integration/test_%.c $(TESTLIB_O) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) -Itests/lib -MMD -MP -MF $@.d -o $@ $< $(TESTLIB_O) $(LIB) $(CMOCKA_LIBS) $(CORE_LIBS)

-include $(UNIT_T:=.d) $(INTEG_T:=.d)
-include tests/tools/Makefile.frag

# ---- dependencies ----
# Install the missing ones of a package list (as root), else print the command.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true; \
	  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null \
	    || { echo "deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	else \
	  echo "deps: missing packages; run as root:" >&2; \
	  echo "  apt-get install -y$$missing" >&2; exit 1; \
	fi
endef

deps:
	$(call install_missing,$(DEB_BUILD) $(DEB_TEST))

deps-bench:
	$(call install_missing,$(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH))

# ---- tests ----
# Tests build separately under ASan + UBSan in build/san.
SAN_BUILD := build/san
SAN_MAKE   = $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) EXTRA_CFLAGS="$(SANFLAGS)" CFLAGS="-O1 -g"
# The sanitizers' options (ASAN_OPTIONS, LSAN_OPTIONS...): tests/run-all.

# make check builds on every core unless -j was given (CI runs a plain
# `make check`); the tests then run RUN_JOBS at a time (tests/run-all).
CHECK_J = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 2))

check: deps
	@$(MAKE) --no-print-directory $(CHECK_J) check-build
	@$(MAKE) --no-print-directory layering
	@$(MAKE) --no-print-directory docs-check
	@tests/run-all $(SAN_BUILD) $(T)

# The release build and the sanitizer build side by side, sharing the
# jobs of -j (the `+`: $(SAN_MAKE) hides $(MAKE) from make, which then ran
# the sanitizer build with -j1, 85 s instead of 40).
check-build: all san-build
san-build:
	+@$(SAN_MAKE) $(SAN_BUILD)/muttlike $(SAN_BUILD)/gencorpus sanitized-tests

sanitized-tests: $(UNIT_T) $(INTEG_T)

test-unit: check-build
	@tests/run-all $(SAN_BUILD) unit
test-integration: check-build
	@tests/run-all $(SAN_BUILD) integration
test-ui: check-build
	@tests/run-all $(SAN_BUILD) ui
test-fuzz: check-build
	@tests/run-all $(SAN_BUILD) fuzz

# src/ includes neither curses nor ui/; cli/ no curses and of ui/ only
# ui/entry.h (the reader's and the wizard's entry points).  The built objects
# are checked too: no curses symbol in $(LIB) or cli/, and cli/ calls
# nothing in ui/ but what ui/entry.h declares.
CURSES_INC := ^[[:space:]]*\#[[:space:]]*include[[:space:]]*[<"](n?curses|ncursesw/|panel|menu|form|term\.h)[^>"]*[>"]
CURSES_SYM := \b(initscr|newterm|newwin|stdscr|wrefresh|endwin|wgetch|wget_wch|waddnstr|LINES|COLS|keypad|curs_set)\b
UI_ENTRY   := reader_run|wizard_run|wizard_rc_path
layering:
	@bad=$$(grep -nE '$(CURSES_INC)|^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)*ui/' src/*.c src/*.h 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "layering: src/ must not include curses or ui/:"; echo "$$bad"; exit 1; fi; \
	bad=$$(grep -nE '$(CURSES_INC)|^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\.\./)*ui/' cli/*.c cli/*.h 2>/dev/null \
	  | grep -v '"\.\./ui/entry\.h"'); \
	if [ -n "$$bad" ]; then echo "layering: cli/ must not include curses, nor ui/ past ui/entry.h:"; echo "$$bad"; exit 1; fi; \
	if nm -u $(LIB) 2>/dev/null | grep -qE '$(CURSES_SYM)'; then \
	  echo "layering: $(LIB) references curses symbols"; exit 1; fi; \
	if [ -n "$$(ls $(CLI_O) 2>/dev/null)" ]; then \
	  bad=$$(nm -u $(CLI_O) 2>/dev/null | grep -E '$(CURSES_SYM)'); \
	  if [ -n "$$bad" ]; then echo "layering: cli/ references curses symbols:"; echo "$$bad"; exit 1; fi; \
	  bad=$$({ nm -u $(CLI_O) | awk 'NF==2{print "U", $$2}'; \
	           nm -g --defined-only $(UI_O) | awk 'NF==3{print "D", $$3}'; } \
	    | awk '$$1=="U"{u[$$2]=1} $$1=="D"{d[$$2]=1} END{for (s in u) if (s in d) print s}' \
	    | grep -vxE '$(UI_ENTRY)'); \
	  if [ -n "$$bad" ]; then echo "layering: cli/ calls into ui/ past ui/entry.h:"; echo "$$bad"; exit 1; fi; \
	fi; \
	bad=$$(grep -n 'mailimap_' src/sync*.c src/sync_int.h 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "layering: the sync talks IMAP only through imapdrv.h:"; echo "$$bad"; exit 1; fi; \
	if [ -n "$$(ls $(SRC_O) $(UI_O) 2>/dev/null)" ]; then \
	  python3 tests/tools/callcycles.py $(SRC_O) || { echo "layering: call cycle between src/ files"; exit 1; }; \
	  python3 tests/tools/callcycles.py $(UI_O) || { echo "layering: call cycle between ui/ files"; exit 1; }; \
	fi; \
	echo "layering: ok (src/ and cli/ are curses-free; cli/ enters ui/ only through ui/entry.h; sync*.c only through imapdrv; no call cycle in src/ or ui/)"

# ---- docs generated from the option and function tables ----
docs: muttlike
	./muttlike --help-options=man > doc/options.man.tmp && \
	  sed -e '/^\.\\" BEGIN OPTIONS/,/^\.\\" END OPTIONS/{/^\.\\" BEGIN OPTIONS/{p;r doc/options.man.tmp' -e '};/^\.\\" END OPTIONS/p;d}' \
	  doc/muttlike.rc.5 > doc/muttlike.rc.5.new && mv doc/muttlike.rc.5.new doc/muttlike.rc.5; rm -f doc/options.man.tmp
	./muttlike --help-options=rc > doc/options.rc.tmp && \
	  sed -e '/^# BEGIN OPTIONS/,/^# END OPTIONS/{/^# BEGIN OPTIONS/{p;r doc/options.rc.tmp' -e '};/^# END OPTIONS/p;d}' \
	  muttlike.rc.example > muttlike.rc.example.new && mv muttlike.rc.example.new muttlike.rc.example; rm -f doc/options.rc.tmp

docs-check: muttlike
	@./muttlike --help-options=man > $(BUILD)/options.man; \
	 sed -n '/^\.\\" BEGIN OPTIONS/,/^\.\\" END OPTIONS/p' doc/muttlike.rc.5 | sed '1d;$$d' | cmp -s - $(BUILD)/options.man \
	   || { echo "docs-check: doc/muttlike.rc.5 is out of date with src/options.def; run make docs"; exit 1; }
	@./muttlike --help-options=rc > $(BUILD)/options.rc; \
	 sed -n '/^# BEGIN OPTIONS/,/^# END OPTIONS/p' muttlike.rc.example | sed '1d;$$d' | cmp -s - $(BUILD)/options.rc \
	   || { echo "docs-check: muttlike.rc.example is out of date with src/options.def; run make docs"; exit 1; }
	@echo "docs-check: man page and example rc match the option table"

# ---- demo, bench, lint ----
demo: all $(BUILD)/gencorpus
	@tests/rig/demo $(BUILD)

bench: deps-bench
	@$(MAKE) --no-print-directory all $(BUILD)/gencorpus
	@tests/bench/run $(BUILD)
	@tests/bench/wire.sh $(BUILD)
	@tests/bench/reader.sh $(BUILD)
	@tests/bench/hostile.sh $(BUILD)
	@echo "bench: new-mail latency (APPEND by another client -> sync --watch's store)"
	@RIG_QUIET=1 tests/rig/with-rig python3 tests/bench/push.py $(BUILD)/muttlike 20

lint:
	@command -v clang-tidy >/dev/null && command -v cppcheck >/dev/null || \
	  { echo "lint: needs clang-tidy and cppcheck: apt-get install -y $(DEB_LINT)"; exit 1; }
	clang-tidy --quiet $(SRC_C) $(UI_C) $(CLI_C) -- -std=gnu11 -D_GNU_SOURCE -DMUTTLIKE_VERSION='"lint"' \
	  -DMUTTLIKE_DATADIR='"/x"' -Isrc -Iui $(CORE_CFLAGS) $(UI_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
	  --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Isrc -Iui src ui cli

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/muttlike/keymaps $(DESTDIR)$(PREFIX)/share/muttlike/themes \
	  $(DESTDIR)$(PREFIX)/share/doc/muttlike
	install -m 755 muttlike $(DESTDIR)$(PREFIX)/bin/muttlike
	install -m 644 doc/muttlike.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 doc/muttlike.rc.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 keymaps/*.keys $(DESTDIR)$(PREFIX)/share/muttlike/keymaps/
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/muttlike/themes/
	install -m 644 muttlike.rc.example $(DESTDIR)$(PREFIX)/share/doc/muttlike/

clean:
	rm -rf build muttlike
.SECONDARY:
