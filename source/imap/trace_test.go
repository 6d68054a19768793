package imap

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestTracerRedaction(t *testing.T) {
	const pw = `p"a\ss-w0rd`
	ir := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + pw))
	tests := []struct {
		name   string
		client []string // client writes, in order, interleaved with server
		server []string // server writes after each client write (same index)
		want   []string // lines the trace must contain
	}{
		{
			name:   "LOGIN quoted",
			client: []string{"T1 LOGIN \"alice\" \"p\\\"a\\\\ss-w0rd\"\r\n"},
			server: []string{"T1 OK logged in\r\n"},
			want:   []string{"C: T1 LOGIN [redacted]", "S: T1 OK logged in"},
		},
		{
			name:   "LOGIN with the password as a literal",
			client: []string{"T1 LOGIN alice {11}\r\n", pw + "\r\n", "T2 NOOP\r\n"},
			server: []string{"+ go ahead\r\n", "T1 OK logged in\r\n", "T2 OK\r\n"},
			want:   []string{"C: T1 LOGIN [redacted]", "C: [redacted]", "C: T2 NOOP"},
		},
		{
			name:   "AUTHENTICATE with initial response",
			client: []string{"T2 AUTHENTICATE PLAIN " + ir + "\r\n"},
			server: []string{"T2 OK\r\n"},
			want:   []string{"C: T2 AUTHENTICATE PLAIN [redacted]"},
		},
		{
			name:   "AUTHENTICATE with a continuation",
			client: []string{"T2 AUTHENTICATE PLAIN\r\n", ir + "\r\n", "T3 LIST \"\" \"*\"\r\n"},
			server: []string{"+ \r\n", "T2 OK\r\n", "T3 OK\r\n"},
			want:   []string{"C: T2 AUTHENTICATE PLAIN", "C: [redacted]", `C: T3 LIST "" "*"`},
		},
		{
			name: "secret split across writes",
			client: []string{
				"T2 AUTHENTICATE PLAIN " + ir[:5], ir[5:12], ir[12:] + "\r", "\n",
			},
			server: []string{"", "", "", "T2 OK\r\n"},
			want:   []string{"C: T2 AUTHENTICATE PLAIN [redacted]"},
		},
		{
			name:   "password anywhere else",
			client: []string{"T9 SEARCH TEXT \"" + pw + "\"\r\n"},
			server: []string{"T9 OK\r\n"},
			want:   []string{"C: T9 SEARCH TEXT \"[redacted]\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			tr := newTracer(&out, secretForms(pw)...)
			tr.secrets = append(tr.secrets, []byte(ir))
			for i, c := range tt.client {
				tr.client([]byte(c))
				if i < len(tt.server) {
					tr.server([]byte(tt.server[i]))
				}
			}
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("trace lacks line %q:\n%s", w, got)
				}
			}
			for _, secret := range append(secretForms(pw), ir, "w0rd") {
				if strings.Contains(got, secret) {
					t.Errorf("trace reveals %q:\n%s", secret, got)
				}
			}
		})
	}
}

func TestTracerLongServerLines(t *testing.T) {
	var out strings.Builder
	tr := newTracer(&out)
	long := strings.Repeat("x", 3*traceMaxLine)
	for i := 0; i < len(long); i += 1000 {
		tr.server([]byte(long[i:min(i+1000, len(long))]))
	}
	tr.server([]byte("\r\n* OK done\r\n"))
	got := out.String()
	if n := strings.Count(got, "x"); n != len(long) {
		t.Errorf("trace holds %d of %d bytes", n, len(long))
	}
	if !strings.Contains(got, "[line continues]") || !strings.HasSuffix(got, "S: * OK done\n") {
		t.Errorf("unexpected trace ending: %q", got[len(got)-100:])
	}
	if len(tr.s) > traceMaxLine {
		t.Errorf("tracer buffers %d bytes, want at most %d", len(tr.s), traceMaxLine)
	}
}

func TestTracerIgnoresShortSecrets(t *testing.T) {
	var out strings.Builder
	tr := newTracer(&out, "ab", "")
	tr.client([]byte("T1 NOOP ab\r\n"))
	if got := out.String(); got != "C: T1 NOOP ab\n" {
		t.Errorf("trace = %q", got)
	}
}

func TestTracerNil(t *testing.T) {
	var tr *tracer
	tr.client([]byte("x"))
	tr.server([]byte("x"))
	tr.note("x")
}
