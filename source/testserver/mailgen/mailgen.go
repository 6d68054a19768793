// Package mailgen writes deterministic, realistic business mailboxes as
// Maildirs (Dovecot's LAYOUT=fs: INBOX at the root, each folder a
// directory, names in modified UTF-7) for benchmarks and scale tests.
//
// The same [Options] always give the same bytes, file names and mtimes.
// Sizes follow a business mailbox (issue 14): most messages 5-100 KB of
// text, 10 % with 50-500 KB attachments, 1 % with 2-10 MB, and Huge
// messages of 25-100 MB; folders form a tree with non-ASCII names, senders
// and subjects carry RFC 2047 encoded words, and messages are read,
// flagged or answered. Every message is streamed to its file: nothing
// larger than a line is held in memory.
package mailgen

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// Options describe a generated mailbox.
type Options struct {
	// Seed selects every byte; the same Seed and counts give the same
	// mailbox.
	Seed uint64
	// Messages is the number of messages, Huge ones included.
	Messages int
	// Huge is how many of them are 25-100 MB (the "a few"); they
	// are spread evenly over the mailbox.
	Huge int
	// HugeSize, when positive, is the size (within a few KB) of every Huge message instead
	// of a random one of 25-100 MB (for example exactly 100 MB).
	HugeSize int64
	// MaxSize caps the size in bytes of every message but the Huge ones
	// (0: no cap), for small versions of a benchmark that keep the
	// distribution's shape below it.
	MaxSize int64
	// Latest is the received time of the newest message; zero means
	// 2026-06-30 12:00 UTC. Older messages go back about 2 hours each.
	Latest time.Time
}

// Stats describe what [WriteMaildir] wrote.
type Stats struct {
	// Messages and Bytes count the message files and their sizes (LF line
	// endings, as the files are stored).
	Messages int
	Bytes    int64
	// Largest is the size of the largest message.
	Largest int64
	// Attachments counts messages with at least one attachment.
	Attachments int
	// Folders counts messages per folder name (UTF-8, "/"-separated).
	Folders map[string]int
}

// folder is one folder of the generated tree and its share of messages.
type folder struct {
	name   string
	weight int
}

// Folders are the generated tree, INBOX first; parents hold messages too,
// so that every folder is selectable.
var folders = []folder{
	{"INBOX", 34},
	{"Sent", 16},
	{"Archive", 4},
	{"Archive/2024", 10},
	{"Archive/2025", 10},
	{"Projects", 3},
	{"Projects/Alpha", 7},
	{"Projekte/Köln Süd", 5},
	{"Kunden/Müller & Söhne", 5},
	{"Newsletters", 6},
}

// FolderNames returns the names of the folders a generated mailbox has,
// INBOX first.
func FolderNames() []string {
	names := make([]string, len(folders))
	for i, f := range folders {
		names[i] = f.name
	}
	return names
}

// Size classes of the distribution.
const (
	kib = 1 << 10
	mib = 1 << 20
)

