# migrate: see README.md. `make demo` and `make test` are the two commands a
# newcomer runs.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
BIN         := bin/migrate

.PHONY: all build deps vet lint test test-short demo bench clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/migrate

## deps: install the Debian packages the tests and the demo use (Dovecot, Radicale, poppler)
deps:
	bash .ci/install-deps

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

## test: everything CI runs: vet, staticcheck, all tests with the race detector, and the
## 100 MB memory test once more without it (the race runtime inflates RSS, so the peak RSS
## bound of 200 MB is asserted only in a normal build)
test: deps vet lint
	$(GO) test -race -timeout 20m ./...
	$(GO) test -count=1 -run 'TestE2ELargeMessageMemory' ./cmd/migrate/

## test-short: quick tests without the race detector
test-short:
	$(GO) test -short ./...

## demo: the main job end to end on built-in test mailboxes and a local Graph emulator
demo: deps build
	./$(BIN) demo

## bench: speed and memory figures (Go benchmarks), as ratios to baselines measured in the same run
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
