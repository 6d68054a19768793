package mapping

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
)

// fo builds a source folder from a "/"-separated path and options.
func fo(p string, opts ...func(*source.Folder)) source.Folder {
	f := source.Folder{Path: strings.Split(p, "/"), Delimiter: "/", Name: p, Kind: source.KindMessage, Count: -1, Bytes: -1}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// role sets a special use announced by the server.
// fseg builds a source folder from explicit path segments, which may
// contain "/" (a server whose delimiter is ".").
func fseg(segs ...string) source.Folder {
	f := fo("x")
	f.Path, f.Name, f.Delimiter = segs, strings.Join(segs, "."), "."
	return f
}

func role(su source.SpecialUse) func(*source.Folder) {
	return func(f *source.Folder) { f.SpecialUse = su }
}

// guess sets a special use guessed from the name.
func guess(su source.SpecialUse) func(*source.Folder) {
	return func(f *source.Folder) { f.SpecialUse, f.SpecialUseGuessed = su, true }
}

func noselect(f *source.Folder) { f.NoSelect = true }

func kind(k source.Kind) func(*source.Folder) {
	return func(f *source.Folder) { f.Kind = k }
}

// row is a mapping in short: "src/path -> wellknown/target", with "!" after
// the arrow for an excluded folder.
func rows(ms []FolderMapping) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		x := ""
		if m.Excluded {
			x = "!"
		}
		to := m.String()
		if m.WellKnown == "" {
			to = "-"
		}
		out[i] = fmt.Sprintf("%s -> %s%s", strings.Join(m.Source.Path, "/"), x, to)
	}
	return out
}

func mustRules(t *testing.T, f config.Folders, opts *RulesOptions) *Rules {
	t.Helper()
	r, err := NewRules(f, opts)
	if err != nil {
		t.Fatalf("NewRules(%+v) = %v", f, err)
	}
	return r
}

