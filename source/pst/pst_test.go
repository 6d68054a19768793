package pst

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/google/go-cmp/cmp"
	upstream "github.com/mooijtech/go-pst/v6/pkg"

	"github.com/migrate-tool/migrate/source"
	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
	"github.com/migrate-tool/migrate/source/pst/psttest"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

func open(t testing.TB, opts *Options) *Account {
	t.Helper()
	a, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open(%v) = %v", opts.Paths, err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestIsPST(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("From me\n"), 0o644)
	for _, c := range []struct {
		path string
		want bool
	}{{psttest.Copy(t, psttest.Support), true}, {psttest.Copy(t, psttest.ANSI), true}, {other, false}} {
		if got, err := IsPST(c.path); err != nil || got != c.want {
			t.Errorf("IsPST(%s) = %v, %v; want %v", c.path, got, err, c.want)
		}
	}
}

// TestProbe checks that Open probes each file and reports one it cannot
// read with its name and the reason.
func TestProbe(t *testing.T) {
	good := psttest.Copy(t, psttest.Support)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Byte 513 of a Unicode header is bCryptMethod ([MS-PST] 2.2.2.6):
	// 2 is high (cyclic) encryption.
	cyclic := bytes.Clone(b)
	cyclic[513] = 2
	for _, c := range []struct {
		name, path string
		want       string // in the error; "" for success
	}{
		{"good", good, ""},
		{"header only", write("head.pst", b[:100]), "truncated"},
		{"truncated", write("half.pst", b[:len(b)/2]), "truncated or damaged"},
		{"not a pst", write("mail.pst", []byte("From someone Mon Jan  1 00:00:00 2024\n\nhello\n")), "not a .pst or .ost file"},
		{"high encryption", write("cyclic.pst", cyclic), "high (cyclic) encryption"},
		{"ANSI", psttest.Copy(t, psttest.ANSI), "ANSI (Outlook 97-2002)"},
		{"directory", dir, "is a directory"},
		{"missing", filepath.Join(dir, "missing.pst"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := Open(context.Background(), &Options{Paths: []string{c.path}})
			if c.want == "" {
				if err != nil {
					t.Fatalf("Open = %v", err)
				}
				a.Close()
				return
			}
			if err == nil {
				a.Close()
				t.Fatalf("Open succeeded; want an error saying %q", c.want)
			}
			if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open = %v; want an error naming %s and saying %q", err, c.path, c.want)
			}
		})
	}
	// Several bad files are reported together.
	bad1, bad2 := write("a.pst", b[:100]), write("b.pst", []byte("nope"))
	_, err = Open(context.Background(), &Options{Paths: []string{good, bad1, bad2}})
	if err == nil || !strings.Contains(err.Error(), bad1) || !strings.Contains(err.Error(), bad2) || !errors.Is(err, ErrUnreadable) {
		t.Errorf("Open(good, bad, bad) = %v; want ErrUnreadable naming both bad files", err)
	}
}

// sampleFolders is what the support sample's tree must list: path, role,
// whether the role was guessed, count, and whether it is skipped.
type sampleFolder struct {
	Path    string
	Role    source.SpecialUse
	Guessed bool
	Count   int64
	Skipped bool
}

func TestFolders(t *testing.T) {
	a := open(t, &Options{Paths: []string{psttest.Copy(t, psttest.Support)}})
	fs, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []sampleFolder
	for _, f := range fs {
		got = append(got, sampleFolder{strings.Join(f.Path, "/"), f.SpecialUse, f.SpecialUseGuessed, f.Count, f.Skip != ""})
		if f.Validity == "" || f.Delimiter != "/" {
			t.Errorf("%q: Validity %q, Delimiter %q; want the store's record key and /", f.Path, f.Validity, f.Delimiter)
		}
	}
	// The IPM subtree only: not "Search Root" nor "SPAM Search Folder 2"
	// (the root's), nor the hidden "Conversation Action Settings". Deleted
	// Items is the store's wastebasket; the other roles are guessed from
	// the (Italian and English) names.
	want := []sampleFolder{
		{"Deleted Items", source.Trash, false, 0, false},
		{"Attività", "", false, 0, true},
		{"Bozze", source.Drafts, true, 0, false},
		{"Calendario", "", false, 0, true},
		{"Contatti", "", false, 0, true},
		{"Drafts", source.Drafts, true, 6, false},
		{"Journal", "", false, 0, true},
		{"Note", "", false, 0, true},
		{"Posta eliminata", "", false, 0, false},
		{"Posta in arrivo", "", false, 0, false},
		{"Posta in uscita", "", false, 0, false},
		{"Posta indesiderata", source.Junk, true, 0, false},
		{"Posta inviata", source.Sent, true, 0, false},
		{"Sent", source.Sent, true, 0, false},
		{"Sent Messages", source.Sent, true, 11, false},
		{"Trash", "", false, 0, false},
		{"Recoverable Items", "", false, 0, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folders (-want +got):\n%s", diff)
	}
}

// items lists every folder's items by folder path.
func items(t testing.TB, a source.Account) map[string][]source.ItemRef {
	t.Helper()
	fs, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]source.ItemRef{}
	for _, f := range fs {
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatalf("Items(%q) = %v", f.Path, err)
			}
			out[strings.Join(f.Path, "/")] = append(out[strings.Join(f.Path, "/")], ref)
		}
	}
	return out
}

