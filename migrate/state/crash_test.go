package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv names the state path for TestHelperProcess; helperCycleEnv makes
// the keys of each child distinct.
const (
	helperEnv      = "MIGRATE_STATE_HELPER_PATH"
	helperCycleEnv = "MIGRATE_STATE_HELPER_CYCLE"
	crashBatch     = 50
)

// TestHelperProcess is not a test: TestKillDuringWrites runs the test binary
// again with -test.run=TestHelperProcess and helperEnv set, and this writes
// checkpoints as fast as it can, printing one "committed KEY" line after each
// write returned, until it is killed (or gives up after a minute).
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestKillDuringWrites")
	}
	cycle := os.Getenv(helperCycleEnv)
	ctx := context.Background()
	st, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Printf("open failed: %v\n", err)
		os.Exit(2)
	}
	const mb = "alice@example.org"
	if err := st.PutMailbox(ctx, Mailbox{ID: mb, Status: StatusPending}); err != nil {
		fmt.Printf("put mailbox failed: %v\n", err)
		os.Exit(2)
	}
	if err := st.PutFolder(ctx, Folder{Mailbox: mb, SourcePath: "INBOX"}); err != nil {
		fmt.Printf("put folder failed: %v\n", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline); i++ {
		if i%2 == 0 {
			key := fmt.Sprintf("c%s-s%06d", cycle, i)
			if err := st.PutItem(ctx, Item{Mailbox: mb, Folder: "INBOX", SourceKey: key, Status: StatusMigrated, TargetID: "T" + key, Bytes: int64(i)}); err != nil {
				fmt.Printf("put item failed: %v\n", err)
				os.Exit(2)
			}
			fmt.Printf("committed %s\n", key)
			continue
		}
		batch := fmt.Sprintf("c%s-b%06d", cycle, i)
		items := make([]Item, crashBatch)
		for j := range items {
			items[j] = Item{Mailbox: mb, Folder: "INBOX", SourceKey: fmt.Sprintf("%s-%03d", batch, j), Status: StatusPending, Bytes: 1}
		}
		if err := st.PutItems(ctx, items); err != nil {
			fmt.Printf("put items failed: %v\n", err)
			os.Exit(2)
		}
		fmt.Printf("committed %s\n", batch)
	}
	os.Exit(3) // never killed: the parent reports it
}

// TestKillDuringWrites kills a writer with SIGKILL at several points and
// checks each time that the lock is released by the kernel, the database
// reopens and passes an integrity check, every write the child saw return is
// there, and every batch is there whole or not at all.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".migrate", "state.db")
	var committed []string
	for cycle, after := range []int{5, 40, 111} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+path, fmt.Sprintf("%s=%d", helperCycleEnv, cycle))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start helper: %v", err)
		}
		sc := bufio.NewScanner(out)
		lines := 0
		for lines < after && sc.Scan() {
			if key, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
				committed = append(committed, key)
				lines++
			} else if strings.Contains(sc.Text(), "failed") {
				t.Fatalf("helper: %s", sc.Text())
			}
		}
		if lines < after {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("cycle %d: helper stopped after %d commits: %v", cycle, lines, sc.Err())
		}

		// While the child runs, its lock names it.
		_, err = Open(ctx, path, nil)
		var le *LockedError
		if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
			t.Errorf("cycle %d: Open() while the helper runs = %v, want ErrLocked naming pid %d", cycle, err, cmd.Process.Pid)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
			t.Errorf("cycle %d: lock error %q does not name pid %d", cycle, err, cmd.Process.Pid)
		}

		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill helper: %v", err)
		}
		// Lines written before the kill report commits too.
		for sc.Scan() {
			if key, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
				committed = append(committed, key)
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("cycle %d: helper ended with %v, want killed by SIGKILL", cycle, err)
		}

		// The kernel released the lock: a ReadWrite Open succeeds.
		st := openTest(t, path, nil)
		var check string
		if err := st.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("cycle %d: integrity_check = %q, %v", cycle, check, err)
		}
		var fkProblems int
		if err := st.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkProblems); err != nil || fkProblems != 0 {
			t.Fatalf("cycle %d: foreign_key_check found %d problems (%v)", cycle, fkProblems, err)
		}
		batches := map[string]int{}
		singles := map[string]bool{}
		for it, err := range st.Items(ctx, ItemQuery{Mailbox: "alice@example.org"}) {
			if err != nil {
				t.Fatalf("cycle %d: Items() = %v", cycle, err)
			}
			if b, _, ok := strings.Cut(it.SourceKey, "-b"); ok {
				batches[it.SourceKey[:len(b)+len("-b000000")]]++
			} else {
				singles[it.SourceKey] = true
			}
		}
		for b, n := range batches {
			if n != crashBatch {
				t.Errorf("cycle %d: batch %s has %d of %d items: a transaction was torn", cycle, b, n, crashBatch)
			}
		}
		for _, key := range committed {
			if strings.Contains(key, "-b") {
				if batches[key] != crashBatch {
					t.Errorf("cycle %d: committed batch %s has %d items, want %d", cycle, key, batches[key], crashBatch)
				}
			} else if !singles[key] {
				t.Errorf("cycle %d: committed item %s is missing", cycle, key)
			}
		}
		t.Logf("cycle %d: %d writes reported committed so far, %d singles and %d batches stored", cycle, len(committed), len(singles), len(batches))
		if err := st.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	}
}