func TestFolders(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name  string
		src   []source.Folder
		rules config.Folders
		opts  *RulesOptions
		want  []string
	}{{
		name: "inbox and ordinary folders keep the hierarchy",
		src:  []source.Folder{fo("INBOX"), fo("INBOX/Sub"), fo("INBOX/Sub/Deeper"), fo("Work"), fo("Work/2020")},
		want: []string{
			"INBOX -> inbox",
			"INBOX/Sub -> inbox/Sub",
			"INBOX/Sub/Deeper -> inbox/Sub/Deeper",
			"Work -> msgfolderroot/Work",
			"Work/2020 -> msgfolderroot/Work/2020",
		},
	}, {
		name: "INBOX in any case",
		src:  []source.Folder{fo("Inbox"), fo("inbox/Sub")},
		want: []string{"Inbox -> inbox", "inbox/Sub -> inbox/Sub"},
	}, {
		name: "announced special-use folders and their children",
		src: []source.Folder{
			fo("Sent", role(source.Sent)), fo("Sent/2019", role("")),
			fo("Drafts", role(source.Drafts)),
			fo("Trash", role(source.Trash)), fo("Trash/Old/x"),
			fo("Junk", role(source.Junk)),
			fo("Archive", role(source.Archive)), fo("Archive/2018"),
		},
		want: []string{
			"Archive -> archive",
			"Archive/2018 -> archive/2018",
			"Drafts -> drafts",
			"Junk -> junkemail",
			"Sent -> sentitems",
			"Sent/2019 -> sentitems/2019",
			"Trash -> deleteditems",
			"Trash/Old/x -> deleteditems/Old/x",
		},
	}, {
		name: "Gmail layout: virtual folders excluded, empty container not created",
		src: []source.Folder{
			fo("INBOX"),
			fo("[Gmail]", noselect),
			fo("[Gmail]/All Mail", role(source.All)),
			fo("[Gmail]/Drafts", role(source.Drafts)),
			fo("[Gmail]/Important", role(SpecialUseImportant)),
			fo("[Gmail]/Sent Mail", role(source.Sent)),
			fo("[Gmail]/Spam", role(source.Junk)),
			fo("[Gmail]/Starred", role(source.Flagged)),
			fo("[Gmail]/Trash", role(source.Trash)),
			fo("Receipts"),
		},
		want: []string{
			"INBOX -> inbox",
			"Receipts -> msgfolderroot/Receipts",
			"[Gmail] -> !-",
			"[Gmail]/All Mail -> !-",
			"[Gmail]/Drafts -> drafts",
			"[Gmail]/Important -> !-",
			"[Gmail]/Sent Mail -> sentitems",
			"[Gmail]/Spam -> junkemail",
			"[Gmail]/Starred -> !-",
			"[Gmail]/Trash -> deleteditems",
		},
	}, {
		name: "INBOX. namespace: guessed roles under INBOX count",
		src: []source.Folder{
			fo("INBOX"), fo("INBOX/Sent", guess(source.Sent)), fo("INBOX/Sent/2019"),
			fo("INBOX/Trash", guess(source.Trash)), fo("INBOX/Projects"),
		},
		want: []string{
			"INBOX -> inbox",
			"INBOX/Projects -> inbox/Projects",
			"INBOX/Sent -> sentitems",
			"INBOX/Sent/2019 -> sentitems/2019",
			"INBOX/Trash -> deleteditems",
		},
	}, {
		name: "guessed role inside an ordinary folder is ignored, announced one is not",
		src: []source.Folder{
			fo("Projects"), fo("Projects/Sent", guess(source.Sent)),
			fo("Clients"), fo("Clients/Outgoing", role(source.Sent)),
			fo("Archive", guess(source.Archive)), fo("Archive/2019"), fo("Archive/2019/Sent", guess(source.Sent)),
		},
		want: []string{
			"Archive -> archive",
			"Archive/2019 -> archive/2019",
			"Archive/2019/Sent -> archive/2019/Sent",
			"Clients -> msgfolderroot/Clients",
			"Clients/Outgoing -> sentitems",
			"Projects -> msgfolderroot/Projects",
			"Projects/Sent -> msgfolderroot/Projects/Sent",
		},
	}, {
		name: "guessed role under a listed \\Noselect container counts",
		src:  []source.Folder{fo("Mail", noselect), fo("Mail/Sent", guess(source.Sent)), fo("Mail/Lists")},
		want: []string{
			"Mail -> msgfolderroot/Mail",
			"Mail/Lists -> msgfolderroot/Mail/Lists",
			"Mail/Sent -> sentitems",
		},
	}, {
		name: "guessed role under a parent the source does not list is ignored",
		src:  []source.Folder{fo("Lists/Sent", guess(source.Sent)), fo("Lists/Trash", role(source.Trash))},
		want: []string{"Lists/Sent -> msgfolderroot/Lists/Sent", "Lists/Trash -> deleteditems"},
	}, {
		name: "two Sent folders: announced wins, the other becomes its subfolder",
		src:  []source.Folder{fo("Sent Messages", guess(source.Sent)), fo("Sent", role(source.Sent)), fo("Sent Messages/Old")},
		want: []string{
			"Sent -> sentitems",
			"Sent Messages -> sentitems/Sent Messages",
			"Sent Messages/Old -> sentitems/Sent Messages/Old",
		},
	}, {
		name: "two guessed Sent folders: shallower, then by bytes",
		src:  []source.Folder{fo("Sent Items", guess(source.Sent)), fo("Sent", guess(source.Sent)), fo("INBOX/Sent", guess(source.Sent)), fo("INBOX")},
		want: []string{
			"INBOX -> inbox",
			"INBOX/Sent -> sentitems/Sent",
			"Sent -> sentitems",
			"Sent Items -> sentitems/Sent Items",
		},
	}, {
		name: "guessed Archive folders: the one named as the role takes it, before bytes",
		src:  []source.Folder{fo("Archiv", guess(source.Archive)), fo("Archives", guess(source.Archive)), fo("Archive", guess(source.Archive)), fo("Projects/Archive", guess(source.Archive))},
		want: []string{
			"Archiv -> archive/Archiv",
			"Archive -> archive",
			"Archives -> archive/Archives",
			"Projects/Archive -> msgfolderroot/Projects/Archive",
		},
	}, {
		name: "guessed Trash folders: Trash before Deleted Items",
		src:  []source.Folder{fo("Deleted Items", guess(source.Trash)), fo("Trash", guess(source.Trash))},
		want: []string{
			"Deleted Items -> deleteditems/Deleted Items",
			"Trash -> deleteditems",
		},
	}, {
		name: "top level before the role's name deeper down",
		src:  []source.Folder{fo("Mail", noselect), fo("Mail/Archive", guess(source.Archive)), fo("Archives", guess(source.Archive))},
		want: []string{
			"Archives -> archive",
			"Mail -> !-",
			"Mail/Archive -> archive/Archive",
		},
	}, {
		name: "Sent and Trash announced, Archive guessed: each goes to its well-known folder",
		src:  []source.Folder{fo("INBOX"), fo("Sent", role(source.Sent)), fo("Trash", role(source.Trash)), fo("Archive", guess(source.Archive)), fo("Archive/2019")},
		want: []string{
			"Archive -> archive",
			"Archive/2019 -> archive/2019",
			"INBOX -> inbox",
			"Sent -> sentitems",
			"Trash -> deleteditems",
		},
	}, {
		name: "second Sent clashes with a child of the first",
		src:  []source.Folder{fo("Sent", role(source.Sent)), fo("Sent/Sent Messages"), fo("Sent Messages", guess(source.Sent))},
		want: []string{
			"Sent -> sentitems",
			"Sent/Sent Messages -> sentitems/Sent Messages",
			"Sent Messages -> sentitems/Sent Messages (2)",
		},
	}, {
		name:  "excluded folder does not take the role from an included one",
		src:   []source.Folder{fo("Sent", role(source.Sent)), fo("Sent Messages", guess(source.Sent))},
		rules: config.Folders{Exclude: []string{"Sent"}},
		want: []string{
			"Sent -> !-",
			"Sent Messages -> sentitems",
		},
	}, {
		name: "\\Noselect folder with a role places its children in the well-known folder",
		src:  []source.Folder{fo("Archive", noselect, guess(source.Archive)), fo("Archive/2019"), fo("Archive/2020")},
		want: []string{
			"Archive -> archive",
			"Archive/2019 -> archive/2019",
			"Archive/2020 -> archive/2020",
		},
	}, {
		name: "\\Noselect folder with a role ranks after one holding items",
		src:  []source.Folder{fo("Archive", noselect, guess(source.Archive)), fo("Archive/2019"), fo("Archives", role(source.Archive))},
		want: []string{
			"Archive -> archive/Archive",
			"Archive/2019 -> archive/Archive/2019",
			"Archives -> archive",
		},
	}, {
		name: "names that differ only by case",
		src:  []source.Folder{fo("work"), fo("Work"), fo("WORK"), fo("Work/a"), fo("work/a")},
		want: []string{
			"WORK -> msgfolderroot/WORK",
			"Work -> msgfolderroot/Work (2)",
			"Work/a -> msgfolderroot/Work (2)/a",
			"work -> msgfolderroot/work (3)",
			"work/a -> msgfolderroot/work (3)/a",
		},
	}, {
		name: "case suffix never collides with an existing name",
		src:  []source.Folder{fo("Work"), fo("work"), fo("Work (2)"), fo("WORK (2)")},
		want: []string{
			"WORK (2) -> msgfolderroot/WORK (2)",
			"Work -> msgfolderroot/Work",
			"Work (2) -> msgfolderroot/Work (2) (2)",
			"work -> msgfolderroot/work (3)",
		},
	}, {
		name: "case clashes below a subfolder and below INBOX",
		src:  []source.Folder{fo("INBOX"), fo("INBOX/Lists"), fo("INBOX/lists"), fo("a/x"), fo("a/X")},
		want: []string{
			"INBOX -> inbox",
			"INBOX/Lists -> inbox/Lists",
			"INBOX/lists -> inbox/lists (2)",
			"a/X -> msgfolderroot/a/X",
			"a/x -> msgfolderroot/a/x (2)",
		},
	}, {
		name: "non-ASCII names: kept, and compared case-insensitively",
		src: []source.Folder{
			fo("Ärger"), fo("ärger"), fo("Straße"), fo("STRASSE"),
			fo("Caf\u00e9"), fo("Cafe\u0301"), fo("Отправленные/Архив"), fo("日本語"), fo("😀 Fun"),
		},
		want: []string{
			"Cafe\u0301 -> msgfolderroot/Cafe\u0301",
			"Caf\u00e9 -> msgfolderroot/Caf\u00e9 (2)",
			"STRASSE -> msgfolderroot/STRASSE",
			"Straße -> msgfolderroot/Straße (2)",
			"Ärger -> msgfolderroot/Ärger",
			"ärger -> msgfolderroot/ärger (2)",
			"Отправленные/Архив -> msgfolderroot/Отправленные/Архив",
			"日本語 -> msgfolderroot/日本語",
			"😀 Fun -> msgfolderroot/😀 Fun",
		},
	}, {
		name: "Exchange default folder names at the top get a suffix",
		src: []source.Folder{
			fo("Calendar"), fo("contacts"), fo("Outbox"), fo("Files"), fo("Sent Items"), fo("Sync Issues"),
			fo("Projects/Calendar"), fo("INBOX"), fo("INBOX/Tasks"),
		},
		want: []string{
			"Calendar -> msgfolderroot/Calendar (imported)",
			"Files -> msgfolderroot/Files (imported)",
			"INBOX -> inbox",
			"INBOX/Tasks -> inbox/Tasks",
			"Outbox -> msgfolderroot/Outbox (imported)",
			"Projects/Calendar -> msgfolderroot/Projects/Calendar",
			"Sent Items -> msgfolderroot/Sent Items (imported)",
			"Sync Issues -> msgfolderroot/Sync Issues (imported)",
			"contacts -> msgfolderroot/contacts (imported)",
		},
	}, {
		name: "reserved suffix that meets an existing name",
		src:  []source.Folder{fo("Calendar"), fo("Calendar (imported)")},
		want: []string{
			"Calendar -> msgfolderroot/Calendar (imported)",
			"Calendar (imported) -> msgfolderroot/Calendar (imported) (2)",
		},
	}, {
		name: "localised reserved names from options",
		src:  []source.Folder{fo("Gesendete Elemente"), fo("Kalender")},
		opts: &RulesOptions{Reserved: []string{"gesendete elemente", " Kalender "}},
		want: []string{
			"Gesendete Elemente -> msgfolderroot/Gesendete Elemente (imported)",
			"Kalender -> msgfolderroot/Kalender (imported)",
		},
	}, {
		name: "characters and lengths Exchange refuses",
		src: []source.Folder{
			fseg("a/b"), fo("back\\slash"), fo(" padded "), fo("tab\there"), fo("nul\x00x"), fo("x//y"),
			fo(long), fo(strings.ToUpper(long)), fo("bad\xffutf8"),
		},
		want: []string{
			" padded  -> msgfolderroot/padded",
			strings.ToUpper(long) + " -> msgfolderroot/" + strings.ToUpper(long[:255]),
			"a/b -> msgfolderroot/a_b",
			"back\\slash -> msgfolderroot/back_slash",
			"bad\xffutf8 -> msgfolderroot/bad\uFFFDutf8",
			"nul\x00x -> msgfolderroot/nul_x",
			"tab\there -> msgfolderroot/tab_here",
			"x//y -> msgfolderroot/x/(no name)/y",
			long + " -> msgfolderroot/" + long[:251] + " (2)",
		},
	}, {
		name: "a replaced character makes a clash",
		src:  []source.Folder{fo("a_b"), fseg("a/b")},
		want: []string{
			"a/b -> msgfolderroot/a_b",
			"a_b -> msgfolderroot/a_b (2)",
		},
	}, {
		name:  "rename into the Archive folder moves the subtree",
		src:   []source.Folder{fo("Old"), fo("Old/2019"), fo("Old/2019/Q1")},
		rules: config.Folders{Rename: []config.Rename{{From: "Old", To: "Archive/Old"}}},
		want: []string{
			"Old -> archive/Old",
			"Old/2019 -> archive/Old/2019",
			"Old/2019/Q1 -> archive/Old/2019/Q1",
		},
	}, {
		name:  "rename onto a well-known folder merges into it",
		src:   []source.Folder{fo("Sent", role(source.Sent)), fo("Old Sent"), fo("Old Sent/x")},
		rules: config.Folders{Rename: []config.Rename{{From: "Old Sent", To: "sent items"}}},
		want: []string{
			"Old Sent -> sentitems",
			"Old Sent/x -> sentitems/x",
			"Sent -> sentitems",
		},
	}, {
		name: "rename of a special-use folder wins over its role",
		src:  []source.Folder{fo("Sent", role(source.Sent)), fo("Sent/2019"), fo("Sent Messages", guess(source.Sent))},
		rules: config.Folders{Rename: []config.Rename{
			{From: "Sent", To: "Old Sent"},
		}},
		want: []string{
			"Sent -> msgfolderroot/Old Sent",
			"Sent/2019 -> msgfolderroot/Old Sent/2019",
			"Sent Messages -> sentitems",
		},
	}, {
		name: "renamed folder keeps its name, the existing one gets a suffix",
		src:  []source.Folder{fo("Foo"), fo("Bar"), fo("bar")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "Foo", To: "Bar"},
		}},
		want: []string{
			"Bar -> msgfolderroot/Bar (2)",
			"Foo -> msgfolderroot/Bar",
			"bar -> msgfolderroot/bar (3)",
		},
	}, {
		name: "rename target below an existing folder joins it",
		src:  []source.Folder{fo("Projects"), fo("Projects/Alpha"), fo("Misc/Beta"), fo("INBOX"), fo("inbox/Gamma")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "Misc/Beta", To: "projects/Beta"},
			{From: "INBOX/Gamma", To: "Projects/Deep/Gamma"},
		}},
		want: []string{
			"INBOX -> inbox",
			"inbox/Gamma -> msgfolderroot/Projects/Deep/Gamma",
			"Misc/Beta -> msgfolderroot/Projects/Beta",
			"Projects -> msgfolderroot/Projects",
			"Projects/Alpha -> msgfolderroot/Projects/Alpha",
		},
	}, {
		name: "rename to reserved and refused names is cleaned up",
		src:  []source.Folder{fo("Agenda"), fo("Odd")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "Agenda", To: "Calendar"},
			{From: "Odd", To: "Junk E-mail/ spaced /x"},
		}},
		want: []string{
			"Agenda -> msgfolderroot/Calendar (imported)",
			"Odd -> junkemail/spaced/x",
		},
	}, {
		name: "rename from a parent the source does not list",
		src:  []source.Folder{fo("Lists/go"), fo("Lists/rust")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "Lists", To: "INBOX/Lists"},
		}},
		want: []string{
			"Lists/go -> inbox/Lists/go",
			"Lists/rust -> inbox/Lists/rust",
		},
	}, {
		name:  "exclude of a parent excludes its children",
		src:   []source.Folder{fo("INBOX"), fo("Trash", role(source.Trash)), fo("Trash/x"), fo("Trash/x/y"), fo("Trashy")},
		rules: config.Folders{Exclude: []string{"Trash"}},
		want: []string{
			"INBOX -> inbox",
			"Trash -> !-",
			"Trash/x -> !-",
			"Trash/x/y -> !-",
			"Trashy -> msgfolderroot/Trashy",
		},
	}, {
		name:  "exclude globs: * within a segment, ** across, INBOX in any case",
		src:   []source.Folder{fo("INBOX"), fo("INBOX/Spam"), fo("INBOX/Keep"), fo("Lists/a/Spam"), fo("Lists/b"), fo("Tmp1"), fo("Tmp2/x")},
		rules: config.Folders{Exclude: []string{"inbox/Spam", "**/Spam", "Tmp?"}},
		want: []string{
			"INBOX -> inbox",
			"INBOX/Keep -> inbox/Keep",
			"INBOX/Spam -> !-",
			"Lists/a/Spam -> !-",
			"Lists/b -> msgfolderroot/Lists/b",
			"Tmp1 -> !-",
			"Tmp2/x -> !-",
		},
	}, {
		name:  "include: only matching folders and their children; parents kept as containers",
		src:   []source.Folder{fo("INBOX"), fo("Projects"), fo("Projects/Alpha"), fo("Projects/Alpha/Docs"), fo("Projects/Beta")},
		rules: config.Folders{Include: []string{"Projects/Alpha"}},
		want: []string{
			"INBOX -> !-",
			"Projects -> !msgfolderroot/Projects",
			"Projects/Alpha -> msgfolderroot/Projects/Alpha",
			"Projects/Alpha/Docs -> msgfolderroot/Projects/Alpha/Docs",
			"Projects/Beta -> !-",
		},
	}, {
		name:  "exclude wins over include",
		src:   []source.Folder{fo("Projects"), fo("Projects/Alpha"), fo("Projects/Beta")},
		rules: config.Folders{Include: []string{"Projects"}, Exclude: []string{"Projects/Beta"}},
		want: []string{
			"Projects -> msgfolderroot/Projects",
			"Projects/Alpha -> msgfolderroot/Projects/Alpha",
			"Projects/Beta -> !-",
		},
	}, {
		name: "a folder of kind \"\" holds mail",
		src:  []source.Folder{fo("Notes", kind(""))},
		want: []string{"Notes -> msgfolderroot/Notes (imported)"},
	}, {
		name: "\\Noselect parents: kept while something goes inside",
		src:  []source.Folder{fo("Lists", noselect), fo("Lists/go"), fo("Empty", noselect), fo("Empty/Deeper", noselect)},
		want: []string{
			"Empty -> !-",
			"Empty/Deeper -> !-",
			"Lists -> msgfolderroot/Lists",
			"Lists/go -> msgfolderroot/Lists/go",
		},
	}, {
		name: "INBOX wins the inbox role over another \\Inbox folder",
		src:  []source.Folder{fo("Posteingang", role(source.Inbox)), fo("INBOX")},
		want: []string{"INBOX -> inbox", "Posteingang -> inbox/Posteingang"},
	}, {
		name:  "rename to msgfolderroot names the root explicitly",
		src:   []source.Folder{fo("Agenda"), fo("INBOX"), fo("INBOX/Misc")},
		rules: config.Folders{Rename: []config.Rename{{From: "Agenda", To: "msgfolderroot/Calendar"}, {From: "INBOX/Misc", To: "/Misc/"}}},
		want: []string{
			"Agenda -> msgfolderroot/Calendar (imported)",
			"INBOX -> inbox",
			"INBOX/Misc -> msgfolderroot/Misc",
		},
	}, {
		name: "two renames to one target: the second by bytes gets a suffix",
		src:  []source.Folder{fo("a"), fo("b")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "b", To: "Archive/Old"},
			{From: "a", To: "archive/old"},
		}},
		want: []string{"a -> archive/old (2)", "b -> archive/Old"},
	}, {
		name: "renames that share a new parent create it once",
		src:  []source.Folder{fo("x"), fo("y"), fo("z")},
		rules: config.Folders{Rename: []config.Rename{
			{From: "x", To: "Clients/A"},
			{From: "y", To: "clients/B"},
			{From: "z", To: "Clients/Deep/C"},
		}},
		want: []string{"x -> msgfolderroot/Clients/A", "y -> msgfolderroot/Clients/B", "z -> msgfolderroot/Clients/Deep/C"},
	}, {
		name:  "rename to a path inside itself",
		src:   []source.Folder{fo("a"), fo("a/c")},
		rules: config.Folders{Rename: []config.Rename{{From: "a", To: "a/b"}}},
		want:  []string{"a -> msgfolderroot/a/b", "a/c -> msgfolderroot/a/b/c"},
	}, {
		name:  "excluded renamed folder maps nowhere",
		src:   []source.Folder{fo("Old"), fo("Old/x")},
		rules: config.Folders{Rename: []config.Rename{{From: "Old", To: "Archive/Old"}}, Exclude: []string{"Old"}},
		want:  []string{"Old -> !-", "Old/x -> !-"},
	}, {
		name:  "excluded primary with included children still places them",
		src:   []source.Folder{fo("Sent", role(source.Sent)), fo("Sent/2019"), fo("Sent/2020")},
		rules: config.Folders{Include: []string{"Sent/2019"}},
		want:  []string{"Sent -> !sentitems", "Sent/2019 -> sentitems/2019", "Sent/2020 -> !-"},
	}, {
		name: "parents the source does not list, with a case clash",
		src:  []source.Folder{fo("x/y"), fo("X/z"), fo("a/b/c")},
		want: []string{
			"X/z -> msgfolderroot/X/z",
			"a/b/c -> msgfolderroot/a/b/c",
			"x/y -> msgfolderroot/x (2)/y",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRules(t, tt.rules, tt.opts)
			ms, err := Folders(tt.src, r)
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if diff := cmp.Diff(tt.want, rows(ms)); diff != "" {
				t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
			}
			checkInvariants(t, tt.src, ms)
			// Same input in any order, same output.
			rnd := rand.New(rand.NewPCG(1, uint64(len(tt.src))))
			for i := 0; i < 5; i++ {
				shuffled := slices.Clone(tt.src)
				rnd.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
				again, err := Folders(shuffled, r)
				if err != nil {
					t.Fatalf("Folders(shuffled) = %v", err)
				}
				if diff := cmp.Diff(ms, again); diff != "" {
					t.Fatalf("Folders(shuffled) differs (-first +shuffled):\n%s", diff)
				}
			}
		})
	}
}

