package graphemu

import (
	"os"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// The store's lock is its own: handlers use the methods below, which lock
// for themselves, or read and write, which run a function under the lock.
// Inside those functions the maps and the unlocked helpers (mailboxByKey,
// childFolders, folderItems, commit) may be used; outside they may not.
// Committed folders, items and sessions are never changed in place (a
// change commits a copy), so a pointer obtained under the lock may be read
// after it is released.

// read runs fn under the read lock; fn must not change the data.
func (s *store) read(fn func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn()
}

// write runs fn under the write lock and returns its Problem; fn changes
// the data through commit.
func (s *store) write(fn func() *odata.Problem) *odata.Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// mailbox finds a mailbox by id or UPN (case-insensitive); nil if none.
func (s *store) mailbox(key string) *mailbox {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mailboxByKey(key)
}

// folder returns the folder with id, or nil.
func (s *store) folder(id string) *folder {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.folders[id]
}

// item returns the item with id, or nil.
func (s *store) item(id string) *item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.items[id]
}

// session returns a copy of the upload session with id, or nil.
func (s *store) session(id string) *uploadSession {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ss := s.sessions[id]; ss != nil {
		c := *ss
		return &c
	}
	return nil
}

// addMailbox registers m and creates the well-known folders it lacks.
func (s *store) addMailbox(m *mailbox, upnKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailboxes[m.ID] = m
	s.byUPN[upnKey] = m
	for _, wk := range wellKnownFolders(m.ID) {
		if _, ok := s.folders[wk.ID]; !ok {
			s.folders[wk.ID] = wk
		}
	}
}

// errSave is the answer to a journal write that failed; what is what the
// emulator was doing ("save the item").
func errSave(what string) *odata.Problem {
	return odata.NewProblem(500, "generalException", "The emulator could not "+what+".")
}

// insertItem stores a new item in its folder, which must belong to the
// mailbox mbID.
func (s *store) insertItem(it *item, mbID string) *odata.Problem {
	return s.write(func() *odata.Problem {
		if f, ok := s.folders[it.FolderID]; !ok || f.Mailbox != mbID {
			return notFoundItem()
		}
		it.Seq = s.nextSeq()
		if err := s.commit(&record{Op: "item", Item: it}); err != nil {
			return errSave("save the item")
		}
		return nil
	})
}

// updateItem commits what change makes of a copy of item id, with a new
// change key and modification time, and returns the new version. what
// names the change in the error if the journal write fails. Files the old
// version had and the new one has not are deleted; a body file change
// wrote is deleted again when the update fails.
func (s *store) updateItem(id, what string, change func(cur, n *item) *odata.Problem) (*item, *odata.Problem) {
	var n *item
	p := s.write(func() *odata.Problem {
		var p *odata.Problem
		n, p = s.changeItem(id, what, change)
		return p
	})
	return n, p
}

// changeItem is updateItem for callers that hold the write lock.
func (s *store) changeItem(id, what string, change func(cur, n *item) *odata.Problem) (*item, *odata.Problem) {
	cur, ok := s.items[id]
	if !ok {
		return nil, notFoundItem()
	}
	n := cloneItem(cur)
	fail := func(p *odata.Problem) (*item, *odata.Problem) {
		if n.BodyBlob != cur.BodyBlob {
			s.removeBlob(n.BodyBlob)
		}
		return nil, p
	}
	if p := change(cur, n); p != nil {
		return fail(p)
	}
	n.Modified = time.Now().UTC()
	n.ChangeKey = newChangeKey()
	if err := s.commit(&record{Op: "item", Item: n}); err != nil {
		return fail(errSave(what))
	}
	kept := itemBlobs(n)
	for b := range itemBlobs(cur) {
		if !kept[b] {
			s.removeBlob(b)
		}
	}
	return n, nil
}

// itemBlobs lists the blob files an item refers to.
func itemBlobs(it *item) map[string]bool {
	m := map[string]bool{}
	add := func(b string) {
		if b != "" {
			m[b] = true
		}
	}
	add(it.BodyBlob)
	for _, a := range it.Attachments {
		add(a.Blob)
	}
	if it.Photo != nil {
		add(it.Photo.Blob)
	}
	return m
}

// deleteItem deletes item id and its files.
func (s *store) deleteItem(id string) *odata.Problem {
	return s.write(func() *odata.Problem {
		it, ok := s.items[id]
		if !ok {
			return notFoundItem()
		}
		if err := s.commit(&record{Op: "del-item", ID: id}); err != nil {
			return errSave("delete the item")
		}
		s.removeItemBlobs(it)
		return nil
	})
}

// putSession creates or replaces an upload session.
func (s *store) putSession(ss *uploadSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit(&record{Op: "session", Session: ss})
}

// deleteSession deletes an upload session (not its file).
func (s *store) deleteSession(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit(&record{Op: "del-session", ID: id})
}

// reset deletes every folder, item, upload session and file; each
// mailbox gets its well-known folders back, empty.
func (s *store) reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(&record{Op: "reset"}); err != nil {
		return err
	}
	for _, m := range s.mailboxes {
		for _, wk := range wellKnownFolders(m.ID) {
			s.folders[wk.ID] = wk
		}
	}
	entries, _ := os.ReadDir(s.blobDir)
	for _, en := range entries {
		s.removeBlob(en.Name())
	}
	return nil
}
