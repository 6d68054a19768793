package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// Environment of a child process started by startChild: the test binary
// re-executed as the migrate command, so that a test can kill it (kill -9)
// or measure its peak memory.
const (
	// childArgsEnv holds the command line as a JSON array of strings.
	childArgsEnv = "MIGRATE_E2E_CHILD_ARGS"
	// childTimeScaleEnv sets the Graph client's time scale in the child
	// (timeScaleEnv).
	childTimeScaleEnv = "MIGRATE_E2E_CHILD_TIME_SCALE"
)

// TestMain runs the tests, or, in a child started by startChild, the
// migrate command line exactly as main does, and exits with its code.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgsEnv); ok {
		os.Exit(childMain(args))
	}
	os.Exit(m.Run())
}

func childMain(rawArgs string) int {
	var args []string
	if err := json.Unmarshal([]byte(rawArgs), &args); err != nil {
		fmt.Fprintf(os.Stderr, "e2e child: %s: %v\n", childArgsEnv, err)
		return 125
	}
	if s := os.Getenv(childTimeScaleEnv); s != "" {
		if err := os.Setenv(timeScaleEnv, s); err != nil {
			fmt.Fprintf(os.Stderr, "e2e child: %s: %v\n", childTimeScaleEnv, err)
			return 125
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, os.Stdout, os.Stderr)
}
