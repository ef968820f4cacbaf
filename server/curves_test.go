package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// GET /v1/market/differentials lists a location's differentials under the caller's
// policy; a band that falls back carries the same figure in its provenance, and a
// policy with geo adjustment off serves the wider scope's figure as it is.
func TestDifferentialsOverHTTP(t *testing.T) {
	s := start(t, nil).ready(t)
	code, body := s.get(t, "/v1/market/differentials?location=Montreal,%20QC,%20Canada")
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	var list struct {
		Location struct {
			MetroID string `json:"metroId"`
		}
		Differentials []struct {
			Scope      string
			LocationID string `json:"locationId"`
			Factor     *float64
			Pairs      int
		}
		TargetPercentile float64
		Policy           string
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Location.MetroID != "montreal" || len(list.Differentials) != 2 || list.TargetPercentile != 50 || list.Policy != "default" {
		t.Fatalf("differentials %s", body)
	}
	country := list.Differentials[1]
	if country.LocationID != "CA" || country.Factor == nil || country.Pairs < 1 {
		t.Fatalf("Montreal to Canada: %s", body)
	}
	band := func(extra string) map[string]any {
		code, body, _ := s.post(t, "/v1/bands:recommend", `{"jobFamily":"software-engineer","level":"IC5","location":"Montreal, QC, Canada"`+extra+`}`)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, body)
		}
		var b struct{ Band map[string]any }
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		return b.Band
	}
	on := band("")
	d, _ := on["provenance"].(map[string]any)["differential"].(map[string]any)
	if d == nil || d["factor"] != *country.Factor || d["locationId"] != "CA" {
		t.Errorf("the band's differential %v, listed %v", d, *country.Factor)
	}
	off := band(`,"policy":{"geoAdjustment":false,"levelSmoothing":"LEVEL_SMOOTHING_NONE"}`)
	prov := off["provenance"].(map[string]any)
	if prov["differential"] != nil || prov["geoAdjustment"] == true || prov["levelSmoothing"] != "LEVEL_SMOOTHING_NONE" {
		t.Errorf("geo adjustment off: provenance %v", prov)
	}
	// Translated, the midpoint is the country's times the factor (to the dollar).
	mid := func(b map[string]any) float64 {
		return b["totalWithoutTokens"].(map[string]any)["mid"].(float64)
	}
	if want := mid(off) * *country.Factor; mid(on) < want-1 || mid(on) > want+1 {
		t.Errorf("translated midpoint %v, want %v x %v", mid(on), mid(off), *country.Factor)
	}
	// A country has nothing wider; bad queries name their field.
	if code, body := s.get(t, "/v1/market/differentials?location=Canada"); code != 200 || strings.Contains(string(body), "factor") {
		t.Errorf("Canada: HTTP %d %s", code, body)
	}
	for path, field := range map[string]string{
		"/v1/market/differentials":                                          "location",
		"/v1/market/differentials?location=Atlantis":                        "location",
		"/v1/market/differentials?location=austin&effectiveDate=2026-13-01": "effective_date",
	} {
		if code, body := s.get(t, path); code != 400 || !strings.Contains(string(body), field) {
			t.Errorf("%s: HTTP %d %s", path, code, body)
		}
	}
}
