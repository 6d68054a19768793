package target

import "time"

// Envelope is a target's throttling envelope for one mailbox: the limits
// the target service sets and how the target paces itself inside them.
// The plan's estimate reads it from the target (the Graph target reports
// Exchange Online's: graph.Config.Envelope) rather than knowing any
// service's limits itself. The zero value means no known limit.
type Envelope struct {
	// Requests per RequestWindow.
	Requests      int
	RequestWindow time.Duration
	// UploadBytes (request bodies) per UploadWindow.
	UploadBytes  int64
	UploadWindow time.Duration
	// Concurrent is how many requests of one mailbox are in flight at once.
	Concurrent int
	// Share is the part of each limit the target plans to use; the rest
	// is kept for retries.
	Share float64
	// RequestBurst and UploadBurst are what a fresh mailbox may send at
	// once before the pacing applies.
	RequestBurst int
	UploadBurst  int64
}
