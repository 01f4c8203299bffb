# llsum — build, run and test. Every target installs what it needs.
GO      ?= go
BIN     := bin/llsum
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Lint tools are pinned; each version is installed into its own folder under
# ./bin/tools, so changing a version here installs the new one.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(CURDIR)/bin/tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(CURDIR)/bin/tools/actionlint-$(ACTIONLINT_VERSION)/actionlint

.PHONY: all build run test test-short deps tools fmt vet lint bench clean release-check

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/llsum

## run: build llsum and summarize testdata/docs into ./summaries
run: build
	./$(BIN) run testdata/docs

## deps: install what the tests need (Go modules, ONNX Runtime, test fixtures, lint tools)
deps: tools
	$(GO) mod download
	bash scripts/setup-test-deps.sh

## tools: the pinned lint tools (staticcheck, actionlint), built from the module proxy
tools: $(STATICCHECK) $(ACTIONLINT)

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(ACTIONLINT):
	GOBIN=$(dir $@) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

## test: the whole suite, as CI runs it (race detector on)
# Fuzz budgets are counts of executions, not durations: Go 1.26's fuzz
# coordinator can fail a duration-bound run with a bare "context deadline
# exceeded" at the deadline, no crasher written (go.dev/issue/75804, fixed
# in Go 1.27); CI hit it on FuzzTextStream.
test: deps lint
	$(GO) test -race -count=1 -timeout 60m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzExtract$$' -fuzztime 1000x -fuzzminimizetime 100x ./extract
	$(GO) test -run '^$$' -fuzz '^FuzzLexer$$' -fuzztime 60000x -fuzzminimizetime 100x ./extract
	$(GO) test -run '^$$' -fuzz '^FuzzCmapInverse$$' -fuzztime 50000x -fuzzminimizetime 100x ./extract
	$(GO) test -run '^$$' -fuzz '^FuzzTextStream$$' -fuzztime 100000x -fuzzminimizetime 100x ./infer
	$(GO) test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime 40000x -fuzzminimizetime 100x ./internal/segment
	bash scripts/release-check.sh

test-short:
	$(GO) test -short -count=1 ./...

fmt:
	gofmt -w .

vet:
	$(GO) vet ./...

## lint: gofmt, go vet, staticcheck, the import-layering check and actionlint
## (action.yml, through .github/workflows)
lint: vet $(STATICCHECK) $(ACTIONLINT)
	@out=$$(gofmt -l . 2>&1); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...
	bash scripts/check-layers.sh
	$(ACTIONLINT)

## release-check: goreleaser check + a snapshot release build into dist/ (installs goreleaser)
release-check:
	bash scripts/release-check.sh

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin summaries dist
