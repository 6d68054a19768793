package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/state"
)

// mailboxProgress is one mailbox's counters.
type mailboxProgress struct {
	items, bytes         int64 // totals from the inventory
	doneItems, doneBytes int64
	migrated, skipped    int64
	failed               int64
	finished             bool
	err                  error
	start                time.Time
}

// progressTracker keeps counters and renders them in one of the modes.
type progressTracker struct {
	mode  string // bar, plain, json, none
	w     io.Writer
	mu    sync.Mutex
	boxes map[string]*mailboxProgress
	order []string
	start time.Time
	last  time.Time
	bar   *progressbar.ProgressBar
	every time.Duration // plain mode: at most one line per mailbox this often
	// firstDone is when the first item was done; finished is set when the
	// bar is ended. now is the clock (time.Now; tests set it).
	firstDone time.Time
	finished  bool
	now       func() time.Time
}

var _ migrate.Progress = (*progressTracker)(nil)

// newProgress returns the progress sink for --progress mode ("auto" picks
// bar on a terminal, plain otherwise, none with --no-color in CI).
func newProgress(mode string, w io.Writer, noColor bool) (*progressTracker, error) {
	switch mode {
	case "auto":
		mode = "plain"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !noColor && os.Getenv("CI") == "" {
			mode = "bar"
		}
	case "bar", "plain", "json", "none":
	default:
		return nil, usageError(fmt.Errorf("--progress %q: want auto, bar, plain, json or none", mode))
	}
	p := &progressTracker{mode: mode, w: w, boxes: map[string]*mailboxProgress{}, start: time.Now(), every: 5 * time.Second, now: time.Now}
	if mode == "bar" {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionUseIECUnits(true),
			// The bar's own prediction starts from a guess ("[0s:5m0s]"
			// for 15 items); the description carries an ETA from the
			// measured rate instead.
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetDescription("starting"),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	return p, nil
}

func (p *progressTracker) MailboxStart(mailbox string, items, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.box(mailbox)
	b.items, b.bytes, b.start = items, bytes, time.Now()
	switch p.mode {
	case "bar":
		var total int64
		for _, b := range p.boxes {
			total += b.bytes
		}
		p.bar.ChangeMax64(total)
		p.describe()
	case "plain":
		fmt.Fprintf(p.w, "%s: %d items, %s to read\n", mailbox, items, humanize.Bytes(bytes))
	case "json":
		p.event(map[string]any{"event": "mailbox_start", "mailbox": mailbox, "items": items, "bytes": bytes})
	}
}

func (p *progressTracker) ItemDone(mailbox string, outcome state.Status, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.box(mailbox)
	b.doneItems++
	b.doneBytes += bytes
	if p.firstDone.IsZero() {
		p.firstDone = p.now()
	}
	switch outcome {
	case state.StatusMigrated:
		b.migrated++
	case state.StatusSkipped:
		b.skipped++
	case state.StatusFailed:
		b.failed++
	}
	switch p.mode {
	case "bar":
		_ = p.bar.Add64(bytes)
		p.describe()
	case "plain":
		if time.Since(p.last) >= p.every {
			p.last = time.Now()
			fmt.Fprintln(p.w, p.line(mailbox, b))
		}
	case "json":
		p.event(map[string]any{"event": "item", "mailbox": mailbox, "outcome": outcome, "bytes": bytes, "done": b.doneItems, "items": b.items})
	}
}

func (p *progressTracker) MailboxDone(mailbox string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.box(mailbox)
	b.finished, b.err = true, err
	switch p.mode {
	case "bar":
		p.describe()
	case "plain":
		fmt.Fprintln(p.w, p.line(mailbox, b)+" (finished)")
	case "json":
		ev := map[string]any{"event": "mailbox_done", "mailbox": mailbox, "migrated": b.migrated, "skipped": b.skipped, "failed": b.failed}
		if err != nil {
			ev["error"] = err.Error()
		}
		p.event(ev)
	}
}

// finish ends the bar so the summary prints on a clean line.
func (p *progressTracker) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.finished {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
	p.finished = true
}

func (p *progressTracker) box(mailbox string) *mailboxProgress {
	b, ok := p.boxes[mailbox]
	if !ok {
		b = &mailboxProgress{}
		p.boxes[mailbox] = b
		p.order = append(p.order, mailbox)
	}
	return b
}

// line formats one mailbox's progress: items, bytes, rate and ETA.
func (p *progressTracker) line(mailbox string, b *mailboxProgress) string {
	elapsed := time.Since(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.doneBytes) / elapsed
	}
	eta := "-"
	if rate > 0 && b.bytes > b.doneBytes {
		eta = (time.Duration(float64(b.bytes-b.doneBytes)/rate) * time.Second / time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: %d/%d items (%d migrated, %d skipped, %d failed), %s/%s, %s/s, ETA %s",
		mailbox, b.doneItems, b.items, b.migrated, b.skipped, b.failed, humanize.Bytes(b.doneBytes), humanize.Bytes(b.bytes), humanize.Bytes(int64(rate)), eta)
}

// describe sets the bar's description: overall items and active mailboxes.
func (p *progressTracker) describe() {
	var done, all int64
	var active []string
	names := append([]string(nil), p.order...)
	sort.Strings(names)
	for _, name := range names {
		b := p.boxes[name]
		done += b.doneItems
		all += b.items
		if !b.finished {
			active = append(active, fmt.Sprintf("%s %d/%d", strings.SplitN(name, "@", 2)[0], b.doneItems, b.items))
		}
	}
	desc := fmt.Sprintf("%d/%d items, ETA %s", done, all, p.eta())
	if len(active) > 0 {
		desc += " · " + strings.Join(active, " · ")
	}
	p.bar.Describe(desc)
}

// minETAWindow is how long the run must have moved bytes before the
// overall ETA is shown: a rate measured over less says nothing.
const minETAWindow = 2 * time.Second

// eta is the overall time left from the rate measured since the first
// item was done, or "-" while there is no honest figure yet. Callers hold
// p.mu.
func (p *progressTracker) eta() string {
	var done, all int64
	for _, b := range p.boxes {
		done += b.doneBytes
		all += b.bytes
	}
	if p.firstDone.IsZero() || done <= 0 {
		return "-"
	}
	elapsed := p.now().Sub(p.firstDone)
	if elapsed < minETAWindow {
		return "-"
	}
	if done >= all {
		return "0s"
	}
	left := time.Duration(float64(all-done) / (float64(done) / elapsed.Seconds()) * float64(time.Second))
	return left.Round(time.Second).String()
}

// above runs write, which prints a log record, with the bar cleared
// before and drawn again after, so that the record stands above it.
func (p *progressTracker) above(write func() (int, error)) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil || p.finished {
		return write()
	}
	_ = p.bar.Clear()
	n, err := write()
	// The bar as last drawn, on the line below the record (the bar's own
	// render may be throttled and would leave the line empty until the
	// next item).
	fmt.Fprint(p.w, "\r"+p.bar.String())
	return n, err
}

func (p *progressTracker) event(ev map[string]any) {
	ev["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(ev)
	fmt.Fprintln(p.w, string(b))
}
