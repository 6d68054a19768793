//go:build bench

package main

// The load benchmarks behind `make bench` (issue 14). They run the release
// binary (BENCH_BIN, built by `make build`) as child processes against a
// Dovecot serving Maildirs written by package mailgen and against
// `migrate emulator` in its own process, and compare each figure with a
// baseline measured in the same run: absolute times on a shared 2-core
// machine are noise, ratios much less so. Every measurement is repeated
// (BENCH_REPS, default 3) and the median is reported. Results go to
// BENCH_OUT/results.json and BENCH_OUT/results.md.
//
// BENCH_SCALE=ci is the small version CI runs (under a minute);
// BENCH_SCALE=full (the default) the one `make bench` runs.
// BENCH_ONLY runs some groups of rows: a comma-separated list of read
// (source read, pipeline, CPU), memory, flat and binary.
// BENCH_FLAT_LARGE overrides the message count of the large mailbox of
// the flat-memory row (100,000 at full scale).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/source/testserver/mailgen"
)

// benchScale is the size of one benchmark run.
type benchScale struct {
	name string
	// readMessages is the mailbox of the source read and pipeline rows;
	// readMaxSize caps its messages (0: the full distribution).
	readMessages int
	readMaxSize  int64
	// memMailboxes mailboxes of memMessages messages, each with one
	// message of memHugeSize, for the peak RSS row.
	memMailboxes, memMessages int
	memHugeSize               int64
	// flatSmall and flatLarge are the mailbox sizes of the flatness row
	// (messages capped at flatMaxSize).
	flatSmall, flatLarge int
	flatMaxSize          int64
	// coldBuild measures a build with an empty build cache (minutes).
	coldBuild bool
}

var benchScales = map[string]benchScale{
	"ci": {name: "ci", readMessages: 200, readMaxSize: 1 << 20,
		memMailboxes: 2, memMessages: 20, memHugeSize: 20 << 20,
		flatSmall: 50, flatLarge: 500, flatMaxSize: 64 << 10},
	"full": {name: "full", readMessages: 10_000,
		memMailboxes: 10, memMessages: 100, memHugeSize: 100 << 20,
		flatSmall: 1_000, flatLarge: 100_000, flatMaxSize: 100 << 10,
		coldBuild: true},
}

// benchTimeScale shrinks the emulator's throttling windows and the
// client's pacing alike, so that Exchange's envelope is far out of the way
// of a pipeline measurement (10,000 requests per 0.6 s).
const benchTimeScale = 1000

// maxBinBytes is the Makefile's MAX_BIN_BYTES (check-size).
const maxBinBytes = 30_000_000

