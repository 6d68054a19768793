package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
)

// msgReader streams one message's content from its file: the bytes of
// [start, end) through a bounded buffer, without Thunderbird's own header
// fields (see stripped) and with From_ escaping undone, line by line, as
// the scan that measured it decided.
type msgReader struct {
	f         *os.File
	br        *bufio.Reader
	mode      Escaping
	inHeader  bool
	stripping bool
	midLine   bool // the next fragment continues a line
	dropLine  bool // the line being read is dropped
	out       []byte
	err       error
}

func newMsgReader(f *os.File, m *message, mode Escaping) *msgReader {
	return &msgReader{
		f:        f,
		br:       bufio.NewReaderSize(io.NewSectionReader(f, m.start, m.end-m.start), maxHead),
		mode:     mode,
		inHeader: true,
	}
}

// Read implements io.Reader.
func (r *msgReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// fill reads the next fragment of a line and sets out to what of it is
// yielded.
func (r *msgReader) fill() {
	frag, err := r.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		err = nil
	case err != nil:
		r.err = err
	}
	if len(frag) == 0 {
		return
	}
	endsLine := frag[len(frag)-1] == '\n'
	if !r.midLine {
		r.dropLine = false
		text := trimEOL(frag)
		whole := endsLine || r.err != nil
		switch {
		case r.inHeader && whole && len(text) == 0:
			r.inHeader, r.stripping = false, false
		case r.inHeader && r.stripping && len(text) > 0 && (text[0] == ' ' || text[0] == '\t'):
			r.dropLine = true
		case r.inHeader:
			r.stripping = false
			if name, _, ok := bytes.Cut(text, []byte(":")); ok && isStripped(name) {
				r.stripping, r.dropLine = true, true
			}
		}
		if !r.dropLine && unescapes(text, r.mode) {
			frag = frag[1:]
		}
	}
	r.midLine = !endsLine
	if !r.dropLine {
		r.out = frag
	}
}

// Close closes the file.
func (r *msgReader) Close() error { return r.f.Close() }
