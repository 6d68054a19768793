package emlx

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// store is the hand-made Apple Mail tree (testdata/stores/README.md).
var store = filepath.Join("..", "..", "testdata", "stores", "applemail", "V10")

const account = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"

func TestParseCountLine(t *testing.T) {
	tests := []struct {
		head string
		size int64
		want layout
		err  bool
	}{
		{"17829     \nReturn-Path: x", 20000, layout{start: 11, length: 17829, size: 20000}, false}, // padded, as Mail writes it
		{"5\nhello<?xml", 12, layout{start: 2, length: 5, size: 12}, false},
		{"5\r\nhello", 8, layout{start: 3, length: 5, size: 8}, false},
		{"0\n", 2, layout{start: 2, length: 0, size: 2}, false},
		{"6\nhello", 7, layout{}, true}, // count past the end
		{"From: a@example.test\n", 100, layout{}, true},
		{"-1\nx", 4, layout{}, true},
		{"12345", 100, layout{}, true}, // no line end
		{"", 0, layout{}, true},
	}
	for _, tt := range tests {
		got, err := parseCountLine([]byte(tt.head), tt.size)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseCountLine(%q, %d) = %+v, %v; want %+v, error %v", tt.head, tt.size, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("parseCountLine(%q): %v is not ErrMalformed", tt.head, err)
		}
	}
}

func TestFlagNames(t *testing.T) {
	tests := []struct {
		flags uint64
		want  []string
	}{
		{0, nil},
		{1, []string{`\Seen`}},
		{2, nil}, // deleted: not a flag, the message is not listed
		{1 | 4, []string{`\Seen`, `\Answered`}},
		{16, []string{`\Flagged`}},
		{64, []string{`\Draft`}},
		{256, []string{"$Forwarded"}},
		{1<<33 | 0x3FC00 | 1 | 256, []string{`\Seen`, "$Forwarded"}}, // attachment count, priority and high bits ignored
		{8 | 32 | 128 | 512, nil},                                    // encrypted, recent, initial, redirected
	}
	for _, tt := range tests {
		if got := flagNames(tt.flags); !slices.Equal(got, tt.want) {
			t.Errorf("flagNames(%#x) = %q, want %q", tt.flags, got, tt.want)
		}
	}
}

