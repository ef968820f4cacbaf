package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/store/postgres/pgtest"
	"github.com/paymix/paymix/store/sqlite"
)

// killRounds is how many times TestKillDuringImportsLosesNothing kills paymixd.
const killRounds = 20

// Twenty rounds on each engine: paymixd imports a file of its own and is killed
// (SIGKILL) at a point drawn at random, before, during or after the commit; at the next
// start nothing pending is left, and every import that was answered as stored is
// there whole (its rows counted in the store equal its rows accepted).
func TestKillDuringImportsLosesNothing(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		killRoundsOn(t, "sqlite", dir, func(q string) (int, error) {
			var n int
			err := db.QueryRow(q).Scan(&n)
			return n, err
		}, func() {})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Database(t)
		pg, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close(context.Background())
		count := func(q string) (int, error) {
			var n int
			err := pg.QueryRow(context.Background(), q).Scan(&n)
			return n, err
		}
		// A killed replica's session (and the lock of its import) ends when PostgreSQL
		// notices the closed connection; the next start purges what it left only then
		// (running replicas also clear it every 30 s).
		settle := func() {
			within(t, 10*time.Second, "the killed replica's session ends", func() error {
				if n, err := count(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`); err != nil || n != 0 {
					return fmt.Errorf("%d advisory locks held (%v)", n, err)
				}
				return nil
			})
		}
		killRoundsOn(t, url, t.TempDir(), count, settle)
	})
}

func killRoundsOn(t *testing.T, storeURL, dataDir string, count func(query string) (int, error), settle func()) {
	rng := rand.New(rand.NewPCG(7, 11))
	stored := map[string]int32{} // dataset id -> rows accepted, answered as stored
	check := func(when string) {
		t.Helper()
		if n, err := count(`SELECT count(*) FROM datasets WHERE state = 'pending'`); err != nil || n != 0 {
			t.Fatalf("%s: %d pending datasets (%v)", when, n, err)
		}
		if n, err := count(`SELECT count(*) FROM observations WHERE dataset_id NOT IN (SELECT id FROM datasets WHERE state = 'ready')`); err != nil || n != 0 {
			t.Fatalf("%s: %d rows outside ready datasets (%v)", when, n, err)
		}
		for id, rows := range stored {
			if n, err := count(fmt.Sprintf(`SELECT count(*) FROM observations WHERE dataset_id = '%s'`, id)); err != nil || n != int(rows) {
				t.Fatalf("%s: dataset %s has %d rows, %d were accepted (%v)", when, id, n, rows, err)
			}
		}
	}
	killedMid := 0
	for round := range killRounds {
		r := startReplicaIn(t, fmt.Sprintf("round %d", round), storeURL, dataDir)
		check(fmt.Sprintf("round %d, at start", round))
		done := make(chan *pb.ImportBenchmarksResponse, 1)
		data := roundCSV(round, 5000+rng.IntN(20000))
		go func() {
			resp, err := importCSV(context.Background(), r, data)
			if err == nil {
				done <- resp
			}
			close(done)
		}()
		time.Sleep(time.Duration(rng.IntN(1200)) * time.Millisecond)
		r.cmd.Process.Kill()
		r.cmd.Wait()
		settle()
		if resp, ok := <-done; ok {
			stored[strings.TrimPrefix(resp.GetDataset().GetName(), "datasets/")] = resp.GetSummary().GetRowsAccepted()
		} else {
			killedMid++
		}
	}
	startReplicaIn(t, "last", storeURL, dataDir)
	check("after the last round")
	t.Logf("%d rounds: %d imports stored, %d killed before their answer", killRounds, len(stored), killedMid)
	if len(stored) == 0 || killedMid == 0 {
		t.Errorf("the kills all fell on one side of the commit (%d stored, %d killed): the test shows nothing", len(stored), killedMid)
	}
}

// roundCSV is a file of rows Seattle IC3 from six companies, its content its round's.
func roundCSV(round, rows int) []byte {
	var b strings.Builder
	b.WriteString("report_date,company,company_level,title,location,base,equity,bonus,tokens_usd\n")
	for i := range rows {
		fmt.Fprintf(&b, "2026-09-01,%s,Software Engineer,\"Seattle, WA\",%d,30000,%d,0\n", ic3Levels[i%len(ic3Levels)], 100000+i%50000, round)
	}
	return []byte(b.String())
}
