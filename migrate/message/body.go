package message

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// assemble makes Body from the body segments, in order.
//
// One segment is the body as it is. Several (inline text parts of a
// multipart/mixed: a list footer after the text, or the pieces Apple Mail
// writes around inline images) are joined, as Exchange builds an "aggregate
// body" (MS-OXCMAIL section 2.2.3.3.2.2): if any is HTML the body is HTML,
// plain pieces are escaped with <br> line breaks, and HTML pieces after the
// first lose their <html>/<body> wrappers and go inside the first one's
// <body>.
//
// A body longer than MaxBodyBytes is cut at a character boundary with a
// note, and the whole text is attached as body.html or body.txt (UTF-8 with
// a byte order mark, so that a browser or editor reads it as UTF-8 whatever
// its <meta> says).
func (p *parser) assemble(segs []segment) error {
	m := p.m
	m.Body = Body{ContentType: "text"}
	if len(segs) == 0 {
		return nil
	}
	isHTML := rank(segs) == 2
	if isHTML {
		m.Body.ContentType = "html"
	}
	limit := p.o.MaxBodyBytes
	var total int64
	for _, s := range segs {
		total += s.sp.size
	}
	var full string
	if total <= limit {
		texts := make([]string, len(segs))
		for i, s := range segs {
			b, err := s.sp.readPrefix(s.sp.size)
			if err != nil {
				return err
			}
			texts[i] = string(b)
		}
		full = joinSegments(segs, texts, isHTML)
		if int64(len(full)) <= limit {
			if isHTML {
				full = fixMetaCharset(full)
			}
			m.Body.Content = full
			return nil
		}
	}

	// Too long: attach the whole text, keep the start.
	name := "body.txt"
	ct := "text/plain"
	if isHTML {
		name, ct = "body.html", "text/html"
	}
	a := p.newSpool(&p.att)
	if _, err := a.WriteString("\uFEFF"); err != nil {
		return err
	}
	if full != "" {
		if _, err := a.WriteString(full); err != nil {
			return err
		}
	} else {
		for _, s := range segs {
			if err := writeSegment(a, s, isHTML); err != nil {
				return err
			}
		}
	}
	if err := a.finish(); err != nil {
		return err
	}
	note := "\r\n\r\n[The message text is longer than " + strconv.FormatInt(limit, 10) + " bytes; the whole text is attached as " + name + ".]\r\n"
	if isHTML {
		note = "<p>[The message text is longer than " + strconv.FormatInt(limit, 10) + " bytes; the whole text is attached as " + name + ".]</p>"
	}
	keep := limit - int64(len(note))
	const bom = int64(len("\uFEFF"))
	b, err := a.readPrefix(bom + keep)
	if err != nil {
		return err
	}
	b = b[bom:]
	for len(b) > 0 && !utf8.Valid(b[max(0, len(b)-utf8.UTFMax):]) {
		b = b[:len(b)-1] // do not cut a character in two
	}
	content := string(b) + note
	if isHTML {
		content = fixMetaCharset(content)
	}
	m.Body.Content = content
	p.problem("", "body text is %d bytes; Body keeps the first %d and the whole text is attached as %s", a.size-bom, len(b), name)
	return p.addAttachmentFallback(a, name, ct)
}

// writeSegment streams a segment into w, escaping plain text into HTML when
// the body is HTML.
func writeSegment(w *spool, s segment, isHTML bool) error {
	rc, err := s.sp.open()
	if err != nil {
		return &fatalError{op: "read spool file", err: err}
	}
	defer rc.Close()
	buf := make([]byte, 32<<10)
	var carry []byte
	for {
		n, rerr := rc.Read(buf)
		chunk := buf[:n]
		if isHTML && !s.html {
			// Escape whole characters only: hold back a split one.
			chunk = append(carry, chunk...)
			cut := len(chunk)
			if start := lastRuneStart(chunk); rerr == nil && !utf8.FullRune(chunk[start:]) {
				cut = start
			}
			carry = append([]byte{}, chunk[cut:]...)
			if _, err := w.WriteString(plainToHTML(string(chunk[:cut]))); err != nil {
				return err
			}
		} else if _, err := w.Write(chunk); err != nil {
			return err
		}
		if rerr != nil {
			return nil
		}
	}
}

func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for i > 0 && b[i]&0xC0 == 0x80 {
		i--
	}
	return max(i, 0)
}

// joinSegments joins body segments held in memory.
func joinSegments(segs []segment, texts []string, isHTML bool) string {
	if len(texts) == 1 {
		if isHTML && !segs[0].html {
			return "<div>" + plainToHTML(texts[0]) + "</div>"
		}
		return texts[0]
	}
	var b strings.Builder
	if !isHTML {
		for i, t := range texts {
			if i > 0 && !strings.HasSuffix(texts[i-1], "\n") {
				b.WriteString("\r\n")
			}
			b.WriteString(t)
		}
		return b.String()
	}
	first := -1
	for i, s := range segs {
		if s.html {
			first = i
			break
		}
	}
	head, _, tail := splitHTML(texts[first])
	b.WriteString(head)
	for i, t := range texts {
		switch {
		case !segs[i].html:
			b.WriteString("<div>" + plainToHTML(t) + "</div>")
		default:
			_, inner, _ := splitHTML(t)
			b.WriteString(inner)
		}
	}
	b.WriteString(tail)
	return b.String()
}

