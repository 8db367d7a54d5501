package state

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCreateSaveReadRemove(t *testing.T) {
	root := t.TempDir()
	h, err := Create(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	st := &State{}
	st.ID, st.Status, st.Pid = "c1", "created", os.Getpid()
	if err := h.Save(st); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(root, "c1"); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	got, err := Read(root, "c1")
	if err != nil || got.Pid != os.Getpid() || got.Status != "created" {
		t.Fatalf("read: %+v %v", got, err)
	}
	ids, _ := List(root)
	if len(ids) != 1 || ids[0] != "c1" {
		t.Fatalf("list: %v", ids)
	}
	if err := h.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("read after remove: %v", err)
	}
	if _, err := Open(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("open after remove: %v", err)
	}
}

func TestBadIDs(t *testing.T) {
	for _, id := range []string{"", ".", "..", "a/b", "../x", "a b"} {
		if _, err := Create(t.TempDir(), id); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
}

// Concurrent writers serialise on the lock: each increment survives.
func TestLockSerialises(t *testing.T) {
	root := t.TempDir()
	h, err := Create(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	h.Save(&State{})
	h.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := Open(root, "c")
			if err != nil {
				t.Error(err)
				return
			}
			defer h.Unlock()
			st, _ := h.Load()
			st.Pid++
			h.Save(st)
		}()
	}
	wg.Wait()
	st, _ := Read(root, "c")
	if st.Pid != 20 {
		t.Fatalf("pid counter %d, want 20", st.Pid)
	}
}

func TestAliveChecksStartTime(t *testing.T) {
	st, err := StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(os.Getpid(), st) || Alive(os.Getpid(), st+1) {
		t.Fatal("Alive does not honour the start time")
	}
}

// A directory a killed start left without a state.json must not keep the
// id taken; one a live command holds must stay.
func TestCreateOverStaleDir(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "c1"), 0o711)
	os.WriteFile(filepath.Join(root, "c1", ConfigFile), []byte("{}"), 0o644)
	h, err := Create(root, "c1")
	if err != nil {
		t.Fatalf("create over a stale dir: %v", err)
	}
	if RemoveStale(root, "c1") {
		t.Fatal("removed a directory whose lock is held")
	}
	if err := h.Remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("left in root: %v", ents)
	}
}

// A command waiting for a container's lock while a delete renames the
// directory away and a create makes a new one under the same id must not
// come back holding the old directory's lock with the new one's path: it
// waits for the new one's holder.
func TestLockFollowsAReplacedDirectory(t *testing.T) {
	root := t.TempDir()
	old, err := Create(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	old.Save(&State{})
	got := make(chan error, 1)
	go func() {
		h, err := Open(root, "c")
		if err == nil {
			h.Unlock()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Open open the old directory and wait on its lock
	if err := os.Rename(old.Dir, filepath.Join(root, "~removed-test")); err != nil {
		t.Fatal(err)
	}
	fresh, err := Create(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	old.Unlock()
	select {
	case err := <-got:
		t.Fatalf("Open returned (%v) while the new directory's lock was still held", err)
	case <-time.After(100 * time.Millisecond):
	}
	fresh.Save(&State{})
	fresh.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("Open after the new holder let go: %v", err)
	}
}
