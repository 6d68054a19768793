// Package faults injects HTTP faults into the Graph emulator from a spec.
//
// TODO: grammar documented here when implemented, e.g.
// "503:5%,429:2%,reset:1%,slow=2s:3%" and "seq:200,429,503,200".
package faults

import "net/http"

// Injector injects faults chosen by its spec, deterministically by seed.
type Injector struct{}

// Parse parses a fault spec. An empty spec injects nothing.
func Parse(spec string, seed int64, timeScale float64) (*Injector, error) {
	return &Injector{}, nil
}

// Middleware injects faults in front of next.
func (i *Injector) Middleware(next http.Handler) http.Handler { return next }
