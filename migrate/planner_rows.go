package migrate

import (
	"context"
	"io"
	"net/textproto"
	"strings"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/source"
)

// The plan's side of dedupe.across_rows body (run_rows.go): for the rows
// of a target mailbox that several rows feed, the headers the plan reads
// anyway give each message's Date and Message-ID; only the messages
// whose Date and Message-ID another row of the target also has are read
// whole, once more, for their body identity. The run's order is then
// replayed: a later row's message is expected in the target already when
// an earlier row holds one of the same body identity not taken by
// another (copies one for one). Memory: one entry per message of such
// rows (its folder, key and size; about 100 bytes).

// rowRef is one message of a row, for rowOverlaps.
type rowRef struct {
	folder source.Folder
	key    string
	size   int64
}

// addRow records one message's Date and Message-ID for rowOverlaps.
func (c *contentIdents) addRow(f source.Folder, key string, size int64, h textproto.MIMEHeader) {
	date, id := unfold(h.Get("Date")), unfold(h.Get("Message-Id"))
	c.keyed++
	if date == "" && id == "" {
		return
	}
	if c.byHeader == nil {
		c.byHeader = map[string][]rowRef{}
	}
	k := source.HeaderIdentity(0, date, id)
	c.byHeader[k] = append(c.byHeader[k], rowRef{folder: f, key: key, size: size})
}

// multiRow reports which rows share their target mailbox with another.
func multiRow(ms []config.Mailbox) []bool {
	out := make([]bool, len(ms))
	for _, g := range targetGroups(ms) {
		if len(g) < 2 {
			continue
		}
		for _, i := range g {
			out[i] = true
		}
	}
	return out
}

// rowOverlaps fills the plan's RowOverlaps (see above).
func (p *Planner) rowOverlaps(ctx context.Context, pl *plan.Plan, ms []config.Mailbox, idents []*contentIdents, red *redact.Redactor) {
	if p.dedupe() != DedupeBody {
		return
	}
	for _, g := range targetGroups(ms) {
		if len(g) < 2 {
			continue
		}
		rows := 0
		for _, i := range g {
			if idents[i] != nil && pl.Mailboxes[i].Error == "" {
				rows++
			}
		}
		if rows < 2 {
			continue
		}
		// Header keys more than one row has.
		seen := map[string]int{}
		for _, i := range g {
			if idents[i] == nil {
				continue
			}
			for k := range idents[i].byHeader {
				seen[k]++
			}
		}
		pool := map[string]int64{}
		var earlier []string
		for _, i := range g {
			c := idents[i]
			mb := &pl.Mailboxes[i]
			if c == nil || mb.Error != "" {
				continue
			}
			bodies := p.bodyIdentities(ctx, ms[i], c, seen, red)
			var both plan.Count
			for id, refs := range bodies {
				hit := min(int64(len(refs)), pool[id])
				pool[id] += int64(len(refs)) - hit
				both.Items += hit
				for _, r := range refs[:hit] {
					both.Bytes += max(r.size, 0)
				}
			}
			if len(earlier) > 0 {
				pl.RowOverlaps = append(pl.RowOverlaps, plan.RowOverlap{Target: mb.Target, Row: mb.Address, Earlier: append([]string(nil), earlier...),
					Compared: c.keyed, Unkeyed: c.keyed - c.headerKeyed(), Both: both})
			}
			earlier = append(earlier, mb.Address)
		}
	}
}

// headerKeyed counts the messages with a Date or a Message-ID.
func (c *contentIdents) headerKeyed() int64 {
	var n int64
	for _, refs := range c.byHeader {
		n += int64(len(refs))
	}
	return n
}

// bodyIdentities reads the body identity of the messages of row m whose
// header key another row has too (seen > 1), by body identity; a message
// that cannot be read is left out (the run reads it again).
func (p *Planner) bodyIdentities(ctx context.Context, m config.Mailbox, c *contentIdents, seen map[string]int, red *redact.Redactor) map[string][]rowRef {
	out := map[string][]rowRef{}
	var acct source.Account
	log := p.mailboxLog(componentPlan, m)
	for k, refs := range c.byHeader {
		if seen[k] < 2 {
			continue
		}
		if acct == nil {
			a, err := p.openSource(ctx, m)
			if err != nil {
				log.Warn("reading messages for the rows' overlap", "err", red.Error(err))
				return out
			}
			acct = a
			defer acct.Close()
		}
		for _, r := range refs {
			rc, err := acct.Open(ctx, r.folder, source.ItemRef{Key: r.key, Size: r.size})
			if err != nil {
				log.Debug("reading a message for the rows' overlap", "folder", folderName(r.folder), "key", r.key, "err", red.Error(err))
				continue
			}
			h := source.NewBodyHasher()
			_, err = io.Copy(h, rc)
			rc.Close()
			if err != nil {
				continue
			}
			if id := h.Identity(); id != "" {
				out[id] = append(out[id], r)
			}
		}
	}
	return out
}

// rowRisks are the rows_overlap risks (informational).
func rowRisks(pl *plan.Plan, add func(sev plan.Severity, code, mailbox, folder, format string, args ...any)) {
	for _, o := range pl.RowOverlaps {
		if o.Both.Items == 0 {
			continue
		}
		add(plan.SevInfo, "rows_overlap", o.Row, "",
			"%d of the %d messages of %s (%s) are expected in %s already from the earlier %s %s (the same Date, Message-ID and body, dedupe.across_rows body): each is migrated once, where the earlier row puts it.",
			o.Both.Items, o.Compared, o.Row, humanize.Bytes(o.Both.Bytes), o.Target, map[bool]string{true: "row", false: "rows"}[len(o.Earlier) == 1], strings.Join(o.Earlier, ", "))
	}
}
