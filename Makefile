# svcproxy: build, test, demo, benchmark and install.
SWIFT ?= swift
BENCH_ARGS ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
DESTDIR ?=
# Release builds carry the Swift runtime inside the binary, so a node needs no toolchain.
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: all build release test demo bench testssl install uninstall clean

all: build

build:
	scripts/ensure-packages build
	$(SWIFT) build

release:
	scripts/ensure-packages build
	$(SWIFT) build $(RELEASE_FLAGS)

# The README's commands, for those who prefer make.
test:
	scripts/test

demo:
	scripts/demo

# svcproxy, HAProxy, a direct connection (and nginx for HTTP) side by side: `make bench BENCH_ARGS=--quick`.
bench:
	scripts/ensure-packages bench
	$(SWIFT) build $(RELEASE_FLAGS)
	SVCPROXY_BIN=.build/release/svcproxy bench/run $(BENCH_ARGS)

# A testssl.sh scan of the Ingress's HTTPS listener on loopback (an Ingress with a TLS Secret,
# certificates made at test time), its findings summarised: Tests/blackbox/test_ingress_tls_scan.py.
testssl:
	scripts/ensure-packages testssl
	$(SWIFT) build
	SVCPROXY_TESTSSL=1 SVCPROXY_REQUIRE_BIN=1 SVCPROXY_BIN=.build/debug/svcproxy \
		python3 -m pytest -q -s -m testssl Tests/blackbox/test_ingress_tls_scan.py

# The binary, the unit (with its paths filled in) and, unless one exists, a starting
# configuration. `make install DESTDIR=/tmp/stage` stages it all under /tmp/stage.
install: release
	install -D -m 0755 .build/release/svcproxy $(DESTDIR)$(BINDIR)/svcproxy
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/svcproxy.service.in > $(DESTDIR)$(UNITDIR)/svcproxy.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/svcproxy.service
	install -d $(DESTDIR)$(SYSCONFDIR)/svcproxy
	[ -e $(DESTDIR)$(SYSCONFDIR)/svcproxy/services.yaml ] || \
		install -m 0644 config/default/services.yaml $(DESTDIR)$(SYSCONFDIR)/svcproxy/services.yaml

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/svcproxy $(DESTDIR)$(UNITDIR)/svcproxy.service

clean:
	rm -rf .build
