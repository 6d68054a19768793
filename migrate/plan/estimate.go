package plan

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/humanize"
)

// Envelope is the target's throttling envelope for one mailbox, as the
// plan records it: the target reports it (target.Envelope, which has the
// same fields; the Graph target's is Exchange Online's, from
// graph.Config.Envelope) and the estimate models the run with it. The
// zero value means no known limit.
type Envelope struct {
	// Requests per RequestWindow.
	Requests      int           `json:"requests"`
	RequestWindow time.Duration `json:"request_window"`
	// UploadBytes per UploadWindow.
	UploadBytes  int64         `json:"upload_bytes"`
	UploadWindow time.Duration `json:"upload_window"`
	// Concurrent requests at once.
	Concurrent int `json:"concurrent"`
	// Share is the part of the limits the client plans to use (the Graph
	// target paces itself to 90 % and keeps the rest for retries).
	Share float64 `json:"share"`
	// RequestBurst and UploadBurst are what a fresh mailbox may send at
	// once before the pacing applies (the pacer's bucket sizes).
	RequestBurst int   `json:"request_burst"`
	UploadBurst  int64 `json:"upload_burst"`
}

// UploadBottleneck names the upload limit as a bottleneck: "Graph upload
// envelope (150.0 MB per 5 minutes per mailbox)".
func (e Envelope) UploadBottleneck() string {
	return fmt.Sprintf("Graph upload envelope (%s per %s per mailbox)", humanize.Bytes(e.UploadBytes), window(e.UploadWindow))
}

// RequestBottleneck names the request limit as a bottleneck: "Graph
// request envelope (10,000 requests per 10 minutes per mailbox)".
func (e Envelope) RequestBottleneck() string {
	return fmt.Sprintf("Graph request envelope (%s requests per %s per mailbox)", humanize.Number(int64(e.Requests)), window(e.RequestWindow))
}

// LatencyBottleneck names the request latency as a bottleneck: "Graph
// request latency (4 concurrent requests per mailbox)".
func (e Envelope) LatencyBottleneck() string {
	if e.Concurrent <= 0 {
		return "Graph request latency"
	}
	return fmt.Sprintf("Graph request latency (%s per mailbox)", humanize.Plural(int64(e.Concurrent), "concurrent request", "concurrent requests"))
}

// window writes a throttling window for a reader: "5 minutes", "30
// seconds", "250ms".
func window(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return humanize.Plural(int64(d/time.Minute), "minute", "minutes")
	case d >= time.Second && d%time.Second == 0:
		return humanize.Plural(int64(d/time.Second), "second", "seconds")
	}
	return d.String()
}

// uploadRate is the sustained upload rate in bytes per second: the pacer
// refills a bucket of UploadBurst so that no window exceeds the share.
func (e Envelope) uploadRate() float64 {
	return (e.Share*float64(e.UploadBytes) - float64(e.UploadBurst)) / e.UploadWindow.Seconds()
}

func (e Envelope) requestRate() float64 {
	return (e.Share*float64(e.Requests) - float64(e.RequestBurst)) / e.RequestWindow.Seconds()
}

// Graph request shapes that the model counts (see target/graph): a message
// whose JSON fits in Graph's 4 MB request is one POST; a larger one is
// created without its large attachments, which follow through upload
// sessions in chunks of 3.2 MB of raw bytes.
const (
	// largeItem is the size from which a message is assumed to carry large
	// attachments sent through upload sessions.
	largeItem = 4 << 20
	// chunk is the upload session's byte range per PUT.
	chunk = 10 * 320 << 10
	// itemOverhead is the JSON around a message (properties, the original
	// header block kept in PR_TRANSPORT_MESSAGE_HEADERS).
	itemOverhead = 3 << 10
	// rawShare is the share of a large MIME message that is the decoded
	// attachment sent as raw bytes: base64 with CRLF every 76 characters
	// takes 78 bytes for 57.
	rawShare = 57.0 / 78.0
	// largeRequests are the requests of a large item besides its chunks:
	// the pending-stamp lookup, the create, the upload session, the final
	// stamp update.
	largeRequests = 4
	// folderRequests are the requests per folder: finding or creating it
	// and listing the stamps already there.
	folderRequests = 3
	// stampPage is the page size of the stamp listing.
	stampPage = 500
)

