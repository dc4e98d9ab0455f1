# Mandate. `make demo` runs the whole authority locally with a scripted agent;
# `make test` runs every check CI runs (it starts the servers the tests need).
SHELL := /bin/bash
GO ?= go
STATICCHECK_VERSION := v0.8.2
TOOLS := $(CURDIR)/.cache/bin
export PATH := $(TOOLS):$(PATH)

.PHONY: demo test unit lint fmt bench build local clean

demo: ## Run the authority with a scripted agent; exits non-zero if any scenario misbehaves.
	$(GO) run ./cmd/mandate demo

local: ## Serve the API on 127.0.0.1:8080 with state in ./.mandate
	$(GO) run ./cmd/mandate local

test: lint ## Lint, then every test, with dynalite started for the DynamoDB conformance suite.
	./.ci/with-services $(GO) test -count=1 -race ./...

unit: ## Tests that need no server (server tests skip unless CI=true).
	$(GO) test ./...

lint: $(TOOLS)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

fmt:
	gofmt -w $$(git ls-files '*.go')

bench: ## Go benchmarks of the hot paths and the load generator (see BENCHMARKS.md).
	./.ci/with-services $(GO) test -run '^$$' -bench . -benchmem ./shared/...
	$(GO) run ./cmd/mandate load -workers 8 -requests 3000

build: ## Lambda bootstraps for linux/arm64 (pure Go).
	@for f in functions/*/; do n=$$(basename $$f); \
	  echo "build $$n"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o build/$$n/bootstrap ./functions/$$n || exit 1; \
	done

clean:
	rm -rf build cdk.out
