package migrate

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Planner makes plans: it assesses every source mailbox read-only
// (metadata, headers and a sample of bodies) and checks the target.
type Planner struct {
	// Env opens sources and targets (Env.Target nil leaves the target
	// unchecked, and the plan says so) and gives the state, read-only
	// (nil when there is none yet), and the mapping rules the run will use.
	Env
	// Settings are the project's settings (fingerprinted into the plan,
	// and its filters and limits described).
	Settings config.File
	// Tool is the program version written into the plan.
	Tool string
	// Parallel is how many mailboxes are assessed at once (default 8).
	Parallel int
	// HeaderMax is the largest item opened to read its Message-ID when
	// the source has no source.HeaderReader; 0 means 1 MB, negative turns
	// the duplicate check off for such sources.
	HeaderMax int64
	// HeaderTime bounds the time spent reading headers per mailbox
	// without a HeaderReader (default 3 minutes); items left when it runs
	// out are counted as unchecked.
	HeaderTime time.Duration
	// SampleItems and SampleBytes bound the bodies read per mailbox to
	// measure the source read rate (defaults 24 items and 64 MB).
	SampleItems int
	SampleBytes int64
	// Envelope is the target's throttling envelope for one mailbox, as the
	// target reports it (the Graph target: graph.Config.Envelope, which is
	// time-scaled against a time-scaled emulator); the estimate models the
	// run's upload side with it. The zero value leaves the upload side
	// limited by request latency only.
	Envelope target.Envelope
	// Probe, when not "", is the target mailbox to run the tenant probe
	// on (target.Prober): the plan records what the tenant keeps and its
	// answers, which a run of the plan chooses its path from. The probe
	// writes to that mailbox (a hidden folder, deleted at the end).
	Probe string
	// IMAPProbe, when set, looks for the IMAP side of every POP3 row that
	// has no IMAP row of the same host and login in the CSV: it logs in
	// over IMAP with the row's credentials (IMAPS on 993 for a tls row,
	// STARTTLS on 143 for a starttls row; a plain row is not probed)
	// through Env.Sources, so with the project's TLS settings, and reads
	// INBOX's Date and Message-ID fields, read-only, to find a POP view
	// that shows more than INBOX (Mailbox.POPView). Off by default: it is
	// a second login with the user's password, which servers that ban
	// after failed logins count.
	IMAPProbe bool
}

// withDefaults returns a copy of p with its defaults applied.
func (p *Planner) withDefaults() (*Planner, error) {
	c := *p
	var err error
	if c.Env, err = c.Env.withDefaults(); err != nil {
		return nil, err
	}
	if c.Parallel <= 0 {
		c.Parallel = 8
	}
	if c.HeaderMax == 0 {
		c.HeaderMax = defaultHeaderMax
	}
	if c.HeaderTime <= 0 {
		c.HeaderTime = defaultHeaderTime
	}
	c.SampleItems = cmp.Or(c.SampleItems, defaultSampleItems)
	c.SampleBytes = cmp.Or(c.SampleBytes, defaultSampleBytes)
	return &c, nil
}

const (
	defaultHeaderMax   = 1 << 20
	defaultHeaderTime  = 3 * time.Minute
	defaultSampleItems = 24
	defaultSampleBytes = 64 << 20
	sampleTimeLimit    = 30 * time.Second
	reservoirSize      = 64
	maxDuplicates      = 100
	largestKept        = 10
)