// Workload is what one mailbox's run creates in the target.
type Workload struct {
	// Items and Bytes are the items to create and their source sizes.
	Items int64 `json:"items"`
	Bytes int64 `json:"bytes"`
	// LargeItems and LargeBytes are the part of them over 4 MB.
	LargeItems int64 `json:"large_items"`
	LargeBytes int64 `json:"large_bytes"`
	// Folders is the number of target folders.
	Folders int `json:"folders"`
}

// Add counts one item of size bytes.
func (w *Workload) Add(size int64) {
	size = max(size, 0)
	w.Items++
	w.Bytes += size
	if size > largeItem {
		w.LargeItems++
		w.LargeBytes += size
	}
}

// Requests is the number of Graph requests the workload takes.
func (w Workload) Requests() int64 {
	small := w.Items - w.LargeItems
	n := small + w.LargeItems*largeRequests
	n += int64(math.Ceil(float64(w.LargeBytes) * rawShare / chunk))
	n += int64(w.Folders) * folderRequests
	n += int64(math.Ceil(float64(w.Items) / stampPage))
	return n
}

// UploadBytes is the number of bytes the workload uploads: small messages
// go as JSON of about their MIME size (base64 in both), large ones mostly
// as raw attachment bytes.
func (w Workload) UploadBytes() int64 {
	small := w.Bytes - w.LargeBytes
	return small + int64(float64(w.LargeBytes)*rawShare) + w.Items*itemOverhead
}

// Model holds what the estimate depends on besides the workload.
type Model struct {
	// Envelope is the target's envelope (scaled for an emulator).
	Envelope Envelope
	// Latency is the time one create request takes at the target; 0 means
	// 400 ms, a typical time for Exchange Online to create a message.
	Latency time.Duration
	// Mailboxes is how many mailboxes run at once (concurrency.mailboxes);
	// PerMailbox how many requests of one mailbox (concurrency.per_mailbox,
	// at most Envelope.Concurrent).
	Mailboxes, PerMailbox int
}

// DefaultLatency is the create latency assumed when none was measured.
const DefaultLatency = 400 * time.Millisecond

// MailboxEstimate is the expected duration of one mailbox and why.
type MailboxEstimate struct {
	// Workload is the input.
	Workload Workload `json:"workload"`
	// Seconds is the expected duration.
	Seconds float64 `json:"seconds"`
	// The parts: listing the source, reading every item, uploading under
	// the byte envelope, requests under the request envelope, requests
	// under the concurrency limit and latency. The upload side is the
	// largest of the last three; reading and uploading overlap, so the
	// slower side counts, plus OverlapLoss of the faster.
	ListSeconds    float64 `json:"list_seconds"`
	ReadSeconds    float64 `json:"read_seconds"`
	UploadSeconds  float64 `json:"upload_seconds"`
	RequestSeconds float64 `json:"request_seconds"`
	LatencySeconds float64 `json:"latency_seconds"`
	// Bottleneck names the largest part.
	Bottleneck string `json:"bottleneck"`
}

// Bottlenecks, as Estimate names them besides the envelope's limits
// (Envelope.UploadBottleneck, RequestBottleneck, LatencyBottleneck).
const (
	BottleneckRead = "source read rate"
	BottleneckNone = "nothing to migrate"
)

