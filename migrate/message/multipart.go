package message

import (
	"bufio"
	"bytes"
	"io"
)

// bufSize is the size of the line buffers. A line longer than that is read
// in pieces; only a line that fits can be a boundary delimiter, so
// boundaries are limited to maxBoundary.
const (
	bufSize     = 32 << 10
	maxBoundary = 1000
)

// Splitter states.
const (
	spPreamble = iota // before the first delimiter
	spPart            // inside a part
	spBetween         // a delimiter was read; the next part has not started
	spClosed          // the close delimiter was read; the epilogue follows
	spEOF             // the input ended without a close delimiter
)

// splitter splits a multipart body (RFC 2046 section 5.1.1) in one pass,
// leniently: lines may end in CRLF or LF, lines of any length are read in
// pieces, delimiters may carry trailing white space, and a missing close
// delimiter ends the last part at the end of the input. It reads the body of
// the current part through Read; read errors of the input are passed on
// unchanged, nothing else is an error.
//
// The line break before a delimiter belongs to the delimiter: each content
// line's break is held back until the next line proves to be content.
type splitter struct {
	br          *bufio.Reader
	delim       []byte // "--" + boundary
	state       int
	atLineStart bool
	nl          [2]byte // the held-back line break
	nnl         int
	nlOut       [2]byte // a copy of nl being returned through out1
	out1        []byte  // the held-back break being returned
	out2        []byte  // content being returned (into br's buffer)
	err         error   // a read error, returned once out1 and out2 are empty
	parts       int
}

func newSplitter(r io.Reader, boundary string) *splitter {
	return &splitter{
		br:          bufio.NewReaderSize(r, bufSize),
		delim:       []byte("--" + boundary),
		atLineStart: true,
	}
}

// delimiter reports whether line is a delimiter line, and whether it is the
// close delimiter.
func (s *splitter) delimiter(line []byte) (isDelim, isClose bool) {
	if !bytes.HasPrefix(line, s.delim) {
		return false, false
	}
	rest := line[len(s.delim):]
	if bytes.HasPrefix(rest, []byte("--")) {
		isClose = true
		rest = rest[2:]
	}
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return false, false
	}
	return true, isClose
}

// step reads one line (or piece of a long line) and either queues its
// content or ends the current section at a delimiter.
func (s *splitter) step() {
	line, err := s.br.ReadSlice('\n')
	if len(line) == 0 && err != nil {
		if err == io.EOF {
			s.state = spEOF
			s.nlOut = s.nl
			s.out1 = s.nlOut[:s.nnl] // the last break is content after all
			s.nnl = 0
			return
		}
		s.err = err
		return
	}
	if s.atLineStart && err != bufio.ErrBufferFull {
		if ok, isClose := s.delimiter(line); ok {
			s.nnl = 0
			s.atLineStart = true
			if isClose {
				s.state = spClosed
			} else {
				s.state = spBetween
			}
			return
		}
	}
	s.nlOut = s.nl
	s.out1 = s.nlOut[:s.nnl]
	s.nnl = 0
	body := line
	switch {
	case err == nil: // a whole line: hold its break back
		body = line[:len(line)-1]
		s.nl[0], s.nnl = '\n', 1
		if len(body) > 0 && body[len(body)-1] == '\r' {
			body = body[:len(body)-1]
			s.nl[0], s.nl[1], s.nnl = '\r', '\n', 2
		}
		s.atLineStart = true
	case err == bufio.ErrBufferFull:
		s.atLineStart = false
	case err == io.EOF: // the last line, without a break
		s.atLineStart = false
	default:
		s.err = err
	}
	s.out2 = body
}

// Read reads the current part's body (or the preamble).
func (s *splitter) Read(p []byte) (int, error) {
	for {
		if len(s.out1) > 0 {
			n := copy(p, s.out1)
			s.out1 = s.out1[n:]
			return n, nil
		}
		if len(s.out2) > 0 {
			n := copy(p, s.out2)
			s.out2 = s.out2[n:]
			return n, nil
		}
		if s.err != nil {
			return 0, s.err
		}
		if s.state != spPart && s.state != spPreamble {
			return 0, io.EOF
		}
		s.step()
	}
}

// preamble copies the preamble to w and reports whether a delimiter follows.
func (s *splitter) preamble(w io.Writer) (bool, error) {
	if _, err := io.Copy(w, s); err != nil {
		return false, err
	}
	return s.state == spBetween || s.state == spClosed, nil
}

// next moves to the next part, skipping what is left of the current one. It
// returns false when there is none.
func (s *splitter) next() (bool, error) {
	if s.state == spPart || s.state == spPreamble {
		if _, err := io.Copy(io.Discard, s); err != nil {
			return false, err
		}
	}
	if s.state != spBetween {
		return false, nil
	}
	s.state = spPart
	s.parts++
	s.atLineStart = true
	s.nnl = 0
	return true, nil
}

// rest copies to w what follows the last delimiter read, raw: that
// delimiter and everything after it. Only valid between parts.
func (s *splitter) rest(w io.Writer) error {
	if _, err := w.Write(append(append([]byte{}, s.delim...), '\r', '\n')); err != nil {
		return err
	}
	_, err := io.Copy(w, s.br)
	return err
}

// epilogue copies what follows the close delimiter to w.
func (s *splitter) epilogue(w io.Writer) error {
	_, err := io.Copy(w, s.br)
	return err
}
