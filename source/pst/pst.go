// Package pst is a source.Account over Outlook .pst and .ost files,
// read-only, with the reading layer of github.com/mooijtech/go-pst v6.0.2
// (pure Go, Apache-2.0; kept trimmed in internal/gopst, whose package
// comment says why), and with pst-utils' readpst as an optional converter
// for the files go-pst cannot read.
//
// # Probing
//
// Open probes every file before anything is listed: the "!BDN" header,
// the format (ANSI, Unicode, Unicode 4k; PST or OST), the encryption
// (none or compressible; go-pst does not implement Outlook's "high",
// cyclic encryption), the message store and the root folder's hierarchy.
// A file that fails is an error naming the file and the reason, matching
// ErrUnreadable; with several files, all failures are reported together.
// go-pst panics on some damaged files (it indexes with offsets read from
// the file): the panic is recovered and reported as the reason. With
// Options.Converter set, such a file is converted by readpst instead (see
// below) and only a converter failure is an error.
//
// # Folders
//
// The folders are the PST's IPM subtree ("Top of Personal Folders", what
// Outlook shows): the root's internal folders (search root, spam search
// folder, views) are not listed, nor are search folders or hidden folders.
// Roles come from the message store's well-known entry IDs (Sent Items,
// Deleted Items, Outbox; Drafts from the root folder), so they are right
// in any language; other roles are guessed from names (source/specialuse),
// and a top-level "Inbox" is INBOX. Folders of calendars, contacts, tasks,
// notes and journal entries (container class IPF.Appointment,
// IPF.Contact, ...) are listed with Folder.Skip: their items are not mail
// and are not migrated yet. With several files, each file's folders are
// put under a folder named after the file (without its extension).
//
// # Items and keys
//
// An item's key is the message's node ID in the file (decimal): node IDs
// are allocated once and never reused within a file, so keys are stable
// for the same file however often Outlook writes to it. Folder.Validity
// is the message store's record key (its own UID): a new export of the
// same mail is a new store with a new record key, so its keys are not
// taken for the old file's; the engine then finds the messages created
// before by their content identity, which is stable because the rebuilt
// MIME is a pure function of the message's properties (multipart
// boundaries are derived from the header).
//
// Messages of class IPM.Note and its variants, IPM.Post, meeting messages
// (IPM.Schedule.Meeting.*, carried as mail: nothing is ever sent) and
// reports (REPORT.*) are listed; contacts, appointments, tasks, notes and
// distribution lists found in mail folders are listed with ItemRef.Skip,
// and so is a message go-pst cannot read (local-descriptor branch nodes,
// which go-pst does not implement, or a damaged node), with the reason.
//
// Flags: PidTagMessageFlags read (0x1) is \Seen and unsent (0x8) \Draft;
// PidTagFlagStatus followupFlagged (2) is \Flagged; PidTagLastVerbExecuted
// reply (102, 103) is \Answered and forward (104) $Forwarded. ItemRef.Date
// is PidTagMessageDeliveryTime, else PidTagClientSubmitTime, else
// PidTagCreationTime. ItemRef.Size is unknown (-1): the message is
// rebuilt when opened.
//
// # Messages as MIME
//
// Open rebuilds each message as MIME, written with go-message's writer:
//   - the header is PidTagTransportMessageHeaders (the header as received)
//     when the message has one, without its Content-Type,
//     Content-Transfer-Encoding and MIME-Version fields; else it is built
//     from properties: Date (client submit time, else delivery time),
//     From (sent-representing, else sender; an Exchange X.500 address only
//     when there is no SMTP address), To/Cc/Bcc from the recipient table
//     (read here: go-pst has no reader for it; when it cannot be read, the
//     display strings PidTagDisplayTo/Cc/Bcc give names without addresses,
//     written `"Name" <>`), Subject, Message-ID, In-Reply-To, References;
//   - the body is PidTagHtml (converted from PidTagInternetCodepage to
//     UTF-8) and PidTagBody, as multipart/alternative when both exist; a
//     message with only an RTF body (PidTagRtfCompressed) gets the HTML
//     (\fromhtml1) or the text (\fromtext) its RTF encapsulates, as
//     [MS-OXRTFEX] describes (rtf.go); RTF that encapsulates neither gives
//     an empty text body and the decompressed RTF attached as body.rtf;
//   - attachments by value are base64 parts with their file names, MIME
//     types (PidTagAttachMimeTag, else from the extension) and Content-IDs,
//     streamed from the file in pieces; attached Outlook items (embedded
//     messages, ATTACH_EMBEDDED_MSG) are message/rfc822 parts holding the
//     item rebuilt the same way (its header, bodies, recipients and own
//     attachments; nested items to 8 levels), read with a reader added to
//     the go-pst copy (upstream garbles them, its issue #10); OLE objects
//     and links are not carried: each is logged as a warning.
//
// A message is never held whole in memory: the properties and bodies are
// read once, attachments are copied from the file to the stream.
//
// # readpst
//
// With Options.Converter ("readpst" or a path to it), a file go-pst cannot
// read is converted by running `readpst -j 0 -e -8 -q -o DIR FILE` (a
// separate process, never a shell; -e writes one .eml file per message in
// a directory per folder) into a temporary directory, which source/eml then
// reads; Close removes it. Converted messages carry no flags and are dated
// from their Received/Date fields; their keys are readpst's numbering
// within each folder, stable for the same file. A converter failure is an
// error holding its standard error output.
//
// Nothing in any file is ever written: files are opened read-only.
package pst

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/source"
	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
	"github.com/migrate-tool/migrate/source/specialuse"
)

