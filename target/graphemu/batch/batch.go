// Package batch implements Microsoft Graph JSON batching ($batch) for the
// emulator.
package batch

import "net/http"

// Options configures Handler; a nil *Options means the Graph defaults.
type Options struct {
	MaxRequests int // requests per batch; 0 means 20
	MaxParallel int // inner requests run at once; 0 means 4
}

// Handler serves POST {base}/$batch, running each inner request through
// inner with URL "/v1.0"+url.
func Handler(inner http.Handler, opts *Options) http.Handler {
	return http.NotFoundHandler() // TODO
}
