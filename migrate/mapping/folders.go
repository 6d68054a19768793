package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Graph well-known folder names a FolderMapping's Target is relative to:
// the target's (package target), named here for the mapping's callers.
// They work whatever the mailbox language (Graph mailFolder resource,
// "Well-known folder names").
const (
	WellKnownInbox        = target.Inbox
	WellKnownSentItems    = target.SentItems
	WellKnownDrafts       = target.Drafts
	WellKnownDeletedItems = target.DeletedItems
	WellKnownJunkEmail    = target.JunkEmail
	WellKnownArchive      = target.Archive
	WellKnownRoot         = target.Root
)

// SpecialUseImportant is the special-use attribute of Gmail's "Important"
// view (RFC 8457). Package source does not name it; adapters may pass it
// through, and Folders excludes such a folder like \All and \Flagged.
const SpecialUseImportant source.SpecialUse = `\Important`

// FolderMapping is where one source folder goes.
type FolderMapping struct {
	// Source is the folder as the source adapter listed it.
	Source source.Folder
	// WellKnown is the Graph well-known folder that Target is relative to
	// (one of the WellKnown constants), or "" when the folder maps nowhere
	// (excluded, and not needed as the parent of a migrated subfolder).
	WellKnown string
	// Target is the folder's path of display names below WellKnown, one
	// segment per level; empty when the folder is the well-known folder
	// itself (INBOX is WellKnown "inbox" with an empty Target).
	Target []string
	// Excluded is true when the folder's own items are not migrated; Reason
	// says why. An excluded folder may still have a Target: it is then only
	// the parent of migrated subfolders.
	Excluded bool
	// Reason says why the folder is excluded, as a sentence for the report.
	Reason string
	// Changes lists, for the report, each way in which the folder's target
	// differs from its source name and place: renames from the
	// configuration, characters replaced, suffixes added, roles ignored.
	Changes []string
}

// String returns the mapping's target as "wellknown/seg/seg" (just the
// well-known name for the folder itself), or "(excluded)".
func (m FolderMapping) String() string {
	if m.WellKnown == "" {
		return "(excluded)"
	}
	return strings.Join(append([]string{m.WellKnown}, m.Target...), "/")
}

// Rules are the folder rules of a project, compiled. The zero value and a
// nil *Rules mean no renames, no filters and the default reserved names.
// Rules are immutable once built and safe for concurrent use.
type Rules struct {
	renames  []renameRule
	exclude  []glob
	include  []glob
	reserved map[string]bool // foldKey of extra reserved names
	// noContacts, noCalendars: RulesOptions.NoContacts, NoCalendars.
	noContacts, noCalendars bool
}

// RulesOptions adjust NewRules. A nil *RulesOptions means the defaults.
type RulesOptions struct {
	// Reserved adds top-level folder names to ReservedFolderNames, for
	// target mailboxes whose default folders have localised names
	// ("Gesendete Elemente", "Éléments envoyés"...).
	Reserved []string
	// NoContacts and NoCalendars leave out every address book or calendar
	// (filters.contacts, filters.calendars false).
	NoContacts, NoCalendars bool
}

// ProjectRules compiles the folder rules of a project's settings: its
// folders section, and filters.contacts and filters.calendars.
func ProjectRules(f config.File) (*Rules, error) {
	return NewRules(f.Folders, &RulesOptions{NoContacts: !f.Filters.IncludeContact, NoCalendars: !f.Filters.IncludeEvents})
}

// renameRule is one folders.rename entry, compiled.
type renameRule struct {
	key  string   // "folders.rename[3]", for reports
	from []string // canonical source path
	wk   string   // well-known folder the target is under
	to   []string // target path below wk; empty for wk itself
	text string   // "from" -> "to" as written
}

