package specialuse

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"

	"github.com/migrate-tool/migrate/source"
)

func TestGuess(t *testing.T) {
	tests := []struct {
		name   string
		path   []string
		want   source.SpecialUse
		wantOK bool
	}{
		// Sent, in the names the issue lists and common variants.
		{"Sent", []string{"Sent"}, source.Sent, true},
		{"Sent Items", []string{"Sent Items"}, source.Sent, true},
		{"Sent Messages", []string{"Sent Messages"}, source.Sent, true},
		{"Sent Mail (Gmail)", []string{"[Gmail]", "Sent Mail"}, source.Sent, true},
		{"INBOX.Sent split", []string{"INBOX", "Sent"}, source.Sent, true},
		{"INBOX.Sent unsplit", []string{"INBOX.Sent"}, source.Sent, true},
		{"INBOX/Sent unsplit", []string{"INBOX/Sent"}, source.Sent, true},
		{"Inbox\\Sent Items unsplit", []string{`Inbox\Sent Items`}, source.Sent, true},
		{"Gesendet", []string{"Gesendet"}, source.Sent, true},
		{"Gesendete Objekte", []string{"Gesendete Objekte"}, source.Sent, true},
		{"Gesendete Elemente", []string{"Gesendete Elemente"}, source.Sent, true},
		{"Envoyés", []string{"Envoyés"}, source.Sent, true},
		{"Éléments envoyés", []string{"Éléments envoyés"}, source.Sent, true},
		{"Elementos enviados", []string{"Elementos enviados"}, source.Sent, true},
		{"Enviados", []string{"Enviados"}, source.Sent, true},
		{"Posta inviata", []string{"Posta inviata"}, source.Sent, true},
		{"Verzonden items", []string{"Verzonden items"}, source.Sent, true},
		{"Wysłane", []string{"Wysłane"}, source.Sent, true},

		// Trash
		{"Trash", []string{"Trash"}, source.Trash, true},
		{"Deleted Items", []string{"Deleted Items"}, source.Trash, true},
		{"Deleted Messages", []string{"Deleted Messages"}, source.Trash, true},
		{"Papierkorb", []string{"Papierkorb"}, source.Trash, true},
		{"Gelöschte Elemente", []string{"Gelöschte Elemente"}, source.Trash, true},
		{"Corbeille", []string{"Corbeille"}, source.Trash, true},
		{"Éléments supprimés", []string{"Éléments supprimés"}, source.Trash, true},
		{"Papelera", []string{"Papelera"}, source.Trash, true},
		{"Elementos eliminados", []string{"Elementos eliminados"}, source.Trash, true},
		{"Cestino", []string{"Cestino"}, source.Trash, true},
		{"Prullenbak", []string{"Prullenbak"}, source.Trash, true},
		{"INBOX.Trash", []string{"INBOX", "Trash"}, source.Trash, true},

		// Junk
		{"Junk", []string{"Junk"}, source.Junk, true},
		{"Spam", []string{"Spam"}, source.Junk, true},
		{"Junk E-mail", []string{"Junk E-mail"}, source.Junk, true},
		{"Junk Email", []string{"Junk Email"}, source.Junk, true},
		{"Bulk Mail", []string{"Bulk Mail"}, source.Junk, true},
		{"Courrier indésirable", []string{"Courrier indésirable"}, source.Junk, true},
		{"Correo no deseado", []string{"Correo no deseado"}, source.Junk, true},
		{"Indésirables", []string{"Indésirables"}, source.Junk, true},
		{"INBOX.spam unsplit", []string{"INBOX.spam"}, source.Junk, true},

		// Drafts
		{"Drafts", []string{"Drafts"}, source.Drafts, true},
		{"Entwürfe", []string{"Entwürfe"}, source.Drafts, true},
		{"Brouillons", []string{"Brouillons"}, source.Drafts, true},
		{"Borradores", []string{"Borradores"}, source.Drafts, true},
		{"Bozze", []string{"Bozze"}, source.Drafts, true},
		{"Concepten", []string{"Concepten"}, source.Drafts, true},

		// Archive
		{"Archive", []string{"Archive"}, source.Archive, true},
		{"Archiv", []string{"Archiv"}, source.Archive, true},
		{"Archives", []string{"Archives"}, source.Archive, true},
		{"Archivo", []string{"Archivo"}, source.Archive, true},

		// Case, spacing and Unicode normalisation.
		{"upper case", []string{"SENT ITEMS"}, source.Sent, true},
		{"mixed case", []string{"dElEtEd iTeMs"}, source.Trash, true},
		{"upper-case umlaut", []string{"ENTWÜRFE"}, source.Drafts, true},
		{"surrounding spaces", []string{" Trash "}, source.Trash, true},
		{"NFD accents", []string{norm.NFD.String("Éléments envoyés")}, source.Sent, true},
		{"NFD umlaut", []string{norm.NFD.String("Gelöschte Elemente")}, source.Trash, true},

		// Subfolders: only the last segment decides.
		{"subfolder named Sent", []string{"Projects", "Sent"}, source.Sent, true},
		{"deep subfolder named Spam", []string{"a", "b", "c", "Spam"}, source.Junk, true},
		{"child of Sent is ordinary", []string{"Sent", "2019"}, "", false},
		{"child of Trash is ordinary", []string{"Trash", "old"}, "", false},
		{"child of INBOX.Drafts is ordinary", []string{"INBOX", "Drafts", "x"}, "", false},

		// Not guessed.
		{"INBOX", []string{"INBOX"}, "", false},
		{"ordinary", []string{"Projects"}, "", false},
		{"prefix only", []string{"Sent2"}, "", false},
		{"suffix only", []string{"MySent"}, "", false},
		{"word inside", []string{"Not Spam"}, "", false},
		{"All Mail is not guessed", []string{"[Gmail]", "All Mail"}, "", false},
		{"Starred is not guessed", []string{"[Gmail]", "Starred"}, "", false},
		{"INBOX prefix without separator", []string{"INBOXSent"}, "", false},
		{"INBOX separator with nothing", []string{"INBOX."}, "", false},
		{"other prefix unsplit", []string{"Work.Sent"}, "", false},
		{"empty segment", []string{""}, "", false},
		{"empty path", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Guess(tt.path)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Guess(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestGuessTableIsNormalised checks that every key in the table is in the
// form normalise produces, or it could never match.
func TestGuessTableIsNormalised(t *testing.T) {
	for name, role := range names {
		if normalise(name) != name {
			t.Errorf("table key %q is not normalised (want %q)", name, normalise(name))
		}
		if got, ok := Guess([]string{name}); !ok || got != role {
			t.Errorf("Guess(%q) = %q, %v; want %q, true", name, got, ok, role)
		}
		switch role {
		case source.Sent, source.Trash, source.Junk, source.Drafts, source.Archive:
		default:
			t.Errorf("table key %q has role %q, which Guess must never return", name, role)
		}
	}
}

func TestGuessDoesNotModifyPath(t *testing.T) {
	path := []string{"INBOX", " Sent "}
	Guess(path)
	if path[0] != "INBOX" || path[1] != " Sent " {
		t.Errorf("Guess modified its argument: %q", path)
	}
}

func TestGuessMissing(t *testing.T) {
	// folder builds a listed folder: a "/"-separated path and an optional
	// role, announced unless guessed is true.
	type folder struct {
		path    string
		role    source.SpecialUse
		guessed bool
		kind    source.Kind
	}
	type result struct {
		role    source.SpecialUse
		guessed bool
	}
	tests := []struct {
		name string
		in   []folder
		want map[string]result // by path; absent means no role
	}{{
		name: "nothing announced: every role guessed",
		in:   []folder{{path: "INBOX", role: source.Inbox}, {path: "Sent"}, {path: "Trash"}, {path: "Archive"}, {path: "Projects"}},
		want: map[string]result{
			"INBOX": {source.Inbox, false}, "Sent": {source.Sent, true},
			"Trash": {source.Trash, true}, "Archive": {source.Archive, true},
		},
	}, {
		name: "Sent and Trash announced, Archive not: Archive guessed",
		in: []folder{
			{path: "INBOX", role: source.Inbox}, {path: "Sent", role: source.Sent}, {path: "Trash", role: source.Trash},
			{path: "Archive"}, {path: "Archives"}, {path: "Archiv"},
		},
		want: map[string]result{
			"INBOX": {source.Inbox, false}, "Sent": {source.Sent, false}, "Trash": {source.Trash, false},
			"Archive": {source.Archive, true}, "Archives": {source.Archive, true}, "Archiv": {source.Archive, true},
		},
	}, {
		name: "an announced role is never guessed for another folder",
		in: []folder{
			{path: "Sent", role: source.Sent}, {path: "Sent Messages"}, {path: "Gesendet"},
			{path: "Old Archive", role: source.Archive}, {path: "Archive"},
		},
		want: map[string]result{"Sent": {source.Sent, false}, "Old Archive": {source.Archive, false}},
	}, {
		name: "a role announced on a folder without the name still counts",
		in:   []folder{{path: "Mail/Outbox", role: source.Sent}, {path: "Sent"}, {path: "Junk"}},
		want: map[string]result{"Mail/Outbox": {source.Sent, false}, "Junk": {source.Junk, true}},
	}, {
		name: "a guessed role does not stop other guesses",
		in:   []folder{{path: "Sent", role: source.Sent, guessed: true}, {path: "Sent Items"}},
		want: map[string]result{"Sent": {source.Sent, true}, "Sent Items": {source.Sent, true}},
	}, {
		name: "folders with a role keep it; \\All is no reason to guess",
		in:   []folder{{path: "[Gmail]/All Mail", role: source.All}, {path: "Spam", role: source.Drafts}, {path: "Drafts"}},
		want: map[string]result{"[Gmail]/All Mail": {source.All, false}, "Spam": {source.Drafts, false}},
	}, {
		name: "INBOX and folders that hold no mail are not guessed",
		in:   []folder{{path: "INBOX"}, {path: "Archive", kind: source.KindContact}, {path: "Trash", kind: source.KindMessage}},
		want: map[string]result{"Trash": {source.Trash, true}},
	}, {
		name: "subfolders are guessed too (the mapping decides what counts)",
		in:   []folder{{path: "Projects/Archive"}, {path: "INBOX/Trash"}},
		want: map[string]result{"Projects/Archive": {source.Archive, true}, "INBOX/Trash": {source.Trash, true}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := make([]source.Folder, len(tt.in))
			for i, f := range tt.in {
				fs[i] = source.Folder{Name: f.path, Path: strings.Split(f.path, "/"), SpecialUse: f.role, SpecialUseGuessed: f.guessed, Kind: f.kind}
			}
			GuessMissing(fs)
			got := map[string]result{}
			for _, f := range fs {
				if f.SpecialUse != "" {
					got[f.Name] = result{f.SpecialUse, f.SpecialUseGuessed}
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("GuessMissing() roles mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
