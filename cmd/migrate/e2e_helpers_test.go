package main

// Shared fixtures of the end-to-end tests (e2e_*_test.go): a seeded Dovecot,
// the Graph emulator, a project directory pointing at both, and the
// expectations derived from the seed manifest that the emulator's content
// is checked against. The tests drive the real command line: run() in
// process, or the test binary re-executed as migrate (see TestMain) when a
// test must kill it or measure its memory.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graph"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// The emulated tenant's app. The secret reaches migrate through a file:
// reference, never on the command line.
const (
	e2eClientID = "e2e-client"
	e2eSecret   = "e2e-s3cr3t-never-logged"
)

// startDovecot starts Dovecot seeded with the corpus and extras, or skips
// the test where Dovecot is not installed (fails under CI=true).
func startDovecot(t *testing.T, extras ...testserver.ExtraMessage) *testserver.Dovecot {
	t.Helper()
	return testserver.DovecotForTest(t, &testserver.DovecotOptions{ExtraMessages: extras})
}

// startEmulator starts an emulator with one mailbox per Dovecot user.
func startEmulator(t *testing.T, d *testserver.Dovecot, opts graphemu.Options) *graphemu.Endpoint {
	t.Helper()
	opts.ClientID, opts.ClientSecret = e2eClientID, e2eSecret
	opts.Users = nil
	for _, u := range d.Users {
		opts.Users = append(opts.Users, u.Name)
	}
	return graphemu.StartForTest(t, &opts)
}

// project is a migrate project directory: migration.yaml, mailboxes.csv
// and the secret files they reference.
type project struct {
	dir, config string
}

// e2eTarget is the target: block of a test project's migration.yaml for
// the emulator ep, the client secret read from secretFile (relative to
// the project).
func e2eTarget(ep *graphemu.Endpoint, secretFile string) string {
	return fmt.Sprintf(`target:
  tenant: %s
  graph_endpoint: %s
  authority: %s
  client_id: %s
  client_secret: file:%s
  ca_file: %s
`, ep.Tenant, ep.GraphURL, ep.AuthorityHost, e2eClientID, secretFile, ep.CAFile)
}

// writeProject writes a project migrating every Dovecot user over IMAPS
// into the emulator. The first user's password comes from the environment
// (env:), the others' and the client secret from files (file:).
func writeProject(t *testing.T, d *testserver.Dovecot, ep *graphemu.Endpoint) *project {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`client: E2E test
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 1m
%sconcurrency:
  mailboxes: 4
  per_mailbox: 4
`, d.Host, d.IMAPSPort, d.CAFile, e2eTarget(ep, "secrets/client-secret.txt"))
	files := map[string]string{
		"migration.yaml":            yaml,
		"secrets/client-secret.txt": e2eSecret + "\n",
	}
	csv := "EmailAddress,UserName,Password\n"
	for i, u := range d.Users {
		if i == 0 {
			env := "MIGRATE_E2E_PW_" + strconv.Itoa(i)
			t.Setenv(env, u.Password)
			csv += fmt.Sprintf("%s,%s,env:%s\n", u.Name, u.Name, env)
			continue
		}
		name := fmt.Sprintf("secrets/pw-%d.txt", i)
		files[name] = u.Password + "\n"
		csv += fmt.Sprintf("%s,%s,file:%s\n", u.Name, u.Name, name)
	}
	files["mailboxes.csv"] = csv
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &project{dir: dir, config: filepath.Join(dir, "migration.yaml")}
}

// statePath is where migrate keeps the project's state by default.
func (p *project) statePath() string { return filepath.Join(p.dir, ".migrate", "state.db") }

// args is the command line of `migrate run` for the project.
func (p *project) args(extra ...string) []string {
	return append([]string{"run", "--config", p.config, "--progress", "none"}, extra...)
}

// run runs `migrate run` in process.
func (p *project) run(t *testing.T, extra ...string) (code int, stdout, stderr string) {
	t.Helper()
	defer hangGuard(t, "migrate run")()
	var out, errb bytes.Buffer
	code = run(context.Background(), p.args(extra...), &out, &errb)
	return code, out.String(), errb.String()
}

// runLimit bounds one in-process command of a test: every one ends in
// seconds.
const runLimit = 4 * time.Minute

