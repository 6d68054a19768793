package migrate

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/source"
)

// A POP3 row and an IMAP row can reach one account (same host and login)
// or feed one target mailbox. The plan compares them by the content
// identity of their messages, source.HeaderIdentity (size, Date and
// Message-ID, as Dovecot's POP3 migrations match POP mail to IMAP mail),
// read with the headers the plan reads anyway: a POP view that shows
// messages the IMAP INBOX lacks is a risk (pop_more_than_inbox), and the
// messages both rows hold are reported per target mailbox (Plan.Overlaps).

// contentIdents are the content identities of one row's messages to
// migrate, per folder, each with its number of copies.
type contentIdents struct {
	folders map[string]map[string]int64
	inbox   string // the path of the INBOX folder, "" when none was read
	// unkeyed counts the messages with neither Date nor Message-ID,
	// whose identity would be their size alone: they are not matched.
	unkeyed int64
	// byHeader, for rowOverlaps, are the messages by their Date and
	// Message-ID (HeaderIdentity without size); keyed counts the messages
	// added.
	byHeader map[string][]rowRef
	keyed    int64
}

func newContentIdents() *contentIdents {
	return &contentIdents{folders: map[string]map[string]int64{}}
}

// add records the identity of one message of folder, from its header.
func (c *contentIdents) add(folder string, f source.Folder, size int64, h textproto.MIMEHeader) {
	if isInboxFolder(f) {
		c.inbox = folder
	}
	date, id := unfold(h.Get("Date")), unfold(h.Get("Message-Id"))
	if date == "" && id == "" {
		c.unkeyed++
		return
	}
	m := c.folders[folder]
	if m == nil {
		m = map[string]int64{}
		c.folders[folder] = m
	}
	m[source.HeaderIdentity(size, date, id)]++
}

// all returns the identities of every folder, copies summed.
func (c *contentIdents) all() map[string]int64 {
	out := map[string]int64{}
	for _, m := range c.folders {
		for k, n := range m {
			out[k] += n
		}
	}
	return out
}

// compare counts the identities of c (a POP maildrop) found in other,
// copies matched one for one, and those not found with their bytes.
func (c *contentIdents) compare(other map[string]int64) (compared, found int64, missing plan.Count) {
	for k, n := range c.all() {
		compared += n
		hit := min(n, other[k])
		found += hit
		if n > hit {
			missing.Items += n - hit
			missing.Bytes += (n - hit) * identitySize(k)
		}
	}
	return compared + c.unkeyed, found, missing
}

