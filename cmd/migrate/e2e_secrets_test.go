package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestE2ESecretsNeverLeak runs migrate at debug level, in text and JSON,
// with known secret values in every place a secret can come from (a
// literal password in the CSV, an env: and a file: reference, a DAV
// password, the client secret, a pre-issued token) and failures forced
// on each path: a wrong IMAP password on one row, a wrong DAV password,
// 500s from the emulator on a share of the creations, an .ics that
// makes the iCalendar decoder panic (recovered, the event reported), a
// token the emulator refuses, and a goroutine dump (SIGQUIT) of a running
// migrate. It then looks for every secret in everything migrate wrote or
// said: stdout and stderr of run, plan, verify, report (html, md, json,
// pdf) and status, every file of the project directory but the ones the
// secrets were given in (the state database with its WAL, the plan, the
// verification, the reports), the emulator's request log, and the dump.
// It also checks that the state database and the plan are 0600.
func TestE2ESecretsNeverLeak(t *testing.T) {
	secrets := map[string]string{
		"alice's IMAP password (CSV literal)": "Al1ce-L1teral-pw!",
		"bob's IMAP password (env:)":          "B0b-Env-pw-chaos",
		"carol's wrong IMAP password (file:)": "C4rol-Wr0ng-pw-file",
		"alice's wrong DAV password (file:)":  "D4v-Wr0ng-pw-file",
		"the client secret (file:)":           "Cl1ent-S3cret-chaos",
		"the refused token (env:)":            "eyJhbGciOi.chaos-t0ken-refused",
	}
	const carolRight = "C4rol-R1ght-pw"
	srv := testserver.MemIMAPForTest(t, &testserver.MemIMAPOptions{Accounts: []testserver.User{
		{Name: "alice@example.test", Password: secrets["alice's IMAP password (CSV literal)"]},
		{Name: "bob@example.test", Password: secrets["bob's IMAP password (env:)"]},
		{Name: "carol@example.test", Password: carolRight},
	}})
	for _, u := range []string{"alice@example.test", "bob@example.test", "carol@example.test"} {
		for i := range 12 {
			msg := fmt.Sprintf("From: x@example.test\r\nSubject: secret test %d\r\nDate: Tue, 4 Jun 2024 10:00:00 +0000\r\nMessage-ID: <s%d.%s>\r\n\r\nbody %d %s\r\n", i, i, u, i, strings.Repeat("x", 100*i))
			if _, err := srv.Append(u, "INBOX", []byte(msg), time.Date(2024, 6, 4, 10, i, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := testserver.RadicaleForTest(t, nil)
	ep := graphemu.StartForTest(t, &graphemu.Options{
		ClientID: e2eClientID, ClientSecret: secrets["the client secret (file:)"],
		Users:  []string{"alice@example.test", "bob@example.test", "carol@example.test"},
		Faults: "POST */messages 500:30%", Seed: 15,
	})
	t.Setenv("MIGRATE_E2E_BOB_PW", secrets["bob's IMAP password (env:)"])
	t.Setenv("MIGRATE_E2E_TOKEN", secrets["the refused token (env:)"])
	target := e2eTarget(ep, "secrets/client-secret.txt")
	source := fmt.Sprintf("source:\n  host: %s\n  port: %d\n  security: starttls\n  ca_file: %s\n  allow_plaintext: true\n  timeout: 20s\n", srv.Host, srv.Port, srv.CAFile)
	given := map[string]string{ // the files the secrets are given in
		"migration.yaml":            "client: E2E secrets\n" + source + target,
		"token.yaml":                "client: E2E secrets (token)\n" + source + strings.Replace(target, "client_secret: file:secrets/client-secret.txt", "auth: token\n  token: env:MIGRATE_E2E_TOKEN", 1),
		"secrets/client-secret.txt": secrets["the client secret (file:)"] + "\n",
		"secrets/carol.txt":         secrets["carol's wrong IMAP password (file:)"] + "\n",
		"secrets/dav.txt":           secrets["alice's wrong DAV password (file:)"] + "\n",
		"exports/broken.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:panics\r\nDTSTART:20240101T100000Z\r\nX-BROKEN;P=\r\nEND:VEVENT\r\n" +
			"BEGIN:VEVENT\r\nUID:fine\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:fine\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		"mailboxes.csv": "EmailAddress,UserName,Password,DAVURL,DAVUserName,DAVPassword,ExportFiles\n" +
			"alice@example.test,alice@example.test," + secrets["alice's IMAP password (CSV literal)"] + "," + r.URL + "/,alice@example.test,file:secrets/dav.txt,\n" +
			"bob@example.test,bob@example.test,env:MIGRATE_E2E_BOB_PW,,,,exports\n" +
			"carol@example.test,carol@example.test,file:secrets/carol.txt,,,,\n",
	}
	dir := writeFiles(t, given)
	cfg := filepath.Join(dir, "migration.yaml")

	var said strings.Builder // everything migrate printed
	cli := func(want []int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		fmt.Fprintf(&said, "$ migrate %s\n%s%s", strings.Join(args, " "), stdout, stderr)
		ok := false
		for _, w := range want {
			ok = ok || code == w
		}
		if !ok {
			t.Errorf("migrate %s: exit %d, want one of %v\n%s\n%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	debug := []string{"--config", cfg, "--log-level", "debug"}
	out := cli([]int{exitItemsFailed, exitConnect}, append([]string{"run", "--progress", "none"}, debug...)...)
	for _, want := range []string{
		"mailbox carol@example.test: imap: mailbox \"carol@example.test\"", // the wrong password
		"the DAV server refused the credentials",                           // the wrong DAV password
		"An unspecified error has occurred",                                // a 500 from the emulator
		"iCalendar decoder failed on a malformed line: runtime error",      // the recovered panic
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the run's output does not say %q; a failure was not forced:\n%s", want, out)
		}
	}
	cli([]int{exitOK, exitItemsFailed, exitConnect}, append([]string{"run", "--progress", "none", "--log-format", "json"}, debug...)...)
	cli([]int{exitOK, exitItemsFailed, exitConnect}, append([]string{"plan", "--out", filepath.Join(dir, "plan.json")}, debug...)...)
	cli([]int{exitOK, exitItemsFailed, exitConnect}, append([]string{"verify", "--out", filepath.Join(dir, "verify.json")}, debug...)...)
	for _, f := range []string{"html", "md", "json", "pdf"} {
		cli([]int{exitOK}, append([]string{"report", "--format", f, "--plan", filepath.Join(dir, "plan.json"), "--verify", filepath.Join(dir, "verify.json"), "--out", filepath.Join(dir, "report."+f)}, debug...)...)
	}
	cli([]int{exitOK}, "status", "--config", cfg, "--log-level", "debug")
	out = cli([]int{exitItemsFailed, exitConnect}, "run", "--progress", "none", "--config", filepath.Join(dir, "token.yaml"), "--log-level", "debug")
	if !strings.Contains(out, "401") && !strings.Contains(strings.ToLower(out), "token") {
		t.Errorf("the run with the refused token does not say so:\n%s", out)
	}

	// A goroutine dump of a running migrate (what a crash prints).
	// The run starts afresh, and each FETCH waits, so that it is busy
	// fetching when the signal comes.
	var reqlog []byte
	requestLogBytes := func() []byte {
		resp, err := ep.HTTPClient().Get(ep.BaseURL + "/_emulator/requests")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	if reqlog = requestLogBytes(); len(reqlog) < 1000 {
		t.Fatalf("the emulator's request log is %d bytes; the test proves nothing", len(reqlog))
	}
	removeState(t, dir)
	if err := ep.Emulator.Reset(); err != nil {
		t.Fatal(err)
	}
	fetching := make(chan struct{}, 1)
	srv.SetFetchHook(func() error {
		select {
		case fetching <- struct{}{}:
		default:
		}
		time.Sleep(200 * time.Millisecond)
		return nil
	})
	c := startChild(t, 1, append([]string{"run", "--progress", "none"}, debug...), "MIGRATE_E2E_BOB_PW="+secrets["bob's IMAP password (env:)"])
	select {
	case <-fetching:
	case <-time.After(time.Minute):
		t.Fatalf("the migrate child never fetched a message:\n%s", c.out.String())
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	c.wait(t)
	srv.SetFetchHook(nil)
	if !strings.Contains(c.out.String(), "goroutine ") {
		t.Errorf("no goroutine dump after SIGQUIT:\n%.2000s", c.out.String())
	}
	fmt.Fprintf(&said, "$ kill -QUIT migrate run\n%s", c.out.String())

	reqlog = append(reqlog, requestLogBytes()...)

	var err error
	places := map[string][]byte{"the output": []byte(said.String()), "the emulator's request log": reqlog}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if _, ok := given[filepath.ToSlash(rel)]; ok {
			return nil
		}
		b, err := os.ReadFile(path)
		places[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".migrate/state.db", "plan.json", "verify.json", "report.html", "report.md", "report.json", "report.pdf"} {
		if len(places[want]) == 0 {
			t.Errorf("%s was not written (or is empty); the test cannot look into it", want)
		}
	}
	for where, b := range places {
		for what, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds %s", where, what)
			}
		}
	}
	for _, name := range []string{".migrate/state.db", "plan.json"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", name, st.Mode().Perm(), err)
		}
	}
	t.Logf("looked in %d places for %d secrets", len(places), len(secrets))
}