// hangGuard ends the test binary when what, run in process by t, has not
// returned within runLimit: it prints every goroutine's stack and then, as
// the last line (what CI shows of a long output is its end), the test and
// the command that hung. Call the returned func when what returns.
func hangGuard(t *testing.T, what string) (stop func()) {
	name := t.Name()
	timer := time.AfterFunc(runLimit, func() {
		buf := make([]byte, 8<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "%s\nHUNG: %s: %s did not return within %v (goroutines above)\n", buf, name, what, runLimit)
		os.Exit(3)
	})
	return func() { timer.Stop() }
}

// setGraphTimeScale sets the Graph client's time scale for in-process runs
// of this test.
func setGraphTimeScale(t *testing.T, scale float64) {
	t.Helper()
	t.Setenv(timeScaleEnv, strconv.FormatFloat(scale, 'g', -1, 64))
}

// childWaitLimit bounds the wait for a child process to end: every run
// the tests start ends in seconds.
const childWaitLimit = 3 * time.Minute

// child is `migrate` running as a child process (the test binary
// re-executed; see TestMain).
type child struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{} // closed when the process has ended
	err  error         // of cmd.Wait
}

// lockedBuffer collects a child's output while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts `migrate <args>` as a child process whose Graph client
// uses the given time scale, with extra environment variables (NAME=value).
func startChild(t *testing.T, timeScale float64, args []string, env ...string) *child {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw), childTimeScaleEnv+"="+strconv.FormatFloat(timeScale, 'g', -1, 64))
	cmd.Env = append(cmd.Env, env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the migrate child process: %v", err)
	}
	c := &child{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// wait waits for the child to end and returns its exit code (-1 when a
// signal ended it).
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(childWaitLimit):
		// A hung child: its goroutines (SIGQUIT makes a Go program print
		// them) say where, instead of the package's timeout saying only
		// that the parent waited.
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		t.Fatalf("the migrate child process (%v) did not end within %v; its output and goroutines:\n%s", c.cmd.Args, childWaitLimit, c.out.String())
	}
	if _, ok := c.err.(*exec.ExitError); c.err != nil && !ok {
		t.Fatalf("waiting for the migrate child process: %v", c.err)
	}
	return c.cmd.ProcessState.ExitCode()
}