// Plan assesses the mailboxes and returns the plan. Problems with one
// mailbox (unreachable, refused credentials, missing target user) are
// recorded in the plan as risks and in Mailbox.Error, not returned: the
// error is only for a cancelled context or an unreadable state.
func (planner *Planner) Plan(ctx context.Context, mailboxes []config.Mailbox) (*plan.Plan, error) {
	p, err := planner.withDefaults()
	if err != nil {
		return nil, err
	}
	red := redact.New(p.Secrets...)
	pl := &plan.Plan{
		Format: plan.Format, Version: plan.Version, Tool: p.Tool, CreatedAt: p.Now().UTC(),
		Client: p.Settings.Client, Consultant: p.Settings.Consultant,
		ConfigFingerprint: p.Settings.Fingerprint(),
		Settings:          planSettings(p.Settings),
	}
	mark, err := StateMark(ctx, p.Store)
	if err != nil {
		return nil, err
	}
	pl.State = mark

	pl.Mailboxes = make([]plan.Mailbox, len(mailboxes))
	pairs := popPairs(mailboxes)
	collect := p.collectFor(mailboxes, pairs)
	idents := make([]*contentIdents, len(mailboxes))
	eachMailbox(ctx, mailboxes, p.Parallel, func(i int, m config.Mailbox) {
		pl.Mailboxes[i], idents[i] = p.assess(ctx, m, red, collect[i])
	}, func(i int, m config.Mailbox, err error) {
		pl.Mailboxes[i] = plan.Mailbox{Address: m.EmailAddress, Target: m.Target(), Error: "not assessed: " + err.Error()}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.comparePOP(ctx, pl, mailboxes, pairs, idents, red)
	sortOverlaps(pl.Overlaps)
	p.rowOverlaps(ctx, pl, mailboxes, idents, red)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	model := p.model()
	for i := range pl.Mailboxes {
		mb := &pl.Mailboxes[i]
		if mb.Error != "" {
			continue
		}
		m := model
		if lat := mb.TargetCheck.LatencySeconds; lat > 0 {
			m.Latency = createLatency(lat)
		}
		mb.Estimate = plan.EstimateMailbox(mb.Estimate.Workload, mb.ListSeconds, mb.Read, m)
	}
	model.Latency = meanLatency(pl.Mailboxes)
	pl.Estimate = plan.EstimateRun(pl.Mailboxes, model)
	pl.InventoryFingerprint = plan.InventoryFingerprint(pl.Mailboxes)
	pl.SumTotals()
	if p.Probe != "" {
		if pl.TenantProbe, err = Probe(ctx, p.Target, p.Probe, p.Now, red); err != nil {
			return nil, err
		}
	}
	pl.Risks = p.risks(pl, mailboxes)
	return pl, nil
}

// createLatency is the latency assumed for a create request from the
// measured round trip of the plan's read requests: creating a message
// does more work at Exchange than reading a folder.
func createLatency(roundTrip float64) time.Duration {
	return time.Duration(2 * roundTrip * float64(time.Second))
}

func meanLatency(ms []plan.Mailbox) time.Duration {
	var sum float64
	n := 0
	for _, m := range ms {
		if m.TargetCheck.LatencySeconds > 0 {
			sum += m.TargetCheck.LatencySeconds
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return createLatency(sum / float64(n))
}

func (p *Planner) model() plan.Model {
	return plan.Model{
		Envelope:   plan.Envelope(p.Envelope),
		Mailboxes:  max(p.Settings.Concurrency.Mailboxes, 1),
		PerMailbox: p.Settings.Concurrency.PerMailbox,
	}
}

// StateMark returns what the state holds, for a plan's staleness check;
// a nil store is an empty state.
func StateMark(ctx context.Context, st state.Store) (plan.StateMark, error) {
	if st == nil {
		return plan.StateMark{}, nil
	}
	runs, err := st.Runs(ctx)
	if err != nil {
		return plan.StateMark{}, fmt.Errorf("reading the state: %w", err)
	}
	sum, err := st.Summary(ctx, "")
	if err != nil {
		return plan.StateMark{}, fmt.Errorf("reading the state: %w", err)
	}
	return plan.StateMark{Exists: true, Runs: len(runs), Migrated: sum[state.StatusMigrated].Items}, nil
}

func planSettings(f config.File) plan.Settings {
	s := plan.Settings{
		MaxMessageSize: int64(f.Target.MaxMessageSize),
		Concurrency:    f.Concurrency.Mailboxes,
		PerMailbox:     f.Concurrency.PerMailbox,
		TargetEndpoint: f.Target.GraphEndpoint,
		TargetAuth:     f.Target.Auth,
	}
	if !f.Filters.Since.IsZero() {
		s.Filters = append(s.Filters, "only items received on or after "+f.Filters.Since.Format("2006-01-02"))
	}
	if !f.Filters.Before.IsZero() {
		s.Filters = append(s.Filters, "only items received before "+f.Filters.Before.Format("2006-01-02"))
	}
	if f.Filters.MaxSize > 0 {
		s.Filters = append(s.Filters, "items larger than "+f.Filters.MaxSize.String()+" skipped")
	}
	if f.Filters.DeletedItems == "migrate" {
		s.Filters = append(s.Filters, `messages flagged \Deleted migrated`)
	} else {
		s.Filters = append(s.Filters, `messages flagged \Deleted skipped`)
	}
	if len(f.Folders.Include) > 0 {
		s.Filters = append(s.Filters, "only folders "+strings.Join(f.Folders.Include, ", "))
	}
	if len(f.Folders.Exclude) > 0 {
		s.Filters = append(s.Filters, "folders left out: "+strings.Join(f.Folders.Exclude, ", "))
	}
	return s
}

// sampleRef is an item kept for the read-rate sample.
type sampleRef struct {
	folder source.Folder
	ref    source.ItemRef
}

// assessment is the working state of one mailbox's assessment.
type assessment struct {
	p   *Planner
	m   config.Mailbox
	mb  plan.Mailbox
	red *redact.Redactor
	log *slog.Logger

	rng       *rand.Rand
	seen      int64
	reservoir []sampleRef
	large     []sampleRef
	work      plan.Workload
	ids       map[string][]plan.ItemRef
	keywords  map[string]int64 // dropped keywords of the items to migrate
	// idents, when not nil, collects the content identities of the items
	// to migrate (planner_pop3.go).
	idents *contentIdents
}

// assess assesses one mailbox; with collect it also returns the content
// identities of its items to migrate (nil otherwise, or when the mailbox
// could not be listed).
func (p *Planner) assess(ctx context.Context, m config.Mailbox, red *redact.Redactor, collect bool) (plan.Mailbox, *contentIdents) {
	a := &assessment{p: p, m: m, red: red, log: p.mailboxLog(componentPlan, m), ids: map[string][]plan.ItemRef{}}
	if collect {
		a.idents = newContentIdents()
	}
	seed := fnv.New64a()
	seed.Write([]byte(strings.ToLower(m.EmailAddress)))
	a.rng = rand.New(rand.NewPCG(seed.Sum64(), 1))
	a.mb = plan.Mailbox{
		Address: m.EmailAddress, Target: m.Target(), Protocol: protocolOf(m),
		Server: m.Server(), Security: m.Security, TargetFolder: m.TargetFolder,
		Sizes: plan.NewSizeBuckets(), TargetCheck: plan.TargetCheck{Items: -1, Bytes: -1, QuotaBytes: -1, UsedBytes: -1},
	}
	start := time.Now()
	acct, err := p.openSource(ctx, m)
	if err != nil {
		a.mb.Error = a.red.String(err.Error())
		a.checkTarget(ctx, nil)
		return a.mb, nil
	}
	defer acct.Close()
	mappings, err := a.list(ctx, acct)
	a.mb.ListSeconds = time.Since(start).Seconds()
	if err != nil {
		a.mb.Error = a.red.String(err.Error())
		a.checkTarget(ctx, nil)
		return a.mb, nil
	}
	a.mb.Fingerprint = plan.MailboxFingerprint(a.mb.Folders)
	a.mb.DroppedKeywords = plan.KeywordCounts(a.keywords)
	if ks, ok := source.As[keySchemer](acct); ok {
		if s, err := ks.KeyScheme(ctx); err == nil {
			a.mb.KeyScheme = s
		}
	}
	if err := a.headers(ctx, acct, mappings); err != nil {
		a.log.Warn("reading headers for Message-IDs", "err", a.red.Error(err))
		if ctx.Err() != nil {
			a.mb.Error = a.red.String(err.Error())
			return a.mb, nil
		}
	}
	a.measure(ctx, acct)
	a.duplicates()
	a.checkTarget(ctx, mappings)
	a.mb.Estimate.Workload = a.work
	return a.mb, a.idents
}

// targetDisplay is where a folder goes, as Outlook shows it (English
// names of the well-known folders, target.DisplayPath): "Inbox/Projects",
// "Sent Items", "work (2)" at the top of the mailbox, or "(not migrated)".
func targetDisplay(fm mapping.FolderMapping) string {
	if fm.WellKnown == "" {
		return "(not migrated)"
	}
	return target.DisplayPath(fm.WellKnown, fm.Target...)
}

func protocolOf(m config.Mailbox) string {
	if m.Protocol == "" {
		return "imap"
	}
	return m.Protocol
}

// list reads the folders and every item's metadata, mapping them as the
// run will.
func (a *assessment) list(ctx context.Context, acct source.Account) ([]mapping.FolderMapping, error) {
	p := a.p
	folders, err := acct.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: listing folders: %w", a.m.EmailAddress, err)
	}
	rules, err := p.rulesFor(a.m)
	if err != nil {
		return nil, err
	}
	mappings, err := mapping.Folders(folders, rules)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: mapping folders: %w", a.m.EmailAddress, err)
	}
	for _, fm := range mappings {
		f := fm.Source
		pf := plan.Folder{
			Path: folderName(f), Role: string(f.SpecialUse), Guessed: f.SpecialUseGuessed,
			Kind: string(cmp.Or(f.Kind, source.KindMessage)), Validity: f.Validity, NoSelect: f.NoSelect,
			Target: targetDisplay(fm), Excluded: fm.Excluded, Reason: fm.Reason, Changes: fm.Changes,
			Deleted: f.Deleted, Unreadable: slices.Clone(f.Unreadable),
		}
		if fm.WellKnown != "" && !fm.Excluded && !f.NoSelect {
			a.work.Folders++
		}
		if len(fm.Changes) > 0 && fm.WellKnown != "" {
			a.mb.Renamed = append(a.mb.Renamed, plan.Rename{Source: pf.Path, Target: pf.Target, Changes: fm.Changes})
		}
		h := plan.NewFolderHasher(pf.Path, f.Validity)
		pim := !mapping.IsMail(f.Kind) && fm.WellKnown != "" && !fm.Excluded
		var pimRefs []source.ItemRef
		if !f.NoSelect {
			for ref, err := range acct.Items(ctx, f) {
				if err != nil {
					return nil, fmt.Errorf("mailbox %s: folder %s: listing items: %w", a.m.EmailAddress, pf.Path, err)
				}
				if a.item(&pf, fm, ref, h) && pim {
					pimRefs = append(pimRefs, ref)
				}
			}
		}
		if pim {
			if err := a.pimFolder(ctx, acct, fm, &pf, pimRefs); err != nil {
				return nil, fmt.Errorf("mailbox %s: folder %s: %w", a.m.EmailAddress, pf.Path, err)
			}
		}
		pf.Fingerprint = h.Sum()
		a.storeDeleted(f)
		a.mb.Folders = append(a.mb.Folders, pf)
	}
	sortPIMFields(a.mb.PIMFields)
	return mappings, nil
}

// storeDeleted counts folder f's messages that its local store marks
// deleted (source.Folder.Deleted, not listed as items) as skipped.
func (a *assessment) storeDeleted(f source.Folder) {
	if f.Deleted <= 0 {
		return
	}
	mb := &a.mb
	i := slices.IndexFunc(mb.Skips, func(s plan.Skip) bool { return s.Rule == mapping.SkipStoreDeleted })
	if i < 0 {
		mb.Skips = append(mb.Skips, plan.Skip{Rule: mapping.SkipStoreDeleted, Example: fmt.Sprintf("marked deleted in the local store (folder %s) but not yet removed from it", folderName(f))})
		i = len(mb.Skips) - 1
	}
	mb.Skips[i].Items += f.Deleted
}

// item counts one listed item; it reports whether the run will migrate
// it.
func (a *assessment) item(pf *plan.Folder, fm mapping.FolderMapping, ref source.ItemRef, h *plan.FolderHasher) bool {
	mb := &a.mb
	dec := mapping.Item(ref, fm, a.p.itemsFor(a.m))
	h.Add(ref.Key, ref.Size, dec.State.Deleted)
	size := max(ref.Size, 0)
	pf.Items++
	pf.Bytes += size
	pf.Largest = max(pf.Largest, size)
	mb.Items++
	mb.Bytes += size
	if d := ref.Date; !d.IsZero() {
		span(&pf.Oldest, &pf.Newest, d)
		span(&mb.Oldest, &mb.Newest, d)
	}
	switch pf.Kind {
	case string(source.KindContact):
		mb.Contacts++
	case string(source.KindEvent):
		mb.Events++
	}
	plan.AddSize(mb.Sizes, size)
	mb.Years = plan.AddYear(mb.Years, ref.Date, size)
	it := plan.Item{Folder: pf.Path, Key: ref.Key, Size: size, Date: ref.Date.UTC()}
	if ref.Date.IsZero() || !mapping.IsMail(fm.Source.Kind) {
		// A contact or an event is not dated by when its object last
		// changed at the source: pimFolder dates an event by its start,
		// and a contact has no date.
		it.Date = time.Time{}
	}
	mb.Largest = plan.AddLargest(mb.Largest, it, largestKept)
	switch {
	case size > plan.AbsoluteMaxMessageSize:
		it.Reason = "over Exchange Online's absolute limit of 150 MB: it cannot be migrated as a message"
		mb.OverLimit = append(mb.OverLimit, it)
	case a.p.Items != nil && a.p.Items.TargetMaxSize > 0 && size > a.p.Items.TargetMaxSize:
		it.Reason = fmt.Sprintf("over the tenant's maximum message size (target.max_message_size %s); an administrator can raise it up to 150 MB", config.Size(a.p.Items.TargetMaxSize))
		mb.OverLimit = append(mb.OverLimit, it)
	}
	if dec.Skip {
		i := slices.IndexFunc(mb.Skips, func(s plan.Skip) bool { return s.Rule == dec.Rule })
		if i < 0 {
			mb.Skips = append(mb.Skips, plan.Skip{Rule: dec.Rule, Example: dec.Reason})
			i = len(mb.Skips) - 1
		}
		mb.Skips[i].Items++
		mb.Skips[i].Bytes += size
		return false
	}
	pf.ToMigrate.Items++
	pf.ToMigrate.Bytes += size
	mb.ToMigrate.Items++
	mb.ToMigrate.Bytes += size
	if len(dec.State.Dropped) > 0 {
		mb.KeywordsDropped++
		if a.keywords == nil {
			a.keywords = map[string]int64{}
		}
		for _, k := range dec.State.Dropped {
			a.keywords[k]++
		}
	}
	a.work.Add(size)
	if !mapping.IsMail(fm.Source.Kind) {
		// The read-rate sample reads items as messages.
		return true
	}
	// Reservoir sampling keeps a uniform sample of the items to migrate
	// for the read-rate measurement; the largest ones are kept apart so
	// that the fit sees large and small items.
	a.seen++
	sr := sampleRef{folder: fm.Source, ref: ref}
	if len(a.reservoir) < reservoirSize {
		a.reservoir = append(a.reservoir, sr)
	} else if j := a.rng.Int64N(a.seen); j < reservoirSize {
		a.reservoir[j] = sr
	}
	a.large = append(a.large, sr)
	slices.SortFunc(a.large, func(x, y sampleRef) int { return cmp.Compare(y.ref.Size, x.ref.Size) })
	if len(a.large) > 4 {
		a.large = a.large[:4]
	}
	return true
}

// keySchemer is an optional ability of a source account: how it keys its
// items (source/pop3's Account.KeyScheme), for the plan.
type keySchemer interface {
	KeyScheme(ctx context.Context) (string, error)
}

// keysUIDL is the KeyScheme of a POP3 account keyed by the server's UIDL.
const keysUIDL = "uidl"

// span widens oldest..newest to include d.
func span(oldest, newest *time.Time, d time.Time) {
	if oldest.IsZero() || d.Before(*oldest) {
		*oldest = d.UTC()
	}
	if d.After(*newest) {
		*newest = d.UTC()
	}
}

// headerDate dates an item listed without a date (POP3 has none) from its
// header, as the run will (mapping.ReceivedDate): the newest Received
// field that parses, else Date. It moves the item from the unknown year
// to its own, widens the folder's and the mailbox's oldest and newest,
// and dates it among the largest items.
func (a *assessment) headerDate(folder string, ref source.ItemRef, h textproto.MIMEHeader) {
	if !ref.Date.IsZero() {
		return
	}
	d, ok := message.ReceivedDate(h.Values("Received"))
	if !ok {
		if d, ok = message.ParseDate(h.Get("Date")); !ok {
			return
		}
	}
	mb := &a.mb
	span(&mb.Oldest, &mb.Newest, d)
	for i := range mb.Folders {
		if mb.Folders[i].Path == folder {
			span(&mb.Folders[i].Oldest, &mb.Folders[i].Newest, d)
		}
	}
	size := max(ref.Size, 0)
	if i := slices.IndexFunc(mb.Years, func(y plan.YearCount) bool { return y.Year == 0 }); i >= 0 {
		mb.Years[i].Items--
		mb.Years[i].Bytes -= size
		if mb.Years[i].Items <= 0 {
			mb.Years = slices.Delete(mb.Years, i, i+1)
		}
		mb.Years = plan.AddYear(mb.Years, d, size)
	}
	a.dateLargest(folder, ref.Key, d)
}

// dateLargest sets the date of the item key of folder, when it is among
// the largest items.
func (a *assessment) dateLargest(folder, key string, d time.Time) {
	for i := range a.mb.Largest {
		if it := &a.mb.Largest[i]; it.Folder == folder && it.Key == key {
			it.Date = d.UTC()
		}
	}
}

// headers reads the Message-ID of the items to migrate, to find
// duplicates, and dates the items listed without a date from their
// Received or Date fields.
func (a *assessment) headers(ctx context.Context, acct source.Account, mappings []mapping.FolderMapping) error {
	limit := a.p.HeaderMax
	hr, bulk := source.As[source.HeaderReader](acct)
	if !bulk && limit < 0 {
		return nil
	}
	deadline := time.Now().Add(a.p.HeaderTime)
	for _, fm := range mappings {
		f := fm.Source
		if f.NoSelect || fm.Excluded || (f.Kind != "" && f.Kind != source.KindMessage) {
			continue
		}
		name := folderName(f)
		var refs []source.ItemRef
		for ref, err := range acct.Items(ctx, f) {
			if err != nil {
				return fmt.Errorf("folder %s: listing items: %w", name, err)
			}
			if mapping.Item(ref, fm, a.p.itemsFor(a.m)).Skip {
				continue
			}
			if !bulk && (ref.Size < 0 || ref.Size > limit) {
				a.mb.HeadersSkipped++
				continue
			}
			refs = append(refs, ref)
		}
		if bulk {
			fields := []string{"Message-Id", "Subject"}
			undated := map[string]source.ItemRef{}
			for _, ref := range refs {
				if ref.Date.IsZero() {
					undated[ref.Key] = ref
				}
			}
			switch {
			case len(undated) > 0:
				fields = append(fields, "Received", "Date")
			case a.idents != nil:
				fields = append(fields, "Date")
			}
			var sizes map[string]int64
			if a.idents != nil {
				sizes = make(map[string]int64, len(refs))
				for _, ref := range refs {
					sizes[ref.Key] = ref.Size
				}
			}
			for ih, err := range hr.Headers(ctx, f, refs, fields) {
				if err != nil {
					return fmt.Errorf("folder %s: reading headers: %w", name, err)
				}
				a.mb.HeadersRead++
				a.messageID(name, ih.Key, ih.Header.Get("Message-Id"))
				a.subject(name, ih.Key, ih.Header.Get("Subject"))
				if ref, ok := undated[ih.Key]; ok {
					a.headerDate(name, ref, ih.Header)
				}
				if a.idents != nil {
					a.idents.add(name, f, sizes[ih.Key], ih.Header)
					a.idents.addRow(f, ih.Key, sizes[ih.Key], ih.Header)
				}
			}
			continue
		}
		for _, ref := range refs {
			if time.Now().After(deadline) {
				a.mb.HeadersSkipped++
				continue
			}
			h, err := readHeader(ctx, acct, f, ref)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				a.mb.HeadersSkipped++
				a.log.Debug("reading a header", "folder", name, "key", ref.Key, "err", a.red.Error(err))
				continue
			}
			a.mb.HeadersRead++
			a.messageID(name, ref.Key, h.Get("Message-Id"))
			a.subject(name, ref.Key, h.Get("Subject"))
			a.headerDate(name, ref, h)
			if a.idents != nil {
				a.idents.add(name, f, ref.Size, h)
				a.idents.addRow(f, ref.Key, ref.Size, h)
			}
		}
	}
	return nil
}

// readHeader opens an item and reads its header block only.
func readHeader(ctx context.Context, acct source.Account, f source.Folder, ref source.ItemRef) (textproto.MIMEHeader, error) {
	rc, err := acct.Open(ctx, f, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h, err := textproto.NewReader(bufio.NewReaderSize(rc, 16<<10)).ReadMIMEHeader()
	if err != nil && len(h) == 0 && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return h, nil
}

func (a *assessment) messageID(folder, key, id string) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" {
		return
	}
	a.ids[id] = append(a.ids[id], plan.ItemRef{Folder: folder, Key: key})
}