// WriteMaildir writes the mailbox described by o into dir (created if
// missing; it should be empty), as a Maildir++ tree in Dovecot's LAYOUT=fs.
// Each message is written to tmp/ and renamed into cur/ with its size in
// the name (",S=") and its flags, and its mtime set to the received time,
// which Dovecot takes as INTERNALDATE.
func WriteMaildir(ctx context.Context, dir string, o *Options) (Stats, error) {
	st := Stats{Folders: map[string]int{}}
	if o == nil || o.Messages < 0 || o.Huge < 0 || o.Huge > o.Messages || o.MaxSize < 0 {
		return st, errors.New("mailgen: want 0 <= Huge <= Messages and MaxSize >= 0")
	}
	latest := o.Latest
	if latest.IsZero() {
		latest = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	}
	paths := make([]string, len(folders))
	for i, f := range folders {
		p := dir
		if f.name != "INBOX" {
			p = filepath.Join(dir, filepath.FromSlash(source.EncodeMUTF7(f.name)))
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(p, sub), 0o700); err != nil {
				return st, fmt.Errorf("mailgen: folder %s: %w", f.name, err)
			}
		}
		paths[i] = p
	}
	hugeEvery := 0
	if o.Huge > 0 {
		hugeEvery = o.Messages / o.Huge
	}
	for i := range o.Messages {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		huge := hugeEvery > 0 && i%hugeEvery == hugeEvery/2 && i/hugeEvery < o.Huge
		m := newMessage(o.Seed, i, huge, o.HugeSize, o.MaxSize, latest)
		size, err := m.write(paths[m.folder])
		if err != nil {
			return st, fmt.Errorf("mailgen: folder %s: message %d: %w", folders[m.folder].name, i, err)
		}
		st.Messages++
		st.Bytes += size
		st.Largest = max(st.Largest, size)
		st.Folders[folders[m.folder].name]++
		if m.attachment > 0 {
			st.Attachments++
		}
	}
	return st, nil
}

// message is one generated message's choices; its bytes come from rng.
type message struct {
	index      int
	seed       uint64
	src        *rand.ChaCha8 // attachment bytes
	rng        *rand.Rand    // every choice, from src
	folder     int
	text       int64 // bytes of body text to write
	html       bool  // a multipart/alternative HTML part beside the text
	attachment int64 // decoded attachment bytes, 0 for none
	flags      string
	received   time.Time
}

// newMessage makes message i's choices from its own random stream, so a
// message does not depend on the ones before it.
func newMessage(seed uint64, i int, huge bool, hugeSize, maxSize int64, latest time.Time) *message {
	var key [32]byte
	copy(key[:], "migrate mailgen v1\x00")
	binary.LittleEndian.PutUint64(key[16:], seed)
	binary.LittleEndian.PutUint64(key[24:], uint64(i))
	src := rand.NewChaCha8(key)
	r := rand.New(src)
	m := &message{index: i, seed: seed, src: src, rng: r}

	total := 0
	for _, f := range folders {
		total += f.weight
	}
	w := r.IntN(total)
	for k, f := range folders {
		if w < f.weight {
			m.folder = k
			break
		}
		w -= f.weight
	}
	var size int64
	switch u := r.Float64(); {
	case huge && hugeSize > 0:
		size = hugeSize
	case huge:
		size = logUniform(r, 25*mib, 100*mib)
	case u < 0.01:
		size = logUniform(r, 2*mib, 10*mib)
	case u < 0.11:
		size = logUniform(r, 50*kib, 500*kib)
	default:
		size = logUniform(r, 5*kib, 100*kib)
	}
	if maxSize > 0 && !huge {
		size = min(size, maxSize)
	}
	m.html = r.IntN(10) < 4
	if size >= 50*kib && (huge || r.Float64() < 0.2 || size >= 120*kib) {
		m.text = int64(1*kib + r.IntN(3*kib))
		// base64 in 76-character lines ending in LF: 77 bytes per 57.
		m.attachment = max(1, (size-m.text-2*kib)*57/77)
	} else {
		m.text = max(512, size-1*kib)
		if m.html {
			m.text /= 2
		}
	}
	switch sent := folders[m.folder].name == "Sent"; {
	case sent:
		m.flags = "S"
	default:
		var f []byte
		if r.IntN(100) < 5 {
			f = append(f, 'F')
		}
		if r.IntN(100) < 15 {
			f = append(f, 'R')
		}
		if r.IntN(100) < 80 {
			f = append(f, 'S')
		}
		m.flags = string(f)
	}
	m.received = latest.Add(-time.Duration(i)*2*time.Hour - time.Duration(r.IntN(3600))*time.Second).Truncate(time.Second)
	return m
}