// identitySize is the size a source.HeaderIdentity starts with.
func identitySize(k string) int64 {
	s, _, _ := strings.Cut(k, ":")
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// unfold trims a header value and collapses its white space (folding
// included), so that servers that unfold differently give one identity.
func unfold(v string) string { return strings.Join(strings.Fields(v), " ") }

func isInboxFolder(f source.Folder) bool {
	return f.SpecialUse == source.Inbox || (len(f.Path) == 1 && strings.EqualFold(f.Path[0], "INBOX"))
}

// popPair is a POP3 row and an IMAP row of the CSV that reach the same
// account (same host and login) or feed the same target mailbox.
type popPair struct {
	pop, imap   int
	sameAccount bool
	sameTarget  bool
}

// popPairs pairs every POP3 row with the IMAP rows of the same account or
// the same target mailbox, in CSV order.
func popPairs(ms []config.Mailbox) []popPair {
	var out []popPair
	for i, p := range ms {
		if !isPOP3(p) {
			continue
		}
		for j, m := range ms {
			if protocolOf(m) != "imap" {
				continue
			}
			pp := popPair{pop: i, imap: j,
				sameAccount: strings.EqualFold(p.Host, m.Host) && strings.EqualFold(p.UserName, m.UserName),
				sameTarget:  strings.EqualFold(p.Target(), m.Target())}
			if pp.sameAccount || pp.sameTarget {
				out = append(out, pp)
			}
		}
	}
	return out
}

// collectFor says which rows' content identities the plan keeps: those
// of the rows in pairs and, with the IMAP probe, of every POP3 row.
func (p *Planner) collectFor(ms []config.Mailbox, pairs []popPair) []bool {
	out := make([]bool, len(ms))
	for _, pp := range pairs {
		out[pp.pop], out[pp.imap] = true, true
	}
	if p.IMAPProbe {
		for i, m := range ms {
			out[i] = out[i] || isPOP3(m)
		}
	}
	if p.dedupe() == DedupeBody {
		for i, multi := range multiRow(ms) {
			out[i] = out[i] || multi
		}
	}
	return out
}

// comparePOP fills the POP rows' POPView and the plan's Overlaps from the
// rows' content identities, probing IMAP for the POP rows that have no
// IMAP row of the same account when Planner.IMAPProbe is set.
func (p *Planner) comparePOP(ctx context.Context, pl *plan.Plan, ms []config.Mailbox, pairs []popPair, idents []*contentIdents, red *redact.Redactor) {
	viewed := make([]bool, len(ms))
	for _, pp := range pairs {
		pop, imap := idents[pp.pop], idents[pp.imap]
		pmb, imb := &pl.Mailboxes[pp.pop], &pl.Mailboxes[pp.imap]
		if pop == nil || imap == nil || pmb.Error != "" || imb.Error != "" {
			continue
		}
		if pp.sameTarget {
			compared, both, _ := pop.compare(imap.all())
			pl.Overlaps = append(pl.Overlaps, plan.Overlap{Target: pmb.Target, POP: pmb.Address, IMAP: imb.Address,
				Compared: compared, Unkeyed: pop.unkeyed, Both: plan.Count{Items: both, Bytes: bothBytes(pop, imap)}})
		}
		if pp.sameAccount && !viewed[pp.pop] {
			viewed[pp.pop] = true
			v := popView(pop, imap.folders[imap.inbox])
			v.IMAP, v.Line, v.Server, v.Security = imb.Address, ms[pp.imap].Line, imb.Server, imb.Security
			pmb.POPView = v
		}
	}
	if !p.IMAPProbe {
		return
	}
	for i, m := range ms {
		if !isPOP3(m) || viewed[i] || idents[i] == nil || pl.Mailboxes[i].Error != "" {
			continue
		}
		im, ok := imapRowFor(m)
		if !ok {
			continue
		}
		v := &plan.POPView{Probed: true, Server: net.JoinHostPort(im.Host, strconv.Itoa(im.Port)), Security: im.Security}
		inbox, err := p.probeInbox(ctx, im, red)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// No IMAP there, or it refuses the login: nothing to offer.
			v.Error = red.String(err.Error())
			pl.Mailboxes[i].POPView = v
			continue
		}
		pv := popView(idents[i], inbox)
		pv.Probed, pv.Server, pv.Security = true, v.Server, v.Security
		pv.Row = csvRow(im, m.Line)
		pl.Mailboxes[i].POPView = pv
	}
}

// bothBytes sums the bytes of the POP messages also in the IMAP row.
func bothBytes(pop, imap *contentIdents) int64 {
	other := imap.all()
	var b int64
	for k, n := range pop.all() {
		b += min(n, other[k]) * identitySize(k)
	}
	return b
}

// popView compares a POP maildrop with an IMAP INBOX's identities.
func popView(pop *contentIdents, inbox map[string]int64) *plan.POPView {
	compared, found, missing := pop.compare(inbox)
	return &plan.POPView{Compared: compared, Unkeyed: pop.unkeyed, InInbox: found, NotInInbox: missing}
}

// imapRowFor is the IMAP row of the account a POP3 row reaches: the same
// host, login and password, over IMAPS (993) for a tls row or STARTTLS
// (143) for a starttls row. A plain row is not probed: the probe would
// send the password in clear once more.
func imapRowFor(m config.Mailbox) (config.Mailbox, bool) {
	if m.Security != "tls" && m.Security != "starttls" {
		return config.Mailbox{}, false
	}
	im := m
	im.Protocol = "imap"
	im.Port = config.DefaultPort("imap", m.Security)
	im.TargetFolder = ""
	return im, true
}

// csvRow is the mailbox CSV row of im, its password cell naming the CSV
// line whose password it takes (a plan holds no secret).
func csvRow(im config.Mailbox, line int) string {
	cells := []string{im.EmailAddress, im.UserName, fmt.Sprintf("(the password of line %d)", line),
		im.Host, strconv.Itoa(im.Port), im.Security, "imap", im.TargetAddress}
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"\n") {
			cells[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
	}
	return strings.Join(cells, ",")
}

