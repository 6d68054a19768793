package plan

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAddSize(t *testing.T) {
	tests := []struct {
		size int64
		want string
	}{
		{-1, "< 10 KB"},
		{0, "< 10 KB"},
		{10<<10 - 1, "< 10 KB"},
		{10 << 10, "10-100 KB"},
		{1 << 20, "1-10 MB"},
		{35 << 20, "35-150 MB"},
		{150 << 20, ">= 150 MB"},
	}
	for _, tt := range tests {
		b := NewSizeBuckets()
		AddSize(b, tt.size)
		for _, x := range b {
			if (x.Items == 1) != (x.Label == tt.want) {
				t.Errorf("AddSize(%d): bucket %q has %d items; want it in %q", tt.size, x.Label, x.Items, tt.want)
			}
		}
	}
}

func TestAddYearAndLargest(t *testing.T) {
	var years []YearCount
	var largest []Item
	for i, d := range []string{"2021-05-01", "2019-01-01", "", "2021-12-31"} {
		var date time.Time
		if d != "" {
			date, _ = time.Parse("2006-01-02", d)
		}
		years = AddYear(years, date, int64(10*(i+1)))
		largest = AddLargest(largest, Item{Key: d, Size: int64(10 * (i + 1))}, 2)
	}
	want := []YearCount{{0, Count{1, 30}}, {2019, Count{1, 20}}, {2021, Count{2, 50}}}
	if diff := cmp.Diff(want, years); diff != "" {
		t.Errorf("AddYear() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, MergeYears(nil, years)); diff != "" {
		t.Errorf("MergeYears() mismatch (-want +got):\n%s", diff)
	}
	if len(largest) != 2 || largest[0].Size != 40 || largest[1].Size != 30 {
		t.Errorf("AddLargest() = %+v, want sizes 40, 30", largest)
	}
}

func TestFolderHasher(t *testing.T) {
	sum := func(items ...string) string {
		h := NewFolderHasher("INBOX", "7")
		for _, it := range items {
			h.Add(it, int64(len(it)), strings.HasPrefix(it, "d"))
		}
		return h.Sum()
	}
	base := sum("a1", "b22")
	for _, tt := range []struct {
		name  string
		items []string
	}{
		{"added", []string{"a1", "b22", "c"}},
		{"removed", []string{"a1"}},
		{"resized", []string{"a1", "b2"}},
		{"deleted flag", []string{"a1", "d22"}},
		{"empty", nil},
	} {
		if sum(tt.items...) == base {
			t.Errorf("%s: fingerprint unchanged", tt.name)
		}
	}
	if sum("a1", "b22") != base {
		t.Error("fingerprint of the same items differs")
	}
	if MailboxFingerprint([]Folder{{Path: "a", Fingerprint: "1"}, {Path: "b", Fingerprint: "2"}}) !=
		MailboxFingerprint([]Folder{{Path: "b", Fingerprint: "2"}, {Path: "a", Fingerprint: "1"}}) {
		t.Error("MailboxFingerprint depends on folder order")
	}
}

func TestFitRate(t *testing.T) {
	tests := []struct {
		name        string
		sizes       []int64
		secs        []float64
		perItem, bw float64
	}{
		{"linear", []int64{1000, 2000, 4000}, []float64{0.011, 0.012, 0.014}, 0.01, 1e6},
		{"one sample", []int64{1e6}, []float64{0.5}, 0, 2e6},
		{"same sizes", []int64{100, 100, 100}, []float64{0.1, 0.1, 0.1}, 0, 1000},
		{"no samples", nil, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := FitRate(tt.sizes, tt.secs)
			if math.Abs(r.PerItemSeconds-tt.perItem) > 1e-9 || math.Abs(r.BytesPerSecond-tt.bw)/max(tt.bw, 1) > 1e-6 {
				t.Errorf("FitRate() = %+v, want per item %v, %v B/s", r, tt.perItem, tt.bw)
			}
		})
	}
}

