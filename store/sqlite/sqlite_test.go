package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/sqlite"
	"github.com/paymix/paymix/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Reopening a database applies no migration twice and keeps the data.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBuiltin(ctx, store.Dataset{ID: "demo", DisplayName: "demo", Format: "builtin", Owner: "shared", Active: true, Weight: 1}); err != nil {
		t.Fatal(err)
	}
	// A second process (here: a second open) cannot take the same data directory.
	if _, err := sqlite.Open(ctx, dir); err == nil || !strings.Contains(err.Error(), "in use by another paymixd") {
		t.Errorf("second open: %v", err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Get(ctx, "demo"); err != nil || !d.Active {
		t.Fatalf("after reopen: %+v %v", d, err)
	}
}
