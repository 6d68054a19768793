package message

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/google/go-cmp/cmp"
)

// randText returns random text of up to n runes mixing ASCII, Latin, CJK,
// emoji and line breaks, with an occasional very long line.
func randText(rng *rand.Rand, n int) string {
	alphabets := []string{"abcdefghij KLMNOP 0123 .,;!?", "äöüßéèçñ€", "東京日本語", "😀🎉", "\n"}
	var b strings.Builder
	for range rng.IntN(n + 1) {
		a := []rune(alphabets[rng.IntN(len(alphabets))])
		b.WriteRune(a[rng.IntN(len(a))])
	}
	if rng.IntN(5) == 0 {
		b.WriteString(strings.Repeat("long line ", 2000))
	}
	return b.String()
}

// TestRoundTrip writes random messages with go-message's writer (an
// independent encoder: RFC 2047 subjects and names, RFC 2231 file names,
// quoted-printable text, base64 attachments) and checks that Parse gives
// back exactly what was written, without problems.
func TestRoundTrip(t *testing.T) {
	types := []string{"application/pdf", "image/png", "application/octet-stream", "text/csv", "application/zip"}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var h mail.Header
		subject := strings.TrimSpace(strings.ReplaceAll(randText(rng, 40), "\n", " "))
		if len(subject) > 500 {
			subject = subject[:100]
			subject = strings.ToValidUTF8(subject, "")
		}
		h.SetSubject(subject)
		from := []*mail.Address{{Name: "Jürgen 東京 O'Neill", Address: "j@example.test"}}
		to := []*mail.Address{{Name: "Zoë, \"quoted\"", Address: "z@example.test"}, {Address: "plain@example.test"}}
		h.SetAddressList("From", from)
		h.SetAddressList("To", to)
		date := time.Date(2020, 2, 29, 23, 59, 58, 0, time.FixedZone("", -8*3600))
		h.SetDate(date)
		h.SetMessageID(fmt.Sprintf("rt-%d@example.test", seed))

		var buf bytes.Buffer
		w, err := mail.CreateWriter(&buf, h)
		if err != nil {
			t.Fatal(err)
		}
		plain, html := randText(rng, 300), "<p>"+randText(rng, 300)+"</p>"
		iw, err := w.CreateInline()
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []struct{ ct, text string }{{"text/plain", plain}, {"text/html", html}} {
			var ph mail.InlineHeader
			ph.SetContentType(part.ct, map[string]string{"charset": "utf-8"})
			pw, err := iw.CreatePart(ph)
			if err != nil {
				t.Fatal(err)
			}
			pw.Write([]byte(part.text))
			pw.Close()
		}
		iw.Close()
		type att struct{ name, ct, content string }
		var atts []att
		for i := range rng.IntN(4) {
			content := make([]byte, rng.IntN(100_000))
			for j := range content {
				content[j] = byte(rng.Uint32())
			}
			name := strings.TrimSpace(strings.ReplaceAll(randText(rng, 10), "\n", ""))
			a := att{name: fmt.Sprintf("%d %s.bin", i, truncateBytes(name, 200)), ct: types[rng.IntN(len(types))], content: string(content)}
			atts = append(atts, a)
			var ah mail.AttachmentHeader
			ah.SetContentType(a.ct, nil)
			ah.SetFilename(a.name)
			aw, err := w.CreateAttachment(ah)
			if err != nil {
				t.Fatal(err)
			}
			aw.Write(content)
			aw.Close()
		}
		w.Close()

		m := parse(t, buf.String(), &Options{MemoryLimit: 64 << 10})
		nl := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		if m.Subject != strings.TrimSpace(subject) || !m.Date.Equal(date) || m.MessageID != fmt.Sprintf("<rt-%d@example.test>", seed) {
			t.Errorf("seed %d: Subject %q (want %q), Date %v, MessageID %q", seed, m.Subject, subject, m.Date, m.MessageID)
		}
		if diff := cmp.Diff([]Address{{"Zoë, \"quoted\"", "z@example.test"}, {"", "plain@example.test"}}, m.To); diff != "" || *m.From != (Address{"Jürgen 東京 O'Neill", "j@example.test"}) {
			t.Errorf("seed %d: From %+v, To (-want +got):\n%s", seed, m.From, diff)
		}
		if m.Body.ContentType != "html" || nl(m.Body.Content) != nl(html) {
			t.Errorf("seed %d: body differs: %.80q vs %.80q", seed, m.Body.Content, html)
		}
		if len(m.Attachments) != len(atts) {
			t.Fatalf("seed %d: %d attachments, want %d", seed, len(m.Attachments), len(atts))
		}
		for i, a := range atts {
			got := m.Attachments[i]
			if got.Name != a.name || got.ContentType != a.ct || content(t, got) != a.content {
				t.Errorf("seed %d: attachment %d = %q %q (%d bytes), want %q %q (%d bytes)", seed, i, got.Name, got.ContentType, got.Size, a.name, a.ct, len(a.content))
			}
		}
		if len(m.Problems) > 0 {
			t.Errorf("seed %d: Problems = %q", seed, m.Problems)
		}
	}
}