func TestItems(t *testing.T) {
	a := open(t, &Options{Paths: []string{psttest.Copy(t, psttest.Support)}})
	got := items(t, a)
	if len(got) != 2 || len(got["Drafts"]) != 6 || len(got["Sent Messages"]) != 11 {
		t.Fatalf("items: %d folders, %d drafts, %d sent; want 6 drafts and 11 sent messages only", len(got), len(got["Drafts"]), len(got["Sent Messages"]))
	}
	for _, ref := range got["Drafts"] {
		if !slices.Equal(ref.Flags, []string{`\Seen`, `\Draft`}) {
			t.Errorf("draft %s: flags %q; want \\Seen \\Draft (PidTagMessageFlags 0x409)", ref.Key, ref.Flags)
		}
	}
	first := got["Sent Messages"][0]
	if want := time.Date(2015, 3, 6, 16, 21, 42, 0, time.UTC); first.Key != "2097380" || !first.Date.Truncate(time.Second).Equal(want) || !slices.Equal(first.Flags, []string{`\Seen`}) || first.Size != -1 || first.Skip != "" {
		t.Errorf("first sent message: %+v; want key 2097380 (its node ID), delivered %v, \\Seen, size unknown", first, want)
	}
}

func TestFlagsOf(t *testing.T) {
	for _, c := range []struct {
		mf, status, verb int32
		want             []string
	}{
		{0, 0, 0, nil},
		{0x1, 0, 0, []string{`\Seen`}},
		{0x409, 0, 0, []string{`\Seen`, `\Draft`}},
		{0x1, 2, 0, []string{`\Seen`, `\Flagged`}},
		{0x1, 1, 0, []string{`\Seen`}}, // followupComplete is not flagged
		{0x1, 0, 102, []string{`\Seen`, `\Answered`}},
		{0x1, 0, 103, []string{`\Seen`, `\Answered`}},
		{0, 0, 104, []string{"$Forwarded"}},
	} {
		if got := flagsOf(c.mf, c.status, c.verb); !slices.Equal(got, c.want) {
			t.Errorf("flagsOf(%#x, %d, %d) = %q, want %q", c.mf, c.status, c.verb, got, c.want)
		}
	}
}

