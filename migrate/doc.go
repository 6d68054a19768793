// Package migrate is the engine: it opens source accounts, maps what they
// hold, drives the target and records every step in the state store. It is
// the only package that knows sources, mapping and targets together; the
// command line in cmd/migrate is a thin layer over it.
package migrate
