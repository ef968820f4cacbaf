package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/planner/normalize"
	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/sqlite"
)

// The database and its WAL are the owner's only, even where the umask allows more,
// and an existing file readable by others is made private.
func TestDatabaseIsPrivate(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgePending(context.Background()); err != nil { // a write, so that the WAL exists
		t.Fatal(err)
	}
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, fi.Mode(), err)
		}
	}
	s.Close()
	os.Chmod(filepath.Join(dir, sqlite.FileName), 0o644)
	s, err = sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, _ := os.Stat(filepath.Join(dir, sqlite.FileName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened: %v", fi.Mode())
	}
}

// A 0-byte database, one whose header is garbage and one paymixd cannot read refuse
// to open, saying what to do, instead of starting a fresh install over it.
func TestUnusableDatabaseFilesRefuseToOpen(t *testing.T) {
	for name, c := range map[string]struct {
		prepare func(path string)
		says    string
	}{
		"empty": {func(path string) { os.WriteFile(path, nil, 0o600) }, "is empty (0 bytes)"},
		"garbage": {func(path string) {
			os.WriteFile(path, []byte(strings.Repeat("not a database ", 400)), 0o600)
		}, "is not a readable paymix database"},
		// Unreadable even to root: a directory where the file should be. (A file of
		// mode 0000 is the same path through os.Open, but root reads it anyway.)
		"a directory": {func(path string) { os.Mkdir(path, 0o700) }, "cannot be read"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, sqlite.FileName)
			c.prepare(path)
			_, err := sqlite.Open(context.Background(), dir)
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), path) {
				t.Fatalf("want %q, got %v", c.says, err)
			}
		})
	}
}

// A database at its page quota fails writes with store.ErrFull (SQLITE_FULL, as a full
// disk gives), and nothing of the failed write is kept.
func TestFullDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenWith(ctx, dir, sqlite.Options{MaxPages: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := store.Dataset{ID: "big", DisplayName: "big", Format: "paymix-csv", Owner: "shared", Active: true, Weight: 1, ImportTime: time.Now()}
	if err := s.CreatePending(ctx, d); err != nil {
		t.Fatal(err)
	}
	rows := make([]normalize.Row, 2000)
	for i := range rows {
		rows[i] = normalize.Row{RowNumber: i + 1, Company: strings.Repeat("c", 100), Title: "Software Engineer", Reported: time.Now(), Base: 1, Total: 1}
	}
	var full error
	for range 20 {
		if err := s.AppendRows(ctx, d.ID, rows); err != nil {
			full = err
			break
		}
	}
	if !errors.Is(full, store.ErrFull) {
		t.Fatalf("want ErrFull, got %v", full)
	}
	// The pending dataset can still be removed: a delete frees pages.
	if err := s.Abort(ctx, d.ID); err != nil {
		t.Fatalf("abort on a full database: %v", err)
	}
	if _, err := s.Get(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the aborted dataset: %v", err)
	}
}
