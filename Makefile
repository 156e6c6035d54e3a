# rnnstep: `make run` builds and opens the REPL; `make test` runs every test.
SHELL := /bin/bash
SWIFT ?= swift
RELEASE := .build/release
# make run and make bench build for the CPU they run on, in a build folder of their own;
# plain `swift build` (and make build) makes code for any x86-64 or arm64 CPU.
NATIVE := --scratch-path .build/native -Xswiftc -target-cpu -Xswiftc native
# A Python with NumPy, for the reference implementations the tests compare with.
PYTHON ?= $(shell python3 -c "import numpy" 2>/dev/null && echo python3 || echo /usr/bin/python3)

.PHONY: all deps build run install test lint bench verify fuzz docs fixtures clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	$(SWIFT) build -c release --product rnnstep

run: deps
	$(SWIFT) build -c release --product rnnstep $(NATIVE)
	.build/native/release/rnnstep

# rnnstep on your PATH: the binary in $(PREFIX)/bin, the lessons and docs in $(PREFIX)/share/rnnstep.
PREFIX ?= $(HOME)/.local
install: deps
	$(SWIFT) build -c release --product rnnstep $(NATIVE)
	mkdir -p $(PREFIX)/bin $(PREFIX)/share/rnnstep
	install -m 755 .build/native/release/rnnstep $(PREFIX)/bin/rnnstep
	rm -rf $(PREFIX)/share/rnnstep/lessons $(PREFIX)/share/rnnstep/docs
	cp -R lessons $(PREFIX)/share/rnnstep/lessons
	cp -R docs $(PREFIX)/share/rnnstep/docs

test: lint
	@scripts/deps.sh test
	RNNSTEP_PYTHON=$(PYTHON) $(SWIFT) test
	$(SWIFT) build --product rnnstep
	.build/debug/rnnstep check lessons/*.md docs/*.md README.md
	Tests/e2e/scripts.sh
	Tests/e2e/repl.sh
	$(SWIFT) build --product rnnstep-fuzz
	for target in npz npy json csv lesson expression command; do \
	  .build/debug/rnnstep-fuzz $$target Tests/Fuzz/corpus/$$target $$(ls -d Tests/Fuzz/crashes/$$target 2>/dev/null) || exit 1; \
	done

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# rnnstep against the NumPy reference on the same work, each in several separate processes,
# interleaved: medians, minima, maxima, ratios and the floors met or missed (benchmarks/README.md).
# Built for this CPU, with the portable build's speed beside it.
bench:
	@scripts/deps.sh test
	$(SWIFT) build -c release --product rnnstep-bench $(NATIVE)
	$(SWIFT) build -c release --product rnnstep $(NATIVE)
	$(SWIFT) build -c release --product rnnstep-bench
	$(PYTHON) benchmarks/run.py .build/native/release $(RELEASE)

# The gradient check's verdicts over the whole grid of regimes (make test runs a part of it).
verify:
	@scripts/deps.sh test
	RNNSTEP_VERIFY=1 $(SWIFT) test -c release --filter VerdictPropertyTests

# Fuzzing, two kinds. First libFuzzer with AddressSanitizer, coverage-guided, on each harness of
# Sources/rnnstep-fuzz (npz npy json csv lesson expression command) for FUZZ_SECONDS each, one
# process per core (scripts/fuzz.sh says how), from the seed corpora in Tests/Fuzz/corpus; a
# crash leaves its input in .build/fuzz-corpus/ (copy it to Tests/Fuzz/crashes/TARGET/, which
# make test replays). Then the seeded generator of command lines, inside and outside lessons,
# and of mangled .npz, .npy and JSON files: FUZZ_LINES lines (and files of each kind) per seed;
# a crash leaves the line that caused it in .build/fuzz-last-line-SEED.txt.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?= npz npy json csv lesson expression command
FUZZ_LINES ?= 100000
FUZZ_BUILD := --scratch-path .build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
fuzz:
	$(SWIFT) build -c release --product rnnstep-fuzz $(FUZZ_BUILD)
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
	$(SWIFT) build --build-tests
	for seed in 1 2 3; do \
	  RNNSTEP_FUZZ_SEED=$$seed RNNSTEP_FUZZ_LINES=$(FUZZ_LINES) RNNSTEP_FUZZ_FILES=$(FUZZ_LINES) RNNSTEP_FUZZ_LAST=.build/fuzz-last-line-$$seed.txt \
	    $(SWIFT) test --skip-build --filter 'CommandFuzzTests|RobustnessTests' || exit 1; \
	done

# Regenerates docs/commands.md from the command table (a test fails when it is out of date).
docs:
	$(SWIFT) build --product rnnstep
	.build/debug/rnnstep --commands-markdown > docs/commands.md

# Rewrites the NumPy reference data the tests compare with.
fixtures:
	$(PYTHON) Tests/RNNCoreTests/Fixtures/make_fixtures.py
	$(PYTHON) Tests/InterpreterTests/Fixtures/make_npz.py
	$(PYTHON) Tests/InterpreterTests/Fixtures/training/make_training_fixture.py

clean:
	rm -rf .build
