# Wardline build. `make` builds the daemon and the CLI, `make test` installs
# what is missing and runs every test, `make bench` runs the benchmarks.

CC ?= cc
# avahi-core before avahi-client: both export avahi_entry_group_free, and the
# library linked first serves every call (see node/mdns_client.c).
PKGS := libsodium lmdb jansson inih libwebsockets libuv avahi-core avahi-client \
	libcrypto
DEB_PACKAGES := build-essential pkg-config clang libclang-rt-14-dev \
	libsodium-dev liblmdb-dev lmdb-utils libjansson-dev libinih-dev \
	libwebsockets-dev libwebsockets-evlib-uv libuv1-dev \
	libavahi-core-dev libavahi-client-dev libcmocka-dev iproute2 nftables \
	dbus python3 curl chromium libssl-dev openssl socat

HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	-fstack-clash-protection
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) -Iinclude \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS_HARD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

MAINS := node/wardline-node.c node/wardline.c
LIB_SRC := $(filter-out $(MAINS) node/cli.c node/cli_%.c,$(wildcard node/*.c))
CLI_SRC := node/cli.c $(wildcard node/cli_*.c)
LIB_OBJ := $(LIB_SRC:node/%.c=build/obj/%.o)
CLI_OBJ := $(CLI_SRC:node/%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:node/%.c=build/asan/obj/%.o)
HEADERS := $(wildcard include/wardline/*.h)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/unit/%)
ASAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_SH := $(filter-out tests/bench/lib.sh tests/bench/audit-lib.sh,\
	$(wildcard tests/bench/*.sh))
BENCH_BIN := $(BENCH_SRC:.c=) $(BENCH_SH:.sh=)
# The hypercore benchmark's reference, pinned in its own npm package.
BENCH_NPM := tests/bench/hypercore-js/node_modules/.package-lock.json
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 15

.PHONY: all web e2e demo demo-check deps test unit unit-asan crash net \
	fuzz fuzz-short bench bench-deps bench-build clean image image-deps \
	image-test

all: node/wardline-node node/wardline

# The web UI: the files of web/ and one ES module of the htm package (Preact
# and htm together), copied into build/web, which the node serves
# (--web-root). npm installs the packages that web/package-lock.json pins.
WEB_SRC := $(wildcard web/*.html web/*.js web/*.css web/*.svg)
WEB_NPM := web/node_modules/.package-lock.json
$(WEB_NPM): web/package-lock.json
	@command -v npm >/dev/null || { \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends nodejs npm >/dev/null; }
	npm ci --prefix web --no-audit --no-fund
build/web/.built: $(WEB_SRC) $(WEB_NPM)
	@mkdir -p build/web/vendor
	cp $(WEB_SRC) build/web/
	cp web/node_modules/htm/preact/standalone.module.js \
		build/web/vendor/preact-htm.js
	@touch $@
web: build/web/.built

# Browser tests: Debian's chromium driven by playwright-core, against a
# node on 127.0.0.1; screenshots land in tests/e2e/screenshots.
e2e: all web
	@tests/e2e/run.sh
	@if [ "$$(id -u)" -eq 0 ]; then tests/e2e/two-nodes.sh; else \
		echo "e2e: skipped tests/e2e/two-nodes.sh (needs root for" \
			"network namespaces)"; fi

# The demo ward: four nodes in network namespaces of their own on a private
# bridge (root), found by mDNS, each UI on 127.0.0.1:8081 to 8084 through
# socat; it runs until Ctrl-C and then removes everything it made.
# demo-check runs the acceptance story on the same ward, headless, on
# ports 18081 to 18084.
demo: deps
	@$(MAKE) --no-print-directory all web
	@tests/demo/demo.sh

demo-check: all web
	@tests/demo/check.sh

# Install the Debian packages the build and the tests need. Quiet and quick
# when everything is present.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

build/obj/%.o: node/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/obj/%.o: node/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/libwardline.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/libwardline.a: $(ASAN_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

node/wardline-node: build/obj/wardline-node.o build/libwardline.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $^ $(LIBS)

node/wardline: build/obj/wardline.o $(CLI_OBJ) build/libwardline.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $^ $(LIBS)

build/asan/wardline-node: build/asan/obj/wardline-node.o \
		build/asan/libwardline.a
	$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS_HARD) -o $@ $^ $(LIBS)

build/unit/%: tests/unit/%.c build/libwardline.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $< build/libwardline.a \
		$(LIBS) -lcmocka

build/asan/unit/%: tests/unit/%.c build/asan/libwardline.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS_HARD) -o $@ $< \
		build/asan/libwardline.a $(LIBS) -lcmocka

build/net/%: tests/net/%.c build/libwardline.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $< build/libwardline.a $(LIBS)

build/asan/net/%: tests/net/%.c build/asan/libwardline.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS_HARD) -o $@ $< \
		build/asan/libwardline.a $(LIBS)

tests/bench/%: tests/bench/%.c build/libwardline.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $< build/libwardline.a $(LIBS)

tests/bench/%: tests/bench/%.sh
	install -m 755 $< $@

$(BENCH_NPM): tests/bench/hypercore-js/package-lock.json
	npm ci --prefix tests/bench/hypercore-js --no-audit --no-fund
	@touch $@

# libFuzzer targets link the library sources directly, built by clang with
# the fuzzer instrumentation.
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HEADERS)
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude \
		$(shell pkg-config --cflags $(PKGS)) \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LIBS)

unit: $(UNIT_BIN)
	@tests/run-unit.sh unit $(UNIT_BIN)

unit-asan: $(ASAN_UNIT_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run-unit.sh unit-asan $(ASAN_UNIT_BIN)

crash: all
	@tests/crash/crash-append.sh
	@tests/crash/backup-load.sh

# Multi-node tests. The loopback test needs no root; the others make
# network namespaces on a private bridge and need root (CI runs as root).
# Each runs with the normal daemon, then the loopback and namespace
# scenarios again with the ASan+UBSan daemon. LeakSanitizer is off for the
# daemon: libwebsockets 4.1.6 keeps about 330 KB of its own buffers after
# lws_context_destroy on a foreign libuv loop.
NET_BIN := $(patsubst tests/net/%.c,build/net/%,$(wildcard tests/net/*.c))
NET_SCRIPTS := $(filter-out tests/net/lib.sh,$(wildcard tests/net/*.sh))
NET_ASAN := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	WLNODE=$(CURDIR)/build/asan/wardline-node

# avahi-daemon and avahi-browse serve as an independent check of what the
# nodes publish. Installing the avahi-daemon package would start the daemon
# in the machine's own network namespace, so the packages are unpacked
# into build/avahi-root instead (no maintainer scripts run) and started
# only inside a test namespace.
AVAHI_DEBS := avahi-daemon avahi-utils libdaemon0
build/avahi-root/.unpacked:
	@mkdir -p build/avahi-debs build/avahi-root
	@cd build/avahi-debs && (apt-get download $(AVAHI_DEBS) >/dev/null \
		2>&1 || (apt-get update -qq && apt-get download $(AVAHI_DEBS)))
	@for d in build/avahi-debs/*.deb; do dpkg-deb -x $$d build/avahi-root; done
	@touch $@

net: all build/asan/wardline-node $(NET_BIN) build/avahi-root/.unpacked
	@AVAHI_ROOT=$(CURDIR)/build/avahi-root \
		tests/run-net.sh net $(NET_SCRIPTS)
	@AVAHI_ROOT=$(CURDIR)/build/avahi-root $(NET_ASAN) \
		tests/run-net.sh net-asan $(NET_SCRIPTS)

fuzz-short: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tests/fuzz/run.sh 300 $(FUZZ_BIN)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-asan
	@$(MAKE) --no-print-directory crash
	@$(MAKE) --no-print-directory net
	@$(MAKE) --no-print-directory e2e
	@if [ "$$(id -u)" -eq 0 ]; then \
		$(MAKE) --no-print-directory demo-check; else \
		echo "demo-check: skipped (needs root for network namespaces)"; fi
	@$(MAKE) --no-print-directory fuzz-short

# The hypercore reference benchmark runs on Node.js; Debian's nodejs and
# npm are installed when no node is present.
bench-deps: deps
	@command -v node >/dev/null && command -v npm >/dev/null || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends nodejs npm >/dev/null

bench-build: bench-deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN) $(BENCH_NPM)

bench: bench-build
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# The appliance image (image/): a bootable Debian 12 disk with the node as
# a systemd service, built by mmdebstrap from Debian's archive, and its
# test under QEMU. These packages are installed by the image targets only.
IMAGE_DEB_PACKAGES := mmdebstrap dpkg-dev mtools dosfstools fdisk \
	e2fsprogs qemu-system-x86 qemu-utils ovmf python3
IMAGE_SRC := $(shell find image -path image/test -prune -o -type f -print \
	2>/dev/null)
IMAGE := build/image/wardline.img

image-deps: deps
	@missing=""; for p in $(IMAGE_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

$(IMAGE): node/wardline-node node/wardline build/web/.built $(IMAGE_SRC)
	image/build.sh build/image

image: image-deps
	@$(MAKE) --no-print-directory all web
	@$(MAKE) --no-print-directory $(IMAGE)

# Boots two guests of the image on a private QEMU socket network (see
# image/test/image-test.py); builds the image first when it is missing or
# older than its sources.
image-test: image
	@image/test/image-test.py build/image build/image-test node/wardline

clean:
	rm -rf build node/wardline-node node/wardline $(BENCH_BIN) \
		tests/bench/hypercore-js/node_modules web/node_modules
