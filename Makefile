# llsum — build, run and test. Every target installs what it needs.
GO      ?= go
BIN     := bin/llsum
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
LLSUM_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/llsum
ACTIONLINT  ?= $(LLSUM_CACHE)/tools/bin/actionlint

.PHONY: all build run test test-short deps fmt vet lint bench clean release-check

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/llsum

## run: build llsum and summarize testdata/docs into ./summaries
run: build
	./$(BIN) run testdata/docs

## deps: install what the tests need (Go modules, ONNX Runtime, test fixtures)
deps:
	$(GO) mod download
	bash scripts/setup-test-deps.sh

## test: the whole suite, as CI runs it (race detector on)
test: deps lint
	$(GO) test -race -count=1 -timeout 60m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzExtract$$' -fuzztime 20s ./extract

test-short:
	$(GO) test -short -count=1 ./...

fmt:
	gofmt -w .

vet:
	$(GO) vet ./...

lint: vet
	@out=$$(gofmt -l . 2>&1); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@[ -x "$(ACTIONLINT)" ] || { echo "actionlint missing: run make deps"; exit 1; }
	$(ACTIONLINT)

## release-check: goreleaser check + a snapshot release build into dist/ (installs goreleaser)
release-check:
	bash scripts/release-check.sh

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin summaries dist
