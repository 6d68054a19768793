package source_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

func TestCombine(t *testing.T) {
	ctx := context.Background()
	mail := sourcetest.NewMemory()
	mail.Add("INBOX", []byte("Subject: x\r\n\r\nmail\r\n"), time.Now())
	pim := sourcetest.NewMemory()
	pim.AddFolder("Contacts", source.Default, source.KindContact)
	key := pim.Add("Contacts", []byte("BEGIN:VCARD\r\nEND:VCARD\r\n"), time.Now())
	ma, _ := mail.Open(ctx)
	pa, _ := pim.Open(ctx)
	if source.Combine(ma) != ma {
		t.Fatal("Combine of one account is not that account")
	}
	acct := source.Combine(ma, pa)
	defer acct.Close()
	fs, err := acct.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var book source.Folder
	kinds := map[source.Kind]int{}
	for _, f := range fs {
		kinds[f.Kind]++
		if f.Kind == source.KindContact {
			book = f
		}
	}
	if kinds[source.KindContact] != 1 || kinds[source.KindMessage] == 0 {
		t.Fatalf("folders %+v", fs)
	}
	n := 0
	for ref, err := range acct.Items(ctx, book) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		rc, err := acct.Open(ctx, book, ref)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if ref.Key != key || string(b) != "BEGIN:VCARD\r\nEND:VCARD\r\n" {
			t.Errorf("item %q = %q", ref.Key, b)
		}
	}
	if n != 1 {
		t.Errorf("%d items in the address book, want 1", n)
	}
	// A folder no account listed.
	_, err = acct.Open(ctx, source.Folder{Name: "nope", Kind: source.KindEvent}, source.ItemRef{Key: "1"})
	if !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(unknown folder) = %v, want ErrNotFound", err)
	}
	// The primary's abilities are found through As.
	type keyed interface {
		Folders(context.Context) ([]source.Folder, error)
	}
	if _, ok := source.As[keyed](acct); !ok {
		t.Error("As found nothing")
	}
	if _, ok := source.As[source.Deleter](acct); ok {
		t.Error("As found a Deleter the primary does not have")
	}
	// ...also when the primary is itself combined (source/mailparts).
	if _, ok := source.As[source.HeaderReader](source.Combine(source.Combine(ma, pa), pa)); !ok {
		t.Error("As through two Combines found no HeaderReader, want the mail account's")
	}
	// Two accounts listing the same folder.
	dup := source.Combine(ma, pa, pa)
	if _, err := dup.Folders(ctx); err == nil {
		t.Error("Folders with a folder listed twice: no error")
	}
}