// NewRules compiles the folder rules of a project. It checks every rule and
// returns all problems at once (errors.Join), each naming its setting:
// empty or duplicate rename sources, empty targets or target segments,
// malformed glob patterns.
//
// Rename sources and targets are "/"-separated paths. A source matches the
// folder with that decoded path (INBOX in any case) and moves its
// subfolders with it. A target whose first segment is the display or
// well-known name of a mail folder Exchange creates (Inbox, Sent Items,
// sentitems, Deleted Items, Drafts, Junk Email, Archive; any case) is placed
// in that folder: "Sent Items" merges the source folder into Sent Items,
// "Archive/Old" makes it a subfolder of the Archive folder. Any other
// target is below the mailbox root.
func NewRules(f config.Folders, opts *RulesOptions) (*Rules, error) {
	r := &Rules{reserved: map[string]bool{}}
	var errs []error
	seen := map[string]string{}
	for i, rn := range f.Rename {
		key := fmt.Sprintf("folders.rename[%d]", i)
		from := strings.Trim(rn.From, "/")
		to := strings.Trim(rn.To, "/")
		if strings.TrimSpace(from) == "" {
			errs = append(errs, fmt.Errorf("%s: \"from\" is empty; give the source folder path, e.g. \"INBOX/Old\"", key))
			continue
		}
		if strings.TrimSpace(to) == "" {
			errs = append(errs, fmt.Errorf("%s: \"to\" is empty; give the target folder path, e.g. \"Archive/Old\" (use folders.exclude to leave a folder out)", key))
			continue
		}
		fromPath := canonicalPath(strings.Split(from, "/"))
		toPath := strings.Split(to, "/")
		if slices.Contains(toPath, "") {
			errs = append(errs, fmt.Errorf("%s: \"to\" %q has an empty segment; remove the doubled \"/\"", key, rn.To))
			continue
		}
		id := strings.Join(fromPath, "/")
		if prev, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("%s: \"from\" %q is already renamed by %s; keep one of them", key, rn.From, prev))
			continue
		}
		seen[id] = key
		wk, rest := WellKnownRoot, toPath
		if w, ok := wellKnownByName(toPath[0]); ok {
			wk, rest = w, toPath[1:]
		}
		r.renames = append(r.renames, renameRule{
			key:  key,
			from: fromPath,
			wk:   wk,
			to:   rest,
			text: fmt.Sprintf("%q -> %q", rn.From, rn.To),
		})
	}
	for i, p := range f.Exclude {
		g, err := compileGlob(fmt.Sprintf("folders.exclude[%d]", i), p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.exclude = append(r.exclude, g)
	}
	for i, p := range f.Include {
		g, err := compileGlob(fmt.Sprintf("folders.include[%d]", i), p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.include = append(r.include, g)
	}
	if opts != nil {
		r.noContacts, r.noCalendars = opts.NoContacts, opts.NoCalendars
		for _, n := range opts.Reserved {
			if strings.TrimSpace(n) != "" {
				r.reserved[foldKey(strings.TrimSpace(n))] = true
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// WithInboxTarget returns the rules with INBOX (and its subfolders) sent
// to folder, a "/"-separated target path read as a folders.rename target:
// a first segment naming a folder Exchange creates ("Inbox/Old provider",
// "Archive") places it in that folder, any other ("Old provider") below the
// mailbox root. It takes precedence over a folders.rename of INBOX; key
// names the setting in errors and reports. An empty folder returns r
// itself. This is where a POP3 account's mail goes (pop3.folder or the
// CSV's TargetFolder); r is not changed.
func (r *Rules) WithInboxTarget(key, folder string) (*Rules, error) {
	to := strings.Trim(folder, "/")
	if strings.TrimSpace(to) == "" {
		return r, nil
	}
	toPath := strings.Split(to, "/")
	if slices.ContainsFunc(toPath, func(s string) bool { return strings.TrimSpace(s) == "" }) {
		return nil, fmt.Errorf("%s: %q has an empty segment; remove the doubled \"/\"", key, folder)
	}
	out := &Rules{reserved: map[string]bool{}}
	if r != nil {
		*out = *r
	}
	wk, rest := WellKnownRoot, toPath
	if w, ok := wellKnownByName(toPath[0]); ok {
		wk, rest = w, toPath[1:]
	}
	rule := renameRule{key: key, from: []string{"INBOX"}, wk: wk, to: rest, text: fmt.Sprintf("%q -> %q", "INBOX", folder)}
	out.renames = append([]renameRule{rule}, r.renameList()...)
	return out, nil
}

// renameList is r's rename rules, nil for a nil *Rules.
func (r *Rules) renameList() []renameRule {
	if r == nil {
		return nil
	}
	return r.renames
}

// wellKnownByName recognises the first segment of a rename target that
// names a mail folder Exchange creates: its English display name
// (target.DisplayName; also "Junk E-mail", the older name of Junk Email)
// or its Graph well-known name, in any case.
func wellKnownByName(seg string) (string, bool) {
	k := foldKey(strings.TrimSpace(seg))
	if k == "junk e-mail" {
		return WellKnownJunkEmail, true
	}
	for _, wk := range append(target.WellKnownMail(), target.Root) {
		if k == wk || (k != "" && k == foldKey(target.DisplayName(wk))) {
			return wk, true
		}
	}
	return "", false
}

// wellKnownFor returns the well-known folder for a special-use role, or ""
// for none.
func wellKnownFor(role source.SpecialUse) string {
	switch role {
	case source.Inbox:
		return WellKnownInbox
	case source.Sent:
		return WellKnownSentItems
	case source.Drafts:
		return WellKnownDrafts
	case source.Trash:
		return WellKnownDeletedItems
	case source.Junk:
		return WellKnownJunkEmail
	case source.Archive:
		return WellKnownArchive
	}
	return ""
}

// isReserved reports whether name, as a top-level folder, would clash with
// an Exchange default folder.
func (r *Rules) isReserved(name string) bool {
	k := foldKey(name)
	if r.reserved[k] {
		return true
	}
	for _, n := range ReservedFolderNames() {
		if foldKey(n) == k {
			return true
		}
	}
	return false
}

// placement says how a folder's target is found.
type placement int

const (
	placeChild     placement = iota // below its source parent's target, under its own name
	placeRoot                       // is a well-known folder itself
	placeSecondary                  // below a well-known folder (another folder has that role)
	placeRenamed                    // at a rename target below a well-known folder
)

// snode is one node of the source folder tree: a listed folder or an
// implicit parent the source did not list.
type snode struct {
	seg      string
	path     []string // canonical
	src      *source.Folder
	parent   *snode
	children []*snode
	kids     map[string]*snode

	excluded   bool
	reason     string
	byRule     string // the exclude pattern that excludes this node and its subtree
	byRuleAt   string // the path of the folder that pattern matched
	included   bool   // matched, or under a folder matched, by an include pattern
	changes    []string
	role       source.SpecialUse
	guessed    bool
	wk         string // placeRoot, placeSecondary, placeRenamed: the well-known folder
	place      placement
	rename     *renameRule
	uses       bool // a migrated folder is placed below this one's target
	claims     bool // needs a target folder of its own
	depth      int  // target depth below its well-known folder
	tn         *tnode
	secondOf   *snode // placeSecondary: the folder that has the role
	renameNote []string
}

// holdsItems reports whether the node is a listed, selectable mail folder.
func (n *snode) holdsItems() bool {
	return n.src != nil && !n.src.NoSelect && IsMail(n.src.Kind)
}

func (n *snode) name() string { return strings.Join(n.path, "/") }

// tnode is one target folder, resolved.
type tnode struct {
	wk     string
	parent *tnode
	name   string
}

func (t *tnode) segments() []string {
	if t.parent == nil {
		return nil
	}
	return append(t.parent.segments(), t.name)
}

// Folders maps a source account's folders to target folders, one
// FolderMapping per source folder: the mail folders sorted by source path
// (segment by segment, by bytes), then the address books and calendars
// (pimFolders) sorted by kind, path and name. The result depends only on
// the set of folders and the rules, never on the order of src. See the
// package documentation for the rules. It returns an error for input no
// adapter should produce: a mail folder with an empty path, or two mail
// folders with the same path.
func Folders(src []source.Folder, rules *Rules) ([]FolderMapping, error) {
	if rules == nil {
		rules = &Rules{}
	}
	var mail, pim []source.Folder
	for _, f := range src {
		if IsMail(f.Kind) {
			mail = append(mail, f)
		} else {
			pim = append(pim, f)
		}
	}
	out, err := rules.mailFolders(mail)
	if err != nil {
		return nil, err
	}
	return append(out, rules.pimFolders(pim)...), nil
}

// mailFolders maps the mail folders of an account (Folders).
func (rules *Rules) mailFolders(src []source.Folder) ([]FolderMapping, error) {
	root, nodes, err := buildTree(src)
	if err != nil {
		return nil, err
	}
	all := preorder(root)
	rules.markExcluded(all)
	rules.matchRenames(all)
	assignRoles(all)
	place(all)
	markUse(all)
	rules.resolve(all)

	out := make([]FolderMapping, 0, len(nodes))
	for _, n := range nodes {
		m := FolderMapping{Source: *n.src, Excluded: n.excluded, Reason: n.reason}
		switch {
		case n.excluded && !n.uses:
			// Maps nowhere.
		case n.place == placeRoot:
			m.WellKnown = n.wk
		case n.tn != nil:
			m.WellKnown = n.tn.wk
			m.Target = n.tn.segments()
		}
		m.Changes = append(append(m.Changes, n.renameNote...), n.changes...)
		out = append(out, m)
	}
	return out, nil
}

// buildTree builds the source tree and returns its root and the listed
// folders' nodes in output order.
func buildTree(src []source.Folder) (*snode, []*snode, error) {
	root := &snode{kids: map[string]*snode{}}
	var listed []*snode
	for i := range src {
		f := &src[i]
		if len(f.Path) == 0 {
			return nil, nil, fmt.Errorf("mapping: folder %q has an empty path", f.Name)
		}
		p := canonicalPath(f.Path)
		n := root
		for d, seg := range p {
			c, ok := n.kids[seg]
			if !ok {
				c = &snode{seg: seg, path: p[:d+1], parent: n, kids: map[string]*snode{}}
				n.kids[seg] = c
				n.children = append(n.children, c)
			}
			n = c
		}
		if n.src != nil {
			return nil, nil, fmt.Errorf("mapping: folders %q and %q have the same path %q", n.src.Name, f.Name, strings.Join(p, "/"))
		}
		n.src = f
		listed = append(listed, n)
	}
	var sortKids func(n *snode)
	sortKids = func(n *snode) {
		slices.SortFunc(n.children, func(a, b *snode) int { return strings.Compare(a.seg, b.seg) })
		for _, c := range n.children {
			sortKids(c)
		}
	}
	sortKids(root)
	slices.SortFunc(listed, func(a, b *snode) int { return comparePaths(a.path, b.path) })
	return root, listed, nil
}

// preorder lists the tree's nodes, parents before children, siblings by
// bytes; the root itself is left out.
func preorder(root *snode) []*snode {
	var out []*snode
	var walk func(n *snode)
	walk = func(n *snode) {
		for _, c := range n.children {
			out = append(out, c)
			walk(c)
		}
	}
	walk(root)
	return out
}

// markExcluded applies folders.exclude and folders.include, and leaves out
// virtual folders and folders that hold no mail. An exclude pattern that
// matches a folder excludes its subfolders too; an include pattern that
// matches a folder includes its subfolders. Exclude wins.
func (r *Rules) markExcluded(all []*snode) {
	for _, n := range all {
		p := n.parent
		if p.byRule != "" {
			n.byRule, n.byRuleAt = p.byRule, p.byRuleAt
			n.excluded = true
			n.reason = fmt.Sprintf("inside %q, which matches folders.exclude pattern %q", n.byRuleAt, n.byRule)
			continue
		}
		for _, g := range r.exclude {
			if g.match(n.path) {
				n.byRule, n.byRuleAt = g.text, n.name()
				n.excluded = true
				n.reason = fmt.Sprintf("matches folders.exclude pattern %q", g.text)
				break
			}
		}
		if n.excluded {
			continue
		}
		if len(r.include) > 0 {
			n.included = p.included
			for _, g := range r.include {
				if !n.included && g.match(n.path) {
					n.included = true
				}
			}
			if !n.included {
				n.excluded = true
				n.reason = "matches no folders.include pattern"
				continue
			}
		}
		if n.src == nil {
			continue
		}
		switch {
		case n.src.SpecialUse == source.All:
			n.excluded = true
			n.reason = `\All is a virtual folder (such as Gmail's "All Mail") whose messages are also in other folders; migrating it would duplicate them`
		case n.src.SpecialUse == source.Flagged:
			n.excluded = true
			n.reason = `\Flagged is a virtual folder (such as Gmail's "Starred") whose messages are also in other folders; migrating it would duplicate them (their flag is kept)`
		case n.src.SpecialUse == SpecialUseImportant:
			n.excluded = true
			n.reason = `\Important is a virtual folder (such as Gmail's "Important") whose messages are also in other folders; migrating it would duplicate them`
		}
	}
}

// assignRoles decides which folders take a well-known role: INBOX, and
// special-use folders that may hold items. A role guessed from the name
// counts only for a folder at the top, under INBOX (servers with an
// "INBOX." namespace) or under listed \Noselect containers (Gmail's
// "[Gmail]"); "Projects/Sent" is an ordinary folder. Of several folders
// with one role, the primary one becomes the well-known folder and the
// others its subfolders: INBOX itself first, then folders whose items are
// migrated before excluded and \Noselect ones, then announced roles before
// guessed ones, then shallower before deeper, then a folder named as the
// role (Sent, Drafts, Trash, Junk, Archive, in any case) before other
// names ("Archive" before "Archiv" and "Archives", "Trash" before
// "Deleted Items"), then by path bytes. A \Noselect folder with a role
// ("Archive" holding only "Archive/2019") thus places its subfolders in the
// well-known folder. A primary folder whose role was guessed says so in
// its Changes.
func assignRoles(all []*snode) {
	byWK := map[string][]*snode{}
	for _, n := range all {
		if n.src == nil || !IsMail(n.src.Kind) {
			continue
		}
		su := n.src.SpecialUse
		if samePath(n.path, []string{"INBOX"}) {
			su = source.Inbox
		}
		wk := wellKnownFor(su)
		if wk == "" {
			continue
		}
		if n.rename != nil {
			n.changes = append(n.changes, fmt.Sprintf("role %s not used: %s renames the folder", su, n.rename.key))
			continue
		}
		guessed := n.src.SpecialUseGuessed && !samePath(n.path, []string{"INBOX"})
		if guessed {
			if a := blockingAncestor(n); a != nil {
				n.changes = append(n.changes, fmt.Sprintf("name suggests %s, but the folder is inside %q, so it stays an ordinary folder", su, a.name()))
				continue
			}
		}
		n.role, n.guessed, n.wk = su, guessed, wk
		byWK[wk] = append(byWK[wk], n)
	}
	for _, cands := range byWK {
		slices.SortFunc(cands, func(a, b *snode) int {
			if c := boolOrder(samePath(a.path, []string{"INBOX"}), samePath(b.path, []string{"INBOX"})); c != 0 {
				return c
			}
			if c := boolOrder(!a.excluded && a.holdsItems(), !b.excluded && b.holdsItems()); c != 0 {
				return c
			}
			if c := boolOrder(!a.guessed, !b.guessed); c != 0 {
				return c
			}
			if c := len(a.path) - len(b.path); c != 0 {
				return c
			}
			if c := boolOrder(namedAsRole(a), namedAsRole(b)); c != 0 {
				return c
			}
			return comparePaths(a.path, b.path)
		})
		cands[0].place = placeRoot
		if p := cands[0]; p.guessed {
			p.changes = append(p.changes, fmt.Sprintf("role %s guessed from the name", p.role))
		}
		for _, n := range cands[1:] {
			n.place = placeSecondary
			n.secondOf = cands[0]
		}
	}
}

// namedAsRole reports whether the folder's name is its role's own name
// ("Archive" for \Archive), in any case.
func namedAsRole(n *snode) bool {
	return foldKey(n.seg) == foldKey(strings.TrimPrefix(string(n.role), `\`))
}

// boolOrder sorts true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// blockingAncestor returns the nearest ancestor that stops a guessed role:
// one that is neither INBOX nor a listed \Noselect container. A parent the
// source does not list at all blocks too: a guess is weak evidence, and
// moving "Lists/Sent" into Sent Items would be a surprise.
func blockingAncestor(n *snode) *snode {
	for a := n.parent; a != nil && a.path != nil; a = a.parent {
		if samePath(a.path, []string{"INBOX"}) {
			continue
		}
		if a.src != nil && a.src.NoSelect {
			continue
		}
		return a
	}
	return nil
}

// matchRenames finds each folder's own rename rule, if any.
func (r *Rules) matchRenames(all []*snode) {
	for _, n := range all {
		for i := range r.renames {
			if samePath(r.renames[i].from, n.path) {
				n.rename = &r.renames[i]
				break
			}
		}
	}
}

// place applies renames and computes each node's target depth, parents
// first.
func place(all []*snode) {
	for _, n := range all {
		if rn := n.rename; rn != nil {
			n.wk = rn.wk
			if len(rn.to) == 0 {
				n.place = placeRoot
				n.renameNote = append(n.renameNote, fmt.Sprintf("renamed by %s (%s): merged into %s", rn.key, rn.text, rn.wk))
			} else {
				n.place = placeRenamed
				n.renameNote = append(n.renameNote, fmt.Sprintf("renamed by %s (%s)", rn.key, rn.text))
			}
		}
		switch n.place {
		case placeRoot:
			n.depth = 0
		case placeSecondary:
			n.depth = 1
		case placeRenamed:
			n.depth = len(n.rename.to)
		case placeChild:
			if n.parent.path == nil {
				n.depth = 1
			} else {
				n.depth = n.parent.depth + 1
			}
		}
	}
}

// markUse finds, bottom up, the folders whose target must exist: those that
// hold migrated items, and those below which a migrated folder is placed.
// A \Noselect folder (or an unlisted parent) with nothing placed below it is
// not created, and says so.
func markUse(all []*snode) {
	for i := len(all) - 1; i >= 0; i-- {
		n := all[i]
		for _, c := range n.children {
			if c.place == placeChild && ((!c.excluded && c.holdsItems()) || c.uses) {
				n.uses = true
				break
			}
		}
		active := !n.excluded && n.holdsItems()
		n.claims = n.place != placeRoot && (active || n.uses)
		if n.src != nil && !n.excluded && !n.holdsItems() && !n.uses && n.place != placeRoot {
			n.excluded = true
			n.reason = `a \Noselect folder holds no items, and no migrated folder goes inside it: nothing to create`
		}
	}
}

// claim is a request for a folder name below a resolved parent.
type claim struct {
	node   *snode // nil for a segment of a rename target
	owner  *snode // the renamed folder, for a rename target segment
	parent *tnode
	want   string // sanitised desired name
	key    string // foldKey(want)
	prio   int    // 0 rename target segment, 1 renamed folder, 2 other
	src    string // source name, for the sort
	path   []string
	notes  []string
}

// resolve gives every claiming node its target folder, level by level, so
// that all the names competing below one parent are known together.
func (r *Rules) resolve(all []*snode) {
	roots := map[string]*tnode{}
	rootOf := func(wk string) *tnode {
		t, ok := roots[wk]
		if !ok {
			t = &tnode{wk: wk}
			roots[wk] = t
		}
		return t
	}
	maxDepth := 0
	for _, n := range all {
		if n.place == placeRoot {
			n.tn = rootOf(n.wk)
		}
		if n.claims && n.depth > maxDepth {
			maxDepth = n.depth
		}
	}
	// chain[n] is the tnode a renamed folder's target path has reached.
	chain := map[*snode]*tnode{}
	for d := 1; d <= maxDepth; d++ {
		var claims []*claim
		for _, n := range all {
			if !n.claims {
				continue
			}
			if n.place == placeRenamed && d < n.depth {
				parent, ok := chain[n]
				if !ok {
					parent = rootOf(n.wk)
				}
				c := &claim{owner: n, parent: parent, src: n.rename.to[d-1]}
				claims = append(claims, c)
				continue
			}
			if n.depth != d {
				continue
			}
			c := &claim{node: n, src: n.seg, path: n.path, prio: 2}
			switch n.place {
			case placeSecondary:
				c.parent = rootOf(n.wk)
			case placeRenamed:
				c.prio = 1
				c.src = n.rename.to[len(n.rename.to)-1]
				if p, ok := chain[n]; ok {
					c.parent = p
				} else {
					c.parent = rootOf(n.wk)
				}
			case placeChild:
				if n.parent.path == nil {
					c.parent = rootOf(WellKnownRoot)
				} else {
					c.parent = n.parent.tn
				}
			}
			claims = append(claims, c)
		}
		r.resolveLevel(claims, chain)
	}
}

// resolveLevel names the claims of one level. Below each parent, names that
// are equal once case-folded form a group; the group's first folder
// (renamed folders first, then by source name bytes, then by source path)
// keeps the name, the others get " (2)", " (3)"... avoiding every name
// already taken below that parent. Segments of rename targets take no name
// of their own: they join the folder of that name, or create it.
func (r *Rules) resolveLevel(claims []*claim, chain map[*snode]*tnode) {
	for _, c := range claims {
		want, why := sanitizeFolderName(c.src)
		if len(why) > 0 {
			c.notes = append(c.notes, fmt.Sprintf("name %q changed to %q: %s", c.src, want, strings.Join(why, ", ")))
		}
		if c.parent.wk == WellKnownRoot && c.parent.parent == nil && r.isReserved(want) {
			w := withSuffix(want, ReservedSuffix)
			c.notes = append(c.notes, fmt.Sprintf("top-level name %q is an Exchange default folder name: named %q", want, w))
			want = w
		}
		c.want, c.key = want, foldKey(want)
	}
	byParent := map[*tnode][]*claim{}
	var parents []*tnode
	for _, c := range claims {
		if _, ok := byParent[c.parent]; !ok {
			parents = append(parents, c.parent)
		}
		byParent[c.parent] = append(byParent[c.parent], c)
	}
	for _, p := range parents {
		cs := byParent[p]
		slices.SortFunc(cs, func(a, b *claim) int {
			if c := strings.Compare(a.key, b.key); c != 0 {
				return c
			}
			if c := a.prio - b.prio; c != 0 {
				return c
			}
			if c := strings.Compare(a.src, b.src); c != 0 {
				return c
			}
			if c := comparePaths(a.path, b.path); c != 0 {
				return c
			}
			return comparePaths(ownerPath(a), ownerPath(b))
		})
		taken := map[string]*tnode{}
		var losers []*claim
		// Winners first: the first real folder of each group, else the
		// first rename target segment.
		for i := 0; i < len(cs); {
			j := i
			for j < len(cs) && cs[j].key == cs[i].key {
				j++
			}
			group := cs[i:j]
			var win *claim
			for _, c := range group {
				if c.node != nil {
					win = c
					break
				}
			}
			if win == nil {
				win = group[0]
			}
			t := &tnode{wk: p.wk, parent: p, name: win.want}
			taken[win.key] = t
			for _, c := range group {
				switch {
				case c.node == nil:
					chain[c.owner] = t
					c.owner.changes = append(c.owner.changes, c.notes...)
				case c == win:
					c.node.tn = t
					c.node.changes = append(c.node.changes, c.notes...)
				default:
					losers = append(losers, c)
				}
			}
			i = j
		}
		for _, c := range losers {
			first := taken[c.key]
			for k := 2; ; k++ {
				name := withSuffix(c.want, counterSuffix(k))
				key := foldKey(name)
				if _, used := taken[key]; used {
					continue
				}
				t := &tnode{wk: p.wk, parent: p, name: name}
				taken[key] = t
				c.node.tn = t
				c.node.changes = append(c.node.changes, c.notes...)
				c.node.changes = append(c.node.changes, fmt.Sprintf("name %q differs only by case from %q in the same target folder (Exchange folder names are case-insensitive): named %q", c.want, first.name, name))
				break
			}
		}
	}
	for _, c := range claims {
		if n := c.node; n != nil && n.place == placeSecondary && n.tn != nil {
			n.changes = append(n.changes, fmt.Sprintf("also %s, like %q which becomes %s: kept as its subfolder %q", n.role, n.secondOf.name(), n.wk, n.tn.name))
		}
	}
}

func ownerPath(c *claim) []string {
	if c.owner != nil {
		return c.owner.path
	}
	return nil
}
