package testserver

import "testing"

func TestMemPOP3Stuff(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\r\n.b\r\n.\r\n", "a\r\n..b\r\n..\r\n"},
		{".x\nmid.dot\n", "..x\nmid.dot\n"},
		{"", ""},
	} {
		if got := string(stuff([]byte(tc.in))); got != tc.want {
			t.Errorf("stuff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMemPOP3TopLines(t *testing.T) {
	msg := "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n"
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{msg, 0, "A: 1\r\nB: 2\r\n\r\n"},
		{msg, 1, "A: 1\r\nB: 2\r\n\r\nl1\r\n"},
		{msg, 9, msg},
		{"A: 1\n\nbody\n", 0, "A: 1\n\n"},
		{"A: no body", 0, "A: no body"},
	} {
		if got := string(topLines([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("topLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
