package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

// paymixCSV makes n rows of one company level in one place, totals 100k + 1k steps.
// The company "IC3" stands for six companies in turn at their IC3 level, so that a
// cohort of their rows meets the five companies a band needs.
func paymixCSV(company, level, location string, n int) string {
	var b strings.Builder
	b.WriteString("report_date,company,company_level,title,location,base,equity,bonus,tokens_usd\n")
	ic3 := [][2]string{{"Google", "L5"}, {"Meta", "E5"}, {"Amazon", "L6"}, {"Microsoft", "63"}, {"Apple", "ICT4"}, {"Uber", "L5"}}
	for i := range n {
		c, l := company, level
		if company == "IC3" {
			c, l = ic3[i%len(ic3)][0], ic3[i%len(ic3)][1]
		}
		fmt.Fprintf(&b, "2026-09-01,%s,%s,Software Engineer,%q,%d,30000,10000,%d\n", c, l, location, 60000+i*1000, i*1000)
	}
	return b.String()
}

func importData(t testing.TB, s *testServer, h *pb.ImportHeader, data string) (*pb.ImportBenchmarksResponse, error) {
	t.Helper()
	stream, err := pb.NewMarketServiceClient(s.conn).ImportBenchmarks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A send fails with io.EOF once the server has answered (a duplicate found by its
	// request id, a refusal): that is no error of the import; the answer says what
	// happened, so read it.
	parts := []*pb.ImportBenchmarksRequest{{Part: &pb.ImportBenchmarksRequest_Header{Header: h}}}
	for len(data) > 0 { // chunks of 1 MiB, as the CLI sends them
		n := min(len(data), 1<<20)
		parts = append(parts, &pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: []byte(data[:n])}})
		data = data[n:]
	}
	for _, part := range parts {
		if err := stream.Send(part); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	return stream.CloseAndRecv()
}

func csvHeader() *pb.ImportHeader {
	return &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV}
}

func (s *testServer) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestDatasetsLifecycleAndBlending(t *testing.T) {
	s := start(t, nil).ready(t)
	resp, err := importData(t, s, csvHeader(), paymixCSV("IC3", "", "Seattle, WA", 30))
	if err != nil {
		t.Fatal(err)
	}
	name := resp.GetDataset().GetName()
	if sum := resp.GetSummary(); sum.GetRowsAccepted() != 30 || sum.GetRowsUnmapped() != 0 || resp.GetDataset().GetDataStartDate() != "2026-09-01" {
		t.Fatalf("import: %v", resp)
	}

	code, list := s.do(t, "GET", "/v1/datasets?pageSize=1", "")
	if code != 200 || len(list["datasets"].([]any)) != 1 || list["nextPageToken"] == "" {
		t.Fatalf("first page: %d %v", code, list)
	}
	newest := list["datasets"].([]any)[0].(map[string]any)
	if newest["name"] != name || newest["active"] != true {
		t.Errorf("newest dataset %v", newest)
	}
	code, page2 := s.do(t, "GET", "/v1/datasets?pageSize=1&pageToken="+list["nextPageToken"].(string), "")
	demo := page2["datasets"].([]any)[0].(map[string]any)
	if code != 200 || demo["name"] != "datasets/demo-synthetic" || demo["active"] != false || page2["nextPageToken"] != "" {
		t.Errorf("second page: %d %v", code, page2)
	}

	band := func() *pb.Band {
		r, err := pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{
			JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_NONE},
			Policy: &pb.Policy{AgingRatePercent: new(float64)}})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetBand()
	}
	// Totals 100k..129k: p50 = 114500, from the import alone.
	if b := band(); b.GetTotal().GetMid() != 114500 || b.GetProvenance().GetSynthetic() || len(b.GetProvenance().GetDatasets()) != 1 {
		t.Errorf("band on the import: mid %v provenance %v", b.GetTotal().GetMid(), b.GetProvenance())
	}

	// Reactivate the demo at weight 3: the median blends 1:3 with the demo's own.
	demoOnly := func() float64 { // the demo's own p50 for the cohort, unaged
		st, err := pb.NewMarketServiceClient(s.conn).GetMarketStats(context.Background(), &pb.GetMarketStatsRequest{
			JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA", DisableAging: true})
		if err != nil {
			t.Fatal(err)
		}
		return st.GetTotal().GetP50()
	}
	if code, out := s.do(t, "POST", "/v1/datasets/demo-synthetic:activate", `{"weight": 3}`); code != 200 || out["dataset"].(map[string]any)["weight"] != 3.0 {
		t.Fatalf("activate: %d %v", code, out)
	}
	blended := band()
	refs := blended.GetProvenance().GetDatasets()
	if len(refs) != 2 || !blended.GetProvenance().GetSynthetic() || refs[0].GetWeightPercent()+refs[1].GetWeightPercent() != 100 {
		t.Fatalf("blended provenance %v", blended.GetProvenance())
	}
	// Blending is the weighted mean of each dataset's p50: (1 * 114500 + 3 * demo) / 4.
	if code, _ := s.do(t, "POST", "/v1/"+name+":activate", `{"active": false}`); code != 200 {
		t.Fatalf("deactivate the import: %d", code)
	}
	demoP50 := demoOnly()
	if code, _ := s.do(t, "POST", "/v1/"+name+":activate", `{}`); code != 200 {
		t.Fatalf("reactivate the import: %d", code)
	}
	if want := (114500 + 3*demoP50) / 4; math.Abs(blended.GetTotal().GetP50()-want) > 1 || blended.GetTotal().GetMid() != blended.GetTotal().GetP50() {
		t.Errorf("blended p50 %v (mid %v), want (114500 + 3 x %v) / 4 = %v", blended.GetTotal().GetP50(), blended.GetTotal().GetMid(), demoP50, want)
	}

	if code, _ := s.do(t, "POST", "/v1/datasets/demo-synthetic:activate", `{"active": false}`); code != 200 {
		t.Errorf("deactivate: %d", code)
	}
	if code, out := s.do(t, "DELETE", "/v1/datasets/demo-synthetic", ""); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "cannot be deleted") {
		t.Errorf("deleting the demo: %d %v", code, out)
	}
	if code, _ := s.do(t, "DELETE", "/v1/"+name, ""); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code, out := s.do(t, "GET", "/v1/"+name, ""); code != 404 || out["code"] != 5.0 {
		t.Errorf("get after delete: %d %v", code, out)
	}
	if code, _ := s.do(t, "GET", "/v1/datasets/Not_A_Name", ""); code != 400 {
		t.Errorf("bad name: %d", code)
	}
	// With no active data left, a band says so instead of inventing one.
	_, err = pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("band with no active data: %v", err)
	}
}

