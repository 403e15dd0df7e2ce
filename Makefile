# socmesh — one Makefile, top to bottom: dependencies, build, tests, tools.
#
#   make            build build/socmeshd and build/socmesh
#   make deps       install missing Debian packages (apt-get as root, sudo otherwise)
#   make check      build and run every test; SAN=1 for ASan+UBSan (into build/san),
#                   TSAN=1 for ThreadSanitizer (into build/tsan; tests/tsan.supp)
#   make demo       a live network of four nodes on 127.0.0.1, played through the CLI
#   make bench      throughput figures against the machine's raw ceilings, and
#                   build/bench.json (docs/BENCH.md says what each key is):
#                   real socmeshd processes under the shipped defaults, 900-byte
#                   signed messages.  About 4 minutes on 2 cores; 8 to 12 the
#                   first time, which prefills stores of 1,000,000 messages
#                   into build/bench-cache (~9 GB).  BENCH_QUICK=1 skips the
#                   figures at 1,000,000 messages (null in bench.json): 2 to 3
#                   minutes
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60), or
#                   FUZZ_RUNS executions each; make -j2 fuzz runs two at once.
#                   10 million executions of every target: FUZZ_RUNS=10000000,
#                   or FUZZ_SECONDS=2400 on 2 cores (measured, one target at a
#                   time: fuzz_files ~20k exec/s, fuzz_recon ~6k, fuzz_draft
#                   ~15k, fuzz_ioc ~45k, fuzz_msg ~55k)
#   make format     apply .clang-format (the house style) to every C file;
#                   make check fails on a file that does not follow it
#   make valgrind   unit tests under valgrind
#   make install    programs, man pages, example configuration, systemd unit
#                   and sysusers file under DESTDIR/PREFIX, the default warning
#                   lists under DESTDIR/WLDIR; make uninstall

PKGS     := libzmq libczmq libsodium lmdb msgpack jansson inih libpsl libutf8proc \
            libmicrohttpd gnutls nettle
DEB_PKGS := gcc pkg-config libzmq3-dev libczmq-dev libsodium-dev \
            liblmdb-dev libmsgpack-dev libjansson-dev libinih-dev libcmocka-dev \
            libsystemd-dev python3 python3-nacl python3-msgpack mandoc systemd clang-format \
            libpsl-dev libutf8proc-dev libmicrohttpd-dev libgnutls28-dev nettle-dev \
            python3-jsonschema openssl curl
FUZZ_DEB := clang libclang-rt-14-dev

SAN  ?=
TSAN ?=
ifeq ($(SAN)$(TSAN),11)
$(error SAN=1 and TSAN=1 do not combine: run them one after the other)
endif
ifeq ($(SAN),1)
B        := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT      := -O1
else ifeq ($(TSAN),1)
B        := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT      := -O1
else
B        := build
SANFLAGS :=
OPT      := -O2
endif

CC       ?= cc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iproto -Icommon -Idaemon
CFLAGS   := -std=c11 $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
            -Wstrict-prototypes -Wmissing-prototypes -fstack-protector-strong $(SANFLAGS)
LDFLAGS  := $(SANFLAGS)
LIBS      = $(PKG_LIBS) -lpthread
# socmeshd alone uses libsystemd (sd_notify)
SD_LIBS   = $(shell pkg-config --libs libsystemd 2>/dev/null)