// EstimateMailbox returns the duration of one mailbox: the listing time
// measured by the plan, finding or creating the folders, then the slowest
// of reading (rate.PerItemSeconds per item plus bytes at
// rate.BytesPerSecond, one item at a time as the engine reads), uploading
// under the byte envelope, requests under the request envelope, and
// requests at the measured latency with PerMailbox in flight; the slower
// of reading and the upload side's slowest limit, plus OverlapLoss times
// the faster.
func EstimateMailbox(w Workload, listSeconds float64, rate Rate, m Model) MailboxEstimate {
	e := MailboxEstimate{Workload: w, ListSeconds: listSeconds}
	if w.Items == 0 {
		e.Seconds, e.Bottleneck = listSeconds, BottleneckNone
		return e
	}
	// The engine lists every folder twice: once for the inventory, before
	// anything else, and again while it reads.
	e.ReadSeconds = listSeconds + float64(w.Items)*rate.PerItemSeconds
	if rate.BytesPerSecond > 0 {
		e.ReadSeconds += float64(w.Bytes) / rate.BytesPerSecond
	}
	env := m.Envelope
	if env.UploadWindow > 0 {
		e.UploadSeconds = max(0, float64(w.UploadBytes()-env.UploadBurst)) / env.uploadRate()
	}
	reqs := w.Requests()
	if env.RequestWindow > 0 {
		e.RequestSeconds = max(0, float64(reqs-int64(env.RequestBurst))) / env.requestRate()
	}
	lat := m.Latency
	if lat <= 0 {
		lat = DefaultLatency
	}
	par := m.PerMailbox
	if par <= 0 || (env.Concurrent > 0 && par > env.Concurrent) {
		par = max(env.Concurrent, 1)
	}
	e.LatencySeconds = float64(reqs) * lat.Seconds() / float64(par)
	// The upload side is as slow as its slowest limit; the read side and
	// the upload side overlap, but not fully: the engine reads one item at
	// a time into a queue of four and drains it at the end of each folder,
	// so part of the faster side adds to the slower (OverlapLoss,
	// measured). Target folders are found or created one by one first.
	up, upName := e.UploadSeconds, env.UploadBottleneck()
	if e.RequestSeconds > up {
		up, upName = e.RequestSeconds, env.RequestBottleneck()
	}
	if e.LatencySeconds > up {
		up, upName = e.LatencySeconds, env.LatencyBottleneck()
	}
	slow, fast := up, e.ReadSeconds
	e.Bottleneck = upName
	if e.ReadSeconds > up {
		slow, fast = e.ReadSeconds, up
		e.Bottleneck = BottleneckRead
	}
	e.Seconds = listSeconds + float64(w.Folders*2)*lat.Seconds() + slow + OverlapLoss*fast
	return e
}

// OverlapLoss is the share of the faster of a mailbox's two sides
// (reading the source, uploading to the target) that adds to the slower. Measured with TestEstimateAccuracy (cmd/migrate)
// in two regimes: read 0.7 s and upload 6.7 s took 7.0 s (0.25 of the
// read added), and under the race detector read 5.6 s and upload 6.7 s
// took 8.3 s (0.25 again).
const OverlapLoss = 0.25

// Estimate is the expected duration of a whole run.
type Estimate struct {
	// Seconds is the expected wall-clock duration.
	Seconds float64 `json:"seconds"`
	// Mailboxes is how many mailboxes run at once.
	Mailboxes int `json:"mailboxes_at_once"`
	// Bottleneck is the bottleneck that accounts for the most mailbox time
	// (the sum of the estimates of the mailboxes it limits).
	Bottleneck string `json:"bottleneck"`
	// Longest is the address of the mailbox that takes longest.
	Longest string `json:"longest,omitempty"`
	// Latency is the create latency the model used.
	LatencySeconds float64 `json:"latency_seconds"`
	// Envelope is the envelope the model used.
	Envelope Envelope `json:"envelope"`
	// Notes say what the estimate assumes, as sentences.
	Notes []string `json:"notes"`
}

