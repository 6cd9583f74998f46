# tlserve — see README.md. `make run` and `make test` install what they need.
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
BIN     ?= tlserve
FUZZ_SECONDS ?= 30
VERSION := 0.1.0

PKGS     = openssl yaml-0.1
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -DTLSERVE_VERSION='"$(VERSION)"' -Iinclude $(WARN) \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS)) -pthread
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

SRCS     = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS     = $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
FUZZ_SRCS = $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS = $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all deps run test unit-bins fuzz-bins certs fuzz fuzz-smoke asan valgrind bench ci install clean

all: deps
	@$(MAKE) --no-print-directory $(BIN)

deps:
	@scripts/deps.sh build

$(BIN): $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $(OBJS) $(LDLIBS_ALL)

$(BUILD)/obj/%.o: src/%.c $(wildcard include/tlserve/*.h src/*.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libtlserve.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libtlserve.a $(wildcard tests/unit/*.h) | $(BUILD)/unit
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(shell pkg-config --cflags cmocka) $(LDFLAGS_ALL) \
		-o $@ $< $(BUILD)/libtlserve.a $(shell pkg-config --libs cmocka) $(LDLIBS_ALL)

$(BUILD)/obj $(BUILD)/unit $(BUILD)/fuzz:
	mkdir -p $@

certs/ca.crt certs/server.crt certs/server.key:
	@scripts/deps.sh certs
	scripts/make-certs.sh certs

certs:
	@scripts/deps.sh certs
	scripts/make-certs.sh certs

run: deps certs/server.crt
	@$(MAKE) --no-print-directory tlserve
	./tlserve -c config/tlserve.yaml

# Unit tests, then integration tests; tests/run.sh prints the cmocka summaries
# and the final "N passed, N failed" line.
test:
	@scripts/deps.sh build test certs
	@$(MAKE) --no-print-directory tlserve unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	TLS_PIPE=$(BUILD)/tools/tls_pipe tests/run.sh $(UNIT_BINS)

unit-bins: $(UNIT_BINS) $(BUILD)/tools/tls_pipe

# Test client for the echo service (full duplex, half-close, close_notify check).
$(BUILD)/tools/tls_pipe: tests/tools/tls_pipe.c
	@mkdir -p $(BUILD)/tools
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LDLIBS_ALL)

# The unit and integration tests against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang); any report fails the run.
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan:
	@scripts/deps.sh build test certs fuzz
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/tlserve CC=clang \
		CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" build-asan/tlserve unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		TLSERVE_BIN=build-asan/tlserve TLS_PIPE=build-asan/tools/tls_pipe \
		tests/run.sh $(UNIT_SRCS:tests/unit/%.c=build-asan/unit/%)

# The integration tests with the server under valgrind (memcheck).
valgrind:
	@scripts/deps.sh build test certs valgrind
	@$(MAKE) --no-print-directory tlserve unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	TLSERVE_WRAPPER="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
		TLS_PIPE=$(BUILD)/tools/tls_pipe tests/run.sh

fuzz:
	@scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" fuzz-bins

fuzz-bins: $(FUZZ_BINS)

# The library is compiled once with coverage and sanitizers; each harness
# links it with libFuzzer's main.
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined
$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libtlserve.a | $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(BUILD)/libtlserve.a $(LDLIBS_ALL)

fuzz-smoke: fuzz
	scripts/fuzz-smoke.sh build-fuzz/fuzz $(FUZZ_SECONDS)

ci:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind
	@$(MAKE) --no-print-directory fuzz-smoke

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)/etc/tlserve
	install -m 755 tlserve $(DESTDIR)$(PREFIX)/bin/tlserve
	install -m 644 man/tlserve.8 $(DESTDIR)$(PREFIX)/share/man/man8/tlserve.8
	install -m 644 man/tlserve.yaml.5 $(DESTDIR)$(PREFIX)/share/man/man5/tlserve.yaml.5
	install -m 644 config/tlserve.yaml $(DESTDIR)/etc/tlserve/tlserve.yaml.example

clean:
	rm -rf $(BUILD) build-fuzz build-asan tlserve tests/certs
