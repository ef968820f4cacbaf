// Package pgtest gives each test a fresh PostgreSQL database on the server named by
// PAYMIX_TEST_PG_URL (scripts/test.sh starts one). Without it a test skips, saying
// so; with CI=true it fails instead: CI must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
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

// Cluster is a PostgreSQL server of a test's own, for tests that kill and restart it
// (the shared test server must stay up for the others). It uses the binaries and the
// unprivileged user scripts/test-postgres.sh found.
type Cluster struct {
	URL  string
	dir  string
	bin  string
	user []string // runuser prefix when run as root
	port int
}

// NewCluster starts a cluster in a temporary directory; the test's end stops it.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	Server(t) // skips or fails like every PostgreSQL test when there is none
	bin := os.Getenv("PAYMIX_TEST_PG_BIN")
	if bin == "" {
		t.Fatal("PAYMIX_TEST_PG_BIN is empty: scripts/test.sh sets it when it starts PostgreSQL")
	}
	c := &Cluster{bin: bin}
	osUser := os.Getenv("PAYMIX_TEST_PG_OS_USER")
	if osUser != "" {
		c.user = []string{"runuser", "-u", osUser, "--"}
	}
	dir, err := os.MkdirTemp("", "paymix-pg-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	if osUser != "" {
		u, err := user.Lookup(osUser)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chown(dir, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := c.run("initdb", "-D", dir+"/data", "-U", "paymix", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.URL = fmt.Sprintf("postgres://paymix@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start(t)
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", dir+"/data", "-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	return c
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.user...), append([]string{c.bin + "/" + tool}, args...)...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// Start starts (or restarts) the server and waits until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.dir+"/data", "-l", c.dir+"/server.log", "-w", "-t", "60",
		"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", c.port, c.dir), "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (c *Cluster) Kill(t testing.TB) {
	t.Helper()
	raw, err := os.ReadFile(c.dir + "/data/postmaster.pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
}
