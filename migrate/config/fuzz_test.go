package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSecret is what every env: and file: reference of FuzzParseMailboxes
// resolves to.
const fuzzSecret = "Fuzz-S3cret-Val!"

// FuzzParseMailboxes checks that no mailbox CSV makes ParseMailboxes
// panic; that it fails only with an *Error naming the file; that a
// secret resolved from an env: or file: reference never appears in that
// error, nor in the mailboxes printed with %v and %+v; and that every row
// returned has an address with "@", once (case-insensitive), and an
// IMAP or POP3 row a host, a port in range and a login. The seeds are
// the CSV shapes README documents.
func FuzzParseMailboxes(f *testing.F) {
	for _, s := range []string{
		"EmailAddress,UserName,Password\nalice@contoso.com,alice,env:PW\nbob@contoso.com,bob,file:pw.txt\n",
		"\ufeffemailaddress , USERNAME,password,SourceProtocol,SourceHost,SourcePort,SourceSecurity,TargetFolder\ncarol@x.test,carol,literal:p,pop3,pop.x.test,995,tls,Old provider\n",
		"EmailAddress,SourcePath,SourceProtocol,TargetAddress\nd@x.test,/tmp/store,mbox,other@x.test\n",
		"EmailAddress,UserName,Password,DAVURL,ExportFiles\ne@x.test,e,env:PW,https://dav.x.test/,contacts.vcf\n",
		"EmailAddress,UserName,Password\n\"q@x.test\",\"a,b\",\"env:NOPE\"\nQ@X.TEST,q,p\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw.txt"), []byte(fuzzSecret+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	name := filepath.Join(dir, "mailboxes.csv")
	lookup := func(string) (string, bool) { return fuzzSecret, true }
	def := Source{Protocol: "imap", Host: "imap.x.test", Security: "tls"}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseMailboxes(bytes.NewReader(data), name, def, lookup)
		noLiteral := !bytes.Contains(data, []byte(fuzzSecret)) // the input may write it itself
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), name) {
				t.Fatalf("ParseMailboxes() = %v (%T), want a *config.Error naming %s", err, err, name)
			}
			if noLiteral && strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("the error holds a resolved secret: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, m := range got {
			if s := fmt.Sprintf("%v %+v %#v", m, m, m); noLiteral && strings.Contains(s, fuzzSecret) {
				t.Fatalf("a mailbox printed holds a resolved secret: %s", s)
			}
			addr := strings.ToLower(m.EmailAddress)
			if !strings.Contains(addr, "@") || seen[addr] {
				t.Fatalf("row %d: address %q missing or listed twice", m.Line, m.EmailAddress)
			}
			seen[addr] = true
			if !m.Local() && (m.Host == "" || m.Port < 1 || m.Port > 65535 || m.UserName == "") {
				t.Fatalf("row %d: server row without host, port or login: %+v", m.Line, m)
			}
		}
	})
}
