# rnnstep: `make run` builds and opens the REPL; `make test` runs every test.
SWIFT ?= swift
RELEASE := .build/release

.PHONY: all deps build run test lint bench verify docs fixtures clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build -c release --product rnnstep

run: build
	$(RELEASE)/rnnstep

test: deps lint
	$(SWIFT) test
	$(SWIFT) build --product rnnstep
	.build/debug/rnnstep check lessons/*.md docs/*.md README.md
	Tests/e2e/scripts.sh
	Tests/e2e/repl.sh

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# rnnstep against the NumPy reference on the same work, measured in the same run.
bench: deps
	$(SWIFT) build -c release --product rnnstep-bench
	python3 benchmarks/numpy_reference.py 3 > .build/numpy-reference.json
	$(RELEASE)/rnnstep-bench --reference .build/numpy-reference.json

# The gradient check's verdicts over the whole grid of regimes (make test runs a part of it).
verify: deps
	RNNSTEP_VERIFY=1 $(SWIFT) test -c release --filter VerdictPropertyTests

# Regenerates docs/commands.md from the command table (a test fails when it is out of date).
docs:
	$(SWIFT) build --product rnnstep
	.build/debug/rnnstep --commands-markdown > docs/commands.md

# Rewrites the NumPy reference data the tests compare with.
fixtures:
	python3 Tests/RNNCoreTests/Fixtures/make_fixtures.py
	python3 Tests/InterpreterTests/Fixtures/make_npz.py

clean:
	rm -rf .build
