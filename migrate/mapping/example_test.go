package mapping_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/source"
)

func ExampleFolders() {
	rules, err := mapping.NewRules(config.Folders{
		Rename:  []config.Rename{{From: "Old", To: "Archive/Old"}},
		Exclude: []string{"Trash/Scratch"},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	src := []source.Folder{
		{Path: []string{"INBOX"}},
		{Path: []string{"Sent"}, SpecialUse: source.Sent},
		{Path: []string{"Sent", "2019"}},
		{Path: []string{"Sent Messages"}, SpecialUse: source.Sent, SpecialUseGuessed: true},
		{Path: []string{"Trash"}, SpecialUse: source.Trash},
		{Path: []string{"Trash", "Scratch"}},
		{Path: []string{"Old"}},
		{Path: []string{"Calendar"}},
		{Path: []string{"work"}},
		{Path: []string{"Work"}},
	}
	ms, err := mapping.Folders(src, rules)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Printf("%-14s -> %s\n", strings.Join(m.Source.Path, "/"), m)
	}
	// Output:
	// Calendar       -> msgfolderroot/Calendar (imported)
	// INBOX          -> inbox
	// Old            -> archive/Old
	// Sent           -> sentitems
	// Sent/2019      -> sentitems/2019
	// Sent Messages  -> sentitems/Sent Messages
	// Trash          -> deleteditems
	// Trash/Scratch  -> (excluded)
	// Work           -> msgfolderroot/Work
	// work           -> msgfolderroot/work (2)
}

func ExampleFlags() {
	st := mapping.Flags([]string{`\Seen`, `\Answered`, "$MDNSent", "$label1", "&AOk-t&AOk-", "Clients"}, nil)
	fmt.Printf("read=%v answered=%v\ncategories=%q\ndropped=%q\n", st.Read, st.Answered, st.Categories, st.Dropped)
	// Output:
	// read=true answered=true
	// categories=["Clients" "Important" "été"]
	// dropped=["$MDNSent"]
}

func ExampleItem() {
	opts := &mapping.ItemOptions{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	inbox := mapping.FolderMapping{WellKnown: mapping.WellKnownInbox}
	for _, ref := range []source.ItemRef{
		{Key: "7.1", Size: 2048, Date: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), Flags: []string{`\Seen`}},
		{Key: "7.2", Size: 2048, Date: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), Flags: []string{`\Deleted`}},
		{Key: "7.3", Size: 2048, Date: time.Date(2019, 3, 4, 0, 0, 0, 0, time.UTC)},
	} {
		d := mapping.Item(ref, inbox, opts)
		fmt.Printf("%s skip=%v reason=%q\n", ref.Key, d.Skip, d.Reason)
	}
	// Output:
	// 7.1 skip=false reason=""
	// 7.2 skip=true reason="flagged \\Deleted on the source"
	// 7.3 skip=true reason="received 2019-03-04, before filters.since (2020-01-01)"
}
