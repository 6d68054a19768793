package migrate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// checkTarget asks the target about the mailbox, read-only: the user
// exists, its mailbox answers, items can be listed, and (with a
// target.Inspector) its folders and quota. mappings are nil when the
// source could not be read; then only the mailbox itself is checked.
func (a *assessment) checkTarget(ctx context.Context, mappings []mapping.FolderMapping) {
	p := a.p
	tc := &a.mb.TargetCheck
	if p.Target == nil {
		return
	}
	tc.Checked = true
	var lat []time.Duration
	timed := func(fn func() error) error {
		t0 := time.Now()
		err := fn()
		lat = append(lat, time.Since(t0))
		return err
	}
	defer func() {
		if len(lat) > 0 {
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			tc.LatencySeconds = (sum / time.Duration(len(lat))).Seconds()
		}
	}()
	// Opening the mailbox is not timed: the first request of a client also
	// fetches its token.
	mb, err := p.Target(ctx, a.m.Target())
	if err != nil {
		tc.Error = a.red.String(err.Error())
		switch {
		case errors.Is(err, target.ErrNotFound):
			tc.Problem = plan.TargetNotFound
		case errors.Is(err, target.ErrAuth):
			tc.Problem = plan.TargetPermission
		default:
			tc.Problem = plan.TargetUnreachable
		}
		return
	}
	tc.Exists = true
	var inbox target.FolderID
	if err := timed(func() (err error) { inbox, err = mb.EnsureFolder(ctx, target.Inbox, nil); return err }); err != nil {
		tc.Error, tc.Problem = a.red.String(err.Error()), problemOf(err)
		return
	}
	tc.Reachable = true

	insp, ok := mb.(target.Inspector)
	if !ok {
		// Without an Inspector only the Inbox is looked at: EnsureFolder
		// with a path would create folders.
		n, err := countStamps(ctx, mb, inbox)
		if err != nil {
			tc.Error, tc.Problem = a.red.String(err.Error()), problemOf(err)
			return
		}
		tc.CanRead = true
		tc.Stamped = n
		return
	}
	tc.Inspected = true
	var folders []target.FolderInfo
	if err := timed(func() (err error) { folders, err = insp.Folders(ctx); return err }); err != nil {
		tc.Error, tc.Problem = a.red.String(err.Error()), problemOf(err)
		return
	}
	tc.CanRead = true
	tc.Items, tc.Bytes = 0, 0
	for _, f := range folders {
		path := strings.Join(target.FolderPath(folders, f.ID), "/")
		tc.Folders = append(tc.Folders, plan.TargetFolder{Path: path, Items: f.Items})
		if f.Items >= 0 && tc.Items >= 0 {
			tc.Items += f.Items
		} else {
			tc.Items = -1
		}
		if f.Bytes >= 0 && tc.Bytes >= 0 {
			tc.Bytes += f.Bytes
		} else {
			tc.Bytes = -1
		}
	}
	for _, fm := range mappings {
		if fm.WellKnown == "" || fm.Excluded || fm.Source.NoSelect || !mapping.IsMail(fm.Source.Kind) {
			continue
		}
		id, ok := findFolder(folders, fm.WellKnown, fm.Target)
		if !ok {
			continue
		}
		n, err := countStamps(ctx, mb, id)
		if err != nil {
			tc.Error, tc.Problem = a.red.String(err.Error()), problemOf(err)
			tc.CanRead = false
			return
		}
		tc.Stamped += n
	}
	q, err := insp.Quota(ctx)
	switch {
	case err != nil:
		a.log.Warn("reading the target quota", "err", a.red.Error(err))
		tc.QuotaUnknown = "the quota could not be read: " + a.red.String(err.Error())
	case q.Known:
		tc.QuotaBytes, tc.UsedBytes = q.Total, q.Used
	case q.Unknown != "":
		tc.QuotaUnknown = q.Unknown
	default:
		tc.QuotaUnknown = "the target does not report quotas"
	}
}