// Options are what Open needs.
type Options struct {
	// Paths are the .pst and .ost files.
	Paths []string
	// Converter, when not empty, is the readpst program ("readpst", found
	// on PATH, or its path) that converts the files go-pst cannot read.
	// Empty (the default): such files are an error.
	Converter string
	// AlwaysConvert converts every file with Converter, also those go-pst
	// reads (for files go-pst reads wrongly, and tests).
	AlwaysConvert bool
	// TempDir is where the converter's output goes ("" is os.TempDir()).
	TempDir string
	// Logger receives warnings (attachments not carried); nil discards
	// them.
	Logger *slog.Logger
}

// Account is a source.Account over .pst and .ost files. It never writes to
// them. Its methods may be called from several goroutines.
type Account struct {
	log       *slog.Logger
	files     []*pstFile
	converted []*converted
	folders   []folder
}

var _ source.Account = (*Account)(nil)

// folder is a listed folder and where it comes from: a go-pst file and
// folder node, or a converted file's .eml folder.
type folder struct {
	source.Folder
	file  *pstFile
	nid   gopst.Identifier
	conv  *converted
	inner source.Folder
}

// Open probes and opens the files of opts.Paths. It fails when a file
// cannot be read (ErrUnreadable, naming the file and why) and no converter
// is set, or when the converter fails.
func Open(ctx context.Context, opts *Options) (*Account, error) {
	if len(opts.Paths) == 0 {
		return nil, errors.New("no .pst file given")
	}
	a := &Account{log: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))}
	var errs []error
	for _, p := range opts.Paths {
		if err := ctx.Err(); err != nil {
			a.Close()
			return nil, err
		}
		fs, err := a.openOne(ctx, p, opts, len(opts.Paths) > 1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.folders = append(a.folders, fs...)
	}
	if len(errs) > 0 {
		a.Close()
		return nil, errors.Join(errs...)
	}
	listed := make([]source.Folder, len(a.folders))
	for i := range a.folders {
		listed[i] = a.folders[i].Folder
	}
	specialuse.GuessMissing(listed)
	for i := range a.folders {
		a.folders[i].Folder = listed[i]
	}
	return a, nil
}

