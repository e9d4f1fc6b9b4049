# svcproxy: build, test, demo and benchmark.
SWIFT ?= swift
BENCH_ARGS ?=

.PHONY: all build release test demo bench clean

all: build

build:
	scripts/ensure-packages build
	$(SWIFT) build

release:
	scripts/ensure-packages build
	$(SWIFT) build -c release

# The README's commands, for those who prefer make.
test:
	scripts/test

demo:
	scripts/demo

# svcproxy, HAProxy and a direct connection side by side: `make bench BENCH_ARGS=--quick`.
bench:
	scripts/ensure-packages bench
	$(SWIFT) build -c release
	SVCPROXY_BIN=.build/release/svcproxy bench/run $(BENCH_ARGS)

clean:
	rm -rf .build