// subject records the decoded Subject of an item among the largest, for
// the report's largest-items table (masked there when asked).
func (a *assessment) subject(folder, key, raw string) {
	for i := range a.mb.Largest {
		it := &a.mb.Largest[i]
		if it.Folder == folder && it.Key == key {
			dec, err := new(mime.WordDecoder).DecodeHeader(raw)
			if err != nil {
				dec = raw
			}
			it.Subject = a.red.String(strings.TrimSpace(dec))
		}
	}
}

// duplicates lists the Message-IDs held by several items.
func (a *assessment) duplicates() {
	for id, refs := range a.ids {
		if len(refs) < 2 {
			continue
		}
		a.mb.DuplicateItems += int64(len(refs))
		a.mb.Duplicates = append(a.mb.Duplicates, plan.Duplicate{MessageID: id, Items: refs})
	}
	slices.SortFunc(a.mb.Duplicates, func(x, y plan.Duplicate) int {
		return cmp.Or(cmp.Compare(len(y.Items), len(x.Items)), cmp.Compare(x.MessageID, y.MessageID))
	})
	if len(a.mb.Duplicates) > maxDuplicates {
		a.mb.Duplicates = a.mb.Duplicates[:maxDuplicates]
	}
	a.ids = nil
}

// measure reads a sample of items as the run will (the whole message,
// parsed, hashed) and fits the cost of reading an item.
func (a *assessment) measure(ctx context.Context, acct source.Account) {
	maxItems, maxBytes := a.p.SampleItems, a.p.SampleBytes
	// The largest items that fit the budget, then the reservoir, smallest
	// first, so that the sample spans the sizes.
	var pick []sampleRef
	var budget int64
	seen := map[string]bool{}
	add := func(s sampleRef) {
		k := folderName(s.folder) + "\x00" + s.ref.Key
		if seen[k] || len(pick) >= maxItems || s.ref.Size < 0 || budget+s.ref.Size > maxBytes {
			return
		}
		seen[k] = true
		pick = append(pick, s)
		budget += s.ref.Size
	}
	for _, s := range a.large {
		if s.ref.Size <= maxBytes/4 {
			add(s)
		}
		if len(pick) >= 2 {
			break
		}
	}
	res := slices.Clone(a.reservoir)
	slices.SortFunc(res, func(x, y sampleRef) int { return cmp.Compare(x.ref.Size, y.ref.Size) })
	for _, s := range res {
		add(s)
	}
	var sizes []int64
	var secs []float64
	deadline := time.Now().Add(sampleTimeLimit)
	for _, s := range pick {
		if ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		t0 := time.Now()
		n, err := readLikeRun(ctx, acct, s.folder, s.ref, a.p.SpoolDir)
		if err != nil {
			a.log.Debug("sampling the read rate", "folder", folderName(s.folder), "key", s.ref.Key, "err", a.red.Error(err))
			continue
		}
		sizes = append(sizes, n)
		secs = append(secs, time.Since(t0).Seconds())
	}
	a.mb.Read = plan.FitRate(sizes, secs)
}

// readLikeRun reads one item the way the engine does: streamed, hashed
// and parsed (attachments spooled), and returns its size.
func readLikeRun(ctx context.Context, acct source.Account, f source.Folder, ref source.ItemRef, spool string) (int64, error) {
	rc, err := acct.Open(ctx, f, ref)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	msg, err := message.Parse(ctx, io.TeeReader(rc, h), &message.Options{SpoolDir: spool})
	cerr := rc.Close()
	if err != nil {
		return 0, err
	}
	defer msg.Close()
	if cerr != nil {
		return 0, cerr
	}
	return msg.Size, nil
}
