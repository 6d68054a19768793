package report

import (
	"errors"
	"io"
)

// WritePDF writes d as a PDF.
func WritePDF(w io.Writer, d *Document) error { return errors.New("report: pdf not written yet") }
