package server_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/store/sqlite"
)

// One damaged page in one dataset's rows does not stop the service: at the next start
// the dataset is quarantined (left out of the market, listed as QUARANTINED with
// ROWS_UNREADABLE, named in /healthz) and the others serve. The damage is real: the
// header of the last leaf page of the observations table (the newest dataset's rows)
// is overwritten in a copy of the database.
func TestDamagedDatasetIsQuarantined(t *testing.T) {
	dir := t.TempDir()
	s := startIn(t, dir, nil).ready(t)
	austin, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Austin, TX", 1000))
	if err != nil {
		t.Fatal(err)
	}
	seattle, err := importData(t, s, csvHeaderKeepDemo(), paymixCSV("IC3", "", "Seattle, WA", 1000))
	if err != nil {
		t.Fatal(err)
	}
	s.stop(t)

	// The database is rewritten with one page damaged, and the built parts go, so
	// that the next start reads rows.
	path := filepath.Join(dir, sqlite.FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var page, size int64
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT pageno FROM dbstat WHERE name = 'observations' AND pagetype = 'leaf' ORDER BY path DESC LIMIT 1`).Scan(&page); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`PRAGMA page_size`).Scan(&size)
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(data[(page-1)*size:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "parts"))

	s = startOn(t, dir)
	list, err := pb.NewDatasetServiceClient(s.conn).ListDatasets(context.Background(), &pb.ListDatasetsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]*pb.Dataset{}
	for _, d := range list.GetDatasets() {
		states[d.GetName()] = d
	}
	// The page holds the rows of the dataset whose key sorts last; which one that
	// is, the answer says: exactly one of the two is quarantined.
	a, b := states[austin.GetDataset().GetName()], states[seattle.GetDataset().GetName()]
	bad, good, goodCity := a, b, "Seattle,%20WA"
	if b.GetState() == pb.DatasetState_DATASET_STATE_QUARANTINED {
		bad, good, goodCity = b, a, "Austin,%20TX"
	}
	if bad.GetState() != pb.DatasetState_DATASET_STATE_QUARANTINED || bad.GetQuarantineReason() != "ROWS_UNREADABLE" || !strings.Contains(bad.GetQuarantineDetail(), "malformed") {
		t.Errorf("the damaged dataset: %v", bad)
	}
	if good.GetState() != pb.DatasetState_DATASET_STATE_READY {
		t.Errorf("the undamaged dataset: %v", good)
	}
	if _, body := s.get(t, "/healthz"); !strings.Contains(string(body), `"quarantined":{"`+bad.GetName()+`":"ROWS_UNREADABLE`) {
		t.Errorf("healthz: %s", body)
	}
	// The undamaged dataset serves; the damaged one takes part in no band.
	code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location="+goodCity)
	if code != 200 || !strings.Contains(string(body), good.GetName()) || strings.Contains(string(body), bad.GetName()) {
		t.Errorf("%s: HTTP %d %.300s", goodCity, code, body)
	}
}