// checkInvariants checks what must hold for any input: one mapping per
// folder, sorted; targets valid for Exchange; distinct targets for distinct
// created folders unless a rename merges them into a well-known folder.
func checkInvariants(t *testing.T, src []source.Folder, ms []FolderMapping) {
	t.Helper()
	if len(ms) != len(src) {
		t.Fatalf("Folders() returned %d mappings for %d folders", len(ms), len(src))
	}
	if !slices.IsSortedFunc(ms, func(a, b FolderMapping) int {
		return comparePaths(canonicalPath(a.Source.Path), canonicalPath(b.Source.Path))
	}) {
		t.Errorf("Folders() result is not sorted by source path: %q", rows(ms))
	}
	seen := map[string]string{}
	for _, m := range ms {
		if m.Excluded && m.Reason == "" {
			t.Errorf("%q is excluded without a reason", m.Source.Name)
		}
		if !m.Excluded && m.Reason != "" {
			t.Errorf("%q has a reason %q but is not excluded", m.Source.Name, m.Reason)
		}
		if m.WellKnown == "" && m.Target != nil {
			t.Errorf("%q has a target %q without a well-known folder", m.Source.Name, m.Target)
		}
		for i, seg := range m.Target {
			if utf16Len(seg) > MaxFolderNameLength {
				t.Errorf("%q: segment %q is longer than %d", m.Source.Name, seg, MaxFolderNameLength)
			}
			if seg == "" || strings.TrimSpace(seg) != seg || strings.ContainsAny(seg, "/\\") || strings.IndexFunc(seg, unicode.IsControl) >= 0 {
				t.Errorf("%q: segment %q is not a valid folder name", m.Source.Name, seg)
			}
			if i == 0 && m.WellKnown == WellKnownRoot && (&Rules{}).isReserved(seg) {
				t.Errorf("%q: top-level segment %q is a reserved name", m.Source.Name, seg)
			}
		}
		if len(m.Target) > 0 {
			parts := []string{m.WellKnown}
			for _, s := range m.Target {
				parts = append(parts, foldKey(s))
			}
			k := strings.Join(parts, "/")
			if prev, dup := seen[k]; dup {
				t.Errorf("%q and %q both map to %q", prev, m.Source.Name, m.String())
			}
			seen[k] = m.Source.Name
		}
	}
}

