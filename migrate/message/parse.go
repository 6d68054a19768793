package message

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// source wraps the caller's reader: it counts bytes, checks the context on
// every read and marks every error but io.EOF as fatal.
type source struct {
	ctx    context.Context
	r      io.Reader
	n      int64
	err    error
	stalls int
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = &fatalError{op: "parse message", err: err}
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case err == io.EOF:
		s.err = io.EOF
	case err != nil:
		s.err = &fatalError{op: "read message", err: err}
	case n == 0:
		// Give up before bufio does (after 100), so that the error is fatal.
		if s.stalls++; s.stalls >= 50 {
			s.err = &fatalError{op: "read message", err: io.ErrNoProgress}
		}
	default:
		s.stalls = 0
	}
	return n, s.err
}

// segment is one piece of body text, decoded to UTF-8 and spooled.
type segment struct {
	html bool
	sp   *spool
}

// entity is one MIME entity: the message itself or a part.
type entity struct {
	path    string // "" for the message, "1", "1.2", ... (IMAP part numbers)
	depth   int
	h       *header
	ct      mediaType // Content-Type, defaulted
	cd      mediaType // Content-Disposition
	cte     string    // normalized Content-Transfer-Encoding
	related bool      // a part of multipart/related other than the root
}

// parser is the state of one Parse.
type parser struct {
	ctx      context.Context
	o        Options
	m        *Message
	att      budget // attachment content in memory
	text     budget // body text in memory
	spools   []*spool
	nparts   int
	extra    int // problems beyond MaxProblems
	headRaw  *spool
	fallback []*Attachment // attachments added at the end (kept content)
}

// Parse reads one RFC 5322 message from r in a single pass and returns what
// a Graph message is built from. Memory stays bounded whatever the size of
// the message: attachment content beyond Options.MemoryLimit and body text
// beyond Options.MaxBodyBytes go to spool files, which Message.Close
// removes.
//
// Parse does not fail on defective mail: it tolerates what it can, records
// it in Message.Problems and keeps all content somewhere (the body, an
// attachment, or as a last resort the original message attached as
// original.eml); only the alternatives not chosen in a
// multipart/alternative are dropped, being renditions of the body. It returns an error only when reading r fails, when ctx is
// done, or when a spool file cannot be written; the error wraps the cause
// and no spool file is left behind.
func Parse(ctx context.Context, r io.Reader, opts *Options) (*Message, error) {
	o := resolveOptions(opts)
	p := &parser{
		ctx:  ctx,
		o:    o,
		m:    &Message{Importance: "normal"},
		att:  budget{limit: max(o.MemoryLimit, 0)},
		text: budget{limit: o.MaxBodyBytes},
	}
	src := &source{ctx: ctx, r: r}
	err := p.run(src)
	p.m.Size = src.n
	if err != nil {
		for _, s := range p.spools {
			s.remove()
		}
		return nil, fmt.Errorf("message: %w", err)
	}
	// Keep the spools attachments own; remove the others.
	owned := map[*spool]bool{}
	for _, a := range p.m.Attachments {
		owned[a.content] = true
	}
	for _, s := range p.spools {
		if owned[s] {
			p.m.spools = append(p.m.spools, s)
		} else {
			s.remove()
		}
	}
	if p.extra > 0 {
		p.m.Problems = append(p.m.Problems, fmt.Sprintf("%d more problems not listed", p.extra))
	}
	return p.m, nil
}