// kill kills the child with SIGKILL (kill -9) and waits for it. It
// reports whether the child was still running.
func (c *child) kill(t *testing.T) bool {
	t.Helper()
	select {
	case <-c.done:
		return false
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		<-c.done
		return false
	}
	<-c.done
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// expected is one seeded source message and what the target must hold
// for it.
type expected struct {
	user   string // mailbox (login and target address)
	folder string // source folder, "/"-separated
	uid    uint32 // IMAP UID: messages are appended in manifest order into fresh folders
	msg    *testserver.ManifestMessage
	path   string // target folder path as the emulator dumps it
	role   string // the folder's special use
}

// name identifies the message in failures.
func (e *expected) name() string {
	return fmt.Sprintf("%s %s #%d (%s)", e.user, e.folder, e.uid, e.msg.Name())
}

func (e *expected) hasFlag(f string) bool { return slices.Contains(e.msg.Flags, f) }

// deleted reports whether the message is flagged \Deleted, which the
// default filters.deleted_items: skip leaves out.
func (e *expected) deleted() bool { return e.hasFlag(`\Deleted`) }

// draft reports whether the message must arrive as a draft: \Draft, or
// anywhere in the source Drafts folder itself (README, "What is kept").
func (e *expected) draft() bool { return e.hasFlag(`\Draft`) || e.role == `\Drafts` }

// malformed reports whether the manifest says the message is malformed.
func (e *expected) malformed() bool { return strings.Contains(e.msg.Note, "malformed") }

// roleFolders are the well-known folders the special uses map to (README,
// "What is kept, what changes"), by their display names in the emulator.
var roleFolders = map[string]string{
	`\Sent`:    "Sent Items",
	`\Drafts`:  "Drafts",
	`\Trash`:   "Deleted Items",
	`\Junk`:    "Junk Email",
	`\Archive`: "Archive",
}

// pathExceptions are the folders of the corpus whose target name the
// README's mapping table changes: siblings equal but for case (the first
// by name bytes keeps its name, "Work" < "work") and top-level names of
// Exchange's default folders.
var pathExceptions = map[string]string{
	"alice@example.test\x00work":     "work (2)",
	"carol@example.test\x00Calendar": "Calendar (imported)",
}

// targetPath is where a source folder lands, per README's mapping table.
func targetPath(user string, f *testserver.ManifestFolder) string {
	if p, ok := pathExceptions[user+"\x00"+f.Name]; ok {
		return p
	}
	segs := strings.Split(f.Name, "/")
	switch {
	case strings.EqualFold(segs[0], "INBOX"):
		segs[0] = "Inbox"
	case f.SpecialUse != "" && len(segs) == 1:
		segs[0] = roleFolders[f.SpecialUse]
	}
	return strings.Join(segs, "/")
}

// expectations lists every message Dovecot was seeded with: the manifest's
// and the extras, with their UIDs and target folders.
func expectations(t *testing.T, d *testserver.Dovecot, extras []testserver.ExtraMessage) []*expected {
	t.Helper()
	var out []*expected
	for ui := range d.Manifest.Users {
		u := &d.Manifest.Users[ui]
		next := map[string]uint32{}
		folders := map[string]*testserver.ManifestFolder{}
		for fi := range u.Folders {
			f := &u.Folders[fi]
			folders[f.Name] = f
			for mi := range f.Messages {
				next[f.Name]++
				out = append(out, &expected{user: u.Name, folder: f.Name, uid: next[f.Name], msg: &f.Messages[mi],
					path: targetPath(u.Name, f), role: f.SpecialUse})
			}
		}
		for xi := range extras {
			x := &extras[xi]
			if x.User != u.Name {
				continue
			}
			f := folders[x.Folder]
			if f == nil {
				f = &testserver.ManifestFolder{Name: x.Folder}
				folders[x.Folder] = f
			}
			next[x.Folder]++
			out = append(out, &expected{user: u.Name, folder: x.Folder, uid: next[x.Folder], msg: &x.Message,
				path: targetPath(u.Name, f), role: f.SpecialUse})
		}
	}
	if len(out) == 0 {
		t.Fatal("the seed manifest has no messages")
	}
	return out
}

// found is one item of the emulator stamped with a source key.
type found struct {
	path string // folder path
	key  string // the stamp: UIDVALIDITY.UID
	uid  uint32
	item graphemu.DumpItem
}

// targetContent is what the emulator holds for one mailbox, by stamp.
type targetContent struct {
	dump      *graphemu.DumpMailbox
	byKey     map[string][]found // by folder path + "\x00" + UID
	pending   []found            // items stamped "pending:" (incomplete)
	unstamped []string           // items without a stamp
	messages  int
}

func uidOf(key string) (uint32, bool) {
	_, u, ok := strings.Cut(key, ".")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(u, 10, 32)
	return uint32(n), err == nil
}

func locKey(path string, uid uint32) string {
	return path + "\x00" + strconv.FormatUint(uint64(uid), 10)
}

// stampOf returns the item's source-key stamp.
func stampOf(it graphemu.DumpItem) (string, bool) {
	for _, p := range it.Ext {
		if strings.EqualFold(p.ID, graph.StampPropertyID) {
			key, _ := graph.ParseStamp(p.Value)
			return key, true
		}
	}
	return "", false
}

// extValue returns a single-value extended property of an item.
func extValue(it graphemu.DumpItem, id string) (string, bool) {
	for _, p := range it.Ext {
		if strings.EqualFold(p.ID, id) {
			return p.Value, true
		}
	}
	return "", false
}

// inspect reads one mailbox of the emulator.
func inspect(t *testing.T, emu *graphemu.Emulator, user string) *targetContent {
	t.Helper()
	dump := emu.DumpMailbox(nil, user)
	if dump == nil {
		t.Fatalf("the emulator has no mailbox %s", user)
	}
	tc := &targetContent{dump: dump, byKey: map[string][]found{}}
	for _, f := range dump.Folders {
		if f.Kind != "mail" {
			continue
		}
		for _, it := range f.Items {
			if it.Kind != "message" {
				continue
			}
			tc.messages++
			key, ok := stampOf(it)
			if !ok {
				tc.unstamped = append(tc.unstamped, f.Path+": "+it.ID)
				continue
			}
			fd := found{path: f.Path, key: key, item: it}
			if strings.HasPrefix(key, "pending:") {
				tc.pending = append(tc.pending, fd)
				continue
			}
			uid, ok := uidOf(key)
			if !ok {
				t.Errorf("%s: item %s in %s has the stamp %q, not UIDVALIDITY.UID", user, it.ID, f.Path, key)
				continue
			}
			fd.uid = uid
			tc.byKey[locKey(f.Path, uid)] = append(tc.byKey[locKey(f.Path, uid)], fd)
		}
	}
	return tc
}

// checkExactlyOnce checks that every expected message that is not skipped
// is in the emulator exactly once, in its folder, and that nothing else
// is: no duplicate, no incomplete ("pending:") item, no unstamped item,
// nothing in a folder it does not belong to. failedOK lists messages that
// may be missing because the run reported them failed with a reason.
// It returns the found item of each expected message.
func checkExactlyOnce(t *testing.T, emu *graphemu.Emulator, exp []*expected, failedOK map[*expected]bool) map[*expected]graphemu.DumpItem {
	t.Helper()
	got := map[*expected]graphemu.DumpItem{}
	users := map[string][]*expected{}
	var order []string
	for _, e := range exp {
		if _, ok := users[e.user]; !ok {
			order = append(order, e.user)
		}
		users[e.user] = append(users[e.user], e)
	}
	for _, user := range order {
		tc := inspect(t, emu, user)
		want := 0
		matched := map[string]bool{}
		for _, e := range users[user] {
			k := locKey(e.path, e.uid)
			items := tc.byKey[k]
			matched[k] = true
			switch {
			case e.deleted():
				if len(items) != 0 {
					t.Errorf("%s: flagged \\Deleted but migrated (%d items in %s)", e.name(), len(items), e.path)
				}
			case len(items) == 1:
				want++
				got[e] = items[0].item
			case len(items) == 0 && failedOK[e]:
			case len(items) == 0:
				t.Errorf("%s: lost: no item stamped with UID %d in %q", e.name(), e.uid, e.path)
			default:
				want++
				got[e] = items[0].item
				t.Errorf("%s: duplicated: %d items stamped with UID %d in %q", e.name(), len(items), e.uid, e.path)
			}
		}
		for k, items := range tc.byKey {
			if !matched[k] {
				path, uid, _ := strings.Cut(k, "\x00")
				t.Errorf("%s: %d unexpected item(s) stamped with UID %s in %q (a message in the wrong folder?)", user, len(items), uid, path)
			}
		}
		for _, p := range tc.pending {
			t.Errorf("%s: an incomplete item stamped %q is left in %q", user, p.key, p.path)
		}
		for _, u := range tc.unstamped {
			t.Errorf("%s: an item without a source-key stamp: %s", user, u)
		}
		if tc.messages != want && !t.Failed() {
			t.Errorf("%s: the emulator holds %d messages, want %d", user, tc.messages, want)
		}
	}
	return got
}

// parsedSource is what the test reads from a seeded message itself,
// independently of migrate's parser.
type parsedSource struct {
	header      mail.Header
	attachments []string // SHA-256 (hex) of each attachment's decoded bytes
}

// parseSource reads the message's header and, for a well-formed message,
// the decoded content of every attachment: every leaf part with a file
// name or Content-Disposition: attachment, every text/calendar part (which
// migrate always attaches as invite.ics) and every part that is not text.
func parseSource(t *testing.T, e *expected) *parsedSource {
	t.Helper()
	if g := e.msg.Generate; g != nil {
		r, err := e.msg.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m, err := mail.ReadMessage(r)
		if err != nil {
			t.Fatalf("%s: %v", e.name(), err)
		}
		sum := g.AttachmentSHA256()
		return &parsedSource{header: m.Header, attachments: []string{hex.EncodeToString(sum[:])}}
	}
	raw, err := e.msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: reading its header: %v", e.name(), err)
	}
	ps := &parsedSource{header: m.Header}
	if e.malformed() {
		return ps
	}
	if err := walkParts(m.Header, m.Body, func(h map[string][]string, content []byte) {
		ps.attachments = append(ps.attachments, sha256Hex(content))
	}); err != nil {
		t.Fatalf("%s: %v", e.name(), err)
	}
	return ps
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// walkParts calls attach for every attachment of a MIME entity with the
// given header and body, decoded from its transfer encoding.
func walkParts(h map[string][]string, body io.Reader, attach func(map[string][]string, []byte)) error {
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ct, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", nil
	}
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkParts(p.Header, p, attach); err != nil {
				return err
			}
		}
	}
	disp, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	isAttachment := disp == "attachment" || dparams["filename"] != "" || params["name"] != "" ||
		ct == "text/calendar" || !strings.HasPrefix(ct, "text/")
	if !isAttachment {
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	content, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	attach(h, content)
	return nil
}

