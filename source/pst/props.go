package pst

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"

	gopst "github.com/migrate-tool/migrate/source/pst/internal/gopst"
)

// MAPI property tags read, by property ID ([MS-OXPROPS], "Master Property
// List": https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxprops/).
const (
	propMessageClass       = 0x001A // PidTagMessageClass
	propSubject            = 0x0037 // PidTagSubject
	propClientSubmitTime   = 0x0039 // PidTagClientSubmitTime
	propSentReprName       = 0x0042 // PidTagSentRepresentingName
	propSentReprEmail      = 0x0065 // PidTagSentRepresentingEmailAddress
	propSentReprAddrType   = 0x0064 // PidTagSentRepresentingAddressType
	propTransportHeaders   = 0x007D // PidTagTransportMessageHeaders
	propSenderName         = 0x0C1A // PidTagSenderName
	propSenderAddrType     = 0x0C1E // PidTagSenderAddressType
	propSenderEmail        = 0x0C1F // PidTagSenderEmailAddress
	propRecipientType      = 0x0C15 // PidTagRecipientType
	propDisplayBcc         = 0x0E02 // PidTagDisplayBcc
	propDisplayCc          = 0x0E03 // PidTagDisplayCc
	propDisplayTo          = 0x0E04 // PidTagDisplayTo
	propDeliveryTime       = 0x0E06 // PidTagMessageDeliveryTime
	propMessageFlags       = 0x0E07 // PidTagMessageFlags
	propMessageSize        = 0x0E08 // PidTagMessageSize
	propBody               = 0x1000 // PidTagBody
	propRTFCompressed      = 0x1009 // PidTagRtfCompressed
	propHTML               = 0x1013 // PidTagHtml
	propInternetMessageID  = 0x1035 // PidTagInternetMessageId
	propInternetReferences = 0x1039 // PidTagInternetReferences
	propInReplyTo          = 0x1042 // PidTagInReplyToId
	propLastVerbExecuted   = 0x1081 // PidTagLastVerbExecuted
	propFlagStatus         = 0x1090 // PidTagFlagStatus
	propAttrHidden         = 0x10F4 // PidTagAttributeHidden
	propCreationTime       = 0x3007 // PidTagCreationTime
	propDisplayName        = 0x3001 // PidTagDisplayName
	propAddrType           = 0x3002 // PidTagAddressType
	propEmailAddress       = 0x3003 // PidTagEmailAddress
	propRecordKey          = 0x0FF9 // PidTagRecordKey
	propIPMSubtree         = 0x35E0 // PidTagIpmSubtreeEntryId
	propIPMOutbox          = 0x35E2 // PidTagIpmOutboxEntryId
	propIPMWastebasket     = 0x35E3 // PidTagIpmWastebasketEntryId
	propIPMSentMail        = 0x35E4 // PidTagIpmSentMailEntryId
	propContainerClass     = 0x3613 // PidTagContainerClass
	propIPMDrafts          = 0x36D7 // PidTagIpmDraftsEntryId
	propAttachDataBinary   = 0x3701 // PidTagAttachDataBinary (PidTagAttachDataObject for embedded items)
	propAttachFilename     = 0x3704 // PidTagAttachFilename
	propAttachMethod       = 0x3705 // PidTagAttachMethod
	propAttachLongFilename = 0x3707 // PidTagAttachLongFilename
	propAttachMimeTag      = 0x370E // PidTagAttachMimeTag
	propAttachContentID    = 0x3712 // PidTagAttachContentId
	propAttachFlags        = 0x3714 // PidTagAttachFlags
	propSMTPAddress        = 0x39FE // PidTagSmtpAddress
	propInternetCodepage   = 0x3FDE // PidTagInternetCodepage
	propMessageCodepage    = 0x3FFD // PidTagMessageCodepage
	propSenderSMTP         = 0x5D01 // PidTagSenderSmtpAddress
	propSentReprSMTP       = 0x5D02 // PidTagSentRepresentingSmtpAddress
	propAttachmentHidden   = 0x7FFE // PidTagAttachmentHidden
)

// Values of PidTagMessageFlags, PidTagFlagStatus and PidTagLastVerbExecuted
// ([MS-OXCMSG] 2.2.1.6; [MS-OXOFLAG] 2.2.1.1; [MS-OXOMSG] 2.2.1.24).
const (
	msgFlagRead       = 0x1
	msgFlagUnsent     = 0x8
	msgFlagHasAttach  = 0x10
	flagStatusFlagged = 2
	verbReplyToSender = 102
	verbReplyToAll    = 103
	verbForward       = 104
)

