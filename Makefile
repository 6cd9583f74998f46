# tlserve — see README.md. `make run` and `make test` install what they need.
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
BIN     ?= tlserve
FUZZ_SECONDS ?= 16
VERSION := 0.1.0

PKGS     = openssl yaml-0.1 libnghttp2 libcurl jansson
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
# and the final "N passed, N failed, N skipped" line. A skip fails the run
# under CI=true or TLSERVE_FAIL_ON_SKIP=1 (`make ci` sets it).
test:
	@scripts/deps.sh build test certs
	@$(MAKE) --no-print-directory $(BIN) unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	TLSERVE_BIN=$(BIN) TLS_PIPE=$(BUILD)/tools/tls_pipe HOSTILE=$(BUILD)/tools/hostile NOSYS=$(BUILD)/tools/nosys \
		tests/run.sh $(UNIT_BINS)

unit-bins: $(UNIT_BINS) $(BUILD)/tools/tls_pipe $(BUILD)/tools/hostile $(BUILD)/tools/nosys

# Test client for the echo service (full duplex, half-close, close_notify check).
$(BUILD)/tools/tls_pipe: tests/tools/tls_pipe.c
	@mkdir -p $(BUILD)/tools
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LDLIBS_ALL)

# Misbehaving client for the limits, hostile-client and graceful-stop tests
# (slowloris, silent, slow and non-reading clients, garbage, latency).
$(BUILD)/tools/hostile: tests/tools/hostile.c
	@mkdir -p $(BUILD)/tools
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< $(LDLIBS_ALL)

# Runs a command with openat2(2) failing with EPERM or ENOSYS (seccomp), the
# way a systemd sandbox can refuse it (tests/integration/23-sandbox.sh).
$(BUILD)/tools/nosys: tests/tools/nosys.c
	@mkdir -p $(BUILD)/tools
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $<

# The unit and integration tests against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang); any report fails the run. A report exits
# 86 (not 1, the status of a configuration error a test may expect), and the
# integration tests also fail on any report they find (tests/integration/lib.sh).
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan:
	@scripts/deps.sh build test certs fuzz
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/tlserve CC=clang \
		CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" build-asan/tlserve unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:exitcode=86 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
		TLSERVE_BIN=build-asan/tlserve TLS_PIPE=build-asan/tools/tls_pipe HOSTILE=build-asan/tools/hostile \
		NOSYS=build-asan/tools/nosys tests/run.sh $(UNIT_SRCS:tests/unit/%.c=build-asan/unit/%)

# The integration tests with the server under valgrind (memcheck).
valgrind:
	@scripts/deps.sh build test certs valgrind
	@$(MAKE) --no-print-directory tlserve unit-bins
	@scripts/make-certs.sh tests/certs >/dev/null
	TLSERVE_WRAPPER="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
		TLS_PIPE=$(BUILD)/tools/tls_pipe HOSTILE=$(BUILD)/tools/hostile tests/run.sh

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

# testssl.sh (Debian's package) against a local tlserve with the default TLS
# settings; fails on HIGH/CRITICAL findings, old protocols or a vulnerability.
# Takes a few minutes; not part of ci.
.PHONY: testssl
testssl:
	@scripts/deps.sh build certs
	@$(MAKE) --no-print-directory tlserve
	scripts/testssl.sh ./tlserve

# tlserve side by side with nginx, lighttpd and h2o (and Caddy over HTTP/2) on
# this machine (bench/README.md): bench/results.md and bench/results.png.
# BENCH_ARGS=--quick for a short pass.
bench:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory $(BIN) $(BUILD)/tools/tls_pipe $(BUILD)/tools/hostile
	BENCH_TLSERVE=$(BIN) BENCH_TLS_PIPE=$(BUILD)/tools/tls_pipe BENCH_HOSTILE=$(BUILD)/tools/hostile \
		bench/run.sh $(BENCH_ARGS)

# Everything, and no check may be skipped (tests/run.sh fails on a skip).
ci: export TLSERVE_FAIL_ON_SKIP = 1
ci:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind
	@$(MAKE) --no-print-directory fuzz-smoke

