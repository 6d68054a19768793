// Package specialuse guesses the role of a mail folder from its name, for
// servers that do not announce roles with SPECIAL-USE (RFC 6154), that
// announce only some of them, or whose announced roles are not to be
// trusted.
//
// The guess is a pure function of the folder's path: no I/O, no state. Only
// the last path segment decides, so "Archive/2019/Sent" is guessed as Sent
// and "Sent/2019" is an ordinary folder. A last segment of the form
// "INBOX.Sent" (a server that reported no hierarchy delimiter, or a caller
// that did not split the name) is also recognised: the part after an "INBOX"
// prefix and one separator character decides. Matching is case-insensitive
// and ignores Unicode normalisation differences (NFC and NFD spellings of
// "Envoyés" are the same) and surrounding spaces.
//
// INBOX itself is not guessed: it is a protocol-defined name that adapters
// handle themselves. \All and \Flagged are never guessed either, because a
// wrong guess would make the engine skip or de-duplicate a real folder.
//
// GuessMissing applies Guess to a whole listing the way imapsync's
// --automap does: a role some folder announces is never guessed for
// another, and every role that no folder announces is guessed from the
// names.
package specialuse

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/migrate-tool/migrate/source"
)

// names maps a normalised (NFC, lower-case) folder name to its role. The
// list covers the English names used by common servers and clients (Dovecot,
// Outlook, Apple Mail, Gmail, Yahoo) and the localised names Outlook,
// Thunderbird and webmailers create in German, French, Spanish, Italian,
// Dutch, Polish and Portuguese.
var names = map[string]source.SpecialUse{
	// Sent
	"sent":               source.Sent,
	"sent items":         source.Sent,
	"sent messages":      source.Sent,
	"sent mail":          source.Sent,
	"sent-mail":          source.Sent,
	"gesendet":           source.Sent,
	"gesendete objekte":  source.Sent,
	"gesendete elemente": source.Sent,
	"envoyés":            source.Sent,
	"éléments envoyés":   source.Sent,
	"messages envoyés":   source.Sent,
	"elementos enviados": source.Sent,
	"enviados":           source.Sent,
	"itens enviados":     source.Sent,
	"posta inviata":      source.Sent,
	"inviata":            source.Sent,
	"verzonden items":    source.Sent,
	"verzonden":          source.Sent,
	"wysłane":            source.Sent,
	"elementy wysłane":   source.Sent,
	"skickat":            source.Sent,
	"skickade objekt":    source.Sent,
	"sendt":              source.Sent,
	"sendte elementer":   source.Sent,
	"отправленные":       source.Sent,

	// Trash
	"trash":                source.Trash,
	"deleted items":        source.Trash,
	"deleted messages":     source.Trash,
	"deleted":              source.Trash,
	"bin":                  source.Trash,
	"papierkorb":           source.Trash,
	"gelöschte elemente":   source.Trash,
	"gelöschte objekte":    source.Trash,
	"corbeille":            source.Trash,
	"éléments supprimés":   source.Trash,
	"papelera":             source.Trash,
	"elementos eliminados": source.Trash,
	"lixeira":              source.Trash,
	"itens excluídos":      source.Trash,
	"cestino":              source.Trash,
	"posta eliminata":      source.Trash,
	"prullenbak":           source.Trash,
	"verwijderde items":    source.Trash,
	"kosz":                 source.Trash,
	"elementy usunięte":    source.Trash,
	"papperskorgen":        source.Trash,
	"корзина":              source.Trash,

	// Junk
	"junk":                   source.Junk,
	"spam":                   source.Junk,
	"junk e-mail":            source.Junk,
	"junk email":             source.Junk,
	"junk mail":              source.Junk,
	"bulk mail":              source.Junk,
	"bulk":                   source.Junk,
	"junk-e-mail":            source.Junk,
	"courrier indésirable":   source.Junk,
	"courriers indésirables": source.Junk,
	"indésirables":           source.Junk,
	"indésirable":            source.Junk,
	"correo no deseado":      source.Junk,
	"lixo eletrônico":        source.Junk,
	"posta indesiderata":     source.Junk,
	"ongewenste e-mail":      source.Junk,
	"wiadomości-śmieci":      source.Junk,
	"skräppost":              source.Junk,
	"спам":                   source.Junk,

	// Drafts
	"drafts":         source.Drafts,
	"draft":          source.Drafts,
	"entwürfe":       source.Drafts,
	"brouillons":     source.Drafts,
	"borradores":     source.Drafts,
	"rascunhos":      source.Drafts,
	"bozze":          source.Drafts,
	"concepten":      source.Drafts,
	"kopie robocze":  source.Drafts,
	"wersje robocze": source.Drafts,
	"utkast":         source.Drafts,
	"kladder":        source.Drafts,
	"черновики":      source.Drafts,

	// Archive
	"archive":  source.Archive,
	"archives": source.Archive,
	"archiv":   source.Archive,
	"archivo":  source.Archive,
	"archivio": source.Archive,
	"archief":  source.Archive,
	"archiwum": source.Archive,
	"arquivo":  source.Archive,
	"arkiv":    source.Archive,
	"архив":    source.Archive,
}