// readMessage opens one item and returns its bytes.
func readMessage(t testing.TB, a source.Account, folder, key string) []byte {
	t.Helper()
	fs, _ := a.Folders(context.Background())
	for _, f := range fs {
		if strings.Join(f.Path, "/") != folder {
			continue
		}
		rc, err := a.Open(context.Background(), f, source.ItemRef{Key: key})
		if err != nil {
			t.Fatalf("Open(%s, %s) = %v", folder, key, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading %s %s: %v", folder, key, err)
		}
		return b
	}
	t.Fatalf("no folder %s", folder)
	return nil
}

// goPSTAttachments reads a message's attachments with go-pst's own API
// (GetMessage, GetAttachment, WriteTo): the independent reading the
// rebuilt parts must match.
func goPSTAttachments(t testing.TB, path string, nid upstream.Identifier) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := upstream.New(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.GetMessage(nid)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := m.GetAllAttachments()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, at := range atts {
		var b bytes.Buffer
		if _, err := at.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		out[at.GetAttachLongFilename()] = b.Bytes()
	}
	return out
}

// TestMessage checks a rebuilt message: the transport header without its
// old MIME fields, the HTML body, and both attachments byte for byte.
func TestMessage(t *testing.T) {
	path := psttest.Copy(t, psttest.Support)
	a := open(t, &Options{Paths: []string{path}})
	raw := readMessage(t, a, "Sent Messages", "2097540")
	if again := readMessage(t, a, "Sent Messages", "2097540"); !bytes.Equal(raw, again) {
		t.Errorf("the message rebuilt twice differs: content identity would not hold")
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message.Read: %v\n%s", err, raw[:min(len(raw), 2000)])
	}
	for field, want := range map[string]string{
		"Subject":    "IMPORTANT: Support portal downtime for maintenance",
		"Message-Id": "<A5C4B426-9872-490D-805C-03C5899CEF9F@hackingteam.it>",
		"Date":       "Wed, 12 Mar 2014 20:14:36 +0100",
		"From":       "RCS Support <support@hackingteam.it>",
	} {
		if got := e.Header.Get(field); got != want {
			t.Errorf("%s: %q, want %q (from the transport header)", field, got, want)
		}
	}
	if n := len(e.Header.Values("Content-Type")); n != 1 {
		t.Errorf("%d Content-Type fields; want only the rebuilt one", n)
	}
	if mt, _, _ := e.Header.ContentType(); mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q; want multipart/mixed", mt)
	}
	want := goPSTAttachments(t, path, 2097540)
	if len(want) != 2 {
		t.Fatalf("go-pst reads %d attachments; the sample has 2", len(want))
	}
	got := map[string][]byte{}
	var html string
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, _, _ := part.Header.ContentType()
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		disp, params, _ := part.Header.ContentDisposition()
		body, err := io.ReadAll(part.Body)
		if err != nil {
			return err
		}
		switch {
		case disp == "attachment" || disp == "inline":
			got[params["filename"]] = body
		case mt == "text/html":
			html = string(body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-go-pst +rebuilt):\n%s", diff)
	}
	if !strings.Contains(html, "<html") {
		t.Errorf("HTML body %q; want PidTagHtml", html[:min(len(html), 200)])
	}
}

// TestBodyText checks a message with a text body only.
func TestBodyText(t *testing.T) {
	a := open(t, &Options{Paths: []string{psttest.Copy(t, psttest.Support)}})
	e, err := message.Read(bytes.NewReader(readMessage(t, a, "Sent Messages", "2097700")))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(e.Body)
	if mt, params, _ := e.Header.ContentType(); mt != "text/plain" || params["charset"] != "utf-8" || strings.TrimSpace(string(body)) != "test" || e.Header.Get("To") != "vale@hackingteam.it" {
		t.Errorf("message 2097700: %s %v, To %q, body %q; want text/plain utf-8 \"test\" to vale@hackingteam.it", mt, params, e.Header.Get("To"), body)
	}
}

func TestTransportHeader(t *testing.T) {
	raw := "Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\nSubject: Hi\r\nContent-Type: multipart/alternative;\r\n boundary=\"x\"\r\nContent-Transfer-Encoding: 7bit\r\nTo: a@example.test\r\n\r\n"
	h := transportHeader(raw)
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		t.Fatal(err)
	}
	want := "Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: Hi\r\nTo: a@example.test\r\n\r\n"
	if got := b.String(); got != want {
		t.Errorf("transportHeader kept\n%q\nwant\n%q", got, want)
	}
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct{ name, email, want string }{
		{"Ann Smith", "ann@example.test", `"Ann Smith" <ann@example.test>`},
		{"", "ann@example.test", "<ann@example.test>"},
		{"ann@example.test", "ann@example.test", "<ann@example.test>"},
		{"Ann Smith", "", `"Ann Smith" <>`},
		{"Zoë", "", mime.QEncoding.Encode("utf-8", "Zoë") + " <>"},
	} {
		if got := formatAddress(c.name, c.email); got != c.want {
			t.Errorf("formatAddress(%q, %q) = %q, want %q", c.name, c.email, got, c.want)
		}
	}
	if got, want := displayList("Ann Smith; bob@example.test;"), `"Ann Smith" <>, <bob@example.test>`; got != want {
		t.Errorf("displayList = %q, want %q", got, want)
	}
}

func TestReadOnly(t *testing.T) {
	path := psttest.Copy(t, psttest.Support)
	before := testserver.TreeSnapshot(t, filepath.Dir(path))
	a := open(t, &Options{Paths: []string{path}})
	for folder, refs := range items(t, a) {
		for _, ref := range refs {
			readMessage(t, a, folder, ref.Key)
		}
	}
	a.Close()
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, filepath.Dir(path))); diff != "" {
		t.Errorf("the file changed:\n%s", diff)
	}
}