// stripSpace drops CR, LF, spaces and tabs, as base64 in mail has line
// breaks.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// openState opens the project's state read-only.
func openState(t *testing.T, path string) state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), path, &state.Options{Mode: state.ReadOnly})
	if err != nil {
		t.Fatalf("state.Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stateItems returns every live item of the state by mailbox, folder and
// key.
func stateItems(t *testing.T, path string) map[string]state.Item {
	t.Helper()
	st := openState(t, path)
	out := map[string]state.Item{}
	for it, err := range st.Items(context.Background(), state.ItemQuery{}) {
		if err != nil {
			t.Fatalf("state Items() = %v", err)
		}
		out[it.Mailbox+"\x00"+it.Folder+"\x00"+it.SourceKey] = it
	}
	if err := st.Close(); err != nil {
		t.Fatalf("state Close() = %v", err)
	}
	return out
}

// stateItemFor finds the state record of an expected message.
func stateItemFor(items map[string]state.Item, e *expected) (state.Item, bool) {
	prefix := strings.ToLower(e.user) + "\x00" + e.folder + "\x00"
	for k, it := range items {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if uid, ok := uidOf(it.SourceKey); ok && uid == e.uid {
			return it, true
		}
	}
	return state.Item{}, false
}

// parseGraphTime parses a time of the emulator's dump.
func parseGraphTime(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

// requestLog reads the emulator's request log (GET /_emulator/requests).
func requestLog(t *testing.T, ep *graphemu.Endpoint) []graphemu.LoggedRequest {
	t.Helper()
	resp, err := ep.HTTPClient().Get(ep.BaseURL + "/_emulator/requests")
	if err != nil {
		t.Fatalf("GET /_emulator/requests: %v", err)
	}
	defer resp.Body.Close()
	var log struct {
		Total int64                    `json:"total"`
		Value []graphemu.LoggedRequest `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		t.Fatalf("GET /_emulator/requests: %v", err)
	}
	if int64(len(log.Value)) != log.Total {
		t.Fatalf("the emulator's request log kept %d of %d requests; the check needs them all", len(log.Value), log.Total)
	}
	return log.Value
}

// noErrorLogs fails t for every error logged by a run that should have
// had none.
func noErrorLogs(t *testing.T, stderr string) {
	t.Helper()
	for line := range strings.Lines(stderr) {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("the run logged an error: %s", strings.TrimSpace(line))
		}
	}
}

// writeLocalProject writes a project into a new temporary directory:
// migration.yaml naming client and the emulator ep as the target,
// client-secret.txt, and mailboxes.csv of rows ("address,protocol,path"
// lines after the header EmailAddress,SourceProtocol,SourcePath). It
// returns the directory and the configuration's path.
func writeLocalProject(t *testing.T, ep *graphemu.Endpoint, client, rows string) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range map[string]string{
		"migration.yaml":    "client: " + client + "\n" + e2eTarget(ep, "client-secret.txt"),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     "EmailAddress,SourceProtocol,SourcePath\n" + rows,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(dir, "migration.yaml")
}

// planProject runs migrate plan --out dir/plan.json and reads the plan;
// either failing ends t.
func planProject(t *testing.T, dir, cfg string) *plan.Plan {
	t.Helper()
	planFile := filepath.Join(dir, "plan.json")
	if code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile); code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// rerunNames are the runs of rerunProject, in order.
var rerunNames = []string{"first run", "second run", "run with the state deleted"}

// rerunProject runs migrate run three times (rerunNames): a first run that
// creates total items, a second run and a run with the state deleted
// that create none. Each must exit OK (else t ends), log no error and
// count total items in all, none failed; check(i) is called after run i.
func rerunProject(t *testing.T, dir, cfg string, total int, check func(run int)) {
	t.Helper()
	for i, name := range rerunNames {
		created := 0
		if i == 0 {
			created = total
		}
		if i == 2 {
			removeState(t, dir)
		}
		code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", name, code, stdout, stderr)
		}
		noErrorLogs(t, stderr)
		if s := parseSummary(t, stdout); s.migrated != created || s.failed != 0 || s.migrated+s.done != total {
			t.Errorf("%s: %+v; want %d created and %d in all", name, s, created, total)
		}
		check(i)
	}
}

// verifyProject runs migrate verify --out dir/verify.json, which must
// exit OK.
func verifyProject(t *testing.T, dir, cfg string) {
	t.Helper()
	if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json")); code != exitOK {
		t.Errorf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