func resolveOptions(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.SpoolDir == "" {
		o.SpoolDir = os.TempDir()
	}
	if o.MemoryLimit == 0 {
		o.MemoryLimit = DefaultMemoryLimit
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	o.MaxBodyBytes = max(o.MaxBodyBytes, 1024)
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	o.MaxHeaderBytes = min(max(o.MaxHeaderBytes, 1024), 1<<30)
	return o
}

func (p *parser) newSpool(b *budget) *spool {
	s := newSpool(p.o.SpoolDir, b)
	p.spools = append(p.spools, s)
	return s
}

// label names an entity in problems.
func label(path string) string {
	if path == "" {
		return "message"
	}
	return "part " + path
}

func (p *parser) problem(path, format string, args ...any) {
	if len(p.m.Problems) >= MaxProblems {
		p.extra++
		return
	}
	p.m.Problems = append(p.m.Problems, label(path)+": "+fmt.Sprintf(format, args...))
}

// copy copies r to w. A fatal error is returned; any other error cuts the
// content short and is recorded.
func (p *parser) copy(path string, w io.Writer, r io.Reader) error {
	_, err := io.Copy(w, r)
	if err == nil {
		return nil
	}
	if isFatal(err) {
		return err
	}
	p.problem(path, "content cut short: %v", err)
	return nil
}

// fatal filters an error: fatal errors are returned, others recorded.
func (p *parser) fatal(path string, err error) error {
	if err == nil || isFatal(err) {
		return err
	}
	p.problem(path, "%v", err)
	return nil
}

func (p *parser) run(src *source) error {
	br := bufio.NewReaderSize(src, 2*bufSize)
	p.headRaw = p.newSpool(&p.text)
	h, err := readHeader(br, int(p.o.MaxHeaderBytes), p.headRaw, true)
	if err := p.fatal("", err); err != nil {
		return err
	}
	if err := p.headRaw.finish(); err != nil {
		return err
	}
	if h.mbox {
		p.problem("", "mbox \"From \" line before the header skipped")
	}
	root := p.newEntity("", 0, h, "text/plain")
	p.headerProblems("", h)
	p.envelope(h)

	var segs []segment
	if h.empty {
		// No header at all: the input is text, and kept whole as well.
		p.problem("", "no header; the input is the body, and is attached unchanged as original.eml")
		raw := p.newSpool(&p.att)
		seg, err := p.readText(root, io.TeeReader(br, raw), false)
		if err != nil {
			return err
		}
		segs = []segment{seg}
		if err := raw.finish(); err != nil {
			return err
		}
		if err := p.attachJoined("original.eml", "message/rfc822", p.headRaw, nil, raw); err != nil {
			return err
		}
	} else {
		segs, err = p.walk(root, br)
		if err != nil {
			return err
		}
	}
	// Everything is normally read by now; if a decoder gave up early, the
	// rest is kept as it is.
	rest := p.newSpool(&p.att)
	_, err = io.Copy(rest, br)
	if err := p.fatal("", err); err != nil {
		return err
	}
	if rest.size > 0 {
		p.problem("", "%d bytes left unread by the parser, attached as unparsed-data.bin", rest.size)
		if err := p.addAttachmentFallback(rest, "unparsed-data.bin", "application/octet-stream"); err != nil {
			return err
		}
	}
	if err := p.assemble(segs); err != nil {
		return err
	}
	if h.rawCut {
		p.problem("", "header block is %d bytes; RawHeader keeps the first %d and the whole block is attached as original-headers.txt", h.size, len(p.m.RawHeader))
		if err := p.attachJoined("original-headers.txt", "text/rfc822-headers", p.headRaw); err != nil {
			return err
		}
	}
	p.m.Attachments = append(p.m.Attachments, p.fallback...)
	p.markInline()
	return nil
}

// newEntity interprets the MIME fields of a header.
func (p *parser) newEntity(path string, depth int, h *header, defaultType string) *entity {
	e := &entity{path: path, depth: depth, h: h}
	if v := h.get("Content-Type"); v != "" {
		e.ct = parseMediaType(v)
		if e.ct.bad {
			p.problem(path, "malformed Content-Type %q, read leniently", clip(v))
		}
		if !validMediaType(e.ct.value) {
			guess := "application/octet-stream"
			if e.ct.value == "text" || e.ct.value == "" {
				guess = "text/plain"
			}
			p.problem(path, "invalid media type %q, read as %s", clip(e.ct.value), guess)
			e.ct.value = guess
		}
	} else {
		e.ct = mediaType{value: defaultType, params: map[string]string{}}
	}
	if v := h.get("Content-Disposition"); v != "" {
		e.cd = parseMediaType(v)
	} else {
		e.cd.params = map[string]string{}
	}
	e.cte = normalizeCTE(h.get("Content-Transfer-Encoding"))
	return e
}

// validMediaType reports whether v is type/subtype made of token characters.
func validMediaType(v string) bool {
	t, sub, ok := strings.Cut(v, "/")
	if !ok || t == "" || sub == "" {
		return false
	}
	for i := range len(v) {
		c := v[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in a problem.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 77
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

// headerProblems records the defects readHeader tolerated.
func (p *parser) headerProblems(path string, h *header) {
	if h.empty && path != "" {
		p.problem(path, "no header and no empty line before the content; read as %s", "text/plain")
	}
	if len(h.latin) > 0 {
		p.problem(path, "8-bit bytes that are not UTF-8 in %s, decoded as windows-1252", strings.Join(dedupe(h.latin), ", "))
	}
	if len(h.cut) > 0 {
		p.problem(path, "header fields longer than %d bytes cut: %s", p.o.MaxHeaderBytes, strings.Join(dedupe(h.cut), ", "))
	}
	if h.dropped > 0 {
		p.problem(path, "%d header fields ignored: the header holds more than %d bytes of them", h.dropped, 4*p.o.MaxHeaderBytes)
	}
	if h.junk > 0 {
		p.problem(path, "%d lines in the header that are not fields skipped", h.junk)
	}
	if h.noBlank {
		p.problem(path, "header not ended by an empty line; the content starts at the first line that is not a field")
	}
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// walk reads one entity's body and returns its contribution to the message
// body; attachments are added on the way.
func (p *parser) walk(e *entity, body io.Reader) ([]segment, error) {
	p.nparts++
	major, _, _ := strings.Cut(e.ct.value, "/")
	switch {
	case major == "multipart":
		if e.depth >= MaxDepth {
			name := "part-" + e.path + ".eml"
			p.problem(e.path, "multipart nested deeper than %d levels; kept unparsed as %s", MaxDepth, name)
			return nil, p.attachRaw(e, body, name)
		}
		return p.walkMultipart(e, body)
	case e.ct.value == "message/rfc822" || e.ct.value == "message/global":
		return nil, p.attachMessage(e, body)
	case (e.ct.value == "text/plain" || e.ct.value == "text/html") && p.isBodyText(e):
		seg, err := p.readText(e, body, e.ct.value == "text/html")
		if err != nil {
			return nil, err
		}
		return []segment{seg}, nil
	default:
		return nil, p.attachLeaf(e, body)
	}
}

// isBodyText reports whether a text/plain or text/html entity is body text
// rather than an attachment: it is not marked as an attachment, has no file
// name, and is not a resource of multipart/related.
func (p *parser) isBodyText(e *entity) bool {
	return !e.related && e.cd.value != "attachment" && e.cd.params["filename"] == "" && e.ct.params["name"] == ""
}

// isRootCandidate reports whether a part of that media type can be the root
// of a multipart/related.
func isRootCandidate(mt string) bool {
	return mt == "text/html" || mt == "text/plain" || strings.HasPrefix(mt, "multipart/")
}

func rank(segs []segment) int {
	r := 0
	for _, s := range segs {
		if s.html {
			return 2
		}
		r = 1
	}
	return r
}

func (p *parser) dropSegments(segs []segment) {
	for _, s := range segs {
		s.sp.remove()
	}
}

func childPath(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

func (p *parser) walkMultipart(e *entity, body io.Reader) ([]segment, error) {
	sub := strings.TrimPrefix(e.ct.value, "multipart/")
	if e.cte == "base64" || e.cte == "quoted-printable" {
		p.problem(e.path, "multipart with Content-Transfer-Encoding %s (not allowed); decoded", e.cte)
		var report func()
		body, report = p.decodeCTE(e, body)
		defer report()
	}
	boundary := strings.TrimRight(e.ct.params["boundary"], " \t")
	if boundary == "" || len(boundary) > maxBoundary {
		raw := p.newSpool(&p.text)
		if err := p.copy(e.path, raw, body); err != nil {
			return nil, err
		}
		reason := "multipart/" + sub + " without a boundary"
		if boundary != "" {
			reason = fmt.Sprintf("multipart/%s boundary longer than %d bytes", sub, maxBoundary)
		}
		return p.unsplittable(e, raw, reason)
	}
	sp := newSplitter(body, boundary)
	pre := p.newSpool(&p.text)
	found, err := sp.preamble(pre)
	if err := p.fatal(e.path, err); err != nil {
		return nil, err
	}
	if !found {
		return p.unsplittable(e, pre, fmt.Sprintf("boundary %q of multipart/%s never appears", clip(boundary), sub))
	}
	if err := p.keepText(e, pre, "preamble.txt", "text before the first part", true); err != nil {
		return nil, err
	}

	var segs, best []segment
	bestRank := 0
	rootFound := false
	start := strings.Trim(strings.TrimSpace(e.ct.params["start"]), "<>")
	for i := 1; ; i++ {
		ok, err := sp.next()
		if err := p.fatal(e.path, err); err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if p.nparts >= MaxParts {
			name := "unparsed-parts.txt"
			p.problem(e.path, "more than %d MIME parts; the rest is kept unparsed as %s", MaxParts, name)
			a := p.newSpool(&p.att)
			if err := p.fatal(e.path, sp.rest(a)); err != nil {
				return nil, err
			}
			if err := p.addAttachment(a, name, "text/plain", "", true); err != nil {
				return nil, err
			}
			break
		}
		br := bufio.NewReaderSize(sp, bufSize)
		h, err := readHeader(br, int(p.o.MaxHeaderBytes), nil, false)
		if err := p.fatal(e.path, err); err != nil {
			return nil, err
		}
		defType := "text/plain"
		if sub == "digest" {
			defType = "message/rfc822"
		}
		path := childPath(e.path, i)
		p.headerProblems(path, h)
		child := p.newEntity(path, e.depth+1, h, defType)
		if sub == "related" {
			// The root is the first part that can be a body, or the one
			// named by start; the rest are resources (RFC 2387).
			if !rootFound && (isRootCandidate(child.ct.value) || start != "" && contentID(h) == start) {
				rootFound = true
			} else {
				child.related = true
			}
		}
		cs, err := p.walk(child, br)
		if err != nil {
			return nil, err
		}
		if sub != "alternative" {
			segs = append(segs, cs...)
			continue
		}
		// RFC 2046 section 5.1.4: the last alternative the reader can show
		// is the best; HTML is preferred to plain text.
		if r := rank(cs); r > 0 && r >= bestRank {
			p.dropSegments(best)
			best, bestRank = cs, r
		} else {
			p.dropSegments(cs)
		}
	}
	if sub == "alternative" {
		segs = best
	}
	switch sp.state {
	case spClosed:
		ep := p.newSpool(&p.text)
		if err := p.fatal(e.path, sp.epilogue(ep)); err != nil {
			return nil, err
		}
		if err := p.keepText(e, ep, "epilogue.txt", "text after the closing boundary", false); err != nil {
			return nil, err
		}
	case spEOF:
		p.problem(e.path, "multipart/%s has no closing boundary", sub)
	}
	return segs, nil
}

// keepText drops a preamble or epilogue that is only white space, or a
// preamble that is a short notice ("This is a multi-part message in MIME
// format."), as RFC 2046 section 5.1.1 says readers should ignore them;
// anything else is attached so that it is not lost (a broken mailer's
// content, or a list footer added after the closing boundary).
func (p *parser) keepText(e *entity, sp *spool, name, what string, notice bool) error {
	if err := sp.finish(); err != nil {
		return err
	}
	head, err := sp.readPrefix(4096)
	if err != nil {
		return err
	}
	blank := len(strings.TrimSpace(string(head))) == 0 && sp.size <= 4096
	if blank || notice && sp.size <= 512 && isNotice(head) {
		return sp.remove()
	}
	p.problem(e.path, "%s (%d bytes) attached as %s", what, sp.size, name)
	return p.addAttachmentFallback(sp, name, "text/plain")
}

// isNotice reports whether b is blank or at most three lines of prose, with
// no boundary-like or field-like line.
func isNotice(b []byte) bool {
	lines := 0
	for line := range strings.Lines(string(b)) {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		lines++
		if strings.HasPrefix(t, "--") || lines > 3 {
			return false
		}
		if i := strings.IndexByte(t, ':'); i > 0 && !strings.ContainsAny(t[:i], " \t") {
			return false
		}
	}
	return true
}

// unsplittable handles a multipart whose parts cannot be found: its raw
// content becomes text of the body, best effort, and the entity is attached
// unchanged (the whole message as original.eml at the top).
func (p *parser) unsplittable(e *entity, raw *spool, reason string) ([]segment, error) {
	if err := raw.finish(); err != nil {
		return nil, err
	}
	name := "original.eml"
	if e.path != "" {
		name = "part-" + e.path + ".eml"
	}
	p.problem(e.path, "%s; its content is read as plain text and kept unchanged as %s", reason, name)
	rc, err := raw.open()
	if err != nil {
		return nil, &fatalError{op: "read spool file", err: err}
	}
	te := *e
	te.cte = "" // already decoded, if it was encoded
	seg, err := p.readText(&te, rc, false)
	rc.Close()
	if err != nil {
		return nil, err
	}
	if e.path == "" {
		err = p.attachJoined(name, "message/rfc822", p.headRaw, raw)
	} else {
		err = p.attachJoined(name, "message/rfc822", e.h.raw, "\r\n", raw)
	}
	if err != nil {
		return nil, err
	}
	return []segment{seg}, raw.remove()
}

// attachJoined adds an attachment made of pieces: spools, byte slices and
// strings. It is added after the others.
func (p *parser) attachJoined(name, contentType string, pieces ...any) error {
	a := p.newSpool(&p.att)
	for _, piece := range pieces {
		var err error
		switch v := piece.(type) {
		case *spool:
			var rc io.ReadCloser
			if rc, err = v.open(); err != nil {
				return &fatalError{op: "read spool file", err: err}
			}
			_, err = io.Copy(a, rc)
			rc.Close()
		case []byte:
			_, err = a.Write(v)
		case string:
			_, err = a.WriteString(v)
		case nil:
		}
		if err != nil {
			return err
		}
	}
	return p.addAttachmentFallback(a, name, contentType)
}

// attachRaw attaches an entity unparsed: its header and raw body.
func (p *parser) attachRaw(e *entity, body io.Reader, name string) error {
	a := p.newSpool(&p.att)
	if _, err := a.Write(e.h.raw); err != nil {
		return err
	}
	if _, err := a.WriteString("\r\n"); err != nil {
		return err
	}
	if err := p.copy(e.path, a, body); err != nil {
		return err
	}
	return p.addAttachment(a, name, "message/rfc822", "", false)
}

// decodeCTE returns body decoded from its Content-Transfer-Encoding and a
// function that records the defects found, to call once body is read.
func (p *parser) decodeCTE(e *entity, body io.Reader) (io.Reader, func()) {
	switch e.cte {
	case "":
		return body, func() {}
	case "base64":
		d := &b64Decoder{}
		return newDecodeReader(body, d), func() {
			if d.invalid > 0 || d.lost > 0 {
				p.problem(e.path, "bad base64: %d characters outside the alphabet skipped, %d dangling characters dropped", d.invalid, d.lost)
			}
		}
	case "quoted-printable":
		d := &qpDecoder{}
		return newDecodeReader(body, d), func() {
			if d.invalid > 0 {
				p.problem(e.path, "bad quoted-printable: %d malformed escapes kept as they are", d.invalid)
			}
		}
	}
	p.problem(e.path, "unknown Content-Transfer-Encoding %q, content kept as it is", clip(e.cte))
	return body, func() {}
}

// readText decodes a text entity into a body segment.
func (p *parser) readText(e *entity, body io.Reader, html bool) (segment, error) {
	dec, report := p.decodeCTE(e, body)
	br := bufio.NewReaderSize(dec, bufSize)
	cs := lookupCharset(e.ct.params["charset"])
	if html && (cs.kind == csNone || cs.kind == csASCII || cs.kind == csUnknown) {
		peek, err := br.Peek(4096)
		if err != nil && isFatal(err) {
			return segment{}, err
		}
		if label := metaCharset(peek); label != "" {
			if mcs := lookupCharset(label); mcs.kind != csUnknown && mcs.kind != csNone {
				cs = mcs
			}
		}
	}
	r, ad := cs.textReader(br)
	sp := p.newSpool(&p.text)
	if err := p.copy(e.path, sp, r); err != nil {
		return segment{}, err
	}
	if err := sp.finish(); err != nil {
		return segment{}, err
	}
	report()
	if msg := cs.outcome(ad); msg != "" {
		p.problem(e.path, "%s", msg)
	}
	return segment{html: html, sp: sp}, nil
}

// attachLeaf adds a leaf entity as an attachment.
func (p *parser) attachLeaf(e *entity, body io.Reader) error {
	dec, report := p.decodeCTE(e, body)
	sp := p.newSpool(&p.att)
	if err := p.copy(e.path, sp, dec); err != nil {
		return err
	}
	report()
	return p.addAttachment(sp, p.attachmentName(e), e.ct.value, contentID(e.h), false)
}

// attachMessage adds a message/rfc822 entity as a .eml attachment, named
// after its file name or its subject.
func (p *parser) attachMessage(e *entity, body io.Reader) error {
	if e.cte == "base64" || e.cte == "quoted-printable" {
		p.problem(e.path, "message/rfc822 with Content-Transfer-Encoding %s (not allowed); decoded", e.cte)
	}
	dec, report := p.decodeCTE(e, body)
	sp := p.newSpool(&p.att)
	br := bufio.NewReaderSize(io.TeeReader(dec, sp), bufSize)
	h, err := readHeader(br, int(p.o.MaxHeaderBytes), nil, true)
	if err != nil && isFatal(err) {
		return err
	}
	if err := p.copy(e.path, io.Discard, br); err != nil {
		return err
	}
	report()
	name := fileName(e)
	if name == "" {
		subject, _ := headerString(h.get("Subject"))
		subject = strings.Map(func(r rune) rune {
			if strings.ContainsRune(`<>:"/\|?*`, r) {
				return '_'
			}
			return r
		}, truncateRunes(subject, 100))
		if name = sanitizeName(subject); name != "" {
			name += ".eml"
		} else {
			name = "message.eml"
		}
	}
	return p.addAttachment(sp, name, "message/rfc822", contentID(e.h), false)
}

// contentID returns Content-ID without angle brackets (MS-OXCMAIL section
// 2.2.3.4.1.4).
func contentID(h *header) string {
	v := strings.TrimSpace(cleanText(h.get("Content-Id")))
	v = strings.TrimPrefix(v, "<")
	if i := strings.IndexByte(v, '>'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// addAttachment finishes a spool and adds it as an attachment. A fallback
// attachment (content Parse keeps on its own) goes after the others.
func (p *parser) addAttachment(sp *spool, name, contentType, cid string, fallback bool) error {
	if err := sp.finish(); err != nil {
		return err
	}
	a := &Attachment{
		Name:        name,
		ContentType: contentType,
		ContentID:   cid,
		Size:        sp.size,
		SHA256:      sp.sum,
		content:     sp,
		msg:         p.m,
	}
	if fallback {
		p.fallback = append(p.fallback, a)
	} else {
		p.m.Attachments = append(p.m.Attachments, a)
	}
	return nil
}

func (p *parser) addAttachmentFallback(sp *spool, name, contentType string) error {
	return p.addAttachment(sp, name, contentType, "", true)
}