// TestSeveralFiles checks that each file's folders go under its name.
func TestSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile(psttest.Copy(t, psttest.Support))
	var paths []string
	for _, n := range []string{"2014.pst", "2015.pst"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, b, 0o644)
		paths = append(paths, p)
	}
	a := open(t, &Options{Paths: paths})
	got := items(t, a)
	if len(got["2014/Drafts"]) != 6 || len(got["2015/Sent Messages"]) != 11 {
		t.Errorf("folders %v; want each file's folders under its name", slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		}))
	}
}

func TestNotFound(t *testing.T) {
	a := open(t, &Options{Paths: []string{psttest.Copy(t, psttest.Support)}})
	fs, _ := a.Folders(context.Background())
	var drafts source.Folder
	for _, f := range fs {
		if strings.Join(f.Path, "/") == "Drafts" {
			drafts = f
		}
	}
	// A message of another folder, a folder node, and no number at all.
	for _, key := range []string{"2097380", "33058", "x"} {
		if _, err := a.Open(context.Background(), drafts, source.ItemRef{Key: key}); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Open(Drafts, %s) = %v; want ErrNotFound", key, err)
		}
	}
}

func TestSuite(t *testing.T) {
	path := psttest.Copy(t, psttest.Support)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) { return Open(ctx, &Options{Paths: []string{path}}) },
	})
}

// TestConverter runs readpst (pst-utils) on the file go-pst cannot read
// and, with AlwaysConvert, on the sample go-pst reads.
func TestConverter(t *testing.T) {
	psttest.RequireReadpst(t)
	tmp := t.TempDir()
	t.Run("ANSI", func(t *testing.T) {
		a := open(t, &Options{Paths: []string{psttest.Copy(t, psttest.ANSI)}, Converter: "readpst", TempDir: tmp})
		if got := items(t, a); len(got) != 0 {
			t.Errorf("items %v; the ANSI sample holds one calendar item and no mail", got)
		}
	})
	t.Run("support", func(t *testing.T) {
		path := psttest.Copy(t, psttest.Support)
		before := testserver.TreeSnapshot(t, filepath.Dir(path))
		a := open(t, &Options{Paths: []string{path}, Converter: "readpst", AlwaysConvert: true, TempDir: tmp})
		got := items(t, a)
		if len(got) != 2 || len(got["Drafts"]) != 6 || len(got["Sent Messages"]) != 11 {
			t.Fatalf("converted: %d folders (%d drafts, %d sent); want Drafts (6) and Sent Messages (11)", len(got), len(got["Drafts"]), len(got["Sent Messages"]))
		}
		b := readMessage(t, a, "Sent Messages", got["Sent Messages"][0].Key)
		if e, err := message.Read(bytes.NewReader(b)); err != nil || e.Header.Get("Message-Id") == "" {
			t.Errorf("converted message: %v, Message-ID %q", err, e.Header.Get("Message-Id"))
		}
		if err := a.Close(); err != nil {
			t.Error(err)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("Close left %d entries in the converter's temporary directory", len(left))
		}
		if diff := cmp.Diff(before, testserver.TreeSnapshot(t, filepath.Dir(path))); diff != "" {
			t.Errorf("the file changed:\n%s", diff)
		}
	})
	t.Run("failure", func(t *testing.T) {
		// readpst on a file that is not a PST fails; its error output is
		// in the error.
		p := filepath.Join(t.TempDir(), "broken.pst")
		os.WriteFile(p, []byte("!BDN but nothing else"), 0o644)
		_, err := Open(context.Background(), &Options{Paths: []string{p}, Converter: "readpst", TempDir: tmp})
		if err == nil || !strings.Contains(err.Error(), "readpst failed") || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(broken) = %v; want readpst's failure naming the file", err)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("a failed conversion left %d entries", len(left))
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := Open(context.Background(), &Options{Paths: []string{psttest.Copy(t, psttest.ANSI)}, Converter: "/nonexistent/readpst"})
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("Open with a missing converter = %v; want it named", err)
		}
	})
}

