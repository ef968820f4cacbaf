package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paymix/paymix/planner"
	"github.com/paymix/paymix/planner/catalog"
)

func warningCodes(b *planner.Band) []string {
	var codes []string
	for _, w := range b.Warnings {
		codes = append(codes, w.Code)
	}
	return codes
}

// ListCohorts names a country cohort by its ISO code; a band asked for by that id
// answers for the country, as it does for the country's name.
func TestCountryCodeIsALocation(t *testing.T) {
	pl := planner.New(demoSnapshot())
	byName, err := pl.Recommend(planner.Request{Family: "software-engineer", Level: "IC3", Location: "Germany"}, today)
	if err != nil {
		t.Fatal(err)
	}
	byCode, err := pl.Recommend(planner.Request{Family: "software-engineer", Level: "IC3", Location: "DE"}, today)
	if err != nil {
		t.Fatal(err)
	}
	if byCode.Location.Scope != catalog.ScopeCountry || byCode.Location.Country != "DE" {
		t.Fatalf("DE resolves to %+v", byCode.Location)
	}
	if byCode.Total != byName.Total || byCode.Total.Mid == 0 {
		t.Errorf("DE total %+v, Germany %+v", byCode.Total, byName.Total)
	}
	// DE is also Delaware's postal code: the band says how it was read.
	var ambiguous *planner.Warning
	for i, w := range byCode.Warnings {
		if w.Code == "LOCATION_CODE_AMBIGUOUS" {
			ambiguous = &byCode.Warnings[i]
		}
	}
	if ambiguous == nil || !strings.Contains(ambiguous.Message, `"DE" is read as the country code of Germany`) {
		t.Errorf("DE warnings %v", byCode.Warnings)
	}
	for _, c := range []struct {
		name string
		req  planner.Request
	}{
		{"by name", planner.Request{Family: "software-engineer", Level: "IC3", Location: "Germany"}},
		{"a code no state has", planner.Request{Family: "software-engineer", Level: "IC3", Location: "GB"}},
		{"a cohort of the snapshot", planner.Request{Family: "software-engineer", Level: "IC3", Location: "DE",
			Resolved: &catalog.Location{Scope: catalog.ScopeCountry, Country: "DE", Query: "DE"}}},
	} {
		b, err := pl.Recommend(c.req, today)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, code := range warningCodes(b) {
			if code == "LOCATION_CODE_AMBIGUOUS" {
				t.Errorf("%s: warned %v", c.name, b.Warnings)
			}
		}
	}
	// Lower case is free text, not a code.
	if _, err := pl.Recommend(planner.Request{Family: "software-engineer", Level: "IC3", Location: "de"}, today); err == nil {
		t.Error(`"de" resolved`)
	}
}

// An unknown location is answered with what it was likely meant to be, not with
// every accepted name.
func TestUnknownLocationSuggests(t *testing.T) {
	pl := planner.New(demoSnapshot())
	for _, c := range []struct{ location, want string }{
		{"Seatle", `unknown location "Seatle"; give "City, ST" in the US, "City, Country" elsewhere, a country, or a metro id (did you mean "Seattle, WA" or "seattle"?); the catalog lists the `},
		{"Xyzzyq", `unknown location "Xyzzyq"; give "City, ST" in the US, "City, Country" elsewhere, a country, or a metro id; the catalog lists the `},
	} {
		_, err := pl.Recommend(planner.Request{Family: "software-engineer", Level: "IC3", Location: c.location}, today)
		var pe *planner.Error
		if !errors.As(err, &pe) || len(pe.Violations) != 1 {
			t.Fatalf("%s: %v", c.location, err)
		}
		msg := pe.Violations[0].Description
		if !strings.HasPrefix(msg, c.want) || !strings.HasSuffix(msg, " countries accepted") || len(msg) > 300 {
			t.Errorf("%s: %s", c.location, msg)
		}
	}
	_, err := planner.MarketStats(demoSnapshot(), nil, planner.StatsQuery{Family: "software-engineer", Level: "IC3", Location: "Seatle"}, today)
	if err == nil || !strings.Contains(err.Error(), `did you mean "Seattle, WA"`) {
		t.Errorf("market stats: %v", err)
	}
}

// A misspelt city in a known state widens to the country, as any city without a metro
// does; the warning names the metro it was likely meant to be.
func TestCountryOnlyWarningSuggestsMetros(t *testing.T) {
	pl := planner.New(demoSnapshot())
	for _, c := range []struct{ location, want string }{
		{"Seatle, WA", `"Seatle, WA" has no metro in paymix's geography; the band covers all of United States (did you mean "Seattle, WA"?)`},
		{"Omaha, NE", `"Omaha, NE" has no metro in paymix's geography; the band covers all of United States`},
		{"Manchestr, United Kingdom", `"Manchestr, United Kingdom" has no metro in paymix's geography; the band covers all of United Kingdom (did you mean "Manchester, United Kingdom"?)`},
	} {
		for range 2 { // the second from what the planner kept
			b, err := pl.Recommend(planner.Request{Family: "software-engineer", Level: "IC3", Location: c.location}, today)
			if err != nil {
				t.Fatalf("%s: %v", c.location, err)
			}
			var got string
			for _, w := range b.Warnings {
				if w.Code == "LOCATION_COUNTRY_ONLY" {
					got = w.Message
				}
			}
			if got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.location, got, c.want)
			}
		}
	}
}