# Everything but the two mains goes into one static library that the
# programs, the tests, the fuzz targets and the benchmarks link.
LIB_SRC  := $(wildcard proto/*.c common/*.c) \
            $(filter-out daemon/main.c daemon/cli%.c,$(wildcard daemon/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(wildcard daemon/cli*.c))
UNIT     := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
HELPERS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/helper_*.c))
# Every tests/bench/bench_*.c is a program; the other tests/bench/*.c
# (benchlib.c, prefill.c) are linked into each.
BENCH    := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/bench_*.c))
BENCH_LIB:= $(patsubst %.c,$(B)/obj/%.o,$(filter-out tests/bench/bench_%,$(wildcard tests/bench/*.c)))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY   := $(patsubst tests/fuzz/%.c,$(B)/replay/%,$(FUZZ_SRC))

.PHONY: all deps deps-fuzz check format demo bench fuzz valgrind clean install uninstall
all: $(B)/socmeshd $(B)/socmesh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libsocmesh.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/socmeshd: $(B)/obj/daemon/main.o $(B)/libsocmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(SD_LIBS)

$(B)/socmesh: $(CLI_OBJ) $(B)/libsocmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libsocmesh.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) -Itests/unit $(CFLAGS) -o $@ $^ $(LIBS) -lcmocka

BENCH_LINK = $(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< $(filter %.o %.a,$^) $(LIBS)
$(B)/bench/%: tests/bench/%.c $(BENCH_LIB) $(B)/libsocmesh.a
	@mkdir -p $(dir $@)
	$(BENCH_LINK)

# bench_hostile runs the attack of tests/unit/helper_hostile.c, which it
# includes; the helper uses the benchmarks' peer client and probes.
$(B)/bench/bench_hostile: tests/unit/helper_hostile.c
$(B)/tests/helper_hostile: tests/unit/helper_hostile.c $(BENCH_LIB) $(B)/libsocmesh.a
	@mkdir -p $(dir $@)
	$(BENCH_LINK)

# Fuzz targets also build with the ordinary compiler against a replay driver,
# so that `make check` runs every seed and every kept regression input.
$(B)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libsocmesh.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

deps:
	@missing=""; for p in $(DEB_PKGS) $(EXTRA_DEB); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

format: deps
	clang-format -i $$(git ls-files '*.c' '*.h')

deps-fuzz:
	@$(MAKE) --no-print-directory deps EXTRA_DEB="$(FUZZ_DEB)"

check: deps
	@$(MAKE) --no-print-directory all-tests
	@B=$(B) SAN=$(SAN) TSAN=$(TSAN) tests/run

.PHONY: all-tests
all-tests: all $(UNIT) $(HELPERS) $(REPLAY)

demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) deploy/demo.sh

# Each benchmark merges its figures into $(B)/bench.json.part, which
# becomes $(B)/bench.json once all have run; prefilled stores are cached in
# $(B)/bench-cache.  sync first: one benchmark's disk writeback must not
# slow the next.
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH)
	@rm -f $(B)/bench.json $(B)/bench.json.part; t0=$$(date +%s); \
	for b in $(BENCH); do \
	  sync; sleep 2; t=$$(date +%s); \
	  BENCH_JSON=$(B)/bench.json.part BENCH_CACHE=$(B)/bench-cache BENCH_SOCMESHD=$(B)/socmeshd \
	    $$b || exit 1; \
	  echo "  ($$(basename $$b): $$(($$(date +%s) - t)) s)"; \
	done; \
	mv $(B)/bench.json.part $(B)/bench.json && cat $(B)/bench.json && \
	echo "bench: $$(($$(date +%s) - t0)) s$${BENCH_QUICK:+ (BENCH_QUICK)}; figures in $(B)/bench.json"

# Fuzzing: the library is built once into build/fuzz/obj with clang, each
# target (every tests/fuzz/fuzz_*.c) links it; `make -j2 fuzz` runs two
# targets at once.  FUZZ_RUNS=N runs each for N executions instead of
# FUZZ_SECONDS.  New inputs go to build/fuzz/corpus-NAME, crashes to
# tests/fuzz/regressions/NAME (kept: make check replays them).
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_CFLAGS  := -std=c11 -O1 -g -fno-omit-frame-pointer
FUZZ_SAN     := address,undefined
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_OBJ     := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_LIMIT    = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
	  -MMD -MP -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	clang $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(LIBS)

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=fuzz-run-%)

# Not .PHONY (make looks for no pattern rule for a phony target); what they
# build is kept, not removed as intermediate.
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_NAMES:%=build/fuzz/%)
fuzz-run-%: build/fuzz/%
	@mkdir -p build/fuzz/corpus-$* tests/fuzz/regressions/$*
	@echo "fuzzing $* for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) executions,$(FUZZ_SECONDS)s)"
	@build/fuzz/$* $(FUZZ_LIMIT) -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
	  -artifact_prefix=tests/fuzz/regressions/$*/ build/fuzz/corpus-$* \
	  $(wildcard tests/fuzz/corpus/$*) tests/fuzz/regressions/$*

valgrind: all-tests
	@for t in $(UNIT); do \
	  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
	    $$t >/dev/null || { echo "valgrind: $$t failed"; exit 1; }; \
	done; echo "valgrind: all unit tests clean"

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/socmesh
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR?= $(PREFIX)/lib/sysusers.d
# The warning lists go where socmeshd looks when [node] warninglists is
# empty (daemon/warninglist.h), whatever PREFIX.
WLDIR      ?= /usr/share/socmesh/warninglists
INSTALLED  := $(BINDIR)/socmesh $(SBINDIR)/socmeshd $(MANDIR)/man1/socmesh.1 \
              $(MANDIR)/man5/socmesh.conf.5 $(MANDIR)/man8/socmeshd.8 \
              $(DOCDIR)/socmesh.conf.example $(UNITDIR)/socmeshd.service \
              $(SYSUSERSDIR)/socmesh.conf \
              $(patsubst deploy/warninglists/%,$(WLDIR)/%,$(wildcard deploy/warninglists/*.json))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(WLDIR)
	install -m 0755 $(B)/socmesh $(DESTDIR)$(BINDIR)/socmesh
	install -m 0755 $(B)/socmeshd $(DESTDIR)$(SBINDIR)/socmeshd
	install -m 0644 docs/socmesh.1 $(DESTDIR)$(MANDIR)/man1/socmesh.1
	install -m 0644 docs/socmesh.conf.5 $(DESTDIR)$(MANDIR)/man5/socmesh.conf.5
	install -m 0644 docs/socmeshd.8 $(DESTDIR)$(MANDIR)/man8/socmeshd.8
	install -m 0644 deploy/socmesh.conf.example $(DESTDIR)$(DOCDIR)/socmesh.conf.example
	sed 's|^ExecStart=/usr/local/sbin/socmeshd|ExecStart=$(SBINDIR)/socmeshd|' \
	  deploy/socmeshd.service >$(DESTDIR)$(UNITDIR)/socmeshd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/socmeshd.service
	install -m 0644 deploy/socmesh.sysusers $(DESTDIR)$(SYSUSERSDIR)/socmesh.conf
	install -m 0644 deploy/warninglists/*.json $(DESTDIR)$(WLDIR)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(WLDIR) $(DESTDIR)$(dir $(WLDIR)) 2>/dev/null || true

clean:
	rm -rf build

-include $(shell find $(B)/obj build/fuzz/obj -name '*.d' 2>/dev/null)
