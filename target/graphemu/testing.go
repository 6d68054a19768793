package graphemu

import (
	"context"
	"testing"
)

// StartForTest starts an emulator over HTTPS on a free loopback port and
// stops it when the test ends. Options default to one app ("test-client",
// secret "test-secret") and one mailbox (user@emulator.test).
func StartForTest(t testing.TB, opts *Options) *Endpoint {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ClientID == "" {
		o.ClientID, o.ClientSecret = "test-client", "test-secret"
	}
	if len(o.Users) == 0 {
		o.Users = []string{"user@emulator.test"}
	}
	if o.CAFile == "" {
		o.CAFile = t.TempDir() + "/ca.pem"
	}
	e, err := New(&o)
	if err != nil {
		t.Fatalf("graphemu.New() = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ep, err := e.Serve(ctx, "127.0.0.1:0", true)
	if err != nil {
		cancel()
		t.Fatalf("Emulator.Serve() = %v", err)
	}
	t.Cleanup(func() {
		cancel()
		ep.Close()
		_ = e.Close()
	})
	return ep
}
