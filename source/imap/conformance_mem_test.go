package imap

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

// TestConformanceMemServer runs the source conformance suite against the
// in-memory IMAP server (testserver.MemIMAP, through the fixture).
func TestConformanceMemServer(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	date := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 4 {
		fx.appendMsg("INBOX", fmt.Appendf(nil, "Message-ID: <c%d@example.com>\r\nSubject: conformance %d\r\n\r\nbody %d\r\n", i, i, i), date.Add(time.Duration(i)*time.Minute))
	}
	fx.mustCreate("Sent")
	fx.appendMsg("Sent", []byte("Subject: sent\r\n\r\nsent body\r\n"), date)
	open := func(mutate func(o *Options)) source.Opener {
		return func(ctx context.Context) (source.Account, error) {
			o := fx.options(SecurityTLS)
			o.MaxRetries = 1
			if mutate != nil {
				mutate(o)
			}
			return Dial(ctx, o)
		}
	}
	sourcetest.Run(t, sourcetest.Harness{
		Open:    open(nil),
		BadAuth: open(func(o *Options) { o.Password = "wrong" }),
	})
}