// splitHTML splits a document at its <body> tags: head ends with the <body
// ...> tag, tail starts at </body>. Without a <body> tag, all is inner.
func splitHTML(s string) (head, inner, tail string) {
	lower := strings.ToLower(s)
	i := strings.Index(lower, "<body")
	if i < 0 {
		return "", s, ""
	}
	gt := strings.IndexByte(lower[i:], '>')
	if gt < 0 {
		return "", s, ""
	}
	start := i + gt + 1
	end := strings.LastIndex(lower, "</body")
	if end < start {
		end = len(s)
	}
	return s[:start], s[start:end], s[end:]
}

// plainToHTML escapes plain text and turns line breaks into <br>.
func plainToHTML(s string) string {
	s = html.EscapeString(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "<br>\r\n")
}

// metaCharset finds the charset an HTML document declares in a <meta> tag.
func metaCharset(b []byte) string {
	re := regexp.MustCompile(`(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([-a-z0-9_.:]+)`)
	if m := re.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// fixMetaCharset rewrites charset declarations in <meta> tags to utf-8: the
// text is UTF-8 now, and a stale declaration could make a client decode it
// again.
func fixMetaCharset(s string) string {
	re := regexp.MustCompile(`(?i)(<meta\b[^>]*?charset\s*=\s*["']?\s*)([-a-z0-9_.:]+)`)
	return re.ReplaceAllString(s, "${1}utf-8")
}

// markInline marks the attachments the HTML body shows through cid: URLs
// (RFC 2392). MS-OXCMAIL section 2.2.3.4.1.4.1 warns that marking an
// attachment inline that the body does not reference can hide it from the
// recipient, so a Content-ID alone is not enough.
func (p *parser) markInline() {
	m := p.m
	if m.Body.ContentType != "html" {
		return
	}
	re := regexp.MustCompile(`(?i)cid:([^"'\s>)]+)`)
	refs := map[string]bool{}
	for _, match := range re.FindAllStringSubmatch(m.Body.Content, -1) {
		id := match[1]
		if u, err := url.PathUnescape(id); err == nil {
			id = u
		}
		refs[strings.ToLower(id)] = true
	}
	for _, a := range m.Attachments {
		if a.ContentID != "" && refs[strings.ToLower(a.ContentID)] {
			a.Inline = true
		}
	}
}

// fileName returns the sanitized file name of an entity, from the
// Content-Disposition filename or the Content-Type name, or "".
func fileName(e *entity) string {
	name := e.cd.params["filename"]
	if name == "" {
		name = e.ct.params["name"]
	}
	return sanitizeName(name)
}

// sanitizeName makes a display name safe as a file name: no directories
// (senders on Windows leave C:\path\ in front), no control characters, at
// most 255 bytes with the extension kept.
func sanitizeName(name string) string {
	name = cleanText(strings.ToValidUTF8(name, "\uFFFD"))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	if len(name) > 255 {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = truncateBytes(name, 255-len(ext)) + ext
	}
	return name
}

// truncateBytes cuts s to at most n bytes at a character boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// attachmentName returns the file name of an attachment entity, or makes one
// up from its media type.
func (p *parser) attachmentName(e *entity) string {
	if name := fileName(e); name != "" {
		return name
	}
	switch e.ct.value {
	case "text/calendar", "application/ics":
		return "invite.ics"
	case "text/vcard", "text/x-vcard", "text/directory":
		return "contact.vcf"
	case "application/pgp-signature":
		return "signature.asc"
	case "application/pkcs7-signature", "application/x-pkcs7-signature":
		return "smime.p7s"
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		return "smime.p7m"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return "winmail.dat"
	case "message/delivery-status", "message/global-delivery-status":
		return "delivery-status.txt"
	case "message/disposition-notification", "message/global-disposition-notification":
		return "disposition-notification.txt"
	case "text/rfc822-headers", "message/global-headers":
		return "headers.txt"
	}
	return "attachment-" + strconv.Itoa(len(p.m.Attachments)+1) + extension(e.ct.value)
}

// extension returns a file extension for a media type.
func extension(mt string) string {
	switch mt {
	case "image/png":
		return ".png"
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/bmp":
		return ".bmp"
	case "image/webp":
		return ".webp"
	case "image/tiff":
		return ".tif"
	case "image/svg+xml":
		return ".svg"
	case "application/pdf":
		return ".pdf"
	case "application/zip":
		return ".zip"
	case "application/json":
		return ".json"
	case "application/xml", "text/xml":
		return ".xml"
	case "text/html":
		return ".html"
	case "text/csv":
		return ".csv"
	case "application/msword":
		return ".doc"
	case "application/vnd.ms-excel":
		return ".xls"
	case "application/vnd.ms-powerpoint":
		return ".ppt"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return ".docx"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return ".xlsx"
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return ".pptx"
	case "audio/mpeg":
		return ".mp3"
	case "video/mp4":
		return ".mp4"
	}
	if strings.HasPrefix(mt, "text/") {
		return ".txt"
	}
	return ".bin"
}
