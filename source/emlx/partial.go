package emlx

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// appleLength is the header field Apple Mail leaves on a part whose body it
// keeps apart, in Attachments/<message number>/<part number>/<file>, beside
// the Messages directory (the layout partial-emlx-converter documents and
// reads: github.com/qqilihq/partial-emlx-converter, src/converter.ts).
const appleLength = "X-Apple-Content-Length"

// maxHeader bounds a part's header as the rebuild holds it.
const maxHeader = 1 << 20

// frame is an open multipart: its boundary, its part number ("" for the
// message itself) and how many parts of it have begun.
type frame struct {
	boundary, number string
	parts            int
}

// child is the number of the n-th part of a multipart numbered number,
// as IMAP numbers parts (RFC 3501, 6.4.5): 1, 2, 2.1...
func child(number string, n int) string {
	if number == "" {
		return strconv.Itoa(n)
	}
	return number + "." + strconv.Itoa(n)
}

// rebuild writes the message of a .partial.emlx file (read from r) to w
// with each part Apple Mail kept apart filled from attDir/<part number>/,
// encoded by the part's Content-Transfer-Encoding, and without the
// X-Apple-Content-Length field. Everything else is copied byte for byte,
// streaming: only one part's header is held. A kept-apart part whose file
// is not there stays empty; its number is in missing. When w is a
// *counter, rebuild measures: parts in base64 or an identity encoding are
// counted from their files' sizes without reading them.
func rebuild(w io.Writer, r io.Reader, attDir string) (missing []string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var stack []frame
	eol := ""
	lineStart := true
	skip := false // discarding the (empty) body of a kept-apart part

	// part reads a part's header (after a boundary line, or the message's)
	// and writes what follows it: the header, and a kept-apart body.
	part := func(number string) error {
		raw, err := readHeader(br)
		if err != nil {
			return err
		}
		if eol == "" {
			eol = "\n"
			if bytes.HasSuffix(raw, []byte("\r\n")) {
				eol = "\r\n"
			}
		}
		h := parseHeader(raw)
		mt, params, _ := mime.ParseMediaType(h.get("Content-Type"))
		switch {
		case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
			if _, err := w.Write(raw); err != nil {
				return err
			}
			stack = append(stack, frame{boundary: params["boundary"], number: number})
			skip = false
		case h.has(appleLength):
			if number == "" {
				number = "1"
			}
			if _, err := w.Write(h.without(appleLength)); err != nil {
				return err
			}
			ok, err := fill(w, filepath.Join(attDir, number), h, params["name"], eol)
			if err != nil {
				return fmt.Errorf("part %s: %w", number, err)
			}
			if !ok {
				missing = append(missing, number)
			}
			skip = true
		default:
			if _, err := w.Write(raw); err != nil {
				return err
			}
			skip = false
		}
		return nil
	}

	if err := part(""); err != nil {
		return nil, err
	}
	for {
		line, rerr := br.ReadSlice('\n')
		if len(line) > 0 {
			atStart := lineStart
			lineStart = line[len(line)-1] == '\n'
			if atStart && bytes.HasPrefix(line, []byte("--")) && len(stack) > 0 {
				if i, closing := matchBoundary(line, stack); i >= 0 {
					stack = stack[:i+1]
					if _, err := w.Write(line); err != nil {
						return nil, err
					}
					if closing {
						stack, skip = stack[:i], false
						continue
					}
					stack[i].parts++
					if err := part(child(stack[i].number, stack[i].parts)); err != nil {
						return nil, err
					}
					continue
				}
			}
			if !skip {
				if _, err := w.Write(line); err != nil {
					return nil, err
				}
			}
		}
		if rerr != nil {
			if errors.Is(rerr, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(rerr, io.EOF) {
				return missing, nil
			}
			return nil, rerr
		}
	}
}

// matchBoundary finds the innermost open multipart whose delimiter line is
// line ("--boundary" or, closing, "--boundary--", with trailing white
// space), or -1.
func matchBoundary(line []byte, stack []frame) (int, bool) {
	s := strings.TrimRight(string(line[2:]), " \t\r\n")
	for i := len(stack) - 1; i >= 0; i-- {
		b := stack[i].boundary
		if s == b {
			return i, false
		}
		if s == b+"--" {
			return i, true
		}
	}
	return -1, false
}

// readHeader reads a header up to and including the empty line that ends
// it (or the end of the input).
func readHeader(br *bufio.Reader) ([]byte, error) {
	var raw []byte
	atStart := true
	for {
		line, err := br.ReadSlice('\n')
		raw = append(raw, line...)
		if len(raw) > maxHeader {
			return nil, fmt.Errorf("a part's header is over %d bytes", maxHeader)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			atStart = false
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err != nil || atStart && isBlank(line) {
			return raw, nil
		}
		atStart = true
	}
}

// isBlank reports whether line is an empty line with its line end.
func isBlank(line []byte) bool { return string(line) == "\n" || string(line) == "\r\n" }

// header is a raw header split into fields (each with its continuation
// lines).
type header struct{ fields [][]byte }

func parseHeader(raw []byte) header {
	var h header
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		line := raw
		if i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		if (line[0] == ' ' || line[0] == '\t') && len(h.fields) > 0 {
			h.fields[len(h.fields)-1] = append(h.fields[len(h.fields)-1], line...)
			continue
		}
		h.fields = append(h.fields, bytes.Clone(line))
	}
	return h
}

// name returns a field's name, or "" for a line that is not a field.
func fieldName(f []byte) string {
	i := bytes.IndexByte(f, ':')
	if i <= 0 {
		return ""
	}
	return strings.TrimSpace(string(f[:i]))
}

// get returns the unfolded value of the first field named name.
func (h header) get(name string) string {
	for _, f := range h.fields {
		if strings.EqualFold(fieldName(f), name) {
			v := string(f[bytes.IndexByte(f, ':')+1:])
			v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (h header) has(name string) bool {
	for _, f := range h.fields {
		if strings.EqualFold(fieldName(f), name) {
			return true
		}
	}
	return false
}

// without returns the raw header less the fields named name.
func (h header) without(name string) []byte {
	var out []byte
	for _, f := range h.fields {
		if !strings.EqualFold(fieldName(f), name) {
			out = append(out, f...)
		}
	}
	return out
}

// attachmentFile finds a kept-apart part's file in dir: the one file there
// (Apple Mail names files it had no name for in the Mac's language, so the
// header's name is not always the file's), else the file the header
// names.
func attachmentFile(dir string, h header, typeName string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, e.Name())
		}
	}
	if len(files) == 1 {
		return filepath.Join(dir, files[0]), true
	}
	var dec mime.WordDecoder
	var names []string
	if _, p, err := mime.ParseMediaType(h.get("Content-Disposition")); err == nil && p["filename"] != "" {
		names = append(names, p["filename"])
	}
	if typeName != "" {
		names = append(names, typeName)
	}
	for _, n := range names {
		if d, err := dec.DecodeHeader(n); err == nil {
			n = d
		}
		for _, f := range files {
			if f == filepath.Base(n) {
				return filepath.Join(dir, f), true
			}
		}
	}
	return "", false
}

// counter counts what is written to it; rebuild adds the sizes of parts it
// does not read.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// base64Line is how many bytes one 76-character line of base64 holds
// (RFC 2045, 6.8).
const base64Line = 57

// base64Size is the size of n bytes in base64, in lines of 76 characters
// separated by eol.
func base64Size(n int64, eol string) int64 {
	if n == 0 {
		return 0
	}
	lines := (n + base64Line - 1) / base64Line
	return (n+2)/3*4 + (lines-1)*int64(len(eol))
}

// fill writes a kept-apart part's body from its file in dir, then eol (the
// line end before the next boundary), and reports whether it found the
// file. Without the file, it writes eol alone: the part stays empty.
func fill(w io.Writer, dir string, h header, typeName, eol string) (bool, error) {
	path, ok := attachmentFile(dir, h, typeName)
	if !ok {
		_, err := io.WriteString(w, eol)
		return false, err
	}
	enc := strings.ToLower(h.get("Content-Transfer-Encoding"))
	if c, measuring := w.(*counter); measuring && enc != "quoted-printable" {
		fi, err := os.Stat(path)
		if err != nil {
			return false, err
		}
		if enc == "base64" {
			c.n += base64Size(fi.Size(), eol)
		} else {
			c.n += fi.Size()
		}
		c.n += int64(len(eol))
		return true, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	switch enc {
	case "base64":
		err = writeBase64(w, fh, eol)
	case "quoted-printable":
		qw := quotedprintable.NewWriter(eolWriter{w, eol})
		if _, err = io.Copy(qw, fh); err == nil {
			err = qw.Close()
		}
	default: // 7bit, 8bit, binary: the file is the body
		_, err = io.Copy(w, fh)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	_, err = io.WriteString(w, eol)
	return true, err
}

// writeBase64 writes r in base64, 76 characters a line, lines separated by
// eol.
func writeBase64(w io.Writer, r io.Reader, eol string) error {
	in := make([]byte, base64Line*64)
	out := make([]byte, 0, len(in)/base64Line*(76+len(eol)))
	first := true
	for {
		n, err := io.ReadFull(r, in)
		out = out[:0]
		for i := 0; i < n; i += base64Line {
			if !first {
				out = append(out, eol...)
			}
			first = false
			out = base64.StdEncoding.AppendEncode(out, in[i:min(i+base64Line, n)])
		}
		if _, werr := w.Write(out); werr != nil {
			return werr
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// eolWriter writes what quotedprintable.Writer writes (CRLF line ends, bare
// CRs and LFs of the input encoded) with eol as the line end.
type eolWriter struct {
	w   io.Writer
	eol string
}

func (e eolWriter) Write(p []byte) (int, error) {
	if e.eol == "\r\n" {
		return e.w.Write(p)
	}
	if _, err := e.w.Write(bytes.ReplaceAll(p, []byte("\r\n"), []byte(e.eol))); err != nil {
		return 0, err
	}
	return len(p), nil
}
