package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/config"
)

// runCLI runs the command line in-process and returns exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	defer hangGuard(t, "migrate "+strings.Join(args, " "))()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBadConfigExitCodes(t *testing.T) {
	csv := "EmailAddress,UserName,Password\nalice@contoso.com,alice,pw-alice\n"
	tests := []struct {
		name, yaml, csv string
		want            string
	}{
		{"unknown key", "source:\n  host: x\n  colour: red\n", csv, `migration.yaml:3:3: unknown key "source.colour"`},
		{"missing CSV column", "source:\n  host: x\n", "EmailAddress,Password\na@b.c,pw\n", "mailboxes.csv:1: missing column UserName"},
		{"unreadable secret file", "source:\n  host: x\n  admin_password: file:nope/secret.txt\n", csv, "migration.yaml:3:19: source.admin_password: cannot read secret file"},
		{"bad port", "source:\n  host: x\n  port: 0\n", "EmailAddress,UserName,Password,SourcePort\na@b.c,a,pw,123456\n", `mailboxes.csv:2:12: SourcePort: "123456" is not a port`},
		{"unknown protocol", "source:\n  host: x\n  protocol: exchange\n", csv, `migration.yaml:3:13: source.protocol: "exchange" is not a protocol`},
		{"no project file", "", "", "no such file; run `migrate init`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.yaml != "" {
				files["migration.yaml"] = tt.yaml
				files["mailboxes.csv"] = tt.csv
			}
			dir := writeFiles(t, files)
			code, _, stderr := runCLI(t, "doctor", "--config", filepath.Join(dir, "migration.yaml"))
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"run", "--bogus"},
		{"--log-format", "xml", "version"},
		{"--log-level", "loud", "version"},
		{"plan", "extra-arg"},
	}
	for _, args := range tests {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("migrate %v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.Example == "" || c.Short == "" {
			t.Errorf("migrate %s: help lacks a Short or an Example", c.Name())
		}
	}
}

func TestInitWritesLoadableProject(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "init", "--dir", dir); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "init", "--dir", dir); code != exitUsage {
		t.Errorf("second init: exit %d, want %d (refuse to overwrite)", code, exitUsage)
	}
	st, err := os.Stat(filepath.Join(dir, "mailboxes.csv"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mailboxes.csv mode = %v, %v; want 0600", st.Mode(), err)
	}
}

// TestNoSecretInLogs runs doctor at debug level, in text and JSON, against
// servers that refuse the connection, and checks no secret appears anywhere
// in its output.
func TestNoSecretInLogs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // a closed port: the connection check fails and is logged
	secrets := map[string]string{
		"admin":  "Adm1n-Pa55word!",
		"client": "cl13nt~s3cr3t.value",
		"token":  "eyJ0eXAiOiJKV1QiLCJhbGciOi.tokenvalue",
		"alice":  "alice-pa55-w0rd",
		"bob":    "b0b-from-env-pw",
	}
	dir := writeFiles(t, map[string]string{
		"migration.yaml": "source:\n  host: 127.0.0.1\n  port: " + strconv.Itoa(port) + "\n  admin_user: admin\n  admin_password: " + secrets["admin"] +
			"\ntarget:\n  graph_endpoint: http://127.0.0.1:" + strconv.Itoa(port) + "/v1.0\n  client_secret: file:client.txt\n  token: " + secrets["token"] + "\n",
		"client.txt":    secrets["client"] + "\n",
		"mailboxes.csv": "EmailAddress,UserName,Password\nalice@contoso.com,alice," + secrets["alice"] + "\nbob@contoso.com,bob,env:BOB_PW\n",
	})
	t.Setenv("BOB_PW", secrets["bob"])
	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := runCLI(t, "doctor", "--config", filepath.Join(dir, "migration.yaml"), "--log-level", "debug", "--log-format", format, "--timeout", "2s")
		if code != exitConnect {
			t.Errorf("doctor exit = %d, want %d\n%s%s", code, exitConnect, stdout, stderr)
		}
		if !strings.Contains(stderr, "doctor check failed") {
			t.Errorf("debug log missing; stderr: %s", stderr)
		}
		for name, s := range secrets {
			if strings.Contains(stdout+stderr, s) {
				t.Errorf("%s output holds the %s secret:\n%s%s", format, name, stdout, stderr)
			}
		}
	}
}

// TestREADMEDocumentsEveryKey keeps README.md in step with the settings and
// the CSV columns.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, k := range config.Keys() {
		if !strings.Contains(readme, "`"+k.Name+"`") || !strings.Contains(readme, "`"+config.EnvName(k.Name)+"`") {
			t.Errorf("README.md does not document key %s (%s)", k.Name, config.EnvName(k.Name))
		}
	}
	for _, c := range config.Columns() {
		if !strings.Contains(readme, "`"+c+"`") {
			t.Errorf("README.md does not document CSV column %s", c)
		}
	}
}
