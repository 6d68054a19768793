// Package message turns an RFC 5322 message stream into what a Microsoft
// Graph message is built from: decoded envelope fields, one body (text or
// HTML, UTF-8), and attachments whose content is streamed from memory or a
// spool file. It knows nothing of Graph's JSON; the Graph target maps
// Message onto the message resource (subject, body{contentType,content},
// from, sender, toRecipients, ccRecipients, bccRecipients, replyTo,
// internetMessageId, importance) and Attachment onto fileAttachment (name,
// contentType, contentId, isInline, size).
//
// # Guarantees
//
// Parse reads its input once, front to back. Memory is bounded whatever the
// message size: attachment content beyond Options.MemoryLimit (all
// attachments together) and body text beyond Options.MaxBodyBytes are
// decoded from base64 or quoted-printable while streaming and written to
// spool files (mode 0600) that Message.Close removes; header fields are
// capped at Options.MaxHeaderBytes; lines of any length are read in pieces.
// A 37 MiB attachment in a 53 MB message raised the heap high-water mark by
// 1.4 to 2.6 MiB in our runs (TestParseBigMessageBoundedMemory); parsing runs
// at about 450 MB/s with some 230 allocations per 10 MB message
// (BenchmarkParse).
//
// Parse never fails on content. Every defect it tolerates is listed in
// Message.Problems, and no content is dropped: what cannot be placed is
// attached. It returns an error only for a read error of the input, a done
// context, or a spool file that cannot be written.
//
// # Why not go-message's or enmime's parser
//
// Charsets are github.com/emersion/go-message/charset (with the WHATWG
// labels of golang.org/x/text first), but the MIME structure is split here,
// because the structure parsers available stop or buffer on exactly the mail
// a migration must not lose:
//
//   - go-message v0.18.2's textproto.ReadHeader returns an error at the first
//     line without a colon ("malformed MIME header line"), so message.Read
//     fails on the whole message, and a malformed part header ends Walk. It
//     holds header lines of any length in memory (its doc asks callers to
//     bound the reader).
//   - Its MultipartReader.NextPart fails with "bufio: buffer full" on a
//     preamble line longer than 4096 bytes, and reports read errors with %v,
//     so an I/O error met between parts cannot be told from a defect.
//   - enmime v2 reads every part's decoded content into memory (Part.Content
//     is a []byte), which is what this package must not do.
//
// The splitter here follows RFC 2046 section 5.1.1 leniently: CRLF or LF,
// white space after delimiters, a missing close delimiter, and a nested
// multipart missing its close delimiter ends at its parent's delimiter.
//
// # Body
//
// The body is chosen as Exchange's own MIME reader does (MS-OXCMAIL section
// 2.2.3.3.2), adapted:
//
//   - multipart/alternative: the HTML alternative if there is one, else plain
//     text; among equals the last (RFC 2046 section 5.1.4). Other
//     alternatives are renditions of the same text and are dropped, except
//     text/calendar, which is always attached (invite.ics).
//   - multipart/related: the root is the part its start parameter names, or
//     else the first text or multipart part (RFC 2387); the other parts are
//     attachments, text ones included.
//   - multipart/mixed (and every other multipart): text/plain and text/html
//     parts that are not attachments (no Content-Disposition: attachment, no
//     file name) all go into the body, in order. Decision for a text part
//     after the chosen body, such as a list footer or the pieces Apple Mail
//     writes around inline images: it is appended, not attached, as Exchange
//     builds an "aggregate body" (MS-OXCMAIL section 2.2.3.3.2.2): if any
//     piece is HTML the body is HTML, plain pieces are escaped with <br>
//     line breaks, and HTML pieces after the first lose their <body>
//     wrapper and go inside the first one's <body>.
//   - A body longer than MaxBodyBytes is cut at a character boundary with a
//     note, and the whole text is attached as body.html or body.txt.
//   - Text is converted to UTF-8. Labels are resolved by the WHATWG Encoding
//     Standard (so iso-8859-1 is windows-1252), then go-message's IANA table.
//     Text without a charset, in an unknown charset or labelled us-ascii,
//     utf-8 or a single-byte charset is decided by its first non-ASCII
//     sequence: UTF-8 if that is valid UTF-8 (later invalid bytes become
//     U+FFFD), else windows-1252 (or the declared single-byte charset). HTML
//     without a charset parameter uses its <meta> declaration, and <meta>
//     charsets in the result are rewritten to utf-8.
//
// # Attachments
//
// Every other leaf part is an attachment, with its decoded file name
// (RFC 2231 continuations and charsets, RFC 2047 encoded words in quoted
// names, directories stripped) or a made-up one: invite.ics for calendars,
// contact.vcf for vCards, attachment-N.ext otherwise. message/rfc822 parts
// become .eml attachments named after their subject. Content-ID loses its
// angle brackets (MS-OXCMAIL section 2.2.3.4.1.4). An attachment is Inline
// only if the final HTML body references its Content-ID through a cid: URL
// (RFC 2392): MS-OXCMAIL section 2.2.3.4.1.4.1 warns that marking an
// unreferenced part inline can hide it, so Content-ID alone is not enough.
// Graph's contentLocation is documented as unsupported, so Content-Location
// is not carried.
//
// Content kept so that nothing is lost comes after the other attachments:
// original.eml (the whole message, when its structure is hopeless: no header
// at all, or a multipart whose boundary never appears; the body is then the
// raw text decoded best-effort), part-N.eml (a part nested deeper than
// MaxDepth, or a nested multipart whose boundary never appears),
// preamble.txt and epilogue.txt (text around the parts that is not blank or
// a short notice), unparsed-parts.txt (parts beyond MaxParts),
// original-headers.txt (a header block longer than MaxHeaderBytes),
// body.txt/body.html, and unparsed-data.bin (input a decoder left unread,
// which should not happen).
//
// # Header
//
// Header values that are not UTF-8 keep their valid UTF-8 sequences and
// decode other bytes as windows-1252. Encoded words are decoded in any charset
// the body decoder knows, adjacent words of one charset joined first so
// that a character split across two words survives. Addresses are parsed by
// net/mail, then leniently if it refuses them. Dates accept the obsolete
// forms of RFC 5322 section 4.3 with correct offsets for named zones (net/mail
// reads "EDT" as UTC). Importance comes from Importance, X-Priority, Priority
// or X-MSMail-Priority. A header line that is not a field ends the header and
// starts the body, as in Python's email.feedparser, unless the next line is
// a field again.
//
// Not done: format=flowed text (RFC 3676) is kept as sent, not reflowed;
// uuencoded and BinHex content and TNEF (winmail.dat) are attached as they
// are, not unpacked.
package message