// EstimateRun schedules the mailboxes as the engine does (in order, each
// starting when one of Model.Mailboxes slots is free; rows of one target
// mailbox, such as an IMAP and a POP3 row of the same account, one after
// the other in one slot) and returns the time the last one ends. Target
// mailboxes' throttling envelopes are independent, so mailboxes running
// at once do not slow each other down (the source server and the network
// are assumed not to be shared bottlenecks).
func EstimateRun(mailboxes []Mailbox, m Model) Estimate {
	slots := max(m.Mailboxes, 1)
	ends := make([]float64, slots)
	est := Estimate{Mailboxes: slots, Envelope: m.Envelope, LatencySeconds: m.Latency.Seconds()}
	if m.Latency <= 0 {
		est.LatencySeconds = DefaultLatency.Seconds()
	}
	weight := map[string]float64{}
	longest := -1.0
	// The seconds of each target mailbox's rows, in the order of its first
	// row: the engine runs them in turn (migrate.eachTarget).
	var targets []float64
	at := map[string]int{}
	for _, mb := range mailboxes {
		if mb.Error != "" {
			continue
		}
		t := strings.ToLower(mb.Target)
		if t == "" {
			t = strings.ToLower(mb.Address)
		}
		g, ok := at[t]
		if !ok {
			g = len(targets)
			at[t] = g
			targets = append(targets, 0)
		}
		targets[g] += mb.Estimate.Seconds
		weight[mb.Estimate.Bottleneck] += mb.Estimate.Seconds
		if mb.Estimate.Seconds > longest {
			longest, est.Longest = mb.Estimate.Seconds, mb.Address
		}
	}
	for _, seconds := range targets {
		i := slices.Index(ends, slices.Min(ends))
		ends[i] += seconds
	}
	est.Seconds = slices.Max(ends)
	n := -1.0
	for name, w := range weight {
		if w > n || (w == n && name < est.Bottleneck) {
			n, est.Bottleneck = w, name
		}
	}
	read := "Source read rate measured by the plan on a sample of items."
	if env := m.Envelope; env.UploadWindow > 0 {
		read = fmt.Sprintf("Source read rate measured by the plan on a sample of items; Graph upload limited to %.0f %% of %s per %s per mailbox.",
			100*env.Share, humanize.Bytes(env.UploadBytes), window(env.UploadWindow))
	}
	est.Notes = []string{
		humanize.Plural(int64(slots), "mailbox", "mailboxes") + " at once (concurrency.mailboxes); each mailbox has its own Graph envelope, so more at once is faster until the source server or the network saturates.",
		read,
		"Retries after throttling or server errors, and mail that arrives after the plan, add to it.",
	}
	return est
}

// FitRate fits the cost of reading an item, seconds = a + size/b, to
// samples of (size, seconds) by least squares, and returns it with the
// totals. With one sample, or sizes too alike to separate the two terms,
// the per-item cost is 0 and the rate is total bytes over total time.
func FitRate(sizes []int64, seconds []float64) Rate {
	r := Rate{Items: int64(len(sizes))}
	if len(sizes) == 0 || len(sizes) != len(seconds) {
		return r
	}
	var sx, sy, sxx, sxy float64
	for i := range sizes {
		x, y := float64(sizes[i]), seconds[i]
		r.Bytes += sizes[i]
		r.Seconds += y
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(sizes))
	den := n*sxx - sx*sx
	if len(sizes) >= 3 && den > 0 {
		slope := (n*sxy - sx*sy) / den
		icept := (sy - slope*sx) / n
		if slope > 0 && icept >= 0 {
			r.PerItemSeconds, r.BytesPerSecond = icept, 1/slope
			return r
		}
		if slope > 0 {
			// A negative intercept is noise: all of the cost is per byte.
			r.BytesPerSecond = sx / sy
			return r
		}
	}
	if r.Seconds > 0 {
		if r.Bytes > 0 {
			r.BytesPerSecond = float64(r.Bytes) / r.Seconds
		} else {
			r.PerItemSeconds = r.Seconds / n
		}
	}
	return r
}

// FormatDuration writes seconds for a reader, rounded up: "45 s", "12 min",
// "3 h 20 min", "2 d 4 h".
func FormatDuration(seconds float64) string {
	switch {
	case seconds < 59.5:
		return fmt.Sprintf("%.0f s", math.Max(math.Ceil(seconds), 0))
	case seconds < 3600:
		return fmt.Sprintf("%.0f min", math.Ceil(seconds/60))
	case seconds < 48*3600:
		m := int(math.Ceil(seconds / 60))
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	h := int(math.Ceil(seconds / 3600))
	return fmt.Sprintf("%d d %d h", h/24, h%24)
}