func TestImportValidationIdempotencyAndStrictMode(t *testing.T) {
	s := start(t, nil).ready(t)
	bad := paymixCSV("IC3", "", "Seattle, WA", 10) + "2026-09-01,Acme,P3,Software Engineer,Seattle,abc,1,1,0\n2026-13-01,Acme,P3,Software Engineer,Seattle,1,1,1,0\n"
	strict := csvHeader()
	strict.Mode = pb.ImportMode_IMPORT_MODE_STRICT
	_, err := importData(t, s, strict, bad)
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "2 of 12 rows are bad") || !strings.Contains(err.Error(), "rows[11].base") {
		t.Fatalf("strict: %v", err)
	}
	if list, _ := pb.NewDatasetServiceClient(s.conn).ListDatasets(context.Background(), &pb.ListDatasetsRequest{}); len(list.GetDatasets()) != 1 {
		t.Fatalf("strict rejection stored something: %v", list)
	}

	h := csvHeader()
	h.RequestId = "retry-1"
	resp, err := importData(t, s, h, bad)
	if err != nil {
		t.Fatal(err)
	}
	issues := resp.GetSummary().GetIssues()
	if resp.GetSummary().GetRowsAccepted() != 10 || len(issues) != 2 ||
		issues[0].GetRow() != 11 || issues[0].GetColumn() != "base" || issues[0].GetReason() != "NON_NUMERIC" ||
		issues[1].GetRow() != 12 || issues[1].GetColumn() != "report_date" || issues[1].GetReason() != "BAD_DATE" {
		t.Errorf("lenient summary %v", resp.GetSummary())
	}
	// A retry with the same request id (even with other bytes) returns the first import.
	again, err := importData(t, s, h, paymixCSV("Other", "X", "Seattle, WA", 2))
	if err != nil || !again.GetSummary().GetDuplicate() || again.GetDataset().GetName() != resp.GetDataset().GetName() {
		t.Errorf("retry: %v %v", again, err)
	}
	// A missing header and a bad format are refused with the field named.
	stream, _ := pb.NewMarketServiceClient(s.conn).ImportBenchmarks(context.Background())
	stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: []byte("x")}})
	if _, err := stream.CloseAndRecv(); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "header") {
		t.Errorf("no header: %v", err)
	}
	if _, err := importData(t, s, &pb.ImportHeader{}, "x"); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "format") {
		t.Errorf("no format: %v", err)
	}
}