// openOne opens one file and returns its folders, under a folder named
// after the file when prefixed.
func (a *Account) openOne(ctx context.Context, path string, opts *Options, prefixed bool) ([]folder, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory; give the .pst or .ost file", path)
	}
	var prefix []string
	if prefixed {
		prefix = []string{strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
	}
	var pf *pstFile
	if !opts.AlwaysConvert || opts.Converter == "" {
		pf, err = openFile(path)
		if err != nil && (opts.Converter == "" || !errors.Is(err, ErrUnreadable)) {
			if errors.Is(err, ErrUnreadable) {
				err = fmt.Errorf("%w (set source.pst_converter: readpst to convert such files with pst-utils' readpst)", err)
			}
			return nil, err
		}
	}
	if pf == nil {
		if err != nil {
			a.log.Warn("pst file not readable with go-pst; converting it with readpst", "file", path, "err", err)
		}
		c, err := convert(ctx, opts.Converter, path, opts.TempDir, a.log)
		if err != nil {
			return nil, err
		}
		a.converted = append(a.converted, c)
		return c.folders(ctx, prefix, path)
	}
	a.files = append(a.files, pf)
	pfs, err := pf.folders()
	if err != nil {
		return nil, err
	}
	out := make([]folder, 0, len(pfs)+1)
	if prefixed {
		out = append(out, folder{Folder: source.Folder{Path: prefix, Delimiter: "/", Name: path + "#", Count: 0, Bytes: 0, NoSelect: true}, file: pf})
	}
	for _, f := range pfs {
		if f.hidden {
			continue
		}
		sf := source.Folder{
			Path:      append(append([]string(nil), prefix...), f.path...),
			Delimiter: "/",
			Name:      path + "#" + strconv.FormatUint(uint64(f.nid), 10),
			Validity:  pf.validity,
			Count:     f.count,
			Bytes:     -1,
		}
		switch f.role {
		case "sent":
			sf.SpecialUse = source.Sent
		case "trash":
			sf.SpecialUse = source.Trash
		case "drafts":
			sf.SpecialUse = source.Drafts
		}
		if len(f.path) == 1 && strings.EqualFold(f.path[0], "Inbox") && !prefixed {
			sf.Path, sf.SpecialUse = []string{"INBOX"}, source.Inbox
		}
		if why := folderSkip(f.class); why != "" {
			sf.Skip = why
		}
		out = append(out, folder{Folder: sf, file: pf, nid: f.nid})
	}
	return out, nil
}

// folderSkip says why a folder of container class class is not migrated,
// "" for a mail folder.
func folderSkip(class string) string {
	for _, k := range []struct{ prefix, what string }{
		{"IPF.Appointment", "calendar"}, {"IPF.Contact", "contacts"}, {"IPF.Task", "tasks"},
		{"IPF.StickyNote", "notes"}, {"IPF.Journal", "journal"},
	} {
		if hasPrefixFold(class, k.prefix) {
			return "An Outlook " + k.what + " folder of a .pst file: its items are not mail, and contacts, events, tasks and notes from .pst files are not migrated yet."
		}
	}
	return ""
}

// itemSkip says why a message of class class is not migrated, "" for
// mail.
func itemSkip(class string) string {
	for _, k := range []string{"IPM.Appointment", "IPM.Contact", "IPM.DistList", "IPM.Task", "IPM.StickyNote", "IPM.Activity"} {
		if hasPrefixFold(class, k) {
			return "An Outlook item of class " + k + " in a mail folder of a .pst file: not mail, and not migrated from .pst files yet."
		}
	}
	return ""
}

// Folders lists the folders of every file.
func (a *Account) Folders(ctx context.Context) ([]source.Folder, error) {
	out := make([]source.Folder, 0, len(a.folders))
	for _, f := range a.folders {
		out = append(out, f.Folder)
	}
	return out, nil
}

// folder finds a listed folder by its Name.
func (a *Account) folder(f source.Folder) (*folder, error) {
	for i := range a.folders {
		if a.folders[i].Name == f.Name {
			return &a.folders[i], nil
		}
	}
	return nil, fmt.Errorf("pst folder %q: %w", f.Name, source.ErrNotFound)
}

// Items lists the messages of f, reading each one's properties (class,
// flags, dates) but not its content.
func (a *Account) Items(ctx context.Context, f source.Folder) iter.Seq2[source.ItemRef, error] {
	return func(yield func(source.ItemRef, error) bool) {
		lf, err := a.folder(f)
		if err != nil {
			yield(source.ItemRef{}, err)
			return
		}
		if lf.conv != nil {
			for ref, err := range lf.conv.acct.Items(ctx, lf.inner) {
				if !yield(ref, err) || err != nil {
					return
				}
			}
			return
		}
		if lf.NoSelect {
			return
		}
		nids, err := lf.file.messageNIDs(lf.nid)
		if err != nil {
			yield(source.ItemRef{}, fmt.Errorf("%s: folder %s: %w", lf.file.path, strings.Join(f.Path, "/"), err))
			return
		}
		for _, nid := range nids {
			if err := ctx.Err(); err != nil {
				yield(source.ItemRef{}, err)
				return
			}
			var ref source.ItemRef
			err := lf.file.guard(func() error {
				m, err := lf.file.message(nid)
				if err != nil {
					return err
				}
				ref = itemRef(m)
				return nil
			})
			if err != nil {
				// One message go-pst cannot read (a structure it does not
				// implement, a damaged node) is reported, not the end of
				// the folder.
				a.log.Warn("pst message not readable with go-pst", "file", lf.file.path, "folder", strings.Join(f.Path, "/"), "key", nid, "err", err)
				ref = source.ItemRef{Key: strconv.FormatUint(uint64(nid), 10), Size: -1, Skip: "go-pst cannot read this message of the .pst file: " + err.Error()}
			}
			if !yield(ref, nil) {
				return
			}
		}
	}
}

