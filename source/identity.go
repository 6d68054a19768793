package source

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// IdentityHexLen is how many hex digits of the SHA-256 a HeaderIdentity
// keeps (128 bits).
const IdentityHexLen = 32

// HeaderIdentity identifies a message across sources and servers by its
// size and its Date and Message-ID fields, as Dovecot's POP3 migrations
// match POP mail to IMAP mail (size and a hash of Date + Message-ID):
//
//	size + ":" + hex(SHA-256(HeaderNorm(date) + "\n" + HeaderNorm(messageID)))[:32]
//
// where date and messageID are the raw field values, unfolded and trimmed
// ("" when absent), and size the item's size as the server counts it
// (IMAP RFC822.SIZE, POP3 LIST; Dovecot gives both with CRLF line
// endings). It is the key of a POP3 message on a server without UIDL
// (source/pop3's FallbackKey) and what the plan matches a POP maildrop
// against an IMAP account with. Identical copies (same size, Date and
// Message-ID) share one identity.
func HeaderIdentity(size int64, date, messageID string) string {
	sum := sha256.Sum256([]byte(HeaderNorm(date) + "\n" + HeaderNorm(messageID)))
	return strconv.FormatInt(size, 10) + ":" + hex.EncodeToString(sum[:])[:IdentityHexLen]
}

// HeaderNorm replaces every run of control characters (below 0x20, tab
// included, and 0x7f), 8-bit bytes (0x80 and above) and '?' in a header
// value with one '?', as Dovecot's header hash (version 2, lib-mail
// message-header-hash.c) does because some servers (Zimbra, Yahoo) turn
// 8-bit header characters into '?' when they send headers alone.
func HeaderNorm(v string) string {
	var b strings.Builder
	q := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f || c == '?' {
			if !q {
				b.WriteByte('?')
			}
			q = true
			continue
		}
		q = false
		b.WriteByte(c)
	}
	return b.String()
}