// outlook is the envelope the Graph target reports (graph.Config.Envelope
// with the default configuration), as a plan records it.
func outlook() Envelope {
	return Envelope{
		Requests: 10000, RequestWindow: 10 * time.Minute, UploadBytes: 150 << 20, UploadWindow: 5 * time.Minute,
		Concurrent: 4, Share: 0.9, RequestBurst: 100, UploadBurst: 8 << 20,
	}
}

func TestEnvelopeWords(t *testing.T) {
	scaled := outlook()
	scaled.RequestWindow, scaled.UploadWindow, scaled.Concurrent = time.Minute, 30*time.Second, 1
	tests := []struct{ got, want string }{
		{outlook().UploadBottleneck(), "Graph upload envelope (150.0 MB per 5 minutes per mailbox)"},
		{outlook().RequestBottleneck(), "Graph request envelope (10,000 requests per 10 minutes per mailbox)"},
		{outlook().LatencyBottleneck(), "Graph request latency (4 concurrent requests per mailbox)"},
		{scaled.UploadBottleneck(), "Graph upload envelope (150.0 MB per 30 seconds per mailbox)"},
		{scaled.RequestBottleneck(), "Graph request envelope (10,000 requests per 1 minute per mailbox)"},
		{scaled.LatencyBottleneck(), "Graph request latency (1 concurrent request per mailbox)"},
		{Envelope{}.LatencyBottleneck(), "Graph request latency"},
		{EstimateRun(nil, Model{Envelope: outlook()}).Notes[1], "Source read rate measured by the plan on a sample of items; Graph upload limited to 90 % of 150.0 MB per 5 minutes per mailbox."},
		{EstimateRun(nil, Model{}).Notes[1], "Source read rate measured by the plan on a sample of items."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestEstimateMailbox(t *testing.T) {
	env := outlook()
	tests := []struct {
		name       string
		w          Workload
		rate       Rate
		lat        time.Duration
		bottleneck string
		seconds    float64
	}{
		{"empty", Workload{}, Rate{}, 0, BottleneckNone, 1},
		// 1 GB of small mail: (1 GiB + 1000*3 KB - 8 MB) / (0.9*150 MB - 8 MB) per 300 s.
		// 1 GB of small mail: (1 GiB + 1000*3 KB - 8 MB) / (0.9*150 MB - 8 MB) per 300 s,
		// plus a quarter of reading it (listing again, 1 GiB at 100 MB/s).
		{"upload bound", Workload{Items: 1000, Bytes: 1 << 30, Folders: 1}, Rate{BytesPerSecond: 100e6}, 10 * time.Millisecond, env.UploadBottleneck(),
			1 + 2*0.01 + float64(1<<30+1000*3<<10-8<<20)/((0.9*150*(1<<20)-8<<20)/300) + OverlapLoss*(1+float64(1<<30)/100e6)},
		// 4000 small items at 400 ms, 4 at a time, plus a quarter of reading them.
		{"latency bound", Workload{Items: 4000, Bytes: 4000 << 10, Folders: 1}, Rate{BytesPerSecond: 100e6}, 400 * time.Millisecond, env.LatencyBottleneck(),
			1 + 2*0.4 + float64(4000+3+8)*0.4/4 + OverlapLoss*(1+float64(4000<<10)/100e6)},
		// One second per item, plus a quarter of the request envelope
		// (101 requests, under the burst of 100 but one) as the upload side.
		{"read bound", Workload{Items: 100, Bytes: 100 << 10}, Rate{PerItemSeconds: 1, BytesPerSecond: 1e9}, time.Millisecond, BottleneckRead,
			1 + 1 + 100 + float64(100<<10)/1e9 + OverlapLoss*1/((0.9*10000-100)/600)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EstimateMailbox(tt.w, 1, tt.rate, Model{Envelope: env, Latency: tt.lat, PerMailbox: 4})
			if e.Bottleneck != tt.bottleneck || math.Abs(e.Seconds-tt.seconds) > 1e-6*tt.seconds {
				t.Errorf("EstimateMailbox() = %.3f s (%s), want %.3f s (%s); %+v", e.Seconds, e.Bottleneck, tt.seconds, tt.bottleneck, e)
			}
		})
	}
}

func TestEstimateRun(t *testing.T) {
	mbs := func(secs ...float64) []Mailbox {
		var out []Mailbox
		for i, s := range secs {
			out = append(out, Mailbox{Address: string(rune('a' + i)), Estimate: MailboxEstimate{Seconds: s, Bottleneck: outlook().UploadBottleneck()}})
		}
		return out
	}
	tests := []struct {
		secs  []float64
		slots int
		want  float64
	}{
		{[]float64{10, 10, 10, 10}, 4, 10},
		{[]float64{10, 10, 10, 10, 5}, 4, 15},
		{[]float64{10, 1, 1, 1}, 2, 10},
		{[]float64{3, 3, 3}, 1, 9},
		{nil, 4, 0},
	}
	for _, tt := range tests {
		e := EstimateRun(mbs(tt.secs...), Model{Mailboxes: tt.slots})
		if e.Seconds != tt.want {
			t.Errorf("EstimateRun(%v, %d slots) = %v, want %v", tt.secs, tt.slots, e.Seconds, tt.want)
		}
	}
	// Rows of one target mailbox (an IMAP and a POP3 row of one account)
	// run one after the other, in one slot.
	shared := []struct {
		targets []string
		slots   int
		want    float64
	}{
		{[]string{"t1", "T1", "t2", "t3"}, 4, 20},
		{[]string{"t1", "t2", "t1", "t2"}, 4, 20},
		{[]string{"t1", "t2", "t3", "t4"}, 4, 10},
		{[]string{"t1", "t1", "t1", "t2"}, 2, 30},
	}
	for _, tt := range shared {
		in := mbs(10, 10, 10, 10)
		for i := range in {
			in[i].Target = tt.targets[i]
		}
		if e := EstimateRun(in, Model{Mailboxes: tt.slots}); e.Seconds != tt.want {
			t.Errorf("EstimateRun(4 rows of 10 s into %v, %d slots) = %v, want %v", tt.targets, tt.slots, e.Seconds, tt.want)
		}
	}
	for slots, want := range map[int]string{1: "1 mailbox at once (", 4: "4 mailboxes at once ("} {
		if e := EstimateRun(mbs(10), Model{Mailboxes: slots}); len(e.Notes) == 0 || !strings.HasPrefix(e.Notes[0], want) {
			t.Errorf("EstimateRun(%d slots) notes = %q, want the first to start with %q", slots, e.Notes, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		s    float64
		want string
	}{
		{0.2, "1 s"}, {59, "59 s"}, {61, "2 min"}, {3600, "1 h 0 min"}, {7170, "2 h 0 min"}, {5000, "1 h 24 min"}, {200000, "2 d 8 h"},
	} {
		if got := FormatDuration(tt.s); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	p := &Plan{Tool: "migrate test", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Mailboxes: []Mailbox{{Address: "a@b.c", Items: 3,
		Largest: []Item{{Folder: "INBOX", Key: "7.1", Size: 9, Date: time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC), Subject: "Grüße – Q2"}}}}}
	path := filepath.Join(dir, "plan.json")
	if err := Write(path, p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode = %v, want 0600", st.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read() = %v", err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("Read(Write(p)) mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name, content, want string
	}{
		{"newer", `{"format":"migrate-plan","version":99,"tool":"migrate v9"}`, "version 99, written by migrate v9"},
		{"older", `{"format":"migrate-plan","version":0,"tool":"migrate v0"}`, "make it again"},
		{"verify file", `{"format":"migrate-verify","version":1}`, "not a migrate-plan file"},
		{"not json", `hello`, "not JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read() = %v, want ErrFormat containing %q", err, tt.want)
			}
		})
	}
	v := &Verification{Tool: "t", Mailboxes: []VerifyMailbox{{Address: "a", VerifyCounts: VerifyCounts{Expected: 2, Matched: 1, Missing: 1}}}}
	v.Sum()
	if v.OK || v.Mailboxes[0].OK || v.Totals.Missing != 1 {
		t.Errorf("Sum() = %+v", v)
	}
	vp := filepath.Join(dir, "verify.json")
	if err := WriteVerification(vp, v); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadVerification(vp); err != nil || back.Totals != v.Totals {
		t.Errorf("ReadVerification() = %+v, %v", back, err)
	}
}

func TestProblems(t *testing.T) {
	folder := func(path string, items int64, fp string) Folder {
		return Folder{Path: path, Items: items, Fingerprint: fp, Validity: "1"}
	}
	p := &Plan{ConfigFingerprint: "c", State: StateMark{Runs: 1, Migrated: 5},
		Mailboxes: []Mailbox{{Address: "a@x", Target: "a@y", Protocol: "imap", Server: "h:993", Security: "tls", Fingerprint: "F",
			Folders: []Folder{folder("INBOX", 2, "i"), folder("Old", 1, "o")}}}}
	row := Mailbox{Address: "A@x", Target: "a@y", Protocol: "imap", Server: "h:993", Security: "tls"}
	current := Now{ConfigFingerprint: "c", State: StateMark{Runs: 1, Migrated: 5}, Mailboxes: []Mailbox{row},
		Inventory: []Mailbox{{Address: "a@x", Fingerprint: "F"}}}
	tests := []struct {
		name string
		edit func(n *Now)
		want []string
	}{
		{"current", func(n *Now) {}, nil},
		{"config", func(n *Now) { n.ConfigFingerprint = "d" }, []string{"configuration"}},
		{"a run since", func(n *Now) { n.State.Runs = 2 }, []string{"it records 2 runs, the plan was made when it recorded 1; a saved plan is applied once"}},
		{"runs reset", func(n *Now) { n.State.Runs = 0 }, []string{"it records 0 runs,"}},
		{"migrated since", func(n *Now) { n.State.Migrated = 6 }, []string{"6 items are recorded as migrated, 5 were when"}},
		{"one migrated", func(n *Now) { n.State.Migrated = 1 }, []string{": 1 item is recorded as migrated, 5 were when"}},
		{"mailbox gone", func(n *Now) { n.Mailboxes = nil }, []string{"no longer in the mailbox list"}},
		{"server changed", func(n *Now) { n.Mailboxes[0].Server = "other:993" }, []string{"source server changed"}},
		{"target folder changed", func(n *Now) { n.Mailboxes[0].TargetFolder = "Old provider" }, []string{"target folder changed since the plan was made (, now Old provider)"}},
		{"unreadable", func(n *Now) { n.Inventory[0].Error = "refused" }, []string{"cannot be read now: refused"}},
		{"folders changed", func(n *Now) {
			n.Inventory[0] = Mailbox{Address: "a@x", Fingerprint: "G", Folders: []Folder{folder("INBOX", 3, "j"), folder("New", 0, "n")}}
		}, []string{"INBOX holds 3 items now, 2", "Old is gone", "New is new"}},
		{"one item left", func(n *Now) {
			n.Inventory[0] = Mailbox{Address: "a@x", Fingerprint: "G", Folders: []Folder{folder("INBOX", 1, "j"), folder("Old", 1, "o")}}
		}, []string{"INBOX holds 1 item now, 2 when"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := current
			n.Mailboxes = append([]Mailbox(nil), current.Mailboxes...)
			n.Inventory = append([]Mailbox(nil), current.Inventory...)
			tt.edit(&n)
			got := Problems(p, n)
			if len(got) != len(tt.want) {
				t.Fatalf("Problems() = %q, want %d problems like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