// itemRef is the listing of message m.
func itemRef(m *msg) source.ItemRef {
	ref := source.ItemRef{Key: strconv.FormatUint(uint64(m.nid), 10), Size: -1}
	ref.Date = m.time(propDeliveryTime)
	if ref.Date.IsZero() {
		ref.Date = m.time(propClientSubmitTime)
	}
	if ref.Date.IsZero() {
		ref.Date = m.time(propCreationTime)
	}
	ref.Flags = flags(m.props)
	ref.Skip = itemSkip(m.str(propMessageClass))
	return ref
}

// flags maps a message's properties to IMAP flag names.
func flags(p props) []string {
	mf, _ := p.int32(propMessageFlags)
	fs, _ := p.int32(propFlagStatus)
	verb, _ := p.int32(propLastVerbExecuted)
	return flagsOf(mf, fs, verb)
}

// flagsOf maps PidTagMessageFlags, PidTagFlagStatus and
// PidTagLastVerbExecuted to IMAP flag names.
func flagsOf(messageFlags, flagStatus, lastVerb int32) []string {
	var out []string
	if messageFlags&msgFlagRead != 0 {
		out = append(out, `\Seen`)
	}
	if messageFlags&msgFlagUnsent != 0 {
		out = append(out, `\Draft`)
	}
	if flagStatus == flagStatusFlagged {
		out = append(out, `\Flagged`)
	}
	switch lastVerb {
	case verbReplyToSender, verbReplyToAll:
		out = append(out, `\Answered`)
	case verbForward:
		out = append(out, "$Forwarded")
	}
	return out
}

// Open streams message ref of f rebuilt as MIME (see the package
// documentation). The returned reader is fed by a goroutine that stops
// when the reader is closed or ctx is done.
func (a *Account) Open(ctx context.Context, f source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	lf, err := a.folder(f)
	if err != nil {
		return nil, err
	}
	if lf.conv != nil {
		return lf.conv.acct.Open(ctx, lf.inner, ref)
	}
	n, err := strconv.ParseUint(ref.Key, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s: folder %s: key %q: %w", lf.file.path, strings.Join(f.Path, "/"), ref.Key, source.ErrNotFound)
	}
	nid := gopst.Identifier(n)
	pf := lf.file
	var c *content
	if err := pf.guard(func() error {
		if !pf.inFolder(lf.nid, nid) {
			return source.ErrNotFound
		}
		var err error
		c, err = pf.read(nid)
		return err
	}); err != nil {
		return nil, fmt.Errorf("%s: folder %s: message %s: %w", pf.path, strings.Join(f.Path, "/"), ref.Key, err)
	}
	pr, pw := io.Pipe()
	go func() {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("go-pst failed: %v", r)
				}
			}()
			return writeMessage(ctx, pw, c, a.log.With("file", pf.path, "folder", strings.Join(f.Path, "/"), "key", ref.Key))
		}()
		if err != nil {
			err = fmt.Errorf("%s: folder %s: message %s: %w", pf.path, strings.Join(f.Path, "/"), ref.Key, err)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// inFolder reports whether message nid is in folder's contents table
// (read once per folder). The caller holds the lock.
func (pf *pstFile) inFolder(folder, nid gopst.Identifier) bool {
	if nid.GetType() != gopst.IdentifierTypeNormalMessage {
		return false
	}
	set, ok := pf.contents[folder]
	if !ok {
		nids, err := pf.messageNIDsLocked(folder)
		if err != nil {
			return false
		}
		set = make(map[gopst.Identifier]bool, len(nids))
		for _, n := range nids {
			set[n] = true
		}
		if pf.contents == nil {
			pf.contents = map[gopst.Identifier]map[gopst.Identifier]bool{}
		}
		pf.contents[folder] = set
	}
	return set[nid]
}

// Close releases the files and removes the converters' output.
func (a *Account) Close() error {
	var errs []error
	for _, f := range a.files {
		errs = append(errs, f.close())
	}
	for _, c := range a.converted {
		errs = append(errs, c.close())
	}
	a.files, a.converted = nil, nil
	return errors.Join(errs...)
}