# Install layout: the binary, both man pages, the configuration (only when
# none is there yet: otherwise the new one goes beside it as
# tlserve.yaml.example), the systemd unit with its sysusers.d user, and the
# logrotate file. The reference configuration's development paths
# (../certs/, ../www) become /etc/tlserve/ (certificates beside the file) and
# /srv/www; the unit's /usr/bin/tlserve becomes $(PREFIX)/bin/tlserve.
SYSTEMDDIR  ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)/etc/tlserve $(DESTDIR)$(SYSTEMDDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)/etc/logrotate.d $(BUILD)
	install -m 755 tlserve $(DESTDIR)$(PREFIX)/bin/tlserve
	install -m 644 man/tlserve.8 $(DESTDIR)$(PREFIX)/share/man/man8/tlserve.8
	install -m 644 man/tlserve.yaml.5 $(DESTDIR)$(PREFIX)/share/man/man5/tlserve.yaml.5
	sed -e 's|\.\./certs/||g' -e 's|^\( *root: *\)\.\./www|\1/srv/www|' \
		config/tlserve.yaml >$(BUILD)/tlserve.yaml.install
	@if [ -e $(DESTDIR)/etc/tlserve/tlserve.yaml ]; then \
		echo "install: keeping $(DESTDIR)/etc/tlserve/tlserve.yaml; the reference is tlserve.yaml.example"; \
		echo "install -m 644 config/tlserve.yaml $(DESTDIR)/etc/tlserve/tlserve.yaml.example"; \
		install -m 644 $(BUILD)/tlserve.yaml.install $(DESTDIR)/etc/tlserve/tlserve.yaml.example; \
	else \
		echo "install -m 644 config/tlserve.yaml $(DESTDIR)/etc/tlserve/tlserve.yaml"; \
		install -m 644 $(BUILD)/tlserve.yaml.install $(DESTDIR)/etc/tlserve/tlserve.yaml; \
	fi
	sed -e 's|/usr/bin/tlserve|$(PREFIX)/bin/tlserve|g' dist/tlserve.service >$(BUILD)/tlserve.service.install
	install -m 644 $(BUILD)/tlserve.service.install $(DESTDIR)$(SYSTEMDDIR)/tlserve.service
	install -m 644 dist/tlserve.sysusers $(DESTDIR)$(SYSUSERSDIR)/tlserve.conf
	install -m 644 dist/tlserve.logrotate $(DESTDIR)/etc/logrotate.d/tlserve
	rm -f $(BUILD)/tlserve.yaml.install $(BUILD)/tlserve.service.install

# `systemd-analyze verify` on a unit (default dist/tlserve.service), its
# ExecStart/ExecStartPre binary pointed at VERIFY_BIN (default ./tlserve): the
# check wants the command to exist. Any warning about the unit (unknown keys,
# bad values: systemd-analyze reports them but still exits 0) fails. Installs
# systemd (which ships systemd-analyze) through scripts/deps.sh when it is
# missing.
VERIFY_UNIT ?= dist/tlserve.service
VERIFY_BIN  ?= $(CURDIR)/tlserve
.PHONY: verify-unit
verify-unit:
	@scripts/deps.sh verify
	@[ -x "$(VERIFY_BIN)" ] || $(MAKE) --no-print-directory all
	@d=$$(mktemp -d) && \
	sed -E 's|^(ExecStart(Pre)?=)[^ ]*/tlserve( \|$$)|\1$(VERIFY_BIN)\3|' "$(VERIFY_UNIT)" >$$d/tlserve.service && \
	out=$$(systemd-analyze verify --man=no $$d/tlserve.service 2>&1); rc=$$?; rm -rf "$$d"; \
	[ -z "$$out" ] || printf '%s\n' "$$out"; \
	if [ $$rc -eq 0 ] && printf '%s\n' "$$out" | grep -q 'tlserve\.service'; then rc=1; fi; \
	if [ $$rc -eq 0 ]; then echo "verify-unit: $(VERIFY_UNIT): ok"; \
	else echo "verify-unit: $(VERIFY_UNIT): systemd-analyze verify found problems"; fi; exit $$rc

clean:
	rm -rf $(BUILD) build-fuzz build-asan tlserve tests/certs
