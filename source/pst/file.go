package pst

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
)

// Magic is how every .pst and .ost file begins ([MS-PST] 2.2.2.6 HEADER,
// dwMagic).
const Magic = "!BDN"

// ErrUnreadable marks a file that go-pst cannot read: not a PST, a format
// or encryption go-pst does not implement, or a damaged file. Errors name
// the file and the reason.
var ErrUnreadable = errors.New("cannot be read with go-pst")

// IsPST reports whether the file at path begins with the PST magic.
func IsPST(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	b := make([]byte, len(Magic))
	if _, err := io.ReadFull(f, b); err != nil {
		return false, nil
	}
	return string(b) == Magic, nil
}

// pstFile is one .pst or .ost file read with go-pst. go-pst is not known
// to be safe for concurrent use: every call into it holds mu.
type pstFile struct {
	path string
	f    *os.File
	p    *gopst.File
	mu   sync.Mutex
	// validity is the hex PidTagRecordKey of the message store: the
	// store's own UID, which a new export gets anew.
	validity string
	// contents are the folders' message node IDs, as Open has needed
	// them (under mu).
	contents map[gopst.Identifier]map[gopst.Identifier]bool
}

// guard runs fn with the file's lock, turning a panic inside go-pst (it
// indexes slices with offsets read from the file) into an error.
func (pf *pstFile) guard(fn func() error) (err error) {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-pst failed: %v", r)
		}
	}()
	return fn()
}

