# Stowage: `make up` starts everything on this machine, `make test` proves it.
SHELL := /bin/bash
.DEFAULT_GOAL := build

.PHONY: deps build up down test test-unit test-integration test-e2e typecheck clean bench

deps:
	@hack/install-deps.sh

build: deps
	@npx tsc -p tsconfig.build.json
	@node hack/build-ui.mjs
	@mkdir -p bin
	@install -m 755 cmd/stowage/stowage.sh bin/stowage
	@# stowctl: one bundle that starts fast (hack/build-cli.mjs); bin/stowctl links to it, no shell in between
	@node hack/build-cli.mjs
	@ln -sfn ../dist/stowctl.mjs bin/stowctl

typecheck:
	@npx tsc -p tsconfig.json --noEmit
	@npx tsc -p ui/tsconfig.json
	@npx tsc -p ui/tsconfig.test.json

up: build
	@hack/up.sh

down:
	@hack/down.sh

# the tests run the binaries `make build` made, as a user does (and no process compiles TypeScript at start)
BUILT := STOWAGE_BIN=$(CURDIR)/bin/stowage STOWCTL_BIN=$(CURDIR)/bin/stowctl

test: build typecheck
	@$(BUILT) hack/test.sh all

test-unit:
	@hack/test.sh unit

test-integration: build
	@$(BUILT) hack/test.sh integration

test-e2e: build
	@$(BUILT) hack/test.sh e2e

clean:
	rm -rf dist bin .run
