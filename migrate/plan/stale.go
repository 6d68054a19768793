package plan

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/migrate/humanize"
)

// Now is what the project, the state and the sources look like when a
// saved plan is about to be applied.
type Now struct {
	// ConfigFingerprint is config.File.Fingerprint of the loaded project.
	ConfigFingerprint string
	// Mailboxes are the mailboxes of the CSV as they are now (Address,
	// Target, Protocol, Server, Security, TargetFolder; the rest is
	// ignored).
	Mailboxes []Mailbox
	// State is the state database now.
	State StateMark
	// Inventory holds a fresh inventory of every planned mailbox
	// (Address, Error, Fingerprint and Folders with Path, Items and
	// Fingerprint); nil when the sources were not listed again.
	Inventory []Mailbox
}

// Problems returns every reason why p cannot be applied now, as
// sentences; none means the plan is current. Like Terraform's "Saved plan
// is stale", a plan is applied once: a run recorded in the state since the
// plan makes it stale, as does any change to the configuration, to a
// planned mailbox's row in the CSV or to its source items.
func Problems(p *Plan, now Now) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if p.ConfigFingerprint != now.ConfigFingerprint {
		add("the configuration (migration.yaml, environment, --set) changed since the plan was made")
	}
	switch {
	case now.State.Runs != p.State.Runs:
		add("the state changed since the plan was made: it records %s, the plan was made when it recorded %d; a saved plan is applied once", humanize.Plural(int64(now.State.Runs), "run", "runs"), p.State.Runs)
	case now.State.Migrated != p.State.Migrated:
		add("the state changed since the plan was made: %s recorded as migrated, %s when the plan was made", humanize.Plural(now.State.Migrated, "item is", "items are"), humanize.Plural(p.State.Migrated, "was", "were"))
	}
	for _, pm := range p.Mailboxes {
		if pm.Error != "" {
			add("mailbox %s could not be assessed when the plan was made (%s)", pm.Address, pm.Error)
			continue
		}
		var row *Mailbox
		for i := range now.Mailboxes {
			if strings.EqualFold(now.Mailboxes[i].Address, pm.Address) {
				row = &now.Mailboxes[i]
			}
		}
		if row == nil {
			add("mailbox %s is in the plan but no longer in the mailbox list", pm.Address)
			continue
		}
		for _, c := range []struct{ what, was, is string }{
			{"target mailbox", pm.Target, row.Target},
			{"source protocol", pm.Protocol, row.Protocol},
			{"source server", pm.Server, row.Server},
			{"source security", pm.Security, row.Security},
			{"target folder", pm.TargetFolder, row.TargetFolder},
		} {
			if !strings.EqualFold(c.was, c.is) {
				add("mailbox %s: the %s changed since the plan was made (%s, now %s)", pm.Address, c.what, c.was, c.is)
			}
		}
		if now.Inventory == nil {
			continue
		}
		var inv *Mailbox
		for i := range now.Inventory {
			if strings.EqualFold(now.Inventory[i].Address, pm.Address) {
				inv = &now.Inventory[i]
			}
		}
		switch {
		case inv == nil:
			add("mailbox %s was not listed again", pm.Address)
		case inv.Error != "":
			add("mailbox %s cannot be read now: %s", pm.Address, inv.Error)
		case inv.Fingerprint != pm.Fingerprint:
			out = append(out, folderChanges(&pm, inv)...)
		}
	}
	return out
}

// folderChanges says which folders of a mailbox changed.
func folderChanges(was, is *Mailbox) []string {
	var out []string
	now := map[string]Folder{}
	for _, f := range is.Folders {
		now[f.Path] = f
	}
	for _, f := range was.Folders {
		g, ok := now[f.Path]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("mailbox %s: folder %s is gone from the source", was.Address, f.Path))
		case g.Fingerprint == f.Fingerprint:
		case g.Items != f.Items:
			out = append(out, fmt.Sprintf("mailbox %s: folder %s holds %s now, %d when the plan was made", was.Address, f.Path, humanize.Plural(g.Items, "item", "items"), f.Items))
		case g.Validity != f.Validity:
			out = append(out, fmt.Sprintf("mailbox %s: folder %s was renumbered by the server (UIDVALIDITY %s, was %s)", was.Address, f.Path, g.Validity, f.Validity))
		default:
			out = append(out, fmt.Sprintf("mailbox %s: items of folder %s were replaced, resized or flagged \\Deleted since the plan was made", was.Address, f.Path))
		}
		delete(now, f.Path)
	}
	for _, f := range is.Folders {
		if _, ok := now[f.Path]; ok {
			out = append(out, fmt.Sprintf("mailbox %s: folder %s is new in the source", was.Address, f.Path))
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("mailbox %s: the source changed since the plan was made", was.Address))
	}
	return out
}