// openFile opens path and probes it: header, format, encryption, the
// message store and the root folder. A file go-pst cannot read is an
// error matching ErrUnreadable that says why.
func openFile(path string) (*pstFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	pf := &pstFile{path: path, f: f}
	err = pf.guard(func() error {
		head := make([]byte, 12)
		if _, err := io.ReadFull(f, head); err != nil || string(head[:4]) != Magic {
			return fmt.Errorf("%w: not a .pst or .ost file (it does not begin with %q)", ErrUnreadable, Magic)
		}
		p, err := gopst.New(f)
		switch {
		case errors.Is(err, gopst.ErrEncryptionTypeUnsupported):
			return fmt.Errorf("%w: it uses Outlook's high (cyclic) encryption, which go-pst does not implement", ErrUnreadable)
		case errors.Is(err, gopst.ErrFormatTypeUnsupported):
			return fmt.Errorf("%w: unknown file format version %d", ErrUnreadable, int(head[10])|int(head[11])<<8)
		case errors.Is(err, gopst.ErrContentTypeUnsupported):
			return fmt.Errorf("%w: unknown content type %q (want SM for a .pst, SO for an .ost)", ErrUnreadable, head[8:10])
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gopst.ErrBTreeNodeNotFound):
			return fmt.Errorf("%w: the file is truncated or damaged (%v)", ErrUnreadable, err)
		case err != nil:
			return fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		pf.p = p
		// why explains a failure past the header: go-pst's indexes are
		// built without error checks, so a truncated or damaged file shows
		// as nodes that cannot be found.
		why := func(what string, err error) error {
			switch {
			case p.FormatType == gopst.FormatTypeANSI:
				return fmt.Errorf("%w: an ANSI (Outlook 97-2002) file, whose 8-bit structures go-pst does not read (%s: %v)", ErrUnreadable, what, err)
			case errors.Is(err, gopst.ErrBTreeNodeNotFound), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return fmt.Errorf("%w: the file is truncated or damaged (%s: %v)", ErrUnreadable, what, err)
			case errors.Is(err, gopst.ErrLocalDescriptorBranchNode):
				return fmt.Errorf("%w: it uses local-descriptor branch nodes, which go-pst does not implement (%s: %v)", ErrUnreadable, what, err)
			}
			return fmt.Errorf("%w: %s: %v", ErrUnreadable, what, err)
		}
		store, err := p.GetMessageStore()
		if err != nil {
			return why("message store", err)
		}
		if rk, ok := (props{pc: store}).bytes(propRecordKey); ok {
			pf.validity = hex.EncodeToString(rk)
		}
		root, err := p.GetRootFolder()
		if err != nil {
			return why("root folder", err)
		}
		if _, err := root.GetSubFolders(); err != nil {
			return why("root folder", err)
		}
		return nil
	})
	if err != nil {
		f.Close()
		if !errors.Is(err, ErrUnreadable) {
			err = fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return pf, nil
}

// close releases go-pst's indexes and the file.
func (pf *pstFile) close() error {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.p != nil {
		pf.p.Cleanup()
	}
	return pf.f.Close()
}

// pstFolder is one folder of the file's tree, as read by folders.
type pstFolder struct {
	nid      gopst.Identifier
	path     []string
	count    int64
	class    string // PidTagContainerClass ("IPF.Note"...; "" for mail)
	role     string // the store's well-known folder, if any: sent, trash, outbox, drafts
	hidden   bool
	children bool
}

// folders walks the file's folder tree below the IPM subtree (the folders
// Outlook shows; the root's search and internal folders are not in it)
// and returns every folder, parents first. Search folders are left out.
func (pf *pstFile) folders() ([]pstFolder, error) {
	var out []pstFolder
	err := pf.guard(func() error {
		store, err := pf.p.GetMessageStore()
		if err != nil {
			return err
		}
		sp := props{pc: store}
		roles := map[gopst.Identifier]string{}
		for id, role := range map[uint16]string{propIPMSentMail: "sent", propIPMWastebasket: "trash", propIPMOutbox: "outbox"} {
			if nid, ok := sp.entryNID(id); ok {
				roles[nid] = role
			}
		}
		root, err := pf.p.GetRootFolder()
		if err != nil {
			return err
		}
		if nid, ok := (props{pc: root.PropertyContext}).entryNID(propIPMDrafts); ok {
			roles[nid] = "drafts"
		}
		top := gopst.Folder{Identifier: root.Identifier, HasSubFolders: true, File: pf.p}
		if nid, ok := sp.entryNID(propIPMSubtree); ok {
			top.Identifier = nid
			if pc, err := pf.folderProps(nid); err == nil {
				if nid, ok := (props{pc: pc}).entryNID(propIPMDrafts); ok {
					roles[nid] = "drafts"
				}
			}
		} else {
			// No IPM subtree entry ID: the root's first ordinary folder
			// ("Top of Personal Folders" / "Top of Outlook data file").
			subs, err := root.GetSubFolders()
			if err != nil {
				return err
			}
			for _, s := range subs {
				if s.Identifier.GetType() != gopst.IdentifierTypeSearchFolder && s.HasSubFolders && !strings.EqualFold(s.Name, "Search Root") {
					top = s
					break
				}
			}
		}
		var walk func(f gopst.Folder, path []string, depth int) error
		walk = func(f gopst.Folder, path []string, depth int) error {
			if depth > 64 {
				return fmt.Errorf("folder tree deeper than 64 levels at %q (a loop?)", strings.Join(path, "/"))
			}
			subs, err := f.GetSubFolders()
			if err != nil {
				return fmt.Errorf("subfolders of %q: %w", strings.Join(path, "/"), err)
			}
			for _, s := range subs {
				if s.Identifier.GetType() == gopst.IdentifierTypeSearchFolder {
					continue
				}
				p := append(append([]string(nil), path...), s.Name)
				nf := pstFolder{nid: s.Identifier, path: p, count: int64(s.MessageCount), role: roles[s.Identifier], children: s.HasSubFolders}
				if pc, err := pfFolderProps(f.File, s.Identifier); err == nil {
					fp := props{pc: pc}
					nf.class, nf.hidden = fp.str(propContainerClass), fp.bool(propAttrHidden)
				}
				out = append(out, nf)
				if err := walk(s, p, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		return walk(top, nil, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pf.path, err)
	}
	return out, nil
}

// folderProps returns the property context of folder nid.
func (pf *pstFile) folderProps(nid gopst.Identifier) (*gopst.PropertyContext, error) {
	return pfFolderProps(pf.p, nid)
}

// pfFolderProps returns the property context of folder nid of p.
func pfFolderProps(p *gopst.File, nid gopst.Identifier) (*gopst.PropertyContext, error) {
	node, err := p.GetDataBTreeNode(nid)
	if err != nil {
		return nil, err
	}
	hn, err := p.GetHeapOnNode(node)
	if err != nil {
		return nil, err
	}
	return p.GetPropertyContext(hn)
}

// messageNIDs lists the node IDs of the messages of folder nid (its
// contents table), in the table's order.
func (pf *pstFile) messageNIDs(nid gopst.Identifier) (out []gopst.Identifier, err error) {
	err = pf.guard(func() error {
		out, err = pf.messageNIDsLocked(nid)
		return err
	})
	return out, err
}

// messageNIDsLocked is messageNIDs for a caller that holds the lock.
func (pf *pstFile) messageNIDsLocked(nid gopst.Identifier) ([]gopst.Identifier, error) {
	var out []gopst.Identifier
	err := func() error {
		f := gopst.Folder{Identifier: nid, File: pf.p, MessageCount: 1}
		tc, err := f.GetMessageTableContext()
		if err != nil {
			if errors.Is(err, gopst.ErrBTreeNodeNotFound) || errors.Is(err, gopst.ErrTableContextNoRows) {
				return nil // no contents table: an empty folder
			}
			return err
		}
		for _, row := range tc.Properties {
			for _, p := range row {
				r, err := tc.GetPropertyReader(p)
				if err != nil {
					return err
				}
				id, err := r.GetInteger32()
				if err != nil {
					return err
				}
				out = append(out, gopst.Identifier(uint32(id)))
			}
		}
		return nil
	}()
	return out, err
}

// msg is one message's property context and local descriptors.
type msg struct {
	nid gopst.Identifier
	props
}

// message reads the property context of message nid (without go-pst's
// GetMessage, which decodes every property into memory, attachment data
// too, and prints to standard output on unknown message classes). The
// caller holds the file's lock (guard).
func (pf *pstFile) message(nid gopst.Identifier) (*msg, error) {
	if nid.GetType() != gopst.IdentifierTypeNormalMessage {
		return nil, fmt.Errorf("node %d is not a message", nid)
	}
	node, err := pf.p.GetNodeBTreeNode(nid)
	if err != nil {
		return nil, err
	}
	block, err := pf.p.GetBlockBTreeNode(node.DataIdentifier)
	if err != nil {
		return nil, err
	}
	hn, err := pf.p.GetHeapOnNode(block)
	if err != nil {
		return nil, err
	}
	lds, err := pf.p.GetLocalDescriptors(node)
	if err != nil {
		return nil, err
	}
	pc, err := pf.p.GetPropertyContext(hn)
	if err != nil {
		return nil, err
	}
	m := &msg{nid: nid, props: props{pc: pc, lds: lds}}
	m.codepage = m.messageCodepage()
	return m, nil
}

// messageCodepage is the code page of the message's 8-bit strings.
func (p props) messageCodepage() int {
	if cp, ok := p.int32(propMessageCodepage); ok && cp > 0 {
		return int(cp)
	}
	if cp, ok := p.int32(propInternetCodepage); ok && cp > 0 {
		return int(cp)
	}
	return 1252
}

// recipient is one row of a message's recipient table.
type recipient struct {
	kind        int32 // PidTagRecipientType: 1 To, 2 Cc, 3 Bcc
	name, email string
}

// recipients reads the message's recipient table ([MS-PST] 2.4.4.5: the
// subnode NID_RECIPIENT_TABLE, 0x692, a table context). go-pst has no
// reader of its own for it. ok is false when the table cannot be read;
// the caller then falls back to the display strings.
func (pf *pstFile) recipients(m *msg) (rs []recipient, ok bool) {
	defer func() {
		if recover() != nil {
			rs, ok = nil, false
		}
	}()
	ld, err := gopst.FindLocalDescriptor(0x692, m.lds)
	if err != nil {
		return nil, false
	}
	hn, err := pf.p.GetHeapOnNodeFromLocalDescriptor(ld)
	if err != nil {
		return nil, false
	}
	lds, err := pf.p.GetLocalDescriptorsFromIdentifier(ld.LocalDescriptorsIdentifier)
	if err != nil {
		return nil, false
	}
	tc, err := pf.p.GetTableContext(hn, lds, propRecipientType, propDisplayName, propAddrType, propEmailAddress, propSMTPAddress)
	if err != nil {
		return nil, errors.Is(err, gopst.ErrTableContextNoRows)
	}
	for _, row := range tc.Properties {
		var r recipient
		var addrType, email, smtp string
		for _, p := range row {
			pr, err := tc.GetPropertyReader(p, lds...)
			if err != nil {
				continue
			}
			var s string
			switch p.Type {
			case gopst.PropertyTypeString:
				s, _ = pr.GetString()
			case gopst.PropertyTypeString8:
				b := make([]byte, pr.Size())
				pr.ReadAt(b, 0)
				s = decode8(b, m.codepage)
			}
			s = strings.TrimRight(s, "\x00")
			switch p.ID {
			case propRecipientType:
				r.kind, _ = pr.GetInteger32()
			case propDisplayName:
				r.name = s
			case propAddrType:
				addrType = s
			case propEmailAddress:
				email = s
			case propSMTPAddress:
				smtp = s
			}
		}
		r.email = smtp
		if r.email == "" && !strings.EqualFold(addrType, "EX") {
			r.email = email
		}
		rs = append(rs, r)
	}
	return rs, true
}

// maxEmbedDepth bounds how deeply attached Outlook items (messages
// attached to messages attached to ...) are carried.
const maxEmbedDepth = 8

// attachment is one attachment as write needs it, read under the file's
// lock: its small properties, a reader of its data (read from the file
// under the lock, piece by piece, when written), or the content of the
// attached Outlook item, or why it is not carried.
type attachment struct {
	method         int32
	name, typ, cid string
	inline         bool        // Content-ID with PidTagAttachmentHidden or ATT_MHTML_REF
	data           io.ReaderAt // by value: the data, size bytes
	size           int64
	embedded       *content // ATTACH_EMBEDDED_MSG: the attached message, read as a top-level one
	why            string   // not carried, and why ("" when carried)
}

// attachments reads the attachments of message m (its attachment table,
// the subnode 0x671): their properties, and attached Outlook items
// (embedded messages) recursively to maxEmbedDepth levels, but not their
// data. seed is m's content seed, depth m's nesting level. The caller
// holds the file's lock.
func (pf *pstFile) attachments(m *msg, seed string, depth int) ([]attachment, error) {
	flags, _ := m.int32(propMessageFlags)
	if flags&msgFlagHasAttach == 0 {
		return nil, nil
	}
	gm := &gopst.Message{File: pf.p, Identifier: m.nid, PropertyContext: m.pc, LocalDescriptors: m.lds}
	tc, err := gm.GetAttachmentTableContext()
	if err != nil {
		if errors.Is(err, gopst.ErrAttachmentsNotFound) || errors.Is(err, gopst.ErrTableContextNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("attachment table: %w", err)
	}
	var out []attachment
	for i, row := range tc.Properties {
		var hnid gopst.Identifier
		for _, p := range row {
			r, err := tc.GetPropertyReader(p)
			if err != nil {
				return nil, fmt.Errorf("attachment %d: %w", i, err)
			}
			id, err := r.GetInteger32()
			if err != nil {
				return nil, fmt.Errorf("attachment %d: %w", i, err)
			}
			hnid = gopst.Identifier(uint32(id))
		}
		ld, err := gopst.FindLocalDescriptor(hnid, m.lds)
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
		lds, err := pf.p.GetLocalDescriptorsFromIdentifier(ld.LocalDescriptorsIdentifier)
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
		hn, err := pf.p.GetHeapOnNodeFromLocalDescriptor(ld)
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
		pc, err := pf.p.GetPropertyContext(hn)
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
		out = append(out, pf.attachment(props{pc: pc, lds: lds, codepage: m.codepage}, fmt.Sprintf("%s\x00%d", seed, i), depth))
	}
	return out, nil
}

// attachment reads one attachment's properties (ap). The caller holds the
// file's lock.
func (pf *pstFile) attachment(ap props, seed string, depth int) attachment {
	a := attachment{
		name: cmp.Or(ap.str(propAttachLongFilename), ap.str(propAttachFilename), ap.str(propDisplayName)),
		typ:  ap.str(propAttachMimeTag),
		cid:  ap.str(propAttachContentID),
	}
	a.method, _ = ap.int32(propAttachMethod)
	flags, _ := ap.int32(propAttachFlags)
	a.inline = a.cid != "" && (ap.bool(propAttachmentHidden) || flags&attachMHTMLRef != 0)
	switch a.method {
	case attachByValue:
		if data, size, ok := ap.section(propAttachDataBinary); ok {
			a.data, a.size = lockedReaderAt{pf, data}, size
		}
	case attachEmbeddedMsg:
		if depth >= maxEmbedDepth {
			a.why = fmt.Sprintf("an embedded Outlook item nested more than %d levels deep", maxEmbedDepth)
			break
		}
		em, err := (&gopst.Attachment{PropertyContext: ap.pc, LocalDescriptors: ap.lds}).GetEmbeddedMessage()
		if err == nil {
			m := &msg{nid: em.Identifier, props: props{pc: em.PropertyContext, lds: em.LocalDescriptors}}
			m.codepage = m.messageCodepage()
			a.embedded, err = pf.readMessage(m, seed, depth+1)
		}
		if err != nil {
			a.embedded, a.why = nil, "an embedded Outlook item go-pst cannot read: "+err.Error()
		}
	default:
		what := map[int32]string{2: "a link to a file", 3: "a link to a file", 4: "a link to a file", 6: "an OLE object", 7: "a web link"}[a.method]
		if what == "" {
			what = fmt.Sprintf("attach method %d", a.method)
		}
		a.why = what + ": not yet supported"
	}
	return a
}

// lockedReaderAt reads r under the file's lock, so that an attachment is
// streamed from the file in pieces while other calls use go-pst.
type lockedReaderAt struct {
	pf *pstFile
	r  io.ReaderAt
}

// ReadAt implements io.ReaderAt.
func (l lockedReaderAt) ReadAt(p []byte, off int64) (n int, err error) {
	gerr := l.pf.guard(func() error {
		n, err = l.r.ReadAt(p, off)
		return nil
	})
	if gerr != nil {
		return n, gerr
	}
	return n, err
}

// hasPrefixFold reports whether s begins with prefix in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// trimNUL drops trailing NULs some writers leave in binary strings.
func trimNUL(b []byte) []byte { return bytes.TrimRight(b, "\x00") }