// Values of PidTagAttachMethod ([MS-OXCMSG] 2.2.2.9) and PidTagAttachFlags
// ([MS-OXCMSG] 2.2.2.18).
const (
	attachByValue     = 1
	attachEmbeddedMsg = 5
	attachMHTMLRef    = 0x4
)

// props reads the properties of one property context (a folder, a
// message, an attachment) by ID, as the PST holds them.
type props struct {
	pc  *gopst.PropertyContext
	lds []gopst.LocalDescriptor
	// codepage decodes 8-bit strings (PtypString8: ANSI files), from
	// PidTagMessageCodepage or PidTagInternetCodepage; 0 is Windows-1252.
	codepage int
}

// reader returns the reader of property id, false when the context does
// not have it or it holds no data.
func (p props) reader(id uint16) (gopst.PropertyReader, bool) {
	if p.pc == nil {
		return gopst.PropertyReader{}, false
	}
	r, err := p.pc.GetPropertyReader(id, p.lds)
	if err != nil {
		return gopst.PropertyReader{}, false
	}
	return r, true
}

// str returns a string property (PtypString as UTF-16LE, PtypString8 in
// the context's code page), "" when absent.
func (p props) str(id uint16) string {
	r, ok := p.reader(id)
	if !ok {
		return ""
	}
	switch r.Property.Type {
	case gopst.PropertyTypeString:
		s, _ := r.GetString()
		return strings.TrimRight(s, "\x00")
	case gopst.PropertyTypeString8:
		b, ok := p.bytes(id)
		if !ok {
			return ""
		}
		return strings.TrimRight(decode8(b, p.codepage), "\x00")
	}
	return ""
}

// decode8 decodes 8-bit text in a Windows code page; unknown code pages
// are read as Windows-1252.
func decode8(b []byte, codepage int) string {
	if codepage == 65001 {
		return string(b)
	}
	if name, ok := gopst.CodePageIdentifierToEncoding[codepage]; ok {
		if enc, err := ianaindex.IANA.Encoding(name); err == nil && enc != nil {
			if s, err := enc.NewDecoder().Bytes(b); err == nil {
				return string(s)
			}
		}
	}
	s, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(s)
}

// int32 returns an integer property (PtypInteger32).
func (p props) int32(id uint16) (int32, bool) {
	r, ok := p.reader(id)
	if !ok {
		return 0, false
	}
	v, err := r.GetInteger32()
	return v, err == nil
}

// bool returns a boolean property (PtypBoolean).
func (p props) bool(id uint16) bool {
	r, ok := p.reader(id)
	if !ok || r.Property.Type != gopst.PropertyTypeBoolean || len(r.Property.Data) == 0 {
		return false
	}
	v, err := r.GetBoolean()
	return err == nil && v
}

// time returns a time property (PtypTime), the zero time when absent.
func (p props) time(id uint16) time.Time {
	r, ok := p.reader(id)
	if !ok {
		return time.Time{}
	}
	ns, err := r.GetDate()
	if err != nil || ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// bytes returns a variable-size property's bytes (PtypBinary, strings).
// Only small properties are read so; attachment data is streamed with
// section.
func (p props) bytes(id uint16) ([]byte, bool) {
	r, ok := p.reader(id)
	if !ok || r.HeapOnNodeReader == nil {
		return nil, false
	}
	b := make([]byte, r.Size())
	if _, err := r.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, false
	}
	return b, true
}

// section returns a reader of a variable-size property's bytes that
// reads them from the file as it goes, and their size.
func (p props) section(id uint16) (io.ReaderAt, int64, bool) {
	r, ok := p.reader(id)
	if !ok || r.HeapOnNodeReader == nil {
		return nil, 0, false
	}
	return &r, r.Size(), true
}

// entryNID returns the node ID an entry ID property names: a PST entry
// ID is 4 flag bytes, the store's 16-byte provider UID and the node ID
// ([MS-PST] 2.3.3.3 "EntryID").
func (p props) entryNID(id uint16) (gopst.Identifier, bool) {
	b, ok := p.bytes(id)
	if !ok || len(b) != 24 {
		return 0, false
	}
	return gopst.Identifier(binary.LittleEndian.Uint32(b[20:24])), true
}