// logUniform returns a size between lo and hi, log-uniformly distributed.
func logUniform(r *rand.Rand, lo, hi int64) int64 {
	return int64(math.Exp(math.Log(float64(lo)) + r.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
}

// write streams the message into dir's tmp/, then renames it into cur/.
func (m *message) write(dir string) (int64, error) {
	base := fmt.Sprintf("%d.M%06dP%d.mailgen", m.received.Unix(), m.index, m.seed%100000)
	tmp := filepath.Join(dir, "tmp", base)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: f}
	bw := bufio.NewWriterSize(cw, 64*kib)
	err = m.render(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(tmp, m.received, m.received)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, err
	}
	name := fmt.Sprintf("%s,S=%d:2,%s", base, cw.n, m.flags)
	if err := os.Rename(tmp, filepath.Join(dir, "cur", name)); err != nil {
		return 0, err
	}
	return cw.n, nil
}

// People appear as senders and recipients; their display names need
// encoded words.
var people = []struct{ name, addr string }{
	{"Jürgen Müller", "juergen.mueller@example.test"},
	{"Zoë Lefèvre", "zoe.lefevre@example.test"},
	{"Åsa Ström", "asa.strom@example.test"},
	{"Anna Schmidt", "anna.schmidt@example.test"},
	{"José Núñez", "jose.nunez@example.test"},
	{"Łukasz Wójcik", "lukasz.wojcik@example.test"},
	{"田中 太郎", "tanaka@example.test"},
	{"Peter Brown", "peter.brown@example.test"},
	{"Σοφία Παπαδοπούλου", "sofia.p@example.test"},
	{"Mia Østergaard", "mia.ostergaard@example.test"},
}

// Words make the body text and subjects: business German, English and a
// little else, so bodies need UTF-8.
var words = strings.Fields(`Angebot Rechnung Lieferung Besprechung Termin Prüfung Änderung Bestätigung
Größe Straße Kunde Projekt Vertrag offer invoice delivery meeting schedule review change confirmation
please find attached regarding the quarterly figures budget approval deadline next week tomorrow
thanks regards best team update status report draft final version comments agreed pending open
question answer customer supplier order shipment price discount contract renewal évaluation réunion
façade naïve café déjà Größenordnung Übersicht Zusammenfassung München Köln Zürich Malmö Łódź`)

// attachmentNames are the files attached; some need RFC 2231 encoding.
var attachmentNames = []string{"Angebot_Müller.pdf", "invoice-2025-117.pdf", "Präsentation Q3.pptx", "scan0042.jpg", "Übersicht.xlsx", "contract.docx"}

func (m *message) pick(list int) int { return m.rng.IntN(list) }

func (m *message) render(w *bufio.Writer) error {
	r := m.rng
	from, to := people[m.pick(len(people))], people[m.pick(len(people))]
	if folders[m.folder].name == "Sent" {
		from = people[3]
	}
	subj := m.phrase(3 + r.IntN(6))
	if r.IntN(4) == 0 {
		subj = "Re: " + subj
	}
	date := m.received.Add(-time.Duration(5+r.IntN(300)) * time.Second)
	id := fmt.Sprintf("<%d.%d.%x@mailgen.example.test>", m.seed, m.index, r.Uint32())
	enc := mime.QEncoding
	if r.IntN(2) == 0 {
		enc = mime.BEncoding
	}
	fmt.Fprintf(w, "Return-Path: <%s>\n", from.addr)
	fmt.Fprintf(w, "Received: from mx%d.example.test (mx%d.example.test [192.0.2.%d])\n\tby mail.example.test with ESMTPS id %x\n\tfor <%s>; %s\n",
		r.IntN(9), r.IntN(9), 1+r.IntN(250), r.Uint64(), to.addr, m.received.Format(time.RFC1123Z))
	fmt.Fprintf(w, "From: %s <%s>\n", enc.Encode("UTF-8", from.name), from.addr)
	fmt.Fprintf(w, "To: %s <%s>\n", enc.Encode("UTF-8", to.name), to.addr)
	if r.IntN(3) == 0 {
		cc := people[m.pick(len(people))]
		fmt.Fprintf(w, "Cc: %s <%s>\n", enc.Encode("UTF-8", cc.name), cc.addr)
	}
	fmt.Fprintf(w, "Subject: %s\n", enc.Encode("UTF-8", subj))
	fmt.Fprintf(w, "Date: %s\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(w, "Message-ID: %s\n", id)
	if strings.HasPrefix(subj, "Re: ") {
		fmt.Fprintf(w, "In-Reply-To: <%d.%d.parent@mailgen.example.test>\n", m.seed, m.index)
	}
	fmt.Fprintf(w, "MIME-Version: 1.0\n")
	outer := fmt.Sprintf("mixed-%d-%x", m.index, r.Uint32())
	alt := fmt.Sprintf("alt-%d-%x", m.index, r.Uint32())
	if m.attachment > 0 {
		fmt.Fprintf(w, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n--%s\n", outer, outer)
	}
	if m.html {
		fmt.Fprintf(w, "Content-Type: multipart/alternative; boundary=\"%s\"\n\n--%s\n", alt, alt)
	}
	fmt.Fprintf(w, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
	if err := m.body(w, m.text, false); err != nil {
		return err
	}
	if m.html {
		fmt.Fprintf(w, "\n--%s\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n<html><body>\n", alt)
		if err := m.body(w, m.text, true); err != nil {
			return err
		}
		fmt.Fprintf(w, "</body></html>\n--%s--\n", alt)
	}
	if m.attachment > 0 {
		name := attachmentNames[m.pick(len(attachmentNames))]
		fmt.Fprintf(w, "\n--%s\nContent-Type: application/octet-stream; name=\"%s\"\n", outer, mime.QEncoding.Encode("UTF-8", name))
		fmt.Fprintf(w, "Content-Disposition: attachment; %s\nContent-Transfer-Encoding: base64\n\n", dispositionName(name))
		lw := &lineWriter{w: w}
		enc := base64.NewEncoder(base64.StdEncoding, lw)
		if _, err := io.Copy(enc, io.LimitReader(m.src, m.attachment)); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		if err := lw.end(); err != nil {
			return err
		}
		fmt.Fprintf(w, "--%s--\n", outer)
	}
	return nil
}

// dispositionName is the filename parameter, RFC 2231 encoded when the
// name is not ASCII.
func dispositionName(name string) string {
	ascii := !strings.ContainsFunc(name, func(r rune) bool { return r > 126 })
	if ascii {
		return fmt.Sprintf("filename=\"%s\"", name)
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})[len("attachment; "):]
}

// phrase returns n words.
func (m *message) phrase(n int) string {
	ws := make([]string, n)
	for k := range ws {
		ws[k] = words[m.pick(len(words))]
	}
	return strings.Join(ws, " ")
}

// body writes about n bytes of text in lines under 80 bytes (HTML
// paragraphs when html is set).
func (m *message) body(w *bufio.Writer, n int64, html bool) error {
	var written int64
	line := make([]byte, 0, 96)
	for written < n {
		line = line[:0]
		if html {
			line = append(line, "<p>"...)
		}
		for len(line) < 60+m.rng.IntN(12) {
			line = append(line, words[m.pick(len(words))]...)
			line = append(line, ' ')
		}
		if html {
			line = append(line, "</p>"...)
		}
		line = append(line, '\n')
		k, err := w.Write(line)
		if err != nil {
			return err
		}
		written += int64(k)
	}
	return nil
}

// lineWriter breaks base64 text into 76-character lines ending in LF.
type lineWriter struct {
	w   *bufio.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
		l.col += k
		if l.col == 76 {
			if err := l.w.WriteByte('\n'); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// end finishes the last line.
func (l *lineWriter) end() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	return l.w.WriteByte('\n')
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