func TestFoldersChangesAndReasons(t *testing.T) {
	src := []source.Folder{
		fo("INBOX"),
		fo("Sent", role(source.Sent)),
		fo("Sent Messages", guess(source.Sent)),
		fo("Work"), fo("work"),
		fo("Calendar"),
		fseg("a/b"),
		fo("Old"),
		fo("Projects"), fo("Projects/Sent", guess(source.Sent)),
		fo("Trash", role(source.Trash)), fo("Trash/x"),
		fo("[Gmail]", noselect), fo("[Gmail]/All Mail", role(source.All)),
		fo("Drafts", role(source.Drafts)),
		fo("Spam", guess(source.Junk)),
	}
	r := mustRules(t, config.Folders{
		Rename:  []config.Rename{{From: "Old", To: "Archive/Old"}, {From: "Drafts", To: "Old Drafts"}},
		Exclude: []string{"Trash"},
	}, nil)
	ms, err := Folders(src, r)
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	type got struct {
		Reason  string
		Changes []string
	}
	gotBy := map[string]got{}
	for _, m := range ms {
		gotBy[strings.Join(m.Source.Path, "/")] = got{m.Reason, m.Changes}
	}
	want := map[string]got{
		"INBOX":            {},
		"Sent":             {},
		"Sent Messages":    {Changes: []string{`also \Sent, like "Sent" which becomes sentitems: kept as its subfolder "Sent Messages"`}},
		"Work":             {},
		"work":             {Changes: []string{`name "work" differs only by case from "Work" in the same target folder (Exchange folder names are case-insensitive): named "work (2)"`}},
		"Calendar":         {Changes: []string{`top-level name "Calendar" is an Exchange default folder name: named "Calendar (imported)"`}},
		"a/b":              {Changes: []string{`name "a/b" changed to "a_b": "/" and "\" replaced with "_"`}},
		"Old":              {Changes: []string{`renamed by folders.rename[0] ("Old" -> "Archive/Old")`}},
		"Projects":         {},
		"Projects/Sent":    {Changes: []string{`name suggests \Sent, but the folder is inside "Projects", so it stays an ordinary folder`}},
		"Trash":            {Reason: `matches folders.exclude pattern "Trash"`},
		"Trash/x":          {Reason: `inside "Trash", which matches folders.exclude pattern "Trash"`},
		"[Gmail]":          {Reason: `a \Noselect folder holds no items, and no migrated folder goes inside it: nothing to create`},
		"[Gmail]/All Mail": {Reason: `\All is a virtual folder (such as Gmail's "All Mail") whose messages are also in other folders; migrating it would duplicate them`},
		"Drafts": {Changes: []string{
			`renamed by folders.rename[1] ("Drafts" -> "Old Drafts")`,
			`role \Drafts not used: folders.rename[1] renames the folder`,
		}},
		"Spam": {Changes: []string{`role \Junk guessed from the name`}},
	}
	if diff := cmp.Diff(want, gotBy, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("reasons and changes mismatch (-want +got):\n%s", diff)
	}
}

