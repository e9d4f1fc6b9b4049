# svcproxy: build, test, demo, benchmark and install.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
BENCH_ARGS ?=

.PHONY: all build release test unit-test blackbox-test demo bench clean

all: build

build:
	scripts/ensure-packages build
	$(SWIFT) build

release:
	scripts/ensure-packages build
	$(SWIFT) build -c release

# Unit tests (serially: the descriptor tests count this process's open descriptors),
# then the black-box tests that start the real binary and talk to it over loopback.
test:
	scripts/ensure-packages test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	python3 -m pytest -q Tests/blackbox

demo:
	scripts/ensure-packages demo
	$(SWIFT) build
	scripts/demo

# svcproxy, HAProxy and a direct connection side by side: `make bench BENCH_ARGS=--quick`.
bench:
	scripts/ensure-packages bench
	$(SWIFT) build -c release
	SVCPROXY_BIN=.build/release/svcproxy bench/run $(BENCH_ARGS)

clean:
	rm -rf .build
