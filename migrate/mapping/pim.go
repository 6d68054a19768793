package mapping

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// The target's default contact folder and calendar, which the folder
// mappings of address books and calendars are relative to.
const (
	WellKnownContacts = target.Contacts
	WellKnownCalendar = target.Calendar
)

// IsMail reports whether a folder of kind k holds mail ("" is mail).
func IsMail(k source.Kind) bool { return k == "" || k == source.KindMessage }

// pimFolders maps address books and calendars (folders of kind contact
// and event), which are flat and apart from the mail tree: the account's
// default one of each kind (source.Default), and one named as the
// target's default ("Contacts", "Calendar", any case), go to the target's
// default contact folder or calendar, every other one to a contact folder below
// Contacts or a calendar of its own, named as the source names it
// (sanitised like a mail folder's name, " (2)" for a name already taken,
// without regard to case). A folder the source advises against
// (source.Folder.Skip) is excluded with the source's reason, and every
// one of a kind the rules leave out (RulesOptions.NoContacts,
// NoCalendars) with the setting's name. Folder rules
// (renames, exclude and include patterns) are for mail and do not apply.
func (rules *Rules) pimFolders(src []source.Folder) []FolderMapping {
	src = slices.Clone(src)
	slices.SortStableFunc(src, func(a, b source.Folder) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), slices.Compare(a.Path, b.Path), cmp.Compare(a.Name, b.Name))
	})
	var out []FolderMapping
	taken := map[string]map[string]bool{WellKnownContacts: {}, WellKnownCalendar: {}}
	// The default calendar's and contact folder's own names are taken.
	taken[WellKnownContacts][foldKey(target.DisplayName(WellKnownContacts))] = true
	taken[WellKnownCalendar][foldKey(target.DisplayName(WellKnownCalendar))] = true
	for _, f := range src {
		wk := WellKnownContacts
		if f.Kind == source.KindEvent {
			wk = WellKnownCalendar
		}
		m := FolderMapping{Source: f, WellKnown: wk}
		name := ""
		if len(f.Path) > 0 {
			name = f.Path[len(f.Path)-1]
		}
		switch {
		case f.Skip != "":
			m.WellKnown, m.Excluded, m.Reason = "", true, f.Skip
		case f.Kind == source.KindContact && rules.noContacts:
			m.WellKnown, m.Excluded, m.Reason = "", true, "filters.contacts is false"
		case f.Kind == source.KindEvent && rules.noCalendars:
			m.WellKnown, m.Excluded, m.Reason = "", true, "filters.calendars is false"
		case f.Kind != source.KindContact && f.Kind != source.KindEvent:
			m.WellKnown, m.Excluded, m.Reason = "", true, fmt.Sprintf("holds %s items, which cannot be migrated", f.Kind)
		case f.SpecialUse == source.Default || strings.EqualFold(strings.TrimSpace(name), target.DisplayName(wk)):
			if !strings.EqualFold(name, target.DisplayName(wk)) {
				m.Changes = append(m.Changes, fmt.Sprintf("the account's default %s: merged into %s", kindNoun(f.Kind), target.DisplayName(wk)))
			}
		default:
			clean, why := sanitizeFolderName(name)
			m.Changes = append(m.Changes, why...)
			final := clean
			for n := 2; taken[wk][foldKey(final)]; n++ {
				final = withSuffix(clean, counterSuffix(n))
			}
			if final != clean {
				m.Changes = append(m.Changes, fmt.Sprintf("renamed to %q: the name is taken", final))
			}
			taken[wk][foldKey(final)] = true
			m.Target = []string{final}
		}
		out = append(out, m)
	}
	return out
}

// kindNoun names what a folder of kind k is: "address book" or "calendar".
func kindNoun(k source.Kind) string {
	if k == source.KindEvent {
		return "calendar"
	}
	return "address book"
}
