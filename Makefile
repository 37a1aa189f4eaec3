# SPDX-License-Identifier: MIT
# The front door. Each target installs what it needs (scripts/deps.sh),
# configures with a CMake preset, builds and runs.
#
#   make demo    build and run the main demo
#   make test    build and run every test (ctest)
#   make bench   build and run the benchmarks in tests/bench
#   make asan    the test suite under AddressSanitizer + UBSan
#   make tsan    the test suite under ThreadSanitizer
#   make fuzz    a short smoke run of every libFuzzer harness
#   make regen   regenerate generated/ from schemas/ with idlc
#   make install install idlc, headers, liberg, erg.pc and the CMake package
#
# Set ERG_WERROR=ON to make warnings errors (CI does).

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
ERG_WERROR ?= OFF
FUZZ_SECONDS ?= 60
CMAKE_ARGS = -DERG_WERROR=$(ERG_WERROR)

.PHONY: all deps build demo test bench asan tsan fuzz regen install clean

all: build

deps:
	@scripts/deps.sh core

# configure-and-build for one preset: $(call build_preset,NAME,DIR)
define build_preset
	cmake --preset $(1) $(CMAKE_ARGS) >/dev/null
	cmake --build $(2) -j $(JOBS)
endef

build: deps
	$(call build_preset,default,build)

demo: build
	scripts/demo.sh build

test: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

bench: build
	@scripts/deps.sh bench
	scripts/bench.sh build

asan: deps
	$(call build_preset,asan,build-asan)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

tsan: deps
	$(call build_preset,tsan,build-tsan)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	ctest --test-dir build-tsan --output-on-failure -j $(JOBS)

fuzz:
	@scripts/deps.sh fuzz
	$(call build_preset,fuzz,build-fuzz)
	scripts/fuzz-smoke.sh build-fuzz $(FUZZ_SECONDS)

# generated/ is idlc's committed output for schemas/ (a test fails on drift).
regen: build
	./build/bin/idlc gen -I schemas -o generated $$(find schemas -name '*.erg' | sort)

PREFIX ?= /usr/local
install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-fuzz
