package server_test

import (
	"context"
	"encoding/json"
	"reflect"

	"bytes"
	pb "github.com/paymix/paymix/gen/paymix/v1"
	"google.golang.org/protobuf/proto"
	"strings"
	"testing"
)

// Extreme but valid inputs, through every method that computes a figure, answer with
// finite numbers (or a clear refusal), never NaN or Infinity; an amount beyond
// $100,000,000 a year is refused on import with its row number.
func TestExtremeInputsGiveFiniteAnswers(t *testing.T) {
	s := start(t, nil).ready(t)
	var csv strings.Builder
	csv.WriteString("report_date,company,company_level,title,location,base,equity,bonus,total,tokens_usd\n")
	for i := range 12 {
		// The largest and smallest amounts an import accepts, side by side.
		csv.WriteString("2024-01-0" + string(rune('1'+i%9)) + ",Google,L5,Software Engineer,\"Seattle, WA\",")
		if i%2 == 0 {
			csv.WriteString("100000000,0,0,100000000,100000000\n")
		} else {
			csv.WriteString("1,0,0,1,0\n")
		}
	}
	csv.WriteString("2024-01-05,Google,L5,Software Engineer,\"Seattle, WA\",1e308,0,0,1e308,0\n")
	res, err := importData(t, s, csvHeaderKeepDemo(), csv.String())
	if err != nil {
		t.Fatal(err)
	}
	issues := res.GetSummary().GetIssues()
	if len(issues) != 1 || issues[0].GetRow() != 13 || issues[0].GetReason() != "AMOUNT_OUT_OF_RANGE" || res.GetSummary().GetRowsAccepted() != 12 {
		t.Fatalf("the 1e308 row: %v", res.GetSummary())
	}
	seattle := `"jobFamily":"software-engineer","level":"IC3","location":"Seattle, WA"`
	extremes := []string{
		`"targetPercentile":99,"effectiveDate":"2100-12-31"`,
		`"targetPercentile":1,"effectiveDate":"2000-01-01"`,
		`"targetPercentile":99,"tokenPolicy":{"mode":"TOKEN_MODE_FIXED","fixedUsd":1e9,"funding":"FUNDING_CARVE_OUT_BASE"}`,
		`"tokenPolicy":{"mode":"TOKEN_MODE_PERCENT_OF_BASE","percentOfBase":100,"capUsd":1e9}`,
		`"tokenPolicy":{"mode":"TOKEN_MODE_MARKET","funding":"FUNDING_CARVE_OUT_EQUITY"}`,
	}
	var calls []struct{ path, body string }
	for _, e := range extremes {
		calls = append(calls, struct{ path, body string }{"/v1/bands:recommend", "{" + seattle + "," + e + "}"})
		calls = append(calls, struct{ path, body string }{"/v1/bands:batchRecommend", `{"requests":[{` + seattle + "," + e + `}]}`})
	}
	offer := `{"name":"huge",` + seattle + `,"base":1e8,"bonusTargetPercent":1000,"signOn":1e8,"equity":{"grantValue":1e9},"tokens":{"usdPerYear":1e9}}`
	tiny := `{"name":"tiny",` + seattle + `,"base":0,"tokens":{"usdPerYear":0}}`
	calls = append(calls,
		struct{ path, body string }{"/v1/bands:stream", `{"allCohorts":true,"targetPercentile":99}`},
		struct{ path, body string }{"/v1/offers:evaluate", `{"offer":` + offer + `,"assumptions":{"years":10,"raisePercent":50,"refreshGrantPercent":200}}`},
		struct{ path, body string }{"/v1/offers:evaluate", `{"offer":` + tiny + `}`},
		struct{ path, body string }{"/v1/offers:compare", `{"offers":[` + offer + `,` + tiny + `],"assumptions":{"years":10,"utilisationPercent":0,"personalValueSharePercent":0}}`},
	)
	for _, c := range calls {
		code, body, _ := s.post(t, c.path, c.body)
		if code != 200 || bytes.Contains(body, []byte("NaN")) || bytes.Contains(body, []byte("Infinity")) {
			t.Errorf("%s %s: HTTP %d %.400s", c.path, c.body, code, body)
		}
	}
	for _, path := range []string{
		"/v1/market/stats?jobFamily=software-engineer&level=IC3&location=Seattle,%20WA&effectiveDate=2100-12-31",
		"/v1/market/stats?company=Demo%20Co%207&companyLevel=IC3&disableAging=true",
		"/v1/catalog",
	} {
		code, body := s.get(t, path)
		if code != 200 || bytes.Contains(body, []byte("NaN")) || bytes.Contains(body, []byte("Infinity")) {
			t.Errorf("GET %s: HTTP %d %.400s", path, code, body)
		}
		// Cached-input prices print as the vendors write them (3 / 10, not 3 * 0.1).
		if path == "/v1/catalog" && (bytes.Contains(body, []byte("0.30000000000000004")) || !bytes.Contains(body, []byte(`"cachedInputUsdPerMillion":0.3,`))) {
			t.Errorf("catalog prices: %.600s", body)
		}
	}
}

func csvHeaderKeepDemo() *pb.ImportHeader {
	h := csvHeader()
	h.KeepDemo = true
	return h
}

// A dataset of one row, active beside the demo at the same weight, moves no figure of
// a Seattle IC3 band: it meets neither the row nor the company threshold, so it takes
// no part in a statistic or in the pay mix.
func TestOneRowDatasetMovesNoBand(t *testing.T) {
	s := start(t, nil).ready(t)
	// The dataset serves Austin; its one Seattle row is all it has there.
	res, err := importData(t, s, csvHeaderKeepDemo(), paymixCSV("IC3", "", "Austin, TX", 10)+
		"2026-09-01,Google,L5,Software Engineer,\"Seattle, WA\",900000,1000000,100000,0\n")
	if err != nil {
		t.Fatal(err)
	}
	band := func() map[string]any {
		code, body := s.get(t, "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=Seattle,%20WA")
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, body)
		}
		var b map[string]any
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		b = b["band"].(map[string]any)
		delete(b, "provenance") // names the datasets and versions, which differ
		return b
	}
	with := band()
	if _, err := pb.NewDatasetServiceClient(s.conn).ActivateDataset(context.Background(),
		&pb.ActivateDatasetRequest{Name: res.GetDataset().GetName(), Active: proto.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if without := band(); !reflect.DeepEqual(with, without) {
		t.Errorf("the one-row dataset moved the band:\nwith    %v\nwithout %v", with, without)
	}
}