// figure is one row of the results.
type figure struct {
	Name     string    `json:"name"`
	What     string    `json:"what"`
	Unit     string    `json:"unit"`
	Ours     float64   `json:"ours"`
	OursRuns []float64 `json:"ours_runs,omitempty"`
	Baseline string    `json:"baseline,omitempty"`
	Base     float64   `json:"baseline_value,omitempty"`
	BaseRuns []float64 `json:"baseline_runs,omitempty"`
	// Ratio is the figure against its baseline, oriented so that more is
	// better where Higher is set.
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target"`
	Pass   *bool   `json:"pass,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// results is BENCH_OUT/results.json.
type results struct {
	Scale   string            `json:"scale"`
	Started time.Time         `json:"started"`
	Machine map[string]string `json:"machine"`
	Figures []figure          `json:"figures"`
}

// TestBench runs every load benchmark and writes the results.
func TestBench(t *testing.T) {
	bin := os.Getenv("BENCH_BIN")
	out := os.Getenv("BENCH_OUT")
	if bin == "" || out == "" {
		t.Fatal("BENCH_BIN (the release binary) and BENCH_OUT (the results directory) must be set; run make bench or make bench-ci")
	}
	scaleName := orDefault(os.Getenv("BENCH_SCALE"), "full")
	scale, ok := benchScales[scaleName]
	if !ok {
		t.Fatalf("BENCH_SCALE %q: want ci or full", scaleName)
	}
	if s := os.Getenv("BENCH_FLAT_LARGE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= scale.flatSmall {
			t.Fatalf("BENCH_FLAT_LARGE %q: want more messages than the small mailbox's %d", s, scale.flatSmall)
		}
		scale.flatLarge = n
	}
	reps := 3
	if s := os.Getenv("BENCH_REPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BENCH_REPS %q: want a positive integer", s)
		}
		reps = n
	}
	if _, err := exec.LookPath("mbsync"); err != nil {
		t.Fatal("mbsync is missing: install the Debian package isync (make deps-bench)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	res := &results{Scale: scale.name, Started: time.Now().UTC(), Machine: machine()}
	b := &bencher{t: t, bin: bin, reps: reps, scale: scale}

	only := os.Getenv("BENCH_ONLY")
	for _, g := range []struct {
		name string
		run  func() []figure
	}{{"read", b.sourceAndPipeline}, {"memory", b.memory}, {"flat", b.flat}, {"binary", b.binary}} {
		if only == "" || slices.Contains(strings.Split(only, ","), g.name) {
			res.Figures = append(res.Figures, g.run()...)
		}
	}
	res.Machine["load_end"] = loadAvg()

	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	md := markdown(res)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("results in %s:\n%s", out, md)
	for _, f := range res.Figures {
		if f.Pass != nil && !*f.Pass {
			t.Logf("missed: %s (%s)", f.Name, f.Target)
		}
	}
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// bencher holds what every measurement needs.
type bencher struct {
	t     *testing.T
	bin   string
	reps  int
	scale benchScale
}

// usage is what a finished child process cost.
type usage struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	out    string
}

// runProc runs name with args to the end and measures it.
func (b *bencher) runProc(env []string, name string, args ...string) usage {
	b.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start), out: buf.String()}
	if err != nil {
		b.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(u.out, 4000))
	}
	u.cpu, u.maxRSS = rusage(cmd.ProcessState)
	return u
}

// rusage returns a finished process's CPU time and peak RSS.
func rusage(ps *os.ProcessState) (time.Duration, int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return ps.UserTime() + ps.SystemTime(), 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Maxrss << 10 // KiB on Linux
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// benchUsers writes a seed directory whose manifest has n accounts and no
// messages, for a Dovecot that mailgen populates.
func benchUsers(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("users:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - name: bench%02d@example.test\n    password: bench-pw-%02d\n    folders:\n      - name: INBOX\n      - name: Sent\n        special_use: '\\Sent'\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, testserver.ManifestFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dovecot starts Dovecot with users accounts populated by gen.
func (b *bencher) dovecot(users int, gen func(i int) mailgen.Options) (*testserver.Dovecot, int64) {
	b.t.Helper()
	var total int64
	start := time.Now()
	d := testserver.DovecotForTest(b.t, &testserver.DovecotOptions{SeedDir: benchUsers(b.t, users), NoSeed: true,
		Populate: func(user, dir string) error {
			i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(user, "bench"), "@example.test"))
			o := gen(i)
			st, err := mailgen.WriteMaildir(b.t.Context(), dir, &o)
			total += st.Bytes
			return err
		}})
	b.t.Logf("dovecot with %d accounts, %s generated in %v", users, humanize.Bytes(total), time.Since(start).Round(time.Millisecond))
	return d, total
}

// project writes migration.yaml and mailboxes.csv for the first n users
// of d, with target (a target: block, or "" for a dry run).
func (b *bencher) project(d *testserver.Dovecot, n int, target string) string {
	b.t.Helper()
	dir := b.t.TempDir()
	yaml := fmt.Sprintf(`client: bench
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 5m
%sconcurrency:
  mailboxes: 10
  per_mailbox: 4
`, d.Host, d.IMAPSPort, d.CAFile, target)
	csv := "EmailAddress,UserName,Password\n"
	for i, u := range d.Users[:n] {
		name := filepath.Join(dir, fmt.Sprintf("pw-%d.txt", i))
		if err := os.WriteFile(name, []byte(u.Password+"\n"), 0o600); err != nil {
			b.t.Fatal(err)
		}
		csv += fmt.Sprintf("%s,%s,file:%s\n", u.Name, u.Name, name)
	}
	for name, content := range map[string]string{"migration.yaml": yaml, "mailboxes.csv": csv, "client-secret.txt": benchSecret + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			b.t.Fatal(err)
		}
	}
	return filepath.Join(dir, "migration.yaml")
}

// The emulated tenant's app.
const (
	benchClientID = "bench-client"
	benchSecret   = "bench-s3cr3t"
)

// emulator is `migrate emulator` running in its own process.
type emulator struct {
	cmd    *exec.Cmd
	target string // the target: block of migration.yaml
	done   chan struct{}
}

var emuLineRE = regexp.MustCompile(`(?m)^(Graph base URL|Authority host|CA file):\s+(\S+)`)

// startEmulator starts `migrate emulator` for users with throttling
// scaled by benchTimeScale, accepting messages up to 150 MB with
// attachments on received mail.
func (b *bencher) startEmulator(users []testserver.User) *emulator {
	b.t.Helper()
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Name
	}
	ca := filepath.Join(b.t.TempDir(), "ca.pem")
	cmd := exec.Command(b.bin, "emulator", "--listen", "127.0.0.1:0", "--tenant", "bench.test",
		"--client-id", benchClientID, "--client-secret", benchSecret, "--users", strings.Join(names, ","),
		"--ca-out", ca, "--time-scale", strconv.Itoa(benchTimeScale), "--max-message-size", strconv.Itoa(150<<20),
		"--attachments-on-non-draft")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("migrate emulator: %v", err)
	}
	e := &emulator{cmd: cmd, done: make(chan struct{})}
	got := map[string]string{}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := emuLineRE.FindStringSubmatch(sc.Text()); m != nil {
				got[m[1]] = m[2]
				if len(got) == 3 {
					close(ready)
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(e.done)
	}()
	select {
	case <-ready:
	case <-e.done:
		b.t.Fatal("migrate emulator ended before printing its URLs")
	case <-time.After(30 * time.Second):
		b.t.Fatal("migrate emulator printed no URLs within 30 s")
	}
	e.target = fmt.Sprintf(`target:
  tenant: bench.test
  graph_endpoint: %s
  authority: %s
  client_id: %s
  client_secret: file:client-secret.txt
  ca_file: %s
  max_message_size: 150MB
`, got["Graph base URL"], got["Authority host"], benchClientID, got["CA file"])
	b.t.Cleanup(func() { _ = cmd.Process.Kill(); <-e.done })
	return e
}

// stop interrupts the emulator and returns its CPU time and peak RSS.
func (e *emulator) stop(t *testing.T) (time.Duration, int64) {
	t.Helper()
	_ = e.cmd.Process.Signal(os.Interrupt)
	select {
	case <-e.done:
	case <-time.After(30 * time.Second):
		t.Fatal("migrate emulator did not stop within 30 s of SIGINT")
	}
	return rusage(e.cmd.ProcessState)
}

// migrateRun runs `migrate run` (a dry run when dry is set) with extra
// environment variables and checks that it moved want messages.
func (b *bencher) migrateRun(config string, dry bool, want int, env ...string) usage {
	b.t.Helper()
	args := []string{"run", "--config", config, "--progress", "none", "--spool-dir", b.t.TempDir()}
	if dry {
		args = append(args, "--dry-run")
	}
	u := b.runProc(append(env, timeScaleEnv+"="+strconv.Itoa(benchTimeScale)), b.bin, args...)
	s := parseSummary(b.t, u.out)
	if s.migrated != want || s.failed != 0 {
		b.t.Fatalf("migrate %v: summary %+v, want %d migrated, none failed:\n%s", args, s, want, tail(u.out, 4000))
	}
	return u
}

// mbsyncPull pulls every folder of user from d into a fresh Maildir.
func (b *bencher) mbsyncPull(d *testserver.Dovecot, u testserver.User) usage {
	b.t.Helper()
	dir := b.t.TempDir()
	conf := fmt.Sprintf(`IMAPAccount src
Host %s
Port %d
User %s
Pass %s
SSLType IMAPS
CertificateFile %s

IMAPStore remote
Account src

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel pull
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
`, d.Host, d.IMAPSPort, u.Name, u.Password, d.CAFile, dir, dir)
	name := filepath.Join(b.t.TempDir(), "mbsyncrc")
	if err := os.WriteFile(name, []byte(conf), 0o600); err != nil {
		b.t.Fatal(err)
	}
	return b.runProc(nil, "mbsync", "-q", "-c", name, "-a")
}

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func passed(ok bool) *bool { return &ok }

// sourceAndPipeline measures the source read (dry run) and the pipeline
// (run into the emulator) on one mailbox, each against mbsync pulling it.
func (b *bencher) sourceAndPipeline() []figure {
	t := b.t
	sc := b.scale
	d, bytes := b.dovecot(1, func(int) mailgen.Options {
		return mailgen.Options{Seed: 14, Messages: sc.readMessages, MaxSize: sc.readMaxSize}
	})
	u := d.Users[0]
	gb := float64(bytes) / 1e9
	dryConfig := b.project(d, 1, "")
	var mbsync, dry, run, runCPU, emuCPU []float64
	// One warm-up pull, unmeasured, so that Dovecot's indexes and the page
	// cache are built for every contestant alike.
	b.mbsyncPull(d, u)
	for rep := range b.reps {
		m := b.mbsyncPull(d, u)
		mbsync = append(mbsync, m.wall.Seconds())
		r := b.migrateRun(dryConfig, true, sc.readMessages)
		dry = append(dry, r.wall.Seconds())
		e := b.startEmulator(d.Users[:1])
		p := b.migrateRun(b.project(d, 1, e.target), false, sc.readMessages)
		ecpu, _ := e.stop(t)
		run = append(run, p.wall.Seconds())
		runCPU = append(runCPU, p.cpu.Seconds()/gb)
		emuCPU = append(emuCPU, ecpu.Seconds()/gb)
		t.Logf("rep %d: mbsync %v, dry run %v, run %v (cpu %v, emulator cpu %v)", rep+1, m.wall, r.wall, p.wall, p.cpu, ecpu)
	}
	what := fmt.Sprintf("%d messages, %s, one mailbox, local Dovecot over IMAPS", sc.readMessages, humanize.Bytes(bytes))
	mb := median(mbsync)
	src := figure{Name: "Source read", What: what + "; migrate run --dry-run vs mbsync pulling to a Maildir", Unit: "s",
		Ours: median(dry), OursRuns: dry, Baseline: "mbsync (isync)", Base: mb, BaseRuns: mbsync, Target: ">= 1.0x mbsync"}
	src.Ratio = src.Base / src.Ours
	src.Pass = passed(src.Ratio >= 1.0)
	pipe := figure{Name: "Pipeline", What: what + fmt.Sprintf("; migrate run into migrate emulator (throttling and pacing time scale %d) vs mbsync", benchTimeScale), Unit: "s",
		Ours: median(run), OursRuns: run, Baseline: "mbsync (isync)", Base: mb, BaseRuns: mbsync, Target: ">= 0.25x mbsync"}
	pipe.Ratio = pipe.Base / pipe.Ours
	pipe.Pass = passed(pipe.Ratio >= 0.25)
	cpu := figure{Name: "Pipeline CPU", What: "CPU seconds (user + system) per GB of mail of the migrate run process; the emulator's apart", Unit: "s/GB",
		Ours: median(runCPU), OursRuns: runCPU, Baseline: "migrate emulator process", Base: median(emuCPU), BaseRuns: emuCPU, Target: "for the record"}
	cpu.Ratio = cpu.Ours / cpu.Base
	return []figure{src, pipe, cpu}
}

// memory measures the peak RSS of migrating several mailboxes with large
// messages, and of a small and a large mailbox.
func (b *bencher) memory() []figure {
	t := b.t
	sc := b.scale
	d, bytes := b.dovecot(sc.memMailboxes, func(i int) mailgen.Options {
		return mailgen.Options{Seed: uint64(100 + i), Messages: sc.memMessages, Huge: 1, HugeSize: sc.memHugeSize, MaxSize: 1 << 20}
	})
	var peaks []float64
	for rep := range b.reps {
		e := b.startEmulator(d.Users)
		p := b.migrateRun(b.project(d, sc.memMailboxes, e.target), false, sc.memMailboxes*sc.memMessages)
		e.stop(t)
		peaks = append(peaks, float64(p.maxRSS)/(1<<20))
		t.Logf("rep %d: %d mailboxes: peak RSS %.1f MiB, %v", rep+1, sc.memMailboxes, float64(p.maxRSS)/(1<<20), p.wall)
	}
	mem := figure{Name: "Memory", What: fmt.Sprintf("peak RSS of migrate run moving %d mailboxes of %d messages (%s), each with one %s message",
		sc.memMailboxes, sc.memMessages, humanize.Bytes(bytes), humanize.Bytes(sc.memHugeSize)), Unit: "MiB",
		Ours: median(peaks), OursRuns: peaks, Baseline: "the 200 MiB limit", Base: 200, Target: "< 1.0x (under 200 MiB)"}
	mem.Ratio = mem.Ours / mem.Base
	mem.Pass = passed(mem.Ratio < 1.0)
	return []figure{mem}
}

// flat measures the peak RSS of migrating a small and a large mailbox,
// and the Go heap's peak from the runtime's GC trace, which tells growth
// of the Go heap from memory outside it.
func (b *bencher) flat() []figure {
	t := b.t
	sc := b.scale
	rss := map[int][]float64{}
	heap := map[int][]float64{}
	for _, n := range []int{sc.flatSmall, sc.flatLarge} {
		d, _ := b.dovecot(1, func(int) mailgen.Options {
			return mailgen.Options{Seed: 200, Messages: n, MaxSize: sc.flatMaxSize}
		})
		for range b.reps {
			e := b.startEmulator(d.Users)
			p := b.migrateRun(b.project(d, 1, e.target), false, n, "GODEBUG=gctrace=1")
			e.stop(t)
			rss[n] = append(rss[n], float64(p.maxRSS)/(1<<20))
			mb, _ := peakHeap(p.out)
			heap[n] = append(heap[n], float64(mb))
		}
		d.Close()
		t.Logf("%d messages: peak RSS %v MiB, Go heap at most %v MB", n, rss[n], heap[n])
	}
	flat := figure{Name: "Memory, flat", What: fmt.Sprintf("peak RSS of migrate run, a %d-message mailbox against a %d-message one (messages up to %s)",
		sc.flatLarge, sc.flatSmall, humanize.Bytes(sc.flatMaxSize)), Unit: "MiB",
		Ours: median(rss[sc.flatLarge]), OursRuns: rss[sc.flatLarge], Baseline: fmt.Sprintf("%d messages", sc.flatSmall),
		Base: median(rss[sc.flatSmall]), BaseRuns: rss[sc.flatSmall], Target: "<= 1.10x"}
	flat.Ratio = flat.Ours / flat.Base
	flat.Pass = passed(flat.Ratio <= 1.10)
	flat.Note = fmt.Sprintf("Go heap at most %.0f MB against %.0f MB (GC trace, medians)", median(heap[sc.flatLarge]), median(heap[sc.flatSmall]))
	return []figure{flat}
}

// binary records the release binary's size and, at full scale, a build
// with an empty build cache.
func (b *bencher) binary() []figure {
	t := b.t
	st, err := os.Stat(b.bin)
	if err != nil {
		t.Fatal(err)
	}
	size := figure{Name: "Binary size", What: "bin/migrate (make build: -trimpath, -s -w)", Unit: "MB",
		Ours: float64(st.Size()) / 1e6, Baseline: "MAX_BIN_BYTES (check-size)", Base: maxBinBytes / 1e6, Target: "for the record (check-size fails above 1.0x)"}
	size.Ratio = size.Ours / size.Base
	figs := []figure{size}
	if !b.scale.coldBuild {
		return figs
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(t.TempDir(), "migrate"), "./cmd/migrate")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOCACHE="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cold build: %v\n%s", err, out)
	}
	wall := time.Since(start)
	// On Linux the rusage of a waited-for child includes the descendants
	// it waited for; its Maxrss is the largest of them (getrusage(2)).
	bcpu, brss := rusage(cmd.ProcessState)
	figs = append(figs, figure{Name: "Cold build", What: "go build of bin/migrate with an empty build cache (module cache warm), once", Unit: "s",
		Ours: wall.Seconds(), Target: "for the record",
		Note: fmt.Sprintf("CPU %v (the go command and the compilers and linker it waited for), largest peak RSS %s", bcpu.Round(time.Second), humanize.Bytes(brss))})
	return figs
}

// machine describes where the benchmarks ran.
func machine() map[string]string {
	m := map[string]string{"cpus": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH, "load_start": loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			m["memory"] = humanize.Bytes(kb << 10)
		}
	}
	if out, err := exec.Command("mbsync", "--version").Output(); err == nil {
		m["mbsync"] = strings.TrimSpace(string(out))
	}
	if d, err := testserver.DovecotVersion(context.Background(), testserver.DovecotBinary); err == nil {
		m["dovecot"] = d
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// markdown is the results table.
func markdown(r *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scale %s, %s; %s CPUs (%s), %s, %s; load average %s at the start, %s at the end; %s, Dovecot %s.\n\n",
		r.Scale, r.Started.Format("2006-01-02 15:04 UTC"), r.Machine["cpus"], r.Machine["cpu"], r.Machine["memory"], r.Machine["go"],
		r.Machine["load_start"], r.Machine["load_end"], r.Machine["mbsync"], r.Machine["dovecot"])
	b.WriteString("| measurement | ours | baseline | ratio | target | result |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, f := range r.Figures {
		base, ratio := "—", "—"
		if f.Baseline != "" {
			base = fmt.Sprintf("%s: %.3g %s", f.Baseline, f.Base, f.Unit)
			if f.Base == 0 {
				base = f.Baseline
			}
		}
		if f.Ratio != 0 {
			ratio = fmt.Sprintf("%.2fx", f.Ratio)
		}
		result := "recorded"
		if f.Pass != nil {
			result = map[bool]string{true: "pass", false: "**miss**"}[*f.Pass]
		}
		what := f.What
		if f.Note != "" {
			what += "; " + f.Note
		}
		fmt.Fprintf(&b, "| %s: %s | %.3g %s | %s | %s | %s | %s |\n", f.Name, what, f.Ours, f.Unit, base, ratio, f.Target, result)
	}
	fmt.Fprintf(&b, "\nMedians of the runs in results.json; ratios are the baseline's time over ours (more is faster) for times, ours over the baseline for memory, CPU and size.\n")
	return b.String()
}

// TestBenchPipelineProfile runs the pipeline row's `migrate run` in this
// process, against Dovecot and a `migrate emulator` child process, so
// that `go test -cpuprofile` (make bench-profile) profiles our side alone:
// the emulator's CPU stays in its own process. BENCH_PROFILE_MESSAGES sets
// the mailbox size (2,000).
func TestBenchPipelineProfile(t *testing.T) {
	bin := os.Getenv("BENCH_BIN")
	if bin == "" {
		t.Fatal("BENCH_BIN (the release binary, for the emulator) must be set; run make bench-profile")
	}
	n := 2000
	if s := os.Getenv("BENCH_PROFILE_MESSAGES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("BENCH_PROFILE_MESSAGES %q: want a positive integer", s)
		}
	}
	b := &bencher{t: t, bin: bin, reps: 1}
	d, bytes := b.dovecot(1, func(int) mailgen.Options { return mailgen.Options{Seed: 14, Messages: n} })
	e := b.startEmulator(d.Users[:1])
	setGraphTimeScale(t, benchTimeScale)
	var out, errb strings.Builder
	start := time.Now()
	code := run(context.Background(), []string{"run", "--config", b.project(d, 1, e.target), "--progress", "none", "--spool-dir", t.TempDir()}, &out, &errb)
	wall := time.Since(start)
	ecpu, _ := e.stop(t)
	if s := parseSummary(t, out.String()); code != exitOK || s.migrated != n || s.failed != 0 {
		t.Fatalf("migrate run: exit %d, summary %+v, want %d migrated:\n%s\n%s", code, s, n, tail(out.String(), 4000), tail(errb.String(), 4000))
	}
	t.Logf("%d messages, %s in %v; the emulator process used %v of CPU", n, humanize.Bytes(bytes), wall.Round(time.Millisecond), ecpu.Round(time.Millisecond))
}
