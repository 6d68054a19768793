package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graph"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestEstimateAccuracy checks the plan's duration estimate against a real
// run: the seeded mailboxes plus 5 MB messages, into the emulator with
// throttling on and time-scaled (Exchange Online's windows divided by
// timeScale, amounts unchanged), through the Graph target paced for the
// same scale. The engine's run must take within 25 % of the estimate.
func TestEstimateAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 120 MB and runs for about 15 s")
	}
	const (
		timeScale = 20 // 150 MB per 15 s per mailbox
		large     = 12 // 5 MB messages for alice and bob each
	)
	var extras []testserver.ExtraMessage
	for _, user := range []string{"alice@example.test", "bob@example.test"} {
		for i := range large {
			extras = append(extras, testserver.ExtraMessage{User: user, Folder: "Large", Message: testserver.ManifestMessage{
				Generate: &testserver.Generator{Subject: fmt.Sprintf("Large %d", i), Seed: fmt.Sprintf("%s-large-%d", user, i), AttachmentSize: 5 << 20},
				Date:     time.Date(2024, 1, 1+i, 12, 0, 0, 0, time.UTC),
			}})
		}
	}
	d := startDovecot(t, extras...)
	// Attachments on received mail are allowed here: the draft fallback
	// (when a tenant refuses them) uploads the first large message of each
	// mailbox twice, which the model does not count.
	ep := startEmulator(t, d, graphemu.Options{TimeScale: timeScale, AttachmentsOnNonDraft: true})
	p := writeProject(t, d, ep)
	proj, err := config.Load(config.Options{Path: p.config})
	if err != nil {
		t.Fatal(err)
	}
	// The Graph target paced for the emulator's time scale.
	cfg := graphConfig(proj.Settings.Target)
	cfg.CAFile = proj.Resolve(cfg.CAFile)
	cfg.Concurrency = proj.Settings.Concurrency.PerMailbox
	cfg.TimeScale = timeScale
	ctx := context.Background()
	client, err := graph.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	open := func(ctx context.Context, address string) (target.Mailbox, error) { return client.Mailbox(ctx, address) }
	rules, err := mapping.NewRules(proj.Settings.Folders, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := mapping.NewItemOptions(proj.Settings.Filters, proj.Settings.Target, proj.Settings.Keywords)
	env := migrate.Env{Sources: openSources(proj), Target: open, Rules: rules, Items: items, Secrets: proj.Secrets()}
	planner := &migrate.Planner{Env: env, Settings: proj.Settings, Envelope: cfg.Envelope(), Tool: "test"}
	saved, err := planner.Plan(ctx, proj.Mailboxes)
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env.Store = st
	e := &migrate.Engine{Env: env, Mailboxes: proj.Settings.Concurrency.Mailboxes, PerMailbox: proj.Settings.Concurrency.PerMailbox}
	start := time.Now()
	res, err := e.Run(ctx, proj.Mailboxes)
	measured := time.Since(start).Seconds()
	if err != nil || res.Failed() {
		t.Fatalf("Run() = %+v, %v", res, err)
	}
	est := saved.Estimate.Seconds
	for _, m := range saved.Mailboxes {
		e := m.Estimate
		t.Logf("%s: %d items, %.1f MB: estimate %.2f s (list %.2f, read %.2f, upload %.2f, requests %.2f, latency %.2f; %s); read rate %.1f MB/s + %.1f ms/item",
			m.Address, e.Workload.Items, float64(e.Workload.Bytes)/(1<<20), e.Seconds, e.ListSeconds, e.ReadSeconds, e.UploadSeconds, e.RequestSeconds, e.LatencySeconds, e.Bottleneck,
			m.Read.BytesPerSecond/(1<<20), m.Read.PerItemSeconds*1000)
	}
	errPct := 100 * (est - measured) / measured
	t.Logf("estimate %.2f s, measured %.2f s: %+.1f %%", est, measured, errPct)
	if math.Abs(errPct) > 25 {
		t.Errorf("estimate %.2f s is %+.1f %% off the measured %.2f s; want within 25 %%", est, errPct, measured)
	}
	// The test is built so that the upload envelope and the source read
	// are close: which of them limits depends on the machine (the race
	// detector slows reading); either way it is not latency or requests.
	if b := saved.Estimate.Bottleneck; b != saved.Estimate.Envelope.UploadBottleneck() && b != plan.BottleneckRead {
		t.Errorf("bottleneck %q, want the upload envelope or the source read rate (the test is built so)", b)
	}
}
