// Package pgtest gives each test a fresh PostgreSQL database on the server named by
// PAYMIX_TEST_PG_URL (scripts/test.sh starts one). Without it a test skips, saying
// so; with CI=true it fails instead: CI must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable naming the test server.
const Env = "PAYMIX_TEST_PG_URL"

// Server is the test server's URL, or skips (fails with CI=true) the test.
func Server(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("this test needs PostgreSQL and %s is empty: scripts/test.sh starts a server", Env)
		}
		t.Skipf("this test needs PostgreSQL: run scripts/test.sh, which starts one, or set %s", Env)
	}
	return u
}

// Database creates a fresh database for the test, dropped when it ends, and
// returns its URL.
func Database(t testing.TB) string {
	t.Helper()
	base := Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "paymix_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating a test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