// problemOf classifies a target error for the plan.
func problemOf(err error) string {
	switch {
	case errors.Is(err, target.ErrAuth):
		return plan.TargetPermission
	case errors.Is(err, target.ErrNotFound):
		return plan.TargetNotFound
	}
	return plan.TargetUnreachable
}

// countStamps counts the stamped items of a target folder.
func countStamps(ctx context.Context, mb target.Mailbox, f target.FolderID) (int64, error) {
	var n int64
	for _, err := range mb.Stamps(ctx, f) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// findFolder finds the folder at path below the well-known folder in an
// Inspector's folder list, comparing names without regard to case as
// Exchange does.
func findFolder(list []target.FolderInfo, wellKnown string, path []string) (target.FolderID, bool) {
	var cur target.FolderID
	found := false
	for _, f := range list {
		if strings.EqualFold(f.WellKnown, wellKnown) {
			cur, found = f.ID, true
			break
		}
	}
	if !found {
		return "", false
	}
	for _, name := range path {
		found = false
		for _, f := range list {
			if f.ParentID == cur && strings.EqualFold(strings.TrimSpace(f.Name), strings.TrimSpace(name)) {
				cur, found = f.ID, true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return cur, true
}

// risks lists the problems of a plan, most serious first.
func (p *Planner) risks(pl *plan.Plan, mailboxes []config.Mailbox) []plan.Risk {
	var rs []plan.Risk
	add := func(sev plan.Severity, code, mailbox, folder, format string, args ...any) {
		rs = append(rs, plan.Risk{Severity: sev, Code: code, Mailbox: mailbox, Folder: folder, Message: fmt.Sprintf(format, args...)})
	}
	if p.Settings.Source.InsecureSkipVerify {
		add(plan.SevWarning, "insecure_tls", "", "", "The source servers' TLS certificates are not verified (source.insecure_skip_verify): a machine in the path could read the passwords and the mail. Set source.ca_file to the server's CA instead.")
	}
	if p.Target == nil {
		add(plan.SevWarning, "target_unchecked", "", "", "The target was not checked (no target credentials were configured): whether the mailboxes exist and the app has its permissions is unknown.")
	}
	t := p.Settings.Target
	if t.Auth == "token" && pl.Estimate.Seconds > 50*60 {
		add(plan.SevWarning, "expiring_credentials", "", "", "target.auth is token: a pre-issued bearer token lasts about an hour and cannot be renewed, and the run is estimated at %s. Use client_secret or certificate.", plan.FormatDuration(pl.Estimate.Seconds))
	}
	if t.Auth == "client_secret" || t.Auth == "" {
		add(plan.SevInfo, "secret_expiry", "", "", "Check that the app registration's client secret does not expire before the run ends (Entra ID shows its expiry date under Certificates & secrets).")
	}
	if p.Settings.Source.Auth == "xoauth2" && pl.Estimate.Seconds > 50*60 {
		add(plan.SevWarning, "expiring_credentials", "", "", "The sources log in with OAuth2 access tokens (source.auth: xoauth2), which usually expire after an hour; the run is estimated at %s. Refresh the tokens in the CSV before each run, or use an admin login.", plan.FormatDuration(pl.Estimate.Seconds))
	}
	for i, mb := range pl.Mailboxes {
		m := mailboxes[i]
		addr := mb.Address
		if m.Security == "plain" {
			add(plan.SevWarning, "plaintext_source", addr, "", "The source is read without encryption (security: plain): the password and the mail cross the network in clear. Use tls or starttls if the server offers it.")
		}
		if mb.Error != "" {
			add(plan.SevError, "source_unreadable", addr, "", "The source mailbox could not be assessed: %s", mb.Error)
		}
		tc := mb.TargetCheck
		switch tc.Problem {
		case plan.TargetNotFound:
			add(plan.SevError, "target_missing", addr, "", "The target mailbox %s does not exist in the tenant: create or license the user first (%s).", mb.Target, tc.Error)
		case plan.TargetPermission:
			add(plan.SevError, "target_permission", addr, "", "The target refused access to %s: %s. The app needs the application permissions User.Read.All and Mail.ReadWrite with admin consent.", mb.Target, tc.Error)
		case plan.TargetUnreachable:
			add(plan.SevError, "target_unreachable", addr, "", "The target mailbox %s could not be reached: %s", mb.Target, tc.Error)
		}
		if tc.Stamped > 0 {
			add(plan.SevInfo, "target_has_items", addr, "", "The target already holds %s migrated earlier, recognised by the stamp and not created again.", humanize.Plural(tc.Stamped, "item", "items"))
		}
		if tc.QuotaBytes > 0 && tc.UsedBytes >= 0 && tc.UsedBytes+mb.ToMigrate.Bytes > tc.QuotaBytes {
			add(plan.SevError, "over_quota", addr, "", "The mailbox needs %s but the target has %s free of its %s quota: raise the quota, license an archive, or migrate less (filters.since).",
				humanize.Bytes(mb.ToMigrate.Bytes), humanize.Bytes(max(tc.QuotaBytes-tc.UsedBytes, 0)), humanize.Bytes(tc.QuotaBytes))
		}
		if tc.QuotaUnknown != "" && mb.ToMigrate.Bytes > 0 {
			add(plan.SevInfo, "quota_unknown", addr, "", "The target's quota is unknown: %s. The plan cannot tell whether the %s to migrate fit.",
				tc.QuotaUnknown, humanize.Bytes(mb.ToMigrate.Bytes))
		}
		switch {
		case mb.Protocol != "pop3" || mb.Error != "":
		case mb.Items == 0:
			add(plan.SevWarning, "pop_empty", addr, "", "The POP account is empty on the server: its mail was probably downloaded and deleted by the mail program, and is on the user's computer. Add the local store as a row of its own for this mailbox (SourceProtocol local and a SourcePath: a Thunderbird profile, Maildir, .eml or Apple Mail folder; Outlook .pst not yet).")
		case mb.Items < popFewItems:
			add(plan.SevWarning, "pop_few", addr, "", "The POP account holds only %s on the server: the rest of the mail may be on the user's computer, downloaded by the mail program. Add the local store as a row of its own for this mailbox (SourceProtocol local and a SourcePath: a Thunderbird profile, Maildir, .eml or Apple Mail folder; Outlook .pst not yet).", humanize.Plural(mb.Items, "message", "messages"))
		}
		if mb.Protocol == "pop3" && mb.KeyScheme != "" && mb.KeyScheme != keysUIDL {
			add(plan.SevWarning, "pop_no_uidl", addr, "", "The POP server has no UIDL: messages are keyed by their size, Date and Message-ID (%s). A message whose Date or Message-ID the server rewrites between runs gets a new key; the content identity keeps it from being created twice.", mb.KeyScheme)
		}
		if mb.Error != "" {
			continue
		}
		for _, it := range mb.OverLimit {
			add(plan.SevWarning, "over_limit", addr, it.Folder, "Item %s (%s) is %s.", it.Key, humanize.Bytes(it.Size), it.Reason)
		}
		for _, it := range mb.Unparsable {
			add(plan.SevWarning, "unparsable", addr, it.Folder, "%s %s cannot be read and will not be migrated: %s.", pimNoun(mb, it.Folder), it.Key, it.Reason)
		}
		for _, r := range mb.Renamed {
			add(plan.SevInfo, "folder_renamed", addr, r.Source, "Folder %s becomes %s: %s.", r.Source, r.Target, strings.Join(r.Changes, "; "))
		}
		if mb.KeywordsDropped > 0 {
			add(plan.SevInfo, "keywords_dropped", addr, "", "%s", keywordsDroppedMessage(mb, p.Settings.Keywords.KeepDollar))
		}
		if mb.DuplicateItems > 0 {
			add(plan.SevInfo, "duplicate_message_ids", addr, "", "%d items share a Message-ID with another item (%s); each copy is migrated, as on the source.", mb.DuplicateItems, humanize.Plural(int64(len(mb.Duplicates)), "Message-ID", "Message-IDs"))
		}
		for _, f := range mb.Folders {
			if len(f.Unreadable) > 0 {
				add(plan.SevWarning, "unreadable_files", addr, f.Path, "Folder %s holds data that cannot be read as mail and will not be migrated (%s): %s. Check it at the source: make the files readable, or remove what is not mail.",
					f.Path, humanize.Plural(int64(len(f.Unreadable)), "file", "files"), unreadableList(f.Unreadable))
			}
			if f.Items > plan.MaxItemsPerFolder {
				add(plan.SevWarning, "folder_too_big", addr, f.Path, "Folder %s holds %d items; Exchange Online allows %d per folder. Split it before the run (folders.rename cannot split).", f.Path, f.Items, plan.MaxItemsPerFolder)
			}
		}
		if mb.Items > 0 && mb.ToMigrate.Items == 0 {
			add(plan.SevWarning, "nothing_to_migrate", addr, "", "Every item of the mailbox is skipped by the filters.")
		}
		if mb.HeadersSkipped > 0 && mb.HeadersRead > 0 {
			add(plan.SevInfo, "headers_unchecked", addr, "", "%s not checked for duplicate Message-IDs (over --header-max, or after --header-time ran out).", humanize.Plural(mb.HeadersSkipped, "item was", "items were"))
		}
	}
	popRisks(pl, add)
	rowRisks(pl, add)
	rs = append(rs, probeRisks(pl.TenantProbe)...)
	slices.SortStableFunc(rs, func(x, y plan.Risk) int {
		return cmp.Compare(plan.SeverityRank(x.Severity), plan.SeverityRank(y.Severity))
	})
	return rs
}

// popFewItems is the message count under which a POP account is said to
// hold little: most POP clients delete what they download, so a user's
// years of mail are usually in the desktop client, not on the server.
const popFewItems = 20

// maxKeywordsNamed is how many dropped keywords a risk names.
const maxKeywordsNamed = 10

// keywordsDroppedMessage says which keywords the mailbox's items lose and,
// unless keepDollar is set already, which of them keywords.keep_dollar
// would keep as categories.
func keywordsDroppedMessage(mb plan.Mailbox, keepDollar bool) string {
	var named, keepable []string
	for i, k := range mb.DroppedKeywords {
		if i < maxKeywordsNamed {
			named = append(named, fmt.Sprintf("%s (%s)", k.Keyword, humanize.Plural(k.Items, "item", "items")))
		}
		if mapping.KeptByKeepDollar(k.Keyword) {
			keepable = append(keepable, k.Keyword)
		}
	}
	if n := len(mb.DroppedKeywords) - len(named); n > 0 {
		named = append(named, fmt.Sprintf("%d more", n))
	}
	msg := fmt.Sprintf("%s keywords that Exchange Online has no place for; they are migrated without them: %s.",
		humanize.Plural(mb.KeywordsDropped, "item carries", "items carry"), strings.Join(named, ", "))
	if len(keepable) > 0 && !keepDollar {
		if len(keepable) > maxKeywordsNamed {
			keepable = append(keepable[:maxKeywordsNamed], "...")
		}
		msg += fmt.Sprintf(" Set keywords.keep_dollar: true to keep %s as categories.", strings.Join(keepable, ", "))
	}
	return msg
}

// unreadableList joins a folder's unreadable files for a risk: the
// first five, then how many more the plan file lists.
func unreadableList(files []string) string {
	const shown = 5
	if len(files) <= shown {
		return strings.Join(files, "; ")
	}
	return fmt.Sprintf("%s; and %d more (listed in the plan file)", strings.Join(files[:shown], "; "), len(files)-shown)
}

// pimNoun names what an item of the plan folder named folder is, for a
// sentence: "Event" in a calendar, else "Contact".
func pimNoun(mb plan.Mailbox, folder string) string {
	for _, f := range mb.Folders {
		if f.Path == folder && f.Kind == string(source.KindEvent) {
			return "Event"
		}
	}
	return "Contact"
}
