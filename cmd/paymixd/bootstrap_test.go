package main

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/store/postgres/pgtest"
)

// `paymixd keys bootstrap` makes a platform-admin key outside the API, printed once:
// on SQLite beside a stopped server (a running one holds the data directory, and the
// command says so), on PostgreSQL at any time (a running replica serves the key within
// a second).
func TestKeysBootstrap(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		r := startReplicaIn(t, "running", "sqlite", dir)
		out, err := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, "keys", "bootstrap").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "in use by another paymixd") {
			t.Fatalf("bootstrap beside a running server: %v %s", err, out)
		}
		r.cmd.Process.Kill()
		r.cmd.Wait()
		cmd := paymixd(t, []string{"PAYMIX_DATA_DIR=" + dir}, "keys", "bootstrap")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		key, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(key), "pmx_") || !strings.Contains(stderr.String(), "shown only now") ||
			!strings.Contains(stderr.String(), "bootstrap: a platform-admin key was made outside the API") {
			t.Fatalf("bootstrap: %v %q %s", err, key, stderr.String())
		}
		r = startReplicaIn(t, "after", "sqlite", dir)
		if _, err := pb.NewAdminServiceClient(r.conn).ListOrganizations(keyed(strings.TrimSpace(string(key))), &pb.ListOrganizationsRequest{}); err != nil {
			t.Errorf("the bootstrap key: %v", err)
		}
		if _, err := pb.NewAdminServiceClient(r.conn).ListOrganizations(context.Background(), &pb.ListOrganizationsRequest{}); err == nil {
			t.Error("keys are not required after a bootstrap")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Database(t)
		r := startReplica(t, "running", url)
		key, err := paymixd(t, nil, "keys", "bootstrap", "--store", url).Output()
		if err != nil || !strings.HasPrefix(string(key), "pmx_") {
			t.Fatalf("bootstrap: %v %q", err, key)
		}
		within(t, time.Second, "the running replica serves the bootstrap key", func() error {
			_, err := pb.NewAdminServiceClient(r.conn).ListOrganizations(keyed(strings.TrimSpace(string(key))), &pb.ListOrganizationsRequest{})
			return err
		})
	})
}
