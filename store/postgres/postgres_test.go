package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/paymix/paymix/store"
	"github.com/paymix/paymix/store/postgres"
	"github.com/paymix/paymix/store/postgres/pgtest"
	"github.com/paymix/paymix/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Replicas starting at once migrate once; a reopened database keeps its data.
func TestMigrateTwice(t *testing.T) {
	url := pgtest.Database(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := postgres.Open(ctx, url)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A pending import whose replica is alive keeps its dataset when another replica
// purges at start-up; once its store is gone (the replica died), the purge takes it.
func TestPurgeSparesLiveImports(t *testing.T) {
	url := pgtest.Database(t)
	ctx := context.Background()
	a, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.CreatePending(ctx, store.Dataset{ID: "ds-live", DisplayName: "x", Format: "paymix-csv", Owner: "shared", Weight: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.PurgePending(ctx); err != nil || n != 0 {
		t.Fatalf("purge beside a live import: %d %v", n, err)
	}
	a.Close() // the importing replica goes away: its session, and its lock, end
	if n, err := b.PurgePending(ctx); err != nil || n != 1 {
		t.Fatalf("purge of a dead import: %d %v", n, err)
	}
}

// PurgeDead, run by running replicas, clears a dead import's dataset and leaves the
// live ones: another replica's, and the store's own.
func TestPurgeDeadSparesOwnAndLiveImports(t *testing.T) {
	url := pgtest.Database(t)
	ctx := context.Background()
	a, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, c := range []struct {
		s  *postgres.Store
		id string
	}{{a, "ds-dies"}, {b, "ds-own"}} {
		if err := c.s.CreatePending(ctx, store.Dataset{ID: c.id, DisplayName: "x", Format: "paymix-csv", Owner: "shared", Weight: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.PurgeDead(ctx); err != nil || n != 0 {
		t.Fatalf("purge beside live imports: %d %v", n, err)
	}
	a.Close()
	if n, err := b.PurgeDead(ctx); err != nil || n != 1 {
		t.Fatalf("purge of the dead import: %d %v", n, err)
	}
	if err := b.AppendRows(ctx, "ds-own", nil); err != nil {
		t.Errorf("the store's own import after the purge: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://paymix:s3cret@db:5432/paymix?sslmode=require": "postgres://paymix:***@db:5432/paymix?sslmode=require",
		"postgres://paymix@db/paymix":                             "postgres://paymix@db/paymix",
		"postgres://db/paymix?password=s3cret&sslmode=disable":    "postgres://db/paymix?password=***&sslmode=disable",
	} {
		if got := postgres.Redact(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