// TestPropertyHeader builds the header of sample messages from their
// properties and recipient tables, as for a message without transport
// headers, and compares it with the transport header they have.
func TestPropertyHeader(t *testing.T) {
	pf, err := openFile(psttest.Copy(t, psttest.Support))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.close()
	for _, c := range []struct {
		nid                     uint32
		to, from, subject, date string
	}{
		{2097284, `"Daniele Milan" <d.milan@hackingteam.com>`, `"RCS Support" <support@hackingteam.com>`, "[TEST] Release 9.5.2", "Mon, 02 Feb 2015 13:35:28 +0000"},
		{2097700, "<vale@hackingteam.it>", `"ht" <support@hackingteam.com>`, "test", "Mon, 09 Dec 2013 14:06:48 +0000"},
	} {
		var got textproto.Header
		var rs []recipient
		var ok bool
		if err := pf.guard(func() error {
			m, err := pf.message(gopst.Identifier(c.nid))
			if err != nil {
				return err
			}
			rs, ok = pf.recipients(m)
			got = pf.propertyHeader(m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !ok || len(rs) == 0 {
			t.Errorf("message %d: recipient table not read (%v, %+v)", c.nid, ok, rs)
		}
		for field, want := range map[string]string{"To": c.to, "From": c.from, "Subject": c.subject, "Date": c.date} {
			if v := got.Get(field); v != want {
				t.Errorf("message %d: %s %q, want %q", c.nid, field, v, want)
			}
		}
		if !strings.HasPrefix(got.Get("Message-Id"), "<") {
			t.Errorf("message %d: Message-ID %q, want PidTagInternetMessageId", c.nid, got.Get("Message-Id"))
		}
	}
}

// TestEnron reads go-pst's larger sample (29 MB, a mailbox of the public
// Enron corpus): every message is listed, rebuilt and parses as MIME, and
// nothing is logged as not carried.
func TestEnron(t *testing.T) {
	if testing.Short() {
		t.Skip("29 MB sample")
	}
	var logged strings.Builder
	a := open(t, &Options{Paths: []string{filepath.Join(psttest.Dir(t), psttest.Enron)}, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	fs, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	start := time.Now()
	for _, f := range fs {
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil || ref.Skip != "" {
				t.Fatalf("%q %s: %v %s", f.Path, ref.Key, err, ref.Skip)
			}
			rc, err := a.Open(context.Background(), f, ref)
			if err != nil {
				t.Fatal(err)
			}
			e, err := message.Read(rc)
			if err == nil {
				_, err = io.Copy(io.Discard, e.Body)
			}
			rc.Close()
			if err != nil {
				t.Fatalf("%q %s: %v", f.Path, ref.Key, err)
			}
			n++
		}
	}
	t.Logf("%d messages rebuilt in %v", n, time.Since(start))
	if n != 2178 || logged.Len() != 0 {
		t.Errorf("%d messages, logged %q; want the sample's 2178 and nothing logged", n, logged.String())
	}
}

// TestWriteStructures checks the MIME structure write gives each kind of
// body: text only, HTML only, both (multipart/alternative), and an RTF
// body only (an empty text body and body.rtf attached).
func TestWriteStructures(t *testing.T) {
	h := transportHeader("Subject: s\r\nMessage-ID: <m@example.test>\r\n")
	for _, c := range []struct {
		name  string
		c     content
		parts []string // media types of the leaves, in order; with the attachment file names
	}{
		{"text", content{text: "hello"}, []string{"text/plain"}},
		{"html", content{html: []byte("<p>hello</p>")}, []string{"text/html"}},
		{"both", content{text: "hello", html: []byte("<p>hello</p>")}, []string{"text/plain", "text/html"}},
		{"rtf only", content{rtf: []byte(`{\rtf1 hello}`)}, []string{"text/plain", "text/rtf body.rtf"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.c.header, c.c.seed = h, "seed"
			var b bytes.Buffer
			if err := writeMessage(context.Background(), &b, &c.c, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			e, err := message.Read(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = e.Walk(func(_ []int, p *message.Entity, err error) error {
				if err != nil {
					return err
				}
				mt, _, _ := p.Header.ContentType()
				if strings.HasPrefix(mt, "multipart/") {
					return nil
				}
				if _, params, err := p.Header.ContentDisposition(); err == nil {
					mt += " " + params["filename"]
				}
				got = append(got, mt)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.parts) || e.Header.Get("Subject") != "s" {
				t.Errorf("parts %q, Subject %q; want %q and s\n%s", got, e.Header.Get("Subject"), c.parts, b.String())
			}
		})
	}
}
