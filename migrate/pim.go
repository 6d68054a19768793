package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/migrate/contacts"
	"github.com/migrate-tool/migrate/migrate/events"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// MaxPIMItemBytes bounds one contact or event item (one vCard, one
// iCalendar object with its overrides): it is parsed whole in memory, as
// go-vcard and go-ical do, so a larger one fails with a reason instead.
// Graph's own limits are far below it (a 4 MB photo; an event attachment
// over 3 MB goes through an upload session, but an .ics carrying one
// inline is rare).
const MaxPIMItemBytes = 64 << 20

// ErrBadObject is a contact or event item that holds nothing that
// parses; the error says why. Other items of its folder are not affected.
var ErrBadObject = errors.New("unreadable object")

// pimItem is one source item of kind contact or event, read and mapped:
// what to create for it in the target. One item is usually one contact or
// one event (a series with its exceptions); a vCard file holding several
// cards, or a series Graph cannot express (expanded into single events),
// gives several, each with its own stamp (pimKey).
type pimItem struct {
	// Fingerprint is the content identity of the item's source bytes.
	Fingerprint string
	// Bytes is the number of bytes read.
	Bytes int64
	// Contacts or Events are what to create, stamped (SourceKey and
	// ContentID set).
	Contacts []target.Contact
	Events   []target.Event
	// Notes say, one line each, what the mapping changed, kept in the
	// notes or dropped; Bad are objects of the item that did not parse
	// (the others are created all the same).
	Notes []string
	Bad   []string
	// Fields name, one for each of Notes and in the same order, the
	// property the note is about and what became of it, never a value.
	Fields []pimField
	// Expanded counts the series Graph cannot express that were expanded
	// into single events; ExpandedEvents the events they gave.
	Expanded, ExpandedEvents int
}

// pimField is the property one note of a pimItem is about (EMAIL, TEL,
// RRULE, VALARM...) and what became of it (notes, changed, dropped,
// body).
type pimField struct {
	Property, Action string
}

// Count is the number of target items the source item gives.
func (p *pimItem) Count() int { return len(p.Contacts) + len(p.Events) }

// pimKey is the source key stamped on the n-th (from 0) target item made
// from the source item keyed key: key itself for the first, key#2,
// key#3... for the others. Stable across runs: the mapping is
// deterministic.
func pimKey(key string, n int) string {
	if n == 0 {
		return key
	}
	return key + "#" + strconv.Itoa(n+1)
}

// pimContentID is the content identity stamped on the n-th (from 0)
// target item made from a source item whose bytes have the content
// identity fp: fp itself for the first, and for the others the SHA-256
// of fp and "#n", so that it keeps the shape scheme:hex that targets
// store and parse (target/graph's stamps).
func pimContentID(fp string, n int) string {
	if n == 0 {
		return fp
	}
	h := sha256.New()
	h.Write([]byte(pimKey(fp, n)))
	return fingerprint(h)
}

// readPIM reads and maps the item ref of folder f (a folder of kind
// contact or event). err is a failure to read the source (the item may
// be read again); an item whose content does not parse at all gives an
// error matching ErrBadObject.
func readPIM(ctx context.Context, acct source.Account, f source.Folder, ref source.ItemRef) (*pimItem, error) {
	rc, err := acct.Open(ctx, f, ref)
	if err != nil {
		return nil, fmt.Errorf("reading from the source: %w", err)
	}
	defer rc.Close()
	h := sha256.New()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(rc, MaxPIMItemBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading from the source: %w", err)
	}
	if err := rc.Close(); err != nil {
		return nil, fmt.Errorf("reading from the source: %w", err)
	}
	if n > MaxPIMItemBytes {
		return nil, fmt.Errorf("%w: larger than %d MB, the limit for one %s", ErrBadObject, MaxPIMItemBytes>>20, f.Kind)
	}
	p := &pimItem{Fingerprint: fingerprint(h), Bytes: n}
	switch f.Kind {
	case source.KindContact:
		err = p.contacts(ref.Key, &buf)
	case source.KindEvent:
		err = p.events(ref.Key, &buf)
	default:
		err = fmt.Errorf("%w: a %s item is neither a contact nor an event", ErrBadObject, f.Kind)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// contacts maps the vCards of one item.
func (p *pimItem) contacts(key string, r io.Reader) error {
	cards, bad, err := contacts.Parse(r)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadObject, err)
	}
	for _, b := range bad {
		p.Bad = append(p.Bad, b.Error())
	}
	if len(cards) == 0 {
		if len(bad) == 0 {
			return fmt.Errorf("%w: no vCard (BEGIN:VCARD) in it", ErrBadObject)
		}
		return fmt.Errorf("%w: %s", ErrBadObject, strings.Join(p.Bad, "; "))
	}
	for i, card := range cards {
		c, rep := contacts.Map(card.Card)
		c.SourceKey, c.ContentID = pimKey(key, i), pimContentID(p.Fingerprint, i)
		for _, f := range rep.Findings {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %s (%s)", f.Property, f.Action, f.Reason))
			p.Fields = append(p.Fields, pimField{Property: f.Property, Action: string(f.Action)})
		}
		p.Contacts = append(p.Contacts, c)
	}
	return nil
}

// events maps the events of one item.
func (p *pimItem) events(key string, r io.Reader) error {
	cal, err := events.Parse(r)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadObject, err)
	}
	for _, b := range cal.Bad {
		p.Bad = append(p.Bad, b.Error())
	}
	for _, g := range cal.Groups {
		evs, rep := events.Map(g)
		p.Notes = append(p.Notes, rep.Notes...)
		for _, f := range rep.Findings {
			p.Fields = append(p.Fields, pimField{Property: f.Property, Action: f.Action})
		}
		if rep.Expanded > 0 {
			p.Expanded++
			p.ExpandedEvents += rep.Expanded
		}
		for _, ev := range evs {
			n := len(p.Events)
			ev.SourceKey, ev.ContentID = pimKey(key, n), pimContentID(p.Fingerprint, n)
			p.Events = append(p.Events, ev)
		}
	}
	if len(p.Events) == 0 {
		switch {
		case len(p.Bad) > 0:
			return fmt.Errorf("%w: %s", ErrBadObject, strings.Join(p.Bad, "; "))
		case len(p.Notes) > 0:
			return fmt.Errorf("%w: %s", ErrBadObject, strings.Join(p.Notes, "; "))
		}
		return fmt.Errorf("%w: no VEVENT in it", ErrBadObject)
	}
	return nil
}
