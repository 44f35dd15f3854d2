# reconkit: payment reconciliation (recon) and API contract tests (contract).
# go-sqlite3 needs cgo; gcc is on every machine of this project.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/reconkit/reconkit/internal/reconcli.Version=$(VERSION) -X github.com/reconkit/reconkit/internal/contractcli.Version=$(VERSION)
BIN       := bin
export CGO_ENABLED := 1

.PHONY: all build test vet fuzz-short bench bench-e2e bench-nights demo clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/recon ./cmd/recon
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/contract ./cmd/contract

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# The README's test command. Benchmarks run once at a small size so they
# cannot rot; the fuzzers replay their seed corpora as ordinary tests.
test: vet build
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./... > /dev/null

# Every fuzz target in the repository, one after another, for FUZZTIME
# each (CI runs this after the tests, so a new crash fails the build). See
# .ci/fuzz-short.sh, which also re-runs a target once after Go's spurious
# "context deadline exceeded".
FUZZTIME ?= 20s
fuzz-short:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./.ci/fuzz-short.sh

# Every Go benchmark with -benchmem, then one generated night end to end
# with the SQL baseline beside it (bench/e2e.sh: N orders; the figures are
# in docs/performance.md). `make bench-e2e N=1000000` for the full size;
# DB=postgres runs the same night on PostgreSQL beside it; LEDGER_STYLE=net
# books the gateway's net settlement deposits instead of one line a
# transaction.
N ?= 100000
DB ?= sqlite
LEDGER_STYLE ?= gross
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(MAKE) bench-e2e N=$(N)

bench-e2e: build
	N=$(N) DB=$(DB) LEDGER_STYLE=$(LEDGER_STYLE) RECON=$(CURDIR)/$(BIN)/recon bash bench/e2e.sh

# A month of nights into one SQLite database, night NIGHTS against night
# 1 (bench/nights.sh; `make bench-nights N=200000 NIGHTS=30` for the full
# size). N defaults to 100000 here as above.
NIGHTS ?= 30
bench-nights: build
	N=$(N) NIGHTS=$(NIGHTS) RECON=$(CURDIR)/$(BIN)/recon bash bench/nights.sh

demo: build
	./$(BIN)/recon demo --dir demo

clean:
	rm -rf $(BIN) demo