func TestReadInfo(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`
	tests := []struct {
		name, dict string
		want       info
		err        bool
	}{
		{"integers", "<key>date-received</key><integer>1700000100</integer><key>flags</key><integer>8589934597</integer>", info{flags: 8589934597, received: time.Unix(1700000100, 0).UTC()}, false},
		{"real date", "<key>date-received</key><real>1700000100.0</real><key>flags</key><integer>1</integer>", info{flags: 1, received: time.Unix(1700000100, 0).UTC()}, false},
		{"no date", "<key>flags</key><integer>64</integer><key>remote-id</key><string>7</string>", info{flags: 64}, false},
		{"nothing known", "<key>subject</key><string>x</string>", info{}, false},
		{"not a plist", "", info{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := head + tt.dict + "</dict>\n</plist>\n"
			if tt.dict == "" {
				s = "garbage <dict"
			}
			got, err := readInfo(strings.NewReader(s), 0, int64(len(s)))
			if (err != nil) != tt.err || got.flags != tt.want.flags || !got.received.Equal(tt.want.received) {
				t.Errorf("readInfo = %+v, %v; want %+v, error %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := readInfo(strings.NewReader(""), 0, 0); err == nil {
		t.Error("readInfo of no bytes: want an error")
	}
}

// partial is a .partial.emlx's message with three parts kept apart.
const partial = "From: c@example.test\n" +
	"Subject: partial\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: multipart/mixed; boundary=\"B1\"\n" +
	"\n" +
	"preamble\n" +
	"--B1\n" +
	"Content-Type: text/plain\n" +
	"\n" +
	"Body text.\n" +
	"--B1\n" +
	"Content-Type: multipart/alternative;\n\tboundary=\"B2\"\n" +
	"\n" +
	"--B2\n" +
	"Content-Type: text/html\n" +
	"\n" +
	"<p>html</p>\n" +
	"--B2\n" +
	"Content-Transfer-Encoding: base64\n" +
	"Content-Disposition: attachment;\n\tfilename=\"a.bin\"\n" +
	"Content-Type: application/octet-stream\n" +
	"X-Apple-Content-Length: 200\n" +
	"\n" +
	"\n" +
	"--B2--\n" +
	"--B1\n" +
	"Content-Transfer-Encoding: quoted-printable\n" +
	"X-Apple-Content-Length: 20\n" +
	"Content-Type: text/plain; name=\"=?utf-8?q?caf=C3=A9.txt?=\"\n" +
	"\n" +
	"\n" +
	"--B1\n" +
	"Content-Transfer-Encoding: 7bit\n" +
	"Content-Type: text/plain; name=gone.txt\n" +
	"X-Apple-Content-Length: 4\n" +
	"\n" +
	"\n" +
	"--B1--\n" +
	"epilogue\n"

// attachmentsDir writes the files of partial's parts 2.2 and 3 (not 4).
func attachmentsDir(t testing.TB) (dir string, bin, text []byte) {
	dir = t.TempDir()
	bin = make([]byte, 200)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	text = []byte("caf\xc3\xa9 = 100%\nline two\n")
	put(t, filepath.Join(dir, "2.2", "a.bin"), bin)
	put(t, filepath.Join(dir, "3", "other.txt"), []byte("decoy"))
	put(t, filepath.Join(dir, "3", "café.txt"), text)
	return dir, bin, text
}

func put(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRebuild(t *testing.T) {
	dir, bin, text := attachmentsDir(t)
	for _, eol := range []string{"\n", "\r\n"} {
		t.Run(fmt.Sprintf("eol %q", eol), func(t *testing.T) {
			in := strings.ReplaceAll(partial, "\n", eol)
			var out bytes.Buffer
			missing, err := rebuild(&out, strings.NewReader(in), dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(missing, []string{"4"}) {
				t.Errorf("missing = %q, want part 4", missing)
			}
			var c counter
			if _, err := rebuild(&c, strings.NewReader(in), dir); err != nil || c.n != int64(out.Len()) {
				t.Errorf("measured %d bytes (%v), rebuilt %d", c.n, err, out.Len())
			}
			got := out.String()
			if strings.Contains(got, appleLength) {
				t.Errorf("rebuilt message keeps %s:\n%s", appleLength, got)
			}
			// Everything but the parts kept apart is as it was.
			for _, keep := range []string{"preamble" + eol, "Body text." + eol, "<p>html</p>" + eol, "epilogue" + eol, "Subject: partial" + eol} {
				if !strings.Contains(got, keep) {
					t.Errorf("rebuilt message lost %q", keep)
				}
			}
			b64 := base64.StdEncoding.EncodeToString(bin)
			var lines []string
			for len(b64) > 76 {
				lines, b64 = append(lines, b64[:76]), b64[76:]
			}
			if want := eol + strings.Join(append(lines, b64), eol) + eol + "--B2--"; !strings.Contains(got, want) {
				t.Errorf("base64 part not in 76-character lines:\n%s", got)
			}
			// A MIME reader finds each file's bytes in its part.
			msg, err := mail.ReadMessage(strings.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			parts := readParts(t, multipart.NewReader(msg.Body, params["boundary"]))
			if len(parts) != 5 {
				t.Fatalf("%d leaf parts, want 5: %q", len(parts), parts)
			}
			if !bytes.Equal(parts[2], bin) {
				t.Errorf("part 2.2 = %x, want the file %x", parts[2], bin)
			}
			// Quoted-printable text has canonical line ends: CRLF in a CRLF
			// message.
			if !bytes.Equal(bytes.ReplaceAll(parts[3], []byte("\r\n"), []byte("\n")), text) {
				t.Errorf("part 3 = %q, want the file %q", parts[3], text)
			}
			if len(parts[4]) != 0 {
				t.Errorf("part 4 (file missing) = %q, want empty", parts[4])
			}
		})
	}
}

// readParts returns the decoded bodies of the leaf parts, depth first.
func readParts(t *testing.T, r *multipart.Reader) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			out = append(out, readParts(t, multipart.NewReader(p, params["boundary"]))...)
			continue
		}
		var body io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, p)
		case "quoted-printable":
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func TestRebuildSinglePart(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "1", "x.txt"), []byte("whole"))
	in := "Subject: one\nContent-Type: text/plain\nX-Apple-Content-Length: 5\n\n\n"
	var out bytes.Buffer
	if missing, err := rebuild(&out, strings.NewReader(in), dir); err != nil || len(missing) != 0 {
		t.Fatalf("rebuild = %q, %v", missing, err)
	}
	if want := "Subject: one\nContent-Type: text/plain\n\nwhole\n"; out.String() != want {
		t.Errorf("rebuilt %q, want %q", out.String(), want)
	}
	// A message without kept-apart parts is copied as it is.
	out.Reset()
	if _, err := rebuild(&out, strings.NewReader("Subject: x\n\nbody\n--not a boundary\n"), dir); err != nil || out.String() != "Subject: x\n\nbody\n--not a boundary\n" {
		t.Errorf("rebuild = %q, %v", out.String(), err)
	}
}

func open(t testing.TB, paths ...string) *Account {
	t.Helper()
	a, err := Open(context.Background(), &Options{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFolders(t *testing.T) {
	for _, root := range []string{store, filepath.Join(store, account)} {
		t.Run(filepath.Base(root), func(t *testing.T) {
			got, err := open(t, root).Folders(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, f := range got {
				lines = append(lines, fmt.Sprintf("%s %s count=%d deleted=%d", strings.Join(f.Path, "/"), f.SpecialUse, f.Count, f.Deleted))
			}
			want := []string{
				`Archive \Archive count=1 deleted=0`,
				`Deleted Messages \Trash count=1 deleted=0`,
				`Drafts \Drafts count=1 deleted=0`,
				`INBOX \Inbox count=3 deleted=1`,
				`INBOX/Projects  count=1 deleted=0`,
				`Junk \Junk count=0 deleted=0`,
				`Sent Messages \Sent count=1 deleted=0`,
			}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("folders (-want +got):\n%s", diff)
			}
		})
	}
}

// folderByPath returns the folder of a listing with the path.
func folderByPath(t *testing.T, a *Account, path string) source.Folder {
	t.Helper()
	fs, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.Join(f.Path, "/") == path {
			return f
		}
	}
	t.Fatalf("no folder %s", path)
	return source.Folder{}
}

func TestItems(t *testing.T) {
	a := open(t, store)
	const box = "8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11/Data/"
	type item struct {
		key   string
		flags []string
		date  time.Time
	}
	tests := []struct {
		folder string
		want   []item
	}{
		{"INBOX", []item{
			{box + "1/Messages/1042.emlx", []string{`\Flagged`}, time.Unix(1700000400, 0)},
			{box + "Messages/101.emlx", []string{`\Seen`, `\Answered`}, time.Unix(1700000100, 0)},
			{box + "Messages/103.emlx", []string{`\Seen`}, time.Unix(1700000300, 0)}, // .partial.emlx
		}},
		{"INBOX/Projects", []item{{box + "Messages/201.emlx", []string{`\Seen`, "$Forwarded"}, time.Unix(1700000500, 0)}}},
		{"Drafts", []item{{box + "Messages/401.emlx", []string{`\Seen`, `\Draft`}, time.Unix(1700000700, 0)}}},
		{"Archive", []item{{box + "Messages/601.emlx", []string{`\Seen`}, time.Time{}}}}, // no date-received
	}
	for _, tt := range tests {
		f := folderByPath(t, a, tt.folder)
		var got []item
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, item{ref.Key, ref.Flags, ref.Date})
			b := readAll(t, a, f, ref)
			if int64(len(b)) != ref.Size {
				t.Errorf("%s: Open streamed %d bytes, Size %d", ref.Key, len(b), ref.Size)
			}
			if bytes.Contains(b, []byte("<?xml")) || bytes.HasPrefix(b, []byte("7")) {
				t.Errorf("%s: streamed more than the message:\n%s", ref.Key, b)
			}
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(item{}), cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
			t.Errorf("%s items (-want +got):\n%s", tt.folder, diff)
		}
	}
}

func readAll(t testing.TB, a *Account, f source.Folder, ref source.ItemRef) []byte {
	t.Helper()
	rc, err := a.Open(context.Background(), f, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenPartial(t *testing.T) {
	a := open(t, store)
	f := folderByPath(t, a, "INBOX")
	b := readAll(t, a, f, source.ItemRef{Key: "8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11/Data/Messages/103.emlx"})
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	parts := readParts(t, multipart.NewReader(msg.Body, params["boundary"]))
	att := filepath.Join(store, account, "INBOX.mbox", "8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11", "Data", "Attachments", "103")
	bin, _ := os.ReadFile(filepath.Join(att, "2", "report.bin"))
	text, _ := os.ReadFile(filepath.Join(att, "3", "notes.txt"))
	if len(parts) != 3 || !bytes.Equal(parts[1], bin) || !bytes.Equal(parts[2], text) {
		t.Errorf("parts %q; want the text, then report.bin (%d bytes) and notes.txt", parts, len(bin))
	}
}

// copyTree copies the store to a temporary directory, times kept.
func copyTree(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "V10")
	if out, err := exec.Command("cp", "-a", store, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
	return dst
}

func TestReadOnly(t *testing.T) {
	root := copyTree(t)
	before := testserver.TreeSnapshot(t, root)
	a := open(t, root)
	fs, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.NoSelect {
			continue
		}
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, a, f, ref)
		}
	}
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, root)); diff != "" {
		t.Errorf("the tree changed (-before +after):\n%s", diff)
	}
}

func TestMalformedFile(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Box.mbox")
	put(t, filepath.Join(root, "Messages", "1.emlx"), []byte("Subject: no count line\n\nx\n"))
	a := open(t, root)
	f := folderByPath(t, a, "Box")
	var refs []source.ItemRef
	for ref, err := range a.Items(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if len(refs) != 1 {
		t.Fatalf("items = %+v, want the malformed file listed", refs)
	}
	if _, err := a.Open(context.Background(), f, refs[0]); !errors.Is(err, ErrMalformed) {
		t.Errorf("Open = %v, want ErrMalformed", err)
	}
}

func TestRoots(t *testing.T) {
	dir := t.TempDir()
	msg := func(n string) []byte {
		m := "Subject: " + n + "\n\nx\n"
		return []byte(fmt.Sprintf("%d\n%s<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>flags</key><integer>1</integer></dict></plist>\n", len(m), m))
	}
	// Two accounts in one V10, and a Messages directory copied alone.
	put(t, filepath.Join(dir, "V10", "AAAA", "INBOX.mbox", "U", "Data", "Messages", "1.emlx"), msg("a"))
	put(t, filepath.Join(dir, "V10", "BBBB", "INBOX.mbox", "U", "Data", "Messages", "1.emlx"), msg("b"))
	put(t, filepath.Join(dir, "V10", "Mailboxes", "Old.mbox", "U", "Data", "Messages", "2.emlx"), msg("c"))
	put(t, filepath.Join(dir, "copied", "Messages", "3.emlx"), msg("d"))
	tests := []struct {
		paths []string
		want  []string
	}{
		{[]string{filepath.Join(dir, "V10")}, []string{"AAAA", "AAAA/INBOX", "BBBB", "BBBB/INBOX", "Mailboxes", "Mailboxes/Old"}},
		{[]string{filepath.Join(dir, "V10", "AAAA", "INBOX.mbox")}, []string{"INBOX"}},
		{[]string{filepath.Join(dir, "copied")}, []string{"copied"}},
		{[]string{filepath.Join(dir, "V10", "AAAA"), filepath.Join(dir, "V10", "BBBB")}, []string{"AAAA", "AAAA/INBOX", "BBBB", "BBBB/INBOX"}},
	}
	for _, tt := range tests {
		got, err := open(t, tt.paths...).Folders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, f := range got {
			paths = append(paths, strings.Join(f.Path, "/"))
		}
		if !slices.Equal(paths, tt.want) {
			t.Errorf("Open(%q): folders %q, want %q", tt.paths, paths, tt.want)
		}
	}
	if !HasMessages(filepath.Join(dir, "copied")) || HasMessages(t.TempDir()) {
		t.Error("HasMessages: want true for a directory with .emlx files, false for an empty one")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "file.txt"), []byte("x"))
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "file.txt"), filepath.Join(dir, "empty")} {
		if _, err := Open(context.Background(), &Options{Paths: []string{p}}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming it", p, err)
		}
	}
}

func TestSuite(t *testing.T) {
	root := copyTree(t)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) { return Open(ctx, &Options{Paths: []string{root}}) },
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			// Mail erases the message: its file goes.
			p := filepath.Join(f.Name, filepath.FromSlash(ref.Key))
			err := os.Remove(p)
			if errors.Is(err, fs.ErrNotExist) {
				err = os.Remove(strings.TrimSuffix(p, Ext) + PartialExt)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}
