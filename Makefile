# migrate: see README.md. `make demo` and `make test` are the two commands a
# newcomer runs.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
BIN         := bin/migrate
# MAX_BIN_BYTES bounds the release binary (30 MB); see check-size.
MAX_BIN_BYTES ?= 30000000
# FUZZTIME is the time per fuzz target, CHAOS_CYCLES the kill cycles per
# scenario of make chaos.
FUZZTIME     ?= 60s
CHAOS_CYCLES ?= 10
# BENCH_OUT is where make bench and make bench-ci write results.json,
# results.md and the Go benchmarks' output; BENCH_REPS how often each
# load measurement is repeated (the median is reported).
BENCH_OUT  ?= bin/bench
BENCH_REPS ?= 3

.PHONY: all build check-size deps deps-bench vet lint test test-short demo bench bench-go bench-profile bench-ci chaos clean

all: build

## build: the release binary: -trimpath, symbol table and DWARF stripped (-s -w), version
## stamped; prints its size
build:
	$(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o $(BIN) ./cmd/migrate
	@wc -c < $(BIN) | awk '{ printf "$(BIN): %d bytes (%.1f MB)\n", $$1, $$1 / 1e6 }'

## check-size: fail when the release binary is larger than MAX_BIN_BYTES. It grows past it
## when target/graph lets a *msgraph.GraphServiceClient or models.User into the program
## (see Client.users in target/graph/client.go)
check-size: build
	@n=$$(wc -c < $(BIN)); if [ "$$n" -gt $(MAX_BIN_BYTES) ]; then \
		echo "check-size: $(BIN) is $$n bytes, more than MAX_BIN_BYTES=$(MAX_BIN_BYTES): find what is kept with go tool nm -size -sort size on an unstripped build" >&2; \
		exit 1; fi

## deps: install the Debian packages the tests and the demo use (Dovecot, Radicale, poppler, pst-utils)
deps:
	bash .ci/install-deps

## deps-bench: the same and isync (mbsync), the baseline of make bench
deps-bench:
	bash .ci/install-deps bench

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

## test: everything CI runs: vet, staticcheck, the release binary's size check, all tests with
## the race detector, and the 100 MB memory test once more without it (the race runtime
## inflates RSS, so the peak RSS bound of 200 MB is asserted only in a normal build); the
## estimate-accuracy test compares wall-clock times, so it runs there too, alone, not beside
## every other package's race tests on two cores (measured there: -40 %, alone: within 25 %)
test: deps vet lint check-size
	$(GO) test -race -timeout 20m -skip 'TestEstimateAccuracy' ./...
	$(GO) test -count=1 -run 'TestE2ELargeMessageMemory|TestEstimateAccuracy' ./cmd/migrate/

## test-short: quick tests without the race detector
test-short:
	$(GO) test -short ./...

## demo: the main job end to end on built-in test mailboxes and a local Graph emulator
demo: deps build
	./$(BIN) demo

## bench: the full load benchmarks (TestBench in cmd/migrate/bench_test.go, tag bench): source
## read and pipeline against mbsync, CPU per GB, peak RSS, binary size, cold build, as
## ratios to baselines measured in the same run, medians of BENCH_REPS runs; writes
## $(BENCH_OUT)/results.json and results.md. Then the Go benchmarks (bench-go). Takes hours
bench: deps-bench build
	@mkdir -p $(BENCH_OUT)
	BENCH_SCALE=full BENCH_REPS=$(BENCH_REPS) BENCH_OUT=$(abspath $(BENCH_OUT)) BENCH_BIN=$(abspath $(BIN)) \
		$(GO) test -tags bench -run '^TestBench$$' -count=1 -timeout 12h -v ./cmd/migrate/
	$(MAKE) bench-go

## bench-go: the Go benchmarks of the hot paths, with -benchmem, into $(BENCH_OUT)/go-bench.txt
bench-go:
	@mkdir -p $(BENCH_OUT)
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee $(BENCH_OUT)/go-bench.txt

## bench-profile: a CPU profile of our side of the pipeline row (migrate run in process, the
## emulator in its own), into $(BENCH_OUT)/pipeline.pprof; read it with go tool pprof -top
bench-profile: deps-bench build
	@mkdir -p $(BENCH_OUT)
	BENCH_BIN=$(abspath $(BIN)) $(GO) test -tags bench -run '^TestBenchPipelineProfile$$' -count=1 -timeout 1h -v \
		-cpuprofile $(abspath $(BENCH_OUT))/pipeline.pprof -o $(abspath $(BENCH_OUT))/migrate.test ./cmd/migrate/

## bench-ci: the small version of make bench that CI runs (.ci/run; about 45 s here), so that
## the harness cannot rot; its figures are too small to quote
bench-ci: deps-bench build
	@mkdir -p $(BENCH_OUT)
	BENCH_SCALE=ci BENCH_REPS=$(BENCH_REPS) BENCH_OUT=$(abspath $(BENCH_OUT)) BENCH_BIN=$(abspath $(BIN)) \
		$(GO) test -tags bench -run '^TestBench$$' -count=1 -timeout 10m -v ./cmd/migrate/

## chaos: every fuzz target for FUZZTIME each, then the kill -9 and resume loops (IMAP, POP3,
## contacts and events, local stores; state kept and deleted) with CHAOS_CYCLES cycles per
## scenario (80 in all by default), and a table: scenario, cycles, faults injected, items expected, found,
## lost, doubled, panics; fails on any loss, duplicate or panic (README, Reliability)
chaos: deps
	FUZZTIME=$(FUZZTIME) CHAOS_CYCLES=$(CHAOS_CYCLES) GO=$(GO) bash .ci/chaos

clean:
	rm -rf bin
