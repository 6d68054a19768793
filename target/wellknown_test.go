package target

import "testing"

func TestDisplayPath(t *testing.T) {
	tests := []struct {
		wellKnown string
		below     []string
		want      string
	}{
		{Inbox, nil, "Inbox"},
		{Inbox, []string{"Projects", "2024"}, "Inbox/Projects/2024"},
		{SentItems, nil, "Sent Items"},
		{Drafts, nil, "Drafts"},
		{DeletedItems, []string{"old"}, "Deleted Items/old"},
		{JunkEmail, nil, "Junk Email"},
		{Archive, nil, "Archive"},
		{Root, []string{"work (2)"}, "work (2)"},
		{Root, nil, "(mailbox root)"},
		{"outbox", nil, "outbox"},
	}
	for _, tt := range tests {
		if got := DisplayPath(tt.wellKnown, tt.below...); got != tt.want {
			t.Errorf("DisplayPath(%q, %q) = %q, want %q", tt.wellKnown, tt.below, got, tt.want)
		}
	}
	if got := DisplayName(Root); got != "" {
		t.Errorf("DisplayName(Root) = %q, want \"\"", got)
	}
}
