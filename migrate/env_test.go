package migrate

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
)

// TestEachMailboxOneTargetAtATime checks the scheduling of rows: rows of
// one target mailbox (the same account over IMAP and POP3) never run at
// once and run in CSV order; rows of other targets run alongside, at most
// n at once.
func TestEachMailboxOneTargetAtATime(t *testing.T) {
	row := func(addr, target string) config.Mailbox {
		return config.Mailbox{EmailAddress: addr, TargetAddress: target}
	}
	for _, tt := range []struct {
		name      string
		rows      []config.Mailbox
		n         int
		wantOrder map[string][]string // per target, the order its rows ran
		wantPeak  int                 // most rows running at once
	}{
		{"distinct targets run alongside", []config.Mailbox{row("a@x", ""), row("b@x", ""), row("c@x", "")}, 4,
			map[string][]string{"a@x": {"a@x"}, "b@x": {"b@x"}, "c@x": {"c@x"}}, 3},
		{"one target: one after the other, in CSV order", []config.Mailbox{row("a@x", ""), row("a-pop@x", "A@x"), row("a-old@x", "a@x")}, 4,
			map[string][]string{"a@x": {"a@x", "a-pop@x", "a-old@x"}}, 1},
		{"shared and separate targets", []config.Mailbox{row("a-pop@x", "a@x"), row("b@x", ""), row("a@x", "")}, 4,
			map[string][]string{"a@x": {"a-pop@x", "a@x"}, "b@x": {"b@x"}}, 2},
		{"n bounds the groups", []config.Mailbox{row("a@x", ""), row("b@x", ""), row("c@x", ""), row("d@x", "")}, 2,
			map[string][]string{"a@x": {"a@x"}, "b@x": {"b@x"}, "c@x": {"c@x"}, "d@x": {"d@x"}}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			running, peak := map[string]int{}, 0
			total := 0
			order := map[string][]string{}
			var overlap []string
			eachMailbox(context.Background(), tt.rows, tt.n, func(i int, m config.Mailbox) {
				key := strings.ToLower(m.Target())
				mu.Lock()
				running[key]++
				total++
				peak = max(peak, total)
				if running[key] > 1 {
					overlap = append(overlap, m.EmailAddress)
				}
				order[key] = append(order[key], m.EmailAddress)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				running[key]--
				total--
				mu.Unlock()
			}, func(int, config.Mailbox, error) { t.Error("a row was not started") })
			if len(overlap) > 0 {
				t.Errorf("rows %v ran while another row of their target mailbox ran", overlap)
			}
			for k, want := range tt.wantOrder {
				if !slices.Equal(order[k], want) {
					t.Errorf("rows of %s ran in the order %v, want %v", k, order[k], want)
				}
			}
			if peak != tt.wantPeak {
				t.Errorf("at most %d rows ran at once, want %d", peak, tt.wantPeak)
			}
		})
	}
}