// Guess returns the role a folder probably has, judging by the last segment
// of its path, and whether it recognised one. See the package documentation
// for the rules.
func Guess(path []string) (source.SpecialUse, bool) {
	if len(path) == 0 {
		return "", false
	}
	last := normalise(path[len(path)-1])
	if role, ok := names[last]; ok {
		return role, true
	}
	// "INBOX.Sent" as one segment: a flat listing or an unsplit name.
	if len(last) > len("inbox")+1 && strings.HasPrefix(last, "inbox") {
		sep := last[len("inbox")]
		if isSeparator(sep) {
			rest := strings.TrimSpace(last[len("inbox")+1:])
			if role, ok := names[rest]; ok {
				return role, true
			}
		}
	}
	return "", false
}

// GuessMissing gives each mail folder of folders that has no role the role
// Guess finds in its name, unless some folder of the list announces that
// role: a server that announces \Sent and \Trash but no \Archive still has
// its "Archive" folder recognised, while a "Sent Messages" folder beside an
// announced \Sent stays an ordinary folder. A role is announced when a
// folder has it with SpecialUseGuessed false; INBOX (any case, as a
// top-level folder) and folders that already have a role are left alone.
// GuessMissing sets SpecialUseGuessed on every folder it gives a role.
//
// Several folders may be guessed for one role ("Archive" and "Archives");
// GuessMissing keeps them all and the folder mapping chooses the one that
// takes the role (package migrate/mapping, Folders).
func GuessMissing(folders []source.Folder) {
	announced := map[source.SpecialUse]bool{}
	for _, f := range folders {
		if f.SpecialUse != "" && !f.SpecialUseGuessed {
			announced[f.SpecialUse] = true
		}
	}
	for i := range folders {
		f := &folders[i]
		if f.SpecialUse != "" || (f.Kind != "" && f.Kind != source.KindMessage) || isInbox(f.Path) {
			continue
		}
		if role, ok := Guess(f.Path); ok && !announced[role] {
			f.SpecialUse, f.SpecialUseGuessed = role, true
		}
	}
}

// isInbox reports whether path is the top-level INBOX.
func isInbox(path []string) bool {
	return len(path) == 1 && strings.EqualFold(path[0], "INBOX")
}

// normalise folds a name to the form the table uses.
func normalise(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFC.String(s)))
}

// isSeparator reports whether b can be a hierarchy delimiter after INBOX.
func isSeparator(b byte) bool {
	switch b {
	case '.', '/', '\\', ':', '|', '^', '_', '-':
		return true
	}
	return false
}