func TestUploadedMapsApplyToStoredData(t *testing.T) {
	s := start(t, nil).ready(t)
	// Beside rows paymix serves, twelve of a level and a place it does not know yet.
	data := paymixCSV("IC3", "", "Seattle, WA", 10) + strings.SplitN(paymixCSV("Acme Corp", "P3", "Omaha, NE", 12), "\n", 2)[1]
	if _, err := importData(t, s, csvHeader(), data); err != nil {
		t.Fatal(err)
	}
	market := pb.NewMarketServiceClient(s.conn)
	unmapped, err := market.ListUnmappedLevels(context.Background(), &pb.ListUnmappedLevelsRequest{Company: "acme corp"})
	if err != nil || len(unmapped.GetLevels()) != 1 || unmapped.GetLevels()[0].GetCompanyLevel() != "P3" || unmapped.GetLevels()[0].GetCount() != 12 {
		t.Fatalf("unmapped: %v %v", unmapped, err)
	}
	if code, out := s.do(t, "PUT", "/v1/market/levelMaps/Acme%20Corp", `{"entries":[{"companyLevel":"P3","icLevel":"IC9"}]}`); code != 400 || !strings.Contains(fmt.Sprint(out), "entries[0].ic_level") {
		t.Errorf("bad level map: %d %v", code, out)
	}
	if code, out := s.do(t, "PUT", "/v1/market/levelMaps/Acme%20Corp", `{"entries":[{"companyLevel":"P3","variants":["p-3"],"icLevel":"IC3"}]}`); code != 200 {
		t.Fatalf("level map: %d %v", code, out)
	}
	if code, out := s.do(t, "PUT", "/v1/market/locationMap", `{"entries":[{"text":"Omaha, NE","zoneId":"us-tier-3","countryCode":"US"}]}`); code != 200 {
		t.Fatalf("location map: %d %v", code, out)
	}
	cohorts, err := market.ListCohorts(context.Background(), &pb.ListCohortsRequest{JobFamily: "software-engineer", Level: "IC3"})
	if err != nil {
		t.Fatal(err)
	}
	var zone *pb.CohortInfo
	for _, c := range cohorts.GetCohorts() {
		if c.GetLocationId() == "us-tier-3" {
			zone = c
		}
	}
	if zone == nil || zone.GetCount() != 12 || zone.GetScope() != pb.GeoScope_GEO_SCOPE_ZONE {
		t.Errorf("zone cohort after the maps: %v", cohorts)
	}
	if unmapped, _ := market.ListUnmappedLevels(context.Background(), &pb.ListUnmappedLevelsRequest{}); len(unmapped.GetLevels()) != 0 {
		t.Errorf("still unmapped: %v", unmapped)
	}
	stats, err := market.GetMarketStats(context.Background(), &pb.GetMarketStatsRequest{Company: "ACME CORP", CompanyLevel: "p-3", DisableAging: true})
	if err != nil || stats.GetTotal().GetCount() != 12 || stats.GetCompanyLevel() != "P3" || stats.GetTotal().GetP50() != 105500 {
		t.Errorf("peer stats: %v %v", stats, err)
	}
}

// A thin imported cohort widens within its country, and the band says so.
func TestFallbackOnImportedData(t *testing.T) {
	s := start(t, nil).ready(t)
	data := paymixCSV("IC3", "", "Portland, OR", 4) + strings.SplitN(paymixCSV("IC3", "", "Denver, CO", 12), "\n", 2)[1]
	if _, err := importData(t, s, csvHeader(), data); err != nil {
		t.Fatal(err)
	}
	r, err := pb.NewBandServiceClient(s.conn).RecommendBand(context.Background(), &pb.RecommendBandRequest{
		JobFamily: "software-engineer", Level: "IC3", Location: "Portland, OR"})
	if err != nil {
		t.Fatal(err)
	}
	fb := r.GetBand().GetProvenance().GetFallback()
	if fb.GetUsedScope() != pb.GeoScope_GEO_SCOPE_ZONE || fb.GetUsedLocationId() != "us-tier-3" || len(fb.GetSteps()) != 2 ||
		fb.GetSteps()[0].GetCount() != 4 || fb.GetSteps()[1].GetCount() != 16 {
		t.Errorf("fallback %v", fb)
	}
}

// A level map uploaded under another spelling of the company replaces the first one,
// and two entries may not claim one spelling.
func TestLevelMapSpellings(t *testing.T) {
	s := start(t, nil).ready(t)
	market := pb.NewMarketServiceClient(s.conn)
	ctx := context.Background()
	put := func(company string, entries ...*pb.LevelMapEntry) error {
		_, err := market.PutLevelMap(ctx, &pb.PutLevelMapRequest{Company: company, Entries: entries})
		return err
	}
	if err := put("Acme Corp", &pb.LevelMapEntry{CompanyLevel: "P3", IcLevel: "IC3"}); err != nil {
		t.Fatal(err)
	}
	if err := put("acme corp.", &pb.LevelMapEntry{CompanyLevel: "P4", IcLevel: "IC4"}); err != nil {
		t.Fatal(err)
	}
	maps, _ := market.ListLevelMaps(ctx, &pb.ListLevelMapsRequest{})
	if len(maps.GetLevelMaps()) != 1 || maps.GetLevelMaps()[0].GetCompany() != "Acme Corp" || maps.GetLevelMaps()[0].GetEntries()[0].GetCompanyLevel() != "P4" {
		t.Errorf("level maps %v", maps)
	}
	err := put("Acme Corp", &pb.LevelMapEntry{CompanyLevel: "P3", IcLevel: "IC3"}, &pb.LevelMapEntry{CompanyLevel: "P-4", Variants: []string{"p 3"}, IcLevel: "IC4"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "entries[1]") {
		t.Errorf("a spelling claimed twice: %v", err)
	}
}
