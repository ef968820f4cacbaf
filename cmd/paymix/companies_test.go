package main

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/ingest"
	"github.com/paymix/paymix/planner/normalize"
)

// Every cohort `paymix bands --all` serves on the shared export, recomputed from the
// CSV by the README's rules written again here (the rows normalised onto cohorts, aged
// at 3% a year to the band's effective date, weighted by the company cap): its
// companies, the largest company's share of rows and of weight, and the total's p50
// agree with the answer; and no served figure rests on fewer than 5 companies or gives
// a company more than 25% of its weight.
func TestServedCohortsAgreeWithTheRows(t *testing.T) {
	needShared(t)
	addr, _ := startServer(t)
	importJSON(t, addr)
	out := filepath.Join(t.TempDir(), "bands.jsonl")
	if code, _, errs := cli(t, "bands", "--all", "--server", addr, "--format", "jsonl", "--out", out); code != 0 {
		t.Fatalf("paymix bands --all exited %d: %s", code, errs)
	}

	f, err := os.Open(sharedFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ingest.Read(f, ingest.LevelsFyi, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		company                          string
		family, level, metro, zone, ctry string
		total                            float64
		reported                         time.Time
	}
	maps := normalize.NewMaps(nil, nil)
	byJob := map[[2]string][]row{} // by family and level
	for _, r := range res.Rows {
		o, _ := maps.Observation(r)
		if o.Family != "" && o.Level != "" && o.Country != "" {
			k := [2]string{o.Family, o.Level}
			byJob[k] = append(byJob[k], row{o.Company, o.Family, o.Level, o.Metro, o.Zone, o.Country, r.Total, r.Reported})
		}
	}

	bands, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer bands.Close()
	sc := bufio.NewScanner(bands)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	served, checked := 0, 0
	for sc.Scan() {
		var r pb.BandResult
		if err := protojson.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		b := r.GetBand()
		if b == nil {
			continue
		}
		served++
		fb := b.GetProvenance().GetFallback()
		effective, err := time.Parse(time.DateOnly, b.GetProvenance().GetEffectiveDate())
		if err != nil {
			t.Fatal(err)
		}
		var companies []string
		var aged []float64
		for _, x := range byJob[[2]string{b.GetCohort().GetJobFamily(), b.GetCohort().GetLevel()}] {
			place := map[pb.GeoScope]string{pb.GeoScope_GEO_SCOPE_METRO: x.metro, pb.GeoScope_GEO_SCOPE_ZONE: x.zone, pb.GeoScope_GEO_SCOPE_COUNTRY: x.ctry}[fb.GetUsedScope()]
			if x.family != b.GetCohort().GetJobFamily() || x.level != b.GetCohort().GetLevel() || place != fb.GetUsedLocationId() {
				continue
			}
			months := effective.Sub(x.reported).Hours() / 24 / (365.2425 / 12)
			companies = append(companies, x.company)
			aged = append(aged, x.total*math.Pow(1.03, months/12))
		}
		tot := b.GetTotal()
		name := r.GetJobFamily() + " " + r.GetLevel() + " " + r.GetLocation()
		weights := capWeights(companies, 0.25)
		distinct, most := map[string]int{}, 0
		weightOf, sum := map[string]float64{}, 0.0
		for i, c := range companies {
			distinct[c]++
			most = max(most, distinct[c])
			weightOf[c] += weights[i]
			sum += weights[i]
		}
		heaviest := 0.0
		for _, w := range weightOf {
			heaviest = max(heaviest, w/sum)
		}
		rowPct, weightPct := math.Round(float64(most)/float64(len(companies))*10000)/100, math.Round(heaviest*10000)/100
		p50 := math.Round(weightedType7(aged, weights, 0.5))
		if int(tot.GetCount()) != len(aged) || int(tot.GetCompanies()) != len(distinct) || tot.GetLargestCompanyRowPercent() != rowPct ||
			math.Abs(tot.GetLargestCompanyWeightPercent()-weightPct) > 0.011 || tot.P50 == nil || math.Abs(tot.GetP50()-p50) > 1 {
			t.Errorf("%s (%s %s): server count %d companies %d rows %.2f%% weight %.2f%% p50 %v; rows give %d, %d, %.2f%%, %.2f%%, %v",
				name, fb.GetUsedScope(), fb.GetUsedLocationId(), tot.GetCount(), tot.GetCompanies(), tot.GetLargestCompanyRowPercent(),
				tot.GetLargestCompanyWeightPercent(), tot.GetP50(), len(aged), len(distinct), rowPct, weightPct, p50)
		}
		if tot.GetCompanies() < 5 || tot.GetLargestCompanyWeightPercent() > 25.005 {
			t.Errorf("%s: served from %d companies, the largest weighing %.2f%%", name, tot.GetCompanies(), tot.GetLargestCompanyWeightPercent())
		}
		checked++
	}
	if served < 500 || checked != served {
		t.Fatalf("%d bands served, %d checked", served, checked)
	}
	t.Logf("%d served cohorts agree with the rows", served)
}
