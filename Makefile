# HarborAI ingest: the one entry point. CI and the README call these targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin
GOLANGCI_VERSION := v2.15.0

.PHONY: all build demo test test-short vet lint fmt fuzz bench bench-ingest bench-latency bench-jetstream bench-footprint bench-outage bench-query ci clean

all: build

## build: compile the four commands into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ ./cmd/...

## demo: the main job: embedded NATS + ingestor + realistic traffic + the stored calls
demo: build
	./scripts/demo.sh

## test: vet, lint and the whole suite with the race detector, PostgreSQL- and NATS-backed tests included
test: lint
	./scripts/ensure-postgres.sh
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

## test-short: the suite without the slow end-to-end and fault tests
test-short:
	$(GO) test -race -short ./...

## lint: golangci-lint (installed into ./bin on first use)
lint:
	@test -x $(BIN)/golangci-lint || GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	$(BIN)/golangci-lint run ./...

## fmt: gofmt the tree
fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run every fuzz target for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
FUZZ = ./pkg/parse:FuzzParse ./pkg/parse:FuzzParseMatchesStdlib \
	./pkg/event:FuzzDecode ./pkg/event:FuzzUnmarshalMatchesStdlib ./pkg/event:FuzzMarshalMatchesStdlib \
	./pkg/parse:FuzzParseMatchesReference ./pkg/parse:FuzzScanMatchesDecoder ./pkg/event:FuzzMessageEvents \
	./pkg/spool:FuzzReadLine ./pkg/harborai:FuzzScanObject ./pkg/record:FuzzMerge ./pkg/cost:FuzzCost ./pkg/pg:FuzzCleanJSON \
	./pkg/pg:FuzzCopyRowsMatchPgx ./pkg/harborai:FuzzMayStream ./pkg/cost:FuzzFastAmounts ./pkg/cost:FuzzIsDatedSuffix \
	./pkg/harborai:FuzzWithIncludeUsage ./pkg/harborai:FuzzHidingBody
## fuzz: every fuzz target for FUZZTIME each (one at a time: -fuzz takes one target)
fuzz:
	./scripts/fuzz.sh $(FUZZTIME) $(FUZZ)

## bench: run every benchmark side by side with its baseline and rewrite docs/benchmarks.md (~11 min on 2 cores)
## bench-ingest, bench-latency (+ client), bench-jetstream, bench-footprint, bench-outage, bench-query: one part each
BENCHRUN = $(GO) run ./bench/cmd/benchrun -out $(BIN)/bench -cmd "make $@"
bench: build
	$(BENCHRUN) all
bench-ingest: build
	$(BENCHRUN) ingest
bench-latency: build
	$(BENCHRUN) latency client
bench-jetstream:
	$(BENCHRUN) jetstream
bench-footprint: build
	$(BENCHRUN) footprint
bench-outage: build
	$(BENCHRUN) outage
bench-query:
	$(BENCHRUN) query

## ci: what .ci/run runs
ci: test

clean:
	rm -rf $(BIN) .demo