// probeInbox logs in to im over IMAP through the source opener (so with
// the project's TLS settings) and returns the content identities of its
// INBOX, read-only: the folder list, INBOX's item list and the Date and
// Message-ID fields of its items.
func (p *Planner) probeInbox(ctx context.Context, im config.Mailbox, red *redact.Redactor) (map[string]int64, error) {
	acct, err := p.openSource(ctx, im)
	if err != nil {
		return nil, err
	}
	defer acct.Close()
	folders, err := acct.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: IMAP probe: listing folders: %w", im.EmailAddress, err)
	}
	i := slices.IndexFunc(folders, isInboxFolder)
	if i < 0 {
		return nil, fmt.Errorf("mailbox %s: IMAP probe: the account has no INBOX", im.EmailAddress)
	}
	f := folders[i]
	a := &assessment{p: p, m: im, red: red, log: p.mailboxLog(componentPlan, im), ids: map[string][]plan.ItemRef{}, idents: newContentIdents()}
	var refs []source.ItemRef
	for ref, err := range acct.Items(ctx, f) {
		if err != nil {
			return nil, fmt.Errorf("mailbox %s: IMAP probe: folder %s: listing items: %w", im.EmailAddress, folderName(f), err)
		}
		refs = append(refs, ref)
	}
	if err := a.readIdents(ctx, acct, f, refs); err != nil {
		return nil, fmt.Errorf("mailbox %s: IMAP probe: %w", im.EmailAddress, err)
	}
	return a.idents.folders[folderName(f)], nil
}

// readIdents reads the Date and Message-ID of refs in f into a.idents.
func (a *assessment) readIdents(ctx context.Context, acct source.Account, f source.Folder, refs []source.ItemRef) error {
	name := folderName(f)
	sizes := make(map[string]int64, len(refs))
	for _, r := range refs {
		sizes[r.Key] = r.Size
	}
	if hr, ok := source.As[source.HeaderReader](acct); ok {
		for ih, err := range hr.Headers(ctx, f, refs, []string{"Date", "Message-Id"}) {
			if err != nil {
				return fmt.Errorf("folder %s: reading headers: %w", name, err)
			}
			a.idents.add(name, f, sizes[ih.Key], ih.Header)
		}
		return nil
	}
	for _, ref := range refs {
		h, err := readHeader(ctx, acct, f, ref)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		a.idents.add(name, f, ref.Size, h)
	}
	return nil
}

// popRisks are the risks of a POP3 row's comparison with IMAP.
func popRisks(pl *plan.Plan, add func(sev plan.Severity, code, mailbox, folder, format string, args ...any)) {
	for _, mb := range pl.Mailboxes {
		v := mb.POPView
		if v == nil || v.Error != "" || v.NotInInbox.Items == 0 {
			continue
		}
		where := "the IMAP row " + v.IMAP
		if v.Probed {
			where = "the same account over IMAP (" + v.Server + ", " + v.Security + ")"
		}
		use := fmt.Sprintf("Migrate the account with that IMAP row (line %d of the CSV) instead, and remove this POP row.", v.Line)
		if v.Probed {
			use = "Migrate the account over IMAP instead: replace this POP row with the row " + v.Row + "."
		}
		add(plan.SevWarning, "pop_more_than_inbox", mb.Address, "",
			"The POP view shows %s (%s) that are not in the IMAP INBOX of %s: the server's POP view includes other folders (Dovecot's pop3_migration_all_mailboxes, or a virtual all-mail INBOX), and this row would put them all into one folder. %s IMAP keeps the folders.",
			humanize.Plural(v.NotInInbox.Items, "message", "messages"), humanize.Bytes(v.NotInInbox.Bytes), where, use)
	}
	for _, o := range pl.Overlaps {
		if o.Both.Items == 0 {
			continue
		}
		add(plan.SevInfo, "pop_imap_overlap", o.POP, "",
			"%d of the %d POP messages of %s (%s) %s also in the IMAP row %s, both for %s (matched by size, Date and Message-ID): each is migrated once.",
			o.Both.Items, o.Compared, o.POP, humanize.Bytes(o.Both.Bytes), map[bool]string{true: "is", false: "are"}[o.Both.Items == 1], o.IMAP, o.Target)
	}
}

// sortOverlaps orders overlaps by target, then rows.
func sortOverlaps(os []plan.Overlap) {
	slices.SortStableFunc(os, func(x, y plan.Overlap) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.Target), strings.ToLower(y.Target)), cmp.Compare(x.POP, y.POP), cmp.Compare(x.IMAP, y.IMAP))
	})
}
