package mapping

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		opts  *FlagOptions
		want  State
	}{{
		name: "no flags",
		want: State{},
	}, {
		name:  "system flags set the state",
		flags: []string{`\Seen`, `\Answered`, `\Flagged`, `\Draft`, `\Deleted`, `\Recent`},
		want:  State{Read: true, Answered: true, Flagged: true, Draft: true, Deleted: true},
	}, {
		name:  "system flags in any case",
		flags: []string{`\SEEN`, `\flagged`},
		want:  State{Read: true, Flagged: true},
	}, {
		name:  "$Forwarded sets forwarded",
		flags: []string{"$Forwarded", `\Answered`},
		want:  State{Forwarded: true, Answered: true},
	}, {
		name:  "system keywords never become categories",
		flags: []string{"$MDNSent", "$Junk", "$NotJunk", "Junk", "NonJunk", "NotJunk", "$Phishing", "$SubmitPending", "$Submitted", "$MailFlagBit0", "$MailFlagBit1", "$MailFlagBit2", "$HasAttachment", "$HasNoAttachment", "$IsTrusted", "$Important", "Old", "$Autosent", "$Muted", "$Followed", "$Notify", "$CanUnsubscribe", "$Unsubscribed", "$Imported", "$Memo", "$HasMemo", "JunkRecorded", "receipt-handled"},
		want:  State{Dropped: []string{"$Autosent", "$CanUnsubscribe", "$Followed", "$HasAttachment", "$HasMemo", "$HasNoAttachment", "$Important", "$Imported", "$IsTrusted", "$Junk", "$MDNSent", "$MailFlagBit0", "$MailFlagBit1", "$MailFlagBit2", "$Memo", "$Muted", "$NotJunk", "$Notify", "$Phishing", "$SubmitPending", "$Submitted", "$Unsubscribed", "Junk", "JunkRecorded", "NonJunk", "NotJunk", "Old", "receipt-handled"}},
	}, {
		name:  "system keywords in any case",
		flags: []string{"$mdnsent", "$JUNK", "nonjunk"},
		want:  State{Dropped: []string{"$JUNK", "$mdnsent", "nonjunk"}},
	}, {
		name:  "Gmail's system labels",
		flags: []string{`\Important`, `\Starred`, `\Inbox`, `\Sent`},
		want:  State{Flagged: true, Dropped: []string{`\Important`, `\Inbox`, `\Sent`}},
	}, {
		name:  "Thunderbird labels",
		flags: []string{"$label1", "$Label2", "$LABEL3", "$label4", "$label5"},
		want:  State{Categories: []string{"Important", "Later", "Personal", "To Do", "Work"}},
	}, {
		name:  "user keywords and client labels become categories",
		flags: []string{"Project", "Clients", "to_do", `\Seen`},
		want:  State{Read: true, Categories: []string{"Clients", "Project", "to_do"}},
	}, {
		name:  "unknown $ keywords are dropped by default",
		flags: []string{"$Custom", "$label6", "Keep"},
		want:  State{Categories: []string{"Keep"}, Dropped: []string{"$Custom", "$label6"}},
	}, {
		name:  "unknown $ keywords kept on request, without the $",
		flags: []string{"$Custom", "$MDNSent"},
		opts:  &FlagOptions{KeepDollarKeywords: true},
		want:  State{Categories: []string{"Custom"}, Dropped: []string{"$MDNSent"}},
	}, {
		name:  "modified UTF-7 keywords are decoded",
		flags: []string{"&AOk-t&AOk-", "&ZeVnLIqe-", "R&D", "&-amp"},
		want:  State{Categories: []string{"&amp", "R&D", "été", "日本語"}},
	}, {
		name:  "raw keywords on request",
		flags: []string{"&AOk-t&AOk-"},
		opts:  &FlagOptions{RawKeywords: true},
		want:  State{Categories: []string{"&AOk-t&AOk-"}},
	}, {
		name:  "underscores as spaces on request",
		flags: []string{"project_x", "to__do_"},
		opts:  &FlagOptions{UnderscoresAsSpaces: true},
		want:  State{Categories: []string{"project x", "to do"}},
	}, {
		name:  "categories deduplicated case-insensitively, smallest spelling kept",
		flags: []string{"work", "Work", "WORK", "$label2", "ÉTÉ", "&AOk-t&AOk-"},
		want:  State{Categories: []string{"WORK", "ÉTÉ"}},
	}, {
		name:  "labels override built-in rules",
		flags: []string{"$label1", "$Important", "$MDNSent", "Client_A", "&AOk-t&AOk-"},
		opts: &FlagOptions{Labels: map[string]string{
			"$Label1":    "Urgent",
			"$important": "Important",
			"$mdnsent":   "",
			"client_a":   "Client A",
			"été":        "Summer",
		}},
		want: State{Categories: []string{"Client A", "Important", "Summer", "Urgent"}, Dropped: []string{"$MDNSent"}},
	}, {
		name:  "label keys equal but for case: the smallest key wins",
		flags: []string{"x"},
		opts:  &FlagOptions{Labels: map[string]string{"X": "upper", "x ": "no", "Ｘ": "no"}},
		want:  State{Categories: []string{"upper"}},
	}, {
		name:  "category cleanup as Exchange imports categories",
		flags: []string{"a,b;c", "  spaced \t out  ", "x\u061By\uFE54z\uFF1B", ",;"},
		want:  State{Categories: []string{"abc", "spaced out", "xyz"}, Dropped: []string{",;"}},
	}, {
		name:  "long categories are cut to 255 UTF-16 units",
		flags: []string{strings.Repeat("k", 300), strings.Repeat("😀", 200)},
		want:  State{Categories: []string{strings.Repeat("k", 255), strings.Repeat("😀", 127)}},
	}, {
		name:  "empty flags are ignored, duplicates reported once",
		flags: []string{"", "$MDNSent", "$MDNSent"},
		want:  State{Dropped: []string{"$MDNSent"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Flags(tt.flags, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Flags(%q) mismatch (-want +got):\n%s", tt.flags, diff)
			}
			rnd := rand.New(rand.NewPCG(3, uint64(len(tt.flags))))
			for i := 0; i < 5; i++ {
				shuffled := slices.Clone(tt.flags)
				rnd.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
				if diff := cmp.Diff(got, Flags(shuffled, tt.opts)); diff != "" {
					t.Fatalf("Flags(%q) differs from Flags(%q):\n%s", shuffled, tt.flags, diff)
				}
			}
		})
	}
}

func TestFlagsDoesNotModifyInput(t *testing.T) {
	in := []string{"b", "A", `\Seen`, "$label1"}
	want := slices.Clone(in)
	Flags(in, nil)
	if !slices.Equal(in, want) {
		t.Errorf("Flags changed its input to %q", in)
	}
}