func TestFoldersNilRules(t *testing.T) {
	src := []source.Folder{fo("INBOX"), fo("Calendar")}
	ms, err := Folders(src, nil)
	if err != nil {
		t.Fatalf("Folders(nil rules) = %v", err)
	}
	if diff := cmp.Diff([]string{"Calendar -> msgfolderroot/Calendar (imported)", "INBOX -> inbox"}, rows(ms)); diff != "" {
		t.Errorf("Folders(nil rules) mismatch (-want +got):\n%s", diff)
	}
	if ms[1].Target != nil {
		t.Errorf("INBOX Target = %#v, want nil", ms[1].Target)
	}
}

func TestFoldersErrors(t *testing.T) {
	tests := []struct {
		name string
		src  []source.Folder
		want string
	}{
		{"empty path", []source.Folder{{Name: "weird"}}, `folder "weird" has an empty path`},
		{"same path", []source.Folder{fo("INBOX"), fo("inbox")}, `folders "INBOX" and "inbox" have the same path "INBOX"`},
		{"same path deeper", []source.Folder{fo("a/b"), fo("a/b")}, `have the same path "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Folders(tt.src, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Folders() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		f    config.Folders
		want []string
	}{
		{"bad exclude glob", config.Folders{Exclude: []string{"ok/*", "Arch[ive"}}, []string{`folders.exclude[1]: the pattern "Arch[ive" is not a valid glob`}},
		{"bad include glob", config.Folders{Include: []string{`x\`}}, []string{`folders.include[0]: the pattern "x\\" is not a valid glob`}},
		{"empty glob", config.Folders{Exclude: []string{"/"}}, []string{`folders.exclude[0]: the pattern "/" is empty`}},
		{"empty from", config.Folders{Rename: []config.Rename{{From: "", To: "x"}}}, []string{`folders.rename[0]: "from" is empty`}},
		{"empty to", config.Folders{Rename: []config.Rename{{From: "x", To: " "}}}, []string{`folders.rename[0]: "to" is empty`}},
		{"empty to segment", config.Folders{Rename: []config.Rename{{From: "x", To: "a//b"}}}, []string{`folders.rename[0]: "to" "a//b" has an empty segment`}},
		{"duplicate from", config.Folders{Rename: []config.Rename{{From: "INBOX/a", To: "x"}, {From: "inbox/a/", To: "y"}}}, []string{`folders.rename[1]: "from" "inbox/a/" is already renamed by folders.rename[0]`}},
		{"all problems at once", config.Folders{
			Rename:  []config.Rename{{From: "", To: "x"}},
			Exclude: []string{"[", "]["},
		}, []string{`folders.rename[0]`, `folders.exclude[0]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRules(tt.f, nil)
			if err == nil {
				t.Fatalf("NewRules() = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewRules() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"Trash", "Trash", true},
		{"Trash", "trash", false},
		{"Trash", "Trash/x", false}, // subfolders are excluded through the parent, not by the pattern
		{"*", "a", true},
		{"*", "a/b", false},
		{"a/*", "a/b", true},
		{"a/*", "a", false},
		{"**", "a/b/c", true},
		{"**/Spam", "Spam", true},
		{"**/Spam", "a/b/Spam", true},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z", true},
		{"a/**/**/z", "a/b/z", true},
		{"a/**", "a", true},
		{"inbox/*", "INBOX/x", true},
		{"INBOX/*", "inbox/x", true},
		{"x/inbox", "x/INBOX", false},
		{"[Gmail]/*", "[Gmail]/x", false}, // [Gmail] is a character class
		{`\[Gmail]/*`, "[Gmail]/x", true},
		{"Ar?hive", "Archive", true},
		{"/Lists/", "Lists", true},
	}
	for _, tt := range tests {
		g, err := compileGlob("test", tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q) = %v", tt.pattern, err)
		}
		if got := g.match(canonicalPath(strings.Split(tt.path, "/"))); got != tt.want {
			t.Errorf("glob %q match %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestSanitizeFolderName(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"Plain", "Plain", false},
		{"Ünïcödé 日本", "Ünïcödé 日本", false},
		{"a/b\\c", "a_b_c", true},
		{"  x  ", "x", true},
		{"\u00a0nbsp\u3000", "nbsp", true},
		{"", EmptyFolderName, true},
		{"   ", EmptyFolderName, true},
		{"bell\a", "bell_", true},
		{"c1\u0085x", "c1_x", true},
		{"\xff", "\uFFFD", true},
		{strings.Repeat("é", 256), strings.Repeat("é", 255), true},
		{strings.Repeat("😀", 128), strings.Repeat("😀", 127), true}, // 127 pairs = 254 units; one more would split a pair
		{strings.Repeat("a", 254) + " b", strings.Repeat("a", 254), true},
	}
	for _, tt := range tests {
		got, why := sanitizeFolderName(tt.in)
		if got != tt.want || (len(why) > 0) != tt.changed {
			t.Errorf("sanitizeFolderName(%q) = %q, %q; want %q, changed %v", tt.in, got, why, tt.want, tt.changed)
		}
	}
}

func TestWithSuffix(t *testing.T) {
	long := strings.Repeat("😀", 200)
	got := withSuffix(long, " (12)")
	if utf16Len(got) > MaxFolderNameLength || !strings.HasSuffix(got, " (12)") {
		t.Errorf("withSuffix(long) = %d units, %q...", utf16Len(got), got[len(got)-10:])
	}
	if got := withSuffix("a", ReservedSuffix); got != "a (imported)" {
		t.Errorf(`withSuffix("a") = %q`, got)
	}
}

func TestReservedNamesIncludeWellKnownDisplayNames(t *testing.T) {
	r := &Rules{}
	for _, n := range []string{"Inbox", "Sent Items", "Deleted Items", "Drafts", "Junk Email", "Archive", "Outbox", "Calendar", "Contacts", "Tasks", "Notes", "Journal", "Conversation History", "Sync Issues", "RSS Feeds", "Clutter", "Scheduled", "Files"} {
		if !r.isReserved(n) || !r.isReserved(strings.ToUpper(n)) {
			t.Errorf("%q is not reserved", n)
		}
	}
	if r.isReserved("Projects") {
		t.Errorf(`"Projects" is reserved`)
	}
	for _, n := range []string{"Inbox", "Sent Items", "sentitems", "Deleted Items", "Drafts", "Junk Email", "Junk E-mail", "Archive"} {
		if _, ok := wellKnownByName(n); !ok {
			t.Errorf("wellKnownByName(%q) = false", n)
		}
	}
}

// TestFoldersRandomTrees maps random trees full of case clashes, reserved
// names, roles and renames, in several orders, and checks the invariants.
func TestFoldersRandomTrees(t *testing.T) {
	names := []string{"a", "A", "b", "Sent", "sent", "Sent Items", "Calendar", "calendar (imported)", "x/y", " sp", "Drafts", "INBOX", "inbox", "Archive", "日本", "Straße", "STRASSE"}
	roles := []source.SpecialUse{"", "", "", "", source.Sent, source.Drafts, source.Trash, source.Archive, source.All, source.Flagged}
	r := mustRules(t, config.Folders{
		Rename:  []config.Rename{{From: "a/b", To: "Archive/ab"}, {From: "b", To: "Sent Items"}, {From: "A", To: "a/A"}},
		Exclude: []string{"**/x_y_never", "Calendar/a"},
	}, nil)
	for seed := uint64(0); seed < 200; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 7))
		seen := map[string]bool{}
		var src []source.Folder
		for i := 0; i < 25; i++ {
			depth := 1 + rnd.IntN(3)
			var p []string
			for d := 0; d < depth; d++ {
				p = append(p, names[rnd.IntN(len(names))])
			}
			key := strings.Join(canonicalPath(p), "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
			f := source.Folder{Path: p, Name: strings.Join(p, "/"), Kind: source.KindMessage}
			f.SpecialUse = roles[rnd.IntN(len(roles))]
			f.SpecialUseGuessed = rnd.IntN(2) == 0
			f.NoSelect = rnd.IntN(8) == 0
			src = append(src, f)
		}
		ms, err := Folders(src, r)
		if err != nil {
			t.Fatalf("seed %d: Folders() = %v", seed, err)
		}
		checkInvariants(t, src, ms)
		for i := 0; i < 3; i++ {
			shuffled := slices.Clone(src)
			rnd.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			again, err := Folders(shuffled, r)
			if err != nil {
				t.Fatalf("seed %d: Folders(shuffled) = %v", seed, err)
			}
			if diff := cmp.Diff(ms, again); diff != "" {
				t.Fatalf("seed %d: Folders(shuffled) differs (-first +shuffled):\n%s", seed, diff)
			}
		}
		if t.Failed() {
			t.Fatalf("seed %d: %q", seed, rows(ms))
		}
	}
}

// TestWithInboxTarget places a POP3 account's one folder, INBOX, where
// pop3.folder or the CSV's TargetFolder says, like a folders.rename target.
func TestWithInboxTarget(t *testing.T) {
	pop := []source.Folder{fo("INBOX", role(source.Inbox))}
	tests := []struct {
		name   string
		rules  config.Folders
		folder string
		want   []string
	}{
		{"empty: the Inbox", config.Folders{}, "", []string{"INBOX -> inbox"}},
		{"below the root", config.Folders{}, "Old provider", []string{"INBOX -> msgfolderroot/Old provider"}},
		{"inside the Inbox", config.Folders{}, "Inbox/Old provider", []string{"INBOX -> inbox/Old provider"}},
		{"a well-known folder", config.Folders{}, "archive", []string{"INBOX -> archive"}},
		{"slashes trimmed, nested", config.Folders{}, "/Old/pop/", []string{"INBOX -> msgfolderroot/Old/pop"}},
		{"wins over a folders.rename of INBOX", config.Folders{Rename: []config.Rename{{From: "INBOX", To: "Elsewhere"}}}, "Old provider", []string{"INBOX -> msgfolderroot/Old provider"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := mustRules(t, tt.rules, nil)
			r, err := base.WithInboxTarget("pop3.folder", tt.folder)
			if err != nil {
				t.Fatalf("WithInboxTarget(%q) = %v", tt.folder, err)
			}
			ms, err := Folders(pop, r)
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if diff := cmp.Diff(tt.want, rows(ms)); diff != "" {
				t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
			}
			// The project's rules are unchanged.
			ms, err = Folders(pop, base)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.rules.Rename) == 0 && rows(ms)[0] != "INBOX -> inbox" {
				t.Errorf("base rules changed: %v", rows(ms))
			}
		})
	}
	var nilRules *Rules
	if r, err := nilRules.WithInboxTarget("pop3.folder", "Old"); err != nil || r == nil {
		t.Errorf("nil rules: WithInboxTarget = %v, %v", r, err)
	}
	if _, err := nilRules.WithInboxTarget("pop3.folder", "a//b"); err == nil || !strings.Contains(err.Error(), "pop3.folder") {
		t.Errorf("WithInboxTarget(a//b) = %v, want an error naming pop3.folder", err)
	}
}
