// Package pop3 is the POP3 source adapter: one account's maildrop as one
// folder, INBOX, listed by UIDL and LIST and read by RETR.
//
// Keys are the UIDL values (RFC 1939 section 7), never the message numbers,
// which are valid for one session only: Open finds the message's number
// again by its key in the current session. A server without UIDL (UIDL
// answers -ERR) gets fallback keys made of the size and a hash of the Date
// and Message-ID fields (FallbackKey), read with TOP n 0;
// Account.KeyScheme says which scheme a maildrop uses and documents the
// caveats of the fallback.
//
// Login (Options.Auth): USER/PASS, AUTH PLAIN (RFC 5034) when CAPA lists
// SASL PLAIN, or APOP (RFC 1939 section 7) when the greeting carries a
// timestamp. The automatic choice prefers SASL PLAIN over TLS, and APOP on
// a plaintext connection, where it keeps the password itself off the wire.
//
// The Account keeps one session and re-opens it when it finds the
// connection broken (servers drop idle sessions) or the maildrop locked
// ([IN-USE]), with bounded exponential back-off; see Account.
//
// The adapter never changes the maildrop: it sends CAPA, STLS, USER, PASS,
// AUTH, APOP, STAT, LIST, UIDL, TOP, RETR and QUIT, and never RSET. The one
// exception is Account.Delete (source.Deleter), the only sender of DELE,
// which only `migrate pop3-delete` calls, for messages verified in the
// target.
//
// The protocol is written here on bufio and net/textproto-style line
// handling rather than on github.com/knadh/go-pop3, because go-pop3 reads
// every multi-line response, RETR included, into one bytes.Buffer before
// returning it (a 100 MB message would be held whole), its connection
// reader is unexported (no other reader can share the connection safely),
// and it has no STLS, no CA file and no read deadlines. The standard
// library's textproto.DotReader is not used for RETR either: it rewrites
// CRLF to LF, so the message would not arrive byte-exact and would not
// match the size LIST gave. RETR is streamed and dot-unstuffed on the fly
// by dotReader, which keeps line endings as the server sent them.
//
// Every read and write on the connection must make progress within
// Options.Timeout (an inactivity limit, so a large message that keeps
// arriving never times out). One call at a time: a reader returned by Open
// must be closed before the next call on the Account.
package pop3
